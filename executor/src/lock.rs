//! The lock collection, `DATABASECHANGELOGLOCK`: one document that lets one updater at a time
//! change a database, shaped exactly as liquibase-mongodb writes it (spec mongo §6), so that
//! lbmongo, Liquibase with our jar and Liquibase with the official extension exclude each other.
//!
//! Two ways to take it, one per kind of server ([`LockStrategy`]; the platform chooses, an
//! explicit setting wins):
//!
//! - **Conditional update** (MongoDB and every platform whose updates are atomic): the document
//!   is created once (a duplicate key means someone else created it first), then taken with an
//!   update conditioned on `locked: false`; at most one of any number of racing processes sees its
//!   update match. This is the official extension's algorithm (`ReplaceChangeLogLockStatement`,
//!   PR liquibase-mongodb#582) without its upsert-on-replace, which some servers mishandle under
//!   contention.
//! - **Claims** (FerretDB v1, issue 13): there a conditional update is a read, then a write by
//!   `_id`, so several racers all "win" it; deletes are also read-then-delete-by-`_id`. Only an
//!   insert on the unique `_id` is decided by the storage engine. So every change of the lock
//!   document (take, renew, release) is preceded by the insert of a *claim* whose `_id` is derived
//!   from the document's current content (its state): exactly one process can claim a given state,
//!   and only that process writes the next one. Each state is unique (`lockGranted` moves forward
//!   by at least 1 ms on every write, a held lock carries its holder's token), so a stale reader's
//!   claim names a state that is gone and its write matches nothing. Claims are documents of the
//!   same collection shaped so that Liquibase and the official extension read them as unlocked
//!   locks (`_id` an `int` other than 1, `locked: false`: the extension's `listLocks` converts
//!   every document and keeps the locked ones); they are deleted once the document has moved on.
//!
//! Every lock this process takes carries its own token, `leaseOwner`, besides Liquibase's
//! `lockedBy` (`host (ip)`, the same for every process of a host): the release, the lease's
//! renewal and the check after a failed changeset ask for this token, so another process on the
//! same host cannot release or renew it. A released document has Liquibase's four fields only.
//!
//! Beyond Liquibase, an optional *lease* (`--lock-lease-seconds`) makes a lock held by a crashed
//! process expire: the document gains `expiresAt`, which a heartbeat pushes forward while the
//! lock is held. Another lbmongo with a lease may take a lock whose lease has expired. Liquibase
//! ignores the extra fields (its validator allows them) and still sees `locked: true`, so the
//! tools keep excluding each other.
//!
//! Crash windows of the claims: a process killed after its claim and before its write leaves
//! the document as it was and the claim behind, so the others cannot claim that state: the lock
//! is held by the dead claimer. `release-locks` deletes every claim and frees the document; with a
//! lease, a claim carries `expiresAt` too and an expired one is claimed over (the next
//! *generation* of the same state), as an expired lease is.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mongodb::bson::{DateTime, Document, doc};

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::events::{Event, Listener};
use crate::history::TrackingOptions;
use crate::platform::LockStrategy;
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
    /// How to take the lock; `None` (the default) is the detected platform's
    /// ([`crate::PlatformKind::lock_strategy`]).
    pub strategy: Option<LockStrategy>,
}

impl Default for LockOptions {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(5 * 60),
            poll: Duration::from_secs(10),
            host_description: None,
            lease: None,
            strategy: None,
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
    /// This acquisition's token (`leaseOwner`).
    owner: String,
    strategy: LockStrategy,
    /// The lock document as this process last wrote it: the state the next claim names.
    current: Arc<tokio::sync::Mutex<Document>>,
    lease: Option<Lease>,
}

/// A lease held by this process, kept alive by a heartbeat task.
#[derive(Debug)]
struct Lease {
    length: Duration,
    heartbeat: tokio::task::JoinHandle<()>,
    stop: Arc<tokio::sync::Notify>,
    lost: Arc<AtomicBool>,
}

/// What one process needs to know to change the lock document.
#[derive(Debug, Clone)]
struct Holder {
    connection: Connection,
    collection: String,
    locked_by: String,
    owner: String,
    lease: Option<Duration>,
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
        let strategy = options
            .strategy
            .unwrap_or_else(|| connection.platform.kind.lock_strategy());
        let holder = Holder {
            connection: connection.clone(),
            collection: tracking.lock_collection.clone(),
            locked_by: locked_by(options.host_description.as_deref()),
            owner: lock_owner(),
            lease: options.lease,
        };
        let deadline = Instant::now() + options.wait;
        loop {
            let taken = match strategy {
                LockStrategy::ConditionalUpdate => try_acquire(&holder).await?,
                LockStrategy::Claims => try_claim(&holder).await?,
            };
            if let Some(document) = taken {
                let current = Arc::new(tokio::sync::Mutex::new(document));
                let lease = holder.lease.map(|length| {
                    let lost = Arc::new(AtomicBool::new(false));
                    let stop = Arc::new(tokio::sync::Notify::new());
                    let heartbeat = tokio::spawn(heartbeat(
                        holder.clone(),
                        strategy,
                        Arc::clone(&current),
                        length,
                        Arc::clone(&stop),
                        Arc::clone(&lost),
                    ));
                    Lease {
                        length,
                        heartbeat,
                        stop,
                        lost,
                    }
                });
                return Ok(Lock {
                    connection,
                    collection: holder.collection,
                    locked_by: holder.locked_by,
                    owner: holder.owner,
                    strategy,
                    current,
                    lease,
                });
            }
            if Instant::now() + options.poll > deadline {
                break;
            }
            listener.on(&Event::WaitingForLock);
            tokio::time::sleep(options.poll).await;
        }
        let (locked_by, since) = current_holder(connection, &tracking.lock_collection).await?;
        Err(Error::LockHeld {
            locked_by: locked_by.unwrap_or_else(|| "UNKNOWN".to_owned()),
            since: since.map_or_else(String::new, crate::history::short_date),
        })
    }

    /// Releases the lock: the document goes back to `locked: false`, keeping `lockedBy` and a
    /// fresh `lockGranted` as liquibase-mongodb's release does.
    pub async fn release(self) -> Result<()> {
        self.stop_heartbeat().await;
        let holder = self.holder();
        let released = match self.strategy {
            LockStrategy::ConditionalUpdate => {
                // Only this acquisition's lock: another process on the same host has the same
                // `lockedBy` and may have taken the lock over after our lease expired.
                let filter = doc! {
                    "_id": 1, "locked": true, "lockedBy": &self.locked_by, "leaseOwner": &self.owner,
                };
                let n = replace(
                    self.connection,
                    &self.collection,
                    filter,
                    lock_document(&self.locked_by, false, DateTime::now()),
                )
                .await?;
                n == 1
            }
            LockStrategy::Claims => {
                let from = self.current.lock().await.clone();
                let to = lock_document(&self.locked_by, false, after(&from));
                transition(&holder, &from, 0, to).await?
            }
        };
        if released {
            Ok(())
        } else {
            Err(Error::Lock(
                "0 rows were updated instead of the expected 1 row (the lock was released or taken over by someone else)"
                    .to_owned(),
            ))
        }
    }

    /// Gives the lock up without writing: for a lock that is no longer this process's
    /// ([`Lock::verify`] failed), whose document now belongs to someone else.
    pub async fn abandon(self) {
        self.stop_heartbeat().await;
    }

    async fn stop_heartbeat(&self) {
        if let Some(lease) = &self.lease {
            // The heartbeat finishes a renewal it has begun (a claim without its write would
            // hold the lock) and then stops.
            lease.stop.notify_one();
            while !lease.heartbeat.is_finished() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }

    fn holder(&self) -> Holder {
        Holder {
            connection: self.connection.clone(),
            collection: self.collection.clone(),
            locked_by: self.locked_by.clone(),
            owner: self.owner.clone(),
            lease: self.lease.as_ref().map(|l| l.length),
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
            Some(lease) if lease.lost.load(Ordering::SeqCst) => Err(Error::LockLost(format!(
                "the lock lease of {} s was lost (it expired or was taken over); stopping before the next changeset",
                lease.length.as_secs()
            ))),
            _ => Ok(()),
        }
    }

    /// Reads the lock document and fails with [`Error::LockLost`] when it is no longer this
    /// acquisition's (released by `release-locks`, taken over after an expired lease, or
    /// overwritten by a tool whose lock is not atomic on this server). A command that failed is
    /// asked this first: a failure caused by another updater running beside us is a lost lock,
    /// not a changeset to mark as ran.
    pub async fn verify(&self) -> Result<()> {
        let found = crate::execute::read_cursor(
            &self.connection.client,
            &self.connection.database,
            doc! { "find": &self.collection, "filter": { "_id": 1 }, "limit": 1 },
        )
        .await?;
        let document = found.into_iter().next();
        let ours = document.as_ref().is_some_and(|d| {
            d.get_bool("locked") == Ok(true) && d.get_str("leaseOwner") == Ok(self.owner.as_str())
        });
        if ours {
            return Ok(());
        }
        let now = match document {
            Some(d) if d.get_bool("locked") == Ok(true) => format!(
                "it is now held by {}",
                d.get_str("lockedBy").unwrap_or("UNKNOWN")
            ),
            Some(_) => "it is now free".to_owned(),
            None => "the lock document is gone".to_owned(),
        };
        Err(Error::LockLost(format!(
            "the change log lock taken by {} was lost while this command ran ({now})",
            self.locked_by
        )))
    }
}

/// A token for one acquisition, unique across processes and hosts: `host:pid:nanos:n`.
fn lock_owner() -> String {
    static TAKEN: AtomicU64 = AtomicU64::new(0);
    let host = hostname::get().map_or_else(
        |_| "unknown".to_owned(),
        |h| h.to_string_lossy().into_owned(),
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = TAKEN.fetch_add(1, Ordering::SeqCst);
    format!("{host}:{}:{nanos:09}:{n}", std::process::id())
}

/// Renews the lease every third of its length while the lock is held, until told to stop.
async fn heartbeat(
    holder: Holder,
    strategy: LockStrategy,
    current: Arc<tokio::sync::Mutex<Document>>,
    length: Duration,
    stop: Arc<tokio::sync::Notify>,
    lost: Arc<AtomicBool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(length / 3) => {}
            () = stop.notified() => return,
        }
        let renewed = match strategy {
            LockStrategy::ConditionalUpdate => crate::execute::run_command(
                &holder.connection.client,
                &holder.connection.database,
                update_command(
                    &holder.collection,
                    doc! { "_id": 1, "locked": true, "leaseOwner": &holder.owner },
                    doc! { "$set": { "expiresAt": expires_at(length, None) } },
                ),
            )
            .await
            .map(|r| crate::execute::rows_affected(&r) == 1),
            LockStrategy::Claims => {
                let mut current = current.lock().await;
                let mut to = current.clone();
                to.insert(
                    "expiresAt",
                    expires_at(length, current.get_datetime("expiresAt").ok()),
                );
                match transition(&holder, &current, 0, to.clone()).await {
                    Ok(true) => {
                        *current = to;
                        Ok(true)
                    }
                    other => other,
                }
            }
        };
        match renewed {
            Ok(true) => {}
            // A passing network fault is retried on the next beat; a lock that is gone or has
            // another owner is lost for good.
            Ok(false) => {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(_) => {}
        }
    }
}

/// `now + length`, and later than `previous` (so a renewed document is a new state).
fn expires_at(length: Duration, previous: Option<&DateTime>) -> DateTime {
    let millis = i64::try_from(length.as_millis()).unwrap_or(i64::MAX);
    let at = DateTime::now().timestamp_millis().saturating_add(millis);
    let floor = previous.map_or(i64::MIN, |p| p.timestamp_millis().saturating_add(1));
    DateTime::from_millis(at.max(floor))
}

/// A `lockGranted` for the state after `from`: now, and at least 1 ms after `from`'s, so that no
/// two states written through claims are alike.
fn after(from: &Document) -> DateTime {
    let now = DateTime::now().timestamp_millis();
    let floor = from
        .get_datetime("lockGranted")
        .map_or(i64::MIN, |g| g.timestamp_millis().saturating_add(1));
    DateTime::from_millis(now.max(floor))
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
        lock_document(locked_by, true, DateTime::now()),
    )
}

/// The conditional update that releases the lock.
pub(crate) fn release_command(collection: &str, locked_by: &str) -> Document {
    update_command(
        collection,
        doc! { "_id": 1, "locked": true, "lockedBy": locked_by },
        lock_document(locked_by, false, DateTime::now()),
    )
}

fn update_command(collection: &str, filter: Document, replacement: Document) -> Document {
    doc! {
        "update": collection,
        "updates": [{ "q": filter, "u": replacement, "multi": false, "upsert": false }],
    }
}

/// The document of a lock held by `holder`: Liquibase's four fields, then `leaseOwner` and,
/// with a lease, `expiresAt`.
fn held_document(holder: &Holder, granted: DateTime, previous: Option<&Document>) -> Document {
    let mut document = lock_document(&holder.locked_by, true, granted);
    document.insert("leaseOwner", &holder.owner);
    if let Some(length) = holder.lease {
        let previous = previous.and_then(|p| p.get_datetime("expiresAt").ok());
        document.insert("expiresAt", expires_at(length, previous));
    }
    document
}

/// Inserts `document` as the lock document; `true` when this insert created it.
async fn create(holder: &Holder, document: &Document) -> Result<bool> {
    let collection = &holder.collection;
    let mut command = doc! { "insert": collection, "documents": [document.clone()] };
    if holder.connection.distributed {
        command.insert("writeConcern", doc! { "w": "majority" });
    }
    let connection = &holder.connection;
    match crate::execute::run_command(&connection.client, &connection.database, command).await {
        Ok(r) => Ok(inserted(&r)),
        Err(e) if e.is_duplicate_key() => Ok(false),
        // A failure the server put in the reply (`ok: 1` with a write error) is the lock's;
        // one the driver raised names the collection.
        Err(e) if e.is_failed_reply() => Err(Error::Lock(e.to_string())),
        Err(e) => Err(e.within(format!("cannot create the lock in `{collection}`"))),
    }
}

/// One try of the conditional update; the document written when it took the lock.
async fn try_acquire(holder: &Holder) -> Result<Option<Document>> {
    let (connection, collection) = (&holder.connection, holder.collection.as_str());
    let document = held_document(holder, DateTime::now(), None);
    let exists = crate::execute::count(
        &connection.client,
        &connection.database,
        collection,
        doc! { "_id": 1 },
    )
    .await
    .map_err(|e| e.within(format!("cannot read `{collection}`")))?;
    // Create the document already locked; a duplicate key means another process created it
    // first, and the conditional update below decides who holds it. (`ok: 1` without a write
    // error but without `n: 1`: the update decides too.)
    if exists == 0 && create(holder, &document).await? {
        return Ok(Some(document));
    }
    // With a lease, an expired lease is as good as a free lock (its holder stopped renewing it).
    let filter = match holder.lease {
        Some(_) => doc! {
            "_id": 1,
            "$or": [{ "locked": false }, { "expiresAt": { "$lt": DateTime::now() } }],
        },
        None => doc! { "_id": 1, "locked": false },
    };
    let n = replace(connection, collection, filter, document.clone()).await?;
    match n {
        0 => Ok(None),
        1 => Ok(Some(document)),
        n => Err(Error::Lock(format!(
            "{n} lock documents were updated instead of 1"
        ))),
    }
}

/// One try through claims; the document written when it took the lock.
async fn try_claim(holder: &Holder) -> Result<Option<Document>> {
    let Some(from) = read_lock(holder).await? else {
        // No document yet: its creation is an insert on `_id`, atomic everywhere.
        let document = held_document(holder, DateTime::now(), None);
        return Ok(create(holder, &document).await?.then_some(document));
    };
    let expired = |d: &Document| {
        d.get_datetime("expiresAt")
            .is_ok_and(|at| *at < DateTime::now())
    };
    // A lock with an expired lease is free to a process with a lease, as in `try_acquire`.
    let free = from.get_bool("locked") != Ok(true) || (holder.lease.is_some() && expired(&from));
    if !free {
        return Ok(None);
    }
    let generation = match newest_claim(holder, &from).await? {
        None => 0,
        // The claimer died before its write (or is writing now): its claim is the lock, and it
        // expires only as a lease does.
        Some(claim) if holder.lease.is_some() && expired(&claim) => {
            claim.get_i32("claimGeneration").unwrap_or(0) + 1
        }
        Some(_) => return Ok(None),
    };
    let to = held_document(holder, after(&from), Some(&from));
    Ok(transition(holder, &from, generation, to.clone())
        .await?
        .then_some(to))
}

/// The lock document (`_id: 1`), if there is one.
async fn read_lock(holder: &Holder) -> Result<Option<Document>> {
    let collection = &holder.collection;
    let found = crate::execute::read_cursor(
        &holder.connection.client,
        &holder.connection.database,
        doc! { "find": collection, "filter": { "_id": 1 }, "limit": 1 },
    )
    .await
    .map_err(|e| e.within(format!("cannot read `{collection}`")))?;
    Ok(found.into_iter().next())
}

/// The text that names a state of the lock document: its fields and values in stored order.
fn state_key(document: &Document) -> String {
    crate::json::to_relaxed_json(document)
}

/// The `_id` of the claim of generation `generation` on the state `key`: an `int`, as Liquibase
/// and the official extension read every lock document's `_id`, never 1 (the lock's own). A
/// 64-bit FNV-1a of the key folded to 32 bits: claims live from their insert to the next write,
/// so a clash needs two live claims among four billion values, and it would only make a
/// process wait (its claim is refused), never let two hold the lock.
fn claim_id(key: &str, generation: i32) -> i32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes().chain(generation.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let folded = u32::try_from((hash >> 32) ^ (hash & 0xffff_ffff)).unwrap_or(u32::MAX);
    // The bits as a signed `int`: any value but 1 will do.
    let id = folded.cast_signed();
    if id == 1 { 2 } else { id }
}

/// The newest claim on the state `from`, if any.
async fn newest_claim(holder: &Holder, from: &Document) -> Result<Option<Document>> {
    let collection = &holder.collection;
    let claims = crate::execute::read_cursor(
        &holder.connection.client,
        &holder.connection.database,
        doc! { "find": collection, "filter": { "claimOf": state_key(from) } },
    )
    .await
    .map_err(|e| e.within(format!("cannot read `{collection}`")))?;
    Ok(claims
        .into_iter()
        .max_by_key(|c| c.get_i32("claimGeneration").unwrap_or(0)))
}

/// Moves the lock document from the state `from` to `to` through the claim of generation
/// `generation` on `from`: `true` when this process claimed `from` and wrote `to`, `false` when
/// another process claimed it first or the document is no longer `from` (a tool that does not
/// claim, or `release-locks`, wrote it).
async fn transition(
    holder: &Holder,
    from: &Document,
    generation: i32,
    to: Document,
) -> Result<bool> {
    let connection = &holder.connection;
    let collection = &holder.collection;
    let key = state_key(from);
    let id = claim_id(&key, generation);
    let mut claim = doc! {
        "_id": id,
        "lockGranted": DateTime::now(),
        "lockedBy": &holder.locked_by,
        "locked": false,
        "claimOf": &key,
        "claimGeneration": generation,
        "leaseOwner": &holder.owner,
    };
    if let Some(length) = holder.lease {
        claim.insert("expiresAt", expires_at(length, None));
    }
    if !create(holder, &claim).await? {
        // Ours already when an earlier attempt's answer was lost on the way back.
        let existing = crate::execute::read_cursor(
            &connection.client,
            &connection.database,
            doc! { "find": collection, "filter": { "_id": id }, "limit": 1 },
        )
        .await?;
        let ours = existing
            .first()
            .is_some_and(|c| c.get_str("leaseOwner") == Ok(holder.owner.as_str()));
        if !ours {
            return Ok(false);
        }
    }
    // Only the claimer writes the state after `from`, so this read-then-write is alone.
    let mut filter = Document::new();
    for (field, value) in from {
        filter.insert(field.clone(), value.clone());
    }
    let n = replace(connection, collection, filter, to).await?;
    // Either way `from` is left behind (written over, or never there): its claims can go.
    let _ = crate::execute::run_command(
        &connection.client,
        &connection.database,
        doc! { "delete": collection, "deletes": [{ "q": { "claimOf": &key }, "limit": 0 }] },
    )
    .await;
    Ok(n == 1)
}

/// Who holds the lock for the "currently locked by" message: the locked document's holder,
/// else the newest claim's (a claimer that died before its write).
async fn current_holder(
    connection: &Connection,
    collection: &str,
) -> Result<(Option<String>, Option<DateTime>)> {
    let documents = crate::execute::read_cursor(
        &connection.client,
        &connection.database,
        doc! { "find": collection, "filter": {} },
    )
    .await
    .map_err(|e| e.within(format!("cannot read `{collection}`")))?;
    let of = |d: &Document| {
        (
            d.get_str("lockedBy").ok().map(str::to_owned),
            d.get_datetime("lockGranted").ok().copied(),
        )
    };
    if let Some(locked) = documents
        .iter()
        .find(|d| d.get_i32("_id") == Ok(1) && d.get_bool("locked") == Ok(true))
    {
        return Ok(of(locked));
    }
    Ok(documents
        .iter()
        .filter(|d| d.contains_key("claimOf"))
        .max_by_key(|d| d.get_datetime("lockGranted").ok().copied())
        .map_or((None, None), of))
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

/// The lock document, fields in liquibase-mongodb's order: `_id, lockGranted, lockedBy, locked`.
fn lock_document(locked_by: &str, locked: bool, granted: DateTime) -> Document {
    doc! { "_id": 1, "lockGranted": granted, "lockedBy": locked_by, "locked": locked }
}

/// `list-locks`: every lock document (`locked` or not), without the claims beside it.
pub async fn list(connection: &Connection, tracking: &TrackingOptions) -> Result<Vec<LockRow>> {
    let name = &tracking.lock_collection;
    if !collection_exists(connection, name).await? {
        return Ok(Vec::new());
    }
    let docs: Vec<Document> = crate::execute::read_cursor(
        &connection.client,
        &connection.database,
        doc! { "find": name, "filter": { "claimOf": { "$exists": false } } },
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
    let free = || lock_document(&me, false, DateTime::now());
    let n = replace(connection, collection, doc! { "_id": 1 }, free()).await?;
    if n == 0 {
        // As the extension's release on an empty collection: create the unlocked document.
        let mut command = doc! { "insert": collection, "documents": [free()] };
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
    // Claims left by a process that died between its claim and its write hold the lock too.
    crate::execute::run_command(
        &connection.client,
        &connection.database,
        doc! { "delete": collection, "deletes": [{ "q": { "claimOf": { "$exists": true } }, "limit": 0 }] },
    )
    .await
    .map_err(|e| reply_failure(e, collection, "cannot delete the claims of"))?;
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
    fn claims_name_one_state_and_generation_each() {
        let free = lock_document("h (10.0.0.1)", false, DateTime::from_millis(1_000));
        let later = lock_document("h (10.0.0.1)", false, after(&free));
        assert!(
            later.get_datetime("lockGranted").expect("a date")
                > free.get_datetime("lockGranted").expect("a date"),
            "each state moves lockGranted forward"
        );
        let key = state_key(&free);
        assert_eq!(claim_id(&key, 0), claim_id(&state_key(&free.clone()), 0));
        assert_ne!(claim_id(&key, 0), claim_id(&state_key(&later), 0));
        assert_ne!(claim_id(&key, 0), claim_id(&key, 1));
        // Never the lock document's own `_id`, over many states.
        assert!((0..100_000).all(|g| claim_id(&key, g) != 1));
        let previous = DateTime::from_millis(i64::MAX / 2);
        assert!(
            expires_at(Duration::from_secs(1), Some(&previous)) > previous,
            "a renewed lease is a new state even when the clock went back"
        );
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
