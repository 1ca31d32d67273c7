//! The rules for the text of a `mongoFile` script, shared by lbmongo's loader and the jar. The
//! jar reads the file's bytes through Liquibase's resource accessor and asks the engine for the
//! text, so one file gives one text, one checksum and one error in both tools.
//!
//! The text is what the Harness extension runs: `MongoshFileChange.getSql` reads the file with
//! core's `StreamUtil.readStreamAsString(stream, encoding)` (4.24–4.33), which drops a byte
//! order mark (`BomAwareInputStream`), lets a mark choose the charset when `encoding` is absent,
//! refuses a mark that contradicts a `UTF…` encoding, and decodes the rest with the Java charset
//! the attribute names. The checksum is not over that text but over the file's bytes
//! ([`crate::CheckSum`]); the caller keeps them.
//!
//! Where Java would turn bytes that are not characters of the charset into U+FFFD and run the
//! result, lbmongo refuses the file with the line and byte instead: a script silently changed by
//! its reader is worse than one that does not run.

use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Why a script file cannot be used, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What is wrong, naming the file.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// A charset the `encoding` attribute may name: the Java charsets lbmongo decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// `UTF-8`, the default (core's `liquibase.fileEncoding`).
    Utf8,
    /// `UTF-16`: big-endian, as Java reads it without a byte order mark.
    Utf16,
    /// `UTF-16BE`.
    Utf16Be,
    /// `UTF-16LE`.
    Utf16Le,
    /// `ISO-8859-1`: every byte is the code point of the same number.
    Iso8859_1,
    /// `windows-1252`.
    Windows1252,
    /// `US-ASCII`.
    UsAscii,
}

/// Each charset's Java name and aliases, as `Charset.forName(name).aliases()` lists them on
/// JDK 17 (checked by running it): the names an `encoding` attribute Liquibase accepts may use.
const CHARSETS: [(Charset, &str, &[&str]); 7] = [
    (Charset::Utf8, "UTF-8", &["UTF8", "unicode-1-1-utf-8"]),
    (
        Charset::Utf16,
        "UTF-16",
        &["UTF_16", "UnicodeBig", "unicode", "utf16"],
    ),
    (
        Charset::Utf16Be,
        "UTF-16BE",
        &[
            "ISO-10646-UCS-2",
            "UTF_16BE",
            "UnicodeBigUnmarked",
            "X-UTF-16BE",
        ],
    ),
    (
        Charset::Utf16Le,
        "UTF-16LE",
        &["UTF_16LE", "UnicodeLittleUnmarked", "X-UTF-16LE"],
    ),
    (
        Charset::Iso8859_1,
        "ISO-8859-1",
        &[
            "819",
            "8859_1",
            "IBM-819",
            "IBM819",
            "ISO8859-1",
            "ISO8859_1",
            "ISO_8859-1",
            "ISO_8859-1:1987",
            "ISO_8859_1",
            "cp819",
            "csISOLatin1",
            "iso-ir-100",
            "l1",
            "latin1",
        ],
    ),
    (
        Charset::Windows1252,
        "windows-1252",
        &["cp1252", "cp5348", "ibm-1252", "ibm1252"],
    ),
    (
        Charset::UsAscii,
        "US-ASCII",
        &[
            "646",
            "ANSI_X3.4-1968",
            "ANSI_X3.4-1986",
            "ASCII",
            "IBM367",
            "ISO646-US",
            "ISO_646.irv:1991",
            "ascii7",
            "cp367",
            "csASCII",
            "default",
            "iso-ir-6",
            "iso_646.irv:1983",
            "us",
        ],
    ),
];

impl Charset {
    /// The charset `name` denotes, as `java.nio.charset.Charset.forName`: the canonical name or
    /// an alias, in any case.
    pub fn for_name(name: &str) -> Option<Charset> {
        CHARSETS.iter().find_map(|(charset, canonical, aliases)| {
            std::iter::once(canonical)
                .chain(aliases.iter())
                .any(|n| n.eq_ignore_ascii_case(name))
                .then_some(*charset)
        })
    }

    /// Java's canonical name (`Charset.name()`).
    pub fn name(self) -> &'static str {
        CHARSETS
            .iter()
            .find(|(c, ..)| *c == self)
            .map(|(_, name, _)| *name)
            .expect("every charset is in the table")
    }

    /// `text` in this charset, with the offset into `body` of the first byte that is not
    /// part of a character of it.
    fn decode(self, body: &[u8]) -> Result<String, usize> {
        match self {
            Charset::Utf8 => with_encoding_rs(UTF_8, body),
            // Java's UTF-16 decoder reads big-endian when no mark says otherwise, and
            // `StreamUtil` has already taken any mark away (or refused it).
            Charset::Utf16 | Charset::Utf16Be => with_encoding_rs(UTF_16BE, body),
            Charset::Utf16Le => with_encoding_rs(UTF_16LE, body),
            // encoding_rs follows the WHATWG Encoding Standard, where the labels `iso-8859-1`
            // and `us-ascii` mean windows-1252; Java's ISO-8859-1 maps byte n to U+00n, and
            // its US-ASCII stops at 0x7F. Both are one line, so they are written here.
            Charset::Iso8859_1 => Ok(body.iter().map(|b| char::from(*b)).collect()),
            Charset::UsAscii => match body.iter().position(|b| !b.is_ascii()) {
                Some(bad) => Err(bad),
                None => Ok(body.iter().map(|b| char::from(*b)).collect()),
            },
            // Java's windows-1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D unmapped (decoded as
            // U+FFFD); WHATWG maps them to the C1 controls. They are not text in Java's sense.
            Charset::Windows1252 => {
                match body
                    .iter()
                    .position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
                {
                    Some(bad) => Err(bad),
                    None => with_encoding_rs(WINDOWS_1252, body),
                }
            }
        }
    }
}

/// `body` decoded by `encoding` without replacement characters, or the offset of the first
/// malformed byte.
fn with_encoding_rs(encoding: &'static Encoding, body: &[u8]) -> Result<String, usize> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(body.len())
        .expect("a script that fits in memory fits its decoded length in usize");
    let mut text = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(body, &mut text, true);
    match result {
        DecoderResult::InputEmpty => Ok(text),
        // `read` counts the malformed bytes and the `extra` ones read after them.
        DecoderResult::Malformed(bad, extra) => Err(read - usize::from(bad) - usize::from(extra)),
        DecoderResult::OutputFull => unreachable!("the buffer has the decoder's maximum length"),
    }
}

/// The byte order marks `BomAwareInputStream` recognises, longest first as it tries them (so
/// `FF FE 00 00` is UTF-32LE, not UTF-16LE and a NUL): the mark and the charset it names.
const BOMS: [(&[u8], &str); 5] = [
    (b"\xFF\xFE\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xFE\xFF", "UTF-32BE"),
    (b"\xEF\xBB\xBF", "UTF-8"),
    (b"\xFF\xFE", "UTF-16LE"),
    (b"\xFE\xFF", "UTF-16BE"),
];

/// The names an `encoding` attribute may use, for messages.
fn accepted() -> String {
    let names: Vec<String> = CHARSETS
        .iter()
        .map(|(_, name, _)| format!("`{name}`"))
        .collect();
    names.join(", ")
}

/// The `encoding` attribute of the script at `resolved`: absent or blank is the default
/// (UTF-8, or what a byte order mark says, as `StreamUtil` reads a `null` encoding); otherwise
/// one of Java's names for a charset lbmongo decodes.
pub fn check_encoding(resolved: &str, encoding: Option<&str>) -> Result<Option<Charset>, Refusal> {
    let Some(name) = encoding.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    Charset::for_name(name).map(Some).ok_or_else(|| Refusal {
        message: format!(
            "mongoFile `{resolved}`: encoding `{name}` is not a charset lbmongo reads"
        ),
        hint: format!(
            "use one of {} or one of Java's aliases for them (e.g. `latin1`, `Cp1252`, `UTF8`)",
            accepted()
        ),
    })
}

/// The file at `resolved` does not exist where the change says to look.
pub fn not_found(resolved: &str, relative_to_changelog_file: Option<bool>) -> Refusal {
    Refusal {
        message: format!("mongoFile: file `{resolved}` was not found"),
        hint: if relative_to_changelog_file == Some(true) {
            "the path is resolved next to the changelog".to_owned()
        } else {
            "the path is relative to the search path; add relativeToChangelogFile=\"true\" to \
             resolve it next to the changelog"
                .to_owned()
        },
    }
}

/// The script's text from the bytes of the file at `resolved`, read in `charset` (from
/// [`check_encoding`]) as `StreamUtil.readStreamAsString` reads it: a byte order mark dropped,
/// anything that is not a character of the charset refused with its line and byte.
pub fn text(resolved: &str, charset: Option<Charset>, bytes: &[u8]) -> Result<String, Refusal> {
    let bom = BOMS.iter().find(|(mark, _)| bytes.starts_with(mark));
    let body = &bytes[bom.map_or(0, |(mark, _)| mark.len())..];
    let charset = match (charset, bom) {
        // As `StreamUtil.readStreamWithReader`: a given charset whose name starts with `UTF`
        // must be the mark's (so `UTF-16` with a mark is refused too, since the mark names
        // the byte order); other charsets read on after the mark.
        (Some(given), Some((_, marked)))
            if given.name().starts_with("UTF") && given.name() != *marked =>
        {
            return Err(Refusal {
                message: format!(
                    "mongoFile `{resolved}`: encoding `{}` was given, but the file starts with a \
                     {marked} byte order mark",
                    given.name()
                ),
                hint: format!(
                    "set `encoding` to `{marked}` or leave it out (Liquibase refuses this file \
                     too: \"Expected encoding was '{}' but a BOM was detected for '{marked}'\")",
                    given.name()
                ),
            });
        }
        (Some(given), _) => given,
        (None, Some((_, marked))) => Charset::for_name(marked).ok_or_else(|| Refusal {
            message: format!(
                "mongoFile `{resolved}`: the file starts with a {marked} byte order mark, and \
                 lbmongo does not read {marked}"
            ),
            hint: format!("save the script in one of {}", accepted()),
        })?,
        (None, None) => Charset::Utf8,
    };
    charset.decode(body).map_err(|bad| {
        let offset = bytes.len() - body.len() + bad;
        // The line counts the line feeds of the text before the bad byte (which decodes,
        // being before it).
        let line = charset
            .decode(&body[..bad])
            .map_or(1, |before| before.matches('\n').count() + 1);
        Refusal {
            message: format!(
                "mongoFile `{resolved}`: line {line}: not valid {} at byte {offset}",
                charset.name()
            ),
            hint: if charset == Charset::Utf8 {
                "save the script as UTF-8, or name its charset in `encoding`".to_owned()
            } else {
                format!(
                    "save the script as {}, or name its charset in `encoding`",
                    charset.name()
                )
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_names_and_aliases_name_the_charsets_in_any_case() {
        for (name, charset) in [
            ("UTF-8", Charset::Utf8),
            ("utf8", Charset::Utf8),
            ("ISO-8859-1", Charset::Iso8859_1),
            ("latin1", Charset::Iso8859_1),
            ("ISO8859_1", Charset::Iso8859_1),
            ("iso-8859-1", Charset::Iso8859_1),
            ("Cp1252", Charset::Windows1252),
            ("WINDOWS-1252", Charset::Windows1252),
            ("UTF-16", Charset::Utf16),
            ("unicode", Charset::Utf16),
            ("UTF-16BE", Charset::Utf16Be),
            ("UnicodeBigUnmarked", Charset::Utf16Be),
            ("utf-16le", Charset::Utf16Le),
            ("US-ASCII", Charset::UsAscii),
            ("ascii", Charset::UsAscii),
        ] {
            assert_eq!(Charset::for_name(name), Some(charset), "{name}");
        }
        for unknown in ["latin-1", "UTF-32", "utf_8x", "EBCDIC", ""] {
            assert_eq!(Charset::for_name(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn no_encoding_is_the_default_and_an_unknown_one_names_the_accepted_ones() {
        for none in [None, Some(""), Some("  ")] {
            assert_eq!(check_encoding("a.js", none), Ok(None), "{none:?}");
        }
        assert_eq!(
            check_encoding("a.js", Some(" Utf-8 ")),
            Ok(Some(Charset::Utf8))
        );
        let refused = check_encoding("s/a.js", Some("latin-2")).expect_err("unknown");
        assert_eq!(
            refused.message,
            "mongoFile `s/a.js`: encoding `latin-2` is not a charset lbmongo reads"
        );
        assert_eq!(
            refused.hint,
            "use one of `UTF-8`, `UTF-16`, `UTF-16BE`, `UTF-16LE`, `ISO-8859-1`, \
             `windows-1252`, `US-ASCII` or one of Java's aliases for them (e.g. `latin1`, \
             `Cp1252`, `UTF8`)"
        );
    }

    #[test]
    fn the_not_found_hint_follows_where_the_path_is_resolved() {
        assert_eq!(
            not_found("s/a.js", Some(true)).hint,
            "the path is resolved next to the changelog"
        );
        for elsewhere in [None, Some(false)] {
            assert!(
                not_found("s/a.js", elsewhere)
                    .hint
                    .contains("relativeToChangelogFile")
            );
        }
    }

    /// The texts core 4.24.0 and 4.33.0 `StreamUtil.readStreamAsString` give for these bytes
    /// (observed with both jars on JDK 17), where Java gives a text without U+FFFD.
    #[test]
    fn scripts_decode_as_liquibase_streamutil_decodes_them() {
        use Charset::*;
        let cases: [(&[u8], Option<Charset>, &str); 16] = [
            (b"\xEF\xBB\xBFdb.x.drop()", None, "db.x.drop()"),
            (b"\xEF\xBB\xBFa\xC3\xA4", Some(Utf8), "a\u{e4}"),
            // Any charset that is not `UTF…` reads on after a UTF-8 mark, which is dropped.
            (b"\xEF\xBB\xBFa\xE4", Some(Iso8859_1), "a\u{e4}"),
            (b"\xEF\xBB\xBFa\xE4", Some(Windows1252), "a\u{e4}"),
            (b"a\x80\xE4", Some(Windows1252), "a\u{20ac}\u{e4}"),
            (b"a\x81\x80b", Some(Iso8859_1), "a\u{81}\u{80}b"),
            // Without `encoding`, a UTF-16 mark chooses the byte order.
            (b"\xFE\xFF\x00a", None, "a"),
            (b"\xFF\xFEa\x00", None, "a"),
            (b"\xFE\xFF\x00a", Some(Utf16Be), "a"),
            (b"\xFF\xFEa\x00", Some(Utf16Le), "a"),
            // UTF-16 without a mark is big-endian.
            (b"\x00a\x00b", Some(Utf16), "ab"),
            (b"\x00a\x00b", Some(Utf16Le), "\u{6100}\u{6200}"),
            // A UTF-16 mark read as a single-byte charset is dropped all the same.
            (b"\xFE\xFF\x00a", Some(Iso8859_1), "\u{0}a"),
            (b"\xFF\xFEa", Some(UsAscii), "a"),
            (b"\x00a\x00b", None, "\u{0}a\u{0}b"),
            (b"\xD8\x3D\xDE\x00", Some(Utf16Be), "\u{1f600}"),
        ];
        for (bytes, charset, expected) in cases {
            assert_eq!(
                text("a.js", charset, bytes).as_deref(),
                Ok(expected),
                "{bytes:x?} {charset:?}"
            );
        }
    }

    #[test]
    fn a_mark_that_contradicts_a_utf_encoding_is_refused_as_liquibase_refuses_it() {
        for (bytes, given, marked) in [
            (&b"\xFE\xFF\x00a"[..], Charset::Utf16, "UTF-16BE"),
            (b"\xFF\xFEa\x00", Charset::Utf16Be, "UTF-16LE"),
            (b"\xEF\xBB\xBFa", Charset::Utf16Le, "UTF-8"),
            (b"\xFF\xFEa\x00", Charset::Utf8, "UTF-16LE"),
        ] {
            let refused = text("a.js", Some(given), bytes).expect_err("contradicting mark");
            assert_eq!(
                refused.message,
                format!(
                    "mongoFile `a.js`: encoding `{}` was given, but the file starts with a \
                     {marked} byte order mark",
                    given.name()
                )
            );
            assert!(
                refused.hint.contains(&format!(
                    "Expected encoding was '{}' but a BOM was detected for '{marked}'",
                    given.name()
                )),
                "{}",
                refused.hint
            );
        }
        let refused = text("a.js", None, b"\xFF\xFE\x00\x00a\x00\x00\x00").expect_err("UTF-32");
        assert_eq!(
            refused.message,
            "mongoFile `a.js`: the file starts with a UTF-32LE byte order mark, and lbmongo \
             does not read UTF-32LE"
        );
    }

    /// Bytes Java would turn into U+FFFD are refused with the line and the byte (counted in
    /// the file, mark included).
    #[test]
    fn bytes_outside_the_charset_are_refused_with_their_line_and_byte() {
        let cases: [(&[u8], Option<Charset>, &str); 6] = [
            (
                b"\xEF\xBB\xBF\n\xFF",
                None,
                "mongoFile `a.js`: line 2: not valid UTF-8 at byte 4",
            ),
            (
                b"a\nb\n\xE4",
                Some(Charset::UsAscii),
                "mongoFile `a.js`: line 3: not valid US-ASCII at byte 4",
            ),
            (
                b"a\n\x9D",
                Some(Charset::Windows1252),
                "mongoFile `a.js`: line 2: not valid windows-1252 at byte 2",
            ),
            // A lone high surrogate on the second line.
            (
                b"\xFF\xFEa\x00\n\x00\x00\xD8b\x00",
                None,
                "mongoFile `a.js`: line 2: not valid UTF-16LE at byte 6",
            ),
            // An odd byte at the end.
            (
                b"\x00a\x00",
                Some(Charset::Utf16Be),
                "mongoFile `a.js`: line 1: not valid UTF-16BE at byte 2",
            ),
            (
                b"\x00a\x00",
                Some(Charset::Utf16),
                "mongoFile `a.js`: line 1: not valid UTF-16 at byte 2",
            ),
        ];
        for (bytes, charset, message) in cases {
            let refused = text("a.js", charset, bytes).expect_err(message);
            assert_eq!(refused.message, message);
        }
        assert_eq!(
            text("a.js", None, b"\xFF").expect_err("bad").hint,
            "save the script as UTF-8, or name its charset in `encoding`"
        );
        assert_eq!(
            text("a.js", Some(Charset::UsAscii), b"\xFF")
                .expect_err("bad")
                .hint,
            "save the script as US-ASCII, or name its charset in `encoding`"
        );
    }
}
