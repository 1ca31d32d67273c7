//! The lbmongo generator: reads a live MongoDB into a neutral snapshot and writes changelogs that
//! recreate it (`snapshot`, `generate-changelog`, `diff`, `diff-changelog`).
//!
//! The shape follows diesel's CLI: `introspect` turns a database into plain data (a
//! [`Snapshot`]), `baseline` and `diff` turn snapshots into changesets of the executor's model,
//! `stamp` marks them as Liquibase marks generated changesets (labels, context, `created`,
//! descriptive ids), and `write` prints changesets in one of the changelog formats. Only
//! `introspect` talks to a server, and it only reads; every write to a database goes through
//! `executor`. Output is deterministic: the same database gives byte-identical files (unless
//! `created` values or descriptive ids, which name the time of the run, are asked for).

pub mod baseline;
pub mod diff;
pub mod ejson;
pub mod error;
pub mod introspect;
pub mod snapshot;
pub mod stamp;
mod window;
pub mod write;

pub use error::{Error, Result};
pub use snapshot::Snapshot;
