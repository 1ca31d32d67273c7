//! The benchmark's server: SecantusDB started as the end-to-end tests start it
//! (tests/e2e/support/server.rs), or the server named by `--mongodb-uri` / `MONGODB_URI`.
//!
//! The approach is the tests': the server runs under a small bash wrapper whose stdin is a pipe
//! this process holds; when the harness exits however it exits, the kernel closes the pipe, the
//! wrapper reads end-of-file, stops the server and removes its directory. The harness waits for
//! the server's own "listening" line, then for a `hello` reply.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use mongodb::Client;
use mongodb::bson::doc;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const PORT_ATTEMPTS: usize = 5;

/// A running server. Dropping it stops a SecantusDB the harness started.
#[derive(Debug)]
pub(crate) struct Server {
    uri: String,
    /// What it is, for the results: `SecantusDB 0.7.0b3` or `external`.
    pub(crate) description: String,
    _wrapper: Option<(Child, ChildStdin)>,
}

impl Server {
    /// CPU seconds (user + system) used so far by the server process tree the harness started;
    /// `None` for an external server. Sampled before and after a run, the difference is the
    /// server work the runner caused, which explains wall time that the client's CPU does not.
    pub(crate) fn cpu_s(&self) -> Option<f64> {
        let (wrapper, _) = self._wrapper.as_ref()?;
        let mut total_ticks = 0_u64;
        let mut pending = children(wrapper.id());
        while let Some(pid) = pending.pop() {
            total_ticks += cpu_ticks(pid).unwrap_or(0);
            pending.extend(children(pid));
        }
        // /proc reports clock ticks of USER_HZ, which is 100 on every Linux ABI.
        #[allow(clippy::cast_precision_loss)] // Ticks are far below 2^52.
        Some(total_ticks as f64 / 100.0)
    }
    /// The connection string of database `db`. `directConnection=true` keeps the Java and Node.js
    /// drivers from chasing the replica-set member names the server announces.
    pub(crate) fn url_for(&self, db: &str) -> String {
        let (base, query) = match self.uri.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (self.uri.as_str(), None),
        };
        let authority = base
            .strip_prefix("mongodb://")
            .map_or(base, |rest| rest.split('/').next().unwrap_or(rest));
        let mut params: Vec<&str> = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|p| !p.is_empty())
            .collect();
        if !params
            .iter()
            .any(|p| p.to_ascii_lowercase().starts_with("directconnection="))
        {
            params.push("directConnection=true");
        }
        format!("mongodb://{authority}/{db}?{}", params.join("&"))
    }
}

/// The wrapper (see the module comment): stops the server on end-of-file of its stdin or on
/// SIGTERM/SIGINT/SIGHUP, then removes the server's directory.
const WRAPPER: &str = r#"
set -u
dir=$1; shift
"$@" </dev/null >"$dir/server.log" 2>&1 &
server=$!
stop() {
    kill -TERM "$server" 2>/dev/null
    for _ in $(seq 1 100); do
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    rm -rf "$dir"
    exit 0
}
trap stop TERM INT HUP
while kill -0 "$server" 2>/dev/null; do
    read -r -t 0.5 _
    [ $? -gt 128 ] || stop
done
wait "$server"
echo "server exited: $?" >>"$dir/server.log"
"#;

/// The children of every thread of process `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// `utime + stime` of process `pid` (all its threads) from /proc/<pid>/stat.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis
    // start with field 3, so utime (14) and stime (15) are the 12th and 13th after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Connects to `external` when given, else starts SecantusDB from the repository's cache.
pub(crate) fn start(repo: &Path, external: Option<&str>) -> Result<Server> {
    if let Some(uri) = external {
        hello(uri).with_context(|| format!("the server at `{uri}` does not answer `hello`"))?;
        return Ok(Server {
            uri: uri.to_owned(),
            description: "external (MONGODB_URI)".to_owned(),
            _wrapper: None,
        });
    }
    let binary = repo.join(".cache/venv/bin/secantusd-py");
    if !binary.is_file() {
        bail!(
            "SecantusDB is not installed (no `{}`)\nhint: run `scripts/install-secantus.sh`",
            binary.display()
        );
    }
    let version = std::fs::read_dir(repo.join(".cache/venv"))
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find_map(|name| name.strip_prefix(".secantus-").map(str::to_owned))
        .unwrap_or_else(|| "(version unknown)".to_owned());
    let mut taken = Vec::new();
    for _ in 0..PORT_ATTEMPTS {
        match launch(&binary)? {
            Some((uri, wrapper)) => {
                return Ok(Server {
                    uri,
                    description: format!("SecantusDB {version}"),
                    _wrapper: Some(wrapper),
                });
            }
            None => taken.push(()),
        }
    }
    bail!(
        "SecantusDB could not bind a loopback port in {} attempts",
        taken.len()
    )
}

/// Starts one server; `None` when another process took the port first.
fn launch(binary: &Path) -> Result<Option<(String, (Child, ChildStdin))>> {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .context("cannot find a free loopback port")?
        .port();
    let dir: PathBuf = tempfile::Builder::new()
        .prefix("lbmongo-bench-secantus-")
        .tempdir()
        .context("cannot create a directory for the server")?
        .keep();
    // An empty configuration of our own: SecantusDB would otherwise read ./secantusd.toml or
    // ~/.secantus/secantusd.toml. The `:memory:` store lives under TMPDIR, inside `dir`.
    let config = dir.join("secantusd.toml");
    let tmp = dir.join("tmp");
    std::fs::write(&config, "").context("cannot write the server configuration")?;
    std::fs::create_dir(&tmp).context("cannot create the server's TMPDIR")?;
    let mut wrapper = Command::new("bash")
        .arg("-c")
        .arg(WRAPPER)
        .arg("secantus-wrapper")
        .arg(&dir)
        .arg(binary)
        .arg("--config")
        .arg(&config)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--storage-path", ":memory:"])
        .current_dir(&dir)
        .env("TMPDIR", &tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot run `bash` to start SecantusDB")?;
    let watchdog = wrapper.stdin.take().context("stdin is a pipe")?;
    let log = dir.join("server.log");
    let listening = format!("listening on 127.0.0.1:{port}");
    let uri = format!("mongodb://127.0.0.1:{port}/");
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if wrapper.try_wait().ok().flatten().is_some() {
            let _ = std::fs::remove_dir_all(&dir);
            if text.contains("Address already in use") {
                return Ok(None);
            }
            bail!("SecantusDB exited during startup\n{text}");
        }
        if text.contains(&listening) {
            hello(&uri).context("SecantusDB does not answer `hello`")?;
            return Ok(Some((uri, (wrapper, watchdog))));
        }
        if Instant::now() > deadline {
            drop(watchdog);
            let _ = wrapper.wait();
            bail!(
                "SecantusDB did not listen within {} s\n{text}",
                STARTUP_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asks `hello` on a runtime of its own.
fn hello(uri: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot build a Tokio runtime")?;
    runtime.block_on(async {
        let mut options = mongodb::options::ClientOptions::parse(uri).await?;
        options.server_selection_timeout = Some(Duration::from_secs(20));
        let client = Client::with_options(options)?;
        client
            .database("admin")
            .run_command(doc! { "hello": 1 })
            .await?;
        client.shutdown().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_reads_this_process() {
        let ticks = cpu_ticks(std::process::id());
        assert!(ticks.is_some(), "{ticks:?}");
        assert_eq!(children(u32::MAX), Vec::<u32>::new());
    }

    #[test]
    fn url_for_sets_the_database_and_direct_connection() {
        let server = |uri: &str| Server {
            uri: uri.to_owned(),
            description: String::new(),
            _wrapper: None,
        };
        let cases = [
            (
                "mongodb://127.0.0.1:5/",
                "mongodb://127.0.0.1:5/d?directConnection=true",
            ),
            (
                "mongodb://h:1/admin?w=1",
                "mongodb://h:1/d?w=1&directConnection=true",
            ),
            (
                "mongodb://h:1/?directConnection=false",
                "mongodb://h:1/d?directConnection=false",
            ),
        ];
        for (uri, expected) in cases {
            assert_eq!(server(uri).url_for("d"), expected, "{uri}");
        }
    }
}
