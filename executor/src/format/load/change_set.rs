//! Changesets: `<changeSet>` attributes and children (`ChangeSet.load`/`handleChildNode`,
//! 4.28.0) and their `<rollback>` blocks (`ChangeSet.handleRollbackNode`).
//!
//! A changeset's changes and preconditions are read by their own modules; checks that need the
//! whole tree (duplicates, rollback references) are in `validate`.

use super::path::normalize_logical;
use super::vocabulary::{CHANGE_SET_ATTRIBUTES, CHANGE_SET_ELEMENTS, did_you_mean, is_change_name};
use super::{FileCx, Loader, Site};
use crate::change::Change;
use crate::changelog::{ChangeSet, ChangeSetId, ChangeSetRef, Preconditions, RollbackStep};
use crate::expression::{ContextExpression, Labels, dbms_matches};
use crate::format::node::Node;

impl Loader<'_> {
    /// `ChangeSet.load` + `handleChildNode` (4.28.0).
    pub(super) fn change_set(&mut self, node: &Node, file: &FileCx) {
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
    use super::*;
    use crate::change::DropCollection;
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
}
