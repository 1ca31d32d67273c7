//! Running a script of the native subset: its lowered [`Step`]s go to the server one by one,
//! each response judged as the helper mongosh calls would judge it ([`Expect`]).
//!
//! Only the sending lives here; what a statement means and which command it becomes is the
//! subset's ([`super::subset`]).

use super::subset::{Expect, Step};
use crate::connection::Connection;
use crate::error::{Error, Result};

/// Runs lowered steps one by one; the first failure stops the script, as an uncaught error
/// stops mongosh.
pub async fn run_native(connection: &Connection, steps: &[Step]) -> Result<()> {
    for step in steps {
        // As mongosh's helpers, only a write checks its reply's write errors: a `runCommand`
        // returns whatever the server answered.
        let response =
            crate::execute::send(&connection.client, &step.database, step.body.clone(), None).await;
        let name = step.body.keys().next().cloned().unwrap_or_default();
        // The statement's line in front; a server's or connection's error keeps its kind (and
        // so its code, for the changeset's hint).
        let fail = |e: Error| {
            let context = format!("line {}: `{name}` failed", step.line);
            match e {
                Error::Server(_) | Error::Connection(_) | Error::ConnectionClosed(_) => {
                    e.within(context)
                }
                other => Error::Mongosh(format!("{context}: {other}")),
            }
        };
        match (response, step.expect) {
            (Ok(r), Expect::Write) => {
                crate::execute::check_response(r).map_err(fail)?;
            }
            (Ok(_), Expect::Command | Expect::Drop) => {}
            (Err(e), expect) => match Error::from_driver(&e) {
                // As the driver's DropCollectionOperation: a missing namespace is not an error.
                e if expect == Expect::Drop && e.is_namespace_not_found() => {}
                e => return Err(fail(e)),
            },
        }
    }
    Ok(())
}
