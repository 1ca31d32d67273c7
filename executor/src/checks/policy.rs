//! Custom policies in Rego, OPA's policy language, evaluated in-process.
//!
//! A policy is a `.rego` file with `deny` and/or `warn` rules whose values are messages (the
//! convention of OPA's conftest): `deny contains msg if { … }`. Its `input` is one checks input
//! document (`super::input`), so a policy is developed against `lbmongo checks input` with any
//! OPA tool and runs here unchanged; the e2e tests hold regorus to the real `opa eval`.
//!
//! Why regorus (microsoft/regorus): a maintained Rego interpreter in Rust, so policies run inside
//! the one lbmongo binary (and the jar's native library) with no OPA process, no network and no
//! Go toolchain; it targets Rego v1 as OPA 1.x does and ships the builtins policies need. Built
//! with only `std`, `regex` (for `regex.*`) and `arc` (values shared across threads); `sprintf`,
//! `strings`, `count`, sets, comprehensions and `every`/`some` are in its core.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Finding, Severity};
use crate::error::{Error, Result};

/// The loaded policies of a directory, ready to evaluate.
pub struct Policies {
    engine: regorus::Engine,
    /// Each declared rule: its check id (`<package>.deny`), its query path and its severity.
    rules: Vec<Rule>,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
struct Rule {
    id: String,
    query: String,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Deny,
    Warn,
}

/// The severities of policy findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicySeverities {
    /// Of a `deny` message.
    pub deny: Severity,
    /// Of a `warn` message.
    pub warn: Severity,
}

impl Default for PolicySeverities {
    /// `deny` is MAJOR (it fails a run, return code 2), `warn` INFO (reported, return code 0),
    /// as conftest fails on `deny` and only reports `warn`.
    fn default() -> Self {
        Self {
            deny: Severity::Major,
            warn: Severity::Info,
        }
    }
}

fn policy_error(file: &Path, e: impl std::fmt::Display) -> Error {
    Error::Config {
        message: format!("policy `{}`: {e}", file.display()),
        hint: Some(
            "a policy is Rego v1 (OPA 1.x): `package x` then `deny contains msg if { … }`; `opa check` shows the same problem"
                .to_owned(),
        ),
    }
}

/// A package path as a Rego reference: `data.a.b`, with `["…"]` for components that are not
/// identifiers.
fn reference(components: &[String]) -> String {
    let mut out = "data".to_owned();
    for c in components {
        let ident = c
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
            && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if ident {
            out.push('.');
            out.push_str(c);
        } else {
            out.push_str(&format!("[{}]", Value::from(c.as_str())));
        }
    }
    out
}

impl Policies {
    /// Loads every `.rego` file of `dir` (sorted by name, subdirectories included).
    pub fn load(dir: &Path) -> Result<Policies> {
        let mut files = Vec::new();
        collect(dir, &mut files).map_err(|e| Error::Config {
            message: format!("cannot read the policies directory `{}`: {e}", dir.display()),
            hint: Some("set `policies` in the settings file or `--checks-policies DIR` to a directory of .rego files".to_owned()),
        })?;
        files.sort();
        let mut engine = regorus::Engine::new();
        for file in &files {
            let text = std::fs::read_to_string(file).map_err(|e| policy_error(file, e))?;
            engine
                .add_policy(file.display().to_string(), text)
                .map_err(|e| policy_error(file, e))?;
        }
        let mut rules = Vec::new();
        let packages = engine
            .get_policy_package_components()
            .map_err(|e| policy_error(dir, e))?;
        for package in packages {
            let file = PathBuf::from(&package.source_file);
            for (name, kind) in [("deny", Kind::Deny), ("warn", Kind::Warn)] {
                let declared = engine
                    .has_declared_rule_rooted_at(&package.source_file, name)
                    .map_err(|e| policy_error(&file, e))?;
                let query = format!("{}.{name}", reference(&package.components));
                if declared && !rules.iter().any(|r: &Rule| r.query == query) {
                    rules.push(Rule {
                        id: format!("{}.{name}", package.components.join(".")),
                        query,
                        kind,
                    });
                }
            }
        }
        Ok(Policies { engine, rules })
    }

    /// The check ids of the rules (`<package>.deny`, `<package>.warn`), in load order.
    pub fn ids(&self) -> Vec<String> {
        self.rules.iter().map(|r| r.id.clone()).collect()
    }

    /// Evaluates every rule over one input document, appending a finding per message.
    pub(super) fn evaluate(
        &mut self,
        doc: &Value,
        severities: PolicySeverities,
        out: &mut Vec<Finding>,
    ) -> Result<()> {
        let input = regorus::Value::from_json_str(&doc.to_string()).map_err(|e| Error::Config {
            message: format!("the checks input cannot be given to the policies: {e}"),
            hint: None,
        })?;
        self.engine.set_input(input);
        let cs = &doc["changeset"];
        for rule in &self.rules {
            let value = self
                .engine
                .eval_rule(rule.query.clone())
                .map_err(|e| Error::Config {
                    message: format!(
                        "policy rule `{}` failed on changeset `{}`: {e}",
                        rule.query,
                        cs["identifier"].as_str().unwrap_or("")
                    ),
                    hint: Some(
                        "`opa eval` over `lbmongo checks input` shows the same input".to_owned(),
                    ),
                })?;
            for message in messages(&value) {
                out.push(Finding {
                    check: rule.id.clone(),
                    severity: match rule.kind {
                        Kind::Deny => severities.deny,
                        Kind::Warn => severities.warn,
                    },
                    message,
                    hint: None,
                    changeset: cs["identifier"].as_str().unwrap_or("").to_owned(),
                    file: cs["file"].as_str().unwrap_or("").to_owned(),
                    line: cs["line"].as_u64().and_then(|l| usize::try_from(l).ok()),
                });
            }
        }
        Ok(())
    }
}

/// The messages of a `deny`/`warn` value: a set (or array) of strings, each a message; an
/// object's `msg` field, as conftest reads structured results; anything else as its JSON. An
/// undefined rule (no message) gives none.
fn messages(value: &regorus::Value) -> Vec<String> {
    let one = |v: &regorus::Value| -> String {
        if let Ok(s) = v.as_string() {
            return s.to_string();
        }
        if let Ok(map) = v.as_object()
            && let Some(msg) = map.get(&regorus::Value::from("msg"))
            && let Ok(s) = msg.as_string()
        {
            return s.to_string();
        }
        v.to_json_str()
            .map(|s| serde_json::from_str::<Value>(&s).map_or(s, |v| v.to_string()))
            .unwrap_or_default()
    };
    if let Ok(set) = value.as_set() {
        set.iter().map(one).collect()
    } else if let Ok(items) = value.as_array() {
        items.iter().map(one).collect()
    } else if matches!(value, regorus::Value::Undefined) {
        Vec::new()
    } else {
        vec![one(value)]
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rego") {
            out.push(path);
        }
    }
    Ok(())
}
