//! Preconditions, evaluated against the database as the update reaches them (changelog-level
//! ones before anything runs), with `onFail`/`onError` deciding run, skip, mark ran or halt.

use super::*;

pub(super) enum Verdict {
    Run,
    MarkRan,
    Skip(String),
}

pub(super) async fn check_change_set_preconditions(
    connection: &Connection,
    cs: &ChangeSet,
    ran: &[RanChangeSet],
    listener: &dyn Listener,
) -> Result<Verdict> {
    let Some(pre) = &cs.preconditions else {
        return Ok(Verdict::Run);
    };
    let (outcome, on) = match evaluate_all(connection, &pre.checks, &cs.id.path, ran).await {
        Ok(None) => return Ok(Verdict::Run),
        Ok(Some(failure)) => (pre.on_fail_message.clone().unwrap_or(failure), pre.on_fail),
        Err(error) => (pre.on_error_message.clone().unwrap_or(error), pre.on_error),
    };
    Ok(match on {
        OnFail::Halt => {
            return Err(Error::PreconditionFailed {
                id: cs.id.to_string(),
                message: outcome,
            });
        }
        OnFail::Continue => Verdict::Skip(outcome),
        OnFail::MarkRan => Verdict::MarkRan,
        OnFail::Warn => {
            listener.on(&Event::Warning(format!(
                "Executing {} despite precondition failure due to onFail='WARN': {outcome}",
                cs.id
            )));
            Verdict::Run
        }
    })
}

pub(super) async fn check_changelog_preconditions(
    connection: &Connection,
    changelog: &ChangeLog,
    ran: &[RanChangeSet],
    listener: &dyn Listener,
) -> Result<()> {
    for pre in &changelog.preconditions {
        let failure =
            match evaluate_all(connection, &pre.checks, &changelog.physical_path, ran).await {
                Ok(None) => continue,
                Ok(Some(f)) => (pre.on_fail_message.clone().unwrap_or(f), pre.on_fail),
                Err(e) => (pre.on_error_message.clone().unwrap_or(e), pre.on_error),
            };
        match failure {
            (message, OnFail::Warn) => listener.on(&Event::Warning(message)),
            (message, _) => {
                return Err(Error::PreconditionFailed {
                    id: changelog.physical_path.clone(),
                    message,
                });
            }
        }
    }
    Ok(())
}

/// Evaluates checks ANDed: `Ok(None)` passes, `Ok(Some(message))` fails, `Err` could not check.
pub(super) async fn evaluate_all(
    connection: &Connection,
    checks: &[Precondition],
    path: &str,
    ran: &[RanChangeSet],
) -> std::result::Result<Option<String>, String> {
    for check in checks {
        if let Some(failure) = Box::pin(evaluate(connection, check, path, ran)).await? {
            return Ok(Some(failure));
        }
    }
    Ok(None)
}

pub(crate) async fn evaluate(
    connection: &Connection,
    check: &Precondition,
    path: &str,
    ran: &[RanChangeSet],
) -> std::result::Result<Option<String>, String> {
    let count = |collection: &str, filter: Option<&crate::change::Json>| {
        let filter = filter.map(|f| f.doc().clone()).unwrap_or_default();
        let collection = collection.to_owned();
        async move {
            crate::execute::count(
                &connection.client,
                &connection.database,
                &collection,
                filter,
            )
            .await
            .map_err(|e| e.to_string())
        }
    };
    Ok(match check {
        Precondition::And(all) => evaluate_all(connection, all, path, ran).await?,
        Precondition::Or(any) => {
            let mut failures = Vec::new();
            for c in any {
                match Box::pin(evaluate(connection, c, path, ran)).await? {
                    None => return Ok(None),
                    Some(f) => failures.push(f),
                }
            }
            Some(failures.join("; "))
        }
        Precondition::Not(nested) => {
            for c in nested {
                if Box::pin(evaluate(connection, c, path, ran))
                    .await?
                    .is_none()
                {
                    return Ok(Some("Not precondition failed".to_owned()));
                }
            }
            None
        }
        Precondition::CollectionExists { collection_name } => {
            let exists = crate::history::collection_exists(connection, collection_name)
                .await
                .map_err(|e| e.to_string())?;
            (!exists).then(|| format!("Collection {collection_name} does not exist"))
        }
        Precondition::DocumentExists {
            collection_name,
            filter,
        } => {
            let n = count(collection_name, filter.as_ref()).await?;
            (n == 0).then(|| format!("Document does not exist in collection {collection_name}"))
        }
        Precondition::ExpectedDocumentCount {
            collection_name,
            filter,
            expected_count,
        } => {
            let n = count(collection_name, filter.as_ref()).await?;
            (i64::try_from(n).ok() != Some(*expected_count)).then(|| {
                format!(
                    "ExpectedDocumentCount precondition fails for collection {collection_name}, expected: {expected_count}, actual: {n}"
                )
            })
        }
        Precondition::IndexExists {
            collection_name,
            keys,
            index_name,
        } => {
            let indexes = list_indexes(connection, collection_name).await?;
            let found = indexes.iter().any(|ix| {
                let key_ok = keys
                    .as_ref()
                    .is_none_or(|k| ix.get_document("key").is_ok_and(|d| d == k.doc()));
                let name_ok = index_name
                    .as_ref()
                    .is_none_or(|n| ix.get_str("name").is_ok_and(|x| x == n));
                key_ok && name_ok
            });
            (!found).then(|| {
                let what = index_name
                    .clone()
                    .or_else(|| keys.as_ref().map(|k| k.text().to_owned()))
                    .unwrap_or_default();
                format!("Index {what} does not exist on collection {collection_name}")
            })
        }
        Precondition::ChangeSetExecuted(r) => {
            let file = r.path.as_deref().unwrap_or(path);
            let found = ran
                .iter()
                .any(|x| x.id.id == r.id && x.id.author == r.author && x.id.path == file);
            // ChangeSetExecutedPrecondition's words (4.33.0, observed).
            (!found).then(|| {
                format!(
                    "Changeset '{file}::{}::{}' has not been run",
                    r.id, r.author
                )
            })
        }
        Precondition::Dbms { type_ } => (!dbms_matches(Some(type_), "mongodb"))
            .then(|| format!("DBMS Precondition failed: expected {type_}, got mongodb")),
    })
}

pub(super) async fn list_indexes(
    connection: &Connection,
    collection: &str,
) -> std::result::Result<Vec<mongodb::bson::Document>, String> {
    match crate::execute::read_cursor(
        &connection.client,
        &connection.database,
        doc! { "listIndexes": collection },
    )
    .await
    {
        Ok(indexes) => Ok(indexes),
        // A missing collection has no indexes.
        Err(e) if e.is_namespace_not_found() => Ok(Vec::new()),
        Err(e) => Err(e.to_string()),
    }
}
