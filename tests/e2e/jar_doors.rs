//! The jar through Liquibase's other doors and the edges a new user meets (issue 18, items 5, 6
//! and 9): its settings as Liquibase sees them, what `validate` and `status` leave on an empty
//! database, the Maven plugin and the Java API running the README's examples (`examples/maven`,
//! `examples/java-api`), the native loader on a `noexec` temporary directory and with a library
//! of another version on `java.library.path`, and the lock wait as Liquibase logs it.
//!
//! Maven runs offline (`mvn -o`): `scripts/install-liquibase.sh` resolves the pinned plugins into
//! Maven's local repository once, and the built jar is installed there as the README says.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;
use std::time::Duration;

use mongodb::Database;
use mongodb::bson::{DateTime, Document, doc};

use crate::ground_truth::{collection_specs, index_specs, typed_fields};
use crate::jar::{
    LIQUIBASE, XML, assert_same_history, db, ext_dir, find, history, jar, repo_root, run_of, setup,
    up_to_date,
};
use crate::support::block_on;
use crate::support::cli::Run;

/// The cores the jar supports, as `scripts/liquibase.sh --core` names them.
const CORES: [&str; 3] = ["4.24.0", "npm-4.28.1", "4.33.0"];

/// `scripts/liquibase.sh --core <core> --ext <ext> <args>` in `dir`, with `env` set. `ext` is
/// `official` or a folder of jars.
fn liquibase_command(
    dir: &Path,
    core: &str,
    ext: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Command {
    setup("scripts/install-liquibase.sh", &LIQUIBASE);
    let mut command = Command::new("bash");
    command
        .arg(repo_root().join("scripts/liquibase.sh"))
        .args(["--core", core, "--ext", ext])
        .args(args)
        .current_dir(dir)
        .env("LIQUIBASE_ANALYTICS_ENABLED", "false")
        // cargo test puts target/*/deps on LD_LIBRARY_PATH, which the JVM searches (as
        // java.library.path) before the jar: drop it so the jar's own library is tested.
        .env_remove("LD_LIBRARY_PATH")
        .stdin(std::process::Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// [`liquibase_command`] run to its end.
fn liquibase(dir: &Path, core: &str, ext: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_of(
        liquibase_command(dir, core, ext, args, env)
            .output()
            .expect("bash can be started"),
    )
}

fn jar_ext() -> String {
    ext_dir().to_string_lossy().into_owned()
}

/// A project folder holding `changelog.xml` (the jar tests' changelog).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("changelog.xml"), XML).expect("write the changelog");
    dir
}

fn both_streams(run: &Run) -> String {
    format!("{}\n{}", run.stdout, run.stderr)
}

// -- item 5: settings ----------------------------------------------------------------------------

/// Every `liquibase.mongodb.*` setting the jar reads is registered with Liquibase: with its
/// variables set, Liquibase lists none of them as invalid (a made-up one still is, so the
/// warning is there to see), on every supported core, and `--help` lists each as an option.
#[test]
fn jar_settings_are_neither_reported_invalid_nor_missing_from_help() {
    let dir = project();
    let ext = jar_ext();
    let ours = [
        ("LIQUIBASE_MONGODB_MONGOSH_PATH", "/nonexistent/mongosh"),
        ("LIQUIBASE_MONGODB_MONGOSH_NATIVE", "always"),
        ("LIQUIBASE_MONGODB_MONGOSH_TIMEOUT_SECONDS", "60"),
        ("LIQUIBASE_MONGODB_MONGOSH_EXTRA_ARGS", "--quiet"),
        ("LIQUIBASE_MONGODB_MONGOSH_LOG_FILE", "mongosh.log"),
        ("LIQUIBASE_MONGODB_SUPPORTS_VALIDATOR", "true"),
        (
            "LIQUIBASE_MONGODB_ADJUST_TRACKING_TABLES_ON_STARTUP",
            "true",
        ),
        ("LIQUIBASE_MONGODB_RETRY_WRITES", "true"),
    ];
    let mut env = ours.to_vec();
    env.push(("LIQUIBASE_MONGODB_NOT_A_SETTING", "1"));
    let runs: Vec<(&str, Run)> = std::thread::scope(|s| {
        let handles: Vec<_> = CORES
            .iter()
            .map(|core| {
                let (dir, ext, env) = (dir.path(), &ext, &env);
                s.spawn(move || {
                    let (_, url) = db(&format!("doors_settings_{}", core.replace(['.', '-'], "")));
                    let args = [
                        "--changelog-file=changelog.xml",
                        &format!("--url={url}"),
                        "status",
                    ];
                    (*core, liquibase(dir, core, ext, &args, env))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a Liquibase thread"))
            .collect()
    });
    for (core, run) in runs {
        let run = run.ok();
        let out = both_streams(&run);
        assert!(
            out.contains("invalid LIQUIBASE_* environment variables")
                && out.contains("- LIQUIBASE_MONGODB_NOT_A_SETTING"),
            "{core}: no warning about the made-up variable:\n{out}"
        );
        for (name, _) in ours {
            assert!(
                !out.contains(&format!("- {name}")),
                "{core}: Liquibase calls {name} invalid:\n{out}"
            );
        }
    }
    let help = liquibase(dir.path(), "4.33.0", &ext, &["--help"], &[]).ok();
    for option in [
        "--mongodb-adjust-tracking-tables-on-startup",
        "--mongodb-supports-validator",
        "--mongodb-retry-writes",
        "--mongodb-mongosh-path",
        "--mongodb-mongosh-native",
        "--mongodb-mongosh-timeout-seconds",
        "--mongodb-mongosh-extra-args",
        "--mongodb-mongosh-log-file",
    ] {
        assert!(
            help.stdout.contains(option),
            "`--help` does not list {option}:\n{}",
            help.stdout
        );
    }
}

// -- item 6: validate and status on an empty database ---------------------------------------------

/// What a command left in a database, each entry as `typed_fields` lines.
#[derive(Debug, PartialEq)]
struct LeftBehind {
    /// `listCollections`: names and options (validators included).
    collections: Vec<Vec<String>>,
    /// `listIndexes` of every collection.
    indexes: Vec<Vec<String>>,
    /// The lock documents.
    locks: Vec<Vec<String>>,
}

fn left_behind(db: &Database) -> LeftBehind {
    block_on(async {
        let locks = find(db, "DATABASECHANGELOGLOCK", doc! { "_id": 1 })
            .await
            .iter()
            .map(|d| typed_fields(d, &["lockGranted"]))
            .collect();
        LeftBehind {
            collections: collection_specs(db).await,
            indexes: index_specs(db).await,
            locks,
        }
    })
}

/// `validate` and `status` on an empty database through the jar, on every supported core, leave
/// exactly what Liquibase 4.33.0 with the official extension leaves: both tracking collections
/// with their validators and the history's unique index, and no lock document.
#[test]
fn validate_and_status_on_an_empty_database_leave_what_the_official_extension_leaves() {
    let dir = project();
    let ext = jar_ext();
    for command in ["validate", "status"] {
        let (official, theirs) = std::thread::scope(|s| {
            let handles: Vec<_> = CORES
                .iter()
                .map(|core| {
                    let (dir, ext) = (dir.path(), &ext);
                    s.spawn(move || {
                        let (db, url) =
                            db(&format!("doors_{command}_{}", core.replace(['.', '-'], "")));
                        let args = [
                            "--changelog-file=changelog.xml",
                            &format!("--url={url}"),
                            command,
                        ];
                        liquibase(dir, core, ext, &args, &[]).ok();
                        (*core, db)
                    })
                })
                .collect();
            let (off_db, off_url) = db(&format!("doors_{command}_official"));
            let args = [
                "--changelog-file=changelog.xml",
                &format!("--url={off_url}"),
                command,
            ];
            liquibase(dir.path(), "4.33.0", "official", &args, &[]).ok();
            let theirs: Vec<_> = handles
                .into_iter()
                .map(|h| h.join().expect("a Liquibase thread"))
                .collect();
            (off_db, theirs)
        });
        let expected = left_behind(&official);
        let names: Vec<&str> = expected
            .collections
            .iter()
            .filter_map(|spec| spec.iter().find(|l| l.starts_with("name: ")))
            .map(String::as_str)
            .collect();
        assert_eq!(
            names,
            [
                r#"name: string "DATABASECHANGELOG""#,
                r#"name: string "DATABASECHANGELOGLOCK""#
            ],
            "the official extension's `{command}` left other collections"
        );
        assert!(
            expected.locks.is_empty(),
            "the official extension left a lock document"
        );
        for (core, ours) in theirs {
            assert_eq!(
                left_behind(&ours),
                expected,
                "`{command}` through the jar on {core} left something else than the official extension"
            );
        }
    }
}

// -- item 9: the Maven plugin and the Java API ----------------------------------------------------

/// `mvn -o -B <args>` in `dir`.
fn mvn(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new("mvn")
        .args(["-o", "-B"])
        .args(args)
        .current_dir(dir)
        .env_remove("LD_LIBRARY_PATH")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("mvn can be started");
    run_of(output)
}

/// The built jar installed into Maven's local repository as `org.lbmongo:lbmongo-liquibase`,
/// with the README's command, once per test binary.
fn install_jar() {
    static INSTALLED: LazyLock<Result<(), String>> = LazyLock::new(|| {
        let jar = jar();
        let run = mvn(
            &repo_root(),
            &[
                "-q",
                "org.apache.maven.plugins:maven-install-plugin:2.4:install-file",
                &format!("-Dfile={}", jar.display()),
                "-DpomFile=jvm-bridge/pom.xml",
            ],
        );
        if run.code == 0 {
            Ok(())
        } else {
            Err(format!("{}\n{}", run.stdout, run.stderr))
        }
    });
    setup("scripts/install-liquibase.sh", &LIQUIBASE);
    setup("mvn install:install-file", &INSTALLED);
}

/// A copy of an example folder of the repository.
fn example(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_dir(&repo_root().join("examples").join(name), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a folder");
    for entry in std::fs::read_dir(from).expect("read an example folder") {
        let entry = entry.expect("a folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy an example file");
        }
    }
}

/// The example's changelog applied by Liquibase 4.33.0 with the official extension, read from
/// the same search path, so its `fileName` is the example's (`db/changelog.xml`).
fn official_history(example: &Path, test: &str) -> Vec<Document> {
    let (db, url) = db(test);
    let search = example.join("src/main/resources");
    let args = [
        "--changelog-file=db/changelog.xml",
        &format!("--search-path={}", search.display()),
        &format!("--url={url}"),
        "update",
    ];
    liquibase(example, "4.33.0", "official", &args, &[]).ok();
    let rows = history(&db);
    assert_eq!(rows.len(), 3, "{rows:?}");
    rows
}

/// `examples/maven` as the README runs it: the Maven plugin 4.33.0 with the jar as a plugin
/// dependency, no username (the plugin's `null` is treated as none, and the log says so),
/// `update`, `status` and `rollback`; the history equals the official extension's.
#[test]
fn maven_plugin_example_updates_reports_and_rolls_back_with_the_official_history() {
    install_jar();
    let example = example("maven");
    let (db, url) = db("doors_maven");
    let url_arg = format!("-Dliquibase.url={url}");
    let official = std::thread::scope(|s| {
        let official = s.spawn(|| official_history(example.path(), "doors_maven_official"));
        let update = mvn(example.path(), &["liquibase:update", &url_arg]).ok();
        assert!(
            update.stdout.contains(
                "username `null` (how Liquibase's Maven plugin passes an unset username) is treated as no username"
            ),
            "no log line about the `null` username:\n{}",
            update.stdout
        );
        official.join().expect("the official thread")
    });
    assert_same_history(&history(&db), &official, "4.33.0");
    let status = mvn(
        example.path(),
        &["liquibase:status", &url_arg, "-Dliquibase.verbose=true"],
    )
    .ok();
    assert!(status.stdout.contains("is up to date"), "{}", status.stdout);
    mvn(
        example.path(),
        &[
            "-q",
            "liquibase:rollback",
            &url_arg,
            "-Dliquibase.rollbackCount=1",
        ],
    )
    .ok();
    let ids: Vec<String> = history(&db)
        .iter()
        .map(|r| r.get_str("id").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ids, ["1", "2"]);
    assert!(block_on(find(&db, "products", doc! {})).is_empty());
    let status = mvn(example.path(), &["liquibase:status", &url_arg]).ok();
    assert!(
        status.stdout.contains("1 changeset has not been applied"),
        "{}",
        status.stdout
    );
}

/// `examples/java-api` compiled and its classpath resolved by its own pom, once: `java -cp
/// <this>` runs it.
fn java_api_example() -> &'static (tempfile::TempDir, String) {
    static BUILT: LazyLock<(tempfile::TempDir, String)> = LazyLock::new(|| {
        install_jar();
        let dir = example("java-api");
        mvn(
            dir.path(),
            &[
                "-q",
                "compile",
                "dependency:build-classpath",
                "-Dmdep.outputFile=classpath.txt",
            ],
        )
        .ok();
        let deps = std::fs::read_to_string(dir.path().join("classpath.txt"))
            .expect("mvn wrote classpath.txt");
        let classpath = format!(
            "{}:{}",
            dir.path().join("target/classes").display(),
            deps.trim()
        );
        (dir, classpath)
    });
    &BUILT
}

/// `java example.Migrate <urls>` with `jvm` options.
fn migrate(jvm: &[&str], urls: &[&str], env: &[(&str, &str)]) -> Run {
    let (dir, classpath) = java_api_example();
    let mut command = Command::new("java");
    command
        .args(jvm)
        .args(["-cp", classpath, "example.Migrate"])
        .args(urls)
        .current_dir(dir.path())
        .env_remove("LD_LIBRARY_PATH")
        .stdin(std::process::Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    run_of(command.output().expect("java can be started"))
}

/// `examples/java-api`: Liquibase's Java API (`DatabaseFactory` + `CommandScope`) updates two
/// databases from two threads of one JVM, each history equal to the official extension's.
#[test]
fn java_api_example_updates_two_databases_from_two_threads_with_the_official_history() {
    let (dir, _) = java_api_example();
    let (first, first_url) = db("doors_java_a");
    let (second, second_url) = db("doors_java_b");
    let official = std::thread::scope(|s| {
        let official = s.spawn(|| official_history(dir.path(), "doors_java_official"));
        migrate(&[], &[&first_url, &second_url], &[]).ok();
        official.join().expect("the official thread")
    });
    assert_same_history(&history(&first), &official, "4.33.0");
    assert_same_history(&history(&second), &official, "4.33.0");
    assert_eq!(block_on(find(&second, "products", doc! {})).len(), 2);
}

// -- item 9: the native loader ---------------------------------------------------------------------

/// A tmpfs mounted `noexec` (as hardened hosts mount /tmp), unmounted when dropped.
struct NoexecMount {
    dir: tempfile::TempDir,
}

impl NoexecMount {
    fn new() -> NoexecMount {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "noexec,size=64m", "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("mount can be started");
        assert!(
            output.status.success(),
            "cannot mount a noexec tmpfs (the test needs root): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        NoexecMount { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn entries(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.path())
            .expect("read the mount")
            .map(|e| e.expect("an entry").path())
            .collect()
    }
}

impl Drop for NoexecMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// A `java.io.tmpdir` mounted `noexec`: loading fails with an error that names the setting for
/// another directory (in Liquibase's CLI, and on each of two attempts in one JVM, never
/// "Could not initialize class"), no extracted file stays behind, and with `LBMONGO_TMPDIR`
/// set to an executable directory the same command works.
#[test]
fn noexec_temporary_directory_names_the_setting_and_leaves_no_file() {
    let mount = NoexecMount::new();
    let dir = project();
    let (_, url) = db("doors_noexec");
    let tmpdir = format!("-Djava.io.tmpdir={}", mount.path().display());
    let args = [
        "--changelog-file=changelog.xml",
        &format!("--url={url}"),
        "status",
    ];
    let refused = liquibase(
        dir.path(),
        "4.33.0",
        &jar_ext(),
        &args,
        &[("LBMONGO_LIQUIBASE_JAVA_OPTS", &tmpdir)],
    );
    let out = both_streams(&refused);
    assert_ne!(refused.code, 0, "{out}");
    assert!(
        out.contains("set -Dlbmongo.tmpdir (or LBMONGO_TMPDIR)"),
        "{out}"
    );
    assert!(out.contains("noexec"), "{out}");
    assert!(
        mount.entries().is_empty(),
        "left behind: {:?}",
        mount.entries()
    );

    let java = migrate(&[&tmpdir], &[&url, &url], &[]);
    assert_eq!(java.code, 1, "{java:?}");
    assert_eq!(
        java.stderr
            .matches("set -Dlbmongo.tmpdir (or LBMONGO_TMPDIR)")
            .count(),
        2,
        "each thread names the setting:\n{}",
        java.stderr
    );
    assert!(
        !java.stderr.contains("Could not initialize class"),
        "{}",
        java.stderr
    );
    assert!(
        mount.entries().is_empty(),
        "left behind: {:?}",
        mount.entries()
    );

    let executable = tempfile::tempdir().expect("a temporary directory");
    let executable_dir = executable.path().to_string_lossy().into_owned();
    up_to_date_or_pending(
        liquibase(
            dir.path(),
            "4.33.0",
            &jar_ext(),
            &args,
            &[
                ("LBMONGO_LIQUIBASE_JAVA_OPTS", &tmpdir),
                ("LBMONGO_TMPDIR", &executable_dir),
            ],
        )
        .ok(),
    );
    let left: Vec<_> = std::fs::read_dir(executable.path())
        .expect("read the directory")
        .collect();
    assert!(
        left.is_empty(),
        "the loaded library was not deleted: {left:?}"
    );
}

/// `status` on a fresh database lists the changelog's changesets as not applied.
#[track_caller]
fn up_to_date_or_pending(run: Run) {
    assert!(
        run.stdout.contains("have not been applied") || run.stdout.contains("has not been applied"),
        "{}",
        run.stdout
    );
}

/// A `liblbmongo_jvm.so` found first on `java.library.path` whose version is not the jar's is
/// refused, naming both versions; the same library with a jar of its own version is used.
#[test]
fn native_library_of_another_version_on_the_library_path_is_refused_naming_both_versions() {
    let built = jar();
    let libdir = tempfile::tempdir().expect("a temporary directory");
    std::fs::copy(
        repo_root().join("target/release/liblbmongo_jvm.so"),
        libdir.path().join("liblbmongo_jvm.so"),
    )
    .expect("copy the library");
    // A jar that says it is another version: what the library on the path then is to it.
    let other = tempfile::tempdir().expect("a temporary directory");
    let staged = other.path().join("staged");
    std::fs::create_dir_all(staged.join("liquibase/ext/lbmongo")).expect("a staging folder");
    std::fs::write(
        staged.join("liquibase/ext/lbmongo/version.properties"),
        "version=0.0.1-older\n",
    )
    .expect("write version.properties");
    let ext = other.path().join("ext");
    std::fs::create_dir(&ext).expect("an ext folder");
    let other_jar = ext.join("lbmongo-liquibase.jar");
    std::fs::copy(&built, &other_jar).expect("copy the jar");
    let status = Command::new("jar")
        .arg("uf")
        .arg(&other_jar)
        .arg("liquibase/ext/lbmongo/version.properties")
        .current_dir(&staged)
        .status()
        .expect("jar can be started");
    assert!(status.success());

    let dir = project();
    let (_, url) = db("doors_version");
    let args = [
        "--changelog-file=changelog.xml",
        &format!("--url={url}"),
        "status",
    ];
    let path = libdir.path().to_string_lossy().into_owned();
    let env = [("LD_LIBRARY_PATH", path.as_str())];
    let (refused, accepted) = std::thread::scope(|s| {
        let accepted = s.spawn(|| liquibase(dir.path(), "4.33.0", &jar_ext(), &args, &env));
        let refused = liquibase(dir.path(), "4.33.0", &ext.to_string_lossy(), &args, &env);
        (refused, accepted.join().expect("the Liquibase thread"))
    });
    let out = both_streams(&refused);
    assert_ne!(refused.code, 0, "{out}");
    let library = libdir.path().join("liblbmongo_jvm.so");
    assert!(
        out.contains(&format!(
            "the lbmongo native library at {} (found first on java.library.path) is version {}, \
             but this jar (lbmongo-liquibase) is version 0.0.1-older",
            library.display(),
            env!("CARGO_PKG_VERSION")
        )),
        "{out}"
    );
    up_to_date_or_pending(accepted.ok());
}

// -- item 9: the lock wait -------------------------------------------------------------------------

/// While another process holds the lock, Liquibase with the jar logs `Waiting for changelog
/// lock....` at each poll, as Liquibase with the official extension does, and runs once the
/// lock is free.
#[test]
fn lock_wait_is_logged_as_liquibase_logs_it() {
    let dir = project();
    let held = |test: &str| {
        let (db, url) = db(test);
        block_on(db.collection::<Document>("DATABASECHANGELOGLOCK").insert_one(doc! {
            "_id": 1, "locked": true, "lockGranted": DateTime::now(), "lockedBy": "another host",
        }))
        .expect("hold the lock");
        (db, url)
    };
    let (ours, ours_url) = held("doors_wait_jar");
    let (theirs, theirs_url) = held("doors_wait_official");
    let jar = jar_ext();
    let logs = tempfile::tempdir().expect("a temporary directory");
    let mut waiters = Vec::new();
    for (who, ext, url) in [
        ("jar", jar.as_str(), &ours_url),
        ("official", "official", &theirs_url),
    ] {
        let args = [
            "--changelog-file=changelog.xml",
            &format!("--url={url}"),
            "--log-level=INFO",
            "--changelog-lock-poll-rate=1",
            "update",
            "--contexts=dev",
        ];
        let (out, err) = (
            logs.path().join(format!("{who}.out")),
            logs.path().join(format!("{who}.err")),
        );
        let child = liquibase_command(dir.path(), "4.33.0", ext, &args, &[])
            .stdout(std::fs::File::create(&out).expect("a log file"))
            .stderr(std::fs::File::create(&err).expect("a log file"))
            .spawn()
            .expect("bash can be started");
        waiters.push((who, child, out, err));
    }
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    // Free each lock once its waiter has polled twice (or after two minutes, when the
    // assertion below tells what it printed instead).
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    for ((_, _, out, err), db) in waiters.iter().zip([&ours, &theirs]) {
        while std::time::Instant::now() < deadline
            && format!("{}{}", read(out), read(err))
                .matches("Waiting for changelog lock....")
                .count()
                < 2
        {
            std::thread::sleep(Duration::from_millis(200));
        }
        block_on(
            db.collection::<Document>("DATABASECHANGELOGLOCK")
                .update_one(doc! { "_id": 1 }, doc! { "$set": { "locked": false } }),
        )
        .expect("free the lock");
    }
    let runs: Vec<Run> = waiters
        .into_iter()
        .map(|(_, mut child, out, err)| {
            let status = child.wait().expect("wait for Liquibase");
            Run {
                code: status.code().unwrap_or(-1),
                stdout: read(&out),
                stderr: read(&err),
            }
        })
        .collect();
    for (who, run) in ["jar", "official"].iter().zip(runs) {
        let run = run.ok();
        assert!(
            both_streams(&run).contains("Waiting for changelog lock...."),
            "{who} did not log the wait:\n{}",
            run.stderr
        );
    }
    assert_eq!(history(&ours).len(), 5);
    up_to_date(liquibase(
        dir.path(),
        "4.33.0",
        &jar,
        &[
            "--changelog-file=changelog.xml",
            &format!("--url={ours_url}"),
            "status",
        ],
        &[],
    ));
}
