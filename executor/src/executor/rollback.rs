//! `rollback`, `rollback-count`, `rollback-to-date`: undo the chosen changesets newest first, each
//! through its `<rollback>` or its changes' automatic inverses, and delete its history row.

use super::*;

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

pub(super) async fn undo_one(
    connection: &Connection,
    changelog: &ChangeLog,
    u: &Undo,
    mongosh: &crate::mongosh::MongoshOptions,
) -> Result<()> {
    let cs = &changelog.change_sets[u.index];
    for action in &u.actions {
        let undone = match action {
            UndoAction::Command(c) => execute(&connection.client, &connection.database, c)
                .await
                .map(drop),
            UndoAction::Script(change) => {
                crate::mongosh::run_change(connection, mongosh, change, &cs.id).await
            }
        };
        undone.map_err(|e| Error::ChangeSetFailed {
            id: cs.id.clone(),
            message: format!("rollback failed: {e}"),
            hint: None,
        })?;
    }
    Ok(())
}
