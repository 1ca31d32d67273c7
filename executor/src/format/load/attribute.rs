//! Reading a node's text properties: attributes and child elements alike (Liquibase's
//! `ParsedNode` makes them the same), booleans, required values, and the unknown-attribute
//! checks every element goes through.
//!
//! JSON-ish properties are in `document`; what each element means is in its own module.

use super::vocabulary::{backticked, did_you_mean};
use super::{Loader, Site};
use crate::expression::ContextExpression;
use crate::format::node::Node;

impl Loader<'_> {
    /// Reports properties a change does not have.
    pub(super) fn check_fields(
        &mut self,
        node: &Node,
        change: &str,
        fields: &[&str],
        site: Site<'_>,
    ) {
        self.check_unknown(node, change, fields, site);
        if node.value.as_deref().is_some_and(|v| !v.trim().is_empty()) && change != "mongo" {
            self.report(
                site,
                format!(
                    "{change}: unexpected text; the properties are attributes or child elements"
                ),
                Some(format!("{change} takes {}", backticked(fields))),
            );
        }
    }

    pub(super) fn collection_name(
        &mut self,
        node: &Node,
        change: &str,
        site: Site<'_>,
    ) -> Option<String> {
        self.required_text(node, change, "collectionName", site)
    }

    /// The context expression of a changeset, include or property: `contextFilter`, or its older
    /// name `context` when `contextFilter` is absent or blank (as `ChangeSet.load` reads it,
    /// 4.28.0).
    pub(super) fn context_filter(&mut self, node: &Node, site: Site<'_>) -> Option<String> {
        let context = self.text(node, "contextFilter", site);
        if context.as_deref().is_none_or(|c| c.trim().is_empty()) {
            return self.text(node, "context", site);
        }
        context
    }

    /// `text`, with a value of only white space read as absent: the attributes read this way
    /// (ids, paths, `dbms`, `logicalFilePath`, …) mean nothing when blank.
    pub(super) fn non_blank(&mut self, node: &Node, field: &str, site: Site<'_>) -> Option<String> {
        self.text(node, field, site)
            .filter(|t| !t.trim().is_empty())
    }

    pub(super) fn required_text(
        &mut self,
        node: &Node,
        change: &str,
        field: &str,
        site: Site<'_>,
    ) -> Option<String> {
        match self.text_unless_reported(node, field, site)? {
            Some(v) if !v.trim().is_empty() => Some(v),
            _ => {
                self.report_required(node, change, field, site);
                None
            }
        }
    }

    /// `text`, or `None` when `text` itself reported a problem (a nested mapping or a repeated
    /// property), so that the same attribute is not reported twice.
    pub(super) fn text_unless_reported(
        &mut self,
        node: &Node,
        field: &str,
        site: Site<'_>,
    ) -> Option<Option<String>> {
        let mark = self.problems.len();
        let text = self.text(node, field, site);
        (self.problems.len() == mark).then_some(text)
    }

    /// Reports a required attribute that is blank (`is empty`) or absent (`missing required
    /// attribute`).
    pub(super) fn report_required(
        &mut self,
        node: &Node,
        change: &str,
        field: &str,
        site: Site<'_>,
    ) {
        let message = if node.child(field).is_some() {
            format!("{change}: `{field}` is empty")
        } else {
            format!("{change}: missing required attribute `{field}`")
        };
        self.report(site, message, None);
    }

    /// The text of property `name` (attribute or child element; Liquibase's ParsedNode makes
    /// them the same). A nested mapping where text belongs and a repeated property are
    /// reported (ParsedNode.getChild: "Multiple nodes match").
    pub(super) fn text(&mut self, node: &Node, name: &str, site: Site<'_>) -> Option<String> {
        let mut matching = node.children.iter().filter(|c| c.name == name);
        let first = matching.next()?;
        if matching.next().is_some() {
            self.report(
                site.at(first),
                format!("{}: `{name}` is given more than once", node.name),
                None,
            );
            return None;
        }
        if !first.children.is_empty() && first.value.is_none() {
            // liquibase-mongodb#207: the JSON parser silently drops a nested object here.
            self.report(
                site.at(first),
                format!("{}: `{name}` must be text, not a nested mapping", node.name),
                Some("wrap the object in {\"$rawJson\": …} or give it as a string".into()),
            );
            return None;
        }
        first.value.clone()
    }

    /// A boolean property: `true`/`false` (any case) or `1`/`0` as `xsd:boolean`.
    pub(super) fn flag(&mut self, node: &Node, name: &str, default: bool, site: Site<'_>) -> bool {
        match self.text(node, name, site) {
            None => default,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                "" => default,
                _ => {
                    self.report(
                        site,
                        format!(
                            "{}: `{name}` must be `true` or `false`, not `{v}`",
                            node.name
                        ),
                        None,
                    );
                    default
                }
            },
        }
    }

    /// Reports children of `node` not in `known`.
    pub(super) fn check_unknown(
        &mut self,
        node: &Node,
        what: &str,
        known: &[&str],
        site: Site<'_>,
    ) {
        for child in &node.children {
            let name = child.name.as_str();
            if known.contains(&name) {
                continue;
            }
            let hint = match name {
                "tableName" => {
                    Some("MongoDB changes name the collection with `collectionName`".to_owned())
                }
                _ => did_you_mean(name, known).or_else(|| {
                    (!known.is_empty()).then(|| format!("{what} takes {}", backticked(known)))
                }),
            };
            self.report(
                site.at(child),
                format!("{what}: unknown attribute `{name}`"),
                hint,
            );
        }
    }

    pub(super) fn check_context(&mut self, context: &ContextExpression, site: Site<'_>) {
        if let Err(message) = context.validate() {
            self.report(site, message, None);
        }
    }
}
