//! XML changelogs in liquibase-mongodb's form: `dbchangelog` root, changes in the `mongodb`
//! namespace, JSON as element text (spec mongo §4.1).

use executor::changelog::ChangeSet;

use super::{Element, element, marks, rollback_changes};
use crate::ejson::{self, Dialect, WIDTH};

pub(super) const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog
    xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-latest.xsd
        http://www.liquibase.org/xml/ns/mongodb http://www.liquibase.org/xml/ns/mongodb/liquibase-mongodb-latest.xsd">
"#;

pub(super) const TAIL: &str = "\n</databaseChangeLog>\n";

const CLOSE: &str = "</databaseChangeLog>";

/// One `<changeSet>` element, preceded by a blank line.
pub(super) fn change_set(cs: &ChangeSet) -> String {
    let mut out = String::from("\n");
    out.push_str(&format!(
        "    <changeSet id=\"{}\" author=\"{}\"",
        attribute(&cs.id.id),
        attribute(&cs.id.author)
    ));
    for (name, value) in marks(cs) {
        out.push_str(&format!(" {name}=\"{}\"", attribute(&value)));
    }
    out.push_str(">\n");
    if let Some(comment) = &cs.comment {
        out.push_str(&format!("        <comment>{}</comment>\n", text(comment)));
    }
    for change in &cs.changes {
        write_element(&mut out, &element(change), 8);
    }
    let rollback = rollback_changes(cs);
    if rollback.is_empty() {
        out.push_str("        <rollback/>\n");
    } else {
        out.push_str("        <rollback>\n");
        for change in rollback {
            write_element(&mut out, &element(change), 12);
        }
        out.push_str("        </rollback>\n");
    }
    out.push_str("    </changeSet>\n");
    out
}

fn write_element(out: &mut String, e: &Element, indent: usize) {
    let pad = " ".repeat(indent);
    out.push_str(&format!("{pad}<mongodb:{}", e.name));
    for (name, value) in &e.attributes {
        out.push_str(&format!(" {name}=\"{}\"", attribute(value)));
    }
    if e.json.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    for (name, value) in &e.json {
        let open = format!("{pad}    <mongodb:{name}>");
        let flat = ejson::compact_value(value, Dialect::Json);
        if open.len() + flat.len() + name.len() + 11 <= WIDTH + 20 {
            out.push_str(&format!("{open}{}</mongodb:{name}>\n", text(&flat)));
        } else {
            let inner = indent + 8;
            let body = ejson::pretty_value(value, Dialect::Json, inner);
            out.push_str(&format!(
                "{open}\n{}{}\n{pad}    </mongodb:{name}>\n",
                " ".repeat(inner),
                text(&body)
            ));
        }
    }
    out.push_str(&format!("{pad}</mongodb:{}>\n", e.name));
}

fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn attribute(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// Inserts the blocks before the closing `</databaseChangeLog>`.
pub(super) fn append(existing: &str, blocks: &[String]) -> Result<String, String> {
    let at = existing
        .rfind(CLOSE)
        .ok_or_else(|| format!("no closing `{CLOSE}` found"))?;
    let mut out = existing[..at].to_owned();
    for block in blocks {
        out.push_str(block);
    }
    out.push('\n');
    out.push_str(&existing[at..]);
    Ok(out)
}
