//! Running `mongo` / `mongoFile` scripts: natively when the whole script lies inside the shell
//! subset ([`subset`]), else through a mongosh process: the Harness extension's
//! `MongoshExecutor`/`MongoshRunner` (spec mongo §11.3), plus the native path Harness lacks.
//!
//! This file is the module's door: which way each script runs (`route`, [`preflight`]), the
//! entry points the engine and the doors call ([`run_change`], [`preview`], [`run_native`],
//! [`run_script`], [`run_with_problem`]) and the re-exports. Beside it, one concept each:
//!
//! - `options`: the settings as a door reads them ([`MongoshSettings`]) and what they become
//!   ([`MongoshOptions`]);
//! - [`subset`]: the native subset (parser, method checks, values, lowering to commands), itself
//!   a door onto `subset/`;
//! - `native`: sends a lowered script to the server, step by step;
//! - `process`: runs a script in a mongosh process (temp files, credentials, timeout, log).
//!
//! Dependency order, each using only what comes before it: `options`, `subset`, `native`
//! (subset), `process` (options, subset), this door (all four). Of the rest of the crate,
//! `mongosh` uses only modules below the engine's orchestration: `change`, `changelog`,
//! `command` (including [`Preview`], which lives there so that `mongosh` never needs the
//! `executor` module that calls it), `connection`, `error`, `java` and `json`; `executor` and
//! `format` (the loader's `runWith` check) use `mongosh`, never the other way round (the unit
//! tests read a changelog with `format`).

use crate::change::Change;
use crate::changelog::{ChangeSet, ChangeSetId};
use crate::command::Preview;
use crate::connection::Connection;
use crate::error::{Error, Result};

mod native;
mod options;
mod process;
pub mod subset;

pub use native::run_native;
pub use options::{MongoshOptions, MongoshSettings, NativeMode, SettingNames};
pub use process::{Run, run_script};
use process::{locate, mongosh_url};
use subset::{Step, Unsupported};

/// What is wrong with running `changes` with the executor `run_with` names, as (message, hint):
/// core's `ChangeSet.getRunWith` + `ExecutorService` know only `jdbc` (the default) and Harness's
/// `mongosh` executors for MongoDB; `mongo`/`mongoFile` need `mongosh`, which runs nothing else
/// (Harness `MongoshExecutor.validate`). The loader checks each changeset with it, the jar each
/// change it is asked to run.
pub fn run_with_problem(run_with: Option<&str>, changes: &[Change]) -> Option<(String, String)> {
    match run_with {
        None | Some("jdbc") => changes
            .iter()
            .find(|c| matches!(c, Change::Mongo(_) | Change::MongoFile(_)))
            .map(|c| {
                (
                    format!("`{}` needs runWith=\"mongosh\"", c.name()),
                    "add runWith=\"mongosh\" to the changeSet".to_owned(),
                )
            }),
        Some("mongosh") => changes
            .iter()
            .find(|c| !matches!(c, Change::Mongo(_) | Change::MongoFile(_) | Change::Empty))
            .map(|c| {
                (
                    format!(
                        "unsupported change type `{}` with runWith=\"mongosh\": such a changeset may only \
                         contain `mongo` or `mongoFile`",
                        c.name()
                    ),
                    "move the other changes to a changeset without runWith".to_owned(),
                )
            }),
        Some(other) => Some((
            format!("runWith `{other}` is not supported"),
            "MongoDB changesets run with `mongosh` or the default (`jdbc`)".to_owned(),
        )),
    }
}

/// The way one script runs.
#[derive(Debug, Clone, PartialEq)]
enum Route {
    /// Natively, as these commands.
    Native(Vec<Step>),
    /// Through mongosh; with the reason when native execution was possible in principle
    /// (`auto` and a script outside the subset).
    Mongosh(Option<Unsupported>),
}

/// The script of a `mongo`/`mongoFile` change (`None` for any other change).
pub fn script_of(change: &Change) -> Option<&str> {
    match change {
        Change::Mongo(m) => Some(&m.mongo),
        Change::MongoFile(f) => Some(&f.script),
        _ => None,
    }
}

/// Decides how `script` runs. `always` with a script outside the subset is an error, so
/// nothing of it runs.
fn route(script: &str, url_db: &str, native: NativeMode) -> Result<Route> {
    decide(script, url_db, native).map_err(|why| {
        Error::Mongosh(format!(
            "the script is outside the native subset ({why}) and `--mongosh-native` is `always`; nothing of it ran\n\
             hint: rewrite the statement with the `db` helpers of the subset, or allow mongosh with `--mongosh-native auto`"
        ))
    })
}

/// The one rule behind [`route`] and [`preflight`]: the route, or why `always` cannot run it.
fn decide(
    script: &str,
    url_db: &str,
    native: NativeMode,
) -> std::result::Result<Route, Unsupported> {
    match native {
        NativeMode::Never => Ok(Route::Mongosh(None)),
        NativeMode::Auto => Ok(match subset::lower_script(script, url_db) {
            Ok(steps) => Route::Native(steps),
            Err(why) => Route::Mongosh(Some(why)),
        }),
        NativeMode::Always => subset::lower_script(script, url_db).map(Route::Native),
    }
}

/// Checks every `mongo`/`mongoFile` script of `change_sets` before anything runs, so an update
/// never stops halfway for a reason known up front. With `--mongosh-native always` it lists each
/// script outside the subset; with `auto` and `never` it makes sure mongosh can be found when a
/// script needs it (outside the subset, or every script with `never`), naming the changesets.
///
/// `run_change` refuses such a script too, but only when its changeset's turn comes; calling
/// this first (on the pending changesets of an update) keeps the earlier ones from running.
/// Liquibase Pro fails at the changeset's turn; refusing before the first write is lbmongo's
/// "nothing half-run" rule.
pub(crate) fn preflight<'c>(
    change_sets: impl IntoIterator<Item = &'c ChangeSet>,
    url_db: &str,
    options: &MongoshOptions,
) -> Result<()> {
    let mut refusals = Vec::new();
    let mut needing = Vec::new();
    // The first script that needs mongosh decides the message's reason; the list names them all.
    let mut first_reason = None;
    for cs in change_sets {
        for script in cs.changes.iter().filter_map(script_of) {
            match decide(script, url_db, options.native) {
                Ok(Route::Native(_)) => {}
                Ok(Route::Mongosh(why)) => {
                    first_reason.get_or_insert(why);
                    needing.push(format!("changeset `{}`", cs.id));
                }
                Err(why) => refusals.push(format!("changeset `{}`: {why}", cs.id)),
            }
        }
    }
    if !refusals.is_empty() {
        return Err(Error::Mongosh(format!(
            "`--mongosh-native` is `always` but {} script{} outside the native subset; nothing ran\n{}\n\
             hint: rewrite them with the `db` helpers of the subset, or allow mongosh with `--mongosh-native auto`",
            refusals.len(),
            if refusals.len() == 1 { " is" } else { "s are" },
            indented(&refusals)
        )));
    }
    let Some(reason) = first_reason else {
        return Ok(());
    };
    match locate(options, reason.as_ref()) {
        Ok(_) => Ok(()),
        Err(Error::Mongosh(why)) => Err(Error::Mongosh(format!(
            "{why}\nnothing ran; {} need{} mongosh:\n{}",
            needing.len(),
            if needing.len() == 1 { "s" } else { "" },
            indented(&needing)
        ))),
        Err(e) => Err(e),
    }
}

fn indented(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs one `mongo`/`mongoFile` change of changeset `id` (other changes do nothing).
pub async fn run_change(
    connection: &Connection,
    options: &MongoshOptions,
    change: &Change,
    id: &ChangeSetId,
) -> Result<()> {
    let Some(script) = script_of(change) else {
        return Ok(());
    };
    match route(script, &connection.database, options.native)? {
        Route::Native(steps) => run_native(connection, &steps).await,
        Route::Mongosh(why) => {
            let url = mongosh_url(connection, options)?;
            let run = Run {
                url: &url,
                script,
                id,
                native_refusal: why.as_ref(),
            };
            run_script(options, &run).await.map(drop)
        }
    }
}

/// What one change of changeset `id` sends, as `update-sql` shows it: its command, the lowered
/// commands of a script on the native path, the script itself on the mongosh path, nothing for
/// `tagDatabase`/`empty`. The one lowering both `update-sql` and the platform preflight judge.
pub(crate) fn lowered(
    change: &Change,
    id: &ChangeSetId,
    url_db: &str,
    native: NativeMode,
) -> Vec<Preview> {
    match change {
        Change::Mongo(_) | Change::MongoFile(_) => preview(change, id, url_db, native),
        _ => change
            .to_command()
            .map(Preview::Command)
            .into_iter()
            .collect(),
    }
}

/// What `update-sql` shows for a `mongo`/`mongoFile` change: the lowered commands on the
/// native path, the script on the mongosh path.
pub fn preview(
    change: &Change,
    id: &ChangeSetId,
    url_db: &str,
    native: NativeMode,
) -> Vec<Preview> {
    let Some(script) = script_of(change) else {
        return Vec::new();
    };
    match route(script, url_db, native) {
        Ok(Route::Native(steps)) => steps
            .iter()
            .map(|step| match step.to_command(url_db) {
                Some(command) => Preview::Command(command),
                None => Preview::Script {
                    id: id.clone(),
                    script: step.to_js(url_db),
                },
            })
            .collect(),
        // `always` with a script outside the subset fails when the update runs; the preview
        // still shows what the changeset holds.
        Ok(Route::Mongosh(_)) | Err(_) => vec![Preview::Script {
            id: id.clone(),
            script: script.to_owned(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn routes_follow_the_mode_and_the_subset() {
        let inside = "db.a.insertOne({x: 1})";
        let outside = "for (const d of [1, 2]) db.a.insertOne({d})";
        assert!(
            matches!(route(inside, "app", NativeMode::Auto), Ok(Route::Native(s)) if s.len() == 1)
        );
        assert!(matches!(
            route(inside, "app", NativeMode::Never),
            Ok(Route::Mongosh(None))
        ));
        assert!(matches!(
            route(outside, "app", NativeMode::Auto),
            Ok(Route::Mongosh(Some(_)))
        ));
        let err = route(outside, "app", NativeMode::Always).expect_err("always refuses");
        assert!(err.to_string().contains("nothing of it ran"), "{err}");
        assert!(err.to_string().contains("line 1, column 1"), "{err}");
    }

    #[test]
    fn preflight_lists_every_script_outside_the_subset_only_for_always() {
        let log = crate::format::read_str(
            "// liquibase formatted mongodb\n\
             // changeset a:1 runWith:mongosh\n\
             db.a.drop()\n\
             // changeset a:2 runWith:mongosh\n\
             print(1)\n\
             // changeset a:3 runWith:mongosh\n\
             db.a.find()\n",
            "c.js",
            &crate::format::ReadOptions::default(),
        )
        .expect("a formatted changelog");
        let sets = log.change_sets;
        let with = |native, path: Option<&str>| MongoshOptions {
            native,
            path: path.map(PathBuf::from),
            ..MongoshOptions::default()
        };
        let sh = Some("/bin/sh");
        assert!(preflight(&sets, "app", &with(NativeMode::Auto, sh)).is_ok());
        assert!(preflight(&sets, "app", &with(NativeMode::Never, sh)).is_ok());
        assert!(preflight(&sets[..1], "app", &with(NativeMode::Always, None)).is_ok());
        // Without mongosh: `auto` needs it for the two scripts outside the subset, `never` for
        // all three; the first changeset alone is inside the subset and needs nothing.
        let gone = Some("/nonexistent/mongosh");
        assert!(preflight(&sets[..1], "app", &with(NativeMode::Auto, gone)).is_ok());
        let err = preflight(&sets, "app", &with(NativeMode::Auto, gone))
            .expect_err("mongosh is missing")
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
        assert!(err.contains("outside the native subset"), "{err}");
        assert!(
            err.contains(
                "nothing ran; 2 need mongosh:\n  changeset `c.js::2::a`\n  changeset `c.js::3::a`"
            ),
            "{err}"
        );
        let err = preflight(&sets, "app", &with(NativeMode::Never, gone))
            .expect_err("mongosh is missing")
            .to_string();
        assert!(err.contains("nothing ran; 3 need mongosh:"), "{err}");
        let err = preflight(&sets, "app", &with(NativeMode::Always, None))
            .expect_err("two scripts are outside")
            .to_string();
        assert!(
            err.contains("2 scripts are outside the native subset; nothing ran"),
            "{err}"
        );
        assert!(
            err.contains("changeset `c.js::2::a`: line 1, column 1"),
            "{err}"
        );
        assert!(
            err.contains("changeset `c.js::3::a`: line 1, column 5"),
            "{err}"
        );
    }
}
