//! The JSON requests and reports that cross JNI, one pair per export.
//!
//! Field names are camelCase because the Java side writes and reads them with its own small
//! JSON codec. Dates cross as epoch milliseconds. These types only carry data: every decision
//! is made by `executor` (called from `handle`).

use executor::liquibase::ChangeSpec;

use crate::error::BridgeError;
use serde::{Deserialize, Serialize};

/// `Native.connect`: open a client for a Liquibase URL.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connect {
    /// `mongodb://…` or `mongodb+srv://…` as Liquibase got it.
    pub url: String,
    /// `--username`, spliced into the URL as liquibase-mongodb does.
    #[serde(default)]
    pub username: Option<String>,
    /// `--password`.
    #[serde(default)]
    pub password: Option<String>,
    /// `liquibase.mongodb.retryWrites`, when configured.
    #[serde(default)]
    pub retry_writes: Option<bool>,
    /// Driver application name.
    #[serde(default)]
    pub app_name: Option<String>,
}

/// What Liquibase's `DatabaseConnection` reports about an open connection.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connected {
    /// The id later requests name the connection by.
    pub handle: u64,
    /// The URL's database (`getCatalog`).
    pub database: String,
    /// The comma-joined host list (`getURL`).
    pub hosts: String,
    /// The user of the URL's credential, if any.
    pub user: Option<String>,
    /// `buildInfo.version`.
    pub version: String,
    /// The URL with the password masked.
    pub display_url: String,
    /// Lines for Liquibase's log about how the request was read (a Maven `null` username).
    pub notes: Vec<String>,
}

/// A request about an open connection only.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handle {
    /// The connection.
    pub handle: u64,
}

/// A change as Liquibase holds it: name and property texts.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// `insertOne`, `createIndex`, …
    pub name: String,
    /// Property name to text; properties Liquibase holds as `null` are left out.
    #[serde(default)]
    pub properties: Vec<Property>,
    /// `mongoFile`: the file as Liquibase's resource accessor read it (the bridge does not see
    /// Liquibase's search path), raw and `${}`-expanded by Liquibase's changelog parameters.
    #[serde(default)]
    pub file: Option<ScriptFile>,
}

/// `Native.decodeScript`: a `mongoFile` script's bytes, as Liquibase's resource accessor found
/// them, into its text by lbmongo's rule, so both tools read one file as the same text.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecodeScript {
    /// The script's path as resolved (next to the changelog or on the search path), for
    /// messages.
    pub path: String,
    /// The change's `relativeToChangelogFile`, for the hint when the file is missing.
    #[serde(default)]
    pub relative_to_changelog_file: Option<bool>,
    /// The change's `encoding` attribute.
    #[serde(default)]
    pub encoding: Option<String>,
    /// The file's bytes in standard base64 (JSON has no byte strings, and the bytes must reach
    /// the engine undecoded); absent when the resource accessor did not find the file.
    #[serde(default)]
    pub bytes: Option<String>,
}

/// A `mongoFile` script, read on the Java side.
#[derive(Debug, Clone, Deserialize)]
pub struct ScriptFile {
    /// The file's bytes in standard base64, as sent to `Native.decodeScript`: the checksum
    /// covers them.
    pub bytes: String,
    /// The text `Native.decodeScript` returned, with Liquibase's `${}` parameters expanded:
    /// what runs.
    pub expanded: String,
}

impl ScriptFile {
    /// The file's bytes.
    pub fn raw(&self) -> Result<Vec<u8>, BridgeError> {
        base64_bytes(&self.bytes)
    }
}

/// Bytes sent from Java in standard base64 (JSON has no byte strings).
pub fn base64_bytes(encoded: &str) -> Result<Vec<u8>, BridgeError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| BridgeError::request(format!("`bytes` is not base64: {e}")))
}

/// The `liquibase.mongodb.mongosh*` settings as Liquibase's configuration holds them (texts,
/// parsed on the Rust side).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mongosh {
    /// `liquibase.mongodb.mongoshPath`.
    #[serde(default)]
    pub path: Option<String>,
    /// `liquibase.mongodb.mongoshNative`: `auto`, `always` or `never`.
    #[serde(default)]
    pub native: Option<String>,
    /// `liquibase.mongodb.mongoshTimeoutSeconds`: seconds, `-1` for no limit.
    #[serde(default)]
    pub timeout_seconds: Option<String>,
    /// `liquibase.mongodb.mongoshExtraArgs`, split on spaces.
    #[serde(default)]
    pub extra_args: Option<String>,
    /// `liquibase.mongodb.mongoshLogFile`.
    #[serde(default)]
    pub log_file: Option<String>,
}

/// One property of a [`Change`].
#[derive(Debug, Clone, Deserialize)]
pub struct Property {
    /// Its bean name.
    pub name: String,
    /// Its text.
    pub value: String,
}

impl Change {
    /// The engine's form.
    pub fn to_spec(&self) -> ChangeSpec {
        ChangeSpec {
            name: self.name.clone(),
            properties: self
                .properties
                .iter()
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect(),
        }
    }
}

/// `Native.change`: a question about one change that needs no database.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeQuery {
    /// What to compute.
    pub op: ChangeOp,
    /// The change.
    pub change: Change,
    /// The checksum version (for `checksum`), from Liquibase's scope.
    #[serde(default)]
    pub version: Option<u32>,
    /// Preview the automatic inverse (for `preview` under `rollback-sql`).
    #[serde(default)]
    pub rollback: bool,
    /// The changeset holding the change (`preview` of a mongosh script names it).
    #[serde(default)]
    pub change_set: Option<Id>,
    /// The URL's database (`preview` lowers native mongosh scripts against it).
    #[serde(default)]
    pub database: Option<String>,
    /// The mongosh settings (`preview` of a mongosh script).
    #[serde(default)]
    pub mongosh: Option<Mongosh>,
}

/// The questions [`ChangeQuery`] asks.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeOp {
    /// `{"checksum": "9:…"}`.
    Checksum,
    /// `{}` when the change is valid, else an error naming the property.
    Validate,
    /// `{"lines": ["db.runCommand(…);"]}` for `update-sql`.
    Preview,
    /// `{"description": "…"}`: the history `description` of the change.
    Description,
    /// `{"automaticRollback": bool}`: whether the engine derives the change's inverse, so that
    /// Liquibase needs no rollback block (`Change.supportsRollback`).
    AutomaticRollback,
}

/// `Native.execute`: run one change (or its automatic inverse).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Execute {
    /// The connection.
    pub handle: u64,
    /// The change.
    pub change: Change,
    /// Run the inverse instead.
    #[serde(default)]
    pub rollback: bool,
    /// The changeset holding the change (mongosh messages name it).
    #[serde(default)]
    pub change_set: Option<Id>,
    /// The executor core chose for the changeset (`runWith`, `jdbc` by default).
    #[serde(default)]
    pub run_with: Option<String>,
    /// The mongosh settings, for `mongo`/`mongoFile`.
    #[serde(default)]
    pub mongosh: Option<Mongosh>,
}

/// The tracking collections and their switches, from Liquibase's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracking {
    /// `databaseChangeLogTableName`.
    pub changelog_collection: String,
    /// `databaseChangeLogLockTableName`.
    pub lock_collection: String,
    /// `liquibase.mongodb.adjustTrackingTablesOnStartup`.
    #[serde(default = "yes")]
    pub adjust: bool,
    /// `liquibase.mongodb.supportsValidator` when configured; absent or null, the detected
    /// platform's default.
    #[serde(default)]
    pub supports_validator: Option<bool>,
}

fn yes() -> bool {
    true
}

impl Tracking {
    /// The engine's form.
    pub fn to_options(&self) -> executor::TrackingOptions {
        executor::TrackingOptions {
            changelog_collection: self.changelog_collection.clone(),
            lock_collection: self.lock_collection.clone(),
            adjust: self.adjust,
            supports_validator: self.supports_validator,
        }
    }
}

/// `Native.lock`: one `LockService` call.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockRequest {
    /// The connection.
    pub handle: u64,
    /// What to do.
    pub op: LockOp,
    /// The collections.
    pub tracking: Tracking,
    /// `changelogLockWaitTimeInMinutes`, in milliseconds (`acquire`).
    #[serde(default)]
    pub wait_millis: u64,
    /// `changelogLockPollRate`, in milliseconds (`acquire`).
    #[serde(default = "ten_seconds")]
    pub poll_millis: u64,
    /// `liquibase.hostDescription`.
    #[serde(default)]
    pub host_description: Option<String>,
    /// The held lock to release (`release`).
    #[serde(default)]
    pub lock: Option<u64>,
}

fn ten_seconds() -> u64 {
    10_000
}

/// The `LockService` calls.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LockOp {
    /// Take the lock, waiting up to `waitMillis`: `{"lock": id, "lockedBy": "…"}`, or
    /// `{"heldBy", "since", "message"}` when another process still holds it after the wait, or
    /// `{"waiting": id}` each time the engine polls again (Java logs it and sends `await`).
    Acquire,
    /// Keep waiting for the pending lock `lock` that `acquire` or `await` reported `waiting`;
    /// answers as `acquire` does.
    Await,
    /// Create the lock collection and its validator, without a lock document
    /// (liquibase-mongodb's `MongoLockService.init`, run by `validate` and `status`).
    Init,
    /// Release a lock `acquire` returned.
    Release,
    /// `{"locks": [{"id", "granted", "lockedBy", "locked"}]}`.
    List,
    /// `release-locks`: free the lock whoever holds it.
    ForceRelease,
    /// `drop-all`: drop the lock collection.
    Destroy,
    /// `update-sql`: `{"lines": […]}`, the tracking setup and the command that takes the lock.
    PreviewAcquire,
    /// `update-sql`: `{"lines": […]}`, the command that releases the lock.
    PreviewRelease,
}

/// `Native.history`: one `ChangeLogHistoryService` call.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRequest {
    /// The connection.
    pub handle: u64,
    /// What to do.
    pub op: HistoryOp,
    /// The collections.
    pub tracking: Tracking,
    /// The row to write (`record`).
    #[serde(default)]
    pub row: Option<Row>,
    /// The changeset (`remove`, `replaceChecksum`).
    #[serde(default)]
    pub id: Option<Id>,
    /// The new checksum (`replaceChecksum`).
    #[serde(default)]
    pub checksum: Option<String>,
    /// The tag (`tag`, `tagExists`).
    #[serde(default)]
    pub tag: Option<String>,
    /// The Liquibase version (`tag`'s placeholder row).
    #[serde(default)]
    pub liquibase: Option<String>,
}

/// The `ChangeLogHistoryService` calls.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HistoryOp {
    /// Create the collection, its index and validator.
    Init,
    /// `{"rows": [Ran…]}` ordered by `orderExecuted`.
    Read,
    /// `{"max": n}`: the highest `orderExecuted`.
    MaxOrder,
    /// Write `row` (insert, or update for `RERAN`).
    Record,
    /// Delete the row of `id`.
    Remove,
    /// Tag the newest row (placeholder row on an empty history).
    Tag,
    /// `{"exists": bool}`.
    TagExists,
    /// `md5sum` null on every row.
    ClearChecksums,
    /// Set `md5sum` of `id` to `checksum`.
    ReplaceChecksum,
    /// Drop the collection.
    Destroy,
    /// `update-sql`: `{"lines": […]}`, the command that would record `row`.
    PreviewRecord,
    /// `rollback-sql`: `{"lines": […]}`, the command that would remove `id`'s row.
    PreviewRemove,
}

/// A changeset identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Id {
    /// FILENAME.
    pub file_name: String,
    /// id.
    pub id: String,
    /// author.
    pub author: String,
}

impl From<executor::ChangeSetId> for Id {
    fn from(id: executor::ChangeSetId) -> Self {
        Id {
            file_name: id.path,
            id: id.id,
            author: id.author,
        }
    }
}

impl Id {
    /// The engine's form.
    pub fn to_change_set_id(&self) -> executor::ChangeSetId {
        executor::ChangeSetId {
            path: self.file_name.clone(),
            id: self.id.clone(),
            author: self.author.clone(),
        }
    }
}

/// A history row to write, from the fields Liquibase computed for the changeset.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// The changeset.
    #[serde(flatten)]
    pub id: Id,
    /// `9:…`.
    pub md5sum: Option<String>,
    /// `EXECUTED`, `RERAN`, …
    pub exec_type: String,
    /// `ChangeSet.getDescription()`.
    pub description: String,
    /// `ChangeSet.getComments()`.
    #[serde(default)]
    pub comments: Option<String>,
    /// The changeset's own context expression as written.
    #[serde(default)]
    pub contexts: Option<String>,
    /// The inherited context expressions as written (`getInheritableContextFilter`).
    #[serde(default)]
    pub inherited_contexts: Vec<String>,
    /// The changeset's labels as written.
    #[serde(default)]
    pub labels: Option<String>,
    /// The last `tagDatabase` tag of the changeset.
    #[serde(default)]
    pub tag: Option<String>,
    /// The run's deployment id.
    pub deployment_id: String,
    /// `getNextSequenceValue()`.
    pub order_executed: i32,
    /// `LiquibaseUtil.getBuildVersion()`.
    pub liquibase: String,
}

/// A history row as read back.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ran {
    /// The changeset.
    #[serde(flatten)]
    pub id: Id,
    /// `md5sum`.
    pub md5sum: Option<String>,
    /// `dateExecuted`, epoch millis.
    pub date_executed: Option<i64>,
    /// `orderExecuted`.
    pub order_executed: i32,
    /// `execType`.
    pub exec_type: String,
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

impl From<executor::RanChangeSet> for Ran {
    fn from(r: executor::RanChangeSet) -> Self {
        Ran {
            id: Id {
                file_name: r.id.path,
                id: r.id.id,
                author: r.id.author,
            },
            md5sum: r.checksum.map(|c| c.to_string()),
            date_executed: r
                .date_executed
                .map(executor::bson::DateTime::timestamp_millis),
            order_executed: r.order_executed,
            exec_type: r.exec_type.as_str().to_owned(),
            description: r.description,
            comments: r.comments,
            tag: r.tag,
            contexts: r.contexts,
            labels: r.labels,
            deployment_id: r.deployment_id,
            liquibase: r.liquibase,
        }
    }
}

/// `Native.precondition`: check one mongodb precondition.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreconditionRequest {
    /// The connection.
    pub handle: u64,
    /// The precondition as a change-like name and properties.
    pub precondition: Change,
}

/// `Native.parseJson`: a JSON changelog into the format-neutral tree.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParseJson {
    /// The file's text.
    pub text: String,
    /// Its path, for messages.
    pub file: String,
}

/// `Native.parseFormatted`: a formatted mongosh changelog (`// liquibase formatted mongodb`)
/// into the format-neutral tree, or with `probe` only whether `text` starts with the header.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParseFormatted {
    /// The file's text.
    pub text: String,
    /// Its path, for messages.
    pub file: String,
    /// Answer `{"formatted": bool}` instead of parsing.
    #[serde(default)]
    pub probe: bool,
}

/// One node of a parsed changelog.
#[derive(Debug, Serialize)]
pub struct Node {
    /// Element or key name.
    pub name: String,
    /// Scalar text.
    pub value: Option<String>,
    /// Children in document order.
    pub children: Vec<Node>,
}

impl From<executor::liquibase::Node> for Node {
    fn from(n: executor::liquibase::Node) -> Self {
        Node {
            name: n.name,
            value: n.value,
            children: n.children.into_iter().map(Node::from).collect(),
        }
    }
}

/// `Native.dropAll`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DropAll {
    /// The connection.
    pub handle: u64,
    /// The collections.
    pub tracking: Tracking,
}

// -- replies --------------------------------------------------------------------------------
//
// What each export answers inside `{"ok": …}`. Several ops of one export answer different
// shapes; an untagged enum of small structs keeps each shape named and typed while the JSON
// stays the flat object Java reads.

/// `{}`: done, nothing to report.
#[derive(Debug, Default, Serialize)]
pub struct Done {}

/// `{"version": "0.1.0"}`.
#[derive(Debug, Serialize)]
pub struct Version {
    /// This library's package version, which must equal the jar's.
    pub version: &'static str,
}

/// `{"lines": […]}`: commands as `update-sql` prints them.
#[derive(Debug, Serialize)]
pub struct Lines {
    /// One command or script per entry.
    pub lines: Vec<String>,
}

/// `Native.change`'s answers.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ChangeReply {
    /// `checksum`: `{"checksum": "9:…"}`.
    Checksum {
        /// The checksum text.
        checksum: String,
    },
    /// `description`: `{"description": "…"}`.
    Description {
        /// The history `description` of the change.
        description: String,
    },
    /// `preview`.
    Lines(Lines),
    /// `automaticRollback`: `{"automaticRollback": bool}`.
    AutomaticRollback {
        /// Whether the engine derives the change's inverse (so no rollback block is needed).
        #[serde(rename = "automaticRollback")]
        automatic_rollback: bool,
    },
    /// `validate`: `{}`.
    Valid(Done),
}

/// `Native.execute`: `{"rows": n}`, documents affected as liquibase-mongodb counts them.
#[derive(Debug, Serialize)]
pub struct Executed {
    /// `n` (or `nModified`, `nRemoved`) of the reply; 0 for scripts and rollbacks.
    pub rows: i64,
}

/// `Native.precondition`: `{"passed": true}`, `{"passed": false, "failure": …}` (the check
/// failed) or `{"passed": false, "error": …}` (it could not be checked).
#[derive(Debug, Serialize)]
pub struct Checked {
    /// Whether the precondition holds.
    pub passed: bool,
    /// Why it does not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Why it could not be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `Native.decodeScript`: `{"text": …}`.
#[derive(Debug, Serialize)]
pub struct Decoded {
    /// The script's text.
    pub text: String,
}

/// `Native.parseFormatted`'s answers.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum FormattedReply {
    /// `probe`: `{"formatted": bool}`, whether the text is a formatted mongosh changelog.
    Probe {
        /// Whether it is.
        formatted: bool,
    },
    /// The parsed tree.
    Tree(Node),
}

/// `Native.dropAll`: `{"dropped": [names]}`.
#[derive(Debug, Serialize)]
pub struct Dropped {
    /// The collections and views dropped, in order.
    pub dropped: Vec<String>,
}

/// One lock document, as `list-locks` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockRow {
    /// `_id`.
    pub id: i32,
    /// `lockGranted`, epoch milliseconds.
    pub granted: Option<i64>,
    /// `lockedBy`.
    pub locked_by: Option<String>,
    /// `locked`.
    pub locked: bool,
}

/// `Native.lock`'s answers.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum LockReply {
    /// `acquire`/`await`: the lock is ours, `{"lock": id, "lockedBy": …}`.
    Held(LockHeld),
    /// `acquire`/`await`: another process still holds it after the wait.
    HeldElsewhere(HeldElsewhere),
    /// `acquire`/`await`: the engine polls again, `{"waiting": id}`.
    Waiting {
        /// The pending lock to `await`.
        waiting: u64,
    },
    /// `list`: `{"locks": […]}`.
    Locks {
        /// Every lock document.
        locks: Vec<LockRow>,
    },
    /// `previewAcquire`, `previewRelease`.
    Lines(Lines),
    /// Everything else.
    Done(Done),
}

/// The lock is held by this process.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockHeld {
    /// The id `release` names it by.
    pub lock: u64,
    /// `lockedBy` as written.
    pub locked_by: String,
}

/// Another process holds the lock: `{"heldBy", "since", "message"}`, the message in Liquibase's
/// words so Java adds none of its own.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldElsewhere {
    /// Its `lockedBy`.
    pub held_by: String,
    /// Since when, as Liquibase prints it.
    pub since: String,
    /// The whole message.
    pub message: String,
}

/// `Native.history`'s answers.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum HistoryReply {
    /// `read`: `{"rows": […]}` ordered by `orderExecuted`.
    Rows {
        /// Every row.
        rows: Vec<Ran>,
    },
    /// `maxOrder`: `{"max": n}`.
    Max {
        /// The highest `orderExecuted`, 0 when empty.
        max: i32,
    },
    /// `record`: `{"row": …}`, the row as written.
    Row {
        /// The row (for `RERAN`, only the fields the update sets count).
        row: Box<Ran>,
    },
    /// `tag`: `{"tagged": id}`, the row the engine tagged.
    Tagged {
        /// Its identity.
        tagged: Id,
    },
    /// `remove`, `replaceChecksum`: which rows changed.
    Changed(Changed),
    /// `tagExists`: `{"exists": bool}`.
    Exists {
        /// Whether a row carries the tag.
        exists: bool,
    },
    /// `previewRecord`, `previewRemove`.
    Lines(Lines),
    /// Everything else.
    Done(Done),
}

/// What `remove` and `replaceChecksum` changed: `{"changed": id, "rows": n}` — the rows of that
/// identity (the engine's filter), `n` of them, so Java's cache mirrors the engine's write
/// rather than deciding which rows it hit.
#[derive(Debug, Serialize)]
pub struct Changed {
    /// The identity whose rows changed.
    pub changed: Id,
    /// How many rows.
    pub rows: i64,
}
