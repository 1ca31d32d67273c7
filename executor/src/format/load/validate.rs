//! Whole-tree validation: the checks that need every changeset read first
//! (`ValidatingVisitor`'s unique identifiers, the rollback references that
//! `ChangeSet.handleRollbackNode` resolves among the changesets read so far, and Harness's
//! `runWith` rule, `MongoshExecutor.validate`).
//!
//! Runs once, after the last file, when the loader finishes.

use std::collections::HashMap;

use super::Loader;
use super::path::normalize_path;
use crate::changelog::{ChangeSet, RollbackStep};
use crate::error::Problem;
use crate::expression::dbms_matches;

impl Loader<'_> {
    /// Checks that need the whole tree (`ValidatingVisitor`, `ChangeSet.handleRollbackNode`,
    /// Harness `MongoshExecutor.validate`).
    pub(super) fn validate(&mut self) {
        let short_name = self.options.database_short_name.clone();
        let runs = |cs: &ChangeSet| !cs.ignore && dbms_matches(cs.dbms.as_deref(), &short_name);
        let mut problems = Vec::new();

        // ValidatingVisitor: `path::id::author` must be unique among the changesets that are
        // neither ignored nor for another database.
        if !self.options.allow_duplicate_identifiers {
            let mut seen: HashMap<String, Option<usize>> = HashMap::new();
            for cs in self.change_sets.iter().filter(|cs| runs(cs)) {
                let key = cs.id.to_string();
                match seen.get(&key) {
                    Some(first) => problems.push(Problem {
                        file: cs.physical_path.clone(),
                        line: cs.line,
                        change_set: Some(format!("{}::{}", cs.id.id, cs.id.author)),
                        message: match first {
                            Some(line) => format!(
                                "duplicate changeset identifier `{key}` (first at line {line})"
                            ),
                            None => format!("duplicate changeset identifier `{key}`"),
                        },
                        hint: Some(
                            "give each changeset its own id, or allow duplicates with \
                             `--allow-duplicated-changeset-identifiers`"
                                .into(),
                        ),
                    }),
                    None => {
                        seen.insert(key, cs.line);
                    }
                }
            }
        }

        for (index, cs) in self.change_sets.iter().enumerate() {
            if !dbms_matches(cs.dbms.as_deref(), &short_name) {
                continue;
            }
            let problem = |message: String, hint: Option<String>| Problem {
                file: cs.physical_path.clone(),
                line: cs.line,
                change_set: Some(format!("{}::{}", cs.id.id, cs.id.author)),
                message,
                hint,
            };
            // ChangeSet.handleRollbackNode resolves a reference while reading, among the
            // changesets read so far (this file's, then each parent's), ignoring case.
            for step in cs.rollback.iter().flatten() {
                let RollbackStep::ChangeSet(r) = step else {
                    continue;
                };
                let path = r.path.as_deref().unwrap_or(&cs.id.path);
                let same = |other: &ChangeSet| {
                    other.id.id.eq_ignore_ascii_case(&r.id)
                        && other.id.author.eq_ignore_ascii_case(&r.author)
                        && normalize_path(&other.id.path)
                            .eq_ignore_ascii_case(&normalize_path(path))
                        && dbms_matches(other.dbms.as_deref(), &short_name)
                };
                if self.change_sets[..index].iter().any(same) {
                    continue;
                }
                let target = format!("{path}::{}::{}", r.id, r.author);
                let hint = if self.change_sets[index..].iter().any(same) {
                    Some("Liquibase resolves rollback references while reading: name a changeset above this one".into())
                } else {
                    None
                };
                problems.push(problem(
                    format!("rollback: changeset `{target}` does not exist"),
                    hint,
                ));
            }

            if let Some((message, hint)) =
                crate::mongosh::run_with_problem(cs.run_with.as_deref(), &cs.changes)
            {
                problems.push(problem(message, Some(hint)));
            }
        }
        self.problems.extend(problems);
    }
}

#[cfg(test)]
mod tests {
    use crate::format::load::ReadOptions;
    use crate::format::load::testing::*;

    #[test]
    fn duplicates_among_ignored_changesets_are_allowed() {
        let log = load(vec![
            change_set("1", vec![]),
            node(
                "changeSet",
                &[("id", "1"), ("author", "alice"), ("ignore", "true")],
                vec![],
            ),
        ]);
        assert!(log.is_ok());
        let allowed = ReadOptions {
            allow_duplicate_identifiers: true,
            ..ReadOptions::default()
        };
        assert!(
            load_with(
                vec![change_set("1", vec![]), change_set("1", vec![])],
                &allowed
            )
            .is_ok()
        );
    }
}
