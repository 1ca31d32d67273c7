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
//! The loader is a recipe over one module per concept: `source` (finding and decoding files),
//! `path` (paths and FILENAME), `property`, `include`, `change_set` (with rollback), `change`,
//! `precondition`, `validate` (checks over the whole tree), and the shared `attribute` and
//! `document` (reading text and JSON-ish properties) and `vocabulary` (known names and "did you
//! mean"). This file holds the reading state and the walk of one changelog file; each module
//! adds the `Loader` methods of its concept.

mod attribute;
mod change;
mod change_set;
mod document;
mod include;
mod path;
mod precondition;
mod property;
mod source;
#[cfg(test)]
mod testing;
mod validate;
mod vocabulary;

use std::collections::HashSet;
use std::path::PathBuf;

use super::Format;
use super::node::Node;
use super::script_file;
use crate::changelog::{ChangeLog, ChangeSet, Preconditions};
use crate::error::{Error, Problem, Result};
use crate::expression::{ContextExpression, Labels};
use crate::parameter::{ChangeLogParameters, ParameterOptions};

pub use path::normalize_path;

pub(super) use vocabulary::INCLUDE_ATTRIBUTES;
use vocabulary::{CHANGE_LOG_ELEMENTS, backticked, did_you_mean};

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
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;
    use crate::change::{Change, Mongo};
    use crate::changelog::{OnFail, Precondition, RollbackStep};
    use crate::format::load::testing::*;

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
