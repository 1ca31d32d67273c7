//! Which MongoDB-compatible platform a connection reaches, and the defaults lbmongo takes there.
//!
//! Many projects run on a server that speaks MongoDB's wire protocol without being MongoDB:
//! FerretDB, Amazon DocumentDB, Azure Cosmos DB for MongoDB. liquibase-mongodb treats them all as
//! MongoDB, so its users learn `supportsValidator=false` and `retryWrites=false` from failures
//! (issue 13). lbmongo identifies the platform at connect from what the server says and where it
//! is, and chooses its defaults from that; an explicit setting (flag, `liquibase.properties`,
//! `LIQUIBASE_*` environment) always wins over them.
//!
//! The markers, all from the platforms' public documentation:
//! - FerretDB answers `buildInfo` with a `ferretdbVersion` field beside the MongoDB version it
//!   emulates.
//! - Amazon DocumentDB's endpoints are `*.docdb.amazonaws.com` (and `*.docdb-elastic.amazonaws.com`
//!   for elastic clusters); its `hello` lists the cluster's instances by those names in `hosts`,
//!   `me` and `primary`, so a connection through an SSH tunnel to `localhost` is recognised too.
//! - Azure Cosmos DB for MongoDB's endpoints are `*.mongo.cosmos.azure.com` (RU) and
//!   `*.mongocluster.cosmos.azure.com` (vCore), both under `*.cosmos.azure.com`; the RU API
//!   names its replica set `globaldb`.
//!
//! Whether transactions work is never inferred from the platform or from `setName` (FerretDB
//! reports a replica-set name with `--repl-set-name` but rejects `startTransaction`): the
//! connection probes it ([`crate::execute::transactions_work`]).

use mongodb::bson::{Bson, Document};

/// A MongoDB-compatible server family lbmongo knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformKind {
    /// MongoDB itself, or a server that gives no marker of another platform.
    MongoDb,
    /// FerretDB (`buildInfo.ferretdbVersion`).
    FerretDb,
    /// Amazon DocumentDB (`*.docdb.amazonaws.com`).
    DocumentDb,
    /// Azure Cosmos DB for MongoDB (`*.cosmos.azure.com`, replica set `globaldb`).
    CosmosDb,
}

impl PlatformKind {
    /// The platform's name as messages and `--output json` show it.
    pub fn name(self) -> &'static str {
        match self {
            PlatformKind::MongoDb => "MongoDB",
            PlatformKind::FerretDb => "FerretDB",
            PlatformKind::DocumentDb => "Amazon DocumentDB",
            PlatformKind::CosmosDb => "Azure Cosmos DB",
        }
    }

    /// The platform's short identifier (`mongodb`, `ferretdb`, `documentdb`, `cosmosdb`).
    pub fn id(self) -> &'static str {
        match self {
            PlatformKind::MongoDb => "mongodb",
            PlatformKind::FerretDb => "ferretdb",
            PlatformKind::DocumentDb => "documentdb",
            PlatformKind::CosmosDb => "cosmosdb",
        }
    }

    /// Every platform, in the order `--platform` lists them.
    pub const ALL: [PlatformKind; 4] = [
        PlatformKind::MongoDb,
        PlatformKind::DocumentDb,
        PlatformKind::CosmosDb,
        PlatformKind::FerretDb,
    ];

    /// The platform of a short identifier ([`PlatformKind::id`]), any case.
    pub fn from_id(id: &str) -> Option<PlatformKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.id().eq_ignore_ascii_case(id.trim()))
    }

    /// The `retryWrites` the driver should use when the user sets none: `false` where the
    /// platform rejects retryable writes (DocumentDB, Cosmos DB: both document
    /// `retryWrites=false` in their connection strings), else the driver's default.
    pub fn retry_writes(self) -> Option<bool> {
        match self {
            PlatformKind::DocumentDb | PlatformKind::CosmosDb => Some(false),
            PlatformKind::MongoDb | PlatformKind::FerretDb => None,
        }
    }
}

impl PlatformKind {
    /// How the lock is taken when the user sets nothing: through claims (inserts on the unique
    /// `_id`) on FerretDB v1, whose conditional updates are a read then a write (8 racing
    /// `update {_id: 1, locked: false}` had several winners in every trial, issue 13), and the
    /// official extension's conditional update everywhere else.
    pub fn lock_strategy(self) -> LockStrategy {
        match self {
            PlatformKind::FerretDb => LockStrategy::Claims,
            PlatformKind::MongoDb | PlatformKind::DocumentDb | PlatformKind::CosmosDb => {
                LockStrategy::ConditionalUpdate
            }
        }
    }
}

/// How the lock document (`crate::lock`) is taken and given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStrategy {
    /// An update conditioned on `locked: false` (atomic on MongoDB, DocumentDB, Cosmos DB).
    ConditionalUpdate,
    /// An insert on the unique `_id` (a claim) before every write, for servers whose
    /// conditional updates are not atomic (FerretDB v1).
    Claims,
}

/// What the connection found out about the server's platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// The server family.
    pub kind: PlatformKind,
    /// The version the server reports: FerretDB's own (`ferretdbVersion`), else `buildInfo.version`.
    pub version: Option<String>,
    /// Whether a transaction could be started and aborted on this connection (the probe).
    pub transactions: bool,
}

impl Platform {
    /// The platform of a server lbmongo has not asked (MongoDB, no transactions).
    pub fn unknown() -> Self {
        Self {
            kind: PlatformKind::MongoDb,
            version: None,
            transactions: false,
        }
    }

    /// Whether the tracking collections get their `$jsonSchema` validators when
    /// `supportsValidator` is not set: not on FerretDB (no `collMod`, no validators) nor Cosmos
    /// DB (no validators), on DocumentDB from 5.0 (where `$jsonSchema` validation arrived).
    pub fn supports_validator(&self) -> bool {
        self.lacks(Feature::Validator).is_none()
    }

    /// The server's major version (`5` of `5.0.0`; FerretDB's `v1.24.2` is `1`), if known.
    fn major(&self) -> Option<u32> {
        self.version
            .as_deref()
            .map(|v| v.trim_start_matches('v'))
            .and_then(|v| v.split('.').next())
            .and_then(|major| major.parse::<u32>().ok())
    }

    /// The rule of this platform's table that `feature` breaks, if any. A rule with `since`
    /// holds below that major version and when the version is unknown (a platform named with
    /// `--platform` and no connection): a check that cannot know must not pass.
    pub fn lacks(&self, feature: Feature) -> Option<&'static Rule> {
        rules(self.kind)
            .iter()
            .find(|r| r.feature == feature)
            .filter(|r| match (r.since, self.major()) {
                (Some(since), Some(major)) => major < since,
                _ => true,
            })
    }

    /// One line for humans: `FerretDB v1.24.2 (transactions: no)`.
    pub fn describe(&self) -> String {
        let version = self
            .version
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let transactions = if self.transactions { "yes" } else { "no" };
        format!(
            "{}{version} (transactions: {transactions}, tracking validators: {})",
            self.kind.name(),
            if self.supports_validator() {
                "yes"
            } else {
                "no"
            }
        )
    }
}

/// What a server command can ask of the server that some platform lacks: what the preflight
/// (`preflight`) finds in the commands a changelog sends, and what each platform's
/// table below names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// A collection validator (`validator`, `validationLevel`, `validationAction` of `create`
    /// or `collMod`).
    Validator,
    /// A collation (collection, index, or an operation's).
    Collation,
    /// A TTL index (`expireAfterSeconds`) on a field other than Cosmos DB's `_ts`.
    TtlIndex,
    /// A TTL index on `_ts`, the one TTL index Cosmos DB has.
    TtlIndexOnTs,
    /// A partial index (`partialFilterExpression`).
    PartialIndex,
    /// A sparse index.
    SparseIndex,
    /// A text index (`"text"` keys, `weights`, `default_language`, `language_override`).
    TextIndex,
    /// A hashed index.
    HashedIndex,
    /// A `2dsphere` index.
    SphereIndex,
    /// A `2d` index.
    FlatGeoIndex,
    /// A hidden index.
    HiddenIndex,
    /// A view (`create` with `viewOn`).
    View,
    /// A time-series collection.
    TimeSeries,
    /// A clustered collection (`clusteredIndex`).
    Clustered,
    /// A capped collection (`capped`, `convertToCapped`, `cloneCollectionAsCapped`).
    Capped,
    /// `collMod` changing anything but the validator or an index's `expireAfterSeconds`.
    CollMod,
    /// A Decimal128 value anywhere in the command.
    Decimal128,
}

impl Feature {
    /// What the feature is, in findings.
    pub fn label(self) -> &'static str {
        match self {
            Feature::Validator => "a validator",
            Feature::Collation => "a collation",
            Feature::TtlIndex => "a TTL index",
            Feature::TtlIndexOnTs => "a TTL index on `_ts`",
            Feature::PartialIndex => "a partial index",
            Feature::SparseIndex => "a sparse index",
            Feature::TextIndex => "a text index",
            Feature::HashedIndex => "a hashed index",
            Feature::SphereIndex => "a 2dsphere index",
            Feature::FlatGeoIndex => "a 2d index",
            Feature::HiddenIndex => "a hidden index",
            Feature::View => "a view",
            Feature::TimeSeries => "a time-series collection",
            Feature::Clustered => "a clustered collection",
            Feature::Capped => "a capped collection",
            Feature::CollMod => "`collMod`",
            Feature::Decimal128 => "a Decimal128 value",
        }
    }
}

/// One line of a platform's table: a feature it lacks (below major version `since`, when set)
/// and what to do instead.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// The feature.
    pub feature: Feature,
    /// The first major version that has it, if any does.
    pub since: Option<u32>,
    /// The hint a finding gives.
    pub hint: &'static str,
}

const fn lacks(feature: Feature, hint: &'static str) -> Rule {
    Rule {
        feature,
        since: None,
        hint,
    }
}

const fn lacks_before(feature: Feature, since: u32, hint: &'static str) -> Rule {
    Rule {
        feature,
        since: Some(since),
        hint,
    }
}

/// FerretDB v1.24.2 (SQLite backend), as it answers, checked against the server the tests run:
/// `create` with `validator`/`validationLevel`/`validationAction`, `collation`, `viewOn` or
/// `timeseries`, the index options `expireAfterSeconds`, `partialFilterExpression`,
/// `collation`, `hidden` and `weights`, and `collMod` itself answer 238 `NotImplemented`;
/// `text`, `hashed`, `2dsphere` and `2d` keys answer 27 `IndexNotFound`; `clusteredIndex` is
/// accepted but not kept (`listCollections` shows no option); a Decimal128 value makes it drop
/// the connection. `capped` (with `size`/`max`) and `sparse` are accepted.
const FERRETDB: &[Rule] = &[
    lacks(
        Feature::Validator,
        "FerretDB has no validators (nor `collMod`): remove the validator, or check documents in the application",
    ),
    lacks(
        Feature::Collation,
        "FerretDB has no collations: remove the collation (compare a lowercased copy of the field instead)",
    ),
    lacks(
        Feature::TtlIndex,
        "FerretDB has no TTL indexes: delete expired documents from a scheduled job",
    ),
    lacks(
        Feature::TtlIndexOnTs,
        "FerretDB has no TTL indexes: delete expired documents from a scheduled job",
    ),
    lacks(
        Feature::PartialIndex,
        "FerretDB has no partial indexes: index the whole field",
    ),
    lacks(Feature::TextIndex, "FerretDB has no text indexes"),
    lacks(Feature::HashedIndex, "FerretDB has no hashed indexes"),
    lacks(Feature::SphereIndex, "FerretDB has no geospatial indexes"),
    lacks(Feature::FlatGeoIndex, "FerretDB has no geospatial indexes"),
    lacks(
        Feature::HiddenIndex,
        "FerretDB has no hidden indexes: drop the index instead",
    ),
    lacks(Feature::View, "FerretDB has no views"),
    lacks(
        Feature::TimeSeries,
        "FerretDB has no time-series collections",
    ),
    lacks(
        Feature::Clustered,
        "FerretDB accepts `clusteredIndex` but ignores it: create an ordinary collection",
    ),
    lacks(
        Feature::CollMod,
        "FerretDB has no `collMod`: drop and recreate what it would change",
    ),
    lacks(
        Feature::Decimal128,
        "FerretDB v1 drops the connection on a Decimal128 value: store the amount as an integer of cents or as a string",
    ),
];

/// Amazon DocumentDB, from its developer guide: "Functional differences: Amazon DocumentDB and
/// MongoDB" and "Supported MongoDB APIs, operations, and data types" (capped collections,
/// `convertToCapped`, `cloneCollectionAsCapped`: no; `collMod`: partial, `expireAfterSeconds`
/// and, from 5.0, the validator; `createView`: from 8.0; time-series data: no), "Partial
/// index" (5.0 instance-based clusters), "Using Collation in Amazon DocumentDB 8.0", JSON
/// schema validation (`$jsonSchema`) from 5.0, text indexes from 5.0.
const DOCUMENTDB: &[Rule] = &[
    lacks_before(
        Feature::Validator,
        5,
        "Amazon DocumentDB has `$jsonSchema` validators from 5.0: upgrade the cluster, or remove the validator",
    ),
    lacks_before(
        Feature::Collation,
        8,
        "Amazon DocumentDB has collations from 8.0: upgrade the cluster, or remove the collation",
    ),
    lacks_before(
        Feature::PartialIndex,
        5,
        "Amazon DocumentDB has partial indexes from 5.0 (instance-based clusters)",
    ),
    lacks_before(
        Feature::TextIndex,
        5,
        "Amazon DocumentDB has text indexes from 5.0",
    ),
    lacks_before(Feature::View, 8, "Amazon DocumentDB has views from 8.0"),
    lacks(
        Feature::TimeSeries,
        "Amazon DocumentDB has no time-series collections",
    ),
    lacks(
        Feature::Capped,
        "Amazon DocumentDB has no capped collections: expire documents with a TTL index instead",
    ),
    lacks(
        Feature::CollMod,
        "Amazon DocumentDB's `collMod` changes only a TTL index's `expireAfterSeconds` and the validator",
    ),
];

/// Azure Cosmos DB for MongoDB (RU), from "Azure Cosmos DB for MongoDB (4.0/4.2 server
/// version): supported features and syntax" and "Manage indexing in Azure Cosmos DB for
/// MongoDB": `collMod`, `convertToCapped`, `cloneCollectionAsCapped`: no; `$jsonSchema`: no;
/// index properties Partial, Sparse, Case Insensitive: no; text and `2d` indexes: no; a TTL
/// index only on the `_ts` field.
const COSMOSDB: &[Rule] = &[
    lacks(
        Feature::Validator,
        "Azure Cosmos DB has no validators (`$jsonSchema`): check documents in the application",
    ),
    lacks(
        Feature::Collation,
        "Azure Cosmos DB has no collations (case-insensitive indexes)",
    ),
    lacks(
        Feature::TtlIndex,
        "Azure Cosmos DB's only TTL index is on `_ts`: index `{_ts: 1}` with `expireAfterSeconds`",
    ),
    lacks(
        Feature::PartialIndex,
        "Azure Cosmos DB has no partial indexes",
    ),
    lacks(
        Feature::SparseIndex,
        "Azure Cosmos DB has no sparse indexes",
    ),
    lacks(
        Feature::TextIndex,
        "Azure Cosmos DB has no text indexes (use Azure AI Search)",
    ),
    lacks(
        Feature::FlatGeoIndex,
        "Azure Cosmos DB has no 2d indexes: use 2dsphere",
    ),
    lacks(Feature::Capped, "Azure Cosmos DB has no capped collections"),
    lacks(Feature::CollMod, "Azure Cosmos DB has no `collMod`"),
];

/// The table of what `kind` lacks.
pub(crate) fn rules(kind: PlatformKind) -> &'static [Rule] {
    match kind {
        PlatformKind::MongoDb => &[],
        PlatformKind::FerretDb => FERRETDB,
        PlatformKind::DocumentDb => DOCUMENTDB,
        PlatformKind::CosmosDb => COSMOSDB,
    }
}

/// The platform named by host names alone (the URL's, before connecting), if any.
pub(crate) fn from_hosts<'a>(hosts: impl IntoIterator<Item = &'a str>) -> Option<PlatformKind> {
    hosts.into_iter().find_map(|host| {
        // `host:port`, any case; a trailing dot is a fully qualified name.
        let name = host
            .rsplit_once(':')
            .map_or(host, |(name, _)| name)
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if name.ends_with(".docdb.amazonaws.com") || name.ends_with(".docdb-elastic.amazonaws.com")
        {
            Some(PlatformKind::DocumentDb)
        } else if name.ends_with(".cosmos.azure.com") {
            Some(PlatformKind::CosmosDb)
        } else {
            None
        }
    })
}

/// The hosts of a `mongodb://` URL's authority (after any credentials).
pub(crate) fn url_hosts(url: &str) -> Vec<&str> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or_default();
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    hosts.split(',').filter(|h| !h.is_empty()).collect()
}

/// Identifies the platform from the URL's hosts and the server's `hello` and `buildInfo`
/// answers (`build_info` is `None` when the server refused the command).
pub(crate) fn identify(url: &str, hello: &Document, build_info: Option<&Document>) -> Platform {
    let reported = build_info.and_then(|b| b.get_str("version").ok().map(str::to_owned));
    if let Some(version) = build_info.and_then(|b| b.get_str("ferretdbVersion").ok()) {
        return Platform {
            kind: PlatformKind::FerretDb,
            version: Some(version.to_owned()),
            transactions: false,
        };
    }
    let mut hello_hosts: Vec<&str> = Vec::new();
    for key in ["hosts", "passives", "arbiters"] {
        if let Ok(list) = hello.get_array(key) {
            hello_hosts.extend(list.iter().filter_map(Bson::as_str));
        }
    }
    for key in ["me", "primary"] {
        if let Ok(host) = hello.get_str(key) {
            hello_hosts.push(host);
        }
    }
    let kind = from_hosts(url_hosts(url))
        .or_else(|| from_hosts(hello_hosts))
        .or_else(|| {
            (hello.get_str("setName").ok() == Some("globaldb")).then_some(PlatformKind::CosmosDb)
        })
        .unwrap_or(PlatformKind::MongoDb);
    Platform {
        kind,
        version: reported,
        transactions: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    // Answers as the platforms document them (trimmed to the fields that matter).

    fn mongodb_hello() -> Document {
        doc! {
            "isWritablePrimary": true, "setName": "rs0", "hosts": ["db0.example.net:27017"],
            "me": "db0.example.net:27017", "primary": "db0.example.net:27017",
            "maxWireVersion": 21, "ok": 1.0,
        }
    }

    #[test]
    fn ferretdb_is_named_by_build_info() {
        // FerretDB 1.24 with `--repl-set-name rs0`: its `hello` looks like MongoDB's.
        let hello =
            doc! { "isWritablePrimary": true, "setName": "rs0", "maxWireVersion": 21, "ok": 1.0 };
        let build_info = doc! {
            "version": "7.0.77", "gitVersion": "", "versionArray": [7, 0, 77, 0],
            "ferretdbVersion": "v1.24.2", "ferretdbFeatures": { "sqlite": true }, "ok": 1.0,
        };
        let platform = identify("mongodb://127.0.0.1:27017/db", &hello, Some(&build_info));
        assert_eq!(platform.kind, PlatformKind::FerretDb);
        assert_eq!(platform.version.as_deref(), Some("v1.24.2"));
        assert!(!platform.supports_validator());
        assert_eq!(platform.kind.retry_writes(), None);
    }

    #[test]
    fn documentdb_is_named_by_its_endpoint_or_its_instances() {
        let build_info = doc! { "version": "5.0.0", "ok": 1.0 };
        let hello = doc! {
            "isWritablePrimary": true, "setName": "rs0",
            "hosts": ["docdb-2024-01-01.abc123.us-east-1.docdb.amazonaws.com:27017"],
            "me": "docdb-2024-01-01.abc123.us-east-1.docdb.amazonaws.com:27017",
            "maxWireVersion": 13, "ok": 1.0,
        };
        let url = "mongodb://u:p@docdb-2024.cluster-abc123.us-east-1.docdb.amazonaws.com:27017/db?tls=true&replicaSet=rs0";
        let direct = identify(url, &mongodb_hello(), Some(&build_info));
        assert_eq!(direct.kind, PlatformKind::DocumentDb);
        assert!(direct.supports_validator(), "5.0 has $jsonSchema");
        // Through an SSH tunnel the URL says localhost; the instances still name the platform.
        let tunnel = identify("mongodb://localhost:27017/db", &hello, Some(&build_info));
        assert_eq!(tunnel.kind, PlatformKind::DocumentDb);
        let old = identify(url, &hello, Some(&doc! { "version": "4.0.0", "ok": 1.0 }));
        assert!(!old.supports_validator(), "4.0 has no validators");
        assert_eq!(PlatformKind::DocumentDb.retry_writes(), Some(false));
    }

    #[test]
    fn cosmos_db_is_named_by_its_endpoint_or_its_replica_set() {
        let ru = "mongodb://acct:key@acct.mongo.cosmos.azure.com:10255/db?ssl=true&replicaSet=globaldb&retrywrites=false";
        let hello = doc! { "isWritablePrimary": true, "setName": "globaldb", "maxWireVersion": 13, "ok": 1.0 };
        let build_info = doc! { "version": "4.2.0", "ok": 1.0 };
        assert_eq!(
            identify(ru, &hello, Some(&build_info)).kind,
            PlatformKind::CosmosDb
        );
        let vcore = "mongodb+srv://u:p@c.mongocluster.cosmos.azure.com/db?tls=true";
        let platform = identify(vcore, &mongodb_hello(), Some(&build_info));
        assert_eq!(platform.kind, PlatformKind::CosmosDb);
        assert!(!platform.supports_validator());
        assert_eq!(platform.kind.retry_writes(), Some(false));
        assert_eq!(
            identify("mongodb://10.0.0.4:10255/db", &hello, None).kind,
            PlatformKind::CosmosDb
        );
    }

    #[test]
    fn mongodb_is_the_default() {
        let platform = identify(
            "mongodb://db0.example.net/db",
            &mongodb_hello(),
            Some(&doc! { "version": "7.0.12", "ok": 1.0 }),
        );
        assert_eq!(platform.kind, PlatformKind::MongoDb);
        assert!(platform.supports_validator());
        assert_eq!(platform.kind.retry_writes(), None);
        assert_eq!(
            identify("mongodb://h/db", &doc! { "ok": 1.0 }, None).kind,
            PlatformKind::MongoDb
        );
    }

    #[test]
    fn host_patterns_ignore_case_ports_and_lookalikes() {
        assert_eq!(
            from_hosts(["X.DOCDB.AMAZONAWS.COM.:27017"]),
            Some(PlatformKind::DocumentDb)
        );
        assert_eq!(from_hosts(["docdb.amazonaws.com.evil.example"]), None);
        assert_eq!(from_hosts(["notcosmos.azure.com"]), None);
        assert_eq!(
            url_hosts("mongodb://u:p@a:1,b:2/db?x=1"),
            vec!["a:1", "b:2"]
        );
    }
}
