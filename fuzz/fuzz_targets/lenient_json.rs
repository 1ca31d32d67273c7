//! Fuzzes the lenient JSON dialect (`executor::json`): any UTF-8 text must parse or fail without
//! panicking, whatever parses must print with `to_relaxed_json` and parse back to an equal
//! document, and the checks run when a changelog is read (`check_document`,
//! `check_documents`) must give exactly the parsers' verdicts and errors (a change's BSON is
//! built from a checked text only when it runs, and that build must not fail).
//!
//! Run with `cargo fuzz run lenient_json` from the repository root.
#![no_main]

use executor::bson::{Bson, Document, JavaScriptCodeWithScope, doc};
use executor::internals::{
    check_document, check_documents, parse_document, parse_documents, parse_value, to_relaxed_json,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    assert_eq!(
        check_document(text),
        parse_document(text).map(|_| ()),
        "check_document and parse_document disagree on `{text}`"
    );
    assert_eq!(
        check_documents(text),
        parse_documents(text).map(|_| ()),
        "check_documents and parse_documents disagree on `{text}`"
    );
    if let Ok(doc) = parse_document(text) {
        check_round_trip(&doc, text);
    }
    if let Ok(docs) = parse_documents(text) {
        for doc in &docs {
            check_round_trip(doc, text);
        }
    }
    if let Ok(value) = parse_value(text) {
        match value {
            Bson::Document(doc) => check_round_trip(&doc, text),
            // Wrapping adds a level, which the deepest accepted value cannot take.
            other if depth(&other) < executor::internals::MAX_DEPTH => {
                check_round_trip(&doc! { "v": other }, text);
            }
            _ => {}
        }
    }
});

fn check_round_trip(doc: &Document, origin: &str) {
    if has_legacy_lookalike(doc) {
        return;
    }
    let json = to_relaxed_json(doc);
    let again = match parse_document(&json) {
        Ok(again) => again,
        Err(error) => panic!("`{json}` (printed from `{origin}`) does not parse: {error}"),
    };
    assert_eq!(
        normalized_document(&again),
        normalized_document(doc),
        "`{origin}` printed as `{json}` and parsed back differently"
    );
}

/// Extended JSON keys that turn a document into a wrapper when they come first.
const WRAPPER_KEYS: [&str; 19] = [
    "$binary",
    "$type",
    "$uuid",
    "$regex",
    "$options",
    "$code",
    "$date",
    "$maxKey",
    "$minKey",
    "$oid",
    "$regularExpression",
    "$symbol",
    "$timestamp",
    "$undefined",
    "$numberLong",
    "$numberInt",
    "$numberDouble",
    "$numberDecimal",
    "$dbPointer",
];

/// A plain document whose first key names a wrapper (`{$regex: "a" $options: "i"}` misses the
/// comma that the strict wrapper needs, `{,$maxKey: 1}` hides the key behind Java's swallowed
/// comma) prints as the wrapper itself; the Java driver has the same ambiguity, so such
/// documents are not expected to round-trip.
fn has_legacy_lookalike(doc: &Document) -> bool {
    let first = doc.keys().next().map(String::as_str);
    first.is_some_and(|key| WRAPPER_KEYS.contains(&key))
        || doc.values().any(value_has_legacy_lookalike)
}

fn value_has_legacy_lookalike(value: &Bson) -> bool {
    match value {
        Bson::Document(doc) => has_legacy_lookalike(doc),
        Bson::Array(items) => items.iter().any(value_has_legacy_lookalike),
        Bson::JavaScriptCodeWithScope(code) => has_legacy_lookalike(&code.scope),
        _ => false,
    }
}

fn depth(value: &Bson) -> usize {
    match value {
        Bson::Document(doc) => 1 + doc.values().map(depth).max().unwrap_or(0),
        Bson::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Bson::JavaScriptCodeWithScope(code) => {
            2 + code.scope.values().map(depth).max().unwrap_or(0)
        }
        _ => 0,
    }
}

/// Makes values comparable across a relaxed-JSON round trip, which cannot keep a small Int64
/// (it prints as a plain number), a DBPointer (it prints as a DBRef), NaN's identity or the
/// sign and payload of a Decimal128 NaN.
fn normalized(value: &Bson) -> Bson {
    match value {
        Bson::Int64(v) => i32::try_from(*v).map_or(Bson::Int64(*v), Bson::Int32),
        Bson::Double(v) if v.is_nan() => Bson::String("NaN".into()),
        Bson::Decimal128(d) => Bson::String(format!("decimal {d}")),
        Bson::DbPointer(_) => {
            let json = to_relaxed_json(&doc! { "p": value.clone() });
            match parse_document(&json) {
                Ok(doc) => normalized(doc.get("p").unwrap_or(&Bson::Null)),
                Err(error) => panic!("the DBPointer `{json}` does not parse: {error}"),
            }
        }
        Bson::Array(items) => Bson::Array(items.iter().map(normalized).collect()),
        Bson::Document(doc) => Bson::Document(normalized_document(doc)),
        Bson::JavaScriptCodeWithScope(code) => {
            Bson::JavaScriptCodeWithScope(JavaScriptCodeWithScope {
                code: code.code.clone(),
                scope: normalized_document(&code.scope),
            })
        }
        other => other.clone(),
    }
}

fn normalized_document(doc: &Document) -> Document {
    doc.iter()
        .map(|(k, v)| (k.clone(), normalized(v)))
        .collect()
}
