//! The engine in the pieces Liquibase's SPI needs: the one module the JNI bridge uses, through
//! which Liquibase drives lbmongo one service method at a time.
//!
//! Liquibase owns the flow there (it parses XML and YAML changelogs, decides what runs and calls
//! its `Change`, `LockService` and `ChangeLogHistoryService` SPI), so the bridge needs the engine
//! in smaller pieces than `executor::update`: build one change from the property texts Liquibase
//! parsed, checksum or run it, write one history row from fields Liquibase computed, read a
//! server's version. Each function here calls the engine's own rule (the changelog loader,
//! `CheckSum`, `Change::to_command`, `History`, `expression`); none re-implements one. The
//! mechanisms the SPI drives directly (history, lock, the mongosh runner, the readers of the
//! formats Liquibase has no parser for) are re-exported here, and only here.

use serde_json::{Map, Value};

use crate::change::Change;
use crate::changelog::{ChangeLog, Precondition};
use crate::checksum::CheckSum;
use crate::command::{Command, execute};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::expression::{ContextExpression, Labels, history_contexts, history_labels};
use crate::format::{ReadOptions, read_str};
use crate::history::{ExecType, TrackingOptions};

pub use crate::connection::drop_unset_null_credentials;
pub use crate::executor::{drop_all, tag_unlocked};
pub use crate::format::node::Node;
pub use crate::format::script_file;
pub use crate::format::{Format, normalize_path};
pub use crate::history::{History, NewRow};
pub use crate::lock::{Lock, destroy as destroy_lock, init as init_lock, locked_by};
pub use crate::mongosh::{preview as mongosh_preview, run_change as run_mongosh_change};
pub use crate::mongosh::{run_with_problem, script_of};

/// The formatted mongosh changelog reader (Liquibase has none for `.js`).
pub use crate::format::formatted::read as read_formatted;
/// The JSON changelog reader, for Liquibase's JSON parser (`$rawJson` values become text).
pub use crate::format::json::read as read_json;

/// One change as Liquibase holds it: the change name (`insertOne`) and the text of each
/// property that is set (`collectionName`, `document`, …), already `${}`-expanded by Liquibase.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeSpec {
    /// The change (or precondition) name as written in changelogs.
    pub name: String,
    /// Property names and texts, in the order the caller lists them; unset properties are left
    /// out.
    pub properties: Vec<(String, String)>,
}

/// Builds the change the changelog loader would build from the same property texts, with every
/// check the loader makes (required properties, JSON syntax). Errors name the property.
pub fn change(spec: &ChangeSpec) -> Result<Change> {
    let log = read_one(&change_set_json(vec![single(spec)], None))?;
    log.change_sets
        .into_iter()
        .next()
        .and_then(|cs| cs.changes.into_iter().next())
        .ok_or_else(|| missing(&spec.name))
}

/// The checksum of one change in checksum `version` (`Change.generateCheckSum` inside a
/// Liquibase scope holding that `ChecksumVersion`).
pub fn checksum(spec: &ChangeSpec, version: u32) -> Result<CheckSum> {
    Ok(CheckSum::of_change(&change(spec)?, version))
}

/// Builds one precondition (`collectionExists`, `documentExists`, `expectedDocumentCount`,
/// `indexExists`) from its property texts, as the loader reads it inside `<preConditions>`.
pub fn precondition(spec: &ChangeSpec) -> Result<Precondition> {
    let log = read_one(&change_set_json(vec![empty_change()], Some(single(spec))))?;
    log.change_sets
        .into_iter()
        .next()
        .and_then(|cs| cs.preconditions)
        .and_then(|p| p.checks.into_iter().next())
        .ok_or_else(|| missing(&spec.name))
}

/// What checking a precondition found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It holds.
    Passed,
    /// It does not hold; the message says why (`Collection x does not exist`).
    Failed(String),
    /// It could not be checked (the server refused); the message says why.
    Errored(String),
}

/// Checks one precondition against the connection's database with the engine's own evaluation.
/// `changeSetExecuted` is Liquibase's to check and is not expected here.
pub async fn check_precondition(connection: &Connection, precondition: &Precondition) -> Verdict {
    match crate::executor::evaluate(connection, precondition, "", &[]).await {
        Ok(None) => Verdict::Passed,
        Ok(Some(message)) => Verdict::Failed(message),
        Err(message) => Verdict::Errored(message),
    }
}

/// Runs one change against the connection's database; returns the documents affected as
/// liquibase-mongodb counts them (`n` of the response). Changes that send nothing return 0.
pub async fn execute_change(connection: &Connection, change: &Change) -> Result<i64> {
    match change.to_command() {
        Some(command) => {
            let response = execute(&connection.client, &connection.database, &command).await?;
            Ok(crate::execute::rows_affected(&response))
        }
        None => Ok(0),
    }
}

/// Runs the automatic inverse of a change (rollback without a `<rollback>` block).
pub async fn rollback_change(connection: &Connection, change: &Change) -> Result<()> {
    let command = change.inverse().ok_or_else(|| Error::Config {
        message: format!("`{}` has no automatic rollback", change.name()),
        hint: Some("add a `<rollback>` block to the changeset".to_owned()),
    })?;
    execute(&connection.client, &connection.database, &command)
        .await
        .map(drop)
}

/// The commands a change sends, as `update-sql` prints them (`db.runCommand(…);`), or with
/// `rollback` those of its automatic inverse, as `rollback-sql` prints them.
pub fn preview(change: &Change, rollback: bool) -> Vec<String> {
    let command = if rollback {
        change.inverse()
    } else {
        change.to_command()
    };
    command.iter().map(Command::to_js).collect()
}

/// The `rollback-sql` line for removing a changeset's row (what `History::remove` sends).
pub fn remove_preview(
    connection: &Connection,
    tracking: &TrackingOptions,
    id: &crate::ChangeSetId,
) -> String {
    Command::url(History::new(connection, tracking.clone()).remove_command(id)).to_js()
}

/// Writes one history row: a `RERAN` updates the changeset's existing row, anything else is
/// inserted (as liquibase-mongodb's `MongoHistoryService.markChangeSetRun`).
pub async fn record(
    connection: &Connection,
    tracking: &TrackingOptions,
    row: &NewRow,
) -> Result<()> {
    let history = History::new(connection, tracking.clone());
    if row.exec_type == ExecType::Reran {
        history.update_reran(row).await
    } else {
        history.insert(row).await
    }
}

/// The `update-sql` lines for the tracking-collection setup a write would do on this database
/// (the same lines `lbmongo update-sql` starts with), computed without writing.
pub async fn setup_preview(
    connection: &Connection,
    tracking: &TrackingOptions,
) -> Result<Vec<String>> {
    let settings = crate::executor::Settings {
        tracking: tracking.clone(),
        ..Default::default()
    };
    let previews = crate::executor::setup_preview(connection, &settings).await?;
    Ok(previews
        .iter()
        .filter_map(|p| match p {
            crate::command::Preview::Command(c) => Some(c.to_js()),
            crate::command::Preview::Script { .. } => None,
        })
        .collect())
}

/// The `update-sql` line for recording a row (what [`record`] would send).
pub fn record_preview(connection: &Connection, tracking: &TrackingOptions, row: &NewRow) -> String {
    let history = History::new(connection, tracking.clone());
    let body = if row.exec_type == ExecType::Reran {
        history.update_reran_command(row)
    } else {
        history.insert_command(row)
    };
    Command::url(body).to_js()
}

/// The `update-sql` line for taking (`acquire`) or releasing the lock as `locked_by`.
pub fn lock_preview(tracking: &TrackingOptions, locked_by: &str, acquire: bool) -> String {
    let body = if acquire {
        crate::lock::acquire_command(&tracking.lock_collection, locked_by)
    } else {
        crate::lock::release_command(&tracking.lock_collection, locked_by)
    };
    Command::url(body).to_js()
}

/// The history `contexts` and `labels` fields for a changeset whose own context expression,
/// inherited context expressions (innermost first) and labels are given as written.
pub fn history_fields(
    contexts: Option<&str>,
    inherited_contexts: &[String],
    labels: Option<&str>,
) -> (Option<String>, Option<String>) {
    let inherited: Vec<ContextExpression> = inherited_contexts
        .iter()
        .map(|c| ContextExpression::new(Some(c)))
        .collect();
    (
        history_contexts(&ContextExpression::new(contexts), &inherited),
        history_labels(&Labels::new(labels), &[]),
    )
}

/// `{"<name>": {"<property>": "<text>", …}}`.
fn single(spec: &ChangeSpec) -> Value {
    let properties: Map<String, Value> = spec
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut outer = Map::new();
    outer.insert(spec.name.clone(), Value::Object(properties));
    Value::Object(outer)
}

fn empty_change() -> Value {
    let mut outer = Map::new();
    outer.insert("empty".to_owned(), Value::Object(Map::new()));
    Value::Object(outer)
}

/// A one-changeset JSON changelog holding `changes` and optionally one precondition, the form
/// in which the loader's own change and precondition rules are applied.
fn change_set_json(changes: Vec<Value>, precondition: Option<Value>) -> String {
    let mut change_set = Map::new();
    change_set.insert("id".to_owned(), Value::String("1".to_owned()));
    change_set.insert("author".to_owned(), Value::String("lbmongo".to_owned()));
    if let Some(p) = precondition {
        change_set.insert("preConditions".to_owned(), Value::Array(vec![p]));
    }
    change_set.insert("changes".to_owned(), Value::Array(changes));
    let mut entry = Map::new();
    entry.insert("changeSet".to_owned(), Value::Object(change_set));
    let mut root = Map::new();
    root.insert(
        "databaseChangeLog".to_owned(),
        Value::Array(vec![Value::Object(entry)]),
    );
    Value::Object(root).to_string()
}

/// Reads the in-memory changelog. Liquibase has already expanded `${}` in the texts, so the
/// changelog parameters hold only the built-ins.
fn read_one(text: &str) -> Result<ChangeLog> {
    read_str(text, "liquibase-change.json", &ReadOptions::default()).map_err(strip_site)
}

/// The loader names the in-memory file and changeset in each problem; the caller (Liquibase)
/// names the real ones, so only the messages are kept.
fn strip_site(error: Error) -> Error {
    match error {
        Error::Invalid(problems) => Error::Config {
            message: problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
            hint: problems.iter().find_map(|p| p.hint.clone()),
        },
        other => other,
    }
}

fn missing(name: &str) -> Error {
    Error::Config {
        message: format!("`{name}` was not read"),
        hint: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, properties: &[(&str, &str)]) -> ChangeSpec {
        ChangeSpec {
            name: name.to_owned(),
            properties: properties
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn checksums_equal_the_values_liquibase_stored() {
        // Values observed with Liquibase 4.33.0 + liquibase-mongodb 4.33.0.1
        // (notes/liquibase-observed.md §5).
        let cases = [
            (
                spec("adminCommand", &[("command", "{ buildInfo: 1 }")]),
                "9:2a659bf380005d42308e0616959f69c1",
            ),
            (
                spec("runCommand", &[("command", "{ create: \"scratch\" }")]),
                "9:2bab1e323b06e1d418909e460c0dee17",
            ),
            (
                spec("dropCollection", &[("collectionName", "scratch")]),
                "9:6a27b6df40e24b6ad5df1654f5c555c3",
            ),
        ];
        for (s, expected) in cases {
            let got = checksum(&s, 9).expect("valid change");
            let changeset = CheckSum::compute(&format!("{got}:"));
            assert_eq!(changeset.to_string(), expected, "{s:?}");
        }
    }

    #[test]
    fn bad_json_names_the_property_and_the_reason() {
        let e = change(&spec(
            "insertOne",
            &[("collectionName", "c"), ("document", "{ a: ")],
        ))
        .expect_err("bad JSON");
        let message = e.to_string();
        assert!(message.contains("insertOne `document`"), "{message}");
        assert!(!message.contains("liquibase-change.json"), "{message}");
    }

    #[test]
    fn missing_required_property_is_reported() {
        let e = change(&spec("createIndex", &[("collectionName", "c")])).expect_err("no keys");
        assert!(e.to_string().contains("`keys`"), "{e}");
    }

    #[test]
    fn preconditions_are_read_with_their_properties() {
        let p = precondition(&spec(
            "expectedDocumentCount",
            &[
                ("collectionName", "towns"),
                ("filter", "{ a: 1 }"),
                ("expectedCount", "3"),
            ],
        ))
        .expect("valid precondition");
        assert!(
            matches!(p, Precondition::ExpectedDocumentCount { ref collection_name, expected_count: 3, .. } if collection_name == "towns"),
            "{p:?}"
        );
    }

    #[test]
    fn history_fields_follow_the_mongo_history_rules() {
        type Case<'a> = (
            Option<&'a str>,
            &'a [String],
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
        );
        let cases: [Case<'_>; 3] = [
            (
                Some("ctxA, ctxB"),
                &[String::new()],
                Some("Label1,LabelTwo"),
                Some("(ctxA, ctxB)"),
                Some("label1,labeltwo"),
            ),
            (None, &[], None, None, None),
            (Some("ctxA"), &[], None, Some("ctxA"), None),
        ];
        for (own, inherited, labels, contexts, label_field) in cases {
            let (c, l) = history_fields(own, inherited, labels);
            assert_eq!(
                (c.as_deref(), l.as_deref()),
                (contexts, label_field),
                "{own:?}"
            );
        }
    }

    #[test]
    fn preview_prints_the_command_as_mongosh() {
        let c = change(&spec("dropCollection", &[("collectionName", "towns")])).expect("valid");
        assert_eq!(
            preview(&c, false),
            ["db.runCommand({\"drop\": \"towns\"});"]
        );
        assert!(preview(&Change::Empty, false).is_empty());
        let create =
            change(&spec("createCollection", &[("collectionName", "towns")])).expect("valid");
        assert_eq!(
            preview(&create, true),
            ["db.runCommand({\"drop\": \"towns\"});"]
        );
    }
}
