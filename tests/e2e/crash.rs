//! Crash recovery and the lease lock: an update killed with SIGKILL at each point of a changeset
//! never applies a changeset twice or loses history, and the lock it leaves is visible, releasable
//! and — with a lease — expires.
//!
//! The binary stops at a named point when `LBMONGO_TEST_PAUSE` is set (see `cli/src/test_hook.rs`),
//! so each kill lands exactly where the test wants it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use mongodb::bson::doc;

use crate::commands::xml;
use crate::support::cli::{Project, Run, binary};
use crate::support::{block_on, server};

const CHANGELOG: &str = r#"
  <changeSet id="1" author="a"><mongodb:createCollection collectionName="c"/></changeSet>
  <changeSet id="2" author="a"><mongodb:insertOne collectionName="c"><mongodb:document>{_id: 2}</mongodb:document></mongodb:insertOne></changeSet>
  <changeSet id="3" author="a"><mongodb:insertOne collectionName="c"><mongodb:document>{_id: 3}</mongodb:document></mongodb:insertOne></changeSet>
"#;

fn project(test: &str) -> Project {
    let (_, db, url) = block_on(server().fresh_db(test));
    let p = Project::new(db, url);
    p.write("changelog.xml", &xml(CHANGELOG));
    p
}

/// Starts `lbmongo <args> --changelog-file changelog.xml` paused at `point`, and returns once it
/// says it is there.
fn start_paused(p: &Project, args: &[&str], point: &str) -> Child {
    let mut child = std::process::Command::new(binary())
        .current_dir(p.dir.path())
        .args(args)
        .args(["--changelog-file", "changelog.xml", "--url", &p.url])
        .env("LBMONGO_TEST_PAUSE", point)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lbmongo starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "lbmongo never reached `{point}`:\n{seen}"
        );
        match lines.next() {
            Some(Ok(line)) if line.contains(&format!("paused at `{point}`")) => break,
            Some(Ok(line)) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            _ => panic!("lbmongo ended before reaching `{point}`:\n{seen}"),
        }
    }
    child
}

fn kill(mut child: Child) {
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

/// [`start_paused`], then SIGKILL where it stopped.
fn kill_when_paused_at(p: &Project, args: &[&str], point: &str) {
    kill(start_paused(p, args, point));
}

/// `update <extra>` that gives up at once on a held lock instead of waiting for it.
fn update_without_lock_wait(p: &Project, extra: &[&str]) -> Run {
    p.run_changelog_env(
        &[&["update"], extra].concat(),
        &[("LIQUIBASE_CHANGELOG_LOCK_WAIT_TIME_IN_MINUTES", "0")],
    )
}

/// Panics unless `update <extra>` fails at once because someone holds the lock.
#[track_caller]
fn assert_update_refused_by_the_lock(p: &Project, extra: &[&str]) {
    update_without_lock_wait(p, extra)
        .failed()
        .assert_stderr_contains("Currently locked by");
}

/// What the killed updater's user does next: free its lock, then run the update again.
fn release_locks_and_update(p: &Project) {
    p.run(&["release-locks"]).ok();
    p.run_changelog(&["update"]).ok();
}

/// All three changesets are recorded, in order, and each insert landed exactly once.
#[track_caller]
fn assert_all_applied_once(p: &Project) {
    assert_eq!(block_on(p.history_ids()), ["1", "2", "3"]);
    assert_eq!(block_on(p.find("c", doc! { "_id": 1 })).len(), 2);
}

#[test]
fn killed_while_holding_the_lock_leaves_a_visible_lock_that_release_locks_frees() {
    let p = project("crash_lock");
    kill_when_paused_at(&p, &["update"], "lock");
    let list = p.run(&["list-locks"]).ok();
    assert!(
        list.stdout.contains(" at "),
        "the dead holder is listed:\n{}",
        list.stdout
    );
    assert_update_refused_by_the_lock(&p, &[]);
    release_locks_and_update(&p);
    assert_eq!(block_on(p.history_ids()), ["1", "2", "3"]);
}

#[test]
fn killed_between_a_change_and_its_history_row_is_reported_clearly_on_rerun() {
    let p = project("crash_between");
    // Without a transaction (as liquibase-mongodb runs changesets) the insert lands first.
    kill_when_paused_at(
        &p,
        &["update", "--mongodb-transactions", "false"],
        "applied:changelog.xml::2::a",
    );
    p.run(&["release-locks"]).ok();
    assert_eq!(block_on(p.history_ids()), ["1"]);
    let rerun = p.run_changelog(&["update"]).failed();
    rerun.assert_stderr_contains("Migration failed for changeset changelog.xml::2::a: ");
    rerun.assert_stderr_contains("hint: the change may have run without being recorded");
    // The documented way out: record it, then carry on.
    p.run_changelog(&["mark-next-changeset-ran"]).ok();
    p.run_changelog(&["update"]).ok();
    assert_all_applied_once(&p);
}

#[test]
fn killed_inside_a_transactional_changeset_leaves_nothing_half_applied() {
    let p = project("crash_transaction");
    kill_when_paused_at(&p, &["update"], "applied:changelog.xml::2::a");
    // The transaction never committed: neither the document nor the row exists.
    assert!(block_on(p.find("c", doc! {})).is_empty());
    assert_eq!(block_on(p.history_ids()), ["1"]);
    release_locks_and_update(&p);
    assert_all_applied_once(&p);
}

#[test]
fn killed_after_the_history_row_reruns_nothing_twice() {
    let p = project("crash_after_row");
    kill_when_paused_at(&p, &["update"], "recorded:changelog.xml::2::a");
    release_locks_and_update(&p);
    assert_all_applied_once(&p);
}

#[test]
fn expired_lease_of_a_killed_updater_is_taken_over_and_a_live_one_is_not() {
    let p = project("lease");
    let lease = ["--lock-lease-seconds", "2"];
    // A live holder keeps renewing its lease: nobody takes it over.
    let live = start_paused(
        &p,
        &["update", "--lock-lease-seconds", "1"],
        "recorded:changelog.xml::1::a",
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_update_refused_by_the_lock(&p, &lease);
    let lock = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
    let keys: Vec<&str> = lock[0].keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "_id",
            "lockGranted",
            "lockedBy",
            "locked",
            "leaseOwner",
            "expiresAt"
        ]
    );
    // Killed, it stops renewing; without a lease of our own we still wait as Liquibase does...
    kill(live);
    std::thread::sleep(Duration::from_secs(2));
    assert_update_refused_by_the_lock(&p, &[]);
    // ...and with one we take the expired lease over and finish the work exactly once.
    update_without_lock_wait(&p, &lease).ok();
    assert_eq!(block_on(p.history_ids()), ["1", "2", "3"]);
    let lock = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
    assert_eq!(lock[0].get_bool("locked"), Ok(false));
}
