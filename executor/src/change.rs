//! The closed set of change types a changeset can hold (data only).
//!
//! Names and properties are liquibase-mongodb's (`createCollection`, `collectionName`, `options`
//! …) so that a changelog written for the Java extension loads unchanged. Every JSON-ish property
//! keeps two things: the text exactly as the changelog gave it (after trimming and `${}`
//! expansion), because Liquibase checksums that text, and the parsed BSON, because that is what
//! runs. The text is checked when the changelog is read, so lowering a change to a command cannot
//! fail; the BSON is built the first time it is asked for, since most changes of a long
//! changelog ran long ago and are only checksummed.

use std::sync::OnceLock;

use mongodb::bson::Document;

use crate::json::{self, JsonError};

/// A JSON-ish property: the text the changelog gave (trimmed, `${}` expanded) and its parsed
/// value, built the first time it is asked for from a text already checked by the same parser.
/// Equality compares the texts and the values.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    /// The property text as Liquibase sees it (the checksum covers this text).
    text: String,
    /// The parsed value, key order kept.
    value: OnceLock<T>,
}

/// A document property. Mirrors liquibase-mongodb's `BsonUtils.orEmptyDocument`: empty or blank
/// text is the empty document `{}`.
pub type Json = Parsed<Document>;

/// A JSON array of documents property (`insertMany.documents`).
pub type JsonArray = Parsed<Vec<Document>>;

/// What a property's text parses to, with the checking parse run when the changelog is read.
pub trait JsonForm: Sized {
    /// Checks `text` as [`JsonForm::parse`] would, without building the value.
    fn check(text: &str) -> Result<(), JsonError>;
    /// Parses `text`.
    fn parse(text: &str) -> Result<Self, JsonError>;
}

impl JsonForm for Document {
    fn check(text: &str) -> Result<(), JsonError> {
        json::check_document(text)
    }
    fn parse(text: &str) -> Result<Self, JsonError> {
        json::parse_document(text)
    }
}

impl JsonForm for Vec<Document> {
    fn check(text: &str) -> Result<(), JsonError> {
        json::check_documents(text)
    }
    fn parse(text: &str) -> Result<Self, JsonError> {
        json::parse_documents(text)
    }
}

impl<T: JsonForm> Parsed<T> {
    /// A property whose value is already known (built by lbmongo, or parsed elsewhere).
    pub fn new(text: impl Into<String>, value: T) -> Self {
        Self {
            text: text.into(),
            value: OnceLock::from(value),
        }
    }

    /// A property read from `text` in the lenient dialect. The text is checked now and parsed
    /// when first used: most changes of a long changelog ran long ago and are only checksummed.
    pub fn from_text(text: impl Into<String>) -> Result<Self, JsonError> {
        let text = text.into();
        T::check(&text)?;
        Ok(Self {
            text,
            value: OnceLock::new(),
        })
    }

    /// The property text as Liquibase sees it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed value.
    pub fn value(&self) -> &T {
        self.value.get_or_init(|| {
            T::parse(&self.text)
                .expect("the text was checked by the same parser when the property was made")
        })
    }
}

impl Json {
    /// The parsed document.
    pub fn doc(&self) -> &Document {
        self.value()
    }
}

impl JsonArray {
    /// The parsed documents, in order.
    pub fn docs(&self) -> &[Document] {
        self.value()
    }
}

impl<T: JsonForm + PartialEq> PartialEq for Parsed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.value() == other.value()
    }
}

/// One change of a changeset. The set is closed: each behaviour is one exhaustive `match`.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `createCollection`: `{create: name, …options}`.
    CreateCollection(CreateCollection),
    /// `dropCollection`: `{drop: name}`.
    DropCollection(DropCollection),
    /// `createIndex`: `{createIndexes: coll, indexes: [{key, …options}]}`.
    CreateIndex(CreateIndex),
    /// `dropIndex`: `{dropIndexes: coll, index: keys}`.
    DropIndex(DropIndex),
    /// `insertOne`: `{insert: coll, documents: [doc], …options}`.
    InsertOne(InsertOne),
    /// `insertMany`: `{insert: coll, documents: [...], …options}`.
    InsertMany(InsertMany),
    /// `runCommand`: the document as written, against the URL's database.
    RunCommand(RunCommand),
    /// `adminCommand`: the document as written, against `admin`.
    AdminCommand(AdminCommand),
    /// `mongo`: an inline mongosh script (Harness extension / Liquibase Pro change type).
    Mongo(Mongo),
    /// `mongoFile`: a mongosh script file (Harness extension / Liquibase Pro change type).
    MongoFile(MongoFile),
    /// `tagDatabase`: executes nothing, tags its own history row.
    TagDatabase(TagDatabase),
    /// `empty`: executes nothing.
    Empty,
    /// `updateOne` (lbmongo extension): `{update: coll, updates: [{q, u, multi: false, …}]}`.
    UpdateOne(Update),
    /// `updateMany` (lbmongo extension): `{update: coll, updates: [{q, u, multi: true, …}]}`.
    UpdateMany(Update),
    /// `deleteOne` (lbmongo extension): `{delete: coll, deletes: [{q, limit: 1}]}`.
    DeleteOne(Delete),
    /// `deleteMany` (lbmongo extension): `{delete: coll, deletes: [{q, limit: 0}]}`.
    DeleteMany(Delete),
}

/// `createCollection collectionName=… options=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateCollection {
    /// The collection to create.
    pub collection_name: String,
    /// `create` options merged at the top level of the command.
    pub options: Option<Json>,
}

/// `dropCollection collectionName=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropCollection {
    /// The collection to drop.
    pub collection_name: String,
}

/// `createIndex collectionName=… keys=… options=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    /// The collection the index belongs to.
    pub collection_name: String,
    /// The key pattern.
    pub keys: Json,
    /// Index options, merged into the index spec after `key`.
    pub options: Option<Json>,
}

/// `dropIndex collectionName=… keys=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropIndex {
    /// The collection the index belongs to.
    pub collection_name: String,
    /// The key pattern of the index to drop.
    pub keys: Json,
}

/// `insertOne collectionName=… document=… options=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertOne {
    /// The target collection.
    pub collection_name: String,
    /// The document to insert.
    pub document: Json,
    /// `insert` command options (`ordered`, `bypassDocumentValidation`, …), top level.
    pub options: Option<Json>,
}

/// `insertMany collectionName=… documents=… options=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertMany {
    /// The target collection.
    pub collection_name: String,
    /// The documents to insert.
    pub documents: JsonArray,
    /// `insert` command options, top level.
    pub options: Option<Json>,
}

/// `runCommand command=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCommand {
    /// The command document; its first key is the command name.
    pub command: Json,
}

/// `adminCommand command=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminCommand {
    /// The command document; its first key is the command name.
    pub command: Json,
}

/// `mongo`: an inline mongosh script.
#[derive(Debug, Clone, PartialEq)]
pub struct Mongo {
    /// The script, trimmed (as the Harness `MongoshChange.setMongo`).
    pub mongo: String,
    /// `dbms` of the change itself (a `DbmsTargetedChange`).
    pub dbms: Option<String>,
}

/// `mongoFile`: a mongosh script read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct MongoFile {
    /// The path as written in the changelog.
    pub path: String,
    /// Whether `path` is relative to the changelog that names it.
    pub relative_to_changelog_file: Option<bool>,
    /// The `encoding` attribute as written: one of Java's names for a charset lbmongo decodes.
    pub encoding: Option<String>,
    /// `dbms` of the change itself.
    pub dbms: Option<String>,
    /// The file's bytes as read, byte order mark included: the checksum covers them, as the
    /// Harness extension checksums the file's own stream.
    pub raw: Vec<u8>,
    /// The script that runs: the content `${}`-expanded and trimmed.
    pub script: String,
}

/// `tagDatabase tag=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct TagDatabase {
    /// The tag written on this changeset's history row.
    pub tag: String,
}

/// `updateOne` / `updateMany` (lbmongo extension).
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The target collection.
    pub collection_name: String,
    /// The query selecting the documents.
    pub filter: Json,
    /// The update document or pipeline (`{$set: …}` or `[…]`).
    pub update: Json,
    /// Options merged into the update statement (`upsert`, `arrayFilters`, `collation`, `hint`).
    pub options: Option<Json>,
}

/// `deleteOne` / `deleteMany` (lbmongo extension).
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// The target collection.
    pub collection_name: String,
    /// The query selecting the documents.
    pub filter: Json,
    /// Options merged into the delete statement (`collation`, `hint`).
    pub options: Option<Json>,
}

impl Change {
    /// The Liquibase change name (`@DatabaseChange(name)`), as written in changelogs.
    pub fn name(&self) -> &'static str {
        match self {
            Change::CreateCollection(_) => "createCollection",
            Change::DropCollection(_) => "dropCollection",
            Change::CreateIndex(_) => "createIndex",
            Change::DropIndex(_) => "dropIndex",
            Change::InsertOne(_) => "insertOne",
            Change::InsertMany(_) => "insertMany",
            Change::RunCommand(_) => "runCommand",
            Change::AdminCommand(_) => "adminCommand",
            Change::Mongo(_) => "mongo",
            Change::MongoFile(_) => "mongoFile",
            Change::TagDatabase(_) => "tagDatabase",
            Change::Empty => "empty",
            Change::UpdateOne(_) => "updateOne",
            Change::UpdateMany(_) => "updateMany",
            Change::DeleteOne(_) => "deleteOne",
            Change::DeleteMany(_) => "deleteMany",
        }
    }

    /// Whether this change type exists only in lbmongo (not in liquibase-mongodb).
    pub fn is_lbmongo_extension(&self) -> bool {
        matches!(
            self,
            Change::UpdateOne(_)
                | Change::UpdateMany(_)
                | Change::DeleteOne(_)
                | Change::DeleteMany(_)
        )
    }

    /// The collection the change targets, if it names one.
    pub fn collection_name(&self) -> Option<&str> {
        match self {
            Change::CreateCollection(c) => Some(&c.collection_name),
            Change::DropCollection(c) => Some(&c.collection_name),
            Change::CreateIndex(c) => Some(&c.collection_name),
            Change::DropIndex(c) => Some(&c.collection_name),
            Change::InsertOne(c) => Some(&c.collection_name),
            Change::InsertMany(c) => Some(&c.collection_name),
            Change::UpdateOne(c) | Change::UpdateMany(c) => Some(&c.collection_name),
            Change::DeleteOne(c) | Change::DeleteMany(c) => Some(&c.collection_name),
            Change::RunCommand(_)
            | Change::AdminCommand(_)
            | Change::Mongo(_)
            | Change::MongoFile(_)
            | Change::TagDatabase(_)
            | Change::Empty => None,
        }
    }

    /// The change's own `dbms` (only the mongosh changes carry one).
    pub fn dbms(&self) -> Option<&str> {
        match self {
            Change::Mongo(c) => c.dbms.as_deref(),
            Change::MongoFile(c) => c.dbms.as_deref(),
            _ => None,
        }
    }

    /// The description Liquibase writes into the history `description` field for this change.
    ///
    /// As `AbstractChange.getDescription` (4.28.0): the change name, then the sorted,
    /// `", "`-joined `param=value` of every non-null parameter whose name ends in `name` or equals
    /// `path`. The Harness `mongoFile` change also lists three constant fields that Lombok turned
    /// into bean properties (spec mongo §11.7); we write the same text so both tools agree.
    pub fn description(&self) -> String {
        match self {
            Change::MongoFile(c) => format!(
                "mongoFile DBMS_PROPERTY_NAME=dbms, PATH_PROPERTY_NAME=path, \
                 RELATIVE_TO_CHANGELOG_FILE_PROPERTY_NAME=relativeToChangelogFile, path={}",
                c.path
            ),
            _ => match self.collection_name() {
                Some(name) => format!("{} collectionName={name}", self.name()),
                None => self.name().to_owned(),
            },
        }
    }
}
