//! Decode a request, call `executor`, encode the report. No business rule lives here.
//!
//! Every export goes through [`call`]: it reads the Java `byte[]` (UTF-8 JSON, never JNI's
//! modified UTF-8), runs the handler with panics caught, and answers `{"ok": <report>}` or
//! `{"error": {"kind", "message"}}`, which `Native.java` turns into a value or its one
//! `NativeException`. The async engine runs on one process-wide Tokio runtime.
//!
//! State between calls lives in registries keyed by ids Java holds: open connections
//! (Liquibase's `DatabaseConnection`), held locks and locks still being waited for. A held lock is a task that owns a
//! connection clone and the engine's `Lock` until Java asks for its release, so the lock is
//! released through the engine's own `Lock::release` on every path.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, Once};
use std::time::Duration;

use executor::change::{Mongo, MongoFile};
use executor::liquibase::{self, History, Lock, NewRow, Verdict};
use executor::{
    CheckSum, Connection, ConnectionOptions, ExecType, LockOptions, MongoshOptions,
    MongoshSettings, RanChangeSet, SettingNames, Settings, TrackingOptions, bson::DateTime,
};
use jni::Env;
use jni::objects::JByteArray;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

use crate::error::BridgeError;
use crate::protocol::{
    ChangeOp, ChangeQuery, ChangeReply, Changed, Checked, Connect, Connected, DecodeScript,
    Decoded, Done, DropAll, Dropped, Execute, Executed, FormattedReply, Handle, HeldElsewhere,
    HistoryOp, HistoryReply, HistoryRequest, Id, Lines, LockHeld, LockOp, LockReply, LockRequest,
    LockRow, Mongosh, Node, ParseFormatted, ParseJson, PreconditionRequest, Ran, Tracking, Version,
};

/// The bridge's outcome type.
pub type Result<T, E = BridgeError> = std::result::Result<T, E>;

/// One runtime for the whole JVM: JNI calls are synchronous, the engine is async.
///
/// A current-thread runtime: the JVM thread that makes a call drives the engine, the driver's
/// connection pool and its monitors itself, as liquibase-mongodb's synchronous Java driver
/// does its socket I/O on Liquibase's thread. Worker threads only added wake-ups to every
/// server round trip (a connection check-out and check-in through the pool's task, an implicit
/// session's return): Liquibase + jar at P1 N=2,000 made ~100,000 voluntary context switches
/// against the official extension's ~20,000, and on a busy two-core machine each wake-up waits
/// for a core (bench/README.md, "Liquibase + jar at scale"). Nothing here needs to run between
/// calls: the jar takes no lock lease (the only engine task with a timer of its own, the lease
/// heartbeat), a held lock's task only waits for its release, and a waited-for lock's polls
/// resume when Java calls `await`. Concurrent calls from several JVM threads are fine: tokio
/// hands the driver from one `block_on` to the next.
static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .thread_name("lbmongo")
        .enable_all()
        .build()
        .expect("a Tokio runtime can be built (threads and timers are available)")
});

static CONNECTIONS: LazyLock<Mutex<HashMap<u64, Connection>>> = LazyLock::new(Mutex::default);
/// The URL of each connection with its credentials, for mongosh (the `Connection` keeps only
/// the masked one).
static URLS: LazyLock<Mutex<HashMap<u64, String>>> = LazyLock::new(Mutex::default);
static LOCKS: LazyLock<Mutex<HashMap<u64, HeldLock>>> = LazyLock::new(Mutex::default);
static PENDING: LazyLock<Mutex<HashMap<u64, PendingLock>>> = LazyLock::new(Mutex::default);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Reads the request bytes, runs `handler` and returns the encoded reply as a new `byte[]`.
/// Only a JNI failure (out of memory, a pending exception) is an `Err`; everything the engine
/// reports, and any panic, is inside the reply.
#[expect(
    clippy::disallowed_methods,
    reason = "the one wrapper allowed raw JNI calls (clippy.toml)"
)]
pub fn call<'l, Req, Rep>(
    env: &mut Env<'l>,
    request: &JByteArray<'_>,
    handler: fn(Req) -> Result<Rep>,
) -> jni::errors::Result<JByteArray<'l>>
where
    Req: DeserializeOwned,
    Rep: Serialize,
{
    let bytes = env.convert_byte_array(request)?;
    env.byte_array_from_slice(&dispatch(&bytes, handler))
}

/// The JNI-free half of [`call`]: bytes in, bytes out.
pub fn dispatch<Req, Rep>(request: &[u8], handler: fn(Req) -> Result<Rep>) -> Vec<u8>
where
    Req: DeserializeOwned,
    Rep: Serialize,
{
    quiet_panics();
    IN_BRIDGE.with(|b| b.set(true));
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let request: Req = serde_json::from_slice(request)
            .map_err(|e| BridgeError::request(format!("cannot read request: {e}")))?;
        handler(request)
    }));
    IN_BRIDGE.with(|b| b.set(false));
    let reply = match outcome {
        Ok(Ok(report)) => Reply::Ok(report),
        Ok(Err(error)) => Reply::Error(error),
        Err(payload) => Reply::Error(BridgeError::panic(panic_message(payload.as_ref()))),
    };
    serde_json::to_vec(&reply).unwrap_or_else(|e| {
        let error: Reply<Done> =
            Reply::Error(BridgeError::request(format!("cannot write report: {e}")));
        serde_json::to_vec(&error).expect("an error reply always serializes")
    })
}

/// The envelope of every reply: `{"ok": report}` or `{"error": {…}}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Reply<T> {
    Ok(T),
    Error(BridgeError),
}

thread_local! {
    /// Whether this thread is inside [`dispatch`], where a panic is reported to Java.
    static IN_BRIDGE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The default hook prints a backtrace on stderr, inside Liquibase's output; a panic inside
/// [`dispatch`] is reported to Java instead, so the hook stays quiet there and defers to the
/// previous hook everywhere else.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_BRIDGE.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic without a message".to_owned())
}

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

fn connection(handle: u64) -> Result<Connection> {
    registry(&CONNECTIONS)
        .get(&handle)
        .cloned()
        .ok_or_else(|| BridgeError::unknown("connection", handle))
}

fn registry<T>(
    m: &'static Mutex<HashMap<u64, T>>,
) -> std::sync::MutexGuard<'static, HashMap<u64, T>> {
    // A panic while holding the map cannot leave it half-updated (insert/remove are atomic).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

// -- version --------------------------------------------------------------------------------

/// `{"version": "0.1.0"}`: this library's package version, which must equal the jar's.
pub fn version(_: Value) -> Result<Version> {
    Ok(Version {
        version: env!("CARGO_PKG_VERSION"),
    })
}

// -- connections ----------------------------------------------------------------------------

/// Opens a client and reports what Liquibase's connection shows.
pub fn connect(request: Connect) -> Result<Connected> {
    let mut options = ConnectionOptions {
        url: request.url,
        username: request.username,
        password: request.password,
        retry_writes: request.retry_writes,
        app_name: request.app_name,
        ..ConnectionOptions::default()
    };
    let notes: Vec<String> = executor::liquibase::drop_unset_null_credentials(&mut options)
        .into_iter()
        .collect();
    let url = executor::effective_url(&options)?;
    RUNTIME.block_on(async {
        let connection = Connection::open(&options).await?;
        let version = connection.server_version().await?;
        let handle = next_id();
        let report = Connected {
            handle,
            database: connection.database.clone(),
            hosts: connection.hosts(),
            user: connection.user.clone(),
            version,
            display_url: connection.display_url.clone(),
            notes,
        };
        registry(&CONNECTIONS).insert(handle, connection);
        registry(&URLS).insert(handle, url);
        Ok(report)
    })
}

/// Shuts a connection's client down (`Connection::close`, as lbmongo's CLI does before it
/// exits) and forgets its id. Only dropping it would leave the session clean-up and the pool's
/// shutdown to a background task, and the server keeps the connection of the client's pending
/// `hello` for up to its await time after that; Liquibase may then open the next connection
/// (or the JVM exit) while these are still open. Closing an id that is already closed is no
/// error: Liquibase may close twice.
pub fn close(request: Handle) -> Result<Done> {
    let connection = registry(&CONNECTIONS).remove(&request.handle);
    registry(&URLS).remove(&request.handle);
    if let Some(connection) = connection {
        RUNTIME.block_on(connection.close());
    }
    Ok(Done {})
}

// -- changes --------------------------------------------------------------------------------

/// Checksum, validation or `update-sql` preview of one change.
pub fn change(request: ChangeQuery) -> Result<ChangeReply> {
    let change = build(&request.change)?;
    Ok(match request.op {
        ChangeOp::Checksum => {
            let version = request.version.unwrap_or(CheckSum::LATEST_VERSION);
            ChangeReply::Checksum {
                checksum: CheckSum::of_change(&change, version).to_string(),
            }
        }
        ChangeOp::Validate => ChangeReply::Valid(Done {}),
        ChangeOp::Description => ChangeReply::Description {
            description: change.description(),
        },
        ChangeOp::AutomaticRollback => ChangeReply::AutomaticRollback {
            automatic_rollback: change.inverse().is_some(),
        },
        ChangeOp::Preview if liquibase::script_of(&change).is_some() && !request.rollback => {
            let id = change_set_id(request.change_set.as_ref());
            let url_db = request.database.as_deref().unwrap_or_default();
            let native = mongosh_options(request.mongosh.as_ref(), None)?.native;
            let lines: Vec<String> = liquibase::mongosh_preview(&change, &id, url_db, native)
                .iter()
                .map(executor::Preview::to_text)
                .collect();
            ChangeReply::Lines(Lines { lines })
        }
        ChangeOp::Preview => ChangeReply::Lines(Lines {
            lines: liquibase::preview(&change, request.rollback),
        }),
    })
}

/// The engine's change for a change as Liquibase holds it.
///
/// The mongosh changes are built here from their property texts because the loader (through
/// `liquibase::change`) would check them against a changeset it cannot see: `runWith`, which
/// core checks with the changeset's executor, and the `mongoFile` path, which only Liquibase's
/// resource accessor resolves (the Java side reads the file and passes its text). The fields
/// are the loader's (`load.rs`, `mongo` / `mongo_file`): the script trimmed, a blank `dbms`
/// left out, the checksum over the raw file.
fn build(change: &crate::protocol::Change) -> Result<executor::Change> {
    let text = |name: &str| {
        change
            .properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    };
    let dbms = text("dbms")
        .filter(|d| !d.trim().is_empty())
        .map(str::to_owned);
    let required = |name: &str, field: &str, hint: &str| executor::Error::Config {
        message: format!("{name}: missing required attribute `{field}`"),
        hint: Some(hint.to_owned()),
    };
    match change.name.as_str() {
        "mongo" => {
            let script = text("mongo").unwrap_or_default().trim();
            if script.is_empty() {
                return Err(required(
                    "mongo",
                    "mongo",
                    "give the mongosh script as the `mongo` attribute",
                )
                .into());
            }
            Ok(executor::Change::Mongo(Mongo {
                mongo: script.to_owned(),
                dbms,
            }))
        }
        "mongoFile" => {
            let path = text("path")
                .filter(|p| !p.trim().is_empty())
                .ok_or_else(|| required("mongoFile", "path", "give the script's `path`"))?;
            let file = change.file.as_ref().ok_or_else(|| {
                BridgeError::request("`mongoFile` needs the file's text (`file`)")
            })?;
            Ok(executor::Change::MongoFile(MongoFile {
                path: path.to_owned(),
                relative_to_changelog_file: text("relativeToChangelogFile")
                    .map(|v| v.trim().eq_ignore_ascii_case("true")),
                encoding: text("encoding")
                    .filter(|e| !e.trim().is_empty())
                    .map(str::to_owned),
                dbms,
                raw: file.raw()?,
                script: file.expanded.trim().to_owned(),
            }))
        }
        _ => Ok(liquibase::change(&change.to_spec())?),
    }
}

/// The changeset Java named, or a blank one (messages then name no changeset).
fn change_set_id(id: Option<&Id>) -> executor::ChangeSetId {
    id.map_or_else(
        || executor::ChangeSetId {
            path: String::new(),
            id: String::new(),
            author: String::new(),
        },
        Id::to_change_set_id,
    )
}

/// The engine's mongosh options from Liquibase's `liquibase.mongodb.mongosh*` settings, as the
/// CLI reads its `--mongosh-*` flags (cli main.rs `mongosh_options`); `url` is the connection's
/// URL with its credentials.
fn mongosh_options(settings: Option<&Mongosh>, url: Option<String>) -> Result<MongoshOptions> {
    let default = Mongosh::default();
    let settings = settings.unwrap_or(&default);
    let options = MongoshOptions::from_settings(&MongoshSettings {
        path: settings.path.as_deref(),
        native: settings.native.as_deref(),
        timeout_seconds: settings.timeout_seconds.as_deref(),
        extra_args: settings.extra_args.as_deref(),
        log_file: settings.log_file.as_deref(),
        names: SettingNames::Liquibase,
    })?;
    Ok(MongoshOptions { url, ..options })
}

/// Runs one change or its inverse.
pub fn execute(request: Execute) -> Result<Executed> {
    let change = build(&request.change)?;
    let connection = connection(request.handle)?;
    if liquibase::script_of(&change).is_some() && !request.rollback {
        // The loader's rule: only Harness's `mongosh` executor runs these changes.
        if let Some((message, hint)) =
            liquibase::run_with_problem(request.run_with.as_deref(), std::slice::from_ref(&change))
        {
            return Err(executor::Error::Config {
                message,
                hint: Some(hint),
            }
            .into());
        }
        let url = registry(&URLS).get(&request.handle).cloned();
        let options = mongosh_options(request.mongosh.as_ref(), url)?;
        let id = change_set_id(request.change_set.as_ref());
        RUNTIME.block_on(liquibase::run_mongosh_change(
            &connection,
            &options,
            &change,
            &id,
        ))?;
        return Ok(Executed { rows: 0 });
    }
    RUNTIME.block_on(async {
        if request.rollback {
            liquibase::rollback_change(&connection, &change).await?;
            Ok(Executed { rows: 0 })
        } else {
            Ok(Executed {
                rows: liquibase::execute_change(&connection, &change).await?,
            })
        }
    })
}

/// Checks one mongodb precondition.
pub fn precondition(request: PreconditionRequest) -> Result<Checked> {
    let precondition = liquibase::precondition(&request.precondition.to_spec())?;
    let connection = connection(request.handle)?;
    Ok(
        match RUNTIME.block_on(liquibase::check_precondition(&connection, &precondition)) {
            Verdict::Passed => Checked {
                passed: true,
                failure: None,
                error: None,
            },
            Verdict::Failed(message) => Checked {
                passed: false,
                failure: Some(message),
                error: None,
            },
            Verdict::Errored(message) => Checked {
                passed: false,
                failure: None,
                error: Some(message),
            },
        },
    )
}

/// A `mongoFile` script's bytes into its text by the loader's own rules
/// ([`executor::liquibase::script_file`]), in the loader's order: the `encoding` attribute, the
/// file's presence, then the charset (byte order mark dropped, anything that is not a
/// character of it refused with the line and byte). Liquibase's `StreamUtil` would turn bad
/// bytes into U+FFFD; the jar asks here instead, so one file is one text, checksum and error
/// in both tools.
pub fn decode_script(request: DecodeScript) -> Result<Decoded> {
    use executor::liquibase::script_file;
    let refused = |r: script_file::Refusal| -> BridgeError {
        executor::Error::Config {
            message: r.message,
            hint: Some(r.hint),
        }
        .into()
    };
    let path = liquibase::normalize_path(&request.path);
    let charset =
        script_file::check_encoding(&path, request.encoding.as_deref()).map_err(refused)?;
    let Some(encoded) = request.bytes else {
        return Err(refused(script_file::not_found(
            &path,
            request.relative_to_changelog_file,
        )));
    };
    let bytes = crate::protocol::base64_bytes(&encoded)?;
    let text = script_file::text(&path, charset, &bytes).map_err(refused)?;
    Ok(Decoded { text })
}

/// A JSON changelog into the format-neutral tree (`$rawJson` already turned into text).
pub fn parse_json(request: ParseJson) -> Result<Node> {
    liquibase::read_json(&request.text, &request.file)
        .map(Node::from)
        .map_err(|problem| executor::Error::Invalid(vec![problem]).into())
}

/// A formatted mongosh changelog into the format-neutral tree, or whether a text is one.
pub fn parse_formatted(request: ParseFormatted) -> Result<FormattedReply> {
    if request.probe {
        return Ok(FormattedReply::Probe {
            formatted: executor::Format::is_formatted_header(&request.text),
        });
    }
    let tree = liquibase::read_formatted(&request.text, &request.file)
        .map_err(|problem| BridgeError::from(executor::Error::Invalid(vec![problem])))?;
    Ok(FormattedReply::Tree(Node::from(tree)))
}

/// `drop-all`: every collection of the URL's database.
pub fn drop_all(request: DropAll) -> Result<Dropped> {
    let connection = connection(request.handle)?;
    let dropped = RUNTIME.block_on(executor::drop_all(&connection))?;
    Ok(Dropped { dropped })
}

fn settings(tracking: &Tracking, liquibase: Option<&str>) -> Settings {
    let mut settings = Settings {
        tracking: tracking.to_options(),
        ..Settings::default()
    };
    if let Some(version) = liquibase {
        settings.liquibase_version = version.to_owned();
    }
    settings
}

// -- lock -----------------------------------------------------------------------------------

/// A lock held by a task that owns the engine's `Lock` until told to release it.
struct HeldLock {
    release: oneshot::Sender<()>,
    released: oneshot::Receiver<executor::Result<()>>,
}

/// One `LockService` call.
pub fn lock(request: LockRequest) -> Result<LockReply> {
    let connection = connection(request.handle)?;
    let tracking = request.tracking.to_options();
    let options = LockOptions {
        wait: Duration::from_millis(request.wait_millis),
        poll: Duration::from_millis(request.poll_millis.max(1)),
        host_description: request.host_description.clone(),
        ..LockOptions::default()
    };
    match request.op {
        LockOp::Acquire => acquire(connection, tracking, options),
        LockOp::Await => await_lock(
            request
                .lock
                .ok_or_else(|| BridgeError::request("`await` needs `lock`"))?,
        ),
        LockOp::Init => {
            RUNTIME.block_on(liquibase::init_lock(&connection, &tracking))?;
            Ok(LockReply::Done(Done {}))
        }
        LockOp::Release => {
            let id = request
                .lock
                .ok_or_else(|| BridgeError::request("`release` needs `lock`"))?;
            let held = registry(&LOCKS)
                .remove(&id)
                .ok_or_else(|| BridgeError::unknown("lock", id))?;
            // The holder task may already have ended (runtime shut down); then there is nothing
            // left to release.
            let _ = held.release.send(());
            RUNTIME.block_on(held.released).unwrap_or(Ok(()))?;
            Ok(LockReply::Done(Done {}))
        }
        LockOp::List => {
            let rows = RUNTIME.block_on(executor::list_locks(&connection, &tracking))?;
            let locks = rows
                .into_iter()
                .map(|r| LockRow {
                    id: r.id,
                    granted: r.granted.map(DateTime::timestamp_millis),
                    locked_by: r.locked_by,
                    locked: r.locked,
                })
                .collect();
            Ok(LockReply::Locks { locks })
        }
        LockOp::ForceRelease => {
            RUNTIME.block_on(executor::release_locks(&connection, &tracking, &options))?;
            Ok(LockReply::Done(Done {}))
        }
        LockOp::PreviewAcquire | LockOp::PreviewRelease => {
            let locked_by = liquibase::locked_by(request.host_description.as_deref());
            let acquire = matches!(request.op, LockOp::PreviewAcquire);
            let mut lines = if acquire {
                RUNTIME.block_on(liquibase::setup_preview(&connection, &tracking))?
            } else {
                Vec::new()
            };
            lines.push(liquibase::lock_preview(&tracking, &locked_by, acquire));
            Ok(LockReply::Lines(Lines { lines }))
        }
        LockOp::Destroy => {
            RUNTIME.block_on(liquibase::destroy_lock(&connection, &tracking))?;
            Ok(LockReply::Done(Done {}))
        }
    }
}

/// An `acquire` whose engine task is waiting for another process's lock; [`LockOp::Await`]
/// resumes it.
struct PendingLock {
    acquired: oneshot::Receiver<executor::Result<String>>,
    waiting: mpsc::UnboundedReceiver<()>,
    release: oneshot::Sender<()>,
    released: oneshot::Receiver<executor::Result<()>>,
}

/// Passes the engine's `WaitingForLock` events to the JNI call that is waiting on the lock.
struct WaitListener(mpsc::UnboundedSender<()>);

impl executor::Listener for WaitListener {
    fn on(&self, event: &executor::Event) {
        if matches!(event, executor::Event::WaitingForLock) {
            // The receiver is gone only when Java gave the pending lock up.
            let _ = self.0.send(());
        }
    }
}

/// Starts the engine's `Lock::acquire` (its wait and poll loop) in a task that then holds the
/// lock, and answers as soon as it has it, has given up, or polls again: `{"waiting": id}`
/// lets Java log Liquibase's `Waiting for changelog lock....` while the engine keeps waiting.
fn acquire(
    connection: Connection,
    tracking: TrackingOptions,
    options: LockOptions,
) -> Result<LockReply> {
    let (acquired_tx, acquired_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let (released_tx, released_rx) = oneshot::channel();
    let (waiting_tx, waiting_rx) = mpsc::unbounded_channel();
    RUNTIME.spawn(async move {
        let listener = WaitListener(waiting_tx);
        let lock = match Lock::acquire(&connection, &tracking, &options, &listener).await {
            Ok(lock) => lock,
            Err(e) => {
                let _ = acquired_tx.send(Err(e));
                return;
            }
        };
        let _ = acquired_tx.send(Ok(lock.locked_by().to_owned()));
        // A dropped sender (the JVM lost the id) releases too.
        let _ = release_rx.await;
        let _ = released_tx.send(lock.release().await);
    });
    wait_for_lock(PendingLock {
        acquired: acquired_rx,
        waiting: waiting_rx,
        release: release_tx,
        released: released_rx,
    })
}

/// `await`: keeps waiting on the pending lock `id` an earlier `acquire` or `await` reported.
fn await_lock(id: u64) -> Result<LockReply> {
    let pending = registry(&PENDING)
        .remove(&id)
        .ok_or_else(|| BridgeError::unknown("pending lock", id))?;
    wait_for_lock(pending)
}

fn wait_for_lock(mut pending: PendingLock) -> Result<LockReply> {
    let outcome = RUNTIME.block_on(async {
        tokio::select! {
            // The outcome first: a lock taken right after a poll is reported, not another wait.
            biased;
            outcome = &mut pending.acquired => Some(outcome),
            Some(()) = pending.waiting.recv() => None,
        }
    });
    match outcome {
        None => {
            let id = next_id();
            registry(&PENDING).insert(id, pending);
            Ok(LockReply::Waiting { waiting: id })
        }
        Some(Ok(Ok(locked_by))) => {
            let id = next_id();
            registry(&LOCKS).insert(
                id,
                HeldLock {
                    release: pending.release,
                    released: pending.released,
                },
            );
            Ok(LockReply::Held(LockHeld {
                lock: id,
                locked_by,
            }))
        }
        Some(Ok(Err(e))) => match &e {
            // The engine's words (Liquibase's) come along, so Java adds none of its own.
            executor::Error::LockHeld { locked_by, since } => {
                Ok(LockReply::HeldElsewhere(HeldElsewhere {
                    held_by: locked_by.clone(),
                    since: since.clone(),
                    message: e.to_string(),
                }))
            }
            _ => Err(e.into()),
        },
        Some(Err(_)) => Err(BridgeError::panic("the lock task ended without an answer")),
    }
}

// -- history --------------------------------------------------------------------------------

/// One `ChangeLogHistoryService` call.
pub fn history(request: HistoryRequest) -> Result<HistoryReply> {
    let connection = connection(request.handle)?;
    let tracking = request.tracking.to_options();
    RUNTIME.block_on(async {
        let history = History::new(&connection, tracking.clone());
        Ok(match request.op {
            HistoryOp::Init => {
                history.ensure().await?;
                HistoryReply::Done(Done {})
            }
            HistoryOp::Read => {
                let rows: Vec<Ran> = history
                    .ran_change_sets()
                    .await?
                    .into_iter()
                    .map(Ran::from)
                    .collect();
                HistoryReply::Rows { rows }
            }
            HistoryOp::MaxOrder => HistoryReply::Max {
                max: history.max_order_executed().await?,
            },
            HistoryOp::Record => {
                let row = request
                    .row
                    .ok_or_else(|| BridgeError::request("`record` needs `row`"))?;
                let row = new_row(row)?;
                liquibase::record(&connection, &tracking, &row).await?;
                // The row as written, so Java can keep its cache of ran changesets without
                // reading the history again (for `RERAN` only the fields the update sets count).
                HistoryReply::Row {
                    row: Box::new(Ran::from(RanChangeSet::from(row))),
                }
            }
            HistoryOp::PreviewRecord => {
                let row = request
                    .row
                    .ok_or_else(|| BridgeError::request("`previewRecord` needs `row`"))?;
                HistoryReply::Lines(Lines {
                    lines: vec![liquibase::record_preview(
                        &connection,
                        &tracking,
                        &new_row(row)?,
                    )],
                })
            }
            HistoryOp::PreviewRemove => {
                let id = id(request.id.as_ref())?;
                HistoryReply::Lines(Lines {
                    lines: vec![liquibase::remove_preview(&connection, &tracking, &id)],
                })
            }
            HistoryOp::Remove => {
                let id = id(request.id.as_ref())?;
                let rows = history.remove(&id).await?;
                HistoryReply::Changed(Changed {
                    changed: Id::from(id),
                    rows,
                })
            }
            HistoryOp::Tag => {
                let tag = request
                    .tag
                    .as_deref()
                    .ok_or_else(|| BridgeError::request("`tag` needs `tag`"))?;
                let settings = settings(&request.tracking, request.liquibase.as_deref());
                let tagged = liquibase::tag_unlocked(&connection, &settings, tag).await?;
                HistoryReply::Tagged {
                    tagged: Id::from(tagged),
                }
            }
            HistoryOp::TagExists => {
                let tag = request
                    .tag
                    .as_deref()
                    .ok_or_else(|| BridgeError::request("`tagExists` needs `tag`"))?;
                HistoryReply::Exists {
                    exists: history.tag_exists(tag).await?,
                }
            }
            HistoryOp::ClearChecksums => {
                history.clear_checksums().await?;
                HistoryReply::Done(Done {})
            }
            HistoryOp::ReplaceChecksum => {
                let text = request.checksum.as_deref().unwrap_or_default();
                let checksum = CheckSum::parse(text)
                    .ok_or_else(|| BridgeError::request("`replaceChecksum` needs `checksum`"))?;
                let id = id(request.id.as_ref())?;
                let rows = history.replace_checksum(&id, &checksum).await?;
                HistoryReply::Changed(Changed {
                    changed: Id::from(id),
                    rows,
                })
            }
            HistoryOp::Destroy => {
                history.destroy().await?;
                HistoryReply::Done(Done {})
            }
        })
    })
}

fn id(id: Option<&Id>) -> Result<executor::ChangeSetId> {
    id.map(Id::to_change_set_id)
        .ok_or_else(|| BridgeError::request("the request needs `id`"))
}

fn new_row(row: crate::protocol::Row) -> Result<NewRow> {
    let exec_type = ExecType::parse(&row.exec_type)
        .ok_or_else(|| BridgeError::request(format!("unknown execType `{}`", row.exec_type)))?;
    let (contexts, labels) = liquibase::history_fields(
        row.contexts.as_deref(),
        &row.inherited_contexts,
        row.labels.as_deref(),
    );
    Ok(NewRow {
        id: row.id.to_change_set_id(),
        checksum: row.md5sum.as_deref().and_then(CheckSum::parse),
        date_executed: DateTime::now(),
        tag: row.tag,
        exec_type,
        description: row.description,
        comments: row.comments,
        contexts,
        labels,
        deployment_id: row.deployment_id,
        order_executed: row.order_executed,
        liquibase: row.liquibase,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).expect("replies are JSON")
    }

    fn failing(_: Handle) -> Result<Value> {
        Err(executor::Error::TagNotFound("v9".into()).into())
    }

    fn panicking(_: Handle) -> Result<Value> {
        panic!("deliberate")
    }

    #[test]
    fn version_is_the_package_version_the_jar_compares_with_its_own() {
        assert_eq!(
            reply(&dispatch(b"{}", version)),
            json!({ "ok": { "version": env!("CARGO_PKG_VERSION") } })
        );
    }

    #[test]
    fn awaiting_an_unknown_pending_lock_is_an_error() {
        let answer = reply(&dispatch(br#"{"handle": 0}"#, |_: Handle| {
            await_lock(u64::MAX)
        }));
        assert!(answer.get("error").is_some(), "{answer}");
    }

    #[test]
    fn reports_errors_and_panics_as_json() {
        type Handler = fn(Handle) -> Result<Value>;
        let cases: [(&[u8], Handler, &str, &str); 4] = [
            (
                br#"{"handle": 1}"#,
                failing,
                "TagNotFound",
                "Could not find tag 'v9' in the database",
            ),
            (
                br#"{"handle": 1}"#,
                panicking,
                "Panic",
                "lbmongo internal error: deliberate",
            ),
            (b"not json", failing, "Request", "cannot read request"),
            (
                br#"{"handle": 424242}"#,
                close_then_use,
                "Handle",
                "no open connection with id 424242",
            ),
        ];
        for (request, handler, kind, message) in cases {
            let r = reply(&dispatch(request, handler));
            assert_eq!(r["error"]["kind"], kind, "{r}");
            let text = r["error"]["message"].as_str().expect("message");
            assert!(text.starts_with(message), "{text}");
        }
    }

    fn close_then_use(request: Handle) -> Result<Value> {
        connection(request.handle).map(|_| json!({}))
    }

    #[test]
    fn checksums_come_from_the_engine_without_a_database() {
        let request = br#"{"op": "checksum", "version": 9,
            "change": {"name": "adminCommand", "properties": [{"name": "command", "value": "{ buildInfo: 1 }"}]}}"#;
        let r = reply(&dispatch(request, change));
        let checksum = r["ok"]["checksum"].as_str().expect("checksum");
        // The changeset checksum Liquibase 4.33 + liquibase-mongodb stored for this one change.
        assert_eq!(
            CheckSum::compute(&format!("{checksum}:")).to_string(),
            "9:2a659bf380005d42308e0616959f69c1"
        );
    }

    #[test]
    fn non_bmp_text_crosses_as_utf8() {
        // Modified UTF-8 would turn the emoji into two 3-byte surrogates and change the checksum.
        let document = "{ s: '😀é' }";
        let request = json!({ "op": "checksum", "version": 9, "change": { "name": "insertOne",
            "properties": [{ "name": "collectionName", "value": "c" }, { "name": "document", "value": document }] } });
        let r = reply(&dispatch(
            &serde_json::to_vec(&request).expect("json"),
            change,
        ));
        let spec = executor::liquibase::ChangeSpec {
            name: "insertOne".into(),
            properties: vec![
                ("collectionName".into(), "c".into()),
                ("document".into(), document.into()),
            ],
        };
        let expected = liquibase::checksum(&spec, 9).expect("valid").to_string();
        assert_eq!(r["ok"]["checksum"], expected.as_str(), "{r}");
    }

    #[test]
    fn invalid_change_json_is_an_error_naming_the_property() {
        let request = br#"{"op": "validate",
            "change": {"name": "insertOne", "properties": [{"name": "collectionName", "value": "c"}, {"name": "document", "value": "{ a: "}]}}"#;
        let r = reply(&dispatch(request, change));
        assert_eq!(r["error"]["kind"], "Config", "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("insertOne `document`")),
            "{r}"
        );
    }

    #[test]
    fn json_changelogs_become_node_trees_with_raw_json_as_text() {
        let text = r#"{"databaseChangeLog": [{"changeSet": {"id": "1", "author": "a", "changes": [
            {"insertOne": {"collectionName": "c", "document": {"$rawJson": {"a": 1}}}}]}}]}"#;
        let request = serde_json::to_vec(&json!({ "text": text, "file": "x.json" })).expect("json");
        let r = reply(&dispatch(&request, parse_json));
        let root = &r["ok"];
        assert_eq!(root["name"], "databaseChangeLog", "{r}");
        let insert = &root["children"][0]["children"][2]["children"][0];
        assert_eq!(insert["name"], "insertOne", "{r}");
        let document = insert["children"][1]["value"]
            .as_str()
            .expect("document text");
        assert!(document.contains("\"a\" : 1"), "{document}");
    }

    #[test]
    fn mongosh_changes_are_checksummed_and_described_by_the_engine() {
        let mongo = json!({ "name": "mongo",
            "properties": [{ "name": "mongo", "value": "  db.users.insertOne({name: \"a\"});\n" }] });
        let file = json!({ "name": "mongoFile",
            "properties": [{ "name": "path", "value": "scripts/a.js" },
                           { "name": "relativeToChangelogFile", "value": "true" }],
            // base64 of `db.users.insertOne({name: "a"});`
            "file": { "bytes": "ZGIudXNlcnMuaW5zZXJ0T25lKHtuYW1lOiAiYSJ9KTs=",
                      "expanded": "ignored by the checksum" } });
        let description = "mongoFile DBMS_PROPERTY_NAME=dbms, PATH_PROPERTY_NAME=path, \
            RELATIVE_TO_CHANGELOG_FILE_PROPERTY_NAME=relativeToChangelogFile, path=scripts/a.js";
        let cases = [
            (mongo.clone(), "description", "mongo"),
            (file.clone(), "description", description),
            // The changeset checksum the Harness source documents (spec mongo §11.5), for the
            // inline script and for the same text in a file.
            (mongo, "checksum", "9:b37402c8254583df696fc006b3a4a8c4"),
            (file, "checksum", "9:b37402c8254583df696fc006b3a4a8c4"),
        ];
        for (change, op, expected) in cases {
            let request = json!({ "op": op, "version": 9, "change": change });
            let r = reply(&dispatch(
                &serde_json::to_vec(&request).expect("json"),
                super::change,
            ));
            let got = r["ok"][op].as_str().expect("a text").to_owned();
            let got = if op == "checksum" {
                CheckSum::compute(&format!("{got}:")).to_string()
            } else {
                got
            };
            assert_eq!(got, expected, "{request}");
        }
    }

    #[test]
    fn invalid_mongosh_changes_and_settings_are_errors() {
        let cases = [
            (
                json!({ "op": "validate", "change": { "name": "mongo",
                "properties": [{ "name": "mongo", "value": "  " }] } }),
                "mongo: missing required attribute `mongo`",
            ),
            (
                json!({ "op": "validate", "change": { "name": "mongoFile", "properties": [] } }),
                "mongoFile: missing required attribute `path`",
            ),
            (
                json!({ "op": "validate", "change": { "name": "mongoFile",
                "properties": [{ "name": "path", "value": "a.js" }] } }),
                "`mongoFile` needs the file's text",
            ),
            (
                json!({ "op": "preview", "change": { "name": "mongo",
                "properties": [{ "name": "mongo", "value": "db.x.drop()" }] },
                "mongosh": { "native": "sometimes" } }),
                "`liquibase.mongodb.mongoshNative` must be auto, always or never",
            ),
        ];
        for (request, message) in cases {
            let r = reply(&dispatch(
                &serde_json::to_vec(&request).expect("json"),
                super::change,
            ));
            let text = r["error"]["message"].as_str().unwrap_or_default();
            assert!(text.starts_with(message), "{request}: {r}");
        }
        let timeout = Mongosh {
            timeout_seconds: Some("soon".into()),
            ..Mongosh::default()
        };
        assert!(mongosh_options(Some(&timeout), None).is_err());
        let settings = Mongosh {
            path: Some(" /opt/mongosh ".into()),
            native: Some("never".into()),
            timeout_seconds: Some("-1".into()),
            extra_args: Some("--quiet  --norc --tls".into()),
            log_file: Some(String::new()),
        };
        let options = mongosh_options(Some(&settings), None).expect("valid settings");
        assert_eq!(options.path, Some("/opt/mongosh".into()));
        assert_eq!(options.native, executor::NativeMode::Never);
        assert_eq!(options.timeout, None);
        assert_eq!(options.extra_args, ["--quiet", "--norc", "--tls"]);
        assert_eq!(options.log_file, None);
    }

    #[test]
    fn scripts_are_decoded_by_the_loader_rule() {
        const UTF8: &str = "save the script as UTF-8, or name its charset in `encoding`";
        /// bytes (none: not found), encoding, relativeToChangelogFile, then the text or the
        /// error's message and hint.
        type Case = (
            Option<&'static [u8]>,
            Option<&'static str>,
            bool,
            std::result::Result<&'static str, (&'static str, &'static str)>,
        );
        let cases: [Case; 9] = [
            (Some(b"db.a.drop()"), None, true, Ok("db.a.drop()")),
            // Java's charset names, aliases included.
            (
                Some(b"db.a.insertOne({s: '\xE4'})"),
                Some("latin1"),
                true,
                Ok("db.a.insertOne({s: '\u{e4}'})"),
            ),
            (Some(b"\xFF\xFEd\0b\0"), Some("UTF-16LE"), true, Ok("db")),
            (
                Some("\u{feff}db.a.insertOne({s: 'é'})".as_bytes()),
                Some(" UTF8 "),
                true,
                Ok("db.a.insertOne({s: 'é'})"),
            ),
            (
                Some(b"// ok\ndb.a.insertOne({s: '\xE9'})"),
                Some("utf-8"),
                true,
                Err((
                    "mongoFile `db/scripts/a.js`: line 2: not valid UTF-8 at byte 26",
                    UTF8,
                )),
            ),
            (
                Some(b"\xEF\xBB\xBF\xFF"),
                None,
                true,
                Err((
                    "mongoFile `db/scripts/a.js`: line 1: not valid UTF-8 at byte 3",
                    UTF8,
                )),
            ),
            // The encoding is refused before the file is looked at, as the loader does.
            (
                None,
                Some("latin-2"),
                true,
                Err((
                    "mongoFile `db/scripts/a.js`: encoding `latin-2` is not a charset lbmongo \
                     reads",
                    "use one of `UTF-8`, `UTF-16`, `UTF-16BE`, `UTF-16LE`, `ISO-8859-1`, \
                     `windows-1252`, `US-ASCII` or one of Java's aliases for them (e.g. \
                     `latin1`, `Cp1252`, `UTF8`)",
                )),
            ),
            (
                None,
                None,
                true,
                Err((
                    "mongoFile: file `db/scripts/a.js` was not found",
                    "the path is resolved next to the changelog",
                )),
            ),
            (
                None,
                Some(""),
                false,
                Err((
                    "mongoFile: file `db/scripts/a.js` was not found",
                    "the path is relative to the search path; add relativeToChangelogFile=\"true\" \
                     to resolve it next to the changelog",
                )),
            ),
        ];
        use base64::Engine as _;
        let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        for (bytes, encoding, relative, expected) in cases {
            let request = json!({ "path": "db/./scripts/a.js", "encoding": encoding,
                "relativeToChangelogFile": relative, "bytes": bytes.map(base64) });
            let r = reply(&dispatch(
                &serde_json::to_vec(&request).expect("json"),
                decode_script,
            ));
            match expected {
                Ok(text) => assert_eq!(r["ok"]["text"], text, "{request}: {r}"),
                Err((message, hint)) => {
                    assert_eq!(r["error"]["kind"], "Config", "{request}: {r}");
                    assert_eq!(r["error"]["message"], message, "{request}: {r}");
                    assert_eq!(r["error"]["hint"], hint, "{request}: {r}");
                }
            }
        }
        let r = reply(&dispatch(
            br#"{"path": "a.js", "bytes": "not base64!"}"#,
            decode_script,
        ));
        assert_eq!(r["error"]["kind"], "Request", "{r}");
    }

    #[test]
    fn a_recorded_row_is_reported_as_the_history_reads_it() {
        let row: crate::protocol::Row = serde_json::from_value(json!({
            "fileName": "db/main.xml", "id": "7", "author": "ann",
            "md5sum": "9:2a659bf380005d42308e0616959f69c1", "execType": "RERAN",
            "description": "insertOne", "comments": "c", "contexts": "dev",
            "inheritedContexts": ["ci"], "labels": "a", "tag": "v1",
            "deploymentId": "123", "orderExecuted": 4, "liquibase": "4.33.0" }))
        .expect("a row");
        let row = new_row(row).expect("a valid row");
        let millis = row.date_executed.timestamp_millis();
        // The engine's rule for the written contexts and labels, not this conversion's.
        let (contexts, labels) =
            liquibase::history_fields(Some("dev"), &["ci".to_owned()], Some("a"));
        let expected = json!({
            "fileName": "db/main.xml", "id": "7", "author": "ann",
            "md5sum": "9:2a659bf380005d42308e0616959f69c1", "dateExecuted": millis,
            "orderExecuted": 4, "execType": "RERAN", "description": "insertOne",
            "comments": "c", "tag": "v1", "contexts": contexts, "labels": labels,
            "deploymentId": "123", "liquibase": "4.33.0" });
        let reported = serde_json::to_value(Ran::from(RanChangeSet::from(row))).expect("json");
        assert_eq!(reported, expected);
    }

    #[test]
    fn formatted_changelogs_are_probed_and_read_by_the_engine() {
        let text = "// liquibase formatted mongodb\n// changeset ann:1 runWith:mongosh\ndb.a.insertOne({})\n";
        let cases = [(text, true), ("db.a.insertOne({})\n", false)];
        for (text, formatted) in cases {
            let request = json!({ "text": text, "file": "a.js", "probe": true });
            let r = reply(&dispatch(
                &serde_json::to_vec(&request).expect("json"),
                parse_formatted,
            ));
            assert_eq!(r["ok"]["formatted"], formatted, "{r}");
        }
        let request = json!({ "text": text, "file": "a.js" });
        let r = reply(&dispatch(
            &serde_json::to_vec(&request).expect("json"),
            parse_formatted,
        ));
        let change_set = &r["ok"]["children"][0];
        assert_eq!(change_set["name"], "changeSet", "{r}");
        let names: Vec<&str> = change_set["children"]
            .as_array()
            .expect("children")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, ["id", "author", "runWith", "mongo"], "{r}");
        let request = json!({ "text": "db.a.insertOne({})", "file": "a.js" });
        let r = reply(&dispatch(
            &serde_json::to_vec(&request).expect("json"),
            parse_formatted,
        ));
        assert_eq!(r["error"]["kind"], "Invalid", "{r}");
    }
}
