//! The built-in checks. Each reads one input document (`super::input`) and mostly its lowered
//! commands, so it holds for every change type that can send the command: a drop is found in a
//! `dropCollection`, a `runCommand {drop: …}` and a native `db.c.drop()` alike.
//!
//! Ids follow Liquibase Pro's naming where Pro has the same check (`ChangesetLabelCheck`,
//! `ChangesetContextCheck`, `ChangesetCommentCheck`, enabled at INFO as Pro ships them);
//! the MongoDB checks are ours.

use std::sync::LazyLock;

use serde_json::{Value, json};

use super::{CheckSetting, Finding, Severity};

/// A built-in check: what it is and how it is set up by default.
#[derive(Debug)]
pub struct CheckInfo {
    /// Its id, as the settings file and `--check-name` name it.
    pub id: &'static str,
    /// What it finds.
    pub description: &'static str,
    /// Its severity unless the settings file says otherwise.
    pub severity: Severity,
    /// Whether it runs unless the settings file says otherwise.
    pub enabled: bool,
    /// Its parameters.
    pub parameters: &'static [Parameter],
    run: fn(&Value, &CheckSetting) -> Vec<Hit>,
}

/// A parameter of a check.
#[derive(Debug)]
pub struct Parameter {
    /// Its name in the settings file.
    pub name: &'static str,
    /// What it sets.
    pub description: &'static str,
    /// Its default, as JSON text.
    pub default: &'static str,
    pub(super) check: fn(&Value) -> Result<(), String>,
}

/// What a check found, before the changeset's location is attached.
struct Hit {
    message: String,
    hint: String,
}

fn hit(message: String, hint: impl Into<String>) -> Hit {
    Hit {
        message,
        hint: hint.into(),
    }
}

/// The built-in checks, in the order `checks show` lists and `checks run` reports them.
pub static CHECKS: [CheckInfo; 15] = [
    CheckInfo {
        id: "IndexNamingConvention",
        description: "Every index an index build creates is named by the template: `{collection}` is the collection, `{fields}` the key's fields joined by the separator",
        severity: Severity::Major,
        enabled: true,
        parameters: &[
            Parameter {
                name: "template",
                description: "The expected name; `{collection}` and `{fields}` are replaced",
                default: r#""idx_{collection}_{fields}""#,
                check: string,
            },
            Parameter {
                name: "fieldSeparator",
                description: "What joins the key's field names in `{fields}`",
                default: r#""__""#,
                check: string,
            },
        ],
        run: index_naming,
    },
    CheckInfo {
        id: "IndexWithoutName",
        description: "A `createIndex` change (or an index of a `createIndexes` command) without an explicit `name`: the generated name changes whenever the key does",
        severity: Severity::Minor,
        enabled: true,
        parameters: &[],
        run: index_without_name,
    },
    CheckInfo {
        id: "RollbackRequired",
        description: "A changeset without a `<rollback>` block that holds a change with no automatic inverse: `rollback` would refuse it",
        severity: Severity::Minor,
        enabled: true,
        parameters: &[],
        run: rollback_required,
    },
    CheckInfo {
        id: "DropWarn",
        description: "A command that drops a collection, an index or a database, sent by any change type (including `runCommand`, `adminCommand` and mongosh scripts)",
        severity: Severity::Major,
        enabled: true,
        parameters: &[],
        run: drop_warn,
    },
    CheckInfo {
        id: "UnfilteredWrite",
        description: "An update of many documents or a delete of many documents whose filter is empty: it touches every document of the collection",
        severity: Severity::Critical,
        enabled: true,
        parameters: &[],
        run: unfiltered_write,
    },
    CheckInfo {
        id: "CommandDenyList",
        description: "A command whose name is on the deny list",
        severity: Severity::Blocker,
        enabled: true,
        parameters: &[Parameter {
            name: "commands",
            description: "The denied command names (compared ignoring case)",
            default: r#"["dropDatabase", "shutdown", "setParameter", "fsync", "replSetReconfig", "replSetStepDown", "setFeatureCompatibilityVersion"]"#,
            check: strings,
        }],
        run: command_deny_list,
    },
    CheckInfo {
        id: "ChangesetLabelCheck",
        description: "A changeset without labels",
        severity: Severity::Info,
        enabled: true,
        parameters: &[],
        run: label_required,
    },
    CheckInfo {
        id: "ChangesetContextCheck",
        description: "A changeset without a context",
        severity: Severity::Info,
        enabled: true,
        parameters: &[],
        run: context_required,
    },
    CheckInfo {
        id: "ChangesetCommentCheck",
        description: "A changeset without a comment",
        severity: Severity::Info,
        enabled: true,
        parameters: &[],
        run: comment_required,
    },
    CheckInfo {
        id: "MixedChangeset",
        description: "A changeset that both changes the schema (collections, indexes, validators) and writes documents",
        severity: Severity::Minor,
        enabled: true,
        parameters: &[],
        run: mixed_changeset,
    },
    CheckInfo {
        id: "LargeInsertMany",
        description: "An insert of more documents than the limit in one command: data loads belong in a tool made for them",
        severity: Severity::Minor,
        enabled: true,
        parameters: &[Parameter {
            name: "maxDocuments",
            description: "The most documents one insert may carry",
            default: "1000",
            check: count,
        }],
        run: large_insert_many,
    },
    CheckInfo {
        id: "UniqueIndexDuplicates",
        description: "(database scope) A unique index over a key that existing documents already share: the build would fail",
        severity: Severity::Critical,
        enabled: true,
        parameters: &[],
        run: unique_index_duplicates,
    },
    CheckInfo {
        id: "ValidatorViolations",
        description: "(database scope) A validator set by `collMod` that existing documents violate",
        severity: Severity::Major,
        enabled: true,
        parameters: &[],
        run: validator_violations,
    },
    CheckInfo {
        id: "LargeCollectionIndexBuild",
        description: "(database scope) An index build on a collection holding more documents than the limit",
        severity: Severity::Minor,
        enabled: true,
        parameters: &[Parameter {
            name: "maxDocuments",
            description: "The most documents a collection may hold for an index build in a changeset",
            default: "1000000",
            check: count,
        }],
        run: large_collection_index_build,
    },
    CheckInfo {
        id: "DuplicateIndexKeys",
        description: "(database scope) A new index with the same key as an existing index",
        severity: Severity::Minor,
        enabled: true,
        parameters: &[],
        run: duplicate_index_keys,
    },
];

/// Runs one check over one input document, appending its findings.
pub(super) fn evaluate(
    info: &CheckInfo,
    setting: &CheckSetting,
    doc: &Value,
    out: &mut Vec<Finding>,
) {
    let cs = &doc["changeset"];
    for h in (info.run)(doc, setting) {
        out.push(Finding {
            check: info.id.to_owned(),
            severity: setting.severity,
            message: h.message,
            hint: Some(h.hint),
            changeset: text(&cs["identifier"]).to_owned(),
            file: text(&cs["file"]).to_owned(),
            line: cs["line"].as_u64().and_then(|l| usize::try_from(l).ok()),
        });
    }
}

// ---- parameter checks

fn string(v: &Value) -> Result<(), String> {
    v.as_str()
        .map(drop)
        .ok_or_else(|| "must be a string".to_owned())
}

fn strings(v: &Value) -> Result<(), String> {
    match v.as_array() {
        Some(items) if items.iter().all(Value::is_string) => Ok(()),
        _ => Err("must be an array of strings".to_owned()),
    }
}

fn count(v: &Value) -> Result<(), String> {
    v.as_u64()
        .map(drop)
        .ok_or_else(|| "must be a non-negative integer".to_owned())
}

// ---- reading the input

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// Every command the changeset's changes send, with the change that sends it.
fn commands(doc: &Value) -> impl Iterator<Item = (&Value, &Value)> {
    array(&doc["changes"])
        .iter()
        .flat_map(|change| array(&change["commands"]).iter().map(move |c| (change, c)))
}

/// The mongosh scripts that were not lowered to commands (outside the native subset).
fn scripts(doc: &Value) -> impl Iterator<Item = &str> {
    array(&doc["changes"])
        .iter()
        .flat_map(|change| array(&change["scripts"]).iter().filter_map(Value::as_str))
}

fn is_empty_object(v: &Value) -> bool {
    v.as_object().is_some_and(serde_json::Map::is_empty)
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

// ---- the checks

fn index_naming(doc: &Value, setting: &CheckSetting) -> Vec<Hit> {
    let template = text(&setting.parameters["template"]);
    let separator = text(&setting.parameters["fieldSeparator"]);
    let mut hits = Vec::new();
    for (_, command) in commands(doc) {
        if command["name"] != "createIndexes" {
            continue;
        }
        let body = &command["body"];
        let collection = text(&body["createIndexes"]);
        for index in array(&body["indexes"]) {
            let fields: Vec<&str> = index["key"]
                .as_object()
                .map(|k| k.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let expected = template
                .replace("{collection}", collection)
                .replace("{fields}", &fields.join(separator));
            let name = index["name"].as_str();
            if name != Some(expected.as_str()) {
                hits.push(hit(
                    format!(
                        "index {} on `{collection}` does not follow the naming convention `{template}`: expected `{expected}`",
                        name.map_or("without a name".to_owned(), |n| format!("`{n}`"))
                    ),
                    format!("name the index `{expected}` (its `name` option)"),
                ));
            }
        }
    }
    hits
}

fn index_without_name(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    let mut hits = Vec::new();
    for change in array(&doc["changes"]) {
        let unnamed: Vec<(String, String)> = match text(&change["type"]) {
            "createIndex" => {
                let a = &change["attributes"];
                if a["options"]["name"].is_string() {
                    continue;
                }
                vec![(text(&a["collectionName"]).to_owned(), compact(&a["keys"]))]
            }
            // The command as written: the server refuses an unnamed index there, but say so
            // before anything runs.
            "runCommand" | "adminCommand" => {
                let command = &change["attributes"]["command"];
                array(&command["indexes"])
                    .iter()
                    .filter(|_| command.get("createIndexes").is_some())
                    .filter(|i| !i["name"].is_string())
                    .map(|i| {
                        (
                            text(&command["createIndexes"]).to_owned(),
                            compact(&i["key"]),
                        )
                    })
                    .collect()
            }
            _ => continue,
        };
        for (collection, keys) in unnamed {
            hits.push(hit(
                format!("index on `{collection}` with keys `{keys}` has no explicit name"),
                "give it a `name` in its options: a generated name changes with the key, and `dropIndex` and policies need a stable one",
            ));
        }
    }
    hits
}

fn rollback_required(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    let rollback = &doc["rollback"];
    if rollback["kind"] != "none" {
        return Vec::new();
    }
    vec![hit(
        format!(
            "changeset has no rollback: {}",
            rollback["problem"]
                .as_str()
                .unwrap_or("a change has no automatic inverse")
        ),
        "add a `<rollback>` block (`rollback:` in YAML/JSON, `/* liquibase rollback */` in a formatted mongosh file); an empty one only removes the history row",
    )]
}

/// The command names that drop something, and what they drop.
fn dropped(command: &Value) -> Option<String> {
    let body = &command["body"];
    match text(&command["name"]) {
        "drop" => Some(format!("collection `{}`", text(&body["drop"]))),
        "dropIndexes" | "deleteIndexes" => {
            let name = text(&command["name"]);
            Some(format!(
                "index `{}` of `{}`",
                body["index"]
                    .as_str()
                    .map_or_else(|| compact(&body["index"]), str::to_owned),
                text(&body[name])
            ))
        }
        "dropSearchIndex" => Some(format!(
            "search index `{}` of `{}`",
            text(&body["name"]),
            text(&body["dropSearchIndex"])
        )),
        "dropDatabase" => Some(match command["database"].as_str() {
            Some("admin") => "database `admin`".to_owned(),
            _ => "the database".to_owned(),
        }),
        "renameCollection" if body["dropTarget"] == json!(true) => Some(format!(
            "collection `{}` (renameCollection with dropTarget)",
            text(&body["to"])
        )),
        _ => None,
    }
}

fn drop_warn(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    const HINT: &str = "a drop loses data that no rollback brings back: back it up first, or make sure it is no longer needed";
    let mut hits: Vec<Hit> = commands(doc)
        .filter_map(|(change, command)| {
            dropped(command).map(|what| {
                hit(
                    format!(
                        "`{}` (in a `{}` change) drops {what}",
                        text(&command["name"]),
                        text(&change["type"])
                    ),
                    HINT,
                )
            })
        })
        .collect();
    // A script outside the native subset runs through mongosh and has no lowered commands:
    // its text is all there is to read.
    static PATTERN: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"\.(drop|dropDatabase|dropIndex|dropIndexes)\s*\(")
            .expect("a valid pattern")
    });
    for script in scripts(doc) {
        if let Some(m) = PATTERN.find(script) {
            hits.push(hit(
                format!(
                    "a mongosh script calls `{}`",
                    m.as_str().trim_end_matches('(').trim()
                ),
                HINT,
            ));
        }
    }
    hits
}

fn unfiltered_write(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (_, command) in commands(doc) {
        let body = &command["body"];
        match text(&command["name"]) {
            "update" => {
                for u in array(&body["updates"]) {
                    if u["multi"] == json!(true) && is_empty_object(&u["q"]) {
                        hits.push(hit(
                            format!(
                                "an update of many documents of `{}` has an empty filter: it changes every document",
                                text(&body["update"])
                            ),
                            "give the update a filter that selects only the documents meant",
                        ));
                    }
                }
            }
            "delete" => {
                for d in array(&body["deletes"]) {
                    if d["limit"].as_i64() == Some(0) && is_empty_object(&d["q"]) {
                        hits.push(hit(
                            format!(
                                "a delete of many documents of `{}` has an empty filter: it deletes every document",
                                text(&body["delete"])
                            ),
                            "give the delete a filter that selects only the documents meant (to empty a collection on purpose, drop and recreate it)",
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    hits
}

fn command_deny_list(doc: &Value, setting: &CheckSetting) -> Vec<Hit> {
    let denied: Vec<&str> = array(&setting.parameters["commands"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    commands(doc)
        .filter(|(_, c)| {
            denied
                .iter()
                .any(|d| d.eq_ignore_ascii_case(text(&c["name"])))
        })
        .map(|(change, c)| {
            hit(
                format!(
                    "command `{}` (in a `{}` change) is on the deny list",
                    text(&c["name"]),
                    text(&change["type"])
                ),
                "run it outside the changelog, by an operator, or take it off the `CommandDenyList` `commands` parameter",
            )
        })
        .collect()
}

fn label_required(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    if array(&doc["changeset"]["labels"]).is_empty() {
        vec![hit(
            "changeset has no labels".to_owned(),
            "add `labels` to the changeset",
        )]
    } else {
        Vec::new()
    }
}

fn context_required(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    if doc["changeset"]["context"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        vec![hit(
            "changeset has no context".to_owned(),
            "add `context` to the changeset",
        )]
    } else {
        Vec::new()
    }
}

fn comment_required(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    if doc["changeset"]["comment"]
        .as_str()
        .is_none_or(|c| c.trim().is_empty())
    {
        vec![hit(
            "changeset has no comment".to_owned(),
            "add a `comment` saying why the change is made",
        )]
    } else {
        Vec::new()
    }
}

const SCHEMA_COMMANDS: &[&str] = &[
    "create",
    "createIndexes",
    "drop",
    "dropIndexes",
    "deleteIndexes",
    "collMod",
    "renameCollection",
    "dropDatabase",
    "createSearchIndexes",
    "dropSearchIndex",
];
const WRITE_COMMANDS: &[&str] = &["insert", "update", "delete", "findAndModify", "bulkWrite"];

fn mixed_changeset(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    let names: Vec<&str> = commands(doc).map(|(_, c)| text(&c["name"])).collect();
    let schema: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| SCHEMA_COMMANDS.contains(n))
        .collect();
    let writes: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| WRITE_COMMANDS.contains(n))
        .collect();
    if schema.is_empty() || writes.is_empty() {
        return Vec::new();
    }
    vec![hit(
        format!(
            "changeset mixes schema changes (`{}`) with document writes (`{}`)",
            schema.join("`, `"),
            writes.join("`, `")
        ),
        "split it in two: only document writes run in a transaction with their history row, and a failure half-way leaves the schema changed and the data partly written",
    )]
}

fn large_insert_many(doc: &Value, setting: &CheckSetting) -> Vec<Hit> {
    let max = setting.parameters["maxDocuments"].as_u64().unwrap_or(1000);
    commands(doc)
        .filter(|(_, c)| c["name"] == "insert")
        .filter_map(|(_, c)| {
            let n = array(&c["body"]["documents"]).len();
            (u64::try_from(n).unwrap_or(u64::MAX) > max).then(|| {
                hit(
                    format!(
                        "an insert into `{}` carries {n} documents, more than {max}",
                        text(&c["body"]["insert"])
                    ),
                    "load bulk data with a data tool (mongoimport, mongorestore) or split it into smaller changesets",
                )
            })
        })
        .collect()
}

// ---- database scope: read `input.database` (null in the changelog scope)

fn unique_index_duplicates(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    array(&doc["database"]["uniqueDuplicates"])
        .iter()
        .map(|d| {
            let groups: Vec<String> = array(&d["groups"])
                .iter()
                .map(|g| format!("{} ({} documents, _id {})", compact(&g["key"]), g["count"], compact(&g["ids"])))
                .collect();
            hit(
                format!(
                    "unique index `{}` on `{}`: existing documents share its key: {}",
                    text(&d["index"]),
                    text(&d["collection"]),
                    groups.join("; ")
                ),
                "remove or merge the duplicates first (in an earlier changeset), or make the index non-unique",
            )
        })
        .collect()
}

fn validator_violations(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    array(&doc["database"]["validatorViolations"])
        .iter()
        .map(|v| {
            hit(
                format!(
                    "the validator set on `{}` rejects {} existing document(s), for example _id {}",
                    text(&v["collection"]),
                    v["count"],
                    compact(&v["exampleId"])
                ),
                "fix those documents first, or set `validationLevel: \"moderate\"` so existing invalid documents may stay",
            )
        })
        .collect()
}

/// Each index a `createIndexes` command builds: the collection, the index and its key fields.
fn index_builds(doc: &Value) -> Vec<(&str, &Value, Vec<&str>)> {
    let mut out = Vec::new();
    for (_, command) in commands(doc) {
        if command["name"] != "createIndexes" || command["database"] != "url" {
            continue;
        }
        let collection = text(&command["body"]["createIndexes"]);
        for (i, index) in array(&command["body"]["indexes"]).iter().enumerate() {
            let fields = array(&command["indexFields"][i])
                .iter()
                .filter_map(Value::as_str)
                .collect();
            out.push((collection, index, fields));
        }
    }
    out
}

fn large_collection_index_build(doc: &Value, setting: &CheckSetting) -> Vec<Hit> {
    let max = setting.parameters["maxDocuments"]
        .as_u64()
        .unwrap_or(1_000_000);
    let mut hits = Vec::new();
    for (collection, index, _) in index_builds(doc) {
        let documents = doc["database"]["collections"][collection]["documents"]
            .as_u64()
            .unwrap_or(0);
        if documents > max {
            hits.push(hit(
                format!(
                    "index `{}` is built on `{collection}`, which holds {documents} documents (more than {max})",
                    text(&index["name"])
                ),
                "build large indexes in a maintenance window, or with a rolling build, outside the changelog",
            ));
        }
    }
    hits
}

fn duplicate_index_keys(doc: &Value, _: &CheckSetting) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (collection, index, fields) in index_builds(doc) {
        let existing = array(&doc["database"]["collections"][collection]["indexes"]);
        for other in existing {
            let other_fields: Vec<&str> = array(&other["keyFields"])
                .iter()
                .filter_map(Value::as_str)
                .collect();
            if other_fields == fields && other["key"] == index["key"] {
                hits.push(hit(
                    format!(
                        "index `{}` on `{collection}` has the same key `{}` as the existing index `{}`",
                        text(&index["name"]),
                        compact(&index["key"]),
                        text(&other["name"])
                    ),
                    "drop the new index from the changeset, or drop the old one if the new one replaces it",
                ));
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    //! Each check over hand-made input documents: the rules alone, without a changelog. The
    //! e2e tests (`tests/e2e/checks.rs`) run them over every changelog format.

    use super::*;
    use crate::checks::ChecksSettings;

    fn doc_with(commands: Value) -> Value {
        json!({
            "changeset": { "identifier": "a.xml::1::t", "file": "a.xml", "line": 3, "labels": [], "context": null, "comment": null },
            "changes": [{ "type": "runCommand", "attributes": {}, "commands": commands, "scripts": [] }],
            "rollback": { "kind": "automatic", "problem": null },
            "database": null,
        })
    }

    fn findings(id: &str, doc: &Value, settings: &ChecksSettings) -> Vec<Finding> {
        let info = CHECKS.iter().find(|c| c.id == id).expect("a check");
        let mut out = Vec::new();
        evaluate(info, &settings.setting(info), doc, &mut out);
        out
    }

    #[test]
    fn each_check_reads_the_lowered_commands() {
        let create = |name: &str| {
            json!([{ "database": "url", "name": "createIndexes", "indexFields": [["b", "a"]],
                "body": { "createIndexes": "c", "indexes": [{ "key": { "b": 1, "a": -1 }, "name": name }] } }])
        };
        let update = |q: Value, multi: bool| {
            json!([{ "database": "url", "name": "update",
                "body": { "update": "c", "updates": [{ "q": q, "u": { "$set": { "x": 1 } }, "multi": multi }] } }])
        };
        let delete = |q: Value, limit: i32| {
            json!([{ "database": "url", "name": "delete",
                "body": { "delete": "c", "deletes": [{ "q": q, "limit": limit }] } }])
        };
        let named =
            |name: &str| json!([{ "database": "admin", "name": name, "body": { name: 1 } }]);
        let defaults = ChecksSettings::default();
        let custom = ChecksSettings::parse(
            r#"{"checks": {"IndexNamingConvention": {"parameters": {"template": "ix-{fields}", "fieldSeparator": "+"}},
                "CommandDenyList": {"parameters": {"commands": ["PING"]}}}}"#,
            "s.json",
        )
        .expect("settings");
        for (id, commands, settings, fires) in [
            (
                "IndexNamingConvention",
                create("idx_c_b__a"),
                &defaults,
                false,
            ),
            (
                "IndexNamingConvention",
                create("idx_c_a__b"),
                &defaults,
                true,
            ),
            ("IndexNamingConvention", create("ix-b+a"), &custom, false),
            ("UnfilteredWrite", update(json!({}), true), &defaults, true),
            (
                "UnfilteredWrite",
                update(json!({}), false),
                &defaults,
                false,
            ),
            (
                "UnfilteredWrite",
                update(json!({ "x": 0 }), true),
                &defaults,
                false,
            ),
            ("UnfilteredWrite", delete(json!({}), 0), &defaults, true),
            ("UnfilteredWrite", delete(json!({}), 1), &defaults, false),
            ("DropWarn", named("dropDatabase"), &defaults, true),
            ("DropWarn", named("ping"), &defaults, false),
            ("CommandDenyList", named("dropDatabase"), &defaults, true),
            ("CommandDenyList", named("ping"), &defaults, false),
            ("CommandDenyList", named("ping"), &custom, true),
            ("MixedChangeset", create("i"), &defaults, false),
        ] {
            let found = findings(id, &doc_with(commands.clone()), settings);
            assert_eq!(!found.is_empty(), fires, "{id} over {commands}: {found:?}");
            for f in found {
                assert_eq!((f.file.as_str(), f.line), ("a.xml", Some(3)));
                assert_eq!(f.changeset, "a.xml::1::t");
            }
        }
    }

    #[test]
    fn a_script_outside_the_subset_is_read_for_drops() {
        let mut doc = doc_with(json!([]));
        doc["changes"][0]["scripts"] = json!(["for (const c of ['a']) db.getCollection(c).drop()"]);
        let found = findings("DropWarn", &doc, &ChecksSettings::default());
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("`.drop`"), "{}", found[0].message);
    }
}
