//! Command-line arguments: Liquibase's command names and kebab-case flags, with the legacy
//! camelCase spellings as aliases. Doc comments are the help text.

use clap::{Args, Parser, Subcommand, ValueEnum};

mod generator;

pub(crate) use generator::{
    DiffArgs, DiffChangelogArgs, GenerateArgs, Objects, PerArg, Sides, SnapshotArgs,
    SnapshotFormat, Style, TestingRollbackArgs,
};

/// Liquibase-compatible MongoDB migrations, without a JVM.
///
/// Reads the same changelogs, `liquibase.properties` and `LIQUIBASE_*` environment variables as
/// Liquibase with the liquibase-mongodb extension, and writes the same DATABASECHANGELOG and
/// DATABASECHANGELOGLOCK documents, so a project can switch between the tools at any time.
#[derive(Debug, Parser)]
#[command(
    name = "lbmongo",
    version,
    max_term_width = 100,
    disable_help_subcommand = true
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command accepts, before or after the command name.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct Global {
    /// Connection URL, database in the path: `mongodb://host:27017/mydb` (env `LIQUIBASE_COMMAND_URL`).
    #[arg(long, global = true)]
    pub(crate) url: Option<String>,
    /// User name, spliced into the URL (env `LIQUIBASE_COMMAND_USERNAME`).
    #[arg(long, global = true)]
    pub(crate) username: Option<String>,
    /// Password, spliced into the URL. Prefer `LIQUIBASE_COMMAND_PASSWORD` or the defaults file:
    /// arguments are visible to other users of the machine.
    #[arg(long, global = true)]
    pub(crate) password: Option<String>,
    /// The root changelog (env `LIQUIBASE_COMMAND_CHANGELOG_FILE`).
    #[arg(long, global = true, alias = "changeLogFile", alias = "changelogFile")]
    pub(crate) changelog_file: Option<String>,
    /// Properties file with defaults [default: liquibase.properties].
    #[arg(long, global = true, alias = "defaultsFile")]
    pub(crate) defaults_file: Option<String>,
    /// Contexts to run (comma-separated); changesets hold context expressions.
    #[arg(long, global = true, alias = "contexts", alias = "contextFilter")]
    pub(crate) context_filter: Option<String>,
    /// Label expression to run; changesets hold label lists.
    #[arg(long, global = true, alias = "labels", alias = "labelFilter")]
    pub(crate) label_filter: Option<String>,
    /// Comma-separated roots that changelog paths are relative to [default: the working directory].
    #[arg(long, global = true, alias = "searchPath")]
    pub(crate) search_path: Option<String>,
    /// OFF, SEVERE, WARNING, INFO, FINE (DEBUG, WARN, ERROR are aliases).
    #[arg(long, global = true, alias = "logLevel")]
    pub(crate) log_level: Option<String>,
    /// Minutes to wait for the changelog lock [default: 5].
    #[arg(long, global = true, alias = "changelogLockWaitTimeInMinutes")]
    pub(crate) changelog_lock_wait_time_in_minutes: Option<String>,
    /// Seconds between lock polls [default: 10].
    #[arg(long, global = true, alias = "changelogLockPollRate")]
    pub(crate) changelog_lock_poll_rate: Option<String>,
    /// History collection [default: DATABASECHANGELOG].
    #[arg(long, global = true, alias = "databaseChangelogTableName")]
    pub(crate) database_changelog_table_name: Option<String>,
    /// Lock collection [default: DATABASECHANGELOGLOCK].
    #[arg(long, global = true, alias = "databaseChangelogLockTableName")]
    pub(crate) database_changelog_lock_table_name: Option<String>,
    /// Put `$jsonSchema` validators on the tracking collections [default: true]; false for
    /// DocumentDB and Cosmos DB.
    #[arg(long, global = true)]
    pub(crate) mongodb_supports_validator: Option<String>,
    /// The platform the changelog must run on: mongodb, documentdb, cosmosdb, ferretdb or auto
    /// (the server's, detected at connect) [default: auto]. `update`, `update-sql` and `validate`
    /// refuse, before writing anything, a changelog with changes the platform cannot run;
    /// `validate` with a platform and no URL checks offline. `mongodb` skips that check.
    #[arg(long, global = true)]
    pub(crate) platform: Option<String>,
    /// Create or adjust the tracking collections' index and validator at start [default: true].
    #[arg(long, global = true)]
    pub(crate) mongodb_adjust_tracking_tables_on_startup: Option<String>,
    /// Rewrite `retryWrites` in the URL (false for DocumentDB).
    #[arg(long, global = true)]
    pub(crate) mongodb_retry_writes: Option<String>,
    /// Run changesets made only of document writes in one transaction with their history row,
    /// when the server supports transactions [default: true].
    #[arg(long, global = true)]
    pub(crate) mongodb_transactions: Option<String>,
    /// Let a lock whose holder stopped renewing it for this many seconds be taken over by
    /// another lbmongo (also using a lease). Off by default, as in Liquibase: a lock held by a
    /// killed process stays until `release-locks`.
    #[arg(long, global = true)]
    pub(crate) lock_lease_seconds: Option<String>,
    /// Included changelogs without their own `logicalFilePath` inherit an ancestor's, as Liquibase
    /// 4.31+ does [default: true]; false keeps each file's own path, as 4.24–4.30 did (Liquibase
    /// 5.0 names this switch `allowInheritLogicalFilePath`).
    #[arg(long, global = true)]
    pub(crate) allow_inherit_logical_file_path: Option<String>,
    /// Changesets with the same `path::id::author` are an error unless this is true.
    #[arg(long, global = true)]
    pub(crate) allow_duplicated_changeset_identifiers: Option<String>,
    /// Missing `${property}` handling: PRESERVE, EMPTY or ERROR [default: PRESERVE].
    #[arg(long, global = true, alias = "missingPropertyMode")]
    pub(crate) missing_property_mode: Option<String>,
    /// Liquibase version written in the history `liquibase` field [default: 4.33.0].
    #[arg(long, global = true)]
    pub(crate) liquibase_version: Option<String>,
    /// The mongosh executable for `mongo`/`mongoFile` scripts that do not run natively
    /// [default: `mongosh` on PATH] (`liquibase.mongodb.mongoshPath`).
    #[arg(long, global = true, alias = "mongoshPath")]
    pub(crate) mongosh_path: Option<String>,
    /// How `mongo`/`mongoFile` scripts run: `auto` natively when the whole script is inside
    /// lbmongo's shell subset, else through mongosh; `always` never uses mongosh; `never` always
    /// does [default: auto] (`liquibase.mongodb.mongoshNative`).
    #[arg(long, global = true, alias = "mongoshNative")]
    pub(crate) mongosh_native: Option<String>,
    /// Seconds one mongosh process may run, -1 for no limit [default: 1800].
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub(crate) mongosh_timeout_seconds: Option<String>,
    /// Arguments given to mongosh before lbmongo's own, split on spaces [default: "--quiet --norc"].
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub(crate) mongosh_extra_args: Option<String>,
    /// A file that mongosh's output is appended to.
    #[arg(long, global = true)]
    pub(crate) mongosh_log_file: Option<String>,
    /// Run the command on every database of the URL's cluster whose name matches this regular
    /// expression (`admin`, `local` and `config` never match); the URL may name no database.
    #[arg(long, global = true)]
    pub(crate) databases: Option<String>,
    /// Run the command on the databases of this file: one database name (on `--url`'s cluster)
    /// or one full connection URL per line; `#` starts a comment line.
    #[arg(long, global = true)]
    pub(crate) databases_file: Option<String>,
    /// Databases of a fleet run at a time [default: 4].
    #[arg(long, global = true)]
    pub(crate) parallel: Option<String>,
    /// After a database of a fleet fails: `stop` starts no other, `continue` runs them all
    /// [default: stop].
    #[arg(long, global = true)]
    pub(crate) on_error: Option<String>,
    /// Run the fleet's first N databases first, and stop if any of them fails.
    #[arg(long, global = true)]
    pub(crate) canary: Option<String>,
    /// `I/N`: run only share I of N of the fleet, chosen by a hash of each database's name.
    #[arg(long, global = true)]
    pub(crate) shard: Option<String>,
    /// Also write a fleet's summary as JSON to this file.
    #[arg(long, global = true)]
    pub(crate) report_file: Option<String>,
    /// `generate-changelog`/`diff-changelog`: give each changeset a `created` attribute with the
    /// time of the run, as Liquibase writes it (`2026-12-07 22:20+0000`) [default: false].
    #[arg(long, global = true, num_args = 0..=1, default_missing_value = "true")]
    pub(crate) generate_changeset_created_values: Option<String>,
    /// `generate-changelog`/`diff-changelog`: Liquibase's descriptive ids,
    /// `<root>-<n> (<change descriptions>)`, instead of lbmongo's `createCollection-orders`
    /// [default: false].
    #[arg(long, global = true, num_args = 0..=1, default_missing_value = "true")]
    pub(crate) generated_changeset_ids_contains_description: Option<String>,
    /// Output format for status, history, validate, list-locks and update reports; `sarif`
    /// (SARIF 2.1.0) only for `checks run`.
    #[arg(long, global = true, value_enum)]
    pub(crate) output: Option<Output>,
    /// The policy checks' settings file [default: lbmongo.checks-settings.json when it exists]
    /// (Liquibase Pro's `--checks-settings-file`).
    #[arg(long, global = true, alias = "checksSettingsFile")]
    pub(crate) checks_settings_file: Option<String>,
    /// `changelog` (no connection) or `database` (read-only, pending against the history)
    /// [default: changelog].
    #[arg(long, global = true, alias = "checksScope")]
    pub(crate) checks_scope: Option<String>,
    /// Run the policy checks before `update` (and its variants) and write nothing when a
    /// finding reaches the settings file's `blockingSeverity` [default: false].
    #[arg(long, global = true, num_args = 0..=1, default_missing_value = "true")]
    pub(crate) checks_run_before_update: Option<String>,
    /// A directory of Rego policies (`.rego` files with `deny`/`warn` rules) that `checks run`
    /// and the update gate evaluate [default: the settings file's `policies`].
    #[arg(long, global = true, alias = "checksPolicies")]
    pub(crate) checks_policies: Option<String>,
    /// Accepted for Liquibase compatibility; lbmongo prints no banner.
    #[arg(long, global = true, hide = true)]
    pub(crate) show_banner: Option<String>,
    /// A changelog property: `-Dname=value` (beats `<property>` definitions).
    #[arg(short = 'D', global = true, value_name = "NAME=VALUE")]
    pub(crate) define: Vec<String>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Human-readable text.
    Text,
    /// One JSON document on stdout.
    Json,
    /// SARIF 2.1.0 on stdout (`checks run` only).
    Sarif,
}

/// The commands, with Liquibase's names.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Apply every pending changeset.
    Update,
    /// Apply the next N pending changesets.
    #[command(alias = "updateCount")]
    UpdateCount(Count),
    /// Apply pending changesets up to and including the one that tags TAG.
    #[command(alias = "updateToTag")]
    UpdateToTag(Tag),
    /// Print, without writing anything, the commands `update` would send.
    #[command(alias = "updateSQL", alias = "updateSql")]
    UpdateSql,
    /// Update, roll back what was applied, and update again.
    #[command(alias = "updateTestingRollback")]
    UpdateTestingRollback(TestingRollbackArgs),
    /// List pending changesets.
    Status(Verbose),
    /// List applied changesets.
    History,
    /// Check the changelog and the stored checksums.
    Validate,
    /// Tag the newest applied changeset.
    Tag(Tag),
    /// Tell whether a tag exists.
    #[command(alias = "tagExists")]
    TagExists(Tag),
    /// Roll back everything applied after TAG.
    Rollback(Tag),
    /// Roll back the last N changesets.
    #[command(alias = "rollbackCount")]
    RollbackCount(Count),
    /// Roll back changesets applied after DATE.
    #[command(alias = "rollbackToDate")]
    RollbackToDate(Date),
    /// Print the commands `rollback` would send.
    #[command(alias = "rollbackSQL", alias = "rollbackSql")]
    RollbackSql(Tag),
    /// Print the commands `rollback-count` would send.
    #[command(alias = "rollbackCountSQL", alias = "rollbackCountSql")]
    RollbackCountSql(Count),
    /// Print the commands `rollback-to-date` would send.
    #[command(alias = "rollbackToDateSQL", alias = "rollbackToDateSql")]
    RollbackToDateSql(Date),
    /// Print the commands that would roll back the pending changesets once applied.
    #[command(alias = "futureRollbackSQL", alias = "futureRollbackSql")]
    FutureRollbackSql,
    /// Record pending changesets as applied without running them.
    #[command(alias = "changelogSync")]
    ChangelogSync,
    /// Record pending changesets up to TAG as applied without running them.
    #[command(alias = "changelogSyncToTag")]
    ChangelogSyncToTag(Tag),
    /// Record the next pending changeset as applied without running it.
    #[command(alias = "markNextChangeSetRan", alias = "markNextChangesetRan")]
    MarkNextChangesetRan,
    /// Clear every stored checksum (refilled by the next update).
    #[command(alias = "clearCheckSums", alias = "clearChecksums")]
    ClearChecksums,
    /// Print a changeset's checksum.
    #[command(alias = "calculateCheckSum", alias = "calculateChecksum")]
    CalculateChecksum(ChangeSetSelector),
    /// Release the changelog lock, whoever holds it.
    #[command(alias = "releaseLocks")]
    ReleaseLocks,
    /// Show who holds the changelog lock.
    #[command(alias = "listLocks")]
    ListLocks,
    /// List applied changesets that are not in the changelog.
    #[command(alias = "unexpectedChangeSets", alias = "unexpectedChangesets")]
    UnexpectedChangesets(Verbose),
    /// Drop every collection and view of the URL's database.
    #[command(alias = "dropAll")]
    DropAll(Force),
    /// Write a JSON snapshot of the database's schema.
    Snapshot(SnapshotArgs),
    /// Write a changelog that recreates the database's schema.
    #[command(alias = "generateChangeLog", alias = "generateChangelog")]
    GenerateChangelog(GenerateArgs),
    /// Compare the reference database (or snapshot) with the target.
    Diff(DiffArgs),
    /// Write the changesets that turn the target into the reference.
    #[command(alias = "diffChangeLog", alias = "diffChangelog")]
    DiffChangelog(DiffChangelogArgs),
    /// Policy checks over the pending changesets (`run`, `show`, `input`).
    #[command(subcommand)]
    Checks(Checks),
}

/// `checks` subcommands, with Liquibase Pro's names where Pro has them.
#[derive(Debug, Subcommand)]
pub(crate) enum Checks {
    /// Run the enabled checks; the exit code is the highest severity found (0 to 4).
    Run(CheckNames),
    /// List every check with its severity, parameters and whether it is enabled.
    Show,
    /// Print the JSON input the checks (and Rego policies) read: an array, one document per
    /// pending changeset.
    Input(InputArgs),
}

/// `--check-name`.
#[derive(Debug, Args)]
pub(crate) struct CheckNames {
    /// Run only these checks (comma-separated ids), enabled or not being an error.
    #[arg(long, alias = "checkName", value_delimiter = ',')]
    pub(crate) check_name: Vec<String>,
}

/// `checks input` options.
#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// Print one document per line (JSON Lines) instead of one array.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(crate) per_changeset: Option<String>,
}

/// `--count`.
#[derive(Debug, Args)]
pub(crate) struct Count {
    /// How many changesets.
    #[arg(long)]
    pub(crate) count: Option<usize>,
    /// The count, positionally (Liquibase's legacy form).
    #[arg(hide = true)]
    pub(crate) value: Option<usize>,
}

/// `--tag`.
#[derive(Debug, Args)]
pub(crate) struct Tag {
    /// The tag.
    #[arg(long)]
    pub(crate) tag: Option<String>,
    /// The tag, positionally (Liquibase's legacy form).
    #[arg(hide = true)]
    pub(crate) value: Option<String>,
}

/// `--date`.
#[derive(Debug, Args)]
pub(crate) struct Date {
    /// `yyyy-MM-dd'T'HH:mm:ss` or `yyyy-MM-dd` (UTC).
    #[arg(long)]
    pub(crate) date: Option<String>,
    /// The date, positionally (Liquibase's legacy form).
    #[arg(hide = true)]
    pub(crate) value: Option<String>,
}

/// `--verbose`.
#[derive(Debug, Args)]
pub(crate) struct Verbose {
    /// List the changesets (`--verbose=false` for counts only).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(crate) verbose: Option<String>,
}

/// `--force`.
#[derive(Debug, Args)]
pub(crate) struct Force {
    /// Drop without asking.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub(crate) force: Option<String>,
    /// Accepted for Liquibase compatibility.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", hide = true)]
    pub(crate) require_force: Option<String>,
}

/// Selects one changeset.
#[derive(Debug, Args)]
pub(crate) struct ChangeSetSelector {
    /// `path::id::author`.
    #[arg(long, alias = "changeSetIdentifier")]
    pub(crate) changeset_identifier: Option<String>,
    /// The changeset's path (with --changeset-id and --changeset-author).
    #[arg(long)]
    pub(crate) changeset_path: Option<String>,
    /// The changeset's id.
    #[arg(long)]
    pub(crate) changeset_id: Option<String>,
    /// The changeset's author.
    #[arg(long)]
    pub(crate) changeset_author: Option<String>,
    /// `path::id::author`, positionally (Liquibase's legacy form).
    #[arg(hide = true)]
    pub(crate) value: Option<String>,
}
