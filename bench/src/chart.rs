//! docs/bench.svg: one panel per case, one pair of horizontal bars per runner (median wall time,
//! and beneath it the median client CPU time), each panel scaled to its slowest runner so the
//! ratios read at a glance. Hand-written SVG: no plotting dependency for a dozen rectangles.

use std::fmt::Write as _;

use crate::report::Results;

const WIDTH: f64 = 960.0;
const LABEL_WIDTH: f64 = 330.0;
const BAR_AREA: f64 = 380.0;
const ROW: f64 = 26.0;
const TITLE: f64 = 30.0;
const GAP: f64 = 14.0;

/// The colour of a runner's bars.
fn colour(runner: &str) -> &'static str {
    match runner {
        "lbmongo" => "#1f77b4",
        "limit" => "#7f7f7f",
        "migrate-mongo" => "#2ca02c",
        "liquibase-jar" => "#9467bd",
        "liquibase-official" => "#d62728",
        _ => "#8c564b",
    }
}

/// The chart of `results` as an SVG document.
pub(crate) fn svg(results: &Results) -> String {
    let rows: usize = results.cases.iter().map(|c| c.runners.len()).sum();
    let height = 60.0
        + results
            .cases
            .iter()
            .map(|c| TITLE + ROW * count(c.runners.len()) + GAP)
            .sum::<f64>();
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>
<text x="10" y="22" font-size="16" font-weight="bold">lbmongo benchmarks ({mode} run, {rows} runner rows): median wall time (dark) and client CPU time (light), seconds</text>
<text x="10" y="42" fill="#555555">{machine} cores, {memory} MiB{load}; {server}; {started}. Each panel is scaled to its slowest runner.</text>"##,
        mode = escape(&results.mode),
        machine = results.machine.cores,
        memory = results.machine.memory_mib,
        load = match (results.machine.load_start, results.machine.load_end) {
            (Some(a), Some(b)) => format!(", load {:.1}", a.max(b)),
            _ => String::new(),
        },
        server = escape(&results.server),
        started = escape(&results.started),
    );
    let mut y = 60.0;
    for case in &results.cases {
        let _ = writeln!(
            out,
            r#"<text x="10" y="{}" font-weight="bold">{}</text>"#,
            y + 18.0,
            escape(&case.title)
        );
        y += TITLE;
        let max = case
            .runners
            .iter()
            .filter_map(|r| r.median)
            .map(|m| m.wall_s.max(m.cpu_s))
            .fold(0.0_f64, f64::max);
        for runner in &case.runners {
            let _ = writeln!(
                out,
                r#"<text x="20" y="{}">{}</text>"#,
                y + 16.0,
                escape(&runner.label)
            );
            match runner.median {
                Some(m) if max > 0.0 => {
                    let wall = BAR_AREA * m.wall_s / max;
                    let cpu = BAR_AREA * m.cpu_s / max;
                    let fill = colour(&runner.id);
                    let _ = writeln!(
                        out,
                        r#"<rect x="{LABEL_WIDTH}" y="{}" width="{wall:.1}" height="12" fill="{fill}"/>"#,
                        y + 4.0
                    );
                    let _ = writeln!(
                        out,
                        r#"<rect x="{LABEL_WIDTH}" y="{}" width="{cpu:.1}" height="6" fill="{fill}" fill-opacity="0.4"/>"#,
                        y + 17.0
                    );
                    let _ = writeln!(
                        out,
                        r#"<text x="{:.1}" y="{}">{:.3} s wall · {:.3} s CPU · {:.0} MiB</text>"#,
                        LABEL_WIDTH + wall.max(cpu) + 6.0,
                        y + 16.0,
                        m.wall_s,
                        m.cpu_s,
                        m.max_rss_mib
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        r##"<text x="{LABEL_WIDTH}" y="{}" fill="#a00000">{}</text>"##,
                        y + 16.0,
                        escape(&runner.status)
                    );
                }
            }
            y += ROW;
        }
        y += GAP;
    }
    out.push_str("</svg>\n");
    out
}

#[allow(clippy::cast_precision_loss)] // A handful of rows.
fn count(n: usize) -> f64 {
    n as f64
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Case, Machine, Median, RunnerResult};

    #[test]
    fn bars_scale_to_the_slowest_runner_and_unavailable_runners_say_so() {
        let runner = |id: &str, wall: Option<f64>| RunnerResult {
            id: id.to_owned(),
            label: format!("{id} <label>"),
            status: if wall.is_some() { "ok" } else { "unavailable" }.to_owned(),
            reason: None,
            runs: Vec::new(),
            median: wall.map(|wall_s| Median {
                runs: 1,
                wall_s,
                cpu_s: wall_s / 2.0,
                user_s: wall_s / 2.0,
                sys_s: 0.0,
                max_rss_mib: 12.0,
                server_cpu_s: None,
            }),
        };
        let results = Results {
            schema: 1,
            mode: "smoke".to_owned(),
            started: "t".to_owned(),
            duration_s: 1.0,
            machine: Machine {
                cores: 2,
                memory_mib: 1,
                cpu: String::new(),
                kernel: String::new(),
                load_start: None,
                load_end: None,
            },
            server: "s".to_owned(),
            tools: serde_json::Map::new(),
            repetitions: "1".to_owned(),
            cases: vec![Case {
                id: "c".to_owned(),
                group: "P1".to_owned(),
                title: "Case & co".to_owned(),
                n: 1,
                baseline: "limit".to_owned(),
                runners: vec![
                    runner("lbmongo", Some(2.0)),
                    runner("limit", Some(1.0)),
                    runner("liquibase-jar", None),
                ],
                ratios: Vec::new(),
            }],
            targets: Vec::new(),
        };
        let svg = svg(&results);
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(
            svg.contains(r##"width="380.0" height="12" fill="#1f77b4""##),
            "{svg}"
        );
        assert!(
            svg.contains(r##"width="190.0" height="12" fill="#7f7f7f""##),
            "{svg}"
        );
        assert!(svg.contains(">unavailable</text>"), "{svg}");
        assert!(svg.contains("Case &amp; co") && svg.contains("lbmongo &lt;label&gt;"));
    }
}
