//! Reading changelogs: XML, YAML, JSON and formatted `.js` files into one `ChangeLog`.
//!
//! Each reader turns text into a format-neutral [`node::Node`] tree and nothing else; the loader
//! (`load`) turns trees into the `ChangeLog` model, resolving includes, properties and FILENAMEs
//! and validating everything before anything runs.

pub mod formatted;
pub mod json;
mod load;
pub(crate) mod node;
pub mod script_file;
pub mod xml;
pub mod yaml;

pub use load::{ReadOptions, normalize_path, read, read_str};

use crate::error::Problem;

/// A changelog file format, chosen by the file name as Liquibase's parsers choose
/// (`ChangeLogParserFactory` asks each parser whether it `supports` the path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.xml` (`XMLChangeLogSAXParser`).
    Xml,
    /// `.yaml` / `.yml` (`YamlChangeLogParser`).
    Yaml,
    /// `.json` (liquibase-mongodb's `JsonNoSqlChangeLogParser`).
    Json,
    /// `.js` / `.JS` starting with `// liquibase formatted …` (Liquibase Pro formatted MongoDB).
    Formatted,
}

impl Format {
    /// The format a path names, by its extension.
    ///
    /// The XML, YAML and JSON parsers compare the lowercased name (4.28.0), so `.XML` is XML.
    /// Formatted MongoDB files are `.js` or `.JS` only (Liquibase Pro documentation); whether a
    /// `.js` file really is a formatted changelog also depends on its header line, see
    /// [`Format::is_formatted_header`].
    pub fn of_path(path: &str) -> Option<Format> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".xml") {
            Some(Format::Xml)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Format::Yaml)
        } else if lower.ends_with(".json") {
            Some(Format::Json)
        } else if path.ends_with(".js") || path.ends_with(".JS") {
            Some(Format::Formatted)
        } else {
            None
        }
    }

    /// Whether the first line of `text` is a formatted-changelog header: it matches
    /// `^\s*//\s*liquibase\s*formatted` case-insensitively, as `AbstractFormattedChangeLogParser`
    /// (4.28.0) with `//` as the comment sequence. A `.js` file without it is no changelog.
    pub fn is_formatted_header(text: &str) -> bool {
        let first = text
            .strip_prefix('\u{feff}')
            .unwrap_or(text)
            .lines()
            .next()
            .unwrap_or("");
        let Some(rest) = first.trim_start().strip_prefix("//") else {
            return false;
        };
        let rest = rest.trim_start();
        let Some(rest) = strip_prefix_ignore_case(rest, "liquibase") else {
            return false;
        };
        strip_prefix_ignore_case(rest.trim_start(), "formatted").is_some()
    }
}

/// A problem a reader found in `file` itself, before any changeset exists to name.
fn reader_problem(file: &str, line: Option<usize>, message: String, hint: Option<&str>) -> Problem {
    Problem {
        file: file.to_owned(),
        line,
        change_set: None,
        message,
        hint: hint.map(str::to_owned),
    }
}

/// `text` after `prefix`, compared ignoring ASCII case only, as the `(?i)` patterns of Liquibase's
/// formatted-changelog parsers match (Java's `CASE_INSENSITIVE` without `UNICODE_CASE`).
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_extension() {
        let cases = [
            ("db/master.xml", Some(Format::Xml)),
            ("db/MASTER.XML", Some(Format::Xml)),
            ("a.yaml", Some(Format::Yaml)),
            ("a.yml", Some(Format::Yaml)),
            ("a.YML", Some(Format::Yaml)),
            ("a.json", Some(Format::Json)),
            ("a.js", Some(Format::Formatted)),
            ("a.JS", Some(Format::Formatted)),
            ("a.Js", None),
            ("a.sql", None),
            ("a.txt", None),
            ("xml", None),
        ];
        for (path, expected) in cases {
            assert_eq!(Format::of_path(path), expected, "{path}");
        }
    }

    #[test]
    fn formatted_header_is_matched_like_liquibase() {
        let cases = [
            ("// liquibase formatted mongodb\n", true),
            ("//liquibase formatted mongo", true),
            ("  //   LIQUIBASE   Formatted mongodb", true),
            ("//liquibaseformatted", true),
            ("\u{feff}// liquibase formatted mongodb", true),
            ("// liquibase mongodb\n", false),
            (
                "db.users.insertOne({})\n// liquibase formatted mongodb",
                false,
            ),
            ("/* liquibase formatted mongodb */", false),
            ("", false),
        ];
        for (text, expected) in cases {
            assert_eq!(Format::is_formatted_header(text), expected, "{text:?}");
        }
    }
}
