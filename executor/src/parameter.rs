//! Changelog parameters: `<property>` definitions and `${…}` expansion (Liquibase
//! `ChangeLogParameters`, `ExpressionExpander`, 4.33).
//!
//! A name is looked up case-insensitively, and the first definition that passes the run's
//! filters wins, in this order:
//! 1. the execution parameters `LIQUIBASE_EXECUTION_DEPLOYMENT_ID`,
//!    `LIQUIBASE_EXECUTION_CHANGELOG_FILE`, `LIQUIBASE_EXECUTION_CHANGESET_ID` and
//!    `LIQUIBASE_EXECUTION_CHANGESET_AUTHOR` (4.33; 4.28 has none);
//! 2. environment variables (4.33 never filters them);
//! 3. the built-in `database.*` values Liquibase sets for the liquibase-mongodb database;
//! 4. CLI `-Dname=value` and defaults-file `parameter.name` values;
//! 5. global `<property>` elements, in document order;
//! 6. local (`global="false"`) properties of the file, then of each file that included it
//!    (4.33; 4.28 looked only at the file itself), the last definition in a file first.
//!
//! Built-ins, CLI values and properties all pass through the run's context, label and dbms
//! filters, so even a built-in disappears under a required filter such as
//! `--label-filter=@a`: that is Liquibase's behaviour, kept.

use std::collections::HashMap;

use crate::java;

use crate::expression::{ContextExpression, Contexts, LabelExpression, Labels, definition_matches};

/// What `${name}` becomes when `name` is not defined (Liquibase `--missing-property-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingPropertyMode {
    /// Kept as written: `${name}` (Liquibase's default).
    #[default]
    Preserve,
    /// Replaced by the empty string.
    Empty,
    /// Expansion fails.
    Error,
}

/// How a run's parameters are set up.
#[derive(Debug, Clone, Default)]
pub struct ParameterOptions {
    /// The process environment, in the order it should be searched.
    pub env: Vec<(String, String)>,
    /// CLI `-Dname=value` values, then defaults-file `parameter.name` values.
    pub cli: Vec<(String, String)>,
    /// `--missing-property-mode`.
    pub missing: MissingPropertyMode,
    /// `--support-property-escaping`: `${:name}` stands for the literal `${name}`.
    pub escaping: bool,
    /// The run's `--context-filter`, which `<property context>` is matched against.
    pub contexts: Contexts,
    /// The run's `--label-filter`, which `<property labels>` is matched against.
    pub labels: LabelExpression,
    /// The database's Liquibase short name (`mongodb`), which `<property dbms>` is matched
    /// against and which `database.typeName` holds.
    pub database_short_name: String,
    /// `database.databaseChangeLogTableName`.
    pub changelog_table: String,
    /// `database.databaseChangeLogLockTableName`.
    pub changelog_lock_table: String,
}

/// Facts about the connected database that some `database.*` built-ins report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseInfo {
    /// The URL's database: `database.defaultCatalogName`, `database.defaultSchemaName` and
    /// `database.liquibaseSchemaName` (the extension has no schemas, so Liquibase falls back to
    /// the catalog).
    pub database_name: String,
    /// `buildInfo.version`: `database.databaseProductVersion`.
    pub server_version: String,
    /// The connection URL: `database.isSafeToRunUpdate` is true when it names `localhost` or
    /// `127.0.0.1`.
    pub url: String,
}

/// One `<property>` (or a `.properties` file entry), with its filters as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PropertyDef {
    /// `name`.
    pub name: String,
    /// `value`, as written (it is expanded when used).
    pub value: String,
    /// The logical path of the changelog that defines it: local properties belong to it.
    pub file: String,
    /// `global` (Liquibase's default is true).
    pub global: bool,
    /// `contextFilter` or `context`.
    pub context: Option<String>,
    /// `labels`.
    pub labels: Option<String>,
    /// `dbms`.
    pub dbms: Option<String>,
}

/// One definition (Liquibase `ChangeLogParameters.ChangeLogParameter`).
#[derive(Debug, Clone)]
struct Parameter {
    name: String,
    /// `None` for a built-in Liquibase sets to null: it still shadows later definitions.
    value: Option<String>,
    contexts: ContextExpression,
    labels: Labels,
    /// The `dbms` list split on commas and trimmed, case kept; `None` when absent or empty.
    dbms: Option<Vec<String>>,
    /// False for environment variables, which 4.33 never filters.
    filterable: bool,
}

impl Parameter {
    fn plain(name: &str, value: Option<&str>, filterable: bool) -> Parameter {
        Parameter {
            name: name.to_owned(),
            value: value.map(str::to_owned),
            contexts: ContextExpression::default(),
            labels: Labels::default(),
            dbms: None,
            filterable,
        }
    }

    fn has_filters(&self) -> bool {
        !self.contexts.is_empty()
            || !self.labels.is_empty()
            || self.dbms.as_ref().is_some_and(|d| !d.is_empty())
    }
}

/// The execution parameters of 4.33 (`ChangeLogParameters.LiquibaseExecutionParameter`).
const DEPLOYMENT_ID: &str = "LIQUIBASE_EXECUTION_DEPLOYMENT_ID";
const CHANGELOG_FILE: &str = "LIQUIBASE_EXECUTION_CHANGELOG_FILE";
const CHANGESET_ID: &str = "LIQUIBASE_EXECUTION_CHANGESET_ID";
const CHANGESET_AUTHOR: &str = "LIQUIBASE_EXECUTION_CHANGESET_AUTHOR";

/// A run's changelog parameters.
#[derive(Debug, Clone)]
pub struct ChangeLogParameters {
    system: Vec<Parameter>,
    builtin: Vec<Parameter>,
    global: Vec<Parameter>,
    local: HashMap<String, Vec<Parameter>>,
    /// Included file -> the file that included it.
    parents: HashMap<String, String>,
    missing: MissingPropertyMode,
    escaping: bool,
    contexts: Contexts,
    labels: LabelExpression,
    database_short_name: String,
    deployment_id: Option<String>,
    change_set: Option<(String, String)>,
}

/// Where an expansion happens: the changelog file and the changeset being read, if any.
struct Scope<'a> {
    file: &'a str,
    change_set: Option<(&'a str, &'a str)>,
}

/// The `database.*` built-ins in the order `ChangeLogParameters(Database)` sets them, with the
/// values `MongoLiquibaseDatabase` (via `AbstractNoSqlDatabase`, `AbstractNoSqlConnection` and
/// `AbstractJdbcDatabase`) returns. `None` is a Java null.
fn builtins(options: &ParameterOptions, info: Option<&DatabaseInfo>) -> Vec<Parameter> {
    let database_name = info.map(|i| i.database_name.as_str());
    let schema_prefix = database_name
        .filter(|n| !java::trim(n).is_empty())
        .map_or_else(String::new, |n| format!(".{n}"));
    let safe_to_run = info.map_or("true", |i| {
        if i.url.contains("localhost") || i.url.contains("127.0.0.1") {
            "true"
        } else {
            "false"
        }
    });
    // Without a connection Liquibase reports major 999, minor -1; the extension's connection
    // reports 0 and 0.
    let (major, minor) = if info.is_some() {
        ("0", "0")
    } else {
        ("999", "-1")
    };
    let values: [(&str, Option<&str>); 24] = [
        ("database.autoIncrementClause", None),
        ("database.currentDateTimeFunction", None),
        (
            "database.databaseChangeLogLockTableName",
            Some(&options.changelog_lock_table),
        ),
        (
            "database.databaseChangeLogTableName",
            Some(&options.changelog_table),
        ),
        ("database.databaseMajorVersion", Some(major)),
        ("database.databaseMinorVersion", Some(minor)),
        ("database.databaseProductName", Some("MongoDB")),
        (
            "database.databaseProductVersion",
            info.map(|i| i.server_version.as_str()),
        ),
        ("database.defaultCatalogName", database_name),
        ("database.defaultSchemaName", database_name),
        ("database.defaultSchemaNamePrefix", Some(&schema_prefix)),
        ("database.lineComment", Some("//")),
        ("database.liquibaseSchemaName", database_name),
        ("database.typeName", Some(&options.database_short_name)),
        ("database.isSafeToRunUpdate", Some(safe_to_run)),
        ("database.requiresPassword", Some("false")),
        ("database.requiresUsername", Some("false")),
        ("database.supportsForeignKeyDisable", Some("false")),
        ("database.supportsInitiallyDeferrableColumns", Some("false")),
        ("database.supportsRestrictForeignKeys", Some("false")),
        ("database.supportsSchemas", Some("false")),
        ("database.supportsSequences", Some("false")),
        ("database.supportsTablespaces", Some("false")),
        ("database.supportsNotNullConstraintNames", Some("false")),
    ];
    values
        .into_iter()
        .map(|(name, value)| Parameter::plain(name, value, true))
        .collect()
}

/// `StringUtil.splitAndTrim(dbms, ",")` as `ChangeLogParameters.set` applies it: no
/// lowercasing, so a property's `dbms` is compared case-sensitively (unlike a changeset's).
fn property_dbms(dbms: Option<&str>) -> Option<Vec<String>> {
    let dbms = dbms.filter(|d| !d.is_empty())?;
    let mut parts: Vec<&str> = dbms.split(',').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    Some(
        parts
            .into_iter()
            .map(|p| java::trim(p).to_owned())
            .collect(),
    )
}

impl ChangeLogParameters {
    /// The parameters of a run before any `<property>` is read: environment, built-ins (as if
    /// no connection were open; see [`ChangeLogParameters::set_database`]), then CLI values.
    pub fn new(options: ParameterOptions) -> Self {
        let system = options
            .env
            .iter()
            .map(|(name, value)| Parameter::plain(name, Some(value), false))
            .collect();
        let builtin = builtins(&options, None);
        let global = options
            .cli
            .iter()
            .map(|(name, value)| Parameter::plain(name, Some(value), true))
            .collect();
        ChangeLogParameters {
            system,
            builtin,
            global,
            local: HashMap::new(),
            parents: HashMap::new(),
            missing: options.missing,
            escaping: options.escaping,
            contexts: options.contexts,
            labels: options.labels,
            database_short_name: options.database_short_name,
            deployment_id: None,
            change_set: None,
        }
    }

    /// Fills the connection-dependent built-ins (`database.defaultCatalogName`,
    /// `database.databaseProductVersion`, `database.isSafeToRunUpdate`, …) with what Liquibase
    /// reports once connected. Their place in the lookup order is unchanged.
    pub fn set_database(&mut self, info: &DatabaseInfo) {
        let options = ParameterOptions {
            database_short_name: self.database_short_name.clone(),
            changelog_table: self.builtin_value("database.databaseChangeLogTableName"),
            changelog_lock_table: self.builtin_value("database.databaseChangeLogLockTableName"),
            ..ParameterOptions::default()
        };
        self.builtin = builtins(&options, Some(info));
    }

    fn builtin_value(&self, name: &str) -> String {
        self.builtin
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    }

    /// The value of `${LIQUIBASE_EXECUTION_DEPLOYMENT_ID}`.
    pub fn set_deployment_id(&mut self, deployment_id: &str) {
        self.deployment_id = Some(deployment_id.to_owned());
    }

    /// The changeset being read, for `${LIQUIBASE_EXECUTION_CHANGESET_ID}` and
    /// `${LIQUIBASE_EXECUTION_CHANGESET_AUTHOR}` (its raw `id` and `author`); `None` outside a
    /// changeset, where they are undefined.
    pub fn set_change_set(&mut self, id_and_author: Option<(&str, &str)>) {
        self.change_set = id_and_author.map(|(id, author)| (id.to_owned(), author.to_owned()));
    }

    /// Records that `child` was included from `parent`: 4.33 lets `child` see `parent`'s local
    /// properties (those defined so far).
    pub fn include(&mut self, parent: &str, child: &str) {
        if parent != child {
            self.parents.insert(child.to_owned(), parent.to_owned());
        }
    }

    /// Adds a `<property>`. Its filters are applied when it is looked up, against the run's
    /// contexts, labels and database; a global one loses to any earlier definition of the
    /// name, a local one wins over earlier local ones of its file.
    ///
    /// Fails when its context expression is one Liquibase cannot evaluate.
    pub fn define(&mut self, p: PropertyDef) -> Result<(), String> {
        let contexts = ContextExpression::new(p.context.as_deref());
        contexts
            .validate()
            .map_err(|e| format!("property `{}`: {e}", p.name))?;
        let parameter = Parameter {
            name: p.name,
            value: Some(p.value),
            contexts,
            labels: Labels::new(p.labels.as_deref()),
            dbms: property_dbms(p.dbms.as_deref()),
            filterable: true,
        };
        if p.global {
            self.global.push(parameter);
        } else {
            self.local.entry(p.file).or_default().push(parameter);
        }
        Ok(())
    }

    /// Liquibase `ChangeLogParameters.Filter.matches`.
    fn passes_filters(&self, p: &Parameter) -> bool {
        if !p.filterable && !p.has_filters() {
            return true;
        }
        self.labels.matches(&p.labels)
            && p.contexts.matches(&self.contexts)
            && definition_matches(p.dbms.as_deref(), &self.database_short_name)
    }

    /// The value of `name` as seen from `file` (case-insensitive), or `None` when it is not
    /// defined or is a null built-in.
    pub fn get<'a>(&'a self, name: &str, file: &'a str) -> Option<&'a str> {
        let change_set = self
            .change_set
            .as_ref()
            .map(|(id, author)| (id.as_str(), author.as_str()));
        self.lookup(name, &Scope { file, change_set })
    }

    fn lookup<'a>(&'a self, name: &str, scope: &Scope<'a>) -> Option<&'a str> {
        let file = scope.file;
        let is = |wanted: &str| name.eq_ignore_ascii_case(wanted);
        if is(DEPLOYMENT_ID) {
            return self.deployment_id.as_deref();
        }
        if is(CHANGELOG_FILE) {
            return Some(file);
        }
        if is(CHANGESET_ID) {
            return scope.change_set.map(|(id, _)| id);
        }
        if is(CHANGESET_AUTHOR) {
            return scope.change_set.map(|(_, author)| author);
        }

        let same_name = |p: &&Parameter| p.name.to_lowercase() == name.to_lowercase();
        let globals = self.system.iter().chain(&self.builtin).chain(&self.global);
        if let Some(found) = globals.filter(same_name).find(|p| self.passes_filters(p)) {
            return found.value.as_deref();
        }

        let mut current = Some(file);
        let mut seen: Vec<&str> = Vec::new();
        while let Some(cl) = current {
            if seen.contains(&cl) {
                break;
            }
            seen.push(cl);
            if let Some(found) = self.local.get(cl).and_then(|list| {
                list.iter()
                    .rev()
                    .filter(same_name)
                    .find(|p| self.passes_filters(p))
            }) {
                return found.value.as_deref();
            }
            current = self.parents.get(cl).map(String::as_str);
        }
        None
    }

    /// Expands every `${name}` in `text` as Liquibase's `ExpressionExpander` does: nested
    /// expressions innermost first, values expanded in turn, an unclosed `${` kept as written,
    /// `${:name}` kept as the literal `${name}` when escaping is on, and an undefined name
    /// handled by the missing-property mode.
    ///
    /// Fails in `Error` mode on an undefined name, and on a value that refers back to itself
    /// (where Liquibase overflows its stack).
    pub fn expand(&self, text: &str, file: &str) -> Result<String, String> {
        let change_set = self
            .change_set
            .as_ref()
            .map(|(id, author)| (id.as_str(), author.as_str()));
        self.expand_in(text, &Scope { file, change_set })
    }

    /// [`ChangeLogParameters::expand`] while reading changeset `id` by `author` (their raw
    /// values), which `${LIQUIBASE_EXECUTION_CHANGESET_ID}` and `…_AUTHOR` report.
    pub fn expand_in_change_set(
        &self,
        text: &str,
        file: &str,
        id: &str,
        author: &str,
    ) -> Result<String, String> {
        let change_set = Some((id, author));
        self.expand_in(text, &Scope { file, change_set })
    }

    fn expand_in(&self, text: &str, scope: &Scope<'_>) -> Result<String, String> {
        // Without `${` nothing is expanded (`}` alone is plain text outside an expression): the
        // text is its own expansion. Every value of a changelog passes here, most without one.
        if !text.contains("${") {
            return Ok(text.to_owned());
        }
        let chars: Vec<char> = text.chars().collect();
        let mut pos = 0;
        let mut expanding = Vec::new();
        self.expand_from(&chars, &mut pos, scope, false, &mut expanding)
    }

    fn expand_from(
        &self,
        chars: &[char],
        pos: &mut usize,
        scope: &Scope<'_>,
        in_expression: bool,
        expanding: &mut Vec<String>,
    ) -> Result<String, String> {
        let mut out = String::new();
        while let Some(&c) = chars.get(*pos) {
            *pos += 1;
            if c == '$' && chars.get(*pos) == Some(&'{') {
                *pos += 1;
                let expression = self.expand_from(chars, pos, scope, true, expanding)?;
                out.push_str(&self.resolve(&expression, scope, expanding)?);
            } else if c == '}' && in_expression {
                return Ok(out);
            } else {
                out.push(c);
            }
        }
        if in_expression {
            // Never reached the closing `}`: the text stays as written.
            Ok(format!("${{{out}"))
        } else {
            Ok(out)
        }
    }

    /// What one `${expression}` (its inner expressions already expanded) becomes.
    fn resolve(
        &self,
        expression: &str,
        scope: &Scope<'_>,
        expanding: &mut Vec<String>,
    ) -> Result<String, String> {
        if expression.starts_with("${") {
            // An unclosed inner `${`: not actually an expression.
            return Ok(expression.to_owned());
        }
        if self.escaping
            && let Some(escaped) = expression.strip_prefix(':')
        {
            return Ok(format!("${{{}}}", java::trim(escaped)));
        }
        let name = java::trim(expression);
        let Some(value) = self.lookup(name, scope) else {
            return match self.missing {
                MissingPropertyMode::Preserve => Ok(format!("${{{expression}}}")),
                MissingPropertyMode::Empty => Ok(String::new()),
                MissingPropertyMode::Error => Err(format!(
                    "could not resolve expression `${{{expression}}}` in file `{}`: property `{name}` is not defined",
                    scope.file
                )),
            };
        };
        let key = name.to_lowercase();
        if expanding.contains(&key) {
            return Err(format!(
                "property `{name}` refers to itself (through `{}`)",
                expanding.join("` -> `")
            ));
        }
        expanding.push(key);
        let chars: Vec<char> = value.chars().collect();
        let mut pos = 0;
        let expanded = self.expand_from(&chars, &mut pos, scope, false, expanding);
        expanding.pop();
        expanded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn options() -> ParameterOptions {
        ParameterOptions {
            database_short_name: "mongodb".to_owned(),
            changelog_table: "DATABASECHANGELOG".to_owned(),
            changelog_lock_table: "DATABASECHANGELOGLOCK".to_owned(),
            ..ParameterOptions::default()
        }
    }

    fn property(name: &str, value: &str) -> PropertyDef {
        PropertyDef {
            name: name.to_owned(),
            value: value.to_owned(),
            file: "db/main.xml".to_owned(),
            global: true,
            ..PropertyDef::default()
        }
    }

    fn with_properties(options: ParameterOptions, defs: Vec<PropertyDef>) -> ChangeLogParameters {
        let mut params = ChangeLogParameters::new(options);
        for def in defs {
            params.define(def).expect("valid property");
        }
        params
    }

    #[test]
    fn precedence_env_then_builtins_then_cli_then_properties() {
        let params = with_properties(
            ParameterOptions {
                env: pairs(&[("SHARED", "env"), ("ENV_ONLY", "e")]),
                cli: pairs(&[
                    ("shared", "cli"),
                    ("cli_only", "c"),
                    ("database.typeName", "cli"),
                ]),
                ..options()
            },
            vec![
                property("Shared", "prop"),
                property("CLI_ONLY", "prop"),
                property("prop_only", "first"),
                property("PROP_ONLY", "second"),
            ],
        );
        let cases = [
            ("shared", Some("env")),
            ("SHARED", Some("env")),
            ("cli_only", Some("c")),
            ("prop_only", Some("first")),
            ("env_only", Some("e")),
            ("database.typeName", Some("mongodb")),
            ("DATABASE.TYPENAME", Some("mongodb")),
            (
                "database.databaseChangeLogTableName",
                Some("DATABASECHANGELOG"),
            ),
            (
                "database.databaseChangeLogLockTableName",
                Some("DATABASECHANGELOGLOCK"),
            ),
            ("database.lineComment", Some("//")),
            ("database.databaseProductName", Some("MongoDB")),
            ("database.supportsSchemas", Some("false")),
            // Null built-ins are defined but have no value.
            ("database.autoIncrementClause", None),
            ("missing", None),
        ];
        for (name, expected) in cases {
            assert_eq!(params.get(name, "db/main.xml"), expected, "{name}");
        }
    }

    #[test]
    fn null_builtins_shadow_later_definitions() {
        let params = with_properties(
            ParameterOptions {
                cli: pairs(&[("database.defaultCatalogName", "cli")]),
                ..options()
            },
            vec![property("database.currentDateTimeFunction", "now()")],
        );
        assert_eq!(params.get("database.defaultCatalogName", "f"), None);
        assert_eq!(params.get("database.currentDateTimeFunction", "f"), None);
    }

    #[test]
    fn connection_builtins() {
        let mut params = ChangeLogParameters::new(options());
        assert_eq!(
            params.get("database.databaseMajorVersion", "f"),
            Some("999")
        );
        params.set_database(&DatabaseInfo {
            database_name: "app".to_owned(),
            server_version: "7.0.2".to_owned(),
            url: "mongodb://localhost:27017/app".to_owned(),
        });
        let cases = [
            ("database.defaultCatalogName", Some("app")),
            ("database.defaultSchemaName", Some("app")),
            ("database.defaultSchemaNamePrefix", Some(".app")),
            ("database.liquibaseSchemaName", Some("app")),
            ("database.databaseProductVersion", Some("7.0.2")),
            ("database.isSafeToRunUpdate", Some("true")),
            ("database.databaseMajorVersion", Some("0")),
            (
                "database.databaseChangeLogTableName",
                Some("DATABASECHANGELOG"),
            ),
            ("database.typeName", Some("mongodb")),
        ];
        for (name, expected) in cases {
            assert_eq!(params.get(name, "f"), expected, "{name}");
        }
    }

    #[test]
    fn local_properties_last_wins_after_globals_and_visible_in_included_files() {
        let local = |name: &str, value: &str, file: &str| PropertyDef {
            global: false,
            file: file.to_owned(),
            ..property(name, value)
        };
        let mut params = with_properties(
            options(),
            vec![
                local("l", "one", "db/main.xml"),
                local("L", "two", "db/main.xml"),
                local("g", "local", "db/main.xml"),
                property("g", "global"),
                local("other", "x", "db/other.xml"),
            ],
        );
        params.include("db/main.xml", "db/child.xml");
        params
            .define(local("l", "child", "db/child.xml"))
            .expect("valid");
        let cases = [
            ("l", "db/main.xml", Some("two")),
            ("g", "db/main.xml", Some("global")),
            ("other", "db/main.xml", None),
            ("other", "db/other.xml", Some("x")),
            ("l", "db/other.xml", None),
            ("l", "db/child.xml", Some("child")),
            ("g", "db/child.xml", Some("global")),
        ];
        for (name, file, expected) in cases {
            assert_eq!(params.get(name, file), expected, "{name} in {file}");
        }
        let mut grandchild = params.clone();
        grandchild.include("db/child.xml", "db/grandchild.xml");
        assert_eq!(grandchild.get("l", "db/grandchild.xml"), Some("child"));
    }

    #[test]
    fn property_filters() {
        let filtered =
            |context: Option<&str>, labels: Option<&str>, dbms: Option<&str>| PropertyDef {
                context: context.map(str::to_owned),
                labels: labels.map(str::to_owned),
                dbms: dbms.map(str::to_owned),
                ..property("p", "filtered")
            };
        // (context filter, label filter, property, the value `p` gets; the fallback has no filters)
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            PropertyDef,
            Option<&'a str>,
        );
        let cases: &[Case<'_>] = &[
            (
                None,
                None,
                filtered(Some("dev"), None, None),
                Some("filtered"),
            ),
            (
                Some("dev"),
                None,
                filtered(Some("dev"), None, None),
                Some("filtered"),
            ),
            (
                Some("prod"),
                None,
                filtered(Some("dev"), None, None),
                Some("fallback"),
            ),
            (
                None,
                None,
                filtered(Some("@dev"), None, None),
                Some("fallback"),
            ),
            (
                Some("dev"),
                None,
                filtered(Some("@dev"), None, None),
                Some("filtered"),
            ),
            (
                None,
                Some("a"),
                filtered(None, Some("a"), None),
                Some("filtered"),
            ),
            (
                None,
                Some("b"),
                filtered(None, Some("a"), None),
                Some("fallback"),
            ),
            // Under a required label filter every property without labels is hidden.
            (None, Some("@a"), filtered(None, None, None), None),
            (
                None,
                Some("@a"),
                filtered(None, Some("A"), None),
                Some("filtered"),
            ),
            (
                None,
                None,
                filtered(None, None, Some("mongodb")),
                Some("filtered"),
            ),
            (
                None,
                None,
                filtered(None, None, Some("h2, mongodb")),
                Some("filtered"),
            ),
            (
                None,
                None,
                filtered(None, None, Some("h2")),
                Some("fallback"),
            ),
            (
                None,
                None,
                filtered(None, None, Some("!mongodb")),
                Some("fallback"),
            ),
            (
                None,
                None,
                filtered(None, None, Some("all")),
                Some("filtered"),
            ),
            (None, None, filtered(None, None, Some("")), Some("filtered")),
            // A property's dbms list is not lowercased, unlike a changeset's.
            (
                None,
                None,
                filtered(None, None, Some("MongoDB")),
                Some("fallback"),
            ),
            // Blank is one empty name, which is not mongodb.
            (
                None,
                None,
                filtered(None, None, Some(" ")),
                Some("fallback"),
            ),
        ];
        for (context_filter, label_filter, def, expected) in cases {
            let params = with_properties(
                ParameterOptions {
                    contexts: Contexts::parse(*context_filter),
                    labels: LabelExpression::parse(*label_filter).expect("valid"),
                    ..options()
                },
                vec![def.clone(), property("p", "fallback")],
            );
            assert_eq!(
                params.get("p", "db/main.xml"),
                *expected,
                "contexts {context_filter:?}, labels {label_filter:?}, {def:?}"
            );
        }
    }

    #[test]
    fn required_label_filter_hides_builtins_but_not_env() {
        let params = ChangeLogParameters::new(ParameterOptions {
            env: pairs(&[("HOME", "/root")]),
            cli: pairs(&[("x", "1")]),
            labels: LabelExpression::parse(Some("@a")).expect("valid"),
            ..options()
        });
        assert_eq!(params.get("HOME", "f"), Some("/root"));
        assert_eq!(params.get("database.typeName", "f"), None);
        assert_eq!(params.get("x", "f"), None);
    }

    #[test]
    fn define_rejects_unparseable_context() {
        let mut params = ChangeLogParameters::new(options());
        let err = params
            .define(PropertyDef {
                context: Some("(dev".to_owned()),
                ..property("p", "v")
            })
            .expect_err("bad context");
        assert!(
            err.starts_with("property `p`: cannot parse context expression"),
            "{err}"
        );
    }

    #[test]
    fn expansion() {
        let params = with_properties(
            ParameterOptions {
                env: pairs(&[("USER", "alice")]),
                ..options()
            },
            vec![
                property("coll", "people"),
                property("suffix", "ll"),
                property("greeting", "hello ${USER}"),
                property("indirect", "${greeting}!"),
                property("name_people", "P"),
                property("deep", "${name_${coll}}"),
                property("spaced", "s"),
                property("dollar", "$5"),
            ],
        );
        let cases = [
            ("plain text", "plain text"),
            ("${coll}", "people"),
            ("${COLL}.${Coll}", "people.people"),
            ("${ coll }", "people"),
            ("a${co${suffix}}b", "apeopleb"),
            ("${name_${coll}}", "P"),
            ("${indirect}", "hello alice!"),
            ("${deep}", "P"),
            ("${dollar}", "$5"),
            ("$$ ${coll}$", "$$ people$"),
            ("}{", "}{"),
            ("${unknown}", "${unknown}"),
            ("${ unknown }", "${ unknown }"),
            ("${un${coll}}", "${unpeople}"),
            ("${:coll}", "${:coll}"),
            ("${}", "${}"),
            // Unclosed expressions stay as written, inner ones expanded.
            ("${coll", "${coll"),
            ("x ${a${coll}", "x ${apeople"),
            ("${a${b", "${a${b"),
            ("$", "$"),
            ("${database.typeName}", "mongodb"),
            ("${LIQUIBASE_EXECUTION_CHANGELOG_FILE}", "db/main.xml"),
            (
                "${LIQUIBASE_EXECUTION_CHANGESET_ID}",
                "${LIQUIBASE_EXECUTION_CHANGESET_ID}",
            ),
            ("é ${coll} 😀", "é people 😀"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                params.expand(text, "db/main.xml").as_deref(),
                Ok(expected),
                "{text:?}"
            );
        }
    }

    #[test]
    fn missing_modes_and_escaping() {
        let make = |missing, escaping| {
            with_properties(
                ParameterOptions {
                    missing,
                    escaping,
                    ..options()
                },
                vec![property("a", "A")],
            )
        };
        let cases: &[(MissingPropertyMode, bool, &str, Result<&str, &str>)] = &[
            (MissingPropertyMode::Preserve, false, "x${b}y", Ok("x${b}y")),
            (MissingPropertyMode::Empty, false, "x${b}y", Ok("xy")),
            (
                MissingPropertyMode::Error,
                false,
                "x${b}y",
                Err(
                    "could not resolve expression `${b}` in file `db/main.xml`: property `b` is not defined",
                ),
            ),
            (MissingPropertyMode::Error, false, "${a}", Ok("A")),
            (MissingPropertyMode::Preserve, true, "${:a}", Ok("${a}")),
            (MissingPropertyMode::Preserve, true, "${: a }", Ok("${a}")),
            (MissingPropertyMode::Preserve, true, "${:${a}}", Ok("${A}")),
            (MissingPropertyMode::Error, true, "${:b}", Ok("${b}")),
            // Without escaping, `:a` is just an undefined name.
            (MissingPropertyMode::Empty, false, "${:a}", Ok("")),
            // Escaping only applies to a leading colon.
            (MissingPropertyMode::Preserve, true, "${ :a}", Ok("${ :a}")),
        ];
        for (missing, escaping, text, expected) in cases {
            let got = make(*missing, *escaping).expand(text, "db/main.xml");
            assert_eq!(
                got.as_deref().map_err(String::as_str),
                *expected,
                "{missing:?} escaping={escaping} {text:?}"
            );
        }
    }

    #[test]
    fn self_reference_is_an_error_not_a_stack_overflow() {
        let params = with_properties(
            options(),
            vec![
                property("a", "${b}"),
                property("b", "x${A}"),
                property("ok", "${c}${c}"),
                property("c", "C"),
            ],
        );
        let err = params.expand("${a}", "f").expect_err("cycle");
        assert_eq!(err, "property `A` refers to itself (through `a` -> `b`)");
        // Using a property twice is not a cycle.
        assert_eq!(params.expand("${ok}", "f").as_deref(), Ok("CC"));
    }

    #[test]
    fn execution_parameters() {
        let mut params = ChangeLogParameters::new(options());
        params.set_deployment_id("1234567890");
        assert_eq!(params.get("LIQUIBASE_EXECUTION_CHANGESET_ID", "f"), None);
        let cases = [
            ("${LIQUIBASE_EXECUTION_DEPLOYMENT_ID}", "1234567890"),
            ("${liquibase_execution_changeset_id}", "cs-1"),
            ("${LIQUIBASE_EXECUTION_CHANGESET_AUTHOR}", "bob"),
            ("${LIQUIBASE_EXECUTION_CHANGELOG_FILE}", "db/x.yaml"),
        ];
        for (text, expected) in cases {
            let got = params.expand_in_change_set(text, "db/x.yaml", "cs-1", "bob");
            assert_eq!(got.as_deref(), Ok(expected), "{text}");
        }
        assert_eq!(
            params
                .expand("${LIQUIBASE_EXECUTION_CHANGESET_AUTHOR}", "f")
                .as_deref(),
            Ok("${LIQUIBASE_EXECUTION_CHANGESET_AUTHOR}")
        );
        params.set_change_set(Some(("id", "me")));
        assert_eq!(
            params.get("LIQUIBASE_EXECUTION_CHANGESET_ID", "f"),
            Some("id")
        );
        params.set_change_set(None);
        assert_eq!(params.get("LIQUIBASE_EXECUTION_CHANGESET_ID", "f"), None);
    }
}
