//! Changelog parameters: `<property>` definitions and `${…}` expansion (Liquibase
//! `ChangeLogParameters`, `ExpressionExpander`).
