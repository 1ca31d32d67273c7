//! The commands users run, on FerretDB (issue 13): a second, independent MongoDB-compatible
//! server, started by the tests from `.cache/ferretdb` (`scripts/install-ferretdb.sh`) and shared
//! by this module, never mocked.
//!
//! FerretDB v1 has no validators and no `collMod`, rejects `startTransaction` on writes, and
//! reports a replica-set name only with `--repl-set-name`. Every test here passes no platform
//! flag at all: the platform is detected at connect (`buildInfo.ferretdbVersion`) and its
//! defaults (no tracking validators, no transactions) apply. The changelog stays inside
//! FerretDB's features: no validators, collation, TTL/partial/text/hashed indexes, views,
//! time-series, `collMod` or Decimal128.

use mongodb::bson::{Document, doc};
use serde_json::Value;

use crate::commands::xml;
use crate::support::cli::{Project, Run, exec_types};
use crate::support::{ServerOptions, block_on, repo_root, server, server_with};

pub(crate) const SHOP: &str = r#"
  <changeSet id="1" author="alice">
    <mongodb:createCollection collectionName="products"/>
  </changeSet>
  <changeSet id="2" author="alice">
    <mongodb:createIndex collectionName="products">
      <mongodb:keys>{ sku: 1, region: -1 }</mongodb:keys>
      <mongodb:options>{ unique: true, name: "ui_sku_region" }</mongodb:options>
    </mongodb:createIndex>
  </changeSet>
  <changeSet id="3" author="bob">
    <mongodb:insertMany collectionName="products">
      <mongodb:documents>[{ _id: 1, sku: "a", region: "eu", price: 10 }, { _id: 2, sku: "b", region: "us", price: 20 }]</mongodb:documents>
    </mongodb:insertMany>
    <rollback>
      <mongodb:runCommand><mongodb:command>{ delete: "products", deletes: [{ q: { _id: { $in: [1, 2] } }, limit: 0 }] }</mongodb:command></mongodb:runCommand>
    </rollback>
  </changeSet>
  <changeSet id="4" author="bob">
    <tagDatabase tag="v1"/>
  </changeSet>
  <changeSet id="5" author="carol">
    <mongodb:updateMany collectionName="products">
      <mongodb:filter>{ sku: "a" }</mongodb:filter>
      <mongodb:update>{ $set: { price: 11 } }</mongodb:update>
    </mongodb:updateMany>
    <rollback>
      <mongodb:updateMany collectionName="products">
        <mongodb:filter>{ sku: "a" }</mongodb:filter>
        <mongodb:update>{ $set: { price: 10 } }</mongodb:update>
      </mongodb:updateMany>
    </rollback>
  </changeSet>
  <changeSet id="6" author="carol">
    <mongodb:createCollection collectionName="orders"/>
    <mongodb:insertOne collectionName="orders">
      <mongodb:document>{ _id: "o1", product: 1, qty: 3 }</mongodb:document>
    </mongodb:insertOne>
    <rollback>
      <mongodb:dropCollection collectionName="orders"/>
    </rollback>
  </changeSet>
"#;

/// A project on a fresh database of FerretDB of kind `options`, with the shop changelog.
fn project_on(options: &ServerOptions, test: &str) -> Project {
    let (_, db, url) = block_on(server_with(options).fresh_db(test));
    let p = Project::new(db, url);
    p.write("changelog.xml", &xml(SHOP));
    p
}

fn project(test: &str) -> Project {
    project_on(&ServerOptions::ferretdb(), test)
}

fn json(run: &Run) -> Value {
    let line = run
        .stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line in stdout:\n{}", run.stdout));
    serde_json::from_str(line).expect("the output is JSON")
}

fn products(p: &Project) -> Vec<Document> {
    block_on(p.find("products", doc! { "_id": 1 }))
}

fn assert_shop_applied(p: &Project) {
    assert_eq!(
        products(p),
        vec![
            doc! { "_id": 1, "sku": "a", "region": "eu", "price": 11 },
            doc! { "_id": 2, "sku": "b", "region": "us", "price": 20 },
        ]
    );
    assert_eq!(
        block_on(p.find("orders", doc! {})),
        vec![doc! { "_id": "o1", "product": 1, "qty": 3 }]
    );
    let history = block_on(p.history());
    assert_eq!(
        exec_types(&history),
        ["1", "2", "3", "4", "5", "6"].map(|id| format!("{id}:EXECUTED"))
    );
    assert_eq!(history[3].get_str("tag").ok(), Some("v1"));
    for row in &history {
        assert_eq!(row.get_str("fileName").ok(), Some("changelog.xml"));
        assert!(
            row.get_str("md5sum").is_ok_and(|m| m.starts_with("9:")),
            "{row}"
        );
    }
}

#[test]
fn update_on_ferretdb_needs_no_platform_flags_and_records_liquibase_history() {
    let p = project("ferret_update");
    let run = p.run_changelog(&["update"]).ok();
    run.assert_stderr_contains(
        "Platform: FerretDB v1.24.2 (transactions: no, tracking validators: no)",
    );
    assert_eq!(
        run.stderr.matches("Platform: ").count(),
        1,
        "printed once:\n{}",
        run.stderr
    );
    assert_shop_applied(&p);
    // The tracking collections exist without validators (FerretDB has none), the history keeps
    // its unique index, and the lock is free.
    let indexes: Vec<String> = block_on(async {
        let mut names =
            p.db.collection::<Document>("DATABASECHANGELOG")
                .list_index_names()
                .await
                .expect("list indexes");
        names.sort();
        names
    });
    assert_eq!(indexes, ["_id_", "ui_DATABASECHANGELOG"]);
    let locks = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(locks[0].get_bool("locked").ok(), Some(false));

    // A second update runs nothing.
    let again = p.run_changelog(&["--output", "json", "update"]).ok();
    let report = json(&again);
    assert_eq!(report["recorded"], serde_json::json!([]));
    assert_eq!(report["previouslyRun"], 6);
    assert_eq!(report["platform"]["name"], "ferretdb");
    assert_eq!(report["platform"]["transactions"], false);
    assert_eq!(report["platform"]["trackingValidators"], false);
}

#[test]
fn status_history_validate_tag_and_rollback_on_ferretdb() {
    let p = project("ferret_commands");
    p.run_changelog(&["update-count", "--count", "2"]).ok();
    let status = p.run_changelog(&["status"]).ok();
    status.assert_stdout_contains("4 changesets have not been applied");
    status.assert_stderr_contains("Platform: FerretDB");
    let status_json = json(&p.run_changelog(&["--output", "json", "status"]).ok());
    assert_eq!(status_json["upToDate"], false);
    assert_eq!(status_json["platform"]["name"], "ferretdb");

    p.run_changelog(&["update"]).ok();
    p.run_changelog(&["status"])
        .ok()
        .assert_stdout_contains("is up to date");
    p.run_changelog(&["validate"])
        .ok()
        .assert_stderr_contains("No validation errors found.");
    let history = p.run(&["history"]).ok();
    for id in ["1", "2", "3", "4", "5", "6"] {
        assert!(
            history.stdout.contains(&format!("| {id} ")),
            "changeset {id} in:\n{}",
            history.stdout
        );
    }

    p.run(&["tag", "--tag", "v2"]).ok();
    let rows = block_on(p.history());
    assert_eq!(rows[5].get_str("tag").ok(), Some("v2"));
    p.run(&["tag-exists", "--tag", "v2"])
        .ok()
        .assert_stderr_contains("The tag 'v2' already exists");

    // Back to v1: as Liquibase, everything from the `tagDatabase` changeset on is undone,
    // newest first (6 and 5 by their rollback blocks).
    p.run_changelog(&["rollback", "--tag", "v1"])
        .ok()
        .assert_stderr_contains("3 changesets rolled back");
    assert_eq!(
        products(&p),
        vec![
            doc! { "_id": 1, "sku": "a", "region": "eu", "price": 10 },
            doc! { "_id": 2, "sku": "b", "region": "us", "price": 20 },
        ]
    );
    assert!(!block_on(p.collections()).contains(&"orders".to_owned()));
    assert_eq!(
        exec_types(&block_on(p.history())),
        ["1", "2", "3"].map(|id| format!("{id}:EXECUTED"))
    );
    // And forward again.
    p.run_changelog(&["update"]).ok();
    assert_shop_applied(&p);
}

#[test]
fn update_sql_changelog_sync_and_update_testing_rollback_on_ferretdb() {
    let preview = project("ferret_update_sql");
    let sql = preview.run_changelog(&["update-sql"]).ok();
    sql.assert_stdout_contains("createIndexes");
    // The preview matches what update would do there: no validator on the tracking collections.
    assert!(
        !sql.stdout.contains("$jsonSchema"),
        "no validators on FerretDB:\n{}",
        sql.stdout
    );
    assert!(
        block_on(preview.collections()).is_empty(),
        "update-sql writes nothing"
    );

    let sync = project("ferret_sync");
    sync.run_changelog(&["changelog-sync"]).ok();
    assert_eq!(
        exec_types(&block_on(sync.history())),
        ["1", "2", "3", "4", "5", "6"].map(|id| format!("{id}:EXECUTED"))
    );
    assert!(
        !block_on(sync.collections()).contains(&"products".to_owned()),
        "changelog-sync runs nothing"
    );

    let testing = project("ferret_testing_rollback");
    testing.run_changelog(&["update-testing-rollback"]).ok();
    assert_shop_applied(&testing);
}

#[test]
fn generate_changelog_snapshot_and_diff_on_ferretdb() {
    let source = project("ferret_gen_source");
    source.run_changelog(&["update"]).ok();
    let snapshot = source.run(&["snapshot"]).ok();
    let value: Value = serde_json::from_str(&snapshot.stdout).expect("the snapshot is JSON");
    let text = value.to_string();
    assert!(text.contains("ui_sku_region"), "{text}");
    assert!(text.contains("orders"), "{text}");

    source
        .run(&["generate-changelog", "--changelog-file", "generated.xml"])
        .ok();
    let generated = source.read("generated.xml");
    assert!(generated.contains("ui_sku_region"), "{generated}");

    // The generated changelog recreates the schema on an empty database of the same server.
    let (_, db, url) =
        block_on(server_with(&ServerOptions::ferretdb()).fresh_db("ferret_gen_target"));
    let target = Project::new(db, url);
    target.write("generated.xml", &generated);
    target
        .run(&["update", "--changelog-file", "generated.xml"])
        .ok();
    let diff = target
        .run(&["diff", "--reference-url", source.url.as_str()])
        .ok();
    assert!(
        !diff.stdout.contains("ui_sku_region"),
        "the index is on both sides:\n{}",
        diff.stdout
    );

    // An empty database differs by both collections and the index.
    let (_, db, url) =
        block_on(server_with(&ServerOptions::ferretdb()).fresh_db("ferret_gen_empty"));
    let empty = Project::new(db, url);
    let diff = empty
        .run(&["diff", "--reference-url", source.url.as_str()])
        .ok();
    for missing in ["products", "orders"] {
        assert!(diff.stdout.contains(missing), "{missing}:\n{}", diff.stdout);
    }
}

#[test]
fn release_locks_and_list_locks_on_ferretdb() {
    let p = project("ferret_locks");
    p.run_changelog(&["update"]).ok();
    // A lock left behind by a killed run.
    block_on(
        p.db.collection::<Document>("DATABASECHANGELOGLOCK")
            .update_one(
                doc! { "_id": 1 },
                doc! { "$set": { "locked": true, "lockedBy": "crashed-host (10.0.0.9)", "lockGranted": mongodb::bson::DateTime::now() } },
            ),
    )
    .expect("take the lock by hand");
    p.run(&["list-locks"])
        .ok()
        .assert_stdout_contains("crashed-host");
    p.run(&["release-locks"]).ok();
    let locks = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
    assert_eq!(locks[0].get_bool("locked").ok(), Some(false));
    p.run_changelog(&["update"]).ok();
}

#[test]
fn an_explicit_setting_wins_over_the_platform_default() {
    // `supportsValidator=true` asked for explicitly: FerretDB's refusal comes through.
    let p = project("ferret_explicit");
    let run = p
        .run_changelog(&["update", "--mongodb-supports-validator", "true"])
        .failed();
    run.assert_stderr_contains("not implemented");
    assert!(block_on(p.history()).is_empty());
}

#[test]
fn ferretdb_with_a_replica_set_name_runs_document_writes_without_transactions() {
    let p = project_on(&ServerOptions::ferretdb_repl_set(), "ferret_repl_set");
    let run = p.run_changelog(&["--output", "json", "update"]).ok();
    let report = json(&run);
    assert_eq!(report["platform"]["name"], "ferretdb");
    assert_eq!(
        report["platform"]["transactions"], false,
        "the probe, not setName, decides"
    );
    assert_eq!(report["inTransaction"], serde_json::json!([]));
    assert_shop_applied(&p);
}

#[test]
fn secantus_still_runs_document_writes_in_transactions() {
    let (_, db, url) = block_on(server().fresh_db("secantus_platform"));
    let p = Project::new(db, url);
    p.write("changelog.xml", &xml(SHOP));
    let run = p.run_changelog(&["--output", "json", "update"]).ok();
    let report = json(&run);
    if !server().is_external() {
        assert_eq!(report["platform"]["name"], "mongodb");
    }
    assert_eq!(report["platform"]["transactions"], true);
    assert_eq!(report["platform"]["trackingValidators"], true);
    assert_eq!(
        report["inTransaction"],
        serde_json::json!(["changelog.xml::3::bob", "changelog.xml::5::carol"])
    );
    assert_shop_applied(&p);
}

// --- The preflight (issue 13 item 4) --------------------------------------------------------

/// Copies lbmongo's own `examples/` changelogs (XML, YAML and JSON trees) into the project.
fn with_examples(p: &Project) {
    let examples = repo_root().join("examples");
    for root in ["changelog.xml", "changelog.yaml", "changelog.json"] {
        p.write(
            root,
            &std::fs::read_to_string(examples.join(root)).expect("read an example changelog"),
        );
    }
    for format in ["xml", "yaml", "json"] {
        for part in ["customers", "products", "orders"] {
            let path = format!("changes/{format}/{part}.{format}");
            p.write(
                &path,
                &std::fs::read_to_string(examples.join(&path)).expect("read an example changelog"),
            );
        }
    }
}

/// The findings of a refused run: `file:line: changeset `id::author`` of each, in order.
fn findings(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("  changes/"))
        .map(|l| {
            let end = l.find("`: ").expect("a finding names its changeset") + 1;
            l[2..end].to_owned()
        })
        .collect()
}

/// What FerretDB v1.24.2 cannot run of `examples/changelog.xml`: its validators, the
/// case-insensitive index, the partial and the TTL index, the `collMod` and the Decimal128 prices.
const FERRETDB_FINDINGS: [&str; 9] = [
    "changes/xml/customers.xml:12: changeset `customers-1::shop`",
    "changes/xml/customers.xml:43: changeset `customers-2::shop`",
    "changes/xml/products.xml:11: changeset `products-1::shop`",
    "changes/xml/products.xml:38: changeset `products-2::shop`",
    "changes/xml/products.xml:70: changeset `products-4::shop`",
    "changes/xml/products.xml:95: changeset `products-5::shop`",
    "changes/xml/orders.xml:11: changeset `orders-1::shop`",
    "changes/xml/orders.xml:53: changeset `orders-2::shop`",
    "changes/xml/orders.xml:63: changeset `orders-3::shop`",
];

fn examples_on_ferretdb(test: &str) -> Project {
    let (_, db, url) = block_on(server_with(&ServerOptions::ferretdb()).fresh_db(test));
    let p = Project::new(db, url);
    with_examples(&p);
    p
}

#[test]
fn the_examples_are_refused_on_ferretdb_before_anything_is_written() {
    let p = examples_on_ferretdb("ferret_preflight_update");
    let run = p.run_changelog(&["update"]).failed();
    run.assert_stderr_contains(
        "error: FerretDB cannot run 9 changes of this changelog; nothing was written",
    );
    assert_eq!(findings(&run), FERRETDB_FINDINGS, "{}", run.stderr);
    // Each finding says what is lacking and what to do.
    run.assert_stderr_contains(
        "changes/xml/customers.xml:12: changeset `customers-1::shop`: createCollection (`create` `customers`): a validator\n    hint: FerretDB has no validators",
    );
    run.assert_stderr_contains("createIndex (`createIndexes` `customers`): a collation");
    run.assert_stderr_contains("createIndex (`createIndexes` `products`): a partial index");
    run.assert_stderr_contains("runCommand (`collMod` `products`): a validator");
    run.assert_stderr_contains("createIndex (`createIndexes` `carts`): a TTL index");
    run.assert_stderr_contains("insertOne (`insert` `orders`): a Decimal128 value");
    run.assert_stderr_contains("skip the check with `--platform mongodb`");
    // Nothing was written: no tracking collections, no lock, no change.
    assert_eq!(block_on(p.collections()), Vec::<String>::new());

    // The variants of update refuse the same way, each judging what it would run.
    for (args, count) in [
        (&["update-count", "--count", "1"][..], 1),
        (&["update-to-tag", "--tag", "v1.0"], 9),
        (&["update-testing-rollback"], 9),
    ] {
        let run = p.run_changelog(args).failed();
        assert_eq!(
            findings(&run),
            FERRETDB_FINDINGS[..count],
            "{args:?}:\n{}",
            run.stderr
        );
        assert_eq!(block_on(p.collections()), Vec::<String>::new(), "{args:?}");
    }
    // A context filter that leaves the seed data out leaves its Decimal128 findings out too.
    let prod = p
        .run_changelog(&["update", "--context-filter", "prod"])
        .failed();
    assert_eq!(findings(&prod).len(), 7, "{}", prod.stderr);
    assert!(!prod.stderr.contains("products-4"), "{}", prod.stderr);
}

#[test]
fn update_sql_and_validate_on_ferretdb_show_the_same_findings() {
    let p = examples_on_ferretdb("ferret_preflight_sql");
    let sql = p.run_changelog(&["update-sql"]).failed();
    assert_eq!(findings(&sql), FERRETDB_FINDINGS, "{}", sql.stderr);
    assert!(
        !sql.stdout.contains("db.runCommand"),
        "nothing previewed:\n{}",
        sql.stdout
    );
    let validate = p.run_changelog(&["validate"]).failed();
    assert_eq!(
        findings(&validate),
        FERRETDB_FINDINGS,
        "{}",
        validate.stderr
    );
    assert_eq!(block_on(p.collections()), Vec::<String>::new());

    // YAML and JSON lower to the same commands: the same changesets, in their own files.
    for format in ["yaml", "json"] {
        let run = p
            .run(&[
                "validate",
                "--changelog-file",
                &format!("changelog.{format}"),
            ])
            .failed();
        let ids: Vec<String> = findings(&run)
            .iter()
            .map(|f| f.split(": ").nth(1).unwrap_or_default().to_owned())
            .collect();
        let expected: Vec<String> = FERRETDB_FINDINGS
            .iter()
            .map(|f| f.split(": ").nth(1).unwrap_or_default().to_owned())
            .collect();
        assert_eq!(ids, expected, "{format}:\n{}", run.stderr);
        assert!(
            findings(&run)
                .iter()
                .all(|f| f.starts_with(&format!("changes/{format}/"))),
            "{format}:\n{}",
            run.stderr
        );
    }
}

#[test]
fn validate_checks_a_platform_offline() {
    let p = examples_on_ferretdb("ferret_preflight_offline");
    // No URL: nothing is connected to; DocumentDB of unknown version is judged strictly.
    let run = p
        .run_offline(&[
            "--platform",
            "documentdb",
            "validate",
            "--changelog-file",
            "changelog.xml",
        ])
        .failed();
    run.assert_stderr_contains(
        "error: Amazon DocumentDB cannot run 6 changes of this changelog; nothing was written",
    );
    assert_eq!(
        findings(&run),
        [
            "changes/xml/customers.xml:12: changeset `customers-1::shop`",
            "changes/xml/customers.xml:43: changeset `customers-2::shop`",
            "changes/xml/products.xml:11: changeset `products-1::shop`",
            "changes/xml/products.xml:38: changeset `products-2::shop`",
            "changes/xml/products.xml:95: changeset `products-5::shop`",
            "changes/xml/orders.xml:11: changeset `orders-1::shop`",
        ],
        "{}",
        run.stderr
    );
    run.assert_stderr_contains("validators from 5.0");
    // The same through the environment and liquibase.properties, as every setting.
    let env = {
        let mut command = std::process::Command::new(crate::support::cli::binary());
        command
            .current_dir(p.dir.path())
            .args(["validate", "--changelog-file", "changelog.xml"])
            .env("LIQUIBASE_PLATFORM", "ferretdb")
            .env_remove("LIQUIBASE_COMMAND_URL");
        Run::of(command.output().expect("lbmongo can be started"))
    };
    assert_eq!(findings(&env.failed()), FERRETDB_FINDINGS);
    p.write("liquibase.properties", "platform: cosmosdb\n");
    let cosmos = p
        .run_offline(&["validate", "--changelog-file", "changelog.xml"])
        .failed();
    cosmos.assert_stderr_contains("Azure Cosmos DB cannot run");
    cosmos.assert_stderr_contains("Azure Cosmos DB's only TTL index is on `_ts`");
    std::fs::remove_file(p.dir.path().join("liquibase.properties")).expect("remove");

    // MongoDB runs all of it; an unknown platform is a usage error.
    p.run_offline(&[
        "--platform",
        "mongodb",
        "validate",
        "--changelog-file",
        "changelog.xml",
    ])
    .ok()
    .assert_stderr_contains("every change can run on MongoDB");
    let bad = p.run_offline(&["--platform", "oracle", "validate"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    bad.assert_stderr_contains(
        "`--platform` must be mongodb, documentdb, cosmosdb, ferretdb or auto",
    );
}

#[test]
fn a_ferretdb_compatible_changelog_passes_the_preflight() {
    let p = project("ferret_preflight_ok");
    p.run_offline(&[
        "--platform",
        "ferretdb",
        "validate",
        "--changelog-file",
        "changelog.xml",
    ])
    .ok()
    .assert_stderr_contains("every change can run on FerretDB");
    p.run_changelog(&["validate"])
        .ok()
        .assert_stderr_contains("No validation errors found.");
    p.run_changelog(&["update-sql"])
        .ok()
        .assert_stdout_contains("createIndexes");
    p.run_changelog(&["update"]).ok();
    assert_shop_applied(&p);
}

#[test]
fn mongosh_scripts_and_formatted_changelogs_are_judged_by_their_commands() {
    let (_, db, url) =
        block_on(server_with(&ServerOptions::ferretdb()).fresh_db("ferret_preflight_scripts"));
    let p = Project::new(db, url);
    p.write(
        "changelog.xml",
        &xml(r#"
  <changeSet id="1" author="alice">
    <mongodb:createCollection collectionName="plain"/>
  </changeSet>
  <changeSet id="2" author="alice" runWith="mongosh">
    <mongodb:mongo>db.createCollection("people", { validator: { $jsonSchema: { required: ["name"] } } });</mongodb:mongo>
  </changeSet>
  <changeSet id="3" author="alice" runWith="mongosh">
    <mongodb:mongo>db.people.createIndex({ seen: 1 }, { expireAfterSeconds: 60 });</mongodb:mongo>
  </changeSet>
"#),
    );
    let run = p.run_changelog(&["update"]).failed();
    assert_eq!(
        findings_in(&run, "changelog.xml"),
        [
            "changelog.xml:12: changeset `2::alice`",
            "changelog.xml:15: changeset `3::alice`",
        ],
        "{}",
        run.stderr
    );
    run.assert_stderr_contains("mongo (`create` `people`): a validator");
    run.assert_stderr_contains("mongo (`createIndexes` `people`): a TTL index");
    assert_eq!(block_on(p.collections()), Vec::<String>::new());

    // A formatted mongosh changelog: the same statements, the same findings.
    p.write(
        "changelog.js",
        "// liquibase formatted mongodb\n\n\
         // changeset alice:1 runWith:mongosh\n\
         db.createCollection(\"people\", { validator: { $jsonSchema: { required: [\"name\"] } } });\n",
    );
    let js = p
        .run(&["update", "--changelog-file", "changelog.js"])
        .failed();
    js.assert_stderr_contains(
        "changelog.js:3: changeset `1::alice`: mongo (`create` `people`): a validator",
    );
    assert_eq!(block_on(p.collections()), Vec::<String>::new());
}

/// The findings of a refused run in `file`, as [`findings`] reads them.
fn findings_in(run: &Run, file: &str) -> Vec<String> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with(&format!("  {file}:")))
        .map(|l| {
            let end = l.find("`: ").expect("a finding names its changeset") + 1;
            l[2..end].to_owned()
        })
        .collect()
}

#[test]
fn an_explicit_platform_mongodb_skips_the_preflight() {
    // The user vouches for the server: the changes are sent and FerretDB's own refusal comes
    // back at the first changeset it cannot run.
    let p = examples_on_ferretdb("ferret_preflight_skip");
    let run = p
        .run_changelog(&["--platform", "mongodb", "update"])
        .failed();
    assert!(!run.stderr.contains("cannot run"), "{}", run.stderr);
    run.assert_stderr_contains("customers-1::shop");
    run.assert_stderr_contains("not implemented");
    // The tracking collections keep FerretDB's defaults (no validators), so they were created.
    let collections = block_on(p.collections());
    assert!(
        collections.contains(&"DATABASECHANGELOG".to_owned()),
        "{collections:?}"
    );
}

#[test]
fn an_explicit_platform_brings_its_defaults_and_its_preflight() {
    // SecantusDB named FerretDB: FerretDB's defaults (no tracking validators) and its preflight.
    let (_, db, url) = block_on(server().fresh_db("secantus_as_ferretdb"));
    let p = Project::new(db, url);
    p.write("changelog.xml", &xml(SHOP));
    let run = p
        .run_changelog(&["--platform", "ferretdb", "--output", "json", "update"])
        .ok();
    let report = json(&run);
    assert_eq!(report["platform"]["name"], "ferretdb");
    assert_eq!(report["platform"]["trackingValidators"], false);
    assert_shop_applied(&p);

    let (_, db, url) = block_on(server().fresh_db("secantus_as_ferretdb_examples"));
    let examples = Project::new(db, url);
    with_examples(&examples);
    let refused = examples
        .run_changelog(&["--platform", "ferretdb", "update"])
        .failed();
    assert_eq!(findings(&refused), FERRETDB_FINDINGS, "{}", refused.stderr);
    assert_eq!(block_on(examples.collections()), Vec::<String>::new());
}
