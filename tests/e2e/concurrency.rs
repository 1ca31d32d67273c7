//! Racing runners and the lock across tools: many updaters on one database — `lbmongo` alone, or
//! `lbmongo` beside Liquibase 4.33.0 with our jar — apply each changeset exactly once, every one
//! of them exits 0 (the waiters find nothing left to do), and the lock is free at the end.
//!
//! The lock is what makes this true, so the tests also hold it on purpose. A holder is frozen
//! with `SIGSTOP` once the lock document says `locked: true` (or, for lbmongo, stopped at the
//! `lock` point of `LBMONGO_TEST_PAUSE`, see `cli/src/test_hook.rs`), the other tool runs against
//! it, and `SIGCONT` lets the holder finish. lbmongo's lease (`--lock-lease-seconds`) is a field
//! only lbmongo reads: Liquibase never expires it, and lbmongo never expires a lock Liquibase
//! wrote, which has no lease.
//!
//! No assertion is about time. The short sleeps give a waiter the chance to poll the held lock at
//! least once; the deadlines only turn a hang into a failure.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mongodb::bson::{Bson, Document, doc};

use crate::commands::xml;
use crate::jar::ext_dir;
use crate::support::cli::{Project, Run, binary};
use crate::support::{block_on, repo_root, server};

/// The size of the issue's race: 500 changesets.
const CHANGESETS: usize = 500;

/// Longest wait for a process to reach a point the test waits for; reached, the test goes on at
/// once. Only a hang takes this long.
const HANG: Duration = Duration::from_secs(300);

/// `n` changesets, each inserting `{ n: <its id> }` into `items`, so the data shows how many
/// times each one ran.
pub(crate) fn numbered_changelog(n: usize) -> String {
    let change_sets: String = (1..=n)
        .map(|i| {
            format!(
                r#"<changeSet id="{i}" author="race"><mongodb:insertOne collectionName="items"><mongodb:document>{{ n: {i} }}</mongodb:document></mongodb:insertOne></changeSet>
"#
            )
        })
        .collect();
    xml(&change_sets)
}

fn project(test: &str, changesets: usize) -> Project {
    let (_, db, url) = block_on(server().fresh_db(test));
    let p = Project::new(db, url);
    p.write("changelog.xml", &numbered_changelog(changesets));
    p
}

// -- processes ---------------------------------------------------------------------------------

/// A command with none of the test environment's `LIQUIBASE_*` variables, which both tools read.
fn clean(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    for (key, _) in std::env::vars() {
        if key.starts_with("LIQUIBASE_") {
            command.env_remove(key);
        }
    }
    command
}

/// `lbmongo <args>` on the project's changelog, polling a held lock five times a second.
pub(crate) fn lbmongo(p: &Project, args: &[&str]) -> Command {
    let mut command = clean(binary());
    command
        .current_dir(p.dir.path())
        .args(args)
        .args(["--changelog-file", "changelog.xml", "--url", &p.url])
        .args(["--changelog-lock-poll-rate", "0.2"]);
    command
}

/// Liquibase 4.33.0 with our jar and nothing else (`scripts/liquibase.sh`), global options then
/// `args`, asked to poll a held lock every second (the least `changelogLockPollRate` takes: whole
/// seconds; its default is 10). The jar reads both settings as core's `StandardLockService` does.
fn liquibase(p: &Project, args: &[&str]) -> Command {
    let mut command = clean("bash");
    command
        .arg(repo_root().join("scripts/liquibase.sh"))
        .args(["--core", "4.33.0", "--ext"])
        .arg(ext_dir())
        .arg("--changelog-file=changelog.xml")
        .arg(format!("--url={}", p.url))
        .arg("--changelog-lock-poll-rate=1")
        .args(args)
        .current_dir(p.dir.path())
        .env("LIQUIBASE_ANALYTICS_ENABLED", "false")
        // cargo test puts target/*/deps on LD_LIBRARY_PATH, which the JVM searches before the
        // jar: without it the jar's own library is what runs.
        .env_remove("LD_LIBRARY_PATH");
    command
}

/// `update` by Liquibase with the jar, waiting at most `minutes` for a held lock.
fn liquibase_update(p: &Project, minutes: &str) -> Command {
    let wait = format!("--changelog-lock-wait-time-in-minutes={minutes}");
    liquibase(p, &[&wait, "update"])
}

/// One running updater. Its output goes to files (a full pipe could block it while it holds the
/// lock) that the test reads while it runs. Dropped while still running (a failing test), it is
/// killed, so no stopped process outlives the test.
pub(crate) struct Racer {
    name: String,
    child: Child,
    logs: tempfile::TempDir,
}

impl Racer {
    pub(crate) fn start(name: &str, mut command: Command) -> Racer {
        let logs = tempfile::tempdir().expect("a directory for the output");
        let file = |stream: &str| {
            std::fs::File::create(logs.path().join(stream)).expect("create an output file")
        };
        command
            .stdin(Stdio::null())
            .stdout(file("stdout"))
            .stderr(file("stderr"));
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{name} cannot start: {e}"));
        Racer {
            name: name.to_owned(),
            child,
            logs,
        }
    }

    fn output(&self, stream: &str) -> String {
        let bytes = std::fs::read(self.logs.path().join(stream)).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Panics with its output if it has ended: called while the test waits for it to get
    /// somewhere.
    fn assert_running(&mut self, waiting_for: &str) {
        if let Some(status) = self.child.try_wait().expect("poll the process") {
            panic!(
                "{} ended ({status}) before {waiting_for}\n--- stdout\n{}\n--- stderr\n{}",
                self.name,
                self.output("stdout"),
                self.output("stderr")
            );
        }
    }

    /// Returns once its stderr contains `text`.
    fn wait_for_stderr(&mut self, text: &str) {
        let deadline = Instant::now() + HANG;
        while !self.output("stderr").contains(text) {
            self.assert_running(&format!("printing `{text}`"));
            assert!(Instant::now() < deadline, "{} hangs", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill -<signal>` (`STOP`, `CONT`) to this process; `scripts/liquibase.sh` ends in `exec
    /// java`, so for Liquibase this is the JVM.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill can be started");
        assert!(status.success(), "kill -{signal} {} failed", self.name);
    }

    /// SIGKILL.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap the process");
    }

    pub(crate) fn finish(mut self) -> (String, Run) {
        let status = self.child.wait().expect("wait for the process");
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: self.output("stdout"),
            stderr: self.output("stderr"),
        };
        (std::mem::take(&mut self.name), run)
    }
}

impl Drop for Racer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `n` `lbmongo update` processes, started at once, named `lbmongo 1`...`lbmongo <n>`.
fn start_lbmongo_updates(p: &Project, n: usize) -> Vec<Racer> {
    (1..=n)
        .map(|i| Racer::start(&format!("lbmongo {i}"), lbmongo(p, &["update"])))
        .collect()
}

/// Freezes `holder` (SIGSTOP) once the lock document says `locked: true`; `what` names the wait
/// in the failure message.
fn stop_once_locked(holder: &mut Racer, p: &Project, what: &str) {
    wait_until(std::slice::from_mut(holder), what, || locked(p));
    holder.signal("STOP");
}

/// Waits until `ready` holds, failing if one of `racers` ends first.
fn wait_until(racers: &mut [Racer], what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + HANG;
    while !ready() {
        for racer in racers.iter_mut() {
            racer.assert_running(what);
        }
        assert!(Instant::now() < deadline, "never saw {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Each run exited 0, and together they ran each changeset once: the `Run:` counts of their
/// UPDATE SUMMARY (Liquibase's and lbmongo's are the same) add up to `changesets`.
#[track_caller]
fn assert_all_succeeded(runs: &[(String, Run)], changesets: usize) {
    for (name, run) in runs {
        assert_eq!(
            run.code, 0,
            "{name} failed\n--- stdout\n{}\n--- stderr\n{}",
            run.stdout, run.stderr
        );
    }
    let counts: Vec<(&str, usize)> = runs
        .iter()
        .map(|(name, run)| (name.as_str(), changesets_run(run)))
        .collect();
    assert_eq!(
        counts.iter().map(|(_, n)| n).sum::<usize>(),
        changesets,
        "changesets each process ran: {counts:?}"
    );
}

/// [`assert_all_succeeded`] and [`assert_each_changeset_applied_once`]: the runs exited 0 and
/// together applied each of the `n` changesets exactly once, and the lock is free.
#[track_caller]
fn assert_runs_applied_each_changeset_once(p: &Project, runs: &[(String, Run)], n: usize) {
    assert_all_succeeded(runs, n);
    assert_each_changeset_applied_once(p, n);
}

/// Waits for every racer, then [`assert_runs_applied_each_changeset_once`].
#[track_caller]
fn assert_racers_applied_each_changeset_once(p: &Project, racers: Vec<Racer>, n: usize) {
    let runs: Vec<(String, Run)> = racers.into_iter().map(Racer::finish).collect();
    assert_runs_applied_each_changeset_once(p, &runs, n);
}

/// The `Run:` line of the UPDATE SUMMARY.
#[track_caller]
fn changesets_run(run: &Run) -> usize {
    run.stdout
        .lines()
        .find_map(|l| l.strip_prefix("Run:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `Run:` line in\n{}", run.stdout))
}

// -- the database ------------------------------------------------------------------------------

fn lock_document(p: &Project) -> Option<Document> {
    block_on(p.find("DATABASECHANGELOGLOCK", doc! {}))
        .into_iter()
        .next()
}

fn locked(p: &Project) -> bool {
    lock_document(p).is_some_and(|d| d.get_bool("locked") == Ok(true))
}

fn history_len(p: &Project) -> usize {
    block_on(p.history()).len()
}

fn number(value: Option<&Bson>) -> i64 {
    match value {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

/// Each of the `n` changesets ran exactly once: `n` history rows, `orderExecuted` 1..n without
/// gaps or repeats, each id once, each changeset's document once; and the lock is free.
#[track_caller]
fn assert_each_changeset_applied_once(p: &Project, n: usize) {
    let expected: Vec<i64> = (1..=i64::try_from(n).expect("small")).collect();
    let rows = block_on(p.history());
    let orders: Vec<i64> = rows
        .iter()
        .map(|r| number(r.get("orderExecuted")))
        .collect();
    assert_eq!(orders, expected, "orderExecuted is 1..n without gaps");
    let mut ids: Vec<i64> = rows
        .iter()
        .map(|r| {
            let id = r.get_str("id").expect("a string id");
            id.parse()
                .unwrap_or_else(|_| panic!("unexpected id `{id}`"))
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, expected, "each changeset recorded once");
    let items: Vec<i64> = block_on(p.find("items", doc! { "n": 1 }))
        .iter()
        .map(|d| number(d.get("n")))
        .collect();
    assert_eq!(items, expected, "each changeset ran once");
    let lock = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
    assert_eq!(lock.len(), 1, "{lock:?}");
    assert_eq!(lock[0].get_bool("locked"), Ok(false), "the lock is free");
}

// -- races -------------------------------------------------------------------------------------

#[test]
fn eight_concurrent_updates_apply_each_changeset_exactly_once() {
    let p = project("race_eight", CHANGESETS);
    assert_racers_applied_each_changeset_once(&p, start_lbmongo_updates(&p, 8), CHANGESETS);
}

#[test]
fn lbmongo_and_liquibase_with_the_jar_racing_apply_each_changeset_exactly_once() {
    ext_dir();
    let p = project("race_mixed", CHANGESETS);
    let mut racers: Vec<Racer> = (1..=2)
        .map(|i| Racer::start(&format!("liquibase {i}"), liquibase_update(&p, "5")))
        .collect();
    // A JVM starts in seconds, lbmongo in milliseconds: the lbmongo processes join once a
    // Liquibase holds the lock, so both tools are in the race and each waits on the other's lock.
    wait_until(&mut racers, "a Liquibase holding the lock", || locked(&p));
    racers.extend(start_lbmongo_updates(&p, 4));
    assert_racers_applied_each_changeset_once(&p, racers, CHANGESETS);
}

/// Liquibase reads the history before it waits for the lock (its up-to-date fast check); what
/// lbmongo applies meanwhile must not run again once Liquibase gets the lock.
#[test]
fn liquibase_with_the_jar_waiting_for_lbmongo_s_lock_applies_only_what_is_left() {
    ext_dir();
    let p = project("race_lbmongo_holds", CHANGESETS);
    let mut holder = Racer::start("lbmongo", lbmongo(&p, &["update"]));
    stop_once_locked(&mut holder, &p, "lbmongo holding the lock");
    assert!(locked(&p), "lbmongo finished before it could be stopped");
    let before = history_len(&p);
    let mut waiter = Racer::start("liquibase", liquibase_update(&p, "5"));
    waiter.wait_for_stderr("Liquibase Version");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        history_len(&p),
        before,
        "history changed while a stopped lbmongo held the lock"
    );
    holder.signal("CONT");
    let runs = [holder.finish(), waiter.finish()];
    assert_runs_applied_each_changeset_once(&p, &runs, CHANGESETS);
    assert_eq!(
        changesets_run(&runs[1].1),
        0,
        "Liquibase re-ran what lbmongo applied while it waited"
    );
}

// -- the lease lock and Liquibase --------------------------------------------------------------

/// lbmongo's lease is lbmongo's own: Liquibase with the jar sees `locked: true`, fails with its
/// lock-wait error or waits, and applies nothing while the lock is held — nor after the holder
/// died and its lease expired — until `release-locks`.
#[test]
fn lbmongo_lease_lock_excludes_liquibase_with_the_jar_even_after_it_expires() {
    ext_dir();
    let p = project("lease_excludes_liquibase", 3);
    let mut paused = lbmongo(&p, &["update", "--lock-lease-seconds", "1"]);
    paused.env("LBMONGO_TEST_PAUSE", "lock");
    let mut holder = Racer::start("lbmongo", paused);
    holder.wait_for_stderr("paused at `lock`");
    // Longer than the lease: the heartbeat keeps it alive.
    std::thread::sleep(Duration::from_secs(2));
    let (_, refused) = Racer::start("liquibase", liquibase_update(&p, "0")).finish();
    assert_eq!(refused.code, 1, "{refused:?}");
    refused.assert_stderr_contains("Could not acquire change log lock.  Currently locked by");
    assert_eq!(history_len(&p), 0);
    assert!(block_on(p.find("items", doc! {})).is_empty());

    let mut waiter = Racer::start("liquibase", liquibase_update(&p, "5"));
    waiter.wait_for_stderr("Liquibase Version");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        history_len(&p),
        0,
        "Liquibase ran while lbmongo held the lock"
    );
    // Killed, the holder stops renewing: the lease expires (lbmongo could take it over), and
    // Liquibase, which knows no leases, keeps waiting as it does for any lock.
    holder.kill();
    std::thread::sleep(Duration::from_secs(3));
    waiter.assert_running("the lock was released");
    assert_eq!(history_len(&p), 0, "Liquibase took over an expired lease");
    let lock = lock_document(&p).expect("the lock document");
    assert!(lock.contains_key("expiresAt"), "{lock}");
    assert_eq!(lock.get_bool("locked"), Ok(true), "{lock}");

    p.run(&["release-locks"]).ok();
    assert_runs_applied_each_changeset_once(&p, &[waiter.finish()], 3);
}

/// A lock Liquibase with the jar holds has no lease: lbmongo with `--lock-lease-seconds` refuses
/// it at once, and after waiting longer than its own lease, and never takes it over; once
/// Liquibase finishes, lbmongo finds nothing left to do.
#[test]
fn liquibase_lock_is_never_taken_over_by_an_lbmongo_lease() {
    ext_dir();
    let p = project("liquibase_lock_vs_lease", CHANGESETS);
    let mut holder = Racer::start("liquibase", liquibase_update(&p, "0"));
    stop_once_locked(&mut holder, &p, "Liquibase holding the lock");
    let lock = lock_document(&p).expect("the lock document");
    assert_eq!(
        lock.get_bool("locked"),
        Ok(true),
        "Liquibase finished before it could be stopped"
    );
    let keys: Vec<&str> = lock.keys().map(String::as_str).collect();
    // Liquibase's four fields and the acquisition's own token (`leaseOwner`, which lets only
    // this holder release it), but no `expiresAt`: a lock without a lease never expires.
    assert_eq!(
        keys,
        ["_id", "lockGranted", "lockedBy", "locked", "leaseOwner"],
        "no lease"
    );
    let before = history_len(&p);

    let update = |wait: &str| {
        p.run_changelog(&[
            "update",
            "--lock-lease-seconds",
            "1",
            "--changelog-lock-wait-time-in-minutes",
            wait,
            "--changelog-lock-poll-rate",
            "0.2",
        ])
    };
    for wait in ["0", "0.05"] {
        let refused = update(wait).failed();
        refused.assert_stderr_contains("Currently locked by");
    }
    assert_eq!(history_len(&p), before);
    assert_eq!(lock_document(&p), Some(lock), "the lock was touched");

    holder.signal("CONT");
    let runs = [holder.finish(), ("lbmongo".to_owned(), update("5").ok())];
    assert_runs_applied_each_changeset_once(&p, &runs, CHANGESETS);
}
