//! `lbmongo`: Liquibase-compatible MongoDB migrations without a JVM.
fn main() {}
