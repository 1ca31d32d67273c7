//! `diff` and `diff-changelog` for each kind of difference.

use executor::changelog::RollbackStep;
use mongodb::bson::{Document, doc};

use super::*;
use crate::snapshot::{Collection, Index, OWN_DATABASE, Role, Snapshot, User, View};

fn base() -> Snapshot {
    let mut s = Snapshot::new("db");
    s.collections = vec![Collection {
        name: "orders".into(),
        options: doc! { "validator": { "total": { "$gte": 0 } }, "validationLevel": "moderate" },
        indexes: vec![
            Index {
                name: "sku".into(),
                keys: doc! { "sku": 1 },
                options: doc! { "unique": true },
            },
            Index {
                name: "ttl".into(),
                keys: doc! { "at": 1 },
                options: doc! { "expireAfterSeconds": 60 },
            },
        ],
    }];
    s.views = vec![View {
        name: "big".into(),
        view_on: "orders".into(),
        pipeline: vec![doc! { "$match": { "total": { "$gt": 100 } } }],
        options: doc! {},
    }];
    s.roles = vec![Role {
        name: "r".into(),
        definition: doc! { "privileges": [], "roles": [{ "role": "read", "db": OWN_DATABASE }] },
    }];
    s.users = vec![User {
        name: "u".into(),
        definition: doc! { "roles": [{ "role": "r", "db": OWN_DATABASE }] },
    }];
    s
}

fn orders(s: &mut Snapshot) -> &mut Collection {
    &mut s.collections[0]
}

/// The first command of each changeset and of its rollback.
fn commands(result: &DiffChangeLog) -> Vec<(String, Vec<Document>, Vec<Document>)> {
    result
        .change_sets
        .iter()
        .map(|cs| {
            let forward = cs
                .changes
                .iter()
                .filter_map(|c| c.to_command())
                .map(|c| c.body)
                .collect();
            let back = cs
                .rollback
                .iter()
                .flatten()
                .filter_map(|s| match s {
                    RollbackStep::Change(c) => c.to_command().map(|c| c.body),
                    RollbackStep::ChangeSet(_) => None,
                })
                .collect();
            (cs.id.id.clone(), forward, back)
        })
        .collect()
}

fn run(reference: &Snapshot, target: &Snapshot, include_drops: bool) -> DiffChangeLog {
    let options = DiffOptions {
        include_drops,
        ..DiffOptions::default()
    };
    diff_change_log(reference, target, &options, &mut Ids::default())
}

#[test]
fn equal_schemas_have_no_differences_and_numbers_compare_by_value() {
    let reference = base();
    let mut target = base();
    target.database = "other".into();
    orders(&mut target).indexes[0].keys = doc! { "sku": 1.0 };
    orders(&mut target).indexes[1].options = doc! { "expireAfterSeconds": 60_i64 };
    let d = diff(&reference, &target);
    assert!(d.is_empty(), "{}", d.to_text());
    assert!(d.to_text().contains("No differences"));
    let result = run(&reference, &target, true);
    assert!(result.change_sets.is_empty() && result.warnings.is_empty());
}

#[test]
fn each_kind_of_difference_is_reported() {
    type Edit = fn(&mut Snapshot, &mut Snapshot);
    type Expected<'a> = Vec<(&'a str, &'a str, Status, Vec<&'a str>)>;
    let cases: Vec<(&str, Edit, Expected)> = vec![
        (
            "missing collection",
            |_, t| t.collections.clear(),
            vec![("collection", "orders", Status::Missing, vec![])],
        ),
        (
            "unexpected collection",
            |r, _| r.collections.clear(),
            vec![("collection", "orders", Status::Unexpected, vec![])],
        ),
        (
            "changed options",
            |_, t| orders(t).options = doc! { "validationLevel": "strict", "capped": true },
            vec![(
                "collection",
                "orders",
                Status::Changed,
                vec!["validator", "validationLevel", "capped"],
            )],
        ),
        (
            "missing index",
            |_, t| {
                orders(t).indexes.remove(0);
            },
            vec![("index", "orders.sku", Status::Missing, vec![])],
        ),
        (
            "unexpected index",
            |r, _| {
                orders(r).indexes.remove(1);
            },
            vec![("index", "orders.ttl", Status::Unexpected, vec![])],
        ),
        (
            "changed index",
            |_, t| {
                orders(t).indexes[0] = Index {
                    name: "sku".into(),
                    keys: doc! { "sku": -1 },
                    options: doc! { "hidden": true },
                }
            },
            vec![(
                "index",
                "orders.sku",
                Status::Changed,
                vec!["keys", "unique", "hidden"],
            )],
        ),
        (
            "missing view",
            |_, t| t.views.clear(),
            vec![("view", "big", Status::Missing, vec![])],
        ),
        (
            "changed view",
            |_, t| t.views[0].pipeline = vec![],
            vec![("view", "big", Status::Changed, vec!["pipeline"])],
        ),
        (
            "missing role",
            |_, t| t.roles.clear(),
            vec![("role", "r", Status::Missing, vec![])],
        ),
        (
            "changed user",
            |_, t| t.users[0].definition = doc! { "roles": [] },
            vec![("user", "u", Status::Changed, vec!["roles"])],
        ),
    ];
    for (name, edit, expected) in cases {
        let (mut reference, mut target) = (base(), base());
        edit(&mut reference, &mut target);
        let d = diff(&reference, &target);
        let got: Vec<(&str, String, Status, Vec<&str>)> = d
            .differences
            .iter()
            .map(|x| {
                (
                    x.kind.word(),
                    x.qualified_name(),
                    x.status,
                    x.fields.iter().map(|f| f.name.as_str()).collect(),
                )
            })
            .collect();
        let expected: Vec<(&str, String, Status, Vec<&str>)> = expected
            .into_iter()
            .map(|(k, n, s, f)| (k, n.to_owned(), s, f))
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn diff_changelog_writes_the_change_for_each_difference() {
    type Edit = fn(&mut Snapshot, &mut Snapshot);
    // (case, edit of reference/target, include drops, expected changesets: id, forward, rollback)
    type Expected<'a> = Vec<(&'a str, Vec<Document>, Vec<Document>)>;
    let cases: Vec<(&str, Edit, bool, Expected)> = vec![
        (
            "missing collection with indexes",
            |_, t| t.collections.clear(),
            false,
            vec![(
                "createCollection-orders",
                vec![
                    doc! { "create": "orders", "validator": { "total": { "$gte": 0 } }, "validationLevel": "moderate" },
                    doc! { "createIndexes": "orders", "indexes": [{ "key": { "sku": 1 }, "name": "sku", "unique": true }] },
                    doc! { "createIndexes": "orders", "indexes": [{ "key": { "at": 1 }, "name": "ttl", "expireAfterSeconds": 60 }] },
                ],
                vec![doc! { "drop": "orders" }],
            )],
        ),
        (
            "validator and level changed, validator removed from the target",
            |_, t| orders(t).options = doc! { "validationLevel": "off" },
            false,
            vec![(
                "collMod-orders",
                vec![
                    doc! { "collMod": "orders", "validator": { "total": { "$gte": 0 } }, "validationLevel": "moderate" },
                ],
                vec![doc! { "collMod": "orders", "validator": {}, "validationLevel": "off" }],
            )],
        ),
        (
            "missing index",
            |_, t| {
                orders(t).indexes.remove(0);
            },
            false,
            vec![(
                "createIndex-orders-sku",
                vec![
                    doc! { "createIndexes": "orders", "indexes": [{ "key": { "sku": 1 }, "name": "sku", "unique": true }] },
                ],
                vec![doc! { "dropIndexes": "orders", "index": { "sku": 1 } }],
            )],
        ),
        (
            "hidden and TTL changed in place",
            |_, t| orders(t).indexes[1].options = doc! { "expireAfterSeconds": 30, "hidden": true },
            false,
            vec![(
                "collModIndex-orders-ttl",
                vec![
                    doc! { "collMod": "orders", "index": { "name": "ttl", "expireAfterSeconds": 60, "hidden": false } },
                ],
                vec![
                    doc! { "collMod": "orders", "index": { "name": "ttl", "expireAfterSeconds": 30, "hidden": true } },
                ],
            )],
        ),
        (
            "unique changed: drop and create",
            |_, t| orders(t).indexes[0].options = doc! {},
            false,
            vec![(
                "recreateIndex-orders-sku",
                vec![
                    doc! { "dropIndexes": "orders", "index": "sku" },
                    doc! { "createIndexes": "orders", "indexes": [{ "key": { "sku": 1 }, "name": "sku", "unique": true }] },
                ],
                vec![
                    doc! { "dropIndexes": "orders", "index": "sku" },
                    doc! { "createIndexes": "orders", "indexes": [{ "key": { "sku": 1 }, "name": "sku" }] },
                ],
            )],
        ),
        (
            "view pipeline changed",
            |_, t| t.views[0].pipeline = vec![],
            false,
            vec![(
                "collModView-big",
                vec![
                    doc! { "collMod": "big", "viewOn": "orders", "pipeline": [{ "$match": { "total": { "$gt": 100 } } }] },
                ],
                vec![doc! { "collMod": "big", "viewOn": "orders", "pipeline": [] }],
            )],
        ),
        (
            "role and user changed",
            |_, t| {
                t.roles[0].definition = doc! { "privileges": [], "roles": [] };
                t.users[0].definition = doc! { "roles": [] };
            },
            false,
            vec![
                (
                    "updateRole-r",
                    vec![
                        doc! { "updateRole": "r", "privileges": [], "roles": ["read"], "authenticationRestrictions": [] },
                    ],
                    vec![
                        doc! { "updateRole": "r", "privileges": [], "roles": [], "authenticationRestrictions": [] },
                    ],
                ),
                (
                    "updateUser-u",
                    vec![
                        doc! { "updateUser": "u", "customData": {}, "roles": ["r"], "authenticationRestrictions": [] },
                    ],
                    vec![
                        doc! { "updateUser": "u", "customData": {}, "roles": [], "authenticationRestrictions": [] },
                    ],
                ),
            ],
        ),
        (
            "unexpected objects are kept without --include-drops",
            |r, _| *r = Snapshot::new("db"),
            false,
            vec![],
        ),
        (
            "unexpected objects are dropped with --include-drops, users first, roles last",
            |r, _| *r = Snapshot::new("db"),
            true,
            vec![
                (
                    "dropUser-u",
                    vec![doc! { "dropUser": "u" }],
                    vec![doc! { "createUser": "u", "pwd": "${password.u}", "roles": ["r"] }],
                ),
                (
                    "dropView-big",
                    vec![doc! { "drop": "big" }],
                    vec![
                        doc! { "create": "big", "viewOn": "orders", "pipeline": [{ "$match": { "total": { "$gt": 100 } } }] },
                    ],
                ),
                (
                    "dropCollection-orders",
                    vec![doc! { "drop": "orders" }],
                    vec![
                        doc! { "create": "orders", "validator": { "total": { "$gte": 0 } }, "validationLevel": "moderate" },
                        doc! { "createIndexes": "orders", "indexes": [{ "key": { "sku": 1 }, "name": "sku", "unique": true }] },
                        doc! { "createIndexes": "orders", "indexes": [{ "key": { "at": 1 }, "name": "ttl", "expireAfterSeconds": 60 }] },
                    ],
                ),
                (
                    "dropRole-r",
                    vec![doc! { "dropRole": "r" }],
                    vec![doc! { "createRole": "r", "privileges": [], "roles": ["read"] }],
                ),
            ],
        ),
    ];
    for (name, edit, include_drops, expected) in cases {
        let (mut reference, mut target) = (base(), base());
        edit(&mut reference, &mut target);
        let result = run(&reference, &target, include_drops);
        let expected: Vec<(String, Vec<Document>, Vec<Document>)> = expected
            .into_iter()
            .map(|(id, f, b)| (id.to_owned(), f, b))
            .collect();
        assert_eq!(commands(&result), expected, "{name}");
    }
}

#[test]
fn warnings_name_what_diff_changelog_cannot_do_in_place() {
    let (reference, mut target) = (base(), base());
    orders(&mut target).options.insert("capped", true);
    orders(&mut target).indexes[0].options = doc! {};
    target.views[0].options = doc! { "collation": { "locale": "fr" } };
    let result = run(&reference, &target, false);
    let ids: Vec<&str> = result
        .change_sets
        .iter()
        .map(|c| c.id.id.as_str())
        .collect();
    assert_eq!(ids, ["recreateIndex-orders-sku", "recreateView-big"]);
    assert_eq!(result.warnings.len(), 3, "{:#?}", result.warnings);
    assert!(
        result.warnings[0].contains("`capped`"),
        "{}",
        result.warnings[0]
    );
    assert!(result.warnings[1].contains("`orders.sku`") && result.warnings[1].contains("unique"));
    assert!(result.warnings[2].contains("view `big`"));

    let mut reference = base();
    reference.collections.clear();
    let result = run(&reference, &base(), false);
    assert!(result.change_sets.is_empty());
    assert!(
        result
            .warnings
            .iter()
            .any(|w| w.contains("collection `orders` exists only in the target")),
        "{:#?}",
        result.warnings
    );
}

#[test]
fn the_json_report_names_fields_with_both_values() {
    let (reference, mut target) = (base(), base());
    orders(&mut target)
        .options
        .insert("validationLevel", "strict");
    let report = serde_json::to_value(diff(&reference, &target)).expect("serializes");
    assert_eq!(
        report,
        serde_json::json!({
            "reference": "db", "target": "db",
            "differences": [{
                "kind": "collection", "name": "orders", "status": "changed",
                "fields": [{ "name": "validationLevel", "reference": "moderate", "target": "strict" }]
            }]
        })
    );
}

#[test]
fn the_report_and_the_diff_changelog_are_pinned() {
    let (reference, mut target) = (base(), base());
    orders(&mut target).options = doc! { "validationLevel": "strict" };
    orders(&mut target).indexes[0].options = doc! {};
    orders(&mut target).indexes.push(Index {
        name: "old".into(),
        keys: doc! { "old": 1 },
        options: doc! {},
    });
    target.views.clear();
    target.users[0].definition = doc! { "roles": [] };
    insta::assert_snapshot!("diff_report", diff(&reference, &target).to_text());
    let result = run(&reference, &target, true);
    let text = crate::write::render(crate::write::Format::Xml, &result.change_sets);
    insta::assert_snapshot!(
        "diff_changelog_xml",
        format!("{}\n\n{text}", result.warnings.join("\n"))
    );
}

/// `diff-changelog --label-filter … --generated-changeset-ids-contains-description`: every
/// changeset is marked, and the descriptive ids number them in the order they are written.
#[test]
fn the_stamp_marks_every_changeset_in_written_order() {
    let options = DiffOptions {
        stamp: crate::stamp::Stamp {
            labels: Some("T-7".into()),
            id_root: Some("zz01".into()),
            ..crate::stamp::Stamp::default()
        },
        ..DiffOptions::default()
    };
    let result = diff_change_log(&base(), &Snapshot::new("db"), &options, &mut Ids::default());
    assert!(result.change_sets.len() > 2);
    for (n, cs) in result.change_sets.iter().enumerate() {
        let prefix = format!("zz01-{} (", n + 1);
        assert!(cs.id.id.starts_with(&prefix), "{}", cs.id.id);
        assert_eq!(cs.labels.values(), ["t-7"], "{}", cs.id.id);
    }
    assert_eq!(
        result.change_sets[0].id.id, "zz01-1 (runCommand)",
        "roles come first: their changeset is one runCommand"
    );
}
