//! One changelog, many spellings: XML, YAML and JSON trees of the same changesets, and the same
//! files with LF, CRLF and a UTF-8 byte order mark, must read into the same model and give the
//! same checksums, which are the ones the real Liquibase records.
//!
//! Golden checksums were observed with the Liquibase 4.33.0 CLI and liquibase-mongodb 4.33.0.1
//! (`scripts/liquibase.sh update`, then the `md5sum` of each DATABASECHANGELOG row). XML, YAML and
//! JSON gave the same value for every changeset, and so did the LF, CRLF and BOM copies.

use std::path::{Path, PathBuf};

use executor::CheckSum;
use executor::change::Change;
use executor::{ChangeLog, ChangeSet};
use executor::{ReadOptions, read_changelog};

/// The repository's `examples/` directory.
fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// `executor/tests/fixtures/eol/<variant>`.
fn eol(variant: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eol")
        .join(variant)
}

/// Reads `file` with `dir` as the only search path, as `--search-path=<dir>` would.
fn read(dir: &Path, file: &str) -> ChangeLog {
    let options = ReadOptions {
        search_path: vec![dir.to_path_buf()],
        ..ReadOptions::default()
    };
    read_changelog(file, &options)
        .unwrap_or_else(|e| panic!("`{file}` in `{}` does not load:\n{e}", dir.display()))
}

fn checksum(change_set: &ChangeSet) -> String {
    CheckSum::of_change_set(change_set, 9, "mongodb").to_string()
}

/// The model with everything that names the file left out: FILENAMEs, physical paths and lines.
/// JSON-ish texts keep their author's layout in XML and YAML but are Jackson's pretty-printing
/// for JSON `$rawJson`; checksums ignore whitespace, and so does this comparison.
fn shape(changelog: &ChangeLog) -> String {
    let mut changelog = changelog.clone();
    changelog.physical_path.clear();
    for change_set in &mut changelog.change_sets {
        change_set.id.path.clear();
        change_set.physical_path.clear();
        change_set.line = None;
    }
    format!("{changelog:?}")
        .replace("\\n", "")
        .replace("\\r", "")
        .replace("\\t", "")
        .replace(' ', "")
}

/// `(FILENAME under changes/<format>/, id, checksum)` of the shop changelog, in run order, as
/// Liquibase 4.33.0 + liquibase-mongodb 4.33.0.1 recorded them for all three formats.
const SHOP: &[(&str, &str, &str)] = &[
    (
        "customers",
        "customers-1",
        "9:564e369ad00d0e2788f53608e7e87d9e",
    ),
    (
        "customers",
        "customers-2",
        "9:757667d88d47d8e3c6e744ae6aa1a9cd",
    ),
    (
        "customers",
        "customers-3",
        "9:c276eae85860abf90216792e08ece903",
    ),
    (
        "products",
        "products-1",
        "9:bc584aede5c554f0e715f6c057efe739",
    ),
    (
        "products",
        "products-2",
        "9:f9cbd4fbd124bbf68943e04c1fffa703",
    ),
    (
        "products",
        "products-3",
        "9:c9681bb078cd4e15909c331afe33e7a2",
    ),
    (
        "products",
        "products-4",
        "9:9a937236efc28957aec43741cfabe87b",
    ),
    (
        "products",
        "products-5",
        "9:846620dcac8e6b555e4c2ab12d95edc4",
    ),
    ("orders", "orders-1", "9:a0793f61dc6e17b337c4da8ed6169326"),
    ("orders", "orders-2", "9:002194abaf3db6c8959abd5127815a0e"),
    ("orders", "orders-3", "9:587af5aa667512396b0814848b651aab"),
    ("orders", "orders-4", "9:938489a7e2c404adc40568e374a322ba"),
    ("", "release-1.0", "9:38bb4793a6a4fbb48375b4027cd6f472"),
];

#[test]
fn xml_yaml_and_json_trees_read_into_the_same_model() {
    let xml = read(&examples(), "changelog.xml");
    for other in ["changelog.yaml", "changelog.json"] {
        let other_log = read(&examples(), other);
        assert_eq!(
            shape(&other_log),
            shape(&xml),
            "{other} differs from changelog.xml"
        );
        let checksums: Vec<String> = other_log.change_sets.iter().map(checksum).collect();
        let xml_checksums: Vec<String> = xml.change_sets.iter().map(checksum).collect();
        assert_eq!(checksums, xml_checksums, "{other}");
    }
}

#[test]
fn every_format_gives_the_filenames_and_checksums_liquibase_records() {
    for ext in ["xml", "yaml", "json"] {
        let log = read(&examples(), &format!("changelog.{ext}"));
        let actual: Vec<(String, String)> = log
            .change_sets
            .iter()
            .map(|cs| (cs.id.to_string(), checksum(cs)))
            .collect();
        let expected: Vec<(String, String)> = SHOP
            .iter()
            .map(|(area, id, sum)| {
                let path = match *area {
                    "" => format!("changelog.{ext}"),
                    area => format!("changes/{ext}/{area}.{ext}"),
                };
                (format!("{path}::{id}::shop"), (*sum).to_owned())
            })
            .collect();
        assert_eq!(actual, expected, "changelog.{ext}");
    }
}

#[test]
fn line_endings_and_byte_order_mark_change_nothing() {
    let lf = read(&eol("lf"), "changelog.xml");
    // Observed with Liquibase 4.33.0 + liquibase-mongodb 4.33.0.1 for the LF, CRLF and BOM copies
    // alike. The formatted `.js` changeset has no open-source ground truth; its value is the
    // spec's model (mongo §11.5: MD5 of the script without spaces, tabs and line breaks).
    let expected = [
        (
            "changelog.xml::eol-xml-1::eol",
            "9:d6bcd12be35221ffc1e0010758f2e9e4",
        ),
        (
            "changelog.xml::eol-xml-2::eol",
            "9:6a7bdccdd028efe8456eb5d2e084fead",
        ),
        (
            "more.yaml::eol-yaml-1::eol",
            "9:8bab2927af7900fcd67e37447e91a06c",
        ),
        (
            "more.json::eol-json-1::eol",
            "9:89cf784ea9ea1efced5f0896c759dcbe",
        ),
        (
            "more.js::eol-js-1::eol",
            "9:0c7ddd30826647998e8b175f5f1ab67d",
        ),
    ];
    let actual: Vec<(String, String)> = lf
        .change_sets
        .iter()
        .map(|cs| (cs.id.to_string(), checksum(cs)))
        .collect();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(id, sum)| ((*id).to_owned(), (*sum).to_owned()))
        .collect();
    assert_eq!(actual, expected);
    // XML parsers turn CRLF into LF inside text, so the two-line comment is the same everywhere.
    assert_eq!(
        lf.change_sets[0].comment.as_deref(),
        Some("A comment\n            over two lines")
    );

    for variant in ["crlf", "bom"] {
        let dir = eol(variant);
        let raw = std::fs::read(dir.join("more.js")).expect("fixture is readable");
        assert!(
            raw.windows(2).any(|w| w == b"\r\n"),
            "{variant}: git kept the CRLF bytes"
        );
        assert_eq!(
            raw.starts_with(b"\xef\xbb\xbf"),
            variant == "bom",
            "{variant}: byte order mark"
        );
        // Same FILENAMEs, lines, texts, comments and parsed documents: the whole model is equal.
        assert_eq!(read(&dir, "changelog.xml"), lf, "{variant} differs from lf");
    }
}

#[test]
fn every_example_root_loads() {
    // (root, changesets, portable: runs on Liquibase with the official liquibase-mongodb)
    let roots = [
        ("changelog.xml", 13, true),
        ("changelog.yaml", 13, true),
        ("changelog.json", 13, true),
        ("changelog-with-js.xml", 16, false),
        ("lbmongo-only/changelog.xml", 14, false),
    ];
    for (root, count, portable) in roots {
        let log = read(&examples(), root);
        assert_eq!(log.change_sets.len(), count, "{root}");
        let foreign = log
            .change_sets
            .iter()
            .flat_map(|cs| &cs.changes)
            .filter(|c| {
                c.is_lbmongo_extension() || matches!(c, Change::Mongo(_) | Change::MongoFile(_))
            })
            .count();
        assert_eq!(
            foreign == 0,
            portable,
            "{root}: {foreign} changes the official extension lacks"
        );
    }
}

#[test]
fn formatted_mongosh_changelog_loads_as_a_root() {
    let log = read(&examples(), "js/seed.js");
    let actual: Vec<_> = log
        .change_sets
        .iter()
        .map(|cs| {
            let script = match cs.changes.as_slice() {
                [Change::Mongo(mongo)] => mongo.mongo.as_str(),
                other => panic!("{}: expected one mongo change, found {other:?}", cs.id),
            };
            let rollback = match cs.rollback.as_deref() {
                Some([executor::changelog::RollbackStep::Change(Change::Mongo(m))]) => {
                    m.mongo.as_str()
                }
                other => panic!("{}: expected a mongo rollback, found {other:?}", cs.id),
            };
            (
                cs.id.to_string(),
                cs.run_with.as_deref(),
                cs.contexts.text(),
                cs.labels.text(),
                cs.comment.as_deref(),
                script.lines().count(),
                rollback.starts_with("db.getCollection("),
            )
        })
        .collect();
    assert_eq!(
        actual,
        [
            (
                "js/seed.js::js-1::shop".to_owned(),
                Some("mongosh"),
                None,
                Some("customers"),
                Some("Find customers who have not logged in for a long time"),
                1,
                true,
            ),
            (
                "js/seed.js::js-2::shop".to_owned(),
                Some("mongosh"),
                Some("dev"),
                Some("catalog,seed"),
                Some("Feature the books on the demo front page"),
                1,
                true,
            ),
            (
                "js/seed.js::js-3::shop".to_owned(),
                Some("mongosh"),
                Some("dev"),
                Some("customers,seed"),
                Some("A demo newsletter subscriber"),
                1,
                true,
            ),
        ]
    );
    // The checksum of a mongosh changeset is the script without whitespace (spec mongo §11.5).
    let whitespace_free = |cs: &ChangeSet| match cs.changes.as_slice() {
        [Change::Mongo(m)] => m.mongo.replace([' ', '\t', '\r', '\n'], ""),
        _ => unreachable!("checked above"),
    };
    let first = &log.change_sets[0];
    let mut same_script = first.clone();
    if let Change::Mongo(m) = &mut same_script.changes[0] {
        m.mongo = whitespace_free(first);
    }
    assert_eq!(checksum(&same_script), checksum(first));
}

#[test]
fn formatted_file_line_endings_and_byte_order_mark_change_nothing() {
    let lf = read(&eol("lf"), "more.js");
    assert_eq!(
        lf.change_sets
            .iter()
            .map(|cs| (cs.id.to_string(), checksum(cs)))
            .collect::<Vec<_>>(),
        [(
            "more.js::eol-js-1::eol".to_owned(),
            "9:0c7ddd30826647998e8b175f5f1ab67d".to_owned()
        )]
    );
    for variant in ["crlf", "bom"] {
        assert_eq!(
            read(&eol(variant), "more.js"),
            lf,
            "{variant} differs from lf"
        );
    }
}

/// The Harness extension's `mongoFile` vector (`tests/fixtures/harness_mongosh`) loads with the
/// checksums that extension stored, and with the texts it ran: the BOM of `bom.js` is not part
/// of its script, and the Latin-1 `ä` (0xE4) of `latin1.js` is U+00E4.
#[test]
fn harness_mongo_file_vector_loads_with_the_recorded_checksums_and_texts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/harness_mongosh");
    let changelog = read(&dir, "changelog.yaml");
    let expected = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let rows: Vec<(String, String)> = changelog
        .change_sets
        .iter()
        .map(|cs| (cs.id.id.clone(), checksum(cs)))
        .collect();
    let wanted: Vec<(String, String)> = expected
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_owned(), f[2].to_owned())
        })
        .collect();
    assert_eq!(rows, wanted);
    let scripts: Vec<&str> = changelog
        .change_sets
        .iter()
        .map(|cs| match cs.changes.as_slice() {
            [Change::MongoFile(f)] => f.script.as_str(),
            other => panic!("{}: expected one mongoFile, found {other:?}", cs.id.id),
        })
        .collect();
    assert_eq!(
        scripts,
        [
            "// BOM + CRLF file: Grüße\r\ndb.bomcoll.insertOne({ x: \"ä\" });\r\n\
             db.bomcoll.insertOne({ x: \"${city}\" });",
            "// Latin-1 file: Gr\u{fc}\u{df}e\ndb.latin.insertOne({ x: \"\u{e4}\" });",
        ]
    );
}
