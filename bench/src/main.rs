//! `lbmongo-bench`: the harness behind `make bench` (issue 7).
//!
//! Starts one SecantusDB as the tests do (or uses `MONGODB_URI`), finds the runners — lbmongo,
//! the limit (`bench-limit`), migrate-mongo, Liquibase with our jar, Liquibase with the official
//! extension — alternates them round by round on each case, and writes `latest.json`,
//! `latest.md` and the chart. A runner that is not installed or not built is reported as
//! unavailable with the reason, never estimated. `--smoke` is the small version `make test` runs
//! so the harness cannot rot. The method is described in bench/README.md.

mod cases;
mod chart;
mod fleet;
mod measure;
mod report;
mod server;
mod targets;

use std::future::IntoFuture as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Parser;
use mongodb::bson::doc;

use crate::cases::{Bench, Runner, Tools, progress};
use crate::report::{Machine, Results};

/// Benchmarks lbmongo side by side with the raw-driver limit, migrate-mongo and Liquibase.
#[derive(Debug, Parser)]
struct Args {
    /// The small version run by `make test`: N=20, one round, lbmongo and the limit only;
    /// explicit options still win.
    #[arg(long)]
    smoke: bool,
    /// Cases to run, comma-separated: start, p1, p2, p3, fleet [default: all].
    #[arg(long, value_delimiter = ',')]
    cases: Option<Vec<String>>,
    /// Runners, comma-separated: lbmongo, limit, migrate-mongo, liquibase-jar,
    /// liquibase-official [default: all].
    #[arg(long, value_delimiter = ',')]
    runners: Option<Vec<String>>,
    /// P1 sizes (changesets) [default: 500,5000].
    #[arg(long, value_delimiter = ',')]
    p1: Option<Vec<usize>>,
    /// P2 sizes (applied changesets) [default: 100,1000,10000].
    #[arg(long, value_delimiter = ',')]
    p2: Option<Vec<usize>>,
    /// P3 collections (five indexes each) [default: 2000].
    #[arg(long)]
    p3_collections: Option<usize>,
    /// P3 views [default: 200].
    #[arg(long)]
    p3_views: Option<usize>,
    /// Fleet case: tenant databases [default: 1000].
    #[arg(long)]
    fleet_tenants: Option<usize>,
    /// Fleet case: the tenants Liquibase's loop runs over [default: 50].
    #[arg(long)]
    fleet_slice: Option<usize>,
    /// Fleet case: databases at a time for lbmongo and the limit [default: 4, lbmongo's default].
    #[arg(long)]
    fleet_parallel: Option<usize>,
    /// Rounds per case (each runner once per round) [default: 3].
    #[arg(long)]
    rounds: Option<usize>,
    /// Rounds for the large cases: P1 N ≥ 2,000 and P2 N ≥ 10,000 [default: 1, which keeps a
    /// full run within about twenty minutes].
    #[arg(long)]
    large_rounds: Option<usize>,
    /// The lbmongo binary [default: target/release/lbmongo].
    #[arg(long)]
    lbmongo: Option<PathBuf>,
    /// Our Liquibase extension jar [default: target/release/lbmongo-liquibase.jar]; `none`
    /// reports Liquibase with our jar as unavailable.
    #[arg(long)]
    jar: Option<PathBuf>,
    /// Where latest.json and latest.md go [default: bench/results; target/bench-smoke with
    /// --smoke].
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Where the chart goes [default: docs/bench.svg; <out-dir>/bench.svg with --smoke].
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Use this server instead of starting SecantusDB.
    #[arg(long, env = "MONGODB_URI")]
    mongodb_uri: Option<String>,
    /// Seconds after which one run is killed and counted as failed.
    #[arg(long, default_value_t = 1800)]
    timeout_s: u64,
    /// Re-render latest.md and the chart (and re-judge the targets) from an existing
    /// latest.json instead of running anything.
    #[arg(long, value_name = "JSON")]
    render_from: Option<PathBuf>,
    /// Keep the scratch directory (changelogs, every run's stdout and stderr) and print its path.
    #[arg(long)]
    keep_work: bool,
}

/// The sizes and rounds of one run, after the defaults.
#[derive(Debug)]
struct Plan {
    cases: Vec<String>,
    runners: Vec<Runner>,
    p1: Vec<usize>,
    p2: Vec<usize>,
    p3_collections: usize,
    p3_views: usize,
    fleet: fleet::FleetSize,
    rounds: usize,
    large_rounds: usize,
}

/// A size from which a case counts as large (fewer rounds).
const LARGE_P1: usize = 2_000;
const LARGE_P2: usize = 10_000;

impl Plan {
    fn of(args: &Args) -> Result<Plan> {
        let smoke = args.smoke;
        let runners = match &args.runners {
            Some(ids) => ids
                .iter()
                .map(|id| {
                    Runner::parse(id).with_context(|| {
                        format!(
                            "unknown runner `{id}` (known: lbmongo, limit, migrate-mongo, liquibase-jar, liquibase-official)"
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            None if smoke => vec![Runner::Lbmongo, Runner::Limit],
            None => Runner::ALL.to_vec(),
        };
        let cases = match &args.cases {
            Some(cases) => {
                for case in cases {
                    anyhow::ensure!(
                        ["start", "p1", "p2", "p3", "fleet"].contains(&case.as_str()),
                        "unknown case `{case}` (known: start, p1, p2, p3, fleet)"
                    );
                }
                cases.clone()
            }
            None if smoke => ["p1", "p2", "p3", "fleet"].map(str::to_owned).to_vec(),
            None => ["start", "p1", "p2", "p3", "fleet"]
                .map(str::to_owned)
                .to_vec(),
        };
        let rounds = args.rounds.unwrap_or(if smoke { 1 } else { 3 });
        Ok(Plan {
            cases,
            runners,
            p1: args
                .p1
                .clone()
                .unwrap_or_else(|| if smoke { vec![20] } else { vec![500, 5000] }),
            p2: args.p2.clone().unwrap_or_else(|| {
                if smoke {
                    vec![20]
                } else {
                    vec![100, 1000, 10_000]
                }
            }),
            p3_collections: args.p3_collections.unwrap_or(if smoke { 20 } else { 2000 }),
            p3_views: args.p3_views.unwrap_or(if smoke { 2 } else { 200 }),
            fleet: fleet::FleetSize {
                tenants: args.fleet_tenants.unwrap_or(if smoke { 6 } else { 1000 }),
                slice: args.fleet_slice.unwrap_or(if smoke { 2 } else { 50 }),
                parallel: args.fleet_parallel.unwrap_or(4),
            },
            rounds,
            large_rounds: args.large_rounds.unwrap_or(1),
        })
    }

    fn has(&self, case: &str) -> bool {
        self.cases.iter().any(|c| c == case)
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            progress(&format!("error: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

/// The repository root: this crate lives in `bench/`.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// Runs the plan; `Ok(false)` when a case could not be run at all (runner failures are results).
fn run(args: &Args) -> Result<bool> {
    if let Some(json) = &args.render_from {
        let text = std::fs::read_to_string(json)
            .with_context(|| format!("cannot read `{}`", json.display()))?;
        let mut results: Results = serde_json::from_str(&text)
            .with_context(|| format!("`{}` is not a results file", json.display()))?;
        results.targets = targets::judge(&results.cases);
        let (out_dir, svg_path) = outputs(args, &repo_root(), results.mode == "smoke");
        write_results(&results, &out_dir, &svg_path)?;
        return Ok(true);
    }
    let plan = Plan::of(args)?;
    let started = chrono::Utc::now();
    let load_start = load_average();
    let clock = Instant::now();
    let repo = repo_root();
    let work = tempfile::Builder::new()
        .prefix("lbmongo-bench-")
        .tempdir()
        .context("cannot create a scratch directory")?;
    let limit = std::env::current_exe()
        .context("cannot find the harness's own path")?
        .with_file_name("bench-limit");
    let tools = Tools::find(
        &repo,
        &args
            .lbmongo
            .clone()
            .unwrap_or_else(|| repo.join("target/release/lbmongo")),
        &limit,
        &args
            .jar
            .clone()
            .unwrap_or_else(|| repo.join("target/release/lbmongo-liquibase.jar")),
        work.path(),
    );
    let server = server::start(&repo, args.mongodb_uri.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot build a Tokio runtime")?;
    let client = runtime
        .block_on(mongodb::Client::with_uri_str(server.url_for("admin")))
        .context("cannot connect to the server")?;
    let version = runtime
        .block_on(
            client
                .database("admin")
                .run_command(doc! { "buildInfo": 1 })
                .into_future(),
        )
        .ok()
        .and_then(|info| info.get_str("version").ok().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    progress(&format!(
        "lbmongo-bench: {} (buildInfo {version}); scratch `{}`",
        server.description,
        work.path().display()
    ));
    for runner in &plan.runners {
        if let Err(why) = tools.available(*runner) {
            progress(&format!("  {} unavailable: {why}", runner.id()));
        }
    }
    let bench = Bench {
        tools: &tools,
        server: &server,
        runtime: &runtime,
        client,
        work: work.path().to_owned(),
        timeout: Duration::from_secs(args.timeout_s),
        tag: std::process::id().to_string(),
    };
    let mut cases = Vec::new();
    let mut complete = true;
    let mut failed = |what: String, e: anyhow::Error| {
        progress(&format!("{what} could not be run: {e:#}"));
        complete = false;
    };
    if plan.has("start") {
        match bench.start_case(plan.rounds) {
            Ok(case) => cases.push(case),
            Err(e) => failed("the start-up case".to_owned(), e),
        }
    }
    if plan.has("p1") {
        for &n in &plan.p1 {
            let rounds = if n >= LARGE_P1 {
                plan.large_rounds
            } else {
                plan.rounds
            };
            match bench.p1(n, &plan.runners, rounds) {
                Ok(case) => cases.push(case),
                Err(e) => failed(format!("P1 N={n}"), e),
            }
        }
    }
    if plan.has("p2") {
        let runners: Vec<Runner> = plan
            .runners
            .iter()
            .copied()
            .filter(|r| {
                matches!(
                    r,
                    Runner::Lbmongo | Runner::LiquibaseJar | Runner::LiquibaseOfficial
                )
            })
            .collect();
        for &n in &plan.p2 {
            let rounds = if n >= LARGE_P2 {
                plan.large_rounds
            } else {
                plan.rounds
            };
            match bench.p2(n, &runners, rounds) {
                Ok(pair) => cases.extend(pair),
                Err(e) => failed(format!("P2 N={n}"), e),
            }
        }
    }
    if plan.has("p3") {
        match bench.p3(plan.p3_collections, plan.p3_views, plan.rounds) {
            Ok(case) => cases.push(case),
            Err(e) => failed("P3".to_owned(), e),
        }
    }
    if plan.has("fleet") {
        // (c) is lbmongo started per database: it runs wherever lbmongo does.
        let runners: Vec<Runner> = [
            Runner::Lbmongo,
            Runner::Limit,
            Runner::LbmongoLoop,
            Runner::LiquibaseOfficial,
        ]
        .into_iter()
        .filter(|r| {
            plan.runners.contains(r)
                || (*r == Runner::LbmongoLoop && plan.runners.contains(&Runner::Lbmongo))
        })
        .collect();
        match bench.fleet(plan.fleet, &runners, plan.large_rounds) {
            Ok(pair) => cases.extend(pair),
            Err(e) => failed(format!("the fleet of {}", plan.fleet.tenants), e),
        }
    }
    let targets = targets::judge(&cases);
    let results = Results {
        schema: 1,
        mode: if args.smoke { "smoke" } else { "full" }.to_owned(),
        started: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        duration_s: clock.elapsed().as_secs_f64(),
        machine: Machine {
            load_start,
            load_end: load_average(),
            ..machine()
        },
        server: format!("{} (buildInfo {version})", server.description),
        tools: tools
            .versions()
            .into_iter()
            .map(|(k, v)| (k, v.into()))
            .collect(),
        repetitions: if plan.large_rounds == plan.rounds {
            plan.rounds.to_string()
        } else {
            format!(
                "{} ({} for P1 N ≥ {LARGE_P1}, P2 N ≥ {LARGE_P2} and the fleet)",
                plan.rounds, plan.large_rounds
            )
        },
        cases,
        targets,
    };
    let (out_dir, svg_path) = outputs(args, &repo, args.smoke);
    write_results(&results, &out_dir, &svg_path)?;
    if args.keep_work {
        let kept = work.keep();
        progress(&format!("scratch kept in `{}`", kept.display()));
    }
    Ok(complete)
}

/// Where the results and the chart go.
fn outputs(args: &Args, repo: &Path, smoke: bool) -> (PathBuf, PathBuf) {
    let default_out = if smoke {
        repo.join("target/bench-smoke")
    } else {
        repo.join("bench/results")
    };
    let out_dir = args.out_dir.clone().unwrap_or(default_out);
    let svg_path = args.svg.clone().unwrap_or_else(|| {
        if smoke {
            out_dir.join("bench.svg")
        } else {
            repo.join("docs/bench.svg")
        }
    });
    (out_dir, svg_path)
}

fn write_results(results: &Results, out_dir: &Path, svg_path: &Path) -> Result<()> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create `{}`", out_dir.display()))?;
    let json = serde_json::to_string_pretty(results)? + "\n";
    let markdown = report::markdown(results);
    let write = |path: &Path, text: &str| {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
    };
    write(&out_dir.join("latest.json"), &json)?;
    write(&out_dir.join("latest.md"), &markdown)?;
    write(svg_path, &chart::svg(results))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{markdown}")?;
    writeln!(
        stdout,
        "Wrote {}, {} and {}.",
        out_dir.join("latest.json").display(),
        out_dir.join("latest.md").display(),
        svg_path.display()
    )?;
    Ok(())
}

/// The 1-minute load average.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
}

/// Cores, memory, CPU model and kernel, from /proc (the load is filled in by the caller).
fn machine() -> Machine {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let memory_kib: u64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == "model name").then(|| value.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    Machine {
        cores: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        memory_mib: memory_kib / 1024,
        cpu,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
        load_start: None,
        load_end: None,
    }
}
