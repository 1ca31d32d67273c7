//! The mongosh settings and what they become: [`NativeMode`] (`--mongosh-native`),
//! [`MongoshSettings`] as a door reads them, and [`MongoshOptions`], made from them by one rule
//! for both tools ([`MongoshOptions::from_settings`]).
//!
//! Data and parsing only: nothing here runs a script or knows the subset.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};

/// `--mongosh-native`: which way `mongo`/`mongoFile` scripts run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NativeMode {
    /// Natively when the whole script is inside the subset, else through mongosh.
    #[default]
    Auto,
    /// Always natively; a script outside the subset fails before any of it runs.
    Always,
    /// Always through mongosh.
    Never,
}

impl FromStr for NativeMode {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(NativeMode::Auto),
            "always" => Ok(NativeMode::Always),
            "never" => Ok(NativeMode::Never),
            other => Err(format!(
                "`--mongosh-native` must be auto, always or never, not `{other}`"
            )),
        }
    }
}

/// The mongosh settings as a door reads them (text, unset as `None`), to become
/// [`MongoshOptions`] by one rule in both tools: [`MongoshOptions::from_settings`].
#[derive(Debug, Clone, Copy, Default)]
pub struct MongoshSettings<'a> {
    /// `--mongosh-path` / `liquibase.mongodb.mongoshPath`.
    pub path: Option<&'a str>,
    /// `--mongosh-native` / `liquibase.mongodb.mongoshNative`: `auto`, `always` or `never`.
    pub native: Option<&'a str>,
    /// `--mongosh-timeout-seconds` / `liquibase.mongodb.mongoshTimeoutSeconds`; `-1` for none.
    pub timeout_seconds: Option<&'a str>,
    /// `--mongosh-extra-args` / `liquibase.mongodb.mongoshExtraArgs`, split at whitespace.
    pub extra_args: Option<&'a str>,
    /// `--mongosh-log-file` / `liquibase.mongodb.mongoshLogFile`.
    pub log_file: Option<&'a str>,
    /// How the door's users name the settings, for messages.
    pub names: SettingNames,
}

/// The names a door gives the mongosh settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SettingNames {
    /// `lbmongo`'s flags: `--mongosh-native`.
    #[default]
    Cli,
    /// Liquibase's configuration keys: `liquibase.mongodb.mongoshNative`.
    Liquibase,
}

impl SettingNames {
    fn native(self) -> &'static str {
        match self {
            SettingNames::Cli => "--mongosh-native",
            SettingNames::Liquibase => "liquibase.mongodb.mongoshNative",
        }
    }

    fn timeout(self) -> &'static str {
        match self {
            SettingNames::Cli => "--mongosh-timeout-seconds",
            SettingNames::Liquibase => "liquibase.mongodb.mongoshTimeoutSeconds",
        }
    }
}

/// How `mongo`/`mongoFile` scripts run (the `liquibase.mongodb.mongosh*` settings).
#[derive(Clone, PartialEq, Eq)]
pub struct MongoshOptions {
    /// The mongosh executable (`--mongosh-path`, `liquibase.mongodb.mongoshPath`); `None`
    /// searches `PATH`.
    pub path: Option<PathBuf>,
    /// Native execution (`--mongosh-native`, `liquibase.mongodb.mongoshNative`).
    pub native: NativeMode,
    /// How long one mongosh process may run; `None` for no limit (`-1`). Default 1800 s, as
    /// Liquibase Pro documents.
    pub timeout: Option<Duration>,
    /// Arguments before ours (default `--quiet --norc`).
    pub extra_args: Vec<String>,
    /// A file that every run's output is appended to.
    pub log_file: Option<PathBuf>,
    /// The connection URL mongosh connects to, credentials included. `None` uses the
    /// connection's URL, which works only without a password (the connection keeps the
    /// password masked).
    pub url: Option<String>,
}

impl MongoshOptions {
    /// The options the settings give; blank values count as unset. `url` is left `None` for
    /// the door to fill in. `Err` names the setting as the door's users know it.
    pub fn from_settings(settings: &MongoshSettings<'_>) -> Result<MongoshOptions> {
        fn set(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        let names = settings.names;
        let mut options = MongoshOptions {
            path: set(settings.path).map(PathBuf::from),
            log_file: set(settings.log_file).map(PathBuf::from),
            ..MongoshOptions::default()
        };
        if let Some(native) = set(settings.native) {
            options.native = native.parse::<NativeMode>().map_err(|_| {
                setting_error(format!(
                    "`{}` must be auto, always or never, not `{native}`",
                    names.native()
                ))
            })?;
        }
        if let Some(seconds) = set(settings.timeout_seconds) {
            let parsed: f64 = seconds.parse().map_err(|_| {
                setting_error(format!(
                    "`{}` must be a number of seconds or -1, not `{seconds}`",
                    names.timeout()
                ))
            })?;
            options.timeout = if parsed < 0.0 {
                None
            } else {
                Some(Duration::try_from_secs_f64(parsed).map_err(|_| {
                    setting_error(format!(
                        "`{}` is out of range: `{seconds}`",
                        names.timeout()
                    ))
                })?)
            };
        }
        if let Some(args) = set(settings.extra_args) {
            options.extra_args = args.split_whitespace().map(str::to_owned).collect();
        }
        Ok(options)
    }
}

fn setting_error(message: String) -> Error {
    Error::Config {
        message,
        hint: None,
    }
}

impl Default for MongoshOptions {
    fn default() -> Self {
        Self {
            path: None,
            native: NativeMode::Auto,
            timeout: Some(Duration::from_secs(1800)),
            extra_args: vec!["--quiet".to_owned(), "--norc".to_owned()],
            log_file: None,
            url: None,
        }
    }
}

impl fmt::Debug for MongoshOptions {
    // By hand, so that a password in `url` never reaches a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoshOptions")
            .field("path", &self.path)
            .field("native", &self.native)
            .field("timeout", &self.timeout)
            .field("extra_args", &self.extra_args)
            .field("log_file", &self.log_file)
            .field("url", &self.url.as_deref().map(crate::redact::mask))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_mode_parses_the_three_values() {
        let cases = [
            ("auto", Ok(NativeMode::Auto)),
            ("ALWAYS", Ok(NativeMode::Always)),
            (" never ", Ok(NativeMode::Never)),
            ("sometimes", Err(())),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<NativeMode>().map_err(drop), expected, "{text}");
        }
    }

    #[test]
    fn debug_output_masks_the_url() {
        let options = MongoshOptions {
            url: Some("mongodb://u:topsecret@h/db".into()),
            ..MongoshOptions::default()
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
    }
}
