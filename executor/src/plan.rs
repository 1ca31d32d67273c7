//! Deciding what runs: a pure function of the changelog, the history and the filters.
//!
//! `plan` holds every decision Liquibase's `UpdateVisitor`, `ValidatingVisitor` and change set
//! filters make (4.33.0): checksum validation, `validCheckSum`, `runOnChange`, `runAlways`,
//! `ignore`, dbms, contexts, labels, count and tag limits, and which stored checksums to upgrade.
//! The executor walks the plan and decides nothing; only preconditions are evaluated while it
//! runs, because they read the database.

use std::collections::HashMap;

use mongodb::bson::DateTime;

use crate::changelog::{ChangeLog, ChangeSet, ChangeSetId, RollbackStep};
use crate::checksum::CheckSum;
use crate::command::Command;
use crate::error::{ChecksumMismatch, Error, Result};
use crate::expression::{Contexts, LabelExpression, change_set_matches, dbms_matches};
use crate::history::RanChangeSet;

/// Which changesets the run is about.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `--context-filter`.
    pub contexts: Contexts,
    /// `--label-filter`.
    pub labels: LabelExpression,
    /// The database short name for `dbms` attributes: `mongodb`.
    pub database_short_name: String,
}

/// How far an update goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Goal {
    /// Everything pending (`update`).
    #[default]
    All,
    /// The first N pending changesets (`update-count`).
    Count(usize),
    /// Up to and including the changeset tagging this tag (`update-to-tag`).
    ToTag(String),
}

/// Why a changeset does not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// It ran before and has not changed (or is not `runOnChange`).
    AlreadyRan,
    /// `ignore="true"`.
    Ignored,
    /// Its `dbms` excludes MongoDB.
    DbmsMismatch,
    /// Its context expression does not match the run's contexts.
    Context,
    /// Its labels do not match the run's label expression (or an include's).
    Label,
    /// `update-count` reached its count.
    AfterCount,
    /// `update-to-tag` passed its tag.
    AfterTag,
}

/// One decision per changeset of the changelog, in changelog order.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Run it for the first time; record `EXECUTED` with this checksum.
    Run {
        /// Index into `ChangeLog::change_sets`.
        index: usize,
        /// The v9 checksum to record.
        checksum: CheckSum,
    },
    /// Run it again (`runAlways`, or `runOnChange` with a new checksum); record `RERAN`.
    Rerun {
        /// Index into `ChangeLog::change_sets`.
        index: usize,
        /// The v9 checksum to record.
        checksum: CheckSum,
    },
    /// Leave it.
    Skip {
        /// Index into `ChangeLog::change_sets`.
        index: usize,
        /// Why.
        reason: Reason,
    },
}

impl Step {
    /// The changeset's index in the changelog.
    pub fn index(&self) -> usize {
        match self {
            Step::Run { index, .. } | Step::Rerun { index, .. } | Step::Skip { index, .. } => {
                *index
            }
        }
    }

    /// Whether the step runs the changeset.
    pub fn runs(&self) -> bool {
        matches!(self, Step::Run { .. } | Step::Rerun { .. })
    }
}

/// A stored checksum to rewrite: a v8 value that validated, or a null left by `clear-checksums`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecksumUpgrade {
    /// The row.
    pub id: ChangeSetId,
    /// The stored value (`None` after `clear-checksums`).
    pub from: Option<CheckSum>,
    /// The v9 value to store.
    pub to: CheckSum,
}

/// What an update will do.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// One step per changeset, in changelog order.
    pub steps: Vec<Step>,
    /// Stored checksums to upgrade (update-type commands only apply them).
    pub checksum_upgrades: Vec<ChecksumUpgrade>,
    /// Things worth telling the user (e.g. `update-to-tag` with a tag not in the changelog).
    pub warnings: Vec<String>,
}

impl Plan {
    /// The steps that run.
    pub fn pending(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.runs())
    }
}

/// Ran changesets by identity, as `ShouldRunChangeSetFilter` keys them (4.28.0): the FILENAME
/// normalized, then `::id::author`, case-sensitive.
pub(crate) fn ran_by_id(ran: &[RanChangeSet]) -> HashMap<&ChangeSetId, &RanChangeSet> {
    ran.iter().map(|r| (&r.id, r)).collect()
}

/// Decides every changeset's fate. Fails, before anything runs, when a stored checksum no longer
/// matches its changeset (`ValidatingVisitor`): every mismatch is reported together.
pub(crate) fn plan(
    changelog: &ChangeLog,
    ran: &[RanChangeSet],
    filter: &Filter,
    goal: &Goal,
) -> Result<Plan> {
    let by_id = ran_by_id(ran);
    let db = filter.database_short_name.as_str();
    let mut plan = Plan::default();
    let mut mismatches = Vec::new();
    // As UpToTagChangeSetFilter: a tag already in the history means the target was reached.
    let mut seen_tag = match goal {
        Goal::ToTag(tag) => ran.iter().any(|r| r.tag.as_deref() == Some(tag.as_str())),
        _ => false,
    };
    if let Goal::ToTag(tag) = goal {
        let in_changelog = changelog
            .change_sets
            .iter()
            .any(|cs| tags(cs).any(|t| t == tag));
        if !in_changelog && !seen_tag {
            plan.warnings.push(format!(
                "the tag `{tag}` was not found in the changelog; all changesets are deployed"
            ));
        }
    }
    let mut counted = 0;
    for (index, cs) in changelog.change_sets.iter().enumerate() {
        let skip = |reason| Step::Skip { index, reason };
        if cs.ignore {
            plan.steps.push(skip(Reason::Ignored));
            continue;
        }
        if !dbms_matches(cs.dbms.as_deref(), db) {
            plan.steps.push(skip(Reason::DbmsMismatch));
            continue;
        }
        let ran_row = by_id.get(&cs.id).copied();
        let current = CheckSum::of_change_set(cs, CheckSum::LATEST_VERSION, db);
        let mut rerun = false;
        if let Some(row) = ran_row {
            match validate(cs, row, &current, db) {
                Validation::Valid { changed } => {
                    rerun = cs.run_always || (cs.run_on_change && changed);
                }
                Validation::Mismatch(m) => {
                    if cs.run_on_change || cs.run_always {
                        rerun = true;
                    } else {
                        mismatches.push(m);
                        continue;
                    }
                }
            }
        }
        if !contexts_and_labels_match(cs, filter) {
            let reason = if contexts_match(cs, filter) {
                Reason::Label
            } else {
                Reason::Context
            };
            plan.steps.push(skip(reason));
            continue;
        }
        if let Some(row) = ran_row {
            let stale = row
                .checksum
                .as_ref()
                .is_none_or(|c| c.version() < CheckSum::LATEST_VERSION);
            if stale && !rerun && validates_in_stored_version(cs, row, &current, db) {
                plan.checksum_upgrades.push(ChecksumUpgrade {
                    id: cs.id.clone(),
                    from: row.checksum.clone(),
                    to: current.clone(),
                });
            }
            if !rerun {
                plan.steps.push(skip(Reason::AlreadyRan));
                continue;
            }
        }
        if seen_tag {
            plan.steps.push(skip(Reason::AfterTag));
            continue;
        }
        if let Goal::Count(n) = goal
            && counted >= *n
        {
            plan.steps.push(skip(Reason::AfterCount));
            continue;
        }
        counted += 1;
        if let Goal::ToTag(tag) = goal
            && tags(cs).any(|t| t == tag)
        {
            seen_tag = true;
        }
        plan.steps.push(if ran_row.is_some() {
            Step::Rerun {
                index,
                checksum: current,
            }
        } else {
            Step::Run {
                index,
                checksum: current,
            }
        });
    }
    if mismatches.is_empty() {
        Ok(plan)
    } else {
        Err(Error::ChecksumMismatch(mismatches))
    }
}

fn tags(cs: &ChangeSet) -> impl Iterator<Item = &str> {
    cs.changes.iter().filter_map(|c| match c {
        crate::change::Change::TagDatabase(t) => Some(t.tag.as_str()),
        _ => None,
    })
}

fn contexts_match(cs: &ChangeSet, filter: &Filter) -> bool {
    change_set_matches(
        &cs.contexts,
        &cs.inherited_contexts,
        &crate::expression::Labels::default(),
        &[],
        &filter.contexts,
        &LabelExpression::default(),
    )
}

fn contexts_and_labels_match(cs: &ChangeSet, filter: &Filter) -> bool {
    change_set_matches(
        &cs.contexts,
        &cs.inherited_contexts,
        &cs.labels,
        &cs.inherited_labels,
        &filter.contexts,
        &filter.labels,
    )
}

enum Validation {
    Valid { changed: bool },
    Mismatch(ChecksumMismatch),
}

/// `ValidatingVisitor` + `ChangeSet.isCheckSumValid` (4.28.0): a stored checksum is recomputed
/// in its own version; null always validates; `validCheckSum` may name `ANY`/`ALL`/`*`, the
/// stored value or the recomputed one. `changed` tells `runOnChange` whether to re-run: as
/// `ShouldRunChangeSetFilter.checksumChanged`, a null stored value never counts as changed.
fn validate(cs: &ChangeSet, row: &RanChangeSet, current: &CheckSum, db: &str) -> Validation {
    let Some(stored) = &row.checksum else {
        return Validation::Valid { changed: false };
    };
    let actual = in_version(cs, stored.version(), current, db);
    if &actual == stored || valid_checksum_accepts(cs, stored, &actual) {
        return Validation::Valid { changed: false };
    }
    if cs.run_on_change || cs.run_always {
        return Validation::Valid { changed: true };
    }
    Validation::Mismatch(ChecksumMismatch {
        id: cs.id.clone(),
        stored: stored.to_string(),
        actual: actual.to_string(),
    })
}

fn validates_in_stored_version(
    cs: &ChangeSet,
    row: &RanChangeSet,
    current: &CheckSum,
    db: &str,
) -> bool {
    match &row.checksum {
        None => true,
        Some(stored) => {
            let actual = in_version(cs, stored.version(), current, db);
            &actual == stored || valid_checksum_accepts(cs, stored, &actual)
        }
    }
}

/// The changeset's checksum in `version`: `current` (the latest version's, computed once per
/// changeset) when that is the version asked for. Hashing a large changeset twice, once for
/// `ValidatingVisitor` and once for the row, was a tenth of a no-op `update`'s CPU.
fn in_version(cs: &ChangeSet, version: u32, current: &CheckSum, db: &str) -> CheckSum {
    if version == current.version() {
        current.clone()
    } else {
        CheckSum::of_change_set(cs, version, db)
    }
}

fn valid_checksum_accepts(cs: &ChangeSet, stored: &CheckSum, actual: &CheckSum) -> bool {
    cs.valid_checksums.iter().any(|v| {
        let v = v.trim();
        if ["ANY", "ALL", "*"]
            .iter()
            .any(|any| v.eq_ignore_ascii_case(any))
        {
            return true;
        }
        CheckSum::parse(v).is_some_and(|v| &v == stored || &v == actual)
    })
}

/// Which ran changesets a rollback undoes, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackTarget {
    /// The N most recent (`rollback-count`).
    Count(usize),
    /// Everything after the newest row tagged T (`rollback --tag`).
    Tag(String),
    /// Everything executed after this instant (`rollback-to-date`).
    Date(DateTime),
}

/// One changeset to roll back and the commands that undo it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Undo {
    /// The history row to delete afterwards.
    pub id: ChangeSetId,
    /// Index into `ChangeLog::change_sets`.
    pub index: usize,
    /// What undoes it, in order: commands, or mongosh scripts for `mongo`/`mongoFile` changes.
    pub actions: Vec<UndoAction>,
}

/// One action of a rollback.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum UndoAction {
    /// A server command.
    Command(Command),
    /// A change that runs as a mongosh script.
    Script(Box<crate::change::Change>),
}

/// Decides a rollback: the rows to undo (newest first) and how, checked entirely before anything
/// runs — a changeset without a rollback fails the whole command up front.
pub(crate) fn plan_rollback(
    changelog: &ChangeLog,
    ran: &[RanChangeSet],
    filter: &Filter,
    target: &RollbackTarget,
) -> Result<Vec<Undo>> {
    // Newest first: liquibase-mongodb orders history by orderExecuted only.
    let mut newest_first: Vec<&RanChangeSet> = ran.iter().collect();
    newest_first.sort_by_key(|r| std::cmp::Reverse(r.order_executed));
    let chosen: Vec<&RanChangeSet> = match target {
        RollbackTarget::Count(n) => newest_first.into_iter().take(*n).collect(),
        RollbackTarget::Tag(tag) => {
            let Some(pos) = newest_first
                .iter()
                .position(|r| r.tag.as_deref() == Some(tag.as_str()))
            else {
                return Err(Error::TagNotFound(tag.clone()));
            };
            // As RollbackCommandStep (4.28.0): a tag set by a tagDatabase changeset rolls back
            // that changeset too; a tag set by the `tag` command keeps its row.
            let tagged = newest_first[pos];
            let end = if tagged.description.as_deref() == Some("tagDatabase") {
                pos + 1
            } else {
                pos
            };
            newest_first.into_iter().take(end).collect()
        }
        RollbackTarget::Date(date) => newest_first
            .into_iter()
            .filter(|r| r.date_executed.is_some_and(|d| d > *date))
            .collect(),
    };
    let index_of: HashMap<&ChangeSetId, usize> = changelog
        .change_sets
        .iter()
        .enumerate()
        .map(|(i, cs)| (&cs.id, i))
        .collect();
    let mut undo = Vec::new();
    let mut problems = Vec::new();
    for row in chosen {
        let Some(&index) = index_of.get(&row.id) else {
            problems.push(format!(
                "changeset `{}` is in the history but not in the changelog",
                row.id
            ));
            continue;
        };
        let cs = &changelog.change_sets[index];
        if !contexts_and_labels_match(cs, filter) {
            continue;
        }
        match undo_actions(changelog, cs) {
            Ok(actions) => undo.push(Undo {
                id: row.id.clone(),
                index,
                actions,
            }),
            Err(reason) => {
                problems.push(format!("changeset `{}` has no rollback: {reason}", cs.id))
            }
        }
    }
    if problems.is_empty() {
        Ok(undo)
    } else {
        Err(Error::Config {
            message: problems.join("\n"),
            hint: Some(
                "add a `<rollback>` block (an empty `<rollback/>` only removes the history row)"
                    .to_owned(),
            ),
        })
    }
}

/// The actions that undo one changeset: its `<rollback>` block, or the automatic inverses of its
/// changes in reverse order.
pub(crate) fn undo_actions(
    changelog: &ChangeLog,
    cs: &ChangeSet,
) -> std::result::Result<Vec<UndoAction>, String> {
    use crate::change::Change;
    let forward = |c: &Change| match c {
        Change::Mongo(_) | Change::MongoFile(_) => Some(UndoAction::Script(Box::new(c.clone()))),
        _ => c.to_command().map(UndoAction::Command),
    };
    match &cs.rollback {
        Some(steps) => {
            let mut actions = Vec::new();
            for step in steps {
                match step {
                    RollbackStep::Change(c) => actions.extend(forward(c)),
                    RollbackStep::ChangeSet(r) => {
                        // As Liquibase: `<rollback changeSetId=…>` applies that changeset's changes.
                        let path = r.path.as_deref().unwrap_or(&cs.id.path);
                        let target = changelog
                            .change_sets
                            .iter()
                            .find(|o| {
                                o.id.id == r.id && o.id.author == r.author && o.id.path == path
                            })
                            .ok_or_else(|| {
                                format!(
                                    "the referenced changeset `{path}::{}::{}` does not exist",
                                    r.id, r.author
                                )
                            })?;
                        actions.extend(target.changes.iter().filter_map(forward));
                    }
                }
            }
            Ok(actions)
        }
        None => {
            let mut actions = Vec::new();
            for c in cs.changes.iter().rev() {
                match c {
                    Change::TagDatabase(_) | Change::Empty => {}
                    _ => actions
                        .push(UndoAction::Command(c.inverse().ok_or_else(|| {
                            format!("`{}` has no automatic inverse", c.name())
                        })?)),
                }
            }
            Ok(actions)
        }
    }
}

#[cfg(test)]
mod tests {
    //! The update plan decided without a database: each case is a changelog, the history rows
    //! Liquibase would have left, the run's filters and goal, and each changeset's fate.

    use super::*;
    use crate::format::{ReadOptions, read_str};
    use crate::history::ExecType;

    /// One changeset of a test changelog: `insertOne {x: <value>}` into `c`, with extra attribute
    /// lines (`runOnChange: true`, `context: dev`, …) and changes (a `tagDatabase`).
    struct Cs {
        id: &'static str,
        attrs: &'static [&'static str],
        value: u32,
        tag: Option<&'static str>,
    }

    const fn cs(id: &'static str) -> Cs {
        Cs {
            id,
            attrs: &[],
            value: 1,
            tag: None,
        }
    }

    impl Cs {
        const fn with(self, attrs: &'static [&'static str]) -> Cs {
            Cs { attrs, ..self }
        }
        /// The same changeset edited after it ran.
        const fn edited(self) -> Cs {
            Cs { value: 2, ..self }
        }
        const fn tagged(self, tag: &'static str) -> Cs {
            Cs {
                tag: Some(tag),
                ..self
            }
        }
    }

    fn changelog(change_sets: &[Cs]) -> ChangeLog {
        let mut text = String::from("databaseChangeLog:\n");
        for c in change_sets {
            text.push_str(&format!(
                "  - changeSet:\n      id: \"{}\"\n      author: a\n",
                c.id
            ));
            for attr in c.attrs {
                text.push_str(&format!("      {attr}\n"));
            }
            text.push_str(&format!(
                "      changes:\n        - insertOne:\n            collectionName: c\n            document: '{{x: {}}}'\n",
                c.value
            ));
            if let Some(tag) = c.tag {
                text.push_str(&format!("        - tagDatabase:\n            tag: {tag}\n"));
            }
        }
        read_str(&text, "cl.yaml", &ReadOptions::default()).expect("a valid test changelog")
    }

    /// What a history row stored as its checksum.
    #[derive(Clone, Copy)]
    enum Stored {
        /// The changeset's v9 checksum when it ran (from the unedited text).
        V9,
        /// Its v8 checksum (a row written by Liquibase ≤ 4.21).
        V8,
        /// Nothing (`clear-checksums`).
        Null,
    }

    /// A history row for changeset `id` of the unedited changelog `of`.
    fn row(of: &[Cs], id: &str, stored: Stored, exec_type: ExecType, order: i32) -> RanChangeSet {
        let original: Vec<Cs> = of
            .iter()
            .map(|c| Cs {
                value: 1,
                id: c.id,
                attrs: c.attrs,
                tag: c.tag,
            })
            .collect();
        let log = changelog(&original);
        let change_set = log
            .change_sets
            .iter()
            .find(|c| c.id.id == id)
            .expect("the row's changeset is in the changelog");
        let checksum = match stored {
            Stored::V9 => Some(CheckSum::of_change_set(change_set, 9, "mongodb")),
            Stored::V8 => Some(CheckSum::of_change_set(change_set, 8, "mongodb")),
            Stored::Null => None,
        };
        RanChangeSet {
            id: change_set.id.clone(),
            checksum,
            date_executed: None,
            order_executed: order,
            exec_type,
            description: None,
            comments: None,
            tag: None,
            contexts: None,
            labels: None,
            deployment_id: None,
            liquibase: None,
        }
    }

    fn filter(contexts: Option<&str>, labels: Option<&str>) -> Filter {
        Filter {
            contexts: Contexts::parse(contexts),
            labels: LabelExpression::parse(labels).expect("a valid label expression"),
            database_short_name: "mongodb".to_owned(),
        }
    }

    /// Each step as `id:run`, `id:rerun` or `id:skip <Reason>`.
    fn fates(log: &ChangeLog, plan: &Plan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|step| {
                let id = &log.change_sets[step.index()].id.id;
                match step {
                    Step::Run { .. } => format!("{id}:run"),
                    Step::Rerun { .. } => format!("{id}:rerun"),
                    Step::Skip { reason, .. } => format!("{id}:skip {reason:?}"),
                }
            })
            .collect()
    }

    struct Case {
        name: &'static str,
        change_sets: Vec<Cs>,
        /// (id, stored checksum, exec type) in execution order.
        ran: Vec<(&'static str, Stored, ExecType)>,
        contexts: Option<&'static str>,
        labels: Option<&'static str>,
        goal: Goal,
        fates: &'static [&'static str],
    }

    fn case(name: &'static str, change_sets: Vec<Cs>, fates: &'static [&'static str]) -> Case {
        Case {
            name,
            change_sets,
            ran: Vec::new(),
            contexts: None,
            labels: None,
            goal: Goal::All,
            fates,
        }
    }

    impl Case {
        fn ran(self, ran: Vec<(&'static str, Stored, ExecType)>) -> Case {
            Case { ran, ..self }
        }
        fn goal(self, goal: Goal) -> Case {
            Case { goal, ..self }
        }
        fn contexts(self, contexts: &'static str) -> Case {
            Case {
                contexts: Some(contexts),
                ..self
            }
        }
        fn labels(self, labels: &'static str) -> Case {
            Case {
                labels: Some(labels),
                ..self
            }
        }

        fn plan(&self) -> (ChangeLog, Result<Plan>) {
            let log = changelog(&self.change_sets);
            let ran: Vec<RanChangeSet> = self
                .ran
                .iter()
                .zip(1..)
                .map(|(&(id, stored, exec_type), order)| {
                    row(&self.change_sets, id, stored, exec_type, order)
                })
                .collect();
            let plan = plan(&log, &ran, &filter(self.contexts, self.labels), &self.goal);
            (log, plan)
        }
    }

    use ExecType::{Executed, Failed, MarkRan, Reran, Skipped};
    use Stored::{Null, V8, V9};

    #[test]
    fn each_changeset_gets_liquibase_s_fate() {
        let cases = vec![
            case("nothing ran", vec![cs("1"), cs("2")], &["1:run", "2:run"]),
            case(
                "ran and unchanged",
                vec![cs("1"), cs("2")],
                &["1:skip AlreadyRan", "2:run"],
            )
            .ran(vec![("1", V9, Executed)]),
            // Rows of every exec type count as ran: MARK_RAN, FAILED (failOnError=false),
            // SKIPPED (cores ≤ 4.31) and RERAN.
            case(
                "every recorded exec type counts as ran",
                vec![cs("1"), cs("2"), cs("3"), cs("4"), cs("5")],
                &[
                    "1:skip AlreadyRan",
                    "2:skip AlreadyRan",
                    "3:skip AlreadyRan",
                    "4:skip AlreadyRan",
                    "5:run",
                ],
            )
            .ran(vec![
                ("1", V9, MarkRan),
                ("2", V9, Failed),
                ("3", V9, Skipped),
                ("4", V9, Reran),
            ]),
            case(
                "runOnChange edited reruns, unedited stays",
                vec![
                    cs("1").with(&["runOnChange: true"]).edited(),
                    cs("2").with(&["runOnChange: true"]),
                ],
                &["1:rerun", "2:skip AlreadyRan"],
            )
            .ran(vec![("1", V9, Executed), ("2", V9, Executed)]),
            case(
                "runAlways reruns unedited",
                vec![cs("1").with(&["runAlways: true"])],
                &["1:rerun"],
            )
            .ran(vec![("1", V9, Executed)]),
            case(
                "validCheckSum ANY accepts an edit",
                vec![cs("1").with(&["validCheckSum: ANY"]).edited()],
                &["1:skip AlreadyRan"],
            )
            .ran(vec![("1", V9, Executed)]),
            case(
                "a null checksum always validates",
                vec![cs("1").edited()],
                &["1:skip AlreadyRan"],
            )
            .ran(vec![("1", Null, Executed)]),
            case(
                "update-count stops after N",
                vec![cs("1"), cs("2"), cs("3"), cs("4")],
                &["1:skip AlreadyRan", "2:run", "3:run", "4:skip AfterCount"],
            )
            .ran(vec![("1", V9, Executed)])
            .goal(Goal::Count(2)),
            case(
                "update-to-tag includes the tagging changeset",
                vec![cs("1"), cs("2").tagged("v1"), cs("3")],
                &["1:run", "2:run", "3:skip AfterTag"],
            )
            .goal(Goal::ToTag("v1".to_owned())),
            case(
                "contexts filter",
                vec![
                    cs("1").with(&["context: dev"]),
                    cs("2").with(&["context: prod"]),
                    cs("3"),
                ],
                &["1:run", "2:skip Context", "3:run"],
            )
            .contexts("dev"),
            case(
                "labels filter",
                vec![
                    cs("1").with(&["labels: jira-1"]),
                    cs("2").with(&["labels: jira-2"]),
                ],
                &["1:run", "2:skip Label"],
            )
            .labels("jira-1"),
            case(
                "ignore and dbms",
                vec![
                    cs("1").with(&["ignore: true"]),
                    cs("2").with(&["dbms: oracle"]),
                    cs("3").with(&["dbms: mongodb"]),
                ],
                &["1:skip Ignored", "2:skip DbmsMismatch", "3:run"],
            ),
        ];
        for c in &cases {
            let (log, plan) = c.plan();
            let plan = plan.unwrap_or_else(|e| panic!("{}: {e}", c.name));
            assert_eq!(fates(&log, &plan), c.fates, "{}", c.name);
        }
    }

    #[test]
    fn edited_changesets_fail_together_before_anything_runs() {
        let c = case(
            "edited",
            vec![cs("1").edited(), cs("2"), cs("3").edited()],
            &[],
        )
        .ran(vec![
            ("1", V9, Executed),
            ("2", V9, Executed),
            ("3", V9, Executed),
        ]);
        let (_, plan) = c.plan();
        let Err(Error::ChecksumMismatch(mismatches)) = plan else {
            panic!("expected a checksum mismatch, got {plan:?}");
        };
        let ids: Vec<_> = mismatches.iter().map(|m| m.id.id.as_str()).collect();
        assert_eq!(ids, ["1", "3"]);
        assert!(mismatches.iter().all(|m| m.stored.starts_with("9:")));
    }

    #[test]
    fn old_and_null_checksums_are_upgraded_only_when_they_validate() {
        let c = case(
            "upgrades",
            vec![cs("1"), cs("2"), cs("3").with(&["runOnChange: true"])],
            &[
                "1:skip AlreadyRan",
                "2:skip AlreadyRan",
                "3:skip AlreadyRan",
            ],
        )
        .ran(vec![
            ("1", V8, Executed),
            ("2", Null, Executed),
            ("3", V9, Executed),
        ]);
        let (log, plan) = c.plan();
        let plan = plan.expect("plans");
        assert_eq!(fates(&log, &plan), c.fates);
        let upgrades: Vec<_> = plan
            .checksum_upgrades
            .iter()
            .map(|u| {
                (
                    u.id.id.as_str(),
                    u.from.as_ref().map(CheckSum::version),
                    u.to.version(),
                )
            })
            .collect();
        // The v8 row is announced (from 8), the null one is refilled silently (from None); the
        // v9 row needs nothing.
        assert_eq!(upgrades, [("1", Some(8), 9), ("2", None, 9)]);
        // An edited changeset whose stored v8 value no longer validates is a mismatch, not an
        // upgrade.
        let edited = case("edited v8", vec![cs("1").edited()], &[]).ran(vec![("1", V8, Executed)]);
        assert!(matches!(edited.plan().1, Err(Error::ChecksumMismatch(_))));
    }

    #[test]
    fn update_to_an_unknown_tag_deploys_everything_with_a_warning() {
        let c = case("unknown tag", vec![cs("1"), cs("2")], &["1:run", "2:run"])
            .goal(Goal::ToTag("nope".to_owned()));
        let (log, plan) = c.plan();
        let plan = plan.expect("plans");
        assert_eq!(fates(&log, &plan), c.fates);
        assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
        assert!(plan.warnings[0].contains("`nope`"));
    }

    #[test]
    fn a_tag_already_in_the_history_means_nothing_more_runs() {
        let mut ran_tagged = row(&[cs("1")], "1", V9, Executed, 1);
        ran_tagged.tag = Some("v1".to_owned());
        let log = changelog(&[cs("1"), cs("2")]);
        let plan = plan(
            &log,
            &[ran_tagged],
            &filter(None, None),
            &Goal::ToTag("v1".to_owned()),
        )
        .expect("plans");
        assert_eq!(fates(&log, &plan), ["1:skip AlreadyRan", "2:skip AfterTag"]);
        assert!(plan.warnings.is_empty());
    }
}
