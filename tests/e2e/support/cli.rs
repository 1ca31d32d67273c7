//! Running the built `lbmongo` binary in a project directory of its own.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::LazyLock;

use mongodb::Database;
use mongodb::bson::{Document, doc};

/// The `lbmongo` binary, built once per test run so the tests never run a stale one.
pub(crate) fn binary() -> &'static Path {
    static BINARY: LazyLock<PathBuf> = LazyLock::new(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
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
    fn of(output: Output) -> Run {
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

    /// The history rows, ordered by `orderExecuted`, as raw documents.
    pub(crate) async fn history(&self) -> Vec<Document> {
        self.find("DATABASECHANGELOG", doc! { "orderExecuted": 1 })
            .await
    }

    /// All documents of a collection in a given order.
    pub(crate) async fn find(&self, collection: &str, sort: Document) -> Vec<Document> {
        use futures_util::TryStreamExt;
        self.db
            .collection::<Document>(collection)
            .find(doc! {})
            .sort(sort)
            .await
            .expect("find")
            .try_collect()
            .await
            .expect("read the cursor")
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
