//! Running `mongo` / `mongoFile` scripts: natively when the whole script lies inside the shell
//! subset ([`crate::shell`]), else through a mongosh process.
//!
//! This is the Harness extension's `MongoshExecutor`/`MongoshRunner` (spec mongo §11.3) with
//! its known problems fixed:
//!
//! - **Credentials never reach argv or an environment.** Harness passes the full connection
//!   string, password included, on mongosh's command line, where every user of the machine can
//!   read it. We start `mongosh --nodb` and hand it the connection in a script
//!   (`db = connect(<url>)`) written to a file of mode 0600 inside a fresh directory of mode
//!   0700; the script itself goes in a second file. Environment variables of ours whose value
//!   holds the password (e.g. `LIQUIBASE_COMMAND_PASSWORD`) are not passed on.
//! - **Temp files are removed right after the run**, on success, failure, timeout and
//!   cancellation alike (Harness deletes them only when the JVM exits).
//! - **The timeout is the documented one**: 1800 s by default, `None` for no limit (Harness
//!   effectively uses 300 s and then sleeps 10 s before failing).
//! - **Errors name what failed** — the caller adds the changeset — and quote the last lines of
//!   mongosh's output with any password masked; a missing mongosh says how to install it and
//!   how to do without it.
//!
//! As in Harness, each change is one mongosh process, stderr is merged into stdout and the
//! output is appended to an optional log file. The script file holds what Harness's
//! `MongoshGenerator` writes: `// MongoDB JavaScript:`, then the script without one trailing
//! `;`, then `;`.

use std::fmt;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;
use std::time::Duration;

use crate::change::Change;
use crate::changelog::{ChangeSet, ChangeSetId};
use crate::command::Preview;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::shell::{self, Expect, Step, Unsupported};

/// Lines of mongosh output quoted in an error.
const TAIL_LINES: usize = 20;
/// Most output kept in memory per run; older output is dropped (the log file has it all).
const MAX_OUTPUT: usize = 4 << 20;
/// How long to wait for the output pipe to close after mongosh exited (a grandchild may hold
/// it open).
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// `--mongosh-native`: which way `mongo`/`mongoFile` scripts run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NativeMode {
    /// Natively when the whole script is inside the subset, else through mongosh.
    #[default]
    Auto,
    /// Always natively; a script outside the subset fails before any of it runs.
    Always,
    /// Always through mongosh.
    Never,
}

impl FromStr for NativeMode {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(NativeMode::Auto),
            "always" => Ok(NativeMode::Always),
            "never" => Ok(NativeMode::Never),
            other => Err(format!(
                "`--mongosh-native` must be auto, always or never, not `{other}`"
            )),
        }
    }
}

/// The mongosh settings as a door reads them (text, unset as `None`), to become
/// [`MongoshOptions`] by one rule in both tools: [`MongoshOptions::from_settings`].
#[derive(Debug, Clone, Copy, Default)]
pub struct MongoshSettings<'a> {
    /// `--mongosh-path` / `liquibase.mongodb.mongoshPath`.
    pub path: Option<&'a str>,
    /// `--mongosh-native` / `liquibase.mongodb.mongoshNative`: `auto`, `always` or `never`.
    pub native: Option<&'a str>,
    /// `--mongosh-timeout-seconds` / `liquibase.mongodb.mongoshTimeoutSeconds`; `-1` for none.
    pub timeout_seconds: Option<&'a str>,
    /// `--mongosh-extra-args` / `liquibase.mongodb.mongoshExtraArgs`, split at whitespace.
    pub extra_args: Option<&'a str>,
    /// `--mongosh-log-file` / `liquibase.mongodb.mongoshLogFile`.
    pub log_file: Option<&'a str>,
    /// How the door's users name the settings, for messages.
    pub names: SettingNames,
}

/// The names a door gives the mongosh settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SettingNames {
    /// `lbmongo`'s flags: `--mongosh-native`.
    #[default]
    Cli,
    /// Liquibase's configuration keys: `liquibase.mongodb.mongoshNative`.
    Liquibase,
}

impl SettingNames {
    fn native(self) -> &'static str {
        match self {
            SettingNames::Cli => "--mongosh-native",
            SettingNames::Liquibase => "liquibase.mongodb.mongoshNative",
        }
    }

    fn timeout(self) -> &'static str {
        match self {
            SettingNames::Cli => "--mongosh-timeout-seconds",
            SettingNames::Liquibase => "liquibase.mongodb.mongoshTimeoutSeconds",
        }
    }
}

/// How `mongo`/`mongoFile` scripts run (the `liquibase.mongodb.mongosh*` settings).
#[derive(Clone, PartialEq, Eq)]
pub struct MongoshOptions {
    /// The mongosh executable (`--mongosh-path`, `liquibase.mongodb.mongoshPath`); `None`
    /// searches `PATH`.
    pub path: Option<PathBuf>,
    /// Native execution (`--mongosh-native`, `liquibase.mongodb.mongoshNative`).
    pub native: NativeMode,
    /// How long one mongosh process may run; `None` for no limit (`-1`). Default 1800 s, as
    /// Liquibase Pro documents.
    pub timeout: Option<Duration>,
    /// Arguments before ours (default `--quiet --norc`).
    pub extra_args: Vec<String>,
    /// A file that every run's output is appended to.
    pub log_file: Option<PathBuf>,
    /// The connection URL mongosh connects to, credentials included. `None` uses the
    /// connection's URL, which works only without a password (the connection keeps the
    /// password masked).
    pub url: Option<String>,
}

impl MongoshOptions {
    /// The options the settings give; blank values count as unset. `url` is left `None` for
    /// the door to fill in. `Err` names the setting as the door's users know it.
    pub fn from_settings(settings: &MongoshSettings<'_>) -> Result<MongoshOptions> {
        fn set(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        let names = settings.names;
        let mut options = MongoshOptions {
            path: set(settings.path).map(PathBuf::from),
            log_file: set(settings.log_file).map(PathBuf::from),
            ..MongoshOptions::default()
        };
        if let Some(native) = set(settings.native) {
            options.native = native.parse::<NativeMode>().map_err(|_| {
                setting_error(format!(
                    "`{}` must be auto, always or never, not `{native}`",
                    names.native()
                ))
            })?;
        }
        if let Some(seconds) = set(settings.timeout_seconds) {
            let parsed: f64 = seconds.parse().map_err(|_| {
                setting_error(format!(
                    "`{}` must be a number of seconds or -1, not `{seconds}`",
                    names.timeout()
                ))
            })?;
            options.timeout = if parsed < 0.0 {
                None
            } else {
                Some(Duration::try_from_secs_f64(parsed).map_err(|_| {
                    setting_error(format!(
                        "`{}` is out of range: `{seconds}`",
                        names.timeout()
                    ))
                })?)
            };
        }
        if let Some(args) = set(settings.extra_args) {
            options.extra_args = args.split_whitespace().map(str::to_owned).collect();
        }
        Ok(options)
    }
}

/// What is wrong with running `changes` with the executor `run_with` names, as (message, hint):
/// core's `ChangeSet.getRunWith` + `ExecutorService` know only `jdbc` (the default) and Harness's
/// `mongosh` executors for MongoDB; `mongo`/`mongoFile` need `mongosh`, which runs nothing else
/// (Harness `MongoshExecutor.validate`). The loader checks each changeset with it, the jar each
/// change it is asked to run.
pub fn run_with_problem(run_with: Option<&str>, changes: &[Change]) -> Option<(String, String)> {
    match run_with {
        None | Some("jdbc") => changes
            .iter()
            .find(|c| matches!(c, Change::Mongo(_) | Change::MongoFile(_)))
            .map(|c| {
                (
                    format!("`{}` needs runWith=\"mongosh\"", c.name()),
                    "add runWith=\"mongosh\" to the changeSet".to_owned(),
                )
            }),
        Some("mongosh") => changes
            .iter()
            .find(|c| !matches!(c, Change::Mongo(_) | Change::MongoFile(_) | Change::Empty))
            .map(|c| {
                (
                    format!(
                        "unsupported change type `{}` with runWith=\"mongosh\": such a changeset may only \
                         contain `mongo` or `mongoFile`",
                        c.name()
                    ),
                    "move the other changes to a changeset without runWith".to_owned(),
                )
            }),
        Some(other) => Some((
            format!("runWith `{other}` is not supported"),
            "MongoDB changesets run with `mongosh` or the default (`jdbc`)".to_owned(),
        )),
    }
}

fn setting_error(message: String) -> Error {
    Error::Config {
        message,
        hint: None,
    }
}

impl Default for MongoshOptions {
    fn default() -> Self {
        Self {
            path: None,
            native: NativeMode::Auto,
            timeout: Some(Duration::from_secs(1800)),
            extra_args: vec!["--quiet".to_owned(), "--norc".to_owned()],
            log_file: None,
            url: None,
        }
    }
}

impl fmt::Debug for MongoshOptions {
    // By hand, so that a password in `url` never reaches a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoshOptions")
            .field("path", &self.path)
            .field("native", &self.native)
            .field("timeout", &self.timeout)
            .field("extra_args", &self.extra_args)
            .field("log_file", &self.log_file)
            .field("url", &self.url.as_deref().map(crate::connection::mask))
            .finish()
    }
}

/// The way one script runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// Natively, as these commands.
    Native(Vec<Step>),
    /// Through mongosh; with the reason when native execution was possible in principle
    /// (`auto` and a script outside the subset).
    Mongosh(Option<Unsupported>),
}

/// The script of a `mongo`/`mongoFile` change (`None` for any other change).
pub fn script_of(change: &Change) -> Option<&str> {
    match change {
        Change::Mongo(m) => Some(&m.mongo),
        Change::MongoFile(f) => Some(&f.script),
        _ => None,
    }
}

/// Decides how `script` runs. `always` with a script outside the subset is an error, so
/// nothing of it runs.
pub fn route(script: &str, url_db: &str, native: NativeMode) -> Result<Route> {
    decide(script, url_db, native).map_err(|why| {
        Error::Mongosh(format!(
            "the script is outside the native subset ({why}) and `--mongosh-native` is `always`; nothing of it ran\n\
             hint: rewrite the statement with the `db` helpers of the subset, or allow mongosh with `--mongosh-native auto`"
        ))
    })
}

/// The one rule behind [`route`] and [`preflight`]: the route, or why `always` cannot run it.
fn decide(
    script: &str,
    url_db: &str,
    native: NativeMode,
) -> std::result::Result<Route, Unsupported> {
    match native {
        NativeMode::Never => Ok(Route::Mongosh(None)),
        NativeMode::Auto => Ok(match shell::lower_script(script, url_db) {
            Ok(steps) => Route::Native(steps),
            Err(why) => Route::Mongosh(Some(why)),
        }),
        NativeMode::Always => shell::lower_script(script, url_db).map(Route::Native),
    }
}

/// Checks every `mongo`/`mongoFile` script of `change_sets` before anything runs, so an update
/// never stops halfway for a reason known up front. With `--mongosh-native always` it lists each
/// script outside the subset; with `auto` and `never` it makes sure mongosh can be found when a
/// script needs it (outside the subset, or every script with `never`), naming the changesets.
///
/// `run_change` refuses such a script too, but only when its changeset's turn comes; calling
/// this first (on the pending changesets of an update) keeps the earlier ones from running.
/// Liquibase Pro fails at the changeset's turn; refusing before the first write is lbmongo's
/// "nothing half-run" rule.
pub fn preflight<'c>(
    change_sets: impl IntoIterator<Item = &'c ChangeSet>,
    url_db: &str,
    options: &MongoshOptions,
) -> Result<()> {
    let mut refusals = Vec::new();
    let mut needing = Vec::new();
    // The first script that needs mongosh decides the message's reason; the list names them all.
    let mut first_reason = None;
    for cs in change_sets {
        for script in cs.changes.iter().filter_map(script_of) {
            match decide(script, url_db, options.native) {
                Ok(Route::Native(_)) => {}
                Ok(Route::Mongosh(why)) => {
                    first_reason.get_or_insert(why);
                    needing.push(format!("changeset `{}`", cs.id));
                }
                Err(why) => refusals.push(format!("changeset `{}`: {why}", cs.id)),
            }
        }
    }
    if !refusals.is_empty() {
        return Err(Error::Mongosh(format!(
            "`--mongosh-native` is `always` but {} script{} outside the native subset; nothing ran\n{}\n\
             hint: rewrite them with the `db` helpers of the subset, or allow mongosh with `--mongosh-native auto`",
            refusals.len(),
            if refusals.len() == 1 { " is" } else { "s are" },
            indented(&refusals)
        )));
    }
    let Some(reason) = first_reason else {
        return Ok(());
    };
    match locate(options, reason.as_ref()) {
        Ok(_) => Ok(()),
        Err(Error::Mongosh(why)) => Err(Error::Mongosh(format!(
            "{why}\nnothing ran; {} need{} mongosh:\n{}",
            needing.len(),
            if needing.len() == 1 { "s" } else { "" },
            indented(&needing)
        ))),
        Err(e) => Err(e),
    }
}

fn indented(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs one `mongo`/`mongoFile` change of changeset `id` (other changes do nothing).
pub async fn run_change(
    connection: &Connection,
    options: &MongoshOptions,
    change: &Change,
    id: &ChangeSetId,
) -> Result<()> {
    let Some(script) = script_of(change) else {
        return Ok(());
    };
    match route(script, &connection.database, options.native)? {
        Route::Native(steps) => run_native(connection, &steps).await,
        Route::Mongosh(why) => {
            let url = mongosh_url(connection, options)?;
            let run = Run {
                url: &url,
                script,
                id,
                native_refusal: why.as_ref(),
            };
            run_script(options, &run).await.map(drop)
        }
    }
}

/// What `update-sql` shows for a `mongo`/`mongoFile` change: the lowered commands on the
/// native path, the script on the mongosh path.
pub fn preview(
    change: &Change,
    id: &ChangeSetId,
    url_db: &str,
    native: NativeMode,
) -> Vec<Preview> {
    let Some(script) = script_of(change) else {
        return Vec::new();
    };
    match route(script, url_db, native) {
        Ok(Route::Native(steps)) => steps
            .iter()
            .map(|step| match step.to_command(url_db) {
                Some(command) => Preview::Command(command),
                None => Preview::Script {
                    id: id.clone(),
                    script: step.to_js(url_db),
                },
            })
            .collect(),
        // `always` with a script outside the subset fails when the update runs; the preview
        // still shows what the changeset holds.
        Ok(Route::Mongosh(_)) | Err(_) => vec![Preview::Script {
            id: id.clone(),
            script: script.to_owned(),
        }],
    }
}

/// Runs lowered steps one by one; the first failure stops the script, as an uncaught error
/// stops mongosh.
pub async fn run_native(connection: &Connection, steps: &[Step]) -> Result<()> {
    for step in steps {
        let response = connection
            .client
            .database(&step.database)
            .run_command(step.body.clone())
            .await;
        let name = step.body.keys().next().cloned().unwrap_or_default();
        // The statement's line in front; a server's or connection's error keeps its kind (and
        // so its code, for the changeset's hint).
        let fail = |e: Error| {
            let context = format!("line {}: `{name}` failed", step.line);
            match e {
                Error::Server(_) | Error::Connection(_) => e.within(context),
                other => Error::Mongosh(format!("{context}: {other}")),
            }
        };
        match (response, step.expect) {
            (Ok(r), Expect::Write) => {
                crate::command::check_response(r).map_err(fail)?;
            }
            (Ok(_), Expect::Command | Expect::Drop) => {}
            (Err(e), expect) => match Error::from_driver(&e) {
                // As the driver's DropCollectionOperation: a missing namespace is not an error.
                e if expect == Expect::Drop && e.is_namespace_not_found() => {}
                e => return Err(fail(e)),
            },
        }
    }
    Ok(())
}

/// One mongosh run: what to connect to and what to run.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// The connection URL, credentials included; written only into the 0600 connect file.
    pub url: &'a str,
    /// The script.
    pub script: &'a str,
    /// The changeset, for the temp file name and the log.
    pub id: &'a ChangeSetId,
    /// Why the script could not run natively, for the missing-mongosh message.
    pub native_refusal: Option<&'a Unsupported>,
}

/// What a successful mongosh run printed (stdout and stderr merged, passwords masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The process's output.
    pub text: String,
}

/// Runs `run.script` in one mongosh process.
pub async fn run_script(options: &MongoshOptions, run: &Run<'_>) -> Result<Output> {
    let exe = locate(options, run.native_refusal)?;
    let secrets = secrets(run.url);
    let files = TempFiles::write(run)?;
    let mut command = tokio::process::Command::new(&exe);
    command
        .args(&options.extra_args)
        .arg("--nodb")
        .arg("--file")
        .arg(&files.connect)
        .arg("--file")
        .arg(&files.script)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (key, value) in std::env::vars_os() {
        if holds_secret(&key.to_string_lossy(), &value.to_string_lossy(), &secrets) {
            command.env_remove(key);
        }
    }
    let (mut reader, writer) = std::io::pipe().map_err(|e| io_error("cannot create a pipe", &e))?;
    let stderr = writer
        .try_clone()
        .map_err(|e| io_error("cannot create a pipe", &e))?;
    command.stdout(writer).stderr(stderr);
    let mut child = command.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            missing(
                &format!("`{}` cannot be started", exe.display()),
                run.native_refusal,
            )
        } else {
            io_error(&format!("cannot start `{}`", exe.display()), &e)
        }
    })?;
    // Our copies of the pipe's write end must go, or reading never ends.
    drop(command);
    let drain = tokio::task::spawn_blocking(move || {
        let mut kept = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match reader.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    kept.extend_from_slice(&chunk[..n]);
                    if kept.len() > MAX_OUTPUT {
                        kept.drain(..kept.len() - MAX_OUTPUT / 2);
                    }
                }
            }
        }
        kept
    });
    let status = match options.timeout {
        None => Some(child.wait().await),
        Some(limit) => match tokio::time::timeout(limit, child.wait()).await {
            Ok(status) => Some(status),
            Err(_) => {
                // Killing can only fail if the process is already gone.
                let _ = child.start_kill();
                let _ = child.wait().await;
                None
            }
        },
    };
    let bytes = tokio::time::timeout(DRAIN_GRACE, drain)
        .await
        .ok()
        .and_then(std::result::Result::ok)
        .unwrap_or_default();
    // The files go now, whatever happened (and again, harmlessly, when `files` drops).
    files.remove();
    let text = scrub(&String::from_utf8_lossy(&bytes), &secrets);
    let code = status
        .as_ref()
        .and_then(|s| s.as_ref().ok())
        .and_then(std::process::ExitStatus::code);
    if let Some(log) = &options.log_file {
        append_log(log, run.id, code, &text)?;
    }
    match status {
        None => Err(Error::Mongosh(format!(
            "mongosh did not finish within {} s and was stopped{}\n\
             hint: raise `--mongosh-timeout-seconds` (`liquibase.mongodb.mongoshTimeoutSeconds`), or -1 for no limit",
            options.timeout.map_or(0, |t| t.as_secs()),
            tail(&text)
        ))),
        Some(Err(e)) => Err(io_error("cannot wait for mongosh", &e)),
        Some(Ok(s)) if s.success() => Ok(Output { text }),
        Some(Ok(s)) => Err(Error::Mongosh(format!(
            "mongosh exited with {}{}",
            match s.code() {
                Some(c) => format!("code {c}"),
                None => "a signal".to_owned(),
            },
            tail(&text)
        ))),
    }
}

/// The URL mongosh connects to: the configured one, or the connection's when it holds no
/// password.
fn mongosh_url(connection: &Connection, options: &MongoshOptions) -> Result<String> {
    if let Some(url) = &options.url {
        return Ok(url.clone());
    }
    if connection.user.is_none() {
        return Ok(connection.display_url.clone());
    }
    Err(Error::Config {
        message: "running a script through mongosh needs the connection URL with its credentials, which this caller did not pass".to_owned(),
        hint: Some("set `MongoshOptions::url`".to_owned()),
    })
}

/// Finds the executable: the configured path (which must exist and be executable), else
/// `mongosh` on `PATH`.
pub fn locate(options: &MongoshOptions, native_refusal: Option<&Unsupported>) -> Result<PathBuf> {
    if let Some(path) = &options.path {
        let meta = std::fs::metadata(path).map_err(|_| {
            missing(
                &format!(
                    "the mongosh executable `{}` (`--mongosh-path` / `liquibase.mongodb.mongoshPath`) does not exist",
                    path.display()
                ),
                native_refusal,
            )
        })?;
        if !meta.is_file() || !is_executable(&meta) {
            return Err(missing(
                &format!(
                    "`{}` (`--mongosh-path` / `liquibase.mongodb.mongoshPath`) is not an executable file",
                    path.display()
                ),
                native_refusal,
            ));
        }
        return std::fs::canonicalize(path)
            .map_err(|e| io_error("cannot resolve the mongosh path", &e));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("mongosh"))
        .find(|candidate| {
            std::fs::metadata(candidate).is_ok_and(|m| m.is_file() && is_executable(&m))
        })
        .ok_or_else(|| missing("mongosh was not found on `PATH`", native_refusal))
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    true
}

fn missing(what: &str, native_refusal: Option<&Unsupported>) -> Error {
    let why = match native_refusal {
        Some(u) => format!("; the script needs it because it is outside the native subset ({u})"),
        None => "; `--mongosh-native never` sends every script to it".to_owned(),
    };
    Error::Mongosh(format!(
        "{what}{why}\n\
         hint: install mongosh (`npm install -g mongosh`) or set `--mongosh-path` / `liquibase.mongodb.mongoshPath`; \
         or keep the script inside lbmongo's native subset (plain `db` helper calls with literal arguments) so it runs without mongosh"
    ))
}

fn io_error(what: &str, e: &std::io::Error) -> Error {
    Error::Mongosh(format!("{what}: {e}"))
}

/// The password of `url` as written and percent-decoded: never passed on, masked in output.
fn secrets(url: &str) -> Vec<String> {
    let Some((_, rest)) = url.split_once("://") else {
        return Vec::new();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return Vec::new();
    };
    let Some((_, password)) = userinfo.split_once(':') else {
        return Vec::new();
    };
    // The Java driver decodes `+` as a space (URLDecoder), RFC 3986 (the Rust driver, mongosh)
    // keeps it: mask every reading.
    let mut out = vec![
        password.to_owned(),
        crate::java::url_decode(password),
        crate::java::url_decode(&password.replace('+', "%2B")),
    ];
    out.retain(|s| !s.is_empty());
    out.dedup();
    out
}

/// Whether an environment variable of ours must not reach mongosh: Liquibase's password
/// variables, and any value holding the password — as a URL's userinfo, whole, or (when the
/// password is long enough not to match by chance, e.g. inside `PATH`) anywhere.
fn holds_secret(key: &str, value: &str, secrets: &[String]) -> bool {
    const PASSWORD_VARIABLES: &[&str] = &["LIQUIBASE_COMMAND_PASSWORD", "LIQUIBASE_PASSWORD"];
    if PASSWORD_VARIABLES.contains(&key.to_ascii_uppercase().as_str()) {
        return true;
    }
    secrets.iter().any(|secret| {
        value == secret
            || value.contains(&format!(":{secret}@"))
            || (secret.chars().count() >= 6 && value.contains(secret.as_str()))
    })
}

fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = crate::connection::mask(text);
    for secret in secrets {
        out = out.replace(secret.as_str(), "*****");
    }
    out
}

/// `; last lines of its output:` and the indented lines, or nothing without output.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return " without output".to_owned();
    }
    let from = lines.len().saturating_sub(TAIL_LINES);
    let mut out = String::from("; last lines of its output:");
    for line in &lines[from..] {
        out.push_str("\n  ");
        out.push_str(line);
    }
    out
}

fn append_log(path: &Path, id: &ChangeSetId, code: Option<i32>, text: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            io_error(
                &format!("cannot open the mongosh log file `{}`", path.display()),
                &e,
            )
        })?;
    let code = code.map_or_else(|| "none (stopped)".to_owned(), |c| c.to_string());
    let entry = format!(
        "--- {} changeset {id}: mongosh exit code {code}\n{text}{}",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        if text.ends_with('\n') || text.is_empty() {
            ""
        } else {
            "\n"
        }
    );
    file.write_all(entry.as_bytes()).map_err(|e| {
        io_error(
            &format!("cannot write the mongosh log file `{}`", path.display()),
            &e,
        )
    })
}

/// The connect file and the script file, in a private directory removed on drop.
struct TempFiles {
    dir: Option<tempfile::TempDir>,
    connect: PathBuf,
    script: PathBuf,
}

impl TempFiles {
    fn write(run: &Run<'_>) -> Result<TempFiles> {
        let dir = tempfile::Builder::new()
            .prefix("lbmongo-mongosh-")
            .tempdir()
            .map_err(|e| io_error("cannot create a temporary directory for mongosh", &e))?;
        restrict(dir.path(), 0o700)?;
        let connect = dir.path().join("connect.js");
        // A JSON string is a JavaScript string literal.
        let url = serde_json::to_string(run.url)
            .map_err(|e| Error::Mongosh(format!("cannot write the connection script: {e}")))?;
        write_private(&connect, &format!("db = connect({url});\n"))?;
        let script = dir.path().join(format!("{}.js", file_stem(run.id)));
        write_private(&script, &generated_text(run.script))?;
        Ok(TempFiles {
            dir: Some(dir),
            connect,
            script,
        })
    }

    fn remove(mut self) {
        if let Some(dir) = self.dir.take() {
            // A failure to remove (already gone) changes nothing for the run.
            let _ = dir.close();
        }
    }
}

/// The file text Harness's `MongoshGenerator` and `MongoshRunner` write: a comment line, the
/// trimmed script without one trailing `;`, then `;` and a line break (`\r` removed).
pub fn generated_text(script: &str) -> String {
    let script = script.replace('\r', "");
    let trimmed = script.trim();
    let body = trimmed.strip_suffix(';').unwrap_or(trimmed);
    format!("// MongoDB JavaScript:\n{body};\n")
}

/// As core's `FilenameUtil.sanitizeFileName` on `<id>-<author>`: space `/ : " | * ? < > \`
/// become `_`; kept short.
fn file_stem(id: &ChangeSetId) -> String {
    let raw = format!("liquibase-{}-{}", id.id, id.author);
    raw.chars()
        .map(|c| {
            if matches!(
                c,
                ' ' | '/' | ':' | '"' | '|' | '*' | '?' | '<' | '>' | '\\'
            ) || c.is_control()
            {
                '_'
            } else {
                c
            }
        })
        .take(100)
        .collect()
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| io_error(&format!("cannot create `{}`", path.display()), &e))?;
    restrict(path, 0o600)?;
    file.write_all(text.as_bytes())
        .map_err(|e| io_error(&format!("cannot write `{}`", path.display()), &e))
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| io_error(&format!("cannot restrict `{}`", path.display()), &e))
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> ChangeSetId {
        ChangeSetId {
            path: "db/changelog.xml".into(),
            id: "1: a/b".into(),
            author: "alice".into(),
        }
    }

    #[test]
    fn native_mode_parses_the_three_values() {
        let cases = [
            ("auto", Ok(NativeMode::Auto)),
            ("ALWAYS", Ok(NativeMode::Always)),
            (" never ", Ok(NativeMode::Never)),
            ("sometimes", Err(())),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<NativeMode>().map_err(drop), expected, "{text}");
        }
    }

    #[test]
    fn routes_follow_the_mode_and_the_subset() {
        let inside = "db.a.insertOne({x: 1})";
        let outside = "for (const d of [1, 2]) db.a.insertOne({d})";
        assert!(
            matches!(route(inside, "app", NativeMode::Auto), Ok(Route::Native(s)) if s.len() == 1)
        );
        assert!(matches!(
            route(inside, "app", NativeMode::Never),
            Ok(Route::Mongosh(None))
        ));
        assert!(matches!(
            route(outside, "app", NativeMode::Auto),
            Ok(Route::Mongosh(Some(_)))
        ));
        let err = route(outside, "app", NativeMode::Always).expect_err("always refuses");
        assert!(err.to_string().contains("nothing of it ran"), "{err}");
        assert!(err.to_string().contains("line 1, column 1"), "{err}");
    }

    #[test]
    fn preflight_lists_every_script_outside_the_subset_only_for_always() {
        let log = crate::format::read_str(
            "// liquibase formatted mongodb\n\
             // changeset a:1 runWith:mongosh\n\
             db.a.drop()\n\
             // changeset a:2 runWith:mongosh\n\
             print(1)\n\
             // changeset a:3 runWith:mongosh\n\
             db.a.find()\n",
            "c.js",
            &crate::format::ReadOptions::default(),
        )
        .expect("a formatted changelog");
        let sets = log.change_sets;
        let with = |native, path: Option<&str>| MongoshOptions {
            native,
            path: path.map(PathBuf::from),
            ..MongoshOptions::default()
        };
        let sh = Some("/bin/sh");
        assert!(preflight(&sets, "app", &with(NativeMode::Auto, sh)).is_ok());
        assert!(preflight(&sets, "app", &with(NativeMode::Never, sh)).is_ok());
        assert!(preflight(&sets[..1], "app", &with(NativeMode::Always, None)).is_ok());
        // Without mongosh: `auto` needs it for the two scripts outside the subset, `never` for
        // all three; the first changeset alone is inside the subset and needs nothing.
        let gone = Some("/nonexistent/mongosh");
        assert!(preflight(&sets[..1], "app", &with(NativeMode::Auto, gone)).is_ok());
        let err = preflight(&sets, "app", &with(NativeMode::Auto, gone))
            .expect_err("mongosh is missing")
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
        assert!(err.contains("outside the native subset"), "{err}");
        assert!(
            err.contains(
                "nothing ran; 2 need mongosh:\n  changeset `c.js::2::a`\n  changeset `c.js::3::a`"
            ),
            "{err}"
        );
        let err = preflight(&sets, "app", &with(NativeMode::Never, gone))
            .expect_err("mongosh is missing")
            .to_string();
        assert!(err.contains("nothing ran; 3 need mongosh:"), "{err}");
        let err = preflight(&sets, "app", &with(NativeMode::Always, None))
            .expect_err("two scripts are outside")
            .to_string();
        assert!(
            err.contains("2 scripts are outside the native subset; nothing ran"),
            "{err}"
        );
        assert!(
            err.contains("changeset `c.js::2::a`: line 1, column 1"),
            "{err}"
        );
        assert!(
            err.contains("changeset `c.js::3::a`: line 1, column 5"),
            "{err}"
        );
    }

    #[test]
    fn generated_text_matches_the_harness_generator() {
        let cases = [
            ("db.a.drop();", "// MongoDB JavaScript:\ndb.a.drop();\n"),
            ("  db.a.drop()  ", "// MongoDB JavaScript:\ndb.a.drop();\n"),
            ("db.a.drop();;", "// MongoDB JavaScript:\ndb.a.drop();;\n"),
            ("a;\r\nb;", "// MongoDB JavaScript:\na;\nb;\n"),
        ];
        for (script, expected) in cases {
            assert_eq!(generated_text(script), expected, "{script:?}");
        }
    }

    #[test]
    fn secrets_are_found_and_masked() {
        let cases: [(&str, &[&str]); 4] = [
            ("mongodb://u:p%40ss@h/db", &["p%40ss", "p@ss"]),
            ("mongodb://u:plain@h:1,h2:2/db?x=y", &["plain"]),
            ("mongodb://u@h/db", &[]),
            ("mongodb://h/db", &[]),
        ];
        for (url, expected) in cases {
            assert_eq!(secrets(url), expected, "{url}");
        }
        let s = secrets("mongodb://u:p%40ss@h/db");
        assert_eq!(
            scrub("auth failed for p@ss at mongodb://u:p%40ss@h/db", &s),
            "auth failed for ***** at mongodb://u:*****@h/db"
        );
    }

    #[test]
    fn temp_files_are_private_and_removed() {
        let changeset = id();
        let run = Run {
            url: "mongodb://u:secret@h/db",
            script: "db.a.drop()",
            id: &changeset,
            native_refusal: None,
        };
        let files = TempFiles::write(&run).expect("temp files");
        let dir = files.connect.parent().expect("a directory").to_owned();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| {
                std::fs::metadata(p)
                    .map(|m| m.permissions().mode() & 0o777)
                    .ok()
            };
            assert_eq!(mode(&dir), Some(0o700));
            assert_eq!(mode(&files.connect), Some(0o600));
            assert_eq!(mode(&files.script), Some(0o600));
        }
        assert_eq!(
            std::fs::read_to_string(&files.connect).ok().as_deref(),
            Some("db = connect(\"mongodb://u:secret@h/db\");\n")
        );
        assert_eq!(
            files.script.file_name().and_then(|n| n.to_str()),
            Some("liquibase-1__a_b-alice.js")
        );
        files.remove();
        assert!(!dir.exists());
    }

    #[test]
    fn a_missing_executable_says_how_to_install_or_avoid_mongosh() {
        let options = MongoshOptions {
            path: Some(PathBuf::from("/nonexistent/mongosh")),
            ..MongoshOptions::default()
        };
        let why = Unsupported {
            line: 2,
            column: 1,
            message: "`print` is outside".into(),
        };
        let err = locate(&options, Some(&why))
            .expect_err("missing")
            .to_string();
        assert!(err.contains("`/nonexistent/mongosh`"), "{err}");
        assert!(err.contains("line 2, column 1"), "{err}");
        assert!(err.contains("npm install -g mongosh"), "{err}");
        assert!(err.contains("native subset"), "{err}");
    }

    #[test]
    fn environment_variables_holding_the_password_are_not_passed_on() {
        let long = secrets("mongodb://u:longsecret@h/db");
        let short = secrets("mongodb://u:bin@h/db");
        let cases = [
            ("LIQUIBASE_COMMAND_PASSWORD", "anything", &short, true),
            ("liquibase_password", "anything", &short, true),
            ("MY_URL", "mongodb://u:longsecret@h/db", &long, true),
            ("MY_URL", "mongodb://u:bin@h/db", &short, true),
            ("TOKEN", "bin", &short, true),
            ("NOTE", "the longsecret inside", &long, true),
            ("PATH", "/usr/bin:/bin", &short, false),
            ("HOME", "/root", &long, false),
        ];
        for (key, value, secrets, expected) in cases {
            assert_eq!(holds_secret(key, value, secrets), expected, "{key}={value}");
        }
    }

    #[test]
    fn output_tails_keep_the_last_lines() {
        let text: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        let t = tail(&text);
        assert!(
            t.starts_with("; last lines of its output:\n  line 11\n"),
            "{t}"
        );
        assert!(t.ends_with("line 30"), "{t}");
        assert_eq!(tail("\n \n"), " without output");
    }

    #[test]
    fn debug_output_masks_the_url() {
        let options = MongoshOptions {
            url: Some("mongodb://u:topsecret@h/db".into()),
            ..MongoshOptions::default()
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
    }
}
