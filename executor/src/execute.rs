//! The one path every server call takes: changes, history and lock, native mongosh steps,
//! previews' reads and introspection all send their commands through [`send`], the only place
//! the engine hands a command to the driver, and read the answer through [`check_response`].
//!
//! This mirrors the mongo-rust-driver's own design (every operation through one
//! `execute_operation`), one level up: a rule about commands — a reply that is not a success is
//! an error, a server error keeps its code, a session is passed on, tracking reads go to the
//! primary — is written once here instead of at each call site. Cursor commands (`find`,
//! `aggregate`, `listCollections`, `listIndexes`) go through [`read_cursor`], which reads every batch
//! through the driver's cursor.
//!
//! Depends only on [`crate::error`] and [`crate::json`]; the layers above (commands, tracking
//! collections, lock, history, executor, generator) depend on it.

use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document, RawDocumentBuf, doc};
use mongodb::options::{ReadPreference, SelectionCriteria};
use mongodb::{Client, ClientSession, Cursor};

use crate::error::{Error, Result, ServerError};
use crate::json::to_relaxed_json;

/// Sends one command to database `db`, within `session` when given, and returns the driver's
/// answer untouched (its error keeps the labels a transaction retry needs). Every other function
/// here, and through them the whole engine, calls this one.
pub(crate) async fn send(
    client: &Client,
    db: &str,
    body: Document,
    session: Option<&mut ClientSession>,
) -> std::result::Result<Document, mongodb::error::Error> {
    let database = client.database(db);
    let action = database.run_command(body);
    match session {
        Some(session) => action.session(session).await,
        None => action.await,
    }
}

/// Whether transactions work on this server: starts a session, starts a transaction, sends a
/// delete of a document that cannot exist (a fresh `ObjectId`) in `collection` inside it and
/// aborts. Only a write that the server accepted as part of the transaction counts: FerretDB
/// accepts `startTransaction` on a read and ignores it, but rejects it on writes, which is what a
/// transactional changeset sends. A server without sessions answers `false`. Nothing is written
/// either way: the delete matches nothing, and a server that ignored the transaction ran it alone. Liquibase has no such probe: liquibase-mongodb runs no
/// transactions at all, lbmongo uses them only where this shows they work (issue 13).
pub(crate) async fn transactions_work(client: &Client, db: &str, collection: &str) -> bool {
    let Ok(mut session) = client.start_session().await else {
        return false;
    };
    if session.start_transaction().await.is_err() {
        return false;
    }
    let read = send(
        client,
        db,
        doc! {
            "delete": collection,
            "deletes": [{ "q": { "_id": mongodb::bson::oid::ObjectId::new() }, "limit": 1 }],
        },
        Some(&mut session),
    )
    .await;
    let accepted = read.is_ok_and(|reply| check_response(reply).is_ok());
    // Drivers ignore abort failures by specification; an accepted read is the evidence.
    let _ = session.abort_transaction().await;
    accepted
}

/// Runs one command on `db`: a driver error or a reply that is not a success
/// (`check_response`) is an [`Error`] that keeps the server's code.
pub async fn run_command(client: &Client, db: &str, body: Document) -> Result<Document> {
    let response = send(client, db, body, None)
        .await
        .map_err(|e| Error::from_driver(&e))?;
    check_response(response)
}

/// Runs a cursor command (`find`, `aggregate`, `listCollections`, `listIndexes`) on `db` against
/// the primary (where history and lock are read, and where a change just wrote) and returns
/// every document of every batch.
pub async fn read_cursor(client: &Client, db: &str, body: Document) -> Result<Vec<Document>> {
    cursor(client, db, body)
        .await?
        .try_collect()
        .await
        .map_err(|e| Error::from_driver(&e))
}

/// [`read_cursor`] as raw BSON, for readers that take a few fields of many documents (the history)
/// without building a `Document` of each.
pub(crate) async fn read_cursor_raw(
    client: &Client,
    db: &str,
    body: Document,
) -> Result<Vec<RawDocumentBuf>> {
    cursor(client, db, body)
        .await?
        .with_type::<RawDocumentBuf>()
        .try_collect()
        .await
        .map_err(|e| Error::from_driver(&e))
}

async fn cursor(client: &Client, db: &str, body: Document) -> Result<Cursor<Document>> {
    let database = client.database(db);
    database
        .run_cursor_command(body)
        .selection_criteria(SelectionCriteria::ReadPreference(ReadPreference::Primary))
        .await
        .map_err(|e| Error::from_driver(&e))
}

/// How many documents of `collection` match `filter`, counted as the drivers' `countDocuments`
/// does (an `aggregate` of `$match` and `$group`), so the server sees the same command.
pub(crate) async fn count(
    client: &Client,
    db: &str,
    collection: &str,
    filter: Document,
) -> Result<u64> {
    let counted: Vec<Document> = read_cursor(
        client,
        db,
        doc! {
            "aggregate": collection,
            "pipeline": [{ "$match": filter }, { "$group": { "_id": 1, "n": { "$sum": 1 } } }],
            "cursor": {},
        },
    )
    .await?;
    Ok(match counted.first().and_then(|d| d.get("n")) {
        Some(Bson::Int32(n)) => u64::try_from(*n).unwrap_or(0),
        Some(Bson::Int64(n)) => u64::try_from(*n).unwrap_or(0),
        _ => 0,
    })
}

/// As liquibase-mongodb (OFF) counts rows: `n`, else `nModified`, else `nRemoved`.
pub(crate) fn rows_affected(response: &Document) -> i64 {
    ["n", "nModified", "nRemoved"]
        .iter()
        .find_map(|k| match response.get(*k) {
            Some(Bson::Int32(v)) => Some(i64::from(*v)),
            Some(Bson::Int64(v)) => Some(*v),
            _ => None,
        })
        .unwrap_or(0)
}

/// Checks a command reply as liquibase-mongodb's `AbstractRunCommandStatement.checkResponse`
/// does: `ok` must be 1, and there must be neither write errors nor a write concern error (a
/// write command answers `ok: 1` with its failures inside).
pub(crate) fn check_response(response: Document) -> Result<Document> {
    let ok = match response.get("ok") {
        Some(Bson::Int32(v)) => f64::from(*v),
        // `ok` is 0 or 1; anything else only has to compare unequal to 1.
        Some(Bson::Int64(v)) => f64::from(u8::from(*v == 1)),
        Some(Bson::Double(v)) => *v,
        _ => 0.0,
    };
    let write_errors = matches!(response.get("writeErrors"), Some(Bson::Array(a)) if !a.is_empty());
    let write_concern_error = response.contains_key("writeConcernError");
    if (ok - 1.0).abs() > f64::EPSILON || write_errors || write_concern_error {
        let json = to_relaxed_json(&response);
        return Err(Error::Server(ServerError::from_response(&response, json)));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_checks_mirror_the_extension() {
        assert!(check_response(doc! { "ok": 1.0 }).is_ok());
        assert!(check_response(doc! { "ok": 1 }).is_ok());
        let err = check_response(doc! { "ok": 1, "writeErrors": [{ "code": 11000 }] })
            .expect_err("write errors fail");
        assert!(
            err.to_string()
                .starts_with("Command failed. The full response is {"),
            "{err}"
        );
        let err = check_response(doc! { "ok": 1, "writeConcernError": { "code": 64 } })
            .expect_err("write concern errors fail");
        assert!(err.to_string().contains("write concern error"), "{err}");
        assert!(check_response(doc! { "ok": 0 }).is_err());
    }
}
