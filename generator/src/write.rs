//! Changesets to changelog text: XML, YAML, JSON and formatted mongosh `.js`.
//!
//! Each format lives in its own module and knows three things: the file's head and tail, the
//! text of one changeset, and how to add changesets to an existing file without touching what is
//! there (`diff-changelog` appends, as Liquibase's `DiffToChangeLog` does). A [`Writer`] streams
//! changesets out one at a time, so a baseline of thousands of collections never sits in memory
//! as text.
//!
//! The forms are those of liquibase-mongodb's own fixtures (spec mongo §4): XML in the
//! `mongodb` namespace with `xsi:schemaLocation`, YAML with JSON in string scalars, JSON with
//! `$rawJson` objects. JSON-ish values are written in [`crate::ejson::Dialect::Json`], which our
//! reader (and the Java driver's `JsonReader`) reads back to the same BSON types.

mod formatted;
mod json;
mod xml;
mod yaml;

use std::io::{self, Write};

pub use executor::Format;
use executor::change::Change;
use executor::changelog::{ChangeSet, RollbackStep};
pub use formatted::read_statements;
use mongodb::bson::Bson;

/// Streams changesets into a changelog.
pub struct Writer<W: Write> {
    format: Format,
    out: W,
    count: usize,
}

impl<W: Write> Writer<W> {
    /// Writes the head of a new changelog.
    pub fn start(format: Format, mut out: W) -> io::Result<Writer<W>> {
        out.write_all(head(format).as_bytes())?;
        Ok(Writer {
            format,
            out,
            count: 0,
        })
    }

    /// Writes one changeset.
    pub fn write(&mut self, change_set: &ChangeSet) -> io::Result<()> {
        let mut text = String::new();
        if self.count > 0 && self.format == Format::Json {
            text.push_str(",\n");
        }
        text.push_str(&block(self.format, change_set));
        self.out.write_all(text.as_bytes())?;
        self.count += 1;
        Ok(())
    }

    /// Writes the tail and hands the output back.
    pub fn finish(mut self) -> io::Result<W> {
        self.out
            .write_all(tail(self.format, self.count).as_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A whole changelog holding `change_sets`.
pub fn render(format: Format, change_sets: &[ChangeSet]) -> String {
    let mut writer = Writer::start(format, Vec::new()).expect("writing to memory cannot fail");
    for cs in change_sets {
        writer.write(cs).expect("writing to memory cannot fail");
    }
    let bytes = writer.finish().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("the writers produce UTF-8")
}

/// `existing` (a changelog in `format`) with `change_sets` added after its last changeset; the
/// existing text is kept byte for byte.
pub fn append(existing: &str, format: Format, change_sets: &[ChangeSet]) -> Result<String, String> {
    let blocks: Vec<String> = change_sets.iter().map(|cs| block(format, cs)).collect();
    match format {
        Format::Xml => xml::append(existing, &blocks),
        Format::Yaml => yaml::append(existing, change_sets),
        Format::Json => json::append(existing, &blocks),
        Format::Formatted => Ok(formatted::append(existing, &blocks)),
    }
}

fn head(format: Format) -> String {
    match format {
        Format::Xml => xml::HEAD.to_owned(),
        Format::Yaml => yaml::HEAD.to_owned(),
        Format::Json => json::HEAD.to_owned(),
        Format::Formatted => formatted::HEAD.to_owned(),
    }
}

fn tail(format: Format, count: usize) -> String {
    match format {
        Format::Xml => xml::TAIL.to_owned(),
        // `databaseChangeLog:` with no items reads as an empty changelog.
        Format::Yaml => String::new(),
        Format::Json => json::tail(count),
        Format::Formatted => String::new(),
    }
}

fn block(format: Format, cs: &ChangeSet) -> String {
    match format {
        Format::Xml => xml::change_set(cs),
        Format::Yaml => yaml::change_set(cs, 2),
        Format::Json => json::change_set(cs),
        Format::Formatted => formatted::change_set(cs),
    }
}

type Attributes = Vec<(&'static str, String)>;
type JsonProperties = Vec<(&'static str, Bson)>;

/// A change as named properties: what XML, YAML and JSON write alike.
struct Element {
    /// The change type (`createIndex`).
    name: &'static str,
    /// Plain properties (`collectionName`), as XML attributes.
    attributes: Attributes,
    /// JSON-ish properties (`keys`, `options`), as child elements / string scalars / `$rawJson`.
    json: JsonProperties,
}

fn element(change: &Change) -> Element {
    let doc = |d: &executor::change::Json| Bson::Document(d.doc().clone());
    let attrs = |name: &str| vec![("collectionName", name.to_owned())];
    let (attributes, json): (Attributes, JsonProperties) = match change {
        Change::CreateCollection(c) => (
            attrs(&c.collection_name),
            c.options.iter().map(|o| ("options", doc(o))).collect(),
        ),
        Change::DropCollection(c) => (attrs(&c.collection_name), vec![]),
        Change::CreateIndex(c) => {
            let mut json = vec![("keys", doc(&c.keys))];
            json.extend(c.options.iter().map(|o| ("options", doc(o))));
            (attrs(&c.collection_name), json)
        }
        Change::DropIndex(c) => (attrs(&c.collection_name), vec![("keys", doc(&c.keys))]),
        Change::InsertOne(c) => {
            let mut json = vec![("document", doc(&c.document))];
            json.extend(c.options.iter().map(|o| ("options", doc(o))));
            (attrs(&c.collection_name), json)
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
            let mut json = vec![("documents", docs)];
            json.extend(c.options.iter().map(|o| ("options", doc(o))));
            (attrs(&c.collection_name), json)
        }
        Change::RunCommand(c) => (vec![], vec![("command", doc(&c.command))]),
        Change::AdminCommand(c) => (vec![], vec![("command", doc(&c.command))]),
        Change::UpdateOne(c) | Change::UpdateMany(c) => {
            let mut json = vec![("filter", doc(&c.filter)), ("update", doc(&c.update))];
            json.extend(c.options.iter().map(|o| ("options", doc(o))));
            (attrs(&c.collection_name), json)
        }
        Change::DeleteOne(c) | Change::DeleteMany(c) => {
            let mut json = vec![("filter", doc(&c.filter))];
            json.extend(c.options.iter().map(|o| ("options", doc(o))));
            (attrs(&c.collection_name), json)
        }
        Change::Mongo(m) => (vec![("mongo", m.mongo.clone())], vec![]),
        Change::MongoFile(m) => (vec![("path", m.path.clone())], vec![]),
        Change::TagDatabase(t) => (vec![("tag", t.tag.clone())], vec![]),
        Change::Empty => (vec![], vec![]),
    };
    Element {
        name: change.name(),
        attributes,
        json,
    }
}

/// The changes of a changeset's rollback (the generator only writes changes there).
fn rollback_changes(cs: &ChangeSet) -> Vec<&Change> {
    cs.rollback
        .iter()
        .flatten()
        .filter_map(|step| match step {
            RollbackStep::Change(c) => Some(c),
            RollbackStep::ChangeSet(_) => None,
        })
        .collect()
}

/// The changeset attributes the generator sets besides id and author, in the order Liquibase
/// 4.33 writes them: `contextFilter` (the name `ChangeSet.getSerializableFields` uses since
/// 4.16; `context` is its older alias), `created` and `labels`.
fn marks(cs: &ChangeSet) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(context) = cs.contexts.text() {
        out.push(("contextFilter", context.to_owned()));
    }
    if let Some(created) = &cs.created {
        out.push(("created", created.clone()));
    }
    if let Some(labels) = cs.labels.text() {
        out.push(("labels", labels.to_owned()));
    }
    out
}

#[cfg(test)]
mod tests;
