//! The parsed form of a script of the subset: [`Statement`]s, each a checked helper call
//! ([`Action`]) against a [`Database`], and [`Unsupported`], why and where a script is refused.
//!
//! Data only: the parser builds it, the method checks shape each [`Action`], and lowering turns
//! it into server commands.

use std::fmt;

use mongodb::bson::{Bson, Document};

/// Why a script is outside the native subset, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// 1-based line of the offending text.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is outside the subset, e.g. ``variables are outside the native subset (`x`)``.
    pub message: String,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for Unsupported {}

/// The database a statement addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// `db`: the database of the connection URL.
    Url,
    /// `db.getSiblingDB(name)`.
    Named(String),
}

/// One statement of the subset: what it does and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// 1-based line where the statement starts.
    pub line: usize,
    /// The database it runs against.
    pub database: Database,
    /// What it does.
    pub action: Action,
}

/// The helper calls of the subset, their arguments already checked and shaped as the driver
/// sends them.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `db.createCollection(name, options)`.
    CreateCollection {
        /// The collection.
        name: String,
        /// Options, merged at the top level of `create`.
        options: Document,
    },
    /// `db.createView(name, source, pipeline, {collation})`.
    CreateView {
        /// The view.
        name: String,
        /// The collection or view it reads.
        source: String,
        /// The pipeline stages.
        pipeline: Vec<Bson>,
        /// The only option mongosh passes on.
        collation: Option<Document>,
    },
    /// `db.runCommand(doc)` / `db.runCommand("name")`.
    RunCommand(Document),
    /// `db.adminCommand(doc)`: the command against `admin`.
    AdminCommand(Document),
    /// `db.createUser(user, writeConcern)` and `db.createRole(role, writeConcern)`: the command
    /// as mongosh orders it.
    UserCommand(Document),
    /// `coll.createIndex(…)` / `coll.createIndexes(…)`.
    CreateIndexes {
        /// The collection.
        collection: String,
        /// Index specifications (options, `name`, `key`).
        indexes: Vec<Document>,
        /// `commitQuorum`, when given.
        commit_quorum: Option<Bson>,
    },
    /// `coll.dropIndex(x)` / `coll.dropIndexes(x)`.
    DropIndexes {
        /// The collection.
        collection: String,
        /// A name, a key pattern, a list of names or `"*"`.
        index: Bson,
    },
    /// `coll.insertOne(doc)` / `coll.insertMany(docs)`.
    Insert {
        /// The collection.
        collection: String,
        /// The documents.
        documents: Vec<Document>,
        /// `ordered` (default true).
        ordered: bool,
        /// `bypassDocumentValidation`, `comment`.
        options: Document,
    },
    /// `updateOne`, `updateMany`, `replaceOne`.
    Update {
        /// The collection.
        collection: String,
        /// The update statement (`q`, `u`, `upsert`, `multi`, `hint`, `arrayFilters`,
        /// `collation`).
        statement: Document,
        /// `bypassDocumentValidation`, `let`, `comment`.
        options: Document,
    },
    /// `deleteOne`, `deleteMany`.
    Delete {
        /// The collection.
        collection: String,
        /// The delete statement (`q`, `limit`, `collation`, `hint`).
        statement: Document,
        /// `let`, `comment`.
        options: Document,
    },
    /// `coll.drop()`.
    Drop {
        /// The collection.
        collection: String,
    },
    /// `coll.renameCollection(newName, dropTarget)`.
    Rename {
        /// The collection.
        collection: String,
        /// The new name, in the same database.
        to: String,
        /// Whether an existing target is dropped.
        drop_target: bool,
    },
}
