//! The shell constructors: `ObjectId("…")`, `ISODate("…")`, `new Date(…)`, `NumberLong(…)`,
//! `NumberDecimal(…)`, `BinData(…)`, `HexData(…)`, `UUID("…")`, `Timestamp(t, i)`, `RegExp(…)`,
//! `DBPointer(…)`, `MinKey`, `MaxKey`, with or without `new` where Java allows it, read as
//! `JsonReader.visitNew` and its `visit…Constructor` methods read them.
//!
//! The grammar decides that a bare word is a constructor; this module reads its arguments.

use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, DateTime, Timestamp};

use super::JsonError;
use super::date::{format_shell_date, lenient_calendar_millis, parse_iso_date, parse_legacy_date};
use super::message::show_code;
use super::number::{decimal_from_f64, decimal_from_i64, parse_java_decimal};
use super::scanner::{Kind, Parser, Token};
use super::value::{db_pointer, decode_hex, hex_data_subtype, java_base64_decode};

/// The constructors `visitNew` accepts after `new` (`Timestamp` is missing there in Java too).
pub(super) const NEW_CONSTRUCTORS: [&str; 13] = [
    "MinKey",
    "MaxKey",
    "BinData",
    "Date",
    "HexData",
    "ISODate",
    "NumberInt",
    "NumberLong",
    "NumberDecimal",
    "ObjectId",
    "RegExp",
    "DBPointer",
    "UUID",
];

impl<'a> Parser<'a> {
    pub(super) fn constructor(&mut self, ctor: &str, with_new: bool) -> Result<Bson, JsonError> {
        let context = format!("{ctor}(…)");
        let context = context.as_str();
        match ctor {
            // `visitEmptyConstructor`: the parentheses are optional.
            "MinKey" | "MaxKey" => {
                let token = self.next()?;
                if matches!(token.kind, Kind::LeftParen) {
                    self.expect(")", context)?;
                } else {
                    self.push(token);
                }
                return Ok(if ctor == "MinKey" {
                    Bson::MinKey
                } else {
                    Bson::MaxKey
                });
            }
            "Date" if !with_new => return self.date_without_new(),
            _ => {}
        }
        self.expect_open(ctor)?;
        let value = match ctor {
            "Date" => self.date_arguments()?,
            "BinData" => {
                let subtype = self.int32_argument("a binary subtype", context)?;
                self.expect(",", context)?;
                let token = self.next()?;
                let text = match token.kind {
                    Kind::Str(ref text) => text.as_ref().to_owned(),
                    Kind::Word(text) => text.to_owned(),
                    _ => {
                        return Err(
                            self.unexpected(&token, &format!("a base64 string in `{context}`"))
                        );
                    }
                };
                self.expect(")", context)?;
                let bytes = java_base64_decode(&text).ok_or_else(|| {
                    self.error_at(
                        token.start,
                        format!("invalid base64 {} in `{context}`", show_code(&text)),
                    )
                })?;
                Bson::Binary(Binary {
                    subtype: self.subtype_byte(i64::from(subtype.0), &subtype.1)?,
                    bytes,
                })
            }
            "HexData" => {
                let (subtype, _) = self.int32_argument("a binary subtype", context)?;
                self.expect(",", context)?;
                let (mut hex, token) = self.string(context)?;
                self.expect(")", context)?;
                if hex.chars().count() % 2 != 0 {
                    hex.insert(0, '0');
                }
                let bytes = decode_hex(&hex).ok_or_else(|| {
                    self.error_at(
                        token.start,
                        format!("invalid hex string {} in `{context}`", show_code(&hex)),
                    )
                })?;
                Bson::Binary(Binary {
                    subtype: hex_data_subtype(subtype),
                    bytes,
                })
            }
            "ISODate" => {
                let token = self.next()?;
                match token.kind {
                    Kind::RightParen => Bson::DateTime(DateTime::now()),
                    Kind::Str(ref text) => {
                        self.expect(")", context)?;
                        let millis = parse_iso_date(text)
                            .ok_or_else(|| self.bad_date(&token, text, context))?;
                        Bson::DateTime(DateTime::from_millis(millis))
                    }
                    _ => {
                        return Err(
                            self.unexpected(&token, &format!("a string or `)` in `{context}`"))
                        );
                    }
                }
            }
            "NumberInt" => {
                let token = self.next()?;
                let value = match token.kind {
                    Kind::Int32(value) => value,
                    Kind::Str(ref text) => text.parse::<i32>().map_err(|_| {
                        self.error_at(
                            token.start,
                            format!("invalid int32 {} in `{context}`", show_code(text)),
                        )
                    })?,
                    _ => {
                        return Err(self
                            .unexpected(&token, &format!("an int32 or a string in `{context}`")));
                    }
                };
                self.expect(")", context)?;
                Bson::Int32(value)
            }
            "NumberLong" => {
                let token = self.next()?;
                let value = match token.kind {
                    Kind::Int32(value) => i64::from(value),
                    Kind::Int64(value) => value,
                    Kind::Str(ref text) => text.parse::<i64>().map_err(|_| {
                        self.error_at(
                            token.start,
                            format!("invalid int64 {} in `{context}`", show_code(text)),
                        )
                    })?,
                    _ => {
                        return Err(self.unexpected(
                            &token,
                            &format!("an integer or a string in `{context}`"),
                        ));
                    }
                };
                self.expect(")", context)?;
                Bson::Int64(value)
            }
            "NumberDecimal" => {
                let token = self.next()?;
                let parsed = match token.kind {
                    Kind::Int32(value) => decimal_from_i64(i64::from(value)),
                    Kind::Int64(value) => decimal_from_i64(value),
                    Kind::Double(value) => decimal_from_f64(value),
                    Kind::Str(ref text) => parse_java_decimal(text),
                    _ => {
                        return Err(self
                            .unexpected(&token, &format!("a number or a string in `{context}`")));
                    }
                };
                let value = parsed.map_err(|why| {
                    let text = match token.kind {
                        Kind::Str(ref text) => show_code(text),
                        _ => self.describe(&token),
                    };
                    self.error_at(
                        token.start,
                        format!("invalid decimal128 {text} in `{context}`: {why}"),
                    )
                })?;
                self.expect(")", context)?;
                Bson::Decimal128(value)
            }
            "ObjectId" => {
                let (hex, token) = self.string(context)?;
                self.expect(")", context)?;
                Bson::ObjectId(self.object_id(&hex, &token, context)?)
            }
            "Timestamp" => {
                let (time, _) = self.int32_argument("an int32", context)?;
                self.expect(",", context)?;
                let (increment, _) = self.int32_argument("an int32", context)?;
                self.expect(")", context)?;
                // `new BsonTimestamp(int, int)`: the bits are kept, so -1 is 4294967295.
                Bson::Timestamp(Timestamp {
                    time: u32::from_ne_bytes(time.to_ne_bytes()),
                    increment: u32::from_ne_bytes(increment.to_ne_bytes()),
                })
            }
            "RegExp" => {
                let (pattern, token) = self.string(context)?;
                let next = self.next()?;
                let options = if matches!(next.kind, Kind::Comma) {
                    self.string(context)?.0
                } else {
                    self.push(next);
                    String::new()
                };
                self.expect(")", context)?;
                self.regex(token.start, &pattern, &options)?
            }
            "DBPointer" => {
                let (namespace, _) = self.string(context)?;
                self.expect(",", context)?;
                let (hex, token) = self.string(context)?;
                self.expect(")", context)?;
                let id = self.object_id(&hex, &token, context)?;
                db_pointer(&namespace, id)
            }
            "UUID" => {
                let (text, token) = self.string(context)?;
                self.expect(")", context)?;
                // `visitUUIDConstructor`: dashes are dropped and any even number of hex digits
                // is taken as the bytes of a subtype-4 binary.
                let hex: String = text.chars().filter(|&c| c != '-').collect();
                let bytes = decode_hex(&hex).ok_or_else(|| {
                    self.error_at(
                        token.start,
                        format!("invalid UUID {} in `{context}`", show_code(&text)),
                    )
                })?;
                Bson::Binary(Binary {
                    subtype: BinarySubtype::Uuid,
                    bytes,
                })
            }
            _ => return Err(self.error_at(self.pos, format!("unknown constructor `{ctor}`"))),
        };
        Ok(value)
    }

    fn expect_open(&mut self, ctor: &str) -> Result<(), JsonError> {
        let token = self.next()?;
        match token.kind {
            Kind::LeftParen => Ok(()),
            _ => Err(self.unexpected(&token, &format!("`(` after `{ctor}`"))),
        }
    }

    fn int32_argument(&mut self, what: &str, context: &str) -> Result<(i32, Token<'a>), JsonError> {
        let token = self.next()?;
        match token.kind {
            Kind::Int32(value) => Ok((value, token)),
            _ => Err(self.unexpected(&token, &format!("{what} in `{context}`"))),
        }
    }

    /// `Date(…)` without `new` (`visitDateTimeConstructorWithOutNew`): the arguments are skipped
    /// up to the first `)` and the value is the current time as a string, as in the shell.
    fn date_without_new(&mut self) -> Result<Bson, JsonError> {
        self.expect_open("Date")?;
        let mut token = self.next()?;
        while !matches!(token.kind, Kind::RightParen) {
            if matches!(token.kind, Kind::Eof) {
                return Err(self.unexpected(&token, "`)` in `Date(…)`"));
            }
            token = self.next()?;
        }
        Ok(Bson::String(format_shell_date(
            DateTime::now().timestamp_millis(),
        )))
    }

    /// The arguments of `new Date(…)` (`visitDateTimeConstructor`): none (now), milliseconds, a
    /// string in `EEE MMM dd yyyy HH:mm:ss z` form, or 3 to 7 calendar fields as
    /// `Calendar.set` takes them (month from 0, out-of-range values roll over).
    fn date_arguments(&mut self) -> Result<Bson, JsonError> {
        let context = "new Date(…)";
        let token = self.next()?;
        let first = match token.kind {
            Kind::RightParen => return Ok(Bson::DateTime(DateTime::now())),
            Kind::Str(ref text) => {
                self.expect(")", context)?;
                let millis = parse_legacy_date(text).ok_or_else(|| {
                    self.error_at(
                        token.start,
                        format!(
                            "invalid date {} in `{context}`: expected the form `EEE MMM dd yyyy HH:mm:ss z`",
                            show_code(text)
                        ),
                    )
                })?;
                return Ok(Bson::DateTime(DateTime::from_millis(millis)));
            }
            Kind::Int32(value) => i64::from(value),
            Kind::Int64(value) => value,
            _ => {
                return Err(
                    self.unexpected(&token, &format!("an integer or a string in `{context}`"))
                );
            }
        };
        let mut fields = vec![(first, token.start)];
        loop {
            let token = self.next()?;
            match token.kind {
                Kind::RightParen => break,
                Kind::Comma => {}
                _ => return Err(self.unexpected(&token, &format!("`,` or `)` in `{context}`"))),
            }
            let token = self.next()?;
            let value = match token.kind {
                Kind::Int32(value) => i64::from(value),
                Kind::Int64(value) => value,
                _ => return Err(self.unexpected(&token, &format!("an integer in `{context}`"))),
            };
            // Java keeps the first seven values and ignores the rest.
            if fields.len() < 7 {
                fields.push((value, token.start));
            }
        }
        let at = fields.first().map_or(self.pos, |&(_, at)| at);
        if fields.len() == 1 {
            return Ok(Bson::DateTime(DateTime::from_millis(first)));
        }
        if fields.len() < 3 {
            return Err(self.error_at(
                at,
                format!(
                    "expected 1 or 3 to 7 integers in `{context}` but found {}",
                    fields.len()
                ),
            ));
        }
        let mut values = [0i32; 7];
        for (slot, &(value, at)) in values.iter_mut().zip(&fields) {
            *slot = i32::try_from(value).map_err(|_| {
                self.error_at(
                    at,
                    format!("date field `{value}` in `{context}` does not fit in 32 bits"),
                )
            })?;
        }
        let millis = lenient_calendar_millis(values.map(i64::from), 0)
            .ok_or_else(|| self.error_at(at, format!("the date in `{context}` is out of range")))?;
        Ok(Bson::DateTime(DateTime::from_millis(millis)))
    }
}

#[cfg(test)]
mod tests {
    use mongodb::bson::Bson;

    use crate::json::parse_value;

    #[test]
    fn shell_now_values_have_the_right_types() {
        for text in ["ISODate()", "new Date()"] {
            assert!(matches!(parse_value(text), Ok(Bson::DateTime(_))), "{text}");
        }
        // `Date()` without `new` is a string in the shell and in `JsonReader`.
        let now = parse_value("Date(1, 'ignored')").expect("Date() parses");
        let Bson::String(text) = now else {
            panic!("Date() should be a string, got {now:?}")
        };
        assert!(text.ends_with(" UTC") && text.len() == 28, "{text}");
    }
}
