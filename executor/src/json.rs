//! The lenient JSON dialect of the MongoDB Java driver's `JsonReader` (shell mode), which
//! liquibase-mongodb uses for every JSON-ish property (`options`, `keys`, `document`,
//! `documents`, `command`, `filter`), and the driver's relaxed `Document.toJson()` output.
//!
//! The grammar mirrors `org.bson.json.JsonScanner` and `JsonReader` of bson 5.5.1 token by token
//! (spec §3, trap 4): strict JSON plus unquoted keys, single-quoted strings, optional and trailing
//! commas, `/regex/flags`, the shell constructors with or without `new` and every Extended JSON v2
//! wrapper, with the same Int32/Int64/Double number inference. Each Java quirk we keep names the
//! Java method it follows; among them, bson 5 knows only `UUID(…)` (not `JUUID`, `CSUUID`,
//! `PYUUID`), `new Timestamp(…)` is an error, `Date(…)` without `new` is the current time as a
//! string, and `HexData` maps an unknown subtype to 0. Where Java silently corrupts or drops data
//! we reject the input instead; these and the other known deviations are:
//!
//! - Non-whitespace text after the first complete value is an error; `JsonReader` stops reading
//!   and ignores it (`{a: 1} x`, and `[{a: 1}], b: 2` for `insertMany`), which loses data.
//! - Numbers that Java truncates are errors: a `$timestamp` `t`/`i` outside `-2^31..2^32`, a binary
//!   subtype outside `-128..=255`, a `new Date(y, m, …)` field outside the Int32 range.
//! - An unpaired UTF-16 surrogate escape (`"\ud800"`) is an error (Java stores invalid UTF-8), and
//!   `\u` needs four ASCII hex digits (Java's `Integer.parseInt` also takes a sign).
//! - NUL characters in field names and regular expressions are rejected when parsed; Java fails
//!   later, when the document is encoded.
//! - `{$dbPointer: {"$id": …, "$ref": …}}` consumes its closing brace; Java's
//!   `visitDbPointerExtendedJson` forgets it in that key order and ends the enclosing document.
//! - Dates use the proleptic Gregorian calendar; `java.util.GregorianCalendar` (used by
//!   `new Date(y, m, d…)` and `new Date("EEE MMM dd yyyy HH:mm:ss z")`) switches to the Julian
//!   calendar before 1582-10-15. That string form accepts the zones `UTC`, `GMT`, `GMT±h:mm`,
//!   `±hhmm` and the US and central-European abbreviations; Java knows every zone name of the JVM.
//!   `Date()` without `new` gives the current time as a string, formatted in UTC rather than in
//!   the JVM's default zone.
//! - Unicode (non-ASCII) decimal digits are accepted in integer literals, like Java, but not
//!   inside `NumberDecimal`/`$numberLong`/… strings; `$numberDouble` does not take hexadecimal
//!   floating-point strings.
//! - A number at the very end of the input may end in an exponent (`1e5`); Java's scanner wants a
//!   separator after exponent digits, which only matters to [`parse_value`].
//! - `to_relaxed_json` writes doubles as `Double.toString` does since JDK 19 (the shortest
//!   representation); older JDKs print a few rare values with extra digits.
//!
//! Nesting deeper than [`MAX_DEPTH`] levels is an error, so hostile input cannot exhaust the stack.
//!
//! # Layout
//!
//! This file is the door: the public functions, [`JsonError`], and the tests that read the whole
//! dialect through them (the Java golden values, round trips, the byte soup). One concept per
//! file in `json/`, each listed after the modules it uses, so the imports run one way only:
//!
//! - `java_char`: how `Character` and `String.trim` classify a character (the generated table);
//!   `message`: how errors quote the input; `value`: regexes, binaries and DBPointers built
//!   from text; `number` (uses `java_char`): `Double.valueOf`, `Decimal128.parse`, `BigDecimal`;
//!   `date`: the date grammars and calendar arithmetic. None of these knows the reader.
//! - `scanner` (`java_char`, `message`): `JsonScanner`'s tokens and the `Parser` state.
//! - `verify` (`scanner`, `message`, `value`): the strict token and value checks the rest share.
//! - `constructor` and `extended` (`scanner`, `verify`, `message`, `value`, `number`, `date`;
//!   neither uses the other): the shell constructors and the Extended JSON wrappers.
//! - `grammar` (`scanner`, `verify`, `constructor`, `extended`): values, documents, arrays, the
//!   depth limit; the only recursion.
//! - `writer` (`java_char`, `value`, `date`): the relaxed `Document.toJson()` output.
//!
//! The parts share one `Parser` type, each adding its methods in its own file (as `JsonReader`
//! is one class); the lists above count those calls too. Outside its tests a part uses this
//! file only for [`JsonError`] and [`MAX_DEPTH`].

mod constructor;
mod date;
mod extended;
mod grammar;
mod java_char;
mod message;
mod number;
mod scanner;
mod value;
mod verify;
mod writer;

use std::fmt;

use mongodb::bson::{Bson, Document};

use message::type_phrase;
use scanner::{Kind, Parser};
use writer::write_document;

/// The deepest nesting of documents and arrays that the parser accepts.
pub const MAX_DEPTH: usize = 200;

/// A syntax or value error in lenient JSON text, with its 1-based position (columns count
/// characters, not bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// The 1-based line of the offending token.
    pub line: usize,
    /// The 1-based column (in characters) of the offending token.
    pub column: usize,
    /// What was expected and what was found, lowercase, literals in backticks.
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for JsonError {}

/// Parses a document property (`options`, `keys`, `document`, `command`, `filter`).
///
/// As `BsonUtils.orEmptyDocument`: the text is trimmed (Java `String.trim`, every character up to
/// U+0020), blank text is the empty document, and anything else must be a single document.
pub fn parse_document(text: &str) -> Result<Document, JsonError> {
    document(Parser::new(text))
}

/// Whether [`parse_document`] accepts `text`, found with the same parser but without building
/// the document: every syntax and value error is the same, at the same place.
///
/// A changelog's JSON is checked when it is read, so that bad JSON stops a command before it
/// writes anything, but only the changes that run need their documents: a no-op `update` over
/// 10,000 changesets spent a third of its time building documents it never used.
pub fn check_document(text: &str) -> Result<(), JsonError> {
    document(Parser::checking(text)).map(drop)
}

fn document(mut parser: Parser<'_>) -> Result<Document, JsonError> {
    if parser.is_blank() {
        return Ok(Document::new());
    }
    let first = parser.next()?;
    if !matches!(first.kind, Kind::BeginObject) {
        return Err(parser.unexpected(&first, "a document starting with `{`"));
    }
    let start = first.start;
    match parser.value_from(first, false)? {
        Bson::Document(doc) => {
            parser.expect_end("document")?;
            Ok(doc)
        }
        other => Err(parser.error_at(
            start,
            format!("expected a document but found {}", type_phrase(&other)),
        )),
    }
}

/// Parses `insertMany.documents`: a JSON array of documents.
///
/// As `BsonUtils.orEmptyList`, which wraps the text as `{ items: <text>}` and reads `items` with
/// `Document.getList`: blank text and `null` give an empty list (the server then rejects the
/// empty insert with "Write batch sizes must be between 1 and 100000"), the array sits in a
/// document context (so `[,{…}]` is accepted as Java accepts it), and every element must be a
/// document (Java throws `ClassCastException` or `NullPointerException` otherwise).
pub fn parse_documents(text: &str) -> Result<Vec<Document>, JsonError> {
    documents(Parser::new(text))
}

/// Whether [`parse_documents`] accepts `text`, found without building the documents (as
/// [`check_document`]).
pub fn check_documents(text: &str) -> Result<(), JsonError> {
    documents(Parser::checking(text)).map(drop)
}

fn documents(mut parser: Parser<'_>) -> Result<Vec<Document>, JsonError> {
    if parser.is_blank() {
        return Ok(Vec::new());
    }
    let first = parser.next()?;
    let start = first.start;
    let documents = match first.kind {
        Kind::BeginArray => {
            // Every element is kept, if only as an empty container, for its type to be checked.
            let items = parser.array_items(start, true, true)?;
            let mut documents = Vec::with_capacity(items.len());
            for (index, (value, at)) in items.into_iter().enumerate() {
                match value {
                    Bson::Document(doc) => documents.push(doc),
                    other => {
                        return Err(parser.error_at(
                            at,
                            format!(
                                "expected an array of documents but element {index} is {}",
                                type_phrase(&other)
                            ),
                        ));
                    }
                }
            }
            documents
        }
        _ => match parser.value_from(first, true)? {
            Bson::Null => Vec::new(),
            other => {
                return Err(parser.error_at(
                    start,
                    format!(
                        "expected an array of documents but found {}",
                        type_phrase(&other)
                    ),
                ));
            }
        },
    };
    parser.expect_end("array")?;
    Ok(documents)
}

/// Parses any single value (an update pipeline, a scalar, …) in the same dialect.
pub fn parse_value(text: &str) -> Result<Bson, JsonError> {
    let mut parser = Parser::new(text);
    let value = parser.value(false)?;
    parser.expect_end("value")?;
    Ok(value)
}

/// Renders a document as the Java driver's `Document.toJson()` does: `JsonMode.RELAXED`, `": "`
/// after names and `", "` between elements, strings escaped as `StrictCharacterStreamJsonWriter`
/// escapes them (used for `db.runCommand(<json>)` previews and `Command failed. The full response
/// is <json>` messages).
pub fn to_relaxed_json(doc: &Document) -> String {
    let mut out = String::new();
    write_document(&mut out, doc);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::oid::ObjectId;
    use mongodb::bson::spec::BinarySubtype;
    use mongodb::bson::{Binary, DateTime, Decimal128, JavaScriptCodeWithScope, Timestamp, doc};

    use super::value::{db_pointer, new_regex};

    fn bson_hex(doc: &Document) -> String {
        let mut bytes = Vec::new();
        doc.to_writer(&mut bytes)
            .expect("a parsed document encodes");
        hex::encode(bytes)
    }

    /// Parses `text`, which must be accepted, and checks that the checking parser agrees.
    fn parsed(text: &str) -> Document {
        let doc = parse_document(text).unwrap_or_else(|e| panic!("`{text}` should parse: {e}"));
        assert_eq!(check_document(text), Ok(()), "`{text}` checked");
        doc
    }

    /// The error for `text`, which must be rejected, the same from the checking parser.
    fn rejected(text: &str) -> String {
        match parse_document(text) {
            Ok(doc) => panic!("`{text}` should be rejected but gave {doc}"),
            Err(error) => {
                assert_eq!(check_document(text), Err(error.clone()), "`{text}` checked");
                error.to_string()
            }
        }
    }

    fn oid(hex: &str) -> ObjectId {
        ObjectId::parse_str(hex).expect("valid test ObjectId")
    }

    fn decimal(text: &str) -> Decimal128 {
        text.parse().expect("valid test decimal")
    }

    const JULY_2016: i64 = 1_467_331_200_000;

    /// Input, the BSON bytes of `Document.parse(input, BsonUtils.DOCUMENT_CODEC)` and its
    /// `Document.toJson()`, as printed by the Java driver (bson 5.5.1 on JDK 17).
    const JAVA_GOLDEN: &[(&str, &str, &str)] = &[
        (
            r#"{a: 1, b: -2147483648, c: 2147483648, d: -9223372036854775808, e: 007, f: -0}"#,
            "37000000106100010000001062000000008012630000000080000000001264000000000000000080106500070000001066000000000000",
            r#"{"a": 1, "b": -2147483648, "c": 2147483648, "d": -9223372036854775808, "e": 7, "f": 0}"#,
        ),
        (
            r#"{a: 1.5, b: 1e5, c: -0.0, d: 1E-2, e: Infinity, f: -Infinity, g: 5e-324}"#,
            "52000000016100000000000000f83f01620000000000006af84001630000000000000000800164007b14ae47e17a843f016500000000000000f07f016600000000000000f0ff016700010000000000000000",
            r#"{"a": 1.5, "b": 100000.0, "c": -0.0, "d": 0.01, "e": {"$numberDouble": "Infinity"}, "f": {"$numberDouble": "-Infinity"}, "g": 4.9E-324}"#,
        ),
        (
            r#"{'single': 'it\'s', "double": "say \"hi\"", unquoted_$1: "\u00e9\ud83d\ude00\/", é: 1}"#,
            "4c0000000273696e676c650005000000697427730002646f75626c65000900000073617920226869220002756e71756f7465645f24310008000000c3a9f09f98802f0010c3a9000100000000",
            r#"{"single": "it's", "double": "say \"hi\"", "unquoted_$1": "é\ud83d\ude00/", "é": 1}"#,
        ),
        (
            r#"{a: 1 b: 2, c: [1 2,], d: {x: 1,},}"#,
            "380000001061000100000010620002000000046300130000001030000100000010310002000000000364000c000000107800010000000000",
            r#"{"a": 1, "b": 2, "c": [1, 2], "d": {"x": 1}}"#,
        ),
        (
            r#"{a: [,1], b: {,c: 1}}"#,
            "230000000461000c00000010300001000000000362000c000000106300010000000000",
            r#"{"a": [1], "b": {"c": 1}}"#,
        ),
        (
            r#"{a: true, b: false, c: null, d: undefined, e: [], f: {}}"#,
            "2300000008610001086200000a63000664000465000500000000036600050000000000",
            r#"{"a": true, "b": false, "c": null, "d": {"$undefined": true}, "e": [], "f": {}}"#,
        ),
        (
            r#"{a: /ab\/c/smi, b: RegExp("x", "mi"), c: {$regex: "y", $options: "x"}, d: {$options: "s", $regex: "z"}, e: {$regularExpression: {pattern: "p", options: "im"}}}"#,
            "300000000b610061625c2f6300696d73000b62007800696d000b6300790078000b64007a0073000b65007000696d0000",
            r#"{"a": {"$regularExpression": {"pattern": "ab\\/c", "options": "ims"}}, "b": {"$regularExpression": {"pattern": "x", "options": "im"}}, "c": {"$regularExpression": {"pattern": "y", "options": "x"}}, "d": {"$regularExpression": {"pattern": "z", "options": "s"}}, "e": {"$regularExpression": {"pattern": "p", "options": "im"}}}"#,
        ),
        (
            r#"{a: {$regex: "^a"}, b: {$type: "string"}, c: {$type: 2}, d: {$foo: 1}}"#,
            "5b000000036100140000000224726567657800030000005e610000036200170000000224747970650007000000737472696e670000036300100000001024747970650002000000000364000f0000001024666f6f00010000000000",
            r#"{"a": {"$regex": "^a"}, "b": {"$type": "string"}, "c": {"$type": 2}, "d": {"$foo": 1}}"#,
        ),
        (
            r#"{a: ObjectId("5f0000000000000000000001"), b: new ObjectId('5F0000000000000000000002'), c: {$oid: "5f0000000000000000000003"}}"#,
            "320000000761005f00000000000000000000010762005f00000000000000000000020763005f000000000000000000000300",
            r#"{"a": {"$oid": "5f0000000000000000000001"}, "b": {"$oid": "5f0000000000000000000002"}, "c": {"$oid": "5f0000000000000000000003"}}"#,
        ),
        (
            r#"{a: ISODate("2020-01-01"), b: ISODate("2020-02-29T10:00:00.123+02:00"), c: new ISODate("2020-01-01t10:00z"), d: ISODate("-0001-01-01T00:00:00Z")}"#,
            "3100000009610000e8665e6f0100000962007b90f58f7001000009630000398c606f01000009640000744a396ec7ffff00",
            r#"{"a": {"$date": "2020-01-01T00:00:00Z"}, "b": {"$date": "2020-02-29T08:00:00.123Z"}, "c": {"$date": "2020-01-01T10:00:00Z"}, "d": {"$date": {"$numberLong": "-62198755200000"}}}"#,
        ),
        (
            r#"{a: {$date: 0}, b: {$date: "2020-01-01T00:00:00Z"}, c: {$date: {$numberLong: "-5"}}, d: {$date: 253402300800000}}"#,
            "31000000096100000000000000000009620000e8665e6f010000096300fbffffffffffffff09640000dc1fd277e6000000",
            r#"{"a": {"$date": "1970-01-01T00:00:00Z"}, "b": {"$date": "2020-01-01T00:00:00Z"}, "c": {"$date": {"$numberLong": "-5"}}, "d": {"$date": {"$numberLong": "253402300800000"}}}"#,
        ),
        (
            r#"{a: new Date(1577836800000), b: new Date(2020, 13, 35, 25, 61, 61, 1001), c: new Date("Wed Feb 30 2020 24:00:00 GMT+01:00")}"#,
            "2600000009610000e8665e6f01000009620091e1910f7801000009630080e553987001000000",
            r#"{"a": {"$date": "2020-01-01T00:00:00Z"}, "b": {"$date": "2021-03-08T02:02:02.001Z"}, "c": {"$date": "2020-03-01T23:00:00Z"}}"#,
        ),
        (
            r#"{a: NumberInt(5), b: NumberInt("-7"), c: NumberLong(5), d: NumberLong("+123456789012"), e: new NumberLong(2147483648)}"#,
            "3400000010610005000000106200f9ffffff1263000500000000000000126400141a99be1c000000126500000000800000000000",
            r#"{"a": 5, "b": -7, "c": 5, "d": 123456789012, "e": 2147483648}"#,
        ),
        (
            r#"{a: NumberDecimal("1.50"), b: NumberDecimal(2.5), c: NumberDecimal(7), d: NumberDecimal("-0"), e: NumberDecimal("1E+6144"), f: NumberDecimal("-inf"), g: NumberDecimal(1.099511627776E34)}"#,
            "8a00000013610096000000000000000000000000003c3013620019000000000000000000000000003e3013630007000000000000000000000000004030136400000000000000000000000000000040b0136500000000000a5bc138938d44c64d31fe5f136600000000000000000000000000000000f813670000000000000000a0dec5adc93536423000",
            r#"{"a": {"$numberDecimal": "1.50"}, "b": {"$numberDecimal": "2.5"}, "c": {"$numberDecimal": "7"}, "d": {"$numberDecimal": "-0"}, "e": {"$numberDecimal": "1.000000000000000000000000000000000E+6144"}, "f": {"$numberDecimal": "-Infinity"}, "g": {"$numberDecimal": "1.099511627776000000000000000000000E+34"}}"#,
        ),
        (
            r#"{a: {$numberInt: "3"}, b: {$numberLong: "4"}, c: {$numberDouble: "1.5d"}, d: {$numberDouble: "NaN"}, e: {$numberDecimal: "1E+3"}}"#,
            "40000000106100030000001262000400000000000000016300000000000000f83f016400000000000000f87f1365000100000000000000000000000000463000",
            r#"{"a": 3, "b": 4, "c": 1.5, "d": {"$numberDouble": "NaN"}, "e": {"$numberDecimal": "1E+3"}}"#,
        ),
        (
            r#"{a: Timestamp(1, 2), b: Timestamp(-1, 2), c: {$timestamp: {t: 4294967295, i: 7}}, d: {$timestamp: {i: 1, t: 2}}}"#,
            "31000000116100020000000100000011620002000000ffffffff11630007000000ffffffff116400010000000200000000",
            r#"{"a": {"$timestamp": {"t": 1, "i": 2}}, "b": {"$timestamp": {"t": 4294967295, "i": 2}}, "c": {"$timestamp": {"t": 4294967295, "i": 7}}, "d": {"$timestamp": {"t": 2, "i": 1}}}"#,
        ),
        (
            r#"{a: BinData(0, "AQID"), b: BinData(128, "AQ"), c: HexData(5, "abc"), d: HexData(128, "00"), e: HexData(-128, "00"), f: UUID("00112233-4455-6677-8899-aabbccddeeff")}"#,
            "4d000000056100030000000001020305620001000000800105630002000000050abc056400010000000000056500010000008000056600100000000400112233445566778899aabbccddeeff00",
            r#"{"a": {"$binary": {"base64": "AQID", "subType": "00"}}, "b": {"$binary": {"base64": "AQ==", "subType": "80"}}, "c": {"$binary": {"base64": "Crw=", "subType": "05"}}, "d": {"$binary": {"base64": "AA==", "subType": "00"}}, "e": {"$binary": {"base64": "AA==", "subType": "80"}}, "f": {"$binary": {"base64": "ABEiM0RVZneImaq7zN3u/w==", "subType": "04"}}}"#,
        ),
        (
            r#"{a: {$binary: {base64: "AQID", subType: "80"}}, b: {$binary: {subType: "5", base64: ""}}, c: {$binary: "AQID", $type: "0"}, d: {$type: "81", $binary: "AQ=="}, e: {$uuid: "00112233-4455-6677-8899-AABBCCDDEEFF"}}"#,
            "44000000056100030000008001020305620000000000050563000300000000010203056400010000008101056500100000000400112233445566778899aabbccddeeff00",
            r#"{"a": {"$binary": {"base64": "AQID", "subType": "80"}}, "b": {"$binary": {"base64": "", "subType": "05"}}, "c": {"$binary": {"base64": "AQID", "subType": "00"}}, "d": {"$binary": {"base64": "AQ==", "subType": "81"}}, "e": {"$binary": {"base64": "ABEiM0RVZneImaq7zN3u/w==", "subType": "04"}}}"#,
        ),
        (
            r#"{a: MinKey, b: MaxKey(), c: new MinKey, d: {$minKey: 1}, e: {$maxKey: 1}}"#,
            "14000000ff61007f6200ff6300ff64007f650000",
            r#"{"a": {"$minKey": 1}, "b": {"$maxKey": 1}, "c": {"$minKey": 1}, "d": {"$minKey": 1}, "e": {"$maxKey": 1}}"#,
        ),
        (
            r#"{a: {$code: "f()"}, b: {$code: "g()", $scope: {x: 1}}, c: {$symbol: "s"}, d: {$undefined: true}}"#,
            "370000000d610004000000662829000f62001800000004000000672829000c00000010780001000000000e630002000000730006640000",
            r#"{"a": {"$code": "f()"}, "b": {"$code": "g()", "$scope": {"x": 1}}, "c": {"$symbol": "s"}, "d": {"$undefined": true}}"#,
        ),
        (
            r#"{a: DBPointer("db.c", "5f0000000000000000000001"), b: {"$dbPointer": {"$ref": "n", "$id": {"$oid": "5f0000000000000000000002"}}}}"#,
            "320000000c61000500000064622e63005f00000000000000000000010c6200020000006e005f000000000000000000000200",
            r#"{"a": {"$ref": "db.c", "$id": {"$oid": "5f0000000000000000000001"}}, "b": {"$ref": "n", "$id": {"$oid": "5f0000000000000000000002"}}}"#,
        ),
        (
            r#"{a: 1, b: 2, a: 3}"#,
            "13000000106100030000001062000200000000",
            r#"{"a": 3, "b": 2}"#,
        ),
        (
            r#"{createIndexes: "towns", indexes: [{key: {name: 1}, name: "ui_name", unique: true, expireAfterSeconds: NumberLong("30")}]}"#,
            "7f00000002637265617465496e64657865730006000000746f776e730004696e6465786573005800000003300050000000036b6579000f000000106e616d65000100000000026e616d65000800000075695f6e616d650008756e6971756500011265787069726541667465725365636f6e6473001e00000000000000000000",
            r#"{"createIndexes": "towns", "indexes": [{"key": {"name": 1}, "name": "ui_name", "unique": true, "expireAfterSeconds": 30}]}"#,
        ),
    ];

    #[test]
    fn documents_match_the_java_driver_byte_for_byte() {
        for &(text, bson, json) in JAVA_GOLDEN {
            let doc = parsed(text);
            assert_eq!(bson_hex(&doc), bson, "BSON of `{text}`");
            assert_eq!(to_relaxed_json(&doc), json, "toJson of `{text}`");
        }
    }

    #[test]
    fn each_accepted_form_gives_its_value_and_type() {
        let uuid = hex::decode("00112233445566778899aabbccddeeff").expect("hex");
        let cases: Vec<(&str, Bson)> = vec![
            ("1", Bson::Int32(1)),
            ("-2147483648", Bson::Int32(i32::MIN)),
            ("2147483648", Bson::Int64(2_147_483_648)),
            ("-9223372036854775808", Bson::Int64(i64::MIN)),
            ("007", Bson::Int32(7)),
            ("1.0", Bson::Double(1.0)),
            ("1e3", Bson::Double(1000.0)),
            ("2.5E-1", Bson::Double(0.25)),
            ("Infinity", Bson::Double(f64::INFINITY)),
            ("-Infinity", Bson::Double(f64::NEG_INFINITY)),
            ("'single'", Bson::String("single".into())),
            (
                r#""esc\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#,
                Bson::String("esc\"\\/\u{8}\u{c}\n\r\té😀".into()),
            ),
            (
                "'it\\'s \"quoted\"'",
                Bson::String("it's \"quoted\"".into()),
            ),
            ("\"line\nbreak\"", Bson::String("line\nbreak".into())),
            ("true", Bson::Boolean(true)),
            ("false", Bson::Boolean(false)),
            ("null", Bson::Null),
            ("undefined", Bson::Undefined),
            ("{$undefined: true}", Bson::Undefined),
            ("{$undefined: 'true'}", Bson::Undefined),
            ("MinKey", Bson::MinKey),
            ("MinKey()", Bson::MinKey),
            ("new MaxKey()", Bson::MaxKey),
            ("{$minKey: 1}", Bson::MinKey),
            ("{$maxKey: 1}", Bson::MaxKey),
            (
                "/a\\/b/smi",
                Bson::RegularExpression(new_regex("a\\/b", "ims")),
            ),
            ("RegExp('a')", Bson::RegularExpression(new_regex("a", ""))),
            (
                "new RegExp('a', 'xi')",
                Bson::RegularExpression(new_regex("a", "ix")),
            ),
            (
                "{$regex: 'a', $options: 'mi'}",
                Bson::RegularExpression(new_regex("a", "im")),
            ),
            (
                "{$options: 'i', $regex: 'a'}",
                Bson::RegularExpression(new_regex("a", "i")),
            ),
            (
                "{$regularExpression: {pattern: 'a', options: 'si'}}",
                Bson::RegularExpression(new_regex("a", "is")),
            ),
            ("{$regex: 'a'}", Bson::Document(doc! { "$regex": "a" })),
            (
                "{$type: 'string'}",
                Bson::Document(doc! { "$type": "string" }),
            ),
            ("{$type: 300}", Bson::Document(doc! { "$type": 300 })),
            (
                "ObjectId('5f0000000000000000000001')",
                Bson::ObjectId(oid("5f0000000000000000000001")),
            ),
            (
                "new ObjectId(\"5F0000000000000000000001\")",
                Bson::ObjectId(oid("5f0000000000000000000001")),
            ),
            (
                "{$oid: '5f0000000000000000000001'}",
                Bson::ObjectId(oid("5f0000000000000000000001")),
            ),
            (
                "ISODate('2016-07-01')",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            (
                "ISODate('2016-07-01T02:00:00+02:00')",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            (
                "new ISODate('2016-06-30T22:00-02')",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            (
                "ISODate('2016-07-01T00:00:00.001Z')",
                Bson::DateTime(DateTime::from_millis(JULY_2016 + 1)),
            ),
            (
                "new Date(1467331200000)",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            (
                "new Date(2016, 6, 1)",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            (
                "new Date(2016, 5, 30, 24, 0, 0, 0)",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            (
                "new Date('Fri Jul 01 2016 00:00:00 UTC')",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            (
                "new Date('Thu Jun 30 2016 17:00:00 PDT')",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            (
                "{$date: '2016-07-01T00:00:00Z'}",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            (
                "{$date: 1467331200000}",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            (
                "{$date: {$numberLong: '1467331200000'}}",
                Bson::DateTime(DateTime::from_millis(JULY_2016)),
            ),
            ("NumberInt(5)", Bson::Int32(5)),
            ("NumberInt('-5')", Bson::Int32(-5)),
            ("{$numberInt: '5'}", Bson::Int32(5)),
            ("NumberLong(5)", Bson::Int64(5)),
            ("NumberLong('5')", Bson::Int64(5)),
            ("new NumberLong(9223372036854775807)", Bson::Int64(i64::MAX)),
            ("{$numberLong: '5'}", Bson::Int64(5)),
            ("{$numberDouble: '1.5'}", Bson::Double(1.5)),
            (
                "{$numberDouble: '-Infinity'}",
                Bson::Double(f64::NEG_INFINITY),
            ),
            ("NumberDecimal('1.50')", Bson::Decimal128(decimal("1.50"))),
            ("NumberDecimal(5)", Bson::Decimal128(decimal("5"))),
            ("NumberDecimal(0.5)", Bson::Decimal128(decimal("0.5"))),
            (
                "{$numberDecimal: '-1E+10'}",
                Bson::Decimal128(decimal("-1E+10")),
            ),
            (
                "Timestamp(1, 2)",
                Bson::Timestamp(Timestamp {
                    time: 1,
                    increment: 2,
                }),
            ),
            (
                "{$timestamp: {t: 4294967295, i: 2}}",
                Bson::Timestamp(Timestamp {
                    time: u32::MAX,
                    increment: 2,
                }),
            ),
            (
                "{$timestamp: {i: 2, t: 1}}",
                Bson::Timestamp(Timestamp {
                    time: 1,
                    increment: 2,
                }),
            ),
            (
                "BinData(0, 'AQID')",
                Bson::Binary(Binary {
                    subtype: BinarySubtype::Generic,
                    bytes: vec![1, 2, 3],
                }),
            ),
            (
                "new BinData(128, 'AQ')",
                Bson::Binary(Binary {
                    subtype: BinarySubtype::UserDefined(0x80),
                    bytes: vec![1],
                }),
            ),
            (
                "HexData(5, '010203')",
                Bson::Binary(Binary {
                    subtype: BinarySubtype::Md5,
                    bytes: vec![1, 2, 3],
                }),
            ),
            (
                "HexData(0, 'abc')",
                Bson::Binary(Binary {
                    subtype: BinarySubtype::Generic,
                    bytes: vec![0x0a, 0xbc],
                }),
            ),
            (
                "UUID('00112233-4455-6677-8899-aabbccddeeff')",
                Bson::Binary(Binary {
                    subtype: BinarySubtype::Uuid,
                    bytes: uuid.clone(),
                }),
            ),
            (
                "{$uuid: '00112233-4455-6677-8899-aabbccddeeff'}",
                Bson::Binary(Binary {
                    subtype: BinarySubtype::Uuid,
                    bytes: uuid,
                }),
            ),
            (
                "{$binary: {base64: 'AQID', subType: '80'}}",
                Bson::Binary(Binary {
                    subtype: BinarySubtype::UserDefined(0x80),
                    bytes: vec![1, 2, 3],
                }),
            ),
            (
                "{$binary: {subType: '03', base64: ''}}",
                Bson::Binary(Binary {
                    subtype: BinarySubtype::UuidOld,
                    bytes: vec![],
                }),
            ),
            (
                "{$binary: 'AQID', $type: '0'}",
                Bson::Binary(Binary {
                    subtype: BinarySubtype::Generic,
                    bytes: vec![1, 2, 3],
                }),
            ),
            (
                "{$type: 5, $binary: 'AQ=='}",
                Bson::Binary(Binary {
                    subtype: BinarySubtype::Md5,
                    bytes: vec![1],
                }),
            ),
            ("{$code: 'f()'}", Bson::JavaScriptCode("f()".into())),
            (
                "{$code: 'f()', $scope: {x: 1}}",
                Bson::JavaScriptCodeWithScope(JavaScriptCodeWithScope {
                    code: "f()".into(),
                    scope: doc! { "x": 1 },
                }),
            ),
            ("{$symbol: 's'}", Bson::Symbol("s".into())),
            (
                "DBPointer('db.c', '5f0000000000000000000001')",
                db_pointer("db.c", oid("5f0000000000000000000001")),
            ),
            (
                r#"{"$dbPointer": {"$id": {"$oid": "5f0000000000000000000001"}, "$ref": "db.c"}}"#,
                db_pointer("db.c", oid("5f0000000000000000000001")),
            ),
            (
                "[1, 'a', [], {}]",
                Bson::Array(vec![
                    Bson::Int32(1),
                    Bson::String("a".into()),
                    Bson::Array(vec![]),
                    Bson::Document(doc! {}),
                ]),
            ),
            ("{b: 1, a: 2}", Bson::Document(doc! { "b": 1, "a": 2 })),
        ];
        for (text, expected) in cases {
            let value = parse_value(text).unwrap_or_else(|e| panic!("`{text}` should parse: {e}"));
            assert_eq!(value, expected, "value of `{text}`");
            assert_eq!(
                value.element_type(),
                expected.element_type(),
                "type of `{text}`"
            );
        }
    }

    #[test]
    fn special_doubles_keep_their_bits() {
        let nan = parse_value("NaN").expect("NaN parses");
        assert!(matches!(nan, Bson::Double(v) if v.is_nan()));
        let nan = parse_value("{$numberDouble: 'NaN'}").expect("NaN parses");
        assert!(matches!(nan, Bson::Double(v) if v.is_nan()));
        for text in ["-0.0", "{$numberDouble: '-0'}"] {
            let zero = parse_value(text).expect("negative zero parses");
            assert!(
                matches!(zero, Bson::Double(v) if v == 0.0 && v.is_sign_negative()),
                "{text}"
            );
        }
    }

    #[test]
    fn commas_are_optional_and_may_trail() {
        let expected = doc! { "a": 1, "b": [1, 2], "c": { "x": 1 } };
        for text in [
            "{a: 1, b: [1, 2], c: {x: 1}}",
            "{a: 1 b: [1 2] c: {x: 1}}",
            "{a: 1, b: [1, 2,], c: {x: 1,},}",
            "{\n  a: 1,\n  b: [1, 2],\n  c: {x: 1},\n}\n",
            // After a nested opening bracket Java's comma check swallows one comma.
            "{a: 1, b: [,1, 2], c: {,x: 1}}",
        ] {
            assert_eq!(parsed(text), expected, "{text}");
        }
    }

    #[test]
    fn keys_keep_their_order_and_a_repeated_key_keeps_its_first_place() {
        let doc = parsed("{create: 'x', capped: true, size: 5, create: 'y'}");
        assert_eq!(doc.keys().collect::<Vec<_>>(), ["create", "capped", "size"]);
        assert_eq!(doc.get_str("create"), Ok("y"));
    }

    #[test]
    fn blank_text_is_an_empty_document_or_list() {
        for text in ["", "  ", "\n\t\r ", "\u{1}"] {
            assert_eq!(parse_document(text), Ok(Document::new()), "{text:?}");
            assert_eq!(parse_documents(text), Ok(Vec::new()), "{text:?}");
        }
        assert!(parse_value("").is_err());
    }

    #[test]
    fn documents_lists_follow_bson_utils_or_empty_list() {
        let cases: Vec<(&str, Result<Vec<Document>, &str>)> = vec![
            (
                "[{a: 1}, {b: 2}]",
                Ok(vec![doc! { "a": 1 }, doc! { "b": 2 }]),
            ),
            (
                "[{a: 1} {b: 2},]",
                Ok(vec![doc! { "a": 1 }, doc! { "b": 2 }]),
            ),
            ("[,{a: 1}]", Ok(vec![doc! { "a": 1 }])),
            ("[]", Ok(vec![])),
            ("null", Ok(vec![])),
            (
                "{a: 1}",
                Err("line 1, column 1: expected an array of documents but found a document"),
            ),
            (
                "[{a: 1}, 2]",
                Err("line 1, column 10: expected an array of documents but element 1 is an int32"),
            ),
            (
                "[{a: 1}, null]",
                Err("line 1, column 10: expected an array of documents but element 1 is `null`"),
            ),
            (
                "[{a: 1}] , b: 2",
                Err("line 1, column 10: expected end of input after the array but found `,`"),
            ),
            (
                "[{a: 1}",
                Err("line 1, column 8: expected `,` or `]` but found end of input"),
            ),
        ];
        for (text, expected) in cases {
            let actual = parse_documents(text).map_err(|e| e.to_string());
            assert_eq!(
                check_documents(text).map_err(|e| e.to_string()),
                actual.clone().map(drop),
                "{text} checked"
            );
            assert_eq!(actual, expected.map_err(str::to_owned), "{text}");
        }
    }

    #[test]
    fn rejected_inputs_say_what_was_expected_and_found() {
        let cases = [
            (
                r#"{"a": 12]"#,
                "line 1, column 9: expected `,` or `}` but found `]`",
            ),
            (
                "[1]",
                "line 1, column 1: expected a document starting with `{` but found `[`",
            ),
            (
                "{$oid: '5f0000000000000000000001'}",
                "line 1, column 1: expected a document but found an ObjectId",
            ),
            (
                "{a: 1} x",
                "line 1, column 8: expected end of input after the document but found `x`",
            ),
            (
                "{a: foo}",
                "line 1, column 5: expected a value but found `foo`",
            ),
            (
                "{a: JUUID('00')}",
                "line 1, column 5: expected a value but found `JUUID`",
            ),
            (
                "{a: 1,,}",
                "line 1, column 7: expected a field name or `}` but found `,`",
            ),
            (
                "{,a: 1}",
                "line 1, column 2: expected a field name or `}` but found `,`",
            ),
            ("{a 1}", "line 1, column 4: expected `:` but found `1`"),
            ("{1: 2}", "line 1, column 2: invalid number `1:`"),
            (
                "{a: [1,,2]}",
                "line 1, column 8: expected a value or `]` but found `,`",
            ),
            (
                "{a: [1 }",
                "line 1, column 8: expected `,` or `]` but found `}`",
            ),
            (
                "{\n  a: 1,\n  b: ]\n}",
                "line 3, column 6: expected a value but found `]`",
            ),
            ("{a: 1.}", "line 1, column 5: invalid number `1.`"),
            ("{a: 12abc}", "line 1, column 5: invalid number `12a`"),
            (
                "{a: 9223372036854775808}",
                "line 1, column 5: integer `9223372036854775808` does not fit in 64 bits",
            ),
            (
                "{a: \"x}",
                "line 1, column 5: unterminated string: missing the closing `\"`",
            ),
            (
                "{a: \"\\x\"}",
                "line 1, column 6: invalid escape sequence `\\x` in string",
            ),
            (
                "{a: \"\\u12G4\"}",
                "line 1, column 6: invalid unicode escape `\\u12G` in string: expected four hex digits",
            ),
            (
                "{a: \"\\ud800\"}",
                "line 1, column 6: invalid unicode escape `\\ud800` in string: unpaired UTF-16 surrogate",
            ),
            (
                "{a: /x/g}",
                "line 1, column 8: invalid regular expression flag `g`: expected `i`, `m`, `s` or `x`",
            ),
            (
                "{a: /x}",
                "line 1, column 5: unterminated regular expression: missing the closing `/`",
            ),
            ("{a: #}", "line 1, column 5: unexpected character `#`"),
            ("{a.b: 1}", "line 1, column 3: unexpected character `.`"),
            (
                "{\"a\\u0000b\": 1}",
                "line 1, column 2: field names must not contain a NUL character",
            ),
            (
                "{a: ObjectId('bad')}",
                "line 1, column 14: invalid ObjectId `bad` in `ObjectId(…)`: expected 24 hex digits",
            ),
            (
                "{a: ObjectId()}",
                "line 1, column 14: expected a string in `ObjectId(…)` but found `)`",
            ),
            (
                "{a: ObjectId 'x'}",
                "line 1, column 14: expected `(` after `ObjectId` but found `'x'`",
            ),
            (
                "{a: ISODate('2020-02-30')}",
                "line 1, column 13: invalid date `2020-02-30` in `ISODate(…)`: expected `YYYY-MM-DD` or an ISO-8601 date-time with an offset",
            ),
            (
                "{a: ISODate('2020-01-01T10:00:00')}",
                "line 1, column 13: invalid date `2020-01-01T10:00:00` in `ISODate(…)`: expected `YYYY-MM-DD` or an ISO-8601 date-time with an offset",
            ),
            (
                "{a: new Timestamp(1, 2)}",
                "line 1, column 9: `Timestamp(…)` cannot be used with `new`: write `Timestamp(t, i)`",
            ),
            (
                "{a: new foo()}",
                "line 1, column 9: expected a constructor name after `new` but found `foo`",
            ),
            (
                "{a: Timestamp(1, 4294967295)}",
                "line 1, column 18: expected an int32 in `Timestamp(…)` but found `4294967295`",
            ),
            (
                "{a: new Date(1, 2)}",
                "line 1, column 14: expected 1 or 3 to 7 integers in `new Date(…)` but found 2",
            ),
            (
                "{a: new Date('2020-01-01')}",
                "line 1, column 14: invalid date `2020-01-01` in `new Date(…)`: expected the form `EEE MMM dd yyyy HH:mm:ss z`",
            ),
            (
                "{a: Date(}",
                "line 1, column 11: expected `)` in `Date(…)` but found end of input",
            ),
            (
                "{a: NumberInt(2147483648)}",
                "line 1, column 15: expected an int32 or a string in `NumberInt(…)` but found `2147483648`",
            ),
            (
                "{a: NumberLong('5x')}",
                "line 1, column 16: invalid int64 `5x` in `NumberLong(…)`",
            ),
            (
                "{a: NumberDecimal(0.1)}",
                "line 1, column 19: invalid decimal128 `0.1` in `NumberDecimal(…)`: it needs more than 34 significant digits",
            ),
            (
                "{a: NumberDecimal('12345678901234567890123456789012345')}",
                "line 1, column 19: invalid decimal128 `12345678901234567890123456789012345` in `NumberDecimal(…)`: it needs more than 34 significant digits",
            ),
            (
                "{a: BinData(0, 'A')}",
                "line 1, column 16: invalid base64 `A` in `BinData(…)`",
            ),
            (
                "{a: BinData(256, '')}",
                "line 1, column 13: binary subtype `256` does not fit in a byte",
            ),
            (
                "{a: UUID('0')}",
                "line 1, column 10: invalid UUID `0` in `UUID(…)`",
            ),
            (
                "{a: {$oid: '5f0000000000000000000001',}}",
                "line 1, column 38: expected `}` in `$oid` but found `,`",
            ),
            (
                "{a: {$numberLong: 5}}",
                "line 1, column 19: expected a string in `$numberLong` but found `5`",
            ),
            (
                "{a: {$numberInt: '2147483648'}}",
                "line 1, column 18: invalid int32 `2147483648` in `$numberInt`",
            ),
            (
                "{a: {$numberDouble: 'inf'}}",
                "line 1, column 21: invalid double `inf` in `$numberDouble`",
            ),
            (
                "{a: {$maxKey: 2}}",
                "line 1, column 15: expected `1` in `$maxKey` but found `2`",
            ),
            (
                "{a: {$undefined: false}}",
                "line 1, column 18: expected `true` in `$undefined` but found `false`",
            ),
            (
                "{a: {$date: 1.5}}",
                "line 1, column 13: expected an integer, a string or `{` in `$date` but found `1.5`",
            ),
            (
                "{a: {$date: {$numberInt: '5'}}}",
                "line 1, column 14: expected `$numberLong` in `$date` but found `$numberInt`",
            ),
            (
                "{a: {$timestamp: {t: 4294967296, i: 1}}}",
                "line 1, column 22: `$timestamp` field `t` value `4294967296` does not fit in 32 bits",
            ),
            (
                "{a: {$timestamp: {x: 1, i: 1}}}",
                "line 1, column 19: expected `t` or `i` in `$timestamp` but found `x`",
            ),
            (
                "{a: {$binary: {base64: 'AQ==', subType: '100'}}}",
                "line 1, column 41: binary subtype `256` does not fit in a byte",
            ),
            (
                "{a: {$binary: {base64: 'AQ=D', subType: '00'}}}",
                "line 1, column 24: invalid base64 `AQ=D` in `$binary`",
            ),
            (
                "{a: {$binary: {foo: 1}}}",
                "line 1, column 16: expected `base64` or `subType` in `$binary` but found `foo`",
            ),
            (
                "{a: {$uuid: '0011'}}",
                "line 1, column 13: invalid UUID `0011` in `$uuid`: expected the form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`",
            ),
            (
                "{a: {$code: 'x', b: 1}}",
                "line 1, column 18: expected `$scope` in `$code` but found `b`",
            ),
            (
                "{a: {$code: 'x', $scope: 1}}",
                "line 1, column 26: expected a document in `$scope` but found an int32",
            ),
            (
                "{a: {$dbPointer: {$ref: 'c', $id: {$oid: '5f0000000000000000000001'}}}}",
                "line 1, column 19: expected `\"$ref\"` or `\"$id\"` (quoted) in `$dbPointer` but found `$ref`",
            ),
            (
                "{a: RegExp('a\\u0000')}",
                "line 1, column 12: regular expressions must not contain a NUL character",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(rejected(text), expected, "{text}");
        }
    }

    /// Makes values comparable across a relaxed-JSON round trip, which cannot keep a small Int64
    /// (it prints as a plain number), a DBPointer (it prints as a DBRef) or NaN's identity.
    fn normalized(value: &Bson) -> Bson {
        match value {
            Bson::Int64(v) => i32::try_from(*v).map_or(Bson::Int64(*v), Bson::Int32),
            Bson::Double(v) if v.is_nan() => Bson::String("NaN".into()),
            Bson::Decimal128(d) => Bson::String(format!("decimal {d}")),
            Bson::DbPointer(_) => {
                let json = to_relaxed_json(&doc! { "p": value.clone() });
                let doc = parse_document(&json).expect("a DBPointer prints as a DBRef");
                normalized(doc.get("p").unwrap_or(&Bson::Null))
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

    /// A plain document whose first key names a wrapper (`{$regex: "a" $options: "i"}` lacks
    /// the strict wrapper's comma, `{,$maxKey: 1}` hides the key behind Java's swallowed comma)
    /// prints as the wrapper itself, in Java too, so it cannot round-trip.
    fn has_wrapper_lookalike(value: &Bson) -> bool {
        match value {
            Bson::Document(doc) => {
                doc.keys()
                    .next()
                    .is_some_and(|key| WRAPPER_KEYS.contains(&key.as_str()))
                    || doc.values().any(has_wrapper_lookalike)
            }
            Bson::Array(items) => items.iter().any(has_wrapper_lookalike),
            Bson::JavaScriptCodeWithScope(code) => {
                has_wrapper_lookalike(&Bson::Document(code.scope.clone()))
            }
            _ => false,
        }
    }

    fn assert_round_trips(doc: &Document, origin: &str) {
        if has_wrapper_lookalike(&Bson::Document(doc.clone())) {
            return;
        }
        let json = to_relaxed_json(doc);
        let again = parse_document(&json)
            .unwrap_or_else(|e| panic!("`{json}` (from `{origin}`) should parse: {e}"));
        assert_eq!(
            normalized_document(&again),
            normalized_document(doc),
            "round trip of `{origin}` via `{json}`"
        );
    }

    #[test]
    fn relaxed_json_parses_back_to_the_same_document() {
        for &(text, _, _) in JAVA_GOLDEN {
            assert_round_trips(&parsed(text), text);
        }
    }

    /// A deterministic xorshift generator, so the soup is the same on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
        }
    }

    #[test]
    fn byte_soup_never_panics_and_what_parses_round_trips() {
        const PIECES: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            "(",
            ")",
            ":",
            ",",
            "'",
            "\"",
            "/",
            "\\",
            "\\u",
            "$",
            "-",
            "+",
            ".",
            "e",
            "0",
            "9",
            "new ",
            "Date",
            "ISODate(",
            "NumberDecimal(",
            "{$oid: ",
            "{$date: ",
            "{$binary: ",
            "$type",
            "$regex",
            "$scope",
            "Infinity",
            "NaN",
            "\n",
            " ",
            "\u{0}",
            "é",
            "😀",
            "\u{2028}",
            "٣",
            "\u{ad}",
        ];
        let mut corpus: Vec<String> = JAVA_GOLDEN
            .iter()
            .map(|&(text, _, _)| text.to_owned())
            .collect();
        corpus.extend([
            "[{a: 1}, {b: [2, {c: /x/i}]}]".to_owned(),
            "{a: {$code: 'f', $scope: {b: [1]}}}".to_owned(),
        ]);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..4000 {
            let mut chars: Vec<char> = corpus[rng.below(corpus.len())].chars().collect();
            for _ in 0..=rng.below(4) {
                let at = rng.below(chars.len() + 1);
                match rng.below(5) {
                    0 if !chars.is_empty() => {
                        let end = (at + 1 + rng.below(4)).min(chars.len());
                        chars.drain(at.min(end)..end);
                    }
                    1 => {
                        let piece = PIECES[rng.below(PIECES.len())];
                        chars.splice(at..at, piece.chars());
                    }
                    2 if !chars.is_empty() => {
                        let from = rng.below(chars.len());
                        let slice: Vec<char> =
                            chars[from..(from + 1 + rng.below(8)).min(chars.len())].to_vec();
                        chars.splice(at..at, slice);
                    }
                    3 => chars.truncate(at),
                    _ => {
                        let c = char::from_u32(u32::try_from(rng.next() % 0x11_0000).unwrap_or(0))
                            .unwrap_or('x');
                        chars.insert(at, c);
                    }
                }
            }
            let text: String = chars.into_iter().collect();
            // Checking without building accepts and rejects exactly what parsing does.
            assert_eq!(
                check_document(&text),
                parse_document(&text).map(drop),
                "`{text}` checked as a document"
            );
            assert_eq!(
                check_documents(&text),
                parse_documents(&text).map(drop),
                "`{text}` checked as a list of documents"
            );
            if let Ok(doc) = parse_document(&text) {
                assert_round_trips(&doc, &text);
            }
            if let Ok(docs) = parse_documents(&text) {
                for doc in &docs {
                    assert_round_trips(doc, &text);
                }
            }
            if let Ok(value) = parse_value(&text) {
                let _ = to_relaxed_json(&doc! { "v": value });
            }
        }
    }

    #[test]
    fn errors_display_their_position() {
        let error = JsonError {
            line: 2,
            column: 7,
            message: "expected `:` but found `}`".into(),
        };
        assert_eq!(
            error.to_string(),
            "line 2, column 7: expected `:` but found `}`"
        );
    }
}
