//! The database scope's part of the input (`"database"`): what the pending changesets will meet,
//! read from the live database and nothing written.
//!
//! For each collection a changeset touches: whether it exists, its document count (the `count`
//! command: collection metadata, cheap on any size), its options and its indexes. For each
//! unique index it builds: a few groups of existing documents that share its key (the build
//! would fail on them). For each validator a `collMod` sets: how many existing documents it
//! rejects and one example `_id`. Every read goes through the engine's execute path.

use std::collections::HashMap;

use mongodb::bson::{Bson, Document, doc};
use serde_json::{Value, json};

use crate::connection::Connection;
use crate::error::Result;
use crate::execute::{read_cursor, run_command};

/// How many groups of duplicates a unique-index finding shows.
const DUPLICATE_GROUPS: i32 = 3;

/// Per-collection facts, read once per run.
#[derive(Default)]
pub(super) struct Cache {
    collections: HashMap<String, Value>,
}

fn bson_of(v: &Value) -> Option<Bson> {
    Bson::try_from(v.clone()).ok()
}

fn json_of(d: &Document) -> Value {
    Bson::Document(d.clone()).into_relaxed_extjson()
}

/// The collections a changeset's commands name (in order, each once).
fn touched(doc: &Value) -> Vec<String> {
    const NAMED_BY: &[&str] = &[
        "createIndexes",
        "collMod",
        "create",
        "drop",
        "dropIndexes",
        "insert",
        "update",
        "delete",
    ];
    let mut out: Vec<String> = Vec::new();
    let changes = doc["changes"].as_array().map_or(&[][..], Vec::as_slice);
    for change in changes {
        for command in change["commands"].as_array().map_or(&[][..], Vec::as_slice) {
            let name = command["name"].as_str().unwrap_or("");
            if command["database"] == "url"
                && NAMED_BY.contains(&name)
                && let Some(c) = command["body"][name].as_str()
                && !out.iter().any(|o| o == c)
            {
                out.push(c.to_owned());
            }
        }
    }
    out
}

async fn collection(connection: &Connection, name: &str) -> Result<Value> {
    let db = &connection.database;
    let listed = read_cursor(
        &connection.client,
        db,
        doc! { "listCollections": 1, "filter": { "name": name } },
    )
    .await?;
    let Some(info) = listed.first() else {
        return Ok(json!({ "exists": false, "documents": 0, "options": {}, "indexes": [] }));
    };
    let options = info
        .get_document("options")
        .map(json_of)
        .unwrap_or_else(|_| json!({}));
    let counted = run_command(&connection.client, db, doc! { "count": name }).await?;
    let documents = match counted.get("n") {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(n)) => format!("{n:.0}").parse().unwrap_or(0),
        _ => 0,
    };
    let indexes: Vec<Value> = read_cursor(
        &connection.client,
        db,
        doc! { "listIndexes": name, "cursor": {} },
    )
    .await?
    .iter()
    .map(|index| {
        let key = index.get_document("key").cloned().unwrap_or_default();
        json!({
            "name": index.get_str("name").unwrap_or(""),
            "key": json_of(&key),
            "keyFields": key.keys().cloned().collect::<Vec<_>>(),
            "unique": index.get_bool("unique").unwrap_or(false),
        })
    })
    .collect();
    Ok(json!({
        "exists": true,
        "documents": documents,
        "options": options,
        "indexes": indexes,
    }))
}

/// Up to [`DUPLICATE_GROUPS`] groups of documents sharing a unique index's key.
async fn duplicates(
    connection: &Connection,
    collection: &str,
    index: &Value,
    fields: &[String],
) -> Result<Vec<Value>> {
    let mut group_id = Document::new();
    for (i, f) in fields.iter().enumerate() {
        group_id.insert(format!("k{i}"), format!("${f}"));
    }
    let mut pipeline = Vec::new();
    // A partial unique index only constrains the documents its filter selects.
    if let Some(Bson::Document(filter)) = bson_of(&index["partialFilterExpression"]) {
        pipeline.push(doc! { "$match": filter });
    }
    pipeline.push(
        doc! { "$group": { "_id": group_id, "count": { "$sum": 1 }, "ids": { "$push": "$_id" } } },
    );
    pipeline.push(doc! { "$match": { "count": { "$gt": 1 } } });
    pipeline.push(doc! { "$sort": { "count": -1 } });
    pipeline.push(doc! { "$limit": DUPLICATE_GROUPS });
    let groups = read_cursor(
        &connection.client,
        &connection.database,
        doc! { "aggregate": collection, "pipeline": pipeline, "cursor": {} },
    )
    .await?;
    Ok(groups
        .iter()
        .map(|g| {
            let id = g.get_document("_id").cloned().unwrap_or_default();
            let mut key = serde_json::Map::new();
            for (i, f) in fields.iter().enumerate() {
                key.insert(
                    f.clone(),
                    id.get(format!("k{i}"))
                        .cloned()
                        .map_or(Value::Null, Bson::into_relaxed_extjson),
                );
            }
            let ids: Vec<Value> = g
                .get_array("ids")
                .map(|ids| ids.iter().take(5).cloned().map(Bson::into_relaxed_extjson).collect())
                .unwrap_or_default();
            json!({ "key": key, "count": g.get("count").cloned().map_or(Value::Null, Bson::into_relaxed_extjson), "ids": ids })
        })
        .collect())
}

/// How many documents a validator rejects, and one of their `_id`s.
async fn violations(
    connection: &Connection,
    collection: &str,
    validator: Document,
) -> Result<(i64, Value)> {
    let rejected = doc! { "$nor": [validator] };
    let counted = crate::execute::count(
        &connection.client,
        &connection.database,
        collection,
        rejected.clone(),
    )
    .await?;
    if counted == 0 {
        return Ok((0, Value::Null));
    }
    let example = read_cursor(
        &connection.client,
        &connection.database,
        doc! { "find": collection, "filter": rejected, "projection": { "_id": 1 }, "limit": 1, "singleBatch": true },
    )
    .await?;
    Ok((
        i64::try_from(counted).unwrap_or(i64::MAX),
        example
            .first()
            .and_then(|d| d.get("_id").cloned())
            .map_or(Value::Null, Bson::into_relaxed_extjson),
    ))
}

/// The `database` part of one input document.
pub(super) async fn snapshot(
    connection: &Connection,
    doc: &Value,
    cache: &mut Cache,
) -> Result<Value> {
    let mut collections = serde_json::Map::new();
    for name in touched(doc) {
        let facts = match cache.collections.get(&name) {
            Some(f) => f.clone(),
            None => {
                let f = collection(connection, &name).await?;
                cache.collections.insert(name.clone(), f.clone());
                f
            }
        };
        collections.insert(name, facts);
    }
    let mut unique_duplicates = Vec::new();
    let mut validator_violations = Vec::new();
    let changes = doc["changes"].as_array().map_or(&[][..], Vec::as_slice);
    for change in changes {
        for command in change["commands"].as_array().map_or(&[][..], Vec::as_slice) {
            let body = &command["body"];
            let name = command["name"].as_str().unwrap_or("");
            let Some(coll) = body[name].as_str() else {
                continue;
            };
            if command["database"] != "url" || collections[coll]["exists"] != true {
                continue;
            }
            match name {
                "createIndexes" => {
                    let indexes = body["indexes"].as_array().map_or(&[][..], Vec::as_slice);
                    for (i, index) in indexes.iter().enumerate() {
                        if index["unique"] != true {
                            continue;
                        }
                        let fields: Vec<String> = command["indexFields"][i]
                            .as_array()
                            .map(|f| {
                                f.iter()
                                    .filter_map(|x| x.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default();
                        let groups = duplicates(connection, coll, index, &fields).await?;
                        if !groups.is_empty() {
                            unique_duplicates.push(json!({
                                "collection": coll,
                                "index": index["name"],
                                "groups": groups,
                            }));
                        }
                    }
                }
                "collMod" => {
                    if let Some(Bson::Document(validator)) = bson_of(&body["validator"]) {
                        let (count, example) = violations(connection, coll, validator).await?;
                        if count > 0 {
                            validator_violations.push(json!({
                                "collection": coll,
                                "count": count,
                                "exampleId": example,
                            }));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(json!({
        "name": connection.database,
        "collections": collections,
        "uniqueDuplicates": unique_duplicates,
        "validatorViolations": validator_violations,
    }))
}
