//! The results: what `latest.json` holds, the statistics over the rounds (medians, per-pair
//! ratios), the targets of issue 7 judged on them, and the Markdown table.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::measure::Usage;

/// Everything one `lbmongo-bench` run measured.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Results {
    /// Format version of this file.
    pub(crate) schema: u32,
    /// `full` or `smoke`.
    pub(crate) mode: String,
    /// When the run started (UTC, RFC 3339).
    pub(crate) started: String,
    /// Seconds the whole run took.
    pub(crate) duration_s: f64,
    pub(crate) machine: Machine,
    /// The server every runner talked to.
    pub(crate) server: String,
    /// Versions of the runners' tools, as found: name → version.
    pub(crate) tools: serde_json::Map<String, serde_json::Value>,
    /// Rounds per case (fewer for the large cases when so configured).
    pub(crate) repetitions: String,
    pub(crate) cases: Vec<Case>,
    pub(crate) targets: Vec<Target>,
}

/// The machine the run was on.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Machine {
    pub(crate) cores: usize,
    pub(crate) memory_mib: u64,
    pub(crate) cpu: String,
    pub(crate) kernel: String,
    /// `/proc/loadavg`'s 1-minute load at the start and at the end of the run: other work on the
    /// machine makes wall times noisy, and this says how much there was.
    #[serde(default)]
    pub(crate) load_start: Option<f64>,
    #[serde(default)]
    pub(crate) load_end: Option<f64>,
}

/// One case: a workload, the runners alternated on it, and their ratios.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Case {
    /// `p1-500`, `p2-update-10000`, …
    pub(crate) id: String,
    /// `P1`, `P2`, `P3` or `start`.
    pub(crate) group: String,
    pub(crate) title: String,
    /// The workload's size (changesets, or collections for P3).
    pub(crate) n: usize,
    /// The runner the others are divided by.
    pub(crate) baseline: String,
    pub(crate) runners: Vec<RunnerResult>,
    pub(crate) ratios: Vec<Ratio>,
}

/// One runner's rounds on a case.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RunnerResult {
    pub(crate) id: String,
    pub(crate) label: String,
    /// `ok`, `unavailable` (not installed or not built; never measured) or `failed`.
    pub(crate) status: String,
    /// Why it is unavailable or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    /// Successful runs, one per round, in round order (`None` for a round it did not run).
    pub(crate) runs: Vec<Option<Run>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) median: Option<Median>,
}

/// One measured run.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Run {
    pub(crate) wall_s: f64,
    pub(crate) user_s: f64,
    pub(crate) sys_s: f64,
    pub(crate) cpu_s: f64,
    pub(crate) max_rss_mib: f64,
    /// CPU seconds the server spent during the run (all clients: only the runner was active).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) server_cpu_s: Option<f64>,
}

impl From<Usage> for Run {
    fn from(u: Usage) -> Self {
        #[allow(clippy::cast_precision_loss)] // KiB of memory are far below 2^52.
        let rss = u.max_rss_kib as f64 / 1024.0;
        Run {
            wall_s: u.wall_s,
            user_s: u.user_s,
            sys_s: u.sys_s,
            cpu_s: u.cpu_s(),
            max_rss_mib: rss,
            server_cpu_s: u.server_cpu_s,
        }
    }
}

/// Medians over a runner's successful runs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Median {
    pub(crate) runs: usize,
    pub(crate) wall_s: f64,
    pub(crate) cpu_s: f64,
    pub(crate) user_s: f64,
    pub(crate) sys_s: f64,
    pub(crate) max_rss_mib: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) server_cpu_s: Option<f64>,
}

/// `num / den` of one metric, per round where both ran, and its median.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Ratio {
    pub(crate) num: String,
    pub(crate) den: String,
    /// `wall` or `cpu`.
    pub(crate) metric: String,
    pub(crate) per_round: Vec<f64>,
    pub(crate) median: Option<f64>,
}

/// One goal of issue 7 and whether this run met it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Target {
    pub(crate) goal: String,
    /// `met`, `missed` or `not measured`.
    pub(crate) status: String,
    pub(crate) detail: String,
}

/// The median of `values` (mean of the middle two for an even count); `None` when empty.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        f64::midpoint(sorted[mid - 1], sorted[mid])
    } else {
        sorted[mid]
    })
}

impl RunnerResult {
    /// Fills `median` from the runs.
    pub(crate) fn summarize(&mut self) {
        let runs: Vec<Run> = self.runs.iter().flatten().copied().collect();
        let of = |f: fn(&Run) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        self.median = match (of(|r| r.wall_s), of(|r| r.cpu_s)) {
            (Some(wall_s), Some(cpu_s)) => Some(Median {
                runs: runs.len(),
                wall_s,
                cpu_s,
                user_s: of(|r| r.user_s).unwrap_or(0.0),
                sys_s: of(|r| r.sys_s).unwrap_or(0.0),
                max_rss_mib: of(|r| r.max_rss_mib).unwrap_or(0.0),
                server_cpu_s: median(
                    &runs
                        .iter()
                        .filter_map(|r| r.server_cpu_s)
                        .collect::<Vec<_>>(),
                ),
            }),
            _ => None,
        };
    }
}

impl Case {
    /// A runner's result by id.
    pub(crate) fn runner(&self, id: &str) -> Option<&RunnerResult> {
        self.runners.iter().find(|r| r.id == id)
    }

    /// The median of a runner's metric, when it ran.
    pub(crate) fn median_of(&self, id: &str) -> Option<Median> {
        self.runner(id).and_then(|r| r.median)
    }

    /// Adds the per-round ratio `num / den` of `metric` (`wall` or `cpu`).
    pub(crate) fn add_ratio(&mut self, num: &str, den: &str, metric: &str) {
        let (Some(a), Some(b)) = (self.runner(num), self.runner(den)) else {
            return;
        };
        let pick = |r: &Run| if metric == "cpu" { r.cpu_s } else { r.wall_s };
        let per_round: Vec<f64> = a
            .runs
            .iter()
            .zip(&b.runs)
            .filter_map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) if pick(y) > 0.0 => Some(pick(x) / pick(y)),
                _ => None,
            })
            .collect();
        if per_round.is_empty() {
            return;
        }
        self.ratios.push(Ratio {
            num: num.to_owned(),
            den: den.to_owned(),
            metric: metric.to_owned(),
            median: median(&per_round),
            per_round,
        });
    }

    /// The median per-round ratio `num / den` of `metric`, when both ran in some round.
    pub(crate) fn ratio(&self, num: &str, den: &str, metric: &str) -> Option<f64> {
        self.ratios
            .iter()
            .find(|r| r.num == num && r.den == den && r.metric == metric)
            .and_then(|r| r.median)
    }
}

/// The Markdown report: machine, one table per case, the ratios and the targets.
pub(crate) fn markdown(results: &Results) -> String {
    let mut out = String::new();
    let m = &results.machine;
    let _ = writeln!(out, "# lbmongo benchmarks ({} run)\n", results.mode);
    let _ = writeln!(
        out,
        "Run {} on {} cores ({}), {} MiB memory, Linux {}, {}; server: {}; rounds per case: {}; \
         the whole run took {:.0} s. Medians over the rounds; each ratio is the median of the \
         per-round ratios of runs made side by side. Produced by `make bench` \
         (method: [bench/README.md](../README.md)).\n",
        results.started,
        m.cores,
        m.cpu,
        m.memory_mib,
        m.kernel,
        match (m.load_start, m.load_end) {
            (Some(start), Some(end)) => {
                format!("load average {start:.1} at the start and {end:.1} at the end")
            }
            _ => "load average not recorded".to_owned(),
        },
        results.server,
        results.repetitions,
        results.duration_s,
    );
    let tools: Vec<String> = results
        .tools
        .iter()
        .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or_default()))
        .collect();
    let _ = writeln!(out, "Tools: {}.\n", tools.join("; "));
    for case in &results.cases {
        let _ = writeln!(out, "## {}\n", case.title);
        let _ = writeln!(
            out,
            "| runner | wall (s) | client CPU (s) | server CPU (s) | peak RSS (MiB) | runs | wall ÷ {b} | CPU ÷ {b} |",
            b = case.baseline
        );
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &case.runners {
            match (&r.median, r.status.as_str()) {
                (Some(md), status) => {
                    let note = if status == "ok" {
                        String::new()
                    } else {
                        format!(" ({status} in some rounds)")
                    };
                    let _ = writeln!(
                        out,
                        "| {}{note} | {:.3} | {:.3} | {} | {:.1} | {} | {} | {} |",
                        r.label,
                        md.wall_s,
                        md.cpu_s,
                        md.server_cpu_s
                            .map_or_else(String::new, |s| format!("{s:.2}")),
                        md.max_rss_mib,
                        md.runs,
                        ratio_cell(case.ratio(&r.id, &case.baseline, "wall")),
                        ratio_cell(case.ratio(&r.id, &case.baseline, "cpu")),
                    );
                }
                (None, status) => {
                    let reason = headline(r.reason.as_deref().unwrap_or(""));
                    let _ = writeln!(
                        out,
                        "| {} | **{status}**: {} | | | | 0 | | |",
                        r.label,
                        reason.replace('|', "\\|")
                    );
                }
            }
        }
        let extra: Vec<&Ratio> = case
            .ratios
            .iter()
            .filter(|r| r.den != case.baseline)
            .collect();
        if !extra.is_empty() {
            out.push('\n');
            for r in extra {
                let _ = writeln!(
                    out,
                    "- {} ÷ {} ({}): {}",
                    r.num,
                    r.den,
                    r.metric,
                    ratio_cell(r.median)
                );
            }
        }
        out.push('\n');
    }
    out.push_str("## Targets (issue 7)\n\n| goal | status | measured |\n|---|---|---|\n");
    for t in &results.targets {
        let _ = writeln!(
            out,
            "| {} | **{}** | {} |",
            t.goal,
            t.status,
            t.detail.replace('|', "\\|")
        );
    }
    out
}

/// The line of a failure that says most: the first one naming an error after the first line
/// (which is often just the exit status), else the first line.
fn headline(reason: &str) -> String {
    let first = reason.lines().next().unwrap_or("");
    let error = reason
        .lines()
        .skip(1)
        .find(|l| l.to_ascii_lowercase().contains("error") && !l.starts_with("---"));
    match error {
        Some(line) if first.starts_with("exit status") || first.starts_with("signal") => {
            format!("{first}: {}", line.trim())
        }
        _ => first.to_owned(),
    }
}

fn ratio_cell(ratio: Option<f64>) -> String {
    ratio.map_or_else(String::new, |r| format!("{r:.2}×"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(wall_s: f64, cpu_s: f64) -> Option<Run> {
        Some(Run {
            wall_s,
            user_s: cpu_s,
            sys_s: 0.0,
            cpu_s,
            max_rss_mib: 10.0,
            server_cpu_s: None,
        })
    }

    fn runner(id: &str, runs: Vec<Option<Run>>) -> RunnerResult {
        let mut r = RunnerResult {
            id: id.to_owned(),
            label: id.to_owned(),
            status: "ok".to_owned(),
            reason: None,
            runs,
            median: None,
        };
        r.summarize();
        r
    }

    #[test]
    fn headline_prefers_the_error_line_after_an_exit_status() {
        let cases = [
            (
                "exit status: 1\n--- end ---\nstarting\nerror: boom",
                "exit status: 1: error: boom",
            ),
            ("exit status: 1\nno such line", "exit status: 1"),
            ("cannot start x\nerror: y", "cannot start x"),
            ("", ""),
        ];
        for (reason, expected) in cases {
            assert_eq!(headline(reason), expected, "{reason}");
        }
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        let cases: [(&[f64], Option<f64>); 4] = [
            (&[3.0, 1.0, 2.0], Some(2.0)),
            (&[4.0, 1.0, 3.0, 2.0], Some(2.5)),
            (&[], None),
            (&[f64::NAN, 5.0], Some(5.0)),
        ];
        for (values, expected) in cases {
            assert_eq!(median(values), expected, "{values:?}");
        }
    }

    #[test]
    fn ratios_pair_runs_of_the_same_round_only() {
        let mut case = Case {
            id: "p1-1".to_owned(),
            group: "P1".to_owned(),
            title: "t".to_owned(),
            n: 1,
            baseline: "limit".to_owned(),
            runners: vec![
                runner("a", vec![run(2.0, 1.0), None, run(6.0, 3.0)]),
                runner("limit", vec![run(1.0, 1.0), run(9.0, 1.0), run(2.0, 1.0)]),
            ],
            ratios: Vec::new(),
        };
        case.add_ratio("a", "limit", "wall");
        case.add_ratio("a", "limit", "cpu");
        case.add_ratio("a", "missing", "cpu");
        assert_eq!(case.ratios.len(), 2);
        assert_eq!(case.ratios[0].per_round, vec![2.0, 3.0]);
        assert_eq!(case.ratio("a", "limit", "wall"), Some(2.5));
        assert_eq!(case.ratio("a", "limit", "cpu"), Some(2.0));
        let md = case.median_of("a").expect("a ran");
        assert_eq!((md.runs, md.wall_s), (2, 4.0));
    }

    #[test]
    fn markdown_lists_unavailable_runners_with_their_reason() {
        let mut missing = runner("jar", vec![]);
        missing.status = "unavailable".to_owned();
        missing.reason = Some("no jar | build it\nsecond line".to_owned());
        let results = Results {
            schema: 1,
            mode: "smoke".to_owned(),
            started: "now".to_owned(),
            duration_s: 1.0,
            machine: Machine {
                cores: 2,
                memory_mib: 1024,
                cpu: "cpu".to_owned(),
                kernel: "6".to_owned(),
                load_start: Some(0.5),
                load_end: Some(1.0),
            },
            server: "s".to_owned(),
            tools: serde_json::Map::from_iter([("lbmongo".to_owned(), "0.1.0".into())]),
            repetitions: "1".to_owned(),
            cases: vec![Case {
                id: "p1-1".to_owned(),
                group: "P1".to_owned(),
                title: "P1 title".to_owned(),
                n: 1,
                baseline: "limit".to_owned(),
                runners: vec![runner("limit", vec![run(1.0, 0.5)]), missing],
                ratios: Vec::new(),
            }],
            targets: vec![Target {
                goal: "g".to_owned(),
                status: "not measured".to_owned(),
                detail: "d".to_owned(),
            }],
        };
        let md = markdown(&results);
        assert!(
            md.contains("| limit | 1.000 | 0.500 |  | 10.0 | 1 |"),
            "{md}"
        );
        assert!(
            md.contains("| jar | **unavailable**: no jar \\| build it | | | | 0 | | |"),
            "{md}"
        );
        assert!(md.contains("| g | **not measured** | d |"), "{md}");
    }
}
