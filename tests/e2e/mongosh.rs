//! `mongo` / `mongoFile` changes and formatted `.js` changelogs, through mongosh and natively.
//!
//! mongosh is npm `mongosh@2.12.0`, installed from its committed lockfile by
//! `scripts/install-node-tools.sh mongosh` into the git-ignored `.cache/npm/mongosh` (the tests
//! install it on first use when `make test` has not). Each
//! mongosh process takes about a second to start, so the equivalence test runs its scripts
//! through one process and the CLI tests keep their changelogs short.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt as _;
use mongodb::Client;
use mongodb::bson::{Bson, Document, doc};

use executor::changelog::ChangeSetId;
use executor::internals::{self as mongosh, Run, subset};
use executor::{Connection, ConnectionOptions};
use executor::{MongoshOptions, NativeMode};

use crate::commands::xml;
use crate::support::cli::{self, Project, binary};
use crate::support::{block_on, db_name, repo_root, server};

/// The pinned mongosh, installed on first use.
pub(crate) fn mongosh_bin() -> &'static Path {
    static BIN: LazyLock<PathBuf> = LazyLock::new(|| {
        let root = repo_root();
        let bin = root.join(".cache/npm/mongosh/node_modules/.bin/mongosh");
        if !bin.is_file() {
            let status = Command::new("bash")
                .arg(root.join("scripts/install-node-tools.sh"))
                .arg("mongosh")
                .status()
                .expect("bash can run scripts/install-node-tools.sh");
            assert!(
                status.success(),
                "installing mongosh 2.12.0 with npm failed"
            );
        }
        assert!(bin.is_file(), "no mongosh at `{}`", bin.display());
        bin
    });
    &BIN
}

fn project(test: &str) -> Project {
    let (_, db, url) = block_on(server().fresh_db(test));
    Project::new(db, url)
}

/// A project whose `changelog.js` is a formatted changelog (`// liquibase formatted mongodb`) of
/// `changesets`.
fn js_project(test: &str, changesets: &str) -> Project {
    let p = project(test);
    p.write(
        "changelog.js",
        &format!("// liquibase formatted mongodb\n{changesets}"),
    );
    p
}

fn path_arg() -> String {
    mongosh_bin().display().to_string()
}

/// Runs `lbmongo <args> --changelog-file changelog.js`.
fn run_js(p: &Project, args: &[&str]) -> cli::Run {
    p.run(&[args, &["--changelog-file", "changelog.js"]].concat())
}

/// Runs `lbmongo <args>` on `changelog.xml` twice, both to succeed: on `through_mongosh` with every
/// script sent to the pinned mongosh, and on `native` with every script run natively and no
/// mongosh anywhere (a path that does not exist), so nothing can fall back to it. Returns the
/// mongosh run.
fn run_through_mongosh_and_natively(
    through_mongosh: &Project,
    native: &Project,
    args: &[&str],
) -> cli::Run {
    let mongosh_path = path_arg();
    let only_mongosh = ["--mongosh-native", "never", "--mongosh-path", &mongosh_path];
    let only_native = [
        "--mongosh-native",
        "always",
        "--mongosh-path",
        "/nonexistent/mongosh",
    ];
    let run = through_mongosh
        .run_changelog(&[args, &only_mongosh].concat())
        .ok();
    native.run_changelog(&[args, &only_native].concat()).ok();
    run
}

/// A changelog holding every form: XML `mongo` and `mongoFile` (relative), YAML and JSON
/// `mongo`, and a formatted `.js` file with two changesets; rollbacks included.
fn write_all_forms(p: &Project) {
    p.write(
        "changelog.xml",
        &xml(
            r#"
  <changeSet id="1" author="alice" runWith="mongosh">
    <mongodb:mongo mongo='db.users.insertOne({name: "a"});'/>
    <rollback><mongodb:mongo mongo='db.users.deleteMany({name: "a"})'/></rollback>
  </changeSet>
  <changeSet id="2" author="alice" runWith="mongosh">
    <mongodb:mongoFile path="scripts/towns.js" relativeToChangelogFile="true"/>
    <rollback><mongodb:mongoFile path="scripts/towns-undo.js" relativeToChangelogFile="true"/></rollback>
  </changeSet>
  <include file="more.yaml" relativeToChangelogFile="true"/>
  <include file="more.json" relativeToChangelogFile="true"/>
  <include file="shop.js" relativeToChangelogFile="true"/>
"#,
        ),
    )
    .write(
        "scripts/towns.js",
        "// towns with an index\n\
         db.createCollection('towns', {validator: {$jsonSchema: {bsonType: 'object', required: ['name']}}});\n\
         db.towns.createIndex({name: 1}, {unique: true});\n\
         db.towns.insertMany([{name: 'Oslo', pop: 709000}, {name: 'Bergen', pop: NumberLong('291000')}]);\n",
    )
    .write("scripts/towns-undo.js", "db.towns.drop()\n")
    .write(
        "more.yaml",
        "databaseChangeLog:\n\
         \x20 - changeSet:\n\
         \x20     id: 3\n\
         \x20     author: bob\n\
         \x20     runWith: mongosh\n\
         \x20     changes:\n\
         \x20       - mongo:\n\
         \x20           mongo: \"db.towns.updateOne({name: 'Oslo'}, {$set: {capital: true}})\"\n\
         \x20     rollback:\n\
         \x20       - mongo:\n\
         \x20           mongo: \"db.towns.updateOne({name: 'Oslo'}, {$unset: {capital: ''}})\"\n",
    )
    .write(
        "more.json",
        r#"{"databaseChangeLog": [{"changeSet": {"id": "4", "author": "bob", "runWith": "mongosh",
            "changes": [{"mongo": {"mongo": "db.getSiblingDB('admin').runCommand({ping: 1}); db.towns.createIndex({pop: -1}, {name: 'pop_desc'})"}}],
            "rollback": [{"mongo": {"mongo": "db.towns.dropIndex('pop_desc')"}}]}}]}"#,
    )
    .write(
        "shop.js",
        "// liquibase formatted mongodb\n\
         \n\
         // changeset carol:5 runWith:mongosh labels:shop\n\
         // comment: orders and their index\n\
         db.createCollection(\"orders\");\n\
         db.orders.createIndex({customer: 1, at: -1}, {name: \"customer_at\"});\n\
         // rollback db.orders.drop();\n\
         \n\
         // changeset carol:6 runWith:mongosh\n\
         db.orders.insertOne({_id: 1, customer: \"a\", at: ISODate(\"2024-05-01T10:00:00Z\"), total: NumberDecimal(\"19.90\")});\n\
         // rollback db.orders.deleteOne({_id: 1});\n",
    );
}

/// What the changelog of [`write_all_forms`] leaves in a database.
async fn all_forms_state(
    p: &Project,
) -> (Vec<Document>, Vec<Document>, Vec<Document>, Vec<String>) {
    let users = p.find("users", doc! {}).await;
    let towns = p.find("towns", doc! { "name": 1 }).await;
    let orders = p.find("orders", doc! { "_id": 1 }).await;
    let mut indexes = Vec::new();
    for coll in ["towns", "orders"] {
        let mut cursor =
            p.db.collection::<Document>(coll)
                .list_indexes()
                .await
                .expect("list indexes");
        while let Some(ix) = cursor.try_next().await.expect("read indexes") {
            indexes.push(format!("{coll}.{}", ix.keys));
        }
    }
    indexes.sort();
    (users, towns, orders, indexes)
}

fn strip_ids(docs: &[Document]) -> Vec<Document> {
    docs.iter()
        .map(|d| {
            let mut d = d.clone();
            if matches!(d.get("_id"), Some(Bson::ObjectId(_))) {
                d.remove("_id");
            }
            d
        })
        .collect()
}

/// The history as `(id, md5sum, execType, description)`.
async fn history(p: &Project) -> Vec<(String, String, String, String)> {
    p.history()
        .await
        .iter()
        .map(|r| {
            let s = |k: &str| r.get_str(k).unwrap_or_default().to_owned();
            (s("id"), s("md5sum"), s("execType"), s("description"))
        })
        .collect()
}

#[test]
fn every_form_runs_through_mongosh_and_natively_with_the_same_result() {
    let through_mongosh = project("msh_forms_mongosh");
    let native = project("msh_forms_native");
    for p in [&through_mongosh, &native] {
        write_all_forms(p);
    }
    run_through_mongosh_and_natively(&through_mongosh, &native, &["update"])
        .assert_stderr_contains("Running Changeset: shop.js::6::carol");

    let (a, b) = block_on(async {
        (
            all_forms_state(&through_mongosh).await,
            all_forms_state(&native).await,
        )
    });
    assert_eq!(strip_ids(&a.0), [doc! { "name": "a" }]);
    assert_eq!(
        strip_ids(&a.1),
        [
            doc! { "name": "Bergen", "pop": 291_000_i64 },
            doc! { "name": "Oslo", "pop": 709_000, "capital": true },
        ]
    );
    assert_eq!(a.2.len(), 1);
    assert_eq!(a.2[0].get_str("customer"), Ok("a"));
    assert_eq!(
        a.3,
        [
            "orders.{ \"_id\": 1 }",
            "orders.{ \"customer\": 1, \"at\": -1 }",
            "towns.{ \"_id\": 1 }",
            "towns.{ \"name\": 1 }",
            "towns.{ \"pop\": -1 }",
        ]
    );
    assert_eq!(strip_ids(&a.0), strip_ids(&b.0));
    assert_eq!(strip_ids(&a.1), strip_ids(&b.1));
    assert_eq!(a.2, b.2);
    assert_eq!(a.3, b.3);

    // Same history either way; the mongo checksum is the one the Harness source documents for
    // this script (spec mongo §11.5).
    let (ha, hb) = block_on(async { (history(&through_mongosh).await, history(&native).await) });
    assert_eq!(ha, hb);
    assert_eq!(
        ha[0],
        (
            "1".to_owned(),
            "9:b37402c8254583df696fc006b3a4a8c4".to_owned(),
            "EXECUTED".to_owned(),
            "mongo".to_owned()
        )
    );
    assert_eq!(
        ha[1].3,
        "mongoFile DBMS_PROPERTY_NAME=dbms, PATH_PROPERTY_NAME=path, RELATIVE_TO_CHANGELOG_FILE_PROPERTY_NAME=relativeToChangelogFile, path=scripts/towns.js"
    );
    assert_eq!(
        ha.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
        ["1", "2", "3", "4", "5", "6"]
    );

    // Rolling everything back runs the rollback scripts, through mongosh and natively.
    run_through_mongosh_and_natively(
        &through_mongosh,
        &native,
        &["rollback-count", "--count", "6"],
    );
    for p in [&through_mongosh, &native] {
        block_on(async {
            assert_eq!(
                p.collections().await,
                ["DATABASECHANGELOG", "DATABASECHANGELOGLOCK", "users"]
            );
            assert!(p.find("users", doc! {}).await.is_empty());
            assert!(p.history().await.is_empty());
        });
    }
}

#[test]
fn auto_runs_subset_scripts_natively_and_sends_the_rest_to_mongosh() {
    let p = js_project(
        "msh_auto",
        "// changeset a:1 runWith:mongosh\n\
         db.c.insertOne({_id: 1})\n\
         // changeset a:2 runWith:mongosh\n\
         for (const i of [2, 3]) { db.c.insertOne({_id: i}); }\n\
         print('looped');\n",
    );
    // Without mongosh the update stops before the first changeset: the loop needs mongosh, and
    // the subset changeset before it does not run either (nothing half-run).
    let run = update_without_mongosh(&p);
    run.assert_stderr_contains("line 1, column 1: `for` is outside the native subset");

    // `update-sql` shows the lowered command of the subset changeset and the loop's script.
    let sql = run_js(&p, &["update-sql"]).ok();
    sql.assert_stdout_contains("for (const i of [2, 3])");

    // With mongosh and a log file, the loop runs through it.
    let log = p.dir.path().join("mongosh.log");
    let log_arg = log.display().to_string();
    run_js(
        &p,
        &[
            "update",
            "--mongosh-path",
            &path_arg(),
            "--mongosh-log-file",
            &log_arg,
        ],
    )
    .ok();
    assert_eq!(block_on(p.find("c", doc! { "_id": 1 })).len(), 3);
    let log = std::fs::read_to_string(&log).expect("the log file");
    assert!(
        log.contains("changeset changelog.js::2::a: mongosh exit code 0\nlooped\n"),
        "{log}"
    );
}

#[test]
fn update_sql_shows_lowered_commands_on_the_native_path_and_the_script_otherwise() {
    let p = js_project(
        "msh_update_sql",
        "// changeset a:1 runWith:mongosh\n\
         db.towns.createIndex({name: 1}, {unique: true}); db.getSiblingDB('elsewhere').x.drop()\n",
    );
    let native = run_js(&p, &["update-sql"]).ok();
    native.assert_stdout_contains("db.runCommand({\"createIndexes\": \"towns\", \"indexes\": [{\"unique\": true, \"name\": \"name_1\", \"key\": {\"name\": 1}}]});");
    native.assert_stdout_contains("db.getSiblingDB(\"elsewhere\").runCommand({\"drop\": \"x\"});");
    let scripted = run_js(&p, &["update-sql", "--mongosh-native", "never"]).ok();
    scripted.assert_stdout_contains(
        "db.towns.createIndex({name: 1}, {unique: true}); db.getSiblingDB('elsewhere').x.drop()",
    );
    assert!(
        !scripted.stdout.contains("\"createIndexes\": \"towns\""),
        "{}",
        scripted.stdout
    );
}

/// `update` of `changelog.js`, whose second changeset needs mongosh, with a mongosh path that
/// does not exist: refused before the first changeset with the path, the install hint and the
/// changeset that needs it, and nothing written to `c`.
#[track_caller]
fn update_without_mongosh(p: &Project) -> cli::Run {
    let run = run_js(p, &["update", "--mongosh-path", "/nonexistent/mongosh"]).failed();
    for expected in [
        "does not exist",
        "hint: install mongosh (`npm install -g mongosh`)",
        "nothing ran; 1 needs mongosh:\n  changeset `changelog.js::2::a`",
    ] {
        assert!(run.stderr.contains(expected), "{expected}:\n{}", run.stderr);
    }
    assert!(block_on(p.find("c", doc! { "_id": 1 })).is_empty());
    run
}

/// Two changesets: the first inside the subset, the second not. Before the preflight the first
/// ran and the update stopped at the second.
const ONE_IN_ONE_OUT: &str = "// changeset a:1 runWith:mongosh\n\
     db.c.insertOne({_id: 1});\n\
     // changeset a:2 runWith:mongosh\n\
     db.c.insertOne({_id: 2});\n\
     print('not in the subset');\n";

#[test]
fn always_refuses_a_script_outside_the_subset_before_any_changeset_runs() {
    let p = js_project("msh_always", ONE_IN_ONE_OUT);
    let run = run_js(
        &p,
        &[
            "update",
            "--mongosh-native",
            "always",
            "--mongosh-path",
            &path_arg(),
        ],
    )
    .failed();
    run.assert_stderr_contains("1 script is outside the native subset; nothing ran");
    run.assert_stderr_contains("changeset `changelog.js::2::a`: line 2, column 1");
    assert!(block_on(p.find("c", doc! {})).is_empty());
    assert!(block_on(p.history()).is_empty());
}

#[test]
fn a_missing_mongosh_fails_the_update_before_any_changeset_runs() {
    let p = js_project("msh_missing", ONE_IN_ONE_OUT);
    update_without_mongosh(&p);
    assert!(block_on(p.history()).is_empty());
    // With mongosh found, the same changelog runs: the first natively, the second through it.
    run_js(&p, &["update", "--mongosh-path", &path_arg()]).ok();
    assert_eq!(block_on(p.find("c", doc! { "_id": 1 })).len(), 2);
    assert_eq!(block_on(p.history()).len(), 2);
}

#[test]
fn a_failing_mongosh_script_names_the_changeset_and_quotes_mongosh() {
    let p = js_project(
        "msh_failure",
        "// changeset a:1 runWith:mongosh\n\
         db.c.insertOne({_id: 1}); db.c.insertOne({_id: 1});\n",
    );
    let run = run_js(
        &p,
        &[
            "update",
            "--mongosh-native",
            "never",
            "--mongosh-path",
            &path_arg(),
        ],
    )
    .failed();
    run.assert_stderr_contains("Migration failed for changeset changelog.js::1::a: mongosh exited with code 1; last lines of its output:");
    run.assert_stderr_contains("E11000");
    // The natively run equivalent fails the same way, naming the statement's line.
    let native = js_project(
        "msh_failure_native",
        "// changeset a:1 runWith:mongosh\n\
         db.c.insertOne({_id: 1});\n\
         db.c.insertOne({_id: 1});\n",
    );
    let run = run_js(&native, &["update"]).failed();
    run.assert_stderr_contains("line 2: `insert` failed: Command failed.");
    run.assert_stderr_contains("11000");
}

#[test]
fn a_script_over_its_timeout_is_stopped_and_leaves_no_files() {
    let p = js_project(
        "msh_timeout",
        "// changeset a:1 runWith:mongosh\n\
         const end = Date.now() + 20000; while (Date.now() < end) {}\n",
    );
    let tmp = tempfile::tempdir().expect("a temp dir");
    let tmp_arg = tmp.path().display().to_string();
    // Built before the clock starts: building can wait for other cargo runs.
    binary();
    let run = p
        .run_env(
            &[
                "update",
                "--changelog-file",
                "changelog.js",
                "--mongosh-path",
                &path_arg(),
                "--mongosh-timeout-seconds",
                "2",
            ],
            &[("TMPDIR", &tmp_arg)],
        )
        .failed();
    // The timeout's effect is asserted by the message below, not by wall time: a loaded CI
    // machine must not fail this test.
    run.assert_stderr_contains("mongosh did not finish within 2 s and was stopped");
    run.assert_stderr_contains("--mongosh-timeout-seconds");
    assert_eq!(
        std::fs::read_dir(tmp.path()).map(Iterator::count).ok(),
        Some(0)
    );
}

// -- equivalence: native and mongosh give the same database ------------------------------------

/// Scripts of the subset, each on collections of its own, that succeed. `@DB@` is the database
/// of the run and `@OTHER@` a second database of it (for `getSiblingDB`).
const SCRIPTS: &[&str] = &[
    // Collections and views.
    r#"db.createCollection("s01")"#,
    r#"db.createCollection("s02", {capped: true, size: 65536, max: 100})"#,
    r#"db.createCollection("s03", {validator: {$jsonSchema: {bsonType: "object", required: ["a"], properties: {a: {bsonType: "int"}}}}, validationLevel: "moderate", validationAction: "warn"})"#,
    r#"db.createCollection('s04', {capped: null, validator: {a: {$exists: true}}})"#,
    r#"db.s05.insertMany([{a: 1}, {a: 2}]); db.createView("s05v", "s05", [{$match: {a: {$gt: 1}}}, {$project: {_id: 0}}])"#,
    // Indexes.
    r#"db.s06.createIndex({a: 1}, {unique: true})"#,
    r#"db.s07.createIndex({a: 1, b: -1}); db.s07.createIndex({c: 1}, {name: "c_custom", sparse: true})"#,
    r#"db.s08.createIndex({a: 1}, {partialFilterExpression: {a: {$exists: true}}})"#,
    r#"db.s09.createIndex({at: 1}, {expireAfterSeconds: 3600})"#,
    r#"db.s10.createIndex({"$**": 1}, {wildcardProjection: {a: 1, b: 1}})"#,
    r#"db.s11.createIndex({loc: "2dsphere"})"#,
    r#"db.s12.createIndex({a: 1}, {hidden: true})"#,
    r#"db.s13.createIndexes([{a: 1}, {b: -1, c: 1}], {sparse: true})"#,
    r#"db.s14.createIndex({a: 1}); db.s14.dropIndex("a_1")"#,
    r#"db.s15.createIndex({a: 1, b: 1}); db.s15.createIndex({c: 1}); db.s15.dropIndex({a: 1, b: 1})"#,
    r#"db.s16.createIndex({a: 1}); db.s16.createIndex({b: 1}); db.s16.dropIndexes()"#,
    r#"db.s17.createIndex({a: 1}); db.s17.createIndex({b: 1}); db.s17.dropIndexes("a_1")"#,
    r#"db.s18.createIndex({"x.y": 1, z: -1.5})"#,
    // Documents: literals as mongosh serializes them.
    r#"db.s19.insertOne({_id: 1, int: 1, one: 1.0, big: 3000000000, frac: 0.25, neg: -7, negzero: -0, exp: 1e3, hex: 0xff, inf: Infinity, ninf: -Infinity, nan: NaN, max: 2147483647, over: 2147483648})"#,
    r#"db.s20.insertOne({_id: 1, iso: ISODate("2024-02-29T12:34:56.789Z"), isoDay: ISODate("2020-01-02"), isoCompact: ISODate("20200102T0304"), isoZone: ISODate("2020-01-02T03:04:05+05:30"), ms: new Date(1700000000000), day: new Date("2021-06-30"), full: new Date("2021-06-30T01:02:03.004Z"), zoned: new Date("2021-06-30T01:02:03-04:00")})"#,
    r#"db.s21.insertOne({_id: 1, long: NumberLong("9007199254740993"), longNum: NumberLong(42), int: NumberInt("7"), dec: NumberDecimal("123.4500"), ts: Timestamp({t: 1700000000, i: 3}), ts2: Timestamp(5, 6), uuid: UUID("3b241101-e2bb-4255-8caf-4136c566a962"), bin: BinData(0, "aGVsbG8="), min: MinKey(), max: MaxKey()})"#,
    r#"db.s22.insertOne({_id: 1, re: /^ab+c$/i, re2: /a\/b[/]c/m, re3: /x/})"#,
    r#"db.s23.insertOne({_id: 1, s: 'it\'s "quoted"', esc: "tab\there\nline\\back", uni: "\u00e9\u{1F600}😀", hexEsc: "\x41", cont: "a\
b", tpl: `template "literal"`, empty: ""})"#,
    r#"db.s24.insertOne({_id: 1, b: 1, 2: "two", a: 1, 1: "one", "10": "ten", b: 2, "01": "zero-one"})"#,
    r#"db.s25.insertOne({_id: 1, nested: {deep: {deeper: [1, [2, [3, {x: null}]]]}}, list: [], obj: {}, bools: [true, false]})"#,
    r#"db.s26.insertOne({_id: ObjectId("507f1f77bcf86cd799439011"), a: 1}); db.s26.insertOne({a: 2, _id: null}); db.s26.insertOne({a: 3})"#,
    r#"db.s27.insertMany([{_id: 1, a: 1}, {_id: 2, a: 2}, {a: 3}])"#,
    r#"db.s28.insertMany([{_id: 1}, {_id: 2}], {ordered: false, comment: "batch"})"#,
    // Updates and deletes.
    r#"db.s29.insertMany([{_id: 1, n: 1}, {_id: 2, n: 2}]); db.s29.updateOne({_id: 1}, {$set: {s: "x"}, $inc: {n: 10}})"#,
    r#"db.s30.updateOne({_id: 7}, {$set: {made: true}}, {upsert: true}); db.s30.updateOne({_id: 8}, {$setOnInsert: {x: 1}}, {upsert: false})"#,
    r#"db.s31.insertMany([{_id: 1, g: [1, 5, 9]}, {_id: 2, g: [3]}]); db.s31.updateMany({}, {$set: {"g.$[big]": 0}}, {arrayFilters: [{big: {$gte: 5}}]})"#,
    r#"db.s32.insertOne({_id: 1, a: 2, b: 3}); db.s32.updateOne({_id: 1}, [{$set: {sum: {$add: ["$a", "$b"]}}}, {$unset: "b"}])"#,
    r#"db.s33.insertOne({_id: 1, a: 1, b: 1}); db.s33.replaceOne({_id: 1}, {a: 2}); db.s33.replaceOne({_id: 2}, {a: 3}, {upsert: true})"#,
    r#"db.s34.insertMany([{_id: 1, k: "x"}, {_id: 2, k: "x"}, {_id: 3, k: "y"}, {_id: 4, k: "z"}]); db.s34.deleteOne({k: "x"}); db.s34.deleteMany({k: {$in: ["y", "z"]}})"#,
    r#"db.s35.createIndex({a: 1}); db.s35.insertMany([{_id: 1, a: 1}, {_id: 2, a: 1}]); db.s35.updateMany({a: 1}, {$set: {hinted: true}}, {hint: "a_1"})"#,
    r#"db.s36.insertMany([{_id: 1, n: 1}, {_id: 2, n: 2}]); db.s36.updateMany({$expr: {$eq: ["$n", "$$target"]}}, {$set: {hit: true}}, {let: {target: 2}})"#,
    // Dropping and renaming.
    r#"db.s37.insertOne({a: 1}); db.s37.drop(); db.s37never.drop()"#,
    r#"db.s38.insertOne({_id: 1}); db.s38.renameCollection("s38renamed")"#,
    r#"db.s39.insertOne({_id: 1}); db.s39target.insertOne({_id: 2}); db.s39.renameCollection("s39target", true)"#,
    // Commands.
    r#"db.createCollection("s40"); db.runCommand({collMod: "s40", validator: {n: {$type: "int"}}, validationLevel: "strict"})"#,
    r#"db.runCommand("ping"); db.runCommand({create: "s41", capped: true, size: 4096})"#,
    r#"db.s42.insertOne({_id: 1}); db.adminCommand({renameCollection: "@DB@.s42", to: "@DB@.s42moved"}); db.adminCommand("ping")"#,
    // Other databases, names and statement layout.
    r#"db.getSiblingDB("@OTHER@").s43.insertOne({_id: 1, a: 1}); db.getSiblingDB("@OTHER@").s43.createIndex({a: -1})"#,
    r#"db.getSiblingDB("@OTHER@").createCollection("s44", {capped: true, size: 8192}); db.getSiblingDB('@OTHER@').getCollection("s44").insertOne({_id: 1})"#,
    r#"db["s45-dashed"].insertOne({_id: 1}); db.s45.sub.insertOne({_id: 2}); db.getCollection("s45 spaced").insertOne({_id: 3}); db.getCollection("s45x").child.insertOne({_id: 4})"#,
    "// leading comment\ndb.s46.insertOne({_id: 1}) // trailing\n/* block\n comment */\ndb.s46\n  .insertOne({\n    _id: 2,\n    note: \"multi-line\", // inside\n  })\n;;\ndb.getCollection('s46')\n  .updateOne({_id: 1}, {$set: {seen: true}});",
    r#"db.createCollection("s47", {validator: {a: {$type: "string"}}}); db.s47.insertOne({_id: 1, a: 5}, {bypassDocumentValidation: true})"#,
    // Users and roles.
    r#"db.createRole({role: "s48reader", privileges: [{resource: {db: "@DB@", collection: "s48"}, actions: ["find"]}], roles: []}); db.createUser({user: "s48user", pwd: "s48-password", roles: [{role: "s48reader", db: "@DB@"}], customData: {team: "ops"}})"#,
];

/// Scripts that fail part-way (each is its own mongosh process): the statements before the
/// failing one ran, the ones after did not, in both paths.
const FAILING: &[&str] = &[
    r#"db.f01.insertMany([{_id: 1}, {_id: 1}, {_id: 2}])"#,
    r#"db.f02.insertMany([{_id: 1}, {_id: 1}, {_id: 2}], {ordered: false})"#,
    r#"db.f03.createIndex({a: 1}, {unique: true}); db.f03.insertOne({_id: 1, a: 1}); db.f03.insertOne({_id: 2, a: 1}); db.f03.insertOne({_id: 3, a: 2})"#,
    r#"db.createCollection("f04"); db.f04.insertOne({_id: 1}); db.f04.dropIndex("no_such_index"); db.f04.insertOne({_id: 2})"#,
];

fn fill(script: &str, db: &str, other: &str) -> String {
    script.replace("@DB@", db).replace("@OTHER@", other)
}

/// Replaces ObjectIds made during the test (by the driver, the server or `ObjectId()`), which
/// differ between the runs; the scripts' own ObjectIds are from 2012.
fn normalize(value: &Bson) -> Bson {
    match value {
        Bson::ObjectId(id) if id.timestamp().timestamp_millis() > 1_600_000_000_000 => {
            Bson::String("<generated ObjectId>".to_owned())
        }
        Bson::Document(d) => {
            Bson::Document(d.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        Bson::Array(items) => Bson::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

async fn cursor(client: &Client, db: &str, command: Document) -> Vec<Document> {
    client
        .database(db)
        .run_cursor_command(command)
        .await
        .unwrap_or_else(|e| panic!("cursor command on `{db}`: {e}"))
        .try_collect()
        .await
        .expect("read the cursor")
}

/// Everything the scripts can change in `db`, one typed (`Debug`) line per item, with the run's
/// database names replaced so that two runs compare.
async fn snapshot(client: &Client, db: &str, names: &[(&str, &str)]) -> BTreeSet<String> {
    let mut lines = Vec::new();
    for spec in cursor(client, db, doc! { "listCollections": 1 }).await {
        let name = spec.get_str("name").expect("a name").to_owned();
        let kind = spec.get_str("type").unwrap_or("collection").to_owned();
        let options = spec.get_document("options").cloned().unwrap_or_default();
        lines.push(format!("collection {name} {kind} {options:?}"));
        if kind != "collection" {
            continue;
        }
        for mut index in cursor(client, db, doc! { "listIndexes": &name }).await {
            index.remove("ns");
            lines.push(format!("index {name} {index:?}"));
        }
        let docs: Vec<Document> = client
            .database(db)
            .collection::<Document>(&name)
            .find(doc! {})
            .await
            .expect("find")
            .try_collect()
            .await
            .expect("read documents");
        for d in docs {
            lines.push(format!(
                "document {name} {:?}",
                normalize(&Bson::Document(d))
            ));
        }
    }
    let users = client
        .database(db)
        .run_command(doc! { "usersInfo": 1 })
        .await
        .expect("usersInfo");
    for user in users.get_array("users").into_iter().flatten() {
        let user = user.as_document().expect("a user document");
        let keep: Document = ["user", "db", "roles", "customData", "mechanisms"]
            .iter()
            .filter_map(|k| user.get(*k).map(|v| ((*k).to_owned(), v.clone())))
            .collect();
        lines.push(format!("user {keep:?}"));
    }
    let roles = client
        .database(db)
        .run_command(doc! { "rolesInfo": 1, "showPrivileges": true })
        .await
        .expect("rolesInfo");
    for role in roles.get_array("roles").into_iter().flatten() {
        let role = role.as_document().expect("a role document");
        let keep: Document = ["role", "db", "privileges", "roles"]
            .iter()
            .filter_map(|k| role.get(*k).map(|v| ((*k).to_owned(), v.clone())))
            .collect();
        lines.push(format!("role {keep:?}"));
    }
    lines
        .into_iter()
        .map(|mut line| {
            for (name, placeholder) in names {
                line = line.replace(name, placeholder);
            }
            line
        })
        .collect()
}

fn mongosh_options() -> MongoshOptions {
    MongoshOptions {
        path: Some(mongosh_bin().to_owned()),
        native: NativeMode::Never,
        ..MongoshOptions::default()
    }
}

#[test]
fn subset_scripts_give_the_same_database_natively_and_through_mongosh() {
    assert!(SCRIPTS.len() + FAILING.len() >= 40);
    let (native_db, native_other) = (db_name("msh_eq_native"), db_name("msh_eq_native_o"));
    let (shell_db, shell_other) = (db_name("msh_eq_mongosh"), db_name("msh_eq_mongosh_o"));
    let id = ChangeSetId {
        path: "equivalence.js".into(),
        id: "1".into(),
        author: "test".into(),
    };
    block_on(async {
        let url = server().uri_for(&native_db);
        let native = Connection::open(&ConnectionOptions {
            url: url.clone(),
            ..ConnectionOptions::default()
        })
        .await
        .expect("connect");
        let mut failures = Vec::new();
        for script in SCRIPTS {
            let script = fill(script, &native_db, &native_other);
            match subset::lower_script(&script, &native_db) {
                Err(e) => failures.push(format!("outside the subset: {e}\n  {script}")),
                Ok(steps) => {
                    if let Err(e) = mongosh::run_native(&native, &steps).await {
                        failures.push(format!("native run failed: {e}\n  {script}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        for script in FAILING {
            let script = fill(script, &native_db, &native_other);
            let steps = subset::lower_script(&script, &native_db)
                .unwrap_or_else(|e| panic!("outside the subset: {e}\n{script}"));
            assert!(
                mongosh::run_native(&native, &steps).await.is_err(),
                "native run should fail: {script}"
            );
        }

        // Every succeeding script through one mongosh process, each failing one through its own.
        let options = mongosh_options();
        let shell_url = server().uri_for(&shell_db);
        let batch: Vec<String> = SCRIPTS
            .iter()
            .map(|s| fill(s, &shell_db, &shell_other))
            .collect();
        let batch = batch.join("\n;\n");
        mongosh::run_script(
            &options,
            &Run {
                url: &shell_url,
                script: &batch,
                id: &id,
                native_refusal: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("mongosh run failed: {e}"));
        for script in FAILING {
            let script = fill(script, &shell_db, &shell_other);
            let run = Run {
                url: &shell_url,
                script: &script,
                id: &id,
                native_refusal: None,
            };
            assert!(
                mongosh::run_script(&options, &run).await.is_err(),
                "mongosh run should fail: {script}"
            );
        }

        let client = &native.client;
        let native_names = [
            (native_other.as_str(), "<other>"),
            (native_db.as_str(), "<db>"),
        ];
        let shell_names = [
            (shell_other.as_str(), "<other>"),
            (shell_db.as_str(), "<db>"),
        ];
        for (a, b) in [(&native_db, &shell_db), (&native_other, &shell_other)] {
            let native_state = snapshot(client, a, &native_names).await;
            let shell_state = snapshot(client, b, &shell_names).await;
            let only_native: Vec<&String> = native_state.difference(&shell_state).collect();
            let only_shell: Vec<&String> = shell_state.difference(&native_state).collect();
            assert!(
                only_native.is_empty() && only_shell.is_empty(),
                "native and mongosh differ in `{a}`/`{b}`\n--- only native:\n{}\n--- only mongosh:\n{}",
                only_native
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                only_shell
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            assert!(
                native_state.len() > 10 || a == &native_other,
                "{native_state:?}"
            );
        }
    });
}

// -- credentials and temp files ----------------------------------------------------------------

/// The password of the `--auth` server's user: characters that need encoding in a URL (no
/// space: the Rust driver reads a form-encoded `+` as a plus).
const PASSWORD: &str = "Msh:s3cr%t@p/x!";

/// Every spelling of [`PASSWORD`] that could leak: as is, and form-/percent-encoded as it goes
/// into the URL.
const PASSWORD_FORMS: &[&str] = &[
    "Msh:s3cr%t@p/x!",
    "Msh%3As3cr%25t%40p%2Fx%21",
    "s3cr%t",
    "s3cr%25t",
];

/// The processes whose command line or environment holds a form of the password, and the
/// command lines of the mongosh processes seen.
fn scan_processes() -> (Vec<String>, Vec<String>) {
    let mut leaks = Vec::new();
    let mut mongosh = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return (leaks, mongosh);
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let read = |file: &str| {
            std::fs::read(entry.path().join(file))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default()
        };
        let cmdline = read("cmdline");
        let environ = read("environ");
        for form in PASSWORD_FORMS {
            if cmdline.contains(form) {
                leaks.push(format!("pid {pid} argv: {cmdline}"));
            }
            if environ.contains(form) {
                leaks.push(format!("pid {pid} environment holds `{form}` ({cmdline})"));
            }
        }
        if cmdline.contains("mongosh") && cmdline.contains("--nodb") {
            mongosh.push(cmdline);
        }
    }
    (leaks, mongosh)
}

/// Modes of the entries of `tmp` (the run's private directory and its files).
fn temp_modes(tmp: &Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut out = Vec::new();
    for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let mode = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.permissions().mode() & 0o777);
        out.push((
            entry.file_name().to_string_lossy().into_owned(),
            mode(&entry.path()),
        ));
        for inner in std::fs::read_dir(entry.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push((
                format!(
                    "{}/{}",
                    entry.file_name().to_string_lossy(),
                    inner.file_name().to_string_lossy()
                ),
                mode(&inner.path()),
            ));
        }
    }
    out
}

fn files_containing(dir: &Path, needles: &[&str]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                let text = String::from_utf8_lossy(&bytes);
                if needles.iter().any(|n| text.contains(n)) {
                    hits.push(path);
                }
            }
        }
    }
    hits
}

#[test]
fn the_password_never_reaches_argv_or_an_environment_and_no_temp_file_survives() {
    use crate::support::own_server::OwnServer;
    let own = OwnServer::start_with_root_user(PASSWORD, "serverSelectionTimeoutMS=5000");

    let project = tempfile::tempdir().expect("a project folder");
    let home = tempfile::tempdir().expect("a HOME for mongosh's own files");
    let tmp = tempfile::tempdir().expect("a TMPDIR for the run");
    // Credentials come from the defaults file, so neither lbmongo's argv nor its environment
    // holds them either.
    std::fs::write(
        project.path().join("liquibase.properties"),
        format!(
            "url: {}\nusername: root\npassword: {PASSWORD}\n",
            own.uri("mshauth", "authSource=admin&serverSelectionTimeoutMS=5000")
        ),
    )
    .expect("write liquibase.properties");
    // Outside the native subset, and slow enough to be watched.
    std::fs::write(
        project.path().join("changelog.js"),
        "// liquibase formatted mongodb\n\
         // changeset a:1 runWith:mongosh\n\
         const until = Date.now() + 4000; while (Date.now() < until) {}\n\
         db.slow.insertOne({done: true});\n",
    )
    .expect("write the changelog");

    let mut child: Child = Command::new(binary())
        .current_dir(project.path())
        .args([
            "update",
            "--changelog-file",
            "changelog.js",
            "--mongosh-path",
        ])
        .arg(mongosh_bin())
        .env_remove("LIQUIBASE_COMMAND_URL")
        .env("HOME", home.path())
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lbmongo starts");
    let mut leaks = BTreeSet::new();
    let mut mongosh_seen = Vec::new();
    let mut modes = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        let (found, mongosh) = scan_processes();
        leaks.extend(found);
        if !mongosh.is_empty() {
            if modes.is_empty() {
                modes = temp_modes(tmp.path());
            }
            mongosh_seen.extend(mongosh);
        }
        if let Some(status) = child.try_wait().expect("poll lbmongo") {
            break status;
        }
        assert!(Instant::now() < deadline, "lbmongo did not finish");
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = child.wait_with_output().expect("lbmongo output");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(status.success(), "{stderr}\n{}", own.log());

    assert!(
        leaks.is_empty(),
        "the password leaked:\n{}",
        leaks.into_iter().collect::<Vec<_>>().join("\n")
    );
    assert!(!mongosh_seen.is_empty(), "mongosh was never seen running");
    for cmdline in &mongosh_seen {
        assert!(
            !cmdline.contains("mongodb://"),
            "a connection string on mongosh's command line: {cmdline}"
        );
    }
    // While mongosh ran: one private directory holding the connect and script files.
    let expected_modes: Vec<u32> = modes.iter().map(|(_, m)| *m).collect();
    assert_eq!(modes.len(), 3, "{modes:?}");
    assert_eq!(expected_modes, [0o700, 0o600, 0o600], "{modes:?}");
    assert!(
        modes.iter().any(|(n, _)| n.ends_with("/connect.js")),
        "{modes:?}"
    );
    // Afterwards: nothing left in TMPDIR, and nothing anywhere in mongosh's HOME (its logs) or
    // the project holds the password.
    assert_eq!(
        std::fs::read_dir(tmp.path()).map(Iterator::count).ok(),
        Some(0)
    );
    assert_eq!(
        files_containing(home.path(), &PASSWORD_FORMS[1..]),
        Vec::<PathBuf>::new()
    );
    assert!(!stderr.contains("s3cr"), "{stderr}");

    let done = block_on(async {
        let root = Client::with_uri_str(
            own.uri("admin", "authSource=admin&serverSelectionTimeoutMS=5000")
                .replacen("mongodb://", "mongodb://root:Msh%3As3cr%25t%40p%2Fx%21@", 1),
        )
        .await
        .expect("a root client");
        root.database("mshauth")
            .collection::<Document>("slow")
            .count_documents(doc! { "done": true })
            .await
            .expect("count")
    });
    assert_eq!(done, 1);
}
