//! Connection URLs: database name, credentials, `retryWrites`, masking, and opening a client.
//!
//! Mirrors liquibase-mongodb's `MongoConnection` / `MongoClientDriver` (spec mongo §8): the
//! database must be in the URL path; `--username`/`--password` are form-URL-encoded and spliced
//! in after the scheme; `retryWrites` is rewritten or appended only when configured. Unlike the
//! extension, no message ever shows a password.

use std::time::Duration;

use mongodb::Client;
use mongodb::bson::{Document, doc};
use mongodb::options::{ClientOptions, ReadPreference, SelectionCriteria, WriteConcern};

use crate::error::{Error, Result};
use crate::platform::{self, Platform, PlatformKind};
use crate::redact::mask;

/// What the user gave to reach the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionOptions {
    /// `mongodb://…` or `mongodb+srv://…`, database in the path.
    pub url: String,
    /// `--username`, spliced into the URL.
    pub username: Option<String>,
    /// `--password`, spliced into the URL (only with a username).
    pub password: Option<String>,
    /// `liquibase.mongodb.retryWrites`, applied only when set.
    pub retry_writes: Option<bool>,
    /// Driver application name (`appName`); defaults to `lbmongo_<version>`.
    pub app_name: Option<String>,
    /// Server selection timeout; `None` keeps the driver default (30 s).
    pub server_selection_timeout: Option<Duration>,
    /// `--platform` when it names a platform other than MongoDB: taken instead of the detected
    /// one, with its defaults (`retryWrites`, tracking validators). `mongodb` only turns the
    /// preflight off ([`crate::Settings::platform`]): the server's own defaults still apply.
    pub platform: Option<PlatformKind>,
}

/// An open connection: the client, the URL's database and what the server is.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The driver client.
    pub client: Client,
    /// The database named in the URL.
    pub database: String,
    /// The URL with the password masked, for messages.
    pub display_url: String,
    /// The user name, if any (Liquibase prints `<USER>@<url>`).
    pub user: Option<String>,
    /// Whether the server is a replica set member or a mongos (majority writes and primary
    /// reads for history and lock then).
    pub distributed: bool,
    /// The platform the server is (MongoDB, FerretDB, DocumentDB, Cosmos DB), and whether the
    /// transaction probe succeeded.
    pub platform: Platform,
}

impl Connection {
    /// Shuts the client down: ends its server sessions and stops its background workers.
    ///
    /// A process should call this before its async runtime goes away. Dropping the last
    /// handle instead spawns the session clean-up as a task, which a runtime shutting down can
    /// cut off halfway — the driver then panics in that task and prints a backtrace after the
    /// command's own output.
    pub async fn close(self) {
        self.client.shutdown().await;
    }

    /// Opens a client for the URL and asks the server what it is.
    pub async fn open(options: &ConnectionOptions) -> Result<Connection> {
        let url = effective_url(options)?;
        let display_url = mask(&url);
        let database = database_name(&url)?;
        let mut client_options = ClientOptions::parse(&url)
            .await
            .map_err(|e| Error::Config {
                message: format!(
                    "invalid connection URL `{display_url}`: {}",
                    crate::error::describe(&e)
                ),
                hint: None,
            })?;
        // As liquibase-mongodb (OFF) sets `applicationName`, so server logs show the tool.
        client_options.app_name = Some(
            options
                .app_name
                .clone()
                .unwrap_or_else(|| format!("lbmongo_{}", env!("CARGO_PKG_VERSION"))),
        );
        if let Some(timeout) = options.server_selection_timeout {
            client_options.server_selection_timeout = Some(timeout);
        }
        let user = client_options
            .credential
            .as_ref()
            .and_then(|c| c.username.clone());
        // The driver retries writes by default; DocumentDB and Cosmos DB refuse retryable writes,
        // and their documented connection strings carry `retryWrites=false`. Neither a
        // `retryWrites` setting nor one in the URL is overridden.
        let retry_explicit =
            options.retry_writes.is_some() || client_options.retry_writes.is_some();
        let declared = options.platform.filter(|k| *k != PlatformKind::MongoDb);
        if !retry_explicit
            && let Some(retry) = declared
                .or_else(|| platform::from_hosts(platform::url_hosts(&url)))
                .and_then(|k| k.retry_writes())
        {
            client_options.retry_writes = Some(retry);
        }
        let mut client =
            Client::with_options(client_options.clone()).map_err(|e| Error::from_driver(&e))?;
        let hello = crate::execute::send(&client, "admin", doc! { "hello": 1 }, None)
            .await
            .map_err(|e| {
                // The driver waits serverSelectionTimeoutMS (30 s by default, as the Java driver
                // Liquibase uses) before giving up: say how to shorten that wait.
                let hint = match e.kind.as_ref() {
                    mongodb::error::ErrorKind::ServerSelection { .. } => {
                        "\nhint: check that a server listens at the URL's hosts and ports (and \
                         whether it expects TLS); `--server-selection-timeout-seconds` or the \
                         URL's `serverSelectionTimeoutMS` sets how long to wait for one"
                    }
                    _ => "",
                };
                match Error::from_driver(&e) {
                    server @ Error::Server(_) => {
                        server.within(format!("cannot connect to {display_url}"))
                    }
                    other => {
                        Error::Connection(format!("cannot connect to {display_url}: {other}{hint}"))
                    }
                }
            })?;
        // A server that refuses `buildInfo` (some need authentication for it) is taken for
        // MongoDB unless its hosts say otherwise.
        let build_info = crate::execute::send(&client, "admin", doc! { "buildInfo": 1 }, None)
            .await
            .ok();
        let mut platform = platform::identify(&url, &hello, build_info.as_ref());
        if let Some(kind) = declared
            && kind != platform.kind
        {
            platform.kind = kind;
            platform.version = build_info
                .as_ref()
                .and_then(|b| b.get_str("version").ok())
                .map(str::to_owned);
        }
        if !retry_explicit
            && client_options.retry_writes.is_none()
            && let Some(retry) = platform.kind.retry_writes()
        {
            // Identified by its answers only (a tunnel to localhost): reopen without retries.
            client_options.retry_writes = Some(retry);
            let reopened =
                Client::with_options(client_options).map_err(|e| Error::from_driver(&e))?;
            std::mem::replace(&mut client, reopened).shutdown().await;
        }
        let distributed = is_distributed(&hello);
        // Only a replica set or a sharded cluster can run transactions at all; there the probe
        // decides, never `setName` alone (FerretDB reports one and rejects transactions).
        platform.transactions = distributed
            && crate::execute::transactions_work(&client, &database, "DATABASECHANGELOGLOCK").await;
        Ok(Connection {
            client,
            database,
            display_url,
            user,
            distributed,
            platform,
        })
    }

    /// Opens a client for a fleet's cluster (issue 14). The URL may name no database
    /// (`mongodb://host:27017/`): a fleet names its databases itself. The connection then
    /// stands for `admin`, which the fleet only lists databases through.
    pub async fn open_cluster(options: &ConnectionOptions) -> Result<Connection> {
        let url = effective_url(options)?;
        if database_name(&url).is_ok() {
            return Self::open(options).await;
        }
        let mut with_admin = options.clone();
        with_admin.url = with_database(&options.url, "admin");
        Self::open(&with_admin).await
    }

    /// The same client (and its pool) on database `name` of the same cluster: what a fleet runs
    /// each database's command on. The platform is the cluster's, detected once when it was
    /// opened; the transaction probe runs again here, as `open` runs it on the URL's own
    /// database, so a fleet database behaves exactly as a single-database run on it.
    pub async fn for_database(&self, name: &str) -> Connection {
        let mut platform = self.platform.clone();
        platform.transactions = self.distributed
            && crate::execute::transactions_work(&self.client, name, "DATABASECHANGELOGLOCK").await;
        Connection {
            client: self.client.clone(),
            database: name.to_owned(),
            display_url: with_database(&self.display_url, name),
            user: self.user.clone(),
            distributed: self.distributed,
            platform,
        }
    }

    /// The server's version (`buildInfo.version`, `Unknown` when it gives none), as Liquibase
    /// shows it for the database.
    pub async fn server_version(&self) -> Result<String> {
        let response =
            crate::execute::run_command(&self.client, "admin", doc! { "buildInfo": 1 }).await?;
        Ok(response.get_str("version").unwrap_or("Unknown").to_owned())
    }

    /// Write concern for history and lock writes: majority on replica sets and sharded clusters,
    /// so a failover cannot lose a record of what ran; the server default elsewhere.
    pub fn tracking_write_concern(&self) -> Option<WriteConcern> {
        self.distributed.then(WriteConcern::majority)
    }

    /// Read preference for history and lock reads: always the primary.
    pub fn tracking_selection(&self) -> SelectionCriteria {
        SelectionCriteria::ReadPreference(ReadPreference::Primary)
    }

    /// `<USER>@<hosts>` as Liquibase names the target in messages (`getConnectionUserName()@
    /// getURL()`, where liquibase-mongodb's `getURL` is the comma-joined host list); the user part
    /// is empty without credentials.
    pub fn target(&self) -> String {
        format!("{}@{}", self.user.as_deref().unwrap_or(""), self.hosts())
    }

    /// The comma-joined host list of the URL (liquibase-mongodb `MongoConnection.getURL`).
    pub fn hosts(&self) -> String {
        let after_scheme = self
            .display_url
            .split_once("://")
            .map_or(self.display_url.as_str(), |(_, r)| r);
        let authority = after_scheme.split(['/', '?']).next().unwrap_or_default();
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, hosts)| hosts)
            .to_owned()
    }
}

fn is_distributed(hello: &Document) -> bool {
    hello.contains_key("setName") || hello.get_str("msg").is_ok_and(|m| m == "isdbgrid")
}

/// The URL after splicing credentials and `retryWrites`, as liquibase-mongodb builds it.
pub fn effective_url(options: &ConnectionOptions) -> Result<String> {
    let url = options.url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(bad_url(url));
    };
    if scheme != "mongodb" && scheme != "mongodb+srv" {
        return Err(bad_url(url));
    }
    let mut url = url.to_owned();
    // As MongoConnection.injectCredentials: a non-blank user (and its password, if any) goes
    // right after the scheme, URL-encoded. Java's URLEncoder writes a space as `+`, which the
    // Java driver decodes back to a space; the Rust driver percent-decodes only and would keep
    // the `+`, so a space is written `%20`, which both drivers read as a space.
    if let Some(user) = options.username.as_deref().filter(|u| !u.trim().is_empty()) {
        let mut credentials = userinfo_encode(user);
        if let Some(password) = options.password.as_deref() {
            credentials.push(':');
            credentials.push_str(&userinfo_encode(password));
        }
        url = format!("{scheme}://{credentials}@{rest}");
    }
    if let Some(retry) = options.retry_writes {
        url = with_retry_writes(&url, retry);
    }
    Ok(url)
}

/// Liquibase's Maven plugin (`liquibase-maven-plugin` 4.33.0) hands an unset `username` and
/// `password` to the connection as the text `null`, which spliced into the URL makes a credential
/// for a user named `null` and fails authentication on a server without it (liquibase-mongodb
/// does exactly that). When the URL carries no credentials of its own, a `null` username (and a
/// `null` password with it) is dropped: no user is called `null` on purpose while the URL
/// names none. Returns the line the caller logs, or `None` when nothing was dropped.
pub fn drop_unset_null_credentials(options: &mut ConnectionOptions) -> Option<String> {
    if options.username.as_deref() != Some("null") || url_has_credentials(&options.url) {
        return None;
    }
    options.username = None;
    if options.password.as_deref() == Some("null") {
        options.password = None;
    }
    Some(
        "username `null` (how Liquibase's Maven plugin passes an unset username) is treated as \
         no username: the URL carries no credentials"
            .to_owned(),
    )
}

/// Whether the URL's authority holds a `user[:password]@` part.
fn url_has_credentials(url: &str) -> bool {
    let rest = url.trim().split_once("://").map_or("", |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    authority.contains('@')
}

fn bad_url(url: &str) -> Error {
    Error::Config {
        message: format!("`{}` is not a MongoDB URL", mask(url)),
        hint: Some(
            "use `mongodb://host:port/database` or `mongodb+srv://host/database`".to_owned(),
        ),
    }
}

/// Rewrites the first `retryWrites=…` or appends it, as `MongoClientDriver` (OFF) does.
fn with_retry_writes(url: &str, retry: bool) -> String {
    if let Some(start) = url.find("retryWrites=") {
        let value_start = start + "retryWrites=".len();
        let end = url[value_start..]
            .find('&')
            .map_or(url.len(), |i| value_start + i);
        format!("{}{retry}{}", &url[..value_start], &url[end..])
    } else {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}retryWrites={retry}")
    }
}

/// `url` with its path (the database) replaced by `name`, options kept:
/// `mongodb://u:p@h:1/old?x=1` → `mongodb://u:p@h:1/name?x=1`.
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The authority ends at the first `/` or `?` after the last `@` (a password may hold `/`
    // only percent-encoded, so the first `/` after the userinfo starts the path).
    let hosts_start = rest.rfind('@').map_or(0, |at| at + 1);
    let authority_end = rest[hosts_start..]
        .find(['/', '?'])
        .map_or(rest.len(), |i| hosts_start + i);
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find('?').map_or("", |q| &tail[q..]);
    format!("{scheme}://{authority}/{}{query}", path_encode(name))
}

/// A database name as a URL path segment: unreserved characters kept, every other byte `%XX`,
/// which [`database_name`]'s decoding turns back into the name.
fn path_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The database named in the URL path.
pub(crate) fn database_name(url: &str) -> Result<String> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme
        .rsplit_once('@')
        .map_or(after_scheme, |(_, hosts)| hosts)
        .split_once('/')
        .map(|(_, path)| path.split('?').next().unwrap_or_default());
    match path {
        // As the Java driver's ConnectionString (URLDecoder), so both tools name the same database.
        Some(name) if !name.is_empty() => Ok(crate::java::url_decode(name)),
        _ => Err(Error::Config {
            message: format!("database not specified in URL `{}`", mask(url)),
            hint: Some("add the database to the URL path: `mongodb://host:27017/mydb`".to_owned()),
        }),
    }
}

/// Java's `URLEncoder.encode(s, UTF_8)`: unreserved `A-Za-z0-9.-*_` kept, space as `+`,
/// everything else `%XX`.
fn userinfo_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_replaces_only_the_path() {
        assert_eq!(
            with_database(
                "mongodb://u:p%2Fw@h:1,h2:2/old?replicaSet=rs&w=1",
                "tenant_1"
            ),
            "mongodb://u:p%2Fw@h:1,h2:2/tenant_1?replicaSet=rs&w=1"
        );
        assert_eq!(with_database("mongodb://h:1", "a b"), "mongodb://h:1/a%20b");
        assert_eq!(
            with_database("mongodb+srv://h/?tls=true", "t"),
            "mongodb+srv://h/t?tls=true"
        );
        let url = with_database("mongodb://h:1/", "caf\u{e9}-x");
        assert_eq!(database_name(&url).expect("a name"), "caf\u{e9}-x");
    }

    #[test]
    fn maven_null_username_is_dropped_only_when_the_url_has_no_credentials() {
        let options = |url: &str, user: &str, password: Option<&str>| ConnectionOptions {
            url: url.to_owned(),
            username: Some(user.to_owned()),
            password: password.map(str::to_owned),
            ..ConnectionOptions::default()
        };
        let mut unset = options("mongodb://h:27017/db", "null", Some("null"));
        assert!(drop_unset_null_credentials(&mut unset).is_some());
        assert_eq!((unset.username, unset.password), (None, None));
        let mut in_url = options("mongodb://u:p@h:27017/db", "null", Some("null"));
        assert!(drop_unset_null_credentials(&mut in_url).is_none());
        assert_eq!(in_url.username.as_deref(), Some("null"));
        let mut real = options("mongodb://h:27017/db", "alice", Some("null"));
        assert!(drop_unset_null_credentials(&mut real).is_none());
        assert_eq!(real.password.as_deref(), Some("null"));
        // An `@` in the query (a tag value, say) is not a credential.
        let mut query = options("mongodb://h/db?appName=a@b", "null", None);
        assert!(drop_unset_null_credentials(&mut query).is_some());
    }

    fn opts(url: &str) -> ConnectionOptions {
        ConnectionOptions {
            url: url.to_owned(),
            ..ConnectionOptions::default()
        }
    }

    #[test]
    fn database_comes_from_the_url_path() {
        let cases = [
            ("mongodb://localhost:27017/shop", Some("shop")),
            ("mongodb://u:p@h1,h2/shop?replicaSet=rs", Some("shop")),
            (
                "mongodb+srv://cluster.example/db1?retryWrites=true",
                Some("db1"),
            ),
            ("mongodb://localhost:27017", None),
            ("mongodb://localhost:27017/", None),
            ("mongodb://localhost:27017/?tls=true", None),
        ];
        for (url, expected) in cases {
            assert_eq!(database_name(url).ok().as_deref(), expected, "{url}");
        }
        let err = database_name("mongodb://u:secret@h/").expect_err("no database");
        assert_eq!(
            err.to_string(),
            "database not specified in URL `mongodb://u:*****@h/`"
        );
    }

    #[test]
    fn credentials_are_spliced_after_the_scheme_percent_encoded() {
        let o = ConnectionOptions {
            username: Some("lb user".into()),
            password: Some("p@ss:w/rd".into()),
            ..opts("mongodb://h:1/db")
        };
        assert_eq!(
            effective_url(&o).expect("valid"),
            "mongodb://lb%20user:p%40ss%3Aw%2Frd@h:1/db"
        );
        let x509 = ConnectionOptions {
            username: Some("CN=me".into()),
            ..opts("mongodb://h/db")
        };
        assert_eq!(
            effective_url(&x509).expect("valid"),
            "mongodb://CN%3Dme@h/db"
        );
        let no_user = ConnectionOptions {
            password: Some("x".into()),
            ..opts("mongodb://h/db")
        };
        assert_eq!(effective_url(&no_user).expect("valid"), "mongodb://h/db");
    }

    #[test]
    fn retry_writes_is_rewritten_or_appended_only_when_set() {
        let cases = [
            ("mongodb://h/db", None, "mongodb://h/db"),
            (
                "mongodb://h/db",
                Some(false),
                "mongodb://h/db?retryWrites=false",
            ),
            (
                "mongodb://h/db?w=1",
                Some(false),
                "mongodb://h/db?w=1&retryWrites=false",
            ),
            (
                "mongodb://h/db?retryWrites=true&w=1",
                Some(false),
                "mongodb://h/db?retryWrites=false&w=1",
            ),
        ];
        for (url, retry, expected) in cases {
            let o = ConnectionOptions {
                retry_writes: retry,
                ..opts(url)
            };
            assert_eq!(effective_url(&o).expect("valid"), expected);
        }
    }

    #[test]
    fn other_schemes_are_refused() {
        let err = effective_url(&opts("jdbc:h2:mem:x")).expect_err("not mongodb");
        assert_eq!(err.to_string(), "`jdbc:h2:mem:x` is not a MongoDB URL");
    }
}
