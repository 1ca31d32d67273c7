//! Every `lbmongo` command against the test server: database state, history documents field by
//! field (BSON types included), exit codes and the key output lines.

use mongodb::bson::{Bson, Document, doc};

use crate::support::cli::Project;
use crate::support::{block_on, server};

/// A changelog in the liquibase-mongodb XML form with the given changesets.
pub(crate) fn xml(change_sets: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog
    xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-latest.xsd
        http://www.liquibase.org/xml/ns/mongodb http://www.liquibase.org/xml/ns/mongodb/liquibase-mongodb-latest.xsd">
{change_sets}
</databaseChangeLog>
"#
    )
}

const SHOP: &str = r#"
  <changeSet id="1" author="alice">
    <comment>products with a validator</comment>
    <mongodb:createCollection collectionName="products">
      <mongodb:options>{ validator: { $jsonSchema: { bsonType: "object", required: ["sku"] } } }</mongodb:options>
    </mongodb:createCollection>
  </changeSet>
  <changeSet id="2" author="alice" labels="Catalog" context="dev">
    <mongodb:createIndex collectionName="products">
      <mongodb:keys>{ sku: 1 }</mongodb:keys>
      <mongodb:options>{ unique: true, name: "ui_sku" }</mongodb:options>
    </mongodb:createIndex>
  </changeSet>
  <changeSet id="3" author="bob">
    <mongodb:insertMany collectionName="products">
      <mongodb:documents>[{ sku: "a", price: NumberDecimal("9.99") }, { sku: "b" }]</mongodb:documents>
    </mongodb:insertMany>
    <rollback>
      <mongodb:runCommand><mongodb:command>{ delete: "products", deletes: [{ q: {}, limit: 0 }] }</mongodb:command></mongodb:runCommand>
    </rollback>
  </changeSet>
  <changeSet id="4" author="bob">
    <tagDatabase tag="v1"/>
  </changeSet>
"#;

fn project(test: &str) -> Project {
    let (_, db, url) = block_on(server().fresh_db(test));
    let p = Project::new(db, url);
    p.write("changelog.xml", &xml(SHOP));
    p
}

fn field_types(d: &Document) -> Vec<(String, &'static str)> {
    d.iter()
        .map(|(k, v)| {
            let t = match v {
                Bson::String(_) => "string",
                Bson::Null => "null",
                Bson::Int32(_) => "int",
                Bson::Int64(_) => "long",
                Bson::DateTime(_) => "date",
                Bson::ObjectId(_) => "objectId",
                Bson::Boolean(_) => "bool",
                _ => "other",
            };
            (k.clone(), t)
        })
        .collect()
}

#[test]
fn update_applies_changesets_and_records_liquibase_mongodb_history_documents() {
    let p = project("update_history");
    let run = p.run_changelog(&["update"]).ok();
    run.assert_stderr_contains("Running Changeset: changelog.xml::1::alice");
    run.assert_stderr_contains("Update has been successful");

    block_on(async {
        assert_eq!(
            p.collections().await,
            ["DATABASECHANGELOG", "DATABASECHANGELOGLOCK", "products"]
        );
        assert_eq!(p.find("products", doc! { "sku": 1 }).await.len(), 2);
        let rows = p.history().await;
        assert_eq!(rows.len(), 4);
        // The raw BSON shape: field order and types exactly as liquibase-mongodb writes them.
        let expected_shape = [
            ("_id", "objectId"),
            ("fileName", "string"),
            ("id", "string"),
            ("author", "string"),
            ("md5sum", "string"),
            ("dateExecuted", "date"),
            ("tag", "null"),
            ("execType", "string"),
            ("description", "string"),
            ("comments", "string"),
            ("contexts", "null"),
            ("labels", "null"),
            ("deploymentId", "string"),
            ("orderExecuted", "int"),
            ("liquibase", "string"),
        ];
        let shape = field_types(&rows[0]);
        let shape: Vec<(&str, &str)> = shape.iter().map(|(k, t)| (k.as_str(), *t)).collect();
        assert_eq!(shape, expected_shape);
        let r0 = &rows[0];
        assert_eq!(r0.get_str("fileName"), Ok("changelog.xml"));
        assert_eq!(
            r0.get_str("description"),
            Ok("createCollection collectionName=products")
        );
        assert_eq!(r0.get_str("comments"), Ok("products with a validator"));
        assert_eq!(r0.get_str("execType"), Ok("EXECUTED"));
        assert_eq!(r0.get_str("liquibase"), Ok("4.33.0"));
        assert!(
            r0.get_str("md5sum")
                .is_ok_and(|m| m.starts_with("9:") && m.len() == 34)
        );
        let deployment = r0.get_str("deploymentId").expect("deploymentId");
        assert!(deployment.len() == 10 && deployment.bytes().all(|b| b.is_ascii_digit()));
        let r1 = &rows[1];
        assert_eq!(r1.get_str("contexts"), Ok("dev"));
        assert_eq!(r1.get_str("labels"), Ok("catalog"));
        assert_eq!(
            r1.get_str("description"),
            Ok("createIndex collectionName=products")
        );
        assert_eq!(rows[3].get_str("tag"), Ok("v1"));
        assert_eq!(rows[3].get_str("description"), Ok("tagDatabase"));
        let orders: Vec<i32> = rows
            .iter()
            .map(|r| r.get_i32("orderExecuted").expect("int"))
            .collect();
        assert_eq!(orders, [1, 2, 3, 4]);
        assert!(
            rows.iter()
                .all(|r| r.get_str("deploymentId") == Ok(deployment))
        );
        let lock = p.find("DATABASECHANGELOGLOCK", doc! {}).await;
        assert_eq!(lock.len(), 1);
        assert_eq!(lock[0].get_bool("locked"), Ok(false));
        assert_eq!(lock[0].get_i32("_id"), Ok(1));
    });

    // A second update does nothing.
    let again = p.run_changelog(&["update"]).ok();
    assert!(
        !again.stderr.contains("Running Changeset"),
        "{}",
        again.stderr
    );
    assert_eq!(block_on(p.history()).len(), 4);
}

#[test]
fn status_lists_pending_changesets_and_then_says_up_to_date() {
    let p = project("status");
    let run = p.run_changelog(&["status", "--verbose"]).ok();
    run.assert_stdout_contains("4 changesets have not been applied to");
    run.assert_stdout_contains("     changelog.xml::3::bob");
    p.run_changelog(&["update-count", "--count", "2"]).ok();
    let run = p.run_changelog(&["status"]).ok();
    run.assert_stdout_contains("2 changesets have not been applied to");
    p.run_changelog(&["update"]).ok();
    let run = p.run_changelog(&["status"]).ok();
    run.assert_stdout_contains("is up to date");
    let json = p.run_changelog(&["status", "--output", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(json.stdout.trim()).expect("one JSON document");
    assert_eq!(v["upToDate"], true);
}

#[test]
fn contexts_and_labels_filter_what_runs() {
    let p = project("contexts");
    p.run_changelog(&["update", "--contexts", "prod"]).ok();
    assert_eq!(block_on(p.history_ids()), ["1", "3", "4"]);
    p.run_changelog(&["update", "--labels", "!catalog"]).ok();
    assert_eq!(block_on(p.history()).len(), 3);
    p.run_changelog(&["update"]).ok();
    assert_eq!(block_on(p.history()).len(), 4);
}

#[test]
fn edited_changeset_fails_validation_with_checksum_mismatch_before_anything_runs() {
    let p = project("checksum_mismatch");
    p.run_changelog(&["update-count", "--count", "3"]).ok();
    let stored = block_on(p.history())[2]
        .get_str("md5sum")
        .expect("md5sum")
        .to_owned();
    p.write(
        "changelog.xml",
        &xml(&SHOP.replace("sku: \"b\"", "sku: \"c\"")),
    );
    let run = p.run_changelog(&["validate"]).failed();
    run.assert_stderr_contains(&format!(
        "changelog.xml::3::bob was: {stored} but is now: 9:"
    ));
    let run = p.run_changelog(&["update"]).failed();
    run.assert_stderr_contains("was: ");
    // Nothing ran: changeset 4 is still pending and the lock is free.
    assert_eq!(block_on(p.history()).len(), 3);
    let lock = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
    assert_eq!(lock[0].get_bool("locked"), Ok(false));
}

#[test]
fn tag_and_rollback_to_tag_undo_later_changesets() {
    let p = project("rollback_tag");
    p.run_changelog(&["update"]).ok();
    let exists = p.run(&["tag-exists", "--tag", "v1"]).ok();
    exists.assert_stderr_contains("The tag 'v1' already exists");
    let missing = p.run(&["tag-exists", "--tag", "nope"]).ok();
    missing.assert_stderr_contains("The tag 'nope' does NOT exist");
    // The tagDatabase changeset's own row carries v1, so rolling back to v1 undoes it too.
    let run = p.run_changelog(&["rollback", "--tag", "v1"]).ok();
    run.assert_stderr_contains("Rolling Back Changeset: changelog.xml::4::bob");
    assert_eq!(block_on(p.history()).len(), 3);
    // A tag from the `tag` command keeps its row.
    p.run(&["tag", "--tag", "after-insert"]).ok();
    let rows = block_on(p.history());
    assert_eq!(rows[2].get_str("tag"), Ok("after-insert"));
    p.run_changelog(&["update"]).ok();
    p.run_changelog(&["rollback", "--tag", "after-insert"]).ok();
    assert_eq!(block_on(p.history()).len(), 3);
    let unknown = p
        .run_changelog(&["rollback", "--tag", "notExisting"])
        .failed();
    unknown.assert_stderr_contains("Could not find tag 'notExisting' in the database");
}

#[test]
fn rollback_count_runs_explicit_and_automatic_inverses() {
    let p = project("rollback_count");
    p.run_changelog(&["update"]).ok();
    p.run_changelog(&["rollback-count", "--count", "2"]).ok();
    block_on(async {
        assert_eq!(p.history().await.len(), 2);
        assert!(
            p.find("products", doc! {}).await.is_empty(),
            "explicit rollback deleted the documents"
        );
    });
    p.run_changelog(&["rollback-count", "--count", "2"]).ok();
    block_on(async {
        assert!(p.history().await.is_empty());
        assert_eq!(
            p.collections().await,
            ["DATABASECHANGELOG", "DATABASECHANGELOGLOCK"]
        );
    });
    // Re-applying restarts orderExecuted from the new maximum.
    p.run_changelog(&["update"]).ok();
    let orders: Vec<i32> = block_on(p.history())
        .iter()
        .map(|r| r.get_i32("orderExecuted").expect("int"))
        .collect();
    assert_eq!(orders, [1, 2, 3, 4]);
}

#[test]
fn rollback_to_date_undoes_what_ran_after_the_date() {
    let p = project("rollback_date");
    p.run_changelog(&["update"]).ok();
    p.run_changelog(&["rollback-to-date", "--date", "2000-01-01"])
        .ok();
    assert!(block_on(p.history()).is_empty());
    p.run_changelog(&["update"]).ok();
    p.run_changelog(&["rollback-to-date", "--date", "2999-01-01T00:00:00"])
        .ok();
    assert_eq!(block_on(p.history()).len(), 4);
}

#[test]
fn changeset_without_rollback_fails_rollback_before_touching_anything() {
    let p = project("no_rollback");
    p.write("changelog.xml", &xml(r#"
  <changeSet id="1" author="a"><mongodb:createCollection collectionName="c"/></changeSet>
  <changeSet id="2" author="a"><mongodb:insertOne collectionName="c"><mongodb:document>{a: 1}</mongodb:document></mongodb:insertOne></changeSet>"#));
    p.run_changelog(&["update"]).ok();
    let run = p
        .run_changelog(&["rollback-count", "--count", "2"])
        .failed();
    run.assert_stderr_contains("changeset `changelog.xml::2::a` has no rollback");
    assert_eq!(block_on(p.history()).len(), 2);
    assert_eq!(block_on(p.find("c", doc! {})).len(), 1);
}

#[test]
fn update_to_tag_stops_after_the_tagging_changeset() {
    let p = project("update_to_tag");
    p.write("changelog.xml", &xml(&format!("{SHOP}<changeSet id=\"5\" author=\"bob\"><mongodb:createCollection collectionName=\"later\"/></changeSet>")));
    p.run_changelog(&["update-to-tag", "--tag", "v1"]).ok();
    assert_eq!(block_on(p.history()).len(), 4);
    p.run_changelog(&["update"]).ok();
    assert_eq!(block_on(p.history()).len(), 5);
}

#[test]
fn update_sql_prints_every_command_and_writes_nothing() {
    let p = project("update_sql");
    let before = block_on(p.collections());
    let run = p.run_changelog(&["update-sql"]).ok();
    assert_eq!(
        block_on(p.collections()),
        before,
        "update-sql wrote something"
    );
    for command in [
        "db.runCommand({\"create\": \"DATABASECHANGELOGLOCK\"",
        "db.runCommand({\"create\": \"products\"",
        "db.runCommand({\"insert\": \"DATABASECHANGELOG\"",
    ] {
        run.assert_stdout_has_line_starting(command);
    }
    assert!(
        run.stdout
            .lines()
            .next_back()
            .is_some_and(|l| l.contains("\"locked\": false")),
        "{}",
        run.stdout
    );
    let rb = p.run_changelog(&["future-rollback-sql"]).ok();
    rb.assert_stdout_contains("\"dropIndexes\": \"products\", \"index\": \"ui_sku\"");
    p.run_changelog(&["update"]).ok();
    let before = block_on(p.history());
    let rb = p
        .run_changelog(&["rollback-count-sql", "--count", "1"])
        .ok();
    rb.assert_stdout_contains("\"delete\": \"DATABASECHANGELOG\"");
    assert_eq!(block_on(p.history()), before);
}

#[test]
fn changelog_sync_records_without_running() {
    let p = project("changelog_sync");
    p.run_changelog(&["mark-next-changeset-ran"]).ok();
    assert_eq!(block_on(p.history()).len(), 1);
    assert!(!block_on(p.collections()).contains(&"products".to_owned()));
    p.run_changelog(&["changelog-sync-to-tag", "--tag", "v1"])
        .ok();
    p.run_changelog(&["changelog-sync"]).ok();
    let rows = block_on(p.history());
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.get_str("execType") == Ok("EXECUTED")));
    assert!(!block_on(p.collections()).contains(&"products".to_owned()));
}

#[test]
fn clear_checksums_nulls_every_md5sum_and_update_refills_them_unchanged() {
    let p = project("clear_checksums");
    p.run_changelog(&["update"]).ok();
    let before = block_on(p.history());
    p.run(&["clear-checksums"]).ok();
    assert!(
        block_on(p.history())
            .iter()
            .all(|r| r.get("md5sum") == Some(&Bson::Null))
    );
    p.run_changelog(&["update"]).ok();
    let after = block_on(p.history());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.get("md5sum"), a.get("md5sum"));
        assert_eq!(b.get("orderExecuted"), a.get("orderExecuted"));
        assert_eq!(b.get("dateExecuted"), a.get("dateExecuted"));
    }
}

#[test]
fn v8_checksums_are_validated_and_upgraded_by_update() {
    let p = project("v8_upgrade");
    p.run_changelog(&["update"]).ok();
    let v9 = block_on(p.history())[2]
        .get_str("md5sum")
        .expect("md5sum")
        .to_owned();
    // What Liquibase <= 4.21 wrote for changeset 3: its v8 checksum.
    let v8 = p
        .run_changelog(&[
            "calculate-checksum",
            "--changeset-identifier",
            "changelog.xml::3::bob",
        ])
        .ok();
    assert_eq!(v8.stdout.trim(), v9);
    block_on(async {
        let coll = p.db.collection::<Document>("DATABASECHANGELOG");
        coll.update_one(
            doc! { "id": "3" },
            doc! { "$set": { "md5sum": "8:00000000000000000000000000000000" } },
        )
        .await
        .expect("update");
    });
    let run = p.run_changelog(&["validate"]).failed();
    run.assert_stderr_contains("was: 8:00000000000000000000000000000000 but is now: 8:");
    let v8_value = run
        .stderr
        .split("but is now: ")
        .nth(1)
        .expect("a value")
        .split_whitespace()
        .next()
        .expect("a value")
        .to_owned();
    block_on(async {
        let coll = p.db.collection::<Document>("DATABASECHANGELOG");
        coll.update_one(doc! { "id": "3" }, doc! { "$set": { "md5sum": &v8_value } })
            .await
            .expect("update");
    });
    p.run_changelog(&["validate"]).ok();
    let run = p.run_changelog(&["update"]).ok();
    run.assert_stderr_contains(&format!(
        "Upgrading checksum for Changeset changelog.xml::3::bob from {v8_value} to {v9}"
    ));
    assert_eq!(block_on(p.history())[2].get_str("md5sum"), Ok(v9.as_str()));
}

#[test]
fn calculate_checksum_prints_the_changeset_checksum() {
    let p = project("calculate_checksum");
    let run = p
        .run_changelog(&[
            "calculate-checksum",
            "--changeset-identifier",
            "changelog.xml::4::bob",
        ])
        .ok();
    // tagDatabase v1, as Liquibase 4.28.0 computes it (spec core §1.6).
    assert_eq!(run.stdout.trim(), "9:635ff1e577e13420abaf0552fb77ab20");
    let run = p
        .run_changelog(&[
            "calculate-checksum",
            "--changeset-identifier",
            "changelog.xml::99::a",
        ])
        .failed();
    run.assert_stderr_contains(
        "No such changeSet identified by changeSet id: 99, author: a, path: changelog.xml",
    );
}

#[test]
fn stale_lock_is_listed_and_released() {
    let p = project("stale_lock");
    p.run_changelog(&["update"]).ok();
    block_on(async {
        // What a killed update on another machine leaves behind.
        p.db.collection::<Document>("DATABASECHANGELOGLOCK")
            .update_one(
                doc! { "_id": 1 },
                doc! { "$set": { "locked": true, "lockedBy": "ci-runner-7 (10.0.0.7)" } },
            )
            .await
            .expect("update");
    });
    let list = p.run(&["list-locks"]).ok();
    list.assert_stdout_contains(" - ci-runner-7 (10.0.0.7) at ");
    let run = p
        .run_changelog_env(
            &["update"],
            &[("LIQUIBASE_CHANGELOG_LOCK_WAIT_TIME_IN_MINUTES", "0")],
        )
        .failed();
    run.assert_stderr_contains("Currently locked by ci-runner-7 (10.0.0.7) since");
    run.assert_stderr_contains("release-locks");
    p.run(&["release-locks"]).ok();
    let list = p.run(&["list-locks"]).ok();
    list.assert_stdout_contains(" - No locks");
    p.run_changelog(&["update"]).ok();
}

#[test]
fn lock_is_released_after_a_failing_changeset() {
    let p = project("lock_after_failure");
    p.write("changelog.xml", &xml(r#"
  <changeSet id="1" author="a"><mongodb:insertOne collectionName="c"><mongodb:document>{_id: 1}</mongodb:document></mongodb:insertOne></changeSet>
  <changeSet id="2" author="a"><mongodb:insertOne collectionName="c"><mongodb:document>{_id: 1}</mongodb:document></mongodb:insertOne></changeSet>"#));
    let run = p.run_changelog(&["update"]).failed();
    run.assert_stderr_contains("Migration failed for changeset changelog.xml::2::a: ");
    run.assert_stderr_contains("E11000");
    block_on(async {
        assert_eq!(p.history().await.len(), 1);
        let lock = p.find("DATABASECHANGELOGLOCK", doc! {}).await;
        assert_eq!(lock[0].get_bool("locked"), Ok(false));
    });
}

#[test]
fn unexpected_changesets_lists_history_rows_missing_from_the_changelog() {
    let p = project("unexpected");
    p.run_changelog(&["update"]).ok();
    let run = p.run_changelog(&["unexpected-changesets"]).ok();
    run.assert_stdout_contains("contains no unexpected changes!");
    p.write("other.xml", &xml(r#"<changeSet id="9" author="z"><mongodb:createCollection collectionName="z"/></changeSet>"#));
    let run = p
        .run(&[
            "unexpected-changesets",
            "--verbose",
            "--changelog-file",
            "other.xml",
        ])
        .ok();
    run.assert_stdout_contains("4 unexpected changes were found in");
    run.assert_stdout_contains("changelog.xml::1::alice");
}

#[test]
fn drop_all_needs_force_without_a_terminal_and_never_touches_other_databases() {
    let p = project("drop_all");
    let (client, other, _) = block_on(server().fresh_db("drop_all_other"));
    block_on(async {
        other
            .collection::<Document>("keep")
            .insert_one(doc! { "x": 1 })
            .await
            .expect("insert")
    });
    p.run_changelog(&["update"]).ok();
    let run = p.run(&["drop-all"]).failed();
    run.assert_stderr_contains("--force");
    assert_eq!(block_on(p.collections()).len(), 3);
    p.run(&["drop-all", "--force"]).ok();
    assert!(block_on(p.collections()).is_empty());
    assert_eq!(
        block_on(other.list_collection_names()).expect("list"),
        ["keep"]
    );
    drop(client);
}

#[test]
fn history_prints_applied_changesets_per_deployment() {
    let p = project("history");
    let run = p.run(&["history"]).ok();
    run.assert_stdout_contains("No changesets deployed");
    p.run_changelog(&["update"]).ok();
    let run = p.run(&["history"]).ok();
    run.assert_stdout_contains("| changelog.xml ");
    run.assert_stdout_contains("| v1 ");
    let json = p.run(&["history", "--output", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(json.stdout.trim()).expect("JSON");
    assert_eq!(v["history"].as_array().map(Vec::len), Some(4));
}

#[test]
fn update_testing_rollback_applies_rolls_back_and_applies_again() {
    let p = project("testing_rollback");
    let run = p.run_changelog(&["update-testing-rollback"]).ok();
    run.assert_stderr_contains("Rolling Back Changeset: changelog.xml::1::alice");
    let rows = block_on(p.history());
    assert_eq!(rows.len(), 4);
    assert_eq!(block_on(p.find("products", doc! {})).len(), 2);
}

#[test]
fn settings_come_from_the_defaults_file_and_environment_with_liquibase_precedence() {
    let p = project("defaults_file");
    p.write("liquibase.properties", "changeLogFile: changelog.xml\ncontexts=prod\nliquibase.databaseChangelogTableName=HISTORY\n");
    p.run(&["update"]).ok();
    let names = block_on(p.collections());
    assert!(names.contains(&"HISTORY".to_owned()), "{names:?}");
    assert_eq!(
        block_on(p.find("HISTORY", doc! {})).len(),
        3,
        "contexts=prod from the file filtered changeset 2"
    );
    // The environment beats the file.
    p.run_env(&["update"], &[("LIQUIBASE_COMMAND_CONTEXTS", "dev")])
        .ok();
    assert_eq!(block_on(p.find("HISTORY", doc! {})).len(), 4);
}

#[test]
fn passwords_never_appear_in_output() {
    let p = project("password_mask");
    let run = p.run_changelog_env(
        &["status", "--username", "someone", "--password", "s3cr3t-pw"],
        &[("LIQUIBASE_COMMAND_SERVER_SELECTION_TIMEOUT_SECONDS", "2")],
    );
    assert!(
        !run.stdout.contains("s3cr3t-pw") && !run.stderr.contains("s3cr3t-pw"),
        "{run:?}"
    );
}

#[test]
fn document_writes_commit_with_their_history_row_in_one_transaction() {
    let p = project("transaction_atomic");
    // Both inserts and the history row commit together, or nothing does: the duplicate `_id`
    // aborts the transaction, so the first insert is not left behind.
    p.write("changelog.xml", &xml(r#"
  <changeSet id="1" author="a"><mongodb:createCollection collectionName="c"/></changeSet>
  <changeSet id="2" author="a">
    <mongodb:insertOne collectionName="c"><mongodb:document>{_id: 1, v: "first"}</mongodb:document></mongodb:insertOne>
    <mongodb:insertOne collectionName="c"><mongodb:document>{_id: 1, v: "duplicate"}</mongodb:document></mongodb:insertOne>
  </changeSet>"#));
    let run = p.run_changelog(&["update"]).failed();
    run.assert_stderr_contains("E11000");
    block_on(async {
        assert!(
            p.find("c", doc! {}).await.is_empty(),
            "the aborted transaction left a document"
        );
        assert_eq!(p.history().await.len(), 1);
    });
    // Without transactions (as liquibase-mongodb runs it) the first insert stays applied.
    let run = p
        .run_changelog(&["update", "--mongodb-transactions", "false"])
        .failed();
    run.assert_stderr_contains("E11000");
    assert_eq!(block_on(p.find("c", doc! {})).len(), 1);
    // A clean changeset reports that it ran in a transaction.
    p.write("changelog.xml", &xml(r#"
  <changeSet id="1" author="a"><mongodb:createCollection collectionName="c"/></changeSet>
  <changeSet id="3" author="a"><mongodb:insertOne collectionName="c"><mongodb:document>{_id: 3}</mongodb:document></mongodb:insertOne></changeSet>"#));
    let run = p.run_changelog(&["update"]).ok();
    run.assert_stderr_contains(
        "Committed Changeset: changelog.xml::3::a and its history row in one transaction",
    );
}

#[test]
fn rollback_sql_commands_print_what_a_rollback_would_send_and_change_nothing() {
    let p = project("rollback_sql");
    p.run_changelog(&["update"]).ok();
    let before = block_on(p.history());
    let to_tag = p.run_changelog(&["rollback-sql", "--tag", "v1"]).ok();
    to_tag.assert_stdout_contains(r#""delete": "DATABASECHANGELOG""#);
    let to_date = p
        .run_changelog(&["rollback-to-date-sql", "--date", "2000-01-01"])
        .ok();
    // Everything ran after 2000: the explicit delete, the index drop by name, the collection drop.
    to_date.assert_stdout_contains(r#"db.runCommand({"delete": "products""#);
    to_date
        .assert_stdout_contains(r#"db.runCommand({"dropIndexes": "products", "index": "ui_sku"})"#);
    to_date.assert_stdout_contains(r#"db.runCommand({"drop": "products"})"#);
    assert_eq!(block_on(p.history()), before);
    assert_eq!(block_on(p.find("products", doc! {})).len(), 2);
}

#[test]
fn json_output_is_one_document_on_stdout_for_reports() {
    let p = project("json_output");
    let update = p.run_changelog(&["update", "--output", "json"]).ok();
    let v: serde_json::Value =
        serde_json::from_str(update.stdout.trim()).expect("one JSON document");
    assert_eq!(v["recorded"].as_array().map(Vec::len), Some(4));
    assert_eq!(v["recorded"][0]["execType"], "EXECUTED");
    let validate = p.run_changelog(&["validate", "--output", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(validate.stdout.trim()).expect("JSON");
    assert_eq!(v["valid"], true);
    let locks = p.run(&["list-locks", "--output", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(locks.stdout.trim()).expect("JSON");
    assert_eq!(v["locks"].as_array().map(Vec::len), Some(0));
    p.write(
        "changelog.xml",
        &xml(&SHOP.replace("sku: \"b\"", "sku: \"c\"")),
    );
    let failed = p.run_changelog(&["validate", "--output", "json"]).failed();
    let v: serde_json::Value = serde_json::from_str(failed.stdout.trim()).expect("JSON");
    assert_eq!(v["success"], false);
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("changelog.xml::3::bob was: ")),
        "{v}"
    );
}

/// The names of the indexes on `collection`, sorted.
fn index_names(p: &Project, collection: &str) -> Vec<String> {
    block_on(async {
        let mut names =
            p.db.collection::<Document>(collection)
                .list_index_names()
                .await
                .expect("list indexes");
        names.sort();
        names
    })
}

/// Issue 18, item 8 (liquibase-mongodb#580): a `createIndex` without a `name` option gets the
/// name drivers and mongosh generate from its keys; rollback drops it by its key pattern; the
/// stored checksum is the one the changelog text gives (as before).
#[test]
fn unnamed_index_gets_the_drivers_default_name_and_rolls_back() {
    let (_, db, url) = block_on(server().fresh_db("unnamed_index"));
    let p = Project::new(db, url);
    p.write(
        "changelog.xml",
        &xml(r#"
  <changeSet id="1" author="a">
    <mongodb:createCollection collectionName="events"/>
  </changeSet>
  <changeSet id="2" author="a">
    <mongodb:createIndex collectionName="events">
      <mongodb:keys>{ clientId: 1, type: -1 }</mongodb:keys>
      <mongodb:options>{ unique: true }</mongodb:options>
    </mongodb:createIndex>
  </changeSet>
"#),
    );
    let checksum = p
        .run_changelog(&[
            "calculate-checksum",
            "--changeset-identifier",
            "changelog.xml::2::a",
        ])
        .ok();
    p.run_changelog(&["update"]).ok();
    assert_eq!(index_names(&p, "events"), ["_id_", "clientId_1_type_-1"]);
    let rows = block_on(p.history());
    let stored = rows[1].get_str("md5sum").expect("a stored checksum");
    assert!(
        format!("{}{}", checksum.stdout, checksum.stderr).contains(stored),
        "the stored checksum {stored} is the changelog's: {checksum:?}"
    );
    p.run_changelog(&["rollback-count", "--count", "1"]).ok();
    assert_eq!(index_names(&p, "events"), ["_id_"]);
}

/// Issue 12: a reader that stops early (`lbmongo history | head -1`) ends the command quietly
/// with exit 0, as `git log | head` does; here stdout is a pipe whose reader is already gone.
#[test]
fn closed_stdout_ends_history_quietly_with_exit_0() {
    let p = project("closed_stdout");
    p.run_changelog(&["update"]).ok();
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let output = std::process::Command::new(crate::support::cli::binary())
        .args(["history", "--url", &p.url])
        .current_dir(p.dir.path())
        .env_remove("LIQUIBASE_COMMAND_URL")
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("lbmongo can be started");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

/// Issue 12: a usage error found after argument parsing (a required setting missing, a value
/// that cannot be read) exits 2, as clap's own usage errors do; a failed command exits 1.
#[test]
fn usage_errors_exit_2() {
    let p = project("usage_errors");
    let cases: [&[&str]; 4] = [
        &["update-count"],
        &["rollback"],
        &["rollback-to-date", "--date", "yesterday"],
        &["update", "--mongodb-transactions", "maybe"],
    ];
    for args in cases {
        let run = p.run_changelog(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        run.assert_stderr_contains("error: ");
    }
    let run = p.run(&["status"]);
    assert_eq!(run.code, 2, "no changelog file: {run:?}");
    run.assert_stderr_contains("the changelog file is not set");
    // Not a usage error: the tag is well formed but not in the database.
    p.run_changelog(&["rollback", "--tag", "nowhere"]).failed();
}
