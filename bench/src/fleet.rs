//! The fleet case (issue 11): one changelog of five P1 changesets over many tenant databases.
//!
//! (a) `lbmongo update --databases REGEX --parallel P`; (b) the limit doing the same bare commands
//! over one client, P databases at a time; (c) a shell loop starting `lbmongo update` once per
//! database, as teams do without fleet support; (d) the same loop with Liquibase and the official
//! extension, over a slice of the fleet (a JVM per database makes the whole fleet take an hour).
//! Every run gets fresh, seeded tenant databases (each holds one document, as a tenant created by
//! the application would), verified after the run (five history rows and the last collection's
//! documents in every database) and dropped. The no-op case then reruns lbmongo and the loop over
//! one applied fleet: what a deploy costs when nothing is pending.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use futures_util::{StreamExt as _, TryStreamExt as _};
use lbmongo_bench::workload;
use mongodb::bson::{Document, doc};

use crate::cases::{Bench, LIQUIBASE_CORE, Runner, case};
use crate::report::{Case, Ratio, median};

/// Changesets per tenant.
pub(crate) const CHANGESETS: usize = 5;
/// Seeding, verifying and dropping databases: commands in flight (not timed).
const SETUP_PARALLEL: usize = 8;

/// The sizes of the fleet case.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FleetSize {
    /// Tenant databases of (a), (b) and (c).
    pub(crate) tenants: usize,
    /// Tenant databases of (d), Liquibase's loop.
    pub(crate) slice: usize,
    /// Databases at a time for (a) and (b).
    pub(crate) parallel: usize,
}

/// The databases of one fleet run.
#[derive(Debug, Clone, Copy)]
struct Tenants<'a> {
    /// Every name starts with it (lbmongo's `--databases`, the limit's `--prefix`).
    prefix: &'a str,
    /// The names, in order (the loops' URL files).
    names: &'a [String],
    /// Databases at a time for lbmongo and the limit.
    parallel: usize,
}

/// What one fleet run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Update,
    NoOp,
}

impl Bench<'_> {
    /// The fleet update case and the no-op rerun case.
    pub(crate) fn fleet(
        &self,
        size: FleetSize,
        runners: &[Runner],
        rounds: usize,
    ) -> Result<[Case; 2]> {
        let FleetSize {
            tenants,
            slice,
            parallel,
        } = size;
        let id = format!("fleet-{tenants}");
        let dir = self.case_dir(&id)?;
        std::fs::write(
            dir.join(workload::CHANGELOG_FILE),
            workload::changelog_xml(CHANGESETS),
        )?;
        let mut applied: Option<String> = None;
        let results = self.alternate(&id, runners, rounds, |runner, round| {
            let count = if runner == Runner::LiquibaseOfficial {
                slice
            } else {
                tenants
            };
            let prefix = self.db_name(&format!("f{tenants}_r{round}_{}_t", runner.id()));
            let names: Vec<String> = (0..count).map(|i| tenant(&prefix, i)).collect();
            if let Err(e) = self.seed_tenants(&names) {
                // Leave the server as the next run expects it: no half-seeded fleet.
                let _ = self.drop_dbs(&names);
                return Err(e);
            }
            let name = format!("r{round}-{}", runner.id());
            let command = self.fleet_command(
                runner,
                Work::Update,
                Tenants {
                    prefix: &prefix,
                    names: &names,
                    parallel,
                },
                &dir,
                &name,
            )?;
            let usage = self.measure_command(command, &dir, &name);
            let verified = usage.and_then(|u| self.verify_tenants(&names).map(|()| u));
            // The last round's lbmongo fleet stays for the no-op case.
            let keep = verified.is_ok() && runner == Runner::Lbmongo && round + 1 == rounds;
            if keep {
                applied = Some(prefix);
                return verified;
            }
            let dropped = self.drop_dbs(&names);
            let usage = verified?;
            dropped?;
            Ok(usage)
        });
        let mut update = case(
            &id,
            "fleet",
            format!(
                "Fleet update: {tenants} tenant databases × {CHANGESETS} P1 changesets, {parallel} at a time (Liquibase: a loop over {slice} of them)"
            ),
            tenants,
            Runner::Limit,
            results,
        );
        relabel(&mut update, slice);
        update.add_ratio("lbmongo", "limit", "wall");
        update.add_ratio("lbmongo", "limit", "cpu");
        update.add_ratio("lbmongo-loop", "lbmongo", "wall");
        update.add_ratio("lbmongo-loop", "lbmongo", "cpu");
        add_per_tenant_ratio(&mut update, "liquibase-official", slice, "lbmongo", tenants);

        let noop_id = format!("fleet-noop-{tenants}");
        let noop_runners: Vec<Runner> = [Runner::Lbmongo, Runner::LbmongoLoop]
            .into_iter()
            .filter(|r| runners.contains(r))
            .collect();
        let noop_results = match &applied {
            Some(prefix) => {
                let names: Vec<String> = (0..tenants).map(|i| tenant(prefix, i)).collect();
                let results = self.alternate(&noop_id, &noop_runners, rounds, |runner, round| {
                    let name = format!("noop-r{round}-{}", runner.id());
                    let tenants = Tenants {
                        prefix,
                        names: &names,
                        parallel,
                    };
                    let command = self.fleet_command(runner, Work::NoOp, tenants, &dir, &name)?;
                    let usage = self.measure_command(command, &dir, &name)?;
                    self.verify_tenants(&names)?;
                    Ok(usage)
                });
                self.drop_dbs(&names)?;
                results
            }
            None => bail!("lbmongo's fleet update did not run, so there is no fleet to rerun"),
        };
        let mut noop = case(
            &noop_id,
            "fleet",
            format!("Fleet no-op rerun: {tenants} up-to-date tenant databases"),
            tenants,
            Runner::Lbmongo,
            noop_results,
        );
        relabel(&mut noop, slice);
        noop.add_ratio("lbmongo-loop", "lbmongo", "wall");
        noop.add_ratio("lbmongo-loop", "lbmongo", "cpu");
        Ok([update, noop])
    }

    /// The command of one fleet run; `names` are the tenants of the loops.
    fn fleet_command(
        &self,
        runner: Runner,
        work: Work,
        tenants: Tenants<'_>,
        dir: &Path,
        name: &str,
    ) -> Result<Command> {
        let Tenants {
            prefix,
            names,
            parallel,
        } = tenants;
        let tools = self.tools;
        let unavailable = |e: &String| anyhow::anyhow!("{e}");
        let cluster = self.server.url_for("");
        Ok(match runner {
            Runner::Lbmongo => {
                let mut c = Command::new(tools.lbmongo.as_ref().map_err(unavailable)?);
                c.args(["update", "--url", &cluster])
                    .args(["--databases", &format!("^{prefix}[0-9]+$")])
                    .args(["--parallel", &parallel.to_string()])
                    .args(["--changelog-file", workload::CHANGELOG_FILE])
                    .current_dir(dir);
                c
            }
            Runner::Limit => {
                if work == Work::NoOp {
                    bail!("the limit has no no-op run");
                }
                let mut c = Command::new(tools.limit.as_ref().map_err(unavailable)?);
                c.args(["fleet", "--url", &cluster, "--prefix", prefix])
                    .args(["--count", &CHANGESETS.to_string()])
                    .args(["--parallel", &parallel.to_string()]);
                c
            }
            Runner::LbmongoLoop | Runner::LiquibaseOfficial => {
                // One URL per line, read by the loop: the shape of a team's deploy script.
                let urls = dir.join(format!("{name}-urls.txt"));
                let mut text = String::new();
                for db in names {
                    let _ = writeln!(text, "{}", self.server.url_for(db));
                }
                std::fs::write(&urls, text)?;
                let mut c = Command::new("bash");
                if runner == Runner::LbmongoLoop {
                    c.arg("-c")
                        .arg(
                            "while read -r url; do \"$0\" update --url \"$url\" --changelog-file \"$1\" > /dev/null || exit 1; done < \"$2\"",
                        )
                        .arg(tools.lbmongo.as_ref().map_err(unavailable)?);
                } else {
                    tools.official.as_ref().map_err(unavailable)?;
                    // Liquibase's usage analytics would try the network after each run.
                    c.env("LIQUIBASE_ANALYTICS_ENABLED", "false")
                        .arg("-c")
                        .arg(format!(
                            "while read -r url; do bash \"$0\" --core {LIQUIBASE_CORE} --ext official --url=\"$url\" --changelog-file=\"$1\" update > /dev/null || exit 1; done < \"$2\""
                        ))
                        .arg(tools.liquibase.as_ref().map_err(unavailable)?);
                }
                c.arg(workload::CHANGELOG_FILE).arg(&urls).current_dir(dir);
                c.env_remove("LIQUIBASE_COMMAND_URL");
                c
            }
            Runner::MigrateMongo | Runner::LiquibaseJar => {
                bail!("{} is not measured on fleets", runner.id())
            }
        })
    }

    /// Creates the tenant databases `names`, each holding one document.
    fn seed_tenants(&self, names: &[String]) -> Result<()> {
        self.each_db(names, |db| async move {
            let seeded = db
                .collection::<Document>("tenant")
                .insert_one(doc! { "_id": db.name(), "plan": "standard" })
                .await;
            match seeded {
                // On a loaded machine the driver may retry an insert the server had already
                // applied; the test server does not recognise the retry, and the document is
                // there.
                Err(e) if duplicate_key(&e) => Ok(()),
                other => other.map(|_| ()).map_err(Into::into),
            }
        })
    }

    /// Every tenant holds the changesets' history rows and the last collection's documents.
    fn verify_tenants(&self, names: &[String]) -> Result<()> {
        let last = workload::collection(CHANGESETS - 1);
        self.each_db(names, |db| {
            let last = last.clone();
            async move {
                for (collection, expected) in [
                    (workload::HISTORY_COLLECTION, CHANGESETS),
                    (last.as_str(), workload::DOCUMENTS_PER_CHANGESET),
                ] {
                    let found = db
                        .collection::<Document>(collection)
                        .count_documents(doc! {})
                        .await?;
                    if usize::try_from(found).ok() != Some(expected) {
                        bail!(
                            "`{}.{collection}` holds {found} documents after the run, expected {expected}",
                            db.name()
                        );
                    }
                }
                Ok(())
            }
        })
    }

    fn drop_dbs(&self, names: &[String]) -> Result<()> {
        self.each_db(names, |db| async move {
            db.drop()
                .await
                .with_context(|| format!("cannot drop `{}`", db.name()))
        })
    }

    /// Runs `one` on every database of `names`, a few at a time (setup, not measured).
    fn each_db<F, Fut>(&self, names: &[String], one: F) -> Result<()>
    where
        F: Fn(mongodb::Database) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        self.runtime.block_on(
            futures_util::stream::iter(names)
                .map(|name| one(self.client.database(name)))
                .buffer_unordered(SETUP_PARALLEL)
                .try_collect::<Vec<()>>(),
        )?;
        Ok(())
    }
}

fn duplicate_key(e: &mongodb::error::Error) -> bool {
    matches!(
        e.kind.as_ref(),
        mongodb::error::ErrorKind::Write(mongodb::error::WriteFailure::WriteError(w)) if w.code == 11000
    )
}

fn tenant(prefix: &str, i: usize) -> String {
    format!("{prefix}{i:04}")
}

/// The fleet case's letters: (a) lbmongo --databases, (b) the limit, (c) the loop, (d) Liquibase.
fn relabel(case: &mut Case, slice: usize) {
    for runner in &mut case.runners {
        runner.label = match runner.id.as_str() {
            "lbmongo" => "(a) lbmongo --databases --parallel".to_owned(),
            "limit" => "(b) limit: raw driver, same parallelism".to_owned(),
            "lbmongo-loop" => "(c) shell loop: lbmongo once per database".to_owned(),
            "liquibase-official" => format!(
                "(d) shell loop: Liquibase {LIQUIBASE_CORE} + liquibase-mongodb, {slice} databases"
            ),
            _ => continue,
        };
    }
}

/// `num ÷ den` of wall time per database, where the two ran over fleets of different sizes.
fn add_per_tenant_ratio(case: &mut Case, num: &str, num_dbs: usize, den: &str, den_dbs: usize) {
    let (Some(a), Some(b)) = (case.runner(num), case.runner(den)) else {
        return;
    };
    #[allow(clippy::cast_precision_loss)] // Database counts are far below 2^52.
    let scale = den_dbs as f64 / num_dbs.max(1) as f64;
    let per_round: Vec<f64> = a
        .runs
        .iter()
        .zip(&b.runs)
        .filter_map(|(x, y)| match (x, y) {
            (Some(x), Some(y)) if y.wall_s > 0.0 => Some(x.wall_s / y.wall_s * scale),
            _ => None,
        })
        .collect();
    if per_round.is_empty() {
        return;
    }
    case.ratios.push(Ratio {
        num: format!("{num} per database"),
        den: format!("{den} per database"),
        metric: "wall".to_owned(),
        median: median(&per_round),
        per_round,
    });
}
