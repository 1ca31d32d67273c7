//! Shared helpers of the end-to-end tests: the test server, one database per test, and a runtime
//! for synchronous tests.
//!
//! Tests import what they need from here (`use crate::support::{fresh_db, server};`); the modules
//! below hold the details.

pub(crate) mod cli;
pub(crate) mod own_server;
pub(crate) mod server;

pub(crate) use server::{
    ServerOptions, Topology, block_on, db_name, fresh_db, repo_root, server, server_with,
};
