//! The writer: a document as the Java driver's `Document.toJson()` prints it, `JsonWriter` in
//! `JsonMode.RELAXED` over `StrictCharacterStreamJsonWriter` (`": "` after names, `", "` between
//! elements, the relaxed Extended JSON wrappers, strings escaped by Java's character classes).
//!
//! The writer reads nothing back; that the reader accepts what it writes is tested in `json.rs`.

use mongodb::bson::{Bson, Document};

use super::date::format_iso_millis;
use super::java_char::{
    CLASS_DIGIT, CLASS_ESCAPED, CLASS_LETTER, CLASS_LETTER_ESCAPED, CLASS_RAW, java_class,
};
use super::value::new_regex;

pub(super) fn write_document(out: &mut String, doc: &Document) {
    out.push('{');
    for (index, (key, value)) in doc.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        write_string(out, key);
        out.push_str(": ");
        write_value(out, value);
    }
    out.push('}');
}

/// Writes `{"<name>": <raw>}` for the one-key Extended JSON wrappers.
fn write_wrapper(out: &mut String, name: &str, raw: &str) {
    out.push_str("{\"");
    out.push_str(name);
    out.push_str("\": ");
    out.push_str(raw);
    out.push('}');
}

fn quoted(text: &str) -> String {
    let mut out = String::new();
    write_string(&mut out, text);
    out
}

fn write_value(out: &mut String, value: &Bson) {
    match value {
        Bson::Double(v) if v.is_finite() => out.push_str(&crate::java::double_to_string(*v)),
        // `RelaxedExtendedJsonDoubleConverter` falls back to the canonical form.
        Bson::Double(v) => write_wrapper(
            out,
            "$numberDouble",
            &quoted(&crate::java::double_to_string(*v)),
        ),
        Bson::String(s) => write_string(out, s),
        Bson::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Bson::Document(doc) => write_document(out, doc),
        Bson::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Bson::Null => out.push_str("null"),
        Bson::RegularExpression(regex) => {
            let sorted = new_regex(&regex.pattern, &regex.options);
            let body = format!(
                "{{\"pattern\": {}, \"options\": {}}}",
                quoted(&sorted.pattern),
                quoted(&sorted.options)
            );
            write_wrapper(out, "$regularExpression", &body);
        }
        Bson::JavaScriptCode(code) => write_wrapper(out, "$code", &quoted(code)),
        Bson::JavaScriptCodeWithScope(code) => {
            out.push_str("{\"$code\": ");
            write_string(out, &code.code);
            out.push_str(", \"$scope\": ");
            write_document(out, &code.scope);
            out.push('}');
        }
        Bson::Int32(v) => out.push_str(&v.to_string()),
        Bson::Int64(v) => out.push_str(&v.to_string()),
        Bson::Timestamp(ts) => {
            write_wrapper(
                out,
                "$timestamp",
                &format!("{{\"t\": {}, \"i\": {}}}", ts.time, ts.increment),
            );
        }
        Bson::Binary(binary) => {
            use base64::Engine as _;
            let body = format!(
                "{{\"base64\": \"{}\", \"subType\": \"{:02X}\"}}",
                base64::engine::general_purpose::STANDARD.encode(&binary.bytes),
                u8::from(binary.subtype)
            );
            write_wrapper(out, "$binary", &body);
        }
        Bson::ObjectId(id) => write_wrapper(out, "$oid", &format!("\"{}\"", id.to_hex())),
        Bson::DateTime(date) => {
            // `RelaxedExtendedJsonDateTimeConverter`: ISO-8601 for years 1970 to 9999.
            let millis = date.timestamp_millis();
            if (0..=253_402_300_799_999).contains(&millis) {
                write_wrapper(out, "$date", &format!("\"{}\"", format_iso_millis(millis)));
            } else {
                write_wrapper(out, "$date", &format!("{{\"$numberLong\": \"{millis}\"}}"));
            }
        }
        Bson::Symbol(symbol) => write_wrapper(out, "$symbol", &quoted(symbol)),
        Bson::Decimal128(decimal) => {
            write_wrapper(out, "$numberDecimal", &format!("\"{decimal}\""))
        }
        Bson::Undefined => write_wrapper(out, "$undefined", "true"),
        Bson::MaxKey => write_wrapper(out, "$maxKey", "1"),
        Bson::MinKey => write_wrapper(out, "$minKey", "1"),
        Bson::DbPointer(pointer) => {
            // `JsonWriter.doWriteDBPointer` outside `JsonMode.EXTENDED`: the DBRef shape.
            let json = Bson::DbPointer(pointer.clone()).into_relaxed_extjson();
            let body = json.get("$dbPointer");
            let namespace = body
                .and_then(|b| b.get("$ref"))
                .and_then(|r| r.as_str())
                .unwrap_or("");
            let id = body
                .and_then(|b| b.get("$id"))
                .and_then(|i| i.get("$oid"))
                .and_then(|o| o.as_str())
                .unwrap_or("");
            out.push_str("{\"$ref\": ");
            write_string(out, namespace);
            out.push_str(", \"$id\": ");
            write_wrapper(out, "$oid", &format!("\"{id}\""));
            out.push('}');
        }
    }
}

/// `ISO_OFFSET_DATE_TIME` in UTC: seconds always, milliseconds only when not zero and without
/// trailing zeros, `Z` for the offset.
/// `StrictCharacterStreamJsonWriter.writeStringHelper`: the short escapes, then every UTF-16
/// unit whose `Character.getType` is not a letter (bar modifier letters), a number, a space
/// separator, punctuation or a symbol as `\uXXXX` in lowercase hex (so emoji become surrogate
/// pairs).
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => match java_class(c) {
                Some(CLASS_RAW | CLASS_LETTER | CLASS_DIGIT) => out.push(c),
                None | Some(CLASS_ESCAPED | CLASS_LETTER_ESCAPED | _) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            },
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use mongodb::bson::oid::ObjectId;
    use mongodb::bson::spec::BinarySubtype;
    use mongodb::bson::{Binary, Bson, DateTime, Document, Regex, Timestamp, doc};

    use crate::json::to_relaxed_json;
    use crate::json::value::db_pointer;

    fn oid(hex: &str) -> ObjectId {
        ObjectId::parse_str(hex).expect("valid test ObjectId")
    }

    #[test]
    fn relaxed_json_matches_the_java_writer_for_every_type() {
        let cases = [
            (
                doc! { "a": 5_i64, "b": i64::MAX, "c": -1 },
                r#"{"a": 5, "b": 9223372036854775807, "c": -1}"#,
            ),
            (
                doc! { "d": DateTime::from_millis(-1) },
                r#"{"d": {"$date": {"$numberLong": "-1"}}}"#,
            ),
            (
                doc! { "d": DateTime::from_millis(253_402_300_799_999) },
                r#"{"d": {"$date": "9999-12-31T23:59:59.999Z"}}"#,
            ),
            (
                doc! { "d": DateTime::from_millis(1_010) },
                r#"{"d": {"$date": "1970-01-01T00:00:01.01Z"}}"#,
            ),
            (
                doc! { "b": Binary { subtype: BinarySubtype::UserDefined(0xab), bytes: vec![0xff] } },
                r#"{"b": {"$binary": {"base64": "/w==", "subType": "AB"}}}"#,
            ),
            (
                doc! { "t": Timestamp { time: u32::MAX, increment: 1 } },
                r#"{"t": {"$timestamp": {"t": 4294967295, "i": 1}}}"#,
            ),
            (
                doc! { "r": Regex { pattern: "a\"b".into(), options: "xi".into() } },
                r#"{"r": {"$regularExpression": {"pattern": "a\"b", "options": "ix"}}}"#,
            ),
            (
                doc! { "n": [[], {}, Bson::Null, Bson::Undefined, Bson::MinKey, Bson::MaxKey] },
                r#"{"n": [[], {}, null, {"$undefined": true}, {"$minKey": 1}, {"$maxKey": 1}]}"#,
            ),
            (
                doc! { "p": db_pointer("db.c", oid("5f0000000000000000000001")) },
                r#"{"p": {"$ref": "db.c", "$id": {"$oid": "5f0000000000000000000001"}}}"#,
            ),
            // NBSP (a space separator) is written as is, the soft hyphen (format) and a modifier
            // letter are escaped, and so is each half of a surrogate pair.
            (
                doc! { "s": "\u{1}\u{7f}\u{a0}\u{ad}\u{2b0}\u{300}\u{2028}/😀é一" },
                "{\"s\": \"\\u0001\\u007f\u{a0}\\u00ad\\u02b0\\u0300\\u2028/\\ud83d\\ude00é一\"}",
            ),
            (doc! { "k\"ey\n": 1 }, r#"{"k\"ey\n": 1}"#),
            (Document::new(), "{}"),
        ];
        for (doc, expected) in cases {
            assert_eq!(to_relaxed_json(&doc), expected);
        }
    }
}
