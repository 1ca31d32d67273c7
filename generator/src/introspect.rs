//! Reading a live database into a [`Snapshot`]. Read-only: `listCollections`, `listIndexes`,
//! `usersInfo`, `rolesInfo`, `find` on `config.collections` and (for `--include-data`) `find`.
//!
//! The normalisation rules are pure functions ([`collection_entry`], [`index`], [`role`],
//! [`user`]) tested without a server. They keep what `create`/`createIndexes` accept and drop
//! what the server derives, as the Harness generator and mongodump do (peers §4): index `v`,
//! `ns`, `background`, `textIndexVersion`, `2dsphereIndexVersion`; `clusteredIndex.v`; the
//! time-series bucket fields when `granularity` is set (`create` refuses both together). Text
//! indexes are turned back into the `{field: "text"}` form users write. Key order is the
//! server's everywhere.
//!
//! Collections stream through [`collections`] one at a time, their `listIndexes` calls behind
//! a window sized from the server's answers (module `window`): overlapped for a distant
//! server, one after the other for a server that overlap only slows down.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use futures_util::stream::{self, FuturesOrdered, Stream, StreamExt, TryStreamExt};
use mongodb::Database;
use mongodb::bson::{Bson, Document, doc};

use crate::error::{Error, Result};
use crate::snapshot::{Collection, Index, OWN_DATABASE, Role, ShardKey, Snapshot, User, View};
use crate::window::Window;

/// What to read besides collections, views and indexes.
#[derive(Debug, Clone, Default)]
pub struct IntrospectOptions {
    /// Read custom roles (`rolesInfo`).
    pub roles: bool,
    /// Read users (`usersInfo`), without credentials.
    pub users: bool,
    /// Read shard keys from `config.collections` (only answered by a mongos).
    pub sharding: bool,
    /// Which objects to keep.
    pub filter: ObjectFilter,
    /// Collections never read: the tracking collections (DATABASECHANGELOG and
    /// DATABASECHANGELOGLOCK, or their configured names).
    pub skip: Vec<String>,
}

/// The kind of a schema object, for filters and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A collection.
    Collection,
    /// A view.
    View,
    /// An index (named by its own name).
    Index,
    /// A custom role.
    Role,
    /// A user.
    User,
}

impl Kind {
    /// The word used in filters and reports.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Collection => "collection",
            Kind::View => "view",
            Kind::Index => "index",
            Kind::Role => "role",
            Kind::User => "user",
        }
    }

    fn parse(word: &str) -> Option<Kind> {
        [
            Kind::Collection,
            Kind::View,
            Kind::Index,
            Kind::Role,
            Kind::User,
        ]
        .into_iter()
        .find(|k| k.word().eq_ignore_ascii_case(word))
        // Liquibase's relational name for what MongoDB calls a collection.
        .or_else(|| {
            word.eq_ignore_ascii_case("table")
                .then_some(Kind::Collection)
        })
    }
}

/// `--include-objects` / `--exclude-objects`, as Liquibase's `StandardObjectChangeFilter` reads
/// `includeObjects` / `excludeObjects`: a comma-separated list of regular expressions, each
/// optionally prefixed with an object kind (`collection:orders_.*`, `index:ix_.*`).
///
/// As in Liquibase, each expression must match the whole name and is case-sensitive (`(?i)`
/// turns that off); a filter without a kind applies to every kind; an index also matches through
/// its collection (Liquibase's `Index.getRelation()` fallback), so `orders` keeps or drops the
/// indexes of `orders` too; an unknown kind is an error; and include and exclude cannot be used
/// together ("Cannot specify both excludeObjects and includeObjects"). Kinds are the generator's
/// words (collection, view, index, role, user) matched case-insensitively, plus `table` for
/// collection so Liquibase filters written for tables keep working. Unlike Liquibase, which
/// splits a filter at every `:`, only the first `:` separates the kind, so an expression may
/// hold `:`. The syntax is Rust's `regex` crate: Java's look-around and back-references are
/// refused with the parser's message.
#[derive(Debug, Clone, Default)]
pub struct ObjectFilter {
    /// True for `--include-objects` (keep only what matches), false for `--exclude-objects`.
    include: bool,
    patterns: Vec<NamePattern>,
}

/// One sub-filter: an optional kind and an anchored expression.
#[derive(Debug, Clone)]
struct NamePattern {
    kind: Option<Kind>,
    regex: regex::Regex,
}

impl NamePattern {
    fn matches(&self, kind: Kind, name: &str) -> bool {
        self.kind.is_none_or(|k| k == kind) && self.regex.is_match(name)
    }
}

impl ObjectFilter {
    /// Parses the two option values (at most one of them may be set).
    pub fn new(include: Option<&str>, exclude: Option<&str>) -> Result<ObjectFilter> {
        match (set(include), set(exclude)) {
            (Some(_), Some(_)) => Err(Error::FilterConflict),
            (Some(text), None) => Ok(ObjectFilter {
                include: true,
                patterns: patterns(text)?,
            }),
            (None, Some(text)) => Ok(ObjectFilter {
                include: false,
                patterns: patterns(text)?,
            }),
            (None, None) => Ok(ObjectFilter::default()),
        }
    }

    /// Whether an object of `kind` called `name` is kept (for an index, see [`Self::keeps_index`]).
    pub fn keeps(&self, kind: Kind, name: &str) -> bool {
        self.decide(|p| p.matches(kind, name))
    }

    /// Whether index `index` of collection `collection` is kept: it matches by its own name or
    /// by its collection's.
    pub fn keeps_index(&self, collection: &str, index: &str) -> bool {
        self.decide(|p| p.matches(Kind::Index, index) || p.matches(Kind::Collection, collection))
    }

    fn decide(&self, hit: impl Fn(&NamePattern) -> bool) -> bool {
        if self.patterns.is_empty() {
            return true;
        }
        self.patterns.iter().any(hit) == self.include
    }
}

/// A filter option with something in it (Liquibase's `trimToNull`).
fn set(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// Liquibase splits at commas with the blanks around them (`\s*,\s*`).
fn patterns(text: &str) -> Result<Vec<NamePattern>> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let invalid = |message: String| Error::Filter {
                filter: p.to_owned(),
                message,
            };
            let (kind, expression) = match p.split_once(':') {
                Some((word, expression)) => {
                    let kind = Kind::parse(word.trim()).ok_or_else(|| {
                        invalid(format!(
                            "`{}` is not an object kind (collection, view, index, role, user)",
                            word.trim()
                        ))
                    })?;
                    (Some(kind), expression.trim())
                }
                None => (None, p),
            };
            // Java's `Matcher.matches()`: the whole name, not a part of it.
            let regex = regex::Regex::new(&format!("^(?:{expression})$"))
                .map_err(|e| invalid(e.to_string()))?;
            Ok(NamePattern { kind, regex })
        })
        .collect()
}

/// One entry of `listCollections`, normalised.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A collection (indexes not read yet).
    Collection {
        /// The name.
        name: String,
        /// Its `create` options.
        options: Document,
    },
    /// A view.
    View(View),
}

/// Normalises one `listCollections` entry; `None` for what a baseline never holds
/// (`system.*` namespaces and unknown entry types).
pub fn collection_entry(entry: &Document) -> Option<Entry> {
    let name = entry.get_str("name").ok()?;
    if name.starts_with("system.") {
        return None;
    }
    let options = entry.get_document("options").cloned().unwrap_or_default();
    match entry.get_str("type").unwrap_or("collection") {
        "view" => {
            let mut rest = Document::new();
            let mut view_on = String::new();
            let mut pipeline = Vec::new();
            for (k, v) in options {
                match (k.as_str(), v) {
                    ("viewOn", Bson::String(s)) => view_on = s,
                    ("pipeline", Bson::Array(items)) => {
                        pipeline = items
                            .into_iter()
                            .filter_map(|s| match s {
                                Bson::Document(d) => Some(d),
                                _ => None,
                            })
                            .collect();
                    }
                    (_, v) => {
                        rest.insert(k, v);
                    }
                }
            }
            Some(Entry::View(View {
                name: name.to_owned(),
                view_on,
                pipeline,
                options: rest,
            }))
        }
        "collection" | "timeseries" => Some(Entry::Collection {
            name: name.to_owned(),
            options: collection_options(options),
        }),
        _ => None,
    }
}

/// `create` options without what the server derives.
fn collection_options(options: Document) -> Document {
    let mut out = Document::new();
    for (key, value) in options {
        let value = match (key.as_str(), value) {
            ("clusteredIndex", Bson::Document(mut clustered)) => {
                clustered.remove("v");
                Bson::Document(clustered)
            }
            ("timeseries", Bson::Document(mut ts)) => {
                // As the Harness MissingCollectionChangeGenerator: `create` refuses the bucket
                // fields next to `granularity`, which implies them.
                if ts.contains_key("granularity") {
                    ts.remove("bucketMaxSpanSeconds");
                    ts.remove("bucketRoundingSeconds");
                }
                Bson::Document(ts)
            }
            (_, value) => value,
        };
        out.insert(key, value);
    }
    out
}

/// Normalises one `listIndexes` entry; `None` for `_id_` and the clustered index, which come
/// with the collection.
pub fn index(spec: &Document) -> Option<Index> {
    let name = spec.get_str("name").ok()?.to_owned();
    let keys = spec.get_document("key").ok()?.clone();
    if name == "_id_" || spec.get_bool("clustered").unwrap_or(false) {
        return None;
    }
    let mut options = Document::new();
    for (k, v) in spec {
        match k.as_str() {
            "v"
            | "key"
            | "name"
            | "ns"
            | "background"
            | "textIndexVersion"
            | "2dsphereIndexVersion"
            | "clustered" => {}
            _ => {
                options.insert(k.clone(), v.clone());
            }
        }
    }
    let keys = if keys.get("_fts").is_some() {
        text_keys(&keys, &mut options)
    } else {
        keys
    };
    Some(Index {
        name,
        keys,
        options,
    })
}

/// `{a: 1, _fts: "text", _ftsx: 1, z: 1}` with `weights: {body: 1, title: 10}` back to
/// `{a: 1, body: "text", title: "text", z: 1}`. Weights stay only when one differs from 1, and
/// `default_language`/`language_override` only when they differ from the defaults (`english`,
/// `language`): what `createIndexes` would fill in is left out.
fn text_keys(keys: &Document, options: &mut Document) -> Document {
    let weights = options.get_document("weights").cloned().unwrap_or_default();
    let mut out = Document::new();
    for (k, v) in keys {
        match k.as_str() {
            "_fts" => {
                for field in weights.keys() {
                    out.insert(field.clone(), "text");
                }
            }
            "_ftsx" => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    let all_one = weights.values().all(|w| number(w) == Some(1.0));
    if all_one {
        options.remove("weights");
    }
    if options.get_str("default_language") == Ok("english") {
        options.remove("default_language");
    }
    if options.get_str("language_override") == Ok("language") {
        options.remove("language_override");
    }
    out
}

fn number(value: &Bson) -> Option<f64> {
    match value {
        Bson::Int32(v) => Some(f64::from(*v)),
        #[allow(clippy::cast_precision_loss)]
        Bson::Int64(v) => Some(*v as f64),
        Bson::Double(v) => Some(*v),
        _ => None,
    }
}

/// Normalises one `rolesInfo` entry of database `db`.
pub fn role(entry: &Document, db: &str) -> Option<Role> {
    let name = entry.get_str("role").ok()?.to_owned();
    let mut definition = Document::new();
    for key in ["privileges", "roles", "authenticationRestrictions"] {
        match entry.get(key) {
            Some(Bson::Array(items))
                if key != "authenticationRestrictions" || !items.is_empty() =>
            {
                definition.insert(key, own_database(Bson::Array(items.clone()), db));
            }
            None if key != "authenticationRestrictions" => {
                definition.insert(key, Bson::Array(Vec::new()));
            }
            _ => {}
        }
    }
    Some(Role { name, definition })
}

/// Normalises one `usersInfo` entry of database `db`: no `_id`, `userId` or credentials.
pub fn user(entry: &Document, db: &str) -> Option<User> {
    let name = entry.get_str("user").ok()?.to_owned();
    let mut definition = Document::new();
    if let Ok(custom) = entry.get_document("customData") {
        definition.insert("customData", custom.clone());
    }
    definition.insert(
        "roles",
        own_database(
            entry
                .get("roles")
                .cloned()
                .unwrap_or(Bson::Array(Vec::new())),
            db,
        ),
    );
    if let Ok(restrictions) = entry.get_array("authenticationRestrictions")
        && !restrictions.is_empty()
    {
        definition.insert("authenticationRestrictions", restrictions.clone());
    }
    if let Ok(mechanisms) = entry.get_array("mechanisms") {
        definition.insert("mechanisms", mechanisms.clone());
    }
    Some(User { name, definition })
}

/// Replaces every `db: <db>` field (role references, privilege resources) by
/// [`OWN_DATABASE`].
fn own_database(value: Bson, db: &str) -> Bson {
    match value {
        Bson::Document(d) => Bson::Document(
            d.into_iter()
                .map(|(k, v)| match v {
                    Bson::String(s) if k == "db" && s == db => {
                        (k, Bson::String(OWN_DATABASE.into()))
                    }
                    v => (k, own_database(v, db)),
                })
                .collect(),
        ),
        Bson::Array(items) => Bson::Array(items.into_iter().map(|v| own_database(v, db)).collect()),
        other => other,
    }
}

/// Orders views so that each comes after the view it reads from; otherwise by name.
pub fn order_views(mut views: Vec<View>) -> Vec<View> {
    views.sort_by(|a, b| a.name.cmp(&b.name));
    let names: BTreeSet<String> = views.iter().map(|v| v.name.clone()).collect();
    topological(
        views,
        |v| &v.name,
        |v| {
            if names.contains(&v.view_on) {
                vec![v.view_on.clone()]
            } else {
                Vec::new()
            }
        },
    )
}

/// Orders roles so that each comes after the custom roles of the same database it inherits.
pub fn order_roles(mut roles: Vec<Role>) -> Vec<Role> {
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    let names: BTreeSet<String> = roles.iter().map(|r| r.name.clone()).collect();
    topological(
        roles,
        |r| &r.name,
        |r| {
            r.definition
                .get_array("roles")
                .map(|refs| {
                    refs.iter()
                        .filter_map(|x| match x {
                            Bson::Document(d) if d.get_str("db") == Ok(OWN_DATABASE) => {
                                d.get_str("role").ok().map(str::to_owned)
                            }
                            Bson::String(s) => Some(s.clone()),
                            _ => None,
                        })
                        .filter(|n| names.contains(n))
                        .collect()
                })
                .unwrap_or_default()
        },
    )
}

/// Kahn's algorithm over items already sorted by name: the first item (in name order) whose
/// dependencies are all placed goes next. A cycle (which the server prevents) keeps name order.
fn topological<T>(
    items: Vec<T>,
    name: impl Fn(&T) -> &String,
    deps: impl Fn(&T) -> Vec<String>,
) -> Vec<T> {
    let mut pending: Vec<(T, Vec<String>)> = items
        .into_iter()
        .map(|t| {
            let d = deps(&t);
            (t, d)
        })
        .collect();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let next = pending
            .iter()
            .position(|(t, d)| d.iter().all(|x| placed.contains(x) || x == name(t)))
            .unwrap_or(0);
        let (item, _) = pending.remove(next);
        placed.insert(name(&item).clone());
        out.push(item);
    }
    out
}

/// A server error as the generator reports it: the engine's one description of it (never the
/// driver's `Display`, which appends the raw reply as `RawDocumentBuf` hex), and, when the
/// server does not have the command (FerretDB has no `rolesInfo`), a sentence that says so.
fn command_error(context: String) -> impl FnOnce(executor::Error) -> Error {
    move |e| {
        let message = if e.is_not_implemented() {
            format!("the server does not implement this command: {e}")
        } else {
            e.to_string()
        };
        Error::Command { context, message }
    }
}

/// The normalised `listCollections` entries of `db` that `options` keeps, by name.
pub async fn entries(db: &Database, options: &IntrospectOptions) -> Result<Vec<Entry>> {
    let context = format!("listing the collections of `{}`", db.name());
    let specs = executor::read_cursor(
        db.client(),
        db.name(),
        doc! { "listCollections": 1, "authorizedCollections": true },
    )
    .await
    .map_err(command_error(context))?;
    let mut out: Vec<Entry> = specs
        .iter()
        .filter_map(collection_entry)
        .filter(|e| match e {
            Entry::Collection { name, .. } => {
                !options.skip.contains(name) && options.filter.keeps(Kind::Collection, name)
            }
            Entry::View(v) => options.filter.keeps(Kind::View, &v.name),
        })
        .collect();
    out.sort_by(|a, b| entry_name(a).cmp(entry_name(b)));
    Ok(out)
}

fn entry_name(e: &Entry) -> &str {
    match e {
        Entry::Collection { name, .. } => name,
        Entry::View(v) => &v.name,
    }
}

/// The indexes of collection `name`, by index name.
pub async fn indexes(db: &Database, name: &str, filter: &ObjectFilter) -> Result<Vec<Index>> {
    let context = format!("listing the indexes of `{}.{name}`", db.name());
    let specs = executor::read_cursor(db.client(), db.name(), doc! { "listIndexes": name })
        .await
        .map_err(command_error(context))?;
    let mut out: Vec<Index> = specs
        .iter()
        .filter_map(index)
        .filter(|i| filter.keeps_index(name, &i.name))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The collections among `entries` with their indexes, in order, as many read at once as the
/// measured window (module `window`) allows.
pub fn collections<'a>(
    db: &'a Database,
    entries: &'a [Entry],
    filter: &'a ObjectFilter,
) -> impl Stream<Item = Result<Collection>> + 'a {
    let pending = entries.iter().filter_map(|e| match e {
        Entry::Collection { name, options } => Some((name, options)),
        Entry::View(_) => None,
    });
    let read = move |(name, options): (&'a String, &'a Document)| async move {
        Ok(Collection {
            name: name.clone(),
            options: options.clone(),
            indexes: indexes(db, name, filter).await?,
        })
    };
    let state = (pending, FuturesOrdered::new(), Window::new());
    stream::unfold(
        state,
        move |(mut pending, mut running, mut window)| async move {
            while running.len() < window.size() {
                match pending.next() {
                    Some(entry) => running.push_back(read(entry)),
                    None => break,
                }
            }
            let collection = running.next().await?;
            window.completed(Instant::now());
            Some((collection, (pending, running, window)))
        },
    )
}

/// The views among `entries`, each after what it reads from.
pub fn views(entries: &[Entry]) -> Vec<View> {
    order_views(
        entries
            .iter()
            .filter_map(|e| match e {
                Entry::View(v) => Some(v.clone()),
                Entry::Collection { .. } => None,
            })
            .collect(),
    )
}

/// The custom roles of `db`, in dependency order.
pub async fn roles(db: &Database, filter: &ObjectFilter) -> Result<Vec<Role>> {
    let context = format!("reading the roles of `{}` (`rolesInfo`)", db.name());
    let reply = executor::run_command(
        db.client(),
        db.name(),
        doc! { "rolesInfo": 1, "showPrivileges": true, "showBuiltinRoles": false },
    )
    .await
    .map_err(command_error(context.clone()))?;
    let list = reply.get_array("roles").map_err(|e| Error::Reply {
        context,
        message: e.to_string(),
    })?;
    Ok(order_roles(
        list.iter()
            .filter_map(|r| match r {
                Bson::Document(d) => role(d, db.name()),
                _ => None,
            })
            .filter(|r| filter.keeps(Kind::Role, &r.name))
            .collect(),
    ))
}

/// The users of `db`, by name, without credentials.
pub async fn users(db: &Database, filter: &ObjectFilter) -> Result<Vec<User>> {
    let context = format!("reading the users of `{}` (`usersInfo`)", db.name());
    let reply = executor::run_command(db.client(), db.name(), doc! { "usersInfo": 1 })
        .await
        .map_err(command_error(context.clone()))?;
    let list = reply.get_array("users").map_err(|e| Error::Reply {
        context,
        message: e.to_string(),
    })?;
    let mut out: Vec<User> = list
        .iter()
        .filter_map(|u| match u {
            Bson::Document(d) => user(d, db.name()),
            _ => None,
        })
        .filter(|u| filter.keeps(Kind::User, &u.name))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The shard keys of `db`'s collections from `config.collections` (a mongos answers it; on a
/// replica set or standalone server the collection is empty or missing and nothing is sharded).
pub async fn shard_keys(db: &Database) -> Result<Vec<ShardKey>> {
    let context = format!("reading the shard keys of `{}`", db.name());
    let prefix = format!("{}.", db.name());
    let found = executor::read_cursor(
        db.client(),
        "config",
        doc! { "find": "collections", "filter": {} },
    )
    .await
    .map_err(command_error(context))?;
    Ok(shard_entries(&found, &prefix))
}

/// The `config.collections` entries of namespaces starting with `prefix` (`db.`), by name,
/// skipping dropped ones.
pub fn shard_entries(found: &[Document], prefix: &str) -> Vec<ShardKey> {
    let mut keys: BTreeMap<String, ShardKey> = BTreeMap::new();
    for entry in found {
        let Ok(ns) = entry.get_str("_id") else {
            continue;
        };
        let Some(collection) = ns.strip_prefix(prefix) else {
            continue;
        };
        if entry.get_bool("dropped").unwrap_or(false) || collection.starts_with("system.") {
            continue;
        }
        let Ok(key) = entry.get_document("key") else {
            continue;
        };
        keys.insert(
            collection.to_owned(),
            ShardKey {
                collection: collection.to_owned(),
                key: key.clone(),
                unique: entry.get_bool("unique").unwrap_or(false),
            },
        );
    }
    keys.into_values().collect()
}

/// Up to `limit` documents of `collection`, by `_id`.
pub async fn documents(db: &Database, collection: &str, limit: i64) -> Result<Vec<Document>> {
    let context = format!("reading documents of `{}.{collection}`", db.name());
    executor::read_cursor(
        db.client(),
        db.name(),
        doc! { "find": collection, "filter": {}, "sort": { "_id": 1 }, "limit": limit },
    )
    .await
    .map_err(command_error(context))
}

/// A whole snapshot of `db`.
pub async fn snapshot(db: &Database, options: &IntrospectOptions) -> Result<Snapshot> {
    let mut snapshot = Snapshot::new(db.name());
    let entries = entries(db, options).await?;
    snapshot.collections = collections(db, &entries, &options.filter)
        .try_collect()
        .await?;
    snapshot.views = views(&entries);
    if options.roles {
        snapshot.roles = roles(db, &options.filter).await?;
    }
    if options.users {
        snapshot.users = users(db, &options.filter).await?;
    }
    if options.sharding {
        snapshot.shards = shard_keys(db).await?;
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection(entry: Document) -> (String, Document) {
        match collection_entry(&entry) {
            Some(Entry::Collection { name, options }) => (name, options),
            other => panic!("not a collection: {other:?}"),
        }
    }

    #[test]
    fn server_derived_collection_options_are_dropped_and_the_rest_kept_in_order() {
        let cases: Vec<(Document, Document)> = vec![
            (
                doc! { "name": "c", "type": "collection",
                "options": { "validator": { "a": { "$type": "long" } }, "validationAction": "warn", "validationLevel": "moderate" },
                "info": { "readOnly": false, "uuid": Bson::Null }, "idIndex": { "v": 2, "key": { "_id": 1 }, "name": "_id_" } },
                doc! { "validator": { "a": { "$type": "long" } }, "validationAction": "warn", "validationLevel": "moderate" },
            ),
            (
                doc! { "name": "c", "type": "collection",
                "options": { "expireAfterSeconds": 60_i64, "clusteredIndex": { "v": 2, "key": { "_id": 1 }, "name": "cl", "unique": true } } },
                doc! { "expireAfterSeconds": 60_i64, "clusteredIndex": { "key": { "_id": 1 }, "name": "cl", "unique": true } },
            ),
            (
                doc! { "name": "c", "type": "timeseries",
                "options": { "timeseries": { "timeField": "t", "metaField": "m", "granularity": "hours",
                    "bucketMaxSpanSeconds": 2_592_000, "bucketRoundingSeconds": 86_400 }, "expireAfterSeconds": 10 } },
                doc! { "timeseries": { "timeField": "t", "metaField": "m", "granularity": "hours" }, "expireAfterSeconds": 10 },
            ),
            (
                doc! { "name": "c", "type": "timeseries",
                "options": { "timeseries": { "timeField": "t", "bucketMaxSpanSeconds": 7200, "bucketRoundingSeconds": 7200 } } },
                doc! { "timeseries": { "timeField": "t", "bucketMaxSpanSeconds": 7200, "bucketRoundingSeconds": 7200 } },
            ),
            (
                doc! { "name": "c", "options": { "capped": true, "size": 4096, "max": 10,
                "collation": { "locale": "fr", "strength": 2 }, "changeStreamPreAndPostImages": { "enabled": true },
                "storageEngine": { "wiredTiger": {} }, "indexOptionDefaults": { "storageEngine": { "wiredTiger": {} } } } },
                doc! { "capped": true, "size": 4096, "max": 10,
                "collation": { "locale": "fr", "strength": 2 }, "changeStreamPreAndPostImages": { "enabled": true },
                "storageEngine": { "wiredTiger": {} }, "indexOptionDefaults": { "storageEngine": { "wiredTiger": {} } } },
            ),
        ];
        for (entry, expected) in cases {
            let (name, options) = collection(entry.clone());
            assert_eq!(name, "c");
            assert_eq!(options, expected, "{entry}");
            assert!(options.keys().eq(expected.keys()), "key order of {entry}");
        }
    }

    #[test]
    fn system_namespaces_are_skipped_and_views_split_out() {
        let skipped = [
            doc! { "name": "system.views", "type": "collection", "options": {} },
            doc! { "name": "system.buckets.ts", "type": "collection", "options": {} },
            doc! { "name": "x", "type": "somethingNew", "options": {} },
        ];
        for entry in skipped {
            assert_eq!(collection_entry(&entry), None, "{entry}");
        }
        let view = collection_entry(&doc! { "name": "v", "type": "view",
        "options": { "collation": { "locale": "en" }, "viewOn": "src", "pipeline": [{ "$match": { "a": 1 } }] },
        "info": { "readOnly": true } });
        assert_eq!(
            view,
            Some(Entry::View(View {
                name: "v".into(),
                view_on: "src".into(),
                pipeline: vec![doc! { "$match": { "a": 1 } }],
                options: doc! { "collation": { "locale": "en" } },
            }))
        );
    }

    #[test]
    fn index_specs_lose_server_fields_and_text_indexes_get_the_user_form() {
        let cases: Vec<(Document, Option<(Document, Document)>)> = vec![
            (doc! { "v": 2, "key": { "_id": 1 }, "name": "_id_" }, None),
            (
                doc! { "v": 2, "key": { "_id": 1 }, "name": "cl", "unique": true, "clustered": true },
                None,
            ),
            (
                doc! { "v": 2, "key": { "a": 1, "b": -1 }, "name": "ab", "ns": "db.c", "background": true, "unique": true },
                Some((doc! { "a": 1, "b": -1 }, doc! { "unique": true })),
            ),
            (
                doc! { "v": 2, "key": { "loc": "2dsphere" }, "name": "g", "2dsphereIndexVersion": 3 },
                Some((doc! { "loc": "2dsphere" }, doc! {})),
            ),
            (
                doc! { "v": 2, "key": { "p": "2d" }, "name": "g", "bits": 20, "min": -100.0, "max": 100.0 },
                Some((
                    doc! { "p": "2d" },
                    doc! { "bits": 20, "min": -100.0, "max": 100.0 },
                )),
            ),
            (
                doc! { "v": 2, "key": { "h": "hashed" }, "name": "h" },
                Some((doc! { "h": "hashed" }, doc! {})),
            ),
            (
                doc! { "v": 2, "key": { "$**": 1 }, "name": "w", "wildcardProjection": { "a": 1 }, "hidden": true },
                Some((
                    doc! { "$**": 1 },
                    doc! { "wildcardProjection": { "a": 1 }, "hidden": true },
                )),
            ),
            (
                doc! { "v": 2, "key": { "u": 1 }, "name": "u", "unique": true, "prepareUnique": true,
                "partialFilterExpression": { "u": { "$exists": true } }, "collation": { "locale": "de" } },
                Some((
                    doc! { "u": 1 },
                    doc! { "unique": true, "prepareUnique": true,
                    "partialFilterExpression": { "u": { "$exists": true } }, "collation": { "locale": "de" } },
                )),
            ),
            (
                doc! { "v": 2, "key": { "_fts": "text", "_ftsx": 1 }, "name": "t",
                "weights": { "body": 1, "title": 1 }, "default_language": "english",
                "language_override": "language", "textIndexVersion": 3 },
                Some((doc! { "body": "text", "title": "text" }, doc! {})),
            ),
            (
                doc! { "v": 2, "key": { "shop": 1, "_fts": "text", "_ftsx": 1, "at": -1 }, "name": "t",
                "weights": { "body": 1, "title": 10 }, "default_language": "french",
                "language_override": "lang", "textIndexVersion": 3 },
                Some((
                    doc! { "shop": 1, "body": "text", "title": "text", "at": -1 },
                    doc! { "weights": { "body": 1, "title": 10 }, "default_language": "french", "language_override": "lang" },
                )),
            ),
            (
                doc! { "v": 2, "key": { "_fts": "text", "_ftsx": 1 }, "name": "all",
                "weights": { "$**": 1 }, "default_language": "english", "language_override": "language" },
                Some((doc! { "$**": "text" }, doc! {})),
            ),
        ];
        for (spec, expected) in cases {
            let got = index(&spec).map(|i| (i.keys, i.options));
            assert_eq!(got, expected, "{spec}");
            if let Some((keys, options)) = &got {
                let (ek, eo) = expected.as_ref().expect("compared above");
                assert!(
                    keys.keys().eq(ek.keys()) && options.keys().eq(eo.keys()),
                    "order of {spec}"
                );
            }
        }
    }

    #[test]
    fn roles_and_users_refer_to_their_own_database_by_placeholder() {
        let r = role(
            &doc! { "role": "r1", "db": "shop", "isBuiltin": false,
                "privileges": [{ "resource": { "db": "shop", "collection": "orders" }, "actions": ["find"] },
                               { "resource": { "db": "other", "collection": "" }, "actions": ["find"] }],
                "roles": [{ "role": "read", "db": "shop" }],
                "inheritedRoles": [{ "role": "read", "db": "shop" }], "inheritedPrivileges": [] },
            "shop",
        )
        .expect("a role");
        assert_eq!(
            r.definition,
            doc! {
                "privileges": [{ "resource": { "db": OWN_DATABASE, "collection": "orders" }, "actions": ["find"] },
                               { "resource": { "db": "other", "collection": "" }, "actions": ["find"] }],
                "roles": [{ "role": "read", "db": OWN_DATABASE }],
            }
        );
        let u = user(
            &doc! { "_id": "shop.u", "userId": Bson::Null, "user": "u", "db": "shop",
                "roles": [{ "role": "r1", "db": "shop" }, { "role": "read", "db": "admin" }],
                "customData": { "team": "a" }, "mechanisms": ["SCRAM-SHA-256"], "credentials": { "x": 1 } },
            "shop",
        )
        .expect("a user");
        assert_eq!(u.name, "u");
        assert_eq!(
            u.definition,
            doc! { "customData": { "team": "a" },
            "roles": [{ "role": "r1", "db": OWN_DATABASE }, { "role": "read", "db": "admin" }],
            "mechanisms": ["SCRAM-SHA-256"] }
        );
    }

    #[test]
    fn views_and_roles_come_after_what_they_depend_on() {
        let view = |name: &str, on: &str| View {
            name: name.into(),
            view_on: on.into(),
            pipeline: vec![],
            options: doc! {},
        };
        let ordered = order_views(vec![
            view("a", "c"),
            view("c", "z"),
            view("b", "coll"),
            view("z", "coll"),
        ]);
        let names: Vec<&str> = ordered.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["b", "z", "c", "a"]);

        let role = |name: &str, inherits: &[&str]| Role {
            name: name.into(),
            definition: doc! { "privileges": [], "roles": inherits.iter().map(|r| doc! { "role": *r, "db": OWN_DATABASE }).collect::<Vec<_>>() },
        };
        let ordered = order_roles(vec![
            role("a", &["m"]),
            role("m", &["read"]),
            role("b", &[]),
        ]);
        let names: Vec<&str> = ordered.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["b", "m", "a"]);
    }

    #[test]
    fn object_filters_are_whole_name_case_sensitive_regexes_by_kind_as_in_liquibase() {
        /// (include, exclude, kind, collection of an index, name, kept)
        type Case = (
            Option<&'static str>,
            Option<&'static str>,
            Kind,
            Option<&'static str>,
            &'static str,
            bool,
        );
        let cases: &[Case] = &[
            (None, None, Kind::Collection, None, "x", true),
            (Some(""), Some(" "), Kind::Collection, None, "x", true),
            // Whole name, not a part of it.
            (Some("ord.*"), None, Kind::Collection, None, "orders", true),
            (Some("ord"), None, Kind::Collection, None, "orders", false),
            (Some("rders"), None, Kind::Collection, None, "orders", false),
            // Case-sensitive unless the expression says otherwise.
            (
                Some("ORDERS"),
                None,
                Kind::Collection,
                None,
                "orders",
                false,
            ),
            (
                Some("(?i)ORDERS"),
                None,
                Kind::Collection,
                None,
                "orders",
                true,
            ),
            // A list; blanks around the commas are ignored.
            (Some("a , b"), None, Kind::Collection, None, "b", true),
            (Some("a , b"), None, Kind::Collection, None, "c", false),
            // Without a kind: every kind.
            (Some("reader"), None, Kind::User, None, "reader", true),
            (Some("orders"), None, Kind::User, None, "reader", false),
            (Some("v_.*"), None, Kind::View, None, "v_1", true),
            // With a kind: that kind only (`table` is `collection`; kinds ignore case).
            (
                Some("view:v_.*"),
                None,
                Kind::Collection,
                None,
                "v_1",
                false,
            ),
            (Some("VIEW:v_.*"), None, Kind::View, None, "v_1", true),
            (
                Some("table:orders"),
                None,
                Kind::Collection,
                None,
                "orders",
                true,
            ),
            (
                Some("role:r.*, user:u.*"),
                None,
                Kind::Role,
                None,
                "r1",
                true,
            ),
            (
                Some("role:r.*, user:u.*"),
                None,
                Kind::Role,
                None,
                "u1",
                false,
            ),
            // An index matches by its name or by its collection's.
            (
                Some("index:ix_.*"),
                None,
                Kind::Index,
                Some("orders"),
                "ix_a",
                true,
            ),
            (
                Some("index:ix_.*"),
                None,
                Kind::Index,
                Some("orders"),
                "a_1",
                false,
            ),
            (
                Some("index:ix_.*"),
                None,
                Kind::Collection,
                None,
                "orders",
                false,
            ),
            (
                Some("orders"),
                None,
                Kind::Index,
                Some("orders"),
                "a_1",
                true,
            ),
            (
                Some("collection:orders"),
                None,
                Kind::Index,
                Some("orders"),
                "a_1",
                true,
            ),
            (
                Some("view:orders"),
                None,
                Kind::Index,
                Some("orders"),
                "a_1",
                false,
            ),
            // Exclude: what matches goes, the rest stays.
            (None, Some("tmp_.*"), Kind::Collection, None, "tmp_1", false),
            (None, Some("tmp_.*"), Kind::Collection, None, "orders", true),
            (
                None,
                Some("tmp_.*"),
                Kind::Index,
                Some("tmp_1"),
                "a_1",
                false,
            ),
            (
                None,
                Some("index:.*_geo"),
                Kind::Index,
                Some("places"),
                "loc_geo",
                false,
            ),
            (
                None,
                Some("index:.*_geo"),
                Kind::Index,
                Some("places"),
                "loc_2d",
                true,
            ),
            (
                None,
                Some("index:.*_geo"),
                Kind::Collection,
                None,
                "x_geo",
                true,
            ),
            // Only the first `:` separates the kind.
            (
                Some("collection:a:b"),
                None,
                Kind::Collection,
                None,
                "a:b",
                true,
            ),
        ];
        for &(include, exclude, kind, collection, name, kept) in cases {
            let f = ObjectFilter::new(include, exclude).expect("valid");
            let got = match collection {
                Some(c) => f.keeps_index(c, name),
                None => f.keeps(kind, name),
            };
            assert_eq!(
                got, kept,
                "{include:?} {exclude:?} {kind:?} {collection:?} {name}"
            );
        }
    }

    #[test]
    fn a_server_without_rolesinfo_is_named_in_words_not_reply_bytes() {
        // FerretDB's answer to `rolesInfo` as the driver reports it: a command error built from
        // the recorded reply.
        let reply = doc! {
            "ok": 0.0,
            "errmsg": "rolesInfo is not implemented",
            "code": 238,
            "codeName": "NotImplemented",
        };
        let command: mongodb::error::CommandError =
            mongodb::bson::from_document(reply).expect("a command error reply");
        let driver = mongodb::error::Error::from(mongodb::error::ErrorKind::Command(command));
        let e = command_error("reading the roles of `shop` (`rolesInfo`)".to_owned())(
            executor::Error::from_driver(&driver),
        );
        assert_eq!(
            e.to_string(),
            "reading the roles of `shop` (`rolesInfo`): the server does not implement this \
             command: Command failed with error 238 (NotImplemented): 'rolesInfo is not implemented'"
        );
    }

    #[test]
    fn invalid_object_filters_are_refused() {
        let cases: &[(Option<&str>, Option<&str>, &str)] = &[
            (
                Some("column:x"),
                None,
                "invalid object filter `column:x`: `column` is not an object kind",
            ),
            (Some("ok, ord(ers"), None, "invalid object filter `ord(ers`"),
            (None, Some("(?<=a)b"), "invalid object filter `(?<=a)b`"),
            (
                Some("a"),
                Some("b"),
                "cannot use both `--include-objects` and `--exclude-objects`",
            ),
        ];
        for &(include, exclude, message) in cases {
            let e = ObjectFilter::new(include, exclude).expect_err("invalid");
            assert!(
                e.to_string().starts_with(message),
                "{include:?} {exclude:?}: {e}"
            );
        }
    }

    #[test]
    fn shard_entries_keep_the_database_s_live_collections() {
        let found = [
            doc! { "_id": "shop.orders", "key": { "customer": "hashed" }, "unique": false },
            doc! { "_id": "shop.gone", "key": { "a": 1 }, "dropped": true },
            doc! { "_id": "shop.system.sessions", "key": { "_id": 1 } },
            doc! { "_id": "shopping.x", "key": { "a": 1 } },
            doc! { "_id": "shop.carts", "key": { "user": 1 }, "unique": true },
        ];
        let keys = shard_entries(&found, "shop.");
        let got: Vec<(&str, bool)> = keys
            .iter()
            .map(|k| (k.collection.as_str(), k.unique))
            .collect();
        assert_eq!(got, [("carts", true), ("orders", false)]);
    }
}
