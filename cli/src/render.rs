//! Everything `lbmongo` prints. Data goes to stdout; progress, messages and errors to stderr,
//! with Liquibase's wording (4.28.0) so scripts written for `liquibase` keep working.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use executor::CheckSum;
use executor::Connection;
use executor::LockRow;
use executor::Platform;
use executor::bson::DateTime;
use executor::changelog::ChangeSetId;
use executor::{Event, Listener, Preview, RollbackReport, UpdateReport};
use executor::{RanChangeSet, medium_date, short_date};
use serde_json::json;

use crate::args::Output;
use crate::test_hook::PausePoint;

/// Set once stdout's reader has gone (`lbmongo history | head -1`): from then on data is dropped
/// and the command finishes as if it had been read, exiting 0 as `git log | head` does, instead
/// of `println!`'s panic.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How much `status` and `unexpected-changesets` list (`--verbose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// The count only.
    Summary,
    /// Every changeset.
    Verbose,
}

impl Detail {
    /// From `--verbose`'s value.
    pub(crate) fn verbose(on: bool) -> Detail {
        if on { Detail::Verbose } else { Detail::Summary }
    }
}
/// Writes data to stdout unless its reader has gone (see [`STDOUT_CLOSED`]).
fn out(text: std::fmt::Arguments<'_>) {
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    // A closed pipe, or any other failed write (a full disk): there is nowhere left to say it,
    // and no reason to stop the command half-way through its work.
    if std::io::stdout().lock().write_fmt(text).is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// stdout for data written in bulk (snapshots, generated changelogs, diff reports), with `out`'s
/// rule: once the reader has gone, the rest is dropped and the command still succeeds.
pub(crate) struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use std::sync::atomic::Ordering;
        if !STDOUT_CLOSED.load(Ordering::Relaxed)
            && std::io::stdout().lock().write_all(buf).is_err()
        {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use std::sync::atomic::Ordering;
        if !STDOUT_CLOSED.load(Ordering::Relaxed) && std::io::stdout().lock().flush().is_err() {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}

// Every line of data in this module goes through `out` (textual scoping makes these shadow the
// standard macros here).
macro_rules! println {
    () => {
        out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// The printer, also the engine's event listener.
pub(crate) struct Render {
    output: Output,
    /// A progress bar for long updates on a terminal (indicatif draws nothing elsewhere).
    progress: indicatif::ProgressBar,
    /// The test hook (`crate::test_hook`), inert unless `LBMONGO_TEST_PAUSE` is set.
    pause: PausePoint,
}

impl Listener for Render {
    fn on(&self, event: &Event) {
        self.print(event);
        self.pause.observe(event);
    }
}

impl Render {
    fn print(&self, event: &Event) {
        match event {
            Event::WaitingForLock => self.say("Waiting for changelog lock....".to_owned()),
            Event::LockAcquired(_) => {}
            Event::Planned(n) => {
                // Only a terminal gets a bar, and only when there is enough to wait for.
                if *n >= 20 && std::io::stderr().is_terminal() && !self.json() {
                    self.progress
                        .set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    self.progress
                        .set_length(u64::try_from(*n).unwrap_or(u64::MAX));
                    self.progress.set_style(
                        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                    );
                }
            }
            Event::Applied(_) => {}
            Event::Running(id) => {
                self.progress.set_message(id.to_string());
                self.say(format!("Running Changeset: {id}"));
            }
            Event::Recorded {
                id, in_transaction, ..
            } => {
                self.progress.inc(1);
                if *in_transaction {
                    self.say(format!(
                        "Committed Changeset: {id} and its history row in one transaction"
                    ));
                }
            }
            Event::PreconditionSkipped { id, message } => {
                self.progress.inc(1);
                self.say(format!(
                    "Continuing past: {id} despite precondition failure due to onFail='CONTINUE': {message}"
                ));
            }
            Event::RollingBack(id) => self.say(format!("Rolling Back Changeset: {id}")),
            Event::ChecksumUpgraded { id, from, to } => {
                self.say(format!(
                    "Upgrading checksum for Changeset {id} from {from} to {to}."
                ));
            }
            Event::Warning(message) => self.say(format!("WARNING: {message}")),
            Event::UpdateFailed(report) => {
                if !self.json() {
                    self.progress.finish_and_clear();
                    print_summary(report);
                }
            }
        }
    }
}

impl Render {
    pub(crate) fn new(output: Output) -> Self {
        let progress = indicatif::ProgressBar::hidden();
        Self {
            output,
            progress,
            pause: PausePoint::from_env(),
        }
    }

    /// Prints a message line on stderr without tearing the progress bar.
    fn say(&self, line: String) {
        if self.progress.is_hidden() {
            eprintln!("{line}");
        } else {
            self.progress.println(line);
        }
    }

    fn json(&self) -> bool {
        self.output == Output::Json
    }

    /// Prints an error chain on one line, then its hint.
    pub(crate) fn error(&self, error: &anyhow::Error) {
        let engine = error.downcast_ref::<executor::Error>();
        let text = format!("{error:#}");
        let (message, inline_hint) = match text.split_once("\nhint: ") {
            Some((m, h)) => (m.to_owned(), Some(h.to_owned())),
            None => (text, None),
        };
        if self.json() && error.downcast_ref::<crate::FleetFailed>().is_none() {
            let doc = json!({ "success": false, "error": message, "hint": inline_hint.clone().or_else(|| engine.and_then(executor::Error::hint)) });
            println!("{doc}");
        }
        eprintln!("error: {message}");
        if let Some(hint) = inline_hint.or_else(|| engine.and_then(executor::Error::hint)) {
            eprintln!("hint: {hint}");
        }
    }

    pub(crate) fn success(&self, command: &str) {
        if self.json() {
            println!("{}", json!({ "success": true, "command": command }));
        }
        eprintln!("Liquibase command '{command}' was executed successfully.");
    }

    pub(crate) fn validated(&self, _connection: &Connection) {
        if self.json() {
            println!("{}", json!({ "valid": true }));
        }
        eprintln!("No validation errors found.");
    }

    /// `validate --platform …` without a connection: the changelog is fit for the platform.
    pub(crate) fn validated_offline(&self, platform: &Platform) {
        if self.json() {
            println!(
                "{}",
                json!({ "valid": true, "platform": { "name": platform.kind.id() } })
            );
        }
        eprintln!(
            "No validation errors found: every change can run on {}.",
            platform.kind.name()
        );
    }

    /// The detected platform, once, on stderr (issue 13): what lbmongo's defaults follow.
    pub(crate) fn platform(&self, platform: &Platform) {
        eprintln!("Platform: {}", platform.describe());
    }

    pub(crate) fn update(&self, report: &UpdateReport, command: &str, platform: &Platform) {
        self.progress.finish_and_clear();
        if self.json() {
            let recorded: Vec<_> = report
                .recorded
                .iter()
                .map(|(id, t)| json!({ "changeset": id.to_string(), "execType": t.as_str() }))
                .collect();
            let filtered: Vec<_> = report
                .filtered
                .iter()
                .map(|(id, r)| json!({ "changeset": id.to_string(), "reason": format!("{r:?}") }))
                .collect();
            let skipped: Vec<_> = report
                .precondition_skipped
                .iter()
                .map(ToString::to_string)
                .collect();
            println!(
                "{}",
                json!({
                    "command": command,
                    "deploymentId": report.deployment_id,
                    "recorded": recorded,
                    "preconditionSkipped": skipped,
                    "inTransaction": report.in_transaction.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "previouslyRun": report.previously_run,
                    "filtered": filtered,
                    "rowsAffected": report.rows_affected,
                    "platform": platform_json(platform),
                })
            );
        }
        if !self.json() {
            print_summary(report);
        }
        let label = match command {
            "update-count" => "Update-count",
            "update-to-tag" => "Update-to-tag",
            _ => "Update",
        };
        eprintln!(
            "Liquibase: {label} has been successful. Rows affected: {}",
            report.rows_affected
        );
        eprintln!("Liquibase command '{command}' was executed successfully.");
    }

    /// Nothing else of an update report: the summary goes to stdout as Liquibase's.
    pub(crate) fn synced(&self, report: &UpdateReport) {
        if self.json() {
            let recorded: Vec<_> = report
                .recorded
                .iter()
                .map(|(id, _)| id.to_string())
                .collect();
            println!(
                "{}",
                json!({ "recorded": recorded, "deploymentId": report.deployment_id })
            );
        }
        for (id, _) in &report.recorded {
            eprintln!("Marked as ran: {id}");
        }
        eprintln!("Liquibase command 'changelog-sync' was executed successfully.");
    }

    pub(crate) fn rolled_back(&self, report: &RollbackReport) {
        if self.json() {
            let ids: Vec<_> = report.rolled_back.iter().map(ToString::to_string).collect();
            println!("{}", json!({ "rolledBack": ids }));
        }
        eprintln!(
            "Rollback has been successful. {} changesets rolled back.",
            report.rolled_back.len()
        );
    }

    pub(crate) fn status(&self, connection: &Connection, pending: &[&ChangeSetId], detail: Detail) {
        let target = connection.target();
        if self.json() {
            let ids: Vec<_> = pending.iter().map(ToString::to_string).collect();
            println!(
                "{}",
                json!({ "target": target, "pending": ids, "upToDate": pending.is_empty(), "platform": platform_json(&connection.platform) })
            );
            return;
        }
        if pending.is_empty() {
            println!("{target} is up to date");
        } else {
            let n = pending.len();
            let noun = if n == 1 {
                "changeset has"
            } else {
                "changesets have"
            };
            println!("{n} {noun} not been applied to {target}");
            if detail == Detail::Verbose {
                for id in pending {
                    println!("     {id}");
                }
            }
        }
    }

    pub(crate) fn history(&self, connection: &Connection, ran: &[RanChangeSet]) {
        if self.json() {
            let rows: Vec<_> = ran
                .iter()
                .map(|r| {
                    json!({
                        "deploymentId": r.deployment_id,
                        "dateExecuted": r.date_executed.map(format_date),
                        "fileName": r.id.path,
                        "author": r.id.author,
                        "id": r.id.id,
                        "tag": r.tag,
                        "execType": r.exec_type.as_str(),
                        "md5sum": r.checksum.as_ref().map(ToString::to_string),
                        "orderExecuted": r.order_executed,
                    })
                })
                .collect();
            println!(
                "{}",
                json!({ "target": connection.hosts(), "history": rows })
            );
            return;
        }
        println!("Liquibase History for {}", connection.hosts());
        println!();
        if ran.is_empty() {
            println!("No changesets deployed");
            return;
        }
        // One table per deployment, as HistoryCommandStep's TABULAR format (4.33.0).
        let mut start = 0;
        while start < ran.len() {
            let deployment = &ran[start].deployment_id;
            let end = ran[start..]
                .iter()
                .position(|r| &r.deployment_id != deployment)
                .map_or(ran.len(), |n| start + n);
            let rows: Vec<[String; 6]> = ran[start..end]
                .iter()
                .map(|r| {
                    [
                        r.deployment_id.clone().unwrap_or_default(),
                        r.date_executed.map(short_date).unwrap_or_default(),
                        r.id.path.clone(),
                        r.id.author.clone(),
                        r.id.id.clone(),
                        r.tag.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            print_table(
                &[
                    "Deployment ID",
                    "Update Date",
                    "Changelog Path",
                    "Changeset Author",
                    "Changeset ID",
                    "Tag",
                ],
                &rows,
            );
            println!();
            start = end;
        }
    }

    pub(crate) fn tagged(&self, connection: &Connection, tag: &str) {
        if self.json() {
            println!("{}", json!({ "tagged": tag }));
        }
        eprintln!("Successfully tagged '{}'", connection.target());
        let _ = tag;
    }

    pub(crate) fn tag_exists(&self, connection: &Connection, tag: &str, exists: bool) {
        if self.json() {
            println!("{}", json!({ "tag": tag, "exists": exists }));
            return;
        }
        // As TagExistsCommandStep: the answer goes to stderr and the exit code is 0 either way.
        if exists {
            eprintln!(
                "The tag '{tag}' already exists in '{}'.",
                connection.target()
            );
        } else {
            eprintln!(
                "The tag '{tag}' does NOT exist in '{}'.",
                connection.target()
            );
        }
    }

    pub(crate) fn checksum(&self, checksum: &CheckSum) {
        if self.json() {
            println!("{}", json!({ "checksum": checksum.to_string() }));
            return;
        }
        // Liquibase 4.27/4.28 print the answer on stderr; we print it on stdout (it is the
        // command's data) and keep stderr for messages.
        println!("{checksum}");
    }

    pub(crate) fn locks(&self, connection: &Connection, locks: &[LockRow]) {
        let held: Vec<&LockRow> = locks.iter().filter(|l| l.locked).collect();
        if self.json() {
            let rows: Vec<_> = held
                .iter()
                .map(|l| json!({ "id": l.id, "lockedBy": l.locked_by, "lockGranted": l.granted.map(format_date) }))
                .collect();
            println!(
                "{}",
                json!({ "target": connection.target(), "locks": rows })
            );
            return;
        }
        println!("Database change log locks for {}", connection.target());
        if held.is_empty() {
            println!(" - No locks");
        }
        for l in &held {
            println!(
                " - {} at {}",
                l.locked_by.as_deref().unwrap_or("UNKNOWN"),
                l.granted.map(medium_date).unwrap_or_default()
            );
        }
        if !held.is_empty() {
            println!("NOTE:  The lock time displayed is based on the database's configured time");
        }
    }

    pub(crate) fn locks_released(&self, connection: &Connection) {
        if self.json() {
            println!("{}", json!({ "released": true }));
        }
        eprintln!(
            "Successfully released all database change log locks for '{}'",
            connection.target()
        );
    }

    pub(crate) fn unexpected(
        &self,
        connection: &Connection,
        rows: &[&RanChangeSet],
        detail: Detail,
    ) {
        let target = connection.target();
        if self.json() {
            let ids: Vec<_> = rows.iter().map(|r| r.id.to_string()).collect();
            println!("{}", json!({ "target": target, "unexpected": ids }));
            return;
        }
        if rows.is_empty() {
            println!("{target} contains no unexpected changes!");
        } else {
            println!("{} unexpected changes were found in {target}", rows.len());
            if detail == Detail::Verbose {
                for r in rows {
                    println!("     {}", r.id);
                }
            }
        }
    }

    pub(crate) fn dropped(&self, connection: &Connection, dropped: &[String]) {
        if self.json() {
            println!("{}", json!({ "dropped": dropped }));
        }
        eprintln!("All objects dropped from {}", connection.target());
        for name in dropped {
            eprintln!("  dropped `{name}`");
        }
    }

    pub(crate) fn commands(&self, preview: &[Preview]) {
        let lines: Vec<String> = preview.iter().map(Preview::to_text).collect();
        if self.json() {
            println!("{}", json!({ "commands": lines }));
            return;
        }
        for line in lines {
            println!("{line}");
        }
    }

    /// Asks on the terminal; refuses when stdin is not a terminal.
    pub(crate) fn confirm(&self, question: &str) -> anyhow::Result<bool> {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!(
                "{question} needs confirmation, and stdin is not a terminal\nhint: pass `--force` to drop without asking"
            );
        }
        eprint!("{question} [y/N] ");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES"))
    }
}

/// The crash-recovery tests' hook: with `LBMONGO_TEST_PAUSE=<point>` (`lock`,
/// `applied:<changeset>`, `recorded:<changeset>`) the process announces the point on stderr and
/// stops there, so a test can `kill -9` it at a known place. Unset, it does nothing.
fn format_date(d: DateTime) -> String {
    d.try_to_rfc3339_string()
        .unwrap_or_else(|_| d.timestamp_millis().to_string())
}

/// `UPDATE SUMMARY` as Liquibase's `UpdateSummaryDetails` prints it on stdout (4.33.0): each
/// count right-aligned to column 31. A changeset that failed with `failOnError="false"` counts in
/// no line but the total, as in Liquibase.
fn print_summary(report: &UpdateReport) {
    use executor::ExecType;
    use executor::Reason;
    let line = |label: &str, n: usize| println!("{label}{n:>width$}", width = 31 - label.len());
    let run = report
        .recorded
        .iter()
        .filter(|(_, t)| *t != ExecType::Failed)
        .count();
    let filtered = report.filtered.len() + report.precondition_skipped.len();
    println!();
    println!("UPDATE SUMMARY");
    line("Run:", run);
    line("Previously run:", report.previously_run);
    line("Filtered out:", filtered);
    println!("-------------------------------");
    line("Total change sets:", report.total);
    println!();
    if filtered > 0 {
        println!();
        println!("FILTERED CHANGE SETS SUMMARY");
        let count = |reason: Reason| report.filtered.iter().filter(|(_, r)| *r == reason).count();
        let lines = [
            ("Context mismatch:", count(Reason::Context)),
            ("Label mismatch:", count(Reason::Label)),
            ("DBMS mismatch:", count(Reason::DbmsMismatch)),
            ("Ignored:", count(Reason::Ignored)),
            ("After count:", count(Reason::AfterCount)),
            ("After tag:", count(Reason::AfterTag)),
            ("Preconditions:", report.precondition_skipped.len()),
        ];
        for (label, n) in lines {
            if n > 0 {
                line(label, n);
            }
        }
        println!();
    }
}

fn print_table<const N: usize>(headers: &[&str; N], rows: &[[String; N]]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let rule: String = widths
        .iter()
        .map(|w| format!("+{}", "-".repeat(w + 2)))
        .collect::<String>()
        + "+";
    let line = |cells: Vec<&str>| {
        let body: String = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("| {c:<w$} "))
            .collect();
        println!("{body}|");
    };
    println!("{rule}");
    line(headers.to_vec());
    println!("{rule}");
    for row in rows {
        line(row.iter().map(String::as_str).collect());
        println!("{rule}");
    }
}

/// The detected platform in `--output json`.
fn platform_json(platform: &Platform) -> serde_json::Value {
    json!({
        "name": platform.kind.id(),
        "version": platform.version,
        "transactions": platform.transactions,
        "trackingValidators": platform.supports_validator(),
    })
}

/// A warning on stderr, outside any command's printer (a fleet's databases).
pub(crate) fn warn(message: &str) {
    eprintln!("WARNING: {message}");
}

/// A fleet's progress: a bar on a terminal, counters for its message.
pub(crate) struct FleetProgress {
    bar: indicatif::ProgressBar,
    /// The fleet spans clusters: databases are named `hosts/database`.
    clusters: bool,
    total: usize,
    done: std::sync::atomic::AtomicUsize,
    failed: std::sync::atomic::AtomicUsize,
    changesets: std::sync::atomic::AtomicUsize,
}

impl FleetProgress {
    pub(crate) fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// One line of error text: the first line of the engine's message, and its hint apart.
fn fleet_error(row: &crate::Row) -> (String, Option<String>) {
    match &row.error {
        None if row.outcome == executor::fleet::Outcome::NotStarted => {
            ("not started: an earlier database failed".to_owned(), None)
        }
        None => (String::new(), None),
        Some(e) => {
            let text = e.to_string();
            let (message, hint) = match text.split_once("\nhint: ") {
                Some((m, h)) => (m.to_owned(), Some(h.to_owned())),
                None => (text, e.hint()),
            };
            (message.replace('\n', " "), hint)
        }
    }
}

/// How text output names a database: with its cluster's hosts when the fleet spans clusters
/// (two clusters may each have a `tenant_1`).
fn fleet_label(row: &crate::Row, clusters: bool) -> String {
    if clusters {
        format!("{}/{}", row.hosts, row.database)
    } else {
        row.database.clone()
    }
}

fn spans_clusters(rows: &[crate::Row]) -> bool {
    rows.windows(2).any(|w| w[0].hosts != w[1].hosts)
}

fn fleet_count(row: &crate::Row) -> usize {
    row.value
        .as_ref()
        .map_or(0, |d| d.pending.unwrap_or(d.changesets))
}

/// The summary of a fleet as JSON: `--output json` and `--report-file`.
pub(crate) fn fleet_json(rows: &[crate::Row], command: &str) -> serde_json::Value {
    use executor::fleet::Outcome;
    let databases: Vec<_> = rows
        .iter()
        .map(|r| {
            let (error, hint) = fleet_error(r);
            let mut entry = json!({
                "database": r.database,
                "hosts": r.hosts,
                "outcome": r.outcome.name(),
                "changesets": r.value.as_ref().map_or(0, |d| d.changesets),
                "durationSeconds": r.duration.as_secs_f64(),
            });
            if let Some(pending) = r.value.as_ref().and_then(|d| d.pending) {
                entry["pending"] = json!(pending);
            }
            if let Some(note) = r.value.as_ref().and_then(|d| d.note.clone()) {
                entry["note"] = json!(note);
            }
            if r.outcome != Outcome::Succeeded {
                entry["error"] = json!(error);
                entry["hint"] = json!(hint);
            }
            entry
        })
        .collect();
    let of = |o: Outcome| rows.iter().filter(|r| r.outcome == o).count();
    json!({
        "command": command,
        "success": of(Outcome::Succeeded) == rows.len(),
        "total": rows.len(),
        "succeeded": of(Outcome::Succeeded),
        "failed": of(Outcome::Failed),
        "notStarted": of(Outcome::NotStarted),
        "changesets": rows.iter().filter_map(|r| r.value.as_ref()).map(|d| d.changesets).sum::<usize>(),
        "databases": databases,
    })
}

impl Render {
    /// Starts a fleet's output: a bar on a terminal (databases done, failed, total, changesets
    /// applied), nothing elsewhere.
    pub(crate) fn fleet_start(&self, total: usize, clusters: bool, command: &str) -> FleetProgress {
        let bar = indicatif::ProgressBar::hidden();
        if std::io::stdout().is_terminal() && std::io::stderr().is_terminal() && !self.json() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_length(u64::try_from(total).unwrap_or(u64::MAX));
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(format!("{command}: 0 failed, 0 changesets"));
        }
        FleetProgress {
            bar,
            clusters,
            total,
            done: 0.into(),
            failed: 0.into(),
            changesets: 0.into(),
        }
    }

    /// One database ended: the bar moves on a terminal; elsewhere one line on stdout.
    pub(crate) fn fleet_done(&self, row: &crate::Row, progress: &FleetProgress) {
        use std::sync::atomic::Ordering;
        let done = progress.done.fetch_add(1, Ordering::Relaxed) + 1;
        if row.outcome != executor::fleet::Outcome::Succeeded {
            progress.failed.fetch_add(1, Ordering::Relaxed);
        }
        let changesets = row.value.as_ref().map_or(0, |d| d.changesets);
        progress.changesets.fetch_add(changesets, Ordering::Relaxed);
        if !progress.bar.is_hidden() {
            progress.bar.inc(1);
            progress.bar.set_message(format!(
                "{} failed, {} changesets",
                progress.failed.load(Ordering::Relaxed),
                progress.changesets.load(Ordering::Relaxed)
            ));
            return;
        }
        if self.json() {
            return;
        }
        let (error, _) = fleet_error(row);
        let what = match row.value.as_ref() {
            Some(d) if d.pending.is_some() => format!("{} pending", fleet_count(row)),
            Some(d) => match &d.note {
                Some(note) => format!("{} changesets, {note}", d.changesets),
                None => format!("{} changesets", d.changesets),
            },
            None => error,
        };
        println!(
            "[{done}/{}] {} {}: {what} ({:.2}s)",
            progress.total,
            fleet_label(row, progress.clusters),
            row.outcome.name(),
            row.duration.as_secs_f64()
        );
    }

    /// The fleet's summary table (or its JSON), and for `status` the databases that differ.
    pub(crate) fn fleet_summary(&self, rows: &[crate::Row], command: &str) {
        use executor::fleet::Outcome;
        if self.json() {
            println!("{}", fleet_json(rows, command));
            return;
        }
        let clusters = spans_clusters(rows);
        let width = rows
            .iter()
            .map(|r| fleet_label(r, clusters).len())
            .max()
            .unwrap_or(0)
            .max("DATABASE".len());
        let count_title = if command == "status" {
            "PENDING"
        } else {
            "CHANGESETS"
        };
        println!();
        println!(
            "{:width$}  {:11}  {count_title:>10}  {:>9}  ERROR",
            "DATABASE", "OUTCOME", "DURATION"
        );
        for r in rows {
            let (error, _) = fleet_error(r);
            let error = if r.outcome == Outcome::Succeeded {
                r.value
                    .as_ref()
                    .and_then(|d| d.note.clone())
                    .unwrap_or_default()
            } else {
                error
            };
            let line = format!(
                "{:width$}  {:11}  {:>10}  {:>8.2}s  {error}",
                fleet_label(r, clusters),
                r.outcome.name(),
                fleet_count(r),
                r.duration.as_secs_f64()
            );
            println!("{}", line.trim_end());
        }
        let of = |o: Outcome| rows.iter().filter(|r| r.outcome == o).count();
        let tally = if command == "status" {
            format!(
                "{} changesets pending",
                rows.iter().map(fleet_count).sum::<usize>()
            )
        } else {
            format!(
                "{} changesets",
                rows.iter()
                    .filter_map(|r| r.value.as_ref())
                    .map(|d| d.changesets)
                    .sum::<usize>()
            )
        };
        println!(
            "{} databases: {} succeeded, {} failed, {} not started; {tally}",
            rows.len(),
            of(Outcome::Succeeded),
            of(Outcome::Failed),
            of(Outcome::NotStarted),
        );
        if command == "status" {
            let behind: Vec<String> = rows
                .iter()
                .filter(|r| r.value.as_ref().and_then(|d| d.pending).unwrap_or(0) > 0)
                .map(|r| fleet_label(r, clusters))
                .collect();
            if behind.is_empty() {
                println!("Every database is up to date.");
            } else {
                println!(
                    "{} databases have pending changesets: {}",
                    behind.len(),
                    behind.join(", ")
                );
            }
        }
    }
}

/// The closing line of a checks run that found something (stderr).
pub(crate) fn found(summary: &str) {
    eprintln!("{summary}");
}

impl Render {
    /// `checks show`: every check, its state, severity and parameters.
    pub(crate) fn checks_show(
        &self,
        checks: &[(&executor::checks::CheckInfo, executor::checks::CheckSetting)],
        settings: &executor::checks::ChecksSettings,
    ) {
        if self.json() {
            let list: Vec<serde_json::Value> = checks
                .iter()
                .map(|(info, s)| {
                    json!({
                        "id": info.id,
                        "description": info.description,
                        "enabled": s.enabled,
                        "severity": s.severity.name(),
                        "returnCode": s.severity.exit_code(),
                        "defaultSeverity": info.severity.name(),
                        "parameters": s.parameters,
                    })
                })
                .collect();
            out(format_args!(
                "{}\n",
                json!({ "blockingSeverity": settings.blocking().name(), "checks": list })
            ));
            return;
        }
        for (info, s) in checks {
            out(format_args!(
                "{:<24} {:<8} {:<9} {}\n",
                info.id,
                if s.enabled { "enabled" } else { "disabled" },
                s.severity.name(),
                info.description
            ));
            for p in info.parameters {
                out(format_args!(
                    "{:<24} {} = {} ({})\n",
                    "",
                    p.name,
                    s.parameters
                        .get(p.name)
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    p.description
                ));
            }
        }
        out(format_args!(
            "\nAn update gated by the checks stops at {} or above.\n",
            settings.blocking().name()
        ));
    }

    /// `checks input`: one JSON array, or one document per line.
    pub(crate) fn checks_input(&self, docs: &[serde_json::Value], per_line: bool) {
        if per_line {
            for d in docs {
                out(format_args!("{d}\n"));
            }
        } else {
            out(format_args!("{}\n", serde_json::Value::from(docs.to_vec())));
        }
    }

    /// `checks run`: the findings as text, JSON or SARIF on stdout.
    pub(crate) fn checks_report(&self, report: &executor::checks::Report, output: Output) {
        match output {
            Output::Json => out(format_args!("{}\n", report.to_json())),
            Output::Sarif => out(format_args!(
                "{:#}\n",
                executor::checks::sarif(report, env!("CARGO_PKG_VERSION"))
            )),
            Output::Text => {
                for f in &report.findings {
                    out(format_args!("{}\n", finding_text(f)));
                }
                out(format_args!(
                    "Checks run against {} changeset(s) in the {} scope: {} check(s), {} finding(s){}\n",
                    report.changesets,
                    report.scope.name(),
                    report.checks.len(),
                    report.findings.len(),
                    report.highest().map_or(String::new(), |s| format!(
                        ", highest severity {} (return code {})",
                        s.name(),
                        s.exit_code()
                    )),
                ));
            }
        }
    }

    /// The findings of a blocked update, on stderr (stdout stays the update's).
    pub(crate) fn checks_findings_stderr(&self, report: &executor::checks::Report) {
        for f in &report.findings {
            self.say(finding_text(f));
        }
    }
}

/// One finding as Liquibase prints a triggered check, location first.
fn finding_text(f: &executor::checks::Finding) -> String {
    let location = match f.line {
        Some(line) => format!("{}:{line}", f.file),
        None => f.file.clone(),
    };
    let mut text = format!(
        "Changeset ID:       {}\nChangeset Filepath: {location}\nCheck Name:         {}\nCheck Severity:     {} (Return code: {})\nMessage:            {}\n",
        f.changeset,
        f.check,
        f.severity.name(),
        f.severity.exit_code(),
        f.message
    );
    if let Some(hint) = &f.hint {
        text.push_str(&format!("Hint:               {hint}\n"));
    }
    text
}
