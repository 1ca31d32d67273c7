//! Crash recovery and the lease lock: an update killed with SIGKILL at each point of a changeset
//! never applies a changeset twice or loses history, and the lock it leaves is visible, releasable
//! and — with a lease — expires.
//!
//! The binary stops at a named point when `LBMONGO_TEST_PAUSE` is set (see `cli/src/render.rs`),
//! so each kill lands exactly where the test wants it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use mongodb::bson::doc;

use crate::commands::xml;
use crate::support::cli::{Project, binary};
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

/// Starts `lbmongo <args>` paused at `point`, and returns once it says it is there.
fn start_paused(p: &Project, args: &[&str], point: &str) -> Child {
    let mut child = std::process::Command::new(binary())
        .current_dir(p.dir.path())
        .args(args)
        .args(["--url", &p.url])
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

fn ids(p: &Project) -> Vec<String> {
    block_on(p.history())
        .iter()
        .map(|r| r.get_str("id").expect("id").to_owned())
        .collect()
}

#[test]
fn killed_while_holding_the_lock_leaves_a_visible_lock_that_release_locks_frees() {
    let p = project("crash_lock");
    let child = start_paused(&p, &["update", "--changelog-file", "changelog.xml"], "lock");
    kill(child);
    let list = p.run(&["list-locks"]).ok();
    assert!(
        list.stdout.contains(" at "),
        "the dead holder is listed:\n{}",
        list.stdout
    );
    let blocked = p
        .run_env(
            &["update", "--changelog-file", "changelog.xml"],
            &[("LIQUIBASE_CHANGELOG_LOCK_WAIT_TIME_IN_MINUTES", "0")],
        )
        .failed();
    assert!(
        blocked.stderr.contains("Currently locked by"),
        "{}",
        blocked.stderr
    );
    p.run(&["release-locks"]).ok();
    p.run(&["update", "--changelog-file", "changelog.xml"]).ok();
    assert_eq!(ids(&p), ["1", "2", "3"]);
}

#[test]
fn killed_between_a_change_and_its_history_row_is_reported_clearly_on_rerun() {
    let p = project("crash_between");
    // Without a transaction (as liquibase-mongodb runs changesets) the insert lands first.
    let child = start_paused(
        &p,
        &[
            "update",
            "--mongodb-transactions",
            "false",
            "--changelog-file",
            "changelog.xml",
        ],
        "applied:changelog.xml::2::a",
    );
    kill(child);
    p.run(&["release-locks"]).ok();
    assert_eq!(ids(&p), ["1"]);
    let rerun = p
        .run(&["update", "--changelog-file", "changelog.xml"])
        .failed();
    assert!(
        rerun
            .stderr
            .contains("changeset `changelog.xml::2::a` failed"),
        "{}",
        rerun.stderr
    );
    assert!(
        rerun
            .stderr
            .contains("hint: the change may have run without being recorded"),
        "{}",
        rerun.stderr
    );
    // The documented way out: record it, then carry on.
    p.run(&[
        "mark-next-changeset-ran",
        "--changelog-file",
        "changelog.xml",
    ])
    .ok();
    p.run(&["update", "--changelog-file", "changelog.xml"]).ok();
    assert_eq!(ids(&p), ["1", "2", "3"]);
    assert_eq!(block_on(p.find("c", doc! { "_id": 1 })).len(), 2);
}

#[test]
fn killed_inside_a_transactional_changeset_leaves_nothing_half_applied() {
    let p = project("crash_transaction");
    let child = start_paused(
        &p,
        &["update", "--changelog-file", "changelog.xml"],
        "applied:changelog.xml::2::a",
    );
    kill(child);
    // The transaction never committed: neither the document nor the row exists.
    assert!(block_on(p.find("c", doc! {})).is_empty());
    assert_eq!(ids(&p), ["1"]);
    p.run(&["release-locks"]).ok();
    p.run(&["update", "--changelog-file", "changelog.xml"]).ok();
    assert_eq!(ids(&p), ["1", "2", "3"]);
    assert_eq!(block_on(p.find("c", doc! { "_id": 1 })).len(), 2);
}

#[test]
fn killed_after_the_history_row_reruns_nothing_twice() {
    let p = project("crash_after_row");
    let child = start_paused(
        &p,
        &["update", "--changelog-file", "changelog.xml"],
        "recorded:changelog.xml::2::a",
    );
    kill(child);
    p.run(&["release-locks"]).ok();
    p.run(&["update", "--changelog-file", "changelog.xml"]).ok();
    assert_eq!(ids(&p), ["1", "2", "3"]);
    assert_eq!(block_on(p.find("c", doc! { "_id": 1 })).len(), 2);
}

#[test]
fn expired_lease_of_a_killed_updater_is_taken_over_and_a_live_one_is_not() {
    let p = project("lease");
    let lease = ["--lock-lease-seconds", "2"];
    // A live holder keeps renewing its lease: nobody takes it over.
    let live = start_paused(
        &p,
        &[
            "update",
            "--lock-lease-seconds",
            "1",
            "--changelog-file",
            "changelog.xml",
        ],
        "recorded:changelog.xml::1::a",
    );
    std::thread::sleep(Duration::from_secs(3));
    let blocked = p
        .run_env(
            &[
                "update",
                lease[0],
                lease[1],
                "--changelog-file",
                "changelog.xml",
            ],
            &[("LIQUIBASE_CHANGELOG_LOCK_WAIT_TIME_IN_MINUTES", "0")],
        )
        .failed();
    assert!(
        blocked.stderr.contains("Currently locked by"),
        "{}",
        blocked.stderr
    );
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
    let no_lease = p
        .run_env(
            &["update", "--changelog-file", "changelog.xml"],
            &[("LIQUIBASE_CHANGELOG_LOCK_WAIT_TIME_IN_MINUTES", "0")],
        )
        .failed();
    assert!(
        no_lease.stderr.contains("Currently locked by"),
        "{}",
        no_lease.stderr
    );
    // ...and with one we take the expired lease over and finish the work exactly once.
    p.run_env(
        &[
            "update",
            lease[0],
            lease[1],
            "--changelog-file",
            "changelog.xml",
        ],
        &[("LIQUIBASE_CHANGELOG_LOCK_WAIT_TIME_IN_MINUTES", "0")],
    )
    .ok();
    assert_eq!(ids(&p), ["1", "2", "3"]);
    let lock = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
    assert_eq!(lock[0].get_bool("locked"), Ok(false));
}
