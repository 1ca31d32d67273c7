//! Comparing two snapshots (`diff`) and the changesets that turn the target into the reference
//! (`diff-changelog`). Pure: both sides are snapshots, read from servers or files beforehand.
//!
//! Liquibase's words: the *reference* is the wanted state, the *target* the database to change.
//! An object is *missing* (only in the reference), *unexpected* (only in the target) or
//! *changed*. Numbers compare by value (`1`, `1.0` and `NumberLong(1)` are equal: the server
//! treats them alike in keys, validators and options), everything else exactly, keys in order.
//!
//! What `diff-changelog` writes, per difference (peers §5.3):
//! - missing collection, view, index, role or user: create it (a collection with its indexes);
//! - changed `validator`/`validationLevel`/`validationAction`, `changeStreamPreAndPostImages` or
//!   collection `expireAfterSeconds`: `collMod`; other collection options cannot change in place
//!   and only give a warning;
//! - changed view pipeline or source: `collMod` with `viewOn` and `pipeline`; a changed view
//!   collation: drop and create, with a warning;
//! - index whose only changes are `hidden` and/or a TTL `expireAfterSeconds`: `collMod`; any
//!   other index change: drop and create, with a warning (the index is rebuilt);
//! - changed role or user: `updateRole`/`updateUser`;
//! - unexpected objects: dropped only with `include_drops`, else a warning.
//!
//! Every changeset's rollback restores the target's state as the target snapshot shows it.

use std::collections::BTreeSet;

use executor::change::Change;
use executor::changelog::ChangeSet;
use mongodb::bson::{Bson, Document, doc};
use serde::Serialize;

use crate::baseline::{self, BaselineOptions, Ids, change_set, run_command};
use crate::ejson;
use crate::introspect::Kind;
use crate::snapshot::{Collection, Index, Role, Snapshot, User, View};
use crate::stamp::Stamp;

/// How an object differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Only in the reference.
    Missing,
    /// Only in the target.
    Unexpected,
    /// In both, different.
    Changed,
}

/// One differing field of a changed object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// The option or property (`validator`, `keys`, `pipeline`, …).
    pub name: String,
    /// Its value in the reference (`null` when absent), as Extended JSON.
    pub reference: serde_json::Value,
    /// Its value in the target (`null` when absent).
    pub target: serde_json::Value,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// What kind of object.
    #[serde(serialize_with = "kind_word")]
    pub kind: Kind,
    /// Its name (for an index, the index name).
    pub name: String,
    /// The collection an index belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// How it differs.
    pub status: Status,
    /// The differing fields of a changed object.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
}

fn kind_word<S: serde::Serializer>(kind: &Kind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.word())
}

impl Difference {
    /// `orders` or `orders.ix_sku`.
    pub fn qualified_name(&self) -> String {
        match &self.collection {
            Some(c) => format!("{c}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// All differences between a reference and a target, in a fixed order: roles, collections,
/// indexes, views, users.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// The reference database's name.
    pub reference: String,
    /// The target database's name.
    pub target: String,
    /// The differences.
    pub differences: Vec<Difference>,
}

impl Diff {
    /// True when the two schemas are the same.
    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }

    /// The human report.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "Reference database: {}\nTarget database: {}\n",
            self.reference, self.target
        );
        if self.differences.is_empty() {
            out.push_str("No differences\n");
            return out;
        }
        for d in &self.differences {
            let status = match d.status {
                Status::Missing => "Missing",
                Status::Unexpected => "Unexpected",
                Status::Changed => "Changed",
            };
            out.push_str(&format!(
                "{status} {}: {}\n",
                d.kind.word(),
                d.qualified_name()
            ));
            let show = |v: &serde_json::Value| {
                let mut text = String::new();
                crate::snapshot::compact(&mut text, v);
                text
            };
            for f in &d.fields {
                out.push_str(&format!(
                    "    {}\n        reference: {}\n        target:    {}\n",
                    f.name,
                    show(&f.reference),
                    show(&f.target)
                ));
            }
        }
        out.push_str(&format!("{} difference(s)\n", self.differences.len()));
        out
    }
}

/// Compares two snapshots.
pub fn diff(reference: &Snapshot, target: &Snapshot) -> Diff {
    let mut out = Vec::new();
    let simple = |kind, name: &str, status| Difference {
        kind,
        name: name.to_owned(),
        collection: None,
        status,
        fields: Vec::new(),
    };
    pair(
        &reference.roles,
        &target.roles,
        |r| &r.name,
        |name, r, t| match (r, t) {
            (Some(_), None) => out.push(simple(Kind::Role, name, Status::Missing)),
            (None, Some(_)) => out.push(simple(Kind::Role, name, Status::Unexpected)),
            (Some(r), Some(t)) => changed(
                &mut out,
                Kind::Role,
                name,
                None,
                fields_of(&r.definition, &t.definition),
            ),
            (None, None) => {}
        },
    );
    pair(
        &reference.collections,
        &target.collections,
        |c| &c.name,
        |name, r, t| match (r, t) {
            (Some(_), None) => out.push(simple(Kind::Collection, name, Status::Missing)),
            (None, Some(_)) => out.push(simple(Kind::Collection, name, Status::Unexpected)),
            (Some(r), Some(t)) => {
                changed(
                    &mut out,
                    Kind::Collection,
                    name,
                    None,
                    fields_of(&r.options, &t.options),
                );
                pair(
                    &r.indexes,
                    &t.indexes,
                    |i| &i.name,
                    |ix, ri, ti| {
                        let status = match (ri, ti) {
                            (Some(_), None) => Status::Missing,
                            (None, Some(_)) => Status::Unexpected,
                            (Some(ri), Some(ti)) => {
                                let fields = index_fields(ri, ti);
                                changed(&mut out, Kind::Index, ix, Some(name), fields);
                                return;
                            }
                            (None, None) => return,
                        };
                        out.push(Difference {
                            kind: Kind::Index,
                            name: ix.to_owned(),
                            collection: Some(name.to_owned()),
                            status,
                            fields: Vec::new(),
                        });
                    },
                );
            }
            (None, None) => {}
        },
    );
    pair(
        &reference.views,
        &target.views,
        |v| &v.name,
        |name, r, t| match (r, t) {
            (Some(_), None) => out.push(simple(Kind::View, name, Status::Missing)),
            (None, Some(_)) => out.push(simple(Kind::View, name, Status::Unexpected)),
            (Some(r), Some(t)) => changed(
                &mut out,
                Kind::View,
                name,
                None,
                fields_of(&baseline::view_options(r), &baseline::view_options(t)),
            ),
            (None, None) => {}
        },
    );
    pair(
        &reference.users,
        &target.users,
        |u| &u.name,
        |name, r, t| match (r, t) {
            (Some(_), None) => out.push(simple(Kind::User, name, Status::Missing)),
            (None, Some(_)) => out.push(simple(Kind::User, name, Status::Unexpected)),
            (Some(r), Some(t)) => changed(
                &mut out,
                Kind::User,
                name,
                None,
                fields_of(&r.definition, &t.definition),
            ),
            (None, None) => {}
        },
    );
    Diff {
        reference: reference.database.clone(),
        target: target.database.clone(),
        differences: out,
    }
}

fn changed(
    out: &mut Vec<Difference>,
    kind: Kind,
    name: &str,
    collection: Option<&str>,
    fields: Vec<Field>,
) {
    if !fields.is_empty() {
        out.push(Difference {
            kind,
            name: name.to_owned(),
            collection: collection.map(str::to_owned),
            status: Status::Changed,
            fields,
        });
    }
}

/// Calls `f` for every name in either list, in name order.
fn pair<'a, T>(
    reference: &'a [T],
    target: &'a [T],
    name: impl Fn(&T) -> &String,
    mut f: impl FnMut(&str, Option<&'a T>, Option<&'a T>),
) {
    let names: BTreeSet<&String> = reference.iter().chain(target).map(&name).collect();
    for n in names {
        f(
            n,
            reference.iter().find(|x| name(x) == n),
            target.iter().find(|x| name(x) == n),
        );
    }
}

fn index_fields(r: &Index, t: &Index) -> Vec<Field> {
    let mut fields = Vec::new();
    if !same(
        &Bson::Document(r.keys.clone()),
        &Bson::Document(t.keys.clone()),
    ) {
        fields.push(field(
            "keys",
            Some(&Bson::Document(r.keys.clone())),
            Some(&Bson::Document(t.keys.clone())),
        ));
    }
    fields.extend(fields_of(&r.options, &t.options));
    fields
}

/// The top-level keys whose values differ, reference keys first.
fn fields_of(r: &Document, t: &Document) -> Vec<Field> {
    let mut keys: Vec<&String> = r.keys().collect();
    keys.extend(t.keys().filter(|k| !r.contains_key(k.as_str())));
    keys.into_iter()
        .filter_map(|k| {
            let (rv, tv) = (r.get(k), t.get(k));
            let equal = match (rv, tv) {
                (Some(a), Some(b)) => same(a, b),
                (None, None) => true,
                _ => false,
            };
            (!equal).then(|| field(k, rv, tv))
        })
        .collect()
}

fn field(name: &str, r: Option<&Bson>, t: Option<&Bson>) -> Field {
    let value = |v: Option<&Bson>| v.map_or(serde_json::Value::Null, ejson::to_json_value);
    Field {
        name: name.to_owned(),
        reference: value(r),
        target: value(t),
    }
}

/// Equality with numbers compared by value.
fn same(a: &Bson, b: &Bson) -> bool {
    match (a, b) {
        (Bson::Document(x), Bson::Document(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        (Bson::Array(x), Bson::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

fn number(v: &Bson) -> Option<f64> {
    match v {
        Bson::Int32(x) => Some(f64::from(*x)),
        #[allow(clippy::cast_precision_loss)]
        Bson::Int64(x) => Some(*x as f64),
        Bson::Double(x) => Some(*x),
        _ => None,
    }
}

/// How `diff-changelog` writes changesets.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Author and how to cut new collections into changesets.
    pub baseline: BaselineOptions,
    /// Drop unexpected objects.
    pub include_drops: bool,
    /// Labels, context, `created` and descriptive ids of every changeset.
    pub stamp: Stamp,
}

/// The changesets of `diff-changelog` and the warnings about what they do not (or roughly) do.
#[derive(Debug, Clone, Default)]
pub struct DiffChangeLog {
    /// The changesets, in an order that respects dependencies.
    pub change_sets: Vec<ChangeSet>,
    /// What the user should know (rebuilt indexes, options that cannot change, drops left out).
    pub warnings: Vec<String>,
}

/// Collection options `collMod` can change, with the value that stands for "not set".
const COLLMOD_OPTIONS: &[&str] = &[
    "validator",
    "validationLevel",
    "validationAction",
    "changeStreamPreAndPostImages",
    "expireAfterSeconds",
];

fn unset_value(option: &str) -> Bson {
    match option {
        "validator" => Bson::Document(Document::new()),
        "validationLevel" => Bson::String("strict".into()),
        "validationAction" => Bson::String("error".into()),
        "changeStreamPreAndPostImages" => Bson::Document(doc! { "enabled": false }),
        _ => Bson::String("off".into()),
    }
}

/// The changesets that turn `target` into `reference`.
pub fn diff_change_log(
    reference: &Snapshot,
    target: &Snapshot,
    options: &DiffOptions,
    ids: &mut Ids,
) -> DiffChangeLog {
    let mut out = DiffChangeLog::default();
    let author = options.baseline.author.as_str();
    let d = diff(reference, target);

    // Roles first: collections do not need them, users do.
    for r in &reference.roles {
        match target.roles.iter().find(|t| t.name == r.name) {
            None => out
                .change_sets
                .push(baseline::role_change_set(r, &options.baseline, ids)),
            Some(t)
                if t.definition != r.definition
                    && !fields_of(&r.definition, &t.definition).is_empty() =>
            {
                out.change_sets.push(change_set(
                    ids.next("updateRole", &[&r.name]),
                    author,
                    vec![run_command(update_role(r))],
                    vec![run_command(update_role(t))],
                ));
            }
            Some(_) => {}
        }
    }

    for r in &reference.collections {
        let Some(t) = target.collection(&r.name) else {
            out.change_sets.extend(baseline::collection_change_sets(
                r,
                &[],
                &options.baseline,
                ids,
            ));
            continue;
        };
        collection_changes(r, t, author, ids, &mut out);
    }

    for v in &reference.views {
        match target.view(&v.name) {
            None => out
                .change_sets
                .push(baseline::view_change_set(v, &options.baseline, ids)),
            Some(t) => view_changes(v, t, author, ids, &mut out),
        }
    }

    for u in &reference.users {
        match target.users.iter().find(|t| t.name == u.name) {
            None => out
                .change_sets
                .push(baseline::user_change_set(u, &options.baseline, ids)),
            Some(t) if !fields_of(&u.definition, &t.definition).is_empty() => {
                out.change_sets.push(change_set(
                    ids.next("updateUser", &[&u.name]),
                    author,
                    vec![run_command(update_user(u))],
                    vec![run_command(update_user(t))],
                ));
            }
            Some(_) => {}
        }
    }

    drops(reference, target, &d, options, ids, &mut out);
    // Liquibase numbers and marks the changesets in the order it writes them.
    out.change_sets = std::mem::take(&mut out.change_sets)
        .into_iter()
        .map(|cs| options.stamp.apply(cs, ids))
        .collect();
    out
}

fn collection_changes(
    r: &Collection,
    t: &Collection,
    author: &str,
    ids: &mut Ids,
    out: &mut DiffChangeLog,
) {
    let fields = fields_of(&r.options, &t.options);
    let (modifiable, fixed): (Vec<&Field>, Vec<&Field>) = fields
        .iter()
        .partition(|f| COLLMOD_OPTIONS.contains(&f.name.as_str()));
    for f in fixed {
        out.warnings.push(format!(
            "collection `{}`: option `{}` differs but cannot be changed in place (reference {}, target {}); recreate the collection to change it",
            r.name, f.name, f.reference, f.target
        ));
    }
    if !modifiable.is_empty() {
        let mut forward = doc! { "collMod": &r.name };
        let mut back = doc! { "collMod": &r.name };
        for f in &modifiable {
            let name = f.name.as_str();
            forward.insert(
                name,
                r.options
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| unset_value(name)),
            );
            back.insert(
                name,
                t.options
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| unset_value(name)),
            );
        }
        out.change_sets.push(change_set(
            ids.next("collMod", &[&r.name]),
            author,
            vec![run_command(forward)],
            vec![run_command(back)],
        ));
    }

    let all: Vec<Index> = r.indexes.iter().chain(&t.indexes).cloned().collect();
    for ri in &r.indexes {
        let Some(ti) = t.indexes.iter().find(|i| i.name == ri.name) else {
            out.change_sets.push(change_set(
                ids.next("createIndex", &[&r.name, &ri.name]),
                author,
                vec![baseline::create_index(&r.name, ri)],
                vec![baseline::drop_index(&r.name, ri, &all)],
            ));
            continue;
        };
        let fields = index_fields(ri, ti);
        if fields.is_empty() {
            continue;
        }
        let in_place = fields.iter().all(|f| match f.name.as_str() {
            "hidden" => true,
            "expireAfterSeconds" => {
                ri.options.contains_key("expireAfterSeconds")
                    && ti.options.contains_key("expireAfterSeconds")
            }
            _ => false,
        });
        if in_place {
            let command = |ix: &Index| {
                let mut spec = doc! { "name": &ix.name };
                for f in &fields {
                    let value = match f.name.as_str() {
                        "hidden" => Bson::Boolean(ix.options.get_bool("hidden").unwrap_or(false)),
                        name => ix.options.get(name).cloned().unwrap_or(Bson::Null),
                    };
                    spec.insert(f.name.clone(), value);
                }
                doc! { "collMod": &r.name, "index": spec }
            };
            out.change_sets.push(change_set(
                ids.next("collModIndex", &[&r.name, &ri.name]),
                author,
                vec![run_command(command(ri))],
                vec![run_command(command(ti))],
            ));
        } else {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            out.warnings.push(format!(
                "index `{}.{}` differs in {}: it is dropped and created again, which rebuilds it",
                r.name,
                ri.name,
                names.join(", ")
            ));
            out.change_sets.push(change_set(
                ids.next("recreateIndex", &[&r.name, &ri.name]),
                author,
                vec![
                    drop_index_by_name(&r.name, ti),
                    baseline::create_index(&r.name, ri),
                ],
                vec![
                    drop_index_by_name(&r.name, ri),
                    baseline::create_index(&r.name, ti),
                ],
            ));
        }
    }
}

fn drop_index_by_name(collection: &str, index: &Index) -> Change {
    run_command(doc! { "dropIndexes": collection, "index": &index.name })
}

fn view_changes(r: &View, t: &View, author: &str, ids: &mut Ids, out: &mut DiffChangeLog) {
    if r == t || fields_of(&baseline::view_options(r), &baseline::view_options(t)).is_empty() {
        return;
    }
    if fields_of(&r.options, &t.options).is_empty() {
        let command = |v: &View| {
            doc! {
                "collMod": &v.name,
                "viewOn": &v.view_on,
                "pipeline": v.pipeline.iter().cloned().map(Bson::Document).collect::<Vec<_>>(),
            }
        };
        out.change_sets.push(change_set(
            ids.next("collModView", &[&r.name]),
            author,
            vec![run_command(command(r))],
            vec![run_command(command(t))],
        ));
    } else {
        out.warnings.push(format!(
            "view `{}`: its collation differs, which `collMod` cannot change: it is dropped and created again",
            r.name
        ));
        out.change_sets.push(change_set(
            ids.next("recreateView", &[&r.name]),
            author,
            vec![
                baseline::drop_collection(&r.name),
                baseline::create_collection(&r.name, &baseline::view_options(r)),
            ],
            vec![
                baseline::drop_collection(&r.name),
                baseline::create_collection(&t.name, &baseline::view_options(t)),
            ],
        ));
    }
}

fn update_role(r: &Role) -> Document {
    let mut command = doc! { "updateRole": &r.name };
    let concrete = baseline::concrete(&r.definition);
    for key in ["privileges", "roles"] {
        command.insert(
            key,
            concrete
                .get(key)
                .cloned()
                .unwrap_or(Bson::Array(Vec::new())),
        );
    }
    command.insert(
        "authenticationRestrictions",
        concrete
            .get("authenticationRestrictions")
            .cloned()
            .unwrap_or(Bson::Array(Vec::new())),
    );
    command
}

fn update_user(u: &User) -> Document {
    let mut command = doc! { "updateUser": &u.name };
    let concrete = baseline::concrete(&u.definition);
    command.insert(
        "customData",
        concrete
            .get("customData")
            .cloned()
            .unwrap_or(Bson::Document(Document::new())),
    );
    command.insert(
        "roles",
        concrete
            .get("roles")
            .cloned()
            .unwrap_or(Bson::Array(Vec::new())),
    );
    command.insert(
        "authenticationRestrictions",
        concrete
            .get("authenticationRestrictions")
            .cloned()
            .unwrap_or(Bson::Array(Vec::new())),
    );
    command
}

/// Drops of unexpected objects (with `include_drops`), or a warning for each.
fn drops(
    reference: &Snapshot,
    target: &Snapshot,
    d: &Diff,
    options: &DiffOptions,
    ids: &mut Ids,
    out: &mut DiffChangeLog,
) {
    let unexpected: Vec<&Difference> = d
        .differences
        .iter()
        .filter(|x| x.status == Status::Unexpected)
        .collect();
    if unexpected.is_empty() {
        return;
    }
    if !options.include_drops {
        for x in unexpected {
            out.warnings.push(format!(
                "{} `{}` exists only in the target and is kept (pass `--include-drops` to drop it)",
                x.kind.word(),
                x.qualified_name()
            ));
        }
        return;
    }
    let author = options.baseline.author.as_str();
    let is = |kind: Kind, x: &&Difference| x.kind == kind;
    // Users before roles; views (dependents last created, first dropped) before collections.
    for x in unexpected.iter().filter(|x| is(Kind::User, x)) {
        let Some(u) = target.users.iter().find(|u| u.name == x.name) else {
            continue;
        };
        out.change_sets.push(change_set(
            ids.next("dropUser", &[&u.name]),
            author,
            vec![run_command(doc! { "dropUser": &u.name })],
            vec![run_command(baseline::create_user_command(u))],
        ));
    }
    for v in target
        .views
        .iter()
        .rev()
        .filter(|v| reference.view(&v.name).is_none())
    {
        out.change_sets.push(change_set(
            ids.next("dropView", &[&v.name]),
            author,
            vec![baseline::drop_collection(&v.name)],
            vec![baseline::create_collection(
                &v.name,
                &baseline::view_options(v),
            )],
        ));
    }
    for x in unexpected.iter().filter(|x| is(Kind::Index, x)) {
        let (Some(c), Some(i)) = (
            x.collection.as_deref().and_then(|c| target.collection(c)),
            x.collection
                .as_deref()
                .and_then(|c| target.collection(c))
                .and_then(|c| c.indexes.iter().find(|i| i.name == x.name)),
        ) else {
            continue;
        };
        out.change_sets.push(change_set(
            ids.next("dropIndex", &[&c.name, &i.name]),
            author,
            vec![baseline::drop_index(&c.name, i, &c.indexes)],
            vec![baseline::create_index(&c.name, i)],
        ));
    }
    for x in unexpected.iter().filter(|x| is(Kind::Collection, x)) {
        let Some(c) = target.collection(&x.name) else {
            continue;
        };
        let mut restore = vec![baseline::create_collection(&c.name, &c.options)];
        restore.extend(c.indexes.iter().map(|i| baseline::create_index(&c.name, i)));
        out.warnings.push(format!(
            "collection `{}` is dropped with its documents; its rollback recreates it empty",
            c.name
        ));
        out.change_sets.push(change_set(
            ids.next("dropCollection", &[&c.name]),
            author,
            vec![baseline::drop_collection(&c.name)],
            restore,
        ));
    }
    for r in target
        .roles
        .iter()
        .rev()
        .filter(|r| !reference.roles.iter().any(|x| x.name == r.name))
    {
        out.change_sets.push(change_set(
            ids.next("dropRole", &[&r.name]),
            author,
            vec![run_command(doc! { "dropRole": &r.name })],
            vec![run_command(baseline::create_role_command(r))],
        ));
    }
}

#[cfg(test)]
mod tests;
