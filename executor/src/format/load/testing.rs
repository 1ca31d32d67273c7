//! Fixtures shared by the loader's unit tests: file trees on disk, hand-built node trees and
//! short ways to read them.

use mongodb::bson::Document;

use super::{Inherited, Loader, ReadOptions};
use crate::change::Json;
use crate::changelog::ChangeLog;
use crate::error::Result;
use crate::format::node::Node;

/// Writes `files` under a fresh directory and returns it.
pub(super) fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    dir
}

pub(super) fn options(root: &std::path::Path) -> ReadOptions {
    ReadOptions {
        search_path: vec![root.to_path_buf()],
        ..ReadOptions::default()
    }
}

/// A formatted changelog: header, `extra` lines, then one changeset per `author:id`.
pub(super) fn js(extra: &str, changesets: &[&str]) -> String {
    let mut text = format!("// liquibase formatted mongodb\n{extra}");
    for cs in changesets {
        text.push_str(&format!("// changeset {cs} runWith:mongosh\ndb.x.find()\n"));
    }
    text
}

pub(super) fn ids(log: &ChangeLog) -> Vec<String> {
    log.change_sets.iter().map(|cs| cs.id.to_string()).collect()
}

pub(super) fn message(result: Result<ChangeLog>) -> String {
    match result {
        Ok(log) => panic!("expected an error, read {:?}", ids(&log)),
        Err(e) => e.to_string(),
    }
}

/// A node with leaf attributes, then `children`.
pub(super) fn node(name: &str, attrs: &[(&str, &str)], children: Vec<Node>) -> Node {
    let mut n = Node::new(name, None);
    n.children
        .extend(attrs.iter().map(|(k, v)| Node::leaf(*k, *v, None)));
    n.children.extend(children);
    n
}

pub(super) fn at(mut n: Node, line: usize) -> Node {
    n.line = Some(line);
    n
}

pub(super) fn change_set(id: &str, children: Vec<Node>) -> Node {
    node("changeSet", &[("id", id), ("author", "alice")], children)
}

pub(super) fn drop_collection(name: &str) -> Node {
    node("dropCollection", &[("collectionName", name)], vec![])
}

/// Loads a hand-built root node as `db/main.xml`.
pub(super) fn load_with(children: Vec<Node>, options: &ReadOptions) -> Result<ChangeLog> {
    let physical = "db/main.xml";
    let mut loader = Loader::new(options);
    loader.stack.push(physical.to_owned());
    loader.load_changelog(
        node("databaseChangeLog", &[], children),
        physical,
        Inherited::default(),
    );
    loader.finish(physical.to_owned())
}

pub(super) fn load(children: Vec<Node>) -> Result<ChangeLog> {
    load_with(children, &ReadOptions::default())
}

pub(super) fn json(text: &str, doc: Document) -> Json {
    Json::new(text, doc)
}
