//! Fleets (issue 14): one changelog over many databases with `--databases REGEX` or
//! `--databases-file FILE`, each database with its own lock and history, exactly as a
//! single-database run writes them.
//!
//! The tenants are small databases of the shared test server (and, for a fleet spanning two
//! clusters, of a second SecantusDB process of the test's own), named after the test so tests
//! never see each other's tenants.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use mongodb::Client;
use mongodb::bson::{Document, doc};

use crate::commands::xml;
use crate::support::cli::{Project, Run, binary, find};
use crate::support::own_server::OwnServer;
use crate::support::{block_on, db_name, server};

/// Three changesets as a tenant's first release: a collection with a validator, a unique index
/// and seed documents.
const CHANGELOG: &str = r#"
  <changeSet id="1" author="fleet"><mongodb:createCollection collectionName="users"><mongodb:options>{validator: {$jsonSchema: {bsonType: "object", required: ["email"]}}}</mongodb:options></mongodb:createCollection></changeSet>
  <changeSet id="2" author="fleet"><mongodb:createIndex collectionName="users"><mongodb:keys>{email: 1}</mongodb:keys><mongodb:options>{unique: true, name: "email_1"}</mongodb:options></mongodb:createIndex></changeSet>
  <changeSet id="3" author="fleet"><mongodb:insertMany collectionName="settings"><mongodb:documents>[{_id: "plan", value: "free"}, {_id: "locale", value: "en"}]</mongodb:documents></mongodb:insertMany></changeSet>
"#;

/// A project directory holding the changelog, its URL pointing at the cluster (no database).
fn project(changelog: &str) -> Project {
    let (_, db, _) = block_on(server().fresh_db("fleet_project"));
    let p = Project::new(db, server().uri_for(""));
    p.write("changelog.xml", &xml(changelog));
    p
}

/// Creates `count` tenant databases `<prefix>_t000`, … on the shared server (a database exists
/// once it holds a document, so `listDatabases` shows it) and returns their names.
fn tenants(client: &Client, prefix: &str, count: usize) -> Vec<String> {
    let names: Vec<String> = (0..count).map(|i| format!("{prefix}_t{i:03}")).collect();
    block_on(async {
        for name in &names {
            client
                .database(name)
                .collection::<Document>("customers")
                .insert_one(doc! { "name": name })
                .await
                .expect("seed a tenant");
        }
    });
    names
}

fn client() -> Client {
    block_on(Client::with_uri_str(server().uri())).expect("a client of the test server")
}

/// Runs `lbmongo <args> --changelog-file changelog.xml` in the project, without its `--url`.
fn lbmongo(p: &Project, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = std::process::Command::new(binary());
    command
        .current_dir(p.dir.path())
        .args(args)
        .args(["--changelog-file", "changelog.xml"])
        .env_remove("LIQUIBASE_COMMAND_URL")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    Run::of(command.output().expect("lbmongo can be started"))
}

/// The history of a database, in order.
fn history(client: &Client, db: &str) -> Vec<Document> {
    block_on(find(
        &client.database(db),
        "DATABASECHANGELOG",
        doc! { "orderExecuted": 1 },
    ))
}

/// A history row without what differs from run to run (`_id`, `dateExecuted`, `deploymentId`).
fn comparable(row: &Document) -> Document {
    let mut row = row.clone();
    for field in ["_id", "dateExecuted", "deploymentId"] {
        assert!(row.remove(field).is_some(), "`{field}` missing in {row}");
    }
    row
}

/// The JSON summary a run printed on stdout (`--output json`).
fn summary(run: &Run) -> serde_json::Value {
    let line = run
        .stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON summary on stdout:\n{}", run.stdout));
    serde_json::from_str(line).expect("the summary is JSON")
}

/// Database name → outcome, from a JSON summary.
fn outcomes(summary: &serde_json::Value) -> Vec<(String, String)> {
    summary["databases"]
        .as_array()
        .expect("`databases`")
        .iter()
        .map(|d| {
            (
                d["database"].as_str().expect("a name").to_owned(),
                d["outcome"].as_str().expect("an outcome").to_owned(),
            )
        })
        .collect()
}

/// Every tenant's history equals the single-database run's, field by field (checksums, order,
/// descriptions, `liquibase` version…).
fn assert_like_single(client: &Client, single: &[Document], tenants: &[String]) {
    let expected: Vec<Document> = single.iter().map(comparable).collect();
    assert_eq!(expected.len(), 3, "the single run applied the changelog");
    for name in tenants {
        let rows: Vec<Document> = history(client, name).iter().map(comparable).collect();
        assert_eq!(rows, expected, "history of {name}");
    }
}

/// A fleet of 200 databases chosen by a regular expression is updated in parallel; every
/// history equals a single-database run's; a second run does nothing; `status` says up to date.
#[test]
fn a_fleet_chosen_by_regex_is_updated_like_each_database_alone() {
    let p = project(CHANGELOG);
    let client = client();
    let prefix = db_name("fleet_re");
    let names = tenants(&client, &prefix, 200);
    // A database the expression does not match, and the reference single-database run on it.
    let single = format!("{prefix}_single");
    lbmongo(&p, &["update", "--url", &server().uri_for(&single)], &[]).ok();
    let pattern = format!("^{prefix}_t[0-9]+$");
    let url = server().uri_for("");

    let run = lbmongo(
        &p,
        &[
            "update",
            "--url",
            &url,
            "--databases",
            &pattern,
            "--parallel",
            "8",
        ],
        &[],
    )
    .ok();
    // Not a terminal: one line per database, then the summary table.
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with('[') && l.contains(" succeeded: 3 changesets"))
            .count(),
        200,
        "{}",
        run.stdout
    );
    run.assert_stdout_contains(
        "200 databases: 200 succeeded, 0 failed, 0 not started; 600 changesets",
    );
    assert_like_single(&client, &history(&client, &single), &names);
    // The single database was not part of the fleet: its history is from its own run only.
    assert_eq!(history(&client, &single).len(), 3);
    for name in &names {
        let settings = block_on(find(&client.database(name), "settings", doc! { "_id": 1 }));
        assert_eq!(settings.len(), 2, "{name}");
    }

    // A rerun does nothing; `status` (from liquibase.properties, as every setting) is up to date.
    let again = lbmongo(
        &p,
        &[
            "update",
            "--url",
            &url,
            "--databases",
            &pattern,
            "--output",
            "json",
        ],
        &[],
    )
    .ok();
    let report = summary(&again);
    assert_eq!(report["changesets"], 0, "{report}");
    assert_eq!(report["succeeded"], 200, "{report}");
    p.write(
        "liquibase.properties",
        &format!("url={url}\nchangelog-file=changelog.xml\ndatabases={pattern}\n"),
    );
    let status = lbmongo(&p, &["status"], &[]).ok();
    status.assert_stdout_contains("Every database is up to date.");
    assert_eq!(
        status
            .stdout
            .lines()
            .filter(|l| l.contains(" succeeded: 0 pending"))
            .count(),
        200,
        "{}",
        status.stdout
    );
    assert_like_single(&client, &history(&client, &single), &names);
}

/// A file of URLs spanning two server processes (200 databases, 100 on each) is updated with
/// `--parallel`, each database like a single run; a rerun does nothing; `status` is up to date.
#[test]
fn a_fleet_from_a_file_of_urls_spans_two_servers() {
    let p = project(CHANGELOG);
    let shared = client();
    let other = OwnServer::start(&[]);
    let other_client =
        block_on(Client::with_uri_str(other.uri("admin", ""))).expect("a client of the 2nd server");
    let prefix = db_name("fleet_file");
    let single = format!("{prefix}_single");
    lbmongo(&p, &["update", "--url", &server().uri_for(&single)], &[]).ok();
    let on_shared: Vec<String> = (0..100).map(|i| format!("{prefix}_a{i:03}")).collect();
    let on_other: Vec<String> = (0..100).map(|i| format!("{prefix}_b{i:03}")).collect();
    let mut file = String::from("# tenants of two clusters\n");
    for name in &on_shared {
        file.push_str(&server().uri_for(name));
        file.push('\n');
    }
    for name in &on_other {
        file.push_str(&other.uri(name, ""));
        file.push('\n');
    }
    p.write("fleet.txt", &file);

    let connections = || {
        let status = block_on(
            other_client
                .database("admin")
                .run_command(doc! { "serverStatus": 1 }),
        )
        .expect("serverStatus");
        let total = status
            .get_document("connections")
            .and_then(|c| {
                c.get("totalCreated")
                    .ok_or(mongodb::bson::document::ValueAccessError::NotPresent)
            })
            .map(|v| v.as_i64().or(v.as_i32().map(i64::from)).unwrap_or(0));
        total.expect("serverStatus.connections.totalCreated")
    };
    let before = connections();
    let run = lbmongo(
        &p,
        &[
            "update",
            "--databases-file",
            "fleet.txt",
            "--parallel",
            "8",
            "--report-file",
            "report.json",
        ],
        &[],
    )
    .ok();
    run.assert_stdout_contains("200 databases: 200 succeeded");
    // One client (pool) for the second server's 100 databases: connections grow with
    // `--parallel` (8) and the driver's monitors, not with the number of databases.
    let created = connections() - before;
    assert!(
        (1..=24).contains(&created),
        "{created} connections for 100 databases"
    );
    // Spanning clusters, text output names each database with its cluster's hosts.
    let other_hosts = other
        .uri("", "")
        .trim_start_matches("mongodb://")
        .trim_end_matches('/')
        .to_owned();
    run.assert_stdout_contains(&format!(
        "{other_hosts}/{} succeeded: 3 changesets",
        on_other[0]
    ));
    let report: serde_json::Value =
        serde_json::from_str(&p.read("report.json")).expect("the report file is JSON");
    assert_eq!(report["changesets"], 600, "{report}");
    let hosts: BTreeSet<&str> = report["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .map(|d| d["hosts"].as_str().expect("hosts"))
        .collect();
    assert_eq!(hosts.len(), 2, "two clusters: {hosts:?}");
    let reference = history(&shared, &single);
    assert_like_single(&shared, &reference, &on_shared);
    assert_like_single(&other_client, &reference, &on_other);

    let again = lbmongo(
        &p,
        &[
            "update",
            "--databases-file",
            "fleet.txt",
            "--output",
            "json",
        ],
        &[],
    )
    .ok();
    assert_eq!(summary(&again)["changesets"], 0);
    let status = lbmongo(
        &p,
        &[
            "status",
            "--databases-file",
            "fleet.txt",
            "--output",
            "json",
        ],
        &[],
    )
    .ok();
    let status = summary(&status);
    assert!(
        status["databases"]
            .as_array()
            .expect("databases")
            .iter()
            .all(|d| d["pending"] == 0),
        "{status}"
    );
    block_on(other_client.shutdown());
}

/// Changesets the failing tenant cannot take: its two users share an email, so the unique
/// index fails on its data alone.
const UNIQUE: &str = r#"
  <changeSet id="1" author="fleet"><mongodb:createIndex collectionName="customers"><mongodb:keys>{email: 1}</mongodb:keys><mongodb:options>{unique: true, name: "email_1"}</mongodb:options></mongodb:createIndex></changeSet>
  <changeSet id="2" author="fleet"><mongodb:insertOne collectionName="settings"><mongodb:document>{_id: "plan"}</mongodb:document></mongodb:insertOne></changeSet>
"#;

/// Ten tenants, the fourth (`_t003`) with duplicate emails.
fn failing_fleet(test: &str) -> (Project, Client, Vec<String>, String) {
    let p = project(UNIQUE);
    let client = client();
    let prefix = db_name(test);
    let names = tenants(&client, &prefix, 10);
    block_on(async {
        let customers = client
            .database(&names[3])
            .collection::<Document>("customers");
        customers
            .insert_many([
                doc! { "email": "same@example.com" },
                doc! { "email": "same@example.com" },
            ])
            .await
            .expect("seed duplicates");
    });
    (p, client, names, format!("^{prefix}_t[0-9]+$"))
}

/// With `--on-error continue` the failing tenant fails alone, is named in the summary with its
/// error, and the exit code is 1.
#[test]
fn a_failing_tenant_fails_alone_with_on_error_continue() {
    let (p, client, names, pattern) = failing_fleet("fleet_cont");
    let url = server().uri_for("");
    let run = lbmongo(
        &p,
        &[
            "update",
            "--url",
            &url,
            "--databases",
            &pattern,
            "--on-error",
            "continue",
            "--parallel",
            "3",
        ],
        &[],
    )
    .failed();
    run.assert_stdout_contains("10 databases: 9 succeeded, 1 failed, 0 not started");
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{} ", names[3])))
        .unwrap_or_else(|| panic!("no summary row for the failing tenant:\n{}", run.stdout));
    assert!(row.contains("failed") && row.contains("email"), "{row}");
    run.assert_stderr_contains("1 of 10 databases did not succeed");
    for (i, name) in names.iter().enumerate() {
        let rows = history(&client, name).len();
        assert_eq!(rows, if i == 3 { 0 } else { 2 }, "{name}");
        // Each database's lock was released, the failing one's too.
        let locks = block_on(find(
            &client.database(name),
            "DATABASECHANGELOGLOCK",
            doc! {},
        ));
        assert!(
            locks.iter().all(|l| l.get_bool("locked") == Ok(false)),
            "{name}: {locks:?}"
        );
    }
}

/// With `--on-error stop` no database starts after the failure.
#[test]
fn on_error_stop_starts_no_database_after_a_failure() {
    let (p, client, names, pattern) = failing_fleet("fleet_stop");
    let url = server().uri_for("");
    let run = lbmongo(
        &p,
        &[
            "update",
            "--url",
            &url,
            "--databases",
            &pattern,
            "--on-error",
            "stop",
            "--parallel",
            "1",
            "--output",
            "json",
        ],
        &[],
    )
    .failed();
    let report = summary(&run);
    let expected: Vec<(String, String)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let outcome = match i {
                0..3 => "succeeded",
                3 => "failed",
                _ => "not-started",
            };
            (n.clone(), outcome.to_owned())
        })
        .collect();
    assert_eq!(outcomes(&report), expected, "{report}");
    assert!(
        report["databases"][3]["error"]
            .as_str()
            .is_some_and(|e| e.contains("email")),
        "{report}"
    );
    for name in &names[4..] {
        assert!(history(&client, name).is_empty(), "{name} was not to start");
    }
}

/// `--canary 5` runs five databases first and, when one of them fails, stops before the rest
/// (even with `--on-error continue`, which applies among the canaries).
#[test]
fn a_failed_canary_stops_the_rest() {
    let (p, client, names, pattern) = failing_fleet("fleet_canary");
    let url = server().uri_for("");
    let run = lbmongo(
        &p,
        &[
            "update",
            "--url",
            &url,
            "--databases",
            &pattern,
            "--canary",
            "5",
            "--on-error",
            "continue",
            "--output",
            "json",
        ],
        &[],
    )
    .failed();
    let report = summary(&run);
    let got = outcomes(&report);
    for (i, (name, outcome)) in got.iter().enumerate() {
        let expected = match i {
            3 => "failed",
            0..5 => "succeeded",
            _ => "not-started",
        };
        assert_eq!(outcome, expected, "{name}: {report}");
        assert_eq!(
            history(&client, name).len(),
            if expected == "succeeded" { 2 } else { 0 }
        );
    }
    assert_eq!(got.len(), names.len());
}

/// `--shard I/3` for I = 1..3 covers every database exactly once.
#[test]
fn shards_cover_every_database_exactly_once() {
    let p = project(UNIQUE);
    let client = client();
    let prefix = db_name("fleet_shard");
    let names = tenants(&client, &prefix, 30);
    let pattern = format!("^{prefix}_t[0-9]+$");
    let url = server().uri_for("");
    let mut seen: Vec<String> = Vec::new();
    for i in 1..=3 {
        // The shard from the environment, as a CI matrix or an Indexed Job sets it.
        let shard = format!("{i}/3");
        let run = lbmongo(
            &p,
            &[
                "update",
                "--url",
                &url,
                "--databases",
                &pattern,
                "--output",
                "json",
            ],
            &[("LIQUIBASE_SHARD", shard.as_str())],
        )
        .ok();
        let share: Vec<String> = outcomes(&summary(&run))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(
            !share.is_empty() && share.len() < 30,
            "share {shard}: {share:?}"
        );
        seen.extend(share);
    }
    seen.sort();
    assert_eq!(seen, names, "every database exactly once");
    for name in &names {
        assert_eq!(history(&client, name).len(), 2, "{name}");
    }
}

/// `kill -9` of a fleet run mid-way leaves locks; `release-locks` over the fleet and a rerun
/// complete every database with each changeset applied exactly once.
#[test]
fn a_killed_fleet_run_is_resumed_by_release_locks_and_a_rerun() {
    let p = project(CHANGELOG);
    let client = client();
    let prefix = db_name("fleet_kill");
    let names = tenants(&client, &prefix, 20);
    let pattern = format!("^{prefix}_t[0-9]+$");
    let url = server().uri_for("");
    let fleet = ["--url", url.as_str(), "--databases", pattern.as_str()];
    kill_mid_way(&p, &fleet, &[]);

    let locks = lbmongo(
        &p,
        &[&["list-locks", "--output", "json"][..], &fleet].concat(),
        &[],
    )
    .ok();
    let locked: Vec<String> = summary(&locks)["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .filter(|d| {
            d["note"]
                .as_str()
                .is_some_and(|n| n.starts_with("locked by"))
        })
        .map(|d| d["database"].as_str().expect("name").to_owned())
        .collect();
    assert!(!locked.is_empty(), "the killed run left a lock");
    let partial = names
        .iter()
        .filter(|n| history(&client, n).len() == 2)
        .count();
    assert!(
        partial >= 1,
        "a database stopped between changesets 2 and 3"
    );

    lbmongo(&p, &[&["release-locks"][..], &fleet].concat(), &[]).ok();
    let rerun = lbmongo(
        &p,
        &[&["update", "--output", "json"][..], &fleet].concat(),
        &[],
    )
    .ok();
    assert_eq!(summary(&rerun)["succeeded"], 20);
    for name in &names {
        let rows = history(&client, name);
        let ids: Vec<&str> = rows.iter().map(|r| r.get_str("id").expect("id")).collect();
        assert_eq!(ids, ["1", "2", "3"], "{name}: each changeset once");
        // insertMany of fixed `_id`s would have failed on a second run: two documents, once.
        let settings = block_on(find(&client.database(name), "settings", doc! { "_id": 1 }));
        assert_eq!(settings.len(), 2, "{name}");
        let locks = block_on(find(
            &client.database(name),
            "DATABASECHANGELOGLOCK",
            doc! {},
        ));
        assert!(
            locks.iter().all(|l| l.get_bool("locked") == Ok(false)),
            "{name}"
        );
    }
}

/// A password in a databases file appears nowhere: not in the error of a line that is not a
/// fleet member (named by file and line), not when its cluster cannot be reached, not in the
/// report.
#[test]
fn credentials_in_a_databases_file_never_appear_in_output() {
    let p = project(CHANGELOG);
    // No database in the URL: refused with the file and line before anything is opened.
    p.write(
        "bad.txt",
        "tenant_a\nmongodb://fleetuser:s3cretPass@127.0.0.1:1/?serverSelectionTimeoutMS=300\n",
    );
    let run = lbmongo(
        &p,
        &[
            "update",
            "--url",
            &server().uri_for(""),
            "--databases-file",
            "bad.txt",
        ],
        &[],
    )
    .failed();
    run.assert_stderr_contains("bad.txt:2:");
    // A cluster that cannot be reached.
    p.write(
        "down.txt",
        "mongodb://fleetuser:s3cretPass@127.0.0.1:1/tenant_b?serverSelectionTimeoutMS=300\n",
    );
    let down = lbmongo(
        &p,
        &[
            "update",
            "--databases-file",
            "down.txt",
            "--report-file",
            "report.json",
        ],
        &[],
    )
    .failed();
    down.assert_stderr_contains("fleetuser:*****@127.0.0.1:1");
    for run in [&run, &down] {
        assert!(
            !run.stdout.contains("s3cretPass") && !run.stderr.contains("s3cretPass"),
            "{run:?}"
        );
    }
    let report = std::fs::read_to_string(p.dir.path().join("report.json")).unwrap_or_default();
    assert!(!report.contains("s3cretPass"), "{report}");
}

/// A changelog using `${database.defaultSchemaName}` gets each database's own name, with the
/// checksum and history a single-database run on that database writes.
#[test]
fn database_properties_take_each_database_s_own_values() {
    let p = project(
        r#"
  <changeSet id="1" author="fleet"><mongodb:insertOne collectionName="about"><mongodb:document>{_id: "me", name: "${database.defaultSchemaName}"}</mongodb:document></mongodb:insertOne></changeSet>
"#,
    );
    let client = client();
    let prefix = db_name("fleet_props");
    let names = tenants(&client, &prefix, 3);
    // The reference: a single-database run on a fourth database, then the fleet.
    let single = format!("{prefix}_single");
    lbmongo(&p, &["update", "--url", &server().uri_for(&single)], &[]).ok();
    let url = server().uri_for("");
    lbmongo(
        &p,
        &[
            "update",
            "--url",
            &url,
            "--databases",
            &format!("^{prefix}_t[0-9]+$"),
        ],
        &[],
    )
    .ok();
    for name in names.iter().chain([&single]) {
        let about = block_on(find(&client.database(name), "about", doc! {}));
        assert_eq!(about.len(), 1, "{name}");
        assert_eq!(about[0].get_str("name"), Ok(name.as_str()), "{name}");
        assert_eq!(history(&client, name).len(), 1, "{name}");
        // A single-database run on it finds nothing to do and no checksum mismatch: the fleet
        // wrote the checksum of the changeset with this database's own name in it.
        let own = lbmongo(
            &p,
            &[
                "status",
                "--url",
                &server().uri_for(name),
                "--output",
                "json",
            ],
            &[],
        )
        .ok();
        assert!(
            own.stdout.contains("\"upToDate\":true"),
            "{name}: {}",
            own.stdout
        );
    }
}

/// The other commands over a fleet: `tag`, `rollback-count`, `update-to-tag`, `changelog-sync`,
/// `validate`, `history`, each per database as a single-database run; a command that does not
/// run over a fleet and bad fleet settings are usage errors (exit 2) before anything runs.
#[test]
fn tag_rollback_sync_validate_and_history_run_per_database() {
    let p = project(
        r#"
  <changeSet id="1" author="fleet"><mongodb:createIndex collectionName="customers"><mongodb:keys>{email: 1}</mongodb:keys><mongodb:options>{name: "email_1"}</mongodb:options></mongodb:createIndex></changeSet>
  <changeSet id="2" author="fleet">
    <mongodb:insertOne collectionName="settings"><mongodb:document>{_id: "plan"}</mongodb:document></mongodb:insertOne>
    <rollback><mongodb:runCommand><mongodb:command>{delete: "settings", deletes: [{q: {_id: "plan"}, limit: 1}]}</mongodb:command></mongodb:runCommand></rollback>
  </changeSet>
"#,
    );
    let client = client();
    let prefix = db_name("fleet_cmds");
    let names = tenants(&client, &prefix, 3);
    let url = server().uri_for("");
    let pattern = format!("^{prefix}_t[0-9]+$");
    let fleet = ["--url", url.as_str(), "--databases", pattern.as_str()];
    let run = |args: &[&str]| lbmongo(&p, &[args, &fleet[..]].concat(), &[]);
    run(&["update-count", "--count", "1"]).ok();
    run(&["tag", "--tag", "v1"]).ok();
    run(&["update"]).ok();
    run(&["rollback", "--tag", "v1"])
        .ok()
        .assert_stdout_contains("3 databases: 3 succeeded, 0 failed, 0 not started; 3 changesets");
    for name in &names {
        let rows = history(&client, name);
        assert_eq!(rows.len(), 1, "{name}");
        assert_eq!(rows[0].get_str("tag"), Ok("v1"), "{name}");
        assert!(block_on(find(&client.database(name), "settings", doc! {})).is_empty());
    }
    run(&["changelog-sync"]).ok();
    run(&["validate"]).ok();
    let history_run = run(&["history", "--output", "json"]).ok();
    let report = summary(&history_run);
    for d in report["databases"].as_array().expect("databases") {
        assert_eq!(d["note"], "2 applied", "{report}");
    }
    for name in &names {
        // Synced, not run: recorded as `EXECUTED` (Liquibase's ChangeLogSyncVisitor records
        // synced changesets so), its insert never made.
        let rows = history(&client, name);
        assert_eq!(rows[1].get_str("execType"), Ok("EXECUTED"), "{name}");
        assert!(block_on(find(&client.database(name), "settings", doc! {})).is_empty());
    }
    for bad in [
        &["drop-all", "--force"][..],
        &["update", "--shard", "4/3"],
        &["update", "--parallel", "0"],
        &["update", "--on-error", "sometimes"],
    ] {
        let r = run(bad);
        assert_eq!(r.code, 2, "{bad:?}: {r:?}");
    }
    assert_eq!(history(&client, &names[0]).len(), 2, "nothing ran");
}

/// Liquibase 4.33 with the official extension takes over one tenant of a fleet: it finds the
/// fleet's history up to date, applies a new changeset to that tenant alone, and the fleet's
/// `status` then lists only the other tenants as behind.
#[test]
fn liquibase_with_the_official_extension_takes_over_one_tenant() {
    let p = project(CHANGELOG);
    let client = client();
    let prefix = db_name("fleet_lb");
    let names = tenants(&client, &prefix, 3);
    let url = server().uri_for("");
    let pattern = format!("^{prefix}_t[0-9]+$");
    let fleet = ["--url", url.as_str(), "--databases", pattern.as_str()];
    lbmongo(&p, &[&["update"][..], &fleet].concat(), &[]).ok();
    let next = r#"  <changeSet id="4" author="fleet"><mongodb:insertOne collectionName="settings"><mongodb:document>{_id: "theme", value: "dark"}</mongodb:document></mongodb:insertOne></changeSet>
"#;
    p.write("changelog.xml", &xml(&format!("{CHANGELOG}{next}")));
    let taken = server().uri_for(&names[1]);
    let out = crate::ground_truth::official_liquibase(
        p.dir.path(),
        &[
            &format!("--url={taken}"),
            "--changelog-file=changelog.xml",
            "update",
        ],
    );
    assert!(
        out.code == 0,
        "Liquibase failed\n{}\n{}",
        out.stdout,
        out.stderr
    );
    let ids: Vec<String> = history(&client, &names[1])
        .iter()
        .map(|r| r.get_str("id").expect("id").to_owned())
        .collect();
    assert_eq!(
        ids,
        ["1", "2", "3", "4"],
        "Liquibase ran only the new changeset"
    );
    let status = lbmongo(&p, &[&["status"][..], &fleet].concat(), &[]).ok();
    status.assert_stdout_contains(&format!(
        "2 databases have pending changesets: {}, {}",
        names[0], names[2]
    ));
}

/// Starts `update --parallel 4` over `fleet` (with `extra` flags), waits until some database
/// has recorded changeset 2 — the whole process is paused there, that database and the others
/// in flight holding their locks — and kills it with SIGKILL.
fn kill_mid_way(p: &Project, fleet: &[&str], extra: &[&str]) {
    let mut child = std::process::Command::new(binary())
        .current_dir(p.dir.path())
        .args([
            "update",
            "--parallel",
            "4",
            "--changelog-file",
            "changelog.xml",
        ])
        .args(fleet)
        .args(extra)
        .env("LBMONGO_TEST_PAUSE", "recorded:changelog.xml::2::fleet")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lbmongo starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "the fleet run never paused");
        match lines.next() {
            Some(Ok(line)) if line.contains("paused at") => break,
            Some(Ok(_)) => {}
            _ => panic!("the fleet run ended before pausing"),
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

/// The same kill with `--lock-lease-seconds`: once the leases expire, a rerun with a lease takes
/// the locks over with no `release-locks`, and completes every database exactly once.
#[test]
fn a_killed_fleet_run_with_a_lease_is_resumed_by_a_rerun_alone() {
    let p = project(CHANGELOG);
    let client = client();
    let prefix = db_name("fleet_lease");
    let names = tenants(&client, &prefix, 12);
    let pattern = format!("^{prefix}_t[0-9]+$");
    let url = server().uri_for("");
    let fleet = ["--url", url.as_str(), "--databases", pattern.as_str()];
    let lease = ["--lock-lease-seconds", "2"];
    kill_mid_way(&p, &fleet, &lease);
    let locked = names
        .iter()
        .filter(|n| {
            block_on(find(&client.database(n), "DATABASECHANGELOGLOCK", doc! {}))
                .iter()
                .any(|l| l.get_bool("locked") == Ok(true))
        })
        .count();
    assert!(locked >= 1, "the killed run left a lock");
    std::thread::sleep(Duration::from_secs(3));
    let rerun = lbmongo(
        &p,
        &[&["update", "--output", "json"][..], &lease, &fleet].concat(),
        &[],
    )
    .ok();
    assert_eq!(summary(&rerun)["succeeded"], 12);
    for name in &names {
        let ids: Vec<String> = history(&client, name)
            .iter()
            .map(|r| r.get_str("id").expect("id").to_owned())
            .collect();
        assert_eq!(ids, ["1", "2", "3"], "{name}: each changeset once");
        let settings = block_on(find(&client.database(name), "settings", doc! { "_id": 1 }));
        assert_eq!(settings.len(), 2, "{name}");
    }
}

/// The platform preflight runs for each database of a fleet, before its lock and tracking
/// collections: named FerretDB, every tenant refuses the validator and keeps only its own data.
#[test]
fn a_fleet_update_runs_the_platform_preflight_per_database() {
    let p = project(CHANGELOG);
    let client = client();
    let prefix = db_name("fleet_preflight");
    let names = tenants(&client, &prefix, 3);
    let url = server().uri_for("");
    let pattern = format!("^{prefix}_t[0-9]+$");
    let fleet = [
        "--platform",
        "ferretdb",
        "--url",
        url.as_str(),
        "--databases",
        pattern.as_str(),
        "--on-error",
        "continue",
    ];
    for command in ["update", "validate"] {
        let run = lbmongo(&p, &[&fleet[..], &[command]].concat(), &[]).failed();
        run.assert_stdout_contains("3 databases: 0 succeeded, 3 failed, 0 not started");
        for name in &names {
            let row = run
                .stdout
                .lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no summary row for {name}:\n{}", run.stdout));
            assert!(row.contains("FerretDB cannot run 1 change"), "{row}");
            let collections =
                block_on(client.database(name).list_collection_names()).expect("list collections");
            assert_eq!(collections, ["customers"], "{command} {name}");
        }
    }
}
