//! The generator's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while reading a database or writing a changelog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A server command failed (credentials masked).
    #[error("{context}: {message}")]
    Command {
        /// What was being read (`listing the collections of `shop``, …).
        context: String,
        /// The server's or driver's message.
        message: String,
    },
    /// The server answered with a document we cannot understand.
    #[error("unexpected reply while {context}: {message}")]
    Reply {
        /// What was being read.
        context: String,
        /// What was wrong with the reply.
        message: String,
    },
    /// A snapshot file could not be parsed.
    #[error("`{}` is not an lbmongo snapshot: {message}", .path.display())]
    Snapshot {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The existing changelog cannot take the new changesets.
    #[error("cannot append to `{}`: {message}", .path.display())]
    Append {
        /// The changelog.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// An object name filter is invalid.
    #[error("invalid object filter `{filter}`: {message}")]
    Filter {
        /// The sub-filter as written.
        filter: String,
        /// What is wrong with it.
        message: String,
    },
    /// Both `--include-objects` and `--exclude-objects` were given, which Liquibase refuses
    /// ("Cannot specify both excludeObjects and includeObjects").
    #[error("cannot use both `--include-objects` and `--exclude-objects`")]
    FilterConflict,
    /// Writing the output failed.
    #[error("cannot write `{}`", .path.display())]
    Write {
        /// The file (`-` for stdout).
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The generator's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
