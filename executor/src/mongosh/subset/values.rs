//! JavaScript and js-bson values: numbers (Int32 or Double as js-bson serializes them, the
//! `NumberLong`/`NumberInt`/`NumberDecimal` constructors), dates (`new Date`, `ISODate`), the
//! other shell constructors, and the key order of JavaScript objects.
//!
//! Pure functions over literals the parser has read; a refusal is a message without a position.

use std::str::FromStr;

use chrono::{LocalResult, NaiveDate, TimeZone};
use mongodb::bson::oid::ObjectId;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, DateTime, Decimal128, Document, Timestamp};

/// A literal constructor argument.
pub(super) enum Arg {
    Num(f64),
    Str(String),
    Obj(Document),
}

/// The value of a shell constructor call (`ObjectId(…)`, `ISODate(…)`, `new Date(…)`, …)
/// with literal arguments, as mongosh's shell-bson builds it; `Err` says why the call is
/// outside the subset (the parser adds where).
pub(super) fn construct(name: &str, with_new: bool, args: &[Arg]) -> Result<Bson, String> {
    match name {
        "Date" if !with_new => Err(
            "`Date()` without `new` is a string of the current time; use `new Date(…)`".to_owned(),
        ),
        "Date" => new_date(args).map(Bson::DateTime),
        "ISODate" => iso_date(args).map(Bson::DateTime),
        "ObjectId" => match args {
            [] => Ok(Bson::ObjectId(ObjectId::new())),
            [Arg::Str(hex)] if hex.len() == 24 => ObjectId::parse_str(hex)
                .map(Bson::ObjectId)
                .map_err(|_| format!("`{hex}` is not an ObjectId")),
            _ => Err("ObjectId takes a 24-digit hexadecimal string".to_owned()),
        },
        "NumberLong" => match args {
            [] => Ok(Bson::Int64(0)),
            [Arg::Str(s)] => parse_integer(s)
                .map(Bson::Int64)
                .ok_or_else(|| format!("`{s}` is not a 64-bit integer")),
            [Arg::Num(n)] => exact_i64(*n)
                .filter(|v| v.unsigned_abs() <= 1 << 53)
                .map(Bson::Int64)
                .ok_or_else(|| "NumberLong takes an integer".to_owned()),
            _ => Err("NumberLong takes one integer or string".to_owned()),
        },
        "NumberInt" => {
            let v = match args {
                [] => Some(0),
                [Arg::Str(s)] => parse_integer(s),
                [Arg::Num(n)] => exact_i64(*n),
                _ => None,
            };
            v.and_then(|v| i32::try_from(v).ok())
                .map(Bson::Int32)
                .ok_or_else(|| "NumberInt takes a 32-bit integer".to_owned())
        }
        "NumberDecimal" => match args {
            [] => Ok(Bson::Decimal128(decimal("0")?)),
            [Arg::Str(s)] => decimal(s).map(Bson::Decimal128),
            _ => Err("NumberDecimal takes a string in the native subset".to_owned()),
        },
        "Timestamp" => {
            let (t, i) = match args {
                [Arg::Num(t)] => (Some(*t), Some(0.0)),
                [Arg::Num(t), Arg::Num(i)] => (Some(*t), Some(*i)),
                [Arg::Obj(d)] if d.len() == 2 => (number_field(d, "t"), number_field(d, "i")),
                _ => (None, None),
            };
            let part = |v: Option<f64>| v.and_then(exact_i64).and_then(|v| u32::try_from(v).ok());
            match (part(t), part(i)) {
                (Some(time), Some(increment)) => Ok(Bson::Timestamp(Timestamp { time, increment })),
                _ => Err("Timestamp takes `{t: <seconds>, i: <increment>}`".to_owned()),
            }
        }
        "UUID" => match args {
            [Arg::Str(s)] => {
                let hex: String = s.chars().filter(|c| *c != '-').collect();
                hex_bytes(&hex)
                    .filter(|b| b.len() == 16)
                    .map(|bytes| {
                        Bson::Binary(Binary {
                            subtype: BinarySubtype::Uuid,
                            bytes,
                        })
                    })
                    .ok_or_else(|| format!("`{s}` is not a UUID"))
            }
            _ => Err("UUID takes a UUID string in the native subset".to_owned()),
        },
        "BinData" => match args {
            [Arg::Num(subtype), Arg::Str(b64)] => {
                use base64::Engine as _;
                let subtype = exact_i64(*subtype)
                    .and_then(|s| u8::try_from(s).ok())
                    .ok_or_else(|| "BinData subtype must be 0–255".to_owned())?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|_| "BinData takes standard base64".to_owned())?;
                Ok(Bson::Binary(Binary {
                    subtype: BinarySubtype::from(subtype),
                    bytes,
                }))
            }
            _ => Err("BinData takes a subtype and a base64 string".to_owned()),
        },
        "MinKey" if args.is_empty() => Ok(Bson::MinKey),
        "MaxKey" if args.is_empty() => Ok(Bson::MaxKey),
        other => Err(format!("`{other}(…)` is outside the native subset")),
    }
}

/// A JavaScript number as js-bson serializes it: Int32 when integral, in range and not `-0`,
/// else Double.
pub(super) fn js_number(n: f64) -> Bson {
    match exact_i64(n).and_then(|v| i32::try_from(v).ok()) {
        Some(v) if !(v == 0 && n.is_sign_negative()) => Bson::Int32(v),
        _ => Bson::Double(n),
    }
}

/// `n` as an i64 when it is integral and within ±2^63.
fn exact_i64(n: f64) -> Option<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63, exact in f64
    if n.is_finite() && n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) {
        // Integral and in range, checked above: the conversion is exact.
        #[allow(clippy::cast_possible_truncation)]
        Some(n as i64)
    } else {
        None
    }
}

pub(super) fn u64_to_f64(v: u64) -> f64 {
    // Callers pass at most 2^53, which a double holds exactly; the string round trip keeps the
    // lossy-cast lint quiet without an `as`.
    v.to_string().parse().unwrap_or(f64::NAN)
}

fn number_field(d: &Document, key: &str) -> Option<f64> {
    match d.get(key)? {
        Bson::Int32(v) => Some(f64::from(*v)),
        Bson::Double(v) => Some(*v),
        _ => None,
    }
}

/// A plain decimal integer string (optional `-`), as `Long.fromString` reads it.
fn parse_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn decimal(s: &str) -> Result<Decimal128, String> {
    Decimal128::from_str(s).map_err(|_| format!("`{s}` is not a decimal number"))
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

/// The key a numeric literal names: JavaScript's `ToString` of the number, kept to the integers
/// whose string is their plain digits.
pub(super) fn integer_key(n: f64) -> Option<String> {
    exact_i64(n)
        .filter(|v| (0..1_000_000_000_000_000).contains(v))
        .map(|v| v.to_string())
}

/// JavaScript's property order (`OrdinaryOwnPropertyKeys`): array-index keys ascending, then
/// the other keys in creation order.
pub(super) fn js_property_order(fields: Vec<(String, Bson)>) -> Document {
    let (mut indexes, others): (Vec<_>, Vec<_>) = fields
        .into_iter()
        .partition(|(k, _)| array_index(k).is_some());
    indexes.sort_by_key(|(k, _)| array_index(k));
    indexes.into_iter().chain(others).collect()
}

/// `Some(n)` when `key` is a canonical array index (`0`…`2^32-2`, no leading zeros).
fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<u32>().ok().filter(|n| *n < u32::MAX)
}

pub(super) fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// `new Date(…)`: no argument (now), milliseconds, an ISO date string with an explicit zone
/// (or a bare date, which JavaScript reads as UTC), or local-time components.
fn new_date(args: &[Arg]) -> Result<DateTime, String> {
    match args {
        [] => Ok(DateTime::now()),
        [Arg::Num(ms)] => millis(*ms),
        [Arg::Str(s)] => parse_iso(s, IsoRules::DateConstructor)
            .ok_or_else(|| format!("`new Date(\"{s}\")` needs an ISO date with a zone (`Z` or `±hh:mm`) in the native subset")),
        [Arg::Num(_), Arg::Num(_), ..] if args.len() <= 7 => {
            let n: Vec<f64> = args
                .iter()
                .map(|a| match a {
                    Arg::Num(n) => Some(*n),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or("`new Date(y, m, …)` takes numbers")?;
            local_date(&n)
        }
        _ => Err("unsupported `new Date(…)` arguments".into()),
    }
}

/// `ISODate(…)` as mongosh's shell-bson defines it.
fn iso_date(args: &[Arg]) -> Result<DateTime, String> {
    match args {
        [] => Ok(DateTime::now()),
        [Arg::Num(ms)] => millis(*ms),
        [Arg::Str(s)] => {
            parse_iso(s, IsoRules::IsoDate).ok_or_else(|| format!("`{s}` is not a valid ISODate"))
        }
        _ => Err("unsupported `ISODate(…)` arguments".into()),
    }
}

fn millis(ms: f64) -> Result<DateTime, String> {
    // ECMAScript TimeClip: at most 8.64e15 ms either way; fractions are not in the subset.
    exact_i64(ms)
        .filter(|v| v.unsigned_abs() <= 8_640_000_000_000_000)
        .map(DateTime::from_millis)
        .ok_or_else(|| "dates take whole milliseconds within ±8.64e15".into())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum IsoRules {
    /// mongosh `ISODate`: separators optional, missing zone is UTC, years 0000–9999.
    IsoDate,
    /// `new Date(string)`: `YYYY-MM-DD` (UTC) or a full date-time with an explicit zone.
    DateConstructor,
}

/// Parses the ISO forms both mongosh and this module agree on; anything unusual is `None`.
fn parse_iso(text: &str, rules: IsoRules) -> Option<DateTime> {
    let b = text.as_bytes();
    let mut i = 0;
    let num = |i: &mut usize, n: usize| -> Option<u32> {
        let s = text.get(*i..*i + n)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *i += n;
        s.parse().ok()
    };
    let sep = |i: &mut usize, c: u8, optional: bool| -> Option<()> {
        if b.get(*i) == Some(&c) {
            *i += 1;
            Some(())
        } else if optional {
            Some(())
        } else {
            None
        }
    };
    let loose = rules == IsoRules::IsoDate;
    let year = num(&mut i, 4)?;
    sep(&mut i, b'-', loose)?;
    let month = num(&mut i, 2)?;
    sep(&mut i, b'-', loose)?;
    let day = num(&mut i, 2)?;
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let (mut hour, mut minute, mut second, mut milli) = (0, 0, 0, 0);
    let mut offset_minutes: i64 = 0;
    if i == b.len() {
        // A bare date is UTC for both.
    } else {
        match b.get(i) {
            Some(b'T') => i += 1,
            Some(b' ') if loose => i += 1,
            _ => return None,
        }
        hour = num(&mut i, 2)?;
        // `:?mm`, then `:?ss`, then `.fff`: in ISODate each separator is optional but belongs
        // to the digits after it; `new Date` needs `:mm` and allows `:ss`.
        let digits_follow = |i: usize| {
            let at = if b.get(i) == Some(&b':') { i + 1 } else { i };
            let colon = at != i;
            let digit = b.get(at).is_some_and(u8::is_ascii_digit);
            (digit && (colon || loose), at)
        };
        let (has_minutes, at) = digits_follow(i);
        if has_minutes {
            i = at;
            minute = num(&mut i, 2)?;
            let (has_seconds, at) = digits_follow(i);
            if has_seconds {
                i = at;
                second = num(&mut i, 2)?;
                if b.get(i) == Some(&b'.') {
                    i += 1;
                    let start = i;
                    while b.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                    let digits = &text[start..i];
                    if digits.is_empty() || digits.len() > 3 {
                        return None;
                    }
                    milli = format!("{digits:0<3}").parse().ok()?;
                }
            }
        } else if !loose {
            return None;
        }
        match b.get(i) {
            None if loose => {}
            None => return None,
            Some(b'Z') => i += 1,
            Some(sign @ (b'+' | b'-')) => {
                let negative = *sign == b'-';
                i += 1;
                let h = num(&mut i, 2)?;
                sep(&mut i, b':', loose)?;
                let m = num(&mut i, 2)?;
                if h > 23 || m > 59 {
                    return None;
                }
                let total = i64::from(h * 60 + m);
                offset_minutes = if negative { -total } else { total };
            }
            Some(_) => return None,
        }
        if i != b.len() {
            return None;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let local = date.and_hms_milli_opt(hour, minute, second, milli)?;
    let utc = local.and_utc().timestamp_millis() - offset_minutes * 60_000;
    // mongosh's ISODate range: years 0000 to 9999 in UTC.
    if !(-62_167_219_200_000..=253_402_300_799_999).contains(&utc) {
        return None;
    }
    Some(DateTime::from_millis(utc))
}

/// `new Date(y, m, d, h, mi, s, ms)` in local time, for unambiguous, in-range components.
fn local_date(n: &[f64]) -> Result<DateTime, String> {
    let part = |i: usize, default: i64| -> Option<i64> {
        match n.get(i) {
            None => Some(default),
            Some(v) => exact_i64(*v),
        }
    };
    let bad =
        || "`new Date(y, m, …)` needs whole, in-range components in the native subset".to_owned();
    let (y, m, d, h, mi, s, ms) = (
        part(0, 0).ok_or_else(bad)?,
        part(1, 0).ok_or_else(bad)?,
        part(2, 1).ok_or_else(bad)?,
        part(3, 0).ok_or_else(bad)?,
        part(4, 0).ok_or_else(bad)?,
        part(5, 0).ok_or_else(bad)?,
        part(6, 0).ok_or_else(bad)?,
    );
    // Years 0–99 mean 1900–1999 in JavaScript and components overflow into the next unit; both
    // are left to mongosh.
    if !(100..=9999).contains(&y) || !(0..12).contains(&m) {
        return Err(bad());
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(y).map_err(|_| bad())?,
        u32::try_from(m + 1).map_err(|_| bad())?,
        u32::try_from(d).map_err(|_| bad())?,
    )
    .ok_or_else(bad)?;
    let time = date
        .and_hms_milli_opt(
            u32::try_from(h).map_err(|_| bad())?,
            u32::try_from(mi).map_err(|_| bad())?,
            u32::try_from(s).map_err(|_| bad())?,
            u32::try_from(ms).map_err(|_| bad())?,
        )
        .ok_or_else(bad)?;
    match chrono::Local.from_local_datetime(&time) {
        LocalResult::Single(t) => Ok(DateTime::from_millis(t.timestamp_millis())),
        _ => {
            Err("a local time in a daylight-saving transition is outside the native subset".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_follow_mongosh_forms() {
        let cases = [
            ("2020-01-02", Some(1_577_923_200_000)),
            ("20200102", Some(1_577_923_200_000)),
            ("2020-01-02T03:04", Some(1_577_934_240_000)),
            ("2020-01-02 03:04:05", Some(1_577_934_245_000)),
            ("2020-01-02T03:04:05.123+01:00", Some(1_577_930_645_123)),
            ("2020-01-02T03:04:05-0130", Some(1_577_939_645_000)),
            ("2020-01-02T03:04:05.1234Z", None),
            ("2020-13-01", None),
            ("2020-01-02T24:00:00Z", None),
            ("2020-01-02T03:04:05+01", None),
            ("x", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_iso(text, IsoRules::IsoDate).map(|d| d.timestamp_millis()),
                expected,
                "{text}"
            );
        }
        assert_eq!(
            parse_iso("2020-01-02T03:04", IsoRules::DateConstructor),
            None
        );
        assert_eq!(parse_iso("20200102", IsoRules::DateConstructor), None);
    }
}
