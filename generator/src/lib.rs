//! The lbmongo generator: reads a live MongoDB into a neutral snapshot and writes changelogs that
//! recreate it (`snapshot`, `generate-changelog`, `diff`, `diff-changelog`).
//!
//! It only reads databases; every write goes through `executor`. Not built yet: this crate holds
//! the place in the workspace until the generator issue lands.
