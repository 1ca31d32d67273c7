//! The rules for the text of a `mongoFile` script, shared by lbmongo's loader and the jar. The
//! jar reads the file's bytes through Liquibase's resource accessor and asks the engine for the
//! text, so one file gives one text, one checksum and one error in both tools.

use super::load::decode;

/// Why a script file cannot be used, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What is wrong, naming the file.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// The `encoding` attribute: lbmongo reads scripts as UTF-8 only (blank means the default,
/// UTF-8, as Liquibase's `StreamUtil` reads a `null` encoding).
pub fn check_encoding(encoding: Option<&str>) -> Result<(), Refusal> {
    match encoding.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) if !matches!(e.to_ascii_lowercase().as_str(), "utf-8" | "utf8") => Err(Refusal {
            message: format!("mongoFile: encoding `{e}` is not supported"),
            hint: "lbmongo reads scripts as UTF-8".to_owned(),
        }),
        _ => Ok(()),
    }
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

/// The script's text from the bytes of the file at `resolved`: a UTF-8 BOM dropped, anything
/// that is not UTF-8 refused with its line and byte.
pub fn text(resolved: &str, bytes: &[u8]) -> Result<String, Refusal> {
    decode(bytes).map_err(|(line, message)| Refusal {
        message: format!("mongoFile `{resolved}`: line {line}: {message}"),
        hint: "save the script as UTF-8".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_utf8_or_no_encoding_is_read() {
        for ok in [
            None,
            Some(""),
            Some("  "),
            Some("UTF-8"),
            Some("utf8"),
            Some(" Utf-8 "),
        ] {
            assert_eq!(check_encoding(ok), Ok(()), "{ok:?}");
        }
        let refused = check_encoding(Some("ISO-8859-1")).expect_err("latin-1");
        assert_eq!(
            refused.message,
            "mongoFile: encoding `ISO-8859-1` is not supported"
        );
        assert_eq!(refused.hint, "lbmongo reads scripts as UTF-8");
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

    #[test]
    fn text_drops_a_bom_and_names_the_line_and_byte_of_bad_utf8() {
        assert_eq!(
            text("a.js", b"\xEF\xBB\xBFdb.x.drop()").as_deref(),
            Ok("db.x.drop()")
        );
        let refused = text("a.js", b"\xEF\xBB\xBF\n\xFF").expect_err("bad byte");
        assert_eq!(
            refused.message,
            "mongoFile `a.js`: line 2: not valid UTF-8 at byte 4"
        );
        assert_eq!(refused.hint, "save the script as UTF-8");
    }
}
