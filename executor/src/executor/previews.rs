//! The `*-sql` commands: every command an update or a rollback would send (tracking setup, lock,
//! changes, history writes, unlock), computed from a read-only look at the database.

use super::*;

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

pub(super) fn forward_preview(
    cs: &ChangeSet,
    url_db: &str,
    mongosh: &crate::mongosh::MongoshOptions,
) -> Vec<Preview> {
    cs.changes
        .iter()
        .flat_map(|c| change_preview(c, &cs.id, url_db, mongosh.native))
        .collect()
}

/// What one change of changeset `id` sends, as `update-sql` shows it: its command, or a
/// `mongo`/`mongoFile` script's lowered commands (the script itself on the mongosh path).
/// The policy checks' input reuses it, so a check judges exactly what `update-sql` prints.
pub(crate) fn change_preview(
    change: &Change,
    id: &ChangeSetId,
    url_db: &str,
    native: crate::mongosh::NativeMode,
) -> Vec<Preview> {
    match change {
        Change::Mongo(_) | Change::MongoFile(_) => {
            crate::mongosh::preview(change, id, url_db, native)
        }
        _ => change
            .to_command()
            .map(Preview::Command)
            .into_iter()
            .collect(),
    }
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
        if t.adjust && t.validators(connection) {
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
            if t.validators(connection) {
                out.push(Preview::Command(crate::command::Command::url(
                    crate::history::validator_command(&t.changelog_collection),
                )));
            }
        }
    }
    Ok(out)
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

pub(super) fn undo_preview(changelog: &ChangeLog, u: &Undo) -> Vec<Preview> {
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
