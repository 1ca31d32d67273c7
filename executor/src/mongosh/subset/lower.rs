//! Lowering: each [`Statement`] becomes the one server command ([`Step`]) the Node.js driver
//! sends for the helper mongosh calls, with how its response is judged ([`Expect`]), and a
//! step's preview as a mongosh line.
//!
//! Pure: lowering cannot fail (every check happened while parsing) and sends nothing.

use mongodb::bson::oid::ObjectId;
use mongodb::bson::{Bson, Document};

use super::statement::{Action, Database, Statement};
use super::values::js_string;
use crate::command::{Command, Db};
use crate::json::to_relaxed_json;

/// How a step's response is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A CRUD write: `ok`, `writeErrors` and `writeConcernError` are checked, as the driver's
    /// write helpers throw on them.
    Write,
    /// Any other command: only a failed command (`ok: 0`) fails, as mongosh's `runCommand`
    /// returns whatever the server answered.
    Command,
    /// `drop`: a missing namespace is success.
    Drop,
}

/// One server command of a lowered script.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// 1-based line of the statement it comes from.
    pub line: usize,
    /// The database it runs against.
    pub database: String,
    /// The command document.
    pub body: Document,
    /// How its response is judged.
    pub expect: Expect,
}

impl Step {
    /// The step as an engine [`Command`], when it targets the URL's database or `admin` (a
    /// sibling database has no `Command` form).
    pub fn to_command(&self, url_db: &str) -> Option<Command> {
        let db = if self.database == url_db {
            Db::Url
        } else if self.database == "admin" {
            Db::Admin
        } else {
            return None;
        };
        Some(Command {
            db,
            body: self.body.clone(),
        })
    }

    /// The step as a mongosh line, for previews: `db.runCommand(…);`,
    /// `db.adminCommand(…);` or `db.getSiblingDB("x").runCommand(…);`.
    pub fn to_js(&self, url_db: &str) -> String {
        match self.to_command(url_db) {
            Some(command) => command.to_js(),
            None => format!(
                "db.getSiblingDB({}).runCommand({});",
                js_string(&self.database),
                to_relaxed_json(&self.body)
            ),
        }
    }
}

/// One statement's command.
pub(super) fn lower_one(statement: &Statement, url_db: &str) -> Step {
    let database = match &statement.database {
        Database::Url => url_db.to_owned(),
        Database::Named(name) => name.clone(),
    };
    let (database, body, expect) = match &statement.action {
        Action::CreateCollection { name, options } => {
            let mut body = Document::new();
            body.insert("create", name.clone());
            for (k, v) in options {
                body.insert(k.clone(), v.clone());
            }
            (database, body, Expect::Command)
        }
        Action::CreateView {
            name,
            source,
            pipeline,
            collation,
        } => {
            let mut body = Document::new();
            body.insert("create", name.clone());
            body.insert("viewOn", source.clone());
            body.insert("pipeline", pipeline.clone());
            if let Some(c) = collation {
                body.insert("collation", c.clone());
            }
            (database, body, Expect::Command)
        }
        Action::RunCommand(body) | Action::UserCommand(body) => {
            (database, body.clone(), Expect::Command)
        }
        Action::AdminCommand(body) => ("admin".to_owned(), body.clone(), Expect::Command),
        Action::CreateIndexes {
            collection,
            indexes,
            commit_quorum,
        } => {
            let mut body = Document::new();
            body.insert("createIndexes", collection.clone());
            body.insert(
                "indexes",
                indexes
                    .iter()
                    .cloned()
                    .map(Bson::Document)
                    .collect::<Vec<_>>(),
            );
            if let Some(q) = commit_quorum {
                body.insert("commitQuorum", q.clone());
            }
            (database, body, Expect::Command)
        }
        Action::DropIndexes { collection, index } => {
            let mut body = Document::new();
            body.insert("dropIndexes", collection.clone());
            body.insert("index", index.clone());
            (database, body, Expect::Command)
        }
        Action::Insert {
            collection,
            documents,
            ordered,
            options,
        } => {
            let mut body = Document::new();
            body.insert("insert", collection.clone());
            let documents: Vec<Bson> = documents
                .iter()
                .map(|d| {
                    let mut d = d.clone();
                    // As the driver's maybeAddIdToDocuments: `_id == null` gets a new ObjectId
                    // (in place: assigning an existing JavaScript property keeps its position).
                    if matches!(d.get("_id"), Some(Bson::Null)) {
                        d.insert("_id", ObjectId::new());
                    }
                    Bson::Document(d)
                })
                .collect();
            body.insert("documents", documents);
            body.insert("ordered", *ordered);
            body.extend(options.clone());
            (database, body, Expect::Write)
        }
        Action::Update {
            collection,
            statement,
            options,
        } => {
            let body = one_statement_write("update", "updates", collection, statement, options);
            (database, body, Expect::Write)
        }
        Action::Delete {
            collection,
            statement,
            options,
        } => {
            let body = one_statement_write("delete", "deletes", collection, statement, options);
            (database, body, Expect::Write)
        }
        Action::Drop { collection } => {
            let mut body = Document::new();
            body.insert("drop", collection.clone());
            (database, body, Expect::Drop)
        }
        Action::Rename {
            collection,
            to,
            drop_target,
        } => {
            // As the driver's RenameOperation: full namespaces, run against `admin`.
            let mut body = Document::new();
            body.insert("renameCollection", format!("{database}.{collection}"));
            body.insert("to", format!("{database}.{to}"));
            body.insert("dropTarget", *drop_target);
            ("admin".to_owned(), body, Expect::Command)
        }
    };
    Step {
        line: statement.line,
        database,
        body,
        expect,
    }
}

/// An `update` or `delete` command carrying one statement, as the driver's `UpdateOperation` and
/// `DeleteOperation` send mongosh's `updateOne`/`updateMany`/`replaceOne`/`deleteOne`/`deleteMany`:
/// `command` and its one-element `statements` list, `ordered: true`, then the call's write options.
fn one_statement_write(
    command: &str,
    statements: &str,
    collection: &str,
    statement: &Document,
    options: &Document,
) -> Document {
    let mut body = Document::new();
    body.insert(command, collection);
    body.insert(statements, vec![Bson::Document(statement.clone())]);
    body.insert("ordered", true);
    body.extend(options.clone());
    body
}
