//! How error messages quote the input: a found character or text in backticks (shortened), a
//! value's type in words, and a byte offset as the 1-based line and column that
//! [`JsonError`](super::JsonError) carries.
//!
//! Only wording lives here; which error to raise is the reader's business.

use mongodb::bson::Bson;

/// A character as a message shows it: in backticks, or as `U+XXXX` when it would not be seen.
pub(super) fn show_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() || c == '`' {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("`{c}`")
    }
}

/// Source text in backticks, cut after 40 characters.
pub(super) fn show_code(text: &str) -> String {
    let mut shown: String = text.chars().take(40).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("`{shown}`")
}

/// 1-based line and character column of a byte offset.
pub(super) fn line_column(src: &str, at: usize) -> (usize, usize) {
    let before = src.get(..at).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |tail| tail.chars().count())
        + 1;
    (line, column)
}

/// A value's type as a message names it (`a document`, `an int32`, `` `null` ``).
pub(super) fn type_phrase(value: &Bson) -> &'static str {
    match value {
        Bson::Double(_) => "a double",
        Bson::String(_) => "a string",
        Bson::Array(_) => "an array",
        Bson::Document(_) => "a document",
        Bson::Boolean(_) => "a boolean",
        Bson::Null => "`null`",
        Bson::RegularExpression(_) => "a regular expression",
        Bson::JavaScriptCode(_) | Bson::JavaScriptCodeWithScope(_) => "JavaScript code",
        Bson::Int32(_) => "an int32",
        Bson::Int64(_) => "an int64",
        Bson::Timestamp(_) => "a timestamp",
        Bson::Binary(_) => "binary data",
        Bson::ObjectId(_) => "an ObjectId",
        Bson::DateTime(_) => "a date",
        Bson::Symbol(_) => "a symbol",
        Bson::Decimal128(_) => "a decimal128",
        Bson::Undefined => "`undefined`",
        Bson::MaxKey => "`MaxKey`",
        Bson::MinKey => "`MinKey`",
        Bson::DbPointer(_) => "a DBPointer",
    }
}
