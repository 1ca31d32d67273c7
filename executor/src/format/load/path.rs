//! Paths and FILENAME: how a changelog path is normalized, how a sibling path is resolved, and
//! which path a changelog's changesets record as their FILENAME (`logicalFilePath` or the
//! physical path).
//!
//! Pure string rules, mirrored from Liquibase 4.28-4.33; finding the files is in `source`.

use super::{Inherited, ReadOptions};

/// `DatabaseChangeLog.normalizePath` (4.28.0): drop `classpath:`, turn `\` into `/`, drop a
/// drive prefix `X:` and the leading `/`, and resolve `.`, `..` and repeated `/` as commons-io
/// `FilenameUtils.normalizeNoEndSeparator` does. A `..` that would climb above the root is kept
/// (commons-io gives up there; the file is then looked up as written).
pub fn normalize_path(path: &str) -> String {
    let path = path
        .strip_prefix("classpath:")
        .unwrap_or(path)
        .replace('\\', "/");
    let bytes = path.as_bytes();
    let path = if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        &path[2..]
    } else {
        &path[..]
    };
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." if segments.last().is_some_and(|s| *s != "..") => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    segments.join("/")
}

/// A `logicalFilePath` as recorded: `\` to `/` and one leading `/` dropped, nothing else
/// (`DatabaseChangeLog.getLogicalFilePath`, `ChangeSet.load`, 4.28.0).
pub(super) fn normalize_logical(path: &str) -> String {
    let path = path.replace('\\', "/");
    path.strip_prefix('/').map(str::to_owned).unwrap_or(path)
}

/// `Resource.resolveSibling`: `other` next to `physical`, normalized.
pub(super) fn resolve_sibling(physical: &str, other: &str) -> String {
    match physical.rfind('/') {
        Some(slash) => normalize_path(&format!("{}/{}", &physical[..slash], other)),
        None => normalize_path(other),
    }
}

/// FILENAME of one changelog's changesets, with the effective `logicalFilePath` that its
/// included files inherit: the file's own logicalFilePath, else the include's (4.30+), else
/// with the 4.31+ rule the nearest ancestor's, else the physical path. 4.31.0 let the
/// includer's win over the file's own; 4.31.1 fixed that, and we follow the fix.
pub(super) fn file_name(
    physical: &str,
    own_logical: Option<&str>,
    inherited: &Inherited,
    options: &ReadOptions,
) -> (Option<String>, String) {
    let logical = own_logical
        .map(str::to_owned)
        .or_else(|| inherited.include_logical.clone())
        .or_else(|| {
            if options.inherit_logical_file_path {
                inherited.ancestor_logical.clone()
            } else {
                None
            }
        });
    let file_path = match &logical {
        Some(l) => normalize_logical(l),
        None => physical.to_owned(),
    };
    (logical, file_path)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::format::load::testing::*;
    use crate::format::load::{ReadOptions, read};

    #[test]
    fn normalize_path_follows_database_change_log_normalize_path() {
        let cases = [
            ("cl/master.xml", "cl/master.xml"),
            ("./cl/master.xml", "cl/master.xml"),
            ("cl/../cl/master.xml", "cl/master.xml"),
            ("cl\\master.xml", "cl/master.xml"),
            ("cl//master.xml", "cl/master.xml"),
            ("/srv/lbt/cl/master.xml", "srv/lbt/cl/master.xml"),
            ("classpath:cl/master.xml", "cl/master.xml"),
            ("C:\\srv\\cl\\master.xml", "srv/cl/master.xml"),
            ("c:/srv/master.xml", "srv/master.xml"),
            ("../up.xml", "../up.xml"),
            ("a/b/../../c.xml", "c.xml"),
        ];
        for (given, expected) in cases {
            assert_eq!(normalize_path(given), expected, "{given}");
        }
    }

    #[test]
    fn logical_paths_lose_only_backslashes_and_one_leading_slash() {
        let cases = [
            ("/logical/path.xml", "logical/path.xml"),
            ("\\logical\\path.xml", "logical/path.xml"),
            ("//x.xml", "/x.xml"),
            ("a/./b.xml", "a/./b.xml"),
        ];
        for (given, expected) in cases {
            assert_eq!(normalize_logical(given), expected, "{given}");
        }
    }

    /// Core §2.1: FILENAME for the same `--changelog-file` and `--search-path` as Liquibase.
    #[test]
    fn filename_matches_the_liquibase_table() {
        let dir = tree(&[("srv/lbt/cl/master.js", &js("", &["a:1"]))]);
        let srv = dir.path().join("srv");
        let lbt = srv.join("lbt");
        let absolute = lbt
            .join("cl/master.js")
            .to_str()
            .expect("utf-8 path")
            .to_owned();
        let cases: Vec<(Vec<PathBuf>, String, &str)> = vec![
            (vec![lbt.clone()], "cl/master.js".into(), "cl/master.js"),
            (vec![lbt.clone()], "./cl/master.js".into(), "cl/master.js"),
            (
                vec![lbt.clone()],
                "cl/../cl/master.js".into(),
                "cl/master.js",
            ),
            (vec![lbt.clone()], "cl\\master.js".into(), "cl/master.js"),
            (vec![lbt.join("cl")], "master.js".into(), "master.js"),
            (
                vec![srv.clone()],
                "lbt/cl/master.js".into(),
                "lbt/cl/master.js",
            ),
            (
                vec![PathBuf::from("/")],
                absolute.clone(),
                absolute.trim_start_matches('/'),
            ),
            // A second root that does not hold the file is passed over.
            (
                vec![srv.join("nowhere"), lbt.clone()],
                "cl/master.js".into(),
                "cl/master.js",
            ),
        ];
        for (search_path, given, expected) in cases {
            let options = ReadOptions {
                search_path,
                ..ReadOptions::default()
            };
            let log = read(&given, &options).unwrap_or_else(|e| panic!("{given}: {e}"));
            assert_eq!(ids(&log), [format!("{expected}::1::a")], "{given}");
            assert_eq!(log.physical_path, expected, "{given}");
            assert_eq!(log.change_sets[0].physical_path, expected, "{given}");
        }

        // 4.28 resolves an absolute path under each search root after dropping its `/`.
        let err = message(read(&absolute, &options(&lbt)));
        assert_eq!(
            err,
            format!(
                "invalid changelog: {}: file `{}` was not found in the search path\n  hint: paths are \
                 relative to the search path (`--search-path`, default: the current directory)",
                absolute.trim_start_matches('/'),
                absolute.trim_start_matches('/'),
            )
        );
    }

    #[test]
    fn logical_file_path_inheritance_follows_the_chosen_liquibase_rule() {
        let dir = tree(&[
            (
                "db/root.js",
                "// liquibase formatted mongodb logicalFilePath:/logical/root.js\n\
                 // include file:db/child.js\n\
                 // include file:db/own.js\n\
                 // include file:db/child.js logicalFilePath:by/include.js\n",
            ),
            (
                "db/child.js",
                &js("// include file:db/grandchild.js\n", &["c:1"]),
            ),
            ("db/grandchild.js", &js("", &["g:1"])),
            (
                "db/own.js",
                "// liquibase formatted mongodb logicalFilePath:own.js\n// changeset o:1 runWith:mongosh\ndb.x.find()\n",
            ),
        ]);
        let options_431 = ReadOptions {
            allow_duplicate_identifiers: true,
            ..options(dir.path())
        };
        let log = read("db/root.js", &options_431).expect("reads");
        assert_eq!(
            ids(&log),
            [
                "logical/root.js::1::g",
                "logical/root.js::1::c",
                "own.js::1::o",
                "by/include.js::1::g",
                "by/include.js::1::c",
            ],
        );
        let options_428 = ReadOptions {
            inherit_logical_file_path: false,
            ..options_431
        };
        let log = read("db/root.js", &options_428).expect("reads");
        assert_eq!(
            ids(&log),
            [
                "db/grandchild.js::1::g",
                "db/child.js::1::c",
                "own.js::1::o",
                "db/grandchild.js::1::g",
                "by/include.js::1::c",
            ],
        );
        // Under the 4.31+ rule the grandchild of a logical root collides with nothing here, but
        // two includes of one file under the same logical path do.
        let dup = tree(&[
            (
                "r.js",
                "// liquibase formatted mongodb logicalFilePath:l.js\n// include file:c.js\n// include file:d.js\n",
            ),
            ("c.js", &js("", &["a:1"])),
            ("d.js", &js("", &["a:1"])),
        ]);
        let err = message(read("r.js", &options(dup.path())));
        assert_eq!(
            err,
            "invalid changelog: d.js:2: changeset `1::a`: duplicate changeset identifier `l.js::1::a` (first \
             at line 2)\n  hint: give each changeset its own id, or allow duplicates with \
             `--allow-duplicated-changeset-identifiers`"
        );
        let log = read(
            "r.js",
            &ReadOptions {
                inherit_logical_file_path: false,
                ..options(dup.path())
            },
        )
        .expect("4.28 keeps the physical paths");
        assert_eq!(ids(&log), ["c.js::1::a", "d.js::1::a"]);
    }
}
