//! The grammar: values, documents and arrays as `org.bson.json.JsonReader` reads them from the
//! scanner's tokens, with optional and trailing commas, unquoted keys, literals, and the choice
//! between a plain document and an Extended JSON wrapper, or a bare word and a shell
//! constructor. It alone recurses, and it limits nesting to [`MAX_DEPTH`] levels.
//!
//! What a wrapper or a constructor reads inside is theirs (`extended.rs`, `constructor.rs`); this
//! module only dispatches to them.

use std::borrow::Cow;

use mongodb::bson::{Bson, Document};

use super::constructor::NEW_CONSTRUCTORS;
use super::scanner::{Kind, Parser, Token};
use super::{JsonError, MAX_DEPTH};

impl<'a> Parser<'a> {
    pub(super) fn expect_end(&mut self, what: &str) -> Result<(), JsonError> {
        let token = self.next()?;
        match token.kind {
            Kind::Eof => Ok(()),
            _ => Err(self.unexpected(&token, &format!("end of input after the {what}"))),
        }
    }

    /// After a value inside a document or an array `JsonReader.readBsonType` pops one token and
    /// keeps it only if it is a comma: commas are optional. True if a comma was consumed.
    fn skip_comma(&mut self) -> Result<bool, JsonError> {
        let token = self.next()?;
        if matches!(token.kind, Kind::Comma) {
            Ok(true)
        } else {
            self.push(token);
            Ok(false)
        }
    }

    fn enter(&mut self, at: usize) -> Result<(), JsonError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_at(at, format!("nesting is deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        Ok(())
    }

    /// A value. `in_container` is true when the value sits in a document or an array, where
    /// Java's optional-comma check runs right after the opening bracket of a nested container:
    /// `{a: [,1]}` and `{a: {,b: 1}}` are accepted, a top-level `{,a: 1}` is not.
    pub(super) fn value(&mut self, in_container: bool) -> Result<Bson, JsonError> {
        let token = self.next()?;
        self.value_from(token, in_container)
    }

    // The recursive path (`value_from`, `array_items`, `object`, `document_body`,
    // `code_extended`) keeps its frames small: everything else lives in `#[inline(never)]`
    // helpers, so the deepest accepted nesting fits a 1 MiB stack even in debug builds.
    pub(super) fn value_from(
        &mut self,
        token: Token<'a>,
        in_container: bool,
    ) -> Result<Bson, JsonError> {
        match token.kind {
            Kind::BeginArray => self.array(token.start, in_container),
            Kind::BeginObject => self.object(token.start, in_container),
            _ => self.scalar(token),
        }
    }

    fn array(&mut self, at: usize, in_container: bool) -> Result<Bson, JsonError> {
        let items = self.array_items(at, in_container, self.keep)?;
        Ok(Bson::Array(
            items.into_iter().map(|(value, _)| value).collect(),
        ))
    }

    #[inline(never)]
    fn scalar(&mut self, token: Token<'a>) -> Result<Bson, JsonError> {
        match token.kind {
            Kind::Double(value) => Ok(Bson::Double(value)),
            Kind::Int32(value) => Ok(Bson::Int32(value)),
            Kind::Int64(value) => Ok(Bson::Int64(value)),
            Kind::Regex(ref pattern, ref options) => self.regex(token.start, pattern, options),
            // A checking parse keeps the type of a string, not its text.
            Kind::Str(value) if self.keep => Ok(Bson::String(value.into_owned())),
            Kind::Str(_) => Ok(Bson::String(String::new())),
            Kind::Word(word) => self.word(word, &token),
            _ => Err(self.unexpected(&token, "a value")),
        }
    }

    /// The elements of an array whose `[` is already read, each with its start offset; none
    /// (but every one read and checked) unless `collect`.
    pub(super) fn array_items(
        &mut self,
        at: usize,
        in_container: bool,
        collect: bool,
    ) -> Result<Vec<(Bson, usize)>, JsonError> {
        self.enter(at)?;
        if in_container {
            self.skip_comma()?;
        }
        let mut items = Vec::new();
        let mut after_value = false;
        loop {
            let token = self.next()?;
            if matches!(token.kind, Kind::EndArray) {
                break;
            }
            self.check_array_token(&token, after_value)?;
            let start = token.start;
            let value = self.value_from(token, true)?;
            if collect {
                items.push((value, start));
            }
            after_value = !self.skip_comma()?;
        }
        self.depth -= 1;
        Ok(items)
    }

    #[inline(never)]
    fn check_array_token(&self, token: &Token<'_>, after_value: bool) -> Result<(), JsonError> {
        match token.kind {
            Kind::Colon
            | Kind::Comma
            | Kind::LeftParen
            | Kind::RightParen
            | Kind::EndObject
            | Kind::Eof => {
                let expected = if after_value {
                    "`,` or `]`"
                } else {
                    "a value or `]`"
                };
                Err(self.unexpected(token, expected))
            }
            _ => Ok(()),
        }
    }

    /// A `{` value: an Extended JSON wrapper when its first key names one
    /// (`JsonReader.visitExtendedJSON`), else a plain document.
    fn object(&mut self, at: usize, in_container: bool) -> Result<Bson, JsonError> {
        let first = self.next()?;
        if first.kind.key() == Some("$code") {
            return self.code_extended();
        }
        if let Some(value) = self.extended(&first)? {
            return Ok(value);
        }
        self.push(first);
        self.enter(at)?;
        if in_container {
            self.skip_comma()?;
        }
        let doc = self.document_body()?;
        self.depth -= 1;
        Ok(Bson::Document(doc))
    }

    /// `visitJavaScriptExtendedJson`: `{$code: "…"}` or `{$code: "…", $scope: {…}}`.
    fn code_extended(&mut self) -> Result<Bson, JsonError> {
        let (code, scope_at) = self.code_head()?;
        let Some(at) = scope_at else {
            return Ok(Bson::JavaScriptCode(code));
        };
        self.enter(at)?;
        let scope = self.value(false);
        self.depth -= 1;
        self.code_tail(code, scope?, at)
    }

    fn document_body(&mut self) -> Result<Document, JsonError> {
        let mut doc = Document::new();
        let mut after_value = false;
        while let Some(key) = self.field_name(after_value)? {
            let value = self.value(true)?;
            // As `LinkedHashMap.put` in Java's `Document`: a repeated key keeps its first
            // position and takes the last value.
            if self.keep {
                doc.insert(key.into_owned(), value);
            }
            after_value = !self.skip_comma()?;
        }
        Ok(doc)
    }

    /// The next field name and its `:`, or `None` at the closing `}`.
    #[inline(never)]
    fn field_name(&mut self, after_value: bool) -> Result<Option<Cow<'a, str>>, JsonError> {
        let token = self.next()?;
        let start = token.start;
        let key = match token.kind {
            Kind::EndObject => return Ok(None),
            // The token is spent: its text becomes the key, copied only if the document is kept.
            Kind::Str(key) => key,
            Kind::Word(key) => Cow::Borrowed(key),
            kind => {
                let expected = if after_value {
                    "`,` or `}`"
                } else {
                    "a field name or `}`"
                };
                return Err(self.unexpected(&Token { kind, ..token }, expected));
            }
        };
        if key.contains('\0') {
            return Err(self.error_at(start, "field names must not contain a NUL character"));
        }
        let colon = self.next()?;
        if !matches!(colon.kind, Kind::Colon) {
            return Err(self.unexpected(&colon, "`:`"));
        }
        Ok(Some(key))
    }

    /// A bare word in value position: a literal or a shell constructor without `new`.
    fn word(&mut self, word: &str, token: &Token<'_>) -> Result<Bson, JsonError> {
        Ok(match word {
            "true" => Bson::Boolean(true),
            "false" => Bson::Boolean(false),
            "null" => Bson::Null,
            "undefined" => Bson::Undefined,
            "Infinity" => Bson::Double(f64::INFINITY),
            "NaN" => Bson::Double(f64::NAN),
            "new" => {
                let name = self.next()?;
                match name.kind {
                    Kind::Word(ctor) if NEW_CONSTRUCTORS.contains(&ctor) => {
                        self.constructor(ctor, true)?
                    }
                    Kind::Word("Timestamp") => {
                        return Err(self.error_at(
                            name.start,
                            "`Timestamp(…)` cannot be used with `new`: write `Timestamp(t, i)`",
                        ));
                    }
                    _ => return Err(self.unexpected(&name, "a constructor name after `new`")),
                }
            }
            "Timestamp" => self.constructor(word, false)?,
            _ if NEW_CONSTRUCTORS.contains(&word) => self.constructor(word, false)?,
            _ => return Err(self.unexpected(token, "a value")),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::json::{MAX_DEPTH, parse_document, parse_value};

    #[test]
    fn nesting_is_limited() {
        let deep = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        assert!(parse_value(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(
            parse_value(&deep(MAX_DEPTH + 1)).map_err(|e| e.to_string()),
            Err(format!(
                "line 1, column {}: nesting is deeper than 200 levels",
                MAX_DEPTH + 1
            ))
        );
        // Far too deep for the stack if it were not limited.
        assert!(parse_value(&"[{a: ".repeat(100_000)).is_err());
        assert!(parse_document(&"{$code: '', $scope: {x: ".repeat(100_000)).is_err());
    }

    #[test]
    fn the_deepest_accepted_nesting_fits_a_small_stack() {
        let texts = [
            format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH)),
            format!("{}1{}", "{a: ".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH)),
            // Each level is a `$scope` and the document in it.
            format!(
                "{}1{}",
                "{$code: '', $scope: {x: ".repeat(MAX_DEPTH / 2),
                "}}".repeat(MAX_DEPTH / 2)
            ),
            format!(
                "{}1{}",
                "[{a: ".repeat(MAX_DEPTH / 2),
                "}]".repeat(MAX_DEPTH / 2)
            ),
        ];
        let worker = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                texts
                    .iter()
                    .map(|text| parse_value(text).map(|_| ()))
                    .collect::<Vec<_>>()
            })
            .expect("spawn a parser thread");
        let results = worker
            .join()
            .expect("the parser thread does not overflow its stack");
        assert_eq!(results, vec![Ok(()); 4]);
    }
}
