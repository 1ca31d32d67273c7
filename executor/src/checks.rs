//! Policy checks (issue 15): judge the pending changesets before anything runs.
//!
//! Liquibase Pro's policy checks, for MongoDB: `checks run` evaluates the enabled checks over
//! the changesets an `update` would run, `checks show` lists them, and a settings file kept in
//! the project turns each on or off and sets its severity and parameters. Unlike Pro's MongoDB
//! checks (regular expressions over the changelog text), every check here reads one JSON
//! document per pending changeset, the *input* ([`changelog_input`], [`database_input`];
//! `docs/checks-input.schema.json` describes it): the changeset's attributes, each change as
//! written, the exact server commands it lowers to (what `update-sql` prints, from the
//! same lowering), its rollback and the platform. So a rule holds the same whether the change
//! was written in XML, YAML, JSON or a formatted mongosh file, and a custom policy written in
//! Rego over the same document sees exactly what the built-in checks see.
//!
//! Parts: `input` builds the documents, `builtin` holds the built-in checks, `settings` reads
//! the settings file, `sarif` writes a report as SARIF 2.1.0. Everything here is pure: the door
//! reads the changelog (and, with the database scope, the history) and hands them in.

use std::fmt;

use serde_json::{Map, Value};

use crate::changelog::ChangeLog;
use crate::connection::Connection;
use crate::error::Result;
use crate::executor::Settings;
use crate::platform::{Platform, PlatformKind};

mod builtin;
mod database;
mod input;
mod policy;
mod sarif;
mod settings;

pub use builtin::{CHECKS, CheckInfo, Parameter};
pub use input::INPUT_VERSION;
use input::{InputOptions, input};
pub use policy::{Policies, PolicySeverities};
pub use sarif::sarif;
pub use settings::{ChecksSettings, DEFAULT_SETTINGS_FILE};

/// How serious a finding is, with Liquibase's policy-check names and return codes: a run exits
/// with the highest code among its findings (Liquibase's "Check Severity: CRITICAL (Return
/// code: 3)"; every Liquibase check defaults to INFO, code 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Reported, exit code 0.
    Info,
    /// Exit code 1.
    Minor,
    /// Exit code 2.
    Major,
    /// Exit code 3.
    Critical,
    /// Exit code 4.
    Blocker,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Minor,
        Severity::Major,
        Severity::Critical,
        Severity::Blocker,
    ];

    /// The name Liquibase prints (`INFO`, `MINOR`, `MAJOR`, `CRITICAL`, `BLOCKER`).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Minor => "MINOR",
            Severity::Major => "MAJOR",
            Severity::Critical => "CRITICAL",
            Severity::Blocker => "BLOCKER",
        }
    }

    /// Liquibase's return code for the severity (0 to 4).
    pub fn exit_code(self) -> u8 {
        match self {
            Severity::Info => 0,
            Severity::Minor => 1,
            Severity::Major => 2,
            Severity::Critical => 3,
            Severity::Blocker => 4,
        }
    }

    /// Reads a severity by name (any case) or by its return code (`0`–`4`), as Liquibase's
    /// `checks customize` accepts either.
    pub fn parse(text: &str) -> Option<Severity> {
        let t = text.trim();
        Severity::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(t) || s.exit_code().to_string() == t)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which changesets, with what knowledge, the checks judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The changelog alone, no connection: every changeset the filters select is pending.
    Changelog,
    /// Against a database (read-only): the changesets its history lacks, with its platform.
    Database,
}

impl Scope {
    /// `changelog` or `database`.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Changelog => "changelog",
            Scope::Database => "database",
        }
    }
}

/// One check's effective setting.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSetting {
    /// Whether `checks run` (and the update gate) runs it.
    pub enabled: bool,
    /// The severity of its findings.
    pub severity: Severity,
    /// Every parameter, the defaults filled in.
    pub parameters: Map<String, Value>,
}

/// One thing a check found in one changeset.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The check's id (`IndexNamingConvention`, …).
    pub check: String,
    /// The configured severity of the check.
    pub severity: Severity,
    /// What is wrong, naming the collection, index or command.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
    /// The changeset's identity, `path::id::author`.
    pub changeset: String,
    /// The file the changeset was read from (relative to the search path).
    pub file: String,
    /// The changeset's 1-based line in that file, where the format gives one.
    pub line: Option<usize>,
}

impl Finding {
    /// The finding as JSON, as `checks run --output json` prints it.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "check": self.check,
            "severity": self.severity.name(),
            "returnCode": self.severity.exit_code(),
            "message": self.message,
            "hint": self.hint,
            "changeset": self.changeset,
            "file": self.file,
            "line": self.line,
        })
    }
}

/// What a run of the checks found.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The scope the checks ran in.
    pub scope: Scope,
    /// How many changesets were judged.
    pub changesets: usize,
    /// The checks that ran, by id.
    pub checks: Vec<String>,
    /// Every finding, in changeset order, then check order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The highest severity found, if anything was found.
    pub fn highest(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Liquibase's exit code for the run: the highest return code among the findings, 0 when
    /// nothing was found.
    pub fn exit_code(&self) -> u8 {
        self.highest().map_or(0, Severity::exit_code)
    }

    /// The findings at or above `severity`: what blocks an update gated at it.
    pub fn blocking(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity >= severity)
    }

    /// Whether an update gated by `settings` must not run: a finding reaches its
    /// `blockingSeverity`.
    pub fn blocks(&self, settings: &ChecksSettings) -> bool {
        self.blocking(settings.blocking()).next().is_some()
    }

    /// The report as JSON, as `checks run --output json` prints it.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "scope": self.scope.name(),
            "changesets": self.changesets,
            "checks": self.checks,
            "highestSeverity": self.highest().map(Severity::name),
            "returnCode": self.exit_code(),
            "findings": self.findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
        })
    }
}

/// The input documents of the changelog scope, without a connection: every changeset the
/// filters select is pending. `url` (if any) names mongosh's `db` (else mongosh's default
/// `test`); `platform` is the `--platform` setting (`auto`, or unset, is `unknown` offline).
pub fn changelog_input(
    changelog: &ChangeLog,
    settings: &Settings,
    url: Option<&str>,
    platform: Option<PlatformKind>,
) -> Result<Vec<Value>> {
    let platform = platform.map(|kind| Platform {
        kind,
        version: None,
        transactions: false,
    });
    let database = url
        .and_then(|u| crate::connection::database_name(u).ok())
        .unwrap_or_else(|| "test".to_owned());
    input(
        changelog,
        settings,
        &InputOptions {
            scope: Scope::Changelog,
            platform: platform.as_ref(),
            database: &database,
            ran: &[],
        },
    )
}

/// The input documents of the database scope: the changesets the database's history lacks,
/// with the connection's platform and what they will meet (`database`: the collections they
/// touch, duplicates under a new unique index, documents a new validator rejects). Reads only.
pub async fn database_input(
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
) -> Result<Vec<Value>> {
    let ran = crate::executor::read_history(connection, settings).await?;
    let mut docs = input(
        changelog,
        settings,
        &InputOptions {
            scope: Scope::Database,
            platform: Some(&connection.platform),
            database: &connection.database,
            ran: &ran,
        },
    )?;
    let mut cache = database::Cache::default();
    for doc in &mut docs {
        doc["database"] = database::snapshot(connection, doc, &mut cache).await?;
    }
    Ok(docs)
}

/// The update gate (`--checks-run-before-update`): the enabled checks over what `update` would
/// run on this database, read-only. The caller writes nothing when [`Report::blocks`] says so.
pub async fn gate(
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
    checks: &ChecksSettings,
    options: &RunOptions<'_>,
) -> Result<Report> {
    let inputs = database_input(connection, changelog, settings).await?;
    run(&inputs, checks, Scope::Database, options)
}

/// What a run evaluates besides the settings file's built-in checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// Only these checks (built-in ids or policy rule ids, `<package>.deny`), as Liquibase's
    /// `--check-name`; empty: every enabled check and every policy rule.
    pub only: &'a [String],
    /// The Rego policies directory (`--checks-policies`), else the settings file's `policies`.
    pub policies: Option<&'a std::path::Path>,
}

/// Runs the enabled built-in checks and the Rego policies over the input documents.
///
/// A name in `only` that is neither a check nor a policy rule is an error, and so is a
/// disabled check: running it would report nothing and look like a pass.
pub fn run(
    inputs: &[Value],
    settings: &ChecksSettings,
    scope: Scope,
    options: &RunOptions<'_>,
) -> Result<Report> {
    let dir = options
        .policies
        .map(std::path::Path::to_path_buf)
        .or_else(|| settings.policies.as_ref().map(std::path::PathBuf::from));
    let mut policies = dir.as_deref().map(Policies::load).transpose()?;
    let policy_ids = policies.as_ref().map(Policies::ids).unwrap_or_default();
    let (builtin_names, policy_names): (Vec<String>, Vec<String>) = options
        .only
        .iter()
        .cloned()
        .partition(|n| !policy_ids.iter().any(|p| p == n));
    let selected = if options.only.is_empty() || !builtin_names.is_empty() {
        settings.selected(&builtin_names)?
    } else {
        Vec::new()
    };
    let run_policies = options.only.is_empty() || !policy_names.is_empty();
    let mut findings = Vec::new();
    for doc in inputs {
        for (info, setting) in &selected {
            builtin::evaluate(info, setting, doc, &mut findings);
        }
        if run_policies && let Some(p) = policies.as_mut() {
            let start = findings.len();
            p.evaluate(doc, settings.policy_severities, &mut findings)?;
            if !policy_names.is_empty() {
                let mut i = start;
                while i < findings.len() {
                    if policy_names.contains(&findings[i].check) {
                        i += 1;
                    } else {
                        findings.remove(i);
                    }
                }
            }
        }
    }
    let mut checks: Vec<String> = selected.iter().map(|(i, _)| i.id.to_owned()).collect();
    if run_policies {
        checks.extend(
            policy_ids
                .into_iter()
                .filter(|id| policy_names.is_empty() || policy_names.contains(id)),
        );
    }
    Ok(Report {
        scope,
        changesets: inputs.len(),
        checks,
        findings,
    })
}

/// Every built-in check with its effective setting, for `checks show`.
pub fn show(settings: &ChecksSettings) -> Vec<(&'static CheckInfo, CheckSetting)> {
    CHECKS
        .iter()
        .map(|info| (info, settings.setting(info)))
        .collect()
}
