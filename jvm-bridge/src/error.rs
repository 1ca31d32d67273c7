//! The one error shape that crosses JNI: a kind and the executor's message, which the Java side
//! turns into its one `NativeException` (and from there into the Liquibase exception the SPI
//! method declares).

use serde::Serialize;

/// An error reported to Java.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BridgeError {
    /// A stable name for the failure (`LockHeld`, `Invalid`, `Command`, `Request`, `Panic`, …),
    /// so Java can pick the Liquibase exception type without parsing the message.
    pub kind: &'static str,
    /// The executor's message, as lbmongo prints it.
    pub message: String,
    /// The executor's hint, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl BridgeError {
    /// A request Java sent that the bridge cannot read (a bug in the Java side).
    pub fn request(message: impl Into<String>) -> Self {
        Self {
            kind: "Request",
            message: message.into(),
            hint: None,
        }
    }

    /// A Rust panic, caught before it reaches the JVM.
    pub fn panic(message: impl Into<String>) -> Self {
        Self {
            kind: "Panic",
            message: format!("lbmongo internal error: {}", message.into()),
            hint: None,
        }
    }

    /// A connection or lock id the bridge does not know (closed, or never opened).
    pub fn unknown(what: &str, id: u64) -> Self {
        Self {
            kind: "Handle",
            message: format!("no open {what} with id {id}"),
            hint: None,
        }
    }
}

impl From<executor::Error> for BridgeError {
    fn from(e: executor::Error) -> Self {
        use executor::Error as E;
        let kind = match &e {
            E::Invalid(_) => "Invalid",
            E::Read { .. } => "Read",
            E::ChecksumMismatch(_) => "ChecksumMismatch",
            E::LockHeld { .. } => "LockHeld",
            E::Lock(_) | E::LockLost(_) => "Lock",
            E::Command { .. } => "Command",
            E::ChangeSetFailed { .. } => "ChangeSetFailed",
            E::PreconditionFailed { .. } => "PreconditionFailed",
            E::NoRollback { .. } => "NoRollback",
            E::TagNotFound(_) => "TagNotFound",
            E::Config { .. } => "Config",
            E::Mongosh(_) => "Mongosh",
            E::Server(_) => "Server",
            E::Connection(_) | E::ConnectionClosed(_) => "Connection",
            E::Driver(_) => "Driver",
            _ => "Other",
        };
        Self {
            kind,
            hint: e.hint(),
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executor_errors_keep_their_message_and_hint() {
        let cases = [
            (
                executor::Error::LockHeld {
                    locked_by: "h (1.2.3.4)".into(),
                    since: "x".into(),
                },
                "LockHeld",
                "Could not acquire change log lock.  Currently locked by h (1.2.3.4) since x",
            ),
            (executor::Error::Driver("boom".into()), "Driver", "boom"),
            (
                executor::Error::TagNotFound("v1".into()),
                "TagNotFound",
                "Could not find tag 'v1' in the database",
            ),
        ];
        for (error, kind, message) in cases {
            let hint = error.hint();
            let b = BridgeError::from(error);
            assert_eq!((b.kind, b.message.as_str(), b.hint), (kind, message, hint));
        }
    }
}
