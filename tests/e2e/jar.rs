//! Liquibase with the `lbmongo-liquibase` jar (and nothing else of ours, no MongoDB driver, no
//! Jackson) against the test server, on the cores the jar supports: 4.24.0 and 4.33.0 from Maven
//! Central and the 4.28.0 of the npm `liquibase@4.28.1` distribution (`scripts/liquibase.sh`).
//!
//! The heart is cross-tool compatibility: the history Liquibase + jar writes equals lbmongo's for
//! the same changelog, field by field (`_id`, `dateExecuted`, `deploymentId` by type; `liquibase`
//! is the core's version), each tool reads the other's history as up to date, the official
//! liquibase-mongodb extension and the jar each continue the other's project, and an edited
//! changeset is the same checksum mismatch in both tools. The jar comes from `make jar`'s script,
//! run once per test binary.
//!
//! A JVM start costs two to four seconds, so each test runs as few Liquibase commands as its
//! checks need, and tests run in parallel.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use mongodb::Database;
use mongodb::bson::{Bson, Document, doc};

use crate::support::cli::{self, Run};
use crate::support::{block_on, server};

pub(crate) const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog
    xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-latest.xsd
        http://www.liquibase.org/xml/ns/mongodb http://www.liquibase.org/xml/ns/mongodb/liquibase-mongodb-latest.xsd">
  <changeSet id="1" author="alice">
    <comment>towns, with a validator</comment>
    <mongodb:createCollection collectionName="towns">
      <mongodb:options>{ validator: { $jsonSchema: { bsonType: "object", required: ["name"] } } }</mongodb:options>
    </mongodb:createCollection>
  </changeSet>
  <changeSet id="2" author="alice" context="dev" labels="Geo,Index">
    <mongodb:createIndex collectionName="towns">
      <mongodb:keys>{ name: 1 }</mongodb:keys>
      <mongodb:options>{ unique: true, name: "ui_name" }</mongodb:options>
    </mongodb:createIndex>
  </changeSet>
  <changeSet id="3" author="bob">
    <mongodb:insertMany collectionName="towns">
      <mongodb:documents>[{ name: "Oslo", pop: 700000 }, { name: "Bergen" }]</mongodb:documents>
    </mongodb:insertMany>
    <rollback>
      <mongodb:runCommand><mongodb:command>{ delete: "towns", deletes: [{ q: {}, limit: 0 }] }</mongodb:command></mongodb:runCommand>
    </rollback>
  </changeSet>
  <changeSet id="4" author="bob">
    <tagDatabase tag="v1"/>
  </changeSet>
  <changeSet id="5" author="carol">
    <mongodb:runCommand><mongodb:command>{ create: "notes" }</mongodb:command></mongodb:runCommand>
    <mongodb:insertOne collectionName="notes"><mongodb:document>{ text: "ünïcødé 😀" }</mongodb:document></mongodb:insertOne>
    <rollback>
      <mongodb:dropCollection collectionName="notes"/>
    </rollback>
  </changeSet>
</databaseChangeLog>
"#;

const YAML: &str = r#"databaseChangeLog:
  - changeSet:
      id: "1"
      author: alice
      comment: towns, with a validator
      changes:
        - createCollection:
            collectionName: towns
            options: '{ validator: { $jsonSchema: { bsonType: "object", required: ["name"] } } }'
  - changeSet:
      id: "2"
      author: alice
      context: dev
      labels: Geo,Index
      changes:
        - createIndex:
            collectionName: towns
            keys: '{ name: 1 }'
            options: '{ unique: true, name: "ui_name" }'
  - changeSet:
      id: "3"
      author: bob
      changes:
        - insertMany:
            collectionName: towns
            documents: '[{ name: "Oslo", pop: 700000 }, { name: "Bergen" }]'
      rollback:
        - runCommand:
            command: '{ delete: "towns", deletes: [{ q: {}, limit: 0 }] }'
  - changeSet:
      id: "4"
      author: bob
      changes:
        - tagDatabase:
            tag: v1
  - changeSet:
      id: "5"
      author: carol
      changes:
        - runCommand:
            command: '{ create: "notes" }'
        - insertOne:
            collectionName: notes
            document: '{ text: "ünïcødé 😀" }'
      rollback:
        - dropCollection:
            collectionName: notes
"#;

/// The JSON form uses liquibase-mongodb's `$rawJson` for every JSON-ish property.
const JSON: &str = r#"{"databaseChangeLog": [
  {"changeSet": {"id": "1", "author": "alice", "comment": "towns, with a validator", "changes": [
    {"createCollection": {"collectionName": "towns",
      "options": {"$rawJson": {"validator": {"$jsonSchema": {"bsonType": "object", "required": ["name"]}}}}}}]}},
  {"changeSet": {"id": "2", "author": "alice", "context": "dev", "labels": "Geo,Index", "changes": [
    {"createIndex": {"collectionName": "towns", "keys": {"$rawJson": {"name": 1}},
      "options": {"$rawJson": {"unique": true, "name": "ui_name"}}}}]}},
  {"changeSet": {"id": "3", "author": "bob", "changes": [
    {"insertMany": {"collectionName": "towns", "documents": {"$rawJson": [{"name": "Oslo", "pop": 700000}, {"name": "Bergen"}]}}}],
    "rollback": [{"runCommand": {"command": {"$rawJson": {"delete": "towns", "deletes": [{"q": {}, "limit": 0}]}}}}]}},
  {"changeSet": {"id": "4", "author": "bob", "changes": [{"tagDatabase": {"tag": "v1"}}]}},
  {"changeSet": {"id": "5", "author": "carol", "changes": [
    {"runCommand": {"command": {"$rawJson": {"create": "notes"}}}},
    {"insertOne": {"collectionName": "notes", "document": {"$rawJson": {"text": "ünïcødé 😀"}}}}],
    "rollback": [{"dropCollection": {"collectionName": "notes"}}]}}
]}
"#;

/// History fields that belong to one run rather than to the changelog: compared by type.
const RUN_FIELDS: [&str; 3] = ["_id", "dateExecuted", "deploymentId"];

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs a setup script once per test binary; panics with its output when it fails.
pub(crate) fn setup(script: &str, cache: &'static LazyLock<Result<(), String>>) {
    if let Err(why) = &**cache {
        panic!("`{script}` failed: {why}");
    }
}

fn run_script(path: &Path) -> Result<(), String> {
    let output = std::process::Command::new("bash")
        .arg(path)
        .current_dir(repo_root())
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot start bash: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}\n--- stdout\n{}\n--- stderr\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

pub(crate) static LIQUIBASE: LazyLock<Result<(), String>> =
    LazyLock::new(|| run_script(&repo_root().join("scripts/install-liquibase.sh")));

/// `target/release/lbmongo-liquibase.jar`, brought up to date once per test run with
/// `jvm-bridge/build-jar.sh` (what `make jar` runs; nearly free when nothing changed), so no
/// test ever runs a stale jar.
pub(crate) fn jar() -> PathBuf {
    static BUILT: LazyLock<Result<(), String>> =
        LazyLock::new(|| run_script(&repo_root().join("jvm-bridge/build-jar.sh")));
    setup("jvm-bridge/build-jar.sh", &BUILT);
    jar_path()
}

fn jar_path() -> PathBuf {
    repo_root().join("target/release/lbmongo-liquibase.jar")
}

/// A folder holding only our jar: what `--ext` puts on Liquibase's classpath.
pub(crate) fn ext_dir() -> &'static Path {
    static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::copy(jar(), dir.path().join("lbmongo-liquibase.jar")).expect("copy the jar");
        dir
    });
    DIR.path()
}

/// Which extension runs inside Liquibase.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ext {
    /// `lbmongo-liquibase.jar` alone.
    Jar,
    /// `org.liquibase.ext:liquibase-mongodb` 4.33.0.1 with its driver and Jackson.
    Official,
}

/// A project directory holding one changelog (`changelog.<ext>`).
struct Project {
    dir: tempfile::TempDir,
    changelog: String,
}

impl Project {
    fn new(file: &str, text: &str) -> Project {
        setup("scripts/install-liquibase.sh", &LIQUIBASE);
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join(file), text).expect("write the changelog");
        Project {
            dir,
            changelog: file.to_owned(),
        }
    }

    fn edit(&self, from: &str, to: &str) {
        let path = self.dir.path().join(&self.changelog);
        let text = std::fs::read_to_string(&path).expect("read the changelog");
        assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
        std::fs::write(&path, text.replace(from, to)).expect("write the changelog");
    }

    /// `scripts/liquibase.sh --core <core> --ext <…> <args> --changelog-file=… --url=…`.
    fn liquibase(&self, core: &str, ext: Ext, url: &str, args: &[&str]) -> Run {
        let ext = match ext {
            Ext::Jar => ext_dir().to_string_lossy().into_owned(),
            Ext::Official => "official".to_owned(),
        };
        let output = std::process::Command::new("bash")
            .arg(repo_root().join("scripts/liquibase.sh"))
            .args(["--core", core, "--ext", &ext])
            // Global options before the command: every command accepts them there.
            .arg(format!("--changelog-file={}", self.changelog))
            .arg(format!("--url={url}"))
            .args(args)
            .current_dir(self.dir.path())
            .env("LIQUIBASE_ANALYTICS_ENABLED", "false")
            // cargo test puts target/*/deps on LD_LIBRARY_PATH, which the JVM searches (as
            // java.library.path) before the jar: drop it so the jar's own library is tested.
            .env_remove("LD_LIBRARY_PATH")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("bash can be started");
        run_of(output)
    }

    /// `lbmongo <args> --changelog-file … --url …` in the project.
    fn lbmongo(&self, url: &str, args: &[&str]) -> Run {
        let output = std::process::Command::new(cli::binary())
            .args(args)
            .args(["--changelog-file", &self.changelog, "--url", url])
            .current_dir(self.dir.path())
            .env_remove("LIQUIBASE_COMMAND_URL")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("lbmongo can be started");
        run_of(output)
    }
}

pub(crate) fn run_of(output: std::process::Output) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub(crate) fn db(test: &str) -> (Database, String) {
    let (_, db, url) = block_on(server().fresh_db(test));
    (db, url)
}

pub(crate) use crate::support::cli::find;

pub(crate) fn history(db: &Database) -> Vec<Document> {
    block_on(find(db, "DATABASECHANGELOG", doc! { "orderExecuted": 1 }))
}

/// A history row with the run's own values reduced to their type, as `name: value` lines.
fn comparable(row: &Document) -> Vec<String> {
    row.iter()
        .map(|(k, v)| {
            if RUN_FIELDS.contains(&k.as_str()) {
                format!("{k}: <{:?}>", v.element_type())
            } else {
                format!("{k}: {v:?}")
            }
        })
        .collect()
}

/// The rows of `ours` equal `theirs` field by field, except the run fields and `liquibase`,
/// which is `version` in `ours`.
#[track_caller]
pub(crate) fn assert_same_history(ours: &[Document], theirs: &[Document], version: &str) {
    let strip = |rows: &[Document]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| {
                comparable(r)
                    .into_iter()
                    .filter(|l| !l.starts_with("liquibase:"))
                    .collect()
            })
            .collect()
    };
    assert_eq!(strip(ours), strip(theirs), "history documents differ");
    for row in ours {
        assert_eq!(row.get_str("liquibase"), Ok(version), "{row}");
    }
}

/// User collections and their documents (without `_id`), for comparing two databases.
fn user_data(db: &Database) -> Vec<(String, Vec<Document>)> {
    block_on(async {
        let mut names: Vec<String> = db.list_collection_names().await.expect("list collections");
        names.retain(|n| !n.starts_with("DATABASECHANGELOG") && !n.starts_with("system."));
        names.sort();
        let mut out = Vec::new();
        for name in names {
            let mut docs = find(db, &name, doc! { "_id": 1 }).await;
            for d in &mut docs {
                d.remove("_id");
            }
            docs.sort_by_key(|d| d.to_string());
            out.push((name, docs));
        }
        out
    })
}

#[track_caller]
pub(crate) fn up_to_date(run: Run) {
    let run = run.ok();
    assert!(
        run.stdout.contains("is up to date"),
        "not up to date\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// The core's version as it writes it into history.
fn written_version(core: &str) -> &'static str {
    match core {
        "4.24.0" => "4.24.0",
        "npm-4.28.1" => "4.28.0",
        _ => "4.33.0",
    }
}

/// Liquibase + jar and lbmongo apply the same changelog to two databases: equal histories and
/// data, and each tool reads the other's database as up to date.
fn cross_tool(core: &str, file: &str, text: &str) {
    let test = format!(
        "jar_x_{}_{}",
        core.replace(['.', '-'], ""),
        file.replace('.', "_")
    );
    let p = Project::new(file, text);
    let (jar_db, jar_url) = db(&format!("{test}_j"));
    let (lbm_db, lbm_url) = db(&format!("{test}_l"));
    let (applied, lbmongo) = std::thread::scope(|s| {
        let lbmongo = s.spawn(|| p.lbmongo(&lbm_url, &["update", "--contexts", "dev"]));
        let applied = p.liquibase(core, Ext::Jar, &jar_url, &["update", "--contexts=dev"]);
        (applied, lbmongo.join().expect("the lbmongo thread"))
    });
    applied.ok();
    lbmongo.ok();
    let ours = history(&jar_db);
    assert_eq!(ours.len(), 5, "{ours:?}");
    assert_same_history(&ours, &history(&lbm_db), written_version(core));
    assert_eq!(user_data(&jar_db), user_data(&lbm_db));
    let notes = block_on(find(&jar_db, "notes", doc! {}));
    assert_eq!(notes[0].get_str("text"), Ok("ünïcødé 😀"));
    // Each reads the other's history as its own.
    up_to_date(p.lbmongo(&jar_url, &["status"]));
    p.lbmongo(&jar_url, &["validate"]).ok();
    up_to_date(p.liquibase(core, Ext::Jar, &lbm_url, &["status", "--verbose"]));
}

/// Liquibase 4.33 with our jar on FerretDB, no platform setting: the engine's platform defaults
/// reach the jar too (no tracking validators, no transactions), and lbmongo reads the result
/// as its own (issue 13).
#[test]
fn liquibase_with_the_jar_updates_ferretdb_with_no_platform_settings() {
    let server = crate::support::server_with(&crate::support::ServerOptions::ferretdb_repl_set());
    let (_, db, url) = block_on(server.fresh_db("jar_ferretdb"));
    let p = Project::new(
        "changelog.xml",
        &crate::commands::xml(crate::ferretdb::SHOP),
    );
    p.liquibase("4.33.0", Ext::Jar, &url, &["update"]).ok();
    let rows = history(&db);
    assert_eq!(
        crate::support::cli::exec_types(&rows),
        ["1", "2", "3", "4", "5", "6"].map(|id| format!("{id}:EXECUTED"))
    );
    assert_eq!(block_on(find(&db, "products", doc! { "_id": 1 })).len(), 2);
    up_to_date(p.lbmongo(&url, &["status"]));
}

#[test]
fn xml_on_4_33_equals_lbmongo() {
    cross_tool("4.33.0", "changelog.xml", XML);
}

#[test]
fn yaml_on_4_33_equals_lbmongo() {
    cross_tool("4.33.0", "changelog.yaml", YAML);
}

#[test]
fn json_raw_json_on_4_33_equals_lbmongo() {
    cross_tool("4.33.0", "changelog.json", JSON);
}

#[test]
fn xml_on_4_24_equals_lbmongo() {
    cross_tool("4.24.0", "changelog.xml", XML);
}

#[test]
fn yaml_on_4_24_equals_lbmongo() {
    cross_tool("4.24.0", "changelog.yaml", YAML);
}

#[test]
fn json_raw_json_on_4_24_equals_lbmongo() {
    cross_tool("4.24.0", "changelog.json", JSON);
}

#[test]
fn xml_on_npm_4_28_equals_lbmongo() {
    cross_tool("npm-4.28.1", "changelog.xml", XML);
}

#[test]
fn yaml_on_npm_4_28_equals_lbmongo() {
    cross_tool("npm-4.28.1", "changelog.yaml", YAML);
}

#[test]
fn json_raw_json_on_npm_4_28_equals_lbmongo() {
    cross_tool("npm-4.28.1", "changelog.json", JSON);
}

/// A project applied with the official extension continues with the jar (nothing re-run, no
/// checksum error), and one applied with the jar reads as up to date to the official extension.
#[test]
fn official_extension_and_jar_continue_each_others_projects() {
    let p = Project::new("changelog.xml", XML);
    let (off_db, off_url) = db("jar_official_o");
    let (jar_db, jar_url) = db("jar_official_j");
    std::thread::scope(|s| {
        let official = s.spawn(|| {
            p.liquibase(
                "4.33.0",
                Ext::Official,
                &off_url,
                &["update", "--contexts=dev"],
            )
        });
        p.liquibase("4.33.0", Ext::Jar, &jar_url, &["update", "--contexts=dev"])
            .ok();
        official.join().expect("the official thread").ok();
    });
    let before = history(&off_db);
    assert_same_history(&history(&jar_db), &before, "4.33.0");
    let (jar_reads, official_reads) = std::thread::scope(|s| {
        let official =
            s.spawn(|| p.liquibase("4.33.0", Ext::Official, &jar_url, &["status", "--verbose"]));
        let continued = p.liquibase("4.33.0", Ext::Jar, &off_url, &["update", "--contexts=dev"]);
        (continued, official.join().expect("the official thread"))
    });
    let continued = jar_reads.ok();
    assert!(
        !continued.stderr.contains("Running Changeset"),
        "re-ran something:\n{}",
        continued.stderr
    );
    up_to_date(official_reads);
    let after = history(&off_db);
    assert_eq!(after.len(), before.len());
    assert_same_history(&after, &before, "4.33.0");
    up_to_date(p.lbmongo(&off_url, &["status"]));
}

/// An edited changeset is one checksum mismatch, with the same stored and computed values, for
/// Liquibase + jar and for lbmongo.
#[test]
fn edited_changeset_is_the_same_mismatch_in_both_tools() {
    let p = Project::new("changelog.xml", XML);
    let (_, url) = db("jar_mismatch");
    p.liquibase("4.33.0", Ext::Jar, &url, &["update", "--contexts=dev"])
        .ok();
    p.edit(r#"{ name: "Bergen" }"#, r#"{ name: "Trondheim" }"#);
    let (liquibase, lbmongo) = std::thread::scope(|s| {
        let lbmongo = s.spawn(|| p.lbmongo(&url, &["validate"]));
        let liquibase = p.liquibase("4.33.0", Ext::Jar, &url, &["validate"]);
        (
            liquibase.failed(),
            lbmongo.join().expect("the lbmongo thread").failed(),
        )
    });
    let line = liquibase
        .stderr
        .lines()
        .find(|l| l.contains("changelog.xml::3::bob was: "))
        .unwrap_or_else(|| panic!("no mismatch line:\n{}", liquibase.stderr))
        .trim()
        .to_owned();
    let values: Vec<&str> = line
        .split_whitespace()
        .filter(|w| w.starts_with("9:"))
        .collect();
    assert_eq!(values.len(), 2, "{line}");
    assert_ne!(values[0], values[1]);
    for value in values {
        assert!(
            lbmongo.stderr.contains(value),
            "lbmongo does not report {value}:\n{}",
            lbmongo.stderr
        );
    }
}

/// Bad JSON in a change: Liquibase names the changeset and the executor's reason, not JNI frames.
#[test]
fn bad_json_is_reported_with_the_changeset_and_the_reason() {
    let p = Project::new(
        "changelog.xml",
        &XML.replace(r#"{ name: "Bergen" }]"#, r#"{ name: "Bergen" ]"#),
    );
    let (db, url) = db("jar_bad_json");
    let run = p
        .liquibase("4.33.0", Ext::Jar, &url, &["update", "--contexts=dev"])
        .failed();
    assert!(
        run.stderr.contains("changelog.xml::3::bob"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("insertMany `documents`"),
        "{}",
        run.stderr
    );
    for frame in ["at liquibase.ext.lbmongo", "Rust panic", "jni"] {
        assert!(!run.stderr.contains(frame), "`{frame}` in:\n{}", run.stderr);
    }
    // Validation fails before anything runs.
    assert!(history(&db).is_empty());
}

#[test]
fn liquibase_commands_through_the_jar_on_4_33() {
    liquibase_commands_through_the_jar("4.33.0", "jar_commands_433");
}

#[test]
fn liquibase_commands_through_the_jar_on_4_24() {
    liquibase_commands_through_the_jar("4.24.0", "jar_commands_424");
}

#[test]
fn liquibase_commands_through_the_jar_on_npm_4_28() {
    liquibase_commands_through_the_jar("npm-4.28.1", "jar_commands_428");
}

/// The commands of Liquibase's CLI through the jar on `core`, checked on the database.
fn liquibase_commands_through_the_jar(core: &str, test: &str) {
    let p = Project::new("changelog.xml", XML);
    let (db, url) = db(test);
    let lb = |args: &[&str]| p.liquibase(core, Ext::Jar, &url, args);
    let ids = |db: &Database| -> Vec<String> {
        history(db)
            .iter()
            .map(|r| r.get_str("id").unwrap_or_default().to_owned())
            .collect()
    };

    lb(&["update-count", "--count=2", "--contexts=dev"]).ok();
    assert_eq!(ids(&db), ["1", "2"]);
    lb(&["update-to-tag", "--tag=v1", "--contexts=dev"]).ok();
    assert_eq!(ids(&db), ["1", "2", "3", "4"]);
    let status = lb(&["status", "--verbose", "--contexts=dev"]).ok();
    // Core 4.24 pluralises without looking at the count: "1 changesets have not been applied".
    assert!(
        status.stdout.contains("1 changeset has not been applied")
            || (core == "4.24.0" && status.stdout.contains("1 changesets have not been applied")),
        "{}",
        status.stdout
    );
    lb(&["update", "--contexts=dev"]).ok();
    assert_eq!(ids(&db), ["1", "2", "3", "4", "5"]);
    let preview = lb(&["rollback-count-sql", "--count=1"]).ok();
    assert!(
        preview
            .stdout
            .contains(r#"db.runCommand({"drop": "notes"});"#),
        "{}",
        preview.stdout
    );
    assert!(
        preview.stdout.contains(r#"{"delete": "DATABASECHANGELOG""#),
        "{}",
        preview.stdout
    );
    assert_eq!(
        ids(&db),
        ["1", "2", "3", "4", "5"],
        "rollback-count-sql changed the history"
    );
    let validate = lb(&["validate"]).ok();
    assert!(
        validate.stderr.contains("No validation errors found"),
        "{}",
        validate.stderr
    );
    let hist = lb(&["history"]).ok();
    assert!(
        hist.stdout.contains("changelog.xml") && hist.stdout.contains("carol"),
        "{}",
        hist.stdout
    );

    lb(&["tag", "--tag=after"]).ok();
    assert_eq!(history(&db)[4].get_str("tag"), Ok("after"));
    let exists = lb(&["tag-exists", "--tag=after"]).ok();
    assert!(
        exists.stderr.contains("'after' already exists"),
        "{}",
        exists.stderr
    );

    let stored = history(&db)[2]
        .get_str("md5sum")
        .expect("md5sum")
        .to_owned();
    let calc = lb(&[
        "calculate-checksum",
        "--changeset-identifier=changelog.xml::3::bob",
    ])
    .ok();
    assert!(
        calc.stdout.contains(&stored) || calc.stderr.contains(&stored),
        "{calc:?}"
    );
    lb(&["clear-checksums"]).ok();
    assert!(
        history(&db)
            .iter()
            .all(|r| r.get("md5sum") == Some(&Bson::Null))
    );
    lb(&["update", "--contexts=dev"]).ok();
    assert_eq!(history(&db)[2].get_str("md5sum"), Ok(stored.as_str()));

    let locks = lb(&["list-locks"]).ok();
    assert!(locks.stdout.contains("No locks"), "{}", locks.stdout);
    lb(&["release-locks"]).ok();
    let lock = block_on(find(&db, "DATABASECHANGELOGLOCK", doc! {}));
    assert_eq!(lock[0].get_bool("locked"), Ok(false));

    lb(&["rollback-count", "--count=1"]).ok();
    assert_eq!(ids(&db), ["1", "2", "3", "4"]);
    assert!(!user_data(&db).iter().any(|(c, _)| c == "notes"));
    lb(&["update", "--contexts=dev"]).ok();
    lb(&["rollback", "--tag=v1"]).ok();
    // As Liquibase: rolling back to a tag also rolls back the changeset whose only change is
    // the `tagDatabase` that set it.
    assert_eq!(ids(&db), ["1", "2", "3"]);
    lb(&["rollback-to-date", "--date=2000-01-01T00:00:00"]).ok();
    assert!(ids(&db).is_empty());
    assert!(user_data(&db).is_empty(), "{:?}", user_data(&db));

    lb(&["changelog-sync", "--contexts=dev"]).ok();
    assert_eq!(ids(&db), ["1", "2", "3", "4", "5"]);
    assert!(user_data(&db).is_empty(), "changelog-sync ran something");
    let unexpected = lb(&["unexpected-changesets"]).ok();
    assert!(
        unexpected.stdout.contains("contains no unexpected changes"),
        "{}",
        unexpected.stdout
    );

    lb(&["drop-all"]).ok();
    let left: Vec<String> = block_on(db.list_collection_names()).expect("list collections");
    assert!(left.is_empty(), "{left:?}");
    lb(&["update-testing-rollback", "--contexts=dev"]).ok();
    assert_eq!(ids(&db), ["1", "2", "3", "4", "5"]);
    up_to_date(p.lbmongo(&url, &["status"]));
}

/// `update-sql` through the jar prints the commands `lbmongo update-sql` prints (tracking setup,
/// lock, each change and its history row, unlock) and changes nothing.
#[test]
fn update_sql_prints_lbmongo_s_preview() {
    let p = Project::new("changelog.xml", XML);
    let (db, url) = db("jar_update_sql");
    let (liquibase, lbmongo) = std::thread::scope(|s| {
        let lbmongo = s.spawn(|| p.lbmongo(&url, &["update-sql", "--contexts", "dev"]));
        let liquibase = p.liquibase("4.33.0", Ext::Jar, &url, &["update-sql", "--contexts=dev"]);
        (
            liquibase.ok(),
            lbmongo.join().expect("the lbmongo thread").ok(),
        )
    });
    // Only the run's clock (dates, deployment id) may differ; Liquibase adds `--` comments.
    let commands = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("db."))
            .map(|l| {
                let mut out = String::new();
                let mut rest = l;
                while let Some(i) = rest.find("{\"$date\": \"") {
                    out.push_str(&rest[..i]);
                    out.push_str("<date>");
                    rest = rest[i..].split_once("\"}").map_or("", |(_, r)| r);
                }
                out.push_str(rest);
                match out.split_once("\"deploymentId\": \"") {
                    Some((head, tail)) => format!("{head}<deployment>{}", &tail[10..]),
                    None => out,
                }
            })
            .collect()
    };
    let ours = commands(&liquibase.stdout);
    assert!(ours.len() > 10, "{}", liquibase.stdout);
    assert_eq!(ours, commands(&lbmongo.stdout));
    let left: Vec<String> = block_on(db.list_collection_names()).expect("list collections");
    assert!(left.is_empty(), "update-sql wrote {left:?}");
}

/// The jar dropped into the `lib/` folder of the npm `liquibase@4.28.1` distribution, beside
/// nothing else of ours, runs through the distribution's own `liquibase` launcher.
#[test]
fn jar_in_the_npm_distribution_lib_folder() {
    let p = Project::new("changelog.xml", XML);
    let (db, url) = db("jar_npm_lib");
    let dist = repo_root().join(".cache/liquibase/npm-4.28.1/dist/liquibase");
    let home = tempfile::tempdir().expect("a temporary directory");
    std::fs::copy(dist.join("liquibase"), home.path().join("liquibase"))
        .expect("copy the launcher");
    std::os::unix::fs::symlink(dist.join("internal"), home.path().join("internal"))
        .expect("link internal/");
    std::fs::create_dir(home.path().join("lib")).expect("create lib/");
    std::fs::copy(jar(), home.path().join("lib/lbmongo-liquibase.jar"))
        .expect("drop the jar into lib/");
    let run = |args: &[&str]| {
        let output = std::process::Command::new("bash")
            .arg(home.path().join("liquibase"))
            .args(args)
            .arg(format!("--changelog-file={}", p.changelog))
            .arg(format!("--url={url}"))
            .current_dir(p.dir.path())
            .env("LIQUIBASE_HOME", home.path())
            .env("LIQUIBASE_ANALYTICS_ENABLED", "false")
            // cargo test puts target/*/deps on LD_LIBRARY_PATH, which the JVM searches (as
            // java.library.path) before the jar: drop it so the jar's own library is tested.
            .env_remove("LD_LIBRARY_PATH")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("bash can be started");
        run_of(output)
    };
    run(&["update", "--contexts=dev"]).ok();
    let rows = history(&db);
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r.get_str("liquibase") == Ok("4.28.0")));
    up_to_date(p.lbmongo(&url, &["status"]));
}

/// Embedded use (Spring Boot, Quarkus): the JUnit test in jvm-bridge/java drives Liquibase's Java
/// API with the jar's classes against the test server; here we check what it left behind.
#[test]
fn embedded_liquibase_api_junit() {
    jar();
    let (db, url) = db("jar_embedded");
    let output = std::process::Command::new("mvn")
        .args(["-q", "-B", "-f"])
        .arg(repo_root().join("jvm-bridge/pom.xml"))
        .arg("test")
        .arg(format!("-Dlbmongo.test.url={url}"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("mvn can be started");
    let run = run_of(output);
    assert_eq!(
        run.code, 0,
        "JUnit failed\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    let rows = history(&db);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].get_str("fileName"), Ok("embedded/changelog.xml"));
    assert_eq!(
        user_data(&db),
        [("things".to_owned(), vec![doc! { "n": 1 }])]
    );
}

/// The jar carries our classes, the services, the XSD and the native library, and no driver,
/// Jackson or snakeyaml classes.
#[test]
fn jar_is_self_contained() {
    let output = std::process::Command::new("unzip")
        .arg("-Z1")
        .arg(jar())
        .output()
        .expect("unzip can be started");
    let names = String::from_utf8_lossy(&output.stdout).into_owned();
    for expected in [
        "native/linux-x86_64/liblbmongo_jvm.so",
        "META-INF/services/liquibase.database.Database",
        "META-INF/services/liquibase.change.Change",
        "www.liquibase.org/xml/ns/mongodb/liquibase-mongodb-latest.xsd",
        "liquibase/ext/lbmongo/Native.class",
    ] {
        assert!(
            names.lines().any(|l| l == expected),
            "{expected} missing from the jar:\n{names}"
        );
    }
    for foreign in [
        "com/mongodb/",
        "org/bson/",
        "com/fasterxml/",
        "org/yaml/",
        "liquibase/change/core/",
    ] {
        assert!(!names.contains(foreign), "{foreign} in the jar");
    }
}

/// `liquibase.mongodb.*` switches reach the jar from the defaults file, as liquibase-mongodb's
/// `MongoConfiguration` reads them (not only from system properties): without validators the
/// tracking collections are created bare.
#[test]
fn mongodb_settings_from_the_defaults_file_reach_the_jar() {
    let p = Project::new("changelog.xml", XML);
    std::fs::write(
        p.dir.path().join("liquibase.properties"),
        "liquibase.mongodb.supportsValidator: false\n",
    )
    .expect("write liquibase.properties");
    let (db, url) = db("jar_settings");
    p.liquibase("4.33.0", Ext::Jar, &url, &["update", "--contexts=dev"])
        .ok();
    let reply = block_on(db.run_command(doc! { "listCollections": 1 })).expect("listCollections");
    let specs: Vec<Document> = reply
        .get_document("cursor")
        .and_then(|c| c.get_array("firstBatch"))
        .expect("a first batch")
        .iter()
        .filter_map(|b| b.as_document().cloned())
        .collect();
    for name in ["DATABASECHANGELOG", "DATABASECHANGELOGLOCK"] {
        let spec = specs
            .iter()
            .find(|s| s.get_str("name") == Ok(name))
            .unwrap_or_else(|| panic!("{name} exists: {specs:?}"));
        let options = spec.get_document("options").expect("options");
        assert!(
            !options.contains_key("validator"),
            "{name} has a validator although supportsValidator is false: {options:?}"
        );
    }
    assert_eq!(history(&db).len(), 5);
}

/// Issue 18, item 1 through the jar: Liquibase + jar runs the `changeSetExecuted` changelog in one
/// update (its history service adds what it writes to the list preconditions read), with the rows
/// and documents lbmongo leaves.
#[test]
fn change_set_executed_sees_the_same_run_through_the_jar_as_in_lbmongo() {
    let text = std::fs::read_to_string(
        repo_root().join("tests/fixtures/ground_truth/executed_in_run/changelog.xml"),
    )
    .expect("read the fixture");
    let p = Project::new("changelog.xml", &text);
    let (lbm_db, lbm_url) = db("jar_executed_in_run_l");
    p.lbmongo(&lbm_url, &["update", "--contexts", "dev"]).ok();
    for core in ["4.24.0", "npm-4.28.1", "4.33.0"] {
        let (jar_db, jar_url) = db(&format!(
            "jar_executed_in_run_{}",
            core.replace(['.', '-'], "")
        ));
        p.liquibase(core, Ext::Jar, &jar_url, &["update", "--contexts=dev"])
            .ok();
        let rows = history(&jar_db);
        assert_eq!(
            cli::exec_types(&rows),
            ["1:EXECUTED", "2:EXECUTED", "6:EXECUTED", "7:MARK_RAN"],
            "{core}"
        );
        assert_same_history(&rows, &history(&lbm_db), written_version(core));
        assert_eq!(user_data(&jar_db), user_data(&lbm_db), "{core}");
    }
}

/// Issue 18, item 8 through the jar: an unnamed `createIndex` gets the drivers' default name under
/// Liquibase too (the jar lowers changes through the engine), and `rollback-count` drops it.
#[test]
fn unnamed_index_through_the_jar_gets_the_drivers_default_name() {
    let text = r#"databaseChangeLog:
  - changeSet:
      id: 1
      author: a
      changes:
        - createCollection:
            collectionName: events
  - changeSet:
      id: 2
      author: a
      changes:
        - createIndex:
            collectionName: events
            keys: '{ clientId: 1, type: 1 }'
"#;
    let p = Project::new("changelog.yaml", text);
    for core in ["4.24.0", "npm-4.28.1", "4.33.0"] {
        let (jar_db, jar_url) = db(&format!(
            "jar_unnamed_index_{}",
            core.replace(['.', '-'], "")
        ));
        p.liquibase(core, Ext::Jar, &jar_url, &["update"]).ok();
        let names = || {
            let mut names = block_on(jar_db.collection::<Document>("events").list_index_names())
                .unwrap_or_default();
            names.sort();
            names
        };
        assert_eq!(names(), ["_id_", "clientId_1_type_1"], "{core}");
        p.liquibase(core, Ext::Jar, &jar_url, &["rollback-count", "--count=1"])
            .ok();
        assert_eq!(names(), ["_id_"], "{core}");
    }
}
