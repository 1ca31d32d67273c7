//! Reading `DATABASECHANGELOG` rows lbmongo did not write itself: fields in any order, nulls,
//! missing optional fields, unknown extra fields and an Int64 `orderExecuted` are read as
//! liquibase-mongodb's `MongoRanChangeSet` reads them, and a field of the wrong type stops the
//! command with the row and the field named.

use mongodb::bson::{Bson, Document};

use crate::commands::xml;
use crate::support::cli::Project;
use crate::support::{block_on, server};

const CHANGESETS: &str = r#"
  <changeSet id="1" author="ann">
    <mongodb:createCollection collectionName="one"/>
  </changeSet>
  <changeSet id="2" author="ann">
    <mongodb:createCollection collectionName="two"/>
  </changeSet>
"#;

/// The rows `changelog-sync` writes for [`CHANGESETS`], in `orderExecuted` order.
fn synced_rows(test: &str) -> Vec<Document> {
    let (_, db, url) = block_on(server().fresh_db(test));
    let p = Project::new(db, url);
    p.write("changelog.xml", &xml(CHANGESETS));
    p.run_changelog(&["changelog-sync"]).ok();
    block_on(p.history())
}

/// A project whose history collection (made without the validator, as another tool might have
/// left it) holds exactly `rows`; nothing is run against it but read-only commands.
fn project_with_rows(test: &str, rows: Vec<Document>) -> Project {
    let (_, db, url) = block_on(server().fresh_db(test));
    let p = Project::new(db, url);
    p.write("changelog.xml", &xml(CHANGESETS));
    block_on(async {
        p.db.create_collection("DATABASECHANGELOG")
            .await
            .expect("create the history collection");
        p.db.collection::<Document>("DATABASECHANGELOG")
            .insert_many(rows)
            .await
            .expect("insert the rows");
    });
    p
}

/// `row` with its fields in reverse order and `_id` dropped.
fn reversed(row: &Document) -> Document {
    let mut fields: Vec<(String, Bson)> = row
        .iter()
        .filter(|(k, _)| k.as_str() != "_id")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    fields.reverse();
    fields.into_iter().collect()
}

#[test]
fn rows_of_any_shape_liquibase_reads_are_read() {
    let rows = synced_rows("history_rows_source");
    assert_eq!(rows.len(), 2);
    let shaped: Vec<Document> = rows
        .iter()
        .map(|row| {
            let mut row = reversed(row);
            let order = row.get_i32("orderExecuted").expect("an Int32 order");
            row.insert("orderExecuted", Bson::Int64(i64::from(order)));
            row.remove("description");
            row.insert("comments", Bson::Null);
            row.insert("somethingElse", "kept by another tool");
            row
        })
        .collect();
    let p = project_with_rows("history_rows_shapes", shaped);

    p.run_changelog(&["status"])
        .ok()
        .assert_stdout_contains("is up to date");
    let run = p.run(&["history", "--output", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("one JSON document");
    let history = v["history"].as_array().expect("a history array");
    let ids: Vec<&str> = history.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["1", "2"]);
    let orders: Vec<i64> = history
        .iter()
        .filter_map(|r| r["orderExecuted"].as_i64())
        .collect();
    assert_eq!(orders, [1, 2]);
    for (read, written) in history.iter().zip(&rows) {
        assert_eq!(
            read["md5sum"].as_str(),
            written.get_str("md5sum").ok(),
            "{read}"
        );
        assert_eq!(read["execType"], "EXECUTED", "{read}");
    }
}

#[test]
fn a_field_of_the_wrong_type_names_the_row_and_the_field() {
    let rows = synced_rows("history_rows_bad_source");
    let cases: [(&str, Bson, &str); 9] = [
        ("orderExecuted", Bson::String("seven".into()), "\"seven\""),
        ("orderExecuted", Bson::Int64(1 << 40), "1099511627776"),
        ("execType", Bson::String("RUN".into()), "\"RUN\""),
        ("execType", Bson::Int32(5), "\"execType\": 5"),
        ("id", Bson::Null, "\"id\": null"),
        ("fileName", Bson::Int32(1), "\"fileName\": 1"),
        (
            "dateExecuted",
            Bson::String("yesterday".into()),
            "\"yesterday\"",
        ),
        ("md5sum", Bson::Boolean(true), "\"md5sum\": true"),
        ("tag", Bson::Int32(1), "\"tag\": 1"),
    ];
    for (n, (field, value, shown)) in cases.into_iter().enumerate() {
        let mut bad = reversed(&rows[1]);
        bad.insert(field, value);
        let p = project_with_rows(
            &format!("history_rows_bad_{n}"),
            vec![reversed(&rows[0]), bad],
        );
        let run = p.run_changelog(&["status"]).failed();
        run.assert_stderr_contains("cannot read `DATABASECHANGELOG`");
        run.assert_stderr_contains(&format!("has an invalid `{field}`"));
        run.assert_stderr_contains(shown);
    }
}
