//! Formatted mongosh changelogs (`// liquibase formatted mongodb`, Liquibase Pro's format, spec
//! mongo §11.9): each changeset is mongosh code with `runWith:mongosh`, one statement per
//! change, and `// rollback` lines.
//!
//! Statements use the shell helpers that send exactly the command the XML form sends:
//! `db.createCollection(name, options)` (`{create: name, …options}`, views included),
//! `db.getCollection(c).createIndex(keys, options)`, `.dropIndex(keys)`, `.drop()`,
//! `.insertMany(docs)`, `db.runCommand(…)` and `db.adminCommand(…)`. Values are mongosh literals
//! ([`Dialect::Shell`]).

use executor::change::Change;
use executor::changelog::ChangeSet;
use mongodb::bson::{Bson, Document};

use super::rollback_changes;
use crate::ejson::{self, Dialect};

pub(super) const HEAD: &str = "// liquibase formatted mongodb\n";

/// One changeset, preceded by a blank line.
pub(super) fn change_set(cs: &ChangeSet) -> String {
    let mut out = format!(
        "\n// changeset {}:{} runWith:mongosh",
        cs.id.author,
        line_value(&cs.id.id)
    );
    // As Liquibase's formatted serializer: `labels:"a,b"` (`Labels.toString()`) and
    // `contextFilter:"…"`, quoted so that an expression with spaces stays one value. It writes
    // no `created` (the formatted parser has no such attribute), and neither do we.
    if !cs.labels.is_empty() {
        out.push_str(&format!(" labels:\"{}\"", cs.labels.values().join(",")));
    }
    if let Some(ctx) = cs.contexts.text() {
        out.push_str(&format!(" contextFilter:\"{ctx}\""));
    }
    out.push('\n');
    if let Some(comment) = &cs.comment {
        out.push_str(&format!(
            "// comment: {}\n",
            comment.replace(['\n', '\r'], " ")
        ));
    }
    for change in &cs.changes {
        out.push_str(&statement(change, true));
        out.push('\n');
    }
    let rollback = rollback_changes(cs);
    if rollback.is_empty() {
        out.push_str("// rollback empty\n");
    }
    for change in rollback {
        out.push_str(&format!("// rollback {}\n", statement(change, false)));
    }
    out
}

/// An id on the changeset line: double-quoted when it holds spaces, which the parser's
/// `("[^"]+"|\S+)` id group then reads whole. (Liquibase's formatted serializer writes such an
/// id bare, and its parser then reads only the part before the first space.)
fn line_value(id: &str) -> String {
    if id.chars().any(char::is_whitespace) && !id.contains('"') {
        format!("\"{id}\"")
    } else {
        id.to_owned()
    }
}

/// The mongosh statement of a change, spread over lines when `pretty`.
pub(crate) fn statement(change: &Change, pretty: bool) -> String {
    let value = |doc: &Document| -> String {
        if pretty {
            ejson::pretty(doc, Dialect::Shell, 0)
        } else {
            ejson::compact(doc, Dialect::Shell)
        }
    };
    let name = |n: &str| ejson::compact_value(&Bson::String(n.to_owned()), Dialect::Shell);
    match change {
        Change::CreateCollection(c) => match &c.options {
            Some(o) => format!(
                "db.createCollection({}, {});",
                name(&c.collection_name),
                value(o.doc())
            ),
            None => format!("db.createCollection({});", name(&c.collection_name)),
        },
        Change::DropCollection(c) => {
            format!("db.getCollection({}).drop();", name(&c.collection_name))
        }
        Change::CreateIndex(c) => format!(
            "db.getCollection({}).createIndex({}, {});",
            name(&c.collection_name),
            value(c.keys.doc()),
            c.options
                .as_ref()
                .map_or_else(|| "{}".to_owned(), |o| value(o.doc()))
        ),
        Change::DropIndex(c) => {
            format!(
                "db.getCollection({}).dropIndex({});",
                name(&c.collection_name),
                value(c.keys.doc())
            )
        }
        Change::InsertMany(c) => {
            let docs = Bson::Array(
                c.documents
                    .docs()
                    .iter()
                    .cloned()
                    .map(Bson::Document)
                    .collect(),
            );
            let text = if pretty {
                ejson::pretty_value(&docs, Dialect::Shell, 0)
            } else {
                ejson::compact_value(&docs, Dialect::Shell)
            };
            format!(
                "db.getCollection({}).insertMany({text});",
                name(&c.collection_name)
            )
        }
        Change::InsertOne(c) => {
            format!(
                "db.getCollection({}).insertOne({});",
                name(&c.collection_name),
                value(c.document.doc())
            )
        }
        Change::RunCommand(c) => format!("db.runCommand({});", value(c.command.doc())),
        Change::AdminCommand(c) => format!("db.adminCommand({});", value(c.command.doc())),
        Change::Mongo(m) => m.mongo.clone(),
        Change::MongoFile(m) => format!("load({});", name(&m.path)),
        Change::UpdateOne(c) | Change::UpdateMany(c) => format!(
            "db.getCollection({}).{}({}, {});",
            name(&c.collection_name),
            change.name(),
            value(c.filter.doc()),
            value(c.update.doc())
        ),
        Change::DeleteOne(c) | Change::DeleteMany(c) => format!(
            "db.getCollection({}).{}({});",
            name(&c.collection_name),
            change.name(),
            value(c.filter.doc())
        ),
        Change::TagDatabase(_) | Change::Empty => String::new(),
    }
}

/// Appends the blocks at the end of the file.
pub(super) fn append(existing: &str, blocks: &[String]) -> String {
    let mut out = existing.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for block in blocks {
        out.push_str(block);
    }
    out
}

/// Reads back the statements this module writes (and only those) as changes: the inverse of
/// the statement forms above, for tests and for checking a generated `.js` changelog without
/// mongosh. Arguments are read with the lenient reader, which takes mongosh literals.
pub fn read_statements(script: &str) -> Result<Vec<Change>, String> {
    use crate::baseline::json;
    use executor::change::{
        AdminCommand, CreateCollection, CreateIndex, DropCollection, DropIndex, InsertMany,
        InsertOne, JsonArray, RunCommand,
    };

    let mut out = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        if line.trim().is_empty() && current.is_empty() {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if !line.trim_end().ends_with(';') {
            continue;
        }
        let statement = std::mem::take(&mut current);
        let statement = statement.trim();
        let body = statement
            .strip_suffix(");")
            .ok_or_else(|| format!("not a call: {statement}"))?;
        let (target, args) = if let Some(rest) = body.strip_prefix("db.getCollection(") {
            let (name, rest) = string_prefix(rest)?;
            let rest = rest
                .strip_prefix(").")
                .ok_or_else(|| format!("expected `).` in {statement}"))?;
            let (method, args) = rest
                .split_once('(')
                .ok_or_else(|| format!("no call in {statement}"))?;
            (Some((name, method.to_owned())), args)
        } else {
            let rest = body
                .strip_prefix("db.")
                .ok_or_else(|| format!("expected `db.` in {statement}"))?;
            let (_, args) = rest
                .split_once('(')
                .ok_or_else(|| format!("no call in {statement}"))?;
            (None, args)
        };
        let args = match executor::parse_value(&format!("[{args}]")) {
            Ok(Bson::Array(items)) => items,
            Ok(_) => unreachable!("a bracketed list parses to an array"),
            Err(e) => return Err(format!("{e} in {statement}")),
        };
        let doc_arg = |i: usize| -> Result<Document, String> {
            match args.get(i) {
                Some(Bson::Document(d)) => Ok(d.clone()),
                _ => Err(format!("argument {i} is not a document in {statement}")),
            }
        };
        let change = match target {
            None => match (
                args.first(),
                statement.split('(').next().unwrap_or_default(),
            ) {
                (Some(Bson::String(name)), "db.createCollection") => {
                    Change::CreateCollection(CreateCollection {
                        collection_name: name.clone(),
                        options: args.get(1).map(|_| doc_arg(1)).transpose()?.map(json),
                    })
                }
                (_, "db.runCommand") => Change::RunCommand(RunCommand {
                    command: json(doc_arg(0)?),
                }),
                (_, "db.adminCommand") => Change::AdminCommand(AdminCommand {
                    command: json(doc_arg(0)?),
                }),
                _ => return Err(format!("unknown statement {statement}")),
            },
            Some((collection_name, method)) => match method.as_str() {
                "drop" => Change::DropCollection(DropCollection { collection_name }),
                "createIndex" => Change::CreateIndex(CreateIndex {
                    collection_name,
                    keys: json(doc_arg(0)?),
                    options: Some(json(doc_arg(1)?)),
                }),
                "dropIndex" => Change::DropIndex(DropIndex {
                    collection_name,
                    keys: json(doc_arg(0)?),
                }),
                "insertOne" => Change::InsertOne(InsertOne {
                    collection_name,
                    document: json(doc_arg(0)?),
                    options: None,
                }),
                "insertMany" => {
                    let docs = match args.first() {
                        Some(Bson::Array(items)) => items
                            .iter()
                            .map(|d| d.as_document().cloned().ok_or("not a document".to_owned()))
                            .collect::<Result<Vec<_>, _>>()?,
                        _ => return Err(format!("no document list in {statement}")),
                    };
                    let text = ejson::compact_value(
                        &Bson::Array(docs.iter().cloned().map(Bson::Document).collect()),
                        Dialect::Json,
                    );
                    Change::InsertMany(InsertMany {
                        collection_name,
                        documents: JsonArray::new(text, docs),
                        options: None,
                    })
                }
                other => return Err(format!("unknown method `{other}` in {statement}")),
            },
        };
        out.push(change);
    }
    if !current.trim().is_empty() {
        return Err(format!("unterminated statement: {current}"));
    }
    Ok(out)
}

/// Splits a leading JSON string literal off `text`: its value and the rest.
fn string_prefix(text: &str) -> Result<(String, &str), String> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => {
                let literal = &text[..=i];
                return match executor::parse_value(literal) {
                    Ok(Bson::String(s)) => Ok((s, &text[i + 1..])),
                    _ => Err(format!("bad string {literal}")),
                };
            }
            _ => {}
        }
    }
    Err(format!("unterminated string in {text}"))
}
