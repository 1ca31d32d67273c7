//! The changelog loader: format-neutral [`Node`] trees to the [`ChangeLog`] model.
//!
//! This is Liquibase's `DatabaseChangeLog.load`/`handleChildNode`/`include`/`includeAll`,
//! `ChangeSet.load`/`handleChildNode`/`handleRollbackNode`, `PreconditionContainer.load` and the
//! liquibase-mongodb change classes in one place, so that every format obeys the same rules. It
//! reads the root file and everything it includes, expands `${…}` properties, computes each
//! changeset's FILENAME, parses every JSON-ish property with the driver-compatible reader, reads
//! `mongoFile` scripts, and validates the whole tree. Unlike Liquibase it never stops at the first
//! problem: everything wrong is collected into one [`Error::Invalid`].
//!
//! Nothing here touches a database; what runs is decided later by `plan`.
//!
//! The loader is being split into one module per concept; these have theirs so far: `vocabulary`, `path`, `source`, `attribute`, `document`, `property`, `include`.
//! Each such module adds the `Loader` methods of its concept.

mod attribute;
mod document;
mod include;
mod path;
mod property;
mod source;
#[cfg(test)]
mod testing;
mod vocabulary;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::Format;
use super::node::Node;
use super::script_file;
use crate::change::{
    AdminCommand, Change, CreateCollection, CreateIndex, Delete, DropCollection, DropIndex,
    InsertMany, InsertOne, Mongo, MongoFile, RunCommand, TagDatabase, Update,
};
use crate::changelog::{
    ChangeLog, ChangeSet, ChangeSetId, ChangeSetRef, OnFail, OnSqlOutput, Precondition,
    Preconditions, RollbackStep,
};
use crate::error::{Error, Problem, Result};
use crate::expression::{ContextExpression, Labels, dbms_matches};
use crate::parameter::{ChangeLogParameters, ParameterOptions};

use document::Need;
pub use path::normalize_path;
use path::{normalize_logical, resolve_sibling};
pub use source::decode;
pub(super) use vocabulary::INCLUDE_ATTRIBUTES;
use vocabulary::{
    CHANGE_LOG_ELEMENTS, CHANGE_NAMES, CHANGE_SET_ATTRIBUTES, CHANGE_SET_ELEMENTS,
    PRECONDITION_ATTRIBUTES, PRECONDITION_NAMES, SQL_CHANGES, SQL_PRECONDITIONS, backticked,
    did_you_mean, is_change_name, sql_change_hint,
};

/// How to read a changelog tree.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Roots a changelog path is resolved against, first match wins (Liquibase `--search-path`).
    /// Default: the current directory.
    pub search_path: Vec<PathBuf>,
    /// Parameters from the command line, defaults file and environment; `<property>` elements
    /// are added to a copy while reading. The default holds only the built-ins for `mongodb`
    /// (no environment variables: the caller decides whether to pass them).
    pub parameters: ChangeLogParameters,
    /// The database short name `dbms` attributes are matched against: `mongodb`.
    pub database_short_name: String,
    /// Whether an included changelog without its own `logicalFilePath` inherits the nearest
    /// ancestor's (Liquibase 4.31+, the default) or keeps its physical path (4.28).
    pub inherit_logical_file_path: bool,
    /// Accept two changesets with the same `path::id::author`
    /// (`--allow-duplicated-changeset-identifiers`).
    pub allow_duplicate_identifiers: bool,
    /// Fail when an `includeAll` reaches a directory an enclosing `includeAll` already read
    /// (`--error-on-circular-include-all`, default true).
    pub error_on_circular_include_all: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            search_path: vec![std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))],
            parameters: ChangeLogParameters::new(ParameterOptions {
                database_short_name: "mongodb".to_owned(),
                changelog_table: "DATABASECHANGELOG".to_owned(),
                changelog_lock_table: "DATABASECHANGELOGLOCK".to_owned(),
                ..ParameterOptions::default()
            }),
            database_short_name: "mongodb".to_owned(),
            inherit_logical_file_path: true,
            allow_duplicate_identifiers: false,
            error_on_circular_include_all: true,
        }
    }
}

/// Reads the changelog `changelog_file` (resolved against the search path) and everything it
/// includes, and validates the whole tree.
///
/// The FILENAME of the root's changesets is `DatabaseChangeLog.normalizePath(changelog_file)`,
/// exactly as Liquibase records it for the same `--changelog-file` argument.
pub fn read(changelog_file: &str, options: &ReadOptions) -> Result<ChangeLog> {
    let mut loader = Loader::new(options);
    let physical = normalize_path(changelog_file);
    loader.load_root(&physical, None);
    loader.finish(physical)
}

/// Reads an in-memory root changelog named `path` (its format comes from the extension);
/// everything it includes is resolved through the search path. For tests and fuzzing.
pub fn read_str(text: &str, path: &str, options: &ReadOptions) -> Result<ChangeLog> {
    let mut loader = Loader::new(options);
    let physical = normalize_path(path);
    loader.load_root(&physical, Some(text));
    loader.finish(physical)
}

/// Where a problem is: the file and, inside a changeset, its `id::author`.
#[derive(Clone, Copy)]
struct Site<'a> {
    file: &'a str,
    change_set: Option<&'a str>,
    /// Line used when a node has none.
    line: Option<usize>,
}

impl<'a> Site<'a> {
    fn at(self, node: &Node) -> Site<'a> {
        Site {
            line: node.line.or(self.line),
            ..self
        }
    }
}

/// What a changelog inherits from the `include`/`includeAll` that pulled it in.
#[derive(Clone, Default)]
struct Inherited {
    /// FILENAME of the including changelog (local properties are looked up through it).
    parent_file: Option<String>,
    /// The nearest ancestor's effective `logicalFilePath` (the 4.31+ inheritance rule).
    ancestor_logical: Option<String>,
    /// The include element's own `logicalFilePath` (4.30+).
    include_logical: Option<String>,
    /// Context expressions of the enclosing changelogs and includes, in Liquibase's order
    /// (`ChangeSet.getInheritableContextFilter`): innermost first.
    contexts: Vec<ContextExpression>,
    /// Include labels, innermost first (`ChangeSet.getInheritableLabels`).
    labels: Vec<Labels>,
    /// The include that pulled this file in said `ignore="true"`.
    ignore: bool,
    /// `runWith` of an enclosing `modifyChangeSets`.
    run_with: Option<String>,
}

/// One changelog file being read.
struct FileCx {
    physical: String,
    /// FILENAME of this file's changesets.
    file_path: String,
    /// The effective `logicalFilePath`, handed down to included files (4.31+ rule).
    logical: Option<String>,
    inherited: Inherited,
}

/// Whether an unknown or unrecognized file is an error (`include`) or skipped (`includeAll`),
/// as `DatabaseChangeLog.OnUnknownFileFormat` FAIL / WARN.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnUnknown {
    Fail,
    Skip,
}

struct Loader<'o> {
    options: &'o ReadOptions,
    params: ChangeLogParameters,
    problems: Vec<Problem>,
    change_sets: Vec<ChangeSet>,
    preconditions: Vec<Preconditions>,
    /// Files being read, outermost first: an include of one of them is a cycle.
    stack: Vec<String>,
    /// Directories read by the enclosing `includeAll`s (`SEEN_CHANGELOG_PATHS` scope key).
    include_all_seen: Option<HashSet<String>>,
}

impl<'o> Loader<'o> {
    fn new(options: &'o ReadOptions) -> Self {
        Self {
            options,
            params: options.parameters.clone(),
            problems: Vec::new(),
            change_sets: Vec::new(),
            preconditions: Vec::new(),
            stack: Vec::new(),
            include_all_seen: None,
        }
    }

    fn report(&mut self, site: Site<'_>, message: impl Into<String>, hint: Option<String>) {
        self.problems.push(Problem {
            file: site.file.to_owned(),
            line: site.line,
            change_set: site.change_set.map(str::to_owned),
            message: message.into(),
            hint,
        });
    }

    /// Reports a `mongoFile` script refused by the rules lbmongo and the jar share.
    fn refuse(&mut self, site: Site<'_>, refused: script_file::Refusal) {
        self.report(site, refused.message, Some(refused.hint));
    }

    fn finish(mut self, physical: String) -> Result<ChangeLog> {
        self.validate();
        if self.problems.is_empty() {
            Ok(ChangeLog {
                physical_path: physical,
                preconditions: self.preconditions,
                change_sets: self.change_sets,
            })
        } else {
            Err(Error::Invalid(self.problems))
        }
    }

    fn load_root(&mut self, physical: &str, text: Option<&str>) {
        let site = Site {
            file: physical,
            change_set: None,
            line: None,
        };
        let Some(format) = Format::of_path(physical) else {
            self.report(
                site,
                "unknown changelog format",
                Some("changelog files end in .xml, .yaml, .yml, .json or .js (formatted)".into()),
            );
            return;
        };
        let text = match text {
            Some(text) => text.strip_prefix('\u{feff}').unwrap_or(text).to_owned(),
            None => match self.read_source(physical, site) {
                Some(text) => text,
                None => return,
            },
        };
        self.load_text(
            physical,
            format,
            &text,
            Inherited::default(),
            OnUnknown::Fail,
            site,
        );
    }

    /// Parses `text` in `format` and loads the changelog it holds.
    fn load_text(
        &mut self,
        physical: &str,
        format: Format,
        text: &str,
        inherited: Inherited,
        on_unknown: OnUnknown,
        origin: Site<'_>,
    ) {
        if format == Format::Formatted && !Format::is_formatted_header(text) {
            // As FormattedSqlChangeLogParser.supports with `//` comments: without the header the
            // file is no changelog. `include` fails on it, `includeAll` skips it.
            if on_unknown == OnUnknown::Fail {
                self.report(
                    origin,
                    format!("`{physical}` is not a formatted changelog"),
                    Some("a .js changelog starts with `// liquibase formatted mongodb`".into()),
                );
            }
            return;
        }
        let parsed = match format {
            Format::Xml => super::xml::read(text, physical),
            Format::Yaml => super::yaml::read(text, physical),
            Format::Json => super::json::read(text, physical),
            Format::Formatted => super::formatted::read(text, physical),
        };
        let root = match parsed {
            Ok(node) => node,
            Err(problem) => {
                self.problems.push(problem);
                return;
            }
        };
        let root = match root.name.as_str() {
            "databaseChangeLog" => root,
            _ => match root
                .children
                .into_iter()
                .find(|c| c.name == "databaseChangeLog")
            {
                Some(root) => root,
                None => {
                    self.report(
                        Site {
                            file: physical,
                            change_set: None,
                            line: None,
                        },
                        "could not find the `databaseChangeLog` node",
                        None,
                    );
                    return;
                }
            },
        };
        self.stack.push(physical.to_owned());
        self.load_changelog(root, physical, inherited);
        self.stack.pop();
    }

    /// `DatabaseChangeLog.load` + `handleChildNode` for one file.
    fn load_changelog(&mut self, mut root: Node, physical: &str, inherited: Inherited) {
        let site = Site {
            file: physical,
            change_set: None,
            line: root.line,
        };

        // Root attributes (`DatabaseChangeLog.load`). Liquibase's XML handler expands them when
        // it reads the root element, before any of the file's properties exist.
        let outer_file = inherited
            .parent_file
            .clone()
            .unwrap_or_else(|| physical.to_owned());
        for name in [
            "logicalFilePath",
            "context",
            "contextFilter",
            "objectQuotingStrategy",
        ] {
            if let Some(node) = root.children.iter_mut().find(|c| c.name == name) {
                self.expand_tree(node, &outer_file, site);
            }
        }
        let own_logical = root
            .child_value("logicalFilePath")
            .filter(|v| !v.trim().is_empty());
        let mut context = root.child_value("contextFilter");
        if context.is_none_or(|c| c.trim().is_empty()) {
            context = root.child_value("context");
        }
        let context = ContextExpression::new(context);
        self.check_context(&context, site);

        let (logical, file_path) = path::file_name(physical, own_logical, &inherited, self.options);
        if let Some(parent) = &inherited.parent_file {
            // 4.33 ChangeLogParameters: an included file sees its includer's local properties.
            self.params.include(parent, &file_path);
        }
        // ChangeSet.getInheritableContextFilter: this changelog's own context comes before the
        // context of the include that pulled it in.
        let mut inherited = inherited;
        if !context.is_empty() {
            inherited.contexts.insert(0, context);
        }
        let file = FileCx {
            physical: physical.to_owned(),
            file_path,
            logical,
            inherited,
        };

        // Properties first, then everything else: the liquibase-mongodb JSON parser defines the
        // root `property` entries before it expands the tree, and doing the same in every
        // format means a property may be used above its definition.
        for node in root.children.iter_mut().filter(|c| c.name == "property") {
            self.expand_tree(node, &file.file_path, site);
            self.property(node, &file, site.at(node));
        }

        let children = std::mem::take(&mut root.children);
        for mut node in children {
            if node.name == "property" {
                continue;
            }
            if node.name == "changeSet" {
                // ${LIQUIBASE_EXECUTION_CHANGESET_ID}/_AUTHOR name the changeset being read,
                // by its raw id and author (4.33).
                let id = node.child_value("id").unwrap_or_default().to_owned();
                let author = node.child_value("author").unwrap_or_default().to_owned();
                let label = format!("{id}::{author}");
                let in_change_set = Site {
                    change_set: (!id.is_empty() && !author.is_empty()).then_some(label.as_str()),
                    ..site
                };
                self.params.set_change_set(Some((&id, &author)));
                self.expand_tree(&mut node, &file.file_path, in_change_set);
                self.params.set_change_set(None);
            } else {
                self.expand_tree(&mut node, &file.file_path, site);
            }
            self.changelog_child(&node, &file, None, site.at(&node));
        }
    }

    /// One child of `databaseChangeLog` (or of `modifyChangeSets`).
    fn changelog_child(
        &mut self,
        node: &Node,
        file: &FileCx,
        run_with: Option<&str>,
        site: Site<'_>,
    ) {
        match node.name.as_str() {
            "changeSet" => self.change_set(node, file),
            "include" => self.include(node, file, run_with, site),
            "includeAll" => self.include_all(node, file, run_with, site),
            "preConditions" => {
                if let Some(p) = self.preconditions(node, site, true) {
                    self.preconditions.push(p);
                }
            }
            "modifyChangeSets" => {
                // DatabaseChangeLog.handleChildNode (4.28.0): `runWith` for the changesets of
                // the includes inside that have none of their own.
                let mut run_with = None;
                for child in &node.children {
                    match child.name.as_str() {
                        "runWith" => run_with = child.value.clone(),
                        "runWithSpoolFile" => {}
                        "include" | "includeAll" => {}
                        other => self.report(
                            site.at(child),
                            format!("unexpected `{other}` in `modifyChangeSets`"),
                            Some("`modifyChangeSets` holds `include` and `includeAll`".into()),
                        ),
                    }
                }
                let run_with = run_with.filter(|r| !r.trim().is_empty());
                for child in node
                    .children
                    .iter()
                    .filter(|c| c.name == "include" || c.name == "includeAll")
                {
                    self.changelog_child(child, file, run_with.as_deref(), site.at(child));
                }
            }
            "removeChangeSetProperty" => self.report(
                site,
                "`removeChangeSetProperty` is not supported by lbmongo",
                Some(
                    "it edits properties of SQL changes, which MongoDB changelogs do not have"
                        .into(),
                ),
            ),
            "logicalFilePath" | "context" | "contextFilter" | "objectQuotingStrategy" => {}
            other => {
                // As DatabaseChangeLog.handleChildNode: a leaf (an XML attribute such as
                // `schemaLocation`) is ignored, anything with children is an error.
                if !node.children.is_empty() {
                    let hint = did_you_mean(other, CHANGE_LOG_ELEMENTS).or_else(|| {
                        Some(format!(
                            "expected one of {}",
                            backticked(CHANGE_LOG_ELEMENTS)
                        ))
                    });
                    self.report(
                        site,
                        format!("unexpected node `{other}` under databaseChangeLog"),
                        hint,
                    );
                }
            }
        }
    }

    /// `ChangeSet.load` + `handleChildNode` (4.28.0).
    fn change_set(&mut self, node: &Node, file: &FileCx) {
        let site = Site {
            file: &file.physical,
            change_set: None,
            line: node.line,
        };
        let id = self.non_blank(node, "id", site);
        let author = self.non_blank(node, "author", site);
        if id.is_none() {
            self.report(site, "changeSet: missing required attribute `id`", None);
        }
        if author.is_none() {
            self.report(site, "changeSet: missing required attribute `author`", None);
        }
        let label = match (&id, &author) {
            (Some(id), Some(author)) => Some(format!("{id}::{author}")),
            _ => None,
        };
        let site = Site {
            change_set: label.as_deref(),
            ..site
        };
        let dbms = self.non_blank(node, "dbms", site);
        // DatabaseChangeLog.handleChildNode: a changeset for another database is set aside
        // before it is loaded, so nothing inside it can be wrong. We still keep it (plan
        // reports it as skipped) but drop the problems found in its body.
        let mark = self.problems.len();
        let matches_database = dbms_matches(dbms.as_deref(), &self.options.database_short_name);

        self.check_change_set_children(node, site);
        let run_always = match self.text(node, "runAlways", site) {
            Some(_) => self.flag(node, "runAlways", false, site),
            None => self.flag(node, "alwaysRun", false, site),
        };
        let run_on_change = self.flag(node, "runOnChange", false, site);
        let fail_on_error = self.flag(node, "failOnError", true, site);
        let run_in_transaction = self.flag(node, "runInTransaction", true, site);
        let own_ignore = self.flag(node, "ignore", false, site);
        let context = self.context_filter(node, site);
        let contexts = ContextExpression::new(context.as_deref());
        self.check_context(&contexts, site);
        let labels = Labels::new(self.text(node, "labels", site).as_deref().map(str::trim));
        let mark_ran_on_validation_fail = match self.text(node, "onValidationFail", site).as_deref()
        {
            None | Some("HALT") => false,
            Some("MARK_RAN") => true,
            Some(other) => {
                self.report(
                    site,
                    format!(
                        "changeSet: `onValidationFail` must be `HALT` or `MARK_RAN`, not `{other}`"
                    ),
                    None,
                );
                false
            }
        };
        if let Some(order) = self.text(node, "runOrder", site) {
            self.report(
                site,
                format!("changeSet: `runOrder=\"{order}\"` is not supported by lbmongo"),
                Some("move the changeset to where it should run".into()),
            );
        }
        // `objectQuotingStrategy` and `runWithSpoolFile` only matter to SQL: accepted, ignored.
        let run_with = self
            .text(node, "runWith", site)
            .map(|r| r.trim().to_lowercase())
            .filter(|r| !r.is_empty())
            .or_else(|| {
                file.inherited
                    .run_with
                    .as_ref()
                    .map(|r| r.trim().to_lowercase())
            });
        let created = self.text(node, "created", site);
        // ChangeSet.load: a changeset's own logicalFilePath, trimmed, `\` to `/`, leading `/`
        // dropped, replaces the file's path.
        let path = match self
            .text(node, "logicalFilePath", site)
            .map(|l| l.trim().to_owned())
        {
            Some(l) if !l.is_empty() => normalize_logical(&l),
            _ => file.file_path.clone(),
        };

        let mut body = Body::default();
        for child in &node.children {
            self.change_set_child(child, &mut body, file, site.at(child), false);
        }
        let comment = (!body.comments.is_empty())
            .then(|| body.comments.join("\n").trim().to_owned())
            .filter(|c| !c.is_empty());

        if !matches_database {
            self.problems.truncate(mark);
        }
        let (Some(id), Some(author)) = (id, author) else {
            return;
        };
        self.change_sets.push(ChangeSet {
            id: ChangeSetId { path, id, author },
            physical_path: file.physical.clone(),
            line: node.line,
            run_on_change,
            run_always,
            fail_on_error,
            run_in_transaction,
            contexts,
            inherited_contexts: file.inherited.contexts.clone(),
            labels,
            inherited_labels: file.inherited.labels.clone(),
            dbms,
            ignore: own_ignore || file.inherited.ignore,
            valid_checksums: body.valid_checksums,
            comment,
            created,
            run_with,
            mark_ran_on_validation_fail,
            preconditions: body.preconditions,
            changes: body.changes,
            rollback: body.rollback,
        });
    }

    /// Reports unknown scalar children of a changeSet (its attributes).
    fn check_change_set_children(&mut self, node: &Node, site: Site<'_>) {
        for child in &node.children {
            let name = child.name.as_str();
            if CHANGE_SET_ATTRIBUTES.contains(&name) || CHANGE_SET_ELEMENTS.contains(&name) {
                continue;
            }
            if child.children.is_empty() && child.value.is_some() && !is_change_name(name) {
                let mut candidates: Vec<&str> = CHANGE_SET_ATTRIBUTES.to_vec();
                candidates.extend_from_slice(CHANGE_SET_ELEMENTS);
                let hint = did_you_mean(name, &candidates);
                self.report(
                    site.at(child),
                    format!("changeSet: unknown attribute `{name}`"),
                    hint,
                );
            }
        }
    }

    /// One child of a changeSet, or of its `changes` list (`ChangeSet.handleChildNode`).
    fn change_set_child(
        &mut self,
        child: &Node,
        body: &mut Body,
        file: &FileCx,
        site: Site<'_>,
        in_changes: bool,
    ) {
        let name = child.name.as_str();
        match name {
            "comment" => body.comments.push(child.value.clone().unwrap_or_default()),
            "validCheckSum" | "validCheckSums" => {
                if let Some(v) = &child.value {
                    body.valid_checksums.push(v.trim().to_owned());
                }
                for item in &child.children {
                    if let Some(v) = &item.value {
                        body.valid_checksums.push(v.trim().to_owned());
                    }
                }
            }
            "preConditions" | "preconditions" => {
                body.preconditions = self.preconditions(child, site, false)
            }
            "rollback" => self.rollback(child, body, file, site),
            "changes" => {
                for item in &child.children {
                    self.change_set_child(item, body, file, site.at(item), true);
                }
            }
            "modifySql" => self.report(
                site,
                "`modifySql` is not supported on MongoDB",
                Some("it edits generated SQL; MongoDB changes generate commands".into()),
            ),
            _ if !in_changes && CHANGE_SET_ATTRIBUTES.contains(&name) => {}
            // Reported by check_change_set_children.
            _ if !in_changes
                && child.children.is_empty()
                && child.value.is_some()
                && !is_change_name(name) => {}
            _ => {
                if let Some(change) = self.change(child, file, site) {
                    body.changes.push(change);
                }
            }
        }
    }

    /// `ChangeSet.handleRollbackNode` (4.28.0). Several rollback blocks add up.
    fn rollback(&mut self, node: &Node, body: &mut Body, file: &FileCx, site: Site<'_>) {
        // Any rollback block, even an empty one, replaces the automatic inverses.
        body.rollback.get_or_insert_with(Vec::new);
        let is_reference = node.children.iter().any(|c| {
            matches!(
                c.name.as_str(),
                "changeSetId" | "changeSetAuthor" | "changeSetPath"
            )
        });
        if is_reference {
            self.check_unknown(
                node,
                "rollback",
                &["changeSetId", "changeSetAuthor", "changeSetPath"],
                site,
            );
            let id = self.non_blank(node, "changeSetId", site);
            let author = self.non_blank(node, "changeSetAuthor", site);
            let path = self.non_blank(node, "changeSetPath", site);
            match (id, author) {
                (Some(id), Some(author)) => {
                    let step = RollbackStep::ChangeSet(ChangeSetRef { id, author, path });
                    body.rollback.get_or_insert_with(Vec::new).push(step);
                }
                (None, _) => self.report(site, "rollback: missing required attribute `changeSetId`", None),
                (Some(_), None) => self.report(
                    site,
                    "rollback: missing required attribute `changeSetAuthor`",
                    Some("a rollback reference names the changeset by `changeSetId` and `changeSetAuthor`".into()),
                ),
            }
            return;
        }
        for child in &node.children {
            if let Some(change) = self.change(child, file, site.at(child)) {
                body.rollback
                    .get_or_insert_with(Vec::new)
                    .push(RollbackStep::Change(change));
            }
        }
        if node.value.as_deref().is_some_and(|v| !v.trim().is_empty()) {
            self.report(
                site,
                "rollback: raw text is SQL, which MongoDB cannot run",
                Some(
                    "put a change in the rollback, e.g. a `runCommand` or `dropCollection`".into(),
                ),
            );
        }
    }

    /// One change element (liquibase-mongodb change classes, Harness mongosh changes, core
    /// `tagDatabase`/`empty`, lbmongo extensions). `None` when it is wrong (reported).
    fn change(&mut self, node: &Node, file: &FileCx, site: Site<'_>) -> Option<Change> {
        let name = node.name.as_str();
        let mark = self.problems.len();
        let change = match name {
            "createCollection" => {
                self.check_fields(node, name, &["collectionName", "options"], site);
                let collection_name = self.collection_name(node, name, site);
                let options = self.json(node, name, "options", Need::Optional, site);
                Some(Change::CreateCollection(CreateCollection {
                    collection_name: collection_name?,
                    options,
                }))
            }
            "dropCollection" => {
                self.check_fields(node, name, &["collectionName"], site);
                let collection_name = self.collection_name(node, name, site)?;
                Some(Change::DropCollection(DropCollection { collection_name }))
            }
            "createIndex" | "dropIndex" => {
                if ["tableName", "column", "columnNames"]
                    .iter()
                    .any(|f| node.child(f).is_some())
                {
                    // Core's createIndex/dropIndex share the name (liquibase-mongodb §2.8).
                    self.report(
                        site,
                        format!("{name}: `tableName`/`column` belong to the SQL `{name}`, which MongoDB cannot run"),
                        Some("give `collectionName` and `keys`, e.g. keys=\"{ name: 1 }\"".into()),
                    );
                    return None;
                }
                let fields: &[&str] = if name == "createIndex" {
                    &["collectionName", "keys", "options"]
                } else {
                    &["collectionName", "keys"]
                };
                self.check_fields(node, name, fields, site);
                let collection_name = self.collection_name(node, name, site);
                let keys = self.json(node, name, "keys", Need::NonBlank, site);
                if name == "createIndex" {
                    let options = self.json(node, name, "options", Need::Optional, site);
                    Some(Change::CreateIndex(CreateIndex {
                        collection_name: collection_name?,
                        keys: keys?,
                        options,
                    }))
                } else {
                    Some(Change::DropIndex(DropIndex {
                        collection_name: collection_name?,
                        keys: keys?,
                    }))
                }
            }
            "insertOne" => {
                self.check_fields(node, name, &["collectionName", "document", "options"], site);
                let collection_name = self.collection_name(node, name, site);
                let document = self.json(node, name, "document", Need::Present, site);
                let options = self.json(node, name, "options", Need::Optional, site);
                Some(Change::InsertOne(InsertOne {
                    collection_name: collection_name?,
                    document: document?,
                    options,
                }))
            }
            "insertMany" => {
                self.check_fields(
                    node,
                    name,
                    &["collectionName", "documents", "options"],
                    site,
                );
                let collection_name = self.collection_name(node, name, site);
                let documents = self.json_array(node, name, "documents", site);
                let options = self.json(node, name, "options", Need::Optional, site);
                Some(Change::InsertMany(InsertMany {
                    collection_name: collection_name?,
                    documents: documents?,
                    options,
                }))
            }
            "runCommand" | "adminCommand" => {
                self.check_fields(node, name, &["command"], site);
                let command = self.json(node, name, "command", Need::NonBlank, site)?;
                Some(if name == "runCommand" {
                    Change::RunCommand(RunCommand { command })
                } else {
                    Change::AdminCommand(AdminCommand { command })
                })
            }
            "mongo" => self.mongo(node, site),
            "mongoFile" => self.mongo_file(node, file, site),
            "tagDatabase" => {
                self.check_fields(node, name, &["tag"], site);
                let tag = self.required_text(node, name, "tag", site)?;
                Some(Change::TagDatabase(TagDatabase { tag }))
            }
            "empty" => {
                self.check_fields(node, name, &[], site);
                Some(Change::Empty)
            }
            "updateOne" | "updateMany" => {
                self.check_fields(
                    node,
                    name,
                    &["collectionName", "filter", "update", "options"],
                    site,
                );
                let collection_name = self.collection_name(node, name, site);
                let filter = self.json(node, name, "filter", Need::NonBlank, site);
                let update = self.update_json(node, name, site);
                let options = self.json(node, name, "options", Need::Optional, site);
                let update = Update {
                    collection_name: collection_name?,
                    filter: filter?,
                    update: update?,
                    options,
                };
                Some(if name == "updateOne" {
                    Change::UpdateOne(update)
                } else {
                    Change::UpdateMany(update)
                })
            }
            "deleteOne" | "deleteMany" => {
                self.check_fields(node, name, &["collectionName", "filter", "options"], site);
                let collection_name = self.collection_name(node, name, site);
                let filter = self.json(node, name, "filter", Need::NonBlank, site);
                let options = self.json(node, name, "options", Need::Optional, site);
                let delete = Delete {
                    collection_name: collection_name?,
                    filter: filter?,
                    options,
                };
                Some(if name == "deleteOne" {
                    Change::DeleteOne(delete)
                } else {
                    Change::DeleteMany(delete)
                })
            }
            _ if SQL_CHANGES.contains(&name) => {
                self.report(
                    site,
                    format!("`{name}` is a SQL change, not supported on MongoDB"),
                    Some(sql_change_hint(name)),
                );
                None
            }
            _ => {
                let hint = did_you_mean(name, CHANGE_NAMES)
                    .unwrap_or_else(|| format!("MongoDB changes are {}", backticked(CHANGE_NAMES)));
                self.report(site, format!("unknown change type `{name}`"), Some(hint));
                None
            }
        };
        if self.problems.len() > mark {
            None
        } else {
            change
        }
    }

    /// Harness `MongoshChange`: the script in the `mongo` property.
    fn mongo(&mut self, node: &Node, site: Site<'_>) -> Option<Change> {
        self.check_fields(
            node,
            "mongo",
            &[
                "mongo",
                "dbms",
                "endDelimiter",
                "splitStatements",
                "stripComments",
            ],
            site,
        );
        let dbms = self.non_blank(node, "dbms", site);
        // Harness reads only the named `mongo` property, given as the attribute or as a nested
        // `<mongodb:mongo>` element (both are a `mongo` child here); element text
        // (`<mongo>db…</mongo>`, YAML `- mongo: "db…"`) lands in the inherited `sql` and then
        // fails validation. We accept the text form too, since its meaning is plain.
        let script = match self.text(node, "mongo", site) {
            Some(script) => script,
            None => node.value.clone().unwrap_or_default(),
        };
        let script = script.trim().to_owned();
        if script.is_empty() {
            self.report(
                site,
                "mongo: missing required attribute `mongo`",
                Some("give the mongosh script as the `mongo` attribute".into()),
            );
            return None;
        }
        Some(Change::Mongo(Mongo {
            mongo: script,
            dbms,
        }))
    }

    /// Harness `MongoshFileChange`: the script is read now, so a missing file fails before
    /// anything runs.
    fn mongo_file(&mut self, node: &Node, file: &FileCx, site: Site<'_>) -> Option<Change> {
        self.check_fields(
            node,
            "mongoFile",
            &[
                "path",
                "relativeToChangelogFile",
                "encoding",
                "dbms",
                "endDelimiter",
                "splitStatements",
                "stripComments",
            ],
            site,
        );
        let path = self.required_text(node, "mongoFile", "path", site)?;
        let relative_to_changelog_file = self
            .text(node, "relativeToChangelogFile", site)
            .map(|_| self.flag(node, "relativeToChangelogFile", false, site));
        let encoding = self.non_blank(node, "encoding", site);
        let dbms = self.non_blank(node, "dbms", site);
        let resolved = if relative_to_changelog_file == Some(true) {
            resolve_sibling(&file.physical, &path)
        } else {
            normalize_path(&path)
        };
        let charset = match script_file::check_encoding(&resolved, encoding.as_deref()) {
            Ok(charset) => charset,
            Err(refused) => {
                self.refuse(site, refused);
                return None;
            }
        };
        let Some(found) = self.locate(&resolved) else {
            self.refuse(
                site,
                script_file::not_found(&resolved, relative_to_changelog_file),
            );
            return None;
        };
        let bytes = match std::fs::read(&found) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.report(
                    site,
                    format!("mongoFile: cannot read `{resolved}`: {e}"),
                    None,
                );
                return None;
            }
        };
        let text = match script_file::text(&resolved, charset, &bytes) {
            Ok(text) => text,
            Err(refused) => {
                self.refuse(site, refused);
                return None;
            }
        };
        // MongoshFileChange: the decoded content is `${}`-expanded and trimmed for running; the
        // checksum covers the file's bytes.
        let script = match self.params.expand(&text, &file.file_path) {
            Ok(expanded) => expanded.trim().to_owned(),
            Err(message) => {
                self.report(site, format!("mongoFile `{resolved}`: {message}"), None);
                return None;
            }
        };
        Some(Change::MongoFile(MongoFile {
            path,
            relative_to_changelog_file,
            encoding,
            dbms,
            raw: bytes,
            script,
        }))
    }

    /// `PreconditionContainer.load` (4.28.0). `changelog_level`: the XSD allows only HALT and
    /// WARN there.
    fn preconditions(
        &mut self,
        node: &Node,
        site: Site<'_>,
        changelog_level: bool,
    ) -> Option<Preconditions> {
        let mark = self.problems.len();
        let on_fail = self.on_fail(node, "onFail", site, changelog_level);
        let on_error = self.on_fail(node, "onError", site, changelog_level);
        let on_fail_message = self.text(node, "onFailMessage", site);
        let on_error_message = self.text(node, "onErrorMessage", site);
        let sql_output = ["onSqlOutput", "onUpdateSQL", "onUpdateSql"]
            .iter()
            .find_map(|n| self.text(node, n, site));
        let on_sql_output = match sql_output.as_deref() {
            None | Some("IGNORE") => OnSqlOutput::Ignore,
            Some("TEST") => OnSqlOutput::Test,
            Some("FAIL") => OnSqlOutput::Fail,
            Some(other) => {
                self.report(site, format!("preConditions: `onSqlOutput` must be `TEST`, `FAIL` or `IGNORE`, not `{other}`"), None);
                OnSqlOutput::Ignore
            }
        };
        let mut checks = Vec::new();
        for child in &node.children {
            if PRECONDITION_ATTRIBUTES.contains(&child.name.as_str()) {
                continue;
            }
            if let Some(check) = self.precondition(child, site.at(child)) {
                checks.push(check);
            }
        }
        if self.problems.len() > mark {
            return None;
        }
        Some(Preconditions {
            on_fail,
            on_error,
            on_fail_message,
            on_error_message,
            on_sql_output,
            checks,
        })
    }

    fn on_fail(
        &mut self,
        node: &Node,
        name: &str,
        site: Site<'_>,
        changelog_level: bool,
    ) -> OnFail {
        let Some(value) = self.text(node, name, site) else {
            return OnFail::Halt;
        };
        let parsed = match value.as_str() {
            "HALT" => OnFail::Halt,
            "CONTINUE" => OnFail::Continue,
            "MARK_RAN" => OnFail::MarkRan,
            "WARN" => OnFail::Warn,
            other => {
                self.report(
                    site,
                    format!("preConditions: `{name}` must be `HALT`, `CONTINUE`, `MARK_RAN` or `WARN`, not `{other}`"),
                    None,
                );
                return OnFail::Halt;
            }
        };
        if changelog_level && matches!(parsed, OnFail::Continue | OnFail::MarkRan) {
            self.report(
                site,
                format!("changelog preConditions: `{name}=\"{value}\"` is not allowed, only `HALT` or `WARN`"),
                Some("to skip or mark a changeset, put the preConditions inside that changeSet".into()),
            );
        }
        parsed
    }

    /// One precondition (core `and`/`or`/`not`/`changeSetExecuted`/`dbms`, liquibase-mongodb's
    /// three, lbmongo's `indexExists`).
    fn precondition(&mut self, node: &Node, site: Site<'_>) -> Option<Precondition> {
        let name = node.name.as_str();
        let mark = self.problems.len();
        let check = match name {
            "and" | "or" | "not" => {
                let mut nested = Vec::new();
                for child in &node.children {
                    if let Some(check) = self.precondition(child, site.at(child)) {
                        nested.push(check);
                    }
                }
                Some(match name {
                    "and" => Precondition::And(nested),
                    "or" => Precondition::Or(nested),
                    _ => Precondition::Not(nested),
                })
            }
            "collectionExists" => {
                self.check_fields(node, name, &["collectionName"], site);
                let collection_name = self.collection_name(node, name, site)?;
                Some(Precondition::CollectionExists { collection_name })
            }
            "documentExists" => {
                self.check_fields(node, name, &["collectionName", "filter"], site);
                let collection_name = self.collection_name(node, name, site);
                let filter = self.json(node, name, "filter", Need::Optional, site);
                Some(Precondition::DocumentExists {
                    collection_name: collection_name?,
                    filter,
                })
            }
            "expectedDocumentCount" => {
                self.check_fields(
                    node,
                    name,
                    &["collectionName", "filter", "expectedCount"],
                    site,
                );
                let collection_name = self.collection_name(node, name, site);
                let filter = self.json(node, name, "filter", Need::Optional, site);
                let count = self.required_text(node, name, "expectedCount", site);
                let expected_count = match count.as_deref().map(str::trim).map(str::parse::<i64>) {
                    Some(Ok(n)) if n >= 0 => Some(n),
                    Some(_) => {
                        self.report(
                            site,
                            format!(
                                "expectedDocumentCount: `expectedCount` must be a non-negative integer, not `{}`",
                                count.unwrap_or_default()
                            ),
                            None,
                        );
                        None
                    }
                    None => None,
                };
                Some(Precondition::ExpectedDocumentCount {
                    collection_name: collection_name?,
                    filter,
                    expected_count: expected_count?,
                })
            }
            "indexExists" => {
                if ["tableName", "columnNames", "schemaName"]
                    .iter()
                    .any(|f| node.child(f).is_some())
                {
                    self.report(
                        site,
                        "indexExists: `tableName`/`columnNames` belong to the SQL precondition, meaningless on MongoDB",
                        Some("give `collectionName` with `keys` and/or `indexName`".into()),
                    );
                    return None;
                }
                self.check_fields(node, name, &["collectionName", "keys", "indexName"], site);
                let collection_name = self.collection_name(node, name, site);
                let keys = self.json(node, name, "keys", Need::Optional, site);
                let index_name = self.non_blank(node, "indexName", site);
                if keys.is_none() && index_name.is_none() && self.problems.len() == mark {
                    self.report(site, "indexExists: give `keys`, `indexName` or both", None);
                }
                Some(Precondition::IndexExists {
                    collection_name: collection_name?,
                    keys,
                    index_name,
                })
            }
            "changeSetExecuted" => {
                self.check_fields(node, name, &["id", "author", "changeLogFile"], site);
                let id = self.required_text(node, name, "id", site);
                let author = self.required_text(node, name, "author", site);
                let path = self.non_blank(node, "changeLogFile", site);
                Some(Precondition::ChangeSetExecuted(ChangeSetRef {
                    id: id?,
                    author: author?,
                    path,
                }))
            }
            "dbms" => {
                self.check_fields(node, name, &["type"], site);
                let type_ = self.required_text(node, name, "type", site)?;
                Some(Precondition::Dbms { type_ })
            }
            _ if SQL_PRECONDITIONS.contains(&name) => {
                self.report(
                    site,
                    format!("precondition `{name}` is meaningless on MongoDB"),
                    Some("use `collectionExists`, `documentExists`, `expectedDocumentCount` or `indexExists`".into()),
                );
                None
            }
            "changeLogPropertyDefined" | "customPrecondition" => {
                self.report(
                    site,
                    format!("precondition `{name}` is not supported by lbmongo"),
                    None,
                );
                None
            }
            _ => {
                let mut candidates = PRECONDITION_NAMES.to_vec();
                candidates.extend_from_slice(PRECONDITION_ATTRIBUTES);
                let hint = did_you_mean(name, &candidates).unwrap_or_else(|| {
                    format!("preconditions are {}", backticked(PRECONDITION_NAMES))
                });
                self.report(site, format!("unknown precondition `{name}`"), Some(hint));
                None
            }
        };
        if self.problems.len() > mark {
            None
        } else {
            check
        }
    }

    /// Checks that need the whole tree (`ValidatingVisitor`, `ChangeSet.handleRollbackNode`,
    /// Harness `MongoshExecutor.validate`).
    fn validate(&mut self) {
        let short_name = self.options.database_short_name.clone();
        let runs = |cs: &ChangeSet| !cs.ignore && dbms_matches(cs.dbms.as_deref(), &short_name);
        let mut problems = Vec::new();

        // ValidatingVisitor: `path::id::author` must be unique among the changesets that are
        // neither ignored nor for another database.
        if !self.options.allow_duplicate_identifiers {
            let mut seen: HashMap<String, Option<usize>> = HashMap::new();
            for cs in self.change_sets.iter().filter(|cs| runs(cs)) {
                let key = cs.id.to_string();
                match seen.get(&key) {
                    Some(first) => problems.push(Problem {
                        file: cs.physical_path.clone(),
                        line: cs.line,
                        change_set: Some(format!("{}::{}", cs.id.id, cs.id.author)),
                        message: match first {
                            Some(line) => format!(
                                "duplicate changeset identifier `{key}` (first at line {line})"
                            ),
                            None => format!("duplicate changeset identifier `{key}`"),
                        },
                        hint: Some(
                            "give each changeset its own id, or allow duplicates with \
                             `--allow-duplicated-changeset-identifiers`"
                                .into(),
                        ),
                    }),
                    None => {
                        seen.insert(key, cs.line);
                    }
                }
            }
        }

        for (index, cs) in self.change_sets.iter().enumerate() {
            if !dbms_matches(cs.dbms.as_deref(), &short_name) {
                continue;
            }
            let problem = |message: String, hint: Option<String>| Problem {
                file: cs.physical_path.clone(),
                line: cs.line,
                change_set: Some(format!("{}::{}", cs.id.id, cs.id.author)),
                message,
                hint,
            };
            // ChangeSet.handleRollbackNode resolves a reference while reading, among the
            // changesets read so far (this file's, then each parent's), ignoring case.
            for step in cs.rollback.iter().flatten() {
                let RollbackStep::ChangeSet(r) = step else {
                    continue;
                };
                let path = r.path.as_deref().unwrap_or(&cs.id.path);
                let same = |other: &ChangeSet| {
                    other.id.id.eq_ignore_ascii_case(&r.id)
                        && other.id.author.eq_ignore_ascii_case(&r.author)
                        && normalize_path(&other.id.path)
                            .eq_ignore_ascii_case(&normalize_path(path))
                        && dbms_matches(other.dbms.as_deref(), &short_name)
                };
                if self.change_sets[..index].iter().any(same) {
                    continue;
                }
                let target = format!("{path}::{}::{}", r.id, r.author);
                let hint = if self.change_sets[index..].iter().any(same) {
                    Some("Liquibase resolves rollback references while reading: name a changeset above this one".into())
                } else {
                    None
                };
                problems.push(problem(
                    format!("rollback: changeset `{target}` does not exist"),
                    hint,
                ));
            }

            if let Some((message, hint)) =
                crate::mongosh::run_with_problem(cs.run_with.as_deref(), &cs.changes)
            {
                problems.push(problem(message, Some(hint)));
            }
        }
        self.problems.extend(problems);
    }
}

/// What a changeSet's children add up to.
#[derive(Default)]
struct Body {
    comments: Vec<String>,
    valid_checksums: Vec<String>,
    preconditions: Option<Preconditions>,
    changes: Vec<Change>,
    rollback: Option<Vec<RollbackStep>>,
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;
    use crate::change::{Change, Mongo};
    use crate::changelog::{OnFail, Precondition, RollbackStep};
    use crate::format::load::testing::*;

    #[test]
    fn change_set_attributes_are_read() {
        let log = load(vec![node(
            "changeSet",
            &[
                ("id", "1"),
                ("author", "alice"),
                ("alwaysRun", "true"),
                ("runOnChange", "TRUE"),
                ("failOnError", "false"),
                ("runInTransaction", "0"),
                ("contextFilter", "prod"),
                ("context", "ignored-when-contextFilter-is-set"),
                ("labels", " a,b "),
                ("dbms", "mongodb"),
                ("onValidationFail", "MARK_RAN"),
                ("created", "2024"),
                ("logicalFilePath", "\\other\\path.xml"),
                ("objectQuotingStrategy", "QUOTE_ALL_OBJECTS"),
                ("runWith", "JDBC"),
            ],
            vec![
                Node::leaf("comment", "  first ", None),
                Node::leaf("comment", "second", None),
                Node::leaf("validCheckSum", "9:abc", None),
                node(
                    "validCheckSum",
                    &[],
                    vec![Node::leaf("validCheckSum", "ANY", None)],
                ),
                node("empty", &[], vec![]),
            ],
        )])
        .expect("reads");
        let cs = &log.change_sets[0];
        assert_eq!(cs.id.to_string(), "other/path.xml::1::alice");
        assert_eq!(cs.physical_path, "db/main.xml");
        assert!(cs.run_always && cs.run_on_change && !cs.fail_on_error && !cs.run_in_transaction);
        assert!(cs.mark_ran_on_validation_fail && !cs.ignore);
        assert_eq!(cs.contexts.text(), Some("prod"));
        assert_eq!(cs.labels.text(), Some("a,b"));
        assert_eq!(cs.dbms.as_deref(), Some("mongodb"));
        assert_eq!(cs.created.as_deref(), Some("2024"));
        assert_eq!(cs.run_with.as_deref(), Some("jdbc"));
        assert_eq!(cs.comment.as_deref(), Some("first \nsecond"));
        assert_eq!(cs.valid_checksums, ["9:abc", "ANY"]);
        assert_eq!(cs.changes, [Change::Empty]);
        assert_eq!(cs.rollback, None);
        assert_eq!(cs.preconditions, None);
    }

    #[test]
    fn every_change_type_is_read_with_its_json_text_and_document() {
        let log = load(vec![change_set(
            "1",
            vec![node(
                "changes",
                &[],
                vec![
                    node(
                        "createCollection",
                        &[("collectionName", "c"), ("options", " {\"capped\": true} ")],
                        vec![],
                    ),
                    node(
                        "createCollection",
                        &[("collectionName", "d"), ("options", "  ")],
                        vec![],
                    ),
                    node(
                        "createIndex",
                        &[("collectionName", "c"), ("keys", "{\"a\": 1}")],
                        vec![],
                    ),
                    node(
                        "dropIndex",
                        &[("collectionName", "c"), ("keys", "{\"a\": 1}")],
                        vec![],
                    ),
                    node(
                        "insertOne",
                        &[("collectionName", "c"), ("document", "")],
                        vec![],
                    ),
                    node(
                        "insertMany",
                        &[
                            ("collectionName", "c"),
                            ("documents", "[{\"a\": 1}, {\"a\": 2}]"),
                        ],
                        vec![],
                    ),
                    node("runCommand", &[("command", "{\"ping\": 1}")], vec![]),
                    node("adminCommand", &[("command", "{\"ping\": 1}")], vec![]),
                    node("tagDatabase", &[("tag", "v1")], vec![]),
                    node(
                        "updateMany",
                        &[
                            ("collectionName", "c"),
                            ("filter", "{}"),
                            ("update", "[{\"$set\": {\"a\": 1}}]"),
                        ],
                        vec![],
                    ),
                    node(
                        "deleteOne",
                        &[("collectionName", "c"), ("filter", "{\"a\": 1}")],
                        vec![],
                    ),
                    drop_collection("c"),
                ],
            )],
        )])
        .expect("reads");
        let changes = &log.change_sets[0].changes;
        assert_eq!(
            changes[0],
            Change::CreateCollection(CreateCollection {
                collection_name: "c".into(),
                options: Some(json("{\"capped\": true}", doc! { "capped": true })),
            })
        );
        assert_eq!(
            changes[1],
            Change::CreateCollection(CreateCollection {
                collection_name: "d".into(),
                options: None
            })
        );
        assert_eq!(
            changes[4],
            Change::InsertOne(InsertOne {
                collection_name: "c".into(),
                document: json("", doc! {}),
                options: None
            })
        );
        let Change::InsertMany(many) = &changes[5] else {
            panic!("insertMany")
        };
        assert_eq!(many.documents.docs(), [doc! { "a": 1 }, doc! { "a": 2 }]);
        let Change::UpdateMany(update) = &changes[9] else {
            panic!("updateMany")
        };
        assert_eq!(
            update.update.doc(),
            &doc! { "$pipeline": [ { "$set": { "a": 1 } } ] }
        );
        assert_eq!(update.update.text(), "[{\"$set\": {\"a\": 1}}]");
        let names: Vec<&str> = changes.iter().map(Change::name).collect();
        assert_eq!(
            names,
            [
                "createCollection",
                "createCollection",
                "createIndex",
                "dropIndex",
                "insertOne",
                "insertMany",
                "runCommand",
                "adminCommand",
                "tagDatabase",
                "updateMany",
                "deleteOne",
                "dropCollection",
            ]
        );
    }

    #[test]
    fn mongo_and_mongo_file_changes() {
        let dir = tree(&[
            ("db/scripts/s.js", "\u{feff}  db.${coll}.drop();\n"),
            ("top.js", "db.top.drop()"),
        ]);
        let log = load_with(
            vec![
                node("property", &[("name", "coll"), ("value", "people")], vec![]),
                node(
                    "changeSet",
                    &[("id", "1"), ("author", "a"), ("runWith", "mongosh")],
                    vec![
                        node("mongo", &[("mongo", "  db.a.drop()  ")], vec![]),
                        Node::leaf("mongo", "db.b.drop()", None),
                        node(
                            "mongoFile",
                            &[
                                ("path", "scripts/s.js"),
                                ("relativeToChangelogFile", "true"),
                            ],
                            vec![],
                        ),
                        node(
                            "mongoFile",
                            &[("path", "top.js"), ("dbms", "mongodb")],
                            vec![],
                        ),
                    ],
                ),
            ],
            &options(dir.path()),
        )
        .expect("reads");
        let changes = &log.change_sets[0].changes;
        assert_eq!(
            changes[0],
            Change::Mongo(Mongo {
                mongo: "db.a.drop()".into(),
                dbms: None
            })
        );
        assert_eq!(
            changes[1],
            Change::Mongo(Mongo {
                mongo: "db.b.drop()".into(),
                dbms: None
            })
        );
        assert_eq!(
            changes[2],
            Change::MongoFile(MongoFile {
                path: "scripts/s.js".into(),
                relative_to_changelog_file: Some(true),
                encoding: None,
                dbms: None,
                // The bytes as read: the BOM is part of what the checksum covers.
                raw: "\u{feff}  db.${coll}.drop();\n".into(),
                script: "db.people.drop();".into(),
            })
        );
        let Change::MongoFile(top) = &changes[3] else {
            panic!("mongoFile")
        };
        assert_eq!(
            (top.relative_to_changelog_file, top.dbms.as_deref()),
            (None, Some("mongodb"))
        );
    }

    #[test]
    fn a_changeset_for_another_database_is_kept_but_not_checked() {
        let log = load(vec![
            node(
                "changeSet",
                &[("id", "1"), ("author", "a"), ("dbms", "postgresql")],
                vec![node("sql", &[], vec![])],
            ),
            node(
                "changeSet",
                &[("id", "1"), ("author", "a"), ("dbms", "h2")],
                vec![],
            ),
            node(
                "changeSet",
                &[("id", "1"), ("author", "a"), ("dbms", "mongodb")],
                vec![drop_collection("c")],
            ),
        ])
        .expect("reads");
        let dbms: Vec<Option<&str>> = log
            .change_sets
            .iter()
            .map(|cs| cs.dbms.as_deref())
            .collect();
        assert_eq!(dbms, [Some("postgresql"), Some("h2"), Some("mongodb")]);
        assert!(log.change_sets[0].changes.is_empty());
    }

    #[test]
    fn duplicates_among_ignored_changesets_are_allowed() {
        let log = load(vec![
            change_set("1", vec![]),
            node(
                "changeSet",
                &[("id", "1"), ("author", "alice"), ("ignore", "true")],
                vec![],
            ),
        ]);
        assert!(log.is_ok());
        let allowed = ReadOptions {
            allow_duplicate_identifiers: true,
            ..ReadOptions::default()
        };
        assert!(
            load_with(
                vec![change_set("1", vec![]), change_set("1", vec![])],
                &allowed
            )
            .is_ok()
        );
    }

    // -- rollback --------------------------------------------------------------------------------

    #[test]
    fn rollback_forms() {
        let rollback_of = |children: Vec<Node>| -> Option<Vec<RollbackStep>> {
            let log = load(vec![
                change_set("0", vec![drop_collection("z")]),
                change_set("1", children),
            ])
            .expect("reads");
            log.change_sets[1].rollback.clone()
        };
        let drop_c = Change::DropCollection(DropCollection {
            collection_name: "c".into(),
        });
        let drop_d = Change::DropCollection(DropCollection {
            collection_name: "d".into(),
        });
        type Case = (&'static str, Vec<Node>, Option<Vec<RollbackStep>>);
        let cases: Vec<Case> = vec![
            ("no block", vec![drop_collection("x")], None),
            (
                "empty element",
                vec![node("rollback", &[], vec![])],
                Some(vec![]),
            ),
            (
                "empty string",
                vec![Node::leaf("rollback", "", None)],
                Some(vec![]),
            ),
            (
                "blank text",
                vec![Node::leaf("rollback", "  \n ", None)],
                Some(vec![]),
            ),
            (
                "nested changes",
                vec![node(
                    "rollback",
                    &[],
                    vec![drop_collection("c"), drop_collection("d")],
                )],
                Some(vec![
                    RollbackStep::Change(drop_c.clone()),
                    RollbackStep::Change(drop_d.clone()),
                ]),
            ),
            (
                "blocks add up, also inside `changes` as the harness fixtures write them",
                vec![
                    node("rollback", &[], vec![drop_collection("c")]),
                    node(
                        "changes",
                        &[],
                        vec![
                            drop_collection("x"),
                            node("rollback", &[], vec![drop_collection("d")]),
                        ],
                    ),
                ],
                Some(vec![
                    RollbackStep::Change(drop_c),
                    RollbackStep::Change(drop_d),
                ]),
            ),
            (
                "reference",
                vec![node(
                    "rollback",
                    &[("changeSetId", "0"), ("changeSetAuthor", "ALICE")],
                    vec![],
                )],
                Some(vec![RollbackStep::ChangeSet(ChangeSetRef {
                    id: "0".into(),
                    author: "ALICE".into(),
                    path: None,
                })]),
            ),
            (
                "reference with a path",
                vec![node(
                    "rollback",
                    &[
                        ("changeSetId", "0"),
                        ("changeSetAuthor", "alice"),
                        ("changeSetPath", "db/main.xml"),
                    ],
                    vec![],
                )],
                Some(vec![RollbackStep::ChangeSet(ChangeSetRef {
                    id: "0".into(),
                    author: "alice".into(),
                    path: Some("db/main.xml".into()),
                })]),
            ),
        ];
        for (what, children, expected) in cases {
            assert_eq!(rollback_of(children), expected, "{what}");
        }
    }

    #[test]
    fn rollback_problems() {
        let err = message(load(vec![
            change_set(
                "1",
                vec![node(
                    "rollback",
                    &[("changeSetId", "2"), ("changeSetAuthor", "alice")],
                    vec![],
                )],
            ),
            change_set(
                "2",
                vec![node(
                    "rollback",
                    &[("changeSetId", "9"), ("changeSetAuthor", "alice")],
                    vec![],
                )],
            ),
            change_set(
                "3",
                vec![at(Node::leaf("rollback", "drop table x", None), 7)],
            ),
            change_set("4", vec![node("rollback", &[("changeSetId", "1")], vec![])]),
        ]));
        assert_eq!(
            err,
            "invalid changelog: 4 problems\n\
             - db/main.xml:7: changeset `3::alice`: rollback: raw text is SQL, which MongoDB cannot run\n  \
             hint: put a change in the rollback, e.g. a `runCommand` or `dropCollection`\n\
             - db/main.xml: changeset `4::alice`: rollback: missing required attribute `changeSetAuthor`\n  \
             hint: a rollback reference names the changeset by `changeSetId` and `changeSetAuthor`\n\
             - db/main.xml: changeset `1::alice`: rollback: changeset `db/main.xml::2::alice` does not exist\n  \
             hint: Liquibase resolves rollback references while reading: name a changeset above this one\n\
             - db/main.xml: changeset `2::alice`: rollback: changeset `db/main.xml::9::alice` does not exist"
        );
    }

    #[test]
    fn preconditions_are_read() {
        let log = load(vec![
            node(
                "preConditions",
                &[("onFail", "WARN")],
                vec![node("dbms", &[("type", "mongodb")], vec![])],
            ),
            change_set(
                "1",
                vec![node(
                    "preConditions",
                    &[
                        ("onFail", "MARK_RAN"),
                        ("onError", "CONTINUE"),
                        ("onFailMessage", "nope"),
                        ("onSqlOutput", "TEST"),
                    ],
                    vec![
                        node("collectionExists", &[("collectionName", "c")], vec![]),
                        node(
                            "or",
                            &[],
                            vec![
                                node(
                                    "documentExists",
                                    &[("collectionName", "c"), ("filter", "{\"a\": 1}")],
                                    vec![],
                                ),
                                node(
                                    "not",
                                    &[],
                                    vec![node(
                                        "expectedDocumentCount",
                                        &[("collectionName", "c"), ("expectedCount", "0")],
                                        vec![],
                                    )],
                                ),
                            ],
                        ),
                        node(
                            "indexExists",
                            &[("collectionName", "c"), ("indexName", "i")],
                            vec![],
                        ),
                        node(
                            "changeSetExecuted",
                            &[("id", "0"), ("author", "bob")],
                            vec![],
                        ),
                    ],
                )],
            ),
        ])
        .expect("reads");
        assert_eq!(
            log.preconditions,
            [Preconditions {
                on_fail: OnFail::Warn,
                on_error: OnFail::Halt,
                on_fail_message: None,
                on_error_message: None,
                on_sql_output: OnSqlOutput::Ignore,
                checks: vec![Precondition::Dbms {
                    type_: "mongodb".into()
                }],
            }]
        );
        let p = log.change_sets[0]
            .preconditions
            .clone()
            .expect("preconditions");
        assert_eq!(
            (
                p.on_fail,
                p.on_error,
                p.on_fail_message.as_deref(),
                p.on_sql_output
            ),
            (
                OnFail::MarkRan,
                OnFail::Continue,
                Some("nope"),
                OnSqlOutput::Test
            )
        );
        assert_eq!(
            p.checks,
            [
                Precondition::CollectionExists {
                    collection_name: "c".into()
                },
                Precondition::Or(vec![
                    Precondition::DocumentExists {
                        collection_name: "c".into(),
                        filter: Some(json("{\"a\": 1}", doc! { "a": 1 })),
                    },
                    Precondition::Not(vec![Precondition::ExpectedDocumentCount {
                        collection_name: "c".into(),
                        filter: None,
                        expected_count: 0,
                    }]),
                ]),
                Precondition::IndexExists {
                    collection_name: "c".into(),
                    keys: None,
                    index_name: Some("i".into())
                },
                Precondition::ChangeSetExecuted(ChangeSetRef {
                    id: "0".into(),
                    author: "bob".into(),
                    path: None
                }),
            ]
        );
    }

    #[test]
    fn precondition_problems() {
        let err = message(load(vec![
            at(node("preConditions", &[("onFail", "CONTINUE")], vec![]), 2),
            change_set(
                "1",
                vec![at(
                    node(
                        "preConditions",
                        &[("onError", "IGNORE")],
                        vec![
                            at(
                                node(
                                    "expectedDocumentCount",
                                    &[("collectionName", "c"), ("expectedCount", "-1")],
                                    vec![],
                                ),
                                5,
                            ),
                            at(node("sqlCheck", &[("expectedResult", "0")], vec![]), 6),
                            at(
                                node("colectionExists", &[("collectionName", "c")], vec![]),
                                7,
                            ),
                            at(node("indexExists", &[("collectionName", "c")], vec![]), 8),
                        ],
                    ),
                    4,
                )],
            ),
        ]));
        assert_eq!(
            err,
            "invalid changelog: 6 problems\n\
             - db/main.xml:2: changelog preConditions: `onFail=\"CONTINUE\"` is not allowed, only `HALT` or \
             `WARN`\n  hint: to skip or mark a changeset, put the preConditions inside that changeSet\n\
             - db/main.xml:4: changeset `1::alice`: preConditions: `onError` must be `HALT`, `CONTINUE`, \
             `MARK_RAN` or `WARN`, not `IGNORE`\n\
             - db/main.xml:5: changeset `1::alice`: expectedDocumentCount: `expectedCount` must be a \
             non-negative integer, not `-1`\n\
             - db/main.xml:6: changeset `1::alice`: precondition `sqlCheck` is meaningless on MongoDB\n  hint: \
             use `collectionExists`, `documentExists`, `expectedDocumentCount` or `indexExists`\n\
             - db/main.xml:7: changeset `1::alice`: unknown precondition `colectionExists`\n  hint: did you \
             mean `collectionExists`?\n\
             - db/main.xml:8: changeset `1::alice`: indexExists: give `keys`, `indexName` or both"
        );
    }

    /// The forms the liquibase-mongodb harness fixtures use: rollback as a `changes` item, an
    /// empty string rollback, `<rollback/>`, `$rawJson`, list-form preConditions, and Harness's
    /// `mongo` change with a named `mongo` field.
    #[test]
    fn harness_fixture_forms_load_in_every_format() {
        let yaml = "databaseChangeLog:\n\
                    \x20 - changeSet:\n\
                    \x20     id: 1\n\
                    \x20     author: as\n\
                    \x20     preConditions:\n\
                    \x20       - onFail: MARK_RAN\n\
                    \x20       - not:\n\
                    \x20           - collectionExists:\n\
                    \x20               collectionName: c\n\
                    \x20     changes:\n\
                    \x20       - insertMany:\n\
                    \x20           collectionName: c\n\
                    \x20           documents: |\n\
                    \x20             [ { _id: \"us\" }, { _id: \"ca\" } ]\n\
                    \x20       - rollback:\n\
                    \x20           runCommand:\n\
                    \x20             command: '{ delete: \"c\", deletes: [ { q: { }, limit: 0 } ] }'\n\
                    \x20 - changeSet:\n\
                    \x20     id: 2\n\
                    \x20     author: as\n\
                    \x20     runWith: mongosh\n\
                    \x20     changes:\n\
                    \x20       - mongo:\n\
                    \x20           mongo: db.c.drop()\n";
        let json = r#"{"databaseChangeLog": [
            {"changeSet": {"id": "1", "author": "as",
              "preConditions": [{"onFail": "MARK_RAN"}, {"not": [{"collectionExists": {"collectionName": "c"}}]}],
              "changes": [{"insertMany": {"collectionName": "c",
                 "documents": {"$rawJson": [{"_id": "us"}, {"_id": "ca"}]}}}],
              "rollback": {"runCommand": {"command": "{ delete: \"c\", deletes: [ { q: { }, limit: 0 } ] }"}}}},
            {"changeSet": {"id": "2", "author": "as", "runWith": "mongosh",
              "changes": [{"mongo": {"mongo": "db.c.drop()"}}], "rollback": ""}}
        ]}"#;
        let xml = r#"<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
              xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb">
            <changeSet id="1" author="as">
              <preConditions onFail="MARK_RAN"><not><mongodb:collectionExists collectionName="c"/></not></preConditions>
              <mongodb:insertMany collectionName="c">
                <mongodb:documents>[ { _id: "us" }, { _id: "ca" } ]</mongodb:documents>
              </mongodb:insertMany>
              <rollback>
                <mongodb:runCommand><mongodb:command>{ delete: "c", deletes: [ { q: { }, limit: 0 } ] }</mongodb:command></mongodb:runCommand>
              </rollback>
            </changeSet>
            <changeSet id="2" author="as" runWith="mongosh">
              <mongodb:mongo mongo="db.c.drop()"/>
              <rollback/>
            </changeSet>
        </databaseChangeLog>"#;
        let delete = doc! { "delete": "c", "deletes": [ { "q": {}, "limit": 0 } ] };
        for (path, text) in [("h.yaml", yaml), ("h.json", json), ("h.xml", xml)] {
            let log = read_str(text, path, &ReadOptions::default())
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(
                ids(&log),
                [format!("{path}::1::as"), format!("{path}::2::as")],
                "{path}"
            );
            let first = &log.change_sets[0];
            let Change::InsertMany(many) = &first.changes[0] else {
                panic!("{path}: insertMany")
            };
            assert_eq!(
                many.documents.docs(),
                [doc! { "_id": "us" }, doc! { "_id": "ca" }],
                "{path}"
            );
            let Some([RollbackStep::Change(Change::RunCommand(rollback))]) =
                first.rollback.as_deref()
            else {
                panic!("{path}: one runCommand rollback, got {:?}", first.rollback);
            };
            assert_eq!(rollback.command.doc(), &delete, "{path}");
            let p = first.preconditions.as_ref().expect("preconditions");
            assert_eq!(p.on_fail, OnFail::MarkRan, "{path}");
            assert_eq!(
                p.checks,
                [Precondition::Not(vec![Precondition::CollectionExists {
                    collection_name: "c".into()
                }])],
                "{path}"
            );
            let second = &log.change_sets[1];
            assert_eq!(
                second.changes,
                [Change::Mongo(Mongo {
                    mongo: "db.c.drop()".into(),
                    dbms: None
                })],
                "{path}"
            );
            let expected_rollback = if path == "h.yaml" { None } else { Some(vec![]) };
            assert_eq!(second.rollback, expected_rollback, "{path}");
        }
    }

    #[test]
    fn read_str_resolves_includes_through_the_search_path() {
        let dir = tree(&[(
            "db/child.yaml",
            "databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: a\n      changes:\n        - dropCollection:\n            collectionName: c\n",
        )]);
        let root = "databaseChangeLog:\n  - include:\n      file: child.yaml\n      relativeToChangelogFile: true\n";
        let log = read_str(root, "./db\\root.yaml", &options(dir.path())).expect("reads");
        assert_eq!(log.physical_path, "db/root.yaml");
        assert_eq!(ids(&log), ["db/child.yaml::1::a"]);
    }
}
