//! Invalid changelogs in XML, YAML and JSON: each is rejected before anything runs, with every
//! problem it holds, and the full error text (file, line, changeset, message, hint) is pinned.
//!
//! One fixture per case in `tests/fixtures/invalid/`, read through the search path exactly as
//! `lbmongo --changelog-file=<name> --search-path=tests/fixtures/invalid` would.

use std::collections::BTreeSet;
use std::path::PathBuf;

use executor::{ChangeLogParameters, MissingPropertyMode, ParameterOptions};
use executor::{ReadOptions, read_changelog};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid")
}

/// How a case is read.
#[derive(Clone, Copy)]
enum Mode {
    /// The defaults.
    Default,
    /// `--missing-property-mode=ERROR`.
    MissingPropertyError,
}

fn options(mode: Mode) -> ReadOptions {
    let mut options = ReadOptions {
        search_path: vec![fixtures()],
        ..ReadOptions::default()
    };
    if let Mode::MissingPropertyError = mode {
        options.parameters = ChangeLogParameters::new(ParameterOptions {
            missing: MissingPropertyMode::Error,
            database_short_name: "mongodb".into(),
            ..ParameterOptions::default()
        });
    }
    options
}

/// `(fixture, how it is read, the exact error text)`.
const CASES: &[(&str, Mode, &str)] = &[
    // -- XML ---------------------------------------------------------------------------------------
    (
        "create-index-missing-keys.xml",
        Mode::Default,
        "invalid changelog: create-index-missing-keys.xml:10: changeset `1::alice`: createIndex: \
         missing required attribute `keys`",
    ),
    (
        "insert-one-bad-json.xml",
        Mode::Default,
        "invalid changelog: insert-one-bad-json.xml:11: changeset `1::alice`: insertOne `document`: \
         line 1, column 22: expected a value but found `}`",
    ),
    (
        "unknown-change-type.xml",
        Mode::Default,
        "invalid changelog: unknown-change-type.xml:10: changeset `1::alice`: unknown change type \
         `createIndx`\n  hint: did you mean `createIndex`?",
    ),
    (
        "unknown-change-attribute.xml",
        Mode::Default,
        "invalid changelog: unknown-change-attribute.xml:10: changeset `1::alice`: createCollection: \
         unknown attribute `capped`\n  hint: createCollection takes `collectionName`, `options`",
    ),
    (
        "sql-change.xml",
        Mode::Default,
        "invalid changelog: sql-change.xml:10: changeset `1::alice`: `createTable` is a SQL change, not \
         supported on MongoDB\n  hint: use `createCollection`",
    ),
    (
        "sql-precondition.xml",
        Mode::Default,
        "invalid changelog: sql-precondition.xml:11: changeset `1::alice`: precondition `sqlCheck` is \
         meaningless on MongoDB\n  hint: use `collectionExists`, `documentExists`, \
         `expectedDocumentCount` or `indexExists`",
    ),
    (
        "raw-sql-rollback.xml",
        Mode::Default,
        "invalid changelog: raw-sql-rollback.xml:13: changeset `1::alice`: rollback: raw text is SQL, \
         which MongoDB cannot run\n  hint: put a change in the rollback, e.g. a `runCommand` or \
         `dropCollection`",
    ),
    (
        "unknown-rollback-reference.xml",
        Mode::Default,
        "invalid changelog: unknown-rollback-reference.xml:9: changeset `1::alice`: rollback: changeset \
         `unknown-rollback-reference.xml::0::alice` does not exist",
    ),
    (
        "duplicate-identifiers.xml",
        Mode::Default,
        "invalid changelog: duplicate-identifiers.xml:12: changeset `1::alice`: duplicate changeset \
         identifier `duplicate-identifiers.xml::1::alice` (first at line 9)\n  hint: give each \
         changeset its own id, or allow duplicates with `--allow-duplicated-changeset-identifiers`",
    ),
    (
        "bad-context-expression.xml",
        Mode::Default,
        "invalid changelog: bad-context-expression.xml:9: changeset `1::alice`: cannot parse context \
         expression `(dev`: `(dev` has unbalanced or empty parentheses",
    ),
    (
        "run-order.xml",
        Mode::Default,
        "invalid changelog: run-order.xml:9: changeset `1::alice`: changeSet: `runOrder=\"first\"` is not \
         supported by lbmongo\n  hint: move the changeset to where it should run",
    ),
    (
        "unknown-run-with.xml",
        Mode::Default,
        "invalid changelog: unknown-run-with.xml:9: changeset `1::alice`: runWith `psql` is not \
         supported\n  hint: MongoDB changesets run with `mongosh` or the default (`jdbc`)",
    ),
    (
        "mongo-without-run-with.xml",
        Mode::Default,
        "invalid changelog: mongo-without-run-with.xml:9: changeset `1::alice`: `mongo` needs \
         runWith=\"mongosh\"\n  hint: add runWith=\"mongosh\" to the changeSet",
    ),
    (
        "changelog-precondition-continue.xml",
        Mode::Default,
        "invalid changelog: changelog-precondition-continue.xml:9: changelog preConditions: \
         `onFail=\"CONTINUE\"` is not allowed, only `HALT` or `WARN`\n  hint: to skip or mark a \
         changeset, put the preConditions inside that changeSet",
    ),
    (
        "missing-include.xml",
        Mode::Default,
        "invalid changelog: missing-include.xml:9: include: file `changes/towns.xml` was not found\n  \
         hint: the path is resolved next to the including changelog",
    ),
    (
        "include-self.xml",
        Mode::Default,
        "invalid changelog: include-self.xml:9: include cycle: include-self.xml -> include-self.xml",
    ),
    (
        "modify-sql.xml",
        Mode::Default,
        "invalid changelog: modify-sql.xml:11: changeset `1::alice`: `modifySql` is not supported on \
         MongoDB\n  hint: it edits generated SQL; MongoDB changes generate commands",
    ),
    (
        "missing-mongo-file.xml",
        Mode::Default,
        "invalid changelog: missing-mongo-file.xml:10: changeset `1::alice`: mongoFile: file \
         `scripts/seed.js` was not found\n  hint: the path is resolved next to the changelog",
    ),
    (
        "misspelled-changeset-attribute.xml",
        Mode::Default,
        "invalid changelog: misspelled-changeset-attribute.xml:9: changeset `1::alice`: changeSet: \
         unknown attribute `runAllways`\n  hint: did you mean `runAlways`?",
    ),
    (
        "bad-boolean.xml",
        Mode::Default,
        "invalid changelog: bad-boolean.xml:9: changeset `1::alice`: changeSet: `runOnChange` must be \
         `true` or `false`, not `yes`",
    ),
    (
        "many-problems.xml",
        Mode::Default,
        "invalid changelog: 5 problems\n\
         - many-problems.xml:10: changeset `1::alice`: createCollection: missing required attribute \
         `collectionName`\n\
         - many-problems.xml:11: changeset `1::alice`: runCommand: `command` is empty\n\
         - many-problems.xml:15: changeSet: missing required attribute `id`\n\
         - many-problems.xml:19: changeset `3::carol`: insertMany: missing required attribute \
         `documents`\n\
         - many-problems.xml:20: changeset `3::carol`: dropIndex: unknown attribute `name`\n  hint: \
         dropIndex takes `collectionName`, `keys`",
    ),
    (
        "latin1.xml",
        Mode::Default,
        "invalid changelog: latin1.xml:9: not valid UTF-8 at byte 560\n  hint: changelogs are read as \
         UTF-8; save the file as UTF-8",
    ),
    // -- YAML --------------------------------------------------------------------------------------
    (
        "nested-mapping.yaml",
        Mode::Default,
        "invalid changelog: nested-mapping.yaml:8: changeset `1::alice`: createIndex: `keys` must be \
         text, not a nested mapping\n  hint: wrap the object in {\"$rawJson\": …} or give it as a \
         string",
    ),
    (
        "missing-collection-name.yaml",
        Mode::Default,
        "invalid changelog: missing-collection-name.yaml:6: changeset `1::alice`: insertOne: missing \
         required attribute `collectionName`",
    ),
    (
        "rollback-sql.yaml",
        Mode::Default,
        "invalid changelog: rollback-sql.yaml:8: changeset `1::alice`: rollback: raw text is SQL, which \
         MongoDB cannot run\n  hint: put a change in the rollback, e.g. a `runCommand` or \
         `dropCollection`",
    ),
    (
        "negative-expected-count.yaml",
        Mode::Default,
        "invalid changelog: negative-expected-count.yaml:7: changeset `1::alice`: \
         expectedDocumentCount: `expectedCount` must be a non-negative integer, not `-1`",
    ),
    (
        "missing-id.yaml",
        Mode::Default,
        "invalid changelog: missing-id.yaml:2: changeSet: missing required attribute `id`",
    ),
    (
        "unknown-precondition.yaml",
        Mode::Default,
        "invalid changelog: unknown-precondition.yaml:7: changeset `1::alice`: unknown precondition \
         `collectionExist`\n  hint: did you mean `collectionExists`?",
    ),
    (
        "mongosh-mixed-changes.yaml",
        Mode::Default,
        "invalid changelog: mongosh-mixed-changes.yaml:2: changeset `1::alice`: unsupported change type \
         `createCollection` with runWith=\"mongosh\": such a changeset may only contain `mongo` or \
         `mongoFile`\n  hint: move the other changes to a changeset without runWith",
    ),
    (
        "undefined-property.yaml",
        Mode::MissingPropertyError,
        "invalid changelog: undefined-property.yaml:10: changeset `1::alice`: could not resolve \
         expression `${colection}` in file `undefined-property.yaml`: property `colection` is not \
         defined",
    ),
    // -- JSON --------------------------------------------------------------------------------------
    (
        "nested-object.json",
        Mode::Default,
        "invalid changelog: nested-object.json:11: changeset `1::alice`: createCollection: `options` \
         must be text, not a nested mapping\n  hint: wrap the object in {\"$rawJson\": …} or give it \
         as a string",
    ),
    (
        "update-missing-filter.json",
        Mode::Default,
        "invalid changelog: update-missing-filter.json:9: changeset `1::alice`: updateMany: missing \
         required attribute `filter`",
    ),
    (
        "unexpected-root-node.json",
        Mode::Default,
        "invalid changelog: unexpected-root-node.json:4: unexpected node `chnageSet` under \
         databaseChangeLog\n  hint: did you mean `changeSet`?",
    ),
    (
        "insert-many-not-an-array.json",
        Mode::Default,
        "invalid changelog: insert-many-not-an-array.json:11: changeset `1::alice`: insertMany \
         `documents`: line 1, column 1: expected an array of documents but found a document",
    ),
    (
        "bad-on-fail.json",
        Mode::Default,
        "invalid changelog: bad-on-fail.json:7: changeset `1::alice`: preConditions: `onFail` must be \
         `HALT`, `CONTINUE`, `MARK_RAN` or `WARN`, not `SKIP`",
    ),
    (
        "sql-rollback-change.json",
        Mode::Default,
        "invalid changelog: sql-rollback-change.json:11: changeset `1::alice`: `sql` is a SQL change, \
         not supported on MongoDB\n  hint: use `runCommand`, or `mongo`/`mongoFile` in a changeSet \
         with runWith=\"mongosh\"",
    ),
    (
        "unknown-include-format.json",
        Mode::Default,
        "invalid changelog: unknown-include-format.json:3: include: `../../invalid.rs` is not a changelog\n  \
         hint: included files end in .xml, .yaml, .yml, .json or .js (formatted)",
    ),
];

#[test]
fn each_invalid_changelog_is_rejected_with_its_exact_error() {
    let mut failures = Vec::new();
    for (fixture, mode, expected) in CASES {
        let actual = match read_changelog(fixture, &options(*mode)) {
            Ok(log) => format!("read {} changesets", log.change_sets.len()),
            Err(e) => e.to_string(),
        };
        if actual != *expected {
            failures.push(format!(
                "{fixture}\n  expected: {expected:?}\n  actual:   {actual:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_has_exactly_one_case() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures())
        .expect("fixtures directory")
        .map(|entry| {
            entry
                .expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let listed: Vec<&str> = CASES.iter().map(|(fixture, _, _)| *fixture).collect();
    let unique: BTreeSet<String> = listed.iter().map(|f| (*f).to_owned()).collect();
    assert_eq!(unique.len(), listed.len(), "a fixture is listed twice");
    assert_eq!(on_disk, unique);
    let formats: BTreeSet<&str> = listed
        .iter()
        .filter_map(|f| f.rsplit_once('.').map(|(_, ext)| ext))
        .collect();
    assert_eq!(formats, BTreeSet::from(["json", "xml", "yaml"]));
}

#[test]
fn the_same_changelogs_load_once_fixed() {
    // The rejection is about the problem, not the file: with the problem removed, each loads.
    let dir = tempfile::tempdir().expect("temp dir");
    let fixed = [
        (
            "create-index-missing-keys.xml",
            "<mongodb:options>",
            "<mongodb:keys>{name: 1}</mongodb:keys><mongodb:options>",
        ),
        ("unknown-change-type.xml", "createIndx", "createIndex"),
        (
            "misspelled-changeset-attribute.xml",
            "runAllways",
            "runAlways",
        ),
        (
            "nested-mapping.yaml",
            "keys:\n              name: 1",
            "keys: '{name: 1}'",
        ),
        (
            "update-missing-filter.json",
            "\"update\":",
            "\"filter\": \"{}\", \"update\":",
        ),
    ];
    for (fixture, from, to) in fixed {
        let text = std::fs::read_to_string(fixtures().join(fixture)).expect("fixture");
        assert!(text.contains(from), "{fixture} contains {from:?}");
        std::fs::write(dir.path().join(fixture), text.replace(from, to)).expect("write");
        let options = ReadOptions {
            search_path: vec![dir.path().to_path_buf()],
            ..ReadOptions::default()
        };
        let log = read_changelog(fixture, &options).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        assert_eq!(log.change_sets.len(), 1, "{fixture}");
    }
}
