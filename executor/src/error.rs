//! The engine's one error type.

use std::fmt;
use std::path::PathBuf;

use crate::changelog::ChangeSetId;

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The changelog (or something it includes) is invalid. All problems are collected.
    #[error("{}", Problems(.0))]
    Invalid(Vec<Problem>),
    /// A file could not be read.
    #[error("cannot read `{}`", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Stored checksums do not match the changelog (validation, before anything runs).
    #[error("{} changesets check sum\n{}", .0.len(), ChecksumList(.0))]
    ChecksumMismatch(Vec<ChecksumMismatch>),
    /// The lock could not be acquired in time.
    #[error("Could not acquire change log lock.  Currently locked by {locked_by} since {since}")]
    LockHeld {
        /// The holder, `host (ip)`.
        locked_by: String,
        /// When the holder took it.
        since: String,
    },
    /// The lock document did not change as expected.
    #[error("did not update change log lock correctly: {0}")]
    Lock(String),
    /// A command sent to the server failed.
    #[error("{context}: {message}")]
    Command {
        /// What was being done (`changeset … `, `reading history`, …).
        context: String,
        /// The server's or driver's message (credentials masked).
        message: String,
    },
    /// A changeset failed while it ran. Liquibase's words (`Migration failed for changeset …`),
    /// which users' scripts grep for.
    #[error("Migration failed for changeset {id}: {message}")]
    ChangeSetFailed {
        /// The changeset.
        id: ChangeSetId,
        /// What failed.
        message: String,
        /// A hint for the user, when one helps.
        hint: Option<String>,
    },
    /// A precondition halted the update.
    #[error("preconditions failed for `{id}`: {message}")]
    PreconditionFailed {
        /// The changeset (or the changelog path for changelog-level preconditions).
        id: String,
        /// The failure message.
        message: String,
    },
    /// A changeset cannot be rolled back.
    #[error("changeset `{id}` has no rollback: {reason}")]
    NoRollback {
        /// The changeset.
        id: ChangeSetId,
        /// Why (e.g. `no inverse for insertOne; add a <rollback> block`).
        reason: String,
    },
    /// A tag named by the user does not exist.
    #[error("Could not find tag '{0}' in the database")]
    TagNotFound(String),
    /// Configuration or arguments are wrong (bad URL, missing setting, …).
    #[error("{message}")]
    Config {
        /// What is wrong.
        message: String,
        /// A hint for the user, when one helps.
        hint: Option<String>,
    },
    /// mongosh failed or is missing.
    #[error("{0}")]
    Mongosh(String),
    /// Anything the driver reports outside a command (connection, server selection, …).
    #[error("{0}")]
    Driver(String),
}

impl Error {
    /// A hint line for the user, when the error carries one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::ChangeSetFailed { hint, .. } | Error::Config { hint, .. } => hint.clone(),
            Error::ChecksumMismatch(_) => Some(
                "revert the edit, or add `<validCheckSum>` with the new value if the edit is intended"
                    .to_owned(),
            ),
            Error::LockHeld { .. } => Some(
                "if no other update is running (e.g. it was killed), free the lock with `lbmongo release-locks`"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// `Result` with the engine's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem found while reading or validating a changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (as the changelog names it).
    pub file: String,
    /// 1-based line, where the format gives one.
    pub line: Option<usize>,
    /// `id::author` of the changeset, when inside one.
    pub change_set: Option<String>,
    /// What is wrong, e.g. ``createIndex: missing required attribute `keys` ``.
    pub message: String,
    /// How to fix it, when a hint helps.
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(cs) = &self.change_set {
            write!(f, ": changeset `{cs}`")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [one] => write!(f, "invalid changelog: {one}"),
            many => {
                write!(f, "invalid changelog: {} problems", many.len())?;
                for p in many {
                    write!(f, "\n- {p}")?;
                }
                Ok(())
            }
        }
    }
}

/// A stored checksum that no longer matches its changeset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumMismatch {
    /// The changeset.
    pub id: ChangeSetId,
    /// The stored value.
    pub stored: String,
    /// The value computed now (in the stored value's version).
    pub actual: String,
}

struct ChecksumList<'a>(&'a [ChecksumMismatch]);

impl fmt::Display for ChecksumList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As ValidatingVisitor (4.28.0): `<path>::<id>::<author> was: <stored> but is now: <new>`.
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "          {} was: {} but is now: {}",
                m.id, m.stored, m.actual
            )?;
        }
        Ok(())
    }
}
