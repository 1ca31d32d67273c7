//! `checks run`, `checks show`, `checks input` and the update gate: settings in, one engine
//! call ([`executor::checks`]), the report out. The checks themselves live in the engine.

use anyhow::{Context, Result};
use executor::changelog::ChangeLog;
use executor::checks::{self, ChecksSettings, DEFAULT_SETTINGS_FILE, RunOptions, Scope};
use executor::{Connection, Settings};

use crate::args::{Checks, Output};
use crate::render::Render;
use crate::{Session, changelog, connect, flag, usage};

/// Checks found something: the report is printed and the process exits with `code`, the
/// highest severity's return code (Liquibase's policy-check exit codes).
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) code: u8,
    pub(crate) summary: String,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for Found {}

/// The settings file: `--checks-settings-file` (which must exist), else
/// `lbmongo.checks-settings.json` when it exists, else the defaults.
pub(crate) fn settings(ctx: &Session) -> Result<ChecksSettings> {
    let (path, named) = match ctx.config.get("checks-settings-file") {
        Some(p) => (p.to_owned(), true),
        None => (DEFAULT_SETTINGS_FILE.to_owned(), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(ChecksSettings::parse(&text, &path)?),
        Err(e) if !named && e.kind() == std::io::ErrorKind::NotFound => {
            Ok(ChecksSettings::default())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read the checks settings file `{path}`")),
    }
}

/// The settings when updates are gated (`--checks-run-before-update` or the settings file's
/// `runBeforeUpdate`), else `None`. The flag wins over the file.
fn gate_settings(ctx: &Session) -> Result<Option<ChecksSettings>> {
    let flag_value = ctx
        .config
        .get("checks-run-before-update")
        .map(|v| flag(Some(v), false))
        .transpose()?;
    if flag_value == Some(false) {
        return Ok(None);
    }
    let settings = settings(ctx)?;
    let on = flag_value.or(settings.run_before_update).unwrap_or(false);
    Ok(on.then_some(settings))
}

fn summary(report: &checks::Report, settings: &ChecksSettings) -> String {
    let blocking: Vec<String> = report
        .blocking(settings.blocking())
        .map(|f| format!("{} {} in `{}`", f.severity, f.check, f.changeset))
        .collect();
    format!(
        "the policy checks found {} finding(s) at or above {}: {}; nothing was written",
        blocking.len(),
        settings.blocking(),
        blocking.join(", ")
    )
}

/// Runs the checks before an update when updates are gated; fails, having written nothing,
/// when a finding reaches the blocking severity.
pub(crate) async fn gate(
    ctx: &Session,
    connection: &Connection,
    changelog: &ChangeLog,
    render: &Render,
) -> Result<()> {
    let Some(settings) = gate_settings(ctx)? else {
        return Ok(());
    };
    let report = checks::gate(
        connection,
        changelog,
        &ctx.settings,
        &settings,
        &run_options(ctx, &[]),
    )
    .await?;
    if report.blocks(&settings) {
        render.checks_findings_stderr(&report);
        return Err(anyhow::Error::new(Found {
            code: report.exit_code().max(1),
            summary: summary(&report, &settings),
        }));
    }
    Ok(())
}

/// The gate of one database of a fleet: a blocked database fails with the findings as its
/// error, and the fleet's `--on-error` decides about the others.
pub(crate) async fn fleet_gate(
    ctx: &Session,
    connection: &Connection,
    changelog: &ChangeLog,
    settings: &Settings,
) -> executor::Result<()> {
    let gated = gate_settings(ctx).map_err(|e| executor::Error::Config {
        message: format!("{e:#}"),
        hint: None,
    })?;
    let Some(checks_settings) = gated else {
        return Ok(());
    };
    let report = checks::gate(
        connection,
        changelog,
        settings,
        &checks_settings,
        &run_options(ctx, &[]),
    )
    .await?;
    if report.blocks(&checks_settings) {
        return Err(executor::Error::Config {
            message: summary(&report, &checks_settings),
            hint: Some(
                "`lbmongo checks run --checks-scope database` shows each finding".to_owned(),
            ),
        });
    }
    Ok(())
}

/// `--check-name` and `--checks-policies`.
fn run_options<'a>(ctx: &'a Session, only: &'a [String]) -> RunOptions<'a> {
    RunOptions {
        only,
        policies: ctx.config.get("checks-policies").map(std::path::Path::new),
    }
}

fn scope(ctx: &Session) -> Result<Scope> {
    match ctx
        .config
        .get("checks-scope")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("changelog") => Ok(Scope::Changelog),
        Some("database") => Ok(Scope::Database),
        Some(other) => Err(usage(format!(
            "`--checks-scope` must be `changelog` or `database`, not `{other}`"
        ))),
    }
}

/// The input documents of the configured scope.
async fn inputs(ctx: &Session, scope: Scope) -> Result<Vec<serde_json::Value>> {
    Ok(match scope {
        Scope::Changelog => {
            let changelog = changelog(ctx, None).await?;
            checks::changelog_input(
                changelog,
                &ctx.settings,
                ctx.config.get("url"),
                ctx.settings.platform,
            )?
        }
        Scope::Database => {
            let connection = connect(ctx).await?;
            let changelog = changelog(ctx, Some(&connection)).await?;
            checks::database_input(&connection, changelog, &ctx.settings).await?
        }
    })
}

/// `checks run`, `checks show`, `checks input`.
pub(crate) async fn run(
    command: Checks,
    ctx: &Session,
    render: &Render,
    output: Option<Output>,
) -> Result<()> {
    let output = output.unwrap_or(Output::Text);
    if output == Output::Sarif && !matches!(command, Checks::Run(_)) {
        return Err(usage("`--output sarif` is only for `checks run`"));
    }
    match command {
        Checks::Show => {
            let settings = settings(ctx)?;
            render.checks_show(&checks::show(&settings), &settings);
        }
        Checks::Input(a) => {
            let scope = scope(ctx)?;
            let docs = inputs(ctx, scope).await?;
            render.checks_input(&docs, flag(a.per_changeset.as_deref(), false)?);
        }
        Checks::Run(a) => {
            let settings = settings(ctx)?;
            let scope = scope(ctx)?;
            let docs = inputs(ctx, scope).await?;
            let report = checks::run(&docs, &settings, scope, &run_options(ctx, &a.check_name))?;
            render.checks_report(&report, output);
            let code = report.exit_code();
            if code != 0 {
                return Err(anyhow::Error::new(Found {
                    code,
                    summary: format!(
                        "the policy checks found {} finding(s); the highest severity is {} (return code {code})",
                        report.findings.len(),
                        report.highest().map_or("none", |s| s.name()),
                    ),
                }));
            }
        }
    }
    Ok(())
}
