//! Reliability: an update survives its server going away, and bad input never reaches the
//! database.
//!
//! - Server faults: a test's own SecantusDB (file-backed, so it restarts with its data) is stopped
//!   in the middle of a long update. `lbmongo` must give up within the connection timeouts of the
//!   URL, exit 1 naming the changeset and the connection error, and leave a history that a rerun
//!   completes: every changeset applied exactly once.
//! - Bad input: every changelog of `tests/fixtures/invalid/` (XML, YAML, JSON and formatted `.js`)
//!   is rejected by `lbmongo update` with exit 1 and the exact message stored beside it in
//!   `<fixture>.expected`, and the database stays untouched: no tracking collection, no lock.
//!   Inputs too big to commit (50 MB, a document over MongoDB's 16 MiB limit) are generated.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mongodb::Client;
use mongodb::bson::{Document, doc};

use crate::commands::xml;
use crate::support::cli::{Project, Run, binary};
use crate::support::own_server::OwnServer;
use crate::support::{block_on, db_name, server};

// -- running lbmongo with a time limit ---------------------------------------------------------

/// A finished (or killed) `lbmongo` run.
pub(crate) struct Bounded {
    pub(crate) run: Run,
    /// The run outlived its limit and was killed; `run.code` is then -1.
    pub(crate) timed_out: bool,
}

/// Starts `lbmongo <args>` in `dir` with its output going to anonymous files (a full pipe can
/// never block it) and without any `LIQUIBASE_*` variable of the test's environment.
fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Child, std::fs::File, std::fs::File) {
    let stdout = tempfile::tempfile().expect("a file for stdout");
    let stderr = tempfile::tempfile().expect("a file for stderr");
    let mut command = Command::new(binary());
    command
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout.try_clone().expect("clone the stdout file"))
        .stderr(stderr.try_clone().expect("clone the stderr file"));
    for (key, _) in std::env::vars() {
        if key.starts_with("LIQUIBASE_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    (command.spawn().expect("lbmongo starts"), stdout, stderr)
}

/// Waits for `child` until `limit` has passed since `start`; kills it then.
fn finish(
    mut child: Child,
    mut stdout: std::fs::File,
    mut stderr: std::fs::File,
    start: Instant,
    limit: Duration,
) -> Bounded {
    let (code, timed_out) = loop {
        if let Some(status) = child.try_wait().expect("wait for lbmongo") {
            break (status.code().unwrap_or(-1), false);
        }
        if start.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            break (-1, true);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |file: &mut std::fs::File| {
        let mut bytes = Vec::new();
        file.rewind().expect("rewind the output file");
        file.read_to_end(&mut bytes).expect("read the output file");
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Bounded {
        run: Run {
            code,
            stdout: read(&mut stdout),
            stderr: read(&mut stderr),
        },
        timed_out,
    }
}

/// Runs `lbmongo <args>` in `dir`, killing it after `limit`.
pub(crate) fn run_bounded(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Bounded {
    // The first call builds the binary: not part of the run's time.
    binary();
    let start = Instant::now();
    let (child, stdout, stderr) = spawn(dir, args, env);
    finish(child, stdout, stderr, start, limit)
}

/// `uri` with `options` appended to its query string.
fn with_options(uri: &str, options: &str) -> String {
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{options}")
}

/// The `error:` line of a run's stderr (the first one), or the whole stderr if there is none.
fn error_line(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or(stderr)
}

// -- server faults -----------------------------------------------------------------------------

/// Changesets of the long changelog: enough that the server stops while most are pending.
const CHANGESETS: usize = 300;
/// Rows recorded before the server is stopped.
const STOP_AFTER_ROWS: usize = 20;
/// The URL's connection timeouts: the driver gives up on an unreachable server after these.
const TIMEOUTS: &str = "serverSelectionTimeoutMS=1500&connectTimeoutMS=1000";
/// How long `lbmongo` may go on once its server is gone. With the timeouts above a failing
/// changeset costs a few server selections (the operation, the driver's one retry, releasing the
/// lock), so 20 s is generous; an update that retries on its own clock exceeds it.
const GIVE_UP_WITHIN: Duration = Duration::from_secs(20);

/// 300 changesets, each inserting document `{_id: n}`: document writes, so each runs in a
/// transaction with its history row and a stop can never leave one half-applied.
fn long_changelog() -> String {
    let change_sets: String = (1..=CHANGESETS)
        .map(|n| {
            format!(
                "  <changeSet id=\"{n}\" author=\"alice\"><mongodb:insertOne collectionName=\"towns\">\
                 <mongodb:document>{{\"_id\": {n}}}</mongodb:document></mongodb:insertOne></changeSet>\n"
            )
        })
        .collect();
    xml(&change_sets)
}

/// A project on database `test` of `own`, with the long changelog and the short timeouts.
fn fault_project(own: &OwnServer, test: &str) -> Project {
    let name = db_name(test);
    let url = own.uri(&name, TIMEOUTS);
    let db = block_on(async {
        let client = Client::with_uri_str(own.uri("", TIMEOUTS))
            .await
            .expect("a client of the test's own server");
        client.database(&name)
    });
    let p = Project::new(db, url);
    p.write("changelog.xml", &long_changelog());
    p
}

/// Starts `lbmongo update <extra>`, lets it record [`STOP_AFTER_ROWS`] rows, takes the server
/// down with `take_down`, and waits (at most [`GIVE_UP_WITHIN`]) for the update to end.
fn update_through_an_outage(
    own: &mut OwnServer,
    p: &Project,
    extra: &[&str],
    take_down: fn(&mut OwnServer),
) -> Bounded {
    let mut args = vec![
        "update",
        "--changelog-file",
        "changelog.xml",
        "--url",
        &p.url,
    ];
    args.extend_from_slice(extra);
    let (mut child, stdout, stderr) = spawn(p.dir.path(), &args, &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = block_on(
            p.db.collection::<Document>("DATABASECHANGELOG")
                .count_documents(doc! {}),
        )
        .unwrap_or(0);
        if usize::try_from(rows).is_ok_and(|rows| rows >= STOP_AFTER_ROWS) {
            break;
        }
        if child.try_wait().expect("wait for lbmongo").is_some() || Instant::now() > deadline {
            let early = finish(child, stdout, stderr, Instant::now(), Duration::ZERO);
            panic!(
                "the update ended (or stalled) before {STOP_AFTER_ROWS} changesets were recorded:\n{}",
                early.run.stderr
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    take_down(own);
    finish(child, stdout, stderr, Instant::now(), GIVE_UP_WITHIN)
}

/// The id of the changeset the failure names:
/// `error: Migration failed for changeset changelog.xml::<n>::alice: …`.
fn failed_changeset(stderr: &str) -> Option<usize> {
    let line = error_line(stderr);
    let rest = line
        .split("Migration failed for changeset changelog.xml::")
        .nth(1)?;
    rest.split("::").next()?.parse().ok()
}

/// Asserts what a failed update must say once its server went away, and returns the id of the
/// changeset it names.
#[track_caller]
fn assert_fails_naming_the_changeset_and_the_connection_error(
    outage: &Bounded,
    own: &OwnServer,
) -> usize {
    let run = &outage.run;
    assert!(
        !outage.timed_out,
        "lbmongo was still running {} s after the server went away, although the URL says \
         `{TIMEOUTS}` (it was killed); stderr so far:\n{}",
        GIVE_UP_WITHIN.as_secs(),
        run.stderr
    );
    assert_eq!(run.code, 1, "exit code; stderr:\n{}", run.stderr);
    assert!(
        !run.stderr.contains("panicked"),
        "lbmongo panicked:\n{}",
        run.stderr
    );
    let line = error_line(&run.stderr);
    let failed = failed_changeset(&run.stderr).unwrap_or_else(|| {
        panic!(
            "the error does not name the changeset that failed:\n{}",
            run.stderr
        )
    });
    let lower = line.to_lowercase();
    let connection_error = [
        "server selection timeout",
        "connection refused",
        "connection reset",
        "unexpected end of file",
        "broken pipe",
        "i/o error",
    ];
    assert!(
        connection_error.iter().any(|e| lower.contains(e)),
        "the error does not say the connection failed:\n{line}\n--- server log\n{}",
        own.log()
    );
    failed
}

/// History rows by `orderExecuted`, with their changeset ids.
fn recorded_ids(p: &Project) -> Vec<usize> {
    block_on(p.history())
        .iter()
        .map(|row| {
            row.get_str("id")
                .expect("a history row has an id")
                .parse()
                .expect("the ids are numbers")
        })
        .collect()
}

/// Every changeset ran exactly once, in order, with `orderExecuted` 1..=n and one document each.
#[track_caller]
fn assert_applied_exactly_once(p: &Project, n: usize) {
    let rows = block_on(p.history());
    let ids = recorded_ids(p);
    assert_eq!(ids, (1..=n).collect::<Vec<_>>(), "history ids");
    let order: Vec<i32> = rows
        .iter()
        .map(|r| r.get_i32("orderExecuted").expect("orderExecuted is an int"))
        .collect();
    let expected: Vec<i32> = (1..=i32::try_from(n).expect("n fits in i32")).collect();
    assert_eq!(order, expected, "orderExecuted is contiguous");
    let documents: Vec<i64> = block_on(p.find("towns", doc! { "_id": 1 }))
        .iter()
        .map(|d| match d.get("_id") {
            Some(mongodb::bson::Bson::Int32(v)) => i64::from(*v),
            Some(mongodb::bson::Bson::Int64(v)) => *v,
            other => panic!("unexpected _id {other:?}"),
        })
        .collect();
    let expected: Vec<i64> = (1..=i64::try_from(n).expect("n fits in i64")).collect();
    assert_eq!(
        documents, expected,
        "each changeset's document exactly once"
    );
}

/// After the restart, every row recorded before the outage is still there and nothing is
/// half-done: the rows are a prefix, each with its document, and the changeset the error named
/// (`failed`) is the next one (or, if its commit reached the server before it went away, the last
/// recorded one).
#[track_caller]
fn assert_history_survived_the_restart(p: &Project, failed: usize) {
    let recorded = recorded_ids(p).len();
    assert!(
        recorded >= STOP_AFTER_ROWS,
        "the server lost acknowledged history rows over the restart ({recorded} left)"
    );
    assert_applied_exactly_once(p, recorded);
    assert!(
        failed == recorded + 1 || failed == recorded,
        "the error names changeset {failed}, {recorded} are recorded"
    );
}

#[test]
fn server_stopped_mid_update_fails_within_the_timeouts_naming_the_changeset_and_a_rerun_completes()
{
    let mut own = OwnServer::start(&[]);
    let p = fault_project(&own, "fault_stop");
    let outage = update_through_an_outage(&mut own, &p, &[], OwnServer::stop);
    let failed = assert_fails_naming_the_changeset_and_the_connection_error(&outage, &own);

    own.start_again(&[]);
    assert_history_survived_the_restart(&p, failed);
    // As in Liquibase the lock of an update that could not reach its server stays: the failed
    // update says so, it is listed, and `release-locks` frees it.
    assert!(
        outage.run.stderr.contains("was not released")
            && outage
                .run
                .stderr
                .contains("free it with `lbmongo release-locks`"),
        "the update says its lock stayed:\n{}",
        outage.run.stderr
    );
    let locks = p.run(&["list-locks"]).ok();
    assert!(
        locks.stdout.contains(" at "),
        "the stale lock is listed:\n{}",
        locks.stdout
    );
    p.run(&["release-locks"]).ok();

    let rerun = p.run_changelog(&["update"]).ok();
    rerun.assert_stderr_contains("Update has been successful");
    assert_applied_exactly_once(&p, CHANGESETS);
}

#[test]
fn server_killed_mid_update_with_a_lease_lock_fails_and_a_rerun_completes_without_release_locks() {
    // SIGKILL gives the server no chance to flush: `--sync-on-commit` makes each acknowledged
    // commit durable, as a journaled MongoDB is.
    let durable = ["--sync-on-commit"];
    let mut own = OwnServer::start(&durable);
    let p = fault_project(&own, "fault_kill");
    let lease = ["--lock-lease-seconds", "2"];
    let outage = update_through_an_outage(&mut own, &p, &lease, OwnServer::kill);
    let failed = assert_fails_naming_the_changeset_and_the_connection_error(&outage, &own);

    own.start_again(&durable);
    assert_history_survived_the_restart(&p, failed);
    // The dead updater's lease has expired by now: the rerun takes the lock over by itself.
    let mut args = vec!["update", "--changelog-file", "changelog.xml"];
    args.extend_from_slice(&lease);
    p.run(&args).ok();
    assert_applied_exactly_once(&p, CHANGESETS);
    let lock = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
    assert!(
        lock.iter().all(|l| l.get_bool("locked") == Ok(false)),
        "the lock is free at the end: {lock:?}"
    );
}

// -- bad input ---------------------------------------------------------------------------------

/// The folder of the CLI-level invalid corpus.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid")
}

/// One invalid changelog: the file `lbmongo` is given, its expected stderr and extra arguments.
struct Case {
    changelog: String,
    expected: String,
    args: Vec<String>,
}

/// Each `<changelog>.expected` is a case; `<changelog>.args`, when present, holds extra
/// arguments, one per line. A case whose changelog does not exist tests the missing file.
fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = std::fs::read_dir(corpus())
        .expect("tests/fixtures/invalid exists")
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|name| name.strip_suffix(".expected").map(str::to_owned))
        .map(|changelog| {
            let read = |suffix: &str| {
                std::fs::read_to_string(corpus().join(format!("{changelog}{suffix}")))
            };
            let expected = read(".expected").expect("read the expected message");
            let args = read(".args")
                .map(|text| {
                    text.lines()
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            Case {
                changelog,
                expected: expected.trim_end().to_owned(),
                args,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.changelog.cmp(&b.changelog));
    cases
}

/// The database's collections (none, when nothing touched it).
fn collections_of(client: &Client, db: &str) -> Vec<String> {
    block_on(client.database(db).list_collection_names()).expect("list collections")
}

/// Runs `update --changelog-file <changelog> <extra>` in `dir` on database `db` of the shared
/// server (short server selection: nothing should reach it), killing it after `limit`.
fn update_bounded(
    dir: &Path,
    changelog: &str,
    extra: &[&str],
    db: &str,
    limit: Duration,
) -> Bounded {
    let url = with_options(&server().uri_for(db), "serverSelectionTimeoutMS=2000");
    let update = ["update", "--changelog-file", changelog, "--url", &url];
    run_bounded(dir, &[&update, extra].concat(), &[], limit)
}

/// Panics unless database `db` of the shared server holds no collection: nothing touched it.
#[track_caller]
fn assert_untouched(db: &str) {
    let (client, _, _) = block_on(server().fresh_db("untouched_check"));
    assert_eq!(
        collections_of(&client, db),
        Vec::<String>::new(),
        "the database was touched"
    );
}

#[test]
fn every_malformed_changelog_is_rejected_with_its_message_before_touching_the_database() {
    let cases = cases();
    let (client, _, _) = block_on(server().fresh_db("invalid_corpus"));
    let mut failures = Vec::new();
    for case in &cases {
        let db = db_name(&format!("invalid_{}", case.changelog));
        let extra: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let outcome = update_bounded(
            &corpus(),
            &case.changelog,
            &extra,
            &db,
            Duration::from_secs(30),
        );
        let run = &outcome.run;
        let stderr = run.stderr.trim_end();
        let mut problems = Vec::new();
        if outcome.timed_out {
            problems.push("still running after 30 s (killed)".to_owned());
        }
        if run.code != 1 {
            problems.push(format!("exit code {} instead of 1", run.code));
        }
        if stderr != case.expected {
            problems.push(format!(
                "stderr differs\n    expected: {:?}\n    actual:   {stderr:?}",
                case.expected
            ));
        }
        if !run.stdout.is_empty() {
            problems.push(format!("stdout is not empty: {:?}", run.stdout));
        }
        let touched = collections_of(&client, &db);
        if !touched.is_empty() {
            problems.push(format!("the database was touched: {touched:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", case.changelog, problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} invalid changelogs were not rejected as expected:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn invalid_corpus_covers_every_format_and_each_fixture_has_its_expected_message() {
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    for ext in ["xml", "yaml", "json", "js"] {
        let n = cases
            .iter()
            .filter(|c| c.changelog.ends_with(&format!(".{ext}")))
            .count();
        assert!(n >= 10, "only {n} `.{ext}` cases");
    }
    // No fixture is silently skipped: every changelog beside the cases has its `.expected`
    // (included files live in `parts/`).
    let names: Vec<String> = cases.iter().map(|c| c.changelog.clone()).collect();
    for entry in std::fs::read_dir(corpus()).expect("tests/fixtures/invalid exists") {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let aside =
            name.ends_with(".expected") || name.ends_with(".args") || name == ".gitattributes";
        if entry.path().is_dir() || aside {
            continue;
        }
        assert!(names.contains(&name), "`{name}` has no `{name}.expected`");
    }
    // The only case without a file is the one about a missing changelog.
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !corpus().join(n).exists())
        .map(String::as_str)
        .collect();
    assert_eq!(missing, ["missing-changelog.yaml"]);
    // Some inputs must keep bytes that are not UTF-8: they prove the reader rejects them.
    for name in [
        "xml-non-utf8-attribute.xml",
        "yaml-non-utf8.yaml",
        "json-non-utf8.json",
        "js-non-utf8.js",
    ] {
        let bytes = std::fs::read(corpus().join(name)).expect("read the fixture");
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "`{name}` must not be valid UTF-8"
        );
    }
}

/// A file writer that counts bytes and lines.
struct Counting {
    out: std::io::BufWriter<std::fs::File>,
    bytes: usize,
    newlines: usize,
}

impl Counting {
    fn write(&mut self, text: &str) {
        use std::io::Write as _;
        self.out
            .write_all(text.as_bytes())
            .expect("write the big changelog");
        self.bytes += text.len();
        self.newlines += text.matches('\n').count();
    }
}

/// Writes the 50 MB changelog: about 190 000 valid changesets, then one with an unknown change
/// type. Returns the line of the unknown change.
fn write_fifty_megabytes(path: &Path) -> usize {
    use std::io::Write as _;
    const SIZE: usize = 50 * 1024 * 1024;
    let mut file = Counting {
        out: std::io::BufWriter::new(
            std::fs::File::create(path).expect("create the big changelog"),
        ),
        bytes: 0,
        newlines: 0,
    };
    let head = xml("");
    let (open, close) = head
        .split_once("\n</databaseChangeLog>")
        .expect("the changelog template ends with its root element");
    file.write(open);
    let pad = "p".repeat(100);
    let mut n = 0;
    while file.bytes < SIZE {
        n += 1;
        file.write(&format!(
            "  <changeSet id=\"{n}\" author=\"alice\"><mongodb:insertOne collectionName=\"towns\">\
             <mongodb:document>{{\"n\": {n}, \"pad\": \"{pad}\"}}</mongodb:document></mongodb:insertOne></changeSet>\n"
        ));
    }
    file.write("  <changeSet id=\"last\" author=\"alice\">\n");
    let line = file.newlines + 1;
    file.write("    <mongodb:insertOen collectionName=\"towns\"/>\n  </changeSet>");
    file.write(&format!("\n</databaseChangeLog>{close}"));
    file.out.flush().expect("flush the big changelog");
    line
}

#[test]
fn fifty_megabyte_changelog_is_rejected_at_the_line_of_its_error_within_90_seconds() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let line = write_fifty_megabytes(&dir.path().join("big.xml"));
    let size = std::fs::metadata(dir.path().join("big.xml"))
        .expect("the file")
        .len();
    assert!(size >= 50 * 1024 * 1024, "{size} bytes");
    let db = db_name("invalid_fifty_megabytes");
    let outcome = update_bounded(dir.path(), "big.xml", &[], &db, Duration::from_secs(90));
    assert!(
        !outcome.timed_out,
        "lbmongo needed more than 90 s to reject a 50 MB changelog (killed); stderr:\n{}",
        outcome.run.stderr
    );
    assert_eq!(outcome.run.code, 1, "{}", outcome.run.stderr);
    assert_eq!(
        error_line(&outcome.run.stderr),
        format!(
            "error: invalid changelog: big.xml:{line}: changeset `last::alice`: unknown change type `insertOen`"
        )
    );
    assert_untouched(&db);
}

#[test]
fn document_over_the_16_mib_bson_limit_is_rejected_before_touching_the_database() {
    // MongoDB refuses any document over 16 MiB, so such a changeset can never run: it must be
    // rejected with the changelogs' other mistakes, before the lock and the tracking collections.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let blob = "x".repeat(17 * 1024 * 1024);
    let changelog = format!(
        "{{\n  \"databaseChangeLog\": [\n    {{ \"changeSet\": {{ \"id\": \"1\", \"author\": \"alice\", \"changes\": [\n      \
         {{ \"insertOne\": {{ \"collectionName\": \"towns\", \"document\": \"{{\\\"blob\\\": \\\"{blob}\\\"}}\" }} }} ] }} }}\n  ]\n}}\n"
    );
    std::fs::write(dir.path().join("huge.json"), changelog).expect("write the changelog");
    let db = db_name("invalid_huge_document");
    let outcome = update_bounded(dir.path(), "huge.json", &[], &db, Duration::from_secs(60));
    let run = &outcome.run;
    assert!(
        !outcome.timed_out,
        "still running after 60 s (killed):\n{}",
        run.stderr
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let line = error_line(&run.stderr);
    assert!(
        line.starts_with("error: invalid changelog: huge.json:4: changeset `1::alice`: insertOne"),
        "the changelog is not rejected naming the file, line and changeset:\n{}",
        &run.stderr[..run.stderr.len().min(2000)]
    );
    assert_untouched(&db);
}
