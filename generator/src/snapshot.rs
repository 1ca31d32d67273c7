//! The neutral snapshot of a database's schema (data only).
//!
//! A `Snapshot` holds what recreates a database's structure and nothing the server derives:
//! collections with their `create` options and indexes, views, and (opt-in) custom roles, users
//! and shard keys. Everything is in a fixed order (collections, indexes, users and roles by name;
//! views so that each comes after what it reads from), so equal databases give equal snapshots
//! and byte-identical files. Option documents keep the server's key order and BSON types.
//!
//! References to the snapshot's own database inside roles and users (a role's `db`, a privilege's
//! `resource.db`) are stored as [`OWN_DATABASE`], so that the snapshots of two databases with the
//! same users and roles compare equal whatever the databases are called.
//!
//! On disk a snapshot is JSON (`lbmongo snapshot`), its BSON values in the generator's Extended
//! JSON form ([`crate::ejson::Dialect::Json`]), so a file read back gives the same snapshot.

use mongodb::bson::Document;
use serde::{Deserialize, Serialize};

/// Stands for the snapshot's own database in role and user definitions. MongoDB database names
/// cannot contain `$`, so this never names a real database.
pub const OWN_DATABASE: &str = "$database";

/// The version of the snapshot file format.
pub const FORMAT_VERSION: u32 = 1;

/// A database's schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// The file format version ([`FORMAT_VERSION`]).
    pub lbmongo_snapshot: u32,
    /// The database the snapshot was taken of (informational: comparisons ignore it).
    pub database: String,
    /// Collections (including time series and clustered ones), by name.
    pub collections: Vec<Collection>,
    /// Views, each after the collections and views it reads from.
    pub views: Vec<View>,
    /// Custom roles of the database, each after the custom roles it inherits (opt-in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// Users of the database, by name, without credentials (opt-in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
    /// Shard keys of sharded collections, by collection (opt-in, only through a mongos).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardKey>,
}

impl Snapshot {
    /// An empty snapshot of `database`.
    pub fn new(database: impl Into<String>) -> Self {
        Snapshot {
            lbmongo_snapshot: FORMAT_VERSION,
            database: database.into(),
            collections: Vec::new(),
            views: Vec::new(),
            roles: Vec::new(),
            users: Vec::new(),
            shards: Vec::new(),
        }
    }

    /// The same schema with the database name blanked, for comparing two databases.
    pub fn without_database_name(&self) -> Snapshot {
        Snapshot {
            database: String::new(),
            ..self.clone()
        }
    }

    /// The snapshot for reading (`snapshot --snapshot-format txt`, Liquibase's default format):
    /// a heading, then each kind of object with one indented block per object, values in
    /// relaxed Extended JSON. Unlike the JSON form it is not read back.
    pub fn to_text(&self) -> String {
        use crate::ejson::{Dialect, compact};
        let mut out = format!(
            "Database snapshot for {}\n{}\n",
            self.database,
            "-".repeat(65)
        );
        let mut section = |title: &str, blocks: Vec<(String, Vec<String>)>| {
            out.push_str(&format!("{title} ({}):\n", blocks.len()));
            for (name, lines) in blocks {
                out.push_str(&format!("    {name}\n"));
                for line in lines {
                    out.push_str(&format!("        {line}\n"));
                }
            }
        };
        let options = |d: &Document| {
            (!d.is_empty()).then(|| format!("options: {}", compact(d, Dialect::Json)))
        };
        section(
            "Collections",
            self.collections
                .iter()
                .map(|c| {
                    let mut lines: Vec<String> = options(&c.options).into_iter().collect();
                    for ix in &c.indexes {
                        let mut line =
                            format!("index {}: {}", ix.name, compact(&ix.keys, Dialect::Json));
                        if !ix.options.is_empty() {
                            line.push_str(&format!(" {}", compact(&ix.options, Dialect::Json)));
                        }
                        lines.push(line);
                    }
                    (c.name.clone(), lines)
                })
                .collect(),
        );
        section(
            "Views",
            self.views
                .iter()
                .map(|v| {
                    let pipeline: Vec<String> = v
                        .pipeline
                        .iter()
                        .map(|s| compact(s, Dialect::Json))
                        .collect();
                    let mut lines = vec![
                        format!("viewOn: {}", v.view_on),
                        format!("pipeline: [{}]", pipeline.join(", ")),
                    ];
                    lines.extend(options(&v.options));
                    (v.name.clone(), lines)
                })
                .collect(),
        );
        let definitions = |items: Vec<(&String, &Document)>| -> Vec<(String, Vec<String>)> {
            items
                .into_iter()
                .map(|(name, d)| (name.clone(), vec![compact(d, Dialect::Json)]))
                .collect()
        };
        if !self.roles.is_empty() {
            section(
                "Roles",
                definitions(
                    self.roles
                        .iter()
                        .map(|r| (&r.name, &r.definition))
                        .collect(),
                ),
            );
        }
        if !self.users.is_empty() {
            section(
                "Users",
                definitions(
                    self.users
                        .iter()
                        .map(|u| (&u.name, &u.definition))
                        .collect(),
                ),
            );
        }
        if !self.shards.is_empty() {
            section(
                "Shard keys",
                self.shards
                    .iter()
                    .map(|k| {
                        let unique = if k.unique { " unique" } else { "" };
                        (
                            k.collection.clone(),
                            vec![format!("key: {}{unique}", compact(&k.key, Dialect::Json))],
                        )
                    })
                    .collect(),
            );
        }
        out
    }

    /// The snapshot as JSON text, ending in a newline: each value on one line when it fits in
    /// [`crate::ejson::WIDTH`] columns, else one member per line, so files diff well.
    pub fn to_json(&self) -> String {
        let value = serde_json::to_value(self).expect("a snapshot always serializes");
        let mut text = String::new();
        pretty(&mut text, &value, 0, 0);
        text.push('\n');
        text
    }

    /// Reads a snapshot written by [`Snapshot::to_json`].
    pub fn from_json(text: &str) -> Result<Snapshot, String> {
        let snapshot: Snapshot = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if snapshot.lbmongo_snapshot != FORMAT_VERSION {
            return Err(format!(
                "snapshot format {} is not supported (this lbmongo reads format {FORMAT_VERSION})",
                snapshot.lbmongo_snapshot
            ));
        }
        Ok(snapshot)
    }

    /// The collection called `name`.
    pub fn collection(&self, name: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.name == name)
    }

    /// The view called `name`.
    pub fn view(&self, name: &str) -> Option<&View> {
        self.views.iter().find(|v| v.name == name)
    }
}

/// A collection: its `create` options and its indexes.
/// The snapshot file an `offline:` URL names, read as Liquibase's `OfflineConnection` reads
/// `offline:<dbms>?snapshot=<file>&<name>=<value>…`: `None` when `url` is not an offline URL,
/// an error when it names another dbms than `mongodb` (compared ignoring case), `Ok(None)` when
/// it has no `snapshot` parameter (Liquibase's offline database is then empty). Other parameters
/// (`version`, `productName`, `caseSensitive`, …) describe a SQL database and are ignored. The
/// file is relative to the working directory, as the Liquibase documentation describes it.
pub fn offline_snapshot(url: &str) -> Option<Result<Option<std::path::PathBuf>, String>> {
    let rest = url.trim().strip_prefix("offline:")?;
    let (dbms, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !dbms.eq_ignore_ascii_case("mongodb") {
        return Some(Err(format!(
            "`offline:{dbms}` is not a MongoDB snapshot: lbmongo reads `offline:mongodb?snapshot=FILE`, a file written by `lbmongo snapshot --snapshot-format json`"
        )));
    }
    let file = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .filter(|(name, _)| *name == "snapshot")
        .map(|(_, value)| value)
        .next_back();
    Some(match file {
        Some("") => Err("`snapshot=` names no file in the offline URL".to_owned()),
        Some(path) => Ok(Some(std::path::PathBuf::from(path))),
        None => Ok(None),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    /// The collection name.
    pub name: String,
    /// Options for `create` (validator, capped, timeseries, clusteredIndex, collation, …) in
    /// the server's order, without what the server derives (`uuid`, `clusteredIndex.v`, …).
    #[serde(with = "document")]
    pub options: Document,
    /// Indexes other than `_id_` (and the clustered index), by name.
    pub indexes: Vec<Index>,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// The index name.
    pub name: String,
    /// The key pattern, text indexes in the `{field: "text"}` form users write.
    #[serde(with = "document")]
    pub keys: Document,
    /// Options for `createIndexes` besides `key` and `name` (unique, sparse, TTL, collation,
    /// partialFilterExpression, hidden, …), without `v`, `ns`, `background` and the versions.
    #[serde(with = "document")]
    pub options: Document,
}

/// A view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// The view name.
    pub name: String,
    /// The collection or view it reads from.
    pub view_on: String,
    /// The aggregation pipeline.
    #[serde(with = "documents")]
    pub pipeline: Vec<Document>,
    /// Other `create` options (`collation`).
    #[serde(with = "document")]
    pub options: Document,
}

/// A custom role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// The role name.
    pub name: String,
    /// The `createRole` fields after the name: `privileges`, `roles`, and
    /// `authenticationRestrictions` when set. The own database is [`OWN_DATABASE`].
    #[serde(with = "document")]
    pub definition: Document,
}

/// A user, without credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user name.
    pub name: String,
    /// The `createUser` fields after the name and password: `customData`, `roles`,
    /// `authenticationRestrictions`, `mechanisms`. The own database is [`OWN_DATABASE`].
    #[serde(with = "document")]
    pub definition: Document,
}

/// The shard key of a sharded collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardKey {
    /// The collection name (in the snapshot's database).
    pub collection: String,
    /// The shard key pattern.
    #[serde(with = "document")]
    pub key: Document,
    /// Whether the shard key index is unique.
    pub unique: bool,
}

pub(crate) fn compact(out: &mut String, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                compact(out, v);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                compact(out, v);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Writes `value` starting at column `start`, continuation lines indented by `indent`.
fn pretty(out: &mut String, value: &serde_json::Value, indent: usize, start: usize) {
    use serde_json::Value;
    let mut flat = String::new();
    compact(&mut flat, value);
    let (open, close, members): (char, char, Vec<(Option<&String>, &Value)>) = match value {
        Value::Object(map) if !map.is_empty() => {
            ('{', '}', map.iter().map(|(k, v)| (Some(k), v)).collect())
        }
        Value::Array(items) if !items.is_empty() => {
            ('[', ']', items.iter().map(|v| (None, v)).collect())
        }
        _ => (' ', ' ', Vec::new()),
    };
    if members.is_empty() || start + flat.len() <= crate::ejson::WIDTH {
        out.push_str(&flat);
        return;
    }
    out.push(open);
    out.push('\n');
    let last = members.len() - 1;
    for (i, (key, v)) in members.into_iter().enumerate() {
        let pad = " ".repeat(indent + 2);
        out.push_str(&pad);
        let mut column = indent + 2;
        if let Some(k) = key {
            let k = Value::String(k.clone()).to_string();
            column += k.len() + 2;
            out.push_str(&k);
            out.push_str(": ");
        }
        pretty(out, v, indent + 2, column);
        if i < last {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str(&" ".repeat(indent));
    out.push(close);
}

/// Serde for one document in the generator's Extended JSON form.
mod document {
    use mongodb::bson::Document;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(doc: &Document, s: S) -> Result<S::Ok, S::Error> {
        crate::ejson::to_json_map(doc).serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Document, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        crate::ejson::from_json_value(&value).map_err(serde::de::Error::custom)
    }
}

/// Serde for a list of documents in the generator's Extended JSON form.
mod documents {
    use mongodb::bson::Document;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(docs: &[Document], s: S) -> Result<S::Ok, S::Error> {
        let values: Vec<_> = docs.iter().map(crate::ejson::to_json_map).collect();
        values.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Document>, D::Error> {
        let values = Vec::<serde_json::Value>::deserialize(d)?;
        values
            .iter()
            .map(|v| crate::ejson::from_json_value(v).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use mongodb::bson::{DateTime, doc};

    use super::*;

    #[test]
    fn the_text_form_lists_each_object_once() {
        let mut snapshot = Snapshot::new("shop");
        snapshot.collections.push(Collection {
            name: "orders".into(),
            options: doc! { "validationLevel": "moderate" },
            indexes: vec![Index {
                name: "sku_1".into(),
                keys: doc! { "sku": 1 },
                options: doc! { "unique": true },
            }],
        });
        snapshot.views.push(View {
            name: "big".into(),
            view_on: "orders".into(),
            pipeline: vec![doc! { "$match": { "n": { "$gt": 1 } } }],
            options: doc! {},
        });
        assert_eq!(
            snapshot.to_text(),
            format!(
                "Database snapshot for shop\n{}\nCollections (1):\n    orders\n        \
                 options: {{\"validationLevel\": \"moderate\"}}\n        index sku_1: {{\"sku\": 1}} \
                 {{\"unique\": true}}\nViews (1):\n    big\n        viewOn: orders\n        \
                 pipeline: [{{\"$match\": {{\"n\": {{\"$gt\": 1}}}}}}]\n",
                "-".repeat(65)
            )
        );
    }

    #[test]
    fn offline_urls_name_a_mongodb_snapshot_file() {
        use std::path::PathBuf;
        assert_eq!(offline_snapshot("mongodb://h/db"), None);
        assert_eq!(
            offline_snapshot("offline:mongodb?snapshot=mySnapshot.json"),
            Some(Ok(Some(PathBuf::from("mySnapshot.json"))))
        );
        assert_eq!(
            offline_snapshot("offline:MongoDB?version=7.0&snapshot=dir/s.json&caseSensitive=true"),
            Some(Ok(Some(PathBuf::from("dir/s.json"))))
        );
        assert_eq!(offline_snapshot("offline:mongodb"), Some(Ok(None)));
        let other = offline_snapshot("offline:postgresql?snapshot=s.json");
        assert!(
            matches!(&other, Some(Err(m)) if m.contains("`offline:postgresql` is not a MongoDB snapshot")),
            "{other:?}"
        );
        assert!(matches!(
            offline_snapshot("offline:mongodb?snapshot="),
            Some(Err(_))
        ));
    }

    #[test]
    fn a_snapshot_file_reads_back_to_the_same_snapshot() {
        let mut snapshot = Snapshot::new("shop");
        snapshot.collections.push(Collection {
            name: "orders".into(),
            options: doc! {
                "validator": { "at": { "$gt": DateTime::from_millis(0) }, "n": { "$lt": 5_i64 } },
                "validationLevel": "moderate",
            },
            indexes: vec![Index {
                name: "ix".into(),
                keys: doc! { "a": 1, "b": -1.0 },
                options: doc! { "unique": true },
            }],
        });
        snapshot.views.push(View {
            name: "v".into(),
            view_on: "orders".into(),
            pipeline: vec![doc! { "$match": { "a": 1 } }],
            options: doc! {},
        });
        snapshot.roles.push(Role {
            name: "r".into(),
            definition: doc! { "privileges": [], "roles": [{ "role": "read", "db": OWN_DATABASE }] },
        });
        let text = snapshot.to_json();
        assert_eq!(Snapshot::from_json(&text), Ok(snapshot.clone()));
        assert!(
            text.contains(r#""n": {"#) && text.contains(r#""$numberLong": "5""#),
            "{text}"
        );
        // Empty opt-in sections are left out of the file.
        assert!(!text.contains("\"users\""), "{text}");
    }

    #[test]
    fn another_format_version_is_refused() {
        let text = r#"{"lbmongoSnapshot": 2, "database": "x", "collections": [], "views": []}"#;
        let err = Snapshot::from_json(text).expect_err("version 2 is unknown");
        assert!(err.contains("format 2"), "{err}");
    }
}
