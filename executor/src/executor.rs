//! The only orchestration: update, rollback, sync and the history commands, each a recipe of
//! lock, history, plan and execute.
//!
//! Every command that writes takes the lock first and releases it on every path, with the
//! command's own outcome winning over a release failure (spec: "the lock is always released").

use mongodb::bson::{DateTime, doc};

use crate::change::Change;
use crate::changelog::{ChangeLog, ChangeSet, ChangeSetId, OnFail, Precondition};
use crate::checksum::CheckSum;
use crate::command::execute;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::expression::{dbms_matches, history_contexts, history_labels};
use crate::history::{ExecType, History, NewRow, RanChangeSet, TrackingOptions, deployment_id};
use crate::lock::{Lock, LockOptions};
use crate::plan::{
    Filter, Goal, Plan, RollbackTarget, Step, Undo, UndoAction, plan, plan_rollback,
};

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

/// Settings every command shares.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Tracking collection names and switches.
    pub tracking: TrackingOptions,
    /// Lock wait and poll.
    pub lock: LockOptions,
    /// Which changesets the command is about.
    pub filter: Filter,
    /// The value of the history `liquibase` field: the Liquibase version whose behaviour we
    /// follow (default `4.33.0`).
    pub liquibase_version: String,
    /// Run transaction-safe changesets together with their history row in one transaction when
    /// the server supports transactions (default true; liquibase-mongodb#615).
    pub transactions: bool,
    /// How `mongo`/`mongoFile` scripts run: natively or through mongosh.
    pub mongosh: crate::mongosh::MongoshOptions,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            tracking: TrackingOptions::default(),
            lock: LockOptions::default(),
            filter: Filter {
                database_short_name: "mongodb".to_owned(),
                ..Filter::default()
            },
            liquibase_version: LIQUIBASE_VERSION.to_owned(),
            transactions: true,
            mongosh: crate::mongosh::MongoshOptions::default(),
        }
    }
}

/// The Liquibase open-source core release whose behaviour lbmongo follows.
pub const LIQUIBASE_VERSION: &str = "4.33.0";

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

/// State of one run: the deployment id and the next `orderExecuted`.
struct Recorder<'c> {
    history: History<'c>,
    deployment_id: String,
    /// The next `orderExecuted`; `None` until the first row is written. As liquibase-mongodb's
    /// `MongoHistoryService.getNextSequenceValue`, the highest stored value is asked for once,
    /// just before the run's first history write, so a run that writes nothing never sorts the
    /// whole history on the server for it.
    next_order: Option<i32>,
    liquibase: String,
}

impl<'c> Recorder<'c> {
    fn new(history: History<'c>, settings: &Settings) -> Self {
        Self {
            history,
            deployment_id: deployment_id(DateTime::now()),
            next_order: None,
            liquibase: settings.liquibase_version.clone(),
        }
    }

    /// Takes the next `orderExecuted`, reading the highest stored one the first time.
    async fn take_order(&mut self) -> Result<i32> {
        let order = match self.next_order {
            Some(order) => order,
            None => self.history.max_order_executed().await? + 1,
        };
        self.next_order = Some(order + 1);
        Ok(order)
    }

    /// Gives back the `orderExecuted` just taken (its row was never written).
    fn untake_order(&mut self) {
        if let Some(order) = &mut self.next_order {
            *order -= 1;
        }
    }

    /// The history row for `cs`, taking the next `orderExecuted`.
    async fn next_row(
        &mut self,
        cs: &ChangeSet,
        checksum: &CheckSum,
        exec_type: ExecType,
    ) -> Result<NewRow> {
        let order = self.take_order().await?;
        Ok(new_row(
            cs,
            checksum,
            exec_type,
            &self.deployment_id,
            order,
            &self.liquibase,
        ))
    }

    /// Writes `cs`'s row and returns it.
    async fn record(
        &mut self,
        cs: &ChangeSet,
        checksum: &CheckSum,
        exec_type: ExecType,
    ) -> Result<NewRow> {
        let row = self.next_row(cs, checksum, exec_type).await?;
        if exec_type == ExecType::Reran {
            self.history.update_reran(&row).await?;
        } else {
            self.history.insert(&row).await?;
        }
        Ok(row)
    }
}

/// Adds a row this run wrote to the ran changesets the run's preconditions look at. As
/// Liquibase's history services (`setExecType` appends to the cached `getRanChangeSets()` list),
/// a `changeSetExecuted` precondition sees a changeset applied earlier in the same `update`. A
/// rerun changeset already has its row there.
fn remember(ran: &mut Vec<RanChangeSet>, row: NewRow) {
    if row.exec_type != ExecType::Reran {
        ran.push(row.into());
    }
}

/// The tag a changeset writes on its own row: the last `tagDatabase` in it.
fn change_set_tag(cs: &ChangeSet) -> Option<String> {
    cs.changes.iter().rev().find_map(|c| match c {
        Change::TagDatabase(t) => Some(t.tag.trim().to_owned()),
        _ => None,
    })
}

/// The history `description`: change descriptions joined with `"; "`, cut to 255 characters
/// (252 + `...`), `empty` without changes (`ChangeSet.getDescription`, 4.28.0).
pub fn change_set_description(cs: &ChangeSet) -> String {
    if cs.changes.is_empty() {
        return "empty".to_owned();
    }
    let text = cs
        .changes
        .iter()
        .map(Change::description)
        .collect::<Vec<_>>()
        .join("; ");
    if text.chars().count() > 255 {
        let cut: String = text.chars().take(252).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// Runs `body` while holding the lock and releases it on every path; the body's error wins.
async fn locked<T>(
    connection: &Connection,
    settings: &Settings,
    listener: &dyn Listener,
    body: impl AsyncFnOnce(&Lock<'_>) -> Result<T>,
) -> Result<T> {
    let lock = Lock::acquire(connection, &settings.tracking, &settings.lock, listener).await?;
    listener.on(&Event::LockAcquired(lock.locked_by().to_owned()));
    let outcome = body(&lock).await; // no `?` between acquire and release
    let locked_by = lock.locked_by().to_owned();
    let released = lock.release().await.map_err(|e| unreleased(&e, &locked_by));
    match (outcome, released) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(e)) => Err(e),
        // The command's own error is the one to report; the stuck lock must not go unsaid
        // (the server is often gone for both reasons), or the next run just waits for it.
        (Err(e), Err(stuck)) => {
            listener.on(&Event::Warning(stuck.to_string()));
            Err(e)
        }
        (Err(e), Ok(())) => Err(e),
    }
}

/// A failed release, with what to do: Liquibase's `releaseLock` failure leaves the lock held
/// until `release-locks` frees it.
fn unreleased(e: &Error, locked_by: &str) -> Error {
    Error::Lock(format!(
        "the lock held by {locked_by} was not released ({e}); once the server answers, free it with `lbmongo release-locks`"
    ))
}

/// `update`, `update-count`, `update-to-tag`.
pub async fn update(
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
    goal: &Goal,
    listener: &dyn Listener,
) -> Result<UpdateReport> {
    locked(connection, settings, listener, async |lock| {
        let history = History::new(connection, settings.tracking.clone());
        history.ensure().await?;
        let mut ran = history.ran_change_sets().await?;
        check_changelog_preconditions(connection, changelog, &ran, listener).await?;
        let plan = plan(changelog, &ran, &settings.filter, goal)?;
        for warning in &plan.warnings {
            listener.on(&Event::Warning(warning.clone()));
        }
        let pending = plan.pending().filter_map(|step| match step {
            Step::Run { index, .. } | Step::Rerun { index, .. } => {
                Some(&changelog.change_sets[*index])
            }
            Step::Skip { .. } => None,
        });
        crate::mongosh::preflight(pending, &connection.database, &settings.mongosh)?;
        upgrade_checksums(&history, &plan, listener).await?;
        let mut recorder = Recorder::new(history, settings);
        let mut report = report_of(changelog, &plan, &recorder.deployment_id);
        listener.on(&Event::Planned(plan.pending().count()));
        let steps: Result<()> = async {
            for step in plan.pending() {
                lock.check()?;
                let (index, checksum, exec_type) = match step {
                    Step::Run { index, checksum } => (*index, checksum, ExecType::Executed),
                    Step::Rerun { index, checksum } => (*index, checksum, ExecType::Reran),
                    Step::Skip { .. } => continue,
                };
                let cs = &changelog.change_sets[index];
                listener.on(&Event::Running(cs.id.clone()));
                let verdict =
                    check_change_set_preconditions(connection, cs, &ran, listener).await?;
                if matches!(verdict, Verdict::Run) && transactional(connection, settings, cs) {
                    // The changes and their history row commit together or not at all.
                    let row = recorder.next_row(cs, checksum, exec_type).await?;
                    match apply_in_transaction(connection, cs, &recorder.history, &row, listener)
                        .await
                    {
                        Ok(rows) => {
                            remember(&mut ran, row);
                            report.rows_affected += rows;
                            listener.on(&Event::Recorded {
                                id: cs.id.clone(),
                                exec_type,
                                in_transaction: true,
                            });
                            report.recorded.push((cs.id.clone(), exec_type));
                            report.in_transaction.push(cs.id.clone());
                            continue;
                        }
                        Err(e) if !cs.fail_on_error => {
                            recorder.untake_order();
                            listener.on(&Event::Warning(format!(
                                "changeset `{}` failed and failOnError is false: {e}",
                                cs.id
                            )));
                            let row = recorder.record(cs, checksum, ExecType::Failed).await?;
                            remember(&mut ran, row);
                            listener.on(&Event::Recorded {
                                id: cs.id.clone(),
                                exec_type: ExecType::Failed,
                                in_transaction: false,
                            });
                            report.recorded.push((cs.id.clone(), ExecType::Failed));
                            continue;
                        }
                        Err(e) => return Err(change_set_failed(cs, e)),
                    }
                }
                let exec_type = match verdict {
                    Verdict::Run => match apply(connection, cs, &settings.mongosh).await {
                        Ok(rows) => {
                            report.rows_affected += rows;
                            listener.on(&Event::Applied(cs.id.clone()));
                            exec_type
                        }
                        // As liquibase-mongodb (MongoHistoryService.setExecType): a failure in a
                        // `failOnError="false"` changeset is recorded as FAILED and the update goes
                        // on; that row then counts as ran.
                        Err(e) if !cs.fail_on_error => {
                            listener.on(&Event::Warning(format!(
                                "changeset `{}` failed and failOnError is false: {e}",
                                cs.id
                            )));
                            ExecType::Failed
                        }
                        Err(e) => return Err(change_set_failed(cs, e)),
                    },
                    Verdict::MarkRan => ExecType::MarkRan,
                    Verdict::Skip(message) => {
                        // Since core 4.32 a CONTINUE skip writes nothing, so the precondition is
                        // evaluated again next time (cores ≤ 4.31 recorded SKIPPED).
                        listener.on(&Event::PreconditionSkipped {
                            id: cs.id.clone(),
                            message,
                        });
                        report.precondition_skipped.push(cs.id.clone());
                        continue;
                    }
                };
                let row = recorder.record(cs, checksum, exec_type).await?;
                remember(&mut ran, row);
                listener.on(&Event::Recorded {
                    id: cs.id.clone(),
                    exec_type,
                    in_transaction: false,
                });
                report.recorded.push((cs.id.clone(), exec_type));
            }
            Ok(())
        }
        .await;
        match steps {
            Ok(()) => Ok(report),
            Err(e) => {
                // Liquibase prints its UPDATE SUMMARY after a failed changeset too (what ran
                // before the failure, and the total).
                listener.on(&Event::UpdateFailed(Box::new(report)));
                Err(e)
            }
        }
    })
    .await
}

fn report_of(changelog: &ChangeLog, plan: &Plan, deployment_id: &str) -> UpdateReport {
    let mut report = UpdateReport {
        deployment_id: deployment_id.to_owned(),
        total: plan.steps.len(),
        ..UpdateReport::default()
    };
    for step in &plan.steps {
        if let Step::Skip { index, reason } = step {
            let id = changelog.change_sets[*index].id.clone();
            if *reason == crate::plan::Reason::AlreadyRan {
                report.previously_run += 1;
            } else {
                report.filtered.push((id, *reason));
            }
        }
    }
    report
}

async fn upgrade_checksums(
    history: &History<'_>,
    plan: &Plan,
    listener: &dyn Listener,
) -> Result<()> {
    for upgrade in &plan.checksum_upgrades {
        history.replace_checksum(&upgrade.id, &upgrade.to).await?;
        // As UpdateVisitor (4.28.0): an upgrade from an old version is announced; refilling a
        // value cleared by clear-checksums is silent.
        if let Some(from) = &upgrade.from {
            listener.on(&Event::ChecksumUpgraded {
                id: upgrade.id.clone(),
                from: from.clone(),
                to: upgrade.to.clone(),
            });
        }
    }
    Ok(())
}

fn change_set_failed(cs: &ChangeSet, e: Error) -> Error {
    // What a rerun of an applied change meets: its document already inserted, its collection
    // or index already created. Chosen by the server's code, never by the message's text.
    let hint = if e.is_duplicate_key() || e.is_namespace_exists() || e.is_index_conflict() {
        Some("the change may have run without being recorded (e.g. the previous update was killed); if the database already has this change, record it with `lbmongo mark-next-changeset-ran` or `changelog-sync`".to_owned())
    } else {
        None
    };
    Error::ChangeSetFailed {
        id: cs.id.clone(),
        message: e.to_string(),
        hint,
    }
}

/// Whether a changeset runs in a transaction with its history row: the server supports
/// transactions (a replica set or sharded cluster), the changeset keeps Liquibase's default
/// `runInTransaction="true"`, and every change is a plain document write, which MongoDB allows
/// inside a transaction. DDL (`create`, `createIndexes`, `collMod`, …) and arbitrary commands
/// run as liquibase-mongodb runs them: one by one, then the history row.
fn transactional(connection: &Connection, settings: &Settings, cs: &ChangeSet) -> bool {
    settings.transactions
        && connection.distributed
        && cs.run_in_transaction
        && cs.changes.iter().any(|c| c.to_command().is_some())
        && cs.changes.iter().all(|c| {
            matches!(
                c,
                Change::InsertOne(_)
                    | Change::InsertMany(_)
                    | Change::UpdateOne(_)
                    | Change::UpdateMany(_)
                    | Change::DeleteOne(_)
                    | Change::DeleteMany(_)
                    | Change::TagDatabase(_)
                    | Change::Empty
            )
        })
}

/// Runs a changeset's changes and inserts (or, for a re-run, updates) its history row in one
/// transaction; aborts on any failure, so a crash can never leave it half-applied.
///
/// A transient transaction error (e.g. a write conflict with the open transaction of an updater
/// that was killed, which the server aborts after `transactionLifetimeLimitSeconds`) retries the
/// whole transaction for up to two minutes, as the drivers' `withTransaction` helpers do.
async fn apply_in_transaction(
    connection: &Connection,
    cs: &ChangeSet,
    history: &History<'_>,
    row: &NewRow,
    listener: &dyn Listener,
) -> Result<i64> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut pause = std::time::Duration::from_millis(100);
    loop {
        match try_transaction(connection, cs, history, row, listener).await {
            Err(Attempt::Transient(e)) if std::time::Instant::now() < deadline => {
                if pause == std::time::Duration::from_millis(100) {
                    listener.on(&Event::Warning(format!(
                        "changeset `{}` meets another transaction (e.g. of a killed update, which the server aborts after a minute); retrying: {e}",
                        cs.id
                    )));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(2));
            }
            Err(Attempt::Transient(e) | Attempt::Fatal(e)) => return Err(e),
            Ok(rows) => return Ok(rows),
        }
    }
}

/// How one transaction attempt failed.
enum Attempt {
    /// Labelled `TransientTransactionError`: the whole transaction may be retried.
    Transient(Error),
    /// Anything else.
    Fatal(Error),
}

impl Attempt {
    fn of(e: &mongodb::error::Error) -> Attempt {
        let error = Error::from_driver(e);
        // Only conflicts the server answered (WriteConflict, NoSuchTransaction, LockTimeout) are
        // worth waiting out; a server that is gone must fail within the URL's timeouts.
        if error.is_transaction_conflict()
            && e.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR)
        {
            Attempt::Transient(error)
        } else {
            Attempt::Fatal(error)
        }
    }
}

async fn try_transaction(
    connection: &Connection,
    cs: &ChangeSet,
    history: &History<'_>,
    row: &NewRow,
    listener: &dyn Listener,
) -> std::result::Result<i64, Attempt> {
    let mut session = connection
        .client
        .start_session()
        .await
        .map_err(|e| Attempt::of(&e))?;
    session
        .start_transaction()
        .write_concern(mongodb::options::WriteConcern::majority())
        .await
        .map_err(|e| Attempt::of(&e))?;
    let record = if row.exec_type == ExecType::Reran {
        history.update_reran_body(row)
    } else {
        history.insert_body(row)
    };
    let commands = cs
        .changes
        .iter()
        .filter_map(Change::to_command)
        .chain(std::iter::once(crate::command::Command::url(record)));
    let mut rows = 0;
    let mut outcome = Ok(());
    for (i, command) in commands.enumerate() {
        match execute_in(connection, &command, &mut session).await {
            // The history write's own `n` is not a row of the changeset.
            Ok(response) if i < cs.changes.len() => rows += rows_affected(&response),
            Ok(_) => {}
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    if let Err(e) = outcome {
        // Aborting can only fail if the server is gone, and then the transaction is too.
        let _ = session.abort_transaction().await;
        return Err(e);
    }
    listener.on(&Event::Applied(cs.id.clone()));
    let mut commit = session.commit_transaction().await;
    // The drivers' advice for an unknown commit result is to retry the commit.
    if commit
        .as_ref()
        .is_err_and(|e| e.contains_label(mongodb::error::UNKNOWN_TRANSACTION_COMMIT_RESULT))
    {
        commit = session.commit_transaction().await;
    }
    commit.map_err(|e| Attempt::of(&e))?;
    Ok(rows)
}

async fn execute_in(
    connection: &Connection,
    command: &crate::command::Command,
    session: &mut mongodb::ClientSession,
) -> std::result::Result<mongodb::bson::Document, Attempt> {
    let db = match command.db {
        crate::command::Db::Url => connection.database.as_str(),
        crate::command::Db::Admin => "admin",
    };
    let response = connection
        .client
        .database(db)
        .run_command(command.body.clone())
        .session(session)
        .await
        .map_err(|e| Attempt::of(&e))?;
    crate::command::check_response(response).map_err(Attempt::Fatal)
}

/// Runs every change of a changeset; returns the rows affected.
async fn apply(
    connection: &Connection,
    cs: &ChangeSet,
    mongosh: &crate::mongosh::MongoshOptions,
) -> Result<i64> {
    let mut rows = 0;
    for change in &cs.changes {
        if let Some(command) = change.to_command() {
            let response = execute(&connection.client, &connection.database, &command).await?;
            rows += rows_affected(&response);
        } else if matches!(change, Change::Mongo(_) | Change::MongoFile(_)) {
            crate::mongosh::run_change(connection, mongosh, change, &cs.id).await?;
        }
    }
    Ok(rows)
}

/// As liquibase-mongodb (OFF) counts rows: `n`, else `nModified`, else `nRemoved`.
fn rows_affected(response: &mongodb::bson::Document) -> i64 {
    ["n", "nModified", "nRemoved"]
        .iter()
        .find_map(|k| match response.get(*k) {
            Some(mongodb::bson::Bson::Int32(v)) => Some(i64::from(*v)),
            Some(mongodb::bson::Bson::Int64(v)) => Some(*v),
            _ => None,
        })
        .unwrap_or(0)
}

enum Verdict {
    Run,
    MarkRan,
    Skip(String),
}

async fn check_change_set_preconditions(
    connection: &Connection,
    cs: &ChangeSet,
    ran: &[RanChangeSet],
    listener: &dyn Listener,
) -> Result<Verdict> {
    let Some(pre) = &cs.preconditions else {
        return Ok(Verdict::Run);
    };
    let (outcome, on) = match evaluate_all(connection, &pre.checks, &cs.id.path, ran).await {
        Ok(None) => return Ok(Verdict::Run),
        Ok(Some(failure)) => (pre.on_fail_message.clone().unwrap_or(failure), pre.on_fail),
        Err(error) => (pre.on_error_message.clone().unwrap_or(error), pre.on_error),
    };
    Ok(match on {
        OnFail::Halt => {
            return Err(Error::PreconditionFailed {
                id: cs.id.to_string(),
                message: outcome,
            });
        }
        OnFail::Continue => Verdict::Skip(outcome),
        OnFail::MarkRan => Verdict::MarkRan,
        OnFail::Warn => {
            listener.on(&Event::Warning(format!(
                "Executing {} despite precondition failure due to onFail='WARN': {outcome}",
                cs.id
            )));
            Verdict::Run
        }
    })
}

async fn check_changelog_preconditions(
    connection: &Connection,
    changelog: &ChangeLog,
    ran: &[RanChangeSet],
    listener: &dyn Listener,
) -> Result<()> {
    for pre in &changelog.preconditions {
        let failure =
            match evaluate_all(connection, &pre.checks, &changelog.physical_path, ran).await {
                Ok(None) => continue,
                Ok(Some(f)) => (pre.on_fail_message.clone().unwrap_or(f), pre.on_fail),
                Err(e) => (pre.on_error_message.clone().unwrap_or(e), pre.on_error),
            };
        match failure {
            (message, OnFail::Warn) => listener.on(&Event::Warning(message)),
            (message, _) => {
                return Err(Error::PreconditionFailed {
                    id: changelog.physical_path.clone(),
                    message,
                });
            }
        }
    }
    Ok(())
}

/// Evaluates checks ANDed: `Ok(None)` passes, `Ok(Some(message))` fails, `Err` could not check.
async fn evaluate_all(
    connection: &Connection,
    checks: &[Precondition],
    path: &str,
    ran: &[RanChangeSet],
) -> std::result::Result<Option<String>, String> {
    for check in checks {
        if let Some(failure) = Box::pin(evaluate(connection, check, path, ran)).await? {
            return Ok(Some(failure));
        }
    }
    Ok(None)
}

pub(crate) async fn evaluate(
    connection: &Connection,
    check: &Precondition,
    path: &str,
    ran: &[RanChangeSet],
) -> std::result::Result<Option<String>, String> {
    let db = connection.client.database(&connection.database);
    let count = |collection: &str, filter: Option<&crate::change::Json>| {
        let collection = db.collection::<mongodb::bson::Document>(collection);
        let filter = filter.map(|f| f.doc().clone()).unwrap_or_default();
        async move {
            collection
                .count_documents(filter)
                .await
                .map_err(|e| crate::error::describe(&e))
        }
    };
    Ok(match check {
        Precondition::And(all) => evaluate_all(connection, all, path, ran).await?,
        Precondition::Or(any) => {
            let mut failures = Vec::new();
            for c in any {
                match Box::pin(evaluate(connection, c, path, ran)).await? {
                    None => return Ok(None),
                    Some(f) => failures.push(f),
                }
            }
            Some(failures.join("; "))
        }
        Precondition::Not(nested) => {
            for c in nested {
                if Box::pin(evaluate(connection, c, path, ran))
                    .await?
                    .is_none()
                {
                    return Ok(Some("Not precondition failed".to_owned()));
                }
            }
            None
        }
        Precondition::CollectionExists { collection_name } => {
            let exists = crate::history::collection_exists(connection, collection_name)
                .await
                .map_err(|e| e.to_string())?;
            (!exists).then(|| format!("Collection {collection_name} does not exist"))
        }
        Precondition::DocumentExists {
            collection_name,
            filter,
        } => {
            let n = count(collection_name, filter.as_ref()).await?;
            (n == 0).then(|| format!("Document does not exist in collection {collection_name}"))
        }
        Precondition::ExpectedDocumentCount {
            collection_name,
            filter,
            expected_count,
        } => {
            let n = count(collection_name, filter.as_ref()).await?;
            (i64::try_from(n).ok() != Some(*expected_count)).then(|| {
                format!(
                    "ExpectedDocumentCount precondition fails for collection {collection_name}, expected: {expected_count}, actual: {n}"
                )
            })
        }
        Precondition::IndexExists {
            collection_name,
            keys,
            index_name,
        } => {
            let indexes = list_indexes(connection, collection_name).await?;
            let found = indexes.iter().any(|ix| {
                let key_ok = keys
                    .as_ref()
                    .is_none_or(|k| ix.get_document("key").is_ok_and(|d| d == k.doc()));
                let name_ok = index_name
                    .as_ref()
                    .is_none_or(|n| ix.get_str("name").is_ok_and(|x| x == n));
                key_ok && name_ok
            });
            (!found).then(|| {
                let what = index_name
                    .clone()
                    .or_else(|| keys.as_ref().map(|k| k.text().to_owned()))
                    .unwrap_or_default();
                format!("Index {what} does not exist on collection {collection_name}")
            })
        }
        Precondition::ChangeSetExecuted(r) => {
            let file = r.path.as_deref().unwrap_or(path);
            let found = ran
                .iter()
                .any(|x| x.id.id == r.id && x.id.author == r.author && x.id.path == file);
            // ChangeSetExecutedPrecondition's words (4.33.0, observed).
            (!found).then(|| {
                format!(
                    "Changeset '{file}::{}::{}' has not been run",
                    r.id, r.author
                )
            })
        }
        Precondition::Dbms { type_ } => (!dbms_matches(Some(type_), "mongodb"))
            .then(|| format!("DBMS Precondition failed: expected {type_}, got mongodb")),
    })
}

async fn list_indexes(
    connection: &Connection,
    collection: &str,
) -> std::result::Result<Vec<mongodb::bson::Document>, String> {
    let response = connection
        .client
        .database(&connection.database)
        .run_command(doc! { "listIndexes": collection })
        .await;
    match response {
        Ok(r) => Ok(r
            .get_document("cursor")
            .and_then(|c| c.get_array("firstBatch"))
            .map(|b| b.iter().filter_map(|d| d.as_document().cloned()).collect())
            .unwrap_or_default()),
        // A missing collection has no indexes.
        Err(e) => match Error::from_driver(&e) {
            e if e.is_namespace_not_found() => Ok(Vec::new()),
            e => Err(e.to_string()),
        },
    }
}

/// What a rollback did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollbackReport {
    /// Changesets rolled back, newest first.
    pub rolled_back: Vec<ChangeSetId>,
}

/// `rollback`, `rollback-count`, `rollback-to-date`.
pub async fn rollback(
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
    target: &RollbackTarget,
    listener: &dyn Listener,
) -> Result<RollbackReport> {
    locked(connection, settings, listener, async |lock| {
        let history = History::new(connection, settings.tracking.clone());
        history.ensure().await?;
        let ran = history.ran_change_sets().await?;
        let undo = plan_rollback(changelog, &ran, &settings.filter, target)?;
        let mut report = RollbackReport::default();
        for u in &undo {
            lock.check()?;
            listener.on(&Event::RollingBack(u.id.clone()));
            undo_one(connection, changelog, u, &settings.mongosh).await?;
            history.remove(&u.id).await?;
            report.rolled_back.push(u.id.clone());
        }
        Ok(report)
    })
    .await
}

async fn undo_one(
    connection: &Connection,
    changelog: &ChangeLog,
    u: &Undo,
    mongosh: &crate::mongosh::MongoshOptions,
) -> Result<()> {
    let cs = &changelog.change_sets[u.index];
    for action in &u.actions {
        match action {
            UndoAction::Command(c) => {
                execute(&connection.client, &connection.database, c)
                    .await
                    .map_err(|e| Error::ChangeSetFailed {
                        id: cs.id.clone(),
                        message: format!("rollback failed: {e}"),
                        hint: None,
                    })?;
            }
            UndoAction::Script(change) => {
                crate::mongosh::run_change(connection, mongosh, change, &cs.id)
                    .await
                    .map_err(|e| Error::ChangeSetFailed {
                        id: cs.id.clone(),
                        message: format!("rollback failed: {e}"),
                        hint: None,
                    })?;
            }
        }
    }
    Ok(())
}

/// `changelog-sync`, `changelog-sync-to-tag`, `mark-next-changeset-ran`: record pending
/// changesets as `EXECUTED` without running them (core passes EXECUTED, spec mongo §5.6).
pub async fn changelog_sync(
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
    goal: &Goal,
    listener: &dyn Listener,
) -> Result<UpdateReport> {
    locked(connection, settings, listener, async |_lock| {
        let history = History::new(connection, settings.tracking.clone());
        history.ensure().await?;
        let ran = history.ran_change_sets().await?;
        let plan = plan(changelog, &ran, &settings.filter, goal)?;
        let mut recorder = Recorder::new(history, settings);
        let mut report = report_of(changelog, &plan, &recorder.deployment_id);
        for step in plan.pending() {
            // Only first runs are synced; a re-run changeset already has its row.
            if let Step::Run { index, checksum } = step {
                let cs = &changelog.change_sets[*index];
                recorder.record(cs, checksum, ExecType::Executed).await?;
                report.recorded.push((cs.id.clone(), ExecType::Executed));
            }
        }
        Ok(report)
    })
    .await
}

/// `tag`: tags the newest row, inserting Liquibase's placeholder row first on an empty history
/// (`MongoHistoryService.tag`: id = epoch millis, author `liquibase`, file `liquibase-internal`).
pub async fn tag(
    connection: &Connection,
    settings: &Settings,
    tag: &str,
    listener: &dyn Listener,
) -> Result<()> {
    locked(connection, settings, listener, async |_lock| {
        tag_unlocked(connection, settings, tag).await
    })
    .await
}

/// `tag` without taking the lock, for a caller that already holds it: Liquibase's `tag`
/// command through the JNI bridge takes the lock with its own `LockService` first.
pub async fn tag_unlocked(connection: &Connection, settings: &Settings, tag: &str) -> Result<()> {
    let history = History::new(connection, settings.tracking.clone());
    history.ensure().await?;
    if !history.tag_last(tag).await? {
        let now = DateTime::now();
        let row = NewRow {
            id: ChangeSetId {
                path: "liquibase-internal".to_owned(),
                id: now.timestamp_millis().to_string(),
                author: "liquibase".to_owned(),
            },
            checksum: CheckSum::parse("9:d41d8cd98f00b204e9800998ecf8427e"),
            date_executed: now,
            tag: None,
            exec_type: ExecType::Executed,
            description: "empty".to_owned(),
            comments: None,
            contexts: None,
            labels: None,
            deployment_id: deployment_id(now),
            order_executed: history.max_order_executed().await? + 1,
            liquibase: settings.liquibase_version.clone(),
        };
        // As the extension: the placeholder is inserted untagged, then tagged like any row.
        history.insert(&row).await?;
        history.tag_last(tag).await?;
    }
    Ok(())
}

/// `clear-checksums`.
pub async fn clear_checksums(
    connection: &Connection,
    settings: &Settings,
    listener: &dyn Listener,
) -> Result<()> {
    locked(connection, settings, listener, async |_lock| {
        let history = History::new(connection, settings.tracking.clone());
        history.ensure().await?;
        history.clear_checksums().await
    })
    .await
}

/// Reads the history without writing anything (`status`, `history`, `validate`).
pub async fn read_history(
    connection: &Connection,
    settings: &Settings,
) -> Result<Vec<RanChangeSet>> {
    History::new(connection, settings.tracking.clone())
        .ran_change_sets()
        .await
}

/// Changesets of the history that are not in the changelog (`unexpected-changesets`).
pub fn unexpected<'a>(changelog: &ChangeLog, ran: &'a [RanChangeSet]) -> Vec<&'a RanChangeSet> {
    let known: std::collections::HashSet<&ChangeSetId> =
        changelog.change_sets.iter().map(|cs| &cs.id).collect();
    ran.iter().filter(|r| !known.contains(&r.id)).collect()
}

/// `drop-all`: drops every collection and view of the URL's database — and nothing in any other
/// database — including both tracking collections (as liquibase-mongodb's drop-all). Returns the
/// names dropped, in order.
pub async fn drop_all(connection: &Connection) -> Result<Vec<String>> {
    let db = connection.client.database(&connection.database);
    let driver = |e: mongodb::error::Error| Error::from_driver(&e);
    let mut names = db.list_collection_names().await.map_err(driver)?;
    names.sort();
    let mut dropped = Vec::new();
    // `system.*` collections belong to the server (e.g. `system.views`, which goes with the views).
    for name in names.into_iter().filter(|n| !n.starts_with("system.")) {
        db.collection::<mongodb::bson::Document>(&name)
            .drop()
            .await
            .map_err(driver)?;
        dropped.push(name);
    }
    Ok(dropped)
}

/// Checks `changelog` against the history without writing (`validate`, and the first step of
/// `status`): checksum mismatches fail.
pub fn validate(changelog: &ChangeLog, ran: &[RanChangeSet], settings: &Settings) -> Result<Plan> {
    plan(changelog, ran, &settings.filter, &Goal::All)
}

/// One line of a `*-sql` preview.
#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    /// A server command, shown as `db.runCommand(…)` / `db.adminCommand(…)`.
    Command(crate::command::Command),
    /// A mongosh script of a `mongo`/`mongoFile` change.
    Script {
        /// The changeset it belongs to.
        id: ChangeSetId,
        /// The script.
        script: String,
    },
}

impl Preview {
    /// The text `update-sql` prints for it, in both tools: a command as mongosh would send it
    /// (`db.runCommand(…);`), a script under a `// mongosh script of changeset …` line.
    pub fn to_text(&self) -> String {
        match self {
            Preview::Command(c) => c.to_js(),
            Preview::Script { id, script } => {
                format!("// mongosh script of changeset {id}\n{script}")
            }
        }
    }
}

/// `update-sql`: every command `update` would send, in order — tracking-collection setup, lock,
/// each change, each history write, unlock — computed from a read-only look at the database.
pub async fn update_sql(
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
    goal: &Goal,
) -> Result<Vec<Preview>> {
    let history = History::new(connection, settings.tracking.clone());
    let ran = history.ran_change_sets().await?;
    let plan = plan(changelog, &ran, &settings.filter, goal)?;
    let mut out = setup_preview(connection, settings).await?;
    let locked_by = crate::lock::locked_by(settings.lock.host_description.as_deref());
    let lock = &settings.tracking.lock_collection;
    out.push(Preview::Command(crate::command::Command::url(
        crate::lock::acquire_command(lock, &locked_by),
    )));
    for upgrade in &plan.checksum_upgrades {
        out.push(Preview::Command(crate::command::Command::url(
            history.replace_checksum_command(&upgrade.id, &upgrade.to),
        )));
    }
    let deployment = deployment_id(DateTime::now());
    let mut order = if ran.is_empty() {
        1
    } else {
        history.max_order_executed().await? + 1
    };
    for step in plan.pending() {
        let (index, checksum, exec_type) = match step {
            Step::Run { index, checksum } => (*index, checksum, ExecType::Executed),
            Step::Rerun { index, checksum } => (*index, checksum, ExecType::Reran),
            Step::Skip { .. } => continue,
        };
        let cs = &changelog.change_sets[index];
        out.extend(forward_preview(cs, &connection.database, &settings.mongosh));
        let row = new_row(
            cs,
            checksum,
            exec_type,
            &deployment,
            order,
            &settings.liquibase_version,
        );
        order += 1;
        out.push(Preview::Command(crate::command::Command::url(
            if exec_type == ExecType::Reran {
                history.update_reran_command(&row)
            } else {
                history.insert_command(&row)
            },
        )));
    }
    out.push(Preview::Command(crate::command::Command::url(
        crate::lock::release_command(lock, &locked_by),
    )));
    Ok(out)
}

fn forward_preview(
    cs: &ChangeSet,
    url_db: &str,
    mongosh: &crate::mongosh::MongoshOptions,
) -> Vec<Preview> {
    cs.changes
        .iter()
        .flat_map(|c| match c {
            Change::Mongo(_) | Change::MongoFile(_) => {
                crate::mongosh::preview(c, &cs.id, url_db, mongosh.native)
            }
            _ => c.to_command().map(Preview::Command).into_iter().collect(),
        })
        .collect()
}

/// The tracking-collection setup a write command would do on this database.
pub(crate) async fn setup_preview(
    connection: &Connection,
    settings: &Settings,
) -> Result<Vec<Preview>> {
    let mut out = Vec::new();
    let t = &settings.tracking;
    if !crate::history::collection_exists(connection, &t.lock_collection).await? {
        out.push(Preview::Command(crate::command::Command::url(
            doc! { "create": &t.lock_collection },
        )));
        if t.adjust && t.supports_validator {
            out.push(Preview::Command(crate::command::Command::url(
                crate::lock::validator_command(&t.lock_collection),
            )));
        }
    }
    if !crate::history::collection_exists(connection, &t.changelog_collection).await? {
        out.push(Preview::Command(crate::command::Command::url(
            doc! { "create": &t.changelog_collection },
        )));
        if t.adjust {
            out.push(Preview::Command(crate::command::Command::url(
                crate::history::unique_index_command(&t.changelog_collection),
            )));
            if t.supports_validator {
                out.push(Preview::Command(crate::command::Command::url(
                    crate::history::validator_command(&t.changelog_collection),
                )));
            }
        }
    }
    Ok(out)
}

fn new_row(
    cs: &ChangeSet,
    checksum: &CheckSum,
    exec_type: ExecType,
    deployment: &str,
    order: i32,
    liquibase: &str,
) -> NewRow {
    NewRow {
        id: cs.id.clone(),
        checksum: Some(checksum.clone()),
        date_executed: DateTime::now(),
        tag: change_set_tag(cs),
        exec_type,
        description: change_set_description(cs),
        comments: cs.comment.clone(),
        contexts: history_contexts(&cs.contexts, &cs.inherited_contexts),
        labels: history_labels(&cs.labels, &cs.inherited_labels),
        deployment_id: deployment.to_owned(),
        order_executed: order,
        liquibase: liquibase.to_owned(),
    }
}

/// `rollback-sql`, `rollback-count-sql`, `rollback-to-date-sql`: the commands a rollback would
/// send, lock and history writes included.
pub async fn rollback_sql(
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
    target: &RollbackTarget,
) -> Result<Vec<Preview>> {
    let history = History::new(connection, settings.tracking.clone());
    let ran = history.ran_change_sets().await?;
    let undo = plan_rollback(changelog, &ran, &settings.filter, target)?;
    let locked_by = crate::lock::locked_by(settings.lock.host_description.as_deref());
    let lock = &settings.tracking.lock_collection;
    let mut out = setup_preview(connection, settings).await?;
    out.push(Preview::Command(crate::command::Command::url(
        crate::lock::acquire_command(lock, &locked_by),
    )));
    for u in &undo {
        out.extend(undo_preview(changelog, u));
        out.push(Preview::Command(crate::command::Command::url(
            history.remove_command(&u.id),
        )));
    }
    out.push(Preview::Command(crate::command::Command::url(
        crate::lock::release_command(lock, &locked_by),
    )));
    Ok(out)
}

fn undo_preview(changelog: &ChangeLog, u: &Undo) -> Vec<Preview> {
    let id = &changelog.change_sets[u.index].id;
    u.actions
        .iter()
        .map(|a| match a {
            UndoAction::Command(c) => Preview::Command(c.clone()),
            UndoAction::Script(change) => Preview::Script {
                id: id.clone(),
                script: match change.as_ref() {
                    Change::Mongo(m) => m.mongo.clone(),
                    Change::MongoFile(m) => m.script.clone(),
                    _ => String::new(),
                },
            },
        })
        .collect()
}

/// `future-rollback-sql`: the commands that would roll back the pending changesets once
/// applied, newest first.
pub async fn future_rollback_sql(
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
) -> Result<Vec<Preview>> {
    let history = History::new(connection, settings.tracking.clone());
    let ran = history.ran_change_sets().await?;
    let plan = plan(changelog, &ran, &settings.filter, &Goal::All)?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for step in plan.pending().collect::<Vec<_>>().into_iter().rev() {
        let cs = &changelog.change_sets[step.index()];
        match crate::plan::undo_actions(changelog, cs) {
            Ok(actions) => out.extend(undo_preview(
                changelog,
                &Undo {
                    id: cs.id.clone(),
                    index: step.index(),
                    actions,
                },
            )),
            Err(reason) => {
                problems.push(format!("changeset `{}` has no rollback: {reason}", cs.id))
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::Config {
            message: problems.join("\n"),
            hint: Some("add a `<rollback>` block".to_owned()),
        })
    }
}

/// `update-testing-rollback`: update, roll back exactly what that update ran (newest first),
/// update again — proving every new changeset can be undone.
pub async fn update_testing_rollback(
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
    listener: &dyn Listener,
) -> Result<UpdateReport> {
    let first = update(connection, changelog, settings, &Goal::All, listener).await?;
    let count = first.recorded.len();
    if count > 0 {
        rollback(
            connection,
            changelog,
            settings,
            &RollbackTarget::Count(count),
            listener,
        )
        .await?;
    }
    update(connection, changelog, settings, &Goal::All, listener).await
}

/// `tag-exists`.
pub async fn tag_exists(connection: &Connection, settings: &Settings, tag: &str) -> Result<bool> {
    History::new(connection, settings.tracking.clone())
        .tag_exists(tag)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServerError;
    use mongodb::bson::doc;

    #[test]
    fn the_rerun_hint_is_chosen_by_the_server_s_code_not_its_text() {
        let cs = ChangeSet::new(
            ChangeSetId {
                path: "changelog.xml".to_owned(),
                id: "2".to_owned(),
                author: "a".to_owned(),
            },
            Vec::new(),
        );
        let reply = |code: i32, errmsg: &str| {
            let reply = doc! { "ok": 0.0, "code": code, "errmsg": errmsg };
            Error::Server(ServerError::from_response(&reply, "{…}".to_owned()))
        };
        let hinted = |e: Error| match change_set_failed(&cs, e) {
            Error::ChangeSetFailed { hint, .. } => hint.is_some(),
            other => panic!("{other:?}"),
        };
        // A duplicate key, an existing collection, an existing index: a rerun's symptoms.
        assert!(hinted(reply(11000, "E11000 duplicate key error")));
        assert!(hinted(reply(48, "Collection already exists")));
        assert!(hinted(reply(
            86,
            "Index with name: a_1 already exists with different options"
        )));
        // The words alone choose nothing: not a server's duplicate key, not a rerun.
        assert!(!hinted(Error::Mongosh(
            "mongosh exited with code 1: E11000 …".to_owned()
        )));
        assert!(!hinted(reply(
            2,
            "field `x` already exists in the document"
        )));
    }
}
