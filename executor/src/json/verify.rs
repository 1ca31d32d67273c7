//! The checks the grammar, the shell constructors and the Extended JSON wrappers share: the next
//! token must be the one expected (`JsonReader.verifyToken`, `verifyString`), a quoted string
//! (`readStringFromExtendedJson`), and the values checked where their token stands (an ObjectId's
//! 24 hex digits, a binary subtype that fits Java's `byte` cast, a regular expression without
//! NUL, the bad-date message).
//!
//! Each check reads at most one token and reports at that token; none of them recurses.

use mongodb::bson::Bson;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::spec::BinarySubtype;

use super::JsonError;
use super::message::show_code;
use super::scanner::{Kind, Parser, Token};
use super::value::new_regex;

impl<'a> Parser<'a> {
    /// A regular expression value. NUL is refused here: Java accepts it and fails later, when
    /// the document is encoded.
    pub(super) fn regex(&self, at: usize, pattern: &str, options: &str) -> Result<Bson, JsonError> {
        if pattern.contains('\0') || options.contains('\0') {
            return Err(self.error_at(at, "regular expressions must not contain a NUL character"));
        }
        Ok(Bson::RegularExpression(new_regex(pattern, options)))
    }

    /// The next token must be `want` (strict, as `JsonReader.verifyToken`).
    pub(super) fn expect(&mut self, want: &str, context: &str) -> Result<Token<'a>, JsonError> {
        let token = self.next()?;
        let ok = matches!(
            (&token.kind, want),
            (Kind::RightParen, ")")
                | (Kind::Comma, ",")
                | (Kind::Colon, ":")
                | (Kind::BeginObject, "{")
                | (Kind::EndObject, "}")
        );
        if ok {
            Ok(token)
        } else {
            Err(self.unexpected(&token, &format!("`{want}` in `{context}`")))
        }
    }

    /// A quoted string (`readStringFromExtendedJson`).
    pub(super) fn string(&mut self, context: &str) -> Result<(String, Token<'a>), JsonError> {
        let token = self.next()?;
        match token.kind {
            Kind::Str(ref value) => Ok((value.as_ref().to_owned(), token)),
            _ => Err(self.unexpected(&token, &format!("a string in `{context}`"))),
        }
    }

    /// A key that may be quoted or not (`verifyString`).
    pub(super) fn expect_key(&mut self, key: &str, context: &str) -> Result<(), JsonError> {
        let token = self.next()?;
        if token.kind.key() == Some(key) {
            Ok(())
        } else {
            Err(self.unexpected(&token, &format!("`{key}` in `{context}`")))
        }
    }

    /// A binary subtype as Java's `byte` cast takes it; values that would wrap are rejected.
    pub(super) fn subtype_byte(
        &self,
        value: i64,
        token: &Token<'_>,
    ) -> Result<BinarySubtype, JsonError> {
        let byte = if (0..=255).contains(&value) {
            u8::try_from(value).ok()
        } else if (-128..0).contains(&value) {
            u8::try_from(value + 256).ok()
        } else {
            None
        };
        byte.map(BinarySubtype::from).ok_or_else(|| {
            self.error_at(
                token.start,
                format!("binary subtype `{value}` does not fit in a byte"),
            )
        })
    }

    pub(super) fn object_id(
        &self,
        hex: &str,
        token: &Token<'_>,
        context: &str,
    ) -> Result<ObjectId, JsonError> {
        if hex.len() == 24
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
            && let Ok(id) = ObjectId::parse_str(hex)
        {
            return Ok(id);
        }
        Err(self.error_at(
            token.start,
            format!(
                "invalid ObjectId {} in `{context}`: expected 24 hex digits",
                show_code(hex)
            ),
        ))
    }

    pub(super) fn bad_date(&self, token: &Token<'_>, text: &str, context: &str) -> JsonError {
        self.error_at(
            token.start,
            format!(
                "invalid date {} in `{context}`: expected `YYYY-MM-DD` or an ISO-8601 date-time with an offset",
                show_code(text)
            ),
        )
    }
}
