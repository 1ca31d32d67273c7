//! `Change -> Command`: pure lowering of changes to MongoDB command documents, and sending one
//! through the engine's execute path ([`crate::execute`]).
//!
//! Lowering follows liquibase-mongodb (spec mongo §2.2–§2.5): everything is a `runCommand` on the
//! URL's database (`adminCommand` on `admin`), options merge at the top level of the command
//! except for `createIndex`, whose options merge into the index spec, and an option key equal to
//! the command name overwrites the value in place.

use mongodb::Client;
use mongodb::bson::{Bson, Document, doc};

use crate::change::{Change, Delete, Json, Update};
use crate::error::Result;
use crate::json::to_relaxed_json;

/// The database a command runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// The database named in the URL.
    Url,
    /// `admin`.
    Admin,
}

/// One server command: its target database and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// Where it runs.
    pub db: Db,
    /// The command document; its first key is the command name.
    pub body: Document,
}

impl Command {
    /// A command against the URL's database.
    pub fn url(body: Document) -> Self {
        Self { db: Db::Url, body }
    }

    /// The command as a mongosh line, as liquibase-mongodb's `toJs` renders statements:
    /// `db.runCommand(<relaxed JSON>);` or `db.adminCommand(<relaxed JSON>);`.
    pub fn to_js(&self) -> String {
        let method = match self.db {
            Db::Url => "runCommand",
            Db::Admin => "adminCommand",
        };
        format!("db.{method}({});", to_relaxed_json(&self.body))
    }

    /// The database it runs against, given the URL's.
    pub fn db_name<'a>(&self, url_db: &'a str) -> &'a str {
        match self.db {
            Db::Url => url_db,
            Db::Admin => "admin",
        }
    }

    /// The command's name (its first key).
    pub fn name(&self) -> &str {
        self.body.keys().next().map_or("", String::as_str)
    }
}

/// One line of a `*-sql` preview.
#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    /// A server command, shown as `db.runCommand(…)` / `db.adminCommand(…)`.
    Command(Command),
    /// A mongosh script of a `mongo`/`mongoFile` change.
    Script {
        /// The changeset it belongs to.
        id: crate::changelog::ChangeSetId,
        /// The script.
        script: String,
    },
}

impl Preview {
    /// The text `update-sql` prints for it, in both tools: a command as mongosh would send it
    /// (`db.runCommand(…);`), a script under a `// mongosh script of changeset …` line.
    pub fn to_text(&self) -> String {
        match self {
            Preview::Command(c) => c.to_js(),
            Preview::Script { id, script } => {
                format!("// mongosh script of changeset {id}\n{script}")
            }
        }
    }
}

impl Change {
    /// The command this change sends, or `None` for changes that send nothing (`tagDatabase`,
    /// `empty`) or run as a mongosh script (`mongo`, `mongoFile`).
    pub fn to_command(&self) -> Option<Command> {
        let command = match self {
            Change::CreateCollection(c) => Command::url(merged(
                doc! { "create": &c.collection_name },
                c.options.as_ref(),
            )),
            Change::DropCollection(c) => Command::url(doc! { "drop": &c.collection_name }),
            Change::CreateIndex(c) => {
                // As CreateIndexStatement: the options go into the index spec, after `key`.
                let mut index = merged(doc! { "key": c.keys.doc().clone() }, c.options.as_ref());
                // The `createIndexes` command requires a name, which liquibase-mongodb never
                // supplies (liquibase-mongodb#580: an unnamed createIndex fails on MongoDB);
                // drivers and mongosh generate one from the keys, and so do we. The changelog
                // text, and so the checksum, is untouched.
                if !index.contains_key("name")
                    && let Ok(name) = default_index_name(c.keys.doc())
                {
                    index.insert("name", name);
                }
                Command::url(doc! { "createIndexes": &c.collection_name, "indexes": [index] })
            }
            Change::DropIndex(c) => Command::url(
                doc! { "dropIndexes": &c.collection_name, "index": c.keys.doc().clone() },
            ),
            Change::InsertOne(c) => Command::url(merged(
                doc! { "insert": &c.collection_name, "documents": [c.document.doc().clone()] },
                c.options.as_ref(),
            )),
            Change::InsertMany(c) => {
                let documents: Vec<Bson> = c
                    .documents
                    .docs()
                    .iter()
                    .cloned()
                    .map(Bson::Document)
                    .collect();
                Command::url(merged(
                    doc! { "insert": &c.collection_name, "documents": documents },
                    c.options.as_ref(),
                ))
            }
            Change::RunCommand(c) => Command::url(c.command.doc().clone()),
            Change::AdminCommand(c) => Command {
                db: Db::Admin,
                body: c.command.doc().clone(),
            },
            Change::UpdateOne(u) => update_command(u, false),
            Change::UpdateMany(u) => update_command(u, true),
            Change::DeleteOne(d) => delete_command(d, 1),
            Change::DeleteMany(d) => delete_command(d, 0),
            Change::Mongo(_) | Change::MongoFile(_) | Change::TagDatabase(_) | Change::Empty => {
                return None;
            }
        };
        Some(command)
    }

    /// The automatic inverse of this change, when Liquibase has one.
    ///
    /// As liquibase-mongodb (4.1.1.2+, liquibase-mongodb#38): `createCollection` is undone by
    /// `{drop: name}` and `createIndex` by `dropIndexes`. liquibase-mongodb drops an index by its
    /// key pattern, which fails when several indexes share the pattern (e.g. with different
    /// collations); when the change named the index we drop it by that name instead, which
    /// removes exactly the index the change created.
    pub fn inverse(&self) -> Option<Command> {
        match self {
            Change::CreateCollection(c) => Some(Command::url(doc! { "drop": &c.collection_name })),
            Change::CreateIndex(c) => {
                let index = match c
                    .options
                    .as_ref()
                    .and_then(|o| o.doc().get_str("name").ok())
                {
                    Some(name) => Bson::String(name.to_owned()),
                    None => Bson::Document(c.keys.doc().clone()),
                };
                Some(Command::url(
                    doc! { "dropIndexes": &c.collection_name, "index": index },
                ))
            }
            _ => None,
        }
    }
}

/// The name drivers and mongosh give an index created without one: each key's field and value
/// joined with `_` (`{clientId: 1, type: -1}` is `clientId_1_type_-1`, `{loc: "2dsphere"}` is
/// `loc_2dsphere`), values written as JavaScript's `String(value)` (mongosh's
/// `getIndexName`). `Err` names the first field whose value has no such text that every driver
/// agrees on (a fraction below 1e-6, a boolean, …): such an index needs an explicit name.
pub(crate) fn default_index_name(key: &Document) -> std::result::Result<String, String> {
    let mut parts = Vec::with_capacity(key.len() * 2);
    for (field, value) in key {
        let text = match value {
            Bson::Int32(v) => v.to_string(),
            Bson::Int64(v) => v.to_string(),
            // Rust prints a finite double in this range as JavaScript does (`1`, `-1`, `1.5`).
            Bson::Double(v) if v.is_finite() && (1e-6..1e21).contains(&v.abs()) => v.to_string(),
            Bson::String(s) => s.clone(),
            _ => return Err(field.clone()),
        };
        parts.push(field.clone());
        parts.push(text);
    }
    if parts.is_empty() {
        return Err(String::new());
    }
    Ok(parts.join("_"))
}

/// `{cmd: value}` followed by every option; an option named like the command replaces its
/// value in place (as liquibase-mongodb's `AbstractRunCommandStatement` builds documents).
fn merged(mut base: Document, options: Option<&Json>) -> Document {
    if let Some(options) = options {
        for (key, value) in options.doc() {
            base.insert(key.clone(), value.clone());
        }
    }
    base
}

/// Options of `updateOne`/`updateMany`/`deleteOne`/`deleteMany` that belong to the statement
/// inside `updates`/`deletes`; every other option goes to the top level of the command
/// (`ordered`, `writeConcern`, `bypassDocumentValidation`, `comment`, `let`).
const STATEMENT_OPTIONS: &[&str] = &["upsert", "arrayFilters", "collation", "hint", "sort"];

fn split_options(options: Option<&Json>) -> (Document, Document) {
    let mut statement = Document::new();
    let mut top = Document::new();
    if let Some(options) = options {
        for (key, value) in options.doc() {
            let target = if STATEMENT_OPTIONS.contains(&key.as_str()) {
                &mut statement
            } else {
                &mut top
            };
            target.insert(key.clone(), value.clone());
        }
    }
    (statement, top)
}

fn update_command(u: &Update, multi: bool) -> Command {
    let (statement_options, top) = split_options(u.options.as_ref());
    let update = match u.update.doc().get("$pipeline") {
        // A pipeline update is written `{$pipeline: [...]}` in the changelog, since the JSON
        // properties hold documents; the server takes the bare array.
        Some(Bson::Array(stages)) if u.update.doc().len() == 1 => Bson::Array(stages.clone()),
        _ => Bson::Document(u.update.doc().clone()),
    };
    let mut statement = doc! { "q": u.filter.doc().clone(), "u": update, "multi": multi };
    statement.extend(statement_options);
    let mut body = doc! { "update": &u.collection_name, "updates": [statement] };
    body.extend(top);
    Command::url(body)
}

fn delete_command(d: &Delete, limit: i32) -> Command {
    let (statement_options, top) = split_options(d.options.as_ref());
    let mut statement = doc! { "q": d.filter.doc().clone(), "limit": limit };
    statement.extend(statement_options);
    let mut body = doc! { "delete": &d.collection_name, "deletes": [statement] };
    body.extend(top);
    Command::url(body)
}

/// Sends one change's command and checks the response, through the engine's one execute path
/// ([`crate::execute`]).
///
/// As liquibase-mongodb's `AbstractRunCommandStatement.checkResponse`: `ok` must be 1 and
/// `writeErrors` empty, else `Command failed. The full response is <json>`. We also refuse a
/// `writeConcernError`, which the extension ignores: the write may not be durable.
pub(crate) async fn execute(client: &Client, url_db: &str, command: &Command) -> Result<Document> {
    crate::execute::run_command(client, command.db_name(url_db), command.body.clone()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::{
        AdminCommand, CreateCollection, CreateIndex, DropCollection, DropIndex, InsertMany,
        InsertOne, JsonArray, RunCommand, TagDatabase,
    };

    fn json(text: &str) -> Json {
        Json::from_text(text).expect("valid json")
    }

    #[test]
    fn lowering_follows_liquibase_mongodb() {
        let cases: Vec<(Change, Option<(Db, Document)>)> = vec![
            (
                Change::CreateCollection(CreateCollection {
                    collection_name: "towns".into(),
                    options: Some(json("{capped: true, size: 1024, create: 'renamed'}")),
                }),
                Some((
                    Db::Url,
                    doc! { "create": "renamed", "capped": true, "size": 1024 },
                )),
            ),
            (
                Change::DropCollection(DropCollection {
                    collection_name: "towns".into(),
                }),
                Some((Db::Url, doc! { "drop": "towns" })),
            ),
            (
                Change::CreateIndex(CreateIndex {
                    collection_name: "c".into(),
                    keys: json("{ name: 1, type: -1 }"),
                    options: Some(json("{unique: true, name: 'ui_c'}")),
                }),
                Some((
                    Db::Url,
                    doc! { "createIndexes": "c", "indexes": [
                        { "key": { "name": 1, "type": -1 }, "unique": true, "name": "ui_c" }
                    ] },
                )),
            ),
            (
                Change::DropIndex(DropIndex {
                    collection_name: "c".into(),
                    keys: json("{a: 1}"),
                }),
                Some((Db::Url, doc! { "dropIndexes": "c", "index": { "a": 1 } })),
            ),
            (
                Change::InsertOne(InsertOne {
                    collection_name: "p".into(),
                    document: json("{id: 111}"),
                    options: Some(json("{bypassDocumentValidation: true}")),
                }),
                Some((
                    Db::Url,
                    doc! { "insert": "p", "documents": [{ "id": 111 }], "bypassDocumentValidation": true },
                )),
            ),
            (
                Change::InsertMany(InsertMany {
                    collection_name: "p".into(),
                    documents: JsonArray::from_text("[{a:1},{a:2}]").expect("valid json"),
                    options: None,
                }),
                Some((
                    Db::Url,
                    doc! { "insert": "p", "documents": [{ "a": 1 }, { "a": 2 }] },
                )),
            ),
            (
                Change::RunCommand(RunCommand {
                    command: json("{ buildInfo: 1 }"),
                }),
                Some((Db::Url, doc! { "buildInfo": 1 })),
            ),
            (
                Change::AdminCommand(AdminCommand {
                    command: json("{ buildInfo: 1 }"),
                }),
                Some((Db::Admin, doc! { "buildInfo": 1 })),
            ),
            (
                Change::UpdateMany(Update {
                    collection_name: "p".into(),
                    filter: json("{a: 1}"),
                    update: json("{$set: {b: 2}}"),
                    options: Some(json("{upsert: true, ordered: false}")),
                }),
                Some((
                    Db::Url,
                    doc! { "update": "p", "updates": [
                        { "q": { "a": 1 }, "u": { "$set": { "b": 2 } }, "multi": true, "upsert": true }
                    ], "ordered": false },
                )),
            ),
            (
                Change::DeleteOne(Delete {
                    collection_name: "p".into(),
                    filter: json("{a: 1}"),
                    options: None,
                }),
                Some((
                    Db::Url,
                    doc! { "delete": "p", "deletes": [{ "q": { "a": 1 }, "limit": 1 }] },
                )),
            ),
            (Change::TagDatabase(TagDatabase { tag: "v1".into() }), None),
            (Change::Empty, None),
        ];
        for (change, expected) in cases {
            let actual = change.to_command().map(|c| (c.db, c.body));
            assert_eq!(actual, expected, "{}", change.name());
        }
    }

    #[test]
    fn option_named_like_the_command_keeps_first_position() {
        let change = Change::CreateCollection(CreateCollection {
            collection_name: "a".into(),
            options: Some(json("{validationLevel: 'strict', create: 'b'}")),
        });
        let body = change.to_command().expect("a command").body;
        assert_eq!(
            body.keys().collect::<Vec<_>>(),
            ["create", "validationLevel"]
        );
        assert_eq!(body.get_str("create"), Ok("b"));
    }

    #[test]
    fn unnamed_create_index_gets_the_drivers_default_name() {
        let unnamed = |keys: &str| {
            Change::CreateIndex(CreateIndex {
                collection_name: "c".into(),
                keys: json(keys),
                options: Some(json("{unique: true}")),
            })
            .to_command()
            .expect("a command")
            .body
        };
        assert_eq!(
            unnamed("{clientId: 1, type: -1}"),
            doc! { "createIndexes": "c", "indexes": [
                { "key": { "clientId": 1, "type": -1 }, "unique": true, "name": "clientId_1_type_-1" }
            ] }
        );
        let name = |keys: &str| {
            unnamed(keys).get_array("indexes").expect("indexes")[0]
                .as_document()
                .expect("a spec")
                .get_str("name")
                .map(str::to_owned)
        };
        assert_eq!(name("{loc: '2dsphere'}"), Ok("loc_2dsphere".to_owned()));
        assert_eq!(name("{a: 1.5, 'b.c': 1.0}"), Ok("a_1.5_b.c_1".to_owned()));
        assert_eq!(name("{a: {$numberLong: '-1'}}"), Ok("a_-1".to_owned()));
        // No text every driver agrees on: the server's own error says a name is needed.
        assert!(name("{a: true}").is_err());
    }

    #[test]
    fn create_index_inverse_drops_by_name_when_named_else_by_keys() {
        let named = Change::CreateIndex(CreateIndex {
            collection_name: "c".into(),
            keys: json("{a: 1}"),
            options: Some(json("{name: 'ix_a'}")),
        });
        let unnamed = Change::CreateIndex(CreateIndex {
            collection_name: "c".into(),
            keys: json("{a: 1}"),
            options: None,
        });
        assert_eq!(
            named.inverse().map(|c| c.body),
            Some(doc! { "dropIndexes": "c", "index": "ix_a" })
        );
        assert_eq!(
            unnamed.inverse().map(|c| c.body),
            Some(doc! { "dropIndexes": "c", "index": { "a": 1 } })
        );
        assert_eq!(Change::Empty.inverse(), None);
    }
}
