//! Liquibase-compatible checksums (`CheckSum`), v8 and v9.

use std::fmt;

/// A stored or computed checksum: `<version>:<value>` (Liquibase `CheckSum`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CheckSum {
    version: u32,
    value: String,
}

impl CheckSum {
    /// The version lbmongo writes: v9, as every Liquibase core from 4.23 through 5.0.
    pub const LATEST_VERSION: u32 = 9;

    /// A checksum from its parts.
    pub fn new(version: u32, value: impl Into<String>) -> Self {
        Self { version, value: value.into() }
    }

    /// Parses a stored value, as `CheckSum.parse` (4.28.0): blank is no checksum; `N:value` has
    /// version N; anything else is version 1 with the whole text as value.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if let Some((version, value)) = text.split_once(':') {
            if !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
                if let Ok(version) = version.parse() {
                    return Some(Self::new(version, value));
                }
            }
        }
        Some(Self::new(1, text))
    }

    /// The algorithm version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The value after `N:`.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for CheckSum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.version, self.value)
    }
}
