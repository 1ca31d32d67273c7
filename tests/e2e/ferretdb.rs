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

/// The racing changelog: `begin` and `end` run on every update (`runAlways`) and stamp, with
/// the server's clock, when the runner `${runner}` (a `-D` property) was inside the lock; the
/// changesets between run once and insert `{ n: <id> }` with no `_id` of their own, so a
/// changeset that ran twice leaves two documents.
fn racing_changelog(once: usize) -> String {
    let stamp = |id: &str, field: &str| {
        format!(
            r#"<changeSet id="{id}" author="race" runAlways="true"><mongodb:runCommand><mongodb:command>{{ update: "holds", updates: [{{ q: {{ runner: "${{runner}}" }}, u: {{ $currentDate: {{ {field}: true }} }}, upsert: true }}] }}</mongodb:command></mongodb:runCommand></changeSet>
"#
        )
    };
    let middle: String = (1..=once)
        .map(|i| {
            format!(
                r#"<changeSet id="{i}" author="race"><mongodb:insertOne collectionName="items"><mongodb:document>{{ n: {i} }}</mongodb:document></mongodb:insertOne></changeSet>
"#
            )
        })
        .collect();
    xml(&format!(
        "{}{middle}{}",
        stamp("begin", "begin"),
        stamp("end", "end")
    ))
}

/// FerretDB v1 runs a conditional update as a read then a write, so the official extension's
/// lock (an update conditioned on `locked: false`) had several holders at once there (issue 13).
/// lbmongo takes it there through claims, inserts on the unique `_id`: 8 racing `lbmongo update`,
/// 10 times on a fresh database, each apply every changeset exactly once, every runner's stay
/// inside the lock (from its `begin` stamp to its `end` stamp) is disjoint from the others', and
/// the lock is free at the end.
#[test]
fn eight_racing_updates_on_ferretdb_hold_the_lock_one_at_a_time() {
    use crate::concurrency::{Racer, lbmongo};
    const RUNNERS: usize = 8;
    const ONCE: usize = 5;
    for repetition in 1..=10 {
        let (_, db, url) = block_on(
            server_with(&ServerOptions::ferretdb()).fresh_db(&format!("ferret_race_{repetition}")),
        );
        let p = Project::new(db, url);
        p.write("changelog.xml", &racing_changelog(ONCE));
        let racers: Vec<Racer> = (1..=RUNNERS)
            .map(|i| {
                let command = lbmongo(&p, &["update", &format!("-Drunner={i}")]);
                Racer::start(&format!("lbmongo {i}"), command)
            })
            .collect();
        let runs: Vec<(String, Run)> = racers.into_iter().map(Racer::finish).collect();
        for (name, run) in &runs {
            assert_eq!(
                run.code, 0,
                "repetition {repetition}: {name} failed\n--- stdout\n{}\n--- stderr\n{}",
                run.stdout, run.stderr
            );
        }
        let items: Vec<i32> = block_on(p.find("items", doc! { "n": 1 }))
            .iter()
            .map(|d| d.get_i32("n").expect("an int n"))
            .collect();
        let expected: Vec<i32> = (1..=i32::try_from(ONCE).expect("small")).collect();
        assert_eq!(
            items, expected,
            "repetition {repetition}: each changeset ran once"
        );
        let mut stays: Vec<(i64, i64, String)> = block_on(p.find("holds", doc! {}))
            .iter()
            .map(|d| {
                let at = |f: &str| {
                    d.get_datetime(f)
                        .unwrap_or_else(|_| panic!("repetition {repetition}: no `{f}` in {d}"))
                        .timestamp_millis()
                };
                (
                    at("begin"),
                    at("end"),
                    d.get_str("runner").unwrap_or("?").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            stays.len(),
            RUNNERS,
            "repetition {repetition}: every runner held the lock"
        );
        stays.sort();
        for pair in stays.windows(2) {
            assert!(
                pair[1].0 >= pair[0].1,
                "repetition {repetition}: runners {} and {} held the lock at once: {stays:?}",
                pair[0].2,
                pair[1].2
            );
        }
        let history = block_on(p.history());
        assert_eq!(
            history.len(),
            ONCE + 2,
            "repetition {repetition}: {history:?}"
        );
        let locks = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
        assert_eq!(
            locks.len(),
            1,
            "repetition {repetition}: no claim left: {locks:?}"
        );
        assert_eq!(locks[0].get_bool("locked"), Ok(false), "the lock is free");
        assert_eq!(
            locks[0].keys().map(String::as_str).collect::<Vec<_>>(),
            ["_id", "lockGranted", "lockedBy", "locked"],
            "a released lock has Liquibase's four fields"
        );
    }
}

/// FerretDB v1 closes the connection instead of answering an insert of a Decimal128 value: the
/// error says so in words, names the changeset and gives a hint (never the rerun advice of
/// `mark-next-changeset-ran`), nothing is recorded for the changeset, and the lock is released
/// on the driver's next connection.
#[test]
fn a_connection_closed_by_ferretdb_names_the_changeset_and_releases_the_lock() {
    let p = project("ferret_decimal");
    p.write(
        "changelog.xml",
        &xml(r#"
  <changeSet id="1" author="alice">
    <mongodb:createCollection collectionName="prices"/>
  </changeSet>
  <changeSet id="2" author="alice">
    <mongodb:insertOne collectionName="prices">
      <mongodb:document>{ sku: "a", price: NumberDecimal("9.99") }</mongodb:document>
    </mongodb:insertOne>
  </changeSet>
"#),
    );
    // The preflight names Decimal128 on FerretDB before anything runs; `--platform mongodb`
    // vouches for the server, so what is tested here is its own answer at the changeset's turn.
    let run = p
        .run_changelog(&["--platform", "mongodb", "update"])
        .failed();
    run.assert_stderr_contains(
        "error: Migration failed for changeset changelog.xml::2::alice: the server closed the \
         connection while running changeset changelog.xml::2::alice (",
    );
    run.assert_stderr_contains("hint: the server ended the connection instead of answering");
    assert!(
        !run.stderr.contains("mark-next-changeset-ran") && !run.stderr.contains("RawDocumentBuf"),
        "{}",
        run.stderr
    );
    assert_eq!(block_on(p.history_ids()), ["1"]);
    let locks = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(
        locks[0].get_bool("locked"),
        Ok(false),
        "the lock is released"
    );
}

/// What a process killed between its claim and its write leaves on FerretDB: the lock document
/// as it was, and a claim of that state (made here by hand, as the engine writes one: keyed by
/// the document's content). The claim holds the lock: an update waits and names the dead
/// claimer; `release-locks` frees it; and with a lease, an expired claim is claimed over.
#[test]
fn a_claim_left_by_a_killed_process_holds_the_lock_until_release_locks_or_its_lease_ends() {
    use mongodb::bson::DateTime;
    let p = project("ferret_dead_claim");
    p.run_changelog(&["update"]).ok();
    let dead_claim = |expires: Option<DateTime>| {
        let lock = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
        assert_eq!(lock.len(), 1, "{lock:?}");
        let mut claim = doc! {
            "_id": 7,
            "lockGranted": DateTime::now(),
            "lockedBy": "dead-host (10.0.0.9)",
            "locked": false,
            "claimOf": executor::internals::to_relaxed_json(&lock[0]),
            "claimGeneration": 0,
            "leaseOwner": "dead-host:1:0:0",
        };
        if let Some(at) = expires {
            claim.insert("expiresAt", at);
        }
        block_on(
            p.db.collection::<Document>("DATABASECHANGELOGLOCK")
                .insert_one(claim),
        )
        .expect("leave a claim behind");
    };
    let update_now = |extra: &[&str]| {
        p.run_changelog_env(
            &[&["update"], extra].concat(),
            &[("LIQUIBASE_CHANGELOG_LOCK_WAIT_TIME_IN_MINUTES", "0")],
        )
    };
    dead_claim(None);
    update_now(&[])
        .failed()
        .assert_stderr_contains("Currently locked by dead-host (10.0.0.9)");
    // Liquibase's view: one lock document, free; the claim is not a lock of its own.
    let locks = p.run(&["list-locks"]).ok();
    assert!(!locks.stdout.contains("dead-host"), "{}", locks.stdout);
    p.run(&["release-locks"]).ok();
    update_now(&[]).ok();

    // With a lease: a claim whose lease ended is claimed over.
    let expired = DateTime::from_millis(DateTime::now().timestamp_millis() - 60_000);
    dead_claim(Some(expired));
    update_now(&[])
        .failed()
        .assert_stderr_contains("Currently locked by dead-host (10.0.0.9)");
    update_now(&["--lock-lease-seconds", "5"]).ok();
    let locks = block_on(p.find("DATABASECHANGELOGLOCK", doc! {}));
    assert_eq!(locks.len(), 1, "the claims are gone: {locks:?}");
    assert_eq!(locks[0].get_bool("locked"), Ok(false));
}
