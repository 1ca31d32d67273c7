//! YAML changelogs: JSON-ish properties as string scalars, single-quoted on one line or `|-`
//! blocks (spec mongo §4.2; liquibase-mongodb reads no nested YAML mappings there).

use executor::changelog::ChangeSet;

use super::{Element, element, marks, rollback_changes};
use crate::ejson::{self, Dialect, WIDTH};

pub(super) const HEAD: &str = "databaseChangeLog:\n";

/// One `- changeSet:` list item, its dash at column `indent`.
pub(super) fn change_set(cs: &ChangeSet, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let body = indent + 4;
    let key = " ".repeat(body);
    let mut out = format!("{pad}- changeSet:\n");
    out.push_str(&format!("{key}id: {}\n", scalar(&cs.id.id)));
    out.push_str(&format!("{key}author: {}\n", scalar(&cs.id.author)));
    for (name, value) in marks(cs) {
        out.push_str(&format!("{key}{name}: {}\n", scalar(&value)));
    }
    if let Some(comment) = &cs.comment {
        out.push_str(&format!("{key}comment: {}\n", scalar(comment)));
    }
    out.push_str(&format!("{key}changes:\n"));
    for change in &cs.changes {
        write_element(&mut out, &element(change), body + 2);
    }
    let rollback = rollback_changes(cs);
    if rollback.is_empty() {
        out.push_str(&format!("{key}rollback: []\n"));
    } else {
        out.push_str(&format!("{key}rollback:\n"));
        for change in rollback {
            write_element(&mut out, &element(change), body + 2);
        }
    }
    out
}

/// `- <name>:` with its properties, the dash at column `indent`.
fn write_element(out: &mut String, e: &Element, indent: usize) {
    let pad = " ".repeat(indent);
    let key = " ".repeat(indent + 4);
    if e.attributes.is_empty() && e.json.is_empty() {
        out.push_str(&format!("{pad}- {}: {{}}\n", e.name));
        return;
    }
    out.push_str(&format!("{pad}- {}:\n", e.name));
    for (name, value) in &e.attributes {
        out.push_str(&format!("{key}{name}: {}\n", scalar(value)));
    }
    for (name, value) in &e.json {
        let flat = ejson::compact_value(value, Dialect::Json);
        let quoted = scalar(&flat);
        if key.len() + name.len() + 2 + quoted.len() <= WIDTH && !quoted.starts_with('"') {
            out.push_str(&format!("{key}{name}: {quoted}\n"));
        } else {
            let inner = indent + 6;
            let text = ejson::pretty_value(value, Dialect::Json, 0);
            out.push_str(&format!("{key}{name}: |-\n"));
            for line in text.lines() {
                out.push_str(&" ".repeat(inner));
                out.push_str(line);
                out.push('\n');
            }
        }
    }
}

/// A string scalar: single-quoted, or double-quoted with escapes when it holds characters a
/// single-quoted scalar cannot carry (line breaks, control and non-printable characters).
fn scalar(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| !c.is_control() && c != '\u{feff}' && c != '\u{2028}' && c != '\u{2029}');
    if plain {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        ejson::compact_value(&mongodb::bson::Bson::String(s.to_owned()), Dialect::Json)
    }
}

/// Appends `- changeSet:` items after the last one, with the indentation the file already uses.
pub(super) fn append(existing: &str, change_sets: &[ChangeSet]) -> Result<String, String> {
    let mut lines = existing.lines();
    let root = lines
        .position(|l| l.trim_end() == "databaseChangeLog:")
        .ok_or("the file has no `databaseChangeLog:` line (a flow-style or empty root cannot be appended to)")?;
    let after: Vec<&str> = existing.lines().skip(root + 1).collect();
    if after
        .iter()
        .any(|l| !l.is_empty() && !l.starts_with([' ', '-', '#']))
    {
        return Err("`databaseChangeLog` is not the file's last top-level key".to_owned());
    }
    let indent = after
        .iter()
        .find_map(|l| {
            let trimmed = l.trim_start();
            trimmed.starts_with("- ").then(|| l.len() - trimmed.len())
        })
        .unwrap_or(2);
    let mut out = existing.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for cs in change_sets {
        out.push_str(&change_set(cs, indent));
    }
    Ok(out)
}
