//! `ChangeLog`, `ChangeSet` and their identity (data only).
//!
//! A `ChangeLog` is the flattened result of reading a root changelog and everything it includes:
//! properties are already expanded, includes already resolved, every JSON text already checked.
//! What runs, and in which order, is decided by `plan`.

use std::fmt;

use crate::change::{Change, Json};
use crate::expression::{ContextExpression, Labels};

/// The identity of a changeset in history: `path::id::author`.
///
/// As `RanChangeSet.isSameAs` / `ChangeSet.toString` (4.28.0). `path` is the FILENAME Liquibase
/// records: the path relative to the search path, or the `logicalFilePath`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChangeSetId {
    /// FILENAME as recorded in history.
    pub path: String,
    /// The changeset id.
    pub id: String,
    /// The changeset author.
    pub author: String,
}

impl fmt::Display for ChangeSetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}::{}", self.path, self.id, self.author)
    }
}

/// A fully read changelog tree: the root file and, flattened in execution order, every changeset
/// of every included file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChangeLog {
    /// The root changelog's path as given (normalized like `DatabaseChangeLog.normalizePath`).
    pub physical_path: String,
    /// Changelog-level preconditions of the root and included files (checked before updating).
    pub preconditions: Vec<Preconditions>,
    /// Every changeset in order, including `ignore`d and dbms-mismatched ones (plan skips them).
    pub change_sets: Vec<ChangeSet>,
}

/// One changeset.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSet {
    /// Identity: path (FILENAME), id, author.
    pub id: ChangeSetId,
    /// The file the changeset was read from (relative to the search path), for messages.
    pub physical_path: String,
    /// 1-based line of the changeset in its file, where the format gives one.
    pub line: Option<usize>,
    /// `runOnChange`.
    pub run_on_change: bool,
    /// `runAlways` (alias `alwaysRun`).
    pub run_always: bool,
    /// `failOnError` (default true).
    pub fail_on_error: bool,
    /// `runInTransaction` (default true).
    pub run_in_transaction: bool,
    /// The changeset's own context expression (`context` / `contextFilter`).
    pub contexts: ContextExpression,
    /// Context expressions inherited from enclosing `include`/`includeAll` elements and changelog
    /// roots, innermost first (as `ChangeSet.getInheritableContextFilter` builds them).
    pub inherited_contexts: Vec<ContextExpression>,
    /// The changeset's own labels.
    pub labels: Labels,
    /// Labels inherited from enclosing `include`/`includeAll` elements, innermost first.
    pub inherited_labels: Vec<Labels>,
    /// `dbms` as written (comma list, `!x` excludes, `all`/`none`).
    pub dbms: Option<String>,
    /// `ignore`: never run, never recorded.
    pub ignore: bool,
    /// `validCheckSum` values as written (`9:…`, `ANY`, …).
    pub valid_checksums: Vec<String>,
    /// `<comment>`, trimmed.
    pub comment: Option<String>,
    /// `created`, informational.
    pub created: Option<String>,
    /// `runWith` (`mongosh` routes mongo/mongoFile changes through mongosh).
    pub run_with: Option<String>,
    /// `onValidationFail` is `MARK_RAN` instead of `HALT`.
    pub mark_ran_on_validation_fail: bool,
    /// `<preConditions>` of the changeset.
    pub preconditions: Option<Preconditions>,
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// `<rollback>`: `None` when the changeset has no rollback block (automatic inverses apply).
    pub rollback: Option<Vec<RollbackStep>>,
}

impl ChangeSet {
    /// A changeset with these changes and every attribute at Liquibase's default, read from the
    /// file its id names.
    ///
    /// The defaults are those of a `<changeSet>` that spells only `id` and `author`, as
    /// `ChangeSet` (4.28.0) holds them: `runOnChange`, `runAlways` and `ignore` false,
    /// `runInTransaction` true, `failOnError` unset (which `ChangeSet.execute` treats as true),
    /// `onValidationFail` `HALT`, no context, label, dbms, `validCheckSum`, comment, `created`,
    /// `runWith` or preconditions, and no `<rollback>` block (automatic inverses apply).
    pub fn new(id: ChangeSetId, changes: Vec<Change>) -> Self {
        Self {
            physical_path: id.path.clone(),
            id,
            line: None,
            run_on_change: false,
            run_always: false,
            fail_on_error: true,
            run_in_transaction: true,
            contexts: ContextExpression::new(None),
            inherited_contexts: Vec::new(),
            labels: Labels::new(None),
            inherited_labels: Vec::new(),
            dbms: None,
            ignore: false,
            valid_checksums: Vec::new(),
            comment: None,
            created: None,
            run_with: None,
            mark_ran_on_validation_fail: false,
            preconditions: None,
            changes,
            rollback: None,
        }
    }
}

/// One element of a `<rollback>` block.
// A rollback block holds a handful of steps; boxing the common case would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum RollbackStep {
    /// A change to run.
    Change(Change),
    /// `<rollback changeSetId=… changeSetAuthor=… changeSetPath=…/>`: apply that changeset's
    /// changes (as Liquibase does; not its rollback).
    ChangeSet(ChangeSetRef),
}

/// A reference to another changeset, as in `<rollback changeSetId=…>` and `changeSetExecuted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSetRef {
    /// The referenced changeset id.
    pub id: String,
    /// The referenced changeset author.
    pub author: String,
    /// The referenced changeset path; `None` means the referencing changeset's own file.
    pub path: Option<String>,
}

/// `<preConditions>` with its failure handling.
#[derive(Debug, Clone, PartialEq)]
pub struct Preconditions {
    /// What to do when a precondition fails.
    pub on_fail: OnFail,
    /// What to do when checking a precondition errors.
    pub on_error: OnFail,
    /// Replaces the failure message.
    pub on_fail_message: Option<String>,
    /// Replaces the error message.
    pub on_error_message: Option<String>,
    /// `onSqlOutput` / `onUpdateSql` for `update-sql`.
    pub on_sql_output: OnSqlOutput,
    /// The checks, implicitly ANDed.
    pub checks: Vec<Precondition>,
}

/// `onFail` / `onError` values (Liquibase `PreconditionContainer.FailOption` / `ErrorOption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnFail {
    /// Stop the update with an error (the default).
    #[default]
    Halt,
    /// Skip the changeset this time; evaluated again next time.
    Continue,
    /// Record the changeset as `MARK_RAN` without running it.
    MarkRan,
    /// Print a warning and run the changeset anyway.
    Warn,
}

/// `onSqlOutput` values: what preconditions do under `update-sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnSqlOutput {
    /// Skip the checks (the default).
    #[default]
    Ignore,
    /// Run the checks.
    Test,
    /// Fail.
    Fail,
}

/// One precondition check.
#[derive(Debug, Clone, PartialEq)]
pub enum Precondition {
    /// All must pass.
    And(Vec<Precondition>),
    /// At least one must pass.
    Or(Vec<Precondition>),
    /// None may pass (Liquibase's `not` negates each nested check).
    Not(Vec<Precondition>),
    /// `collectionExists collectionName=…` (liquibase-mongodb).
    CollectionExists {
        /// The collection that must exist.
        collection_name: String,
    },
    /// `documentExists collectionName=… filter=…` (liquibase-mongodb).
    DocumentExists {
        /// The collection to search.
        collection_name: String,
        /// The filter; blank means `{}`.
        filter: Option<Json>,
    },
    /// `expectedDocumentCount collectionName=… filter=… expectedCount=…` (liquibase-mongodb).
    ExpectedDocumentCount {
        /// The collection to count in.
        collection_name: String,
        /// The filter; blank means `{}`.
        filter: Option<Json>,
        /// The expected count.
        expected_count: i64,
    },
    /// `indexExists collectionName=… keys=… indexName=…` (lbmongo, liquibase-mongodb#283).
    IndexExists {
        /// The collection whose indexes are listed.
        collection_name: String,
        /// The key pattern to look for.
        keys: Option<Json>,
        /// The index name to look for.
        index_name: Option<String>,
    },
    /// Core `changeSetExecuted id=… author=… changeLogFile=…`.
    ChangeSetExecuted(ChangeSetRef),
    /// Core `dbms type=…`.
    Dbms {
        /// Comma list of database short names.
        type_: String,
    },
}
