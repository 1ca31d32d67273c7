//! A SecantusDB of a test's own, for what the shared server cannot do: stop and start again on the
//! same port with the same data (server faults), require authentication (`--auth`, users created
//! while it ran without), or speak TLS with certificates the test generated.
//!
//! Its data lives in a file-backed `--storage-path` inside a directory of its own, so a restart
//! finds every collection as it was. As with the shared server (`server.rs`), the process runs
//! under a bash wrapper whose stdin is a pipe held by this process: when the test binary is gone
//! (however it ended), the wrapper reads end-of-file, stops the server and removes the directory.
//! [`OwnServer::stop`] instead sends the wrapper SIGTERM, which stops the server but keeps the
//! directory for [`OwnServer::start_again`].

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use mongodb::Client;
use mongodb::bson::doc;

use crate::support::server::{HALT, block_on, free_port, repo_root};

/// How long a server may take to print that it listens (WiredTiger recovery included).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a first start retries with another port that another process took meanwhile.
const PORT_ATTEMPTS: usize = 5;

/// Run after [`HALT`] (which defines `halt`). Arguments: the directory, the log file, then the
/// server command. SIGTERM stops the server and keeps the directory (a restart follows); SIGUSR1
/// kills it (SIGKILL) and keeps the directory; end-of-file on stdin stops it and removes the
/// directory (the test binary is gone).
const WRAPPER: &str = r#"
set -u
dir=$1; log=$2; shift 2
"$@" </dev/null >"$log" 2>&1 &
server=$!
trap 'halt; exit 0' TERM INT HUP
trap 'kill -KILL "$server" 2>/dev/null; wait "$server" 2>/dev/null; exit 0' USR1
while kill -0 "$server" 2>/dev/null; do
    read -r -t 0.5 _
    if [ $? -le 128 ]; then
        halt
        rm -rf "$dir"
        exit 0
    fi
done
wait "$server"
"#;

/// A SecantusDB owned by one test (or one group of tests), stopped when dropped.
#[derive(Debug)]
pub(crate) struct OwnServer {
    dir: PathBuf,
    port: u16,
    /// How many times the server was started; names each start's log file.
    starts: usize,
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    wrapper: Child,
    /// Closing it (dropping this struct without [`OwnServer::stop`]) stops the server and
    /// removes its directory.
    _watchdog: ChildStdin,
}

impl OwnServer {
    /// Starts a server with a file-backed store on a free loopback port; `flags` are added to
    /// host, port and storage (e.g. `--auth`, `--standalone`). Panics with the log if it
    /// cannot start.
    pub(crate) fn start(flags: &[&str]) -> OwnServer {
        let mut server = OwnServer::prepare();
        server.start_first(flags);
        server
    }

    /// Starts a server without authentication, creates user `root` (role `root`) with `password`
    /// in `admin`, and restarts it with `--auth`. `options` go into the URL of the client that
    /// creates the user (connection timeouts).
    pub(crate) fn start_with_root_user(password: &str, options: &str) -> OwnServer {
        let mut server = OwnServer::start(&[]);
        block_on(async {
            let client = Client::with_uri_str(server.uri("admin", options))
                .await
                .expect("a client of the test's own server");
            client
                .database("admin")
                .run_command(doc! { "createUser": "root", "pwd": password, "roles": ["root"] })
                .await
                .expect("create the root user");
            client.shutdown().await;
        });
        server.stop();
        server.start_again(&["--auth"]);
        server
    }

    /// A server not started yet: its directory exists, so a test can put files there (TLS
    /// certificates) before [`OwnServer::start_first`].
    pub(crate) fn prepare() -> OwnServer {
        let dir = tempfile::Builder::new()
            .prefix("lbmongo-own-secantus-")
            .tempdir()
            .expect("a directory for the test's own server")
            .keep();
        // An empty configuration file of our own keeps `./secantusd.toml` or
        // `~/.secantus/secantusd.toml` out of the test.
        std::fs::write(dir.join("secantusd.toml"), "").expect("write secantusd.toml");
        std::fs::create_dir_all(dir.join("tmp")).expect("create the server's TMPDIR");
        OwnServer {
            dir,
            port: 0,
            starts: 0,
            running: None,
        }
    }

    /// Starts a prepared server on a free loopback port; panics with the log if it cannot.
    pub(crate) fn start_first(&mut self, flags: &[&str]) {
        assert!(
            self.starts == 0,
            "start_first on a server that was started before"
        );
        let mut taken = Vec::new();
        for _ in 0..PORT_ATTEMPTS {
            self.port = free_port().unwrap_or_else(|e| panic!("{e}"));
            match self.launch(flags) {
                Ok(()) => return,
                Err(Launch::PortTaken) => taken.push(self.port.to_string()),
                Err(Launch::Failed(why)) => panic!("{why}"),
            }
        }
        panic!(
            "the test's own SecantusDB could not bind a port: {} were taken",
            taken.join(", ")
        );
    }

    /// The directory holding the store, the logs and anything the test puts there (certificates).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// `mongodb://127.0.0.1:<port>/<db>`, with `?<options>` when they are not empty.
    pub(crate) fn uri(&self, db: &str, options: &str) -> String {
        let mut uri = format!("mongodb://127.0.0.1:{}/{db}", self.port);
        if !options.is_empty() {
            uri.push('?');
            uri.push_str(options);
        }
        uri
    }

    /// The log of the latest start, for assertion messages.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.log_path(self.starts)).unwrap_or_default()
    }

    /// Stops the server (SIGTERM, then SIGKILL after ten seconds) and waits until it is gone; the
    /// store stays for [`OwnServer::start_again`].
    pub(crate) fn stop(&mut self) {
        self.signal_and_wait("-TERM");
    }

    /// Kills the server at once (SIGKILL), as a crash or a power cut on a host would; the store
    /// stays for [`OwnServer::start_again`].
    pub(crate) fn kill(&mut self) {
        self.signal_and_wait("-USR1");
    }

    /// Starts the server again on the same port with the same store, with `flags`.
    pub(crate) fn start_again(&mut self, flags: &[&str]) {
        assert!(self.running.is_none(), "start_again on a running server");
        match self.launch(flags) {
            Ok(()) => {}
            Err(Launch::PortTaken) => panic!(
                "port {} was taken by another process while the server was stopped",
                self.port
            ),
            Err(Launch::Failed(why)) => panic!("{why}"),
        }
    }

    fn log_path(&self, start: usize) -> PathBuf {
        self.dir.join(format!("server-{start}.log"))
    }

    fn signal_and_wait(&mut self, signal: &str) {
        if let Some(mut running) = self.running.take() {
            let _ = Command::new("kill")
                .args([signal, &running.wrapper.id().to_string()])
                .status();
            let _ = running.wrapper.wait();
        }
    }

    fn launch(&mut self, flags: &[&str]) -> Result<(), Launch> {
        let binary = repo_root().join(".cache/venv/bin/secantusd-py");
        if !binary.is_file() {
            return Err(Launch::Failed(format!(
                "the test server SecantusDB is not installed (no `{}`)\n\
                 hint: run `make test` (or scripts/install-secantus.sh)",
                binary.display()
            )));
        }
        self.starts += 1;
        let log = self.log_path(self.starts);
        let port = self.port.to_string();
        let mut wrapper = Command::new("bash")
            .arg("-c")
            .arg(format!("{HALT}{WRAPPER}"))
            .arg("own-secantus-wrapper")
            .arg(&self.dir)
            .arg(&log)
            .arg(&binary)
            .arg("--config")
            .arg(self.dir.join("secantusd.toml"))
            .args(["--host", "127.0.0.1", "--port", &port, "--storage-path"])
            .arg(self.dir.join("data"))
            .args(flags)
            .current_dir(&self.dir)
            .env("TMPDIR", self.dir.join("tmp"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Launch::Failed(format!("cannot run `bash` to start SecantusDB: {e}")))?;
        let watchdog = wrapper
            .stdin
            .take()
            .expect("stdin was configured as a pipe");
        let listening = format!("listening on 127.0.0.1:{port}");
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains(&listening) {
                self.running = Some(Running {
                    wrapper,
                    _watchdog: watchdog,
                });
                return Ok(());
            }
            let exited = wrapper
                .try_wait()
                .map_err(|e| Launch::Failed(format!("cannot watch the SecantusDB wrapper: {e}")))?;
            if exited.is_some() {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(if text.contains("Address already in use") {
                    Launch::PortTaken
                } else {
                    Launch::Failed(format!("SecantusDB exited during startup:\n{text}"))
                });
            }
            if Instant::now() >= deadline {
                let _ = Command::new("kill")
                    .args(["-TERM", &wrapper.id().to_string()])
                    .status();
                let _ = wrapper.wait();
                return Err(Launch::Failed(format!(
                    "SecantusDB did not listen on port {port} within {} s:\n{text}",
                    STARTUP_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.stop();
        match std::fs::remove_dir_all(&self.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            // Leaving a temporary directory behind is no reason to fail a test.
            Err(_) => {}
        }
    }
}

enum Launch {
    PortTaken,
    Failed(String),
}

/// Runs `openssl` with `args` in `dir`; panics with its output when it fails.
pub(crate) fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `openssl` (is it installed?): {e}"));
    assert!(
        output.status.success(),
        "`openssl {}` failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A certificate authority and a server certificate for `127.0.0.1` and `localhost` signed by it,
/// written into `dir` as `ca.pem`, `server.pem` and `server.key`; returns the CA file.
pub(crate) fn self_signed_certificates(dir: &Path) -> PathBuf {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=lbmongo test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("write the certificate extensions");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-extfile",
            "server.ext",
        ],
    );
    dir.join("ca.pem")
}
