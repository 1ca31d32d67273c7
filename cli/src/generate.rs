//! `snapshot`, `generate-changelog`, `diff`, `diff-changelog` and
//! `update-testing-rollback --verify-snapshot`: the handlers (their arguments are in
//! [`crate::args`]).
//!
//! Glue over the `generator` crate: read snapshots (from servers or files), hand them to the
//! generator, write its output. Data goes to stdout (or the named file); warnings and hints go to
//! stderr.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use executor::changelog::{ChangeLog, ChangeSet};
use executor::{self as engine, Event, Listener, UpdateReport};
use executor::{Connection, ConnectionOptions};
use executor::{Format, ReadOptions, read_changelog as read};
use executor::{Goal, RollbackTarget};
use futures_util::TryStreamExt;
use generator::Snapshot;
use generator::baseline::{self, BaselineOptions, ChangeSetPer, Ids};
use generator::diff::{DiffOptions, diff as compare, diff_change_log};
use generator::introspect::{self, IntrospectOptions, ObjectFilter};
use generator::snapshot::offline_snapshot;
use generator::stamp::{self, Stamp};
use generator::write::{Writer, append, render};

use crate::Session;
use crate::args::{
    DiffArgs, DiffChangelogArgs, GenerateArgs, Objects, Output, PerArg, Sides, SnapshotArgs,
    SnapshotFormat, Style,
};

fn introspect_options(ctx: &Session, objects: &Objects) -> Result<IntrospectOptions> {
    Ok(IntrospectOptions {
        roles: objects.include_roles,
        users: objects.include_users,
        sharding: objects.include_sharding,
        filter: ObjectFilter::new(
            objects.include_objects.as_deref(),
            objects.exclude_objects.as_deref(),
        )?,
        skip: vec![
            ctx.settings.tracking.changelog_collection.clone(),
            ctx.settings.tracking.lock_collection.clone(),
        ],
    })
}

/// Refuses the server's own databases, which are no schema to generate.
fn check_database(connection: &Connection) -> Result<()> {
    if matches!(connection.database.as_str(), "admin" | "local" | "config") {
        bail!(
            "`{}` is a system database; the generator reads application databases\nhint: name your database in the URL path: `mongodb://host:27017/mydb`",
            connection.database
        );
    }
    Ok(())
}

fn stderr(line: &str) {
    // A failed write to stderr has nowhere else to go.
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn flag(value: Option<&str>) -> Result<bool> {
    crate::flag(value, false)
}

/// `lbmongo snapshot`.
pub(crate) async fn snapshot(ctx: &Session, args: SnapshotArgs) -> Result<()> {
    let options = introspect_options(ctx, &args.objects)?;
    let connection = crate::connect(ctx).await?;
    check_database(&connection)?;
    let db = connection.client.database(&connection.database);
    let snapshot = generator::introspect::snapshot(&db, &options).await?;
    // Liquibase's default is `txt`; lbmongo's stays the JSON file the comparisons read back.
    let text = match args.snapshot_format {
        None | Some(SnapshotFormat::Json) => snapshot.to_json(),
        Some(SnapshotFormat::Txt) => snapshot.to_text(),
    };
    match &args.output_file {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write `{}`", path.display()))?,
        None => crate::render::Stdout.write_all(text.as_bytes())?,
    }
    Ok(())
}

/// The changelog file (if any) and its format.
fn target_file(ctx: &Session, style: &Style) -> Result<(Option<PathBuf>, Format)> {
    let file = ctx.config.get("changelog-file").map(PathBuf::from);
    let format = match (style.format, &file) {
        (Some(f), _) => Format::from(f),
        (None, Some(path)) => Format::of_path(&path.to_string_lossy()).ok_or_else(|| {
            anyhow!(
                "cannot tell the format of `{}` from its extension\nhint: use .xml, .yaml, .yml, .json or .js, or pass `--format`",
                path.display()
            )
        })?,
        (None, None) => Format::Xml,
    };
    Ok((file, format))
}

fn baseline_options(style: &Style) -> BaselineOptions {
    BaselineOptions {
        author: style.author.clone(),
        per: match style.changeset_per {
            PerArg::Collection => ChangeSetPer::Collection,
            PerArg::Index => ChangeSetPer::Index,
        },
    }
}

/// What Liquibase puts on every changeset it generates: `--context-filter`, `--label-filter`,
/// `--generate-changeset-created-values` and `--generated-changeset-ids-contains-description`
/// (their shapes are in [`generator::stamp`]).
fn stamp(ctx: &Session) -> Result<Stamp> {
    let on = |key: &str| -> Result<bool> { Ok(ctx.config.flag(key)?.unwrap_or(false)) };
    Ok(Stamp {
        context: ctx.config.get("context-filter").map(str::to_owned),
        labels: ctx.config.get("label-filter").map(str::to_owned),
        created: on("generate-changeset-created-values")?.then(stamp::created_now),
        id_root: on("generated-changeset-ids-contains-description")?.then(stamp::id_root_now),
    })
}

/// `lbmongo generate-changelog`: streams changesets out collection by collection.
pub(crate) async fn generate_changelog(ctx: &Session, args: GenerateArgs) -> Result<()> {
    let options = introspect_options(ctx, &args.objects)?;
    let (file, format) = target_file(ctx, &args.style)?;
    if let Some(path) = &file
        && path.exists()
        && !flag(args.overwrite_output_file.as_deref())?
    {
        bail!(
            "the changelog `{}` already exists\nhint: pass `--overwrite-output-file` to replace it, or use `diff-changelog` to add to it",
            path.display()
        );
    }
    let stamp = stamp(ctx)?;
    let style = baseline_options(&args.style);
    if let Some(source) = ctx
        .config
        .get("url")
        .map(|url| offline(url, "--url"))
        .transpose()?
        .flatten()
    {
        return generate_offline(ctx, &source, &args, style, stamp, file, format).await;
    }
    let connection = crate::connect(ctx).await?;
    check_database(&connection)?;

    // Written to a sibling first, so a failure never leaves half a changelog behind.
    let partial = file.as_ref().map(|p| partial_path(p));
    let out: Box<dyn Write> = match &partial {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot write `{}`", p.display()))?,
        )),
        None => Box::new(BufWriter::new(crate::render::Stdout)),
    };
    let written = write_baseline(
        &connection,
        &options,
        &style,
        &stamp,
        args.include_data,
        format,
        out,
    )
    .await;
    let users = match (written, &partial) {
        (Ok(users), Some(p)) => {
            let path = file.as_ref().expect("a partial file has a target");
            std::fs::rename(p, path)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            users
        }
        (Ok(users), None) => users,
        (Err(e), Some(p)) => {
            let _ = std::fs::remove_file(p);
            return Err(e);
        }
        (Err(e), None) => return Err(e),
    };
    if let Some(path) = &file {
        check_readable(ctx, path)?;
        stderr(&format!(
            "Generated changelog `{}` from {}",
            path.display(),
            connection.display_url
        ));
        // The database the baseline came from already has its schema: mark it as applied.
        stderr(&format!(
            "hint: mark it as applied on that database with: lbmongo changelog-sync {} --url {}",
            sync_arguments(path),
            shell_word(&connection.display_url)
        ));
    }
    for user in users {
        stderr(&format!(
            "hint: user `{user}` needs its password when the changelog runs: -D{}=...",
            baseline::password_property(&user)
        ));
    }
    Ok(())
}

/// `generate-changelog --url offline:mongodb?snapshot=FILE`: the changelog that recreates the
/// snapshot's schema (what `diff-changelog` writes against an empty database, which is how
/// Liquibase generates one from an offline snapshot). A snapshot holds no documents, so
/// `--include-data` is refused.
async fn generate_offline(
    ctx: &Session,
    source: &Source,
    args: &GenerateArgs,
    baseline: BaselineOptions,
    stamp: Stamp,
    file: Option<PathBuf>,
    format: Format,
) -> Result<()> {
    if args.include_data.is_some_and(|n| n > 0) {
        return Err(crate::usage(
            "`--include-data` needs a live database: a snapshot holds no documents\nhint: pass `--url mongodb://host:27017/db`",
        ));
    }
    let snapshot = side(source, &IntrospectOptions::default()).await?;
    let options = DiffOptions {
        baseline,
        include_drops: false,
        stamp,
    };
    let result = diff_change_log(&snapshot, &Snapshot::new(""), &options, &mut Ids::default());
    let text = render(format, &result.change_sets);
    match &file {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            check_readable(ctx, path)?;
            stderr(&format!(
                "Generated changelog `{}` from the snapshot ({} changeset(s))",
                path.display(),
                result.change_sets.len()
            ));
        }
        None => crate::render::Stdout.write_all(text.as_bytes())?,
    }
    Ok(())
}

/// `word` quoted for a POSIX shell when it holds anything but safe characters.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Writes the baseline; returns the names of the users it holds.
async fn write_baseline(
    connection: &Connection,
    options: &IntrospectOptions,
    style: &BaselineOptions,
    stamp: &Stamp,
    include_data: Option<u32>,
    format: Format,
    out: Box<dyn Write>,
) -> Result<Vec<String>> {
    let db = &connection.client.database(&connection.database);
    let mut writer = Writer::start(format, out)?;
    let mut ids = Ids::default();
    let entries = introspect::entries(db, options).await?;
    let mut collections = std::pin::pin!(introspect::collections(db, &entries, &options.filter));
    while let Some(collection) = collections.try_next().await? {
        let data = match include_data {
            Some(n) if n > 0 && !collection.options.contains_key("timeseries") => {
                introspect::documents(db, &collection.name, i64::from(n)).await?
            }
            _ => Vec::new(),
        };
        for cs in baseline::collection_change_sets(&collection, &data, style, &mut ids) {
            writer.write(&stamp.apply(cs, &mut ids))?;
        }
    }
    for view in introspect::views(&entries) {
        let cs = baseline::view_change_set(&view, style, &mut ids);
        writer.write(&stamp.apply(cs, &mut ids))?;
    }
    if options.roles {
        for role in introspect::roles(db, &options.filter).await? {
            let cs = baseline::role_change_set(&role, style, &mut ids);
            writer.write(&stamp.apply(cs, &mut ids))?;
        }
    }
    let mut users = Vec::new();
    if options.users {
        for user in introspect::users(db, &options.filter).await? {
            let cs = baseline::user_change_set(&user, style, &mut ids);
            writer.write(&stamp.apply(cs, &mut ids))?;
            users.push(user.name);
        }
    }
    if options.sharding {
        for key in introspect::shard_keys(db).await? {
            let cs = baseline::shard_change_set(&key, style, &mut ids);
            writer.write(&stamp.apply(cs, &mut ids))?;
        }
    }
    writer.finish()?;
    Ok(users)
}

/// Reads a changelog the generator wrote (or appends to) back. The file itself is found first:
/// under the working directory, or under `/` for an absolute path, which Liquibase's search path
/// (and so `read`) would otherwise look up under each search root and miss. What it includes is
/// then found through `--search-path` as for any command.
fn read_back(ctx: &Session, path: &Path) -> Result<ChangeLog> {
    let first = match path.ancestors().last() {
        Some(root) if path.is_absolute() => root.to_owned(),
        _ => std::env::current_dir().context("cannot read the working directory")?,
    };
    let mut search_path = vec![first];
    if let Some(roots) = ctx.config.get("search-path") {
        search_path.extend(roots.split(',').map(|r| PathBuf::from(r.trim())));
    }
    let options = ReadOptions {
        search_path,
        ..ReadOptions::default()
    };
    Ok(read(&path.to_string_lossy(), &options)?)
}

/// Reads a written changelog back: what we write must load.
fn check_readable(ctx: &Session, path: &Path) -> Result<()> {
    read_back(ctx, path).map(|_| ()).with_context(|| {
        format!(
            "the written changelog `{}` does not read back (please report this)",
            path.display()
        )
    })
}

/// The `changelog-sync` arguments that name `path`. Liquibase finds an absolute path only under
/// a search root that covers it: a path below the working directory is given relative to it,
/// any other absolute path as its directory (the search root) and its file name.
fn sync_arguments(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    match (
        path.is_absolute(),
        path.strip_prefix(&cwd),
        path.parent(),
        path.file_name(),
    ) {
        (false, _, _, _) => format!("--changelog-file {}", shell_word(&path.to_string_lossy())),
        (true, Ok(relative), _, _) => {
            format!(
                "--changelog-file {}",
                shell_word(&relative.to_string_lossy())
            )
        }
        (true, Err(_), Some(dir), Some(name)) => format!(
            "--search-path {} --changelog-file {}",
            shell_word(&dir.to_string_lossy()),
            shell_word(&name.to_string_lossy())
        ),
        (true, Err(_), _, _) => format!(
            "--search-path / --changelog-file {}",
            shell_word(&path.to_string_lossy())
        ),
    }
}

/// Where one side of a comparison comes from.
enum Source {
    /// A snapshot file: `--reference-snapshot`/`--target-snapshot`, or an
    /// `offline:mongodb?snapshot=FILE` URL.
    File(PathBuf),
    /// `offline:mongodb` without a snapshot: Liquibase's empty offline database.
    Empty,
    /// A live database.
    Live(Connection),
}

/// The source an `--url`/`--reference-url` names when it is an `offline:` URL.
fn offline(url: &str, flag: &str) -> Result<Option<Source>> {
    match offline_snapshot(url) {
        None => Ok(None),
        Some(Ok(Some(path))) => Ok(Some(Source::File(path))),
        Some(Ok(None)) => Ok(Some(Source::Empty)),
        Some(Err(message)) => Err(crate::usage(format!(
            "{flag} {message}\nhint: write one with `lbmongo snapshot --snapshot-format json --output-file mySnapshot.json`, then pass `{flag} offline:mongodb?snapshot=mySnapshot.json`"
        ))),
    }
}

async fn side(source: &Source, options: &IntrospectOptions) -> Result<Snapshot> {
    match source {
        Source::File(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the snapshot file `{}`", path.display()))?;
            Snapshot::from_json(&text).map_err(|message| {
                generator::Error::Snapshot {
                    path: path.to_owned(),
                    message,
                }
                .into()
            })
        }
        Source::Empty => Ok(Snapshot::new("")),
        Source::Live(connection) => {
            check_database(connection)?;
            let db = connection.client.database(&connection.database);
            Ok(generator::introspect::snapshot(&db, options).await?)
        }
    }
}

/// Reads the reference and the target. A snapshot file comes from `--reference-snapshot` /
/// `--target-snapshot` or, as in Liquibase, from `--reference-url` / `--url`
/// `offline:mongodb?snapshot=FILE`: one code path for both spellings.
async fn sides(ctx: &Session, sides: &Sides, objects: &Objects) -> Result<(Snapshot, Snapshot)> {
    let mut options = introspect_options(ctx, objects)?;
    let reference = match (&sides.reference_snapshot, &sides.reference_url) {
        (Some(_), Some(_)) => {
            return Err(crate::usage(
                "pass either `--reference-url` or `--reference-snapshot`, not both",
            ));
        }
        (Some(path), None) => Source::File(path.clone()),
        (None, Some(url)) => match offline(url, "--reference-url")? {
            Some(source) => source,
            None => Source::Live(
                ctx.open(&ConnectionOptions {
                    url: url.clone(),
                    username: sides.reference_username.clone(),
                    password: sides.reference_password.clone(),
                    ..ConnectionOptions::default()
                })
                .await?,
            ),
        },
        (None, None) => {
            return Err(crate::usage(
                "the reference is not set\nhint: pass `--reference-url mongodb://host:27017/db`, `--reference-url offline:mongodb?snapshot=snapshot.json` or `--reference-snapshot snapshot.json`",
            ));
        }
    };
    let reference = side(&reference, &options).await?;
    // A snapshot file that holds roles, users or shard keys is compared with those of the target.
    options.roles |= !reference.roles.is_empty();
    options.users |= !reference.users.is_empty();
    options.sharding |= !reference.shards.is_empty();
    let url = ctx.config.get("url");
    let target = match (&sides.target_snapshot, url.map(|u| offline(u, "--url"))) {
        (Some(_), Some(Ok(Some(_)))) => {
            return Err(crate::usage(
                "pass either `--url offline:…` or `--target-snapshot`, not both",
            ));
        }
        (Some(path), _) => Source::File(path.clone()),
        (None, Some(offline)) => match offline? {
            Some(source) => source,
            None => Source::Live(crate::connect(ctx).await?),
        },
        (None, None) => Source::Live(crate::connect(ctx).await?),
    };
    let target = side(&target, &options).await?;
    Ok((reference, target))
}

/// `lbmongo diff`.
pub(crate) async fn diff(ctx: &Session, args: DiffArgs, output: Option<Output>) -> Result<()> {
    let (reference, target) = sides(ctx, &args.sides, &args.objects).await?;
    let report = compare(&reference, &target);
    let text = match output {
        Some(Output::Json) => {
            let mut t = serde_json::to_string_pretty(&report)?;
            t.push('\n');
            t
        }
        _ => report.to_text(),
    };
    crate::render::Stdout.write_all(text.as_bytes())?;
    Ok(())
}

/// `lbmongo diff-changelog`: appends to an existing changelog, else writes a new one.
pub(crate) async fn diff_changelog(ctx: &Session, args: DiffChangelogArgs) -> Result<()> {
    let (file, format) = target_file(ctx, &args.style)?;
    let stamp = stamp(ctx)?;
    let (reference, target) = sides(ctx, &args.sides, &args.objects).await?;
    let existing = match &file {
        Some(path) if path.exists() => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read `{}`", path.display()))?,
        ),
        _ => None,
    };
    // New ids must not clash with the ids already in the file.
    let mut ids = match (&file, &existing) {
        (Some(path), Some(_)) => {
            let changelog = read_back(ctx, path).with_context(|| {
                format!(
                    "cannot read the changelog `{}` to append to it",
                    path.display()
                )
            })?;
            Ids::with_existing(changelog.change_sets.into_iter().map(|cs| cs.id.id))
        }
        _ => Ids::default(),
    };
    let options = DiffOptions {
        baseline: baseline_options(&args.style),
        include_drops: flag(args.include_drops.as_deref())?,
        stamp,
    };
    let result = diff_change_log(&reference, &target, &options, &mut ids);
    for warning in &result.warnings {
        stderr(&format!("WARNING: {warning}"));
    }
    let change_sets: &[ChangeSet] = &result.change_sets;
    match (&file, existing) {
        (Some(path), Some(text)) => {
            if change_sets.is_empty() {
                stderr(&format!(
                    "No differences: `{}` is unchanged",
                    path.display()
                ));
                return Ok(());
            }
            let appended =
                append(&text, format, change_sets).map_err(|message| generator::Error::Append {
                    path: path.clone(),
                    message,
                })?;
            std::fs::write(path, appended)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            check_readable(ctx, path)?;
            stderr(&format!(
                "Appended {} changeset(s) to `{}`",
                change_sets.len(),
                path.display()
            ));
        }
        (Some(path), None) => {
            std::fs::write(path, render(format, change_sets))
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            check_readable(ctx, path)?;
            stderr(&format!(
                "Wrote {} changeset(s) to `{}`",
                change_sets.len(),
                path.display()
            ));
        }
        (None, _) => crate::render::Stdout.write_all(render(format, change_sets).as_bytes())?,
    }
    Ok(())
}

/// `lbmongo update-testing-rollback --verify-snapshot`: the engine's update, rollback, update
/// (`executor::update_testing_rollback`), with a snapshot of the schema taken before the update
/// and after the rollback. When they differ the command fails there, leaving the database as the
/// rollback left it, so what the rollbacks missed can be looked at.
pub(crate) async fn verified_update_testing_rollback(
    ctx: &Session,
    connection: &Connection,
    changelog: &ChangeLog,
    listener: &dyn Listener,
) -> Result<UpdateReport> {
    check_database(connection)?;
    let db = connection.client.database(&connection.database);
    let mut options = IntrospectOptions {
        roles: true,
        users: true,
        ..introspect_options(ctx, &Objects::default())?
    };
    let before = match introspect::snapshot(&db, &options).await {
        Ok(snapshot) => snapshot,
        // Reading users and roles takes the viewUser and viewRole actions, which an account that
        // may migrate does not always have.
        Err(e) => {
            listener.on(&Event::Warning(format!(
                "cannot read the users and roles ({e}): verifying collections, views and indexes only"
            )));
            options.roles = false;
            options.users = false;
            introspect::snapshot(&db, &options).await?
        }
    };
    let settings = &ctx.settings;
    let first = engine::update(connection, changelog, settings, &Goal::All, listener).await?;
    let count = first.recorded.len();
    if count > 0 {
        let target = RollbackTarget::Count(count);
        engine::rollback(connection, changelog, settings, &target, listener).await?;
    }
    let after = introspect::snapshot(&db, &options).await?;
    let mut report = compare(&before, &after);
    if !report.is_empty() {
        report.reference = format!("{} before the update", connection.database);
        report.target = format!("{} after the rollback", connection.database);
        bail!(
            "the rollbacks did not restore the schema: rolling back the {count} changeset(s) just applied left {} difference(s); the database is left as the rollback left it\n{}hint: give each changeset a rollback that undoes all of it; the rollbacks left the differences above in the database: remove them (or recreate the database) before running it again",
            report.differences.len(),
            report.to_text()
        );
    }
    stderr(&format!(
        "Rollback verified: the schema after rolling back {count} changeset(s) equals the schema before the update"
    ));
    Ok(engine::update(connection, changelog, settings, &Goal::All, listener).await?)
}
