//! Racing runners: many `lbmongo update` processes on one database apply each changeset exactly
//! once (the lock is atomic), and the lock is free at the end.

use mongodb::bson::{Document, doc};

use crate::commands::xml;
use crate::support::cli::{Project, binary};
use crate::support::{block_on, server};

pub(crate) fn numbered_changelog(n: usize) -> String {
    let change_sets: String = (1..=n)
        .map(|i| {
            format!(
                r#"<changeSet id="{i}" author="race"><mongodb:insertOne collectionName="items"><mongodb:document>{{ n: {i} }}</mongodb:document></mongodb:insertOne></changeSet>
"#
            )
        })
        .collect();
    xml(&change_sets)
}

#[test]
fn eight_concurrent_updates_apply_each_changeset_exactly_once() {
    const CHANGESETS: usize = 200;
    let (_, db, url) = block_on(server().fresh_db("race_eight"));
    let p = Project::new(db, url.clone());
    p.write("changelog.xml", &numbered_changelog(CHANGESETS));
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(binary())
                .current_dir(p.dir.path())
                .args(["update", "--changelog-file", "changelog.xml", "--url", &url])
                .env("LIQUIBASE_CHANGELOG_LOCK_POLL_RATE", "0.2")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("lbmongo starts")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("lbmongo finishes");
        assert!(
            out.status.success(),
            "a racing update failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    block_on(async {
        let rows = p.history().await;
        assert_eq!(rows.len(), CHANGESETS);
        let orders: Vec<i32> = rows
            .iter()
            .map(|r| r.get_i32("orderExecuted").expect("int"))
            .collect();
        let expected: Vec<i32> = (1..=i32::try_from(CHANGESETS).expect("small")).collect();
        assert_eq!(
            orders, expected,
            "orderExecuted is 1..N without gaps or repeats"
        );
        let items: Vec<Document> = p.find("items", doc! { "n": 1 }).await;
        assert_eq!(items.len(), CHANGESETS, "each changeset ran exactly once");
        let lock = p.find("DATABASECHANGELOGLOCK", doc! {}).await;
        assert_eq!(lock.len(), 1);
        assert_eq!(lock[0].get_bool("locked"), Ok(false));
    });
}
