//! The history collection, `DATABASECHANGELOG`: what ran, written exactly as liquibase-mongodb
//! writes it (spec mongo §5), so Liquibase with the official extension, Liquibase with our jar
//! and lbmongo each read the others' history as their own.

use std::fmt;

use mongodb::bson::{Bson, DateTime, Document, RawBsonRef, RawDocument, doc};

use crate::changelog::ChangeSetId;
use crate::checksum::CheckSum;
use crate::connection::Connection;
use crate::error::{Error, Result};
pub use crate::tracking::TrackingOptions;
pub(crate) use crate::tracking::{collection_exists, unique_index_command, validator_command};

/// How a changeset was recorded (Liquibase `ChangeSet.ExecType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecType {
    /// Ran.
    Executed,
    /// Ran before and ran again (`runOnChange`/`runAlways`).
    Reran,
    /// Recorded without running (precondition `MARK_RAN`).
    MarkRan,
    /// Failed with `failOnError=false` (liquibase-mongodb records it; core does not).
    Failed,
    /// Skipped by an `onFail=CONTINUE` precondition (written by cores ≤ 4.31 only).
    Skipped,
}

impl ExecType {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecType::Executed => "EXECUTED",
            ExecType::Reran => "RERAN",
            ExecType::MarkRan => "MARK_RAN",
            ExecType::Failed => "FAILED",
            ExecType::Skipped => "SKIPPED",
        }
    }

    /// Parses a stored value (exact enum names, as `ChangeSet.ExecType.valueOf`).
    pub fn parse(text: &str) -> Option<ExecType> {
        Some(match text {
            "EXECUTED" => ExecType::Executed,
            "RERAN" => ExecType::Reran,
            "MARK_RAN" => ExecType::MarkRan,
            "FAILED" => ExecType::Failed,
            "SKIPPED" => ExecType::Skipped,
            _ => return None,
        })
    }
}

impl fmt::Display for ExecType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One history row (Liquibase `RanChangeSet`).
#[derive(Debug, Clone, PartialEq)]
pub struct RanChangeSet {
    /// `fileName`, `id`, `author`.
    pub id: ChangeSetId,
    /// `md5sum`; `None` after `clear-checksums`.
    pub checksum: Option<CheckSum>,
    /// `dateExecuted`.
    pub date_executed: Option<DateTime>,
    /// `orderExecuted`.
    pub order_executed: i32,
    /// `execType`.
    pub exec_type: ExecType,
    /// `description`.
    pub description: Option<String>,
    /// `comments`.
    pub comments: Option<String>,
    /// `tag`.
    pub tag: Option<String>,
    /// `contexts`.
    pub contexts: Option<String>,
    /// `labels`.
    pub labels: Option<String>,
    /// `deploymentId`.
    pub deployment_id: Option<String>,
    /// `liquibase`.
    pub liquibase: Option<String>,
}

/// A row to insert: every field liquibase-mongodb writes, in its order.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRow {
    /// `fileName`, `id`, `author`.
    pub id: ChangeSetId,
    /// `md5sum`.
    pub checksum: Option<CheckSum>,
    /// `dateExecuted`.
    pub date_executed: DateTime,
    /// `tag`.
    pub tag: Option<String>,
    /// `execType`.
    pub exec_type: ExecType,
    /// `description`.
    pub description: String,
    /// `comments`.
    pub comments: Option<String>,
    /// `contexts`.
    pub contexts: Option<String>,
    /// `labels`.
    pub labels: Option<String>,
    /// `deploymentId`.
    pub deployment_id: String,
    /// `orderExecuted`.
    pub order_executed: i32,
    /// `liquibase`.
    pub liquibase: String,
}

/// A written row as the history reads it back.
impl From<NewRow> for RanChangeSet {
    fn from(r: NewRow) -> Self {
        RanChangeSet {
            id: r.id,
            checksum: r.checksum,
            date_executed: Some(r.date_executed),
            order_executed: r.order_executed,
            exec_type: r.exec_type,
            description: Some(r.description),
            comments: r.comments,
            tag: r.tag,
            contexts: r.contexts,
            labels: r.labels,
            deployment_id: Some(r.deployment_id),
            liquibase: Some(r.liquibase),
        }
    }
}

impl NewRow {
    /// The document, fields in liquibase-mongodb's order (`MongoRanChangeSet` /
    /// `MongoRanChangeSetToDocumentConverter`), nulls explicit, `orderExecuted` Int32.
    pub fn to_document(&self) -> Document {
        doc! {
            "fileName": &self.id.path,
            "id": &self.id.id,
            "author": &self.id.author,
            "md5sum": opt(self.checksum.as_ref().map(ToString::to_string)),
            "dateExecuted": self.date_executed,
            "tag": opt(self.tag.clone()),
            "execType": self.exec_type.as_str(),
            "description": &self.description,
            "comments": opt(self.comments.clone()),
            "contexts": opt(self.contexts.clone()),
            "labels": opt(self.labels.clone()),
            "deploymentId": &self.deployment_id,
            "orderExecuted": self.order_executed,
            "liquibase": &self.liquibase,
        }
    }
}

fn opt(value: Option<String>) -> Bson {
    value.map_or(Bson::Null, Bson::String)
}

/// The fields of a history row lbmongo reads (`MongoRanChangeSet`'s, `_id` aside).
const ROW_FIELDS: [&str; 14] = [
    "fileName",
    "id",
    "author",
    "md5sum",
    "dateExecuted",
    "orderExecuted",
    "execType",
    "description",
    "comments",
    "tag",
    "contexts",
    "labels",
    "deploymentId",
    "liquibase",
];

/// The history collection of one database.
#[derive(Debug, Clone)]
pub struct History<'c> {
    connection: &'c Connection,
    options: TrackingOptions,
}

impl<'c> History<'c> {
    /// The history of the connection's database.
    pub fn new(connection: &'c Connection, options: TrackingOptions) -> Self {
        Self {
            connection,
            options,
        }
    }

    /// Whether the collection exists, asked exactly as liquibase-mongodb's
    /// `CountCollectionByNameStatement` does.
    pub async fn exists(&self) -> Result<bool> {
        collection_exists(self.connection, &self.options.changelog_collection).await
    }

    /// Creates the collection if missing and, with `adjust`, its unique index and validator
    /// (`MongoHistoryService.init`), through the one setup of the tracking collections.
    pub async fn ensure(&self) -> Result<()> {
        crate::tracking::ensure_history(self.connection, &self.options).await
    }

    /// Every row, ordered by `orderExecuted` as `MongoHistoryService.getRanChangeSets`.
    ///
    /// Rows are read as raw BSON and each field taken straight from the bytes: a no-op `update`
    /// over 10,000 rows spent more time building `Document`s it dropped at once than reading
    /// the fields it keeps.
    pub async fn ran_change_sets(&self) -> Result<Vec<RanChangeSet>> {
        if !self.exists().await? {
            return Ok(Vec::new());
        }
        let name = &self.options.changelog_collection;
        let raw = crate::execute::read_cursor_raw(
            &self.connection.client,
            &self.connection.database,
            doc! { "find": name, "filter": {}, "sort": { "orderExecuted": 1 } },
        )
        .await
        .map_err(|e| e.within(format!("cannot read `{name}`")))?;
        raw.iter().map(|row| self.parse_row(row)).collect()
    }

    fn parse_row(&self, d: &RawDocument) -> Result<RanChangeSet> {
        let bad = |field: &str| Error::Command {
            context: format!("cannot read `{}`", self.options.changelog_collection),
            message: format!(
                "row {} has an invalid `{field}`",
                Document::try_from(d).map_or_else(
                    |e| format!("that is not valid BSON ({e})"),
                    |d| crate::json::to_relaxed_json(&d)
                )
            ),
        };
        // One pass over the row's fields, each kept at its first occurrence (as a lookup by
        // name finds it): looking each of the fourteen names up from the start was a third of
        // reading the history.
        let mut fields: [Option<RawBsonRef<'_>>; ROW_FIELDS.len()] = [None; ROW_FIELDS.len()];
        for element in d {
            let (key, value) = element.map_err(|e| Error::Command {
                context: format!("cannot read `{}`", self.options.changelog_collection),
                message: format!("a row is not valid BSON: {e}"),
            })?;
            if let Some(slot) = ROW_FIELDS.iter().position(|f| *f == key) {
                fields[slot].get_or_insert(value);
            }
        }
        let field = |name: &str| {
            ROW_FIELDS
                .iter()
                .position(|f| *f == name)
                .and_then(|slot| fields[slot])
        };
        let string = |name: &str| -> Result<Option<String>> {
            match field(name) {
                None | Some(RawBsonRef::Null) => Ok(None),
                Some(RawBsonRef::String(s)) => Ok(Some(s.to_owned())),
                Some(_) => Err(bad(name)),
            }
        };
        let required = |field: &str| string(field)?.ok_or_else(|| bad(field));
        let path = required("fileName")?;
        Ok(RanChangeSet {
            id: ChangeSetId {
                path: normalize_path(&path),
                id: required("id")?,
                author: required("author")?,
            },
            checksum: string("md5sum")?.as_deref().and_then(CheckSum::parse),
            date_executed: match field("dateExecuted") {
                Some(RawBsonRef::DateTime(t)) => Some(t),
                None | Some(RawBsonRef::Null) => None,
                Some(_) => return Err(bad("dateExecuted")),
            },
            order_executed: match field("orderExecuted") {
                // The Java reader casts to Integer; we also accept what it would not (Int64,
                // Double) rather than fail, since the value only orders rows.
                Some(RawBsonRef::Int32(v)) => v,
                Some(RawBsonRef::Int64(v)) => i32::try_from(v).map_err(|_| bad("orderExecuted"))?,
                None | Some(RawBsonRef::Null) => 0,
                Some(_) => return Err(bad("orderExecuted")),
            },
            exec_type: ExecType::parse(&required("execType")?).ok_or_else(|| bad("execType"))?,
            description: string("description")?,
            comments: string("comments")?,
            tag: string("tag")?,
            contexts: string("contexts")?,
            labels: string("labels")?,
            deployment_id: string("deploymentId")?,
            liquibase: string("liquibase")?,
        })
    }

    /// The highest `orderExecuted` (0 when empty), as `MongoHistoryService.getNextSequenceValue`.
    pub async fn max_order_executed(&self) -> Result<i32> {
        let name = &self.options.changelog_collection;
        let last = crate::execute::read_cursor(
            &self.connection.client,
            &self.connection.database,
            doc! {
                "find": name,
                "filter": {},
                "sort": { "orderExecuted": -1 },
                "limit": 1,
                "singleBatch": true,
            },
        )
        .await
        .map_err(|e| e.within(format!("cannot read `{name}`")))?
        .pop();
        Ok(last
            .and_then(|d| match d.get("orderExecuted") {
                Some(Bson::Int32(v)) => Some(*v),
                Some(Bson::Int64(v)) => i32::try_from(*v).ok(),
                _ => None,
            })
            .unwrap_or(0))
    }

    /// Inserts a row through an `insert` command, as liquibase-mongodb's `InsertOneStatement`.
    pub async fn insert(&self, row: &NewRow) -> Result<()> {
        self.run(self.insert_command(row), "cannot record in").await
    }

    /// The command [`History::insert`] sends.
    pub fn insert_command(&self, row: &NewRow) -> Document {
        self.with_write_concern(self.insert_body(row))
    }

    /// The insert without a write concern (inside a transaction the commit carries it).
    pub fn insert_body(&self, row: &NewRow) -> Document {
        doc! { "insert": &self.options.changelog_collection, "documents": [row.to_document()] }
    }

    /// Updates the row of a re-run changeset, as `MongoHistoryService.setExecType` for `RERAN`:
    /// only `dateExecuted`, `orderExecuted`, `md5sum`, `execType`, `deploymentId` and (when
    /// non-null) `tag` change.
    pub async fn update_reran(&self, row: &NewRow) -> Result<()> {
        self.run(self.update_reran_command(row), "cannot update")
            .await
    }

    /// The command [`History::update_reran`] sends.
    pub fn update_reran_command(&self, row: &NewRow) -> Document {
        self.with_write_concern(self.update_reran_body(row))
    }

    /// The re-run update without a write concern (for use inside a transaction).
    pub fn update_reran_body(&self, row: &NewRow) -> Document {
        let mut set = doc! {
            "dateExecuted": row.date_executed,
            "orderExecuted": row.order_executed,
            "md5sum": opt(row.checksum.as_ref().map(ToString::to_string)),
            "execType": row.exec_type.as_str(),
            "deploymentId": &row.deployment_id,
        };
        if let Some(tag) = &row.tag {
            set.insert("tag", tag);
        }
        update_many_body(
            &self.options.changelog_collection,
            identity_filter(&row.id),
            doc! { "$set": set },
        )
    }

    /// Sets `md5sum` on a row (`replaceChecksum`: v8 upgrades and refilling cleared values).
    ///
    /// Returns how many rows it changed (those of the identity filter `{fileName, id, author}`:
    /// one, or none when the row is gone), so a caller keeping rows in memory (the jar) mirrors
    /// what happened instead of deciding it again.
    pub async fn replace_checksum(&self, id: &ChangeSetId, checksum: &CheckSum) -> Result<i64> {
        let reply = self
            .command(self.replace_checksum_command(id, checksum), "cannot update")
            .await?;
        Ok(crate::execute::rows_affected(&reply))
    }

    /// The command [`History::replace_checksum`] sends.
    pub fn replace_checksum_command(&self, id: &ChangeSetId, checksum: &CheckSum) -> Document {
        self.update_many_command(
            identity_filter(id),
            doc! { "$set": { "md5sum": checksum.to_string() } },
        )
    }

    /// `clear-checksums`: `md5sum` null on every row.
    pub async fn clear_checksums(&self) -> Result<()> {
        let command = self.update_many_command(doc! {}, doc! { "$set": { "md5sum": Bson::Null } });
        self.run(command, "cannot update").await
    }

    /// Removes a row (rollback), as `MongoHistoryService.removeFromHistory`.
    ///
    /// Returns how many rows it removed (see [`History::replace_checksum`]).
    pub async fn remove(&self, id: &ChangeSetId) -> Result<i64> {
        let reply = self
            .command(self.remove_command(id), "cannot delete from")
            .await?;
        Ok(crate::execute::rows_affected(&reply))
    }

    /// The command [`History::remove`] sends.
    pub fn remove_command(&self, id: &ChangeSetId) -> Document {
        self.with_write_concern(doc! {
            "delete": &self.options.changelog_collection,
            "deletes": [{ "q": identity_filter(id), "limit": 0 }],
        })
    }

    /// `tag`: sets the tag of the newest row (sort `dateExecuted` desc, `orderExecuted` desc),
    /// overwriting any tag there, as `MongoHistoryService.tag`. Returns false when empty.
    pub async fn tag_last(&self, tag: &str) -> Result<Option<ChangeSetId>> {
        let command = self.with_write_concern(doc! {
            "findAndModify": &self.options.changelog_collection,
            "query": {},
            "sort": { "dateExecuted": -1, "orderExecuted": -1 },
            "update": { "$set": { "tag": tag } },
        });
        let response = self.command(command, "cannot tag").await?;
        // The row as it was (findAndModify's default): its identity is what the caller needs.
        Ok(match response.get("value") {
            Some(Bson::Document(row)) => {
                let field = |name| row.get_str(name).unwrap_or_default().to_owned();
                Some(ChangeSetId {
                    path: field("fileName"),
                    id: field("id"),
                    author: field("author"),
                })
            }
            _ => None,
        })
    }

    /// Whether any row carries the tag (`countDocuments({tag})`).
    pub async fn tag_exists(&self, tag: &str) -> Result<bool> {
        if !self.exists().await? {
            return Ok(false);
        }
        let name = &self.options.changelog_collection;
        let n = crate::execute::count(
            &self.connection.client,
            &self.connection.database,
            name,
            doc! { "tag": tag },
        )
        .await
        .map_err(|e| e.within(format!("cannot read `{name}`")))?;
        Ok(n > 0)
    }

    /// Drops the collection (`drop-all`).
    pub async fn destroy(&self) -> Result<()> {
        crate::tracking::drop_collection(self.connection, &self.options.changelog_collection).await
    }

    fn update_many_command(&self, filter: Document, update: Document) -> Document {
        self.with_write_concern(update_many_body(
            &self.options.changelog_collection,
            filter,
            update,
        ))
    }

    /// Majority write concern on replica sets and sharded clusters (see
    /// `Connection::tracking_write_concern`).
    fn with_write_concern(&self, mut command: Document) -> Document {
        if self.connection.distributed {
            command.insert("writeConcern", doc! { "w": "majority" });
        }
        command
    }

    async fn run(&self, command: Document, what: &str) -> Result<()> {
        self.command(command, what).await.map(drop)
    }

    async fn command(&self, command: Document, what: &str) -> Result<Document> {
        crate::execute::run_command(&self.connection.client, &self.connection.database, command)
            .await
            .map_err(|e| e.within(format!("{what} `{}`", self.options.changelog_collection)))
    }
}

fn update_many_body(collection: &str, filter: Document, update: Document) -> Document {
    doc! { "update": collection, "updates": [{ "q": filter, "u": update, "multi": true }] }
}

/// `{fileName, id, author}`, the identity filter of every row update.
fn identity_filter(id: &ChangeSetId) -> Document {
    doc! { "fileName": &id.path, "id": &id.id, "author": &id.author }
}

/// FILENAME values are read back through `DatabaseChangeLog.normalizePath` (4.28.0), so a row
/// written as `./db/x.xml` or `db\x.xml` matches `db/x.xml`.
pub(crate) fn normalize_path(path: &str) -> String {
    crate::format::normalize_path(path)
}

/// A date as Java's `DateFormat.getDateTimeInstance(SHORT, SHORT)` prints it in the default
/// (en_US) locale and the local time zone, e.g. `11/24/26, 7:16 AM`: the form of Liquibase's
/// "Currently locked by … since …" message and of the `history` table.
pub fn short_date(date: DateTime) -> String {
    local(date).format("%-m/%-d/%y, %-I:%M %p").to_string()
}

/// A date as Java's `DateFormat.getDateTimeInstance(MEDIUM, MEDIUM)` prints it (en_US), e.g.
/// `Nov 24, 2026, 7:16:54 AM`: the form of Liquibase's `list-locks`.
pub fn medium_date(date: DateTime) -> String {
    local(date).format("%b %-d, %Y, %-I:%M:%S %p").to_string()
}

fn local(date: DateTime) -> chrono::DateTime<chrono::Local> {
    chrono::DateTime::<chrono::Utc>::from(date.to_system_time()).with_timezone(&chrono::Local)
}

/// Liquibase's deployment id: the last ten digits of the epoch millis, zero-padded, as
/// `AbstractChangeLogHistoryService.generateDeploymentId` (4.28.0).
pub(crate) fn deployment_id(now: DateTime) -> String {
    let millis = now.timestamp_millis().rem_euclid(10_000_000_000);
    format!("{millis:010}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_fields_are_in_liquibase_mongodb_order_with_explicit_nulls() {
        let row = NewRow {
            id: ChangeSetId {
                path: "db/a.xml".into(),
                id: "1".into(),
                author: "me".into(),
            },
            checksum: CheckSum::parse("9:2a659bf380005d42308e0616959f69c1"),
            date_executed: DateTime::from_millis(1_700_000_000_123),
            tag: None,
            exec_type: ExecType::Executed,
            description: "runCommand".into(),
            comments: None,
            contexts: None,
            labels: None,
            deployment_id: "0000000123".into(),
            order_executed: 7,
            liquibase: "4.33.0".into(),
        };
        let d = row.to_document();
        let keys: Vec<&str> = d.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "fileName",
                "id",
                "author",
                "md5sum",
                "dateExecuted",
                "tag",
                "execType",
                "description",
                "comments",
                "contexts",
                "labels",
                "deploymentId",
                "orderExecuted",
                "liquibase"
            ]
        );
        assert_eq!(d.get("tag"), Some(&Bson::Null));
        assert_eq!(d.get("orderExecuted"), Some(&Bson::Int32(7)));
        assert!(matches!(d.get("dateExecuted"), Some(Bson::DateTime(_))));
    }

    #[test]
    fn deployment_id_is_the_last_ten_digits_of_epoch_millis() {
        assert_eq!(
            deployment_id(DateTime::from_millis(1_732_435_501_413)),
            "2435501413"
        );
        assert_eq!(deployment_id(DateTime::from_millis(42)), "0000000042");
    }

    #[test]
    fn dates_print_like_java_date_format_in_en_us() {
        // SAFETY of the assertion: only the shape, since the local time zone is the machine's.
        let d = DateTime::from_millis(1_795_504_614_000);
        let short = short_date(d);
        assert!(
            short.contains("/26, ") && (short.ends_with(" AM") || short.ends_with(" PM")),
            "{short}"
        );
        let medium = medium_date(d);
        assert!(
            medium.starts_with("Nov ") && medium.contains(", 2026, "),
            "{medium}"
        );
    }

    #[test]
    fn exec_types_round_trip() {
        for t in [
            ExecType::Executed,
            ExecType::Reran,
            ExecType::MarkRan,
            ExecType::Failed,
            ExecType::Skipped,
        ] {
            assert_eq!(ExecType::parse(t.as_str()), Some(t));
        }
        assert_eq!(ExecType::parse("executed"), None);
    }
}
