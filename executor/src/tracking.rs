//! The tracking collections' setup, in one place for both: `DATABASECHANGELOG` (created bare,
//! then its unique index `ui_<name>` and its `$jsonSchema` validator) and
//! `DATABASECHANGELOGLOCK` (created bare, then its validator), as liquibase-mongodb's
//! `MongoHistoryService.init` and `MongoLockService.init` (4.33.0.1) leave them. The history and
//! the lock call [`ensure_history`] and [`ensure_lock`]; `update-sql` previews the same commands.

use mongodb::bson::{Document, doc};

use crate::connection::Connection;
use crate::error::Result;

/// The history collection's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingOptions {
    /// `liquibase.databaseChangelogTableName`, default `DATABASECHANGELOG`.
    pub changelog_collection: String,
    /// `liquibase.databaseChangelogLockTableName`, default `DATABASECHANGELOGLOCK`.
    pub lock_collection: String,
    /// `liquibase.mongodb.adjustTrackingTablesOnStartup` (default true).
    pub adjust: bool,
    /// `liquibase.mongodb.supportsValidator`; unset, the platform's default
    /// ([`crate::Platform::supports_validator`]: true on MongoDB, false on FerretDB, …).
    pub supports_validator: Option<bool>,
}

impl Default for TrackingOptions {
    fn default() -> Self {
        Self {
            changelog_collection: "DATABASECHANGELOG".to_owned(),
            lock_collection: "DATABASECHANGELOGLOCK".to_owned(),
            adjust: true,
            supports_validator: None,
        }
    }
}

impl TrackingOptions {
    /// Whether the tracking collections get their validators on this connection: the explicit
    /// `supportsValidator` when set, else the detected platform's default (issue 13; Liquibase
    /// has no such default and fails on servers without validators).
    pub(crate) fn validators(&self, connection: &Connection) -> bool {
        self.supports_validator
            .unwrap_or_else(|| connection.platform.supports_validator())
    }
}

/// Creates the history collection if missing and, with `adjust`, its unique index (only when
/// `_id_` is the collection's only index, as `AdjustChangeLogCollectionStatement`, so a user's own
/// index set is never touched) and, with `supportsValidator`, its validator.
pub(crate) async fn ensure_history(
    connection: &Connection,
    options: &TrackingOptions,
) -> Result<()> {
    let name = &options.changelog_collection;
    create_collection(connection, name).await?;
    if !options.adjust {
        return Ok(());
    }
    let run = |command, what: &'static str| async move {
        crate::execute::run_command(&connection.client, &connection.database, command)
            .await
            .map_err(|e| e.within(format!("{what} `{name}`")))
    };
    let indexes: Vec<Document> = crate::execute::read_cursor(
        &connection.client,
        &connection.database,
        doc! { "listIndexes": name },
    )
    .await
    .map_err(|e| e.within(format!("cannot list indexes of `{name}`")))?;
    if indexes.len() == 1 {
        run(unique_index_command(name), "cannot create index on").await?;
    }
    if options.validators(connection) {
        run(validator_command(name), "cannot set validator on").await?;
    }
    Ok(())
}

/// Creates the lock collection if missing and, with `adjust` and `supportsValidator`, its
/// validator; writes no lock document.
pub(crate) async fn ensure_lock(connection: &Connection, options: &TrackingOptions) -> Result<()> {
    let name = &options.lock_collection;
    create_collection(connection, name).await?;
    if options.adjust && options.validators(connection) {
        crate::execute::run_command(
            &connection.client,
            &connection.database,
            lock_validator_command(name),
        )
        .await
        .map_err(|e| e.within(format!("cannot set validator on `{name}`")))?;
    }
    Ok(())
}

/// The `$jsonSchema` validator of the history collection, as
/// `CreateChangeLogCollectionStatement` / `AdjustChangeLogCollectionStatement` (liquibase-mongodb).
pub(crate) fn changelog_validator() -> Document {
    doc! {
        "$jsonSchema": {
            "bsonType": "object",
            "description": "Database Change Log Table.",
            "required": ["id", "author", "fileName", "execType"],
            "properties": {
                "id": { "bsonType": "string", "description": "Value from the changeSet id attribute." },
                "author": { "bsonType": "string", "description": "Value from the changeSet author attribute." },
                "fileName": { "bsonType": "string", "description": "Path to the changelog. This may be an absolute path or a relative path depending on how the changelog was passed to Liquibase. For best results, it should be a relative path." },
                "dateExecuted": { "bsonType": ["date", "null"], "description": "Date/time of when the changeSet was executed. Used with orderExecuted to determine rollback order." },
                "orderExecuted": { "bsonType": ["int", "null"], "description": "Order that the changeSets were executed. Used in addition to dateExecuted to ensure order is correct even when the databases datetime supports poor resolution." },
                "execType": { "bsonType": "string", "enum": ["EXECUTED", "FAILED", "SKIPPED", "RERAN", "MARK_RAN"], "description": "Description of how the changeSet was executed." },
                "md5sum": { "bsonType": ["string", "null"], "description": "Checksum of the changeSet when it was executed. Used on each run to ensure there have been no unexpected changes to changSet in the changelog file." },
                "description": { "bsonType": ["string", "null"], "description": "Short auto-generated human readable description of changeSet." },
                "comments": { "bsonType": ["string", "null"], "description": "Value from the changeSet comment attribute." },
                "tag": { "bsonType": ["string", "null"], "description": "Tracks which changeSets correspond to tag operations." },
                "contexts": { "bsonType": ["string", "null"], "description": "Context expression of the run." },
                "labels": { "bsonType": ["string", "null"], "description": "Labels assigned." },
                "deploymentId": { "bsonType": ["string", "null"], "description": "Unique identifier generate for a run." },
                "liquibase": { "bsonType": ["string", "null"], "description": "Version of Liquibase used to execute the changeSet." },
            },
        }
    }
}

/// The unique index `ui_<collection>` on `fileName, author, id`, as
/// `AdjustChangeLogCollectionStatement`.
pub(crate) fn unique_index_command(collection: &str) -> Document {
    doc! {
        "createIndexes": collection,
        "indexes": [{
            "key": { "fileName": 1, "author": 1, "id": 1 },
            "name": format!("ui_{collection}"),
            "unique": true,
        }],
    }
}

/// The `collMod` that puts [`changelog_validator`] on the history collection.
pub(crate) fn validator_command(collection: &str) -> Document {
    doc! {
        "collMod": collection,
        "validator": changelog_validator(),
        "validationLevel": "strict",
        "validationAction": "error",
    }
}

/// The `$jsonSchema` validator of the lock collection, as liquibase-mongodb's
/// `AdjustChangeLogLockCollectionStatement`.
pub(crate) fn lock_validator() -> Document {
    doc! {
        "$jsonSchema": {
            "bsonType": "object",
            "description": "Database Lock Collection",
            "required": ["_id", "locked"],
            "properties": {
                "_id": { "bsonType": "int", "description": "Unique lock identifier" },
                "locked": { "bsonType": "bool", "description": "Lock flag" },
                "lockGranted": { "bsonType": "date", "description": "Timestamp when lock acquired" },
                "lockedBy": { "bsonType": ["string", "null"], "description": "Owner of the lock" },
            },
        }
    }
}

/// The `collMod` that puts [`lock_validator`] on the lock collection.
pub(crate) fn lock_validator_command(collection: &str) -> Document {
    doc! {
        "collMod": collection,
        "validator": lock_validator(),
        "validationLevel": "strict",
        "validationAction": "error",
    }
}

/// Whether a collection exists: `{listCollections: 1, filter: {name}, authorizedCollections:
/// true, nameOnly: true}` with exactly one result, as `CountCollectionByNameStatement`.
pub(crate) async fn collection_exists(connection: &Connection, name: &str) -> Result<bool> {
    let response = crate::execute::run_command(
        &connection.client,
        &connection.database,
        doc! {
            "listCollections": 1,
            "filter": { "name": name },
            "authorizedCollections": true,
            "nameOnly": true,
        },
    )
    .await
    .map_err(|e| {
        e.within(format!(
            "cannot list collections of `{}`",
            connection.database
        ))
    })?;
    let n = response
        .get_document("cursor")
        .and_then(|c| c.get_array("firstBatch"))
        .map_or(0, Vec::len);
    Ok(n == 1)
}

/// Creates a tracking collection with a bare `{create: name}` when it is missing; another
/// process creating it at the same moment is fine (NamespaceExists, liquibase-mongodb#32).
pub(crate) async fn create_collection(connection: &Connection, name: &str) -> Result<()> {
    if collection_exists(connection, name).await? {
        return Ok(());
    }
    match crate::execute::run_command(
        &connection.client,
        &connection.database,
        doc! { "create": name },
    )
    .await
    {
        Ok(_) => Ok(()),
        // Another process created it since we looked: as wanted.
        Err(e) if e.is_namespace_exists() => Ok(()),
        Err(e) => Err(e.within(format!("cannot create `{name}`"))),
    }
}

/// Drops a tracking collection (`drop-all`); a missing one is fine, as the driver's `drop`.
pub(crate) async fn drop_collection(connection: &Connection, name: &str) -> Result<()> {
    match crate::execute::run_command(
        &connection.client,
        &connection.database,
        doc! { "drop": name },
    )
    .await
    {
        Err(e) if !e.is_namespace_not_found() => Err(e.within(format!("cannot drop `{name}`"))),
        _ => Ok(()),
    }
}
