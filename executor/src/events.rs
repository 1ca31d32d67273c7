//! Progress events: what the engine tells a door while a command runs. The engine never prints;
//! the CLI renders these and the JNI bridge passes the ones Liquibase shows (the lock wait).
//! With them, the [`UpdateReport`] an update ends with (a failed update's travels in an event).
//! Below the executor and the lock, which both speak through it.

use crate::changelog::ChangeSetId;
use crate::checksum::CheckSum;
use crate::history::ExecType;

/// Something worth telling the user while a command runs. The engine never prints; the CLI and
/// the JNI bridge decide how to show these.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Another process holds the lock; polling again.
    WaitingForLock,
    /// This process now holds the lock (as `lockedBy`).
    LockAcquired(String),
    /// The update is planned: this many changesets will run.
    Planned(usize),
    /// A changeset's changes ran; its history row is written next.
    Applied(ChangeSetId),
    /// A changeset starts (`Running Changeset: path::id::author`).
    Running(ChangeSetId),
    /// A changeset finished and was recorded.
    Recorded {
        /// The changeset.
        id: ChangeSetId,
        /// How it was recorded.
        exec_type: ExecType,
        /// Whether its changes and its history row were committed in one transaction.
        in_transaction: bool,
    },
    /// A changeset was skipped by an `onFail`/`onError` `CONTINUE` precondition.
    PreconditionSkipped {
        /// The changeset.
        id: ChangeSetId,
        /// The precondition message.
        message: String,
    },
    /// A changeset is being rolled back.
    RollingBack(ChangeSetId),
    /// A stored checksum was upgraded (`Upgrading checksum for Changeset …`).
    ChecksumUpgraded {
        /// The changeset.
        id: ChangeSetId,
        /// The old value.
        from: CheckSum,
        /// The new value.
        to: CheckSum,
    },
    /// A warning (`onFail=WARN`, a missing tag, …).
    Warning(String),
    /// An update stopped at a changeset (failed, or a `HALT` precondition): what it did before
    /// it stopped. The command's error follows.
    UpdateFailed(Box<UpdateReport>),
}

/// Receives [`Event`]s.
pub trait Listener: Sync {
    /// Called for each event, in order.
    fn on(&self, event: &Event);
}

/// A listener that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Listener for Quiet {
    fn on(&self, _: &Event) {}
}

/// What an update did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateReport {
    /// Changesets that ran or were recorded, in order, with their exec type.
    pub recorded: Vec<(ChangeSetId, ExecType)>,
    /// Changesets whose changes and history row were committed in one transaction.
    pub in_transaction: Vec<ChangeSetId>,
    /// Changesets skipped by a `CONTINUE` precondition (evaluated again next time).
    pub precondition_skipped: Vec<ChangeSetId>,
    /// Changesets that had run before.
    pub previously_run: usize,
    /// Every changeset of the changelog, whatever happened to it.
    pub total: usize,
    /// Changesets filtered out, with why.
    pub filtered: Vec<(ChangeSetId, crate::plan::Reason)>,
    /// The run's deployment id.
    pub deployment_id: String,
    /// Documents affected (`n` of each command response), as liquibase-mongodb counts rows.
    pub rows_affected: i64,
}
