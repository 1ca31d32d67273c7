//! Comparing two snapshots (placeholder while the generator lands).
