//! The loader's vocabulary: every element and attribute name it knows (Liquibase's and
//! liquibase-mongodb's, 4.28.0), the SQL-only names it refuses with a pointer to the MongoDB
//! counterpart, and the "did you mean" hints for names it does not know.
//!
//! Data and pure functions only; the modules that read each kind of element use them.

/// `changeSet` attributes (`ChangeSet.load`, 4.28.0).
pub(super) const CHANGE_SET_ATTRIBUTES: &[&str] = &[
    "id",
    "author",
    "runAlways",
    "alwaysRun",
    "runOnChange",
    "context",
    "contextFilter",
    "labels",
    "dbms",
    "failOnError",
    "runInTransaction",
    "onValidationFail",
    "logicalFilePath",
    "created",
    "ignore",
    "runWith",
    "runWithSpoolFile",
    "runOrder",
    "objectQuotingStrategy",
];

/// Child elements of `changeSet` that are not changes (`ChangeSet.handleChildNode`).
pub(super) const CHANGE_SET_ELEMENTS: &[&str] = &[
    "comment",
    "preConditions",
    "preconditions",
    "validCheckSum",
    "validCheckSums",
    "rollback",
    "changes",
    "modifySql",
];

/// Every change type lbmongo runs: liquibase-mongodb's eight, Harness's `mongo`/`mongoFile`,
/// core's `tagDatabase`/`empty`, and lbmongo's update/delete extensions.
pub(super) const CHANGE_NAMES: &[&str] = &[
    "createCollection",
    "dropCollection",
    "createIndex",
    "dropIndex",
    "insertOne",
    "insertMany",
    "runCommand",
    "adminCommand",
    "mongo",
    "mongoFile",
    "tagDatabase",
    "empty",
    "updateOne",
    "updateMany",
    "deleteOne",
    "deleteMany",
];

/// Liquibase core changes that generate SQL (liquibase-core `liquibase.change.core`, 4.28.0).
pub(super) const SQL_CHANGES: &[&str] = &[
    "addAutoIncrement",
    "addColumn",
    "addDefaultValue",
    "addForeignKeyConstraint",
    "addLookupTable",
    "addNotNullConstraint",
    "addPrimaryKey",
    "addUniqueConstraint",
    "alterSequence",
    "createProcedure",
    "createSequence",
    "createTable",
    "createView",
    "customChange",
    "delete",
    "dropAllForeignKeyConstraints",
    "dropColumn",
    "dropDefaultValue",
    "dropForeignKeyConstraint",
    "dropNotNullConstraint",
    "dropPrimaryKey",
    "dropProcedure",
    "dropSequence",
    "dropTable",
    "dropUniqueConstraint",
    "dropView",
    "executeCommand",
    "insert",
    "loadData",
    "loadUpdateData",
    "mergeColumns",
    "modifyDataType",
    "output",
    "renameColumn",
    "renameSequence",
    "renameTable",
    "renameView",
    "setColumnRemarks",
    "setTableRemarks",
    "sql",
    "sqlFile",
    "stop",
    "update",
];

/// Precondition container attributes (`PreconditionContainer.load`, 4.28.0).
pub(super) const PRECONDITION_ATTRIBUTES: &[&str] = &[
    "onFail",
    "onError",
    "onFailMessage",
    "onErrorMessage",
    "onSqlOutput",
    "onUpdateSQL",
    "onUpdateSql",
];

/// Preconditions lbmongo evaluates.
pub(super) const PRECONDITION_NAMES: &[&str] = &[
    "and",
    "or",
    "not",
    "collectionExists",
    "documentExists",
    "expectedDocumentCount",
    "indexExists",
    "changeSetExecuted",
    "dbms",
];

/// Core preconditions that query SQL metadata or run SQL (liquibase-core
/// `liquibase.precondition.core`, 4.28.0).
pub(super) const SQL_PRECONDITIONS: &[&str] = &[
    "sqlCheck",
    "tableExists",
    "columnExists",
    "viewExists",
    "foreignKeyConstraintExists",
    "primaryKeyExists",
    "sequenceExists",
    "runningAs",
    "rowCount",
    "tableIsEmpty",
    "uniqueConstraintExists",
    "expectedQuotingStrategy",
];

/// Root elements of a changelog (`DatabaseChangeLog.handleChildNode`, 4.28.0).
pub(super) const CHANGE_LOG_ELEMENTS: &[&str] = &[
    "property",
    "preConditions",
    "changeSet",
    "include",
    "includeAll",
    "modifyChangeSets",
    "removeChangeSetProperty",
];

/// `<include>` attributes (DatabaseChangeLog.include, 4.28.0, and `logicalFilePath` of 4.30), in
/// the order unknown-attribute hints list them. Formatted files' `// include` lines take the
/// same names.
pub(in crate::format) const INCLUDE_ATTRIBUTES: &[&str] = &[
    "file",
    "relativeToChangelogFile",
    "errorIfMissing",
    "context",
    "contextFilter",
    "labels",
    "ignore",
    "logicalFilePath",
];

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// The candidates closest to `name` (case-insensitive edit distance of at most a third of the
/// length, and at least 2), best first, at most three.
fn near_names<'a>(name: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(2))
        .collect();
    scored.sort_by_key(|(d, _)| *d);
    scored.dedup_by_key(|(_, c)| *c);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// ``did you mean `a`?`` / ``did you mean `a` or `b`?``, or `None`.
pub(super) fn did_you_mean(name: &str, candidates: &[&str]) -> Option<String> {
    let near = near_names(name, candidates);
    let quoted: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
    }
}

pub(super) fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn is_change_name(name: &str) -> bool {
    CHANGE_NAMES.contains(&name) || SQL_CHANGES.contains(&name)
}

pub(super) fn sql_change_hint(name: &str) -> String {
    match name {
        "createTable" => "use `createCollection`".into(),
        "dropTable" => "use `dropCollection`".into(),
        "insert" => "use `insertOne` or `insertMany`".into(),
        "loadData" | "loadUpdateData" => "use `insertMany`".into(),
        "update" => "use `updateOne`/`updateMany`, or `runCommand` with an `update` command".into(),
        "delete" => "use `deleteOne`/`deleteMany`, or `runCommand` with a `delete` command".into(),
        "sql" | "sqlFile" => {
            "use `runCommand`, or `mongo`/`mongoFile` in a changeSet with runWith=\"mongosh\""
                .into()
        }
        "createView" => "use `createCollection` with `viewOn` and `pipeline` options".into(),
        "renameTable" => "use `adminCommand` with a `renameCollection` command".into(),
        _ => format!("MongoDB changes are {}", backticked(CHANGE_NAMES)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_suggest_by_edit_distance() {
        let cases = [
            (
                "kyes",
                &["collectionName", "keys", "options"][..],
                Some("did you mean `keys`?"),
            ),
            (
                "collectionname",
                &["collectionName", "keys"][..],
                Some("did you mean `collectionName`?"),
            ),
            (
                "createIndx",
                CHANGE_NAMES,
                Some("did you mean `createIndex`?"),
            ),
            (
                "dropIndexes",
                CHANGE_NAMES,
                Some("did you mean `dropIndex`?"),
            ),
            ("insert1", CHANGE_NAMES, Some("did you mean `insertOne`?")),
            ("xyz", CHANGE_NAMES, None),
        ];
        for (name, candidates, expected) in cases {
            assert_eq!(
                did_you_mean(name, candidates).as_deref(),
                expected,
                "{name}"
            );
        }
    }
}
