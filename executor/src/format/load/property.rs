//! Properties: `<property>` elements (a name and value, or a `.properties` file) and the
//! expansion of `${…}` in the tree (`DatabaseChangeLog.expandExpressions`, 4.28.0).
//!
//! The precedence and scoping rules live in `crate::parameter`; this module feeds it.

use super::path::{normalize_path, resolve_sibling};
use super::{FileCx, Loader, Site};
use crate::format::node::Node;
use crate::parameter::PropertyDef;

impl Loader<'_> {
    /// Expands `${…}` in every value of the subtree (`DatabaseChangeLog.expandExpressions`).
    pub(super) fn expand_tree(&mut self, node: &mut Node, file: &str, site: Site<'_>) {
        if let Some(value) = node.value.take() {
            node.value = Some(match self.params.expand(&value, file) {
                Ok(expanded) => expanded,
                Err(message) => {
                    self.report(site.at(node), message, None);
                    value
                }
            });
        }
        let site = site.at(node);
        for child in &mut node.children {
            self.expand_tree(child, file, site);
        }
    }

    /// `<property>` (DatabaseChangeLog.handleChildNode `property`, 4.28.0).
    pub(super) fn property(&mut self, node: &Node, file: &FileCx, site: Site<'_>) {
        self.check_unknown(
            node,
            "property",
            &[
                "name",
                "value",
                "file",
                "relativeToChangelogFile",
                "errorIfMissing",
                "context",
                "contextFilter",
                "labels",
                "dbms",
                "global",
            ],
            site,
        );
        let context = self.context_filter(node, site);
        let labels = self.text(node, "labels", site);
        let dbms = self.text(node, "dbms", site);
        let global = self.flag(node, "global", true, site);
        let template = PropertyDef {
            name: String::new(),
            value: String::new(),
            file: file.file_path.clone(),
            global,
            context,
            labels,
            dbms,
        };
        match self.text(node, "file", site) {
            None => {
                let Some(name) = self.non_blank(node, "name", site) else {
                    self.report(site, "property: missing required attribute `name`", None);
                    return;
                };
                let Some(value) = self.text(node, "value", site) else {
                    self.report(
                        site,
                        format!("property `{name}`: missing `value`"),
                        Some("give `value`, or `file` to read a .properties file".into()),
                    );
                    return;
                };
                self.define(
                    PropertyDef {
                        name,
                        value,
                        ..template
                    },
                    site,
                );
            }
            Some(file_name) => {
                let relative = self.flag(node, "relativeToChangelogFile", false, site);
                let error_if_missing = self.flag(node, "errorIfMissing", true, site);
                let path = if relative {
                    resolve_sibling(&file.physical, &file_name)
                } else {
                    normalize_path(&file_name)
                };
                let Some(found) = self.locate(&path) else {
                    if error_if_missing {
                        self.report(
                            site,
                            format!("property file `{path}` was not found in the search path"),
                            Some("set errorIfMissing=\"false\" to make it optional".into()),
                        );
                    }
                    return;
                };
                match std::fs::read(&found) {
                    Ok(bytes) => match crate::java::parse_properties(&bytes) {
                        Ok(entries) => {
                            for (name, value) in entries {
                                self.define(
                                    PropertyDef {
                                        name,
                                        value,
                                        ..template.clone()
                                    },
                                    site,
                                );
                            }
                        }
                        Err(e) => self.report(
                            site,
                            format!("cannot read property file `{path}`: {e}"),
                            None,
                        ),
                    },
                    Err(e) => self.report(
                        site,
                        format!("cannot read property file `{path}`: {e}"),
                        None,
                    ),
                }
            }
        }
    }

    fn define(&mut self, def: PropertyDef, site: Site<'_>) {
        if let Err(message) = self.params.define(def) {
            self.report(site, message, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::change::Change;
    use crate::format::load::testing::*;
    use crate::format::load::{ReadOptions, read};
    use crate::parameter::{ChangeLogParameters, ParameterOptions};

    #[test]
    fn property_precedence_through_the_loader() {
        let dir = tree(&[
            (
                "root.js",
                "// liquibase formatted mongodb\n\
                 // changeset a:1 runWith:mongosh\n\
                 db.${coll}.find(${late}, ${cli}, ${local}, ${FromFile})\n\
                 // property name:coll value:first\n\
                 // property name:coll value:second\n\
                 // property name:cli value:from-property\n\
                 // property name:late value:defined-below-its-use\n\
                 // property name:local value:one global:false\n\
                 // property name:local value:two global:false\n\
                 // property name:skipped value:x dbms:postgresql\n\
                 // include file:child.js\n",
            ),
            ("child.js", &js("", &[])),
        ]);
        let parameters = ChangeLogParameters::new(ParameterOptions {
            cli: vec![("CLI".into(), "from-cli".into())],
            database_short_name: "mongodb".into(),
            ..ParameterOptions::default()
        });
        let options = ReadOptions {
            parameters,
            ..options(dir.path())
        };
        let log = read("root.js", &options).expect("reads");
        let Change::Mongo(m) = &log.change_sets[0].changes[0] else {
            panic!("a mongo change")
        };
        // CLI beats <property>; the first global definition wins; the last local one wins;
        // properties are defined before the changesets are read; an undefined name is kept.
        assert_eq!(
            m.mongo,
            "db.first.find(defined-below-its-use, from-cli, two, ${FromFile})"
        );
    }

    #[test]
    fn property_files_are_read_like_java_properties() {
        let cases = [
            (
                "a=1\nb = 2\nc:3\nd 4\n",
                vec![("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")],
            ),
            (
                "# c\n! c\n  key = long \\\n    value\n",
                vec![("key", "long value")],
            ),
            (
                "k=a\\tb\\u0041\\=\nk2=\\\\\n",
                vec![("k", "a\tbA="), ("k2", "\\")],
            ),
            ("dup=1\ndup=2\n", vec![("dup", "2")]),
            ("e\\ y=v\n", vec![("e y", "v")]),
            ("latin=\u{e9}\n", vec![("latin", "\u{c3}\u{a9}")]),
        ];
        for (text, expected) in cases {
            let parsed: BTreeMap<String, String> = crate::java::parse_properties(text.as_bytes())
                .expect("loads")
                .into_iter()
                .collect();
            let expected: BTreeMap<String, String> = expected
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert_eq!(parsed, expected, "{text:?}");
        }
    }

    #[test]
    fn property_file_elements_define_every_entry() {
        let dir = tree(&[("db/vars.properties", "coll=people\n")]);
        let log = load_with(
            vec![
                node(
                    "property",
                    &[
                        ("file", "vars.properties"),
                        ("relativeToChangelogFile", "true"),
                    ],
                    vec![],
                ),
                change_set("1", vec![drop_collection("${coll}")]),
            ],
            &options(dir.path()),
        )
        .expect("reads");
        assert_eq!(
            log.change_sets[0].changes[0].collection_name(),
            Some("people")
        );
        let optional = node(
            "property",
            &[("file", "nowhere.properties"), ("errorIfMissing", "false")],
            vec![],
        );
        assert!(load_with(vec![optional], &options(dir.path())).is_ok());
        assert_eq!(
            message(load_with(
                vec![node("property", &[("file", "gone.properties")], vec![])],
                &options(dir.path())
            )),
            "invalid changelog: db/main.xml: property file `gone.properties` was not found in the search \
             path\n  hint: set errorIfMissing=\"false\" to make it optional"
        );
    }

    #[test]
    fn ids_authors_contexts_and_labels_are_expanded() {
        let log = load(vec![
            node("property", &[("name", "who"), ("value", "bob")], vec![]),
            node("property", &[("name", "env"), ("value", "dev")], vec![]),
            node(
                "changeSet",
                &[
                    ("id", "${who}-1"),
                    ("author", "${who}"),
                    ("context", "${env}"),
                    ("labels", "l-${env}"),
                ],
                vec![drop_collection("c")],
            ),
        ])
        .expect("reads");
        let cs = &log.change_sets[0];
        assert_eq!(cs.id.to_string(), "db/main.xml::bob-1::bob");
        assert_eq!(cs.contexts.text(), Some("dev"));
        assert_eq!(cs.labels.text(), Some("l-dev"));
    }
}
