//! Formatted mongosh changelogs (`// liquibase formatted mongodb`) into the `Node` tree.
//!
//! The format is Liquibase Pro's formatted MongoDB changelog (spec mongo §11.9, core §4.4): the
//! line grammar of core's `AbstractFormattedChangeLogParser` (4.28–4.33) with `//` as the comment
//! sequence, so every directive regex of that class is mirrored here with `//` in place of `--`,
//! including its quirks (attribute tokens found anywhere on the changeset line, the last
//! occurrence winning; non-matching booleans reading as `false`; single-slash near misses
//! rejected). Each changeset holds one `mongo` change whose script is the changeset's body.
//!
//! This module only builds nodes: `${…}` expansion, defaults, `runWith` rules, include
//! resolution and checksums belong to the loader, as for the XML, YAML and JSON readers. The
//! body stays one script; splitting it into statements is the executor's business.
//!
//! Deviations from core, all on input Liquibase handles badly: a changeset whose body is empty
//! is a problem even when it is the last one (core silently reuses the previous body there); a
//! `/* liquibase rollback */` block keeps its line breaks (core glues the lines together, which
//! would change the meaning of JavaScript); only the header line sets the changelog's
//! `logicalFilePath`; `// include` and `// includeAll` end the changeset before them (core's
//! `changeSetFinished` hook, which Pro's include support uses); preconditions are rejected, as
//! the Pro documentation says they are not supported in this format.

use super::load::INCLUDE_ATTRIBUTES;
use super::strip_prefix_ignore_case;
use crate::error::Problem;
use crate::format::node::Node;
use crate::java;

/// Reads a formatted mongosh changelog into a `databaseChangeLog` node.
///
/// `file` names the changelog in problems. Each `// changeset author:id …` becomes a `changeSet`
/// node whose attributes are leaf children (`id`, `author`, `runWith`, `context`, …), followed by
/// `comment`, `validCheckSum`, a `mongo` change node (leaf child `mongo`: the trimmed body) and,
/// when the changeset has one, a `rollback` node. `// property`, `// include` and
/// `// includeAll` lines become `property`, `include` and `includeAll` nodes with leaf children.
pub fn read(text: &str, file: &str) -> Result<Node, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Reader {
        file,
        lines: Lines::new(text),
        root: Node::default(),
        open: None,
    }
    .run()
}

/// The documented header, used in messages.
const HEADER: &str = "// liquibase formatted mongodb";

/// Liquibase's attribute names for `// includeAll` lines (as in
/// `DatabaseChangeLog.handleChildNode`, 4.33), matched case-insensitively; `// include` lines take
/// the loader's [`INCLUDE_ATTRIBUTES`]. This list leaves out the Java class attributes
/// (`filter`, `resourceFilter`, `resourceComparator`) that `<includeAll>` also knows, and its
/// order is the one the unknown-attribute hint shows.
const INCLUDE_ALL_ATTRIBUTES: &[&str] = &[
    "path",
    "relativeToChangelogFile",
    "errorIfMissingOrEmpty",
    "context",
    "contextFilter",
    "labels",
    "ignore",
    "logicalFilePath",
    "minDepth",
    "maxDepth",
    "endsWithFilter",
];

struct Reader<'a> {
    file: &'a str,
    lines: Lines<'a>,
    root: Node,
    open: Option<OpenChangeSet>,
}

/// The changeset being read: its node so far and the text gathered for it.
struct OpenChangeSet {
    node: Node,
    /// `id::author`, for problems.
    key: String,
    line: usize,
    body: String,
    body_line: Option<usize>,
    rollback: String,
    rollback_line: Option<usize>,
    comment: Option<Node>,
}

impl<'a> Reader<'a> {
    fn run(mut self) -> Result<Node, Problem> {
        let header = self.header()?;
        self.root = Node::new("databaseChangeLog", Some(header.0));
        // As AbstractFormattedChangeLogParser.setLogicalFilePath: `logicalFilePath:` on the
        // header line names the whole file.
        if let Some(path) = last_attribute(header.1, "logicalFilePath:", non_space_star)
            && !path.is_empty()
        {
            self.root
                .children
                .push(Node::leaf("logicalFilePath", path, Some(header.0)));
        }
        while let Some((number, line)) = self.lines.next() {
            self.line(number, line)?;
        }
        self.close()?;
        Ok(self.root)
    }

    /// The first non-blank line, which must be the header (as `AbstractFormattedChangeLogParser
    /// .supports`: without it Liquibase does not treat the file as a formatted changelog).
    fn header(&self) -> Result<(usize, &'a str), Problem> {
        let mut probe = self.lines.clone();
        let found = probe.find(|(_, line)| !java::trim(line).is_empty());
        match found {
            Some((number, line)) if is_header(line) => Ok((number, line)),
            found => Err(Problem {
                file: self.file.to_owned(),
                line: found.map(|(number, _)| number),
                change_set: None,
                message: format!("missing header `{HEADER}` on the first line"),
                hint: Some(format!(
                    "a formatted mongosh changelog starts with `{HEADER}` (or `// liquibase formatted mongo`)"
                )),
            }),
        }
    }

    /// One line, in the order `AbstractFormattedChangeLogParser.parse` tries its patterns.
    fn line(&mut self, number: usize, line: &str) -> Result<(), Problem> {
        if is_property(line) {
            return self.property(number, line);
        }
        if is_alt_property(line) {
            return Err(self.unexpected(number, "// property name:<name> value:<value>"));
        }
        if let Some(argument) = ignore_lines(line) {
            return self.ignore_lines(number, argument);
        }
        if is_alt_ignore_lines(line) {
            return Err(self.unexpected(number, "// ignoreLines:<count|start>"));
        }
        if let Some((author, id)) = changeset(line) {
            return self.open_change_set(number, line, author, id);
        }
        if is_alt_changeset(line) {
            return Err(Problem {
                hint: Some(
                    "write `// changeset <author>:<id>` with no space after the colon; any `//` \
                     line starting with the word `changeset` is read as one"
                        .into(),
                ),
                ..self.unexpected(number, "// changeset <author>:<id>")
            });
        }
        if let Some((name, rest)) = include(line) {
            // Pro ends a changeset at an include (core's `changeSetFinished` hook), so the
            // include's changesets run between the changesets around it.
            self.close()?;
            let node = self.include(number, name, rest)?;
            self.root.children.push(node);
            return Ok(());
        }
        if self.open.is_some() {
            return self.change_set_line(number, line);
        }
        if comment(line).is_some() {
            return Err(self.problem(
                number,
                "`// comment` outside a changeset",
                Some("formatted changelogs allow comment lines only after a `// changeset` line"),
            ));
        }
        // Any other line before the first changeset is ignored, as in core.
        Ok(())
    }

    /// A line inside a changeset (`AbstractFormattedChangeLogParser.configureChangeSet`).
    fn change_set_line(&mut self, number: usize, line: &str) -> Result<(), Problem> {
        if let Some(text) = comment(line) {
            let open = self.open.as_mut().expect("called with an open changeset");
            // As ChangeSet.setComments: the last comment line wins.
            open.comment = Some(Node::leaf("comment", text, Some(number)));
            return Ok(());
        }
        if is_alt_comment(line) {
            return Err(self.unexpected(number, "// comment: <text>"));
        }
        if let Some(value) = valid_check_sum(line) {
            let open = self.open.as_mut().expect("called with an open changeset");
            open.node
                .children
                .push(Node::leaf("validCheckSum", value, Some(number)));
            return Ok(());
        }
        if is_alt_valid_check_sum(line) {
            return Err(self.unexpected(number, "// validCheckSum: <checksum>"));
        }
        if let Some(script) = rollback(line) {
            let open = self.open.as_mut().expect("called with an open changeset");
            open.rollback_line.get_or_insert(number);
            open.rollback.push_str(script);
            open.rollback.push('\n');
            return Ok(());
        }
        if is_alt_rollback(line) {
            return Err(self.unexpected(number, "// rollback <script>"));
        }
        if is_rollback_block_start(line) {
            return self.rollback_block(number);
        }
        if is_precondition(line) {
            return Err(self.problem(
                number,
                "preconditions are not supported in formatted mongodb changelogs",
                Some(
                    "move the changeset to an XML, YAML or JSON changelog to give it preconditions",
                ),
            ));
        }
        let open = self.open.as_mut().expect("called with an open changeset");
        if open.body_line.is_none() && !java::trim(line).is_empty() {
            open.body_line = Some(number);
        }
        open.body.push_str(line);
        open.body.push('\n');
        Ok(())
    }

    fn open_change_set(
        &mut self,
        number: usize,
        line: &str,
        author: &str,
        id: &str,
    ) -> Result<(), Problem> {
        self.close()?;
        let author = strip_enclosing_quotes(author);
        let id = strip_enclosing_quotes(id);
        if id.chars().all(|c| c == ':' || c == ' ') {
            return Err(self.problem(
                number,
                "the changeset id cannot be empty",
                Some("write `// changeset <author>:<id>`"),
            ));
        }
        let at = Some(number);
        let mut node = Node::new("changeSet", at);
        node.children.push(Node::leaf("id", id, at));
        node.children.push(Node::leaf("author", author, at));
        for (name, value) in change_set_attributes(line) {
            node.children.push(Node::leaf(name, value, at));
        }
        self.open = Some(OpenChangeSet {
            node,
            key: format!("{id}::{author}"),
            line: number,
            body: String::new(),
            body_line: None,
            rollback: String::new(),
            rollback_line: None,
            comment: None,
        });
        Ok(())
    }

    /// Ends the open changeset, if any, and appends its node to the root.
    fn close(&mut self) -> Result<(), Problem> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let OpenChangeSet {
            mut node,
            key,
            line,
            body,
            body_line,
            rollback,
            rollback_line,
            comment,
        } = open;
        let problem = |line: usize, message: &str| Problem {
            file: self.file.to_owned(),
            line: Some(line),
            change_set: Some(key.clone()),
            message: message.to_owned(),
            hint: None,
        };
        let script = java::trim(&body);
        if script.is_empty() {
            return Err(Problem {
                hint: Some("write the mongosh statements on the lines after `// changeset`".into()),
                ..problem(line, "no script for changeset")
            });
        }
        node.children.extend(comment);
        let body_at = body_line.or(Some(line));
        let mut change = Node::new("mongo", body_at);
        change.children.push(Node::leaf("mongo", script, body_at));
        node.children.push(change);
        let rollback_at = rollback_line.unwrap_or(line);
        if let Some(rollback) = rollback_node(&rollback, rollback_at)
            .map_err(|message| problem(rollback_at, &message))?
        {
            node.children.push(rollback);
        }
        self.root.children.push(node);
        Ok(())
    }

    /// `// property name:x value:y [global:…] [context:…] [labels:…] [dbms:…]`, as
    /// `AbstractFormattedChangeLogParser.handleProperty`.
    fn property(&mut self, number: usize, line: &str) -> Result<(), Problem> {
        let at = Some(number);
        let mut node = Node::new("property", at);
        let name = last_attribute(line, "name:", spaces_then_non_space);
        let value = last_attribute(line, "value:", non_space_plus);
        let (Some(name), Some(value)) = (name, value) else {
            return Err(self.unexpected(number, "// property name:<name> value:<value>"));
        };
        node.children.push(Node::leaf("name", name, at));
        node.children.push(Node::leaf("value", value, at));
        if let Some((key, context)) = context_attribute(line) {
            node.children.push(Node::leaf(key, context, at));
        }
        if let Some(labels) = last_attribute(line, "labels:", quoted_or_non_space) {
            node.children
                .push(Node::leaf("labels", strip_enclosing_quotes(labels), at));
        }
        if let Some(dbms) = last_attribute(line, "dbms:", dbms_value) {
            node.children.push(Node::leaf("dbms", java::trim(dbms), at));
        }
        if let Some(global) = last_attribute(line, "global:", non_space_plus) {
            node.children
                .push(Node::leaf("global", java_boolean(global), at));
        }
        self.root.children.push(node);
        Ok(())
    }

    /// `// ignoreLines:start` … `// ignoreLines:end`, or `// ignoreLines:<count>`.
    fn ignore_lines(&mut self, number: usize, argument: &str) -> Result<(), Problem> {
        if argument == "start" {
            while let Some((number, line)) = self.lines.next() {
                if let Some(argument) = ignore_lines(line) {
                    if argument == "end" {
                        break;
                    }
                } else if is_alt_ignore_lines_one_slash(line) {
                    return Err(self.unexpected(number, "// ignoreLines:end"));
                }
            }
            // As core: an unclosed block ignores the rest of the file.
            return Ok(());
        }
        let Ok(count) = argument.parse::<i64>() else {
            return Err(self.problem(
                number,
                &format!("unknown ignoreLines syntax: `{argument}`"),
                Some("write `// ignoreLines:<count>` or `// ignoreLines:start` … `// ignoreLines:end`"),
            ));
        };
        for _ in 0..count {
            if self.lines.next().is_none() {
                break;
            }
        }
        Ok(())
    }

    /// The lines after `/* liquibase rollback` up to the one ending in `*/`
    /// (`AbstractFormattedChangeLogParser.extractMultiLineRollBack`).
    fn rollback_block(&mut self, number: usize) -> Result<(), Problem> {
        let mut text = String::new();
        let mut closed = false;
        for (_, line) in self.lines.by_ref() {
            let end = line.trim_end_matches(java::is_space);
            if let Some(last) = end.strip_suffix("*/") {
                if !java::trim(last).is_empty() {
                    text.push_str(last);
                    text.push('\n');
                }
                closed = true;
                break;
            }
            text.push_str(line);
            text.push('\n');
        }
        if !closed {
            return Err(self.problem(
                number,
                "liquibase rollback comment is not closed",
                Some("end the `/* liquibase rollback` block with a line ending in `*/`"),
            ));
        }
        let open = self.open.as_mut().expect("called with an open changeset");
        open.rollback_line.get_or_insert(number);
        open.rollback.push_str(&text);
        Ok(())
    }

    /// `// include file:… […]` or `// includeAll path:… […]`.
    fn include(&self, number: usize, name: &'static str, rest: &str) -> Result<Node, Problem> {
        let (known, required) = match name {
            "include" => (INCLUDE_ATTRIBUTES, "file"),
            _ => (INCLUDE_ALL_ATTRIBUTES, "path"),
        };
        let at = Some(number);
        let mut node = Node::new(name, at);
        for token in tokens(rest) {
            let Some((key, value)) = token else {
                return Err(self.problem(
                    number,
                    &format!("`// {name}` takes `name:value` attributes"),
                    Some(&format!("write `// {name} {required}:<path>`")),
                ));
            };
            let Some(canonical) = known.iter().find(|k| k.eq_ignore_ascii_case(key)) else {
                return Err(self.problem(
                    number,
                    &format!("unknown attribute `{key}` in `// {name}`"),
                    Some(&format!("known attributes: {}", known.join(", "))),
                ));
            };
            node.children.push(Node::leaf(*canonical, value, at));
        }
        if node.child(required).is_none() {
            return Err(self.problem(
                number,
                &format!("`// {name}` needs `{required}:<path>`"),
                None,
            ));
        }
        Ok(node)
    }

    fn unexpected(&self, number: usize, expected: &str) -> Problem {
        self.problem(
            number,
            &format!("unexpected formatting: expected `{expected}`"),
            Some("directives start with two slashes, e.g. `// changeset alice:1 runWith:mongosh`"),
        )
    }

    fn problem(&self, number: usize, message: &str, hint: Option<&str>) -> Problem {
        Problem {
            file: self.file.to_owned(),
            line: Some(number),
            change_set: self.open.as_ref().map(|open| open.key.clone()),
            message: message.to_owned(),
            hint: hint.map(str::to_owned),
        }
    }
}

/// The `rollback` node for the gathered rollback text, as core's `handleRollbackSequence`:
/// `not required…` / `empty…` is an explicit no-op, text naming `changesetId` refers to
/// another changeset, anything else is a mongosh script.
fn rollback_node(text: &str, line: usize) -> Result<Option<Node>, String> {
    let script = java::trim(text);
    if script.is_empty() {
        return Ok(None);
    }
    let at = Some(line);
    let mut node = Node::new("rollback", at);
    let lower = script.to_ascii_lowercase();
    if lower.starts_with("not required") || lower.starts_with("empty") {
        node.children.push(Node::new("empty", at));
    } else if lower.contains("changesetid") {
        let flat: String = text.chars().filter(|c| *c != '\n' && *c != '\r').collect();
        let id = last_attribute(&flat, "changeSetId:", non_space_plus).map(java::trim);
        let author = last_attribute(&flat, "changesetAuthor:", non_space_plus).map(java::trim);
        let path = last_attribute(&flat, "changesetPath:", non_space_plus).map(java::trim);
        let id = id.ok_or_else(|| format!("`changesetId` not set in rollback block `{flat}`"))?;
        let author = author
            .ok_or_else(|| format!("`changesetAuthor` not set in rollback block `{flat}`"))?;
        node.children.push(Node::leaf("changeSetId", id, at));
        node.children
            .push(Node::leaf("changeSetAuthor", author, at));
        if let Some(path) = path {
            node.children.push(Node::leaf("changeSetPath", path, at));
        }
    } else {
        let mut change = Node::new("mongo", at);
        change.children.push(Node::leaf("mongo", script, at));
        node.children.push(change);
    }
    Ok(Some(node))
}

/// The attributes of a changeset line, as the `*_PATTERN` fields of
/// `AbstractFormattedChangeLogParser` read them: each one anywhere on the line, the last
/// occurrence winning, booleans through `Boolean.parseBoolean`.
fn change_set_attributes(line: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(run_with) = last_attribute(line, "runWith:", run_with_value) {
        out.push(("runWith", run_with.to_owned()));
    }
    if let Some((key, context)) = context_attribute(line) {
        out.push((key, context));
    }
    if let Some(labels) = last_attribute(line, "labels:", quoted_or_non_space) {
        out.push(("labels", strip_enclosing_quotes(labels).to_owned()));
    }
    if let Some(dbms) = last_attribute(line, "dbms:", dbms_value) {
        out.push(("dbms", dbms.to_owned()));
    }
    if let Some(path) = last_attribute(line, "logicalFilePath:", non_space_star)
        && !path.is_empty()
    {
        out.push(("logicalFilePath", path.to_owned()));
    }
    for (name, token) in [
        ("runOnChange", "runOnChange:"),
        ("runAlways", "runAlways:"),
        ("runInTransaction", "runInTransaction:"),
        ("failOnError", "failOnError:"),
    ] {
        if let Some(value) = last_attribute(line, token, word_plus) {
            out.push((name, java_boolean(value).to_owned()));
        }
    }
    if let Some(ignore) = last_attribute(line, "ignore:", word_star) {
        out.push(("ignore", java_boolean(ignore).to_owned()));
    }
    out
}

/// `contextFilter:` when present and non-empty, else `context:` (quotes stripped), with the
/// name that was used.
fn context_attribute(line: &str) -> Option<(&'static str, String)> {
    let filter = last_attribute(line, "contextFilter:", quoted_or_non_space)
        .filter(|value| !value.is_empty());
    let (key, value) = match filter {
        Some(value) => ("contextFilter", value),
        None => (
            "context",
            last_attribute(line, "context:", quoted_or_non_space)?,
        ),
    };
    Some((key, strip_enclosing_quotes(value).to_owned()))
}

// ---------------------------------------------------------------------------------------------
// Line patterns. Each mirrors one regex of AbstractFormattedChangeLogParser (4.33) with `//` as
// the comment sequence and `/` as the one-character near miss; Java's `matches()` semantics
// (the whole line must match), CASE_INSENSITIVE (ASCII only) and `\s` = [ \t\n\x0B\f\r].
// ---------------------------------------------------------------------------------------------

/// `^\s*//\s*liquibase\s*formatted.*`
fn is_header(line: &str) -> bool {
    after_double(skip_space(line), "liquibase")
        .and_then(|rest| strip_prefix_ignore_case(skip_space(rest), "formatted"))
        .is_some()
}

/// `\s*//[\s]*property\s+(.*:.*)\s+(.*:.*).*`: two `:` tokens separated by whitespace.
fn is_property(line: &str) -> bool {
    let Some(rest) = after_double(skip_space(line), "property") else {
        return false;
    };
    if !rest.starts_with(java::is_space) {
        return false;
    }
    let rest = &rest[1..];
    let Some(colon) = rest.find(':') else {
        return false;
    };
    let after = &rest[colon + 1..];
    after
        .find(java::is_space)
        .is_some_and(|space| after[space..].contains(':'))
}

/// `\s*?[/]+\s*property\s.*`
fn is_alt_property(line: &str) -> bool {
    let rest = skip_space(line);
    if !rest.starts_with('/') {
        return false;
    }
    strip_prefix_ignore_case(skip_space(rest.trim_start_matches('/')), "property")
        .is_some_and(|rest| rest.starts_with(java::is_space))
}

/// `//[\s]*ignoreLines:(\w+)`, returning the argument.
fn ignore_lines(line: &str) -> Option<&str> {
    let argument = after_double(line, "ignoreLines:")?;
    (!argument.is_empty() && argument.chars().all(is_word)).then_some(argument)
}

/// `/[\s]*?ignoreLines:(\w+).*$` or `//[\s]*ignore:(\w+)`.
fn is_alt_ignore_lines(line: &str) -> bool {
    let alt_ignore = after_double(line, "ignore:")
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(is_word));
    alt_ignore || is_alt_ignore_lines_one_slash(line)
}

/// `/[\s]*?ignoreLines:(\w+).*$`
fn is_alt_ignore_lines_one_slash(line: &str) -> bool {
    after_single(line, "ignoreLines:").is_some_and(|rest| rest.starts_with(is_word))
}

/// `\s*//[\s]*changeset\s+("[^"]+"|[^:]+):\s*("[^"]+"|\S+).*`, then core's check that the line
/// holds `<author>:<id>` with nothing between the colon and the id. Returns the raw groups.
fn changeset(line: &str) -> Option<(&str, &str)> {
    let rest = after_double(skip_space(line), "changeset")?;
    if !rest.starts_with(java::is_space) {
        return None;
    }
    let rest = skip_space(rest);
    let (author, after_author) = quoted(rest)
        .filter(|(_, after)| after.starts_with(':') && id_group(&after[1..]).is_some())
        .or_else(|| {
            let colon = rest.find(':').filter(|colon| *colon > 0)?;
            Some((&rest[..colon], &rest[colon..]))
        })?;
    let id = id_group(&after_author[1..])?;
    // Core's changeSetAuthorIdPattern: `changeset\s+` + quote(author + ":" + id) + `.*$`.
    after_author[1..].starts_with(id).then_some((author, id))
}

/// `\s*("[^"]+"|\S+)` after the colon of a changeset line.
fn id_group(text: &str) -> Option<&str> {
    let text = skip_space(text);
    if let Some((id, _)) = quoted(text) {
        return Some(id);
    }
    let id = non_space_star(text)?;
    (!id.is_empty()).then_some(id)
}

/// `/[\s]*changeset\s.*` or `\s*//[\s]*changeset[\s]*.*$`.
fn is_alt_changeset(line: &str) -> bool {
    let one_slash =
        after_single(line, "changeset").is_some_and(|rest| rest.starts_with(java::is_space));
    one_slash || after_double(skip_space(line), "changeset").is_some()
}

/// `//[\s]*comment:? (.*)`, returning the text.
fn comment(line: &str) -> Option<&str> {
    space_then_rest(after_double(line, "comment")?)
}

/// `/[\s]*comment:? (.*)` or `//[\s]*comments:? (.*)`.
fn is_alt_comment(line: &str) -> bool {
    let one_slash = after_single(line, "comment").and_then(space_then_rest);
    let plural = after_double(line, "comments").and_then(space_then_rest);
    one_slash.is_some() || plural.is_some()
}

/// `//[\s]*validCheckSum:? (.*)`, returning the value.
fn valid_check_sum(line: &str) -> Option<&str> {
    space_then_rest(after_double(line, "validCheckSum")?)
}

/// `^/[\s]*validCheckSum(.*)$`
fn is_alt_valid_check_sum(line: &str) -> bool {
    after_single(line, "validCheckSum").is_some()
}

/// `\s*//[\s]*rollback (.*)`, returning the script.
fn rollback(line: &str) -> Option<&str> {
    after_double(skip_space(line), "rollback ")
}

/// `\s*/[\s]*rollback\s.*`
fn is_alt_rollback(line: &str) -> bool {
    after_single(skip_space(line), "rollback").is_some_and(|rest| rest.starts_with(java::is_space))
}

/// `\s*/\*\s*liquibase\s*rollback\s*$`
fn is_rollback_block_start(line: &str) -> bool {
    skip_space(line)
        .strip_prefix("/*")
        .and_then(|rest| strip_prefix_ignore_case(skip_space(rest), "liquibase"))
        .and_then(|rest| strip_prefix_ignore_case(skip_space(rest), "rollback"))
        .is_some_and(|rest| rest.chars().all(java::is_space))
}

/// Core's `\s*//[\s]*preconditions(.*)`, `\s*//[\s]*precondition\-([a-zA-Z0-9-]+)( .*)?` and
/// the one-slash near miss `\s*/[\s]*precondition(.*)`.
fn is_precondition(line: &str) -> bool {
    let line = skip_space(line);
    if let Some(rest) = after_double(line, "precondition") {
        if strip_prefix_ignore_case(rest, "s").is_some() {
            return true;
        }
        let Some(name) = rest.strip_prefix('-') else {
            return false;
        };
        let end = name
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(name.len());
        return end > 0 && (end == name.len() || name[end..].starts_with(' '));
    }
    after_single(line, "precondition").is_some()
}

/// `\s*//\s*include\s+…` or `\s*//\s*includeAll\s+…`: the node name and the attributes text.
fn include(line: &str) -> Option<(&'static str, &str)> {
    let line = skip_space(line);
    let (name, rest) = match after_double(line, "includeAll") {
        Some(rest) => ("includeAll", rest),
        None => ("include", after_double(line, "include")?),
    };
    rest.starts_with(java::is_space).then_some((name, rest))
}

/// Whitespace-separated `key:value` tokens; a value may be double-quoted to hold spaces.
/// `None` marks a token without a colon.
fn tokens(text: &str) -> Vec<Option<(&str, &str)>> {
    let mut out = Vec::new();
    let mut rest = skip_space(text);
    while !rest.is_empty() {
        let end = rest.find(java::is_space).unwrap_or(rest.len());
        let Some(colon) = rest[..end].find(':').filter(|colon| *colon > 0) else {
            out.push(None);
            rest = skip_space(&rest[end..]);
            continue;
        };
        let key = &rest[..colon];
        let after = &rest[colon + 1..];
        let (value, next) = match after.strip_prefix('"') {
            Some(inner) => match inner.find('"') {
                Some(close) => (&inner[..close], &inner[close + 1..]),
                None => (inner, ""),
            },
            None => {
                let end = after.find(java::is_space).unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        out.push(Some((key, value)));
        rest = skip_space(next);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Pattern building blocks.
// ---------------------------------------------------------------------------------------------

/// Java's `\w`: ASCII letters, digits and `_`.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn skip_space(text: &str) -> &str {
    text.trim_start_matches(java::is_space)
}

/// `Boolean.parseBoolean`: `true` in any case is true, anything else false.
fn java_boolean(text: &str) -> &'static str {
    if text.eq_ignore_ascii_case("true") {
        "true"
    } else {
        "false"
    }
}

/// `StringUtil.stripEnclosingQuotes`: one pair of matching `"` or `'` around the text.
fn strip_enclosing_quotes(text: &str) -> &str {
    for quote in ['"', '\''] {
        if text.len() > 1
            && let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote))
        {
            return inner;
        }
    }
    text
}

/// `//[\s]*<keyword>` at the very start of `text`, the keyword case-insensitive (core's
/// `AbstractFormattedChangeLogParser` compiles every pattern `CASE_INSENSITIVE`): what follows.
fn after_double<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    strip_prefix_ignore_case(skip_space(text.strip_prefix("//")?), keyword)
}

/// `/[\s]*<keyword>` at the very start of `text` (the one-character near miss), the keyword
/// case-insensitive: what follows.
fn after_single<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    strip_prefix_ignore_case(skip_space(text.strip_prefix('/')?), keyword)
}

/// `:? (.*)` after a keyword: the text after the single space.
fn space_then_rest(text: &str) -> Option<&str> {
    text.strip_prefix(": ").or_else(|| text.strip_prefix(' '))
}

/// `"[^"]+"` at the start of `text`: the quoted token (quotes kept) and what follows.
fn quoted(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('"')?;
    let close = inner.find('"').filter(|close| *close > 0)?;
    Some((&text[..close + 2], &text[close + 2..]))
}

/// `.*<key>(<value>).*`: the value after the last occurrence of `key` (case-insensitive) for
/// which the value pattern matches, as a greedy `.*` prefix finds it.
fn last_attribute<'a>(
    line: &'a str,
    key: &str,
    value: fn(&'a str) -> Option<&'a str>,
) -> Option<&'a str> {
    let bytes = line.as_bytes();
    let key = key.as_bytes();
    (0..=bytes.len().checked_sub(key.len())?)
        .rev()
        .filter(|&at| bytes[at..at + key.len()].eq_ignore_ascii_case(key))
        .find_map(|at| value(&line[at + key.len()..]))
}

/// `(\S*)`
fn non_space_star(text: &str) -> Option<&str> {
    Some(&text[..text.find(java::is_space).unwrap_or(text.len())])
}

/// `(\S+)`
fn non_space_plus(text: &str) -> Option<&str> {
    non_space_star(text).filter(|value| !value.is_empty())
}

/// `\s*(\S++)`
fn spaces_then_non_space(text: &str) -> Option<&str> {
    non_space_plus(skip_space(text))
}

/// `(\w+)`
fn word_plus(text: &str) -> Option<&str> {
    word_star(text).filter(|value| !value.is_empty())
}

/// `(\w*)`
fn word_star(text: &str) -> Option<&str> {
    Some(&text[..text.find(|c: char| !is_word(c)).unwrap_or(text.len())])
}

/// `("[^"]*?"|\S*)` as in `CONTEXT_REGEX` / `LABELS_REGEX`: the shortest quoted text, or the
/// run of non-space characters.
fn quoted_or_non_space(text: &str) -> Option<&str> {
    if let Some(inner) = text.strip_prefix('"')
        && let Some(close) = inner.find('"')
    {
        return Some(&text[..close + 2]);
    }
    non_space_star(text)
}

/// `([\w\$\{\}]+)` as in `RUN_WITH_REGEX`.
fn run_with_value(text: &str) -> Option<&str> {
    let end = text.find(|c: char| !(is_word(c) || matches!(c, '$' | '{' | '}')));
    Some(&text[..end.unwrap_or(text.len())]).filter(|value| !value.is_empty())
}

/// `([^,][\w!,]+)` as in `DBMS_REGEX`: any first character but a comma, then word characters,
/// `!` and commas.
fn dbms_value(text: &str) -> Option<&str> {
    let first = text.chars().next().filter(|c| *c != ',')?;
    let tail = &text[first.len_utf8()..];
    let end = tail
        .find(|c: char| !(is_word(c) || matches!(c, '!' | ',')))
        .unwrap_or(tail.len());
    (end > 0).then(|| &text[..first.len_utf8() + end])
}

/// Lines as Java's `BufferedReader.readLine` splits them (`\n`, `\r\n` or `\r`), numbered from 1.
#[derive(Clone)]
struct Lines<'a> {
    rest: &'a str,
    number: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            rest: text,
            number: 0,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        self.number += 1;
        let (line, rest) = match self.rest.find(['\n', '\r']) {
            Some(end) => {
                let skip = if self.rest[end..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                (&self.rest[..end], &self.rest[end + skip..])
            }
            None => (self.rest, ""),
        };
        self.rest = rest;
        Some((self.number, line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line per node: indentation, name, `=value` and `@line`.
    fn render(node: &Node) -> String {
        fn walk(node: &Node, depth: usize, out: &mut String) {
            out.push_str(&"  ".repeat(depth));
            out.push_str(&node.name);
            if let Some(value) = &node.value {
                out.push_str(&format!("={value:?}"));
            }
            if let Some(line) = node.line {
                out.push_str(&format!(" @{line}"));
            }
            out.push('\n');
            for child in &node.children {
                walk(child, depth + 1, out);
            }
        }
        let mut out = String::new();
        walk(node, 0, &mut out);
        out
    }

    /// The expected rendering: a raw string with its common left margin removed.
    fn tree(text: &str) -> String {
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let margin = lines
            .iter()
            .map(|l| l.len() - l.trim_start().len())
            .min()
            .unwrap_or(0);
        lines
            .iter()
            .map(|l| format!("{}\n", &l[margin..]))
            .collect()
    }

    #[test]
    fn reads_changesets_into_nodes() {
        let cases = [
            (
                "one changeset with every kind of directive",
                "// liquibase formatted mongodb\n\
                 \n\
                 // changeset alice:1 runWith:mongosh labels:shop context:dev\n\
                 // comment: create the users\n\
                 // validCheckSum: 9:abc\n\
                 db.getCollection(\"users\").insertOne({ name: \"a\" });\n\
                 // rollback db.getCollection(\"users\").deleteMany({});\n\
                 \n",
                r#"
                databaseChangeLog @1
                  changeSet @3
                    id="1" @3
                    author="alice" @3
                    runWith="mongosh" @3
                    context="dev" @3
                    labels="shop" @3
                    validCheckSum="9:abc" @5
                    comment="create the users" @4
                    mongo @6
                      mongo="db.getCollection(\"users\").insertOne({ name: \"a\" });" @6
                    rollback @7
                      mongo @7
                        mongo="db.getCollection(\"users\").deleteMany({});" @7
                "#,
            ),
            (
                "the body keeps inner lines and ordinary comments, and is trimmed",
                "// liquibase formatted mongo\n\
                 // changeset bob:a\n\
                 \n\
                 \x20 db.a.insertOne({x: 1});\n\
                 // a plain comment stays in the script\n\
                 db.b.insertOne({y: 2});\n\
                 \n\
                 // changeset bob:b\n\
                 db.c.drop()\n",
                r#"
                databaseChangeLog @1
                  changeSet @2
                    id="a" @2
                    author="bob" @2
                    mongo @4
                      mongo="db.a.insertOne({x: 1});\n// a plain comment stays in the script\ndb.b.insertOne({y: 2});" @4
                  changeSet @8
                    id="b" @8
                    author="bob" @8
                    mongo @9
                      mongo="db.c.drop()" @9
                "#,
            ),
            (
                "header options, quoted author and id, only the first colon splits",
                "//LIQUIBASE FORMATTED MONGODB logicalFilePath:db/shop.js\n\
                 // changeset \"Jane Doe\":\"id with spaces\"\n\
                 db.x.find()\n\
                 // changeset carol:2:b\n\
                 db.y.find()\n\
                 //ChangeSet dave:3 logicalFilePath:other.js\n\
                 db.z.find()\n",
                r#"
                databaseChangeLog @1
                  logicalFilePath="db/shop.js" @1
                  changeSet @2
                    id="id with spaces" @2
                    author="Jane Doe" @2
                    mongo @3
                      mongo="db.x.find()" @3
                  changeSet @4
                    id="2:b" @4
                    author="carol" @4
                    mongo @5
                      mongo="db.y.find()" @5
                  changeSet @6
                    id="3" @6
                    author="dave" @6
                    logicalFilePath="other.js" @6
                    mongo @7
                      mongo="db.z.find()" @7
                "#,
            ),
            (
                "attributes as core reads them: booleans, quoted context, contextFilter wins, last occurrence",
                "// liquibase formatted mongodb\n\
                 // changeset e:1 runOnChange:TRUE runAlways:yes failOnError:false runInTransaction:true ignore:true dbms:mongodb,!h2 context:\"a and b\" contextFilter:prod labels:'x,y' labels:z\n\
                 db.x.find()\n",
                r#"
                databaseChangeLog @1
                  changeSet @2
                    id="1" @2
                    author="e" @2
                    contextFilter="prod" @2
                    labels="z" @2
                    dbms="mongodb,!h2" @2
                    runOnChange="true" @2
                    runAlways="false" @2
                    runInTransaction="true" @2
                    failOnError="false" @2
                    ignore="true" @2
                    mongo @3
                      mongo="db.x.find()" @3
                "#,
            ),
            (
                "quoted context keeps its spaces; runWith may hold a property",
                "// liquibase formatted mongodb\n\
                 // changeset e:1 context:\"dev or test\" runWith:${executor}\n\
                 db.x.find()\n",
                r#"
                databaseChangeLog @1
                  changeSet @2
                    id="1" @2
                    author="e" @2
                    runWith="${executor}" @2
                    context="dev or test" @2
                    mongo @3
                      mongo="db.x.find()" @3
                "#,
            ),
            (
                "properties, inside and outside changesets",
                "// liquibase formatted mongodb\n\
                 // property name:coll value:orders global:false context:dev labels:l1 dbms:mongodb\n\
                 // changeset f:1\n\
                 // property name:limit value:10\n\
                 db.${coll}.find().limit(${limit})\n",
                r#"
                databaseChangeLog @1
                  property @2
                    name="coll" @2
                    value="orders" @2
                    context="dev" @2
                    labels="l1" @2
                    dbms="mongodb" @2
                    global="false" @2
                  property @4
                    name="limit" @4
                    value="10" @4
                  changeSet @3
                    id="1" @3
                    author="f" @3
                    mongo @5
                      mongo="db.${coll}.find().limit(${limit})" @5
                "#,
            ),
            (
                "rollback lines accumulate, and a rollback block keeps its lines",
                "// liquibase formatted mongodb\n\
                 // changeset g:1\n\
                 db.a.insertOne({})\n\
                 // rollback db.a.deleteMany({})\n\
                 /* liquibase rollback\n\
                 db.b.drop()\n\
                 db.c.drop() */\n\
                 // rollback db.d.drop()\n",
                r#"
                databaseChangeLog @1
                  changeSet @2
                    id="1" @2
                    author="g" @2
                    mongo @3
                      mongo="db.a.insertOne({})" @3
                    rollback @4
                      mongo @4
                        mongo="db.a.deleteMany({})\ndb.b.drop()\ndb.c.drop() \ndb.d.drop()" @4
                "#,
            ),
            (
                "special rollbacks: empty, and another changeset",
                "// liquibase formatted mongodb\n\
                 // changeset h:1\n\
                 db.a.find()\n\
                 // rollback not required\n\
                 // changeset h:2\n\
                 db.b.find()\n\
                 // rollback changesetId:1 changesetAuthor:h changesetPath:x.js\n",
                r#"
                databaseChangeLog @1
                  changeSet @2
                    id="1" @2
                    author="h" @2
                    mongo @3
                      mongo="db.a.find()" @3
                    rollback @4
                      empty @4
                  changeSet @5
                    id="2" @5
                    author="h" @5
                    mongo @6
                      mongo="db.b.find()" @6
                    rollback @7
                      changeSetId="1" @7
                      changeSetAuthor="h" @7
                      changeSetPath="x.js" @7
                "#,
            ),
            (
                "ignoreLines by count and by block; lines before the first changeset are ignored",
                "// liquibase formatted mongodb\n\
                 print('not part of any changeset')\n\
                 // changeset i:1\n\
                 // ignoreLines:2\n\
                 skipped one\n\
                 skipped two\n\
                 db.a.find()\n\
                 // ignoreLines:start\n\
                 // changeset not:seen\n\
                 // ignoreLines:end\n\
                 db.b.find()\n",
                r#"
                databaseChangeLog @1
                  changeSet @3
                    id="1" @3
                    author="i" @3
                    mongo @7
                      mongo="db.a.find()\ndb.b.find()" @7
                "#,
            ),
            (
                "include and includeAll end the changeset before them",
                "// liquibase formatted mongodb\n\
                 // changeset j:1\n\
                 db.a.find()\n\
                 // include file:more.js relativeToChangelogFile:true context:\"dev or test\"\n\
                 //includeAll path:all/ errorIfMissingOrEmpty:false\n\
                 // changeset j:2\n\
                 db.b.find()\n",
                r#"
                databaseChangeLog @1
                  changeSet @2
                    id="1" @2
                    author="j" @2
                    mongo @3
                      mongo="db.a.find()" @3
                  include @4
                    file="more.js" @4
                    relativeToChangelogFile="true" @4
                    context="dev or test" @4
                  includeAll @5
                    path="all/" @5
                    errorIfMissingOrEmpty="false" @5
                  changeSet @6
                    id="2" @6
                    author="j" @6
                    mongo @7
                      mongo="db.b.find()" @7
                "#,
            ),
            (
                "CRLF, CR and a byte order mark read like LF",
                "\u{feff}// liquibase formatted mongodb\r\n// changeset k:1\r\ndb.a.find();\r\ndb.b.find();\rdb.c.find();\r\n",
                r#"
                databaseChangeLog @1
                  changeSet @2
                    id="1" @2
                    author="k" @2
                    mongo @3
                      mongo="db.a.find();\ndb.b.find();\ndb.c.find();" @3
                "#,
            ),
            (
                "near misses that core leaves in the body stay in the body",
                "// liquibase formatted mongodb\n\
                 // changeset l:1\n\
                 // comment\n\
                 // rollback\n\
                 \x20 // comment: indented\n\
                 // validCheckSum:9:x\n\
                 // precondition-\n\
                 /* liquibase rollback db.x.drop() */\n",
                r#"
                databaseChangeLog @1
                  changeSet @2
                    id="1" @2
                    author="l" @2
                    mongo @3
                      mongo="// comment\n// rollback\n  // comment: indented\n// validCheckSum:9:x\n// precondition-\n/* liquibase rollback db.x.drop() */" @3
                "#,
            ),
        ];
        for (name, text, expected) in cases {
            let node = read(text, "shop.js").unwrap_or_else(|p| panic!("{name}: {p}"));
            assert_eq!(render(&node), tree(expected), "{name}");
        }
    }

    #[test]
    fn rejects_malformed_changelogs_with_a_line() {
        // (case, text, line, changeset, message)
        type Case = (
            &'static str,
            &'static str,
            Option<usize>,
            Option<&'static str>,
            &'static str,
        );
        let cases: [Case; 17] = [
            (
                "no header",
                "// changeset a:1\ndb.x.find()\n",
                Some(1),
                None,
                "missing header `// liquibase formatted mongodb` on the first line",
            ),
            (
                "header not first",
                "\n\ndb.x.find()\n// liquibase formatted mongodb\n",
                Some(3),
                None,
                "missing header `// liquibase formatted mongodb` on the first line",
            ),
            (
                "empty file",
                "",
                None,
                None,
                "missing header `// liquibase formatted mongodb` on the first line",
            ),
            (
                "empty body",
                "// liquibase formatted mongodb\n// changeset a:1\n// comment: nothing\n\n// changeset a:2\ndb.x.find()\n",
                Some(2),
                Some("1::a"),
                "no script for changeset",
            ),
            (
                "empty body of the last changeset",
                "// liquibase formatted mongodb\n// changeset a:1\ndb.x.find()\n// changeset a:2\n   \n",
                Some(4),
                Some("2::a"),
                "no script for changeset",
            ),
            (
                "single-slash changeset",
                "// liquibase formatted mongodb\n/ changeset a:1\ndb.x.find()\n",
                Some(2),
                None,
                "unexpected formatting: expected `// changeset <author>:<id>`",
            ),
            (
                "changeset without a colon",
                "// liquibase formatted mongodb\n// changeset alice\ndb.x.find()\n",
                Some(2),
                None,
                "unexpected formatting: expected `// changeset <author>:<id>`",
            ),
            (
                "space between colon and id",
                "// liquibase formatted mongodb\n// changeset alice: 1\ndb.x.find()\n",
                Some(2),
                None,
                "unexpected formatting: expected `// changeset <author>:<id>`",
            ),
            (
                "empty id",
                "// liquibase formatted mongodb\n// changeset alice:\"::\"\ndb.x.find()\n",
                Some(2),
                None,
                "the changeset id cannot be empty",
            ),
            (
                "comment outside a changeset",
                "// liquibase formatted mongodb\n// comment: too early\n// changeset a:1\ndb.x.find()\n",
                Some(2),
                None,
                "`// comment` outside a changeset",
            ),
            (
                "single-slash comment",
                "// liquibase formatted mongodb\n// changeset a:1\n/comment: x\ndb.x.find()\n",
                Some(3),
                Some("1::a"),
                "unexpected formatting: expected `// comment: <text>`",
            ),
            (
                "single-slash rollback",
                "// liquibase formatted mongodb\n// changeset a:1\ndb.x.find()\n/ rollback db.x.drop()\n",
                Some(4),
                Some("1::a"),
                "unexpected formatting: expected `// rollback <script>`",
            ),
            (
                "property without name and value pairs",
                "// liquibase formatted mongodb\n// property coll\n",
                Some(2),
                None,
                "unexpected formatting: expected `// property name:<name> value:<value>`",
            ),
            (
                "bad ignoreLines count",
                "// liquibase formatted mongodb\n// changeset a:1\n// ignoreLines:many\ndb.x.find()\n",
                Some(3),
                Some("1::a"),
                "unknown ignoreLines syntax: `many`",
            ),
            (
                "unclosed rollback block",
                "// liquibase formatted mongodb\n// changeset a:1\ndb.x.find()\n/* liquibase rollback\ndb.x.drop()\n",
                Some(4),
                Some("1::a"),
                "liquibase rollback comment is not closed",
            ),
            (
                "preconditions",
                "// liquibase formatted mongodb\n// changeset a:1\n// preconditions onFail:MARK_RAN\ndb.x.find()\n",
                Some(3),
                Some("1::a"),
                "preconditions are not supported in formatted mongodb changelogs",
            ),
            (
                "include without a file",
                "// liquibase formatted mongodb\n// include relativeToChangelogFile:true\n",
                Some(2),
                None,
                "`// include` needs `file:<path>`",
            ),
        ];
        for (name, text, line, change_set, message) in cases {
            let problem = read(text, "bad.js").expect_err(name);
            assert_eq!(problem.file, "bad.js", "{name}");
            assert_eq!(problem.line, line, "{name}");
            assert_eq!(problem.change_set.as_deref(), change_set, "{name}");
            assert_eq!(problem.message, message, "{name}");
        }
    }

    #[test]
    fn rejects_unknown_include_attributes_and_rollback_references_without_author() {
        let cases = [
            (
                "// liquibase formatted mongodb\n// includeAll path:x/ depth:2\n",
                "unknown attribute `depth` in `// includeAll`",
            ),
            (
                "// liquibase formatted mongodb\n// include file:a.js oops\n",
                "`// include` takes `name:value` attributes",
            ),
            (
                "// liquibase formatted mongodb\n// changeset a:1\ndb.x.find()\n// rollback changesetId:7\n",
                "`changesetAuthor` not set in rollback block `changesetId:7`",
            ),
        ];
        for (text, message) in cases {
            let problem = read(text, "bad.js").expect_err(message);
            assert_eq!(problem.message, message);
        }
    }

    #[test]
    fn line_patterns_match_like_core_regexes() {
        // (pattern, line, matches)
        type Pattern = fn(&str) -> bool;
        let cases: [(Pattern, &str, bool); 20] = [
            (is_header, "// liquibase formatted mongodb", true),
            (is_header, "  //LiquiBase  FORMATTED", true),
            (is_header, "/ liquibase formatted mongodb", false),
            (is_property, "// property name:a value:b", true),
            (is_property, "//property  name:a   value:b", true),
            (is_property, "// property name:a", false),
            (is_alt_property, "/ property name:a value:b", true),
            (is_alt_property, "// property a", true),
            (|l| changeset(l).is_some(), "// changeset a:b", true),
            (
                |l| changeset(l).is_some(),
                "\t//changeSet a:b extra:1",
                true,
            ),
            (|l| changeset(l).is_some(), "// changeset a : b", false),
            (|l| changeset(l).is_some(), "// changeset a:", false),
            (is_alt_changeset, "/changeset a:b", true),
            (is_alt_changeset, "// changesets are fun", true),
            (is_alt_changeset, "// change set", false),
            (|l| comment(l).is_some(), "//comment: x", true),
            (|l| comment(l).is_some(), " // comment: x", false),
            (is_alt_comment, "// comments: x", true),
            (is_rollback_block_start, " /*  Liquibase Rollback  ", true),
            (
                is_precondition,
                "// precondition-sql-check expectedResult:0 x",
                true,
            ),
        ];
        for (pattern, line, expected) in cases {
            assert_eq!(pattern(line), expected, "{line:?}");
        }
    }

    #[test]
    fn changeset_groups_follow_core_backtracking() {
        let cases = [
            ("// changeset alice:1", Some(("alice", "1"))),
            (
                "// changeset \"a:b\":\"c d\" x:y",
                Some(("\"a:b\"", "\"c d\"")),
            ),
            ("// changeset alice :1", Some(("alice ", "1"))),
            ("// changeset \"a b\" :c", Some(("\"a b\" ", "c"))),
            ("// changeset a:\"\"", Some(("a", "\"\""))),
        ];
        for (line, expected) in cases {
            assert_eq!(changeset(line), expected, "{line:?}");
        }
    }

    #[test]
    fn attribute_values_follow_core_regexes() {
        let cases = [
            (
                last_attribute("a name: x name:y", "name:", spaces_then_non_space),
                Some("y"),
            ),
            (
                last_attribute("dbms: mongodb", "dbms:", dbms_value),
                Some(" mongodb"),
            ),
            (last_attribute("dbms:,x", "dbms:", dbms_value), None),
            (
                last_attribute("runWith:${x}y", "runWith:", run_with_value),
                Some("${x}y"),
            ),
            (
                last_attribute("context:\"a b\" c", "context:", quoted_or_non_space),
                Some("\"a b\""),
            ),
            (
                last_attribute("CONTEXT:dev", "context:", quoted_or_non_space),
                Some("dev"),
            ),
            (
                last_attribute("runAlways:true runAlways:", "runAlways:", word_plus),
                Some("true"),
            ),
            (last_attribute("é", "dbms:", dbms_value), None),
        ];
        for (i, (actual, expected)) in cases.into_iter().enumerate() {
            assert_eq!(actual, expected, "case {i}");
        }
    }
}
