//! JSON changelogs in liquibase-mongodb's form: a `databaseChangeLog` array, JSON-ish
//! properties as `{"$rawJson": …}` objects (spec mongo §4.3).

use executor::changelog::ChangeSet;

use super::{Element, element, marks, rollback_changes};
use crate::ejson::{self, Dialect};

pub(super) const HEAD: &str = "{\n  \"databaseChangeLog\": [\n";

pub(super) fn tail(count: usize) -> String {
    if count == 0 {
        "  ]\n}\n".to_owned()
    } else {
        "\n  ]\n}\n".to_owned()
    }
}

fn string(s: &str) -> String {
    ejson::compact_value(&mongodb::bson::Bson::String(s.to_owned()), Dialect::Json)
}

/// One `{"changeSet": …}` array item at indentation 4, without a trailing comma or newline.
pub(super) fn change_set(cs: &ChangeSet) -> String {
    let mut fields = vec![
        format!("\"id\": {}", string(&cs.id.id)),
        format!("\"author\": {}", string(&cs.id.author)),
    ];
    for (name, value) in marks(cs) {
        fields.push(format!("\"{name}\": {}", string(&value)));
    }
    if let Some(comment) = &cs.comment {
        fields.push(format!("\"comment\": {}", string(comment)));
    }
    let changes: Vec<String> = cs
        .changes
        .iter()
        .map(|c| write_element(&element(c), 10))
        .collect();
    fields.push(format!("\"changes\": {}", list(&changes, 8)));
    let rollback: Vec<String> = rollback_changes(cs)
        .into_iter()
        .map(|c| write_element(&element(c), 10))
        .collect();
    fields.push(format!("\"rollback\": {}", list(&rollback, 8)));
    let body = fields
        .iter()
        .map(|f| format!("        {f}"))
        .collect::<Vec<_>>()
        .join(",\n");
    format!("    {{\n      \"changeSet\": {{\n{body}\n      }}\n    }}")
}

fn list(items: &[String], indent: usize) -> String {
    if items.is_empty() {
        return "[]".to_owned();
    }
    let pad = " ".repeat(indent);
    let inner = items
        .iter()
        .map(|i| format!("{pad}  {i}"))
        .collect::<Vec<_>>()
        .join(",\n");
    format!("[\n{inner}\n{pad}]")
}

/// `{"<name>": {…properties}}` whose first line is already placed at column `indent`.
fn write_element(e: &Element, indent: usize) -> String {
    let pad = " ".repeat(indent + 2);
    let mut fields: Vec<String> = e
        .attributes
        .iter()
        .map(|(name, value)| format!("{pad}\"{name}\": {}", string(value)))
        .collect();
    for (name, value) in &e.json {
        let start = indent + 2 + name.len() + 16;
        let text = if start + ejson::compact_value(value, Dialect::Json).len() <= ejson::WIDTH {
            ejson::compact_value(value, Dialect::Json)
        } else {
            ejson::pretty_value(value, Dialect::Json, indent + 2)
        };
        fields.push(format!("{pad}\"{name}\": {{\"$rawJson\": {text}}}"));
    }
    if fields.is_empty() {
        return format!("{{\"{}\": {{}}}}", e.name);
    }
    format!(
        "{{\"{}\": {{\n{}\n{}}}}}",
        e.name,
        fields.join(",\n"),
        " ".repeat(indent)
    )
}

/// Inserts the items before the `]` that closes `databaseChangeLog`, which must be the root
/// object's last member.
pub(super) fn append(existing: &str, blocks: &[String]) -> Result<String, String> {
    let root: serde_json::Value =
        serde_json::from_str(existing).map_err(|e| format!("invalid JSON: {e}"))?;
    let entries = root
        .get("databaseChangeLog")
        .and_then(serde_json::Value::as_array)
        .ok_or("the root has no `databaseChangeLog` array")?
        .len();
    let close_object = existing.rfind('}').ok_or("no closing `}`")?;
    let close_array = existing[..close_object]
        .rfind(']')
        .ok_or("no closing `]`")?;
    let before = existing[..close_array].trim_end();
    let mut out = before.to_owned();
    for (i, block) in blocks.iter().enumerate() {
        if entries > 0 || i > 0 {
            out.push(',');
        }
        out.push('\n');
        out.push_str(block);
    }
    out.push_str("\n  ");
    out.push_str(&existing[close_array..]);
    // The closing bracket found must be the array's: the result must hold the new entries.
    let check: serde_json::Value = serde_json::from_str(&out)
        .map_err(|e| format!("`databaseChangeLog` is not the root's last member ({e})"))?;
    let now = check
        .get("databaseChangeLog")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    if now != entries + blocks.len() {
        return Err("`databaseChangeLog` is not the root's last member".to_owned());
    }
    Ok(out)
}
