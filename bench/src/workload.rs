//! The benchmark workloads, defined once as BSON so that every runner sends the same commands:
//! the Liquibase changelog, the migrate-mongo migration files and the limit program's commands
//! are all rendered from the functions here.
//!
//! P1 changeset `i`: createCollection `c<i>` with a `$jsonSchema` validator, a unique compound
//! index `{ k: 1, n: -1 }` named `ux_c<i>_k_n` (SecantusDB requires a name in every index spec),
//! and insertMany of ten documents that the validator accepts. P3's database: collections with
//! five secondary indexes each, and views over them.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use mongodb::bson::{self, Bson, Document, doc};

/// Liquibase's history collection.
pub const HISTORY_COLLECTION: &str = "DATABASECHANGELOG";
/// Liquibase's lock collection.
pub const LOCK_COLLECTION: &str = "DATABASECHANGELOGLOCK";
/// migrate-mongo's history collection in the generated configuration.
pub const MIGRATE_MONGO_CHANGELOG: &str = "changelog";
/// migrate-mongo's lock collection in the generated configuration.
pub const MIGRATE_MONGO_LOCK: &str = "changelog_lock";
/// Documents inserted by each P1 changeset.
pub const DOCUMENTS_PER_CHANGESET: usize = 10;
/// The changelog's file name; Liquibase stores it in the history `fileName` field.
pub const CHANGELOG_FILE: &str = "changelog.xml";
/// The author of every changeset.
pub const AUTHOR: &str = "bench";
/// Secondary indexes per P3 collection.
pub const P3_INDEXES_PER_COLLECTION: usize = 5;

/// The collection changeset `i` creates.
pub fn collection(i: usize) -> String {
    format!("c{i}")
}

/// The changeset id of changeset `i`.
pub fn changeset_id(i: usize) -> String {
    format!("p1-{i}")
}

/// The `create` options of every P1 collection: a `$jsonSchema` validator.
pub fn collection_options() -> Document {
    doc! {
        "validator": {
            "$jsonSchema": {
                "bsonType": "object",
                "required": ["k", "n"],
                "properties": {
                    "k": { "bsonType": "string", "description": "the key" },
                    "n": { "bsonType": "int", "minimum": 0 },
                },
            },
        },
        "validationLevel": "strict",
        "validationAction": "error",
    }
}

/// The keys of the unique compound index.
pub fn index_keys() -> Document {
    doc! { "k": 1, "n": -1 }
}

/// The options of the index of collection `i`: its name (required by SecantusDB) and `unique`.
pub fn index_options(i: usize) -> Document {
    doc! { "name": format!("ux_c{i}_k_n"), "unique": true }
}

/// The documents changeset `i` inserts.
pub fn documents(i: usize) -> Vec<Document> {
    (0..DOCUMENTS_PER_CHANGESET)
        .map(|j| {
            let n = i32::try_from(j).expect("ten documents fit in an int");
            doc! { "k": format!("k{i}-{j}"), "n": n, "note": "benchmark document" }
        })
        .collect()
}

/// The three server commands of changeset `i`, as lbmongo lowers the changes (executor's
/// `command.rs`): `create` with the options spread in, `createIndexes` with `{ key, ...options }`,
/// and `insert` of all documents at once.
pub fn commands(i: usize) -> [Document; 3] {
    let name = collection(i);
    let mut create = doc! { "create": &name };
    create.extend(collection_options());
    let mut index = doc! { "key": index_keys() };
    index.extend(index_options(i));
    [
        create,
        doc! { "createIndexes": &name, "indexes": [index] },
        doc! { "insert": &name, "documents": documents(i) },
    ]
}

/// One history row as Liquibase with liquibase-mongodb writes it (15 fields less the server's
/// `_id`), for changeset `i` executed as number `order` of deployment `deployment_id`.
pub fn history_row(i: usize, order: i32, deployment_id: &str, now: DateTime<Utc>) -> Document {
    doc! {
        "fileName": CHANGELOG_FILE,
        "id": changeset_id(i),
        "author": AUTHOR,
        // The limit computes no checksum; a value of the same length keeps the row's size.
        "md5sum": "9:00000000000000000000000000000000",
        "dateExecuted": bson::DateTime::from_millis(now.timestamp_millis()),
        "tag": Bson::Null,
        "execType": "EXECUTED",
        "description": format!("createCollection collectionName={0}; createIndex collectionName={0}; insertMany collectionName={0}", collection(i)),
        "comments": Bson::Null,
        "contexts": Bson::Null,
        "labels": Bson::Null,
        "deploymentId": deployment_id,
        "orderExecuted": order,
        "liquibase": "4.33.0",
    }
}

/// The Liquibase XML changelog of changesets `0..n`, readable by lbmongo, Liquibase with our jar
/// and Liquibase with the official extension.
pub fn changelog_xml(n: usize) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog
        xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb"
        xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog
         http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-latest.xsd
         http://www.liquibase.org/xml/ns/mongodb
         http://www.liquibase.org/xml/ns/mongodb/liquibase-mongodb-latest.xsd">
"#,
    );
    let options = xml_text(&json(&collection_options()));
    let keys = xml_text(&json(&index_keys()));
    for i in 0..n {
        let name = collection(i);
        let documents = Bson::Array(documents(i).into_iter().map(Bson::Document).collect());
        let _ = write!(
            out,
            r#"    <changeSet id="{id}" author="{AUTHOR}">
        <mongodb:createCollection collectionName="{name}">
            <mongodb:options>{options}</mongodb:options>
        </mongodb:createCollection>
        <mongodb:createIndex collectionName="{name}">
            <mongodb:keys>{keys}</mongodb:keys>
            <mongodb:options>{index_options}</mongodb:options>
        </mongodb:createIndex>
        <mongodb:insertMany collectionName="{name}">
            <mongodb:documents>{documents}</mongodb:documents>
        </mongodb:insertMany>
    </changeSet>
"#,
            id = changeset_id(i),
            index_options = xml_text(&json(&index_options(i))),
            documents = xml_text(&bson_json(documents)),
        );
    }
    out.push_str("</databaseChangeLog>\n");
    out
}

/// migrate-mongo's configuration (CommonJS) for database `db` at `url`, with its lock enabled
/// (a TTL above zero) so it takes a lock as the other tools do.
pub fn migrate_mongo_config(url: &str, db: &str) -> String {
    let url = serde_json::Value::String(url.to_owned());
    let db = serde_json::Value::String(db.to_owned());
    format!(
        "module.exports = {{\n  mongodb: {{ url: {url}, databaseName: {db}, options: {{}} }},\n  \
         migrationsDir: \"migrations\",\n  changelogCollectionName: \"{MIGRATE_MONGO_CHANGELOG}\",\n  \
         lockCollectionName: \"{MIGRATE_MONGO_LOCK}\",\n  lockTtl: 300,\n  \
         migrationFileExtension: \".js\",\n  useFileHash: false,\n  moduleSystem: \"commonjs\",\n}};\n"
    )
}

/// The migrate-mongo migration files of changesets `0..n`: names sort in changeset order, and
/// each `up` sends the same three commands through the Node.js driver.
pub fn migrate_mongo_migrations(n: usize) -> Vec<(String, String)> {
    let options = json(&collection_options());
    let keys = json(&index_keys());
    (0..n)
        .map(|i| {
            let name = serde_json::Value::String(collection(i));
            let documents = Bson::Array(documents(i).into_iter().map(Bson::Document).collect());
            let text = format!(
                "module.exports = {{\n  async up(db) {{\n    \
                 await db.createCollection({name}, {options});\n    \
                 await db.collection({name}).createIndex({keys}, {index_options});\n    \
                 await db.collection({name}).insertMany({documents});\n  }},\n  \
                 async down(db) {{\n    await db.collection({name}).drop();\n  }},\n}};\n",
                index_options = json(&index_options(i)),
                documents = bson_json(documents),
            );
            (format!("{i:06}-p1-{i}.js"), text)
        })
        .collect()
}

/// The five secondary index specs of P3 collection `i`: single, compound, unique, sparse and
/// TTL indexes, each named.
pub fn p3_indexes(i: usize) -> Vec<Document> {
    vec![
        doc! { "key": { "a": 1 }, "name": format!("ix{i}_a") },
        doc! { "key": { "b": 1, "c": -1 }, "name": format!("ix{i}_b_c") },
        doc! { "key": { "u": 1 }, "name": format!("ux{i}_u"), "unique": true },
        doc! { "key": { "s": 1 }, "name": format!("ix{i}_s"), "sparse": true },
        doc! { "key": { "t": 1 }, "name": format!("ix{i}_t"), "expireAfterSeconds": 3600 },
    ]
}

/// P3's view `v`, over collection `v` of the database.
pub fn p3_view(v: usize) -> Document {
    doc! {
        "create": format!("v{v}"),
        "viewOn": collection(v),
        "pipeline": [{ "$match": { "a": { "$gt": 0 } } }, { "$project": { "a": 1, "b": 1 } }],
    }
}

/// Relaxed Extended JSON of a document, keys in order.
fn json(document: &Document) -> String {
    bson_json(Bson::Document(document.clone()))
}

fn bson_json(value: Bson) -> String {
    value.into_relaxed_extjson().to_string()
}

/// `text` as XML character data.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_carry_the_validator_the_named_unique_index_and_ten_documents() {
        let [create, index, insert] = commands(7);
        assert_eq!(create.get_str("create").ok(), Some("c7"));
        assert!(create.get_document("validator").is_ok());
        assert_eq!(create.get_str("validationLevel").ok(), Some("strict"));
        let indexes = index.get_array("indexes").expect("indexes");
        let spec = indexes[0].as_document().expect("a document");
        assert_eq!(spec.get_str("name").ok(), Some("ux_c7_k_n"));
        assert_eq!(spec.get_bool("unique").ok(), Some(true));
        assert_eq!(spec.get_document("key").ok(), Some(&index_keys()));
        let docs = insert.get_array("documents").expect("documents");
        assert_eq!(docs.len(), DOCUMENTS_PER_CHANGESET);
    }

    #[test]
    fn changelog_has_one_changeset_per_index_and_escapes_nothing_it_needs_not() {
        let xml = changelog_xml(3);
        assert_eq!(xml.matches("<changeSet ").count(), 3);
        assert!(xml.contains(r#"<changeSet id="p1-2" author="bench">"#));
        assert!(
            xml.contains(r#""$jsonSchema":{"bsonType":"object""#),
            "{xml}"
        );
        assert!(xml.contains(r#"{"name":"ux_c1_k_n","unique":true}"#));
        assert!(xml.contains(r#"{"k":"k2-9","n":9,"note":"benchmark document"}"#));
        assert!(xml.ends_with("</databaseChangeLog>\n"));
        assert_eq!(xml_text("a<b&c>"), "a&lt;b&amp;c&gt;");
    }

    #[test]
    fn migrations_sort_in_changeset_order() {
        let files = migrate_mongo_migrations(12);
        let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(
            files[11]
                .1
                .contains(r#"db.createCollection("c11", {"validator""#)
        );
        assert!(
            files[11]
                .1
                .contains(r#"{"name":"ux_c11_k_n","unique":true}"#)
        );
    }

    #[test]
    fn history_row_has_liquibase_fields_in_order() {
        let row = history_row(4, 5, "1234567890", Utc::now());
        let keys: Vec<&str> = row.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "fileName",
                "id",
                "author",
                "md5sum",
                "dateExecuted",
                "tag",
                "execType",
                "description",
                "comments",
                "contexts",
                "labels",
                "deploymentId",
                "orderExecuted",
                "liquibase"
            ]
        );
        assert_eq!(row.get_i32("orderExecuted").ok(), Some(5));
    }
}
