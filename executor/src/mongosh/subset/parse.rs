//! The scanner and parser of the subset: JavaScript's lexical rules (comments, automatic
//! semicolon insertion, string and template escapes, number and regular-expression literals)
//! for scripts made only of `db…` helper calls with literal arguments.
//!
//! Syntax only: `methods` decides what each helper accepts, `values` what each literal is worth.

use mongodb::bson::{Bson, Document, Regex};

use super::methods::{
    COLLECTION_MEMBERS, DATABASE_MEMBERS, collection_action, collection_name, collection_property,
    database_action, database_name, one_string,
};
use super::statement::{Action, Database, Statement, Unsupported};
use super::values::{Arg, construct, integer_key, js_number, js_property_order, u64_to_f64};

/// Deepest object/array nesting accepted (the same bound as the lenient JSON parser).
const MAX_DEPTH: usize = crate::json::MAX_DEPTH;

type Res<T> = Result<T, Unsupported>;

/// What a `db…` chain has reached so far.
enum Target {
    Db(Database),
    Collection(Database, String),
}

/// The parser of one script: a position in the text and the nesting depth reached.
pub(super) struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    /// Line numbers are counted forward from here, so that a long script costs one pass.
    counted: (usize, usize),
}

impl<'a> Parser<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        let src = src.strip_prefix('\u{feff}').unwrap_or(src);
        Parser {
            src,
            pos: 0,
            depth: 0,
            counted: (0, 1),
        }
    }

    // -- errors and positions ------------------------------------------------------------------

    fn error_at(&self, pos: usize, message: impl Into<String>) -> Unsupported {
        let before = &self.src[..pos.min(self.src.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit_once('\n')
            .map_or(before, |(_, l)| l)
            .chars()
            .count()
            + 1;
        Unsupported {
            line,
            column,
            message: message.into(),
        }
    }

    fn error(&self, message: impl Into<String>) -> Unsupported {
        self.error_at(self.pos, message)
    }

    fn line(&mut self) -> usize {
        let (from, line) = self.counted;
        let line = if from <= self.pos {
            line + self.src[from..self.pos].matches('\n').count()
        } else {
            self.src[..self.pos].matches('\n').count() + 1
        };
        self.counted = (self.pos, line);
        line
    }

    // -- characters ----------------------------------------------------------------------------

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, what: &str) -> Res<()> {
        self.skip_trivia()?;
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// After an item of an argument list, object or array: a `,` lets the list go on (`false`;
    /// each caller's loop then accepts `close`, as JavaScript allows a trailing comma), `close`
    /// ends it (`true`), anything else is unexpected (`what` names both).
    fn list_ends(&mut self, close: char, what: &str) -> Res<bool> {
        self.skip_trivia()?;
        if self.eat(',') {
            return Ok(false);
        }
        self.expect(close, what)?;
        Ok(true)
    }

    fn unexpected(&self, what: &str) -> Unsupported {
        match self.peek() {
            None => self.error(format!("expected {what}, found the end of the script")),
            Some(c) => self.error(format!("expected {what}, found `{c}`")),
        }
    }

    /// Skips white space and comments; returns whether a line break was among them (for
    /// JavaScript's automatic semicolon insertion).
    fn skip_trivia(&mut self) -> Res<bool> {
        let mut newline = false;
        loop {
            match self.peek() {
                Some(c) if is_line_terminator(c) => {
                    newline = true;
                    self.bump();
                }
                Some(c) if c.is_whitespace() || c == '\u{feff}' => {
                    self.bump();
                }
                Some('/') if self.peek_at(1) == Some('/') => {
                    while self.peek().is_some_and(|c| !is_line_terminator(c)) {
                        self.bump();
                    }
                }
                Some('/') if self.peek_at(1) == Some('*') => {
                    let start = self.pos;
                    self.pos += 2;
                    match self.src[self.pos..].find("*/") {
                        Some(end) => {
                            newline |= self.src[self.pos..self.pos + end]
                                .chars()
                                .any(is_line_terminator);
                            self.pos += end + 2;
                        }
                        None => return Err(self.error_at(start, "unterminated comment")),
                    }
                }
                _ => return Ok(newline),
            }
        }
    }

    fn identifier(&mut self) -> Option<&'a str> {
        let start = self.pos;
        match self.peek() {
            Some(c) if is_ident_start(c) => {
                self.bump();
            }
            _ => return None,
        }
        while self.peek().is_some_and(is_ident_part) {
            self.bump();
        }
        if self.peek() == Some('\\') {
            // Unicode escapes in identifiers are valid JavaScript but nobody writes them.
            return None;
        }
        Some(&self.src[start..self.pos])
    }

    // -- statements ----------------------------------------------------------------------------

    pub(super) fn script(mut self) -> Res<Vec<Statement>> {
        let mut statements = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.peek().is_none() {
                return Ok(statements);
            }
            if self.eat(';') {
                continue;
            }
            statements.push(self.statement()?);
            let newline = self.skip_trivia()?;
            match self.peek() {
                None => {}
                Some(';') => {
                    self.bump();
                }
                // Automatic semicolon insertion: a line break ends the statement, because the
                // statement parser has already taken every token that could continue it.
                Some(_) if newline => {}
                Some(_) => return Err(self.unexpected("`;` or a line break after the statement")),
            }
        }
    }

    fn statement(&mut self) -> Res<Statement> {
        let start = self.pos;
        let line = self.line();
        let word = self.identifier();
        match word {
            Some("db") => {}
            Some("var" | "let" | "const") => {
                return Err(self.error_at(start, "variables are outside the native subset"));
            }
            Some(
                "for" | "while" | "do" | "if" | "switch" | "try" | "function" | "class" | "return",
            ) => {
                return Err(self.error_at(
                    start,
                    format!(
                        "`{}` is outside the native subset",
                        word.unwrap_or_default()
                    ),
                ));
            }
            Some(other) => {
                return Err(self.error_at(
                    start,
                    format!(
                        "only statements starting with `db` are in the native subset, not `{other}`"
                    ),
                ));
            }
            None => {
                return Err(self.error_at(
                    start,
                    "only statements starting with `db` are in the native subset",
                ));
            }
        }
        let mut target = Target::Db(Database::Url);
        loop {
            self.skip_trivia()?;
            let member_pos = self.pos;
            let member = match self.peek() {
                Some('.') => {
                    self.bump();
                    self.skip_trivia()?;
                    match self.identifier() {
                        Some(name) => name.to_owned(),
                        None => return Err(self.unexpected("a property name after `.`")),
                    }
                }
                Some('[') => {
                    self.bump();
                    self.skip_trivia()?;
                    let name = self.string_literal()?;
                    self.expect(']', "`]`")?;
                    name
                }
                Some('(') => {
                    return Err(self.error("only `db` helper methods can be called"));
                }
                _ => {
                    return Err(self.error_at(
                        member_pos,
                        "the statement does not call a helper (e.g. `db.coll.insertOne(…)`)",
                    ));
                }
            };
            self.skip_trivia()?;
            let call = self.peek() == Some('(');
            target = match (target, call) {
                (Target::Db(database), false) => {
                    collection_property(&member, DATABASE_MEMBERS)
                        .map_err(|m| self.error_at(member_pos, m))?;
                    Target::Collection(database, member)
                }
                (Target::Collection(database, name), false) => {
                    collection_property(&member, COLLECTION_MEMBERS)
                        .map_err(|m| self.error_at(member_pos, m))?;
                    Target::Collection(database, format!("{name}.{member}"))
                }
                (Target::Db(database), true) => {
                    let args = self.arguments()?;
                    match member.as_str() {
                        "getSiblingDB" => {
                            let name = one_string(&args, "getSiblingDB")
                                .map_err(|m| self.error_at(member_pos, m))?;
                            database_name(&name).map_err(|m| self.error_at(member_pos, m))?;
                            Target::Db(Database::Named(name))
                        }
                        "getCollection" => {
                            let name = one_string(&args, "getCollection")
                                .map_err(|m| self.error_at(member_pos, m))?;
                            collection_name(&name).map_err(|m| self.error_at(member_pos, m))?;
                            Target::Collection(database, name)
                        }
                        _ => {
                            let action = database_action(&member, args, &database)
                                .map_err(|m| self.error_at(member_pos, m))?;
                            return self.finish(line, database, action);
                        }
                    }
                }
                (Target::Collection(database, name), true) => {
                    let args = self.arguments()?;
                    let action = collection_action(&member, name, args)
                        .map_err(|m| self.error_at(member_pos, m))?;
                    return self.finish(line, database, action);
                }
            };
        }
    }

    /// After a helper call: the statement must end here (its result is not used).
    fn finish(&mut self, line: usize, database: Database, action: Action) -> Res<Statement> {
        let end = self.pos;
        self.skip_trivia()?;
        if matches!(self.peek(), Some('.' | '(' | '[' | '`')) {
            return Err(self.error("using the result of a helper is outside the native subset"));
        }
        // The caller looks at the trivia again for a line break.
        self.pos = end;
        Ok(Statement {
            line,
            database,
            action,
        })
    }

    fn arguments(&mut self) -> Res<Vec<Bson>> {
        self.parenthesized(Self::value)
    }

    /// `( item, item, … )`, each item read by `item`: JavaScript's argument list, empty or not,
    /// a trailing comma allowed.
    fn parenthesized<T>(&mut self, mut item: impl FnMut(&mut Self) -> Res<T>) -> Res<Vec<T>> {
        self.expect('(', "`(`")?;
        let mut items = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.eat(')') {
                return Ok(items);
            }
            items.push(item(self)?);
            if self.list_ends(')', "`,` or `)`")? {
                return Ok(items);
            }
        }
    }

    // -- values --------------------------------------------------------------------------------

    fn value(&mut self) -> Res<Bson> {
        self.skip_trivia()?;
        let start = self.pos;
        match self.peek() {
            Some('{') => self.object().map(Bson::Document),
            Some('[') => self.array().map(Bson::Array),
            Some('"' | '\'') => self.string_literal().map(Bson::String),
            Some('`') => self.template().map(Bson::String),
            Some('/') => self.regex(),
            Some('-' | '+') => {
                let negative = self.bump() == Some('-');
                self.skip_trivia()?;
                let n = self.number_or_constant()?;
                Ok(js_number(if negative { -n } else { n }))
            }
            Some(c) if c.is_ascii_digit() || c == '.' => Ok(js_number(self.number()?)),
            Some(c) if is_ident_start(c) => {
                let word = self
                    .identifier()
                    .ok_or_else(|| self.error("unsupported identifier"))?;
                match word {
                    "true" => Ok(Bson::Boolean(true)),
                    "false" => Ok(Bson::Boolean(false)),
                    "null" => Ok(Bson::Null),
                    "Infinity" => Ok(Bson::Double(f64::INFINITY)),
                    "NaN" => Ok(Bson::Double(f64::NAN)),
                    "undefined" => Err(self.error_at(
                        start,
                        "`undefined` is outside the native subset; use `null`",
                    )),
                    "new" => {
                        self.skip_trivia()?;
                        let ctor_pos = self.pos;
                        let name = self
                            .identifier()
                            .ok_or_else(|| self.unexpected("a constructor after `new`"))?;
                        self.constructor(name, true, ctor_pos)
                    }
                    "function" | "async" => {
                        Err(self.error_at(start, "functions are outside the native subset"))
                    }
                    name => {
                        self.skip_trivia()?;
                        if self.peek() == Some('(') {
                            self.constructor(name, false, start)
                        } else {
                            Err(self.error_at(
                                start,
                                format!("variables are outside the native subset (`{name}`)"),
                            ))
                        }
                    }
                }
            }
            _ => Err(self.unexpected("a value")),
        }
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn object(&mut self) -> Res<Document> {
        self.enter()?;
        self.bump(); // `{`
        let mut plain: Vec<(String, Bson)> = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.eat('}') {
                break;
            }
            let key_pos = self.pos;
            let key = match self.peek() {
                Some('"' | '\'') => self.string_literal()?,
                Some(c) if c.is_ascii_digit() => {
                    let n = self.number()?;
                    integer_key(n).ok_or_else(|| {
                        self.error_at(
                            key_pos,
                            "only integer numeric keys are in the native subset",
                        )
                    })?
                }
                Some(c) if is_ident_start(c) => self
                    .identifier()
                    .ok_or_else(|| self.error("unsupported key"))?
                    .to_owned(),
                Some('[') => {
                    return Err(self.error("computed keys are outside the native subset"));
                }
                Some('.') => return Err(self.error("spread is outside the native subset")),
                _ => return Err(self.unexpected("a key or `}`")),
            };
            if key == "__proto__" {
                // `{__proto__: x}` sets the prototype in JavaScript; it is not a field.
                return Err(
                    self.error_at(key_pos, "`__proto__` keys are outside the native subset")
                );
            }
            self.skip_trivia()?;
            if !self.eat(':') {
                return Err(self.error("shorthand properties and methods are outside the native subset; write `key: value`"));
            }
            let value = self.value()?;
            // A repeated key keeps its first position and takes the last value.
            match plain.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => plain.push((key, value)),
            }
            if self.list_ends('}', "`,` or `}`")? {
                break;
            }
        }
        self.depth -= 1;
        Ok(js_property_order(plain))
    }

    fn array(&mut self) -> Res<Vec<Bson>> {
        self.enter()?;
        self.bump(); // `[`
        let mut items = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.eat(']') {
                break;
            }
            if self.peek() == Some(',') {
                return Err(self.error("array holes are outside the native subset"));
            }
            items.push(self.value()?);
            if self.list_ends(']', "`,` or `]`")? {
                break;
            }
        }
        self.depth -= 1;
        Ok(items)
    }

    /// A single- or double-quoted string with JavaScript's escapes.
    fn string_literal(&mut self) -> Res<String> {
        let start = self.pos;
        let quote = match self.bump() {
            Some(q @ ('"' | '\'')) => q,
            _ => return Err(self.error_at(start, "expected a string")),
        };
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error_at(start, "unterminated string")),
                Some(c) if c == quote => return Ok(out),
                Some('\\') => self.escape(&mut out)?,
                Some('\n' | '\r') => return Err(self.error_at(start, "unterminated string")),
                Some(c) => out.push(c),
            }
        }
    }

    /// A template literal without substitutions.
    fn template(&mut self) -> Res<String> {
        let start = self.pos;
        self.bump(); // '`'
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error_at(start, "unterminated template literal")),
                Some('`') => return Ok(out),
                Some('$') if self.peek() == Some('{') => {
                    return Err(self.error("template substitutions are outside the native subset"));
                }
                Some('\\') => self.escape(&mut out)?,
                // Template literals normalise CRLF and CR to LF.
                Some('\r') => {
                    self.eat('\n');
                    out.push('\n');
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// One escape sequence after `\` (ECMAScript `EscapeSequence`, no legacy octal).
    fn escape(&mut self, out: &mut String) -> Res<()> {
        let at = self.pos;
        match self.bump() {
            None => Err(self.error_at(at, "unterminated escape")),
            Some('n') => {
                out.push('\n');
                Ok(())
            }
            Some('r') => {
                out.push('\r');
                Ok(())
            }
            Some('t') => {
                out.push('\t');
                Ok(())
            }
            Some('b') => {
                out.push('\u{8}');
                Ok(())
            }
            Some('f') => {
                out.push('\u{c}');
                Ok(())
            }
            Some('v') => {
                out.push('\u{b}');
                Ok(())
            }
            Some('0') if !self.peek().is_some_and(|c| c.is_ascii_digit()) => {
                out.push('\0');
                Ok(())
            }
            Some(c) if c.is_ascii_digit() => {
                Err(self.error_at(at, "octal escapes are outside the native subset"))
            }
            Some('x') => {
                let code = self.hex_digits(2, 2)?;
                out.push(char::from_u32(code).ok_or_else(|| self.error_at(at, "invalid escape"))?);
                Ok(())
            }
            Some('u') => {
                let unit = self.unicode_escape()?;
                if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    if self.src[self.pos..].starts_with("\\u") {
                        self.pos += 2;
                        let low = self.unicode_escape()?;
                        if (0xDC00..0xE000).contains(&low) {
                            let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                            if let Some(c) = char::from_u32(code) {
                                out.push(c);
                                return Ok(());
                            }
                        }
                    }
                    return Err(self.error_at(
                        at,
                        "unpaired surrogate escapes are outside the native subset",
                    ));
                }
                out.push(char::from_u32(unit).ok_or_else(|| {
                    self.error_at(
                        at,
                        "unpaired surrogate escapes are outside the native subset",
                    )
                })?);
                Ok(())
            }
            // A line continuation adds nothing.
            Some('\r') => {
                self.eat('\n');
                Ok(())
            }
            Some(c) if is_line_terminator(c) => Ok(()),
            Some(c) => {
                out.push(c);
                Ok(())
            }
        }
    }

    fn unicode_escape(&mut self) -> Res<u32> {
        if self.eat('{') {
            let code = self.hex_digits(1, 6)?;
            if !self.eat('}') || code > 0x10FFFF {
                return Err(self.error("invalid `\\u{…}` escape"));
            }
            Ok(code)
        } else {
            self.hex_digits(4, 4)
        }
    }

    fn hex_digits(&mut self, min: usize, max: usize) -> Res<u32> {
        let mut value = 0u32;
        let mut count = 0;
        while count < max {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    value = value * 16 + d;
                    count += 1;
                    self.bump();
                }
                None => break,
            }
        }
        if count < min {
            return Err(self.error("invalid hexadecimal escape"));
        }
        Ok(value)
    }

    /// `/source/flags`.
    fn regex(&mut self) -> Res<Bson> {
        let start = self.pos;
        self.bump(); // '/'
        let body_start = self.pos;
        let mut in_class = false;
        loop {
            match self.bump() {
                None => return Err(self.error_at(start, "unterminated regular expression")),
                Some(c) if is_line_terminator(c) => {
                    return Err(self.error_at(start, "unterminated regular expression"));
                }
                Some('\\') => match self.bump() {
                    Some(c) if !is_line_terminator(c) => {}
                    _ => return Err(self.error_at(start, "unterminated regular expression")),
                },
                Some('[') => in_class = true,
                Some(']') => in_class = false,
                Some('/') if !in_class => break,
                Some(_) => {}
            }
        }
        let source = &self.src[body_start..self.pos - 1];
        let flags_start = self.pos;
        while self.peek().is_some_and(is_ident_part) {
            self.bump();
        }
        let flags = &self.src[flags_start..self.pos];
        let mut options = String::new();
        // As js-bson's serializeRegExp: `i`, then `g` written as `s`, then `m`; other flags are
        // dropped. Only `i` and `m` keep their meaning, so only they are in the subset.
        for wanted in ['i', 'm'] {
            if flags.contains(wanted) {
                options.push(wanted);
            }
        }
        let repeated = flags.chars().any(|c| flags.matches(c).count() > 1);
        if repeated || flags.chars().any(|c| !matches!(c, 'i' | 'm')) {
            return Err(self.error_at(
                flags_start,
                format!("regular expression flags other than `i` and `m` are outside the native subset (`{flags}`)"),
            ));
        }
        if source.contains('\0') {
            return Err(self.error_at(start, "NUL in a regular expression"));
        }
        Ok(Bson::RegularExpression(Regex {
            pattern: source.to_owned(),
            options,
        }))
    }

    /// A number literal or `Infinity`/`NaN` after a sign.
    fn number_or_constant(&mut self) -> Res<f64> {
        match self.peek() {
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if is_ident_start(c) => {
                let start = self.pos;
                match self.identifier() {
                    Some("Infinity") => Ok(f64::INFINITY),
                    Some("NaN") => Ok(f64::NAN),
                    _ => Err(self.error_at(
                        start,
                        "a sign applies only to number literals in the native subset",
                    )),
                }
            }
            _ => Err(self.unexpected("a number")),
        }
    }

    /// A numeric literal: decimal (with fraction and exponent), `0x`, `0o` or `0b`.
    fn number(&mut self) -> Res<f64> {
        let start = self.pos;
        let rest = &self.src[self.pos..];
        let radix = match rest.get(..2) {
            Some("0x" | "0X") => Some(16),
            Some("0o" | "0O") => Some(8),
            Some("0b" | "0B") => Some(2),
            _ => None,
        };
        let value = if let Some(radix) = radix {
            self.pos += 2;
            let digits_start = self.pos;
            while self.peek().is_some_and(|c| c.is_digit(radix)) {
                self.bump();
            }
            let digits = &self.src[digits_start..self.pos];
            if digits.is_empty() {
                return Err(self.error_at(start, "invalid number"));
            }
            // Exact for every value a double holds exactly; larger ones round like JavaScript
            // only up to 2^53, so longer literals are refused.
            let v = u64::from_str_radix(digits, radix)
                .ok()
                .filter(|v| *v <= 1 << 53)
                .ok_or_else(|| self.error_at(start, "integer literal beyond 2^53"))?;
            u64_to_f64(v)
        } else {
            let digits = |p: &mut Self| {
                let s = p.pos;
                while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                    p.bump();
                }
                p.pos - s
            };
            let int_start = self.pos;
            let int_len = digits(self);
            if int_len > 1 && self.src[int_start..].starts_with('0') {
                return Err(
                    self.error_at(start, "legacy octal literals are outside the native subset")
                );
            }
            let mut frac_len = 0;
            if self.eat('.') {
                frac_len = digits(self);
            }
            if int_len == 0 && frac_len == 0 {
                return Err(self.error_at(start, "invalid number"));
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                self.bump();
                if !self.eat('+') {
                    self.eat('-');
                }
                if digits(self) == 0 {
                    return Err(self.error_at(start, "invalid number"));
                }
            }
            self.src[start..self.pos]
                .parse::<f64>()
                .map_err(|_| self.error_at(start, "invalid number"))?
        };
        if self.peek().is_some_and(|c| is_ident_part(c) || c == '.') {
            // `1n` (BigInt), `3in`, `1_000`, `1..toString()`.
            return Err(self.error_at(start, "unsupported number literal"));
        }
        Ok(value)
    }

    /// A shell constructor call (`ObjectId(…)`, `ISODate(…)`, `new Date(…)`, …) at `start`.
    fn constructor(&mut self, name: &str, with_new: bool, start: usize) -> Res<Bson> {
        let args = self.constructor_arguments()?;
        construct(name, with_new, &args).map_err(|m| self.error_at(start, m))
    }

    /// Constructor arguments: number literals (signed), strings, and for `Timestamp` a plain
    /// object of numbers.
    fn constructor_arguments(&mut self) -> Res<Vec<Arg>> {
        self.parenthesized(Self::constructor_argument)
    }

    fn constructor_argument(&mut self) -> Res<Arg> {
        Ok(match self.peek() {
            Some('"' | '\'') => Arg::Str(self.string_literal()?),
            Some('{') => match self.value()? {
                Bson::Document(d) => Arg::Obj(d),
                _ => return Err(self.error("unsupported constructor argument")),
            },
            Some('-') => {
                self.bump();
                self.skip_trivia()?;
                Arg::Num(-self.number_or_constant()?)
            }
            Some('+') => {
                self.bump();
                self.skip_trivia()?;
                Arg::Num(self.number_or_constant()?)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => Arg::Num(self.number()?),
            _ => {
                return Err(self.error(
                    "constructor arguments must be number or string literals in the native subset",
                ));
            }
        })
    }
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn is_ident_start(c: char) -> bool {
    c == '$' || c == '_' || c.is_alphabetic()
}

fn is_ident_part(c: char) -> bool {
    is_ident_start(c) || c.is_alphanumeric() || c == '\u{200c}' || c == '\u{200d}'
}
