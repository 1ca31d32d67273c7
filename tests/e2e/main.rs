//! End-to-end tests: the built `lbmongo` binary against a real server.
//!
//! One test binary holds every end-to-end module, so the test server (`support::server`) starts
//! once per run. A module per area; each test takes its own database from `support::fresh_db`.

mod architecture;
mod bridge;
mod checks;
mod commands;
mod concurrency;
mod crash;
mod ferretdb;
mod fleet;
mod generated;
mod generator;
mod ground_truth;
mod history_rows;
mod jar;
mod jar_doors;
mod jar_mongosh;
mod mongosh;
mod pipeline;
mod reliability;
mod security;
mod server;
mod support;
