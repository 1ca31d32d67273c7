//! What Liquibase's `diff-changelog` and `generate-changelog` put on every changeset they
//! generate besides its changes: the `--context-filter` (as `contextFilter`), the
//! `--label-filter` (as `labels`), the `created` value of `--generate-changeset-created-values`
//! and the descriptive id of `--generated-changeset-ids-contains-description`.
//!
//! The shapes are those Liquibase 4.33 writes (checked by running it, `DiffToChangeLog` and
//! `ChangeSet.getSerializableFieldValue`):
//!
//! - `labels`: the filter split on commas, each part trimmed and lowercased, joined with `", "`
//!   (`Labels(String)` then the serializer's join); formatted changelogs join with `","`
//!   (`Labels.toString()`).
//! - `contextFilter`: the filter text as given (`ContextExpression.toString()`).
//! - `created`: the time of the run as `SimpleDateFormat("yyyy-MM-dd HH:mmZ")` prints it in the
//!   JVM's time zone, here the machine's local time zone (`2026-12-07 22:20+0000`).
//! - ids: without descriptions Liquibase numbers changesets after a millisecond timestamp
//!   (`1796682127521-1`); lbmongo keeps its own stable `createCollection-orders` ids there. With
//!   descriptions Liquibase shortens the root to the last four base-36 digits of that timestamp
//!   and appends the changes' descriptions: `3ujp-1 (createCollection collectionName=orders ::
//!   createIndex collectionName=orders)`, the part in parentheses cut to 146 characters plus
//!   `...)` when it is longer than 150.

use chrono::{DateTime, Local, TimeZone};
use executor::changelog::ChangeSet;
use executor::{ContextExpression, Labels};

use crate::baseline::Ids;

/// The marks put on every generated changeset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamp {
    /// `--context-filter`: written as the changeset's `contextFilter`.
    pub context: Option<String>,
    /// `--label-filter`: written as the changeset's `labels`.
    pub labels: Option<String>,
    /// `--generate-changeset-created-values`: the `created` value ([`created_value`]).
    pub created: Option<String>,
    /// `--generated-changeset-ids-contains-description`: the id root ([`id_root`]); `None`
    /// keeps lbmongo's own ids.
    pub id_root: Option<String>,
}

impl Stamp {
    /// Marks `cs`. A changeset that already has a context of its own (shard keys have
    /// `sharding`) keeps it, joined to the filter with `and`.
    pub fn apply(&self, mut cs: ChangeSet, ids: &mut Ids) -> ChangeSet {
        if let Some(filter) = self.context.as_deref().filter(|c| !c.trim().is_empty()) {
            let text = match cs.contexts.text() {
                Some(own) => format!("({filter}) and ({own})"),
                None => filter.to_owned(),
            };
            cs.contexts = ContextExpression::new(Some(&text));
        }
        if let Some(labels) = self.labels.as_deref() {
            let values = Labels::new(Some(labels)).values();
            if !values.is_empty() {
                cs.labels = Labels::new(Some(&values.join(", ")));
            }
        }
        if let Some(created) = &self.created {
            cs.created = Some(created.clone());
        }
        if let Some(root) = &self.id_root {
            let descriptions: Vec<String> = cs.changes.iter().map(|c| c.description()).collect();
            cs.id.id = ids.descriptive(root, &descriptions);
        }
        cs
    }
}

/// Liquibase's `created` value for a run at `now`: `yyyy-MM-dd HH:mmZ`.
pub fn created_value<Tz: TimeZone>(now: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    now.format("%Y-%m-%d %H:%M%z").to_string()
}

/// The `created` value of a run starting now, in the local time zone.
pub fn created_now() -> String {
    created_value(&Local::now())
}

/// The id root of descriptive ids for a run started at `millis` (milliseconds since the epoch):
/// the last four digits of the timestamp in base 36 (`Long.toString(root, 36)`).
pub fn id_root(millis: i64) -> String {
    let digits = base36(millis);
    let cut = digits.len().saturating_sub(4);
    digits[cut..].to_owned()
}

/// The id root of a run starting now.
pub fn id_root_now() -> String {
    id_root(Local::now().timestamp_millis())
}

/// `Long.toString(n, 36)`: lowercase digits, a leading `-` for negative numbers.
fn base36(n: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let negative = n < 0;
    let mut rest = n.unsigned_abs();
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(rest % 36) as usize]);
        rest /= 36;
        if rest == 0 {
            break;
        }
    }
    if negative {
        out.push(b'-');
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;
    use executor::change::{Change, DropCollection};
    use executor::changelog::ChangeSetId;
    use mongodb::bson::doc;

    use super::*;
    use crate::baseline::{self, create_collection};

    fn create(name: &str) -> Change {
        create_collection(name, &doc! {})
    }

    fn cs(changes: Vec<Change>) -> ChangeSet {
        ChangeSet::new(
            ChangeSetId {
                path: String::new(),
                id: "createCollection-orders".into(),
                author: "me".into(),
            },
            changes,
        )
    }

    #[test]
    fn the_id_root_is_the_last_four_base36_digits_of_the_timestamp() {
        // Liquibase 4.33 wrote `3ujp-1 (createTable tableName=PERSON)` with `created`
        // `2026-12-07 22:20+0000`; the instants of that minute ending in `3ujp` in base 36
        // are the 36^4 ms apart ones like 22:20:55.525 UTC, `mxdu3ujp`.
        assert_eq!(base36(1_796_682_055_525), "mxdu3ujp");
        assert_eq!(id_root(1_796_682_055_525), "3ujp");
        assert_eq!(base36(0), "0");
        assert_eq!(base36(-35), "-z");
        assert_eq!(id_root(35), "z");
    }

    #[test]
    fn created_is_liquibases_minute_with_the_offset() {
        let utc = FixedOffset::east_opt(0).expect("an offset");
        let at = utc
            .with_ymd_and_hms(2026, 12, 7, 22, 20, 59)
            .single()
            .expect("a time");
        assert_eq!(created_value(&at), "2026-12-07 22:20+0000");
        let cet = FixedOffset::east_opt(3600).expect("an offset");
        assert_eq!(
            created_value(&at.with_timezone(&cet)),
            "2026-12-07 23:20+0100"
        );
    }

    #[test]
    fn labels_are_split_trimmed_lowercased_and_joined_as_liquibase_writes_them() {
        let stamp = Stamp {
            labels: Some(" JIRA-1 ,  Feat ".into()),
            ..Stamp::default()
        };
        let out = stamp.apply(cs(vec![]), &mut Ids::default());
        assert_eq!(out.labels.text(), Some("jira-1, feat"));
    }

    #[test]
    fn the_context_filter_is_kept_as_written_and_joined_to_an_own_context() {
        let stamp = Stamp {
            context: Some("dev and test".into()),
            ..Stamp::default()
        };
        let out = stamp.apply(cs(vec![]), &mut Ids::default());
        assert_eq!(out.contexts.text(), Some("dev and test"));
        let mut sharded = cs(vec![]);
        sharded.contexts = ContextExpression::new(Some(baseline::SHARDING_CONTEXT));
        let out = stamp.apply(sharded, &mut Ids::default());
        assert_eq!(out.contexts.text(), Some("(dev and test) and (sharding)"));
    }

    #[test]
    fn nothing_is_marked_without_a_stamp() {
        let before = cs(vec![create("orders")]);
        let after = Stamp::default().apply(before.clone(), &mut Ids::default());
        assert_eq!(before, after);
    }

    #[test]
    fn descriptive_ids_number_the_changesets_and_name_their_changes() {
        let stamp = Stamp {
            id_root: Some("3ujp".into()),
            created: Some("2026-12-07 22:20+0000".into()),
            ..Stamp::default()
        };
        let mut ids = Ids::default();
        let first = stamp.apply(
            cs(vec![
                create("orders"),
                Change::DropCollection(DropCollection {
                    collection_name: "old".into(),
                }),
            ]),
            &mut ids,
        );
        assert_eq!(
            first.id.id,
            "3ujp-1 (createCollection collectionName=orders :: dropCollection collectionName=old)"
        );
        assert_eq!(first.created.as_deref(), Some("2026-12-07 22:20+0000"));
        let second = stamp.apply(cs(vec![]), &mut ids);
        assert_eq!(second.id.id, "3ujp-2");
    }

    #[test]
    fn descriptive_ids_skip_ids_the_changelog_already_has() {
        let mut ids = Ids::with_existing(["3ujp-1".to_owned()]);
        let stamp = Stamp {
            id_root: Some("3ujp".into()),
            ..Stamp::default()
        };
        assert_eq!(stamp.apply(cs(vec![]), &mut ids).id.id, "3ujp-2");
    }

    #[test]
    fn long_descriptions_are_cut_as_liquibase_cuts_them() {
        let stamp = Stamp {
            id_root: Some("abcd".into()),
            ..Stamp::default()
        };
        let mut ids = Ids::default();
        // ` (createCollection collectionName=` is 34 characters, `)` one more.
        let long = stamp.apply(cs(vec![create(&"x".repeat(200))]), &mut ids);
        let suffix = long
            .id
            .id
            .strip_prefix("abcd-1")
            .expect("the root and number");
        assert_eq!(suffix.chars().count(), 150, "{suffix}");
        assert!(suffix.ends_with("xx...)"), "{suffix}");
        let exact = stamp.apply(cs(vec![create(&"y".repeat(115))]), &mut ids);
        let suffix = exact
            .id
            .id
            .strip_prefix("abcd-2")
            .expect("the root and number");
        assert_eq!(suffix.chars().count(), 150, "{suffix}");
        assert!(suffix.ends_with("yy)"), "{suffix}");
    }
}
