//! The published snapshot-to-changelog pipeline (issue 16), run as a team would run it: a
//! change made by hand in an authoring database becomes changesets of the master YAML
//! changelog, edited with the real `yq` v4 (`scripts/install-yq.sh`), checked with
//! `update-testing-rollback --verify-snapshot`, deployed with `update`, and read by Liquibase
//! 4.33 with our jar.
//!
//! The commands and parameters are those of the pipeline as published for Liquibase:
//! `snapshot --snapshot-format json --output-file mySnapshot.json` of the authoring database,
//! then `diff-changelog --reference-url offline:<dbms>?snapshot=mySnapshot.json --author …
//! --label-filter <ticket> --generate-changeset-created-values true
//! --generated-changeset-ids-contains-description true --changelog-file diff.yaml` against the
//! development database.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;

use mongodb::Database;
use mongodb::bson::{Document, doc};

use crate::jar::{LIQUIBASE, ext_dir, run_of, setup, up_to_date};
use crate::support::cli::{Run, binary, find};
use crate::support::{block_on, repo_root, server};

const TICKET: &str = "JIRA-4711";
const AUTHOR: &str = "dana.dev@example.com";

/// The master changelog before the ticket: what all three databases already run.
const MASTER: &str = "databaseChangeLog:
  - changeSet:
      id: 'base-1'
      author: 'platform'
      changes:
        - createCollection:
            collectionName: 'customers'
        - createIndex:
            collectionName: 'customers'
            keys: '{\"email\": 1}'
            options: '{\"name\": \"email_1\", \"unique\": true}'
      rollback:
        - dropCollection:
            collectionName: 'customers'
";

/// `.cache/yq/bin/yq`, built once per test run by `scripts/install-yq.sh` (a no-op when built).
fn yq() -> PathBuf {
    static INSTALLED: LazyLock<Result<(), String>> = LazyLock::new(|| {
        let output = Command::new("bash")
            .arg(repo_root().join("scripts/install-yq.sh"))
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot start bash: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    });
    setup("scripts/install-yq.sh", &INSTALLED);
    repo_root().join(".cache/yq/bin/yq")
}

/// `lbmongo <args>` in `dir`, with no URL from the environment.
fn lbmongo(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env_remove("LIQUIBASE_COMMAND_URL")
        .stdin(Stdio::null())
        .output()
        .expect("lbmongo can be started");
    run_of(output)
}

/// `yq <args>` in `dir`; panics with its output unless it succeeds.
fn yq_run(dir: &Path, args: &[&str]) {
    let output = Command::new(yq())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("yq can be started");
    assert!(
        output.status.success(),
        "yq {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Liquibase 4.33 with our jar alone on its classpath, in `dir`.
fn liquibase(dir: &Path, url: &str, args: &[&str]) -> Run {
    setup("scripts/install-liquibase.sh", &LIQUIBASE);
    let output = Command::new("bash")
        .arg(repo_root().join("scripts/liquibase.sh"))
        .args(["--core", "4.33.0", "--ext"])
        .arg(ext_dir())
        .arg("--changelog-file=changelog.yaml")
        .arg(format!("--url={url}"))
        .args(args)
        .current_dir(dir)
        .env("LIQUIBASE_ANALYTICS_ENABLED", "false")
        // As in jar.rs: the JVM must load the jar's own library, not cargo's test copies.
        .env_remove("LD_LIBRARY_PATH")
        .stdin(Stdio::null())
        .output()
        .expect("bash can be started");
    run_of(output)
}

async fn command(db: &Database, body: Document) {
    db.run_command(body.clone())
        .await
        .unwrap_or_else(|e| panic!("{body}: {e}"));
}

/// The change made by hand in the authoring database for the ticket: a new collection with a
/// validator and two indexes, and a second index on an existing collection.
async fn change_by_hand(db: &Database) {
    command(
        db,
        doc! {
            "create": "orders",
            "validator": { "$jsonSchema": {
                "bsonType": "object",
                "required": ["customer", "total"],
                "properties": { "total": { "bsonType": "number", "minimum": 0 } },
            } },
            "validationLevel": "strict",
            "validationAction": "error",
        },
    )
    .await;
    command(
        db,
        doc! { "createIndexes": "orders", "indexes": [
            { "key": { "customer": 1, "placedAt": -1 }, "name": "customer_placed" },
            { "key": { "reference": 1 }, "name": "reference_unique", "unique": true },
        ] },
    )
    .await;
    command(
        db,
        doc! { "createIndexes": "customers", "indexes": [
            { "key": { "country": 1 }, "name": "country_1" },
        ] },
    )
    .await;
}

/// `yyyy-MM-dd HH:mm±hhmm`, Liquibase's `created` value.
fn is_created_value(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b[i].is_ascii_digit());
    b.len() == 21
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && matches!(b[16], b'+' | b'-')
        && digits(17..21)
}

/// The value of `key: '<value>'` lines of a YAML changelog, in order.
fn values(yaml: &str, key: &str) -> Vec<String> {
    let prefix = format!("{key}: ");
    yaml.lines()
        .filter_map(|l| l.trim_start().strip_prefix(&prefix))
        .map(|v| v.trim().trim_matches('\'').trim_matches('"').to_owned())
        .collect()
}

#[test]
fn the_published_pipeline_turns_a_hand_made_change_into_deployed_changesets() {
    let (_, authoring, authoring_url) = block_on(server().fresh_db("pipeline_authoring"));
    let (_, development, development_url) = block_on(server().fresh_db("pipeline_development"));
    let (_, _staging, staging_url) = block_on(server().fresh_db("pipeline_staging"));
    let project = tempfile::tempdir().expect("a temporary directory");
    let dir = project.path();
    std::fs::write(dir.join("changelog.yaml"), MASTER).expect("write the master changelog");

    // 1. Every database runs the master changelog: the pipeline starts from databases in sync.
    for url in [&authoring_url, &development_url, &staging_url] {
        lbmongo(
            dir,
            &["update", "--changelog-file", "changelog.yaml", "--url", url],
        )
        .ok();
    }

    // 2. The change, made by hand in the authoring database.
    block_on(change_by_hand(&authoring));

    // 3. Snapshot the authoring database.
    lbmongo(
        dir,
        &[
            "snapshot",
            "--snapshot-format",
            "json",
            "--output-file",
            "mySnapshot.json",
            "--url",
            &authoring_url,
        ],
    )
    .ok();

    // 4. diff-changelog against the development database, with every parameter of the pipeline.
    let before = chrono_free_minute();
    let generated = lbmongo(
        dir,
        &[
            "diff-changelog",
            "--url",
            &development_url,
            "--reference-url",
            "offline:mongodb?snapshot=mySnapshot.json",
            "--author",
            AUTHOR,
            "--label-filter",
            TICKET,
            "--generate-changeset-created-values",
            "true",
            "--generated-changeset-ids-contains-description",
            "true",
            "--changelog-file",
            "diff.yaml",
        ],
    )
    .ok();
    generated.assert_stderr_contains("changeset(s) to `diff.yaml`");
    let diff = std::fs::read_to_string(dir.join("diff.yaml")).expect("diff.yaml is written");

    // The generated changesets carry the author, the ticket as label (lowercased, as Liquibase
    // writes labels), a `created` value of this run and Liquibase's descriptive ids.
    let ids = values(&diff, "id");
    assert!(
        ids.len() >= 2,
        "a changeset for orders and one for the index:\n{diff}"
    );
    let root = ids[0].split('-').next().expect("an id root").to_owned();
    assert!(
        (1..=4).contains(&root.len())
            && root
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()),
        "base-36 id root: {root}\n{diff}"
    );
    for (n, id) in ids.iter().enumerate() {
        let prefix = format!("{root}-{} (", n + 1);
        assert!(
            id.starts_with(&prefix) && id.ends_with(')'),
            "descriptive id {id}\n{diff}"
        );
    }
    assert!(
        ids.iter()
            .any(|id| id.contains("createCollection collectionName=orders")),
        "{diff}"
    );
    assert!(
        ids.iter()
            .any(|id| id.contains("createIndex collectionName=customers")),
        "{diff}"
    );
    assert_eq!(values(&diff, "author"), vec![AUTHOR; ids.len()], "{diff}");
    assert_eq!(
        values(&diff, "labels"),
        vec![TICKET.to_lowercase(); ids.len()],
        "{diff}"
    );
    let created = values(&diff, "created");
    assert_eq!(created.len(), ids.len(), "{diff}");
    for value in &created {
        assert!(is_created_value(value), "created `{value}`\n{diff}");
        // On a machine in UTC (the JVM's and our local time zone), the value is of this run.
        if value.ends_with("+0000") {
            assert!(
                value.as_str() >= before.as_str(),
                "created `{value}` is of this run (started {before})"
            );
        }
    }

    // 5. The two yq edits: each changeset gets a comment and the id `<ticket>-<n>`, then the
    //    changesets are appended to the master changelog.
    yq_run(
        dir,
        &[
            "-i",
            &format!(
                ".databaseChangeLog[].changeSet.comment = \"{TICKET}: orders and customer countries\" \
                 | .databaseChangeLog[] |= (.changeSet.id = \"{TICKET}-\" + ((path | .[-1]) + 1 | tostring))"
            ),
            "diff.yaml",
        ],
    );
    yq_run(
        dir,
        &[
            "-i",
            "eval-all",
            "select(fileIndex == 0).databaseChangeLog += select(fileIndex == 1).databaseChangeLog | select(fileIndex == 0)",
            "changelog.yaml",
            "diff.yaml",
        ],
    );
    let master = std::fs::read_to_string(dir.join("changelog.yaml")).expect("the master changelog");
    let expected_ids: Vec<String> = std::iter::once("base-1".to_owned())
        .chain((1..=ids.len()).map(|n| format!("{TICKET}-{n}")))
        .collect();
    assert_eq!(values(&master, "id"), expected_ids, "{master}");

    // 6. update-testing-rollback --verify-snapshot on staging: the generated rollbacks restore
    //    the schema exactly, then the changesets are applied again.
    lbmongo(
        dir,
        &[
            "update-testing-rollback",
            "--verify-snapshot",
            "--changelog-file",
            "changelog.yaml",
            "--url",
            &staging_url,
        ],
    )
    .ok()
    .assert_stderr_contains(&format!(
        "Rollback verified: the schema after rolling back {} changeset(s)",
        ids.len()
    ));

    // 7. update on development.
    lbmongo(
        dir,
        &[
            "update",
            "--changelog-file",
            "changelog.yaml",
            "--url",
            &development_url,
        ],
    )
    .ok();
    let history = block_on(find(
        &development,
        "DATABASECHANGELOG",
        doc! { "orderExecuted": 1 },
    ));
    let rows: Vec<(String, String, String, String)> = history
        .iter()
        .map(|r| {
            let field = |k: &str| r.get_str(k).unwrap_or_default().to_owned();
            (
                field("id"),
                field("author"),
                field("labels"),
                field("comments"),
            )
        })
        .collect();
    let mut expected = vec![(
        "base-1".to_owned(),
        "platform".to_owned(),
        String::new(),
        String::new(),
    )];
    expected.extend((1..=ids.len()).map(|n| {
        (
            format!("{TICKET}-{n}"),
            AUTHOR.to_owned(),
            TICKET.to_lowercase(),
            format!("{TICKET}: orders and customer countries"),
        )
    }));
    assert_eq!(rows, expected, "{history:#?}");

    // 8. The authoring and development (and staging) databases now have the same schema.
    for target in [&development_url, &staging_url] {
        lbmongo(
            dir,
            &["diff", "--reference-url", &authoring_url, "--url", target],
        )
        .ok()
        .assert_stdout_contains("No differences");
    }
    // The snapshot file is the same reference, through --reference-snapshot.
    lbmongo(
        dir,
        &[
            "diff",
            "--reference-snapshot",
            "mySnapshot.json",
            "--url",
            &development_url,
        ],
    )
    .ok()
    .assert_stdout_contains("No differences");

    // 9. Liquibase 4.33 with our jar reads the yq-edited master changelog: the same checksums
    //    (validate) and nothing pending (status).
    liquibase(dir, &development_url, &["validate"]).ok();
    up_to_date(liquibase(dir, &development_url, &["status", "--verbose"]));
}

/// This minute as `yyyy-MM-dd HH:mm+0000` in UTC, from the system clock without a date crate:
/// a `created` value of the run compares at least equal to it when the machine runs in UTC.
fn chrono_free_minute() -> String {
    let now = mongodb::bson::DateTime::now();
    let text = now.try_to_rfc3339_string().expect("an RFC 3339 time");
    // `2026-12-07T22:20:55.525Z` -> `2026-12-07 22:20+0000`
    format!("{} {}+0000", &text[..10], &text[11..16])
}

/// `offline:mongodb?snapshot=FILE` on either side and in `generate-changelog`, and the generated
/// attributes in every format, through the CLI: each changelog applies in lbmongo, its history
/// rows carry the author, labels and context, and the result equals the snapshot.
#[test]
fn offline_snapshots_and_generated_attributes_work_in_every_format() {
    let (_, source, source_url) = block_on(server().fresh_db("pipeline_offline_source"));
    block_on(change_by_hand(&source));
    let project = tempfile::tempdir().expect("a temporary directory");
    let dir = project.path();
    lbmongo(
        dir,
        &["snapshot", "--output-file", "s.json", "--url", &source_url],
    )
    .ok();
    let offline = "offline:mongodb?snapshot=s.json";

    // The target side may be the snapshot too (Liquibase's `--url offline:…`).
    lbmongo(
        dir,
        &["diff", "--reference-url", &source_url, "--url", offline],
    )
    .ok()
    .assert_stdout_contains("No differences");

    for ext in ["xml", "yaml", "json", "js"] {
        let file = format!("generated.{ext}");
        lbmongo(
            dir,
            &[
                "generate-changelog",
                "--url",
                offline,
                "--changelog-file",
                &file,
                "--author",
                AUTHOR,
                "--label-filter",
                TICKET,
                "--context-filter",
                "ci",
                "--generate-changeset-created-values",
                "--generated-changeset-ids-contains-description",
                "true",
            ],
        )
        .ok();
        let text = std::fs::read_to_string(dir.join(&file)).expect("the generated changelog");
        // `created` everywhere but in formatted changelogs, which have no such attribute.
        assert_eq!(text.contains("created"), ext != "js", "{ext}\n{text}");

        let (_, target, target_url) = block_on(server().fresh_db("pipeline_offline_target"));
        lbmongo(
            dir,
            &[
                "update",
                "--changelog-file",
                &file,
                "--context-filter",
                "ci",
                "--url",
                &target_url,
            ],
        )
        .ok();
        let history = block_on(find(
            &target,
            "DATABASECHANGELOG",
            doc! { "orderExecuted": 1 },
        ));
        assert!(history.len() >= 2, "{ext}: {history:#?}");
        let root = history[0]
            .get_str("id")
            .expect("an id")
            .split('-')
            .next()
            .expect("a root")
            .to_owned();
        for (n, row) in history.iter().enumerate() {
            let id = row.get_str("id").expect("an id");
            assert!(
                id.starts_with(&format!("{root}-{} (", n + 1)),
                "{ext}: descriptive id {id}"
            );
            assert_eq!(row.get_str("author"), Ok(AUTHOR), "{ext}: {row}");
            assert_eq!(row.get_str("labels"), Ok("jira-4711"), "{ext}: {row}");
            assert_eq!(row.get_str("contexts"), Ok("ci"), "{ext}: {row}");
        }
        lbmongo(
            dir,
            &[
                "diff",
                "--reference-snapshot",
                "s.json",
                "--url",
                &target_url,
            ],
        )
        .ok()
        .assert_stdout_contains("No differences");
    }

    // Bad offline URLs are refused before anything is read or written.
    let other = lbmongo(
        dir,
        &[
            "diff-changelog",
            "--url",
            &source_url,
            "--reference-url",
            "offline:postgresql?snapshot=s.json",
            "--changelog-file",
            "never.yaml",
        ],
    );
    assert_eq!(other.code, 2, "{other:?}");
    other.assert_stderr_contains("`offline:postgresql` is not a MongoDB snapshot");
    let missing = lbmongo(
        dir,
        &[
            "diff",
            "--reference-url",
            "offline:mongodb?snapshot=missing.json",
            "--url",
            &source_url,
        ],
    );
    assert_eq!(missing.code, 1, "{missing:?}");
    missing.assert_stderr_contains("cannot read the snapshot file `missing.json`");
    let live_only = lbmongo(
        dir,
        &[
            "update",
            "--changelog-file",
            "generated.yaml",
            "--url",
            offline,
        ],
    );
    assert_eq!(live_only.code, 2, "{live_only:?}");
    live_only.assert_stderr_contains("is an offline snapshot, not a database");
    assert!(!dir.join("never.yaml").exists());
}
