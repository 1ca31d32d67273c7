//! Dates, read and written as the Java driver and the JDK classes behind it do: the ISO-8601
//! forms of `ISODate(…)` and `$date` (bson's `DateTimeFormatter`), the
//! `EEE MMM dd yyyy HH:mm:ss z` form of `new Date("…")` (`SimpleDateFormat`), the calendar fields
//! of `new Date(y, m, …)` (a lenient `Calendar` in UTC), the string `Date()` gives, and the
//! ISO-8601 text of the relaxed writer's `$date`.
//!
//! Everything here works on text and epoch milliseconds; where a date sits in the grammar and
//! what its errors say is the reader's business. Epoch-day arithmetic is `crate::java`'s.

const MILLIS_PER_DAY: i64 = 86_400_000;

/// A byte cursor for the fixed-width date grammars.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, expected: u8) -> bool {
        if self.bytes.get(self.at) == Some(&expected) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn eat_any(&mut self, expected: &[u8]) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        if expected.contains(&b) {
            self.at += 1;
            Some(b)
        } else {
            None
        }
    }

    /// Up to `max` ASCII digits: their value and count.
    fn digits(&mut self, max: usize) -> (i64, usize) {
        let mut value = 0i64;
        let mut count = 0;
        while count < max {
            match self.bytes.get(self.at) {
                Some(b) if b.is_ascii_digit() => {
                    value = value * 10 + i64::from(b - b'0');
                    self.at += 1;
                    count += 1;
                }
                _ => break,
            }
        }
        (value, count)
    }

    /// The ASCII letters from here on.
    fn letters(&mut self) -> &str {
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_alphabetic) {
            self.at += 1;
        }
        std::str::from_utf8(self.bytes.get(start..self.at).unwrap_or_default()).unwrap_or_default()
    }

    /// Exactly `n` digits.
    fn fixed(&mut self, n: usize) -> Option<i64> {
        let (value, count) = self.digits(n);
        (count == n).then_some(value)
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

/// `org.bson.json.DateTimeFormatter.parse` (bson 5, on JDK 17): a 10-character string is an
/// `ISO_LOCAL_DATE` at midnight UTC, anything else an `ISO_OFFSET_DATE_TIME`
/// (`YYYY-MM-DDTHH:MM[:SS[.fffffffff]]` then `Z` or `±HH[:MM[:SS]]`, `T` and `Z` in any case).
pub(super) fn parse_iso_date(text: &str) -> Option<i64> {
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let (year, month, day) = iso_local_date(&mut cursor)?;
    let days = crate::java::epoch_day(year, month, day);
    if text.chars().count() == 10 {
        return cursor
            .done()
            .then(|| days.checked_mul(MILLIS_PER_DAY))
            .flatten();
    }
    cursor.eat_any(b"Tt")?;
    let hour = cursor.fixed(2).filter(|h| *h <= 23)?;
    if !cursor.eat(b':') {
        return None;
    }
    let minute = cursor.fixed(2).filter(|m| *m <= 59)?;
    let mut second = 0;
    let mut nanos = 0;
    if cursor.eat(b':') {
        second = cursor.fixed(2).filter(|s| *s <= 59)?;
        if cursor.eat(b'.') {
            let (fraction, count) = cursor.digits(9);
            let scale = 10i64.pow(u32::try_from(9 - count).ok()?);
            nanos = fraction * scale;
        }
    }
    let offset = if cursor.eat_any(b"Zz").is_some() {
        0
    } else {
        let sign = if cursor.eat_any(b"+-")? == b'-' {
            -1
        } else {
            1
        };
        let hours = cursor.fixed(2).filter(|h| *h <= 18)?;
        let mut minutes = 0;
        let mut seconds = 0;
        if cursor.eat(b':') {
            minutes = cursor.fixed(2).filter(|m| *m <= 59)?;
            if cursor.eat(b':') {
                seconds = cursor.fixed(2).filter(|s| *s <= 59)?;
            }
        }
        let total = hours * 3600 + minutes * 60 + seconds;
        if total > 18 * 3600 {
            return None;
        }
        sign * total
    };
    if !cursor.done() {
        return None;
    }
    let seconds =
        i128::from(days) * 86_400 + i128::from(hour * 3600 + minute * 60 + second - offset);
    i64::try_from(seconds * 1000 + i128::from(nanos / 1_000_000)).ok()
}

/// `ISO_LOCAL_DATE`: a 4-digit year (or a signed one, `+` needing more than 4 digits), then
/// `-MM-DD` validated strictly.
fn iso_local_date(cursor: &mut Cursor<'_>) -> Option<(i64, i64, i64)> {
    let sign = cursor.eat_any(b"+-");
    let (year, count) = cursor.digits(10);
    let year_ok = match sign {
        None => count == 4,
        Some(b'+') => (5..=10).contains(&count),
        Some(_) => (4..=10).contains(&count),
    };
    if !year_ok || year > 999_999_999 {
        return None;
    }
    let year = if sign == Some(b'-') { -year } else { year };
    if !cursor.eat(b'-') {
        return None;
    }
    let month = cursor.fixed(2).filter(|m| (1..=12).contains(m))?;
    if !cursor.eat(b'-') {
        return None;
    }
    let day = cursor
        .fixed(2)
        .filter(|d| *d >= 1 && *d <= crate::java::days_in_month(year, month))?;
    Some((year, month, day))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

/// Matches a full or three-letter English name, case-insensitively, as `SimpleDateFormat` does.
fn name_index(names: &[&str], text: &str) -> Option<i64> {
    let lower = text.to_ascii_lowercase();
    let index = names
        .iter()
        .position(|name| *name == lower || name.get(..3) == Some(lower.as_str()))?;
    i64::try_from(index).ok()
}

/// `new SimpleDateFormat("EEE MMM dd yyyy HH:mm:ss z", Locale.ENGLISH).parse`, lenient: the day
/// name is checked but ignored, numbers roll over (`Feb 30` is March 1), and like `subParse` the
/// numeric fields and the zone may be preceded by extra spaces.
pub(super) fn parse_legacy_date(text: &str) -> Option<i64> {
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    name_index(&WEEKDAYS, cursor.letters())?;
    if !cursor.eat(b' ') {
        return None;
    }
    let month = name_index(&MONTHS, cursor.letters())?;
    let mut fields = [0i64; 5];
    for (index, field) in fields.iter_mut().enumerate() {
        let separator = if index < 3 { b' ' } else { b':' };
        if !cursor.eat(separator) {
            return None;
        }
        while cursor.eat(b' ') {}
        let (value, count) = cursor.digits(9);
        if count == 0 {
            return None;
        }
        *field = value;
    }
    if !cursor.eat(b' ') {
        return None;
    }
    while cursor.eat(b' ') {}
    let zone = text.get(cursor.at..)?;
    let offset = legacy_zone_offset(zone)?;
    let [day, year, hour, minute, second] = fields;
    lenient_calendar_millis([year, month, day, hour, minute, second, 0], offset)
}

/// The zones we know for [`parse_legacy_date`], as seconds east of UTC.
fn legacy_zone_offset(zone: &str) -> Option<i64> {
    let upper = zone.to_ascii_uppercase();
    let hours = match upper.as_str() {
        "UTC" | "GMT" => 0,
        "EST" => -5,
        "EDT" | "AST" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "CET" => 1,
        "CEST" | "EET" => 2,
        _ => {
            // `GMT±h:mm` (general time zone) or `±hhmm` (RFC 822).
            let (rest, general) = match upper.strip_prefix("GMT") {
                Some(rest) => (rest, true),
                None => (upper.as_str(), false),
            };
            let mut cursor = Cursor {
                bytes: rest.as_bytes(),
                at: 0,
            };
            let sign = if cursor.eat_any(b"+-")? == b'-' {
                -1
            } else {
                1
            };
            let (hours, minutes) = if general {
                let (hours, count) = cursor.digits(2);
                if count == 0 || !cursor.eat(b':') {
                    return None;
                }
                (hours, cursor.fixed(2)?)
            } else {
                (cursor.fixed(2)?, cursor.fixed(2)?)
            };
            if !cursor.done() || hours > 23 || minutes > 59 {
                return None;
            }
            return Some(sign * (hours * 3600 + minutes * 60));
        }
    };
    Some(hours * 3600)
}

/// Epoch milliseconds of calendar fields as a lenient `Calendar` in UTC computes them:
/// `month` counts from 0 and every field may overflow into the next.
pub(super) fn lenient_calendar_millis(fields: [i64; 7], offset_seconds: i64) -> Option<i64> {
    let [year, month, day, hour, minute, second, milli] = fields;
    let months = year.checked_mul(12)?.checked_add(month)?;
    let days =
        crate::java::epoch_day(months.div_euclid(12), months.rem_euclid(12) + 1, 1) + day - 1;
    let millis = i128::from(days) * i128::from(MILLIS_PER_DAY)
        + i128::from(hour) * 3_600_000
        + i128::from(minute) * 60_000
        + (i128::from(second) - i128::from(offset_seconds)) * 1000
        + i128::from(milli);
    i64::try_from(millis).ok()
}

/// The current time as `Date()` renders it: `EEE MMM dd yyyy HH:mm:ss z`, here in UTC.
pub(super) fn format_shell_date(millis: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTH_NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let of_day = millis.rem_euclid(MILLIS_PER_DAY) / 1000;
    let (year, month, day) = crate::java::date_of_epoch_day(days);
    let weekday = usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
    let month_name = usize::try_from(month - 1)
        .ok()
        .and_then(|m| MONTH_NAMES.get(m))
        .unwrap_or(&"Jan");
    format!(
        "{} {} {:02} {:04} {:02}:{:02}:{:02} UTC",
        DAYS.get(weekday).unwrap_or(&"Sun"),
        month_name,
        day,
        year,
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

pub(super) fn format_iso_millis(millis: i64) -> String {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let of_day = millis.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = crate::java::date_of_epoch_day(days);
    let seconds = of_day / 1000;
    let mut text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    let fraction = of_day % 1000;
    if fraction != 0 {
        let digits = format!("{fraction:03}");
        text.push('.');
        text.push_str(digits.trim_end_matches('0'));
    }
    text.push('Z');
    text
}
