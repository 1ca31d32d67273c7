//! Ground truth: lbmongo against the official liquibase-mongodb extension.
//!
//! Each scenario runs Liquibase 4.33.0 with `org.liquibase.ext:liquibase-mongodb` 4.33.0.1 and
//! its MongoDB Java driver (`scripts/liquibase.sh`, installed by `scripts/install-liquibase.sh`)
//! and `lbmongo` in one project directory with the same arguments, each on a fresh database of
//! the test server, and compares what the two wrote: history documents field by field (names,
//! order, BSON types, values; `_id`, `dateExecuted`, `deploymentId` and `liquibase` by type only),
//! the lock document, both tracking collections' options and indexes, and the user collections
//! the changes made. Where the two differ, the official extension is right.
//!
//! A scenario collects every difference it meets in [`Diffs`] and fails once at the end with all
//! of them, so one run shows the whole list rather than the first entry. A step whose outcome
//! makes the rest meaningless (a tool that cannot start, an update that fails) panics at once.
//!
//! The JVM takes two to four seconds per Liquibase command, so each scenario keeps one project
//! directory and runs as few Liquibase commands as its checks need; scenarios are separate tests
//! and run in parallel.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::LazyLock;

use mongodb::Database;
use mongodb::bson::{Bson, Document, doc};

use crate::support::cli::{self, Run, find};
use crate::support::{block_on, repo_root, server};

/// The Liquibase core the official extension runs on (`scripts/liquibase.sh --core`).
const CORE: &str = "4.33.0";
/// History fields whose values belong to one run, not to the changelog: compared by type only.
const RUN_FIELDS: [&str; 4] = ["_id", "dateExecuted", "deploymentId", "liquibase"];
const HISTORY: &str = "DATABASECHANGELOG";
const LOCK: &str = "DATABASECHANGELOGLOCK";

/// Installs the real Liquibase and the official extension once per test binary
/// (`scripts/install-liquibase.sh` is idempotent and silent when nothing is missing).
fn install_liquibase() {
    static INSTALLED: LazyLock<Result<(), String>> = LazyLock::new(|| {
        let script = repo_root().join("scripts/install-liquibase.sh");
        let output = std::process::Command::new("bash")
            .arg(&script)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("cannot start `bash {}`: {e}", script.display()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{}` failed ({})\n--- stdout\n{}\n--- stderr\n{}",
                script.display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    });
    if let Err(why) = &*INSTALLED {
        panic!("the official Liquibase + liquibase-mongodb cannot be installed: {why}");
    }
}

/// One database of the test server.
struct Side {
    db: Database,
    url: String,
}

/// A project directory and two databases: one written by the official extension, one by lbmongo.
struct Scenario {
    dir: tempfile::TempDir,
    official: Side,
    ours: Side,
}

impl Scenario {
    fn new(test: &str) -> Scenario {
        install_liquibase();
        let side = |tool: &str| {
            let (_, db, url) = block_on(server().fresh_db(&format!("gt_{test}_{tool}")));
            Side { db, url }
        };
        Scenario {
            dir: tempfile::tempdir().expect("a temporary directory"),
            official: side("off"),
            ours: side("lbm"),
        }
    }

    /// Copies a folder of the repository (recursively) into the project directory.
    fn copy_in(&self, from: &str) {
        copy_dir(&repo_root().join(from), self.dir.path());
    }

    /// Replaces `from` (which must occur exactly once) by `to` in a project file.
    fn edit(&self, path: &str, from: &str, to: &str) {
        let full = self.dir.path().join(path);
        let text = std::fs::read_to_string(&full).expect("read a project file");
        assert_eq!(
            text.matches(from).count(),
            1,
            "`{from}` must occur exactly once in {path}"
        );
        std::fs::write(&full, text.replace(from, to)).expect("write a project file");
    }

    /// `scripts/liquibase.sh --core 4.33.0 --ext official <args> --url=<side>` in the project.
    fn liquibase(&self, on: &Side, args: &[&str]) -> Run {
        let url = format!("--url={}", on.url);
        official_liquibase(self.dir.path(), &[args, &[url.as_str()]].concat())
    }

    /// `lbmongo <args> --url=<side>` in the project.
    fn lbmongo(&self, on: &Side, args: &[&str]) -> Run {
        let mut command = std::process::Command::new(cli::binary());
        command
            .args(args)
            .arg(format!("--url={}", on.url))
            .current_dir(self.dir.path())
            .env_remove("LIQUIBASE_COMMAND_URL")
            .stdin(std::process::Stdio::null());
        Run::of(command.output().expect("lbmongo can be started"))
    }

    /// The same command by each tool on its own database, at the same time.
    fn both(&self, args: &[&str]) -> (Run, Run) {
        std::thread::scope(|s| {
            let official = s.spawn(|| self.liquibase(&self.official, args));
            let ours = self.lbmongo(&self.ours, args);
            (official.join().expect("the Liquibase runner thread"), ours)
        })
    }
}

/// JVM flags for short runs: the C1 compiler only and the serial collector halve the CPU time of
/// a Liquibase command (JIT and GC threads compete for the test machine's cores). They change
/// nothing Liquibase does. Flags the caller set in `LBMONGO_LIQUIBASE_JAVA_OPTS` come last and win.
fn java_opts() -> String {
    let own = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";
    match std::env::var("LBMONGO_LIQUIBASE_JAVA_OPTS") {
        Ok(theirs) if !theirs.trim().is_empty() => format!("{own} {theirs}"),
        _ => own.to_owned(),
    }
}

/// `scripts/liquibase.sh --core 4.33.0 --ext official <args>` in `dir`: the real Liquibase with
/// the official extension, installed on first use.
pub(crate) fn official_liquibase(dir: &Path, args: &[&str]) -> Run {
    install_liquibase();
    let mut command = std::process::Command::new("bash");
    command
        .arg(repo_root().join("scripts/liquibase.sh"))
        .args(["--core", CORE, "--ext", "official"])
        .args(args)
        .current_dir(dir)
        .env("LIQUIBASE_ANALYTICS_ENABLED", "false")
        .env("LBMONGO_LIQUIBASE_JAVA_OPTS", java_opts())
        .stdin(std::process::Stdio::null());
    Run::of(command.output().expect("bash can be started"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a project folder");
    for entry in std::fs::read_dir(from).expect("read a fixture folder") {
        let entry = entry.expect("a fixture folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a fixture file");
        }
    }
}

/// The differences found so far in one scenario, each a ready-to-read paragraph.
#[derive(Default)]
struct Diffs(Vec<String>);

impl Diffs {
    fn same<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, official: T, ours: T) {
        if official != ours {
            self.0.push(format!(
                "{what}:\n  official: {official:?}\n  lbmongo:  {ours:?}"
            ));
        }
    }

    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    /// Lists of documents rendered by [`typed_fields`], compared document by document and field
    /// by field, so the message names exactly the fields that differ.
    fn same_docs(&mut self, what: &str, official: &[Vec<String>], ours: &[Vec<String>]) {
        if official == ours {
            return;
        }
        let mut text = format!(
            "{what}: {} official, {} lbmongo",
            official.len(),
            ours.len()
        );
        for i in 0..official.len().max(ours.len()) {
            let (a, b) = (official.get(i), ours.get(i));
            if a == b {
                continue;
            }
            let _ = write!(text, "\n  #{}:", i + 1);
            let empty = Vec::new();
            let (a, b) = (a.unwrap_or(&empty), b.unwrap_or(&empty));
            for j in 0..a.len().max(b.len()) {
                let (x, y) = (a.get(j), b.get(j));
                if x != y {
                    let _ = write!(
                        text,
                        "\n    official: {}\n    lbmongo:  {}",
                        x.map_or("(none)", String::as_str),
                        y.map_or("(none)", String::as_str)
                    );
                }
            }
        }
        self.0.push(text);
    }

    #[track_caller]
    fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "lbmongo differs from the official liquibase-mongodb in {} place(s):\n\n{}",
            self.0.len(),
            self.0.join("\n\n")
        );
    }
}

/// A BSON value with its type at every level, keys in stored order.
fn typed(value: &Bson) -> String {
    match value {
        Bson::Document(d) => {
            let fields: Vec<String> = d
                .iter()
                .map(|(k, v)| format!("{k}: {}", typed(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Bson::Array(items) => {
            let items: Vec<String> = items.iter().map(typed).collect();
            format!("[{}]", items.join(", "))
        }
        Bson::String(s) => format!("string {s:?}"),
        Bson::Int32(n) => format!("int {n}"),
        Bson::Int64(n) => format!("long {n}"),
        Bson::Double(x) => format!("double {x:?}"),
        Bson::Decimal128(x) => format!("decimal {x}"),
        Bson::Boolean(b) => format!("bool {b}"),
        Bson::Null => "null".to_owned(),
        Bson::DateTime(t) => format!("date {}", t.timestamp_millis()),
        Bson::ObjectId(o) => format!("objectId {o}"),
        Bson::Binary(b) => format!("binary {:?} {:?}", b.subtype, b.bytes),
        other => format!("{:?} {other}", other.element_type()),
    }
}

fn type_name(value: &Bson) -> String {
    format!("{:?}", value.element_type())
}

/// One line per top-level field, in stored order: the name, the type and (unless the field is in
/// `by_type`) the value.
pub(crate) fn typed_fields(d: &Document, by_type: &[&str]) -> Vec<String> {
    d.iter()
        .map(|(k, v)| {
            if by_type.contains(&k.as_str()) {
                format!("{k}: {}", type_name(v))
            } else {
                format!("{k}: {}", typed(v))
            }
        })
        .collect()
}

/// The history rows in execution order (`orderExecuted`, then insertion).
async fn history(db: &Database) -> Vec<Document> {
    find(db, HISTORY, doc! { "orderExecuted": 1, "_id": 1 }).await
}

fn first_batch(reply: &Document) -> Vec<Document> {
    reply
        .get_document("cursor")
        .and_then(|c| c.get_array("firstBatch"))
        .expect("a cursor reply")
        .iter()
        .filter_map(|b| b.as_document().cloned())
        .collect()
}

/// `listCollections` as stored (raw, key order kept), by name, without the per-collection uuid
/// and the `_id` index's namespace.
pub(crate) async fn collection_specs(db: &Database) -> Vec<Vec<String>> {
    let reply = db
        .run_command(doc! { "listCollections": 1 })
        .await
        .expect("listCollections");
    let mut specs = first_batch(&reply);
    specs.sort_by(|a, b| a.get_str("name").ok().cmp(&b.get_str("name").ok()));
    specs
        .iter()
        .map(|spec| {
            let mut spec = spec.clone();
            if let Ok(info) = spec.get_document_mut("info") {
                info.remove("uuid");
            }
            // The namespace names the database, which differs by design.
            if let Ok(id_index) = spec.get_document_mut("idIndex") {
                id_index.remove("ns");
            }
            typed_fields(&spec, &[])
        })
        .collect()
}

/// `listIndexes` of every collection, as stored (without a namespace, which names the database).
pub(crate) async fn index_specs(db: &Database) -> Vec<Vec<String>> {
    let mut names = db.list_collection_names().await.expect("list collections");
    names.sort();
    let mut all = Vec::new();
    for name in names {
        let reply = db
            .run_command(doc! { "listIndexes": &name })
            .await
            .expect("listIndexes");
        for mut index in first_batch(&reply) {
            index.remove("ns");
            let mut lines = vec![format!("collection: {name}")];
            lines.extend(typed_fields(&index, &[]));
            all.push(lines);
        }
    }
    all
}

/// Compares everything both tools wrote so far: history rows (execution order and insertion
/// order), the lock document, every collection's options and every index.
fn compare_state(diffs: &mut Diffs, scenario: &Scenario, step: &str) {
    block_on(async {
        let (official, ours) = (&scenario.official.db, &scenario.ours.db);
        let rows = |d: &[Document]| -> Vec<Vec<String>> {
            d.iter().map(|r| typed_fields(r, &RUN_FIELDS)).collect()
        };
        let official_rows = history(official).await;
        // Every step of every scenario leaves rows behind: equal empty lists would prove nothing.
        assert!(
            !official_rows.is_empty(),
            "{step}: the official extension left no history"
        );
        diffs.same_docs(
            &format!("{step}: history rows (by orderExecuted)"),
            &rows(&official_rows),
            &rows(&history(ours).await),
        );
        let inserted = |d: &[Document]| -> Vec<String> {
            d.iter()
                .map(|r| {
                    let key = |f| r.get_str(f).unwrap_or("?");
                    format!("{}::{}::{}", key("fileName"), key("id"), key("author"))
                })
                .collect()
        };
        diffs.same(
            &format!("{step}: history rows in insertion order"),
            inserted(&find(official, HISTORY, doc! { "_id": 1 }).await),
            inserted(&find(ours, HISTORY, doc! { "_id": 1 }).await),
        );
        // The lock document: `lockGranted` is the release time of each run.
        let lock = |d: &[Document]| -> Vec<Vec<String>> {
            d.iter()
                .map(|r| typed_fields(r, &["lockGranted"]))
                .collect()
        };
        diffs.same_docs(
            &format!("{step}: lock document"),
            &lock(&find(official, LOCK, doc! { "_id": 1 }).await),
            &lock(&find(ours, LOCK, doc! { "_id": 1 }).await),
        );
        diffs.same_docs(
            &format!("{step}: listCollections (name, type, options)"),
            &collection_specs(official).await,
            &collection_specs(ours).await,
        );
        diffs.same_docs(
            &format!("{step}: listIndexes"),
            &index_specs(official).await,
            &index_specs(ours).await,
        );
    });
}

/// The `label: number` lines of an update summary on stdout, in order; the lines of the
/// "FILTERED CHANGE SETS SUMMARY" sorted (their order follows a Java map, not the changelog).
/// Whitespace is normalised: the column widths are presentation.
fn summary(stdout: &str) -> Vec<String> {
    let mut main = Vec::new();
    let mut filtered = Vec::new();
    let mut in_filtered = false;
    for line in stdout.lines() {
        if line.trim() == "FILTERED CHANGE SETS SUMMARY" {
            in_filtered = true;
        }
        let Some((label, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let entry = format!("{}: {value}", label.trim());
        if in_filtered {
            filtered.push(entry);
        } else {
            main.push(entry);
        }
    }
    filtered.sort();
    main.extend(filtered);
    main
}

/// The value of summary line `label` (e.g. `Run`), if present.
fn summary_value(stdout: &str, label: &str) -> Option<u64> {
    let prefix = format!("{label}: ");
    summary(stdout)
        .iter()
        .find_map(|l| l.strip_prefix(&prefix).and_then(|v| v.parse().ok()))
}

/// The stderr lines starting with `prefix`, trimmed, in order.
fn lines_starting(text: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// Checksum-mismatch entries (`path::id::author was: X but is now: Y`) in a tool's output, once
/// each (Liquibase prints the message twice).
fn mismatches(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.contains(" was: ") && l.contains(" but is now: "))
        .map(str::to_owned)
        .collect()
}

/// Compares what both tools printed for one update-type step: the summary numbers, the
/// `Running Changeset:` lines, the rows-affected line, and the exit codes.
fn compare_update_output(diffs: &mut Diffs, step: &str, official: &Run, ours: &Run) {
    diffs.same(&format!("{step}: exit code"), official.code, ours.code);
    diffs.same(
        &format!("{step}: update summary (stdout)"),
        summary(&official.stdout),
        summary(&ours.stdout),
    );
    diffs.same(
        &format!("{step}: `Running Changeset:` lines (stderr)"),
        lines_starting(&official.stderr, "Running Changeset: "),
        lines_starting(&ours.stderr, "Running Changeset: "),
    );
    diffs.same(
        &format!("{step}: rows affected (stderr)"),
        lines_starting(&official.stderr, "Liquibase: Update has been successful."),
        lines_starting(&ours.stderr, "Liquibase: Update has been successful."),
    );
}

#[track_caller]
fn must_succeed(tool: &str, step: &str, run: &Run) {
    assert_eq!(
        run.code, 0,
        "{tool} failed at `{step}`\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
}

/// Checks a second `update` by `tool` (as in "lbmongo's second update") on `history_of` (the
/// history the other tool wrote): it exits 0 having run nothing, counts every row as previously
/// run, and leaves the rows of `db` as they were (`before`).
fn check_second_update_ran_nothing(
    diffs: &mut Diffs,
    tool: &str,
    history_of: &str,
    again: &Run,
    before: &[Document],
    db: &Database,
) {
    diffs.check(
        again.code == 0 && summary_value(&again.stdout, "Run") == Some(0),
        || format!("{tool} second `update` on {history_of} ran something: {again:?}"),
    );
    diffs.same(
        &format!("{tool} second update: `Previously run`"),
        u64::try_from(before.len()).ok(),
        summary_value(&again.stdout, "Previously run"),
    );
    diffs.same(
        &format!("{tool} second update: {history_of} is unchanged"),
        before
            .iter()
            .map(|r| typed_fields(r, &[]))
            .collect::<Vec<_>>(),
        block_on(history(db))
            .iter()
            .map(|r| typed_fields(r, &[]))
            .collect(),
    );
}

/// Applies one of the `examples/` roots with both tools and compares the results; then each
/// tool reads the other's history: `status` says up to date, `validate` passes, and a second
/// `update` runs nothing and writes nothing.
fn examples_match_and_each_reads_the_others_history(test: &str, changelog: &str) {
    let scenario = Scenario::new(test);
    scenario.copy_in("examples");
    let mut diffs = Diffs::default();
    let changelog_arg = format!("--changelog-file={changelog}");
    // `dev`: the seed data runs, the `runAlways` changeset of `prod` stays out, so a second
    // update has nothing to do.
    let update = ["update", changelog_arg.as_str(), "--contexts=dev"];

    let (official, ours) = scenario.both(&update);
    must_succeed("the official extension", "update", &official);
    must_succeed("lbmongo", "update", &ours);
    compare_update_output(&mut diffs, "update", &official, &ours);
    compare_state(&mut diffs, &scenario, "update");
    let rows_official = block_on(history(&scenario.official.db));
    let rows_ours = block_on(history(&scenario.ours.db));
    assert!(
        !rows_official.is_empty(),
        "the official update wrote no history"
    );

    // lbmongo on the official extension's history.
    let on = &scenario.official;
    let status = scenario.lbmongo(on, &["status", changelog_arg.as_str(), "--contexts=dev"]);
    diffs.check(
        status.code == 0 && status.stdout.contains(" is up to date"),
        || format!("lbmongo `status` on the official history is not up to date: {status:?}"),
    );
    let validate = scenario.lbmongo(on, &["validate", changelog_arg.as_str(), "--contexts=dev"]);
    diffs.check(validate.code == 0, || {
        format!("lbmongo `validate` on the official history fails: {validate:?}")
    });
    let again = scenario.lbmongo(on, &update);
    check_second_update_ran_nothing(
        &mut diffs,
        "lbmongo's",
        "the official history",
        &again,
        &rows_official,
        &on.db,
    );

    // The official extension on lbmongo's history.
    let on = &scenario.ours;
    let official_status =
        scenario.liquibase(on, &["status", changelog_arg.as_str(), "--contexts=dev"]);
    diffs.check(
        official_status.code == 0 && official_status.stdout.contains(" is up to date"),
        || format!("official `status` on lbmongo's history is not up to date: {official_status:?}"),
    );
    // The two up-to-date messages name the same server: they must read alike.
    diffs.same(
        "`status` stdout (lbmongo on the official history vs official on lbmongo's)",
        official_status.stdout.as_str(),
        status.stdout.as_str(),
    );
    let official_again = scenario.liquibase(on, &update);
    check_second_update_ran_nothing(
        &mut diffs,
        "official",
        "lbmongo's history",
        &official_again,
        &rows_ours,
        &on.db,
    );
    // Both second updates had nothing to do: their summaries agree too.
    diffs.same(
        "second update summary",
        summary(&official_again.stdout),
        summary(&again.stdout),
    );
    diffs.assert_none();
}

#[test]
fn examples_xml_history_equals_official_and_each_reads_the_others() {
    examples_match_and_each_reads_the_others_history("examples_xml", "changelog.xml");
}

#[test]
fn examples_yaml_history_equals_official_and_each_reads_the_others() {
    examples_match_and_each_reads_the_others_history("examples_yaml", "changelog.yaml");
}

#[test]
fn examples_json_history_equals_official_and_each_reads_the_others() {
    examples_match_and_each_reads_the_others_history("examples_json", "changelog.json");
}

/// MARK_RAN, CONTINUE (no row), runOnChange edited (RERAN), runAlways (RERAN), failOnError=false
/// (FAILED), tagDatabase, contexts and labels through an include, a comment with quotes; then a
/// changeset edited after it ran: both report the same stored and computed checksums.
#[test]
fn sequence_of_updates_and_checksum_mismatch_equal_official() {
    let scenario = Scenario::new("sequence");
    scenario.copy_in("tests/fixtures/ground_truth/sequence");
    let mut diffs = Diffs::default();
    let update = [
        "update",
        "--changelog-file=root.xml",
        "--contexts=incCtx,ctxA",
    ];

    let (official, ours) = scenario.both(&update);
    must_succeed("the official extension", "first update", &official);
    must_succeed("lbmongo", "first update", &ours);
    compare_update_output(&mut diffs, "first update", &official, &ours);
    compare_state(&mut diffs, &scenario, "first update");

    // runOnChange: edited, so re-run in place (RERAN); runAlways: RERAN; CONTINUE: tried again.
    scenario.edit("root.xml", "{ v: 1 }", "{ v: 2 }");
    let (official, ours) = scenario.both(&update);
    must_succeed(
        "the official extension",
        "update after editing cs 12",
        &official,
    );
    must_succeed("lbmongo", "update after editing cs 12", &ours);
    compare_update_output(&mut diffs, "update after editing cs 12", &official, &ours);
    compare_state(&mut diffs, &scenario, "update after editing cs 12");

    // A plain changeset edited after it ran: validate, status and update all fail and name it.
    scenario.edit("root.xml", "pop: 700000", "pop: 700001");
    for command in ["validate", "status", "update"] {
        let args = [
            command,
            "--changelog-file=root.xml",
            "--contexts=incCtx,ctxA",
        ];
        let (official, ours) = scenario.both(&args);
        let step = format!("{command} after editing cs 3");
        diffs.same(&format!("{step}: exit code"), official.code, ours.code);
        let expected = mismatches(&official.stderr);
        assert_eq!(
            expected.len(),
            1,
            "the official `{command}` should report one mismatch: {official:?}"
        );
        diffs.same(
            &format!("{step}: reported checksum mismatches (stored, computed)"),
            expected,
            mismatches(&format!("{}{}", ours.stdout, ours.stderr)),
        );
        compare_state(&mut diffs, &scenario, &step);
    }
    diffs.assert_none();
}

/// `tag`, `clear-checksums` and the refill by the next `update`, then `rollback-count` through
/// automatic inverses and an explicit `<rollback>`: the same history and collections each time.
#[test]
fn tag_clear_checksums_and_rollback_count_equal_official() {
    let scenario = Scenario::new("tagging");
    scenario.copy_in("tests/fixtures/ground_truth/tagging");
    let mut diffs = Diffs::default();
    let steps: [(&str, &[&str]); 5] = [
        (
            "update",
            &[
                "update",
                "--changelog-file=changelog.xml",
                "--contexts=ctxT",
            ],
        ),
        ("tag", &["tag", "--tag=gt-1"]),
        ("clear-checksums", &["clear-checksums"]),
        (
            "update after clear-checksums",
            &[
                "update",
                "--changelog-file=changelog.xml",
                "--contexts=ctxT",
            ],
        ),
        (
            "rollback-count 3",
            &[
                "rollback-count",
                "--count=3",
                "--changelog-file=changelog.xml",
                "--contexts=ctxT",
            ],
        ),
    ];
    for (step, args) in steps {
        let (official, ours) = scenario.both(args);
        must_succeed("the official extension", step, &official);
        diffs.same(&format!("{step}: exit code"), official.code, ours.code);
        if step == "clear-checksums" {
            let cleared = block_on(history(&scenario.official.db));
            assert!(
                cleared.iter().all(|r| r.get("md5sum") == Some(&Bson::Null)),
                "the official clear-checksums should null every md5sum"
            );
        }
        if args[0] == "update" {
            compare_update_output(&mut diffs, step, &official, &ours);
        }
        if args[0] == "rollback-count" {
            diffs.same(
                &format!("{step}: `Rolling Back Changeset:` lines"),
                lines_starting(&official.stderr, "Rolling Back Changeset: "),
                lines_starting(&ours.stderr, "Rolling Back Changeset: "),
            );
        }
        compare_state(&mut diffs, &scenario, step);
    }
    diffs.assert_none();
}

/// A history with the correct v8 checksums (taken from the official `validate` after the stored
/// ones were corrupted to `8:000…`) validates in lbmongo, and `lbmongo update` upgrades it to the
/// v9 values the official extension writes, as the official `update` upgrades a copy of it.
#[test]
fn v8_checksums_validate_and_upgrade_like_official() {
    let scenario = Scenario::new("v8");
    scenario.copy_in("examples");
    let mut diffs = Diffs::default();
    let args = |command| [command, "--changelog-file=changelog.xml", "--contexts=dev"];
    let (official_db, copy_db) = (&scenario.official.db, &scenario.ours.db);

    let applied = scenario.liquibase(&scenario.official, &args("update"));
    must_succeed("the official extension", "update", &applied);
    let v9 = block_on(history(official_db));

    // Corrupt every checksum; the official validate then prints each correct v8 value.
    let zero = "8:00000000000000000000000000000000";
    block_on(
        official_db
            .collection::<Document>(HISTORY)
            .update_many(doc! {}, doc! { "$set": { "md5sum": zero } }),
    )
    .expect("corrupt the checksums");
    let corrupted = scenario.liquibase(&scenario.official, &args("validate"));
    assert_eq!(
        corrupted.code, 1,
        "official validate of 8:000…: {corrupted:?}"
    );
    let mut v8 = Vec::new();
    for line in mismatches(&corrupted.stderr) {
        let (id, rest) = line.split_once(" was: ").expect("a mismatch line");
        let (was, now) = rest.split_once(" but is now: ").expect("a mismatch line");
        assert_eq!(was, zero, "{line}");
        assert!(now.starts_with("8:") && now.len() == 34, "{line}");
        let mut parts = id.split("::");
        let (file, id, author) = (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
        );
        v8.push((file, id, author, now.to_owned()));
    }
    assert_eq!(
        v8.len(),
        v9.len(),
        "every row has a v8 value: {corrupted:?}"
    );

    // Write the correct v8 values, and copy that history to the second database.
    block_on(async {
        let rows = official_db.collection::<Document>(HISTORY);
        for (file, id, author, sum) in &v8 {
            let done = rows
                .update_one(
                    doc! { "fileName": file, "id": id, "author": author },
                    doc! { "$set": { "md5sum": sum } },
                )
                .await
                .expect("write a v8 checksum");
            assert_eq!(done.matched_count, 1, "{file}::{id}::{author}");
        }
        let v8_rows = history(official_db).await;
        copy_db
            .collection::<Document>(HISTORY)
            .insert_many(v8_rows)
            .await
            .expect("copy the v8 history");
    });

    // lbmongo validates the v8 history and upgrades it; the official extension upgrades the copy.
    let validate = scenario.lbmongo(&scenario.official, &args("validate"));
    diffs.check(validate.code == 0, || {
        format!("lbmongo `validate` of the correct v8 history fails: {validate:?}")
    });
    let ours = scenario.lbmongo(&scenario.official, &args("update"));
    let official = scenario.liquibase(&scenario.ours, &args("update"));
    must_succeed("the official extension", "update of the v8 copy", &official);
    diffs.same("v8 update: exit code", official.code, ours.code);
    diffs.same(
        "v8 update: `Upgrading checksum` lines (stderr)",
        lines_starting(&official.stderr, "Upgrading checksum for Changeset "),
        lines_starting(&ours.stderr, "Upgrading checksum for Changeset "),
    );
    diffs.same(
        "v8 update: summary",
        summary(&official.stdout),
        summary(&ours.stdout),
    );
    let sums = |rows: &[Document]| -> Vec<String> {
        rows.iter()
            .map(|r| typed(r.get("md5sum").unwrap_or(&Bson::Null)))
            .collect()
    };
    let upgraded_by_us = block_on(history(official_db));
    let upgraded_by_official = block_on(history(copy_db));
    diffs.same(
        "md5sum after lbmongo's upgrade vs the official first update",
        sums(&v9),
        sums(&upgraded_by_us),
    );
    // Both started from the same documents: after the upgrade every field must still agree.
    diffs.same_docs(
        "history after the v8 upgrade (official on the copy vs lbmongo)",
        &upgraded_by_official
            .iter()
            .map(|r| typed_fields(r, &[]))
            .collect::<Vec<_>>(),
        &upgraded_by_us
            .iter()
            .map(|r| typed_fields(r, &[]))
            .collect::<Vec<_>>(),
    );
    diffs.assert_none();
}

/// Issue 18, item 1: a `changeSetExecuted` precondition sees the changesets applied earlier in the
/// same `update` (changeset 6 needs 2, pending at the start), and one naming a changeset that never
/// ran still fails (7, MARK_RAN). One update does it all, with the official extension's rows and
/// documents; a second update runs nothing.
#[test]
fn change_set_executed_sees_changesets_applied_earlier_in_the_same_update() {
    let scenario = Scenario::new("executed_in_run");
    scenario.copy_in("tests/fixtures/ground_truth/executed_in_run");
    let mut diffs = Diffs::default();
    let update = ["update", "--changelog-file=changelog.xml", "--contexts=dev"];
    let (official, ours) = scenario.both(&update);
    must_succeed("the official extension", "update", &official);
    must_succeed("lbmongo", "update", &ours);
    compare_update_output(&mut diffs, "update", &official, &ours);
    compare_state(&mut diffs, &scenario, "update");
    let people = |db: &Database| -> Vec<String> {
        let mut names: Vec<String> = block_on(find(db, "people", doc! { "_id": 1 }))
            .iter()
            .map(|d| {
                format!(
                    "{}/{}",
                    d.get_str("name").unwrap_or("?"),
                    d.get_str("after").unwrap_or("")
                )
            })
            .collect();
        names.sort();
        names
    };
    let official_people = people(&scenario.official.db);
    assert_eq!(
        official_people,
        ["Ada/", "Grace/2"],
        "what the official extension inserted"
    );
    diffs.same("people", official_people, people(&scenario.ours.db));
    assert_eq!(
        cli::exec_types(&block_on(history(&scenario.official.db))),
        ["1:EXECUTED", "2:EXECUTED", "6:EXECUTED", "7:MARK_RAN"]
    );
    let (official, ours) = scenario.both(&update);
    must_succeed("the official extension", "second update", &official);
    must_succeed("lbmongo", "second update", &ours);
    compare_state(&mut diffs, &scenario, "second update");
    diffs.assert_none();
}

/// The line of `text` that contains `needle`, from `needle` to the end of the line.
fn line_from(text: &str, needle: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.find(needle).map(|at| l[at..].trim_end().to_owned()))
}

/// Issue 18, item 7: the messages users' scripts grep for use Liquibase's words. A failed update
/// still prints the UPDATE SUMMARY of what ran before the failure; an unknown tag, a held lock and
/// a failed `changeSetExecuted` precondition are reported with the official tool's sentences.
#[test]
fn messages_users_grep_for_equal_official() {
    let scenario = Scenario::new("messages");
    scenario.copy_in("tests/fixtures/ground_truth/messages");
    let mut diffs = Diffs::default();

    let (official, ours) = scenario.both(&["update", "--changelog-file=changelog.xml"]);
    assert_eq!(
        official.code, 1,
        "the official update should fail at changeset 3: {official:?}"
    );
    compare_update_output(&mut diffs, "failed update", &official, &ours);
    assert_eq!(
        summary_value(&official.stdout, "Run"),
        Some(2),
        "the official summary after the failure: {official:?}"
    );
    let failed = "Migration failed for changeset changelog.xml::3::a";
    assert!(official.stderr.contains(failed), "{official:?}");
    diffs.check(ours.stderr.contains(failed), || {
        format!("lbmongo's failed update does not say `{failed}`: {ours:?}")
    });

    let sentences = [
        (
            "rollback to an unknown tag",
            vec![
                "rollback",
                "--changelog-file=changelog.xml",
                "--tag=no-such-tag",
            ],
            "Could not find tag",
        ),
        (
            "precondition failed",
            vec!["update", "--changelog-file=precondition.xml"],
            "Changeset '",
        ),
    ];
    for (step, args, needle) in &sentences {
        let (official, ours) = scenario.both(args);
        diffs.same(&format!("{step}: exit code"), official.code, ours.code);
        let expected = line_from(&official.stderr, needle);
        assert!(
            expected.is_some(),
            "{step}: the official output lacks `{needle}`: {official:?}"
        );
        diffs.same(
            &format!("{step}: the sentence"),
            expected,
            line_from(&format!("{}{}", ours.stdout, ours.stderr), needle),
        );
    }

    // Another process holds the lock (as a killed run leaves it): both give up at once and say
    // who holds it since when, in Liquibase's words and date format.
    for side in [&scenario.official, &scenario.ours] {
        block_on(side.db.collection::<Document>(LOCK).update_one(
            doc! { "_id": 1 },
            doc! { "$set": {
                "locked": true,
                "lockedBy": "otherhost (192.0.2.7)",
                "lockGranted": mongodb::bson::DateTime::from_millis(1_767_323_045_000),
            } },
        ))
        .expect("hold the lock");
    }
    let (official, ours) = scenario.both(&[
        "--changelog-lock-wait-time-in-minutes=0",
        "update",
        "--changelog-file=changelog.xml",
    ]);
    diffs.same("held lock: exit code", official.code, ours.code);
    let held = "Could not acquire change log lock.";
    let expected = line_from(&official.stderr, held);
    assert!(expected.is_some(), "held lock: {official:?}");
    diffs.same(
        "held lock: the sentence",
        expected,
        line_from(&ours.stderr, held),
    );
    diffs.assert_none();
}
