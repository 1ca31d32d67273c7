//! The only orchestration: update, rollback, sync and the history commands, each a recipe of
//! lock, history, plan and execute.
//!
//! Every command that writes takes the lock first and releases it on every path, with the
//! command's own outcome winning over a release failure (spec: "the lock is always released").
//!
//! This file holds what every command shares (the settings, the report types, `locked`) and the
//! small history commands; each larger recipe has a file of its own beside it: `update`
//! (update, update-count, update-to-tag, changelog-sync), `transactions`, `preconditions`,
//! `rollback`, `previews` (the `*-sql` commands) and `events` (what a door is told).

use mongodb::bson::{DateTime, doc};

use crate::change::Change;
use crate::changelog::{ChangeLog, ChangeSet, ChangeSetId, OnFail, Precondition};
use crate::checksum::CheckSum;
use crate::command::{Preview, execute};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::expression::{dbms_matches, history_contexts, history_labels};
use crate::history::{ExecType, History, NewRow, RanChangeSet, TrackingOptions, deployment_id};
use crate::lock::{Lock, LockOptions};
use crate::plan::{
    Filter, Goal, Plan, RollbackTarget, Step, Undo, UndoAction, plan, plan_rollback,
};

mod preconditions;
mod previews;
mod rollback;
mod transactions;
mod update;

pub(crate) use crate::events::{Event, Listener, UpdateReport};
pub(crate) use preconditions::evaluate;
use preconditions::{Verdict, check_change_set_preconditions, check_changelog_preconditions};
pub(crate) use previews::{change_preview, setup_preview};
pub use previews::{future_rollback_sql, rollback_sql, update_sql};
pub use rollback::{RollbackReport, rollback};
use transactions::{apply_in_transaction, transactional};
use update::new_row;
pub use update::{change_set_description, changelog_sync, update};

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
    /// Run transaction-safe changesets together with their history row in one transaction
    /// (liquibase-mongodb#615). Unset, only where the connection's probe showed transactions
    /// work; `Some(true)` on any replica set or sharded cluster; `Some(false)` never.
    pub transactions: Option<bool>,
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
            transactions: None,
            mongosh: crate::mongosh::MongoshOptions::default(),
        }
    }
}

/// The Liquibase open-source core release whose behaviour lbmongo follows.
pub const LIQUIBASE_VERSION: &str = "4.33.0";

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

/// `tag`: tags the newest row, inserting Liquibase's placeholder row first on an empty history
/// (`MongoHistoryService.tag`: id = epoch millis, author `liquibase`, file `liquibase-internal`).
pub async fn tag(
    connection: &Connection,
    settings: &Settings,
    tag: &str,
    listener: &dyn Listener,
) -> Result<()> {
    locked(connection, settings, listener, async |_lock| {
        tag_unlocked(connection, settings, tag).await.map(drop)
    })
    .await
}

/// `tag` without taking the lock, for a caller that already holds it: Liquibase's `tag`
/// command through the JNI bridge takes the lock with its own `LockService` first.
///
/// Returns the row it tagged (the placeholder's identity on an empty history), so a caller that
/// keeps the rows (the jar's history service) updates exactly that one: the rule for which row
/// is newest lives here only.
pub async fn tag_unlocked(
    connection: &Connection,
    settings: &Settings,
    tag: &str,
) -> Result<ChangeSetId> {
    let history = History::new(connection, settings.tracking.clone());
    history.ensure().await?;
    if let Some(tagged) = history.tag_last(tag).await? {
        Ok(tagged)
    } else {
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
        Ok(row.id)
    }
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
    let listed = crate::execute::read_cursor(
        &connection.client,
        &connection.database,
        doc! { "listCollections": 1, "nameOnly": true },
    )
    .await?;
    let mut names: Vec<String> = listed
        .iter()
        .filter_map(|c| c.get_str("name").ok().map(str::to_owned))
        .collect();
    names.sort();
    let mut dropped = Vec::new();
    // `system.*` collections belong to the server (e.g. `system.views`, which goes with the views).
    for name in names.into_iter().filter(|n| !n.starts_with("system.")) {
        match crate::execute::run_command(
            &connection.client,
            &connection.database,
            doc! { "drop": &name },
        )
        .await
        {
            // As the driver's `drop`: gone already is dropped.
            Err(e) if !e.is_namespace_not_found() => return Err(e),
            _ => dropped.push(name),
        }
    }
    Ok(dropped)
}

/// Checks `changelog` against the history without writing (`validate`, and the first step of
/// `status`): checksum mismatches fail.
pub fn validate(changelog: &ChangeLog, ran: &[RanChangeSet], settings: &Settings) -> Result<Plan> {
    plan(changelog, ran, &settings.filter, &Goal::All)
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
