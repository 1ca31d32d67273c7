//! The lbmongo engine: Liquibase-compatible changelogs, checksums, lock and history, and
//! execution against MongoDB.
//!
//! This crate is everything lbmongo does; the `lbmongo` binary and the Liquibase jar (over JNI)
//! are thin doors onto it. It never prints and knows nothing of clap or JNI. Behaviour follows
//! Liquibase 4.33 open-source core with the official liquibase-mongodb extension (the contract
//! is `shared/spec/`): history and lock documents are byte-compatible, so a project can switch
//! between lbmongo, Liquibase with our jar and Liquibase with the official extension.
//!
//! # The door
//!
//! This file is the engine's one door. The commands live at the crate root, one function per
//! Liquibase command, each over an open [`Connection`] and one [`Settings`] (or the options
//! struct it names): [`update`], [`rollback`], [`changelog_sync`], [`tag`], [`validate`],
//! [`update_sql`], [`release_locks`], [`list_locks`], [`drop_all`], … [`fleet`] runs any of
//! them over many databases, each with its own lock and history. [`checks`] holds the policy
//! checks (`checks run`, `checks show`, `checks input` and the update gate). Beside them are the data
//! types they take and return ([`change`], [`changelog`], [`error`] and the re-exports below).
//! What Liquibase's SPI needs in smaller pieces is in [`liquibase`], which only the JNI bridge
//! uses. Everything else — the readers, the lock, the history, the mongosh runner, the execute
//! path every server call takes — is private to the crate.
//!
//! Layers, lowest first (`scripts/check-architecture.py` keeps them free of cycles): `platform`, `redact`,
//! `java`, `json` → `error` → `execute` → `change`, `changelog`, `checksum`, `expression`,
//! `parameter` → `command`, `connection` → `format` → `tracking`, `history`, `events`, `lock`,
//! `plan`, `mongosh` → `preflight` → `executor` → `liquibase`, `fleet`, `checks`.
#![warn(missing_docs)]

pub mod change;
pub mod changelog;
pub mod checks;
mod checksum;
mod command;
mod connection;
pub mod error;
mod events;
mod execute;
mod executor;
mod expression;
pub mod fleet;
mod format;
mod history;
mod java;
mod json;
pub mod liquibase;
mod lock;
mod mongosh;
mod parameter;
mod plan;
mod platform;
mod preflight;
mod redact;
mod tracking;

pub use mongodb::bson;

// The commands.
pub use executor::{
    LIQUIBASE_VERSION, RollbackReport, Settings, change_set_description, changelog_sync,
    clear_checksums, drop_all, future_rollback_sql, judged_platform, read_history, rollback,
    rollback_sql, tag, tag_exists, unexpected, update, update_sql, update_testing_rollback,
    validate, validate_on,
};
pub use lock::{force_release as release_locks, list as list_locks};

// What they take and return.
pub use change::Change;
pub use changelog::{ChangeLog, ChangeSet, ChangeSetId};
pub use checksum::CheckSum;
pub use command::{Command, Db, Preview};
pub use connection::{Connection, ConnectionOptions, effective_url};
pub use error::{Error, Problem, Result, ServerError, describe};
pub use events::{Event, Listener, Quiet, UpdateReport};
pub use expression::{ContextExpression, Contexts, LabelExpression, Labels};
pub use format::{Format, ReadOptions, read as read_changelog, read_str as read_changelog_text};
pub use history::{ExecType, RanChangeSet, TrackingOptions, medium_date, short_date};
pub use lock::{LockOptions, LockRow};
pub use mongosh::{MongoshOptions, MongoshSettings, NativeMode, SettingNames};
pub use parameter::{ChangeLogParameters, DatabaseInfo, MissingPropertyMode, ParameterOptions};
pub use plan::{Filter, Goal, Plan, Reason, RollbackTarget};
pub use platform::{Feature, LockStrategy, Platform, PlatformKind};
pub use preflight::Finding;

// Readers of values a door takes from its users.
pub use java::{date_of_epoch_day, parse_properties};
pub use json::{parse_document, parse_value};

// The one execute path, for the generator's introspection (`listCollections`, `rolesInfo`, …).
pub use execute::{read_cursor, run_command};

/// The parsers' entry points and the mongosh runner's parts, for the repository's own fuzz
/// targets (`fuzz/`) and end-to-end tests, which drive them directly. Not part of the engine's
/// interface: no door uses it.
#[doc(hidden)]
pub mod internals {
    pub use crate::format::{formatted, json as json_changelog, xml, yaml};
    pub use crate::json::{
        MAX_DEPTH, check_document, check_documents, parse_document, parse_documents, parse_value,
        to_relaxed_json,
    };
    pub use crate::mongosh::{Run, run_native, run_script, subset};
}
