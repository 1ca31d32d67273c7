//! Policy checks (issue 15): every built-in check fires on its fixture in every changelog
//! format (XML, YAML, JSON and a formatted mongosh file where the change can be written there)
//! and stays silent on its corrected twin; SARIF validates against the official schema; the
//! update gate writes nothing when a finding blocks.
//!
//! One fixture set: each case is written once, in a neutral form, and rendered into each
//! format, so the four changelogs hold the same changesets.

use mongodb::bson::doc;
use serde_json::{Value, json};

use crate::support::cli::{Project, Run};
use crate::support::{block_on, server};

/// One change, neutrally: its liquibase-mongodb type, its attributes (JSON-ish ones as JSON
/// text) and the same change as a mongosh statement.
struct Ch {
    kind: &'static str,
    attrs: &'static [(&'static str, &'static str)],
    js: &'static str,
}

/// One changeset of a case.
struct Cs {
    labels: Option<&'static str>,
    context: Option<&'static str>,
    comment: Option<&'static str>,
    changes: &'static [Ch],
    rollback: Option<&'static [Ch]>,
}

/// A check's fixture and its corrected twin. `mongosh: false` where the change cannot be
/// written as a native mongosh statement that keeps what the check looks at.
struct Case {
    name: &'static str,
    check: &'static str,
    bad: Cs,
    good: Cs,
    mongosh: bool,
}

const fn cs(changes: &'static [Ch]) -> Cs {
    Cs {
        labels: Some("app"),
        context: Some("prod"),
        comment: Some("a reason"),
        changes,
        rollback: None,
    }
}

const CREATE_USERS: Ch = Ch {
    kind: "createCollection",
    attrs: &[("collectionName", "users")],
    js: r#"db.createCollection("users")"#,
};

const CASES: &[Case] = &[
    Case {
        name: "naming",
        check: "IndexNamingConvention",
        bad: cs(&[Ch {
            kind: "createIndex",
            attrs: &[
                ("collectionName", "users"),
                ("keys", r#"{"email": 1, "tenant": 1}"#),
                ("options", r#"{"name": "email_tenant"}"#),
            ],
            js: r#"db.users.createIndex({email: 1, tenant: 1}, {name: "email_tenant"})"#,
        }]),
        good: cs(&[Ch {
            kind: "createIndex",
            attrs: &[
                ("collectionName", "users"),
                ("keys", r#"{"email": 1, "tenant": 1}"#),
                ("options", r#"{"name": "idx_users_email__tenant"}"#),
            ],
            js: r#"db.users.createIndex({email: 1, tenant: 1}, {name: "idx_users_email__tenant"})"#,
        }]),
        mongosh: true,
    },
    // mongosh names an unnamed index itself (as drivers do), so its lowered command always
    // has a name: the change type's own options are what this check reads.
    Case {
        name: "unnamed",
        check: "IndexWithoutName",
        bad: cs(&[Ch {
            kind: "createIndex",
            attrs: &[("collectionName", "users"), ("keys", r#"{"email": 1}"#)],
            js: "",
        }]),
        good: cs(&[Ch {
            kind: "createIndex",
            attrs: &[
                ("collectionName", "users"),
                ("keys", r#"{"email": 1}"#),
                ("options", r#"{"name": "idx_users_email"}"#),
            ],
            js: "",
        }]),
        mongosh: false,
    },
    Case {
        name: "rollback",
        check: "RollbackRequired",
        bad: cs(&[Ch {
            kind: "insertOne",
            attrs: &[("collectionName", "users"), ("document", r#"{"_id": 1}"#)],
            js: r#"db.users.insertOne({_id: 1})"#,
        }]),
        good: Cs {
            rollback: Some(&[Ch {
                kind: "deleteOne",
                attrs: &[("collectionName", "users"), ("filter", r#"{"_id": 1}"#)],
                js: r#"db.users.deleteOne({_id: 1})"#,
            }]),
            ..cs(&[Ch {
                kind: "insertOne",
                attrs: &[("collectionName", "users"), ("document", r#"{"_id": 1}"#)],
                js: r#"db.users.insertOne({_id: 1})"#,
            }])
        },
        mongosh: true,
    },
    Case {
        name: "drop",
        check: "DropWarn",
        bad: cs(&[Ch {
            kind: "dropCollection",
            attrs: &[("collectionName", "users")],
            js: "db.users.drop()",
        }]),
        good: cs(&[CREATE_USERS]),
        mongosh: true,
    },
    Case {
        name: "drop-command",
        check: "DropWarn",
        bad: cs(&[Ch {
            kind: "runCommand",
            attrs: &[(
                "command",
                r#"{"dropIndexes": "users", "index": "idx_users_email"}"#,
            )],
            js: r#"db.runCommand({dropIndexes: "users", index: "idx_users_email"})"#,
        }]),
        good: cs(&[Ch {
            kind: "runCommand",
            attrs: &[(
                "command",
                r#"{"collMod": "users", "validationLevel": "moderate"}"#,
            )],
            js: r#"db.runCommand({collMod: "users", validationLevel: "moderate"})"#,
        }]),
        mongosh: true,
    },
    Case {
        name: "update-all",
        check: "UnfilteredWrite",
        bad: cs(&[Ch {
            kind: "updateMany",
            attrs: &[
                ("collectionName", "users"),
                ("filter", "{}"),
                ("update", r#"{"$set": {"active": true}}"#),
            ],
            js: r#"db.users.updateMany({}, {$set: {active: true}})"#,
        }]),
        good: cs(&[Ch {
            kind: "updateMany",
            attrs: &[
                ("collectionName", "users"),
                ("filter", r#"{"legacy": true}"#),
                ("update", r#"{"$set": {"active": true}}"#),
            ],
            js: r#"db.users.updateMany({legacy: true}, {$set: {active: true}})"#,
        }]),
        mongosh: true,
    },
    Case {
        name: "delete-all",
        check: "UnfilteredWrite",
        bad: cs(&[Ch {
            kind: "deleteMany",
            attrs: &[("collectionName", "users"), ("filter", "{}")],
            js: "db.users.deleteMany({})",
        }]),
        good: cs(&[Ch {
            kind: "deleteMany",
            attrs: &[
                ("collectionName", "users"),
                ("filter", r#"{"legacy": true}"#),
            ],
            js: "db.users.deleteMany({legacy: true})",
        }]),
        mongosh: true,
    },
    Case {
        name: "deny",
        check: "CommandDenyList",
        bad: cs(&[Ch {
            kind: "adminCommand",
            attrs: &[("command", r#"{"setParameter": 1, "notablescan": true}"#)],
            js: "db.adminCommand({setParameter: 1, notablescan: true})",
        }]),
        good: cs(&[Ch {
            kind: "adminCommand",
            attrs: &[("command", r#"{"ping": 1}"#)],
            js: "db.adminCommand({ping: 1})",
        }]),
        mongosh: true,
    },
    Case {
        name: "labels",
        check: "ChangesetLabelCheck",
        bad: Cs {
            labels: None,
            ..cs(&[CREATE_USERS])
        },
        good: cs(&[CREATE_USERS]),
        mongosh: true,
    },
    Case {
        name: "context",
        check: "ChangesetContextCheck",
        bad: Cs {
            context: None,
            ..cs(&[CREATE_USERS])
        },
        good: cs(&[CREATE_USERS]),
        mongosh: true,
    },
    Case {
        name: "comment",
        check: "ChangesetCommentCheck",
        bad: Cs {
            comment: None,
            ..cs(&[CREATE_USERS])
        },
        good: cs(&[CREATE_USERS]),
        mongosh: true,
    },
    Case {
        name: "mixed",
        check: "MixedChangeset",
        bad: cs(&[
            CREATE_USERS,
            Ch {
                kind: "insertOne",
                attrs: &[("collectionName", "users"), ("document", r#"{"_id": 1}"#)],
                js: r#"db.users.insertOne({_id: 1})"#,
            },
        ]),
        good: cs(&[
            CREATE_USERS,
            Ch {
                kind: "createIndex",
                attrs: &[
                    ("collectionName", "users"),
                    ("keys", r#"{"email": 1}"#),
                    ("options", r#"{"name": "idx_users_email"}"#),
                ],
                js: r#"db.users.createIndex({email: 1}, {name: "idx_users_email"})"#,
            },
        ]),
        mongosh: true,
    },
    // The settings file below lowers `maxDocuments` to 2.
    Case {
        name: "large-insert",
        check: "LargeInsertMany",
        bad: cs(&[Ch {
            kind: "insertMany",
            attrs: &[
                ("collectionName", "users"),
                ("documents", r#"[{"_id": 1}, {"_id": 2}, {"_id": 3}]"#),
            ],
            js: "db.users.insertMany([{_id: 1}, {_id: 2}, {_id: 3}])",
        }]),
        good: cs(&[Ch {
            kind: "insertMany",
            attrs: &[
                ("collectionName", "users"),
                ("documents", r#"[{"_id": 1}, {"_id": 2}]"#),
            ],
            js: "db.users.insertMany([{_id: 1}, {_id: 2}])",
        }]),
        mongosh: true,
    },
];

const SETTINGS: &str = r#"{"checks": {"LargeInsertMany": {"parameters": {"maxDocuments": 2}}}}"#;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Xml,
    Yaml,
    Json,
    Mongosh,
}

impl Format {
    fn file(self) -> &'static str {
        match self {
            Format::Xml => "changelog.xml",
            Format::Yaml => "changelog.yaml",
            Format::Json => "changelog.json",
            Format::Mongosh => "changelog.js",
        }
    }
}

/// A changelog file being written, counting lines so each changeset's line is known.
#[derive(Default)]
struct Writer {
    text: String,
}

impl Writer {
    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    /// The 1-based number of the next line.
    fn next_line(&self) -> usize {
        self.text.lines().count() + 1
    }
}

fn xml_change(w: &mut Writer, c: &Ch) {
    let mut open = format!("      <mongodb:{}", c.kind);
    for (k, v) in c.attrs {
        if *k == "collectionName" {
            open.push_str(&format!(" {k}=\"{v}\""));
        }
    }
    w.line(&format!("{open}>"));
    for (k, v) in c.attrs {
        if *k != "collectionName" {
            w.line(&format!("        <mongodb:{k}>{v}</mongodb:{k}>"));
        }
    }
    w.line(&format!("      </mongodb:{}>", c.kind));
}

fn yaml_change(w: &mut Writer, c: &Ch, indent: &str) {
    w.line(&format!("{indent}- {}:", c.kind));
    for (k, v) in c.attrs {
        w.line(&format!("{indent}    {k}: {}", Value::from(*v)));
    }
}

fn json_change(c: &Ch) -> Value {
    let attrs: serde_json::Map<String, Value> = c
        .attrs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    json!({ c.kind: attrs })
}

/// Renders every case (bad and good changesets, ids `<case>-bad` / `<case>-good`) in one
/// format; returns the text and each changeset id's line.
fn render(format: Format) -> (String, Vec<(String, usize)>) {
    let mut w = Writer::default();
    let mut lines = Vec::new();
    let sets = CASES
        .iter()
        .filter(|c| format != Format::Mongosh || c.mongosh)
        .flat_map(|c| {
            [
                (format!("{}-bad", c.name), &c.bad),
                (format!("{}-good", c.name), &c.good),
            ]
        });
    match format {
        Format::Xml => {
            w.line(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
            w.line(r#"<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb">"#);
            for (id, s) in sets {
                lines.push((id.clone(), w.next_line()));
                let mut open = format!(r#"  <changeSet id="{id}" author="t""#);
                if let Some(l) = s.labels {
                    open.push_str(&format!(r#" labels="{l}""#));
                }
                if let Some(c) = s.context {
                    open.push_str(&format!(r#" context="{c}""#));
                }
                w.line(&format!("{open}>"));
                if let Some(c) = s.comment {
                    w.line(&format!("    <comment>{c}</comment>"));
                }
                for c in s.changes {
                    xml_change(&mut w, c);
                }
                if let Some(r) = s.rollback {
                    w.line("    <rollback>");
                    for c in r {
                        xml_change(&mut w, c);
                    }
                    w.line("    </rollback>");
                }
                w.line("  </changeSet>");
            }
            w.line("</databaseChangeLog>");
        }
        Format::Yaml => {
            w.line("databaseChangeLog:");
            for (id, s) in sets {
                lines.push((id.clone(), w.next_line()));
                w.line("  - changeSet:");
                w.line(&format!("      id: {id}"));
                w.line("      author: t");
                if let Some(l) = s.labels {
                    w.line(&format!("      labels: {l}"));
                }
                if let Some(c) = s.context {
                    w.line(&format!("      context: {c}"));
                }
                if let Some(c) = s.comment {
                    w.line(&format!("      comment: {c}"));
                }
                w.line("      changes:");
                for c in s.changes {
                    yaml_change(&mut w, c, "        ");
                }
                if let Some(r) = s.rollback {
                    w.line("      rollback:");
                    for c in r {
                        yaml_change(&mut w, c, "        ");
                    }
                }
            }
        }
        Format::Json => {
            // Pretty-printed by hand, one changeset per block, so each one's line is known.
            w.line("{\"databaseChangeLog\": [");
            let sets: Vec<_> = sets.collect();
            for (i, (id, s)) in sets.iter().enumerate() {
                let mut body = serde_json::Map::new();
                body.insert("id".into(), Value::from(id.as_str()));
                body.insert("author".into(), Value::from("t"));
                if let Some(l) = s.labels {
                    body.insert("labels".into(), Value::from(l));
                }
                if let Some(c) = s.context {
                    body.insert("context".into(), Value::from(c));
                }
                if let Some(c) = s.comment {
                    body.insert("comment".into(), Value::from(c));
                }
                body.insert(
                    "changes".into(),
                    Value::from(s.changes.iter().map(json_change).collect::<Vec<_>>()),
                );
                if let Some(r) = s.rollback {
                    body.insert(
                        "rollback".into(),
                        Value::from(r.iter().map(json_change).collect::<Vec<_>>()),
                    );
                }
                w.line("  {");
                lines.push((id.clone(), w.next_line()));
                let comma = if i + 1 < sets.len() { "," } else { "" };
                w.line(&format!("    \"changeSet\": {}", Value::Object(body)));
                w.line(&format!("  }}{comma}"));
            }
            w.line("]}");
        }
        Format::Mongosh => {
            w.line("// liquibase formatted mongodb");
            for (id, s) in sets {
                w.line("");
                lines.push((id.clone(), w.next_line()));
                let mut head = format!("// changeset t:{id} runWith:mongosh");
                if let Some(l) = s.labels {
                    head.push_str(&format!(" labels:{l}"));
                }
                if let Some(c) = s.context {
                    head.push_str(&format!(" context:{c}"));
                }
                w.line(&head);
                if let Some(c) = s.comment {
                    w.line(&format!("// comment: {c}"));
                }
                for c in s.changes {
                    w.line(&format!("{};", c.js));
                }
                if let Some(r) = s.rollback {
                    let script: Vec<String> = r.iter().map(|c| format!("{};", c.js)).collect();
                    w.line(&format!("// rollback {}", script.join(" ")));
                }
            }
        }
    }
    (w.text, lines)
}

fn project(test: &str) -> Project {
    let (_, db, url) = block_on(server().fresh_db(test));
    Project::new(db, url)
}

fn json_report(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "`checks run --output json` prints JSON ({e}):\n{}\n{}",
            run.stdout, run.stderr
        )
    })
}

#[test]
fn each_builtin_check_fires_on_its_fixture_in_every_format_and_not_on_its_twin() {
    let p = project("checks_every_format");
    p.write("settings.json", SETTINGS);
    for format in [Format::Xml, Format::Yaml, Format::Json, Format::Mongosh] {
        let (text, lines) = render(format);
        p.write(format.file(), &text);
        let run = p.run(&[
            "checks",
            "run",
            "--changelog-file",
            format.file(),
            "--checks-settings-file",
            "settings.json",
            "--output",
            "json",
        ]);
        let report = json_report(&run);
        let findings = report["findings"].as_array().expect("findings");
        // The exit code is the highest severity's return code: CommandDenyList is a BLOCKER.
        assert_eq!(run.code, 4, "{format:?}: {}", run.stderr);
        assert_eq!(report["returnCode"], 4);
        for case in CASES
            .iter()
            .filter(|c| format != Format::Mongosh || c.mongosh)
        {
            for (twin, fires) in [("bad", true), ("good", false)] {
                let id = format!("{}-{twin}", case.name);
                let hits: Vec<&Value> = findings
                    .iter()
                    .filter(|f| {
                        f["check"] == case.check
                            && f["changeset"] == format!("{}::{id}::t", format.file())
                    })
                    .collect();
                assert_eq!(
                    !hits.is_empty(),
                    fires,
                    "{format:?}: {} on `{id}`: {hits:#?}\n{text}",
                    case.check
                );
                let line = lines.iter().find(|(i, _)| *i == id).expect("rendered").1;
                for h in hits {
                    assert_eq!(h["file"], format.file(), "{format:?} {id}");
                    assert_eq!(h["line"], line, "{format:?} {id}: {h:#}\n{text}");
                    assert!(h["hint"].as_str().is_some_and(|s| !s.is_empty()), "{h:#}");
                }
            }
        }
    }
}

#[test]
fn the_text_report_names_file_line_changeset_and_hint() {
    let p = project("checks_text_report");
    let (text, lines) = render(Format::Xml);
    p.write("changelog.xml", &text);
    let run = p.run(&[
        "checks",
        "run",
        "--changelog-file",
        "changelog.xml",
        "--check-name",
        "IndexNamingConvention",
    ]);
    assert_eq!(run.code, 2, "MAJOR is return code 2: {}", run.stderr);
    let line = lines
        .iter()
        .find(|(i, _)| i == "naming-bad")
        .expect("rendered")
        .1;
    run.assert_stdout_contains("Changeset ID:       changelog.xml::naming-bad::t")
        .assert_stdout_contains(&format!("Changeset Filepath: changelog.xml:{line}"))
        .assert_stdout_contains("Check Severity:     MAJOR (Return code: 2)")
        .assert_stdout_contains("expected `idx_users_email__tenant`")
        .assert_stdout_contains("Hint:               name the index `idx_users_email__tenant`")
        .assert_stderr_contains("the highest severity is MAJOR (return code 2)");
}

#[test]
fn settings_disable_checks_set_severities_and_reject_typos() {
    let p = project("checks_settings");
    let (text, _) = render(Format::Yaml);
    p.write("changelog.yaml", &text);
    // Everything off but one, downgraded to INFO: findings, exit 0.
    let mut checks = serde_json::Map::new();
    for id in [
        "IndexNamingConvention",
        "IndexWithoutName",
        "RollbackRequired",
        "DropWarn",
        "UnfilteredWrite",
        "CommandDenyList",
        "ChangesetLabelCheck",
        "ChangesetContextCheck",
        "ChangesetCommentCheck",
        "MixedChangeset",
        "UniqueIndexDuplicates",
        "ValidatorViolations",
        "LargeCollectionIndexBuild",
        "DuplicateIndexKeys",
    ] {
        checks.insert(id.to_owned(), json!({ "enabled": false }));
    }
    checks.insert(
        "LargeInsertMany".to_owned(),
        json!({ "severity": "INFO", "parameters": { "maxDocuments": 2 } }),
    );
    p.write(
        "lbmongo.checks-settings.json",
        &json!({ "checks": checks }).to_string(),
    );
    let run = p.run(&[
        "checks",
        "run",
        "--changelog-file",
        "changelog.yaml",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = json_report(&run);
    assert_eq!(report["checks"], json!(["LargeInsertMany"]));
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["severity"], "INFO");
    // A disabled check named on the command line is an error, not a silent pass.
    p.run(&[
        "checks",
        "run",
        "--changelog-file",
        "changelog.yaml",
        "--check-name",
        "DropWarn",
    ])
    .failed()
    .assert_stderr_contains("check `DropWarn` is disabled");
    // A typo in the settings file names the file and the key.
    p.write("typo.json", r#"{"checks": {"DropWarm": {}}}"#);
    p.run(&["checks", "show", "--checks-settings-file", "typo.json"])
        .failed()
        .assert_stderr_contains("checks settings file `typo.json`: there is no check `DropWarm`")
        .assert_stderr_contains("hint: `lbmongo checks show` lists the ids");
    // `checks show` lists every check with its effective state.
    let show = p.run(&["checks", "show", "--output", "json"]).ok();
    let shown: Value = serde_json::from_str(&show.stdout).expect("JSON");
    let large = shown["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == "LargeInsertMany")
        .expect("listed");
    assert_eq!(large["severity"], "INFO");
    assert_eq!(large["defaultSeverity"], "MINOR");
    assert_eq!(large["parameters"]["maxDocuments"], 2);
}

#[test]
fn checks_input_carries_the_commands_update_sql_prints() {
    let p = project("checks_input");
    let (text, _) = render(Format::Mongosh);
    p.write("changelog.js", &text);
    let run = p
        .run(&["checks", "input", "--changelog-file", "changelog.js"])
        .ok();
    let docs: Vec<Value> = serde_json::from_str(&run.stdout).expect("a JSON array");
    let naming = docs
        .iter()
        .find(|d| d["changeset"]["id"] == "naming-bad")
        .expect("the changeset");
    assert_eq!(naming["inputVersion"], 1);
    assert_eq!(naming["scope"], "changelog");
    assert_eq!(naming["platform"]["kind"], "unknown");
    assert_eq!(naming["changes"][0]["type"], "mongo");
    let command = &naming["changes"][0]["commands"][0];
    assert_eq!(command["name"], "createIndexes");
    assert_eq!(
        command["body"],
        json!({"createIndexes": "users", "indexes": [{"key": {"email": 1, "tenant": 1}, "name": "email_tenant"}]})
    );
    // The same line `update-sql` prints for it.
    let sql = p
        .run(&["update-sql", "--changelog-file", "changelog.js"])
        .ok();
    let js = command["text"].as_str().expect("text");
    assert!(sql.stdout.contains(js), "{js} not in:\n{}", sql.stdout);
    // A rollback with no automatic inverse says why.
    let rollback = docs
        .iter()
        .find(|d| d["changeset"]["id"] == "rollback-bad")
        .expect("the changeset");
    assert_eq!(rollback["rollback"]["kind"], "none");
    let good = docs
        .iter()
        .find(|d| d["changeset"]["id"] == "rollback-good")
        .expect("the changeset");
    assert_eq!(good["rollback"]["kind"], "explicit");
    // Every format's input follows the documented schema.
    let schema = crate::support::repo_root().join("docs/checks-input.schema.json");
    for format in [Format::Xml, Format::Yaml, Format::Json, Format::Mongosh] {
        let (text, _) = render(format);
        p.write(format.file(), &text);
        let run = p
            .run(&["checks", "input", "--changelog-file", format.file()])
            .ok();
        p.write("input.json", &run.stdout);
        let n = validate(&schema, &p.dir.path().join("input.json"), true);
        assert!(n >= 20, "{format:?}: {n} documents");
    }
    // One document per line on request; `--platform` names the platform offline.
    let lines = p
        .run(&[
            "checks",
            "input",
            "--changelog-file",
            "changelog.js",
            "--per-changeset",
            "--platform",
            "documentdb",
        ])
        .ok();
    let first: Value =
        serde_json::from_str(lines.stdout.lines().next().expect("a line")).expect("JSON");
    assert_eq!(first["platform"]["kind"], "documentdb");
    assert_eq!(lines.stdout.lines().count(), docs.len());
}

#[test]
fn the_update_gate_writes_nothing_when_a_finding_blocks() {
    let p = project("checks_gate");
    let (text, _) = render(Format::Xml);
    p.write("changelog.xml", &text);
    let before = block_on(p.collections());
    assert!(before.is_empty(), "{before:?}");
    for command in [
        vec!["update"],
        vec!["update-count", "--count", "1"],
        vec!["update-testing-rollback"],
    ] {
        let run = p.run(
            &[
                command.as_slice(),
                &[
                    "--changelog-file",
                    "changelog.xml",
                    "--checks-run-before-update",
                ],
            ]
            .concat(),
        );
        assert_ne!(run.code, 0, "{command:?}: {}", run.stderr);
        assert_eq!(run.code, 4, "the highest severity: {}", run.stderr);
        run.assert_stderr_contains("Check Name:         CommandDenyList")
            .assert_stderr_contains("nothing was written");
        // No tracking collection, no lock, no change.
        assert_eq!(
            block_on(p.collections()),
            Vec::<String>::new(),
            "{command:?}"
        );
    }
    // The settings file's `runBeforeUpdate` gates too; raising `blockingSeverity` above every
    // finding lets the same update through.
    p.write(
        "lbmongo.checks-settings.json",
        r#"{"runBeforeUpdate": true, "blockingSeverity": "BLOCKER"}"#,
    );
    p.run(&["update", "--changelog-file", "changelog.xml"])
        .failed_with(4);
    assert_eq!(block_on(p.collections()), Vec::<String>::new());
    let clean = r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb">
  <changeSet id="1" author="t" labels="app" context="prod">
    <comment>a reason</comment>
    <mongodb:createCollection collectionName="users"/>
  </changeSet>
</databaseChangeLog>
"#;
    p.write("clean.xml", clean);
    p.run(&["update", "--changelog-file", "clean.xml"]).ok();
    let names = block_on(p.collections());
    assert!(names.contains(&"users".to_owned()), "{names:?}");
    let rows = block_on(p.find("DATABASECHANGELOG", doc! {}));
    assert_eq!(rows.len(), 1);
}

/// The SARIF 2.1.0 JSON schema, from a registry package (npm `@microsoft/jest-sarif`, which
/// ships the OASIS schema), installed once into `.cache/` by `scripts/install-node-tools.sh`.
fn sarif_schema() -> std::path::PathBuf {
    let root = crate::support::repo_root();
    let status = std::process::Command::new("bash")
        .arg(root.join("scripts/install-node-tools.sh"))
        .arg("sarif-schema")
        .status()
        .expect("bash runs");
    assert!(status.success(), "installing the SARIF schema failed");
    let dir = root.join(".cache/npm/sarif-schema/node_modules/@microsoft/jest-sarif");
    let found = walk(&dir).into_iter().find(|p| {
        p.file_name().is_some_and(|n| {
            n.to_string_lossy().starts_with("sarif-schema-2.1.0") || n == "sarif-2.1.0-rtm.5.json"
        })
    });
    found.unwrap_or_else(|| panic!("no SARIF 2.1.0 schema under {}", dir.display()))
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Validates the JSON file `instance` (each item of it when `each`) against a JSON schema
/// with Python's `jsonschema`; returns how many documents were valid.
fn validate(schema: &std::path::Path, instance: &std::path::Path, each: bool) -> usize {
    let check = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             doc = json.load(open(sys.argv[2]))\n\
             docs = doc if sys.argv[3] == 'each' else [doc]\n\
             validator = jsonschema.validators.validator_for(schema)(schema)\n\
             for d in docs: validator.validate(d)\n\
             print(len(docs))\n",
        )
        .arg(schema)
        .arg(instance)
        .arg(if each { "each" } else { "one" })
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "`{}` does not validate against `{}`: {}",
        instance.display(),
        schema.display(),
        String::from_utf8_lossy(&check.stderr),
    );
    String::from_utf8_lossy(&check.stdout)
        .trim()
        .parse()
        .expect("a count")
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let p = project("checks_sarif");
    let (text, lines) = render(Format::Json);
    p.write("changelog.json", &text);
    let run = p.run(&[
        "checks",
        "run",
        "--changelog-file",
        "changelog.json",
        "--output",
        "sarif",
    ]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    p.write("out.sarif", &run.stdout);
    assert_eq!(
        validate(&sarif_schema(), &p.dir.path().join("out.sarif"), false),
        1
    );
    // Each result sits at the changelog file and its changeset's line.
    let log: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let naming = results
        .iter()
        .find(|r| {
            r["ruleId"] == "IndexNamingConvention"
                && r["properties"]["changeset"] == "changelog.json::naming-bad::t"
        })
        .expect("the naming finding");
    let line = lines
        .iter()
        .find(|(i, _)| i == "naming-bad")
        .expect("rendered")
        .1;
    let location = &naming["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "changelog.json");
    assert_eq!(location["region"]["startLine"], line);
    assert_eq!(naming["level"], "warning");
}

/// Changesets that the example policies judge beyond the built-in checks' fixtures: a short TTL,
/// an uppercase and a placeholder author, a collation (denied on DocumentDB), an insert without
/// `_id`, labels outside the team's list, ids with and without a ticket key.
const POLICY_EXTRAS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb">
  <changeSet id="DB-1-ttl" author="Alice" labels="app">
    <comment>carts expire</comment>
    <mongodb:createIndex collectionName="carts">
      <mongodb:keys>{ "updatedAt": 1 }</mongodb:keys>
      <mongodb:options>{ "name": "ttl_carts", "expireAfterSeconds": 60 }</mongodb:options>
    </mongodb:createIndex>
  </changeSet>
  <changeSet id="DB-2" author="todo" labels="seed,weird,other">
    <mongodb:insertOne collectionName="users">
      <mongodb:document>{ "name": "no id" }</mongodb:document>
    </mongodb:insertOne>
    <mongodb:insertOne collectionName="teams">
      <mongodb:document>{ "_id": 7 }</mongodb:document>
    </mongodb:insertOne>
  </changeSet>
  <changeSet id="DB-3" author="bob smith" labels="catalog">
    <comment>search by name</comment>
    <mongodb:createIndex collectionName="products">
      <mongodb:keys>{ "name": 1, "brand": -1 }</mongodb:keys>
      <mongodb:options>{ "name": "idx_products_name__brand", "collation": { "locale": "en", "strength": 2 } }</mongodb:options>
    </mongodb:createIndex>
  </changeSet>
</databaseChangeLog>
"#;

/// Every `(changeset, rule, message)` OPA gives for the policies over the input documents:
/// one `opa eval`, each document bound as `input` in turn (`with input as`).
fn opa_messages(
    p: &Project,
    policies: &std::path::Path,
    docs: &[Value],
) -> Vec<(String, String, String)> {
    let root = crate::support::repo_root();
    let status = std::process::Command::new("bash")
        .arg(root.join("scripts/install-opa.sh"))
        .status()
        .expect("bash runs");
    assert!(status.success(), "building OPA failed");
    p.write("opa-data/docs.json", &json!({ "docs": docs }).to_string());
    let out = std::process::Command::new(root.join(".cache/opa/bin/opa"))
        .args(["eval", "--format", "json", "-d"])
        .arg(policies)
        .arg("-d")
        .arg(p.dir.path().join("opa-data/docs.json"))
        .arg("x := [[d.changeset.identifier, r] | some d in data.docs; r := data.lbmongo with input as d]")
        .output()
        .expect("opa runs");
    assert!(
        out.status.success(),
        "opa eval failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("opa prints JSON");
    let mut messages = Vec::new();
    for pair in result["result"][0]["bindings"]["x"].as_array().expect("x") {
        let id = pair[0].as_str().expect("an identifier").to_owned();
        for (package, rules) in pair[1].as_object().expect("packages") {
            for kind in ["deny", "warn"] {
                for m in rules[kind].as_array().map_or(&[][..], Vec::as_slice) {
                    messages.push((
                        id.clone(),
                        format!("lbmongo.{package}.{kind}"),
                        m.as_str().expect("a message").to_owned(),
                    ));
                }
            }
        }
    }
    messages.sort();
    messages
}

#[test]
fn rego_policies_give_exactly_opas_messages() {
    let p = project("checks_rego_opa");
    let (text, _) = render(Format::Xml);
    p.write("cases.xml", &text);
    p.write("extras.xml", POLICY_EXTRAS);
    p.write(
        "changelog.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
  <include file="cases.xml"/>
  <include file="extras.xml"/>
</databaseChangeLog>
"#,
    );
    let policies = crate::support::repo_root().join("examples/policies");
    let policies_arg = policies.to_str().expect("a UTF-8 path");
    let common = [
        "--changelog-file",
        "changelog.xml",
        "--platform",
        "documentdb",
    ];
    let input = p.run(&[&["checks", "input"][..], &common].concat()).ok();
    let docs: Vec<Value> = serde_json::from_str(&input.stdout).expect("a JSON array");
    let expected = opa_messages(&p, &policies, &docs);
    let run = p.run(
        &[
            &[
                "checks",
                "run",
                "--output",
                "json",
                "--checks-policies",
                policies_arg,
            ][..],
            &common,
        ]
        .concat(),
    );
    let report = json_report(&run);
    let mut got: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["check"]
                .as_str()
                .is_some_and(|c| c.starts_with("lbmongo."))
        })
        .map(|f| {
            (
                f["changeset"].as_str().expect("changeset").to_owned(),
                f["check"].as_str().expect("check").to_owned(),
                f["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got, expected,
        "lbmongo (left) and opa eval (right) disagree"
    );
    // The corpus means something: every policy file has a rule that fired.
    let fired: std::collections::BTreeSet<&str> = got
        .iter()
        .map(|(_, check, _)| check.rsplit_once('.').expect("pkg.rule").0)
        .collect();
    let files = std::fs::read_dir(&policies).expect("the policies").count();
    assert!(files >= 10, "{files} policies");
    assert_eq!(fired.len(), files, "policies that fired: {fired:?}");
    // deny is MAJOR and warn INFO by default.
    let deny = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == "lbmongo.index_naming.deny")
        .expect("a naming finding");
    assert_eq!(deny["severity"], "MAJOR");
}

/// Everything a database holds that a check could change: each collection's options, indexes
/// and documents.
async fn contents(db: &mongodb::Database) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut names = db.list_collection_names().await.expect("list collections");
    names.sort();
    for name in names {
        let collection = db.collection::<mongodb::bson::Document>(&name);
        let docs = crate::support::cli::find(db, &name, doc! { "_id": 1 }).await;
        let indexes: Vec<mongodb::IndexModel> = {
            use futures_util::TryStreamExt as _;
            collection
                .list_indexes()
                .await
                .expect("list indexes")
                .try_collect()
                .await
                .expect("read indexes")
        };
        let specs = db
            .run_command(doc! { "listCollections": 1, "filter": { "name": &name } })
            .await
            .expect("listCollections");
        out.push((
            name,
            json!({
                "options": mongodb::bson::Bson::Document(specs).into_relaxed_extjson()["cursor"]["firstBatch"][0]["options"].clone(),
                "indexes": format!("{indexes:?}"),
                "documents": docs.into_iter().map(|d| mongodb::bson::Bson::Document(d).into_relaxed_extjson()).collect::<Vec<_>>(),
            }),
        ));
    }
    out
}

#[test]
fn the_database_scope_finds_duplicates_and_violations_and_writes_nothing() {
    let p = project("checks_database");
    block_on(async {
        let users = p.db.collection::<mongodb::bson::Document>("users");
        users
            .insert_many([
                doc! { "_id": 1, "email": "a@example.com" },
                doc! { "_id": 2, "email": "a@example.com" },
                doc! { "_id": 3, "email": "b@example.com" },
                doc! { "_id": 4, "email": 5 },
            ])
            .await
            .expect("seed users");
        users
            .create_index(
                mongodb::IndexModel::builder()
                    .keys(doc! { "email": 1 })
                    .options(
                        mongodb::options::IndexOptions::builder()
                            .name("idx_users_email".to_owned())
                            .build(),
                    )
                    .build(),
            )
            .await
            .expect("an index");
    });
    p.write(
        "changelog.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb">
  <changeSet id="1" author="t">
    <mongodb:createIndex collectionName="users">
      <mongodb:keys>{ "email": 1 }</mongodb:keys>
      <mongodb:options>{ "name": "ux_users_email", "unique": true }</mongodb:options>
    </mongodb:createIndex>
  </changeSet>
  <changeSet id="2" author="t">
    <mongodb:runCommand>
      <mongodb:command>{ "collMod": "users", "validator": { "$jsonSchema": { "required": ["email"], "properties": { "email": { "bsonType": "string" } } } } }</mongodb:command>
    </mongodb:runCommand>
  </changeSet>
  <changeSet id="3" author="t">
    <mongodb:createIndex collectionName="orders">
      <mongodb:keys>{ "at": 1 }</mongodb:keys>
      <mongodb:options>{ "name": "idx_orders_at", "unique": true }</mongodb:options>
    </mongodb:createIndex>
  </changeSet>
</databaseChangeLog>
"#,
    );
    p.write(
        "settings.json",
        r#"{"checks": {"LargeCollectionIndexBuild": {"parameters": {"maxDocuments": 3}}}}"#,
    );
    let before = block_on(contents(&p.db));
    let run = p.run(&[
        "checks",
        "run",
        "--changelog-file",
        "changelog.xml",
        "--checks-scope",
        "database",
        "--checks-settings-file",
        "settings.json",
        "--output",
        "json",
    ]);
    let report = json_report(&run);
    assert_eq!(report["scope"], "database");
    let findings = report["findings"].as_array().expect("findings");
    let of = |check: &str, cs: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f["check"] == check && f["changeset"] == format!("changelog.xml::{cs}::t"))
            .map(|f| f["message"].as_str().expect("a message").to_owned())
            .collect()
    };
    let dup = of("UniqueIndexDuplicates", "1");
    assert_eq!(dup.len(), 1, "{findings:#?}");
    assert!(
        dup[0].contains(r#"{"email":"a@example.com"} (2 documents, _id [1,2])"#),
        "{}",
        dup[0]
    );
    let bad = of("ValidatorViolations", "2");
    assert_eq!(bad.len(), 1, "{findings:#?}");
    assert!(
        bad[0].contains("rejects 1 existing document(s), for example _id 4"),
        "{}",
        bad[0]
    );
    assert_eq!(
        of("LargeCollectionIndexBuild", "1").len(),
        1,
        "{findings:#?}"
    );
    let same = of("DuplicateIndexKeys", "1");
    assert_eq!(same.len(), 1, "{findings:#?}");
    assert!(
        same[0].contains("the existing index `idx_users_email`"),
        "{}",
        same[0]
    );
    // A collection that does not exist yet meets nothing.
    for check in [
        "UniqueIndexDuplicates",
        "LargeCollectionIndexBuild",
        "DuplicateIndexKeys",
    ] {
        assert!(of(check, "3").is_empty(), "{check}: {findings:#?}");
    }
    // The database scope's input follows the schema, and nothing was written by either run.
    let input = p
        .run(&[
            "checks",
            "input",
            "--changelog-file",
            "changelog.xml",
            "--checks-scope",
            "database",
        ])
        .ok();
    p.write("input.json", &input.stdout);
    let schema = crate::support::repo_root().join("docs/checks-input.schema.json");
    assert_eq!(validate(&schema, &p.dir.path().join("input.json"), true), 3);
    assert_eq!(block_on(contents(&p.db)), before);
    assert_eq!(block_on(p.collections()), vec!["users".to_owned()]);
}

#[test]
fn a_fleet_gate_blocks_only_the_databases_with_blocking_findings() {
    let prefix = crate::support::db_name("checks_fleet");
    let client = block_on(mongodb::Client::with_uri_str(server().uri())).expect("a client");
    let names: Vec<String> = (0..3).map(|i| format!("{prefix}_t{i:03}")).collect();
    block_on(async {
        for (i, name) in names.iter().enumerate() {
            let customers = client
                .database(name)
                .collection::<mongodb::bson::Document>("customers");
            customers
                .insert_one(doc! { "_id": 1, "name": "ada" })
                .await
                .expect("seed a tenant");
            // Only the second tenant holds a duplicate under the new unique index.
            let second = if i == 1 { "ada" } else { "grace" };
            customers
                .insert_one(doc! { "_id": 2, "name": second })
                .await
                .expect("seed a tenant");
        }
    });
    let (_, db, _) = block_on(server().fresh_db("checks_fleet_project"));
    let p = Project::new(db, server().uri_for(""));
    p.write(
        "changelog.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb">
  <changeSet id="1" author="t" labels="app" context="prod">
    <comment>one customer per name</comment>
    <mongodb:createIndex collectionName="customers">
      <mongodb:keys>{ "name": 1 }</mongodb:keys>
      <mongodb:options>{ "name": "idx_customers_name", "unique": true }</mongodb:options>
    </mongodb:createIndex>
  </changeSet>
</databaseChangeLog>
"#,
    );
    let pattern = format!("^{prefix}_t");
    let run = p.run(&[
        "update",
        "--changelog-file",
        "changelog.xml",
        "--databases",
        &pattern,
        "--on-error",
        "continue",
        "--checks-run-before-update",
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    run.assert_stdout_contains("3 databases: 2 succeeded, 1 failed, 0 not started");
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{} ", names[1])))
        .unwrap_or_else(|| panic!("no row for the blocked tenant:\n{}", run.stdout));
    assert!(row.contains("UniqueIndexDuplicates"), "{row}");
    for (i, name) in names.iter().enumerate() {
        let mut collections =
            block_on(client.database(name).list_collection_names()).expect("list");
        collections.sort();
        if i == 1 {
            // Blocked: no tracking collection, no lock, no index.
            assert_eq!(collections, vec!["customers".to_owned()], "{name}");
            let indexes = block_on(
                client
                    .database(name)
                    .collection::<mongodb::bson::Document>("customers")
                    .list_index_names(),
            )
            .expect("indexes");
            assert_eq!(indexes, vec!["_id_".to_owned()], "{name}");
        } else {
            assert!(
                collections.contains(&"DATABASECHANGELOG".to_owned()),
                "{name}: {collections:?}"
            );
        }
    }
}
