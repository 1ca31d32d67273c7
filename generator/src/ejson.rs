//! BSON values as text that our lenient reader (`executor::json`, the Java driver's
//! `JsonReader` dialect) reads back to the very same BSON: the same types, the same key order.
//!
//! Two dialects:
//! - [`Dialect::Json`] is relaxed Extended JSON v2 with one change: every value whose relaxed form
//!   would come back as another type keeps its wrapper. An Int64 is `{"$numberLong": "5"}`
//!   (relaxed JSON writes `5`, which reads back as an Int32), a non-finite double is
//!   `{"$numberDouble": "NaN"}`, and a double always carries a `.` or an exponent (`5.0`). The text
//!   is strict JSON, so it also fits into JSON changelogs as `$rawJson`.
//! - [`Dialect::Shell`] is mongosh syntax for formatted `.js` changelogs: `NumberLong("5")`,
//!   `ISODate("…")`, `ObjectId("…")`, `NumberDecimal("…")`, `RegExp("…", "…")`. mongosh sends an
//!   integral double such as `5.0` as an Int32; our reader keeps it a double.
//!
//! Text is compact (`{"a": 1, "b": [1, 2]}`, the driver's separators) when it fits in
//! [`WIDTH`] columns, and otherwise spread over lines with two-space indentation, each nested
//! value again compact when it fits. The same value always gives the same text.

use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, DateTime, Document};
use serde_json::{Map, Value};

/// The column past which a value is spread over several lines.
pub const WIDTH: usize = 100;

/// The text form of BSON values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Relaxed Extended JSON that keeps every BSON type (XML, YAML and JSON changelogs, snapshots).
    Json,
    /// mongosh literals (formatted `.js` changelogs).
    Shell,
}

/// A document as compact text on one line.
pub fn compact(doc: &Document, dialect: Dialect) -> String {
    let mut out = String::new();
    write_document(&mut out, doc, dialect);
    out
}

/// Any value as compact text on one line.
pub fn compact_value(value: &Bson, dialect: Dialect) -> String {
    let mut out = String::new();
    write_value(&mut out, value, dialect);
    out
}

/// A value as text that starts at column `indent` (continuation lines are indented from there):
/// compact when it fits in [`WIDTH`], otherwise one member per line.
pub fn pretty_value(value: &Bson, dialect: Dialect, indent: usize) -> String {
    let mut out = String::new();
    write_pretty(&mut out, value, dialect, indent, indent);
    out
}

/// A document, as [`pretty_value`].
pub fn pretty(doc: &Document, dialect: Dialect, indent: usize) -> String {
    let mut out = String::new();
    write_pretty_document(&mut out, doc, dialect, indent, indent);
    out
}

/// Writes `value` whose first character lands at column `start`; continuation lines are indented
/// by `indent`.
fn write_pretty(out: &mut String, value: &Bson, dialect: Dialect, indent: usize, start: usize) {
    match value {
        Bson::Document(doc) => write_pretty_document(out, doc, dialect, indent, start),
        Bson::Array(items) => {
            let flat = compact_value(value, dialect);
            if start + flat.len() <= WIDTH || items.is_empty() {
                out.push_str(&flat);
                return;
            }
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                push_indent(out, indent + 2);
                write_pretty(out, item, dialect, indent + 2, indent + 2);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            push_indent(out, indent);
            out.push(']');
        }
        other => write_value(out, other, dialect),
    }
}

fn write_pretty_document(
    out: &mut String,
    doc: &Document,
    dialect: Dialect,
    indent: usize,
    start: usize,
) {
    let flat = compact(doc, dialect);
    if start + flat.len() <= WIDTH || doc.is_empty() || is_wrapper_like(doc) {
        out.push_str(&flat);
        return;
    }
    out.push_str("{\n");
    let last = doc.len() - 1;
    for (i, (key, item)) in doc.iter().enumerate() {
        push_indent(out, indent + 2);
        write_string(out, key);
        out.push_str(": ");
        let start = indent + 2 + key.chars().count() + 4;
        write_pretty(out, item, dialect, indent + 2, start);
        if i < last {
            out.push(',');
        }
        out.push('\n');
    }
    push_indent(out, indent);
    out.push('}');
}

/// A document whose first key starts with `$` is kept on one line: splitting `{"$oid": …}`-like
/// wrappers only hurts reading.
fn is_wrapper_like(doc: &Document) -> bool {
    doc.len() == 1 && doc.keys().next().is_some_and(|k| k.starts_with('$')) && {
        let flat_len: usize = doc
            .values()
            .map(|v| compact_value(v, Dialect::Json).len())
            .sum();
        flat_len <= WIDTH / 2
    }
}

fn push_indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn write_document(out: &mut String, doc: &Document, dialect: Dialect) {
    out.push('{');
    for (i, (key, value)) in doc.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_string(out, key);
        out.push_str(": ");
        write_value(out, value, dialect);
    }
    out.push('}');
}

fn write_value(out: &mut String, value: &Bson, dialect: Dialect) {
    match (value, dialect) {
        (Bson::Document(doc), _) => write_document(out, doc, dialect),
        (Bson::Array(items), _) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, dialect);
            }
            out.push(']');
        }
        (Bson::String(s), _) => write_string(out, s),
        (Bson::Boolean(b), _) => out.push_str(if *b { "true" } else { "false" }),
        (Bson::Null, _) => out.push_str("null"),
        (Bson::Int32(v), _) => out.push_str(&v.to_string()),
        (Bson::Int64(v), Dialect::Json) => wrapper(out, "$numberLong", &quote(&v.to_string())),
        (Bson::Int64(v), Dialect::Shell) => call(out, "NumberLong", &[quote(&v.to_string())]),
        (Bson::Double(v), _) if v.is_finite() => out.push_str(&double(*v)),
        (Bson::Double(v), Dialect::Json) => {
            wrapper(out, "$numberDouble", &quote(non_finite(*v)));
        }
        (Bson::Double(v), Dialect::Shell) => out.push_str(non_finite(*v)),
        (Bson::DateTime(d), Dialect::Json) => match iso_date(*d) {
            Some(text) => wrapper(out, "$date", &quote(&text)),
            None => {
                let millis = format!(
                    "{{\"$numberLong\": {}}}",
                    quote(&d.timestamp_millis().to_string())
                );
                wrapper(out, "$date", &millis);
            }
        },
        (Bson::DateTime(d), Dialect::Shell) => match iso_date(*d) {
            Some(text) => call(out, "ISODate", &[quote(&text)]),
            None => {
                out.push_str("new ");
                call(out, "Date", &[d.timestamp_millis().to_string()]);
            }
        },
        (Bson::ObjectId(id), Dialect::Json) => wrapper(out, "$oid", &quote(&id.to_hex())),
        (Bson::ObjectId(id), Dialect::Shell) => call(out, "ObjectId", &[quote(&id.to_hex())]),
        (Bson::Decimal128(d), Dialect::Json) => {
            wrapper(out, "$numberDecimal", &quote(&d.to_string()));
        }
        (Bson::Decimal128(d), Dialect::Shell) => {
            call(out, "NumberDecimal", &[quote(&d.to_string())]);
        }
        (Bson::RegularExpression(r), Dialect::Json) => {
            let inner = format!(
                "{{\"pattern\": {}, \"options\": {}}}",
                quote(&r.pattern),
                quote(&r.options)
            );
            wrapper(out, "$regularExpression", &inner);
        }
        (Bson::RegularExpression(r), Dialect::Shell) => {
            call(out, "RegExp", &[quote(&r.pattern), quote(&r.options)]);
        }
        (Bson::Timestamp(t), Dialect::Json) => {
            let inner = format!("{{\"t\": {}, \"i\": {}}}", t.time, t.increment);
            wrapper(out, "$timestamp", &inner);
        }
        (Bson::Timestamp(t), Dialect::Shell) => {
            // `Timestamp(t, i)` takes Int32 arguments whose bits are kept (the reader's
            // `new BsonTimestamp(int, int)`), so a time past 2038 is written as negative.
            let time = i32::from_ne_bytes(t.time.to_ne_bytes());
            let increment = i32::from_ne_bytes(t.increment.to_ne_bytes());
            call(out, "Timestamp", &[time.to_string(), increment.to_string()]);
        }
        (Bson::Binary(b), Dialect::Json) => {
            let inner = format!(
                "{{\"base64\": {}, \"subType\": \"{:02x}\"}}",
                quote(&base64(b)),
                u8::from(b.subtype)
            );
            wrapper(out, "$binary", &inner);
        }
        (Bson::Binary(b), Dialect::Shell) => binary_shell(out, b),
        (Bson::MinKey, Dialect::Json) => wrapper(out, "$minKey", "1"),
        (Bson::MaxKey, Dialect::Json) => wrapper(out, "$maxKey", "1"),
        (Bson::MinKey, Dialect::Shell) => out.push_str("MinKey()"),
        (Bson::MaxKey, Dialect::Shell) => out.push_str("MaxKey()"),
        (Bson::Undefined, Dialect::Json) => wrapper(out, "$undefined", "true"),
        (Bson::Undefined, Dialect::Shell) => out.push_str("undefined"),
        // Code, symbols and DB pointers never appear in schemas; the driver's relaxed form
        // keeps them (our reader takes every Extended JSON v2 wrapper).
        (other, _) => out.push_str(&other.clone().into_relaxed_extjson().to_string()),
    }
}

fn binary_shell(out: &mut String, b: &Binary) {
    if b.subtype == BinarySubtype::Uuid && b.bytes.len() == 16 {
        let hex: String = b.bytes.iter().map(|x| format!("{x:02x}")).collect();
        let uuid = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        call(out, "UUID", &[quote(&uuid)]);
    } else {
        call(
            out,
            "BinData",
            &[u8::from(b.subtype).to_string(), quote(&base64(b))],
        );
    }
}

/// The base64 text of a binary's bytes (through the driver's canonical Extended JSON).
fn base64(b: &Binary) -> String {
    let ext = Bson::Binary(b.clone()).into_canonical_extjson();
    ext.pointer("/$binary/base64")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn wrapper(out: &mut String, key: &str, inner: &str) {
    out.push_str("{\"");
    out.push_str(key);
    out.push_str("\": ");
    out.push_str(inner);
    out.push('}');
}

fn call(out: &mut String, name: &str, args: &[String]) {
    out.push_str(name);
    out.push('(');
    out.push_str(&args.join(", "));
    out.push(')');
}

fn quote(s: &str) -> String {
    let mut out = String::new();
    write_string(&mut out, s);
    out
}

/// A JSON string literal. Besides what JSON requires, `<`, `>` and `&` stay literal (XML
/// escaping is the XML writer's job) and U+2028/U+2029 are escaped so JavaScript reads them.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A finite double that reads back as a double: Rust's shortest round-trip form always has a
/// `.` or an exponent (`5.0`, `1e300`, `0.1`).
fn double(v: f64) -> String {
    format!("{v:?}")
}

fn non_finite(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` for years 1970 to 9999, the range relaxed Extended JSON writes
/// as an ISO string; `None` outside it.
fn iso_date(d: DateTime) -> Option<String> {
    let millis = d.timestamp_millis();
    // 253402300800000 is 10000-01-01T00:00:00Z.
    if !(0..253_402_300_800_000).contains(&millis) {
        return None;
    }
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000);
    let (y, m, dd) = executor::date_of_epoch_day(days);
    let (h, mi, s, ms) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    Some(if ms == 0 {
        format!("{y:04}-{m:02}-{dd:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{dd:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    })
}

/// A value as a `serde_json` value in the [`Dialect::Json`] form (for `$rawJson` and snapshot
/// files).
pub fn to_json_value(value: &Bson) -> Value {
    match value {
        Bson::Document(doc) => Value::Object(to_json_map(doc)),
        Bson::Array(items) => Value::Array(items.iter().map(to_json_value).collect()),
        Bson::String(s) => Value::String(s.clone()),
        Bson::Boolean(b) => Value::Bool(*b),
        Bson::Null => Value::Null,
        Bson::Int32(v) => Value::from(*v),
        Bson::Double(v) if v.is_finite() => {
            // `from_str` keeps our text (`5.0`) under serde_json's arbitrary precision, so
            // the double stays a double when read back.
            serde_json::from_str(&double(*v)).unwrap_or(Value::Null)
        }
        other => serde_json::from_str(&compact_value(other, Dialect::Json))
            .expect("the JSON dialect writes valid JSON"),
    }
}

/// A document as a `serde_json` map, see [`to_json_value`].
pub fn to_json_map(doc: &Document) -> Map<String, Value> {
    doc.iter()
        .map(|(k, v)| (k.clone(), to_json_value(v)))
        .collect()
}

/// Reads a document written by [`to_json_map`] (any Extended JSON v2 is accepted).
pub fn from_json_value(value: &Value) -> Result<Document, String> {
    let text = value.to_string();
    executor::parse_document(&text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use mongodb::bson::oid::ObjectId;
    use mongodb::bson::{Decimal128, Regex, Timestamp, doc};

    use super::*;

    fn sample() -> Document {
        doc! {
            "int": 5,
            "long": 5_i64,
            "bigLong": i64::MAX,
            "double": 5.0,
            "frac": 0.1,
            "huge": 1e300,
            "neg0": -0.0,
            "nan": f64::NAN,
            "inf": f64::INFINITY,
            "ninf": f64::NEG_INFINITY,
            "date": DateTime::from_millis(1_577_836_800_000),
            "dateMs": DateTime::from_millis(1_577_836_800_123),
            "oldDate": DateTime::from_millis(-86_400_000),
            "farDate": DateTime::from_millis(300_000_000_000_000),
            "oid": ObjectId::parse_str("64b000000000000000000001").expect("hex"),
            "dec": "1.50".parse::<Decimal128>().expect("decimal"),
            "re": Regex { pattern: "^a/b\"c".into(), options: "im".into() },
            "ts": Timestamp { time: 4_000_000_000, increment: 7 },
            "bin": Binary { subtype: BinarySubtype::Generic, bytes: vec![1, 2, 3] },
            "uuid": Binary { subtype: BinarySubtype::Uuid, bytes: (0u8..16).collect() },
            "min": Bson::MinKey,
            "max": Bson::MaxKey,
            "undef": Bson::Undefined,
            "null": Bson::Null,
            "s": "quote \" backslash \\ nl \n tab \t ctl \u{1} ls \u{2028} <&> ${x}",
            "nested": { "a": [1, { "b": [] }, {}], "$c": true },
        }
    }

    /// NaN is not equal to itself; compare through the canonical Extended JSON text.
    fn same(a: &Document, b: &Document) -> bool {
        Bson::Document(a.clone()).into_canonical_extjson()
            == Bson::Document(b.clone()).into_canonical_extjson()
            && a.keys().eq(b.keys())
    }

    #[test]
    fn every_dialect_reads_back_to_the_same_bson() {
        let doc = sample();
        for dialect in [Dialect::Json, Dialect::Shell] {
            for text in [
                compact(&doc, dialect),
                pretty(&doc, dialect, 0),
                pretty(&doc, dialect, 60),
            ] {
                let back = executor::parse_document(&text)
                    .unwrap_or_else(|e| panic!("{dialect:?}: {e}\n{text}"));
                assert!(same(&doc, &back), "{dialect:?}\n{text}\n{back:?}");
            }
        }
    }

    #[test]
    fn json_value_form_reads_back_to_the_same_bson() {
        let doc = sample();
        let value = Value::Object(to_json_map(&doc));
        let back = from_json_value(&value).expect("reads back");
        assert!(same(&doc, &back), "{value}");
        let text = serde_json::to_string_pretty(&value).expect("serializes");
        let reparsed: Value = serde_json::from_str(&text).expect("parses");
        assert!(same(&doc, &from_json_value(&reparsed).expect("reads back")));
    }

    #[test]
    fn scalars_are_written_in_each_dialect() {
        let cases: Vec<(Bson, &str, &str)> = vec![
            (Bson::Int32(5), "5", "5"),
            (
                Bson::Int64(5),
                r#"{"$numberLong": "5"}"#,
                r#"NumberLong("5")"#,
            ),
            (Bson::Double(5.0), "5.0", "5.0"),
            (Bson::Double(1e300), "1e300", "1e300"),
            (Bson::Double(f64::NAN), r#"{"$numberDouble": "NaN"}"#, "NaN"),
            (
                Bson::DateTime(DateTime::from_millis(1_577_836_800_000)),
                r#"{"$date": "2020-01-01T00:00:00Z"}"#,
                r#"ISODate("2020-01-01T00:00:00Z")"#,
            ),
            (
                Bson::DateTime(DateTime::from_millis(-1)),
                r#"{"$date": {"$numberLong": "-1"}}"#,
                "new Date(-1)",
            ),
            (
                Bson::RegularExpression(Regex {
                    pattern: "^x".into(),
                    options: "i".into(),
                }),
                r#"{"$regularExpression": {"pattern": "^x", "options": "i"}}"#,
                r#"RegExp("^x", "i")"#,
            ),
            (
                Bson::Decimal128("1.5".parse().expect("decimal")),
                r#"{"$numberDecimal": "1.5"}"#,
                r#"NumberDecimal("1.5")"#,
            ),
        ];
        for (value, json, shell) in cases {
            assert_eq!(compact_value(&value, Dialect::Json), json);
            assert_eq!(compact_value(&value, Dialect::Shell), shell);
        }
    }

    #[test]
    fn long_documents_are_spread_over_lines_and_short_ones_stay_compact() {
        let short = doc! { "a": 1, "b": "x" };
        assert_eq!(pretty(&short, Dialect::Json, 0), r#"{"a": 1, "b": "x"}"#);
        let long = doc! {
            "$jsonSchema": {
                "bsonType": "object",
                "required": ["name", "email", "createdAt"],
                "properties": { "name": { "bsonType": "string", "description": "the customer's name" } },
            }
        };
        let text = pretty(&long, Dialect::Json, 0);
        let expected = r#"{
  "$jsonSchema": {
    "bsonType": "object",
    "required": ["name", "email", "createdAt"],
    "properties": {"name": {"bsonType": "string", "description": "the customer's name"}}
  }
}"#;
        assert_eq!(text, expected);
    }
}
