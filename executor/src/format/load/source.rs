//! Changelog files: finding a path in the search path and decoding its bytes to text.
//!
//! As Liquibase's `SearchPathResourceAccessor` (4.28.0): the first search root that holds the
//! path wins. Decoding is shared with the jar (through the bridge), so that both accept and
//! reject the same bytes.

use std::path::PathBuf;

use super::{Loader, Site};

/// Changelog and script bytes to text, for lbmongo and (through the bridge) the jar alike: a
/// UTF-8 BOM is dropped, anything that is not UTF-8 is rejected with the line and byte offset
/// of the first bad byte.
pub(crate) fn decode(bytes: &[u8]) -> std::result::Result<String, (usize, String)> {
    let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(body) => (3, body),
        None => (0, bytes),
    };
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => {
            let offset = e.valid_up_to();
            let line = body[..offset].iter().filter(|b| **b == b'\n').count() + 1;
            Err((line, format!("not valid UTF-8 at byte {}", bom + offset)))
        }
    }
}

/// [`decode`] of bytes the caller no longer needs: UTF-8 without a BOM becomes the text in
/// place, without a second copy of a file that can be megabytes.
fn decode_owned(bytes: Vec<u8>) -> std::result::Result<String, (usize, String)> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return decode(&bytes);
    }
    String::from_utf8(bytes).or_else(|e| decode(e.as_bytes()))
}

impl Loader<'_> {
    /// The first search root holding `path` as a file.
    pub(super) fn locate(&self, path: &str) -> Option<PathBuf> {
        self.options
            .search_path
            .iter()
            .map(|root| root.join(path))
            .find(|p| p.is_file())
    }

    /// Reads and decodes a file found through the search path; a missing file is reported.
    pub(super) fn read_source(&mut self, physical: &str, site: Site<'_>) -> Option<String> {
        let Some(found) = self.locate(physical) else {
            // As SearchPathResourceAccessor (4.28.0): an absolute path is looked up under each
            // search root after its leading `/` is dropped, so it is only found when a root
            // covers it.
            self.report(
                site,
                format!("file `{physical}` was not found in the search path"),
                Some(
                    "paths are relative to the search path (`--search-path`, default: the \
                     current directory)"
                        .into(),
                ),
            );
            return None;
        };
        self.read_found(&found, physical, site)
    }

    pub(super) fn read_found(
        &mut self,
        found: &PathBuf,
        physical: &str,
        site: Site<'_>,
    ) -> Option<String> {
        let bytes = match std::fs::read(found) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.report(site, format!("cannot read `{physical}`: {e}"), None);
                return None;
            }
        };
        match decode_owned(bytes) {
            Ok(text) => Some(text),
            Err((line, message)) => {
                self.report(
                    Site {
                        file: physical,
                        change_set: None,
                        line: Some(line),
                    },
                    message,
                    Some("changelogs are read as UTF-8; save the file as UTF-8".into()),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_non_utf8_with_offset_and_line() {
        assert_eq!(decode(b"\xEF\xBB\xBFabc").as_deref(), Ok("abc"));
        for bytes in [
            &b"abc"[..],
            b"\xEF\xBB\xBFabc",
            b"a\nb\n\xFFc",
            b"\xEF\xBB\xBF\n\xC3",
        ] {
            assert_eq!(decode_owned(bytes.to_vec()), decode(bytes), "{bytes:?}");
        }
        assert_eq!(
            decode(b"a\nb\n\xFFc"),
            Err((3, "not valid UTF-8 at byte 4".to_owned()))
        );
        assert_eq!(
            decode(b"\xEF\xBB\xBF\n\xC3"),
            Err((2, "not valid UTF-8 at byte 4".to_owned()))
        );
    }
}
