//! The lbmongo engine: Liquibase-compatible changelogs, checksums, lock and history, and
//! execution against MongoDB.
//!
//! This crate is everything lbmongo does; the `lbmongo` binary and the Liquibase jar (over JNI)
//! are thin doors onto it. It never prints and knows nothing of clap or JNI. Behaviour follows
//! Liquibase 4.33 open-source core with the official liquibase-mongodb extension (the contract
//! is `shared/spec/`): history and lock documents are byte-compatible, so a project can switch
//! between lbmongo, Liquibase with our jar and Liquibase with the official extension.
#![warn(missing_docs)]

pub mod change;
pub mod changelog;
pub mod checksum;
pub mod command;
pub mod connection;
pub mod error;
mod events;
mod execute;
pub mod executor;
pub mod expression;
pub mod format;
pub mod history;
pub mod java;
pub mod json;
pub mod lock;
pub mod mongosh;
pub mod parameter;
pub mod plan;
mod redact;
pub mod service;
mod tracking;

pub use mongodb::bson;

pub use change::Change;
pub use changelog::{ChangeLog, ChangeSet, ChangeSetId};
pub use checksum::CheckSum;
pub use error::{Error, Problem, Result, ServerError, describe};
pub use execute::{read_cursor, run_command};
