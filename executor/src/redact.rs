//! Keeping secrets out of text: every message, log line and report that may hold a connection
//! URL passes through [`mask`]. A leaf module (it uses nothing of the crate), so errors and
//! connections can both depend on it.

/// Masks the password of every `scheme://user:password@` in `text`: `mongodb://user:*****@host`.
pub(crate) fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The userinfo ends at the last `@` before the next `/`, `?` or whitespace.
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push_str(":*****");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_everywhere_in_a_text() {
        let cases = [
            ("mongodb://u:secret@h/db", "mongodb://u:*****@h/db"),
            (
                "error at mongodb+srv://a:b@c/d and mongodb://x:y@z",
                "error at mongodb+srv://a:*****@c/d and mongodb://x:*****@z",
            ),
            ("mongodb://onlyuser@h/db", "mongodb://onlyuser@h/db"),
            ("no url here", "no url here"),
            ("mongodb://u:p@ss@h/db", "mongodb://u:*****@h/db"),
        ];
        for (text, expected) in cases {
            assert_eq!(mask(text), expected);
        }
    }
}
