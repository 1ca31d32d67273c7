//! The lock collection, `DATABASECHANGELOGLOCK`: one document that lets one updater at a time
//! change a database, shaped exactly as liquibase-mongodb writes it (spec mongo §6), so that
//! lbmongo, Liquibase with our jar and Liquibase with the official extension exclude each other.
//!
//! Acquiring is atomic: the document is created once (a duplicate key means someone else created
//! it first), then taken with an update conditioned on `locked: false`; at most one of any
//! number of racing processes sees its update match. This is the official extension's algorithm
//! (`ReplaceChangeLogLockStatement`, PR liquibase-mongodb#582) without its upsert-on-replace,
//! which some servers mishandle under contention.
//!
//! Beyond Liquibase, an optional *lease* (`--lock-lease-seconds`) makes a lock held by a crashed
//! process expire: the document keeps Liquibase's four fields and gains two only lbmongo reads,
//! `leaseOwner` (this process) and `expiresAt`, which a heartbeat pushes forward while the lock
//! is held. Another lbmongo with a lease may take a lock whose lease has expired. Liquibase
//! ignores the extra fields (its validator allows them) and still sees `locked: true`, so the
//! tools keep excluding each other.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mongodb::bson::{DateTime, Document, doc};

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::events::{Event, Listener};
use crate::history::TrackingOptions;
use crate::tracking::collection_exists;
pub(crate) use crate::tracking::lock_validator_command as validator_command;

/// Lock settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOptions {
    /// `changelogLockWaitTimeInMinutes` (default 5 minutes).
    pub wait: Duration,
    /// `changelogLockPollRate` (default 10 seconds).
    pub poll: Duration,
    /// `liquibase.hostDescription`, appended to the host name as `host#description`.
    pub host_description: Option<String>,
    /// Lease length (`--lock-lease-seconds`); `None` (the default) behaves as Liquibase: a lock
    /// never expires.
    pub lease: Option<Duration>,
}

impl Default for LockOptions {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(5 * 60),
            poll: Duration::from_secs(10),
            host_description: None,
            lease: None,
        }
    }
}

/// One lock document as `list-locks` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LockRow {
    /// `_id` (always 1).
    pub id: i32,
    /// `lockGranted`.
    pub granted: Option<DateTime>,
    /// `lockedBy`.
    pub locked_by: Option<String>,
    /// `locked`.
    pub locked: bool,
}

/// A held lock. Release it with [`Lock::release`] on every path.
#[derive(Debug)]
#[must_use = "a lock must be released"]
pub struct Lock<'c> {
    connection: &'c Connection,
    collection: String,
    locked_by: String,
    lease: Option<Lease>,
}

/// A lease held by this process, kept alive by a heartbeat task.
#[derive(Debug)]
struct Lease {
    owner: String,
    length: Duration,
    heartbeat: tokio::task::JoinHandle<()>,
    lost: Arc<AtomicBool>,
}

impl<'c> Lock<'c> {
    /// Takes the lock, waiting as Liquibase's `StandardLockService.waitForLock` does: one try
    /// at once (so a wait time of 0 works, liquibase-mongodb#331), then one every `poll` until
    /// `wait` has passed.
    pub async fn acquire(
        connection: &'c Connection,
        tracking: &TrackingOptions,
        options: &LockOptions,
        listener: &dyn Listener,
    ) -> Result<Lock<'c>> {
        ensure(connection, tracking).await?;
        let locked_by = locked_by(options.host_description.as_deref());
        let collection = tracking.lock_collection.clone();
        let owner = options.lease.map(|length| (lease_owner(), length));
        let deadline = Instant::now() + options.wait;
        loop {
            if try_acquire(connection, &collection, &locked_by, owner.as_ref()).await? {
                let lease = owner.map(|(owner, length)| {
                    let lost = Arc::new(AtomicBool::new(false));
                    let heartbeat = tokio::spawn(heartbeat(
                        connection.clone(),
                        collection.clone(),
                        owner.clone(),
                        length,
                        Arc::clone(&lost),
                    ));
                    Lease {
                        owner,
                        length,
                        heartbeat,
                        lost,
                    }
                });
                return Ok(Lock {
                    connection,
                    collection,
                    locked_by,
                    lease,
                });
            }
            if Instant::now() + options.poll > deadline {
                break;
            }
            listener.on(&Event::WaitingForLock);
            tokio::time::sleep(options.poll).await;
        }
        let holder = list(connection, tracking)
            .await?
            .into_iter()
            .find(|l| l.locked);
        Err(Error::LockHeld {
            locked_by: holder
                .as_ref()
                .and_then(|h| h.locked_by.clone())
                .unwrap_or_else(|| "UNKNOWN".to_owned()),
            since: holder
                .and_then(|h| h.granted)
                .map_or_else(String::new, crate::history::short_date),
        })
    }

    /// Releases the lock: the document goes back to `locked: false`, keeping `lockedBy` and a
    /// fresh `lockGranted` as liquibase-mongodb's release does.
    pub async fn release(self) -> Result<()> {
        let mut filter = doc! { "_id": 1, "locked": true, "lockedBy": &self.locked_by };
        if let Some(lease) = &self.lease {
            lease.heartbeat.abort();
            // Only this process's lease: another process on the same host has the same
            // `lockedBy` and may have taken the lock over after our lease expired.
            filter.insert("leaseOwner", &lease.owner);
        }
        let n = replace(
            self.connection,
            &self.collection,
            filter,
            lock_document(&self.locked_by, false),
        )
        .await?;
        if n == 1 {
            Ok(())
        } else {
            Err(Error::Lock(format!(
                "{n} rows were updated instead of the expected 1 row (the lock was released or taken over by someone else)"
            )))
        }
    }

    /// Who holds it: `host (ip)`.
    pub fn locked_by(&self) -> &str {
        &self.locked_by
    }

    /// Fails when the lease expired and could not be renewed (the heartbeat found the lock gone
    /// or taken over): continuing could run changesets beside another updater.
    pub fn check(&self) -> Result<()> {
        match &self.lease {
            Some(lease) if lease.lost.load(Ordering::SeqCst) => Err(Error::Lock(format!(
                "the lock lease of {} s was lost (it expired or was taken over); stopping before the next changeset",
                lease.length.as_secs()
            ))),
            _ => Ok(()),
        }
    }
}

/// A name for this process's lease, unique across processes and hosts.
fn lease_owner() -> String {
    let host = hostname::get().map_or_else(
        |_| "unknown".to_owned(),
        |h| h.to_string_lossy().into_owned(),
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{host}:{}:{nanos:09}", std::process::id())
}

/// Renews the lease every third of its length while the lock is held.
async fn heartbeat(
    connection: Connection,
    collection: String,
    owner: String,
    length: Duration,
    lost: Arc<AtomicBool>,
) {
    loop {
        tokio::time::sleep(length / 3).await;
        let renewed = crate::execute::run_command(
            &connection.client,
            &connection.database,
            update_command(
                &collection,
                doc! { "_id": 1, "locked": true, "leaseOwner": &owner },
                doc! { "$set": { "expiresAt": expires_at(length) } },
            ),
        )
        .await;
        match renewed {
            Ok(r) if crate::execute::rows_affected(&r) == 1 => {}
            // A passing network fault is retried on the next beat; a lock that is gone or has
            // another owner is lost for good.
            Ok(_) => {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(_) => {}
        }
    }
}

fn expires_at(length: Duration) -> DateTime {
    let millis = i64::try_from(length.as_millis()).unwrap_or(i64::MAX);
    DateTime::from_millis(DateTime::now().timestamp_millis().saturating_add(millis))
}

/// Creates the lock collection and, with `adjust`, its validator, and writes no lock document:
/// what liquibase-mongodb's `MongoLockService.init` (4.33.0.1) leaves behind when Liquibase's
/// `validate` and `status` initialise the lock service without taking the lock.
pub async fn init(connection: &Connection, tracking: &TrackingOptions) -> Result<()> {
    ensure(connection, tracking).await
}

/// Creates the lock collection and, with `adjust`, its validator (`MongoLockService.init`).
async fn ensure(connection: &Connection, tracking: &TrackingOptions) -> Result<()> {
    crate::tracking::ensure_lock(connection, tracking).await
}

/// The conditional update that takes the lock (what `update-sql` shows for it).
pub(crate) fn acquire_command(collection: &str, locked_by: &str) -> Document {
    update_command(
        collection,
        doc! { "_id": 1, "locked": false },
        lock_document(locked_by, true),
    )
}

/// The conditional update that releases the lock.
pub(crate) fn release_command(collection: &str, locked_by: &str) -> Document {
    update_command(
        collection,
        doc! { "_id": 1, "locked": true, "lockedBy": locked_by },
        lock_document(locked_by, false),
    )
}

fn update_command(collection: &str, filter: Document, replacement: Document) -> Document {
    doc! {
        "update": collection,
        "updates": [{ "q": filter, "u": replacement, "multi": false, "upsert": false }],
    }
}

async fn try_acquire(
    connection: &Connection,
    collection: &str,
    locked_by: &str,
    lease: Option<&(String, Duration)>,
) -> Result<bool> {
    let document = match lease {
        Some((owner, length)) => leased_document(locked_by, owner, *length),
        None => lock_document(locked_by, true),
    };
    let exists = crate::execute::count(
        &connection.client,
        &connection.database,
        collection,
        doc! { "_id": 1 },
    )
    .await
    .map_err(|e| e.within(format!("cannot read `{collection}`")))?;
    if exists == 0 {
        // Create the document already locked; a duplicate key means another process created it
        // first, and the conditional update below decides who holds it.
        let mut command = doc! { "insert": collection, "documents": [document.clone()] };
        if connection.distributed {
            command.insert("writeConcern", doc! { "w": "majority" });
        }
        match crate::execute::run_command(&connection.client, &connection.database, command).await {
            Ok(r) if inserted(&r) => return Ok(true),
            Err(e) if e.is_duplicate_key() => {}
            // A failure the server put in the reply (`ok: 1` with a write error) is the lock's;
            // one the driver raised names the collection.
            Err(e) if e.is_failed_reply() => return Err(Error::Lock(e.to_string())),
            Err(e) => return Err(e.within(format!("cannot create the lock in `{collection}`"))),
            // `ok: 1` without a write error but without `n: 1`: the update below decides.
            Ok(_) => {}
        }
    }
    // With a lease, an expired lease is as good as a free lock (its holder stopped renewing it).
    let filter = match lease {
        Some(_) => doc! {
            "_id": 1,
            "$or": [{ "locked": false }, { "expiresAt": { "$lt": DateTime::now() } }],
        },
        None => doc! { "_id": 1, "locked": false },
    };
    let n = replace(connection, collection, filter, document).await?;
    match n {
        0 => Ok(false),
        1 => Ok(true),
        n => Err(Error::Lock(format!(
            "{n} lock documents were updated instead of 1"
        ))),
    }
}

fn inserted(response: &Document) -> bool {
    response.get_i32("n").is_ok_and(|n| n == 1)
}

/// Replaces the lock document matching `filter`; returns how many matched.
async fn replace(
    connection: &Connection,
    collection: &str,
    filter: Document,
    replacement: Document,
) -> Result<i64> {
    let mut command = update_command(collection, filter, replacement);
    if connection.distributed {
        command.insert("writeConcern", doc! { "w": "majority" });
    }
    let response = crate::execute::run_command(&connection.client, &connection.database, command)
        .await
        .map_err(|e| reply_failure(e, collection, "cannot update"))?;
    Ok(crate::execute::rows_affected(&response))
}

/// A failing reply (`ok` not 1, write errors) is the lock's own error, as liquibase-mongodb's
/// `checkResponse` reports it; an error the driver raised says what was being done to which
/// collection.
fn reply_failure(e: Error, collection: &str, what: &str) -> Error {
    if e.is_failed_reply() {
        Error::Lock(e.to_string())
    } else {
        e.within(format!("{what} `{collection}`"))
    }
}

/// The lock document with a lease: Liquibase's four fields, then `leaseOwner` and `expiresAt`.
fn leased_document(locked_by: &str, owner: &str, length: Duration) -> Document {
    let mut document = lock_document(locked_by, true);
    document.insert("leaseOwner", owner);
    document.insert("expiresAt", expires_at(length));
    document
}

/// The lock document, fields in liquibase-mongodb's order: `_id, lockGranted, lockedBy, locked`.
fn lock_document(locked_by: &str, locked: bool) -> Document {
    doc! { "_id": 1, "lockGranted": DateTime::now(), "lockedBy": locked_by, "locked": locked }
}

/// `list-locks`: every lock document (`locked` or not).
pub async fn list(connection: &Connection, tracking: &TrackingOptions) -> Result<Vec<LockRow>> {
    let name = &tracking.lock_collection;
    if !collection_exists(connection, name).await? {
        return Ok(Vec::new());
    }
    let docs: Vec<Document> = crate::execute::read_cursor(
        &connection.client,
        &connection.database,
        doc! { "find": name, "filter": {} },
    )
    .await
    .map_err(|e| e.within(format!("cannot read `{name}`")))?;
    Ok(docs
        .iter()
        .map(|d| LockRow {
            id: d.get_i32("_id").unwrap_or(1),
            granted: d.get_datetime("lockGranted").ok().copied(),
            locked_by: d.get_str("lockedBy").ok().map(str::to_owned),
            locked: d.get_bool("locked").unwrap_or(false),
        })
        .collect())
}

/// `release-locks`: frees the lock whoever holds it — the way out after a crashed update. Unlike
/// liquibase-mongodb, which refuses a lock held by another host (spec mongo §6.4), a stuck lock
/// from a dead CI runner must be releasable from anywhere.
pub async fn force_release(
    connection: &Connection,
    tracking: &TrackingOptions,
    options: &LockOptions,
) -> Result<()> {
    ensure(connection, tracking).await?;
    let collection = &tracking.lock_collection;
    let me = locked_by(options.host_description.as_deref());
    let n = replace(
        connection,
        collection,
        doc! { "_id": 1 },
        lock_document(&me, false),
    )
    .await?;
    if n == 0 {
        // As the extension's release on an empty collection: create the unlocked document.
        let mut command = doc! { "insert": collection, "documents": [lock_document(&me, false)] };
        if connection.distributed {
            command.insert("writeConcern", doc! { "w": "majority" });
        }
        match crate::execute::run_command(&connection.client, &connection.database, command).await {
            // Another process created it meanwhile: there is a lock document, as wanted.
            Err(e) if e.is_duplicate_key() => {}
            Err(e) => return Err(reply_failure(e, collection, "cannot update")),
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Drops the lock collection (`drop-all`).
pub async fn destroy(connection: &Connection, tracking: &TrackingOptions) -> Result<()> {
    crate::tracking::drop_collection(connection, &tracking.lock_collection).await
}

/// `lockedBy` as Liquibase builds it (`StandardLockService` / `NetUtil`, 4.28.0):
/// `<host name>[#<hostDescription>] (<host address>)`.
pub fn locked_by(host_description: Option<&str>) -> String {
    let host = hostname::get().map_or_else(
        |_| "unknown".to_owned(),
        |h| h.to_string_lossy().into_owned(),
    );
    let address = host_address(&host);
    match host_description {
        Some(d) if !d.is_empty() => format!("{host}#{d} ({address})"),
        _ => format!("{host} ({address})"),
    }
}

/// The host's address as Liquibase's `NetUtil.getLocalHostAddress` (4.33.0) picks it: the host
/// name's address unless that is a loopback or link-local one; then the first address that is
/// neither, in the order Java's `NetworkInterface` enumerates them (the JDK prepends as it
/// discovers, so the last interface comes first and its IPv6 addresses before its IPv4 ones).
/// Printed as `InetAddress.getHostAddress` prints it: IPv6 as eight uncompressed groups with its
/// `%interface` scope, e.g. `fd00:0:0:0:0:0:0:2%eth0`.
fn host_address(host: &str) -> String {
    use std::net::{IpAddr, ToSocketAddrs};
    let ordinary = |ip: &IpAddr| !ip.is_loopback() && !is_link_local(ip);
    let resolved: Option<IpAddr> = (host, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .map(|a| a.ip());
    if let Some(ip) = resolved.filter(ordinary) {
        return java_host_address(&ip, None);
    }
    let interfaces = if_addrs::get_if_addrs().unwrap_or_default();
    let mut names: Vec<&str> = Vec::new();
    for i in &interfaces {
        if !names.contains(&i.name.as_str()) {
            names.push(&i.name);
        }
    }
    for name in names.iter().rev() {
        let addresses: Vec<IpAddr> = interfaces
            .iter()
            .filter(|i| i.name == *name)
            .map(|i| i.ip())
            .collect();
        let v6 = addresses.iter().rev().filter(|ip| ip.is_ipv6());
        let v4 = addresses.iter().rev().filter(|ip| ip.is_ipv4());
        if let Some(ip) = v6.chain(v4).find(|ip| ordinary(ip)) {
            return java_host_address(ip, Some(name));
        }
    }
    resolved.map_or_else(|| "unknown".to_owned(), |ip| java_host_address(&ip, None))
}

fn is_link_local(ip: &std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4.is_link_local(),
        std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// `InetAddress.getHostAddress()`.
fn java_host_address(ip: &std::net::IpAddr, interface: Option<&str>) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let groups: Vec<String> = v6.segments().iter().map(|g| format!("{g:x}")).collect();
            match interface {
                Some(name) => format!("{}%{name}", groups.join(":")),
                None => groups.join(":"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_addresses_print_like_java() {
        let v6: std::net::IpAddr = "fd00::2".parse().expect("an address");
        assert_eq!(
            java_host_address(&v6, Some("eth0")),
            "fd00:0:0:0:0:0:0:2%eth0"
        );
        let v4: std::net::IpAddr = "192.0.2.2".parse().expect("an address");
        assert_eq!(java_host_address(&v4, Some("eth0")), "192.0.2.2");
        assert!(is_link_local(&"fe80::1".parse().expect("an address")));
        assert!(!is_link_local(&"fd00::1".parse().expect("an address")));
    }

    #[test]
    fn locked_by_is_host_then_description_then_address() {
        let plain = locked_by(None);
        let described = locked_by(Some("ci"));
        let host = plain.split(" (").next().expect("a host");
        assert!(plain.ends_with(')') && plain.contains(" ("), "{plain}");
        assert!(
            described.starts_with(&format!("{host}#ci (")),
            "{described}"
        );
    }
}
