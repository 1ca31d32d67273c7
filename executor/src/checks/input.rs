//! The checks' input: one JSON document per pending changeset (`docs/checks-input.schema.json`
//! describes it; `lbmongo checks input` prints it).
//!
//! The built-in checks and custom Rego policies read the same document, so a policy author
//! sees exactly what a built-in check sees. Commands come from the lowering `update-sql` uses
//! ([`crate::mongosh::lowered`]), never from a second one, and the rollback from the
//! one `rollback` uses ([`crate::plan::undo_actions`]). BSON values are written as relaxed
//! Extended JSON (`{"$oid": …}`, plain numbers), as mongosh and `update-sql` show them.

use mongodb::bson::{Bson, Document};
use serde_json::{Value, json};

use super::Scope;
use crate::change::Change;
use crate::changelog::{ChangeLog, ChangeSet};
use crate::command::{Command, Db, Preview};
use crate::error::Result;
use crate::executor::Settings;
use crate::history::RanChangeSet;
use crate::plan::{Goal, UndoAction, plan, undo_actions};
use crate::platform::Platform;

/// The version of the input document's shape. A policy can pin it (`input.inputVersion == 1`);
/// it changes only when a field is removed or changes meaning.
pub const INPUT_VERSION: u32 = 1;

/// What the input is built from besides the changelog.
#[derive(Debug, Clone)]
pub(super) struct InputOptions<'a> {
    /// The scope the checks run in.
    pub scope: Scope,
    /// The connection's platform; `None` offline (`"kind": "unknown"`).
    pub platform: Option<&'a Platform>,
    /// The database the URL names: mongosh scripts' `db`. Offline and without a URL, mongosh's
    /// default `test`.
    pub database: &'a str,
    /// The history: changesets it records as run are not pending (empty offline).
    pub ran: &'a [RanChangeSet],
}

/// One input document per changeset an `update` would run now, in order.
pub(super) fn input(
    changelog: &ChangeLog,
    settings: &Settings,
    options: &InputOptions<'_>,
) -> Result<Vec<Value>> {
    let plan = plan(changelog, options.ran, &settings.filter, &Goal::All)?;
    Ok(plan
        .pending()
        .map(|step| {
            let cs = &changelog.change_sets[step.index()];
            change_set_input(changelog, cs, settings, options)
        })
        .collect())
}

fn change_set_input(
    changelog: &ChangeLog,
    cs: &ChangeSet,
    settings: &Settings,
    options: &InputOptions<'_>,
) -> Value {
    let changes: Vec<Value> = cs
        .changes
        .iter()
        .enumerate()
        .map(|(index, change)| {
            let previews =
                crate::mongosh::lowered(change, &cs.id, options.database, settings.mongosh.native);
            json!({
                "index": index,
                "type": change.name(),
                "collection": change.collection_name(),
                "attributes": attributes(change),
                "commands": commands(&previews),
                "scripts": scripts(&previews),
            })
        })
        .collect();
    let rollback = match (&cs.rollback, undo_actions(changelog, cs)) {
        (Some(_), Ok(actions)) => rollback_json("explicit", &actions, None),
        (Some(_), Err(reason)) => json!({
            "kind": "explicit", "commands": [], "scripts": [], "problem": reason,
        }),
        (None, Ok(actions)) => rollback_json("automatic", &actions, None),
        (None, Err(reason)) => rollback_json("none", &[], Some(reason)),
    };
    let platform = match options.platform {
        Some(p) => json!({
            "kind": p.kind.id(),
            "name": p.kind.name(),
            "version": p.version,
            "transactions": p.transactions,
        }),
        None => json!({ "kind": "unknown", "name": null, "version": null, "transactions": null }),
    };
    json!({
        "inputVersion": INPUT_VERSION,
        "scope": options.scope.name(),
        "changeset": {
            "identifier": cs.id.to_string(),
            "id": cs.id.id,
            "author": cs.id.author,
            "path": cs.id.path,
            "file": cs.physical_path,
            "line": cs.line,
            "labels": cs.labels.values(),
            "context": cs.contexts.text(),
            "comment": cs.comment,
            "runAlways": cs.run_always,
            "runOnChange": cs.run_on_change,
            "runInTransaction": cs.run_in_transaction,
            "failOnError": cs.fail_on_error,
            "dbms": cs.dbms,
            "runWith": cs.run_with,
            "created": cs.created,
        },
        "changes": changes,
        "rollback": rollback,
        "platform": platform,
        // The database scope fills it in (`super::database`); the changelog scope knows no
        // database.
        "database": Value::Null,
    })
}

fn rollback_json(kind: &str, actions: &[UndoAction], reason: Option<String>) -> Value {
    let commands: Vec<Value> = actions
        .iter()
        .filter_map(|a| match a {
            UndoAction::Command(c) => Some(command_json(c)),
            UndoAction::Script(_) => None,
        })
        .collect();
    let scripts: Vec<Value> = actions
        .iter()
        .filter_map(|a| match a {
            UndoAction::Script(change) => crate::mongosh::script_of(change).map(Value::from),
            UndoAction::Command(_) => None,
        })
        .collect();
    json!({ "kind": kind, "commands": commands, "scripts": scripts, "problem": reason })
}

fn commands(previews: &[Preview]) -> Vec<Value> {
    previews
        .iter()
        .filter_map(|p| match p {
            Preview::Command(c) => Some(command_json(c)),
            Preview::Script { .. } => None,
        })
        .collect()
}

fn scripts(previews: &[Preview]) -> Vec<Value> {
    previews
        .iter()
        .filter_map(|p| match p {
            Preview::Script { script, .. } => Some(Value::from(script.as_str())),
            Preview::Command(_) => None,
        })
        .collect()
}

/// One command: where it runs, its name, its body and the line `update-sql` prints for it.
/// A `createIndexes` command also lists each index's key fields in order (`indexFields`):
/// JSON objects in Rego, as in OPA, iterate in sorted key order, and an index's key order is
/// its meaning.
fn command_json(c: &Command) -> Value {
    let mut out = json!({
        "database": match c.db { Db::Url => "url", Db::Admin => "admin" },
        "name": c.name(),
        "body": doc_json(&c.body),
        "text": c.to_js(),
    });
    if c.name() == "createIndexes"
        && let Ok(indexes) = c.body.get_array("indexes")
    {
        let fields: Vec<Value> = indexes
            .iter()
            .map(|i| match i {
                Bson::Document(d) => d
                    .get_document("key")
                    .map(|k| Value::from(k.keys().cloned().collect::<Vec<_>>()))
                    .unwrap_or_else(|_| Value::from(Vec::<String>::new())),
                _ => Value::from(Vec::<String>::new()),
            })
            .collect();
        out["indexFields"] = Value::from(fields);
    }
    out
}

fn doc_json(d: &Document) -> Value {
    Bson::Document(d.clone()).into_relaxed_extjson()
}

/// The change's attributes as written, under liquibase-mongodb's names; JSON-ish ones parsed.
fn attributes(change: &Change) -> Value {
    let opt = |o: &Option<crate::change::Json>| o.as_ref().map(|j| doc_json(j.doc()));
    match change {
        Change::CreateCollection(c) => {
            json!({ "collectionName": c.collection_name, "options": opt(&c.options) })
        }
        Change::DropCollection(c) => json!({ "collectionName": c.collection_name }),
        Change::CreateIndex(c) => json!({
            "collectionName": c.collection_name,
            "keys": doc_json(c.keys.doc()),
            "options": opt(&c.options),
        }),
        Change::DropIndex(c) => {
            json!({ "collectionName": c.collection_name, "keys": doc_json(c.keys.doc()) })
        }
        Change::InsertOne(c) => json!({
            "collectionName": c.collection_name,
            "document": doc_json(c.document.doc()),
            "options": opt(&c.options),
        }),
        Change::InsertMany(c) => json!({
            "collectionName": c.collection_name,
            "documents": c.documents.docs().iter().map(doc_json).collect::<Vec<_>>(),
            "options": opt(&c.options),
        }),
        Change::RunCommand(c) => json!({ "command": doc_json(c.command.doc()) }),
        Change::AdminCommand(c) => json!({ "command": doc_json(c.command.doc()) }),
        Change::Mongo(c) => json!({ "mongo": c.mongo, "dbms": c.dbms }),
        Change::MongoFile(c) => json!({
            "path": c.path,
            "relativeToChangelogFile": c.relative_to_changelog_file,
            "encoding": c.encoding,
            "dbms": c.dbms,
            "script": c.script,
        }),
        Change::TagDatabase(c) => json!({ "tag": c.tag }),
        Change::Empty => json!({}),
        Change::UpdateOne(u) | Change::UpdateMany(u) => json!({
            "collectionName": u.collection_name,
            "filter": doc_json(u.filter.doc()),
            "update": doc_json(u.update.doc()),
            "options": opt(&u.options),
        }),
        Change::DeleteOne(d) | Change::DeleteMany(d) => json!({
            "collectionName": d.collection_name,
            "filter": doc_json(d.filter.doc()),
            "options": opt(&d.options),
        }),
    }
}
