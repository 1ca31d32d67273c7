//! XML changelogs into the [`Node`] tree, as Liquibase's `XMLChangeLogSAXHandler` (4.28.0) builds
//! `ParsedNode`s from a namespace-aware SAX parser.
//!
//! - An element is a node named by its *local* name: prefixes and namespaces are ignored, so
//!   `<mongodb:createIndex>`, `<ext:createIndex>` and `<createIndex>` are the same node.
//! - Each attribute is a child leaf named by its local name, before the child elements, with its
//!   value as the XML parser delivers it: entities and character references decoded, and
//!   literal tabs and line breaks normalized to spaces (`&#10;` stays a line break). Namespace
//!   declarations (`xmlns`, `xmlns:x`) are not attributes; `xsi:schemaLocation` is one, named
//!   `schemaLocation`.
//! - The element's own text is every text and CDATA piece directly inside it, concatenated
//!   (comments and processing instructions leave no gap: `{ a<!--x-->: 1 }` is `{ a: 1 }`), then
//!   trimmed as Java's `String.trim()` trims (characters up to U+0020 only, so a no-break space
//!   stays). Text that trims to nothing is no value.
//! - Each node carries the line where its element or attribute starts.
//!
//! Liquibase validates XML changelogs against the XSD by default and then requires
//! `xsi:schemaLocation`; we do not validate, so files without it load here (and attributes the
//! XSD forbids, such as `command="…"`, load like child elements, as they do in Liquibase). A DTD
//! with internal entities is accepted, as Java's SAX parser accepts it.

use roxmltree::{Document, NodeType, ParsingOptions};

use super::node::Node;
use super::reader_problem;
use crate::error::Problem;
use crate::java;

/// The deepest element nesting read (the JSON reader's limit): the conversion and the loader
/// recurse once per level, and through JNI they run on JVM threads with 1 MB stacks.
const MAX_DEPTH: usize = 256;

/// Reads an XML changelog into its `databaseChangeLog` node.
pub fn read(text: &str, file: &str) -> Result<Node, Problem> {
    let problem = |line, message, hint| reader_problem(file, line, message, hint);
    if java::trim(text).is_empty() {
        // XMLChangeLogSAXParser: "Unable to parse empty file".
        return Err(problem(None, "unable to parse empty file".to_owned(), None));
    }
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| {
        let pos = e.pos();
        let message = e.to_string();
        let message = message
            .strip_suffix(&format!(" at {pos}"))
            .unwrap_or(&message);
        problem(
            Some(line_number(pos.row)),
            format!("malformed XML: {message}"),
            None,
        )
    })?;
    let root = doc.root_element();
    let lines = Lines::of(text);
    let line = lines.at(root.range().start);
    if root.tag_name().name() != "databaseChangeLog" {
        return Err(problem(
            Some(line),
            format!(
                "`databaseChangeLog` expected as root element, found `{}`",
                root.tag_name().name()
            ),
            Some(
                "an XML changelog starts with \
                 <databaseChangeLog xmlns=\"http://www.liquibase.org/xml/ns/dbchangelog\" ...>",
            ),
        ));
    }
    element(&lines, root, 1).map_err(|(line, message)| problem(Some(line), message, None))
}

/// One element and everything inside it.
fn element(
    lines: &Lines,
    el: roxmltree::Node<'_, '_>,
    depth: usize,
) -> Result<Node, (usize, String)> {
    let line = lines.at(el.range().start);
    if depth > MAX_DEPTH {
        return Err((
            line,
            format!("elements nest deeper than {MAX_DEPTH} levels"),
        ));
    }
    let mut node = Node::new(el.tag_name().name(), Some(line));
    for attr in el.attributes() {
        let line = lines.at(attr.range().start);
        node.children
            .push(Node::leaf(attr.name(), attr.value(), Some(line)));
    }
    // Text split by comments or CDATA is joined; the usual single piece is only borrowed.
    let mut text = std::borrow::Cow::Borrowed("");
    for child in el.children() {
        match child.node_type() {
            NodeType::Element => node.children.push(element(lines, child, depth + 1)?),
            NodeType::Text => {
                let piece = child.text().unwrap_or_default();
                if text.is_empty() {
                    text = std::borrow::Cow::Borrowed(piece);
                } else {
                    text.to_mut().push_str(piece);
                }
            }
            NodeType::Comment | NodeType::PI | NodeType::Root => {}
        }
    }
    let trimmed = java::trim(&text);
    if !trimmed.is_empty() {
        node.value = Some(trimmed.to_owned());
    }
    Ok(node)
}

/// Line numbers by byte offset, computed once per file: `Document::text_pos_at` scans from the
/// start of the text on every call, which made reading a changelog quadratic in its size
/// (measured by `make bench`: 88 % of `status` CPU at 1,000 changesets).
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn of(text: &str) -> Lines {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { starts }
    }

    /// The 1-based line holding byte `offset`.
    fn at(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

fn line_number(row: u32) -> usize {
    usize::try_from(row).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::node::fixture::{
        assert_hint_contains, assert_rejected, empty, expect_node, expect_problem, leaf, parent,
    };

    fn read_ok(text: &str) -> Node {
        expect_node(read(text, "db/changelog.xml"))
    }

    fn read_err(text: &str) -> Problem {
        expect_problem(read(text, "db/changelog.xml"))
    }

    const HEADER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:mongodb="http://www.liquibase.org/xml/ns/mongodb"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog
      http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-latest.xsd">
"#;

    fn changelog(body: &str) -> String {
        format!("{HEADER}{body}</databaseChangeLog>\n")
    }

    /// The `schemaLocation` attribute every test changelog starts with (line 5).
    fn schema_location() -> Node {
        leaf(
            "schemaLocation",
            "http://www.liquibase.org/xml/ns/dbchangelog       http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-latest.xsd",
            5,
        )
    }

    #[test]
    fn reads_node_shapes() {
        let cases: Vec<(&str, String, Node)> = vec![
            (
                "changeSet with attributes, changes and rollback forms",
                changelog(
                    r#"  <changeSet id="1" author="alice" runOnChange="true">
    <mongodb:createIndex collectionName="countries">
      <mongodb:keys>{ name: 1, type: 1}</mongodb:keys>
    </mongodb:createIndex>
    <rollback/>
    <rollback>   </rollback>
    <rollback>
      <mongodb:dropIndex collectionName="countries"/>
    </rollback>
    <validCheckSum>9:aaa</validCheckSum>
    <validCheckSum>ANY</validCheckSum>
  </changeSet>
"#,
                ),
                parent("databaseChangeLog", 2, vec![
                    schema_location(),
                    parent("changeSet", 7, vec![
                        leaf("id", "1", 7),
                        leaf("author", "alice", 7),
                        leaf("runOnChange", "true", 7),
                        parent("createIndex", 8, vec![
                            leaf("collectionName", "countries", 8),
                            leaf("keys", "{ name: 1, type: 1}", 9),
                        ]),
                        empty("rollback", 11),
                        empty("rollback", 12),
                        parent("rollback", 13, vec![parent("dropIndex", 14, vec![
                            leaf("collectionName", "countries", 14),
                        ])]),
                        leaf("validCheckSum", "9:aaa", 16),
                        leaf("validCheckSum", "ANY", 17),
                    ]),
                ]),
            ),
            (
                "text around a nested change is the rollback's value",
                changelog("<rollback> text <ext:dropCollection xmlns:ext=\"urn:x\" collectionName=\"c\"/> more </rollback>\n"),
                parent("databaseChangeLog", 2, vec![schema_location(), Node {
                    name: "rollback".into(),
                    value: Some("text  more".into()),
                    children: vec![parent("dropCollection", 7, vec![leaf("collectionName", "c", 7)])],
                    line: Some(7),
                }]),
            ),
            (
                "comments and CDATA inside JSON text",
                changelog(
                    r#"<mongodb:runCommand>
  <mongodb:command><!--@formatter:off-->{ buildInfo: 1 }<!--@formatter:on--></mongodb:command>
  <mongodb:options>
    <![CDATA[{ a: 1 } ]]>  <!-- c --> <![CDATA[ <b> ]]>
  </mongodb:options>
  <x>{ a<!-- gap -->: 1 }</x>
</mongodb:runCommand>
"#,
                ),
                parent("databaseChangeLog", 2, vec![schema_location(), parent("runCommand", 7, vec![
                    leaf("command", "{ buildInfo: 1 }", 8),
                    leaf("options", "{ a: 1 }     <b>", 9),
                    leaf("x", "{ a: 1 }", 12),
                ])]),
            ),
            (
                "entities, character references and attribute normalization",
                r#"<?xml version="1.0"?>
<!DOCTYPE databaseChangeLog [ <!ENTITY who "alice &amp; bob"> ]>
<databaseChangeLog>
  <changeSet id="1" author="&who;" a2="l1
l2	t &#10;nl &lt;&gt;&quot;&apos;">
    <comment>&#160;nbsp&#160; &#x1F600;</comment>
  </changeSet>
</databaseChangeLog>
"#
                .to_owned(),
                parent("databaseChangeLog", 3, vec![parent("changeSet", 4, vec![
                    leaf("id", "1", 4),
                    leaf("author", "alice & bob", 4),
                    leaf("a2", "l1 l2 t \nnl <>\"'", 4),
                    leaf("comment", "\u{a0}nbsp\u{a0} 😀", 6),
                ])]),
            ),
            (
                "preConditions with nested and/or/not",
                changelog(
                    r#"<preConditions onFail="MARK_RAN">
  <or>
    <mongodb:collectionExists collectionName="a"/>
    <not><mongodb:collectionExists collectionName="b"/></not>
    <and>
      <mongodb:expectedDocumentCount collectionName="c" expectedCount="0">
        <mongodb:filter>{}</mongodb:filter>
      </mongodb:expectedDocumentCount>
    </and>
  </or>
</preConditions>
"#,
                ),
                parent("databaseChangeLog", 2, vec![schema_location(), parent("preConditions", 7, vec![
                    leaf("onFail", "MARK_RAN", 7),
                    parent("or", 8, vec![
                        parent("collectionExists", 9, vec![leaf("collectionName", "a", 9)]),
                        parent("not", 10, vec![parent("collectionExists", 10, vec![leaf("collectionName", "b", 10)])]),
                        parent("and", 11, vec![parent("expectedDocumentCount", 12, vec![
                            leaf("collectionName", "c", 12),
                            leaf("expectedCount", "0", 12),
                            leaf("filter", "{}", 13),
                        ])]),
                    ]),
                ])]),
            ),
            (
                "no schemaLocation, prefixed root, CRLF line ends",
                "<lb:databaseChangeLog xmlns:lb=\"urn:lb\">\r\n<lb:property name=\"a\" value=\"b\"/>\r\n</lb:databaseChangeLog>".to_owned(),
                parent("databaseChangeLog", 1, vec![parent("property", 2, vec![
                    leaf("name", "a", 2),
                    leaf("value", "b", 2),
                ])]),
            ),
        ];
        for (what, text, expected) in cases {
            assert_eq!(read_ok(&text), expected, "{what}");
        }
    }

    #[test]
    fn reports_errors_with_lines() {
        let cases: Vec<(&str, Option<usize>, &str)> = vec![
            ("", None, "unable to parse empty file"),
            (" \n\t\n", None, "unable to parse empty file"),
            (
                "<databaseChangeLog>\n  <changeSet>\n</databaseChangeLog>",
                Some(3),
                "malformed XML: expected 'changeSet' tag, not 'databaseChangeLog'",
            ),
            (
                "<databaseChangeLog>\n<a b=\"1\" b=\"2\"/></databaseChangeLog>",
                Some(2),
                "malformed XML: attribute 'b' at 2:10 is already defined",
            ),
            (
                "<databaseChangeLog>&nope;</databaseChangeLog>",
                Some(1),
                "malformed XML: unknown entity reference 'nope'",
            ),
            (
                "<databaseChangeLog>\n\n<x>",
                Some(1),
                "malformed XML: the root node was opened but never closed",
            ),
            (
                "<?xml version=\"1.0\"?>\n<changeSet id=\"1\"/>",
                Some(2),
                "`databaseChangeLog` expected as root element, found `changeSet`",
            ),
        ];
        assert_rejected(read, "db/changelog.xml", &cases);
        let p = read_err("<x/>");
        assert_hint_contains(&p, "<databaseChangeLog");
    }

    #[test]
    fn limits_nesting_without_overflowing_the_stack() {
        let nested = |depth: usize| {
            format!(
                "<databaseChangeLog>{}{}</databaseChangeLog>",
                "<a>".repeat(depth),
                "</a>".repeat(depth)
            )
        };
        assert!(read(&nested(255), "f").is_ok());
        let p = read_err(&nested(256));
        assert_eq!(
            (p.line, p.message.as_str()),
            (Some(1), "elements nest deeper than 256 levels")
        );
        let p = read_err(&nested(100_000));
        assert_eq!(p.message, "elements nest deeper than 256 levels");
    }

    #[test]
    fn never_panics_on_truncated_input() {
        let text = changelog(
            "<changeSet id=\"é\" author=\"&amp;\"><mongodb:runCommand><mongodb:command><![CDATA[{ a: 1 }]]><!-- x --></mongodb:command></mongodb:runCommand></changeSet>\n",
        );
        for end in 0..=text.len() {
            if let Some(prefix) = text.get(..end) {
                let _ = read(prefix, "f");
            }
        }
    }
}
