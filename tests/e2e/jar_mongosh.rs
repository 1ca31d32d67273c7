//! `mongo` / `mongoFile` changes and formatted `.js` changelogs through real Liquibase with the
//! `lbmongo-liquibase` jar: natively (lbmongo's shell subset) and through the pinned mongosh, on
//! core 4.33.0 and in the `lib/` folder of the npm `liquibase@4.28.1` distribution.
//!
//! As in `jar.rs`, the history Liquibase + jar writes must equal lbmongo's for the same project
//! field by field (bar `_id`, `dateExecuted`, `deploymentId` and the `liquibase` version), and
//! each tool reads the other's database as up to date. A JVM start costs seconds, so each test
//! runs few Liquibase commands and the lbmongo side runs beside it.

use std::path::Path;
use std::process::{Command, Stdio};

use mongodb::Database;
use mongodb::bson::{Document, doc};

use crate::commands::xml;
use crate::jar::{
    LIQUIBASE, assert_same_history, db, find, history, repo_root, run_of, setup, up_to_date,
};
use crate::mongosh::mongosh_bin;
use crate::support::block_on;
use crate::support::cli::{Project, Run};

/// `scripts/liquibase.sh --core <core> --ext <our jar> --changelog-file=… --url=… <args>` in
/// `dir`, with `env` (the `LIQUIBASE_MONGODB_MONGOSH_*` settings).
fn liquibase(
    dir: &Path,
    core: &str,
    changelog: &str,
    url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    setup("scripts/install-liquibase.sh", &LIQUIBASE);
    let mut command = Command::new("bash");
    command
        .arg(repo_root().join("scripts/liquibase.sh"))
        .args(["--core", core, "--ext"])
        .arg(crate::jar::ext_dir())
        .arg(format!("--changelog-file={changelog}"))
        .arg(format!("--url={url}"))
        .args(args)
        .current_dir(dir)
        .env("LIQUIBASE_ANALYTICS_ENABLED", "false")
        // cargo test puts target/*/deps on LD_LIBRARY_PATH, which the JVM searches before the
        // jar: drop it so the jar's own library is tested.
        .env_remove("LD_LIBRARY_PATH")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    run_of(command.output().expect("bash can be started"))
}

/// The documents of `collection` without server-generated `_id`s.
fn data(db: &Database, collection: &str, sort: Document) -> Vec<Document> {
    block_on(find(db, collection, sort))
        .into_iter()
        .map(|mut d| {
            if matches!(d.get("_id"), Some(mongodb::bson::Bson::ObjectId(_))) {
                d.remove("_id");
            }
            d
        })
        .collect()
}

/// The same project files in `to`, which runs lbmongo on another database.
fn copy_files(from: &Project, to: &Project, files: &[&str]) {
    for file in files {
        let text =
            std::fs::read_to_string(from.dir.path().join(file)).expect("read a project file");
        to.write(file, &text);
    }
}

/// XML `mongo` (attribute and element text with a `${}` property), `mongoFile` (relative, with
/// a property in the file) and an included formatted `.js` changelog, all inside the subset.
fn write_native_project(p: &Project) {
    p.write(
        "changelog.xml",
        &xml(r#"  <property name="who" value="ada"/>
  <changeSet id="1" author="alice" runWith="mongosh">
    <mongodb:mongo mongo='db.users.insertOne({name: "a"});'/>
    <rollback><mongodb:mongo mongo='db.users.deleteMany({name: "a"})'/></rollback>
  </changeSet>
  <changeSet id="2" author="alice" runWith="mongosh">
    <mongodb:mongoFile path="scripts/towns.js" relativeToChangelogFile="true"/>
  </changeSet>
  <changeSet id="3" author="bob" runWith="mongosh" context="dev" labels="Geo,Seed">
    <comment>the text form, with a property</comment>
    <mongodb:mongo>db.users.insertOne({name: "${who}", tags: ["ünï", "😀"]})</mongodb:mongo>
  </changeSet>
  <include file="shop.js" relativeToChangelogFile="true"/>
"#),
    )
    .write(
        "scripts/towns.js",
        "// towns with an index\n\
         db.createCollection('towns');\n\
         db.towns.createIndex({name: 1}, {unique: true, name: 'ui_name'});\n\
         db.towns.insertMany([{name: 'Oslo', by: '${who}'}, {name: 'Bergen', pop: NumberLong('291000')}]);\n",
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
         // changeset carol:6 runWith:mongosh context:dev\n\
         db.orders.insertOne({_id: 1, customer: \"a\", total: NumberDecimal(\"19.90\")});\n",
    );
}

/// Liquibase 4.33 + jar and lbmongo apply the same project natively (mongosh is a path that
/// does not exist, and `always` forbids it anyway): equal histories and data; lbmongo reads the
/// jar's database as up to date and Liquibase + jar reads lbmongo's.
#[test]
fn mongo_mongo_file_and_formatted_js_run_natively_as_lbmongo_runs_them() {
    let (lbm_db, lbm_url) = db("jar_msh_native_l");
    let (jar_db, jar_url) = db("jar_msh_native_j");
    let p = Project::new(lbm_db.clone(), lbm_url.clone());
    write_native_project(&p);
    let native = [
        ("LIQUIBASE_MONGODB_MONGOSH_NATIVE", "always"),
        ("LIQUIBASE_MONGODB_MONGOSH_PATH", "/nonexistent/mongosh"),
    ];
    let (applied, lbmongo) = std::thread::scope(|s| {
        let lbmongo = s.spawn(|| {
            p.run(&[
                "update",
                "--changelog-file",
                "changelog.xml",
                "--mongosh-native",
                "always",
                "--mongosh-path",
                "/nonexistent/mongosh",
            ])
        });
        let applied = liquibase(
            p.dir.path(),
            "4.33.0",
            "changelog.xml",
            &jar_url,
            &["update"],
            &native,
        );
        (applied, lbmongo.join().expect("the lbmongo thread"))
    });
    let applied = applied.ok();
    assert!(
        applied
            .stderr
            .contains("Running Changeset: shop.js::6::carol"),
        "{}",
        applied.stderr
    );
    lbmongo.ok();

    let ours = history(&jar_db);
    let ids: Vec<&str> = ours.iter().filter_map(|r| r.get_str("id").ok()).collect();
    assert_eq!(ids, ["1", "2", "3", "5", "6"]);
    // The checksum the Harness source documents for this script (spec mongo §11.5) and the
    // Harness `mongoFile` description with its bogus constant properties (§11.7).
    assert_eq!(
        ours[0].get_str("md5sum"),
        Ok("9:b37402c8254583df696fc006b3a4a8c4")
    );
    assert_eq!(ours[0].get_str("description"), Ok("mongo"));
    assert_eq!(
        ours[1].get_str("description"),
        Ok(
            "mongoFile DBMS_PROPERTY_NAME=dbms, PATH_PROPERTY_NAME=path, \
             RELATIVE_TO_CHANGELOG_FILE_PROPERTY_NAME=relativeToChangelogFile, path=scripts/towns.js"
        )
    );
    assert_eq!(ours[2].get_str("labels"), Ok("geo,seed"));
    assert_eq!(ours[3].get_str("fileName"), Ok("shop.js"));
    assert_eq!(ours[3].get_str("comments"), Ok("orders and their index"));
    assert_same_history(&ours, &history(&lbm_db), "4.33.0");

    for (collection, sort) in [
        ("users", doc! { "name": 1 }),
        ("towns", doc! { "name": 1 }),
        ("orders", doc! { "_id": 1 }),
    ] {
        assert_eq!(
            data(&jar_db, collection, sort.clone()),
            data(&lbm_db, collection, sort),
            "{collection}"
        );
    }
    assert_eq!(
        data(&jar_db, "users", doc! { "name": 1 }),
        [
            doc! { "name": "a" },
            doc! { "name": "ada", "tags": ["ünï", "😀"] }
        ]
    );
    assert_eq!(
        data(&jar_db, "towns", doc! { "name": 1 }),
        [
            doc! { "name": "Bergen", "pop": 291_000_i64 },
            doc! { "name": "Oslo", "by": "ada" }
        ]
    );

    // Each tool reads the other's database as its own.
    let on_jar_db = Project::new(jar_db.clone(), jar_url.clone());
    copy_files(
        &p,
        &on_jar_db,
        &["changelog.xml", "scripts/towns.js", "shop.js"],
    );
    up_to_date(on_jar_db.run(&["status", "--changelog-file", "changelog.xml"]));
    on_jar_db
        .run(&["validate", "--changelog-file", "changelog.xml"])
        .ok();
    up_to_date(liquibase(
        p.dir.path(),
        "4.33.0",
        "changelog.xml",
        &lbm_url,
        &["status", "--verbose"],
        &native,
    ));
}

/// What makes both tools run `mongo`/`mongoFile` natively: mongosh is a path that does not
/// exist, and `always` forbids it anyway.
const NATIVE_ENV: [(&str, &str); 2] = [
    ("LIQUIBASE_MONGODB_MONGOSH_NATIVE", "always"),
    ("LIQUIBASE_MONGODB_MONGOSH_PATH", "/nonexistent/mongosh"),
];
const NATIVE_ARGS: [&str; 4] = [
    "--mongosh-native",
    "always",
    "--mongosh-path",
    "/nonexistent/mongosh",
];

/// `update` of `p`'s `changelog.xml` by lbmongo on `p`'s database and by Liquibase 4.33 + jar
/// on `jar_url`, side by side: (Liquibase's run, lbmongo's run).
fn update_both(p: &Project, jar_url: &str) -> (Run, Run) {
    std::thread::scope(|s| {
        let lbmongo = s.spawn(|| {
            let mut args = vec!["update", "--changelog-file", "changelog.xml"];
            args.extend(NATIVE_ARGS);
            p.run(&args)
        });
        let applied = liquibase(
            p.dir.path(),
            "4.33.0",
            "changelog.xml",
            jar_url,
            &["update"],
            &NATIVE_ENV,
        );
        (applied, lbmongo.join().expect("the lbmongo thread"))
    })
}

/// A `mongoFile` script saved with a UTF-8 BOM and holding non-ASCII text (and a `${}`
/// property) is the same text in both tools: equal rows, MD5SUM included, and equal data, the
/// same as from a copy of the script without the BOM (the BOM is not part of the text). The
/// checksums of the two copies differ, as the Harness extension's do: it checksums the file's
/// bytes, BOM included (`harness_vector_runs_alike_with_the_harness_checksums`).
#[test]
fn mongo_file_with_a_bom_and_non_ascii_text_is_one_text_in_both_tools() {
    let (lbm_db, lbm_url) = db("jar_msh_bom_l");
    let (jar_db, jar_url) = db("jar_msh_bom_j");
    let p = Project::new(lbm_db.clone(), lbm_url);
    let script = "// Tromsø: ünïcødé, 😀\n\
                  db.towns.insertOne({name: 'Tromsø', by: '${who}', note: 'ünï 😀'});\n";
    p.write(
        "changelog.xml",
        &xml(r#"  <property name="who" value="åsa"/>
  <changeSet id="bom" author="alice" runWith="mongosh">
    <mongodb:mongoFile path="scripts/bom.js" relativeToChangelogFile="true"/>
  </changeSet>
  <changeSet id="plain" author="alice" runWith="mongosh">
    <mongodb:mongoFile path="scripts/plain.js" relativeToChangelogFile="true" encoding="utf8"/>
  </changeSet>
"#),
    )
    .write("scripts/bom.js", &format!("\u{feff}{script}"))
    .write("scripts/plain.js", script);
    let (applied, lbmongo) = update_both(&p, &jar_url);
    applied.ok();
    lbmongo.ok();

    let ours = history(&jar_db);
    let ids: Vec<&str> = ours.iter().filter_map(|r| r.get_str("id").ok()).collect();
    assert_eq!(ids, ["bom", "plain"]);
    assert_same_history(&ours, &history(&lbm_db), "4.33.0");
    let md5sum = |row: &Document| row.get_str("md5sum").map(str::to_owned);
    assert!(
        md5sum(&ours[0]).is_ok_and(|m| m.starts_with("9:")),
        "{ours:?}"
    );
    assert_ne!(
        md5sum(&ours[0]),
        md5sum(&ours[1]),
        "the BOM is part of the checksummed bytes"
    );
    let town = doc! { "name": "Tromsø", "by": "åsa", "note": "ünï 😀" };
    assert_eq!(data(&jar_db, "towns", doc! {}), [town.clone(), town]);
    assert_eq!(
        data(&jar_db, "towns", doc! {}),
        data(&lbm_db, "towns", doc! {})
    );
}

/// A `mongoFile` script with bytes outside its charset, or whose `encoding` names a charset
/// lbmongo does not read, is refused by Liquibase + jar with lbmongo's message (the changelog
/// and changeset; the script file, line and byte; the accepted charsets) and hint, before
/// anything runs: neither tool records a row or runs the valid changeset before it. lbmongo also
/// names the changelog line of the `mongoFile` element.
#[test]
fn mongo_files_outside_their_charset_are_refused_alike_and_nothing_is_recorded() {
    // A Latin-1 `ø` (0xF8) on line 2, at byte 42 of the file.
    let latin1: &[u8] = b"// a town\ndb.towns.insertOne({name: 'Troms\xF8'});\n";
    const UTF8: &str = "save the script as UTF-8, or name its charset in `encoding`";
    // (case, encoding attribute, file bytes, lbmongo's message, its hint)
    let cases: [(&str, &str, &[u8], &str, &str); 4] = [
        (
            "byte",
            "",
            latin1,
            "mongoFile `scripts/bad.js`: line 2: not valid UTF-8 at byte 42",
            UTF8,
        ),
        // The offset counts the BOM: it is a byte of the file.
        (
            "bom",
            r#" encoding="UTF-8""#,
            b"\xEF\xBB\xBFdb.towns.drop();\n// \xC3\n",
            "mongoFile `scripts/bad.js`: line 2: not valid UTF-8 at byte 23",
            UTF8,
        ),
        // Java's US-ASCII would read 0xF8 as U+FFFD and run the script.
        (
            "ascii",
            r#" encoding="ascii""#,
            latin1,
            "mongoFile `scripts/bad.js`: line 2: not valid US-ASCII at byte 42",
            "save the script as US-ASCII, or name its charset in `encoding`",
        ),
        // Not a charset name Java knows (it is `latin1` or `ISO-8859-1`): Liquibase would
        // fail with `UnsupportedCharsetException: latin-1` when the script runs.
        (
            "charset",
            r#" encoding="latin-1""#,
            latin1,
            "mongoFile `scripts/bad.js`: encoding `latin-1` is not a charset lbmongo reads",
            "use one of `UTF-8`, `UTF-16`, `UTF-16BE`, `UTF-16LE`, `ISO-8859-1`, `windows-1252`, \
             `US-ASCII` or one of Java's aliases for them (e.g. `latin1`, `Cp1252`, `UTF8`)",
        ),
    ];
    for (case, encoding, bytes, message, hint) in cases {
        let (lbm_db, lbm_url) = db(&format!("jar_msh_notutf8_{case}_l"));
        let (jar_db, jar_url) = db(&format!("jar_msh_notutf8_{case}_j"));
        let p = Project::new(lbm_db.clone(), lbm_url);
        p.write(
            "changelog.xml",
            &xml(&format!(
                r#"  <changeSet id="1" author="alice" runWith="mongosh">
    <mongodb:mongo mongo='db.before.insertOne({{n: 1}});'/>
  </changeSet>
  <changeSet id="2" author="alice" runWith="mongosh">
    <mongodb:mongoFile path="scripts/bad.js" relativeToChangelogFile="true"{encoding}/>
  </changeSet>
"#
            )),
        );
        let scripts = p.dir.path().join("scripts");
        std::fs::create_dir_all(&scripts).expect("create scripts/");
        std::fs::write(scripts.join("bad.js"), bytes).expect("write the script");
        let (refused, lbmongo) = update_both(&p, &jar_url);
        let lbmongo = lbmongo.failed();
        // The `mongoFile` element is on line 12 of the changelog.
        assert!(
            lbmongo.stderr.contains(&format!(
                "changelog.xml:12: changeset `2::alice`: {message}\n  hint: {hint}"
            )),
            "{case}: {}",
            lbmongo.stderr
        );
        let refused = refused.failed();
        let output = format!("{}{}", refused.stdout, refused.stderr);
        assert!(
            output.contains(&format!(
                "Unexpected error running Liquibase: changelog.xml: changeset `2::alice`: \
                 {message}\nhint: {hint}"
            )),
            "{case}: {output}"
        );
        for db in [&jar_db, &lbm_db] {
            assert_eq!(history(db), [] as [Document; 0], "{case}");
            assert_eq!(data(db, "before", doc! {}), [] as [Document; 0], "{case}");
        }
    }
}

/// A formatted root changelog whose scripts lie outside lbmongo's subset (a loop, `print`) runs
/// through the pinned mongosh under Liquibase + jar (`liquibase.mongodb.mongoshPath`, the output
/// appended to `liquibase.mongodb.mongoshLogFile`), with the same history as lbmongo's.
#[test]
fn scripts_outside_the_subset_run_through_the_pinned_mongosh() {
    let mongosh = mongosh_bin().display().to_string();
    let (lbm_db, lbm_url) = db("jar_msh_shell_l");
    let (jar_db, jar_url) = db("jar_msh_shell_j");
    let p = Project::new(lbm_db.clone(), lbm_url);
    p.write(
        "root.js",
        "// liquibase formatted mongodb\n\
         // property name:start value:10\n\
         \n\
         // changeset dave:loop runWith:mongosh\n\
         for (let i = ${start}; i < ${start} + 3; i++) {\n\
         \x20 db.counters.insertOne({i: i});\n\
         }\n\
         print('counted through mongosh');\n\
         // rollback db.counters.drop();\n\
         \n\
         // include file:more.xml relativeToChangelogFile:true\n",
    )
    .write(
        "more.xml",
        &xml(r#"  <changeSet id="file" author="dave" runWith="mongosh">
    <mongodb:mongoFile path="scripts/sum.js" relativeToChangelogFile="true" encoding="UTF-8"/>
  </changeSet>
"#),
    )
    .write(
        "scripts/sum.js",
        "const total = db.counters.find().toArray().reduce((s, d) => s + d.i, 0);\n\
         db.totals.insertOne({total: total});\n",
    );
    let log = p.dir.path().join("mongosh.log");
    let log_text = log.display().to_string();
    let (applied, lbmongo) = std::thread::scope(|s| {
        let lbmongo = s.spawn(|| {
            p.run(&[
                "update",
                "--changelog-file",
                "root.js",
                "--mongosh-path",
                &mongosh,
            ])
        });
        let applied = liquibase(
            p.dir.path(),
            "4.33.0",
            "root.js",
            &jar_url,
            &["update"],
            &[
                ("LIQUIBASE_MONGODB_MONGOSH_PATH", &mongosh),
                ("LIQUIBASE_MONGODB_MONGOSH_LOG_FILE", &log_text),
            ],
        );
        (applied, lbmongo.join().expect("the lbmongo thread"))
    });
    applied.ok();
    lbmongo.ok();

    let output = std::fs::read_to_string(&log).expect("mongosh wrote its output to the log file");
    assert!(output.contains("counted through mongosh"), "{output}");
    assert_eq!(
        data(&jar_db, "counters", doc! { "i": 1 }),
        [doc! { "i": 10 }, doc! { "i": 11 }, doc! { "i": 12 }]
    );
    assert_eq!(data(&jar_db, "totals", doc! {}), [doc! { "total": 33 }]);
    let ours = history(&jar_db);
    let ids: Vec<&str> = ours.iter().filter_map(|r| r.get_str("id").ok()).collect();
    assert_eq!(ids, ["loop", "file"]);
    assert_same_history(&ours, &history(&lbm_db), "4.33.0");
    assert_eq!(
        data(&lbm_db, "totals", doc! {}),
        data(&jar_db, "totals", doc! {})
    );

    let on_jar_db = Project::new(jar_db, jar_url);
    copy_files(&p, &on_jar_db, &["root.js", "more.xml", "scripts/sum.js"]);
    up_to_date(on_jar_db.run(&["status", "--changelog-file", "root.js"]));
}

/// A formatted `.js` root changelog through the npm `liquibase@4.28.1` distribution's own
/// launcher, with the jar dropped into its `lib/` folder beside nothing else of ours.
#[test]
fn formatted_js_through_the_jar_in_the_npm_4_28_lib_folder() {
    setup("scripts/install-liquibase.sh", &LIQUIBASE);
    let (lbm_db, lbm_url) = db("jar_msh_npm_l");
    let (jar_db, jar_url) = db("jar_msh_npm_j");
    let p = Project::new(lbm_db.clone(), lbm_url);
    p.write(
        "changelog.js",
        "// liquibase formatted mongodb\n\
         \n\
         // changeset erin:1 runWith:mongosh labels:seed\n\
         // comment: people\n\
         db.createCollection('people');\n\
         db.people.insertMany([{name: 'Ada'}, {name: 'Grace'}]);\n\
         // rollback db.people.drop();\n\
         \n\
         // changeset erin:2 runWith:mongosh runOnChange:true\n\
         db.people.updateOne({name: 'Ada'}, {$set: {born: 1815}});\n",
    );
    let dist = repo_root().join(".cache/liquibase/npm-4.28.1/dist/liquibase");
    let home = tempfile::tempdir().expect("a temporary directory");
    std::fs::copy(dist.join("liquibase"), home.path().join("liquibase"))
        .expect("copy the launcher");
    std::os::unix::fs::symlink(dist.join("internal"), home.path().join("internal"))
        .expect("link internal/");
    std::fs::create_dir(home.path().join("lib")).expect("create lib/");
    std::fs::copy(
        crate::jar::ext_dir().join("lbmongo-liquibase.jar"),
        home.path().join("lib/lbmongo-liquibase.jar"),
    )
    .expect("drop the jar into lib/");
    let (applied, lbmongo) = std::thread::scope(|s| {
        let lbmongo = s.spawn(|| {
            p.run(&[
                "update",
                "--changelog-file",
                "changelog.js",
                "--mongosh-native",
                "always",
            ])
        });
        let output = Command::new("bash")
            .arg(home.path().join("liquibase"))
            .arg("update")
            .arg("--changelog-file=changelog.js")
            .arg(format!("--url={jar_url}"))
            .current_dir(p.dir.path())
            .env("LIQUIBASE_HOME", home.path())
            .env("LIQUIBASE_ANALYTICS_ENABLED", "false")
            .env("LIQUIBASE_MONGODB_MONGOSH_NATIVE", "always")
            .env_remove("LD_LIBRARY_PATH")
            .stdin(Stdio::null())
            .output()
            .expect("bash can be started");
        (run_of(output), lbmongo.join().expect("the lbmongo thread"))
    });
    applied.ok();
    lbmongo.ok();
    let ours = history(&jar_db);
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert_same_history(&ours, &history(&lbm_db), "4.28.0");
    assert_eq!(
        data(&jar_db, "people", doc! { "name": 1 }),
        [
            doc! { "name": "Ada", "born": 1815 },
            doc! { "name": "Grace" }
        ]
    );
    let on_jar_db = Project::new(jar_db, jar_url);
    copy_files(&p, &on_jar_db, &["changelog.js"]);
    up_to_date(on_jar_db.run(&["status", "--changelog-file", "changelog.js"]));
}

/// A loopback proxy in front of the test server that records, for each `OP_MSG` a client sends,
/// the command name and its first value (`find DATABASECHANGELOG`), then forwards the bytes.
struct CommandLog {
    port: u16,
    commands: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl CommandLog {
    fn start(upstream: String) -> CommandLog {
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("the proxy's address").port();
        let commands = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&commands);
        // The listener thread lives as long as the test binary; each connection's threads end
        // when either side closes it.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = std::net::TcpStream::connect(&upstream) else {
                    continue;
                };
                let log = Arc::clone(&log);
                std::thread::spawn(move || forward(client, server, &log));
            }
        });
        CommandLog { port, commands }
    }

    /// How many commands named `name` had `value` as their first value.
    fn count(&self, name: &str, value: &str) -> usize {
        let wanted = format!("{name} {value}");
        self.commands
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter(|c| **c == wanted)
            .count()
    }

    /// Every recorded command except the driver's handshakes and heartbeats (`hello`,
    /// `isMaster`), whose number depends on time, not on the changelog.
    fn all(&self) -> Vec<String> {
        self.commands
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter(|c| {
                !["hello ", "isMaster ", "ismaster "]
                    .iter()
                    .any(|h| c.starts_with(h))
            })
            .cloned()
            .collect()
    }
}

/// Copies server replies back as they come and client messages forward one by one, recording
/// the command of each `OP_MSG` (opcode 2013: header, flag bits, then a kind-0 section holding
/// the command document).
fn forward(
    mut client: std::net::TcpStream,
    mut server: std::net::TcpStream,
    log: &std::sync::Mutex<Vec<String>>,
) {
    use std::io::{Read, Write};
    let (Ok(mut replies_from), Ok(mut replies_to)) = (server.try_clone(), client.try_clone())
    else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut replies_from, &mut replies_to);
        let _ = replies_to.shutdown(std::net::Shutdown::Both);
    });
    loop {
        let mut header = [0u8; 16];
        if client.read_exact(&mut header).is_err() {
            break;
        }
        let word =
            |i: usize| i32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let Ok(length) = usize::try_from(word(0)) else {
            break;
        };
        let mut body = vec![0u8; length.saturating_sub(16)];
        if client.read_exact(&mut body).is_err() {
            break;
        }
        if word(12) == 2013 && body.get(4) == Some(&0) {
            // The kind-0 section is one BSON document, whose first four bytes are its length.
            let command = body
                .get(5..9)
                .and_then(|l| usize::try_from(i32::from_le_bytes([l[0], l[1], l[2], l[3]])).ok())
                .and_then(|len| body.get(5..5 + len))
                .and_then(|bytes| mongodb::bson::RawDocument::from_bytes(bytes).ok())
                .and_then(|doc| doc.iter().next()?.ok())
                .map(|(name, value)| format!("{name} {}", value.as_str().unwrap_or_default()));
            if let Some(command) = command {
                log.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(command);
            }
        }
        if server.write_all(&header).is_err() || server.write_all(&body).is_err() {
            break;
        }
    }
    let _ = server.shutdown(std::net::Shutdown::Both);
}

/// `url` with its host list replaced by `127.0.0.1:<port>` and `directConnection=true` (else the
/// driver would go to the member the server names in `hello`), and the replaced `host:port`.
fn through(url: &str, port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("a mongodb:// URL");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (credentials, host) = match authority.rsplit_once('@') {
        Some((c, h)) => (format!("{c}@"), h),
        None => (String::new(), authority),
    };
    assert!(
        !host.contains(','),
        "the command-counting proxy fronts one server, not `{host}`"
    );
    let direct = if tail.contains("directConnection=") {
        ""
    } else if tail.contains('?') {
        "&directConnection=true"
    } else if tail.is_empty() {
        "/?directConnection=true"
    } else {
        "?directConnection=true"
    };
    (
        format!("{scheme}://{credentials}127.0.0.1:{port}{tail}{direct}"),
        host.to_owned(),
    )
}

/// The jar's history service reads the history once per run, as core's
/// `StandardChangeLogHistoryService` does, and keeps its copy up to date by its own writes: an
/// update of 60 changesets sends a constant number of history reads, not one per changeset
/// (which is what made long changelogs quadratic), and the rows are still right.
#[test]
fn an_update_reads_the_history_a_constant_number_of_times() {
    const CHANGESETS: usize = 60;
    let (db, url) = db("jar_history_reads");
    let upstream = through(&url, 0).1;
    let proxy = CommandLog::start(upstream);
    let (proxied, _) = through(&url, proxy.port);
    let body: String = (1..=CHANGESETS)
        .map(|n| {
            format!(
                "  <changeSet id=\"{n}\" author=\"perf\">\n    <mongodb:insertOne collectionName=\"things\">\
                 <mongodb:document>{{ n: {n} }}</mongodb:document></mongodb:insertOne>\n  </changeSet>\n"
            )
        })
        .collect();
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("changelog.xml"), xml(&body)).expect("write the changelog");
    liquibase(
        dir.path(),
        "4.33.0",
        "changelog.xml",
        &proxied,
        &["update"],
        &[],
    )
    .ok();

    let rows = history(&db);
    assert_eq!(rows.len(), CHANGESETS);
    let orders: Vec<i32> = rows
        .iter()
        .filter_map(|r| r.get_i32("orderExecuted").ok())
        .collect();
    assert_eq!(orders, (1..=60).collect::<Vec<i32>>());
    // Three `find`s whatever the changeset count: two full reads (one before the lock is taken,
    // one after core resets the service once it holds the lock) and one `orderExecuted` lookup;
    // the collections' existence is checked alongside (the lock collection's once more by the lock
    // service's `init`, which creates it as liquibase-mongodb's `MongoLockService.init` does).
    // Before the cache there was a full read and a `listCollections` per changeset.
    let reads = proxy.count("find", "DATABASECHANGELOG");
    let exists = proxy.count("listCollections", "");
    assert!(
        reads <= 3,
        "{reads} history reads for {CHANGESETS} changesets"
    );
    assert!(
        exists <= 5,
        "{exists} listCollections for {CHANGESETS} changesets"
    );
    assert!(
        reads >= 1,
        "the proxy saw no history read: is it in the path?"
    );
    // Per changeset the jar sends exactly what liquibase-mongodb sends: the change's own command
    // and the history insert. Anything else it sent per changeset (an existence check, a count,
    // a history scan) would make the server's work grow with the changelog; the run's fixed
    // setup (lock, tracking collections, the reads above) stays under a small constant.
    let all = proxy.all();
    let per_changeset = ["insert things", "insert DATABASECHANGELOG"];
    for command in per_changeset {
        assert_eq!(
            all.iter().filter(|c| *c == command).count(),
            CHANGESETS,
            "`{command}` per changeset: {all:?}"
        );
    }
    let setup: Vec<&String> = all
        .iter()
        .filter(|c| !per_changeset.contains(&c.as_str()))
        .collect();
    assert!(
        setup.len() <= 30,
        "{} commands besides the changes and their rows for {CHANGESETS} changesets: {setup:?}",
        setup.len()
    );
}

/// Copies `tests/fixtures/harness_mongosh` (the Harness extension's `mongoFile` vector: a UTF-8
/// script with a BOM and CRLF, a Latin-1 one with `encoding: ISO-8859-1`) into `dir`, byte for
/// byte.
fn write_harness_vector(dir: &Path) {
    let from = repo_root().join("tests/fixtures/harness_mongosh");
    std::fs::create_dir_all(dir.join("scripts")).expect("create scripts/");
    for file in ["changelog.yaml", "scripts/bom.js", "scripts/latin1.js"] {
        std::fs::copy(from.join(file), dir.join(file)).expect("copy the vector");
    }
}

/// Liquibase + jar waits for the server on Liquibase's own thread, as liquibase-mongodb's
/// synchronous Java driver does, instead of waking runtime worker threads at every round trip.
/// With two Tokio workers the jar made five to seven times the official extension's voluntary
/// context switches (~45 per changeset: the driver's connection check-out and check-in through
/// its pool task), and on a busy machine each wake-up waits for a core, which made long updates
/// slower than the official extension's (bench/README.md, "Liquibase + jar at scale"). The
/// same update through both, counted by `wait4` (`liquibase.sh` `exec`s the JVM): 300 changesets
/// gave 7,761 and 9,566 switches with the workers against the official extension's 3,702 and
/// 4,051 (this test failed), and 2,869 on Liquibase's thread.
#[test]
fn the_jar_waits_for_the_server_on_liquibase_s_thread() {
    const CHANGESETS: usize = 300;
    let body: String = (1..=CHANGESETS)
        .map(|n| {
            format!(
                "  <changeSet id=\"{n}\" author=\"perf\">\n    <mongodb:insertOne collectionName=\"things\">\
                 <mongodb:document>{{ n: {n} }}</mongodb:document></mongodb:insertOne>\n  </changeSet>\n"
            )
        })
        .collect();
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("changelog.xml"), xml(&body)).expect("write the changelog");
    let (jar_db, jar_url) = db("jar_switches_jar");
    let (official_db, official_url) = db("jar_switches_official");
    let jar = voluntary_switches(dir.path(), crate::jar::ext_dir(), &jar_url, "jar");
    let official = voluntary_switches(dir.path(), Path::new("official"), &official_url, "official");
    assert_eq!(history(&jar_db).len(), CHANGESETS);
    assert_eq!(history(&official_db).len(), CHANGESETS);
    assert!(
        jar * 2 <= official * 3,
        "Liquibase + jar made {jar} voluntary context switches for {CHANGESETS} changesets, \
         Liquibase + the official extension {official}: more than 1.5 times as many"
    );
}

/// Runs `liquibase.sh update` with `ext` and returns the JVM's voluntary context switches
/// (`ru_nvcsw` of the child, which `liquibase.sh` replaces with `java`).
#[allow(unsafe_code)]
// `wait4` has no safe wrapper in std; see the SAFETY notes.
// The child is reaped by `wait4` below: `Child::wait` would throw its `rusage` away.
#[allow(clippy::zombie_processes)]
fn voluntary_switches(dir: &Path, ext: &Path, url: &str, name: &str) -> i64 {
    setup("scripts/install-liquibase.sh", &LIQUIBASE);
    let log_path = dir.join(format!("{name}.log"));
    let log = std::fs::File::create(&log_path).expect("create the log");
    let child = Command::new("bash")
        .arg(repo_root().join("scripts/liquibase.sh"))
        .args(["--core", "4.33.0", "--ext"])
        .arg(ext)
        .arg("--changelog-file=changelog.xml")
        .arg(format!("--url={url}"))
        .arg("update")
        .current_dir(dir)
        .env("LIQUIBASE_ANALYTICS_ENABLED", "false")
        // As `liquibase` above: the jar's own library, not target/*/deps.
        .env_remove("LD_LIBRARY_PATH")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone the log"))
        .stderr(log)
        .spawn()
        .expect("bash can be started");
    let pid = i32::try_from(child.id()).expect("a pid fits in pid_t");
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers point at live, writable locals of the right types; `pid` is our
        // own child, not yet reaped (`Child::wait` is never called on it).
        let reaped = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::Interrupted,
            "wait4 failed: {error}"
        );
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "Liquibase with `{}` failed:\n{}",
        ext.display(),
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    usage.ru_nvcsw
}

/// The MD5SUMs the Harness extension stored for the vector, by changeset id (`expected.tsv`).
fn harness_md5sums() -> Vec<(String, String)> {
    let tsv =
        std::fs::read_to_string(repo_root().join("tests/fixtures/harness_mongosh/expected.tsv"))
            .expect("read expected.tsv");
    tsv.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (fields[0].to_owned(), fields[2].to_owned())
        })
        .collect()
}

/// The Harness extension's vector runs in lbmongo (natively and through the pinned mongosh) and
/// in Liquibase 4.24.0 and 4.33.0 with the jar, and each stores exactly the MD5SUMs the Harness
/// extension stored: the checksum covers the file's bytes, BOM and Latin-1 bytes included. What
/// runs is the decoded text: the BOM is not sent (the native reader would refuse U+FEFF), `ä`
/// of the Latin-1 file is stored as U+00E4, and the unset `${city}` stays as written.
#[test]
fn harness_vector_runs_alike_with_the_harness_checksums() {
    let (lbm_db, lbm_url) = db("jar_msh_harness_l");
    let (sh_db, sh_url) = db("jar_msh_harness_sh");
    let p = Project::new(lbm_db.clone(), lbm_url);
    write_harness_vector(p.dir.path());
    let sh = Project::new(sh_db.clone(), sh_url);
    write_harness_vector(sh.dir.path());
    let mongosh = mongosh_bin().display().to_string();
    let cores = [("4.24.0", "4.24.0"), ("4.33.0", "4.33.0")];
    let jar_dbs: Vec<(Database, String)> = cores
        .iter()
        .map(|(core, _)| db(&format!("jar_msh_harness_{}", core.replace('.', "_"))))
        .collect();
    let (runs, lbmongo, through_mongosh) = std::thread::scope(|s| {
        let lbmongo = s.spawn(|| {
            let mut args = vec!["update", "--changelog-file", "changelog.yaml"];
            args.extend(NATIVE_ARGS);
            p.run(&args)
        });
        let through_mongosh = s.spawn(|| {
            sh.run(&[
                "update",
                "--changelog-file",
                "changelog.yaml",
                "--mongosh-native",
                "never",
                "--mongosh-path",
                &mongosh,
            ])
        });
        let runs: Vec<Run> = cores
            .iter()
            .zip(&jar_dbs)
            .map(|((core, _), (_, url))| {
                liquibase(
                    p.dir.path(),
                    core,
                    "changelog.yaml",
                    url,
                    &["update"],
                    &NATIVE_ENV,
                )
            })
            .collect();
        (
            runs,
            lbmongo.join().expect("the lbmongo thread"),
            through_mongosh.join().expect("the mongosh thread"),
        )
    });
    lbmongo.ok();
    through_mongosh.ok();
    let expected = harness_md5sums();
    assert_eq!(expected.len(), 2);
    let md5sums = |db: &Database| -> Vec<(String, String)> {
        history(db)
            .iter()
            .map(|r| {
                (
                    r.get_str("id").expect("id").to_owned(),
                    r.get_str("md5sum").expect("md5sum").to_owned(),
                )
            })
            .collect()
    };
    let bomcoll = [doc! { "x": "ä" }, doc! { "x": "${city}" }];
    let latin = [doc! { "x": "\u{e4}" }];
    for (who, db) in [("lbmongo", &lbm_db), ("lbmongo through mongosh", &sh_db)] {
        assert_eq!(md5sums(db), expected, "{who}");
        assert_eq!(data(db, "bomcoll", doc! { "x": -1 }), bomcoll, "{who}");
        assert_eq!(data(db, "latin", doc! {}), latin, "{who}");
    }
    for ((run, (core, version)), (jar_db, _)) in runs.into_iter().zip(cores).zip(&jar_dbs) {
        run.ok();
        assert_eq!(md5sums(jar_db), expected, "jar on {core}");
        assert_same_history(&history(jar_db), &history(&lbm_db), version);
        assert_eq!(data(jar_db, "bomcoll", doc! { "x": -1 }), bomcoll, "{core}");
        assert_eq!(data(jar_db, "latin", doc! {}), latin, "{core}");
    }
}

/// Every XML form of `mongo` loads, with the schema location given: the `mongo` attribute and
/// the nested `<mongodb:mongo>` element (the forms the Harness extension reads) and the element
/// text (lbmongo's own). lbmongo and Liquibase 4.24.0, the npm 4.28.1 distribution's core and
/// 4.33.0 with the jar (whose XSD validates the changelog) write equal histories and data, and
/// the same script gives the same checksum in every form.
#[test]
fn every_mongo_xml_form_loads_in_lbmongo_and_in_liquibase_with_the_jar() {
    let (lbm_db, lbm_url) = db("jar_msh_forms_l");
    let p = Project::new(lbm_db.clone(), lbm_url);
    p.write(
        "changelog.xml",
        &xml(r#"  <changeSet id="attribute" author="x" runWith="mongosh">
    <mongodb:mongo mongo='db.forms.insertOne({form: "same"});'/>
  </changeSet>
  <changeSet id="nested" author="x" runWith="mongosh">
    <mongodb:mongo>
      <mongodb:mongo>db.forms.insertOne({form: "same"});</mongodb:mongo>
    </mongodb:mongo>
  </changeSet>
  <changeSet id="text" author="x" runWith="mongosh">
    <mongodb:mongo>db.forms.insertOne({form: "same"});</mongodb:mongo>
  </changeSet>
  <changeSet id="nested-attributes" author="x" runWith="mongosh">
    <mongodb:mongo dbms="mongodb" splitStatements="false"><mongodb:mongo>
      db.forms.insertOne({form: "nested, with attributes"});
    </mongodb:mongo></mongodb:mongo>
  </changeSet>
"#),
    );
    let cores = [
        ("4.24.0", "4.24.0"),
        ("npm-4.28.1", "4.28.0"),
        ("4.33.0", "4.33.0"),
    ];
    let jar_dbs: Vec<(Database, String)> = cores
        .iter()
        .map(|(core, _)| db(&format!("jar_msh_forms_{}", core.replace(['.', '-'], "_"))))
        .collect();
    let (runs, lbmongo) = std::thread::scope(|s| {
        let lbmongo = s.spawn(|| {
            let mut args = vec!["update", "--changelog-file", "changelog.xml"];
            args.extend(NATIVE_ARGS);
            p.run(&args)
        });
        let runs: Vec<Run> = cores
            .iter()
            .zip(&jar_dbs)
            .map(|((core, _), (_, url))| {
                liquibase(
                    p.dir.path(),
                    core,
                    "changelog.xml",
                    url,
                    &["update"],
                    &NATIVE_ENV,
                )
            })
            .collect();
        (runs, lbmongo.join().expect("the lbmongo thread"))
    });
    lbmongo.ok();
    let ours = history(&lbm_db);
    let ids: Vec<&str> = ours.iter().filter_map(|r| r.get_str("id").ok()).collect();
    assert_eq!(ids, ["attribute", "nested", "text", "nested-attributes"]);
    let same = ours[0].get_str("md5sum").expect("md5sum");
    for row in &ours[1..3] {
        assert_eq!(row.get_str("md5sum"), Ok(same), "{row:?}");
    }
    let forms = [
        doc! { "form": "nested, with attributes" },
        doc! { "form": "same" },
        doc! { "form": "same" },
        doc! { "form": "same" },
    ];
    assert_eq!(data(&lbm_db, "forms", doc! { "form": 1 }), forms);
    for ((run, (core, version)), (jar_db, _)) in runs.into_iter().zip(cores).zip(&jar_dbs) {
        let run = run.ok();
        assert!(
            !run.stderr.contains("cvc-"),
            "{core}: schema complaint\n{}",
            run.stderr
        );
        assert_same_history(&history(jar_db), &ours, version);
        assert_eq!(data(jar_db, "forms", doc! { "form": 1 }), forms, "{core}");
    }
}

/// `encoding` takes Java's charset names and aliases, and a UTF-16 mark chooses the byte order
/// when it is absent: each script below stores the same `"Tromsø €"` in lbmongo and in Liquibase
/// 4.33 with the jar, with equal histories (the checksums cover each file's own bytes).
#[test]
fn java_charset_names_read_the_same_text_in_both_tools() {
    let (lbm_db, lbm_url) = db("jar_msh_charsets_l");
    let (jar_db, jar_url) = db("jar_msh_charsets_j");
    let p = Project::new(lbm_db.clone(), lbm_url);
    let script = |id: &str| format!("db.towns.insertOne({{_id: \"{id}\", name: \"Tromsø €\"}});\n");
    let utf16 = |id: &str, big: bool| -> Vec<u8> {
        script(id)
            .encode_utf16()
            .flat_map(|u| {
                if big {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    };
    // (changeset id, encoding attribute, file bytes)
    let files: Vec<(&str, &str, Vec<u8>)> = vec![
        // windows-1252: ø is 0xF8 (as in Latin-1) and € is 0x80.
        (
            "cp1252",
            "Cp1252",
            script("cp1252")
                .chars()
                .map(|c| match c {
                    '€' => 0x80,
                    c => u8::try_from(u32::from(c)).expect("a Latin-1 character"),
                })
                .collect(),
        ),
        (
            "utf16le",
            "UTF-16LE",
            [&b"\xFF\xFE"[..], &utf16("utf16le", false)].concat(),
        ),
        ("utf16be", "UnicodeBigUnmarked", utf16("utf16be", true)),
        ("utf16", "utf16", utf16("utf16", true)),
        (
            "marked",
            "",
            [&b"\xFF\xFE"[..], &utf16("marked", false)].concat(),
        ),
        ("utf8", "UTF8", script("utf8").into_bytes()),
    ];
    let mut change_sets = String::new();
    std::fs::create_dir_all(p.dir.path().join("scripts")).expect("create scripts/");
    for (id, encoding, bytes) in &files {
        std::fs::write(p.dir.path().join(format!("scripts/{id}.js")), bytes)
            .expect("write a script");
        let encoding = if encoding.is_empty() {
            String::new()
        } else {
            format!(" encoding=\"{encoding}\"")
        };
        change_sets.push_str(&format!(
            "  <changeSet id=\"{id}\" author=\"x\" runWith=\"mongosh\">\n    \
             <mongodb:mongoFile path=\"scripts/{id}.js\" relativeToChangelogFile=\"true\"{encoding}/>\n  \
             </changeSet>\n"
        ));
    }
    p.write("changelog.xml", &xml(&change_sets));
    let (applied, lbmongo) = update_both(&p, &jar_url);
    applied.ok();
    lbmongo.ok();
    let ours = history(&jar_db);
    assert_eq!(ours.len(), files.len(), "{ours:?}");
    assert_same_history(&ours, &history(&lbm_db), "4.33.0");
    let mut towns: Vec<Document> = files
        .iter()
        .map(|(id, ..)| doc! { "_id": *id, "name": "Tromsø €" })
        .collect();
    towns.sort_by(|a, b| a.get_str("_id").ok().cmp(&b.get_str("_id").ok()));
    for db in [&jar_db, &lbm_db] {
        assert_eq!(data(db, "towns", doc! { "_id": 1 }), towns);
    }
}
