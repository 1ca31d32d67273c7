//! Fuzzes the formatted mongosh changelog reader: any text either reads into a well-formed
//! `databaseChangeLog` tree or gives a problem for the file; it never panics.
#![no_main]

use executor::internals::formatted;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match formatted::read(text, "fuzz.js") {
        Ok(root) => {
            assert_eq!(root.name, "databaseChangeLog");
            for change_set in root.children.iter().filter(|n| n.name == "changeSet") {
                assert!(
                    change_set
                        .child_value("id")
                        .is_some_and(|id| !id.is_empty())
                );
                assert!(change_set.child_value("author").is_some());
                // Every changeset holds one mongo change whose script is trimmed and non-empty.
                let script = change_set
                    .child("mongo")
                    .and_then(|change| change.child_value("mongo"))
                    .expect("a changeset without a mongo change");
                assert!(!script.is_empty());
                assert_eq!(script, script.trim_matches(|c: char| c <= ' '));
            }
        }
        Err(problem) => {
            assert_eq!(problem.file, "fuzz.js");
            assert!(!problem.message.is_empty());
        }
    }
});
