//! Preconditions: `<preConditions>` containers (`PreconditionContainer.load`, 4.28.0) and the
//! checks inside them (core `and`/`or`/`not`/`changeSetExecuted`/`dbms`, liquibase-mongodb's
//! three, lbmongo's `indexExists`), with SQL preconditions refused.
//!
//! Read at the changelog level and inside changesets; evaluated later, against the database.

use super::document::Need;
use super::vocabulary::{
    PRECONDITION_ATTRIBUTES, PRECONDITION_NAMES, SQL_PRECONDITIONS, backticked, did_you_mean,
};
use super::{Loader, Site};
use crate::changelog::{ChangeSetRef, OnFail, OnSqlOutput, Precondition, Preconditions};
use crate::format::node::Node;

impl Loader<'_> {
    /// `PreconditionContainer.load` (4.28.0). `changelog_level`: the XSD allows only HALT and
    /// WARN there.
    pub(super) fn preconditions(
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
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;
    use crate::format::load::testing::*;

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
}
