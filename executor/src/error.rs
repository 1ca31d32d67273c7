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
    /// The lock this command held is no longer its own (released by `release-locks`, taken
    /// over after its lease expired, or overwritten by a tool whose lock is not atomic on this
    /// server): another updater may be running beside it.
    #[error("{0}")]
    LockLost(String),
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
    /// The platform cannot run some changes of the changelog (the preflight, before anything
    /// is written).
    #[error(
        "{} cannot run {} of this changelog; nothing was written\n{}",
        .platform.name(),
        Count(.findings.len(), "change"),
        Indented(.findings)
    )]
    Unsupported {
        /// The platform judged.
        platform: crate::platform::PlatformKind,
        /// Each change it cannot run, as `preflight::Finding` shows it.
        findings: Vec<String>,
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
    /// The server answered with an error: a command error, a write error or a write concern
    /// error. The code is kept so that callers decide by code, never by the message's text.
    #[error("{0}")]
    Server(ServerError),
    /// The server could not be reached or the connection failed: server selection, network,
    /// TLS, DNS, authentication.
    #[error("{0}")]
    Connection(String),
    /// The server closed the connection while a command was on it (end of file, reset, broken
    /// pipe): FerretDB v1 does this on a value it cannot store, such as a Decimal128.
    #[error("{0}")]
    ConnectionClosed(String),
    /// Anything else the driver reports (invalid arguments, BSON, …).
    #[error("{0}")]
    Driver(String),
}

impl Error {
    /// The engine's error for a driver error: [`Error::Server`] when the server answered,
    /// [`Error::Connection`] when it could not be reached or the connection failed, else
    /// [`Error::Driver`].
    pub fn from_driver(error: &mongodb::error::Error) -> Error {
        use mongodb::error::ErrorKind;
        if let Some(server) = ServerError::from_driver(error) {
            return Error::Server(server);
        }
        let text = describe(error);
        if closed_mid_command(error) {
            return Error::ConnectionClosed(text);
        }
        match error.kind.as_ref() {
            ErrorKind::Io(_)
            | ErrorKind::ServerSelection { .. }
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. }
            | ErrorKind::Authentication { .. }
            | ErrorKind::InvalidTlsConfig { .. }
            | ErrorKind::Shutdown => Error::Connection(text),
            _ => Error::Driver(text),
        }
    }

    /// The same error, saying what was being done (`cannot read `DATABASECHANGELOG``): a server
    /// error keeps its code; other errors become `{context}: {message}`.
    pub fn within(self, context: impl Into<String>) -> Error {
        let context = context.into();
        match self {
            Error::Server(mut s) => {
                s.context = Some(match s.context.take() {
                    Some(inner) => format!("{context}: {inner}"),
                    None => context,
                });
                Error::Server(s)
            }
            Error::Connection(message) => Error::Connection(format!("{context}: {message}")),
            Error::ConnectionClosed(message) => {
                Error::ConnectionClosed(format!("{context}: {message}"))
            }
            other => Error::Command {
                context,
                message: other.to_string(),
            },
        }
    }

    /// The server's answer, when the server answered with an error.
    pub fn server(&self) -> Option<&ServerError> {
        match self {
            Error::Server(s) => Some(s),
            _ => None,
        }
    }

    fn has_code(&self, codes: &[i32]) -> bool {
        self.server().is_some_and(|s| codes.contains(&s.code))
    }

    /// The server closed the connection while the command was on it.
    pub fn is_connection_closed(&self) -> bool {
        matches!(self, Error::ConnectionClosed(_))
    }

    /// E11000: a unique index refused the write.
    pub fn is_duplicate_key(&self) -> bool {
        self.has_code(&[code::DUPLICATE_KEY])
    }

    /// The server answered the command but its reply is not a success (`ok` not 1, write
    /// errors, a write concern error), as liquibase-mongodb's `checkResponse` sees it; a driver
    /// error (the server refused the command outright, or was not reached) is not.
    pub(crate) fn is_failed_reply(&self) -> bool {
        matches!(
            self,
            Error::Server(ServerError {
                kind: ServerErrorKind::Response { .. },
                ..
            })
        )
    }

    /// The collection or view to create already exists.
    pub fn is_namespace_exists(&self) -> bool {
        self.has_code(&[code::NAMESPACE_EXISTS])
    }

    /// The collection (or database) named does not exist.
    pub fn is_namespace_not_found(&self) -> bool {
        self.has_code(&[code::NAMESPACE_NOT_FOUND])
    }

    /// An index of that name or those keys already exists with other options or keys.
    pub fn is_index_conflict(&self) -> bool {
        self.has_code(&[code::INDEX_OPTIONS_CONFLICT, code::INDEX_KEY_SPECS_CONFLICT])
    }

    /// The server does not implement the command (FerretDB and DocumentDB answer
    /// NotImplemented or CommandNotSupported; MongoDB CommandNotFound).
    pub fn is_not_implemented(&self) -> bool {
        self.has_code(&[
            code::NOT_IMPLEMENTED,
            code::COMMAND_NOT_SUPPORTED,
            code::COMMAND_NOT_FOUND,
        ])
    }

    /// The user may not run the command.
    pub fn is_unauthorized(&self) -> bool {
        self.has_code(&[code::UNAUTHORIZED])
    }

    /// A conflict inside a transaction that the server answered and that waiting may resolve
    /// (WriteConflict, NoSuchTransaction, LockTimeout).
    pub fn is_transaction_conflict(&self) -> bool {
        self.has_code(&[
            code::WRITE_CONFLICT,
            code::NO_SUCH_TRANSACTION,
            code::LOCK_TIMEOUT,
        ])
    }

    /// A hint line for the user, when the error carries one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::ChangeSetFailed { hint, .. } | Error::Config { hint, .. } => hint.clone(),
            Error::ChecksumMismatch(_) => Some(
                "revert the edit, or add `<validCheckSum>` with the new value if the edit is intended"
                    .to_owned(),
            ),
            Error::Unsupported { platform, .. } => Some(format!(
                "change or remove these changes, keep them from this platform with a context or a label, \
                 or, if this {} server does run them, skip the check with `--platform mongodb`",
                platform.name()
            )),
            Error::LockHeld { .. } => Some(
                "if no other update is running (e.g. it was killed), free the lock with `lbmongo release-locks`"
                    .to_owned(),
            ),
            Error::LockLost(_) => Some(
                "another updater may have run changesets at the same time; wait for it to finish, then check `lbmongo status` and run the update again"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// `1 change`, `9 changes`.
struct Count(usize, &'static str);

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.0 == 1 { "" } else { "s" };
        write!(f, "{} {}{plural}", self.0, self.1)
    }
}

/// Lines, each indented by two spaces.
struct Indented<'a>(&'a [String]);

impl fmt::Display for Indented<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// The server error codes lbmongo acts on, named as the server names them (MongoDB's
/// `error_codes.yml`): the one place a code number is written.
pub mod code {
    /// `Unauthorized`.
    pub const UNAUTHORIZED: i32 = 13;
    /// `LockTimeout`.
    pub const LOCK_TIMEOUT: i32 = 24;
    /// `NamespaceNotFound`.
    pub const NAMESPACE_NOT_FOUND: i32 = 26;
    /// `NamespaceExists`.
    pub const NAMESPACE_EXISTS: i32 = 48;
    /// `CommandNotFound`.
    pub const COMMAND_NOT_FOUND: i32 = 59;
    /// `IndexOptionsConflict`.
    pub const INDEX_OPTIONS_CONFLICT: i32 = 85;
    /// `IndexKeySpecsConflict`.
    pub const INDEX_KEY_SPECS_CONFLICT: i32 = 86;
    /// `WriteConflict`.
    pub const WRITE_CONFLICT: i32 = 112;
    /// `CommandNotSupported`.
    pub const COMMAND_NOT_SUPPORTED: i32 = 115;
    /// `NotImplemented`.
    pub const NOT_IMPLEMENTED: i32 = 238;
    /// `NoSuchTransaction`.
    pub const NO_SUCH_TRANSACTION: i32 = 251;
    /// `DuplicateKey`.
    pub const DUPLICATE_KEY: i32 = 11000;
}

/// An error the server answered with (credentials masked in every text).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerError {
    /// The error code, e.g. 11000.
    pub code: i32,
    /// The code's name, e.g. `DuplicateKey` (empty when the server gave none).
    pub code_name: String,
    /// The server's message.
    pub message: String,
    /// Where in the answer the error was.
    pub kind: ServerErrorKind,
    /// What was being done, when the caller said (`cannot read `DATABASECHANGELOG``).
    pub context: Option<String>,
}

/// Where in the server's answer an error was.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerErrorKind {
    /// The command failed (`ok: 0`).
    Command,
    /// A write error of a write command.
    Write,
    /// A write concern error.
    WriteConcern,
    /// A reply that is not a success (`ok` not 1, write errors or a write concern error), as
    /// liquibase-mongodb's `checkResponse` sees it.
    Response {
        /// The whole reply, as relaxed Extended JSON.
        json: String,
        /// The reply's only problem is a write concern error.
        write_concern_only: bool,
    },
}

impl ServerError {
    /// The server's error in a driver error, if the server answered.
    pub fn from_driver(error: &mongodb::error::Error) -> Option<ServerError> {
        use mongodb::error::{ErrorKind, WriteFailure};
        let (code, code_name, message, kind) = match error.kind.as_ref() {
            ErrorKind::Command(c) => (
                c.code,
                c.code_name.clone(),
                &c.message,
                ServerErrorKind::Command,
            ),
            ErrorKind::Write(WriteFailure::WriteError(w)) => (
                w.code,
                w.code_name.clone().unwrap_or_default(),
                &w.message,
                ServerErrorKind::Write,
            ),
            ErrorKind::Write(WriteFailure::WriteConcernError(w)) => (
                w.code,
                w.code_name.clone(),
                &w.message,
                ServerErrorKind::WriteConcern,
            ),
            ErrorKind::InsertMany(m) => match (&m.write_errors, &m.write_concern_error) {
                (Some(errors), _) if !errors.is_empty() => (
                    errors[0].code,
                    errors[0].code_name.clone().unwrap_or_default(),
                    &errors[0].message,
                    ServerErrorKind::Write,
                ),
                (_, Some(w)) => (
                    w.code,
                    w.code_name.clone(),
                    &w.message,
                    ServerErrorKind::WriteConcern,
                ),
                _ => return None,
            },
            _ => return None,
        };
        Some(ServerError {
            code,
            code_name,
            message: crate::redact::mask(message),
            kind,
            context: None,
        })
    }

    /// The error in a reply the server sent with `ok` not 1, or with write errors or a write
    /// concern error: the first write error's code, else the write concern error's, else the
    /// reply's own.
    pub fn from_response(response: &mongodb::bson::Document, json: String) -> ServerError {
        use mongodb::bson::Bson;
        let first_write_error = match response.get("writeErrors") {
            Some(Bson::Array(errors)) => errors.iter().find_map(Bson::as_document),
            _ => None,
        };
        let write_concern_only =
            first_write_error.is_none() && response.contains_key("writeConcernError");
        let source = first_write_error
            .or_else(|| response.get_document("writeConcernError").ok())
            .unwrap_or(response);
        let code = match source.get("code") {
            Some(Bson::Int32(c)) => *c,
            Some(Bson::Int64(c)) => i32::try_from(*c).unwrap_or(0),
            Some(Bson::Double(c)) if c.fract() == 0.0 && c.abs() <= f64::from(i32::MAX) => {
                // Exact for every code a server sends (they are small integers).
                #[allow(clippy::cast_possible_truncation)]
                let c = *c as i32;
                c
            }
            _ => 0,
        };
        ServerError {
            code,
            code_name: source.get_str("codeName").unwrap_or_default().to_owned(),
            message: crate::redact::mask(source.get_str("errmsg").unwrap_or_default()),
            kind: ServerErrorKind::Response {
                json: crate::redact::mask(&json),
                write_concern_only,
            },
            context: None,
        }
    }
}

impl fmt::Display for ServerError {
    /// As the Java driver words a server error (`Command failed with error 11000
    /// (DuplicateKey): 'E11000 …'`), and a failed response as liquibase-mongodb's
    /// `AbstractRunCommandStatement.checkResponse` (`Command failed. The full response is …`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(context) = &self.context {
            write!(f, "{context}: ")?;
        }
        let (code, name, message) = (self.code, &self.code_name, &self.message);
        match &self.kind {
            ServerErrorKind::Command => {
                write!(f, "Command failed with error {code} ({name}): '{message}'")
            }
            ServerErrorKind::Write => write!(f, "Write failed with error {code}: '{message}'"),
            ServerErrorKind::WriteConcern => {
                write!(f, "Write concern error {code} ({name}): '{message}'")
            }
            ServerErrorKind::Response {
                json,
                write_concern_only,
            } => {
                // The extension does not refuse a write concern error; we do, and say so.
                let what = if *write_concern_only {
                    "Command failed with a write concern error"
                } else {
                    "Command failed"
                };
                write!(f, "{what}. The full response is {json}")
            }
        }
    }
}

/// A driver error as one line, for people, credentials masked: a server error as the Java
/// driver words it (see [`ServerError`]'s `Display`), a connection dropped mid-command as such,
/// anything else as the driver describes its kind, without the raw response bytes
/// (`RawDocumentBuf { data: "62000000…" }`) the Rust driver's own `Display` appends. The one
/// place a driver error becomes text.
pub fn describe(error: &mongodb::error::Error) -> String {
    use mongodb::error::ErrorKind;
    if let Some(server) = ServerError::from_driver(error) {
        return server.to_string();
    }
    let text = match error.kind.as_ref() {
        ErrorKind::Io(io) if closed_mid_command(error) => {
            format!("the server closed the connection during the command ({io})")
        }
        other => other.to_string(),
    };
    crate::redact::mask(&text)
}

/// Whether the driver lost the connection while a command was on it: the server hung up (end of
/// file, reset, aborted, broken pipe), as opposed to a server that could not be reached at all.
fn closed_mid_command(error: &mongodb::error::Error) -> bool {
    use mongodb::error::ErrorKind;
    use std::io::ErrorKind as Io;
    matches!(
        error.kind.as_ref(),
        ErrorKind::Io(io) if matches!(
            io.kind(),
            Io::UnexpectedEof | Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe
        )
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{Document, doc, from_document};
    use mongodb::error::{CommandError, ErrorKind, WriteConcernError, WriteError, WriteFailure};

    /// A command error as the driver reports a reply with `ok: 0`.
    fn command(reply: Document) -> mongodb::error::Error {
        let c: CommandError = from_document(reply).expect("a command error reply");
        mongodb::error::Error::from(ErrorKind::Command(c))
    }

    /// A write error as the driver reports the first entry of a reply's `writeErrors`.
    fn write(entry: Document) -> mongodb::error::Error {
        let w: WriteError = from_document(entry).expect("a write error");
        mongodb::error::Error::from(ErrorKind::Write(WriteFailure::WriteError(w)))
    }

    fn write_concern(entry: Document) -> mongodb::error::Error {
        let w: WriteConcernError = from_document(entry).expect("a write concern error");
        mongodb::error::Error::from(ErrorKind::Write(WriteFailure::WriteConcernError(w)))
    }

    #[test]
    fn predicates_follow_the_server_s_code() {
        type Predicate = fn(&Error) -> bool;
        let predicates: [(&str, Predicate); 6] = [
            ("duplicate key", Error::is_duplicate_key),
            ("namespace exists", Error::is_namespace_exists),
            ("namespace not found", Error::is_namespace_not_found),
            ("not implemented", Error::is_not_implemented),
            ("unauthorized", Error::is_unauthorized),
            ("index conflict", Error::is_index_conflict),
        ];
        // (reply as the server sends it, the predicate it answers true)
        let cases = [
            (
                write(doc! {
                    "index": 0, "code": 11000,
                    "errmsg": "E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: 1 }",
                    "keyPattern": { "_id": 1 }, "keyValue": { "_id": 1 },
                }),
                "duplicate key",
            ),
            (
                command(doc! {
                    "ok": 0.0, "errmsg": "Collection db.c already exists.",
                    "code": 48, "codeName": "NamespaceExists",
                }),
                "namespace exists",
            ),
            (
                command(doc! {
                    "ok": 0.0, "errmsg": "ns does not exist: db.c",
                    "code": 26, "codeName": "NamespaceNotFound",
                }),
                "namespace not found",
            ),
            (
                command(doc! {
                    "ok": 0.0, "errmsg": "rolesInfo is not implemented",
                    "code": 238, "codeName": "NotImplemented",
                }),
                "not implemented",
            ),
            (
                command(doc! {
                    "ok": 0.0, "errmsg": "Feature not supported: rolesInfo",
                    "code": 115, "codeName": "CommandNotSupported",
                }),
                "not implemented",
            ),
            (
                command(doc! {
                    "ok": 0.0, "errmsg": "no such command: 'rolesInfo'",
                    "code": 59, "codeName": "CommandNotFound",
                }),
                "not implemented",
            ),
            (
                command(doc! {
                    "ok": 0.0,
                    "errmsg": "not authorized on db to execute command { insert: \"c\" }",
                    "code": 13, "codeName": "Unauthorized",
                }),
                "unauthorized",
            ),
            (
                command(doc! {
                    "ok": 0.0,
                    "errmsg": "Index already exists with a different name: a_1",
                    "code": 85, "codeName": "IndexOptionsConflict",
                }),
                "index conflict",
            ),
        ];
        for (driver, expected) in cases {
            let error = Error::from_driver(&driver);
            assert!(matches!(error, Error::Server(_)), "{error:?}");
            for (name, predicate) in predicates {
                assert_eq!(predicate(&error), name == expected, "{name}: {error}");
            }
        }
        // A network failure answers no predicate: nothing was answered.
        let network = Error::from_driver(&mongodb::error::Error::from(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        )));
        assert!(matches!(network, Error::ConnectionClosed(_)), "{network:?}");
        assert!(network.is_connection_closed());
        assert!(predicates.iter().all(|(_, p)| !p(&network)));
    }

    #[test]
    fn transaction_conflicts_are_the_answered_ones() {
        for (code, name) in [
            (112, "WriteConflict"),
            (251, "NoSuchTransaction"),
            (24, "LockTimeout"),
        ] {
            let e = Error::from_driver(&command(
                doc! { "ok": 0.0, "errmsg": "x", "code": code, "codeName": name },
            ));
            assert!(e.is_transaction_conflict(), "{e}");
        }
        let e = Error::from_driver(&command(
            doc! { "ok": 0.0, "errmsg": "x", "code": 11000, "codeName": "DuplicateKey" },
        ));
        assert!(!e.is_transaction_conflict());
    }

    #[test]
    fn a_reply_that_is_not_a_success_keeps_its_first_error_s_code() {
        let reply = doc! {
            "n": 0, "ok": 1.0,
            "writeErrors": [{ "index": 0, "code": 11000, "errmsg": "E11000 duplicate key error" }],
        };
        let e = Error::Server(ServerError::from_response(&reply, "{…}".to_owned()));
        assert!(e.is_duplicate_key());
        assert_eq!(e.to_string(), "Command failed. The full response is {…}");
        let reply = doc! {
            "ok": 1.0,
            "writeConcernError": { "code": 64, "codeName": "WriteConcernFailed", "errmsg": "waiting for replication timed out" },
        };
        let s = ServerError::from_response(&reply, "{…}".to_owned());
        assert_eq!((s.code, s.code_name.as_str()), (64, "WriteConcernFailed"));
        assert_eq!(
            s.to_string(),
            "Command failed with a write concern error. The full response is {…}"
        );
        let reply = doc! { "ok": 0.0, "code": 26, "codeName": "NamespaceNotFound", "errmsg": "ns not found" };
        let e = Error::Server(ServerError::from_response(&reply, "{…}".to_owned()));
        assert!(e.is_namespace_not_found());
    }

    #[test]
    fn describe_words_each_kind_of_driver_error() {
        let cases = [
            (
                command(doc! {
                    "ok": 0.0, "errmsg": "Collection db.c already exists.",
                    "code": 48, "codeName": "NamespaceExists",
                }),
                "Command failed with error 48 (NamespaceExists): 'Collection db.c already exists.'",
            ),
            (
                write(doc! { "index": 0, "code": 11000, "errmsg": "E11000 duplicate key error" }),
                "Write failed with error 11000: 'E11000 duplicate key error'",
            ),
            (
                write_concern(doc! {
                    "code": 64, "codeName": "WriteConcernFailed",
                    "errmsg": "waiting for replication timed out",
                }),
                "Write concern error 64 (WriteConcernFailed): 'waiting for replication timed out'",
            ),
            (
                mongodb::error::Error::from(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "end of file",
                )),
                "the server closed the connection during the command (end of file)",
            ),
            (
                mongodb::error::Error::from(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "connection refused",
                )),
                "I/O error: connection refused",
            ),
        ];
        for (driver, expected) in cases {
            assert_eq!(describe(&driver), expected);
            // The engine's error says the same, and never the driver's reply bytes.
            let error = Error::from_driver(&driver);
            assert_eq!(error.to_string(), expected);
            assert!(!error.to_string().contains("RawDocumentBuf"));
        }
    }

    #[test]
    fn context_goes_in_front_and_the_code_stays() {
        let e = Error::from_driver(&command(doc! {
            "ok": 0.0, "errmsg": "Collection db.c already exists.",
            "code": 48, "codeName": "NamespaceExists",
        }))
        .within("cannot create `c`");
        assert!(e.is_namespace_exists());
        assert_eq!(
            e.to_string(),
            "cannot create `c`: Command failed with error 48 (NamespaceExists): 'Collection db.c already exists.'"
        );
        let e = Error::Driver("bad".into()).within("cannot read `x`");
        assert!(matches!(e, Error::Command { .. }));
        assert_eq!(e.to_string(), "cannot read `x`: bad");
    }

    #[test]
    fn server_messages_are_masked() {
        let e = Error::from_driver(&command(doc! {
            "ok": 0.0, "errmsg": "cannot reach mongodb://alice:s3cret@db.example:27017/x",
            "code": 6, "codeName": "HostUnreachable",
        }));
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
