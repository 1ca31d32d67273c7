//! The mongosh subset that lbmongo runs without mongosh: a parser for scripts made only of `db…`
//! helper calls with literal arguments, and their lowering to server commands.
//!
//! A `mongo`/`mongoFile` change (or a formatted `.js` changeset) holds a mongosh script. Most
//! such scripts are a handful of helper calls — `db.createCollection(…)`,
//! `db.orders.createIndex(…)`, `db.getSiblingDB("x").users.insertMany([…])` — whose effect does
//! not need a JavaScript engine. [`parse`] reads exactly that subset and rejects everything else
//! (variables, loops, functions, `print`, queries whose result is used, unknown helper options)
//! with an [`Unsupported`] that says where and why, before any statement runs. The caller then
//! runs the script through mongosh instead, or fails (`--mongosh-native always`).
//!
//! The meaning of each accepted statement is mongosh 2.12's (its `shell-api` helpers over the
//! Node.js driver 7.x and `js-bson`), so that a script gives the same database either way; the
//! equivalence is pinned by an end-to-end test that runs every subset script both ways. The
//! parts that matter:
//!
//! - Numbers are JavaScript doubles, serialized as js-bson does: an integral value in the Int32
//!   range (and not `-0`) is an Int32, anything else a Double. `NumberLong`, `NumberInt` and
//!   `NumberDecimal` give the other types.
//! - Object keys keep JavaScript's property order: integer-like keys first, ascending, then the
//!   others in the order written; a repeated key keeps its first position and its last value.
//! - Regular expressions keep their source; only the `i` and `m` flags are in the subset (js-bson
//!   writes `g` as `s` and drops `s`, `u` and `y`).
//! - `createIndex` names an unnamed index `<field>_<value>_…` as the driver does, and accepts
//!   only the index options the driver passes on (it silently drops the others).
//! - `insertOne`/`insertMany` replace a `null` `_id` with a new ObjectId, like the driver; a
//!   missing `_id` is left to the server, which puts it first as the driver-generated one ends
//!   up.
//! - `drop()` of a missing collection succeeds, as the driver's `drop` does.
//!
//! Where mongosh would reject a call (a replacement document in `updateOne`, `dropIndex('*')`,
//! an invalid date string) the statement is outside the subset rather than reimplemented.

use std::fmt;
use std::str::FromStr;

use chrono::{LocalResult, NaiveDate, TimeZone};
use mongodb::bson::oid::ObjectId;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, DateTime, Decimal128, Document, Regex, Timestamp};

use crate::command::{Command, Db};
use crate::json::to_relaxed_json;

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

/// Parses `script` if it lies entirely inside the subset.
pub fn parse(script: &str) -> Result<Vec<Statement>, Unsupported> {
    Parser::new(script).script()
}

/// Lowers parsed statements to server commands; `url_db` is the database of the connection URL.
pub fn lower(statements: &[Statement], url_db: &str) -> Vec<Step> {
    statements.iter().map(|s| lower_one(s, url_db)).collect()
}

/// [`parse`], then [`lower`].
pub fn lower_script(script: &str, url_db: &str) -> Result<Vec<Step>, Unsupported> {
    Ok(lower(&parse(script)?, url_db))
}

fn lower_one(statement: &Statement, url_db: &str) -> Step {
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

/// Deepest object/array nesting accepted (the same bound as the lenient JSON parser).
const MAX_DEPTH: usize = crate::json::MAX_DEPTH;

/// Members of mongosh's `Database` (2.12): `db.<member>` is the member, never a collection.
const DATABASE_MEMBERS: &[&str] = &[
    "adminCommand",
    "aggregate",
    "auth",
    "changeUserPassword",
    "checkMetadataConsistency",
    "cloneCollection",
    "cloneDatabase",
    "commandHelp",
    "copyDatabase",
    "createCollection",
    "createEncryptedCollection",
    "createRole",
    "createUser",
    "createView",
    "currentOp",
    "dropAllRoles",
    "dropAllUsers",
    "dropDatabase",
    "dropRole",
    "dropUser",
    "fsyncLock",
    "fsyncUnlock",
    "getCollection",
    "getCollectionInfos",
    "getCollectionNames",
    "getLastError",
    "getLastErrorObj",
    "getLogComponents",
    "getMongo",
    "getName",
    "getProfilingStatus",
    "getReplicationInfo",
    "getRole",
    "getRoles",
    "getSiblingDB",
    "getUser",
    "getUsers",
    "grantPrivilegesToRole",
    "grantRolesToRole",
    "grantRolesToUser",
    "hello",
    "help",
    "hostInfo",
    "isMaster",
    "killOp",
    "listCommands",
    "logout",
    "printCollectionStats",
    "printReplicationInfo",
    "printSecondaryReplicationInfo",
    "printShardingStatus",
    "printSlaveReplicationInfo",
    "revokePrivilegesFromRole",
    "revokeRolesFromRole",
    "revokeRolesFromUser",
    "rotateCertificates",
    "runCommand",
    "serverBits",
    "serverBuildInfo",
    "serverCmdLineOpts",
    "serverStatus",
    "setLogLevel",
    "setProfilingLevel",
    "setSecondaryOk",
    "shutdownServer",
    "sql",
    "stats",
    "updateRole",
    "updateUser",
    "version",
    "watch",
];

/// Members of mongosh's `Collection` (2.12): `coll.<member>` is the member, not a
/// sub-collection.
const COLLECTION_MEMBERS: &[&str] = &[
    "aggregate",
    "analyzeShardKey",
    "bulkWrite",
    "checkMetadataConsistency",
    "compactStructuredEncryptionData",
    "configureQueryAnalyzer",
    "convertToCapped",
    "count",
    "countDocuments",
    "createIndex",
    "createIndexes",
    "createSearchIndex",
    "createSearchIndexes",
    "dataSize",
    "deleteMany",
    "deleteOne",
    "distinct",
    "drop",
    "dropIndex",
    "dropIndexes",
    "dropSearchIndex",
    "ensureIndex",
    "estimatedDocumentCount",
    "exists",
    "explain",
    "find",
    "findAndModify",
    "findOne",
    "findOneAndDelete",
    "findOneAndReplace",
    "findOneAndUpdate",
    "getDB",
    "getFullName",
    "getIndexKeys",
    "getIndexSpecs",
    "getIndexes",
    "getIndices",
    "getMongo",
    "getName",
    "getPlanCache",
    "getSearchIndexes",
    "getShardDistribution",
    "getShardLocation",
    "getShardVersion",
    "help",
    "hideIndex",
    "initializeOrderedBulkOp",
    "initializeUnorderedBulkOp",
    "insert",
    "insertMany",
    "insertOne",
    "isCapped",
    "latencyStats",
    "mapReduce",
    "reIndex",
    "remove",
    "renameCollection",
    "replaceOne",
    "runCommand",
    "stats",
    "storageSize",
    "totalIndexSize",
    "totalSize",
    "unhideIndex",
    "update",
    "updateMany",
    "updateOne",
    "updateSearchIndex",
    "validate",
    "watch",
];

/// `Object.prototype` members, which every JavaScript object answers to.
const OBJECT_MEMBERS: &[&str] = &[
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
];

/// Index options the Node.js driver (7.x `VALID_INDEX_OPTIONS`) passes to the server, and the
/// renamed ones (`version` → `v`, camelCase language options).
const INDEX_OPTIONS: &[&str] = &[
    "background",
    "unique",
    "name",
    "partialFilterExpression",
    "sparse",
    "hidden",
    "expireAfterSeconds",
    "storageEngine",
    "collation",
    "version",
    "weights",
    "default_language",
    "language_override",
    "textIndexVersion",
    "2dsphereIndexVersion",
    "bits",
    "min",
    "max",
    "bucketSize",
    "wildcardProjection",
    "defaultLanguage",
    "languageOverride",
];

/// `createCollection` options the driver refuses to put into `create` (`ILLEGAL_COMMAND_FIELDS`)
/// or treats specially (`encryptedFields` creates more collections).
const CREATE_COLLECTION_REFUSED: &[&str] = &[
    "w",
    "wtimeout",
    "timeoutMS",
    "j",
    "fsync",
    "pkFactory",
    "raw",
    "readPreference",
    "session",
    "readConcern",
    "writeConcern",
    "fieldsAsRaw",
    "useBigInt64",
    "promoteLongs",
    "promoteValues",
    "promoteBuffers",
    "bsonRegExp",
    "serializeFunctions",
    "ignoreUndefined",
    "enableUtf8Validation",
    "encryptedFields",
];

type Res<T> = Result<T, Unsupported>;

/// What a `db…` chain has reached so far.
enum Target {
    Db(Database),
    Collection(Database, String),
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    /// Line numbers are counted forward from here, so that a long script costs one pass.
    counted: (usize, usize),
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        let src = src.strip_prefix('\u{feff}').unwrap_or(src);
        Parser {
            src,
            pos: 0,
            depth: 0,
            counted: (0, 1),
        }
    }

    // -- errors and positions ------------------------------------------------------------------

    fn error_at(&self, pos: usize, message: impl Into<String>) -> Unsupported {
        let before = &self.src[..pos.min(self.src.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit_once('\n')
            .map_or(before, |(_, l)| l)
            .chars()
            .count()
            + 1;
        Unsupported {
            line,
            column,
            message: message.into(),
        }
    }

    fn error(&self, message: impl Into<String>) -> Unsupported {
        self.error_at(self.pos, message)
    }

    fn line(&mut self) -> usize {
        let (from, line) = self.counted;
        let line = if from <= self.pos {
            line + self.src[from..self.pos].matches('\n').count()
        } else {
            self.src[..self.pos].matches('\n').count() + 1
        };
        self.counted = (self.pos, line);
        line
    }

    // -- characters ----------------------------------------------------------------------------

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, what: &str) -> Res<()> {
        self.skip_trivia()?;
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// After an item of an argument list, object or array: a `,` lets the list go on (`false`;
    /// each caller's loop then accepts `close`, as JavaScript allows a trailing comma), `close`
    /// ends it (`true`), anything else is unexpected (`what` names both).
    fn list_ends(&mut self, close: char, what: &str) -> Res<bool> {
        self.skip_trivia()?;
        if self.eat(',') {
            return Ok(false);
        }
        self.expect(close, what)?;
        Ok(true)
    }

    fn unexpected(&self, what: &str) -> Unsupported {
        match self.peek() {
            None => self.error(format!("expected {what}, found the end of the script")),
            Some(c) => self.error(format!("expected {what}, found `{c}`")),
        }
    }

    /// Skips white space and comments; returns whether a line break was among them (for
    /// JavaScript's automatic semicolon insertion).
    fn skip_trivia(&mut self) -> Res<bool> {
        let mut newline = false;
        loop {
            match self.peek() {
                Some(c) if is_line_terminator(c) => {
                    newline = true;
                    self.bump();
                }
                Some(c) if c.is_whitespace() || c == '\u{feff}' => {
                    self.bump();
                }
                Some('/') if self.peek_at(1) == Some('/') => {
                    while self.peek().is_some_and(|c| !is_line_terminator(c)) {
                        self.bump();
                    }
                }
                Some('/') if self.peek_at(1) == Some('*') => {
                    let start = self.pos;
                    self.pos += 2;
                    match self.src[self.pos..].find("*/") {
                        Some(end) => {
                            newline |= self.src[self.pos..self.pos + end]
                                .chars()
                                .any(is_line_terminator);
                            self.pos += end + 2;
                        }
                        None => return Err(self.error_at(start, "unterminated comment")),
                    }
                }
                _ => return Ok(newline),
            }
        }
    }

    fn identifier(&mut self) -> Option<&'a str> {
        let start = self.pos;
        match self.peek() {
            Some(c) if is_ident_start(c) => {
                self.bump();
            }
            _ => return None,
        }
        while self.peek().is_some_and(is_ident_part) {
            self.bump();
        }
        if self.peek() == Some('\\') {
            // Unicode escapes in identifiers are valid JavaScript but nobody writes them.
            return None;
        }
        Some(&self.src[start..self.pos])
    }

    // -- statements ----------------------------------------------------------------------------

    fn script(mut self) -> Res<Vec<Statement>> {
        let mut statements = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.peek().is_none() {
                return Ok(statements);
            }
            if self.eat(';') {
                continue;
            }
            statements.push(self.statement()?);
            let newline = self.skip_trivia()?;
            match self.peek() {
                None => {}
                Some(';') => {
                    self.bump();
                }
                // Automatic semicolon insertion: a line break ends the statement, because the
                // statement parser has already taken every token that could continue it.
                Some(_) if newline => {}
                Some(_) => return Err(self.unexpected("`;` or a line break after the statement")),
            }
        }
    }

    fn statement(&mut self) -> Res<Statement> {
        let start = self.pos;
        let line = self.line();
        let word = self.identifier();
        match word {
            Some("db") => {}
            Some("var" | "let" | "const") => {
                return Err(self.error_at(start, "variables are outside the native subset"));
            }
            Some(
                "for" | "while" | "do" | "if" | "switch" | "try" | "function" | "class" | "return",
            ) => {
                return Err(self.error_at(
                    start,
                    format!(
                        "`{}` is outside the native subset",
                        word.unwrap_or_default()
                    ),
                ));
            }
            Some(other) => {
                return Err(self.error_at(
                    start,
                    format!(
                        "only statements starting with `db` are in the native subset, not `{other}`"
                    ),
                ));
            }
            None => {
                return Err(self.error_at(
                    start,
                    "only statements starting with `db` are in the native subset",
                ));
            }
        }
        let mut target = Target::Db(Database::Url);
        loop {
            self.skip_trivia()?;
            let member_pos = self.pos;
            let member = match self.peek() {
                Some('.') => {
                    self.bump();
                    self.skip_trivia()?;
                    match self.identifier() {
                        Some(name) => name.to_owned(),
                        None => return Err(self.unexpected("a property name after `.`")),
                    }
                }
                Some('[') => {
                    self.bump();
                    self.skip_trivia()?;
                    let name = self.string_literal()?;
                    self.expect(']', "`]`")?;
                    name
                }
                Some('(') => {
                    return Err(self.error("only `db` helper methods can be called"));
                }
                _ => {
                    return Err(self.error_at(
                        member_pos,
                        "the statement does not call a helper (e.g. `db.coll.insertOne(…)`)",
                    ));
                }
            };
            self.skip_trivia()?;
            let call = self.peek() == Some('(');
            target = match (target, call) {
                (Target::Db(database), false) => {
                    collection_property(&member, DATABASE_MEMBERS)
                        .map_err(|m| self.error_at(member_pos, m))?;
                    Target::Collection(database, member)
                }
                (Target::Collection(database, name), false) => {
                    collection_property(&member, COLLECTION_MEMBERS)
                        .map_err(|m| self.error_at(member_pos, m))?;
                    Target::Collection(database, format!("{name}.{member}"))
                }
                (Target::Db(database), true) => {
                    let args = self.arguments()?;
                    match member.as_str() {
                        "getSiblingDB" => {
                            let name = one_string(&args, "getSiblingDB")
                                .map_err(|m| self.error_at(member_pos, m))?;
                            database_name(&name).map_err(|m| self.error_at(member_pos, m))?;
                            Target::Db(Database::Named(name))
                        }
                        "getCollection" => {
                            let name = one_string(&args, "getCollection")
                                .map_err(|m| self.error_at(member_pos, m))?;
                            collection_name(&name).map_err(|m| self.error_at(member_pos, m))?;
                            Target::Collection(database, name)
                        }
                        _ => {
                            let action = database_action(&member, args, &database)
                                .map_err(|m| self.error_at(member_pos, m))?;
                            return self.finish(line, database, action);
                        }
                    }
                }
                (Target::Collection(database, name), true) => {
                    let args = self.arguments()?;
                    let action = collection_action(&member, name, args)
                        .map_err(|m| self.error_at(member_pos, m))?;
                    return self.finish(line, database, action);
                }
            };
        }
    }

    /// After a helper call: the statement must end here (its result is not used).
    fn finish(&mut self, line: usize, database: Database, action: Action) -> Res<Statement> {
        let end = self.pos;
        self.skip_trivia()?;
        if matches!(self.peek(), Some('.' | '(' | '[' | '`')) {
            return Err(self.error("using the result of a helper is outside the native subset"));
        }
        // The caller looks at the trivia again for a line break.
        self.pos = end;
        Ok(Statement {
            line,
            database,
            action,
        })
    }

    fn arguments(&mut self) -> Res<Vec<Bson>> {
        self.parenthesized(Self::value)
    }

    /// `( item, item, … )`, each item read by `item`: JavaScript's argument list, empty or not,
    /// a trailing comma allowed.
    fn parenthesized<T>(&mut self, mut item: impl FnMut(&mut Self) -> Res<T>) -> Res<Vec<T>> {
        self.expect('(', "`(`")?;
        let mut items = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.eat(')') {
                return Ok(items);
            }
            items.push(item(self)?);
            if self.list_ends(')', "`,` or `)`")? {
                return Ok(items);
            }
        }
    }

    // -- values --------------------------------------------------------------------------------

    fn value(&mut self) -> Res<Bson> {
        self.skip_trivia()?;
        let start = self.pos;
        match self.peek() {
            Some('{') => self.object().map(Bson::Document),
            Some('[') => self.array().map(Bson::Array),
            Some('"' | '\'') => self.string_literal().map(Bson::String),
            Some('`') => self.template().map(Bson::String),
            Some('/') => self.regex(),
            Some('-' | '+') => {
                let negative = self.bump() == Some('-');
                self.skip_trivia()?;
                let n = self.number_or_constant()?;
                Ok(js_number(if negative { -n } else { n }))
            }
            Some(c) if c.is_ascii_digit() || c == '.' => Ok(js_number(self.number()?)),
            Some(c) if is_ident_start(c) => {
                let word = self
                    .identifier()
                    .ok_or_else(|| self.error("unsupported identifier"))?;
                match word {
                    "true" => Ok(Bson::Boolean(true)),
                    "false" => Ok(Bson::Boolean(false)),
                    "null" => Ok(Bson::Null),
                    "Infinity" => Ok(Bson::Double(f64::INFINITY)),
                    "NaN" => Ok(Bson::Double(f64::NAN)),
                    "undefined" => Err(self.error_at(
                        start,
                        "`undefined` is outside the native subset; use `null`",
                    )),
                    "new" => {
                        self.skip_trivia()?;
                        let ctor_pos = self.pos;
                        let name = self
                            .identifier()
                            .ok_or_else(|| self.unexpected("a constructor after `new`"))?;
                        self.constructor(name, true, ctor_pos)
                    }
                    "function" | "async" => {
                        Err(self.error_at(start, "functions are outside the native subset"))
                    }
                    name => {
                        self.skip_trivia()?;
                        if self.peek() == Some('(') {
                            self.constructor(name, false, start)
                        } else {
                            Err(self.error_at(
                                start,
                                format!("variables are outside the native subset (`{name}`)"),
                            ))
                        }
                    }
                }
            }
            _ => Err(self.unexpected("a value")),
        }
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn object(&mut self) -> Res<Document> {
        self.enter()?;
        self.bump(); // `{`
        let mut plain: Vec<(String, Bson)> = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.eat('}') {
                break;
            }
            let key_pos = self.pos;
            let key = match self.peek() {
                Some('"' | '\'') => self.string_literal()?,
                Some(c) if c.is_ascii_digit() => {
                    let n = self.number()?;
                    integer_key(n).ok_or_else(|| {
                        self.error_at(
                            key_pos,
                            "only integer numeric keys are in the native subset",
                        )
                    })?
                }
                Some(c) if is_ident_start(c) => self
                    .identifier()
                    .ok_or_else(|| self.error("unsupported key"))?
                    .to_owned(),
                Some('[') => {
                    return Err(self.error("computed keys are outside the native subset"));
                }
                Some('.') => return Err(self.error("spread is outside the native subset")),
                _ => return Err(self.unexpected("a key or `}`")),
            };
            if key == "__proto__" {
                // `{__proto__: x}` sets the prototype in JavaScript; it is not a field.
                return Err(
                    self.error_at(key_pos, "`__proto__` keys are outside the native subset")
                );
            }
            self.skip_trivia()?;
            if !self.eat(':') {
                return Err(self.error("shorthand properties and methods are outside the native subset; write `key: value`"));
            }
            let value = self.value()?;
            // A repeated key keeps its first position and takes the last value.
            match plain.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => plain.push((key, value)),
            }
            if self.list_ends('}', "`,` or `}`")? {
                break;
            }
        }
        self.depth -= 1;
        Ok(js_property_order(plain))
    }

    fn array(&mut self) -> Res<Vec<Bson>> {
        self.enter()?;
        self.bump(); // `[`
        let mut items = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.eat(']') {
                break;
            }
            if self.peek() == Some(',') {
                return Err(self.error("array holes are outside the native subset"));
            }
            items.push(self.value()?);
            if self.list_ends(']', "`,` or `]`")? {
                break;
            }
        }
        self.depth -= 1;
        Ok(items)
    }

    /// A single- or double-quoted string with JavaScript's escapes.
    fn string_literal(&mut self) -> Res<String> {
        let start = self.pos;
        let quote = match self.bump() {
            Some(q @ ('"' | '\'')) => q,
            _ => return Err(self.error_at(start, "expected a string")),
        };
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error_at(start, "unterminated string")),
                Some(c) if c == quote => return Ok(out),
                Some('\\') => self.escape(&mut out)?,
                Some('\n' | '\r') => return Err(self.error_at(start, "unterminated string")),
                Some(c) => out.push(c),
            }
        }
    }

    /// A template literal without substitutions.
    fn template(&mut self) -> Res<String> {
        let start = self.pos;
        self.bump(); // '`'
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error_at(start, "unterminated template literal")),
                Some('`') => return Ok(out),
                Some('$') if self.peek() == Some('{') => {
                    return Err(self.error("template substitutions are outside the native subset"));
                }
                Some('\\') => self.escape(&mut out)?,
                // Template literals normalise CRLF and CR to LF.
                Some('\r') => {
                    self.eat('\n');
                    out.push('\n');
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// One escape sequence after `\` (ECMAScript `EscapeSequence`, no legacy octal).
    fn escape(&mut self, out: &mut String) -> Res<()> {
        let at = self.pos;
        match self.bump() {
            None => Err(self.error_at(at, "unterminated escape")),
            Some('n') => {
                out.push('\n');
                Ok(())
            }
            Some('r') => {
                out.push('\r');
                Ok(())
            }
            Some('t') => {
                out.push('\t');
                Ok(())
            }
            Some('b') => {
                out.push('\u{8}');
                Ok(())
            }
            Some('f') => {
                out.push('\u{c}');
                Ok(())
            }
            Some('v') => {
                out.push('\u{b}');
                Ok(())
            }
            Some('0') if !self.peek().is_some_and(|c| c.is_ascii_digit()) => {
                out.push('\0');
                Ok(())
            }
            Some(c) if c.is_ascii_digit() => {
                Err(self.error_at(at, "octal escapes are outside the native subset"))
            }
            Some('x') => {
                let code = self.hex_digits(2, 2)?;
                out.push(char::from_u32(code).ok_or_else(|| self.error_at(at, "invalid escape"))?);
                Ok(())
            }
            Some('u') => {
                let unit = self.unicode_escape()?;
                if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    if self.src[self.pos..].starts_with("\\u") {
                        self.pos += 2;
                        let low = self.unicode_escape()?;
                        if (0xDC00..0xE000).contains(&low) {
                            let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                            if let Some(c) = char::from_u32(code) {
                                out.push(c);
                                return Ok(());
                            }
                        }
                    }
                    return Err(self.error_at(
                        at,
                        "unpaired surrogate escapes are outside the native subset",
                    ));
                }
                out.push(char::from_u32(unit).ok_or_else(|| {
                    self.error_at(
                        at,
                        "unpaired surrogate escapes are outside the native subset",
                    )
                })?);
                Ok(())
            }
            // A line continuation adds nothing.
            Some('\r') => {
                self.eat('\n');
                Ok(())
            }
            Some(c) if is_line_terminator(c) => Ok(()),
            Some(c) => {
                out.push(c);
                Ok(())
            }
        }
    }

    fn unicode_escape(&mut self) -> Res<u32> {
        if self.eat('{') {
            let code = self.hex_digits(1, 6)?;
            if !self.eat('}') || code > 0x10FFFF {
                return Err(self.error("invalid `\\u{…}` escape"));
            }
            Ok(code)
        } else {
            self.hex_digits(4, 4)
        }
    }

    fn hex_digits(&mut self, min: usize, max: usize) -> Res<u32> {
        let mut value = 0u32;
        let mut count = 0;
        while count < max {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    value = value * 16 + d;
                    count += 1;
                    self.bump();
                }
                None => break,
            }
        }
        if count < min {
            return Err(self.error("invalid hexadecimal escape"));
        }
        Ok(value)
    }

    /// `/source/flags`.
    fn regex(&mut self) -> Res<Bson> {
        let start = self.pos;
        self.bump(); // '/'
        let body_start = self.pos;
        let mut in_class = false;
        loop {
            match self.bump() {
                None => return Err(self.error_at(start, "unterminated regular expression")),
                Some(c) if is_line_terminator(c) => {
                    return Err(self.error_at(start, "unterminated regular expression"));
                }
                Some('\\') => match self.bump() {
                    Some(c) if !is_line_terminator(c) => {}
                    _ => return Err(self.error_at(start, "unterminated regular expression")),
                },
                Some('[') => in_class = true,
                Some(']') => in_class = false,
                Some('/') if !in_class => break,
                Some(_) => {}
            }
        }
        let source = &self.src[body_start..self.pos - 1];
        let flags_start = self.pos;
        while self.peek().is_some_and(is_ident_part) {
            self.bump();
        }
        let flags = &self.src[flags_start..self.pos];
        let mut options = String::new();
        // As js-bson's serializeRegExp: `i`, then `g` written as `s`, then `m`; other flags are
        // dropped. Only `i` and `m` keep their meaning, so only they are in the subset.
        for wanted in ['i', 'm'] {
            if flags.contains(wanted) {
                options.push(wanted);
            }
        }
        let repeated = flags.chars().any(|c| flags.matches(c).count() > 1);
        if repeated || flags.chars().any(|c| !matches!(c, 'i' | 'm')) {
            return Err(self.error_at(
                flags_start,
                format!("regular expression flags other than `i` and `m` are outside the native subset (`{flags}`)"),
            ));
        }
        if source.contains('\0') {
            return Err(self.error_at(start, "NUL in a regular expression"));
        }
        Ok(Bson::RegularExpression(Regex {
            pattern: source.to_owned(),
            options,
        }))
    }

    /// A number literal or `Infinity`/`NaN` after a sign.
    fn number_or_constant(&mut self) -> Res<f64> {
        match self.peek() {
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if is_ident_start(c) => {
                let start = self.pos;
                match self.identifier() {
                    Some("Infinity") => Ok(f64::INFINITY),
                    Some("NaN") => Ok(f64::NAN),
                    _ => Err(self.error_at(
                        start,
                        "a sign applies only to number literals in the native subset",
                    )),
                }
            }
            _ => Err(self.unexpected("a number")),
        }
    }

    /// A numeric literal: decimal (with fraction and exponent), `0x`, `0o` or `0b`.
    fn number(&mut self) -> Res<f64> {
        let start = self.pos;
        let rest = &self.src[self.pos..];
        let radix = match rest.get(..2) {
            Some("0x" | "0X") => Some(16),
            Some("0o" | "0O") => Some(8),
            Some("0b" | "0B") => Some(2),
            _ => None,
        };
        let value = if let Some(radix) = radix {
            self.pos += 2;
            let digits_start = self.pos;
            while self.peek().is_some_and(|c| c.is_digit(radix)) {
                self.bump();
            }
            let digits = &self.src[digits_start..self.pos];
            if digits.is_empty() {
                return Err(self.error_at(start, "invalid number"));
            }
            // Exact for every value a double holds exactly; larger ones round like JavaScript
            // only up to 2^53, so longer literals are refused.
            let v = u64::from_str_radix(digits, radix)
                .ok()
                .filter(|v| *v <= 1 << 53)
                .ok_or_else(|| self.error_at(start, "integer literal beyond 2^53"))?;
            u64_to_f64(v)
        } else {
            let digits = |p: &mut Self| {
                let s = p.pos;
                while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                    p.bump();
                }
                p.pos - s
            };
            let int_start = self.pos;
            let int_len = digits(self);
            if int_len > 1 && self.src[int_start..].starts_with('0') {
                return Err(
                    self.error_at(start, "legacy octal literals are outside the native subset")
                );
            }
            let mut frac_len = 0;
            if self.eat('.') {
                frac_len = digits(self);
            }
            if int_len == 0 && frac_len == 0 {
                return Err(self.error_at(start, "invalid number"));
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                self.bump();
                if !self.eat('+') {
                    self.eat('-');
                }
                if digits(self) == 0 {
                    return Err(self.error_at(start, "invalid number"));
                }
            }
            self.src[start..self.pos]
                .parse::<f64>()
                .map_err(|_| self.error_at(start, "invalid number"))?
        };
        if self.peek().is_some_and(|c| is_ident_part(c) || c == '.') {
            // `1n` (BigInt), `3in`, `1_000`, `1..toString()`.
            return Err(self.error_at(start, "unsupported number literal"));
        }
        Ok(value)
    }

    /// A shell constructor call (`ObjectId(…)`, `ISODate(…)`, `new Date(…)`, …) at `start`.
    fn constructor(&mut self, name: &str, with_new: bool, start: usize) -> Res<Bson> {
        let args = self.constructor_arguments()?;
        let err = |m: String| self.error_at(start, m);
        match name {
            "Date" if !with_new => Err(err(
                "`Date()` without `new` is a string of the current time; use `new Date(…)`"
                    .to_owned(),
            )),
            "Date" => new_date(&args).map(Bson::DateTime).map_err(err),
            "ISODate" => iso_date(&args).map(Bson::DateTime).map_err(err),
            "ObjectId" => match args.as_slice() {
                [] => Ok(Bson::ObjectId(ObjectId::new())),
                [Arg::Str(hex)] if hex.len() == 24 => ObjectId::parse_str(hex)
                    .map(Bson::ObjectId)
                    .map_err(|_| err(format!("`{hex}` is not an ObjectId"))),
                _ => Err(err(
                    "ObjectId takes a 24-digit hexadecimal string".to_owned()
                )),
            },
            "NumberLong" => match args.as_slice() {
                [] => Ok(Bson::Int64(0)),
                [Arg::Str(s)] => parse_integer(s)
                    .map(Bson::Int64)
                    .ok_or_else(|| err(format!("`{s}` is not a 64-bit integer"))),
                [Arg::Num(n)] => exact_i64(*n)
                    .filter(|v| v.unsigned_abs() <= 1 << 53)
                    .map(Bson::Int64)
                    .ok_or_else(|| err("NumberLong takes an integer".to_owned())),
                _ => Err(err("NumberLong takes one integer or string".to_owned())),
            },
            "NumberInt" => {
                let v = match args.as_slice() {
                    [] => Some(0),
                    [Arg::Str(s)] => parse_integer(s),
                    [Arg::Num(n)] => exact_i64(*n),
                    _ => None,
                };
                v.and_then(|v| i32::try_from(v).ok())
                    .map(Bson::Int32)
                    .ok_or_else(|| err("NumberInt takes a 32-bit integer".to_owned()))
            }
            "NumberDecimal" => match args.as_slice() {
                [] => Ok(Bson::Decimal128(decimal("0").map_err(&err)?)),
                [Arg::Str(s)] => decimal(s).map(Bson::Decimal128).map_err(err),
                _ => Err(err(
                    "NumberDecimal takes a string in the native subset".to_owned()
                )),
            },
            "Timestamp" => {
                let (t, i) = match args.as_slice() {
                    [Arg::Num(t)] => (Some(*t), Some(0.0)),
                    [Arg::Num(t), Arg::Num(i)] => (Some(*t), Some(*i)),
                    [Arg::Obj(d)] if d.len() == 2 => (number_field(d, "t"), number_field(d, "i")),
                    _ => (None, None),
                };
                let part =
                    |v: Option<f64>| v.and_then(exact_i64).and_then(|v| u32::try_from(v).ok());
                match (part(t), part(i)) {
                    (Some(time), Some(increment)) => {
                        Ok(Bson::Timestamp(Timestamp { time, increment }))
                    }
                    _ => Err(err(
                        "Timestamp takes `{t: <seconds>, i: <increment>}`".to_owned()
                    )),
                }
            }
            "UUID" => match args.as_slice() {
                [Arg::Str(s)] => {
                    let hex: String = s.chars().filter(|c| *c != '-').collect();
                    hex_bytes(&hex)
                        .filter(|b| b.len() == 16)
                        .map(|bytes| {
                            Bson::Binary(Binary {
                                subtype: BinarySubtype::Uuid,
                                bytes,
                            })
                        })
                        .ok_or_else(|| err(format!("`{s}` is not a UUID")))
                }
                _ => Err(err(
                    "UUID takes a UUID string in the native subset".to_owned()
                )),
            },
            "BinData" => match args.as_slice() {
                [Arg::Num(subtype), Arg::Str(b64)] => {
                    use base64::Engine as _;
                    let subtype = exact_i64(*subtype)
                        .and_then(|s| u8::try_from(s).ok())
                        .ok_or_else(|| err("BinData subtype must be 0–255".to_owned()))?;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map_err(|_| err("BinData takes standard base64".to_owned()))?;
                    Ok(Bson::Binary(Binary {
                        subtype: BinarySubtype::from(subtype),
                        bytes,
                    }))
                }
                _ => Err(err("BinData takes a subtype and a base64 string".to_owned())),
            },
            "MinKey" if args.is_empty() => Ok(Bson::MinKey),
            "MaxKey" if args.is_empty() => Ok(Bson::MaxKey),
            other => Err(err(format!("`{other}(…)` is outside the native subset"))),
        }
    }

    /// Constructor arguments: number literals (signed), strings, and for `Timestamp` a plain
    /// object of numbers.
    fn constructor_arguments(&mut self) -> Res<Vec<Arg>> {
        self.parenthesized(Self::constructor_argument)
    }

    fn constructor_argument(&mut self) -> Res<Arg> {
        Ok(match self.peek() {
            Some('"' | '\'') => Arg::Str(self.string_literal()?),
            Some('{') => match self.value()? {
                Bson::Document(d) => Arg::Obj(d),
                _ => return Err(self.error("unsupported constructor argument")),
            },
            Some('-') => {
                self.bump();
                self.skip_trivia()?;
                Arg::Num(-self.number_or_constant()?)
            }
            Some('+') => {
                self.bump();
                self.skip_trivia()?;
                Arg::Num(self.number_or_constant()?)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => Arg::Num(self.number()?),
            _ => {
                return Err(self.error(
                    "constructor arguments must be number or string literals in the native subset",
                ));
            }
        })
    }
}

/// A literal constructor argument.
enum Arg {
    Num(f64),
    Str(String),
    Obj(Document),
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn is_ident_start(c: char) -> bool {
    c == '$' || c == '_' || c.is_alphabetic()
}

fn is_ident_part(c: char) -> bool {
    is_ident_start(c) || c.is_alphanumeric() || c == '\u{200c}' || c == '\u{200d}'
}

/// A JavaScript number as js-bson serializes it: Int32 when integral, in range and not `-0`,
/// else Double.
fn js_number(n: f64) -> Bson {
    match exact_i64(n).and_then(|v| i32::try_from(v).ok()) {
        Some(v) if !(v == 0 && n.is_sign_negative()) => Bson::Int32(v),
        _ => Bson::Double(n),
    }
}

/// `n` as an i64 when it is integral and within ±2^63.
fn exact_i64(n: f64) -> Option<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63, exact in f64
    if n.is_finite() && n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) {
        // Integral and in range, checked above: the conversion is exact.
        #[allow(clippy::cast_possible_truncation)]
        Some(n as i64)
    } else {
        None
    }
}

fn u64_to_f64(v: u64) -> f64 {
    // Callers pass at most 2^53, which a double holds exactly; the string round trip keeps the
    // lossy-cast lint quiet without an `as`.
    v.to_string().parse().unwrap_or(f64::NAN)
}

fn number_field(d: &Document, key: &str) -> Option<f64> {
    match d.get(key)? {
        Bson::Int32(v) => Some(f64::from(*v)),
        Bson::Double(v) => Some(*v),
        _ => None,
    }
}

/// A plain decimal integer string (optional `-`), as `Long.fromString` reads it.
fn parse_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn decimal(s: &str) -> Result<Decimal128, String> {
    Decimal128::from_str(s).map_err(|_| format!("`{s}` is not a decimal number"))
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

/// The key a numeric literal names: JavaScript's `ToString` of the number, kept to the integers
/// whose string is their plain digits.
fn integer_key(n: f64) -> Option<String> {
    exact_i64(n)
        .filter(|v| (0..1_000_000_000_000_000).contains(v))
        .map(|v| v.to_string())
}

/// JavaScript's property order (`OrdinaryOwnPropertyKeys`): array-index keys ascending, then
/// the other keys in creation order.
fn js_property_order(fields: Vec<(String, Bson)>) -> Document {
    let (mut indexes, others): (Vec<_>, Vec<_>) = fields
        .into_iter()
        .partition(|(k, _)| array_index(k).is_some());
    indexes.sort_by_key(|(k, _)| array_index(k));
    indexes.into_iter().chain(others).collect()
}

/// `Some(n)` when `key` is a canonical array index (`0`…`2^32-2`, no leading zeros).
fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<u32>().ok().filter(|n| *n < u32::MAX)
}

fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// A collection reached by property access (`db.name`, `coll.sub`): mongosh returns the member
/// of that name instead when there is one, and nothing for `_…` names.
fn collection_property(name: &str, members: &[&str]) -> Result<(), String> {
    if members.contains(&name) {
        return Err(format!(
            "`{name}` is a mongosh method, not in the native subset"
        ));
    }
    if OBJECT_MEMBERS.contains(&name) || name.starts_with('_') {
        return Err(format!(
            "`{name}` cannot be reached as a collection; use `db.getCollection(\"{name}\")`"
        ));
    }
    collection_name(name)
}

fn collection_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(['$', '\0']) {
        return Err(format!("invalid collection name `{name}`"));
    }
    Ok(())
}

fn database_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() >= 64 || name.contains(['/', '\\', '.', ' ', '"', '$', '\0']) {
        return Err(format!("invalid database name `{name}`"));
    }
    Ok(())
}

fn one_string(args: &[Bson], method: &str) -> Result<String, String> {
    match args {
        [Bson::String(s)] => Ok(s.clone()),
        _ => Err(format!("`{method}` takes one string")),
    }
}

/// Splits `args` into at most `max` arguments, complaining about more.
fn at_most<'b>(args: &'b [Bson], max: usize, method: &str) -> Result<&'b [Bson], String> {
    if args.len() > max {
        return Err(format!(
            "`{method}` takes at most {max} argument{} in the native subset",
            if max == 1 { "" } else { "s" }
        ));
    }
    Ok(args)
}

fn document_arg(arg: Option<&Bson>, method: &str, what: &str) -> Result<Document, String> {
    match arg {
        Some(Bson::Document(d)) => Ok(d.clone()),
        _ => Err(format!("`{method}` needs {what} as an object")),
    }
}

/// Optional options object; `None` when absent.
fn options_arg(arg: Option<&Bson>, method: &str) -> Result<Document, String> {
    match arg {
        None => Ok(Document::new()),
        Some(Bson::Document(d)) => Ok(d.clone()),
        Some(_) => Err(format!("`{method}` options must be an object")),
    }
}

fn check_options(options: &Document, allowed: &[&str], method: &str) -> Result<(), String> {
    match options.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "option `{k}` of `{method}` is outside the native subset"
        )),
        None => Ok(()),
    }
}

fn bool_option(options: &Document, key: &str, method: &str) -> Result<Option<bool>, String> {
    match options.get(key) {
        None => Ok(None),
        Some(Bson::Boolean(b)) => Ok(Some(*b)),
        Some(_) => Err(format!(
            "option `{key}` of `{method}` must be true or false"
        )),
    }
}

fn database_action(method: &str, args: Vec<Bson>, database: &Database) -> Result<Action, String> {
    match method {
        "createCollection" => {
            let args = at_most(&args, 2, method)?;
            let name = match args.first() {
                Some(Bson::String(s)) => s.clone(),
                _ => return Err("`createCollection` needs the collection name as a string".into()),
            };
            collection_name(&name)?;
            let raw = options_arg(args.get(1), method)?;
            let mut options = Document::new();
            for (k, v) in raw {
                if CREATE_COLLECTION_REFUSED.contains(&k.as_str()) {
                    return Err(format!(
                        "option `{k}` of `createCollection` is outside the native subset"
                    ));
                }
                // As CreateCollectionOperation: null-valued options are left out.
                if v != Bson::Null {
                    options.insert(k, v);
                }
            }
            Ok(Action::CreateCollection { name, options })
        }
        "createView" => {
            let args = at_most(&args, 4, method)?;
            let (name, source) = match (args.first(), args.get(1)) {
                (Some(Bson::String(n)), Some(Bson::String(s))) => (n.clone(), s.clone()),
                _ => return Err("`createView` needs the view and source names as strings".into()),
            };
            collection_name(&name)?;
            let pipeline = match args.get(2) {
                Some(Bson::Array(stages))
                    if stages.iter().all(|s| matches!(s, Bson::Document(_))) =>
                {
                    stages.clone()
                }
                _ => return Err("`createView` needs the pipeline as an array of stages".into()),
            };
            let options = options_arg(args.get(3), method)?;
            check_options(&options, &["collation"], method)?;
            let collation = match options.get("collation") {
                None => None,
                Some(Bson::Document(c)) => Some(c.clone()),
                Some(_) => return Err("`collation` must be an object".into()),
            };
            Ok(Action::CreateView {
                name,
                source,
                pipeline,
                collation,
            })
        }
        "runCommand" | "adminCommand" => {
            let args = at_most(&args, 1, method)?;
            // An empty command name (`runCommand('')`, `{'': 1}`) names no command: the server
            // answers "no such command". It stays outside the subset so that mongosh reports the
            // server's own error, and every lowered statement keeps a command name (found by the
            // `shell_subset` fuzz target).
            let body = match args.first() {
                Some(Bson::String(name)) if !name.is_empty() => {
                    let mut d = Document::new();
                    d.insert(name.clone(), 1);
                    d
                }
                Some(Bson::Document(d)) if d.keys().next().is_some_and(|k| !k.is_empty()) => {
                    d.clone()
                }
                _ => return Err(format!("`{method}` needs a command document or name")),
            };
            Ok(if method == "runCommand" {
                Action::RunCommand(body)
            } else {
                Action::AdminCommand(body)
            })
        }
        "createUser" | "createRole" => {
            let args = at_most(&args, 2, method)?;
            let doc = document_arg(args.first(), method, "the definition")?;
            let write_concern = match args.get(1) {
                None | Some(Bson::Null) => None,
                Some(Bson::Document(w)) => Some(w.clone()),
                Some(_) => {
                    return Err(format!("the write concern of `{method}` must be an object"));
                }
            };
            user_command(method, doc, write_concern, database).map(Action::UserCommand)
        }
        _ => Err(format!("`db.{method}()` is outside the native subset")),
    }
}

/// `createUser`/`createRole` as mongosh builds them (`adaptOptions`, then the command name
/// moved first, write concern and `digestPassword` last).
fn user_command(
    method: &str,
    definition: Document,
    write_concern: Option<Document>,
    database: &Database,
) -> Result<Document, String> {
    let (name_key, required): (&str, &[&str]) = if method == "createUser" {
        ("user", &["user", "roles", "pwd"])
    } else {
        ("role", &["role", "privileges", "roles"])
    };
    if matches!(database, Database::Named(n) if n == "$external") {
        return Err("users of `$external` are outside the native subset".into());
    }
    if let Some(missing) = required.iter().find(|k| !definition.contains_key(**k)) {
        return Err(format!("`{method}` needs `{missing}`"));
    }
    if definition.contains_key(method) {
        return Err(format!("`{method}` must not hold a `{method}` field"));
    }
    let name = match definition.get(name_key) {
        Some(Bson::String(s)) => s.clone(),
        _ => return Err(format!("`{name_key}` of `{method}` must be a string")),
    };
    let mut digest = None;
    let mut command = Document::new();
    command.insert(method, name);
    for (k, v) in definition {
        match k.as_str() {
            k if k == name_key => {}
            "passwordDigestor" if method == "createUser" => match v {
                Bson::String(s) if s == "server" => digest = Some(true),
                _ => {
                    return Err(
                        "only `passwordDigestor: \"server\"` is in the native subset".into(),
                    );
                }
            },
            _ => {
                command.insert(k, v);
            }
        }
    }
    if let Some(w) = write_concern {
        command.insert("writeConcern", w);
    }
    if let Some(d) = digest {
        command.insert("digestPassword", d);
    }
    Ok(command)
}

fn collection_action(method: &str, collection: String, args: Vec<Bson>) -> Result<Action, String> {
    match method {
        "insertOne" => {
            let args = at_most(&args, 2, method)?;
            let document = document_arg(args.first(), method, "the document")?;
            let options = options_arg(args.get(1), method)?;
            check_options(&options, &["bypassDocumentValidation", "comment"], method)?;
            Ok(Action::Insert {
                collection,
                documents: vec![document],
                ordered: true,
                options: write_options(&options, method)?,
            })
        }
        "insertMany" => {
            let args = at_most(&args, 2, method)?;
            let documents: Vec<Document> = match args.first() {
                Some(Bson::Array(items)) if !items.is_empty() && items.len() <= 100_000 => items
                    .iter()
                    .map(|d| match d {
                        Bson::Document(d) => Ok(d.clone()),
                        _ => Err("`insertMany` needs an array of objects".to_owned()),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err("`insertMany` needs a non-empty array of objects".into()),
            };
            let options = options_arg(args.get(1), method)?;
            check_options(
                &options,
                &["ordered", "bypassDocumentValidation", "comment"],
                method,
            )?;
            Ok(Action::Insert {
                collection,
                documents,
                ordered: bool_option(&options, "ordered", method)?.unwrap_or(true),
                options: write_options(&options, method)?,
            })
        }
        "updateOne" | "updateMany" | "replaceOne" => {
            let args = at_most(&args, 3, method)?;
            let filter = document_arg(args.first(), method, "the filter")?;
            let update = args
                .get(1)
                .cloned()
                .ok_or_else(|| format!("`{method}` needs an update"))?;
            let atomic = has_atomic_operators(&update);
            match (method, &update) {
                ("replaceOne", Bson::Document(_)) if !atomic => {}
                ("replaceOne", _) => {
                    return Err(
                        "`replaceOne` needs a replacement document without `$` operators".into(),
                    );
                }
                (_, Bson::Document(_) | Bson::Array(_)) if atomic => {}
                _ => {
                    return Err(format!(
                        "`{method}` needs an update with `$` operators or a pipeline"
                    ));
                }
            }
            let options = options_arg(args.get(2), method)?;
            let mut allowed = vec![
                "upsert",
                "collation",
                "hint",
                "bypassDocumentValidation",
                "let",
                "comment",
            ];
            if method != "replaceOne" {
                allowed.push("arrayFilters");
            }
            check_options(&options, &allowed, method)?;
            // As makeUpdateStatement: q, u, upsert, multi, hint, arrayFilters, collation.
            let mut statement = Document::new();
            statement.insert("q", filter);
            statement.insert("u", update);
            if let Some(upsert) = bool_option(&options, "upsert", method)? {
                statement.insert("upsert", upsert);
            }
            if method == "updateMany" {
                statement.insert("multi", true);
            }
            if let Some(hint) = hint_option(&options, method)? {
                statement.insert("hint", hint);
            }
            match options.get("arrayFilters") {
                None => {}
                Some(Bson::Array(filters)) => {
                    statement.insert("arrayFilters", filters.clone());
                }
                Some(_) => return Err("`arrayFilters` must be an array".into()),
            }
            if let Some(collation) = collation_option(&options)? {
                statement.insert("collation", collation);
            }
            Ok(Action::Update {
                collection,
                statement,
                options: write_options(&options, method)?,
            })
        }
        "deleteOne" | "deleteMany" => {
            let args = at_most(&args, 2, method)?;
            let filter = document_arg(args.first(), method, "the filter")?;
            let options = options_arg(args.get(1), method)?;
            check_options(&options, &["collation", "hint", "let", "comment"], method)?;
            // As makeDeleteStatement: q, limit, collation, hint.
            let mut statement = Document::new();
            statement.insert("q", filter);
            statement.insert("limit", i32::from(method == "deleteOne"));
            if let Some(collation) = collation_option(&options)? {
                statement.insert("collation", collation);
            }
            if let Some(hint) = hint_option(&options, method)? {
                statement.insert("hint", hint);
            }
            Ok(Action::Delete {
                collection,
                statement,
                options: write_options(&options, method)?,
            })
        }
        "createIndex" | "createIndexes" => {
            let args = at_most(&args, 3, method)?;
            let keys: Vec<Document> = match (method, args.first()) {
                ("createIndex", Some(Bson::Document(k))) => vec![k.clone()],
                ("createIndexes", Some(Bson::Array(items))) if !items.is_empty() => items
                    .iter()
                    .map(|k| match k {
                        Bson::Document(k) => Ok(k.clone()),
                        _ => Err("`createIndexes` needs an array of key patterns".to_owned()),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(format!("`{method}` needs key patterns as objects")),
            };
            let options = options_arg(args.get(1), method)?;
            let mut allowed = INDEX_OPTIONS.to_vec();
            allowed.push("commitQuorum");
            check_options(&options, &allowed, method)?;
            let mut commit_quorum = options.get("commitQuorum").cloned();
            if let Some(q) = args.get(2) {
                commit_quorum = Some(q.clone());
            }
            let indexes = keys
                .into_iter()
                .map(|k| index_spec(k, &options))
                .collect::<Result<_, _>>()?;
            Ok(Action::CreateIndexes {
                collection,
                indexes,
                commit_quorum,
            })
        }
        "dropIndex" => {
            let args = at_most(&args, 1, method)?;
            let index = match args.first() {
                Some(Bson::String(s)) if s == "*" => {
                    return Err(
                        "`dropIndex('*')` is refused by mongosh; use `dropIndexes()`".into(),
                    );
                }
                Some(i @ (Bson::String(_) | Bson::Document(_))) => i.clone(),
                _ => return Err("`dropIndex` needs an index name or key pattern".into()),
            };
            Ok(Action::DropIndexes { collection, index })
        }
        "dropIndexes" => {
            let args = at_most(&args, 1, method)?;
            let index = match args.first() {
                None => Bson::String("*".into()),
                Some(i @ (Bson::String(_) | Bson::Document(_))) => i.clone(),
                Some(Bson::Array(names)) if names.iter().all(|n| matches!(n, Bson::String(_))) => {
                    Bson::Array(names.clone())
                }
                _ => return Err("`dropIndexes` needs index names or a key pattern".into()),
            };
            Ok(Action::DropIndexes { collection, index })
        }
        "drop" => {
            at_most(&args, 0, method)?;
            Ok(Action::Drop { collection })
        }
        "renameCollection" => {
            let args = at_most(&args, 2, method)?;
            let to = match args.first() {
                Some(Bson::String(s)) => s.clone(),
                _ => return Err("`renameCollection` needs the new name as a string".into()),
            };
            collection_name(&to)?;
            let drop_target = match args.get(1) {
                None => false,
                Some(Bson::Boolean(b)) => *b,
                Some(_) => return Err("`dropTarget` must be true or false".into()),
            };
            Ok(Action::Rename {
                collection,
                to,
                drop_target,
            })
        }
        _ => Err(format!(
            "`{method}()` on a collection is outside the native subset"
        )),
    }
}

/// The driver's `hasAtomicOperators`: the first key of the document (or of any pipeline
/// stage) starts with `$`.
fn has_atomic_operators(update: &Bson) -> bool {
    match update {
        Bson::Document(d) => d.keys().next().is_some_and(|k| k.starts_with('$')),
        Bson::Array(stages) => stages.iter().any(has_atomic_operators),
        _ => false,
    }
}

/// Top-level write options in the driver's order: `bypassDocumentValidation`, `let`, `comment`.
fn write_options(options: &Document, method: &str) -> Result<Document, String> {
    let mut out = Document::new();
    if let Some(b) = bool_option(options, "bypassDocumentValidation", method)? {
        out.insert("bypassDocumentValidation", b);
    }
    match options.get("let") {
        None => {}
        Some(Bson::Document(l)) => {
            out.insert("let", l.clone());
        }
        Some(_) => return Err("`let` must be an object".into()),
    }
    if let Some(c) = options.get("comment") {
        out.insert("comment", c.clone());
    }
    Ok(out)
}

fn hint_option(options: &Document, method: &str) -> Result<Option<Bson>, String> {
    match options.get("hint") {
        None => Ok(None),
        Some(Bson::String(s)) if !s.is_empty() => Ok(Some(Bson::String(s.clone()))),
        Some(Bson::Document(d)) => Ok(Some(Bson::Document(d.clone()))),
        Some(_) => Err(format!(
            "`hint` of `{method}` must be an index name or key pattern"
        )),
    }
}

fn collation_option(options: &Document) -> Result<Option<Document>, String> {
    match options.get("collation") {
        None => Ok(None),
        Some(Bson::Document(c)) => Ok(Some(c.clone())),
        Some(_) => Err("`collation` must be an object".into()),
    }
}

/// An index specification as mongosh (`{...options, key}`) and the driver's
/// CreateIndexesOperation build it: the options in their order with `version` → `v` and the
/// camelCase language options renamed, then `name` (generated as `<field>_<value>_…` when
/// absent), then `key`.
fn index_spec(key: Document, options: &Document) -> Result<Document, String> {
    if key.is_empty() {
        return Err("an index needs at least one key".into());
    }
    let mut spec = Document::new();
    for (k, v) in options {
        let name = match k.as_str() {
            "commitQuorum" => continue,
            "version" => "v",
            "defaultLanguage" => "default_language",
            "languageOverride" => "language_override",
            other => other,
        };
        spec.insert(name, v.clone());
    }
    if !spec.contains_key("name") {
        let name = crate::command::default_index_name(&key).map_err(|field| {
            format!("index key `{field}` needs a `name` option in the native subset")
        })?;
        spec.insert("name", name);
    }
    spec.insert("key", key);
    Ok(spec)
}

/// `new Date(…)`: no argument (now), milliseconds, an ISO date string with an explicit zone
/// (or a bare date, which JavaScript reads as UTC), or local-time components.
fn new_date(args: &[Arg]) -> Result<DateTime, String> {
    match args {
        [] => Ok(DateTime::now()),
        [Arg::Num(ms)] => millis(*ms),
        [Arg::Str(s)] => parse_iso(s, IsoRules::DateConstructor)
            .ok_or_else(|| format!("`new Date(\"{s}\")` needs an ISO date with a zone (`Z` or `±hh:mm`) in the native subset")),
        [Arg::Num(_), Arg::Num(_), ..] if args.len() <= 7 => {
            let n: Vec<f64> = args
                .iter()
                .map(|a| match a {
                    Arg::Num(n) => Some(*n),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or("`new Date(y, m, …)` takes numbers")?;
            local_date(&n)
        }
        _ => Err("unsupported `new Date(…)` arguments".into()),
    }
}

/// `ISODate(…)` as mongosh's shell-bson defines it.
fn iso_date(args: &[Arg]) -> Result<DateTime, String> {
    match args {
        [] => Ok(DateTime::now()),
        [Arg::Num(ms)] => millis(*ms),
        [Arg::Str(s)] => {
            parse_iso(s, IsoRules::IsoDate).ok_or_else(|| format!("`{s}` is not a valid ISODate"))
        }
        _ => Err("unsupported `ISODate(…)` arguments".into()),
    }
}

fn millis(ms: f64) -> Result<DateTime, String> {
    // ECMAScript TimeClip: at most 8.64e15 ms either way; fractions are not in the subset.
    exact_i64(ms)
        .filter(|v| v.unsigned_abs() <= 8_640_000_000_000_000)
        .map(DateTime::from_millis)
        .ok_or_else(|| "dates take whole milliseconds within ±8.64e15".into())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum IsoRules {
    /// mongosh `ISODate`: separators optional, missing zone is UTC, years 0000–9999.
    IsoDate,
    /// `new Date(string)`: `YYYY-MM-DD` (UTC) or a full date-time with an explicit zone.
    DateConstructor,
}

/// Parses the ISO forms both mongosh and this module agree on; anything unusual is `None`.
fn parse_iso(text: &str, rules: IsoRules) -> Option<DateTime> {
    let b = text.as_bytes();
    let mut i = 0;
    let num = |i: &mut usize, n: usize| -> Option<u32> {
        let s = text.get(*i..*i + n)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *i += n;
        s.parse().ok()
    };
    let sep = |i: &mut usize, c: u8, optional: bool| -> Option<()> {
        if b.get(*i) == Some(&c) {
            *i += 1;
            Some(())
        } else if optional {
            Some(())
        } else {
            None
        }
    };
    let loose = rules == IsoRules::IsoDate;
    let year = num(&mut i, 4)?;
    sep(&mut i, b'-', loose)?;
    let month = num(&mut i, 2)?;
    sep(&mut i, b'-', loose)?;
    let day = num(&mut i, 2)?;
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let (mut hour, mut minute, mut second, mut milli) = (0, 0, 0, 0);
    let mut offset_minutes: i64 = 0;
    if i == b.len() {
        // A bare date is UTC for both.
    } else {
        match b.get(i) {
            Some(b'T') => i += 1,
            Some(b' ') if loose => i += 1,
            _ => return None,
        }
        hour = num(&mut i, 2)?;
        // `:?mm`, then `:?ss`, then `.fff`: in ISODate each separator is optional but belongs
        // to the digits after it; `new Date` needs `:mm` and allows `:ss`.
        let digits_follow = |i: usize| {
            let at = if b.get(i) == Some(&b':') { i + 1 } else { i };
            let colon = at != i;
            let digit = b.get(at).is_some_and(u8::is_ascii_digit);
            (digit && (colon || loose), at)
        };
        let (has_minutes, at) = digits_follow(i);
        if has_minutes {
            i = at;
            minute = num(&mut i, 2)?;
            let (has_seconds, at) = digits_follow(i);
            if has_seconds {
                i = at;
                second = num(&mut i, 2)?;
                if b.get(i) == Some(&b'.') {
                    i += 1;
                    let start = i;
                    while b.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                    let digits = &text[start..i];
                    if digits.is_empty() || digits.len() > 3 {
                        return None;
                    }
                    milli = format!("{digits:0<3}").parse().ok()?;
                }
            }
        } else if !loose {
            return None;
        }
        match b.get(i) {
            None if loose => {}
            None => return None,
            Some(b'Z') => i += 1,
            Some(sign @ (b'+' | b'-')) => {
                let negative = *sign == b'-';
                i += 1;
                let h = num(&mut i, 2)?;
                sep(&mut i, b':', loose)?;
                let m = num(&mut i, 2)?;
                if h > 23 || m > 59 {
                    return None;
                }
                let total = i64::from(h * 60 + m);
                offset_minutes = if negative { -total } else { total };
            }
            Some(_) => return None,
        }
        if i != b.len() {
            return None;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let local = date.and_hms_milli_opt(hour, minute, second, milli)?;
    let utc = local.and_utc().timestamp_millis() - offset_minutes * 60_000;
    // mongosh's ISODate range: years 0000 to 9999 in UTC.
    if !(-62_167_219_200_000..=253_402_300_799_999).contains(&utc) {
        return None;
    }
    Some(DateTime::from_millis(utc))
}

/// `new Date(y, m, d, h, mi, s, ms)` in local time, for unambiguous, in-range components.
fn local_date(n: &[f64]) -> Result<DateTime, String> {
    let part = |i: usize, default: i64| -> Option<i64> {
        match n.get(i) {
            None => Some(default),
            Some(v) => exact_i64(*v),
        }
    };
    let bad =
        || "`new Date(y, m, …)` needs whole, in-range components in the native subset".to_owned();
    let (y, m, d, h, mi, s, ms) = (
        part(0, 0).ok_or_else(bad)?,
        part(1, 0).ok_or_else(bad)?,
        part(2, 1).ok_or_else(bad)?,
        part(3, 0).ok_or_else(bad)?,
        part(4, 0).ok_or_else(bad)?,
        part(5, 0).ok_or_else(bad)?,
        part(6, 0).ok_or_else(bad)?,
    );
    // Years 0–99 mean 1900–1999 in JavaScript and components overflow into the next unit; both
    // are left to mongosh.
    if !(100..=9999).contains(&y) || !(0..12).contains(&m) {
        return Err(bad());
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(y).map_err(|_| bad())?,
        u32::try_from(m + 1).map_err(|_| bad())?,
        u32::try_from(d).map_err(|_| bad())?,
    )
    .ok_or_else(bad)?;
    let time = date
        .and_hms_milli_opt(
            u32::try_from(h).map_err(|_| bad())?,
            u32::try_from(mi).map_err(|_| bad())?,
            u32::try_from(s).map_err(|_| bad())?,
            u32::try_from(ms).map_err(|_| bad())?,
        )
        .ok_or_else(bad)?;
    match chrono::Local.from_local_datetime(&time) {
        LocalResult::Single(t) => Ok(DateTime::from_millis(t.timestamp_millis())),
        _ => {
            Err("a local time in a daylight-saving transition is outside the native subset".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    fn steps(script: &str) -> Vec<(String, Document)> {
        lower_script(script, "app")
            .unwrap_or_else(|e| panic!("{script}: {e}"))
            .into_iter()
            .map(|s| (s.database, s.body))
            .collect()
    }

    fn one(script: &str) -> Document {
        let mut all = steps(script);
        assert_eq!(all.len(), 1, "{script}");
        all.remove(0).1
    }

    #[test]
    fn helpers_lower_to_the_commands_the_driver_sends() {
        let cases: Vec<(&str, Document)> = vec![
            (
                "db.createCollection('towns', {capped: true, size: 4096, max: null})",
                doc! { "create": "towns", "capped": true, "size": 4096 },
            ),
            (
                "db.createView('v', 'towns', [{$match: {a: 1}}], {collation: {locale: 'fr'}})",
                doc! { "create": "v", "viewOn": "towns", "pipeline": [{ "$match": { "a": 1 } }], "collation": { "locale": "fr" } },
            ),
            ("db.runCommand('ping')", doc! { "ping": 1 }),
            (
                "db.runCommand({collMod: 'towns', validationLevel: 'off'})",
                doc! { "collMod": "towns", "validationLevel": "off" },
            ),
            (
                "db.towns.createIndex({name: 1, pop: -1}, {unique: true})",
                doc! { "createIndexes": "towns", "indexes": [{ "unique": true, "name": "name_1_pop_-1", "key": { "name": 1, "pop": -1 } }] },
            ),
            (
                "db.towns.createIndex({loc: '2dsphere'}, {name: 'geo', version: 2}, 'majority')",
                doc! { "createIndexes": "towns", "indexes": [{ "name": "geo", "v": 2, "key": { "loc": "2dsphere" } }], "commitQuorum": "majority" },
            ),
            (
                "db.getCollection('towns').createIndexes([{a: 1}, {b: 1.5}], {sparse: true})",
                doc! { "createIndexes": "towns", "indexes": [
                    { "sparse": true, "name": "a_1", "key": { "a": 1 } },
                    { "sparse": true, "name": "b_1.5", "key": { "b": 1.5 } },
                ] },
            ),
            (
                "db.towns.dropIndex('a_1')",
                doc! { "dropIndexes": "towns", "index": "a_1" },
            ),
            (
                "db.towns.dropIndexes()",
                doc! { "dropIndexes": "towns", "index": "*" },
            ),
            (
                "db.towns.insertOne({name: 'x'}, {bypassDocumentValidation: true})",
                doc! { "insert": "towns", "documents": [{ "name": "x" }], "ordered": true, "bypassDocumentValidation": true },
            ),
            (
                "db.towns.insertMany([{a: 1}, {a: 2}], {ordered: false})",
                doc! { "insert": "towns", "documents": [{ "a": 1 }, { "a": 2 }], "ordered": false },
            ),
            (
                "db.towns.updateMany({a: 1}, {$set: {b: 2}}, {upsert: true, arrayFilters: [{x: 1}], let: {v: 1}})",
                doc! { "update": "towns", "updates": [
                    { "q": { "a": 1 }, "u": { "$set": { "b": 2 } }, "upsert": true, "multi": true, "arrayFilters": [{ "x": 1 }] }
                ], "ordered": true, "let": { "v": 1 } },
            ),
            (
                "db.towns.updateOne({a: 1}, [{$set: {b: '$a'}}])",
                doc! { "update": "towns", "updates": [{ "q": { "a": 1 }, "u": [{ "$set": { "b": "$a" } }] }], "ordered": true },
            ),
            (
                "db.towns.replaceOne({a: 1}, {a: 1, b: 2}, {hint: {a: 1}})",
                doc! { "update": "towns", "updates": [{ "q": { "a": 1 }, "u": { "a": 1, "b": 2 }, "hint": { "a": 1 } }], "ordered": true },
            ),
            (
                "db.towns.deleteOne({a: 1})",
                doc! { "delete": "towns", "deletes": [{ "q": { "a": 1 }, "limit": 1 }], "ordered": true },
            ),
            (
                "db.towns.deleteMany({}, {comment: 'c'})",
                doc! { "delete": "towns", "deletes": [{ "q": {}, "limit": 0 }], "ordered": true, "comment": "c" },
            ),
            ("db.towns.drop()", doc! { "drop": "towns" }),
            (
                "db.createUser({user: 'u', pwd: 'p', roles: ['read'], passwordDigestor: 'server'}, {w: 1})",
                doc! { "createUser": "u", "pwd": "p", "roles": ["read"], "writeConcern": { "w": 1 }, "digestPassword": true },
            ),
            (
                "db.createRole({privileges: [], role: 'r', roles: []})",
                doc! { "createRole": "r", "privileges": [], "roles": [] },
            ),
        ];
        for (script, expected) in cases {
            assert_eq!(one(script), expected, "{script}");
        }
    }

    #[test]
    fn databases_follow_sibling_and_admin_calls() {
        let cases = [
            ("db.a.drop()", "app"),
            ("db.getSiblingDB('other').a.drop()", "other"),
            ("db.getSiblingDB('other').getSiblingDB('x').a.drop()", "x"),
            ("db.adminCommand({ping: 1})", "admin"),
            ("db.getSiblingDB('other').adminCommand('ping')", "admin"),
            ("db.a.renameCollection('b')", "admin"),
        ];
        for (script, database) in cases {
            assert_eq!(steps(script)[0].0, database, "{script}");
        }
        assert_eq!(
            one("db.getSiblingDB('o').a.renameCollection('b', true)"),
            doc! { "renameCollection": "o.a", "to": "o.b", "dropTarget": true }
        );
    }

    #[test]
    fn collection_names_follow_mongosh_property_rules() {
        let cases = [
            ("db.orders.drop()", "orders"),
            ("db.orders.archive.drop()", "orders.archive"),
            ("db['my-coll'].drop()", "my-coll"),
            ("db.getCollection('stats').drop()", "stats"),
            ("db.getCollection('a').b.drop()", "a.b"),
        ];
        for (script, name) in cases {
            assert_eq!(one(script).get_str("drop"), Ok(name), "{script}");
        }
        for script in [
            "db.stats.drop()",
            "db._x.drop()",
            "db.toString.drop()",
            "db.a.find.drop()",
        ] {
            assert!(parse(script).is_err(), "{script}");
        }
    }

    #[test]
    fn literals_follow_javascript_and_js_bson() {
        let d = one(
            "db.c.insertOne({ i: 1, f: 1.0, big: 3000000000, neg: -0, half: .5, hex: 0x10, e: 1e3, \
             s: 'a\\'b\\u00e9\\u{1F600}', t: `x`, r: /ab+c/mi, b: true, n: null, \
             l: NumberLong('9007199254740993'), li: NumberLong(5), ni: NumberInt('7'), \
             dec: NumberDecimal('1.10'), oid: ObjectId('507f1f77bcf86cd799439011'), \
             d: ISODate('2020-01-02T03:04:05.6Z'), d2: new Date(0), d3: new Date('2020-01-01'), \
             ts: Timestamp({t: 5, i: 1}), u: UUID('0123456789abcdef0123456789abcdef'), \
             bin: BinData(0, 'AQI='), mk: MinKey(), inf: -Infinity, arr: [1, 'x',], })",
        );
        let d = d.get_array("documents").expect("documents")[0]
            .as_document()
            .expect("a document")
            .clone();
        assert_eq!(d.get("i"), Some(&Bson::Int32(1)));
        assert_eq!(d.get("f"), Some(&Bson::Int32(1)));
        assert_eq!(d.get("big"), Some(&Bson::Double(3_000_000_000.0)));
        assert!(matches!(d.get("neg"), Some(Bson::Double(z)) if *z == 0.0 && z.is_sign_negative()));
        assert_eq!(d.get("half"), Some(&Bson::Double(0.5)));
        assert_eq!(d.get("hex"), Some(&Bson::Int32(16)));
        assert_eq!(d.get("e"), Some(&Bson::Int32(1000)));
        assert_eq!(d.get_str("s"), Ok("a'bé😀"));
        assert_eq!(d.get_str("t"), Ok("x"));
        assert_eq!(
            d.get("r"),
            Some(&Bson::RegularExpression(Regex {
                pattern: "ab+c".into(),
                options: "im".into()
            }))
        );
        assert_eq!(d.get("l"), Some(&Bson::Int64(9_007_199_254_740_993)));
        assert_eq!(d.get("li"), Some(&Bson::Int64(5)));
        assert_eq!(d.get("ni"), Some(&Bson::Int32(7)));
        assert_eq!(
            d.get("dec").map(ToString::to_string),
            Some("1.10".to_owned())
        );
        assert_eq!(
            d.get_datetime("d").map(|t| t.timestamp_millis()),
            Ok(1_577_934_245_600)
        );
        assert_eq!(d.get_datetime("d2").map(|t| t.timestamp_millis()), Ok(0));
        assert_eq!(
            d.get_datetime("d3").map(|t| t.timestamp_millis()),
            Ok(1_577_836_800_000)
        );
        assert_eq!(
            d.get("ts"),
            Some(&Bson::Timestamp(Timestamp {
                time: 5,
                increment: 1
            }))
        );
        assert!(
            matches!(d.get("u"), Some(Bson::Binary(b)) if b.subtype == BinarySubtype::Uuid && b.bytes.len() == 16)
        );
        assert!(matches!(d.get("bin"), Some(Bson::Binary(b)) if b.bytes == [1, 2]));
        assert_eq!(d.get("mk"), Some(&Bson::MinKey));
        assert_eq!(d.get("inf"), Some(&Bson::Double(f64::NEG_INFINITY)));
        assert_eq!(d.get_array("arr").map(Vec::len), Ok(2));
    }

    #[test]
    fn object_keys_take_javascript_property_order() {
        let d = one("db.runCommand({b: 1, 2: 'x', a: 1, '1': 'y', b: 3, '01': 0})");
        assert_eq!(d.keys().collect::<Vec<_>>(), ["1", "2", "b", "a", "01"]);
        assert_eq!(d.get("b"), Some(&Bson::Int32(3)));
    }

    #[test]
    fn null_ids_are_replaced_like_the_driver_does() {
        let d = one("db.c.insertOne({a: 1, _id: null})");
        let doc = d.get_array("documents").expect("documents")[0]
            .as_document()
            .expect("a document")
            .clone();
        assert_eq!(doc.keys().collect::<Vec<_>>(), ["a", "_id"]);
        assert!(matches!(doc.get("_id"), Some(Bson::ObjectId(_))));
    }

    #[test]
    fn statements_split_on_semicolons_and_line_breaks() {
        let script = "// setup\n\
                      db.a.insertOne({x: 1});db.b.insertOne({x: 2})\n\
                      /* multi\n line */ db.c\n  .insertOne({\n x: 3 })\n\
                      ;;\n\
                      db.getCollection('d')\n  .drop();";
        let parsed = parse(script).expect("in the subset");
        let lines: Vec<usize> = parsed.iter().map(|s| s.line).collect();
        assert_eq!(lines, [2, 2, 4, 8]);
    }

    #[test]
    fn everything_outside_the_subset_is_refused_with_its_position() {
        let cases = [
            ("var x = 1", 1, 1, "variables"),
            (
                "db.a.insertOne({a: 1})\nprint('hi')",
                2,
                1,
                "only statements starting with `db`",
            ),
            ("for (let i = 0; i < 3; i++) {}", 1, 1, "`for`"),
            (
                "db.a.insertOne({a: x})",
                1,
                20,
                "variables are outside the native subset (`x`)",
            ),
            ("db.a.find({}).toArray()", 1, 5, "`find()` on a collection"),
            (
                "db.a.insertOne({a: 1}).insertedId",
                1,
                23,
                "using the result",
            ),
            (
                "db.a.insertOne({a: 1}) db.b.drop()",
                1,
                24,
                "`;` or a line break",
            ),
            ("db.a.updateOne({}, {a: 1})", 1, 5, "`$` operators"),
            (
                "db.a.replaceOne({}, {$set: {a: 1}})",
                1,
                5,
                "without `$` operators",
            ),
            (
                "db.a.insertOne({a: 1}, {writeConcern: {w: 1}})",
                1,
                5,
                "option `writeConcern`",
            ),
            ("db.a.createIndex({a: 1}, {foo: 1})", 1, 5, "option `foo`"),
            ("db.a.dropIndex('*')", 1, 5, "dropIndexes"),
            ("db.a.insertOne({d: Date()})", 1, 20, "without `new`"),
            (
                "db.a.insertOne({d: new Date('2020-01-01T00:00:00')})",
                1,
                24,
                "with a zone",
            ),
            (
                "db.a.insertOne({d: ISODate('2021-02-30')})",
                1,
                20,
                "not a valid ISODate",
            ),
            ("db.a.insertOne({r: /a/g})", 1, 23, "flags"),
            ("db.a.insertOne({a: undefined})", 1, 20, "`undefined`"),
            ("db.a.insertOne({[k]: 1})", 1, 17, "computed keys"),
            ("db.a.insertOne({a})", 1, 18, "shorthand"),
            ("db.a.insertOne({__proto__: {}})", 1, 17, "`__proto__`"),
            ("db.a.insertOne({a: 1n})", 1, 20, "unsupported number"),
            ("db.a.insertOne({a: 010})", 1, 20, "legacy octal"),
            ("db.a.insertOne({a: `${x}`})", 1, 22, "substitutions"),
            (
                "db.a.insertOne({a: '\\ud800'})",
                1,
                22,
                "unpaired surrogate",
            ),
            ("db.a.insertOne({a: [1,,2]})", 1, 23, "array holes"),
            ("db.a.insertOne({a: function() {}})", 1, 20, "functions"),
            ("db.dropDatabase()", 1, 3, "`db.dropDatabase()`"),
            ("db.a.insertOne({a: 1}", 1, 22, "`,` or `)`"),
            ("db.a.insertOne({a: 1 b: 2})", 1, 22, "`,` or `}`"),
            ("db.a.insertOne({a: [1 2]})", 1, 23, "`,` or `]`"),
            ("db.a.insertOne({a: 'x})", 1, 20, "unterminated string"),
            ("db.createUser({user: 'u', roles: []})", 1, 3, "needs `pwd`"),
            ("db.a.insertMany([])", 1, 5, "non-empty array"),
            ("/* open", 1, 1, "unterminated comment"),
            ("db", 1, 3, "does not call a helper"),
        ];
        for (script, line, column, fragment) in cases {
            let e = parse(script).expect_err(script);
            assert!(e.message.contains(fragment), "{script}: {e}");
            assert_eq!((e.line, e.column), (line, column), "{script}: {e}");
        }
    }

    /// A long script keeps every statement and the right line for each (positions are counted
    /// incrementally; how long parsing takes is `make bench`'s business, never asserted here).
    #[test]
    fn long_scripts_keep_every_statement_and_line() {
        let script = "db.c.insertOne({a: 1, b: 'text', c: [1, 2, 3]});\n".repeat(50_000);
        let parsed = parse(&script).expect("in the subset");
        assert_eq!(parsed.len(), 50_000);
        assert_eq!(
            (parsed[0].line, parsed[24_999].line, parsed[49_999].line),
            (1, 25_000, 50_000)
        );
        let broken = format!("{script}db.c.insertOne({{a: }});\n");
        let e = parse(&broken).expect_err("the last statement is broken");
        assert_eq!(e.line, 50_001, "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("db.a.insertOne({}{})", "{a: ".repeat(500), "}".repeat(500));
        assert!(
            parse(&deep)
                .expect_err("too deep")
                .message
                .contains("nesting")
        );
        let arrays = format!(
            "db.a.insertOne({{a: {}1{}}})",
            "[".repeat(500),
            "]".repeat(500)
        );
        assert!(parse(&arrays).is_err());
    }

    #[test]
    fn iso_dates_follow_mongosh_forms() {
        let cases = [
            ("2020-01-02", Some(1_577_923_200_000)),
            ("20200102", Some(1_577_923_200_000)),
            ("2020-01-02T03:04", Some(1_577_934_240_000)),
            ("2020-01-02 03:04:05", Some(1_577_934_245_000)),
            ("2020-01-02T03:04:05.123+01:00", Some(1_577_930_645_123)),
            ("2020-01-02T03:04:05-0130", Some(1_577_939_645_000)),
            ("2020-01-02T03:04:05.1234Z", None),
            ("2020-13-01", None),
            ("2020-01-02T24:00:00Z", None),
            ("2020-01-02T03:04:05+01", None),
            ("x", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_iso(text, IsoRules::IsoDate).map(|d| d.timestamp_millis()),
                expected,
                "{text}"
            );
        }
        assert_eq!(
            parse_iso("2020-01-02T03:04", IsoRules::DateConstructor),
            None
        );
        assert_eq!(parse_iso("20200102", IsoRules::DateConstructor), None);
    }

    #[test]
    fn previews_name_the_database() {
        let lowered = lower_script(
            "db.a.drop(); db.adminCommand('ping'); db.getSiblingDB('o').a.drop()",
            "app",
        )
        .expect("in the subset");
        let js: Vec<String> = lowered.iter().map(|s| s.to_js("app")).collect();
        assert_eq!(
            js,
            [
                "db.runCommand({\"drop\": \"a\"});",
                "db.adminCommand({\"ping\": 1});",
                "db.getSiblingDB(\"o\").runCommand({\"drop\": \"a\"});",
            ]
        );
        assert_eq!(lowered[2].to_command("app"), None);
    }

    /// Regression inputs found by the `shell_subset` fuzz target: a command with an empty name
    /// was accepted and lowered to `{"": 1}`, a command without a name.
    #[test]
    fn empty_command_names_are_refused() {
        let cases = [
            // The fuzzer's input, byte for byte (the first statement is fine, the second is not).
            (
                "db.runCommand({vtiLevel: 'of\u{1}\0\0\0\0\u{1}f'});\ndb.adminCommand('')",
                2,
                3,
                "`adminCommand` needs a command document or name",
            ),
            (
                "db.runCommand('')",
                1,
                3,
                "`runCommand` needs a command document or name",
            ),
            (
                "db.runCommand({'': 1})",
                1,
                3,
                "`runCommand` needs a command document or name",
            ),
            (
                "db.adminCommand({})",
                1,
                3,
                "`adminCommand` needs a command document or name",
            ),
        ];
        for (script, line, column, message) in cases {
            let e = parse(script).expect_err(script);
            assert_eq!(
                (e.line, e.column, e.message.as_str()),
                (line, column, message),
                "{script}"
            );
        }
        // A named command next to the empty key still lowers, with its name first.
        assert_eq!(
            one("db.runCommand({ping: 1, '': 2})"),
            doc! { "ping": 1, "": 2 }
        );
    }
}
