//! The scanner: the source text as tokens, as `org.bson.json.JsonScanner` cuts it (punctuation,
//! quoted strings with their escapes, unquoted words, numbers with Java's Int32/Int64/Double
//! inference, `/regex/flags`), and the [`Parser`] state it advances: the position, one token
//! of look-ahead and the marks that let a legacy wrapper be retried as a plain document.
//!
//! Errors point at a byte offset and read as [`JsonError`]s with a line and a column; what the
//! tokens mean is the grammar's business.

use std::borrow::Cow;

use super::JsonError;
use super::java_char::{java_digit, java_is_letter, java_is_whitespace};
use super::message::{line_column, show_char, show_code};
use crate::java::is_trim_blank as is_trimmed;

#[derive(Debug, Clone)]
pub(super) struct Token<'a> {
    pub(super) kind: Kind<'a>,
    /// Byte offsets of the token's text in the source.
    pub(super) start: usize,
    pub(super) end: usize,
}

/// A token's kind and value. Strings without escapes and words are slices of the source: most
/// of them are field names and values that a checking parse drops at once.
#[derive(Debug, Clone)]
pub(super) enum Kind<'a> {
    BeginObject,
    EndObject,
    BeginArray,
    EndArray,
    LeftParen,
    RightParen,
    Colon,
    Comma,
    /// A quoted string (either quote), escapes resolved.
    Str(Cow<'a, str>),
    /// `JsonTokenType.UNQUOTED_STRING`: `$`, `_`, letters and digits.
    Word(&'a str),
    Int32(i32),
    Int64(i64),
    Double(f64),
    Regex(String, String),
    Eof,
}

impl Kind<'_> {
    /// The text of a token that may serve as a field name or an Extended JSON key.
    pub(super) fn key(&self) -> Option<&str> {
        match self {
            Kind::Str(s) => Some(s),
            Kind::Word(s) => Some(s),
            _ => None,
        }
    }
}

/// A saved scanner position, as `JsonReader.Mark` saves one to retry a legacy form.
pub(super) struct Mark<'a> {
    pub(super) pos: usize,
    pushed: Option<Token<'a>>,
}

/// The reader: the scanner's position and look-ahead, and beside them the two things the
/// grammar tracks (depth and mode). Each part of the dialect adds its methods in its own module,
/// as `JsonReader` is one class over one `JsonScanner`.
pub(super) struct Parser<'a> {
    src: &'a str,
    /// Byte offset of the next character to scan.
    pub(super) pos: usize,
    /// Byte offset where the trimmed text ends.
    end: usize,
    /// `JsonReader.pushedToken`: one token of look-ahead.
    pushed: Option<Token<'a>>,
    /// How many documents and arrays are open; the grammar stops at `MAX_DEPTH`.
    pub(super) depth: usize,
    /// Whether documents and arrays keep their contents. A checking parser reads and checks
    /// every value exactly as a building one but leaves each container empty, so its result
    /// has the right types (which the callers check) and nothing else.
    pub(super) keep: bool,
}

impl<'a> Parser<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        let end = src.trim_end_matches(is_trimmed).len();
        let start = src.len() - src.trim_start_matches(is_trimmed).len();
        Parser {
            src,
            pos: start.min(end),
            end,
            pushed: None,
            depth: 0,
            keep: true,
        }
    }

    /// A parser that checks `src` without building its documents and arrays.
    pub(super) fn checking(src: &'a str) -> Self {
        Parser {
            keep: false,
            ..Parser::new(src)
        }
    }

    pub(super) fn is_blank(&self) -> bool {
        self.pos >= self.end
    }

    pub(super) fn error_at(&self, at: usize, message: impl Into<String>) -> JsonError {
        let (line, column) = line_column(self.src, at);
        JsonError {
            line,
            column,
            message: message.into(),
        }
    }

    pub(super) fn unexpected(&self, token: &Token<'_>, expected: &str) -> JsonError {
        self.error_at(
            token.start,
            format!("expected {expected} but found {}", self.describe(token)),
        )
    }

    /// How a found token reads in a message: its source text in backticks, shortened.
    pub(super) fn describe(&self, token: &Token<'_>) -> String {
        if matches!(token.kind, Kind::Eof) {
            return "end of input".to_owned();
        }
        show_code(self.src.get(token.start..token.end).unwrap_or(""))
    }

    pub(super) fn mark(&self) -> Mark<'a> {
        Mark {
            pos: self.pos,
            pushed: self.pushed.clone(),
        }
    }

    pub(super) fn reset(&mut self, mark: Mark<'a>) {
        self.pos = mark.pos;
        self.pushed = mark.pushed;
    }

    pub(super) fn next(&mut self) -> Result<Token<'a>, JsonError> {
        match self.pushed.take() {
            Some(token) => Ok(token),
            None => self.scan(),
        }
    }

    pub(super) fn push(&mut self, token: Token<'a>) {
        // The grammar never needs two tokens of look-ahead; a second push would be a bug here,
        // not bad input, and keeping the newer token is the safe choice.
        self.pushed = Some(token);
    }

    fn peek_char(&self) -> Option<char> {
        self.src
            .get(self.pos..self.end)
            .and_then(|rest| rest.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// `JsonScanner.nextToken`.
    fn scan(&mut self) -> Result<Token<'a>, JsonError> {
        while let Some(c) = self.peek_char() {
            if !java_is_whitespace(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        let start = self.pos;
        let Some(c) = self.bump() else {
            return Ok(Token {
                kind: Kind::Eof,
                start,
                end: start,
            });
        };
        let kind = match c {
            '{' => Kind::BeginObject,
            '}' => Kind::EndObject,
            '[' => Kind::BeginArray,
            ']' => Kind::EndArray,
            '(' => Kind::LeftParen,
            ')' => Kind::RightParen,
            ':' => Kind::Colon,
            ',' => Kind::Comma,
            '\'' | '"' => self.scan_string(c, start)?,
            '/' => self.scan_regex(start)?,
            '-' => self.scan_number(c, start)?,
            c if java_digit(c).is_some() => self.scan_number(c, start)?,
            '$' | '_' => self.scan_word(start),
            c if java_is_letter(c) => self.scan_word(start),
            c => {
                return Err(self.error_at(start, format!("unexpected character {}", show_char(c))));
            }
        };
        Ok(Token {
            kind,
            start,
            end: self.pos,
        })
    }

    /// `JsonScanner.scanUnquotedString`.
    fn scan_word(&mut self, start: usize) -> Kind<'a> {
        while let Some(c) = self.peek_char() {
            if c == '$' || c == '_' || java_is_letter(c) || java_digit(c).is_some() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        Kind::Word(self.src.get(start..self.pos).unwrap_or(""))
    }

    /// `JsonScanner.scanNumber`: `-?digits(.digits)?([eE][+-]?digits)?` or `-Infinity`, ended by
    /// `,` `}` `]` `)`, whitespace or the end. Leading zeros are allowed; digits are any Unicode
    /// decimal digits (`Character.isDigit`), which `Long.parseLong` accepts and `Double.parseDouble`
    /// does not.
    fn scan_number(&mut self, first: char, start: usize) -> Result<Kind<'a>, JsonError> {
        let mut ascii = String::new();
        let mut non_ascii_digit = false;
        let mut is_double = false;
        let mut push_digit = |ascii: &mut String, c: char| {
            if let Some(d) = java_digit(c) {
                if !c.is_ascii_digit() {
                    non_ascii_digit = true;
                }
                ascii.push(char::from(b'0' + d));
            }
        };
        if first == '-' {
            ascii.push('-');
            match self.peek_char() {
                Some('I') => {
                    for expected in "Infinity".chars() {
                        if self.peek_char() != Some(expected) {
                            return Err(self.invalid_number(start));
                        }
                        self.pos += 1;
                    }
                    self.number_end(start)?;
                    return Ok(Kind::Double(f64::NEG_INFINITY));
                }
                Some(c) if java_digit(c).is_some() => {
                    self.pos += c.len_utf8();
                    push_digit(&mut ascii, c);
                }
                _ => return Err(self.invalid_number(start)),
            }
        } else {
            push_digit(&mut ascii, first);
        }
        self.scan_digits(&mut ascii, &mut push_digit);
        if self.peek_char() == Some('.') {
            self.pos += 1;
            is_double = true;
            ascii.push('.');
            if !self.scan_digits(&mut ascii, &mut push_digit) {
                return Err(self.invalid_number(start));
            }
        }
        if let Some(e @ ('e' | 'E')) = self.peek_char() {
            self.pos += 1;
            is_double = true;
            ascii.push(e);
            if let Some(sign @ ('+' | '-')) = self.peek_char() {
                self.pos += 1;
                ascii.push(sign);
            }
            if !self.scan_digits(&mut ascii, &mut push_digit) {
                return Err(self.invalid_number(start));
            }
        }
        self.number_end(start)?;
        if is_double {
            if non_ascii_digit {
                return Err(self.invalid_number(start));
            }
            return ascii
                .parse::<f64>()
                .map(Kind::Double)
                .map_err(|_| self.invalid_number(start));
        }
        match ascii.parse::<i64>() {
            Ok(value) => Ok(match i32::try_from(value) {
                Ok(small) => Kind::Int32(small),
                Err(_) => Kind::Int64(value),
            }),
            Err(_) => Err(self.error_at(
                start,
                format!(
                    "integer `{}` does not fit in 64 bits",
                    self.src.get(start..self.pos).unwrap_or("")
                ),
            )),
        }
    }

    /// Scans digits into `ascii`; true if there was at least one.
    fn scan_digits(
        &mut self,
        ascii: &mut String,
        push_digit: &mut impl FnMut(&mut String, char),
    ) -> bool {
        let mut any = false;
        while let Some(c) = self.peek_char() {
            if java_digit(c).is_none() {
                break;
            }
            self.pos += c.len_utf8();
            push_digit(ascii, c);
            any = true;
        }
        any
    }

    fn number_end(&mut self, start: usize) -> Result<(), JsonError> {
        match self.peek_char() {
            None | Some(',' | '}' | ']' | ')') => Ok(()),
            Some(c) if java_is_whitespace(c) => Ok(()),
            Some(_) => Err(self.invalid_number(start)),
        }
    }

    fn invalid_number(&self, start: usize) -> JsonError {
        let mut end = self.pos;
        // Show the character that broke the number too, unless it is a separator.
        if let Some(c) = self.peek_char()
            && !matches!(c, ',' | '}' | ']' | ')')
            && !java_is_whitespace(c)
        {
            end += c.len_utf8();
        }
        let text = self.src.get(start..end).unwrap_or("");
        self.error_at(start, format!("invalid number `{text}`"))
    }

    /// `JsonScanner.scanString`: either quote, the JSON escapes plus `\'`, raw control characters
    /// and line breaks kept as they are.
    fn scan_string(&mut self, quote: char, start: usize) -> Result<Kind<'a>, JsonError> {
        // The run up to the first quote or backslash (both ASCII, so never inside a UTF-8
        // sequence) is taken whole: most strings have no escape and become one exact copy
        // instead of a string grown a character at a time.
        let src = self.src;
        let rest = src.get(self.pos..self.end).unwrap_or("");
        let plain = rest
            .bytes()
            .position(|b| char::from(b) == quote || b == b'\\')
            .unwrap_or(rest.len());
        self.pos += plain;
        if rest[plain..].starts_with(quote) {
            self.pos += quote.len_utf8();
            return Ok(Kind::Str(Cow::Borrowed(&rest[..plain])));
        }
        let mut value = rest[..plain].to_owned();
        let unterminated = |p: &Self| {
            p.error_at(
                start,
                format!("unterminated string: missing the closing `{quote}`"),
            )
        };
        loop {
            let at = self.pos;
            match self.bump() {
                None => return Err(unterminated(self)),
                Some('\\') => match self.bump() {
                    None => return Err(unterminated(self)),
                    Some('\'') => value.push('\''),
                    Some('"') => value.push('"'),
                    Some('\\') => value.push('\\'),
                    Some('/') => value.push('/'),
                    Some('b') => value.push('\u{8}'),
                    Some('f') => value.push('\u{c}'),
                    Some('n') => value.push('\n'),
                    Some('r') => value.push('\r'),
                    Some('t') => value.push('\t'),
                    Some('u') => value.push(self.scan_unicode_escape(at, start, quote)?),
                    Some(other) => {
                        return Err(self.error_at(
                            at,
                            format!(
                                "invalid escape sequence {} in string",
                                show_code(&format!("\\{other}"))
                            ),
                        ));
                    }
                },
                Some(c) if c == quote => return Ok(Kind::Str(Cow::Owned(value))),
                Some(c) => value.push(c),
            }
        }
    }

    /// The four hex digits after `\u` (at `at`), joining a UTF-16 surrogate pair into one char.
    fn scan_unicode_escape(
        &mut self,
        at: usize,
        start: usize,
        quote: char,
    ) -> Result<char, JsonError> {
        let high = self.scan_hex4(at, start, quote)?;
        if !(0xD800..=0xDFFF).contains(&high) {
            return char::from_u32(high).ok_or_else(|| self.bad_escape(at, "not a character"));
        }
        if high >= 0xDC00 {
            return Err(self.bad_escape(at, "unpaired UTF-16 surrogate"));
        }
        let second = self.pos;
        if self.peek_char() != Some('\\') {
            return Err(self.bad_escape(at, "unpaired UTF-16 surrogate"));
        }
        self.pos += 1;
        if self.peek_char() != Some('u') {
            self.pos = second;
            return Err(self.bad_escape(at, "unpaired UTF-16 surrogate"));
        }
        self.pos += 1;
        let low = self.scan_hex4(second, start, quote)?;
        if !(0xDC00..=0xDFFF).contains(&low) {
            self.pos = second;
            return Err(self.bad_escape(at, "unpaired UTF-16 surrogate"));
        }
        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
        char::from_u32(code).ok_or_else(|| self.bad_escape(at, "not a character"))
    }

    fn scan_hex4(&mut self, at: usize, start: usize, quote: char) -> Result<u32, JsonError> {
        let mut code = 0u32;
        for _ in 0..4 {
            match self.bump() {
                None => {
                    return Err(self.error_at(
                        start,
                        format!("unterminated string: missing the closing `{quote}`"),
                    ));
                }
                Some(c) => match c.to_digit(16) {
                    Some(d) if c.is_ascii() => code = code * 16 + d,
                    _ => return Err(self.bad_escape(at, "expected four hex digits")),
                },
            }
        }
        Ok(code)
    }

    fn bad_escape(&self, at: usize, why: &str) -> JsonError {
        let text = self.src.get(at..self.pos.min(self.end)).unwrap_or("");
        self.error_at(
            at,
            format!(
                "invalid unicode escape {} in string: {why}",
                show_code(text)
            ),
        )
    }

    /// `JsonScanner.scanRegularExpression`: `/pattern/flags`, the pattern kept verbatim (escapes
    /// included), flags only `i`, `m`, `x` and `s`.
    fn scan_regex(&mut self, start: usize) -> Result<Kind<'a>, JsonError> {
        let mut pattern = String::new();
        let unterminated = |p: &Self| {
            p.error_at(
                start,
                "unterminated regular expression: missing the closing `/`",
            )
        };
        loop {
            match self.bump() {
                None => return Err(unterminated(self)),
                Some('\\') => {
                    pattern.push('\\');
                    match self.bump() {
                        None => return Err(unterminated(self)),
                        Some(c) => pattern.push(c),
                    }
                }
                Some('/') => break,
                Some(c) => pattern.push(c),
            }
        }
        let mut options = String::new();
        loop {
            match self.peek_char() {
                Some(c @ ('i' | 'm' | 'x' | 's')) => {
                    self.pos += 1;
                    options.push(c);
                }
                None | Some(',' | '}' | ']' | ')') => break,
                Some(c) if java_is_whitespace(c) => break,
                Some(c) => {
                    return Err(self.error_at(
                        self.pos,
                        format!(
                            "invalid regular expression flag {}: expected `i`, `m`, `s` or `x`",
                            show_char(c)
                        ),
                    ));
                }
            }
        }
        Ok(Kind::Regex(pattern, options))
    }
}
