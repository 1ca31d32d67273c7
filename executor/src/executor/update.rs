//! `update`, `update-count`, `update-to-tag` and `changelog-sync`: the lock, the history, the plan,
//! then each pending changeset run (or recorded) and its history row written, in changelog order.

use super::*;

/// State of one run: the deployment id and the next `orderExecuted`.
pub(super) struct Recorder<'c> {
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
pub(super) fn remember(ran: &mut Vec<RanChangeSet>, row: NewRow) {
    if row.exec_type != ExecType::Reran {
        ran.push(row.into());
    }
}

/// The tag a changeset writes on its own row: the last `tagDatabase` in it.
pub(super) fn change_set_tag(cs: &ChangeSet) -> Option<String> {
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

/// `update`, `update-count`, `update-to-tag`.
pub async fn update(
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
    goal: &Goal,
    listener: &dyn Listener,
) -> Result<UpdateReport> {
    // Before the lock and the tracking collections: a refusal writes nothing.
    preflight(connection, changelog, settings, goal).await?;
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
                let exec_type = match verdict {
                    Verdict::Run => {
                        let applied = if transactional(connection, settings, cs) {
                            // The changes and their history row commit together or not at all.
                            let row = recorder.next_row(cs, checksum, exec_type).await?;
                            match apply_in_transaction(
                                connection,
                                cs,
                                &recorder.history,
                                &row,
                                listener,
                            )
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
                                Err(e) => {
                                    // The row was never written: its order number is free again.
                                    recorder.untake_order();
                                    Err(e)
                                }
                            }
                        } else {
                            apply(connection, cs, &settings.mongosh).await.map(|rows| {
                                report.rows_affected += rows;
                                listener.on(&Event::Applied(cs.id.clone()));
                            })
                        };
                        match applied {
                            Ok(()) => exec_type,
                            // As liquibase-mongodb (MongoHistoryService.setExecType): a failure in
                            // a `failOnError="false"` changeset is recorded as FAILED and the
                            // update goes on; that row then counts as ran.
                            Err(e) if !cs.fail_on_error => {
                                listener.on(&Event::Warning(format!(
                                    "changeset `{}` failed and failOnError is false: {e}",
                                    cs.id
                                )));
                                ExecType::Failed
                            }
                            Err(e) => return Err(change_set_failed(cs, e)),
                        }
                    }
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

pub(super) fn report_of(changelog: &ChangeLog, plan: &Plan, deployment_id: &str) -> UpdateReport {
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

pub(super) async fn upgrade_checksums(
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

pub(super) fn change_set_failed(cs: &ChangeSet, e: Error) -> Error {
    if let Error::ConnectionClosed(detail) = &e {
        // The driver's words name no changeset; the command the server hung up on was this
        // changeset's. Its history row was not written, but the change may have been applied.
        return Error::ChangeSetFailed {
            id: cs.id.clone(),
            message: format!(
                "the server closed the connection while running changeset {} ({detail})",
                cs.id
            ),
            hint: Some(
                "the server ended the connection instead of answering: some servers do this on a value they cannot store (FerretDB v1: Decimal128) or when they stop; nothing was recorded for this changeset, so check whether its change was applied, then fix the changeset or the server and run the update again"
                    .to_owned(),
            ),
        };
    }
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

/// Runs every change of a changeset; returns the rows affected.
pub(super) async fn apply(
    connection: &Connection,
    cs: &ChangeSet,
    mongosh: &crate::mongosh::MongoshOptions,
) -> Result<i64> {
    let mut rows = 0;
    for change in &cs.changes {
        if let Some(command) = change.to_command() {
            let response = execute(&connection.client, &connection.database, &command).await?;
            rows += crate::execute::rows_affected(&response);
        } else if matches!(change, Change::Mongo(_) | Change::MongoFile(_)) {
            crate::mongosh::run_change(connection, mongosh, change, &cs.id).await?;
        }
    }
    Ok(rows)
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

pub(super) fn new_row(
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
