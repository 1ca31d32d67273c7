//! `lbmongo`: Liquibase-compatible MongoDB migrations without a JVM.
//!
//! Glue only: parse arguments, resolve settings, make one `executor` call per command, hand the
//! result to `render`, and pick the exit code in one place (0 ok, 1 failed, 2 usage).

mod args;
mod checks;
mod config;
mod fleet;
mod generate;
mod render;
mod test_hook;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use executor::CheckSum;
use executor::LockOptions;
use executor::TrackingOptions;
use executor::bson::DateTime;
use executor::changelog::{ChangeLog, ChangeSetId};
use executor::{self as engine, Settings};
use executor::{ChangeLogParameters, DatabaseInfo, MissingPropertyMode, ParameterOptions};
use executor::{Connection, ConnectionOptions};
use executor::{Contexts, LabelExpression};
use executor::{Filter, Goal, RollbackTarget};
use executor::{MongoshOptions, MongoshSettings, SettingNames};
use executor::{Platform, PlatformKind};
use executor::{ReadOptions, read_changelog as read};

use crate::args::{Cli, Command, Output};
use crate::config::Config;
use crate::render::{Detail, Render};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let render = Render::new(cli.global.output.unwrap_or(Output::Text));
    let outcome = Session::load(&cli).and_then(|ctx| {
        runtime(&ctx)
            .context("cannot start the async runtime")?
            .block_on(run(cli, &ctx, &render))
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // The report is printed; the code is the highest severity found, as Liquibase's.
        Err(e) if e.downcast_ref::<checks::Found>().is_some() => {
            let found = e.downcast_ref::<checks::Found>().expect("just matched");
            eprintln_found(found);
            ExitCode::from(found.code)
        }
        Err(e) => {
            render.error(&e);
            if e.downcast_ref::<Usage>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn eprintln_found(found: &checks::Found) {
    render::found(&found.summary);
}

/// A usage error found after argument parsing: a required setting missing or a value that
/// cannot be read. It exits 2, as clap's own usage errors do; everything else that fails exits 1.
#[derive(Debug)]
pub(crate) struct Usage(String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// A fleet run in which some database did not succeed: exit 1. Its summary (JSON too) is
/// already printed, so no second JSON document follows it on stdout.
#[derive(Debug)]
pub(crate) struct FleetFailed(String);

impl std::fmt::Display for FleetFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FleetFailed {}

/// What a database's command did, for the summary.
#[derive(Debug, Default, Clone)]
pub(crate) struct Done {
    /// Changesets run (or recorded, or rolled back).
    pub(crate) changesets: usize,
    /// `status`: changesets pending.
    pub(crate) pending: Option<usize>,
    /// A short note (`history`, `list-locks`).
    pub(crate) note: Option<String>,
}

impl Done {
    fn changesets(n: usize) -> Done {
        Done {
            changesets: n,
            ..Done::default()
        }
    }
}

/// One database's row of the summary.
pub(crate) type Row = executor::fleet::DatabaseReport<Done>;

/// A [`Usage`] error with `message` (which may end in `\nhint: …`).
pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Usage(message.into()))
}

/// One thread, unless a lock lease must be renewed. A command is one sequence of server round
/// trips, and worker threads only added wake-ups between them (P3 generate-changelog spent more
/// system time in futex and eventfd writes than in the driver). The lease heartbeat, though,
/// must beat while the command's own thread is busy or blocked (say, on a stalled stdout pipe):
/// it gets worker threads. mongosh's output drain runs on the blocking pool either way.
fn runtime(ctx: &Session) -> std::io::Result<tokio::runtime::Runtime> {
    if ctx.settings.lock.lease.is_some() {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
}

/// Everything a command needs, resolved once.
struct Session {
    config: Config,
    settings: Settings,
    env: Vec<(String, String)>,
    /// Every connection the command opened, closed before the runtime stops.
    opened: std::sync::Mutex<Vec<Connection>>,
}

impl Session {
    /// The configuration (flags, environment, defaults file) and the settings it gives.
    fn load(cli: &Cli) -> Result<Self> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let config = Config::load(&cli.global, &env)?;
        let settings = settings(&config)?;
        Ok(Self {
            config,
            settings,
            env,
            opened: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Opens a connection that is closed when the command ends, whatever its outcome.
    pub(crate) async fn open(&self, options: &ConnectionOptions) -> Result<Connection> {
        let connection = Connection::open(options).await?;
        self.opened
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(connection.clone());
        Ok(connection)
    }

    /// Opens a fleet's cluster (its URL may name no database), closed as [`Session::open`]'s.
    pub(crate) async fn open_cluster(&self, options: &ConnectionOptions) -> Result<Connection> {
        let connection = Connection::open_cluster(options).await?;
        self.opened
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(connection.clone());
        Ok(connection)
    }

    async fn close(&self) {
        let opened = std::mem::take(
            &mut *self
                .opened
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for connection in opened {
            connection.close().await;
        }
    }
}

async fn run(cli: Cli, ctx: &Session, render: &Render) -> Result<()> {
    let outcome = dispatch(cli, ctx, render).await;
    ctx.close().await;
    outcome
}

async fn dispatch(cli: Cli, ctx: &Session, render: &Render) -> Result<()> {
    let command = cli.command;
    if cli.global.output == Some(Output::Sarif) && !matches!(command, Command::Checks(_)) {
        return Err(usage(
            "`--output sarif` is only for `checks run`\nhint: use `--output text` or `--output json`",
        ));
    }
    if fleet::wanted(ctx) {
        return fleet::run(command, ctx, render).await;
    }
    match command {
        Command::Validate => match ctx.settings.platform {
            // A platform and no URL: the changelog alone, checked for that platform offline
            // (every changeset counts as pending: there is no history to read).
            Some(kind) if ctx.config.get("url").is_none() => {
                let changelog = read_changelog(ctx, None)?;
                let platform = Platform {
                    kind,
                    version: None,
                    transactions: false,
                };
                engine::validate_on(changelog, &[], &ctx.settings, &platform, "")?;
                render.validated_offline(&platform);
            }
            _ => {
                let connection = connect(ctx).await?;
                let changelog = changelog(ctx, Some(&connection)).await?;
                let ran = engine::read_history(&connection, &ctx.settings).await?;
                let platform = engine::judged_platform(&connection, &ctx.settings);
                engine::validate_on(
                    changelog,
                    &ran,
                    &ctx.settings,
                    &platform,
                    &connection.database,
                )?;
                render.validated(&connection);
            }
        },
        Command::Update => update(ctx, render, Goal::All, "update").await?,
        Command::UpdateCount(c) => {
            update(
                ctx,
                render,
                Goal::Count(count(c.count.or(c.value))?),
                "update-count",
            )
            .await?;
        }
        Command::UpdateToTag(t) => {
            update(
                ctx,
                render,
                Goal::ToTag(tag(t.tag.or(t.value))?),
                "update-to-tag",
            )
            .await?;
        }
        Command::UpdateSql => {
            let connection = connect(ctx).await?;
            let changelog = changelog(ctx, Some(&connection)).await?;
            let commands =
                engine::update_sql(&connection, changelog, &ctx.settings, &Goal::All).await?;
            render.commands(&commands);
        }
        Command::UpdateTestingRollback(a) => {
            let connection = connect(ctx).await?;
            let changelog = changelog(ctx, Some(&connection)).await?;
            checks::gate(ctx, &connection, changelog, render).await?;
            let report = if flag(a.verify_snapshot.as_deref(), false)? {
                generate::verified_update_testing_rollback(ctx, &connection, changelog, render)
                    .await?
            } else {
                engine::update_testing_rollback(&connection, changelog, &ctx.settings, render)
                    .await?
            };
            render.update(&report, "update-testing-rollback", &connection.platform);
        }
        Command::Status(v) => {
            let connection = connect(ctx).await?;
            let changelog = changelog(ctx, Some(&connection)).await?;
            // After the changelog is read: bad input's error stands alone, as Liquibase's does.
            render.platform(&connection.platform);
            let ran = engine::read_history(&connection, &ctx.settings).await?;
            let plan = engine::validate(changelog, &ran, &ctx.settings)?;
            let pending: Vec<&ChangeSetId> = plan
                .pending()
                .map(|s| &changelog.change_sets[s.index()].id)
                .collect();
            render.status(
                &connection,
                &pending,
                Detail::verbose(flag(v.verbose.as_deref(), true)?),
            );
        }
        Command::History => {
            let connection = connect(ctx).await?;
            let ran = engine::read_history(&connection, &ctx.settings).await?;
            render.history(&connection, &ran);
        }
        Command::Tag(t) => {
            let tag = tag(t.tag.or(t.value))?;
            let connection = connect(ctx).await?;
            engine::tag(&connection, &ctx.settings, &tag, render).await?;
            render.tagged(&connection, &tag);
        }
        Command::TagExists(t) => {
            let tag = tag(t.tag.or(t.value))?;
            let connection = connect(ctx).await?;
            let exists = engine::tag_exists(&connection, &ctx.settings, &tag).await?;
            render.tag_exists(&connection, &tag, exists);
        }
        Command::Rollback(t) => {
            rollback(
                ctx,
                render,
                RollbackTarget::Tag(tag(t.tag.or(t.value))?),
                false,
            )
            .await?
        }
        Command::RollbackCount(c) => {
            rollback(
                ctx,
                render,
                RollbackTarget::Count(count(c.count.or(c.value))?),
                false,
            )
            .await?;
        }
        Command::RollbackToDate(d) => {
            rollback(
                ctx,
                render,
                RollbackTarget::Date(date(d.date.or(d.value))?),
                false,
            )
            .await?;
        }
        Command::RollbackSql(t) => {
            rollback(
                ctx,
                render,
                RollbackTarget::Tag(tag(t.tag.or(t.value))?),
                true,
            )
            .await?
        }
        Command::RollbackCountSql(c) => {
            rollback(
                ctx,
                render,
                RollbackTarget::Count(count(c.count.or(c.value))?),
                true,
            )
            .await?;
        }
        Command::RollbackToDateSql(d) => {
            rollback(
                ctx,
                render,
                RollbackTarget::Date(date(d.date.or(d.value))?),
                true,
            )
            .await?;
        }
        Command::FutureRollbackSql => {
            let connection = connect(ctx).await?;
            let changelog = changelog(ctx, Some(&connection)).await?;
            let commands =
                engine::future_rollback_sql(&connection, changelog, &ctx.settings).await?;
            render.commands(&commands);
        }
        Command::ChangelogSync => sync(ctx, render, Goal::All).await?,
        Command::ChangelogSyncToTag(t) => {
            sync(ctx, render, Goal::ToTag(tag(t.tag.or(t.value))?)).await?
        }
        Command::MarkNextChangesetRan => sync(ctx, render, Goal::Count(1)).await?,
        Command::ClearChecksums => {
            let connection = connect(ctx).await?;
            engine::clear_checksums(&connection, &ctx.settings, render).await?;
            render.success("clear-checksums");
        }
        Command::CalculateChecksum(sel) => {
            let wanted = selector(sel)?;
            let connection = connect(ctx).await?;
            let changelog = changelog(ctx, Some(&connection)).await?;
            let ran = engine::read_history(&connection, &ctx.settings).await?;
            let cs = changelog
                .change_sets
                .iter()
                .find(|cs| cs.id == wanted)
                .ok_or_else(|| {
                    anyhow!(
                        "No such changeSet identified by changeSet id: {}, author: {}, path: {}",
                        wanted.id,
                        wanted.author,
                        wanted.path
                    )
                })?;
            // As CalculateChecksumCommandStep: the stored row's version when it has one.
            let version = ran
                .iter()
                .find(|r| r.id == wanted)
                .and_then(|r| r.checksum.as_ref().map(CheckSum::version))
                .unwrap_or(CheckSum::LATEST_VERSION);
            let checksum =
                CheckSum::of_change_set(cs, version, &ctx.settings.filter.database_short_name);
            render.checksum(&checksum);
        }
        Command::ReleaseLocks => {
            let connection = connect(ctx).await?;
            executor::release_locks(&connection, &ctx.settings.tracking, &ctx.settings.lock)
                .await?;
            render.locks_released(&connection);
        }
        Command::ListLocks => {
            let connection = connect(ctx).await?;
            let locks = executor::list_locks(&connection, &ctx.settings.tracking).await?;
            render.locks(&connection, &locks);
        }
        Command::UnexpectedChangesets(v) => {
            let connection = connect(ctx).await?;
            let changelog = changelog(ctx, Some(&connection)).await?;
            let ran = engine::read_history(&connection, &ctx.settings).await?;
            let unexpected = engine::unexpected(changelog, &ran);
            render.unexpected(
                &connection,
                &unexpected,
                Detail::verbose(flag(v.verbose.as_deref(), false)?),
            );
        }
        Command::DropAll(f) => {
            let force = flag(f.force.as_deref(), false)?;
            let connection = connect(ctx).await?;
            if !force
                && !render.confirm(&format!(
                    "drop every collection and view of {}?",
                    connection.target()
                ))?
            {
                bail!("drop-all was not confirmed; nothing was dropped");
            }
            let dropped = engine::drop_all(&connection).await?;
            render.dropped(&connection, &dropped);
        }
        Command::Snapshot(a) => generate::snapshot(ctx, a).await?,
        Command::GenerateChangelog(a) => generate::generate_changelog(ctx, a).await?,
        Command::Diff(a) => generate::diff(ctx, a, cli.global.output).await?,
        Command::DiffChangelog(a) => generate::diff_changelog(ctx, a).await?,
        Command::Checks(c) => checks::run(c, ctx, render, cli.global.output).await?,
    }
    Ok(())
}

async fn update(ctx: &Session, render: &Render, goal: Goal, name: &str) -> Result<()> {
    let connection = connect(ctx).await?;
    let changelog = changelog(ctx, Some(&connection)).await?;
    // After the changelog is read: bad input's error stands alone, as Liquibase's does.
    render.platform(&connection.platform);
    checks::gate(ctx, &connection, changelog, render).await?;
    let report = engine::update(&connection, changelog, &ctx.settings, &goal, render).await?;
    render.update(&report, name, &connection.platform);
    Ok(())
}

async fn sync(ctx: &Session, render: &Render, goal: Goal) -> Result<()> {
    let connection = connect(ctx).await?;
    let changelog = changelog(ctx, Some(&connection)).await?;
    let report =
        engine::changelog_sync(&connection, changelog, &ctx.settings, &goal, render).await?;
    render.synced(&report);
    Ok(())
}

async fn rollback(ctx: &Session, render: &Render, target: RollbackTarget, sql: bool) -> Result<()> {
    let connection = connect(ctx).await?;
    let changelog = changelog(ctx, Some(&connection)).await?;
    if sql {
        let commands = engine::rollback_sql(&connection, changelog, &ctx.settings, &target).await?;
        render.commands(&commands);
    } else {
        let report =
            engine::rollback(&connection, changelog, &ctx.settings, &target, render).await?;
        render.rolled_back(&report);
    }
    Ok(())
}

fn settings(config: &Config) -> Result<Settings> {
    let mut tracking = TrackingOptions::default();
    if let Some(name) = config.get("database-changelog-table-name") {
        tracking.changelog_collection = name.to_owned();
    }
    if let Some(name) = config.get("database-changelog-lock-table-name") {
        tracking.lock_collection = name.to_owned();
    }
    if let Some(v) = config.flag("mongodb-adjust-tracking-tables-on-startup")? {
        tracking.adjust = v;
    }
    if let Some(v) = config.flag("mongodb-supports-validator")? {
        tracking.supports_validator = Some(v);
    }
    let mut lock = LockOptions::default();
    if let Some(minutes) = config.number("changelog-lock-wait-time-in-minutes")? {
        lock.wait = duration(minutes * 60.0, "changelog-lock-wait-time-in-minutes")?;
    }
    if let Some(seconds) = config.number("changelog-lock-poll-rate")? {
        lock.poll = duration(seconds, "changelog-lock-poll-rate")?;
    }
    lock.host_description = config.get("host-description").map(str::to_owned);
    lock.lease = config
        .number("lock-lease-seconds")?
        .map(|s| duration(s, "lock-lease-seconds"))
        .transpose()?;
    let filter = Filter {
        contexts: Contexts::parse(config.get("context-filter")),
        // A label expression that does not parse fails like an invalid changelog (exit 1), as
        // Liquibase reports it when it filters, not as a usage error.
        labels: LabelExpression::parse(config.get("label-filter"))
            .map_err(|e| anyhow!("invalid `--label-filter`: {e}"))?,
        database_short_name: "mongodb".to_owned(),
    };
    let liquibase_version = config
        .get("liquibase-version")
        .unwrap_or(engine::LIQUIBASE_VERSION)
        .to_owned();
    let transactions = config.flag("mongodb-transactions")?;
    let mongosh = mongosh_options(config)?;
    let platform = match config.get("platform") {
        None => None,
        Some(id) if id.trim().eq_ignore_ascii_case("auto") => None,
        Some(id) => Some(PlatformKind::from_id(id).ok_or_else(|| {
            usage(format!(
                "`--platform` must be mongodb, documentdb, cosmosdb, ferretdb or auto, not `{id}`"
            ))
        })?),
    };
    Ok(Settings {
        tracking,
        lock,
        filter,
        liquibase_version,
        transactions,
        mongosh,
        platform,
    })
}

/// The mongosh settings: our flags and Harness's `liquibase.mongodb.mongosh*` keys (the flags'
/// canonical names), then Liquibase Pro's `liquibase.mongosh.*` keys.
fn mongosh_options(config: &Config) -> Result<MongoshOptions> {
    let get = |ours: &str, pro: &str| config.get(ours).or_else(|| config.get(pro));
    let mut options = MongoshOptions::from_settings(&MongoshSettings {
        path: get("mongodb-mongosh-path", "mongosh-path"),
        native: config.get("mongodb-mongosh-native"),
        timeout_seconds: get("mongodb-mongosh-timeout-seconds", "mongosh-timeout"),
        extra_args: get("mongodb-mongosh-extra-args", "mongosh-args"),
        log_file: get("mongodb-mongosh-log-file", "mongosh-log-file"),
        names: SettingNames::Cli,
    })
    .map_err(|e| usage(e.to_string()))?;
    // mongosh gets the URL with its credentials through a private file, never through argv;
    // a bad URL is reported when the connection opens.
    options.url = config.get("url").and_then(|url| {
        executor::effective_url(&ConnectionOptions {
            url: url.to_owned(),
            username: config.get("username").map(str::to_owned),
            password: config.get("password").map(str::to_owned),
            retry_writes: config.flag("mongodb-retry-writes").ok().flatten(),
            ..ConnectionOptions::default()
        })
        .ok()
    });
    Ok(options)
}

fn duration(seconds: f64, key: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| usage(format!("`{key}` must be a non-negative number")))
}

/// Reads the changelog once connected (when connecting at all), so Liquibase's `database.*` built-in properties
/// (`${database.defaultSchemaName}`, `${database.databaseProductVersion}`, …) have the values
/// Liquibase gives them.
/// The changelog, read once and kept for the rest of the process: a command reads one changelog
/// and exits, and freeing 10,000 changesets piece by piece only to exit was a fifth of a no-op
/// `update`'s CPU (`make bench`, P2).
pub(crate) async fn changelog(
    ctx: &Session,
    connection: Option<&Connection>,
) -> Result<&'static ChangeLog> {
    let Some(connection) = connection else {
        // Without a connection (the changelog-scope checks) the `database.*` properties stay
        // unset, as they are in Liquibase's offline commands.
        return read_changelog(ctx, None);
    };
    let database = DatabaseInfo {
        database_name: connection.database.clone(),
        server_version: connection.server_version().await.unwrap_or_default(),
        url: connection.display_url.clone(),
    };
    read_changelog(ctx, Some(&database))
}

/// Reads the changelog with the `database.*` properties of `database`; without one (offline
/// `validate --platform …`) they stay unset, as Liquibase leaves them without a connection.
fn read_changelog(ctx: &Session, database: Option<&DatabaseInfo>) -> Result<&'static ChangeLog> {
    let file = ctx.config.get("changelog-file").ok_or_else(|| {
        usage("the changelog file is not set\nhint: pass `--changelog-file db/changelog.xml`, set `LIQUIBASE_COMMAND_CHANGELOG_FILE`, or add `changelog-file` to liquibase.properties")
    })?;
    let missing = match ctx
        .config
        .get("missing-property-mode")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("PRESERVE") => MissingPropertyMode::Preserve,
        Some("EMPTY") => MissingPropertyMode::Empty,
        Some("ERROR") => MissingPropertyMode::Error,
        Some(other) => {
            return Err(usage(format!(
                "`--missing-property-mode` must be PRESERVE, EMPTY or ERROR, not `{other}`"
            )));
        }
    };
    let mut parameters = ChangeLogParameters::new(ParameterOptions {
        env: ctx.env.clone(),
        cli: ctx.config.parameters.clone(),
        missing,
        escaping: false,
        contexts: ctx.settings.filter.contexts.clone(),
        labels: ctx.settings.filter.labels.clone(),
        database_short_name: "mongodb".to_owned(),
        changelog_table: ctx.settings.tracking.changelog_collection.clone(),
        changelog_lock_table: ctx.settings.tracking.lock_collection.clone(),
    });
    if let Some(database) = database {
        parameters.set_database(database);
    }
    let search_path = match ctx.config.get("search-path") {
        Some(p) => p.split(',').map(|s| s.trim().into()).collect(),
        None => vec![std::env::current_dir().context("cannot read the working directory")?],
    };
    let defaults = ReadOptions::default();
    let options = ReadOptions {
        search_path,
        parameters,
        database_short_name: "mongodb".to_owned(),
        inherit_logical_file_path: ctx
            .config
            .flag("allow-inherit-logical-file-path")?
            .unwrap_or(defaults.inherit_logical_file_path),
        allow_duplicate_identifiers: ctx
            .config
            .flag("allow-duplicated-changeset-identifiers")?
            .unwrap_or(defaults.allow_duplicate_identifiers),
        ..defaults
    };
    Ok(Box::leak(Box::new(read(file, &options)?)))
}

/// The connection options of `url` with the settings' credentials and switches: `--url`'s, and
/// each URL of a fleet's.
pub(crate) fn connection_options(ctx: &Session, url: &str) -> Result<ConnectionOptions> {
    Ok(ConnectionOptions {
        url: url.to_owned(),
        username: ctx.config.get("username").map(str::to_owned),
        password: ctx.config.get("password").map(str::to_owned),
        retry_writes: ctx.config.flag("mongodb-retry-writes")?,
        app_name: None,
        server_selection_timeout: ctx
            .config
            .number("server-selection-timeout-seconds")?
            .map(|s| duration(s, "server-selection-timeout-seconds"))
            .transpose()?,
        platform: ctx.settings.platform,
    })
}

async fn connect(ctx: &Session) -> Result<Connection> {
    let url = ctx.config.get("url").ok_or_else(|| {
        usage("the URL is not set\nhint: pass `--url mongodb://host:27017/mydb`, set `LIQUIBASE_COMMAND_URL`, or add `url` to liquibase.properties")
    })?;
    if url.trim_start().starts_with("offline:") {
        // An offline URL is a snapshot file: the commands that only read a schema take it
        // (generate.rs); every other command needs the live database.
        return Err(usage(format!(
            "`{url}` is an offline snapshot, not a database: only `diff`, `diff-changelog` and `generate-changelog` read one\nhint: pass `--url mongodb://host:27017/mydb`"
        )));
    }
    ctx.open(&connection_options(ctx, url)?).await
}

fn count(value: Option<usize>) -> Result<usize> {
    value.ok_or_else(|| usage("`--count` is required"))
}

fn tag(value: Option<String>) -> Result<String> {
    value
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| usage("`--tag` is required"))
}

pub(crate) fn flag(value: Option<&str>, default: bool) -> Result<bool> {
    match value {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(usage(format!("expected `true` or `false`, not `{v}`"))),
    }
}

fn selector(sel: args::ChangeSetSelector) -> Result<ChangeSetId> {
    if let Some(identifier) = sel.changeset_identifier.or(sel.value) {
        let parts: Vec<&str> = identifier.split("::").collect();
        let [path, id, author] = parts[..] else {
            return Err(usage(format!(
                "`--changeset-identifier` must be `path::id::author`, not `{identifier}`"
            )));
        };
        return Ok(ChangeSetId {
            path: path.to_owned(),
            id: id.to_owned(),
            author: author.to_owned(),
        });
    }
    match (sel.changeset_path, sel.changeset_id, sel.changeset_author) {
        (Some(path), Some(id), Some(author)) => Ok(ChangeSetId { path, id, author }),
        _ => Err(usage(
            "name the changeset with `--changeset-identifier path::id::author` (or all of `--changeset-path`, `--changeset-id`, `--changeset-author`)",
        )),
    }
}

/// Dates for `rollback-to-date`, as Liquibase parses them: `yyyy-MM-dd'T'HH:mm:ss` or
/// `yyyy-MM-dd`, in UTC.
fn date(value: Option<String>) -> Result<DateTime> {
    let text = value.ok_or_else(|| usage("`--date` is required"))?;
    let t = text.trim();
    let full = if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else if t.ends_with('Z') || t.contains('+') {
        t.to_owned()
    } else {
        format!("{t}Z")
    };
    DateTime::parse_rfc3339_str(&full).map_err(|_| {
        usage(format!(
            "`{text}` is not a date\nhint: use `yyyy-MM-dd'T'HH:mm:ss` or `yyyy-MM-dd` (UTC)"
        ))
    })
}
