//! A checks report as SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), the
//! format code-scanning services read: each finding is a result located at the changelog file
//! and the changeset's line, so it shows on the changelog itself.

use serde_json::{Value, json};

use super::builtin::CHECKS;
use super::{Report, Severity};

/// SARIF's level for a severity: INFO is a `note`, MINOR and MAJOR a `warning`, CRITICAL and
/// BLOCKER an `error`.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "note",
        Severity::Minor | Severity::Major => "warning",
        Severity::Critical | Severity::Blocker => "error",
    }
}

/// The report as one SARIF 2.1.0 log with one run; `version` is lbmongo's.
pub fn sarif(report: &Report, version: &str) -> Value {
    let rules: Vec<Value> = report
        .checks
        .iter()
        .map(|id| {
            let info = CHECKS.iter().find(|c| c.id == id);
            let severity = report
                .findings
                .iter()
                .find(|f| &f.check == id)
                .map(|f| f.severity)
                .or(info.map(|i| i.severity))
                .unwrap_or(Severity::Info);
            json!({
                "id": id,
                "shortDescription": { "text": info.map_or(id.as_str(), |i| i.description) },
                "defaultConfiguration": { "level": level(severity) },
                "properties": { "severity": severity.name() },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut physical = json!({ "artifactLocation": { "uri": f.file } });
            if let Some(line) = f.line {
                physical["region"] = json!({ "startLine": line });
            }
            let mut result = json!({
                "ruleId": f.check,
                "level": level(f.severity),
                "message": { "text": match &f.hint {
                    Some(h) => format!("{} (changeset `{}`). Hint: {h}", f.message, f.changeset),
                    None => format!("{} (changeset `{}`)", f.message, f.changeset),
                } },
                "locations": [{ "physicalLocation": physical }],
                "properties": {
                    "severity": f.severity.name(),
                    "returnCode": f.severity.exit_code(),
                    "changeset": f.changeset,
                },
            });
            if let Some(index) = report.checks.iter().position(|c| c == &f.check) {
                result["ruleIndex"] = json!(index);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "lbmongo",
                "version": version,
                "rules": rules,
            } },
            "results": results,
        }],
    })
}
