//! JSON changelogs into the [`Node`] tree, as liquibase-mongodb's `JsonNoSqlChangeLogParser` reads
//! them (4.33.0.1, Jackson 2.18), and the pieces of that parser the YAML reader shares.
//!
//! The reader is a strict JSON parser with line numbers (Jackson's default `JsonMapper` accepts
//! exactly RFC 8259 JSON: no comments, no trailing commas, no `NaN`), followed by the extension's
//! `replaceParameters` walk and core's `ParsedNode.setValue`:
//!
//! - The root must be an object with a `databaseChangeLog` array. An empty document, a root that
//!   is not a non-empty object or array, `{}` and `[]` are `empty file`; otherwise a missing key is
//!   `could not find databaseChangeLog node`, and a value that is not an array is
//!   `databaseChangeLog does not contain a list of entries`.
//! - An object member whose value is a scalar becomes a leaf with Jackson's `asText()`: strings as
//!   they are, `true`/`false`, numbers as Jackson re-serializes them (see below) and `null` as the
//!   text `null` (Jackson's `NullNode.asText()`; the extension does not special-case it).
//! - An object member whose value is an object with a `$rawJson` key becomes a leaf whose value is
//!   `jackson_pretty` of the `$rawJson` value (other keys of that object are dropped).
//! - Any other object is a node with one child per member; an array is a list (below).
//! - A scalar array element is replaced by its JSON text, *including quotes* for strings
//!   (`["9:abc"]` gives the value `"9:abc"`, quotes and all), because the extension calls
//!   `toString()` on array elements where it calls `asText()` on members. An object element is
//!   walked as above, but is itself never a `$rawJson` wrapper.
//! - Lists follow `ParsedNode.setValue` (`Loaded` and `node`): each object item contributes
//!   its members as children of the list's node (so `"changes": [{"createIndex": {…}}]` gives a
//!   `changes` node with a `createIndex` child); when the list has exactly one item that is not an
//!   object and that item is a scalar, it becomes the list node's value (`"validCheckSum": ["x"]`
//!   reads like `"validCheckSum": "x"`); otherwise every non-object item becomes a child named
//!   like the list's node, in document order (`"validCheckSum": ["a", "b"]` gives a
//!   `validCheckSum` node with two `validCheckSum` children, and no value). Liquibase keeps such
//!   items as a `List` value, whose `toString()` (`[a, b]`) is what a plain string property sees.
//! - Duplicate keys: the last value wins, at the position of the first (Jackson's `ObjectNode`).
//! - Text after the root value is ignored (`FAIL_ON_TRAILING_TOKENS` is off).
//! - Numbers longer than 1000 characters are errors (Jackson's `StreamReadConstraints` default);
//!   so is nesting deeper than 256 levels (Jackson allows 1000; see `MAX_DEPTH`).
//! - A `\uD800`-style escape that is not half of a surrogate pair becomes `?`: Java keeps the lone
//!   surrogate in its `String` and its UTF-8 encoder (history, checksum, BSON) writes `?`.
//!
//! Numbers: an integer literal is printed back as its digits (Jackson's `IntNode`, `LongNode` or
//! `BigIntegerNode`; `-0` becomes `0`); a literal with a fraction or exponent is parsed to a double
//! and printed with `java::double_to_string` (`1.10` is `1.1`, `1e3` is `1000.0`), because the
//! checksum is computed over that text.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::node::Node;
use super::reader_problem;
use crate::error::Problem;

/// The key that marks an embedded JSON value (`JsonNoSqlChangeLogParser.RAW_JSON_FIELD`).
pub(crate) const RAW_JSON: &str = "$rawJson";

/// The deepest nesting of arrays and objects read. Jackson's `StreamReadConstraints` allows 1000
/// (2.15+), but the readers and the loader recurse once per level, and through JNI they run on
/// JVM threads whose stacks are 1 MB; no real changelog comes near 256 levels.
const MAX_DEPTH: usize = 256;

/// Jackson's `StreamReadConstraints.DEFAULT_MAX_NUM_LEN` (2.15+).
const MAX_NUMBER_LENGTH: usize = 1000;

const HINT_ROOT: &str = "a JSON changelog is an object like \
`{\"databaseChangeLog\": [{\"changeSet\": {\"id\": \"1\", \"author\": \"me\", \"changes\": [...]}}]}`";

/// Reads a JSON changelog into its `databaseChangeLog` node.
pub fn read(text: &str, file: &str) -> Result<Node, Problem> {
    let problem = |line, message, hint| reader_problem(file, line, message, hint);
    let root = match Parser::new(text).document() {
        Ok(Some(root)) => root,
        Ok(None) => return Err(problem(None, "empty file".to_owned(), Some(HINT_ROOT))),
        Err(e) => return Err(problem(Some(e.line), e.message, None)),
    };
    let members = match root.kind {
        Kind::Object(members) if !members.is_empty() => members,
        Kind::Array(items) if !items.is_empty() => Vec::new(),
        _ => {
            return Err(problem(
                Some(root.line),
                "empty file".to_owned(),
                Some(HINT_ROOT),
            ));
        }
    };
    let Some(entry) = members.into_iter().find(|m| m.key == "databaseChangeLog") else {
        return Err(problem(
            Some(root.line),
            "could not find `databaseChangeLog` node".to_owned(),
            Some(HINT_ROOT),
        ));
    };
    let Kind::Array(items) = entry.value.kind else {
        return Err(problem(
            Some(entry.line),
            "`databaseChangeLog` does not contain a list of entries".to_owned(),
            Some(
                "each changeSet must begin ' - changeSet:' (in JSON: `{\"changeSet\": {...}}` inside the array)",
            ),
        ));
    };
    let list = Loaded::List(items.into_iter().map(|v| (v.line, item(v))).collect());
    Ok(node("databaseChangeLog", entry.line, list))
}

// ---------------------------------------------------------------------------------------------
// Liquibase's parsed value tree, shared with the YAML reader.

/// A changelog value as Liquibase holds it before building `ParsedNode`s: what snakeyaml
/// constructs for YAML, and what the Mongo extension's `replaceParameters` leaves for JSON.
/// Scalars are already text: each reader applies its own typing rules first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Loaded {
    /// `null` (a YAML `~`, an empty value).
    Null,
    /// A scalar, as the text Liquibase will see.
    Text(String),
    /// A sequence; each item with its 1-based line.
    List(Vec<(usize, Loaded)>),
    /// A mapping in key order; each key with its 1-based line.
    Map(Vec<(String, usize, Loaded)>),
}

/// Builds the node `name` holding `value`, as `ParsedNode.addChild(null, name, value)` does.
pub(crate) fn node(name: &str, line: usize, value: Loaded) -> Node {
    let mut node = Node::new(name, Some(line));
    set_value(&mut node, value);
    node
}

/// As `ParsedNode.setValue` (4.28.0): a map adds children, a list spreads its map items into
/// children and keeps its other items (see the module doc for how they are represented).
fn set_value(node: &mut Node, value: Loaded) {
    match value {
        Loaded::Null => {}
        Loaded::Text(text) => node.value = Some(text),
        Loaded::Map(entries) => {
            for (key, line, value) in entries {
                node.children.push(self::node(&key, line, value));
            }
        }
        Loaded::List(items) => {
            let others = items
                .iter()
                .filter(|(_, v)| !matches!(v, Loaded::Map(_)))
                .count();
            for (line, item) in items {
                match item {
                    Loaded::Map(entries) => {
                        for (key, line, value) in entries {
                            node.children.push(self::node(&key, line, value));
                        }
                    }
                    Loaded::Null if others == 1 => {}
                    Loaded::Text(text) if others == 1 => node.value = Some(text),
                    other => {
                        let name = node.name.clone();
                        node.children.push(self::node(&name, line, other));
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Jackson's view of JSON values, shared with the YAML reader for `$rawJson`.

/// A JSON value as Jackson's tree model holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer, as canonical decimal digits with an optional `-` (no `-0`).
    Int(String),
    /// A double (`DoubleNode`); may be infinite or NaN when it comes from YAML.
    Double(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in order (no duplicates).
    Object(Vec<(String, Json)>),
}

/// `JsonNode.toPrettyString()` (Jackson 2.x `DefaultPrettyPrinter`): objects one member per line
/// indented by two spaces per enclosing object, `"key" : value`, arrays inline as `[ 1, 2 ]`,
/// empty containers `{ }` and `[ ]`. Liquibase checksums this text, so it must match byte for byte.
/// Lines end with `\n` (Jackson uses the platform separator; the checksum drops `\r` anyway).
pub(crate) fn jackson_pretty(value: &Json) -> String {
    let mut out = String::new();
    write_pretty(&mut out, value, 0);
    out
}

fn write_pretty(out: &mut String, value: &Json, nesting: usize) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(digits) => out.push_str(digits),
        Json::Double(d) if d.is_finite() => out.push_str(&crate::java::double_to_string(*d)),
        // JsonGenerator.Feature.QUOTE_NON_NUMERIC_NUMBERS is on by default.
        Json::Double(d) => write_json_string(out, &crate::java::double_to_string(*d)),
        Json::String(s) => write_json_string(out, s),
        Json::Array(items) if items.is_empty() => out.push_str("[ ]"),
        Json::Array(items) => {
            // The array indenter is inline (`FixedSpaceIndenter`), so arrays add no nesting.
            out.push_str("[ ");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_pretty(out, item, nesting);
            }
            out.push_str(" ]");
        }
        Json::Object(members) if members.is_empty() => out.push_str("{ }"),
        Json::Object(members) => {
            out.push('{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, nesting + 1);
                write_json_string(out, key);
                out.push_str(" : ");
                write_pretty(out, value, nesting + 1);
            }
            newline_indent(out, nesting);
            out.push('}');
        }
    }
}

fn newline_indent(out: &mut String, nesting: usize) {
    out.push('\n');
    for _ in 0..nesting {
        out.push_str("  ");
    }
}

/// A JSON string as Jackson writes it: `"` and `\` escaped, control characters as `\b \t \n \f \r`
/// or `\u00XX` (upper-case hex), everything else (DEL, non-ASCII, U+2028) as is.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// The extension's rules for members and array elements (`replaceParameters`).

/// An object member's value.
fn member(value: Value) -> Loaded {
    match value.kind {
        Kind::Object(members) => match members.iter().position(|m| m.key == RAW_JSON) {
            Some(raw) => {
                let raw = members
                    .into_iter()
                    .nth(raw)
                    .map_or(Json::Null, |m| to_json(m.value));
                Loaded::Text(jackson_pretty(&raw))
            }
            None => Loaded::Map(
                members
                    .into_iter()
                    .map(|m| (m.key, m.line, member(m.value)))
                    .collect(),
            ),
        },
        Kind::Array(items) => Loaded::List(items.into_iter().map(|v| (v.line, item(v))).collect()),
        Kind::Null => Loaded::Text("null".to_owned()),
        kind => Loaded::Text(as_text(to_json(Value {
            line: value.line,
            kind,
        }))),
    }
}

/// An array element's value.
fn item(value: Value) -> Loaded {
    match value.kind {
        Kind::Object(members) => Loaded::Map(
            members
                .into_iter()
                .map(|m| (m.key, m.line, member(m.value)))
                .collect(),
        ),
        Kind::Array(items) => Loaded::List(items.into_iter().map(|v| (v.line, item(v))).collect()),
        kind => Loaded::Text(jackson_pretty(&to_json(Value {
            line: value.line,
            kind,
        }))),
    }
}

/// `JsonNode.asText()` of a scalar.
fn as_text(json: Json) -> String {
    match json {
        Json::String(s) => s,
        Json::Double(d) => crate::java::double_to_string(d),
        other => jackson_pretty(&other),
    }
}

fn to_json(value: Value) -> Json {
    match value.kind {
        Kind::Null => Json::Null,
        Kind::Bool(b) => Json::Bool(b),
        Kind::Int(digits) => Json::Int(digits),
        Kind::Double(d) => Json::Double(d),
        Kind::Str(s) => Json::String(s),
        Kind::Array(items) => Json::Array(items.into_iter().map(to_json).collect()),
        Kind::Object(members) => Json::Object(
            members
                .into_iter()
                .map(|m| (m.key, to_json(m.value)))
                .collect(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// A strict JSON parser with line numbers.

/// A parsed value and the 1-based line where it starts.
#[derive(Debug)]
struct Value {
    line: usize,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Null,
    Bool(bool),
    Int(String),
    Double(f64),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<Member>),
}

#[derive(Debug)]
struct Member {
    key: String,
    line: usize,
    value: Value,
}

#[derive(Debug)]
struct SyntaxError {
    line: usize,
    message: String,
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    depth: usize,
}

const EXPECTED_VALUE: &str =
    "expected a value (string, number, array, object, `true`, `false` or `null`)";

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            depth: 0,
        }
    }

    /// The root value, or `None` for a document with nothing but white space.
    fn document(&mut self) -> Result<Option<Value>, SyntaxError> {
        self.skip_ws()?;
        if self.pos >= self.bytes.len() {
            return Ok(None);
        }
        self.value().map(Some)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            line: self.line,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The character at the cursor, for messages.
    fn current(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            None => "end of input".to_owned(),
            Some(c) if c.is_control() => format!("character (code {})", u32::from(c)),
            Some(c) => format!("character `{c}`"),
        }
    }

    /// Skips JSON white space, counting lines (`\n`, `\r` and `\r\n` each end one, as in Jackson).
    fn skip_ws(&mut self) -> Result<(), SyntaxError> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' => {}
                b'\n' => self.line += 1,
                b'\r' => {
                    if self.bytes.get(self.pos + 1) != Some(&b'\n') {
                        self.line += 1;
                    }
                }
                b if b < b' ' => {
                    return self.error(format!(
                        "illegal character (code {b}): only regular white space (\\r, \\n, \\t) is allowed between tokens"
                    ));
                }
                _ => return Ok(()),
            }
            self.pos += 1;
        }
        Ok(())
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        let line = self.line;
        let kind = match self.peek() {
            Some(b'{') => self.object()?,
            Some(b'[') => self.array()?,
            Some(b'"') => Kind::Str(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't' | b'f' | b'n') => self.literal()?,
            Some(b'+') => {
                return self.error(
                    "unexpected character `+` in numeric value: JSON does not allow numbers to have plus signs",
                );
            }
            _ => return self.error(format!("unexpected {}: {EXPECTED_VALUE}", self.current())),
        };
        Ok(Value { line, kind })
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.error(format!(
                "document nesting depth ({}) exceeds the maximum allowed ({MAX_DEPTH})",
                self.depth
            ));
        }
        Ok(())
    }

    fn object(&mut self) -> Result<Kind, SyntaxError> {
        let open = self.line;
        self.enter()?;
        self.pos += 1;
        let mut members: Vec<Member> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        self.skip_ws()?;
        if self.leave(b'}') {
            return Ok(Kind::Object(members));
        }
        loop {
            self.skip_ws()?;
            if self.peek() != Some(b'"') {
                return self.unexpected_in("object", open, "expected `\"` to start a field name");
            }
            let line = self.line;
            let key = self.string()?;
            self.skip_ws()?;
            if self.peek() != Some(b':') {
                return self.unexpected_in(
                    "object",
                    open,
                    "expected a colon to separate field name and value",
                );
            }
            self.pos += 1;
            self.skip_ws()?;
            if self.pos >= self.bytes.len() {
                return self.unexpected_in("object", open, EXPECTED_VALUE);
            }
            let value = self.value()?;
            // Jackson's ObjectNode: a repeated key replaces the value where the key first was.
            match index.get(&key) {
                Some(&i) => members[i] = Member { key, line, value },
                None => {
                    index.insert(key.clone(), members.len());
                    members.push(Member { key, line, value });
                }
            }
            if self.after_entry(b'}', "object", open)? {
                return Ok(Kind::Object(members));
            }
        }
    }

    fn array(&mut self) -> Result<Kind, SyntaxError> {
        let open = self.line;
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws()?;
        if self.leave(b']') {
            return Ok(Kind::Array(items));
        }
        loop {
            self.skip_ws()?;
            if self.pos >= self.bytes.len() {
                return self.unexpected_in("array", open, EXPECTED_VALUE);
            }
            items.push(self.value()?);
            if self.after_entry(b']', "array", open)? {
                return Ok(Kind::Array(items));
            }
        }
    }

    /// Consumes `close` when it is next and returns to the enclosing depth: the container ends.
    fn leave(&mut self, close: u8) -> bool {
        if self.peek() != Some(close) {
            return false;
        }
        self.pos += 1;
        self.depth -= 1;
        true
    }

    /// After an object member or array element: a comma is consumed and another entry follows
    /// (`false`), `close` ends the container (`true`), and anything else is Jackson's
    /// `expected a comma or '}'`/`']'` error.
    fn after_entry(&mut self, close: u8, what: &str, open: usize) -> Result<bool, SyntaxError> {
        self.skip_ws()?;
        if self.leave(close) {
            return Ok(true);
        }
        if self.peek() != Some(b',') {
            let close = char::from(close);
            return self.unexpected_in(
                what,
                open,
                &format!("expected a comma or `{close}` to separate {what} entries"),
            );
        }
        self.pos += 1;
        Ok(false)
    }

    /// An error inside an object or array: at the end of input it names where the container opened.
    fn unexpected_in<T>(&self, what: &str, open: usize, expected: &str) -> Result<T, SyntaxError> {
        if self.pos >= self.bytes.len() {
            self.error(format!(
                "unexpected end of input: expected close marker for {what} (opened at line {open})"
            ))
        } else {
            self.error(format!("unexpected {}: {expected}", self.current()))
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        let mut start = self.pos;
        loop {
            let Some(b) = self.peek() else {
                return self.error("unexpected end of input in a string value");
            };
            match b {
                b'"' => {
                    out.push_str(&self.text[start..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.text[start..self.pos]);
                    self.escape(&mut out)?;
                    start = self.pos;
                }
                b if b < b' ' => {
                    return self.error(format!(
                        "illegal unquoted character (code {b}): it has to be escaped using a backslash to be included in a string value"
                    ));
                }
                _ => self.pos += 1,
            }
        }
    }

    /// One escape sequence, the cursor on its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        self.pos += 1;
        let Some(b) = self.peek() else {
            return self.error("unexpected end of input in a string value");
        };
        self.pos += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                if (0xD800..0xDC00).contains(&unit)
                    && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u")
                {
                    let save = self.pos;
                    self.pos += 2;
                    let low = self.hex4()?;
                    if (0xDC00..0xE000).contains(&low) {
                        let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        out.push(char::from_u32(code).unwrap_or('?'));
                        return Ok(());
                    }
                    self.pos = save;
                }
                // A lone surrogate: Java's UTF-8 encoder writes it as `?`.
                char::from_u32(unit).unwrap_or('?')
            }
            _ => {
                self.pos -= 1;
                return self.error(format!(
                    "unrecognized character escape: backslash followed by {}",
                    self.current()
                ));
            }
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut unit = 0;
        for _ in 0..4 {
            let digit = self.peek().and_then(|b| char::from(b).to_digit(16));
            let Some(digit) = digit else {
                return self.error(format!(
                    "unexpected {}: expected a hex digit for a character escape sequence",
                    self.current()
                ));
            };
            unit = unit * 16 + digit;
            self.pos += 1;
        }
        Ok(unit)
    }

    fn number(&mut self) -> Result<Kind, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return self.error(format!(
                    "unexpected {} in numeric value: expected a digit (0-9) to follow the minus sign",
                    self.current()
                ));
            }
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
            if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return self.error("invalid numeric value: leading zeroes not allowed");
            }
        } else {
            self.digits();
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            integral = false;
            self.pos += 1;
            if self.digits() == 0 {
                return self.error(format!(
                    "unexpected {} in numeric value: decimal point not followed by a digit",
                    self.current()
                ));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integral = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.error(format!(
                    "unexpected {} in numeric value: exponent indicator not followed by a digit",
                    self.current()
                ));
            }
        }
        let literal = &self.text[start..self.pos];
        if literal.len() > MAX_NUMBER_LENGTH {
            return self.error(format!(
                "number value length ({}) exceeds the maximum allowed ({MAX_NUMBER_LENGTH})",
                literal.len()
            ));
        }
        if integral {
            // IntNode/LongNode/BigIntegerNode print their value: only `-0` changes.
            return Ok(Kind::Int(if literal == "-0" {
                "0".to_owned()
            } else {
                literal.to_owned()
            }));
        }
        match literal.parse::<f64>() {
            Ok(d) => Ok(Kind::Double(d)),
            Err(_) => self.error(format!("invalid numeric value `{literal}`")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn literal(&mut self) -> Result<Kind, SyntaxError> {
        let rest = &self.text[self.pos..];
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            .take(256)
            .collect();
        let kind = match word.as_str() {
            "true" => Kind::Bool(true),
            "false" => Kind::Bool(false),
            "null" => Kind::Null,
            _ => return self.error(format!("unrecognized token `{word}`: {EXPECTED_VALUE}")),
        };
        self.pos += word.len();
        Ok(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::node::fixture::{
        assert_hint_contains, assert_rejected, empty, expect_node, expect_problem, leaf, parent,
    };

    fn read_ok(text: &str) -> Node {
        expect_node(read(text, "db/changelog.json"))
    }

    fn read_err(text: &str) -> Problem {
        expect_problem(read(text, "db/changelog.json"))
    }

    #[test]
    fn reads_node_shapes() {
        let cases: Vec<(&str, &str, Node)> = vec![
            (
                "changeSet with attributes and changes",
                r#"{"databaseChangeLog": [
  {"changeSet": {"id": "1", "author": "alice", "runOnChange": true, "order": 1.50,
    "changes": [
      {"createIndex": {"collectionName": "c",
        "keys": {"$rawJson": {"name": 1, "type": 1}}}},
      {"runCommand": {"command": "{ buildInfo: 1 }"}}
    ]}}
]}"#,
                parent(
                    "databaseChangeLog",
                    1,
                    vec![parent(
                        "changeSet",
                        2,
                        vec![
                            leaf("id", "1", 2),
                            leaf("author", "alice", 2),
                            leaf("runOnChange", "true", 2),
                            leaf("order", "1.5", 2),
                            parent(
                                "changes",
                                3,
                                vec![
                                    parent(
                                        "createIndex",
                                        4,
                                        vec![
                                            leaf("collectionName", "c", 4),
                                            leaf(
                                                "keys",
                                                "{\n  \"name\" : 1,\n  \"type\" : 1\n}",
                                                5,
                                            ),
                                        ],
                                    ),
                                    parent(
                                        "runCommand",
                                        6,
                                        vec![leaf("command", "{ buildInfo: 1 }", 6)],
                                    ),
                                ],
                            ),
                        ],
                    )],
                ),
            ),
            (
                "rollback forms",
                r#"{"databaseChangeLog": [{"changeSet": {"id": "1", "author": "a",
  "changes": [{"insertOne": {"collectionName": "c", "document": {"$rawJson": {"a": [1, 2]}}}},
              {"rollback": ""},
              {"rollback": {"dropCollection": {"collectionName": "c"}}}],
  "rollback": [{"dropCollection": {"collectionName": "c"}}, {"createCollection": {}}]}}]}"#,
                parent(
                    "databaseChangeLog",
                    1,
                    vec![parent(
                        "changeSet",
                        1,
                        vec![
                            leaf("id", "1", 1),
                            leaf("author", "a", 1),
                            parent(
                                "changes",
                                2,
                                vec![
                                    parent(
                                        "insertOne",
                                        2,
                                        vec![
                                            leaf("collectionName", "c", 2),
                                            leaf("document", "{\n  \"a\" : [ 1, 2 ]\n}", 2),
                                        ],
                                    ),
                                    leaf("rollback", "", 3),
                                    parent(
                                        "rollback",
                                        4,
                                        vec![parent(
                                            "dropCollection",
                                            4,
                                            vec![leaf("collectionName", "c", 4)],
                                        )],
                                    ),
                                ],
                            ),
                            parent(
                                "rollback",
                                5,
                                vec![
                                    parent(
                                        "dropCollection",
                                        5,
                                        vec![leaf("collectionName", "c", 5)],
                                    ),
                                    empty("createCollection", 5),
                                ],
                            ),
                        ],
                    )],
                ),
            ),
            (
                "validCheckSum lists keep Jackson's toString quotes",
                r#"{"databaseChangeLog": [{"changeSet": {
  "validCheckSum": ["9:aaa", "9:bbb"],
  "labels": ["only"],
  "mixed": [1, null, [true], {"k": "v"}]}}]}"#,
                parent(
                    "databaseChangeLog",
                    1,
                    vec![parent(
                        "changeSet",
                        1,
                        vec![
                            parent(
                                "validCheckSum",
                                2,
                                vec![
                                    leaf("validCheckSum", "\"9:aaa\"", 2),
                                    leaf("validCheckSum", "\"9:bbb\"", 2),
                                ],
                            ),
                            leaf("labels", "\"only\"", 3),
                            parent(
                                "mixed",
                                4,
                                vec![
                                    leaf("mixed", "1", 4),
                                    leaf("mixed", "null", 4),
                                    leaf("mixed", "true", 4),
                                    leaf("k", "v", 4),
                                ],
                            ),
                        ],
                    )],
                ),
            ),
            (
                "preConditions nest and/or/not",
                r#"{"databaseChangeLog": [
 {"preConditions": [{"onFail": "MARK_RAN"},
   {"or": [{"collectionExists": {"collectionName": "a"}},
           {"not": [{"collectionExists": {"collectionName": "b"}}]},
           {"and": [{"expectedDocumentCount": {"collectionName": "c", "filter": {"$rawJson": {}}, "expectedCount": 0}}]}]}]}
]}"#,
                parent(
                    "databaseChangeLog",
                    1,
                    vec![parent(
                        "preConditions",
                        2,
                        vec![
                            leaf("onFail", "MARK_RAN", 2),
                            parent(
                                "or",
                                3,
                                vec![
                                    parent(
                                        "collectionExists",
                                        3,
                                        vec![leaf("collectionName", "a", 3)],
                                    ),
                                    parent(
                                        "not",
                                        4,
                                        vec![parent(
                                            "collectionExists",
                                            4,
                                            vec![leaf("collectionName", "b", 4)],
                                        )],
                                    ),
                                    parent(
                                        "and",
                                        5,
                                        vec![parent(
                                            "expectedDocumentCount",
                                            5,
                                            vec![
                                                leaf("collectionName", "c", 5),
                                                leaf("filter", "{ }", 5),
                                                leaf("expectedCount", "0", 5),
                                            ],
                                        )],
                                    ),
                                ],
                            ),
                        ],
                    )],
                ),
            ),
            (
                "null members read as the text null; empty containers give bare nodes",
                r#"{"databaseChangeLog": [{"changeSet": {"comment": null, "a": {}, "b": []}}]}"#,
                parent(
                    "databaseChangeLog",
                    1,
                    vec![parent(
                        "changeSet",
                        1,
                        vec![leaf("comment", "null", 1), empty("a", 1), empty("b", 1)],
                    )],
                ),
            ),
            (
                "a plain nested object is kept as children for the loader to reject",
                r#"{"databaseChangeLog": [{"runCommand": {"command": {"ping": 1}}}]}"#,
                parent(
                    "databaseChangeLog",
                    1,
                    vec![parent(
                        "runCommand",
                        1,
                        vec![parent("command", 1, vec![leaf("ping", "1", 1)])],
                    )],
                ),
            ),
            (
                "duplicate keys: last value at the first position; trailing text ignored",
                "{\"databaseChangeLog\": [{\"a\": 1, \"b\": 2, \"a\": 3}]} trailing",
                parent(
                    "databaseChangeLog",
                    1,
                    vec![leaf("a", "3", 1), leaf("b", "2", 1)],
                ),
            ),
            (
                "$rawJson wins over sibling keys and may hold a scalar",
                r#"{"databaseChangeLog": [{"x": {"other": 1, "$rawJson": "s\"q"}}, {"y": {"$rawJson": null}}]}"#,
                parent(
                    "databaseChangeLog",
                    1,
                    vec![leaf("x", "\"s\\\"q\"", 1), leaf("y", "null", 1)],
                ),
            ),
            (
                "escapes, surrogate pairs, lone surrogates and CRLF lines",
                "{\"databaseChangeLog\": [\r\n{\"s\": \"\\u00e9\\ud83d\\ude00\\ud800\\n\\/\"},\r\n{\"t\": \"x\"}]}",
                parent(
                    "databaseChangeLog",
                    1,
                    vec![leaf("s", "é😀?\n/", 2), leaf("t", "x", 3)],
                ),
            ),
            (
                "an empty databaseChangeLog",
                r#"{"databaseChangeLog": []}"#,
                empty("databaseChangeLog", 1),
            ),
        ];
        for (what, text, expected) in cases {
            assert_eq!(read_ok(text), expected, "{what}");
        }
    }

    #[test]
    fn reports_errors_with_lines() {
        let cases: Vec<(&str, Option<usize>, &str)> = vec![
            ("", None, "empty file"),
            ("  \n ", None, "empty file"),
            ("{}", Some(1), "empty file"),
            ("[]", Some(1), "empty file"),
            ("\"text\"", Some(1), "empty file"),
            ("[1]", Some(1), "could not find `databaseChangeLog` node"),
            (
                "{\"changeSet\": {}}",
                Some(1),
                "could not find `databaseChangeLog` node",
            ),
            (
                "{\n\"databaseChangeLog\": {}}",
                Some(2),
                "`databaseChangeLog` does not contain a list of entries",
            ),
            (
                "{\"databaseChangeLog\": null}",
                Some(1),
                "`databaseChangeLog` does not contain a list of entries",
            ),
            (
                "{\n\n  \"a\": [1 2]}",
                Some(3),
                "unexpected character `2`: expected a comma or `]` to separate array entries",
            ),
            (
                "{\"a\":01}",
                Some(1),
                "invalid numeric value: leading zeroes not allowed",
            ),
            (
                "{\"a\":1.}",
                Some(1),
                "unexpected character `}` in numeric value: decimal point not followed by a digit",
            ),
            (
                "{\"a\":1e}",
                Some(1),
                "unexpected character `}` in numeric value: exponent indicator not followed by a digit",
            ),
            (
                "{\"a\":-}",
                Some(1),
                "unexpected character `}` in numeric value: expected a digit (0-9) to follow the minus sign",
            ),
            (
                "{\"a\":+1}",
                Some(1),
                "unexpected character `+` in numeric value: JSON does not allow numbers to have plus signs",
            ),
            (
                "{\"a\":.5}",
                Some(1),
                "unexpected character `.`: expected a value (string, number, array, object, `true`, `false` or `null`)",
            ),
            (
                "{\"a\":NaN}",
                Some(1),
                "unexpected character `N`: expected a value (string, number, array, object, `true`, `false` or `null`)",
            ),
            (
                "{\"a\":tru}",
                Some(1),
                "unrecognized token `tru`: expected a value (string, number, array, object, `true`, `false` or `null`)",
            ),
            (
                "{\"a\":\"x\ny\"}",
                Some(1),
                "illegal unquoted character (code 10): it has to be escaped using a backslash to be included in a string value",
            ),
            (
                "{\"a\":\"\\x\"}",
                Some(1),
                "unrecognized character escape: backslash followed by character `x`",
            ),
            (
                "{\"a\":\"\\u12g4\"}",
                Some(1),
                "unexpected character `g`: expected a hex digit for a character escape sequence",
            ),
            (
                "{a:1}",
                Some(1),
                "unexpected character `a`: expected `\"` to start a field name",
            ),
            (
                "{\"a\":1,}",
                Some(1),
                "unexpected character `}`: expected `\"` to start a field name",
            ),
            (
                "[1,]",
                Some(1),
                "unexpected character `]`: expected a value (string, number, array, object, `true`, `false` or `null`)",
            ),
            (
                "{\"a\" 1}",
                Some(1),
                "unexpected character `1`: expected a colon to separate field name and value",
            ),
            (
                "{\n\"a\":1",
                Some(2),
                "unexpected end of input: expected close marker for object (opened at line 1)",
            ),
            (
                "[\n[\n",
                Some(3),
                "unexpected end of input: expected close marker for array (opened at line 2)",
            ),
            (
                "{\"a\":\"abc",
                Some(1),
                "unexpected end of input in a string value",
            ),
            (
                "{\"a\":\u{1}}",
                Some(1),
                "illegal character (code 1): only regular white space (\\r, \\n, \\t) is allowed between tokens",
            ),
            (
                "// comment\n{}",
                Some(1),
                "unexpected character `/`: expected a value (string, number, array, object, `true`, `false` or `null`)",
            ),
        ];
        assert_rejected(read, "db/changelog.json", &cases);
    }

    #[test]
    fn root_problems_carry_liquibase_hints() {
        let p = read_err("{\"databaseChangeLog\": 5}");
        assert_hint_contains(&p, "' - changeSet:'");
        let p = read_err("{\"x\": 1}");
        assert_hint_contains(&p, "databaseChangeLog");
    }

    #[test]
    fn limits_nesting_without_overflowing_the_stack() {
        let nested = |depth: usize| {
            format!(
                "{{\"databaseChangeLog\": [{{\"x\": {}{}}}]}}",
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        // The root object, the databaseChangeLog array and its item count: 253 more make 256.
        let ok = read(&nested(253), "f");
        assert!(ok.is_ok(), "{ok:?}");
        let p = read_err(&nested(254));
        assert_eq!(
            p.message,
            "document nesting depth (257) exceeds the maximum allowed (256)"
        );
        let p = read_err(&"[".repeat(200_000));
        assert_eq!(
            p.message,
            "document nesting depth (257) exceeds the maximum allowed (256)"
        );
        let p = read_err(&format!(
            "{{\"databaseChangeLog\": [{}",
            "{\"a\": ".repeat(100_000)
        ));
        assert_eq!(
            p.message,
            "document nesting depth (257) exceeds the maximum allowed (256)"
        );
    }

    #[test]
    fn limits_number_length_like_jackson() {
        let long = format!(
            "{{\"databaseChangeLog\": [{{\"n\": 1{}}}]}}",
            "0".repeat(1000)
        );
        assert_eq!(
            read_err(&long).message,
            "number value length (1001) exceeds the maximum allowed (1000)"
        );
        let ok = format!(
            "{{\"databaseChangeLog\": [{{\"n\": 1{}}}]}}",
            "0".repeat(999)
        );
        let node = read_ok(&ok);
        assert_eq!(node.child_value("n").map(str::len), Some(1000));
    }

    /// Jackson 2.18 `asText()` of a parsed number, which is also what `$rawJson` prints. The
    /// expectations were checked against Jackson 2.18.2 on JDK 25 (`JsonMapper.readTree(s).asText()`);
    /// JDK 17 agrees except where noted.
    #[test]
    fn spells_numbers_as_jackson_does() {
        let cases = [
            ("1", "1"),
            ("-0", "0"),
            ("2147483648", "2147483648"),
            ("-9223372036854775809", "-9223372036854775809"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
            ("1.10", "1.1"),
            ("1.0", "1.0"),
            ("-0.0", "-0.0"),
            ("1e3", "1000.0"),
            ("1E2", "100.0"),
            ("0.1e1", "1.0"),
            ("1e21", "1.0E21"),
            ("1e7", "1.0E7"),
            ("9999999.0", "9999999.0"),
            ("12345678.9", "1.23456789E7"),
            ("123456.789e3", "1.23456789E8"),
            ("0.001", "0.001"),
            ("0.0001", "1.0E-4"),
            ("0.00099", "9.9E-4"),
            ("1.0E-5", "1.0E-5"),
            ("4.35", "4.35"),
            ("0.3", "0.3"),
            ("-1.5e-7", "-1.5E-7"),
            ("1.7976931348623157E308", "1.7976931348623157E308"),
            // Two shortest candidates (...612 and ...613): Java takes the even one.
            ("233115890514796.125", "2.3311589051479612E14"),
            ("2.5E-5", "2.5E-5"),
            ("5e-324", "4.9E-324"),
            ("1e400", "Infinity"),
            ("-1e400", "-Infinity"),
            ("1e-400", "0.0"),
            // JDK 19+ only; JDK 17 prints 1.0E-323, 1.9999999999999998E23, 9.999999999999999E22.
            ("1e-323", "9.9E-324"),
            ("2e23", "2.0E23"),
            ("1e23", "1.0E23"),
            ("2.82879384806159E17", "2.82879384806159E17"),
        ];
        for (literal, expected) in cases {
            let node = read_ok(&format!(
                "{{\"databaseChangeLog\": [{{\"n\": {literal}}}]}}"
            ));
            assert_eq!(node.child_value("n"), Some(expected), "asText of {literal}");
        }
    }

    #[test]
    fn pretty_prints_like_jackson() {
        let obj = |members: Vec<(&str, Json)>| {
            Json::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            )
        };
        let cases = vec![
            (
                obj(vec![
                    ("name", Json::Int("1".into())),
                    ("type", Json::Int("1".into())),
                ]),
                "{\n  \"name\" : 1,\n  \"type\" : 1\n}",
            ),
            (
                Json::Array(vec![Json::Int("1".into()), Json::Int("2".into())]),
                "[ 1, 2 ]",
            ),
            (Json::Array(vec![]), "[ ]"),
            (obj(vec![]), "{ }"),
            (
                obj(vec![
                    (
                        "a",
                        Json::Array(vec![obj(vec![("b", Json::Int("1".into()))]), obj(vec![])]),
                    ),
                    (
                        "c",
                        Json::Array(vec![
                            Json::Array(vec![Json::Int("1".into()), Json::Array(vec![])]),
                            obj(vec![("d", obj(vec![]))]),
                        ]),
                    ),
                ]),
                "{\n  \"a\" : [ {\n    \"b\" : 1\n  }, { } ],\n  \"c\" : [ [ 1, [ ] ], {\n    \"d\" : { }\n  } ]\n}",
            ),
            (Json::Double(f64::NAN), "\"NaN\""),
            (Json::Double(f64::NEG_INFINITY), "\"-Infinity\""),
            (Json::Double(1.5), "1.5"),
            (Json::Bool(false), "false"),
            (Json::Null, "null"),
            (
                Json::String("a\u{1}b\"c\\d/\u{7f}é\u{2028}\u{8}\u{c}\n\r\t\u{1f}".into()),
                "\"a\\u0001b\\\"c\\\\d/\u{7f}é\u{2028}\\b\\f\\n\\r\\t\\u001F\"",
            ),
            (
                obj(vec![("k\n\"", obj(vec![("a\u{1}", Json::Array(vec![]))]))]),
                "{\n  \"k\\n\\\"\" : {\n    \"a\\u0001\" : [ ]\n  }\n}",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(jackson_pretty(&json), expected, "{json:?}");
        }
    }

    #[test]
    fn raw_json_is_pretty_printed_with_jackson_numbers() {
        let node = read_ok(
            r#"{"databaseChangeLog": [{"c": {"$rawJson": {"a": 1.10, "b": [1e3, -0, "x"], "c": {"d": true}}}}]}"#,
        );
        assert_eq!(
            node.child_value("c"),
            Some(
                "{\n  \"a\" : 1.1,\n  \"b\" : [ 1000.0, 0, \"x\" ],\n  \"c\" : {\n    \"d\" : true\n  }\n}"
            )
        );
    }

    #[test]
    fn never_panics_on_truncated_input() {
        let text = r#"{"databaseChangeLog": [{"changeSet": {"id": "é\u00e9\ud83d\ude00", "n": -1.5e+3, "b": [true, false, null], "o": {"$rawJson": {"k": [1]}}}}]}"#;
        for end in 0..=text.len() {
            if let Some(prefix) = text.get(..end) {
                let _ = read(prefix, "f");
            }
        }
    }
}
