//! Running one runner as a child process and measuring it: wall time from spawn to exit, and
//! the client's CPU time (user + system) and peak resident set size from `wait4`.
//!
//! `wait4` returns the resource usage of the child *and of every descendant it waited for*
//! (`getrusage(RUSAGE_CHILDREN)` semantics, as GNU time reports them), so a runner started
//! through a shell script that `exec`s java, or a Node.js process with worker threads, is
//! measured whole. `ru_maxrss` is the peak of the largest single process of that tree, in KiB.
//!
//! Except that Linux records, when a process `exec`s, the peak RSS of the memory it had before
//! (`exec_mmap`): a child spawned by the harness starts with the harness's own peak, so every
//! small runner would report the harness's size (38 MiB after a full run, for lbmongo and the
//! limit alike). Peak RSS is therefore taken from GNU time (`/usr/bin/time`, Debian's `time`)
//! when it is installed: it is small, and its `%M` is its child's `ru_maxrss`, started from
//! GNU time's own memory. Without it the `wait4` value is kept (an upper bound).
//! The server is a separate process tree the harness started, so its work is never counted.

use std::fs::File;
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

/// What one run cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Usage {
    /// Wall-clock seconds from spawn to exit.
    pub(crate) wall_s: f64,
    /// User CPU seconds of the process tree.
    pub(crate) user_s: f64,
    /// System CPU seconds of the process tree.
    pub(crate) sys_s: f64,
    /// Peak resident set size of the largest process of the tree, KiB.
    pub(crate) max_rss_kib: u64,
    /// CPU seconds the server spent meanwhile (set by the caller; `None` when unknown).
    pub(crate) server_cpu_s: Option<f64>,
}

impl Usage {
    /// User + system CPU seconds.
    pub(crate) fn cpu_s(&self) -> f64 {
        self.user_s + self.sys_s
    }
}

/// Runs `command` with stdout and stderr in `log_dir/<name>.out` and `.err`, kills its process
/// group after `timeout`, and fails (quoting the end of stderr) unless it exits 0.
pub(crate) fn run(
    command: Command,
    log_dir: &Path,
    name: &str,
    timeout: Duration,
) -> Result<Usage> {
    let rss_path = log_dir.join(format!("{name}.rss"));
    let mut command = if Path::new(GNU_TIME).is_file() {
        under_gnu_time(&command, &rss_path)
    } else {
        command
    };
    let out_path = log_dir.join(format!("{name}.out"));
    let err_path = log_dir.join(format!("{name}.err"));
    let stdout = File::create(&out_path)
        .with_context(|| format!("cannot create `{}`", out_path.display()))?;
    let stderr = File::create(&err_path)
        .with_context(|| format!("cannot create `{}`", err_path.display()))?;
    // A process group of its own, so a timeout kills the whole tree (bash, java, node).
    command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0);
    let started = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let pid = i32::try_from(child.id()).context("a process id fits in pid_t")?;
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(timeout) == Err(mpsc::RecvTimeoutError::Timeout) {
            kill_group(pid);
            true
        } else {
            false
        }
    });
    let waited = wait4(pid);
    let wall = started.elapsed();
    let _ = done.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    // The child was reaped by `wait4`; `child` must not be waited for again, only dropped.
    drop(child);
    let (status, usage) = waited?;
    if timed_out {
        bail!(
            "timed out after {} s and was killed\n{}",
            timeout.as_secs(),
            tail(&err_path)
        );
    }
    if !status.success() {
        bail!("{status}\n{}", tail(&err_path));
    }
    let gnu_time_rss = std::fs::read_to_string(&rss_path)
        .ok()
        .and_then(|text| text.lines().last()?.trim().parse::<u64>().ok());
    Ok(Usage {
        wall_s: wall.as_secs_f64(),
        max_rss_kib: gnu_time_rss.unwrap_or(usage.max_rss_kib),
        ..usage
    })
}

/// GNU time: see the module's note on peak RSS.
const GNU_TIME: &str = "/usr/bin/time";

/// `command` started by GNU time, which writes its child's peak RSS (KiB) to `rss_path`.
fn under_gnu_time(command: &Command, rss_path: &Path) -> Command {
    let mut outer = Command::new(GNU_TIME);
    outer
        .arg("--format=%M")
        .arg("--output")
        .arg(rss_path)
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => outer.env(key, value),
            None => outer.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        outer.current_dir(dir);
    }
    outer
}

/// The last lines of a log, for error messages.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("##")).collect();
    let start = lines.len().saturating_sub(12);
    format!(
        "--- end of `{}` ---\n{}",
        path.display(),
        lines[start..].join("\n")
    )
}

/// Waits for process `pid` and returns its status and the usage of its tree (wall left zero).
#[allow(unsafe_code)] // `wait4` and `kill` have no safe wrapper in std; see the SAFETY notes.
fn wait4(pid: i32) -> Result<(ExitStatus, Usage)> {
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data for which all-zero bytes are a valid value.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers point at live, writable locals of the right types; `pid` is
        // our own child, not yet reaped (std never waits for it: we do not call `Child::wait`).
        let reaped = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut rusage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error).context("wait4 failed");
        }
    }
    Ok((
        ExitStatus::from_raw(status),
        Usage {
            wall_s: 0.0,
            user_s: seconds(rusage.ru_utime),
            sys_s: seconds(rusage.ru_stime),
            max_rss_kib: u64::try_from(rusage.ru_maxrss).unwrap_or(0),
            server_cpu_s: None,
        },
    ))
}

#[allow(unsafe_code)] // See `wait4`.
fn kill_group(pid: i32) {
    // SAFETY: `kill` takes plain integers; a negative pid names the process group that
    // `process_group(0)` made for the child, whose id is the child's pid.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

#[allow(clippy::cast_precision_loss)] // Seconds of CPU time are far below 2^52.
fn seconds(t: libc::timeval) -> f64 {
    t.tv_sec as f64 + f64::from(i32::try_from(t.tv_usec).unwrap_or(0)) / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_cpu_of_grandchildren_and_reports_failures() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // A shell whose child (not exec'd) burns CPU: its time must be counted.
        let mut busy = Command::new("bash");
        busy.args([
            "-c",
            "bash -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'; true",
        ]);
        let usage = run(busy, dir.path(), "busy", Duration::from_secs(60)).expect("runs");
        assert!(usage.cpu_s() > 0.05, "{usage:?}");
        assert!(usage.wall_s >= usage.cpu_s() * 0.5, "{usage:?}");
        assert!(usage.max_rss_kib > 0, "{usage:?}");

        let mut failing = Command::new("bash");
        failing.args(["-c", "echo oops >&2; exit 3"]);
        let error =
            run(failing, dir.path(), "failing", Duration::from_secs(60)).expect_err("exit 3 fails");
        let text = format!("{error:#}");
        assert!(
            text.contains("exit status: 3") && text.contains("oops"),
            "{text}"
        );

        let mut slow = Command::new("sleep");
        slow.arg("30");
        let started = Instant::now();
        let error = run(slow, dir.path(), "slow", Duration::from_millis(300))
            .expect_err("the timeout kills it");
        assert!(format!("{error:#}").contains("timed out"), "{error:#}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
