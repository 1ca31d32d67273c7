//! Extended JSON wrappers: a `{` whose first key names one (`$oid`, `$date`, `$binary`,
//! `$numberLong`, `$regularExpression`, `$code`, …) is read as the value it wraps, as
//! `JsonReader.visitExtendedJSON` and its `visit…ExtendedJson` methods read it: strictly (no
//! optional or trailing commas inside), both key orders where Java takes both, and the legacy
//! forms (`{$binary: "…", $type: "…"}`, `{$regex: "…", $options: "…"}`) falling back to a plain
//! document when they do not match, as Java's `mark.reset()` does.
//!
//! The grammar decides when a wrapper may start and reads a `$scope`'s document; this module
//! reads the wrapper's own tokens.

use mongodb::bson::oid::ObjectId;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, DateTime, JavaScriptCodeWithScope, Timestamp};

use super::JsonError;
use super::date::parse_iso_date;
use super::message::{show_code, type_phrase};
use super::number::{parse_java_decimal, parse_java_double};
use super::scanner::{Kind, Parser, Token};
use super::value::{db_pointer, java_base64_decode, uuid_bytes};

/// The outcome of a step that Java runs inside `catch (JsonParseException e) { mark.reset(); }`:
/// a soft failure falls back to reading a plain document, a hard one is an error.
enum Fail {
    Soft(JsonError),
    Hard(JsonError),
}

impl Fail {
    fn into_error(self) -> JsonError {
        match self {
            Fail::Soft(error) | Fail::Hard(error) => error,
        }
    }
}

type Attempt<T> = Result<T, Fail>;

fn soft<T>(result: Result<T, JsonError>) -> Attempt<T> {
    result.map_err(Fail::Soft)
}

impl<'a> Parser<'a> {
    /// The wrapper that `key` (the first key of a `{`) opens, or `None` for a plain document.
    /// Wrappers are strict: no optional or trailing commas inside them.
    #[inline(never)]
    pub(super) fn extended(&mut self, first: &Token<'_>) -> Result<Option<Bson>, JsonError> {
        let Some(key) = first.kind.key() else {
            return Ok(None);
        };
        let context = key;
        let value = match key {
            "$binary" | "$type" => return self.binary_extended(key),
            "$regex" | "$options" => return self.legacy_regex(key),
            "$uuid" => {
                self.expect(":", context)?;
                let (text, token) = self.string(context)?;
                self.expect("}", context)?;
                let bytes = uuid_bytes(&text).ok_or_else(|| {
                    self.error_at(
                        token.start,
                        format!(
                            "invalid UUID {} in `$uuid`: expected the form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`",
                            show_code(&text)
                        ),
                    )
                })?;
                Bson::Binary(Binary {
                    subtype: BinarySubtype::Uuid,
                    bytes,
                })
            }
            "$date" => {
                self.expect(":", context)?;
                let token = self.next()?;
                let millis = match token.kind {
                    Kind::BeginObject => {
                        let name = self.next()?;
                        if name.kind.key() != Some("$numberLong") {
                            return Err(self.unexpected(&name, "`$numberLong` in `$date`"));
                        }
                        let millis = self.number_long_body()?;
                        self.expect("}", context)?;
                        return Ok(Some(Bson::DateTime(DateTime::from_millis(millis))));
                    }
                    Kind::Int32(value) => i64::from(value),
                    Kind::Int64(value) => value,
                    Kind::Str(ref text) => {
                        parse_iso_date(text).ok_or_else(|| self.bad_date(&token, text, context))?
                    }
                    _ => {
                        return Err(
                            self.unexpected(&token, "an integer, a string or `{` in `$date`")
                        );
                    }
                };
                self.expect("}", context)?;
                Bson::DateTime(DateTime::from_millis(millis))
            }
            "$maxKey" | "$minKey" => {
                self.expect(":", context)?;
                let token = self.next()?;
                if !matches!(token.kind, Kind::Int32(1)) {
                    return Err(self.unexpected(&token, &format!("`1` in `{context}`")));
                }
                self.expect("}", context)?;
                if key == "$maxKey" {
                    Bson::MaxKey
                } else {
                    Bson::MinKey
                }
            }
            "$oid" => Bson::ObjectId(self.object_id_body()?),
            "$regularExpression" => {
                self.expect(":", context)?;
                self.expect("{", context)?;
                let name = self.next()?;
                let (pattern, options) = match name.kind.key() {
                    Some("pattern") => {
                        self.expect(":", context)?;
                        let (pattern, _) = self.string(context)?;
                        self.expect(",", context)?;
                        self.expect_key("options", context)?;
                        self.expect(":", context)?;
                        (pattern, self.string(context)?.0)
                    }
                    Some("options") => {
                        self.expect(":", context)?;
                        let (options, _) = self.string(context)?;
                        self.expect(",", context)?;
                        self.expect_key("pattern", context)?;
                        self.expect(":", context)?;
                        (self.string(context)?.0, options)
                    }
                    _ => {
                        return Err(self
                            .unexpected(&name, "`pattern` or `options` in `$regularExpression`"));
                    }
                };
                self.expect("}", context)?;
                self.expect("}", context)?;
                self.regex(first.start, &pattern, &options)?
            }
            "$symbol" => {
                self.expect(":", context)?;
                let (symbol, _) = self.string(context)?;
                self.expect("}", context)?;
                Bson::Symbol(symbol)
            }
            "$timestamp" => {
                self.expect(":", context)?;
                self.expect("{", context)?;
                let name = self.next()?;
                let (time, increment) = match name.kind.key() {
                    Some("t") => {
                        self.expect(":", context)?;
                        let time = self.timestamp_part("t")?;
                        self.expect(",", context)?;
                        self.expect_key("i", context)?;
                        self.expect(":", context)?;
                        (time, self.timestamp_part("i")?)
                    }
                    Some("i") => {
                        self.expect(":", context)?;
                        let increment = self.timestamp_part("i")?;
                        self.expect(",", context)?;
                        self.expect_key("t", context)?;
                        self.expect(":", context)?;
                        (self.timestamp_part("t")?, increment)
                    }
                    _ => return Err(self.unexpected(&name, "`t` or `i` in `$timestamp`")),
                };
                self.expect("}", context)?;
                self.expect("}", context)?;
                Bson::Timestamp(Timestamp { time, increment })
            }
            "$undefined" => {
                self.expect(":", context)?;
                let token = self.next()?;
                // Java compares `getValue(String.class)` with "true": `true` or `"true"`.
                if token.kind.key() != Some("true") {
                    return Err(self.unexpected(&token, "`true` in `$undefined`"));
                }
                self.expect("}", context)?;
                Bson::Undefined
            }
            "$numberLong" => Bson::Int64(self.number_long_body()?),
            "$numberInt" => {
                self.expect(":", context)?;
                let (text, token) = self.string(context)?;
                let value = text.parse::<i32>().map_err(|_| {
                    self.error_at(
                        token.start,
                        format!("invalid int32 {} in `$numberInt`", show_code(&text)),
                    )
                })?;
                self.expect("}", context)?;
                Bson::Int32(value)
            }
            "$numberDouble" => {
                self.expect(":", context)?;
                let (text, token) = self.string(context)?;
                let value = parse_java_double(&text).ok_or_else(|| {
                    self.error_at(
                        token.start,
                        format!("invalid double {} in `$numberDouble`", show_code(&text)),
                    )
                })?;
                self.expect("}", context)?;
                Bson::Double(value)
            }
            "$numberDecimal" => {
                self.expect(":", context)?;
                let (text, token) = self.string(context)?;
                let value = parse_java_decimal(&text).map_err(|why| {
                    self.error_at(
                        token.start,
                        format!(
                            "invalid decimal128 {} in `$numberDecimal`: {why}",
                            show_code(&text)
                        ),
                    )
                })?;
                self.expect("}", context)?;
                Bson::Decimal128(value)
            }
            "$dbPointer" => self.db_pointer_extended()?,
            _ => return Ok(None),
        };
        Ok(Some(value))
    }

    /// `: "<code>"` then `}`, or `, $scope:` with the offset of the scope value.
    #[inline(never)]
    pub(super) fn code_head(&mut self) -> Result<(String, Option<usize>), JsonError> {
        let context = "$code";
        self.expect(":", context)?;
        let (code, _) = self.string(context)?;
        let token = self.next()?;
        match token.kind {
            Kind::EndObject => Ok((code, None)),
            Kind::Comma => {
                self.expect_key("$scope", context)?;
                self.expect(":", context)?;
                let start = self.peek_start()?;
                Ok((code, Some(start)))
            }
            _ => Err(self.unexpected(&token, "`,` or `}` in `$code`")),
        }
    }

    #[inline(never)]
    pub(super) fn code_tail(
        &mut self,
        code: String,
        scope: Bson,
        at: usize,
    ) -> Result<Bson, JsonError> {
        let scope = match scope {
            Bson::Document(scope) => scope,
            other => {
                return Err(self.error_at(
                    at,
                    format!(
                        "expected a document in `$scope` but found {}",
                        type_phrase(&other)
                    ),
                ));
            }
        };
        self.expect("}", "$code")?;
        Ok(Bson::JavaScriptCodeWithScope(JavaScriptCodeWithScope {
            code,
            scope,
        }))
    }

    fn peek_start(&mut self) -> Result<usize, JsonError> {
        let token = self.next()?;
        let start = token.start;
        self.push(token);
        Ok(start)
    }

    /// `: "<hex>" }` of `$oid`.
    fn object_id_body(&mut self) -> Result<ObjectId, JsonError> {
        self.expect(":", "$oid")?;
        let (hex, token) = self.string("$oid")?;
        self.expect("}", "$oid")?;
        self.object_id(&hex, &token, "$oid")
    }

    /// `: "<int64>" }` of `$numberLong` (`Long.valueOf`).
    fn number_long_body(&mut self) -> Result<i64, JsonError> {
        self.expect(":", "$numberLong")?;
        let (text, token) = self.string("$numberLong")?;
        let value = text.parse::<i64>().map_err(|_| {
            self.error_at(
                token.start,
                format!("invalid int64 {} in `$numberLong`", show_code(&text)),
            )
        })?;
        self.expect("}", "$numberLong")?;
        Ok(value)
    }

    /// One field of `$timestamp` (`readIntFromExtendedJson`). Java truncates an Int64 to its low
    /// 32 bits; we accept what fits in 32 bits, signed or unsigned, and reject the rest.
    fn timestamp_part(&mut self, field: &str) -> Result<u32, JsonError> {
        let token = self.next()?;
        let value = match token.kind {
            Kind::Int32(value) => i64::from(value),
            Kind::Int64(value) => value,
            _ => {
                return Err(
                    self.unexpected(&token, &format!("an integer for `{field}` in `$timestamp`"))
                );
            }
        };
        let bits = if value < 0 {
            value.checked_add(1 << 32)
        } else {
            Some(value)
        };
        bits.and_then(|bits| u32::try_from(bits).ok())
            .ok_or_else(|| {
                self.error_at(
                    token.start,
                    format!("`$timestamp` field `{field}` value `{value}` does not fit in 32 bits"),
                )
            })
    }

    /// `$binary`/`$type` (`visitBinDataExtendedJson`): the v2 form `{$binary: {base64, subType}}`
    /// is strict; the legacy form `{$binary: "…", $type: "…"}` falls back to a plain document
    /// when it does not match (`{$type: "string"}` is a query operator).
    fn binary_extended(&mut self, key: &str) -> Result<Option<Bson>, JsonError> {
        let context = "$binary";
        let mark = self.mark();
        self.expect(":", key)?;
        if key == "$binary" {
            let token = self.next()?;
            if matches!(token.kind, Kind::BeginObject) {
                let name = self.next()?;
                let (bytes, subtype) = match name.kind.key() {
                    Some("base64") => {
                        self.expect(":", context)?;
                        let bytes = self.base64_value(context)?;
                        self.expect(",", context)?;
                        self.expect_key("subType", context)?;
                        self.expect(":", context)?;
                        let (value, token) = self.binary_subtype().map_err(Fail::into_error)?;
                        (bytes, self.subtype_byte(value, &token)?)
                    }
                    Some("subType") => {
                        self.expect(":", context)?;
                        let (value, token) = self.binary_subtype().map_err(Fail::into_error)?;
                        let subtype = self.subtype_byte(value, &token)?;
                        self.expect(",", context)?;
                        self.expect_key("base64", context)?;
                        self.expect(":", context)?;
                        (self.base64_value(context)?, subtype)
                    }
                    _ => return Err(self.unexpected(&name, "`base64` or `subType` in `$binary`")),
                };
                self.expect("}", context)?;
                self.expect("}", context)?;
                return Ok(Some(Bson::Binary(Binary { subtype, bytes })));
            }
        }
        self.reset(mark);
        let mark = self.mark();
        match self.legacy_binary(key) {
            Ok(binary) => Ok(Some(binary)),
            Err(Fail::Soft(_)) => {
                self.reset(mark);
                Ok(None)
            }
            Err(Fail::Hard(error)) => Err(error),
        }
    }

    /// `visitLegacyBinaryExtendedJson`: token mismatches are soft, bad base64 is not.
    fn legacy_binary(&mut self, key: &str) -> Attempt<Bson> {
        let context = "$binary";
        soft(self.expect(":", context))?;
        let (bytes, subtype) = if key == "$binary" {
            let bytes = self.legacy_base64()?;
            soft(self.expect(",", context))?;
            soft(self.expect_key("$type", context))?;
            soft(self.expect(":", context))?;
            (bytes, self.binary_subtype()?)
        } else {
            let subtype = self.binary_subtype()?;
            soft(self.expect(",", context))?;
            soft(self.expect_key("$binary", context))?;
            soft(self.expect(":", context))?;
            (self.legacy_base64()?, subtype)
        };
        soft(self.expect("}", context))?;
        // Only a complete legacy form is binary data: `{$type: 300}` stays a query operator.
        let subtype = self
            .subtype_byte(subtype.0, &subtype.1)
            .map_err(Fail::Hard)?;
        Ok(Bson::Binary(Binary { subtype, bytes }))
    }

    fn legacy_base64(&mut self) -> Attempt<Vec<u8>> {
        let (text, token) = soft(self.string("$binary"))?;
        java_base64_decode(&text).ok_or_else(|| {
            Fail::Hard(self.error_at(
                token.start,
                format!("invalid base64 {} in `$binary`", show_code(&text)),
            ))
        })
    }

    fn base64_value(&mut self, context: &str) -> Result<Vec<u8>, JsonError> {
        let (text, token) = self.string(context)?;
        java_base64_decode(&text).ok_or_else(|| {
            self.error_at(
                token.start,
                format!("invalid base64 {} in `{context}`", show_code(&text)),
            )
        })
    }

    /// `readBinarySubtypeFromExtendedJson`: a hex string or an Int32, with its token for
    /// [`Parser::subtype_byte`]. A malformed value is soft (the legacy form catches Java's
    /// `NumberFormatException`); the v2 form turns it into an error with [`Fail::into_error`].
    fn binary_subtype(&mut self) -> Attempt<(i64, Token<'a>)> {
        let token = soft(self.next())?;
        let value = match token.kind {
            Kind::Int32(value) => i64::from(value),
            Kind::Str(ref text) => match i32::from_str_radix(text, 16) {
                Ok(value) => i64::from(value),
                Err(_) => {
                    return Err(Fail::Soft(self.error_at(
                        token.start,
                        format!(
                            "invalid binary subtype {} in `$binary`: expected hex digits",
                            show_code(text)
                        ),
                    )));
                }
            },
            _ => {
                return Err(Fail::Soft(self.unexpected(
                    &token,
                    "a hex string or an integer subtype in `$binary`",
                )));
            }
        };
        Ok((value, token))
    }

    /// `visitRegularExpressionExtendedJson`: `{$regex: "…", $options: "…"}` in either order;
    /// anything else (`{$regex: "^a"}`, the query operator) is a plain document.
    fn legacy_regex(&mut self, key: &str) -> Result<Option<Bson>, JsonError> {
        let mark = self.mark();
        let attempt = (|| -> Result<(String, String), JsonError> {
            self.expect(":", key)?;
            let pair = if key == "$regex" {
                let (pattern, _) = self.string(key)?;
                self.expect(",", key)?;
                self.expect_key("$options", key)?;
                self.expect(":", key)?;
                (pattern, self.string(key)?.0)
            } else {
                let (options, _) = self.string(key)?;
                self.expect(",", key)?;
                self.expect_key("$regex", key)?;
                self.expect(":", key)?;
                (self.string(key)?.0, options)
            };
            self.expect("}", key)?;
            Ok(pair)
        })();
        match attempt {
            Ok((pattern, options)) => {
                let at = mark.pos;
                Ok(Some(self.regex(at, &pattern, &options)?))
            }
            Err(_) => {
                self.reset(mark);
                Ok(None)
            }
        }
    }

    /// `visitDbPointerExtendedJson`: `{$dbPointer: {"$ref": "<ns>", "$id": {"$oid": "<hex>"}}}`
    /// in either order; the first key and `"$oid"` must be quoted, as in Java.
    fn db_pointer_extended(&mut self) -> Result<Bson, JsonError> {
        let context = "$dbPointer";
        self.expect(":", context)?;
        self.expect("{", context)?;
        let name = self.next()?;
        let (namespace, id) = match name.kind {
            Kind::Str(ref key) if key == "$ref" => {
                self.expect(":", context)?;
                let (namespace, _) = self.string(context)?;
                self.expect(",", context)?;
                self.expect_key("$id", context)?;
                (namespace, self.db_pointer_id()?)
            }
            Kind::Str(ref key) if key == "$id" => {
                let id = self.db_pointer_id()?;
                self.expect(",", context)?;
                self.expect_key("$ref", context)?;
                self.expect(":", context)?;
                (self.string(context)?.0, id)
            }
            _ => {
                return Err(
                    self.unexpected(&name, "`\"$ref\"` or `\"$id\"` (quoted) in `$dbPointer`")
                );
            }
        };
        self.expect("}", context)?;
        self.expect("}", context)?;
        Ok(db_pointer(&namespace, id))
    }

    fn db_pointer_id(&mut self) -> Result<ObjectId, JsonError> {
        let context = "$dbPointer";
        self.expect(":", context)?;
        self.expect("{", context)?;
        let token = self.next()?;
        if !matches!(token.kind, Kind::Str(ref key) if key == "$oid") {
            return Err(self.unexpected(&token, "`\"$oid\"` (quoted) in `$dbPointer`"));
        }
        self.object_id_body()
    }
}
