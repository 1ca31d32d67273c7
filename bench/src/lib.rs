//! The benchmark harness of `make bench` (issue 7): what the harness binary and the limit program
//! share. The binary `lbmongo-bench` starts the test server, alternates the runners and writes
//! the results; `bench-limit` is the limit each runner is measured against.

pub mod workload;
