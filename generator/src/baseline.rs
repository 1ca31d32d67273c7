//! Snapshot parts to changesets that recreate them (pure: no I/O).
//!
//! Changes use liquibase-mongodb's change types only, so the official extension runs the result:
//! `createCollection` with the `create` options (views too: `viewOn` and `pipeline` are
//! `create` options), `createIndex` with the index `name` and options, `insertMany` for
//! `--include-data`, and `runCommand`/`adminCommand` for roles, users and shard keys. Every
//! changeset carries an explicit rollback, so rolling a baseline back never depends on
//! automatic inverses (liquibase-mongodb has none for `runCommand`).
//!
//! Ids are `<what>-<name>` (`createCollection-orders`, `createIndex-orders-ix_sku`), made of
//! `[A-Za-z0-9_.-]` so that every format (including formatted `.js`, whose changeset line splits
//! on spaces and colons) reads them back; [`Ids`] makes them unique.

use std::collections::HashSet;

use executor::ContextExpression;
use executor::change::{
    AdminCommand, Change, CreateCollection, CreateIndex, DropCollection, DropIndex, InsertMany,
    Json, JsonArray, RunCommand,
};
use executor::changelog::{ChangeSet, ChangeSetId, RollbackStep};
use mongodb::bson::{Bson, Document, doc};

use crate::ejson::{self, Dialect};
use crate::snapshot::{Collection, Index, OWN_DATABASE, Role, ShardKey, User, View};

/// The author of generated changesets when `--author` is not given.
pub const DEFAULT_AUTHOR: &str = "lbmongo-generated";

/// The Liquibase property that holds the target database's name when the changelog runs
/// (`database.defaultSchemaName`, which Liquibase sets to the URL's database for MongoDB).
pub const DATABASE_PROPERTY: &str = "${database.defaultSchemaName}";

/// The context of shard-key changesets, so unsharded targets skip them.
pub const SHARDING_CONTEXT: &str = "sharding";

/// How to cut a collection into changesets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChangeSetPer {
    /// One changeset per collection: `createCollection` and all its `createIndex` changes.
    #[default]
    Collection,
    /// `createCollection` alone, then one changeset per index.
    Index,
}

/// How changesets are made.
#[derive(Debug, Clone)]
pub struct BaselineOptions {
    /// The changesets' author.
    pub author: String,
    /// How to cut collections into changesets.
    pub per: ChangeSetPer,
}

impl Default for BaselineOptions {
    fn default() -> Self {
        BaselineOptions {
            author: DEFAULT_AUTHOR.to_owned(),
            per: ChangeSetPer::Collection,
        }
    }
}

/// Changeset ids already used in the changelog being written.
#[derive(Debug, Clone, Default)]
pub struct Ids {
    used: HashSet<String>,
    /// The number of the last descriptive id (Liquibase's `changeNumber`, first 1).
    number: usize,
}

impl Ids {
    /// Ids that already exist (when appending to a changelog).
    pub fn with_existing(ids: impl IntoIterator<Item = String>) -> Ids {
        Ids {
            used: ids.into_iter().collect(),
            number: 0,
        }
    }

    /// Liquibase's descriptive id `<root>-<n> (<description> :: …)` ([`crate::stamp`]), `n`
    /// counting from 1 over the run and skipping numbers whose id is taken.
    pub fn descriptive(&mut self, root: &str, descriptions: &[String]) -> String {
        let suffix = description_suffix(descriptions);
        loop {
            self.number += 1;
            let id = format!("{root}-{}{suffix}", self.number);
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }

    /// `kind-part1-part2…` with unsafe characters replaced by `_`, suffixed `-2`, `-3`, … when
    /// taken.
    pub fn next(&mut self, kind: &str, parts: &[&str]) -> String {
        let mut base = kind.to_owned();
        for part in parts {
            base.push('-');
            base.extend(part.chars().map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                    c
                } else {
                    '_'
                }
            }));
        }
        let mut id = base.clone();
        let mut n = 2;
        while !self.used.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

/// `" (" + descriptions joined with " :: " + ")"`, cut as `DiffToChangeLog.generateId` cuts it:
/// longer than 150 UTF-16 units, the first 146 and `...)`. Empty without changes.
fn description_suffix(descriptions: &[String]) -> String {
    if descriptions.is_empty() {
        return String::new();
    }
    let full = format!(" ({})", descriptions.join(" :: "));
    if full.encode_utf16().count() <= 150 {
        return full;
    }
    // Java's substring counts UTF-16 units; a character is never split here.
    let mut units = 0;
    let mut cut = String::new();
    for c in full.chars() {
        units += c.len_utf16();
        if units > 146 {
            break;
        }
        cut.push(c);
    }
    cut.push_str("...)");
    cut
}

/// A JSON-ish change property from a document.
pub fn json(doc: Document) -> Json {
    Json::new(ejson::compact(&doc, Dialect::Json), doc)
}

/// A changeset with Liquibase's defaults and the given changes and rollback.
pub fn change_set(
    id: String,
    author: &str,
    changes: Vec<Change>,
    rollback: Vec<Change>,
) -> ChangeSet {
    let id = ChangeSetId {
        path: String::new(),
        id,
        author: author.to_owned(),
    };
    ChangeSet {
        rollback: Some(rollback.into_iter().map(RollbackStep::Change).collect()),
        ..ChangeSet::new(id, changes)
    }
}

/// `createCollection collectionName=name options=…`.
pub fn create_collection(name: &str, options: &Document) -> Change {
    Change::CreateCollection(CreateCollection {
        collection_name: name.to_owned(),
        options: (!options.is_empty()).then(|| json(options.clone())),
    })
}

/// `dropCollection collectionName=name`.
pub fn drop_collection(name: &str) -> Change {
    Change::DropCollection(DropCollection {
        collection_name: name.to_owned(),
    })
}

/// `createIndex` with the index name first in the options.
pub fn create_index(collection: &str, index: &Index) -> Change {
    let mut options = doc! { "name": &index.name };
    options.extend(index.options.clone());
    Change::CreateIndex(CreateIndex {
        collection_name: collection.to_owned(),
        keys: json(index.keys.clone()),
        options: Some(json(options)),
    })
}

/// Drops `index`: `dropIndex` by its keys when no other index of the collection has the same
/// key pattern, else `runCommand dropIndexes` by name (liquibase-mongodb's `dropIndex` can only
/// name keys, and the server refuses an ambiguous pattern).
pub fn drop_index(collection: &str, index: &Index, siblings: &[Index]) -> Change {
    let ambiguous = siblings
        .iter()
        .any(|other| other.name != index.name && other.keys == index.keys);
    if ambiguous {
        run_command(doc! { "dropIndexes": collection, "index": &index.name })
    } else {
        Change::DropIndex(DropIndex {
            collection_name: collection.to_owned(),
            keys: json(index.keys.clone()),
        })
    }
}

/// `runCommand command=…`.
pub fn run_command(command: Document) -> Change {
    Change::RunCommand(RunCommand {
        command: json(command),
    })
}

/// The `create` options of a view: `viewOn`, `pipeline`, then the rest (`collation`).
pub fn view_options(view: &View) -> Document {
    let mut options = doc! {
        "viewOn": &view.view_on,
        "pipeline": view.pipeline.iter().cloned().map(Bson::Document).collect::<Vec<_>>(),
    };
    options.extend(view.options.clone());
    options
}

/// The changesets of one collection (with up to `data` documents as `insertMany`).
pub fn collection_change_sets(
    collection: &Collection,
    data: &[Document],
    options: &BaselineOptions,
    ids: &mut Ids,
) -> Vec<ChangeSet> {
    let name = collection.name.as_str();
    let create = create_collection(name, &collection.options);
    let mut out = Vec::new();
    match options.per {
        ChangeSetPer::Collection => {
            let mut changes = vec![create];
            changes.extend(collection.indexes.iter().map(|i| create_index(name, i)));
            out.push(change_set(
                ids.next("createCollection", &[name]),
                &options.author,
                changes,
                vec![drop_collection(name)],
            ));
        }
        ChangeSetPer::Index => {
            out.push(change_set(
                ids.next("createCollection", &[name]),
                &options.author,
                vec![create],
                vec![drop_collection(name)],
            ));
            for index in &collection.indexes {
                out.push(change_set(
                    ids.next("createIndex", &[name, &index.name]),
                    &options.author,
                    vec![create_index(name, index)],
                    vec![drop_index(name, index, &collection.indexes)],
                ));
            }
        }
    }
    if !data.is_empty() {
        out.push(data_change_set(name, data, options, ids));
    }
    out
}

fn data_change_set(
    name: &str,
    data: &[Document],
    options: &BaselineOptions,
    ids: &mut Ids,
) -> ChangeSet {
    let insert = Change::InsertMany(InsertMany {
        collection_name: name.to_owned(),
        documents: JsonArray::new(
            ejson::compact_value(
                &Bson::Array(data.iter().cloned().map(Bson::Document).collect()),
                Dialect::Json,
            ),
            data.to_vec(),
        ),
        options: None,
    });
    let ids_in: Vec<Bson> = data.iter().filter_map(|d| d.get("_id").cloned()).collect();
    let delete = run_command(doc! {
        "delete": name,
        "deletes": [{ "q": { "_id": { "$in": ids_in } }, "limit": 0 }],
    });
    change_set(
        ids.next("insertData", &[name]),
        &options.author,
        vec![insert],
        vec![delete],
    )
}

/// The changeset of one view.
pub fn view_change_set(view: &View, options: &BaselineOptions, ids: &mut Ids) -> ChangeSet {
    change_set(
        ids.next("createView", &[&view.name]),
        &options.author,
        vec![create_collection(&view.name, &view_options(view))],
        vec![drop_collection(&view.name)],
    )
}

/// `createRole` for a custom role.
pub fn create_role_command(role: &Role) -> Document {
    let mut command = doc! { "createRole": &role.name };
    command.extend(concrete(&role.definition));
    command
}

/// The changeset of one custom role.
pub fn role_change_set(role: &Role, options: &BaselineOptions, ids: &mut Ids) -> ChangeSet {
    change_set(
        ids.next("createRole", &[&role.name]),
        &options.author,
        vec![run_command(create_role_command(role))],
        vec![run_command(doc! { "dropRole": &role.name })],
    )
}

/// The property holding a user's password (`password.<user>`).
pub fn password_property(user: &str) -> String {
    format!("password.{user}")
}

/// `createUser` for a user, its password a `${password.<user>}` property.
pub fn create_user_command(user: &User) -> Document {
    let mut command =
        doc! { "createUser": &user.name, "pwd": format!("${{{}}}", password_property(&user.name)) };
    command.extend(concrete(&user.definition));
    command
}

/// The changeset of one user. Its comment names the password property.
pub fn user_change_set(user: &User, options: &BaselineOptions, ids: &mut Ids) -> ChangeSet {
    let mut cs = change_set(
        ids.next("createUser", &[&user.name]),
        &options.author,
        vec![run_command(create_user_command(user))],
        vec![run_command(doc! { "dropUser": &user.name })],
    );
    cs.comment = Some(format!(
        "The password is the changelog property `{}` (pass -D{}=...)",
        password_property(&user.name),
        password_property(&user.name)
    ));
    cs
}

/// The changeset that shards one collection, in the [`SHARDING_CONTEXT`] context. Its rollback
/// is empty: a collection cannot be unsharded in place before MongoDB 8.0.
pub fn shard_change_set(key: &ShardKey, options: &BaselineOptions, ids: &mut Ids) -> ChangeSet {
    let mut command = doc! {
        "shardCollection": format!("{DATABASE_PROPERTY}.{}", key.collection),
        "key": key.key.clone(),
    };
    if key.unique {
        command.insert("unique", true);
    }
    let mut cs = change_set(
        ids.next("shardCollection", &[&key.collection]),
        &options.author,
        vec![Change::AdminCommand(AdminCommand {
            command: json(command),
        })],
        vec![],
    );
    cs.contexts = ContextExpression::new(Some(SHARDING_CONTEXT));
    cs
}

/// A role or user definition as it is sent: references to a role of the own database become the
/// plain role name (`"read"`), and any other own-database reference (a privilege's
/// `resource.db`) becomes [`DATABASE_PROPERTY`].
pub fn concrete(definition: &Document) -> Document {
    fn walk(value: &Bson) -> Bson {
        match value {
            Bson::Document(d) => {
                if d.len() == 2
                    && d.get_str("db") == Ok(OWN_DATABASE)
                    && let Ok(role) = d.get_str("role")
                {
                    return Bson::String(role.to_owned());
                }
                Bson::Document(
                    d.iter()
                        .map(|(k, v)| match v {
                            Bson::String(s) if k == "db" && s == OWN_DATABASE => {
                                (k.clone(), Bson::String(DATABASE_PROPERTY.to_owned()))
                            }
                            v => (k.clone(), walk(v)),
                        })
                        .collect(),
                )
            }
            Bson::Array(items) => Bson::Array(items.iter().map(walk).collect()),
            other => other.clone(),
        }
    }
    match walk(&Bson::Document(definition.clone())) {
        Bson::Document(d) => d,
        _ => unreachable!("a document walks to a document"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(change_sets: &[ChangeSet]) -> Vec<&str> {
        change_sets.iter().map(|c| c.id.id.as_str()).collect()
    }

    fn sample() -> Collection {
        Collection {
            name: "my orders".into(),
            options: doc! { "validator": { "a": 1 } },
            indexes: vec![
                Index {
                    name: "a_1".into(),
                    keys: doc! { "a": 1 },
                    options: doc! {},
                },
                Index {
                    name: "a_1_fr".into(),
                    keys: doc! { "a": 1 },
                    options: doc! { "collation": { "locale": "fr" } },
                },
                Index {
                    name: "b".into(),
                    keys: doc! { "b": 1 },
                    options: doc! { "unique": true },
                },
            ],
        }
    }

    #[test]
    fn ids_are_safe_and_unique() {
        let mut ids = Ids::with_existing(["createCollection-a".to_owned()]);
        assert_eq!(ids.next("createCollection", &["a"]), "createCollection-a-2");
        assert_eq!(ids.next("createCollection", &["a"]), "createCollection-a-3");
        assert_eq!(
            ids.next("createIndex", &["my coll", "ix:1/é"]),
            "createIndex-my_coll-ix_1__"
        );
        assert_eq!(
            ids.next("createIndex", &["my_coll", "ix_1__"]),
            "createIndex-my_coll-ix_1__-2"
        );
    }

    #[test]
    fn a_collection_is_one_changeset_or_one_per_index() {
        let c = sample();
        let mut ids = Ids::default();
        let one = collection_change_sets(&c, &[], &BaselineOptions::default(), &mut ids);
        assert_eq!(names(&one), ["createCollection-my_orders"]);
        let changes: Vec<&str> = one[0].changes.iter().map(Change::name).collect();
        assert_eq!(
            changes,
            [
                "createCollection",
                "createIndex",
                "createIndex",
                "createIndex"
            ]
        );
        assert_eq!(
            one[0].rollback,
            Some(vec![RollbackStep::Change(drop_collection("my orders"))])
        );
        let Change::CreateIndex(ix) = &one[0].changes[2] else {
            panic!("an index")
        };
        assert_eq!(
            ix.options.as_ref().map(|o| o.doc().clone()),
            Some(doc! { "name": "a_1_fr", "collation": { "locale": "fr" } })
        );

        let per_index = BaselineOptions {
            per: ChangeSetPer::Index,
            ..BaselineOptions::default()
        };
        let many = collection_change_sets(
            &c,
            &[doc! { "_id": 1 }, doc! { "_id": 2 }],
            &per_index,
            &mut Ids::default(),
        );
        assert_eq!(
            names(&many),
            [
                "createCollection-my_orders",
                "createIndex-my_orders-a_1",
                "createIndex-my_orders-a_1_fr",
                "createIndex-my_orders-b",
                "insertData-my_orders"
            ]
        );
        // Two indexes share the key pattern `{a: 1}`: their rollbacks drop by name.
        let rollback = |cs: &ChangeSet| match cs.rollback.as_deref() {
            Some([RollbackStep::Change(c)]) => c.clone(),
            other => panic!("one rollback change: {other:?}"),
        };
        assert_eq!(
            rollback(&many[1]),
            run_command(doc! { "dropIndexes": "my orders", "index": "a_1" })
        );
        assert!(
            matches!(rollback(&many[3]), Change::DropIndex(d) if *d.keys.doc() == doc! { "b": 1 })
        );
        assert_eq!(
            rollback(&many[4]),
            run_command(
                doc! { "delete": "my orders", "deletes": [{ "q": { "_id": { "$in": [1, 2] } }, "limit": 0 }] }
            )
        );
    }

    #[test]
    fn roles_and_users_name_the_target_database_through_a_property() {
        let role = Role {
            name: "r".into(),
            definition: doc! {
                "privileges": [{ "resource": { "db": OWN_DATABASE, "collection": "c" }, "actions": ["find"] }],
                "roles": [{ "role": "read", "db": OWN_DATABASE }, { "role": "read", "db": "other" }],
            },
        };
        assert_eq!(
            create_role_command(&role),
            doc! { "createRole": "r",
            "privileges": [{ "resource": { "db": "${database.defaultSchemaName}", "collection": "c" }, "actions": ["find"] }],
            "roles": ["read", { "role": "read", "db": "other" }] }
        );
        let user = User {
            name: "u".into(),
            definition: doc! { "roles": [{ "role": "r", "db": OWN_DATABASE }], "mechanisms": ["SCRAM-SHA-256"] },
        };
        assert_eq!(
            create_user_command(&user),
            doc! { "createUser": "u", "pwd": "${password.u}", "roles": ["r"], "mechanisms": ["SCRAM-SHA-256"] }
        );
    }

    #[test]
    fn shard_keys_run_as_admin_commands_in_the_sharding_context() {
        let cs = shard_change_set(
            &ShardKey {
                collection: "orders".into(),
                key: doc! { "c": "hashed" },
                unique: false,
            },
            &BaselineOptions::default(),
            &mut Ids::default(),
        );
        assert_eq!(cs.contexts, ContextExpression::new(Some("sharding")));
        let Change::AdminCommand(a) = &cs.changes[0] else {
            panic!("an admin command")
        };
        assert_eq!(
            *a.command.doc(),
            doc! { "shardCollection": "${database.defaultSchemaName}.orders", "key": { "c": "hashed" } }
        );
        assert_eq!(cs.rollback, Some(vec![]));
    }
}
