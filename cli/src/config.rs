//! Settings from the command line, `LIQUIBASE_*` environment variables and the defaults file,
//! with Liquibase's precedence (4.28.0 `LiquibaseConfiguration`): command line (250) beats
//! environment (150) beats `liquibase.local.properties` (51) beats `liquibase.properties` (50).
//!
//! Keys are matched the way Liquibase's value providers match them: `changelog-file`,
//! `changeLogFile`, `liquibase.command.changelogFile` and `LIQUIBASE_COMMAND_CHANGELOG_FILE` all
//! name the same setting.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::args::Global;

/// Every setting with its source already resolved.
#[derive(Debug, Default)]
pub(crate) struct Config {
    values: HashMap<String, String>,
    /// `parameter.<name>` entries and `-D` definitions, for `${…}` expansion.
    pub(crate) parameters: Vec<(String, String)>,
    /// The defaults file that was read, if any.
    pub(crate) defaults_file: Option<PathBuf>,
}

/// A canonical key: lowercase, without separators and without `liquibase.command.` /
/// `liquibase.` prefixes, with Liquibase's aliases folded (`contexts` = `contextFilter`).
fn canonical(key: &str) -> String {
    let lower = key.trim().to_ascii_lowercase();
    let stripped = lower
        .strip_prefix("liquibase.command.")
        .or_else(|| lower.strip_prefix("liquibase_command_"))
        .or_else(|| lower.strip_prefix("liquibase."))
        .or_else(|| lower.strip_prefix("liquibase_"))
        .unwrap_or(&lower);
    let folded: String = stripped
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .collect();
    match folded.as_str() {
        "contexts" => "contextfilter".to_owned(),
        "labels" => "labelfilter".to_owned(),
        "user" => "username".to_owned(),
        _ => folded,
    }
}

impl Config {
    /// Resolves settings from the arguments, the environment and the defaults file.
    pub(crate) fn load(global: &Global, env: &[(String, String)]) -> Result<Config> {
        let mut config = Config::default();
        let explicit = global.defaults_file.is_some();
        let defaults = PathBuf::from(
            global
                .defaults_file
                .as_deref()
                .unwrap_or("liquibase.properties"),
        );
        // Lowest precedence first; later sources overwrite.
        if defaults.exists() {
            config.read_properties(&defaults)?;
            config.defaults_file = Some(defaults.clone());
            let local = local_properties(&defaults);
            if local.exists() {
                config.read_properties(&local)?;
            }
        } else if explicit {
            bail!("the defaults file `{}` does not exist", defaults.display());
        }
        for (key, value) in env {
            if key.starts_with("LIQUIBASE_") {
                config.values.insert(canonical(key), value.clone());
            }
        }
        for (key, value) in cli_values(global) {
            if let Some(value) = value {
                config.values.insert(canonical(key), value.clone());
            }
        }
        for definition in &global.define {
            let Some((name, value)) = definition.split_once('=') else {
                return Err(crate::usage(format!(
                    "`-D{definition}` must be `-Dname=value`"
                )));
            };
            config.parameters.push((name.to_owned(), value.to_owned()));
        }
        Ok(config)
    }

    fn read_properties(&mut self, path: &Path) -> Result<()> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the defaults file `{}`", path.display()))?;
        // As Liquibase's DefaultsFileValueProvider: `Properties.load(InputStream)`, ISO-8859-1.
        let entries = executor::parse_properties(&bytes).map_err(|e| {
            anyhow::anyhow!("cannot read the defaults file `{}`: {e}", path.display())
        })?;
        for (key, value) in entries {
            if let Some(name) = key.strip_prefix("parameter.") {
                self.parameters.push((name.to_owned(), value));
            } else {
                self.values.insert(canonical(&key), value);
            }
        }
        Ok(())
    }

    /// A setting by any of its spellings.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(&canonical(key)).map(String::as_str)
    }

    /// A boolean setting (`true`/`false`, case-insensitive).
    pub(crate) fn flag(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(crate::usage(format!(
                "`{key}` must be `true` or `false`, not `{v}`"
            ))),
        }
    }

    /// A numeric setting.
    pub(crate) fn number(&self, key: &str) -> Result<Option<f64>> {
        self.get(key)
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| crate::usage(format!("`{key}` must be a number, not `{v}`")))
            })
            .transpose()
    }
}

fn local_properties(defaults: &Path) -> PathBuf {
    let name = defaults
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("liquibase.properties");
    let local = match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.local.{ext}"),
        None => format!("{name}.local"),
    };
    defaults.with_file_name(local)
}

fn cli_values(g: &Global) -> Vec<(&'static str, &Option<String>)> {
    vec![
        ("url", &g.url),
        ("username", &g.username),
        ("password", &g.password),
        ("changelog-file", &g.changelog_file),
        ("context-filter", &g.context_filter),
        ("label-filter", &g.label_filter),
        ("search-path", &g.search_path),
        ("log-level", &g.log_level),
        (
            "changelog-lock-wait-time-in-minutes",
            &g.changelog_lock_wait_time_in_minutes,
        ),
        ("changelog-lock-poll-rate", &g.changelog_lock_poll_rate),
        (
            "database-changelog-table-name",
            &g.database_changelog_table_name,
        ),
        (
            "database-changelog-lock-table-name",
            &g.database_changelog_lock_table_name,
        ),
        ("mongodb-supports-validator", &g.mongodb_supports_validator),
        ("platform", &g.platform),
        (
            "mongodb-adjust-tracking-tables-on-startup",
            &g.mongodb_adjust_tracking_tables_on_startup,
        ),
        ("mongodb-retry-writes", &g.mongodb_retry_writes),
        ("mongodb-transactions", &g.mongodb_transactions),
        ("lock-lease-seconds", &g.lock_lease_seconds),
        (
            "allow-inherit-logical-file-path",
            &g.allow_inherit_logical_file_path,
        ),
        (
            "allow-duplicated-changeset-identifiers",
            &g.allow_duplicated_changeset_identifiers,
        ),
        ("missing-property-mode", &g.missing_property_mode),
        ("liquibase-version", &g.liquibase_version),
        ("mongodb-mongosh-path", &g.mongosh_path),
        ("mongodb-mongosh-native", &g.mongosh_native),
        (
            "mongodb-mongosh-timeout-seconds",
            &g.mongosh_timeout_seconds,
        ),
        ("mongodb-mongosh-extra-args", &g.mongosh_extra_args),
        ("mongodb-mongosh-log-file", &g.mongosh_log_file),
        ("databases", &g.databases),
        ("databases-file", &g.databases_file),
        ("parallel", &g.parallel),
        ("on-error", &g.on_error),
        ("canary", &g.canary),
        ("shard", &g.shard),
        ("report-file", &g.report_file),
        (
            "generate-changeset-created-values",
            &g.generate_changeset_created_values,
        ),
        (
            "generated-changeset-ids-contains-description",
            &g.generated_changeset_ids_contains_description,
        ),
        ("checks-settings-file", &g.checks_settings_file),
        ("checks-scope", &g.checks_scope),
        ("checks-policies", &g.checks_policies),
        ("checks-run-before-update", &g.checks_run_before_update),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_key_is_the_same_setting() {
        for key in [
            "changelog-file",
            "changeLogFile",
            "changelogFile",
            "liquibase.command.changelogFile",
            "liquibase.command.changeLogFile",
            "LIQUIBASE_COMMAND_CHANGELOG_FILE",
        ] {
            assert_eq!(canonical(key), "changelogfile", "{key}");
        }
        assert_eq!(
            canonical("liquibase.mongodb.supportsValidator"),
            canonical("mongodb-supports-validator")
        );
        assert_eq!(
            canonical("LIQUIBASE_MONGODB_SUPPORTS_VALIDATOR"),
            canonical("mongodb-supports-validator")
        );
        assert_eq!(canonical("contexts"), canonical("context-filter"));
        assert_eq!(
            canonical("LIQUIBASE_COMMAND_CONTEXTS"),
            canonical("contextFilter")
        );
    }

    #[test]
    fn properties_syntax_follows_java() {
        let text = "# comment\n! also\nurl=mongodb://h/db\nchangeLogFile : a.xml\nusername  me\n\
                    long=one \\\n    two\nparameter.table=t\\u0041\nempty=\n";
        assert_eq!(
            executor::parse_properties(text.as_bytes()).expect("loads"),
            [
                ("url".to_owned(), "mongodb://h/db".to_owned()),
                ("changeLogFile".to_owned(), "a.xml".to_owned()),
                ("username".to_owned(), "me".to_owned()),
                ("long".to_owned(), "one two".to_owned()),
                ("parameter.table".to_owned(), "tA".to_owned()),
                ("empty".to_owned(), String::new()),
            ]
        );
    }

    /// A `liquibase.properties` written in Latin-1 (as `Properties.store` writes it) is read as
    /// Liquibase reads it, not refused as invalid UTF-8.
    #[test]
    fn a_latin1_defaults_file_is_read_as_liquibase_reads_it() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("liquibase.properties");
        std::fs::write(
            &path,
            b"parameter.city=M\xfcnchen\nhostDescription=caf\xe9\n",
        )
        .expect("write the defaults file");
        let mut config = Config::default();
        config.read_properties(&path).expect("reads a Latin-1 file");
        assert_eq!(config.get("host-description"), Some("café"));
        assert_eq!(
            config.parameters,
            [("city".to_owned(), "München".to_owned())]
        );
    }
}
