//! End-to-end tests: the built `lbmongo` binary against a real server.
