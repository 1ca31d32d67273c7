//! YAML changelogs into the [`Node`] tree, as Liquibase's `YamlChangeLogParser` (4.28.0) reads them
//! with snakeyaml 2.x's `SafeConstructor` and `ParsedNode.setValue`.
//!
//! Syntax comes from `saphyr-parser` (a YAML 1.2 event parser that reports line numbers); typing
//! follows snakeyaml, which resolves plain scalars with YAML 1.1 rules. That matters because
//! Liquibase turns the typed value back into text with `toString()`:
//!
//! - `~`, `null`, `Null`, `NULL` and empty plain values are null: the node has no value.
//! - `yes`/`no`/`true`/`false`/`on`/`off` (any of lower, Capitalized, UPPER case) are booleans:
//!   `true` or `false` (`runOnChange: yes` reads as `true`).
//! - Integers (`0b…`, octal `0…`, decimal, `0x…`, sexagesimal `1:30`, `_` separators) become their
//!   decimal value: `010` is `8`, `1_000` is `1000`, `0x1F` is `31`, `-0` is `0`.
//! - Floats (`1.10`, `1e3`, `.5`, `.inf`, `.NaN`) become Java's `Double.toString`: `1.1`,
//!   `1000.0`, `0.5`, `Infinity`, `NaN` (so `id: 1.10` is changeset id `1.1`, as in Liquibase).
//! - Timestamps: `2020-01-01` is a `java.util.Date` whose `toString()` Liquibase stores, e.g.
//!   `Wed Jan 01 00:00:00 UTC 2020`; with a time of day and no zone it is `2001-12-14 21:59:43`;
//!   with a zone it is again a `Date` string. `Date.toString()` depends on the JVM's default time
//!   zone: we print what a JVM running in UTC prints (proleptic Gregorian calendar).
//! - Quoted and block scalars, and anything tagged `!!str` or `!`, stay text as written. `!!int`,
//!   `!!float`, `!!bool`, `!!null` and `!!timestamp` force a type; any other tag is an error, as
//!   in `SafeConstructor`.
//! - Scalars longer than snakeyaml's resolver limits (10 characters for booleans and nulls, 100
//!   for numbers, 50 for timestamps) stay text.
//!
//! Structure follows snakeyaml and `ParsedNode`:
//!
//! - The document must be a mapping; an empty document or `{}` is `empty file`; the
//!   `databaseChangeLog` key must exist and hold a list or nothing (`databaseChangeLog:` alone is
//!   an empty changelog).
//! - A mapping gives one child per key, in order. A repeated key keeps the last value at the
//!   position of the last occurrence; merge keys (`<<: *base`, `<<: [*a, *b]`) add the merged
//!   mapping's keys where the `<<` stands unless the mapping sets them itself.
//! - Lists follow `ParsedNode.setValue` exactly as the JSON reader documents
//!   (`json::Loaded`): mapping items spread their keys into children of the list's node
//!   (`changes: [{createIndex: …}]` gives `changes` → `createIndex`; a multi-key item gives one
//!   child per key); a single non-mapping item that is a scalar becomes the value
//!   (`validCheckSum: [x]` reads like `validCheckSum: x`); otherwise each non-mapping item is a
//!   child named like the list's node (`validCheckSum: [a, b]` gives two `validCheckSum`
//!   children; a nested list gives such a child with its own items).
//! - Anchors and aliases are expanded. As in snakeyaml, at most 50 aliases may refer to
//!   collections and collections nest at most 51 deep (its `LoaderOptions` defaults); an alias
//!   inside the node it refers to is an error (snakeyaml builds a cyclic object, which no node
//!   tree can hold); and the expanded tree must stay below about a million nodes.
//! - Only one document is allowed (`Yaml.load`).
//!
//! Extension (liquibase/liquibase-mongodb#129): a mapping value of the form `{$rawJson: <any>}`
//! becomes the same Jackson pretty-printed text the JSON reader produces, with the YAML values
//! typed as above (timestamps as their text). Liquibase itself has no such rule for YAML.
//!
//! Lines are 1-based: a key's child carries the key's line, a list item the item's line.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use super::json::{Json, Loaded, RAW_JSON, jackson_pretty, node};
use super::node::Node;
use super::reader_problem;
use crate::error::Problem;

/// snakeyaml `LoaderOptions.maxAliasesForCollections` default.
const MAX_COLLECTION_ALIASES: usize = 50;

/// snakeyaml `LoaderOptions.nestingDepthLimit` default (50); its check lets 51 levels through.
const MAX_NESTING: usize = 51;

/// The deepest the tree may become once aliases are expanded (the JSON reader's limit).
const MAX_EXPANDED_DEPTH: usize = 256;

const HINT_ROOT: &str = "a YAML changelog is a mapping like `databaseChangeLog:` followed by \
list items such as `- changeSet:`";

/// Reads a YAML changelog into its `databaseChangeLog` node.
pub fn read(text: &str, file: &str) -> Result<Node, Problem> {
    let problem = |e: YamlError| reader_problem(file, e.line, e.message, e.hint);
    let root = compose(text).map_err(problem)?;
    let mut construct = Constructor {
        produced: 0,
        budget: 1_000_000 + text.len(),
    };
    construct.changelog(root.as_deref()).map_err(problem)
}

#[derive(Debug)]
struct YamlError {
    line: Option<usize>,
    message: String,
    hint: Option<&'static str>,
}

fn error<T>(line: usize, message: impl Into<String>) -> Result<T, YamlError> {
    Err(YamlError {
        line: Some(line),
        message: message.into(),
        hint: None,
    })
}

// ---------------------------------------------------------------------------------------------
// Composing: events into a node graph (snakeyaml's `Composer`).

/// A YAML node as composed, before typing. Aliases share the anchored node.
#[derive(Debug)]
struct YNode {
    line: usize,
    tag: Option<YTag>,
    kind: YKind,
}

#[derive(Debug)]
enum YKind {
    Scalar { text: String, plain: bool },
    Seq(Vec<Rc<YNode>>),
    Map(Vec<(Rc<YNode>, Rc<YNode>)>),
}

impl YKind {
    fn describe(&self) -> &'static str {
        match self {
            YKind::Scalar { .. } => "a scalar",
            YKind::Seq(_) => "a sequence",
            YKind::Map(_) => "a mapping",
        }
    }
}

/// A node's tag, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum YTag {
    /// `!!name`: a tag of the YAML core schema (`tag:yaml.org,2002:name`).
    Core(String),
    /// `!`: the non-specific tag, which makes a scalar a string.
    NonSpecific,
    /// Anything else, as written.
    Other(String),
}

impl YTag {
    fn of(tag: &Tag) -> YTag {
        if tag.is_yaml_core_schema() {
            YTag::Core(tag.suffix.clone())
        } else if tag.handle.is_empty() && tag.suffix == "!" {
            YTag::NonSpecific
        } else {
            YTag::Other(format!("{}{}", tag.handle, tag.suffix))
        }
    }

    fn written(&self) -> String {
        match self {
            YTag::Core(name) => format!("!!{name}"),
            YTag::NonSpecific => "!".to_owned(),
            YTag::Other(written) => written.clone(),
        }
    }
}

/// A collection being composed.
struct Frame {
    line: usize,
    anchor: usize,
    tag: Option<YTag>,
    items: Vec<Rc<YNode>>,
    /// For a mapping: keys and values alternate in `items`.
    mapping: bool,
}

/// Parses the single document of `text`; `None` when the stream holds no document.
fn compose(text: &str) -> Result<Option<Rc<YNode>>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Rc<YNode>> = HashMap::new();
    let mut open_anchors: HashSet<usize> = HashSet::new();
    let mut root: Option<Rc<YNode>> = None;
    let mut documents = 0;
    let mut collection_aliases = 0;
    while let Some(event) = parser.next_event() {
        let (event, span) = match event {
            Ok(ok) => ok,
            Err(e) => return error(e.marker().line(), format!("syntax error: {}", e.info())),
        };
        let line = span.start.line();
        let mapping = matches!(event, Event::MappingStart(..));
        let (node, anchor) = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return error(
                        line,
                        "expected a single document in the stream, but found another document",
                    );
                }
                continue;
            }
            Event::Alias(id) => {
                let Some(target) = anchors.get(&id) else {
                    return error(
                        line,
                        "an alias refers to the node that contains it: recursive data is not supported",
                    );
                };
                if !matches!(target.kind, YKind::Scalar { .. }) {
                    collection_aliases += 1;
                    if collection_aliases > MAX_COLLECTION_ALIASES {
                        return error(
                            line,
                            format!(
                                "number of aliases for non-scalar nodes exceeds the specified max={MAX_COLLECTION_ALIASES}"
                            ),
                        );
                    }
                }
                (Rc::clone(target), 0)
            }
            Event::Scalar(value, style, anchor, tag) => {
                let kind = YKind::Scalar {
                    text: value.into_owned(),
                    plain: style == ScalarStyle::Plain,
                };
                (
                    Rc::new(YNode {
                        line,
                        tag: tag.map(|t| YTag::of(&t)),
                        kind,
                    }),
                    anchor,
                )
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if stack.len() >= MAX_NESTING {
                    return error(line, "nesting depth exceeded max 50");
                }
                if anchor != 0 {
                    open_anchors.insert(anchor);
                }
                let tag = tag.map(|t| YTag::of(&t));
                stack.push(Frame {
                    line,
                    anchor,
                    tag,
                    items: Vec::new(),
                    mapping,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = stack.pop() else {
                    continue;
                };
                let kind = if frame.mapping {
                    let mut pairs = Vec::with_capacity(frame.items.len() / 2);
                    let mut items = frame.items.into_iter();
                    while let (Some(key), Some(value)) = (items.next(), items.next()) {
                        pairs.push((key, value));
                    }
                    YKind::Map(pairs)
                } else {
                    YKind::Seq(frame.items)
                };
                open_anchors.remove(&frame.anchor);
                (
                    Rc::new(YNode {
                        line: frame.line,
                        tag: frame.tag,
                        kind,
                    }),
                    frame.anchor,
                )
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                continue;
            }
        };
        if anchor != 0 {
            anchors.insert(anchor, Rc::clone(&node));
        }
        match stack.last_mut() {
            Some(frame) => frame.items.push(node),
            None => root = Some(node),
        }
    }
    Ok(root)
}

// ---------------------------------------------------------------------------------------------
// Constructing: typed values and `ParsedNode`s (snakeyaml's `SafeConstructor`, Liquibase's parser).

struct Constructor {
    /// Values produced so far, to stop alias bombs.
    produced: usize,
    budget: usize,
}

/// A mapping after merge keys and duplicates: key, key line, value.
type Entries = Vec<(String, usize, Rc<YNode>)>;

impl Constructor {
    fn changelog(&mut self, root: Option<&YNode>) -> Result<Node, YamlError> {
        let empty = |line| YamlError {
            line,
            message: "empty file".to_owned(),
            hint: Some(HINT_ROOT),
        };
        let Some(root) = root else {
            return Err(empty(None));
        };
        let entries = match &root.kind {
            YKind::Map(_) => self.entries(root)?,
            YKind::Scalar { .. } if matches!(scalar(root), Ok(Scalar::Null)) => Vec::new(),
            other => {
                return Err(YamlError {
                    line: Some(root.line),
                    message: format!(
                        "expected a mapping with a `databaseChangeLog` key, found {}",
                        other.describe()
                    ),
                    hint: Some(HINT_ROOT),
                });
            }
        };
        if entries.is_empty() {
            return Err(empty(Some(root.line)));
        }
        let Some((_, line, value)) = entries
            .into_iter()
            .find(|(k, _, _)| k == "databaseChangeLog")
        else {
            return Err(YamlError {
                line: Some(root.line),
                message: "could not find `databaseChangeLog` node".to_owned(),
                hint: Some(HINT_ROOT),
            });
        };
        match &value.kind {
            YKind::Seq(_) => {}
            YKind::Scalar { .. } if matches!(scalar(&value), Ok(Scalar::Null)) => {}
            _ => {
                return Err(YamlError {
                    line: Some(line),
                    message: "`databaseChangeLog` does not contain a list of entries".to_owned(),
                    hint: Some("each changeSet must begin ' - changeSet:'"),
                });
            }
        }
        let loaded = self.loaded(&value, 1)?;
        Ok(node("databaseChangeLog", line, loaded))
    }

    fn count(&mut self, line: usize) -> Result<(), YamlError> {
        self.produced += 1;
        if self.produced > self.budget {
            return error(
                line,
                format!(
                    "the document expands to more than {} values through aliases",
                    self.budget
                ),
            );
        }
        Ok(())
    }

    /// Counts `node` against the alias-expansion budget and refuses it deeper than
    /// `MAX_EXPANDED_DEPTH`: both bounds apply to the expanded tree, where aliases multiply what
    /// the text spells.
    fn enter(&mut self, node: &YNode, depth: usize) -> Result<(), YamlError> {
        self.count(node.line)?;
        if depth > MAX_EXPANDED_DEPTH {
            return error(
                node.line,
                format!(
                    "the document nests deeper than {MAX_EXPANDED_DEPTH} levels once aliases are expanded"
                ),
            );
        }
        Ok(())
    }

    /// The value Liquibase sees for `node`.
    fn loaded(&mut self, node: &YNode, depth: usize) -> Result<Loaded, YamlError> {
        self.enter(node, depth)?;
        match &node.kind {
            YKind::Scalar { .. } => Ok(match scalar(node) {
                Ok(Scalar::Null) => Loaded::Null,
                Ok(typed) => Loaded::Text(typed.into_text()),
                Err(message) => return error(node.line, message),
            }),
            YKind::Seq(items) => {
                collection_tag(node, "seq")?;
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    list.push((item.line, self.loaded(item, depth + 1)?));
                }
                Ok(Loaded::List(list))
            }
            YKind::Map(_) => {
                let mut map = Vec::new();
                for (key, line, value) in self.entries(node)? {
                    let loaded = match self.raw_json(&value, depth + 1)? {
                        Some(json) => Loaded::Text(jackson_pretty(&json)),
                        None => self.loaded(&value, depth + 1)?,
                    };
                    map.push((key, line, loaded));
                }
                Ok(Loaded::Map(map))
            }
        }
    }

    /// The payload of a `{$rawJson: …}` mapping, as JSON.
    fn raw_json(&mut self, node: &YNode, depth: usize) -> Result<Option<Json>, YamlError> {
        if !matches!(node.kind, YKind::Map(_)) {
            return Ok(None);
        }
        let entries = self.entries(node)?;
        match entries.into_iter().find(|(k, _, _)| k == RAW_JSON) {
            Some((_, _, payload)) => self.json(&payload, depth + 1).map(Some),
            None => Ok(None),
        }
    }

    fn json(&mut self, node: &YNode, depth: usize) -> Result<Json, YamlError> {
        self.enter(node, depth)?;
        Ok(match &node.kind {
            YKind::Scalar { text, .. } => match scalar(node) {
                Ok(Scalar::Null) => Json::Null,
                Ok(Scalar::Bool(b)) => Json::Bool(b),
                Ok(Scalar::Int(digits)) => Json::Int(digits),
                Ok(Scalar::Float(d)) => Json::Double(d),
                Ok(Scalar::Timestamp(_)) => Json::String(text.clone()),
                Ok(Scalar::Str(s)) => Json::String(s),
                Err(message) => return error(node.line, message),
            },
            YKind::Seq(items) => {
                collection_tag(node, "seq")?;
                let mut array = Vec::with_capacity(items.len());
                for item in items {
                    array.push(self.json(item, depth + 1)?);
                }
                Json::Array(array)
            }
            YKind::Map(_) => {
                let mut object = Vec::new();
                for (key, _, value) in self.entries(node)? {
                    object.push((key, self.json(&value, depth + 1)?));
                }
                Json::Object(object)
            }
        })
    }

    /// A mapping's entries after snakeyaml's `flattenMapping`: duplicates dropped (the last one
    /// stays, where it is), then merge keys expanded in place (explicit keys win).
    fn entries(&mut self, node: &YNode) -> Result<Entries, YamlError> {
        let YKind::Map(pairs) = &node.kind else {
            return error(
                node.line,
                format!("expected a mapping, found {}", node.kind.describe()),
            );
        };
        collection_tag(node, "map")?;
        // processDuplicateKeys: the last occurrence of a (non-merge) key survives.
        let mut last: HashMap<String, usize> = HashMap::new();
        let mut keys = Vec::with_capacity(pairs.len());
        for (i, (key, _)) in pairs.iter().enumerate() {
            let key = if is_merge_key(key) {
                None
            } else {
                Some(key_text(key)?)
            };
            if let Some(k) = &key {
                last.insert(k.clone(), i);
            }
            keys.push(key);
        }
        let mut values: Entries = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, ((key_node, value), key)) in pairs.iter().zip(keys).enumerate() {
            self.count(key_node.line)?;
            match key {
                Some(key) if last.get(&key) == Some(&i) => {
                    // mergeNode with isPreferred: an explicit key replaces a merged one in place.
                    match index.get(&key) {
                        Some(&at) => values[at] = (key, key_node.line, Rc::clone(value)),
                        None => {
                            index.insert(key.clone(), values.len());
                            values.push((key, key_node.line, Rc::clone(value)));
                        }
                    }
                }
                Some(_) => {}
                None => {
                    let merged: Vec<&Rc<YNode>> = match &value.kind {
                        YKind::Map(_) => vec![value],
                        YKind::Seq(items) => {
                            if let Some(bad) =
                                items.iter().find(|m| !matches!(m.kind, YKind::Map(_)))
                            {
                                return error(
                                    bad.line,
                                    format!(
                                        "expected a mapping for merging, but found {}",
                                        bad.kind.describe()
                                    ),
                                );
                            }
                            items.iter().collect()
                        }
                        YKind::Scalar { .. } => {
                            return error(
                                value.line,
                                "expected a mapping or list of mappings for merging, but found a scalar",
                            );
                        }
                    };
                    for mapping in merged {
                        for (key, line, value) in self.entries(mapping)? {
                            if !index.contains_key(&key) {
                                index.insert(key.clone(), values.len());
                                values.push((key, line, value));
                            }
                        }
                    }
                }
            }
        }
        Ok(values)
    }
}

fn is_merge_key(key: &YNode) -> bool {
    match (&key.kind, &key.tag) {
        (YKind::Scalar { text, plain: true }, None) => text == "<<",
        (YKind::Scalar { .. }, Some(YTag::Core(name))) => name == "merge",
        _ => false,
    }
}

/// A key's name: the scalar as written (Liquibase only ever looks up string keys).
fn key_text(key: &YNode) -> Result<String, YamlError> {
    match &key.kind {
        YKind::Scalar { text, .. } => Ok(text.clone()),
        other => error(
            key.line,
            format!("mapping keys must be scalars, found {}", other.describe()),
        ),
    }
}

/// Rejects tags `SafeConstructor` has no constructor for on a collection.
fn collection_tag(node: &YNode, expected: &str) -> Result<(), YamlError> {
    match &node.tag {
        None | Some(YTag::NonSpecific) => Ok(()),
        Some(YTag::Core(name)) if name == expected => Ok(()),
        Some(tag) => error(
            node.line,
            format!(
                "could not determine a constructor for the tag `{}`",
                tag.written()
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars (snakeyaml 2.x `Resolver` and `SafeConstructor`).

#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Null,
    Bool(bool),
    /// Decimal digits with an optional `-`.
    Int(String),
    Float(f64),
    /// The text Liquibase ends up with for a timestamp.
    Timestamp(String),
    Str(String),
}

impl Scalar {
    fn into_text(self) -> String {
        match self {
            Scalar::Null => String::new(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(digits) => digits,
            Scalar::Float(d) => crate::java::double_to_string(d),
            Scalar::Timestamp(text) | Scalar::Str(text) => text,
        }
    }
}

/// Types a scalar node; the error is a message.
fn scalar(node: &YNode) -> Result<Scalar, String> {
    let YKind::Scalar { text, plain } = &node.kind else {
        return Err(format!("expected a scalar, found {}", node.kind.describe()));
    };
    let invalid = |what: &str| format!("invalid {what} value `{text}`");
    match &node.tag {
        None if *plain => resolve_plain(text),
        None | Some(YTag::NonSpecific) => Ok(Scalar::Str(text.clone())),
        Some(YTag::Core(name)) => match name.as_str() {
            "str" => Ok(Scalar::Str(text.clone())),
            "null" => Ok(Scalar::Null),
            "bool" => Ok(construct_bool(text)),
            "int" => construct_int(text).ok_or_else(|| invalid("int")),
            "float" => construct_float(text).ok_or_else(|| invalid("float")),
            "timestamp" => construct_timestamp(text).ok_or_else(|| invalid("timestamp")),
            _ => Err(format!(
                "could not determine a constructor for the tag `!!{name}`"
            )),
        },
        Some(tag) => Err(format!(
            "could not determine a constructor for the tag `{}`",
            tag.written()
        )),
    }
}

/// `Resolver.resolve` for a plain scalar, then its constructor. The resolvers are tried by the
/// first character, in snakeyaml's order, each only below its length limit.
fn resolve_plain(text: &str) -> Result<Scalar, String> {
    let Some(first) = text.chars().next() else {
        return Ok(Scalar::Null);
    };
    let len = text.len();
    if "yYnNtTfFoO".contains(first)
        && len < 10
        && let Some(b) = bool_word(text)
    {
        return Ok(Scalar::Bool(b));
    }
    let numeric = first.is_ascii_digit() || first == '-' || first == '+';
    if numeric && len < 100 && is_int(text) {
        // Only a sexagesimal part too long for a `long` fails here; keep the text.
        return Ok(construct_int(text).unwrap_or_else(|| Scalar::Str(text.to_owned())));
    }
    if (numeric || first == '.') && len < 100 && is_float(text) {
        return construct_float(text).ok_or_else(|| format!("invalid float value `{text}`"));
    }
    if first.is_ascii_digit() && len < 50 && is_timestamp(text) {
        return construct_timestamp(text)
            .ok_or_else(|| format!("invalid timestamp value `{text}`"));
    }
    if matches!(text, "~" | "null" | "Null" | "NULL") {
        return Ok(Scalar::Null);
    }
    Ok(Scalar::Str(text.to_owned()))
}

fn bool_word(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// `ConstructYamlBool`: a lookup of the lower-cased word; anything else is null.
fn construct_bool(text: &str) -> Scalar {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" => Scalar::Bool(true),
        "no" | "false" | "off" => Scalar::Bool(false),
        _ => Scalar::Null,
    }
}

/// A tiny cursor for the resolver's regular expressions.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            s: s.as_bytes(),
            i: 0,
        }
    }
    fn done(&self) -> bool {
        self.i == self.s.len()
    }
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.s.get(self.i) == Some(&b);
        if hit {
            self.i += 1;
        }
        hit
    }
    fn eat_str(&mut self, prefix: &str) -> bool {
        let hit = self.s[self.i..].starts_with(prefix.as_bytes());
        if hit {
            self.i += prefix.len();
        }
        hit
    }
    fn eat_if(&mut self, pred: impl Fn(u8) -> bool) -> bool {
        let hit = self.s.get(self.i).is_some_and(|&b| pred(b));
        if hit {
            self.i += 1;
        }
        hit
    }
    /// Zero or more bytes matching `pred`; returns how many.
    fn eat_while(&mut self, pred: impl Fn(u8) -> bool) -> usize {
        let start = self.i;
        while self.eat_if(&pred) {}
        self.i - start
    }
    fn sign(&mut self) {
        let _ = self.eat(b'-') || self.eat(b'+');
    }
    /// `[eE][-+]?[0-9]+`
    fn exponent(&mut self) -> bool {
        if !(self.eat(b'e') || self.eat(b'E')) {
            return false;
        }
        self.sign();
        self.eat_while(|b| b.is_ascii_digit()) > 0
    }
    /// `(?::[0-5]?[0-9])+`
    fn sexagesimal(&mut self) -> bool {
        let mut groups = 0;
        while self.eat(b':') {
            let start = self.i;
            if !(self.eat_if(|b| (b'0'..=b'5').contains(&b)) && self.eat_if(|b| b.is_ascii_digit()))
            {
                self.i = start;
                if !self.eat_if(|b| b.is_ascii_digit()) {
                    return false;
                }
            }
            groups += 1;
        }
        groups > 0
    }
}

fn digit_or_us(b: u8) -> bool {
    b.is_ascii_digit() || b == b'_'
}

/// snakeyaml 2.x `Resolver.INT`.
fn is_int(text: &str) -> bool {
    let alternatives: [fn(&mut Cursor<'_>) -> bool; 5] = [
        // [-+]?0b_*[0-1][0-1_]*
        |c| {
            c.sign();
            c.eat_str("0b")
                && {
                    c.eat_while(|b| b == b'_');
                    c.eat_if(|b| b == b'0' || b == b'1')
                }
                && {
                    c.eat_while(|b| b == b'0' || b == b'1' || b == b'_');
                    c.done()
                }
        },
        // [-+]?0_*[0-7][0-7_]*
        |c| {
            c.sign();
            c.eat(b'0')
                && {
                    c.eat_while(|b| b == b'_');
                    c.eat_if(|b| (b'0'..=b'7').contains(&b))
                }
                && {
                    c.eat_while(|b| (b'0'..=b'7').contains(&b) || b == b'_');
                    c.done()
                }
        },
        // [-+]?(?:0|[1-9][0-9_]*)
        |c| {
            c.sign();
            if c.eat(b'0') {
                return c.done();
            }
            c.eat_if(|b| (b'1'..=b'9').contains(&b)) && {
                c.eat_while(digit_or_us);
                c.done()
            }
        },
        // [-+]?0x_*[0-9a-fA-F][0-9a-fA-F_]*
        |c| {
            c.sign();
            c.eat_str("0x")
                && {
                    c.eat_while(|b| b == b'_');
                    c.eat_if(|b| b.is_ascii_hexdigit())
                }
                && {
                    c.eat_while(|b| b.is_ascii_hexdigit() || b == b'_');
                    c.done()
                }
        },
        // [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
        |c| {
            c.sign();
            c.eat_if(|b| (b'1'..=b'9').contains(&b)) && {
                c.eat_while(digit_or_us);
                c.sexagesimal() && c.done()
            }
        },
    ];
    alternatives.iter().any(|alt| alt(&mut Cursor::new(text)))
}

/// snakeyaml 2.x `Resolver.FLOAT`.
fn is_float(text: &str) -> bool {
    let alternatives: [fn(&mut Cursor<'_>) -> bool; 6] = [
        // [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |c| {
            c.sign();
            c.eat_if(|b| b.is_ascii_digit())
                && {
                    c.eat_while(digit_or_us);
                    c.eat(b'.')
                }
                && {
                    c.eat_while(digit_or_us);
                    c.done() || (c.exponent() && c.done())
                }
        },
        // [-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |c| {
            c.sign();
            c.eat_if(|b| b.is_ascii_digit()) && {
                c.eat_while(digit_or_us);
                c.exponent() && c.done()
            }
        },
        // [-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |c| {
            c.sign();
            c.eat(b'.') && c.eat_while(digit_or_us) > 0 && (c.done() || (c.exponent() && c.done()))
        },
        // [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        |c| {
            c.sign();
            c.eat_if(|b| b.is_ascii_digit())
                && {
                    c.eat_while(digit_or_us);
                    c.sexagesimal() && c.eat(b'.')
                }
                && {
                    c.eat_while(digit_or_us);
                    c.done()
                }
        },
        // [-+]?\.(?:inf|Inf|INF)
        |c| {
            c.sign();
            (c.eat_str(".inf") || c.eat_str(".Inf") || c.eat_str(".INF")) && c.done()
        },
        // \.(?:nan|NaN|NAN)
        |c| (c.eat_str(".nan") || c.eat_str(".NaN") || c.eat_str(".NAN")) && c.done(),
    ];
    alternatives.iter().any(|alt| alt(&mut Cursor::new(text)))
}

/// snakeyaml `Resolver.TIMESTAMP`.
fn is_timestamp(text: &str) -> bool {
    let digits = |c: &mut Cursor<'_>, min: usize, max: usize| {
        let start = c.i;
        let n = c.eat_while(|b| b.is_ascii_digit());
        if n > max {
            c.i = start + max;
        }
        n >= min
    };
    // [0-9]{4}-[0-9]{2}-[0-9]{2}
    let date_only = text.len() == 10 && {
        let mut c = Cursor::new(text);
        digits(&mut c, 4, 4)
            && c.eat(b'-')
            && digits(&mut c, 2, 2)
            && c.eat(b'-')
            && digits(&mut c, 2, 2)
            && c.done()
    };
    if date_only {
        return true;
    }
    let mut c = Cursor::new(text);
    let date = digits(&mut c, 4, 4)
        && c.i == 4
        && c.eat(b'-')
        && digits(&mut c, 1, 2)
        && c.eat(b'-')
        && digits(&mut c, 1, 2);
    if !date {
        return false;
    }
    let separator = c.eat(b'T') || c.eat(b't') || c.eat_while(|b| b == b' ' || b == b'\t') > 0;
    let time = separator
        && digits(&mut c, 1, 2)
        && c.eat(b':')
        && digits(&mut c, 2, 2)
        && c.eat(b':')
        && digits(&mut c, 2, 2);
    if !time {
        return false;
    }
    if c.eat(b'.') {
        c.eat_while(|b| b.is_ascii_digit());
    }
    if c.done() {
        return true;
    }
    c.eat_while(|b| b == b' ' || b == b'\t');
    if c.eat(b'Z') {
        return c.done();
    }
    if !(c.eat(b'-') || c.eat(b'+')) || !digits(&mut c, 1, 2) {
        return false;
    }
    if c.eat(b':') && !digits(&mut c, 2, 2) {
        return false;
    }
    c.done()
}

/// `ConstructYamlInt`: `_` dropped, sign, then binary, hex, octal, sexagesimal or decimal; the
/// value is printed in decimal as `Integer`, `Long` and `BigInteger` all print it.
fn construct_int(text: &str) -> Option<Scalar> {
    let value: String = text.chars().filter(|&c| c != '_').collect();
    let (negative, value) = match value.as_bytes().first() {
        Some(b'-') => (true, &value[1..]),
        Some(b'+') => (false, &value[1..]),
        _ => (false, value.as_str()),
    };
    let magnitude = if value == "0" {
        "0".to_owned()
    } else if let Some(bits) = value.strip_prefix("0b") {
        to_decimal(bits, 2)?
    } else if let Some(hex) = value.strip_prefix("0x") {
        to_decimal(hex, 16)?
    } else if let Some(octal) = value.strip_prefix('0') {
        to_decimal(octal, 8)?
    } else if value.contains(':') {
        // Java computes this in `int`, wrapping on overflow.
        let mut val: i32 = 0;
        let mut bes: i32 = 1;
        for part in value.rsplit(':') {
            let digit: i64 = part.parse().ok()?;
            val = wrap_i32(i64::from(val).wrapping_add(digit.wrapping_mul(i64::from(bes))));
            bes = bes.wrapping_mul(60);
        }
        return Some(Scalar::Int(if negative {
            (-i64::from(val)).to_string()
        } else {
            val.to_string()
        }));
    } else {
        to_decimal(value, 10)?
    };
    Some(Scalar::Int(if negative && magnitude != "0" {
        format!("-{magnitude}")
    } else {
        magnitude
    }))
}

/// Java's narrowing of a `long` to an `int`: the low 32 bits, two's complement.
fn wrap_i32(x: i64) -> i32 {
    let low = x.rem_euclid(1 << 32);
    i32::try_from(if low >= 1 << 31 { low - (1 << 32) } else { low }).unwrap_or(0)
}

/// Digits in `radix` as a decimal string without leading zeros (arbitrary length).
fn to_decimal(digits: &str, radix: u32) -> Option<String> {
    const BASE: u64 = 1_000_000_000;
    if digits.is_empty() {
        return None;
    }
    // Little-endian limbs of nine decimal digits.
    let mut limbs: Vec<u64> = vec![0];
    for c in digits.chars() {
        let mut carry = u64::from(c.to_digit(radix)?);
        for limb in &mut limbs {
            let v = *limb * u64::from(radix) + carry;
            *limb = v % BASE;
            carry = v / BASE;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    let mut out = String::new();
    for (i, limb) in limbs.iter().rev().enumerate() {
        if i == 0 {
            out.push_str(&limb.to_string());
        } else {
            out.push_str(&format!("{limb:09}"));
        }
    }
    Some(out)
}

/// `ConstructYamlFloat`: `_` dropped, sign, `.inf`/`.nan`, sexagesimal, else `Double.valueOf`.
fn construct_float(text: &str) -> Option<Scalar> {
    let value: String = text.chars().filter(|&c| c != '_').collect();
    let (sign, value) = match value.as_bytes().first() {
        Some(b'-') => (-1.0, &value[1..]),
        Some(b'+') => (1.0, &value[1..]),
        _ => (1.0, value.as_str()),
    };
    let lower = value.to_ascii_lowercase();
    if lower == ".inf" {
        return Some(Scalar::Float(sign * f64::INFINITY));
    }
    if lower == ".nan" {
        return Some(Scalar::Float(f64::NAN));
    }
    if value.contains(':') {
        let mut val = 0.0;
        let mut bes: i32 = 1;
        for part in value.rsplit(':') {
            val += java_parse_double(part)? * f64::from(bes);
            bes = bes.wrapping_mul(60);
        }
        return Some(Scalar::Float(sign * val));
    }
    Some(Scalar::Float(sign * java_parse_double(value)?))
}

/// `Double.parseDouble` for the decimal forms the resolver lets through.
fn java_parse_double(text: &str) -> Option<f64> {
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if !plain || !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Liquibase's `CustomConstructYamlTimestamp` (4.28.0), on a JVM whose default zone is UTC.
fn construct_timestamp(text: &str) -> Option<Scalar> {
    let fields = parse_timestamp(text)?;
    let Timestamp {
        year,
        month,
        day,
        hour,
        minute,
        second,
        millis,
        zone,
    } = fields;
    let days = crate::java::epoch_day(year, month, day);
    if hour.is_none() {
        // YMD_REGEXP: a `Date` at midnight UTC; Liquibase stores its `toString()`.
        return Some(Scalar::Timestamp(date_to_string(
            days.checked_mul(86_400_000)?,
        )));
    }
    let time = i64::from(hour.unwrap_or(0)) * 3_600_000
        + i64::from(minute) * 60_000
        + i64::from(second) * 1_000
        + millis;
    let local = days.checked_mul(86_400_000)?.checked_add(time)?;
    Some(Scalar::Timestamp(match zone {
        // Calendar in that zone, then `Date.toString()`.
        Some(offset_minutes) => date_to_string(local - offset_minutes * 60_000),
        // Calendar in the default zone, formatted with `yyyy-MM-dd HH:mm:ss` in the same zone.
        None => {
            let (y, m, d, h, min, s) = civil_from_millis(local);
            format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02}")
        }
    }))
}

struct Timestamp {
    year: i64,
    month: i64,
    day: i64,
    hour: Option<u32>,
    minute: u32,
    second: u32,
    millis: i64,
    /// Offset east of UTC in minutes, when the text names one (`Z` does not count: Liquibase
    /// ignores it and uses the default zone).
    zone: Option<i64>,
}

fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let mut c = Cursor::new(text);
    let number = |c: &mut Cursor<'_>, max: usize| -> Option<u32> {
        let start = c.i;
        let n = c.eat_while(|b| b.is_ascii_digit());
        if n == 0 || n > max {
            return None;
        }
        std::str::from_utf8(&c.s[start..c.i]).ok()?.parse().ok()
    };
    let year = number(&mut c, 4)?;
    c.eat(b'-').then_some(())?;
    let month = number(&mut c, 2)?;
    c.eat(b'-').then_some(())?;
    let day = number(&mut c, 2)?;
    let mut ts = Timestamp {
        year: i64::from(year),
        month: i64::from(month),
        day: i64::from(day),
        hour: None,
        minute: 0,
        second: 0,
        millis: 0,
        zone: None,
    };
    if c.done() {
        return Some(ts);
    }
    let _ = c.eat(b'T') || c.eat(b't') || c.eat_while(|b| b == b' ' || b == b'\t') > 0;
    ts.hour = Some(number(&mut c, 2)?);
    c.eat(b':').then_some(())?;
    ts.minute = number(&mut c, 2)?;
    c.eat(b':').then_some(())?;
    let whole = number(&mut c, 2)?;
    let mut seconds = f64::from(whole);
    if c.eat(b'.') {
        let start = c.i;
        c.eat_while(|b| b.is_ascii_digit());
        let fraction = std::str::from_utf8(&c.s[start..c.i]).ok()?;
        seconds = format!("{whole}.{fraction}").parse().ok()?;
    }
    ts.second = whole;
    // `(int) Math.round((fractions - sec_s) * 1000)`: half up, computed in doubles as Java does.
    let millis = ((seconds - f64::from(whole)) * 1000.0 + 0.5)
        .floor()
        .clamp(0.0, 1000.0);
    ts.millis = format!("{millis:.0}").parse().unwrap_or(0);
    c.eat_while(|b| b == b' ' || b == b'\t');
    if c.eat(b'Z') || c.done() {
        return Some(ts);
    }
    let negative = c.eat(b'-');
    if !negative {
        c.eat(b'+').then_some(())?;
    }
    let hours = number(&mut c, 2)?;
    let minutes = if c.eat(b':') { number(&mut c, 2)? } else { 0 };
    // `TimeZone.getTimeZone("GMT±hh[mm]")` falls back to GMT for an out-of-range offset.
    let offset = if hours > 23 || minutes > 59 {
        0
    } else {
        i64::from(hours * 60 + minutes)
    };
    ts.zone = Some(if negative { -offset } else { offset });
    Some(ts)
}

/// (year, month, day, hour, minute, second) of milliseconds since the epoch, in UTC.
fn civil_from_millis(millis: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (y, m, d) = crate::java::date_of_epoch_day(millis.div_euclid(86_400_000));
    let secs = millis.rem_euclid(86_400_000) / 1000;
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `java.util.Date.toString()` in UTC: `EEE MMM dd HH:mm:ss zzz yyyy`.
fn date_to_string(millis: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, h, min, s) = civil_from_millis(millis);
    let weekday = usize::try_from(millis.div_euclid(86_400_000).rem_euclid(7)).unwrap_or(0);
    let month = usize::try_from(m - 1).unwrap_or(0);
    format!(
        "{} {} {d:02} {h:02}:{min:02}:{s:02} UTC {y}",
        DAYS[weekday], MONTHS[month]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::node::fixture::{
        assert_rejected, empty, expect_node, expect_problem, leaf, parent,
    };

    fn read_ok(text: &str) -> Node {
        expect_node(read(text, "db/changelog.yaml"))
    }

    fn read_err(text: &str) -> Problem {
        expect_problem(read(text, "db/changelog.yaml"))
    }

    #[test]
    fn reads_node_shapes() {
        let cases: Vec<(&str, &str, Node)> = vec![
            (
                "changeSet with attributes, changes and rollback forms",
                "databaseChangeLog:
  - changeSet:
      id: 1
      author: alice
      changes:
        - createIndex:
            collectionName: countries
            keys: '{ name: 1, type: 1}'
            options: |
              {unique: true}
        - rollback:
        - rollback: \"\"
        - rollback:
            dropIndex:
              collectionName: countries
      rollback:
        - dropCollection:
            collectionName: c
",
                parent(
                    "databaseChangeLog",
                    1,
                    vec![parent(
                        "changeSet",
                        2,
                        vec![
                            leaf("id", "1", 3),
                            leaf("author", "alice", 4),
                            parent(
                                "changes",
                                5,
                                vec![
                                    parent(
                                        "createIndex",
                                        6,
                                        vec![
                                            leaf("collectionName", "countries", 7),
                                            leaf("keys", "{ name: 1, type: 1}", 8),
                                            leaf("options", "{unique: true}\n", 9),
                                        ],
                                    ),
                                    empty("rollback", 11),
                                    leaf("rollback", "", 12),
                                    parent(
                                        "rollback",
                                        13,
                                        vec![parent(
                                            "dropIndex",
                                            14,
                                            vec![leaf("collectionName", "countries", 15)],
                                        )],
                                    ),
                                ],
                            ),
                            parent(
                                "rollback",
                                16,
                                vec![parent(
                                    "dropCollection",
                                    17,
                                    vec![leaf("collectionName", "c", 18)],
                                )],
                            ),
                        ],
                    )],
                ),
            ),
            (
                "validCheckSum lists and other list shapes",
                "databaseChangeLog:
- changeSet:
    validCheckSum: [ '9:a', 9:b ]
    labels: [only]
    nulls: [~]
    nested: [[a]]
    mixed: [1, [2, 3], ~, {k: v}]
    rollback:
      - dropIndex: {collectionName: c}
      - tagDatabase: {tag: x}
        other: 1
      - plain
",
                parent(
                    "databaseChangeLog",
                    1,
                    vec![parent(
                        "changeSet",
                        2,
                        vec![
                            parent(
                                "validCheckSum",
                                3,
                                vec![
                                    leaf("validCheckSum", "9:a", 3),
                                    leaf("validCheckSum", "9:b", 3),
                                ],
                            ),
                            leaf("labels", "only", 4),
                            empty("nulls", 5),
                            parent("nested", 6, vec![leaf("nested", "a", 6)]),
                            parent(
                                "mixed",
                                7,
                                vec![
                                    leaf("mixed", "1", 7),
                                    parent(
                                        "mixed",
                                        7,
                                        vec![leaf("mixed", "2", 7), leaf("mixed", "3", 7)],
                                    ),
                                    empty("mixed", 7),
                                    leaf("k", "v", 7),
                                ],
                            ),
                            Node {
                                name: "rollback".into(),
                                value: Some("plain".into()),
                                children: vec![
                                    parent("dropIndex", 9, vec![leaf("collectionName", "c", 9)]),
                                    parent("tagDatabase", 10, vec![leaf("tag", "x", 10)]),
                                    leaf("other", "1", 11),
                                ],
                                line: Some(8),
                            },
                        ],
                    )],
                ),
            ),
            (
                "preConditions with nested and/or/not",
                "databaseChangeLog:
  - preConditions:
      - onFail: MARK_RAN
      - or:
          - collectionExists:
              collectionName: a
          - not:
              - collectionExists:
                  collectionName: b
          - and:
              - expectedDocumentCount:
                  collectionName: c
                  filter: '{}'
                  expectedCount: 0
",
                parent(
                    "databaseChangeLog",
                    1,
                    vec![parent(
                        "preConditions",
                        2,
                        vec![
                            leaf("onFail", "MARK_RAN", 3),
                            parent(
                                "or",
                                4,
                                vec![
                                    parent(
                                        "collectionExists",
                                        5,
                                        vec![leaf("collectionName", "a", 6)],
                                    ),
                                    parent(
                                        "not",
                                        7,
                                        vec![parent(
                                            "collectionExists",
                                            8,
                                            vec![leaf("collectionName", "b", 9)],
                                        )],
                                    ),
                                    parent(
                                        "and",
                                        10,
                                        vec![parent(
                                            "expectedDocumentCount",
                                            11,
                                            vec![
                                                leaf("collectionName", "c", 12),
                                                leaf("filter", "{}", 13),
                                                leaf("expectedCount", "0", 14),
                                            ],
                                        )],
                                    ),
                                ],
                            ),
                        ],
                    )],
                ),
            ),
            (
                "anchors, merge keys and duplicate keys",
                "databaseChangeLog:
  - changeSet: &base
      id: 1
      author: a
      author: b
      labels: x
  - changeSet:
      <<: *base
      id: 2
  - changeSet:
      id: 3
      <<: [*base]
",
                parent(
                    "databaseChangeLog",
                    1,
                    vec![
                        parent(
                            "changeSet",
                            2,
                            vec![
                                leaf("id", "1", 3),
                                leaf("author", "b", 5),
                                leaf("labels", "x", 6),
                            ],
                        ),
                        parent(
                            "changeSet",
                            7,
                            vec![
                                leaf("id", "2", 9),
                                leaf("author", "b", 5),
                                leaf("labels", "x", 6),
                            ],
                        ),
                        parent(
                            "changeSet",
                            10,
                            vec![
                                leaf("id", "3", 11),
                                leaf("author", "b", 5),
                                leaf("labels", "x", 6),
                            ],
                        ),
                    ],
                ),
            ),
            (
                "the common indentation mistake spreads keys into the list's node",
                "databaseChangeLog:\n  - changeSet:\n    id: 2\n    author: b\n",
                parent(
                    "databaseChangeLog",
                    1,
                    vec![
                        empty("changeSet", 2),
                        leaf("id", "2", 3),
                        leaf("author", "b", 4),
                    ],
                ),
            ),
            (
                "$rawJson mappings become Jackson's pretty text",
                "databaseChangeLog:
  - createIndex:
      collectionName: c
      keys: {$rawJson: {name: 1, type: -1}}
      options:
        $rawJson:
          unique: true
          name: ui_c
          weights: [1.10, 1e3, '01', ~]
",
                parent(
                    "databaseChangeLog",
                    1,
                    vec![parent(
                        "createIndex",
                        2,
                        vec![
                            leaf("collectionName", "c", 3),
                            leaf("keys", "{\n  \"name\" : 1,\n  \"type\" : -1\n}", 4),
                            leaf(
                                "options",
                                "{\n  \"unique\" : true,\n  \"name\" : \"ui_c\",\n  \"weights\" : [ 1.1, 1000.0, \"01\", null ]\n}",
                                5,
                            ),
                        ],
                    )],
                ),
            ),
            (
                "an empty databaseChangeLog",
                "databaseChangeLog:\n",
                empty("databaseChangeLog", 1),
            ),
            (
                "flow style and CRLF",
                "{databaseChangeLog: [{changeSet: {id: a}},\r\n {include: {file: b.yaml}}]}\r\n",
                parent(
                    "databaseChangeLog",
                    1,
                    vec![
                        parent("changeSet", 1, vec![leaf("id", "a", 1)]),
                        parent("include", 2, vec![leaf("file", "b.yaml", 2)]),
                    ],
                ),
            ),
        ];
        for (what, text, expected) in cases {
            assert_eq!(read_ok(text), expected, "{what}");
        }
    }

    /// The value Liquibase sees for `value` written as the scalar of a key `x`; the key itself
    /// must be read, whatever the value.
    fn value_of(value: &str) -> Option<String> {
        let node = read_ok(&format!("databaseChangeLog:\n  - x: {value}\n"));
        let x = node
            .child("x")
            .unwrap_or_else(|| panic!("no `x` in {node:?}"));
        x.value.clone()
    }

    /// Plain scalars as snakeyaml 2.2 types them and Liquibase prints them. Checked against
    /// snakeyaml 2.2 + Liquibase 4.28.0's `CustomConstructYamlTimestamp` on a UTC JVM.
    #[test]
    fn types_scalars_like_snakeyaml() {
        let cases: Vec<(&str, Option<&str>)> = vec![
            ("1.10", Some("1.1")),
            ("yes", Some("true")),
            ("On", Some("true")),
            ("OFF", Some("false")),
            ("y", Some("y")),
            ("TrUe", Some("TrUe")),
            ("~", None),
            ("null", None),
            ("NULL", None),
            ("nUll", Some("nUll")),
            ("010", Some("8")),
            ("0x1F", Some("31")),
            ("0x_FFFFFFFFFFFFFFFFFFFF", Some("1208925819614629174706175")),
            ("0b1_0", Some("2")),
            ("-0", Some("0")),
            ("+0", Some("0")),
            ("00", Some("0")),
            ("1_000", Some("1000")),
            ("1__0", Some("10")),
            ("1:30", Some("90")),
            ("-1:30", Some("-90")),
            (
                "123456789012345678901234567890",
                Some("123456789012345678901234567890"),
            ),
            ("1_000_000_000_000", Some("1000000000000")),
            ("0o17", Some("0o17")),
            ("0b", Some("0b")),
            ("0_", Some("0_")),
            ("08", Some("08")),
            ("017_8", Some("017_8")),
            ("09.5", Some("9.5")),
            ("1e3", Some("1000.0")),
            ("1.e5", Some("100000.0")),
            ("1.5e+3", Some("1500.0")),
            ("0.", Some("0.0")),
            (".5", Some("0.5")),
            ("-0.0", Some("-0.0")),
            ("1_0.5", Some("10.5")),
            ("685.230_15e+03", Some("685230.15")),
            ("190:20:30.15", Some("685230.15")),
            ("1:2:3.5", Some("3723.5")),
            ("+.inf", Some("Infinity")),
            ("-.Inf", Some("-Infinity")),
            (".NaN", Some("NaN")),
            ("-.nan", Some("-.nan")),
            ("2020-01-01", Some("Wed Jan 01 00:00:00 UTC 2020")),
            ("2020-13-45", Some("Sun Feb 14 00:00:00 UTC 2021")),
            ("2001-12-14 21:59:43.10", Some("2001-12-14 21:59:43")),
            (
                "2001-12-14t21:59:43.10-05:00",
                Some("Sat Dec 15 02:59:43 UTC 2001"),
            ),
            ("2001-12-14T21:59:43Z", Some("2001-12-14 21:59:43")),
            ("2001-12-14", Some("Fri Dec 14 00:00:00 UTC 2001")),
            ("2001-2-4", Some("2001-2-4")),
            ("9:b", Some("9:b")),
            ("<<x", Some("<<x")),
            ("9:aaaa", Some("9:aaaa")),
            (
                "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
                Some(
                    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
                ),
            ),
        ];
        for (plain, expected) in cases {
            assert_eq!(value_of(plain).as_deref(), expected, "plain `{plain}`");
        }
    }

    #[test]
    fn quoting_and_tags_decide_types() {
        let cases: Vec<(&str, Option<&str>)> = vec![
            ("'1.10'", Some("1.10")),
            ("\"yes\"", Some("yes")),
            ("!!str 12", Some("12")),
            ("! 12", Some("12")),
            ("!!float 1", Some("1.0")),
            ("!!int \"0x10\"", Some("16")),
            ("!!bool \"true\"", Some("true")),
            ("!!bool maybe", None),
            ("!!null x", None),
            ("|\n        0x10\n", Some("0x10\n")),
        ];
        for (value, expected) in cases {
            assert_eq!(value_of(value).as_deref(), expected, "value `{value}`");
        }
    }

    #[test]
    fn reports_errors_with_lines() {
        let cases: Vec<(&str, Option<usize>, &str)> = vec![
            ("", None, "empty file"),
            ("\n# only a comment\n", None, "empty file"),
            ("{}", Some(1), "empty file"),
            ("~", Some(1), "empty file"),
            (
                "- a\n",
                Some(1),
                "expected a mapping with a `databaseChangeLog` key, found a sequence",
            ),
            (
                "text",
                Some(1),
                "expected a mapping with a `databaseChangeLog` key, found a scalar",
            ),
            (
                "changeSet: 1\n",
                Some(1),
                "could not find `databaseChangeLog` node",
            ),
            (
                "databaseChangeLog: 5\n",
                Some(1),
                "`databaseChangeLog` does not contain a list of entries",
            ),
            (
                "x: 1\ndatabaseChangeLog:\n  a: 1\n",
                Some(2),
                "`databaseChangeLog` does not contain a list of entries",
            ),
            (
                "databaseChangeLog:\n  - changeSet:\n      id: [1\n",
                Some(4),
                "syntax error: while parsing a flow sequence, expected ',' or ']'",
            ),
            (
                "databaseChangeLog: []\n---\nx: 1\n",
                Some(2),
                "expected a single document in the stream, but found another document",
            ),
            (
                "databaseChangeLog:\n  - x: !foo 1\n",
                Some(2),
                "could not determine a constructor for the tag `!foo`",
            ),
            (
                "databaseChangeLog:\n  - x: !!binary aGk=\n",
                Some(2),
                "could not determine a constructor for the tag `!!binary`",
            ),
            (
                "databaseChangeLog:\n  - x: !!set {a: ~}\n",
                Some(2),
                "could not determine a constructor for the tag `!!set`",
            ),
            (
                "databaseChangeLog:\n  - x: !!int abc\n",
                Some(2),
                "invalid int value `abc`",
            ),
            (
                "databaseChangeLog:\n  - x: ._\n",
                Some(2),
                "invalid float value `._`",
            ),
            (
                "databaseChangeLog:\n- a: &r [*r]\n",
                Some(2),
                "an alias refers to the node that contains it: recursive data is not supported",
            ),
            (
                "databaseChangeLog:\n- a: *nope\n",
                Some(2),
                "syntax error: while parsing node, found unknown anchor",
            ),
            (
                "databaseChangeLog:\n  - x:\n      <<: 1\n",
                Some(3),
                "expected a mapping or list of mappings for merging, but found a scalar",
            ),
            (
                "databaseChangeLog:\n  - x:\n      <<: [1]\n",
                Some(3),
                "expected a mapping for merging, but found a scalar",
            ),
            (
                "databaseChangeLog:\n  - x:\n      ? [a]\n      : 1\n",
                Some(3),
                "mapping keys must be scalars, found a sequence",
            ),
        ];
        assert_rejected(read, "db/changelog.yaml", &cases);
        let p = read_err("databaseChangeLog: 5\n");
        assert_eq!(
            p.hint.as_deref(),
            Some("each changeSet must begin ' - changeSet:'")
        );
    }

    #[test]
    fn limits_nesting_like_snakeyaml() {
        let nested = |depth: usize| {
            format!(
                "databaseChangeLog:\n  - x: {}{}\n",
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        // The root mapping, the list and its item count: 48 more make 51, which snakeyaml allows.
        assert!(read(&nested(48), "f").is_ok());
        assert_eq!(
            read_err(&nested(49)).message,
            "nesting depth exceeded max 50"
        );
        // saphyr's scanner stops runaway flow nesting first.
        let p = read_err(&"[".repeat(100_000));
        assert_eq!(p.message, "syntax error: recursion limit exceeded");
        let p = read_err(&"- ".repeat(100_000));
        assert_eq!(p.message, "nesting depth exceeded max 50");
    }

    #[test]
    fn limits_aliases_like_snakeyaml() {
        let aliases =
            |n: usize| format!("a: &a [1]\ndatabaseChangeLog:\n{}", "  - x: *a\n".repeat(n));
        let node = read_ok(&aliases(50));
        assert_eq!(node.children.len(), 50);
        assert_eq!(node.children[0], leaf("x", "1", 3));
        let p = read_err(&aliases(51));
        assert_eq!(
            p.message,
            "number of aliases for non-scalar nodes exceeds the specified max=50"
        );
        // Scalar aliases are not counted.
        let scalars = format!("a: &a 1\ndatabaseChangeLog:\n{}", "  - x: *a\n".repeat(200));
        assert_eq!(read_ok(&scalars).children.len(), 200);
    }

    #[test]
    fn stops_alias_bombs() {
        // 24 doublings and one use, 49 aliases: 2^24 copies of a 100-item list without a limit.
        let mut text = format!("l0: &l0 [{}]\n", vec!["x"; 100].join(", "));
        for i in 1..=24 {
            text.push_str(&format!("l{i}: &l{i} [*l{}, *l{}]\n", i - 1, i - 1));
        }
        text.push_str("databaseChangeLog:\n  - x: *l24\n");
        let p = read_err(&text);
        assert!(
            p.message.starts_with("the document expands to more than"),
            "{p:?}"
        );
    }

    #[test]
    fn never_panics_on_truncated_input() {
        let text = "databaseChangeLog:\n  - changeSet: &c\n      id: 1.10\n      x: {$rawJson: [1, {a: 2020-01-01}]}\n      <<: *c\n  - y: [a, \"b\\u00e9\", 'c', |\n      d\n    ]\n";
        for end in 0..=text.len() {
            if let Some(prefix) = text.get(..end) {
                let _ = read(prefix, "f");
            }
        }
    }
}
