//! The targets of issue 7, judged on one run's medians and per-pair ratios. They are goals, not
//! assertions: a missed target is reported with its numbers, and bench/README.md says why.

use crate::report::{Case, Target};

/// P1: lbmongo's wall time over the limit's.
const P1_WALL_VS_LIMIT: f64 = 1.10;
/// P1: lbmongo's client CPU over migrate-mongo's.
const P1_CPU_VS_MIGRATE_MONGO: f64 = 0.25;
/// P1: Liquibase with our jar over (lbmongo + JVM start).
const JAR_OVER_LBMONGO_PLUS_START: f64 = 1.20;
/// P2: wall time of lbmongo at 10,000 applied changesets.
const P2_WALL_AT_10000_S: f64 = 0.5;
/// P2 "roughly linear": the marginal cost per changeset between the two largest sizes may be at
/// most this multiple of the one between the two smallest.
const P2_MARGINAL_GROWTH: f64 = 2.0;
/// The smallest marginal cost (seconds per changeset) a growth comparison divides by: below
/// it the difference between the two smallest sizes is noise.
const P2_MARGINAL_FLOOR_S: f64 = 1e-6;
/// P3: lbmongo's wall time over the limit's, and its peak RSS.
const P3_WALL_VS_LIMIT: f64 = 1.5;
const P3_MAX_RSS_MIB: f64 = 100.0;
/// Fleet (issue 11): lbmongo's wall time over the limit's at the same parallelism, and the
/// least speed-up over a shell loop starting lbmongo once per database.
const FLEET_WALL_VS_LIMIT: f64 = 1.25;
const FLEET_LOOP_OVER_LBMONGO: f64 = 10.0;

fn target(goal: String, met: Option<bool>, detail: String) -> Target {
    let status = match met {
        Some(true) => "met",
        Some(false) => "missed",
        None => "not measured",
    };
    Target {
        goal,
        status: status.to_owned(),
        detail,
    }
}

fn ratio_target(goal: String, ratio: Option<f64>, limit: f64, what: &str) -> Target {
    match ratio {
        Some(r) => target(goal, Some(r <= limit), format!("{what} = {r:.2}×")),
        None => target(goal, None, format!("{what}: a runner did not run")),
    }
}

/// Every target, in the order.
pub(crate) fn judge(cases: &[Case]) -> Vec<Target> {
    let mut out = Vec::new();
    let start = cases
        .iter()
        .find(|c| c.group == "start")
        .and_then(|c| c.median_of("liquibase-jar"))
        .map(|m| m.wall_s);
    for case in cases.iter().filter(|c| c.group == "P1") {
        let n = case.n;
        out.push(ratio_target(
            format!("P1 N={n}: lbmongo wall ≤ {P1_WALL_VS_LIMIT}× the limit"),
            case.ratio("lbmongo", "limit", "wall"),
            P1_WALL_VS_LIMIT,
            "lbmongo ÷ limit (wall)",
        ));
        out.push(ratio_target(
            format!("P1 N={n}: lbmongo client CPU ≤ {P1_CPU_VS_MIGRATE_MONGO}× migrate-mongo's"),
            case.ratio("lbmongo", "migrate-mongo", "cpu"),
            P1_CPU_VS_MIGRATE_MONGO,
            "lbmongo ÷ migrate-mongo (CPU)",
        ));
        let goal = format!(
            "P1 N={n}: Liquibase+jar wall ≤ (lbmongo + JVM start) × {JAR_OVER_LBMONGO_PLUS_START}"
        );
        out.push(
            match (
                case.median_of("liquibase-jar"),
                case.median_of("lbmongo"),
                start,
            ) {
                (Some(jar), Some(lb), Some(start)) => {
                    let bound = (lb.wall_s + start) * JAR_OVER_LBMONGO_PLUS_START;
                    target(
                        goal,
                        Some(jar.wall_s <= bound),
                        format!(
                            "Liquibase+jar {:.2} s vs bound ({:.2} s lbmongo + {start:.2} s start) × {JAR_OVER_LBMONGO_PLUS_START} = {bound:.2} s",
                            jar.wall_s, lb.wall_s
                        ),
                    )
                }
                _ => target(
                    goal,
                    None,
                    "Liquibase+jar, lbmongo or the start-up case did not run".to_owned(),
                ),
            },
        );
        out.push(
            match case.ratio("liquibase-jar", "liquibase-official", "wall") {
                Some(r) => target(
                    format!("P1 N={n}: Liquibase+jar faster than Liquibase+official extension"),
                    Some(r < 1.0),
                    format!("Liquibase+jar ÷ Liquibase+official (wall) = {r:.2}×"),
                ),
                None => target(
                    format!("P1 N={n}: Liquibase+jar faster than Liquibase+official extension"),
                    None,
                    "one of the two did not run".to_owned(),
                ),
            },
        );
    }
    for command in ["update", "status"] {
        let mut sizes: Vec<(usize, f64)> = cases
            .iter()
            .filter(|c| c.id.starts_with(&format!("p2-{command}-")))
            .filter_map(|c| Some((c.n, c.median_of("lbmongo")?.wall_s)))
            .collect();
        sizes.sort_by_key(|&(n, _)| n);
        let goal = format!("P2 {command} at 10,000 applied: lbmongo wall < {P2_WALL_AT_10000_S} s");
        out.push(match sizes.iter().find(|&&(n, _)| n == 10_000) {
            Some(&(_, wall)) => target(
                goal,
                Some(wall < P2_WALL_AT_10000_S),
                format!("{wall:.3} s"),
            ),
            None => target(goal, None, "N=10,000 was not run".to_owned()),
        });
        let goal = format!("P2 {command}: roughly linear growth");
        let (first, last) = (
            sizes.get(..2),
            sizes.len().checked_sub(2).map(|i| &sizes[i..]),
        );
        out.push(match (first, last) {
            (Some(&[(n0, w0), (n1, w1)]), Some(&[(m0, v0), (m1, v1)])) if sizes.len() >= 3 => {
                let low = (w1 - w0) / count(n1 - n0);
                let high = (v1 - v0) / count(m1 - m0);
                target(
                    goal,
                    Some(high <= P2_MARGINAL_GROWTH * low.max(P2_MARGINAL_FLOOR_S)),
                    format!(
                        "marginal cost {:.3} s per 1,000 changesets from {n0} to {n1}, {:.3} s from {m0} to {m1} (limit {P2_MARGINAL_GROWTH}×)",
                        low * 1e3,
                        high * 1e3
                    ),
                )
            }
            _ => target(goal, None, "needs at least three sizes".to_owned()),
        });
    }
    let p3 = cases.iter().find(|c| c.group == "P3");
    let size = p3.map_or_else(String::new, |c| format!(" ({} collections)", c.n));
    out.push(ratio_target(
        format!("P3{size}: lbmongo generate-changelog wall ≤ {P3_WALL_VS_LIMIT}× the limit"),
        p3.and_then(|c| c.ratio("lbmongo", "limit", "wall")),
        P3_WALL_VS_LIMIT,
        "lbmongo ÷ limit (wall)",
    ));
    let goal = format!("P3{size}: lbmongo generate-changelog peak RSS < {P3_MAX_RSS_MIB} MiB");
    out.push(match p3.and_then(|c| c.median_of("lbmongo")) {
        Some(m) => target(
            goal,
            Some(m.max_rss_mib < P3_MAX_RSS_MIB),
            format!("{:.1} MiB", m.max_rss_mib),
        ),
        None => target(
            goal,
            None,
            "lbmongo generate-changelog did not run".to_owned(),
        ),
    });
    if let Some(fleet) = cases
        .iter()
        .find(|c| c.group == "fleet" && !c.id.starts_with("fleet-noop"))
    {
        let n = fleet.n;
        out.push(ratio_target(
            format!("Fleet of {n}: lbmongo wall ≤ {FLEET_WALL_VS_LIMIT}× the limit"),
            fleet.ratio("lbmongo", "limit", "wall"),
            FLEET_WALL_VS_LIMIT,
            "lbmongo ÷ limit (wall)",
        ));
        let goal = format!(
            "Fleet of {n}: lbmongo at least {FLEET_LOOP_OVER_LBMONGO}× faster than a shell loop"
        );
        out.push(match fleet.ratio("lbmongo-loop", "lbmongo", "wall") {
            Some(r) => target(
                goal,
                Some(r >= FLEET_LOOP_OVER_LBMONGO),
                format!("loop ÷ lbmongo (wall) = {r:.2}×"),
            ),
            None => target(goal, None, "the loop or lbmongo did not run".to_owned()),
        });
    }
    for (id, what) in [
        ("p1-5000", "Memory: lbmongo peak RSS, P1 N=5,000"),
        (
            "p2-update-10000",
            "Memory: lbmongo peak RSS, P2 update N=10,000",
        ),
        (
            "p2-status-10000",
            "Memory: lbmongo peak RSS, P2 status N=10,000",
        ),
    ] {
        let rss = cases
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.median_of("lbmongo"));
        out.push(Target {
            goal: what.to_owned(),
            status: if rss.is_some() {
                "reported"
            } else {
                "not measured"
            }
            .to_owned(),
            detail: rss.map_or_else(
                || "that case was not run".to_owned(),
                |m| format!("{:.1} MiB", m.max_rss_mib),
            ),
        });
    }
    out
}

#[allow(clippy::cast_precision_loss)] // Changeset counts are far below 2^52.
fn count(n: usize) -> f64 {
    n as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Median, RunnerResult};

    fn case(id: &str, group: &str, n: usize, walls: &[(&str, f64)]) -> Case {
        Case {
            id: id.to_owned(),
            group: group.to_owned(),
            title: id.to_owned(),
            n,
            baseline: "limit".to_owned(),
            runners: walls
                .iter()
                .map(|&(runner, wall_s)| RunnerResult {
                    id: runner.to_owned(),
                    label: runner.to_owned(),
                    status: "ok".to_owned(),
                    reason: None,
                    runs: Vec::new(),
                    median: Some(Median {
                        runs: 1,
                        wall_s,
                        cpu_s: wall_s,
                        user_s: wall_s,
                        sys_s: 0.0,
                        max_rss_mib: 20.0,
                        server_cpu_s: None,
                    }),
                })
                .collect(),
            ratios: Vec::new(),
        }
    }

    fn status<'t>(targets: &'t [Target], goal: &str) -> &'t str {
        &targets
            .iter()
            .find(|t| t.goal.starts_with(goal))
            .unwrap_or_else(|| panic!("no target `{goal}`"))
            .status
    }

    #[test]
    fn p2_growth_and_absolute_targets() {
        let cases = vec![
            case("p2-update-100", "P2", 100, &[("lbmongo", 0.10)]),
            case("p2-update-1000", "P2", 1000, &[("lbmongo", 0.19)]),
            case("p2-update-10000", "P2", 10_000, &[("lbmongo", 1.09)]),
            case("p2-status-100", "P2", 100, &[("lbmongo", 0.10)]),
            case("p2-status-1000", "P2", 1000, &[("lbmongo", 0.11)]),
            case("p2-status-10000", "P2", 10_000, &[("lbmongo", 0.45)]),
        ];
        let targets = judge(&cases);
        assert_eq!(status(&targets, "P2 update at 10,000"), "missed");
        assert_eq!(status(&targets, "P2 update: roughly linear"), "met");
        assert_eq!(status(&targets, "P2 status at 10,000"), "met");
        // update: 0.1 ms per changeset from 100 to 1,000 and from 1,000 to 10,000 (linear);
        // status: 0.011 ms, then 0.038 ms (3.4×: worse than linear).
        assert_eq!(status(&targets, "P2 status: roughly linear"), "missed");
        assert_eq!(status(&targets, "P3"), "not measured");
        assert_eq!(
            status(&targets, "Memory: lbmongo peak RSS, P2 update"),
            "reported"
        );
    }

    #[test]
    fn p1_targets_use_ratios_and_the_start_case() {
        let mut p1 = case(
            "p1-500",
            "P1",
            500,
            &[
                ("lbmongo", 1.0),
                ("limit", 0.95),
                ("liquibase-jar", 3.0),
                ("liquibase-official", 4.0),
            ],
        );
        p1.runners[0].runs = vec![Some(crate::report::Run {
            wall_s: 1.0,
            user_s: 0.1,
            sys_s: 0.0,
            cpu_s: 0.1,
            max_rss_mib: 1.0,
            server_cpu_s: None,
        })];
        for r in &mut p1.runners[1..] {
            r.runs = vec![Some(crate::report::Run {
                wall_s: r.median.expect("set").wall_s,
                user_s: 1.0,
                sys_s: 0.0,
                cpu_s: 1.0,
                max_rss_mib: 1.0,
                server_cpu_s: None,
            })];
        }
        p1.add_ratio("lbmongo", "limit", "wall");
        p1.add_ratio("liquibase-jar", "liquibase-official", "wall");
        let start = case("start", "start", 0, &[("liquibase-jar", 1.6)]);
        let targets = judge(&[start, p1]);
        assert_eq!(status(&targets, "P1 N=500: lbmongo wall"), "met");
        assert_eq!(
            status(&targets, "P1 N=500: lbmongo client CPU"),
            "not measured"
        );
        // 3.0 s vs (1.0 + 1.6) × 1.2 = 3.12 s.
        assert_eq!(status(&targets, "P1 N=500: Liquibase+jar wall"), "met");
        assert_eq!(status(&targets, "P1 N=500: Liquibase+jar faster"), "met");
    }
}
