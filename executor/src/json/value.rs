//! The BSON values that need more than a token to build, made as the Java driver's classes make
//! them: a regular expression's sorted options (`BsonRegularExpression`), binary data from hex,
//! UUID and base64 text (`HexData`, `UUID`, `java.util.Base64`), `HexData`'s subtype mapping, and
//! a DBPointer.
//!
//! These are plain functions of text; the reader says where a bad value was and why.

use mongodb::bson::oid::ObjectId;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Bson, Regex};

/// `BsonRegularExpression` sorts its option characters.
pub(super) fn new_regex(pattern: &str, options: &str) -> Regex {
    let mut chars: Vec<char> = options.chars().collect();
    chars.sort_unstable();
    Regex {
        pattern: pattern.to_owned(),
        options: chars.into_iter().collect(),
    }
}

pub(super) fn db_pointer(namespace: &str, id: ObjectId) -> Bson {
    // bson 2 keeps `DbPointer`'s fields private; Extended JSON is its public constructor.
    let json =
        serde_json::json!({ "$dbPointer": { "$ref": namespace, "$id": { "$oid": id.to_hex() } } });
    Bson::try_from(json)
        .expect("a $dbPointer built from a string and an ObjectId is valid Extended JSON")
}

/// `visitHexDataConstructor` looks the subtype up in `BsonBinarySubType.values()` by its signed
/// byte value and falls back to subtype 0, so `HexData(128, …)` is generic and only
/// `HexData(-128, …)` is user-defined. We keep that mapping: it is what the server receives.
pub(super) fn hex_data_subtype(value: i32) -> BinarySubtype {
    match value {
        0..=9 => u8::try_from(value).map_or(BinarySubtype::Generic, BinarySubtype::from),
        -128 => BinarySubtype::from(0x80),
        _ => BinarySubtype::Generic,
    }
}

pub(super) fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = hex
        .chars()
        .map(|c| {
            c.to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
                .filter(|_| c.is_ascii())
        })
        .collect::<Option<_>>()?;
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    Some(
        digits
            .chunks(2)
            .map(|pair| pair.iter().fold(0u8, |acc, &d| acc << 4 | d))
            .collect(),
    )
}

/// `UuidStringValidator` then `UUID.fromString`: the 8-4-4-4-12 hex form only.
pub(super) fn uuid_bytes(text: &str) -> Option<Vec<u8>> {
    let valid = text.len() == 36
        && text.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if !valid {
        return None;
    }
    decode_hex(&text.replace('-', ""))
}

/// `java.util.Base64.getDecoder().decode(String)`: the standard alphabet, padding optional but
/// checked when present, no whitespace, unused trailing bits ignored.
pub(super) fn java_base64_decode(text: &str) -> Option<Vec<u8>> {
    fn sextet(b: u8) -> Option<u32> {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(u32::from(value))
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    let mut bits: u32 = 0;
    let mut shift: i32 = 18;
    let mut index = 0;
    while let Some(&b) = bytes.get(index) {
        index += 1;
        if b == b'=' {
            // `x=` and a lone `=` are wrong endings; `xx=` needs a second `=`.
            if shift == 18 || (shift == 6 && bytes.get(index) != Some(&b'=')) {
                return None;
            }
            if shift == 6 {
                index += 1;
            }
            break;
        }
        bits |= sextet(b)? << shift;
        shift -= 6;
        if shift < 0 {
            out.extend_from_slice(&bits.to_be_bytes()[1..]);
            bits = 0;
            shift = 18;
        }
    }
    match shift {
        6 => out.push(bits.to_be_bytes()[1]),
        0 => out.extend_from_slice(&bits.to_be_bytes()[1..3]),
        12 => return None,
        _ => {}
    }
    if index < bytes.len() {
        return None;
    }
    Some(out)
}
