//! The test server: one SecantusDB per test binary and kind, or the server named by `MONGODB_URI`;
//! and the second, independent server of issue 13: one FerretDB (`FERRETDB_URI` names an external
//! one), which the `ferretdb` tests share.
//!
//! FerretDB v1.24.2 (built by `scripts/install-ferretdb.sh` into `.cache/ferretdb/bin`) runs with
//! its pure-Go SQLite backend in the server's temporary directory, telemetry and the debug HTTP
//! listener off, and the same wrapper, watchdog and startup checks as SecantusDB.
//!
//! SecantusDB (PyPI `SecantusDB`, installed by `scripts/install-secantus.sh` into `.cache/venv`)
//! speaks the MongoDB wire protocol. The first test that asks for a kind of server starts it on a
//! free loopback port with a throwaway `:memory:` store and waits until it answers `hello`; every
//! later test of the binary shares it and takes its own database from [`fresh_db`]. When the
//! server cannot start, the test fails with the reason and the server log; it never skips.
//!
//! The server must not outlive the test binary, however the binary ends (normal exit, a panic that
//! aborts, SIGKILL). A `static` is never dropped, so no destructor can be relied on. Instead the
//! server runs under a small bash wrapper whose stdin is a pipe held open by this process: the
//! kernel closes it when the process is gone, the wrapper reads end-of-file and stops the server
//! (SIGTERM, then SIGKILL after ten seconds), then removes the server's directory. Rust opens its
//! pipes close-on-exec, so no other child of the tests keeps the pipe open.
//!
//! With `MONGODB_URI` (or `MONGODB_URI_STANDALONE` for a standalone server) set, the same tests
//! run against that server and nothing is started.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::IntoFuture;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mongodb::bson::{Document, doc};
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

/// How long a started server may take to answer `hello`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a port that another process took between our probe and the server's bind is
/// replaced by a new one before giving up.
const PORT_ATTEMPTS: usize = 5;
/// Lines of the server log quoted when the server fails.
const LOG_TAIL_LINES: usize = 40;
/// MongoDB refuses database names of 64 bytes or more; the test's part is cut to leave room for
/// the run and counter suffix.
const DB_NAME_TEST_PART: usize = 40;

/// What kind of server a test needs. Each distinct value gets its own server, started on first use.
///
/// Later kinds (`--auth` with provisioned users, TLS with generated certificates) become new
/// fields here: [`ServerOptions::secantus_args`] turns them into flags and
/// [`ServerOptions::env_var`] names the variable that points at an external server of that kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct ServerOptions {
    /// Replica set (the default: transactions work) or standalone.
    pub(crate) topology: Topology,
    /// Which server program: SecantusDB (the default) or FerretDB.
    pub(crate) implementation: Implementation,
}

/// The server program behind a [`ServerOptions`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) enum Implementation {
    /// SecantusDB, the default test server.
    #[default]
    Secantus,
    /// FerretDB v1 on SQLite: no transactions, no validators, non-atomic conditional updates.
    FerretDb,
}

/// The topology a server presents in its `hello` reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) enum Topology {
    /// A one-node replica set, `setName: secantus` on SecantusDB.
    #[default]
    ReplicaSet,
    /// A standalone server: no `setName`, no transactions.
    Standalone,
}

impl ServerOptions {
    /// The options of a standalone server.
    pub(crate) fn standalone() -> Self {
        Self {
            topology: Topology::Standalone,
            ..Self::default()
        }
    }

    /// FerretDB as users start it by default: no `--repl-set-name`, so `hello` names no set.
    pub(crate) fn ferretdb() -> Self {
        Self {
            topology: Topology::Standalone,
            implementation: Implementation::FerretDb,
        }
    }

    /// FerretDB started with `--repl-set-name rs0`: `hello` reports a replica set, yet
    /// transactions are rejected.
    pub(crate) fn ferretdb_repl_set() -> Self {
        Self {
            topology: Topology::ReplicaSet,
            implementation: Implementation::FerretDb,
        }
    }

    /// The environment variable that names an external server of this kind instead of ours.
    fn env_var(&self) -> &'static str {
        match (self.implementation, self.topology) {
            (Implementation::Secantus, Topology::ReplicaSet) => "MONGODB_URI",
            (Implementation::Secantus, Topology::Standalone) => "MONGODB_URI_STANDALONE",
            (Implementation::FerretDb, Topology::Standalone) => "FERRETDB_URI",
            (Implementation::FerretDb, Topology::ReplicaSet) => "FERRETDB_URI_REPL_SET",
        }
    }

    /// The program's name in messages.
    fn program(&self) -> &'static str {
        match self.implementation {
            Implementation::Secantus => "SecantusDB",
            Implementation::FerretDb => "FerretDB",
        }
    }

    /// SecantusDB's flags for this kind, after host, port and storage.
    fn secantus_args(&self) -> Vec<&'static str> {
        match self.topology {
            Topology::ReplicaSet => vec![],
            Topology::Standalone => vec!["--standalone"],
        }
    }
}

/// A running server shared by the tests of one binary.
#[derive(Debug)]
pub(crate) struct TestServer {
    uri: String,
    options: ServerOptions,
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    /// The server named by an environment variable; we neither start nor stop it.
    External { env_var: &'static str },
    /// Our SecantusDB or FerretDB. The handles are held until the process exits: closing
    /// `_watchdog` is what stops the server.
    Started {
        program: &'static str,
        dir: PathBuf,
        _wrapper: Child,
        _watchdog: ChildStdin,
    },
}

impl TestServer {
    /// The server's connection string, without a database (as given, for an external server).
    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }

    /// The connection string of database `db` on this server, as the CLI and Liquibase take it.
    pub(crate) fn uri_for(&self, db: &str) -> String {
        with_database(&self.uri, db)
    }

    /// The kind of server this is.
    pub(crate) fn options(&self) -> &ServerOptions {
        &self.options
    }

    /// Whether this is a server named by `MONGODB_URI` (or its standalone twin), not SecantusDB.
    pub(crate) fn is_external(&self) -> bool {
        matches!(self.backend, Backend::External { .. })
    }

    /// The last lines of the server log, for assertion messages; empty for an external server.
    pub(crate) fn log_tail(&self) -> String {
        match &self.backend {
            Backend::External { .. } => String::new(),
            Backend::Started { dir, .. } => log_tail(&dir.join("server.log")),
        }
    }

    /// A new database of this server for test `test`: its client, handle and connection string.
    ///
    /// The name is readable and unique within the run and across runs ([`db_name`]), so tests
    /// never see each other's data, even on a long-lived external server.
    pub(crate) async fn fresh_db(&self, test: &str) -> (Client, Database, String) {
        let name = db_name(test);
        let url = self.uri_for(&name);
        let client = Client::with_uri_str(&url).await.unwrap_or_else(|e| {
            panic!(
                "cannot connect to {} at `{}`: {e}",
                self.describe(),
                redact(&url)
            )
        });
        let db = client.database(&name);
        (client, db, url)
    }

    fn describe(&self) -> String {
        match &self.backend {
            Backend::External { env_var } => format!("the server of `{env_var}`"),
            Backend::Started { program, .. } => (*program).to_owned(),
        }
    }
}

/// The default server: a one-node replica set (or `MONGODB_URI`). Starts it on first use; panics
/// with the reason and the server log when it cannot.
pub(crate) fn server() -> &'static TestServer {
    server_with(&ServerOptions::default())
}

/// The server of kind `options`, started on first use (or named by [`ServerOptions::env_var`]).
pub(crate) fn server_with(options: &ServerOptions) -> &'static TestServer {
    static SERVERS: LazyLock<Mutex<HashMap<ServerOptions, Result<&'static TestServer, String>>>> =
        LazyLock::new(Mutex::default);
    // The lock is held while a server starts, so tests that want the same kind wait for it rather
    // than start their own. Starting returns errors instead of panicking, so the lock is not
    // poisoned; a failure is remembered and every later test fails with the same reason at once.
    let mut servers = SERVERS.lock().unwrap_or_else(PoisonError::into_inner);
    let started = servers
        .entry(options.clone())
        .or_insert_with(|| start(options).map(|s| &*Box::leak(Box::new(s))))
        .clone();
    drop(servers);
    match started {
        Ok(server) => server,
        Err(why) => panic!("{why}"),
    }
}

/// [`TestServer::fresh_db`] on the default server.
pub(crate) async fn fresh_db(test: &str) -> (Client, Database, String) {
    server().fresh_db(test).await
}

/// A database name for test `test`: the test name (made safe), this run's process id and a
/// counter, e.g. `transaction_commits_4711_3`.
pub(crate) fn db_name(test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut safe: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(DB_NAME_TEST_PART)
        .collect();
    if safe.is_empty() {
        safe.push_str("test");
    }
    format!("{safe}_{}_{n}", std::process::id())
}

/// Runs `future` to completion on a runtime shared by the synchronous tests, for the ones that
/// run the CLI and then look at the database. A `Client` made here stays usable across tests;
/// `#[tokio::test]` tests use their own runtime and must not call this (it would block it).
pub(crate) fn block_on<F: IntoFuture>(future: F) -> F::Output {
    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("e2e-shared")
            .enable_all()
            .build()
            .expect("a Tokio runtime for the synchronous tests can always be built")
    });
    RUNTIME.block_on(future.into_future())
}

fn start(options: &ServerOptions) -> Result<TestServer, String> {
    let env_var = options.env_var();
    match std::env::var(env_var) {
        Ok(uri) if !uri.trim().is_empty() => connect_external(options, env_var, uri.trim()),
        _ => start_own(options),
    }
}

fn connect_external(
    options: &ServerOptions,
    env_var: &'static str,
    uri: &str,
) -> Result<TestServer, String> {
    hello_until(uri, Instant::now() + STARTUP_TIMEOUT).map_err(|e| {
        format!(
            "the server of `{env_var}` (`{}`) does not answer `hello`: {e}",
            redact(uri)
        )
    })?;
    Ok(TestServer {
        uri: uri.to_owned(),
        options: options.clone(),
        backend: Backend::External { env_var },
    })
}

/// The repository root: the test crate lives in `tests/`.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the test crate lives in a folder of the repository")
        .to_owned()
}

fn start_own(options: &ServerOptions) -> Result<TestServer, String> {
    let (binary, script) = match options.implementation {
        Implementation::Secantus => (".cache/venv/bin/secantusd-py", "install-secantus.sh"),
        Implementation::FerretDb => (".cache/ferretdb/bin/ferretdb", "install-ferretdb.sh"),
    };
    let binary = repo_root().join(binary);
    if !binary.is_file() {
        return Err(format!(
            "the test server {} is not installed (no `{}`)\n\
             hint: run `make test` (or scripts/{script}), or set `{}` to such a server",
            options.program(),
            binary.display(),
            options.env_var(),
        ));
    }
    let mut failures = Vec::new();
    for _ in 0..PORT_ATTEMPTS {
        match launch(&binary, options)? {
            Launch::Ready(server) => return Ok(server),
            Launch::PortTaken(port) => failures.push(port.to_string()),
        }
    }
    Err(format!(
        "{} could not bind a loopback port: ports {} were taken by other processes",
        options.program(),
        failures.join(", ")
    ))
}

enum Launch {
    Ready(TestServer),
    /// Another process bound the port between our probe and the server's bind: try another one.
    PortTaken(u16),
}

/// The bash function `halt` that both wrappers (this one and `own_server.rs`'s) stop their server
/// with: SIGTERM to `$server`, up to ten seconds for it to go, then SIGKILL; it returns once the
/// server is reaped. A wrapper is run as `format!("{HALT}{WRAPPER}")`.
pub(crate) const HALT: &str = r#"
halt() {
    kill -TERM "$server" 2>/dev/null
    for _ in $(seq 1 100); do
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$server" 2>/dev/null
    wait "$server" 2>/dev/null
}
"#;

/// The wrapper that runs the server (see the module comment), after [`HALT`]. Arguments: the
/// server's directory, then the server command. It stops the server when its stdin reaches
/// end-of-file or it gets SIGTERM/SIGINT/SIGHUP; when the server dies on its own it keeps
/// `server.log` for the tests to read and exits.
const WRAPPER: &str = r#"
set -u
dir=$1; shift
"$@" </dev/null >"$dir/server.log" 2>&1 &
server=$!
stop() {
    halt
    rm -rf "$dir"
    exit 0
}
trap stop TERM INT HUP
# Poll rather than `wait -n`, which can miss a child that exited before it was called. `read`
# times out (status > 128) while the pipe is open and returns at once on end-of-file.
while kill -0 "$server" 2>/dev/null; do
    read -r -t 0.5 _
    [ $? -gt 128 ] || stop
done
wait "$server"
echo "$?" >"$dir/exit-status"
rm -rf "$dir/tmp"
"#;

fn launch(binary: &Path, options: &ServerOptions) -> Result<Launch, String> {
    let program = options.program();
    let port = free_port()?;
    let dir = tempfile::Builder::new()
        .prefix(match options.implementation {
            Implementation::Secantus => "lbmongo-secantus-",
            Implementation::FerretDb => "lbmongo-ferretdb-",
        })
        .tempdir()
        .map_err(|e| format!("cannot create a directory for the test server: {e}"))?
        .keep();
    // SecantusDB would read `./secantusd.toml` or `~/.secantus/secantusd.toml` if they exist; an
    // empty file of our own makes the flags below its whole configuration. Its `:memory:` store
    // lives under TMPDIR, which the wrapper removes with the directory.
    let config = dir.join("secantusd.toml");
    let tmp = dir.join("tmp");
    std::fs::write(&config, "")
        .and_then(|()| std::fs::create_dir(&tmp))
        .map_err(|e| format!("cannot prepare `{}`: {e}", dir.display()))?;
    let port_arg = port.to_string();
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(format!("{HALT}{WRAPPER}"))
        .arg("server-wrapper")
        .arg(&dir)
        .arg(binary);
    match options.implementation {
        Implementation::Secantus => {
            command
                .arg("--config")
                .arg(&config)
                .args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port_arg,
                    "--storage-path",
                    ":memory:",
                ])
                .args(options.secantus_args());
        }
        Implementation::FerretDb => {
            // SQLite databases in the server's directory (removed with it); the debug HTTP
            // listener off (it would need a port of its own) and no telemetry; `info`, the
            // default level, logs the "Listening on" line the start-up waits for.
            let data = dir.join("data");
            std::fs::create_dir(&data)
                .map_err(|e| format!("cannot prepare `{}`: {e}", data.display()))?;
            command
                .arg("--handler=sqlite")
                .arg(format!("--sqlite-url=file:{}/", data.display()))
                .arg(format!("--state-dir={}", dir.display()))
                .arg(format!("--listen-addr=127.0.0.1:{port}"))
                .args(["--debug-addr=-", "--telemetry=disable", "--log-level=info"]);
            if options.topology == Topology::ReplicaSet {
                command.arg("--repl-set-name=rs0");
            }
        }
    }
    command
        .current_dir(&dir)
        .env("TMPDIR", &tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut wrapper = command
        .spawn()
        .map_err(|e| format!("cannot run `bash` to start {program}: {e}"))?;
    let watchdog = wrapper
        .stdin
        .take()
        .expect("stdin was configured as a pipe");
    let log = dir.join("server.log");
    let uri = format!("mongodb://127.0.0.1:{port}/");
    let listening = match options.implementation {
        Implementation::Secantus => format!("listening on 127.0.0.1:{port}"),
        Implementation::FerretDb => format!("Listening on TCP 127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + STARTUP_TIMEOUT;

    // Wait for the server's own "listening" line before asking `hello`: should another process
    // have taken the port, `hello` could be answered by that process instead.
    let failure = loop {
        match wrapper.try_wait() {
            Ok(None) => {}
            Ok(Some(_)) => {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let status = std::fs::read_to_string(dir.join("exit-status")).unwrap_or_default();
                let _ = std::fs::remove_dir_all(&dir);
                if text.contains("address already in use")
                    || text.contains("Address already in use")
                {
                    return Ok(Launch::PortTaken(port));
                }
                return Err(format!(
                    "{program} exited during startup (status {})\n{}",
                    status.trim(),
                    tail_of(&text, &log)
                ));
            }
            Err(e) => break format!("cannot watch the {program} wrapper: {e}"),
        }
        if std::fs::read_to_string(&log).is_ok_and(|text| text.contains(&listening)) {
            match hello_until(&uri, deadline) {
                Ok(_) => {
                    return Ok(Launch::Ready(TestServer {
                        uri,
                        options: options.clone(),
                        backend: Backend::Started {
                            program,
                            dir,
                            _wrapper: wrapper,
                            _watchdog: watchdog,
                        },
                    }));
                }
                Err(e) => break format!("{program} on port {port} does not answer `hello`: {e}"),
            }
        }
        if Instant::now() >= deadline {
            break format!(
                "{program} did not start listening on port {port} within {} s",
                STARTUP_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Read the log before closing the watchdog: the wrapper removes it with the directory.
    let tail = log_tail(&log);
    drop(watchdog);
    let _ = wrapper.wait();
    Err(format!("{failure}\n{tail}"))
}

/// A loopback port that was free a moment ago. The server binds it a little later; if another
/// process took it meanwhile, the server fails with "Address already in use" and we retry.
pub(crate) fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("cannot find a free loopback port: {e}"))
}

/// Asks `hello` until it is answered or `deadline` passes. Runs on a thread of its own with its
/// own runtime, so it works whether or not the caller is inside an async test.
fn hello_until(uri: &str, deadline: Instant) -> Result<Document, String> {
    let uri = uri.to_owned();
    let ask = move || -> Result<Document, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build a Tokio runtime: {e}"))?;
        runtime.block_on(async {
            let mut options = ClientOptions::parse(&uri)
                .await
                .map_err(|e| e.to_string())?;
            let left = deadline.saturating_duration_since(Instant::now());
            options.server_selection_timeout = Some(left.max(Duration::from_secs(1)));
            options.connect_timeout = Some(Duration::from_secs(5));
            let client = Client::with_options(options).map_err(|e| e.to_string())?;
            let reply = client
                .database("admin")
                .run_command(doc! { "hello": 1 })
                .await;
            client.shutdown().await;
            reply.map_err(|e| e.to_string())
        })
    };
    std::thread::spawn(ask)
        .join()
        .unwrap_or_else(|_| Err("the `hello` thread panicked".to_owned()))
}

fn log_tail(log: &Path) -> String {
    match std::fs::read_to_string(log) {
        Ok(text) => tail_of(&text, log),
        Err(e) if e.kind() == ErrorKind::NotFound => format!("(no log at `{}`)", log.display()),
        Err(e) => format!("(cannot read `{}`: {e})", log.display()),
    }
}

fn tail_of(text: &str, log: &Path) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(LOG_TAIL_LINES);
    let mut out = format!(
        "--- last {} lines of `{}` ---",
        lines.len() - start,
        log.display()
    );
    for line in &lines[start..] {
        let _ = write!(out, "\n{line}");
    }
    out
}

/// `uri` with its database (the path) replaced by `db`, keeping hosts and options.
///
/// With credentials and no `authSource`, the driver authenticates against the URI's database
/// (or `admin` when it has none); changing the database would change where the user is looked
/// up, so the old one is pinned as `authSource`.
fn with_database(uri: &str, db: &str) -> String {
    let (scheme, rest) = uri.split_once("://").unwrap_or(("mongodb", uri));
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let (authority, old_db) = match before_query.split_once('/') {
        Some((authority, path)) => (authority, path),
        None => (before_query, ""),
    };
    let mut params: Vec<String> = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let has_auth_source = params.iter().any(|p| {
        p.split('=')
            .next()
            .is_some_and(|key| key.eq_ignore_ascii_case("authSource"))
    });
    if authority.contains('@') && !has_auth_source {
        let source = if old_db.is_empty() { "admin" } else { old_db };
        params.push(format!("authSource={source}"));
    }
    let mut out = format!("{scheme}://{authority}/{db}");
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// `uri` with any password replaced by `***`, for messages.
fn redact(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return uri.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, hosts)) => {
            let user = user_info
                .split_once(':')
                .map_or(user_info, |(user, _)| user);
            let hidden = if user_info.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{hosts}{tail}")
        }
        None => uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_replaces_the_path_and_keeps_options() {
        let cases = [
            (
                "mongodb://127.0.0.1:5/",
                "shop",
                "mongodb://127.0.0.1:5/shop",
            ),
            ("mongodb://h:27017", "shop", "mongodb://h:27017/shop"),
            (
                "mongodb://h/admin?replicaSet=rs0",
                "shop",
                "mongodb://h/shop?replicaSet=rs0",
            ),
            (
                "mongodb://a:1,b:2/?replicaSet=x&w=1",
                "d",
                "mongodb://a:1,b:2/d?replicaSet=x&w=1",
            ),
            (
                "mongodb://u:p@h/admin",
                "d",
                "mongodb://u:p@h/d?authSource=admin",
            ),
            (
                "mongodb://u:p@h/app?tls=true",
                "d",
                "mongodb://u:p@h/d?tls=true&authSource=app",
            ),
            ("mongodb://u:p@h", "d", "mongodb://u:p@h/d?authSource=admin"),
            (
                "mongodb://u:p@h/x?authsource=y",
                "d",
                "mongodb://u:p@h/d?authsource=y",
            ),
            (
                "mongodb+srv://u:p@c.example.org/",
                "d",
                "mongodb+srv://u:p@c.example.org/d?authSource=admin",
            ),
        ];
        for (uri, db, expected) in cases {
            assert_eq!(with_database(uri, db), expected, "uri `{uri}`");
        }
    }

    #[test]
    fn redact_hides_passwords_only() {
        let cases = [
            (
                "mongodb://u:secret@h:1/db?x=1",
                "mongodb://u:***@h:1/db?x=1",
            ),
            ("mongodb://u@h/db", "mongodb://u@h/db"),
            ("mongodb://h:1/db", "mongodb://h:1/db"),
            ("mongodb://u:p@ss@h/db", "mongodb://u:***@h/db"),
        ];
        for (uri, expected) in cases {
            assert_eq!(redact(uri), expected, "uri `{uri}`");
        }
    }

    #[test]
    fn db_name_is_readable_safe_and_unique() {
        let a = db_name("server::two tests/get.dbs");
        let b = db_name("server::two tests/get.dbs");
        assert_ne!(a, b);
        let prefix = "server__two_tests_get_dbs_";
        assert!(a.starts_with(prefix), "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "{a}"
        );
        let long = db_name(&"x".repeat(200));
        assert!(long.len() < 64, "{long}");
        assert!(db_name("").starts_with("test_"));
    }

    #[test]
    fn each_kind_has_its_own_variable_and_flags() {
        let cases = [
            (ServerOptions::default(), "MONGODB_URI", Vec::<&str>::new()),
            (
                ServerOptions::standalone(),
                "MONGODB_URI_STANDALONE",
                vec!["--standalone"],
            ),
        ];
        for (options, var, args) in cases {
            assert_eq!(options.env_var(), var);
            assert_eq!(options.secantus_args(), args);
        }
    }
}
