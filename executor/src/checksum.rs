//! Liquibase-compatible checksums (`CheckSum`), v8 and v9.
//!
//! A stored checksum is only useful if it is byte-for-byte what Liquibase computes, so every rule
//! here mirrors a named Java method (Liquibase core 4.33.0, liquibase-mongodb 4.33.x, the Harness
//! extension 1.1.x). Three shapes of change exist:
//!
//! - **Text-based Mongo changes** (`createCollection`, `createIndex`, `dropIndex`, `insertOne`,
//!   `insertMany`, `runCommand`, `adminCommand`) override `generateCheckSum` with
//!   `AbstractMongoChange.generateCheckSum(String...)`: under v9 the property texts are joined
//!   (`null` for a missing one), every space/tab/CR/LF byte is dropped and the rest is MD5'd, with
//!   no line-ending or NFC normalisation and without the change name. Under v8 they fall back to
//!   core's serializer.
//! - **Bean changes without an override** (`dropCollection`, `tagDatabase`, `empty`, and every
//!   Mongo change under v8) use `AbstractChange.generateCheckSum`: `CheckSum.compute(String)` of
//!   `StringChangeLogSerializer.serialize(change)`, e.g. `tagDatabase:[\n    tag="v1"\n]`.
//! - **SQL-style changes** (the Harness `mongo` / `mongoFile`, subclasses of `AbstractSQLChange`)
//!   hash the script: v9 drops the four whitespace bytes, v8 collapses them behind a
//!   `<endDelimiter>:<splitStatements>:<stripComments>:` header.
//!
//! The changeset checksum (`ChangeSet.generateCheckSum`) is `CheckSum.compute(String)` of
//! `"<v>:<hex>:"` per change; v9 leaves out changes whose own `dbms` does not match.

use std::fmt;

use md5::{Digest, Md5};
use unicode_normalization::UnicodeNormalization;

use crate::change::Change;
use crate::changelog::ChangeSet;
use crate::expression::dbms_matches;

/// A stored or computed checksum: `<version>:<value>` (Liquibase `CheckSum`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CheckSum {
    version: u32,
    value: String,
}

impl CheckSum {
    /// The version lbmongo writes: v9, as every Liquibase core from 4.23 through 5.0.
    pub const LATEST_VERSION: u32 = 9;

    /// A checksum from its parts.
    pub fn new(version: u32, value: impl Into<String>) -> Self {
        Self {
            version,
            value: value.into(),
        }
    }

    /// Parses a stored value exactly as `CheckSum.parse` (4.33.0).
    ///
    /// Empty text is no checksum. Otherwise Java runs `find()` with `(^\d++):([a-zA-Z0-9]++)`: a
    /// text that *starts* with digits, a colon and at least one ASCII letter or digit has that
    /// version and, as value, only that alphanumeric run (`9:abc-def` is `9:abc`). Anything else
    /// is version 1 holding the whole text, untrimmed (`ANY` is `1:ANY`, ` 9:abc` is `1: 9:abc`).
    /// A version too large for an integer makes Java throw; here it falls back to version 1.
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() {
            return None;
        }
        let (digits, rest) = text.split_at(text.bytes().take_while(u8::is_ascii_digit).count());
        if let Some(after) = rest.strip_prefix(':') {
            let value = &after[..after.bytes().take_while(u8::is_ascii_alphanumeric).count()];
            if !value.is_empty()
                && let Ok(version) = digits.parse()
            {
                return Some(Self::new(version, value));
            }
        }
        Some(Self::new(1, text))
    }

    /// The algorithm version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The value after `N:`.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// `CheckSum.compute(String)` (4.33.0) at the latest version: `\r\n` and lone `\r` become
    /// `\n`, U+FFFD is dropped, the text is NFC-normalised, UTF-8 encoded and MD5'd.
    pub fn compute(text: &str) -> CheckSum {
        compute_string(text, Self::LATEST_VERSION)
    }

    /// The checksum of one change under checksum `version` (`Change.generateCheckSum` inside a
    /// scope holding that `ChecksumVersion`).
    ///
    /// Versions 9 and up use the v9 rules; 8 and below use the v8 rules, as core's
    /// `ChecksumVersion.lowerOrEqualThan(V8)` does, and keep the requested number in the result.
    pub fn of_change(change: &Change, version: u32) -> CheckSum {
        let v9 = version > 8;
        match java_shape(change) {
            JavaShape::Bean {
                properties,
                texts_v9: true,
            } if v9 => mongo_texts(&properties, version),
            JavaShape::Bean { properties, .. } => {
                compute_string(&serialize(change.name(), &properties), version)
            }
            JavaShape::Sql(script) if v9 => stripped_md5(&[script], version),
            JavaShape::Sql(script) => compute_bytes(&sql_v8(SQL_V8_HEADER, script), version),
        }
    }

    /// The checksum of a changeset under checksum `version`, as `ChangeSet.generateCheckSum`
    /// (4.33.0): `CheckSum.compute(String)` of `"<change checksum>:"` for each change in order.
    ///
    /// Under v9 a change with its own `dbms` (a `DbmsTargetedChange`: `mongo`, `mongoFile`) that
    /// does not match `database_short_name` is left out (`DatabaseList.definitionMatches` with
    /// an empty definition matching); v8 and below keep every change. The changeset's own
    /// attributes (id, `dbms`, contexts, preconditions, rollback …) are not part of it, and the
    /// model has no `modifySql`, whose visitors core would append as `"<checksum>;"`.
    pub fn of_change_set(
        change_set: &ChangeSet,
        version: u32,
        database_short_name: &str,
    ) -> CheckSum {
        let mut text = String::new();
        for change in &change_set.changes {
            if version <= 8 || dbms_matches(change.dbms(), database_short_name) {
                text.push_str(&Self::of_change(change, version).to_string());
                text.push(':');
            }
        }
        compute_string(&text, version)
    }
}

impl fmt::Display for CheckSum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.version, self.value)
    }
}

/// What the Java class behind a change feeds its `generateCheckSum`.
enum JavaShape<'a> {
    /// A bean change (`AbstractChange`): its serializable properties, name and value, in the
    /// order the class passes them to `AbstractMongoChange.generateCheckSum(String...)`.
    /// `texts_v9` says whether the class has that override (used under v9 only); without it the
    /// properties go through `StringChangeLogSerializer`.
    Bean {
        properties: Vec<Property<'a>>,
        texts_v9: bool,
    },
    /// An `AbstractSQLChange`: the bytes of its SQL stream.
    Sql(&'a [u8]),
}

/// A bean property: its name and its value (`None` is a Java `null`).
type Property<'a> = (&'a str, Option<&'a str>);

/// The Java shape of each change.
///
/// The properties are exactly the bean properties the Java classes expose to core's serializer
/// (`ChangeMetaData.getParameters`: every getter/setter pair bar `changeSet` and
/// `resourceAccessor`, which `AbstractChange` marks `isChangeProperty = false`). The
/// liquibase-mongodb change classes are Lombok `@Getter @Setter` over their String fields only;
/// `AbstractMongoChange` adds no property. Their v9 text order is the argument order of each
/// class's `generateCheckSum()` override, which equals the field order.
fn java_shape(change: &Change) -> JavaShape<'_> {
    let mongo = |properties| JavaShape::Bean {
        properties,
        texts_v9: true,
    };
    match change {
        Change::CreateCollection(c) => mongo(vec![
            ("collectionName", Some(c.collection_name.as_str())),
            ("options", c.options.as_ref().map(|j| j.text())),
        ]),
        Change::CreateIndex(c) => mongo(vec![
            ("collectionName", Some(c.collection_name.as_str())),
            ("keys", Some(c.keys.text())),
            ("options", c.options.as_ref().map(|j| j.text())),
        ]),
        Change::DropIndex(c) => mongo(vec![
            ("collectionName", Some(c.collection_name.as_str())),
            ("keys", Some(c.keys.text())),
        ]),
        Change::InsertOne(c) => mongo(vec![
            ("collectionName", Some(c.collection_name.as_str())),
            ("document", Some(c.document.text())),
            ("options", c.options.as_ref().map(|j| j.text())),
        ]),
        Change::InsertMany(c) => mongo(vec![
            ("collectionName", Some(c.collection_name.as_str())),
            ("documents", Some(c.documents.text())),
            ("options", c.options.as_ref().map(|j| j.text())),
        ]),
        Change::RunCommand(c) => mongo(vec![("command", Some(c.command.text()))]),
        Change::AdminCommand(c) => mongo(vec![("command", Some(c.command.text()))]),
        // lbmongo's own change types have no Java counterpart in liquibase-mongodb; lbmongo
        // defines their checksum with the same text rule, over (collectionName, filter, update,
        // options) and (collectionName, filter, options), so that they behave like the built-in
        // ones (whitespace-insensitive under v9, serializer under v8). Like runCommand and
        // adminCommand, the One/Many twins of identical content share a v9 checksum.
        Change::UpdateOne(c) | Change::UpdateMany(c) => mongo(vec![
            ("collectionName", Some(c.collection_name.as_str())),
            ("filter", Some(c.filter.text())),
            ("update", Some(c.update.text())),
            ("options", c.options.as_ref().map(|j| j.text())),
        ]),
        Change::DeleteOne(c) | Change::DeleteMany(c) => mongo(vec![
            ("collectionName", Some(c.collection_name.as_str())),
            ("filter", Some(c.filter.text())),
            ("options", c.options.as_ref().map(|j| j.text())),
        ]),
        // `DropCollectionChange` extends `AbstractMongoChange` but never overrides
        // `generateCheckSum()`, so it keeps core's serializer checksum under v9 too.
        Change::DropCollection(c) => JavaShape::Bean {
            properties: vec![("collectionName", Some(c.collection_name.as_str()))],
            texts_v9: false,
        },
        // Core `TagDatabaseChange`: one property, `tag`.
        Change::TagDatabase(c) => JavaShape::Bean {
            properties: vec![("tag", Some(c.tag.as_str()))],
            texts_v9: false,
        },
        // Core `EmptyChange`: no property, `empty:[]`.
        Change::Empty => JavaShape::Bean {
            properties: Vec::new(),
            texts_v9: false,
        },
        // HAR `MongoshChange.setMongo` also sets `sql` (trimmed); `AbstractSQLChange` hashes
        // that field. Trimming cannot change the result: both rules drop edge whitespace.
        // The script is a Java string, so the stream is its UTF-8 bytes (`liquibase.fileEncoding`).
        Change::Mongo(c) => JavaShape::Sql(c.mongo.as_bytes()),
        // HAR `MongoshFileChange.openSqlStream` is the file itself, so the checksum covers the
        // raw, unexpanded bytes (the cached expanded `sql` only wins once `getSql()` has run,
        // which validation does not do), undecoded: a byte order mark counts, and a Latin-1
        // file's `ä` is the byte 0xE4, whatever `encoding` says. The vectors in
        // `format::script_file`'s tests, recorded with the Harness extension, pin both.
        Change::MongoFile(c) => JavaShape::Sql(&c.raw),
    }
}

/// The v8 header of the HAR mongosh changes: `NormalizingStreamV8` prints
/// `getEndDelimiter()` (no `endDelimiter` attribute and the open-source `ChangeSetService`
/// default give `null`), `isSplitStatements()` (`AbstractSQLChange` default `true`) and
/// `isStripComments()` (default `false`).
///
/// The model keeps none of the three attributes, so the defaults always apply. The
/// `runWith` branch of `AbstractSQLChange.generateCheckSum` only matters when
/// `splitStatements` is false, which the defaults exclude.
const SQL_V8_HEADER: &str = "null:true:false:";

/// The MD5 of the bytes `AbstractSQLChange.NormalizingStream` yields for `parts` read one after
/// the other: everything but the space, `\n`, `\r` and `\t` bytes. Used for the v9 Mongo text
/// rule and the v9 SQL rule.
///
/// The runs between whitespace go to the digest as they are rather than through a stripped
/// copy: an `insertMany` body can be megabytes, and every changeset is hashed on every run.
fn stripped_md5(parts: &[&[u8]], version: u32) -> CheckSum {
    let mut md5 = Md5::new();
    for part in parts {
        for run in part.split(|b| is_stream_whitespace(*b)) {
            md5.update(run);
        }
    }
    CheckSum::new(version, hex::encode(md5.finalize()))
}

/// The whitespace both normalising streams know: exactly these four bytes.
fn is_stream_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\r' | b'\t')
}

/// As `AbstractMongoChange.generateCheckSum(String...)` (liquibase-mongodb 4.33, v9 branch):
/// `StringUtil.join(texts, "")` (a null text appends the literal `null`), encoded in UTF-8
/// (`liquibase.fileEncoding`), through `NormalizingStream`, MD5'd.
fn mongo_texts(properties: &[Property<'_>], version: u32) -> CheckSum {
    let texts: Vec<&[u8]> = properties
        .iter()
        .map(|(_, text)| text.unwrap_or("null").as_bytes())
        .collect();
    stripped_md5(&texts, version)
}

/// As `AbstractSQLChange.generateCheckSum` under v8, through `NormalizingStreamV8`: the header,
/// then the script with every run of space/`\n`/`\r`/`\t` collapsed to one space and leading and
/// trailing runs dropped.
///
/// Java fails outright (its push-back buffer holds 2048 bytes) on a whitespace run of more than
/// about 2 KiB inside a script; lbmongo simply collapses it.
fn sql_v8(header: &str, script: &[u8]) -> Vec<u8> {
    let words = script
        .split(|b| is_stream_whitespace(*b))
        .filter(|w| !w.is_empty());
    let mut bytes = header.as_bytes().to_vec();
    for (i, word) in words.enumerate() {
        if i > 0 {
            bytes.push(b' ');
        }
        bytes.extend_from_slice(word);
    }
    bytes
}

/// `StringChangeLogSerializer.serialize(change, false)` (4.33.0) for a change whose properties
/// are all strings: `<name>:[`, then one `<4 spaces><property>="<value>"` line per non-null
/// property (values unescaped), the lines in a Java `TreeSet` (UTF-16 order, equal lines
/// collapse), then `]`; an object without lines is `[]`. `serializeObject` standardises line
/// endings after joining.
fn serialize(name: &str, properties: &[Property<'_>]) -> String {
    let mut lines: Vec<String> = properties
        .iter()
        .filter_map(|(property, value)| value.map(|v| format!("    {property}=\"{v}\"")))
        .collect();
    lines.sort_by(|a, b| crate::java::compare(a, b));
    lines.dedup();
    let body = if lines.is_empty() {
        "[]".to_owned()
    } else {
        format!("[\n{}\n]", lines.join("\n"))
    };
    format!("{name}:{}", standardize_line_endings(&body))
}

/// `StringUtil.standardizeLineEndings`: `\r\n` becomes `\n`, then any `\r` becomes `\n`.
fn standardize_line_endings(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// `CheckSum.compute(String)` inside a scope holding checksum `version`.
fn compute_string(text: &str, version: u32) -> CheckSum {
    // ASCII without `\r` is its own NFC form and holds no U+FFFD: the bytes are hashed as they
    // are (the changeset checksum's `9:<hex>:` text always is).
    if text.is_ascii() && !text.contains('\r') {
        return compute_bytes(text.as_bytes(), version);
    }
    let normalized: String = standardize_line_endings(text)
        .chars()
        .filter(|c| *c != '\u{FFFD}')
        .nfc()
        .collect();
    compute_bytes(normalized.as_bytes(), version)
}

/// `CheckSum.compute(InputStream, false)` inside a scope holding checksum `version`: MD5 of the
/// bytes as they are, lowercase hex.
fn compute_bytes(bytes: &[u8], version: u32) -> CheckSum {
    CheckSum::new(version, hex::encode(Md5::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use mongodb::bson::Document;

    use super::*;
    use crate::change::{
        AdminCommand, CreateCollection, CreateIndex, Delete, DropCollection, DropIndex, InsertMany,
        InsertOne, Json, JsonArray, Mongo, MongoFile, RunCommand, TagDatabase, Update,
    };
    use crate::changelog::ChangeSetId;

    // Builders. The checksum reads only the texts; the parsed documents are left empty.

    fn json(text: &str) -> Json {
        Json::new(text, Document::new())
    }

    fn create_collection(name: &str, options: Option<&str>) -> Change {
        Change::CreateCollection(CreateCollection {
            collection_name: name.to_owned(),
            options: options.map(json),
        })
    }

    fn drop_collection(name: &str) -> Change {
        Change::DropCollection(DropCollection {
            collection_name: name.to_owned(),
        })
    }

    fn create_index(name: &str, keys: &str, options: Option<&str>) -> Change {
        Change::CreateIndex(CreateIndex {
            collection_name: name.to_owned(),
            keys: json(keys),
            options: options.map(json),
        })
    }

    fn drop_index(name: &str, keys: &str) -> Change {
        Change::DropIndex(DropIndex {
            collection_name: name.to_owned(),
            keys: json(keys),
        })
    }

    fn insert_one(name: &str, document: &str) -> Change {
        Change::InsertOne(InsertOne {
            collection_name: name.to_owned(),
            document: json(document),
            options: None,
        })
    }

    fn insert_many(name: &str, documents: &str) -> Change {
        Change::InsertMany(InsertMany {
            collection_name: name.to_owned(),
            documents: JsonArray::new(documents, Vec::new()),
            options: None,
        })
    }

    fn run_command(command: &str) -> Change {
        Change::RunCommand(RunCommand {
            command: json(command),
        })
    }

    fn admin_command(command: &str) -> Change {
        Change::AdminCommand(AdminCommand {
            command: json(command),
        })
    }

    fn mongo(script: &str, dbms: Option<&str>) -> Change {
        Change::Mongo(Mongo {
            mongo: script.to_owned(),
            dbms: dbms.map(str::to_owned),
        })
    }

    fn mongo_file(raw: &str) -> Change {
        Change::MongoFile(MongoFile {
            path: "script.js".to_owned(),
            relative_to_changelog_file: None,
            encoding: None,
            dbms: None,
            raw: raw.as_bytes().to_vec(),
            script: raw.trim().to_owned(),
        })
    }

    fn tag(tag: &str) -> Change {
        Change::TagDatabase(TagDatabase {
            tag: tag.to_owned(),
        })
    }

    fn update(filter: &str, update: &str, options: Option<&str>) -> Update {
        Update {
            collection_name: "people".to_owned(),
            filter: json(filter),
            update: json(update),
            options: options.map(json),
        }
    }

    fn delete(filter: &str, options: Option<&str>) -> Delete {
        Delete {
            collection_name: "people".to_owned(),
            filter: json(filter),
            options: options.map(json),
        }
    }

    fn change_set(changes: Vec<Change>) -> ChangeSet {
        let id = ChangeSetId {
            path: "changelog.xml".to_owned(),
            id: "1".to_owned(),
            author: "a".to_owned(),
        };
        ChangeSet::new(id, changes)
    }

    // The texts of the liquibase-mongodb fixtures as Liquibase sees them: XML element text is
    // trimmed (inner indentation kept, XML comments dropped), JSON `$rawJson` is Jackson's
    // `toPrettyString()`.

    /// `changelog.insert-precondition.test.xml`: `{ info: "<info>" }` as indented in the file.
    fn results_info(info: &str) -> Change {
        insert_one(
            "results",
            &format!("{{\n                    info: \"{info}\"\n                }}"),
        )
    }

    const CREATE_COLLECTION_OPTIONS: &str = r#"{
                    validator: {
                        $jsonSchema: {
                            bsonType: "object",
                            required: ["name", "address"],
                            properties: {
                                name: {
                                    bsonType: "string",
                                    description: "The Name"
                                },
                                address: {
                                    bsonType: "string",
                                    description: "The Address"
                                }
                            }
                        }
                    },
                    validationAction: "warn",
                    validationLevel: "strict"
                    }"#;

    const PERSON_OPTIONS: &str = r#"{
  "validator" : {
    "$jsonSchema" : {
      "bsonType" : "object",
      "required" : [ "name", "address" ],
      "properties" : {
        "name" : {
          "bsonType" : "string",
          "description" : "The Name"
        },
        "address" : {
          "bsonType" : [ "string", "null" ],
          "description" : "The Address. Can accept nulls."
        },
        "age" : {
          "bsonType" : "int",
          "description" : "The Age"
        }
      }
    }
  },
  "validationAction" : "error",
  "validationLevel" : "strict"
}"#;

    const PERSON_DOCUMENT: &str = r#"{
  "name" : "Alexandru Slobodcicov",
  "address" : "Moldova"
}"#;

    const PERSON_DOCUMENTS: &str = r#"[ {
  "name" : "Nicolas Bodros",
  "address" : "Spain",
  "age" : 34
}, {
  "name" : "Luka Modrich",
  "address" : null,
  "age" : 55
} ]"#;

    const UPDATE_PEOPLE: &str = r#"{
  "update" : "person",
  "updates" : [ {
    "q" : {
      "age" : 55
    },
    "u" : {
      "$set" : {
        "address" : "Lapland"
      }
    },
    "upsert" : false,
    "multi" : false
  } ],
  "ordered" : true
}"#;

    const DELETE_PEOPLE: &str = r#"{
  "delete" : "person",
  "deletes" : [ {
    "q" : {
      "name" : "Alexandru Slobodcicov"
    },
    "limit" : 0
  } ]
}"#;

    /// Every changeset vector: mongo spec §5.8 (pinned by liquibase-mongodb's tests, or derived
    /// from source where the spec says so), core spec §1.6 vectors our change types express, and
    /// core's SQL-change vectors through `mongo`/`mongoFile` (the same
    /// `AbstractSQLChange.generateCheckSum`). v8 values marked "model" come from the spec's
    /// reference model (core §1.8), not from a Liquibase run.
    #[test]
    fn change_set_checksums_match_liquibase() {
        let ci_keys = "{ clientId: 1, type: 1}";
        let cases: Vec<(&str, Vec<Change>, u32, &str)> = vec![
            (
                "insert-one cs1",
                vec![insert_one(
                    "insertOneTest1",
                    "{\n                id: 111\n                }",
                )],
                9,
                "9:6123e9daaa6ae11900e17fb620e90bcb",
            ),
            (
                "insert-one cs2",
                vec![
                    insert_one(
                        "insertOneTest2",
                        "{\n                id: 2\n                }",
                    ),
                    insert_one(
                        "insertOneTest3",
                        "{\n                id: 3\n                }",
                    ),
                ],
                9,
                "9:2c6879e9e003d28d5aecfcf68e5a841a",
            ),
            (
                "insert-one cs3",
                vec![
                    insert_one(
                        "insertOneTest2",
                        "{\n                id: 21323123\n                }",
                    ),
                    insert_one(
                        "insertOneTest3",
                        "{\n                id: 321321313\n                }",
                    ),
                ],
                9,
                "9:ab7ee385b3e94d5d3050daba4c719f08",
            ),
            (
                "run-command cs1",
                vec![run_command("{ buildInfo: 1 }")],
                9,
                "9:2a659bf380005d42308e0616959f69c1",
            ),
            (
                "run-command cs2",
                vec![admin_command("{ buildInfo: 1 }")],
                9,
                "9:2a659bf380005d42308e0616959f69c1",
            ),
            (
                "admin-command cs2 (${database.name} = db1)",
                vec![admin_command(
                    "{ shardCollection: \"db1.player_info_static\", key: {location: 1, _id: 1}, unique: true}",
                )],
                9,
                "9:ee7e537588408b8f31eac5532fd80f2b",
            ),
            (
                "create-index",
                vec![
                    create_index(
                        "createIndexTest",
                        ci_keys,
                        Some("{unique: true, name: \"ui_tppClientId\"}"),
                    ),
                    create_index("createIndexNoOptionsTest", ci_keys, None),
                ],
                9,
                "9:73c08fccf08f1802915156fe638b7d53",
            ),
            (
                "create-collection (blank options are null)",
                vec![
                    create_collection(
                        "createCollectionWithValidatorAndOptionsTest",
                        Some(CREATE_COLLECTION_OPTIONS),
                    ),
                    create_collection("createCollectionWithEmptyValidatorTest", None),
                    create_collection("createCollectionWithNoValidator", None),
                ],
                9,
                "9:c20f49290372ce7d93cb3dad5b7d84e4",
            ),
            (
                "insert-many",
                vec![insert_many(
                    "insertManyTest1",
                    "[\n                { id: 2 },\n                { id: 3,\n                  address: { nr: 1, ap: 5}\n                }\n                ]",
                )],
                9,
                "9:ff86bb7a77e760a728ad7c0df4e83137",
            ),
            (
                "two createCollection",
                vec![
                    create_collection("collection1", None),
                    create_collection("collection2", None),
                ],
                9,
                "9:c6b62cb517b0bc6cde17be8f75b2c1e2",
            ),
            (
                "generic-1-insert-people cs1",
                vec![create_collection("person", Some(PERSON_OPTIONS))],
                9,
                "9:95727cf24d16eda63ee7e0ca62f9e713",
            ),
            (
                "generic-1-insert-people cs2",
                vec![
                    insert_one("person", PERSON_DOCUMENT),
                    insert_many("person", PERSON_DOCUMENTS),
                ],
                9,
                "9:9eb024092590f9c802032847573771af",
            ),
            (
                "generic-2-update-people cs1",
                vec![run_command(UPDATE_PEOPLE)],
                9,
                "9:d9b8155bf8f6d6ddcb3e3887bfae7331",
            ),
            (
                "generic-2-update-people cs2",
                vec![run_command(DELETE_PEOPLE)],
                9,
                "9:4825273a230884cbcd35ff658f4b261d",
            ),
            (
                "insert-precondition cs2",
                vec![insert_one(
                    "collection1",
                    "{\n                    id: 1\n                }",
                )],
                9,
                "9:dea86a555a8faa2df648fc3d5b0a26ab",
            ),
            (
                "insert-precondition cs3",
                vec![results_info("existsAnyDocumentInCollection1")],
                9,
                "9:ff63cd85bae75ff9e0e2ad0a5c0fcfbb",
            ),
            (
                "insert-precondition cs5",
                vec![results_info("filterMatchedInCollection1")],
                9,
                "9:2faf448db2581b8c55d525c099c73386",
            ),
            (
                "insert-precondition cs6",
                vec![results_info("changeSetExecutedMatch")],
                9,
                "9:8b8761856542aa6d6794d7bd177a3426",
            ),
            (
                "insert-precondition cs8",
                vec![results_info(
                    "expectedDocumentCountFilterMatchedInCollection1",
                )],
                9,
                "9:fbb6bb7c3c51c5a4f1c8b5a1b87a1815",
            ),
            (
                "insert-precondition cs9",
                vec![results_info("expectedCollectionResultsExists")],
                9,
                "9:cb4e4e196d3181666e273cbbc5fa6472",
            ),
            (
                "createCollection + dropCollection towns",
                vec![create_collection("towns", None), drop_collection("towns")],
                9,
                "9:b01823dc18f3ece4c4a98ba5ede376f2",
            ),
            (
                "HAR mongo",
                vec![mongo("db.users.insertOne({name: \"a\"});", None)],
                9,
                "9:b37402c8254583df696fc006b3a4a8c4",
            ),
            (
                "empty changeset",
                vec![],
                9,
                "9:d41d8cd98f00b204e9800998ecf8427e",
            ),
            (
                "tagDatabase v1",
                vec![tag("v1")],
                9,
                "9:635ff1e577e13420abaf0552fb77ab20",
            ),
            (
                "tagDatabase v1, v8",
                vec![tag("v1")],
                8,
                "8:66b36565238a5af72e5603468437de78",
            ),
            (
                "empty",
                vec![Change::Empty],
                9,
                "9:7a37a4e4638085400ecf49cb0bebb7de",
            ),
            (
                "empty, v8",
                vec![Change::Empty],
                8,
                "8:d0d3328f3d5a05046b2c85ad2856329c",
            ),
            (
                "empty changeset, v8",
                vec![],
                8,
                "8:d41d8cd98f00b204e9800998ecf8427e",
            ),
            // Core's `<sql>` vectors: `mongo` hashes its script with the same rule.
            (
                "sql `select 1` as mongo",
                vec![mongo("select 1", None)],
                9,
                "9:3b78b9910981c62ca27148640fad7bc2",
            ),
            (
                "sql `select 1` as mongo, v8",
                vec![mongo("select 1", None)],
                8,
                "8:551a6b5455d661ce7101a063b818ca3e",
            ),
            (
                "sql insert as mongo",
                vec![mongo(
                    "insert into person (id, name)\n      values (1,   'bob');",
                    None,
                )],
                9,
                "9:a25ff02bbaa7c5e47fa8b37418b120a7",
            ),
            (
                "sql insert as mongo, v8",
                vec![mongo(
                    "insert into person (id, name)\n      values (1,   'bob');",
                    None,
                )],
                8,
                "8:e048bf7883340813c9936333fefa4176",
            ),
            // Core's `sqlFile` vector: `mongoFile` hashes its raw file the same way.
            (
                "sqlFile bytes as mongoFile",
                vec![mongo_file("select  *\r\nfrom t -- comment é\r\n")],
                9,
                "9:471ab7476211224775cee85d99dd46e7",
            ),
            // v8 of Mongo changes (model): core's serializer, whitespace-sensitive.
            (
                "insert-one cs1, v8 (model)",
                vec![insert_one(
                    "insertOneTest1",
                    "{\n                id: 111\n                }",
                )],
                8,
                "8:4e072f0d1a237e4e98b5edac60c3f335",
            ),
            (
                "create-index, v8 (model)",
                vec![
                    create_index(
                        "createIndexTest",
                        ci_keys,
                        Some("{unique: true, name: \"ui_tppClientId\"}"),
                    ),
                    create_index("createIndexNoOptionsTest", ci_keys, None),
                ],
                8,
                "8:c2b981901db6061d2e034a4f31501ec5",
            ),
            (
                "createCollection + dropCollection towns, v8 (model)",
                vec![create_collection("towns", None), drop_collection("towns")],
                8,
                "8:17ca3575b5b2a8fc8ff685c841c6cdb2",
            ),
            (
                "runCommand, v8 (model)",
                vec![run_command("{ buildInfo: 1 }")],
                8,
                "8:a9f789a8482003bb149da01cdab92707",
            ),
            (
                "adminCommand, v8 (model)",
                vec![admin_command("{ buildInfo: 1 }")],
                8,
                "8:e17342ecb217a7588eb1d33af4fadff4",
            ),
            (
                "HAR mongo, v8 (model)",
                vec![mongo("db.users.insertOne({name: \"a\"});", None)],
                8,
                "8:ea1eadeed3c8d7dcaa5f36af9de8d62b",
            ),
        ];
        for (case, changes, version, expected) in cases {
            let actual = CheckSum::of_change_set(&change_set(changes), version, "mongodb");
            assert_eq!(actual.to_string(), expected, "{case}");
        }
    }

    /// Change-level vectors (mongo spec §5.8, core spec §1.6 intermediates).
    #[test]
    fn change_checksums_match_liquibase() {
        let ci_keys = "{ clientId: 1, type: 1}";
        let cases: Vec<(&str, Change, &str)> = vec![
            (
                "create-index change 1",
                create_index(
                    "createIndexTest",
                    ci_keys,
                    Some("{unique: true, name: \"ui_tppClientId\"}"),
                ),
                "9:540ed5fb8583e2e9b9b58c72cd923647",
            ),
            (
                "create-index change 2",
                create_index("createIndexNoOptionsTest", ci_keys, None),
                "9:1f9cabae6442a9aa4ab0e9cdf4181a66",
            ),
            (
                "createIndex collection1",
                create_index("collection1", ci_keys, None),
                "9:39414d63d912421a93152b03017c2d49",
            ),
            (
                "dropIndex collection1",
                drop_index("collection1", ci_keys),
                "9:bc13eacab67f94f078248d07af32838a",
            ),
            (
                "createCollection towns",
                create_collection("towns", None),
                "9:8e0ae6bcc0a4b2d6d7f7387d387e2a12",
            ),
            (
                "dropCollection towns",
                drop_collection("towns"),
                "9:da31dd9ec65a8562b4252355433a77ec",
            ),
            (
                "tagDatabase v1",
                tag("v1"),
                "9:795c3d34f01c6c3f10e7f50c428b4c18",
            ),
            (
                "sql `select 1` as mongo",
                mongo("select 1", None),
                "9:f6bf37efedbc0a2dfffc1caf5088d86e",
            ),
        ];
        for (case, change, expected) in cases {
            assert_eq!(
                CheckSum::of_change(&change, 9).to_string(),
                expected,
                "{case}"
            );
        }
    }

    #[test]
    fn serializer_writes_sorted_unescaped_lines() {
        let cases: Vec<(&[Property<'_>], &str)> = vec![
            (&[], "empty:[]"),
            (&[("tag", Some("v1"))], "empty:[\n    tag=\"v1\"\n]"),
            // Sorted by name, null omitted, quotes and newlines raw, CR standardised.
            (
                &[
                    ("options", None),
                    ("document", Some("{a: \"x\"\r\n}")),
                    ("collectionName", Some("c")),
                ],
                "empty:[\n    collectionName=\"c\"\n    document=\"{a: \"x\"\n}\"\n]",
            ),
            // Java orders by UTF-16 code unit: U+1F600 (a surrogate pair) sorts before U+FF5E.
            (
                &[("\u{FF5E}", Some("x")), ("\u{1F600}", Some("y"))],
                "empty:[\n    \u{1F600}=\"y\"\n    \u{FF5E}=\"x\"\n]",
            ),
        ];
        for (properties, expected) in cases {
            assert_eq!(serialize("empty", properties), expected);
        }
        assert_eq!(
            crate::java::compare("\u{FF5E}", "\u{1F600}"),
            std::cmp::Ordering::Greater
        );
    }

    /// The MD5SUMs the Harness extension (Liquibase 4.24.0) stored for the shared vector
    /// `tests/fixtures/harness_mongosh`: the checksum covers the file's bytes as they are, a
    /// UTF-8 BOM (with CRLF line ends) and Latin-1 bytes included, not the decoded text.
    #[test]
    fn mongo_file_checksums_are_the_harness_extensions() {
        let file = |raw: &[u8], encoding: Option<&str>| {
            Change::MongoFile(MongoFile {
                path: "scripts/x.js".to_owned(),
                relative_to_changelog_file: Some(true),
                encoding: encoding.map(str::to_owned),
                dbms: None,
                raw: raw.to_vec(),
                script: String::new(),
            })
        };
        let bom = include_bytes!("../../tests/fixtures/harness_mongosh/scripts/bom.js");
        let latin1 = include_bytes!("../../tests/fixtures/harness_mongosh/scripts/latin1.js");
        for (name, change, expected) in [
            ("bom", file(bom, None), "9:4bc6015fc6a5d5beffcfb5e93666a180"),
            (
                "latin1",
                file(latin1, Some("ISO-8859-1")),
                "9:9f05e85e848457a82d5b6670495a1afa",
            ),
            // What lbmongo 0.1.0 stored for `bom.js`: the BOM dropped before checksumming.
            (
                "bom dropped",
                file(&bom[3..], None),
                "9:50f5eff287e7d2ecfdc321137122ec69",
            ),
        ] {
            let actual = CheckSum::of_change_set(&change_set(vec![change]), 9, "mongodb");
            assert_eq!(actual.to_string(), expected, "{name}");
        }
    }

    #[test]
    fn sql_v8_collapses_whitespace_behind_header() {
        let cases = [
            ("select 1", "h:select 1"),
            ("  \r\n\tselect \t\n 1 \n\n", "h:select 1"),
            ("a\u{A0} b", "h:a\u{A0} b"),
            (" \n ", "h:"),
            ("", "h:"),
        ];
        for (script, expected) in cases {
            assert_eq!(
                sql_v8("h:", script.as_bytes()),
                expected.as_bytes(),
                "{script:?}"
            );
        }
    }

    #[test]
    fn compute_normalizes_like_core() {
        let cases = [
            ("a\r\nb", "a\nb"),
            ("a\rb", "a\nb"),
            ("a\r\r\nb", "a\n\nb"),
            ("a\u{FFFD}b", "ab"),
            ("Cafe\u{301}", "Caf\u{E9}"),
        ];
        for (text, same_as) in cases {
            assert_eq!(
                CheckSum::compute(text),
                CheckSum::compute(same_as),
                "{text:?}"
            );
        }
        // NFC, not merely some consistent normal form: the bytes hashed are the composed ones.
        assert_eq!(
            CheckSum::compute("Cafe\u{301}"),
            compute_bytes("Caf\u{E9}".as_bytes(), 9)
        );
        assert_eq!(
            CheckSum::compute("").to_string(),
            "9:d41d8cd98f00b204e9800998ecf8427e"
        );
    }

    #[test]
    fn mongo_text_rule_quirks() {
        let same = |a: &Change, b: &Change| CheckSum::of_change(a, 9) == CheckSum::of_change(b, 9);
        // No change name: runCommand and adminCommand agree.
        assert!(same(&run_command("{ping: 1}"), &admin_command("{ping: 1}")));
        // Every space/tab/CR/LF byte goes, even inside strings.
        assert!(same(
            &run_command("{a: \"x y\"}"),
            &run_command("{a:\t\"xy\"}\r\n")
        ));
        // A missing property is the literal `null`.
        assert!(same(
            &create_collection("c", None),
            &create_collection("c", Some("null"))
        ));
        // No NFC here (the serializer path has it).
        assert!(!same(
            &run_command("{a: \"e\u{301}\"}"),
            &run_command("{a: \"\u{E9}\"}")
        ));
        assert!(same(&tag("e\u{301}"), &tag("\u{E9}")));
        // Other whitespace counts.
        assert!(!same(&run_command("{a: 1}"), &run_command("{a:\u{A0}1}")));
        // v8 is whitespace-sensitive and names the change.
        let v8 = |c: &Change| CheckSum::of_change(c, 8);
        assert_ne!(v8(&run_command("{ping: 1}")), v8(&run_command("{ping:1}")));
        assert_ne!(
            v8(&run_command("{ping: 1}")),
            v8(&admin_command("{ping: 1}"))
        );
    }

    #[test]
    fn stripped_digest_equals_the_digest_of_the_stripped_copy() {
        // Short and long texts, with whitespace runs at a part boundary and at both ends.
        let sizes = [0, 1, 4095, 4096, 4097, 8192, 20_000];
        for size in sizes {
            let text: String = (0..size)
                .map(|i| match i % 7 {
                    0 => ' ',
                    3 => '\n',
                    _ => char::from(b'a' + u8::try_from(i % 26).expect("below 26")),
                })
                .collect();
            let (head, tail) = text.split_at(size / 3);
            let stripped: Vec<u8> = text.bytes().filter(|b| !is_stream_whitespace(*b)).collect();
            assert_eq!(
                stripped_md5(&[head.as_bytes(), tail.as_bytes()], 9),
                compute_bytes(&stripped, 9),
                "{size} bytes"
            );
        }
    }

    #[test]
    fn lbmongo_extension_changes_use_text_rule() {
        let u = update("{a: 1}", "{$set: {b: 2}}", None);
        let d = delete("{a: 1}", Some("{hint: \"a_1\"}"));
        let cases = [
            (
                Change::UpdateOne(u.clone()),
                "people{a:1}{$set:{b:2}}null",
                "updateOne",
            ),
            (
                Change::UpdateMany(u),
                "people{a:1}{$set:{b:2}}null",
                "updateMany",
            ),
            (
                Change::DeleteOne(d.clone()),
                "people{a:1}{hint:\"a_1\"}",
                "deleteOne",
            ),
            (
                Change::DeleteMany(d),
                "people{a:1}{hint:\"a_1\"}",
                "deleteMany",
            ),
        ];
        for (change, texts, name) in cases {
            assert_eq!(
                CheckSum::of_change(&change, 9),
                compute_bytes(texts.as_bytes(), 9),
                "{name}"
            );
            let serialized = match &change {
                Change::UpdateOne(_) | Change::UpdateMany(_) => format!(
                    "{name}:[\n    collectionName=\"people\"\n    filter=\"{{a: 1}}\"\n    update=\"{{$set: {{b: 2}}}}\"\n]"
                ),
                _ => format!(
                    "{name}:[\n    collectionName=\"people\"\n    filter=\"{{a: 1}}\"\n    options=\"{{hint: \"a_1\"}}\"\n]"
                ),
            };
            assert_eq!(
                CheckSum::of_change(&change, 8),
                compute_string(&serialized, 8),
                "{name}"
            );
        }
    }

    #[test]
    fn v9_skips_changes_for_other_dbms_and_v8_keeps_them() {
        let insert = insert_one("c", "{a: 1}");
        let other = change_set(vec![
            mongo("db.x.drop()", Some("postgresql")),
            insert.clone(),
        ]);
        let own = change_set(vec![mongo("db.x.drop()", Some("mongodb")), insert.clone()]);
        let alone = change_set(vec![insert]);
        let sum = |cs: &ChangeSet, v| CheckSum::of_change_set(cs, v, "mongodb");
        assert_eq!(sum(&other, 9), sum(&alone, 9));
        assert_ne!(sum(&own, 9), sum(&alone, 9));
        assert_ne!(sum(&other, 8), sum(&alone, 8));
        assert_eq!(sum(&other, 8), sum(&own, 8));
    }

    #[test]
    fn versions_below_8_use_v8_rules_with_their_own_number() {
        let cs = change_set(vec![
            insert_one("c", "{a: 1}"),
            mongo("db.x.drop()", Some("postgresql")),
        ]);
        let v8 = CheckSum::of_change_set(&cs, 8, "mongodb");
        let v7 = CheckSum::of_change_set(&cs, 7, "mongodb");
        assert_eq!(v7.version(), 7);
        // The v7 aggregate hashes `7:<hex>:` entries, so only the change hexes agree.
        for change in &cs.changes {
            assert_eq!(
                CheckSum::of_change(change, 7).value(),
                CheckSum::of_change(change, 8).value()
            );
        }
        assert_ne!(v7.value(), v8.value());
    }

    #[test]
    fn parse_follows_core() {
        let cases = [
            ("3:asdf", Some((3, "asdf"))),
            (
                "9:6123e9daaa6ae11900e17fb620e90bcb",
                Some((9, "6123e9daaa6ae11900e17fb620e90bcb")),
            ),
            ("10:abc", Some((10, "abc"))),
            ("asdf", Some((1, "asdf"))),
            ("ANY", Some((1, "ANY"))),
            ("9:abc-def", Some((9, "abc"))),
            ("9:", Some((1, "9:"))),
            (":abc", Some((1, ":abc"))),
            (" 9:abc", Some((1, " 9:abc"))),
            ("99999999999:abc", Some((1, "99999999999:abc"))),
            ("", None),
        ];
        for (text, expected) in cases {
            let parsed = CheckSum::parse(text);
            assert_eq!(
                parsed.as_ref().map(|c| (c.version(), c.value())),
                expected,
                "{text:?}"
            );
        }
        assert_eq!(
            CheckSum::parse("3:asdf").map(|c| c.to_string()).as_deref(),
            Some("3:asdf")
        );
        assert_eq!(
            CheckSum::parse("asdf").map(|c| c.to_string()).as_deref(),
            Some("1:asdf")
        );
    }
}
