//! The runners and the cases: how each tool is started on each workload, the databases each
//! round gets, and the alternation of runners A B C … A B C … over the rounds.
//!
//! Every run of P1 gets a fresh database, verified after the run (history rows and the last
//! collection's documents, so a runner that silently did less is caught) and then dropped, so
//! the server holds the same data at every run. P2 and P3 runs only read: each size gets one
//! database, seeded once without timing, shared by all runners and rounds. Round `r` starts
//! with runner `r mod k`, so no runner always runs first on a freshly warmed server.

use std::future::IntoFuture as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use lbmongo_bench::workload;
use mongodb::Client;
use mongodb::bson::{Document, doc};

use crate::measure::{self, Usage};
use crate::report::{Case, RunnerResult};
use crate::server::Server;

/// The pinned versions this benchmark compares against.
pub(crate) const LIQUIBASE_CORE: &str = "4.33.0";
pub(crate) const MIGRATE_MONGO: &str = "14.0.7";

/// One tool, as the cases run it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runner {
    /// (a) the release `lbmongo` binary.
    Lbmongo,
    /// (b) `bench-limit`: the workload's bare commands.
    Limit,
    /// (c) migrate-mongo with equivalent migration files.
    MigrateMongo,
    /// (d) Liquibase with our extension jar.
    LiquibaseJar,
    /// (e) Liquibase with the official liquibase-mongodb extension.
    LiquibaseOfficial,
    /// The fleet case's (c): a shell loop running the release `lbmongo` once per database, as a
    /// team without fleet support does it.
    LbmongoLoop,
}

impl Runner {
    pub(crate) const ALL: [Runner; 5] = [
        Runner::Lbmongo,
        Runner::Limit,
        Runner::MigrateMongo,
        Runner::LiquibaseJar,
        Runner::LiquibaseOfficial,
    ];

    /// The id used in the results and on the command line.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Runner::Lbmongo => "lbmongo",
            Runner::Limit => "limit",
            Runner::MigrateMongo => "migrate-mongo",
            Runner::LiquibaseJar => "liquibase-jar",
            Runner::LiquibaseOfficial => "liquibase-official",
            Runner::LbmongoLoop => "lbmongo-loop",
        }
    }

    pub(crate) fn parse(id: &str) -> Option<Runner> {
        Runner::ALL
            .into_iter()
            .chain([Runner::LbmongoLoop])
            .find(|r| r.id() == id)
    }

    fn label(self) -> String {
        match self {
            Runner::Lbmongo => "(a) lbmongo".to_owned(),
            Runner::Limit => "(b) limit: raw driver".to_owned(),
            Runner::MigrateMongo => format!("(c) migrate-mongo {MIGRATE_MONGO}"),
            Runner::LiquibaseJar => format!("(d) Liquibase {LIQUIBASE_CORE} + lbmongo jar"),
            Runner::LiquibaseOfficial => {
                format!("(e) Liquibase {LIQUIBASE_CORE} + liquibase-mongodb")
            }
            Runner::LbmongoLoop => "(c) shell loop: lbmongo once per database".to_owned(),
        }
    }
}

/// Where each tool is, or why it cannot run.
#[derive(Debug)]
pub(crate) struct Tools {
    pub(crate) repo: PathBuf,
    pub(crate) lbmongo: Result<PathBuf, String>,
    pub(crate) limit: Result<PathBuf, String>,
    /// migrate-mongo's `bin/migrate-mongo.js`, run with `node`.
    pub(crate) migrate_mongo: Result<PathBuf, String>,
    /// `scripts/liquibase.sh`, when java and the pinned core are installed.
    pub(crate) liquibase: Result<PathBuf, String>,
    /// A directory holding only our jar, for `liquibase.sh --ext`.
    pub(crate) jar_dir: Result<PathBuf, String>,
    /// The official extension's jars are installed.
    pub(crate) official: Result<(), String>,
    /// `lbmongo generate-changelog` exists.
    pub(crate) generate: Result<(), String>,
}

/// A program on `PATH`.
pub(crate) fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

impl Tools {
    /// Finds the tools; `work` receives the jar's directory.
    pub(crate) fn find(
        repo: &Path,
        lbmongo: &Path,
        limit: &Path,
        jar: &Path,
        work: &Path,
    ) -> Tools {
        let file = |path: &Path, hint: &str| {
            if path.is_file() {
                Ok(path.to_owned())
            } else {
                Err(format!("`{}` not found ({hint})", path.display()))
            }
        };
        let lbmongo = file(
            &std::path::absolute(lbmongo).unwrap_or_else(|_| lbmongo.to_owned()),
            "cargo build --release -p lbmongo",
        );
        let migrate_dir = repo.join(".cache/npm/migrate-mongo/node_modules/migrate-mongo");
        let migrate_mongo = match (on_path("node"), package_version(&migrate_dir)) {
            (None, _) => Err("`node` is not on PATH".to_owned()),
            (Some(_), Some(v)) if v == MIGRATE_MONGO => {
                file(&migrate_dir.join("bin/migrate-mongo.js"), "")
            }
            (Some(_), found) => Err(format!(
                "migrate-mongo {MIGRATE_MONGO} is not installed (found {}; run `scripts/install-node-tools.sh migrate-mongo`)",
                found.as_deref().unwrap_or("none")
            )),
        };
        let cache = repo.join(".cache/liquibase");
        let liquibase = if on_path("java").is_none() {
            Err("`java` is not on PATH".to_owned())
        } else if !cache.join(LIQUIBASE_CORE).join("lib").is_dir() {
            Err(format!(
                "Liquibase {LIQUIBASE_CORE} is not installed (run `scripts/install-liquibase.sh`)"
            ))
        } else {
            file(&repo.join("scripts/liquibase.sh"), "")
        };
        let official = if cache.join("official-ext/lib").is_dir() {
            Ok(())
        } else {
            Err("the official liquibase-mongodb is not installed (run `scripts/install-liquibase.sh`)".to_owned())
        };
        let jar_dir = if jar.as_os_str() == "none" {
            Err("excluded with `--jar none` (`make jar` failed)".to_owned())
        } else if jar.is_file() {
            let dir = work.join("lbmongo-jar-ext");
            // A copy: `make jar` may rewrite the original while the benchmark runs.
            std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::copy(jar, dir.join("lbmongo-liquibase.jar")))
                .map(|_| dir)
                .map_err(|e| format!("cannot copy `{}`: {e}", jar.display()))
        } else {
            Err(format!(
                "`{}` is not built (`make jar`)",
                jar.strip_prefix(repo).unwrap_or(jar).display()
            ))
        };
        let generate = match &lbmongo {
            Err(e) => Err(e.clone()),
            Ok(path) => match Command::new(path)
                .args(["generate-changelog", "--help"])
                .output()
            {
                Ok(o) if o.status.success() => Ok(()),
                Ok(_) => {
                    Err("`lbmongo generate-changelog` does not exist yet in this build".to_owned())
                }
                Err(e) => Err(format!("cannot run `{}`: {e}", path.display())),
            },
        };
        Tools {
            repo: repo.to_owned(),
            lbmongo,
            limit: file(limit, "cargo build --release -p lbmongo-bench"),
            migrate_mongo,
            liquibase,
            jar_dir,
            official,
            generate,
        }
    }

    /// Whether `runner` can run at all (independent of the case).
    pub(crate) fn available(&self, runner: Runner) -> Result<(), String> {
        match runner {
            Runner::Lbmongo | Runner::LbmongoLoop => {
                self.lbmongo.as_ref().map(|_| ()).map_err(Clone::clone)
            }
            Runner::Limit => self.limit.as_ref().map(|_| ()).map_err(Clone::clone),
            Runner::MigrateMongo => self
                .migrate_mongo
                .as_ref()
                .map(|_| ())
                .map_err(Clone::clone),
            Runner::LiquibaseJar => self
                .liquibase
                .as_ref()
                .and(self.jar_dir.as_ref())
                .map(|_| ())
                .map_err(Clone::clone),
            Runner::LiquibaseOfficial => self
                .liquibase
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|_| self.official.clone()),
        }
    }

    /// The versions found, for the results.
    pub(crate) fn versions(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Ok(path) = &self.lbmongo {
            let version = first_line(path, &["--version"], false);
            let version = version.strip_prefix("lbmongo ").unwrap_or(&version);
            out.push(("lbmongo".to_owned(), version.to_owned()));
        }
        if self.migrate_mongo.is_ok() {
            out.push(("migrate-mongo".to_owned(), MIGRATE_MONGO.to_owned()));
            out.push((
                "node".to_owned(),
                first_line(Path::new("node"), &["--version"], false),
            ));
        }
        if self.liquibase.is_ok() {
            out.push(("liquibase-core".to_owned(), LIQUIBASE_CORE.to_owned()));
            out.push((
                "java".to_owned(),
                first_line(Path::new("java"), &["-version"], true),
            ));
        }
        if self.official.is_ok() {
            let ext = std::fs::read_dir(self.repo.join(".cache/liquibase/official-ext/lib"))
                .ok()
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .find_map(|n| {
                    n.strip_prefix("liquibase-mongodb-")?
                        .strip_suffix(".jar")
                        .map(str::to_owned)
                });
            out.push((
                "liquibase-mongodb".to_owned(),
                ext.unwrap_or_else(|| "?".to_owned()),
            ));
        }
        out
    }
}

fn package_version(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("version")?.as_str().map(str::to_owned)
}

fn first_line(program: &Path, args: &[&str], stderr: bool) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if stderr { o.stderr } else { o.stdout };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// What a run does.
#[derive(Debug, Clone, Copy)]
enum Job<'a> {
    /// Start-up only: `--version`.
    Start,
    /// P1: apply changesets `0..n`; `dir` holds changelog.xml and migrations/.
    Update { n: usize, dir: &'a Path },
    /// P2: `update` with nothing pending.
    NoOpUpdate { dir: &'a Path },
    /// P2: `status`.
    Status { dir: &'a Path },
    /// P3: generate a changelog into `dir`.
    Generate { dir: &'a Path },
}

/// Runs the cases on one server.
pub(crate) struct Bench<'a> {
    pub(crate) tools: &'a Tools,
    pub(crate) server: &'a Server,
    pub(crate) runtime: &'a tokio::runtime::Runtime,
    pub(crate) client: Client,
    /// Scratch space: changelogs, run logs.
    pub(crate) work: PathBuf,
    pub(crate) timeout: Duration,
    /// A tag for database names, unique to this harness process.
    pub(crate) tag: String,
}

impl Bench<'_> {
    /// Start-up cost: `--version` of lbmongo and of Liquibase with our jar (the JVM start the
    /// P1 target allows Liquibase with our jar).
    pub(crate) fn start_case(&self, rounds: usize) -> Result<Case> {
        let runners = [Runner::Lbmongo, Runner::LiquibaseJar];
        let dir = self.case_dir("start")?;
        let results = self.alternate("start", &runners, rounds, |runner, round| {
            let name = format!("r{round}-{}", runner.id());
            self.measure(runner, Job::Start, "admin", &dir, &name)
        });
        let mut case = case(
            "start",
            "start",
            "Start-up: `--version` (Liquibase: JVM + Liquibase + jar)".to_owned(),
            0,
            Runner::Lbmongo,
            results,
        );
        case.add_ratio("lbmongo", "lbmongo", "wall");
        case.add_ratio("lbmongo", "lbmongo", "cpu");
        case.add_ratio("liquibase-jar", "lbmongo", "wall");
        case.add_ratio("liquibase-jar", "lbmongo", "cpu");
        Ok(case)
    }

    /// P1: apply `n` changesets to a fresh database per run.
    pub(crate) fn p1(&self, n: usize, runners: &[Runner], rounds: usize) -> Result<Case> {
        let id = format!("p1-{n}");
        let dir = self.case_dir(&id)?;
        std::fs::write(
            dir.join(workload::CHANGELOG_FILE),
            workload::changelog_xml(n),
        )?;
        if runners.contains(&Runner::MigrateMongo) {
            let migrations = dir.join("migrations");
            std::fs::create_dir_all(&migrations)?;
            for (name, text) in workload::migrate_mongo_migrations(n) {
                std::fs::write(migrations.join(name), text)?;
            }
        }
        let results = self.alternate(&id, runners, rounds, |runner, round| {
            let db = self.db_name(&format!("p1_{n}_r{round}_{}", runner.id()));
            let name = format!("r{round}-{}", runner.id());
            if runner == Runner::MigrateMongo {
                std::fs::write(
                    dir.join(format!("migrate-mongo-{db}.js")),
                    workload::migrate_mongo_config(&self.server.url_for(&db), &db),
                )?;
            }
            let usage = self.measure(runner, Job::Update { n, dir: &dir }, &db, &dir, &name);
            let verified = usage.and_then(|u| self.verify_p1(runner, &db, n).map(|()| u));
            let dropped = self.drop_db(&db);
            let usage = verified?;
            dropped?;
            Ok(usage)
        });
        let mut case = case(
            &id,
            "P1",
            format!(
                "P1 update throughput: {n} changesets (createCollection with $jsonSchema + unique compound index + insertMany of 10)"
            ),
            n,
            Runner::Limit,
            results,
        );
        for runner in runners {
            case.add_ratio(runner.id(), "limit", "wall");
            case.add_ratio(runner.id(), "limit", "cpu");
        }
        case.add_ratio("lbmongo", "migrate-mongo", "cpu");
        case.add_ratio("lbmongo", "migrate-mongo", "wall");
        case.add_ratio("liquibase-jar", "liquibase-official", "wall");
        case.add_ratio("liquibase-jar", "liquibase-official", "cpu");
        case.add_ratio("liquibase-jar", "lbmongo", "wall");
        Ok(case)
    }

    /// P2: a no-op `update` and a `status` against `n` applied changesets. Returns both cases.
    pub(crate) fn p2(&self, n: usize, runners: &[Runner], rounds: usize) -> Result<[Case; 2]> {
        let id = format!("p2-{n}");
        let dir = self.case_dir(&id)?;
        std::fs::write(
            dir.join(workload::CHANGELOG_FILE),
            workload::changelog_xml(n),
        )?;
        let db = self.db_name(&format!("p2_{n}"));
        self.seed_p2(&db, n, &dir)?;
        let mut cases = Vec::new();
        for (command, title) in [("update", "no-op `update`"), ("status", "`status`")] {
            let case_id = format!("p2-{command}-{n}");
            let results = self.alternate(&case_id, runners, rounds, |runner, round| {
                let job = if command == "update" {
                    Job::NoOpUpdate { dir: &dir }
                } else {
                    Job::Status { dir: &dir }
                };
                let name = format!("{command}-r{round}-{}", runner.id());
                let usage = self.measure(runner, job, &db, &dir, &name)?;
                self.verify_count(&db, workload::HISTORY_COLLECTION, n)?;
                Ok(usage)
            });
            let mut case = case(
                &case_id,
                "P2",
                format!("P2 {title} against {n} applied changesets"),
                n,
                Runner::Lbmongo,
                results,
            );
            for runner in runners {
                case.add_ratio(runner.id(), "lbmongo", "wall");
                case.add_ratio(runner.id(), "lbmongo", "cpu");
            }
            case.add_ratio("liquibase-jar", "liquibase-official", "wall");
            cases.push(case);
        }
        self.drop_db(&db)?;
        let [update, status]: [Case; 2] = cases
            .try_into()
            .map_err(|_| anyhow::anyhow!("two P2 cases"))?;
        Ok([update, status])
    }

    /// P3: `generate-changelog` on `collections` collections with five indexes each and
    /// `views` views, against the limit's `listCollections` + `listIndexes`.
    pub(crate) fn p3(&self, collections: usize, views: usize, rounds: usize) -> Result<Case> {
        let id = format!("p3-{collections}");
        let dir = self.case_dir(&id)?;
        let db = self.db_name(&format!("p3_{collections}"));
        self.seed_p3(&db, collections, views)?;
        let runners = [Runner::Lbmongo, Runner::Limit];
        let results = self.alternate(&id, &runners, rounds, |runner, round| {
            let out = dir.join(format!("r{round}-{}", runner.id()));
            std::fs::create_dir_all(&out)?;
            let name = format!("r{round}-{}", runner.id());
            self.measure(runner, Job::Generate { dir: &out }, &db, &dir, &name)
        });
        self.drop_db(&db)?;
        let mut case = case(
            &id,
            "P3",
            format!(
                "P3 generate-changelog: {collections} collections × {} indexes + {views} views",
                workload::P3_INDEXES_PER_COLLECTION
            ),
            collections,
            Runner::Limit,
            results,
        );
        for runner in runners {
            case.add_ratio(runner.id(), "limit", "wall");
            case.add_ratio(runner.id(), "limit", "cpu");
        }
        Ok(case)
    }

    pub(crate) fn case_dir(&self, id: &str) -> Result<PathBuf> {
        let dir = self.work.join(id);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        Ok(dir)
    }

    pub(crate) fn db_name(&self, what: &str) -> String {
        format!("bench_{}_{what}", self.tag).replace('-', "_")
    }

    /// Runs `rounds` rounds of `runners`, rotating who goes first; a runner that is unavailable
    /// never runs, and one that fails is not run again in this case.
    pub(crate) fn alternate(
        &self,
        case: &str,
        runners: &[Runner],
        rounds: usize,
        mut one: impl FnMut(Runner, usize) -> Result<Usage>,
    ) -> Vec<(Runner, RunnerResult)> {
        let mut results: Vec<(Runner, RunnerResult)> = runners
            .iter()
            .map(|&runner| {
                let available = self.tools.available(runner).and_then(|()| {
                    // P3 needs the generator, which lbmongo may not have yet.
                    if runner == Runner::Lbmongo && case.starts_with("p3") {
                        self.tools.generate.clone()
                    } else {
                        Ok(())
                    }
                });
                (
                    runner,
                    RunnerResult {
                        id: runner.id().to_owned(),
                        label: runner.label(),
                        status: if available.is_ok() {
                            "ok"
                        } else {
                            "unavailable"
                        }
                        .to_owned(),
                        reason: available.err(),
                        runs: Vec::new(),
                        median: None,
                    },
                )
            })
            .collect();
        let k = results.len();
        for round in 0..rounds {
            for offset in 0..k {
                let (runner, result) = &mut results[(round + offset) % k];
                if result.status != "ok" {
                    continue;
                }
                while result.runs.len() < round {
                    result.runs.push(None);
                }
                match one(*runner, round) {
                    Ok(usage) => {
                        progress(&format!(
                            "[{case} round {}/{rounds}] {:<18} {:>8.3} s wall {:>8.3} s CPU {:>7.1} MiB{}",
                            round + 1,
                            runner.id(),
                            usage.wall_s,
                            usage.cpu_s(),
                            crate::report::Run::from(usage).max_rss_mib,
                            usage
                                .server_cpu_s
                                .map_or_else(String::new, |s| format!(" (server {s:.2} s CPU)")),
                        ));
                        result.runs.push(Some(usage.into()));
                    }
                    Err(e) => {
                        progress(&format!(
                            "[{case} round {}/{rounds}] {} FAILED: {e:#}",
                            round + 1,
                            runner.id()
                        ));
                        result.status = "failed".to_owned();
                        result.reason = Some(format!("{e:#}"));
                        result.runs.push(None);
                    }
                }
            }
        }
        for (_, result) in &mut results {
            while result.runs.len() < rounds && !result.runs.is_empty() {
                result.runs.push(None);
            }
            result.summarize();
        }
        results
    }

    /// Builds and measures one run of `runner` doing `job` on database `db`.
    fn measure(
        &self,
        runner: Runner,
        job: Job<'_>,
        db: &str,
        log_dir: &Path,
        name: &str,
    ) -> Result<Usage> {
        let url = self.server.url_for(db);
        let command = self.command(runner, job, &url)?;
        self.measure_command(command, log_dir, name)
    }

    /// Runs `command` as one measured run, with the server CPU it caused.
    pub(crate) fn measure_command(
        &self,
        command: Command,
        log_dir: &Path,
        name: &str,
    ) -> Result<Usage> {
        let before = self.server.cpu_s();
        let usage = measure::run(command, log_dir, name, self.timeout)?;
        let server_cpu_s = before
            .zip(self.server.cpu_s())
            .map(|(before, after)| after - before);
        Ok(Usage {
            server_cpu_s,
            ..usage
        })
    }

    fn command(&self, runner: Runner, job: Job<'_>, url: &str) -> Result<Command> {
        let tools = self.tools;
        let unavailable = |e: &String| anyhow::anyhow!("{e}");
        let mut command = match runner {
            Runner::Lbmongo => {
                let mut c = Command::new(tools.lbmongo.as_ref().map_err(unavailable)?);
                match job {
                    Job::Start => {
                        c.arg("--version");
                    }
                    Job::Update { dir, .. } | Job::NoOpUpdate { dir } => {
                        c.args(["update", "--url", url, "--changelog-file"])
                            .arg(workload::CHANGELOG_FILE)
                            .current_dir(dir);
                    }
                    Job::Status { dir } => {
                        c.args(["status", "--url", url, "--changelog-file"])
                            .arg(workload::CHANGELOG_FILE)
                            .current_dir(dir);
                    }
                    Job::Generate { dir } => {
                        tools.generate.as_ref().map_err(unavailable)?;
                        // A relative path, as users type it: lbmongo reads the file back through
                        // its search path (the working directory).
                        c.args(["generate-changelog", "--url", url, "--changelog-file"])
                            .arg("generated.xml")
                            .current_dir(dir);
                    }
                }
                c
            }
            Runner::Limit => {
                let mut c = Command::new(tools.limit.as_ref().map_err(unavailable)?);
                match job {
                    Job::Update { n, .. } => {
                        c.args(["update", "--url", url, "--count", &n.to_string()]);
                    }
                    Job::Generate { .. } => {
                        c.args(["introspect", "--url", url]);
                    }
                    Job::Start | Job::NoOpUpdate { .. } | Job::Status { .. } => {
                        bail!("the limit has no such job")
                    }
                }
                c
            }
            Runner::MigrateMongo => {
                let script = tools.migrate_mongo.as_ref().map_err(unavailable)?;
                let Job::Update { dir, .. } = job else {
                    bail!("migrate-mongo runs P1 only")
                };
                let db = url
                    .rsplit('/')
                    .next()
                    .and_then(|tail| tail.split('?').next())
                    .unwrap_or_default();
                let mut c = Command::new("node");
                c.arg(script)
                    .args(["up", "-f"])
                    .arg(format!("migrate-mongo-{db}.js"))
                    .current_dir(dir);
                c
            }
            Runner::LbmongoLoop => bail!("the shell loop runs the fleet case only"),
            Runner::LiquibaseJar | Runner::LiquibaseOfficial => {
                let script = tools.liquibase.as_ref().map_err(unavailable)?;
                let mut c = Command::new("bash");
                c.arg(script).args(["--core", LIQUIBASE_CORE, "--ext"]);
                if runner == Runner::LiquibaseJar {
                    c.arg(tools.jar_dir.as_ref().map_err(unavailable)?);
                } else {
                    tools.official.as_ref().map_err(unavailable)?;
                    c.arg("official");
                }
                // Liquibase's anonymous usage analytics would try the network after each
                // command; the machines that run this have none to offer, and users in CI
                // switch it off.
                c.env("LIQUIBASE_ANALYTICS_ENABLED", "false");
                match job {
                    Job::Start => {
                        c.arg("--version");
                    }
                    Job::Update { dir, .. } | Job::NoOpUpdate { dir } | Job::Status { dir } => {
                        let verb = if matches!(job, Job::Status { .. }) {
                            "status"
                        } else {
                            "update"
                        };
                        c.arg(format!("--url={url}"))
                            .arg(format!("--changelog-file={}", workload::CHANGELOG_FILE))
                            .arg(verb)
                            .current_dir(dir);
                    }
                    Job::Generate { .. } => bail!("Liquibase is not measured on P3"),
                }
                c
            }
        };
        command.env_remove("LIQUIBASE_COMMAND_URL");
        Ok(command)
    }

    /// After a P1 run: `n` history rows and the last collection's ten documents.
    fn verify_p1(&self, runner: Runner, db: &str, n: usize) -> Result<()> {
        let history = if runner == Runner::MigrateMongo {
            workload::MIGRATE_MONGO_CHANGELOG
        } else {
            workload::HISTORY_COLLECTION
        };
        self.verify_count(db, history, n)?;
        if n > 0 {
            self.verify_count(
                db,
                &workload::collection(n - 1),
                workload::DOCUMENTS_PER_CHANGESET,
            )?;
        }
        Ok(())
    }

    pub(crate) fn verify_count(&self, db: &str, collection: &str, expected: usize) -> Result<()> {
        let found = self.runtime.block_on(
            self.client
                .database(db)
                .collection::<Document>(collection)
                .count_documents(doc! {})
                .into_future(),
        )?;
        if usize::try_from(found).ok() != Some(expected) {
            bail!("`{db}.{collection}` holds {found} documents after the run, expected {expected}");
        }
        Ok(())
    }

    pub(crate) fn drop_db(&self, db: &str) -> Result<()> {
        self.runtime
            .block_on(self.client.database(db).drop().into_future())
            .with_context(|| format!("cannot drop `{db}`"))
    }

    /// Records P2's changesets as applied with `lbmongo changelog-sync` (not timed).
    fn seed_p2(&self, db: &str, n: usize, dir: &Path) -> Result<()> {
        let lbmongo = self
            .tools
            .lbmongo
            .as_ref()
            .map_err(|e| anyhow::anyhow!("P2 is seeded with lbmongo: {e}"))?;
        let mut sync = Command::new(lbmongo);
        sync.args(["changelog-sync", "--url", &self.server.url_for(db)])
            .args(["--changelog-file", workload::CHANGELOG_FILE])
            .current_dir(dir);
        measure::run(sync, dir, "seed", self.timeout).context("seeding P2 failed")?;
        self.verify_count(db, workload::HISTORY_COLLECTION, n)
    }

    /// Creates P3's collections, their indexes and the views (not timed).
    fn seed_p3(&self, db: &str, collections: usize, views: usize) -> Result<()> {
        let database = self.client.database(db);
        self.runtime.block_on(async {
            for i in 0..collections {
                let name = workload::collection(i);
                database.run_command(doc! { "create": &name }).await?;
                database
                    .run_command(
                        doc! { "createIndexes": &name, "indexes": workload::p3_indexes(i) },
                    )
                    .await?;
            }
            for v in 0..views.min(collections) {
                database.run_command(workload::p3_view(v)).await?;
            }
            anyhow::Ok(())
        })
    }
}

pub(crate) fn case(
    id: &str,
    group: &str,
    title: String,
    n: usize,
    baseline: Runner,
    results: Vec<(Runner, RunnerResult)>,
) -> Case {
    Case {
        id: id.to_owned(),
        group: group.to_owned(),
        title,
        n,
        baseline: baseline.id().to_owned(),
        runners: results.into_iter().map(|(_, r)| r).collect(),
        ratios: Vec::new(),
    }
}

/// One line of progress on stderr (stdout carries the final table).
pub(crate) fn progress(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runner_ids_round_trip() {
        for runner in Runner::ALL {
            assert_eq!(Runner::parse(runner.id()), Some(runner));
        }
        assert_eq!(Runner::parse("flyway"), None);
    }
}
