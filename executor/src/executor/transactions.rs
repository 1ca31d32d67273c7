//! Changesets whose changes and history row commit together: when a transaction is used, and the
//! retry of a transaction the server aborted for a transient reason.

use super::*;

/// Whether a changeset runs in a transaction with its history row: the server supports
/// transactions (the connection's probe showed they work, or the user said so on a replica set
/// or sharded cluster — never `setName` alone, which FerretDB reports without transactions), the changeset keeps Liquibase's default
/// `runInTransaction="true"`, and every change is a plain document write, which MongoDB allows
/// inside a transaction. DDL (`create`, `createIndexes`, `collMod`, …) and arbitrary commands
/// run as liquibase-mongodb runs them: one by one, then the history row.
pub(super) fn transactional(connection: &Connection, settings: &Settings, cs: &ChangeSet) -> bool {
    settings
        .transactions
        .unwrap_or(connection.platform.transactions)
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
pub(super) async fn apply_in_transaction(
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
pub(super) enum Attempt {
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

pub(super) async fn try_transaction(
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
            Ok(response) if i < cs.changes.len() => {
                rows += crate::execute::rows_affected(&response)
            }
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

pub(super) async fn execute_in(
    connection: &Connection,
    command: &crate::command::Command,
    session: &mut mongodb::ClientSession,
) -> std::result::Result<mongodb::bson::Document, Attempt> {
    let db = command.db_name(&connection.database);
    let response =
        crate::execute::send(&connection.client, db, command.body.clone(), Some(session))
            .await
            .map_err(|e| Attempt::of(&e))?;
    crate::execute::check_response(response).map_err(Attempt::Fatal)
}
