//! The format-neutral tree every changelog format is read into (Liquibase `ParsedNode`).
//!
//! XML, YAML, JSON and formatted `.js` readers each turn text into a `Node` tree and nothing
//! else; one loader turns nodes into the `ChangeLog` model, so every format obeys the same rules
//! and reports the same errors.
//!
//! Mapping, as Liquibase's parsers build `ParsedNode`s (4.28.0):
//! - XML: an element is a node named by its *local* name (namespaces and prefixes ignored); each
//!   attribute is a child node with a value; child elements are child nodes; the element's text
//!   (concatenated across comments and CDATA, trimmed, blank = none) is the value.
//! - YAML/JSON: a mapping key is a child node; a scalar is the value (booleans and numbers as
//!   their text); a list item that is a one-key mapping is a child node named by that key, a
//!   scalar list item is a child node with the parent's name. JSON `{"$rawJson": …}` is the value
//!   as Jackson pretty-prints it.

/// One node of a parsed changelog file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// Element or key name (`changeSet`, `createIndex`, `collectionName`, …).
    pub name: String,
    /// Scalar text, if any.
    pub value: Option<String>,
    /// Children in document order.
    pub children: Vec<Node>,
    /// 1-based line where the node starts, when the format gives one.
    pub line: Option<usize>,
}

impl Node {
    /// A node with a name and nothing else.
    pub fn new(name: impl Into<String>, line: Option<usize>) -> Self {
        Self {
            name: name.into(),
            value: None,
            children: Vec::new(),
            line,
        }
    }

    /// A leaf node carrying a value.
    pub fn leaf(name: impl Into<String>, value: impl Into<String>, line: Option<usize>) -> Self {
        Self {
            name: name.into(),
            value: Some(value.into()),
            children: Vec::new(),
            line,
        }
    }

    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The value of the first child with this name (attribute-style lookup).
    pub fn child_value(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(|c| c.value.as_deref())
    }
}

/// Tree builders and result checks shared by the XML, YAML and JSON readers' unit tests, which
/// compare whole trees and so spell nodes on every line of their tables.
#[cfg(test)]
pub(crate) mod fixture {
    use super::Node;
    use crate::error::Problem;

    /// A leaf with its value, at a line.
    pub(crate) fn leaf(name: &str, value: &str, line: usize) -> Node {
        Node::leaf(name, value, Some(line))
    }

    /// A node with neither value nor children, at a line.
    pub(crate) fn empty(name: &str, line: usize) -> Node {
        Node::new(name, Some(line))
    }

    /// A node with children and no value, at a line.
    pub(crate) fn parent(name: &str, line: usize, children: Vec<Node>) -> Node {
        Node {
            children,
            ..Node::new(name, Some(line))
        }
    }

    /// The tree a reader gave, or a panic that shows the problem it reported instead.
    pub(crate) fn expect_node(read: Result<Node, Problem>) -> Node {
        match read {
            Ok(node) => node,
            Err(p) => panic!("unexpected problem: {p}"),
        }
    }

    /// The problem a reader reported, or a panic that shows the tree it gave instead.
    pub(crate) fn expect_problem(read: Result<Node, Problem>) -> Problem {
        match read {
            Ok(node) => panic!("expected a problem, got {node:?}"),
            Err(p) => p,
        }
    }

    /// Reads each `(text, line, message)` case as `file` and checks it is rejected with exactly
    /// that line and message, naming `file`.
    pub(crate) fn assert_rejected(
        read: fn(&str, &str) -> Result<Node, Problem>,
        file: &str,
        cases: &[(&str, Option<usize>, &str)],
    ) {
        for &(text, line, message) in cases {
            let p = expect_problem(read(text, file));
            assert_eq!(
                (p.line, p.message.as_str()),
                (line, message),
                "input {text:?}"
            );
            assert_eq!(p.file, file);
        }
    }

    /// Checks that a problem carries a hint containing `fragment`.
    pub(crate) fn assert_hint_contains(p: &Problem, fragment: &str) {
        assert!(
            p.hint.as_deref().is_some_and(|h| h.contains(fragment)),
            "{p:?}"
        );
    }
}
