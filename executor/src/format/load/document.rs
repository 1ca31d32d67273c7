//! JSON-ish properties (`options`, `keys`, `document`, `filter`, `command`, …): read with the
//! driver-compatible lenient JSON reader, checked when the changelog is read, and held to
//! MongoDB's 16 MiB BSON document limit, so that nothing that cannot run reaches the server.
//!
//! Used by the changes and the preconditions alike.

use mongodb::bson::{Bson, Document};

use super::{Loader, Site};
use crate::change::{Json, JsonArray};
use crate::format::node::Node;
use crate::json::{self, JsonError};

/// Whether a JSON-ish property may be absent or blank.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    /// Absent or blank is `None`.
    Optional,
    /// Must be present; blank is `{}` (liquibase-mongodb `BsonUtils.orEmptyDocument`).
    Present,
    /// Must be present and not blank.
    NonBlank,
}

impl Loader<'_> {
    /// A JSON-ish property: the trimmed text, checked (parsed when a change runs).
    pub(super) fn json(
        &mut self,
        node: &Node,
        change: &str,
        field: &str,
        need: Need,
        site: Site<'_>,
    ) -> Option<Json> {
        let text = self.json_text(node, change, field, need, site)?;
        let line = node.child(field).and_then(|c| c.line).or(site.line);
        let site = Site { line, ..site };
        if !may_exceed_bson_limit(&text) {
            return match Json::from_text(text) {
                Ok(json) => Some(json),
                Err(e) => {
                    self.json_problem(change, field, &e, site);
                    None
                }
            };
        }
        match json::parse_document(&text) {
            Ok(doc) if bson_size(&doc) > MAX_BSON_SIZE => {
                self.too_large(change, field, bson_size(&doc), site);
                None
            }
            Ok(doc) => Some(Json::new(text, doc)),
            Err(e) => {
                self.json_problem(change, field, &e, site);
                None
            }
        }
    }

    /// `updateOne/updateMany.update`: a document, or an aggregation pipeline `[…]`, which is
    /// kept as `{$pipeline: […]}` (what `command` lowers to a pipeline update).
    pub(super) fn update_json(
        &mut self,
        node: &Node,
        change: &str,
        site: Site<'_>,
    ) -> Option<Json> {
        let text = self.json_text(node, change, "update", Need::NonBlank, site)?;
        let line = node.child("update").and_then(|c| c.line).or(site.line);
        let parsed = if text.starts_with('[') {
            json::parse_documents(&text).map(|stages| {
                let mut doc = Document::new();
                doc.insert(
                    "$pipeline",
                    Bson::Array(stages.into_iter().map(Bson::Document).collect()),
                );
                doc
            })
        } else {
            json::parse_document(&text)
        };
        match parsed {
            Ok(doc) => Some(Json::new(text, doc)),
            Err(e) => {
                self.json_problem(change, "update", &e, Site { line, ..site });
                None
            }
        }
    }

    /// `insertMany.documents`: a JSON array of documents, checked (parsed when the change runs).
    pub(super) fn json_array(
        &mut self,
        node: &Node,
        change: &str,
        field: &str,
        site: Site<'_>,
    ) -> Option<JsonArray> {
        let text = self.json_text(node, change, field, Need::NonBlank, site)?;
        let line = node.child(field).and_then(|c| c.line).or(site.line);
        let site = Site { line, ..site };
        if !may_exceed_bson_limit(&text) {
            return match JsonArray::from_text(text) {
                Ok(array) => Some(array),
                Err(e) => {
                    self.json_problem(change, field, &e, site);
                    None
                }
            };
        }
        match json::parse_documents(&text) {
            Ok(docs) if docs.iter().any(|d| bson_size(d) > MAX_BSON_SIZE) => {
                let size = docs.iter().map(bson_size).max().unwrap_or_default();
                self.too_large(change, field, size, site);
                None
            }
            Ok(docs) => Some(JsonArray::new(text, docs)),
            Err(e) => {
                self.json_problem(change, field, &e, site);
                None
            }
        }
    }

    /// A document MongoDB can never store (its 16 MiB BSON limit), rejected before anything runs.
    fn too_large(&mut self, change: &str, field: &str, size: usize, site: Site<'_>) {
        self.report(
            site,
            format!(
                "{change} `{field}`: a document of {size} bytes is over MongoDB's 16 MiB limit"
            ),
            Some("split the data over several changesets or documents".to_owned()),
        );
    }

    fn json_problem(&mut self, change: &str, field: &str, e: &JsonError, site: Site<'_>) {
        self.report(
            site,
            format!(
                "{change} `{field}`: line {}, column {}: {}",
                e.line, e.column, e.message
            ),
            None,
        );
    }

    /// The trimmed text of a JSON-ish property, `None` when absent or blank and optional (or
    /// wrong, reported).
    fn json_text(
        &mut self,
        node: &Node,
        change: &str,
        field: &str,
        need: Need,
        site: Site<'_>,
    ) -> Option<String> {
        let text = self
            .text_unless_reported(node, field, site)?
            .map(|t| t.trim().to_owned());
        match (text, need) {
            (Some(t), _) if !t.is_empty() => Some(t),
            (_, Need::Optional) => None,
            (_, Need::Present) if node.child(field).is_some() => Some(String::new()),
            _ => {
                self.report_required(node, change, field, site);
                None
            }
        }
    }
}

/// MongoDB's maximum BSON document size (`maxBsonObjectSize`).
const MAX_BSON_SIZE: usize = 16 * 1024 * 1024;

/// How many BSON bytes one byte of lenient JSON text can become, at most, with a margin.
///
/// The densest forms the parser accepts are array elements without separators (`[{}{}…]`,
/// `[""""…]`: 2 bytes of text for a type byte, an index key of up to 7 bytes with its NUL and a
/// 5-byte value, 6.5 times), digits (`[1 1 …]`, 6 times) and `Date()` (6 bytes of text for a
/// 33-byte string, under 7 times with its key); every key and every other value costs at least
/// as many text bytes as BSON bytes, or a small multiple of them. Twice the densest gives room
/// for forms not thought of here; `bson_bound_covers_the_densest_forms` pins the bound.
const BSON_BYTES_PER_TEXT_BYTE: usize = 16;

/// Whether a document read from `text` could be over [`MAX_BSON_SIZE`], so that its size must
/// be measured; shorter texts (under 1 MiB) are only checked, not built, when read.
fn may_exceed_bson_limit(text: &str) -> bool {
    text.len().saturating_mul(BSON_BYTES_PER_TEXT_BYTE) > MAX_BSON_SIZE
}

fn bson_size(doc: &Document) -> usize {
    let mut bytes = Vec::new();
    // Writing to a Vec only fails for documents the BSON format cannot hold at all.
    doc.to_writer(&mut bytes)
        .map_or(usize::MAX, |()| bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bson_bound_covers_the_densest_forms() {
        // Each form repeated until the array indexes need six digits, in a document as
        // `insertMany` elements and `document` values are; each must stay within half the bound.
        let forms = [
            "{}",
            "[]",
            "\"\"",
            "1 ",
            "1e1 ",
            "Date()",
            "/a/ ",
            "MinKey ",
            "true ",
            "null ",
            "new Date()",
            "NumberLong(1)",
        ];
        for form in forms {
            let text = format!("{{a: [{}]}}", form.repeat(120_000));
            let doc = json::parse_document(&text).expect("a dense form parses");
            let size = bson_size(&doc);
            assert!(
                size * 2 <= text.len() * BSON_BYTES_PER_TEXT_BYTE,
                "`{form}`: {size} BSON bytes from {} bytes of text",
                text.len()
            );
        }
        let keys: String = (0..120_000).map(|i| format!("k{i}:1,")).collect();
        let text = format!("{{{keys}}}");
        let doc = json::parse_document(&text).expect("many keys parse");
        assert!(bson_size(&doc) * 2 <= text.len() * BSON_BYTES_PER_TEXT_BYTE);
        // Below 1 MiB of text only the check runs; above it the size is measured.
        assert!(!may_exceed_bson_limit(
            &"x".repeat(MAX_BSON_SIZE / BSON_BYTES_PER_TEXT_BYTE)
        ));
        assert!(may_exceed_bson_limit(
            &"x".repeat(MAX_BSON_SIZE / BSON_BYTES_PER_TEXT_BYTE + 1)
        ));
    }
}
