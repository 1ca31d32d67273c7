//! The checks settings file: which checks run, at what severity, with which parameters.
//!
//! Liquibase Pro keeps this in `liquibase.checks-settings.conf` (flag `--checks-settings-file`),
//! a file of its own format written by `checks customize`. We keep the flag's name and the idea
//! (a file in the project, under version control) but use a small JSON document of our own,
//! described in the README ("Policy checks"), which any editor and CI tool reads:
//!
//! ```json
//! {
//!   "blockingSeverity": "MINOR",
//!   "runBeforeUpdate": true,
//!   "policies": "policies",
//!   "policySeverity": { "deny": "MAJOR", "warn": "INFO" },
//!   "checks": {
//!     "IndexNamingConvention": { "severity": "MAJOR", "parameters": { "template": "ix_{collection}_{fields}" } },
//!     "ChangesetCommentCheck": { "enabled": true }
//!   }
//! }
//! ```
//!
//! A check the file does not name keeps its default. Unknown keys, checks and parameters are
//! errors naming the file: a typo must not silently turn a check off.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::builtin::{CHECKS, CheckInfo};
use super::policy::PolicySeverities;
use super::{CheckSetting, Severity};
use crate::error::{Error, Result};

/// The settings file read when none is named and it exists in the working directory.
pub const DEFAULT_SETTINGS_FILE: &str = "lbmongo.checks-settings.json";

/// The whole settings file, defaults where it says nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChecksSettings {
    /// The lowest severity that makes the update gate refuse to run (Liquibase: any non-zero
    /// return code, so `MINOR`).
    pub blocking_severity: Option<Severity>,
    /// `runBeforeUpdate`: gate every update by the checks, as `--checks-run-before-update`.
    pub run_before_update: Option<bool>,
    /// `policies`: the directory of Rego policies (relative to the working directory).
    pub policies: Option<String>,
    /// `policySeverity`: the severities of policies' `deny` and `warn` messages.
    pub policy_severities: PolicySeverities,
    /// What the file says per check id.
    overrides: BTreeMap<&'static str, Override>,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Override {
    enabled: Option<bool>,
    severity: Option<Severity>,
    parameters: Map<String, Value>,
}

impl ChecksSettings {
    /// Reads a settings file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<ChecksSettings> {
        let bad = |message: String, hint: &str| Error::Config {
            message: format!("checks settings file `{file}`: {message}"),
            hint: Some(hint.to_owned()),
        };
        let root: Value = serde_json::from_str(text).map_err(|e| {
            bad(
                format!("line {}, column {}: {e}", e.line(), e.column()),
                "the settings file is a JSON object; see README \"Policy checks\"",
            )
        })?;
        let Value::Object(root) = root else {
            return Err(bad(
                "the settings file must be a JSON object".to_owned(),
                "start from `{\"checks\": {}}`",
            ));
        };
        let mut settings = ChecksSettings::default();
        for (key, value) in root {
            match key.as_str() {
                "blockingSeverity" => {
                    settings.blocking_severity = Some(severity(&value).ok_or_else(|| {
                        bad(
                            format!("`blockingSeverity` is `{value}`, not a severity"),
                            SEVERITY_HINT,
                        )
                    })?);
                }
                "runBeforeUpdate" => {
                    settings.run_before_update = Some(value.as_bool().ok_or_else(|| {
                        bad(
                            format!("`runBeforeUpdate` is `{value}`, not true or false"),
                            "write `\"runBeforeUpdate\": true`",
                        )
                    })?);
                }
                "policies" => {
                    settings.policies = Some(
                        value
                            .as_str()
                            .ok_or_else(|| {
                                bad(
                                    format!("`policies` is `{value}`, not a directory name"),
                                    "write `\"policies\": \"policies\"`",
                                )
                            })?
                            .to_owned(),
                    );
                }
                "policySeverity" => {
                    let Value::Object(kinds) = value else {
                        return Err(bad(
                            "`policySeverity` must be an object".to_owned(),
                            "write `\"policySeverity\": {\"deny\": \"MAJOR\", \"warn\": \"INFO\"}`",
                        ));
                    };
                    for (kind, v) in kinds {
                        let s = severity(&v).ok_or_else(|| {
                            bad(format!("`policySeverity.{kind}` is `{v}`"), SEVERITY_HINT)
                        })?;
                        match kind.as_str() {
                            "deny" => settings.policy_severities.deny = s,
                            "warn" => settings.policy_severities.warn = s,
                            other => {
                                return Err(bad(
                                    format!("unknown key `policySeverity.{other}`"),
                                    "the keys are `deny` and `warn`",
                                ));
                            }
                        }
                    }
                }
                "checks" => {
                    let Value::Object(checks) = value else {
                        return Err(bad(
                            "`checks` must be an object keyed by check id".to_owned(),
                            "`lbmongo checks show` lists the ids",
                        ));
                    };
                    for (id, body) in checks {
                        let info = find(&id).ok_or_else(|| {
                            bad(
                                format!("there is no check `{id}`"),
                                "`lbmongo checks show` lists the ids",
                            )
                        })?;
                        let over = check_override(info, body)
                            .map_err(|m| bad(format!("check `{}`: {m}", info.id), SEVERITY_HINT))?;
                        settings.overrides.insert(info.id, over);
                    }
                }
                other => {
                    return Err(bad(
                        format!("unknown key `{other}`"),
                        "the keys are `blockingSeverity`, `runBeforeUpdate`, `policies`, `policySeverity` and `checks`",
                    ));
                }
            }
        }
        Ok(settings)
    }

    /// The gate's threshold: the file's `blockingSeverity`, else `MINOR` (Liquibase stops an
    /// automated job on any non-zero return code).
    pub fn blocking(&self) -> Severity {
        self.blocking_severity.unwrap_or(Severity::Minor)
    }

    /// One check's effective setting.
    pub fn setting(&self, info: &CheckInfo) -> CheckSetting {
        let over = self.overrides.get(info.id);
        let mut parameters = Map::new();
        for p in info.parameters {
            let value = over
                .and_then(|o| o.parameters.get(p.name).cloned())
                .unwrap_or_else(|| {
                    serde_json::from_str(p.default)
                        .expect("a built-in parameter default is valid JSON")
                });
            parameters.insert(p.name.to_owned(), value);
        }
        CheckSetting {
            enabled: over.and_then(|o| o.enabled).unwrap_or(info.enabled),
            severity: over.and_then(|o| o.severity).unwrap_or(info.severity),
            parameters,
        }
    }

    /// The checks a run evaluates: the enabled ones, or exactly those `only` names.
    pub(super) fn selected(
        &self,
        only: &[String],
    ) -> Result<Vec<(&'static CheckInfo, CheckSetting)>> {
        if only.is_empty() {
            return Ok(CHECKS
                .iter()
                .map(|i| (i, self.setting(i)))
                .filter(|(_, s)| s.enabled)
                .collect());
        }
        let mut out = Vec::new();
        for name in only {
            let info = find(name).ok_or_else(|| Error::Config {
                message: format!("there is no check `{name}`"),
                hint: Some("`lbmongo checks show` lists the ids".to_owned()),
            })?;
            let setting = self.setting(info);
            if !setting.enabled {
                return Err(Error::Config {
                    message: format!("check `{}` is disabled", info.id),
                    hint: Some(format!(
                        "enable it in the settings file: `\"checks\": {{\"{}\": {{\"enabled\": true}}}}`",
                        info.id
                    )),
                });
            }
            out.push((info, setting));
        }
        Ok(out)
    }
}

const SEVERITY_HINT: &str =
    "a severity is INFO, MINOR, MAJOR, CRITICAL or BLOCKER (or its return code, 0 to 4)";

fn find(id: &str) -> Option<&'static CheckInfo> {
    CHECKS.iter().find(|c| c.id.eq_ignore_ascii_case(id.trim()))
}

fn severity(value: &Value) -> Option<Severity> {
    match value {
        Value::String(s) => Severity::parse(s),
        Value::Number(n) => Severity::parse(&n.to_string()),
        _ => None,
    }
}

fn check_override(info: &CheckInfo, body: Value) -> std::result::Result<Override, String> {
    let Value::Object(body) = body else {
        return Err("must be an object with `enabled`, `severity`, `parameters`".to_owned());
    };
    let mut over = Override::default();
    for (key, value) in body {
        match key.as_str() {
            "enabled" => {
                over.enabled = Some(
                    value
                        .as_bool()
                        .ok_or_else(|| format!("`enabled` is `{value}`, not true or false"))?,
                );
            }
            "severity" => {
                over.severity = Some(
                    severity(&value).ok_or_else(|| format!("`severity` `{value}` is unknown"))?,
                );
            }
            "parameters" => {
                let Value::Object(params) = value else {
                    return Err("`parameters` must be an object".to_owned());
                };
                for (name, v) in params {
                    let p = info
                        .parameters
                        .iter()
                        .find(|p| p.name == name)
                        .ok_or_else(|| {
                            let known: Vec<&str> = info.parameters.iter().map(|p| p.name).collect();
                            format!(
                                "there is no parameter `{name}` (its parameters: {})",
                                if known.is_empty() {
                                    "none".to_owned()
                                } else {
                                    known.join(", ")
                                }
                            )
                        })?;
                    (p.check)(&v).map_err(|m| format!("parameter `{name}`: {m}"))?;
                    over.parameters.insert(name, v);
                }
            }
            other => {
                return Err(format!(
                    "unknown key `{other}` (the keys are `enabled`, `severity`, `parameters`)"
                ));
            }
        }
    }
    Ok(over)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_only_what_it_names() {
        let s = ChecksSettings::parse(
            r#"{"blockingSeverity": "critical", "checks": {"indexnamingconvention": {"severity": 4, "parameters": {"template": "ix_{fields}"}}}}"#,
            "s.json",
        )
        .expect("reads");
        assert_eq!(s.blocking(), Severity::Critical);
        let info = find("IndexNamingConvention").expect("a check");
        let setting = s.setting(info);
        assert_eq!(setting.severity, Severity::Blocker);
        assert!(setting.enabled);
        assert_eq!(setting.parameters["template"], "ix_{fields}");
        let other = s.setting(find("LargeInsertMany").expect("a check"));
        assert_eq!(other.parameters["maxDocuments"], 1000);
    }

    #[test]
    fn typos_are_errors_naming_the_file() {
        for (text, expected) in [
            (r#"{"check": {}}"#, "unknown key `check`"),
            (r#"{"checks": {"Nope": {}}}"#, "there is no check `Nope`"),
            (
                r#"{"checks": {"LargeInsertMany": {"parameters": {"max": 3}}}}"#,
                "there is no parameter `max`",
            ),
            (
                r#"{"checks": {"LargeInsertMany": {"parameters": {"maxDocuments": "x"}}}}"#,
                "parameter `maxDocuments`",
            ),
            (
                r#"{"checks": {"LargeInsertMany": {"severity": "HIGH"}}}"#,
                "`severity` `\"HIGH\"` is unknown",
            ),
            ("{\n  \"checks\": [\n", "line 3"),
        ] {
            let e = ChecksSettings::parse(text, "s.json").expect_err(text);
            let message = e.to_string();
            assert!(
                message.starts_with("checks settings file `s.json`"),
                "{message}"
            );
            assert!(message.contains(expected), "{text}: {message}");
        }
    }
}
