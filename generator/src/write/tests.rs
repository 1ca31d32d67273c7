//! Writers: every format reads back through our own readers to the same changes, and the text
//! of each format is pinned by an insta snapshot.

use executor::change::Change;
use executor::changelog::{ChangeLog, ChangeSet, RollbackStep};
use executor::{Command, ReadOptions, read_changelog_text as read_str};
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{Bson, DateTime, Decimal128, Regex, doc};

use super::*;
use crate::baseline::{self, BaselineOptions, ChangeSetPer, Ids};
use crate::snapshot::{Collection, Index, OWN_DATABASE, Role, ShardKey, Snapshot, User, View};

/// A snapshot with one of everything, BSON types that relaxed JSON would lose included.
pub(crate) fn sample_snapshot() -> Snapshot {
    let mut s = Snapshot::new("shop");
    s.collections = vec![
        Collection {
            name: "customers".into(),
            options: doc! {
                "validator": {
                    "$jsonSchema": {
                        "bsonType": "object",
                        "required": ["email", "createdAt"],
                        "properties": {
                            "email": { "bsonType": "string", "pattern": "^[^@]+@[^@]+$" },
                            "createdAt": { "bsonType": "date" },
                        },
                    },
                    "createdAt": { "$gte": DateTime::from_millis(1_577_836_800_000) },
                    "tenant": { "$ne": ObjectId::parse_str("64b000000000000000000001").expect("hex") },
                    "credit": { "$lte": "1000.50".parse::<Decimal128>().expect("decimal") },
                    "visits": { "$lt": 9_000_000_000_i64 },
                    "code": Regex { pattern: "^C-[0-9]+$".into(), options: "i".into() },
                },
                "validationLevel": "moderate",
                "validationAction": "warn",
                "collation": { "locale": "fr", "strength": 2 },
            },
            indexes: vec![
                Index {
                    name: "email_1".into(),
                    keys: doc! { "email": 1 },
                    options: doc! { "unique": true, "sparse": true },
                },
                Index {
                    name: "text_bio".into(),
                    keys: doc! { "tenant": 1, "bio": "text", "title": "text" },
                    options: doc! { "weights": { "bio": 1, "title": 5 }, "default_language": "french" },
                },
                Index {
                    name: "ttl".into(),
                    keys: doc! { "lastSeen": 1 },
                    options: doc! { "expireAfterSeconds": 3600, "hidden": true },
                },
            ],
        },
        Collection {
            name: "events".into(),
            options: doc! { "timeseries": { "timeField": "at", "metaField": "source", "granularity": "minutes" }, "expireAfterSeconds": 86_400_i64 },
            indexes: vec![],
        },
        Collection {
            name: "log".into(),
            options: doc! { "capped": true, "size": 1_048_576, "max": 1000 },
            indexes: vec![Index {
                name: "$**_1".into(),
                keys: doc! { "$**": 1 },
                options: doc! { "wildcardProjection": { "secret": 0 } },
            }],
        },
    ];
    s.views = vec![View {
        name: "active_customers".into(),
        view_on: "customers".into(),
        pipeline: vec![
            doc! { "$match": { "active": true } },
            doc! { "$project": { "email": 1 } },
        ],
        options: doc! { "collation": { "locale": "en" } },
    }];
    s.roles = vec![Role {
        name: "reporting".into(),
        definition: doc! {
            "privileges": [{ "resource": { "db": OWN_DATABASE, "collection": "customers" }, "actions": ["find"] }],
            "roles": [{ "role": "read", "db": OWN_DATABASE }],
        },
    }];
    s.users = vec![User {
        name: "report-bot".into(),
        definition: doc! { "roles": [{ "role": "reporting", "db": OWN_DATABASE }], "mechanisms": ["SCRAM-SHA-256"] },
    }];
    s.shards = vec![ShardKey {
        collection: "customers".into(),
        key: doc! { "tenant": "hashed" },
        unique: false,
    }];
    s
}

/// The baseline of [`sample_snapshot`] with two documents of data.
pub(crate) fn sample_change_sets(per: ChangeSetPer) -> Vec<ChangeSet> {
    let s = sample_snapshot();
    let options = BaselineOptions {
        per,
        ..BaselineOptions::default()
    };
    let mut ids = Ids::default();
    let mut out = Vec::new();
    let data = [
        doc! { "_id": ObjectId::parse_str("64b0000000000000000000aa").expect("hex"), "email": "a@x.org", "n": 1_i64, "at": DateTime::from_millis(5) },
        doc! { "_id": ObjectId::parse_str("64b0000000000000000000ab").expect("hex"), "email": "b@x.org", "score": 2.0 },
    ];
    for (i, c) in s.collections.iter().enumerate() {
        let data: &[mongodb::bson::Document] = if i == 0 { &data } else { &[] };
        out.extend(baseline::collection_change_sets(
            c, data, &options, &mut ids,
        ));
    }
    out.extend(
        s.views
            .iter()
            .map(|v| baseline::view_change_set(v, &options, &mut ids)),
    );
    out.extend(
        s.roles
            .iter()
            .map(|r| baseline::role_change_set(r, &options, &mut ids)),
    );
    out.extend(
        s.users
            .iter()
            .map(|u| baseline::user_change_set(u, &options, &mut ids)),
    );
    out.extend(
        s.shards
            .iter()
            .map(|k| baseline::shard_change_set(k, &options, &mut ids)),
    );
    out
}

fn file_name(format: Format) -> &'static str {
    match format {
        Format::Xml => "changelog.xml",
        Format::Yaml => "changelog.yaml",
        Format::Json => "changelog.json",
        Format::Formatted => "changelog.js",
    }
}

fn read(text: &str, format: Format) -> ChangeLog {
    read_str(text, file_name(format), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{format:?} does not read back: {e}\n{text}"))
}

/// The commands of a list of changes; `mongo` scripts are read back statement by statement.
fn commands<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Vec<Command> {
    changes
        .into_iter()
        .flat_map(|c| match c {
            Change::Mongo(m) => read_statements(&m.mongo).unwrap_or_else(|e| panic!("{e}")),
            other => vec![other.clone()],
        })
        .filter_map(|c| c.to_command())
        .collect()
}

fn rollback_commands(cs: &ChangeSet) -> Vec<Command> {
    commands(cs.rollback.iter().flatten().filter_map(|s| match s {
        RollbackStep::Change(c) => Some(c),
        RollbackStep::ChangeSet(_) => None,
    }))
}

#[test]
fn every_format_reads_back_to_the_same_changesets() {
    for per in [ChangeSetPer::Collection, ChangeSetPer::Index] {
        let written = sample_change_sets(per);
        for format in [Format::Xml, Format::Yaml, Format::Json, Format::Formatted] {
            let text = render(format, &written);
            let back = read(&text, format);
            assert_eq!(back.change_sets.len(), written.len(), "{format:?}");
            for (w, r) in written.iter().zip(&back.change_sets) {
                assert_eq!(
                    (&w.id.id, &w.id.author),
                    (&r.id.id, &r.id.author),
                    "{format:?}"
                );
                assert_eq!(w.comment, r.comment, "{format:?} {}", w.id);
                assert_eq!(w.contexts.text(), r.contexts.text(), "{format:?} {}", w.id);
                assert_eq!(
                    commands(&w.changes),
                    commands(&r.changes),
                    "{format:?} {}",
                    w.id
                );
                assert_eq!(
                    rollback_commands(w),
                    rollback_commands(r),
                    "{format:?} {} rollback",
                    w.id
                );
                assert!(
                    r.rollback.is_some(),
                    "{format:?} {}: explicit rollback",
                    w.id
                );
                if format == Format::Formatted {
                    assert_eq!(r.run_with.as_deref(), Some("mongosh"));
                }
            }
        }
    }
}

#[test]
fn output_is_byte_identical_for_the_same_input() {
    for format in [Format::Xml, Format::Yaml, Format::Json, Format::Formatted] {
        let a = render(format, &sample_change_sets(ChangeSetPer::Collection));
        let b = render(format, &sample_change_sets(ChangeSetPer::Collection));
        assert_eq!(a, b, "{format:?}");
    }
}

#[test]
fn an_empty_changelog_is_valid_in_every_format() {
    for format in [Format::Xml, Format::Yaml, Format::Json, Format::Formatted] {
        let text = render(format, &[]);
        assert!(
            read(&text, format).change_sets.is_empty(),
            "{format:?}\n{text}"
        );
    }
}

#[test]
fn appending_keeps_the_existing_text_and_adds_the_changesets() {
    let all = sample_change_sets(ChangeSetPer::Collection);
    let (first, rest) = all.split_at(2);
    for format in [Format::Xml, Format::Yaml, Format::Json, Format::Formatted] {
        for existing in [render(format, first), render(format, &[])] {
            let appended =
                append(&existing, format, rest).unwrap_or_else(|e| panic!("{format:?}: {e}"));
            let keep = match format {
                // The closing part moves behind the new changesets; everything before it stays.
                Format::Xml => existing.rfind("</databaseChangeLog>").expect("closing tag"),
                Format::Json => existing[..existing.rfind('}').expect("brace")]
                    .rfind(']')
                    .expect("bracket"),
                Format::Yaml => existing.len(),
                Format::Formatted => existing.len(),
            };
            let kept = existing[..keep].trim_end();
            assert!(appended.starts_with(kept), "{format:?}\n{appended}");
            let before = read(&existing, format).change_sets.len();
            let back = read(&appended, format);
            let ids: Vec<&str> = back.change_sets.iter().map(|c| c.id.id.as_str()).collect();
            let expected: Vec<&str> = all[2 - before.min(2)..]
                .iter()
                .map(|c| c.id.id.as_str())
                .filter(|id| before > 0 || rest.iter().any(|r| r.id.id == *id))
                .collect();
            assert_eq!(ids, expected, "{format:?}");
        }
    }
}

#[test]
fn appending_to_a_hand_written_yaml_file_follows_its_indentation() {
    let existing = "# hand written\ndatabaseChangeLog:\n- changeSet:\n    id: '1'\n    author: me\n    changes:\n    - createCollection:\n        collectionName: a\n";
    let cs = &sample_change_sets(ChangeSetPer::Collection)[..1];
    let appended = append(existing, Format::Yaml, cs).expect("appends");
    assert!(appended.starts_with(existing));
    assert!(
        appended[existing.len()..].starts_with("- changeSet:\n"),
        "{appended}"
    );
    assert_eq!(read(&appended, Format::Yaml).change_sets.len(), 2);
    let bad = "databaseChangeLog: []\n";
    assert!(append(bad, Format::Yaml, cs).is_err());
    assert!(append("<x/>", Format::Xml, cs).is_err());
    assert!(
        append(
            r#"{"databaseChangeLog": [], "other": [1]}"#,
            Format::Json,
            cs
        )
        .is_err()
    );
}

#[test]
fn generated_changelogs_are_pinned() {
    let change_sets = sample_change_sets(ChangeSetPer::Collection);
    insta::assert_snapshot!("baseline_xml", render(Format::Xml, &change_sets));
    insta::assert_snapshot!("baseline_yaml", render(Format::Yaml, &change_sets));
    insta::assert_snapshot!("baseline_json", render(Format::Json, &change_sets));
    insta::assert_snapshot!("baseline_js", render(Format::Formatted, &change_sets));
    let per_index = sample_change_sets(ChangeSetPer::Index);
    insta::assert_snapshot!("baseline_per_index_yaml", render(Format::Yaml, &per_index));
}

#[test]
fn values_keep_their_bson_types_in_every_format() {
    let change_sets = sample_change_sets(ChangeSetPer::Collection);
    for format in [Format::Xml, Format::Yaml, Format::Json, Format::Formatted] {
        let back = read(&render(format, &change_sets), format);
        let cmds = commands(&back.change_sets[0].changes);
        let validator = cmds[0].body.get_document("validator").expect("validator");
        let types: Vec<_> = ["createdAt", "tenant", "credit", "visits"]
            .iter()
            .map(|k| {
                validator
                    .get_document(k)
                    .expect(k)
                    .values()
                    .next()
                    .map(Bson::element_type)
            })
            .collect();
        use mongodb::bson::spec::ElementType as T;
        assert_eq!(
            types,
            [
                Some(T::DateTime),
                Some(T::ObjectId),
                Some(T::Decimal128),
                Some(T::Int64)
            ],
            "{format:?}"
        );
        assert_eq!(
            validator.get("code").map(Bson::element_type),
            Some(T::RegularExpression)
        );
    }
}

#[test]
fn the_snapshot_file_is_pinned() {
    insta::assert_snapshot!("snapshot_file", sample_snapshot().to_json());
}

/// The sample baseline marked as `diff-changelog --author --label-filter --context-filter
/// --generate-changeset-created-values --generated-changeset-ids-contains-description` marks it.
fn stamped_change_sets() -> Vec<ChangeSet> {
    let stamp = crate::stamp::Stamp {
        context: Some("dev and !prod".into()),
        labels: Some("JIRA-42, Schema".into()),
        created: Some("2026-12-07 22:20+0000".into()),
        id_root: Some("3ujp".into()),
    };
    let mut ids = Ids::default();
    sample_change_sets(ChangeSetPer::Collection)
        .into_iter()
        .map(|mut cs| {
            cs.id.author = "dev@example.com".into();
            stamp.apply(cs, &mut ids)
        })
        .collect()
}

#[test]
fn labels_context_created_and_descriptive_ids_read_back_in_every_format() {
    let written = stamped_change_sets();
    assert_eq!(
        written[0].id.id,
        "3ujp-1 (createCollection collectionName=customers :: createIndex collectionName=customers \
         :: createIndex collectionName=customers :: createIndex collect...)"
    );
    for format in [Format::Xml, Format::Yaml, Format::Json, Format::Formatted] {
        let text = render(format, &written);
        let back = read(&text, format);
        assert_eq!(back.change_sets.len(), written.len(), "{format:?}");
        for (w, r) in written.iter().zip(&back.change_sets) {
            assert_eq!(r.id.id, w.id.id, "{format:?}\n{text}");
            assert_eq!(r.id.author, "dev@example.com", "{format:?}");
            assert_eq!(
                r.labels.values(),
                ["jira-42", "schema"],
                "{format:?} {}",
                w.id
            );
            let context = r.contexts.text().expect("a context");
            assert!(context.starts_with("(dev and !prod)") || context == "dev and !prod");
            assert_eq!(context, w.contexts.text().expect("written"), "{format:?}");
            // Liquibase's formatted changelogs carry no `created` (neither its serializer nor
            // its parser knows one); the other formats do.
            let created = (format != Format::Formatted).then_some("2026-12-07 22:20+0000");
            assert_eq!(r.created.as_deref(), created, "{format:?} {}", w.id);
        }
    }
}

/// The attribute spellings Liquibase 4.33's serializers use (checked by running its
/// `diff-changelog` into each format): `contextFilter`, `created` and `labels` joined with
/// `", "` (`","` on a formatted changeset line, where the id is quoted when it holds spaces).
#[test]
fn stamped_attributes_use_liquibases_spellings() {
    let one = &stamped_change_sets()[1..2];
    let id = &one[0].id.id;
    let xml = render(Format::Xml, one);
    assert!(
        xml.contains(&format!(
            "<changeSet id=\"{id}\" author=\"dev@example.com\" contextFilter=\"dev and !prod\" \
             created=\"2026-12-07 22:20+0000\" labels=\"jira-42, schema\">"
        )),
        "{xml}"
    );
    let yaml = render(Format::Yaml, one);
    assert!(
        yaml.contains(
            "      author: 'dev@example.com'\n      contextFilter: 'dev and !prod'\n      \
             created: '2026-12-07 22:20+0000'\n      labels: 'jira-42, schema'\n"
        ),
        "{yaml}"
    );
    let json = render(Format::Json, one);
    assert!(
        json.contains(
            "\"contextFilter\": \"dev and !prod\",\n        \"created\": \"2026-12-07 22:20+0000\",\n        \"labels\": \"jira-42, schema\","
        ),
        "{json}"
    );
    let js = render(Format::Formatted, one);
    assert!(
        js.contains(&format!(
            "// changeset dev@example.com:\"{id}\" runWith:mongosh labels:\"jira-42,schema\" contextFilter:\"dev and !prod\"\n"
        )),
        "{js}"
    );
}
