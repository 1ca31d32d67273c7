//! The platform preflight (issue 13): before `update`, `update-sql` or `validate` writes or
//! shows anything, every change the platform cannot run is listed with its file, line,
//! changeset and a hint, and the command stops.
//!
//! It judges the commands a changeset sends, lowered exactly as `update-sql` shows them
//! ([`crate::mongosh::lowered`]): a `createCollection` of XML, YAML or JSON, a `runCommand`,
//! a formatted `.js` changelog and a `mongo` script on the native path all become the same
//! command documents, so one rule holds for all of them. A script that runs through a mongosh
//! process is not lowered and is not judged. What each platform lacks is its table in
//! [`crate::platform`]; this module only finds the [`Feature`]s a command uses.
//!
//! Liquibase and liquibase-mongodb have no such check: the server's refusal arrives at the
//! changeset's turn, after the lock, the tracking collections and the earlier changesets were
//! written (liquibase-mongodb#24, #235, #581). `--platform mongodb` turns it off.

use std::fmt;

use mongodb::bson::{Bson, Document};

use crate::changelog::{ChangeSet, ChangeSetId};
use crate::command::{Command, Preview};
use crate::mongosh::NativeMode;
use crate::platform::{Feature, Platform};

/// One change the platform cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file the changeset was read from.
    pub file: String,
    /// The changeset's line in it, where the format gives one.
    pub line: Option<usize>,
    /// The changeset.
    pub change_set: ChangeSetId,
    /// The change (`createCollection`, `runCommand`, `mongo`, …).
    pub change: &'static str,
    /// The command it sends, shortly: `create` `customers`.
    pub command: String,
    /// What the platform lacks, in order.
    pub lacks: Vec<Feature>,
    /// What to do instead, one hint per feature lacked.
    pub hints: Vec<&'static str>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line.map(|l| format!(":{l}")).unwrap_or_default();
        let lacks: Vec<&str> = self.lacks.iter().map(|l| l.label()).collect();
        write!(
            f,
            "{}{line}: changeset `{}::{}`: {} ({}): {}\n    hint: {}",
            self.file,
            self.change_set.id,
            self.change_set.author,
            self.change,
            self.command,
            lacks.join(", "),
            self.hints.join("; ")
        )
    }
}

/// Lists each change of `change_sets` that `platform` cannot run, in changelog order.
pub(crate) fn findings<'c>(
    change_sets: impl IntoIterator<Item = &'c ChangeSet>,
    platform: &Platform,
    url_db: &str,
    native: NativeMode,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for cs in change_sets {
        for change in &cs.changes {
            for preview in crate::mongosh::lowered(change, &cs.id, url_db, native) {
                let Preview::Command(command) = preview else {
                    continue;
                };
                let lacked: Vec<_> = features(&command)
                    .into_iter()
                    .filter_map(|f| platform.lacks(f).map(|rule| (f, rule.hint)))
                    .collect();
                if lacked.is_empty() {
                    continue;
                }
                let mut hints: Vec<&'static str> = Vec::new();
                for (_, hint) in &lacked {
                    if !hints.contains(hint) {
                        hints.push(hint);
                    }
                }
                out.push(Finding {
                    file: cs.physical_path.clone(),
                    line: cs.line,
                    change_set: cs.id.clone(),
                    change: change.name(),
                    command: short(&command),
                    lacks: lacked.into_iter().map(|(f, _)| f).collect(),
                    hints,
                });
            }
        }
    }
    out
}

/// `create` `customers`: the command's name and, when it is a string, its target.
fn short(command: &Command) -> String {
    match command.body.iter().next() {
        Some((name, Bson::String(target))) => format!("`{name}` `{target}`"),
        Some((name, _)) => format!("`{name}`"),
        None => "an empty command".to_owned(),
    }
}

/// The features `command` uses, each once, in [`Feature`] order.
pub(crate) fn features(command: &Command) -> Vec<Feature> {
    let body = &command.body;
    let mut found = Vec::new();
    match command.name() {
        "create" => {
            if has_validation(body) {
                found.push(Feature::Validator);
            }
            if body.contains_key("collation") {
                found.push(Feature::Collation);
            }
            if body.contains_key("viewOn") {
                found.push(Feature::View);
            }
            if body.contains_key("timeseries") {
                found.push(Feature::TimeSeries);
            }
            if body.contains_key("clusteredIndex") {
                found.push(Feature::Clustered);
            }
            if body.get("capped").is_some_and(truthy) {
                found.push(Feature::Capped);
            }
        }
        "collMod" => {
            if has_validation(body) {
                found.push(Feature::Validator);
            }
            let index = body.get_document("index").ok();
            if index.is_some_and(|i| i.contains_key("expireAfterSeconds")) {
                found.push(Feature::TtlIndex);
            }
            if index.and_then(|i| i.get("hidden")).is_some_and(truthy) {
                found.push(Feature::HiddenIndex);
            }
            // As DocumentDB's partial `collMod`: what is neither the validator nor an index's
            // TTL is `collMod` proper.
            let other = body.keys().skip(1).any(|k| {
                !matches!(
                    k.as_str(),
                    "validator"
                        | "validationLevel"
                        | "validationAction"
                        | "index"
                        | "writeConcern"
                        | "comment"
                )
            }) || index.is_some_and(|i| {
                i.keys()
                    .any(|k| !matches!(k.as_str(), "name" | "keyPattern" | "expireAfterSeconds"))
            }) || body.len() == 1;
            if other {
                found.push(Feature::CollMod);
            }
        }
        "createIndexes" => {
            if let Ok(indexes) = body.get_array("indexes") {
                for index in indexes.iter().filter_map(Bson::as_document) {
                    index_features(index, &mut found);
                }
            }
        }
        "convertToCapped" | "cloneCollectionAsCapped" => found.push(Feature::Capped),
        _ => {}
    }
    // An operation's own collation: top level (`find`, `aggregate`, `findAndModify`, `count`,
    // `distinct`) or per statement (`update`, `delete`).
    let statements = ["updates", "deletes"]
        .iter()
        .filter_map(|k| body.get_array(k).ok())
        .flatten()
        .filter_map(Bson::as_document);
    if command.name() != "create"
        && command.name() != "createIndexes"
        && (body.contains_key("collation")
            || statements.clone().any(|s| s.contains_key("collation")))
    {
        found.push(Feature::Collation);
    }
    if body.values().any(has_decimal) {
        found.push(Feature::Decimal128);
    }
    found.sort();
    found.dedup();
    found
}

fn index_features(index: &Document, found: &mut Vec<Feature>) {
    let key = index.get_document("key").ok();
    for kind in key.into_iter().flat_map(Document::values) {
        match kind.as_str() {
            Some("text") => found.push(Feature::TextIndex),
            Some("hashed") => found.push(Feature::HashedIndex),
            Some("2dsphere") => found.push(Feature::SphereIndex),
            Some("2d") => found.push(Feature::FlatGeoIndex),
            _ => {}
        }
    }
    if index.contains_key("expireAfterSeconds") {
        // Cosmos DB's TTL index is the one on its `_ts` system field.
        let on_ts = key.is_some_and(|k| k.len() == 1 && k.contains_key("_ts"));
        found.push(if on_ts {
            Feature::TtlIndexOnTs
        } else {
            Feature::TtlIndex
        });
    }
    if index.contains_key("partialFilterExpression") {
        found.push(Feature::PartialIndex);
    }
    if index.get("sparse").is_some_and(truthy) {
        found.push(Feature::SparseIndex);
    }
    if index.contains_key("collation") {
        found.push(Feature::Collation);
    }
    if index.get("hidden").is_some_and(truthy) {
        found.push(Feature::HiddenIndex);
    }
    if ["weights", "default_language", "language_override"]
        .iter()
        .any(|k| index.contains_key(k))
    {
        found.push(Feature::TextIndex);
    }
}

fn has_validation(body: &Document) -> bool {
    ["validator", "validationLevel", "validationAction"]
        .iter()
        .any(|k| body.contains_key(k))
}

/// The server's truthiness of an option: `true` or a non-zero number.
fn truthy(value: &Bson) -> bool {
    match value {
        Bson::Boolean(b) => *b,
        Bson::Int32(n) => *n != 0,
        Bson::Int64(n) => *n != 0,
        Bson::Double(n) => *n != 0.0,
        _ => false,
    }
}

fn has_decimal(value: &Bson) -> bool {
    match value {
        Bson::Decimal128(_) => true,
        Bson::Document(d) => d.values().any(has_decimal),
        Bson::Array(a) => a.iter().any(has_decimal),
        _ => false,
    }
}

/// Fails with every finding of `change_sets` on `platform`, before anything is written.
pub(crate) fn check<'c>(
    change_sets: impl IntoIterator<Item = &'c ChangeSet>,
    platform: &Platform,
    url_db: &str,
    native: NativeMode,
) -> crate::error::Result<()> {
    let found = findings(change_sets, platform, url_db, native);
    if found.is_empty() {
        Ok(())
    } else {
        Err(crate::error::Error::Unsupported {
            platform: platform.kind,
            findings: found.iter().map(ToString::to_string).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::PlatformKind;
    use mongodb::bson::doc;

    fn uses(body: Document) -> Vec<Feature> {
        features(&Command::url(body))
    }

    fn on(kind: PlatformKind, version: Option<&str>) -> Platform {
        Platform {
            kind,
            version: version.map(str::to_owned),
            transactions: false,
        }
    }

    #[test]
    fn commands_name_the_features_they_use() {
        use Feature::*;
        let cases: Vec<(Document, Vec<Feature>)> = vec![
            (doc! { "create": "a" }, vec![]),
            (
                doc! { "create": "a", "validator": { "$jsonSchema": {} }, "collation": { "locale": "en" } },
                vec![Validator, Collation],
            ),
            (
                doc! { "create": "v", "viewOn": "a", "pipeline": [] },
                vec![View],
            ),
            (
                doc! { "create": "t", "timeseries": { "timeField": "t" } },
                vec![TimeSeries],
            ),
            (
                doc! { "create": "c", "clusteredIndex": { "key": { "_id": 1 }, "unique": true } },
                vec![Clustered],
            ),
            (
                doc! { "create": "c", "capped": true, "size": 4096 },
                vec![Capped],
            ),
            (doc! { "create": "c", "capped": false }, vec![]),
            (
                doc! { "collMod": "a", "validationLevel": "moderate" },
                vec![Validator],
            ),
            (
                doc! { "collMod": "a", "index": { "name": "t_1", "expireAfterSeconds": 60 } },
                vec![TtlIndex],
            ),
            (
                doc! { "collMod": "a", "changeStreamPreAndPostImages": { "enabled": true } },
                vec![CollMod],
            ),
            (doc! { "collMod": "a" }, vec![CollMod]),
            (
                doc! { "createIndexes": "a", "indexes": [
                    { "key": { "a": 1 }, "name": "a_1", "unique": true },
                ] },
                vec![],
            ),
            (
                doc! { "createIndexes": "a", "indexes": [
                    { "key": { "t": 1 }, "name": "t", "expireAfterSeconds": 60 },
                    { "key": { "p": 1 }, "name": "p", "partialFilterExpression": { "p": 1 } },
                    { "key": { "s": 1 }, "name": "s", "sparse": true },
                    { "key": { "c": 1 }, "name": "c", "collation": { "locale": "en" } },
                    { "key": { "x": "text" }, "name": "x" },
                    { "key": { "h": "hashed" }, "name": "h" },
                    { "key": { "g": "2dsphere" }, "name": "g" },
                    { "key": { "f": "2d" }, "name": "f" },
                    { "key": { "d": 1 }, "name": "d", "hidden": true },
                ] },
                vec![
                    Collation,
                    TtlIndex,
                    PartialIndex,
                    SparseIndex,
                    TextIndex,
                    HashedIndex,
                    SphereIndex,
                    FlatGeoIndex,
                    HiddenIndex,
                ],
            ),
            (
                doc! { "createIndexes": "a", "indexes": [
                    { "key": { "_ts": 1 }, "name": "ttl", "expireAfterSeconds": 60 },
                ] },
                vec![TtlIndexOnTs],
            ),
            (doc! { "convertToCapped": "a", "size": 4096 }, vec![Capped]),
            (
                doc! { "update": "a", "updates": [{ "q": {}, "u": { "$set": { "x": 1 } }, "collation": { "locale": "en" } }] },
                vec![Collation],
            ),
            (
                doc! { "insert": "a", "documents": [{ "price": { "amount": mongodb::bson::Decimal128::from_bytes([0; 16]) } }] },
                vec![Decimal128],
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(uses(body.clone()), expected, "{body}");
        }
    }

    /// Every feature, and which platforms lack it (unknown version: the strictest reading).
    #[test]
    fn each_platform_s_table() {
        use Feature::*;
        let all = [
            Validator,
            Collation,
            TtlIndex,
            TtlIndexOnTs,
            PartialIndex,
            SparseIndex,
            TextIndex,
            HashedIndex,
            SphereIndex,
            FlatGeoIndex,
            HiddenIndex,
            View,
            TimeSeries,
            Clustered,
            Capped,
            CollMod,
            Decimal128,
        ];
        let lacked = |platform: &Platform| -> Vec<Feature> {
            all.into_iter()
                .filter(|f| platform.lacks(*f).is_some())
                .collect()
        };
        assert_eq!(lacked(&on(PlatformKind::MongoDb, None)), vec![]);
        assert_eq!(
            lacked(&on(PlatformKind::FerretDb, Some("v1.24.2"))),
            vec![
                Validator,
                Collation,
                TtlIndex,
                TtlIndexOnTs,
                PartialIndex,
                TextIndex,
                HashedIndex,
                SphereIndex,
                FlatGeoIndex,
                HiddenIndex,
                View,
                TimeSeries,
                Clustered,
                CollMod,
                Decimal128,
            ]
        );
        assert_eq!(
            lacked(&on(PlatformKind::DocumentDb, None)),
            vec![
                Validator,
                Collation,
                PartialIndex,
                TextIndex,
                View,
                TimeSeries,
                Capped,
                CollMod
            ]
        );
        assert_eq!(
            lacked(&on(PlatformKind::DocumentDb, Some("5.0.0"))),
            vec![Collation, View, TimeSeries, Capped, CollMod]
        );
        assert_eq!(
            lacked(&on(PlatformKind::DocumentDb, Some("8.0.0"))),
            vec![TimeSeries, Capped, CollMod]
        );
        assert_eq!(
            lacked(&on(PlatformKind::CosmosDb, Some("4.2.0"))),
            vec![
                Validator,
                Collation,
                TtlIndex,
                PartialIndex,
                SparseIndex,
                TextIndex,
                FlatGeoIndex,
                Capped,
                CollMod
            ]
        );
    }

    #[test]
    fn findings_name_file_line_changeset_change_and_hint() {
        let mut cs = ChangeSet::new(
            ChangeSetId {
                path: "db/main.xml".to_owned(),
                id: "7".to_owned(),
                author: "alice".to_owned(),
            },
            vec![
                crate::change::Change::RunCommand(crate::change::RunCommand {
                    command: crate::change::Json::from_text(
                        r#"{ "collMod": "products", "validationLevel": "moderate" }"#,
                    )
                    .expect("valid JSON"),
                }),
                crate::change::Change::RunCommand(crate::change::RunCommand {
                    command: crate::change::Json::from_text(r#"{ "ping": 1 }"#)
                        .expect("valid JSON"),
                }),
            ],
        );
        cs.line = Some(12);
        let ferret = on(PlatformKind::FerretDb, Some("v1.24.2"));
        let found = findings([&cs], &ferret, "app", NativeMode::Auto);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].to_string(),
            "db/main.xml:12: changeset `7::alice`: runCommand (`collMod` `products`): a validator\n    \
             hint: FerretDB has no validators (nor `collMod`): remove the validator, or check documents in the application"
        );
        assert!(
            findings(
                [&cs],
                &on(PlatformKind::MongoDb, None),
                "app",
                NativeMode::Auto
            )
            .is_empty()
        );
    }
}
