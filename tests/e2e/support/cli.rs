//! Running the built `lbmongo` binary in a project directory of its own.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::LazyLock;

use futures_util::TryStreamExt as _;
use mongodb::Database;
use mongodb::bson::{Document, doc};

use crate::support::repo_root;

/// The `lbmongo` binary, built once per test run so the tests never run a stale one.
pub(crate) fn binary() -> &'static Path {
    static BINARY: LazyLock<PathBuf> = LazyLock::new(|| {
        let root = repo_root();
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "lbmongo"])
            .current_dir(&root)
            .status()
            .expect("cargo can be started to build lbmongo");
        assert!(status.success(), "`cargo build -p lbmongo` failed");
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        target.join("debug").join("lbmongo")
    });
    &BINARY
}

/// A project directory (changelogs, `liquibase.properties`) and the database it migrates.
pub(crate) struct Project {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) url: String,
    pub(crate) db: Database,
}

/// What one run printed, and how it ended.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// What a finished process printed, and its exit code (-1 when a signal ended it).
    pub(crate) fn of(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the run exited 0.
    #[track_caller]
    pub(crate) fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics with both streams unless the run exited 1.
    #[track_caller]
    pub(crate) fn failed(self) -> Run {
        assert_eq!(
            self.code, 1,
            "expected failure\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics with both streams unless the run exited with `code`.
    #[track_caller]
    pub(crate) fn failed_with(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit code {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics with stdout unless it contains `text`.
    #[track_caller]
    pub(crate) fn assert_stdout_contains(&self, text: &str) -> &Run {
        assert_contains("stdout", &self.stdout, text);
        self
    }

    /// Panics with stderr unless it contains `text`.
    #[track_caller]
    pub(crate) fn assert_stderr_contains(&self, text: &str) -> &Run {
        assert_contains("stderr", &self.stderr, text);
        self
    }

    /// Panics with stdout unless one of its lines starts with `prefix`.
    #[track_caller]
    pub(crate) fn assert_stdout_has_line_starting(&self, prefix: &str) -> &Run {
        assert!(
            self.stdout.lines().any(|l| l.starts_with(prefix)),
            "no line starting with `{prefix}` in stdout:\n{}",
            self.stdout
        );
        self
    }
}

impl Project {
    /// A new project on database `db` of the test server.
    pub(crate) fn new(db: Database, url: String) -> Project {
        Project {
            dir: tempfile::tempdir().expect("a temporary directory"),
            url,
            db,
        }
    }

    /// Writes a file into the project.
    pub(crate) fn write(&self, path: &str, text: &str) -> &Project {
        let full = self.dir.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create the project folder");
        }
        std::fs::write(full, text).expect("write a project file");
        self
    }

    /// Runs `lbmongo <args> --url <url>` in the project directory.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs `lbmongo <args> --changelog-file changelog.xml --url <url>`: the changelog each
    /// module's `project()` writes.
    pub(crate) fn run_changelog(&self, args: &[&str]) -> Run {
        self.run_changelog_env(args, &[])
    }

    /// Like [`Project::run_changelog`] with extra environment variables.
    pub(crate) fn run_changelog_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_env(
            &[args, &["--changelog-file", "changelog.xml"]].concat(),
            env,
        )
    }

    /// Like [`Project::run`] with extra environment variables.
    pub(crate) fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = std::process::Command::new(binary());
        command
            .current_dir(self.dir.path())
            .args(args)
            .arg("--url")
            .arg(&self.url);
        // Short lock waits keep failing tests fast.
        command.env_remove("LIQUIBASE_COMMAND_URL");
        for (k, v) in env {
            command.env(k, v);
        }
        command.stdin(std::process::Stdio::null());
        Run::of(command.output().expect("lbmongo can be started"))
    }

    /// Runs `lbmongo <args>` in the project directory with no URL at all (what `validate
    /// --platform …` checks offline).
    pub(crate) fn run_offline(&self, args: &[&str]) -> Run {
        let mut command = std::process::Command::new(binary());
        command
            .current_dir(self.dir.path())
            .args(args)
            .env_remove("LIQUIBASE_COMMAND_URL")
            .stdin(std::process::Stdio::null());
        Run::of(command.output().expect("lbmongo can be started"))
    }

    /// A file of the project, as text.
    pub(crate) fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(path))
            .unwrap_or_else(|e| panic!("read the project file `{path}`: {e}"))
    }

    /// The history rows, ordered by `orderExecuted`, as raw documents.
    pub(crate) async fn history(&self) -> Vec<Document> {
        self.find("DATABASECHANGELOG", doc! { "orderExecuted": 1 })
            .await
    }

    /// The changeset ids of the history, by `orderExecuted`.
    pub(crate) async fn history_ids(&self) -> Vec<String> {
        history_ids(&self.db).await
    }

    /// All documents of a collection in a given order.
    pub(crate) async fn find(&self, collection: &str, sort: Document) -> Vec<Document> {
        find(&self.db, collection, sort).await
    }

    /// The names of the database's collections, sorted.
    pub(crate) async fn collections(&self) -> Vec<String> {
        let mut names = self
            .db
            .list_collection_names()
            .await
            .expect("list collections");
        names.sort();
        names
    }
}

/// Panics with the whole `output` unless it contains `text`; `stream` names it.
#[track_caller]
fn assert_contains(stream: &str, output: &str, text: &str) {
    assert!(output.contains(text), "no `{text}` in {stream}:\n{output}");
}

/// All documents of a collection of `db` in a given order (`doc! {}`: the server's).
pub(crate) async fn find(db: &Database, collection: &str, sort: Document) -> Vec<Document> {
    db.collection::<Document>(collection)
        .find(doc! {})
        .sort(sort)
        .await
        .expect("find")
        .try_collect()
        .await
        .expect("read the cursor")
}

/// History rows as `id:EXECTYPE`, in the order given.
pub(crate) fn exec_types(rows: &[Document]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{}:{}",
                r.get_str("id").unwrap_or("?"),
                r.get_str("execType").unwrap_or("?")
            )
        })
        .collect()
}

/// The changeset ids of `db`'s history (`DATABASECHANGELOG`), by `orderExecuted`.
pub(crate) async fn history_ids(db: &Database) -> Vec<String> {
    find(db, "DATABASECHANGELOG", doc! { "orderExecuted": 1 })
        .await
        .iter()
        .map(|r| r.get_str("id").expect("a history row has an id").to_owned())
        .collect()
}
