//! The Java semantics lbmongo mirrors, each once: Liquibase and liquibase-mongodb are Java, and
//! where their behaviour comes from a JDK method (trimming, comparing, printing a double,
//! reading a `.properties` file, decoding a URL, calendar arithmetic) the stored bytes and the
//! messages depend on that method's exact rules. Every helper names the method it mirrors.

use std::cmp::Ordering;

/// `String.trim()`: strips every char up to U+0020 at both ends, and no other whitespace
/// (a no-break space or an em space stays).
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(is_trim_blank)
}

/// What `String.trim` strips: every character up to U+0020.
pub(crate) fn is_trim_blank(c: char) -> bool {
    c <= ' '
}

/// The regex class `\s` (`Pattern`, without `UNICODE_CHARACTER_CLASS`): `[ \t\n\x0B\f\r]`.
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

/// `String.compareTo`: lexicographic over UTF-16 code units, so a supplementary character sorts
/// before U+E000..U+FFFF (Rust's `str` order is by code point).
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `Double.toString(double)` as specified since JDK 19 (JDK-4511638): the shortest decimal that
/// reads back as the same double; among those of that length the closest (ties to even), and
/// two digits when one would do but two are closer (`Double.MIN_VALUE` is `4.9E-324`); plain
/// notation with at least one fraction digit for 10^-3 <= |v| < 10^7, else `d.dddE±n`.
///
/// JDK 18 and older sometimes print a longer or different digit string (`2e23` gives
/// `1.9999999999999998E23`); for those rare values a checksum computed on an old JVM differs.
pub(crate) fn double_to_string(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if value == 0.0 {
        return format!("{sign}0.0");
    }
    let magnitude = value.abs();
    // Rust's shortest form has the right length but may take the upper of two equally close
    // decimals; the exactly rounded decimal of that length (ties to even) is Java's choice
    // whenever it reads back as the same double.
    let (mut digits, mut exponent) = split_scientific(&format!("{magnitude:e}"));
    let precision = digits.len().max(2) - 1;
    let closest = format!("{magnitude:.precision$e}");
    if closest.parse::<f64>().ok() == Some(magnitude) {
        (digits, exponent) = split_scientific(&closest);
    }
    let trimmed = digits.trim_end_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    let (head, tail) = digits.split_at(1);
    if (-3..7).contains(&exponent) {
        let point = usize::try_from(exponent + 1).unwrap_or(0);
        if exponent < 0 {
            let zeros = "0".repeat(usize::try_from(-exponent - 1).unwrap_or(0));
            format!("{sign}0.{zeros}{digits}")
        } else if digits.len() <= point {
            format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point);
            format!("{sign}{int}.{frac}")
        }
    } else {
        let tail = if tail.is_empty() { "0" } else { tail };
        format!("{sign}{head}.{tail}E{exponent}")
    }
}

/// Splits Rust's `{:e}` output (`1.5e10`) into its digits (`15`) and exponent (`10`).
fn split_scientific(text: &str) -> (String, i32) {
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    (mantissa.replace('.', ""), exponent.parse().unwrap_or(0))
}

/// `java.util.Properties.load(InputStream)`, the overload Liquibase uses for
/// `liquibase.properties` and for `<property file=…>`: the bytes are ISO-8859-1 (each byte one
/// char, so UTF-8 text arrives as mojibake, as in Liquibase); lines end at `\n`, `\r` or `\r\n`;
/// `#`/`!` start a comment line; a key ends at the first unescaped `=`, `:`, space, tab or form
/// feed, and one `=`/`:` with the blanks around it separates it from the value; an odd run of
/// trailing backslashes continues the line (the next line's leading blanks dropped); `\t`, `\n`,
/// `\r`, `\f` and `\uXXXX` are escapes, any other `\x` is `x`. Entries come in file order (the
/// last of several equal keys is the one `Properties` keeps).
///
/// `Err` is what `Properties.load` throws: a malformed `\uXXXX` escape.
pub fn parse_properties(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text: String = bytes.iter().map(|b| char::from(*b)).collect();
    let mut entries = Vec::new();
    let mut logical = String::new();
    let mut continuing = false;
    for natural in natural_lines(&text) {
        let line = natural.trim_start_matches(is_properties_blank);
        if !continuing && (line.is_empty() || line.starts_with('#') || line.starts_with('!')) {
            continue;
        }
        logical.push_str(line);
        let trailing = logical.chars().rev().take_while(|c| *c == '\\').count();
        if trailing % 2 == 1 {
            logical.pop();
            continuing = true;
            continue;
        }
        continuing = false;
        entries.push(split_entry(&std::mem::take(&mut logical))?);
    }
    if continuing || !logical.is_empty() {
        entries.push(split_entry(&logical)?);
    }
    Ok(entries)
}

/// `Properties.LineReader`'s line ends: `\n`, `\r` and `\r\n`.
fn natural_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line = &rest[..end];
        rest = &rest[end..];
        rest = rest
            .strip_prefix("\r\n")
            .or_else(|| rest.strip_prefix('\n'))
            .or_else(|| rest.strip_prefix('\r'))
            .unwrap_or(rest);
        Some(line)
    })
}

fn is_properties_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{0C}')
}

fn split_entry(entry: &str) -> Result<(String, String), String> {
    let chars: Vec<char> = entry.chars().collect();
    let mut key_end = chars.len();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '=' | ':' => {
                key_end = i;
                break;
            }
            c if is_properties_blank(c) => {
                key_end = i;
                break;
            }
            _ => i += 1,
        }
    }
    let key_end = key_end.min(chars.len());
    let mut value_start = key_end;
    while value_start < chars.len() && is_properties_blank(chars[value_start]) {
        value_start += 1;
    }
    if value_start < chars.len() && matches!(chars[value_start], '=' | ':') {
        value_start += 1;
        while value_start < chars.len() && is_properties_blank(chars[value_start]) {
            value_start += 1;
        }
    }
    Ok((
        unescape(&chars[..key_end])?,
        unescape(&chars[value_start.min(chars.len())..])?,
    ))
}

fn unescape(chars: &[char]) -> Result<String, String> {
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\\' || i + 1 >= chars.len() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let c = chars[i + 1];
        i += 2;
        match c {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\u{0C}'),
            'u' => {
                let hex: String = chars.iter().skip(i).take(4).collect();
                let unit = (hex.len() == 4)
                    .then(|| u16::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .ok_or_else(|| format!("Malformed \\uxxxx encoding: `\\u{hex}`"))?;
                i += 4;
                // A surrogate pair written as two escapes is one character.
                if (0xD800..0xDC00).contains(&unit) && chars.get(i) == Some(&'\\') {
                    let low_hex: String = chars.iter().skip(i + 2).take(4).collect();
                    if chars.get(i + 1) == Some(&'u')
                        && let Ok(low) = u16::from_str_radix(&low_hex, 16)
                        && (0xDC00..0xE000).contains(&low)
                    {
                        out.extend(
                            char::decode_utf16([unit, low]).map(|r| r.unwrap_or('\u{FFFD}')),
                        );
                        i += 6;
                        continue;
                    }
                }
                out.push(char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}'));
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// `URLDecoder.decode(text, UTF_8)`, which the MongoDB Java driver's `ConnectionString` applies to
/// the user name, the password and the database of a `mongodb://` URL: `%XX` is a byte, `+` is a
/// space, and the bytes are read as UTF-8 (invalid sequences become U+FFFD).
pub(crate) fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'%' => {
                if let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2))
                    && let (Some(h), Some(l)) = (hex(h), hex(l))
                {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Days since 1970-01-01 of a proleptic Gregorian date, as `java.time.LocalDate.toEpochDay`;
/// `month` and `day` may overflow their ranges, which carries into the next month or year as
/// `GregorianCalendar` in lenient mode does (`2020-14-01` is `2021-02-01`).
pub(crate) fn epoch_day(year: i64, month: i64, day: i64) -> i64 {
    let month0 = month - 1;
    let year = year + month0.div_euclid(12);
    let month = month0.rem_euclid(12) + 1;
    // Howard Hinnant's `days_from_civil`, with March as the first month of the year.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468 + (day - 1)
}

/// Days in `month` (1–12) of `year`, proleptic Gregorian, as `java.time.YearMonth.lengthOfMonth`.
pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The proleptic Gregorian `(year, month, day)` of a day count since 1970-01-01, as
/// `LocalDate.ofEpochDay`.
pub fn date_of_epoch_day(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400;
    (if month <= 2 { year + 1 } else { year }, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_double_to_string() {
        let cases = [
            (1.0, "1.0"),
            (-1.5, "-1.5"),
            (100.0, "100.0"),
            (9_999_999.0, "9999999.0"),
            (1e7, "1.0E7"),
            (1.5e10, "1.5E10"),
            (123_456_789.0, "1.23456789E8"),
            (0.001, "0.001"),
            (0.000_99, "9.9E-4"),
            (1e-7, "1.0E-7"),
            (0.1, "0.1"),
            (1e21, "1.0E21"),
            (1.5e300, "1.5E300"),
            (123_456_789_012_345_680_000.0, "1.2345678901234568E20"),
            (f64::MAX, "1.7976931348623157E308"),
            (2.225_073_858_507_201_4e-308, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
            // Two shortest candidates, equally close: the even one.
            (1_608_882_928_643_910.2, "1.6088829286439102E15"),
            // JDK 19+ prints two digits when they are closer; JDK 17 printed `1.0E-323`.
            (1e-323, "9.9E-324"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (value, expected) in cases {
            assert_eq!(double_to_string(value), expected, "{value:e}");
        }
    }

    #[test]
    fn trim_strips_only_chars_up_to_space() {
        assert_eq!(trim("\u{1}\t x \n"), "x");
        assert_eq!(trim("\u{A0}x\u{2003}"), "\u{A0}x\u{2003}");
    }

    #[test]
    fn compare_is_utf16_order() {
        // U+1F600 is the surrogate pair D83D DE00, below U+FF61 in UTF-16 but above it by code
        // point.
        assert_eq!(compare("😀", "\u{FF61}"), Ordering::Less);
        assert_eq!("😀".cmp("\u{FF61}"), Ordering::Greater);
    }

    #[test]
    fn doubles_print_as_java_does() {
        let cases = [
            (1.1, "1.1"),
            (1000.0, "1000.0"),
            (1e7, "1.0E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (-0.0, "-0.0"),
            (f64::MIN_POSITIVE * f64::EPSILON, "4.9E-324"),
            (2e23, "2.0E23"),
            (123_456_789.0, "1.23456789E8"),
            (f64::NAN, "NaN"),
        ];
        for (value, java) in cases {
            assert_eq!(double_to_string(value), java, "{value:e}");
        }
    }

    /// What `new Properties().load(new ByteArrayInputStream(bytes))` gives (JDK 17), in order.
    #[test]
    fn properties_load_as_java_does() {
        let text = b"# comment\n! also\n  url = mongodb://h/db\nkey:value\nspaced key\tv\n\
            cont = a\\\n     b\\\\\nempty\nuni=\\u00e9\\t\\\\\r\nlatin=\xe9\rlast=x\\";
        let entries = parse_properties(text).expect("loads");
        let expected = [
            ("url", "mongodb://h/db"),
            ("key", "value"),
            ("spaced", "key\tv"),
            ("cont", "ab\\"),
            ("empty", ""),
            ("uni", "é\t\\"),
            ("latin", "é"),
            ("last", "x"),
        ];
        let got: Vec<(&str, &str)> = entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, expected);
        // UTF-8 bytes are read one char per byte, as Liquibase reads them.
        let utf8 = parse_properties("k=é".as_bytes()).expect("loads");
        assert_eq!(utf8[0].1, "\u{C3}\u{A9}");
        assert!(parse_properties(b"k=\\u12").is_err());
    }

    #[test]
    fn url_decode_is_urldecoder() {
        assert_eq!(url_decode("a+b%20c%2Bd%C3%A9"), "a b c+dé");
        assert_eq!(url_decode("100%"), "100%");
    }

    #[test]
    fn epoch_days_round_trip_and_carry_over() {
        assert_eq!(epoch_day(1970, 1, 1), 0);
        assert_eq!(epoch_day(2000, 3, 1), 11_017);
        assert_eq!(epoch_day(2020, 14, 1), epoch_day(2021, 2, 1));
        assert_eq!(epoch_day(2021, 3, 0), epoch_day(2021, 2, 28));
        for days in [-719_468, -1, 0, 59, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = date_of_epoch_day(days);
            assert_eq!(epoch_day(y, m, d), days);
        }
        assert_eq!(date_of_epoch_day(19_782), (2024, 2, 29));
    }
}
