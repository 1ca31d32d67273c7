//! The method checks: which helpers of mongosh's `Database` and `Collection` are in the
//! subset, the arguments and options each accepts (as mongosh 2.12 and the Node.js driver 7.x
//! take them), the names a collection or database may have, and the checked [`Action`] each
//! call becomes.
//!
//! Works on values the parser has already read; a refusal is a message without a position
//! (the parser adds the call's).

use mongodb::bson::{Bson, Document};

use super::statement::{Action, Database};

/// Members of mongosh's `Database` (2.12): `db.<member>` is the member, never a collection.
pub(super) const DATABASE_MEMBERS: &[&str] = &[
    "adminCommand",
    "aggregate",
    "auth",
    "changeUserPassword",
    "checkMetadataConsistency",
    "cloneCollection",
    "cloneDatabase",
    "commandHelp",
    "copyDatabase",
    "createCollection",
    "createEncryptedCollection",
    "createRole",
    "createUser",
    "createView",
    "currentOp",
    "dropAllRoles",
    "dropAllUsers",
    "dropDatabase",
    "dropRole",
    "dropUser",
    "fsyncLock",
    "fsyncUnlock",
    "getCollection",
    "getCollectionInfos",
    "getCollectionNames",
    "getLastError",
    "getLastErrorObj",
    "getLogComponents",
    "getMongo",
    "getName",
    "getProfilingStatus",
    "getReplicationInfo",
    "getRole",
    "getRoles",
    "getSiblingDB",
    "getUser",
    "getUsers",
    "grantPrivilegesToRole",
    "grantRolesToRole",
    "grantRolesToUser",
    "hello",
    "help",
    "hostInfo",
    "isMaster",
    "killOp",
    "listCommands",
    "logout",
    "printCollectionStats",
    "printReplicationInfo",
    "printSecondaryReplicationInfo",
    "printShardingStatus",
    "printSlaveReplicationInfo",
    "revokePrivilegesFromRole",
    "revokeRolesFromRole",
    "revokeRolesFromUser",
    "rotateCertificates",
    "runCommand",
    "serverBits",
    "serverBuildInfo",
    "serverCmdLineOpts",
    "serverStatus",
    "setLogLevel",
    "setProfilingLevel",
    "setSecondaryOk",
    "shutdownServer",
    "sql",
    "stats",
    "updateRole",
    "updateUser",
    "version",
    "watch",
];

/// Members of mongosh's `Collection` (2.12): `coll.<member>` is the member, not a
/// sub-collection.
pub(super) const COLLECTION_MEMBERS: &[&str] = &[
    "aggregate",
    "analyzeShardKey",
    "bulkWrite",
    "checkMetadataConsistency",
    "compactStructuredEncryptionData",
    "configureQueryAnalyzer",
    "convertToCapped",
    "count",
    "countDocuments",
    "createIndex",
    "createIndexes",
    "createSearchIndex",
    "createSearchIndexes",
    "dataSize",
    "deleteMany",
    "deleteOne",
    "distinct",
    "drop",
    "dropIndex",
    "dropIndexes",
    "dropSearchIndex",
    "ensureIndex",
    "estimatedDocumentCount",
    "exists",
    "explain",
    "find",
    "findAndModify",
    "findOne",
    "findOneAndDelete",
    "findOneAndReplace",
    "findOneAndUpdate",
    "getDB",
    "getFullName",
    "getIndexKeys",
    "getIndexSpecs",
    "getIndexes",
    "getIndices",
    "getMongo",
    "getName",
    "getPlanCache",
    "getSearchIndexes",
    "getShardDistribution",
    "getShardLocation",
    "getShardVersion",
    "help",
    "hideIndex",
    "initializeOrderedBulkOp",
    "initializeUnorderedBulkOp",
    "insert",
    "insertMany",
    "insertOne",
    "isCapped",
    "latencyStats",
    "mapReduce",
    "reIndex",
    "remove",
    "renameCollection",
    "replaceOne",
    "runCommand",
    "stats",
    "storageSize",
    "totalIndexSize",
    "totalSize",
    "unhideIndex",
    "update",
    "updateMany",
    "updateOne",
    "updateSearchIndex",
    "validate",
    "watch",
];

/// `Object.prototype` members, which every JavaScript object answers to.
const OBJECT_MEMBERS: &[&str] = &[
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
];

/// Index options the Node.js driver (7.x `VALID_INDEX_OPTIONS`) passes to the server, and the
/// renamed ones (`version` → `v`, camelCase language options).
const INDEX_OPTIONS: &[&str] = &[
    "background",
    "unique",
    "name",
    "partialFilterExpression",
    "sparse",
    "hidden",
    "expireAfterSeconds",
    "storageEngine",
    "collation",
    "version",
    "weights",
    "default_language",
    "language_override",
    "textIndexVersion",
    "2dsphereIndexVersion",
    "bits",
    "min",
    "max",
    "bucketSize",
    "wildcardProjection",
    "defaultLanguage",
    "languageOverride",
];

/// `createCollection` options the driver refuses to put into `create` (`ILLEGAL_COMMAND_FIELDS`)
/// or treats specially (`encryptedFields` creates more collections).
const CREATE_COLLECTION_REFUSED: &[&str] = &[
    "w",
    "wtimeout",
    "timeoutMS",
    "j",
    "fsync",
    "pkFactory",
    "raw",
    "readPreference",
    "session",
    "readConcern",
    "writeConcern",
    "fieldsAsRaw",
    "useBigInt64",
    "promoteLongs",
    "promoteValues",
    "promoteBuffers",
    "bsonRegExp",
    "serializeFunctions",
    "ignoreUndefined",
    "enableUtf8Validation",
    "encryptedFields",
];

/// A collection reached by property access (`db.name`, `coll.sub`): mongosh returns the member
/// of that name instead when there is one, and nothing for `_…` names.
pub(super) fn collection_property(name: &str, members: &[&str]) -> Result<(), String> {
    if members.contains(&name) {
        return Err(format!(
            "`{name}` is a mongosh method, not in the native subset"
        ));
    }
    if OBJECT_MEMBERS.contains(&name) || name.starts_with('_') {
        return Err(format!(
            "`{name}` cannot be reached as a collection; use `db.getCollection(\"{name}\")`"
        ));
    }
    collection_name(name)
}

pub(super) fn collection_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(['$', '\0']) {
        return Err(format!("invalid collection name `{name}`"));
    }
    Ok(())
}

pub(super) fn database_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() >= 64 || name.contains(['/', '\\', '.', ' ', '"', '$', '\0']) {
        return Err(format!("invalid database name `{name}`"));
    }
    Ok(())
}

pub(super) fn one_string(args: &[Bson], method: &str) -> Result<String, String> {
    match args {
        [Bson::String(s)] => Ok(s.clone()),
        _ => Err(format!("`{method}` takes one string")),
    }
}

/// Splits `args` into at most `max` arguments, complaining about more.
fn at_most<'b>(args: &'b [Bson], max: usize, method: &str) -> Result<&'b [Bson], String> {
    if args.len() > max {
        return Err(format!(
            "`{method}` takes at most {max} argument{} in the native subset",
            if max == 1 { "" } else { "s" }
        ));
    }
    Ok(args)
}

fn document_arg(arg: Option<&Bson>, method: &str, what: &str) -> Result<Document, String> {
    match arg {
        Some(Bson::Document(d)) => Ok(d.clone()),
        _ => Err(format!("`{method}` needs {what} as an object")),
    }
}

/// Optional options object; `None` when absent.
fn options_arg(arg: Option<&Bson>, method: &str) -> Result<Document, String> {
    match arg {
        None => Ok(Document::new()),
        Some(Bson::Document(d)) => Ok(d.clone()),
        Some(_) => Err(format!("`{method}` options must be an object")),
    }
}

fn check_options(options: &Document, allowed: &[&str], method: &str) -> Result<(), String> {
    match options.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "option `{k}` of `{method}` is outside the native subset"
        )),
        None => Ok(()),
    }
}

fn bool_option(options: &Document, key: &str, method: &str) -> Result<Option<bool>, String> {
    match options.get(key) {
        None => Ok(None),
        Some(Bson::Boolean(b)) => Ok(Some(*b)),
        Some(_) => Err(format!(
            "option `{key}` of `{method}` must be true or false"
        )),
    }
}

pub(super) fn database_action(
    method: &str,
    args: Vec<Bson>,
    database: &Database,
) -> Result<Action, String> {
    match method {
        "createCollection" => {
            let args = at_most(&args, 2, method)?;
            let name = match args.first() {
                Some(Bson::String(s)) => s.clone(),
                _ => return Err("`createCollection` needs the collection name as a string".into()),
            };
            collection_name(&name)?;
            let raw = options_arg(args.get(1), method)?;
            let mut options = Document::new();
            for (k, v) in raw {
                if CREATE_COLLECTION_REFUSED.contains(&k.as_str()) {
                    return Err(format!(
                        "option `{k}` of `createCollection` is outside the native subset"
                    ));
                }
                // As CreateCollectionOperation: null-valued options are left out.
                if v != Bson::Null {
                    options.insert(k, v);
                }
            }
            Ok(Action::CreateCollection { name, options })
        }
        "createView" => {
            let args = at_most(&args, 4, method)?;
            let (name, source) = match (args.first(), args.get(1)) {
                (Some(Bson::String(n)), Some(Bson::String(s))) => (n.clone(), s.clone()),
                _ => return Err("`createView` needs the view and source names as strings".into()),
            };
            collection_name(&name)?;
            let pipeline = match args.get(2) {
                Some(Bson::Array(stages))
                    if stages.iter().all(|s| matches!(s, Bson::Document(_))) =>
                {
                    stages.clone()
                }
                _ => return Err("`createView` needs the pipeline as an array of stages".into()),
            };
            let options = options_arg(args.get(3), method)?;
            check_options(&options, &["collation"], method)?;
            let collation = match options.get("collation") {
                None => None,
                Some(Bson::Document(c)) => Some(c.clone()),
                Some(_) => return Err("`collation` must be an object".into()),
            };
            Ok(Action::CreateView {
                name,
                source,
                pipeline,
                collation,
            })
        }
        "runCommand" | "adminCommand" => {
            let args = at_most(&args, 1, method)?;
            // An empty command name (`runCommand('')`, `{'': 1}`) names no command: the server
            // answers "no such command". It stays outside the subset so that mongosh reports the
            // server's own error, and every lowered statement keeps a command name (found by the
            // `shell_subset` fuzz target).
            let body = match args.first() {
                Some(Bson::String(name)) if !name.is_empty() => {
                    let mut d = Document::new();
                    d.insert(name.clone(), 1);
                    d
                }
                Some(Bson::Document(d)) if d.keys().next().is_some_and(|k| !k.is_empty()) => {
                    d.clone()
                }
                _ => return Err(format!("`{method}` needs a command document or name")),
            };
            Ok(if method == "runCommand" {
                Action::RunCommand(body)
            } else {
                Action::AdminCommand(body)
            })
        }
        "createUser" | "createRole" => {
            let args = at_most(&args, 2, method)?;
            let doc = document_arg(args.first(), method, "the definition")?;
            let write_concern = match args.get(1) {
                None | Some(Bson::Null) => None,
                Some(Bson::Document(w)) => Some(w.clone()),
                Some(_) => {
                    return Err(format!("the write concern of `{method}` must be an object"));
                }
            };
            user_command(method, doc, write_concern, database).map(Action::UserCommand)
        }
        _ => Err(format!("`db.{method}()` is outside the native subset")),
    }
}

/// `createUser`/`createRole` as mongosh builds them (`adaptOptions`, then the command name
/// moved first, write concern and `digestPassword` last).
fn user_command(
    method: &str,
    definition: Document,
    write_concern: Option<Document>,
    database: &Database,
) -> Result<Document, String> {
    let (name_key, required): (&str, &[&str]) = if method == "createUser" {
        ("user", &["user", "roles", "pwd"])
    } else {
        ("role", &["role", "privileges", "roles"])
    };
    if matches!(database, Database::Named(n) if n == "$external") {
        return Err("users of `$external` are outside the native subset".into());
    }
    if let Some(missing) = required.iter().find(|k| !definition.contains_key(**k)) {
        return Err(format!("`{method}` needs `{missing}`"));
    }
    if definition.contains_key(method) {
        return Err(format!("`{method}` must not hold a `{method}` field"));
    }
    let name = match definition.get(name_key) {
        Some(Bson::String(s)) => s.clone(),
        _ => return Err(format!("`{name_key}` of `{method}` must be a string")),
    };
    let mut digest = None;
    let mut command = Document::new();
    command.insert(method, name);
    for (k, v) in definition {
        match k.as_str() {
            k if k == name_key => {}
            "passwordDigestor" if method == "createUser" => match v {
                Bson::String(s) if s == "server" => digest = Some(true),
                _ => {
                    return Err(
                        "only `passwordDigestor: \"server\"` is in the native subset".into(),
                    );
                }
            },
            _ => {
                command.insert(k, v);
            }
        }
    }
    if let Some(w) = write_concern {
        command.insert("writeConcern", w);
    }
    if let Some(d) = digest {
        command.insert("digestPassword", d);
    }
    Ok(command)
}

pub(super) fn collection_action(
    method: &str,
    collection: String,
    args: Vec<Bson>,
) -> Result<Action, String> {
    match method {
        "insertOne" => {
            let args = at_most(&args, 2, method)?;
            let document = document_arg(args.first(), method, "the document")?;
            let options = options_arg(args.get(1), method)?;
            check_options(&options, &["bypassDocumentValidation", "comment"], method)?;
            Ok(Action::Insert {
                collection,
                documents: vec![document],
                ordered: true,
                options: write_options(&options, method)?,
            })
        }
        "insertMany" => {
            let args = at_most(&args, 2, method)?;
            let documents: Vec<Document> = match args.first() {
                Some(Bson::Array(items)) if !items.is_empty() && items.len() <= 100_000 => items
                    .iter()
                    .map(|d| match d {
                        Bson::Document(d) => Ok(d.clone()),
                        _ => Err("`insertMany` needs an array of objects".to_owned()),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err("`insertMany` needs a non-empty array of objects".into()),
            };
            let options = options_arg(args.get(1), method)?;
            check_options(
                &options,
                &["ordered", "bypassDocumentValidation", "comment"],
                method,
            )?;
            Ok(Action::Insert {
                collection,
                documents,
                ordered: bool_option(&options, "ordered", method)?.unwrap_or(true),
                options: write_options(&options, method)?,
            })
        }
        "updateOne" | "updateMany" | "replaceOne" => {
            let args = at_most(&args, 3, method)?;
            let filter = document_arg(args.first(), method, "the filter")?;
            let update = args
                .get(1)
                .cloned()
                .ok_or_else(|| format!("`{method}` needs an update"))?;
            let atomic = has_atomic_operators(&update);
            match (method, &update) {
                ("replaceOne", Bson::Document(_)) if !atomic => {}
                ("replaceOne", _) => {
                    return Err(
                        "`replaceOne` needs a replacement document without `$` operators".into(),
                    );
                }
                (_, Bson::Document(_) | Bson::Array(_)) if atomic => {}
                _ => {
                    return Err(format!(
                        "`{method}` needs an update with `$` operators or a pipeline"
                    ));
                }
            }
            let options = options_arg(args.get(2), method)?;
            let mut allowed = vec![
                "upsert",
                "collation",
                "hint",
                "bypassDocumentValidation",
                "let",
                "comment",
            ];
            if method != "replaceOne" {
                allowed.push("arrayFilters");
            }
            check_options(&options, &allowed, method)?;
            // As makeUpdateStatement: q, u, upsert, multi, hint, arrayFilters, collation.
            let mut statement = Document::new();
            statement.insert("q", filter);
            statement.insert("u", update);
            if let Some(upsert) = bool_option(&options, "upsert", method)? {
                statement.insert("upsert", upsert);
            }
            if method == "updateMany" {
                statement.insert("multi", true);
            }
            if let Some(hint) = hint_option(&options, method)? {
                statement.insert("hint", hint);
            }
            match options.get("arrayFilters") {
                None => {}
                Some(Bson::Array(filters)) => {
                    statement.insert("arrayFilters", filters.clone());
                }
                Some(_) => return Err("`arrayFilters` must be an array".into()),
            }
            if let Some(collation) = collation_option(&options)? {
                statement.insert("collation", collation);
            }
            Ok(Action::Update {
                collection,
                statement,
                options: write_options(&options, method)?,
            })
        }
        "deleteOne" | "deleteMany" => {
            let args = at_most(&args, 2, method)?;
            let filter = document_arg(args.first(), method, "the filter")?;
            let options = options_arg(args.get(1), method)?;
            check_options(&options, &["collation", "hint", "let", "comment"], method)?;
            // As makeDeleteStatement: q, limit, collation, hint.
            let mut statement = Document::new();
            statement.insert("q", filter);
            statement.insert("limit", i32::from(method == "deleteOne"));
            if let Some(collation) = collation_option(&options)? {
                statement.insert("collation", collation);
            }
            if let Some(hint) = hint_option(&options, method)? {
                statement.insert("hint", hint);
            }
            Ok(Action::Delete {
                collection,
                statement,
                options: write_options(&options, method)?,
            })
        }
        "createIndex" | "createIndexes" => {
            let args = at_most(&args, 3, method)?;
            let keys: Vec<Document> = match (method, args.first()) {
                ("createIndex", Some(Bson::Document(k))) => vec![k.clone()],
                ("createIndexes", Some(Bson::Array(items))) if !items.is_empty() => items
                    .iter()
                    .map(|k| match k {
                        Bson::Document(k) => Ok(k.clone()),
                        _ => Err("`createIndexes` needs an array of key patterns".to_owned()),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(format!("`{method}` needs key patterns as objects")),
            };
            let options = options_arg(args.get(1), method)?;
            let mut allowed = INDEX_OPTIONS.to_vec();
            allowed.push("commitQuorum");
            check_options(&options, &allowed, method)?;
            let mut commit_quorum = options.get("commitQuorum").cloned();
            if let Some(q) = args.get(2) {
                commit_quorum = Some(q.clone());
            }
            let indexes = keys
                .into_iter()
                .map(|k| index_spec(k, &options))
                .collect::<Result<_, _>>()?;
            Ok(Action::CreateIndexes {
                collection,
                indexes,
                commit_quorum,
            })
        }
        "dropIndex" => {
            let args = at_most(&args, 1, method)?;
            let index = match args.first() {
                Some(Bson::String(s)) if s == "*" => {
                    return Err(
                        "`dropIndex('*')` is refused by mongosh; use `dropIndexes()`".into(),
                    );
                }
                Some(i @ (Bson::String(_) | Bson::Document(_))) => i.clone(),
                _ => return Err("`dropIndex` needs an index name or key pattern".into()),
            };
            Ok(Action::DropIndexes { collection, index })
        }
        "dropIndexes" => {
            let args = at_most(&args, 1, method)?;
            let index = match args.first() {
                None => Bson::String("*".into()),
                Some(i @ (Bson::String(_) | Bson::Document(_))) => i.clone(),
                Some(Bson::Array(names)) if names.iter().all(|n| matches!(n, Bson::String(_))) => {
                    Bson::Array(names.clone())
                }
                _ => return Err("`dropIndexes` needs index names or a key pattern".into()),
            };
            Ok(Action::DropIndexes { collection, index })
        }
        "drop" => {
            at_most(&args, 0, method)?;
            Ok(Action::Drop { collection })
        }
        "renameCollection" => {
            let args = at_most(&args, 2, method)?;
            let to = match args.first() {
                Some(Bson::String(s)) => s.clone(),
                _ => return Err("`renameCollection` needs the new name as a string".into()),
            };
            collection_name(&to)?;
            let drop_target = match args.get(1) {
                None => false,
                Some(Bson::Boolean(b)) => *b,
                Some(_) => return Err("`dropTarget` must be true or false".into()),
            };
            Ok(Action::Rename {
                collection,
                to,
                drop_target,
            })
        }
        _ => Err(format!(
            "`{method}()` on a collection is outside the native subset"
        )),
    }
}

/// The driver's `hasAtomicOperators`: the first key of the document (or of any pipeline
/// stage) starts with `$`.
fn has_atomic_operators(update: &Bson) -> bool {
    match update {
        Bson::Document(d) => d.keys().next().is_some_and(|k| k.starts_with('$')),
        Bson::Array(stages) => stages.iter().any(has_atomic_operators),
        _ => false,
    }
}

/// Top-level write options in the driver's order: `bypassDocumentValidation`, `let`, `comment`.
fn write_options(options: &Document, method: &str) -> Result<Document, String> {
    let mut out = Document::new();
    if let Some(b) = bool_option(options, "bypassDocumentValidation", method)? {
        out.insert("bypassDocumentValidation", b);
    }
    match options.get("let") {
        None => {}
        Some(Bson::Document(l)) => {
            out.insert("let", l.clone());
        }
        Some(_) => return Err("`let` must be an object".into()),
    }
    if let Some(c) = options.get("comment") {
        out.insert("comment", c.clone());
    }
    Ok(out)
}

fn hint_option(options: &Document, method: &str) -> Result<Option<Bson>, String> {
    match options.get("hint") {
        None => Ok(None),
        Some(Bson::String(s)) if !s.is_empty() => Ok(Some(Bson::String(s.clone()))),
        Some(Bson::Document(d)) => Ok(Some(Bson::Document(d.clone()))),
        Some(_) => Err(format!(
            "`hint` of `{method}` must be an index name or key pattern"
        )),
    }
}

fn collation_option(options: &Document) -> Result<Option<Document>, String> {
    match options.get("collation") {
        None => Ok(None),
        Some(Bson::Document(c)) => Ok(Some(c.clone())),
        Some(_) => Err("`collation` must be an object".into()),
    }
}

/// An index specification as mongosh (`{...options, key}`) and the driver's
/// CreateIndexesOperation build it: the options in their order with `version` → `v` and the
/// camelCase language options renamed, then `name` (generated as `<field>_<value>_…` when
/// absent), then `key`.
fn index_spec(key: Document, options: &Document) -> Result<Document, String> {
    if key.is_empty() {
        return Err("an index needs at least one key".into());
    }
    let mut spec = Document::new();
    for (k, v) in options {
        let name = match k.as_str() {
            "commitQuorum" => continue,
            "version" => "v",
            "defaultLanguage" => "default_language",
            "languageOverride" => "language_override",
            other => other,
        };
        spec.insert(name, v.clone());
    }
    if !spec.contains_key("name") {
        let name = crate::command::default_index_name(&key).map_err(|field| {
            format!("index key `{field}` needs a `name` option in the native subset")
        })?;
        spec.insert("name", name);
    }
    spec.insert("key", key);
    Ok(spec)
}
