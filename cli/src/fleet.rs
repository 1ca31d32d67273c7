//! `--databases` / `--databases-file`: a command over a fleet (issue 14).
//!
//! Glue only, as the rest of the binary: choose the members from the settings, read the
//! changelog once, and hand the engine's fleet runner ([`executor::fleet::run`]) a closure that
//! makes the same engine call a single-database run makes. The summary is rendered by `render`.

use anyhow::{Context, Result, anyhow};
use executor::changelog::ChangeLog;
use executor::fleet::{self, FileEntry, FleetOptions, Member, OnError, Shard};
use executor::{self as engine, Connection, Event, Goal, Listener};
use executor::{RollbackTarget, Settings};

use crate::args::Command;
use crate::render::Render;
use crate::test_hook::PausePoint;
use crate::{Done, Row, Session, connection_options, count, date, tag, usage};

/// Whether the settings ask for a fleet.
pub(crate) fn wanted(ctx: &Session) -> bool {
    ctx.config.get("databases").is_some() || ctx.config.get("databases-file").is_some()
}

/// What runs on each database: one engine command.
enum Job {
    Update(Goal, &'static str),
    Sync(Goal),
    Tag(String),
    Validate,
    Status,
    History,
    Rollback(RollbackTarget),
    ReleaseLocks,
    ListLocks,
}

impl Job {
    fn of(command: Command) -> Result<Job> {
        Ok(match command {
            Command::Update => Job::Update(Goal::All, "update"),
            Command::UpdateCount(c) => {
                Job::Update(Goal::Count(count(c.count.or(c.value))?), "update-count")
            }
            Command::UpdateToTag(t) => {
                Job::Update(Goal::ToTag(tag(t.tag.or(t.value))?), "update-to-tag")
            }
            Command::ChangelogSync => Job::Sync(Goal::All),
            Command::ChangelogSyncToTag(t) => Job::Sync(Goal::ToTag(tag(t.tag.or(t.value))?)),
            Command::MarkNextChangesetRan => Job::Sync(Goal::Count(1)),
            Command::Tag(t) => Job::Tag(tag(t.tag.or(t.value))?),
            Command::Validate => Job::Validate,
            Command::Status(_) => Job::Status,
            Command::History => Job::History,
            Command::Rollback(t) => Job::Rollback(RollbackTarget::Tag(tag(t.tag.or(t.value))?)),
            Command::RollbackCount(c) => {
                Job::Rollback(RollbackTarget::Count(count(c.count.or(c.value))?))
            }
            Command::RollbackToDate(d) => {
                Job::Rollback(RollbackTarget::Date(date(d.date.or(d.value))?))
            }
            Command::ReleaseLocks => Job::ReleaseLocks,
            Command::ListLocks => Job::ListLocks,
            other => {
                return Err(usage(format!(
                    "`{}` does not run over a fleet\nhint: drop `--databases`/`--databases-file`, or loop over the databases",
                    command_name(&other)
                )));
            }
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Job::Update(_, name) => name,
            Job::Sync(_) => "changelog-sync",
            Job::Tag(_) => "tag",
            Job::Validate => "validate",
            Job::Status => "status",
            Job::History => "history",
            Job::Rollback(_) => "rollback",
            Job::ReleaseLocks => "release-locks",
            Job::ListLocks => "list-locks",
        }
    }

    fn needs_changelog(&self) -> bool {
        matches!(
            self,
            Job::Update(..) | Job::Sync(_) | Job::Validate | Job::Status | Job::Rollback(_)
        )
    }

    /// The engine call a single-database run of this command makes.
    async fn run(
        &self,
        connection: &Connection,
        changelog: Option<&ChangeLog>,
        settings: &Settings,
        listener: &dyn Listener,
    ) -> executor::Result<Done> {
        let changelog = || changelog.expect("read for every job that needs it");
        Ok(match self {
            Job::Update(goal, _) => {
                let report =
                    engine::update(connection, changelog(), settings, goal, listener).await?;
                Done::changesets(report.recorded.len())
            }
            Job::Sync(goal) => {
                let report =
                    engine::changelog_sync(connection, changelog(), settings, goal, listener)
                        .await?;
                Done::changesets(report.recorded.len())
            }
            Job::Tag(tag) => {
                engine::tag(connection, settings, tag, listener).await?;
                Done::default()
            }
            Job::Validate => {
                let ran = engine::read_history(connection, settings).await?;
                let platform = engine::judged_platform(connection, settings);
                engine::validate_on(changelog(), &ran, settings, &platform, &connection.database)?;
                Done::default()
            }
            Job::Status => {
                let ran = engine::read_history(connection, settings).await?;
                let plan = engine::validate(changelog(), &ran, settings)?;
                Done {
                    pending: Some(plan.pending().count()),
                    ..Done::default()
                }
            }
            Job::History => {
                let ran = engine::read_history(connection, settings).await?;
                Done {
                    note: Some(format!("{} applied", ran.len())),
                    ..Done::default()
                }
            }
            Job::Rollback(target) => {
                let report =
                    engine::rollback(connection, changelog(), settings, target, listener).await?;
                Done::changesets(report.rolled_back.len())
            }
            Job::ReleaseLocks => {
                engine::release_locks(connection, &settings.tracking, &settings.lock).await?;
                Done::default()
            }
            Job::ListLocks => {
                let locks = engine::list_locks(connection, &settings.tracking).await?;
                let held: Vec<String> = locks
                    .iter()
                    .filter(|l| l.locked)
                    .map(|l| l.locked_by.clone().unwrap_or_default())
                    .collect();
                Done {
                    note: Some(if held.is_empty() {
                        "unlocked".to_owned()
                    } else {
                        format!("locked by {}", held.join(", "))
                    }),
                    ..Done::default()
                }
            }
        })
    }
}

fn command_name(command: &Command) -> String {
    let debug = format!("{command:?}");
    let variant = debug.split(['(', ' ']).next().unwrap_or_default();
    let mut name = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('-');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

/// The listener of one database: the release binary's test hook, and warnings named with the
/// database (a fleet prints no per-changeset lines).
struct Tenant<'a> {
    database: &'a str,
    pause: &'a PausePoint,
}

impl Listener for Tenant<'_> {
    fn on(&self, event: &Event) {
        if let Event::Warning(message) = event {
            crate::render::warn(&format!("{}: {message}", self.database));
        }
        self.pause.observe(event);
    }
}

/// Runs `command` over the fleet the settings name; fails (exit 1) unless every database
/// succeeded.
pub(crate) async fn run(command: Command, ctx: &Session, render: &Render) -> Result<()> {
    let job = Job::of(command)?;
    let options = options(ctx)?;
    let members = members(ctx).await?;
    // Read and checked once, before any database is touched. Liquibase's `${database.*}`
    // properties (`database.defaultSchemaName`, …) take each database's own values in a
    // single-database run, so the changelog is read for a second database too: when the two
    // differ, the changelog depends on its database and each database reads its own, as a
    // single-database run would.
    let mut per_database = false;
    let changelog = match (job.needs_changelog(), members.first()) {
        (true, Some(first)) => {
            let shared = crate::changelog(ctx, Some(&first.connect().await)).await?;
            if let Some(second) = members.get(1) {
                per_database =
                    *crate::changelog(ctx, Some(&second.connect().await)).await? != *shared;
            }
            Some(shared)
        }
        _ => None,
    };
    let pause = PausePoint::from_env();
    let clusters = members
        .windows(2)
        .any(|w| w[0].cluster.hosts() != w[1].cluster.hosts());
    let progress = render.fleet_start(members.len(), clusters, job.name());
    let done = |row: &Row| render.fleet_done(row, &progress);
    let rows = fleet::run(
        &members,
        &options,
        async |connection: &Connection| {
            let listener = Tenant {
                database: &connection.database,
                pause: &pause,
            };
            let own = if per_database {
                Some(crate::changelog(ctx, Some(connection)).await.map_err(|e| {
                    executor::Error::Config {
                        message: format!("{e:#}"),
                        hint: None,
                    }
                })?)
            } else {
                changelog
            };
            if let (Job::Update(..), Some(changelog)) = (&job, own) {
                crate::checks::fleet_gate(ctx, connection, changelog, &ctx.settings).await?;
            }
            job.run(connection, own, &ctx.settings, &listener).await
        },
        &done,
    )
    .await;
    progress.finish_and_clear();
    render.fleet_summary(&rows, job.name());
    if let Some(file) = ctx.config.get("report-file") {
        let report = crate::render::fleet_json(&rows, job.name());
        std::fs::write(file, format!("{report:#}\n"))
            .with_context(|| format!("cannot write the report file `{file}`"))?;
    }
    let failed = rows
        .iter()
        .filter(|r| r.outcome != fleet::Outcome::Succeeded)
        .count();
    if failed > 0 {
        return Err(anyhow::Error::new(crate::FleetFailed(format!(
            "{failed} of {} databases did not succeed (see the summary)",
            rows.len()
        ))));
    }
    Ok(())
}

fn options(ctx: &Session) -> Result<FleetOptions> {
    let mut options = FleetOptions::default();
    if let Some(n) = ctx.config.get("parallel") {
        options.parallel = positive(n, "parallel")?;
    }
    if let Some(text) = ctx.config.get("on-error") {
        options.on_error = OnError::parse(text).map_err(|e| usage(e.to_string()))?;
    }
    if let Some(n) = ctx.config.get("canary") {
        options.canary = n
            .trim()
            .parse()
            .map_err(|_| usage(format!("`--canary` must be a count, not `{n}`")))?;
    }
    Ok(options)
}

fn positive(text: &str, key: &str) -> Result<usize> {
    match text.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(usage(format!(
            "`--{key}` must be a whole number of 1 or more, not `{text}`"
        ))),
    }
}

/// The fleet's members, in order, after `--shard`: one client per cluster, shared by its
/// databases.
async fn members(ctx: &Session) -> Result<Vec<Member>> {
    let shard = ctx
        .config
        .get("shard")
        .map(|s| Shard::parse(s).map_err(|e| usage(e.to_string())))
        .transpose()?;
    let url = ctx.config.get("url");
    let need_url = || {
        url.ok_or_else(|| {
            usage("the URL is not set\nhint: a fleet of database names needs `--url mongodb://host:27017/` for their cluster")
        })
    };
    // Clusters opened so far, by the URL without its database (credentials included: two
    // users on one cluster are two clients).
    let mut clusters: Vec<(String, Connection)> = Vec::new();
    let mut wanted: Vec<(String, String)> = Vec::new(); // (cluster key, database)
    if let Some(pattern) = ctx.config.get("databases") {
        let url = need_url()?;
        let key = cluster_key(url);
        let cluster = ctx.open_cluster(&connection_options(ctx, url)?).await?;
        for name in fleet::matching_databases(&cluster, pattern).await? {
            wanted.push((key.clone(), name));
        }
        if wanted.is_empty() {
            return Err(anyhow!(
                "no database of {} matches `{pattern}`",
                cluster.hosts()
            ));
        }
        clusters.push((key, cluster));
    }
    if let Some(file) = ctx.config.get("databases-file") {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the databases file `{file}`"))?;
        for entry in fleet::read_databases_file(&text, file)? {
            let (url, name) = match entry {
                FileEntry::Name(name) => (need_url()?.to_owned(), name),
                FileEntry::Url(url) => {
                    let name = executor::fleet::database_of(&url)?;
                    (url, name)
                }
            };
            let key = cluster_key(&url);
            if !clusters.iter().any(|(k, _)| *k == key) {
                let cluster = ctx.open_cluster(&connection_options(ctx, &url)?).await?;
                clusters.push((key.clone(), cluster));
            }
            wanted.push((key, name));
        }
        if wanted.is_empty() {
            return Err(anyhow!("the databases file `{file}` names no database"));
        }
    }
    let mut members = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (key, name) in wanted {
        if shard.is_some_and(|s| !s.contains(&name)) || !seen.insert((key.clone(), name.clone())) {
            continue;
        }
        let cluster = &clusters
            .iter()
            .find(|(k, _)| *k == key)
            .expect("every key was opened")
            .1;
        members.push(Member::on(cluster, &name));
    }
    Ok(members)
}

/// A URL without its database path: which client a database runs on.
fn cluster_key(url: &str) -> String {
    let trimmed = url.trim();
    let (scheme, rest) = trimmed.split_once("://").unwrap_or(("", trimmed));
    let hosts_start = rest.rfind('@').map_or(0, |at| at + 1);
    let end = rest[hosts_start..]
        .find(['/', '?'])
        .map_or(rest.len(), |i| hosts_start + i);
    let query = rest[end..].find('?').map_or("", |q| &rest[end + q..]);
    format!("{scheme}://{}{query}", &rest[..end])
}
