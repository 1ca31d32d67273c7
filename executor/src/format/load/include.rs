//! Includes: `<include>` and `<includeAll>` (`DatabaseChangeLog.include`/`includeAll`, 4.28.0),
//! what an included file inherits (contexts, labels, `ignore`, `logicalFilePath`, `runWith`),
//! include cycles, and the directory search of `includeAll`.
//!
//! Each included file is handed back to the loader's `load_text`, like the root file.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use super::path::{normalize_path, resolve_sibling};
use super::vocabulary::INCLUDE_ATTRIBUTES;
use super::{FileCx, Inherited, Loader, OnUnknown, Site};
use crate::expression::{ContextExpression, Labels};
use crate::format::Format;
use crate::format::node::Node;

impl Loader<'_> {
    /// What an `include`/`includeAll` element hands to the files it reads.
    fn inherited_for(
        &mut self,
        node: &Node,
        file: &FileCx,
        run_with: Option<&str>,
        site: Site<'_>,
    ) -> Inherited {
        let context = self.context_filter(node, site);
        let context = ContextExpression::new(context.as_deref());
        self.check_context(&context, site);
        let labels = Labels::new(self.text(node, "labels", site).as_deref());
        let ignore = self.flag(node, "ignore", false, site);
        let include_logical = self.non_blank(node, "logicalFilePath", site);

        let mut contexts = file.inherited.contexts.clone();
        if !context.is_empty() {
            contexts.insert(0, context);
        }
        let mut labels_chain = file.inherited.labels.clone();
        if !labels.is_empty() {
            labels_chain.insert(0, labels);
        }
        Inherited {
            parent_file: Some(file.file_path.clone()),
            ancestor_logical: file.logical.clone(),
            include_logical,
            contexts,
            labels: labels_chain,
            // ChangeSet.isInheritableIgnore (4.28.0) reads only the include of the changeset's
            // own changelog, so `ignore` does not reach files that file includes in turn.
            ignore,
            run_with: run_with
                .map(str::to_owned)
                .or_else(|| file.inherited.run_with.clone()),
        }
    }

    /// `<include>` (DatabaseChangeLog.include, 4.28.0 + `logicalFilePath` of 4.30).
    pub(super) fn include(
        &mut self,
        node: &Node,
        file: &FileCx,
        run_with: Option<&str>,
        site: Site<'_>,
    ) {
        self.check_unknown(node, "include", INCLUDE_ATTRIBUTES, site);
        let Some(path) = self.non_blank(node, "file", site) else {
            self.report(site, "include: missing required attribute `file`", None);
            return;
        };
        let path = path.replace('\\', "/");
        if path.eq_ignore_ascii_case(".svn") || path.eq_ignore_ascii_case("cvs") {
            return;
        }
        let relative = self.flag(node, "relativeToChangelogFile", false, site);
        let error_if_missing = self.flag(node, "errorIfMissing", true, site);
        let inherited = self.inherited_for(node, file, run_with, site);
        let path = if relative {
            resolve_sibling(&file.physical, &path)
        } else {
            normalize_path(&path)
        };
        if self.is_cycle(&path, site) {
            return;
        }
        // DatabaseChangeLog.include (4.28.0): existence is checked before the parser is chosen,
        // so a missing optional file is skipped whatever its name.
        let Some(found) = self.locate(&path) else {
            if error_if_missing {
                let hint = if relative {
                    "the path is resolved next to the including changelog".to_owned()
                } else {
                    "the path is relative to the search path; add relativeToChangelogFile=\"true\" \
                     to resolve it next to the including changelog"
                        .to_owned()
                };
                self.report(
                    site,
                    format!("include: file `{path}` was not found"),
                    Some(hint),
                );
            }
            return;
        };
        let Some(format) = Format::of_path(&path) else {
            // OnUnknownFileFormat.FAIL for `include`.
            self.report(
                site,
                format!("include: `{path}` is not a changelog"),
                Some("included files end in .xml, .yaml, .yml, .json or .js (formatted)".into()),
            );
            return;
        };
        let Some(text) = self.read_found(&found, &path, site) else {
            return;
        };
        self.load_text(&path, format, &text, inherited, OnUnknown::Fail, site);
    }

    /// An include of a file that is being read is a cycle (Liquibase overflows its stack).
    fn is_cycle(&mut self, path: &str, site: Site<'_>) -> bool {
        let Some(start) = self.stack.iter().position(|p| p == path) else {
            return false;
        };
        let mut chain: Vec<&str> = self.stack[start..].iter().map(String::as_str).collect();
        chain.push(path);
        let message = format!("include cycle: {}", chain.join(" -> "));
        self.report(site, message, None);
        true
    }

    /// `<includeAll>` (DatabaseChangeLog.includeAll / findResources, 4.28.0).
    pub(super) fn include_all(
        &mut self,
        node: &Node,
        file: &FileCx,
        run_with: Option<&str>,
        site: Site<'_>,
    ) {
        self.check_unknown(
            node,
            "includeAll",
            &[
                "path",
                "relativeToChangelogFile",
                "errorIfMissingOrEmpty",
                "filter",
                "resourceFilter",
                "resourceComparator",
                "minDepth",
                "maxDepth",
                "endsWithFilter",
                "context",
                "contextFilter",
                "labels",
                "ignore",
                "logicalFilePath",
            ],
            site,
        );
        let Some(path) = self.non_blank(node, "path", site) else {
            self.report(site, "includeAll: missing required attribute `path`", None);
            return;
        };
        for class_attribute in ["filter", "resourceFilter", "resourceComparator"] {
            if self.text(node, class_attribute, site).is_some() {
                self.report(
                    site,
                    format!("includeAll: `{class_attribute}` names a Java class, which lbmongo cannot load"),
                    Some("use `endsWithFilter`, `minDepth` and `maxDepth`".into()),
                );
            }
        }
        let relative = self.flag(node, "relativeToChangelogFile", false, site);
        let error_if_empty = self.flag(node, "errorIfMissingOrEmpty", true, site);
        let min_depth = self.depth(node, "minDepth", 1, site);
        let max_depth = self.depth(node, "maxDepth", usize::MAX, site);
        if max_depth < min_depth {
            self.report(
                site,
                "includeAll: `maxDepth` must not be less than `minDepth`",
                None,
            );
            return;
        }
        let ends_with = self
            .text(node, "endsWithFilter", site)
            .map(|f| f.trim().to_lowercase());
        let inherited = self.inherited_for(node, file, run_with, site);

        // DatabaseChangeLog.fixPath: a relative path is resolved next to this file and
        // normalized; either way the directory key ends with `/`.
        let dir = if relative {
            resolve_sibling(&file.physical, &path)
        } else {
            normalize_path(&path)
        };
        let key = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };

        let owner = self.include_all_seen.is_none();
        let seen = self.include_all_seen.get_or_insert_with(HashSet::new);
        let circular = !seen.insert(key.clone());
        if circular && self.options.error_on_circular_include_all {
            self.report(
                site,
                format!("includeAll: circular reference to `{key}`"),
                Some(
                    "an enclosing includeAll already reads this directory; set \
                      `--error-on-circular-include-all=false` to allow it"
                        .into(),
                ),
            );
        } else {
            let files = self.search(&key, min_depth, max_depth, ends_with.as_deref());
            if files.is_empty() {
                if error_if_empty {
                    self.report(
                        site,
                        format!(
                            "includeAll: could not find directory `{path}`, it is empty, or no \
                             file matched the filters"
                        ),
                        Some(
                            "set errorIfMissingOrEmpty=\"false\" to allow an empty directory"
                                .into(),
                        ),
                    );
                }
            } else {
                for (resource, found) in files {
                    // DatabaseChangeLog.include with OnUnknownFileFormat.WARN: other files are
                    // skipped.
                    let Some(format) = Format::of_path(&resource) else {
                        continue;
                    };
                    let resource = normalize_path(&resource);
                    if self.is_cycle(&resource, site) {
                        continue;
                    }
                    let Some(text) = self.read_found(&found, &resource, site) else {
                        continue;
                    };
                    self.load_text(
                        &resource,
                        format,
                        &text,
                        inherited.clone(),
                        OnUnknown::Skip,
                        site,
                    );
                }
            }
        }
        if owner {
            self.include_all_seen = None;
        }
    }

    fn depth(&mut self, node: &Node, name: &str, default: usize, site: Site<'_>) -> usize {
        match self.text(node, name, site) {
            None => default,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(depth) => depth,
                Err(_) => {
                    self.report(
                        site,
                        format!(
                            "includeAll: `{name}` must be a non-negative integer, not `{text}`"
                        ),
                        None,
                    );
                    default
                }
            },
        }
    }

    /// Files under `dir` in every search root (`ResourceAccessor.search`, recursive), as
    /// resource paths (`dir/sub/file`) sorted like `getStandardChangeLogComparator`; the first
    /// root wins when two hold the same path. Depth 1 is a file directly in `dir`.
    fn search(
        &self,
        dir: &str,
        min: usize,
        max: usize,
        ends_with: Option<&str>,
    ) -> Vec<(String, PathBuf)> {
        let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
        for root in &self.options.search_path {
            let start = root.join(dir);
            if !start.is_dir() {
                continue;
            }
            let mut visited = HashSet::new();
            let mut pending = vec![(start, String::new(), 0usize)];
            while let Some((current, prefix, depth)) = pending.pop() {
                if let Ok(canonical) = current.canonicalize()
                    && !visited.insert(canonical)
                {
                    continue;
                }
                let Ok(entries) = std::fs::read_dir(&current) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                        continue;
                    };
                    let path = entry.path();
                    let relative = format!("{prefix}{name}");
                    if path.is_dir() {
                        if depth + 1 < max {
                            pending.push((path, format!("{relative}/"), depth + 1));
                        }
                    } else if path.is_file() && depth + 1 >= min && depth < max {
                        let resource = format!("{dir}{relative}");
                        if ends_with.is_none_or(|f| resource.to_lowercase().ends_with(f)) {
                            found.entry(resource).or_insert(path);
                        }
                    }
                }
            }
        }
        let mut files: Vec<(String, PathBuf)> = found.into_iter().collect();
        files.sort_by(|a, b| crate::java::compare(&a.0, &b.0));
        files
    }
}

#[cfg(test)]
mod tests {
    use crate::changelog::ChangeSet;
    use crate::format::load::testing::*;
    use crate::format::load::{ReadOptions, read};

    #[test]
    fn include_paths_are_relative_to_the_search_path_or_the_including_file() {
        let dir = tree(&[
            (
                "db/root.js",
                &js(
                    "// include file:changes/a.js relativeToChangelogFile:true\n// include file:db/more/b.js\n",
                    &[],
                ),
            ),
            ("db/changes/a.js", &js("", &["a:1"])),
            (
                "db/more/b.js",
                &js(
                    "// include file:../changes/c.js relativeToChangelogFile:true\n",
                    &["b:2"],
                ),
            ),
            ("db/changes/c.js", &js("", &["c:3"])),
        ]);
        let log = read("db/root.js", &options(dir.path())).expect("reads");
        assert_eq!(
            ids(&log),
            [
                "db/changes/a.js::1::a",
                "db/changes/c.js::3::c",
                "db/more/b.js::2::b"
            ],
        );
    }

    #[test]
    fn include_all_is_recursive_and_sorted_by_java_string_order() {
        let files = [
            ("db/root.js", js("// includeAll path:db/all/\n", &[])),
            ("db/all/b.js", js("", &["b:1"])),
            ("db/all/a/x.js", js("", &["x:1"])),
            ("db/all/a.js", js("", &["a:1"])),
            ("db/all/B.js", js("", &["B:1"])),
            ("db/all/notes.txt", "not a changelog".to_owned()),
            (
                "db/all/plain.js",
                "db.x.find() // no header, skipped".to_owned(),
            ),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let dir = tree(&files);
        let log = read("db/root.js", &options(dir.path())).expect("reads");
        assert_eq!(
            ids(&log),
            [
                "db/all/B.js::1::B",
                "db/all/a.js::1::a",
                "db/all/a/x.js::1::x",
                "db/all/b.js::1::b"
            ],
        );

        let cases = [
            (
                "maxDepth:1",
                vec![
                    "db/all/B.js::1::B",
                    "db/all/a.js::1::a",
                    "db/all/b.js::1::b",
                ],
            ),
            ("minDepth:2", vec!["db/all/a/x.js::1::x"]),
            ("endsWithFilter:x.js", vec!["db/all/a/x.js::1::x"]),
            (
                "endsWithFilter:B.JS",
                vec!["db/all/B.js::1::B", "db/all/b.js::1::b"],
            ),
        ];
        for (extra, expected) in cases {
            std::fs::write(
                dir.path().join("db/root.js"),
                js(&format!("// includeAll path:db/all/ {extra}\n"), &[]),
            )
            .expect("write");
            let log = read("db/root.js", &options(dir.path())).expect("reads");
            assert_eq!(ids(&log), expected, "{extra}");
        }
    }

    #[test]
    fn include_all_relative_to_the_changelog_and_missing_directories() {
        let dir = tree(&[
            (
                "db/root.js",
                &js("// includeAll path:all relativeToChangelogFile:true\n", &[]),
            ),
            ("db/all/one.js", &js("", &["a:1"])),
            ("db/empty.js", &js("// includeAll path:nothing/here\n", &[])),
            (
                "db/optional.js",
                &js(
                    "// includeAll path:nothing/here errorIfMissingOrEmpty:false\n",
                    &["o:1"],
                ),
            ),
        ]);
        let log = read("db/root.js", &options(dir.path())).expect("reads");
        assert_eq!(ids(&log), ["db/all/one.js::1::a"]);
        assert_eq!(
            message(read("db/empty.js", &options(dir.path()))),
            "invalid changelog: db/empty.js:2: includeAll: could not find directory `nothing/here`, it is \
             empty, or no file matched the filters\n  hint: set errorIfMissingOrEmpty=\"false\" to allow \
             an empty directory"
        );
        let log = read("db/optional.js", &options(dir.path())).expect("reads");
        assert_eq!(ids(&log), ["db/optional.js::1::o"]);
    }

    #[test]
    fn include_cycles_and_circular_include_all_are_reported() {
        let dir = tree(&[
            ("a.js", &js("// include file:b.js\n", &[])),
            ("b.js", &js("// include file:a.js\n", &[])),
            ("loop/root.js", &js("// includeAll path:loop/d/\n", &[])),
            ("loop/d/x.js", &js("// includeAll path:loop/d/\n", &["x:1"])),
        ]);
        assert_eq!(
            message(read("a.js", &options(dir.path()))),
            "invalid changelog: b.js:2: include cycle: a.js -> b.js -> a.js"
        );
        assert_eq!(
            message(read("loop/root.js", &options(dir.path()))),
            "invalid changelog: loop/d/x.js:2: includeAll: circular reference to `loop/d/`\n  hint: an \
             enclosing includeAll already reads this directory; set `--error-on-circular-include-all=false` \
             to allow it"
        );
        let lenient = ReadOptions {
            error_on_circular_include_all: false,
            ..options(dir.path())
        };
        assert_eq!(
            message(read("loop/root.js", &lenient)),
            "invalid changelog: loop/d/x.js:2: include cycle: loop/d/x.js -> loop/d/x.js"
        );
    }

    #[test]
    fn include_contexts_labels_and_ignore_are_inherited() {
        let dir = tree(&[
            (
                "root.js",
                &js(
                    "// include file:mid.js context:c1 labels:L1 ignore:true\n",
                    &[],
                ),
            ),
            (
                "mid.js",
                &js(
                    "// include file:leaf.js context:\"c2 or c3\" labels:l2\n",
                    &["m:1"],
                ),
            ),
            ("leaf.js", &js("", &["l:1"])),
        ]);
        let log = read("root.js", &options(dir.path())).expect("reads");
        let texts = |cs: &ChangeSet| -> (Vec<String>, Vec<String>, bool) {
            (
                cs.inherited_contexts
                    .iter()
                    .filter_map(|c| c.text().map(str::to_owned))
                    .collect(),
                cs.inherited_labels
                    .iter()
                    .filter_map(|l| l.text().map(str::to_owned))
                    .collect(),
                cs.ignore,
            )
        };
        // Innermost first, as ChangeSet.getInheritableContextFilter; `ignore` reaches only the
        // included file's own changesets (ChangeSet.isInheritableIgnore).
        assert_eq!(
            texts(&log.change_sets[0]),
            (
                vec!["c2 or c3".into(), "c1".into()],
                vec!["l2".into(), "L1".into()],
                false
            )
        );
        assert_eq!(
            texts(&log.change_sets[1]),
            (vec!["c1".into()], vec!["L1".into()], true)
        );
    }

    #[test]
    fn missing_includes_and_unknown_formats() {
        let dir = tree(&[
            (
                "root.js",
                &js(
                    "// include file:gone.js\n// include file:notes.txt\n// include file:plain.js\n",
                    &[],
                ),
            ),
            (
                "optional.js",
                &js("// include file:gone.js errorIfMissing:false\n", &["a:1"]),
            ),
            ("notes.txt", "text"),
            ("plain.js", "db.x.find()\n"),
        ]);
        assert_eq!(
            message(read("root.js", &options(dir.path()))),
            "invalid changelog: 3 problems\n\
             - root.js:2: include: file `gone.js` was not found\n  hint: the path is relative to the search \
             path; add relativeToChangelogFile=\"true\" to resolve it next to the including changelog\n\
             - root.js:3: include: `notes.txt` is not a changelog\n  hint: included files end in .xml, \
             .yaml, .yml, .json or .js (formatted)\n\
             - root.js:4: `plain.js` is not a formatted changelog\n  hint: a .js changelog starts with \
             `// liquibase formatted mongodb`"
        );
        assert_eq!(
            ids(&read("optional.js", &options(dir.path())).expect("reads")),
            ["optional.js::1::a"]
        );
    }
}
