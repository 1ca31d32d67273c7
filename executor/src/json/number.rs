//! Numbers written as text inside the dialect's wrappers and constructors, read as the Java
//! classes behind them read them: `Double.valueOf` (`$numberDouble`), `Decimal128.parse`
//! (`$numberDecimal`, `NumberDecimal("…")`) and `new Decimal128(new BigDecimal(…))` for a
//! `NumberDecimal` of a number token, with the exactness rules of Decimal128's `clampAndRound`.
//!
//! Number tokens themselves (Int32/Int64/Double inference) are the scanner's; this module only
//! turns text and token values into doubles and decimals.

use std::fmt;

use mongodb::bson::Decimal128;

use crate::java::is_trim_blank as is_trimmed;

/// `Double.valueOf(String)`: trimmed, an optional sign, `NaN`, `Infinity` or a decimal number
/// with an optional exponent and an optional `f`/`F`/`d`/`D` suffix.
pub(super) fn parse_java_double(text: &str) -> Option<f64> {
    let trimmed = text.trim_matches(is_trimmed);
    let (negative, body) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, trimmed.get(1..)?),
        Some(b'+') => (false, trimmed.get(1..)?),
        _ => (false, trimmed),
    };
    let signed = |value: f64| if negative { -value } else { value };
    match body {
        "NaN" => return Some(f64::NAN),
        "Infinity" => return Some(signed(f64::INFINITY)),
        _ => {}
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (body.get(..at)?, Some(body.get(at + 1..)?)),
        None => (body, None),
    };
    let mut digits = 0;
    let mut dots = 0;
    for c in mantissa.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => dots += 1,
            _ => return None,
        }
    }
    if digits == 0 || dots > 1 {
        return None;
    }
    if let Some(exponent) = exponent {
        let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    body.parse::<f64>().ok().map(signed)
}

const DECIMAL_MAX_EXPONENT: i64 = 6111;
const DECIMAL_MIN_EXPONENT: i64 = -6176;
const DECIMAL_MAX_DIGITS: usize = 34;

/// `Decimal128.parse`: the NaN and infinity spellings it knows, else `new BigDecimal(text)`
/// (ASCII digits) through [`decimal_from_parts`].
pub(super) fn parse_java_decimal(text: &str) -> Result<Decimal128, String> {
    let special = match text.to_lowercase().as_str() {
        "nan" => Some("NaN"),
        "-nan" => Some("-NaN"),
        "inf" | "+inf" | "infinity" | "+infinity" => Some("Infinity"),
        "-inf" | "-infinity" => Some("-Infinity"),
        _ => None,
    };
    if let Some(special) = special {
        return special.parse::<Decimal128>().map_err(|e| e.to_string());
    }
    let not_a_number = || "not a decimal number".to_owned();
    let negative = text.starts_with('-');
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (
            unsigned.get(..at).unwrap_or(""),
            Some(unsigned.get(at + 1..).unwrap_or("")),
        ),
        None => (unsigned, None),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if integer.len() + fraction.len() == 0 || !all_digits(integer) || !all_digits(fraction) {
        return Err(not_a_number());
    }
    let exponent = match exponent {
        None => 0,
        Some(exponent) => {
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !all_digits(digits) {
                return Err(not_a_number());
            }
            let significant = digits.trim_start_matches('0');
            if significant.len() > 10 {
                return Err("exponent out of range".to_owned());
            }
            let value: i64 = significant.parse().unwrap_or(0);
            let value = if exponent.starts_with('-') {
                -value
            } else {
                value
            };
            if i32::try_from(value).is_err() {
                return Err("exponent out of range".to_owned());
            }
            value
        }
    };
    let fraction_len =
        i64::try_from(fraction.len()).map_err(|_| "exponent out of range".to_owned())?;
    let digits = format!("{integer}{fraction}");
    decimal_from_parts(negative, &digits, exponent - fraction_len)
}

pub(super) fn decimal_from_i64(value: i64) -> Result<Decimal128, String> {
    decimal_from_parts(value < 0, &value.unsigned_abs().to_string(), 0)
}

/// `new Decimal128(new BigDecimal(double))`: the exact binary value, which must fit in 34
/// significant digits (so `NumberDecimal(0.1)` is an error, as in Java).
pub(super) fn decimal_from_f64(value: f64) -> Result<Decimal128, String> {
    if !value.is_finite() {
        return Err("not a finite number".to_owned());
    }
    let bits = value.abs().to_bits();
    let biased = (bits >> 52) & 0x7ff;
    let fraction = bits & ((1 << 52) - 1);
    let (mut mantissa, mut exponent) = if biased == 0 {
        (fraction, -1074i64)
    } else {
        (
            fraction | (1 << 52),
            i64::try_from(biased).unwrap_or(0) - 1075,
        )
    };
    if mantissa == 0 {
        return decimal_from_parts(false, "0", 0);
    }
    while mantissa % 2 == 0 {
        mantissa /= 2;
        exponent += 1;
    }
    let mut number = BigDecimal::from_u64(mantissa);
    if exponent >= 0 {
        for _ in 0..exponent {
            number.multiply(2);
        }
        decimal_from_parts(value < 0.0, &number.to_string(), 0)
    } else {
        for _ in 0..-exponent {
            number.multiply(5);
        }
        decimal_from_parts(value < 0.0, &number.to_string(), exponent)
    }
}

/// A tiny unsigned big integer in base 10^9, enough to expand a double exactly.
struct BigDecimal(Vec<u32>);

impl BigDecimal {
    const BASE: u64 = 1_000_000_000;

    fn from_u64(mut value: u64) -> Self {
        let mut limbs = Vec::new();
        while value > 0 {
            limbs.push(u32::try_from(value % Self::BASE).unwrap_or(0));
            value /= Self::BASE;
        }
        BigDecimal(limbs)
    }

    fn multiply(&mut self, factor: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = u32::try_from(product % Self::BASE).unwrap_or(0);
            carry = product / Self::BASE;
        }
        while carry > 0 {
            self.0.push(u32::try_from(carry % Self::BASE).unwrap_or(0));
            carry /= Self::BASE;
        }
    }
}

impl fmt::Display for BigDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut limbs = self.0.iter().rev();
        match limbs.next() {
            None => write!(f, "0")?,
            Some(first) => write!(f, "{first}")?,
        }
        for limb in limbs {
            write!(f, "{limb:09}")?;
        }
        Ok(())
    }
}

/// `Decimal128(BigDecimal)` with its `clampAndRound`: the coefficient `digits` times ten to
/// `exponent`, clamped into the Decimal128 exponent range and shortened to 34 digits only where
/// the dropped digits are zeros (Java refuses inexact rounding).
fn decimal_from_parts(negative: bool, digits: &str, exponent: i64) -> Result<Decimal128, String> {
    let inexact = || format!("it needs more than {DECIMAL_MAX_DIGITS} significant digits");
    let out_of_range = || "exponent out of range".to_owned();
    let trimmed = digits.trim_start_matches('0');
    let mut coefficient = if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    };
    let mut exponent = exponent;
    let precision = i64::try_from(coefficient.len()).map_err(|_| inexact())?;
    if exponent > DECIMAL_MAX_EXPONENT {
        let diff = exponent - DECIMAL_MAX_EXPONENT;
        if coefficient != "0" {
            if diff + precision > 34 {
                return Err(out_of_range());
            }
            coefficient.push_str(&"0".repeat(usize::try_from(diff).map_err(|_| out_of_range())?));
        }
        exponent = DECIMAL_MAX_EXPONENT;
    } else if exponent < DECIMAL_MIN_EXPONENT {
        let diff = usize::try_from(DECIMAL_MIN_EXPONENT - exponent).map_err(|_| inexact())?;
        let keep = coefficient.len().saturating_sub(diff);
        if coefficient
            .get(keep..)
            .is_some_and(|dropped| dropped.bytes().any(|b| b != b'0'))
        {
            return Err(inexact());
        }
        coefficient.truncate(keep);
        if coefficient.is_empty() {
            coefficient.push('0');
        }
        exponent = DECIMAL_MIN_EXPONENT;
    }
    if coefficient.len() > DECIMAL_MAX_DIGITS {
        let dropped = coefficient.get(DECIMAL_MAX_DIGITS..).unwrap_or("");
        if dropped.bytes().any(|b| b != b'0') {
            return Err(inexact());
        }
        exponent += i64::try_from(dropped.len()).map_err(|_| inexact())?;
        coefficient.truncate(DECIMAL_MAX_DIGITS);
        if exponent > DECIMAL_MAX_EXPONENT {
            return Err(out_of_range());
        }
    }
    let sign = if negative { "-" } else { "" };
    format!("{sign}{coefficient}E{exponent}")
        .parse::<Decimal128>()
        .map_err(|e| e.to_string())
}
