//! Running a script through a mongosh process: finding the executable, the private temp files,
//! keeping the credentials out of argv, the environment and the output, the timeout and the
//! log.
//!
//! This is the process side of the Harness extension's `MongoshExecutor`/`MongoshRunner` (spec
//! mongo §11.3) with its known problems fixed:
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

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use super::options::MongoshOptions;
use super::subset::Unsupported;
use crate::changelog::ChangeSetId;
use crate::connection::Connection;
use crate::error::{Error, Result};

/// Lines of mongosh output quoted in an error.
const TAIL_LINES: usize = 20;
/// Most output kept in memory per run; older output is dropped (the log file has it all).
const MAX_OUTPUT: usize = 4 << 20;
/// How long to wait for the output pipe to close after mongosh exited (a grandchild may hold
/// it open).
const DRAIN_GRACE: Duration = Duration::from_secs(5);

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
pub(super) fn mongosh_url(connection: &Connection, options: &MongoshOptions) -> Result<String> {
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
pub(super) fn locate(
    options: &MongoshOptions,
    native_refusal: Option<&Unsupported>,
) -> Result<PathBuf> {
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
    let mut out = crate::redact::mask(text);
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
fn generated_text(script: &str) -> String {
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
}
