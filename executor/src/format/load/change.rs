//! Changes: one change element to a [`Change`] (liquibase-mongodb's change classes, Harness's
//! `mongo`/`mongoFile`, core's `tagDatabase`/`empty`, and lbmongo's update/delete extensions),
//! with SQL changes refused and unknown ones answered with a "did you mean".
//!
//! A `mongoFile` script is read here, through the rules lbmongo and the jar share
//! (`script_file`), so that a missing or undecodable script fails before anything runs.

use super::document::Need;
use super::path::{normalize_path, resolve_sibling};
use super::vocabulary::{CHANGE_NAMES, SQL_CHANGES, backticked, did_you_mean, sql_change_hint};
use super::{FileCx, Loader, Site};
use crate::change::{
    AdminCommand, Change, CreateCollection, CreateIndex, Delete, DropCollection, DropIndex,
    InsertMany, InsertOne, Mongo, MongoFile, RunCommand, TagDatabase, Update,
};
use crate::format::node::Node;
use crate::format::script_file;

impl Loader<'_> {
    /// One change element (liquibase-mongodb change classes, Harness mongosh changes, core
    /// `tagDatabase`/`empty`, lbmongo extensions). `None` when it is wrong (reported).
    pub(super) fn change(&mut self, node: &Node, file: &FileCx, site: Site<'_>) -> Option<Change> {
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
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;
    use crate::format::load::testing::*;

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
}
