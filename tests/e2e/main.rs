//! End-to-end tests: the built `lbmongo` binary against a real server.
//!
//! One test binary holds every end-to-end module, so the test server (`support::server`) starts
//! once per run. A module per area; each test takes its own database from `support::fresh_db`.

mod commands;
mod concurrency;
mod generator;
mod crash;
mod ground_truth;
mod jar;
mod reliability;
mod security;
mod mongosh;
mod server;
mod support;
