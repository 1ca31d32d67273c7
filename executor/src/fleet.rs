//! Fleets: one changelog over many databases (issue 14).
//!
//! A fleet is a list of databases, on one cluster or several, that one command runs on, each
//! database with its own lock and history exactly as a single-database run writes them: the
//! runner only chooses the databases, shares one client per cluster, and runs the door's
//! per-database command `parallel` at a time. It knows no command: what runs on a database is
//! the door's closure over the engine's commands ([`crate::update`], [`crate::validate`], …),
//! so no rule of a command is copied here. Liquibase has no fleets; its users loop over URLs
//! (liquibase-mongodb#302), which is what each database here is equivalent to.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use mongodb::bson::doc;

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::redact::mask;

/// The databases a fleet never includes: the server's own (`admin`, `local`, `config`), which
/// hold users, the oplog and sharding metadata, never an application's collections.
pub const SYSTEM_DATABASES: [&str; 3] = ["admin", "local", "config"];

/// What happens to the rest of a fleet after a database fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// No database starts after a failure; the ones already running finish.
    #[default]
    Stop,
    /// Every database runs; the failures are reported at the end.
    Continue,
}

impl OnError {
    /// `stop` or `continue`, case-insensitive.
    pub fn parse(text: &str) -> Result<OnError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "stop" => Ok(OnError::Stop),
            "continue" => Ok(OnError::Continue),
            _ => Err(Error::Config {
                message: format!("`--on-error` must be `stop` or `continue`, not `{text}`"),
                hint: None,
            }),
        }
    }
}

/// How a fleet runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetOptions {
    /// Databases at a time. The work waits on the server, not the CPU, so more than the cores.
    pub parallel: usize,
    /// What a failure does to the databases not yet started.
    pub on_error: OnError,
    /// The first `canary` databases run before all others; if one fails, no other starts.
    pub canary: usize,
}

impl Default for FleetOptions {
    fn default() -> Self {
        Self {
            parallel: DEFAULT_PARALLEL,
            on_error: OnError::Stop,
            canary: 0,
        }
    }
}

/// `--parallel`'s default: four databases at a time keep a 2-core client and a small server
/// busy without queueing on the server's own cores.
pub const DEFAULT_PARALLEL: usize = 4;

/// `--shard I/N`: the share `index` (1-based) of `count` shares of a fleet, by a stable hash of
/// each database's name, so N machines split a fleet without talking to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count.
    pub index: u64,
    /// How many shares.
    pub count: u64,
}

impl Shard {
    /// Reads `I/N` with 1 <= I <= N.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || Error::Config {
            message: format!("`--shard` must be `I/N` with 1 <= I <= N, not `{text}`"),
            hint: Some(
                "in a Kubernetes Indexed Job, pass `--shard $((JOB_COMPLETION_INDEX + 1))/N`"
                    .to_owned(),
            ),
        };
        let (i, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether database `name` is in this share: FNV-1a (64-bit) of its UTF-8 name, modulo the
    /// count. The hash depends only on the name, never on the fleet's order or size, so every
    /// machine computes the same split.
    pub fn contains(&self, name: &str) -> bool {
        fnv1a(name.as_bytes()) % self.count == self.index - 1
    }
}

/// 64-bit FNV-1a.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// One line of a `--databases-file`: a database of the `--url`'s cluster, or a full URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileEntry {
    /// A database name, on the cluster of `--url`.
    Name(String),
    /// A full connection URL, database in the path; credentials follow `--url`'s rules.
    Url(String),
}

/// Reads a `--databases-file`: one database name or one full `mongodb://`/`mongodb+srv://` URL
/// per line; blank lines and lines starting with `#` are skipped. `source` names the file in
/// errors (which show the line number, never a password).
pub fn read_databases_file(text: &str, source: &str) -> Result<Vec<FileEntry>> {
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |why: &str| {
            Error::Config {
            message: format!("{source}:{}: {why}", n + 1),
            hint: Some(
                "write one database name (`tenant_42`) or one URL (`mongodb://host:27017/tenant_42`) per line"
                    .to_owned(),
            ),
        }
        };
        if line.contains("://") {
            if !(line.starts_with("mongodb://") || line.starts_with("mongodb+srv://")) {
                return Err(at(&format!("`{}` is not a MongoDB URL", mask(line))));
            }
            let name = crate::connection::database_name(line)
                .map_err(|_| at(&format!("the URL `{}` names no database", mask(line))))?;
            check_name(&name).map_err(|why| at(&why))?;
            entries.push(FileEntry::Url(line.to_owned()));
        } else {
            check_name(line).map_err(|why| at(&why))?;
            entries.push(FileEntry::Name(line.to_owned()));
        }
    }
    Ok(entries)
}

/// The database a fleet URL names (its path, URL-decoded as the Java driver decodes it).
pub fn database_of(url: &str) -> Result<String> {
    crate::connection::database_name(url)
}

/// MongoDB's rules for database names (no `/\. "$` and shorter than 64 bytes), checked before
/// anything is written; the server's own ones (`admin`, `local`, `config`) are refused.
fn check_name(name: &str) -> std::result::Result<(), String> {
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '/' | '\\' | '.' | ' ' | '"' | '$' | '\0'))
    {
        return Err(format!("`{name}` is not a database name (it holds `{c}`)"));
    }
    if name.len() >= 64 {
        return Err(format!(
            "`{name}` is not a database name (64 bytes or more)"
        ));
    }
    if SYSTEM_DATABASES.contains(&name) {
        return Err(format!(
            "`{name}` is a system database; a fleet never runs on it"
        ));
    }
    Ok(())
}

/// The databases of `connection`'s cluster whose names the regular expression `pattern` matches
/// (anywhere in the name, unless anchored), sorted by name, without the system databases
/// (`listDatabases` with `nameOnly`, through the execute path).
pub async fn matching_databases(connection: &Connection, pattern: &str) -> Result<Vec<String>> {
    let pattern = regex::Regex::new(pattern).map_err(|e| Error::Config {
        message: format!("`--databases` is not a regular expression: {e}"),
        hint: Some("for example `^tenant_[0-9]+$`".to_owned()),
    })?;
    let reply = crate::execute::run_command(
        &connection.client,
        "admin",
        doc! { "listDatabases": 1, "nameOnly": true },
    )
    .await
    .map_err(|e| {
        e.within(format!(
            "cannot list the databases of {}",
            connection.hosts()
        ))
    })?;
    let mut names: Vec<String> = reply
        .get_array("databases")
        .map(|list| {
            list.iter()
                .filter_map(|d| d.as_document()?.get_str("name").ok().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.retain(|n| !SYSTEM_DATABASES.contains(&n.as_str()) && pattern.is_match(n));
    names.sort();
    Ok(names)
}

/// How one database's command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The command succeeded.
    Succeeded,
    /// The command failed; the report holds the error.
    Failed,
    /// The command never started: an earlier failure stopped the fleet (`--on-error stop`, a
    /// failed canary).
    NotStarted,
}

impl Outcome {
    /// `succeeded`, `failed` or `not-started`, as reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::NotStarted => "not-started",
        }
    }
}

/// What happened on one database.
#[derive(Debug)]
pub struct DatabaseReport<T> {
    /// The database.
    pub database: String,
    /// Its cluster's hosts (no credentials), telling apart same-named databases of two
    /// clusters.
    pub hosts: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The command's result, when it succeeded.
    pub value: Option<T>,
    /// The command's error, when it failed.
    pub error: Option<Error>,
    /// How long the command ran.
    pub duration: Duration,
}

/// A fleet member: a database and its cluster's connection (the shared client).
#[derive(Debug, Clone)]
pub struct Member {
    /// The cluster's connection, whose client every database of the cluster shares.
    pub cluster: Connection,
    /// The database.
    pub database: String,
}

impl Member {
    /// The member for database `name` on `cluster`'s client.
    pub fn on(cluster: &Connection, name: &str) -> Member {
        Member {
            cluster: cluster.clone(),
            database: name.to_owned(),
        }
    }

    /// The connection a single-database run on this database would have, over the cluster's
    /// client (see [`Connection::for_database`]).
    pub async fn connect(&self) -> Connection {
        self.cluster.for_database(&self.database).await
    }
}

/// Runs `command` on every member, `options.parallel` at a time, canaries first, and returns
/// one report per member in the members' order. `done` is told of each database as it ends
/// (for progress output); it runs on the fleet's own task, between commands.
///
/// A member that fails never stops the others already running: each holds only its own
/// database's lock, which its command releases on every path.
pub async fn run<T>(
    members: &[Member],
    options: &FleetOptions,
    command: impl AsyncFn(&Connection) -> Result<T>,
    done: &(dyn Fn(&DatabaseReport<T>) + Sync),
) -> Vec<DatabaseReport<T>> {
    let parallel = options.parallel.max(1);
    let stopped = AtomicBool::new(false);
    let canaries = options.canary.min(members.len());
    let (first, rest) = members.split_at(canaries);
    let mut reports = batch(first, parallel, &stopped, options.on_error, &command, done).await;
    if reports.iter().any(|r| r.outcome == Outcome::Failed) {
        // A failed canary stops the fleet whatever `--on-error` says: the canaries exist to
        // find a bad release before it reaches everyone.
        stopped.store(true, Ordering::SeqCst);
    }
    reports.extend(batch(rest, parallel, &stopped, options.on_error, &command, done).await);
    reports
}

async fn batch<T>(
    members: &[Member],
    parallel: usize,
    stopped: &AtomicBool,
    on_error: OnError,
    command: &impl AsyncFn(&Connection) -> Result<T>,
    done: &(dyn Fn(&DatabaseReport<T>) + Sync),
) -> Vec<DatabaseReport<T>> {
    let mut indexed: Vec<(usize, DatabaseReport<T>)> =
        futures_util::stream::iter(members.iter().enumerate())
            .map(|(i, member)| async move {
                // Checked when the database would start, so nothing starts after a failure
                // under `--on-error stop`.
                let report = if stopped.load(Ordering::SeqCst) {
                    DatabaseReport {
                        database: member.database.clone(),
                        hosts: member.cluster.hosts(),
                        outcome: Outcome::NotStarted,
                        value: None,
                        error: None,
                        duration: Duration::ZERO,
                    }
                } else {
                    let started = Instant::now();
                    // Made when the database starts: its transaction probe is part of its own
                    // run, in parallel with the others'.
                    let connection = member.connect().await;
                    let result = command(&connection).await;
                    let duration = started.elapsed();
                    let (outcome, value, error) = match result {
                        Ok(value) => (Outcome::Succeeded, Some(value), None),
                        Err(e) => {
                            if on_error == OnError::Stop {
                                stopped.store(true, Ordering::SeqCst);
                            }
                            (Outcome::Failed, None, Some(e))
                        }
                    };
                    DatabaseReport {
                        database: member.database.clone(),
                        hosts: member.cluster.hosts(),
                        outcome,
                        value,
                        error,
                        duration,
                    }
                };
                done(&report);
                (i, report)
            })
            .buffer_unordered(parallel)
            .collect()
            .await;
    indexed.sort_by_key(|(i, _)| *i);
    indexed.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_name_once() {
        let names: Vec<String> = (0..1000).map(|i| format!("tenant_{i}")).collect();
        let shards: Vec<Shard> = (1..=3)
            .map(|i| Shard::parse(&format!("{i}/3")).expect("a shard"))
            .collect();
        for name in &names {
            let owners = shards.iter().filter(|s| s.contains(name)).count();
            assert_eq!(owners, 1, "{name}");
        }
        // Roughly even: each share within 25% of a third.
        for s in &shards {
            let n = names.iter().filter(|name| s.contains(name)).count();
            assert!((250..=417).contains(&n), "share {} has {n}", s.index);
        }
    }

    #[test]
    fn bad_shards_are_refused() {
        for bad in ["0/3", "4/3", "1/0", "1", "a/b", "1/3/4"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV specification's test suite.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_databases_file_takes_names_and_urls_and_says_where_it_is_wrong() {
        let text = "# tenants\n\ntenant_1\nmongodb://u:secret@h:1/tenant_2?tls=false\n";
        assert_eq!(
            read_databases_file(text, "fleet.txt").expect("reads"),
            [
                FileEntry::Name("tenant_1".to_owned()),
                FileEntry::Url("mongodb://u:secret@h:1/tenant_2?tls=false".to_owned()),
            ]
        );
        let e = read_databases_file("ok\nbad.name\n", "fleet.txt").expect_err("refused");
        assert!(e.to_string().contains("fleet.txt:2:"), "{e}");
        let e = read_databases_file("mongodb://u:secret@h:1/\n", "f").expect_err("refused");
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(read_databases_file("admin\n", "f").is_err());
    }
}
