//! The mongosh subset that lbmongo runs without mongosh: a parser for scripts made only of `db…`
//! helper calls with literal arguments, and their lowering to server commands.
//!
//! A `mongo`/`mongoFile` change (or a formatted `.js` changeset) holds a mongosh script. Most
//! such scripts are a handful of helper calls — `db.createCollection(…)`,
//! `db.orders.createIndex(…)`, `db.getSiblingDB("x").users.insertMany([…])` — whose effect does
//! not need a JavaScript engine. [`parse()`] reads exactly that subset and rejects everything else
//! (variables, loops, functions, `print`, queries whose result is used, unknown helper options)
//! with an [`Unsupported`] that says where and why, before any statement runs. The caller then
//! runs the script through mongosh instead, or fails (`--mongosh-native always`).
//!
//! The meaning of each accepted statement is mongosh 2.12's (its `shell-api` helpers over the
//! Node.js driver 7.x and `js-bson`), so that a script gives the same database either way; the
//! equivalence is pinned by an end-to-end test that runs every subset script both ways. The
//! parts that matter:
//!
//! - Numbers are JavaScript doubles, serialized as js-bson does: an integral value in the Int32
//!   range (and not `-0`) is an Int32, anything else a Double. `NumberLong`, `NumberInt` and
//!   `NumberDecimal` give the other types.
//! - Object keys keep JavaScript's property order: integer-like keys first, ascending, then the
//!   others in the order written; a repeated key keeps its first position and its last value.
//! - Regular expressions keep their source; only the `i` and `m` flags are in the subset (js-bson
//!   writes `g` as `s` and drops `s`, `u` and `y`).
//! - `createIndex` names an unnamed index `<field>_<value>_…` as the driver does, and accepts
//!   only the index options the driver passes on (it silently drops the others).
//! - `insertOne`/`insertMany` replace a `null` `_id` with a new ObjectId, like the driver; a
//!   missing `_id` is left to the server, which puts it first as the driver-generated one ends
//!   up.
//! - `drop()` of a missing collection succeeds, as the driver's `drop` does.
//!
//! Where mongosh would reject a call (a replacement document in `updateOne`, `dropIndex('*')`,
//! an invalid date string) the statement is outside the subset rather than reimplemented.
//!
//! This file is the subset's door ([`parse()`], [`lower()`], [`lower_script`]); beside it, in
//! dependency order: `statement` (the parsed form and [`Unsupported`]), `values` (JavaScript
//! and js-bson values), `methods` (the method checks: each helper's arguments and options),
//! `parse` (scanner and parser: statement, values, methods) and `lower` (statements to server
//! commands: statement, values). Each uses only those before it.
//!
//! The unit tests below pin the subset's behaviour through this door, script in, commands
//! out, whichever file a rule lives in; a file's own tests cover what only it can show.

mod lower;
mod methods;
mod parse;
mod statement;
mod values;

pub use lower::{Expect, Step};
pub use statement::{Action, Database, Statement, Unsupported};

/// Parses `script` if it lies entirely inside the subset.
pub fn parse(script: &str) -> Result<Vec<Statement>, Unsupported> {
    parse::Parser::new(script).script()
}

/// Lowers parsed statements to server commands; `url_db` is the database of the connection URL.
pub fn lower(statements: &[Statement], url_db: &str) -> Vec<Step> {
    statements
        .iter()
        .map(|s| lower::lower_one(s, url_db))
        .collect()
}

/// [`parse()`], then [`lower()`].
pub fn lower_script(script: &str, url_db: &str) -> Result<Vec<Step>, Unsupported> {
    Ok(lower(&parse(script)?, url_db))
}

#[cfg(test)]
mod tests {
    use mongodb::bson::spec::BinarySubtype;
    use mongodb::bson::{Bson, Document, Regex, Timestamp, doc};

    use super::*;

    fn steps(script: &str) -> Vec<(String, Document)> {
        lower_script(script, "app")
            .unwrap_or_else(|e| panic!("{script}: {e}"))
            .into_iter()
            .map(|s| (s.database, s.body))
            .collect()
    }

    fn one(script: &str) -> Document {
        let mut all = steps(script);
        assert_eq!(all.len(), 1, "{script}");
        all.remove(0).1
    }

    #[test]
    fn helpers_lower_to_the_commands_the_driver_sends() {
        let cases: Vec<(&str, Document)> = vec![
            (
                "db.createCollection('towns', {capped: true, size: 4096, max: null})",
                doc! { "create": "towns", "capped": true, "size": 4096 },
            ),
            (
                "db.createView('v', 'towns', [{$match: {a: 1}}], {collation: {locale: 'fr'}})",
                doc! { "create": "v", "viewOn": "towns", "pipeline": [{ "$match": { "a": 1 } }], "collation": { "locale": "fr" } },
            ),
            ("db.runCommand('ping')", doc! { "ping": 1 }),
            (
                "db.runCommand({collMod: 'towns', validationLevel: 'off'})",
                doc! { "collMod": "towns", "validationLevel": "off" },
            ),
            (
                "db.towns.createIndex({name: 1, pop: -1}, {unique: true})",
                doc! { "createIndexes": "towns", "indexes": [{ "unique": true, "name": "name_1_pop_-1", "key": { "name": 1, "pop": -1 } }] },
            ),
            (
                "db.towns.createIndex({loc: '2dsphere'}, {name: 'geo', version: 2}, 'majority')",
                doc! { "createIndexes": "towns", "indexes": [{ "name": "geo", "v": 2, "key": { "loc": "2dsphere" } }], "commitQuorum": "majority" },
            ),
            (
                "db.getCollection('towns').createIndexes([{a: 1}, {b: 1.5}], {sparse: true})",
                doc! { "createIndexes": "towns", "indexes": [
                    { "sparse": true, "name": "a_1", "key": { "a": 1 } },
                    { "sparse": true, "name": "b_1.5", "key": { "b": 1.5 } },
                ] },
            ),
            (
                "db.towns.dropIndex('a_1')",
                doc! { "dropIndexes": "towns", "index": "a_1" },
            ),
            (
                "db.towns.dropIndexes()",
                doc! { "dropIndexes": "towns", "index": "*" },
            ),
            (
                "db.towns.insertOne({name: 'x'}, {bypassDocumentValidation: true})",
                doc! { "insert": "towns", "documents": [{ "name": "x" }], "ordered": true, "bypassDocumentValidation": true },
            ),
            (
                "db.towns.insertMany([{a: 1}, {a: 2}], {ordered: false})",
                doc! { "insert": "towns", "documents": [{ "a": 1 }, { "a": 2 }], "ordered": false },
            ),
            (
                "db.towns.updateMany({a: 1}, {$set: {b: 2}}, {upsert: true, arrayFilters: [{x: 1}], let: {v: 1}})",
                doc! { "update": "towns", "updates": [
                    { "q": { "a": 1 }, "u": { "$set": { "b": 2 } }, "upsert": true, "multi": true, "arrayFilters": [{ "x": 1 }] }
                ], "ordered": true, "let": { "v": 1 } },
            ),
            (
                "db.towns.updateOne({a: 1}, [{$set: {b: '$a'}}])",
                doc! { "update": "towns", "updates": [{ "q": { "a": 1 }, "u": [{ "$set": { "b": "$a" } }] }], "ordered": true },
            ),
            (
                "db.towns.replaceOne({a: 1}, {a: 1, b: 2}, {hint: {a: 1}})",
                doc! { "update": "towns", "updates": [{ "q": { "a": 1 }, "u": { "a": 1, "b": 2 }, "hint": { "a": 1 } }], "ordered": true },
            ),
            (
                "db.towns.deleteOne({a: 1})",
                doc! { "delete": "towns", "deletes": [{ "q": { "a": 1 }, "limit": 1 }], "ordered": true },
            ),
            (
                "db.towns.deleteMany({}, {comment: 'c'})",
                doc! { "delete": "towns", "deletes": [{ "q": {}, "limit": 0 }], "ordered": true, "comment": "c" },
            ),
            ("db.towns.drop()", doc! { "drop": "towns" }),
            (
                "db.createUser({user: 'u', pwd: 'p', roles: ['read'], passwordDigestor: 'server'}, {w: 1})",
                doc! { "createUser": "u", "pwd": "p", "roles": ["read"], "writeConcern": { "w": 1 }, "digestPassword": true },
            ),
            (
                "db.createRole({privileges: [], role: 'r', roles: []})",
                doc! { "createRole": "r", "privileges": [], "roles": [] },
            ),
        ];
        for (script, expected) in cases {
            assert_eq!(one(script), expected, "{script}");
        }
    }

    #[test]
    fn databases_follow_sibling_and_admin_calls() {
        let cases = [
            ("db.a.drop()", "app"),
            ("db.getSiblingDB('other').a.drop()", "other"),
            ("db.getSiblingDB('other').getSiblingDB('x').a.drop()", "x"),
            ("db.adminCommand({ping: 1})", "admin"),
            ("db.getSiblingDB('other').adminCommand('ping')", "admin"),
            ("db.a.renameCollection('b')", "admin"),
        ];
        for (script, database) in cases {
            assert_eq!(steps(script)[0].0, database, "{script}");
        }
        assert_eq!(
            one("db.getSiblingDB('o').a.renameCollection('b', true)"),
            doc! { "renameCollection": "o.a", "to": "o.b", "dropTarget": true }
        );
    }

    #[test]
    fn collection_names_follow_mongosh_property_rules() {
        let cases = [
            ("db.orders.drop()", "orders"),
            ("db.orders.archive.drop()", "orders.archive"),
            ("db['my-coll'].drop()", "my-coll"),
            ("db.getCollection('stats').drop()", "stats"),
            ("db.getCollection('a').b.drop()", "a.b"),
        ];
        for (script, name) in cases {
            assert_eq!(one(script).get_str("drop"), Ok(name), "{script}");
        }
        for script in [
            "db.stats.drop()",
            "db._x.drop()",
            "db.toString.drop()",
            "db.a.find.drop()",
        ] {
            assert!(parse(script).is_err(), "{script}");
        }
    }

    #[test]
    fn literals_follow_javascript_and_js_bson() {
        let d = one(
            "db.c.insertOne({ i: 1, f: 1.0, big: 3000000000, neg: -0, half: .5, hex: 0x10, e: 1e3, \
             s: 'a\\'b\\u00e9\\u{1F600}', t: `x`, r: /ab+c/mi, b: true, n: null, \
             l: NumberLong('9007199254740993'), li: NumberLong(5), ni: NumberInt('7'), \
             dec: NumberDecimal('1.10'), oid: ObjectId('507f1f77bcf86cd799439011'), \
             d: ISODate('2020-01-02T03:04:05.6Z'), d2: new Date(0), d3: new Date('2020-01-01'), \
             ts: Timestamp({t: 5, i: 1}), u: UUID('0123456789abcdef0123456789abcdef'), \
             bin: BinData(0, 'AQI='), mk: MinKey(), inf: -Infinity, arr: [1, 'x',], })",
        );
        let d = d.get_array("documents").expect("documents")[0]
            .as_document()
            .expect("a document")
            .clone();
        assert_eq!(d.get("i"), Some(&Bson::Int32(1)));
        assert_eq!(d.get("f"), Some(&Bson::Int32(1)));
        assert_eq!(d.get("big"), Some(&Bson::Double(3_000_000_000.0)));
        assert!(matches!(d.get("neg"), Some(Bson::Double(z)) if *z == 0.0 && z.is_sign_negative()));
        assert_eq!(d.get("half"), Some(&Bson::Double(0.5)));
        assert_eq!(d.get("hex"), Some(&Bson::Int32(16)));
        assert_eq!(d.get("e"), Some(&Bson::Int32(1000)));
        assert_eq!(d.get_str("s"), Ok("a'bé😀"));
        assert_eq!(d.get_str("t"), Ok("x"));
        assert_eq!(
            d.get("r"),
            Some(&Bson::RegularExpression(Regex {
                pattern: "ab+c".into(),
                options: "im".into()
            }))
        );
        assert_eq!(d.get("l"), Some(&Bson::Int64(9_007_199_254_740_993)));
        assert_eq!(d.get("li"), Some(&Bson::Int64(5)));
        assert_eq!(d.get("ni"), Some(&Bson::Int32(7)));
        assert_eq!(
            d.get("dec").map(ToString::to_string),
            Some("1.10".to_owned())
        );
        assert_eq!(
            d.get_datetime("d").map(|t| t.timestamp_millis()),
            Ok(1_577_934_245_600)
        );
        assert_eq!(d.get_datetime("d2").map(|t| t.timestamp_millis()), Ok(0));
        assert_eq!(
            d.get_datetime("d3").map(|t| t.timestamp_millis()),
            Ok(1_577_836_800_000)
        );
        assert_eq!(
            d.get("ts"),
            Some(&Bson::Timestamp(Timestamp {
                time: 5,
                increment: 1
            }))
        );
        assert!(
            matches!(d.get("u"), Some(Bson::Binary(b)) if b.subtype == BinarySubtype::Uuid && b.bytes.len() == 16)
        );
        assert!(matches!(d.get("bin"), Some(Bson::Binary(b)) if b.bytes == [1, 2]));
        assert_eq!(d.get("mk"), Some(&Bson::MinKey));
        assert_eq!(d.get("inf"), Some(&Bson::Double(f64::NEG_INFINITY)));
        assert_eq!(d.get_array("arr").map(Vec::len), Ok(2));
    }

    #[test]
    fn object_keys_take_javascript_property_order() {
        let d = one("db.runCommand({b: 1, 2: 'x', a: 1, '1': 'y', b: 3, '01': 0})");
        assert_eq!(d.keys().collect::<Vec<_>>(), ["1", "2", "b", "a", "01"]);
        assert_eq!(d.get("b"), Some(&Bson::Int32(3)));
    }

    #[test]
    fn null_ids_are_replaced_like_the_driver_does() {
        let d = one("db.c.insertOne({a: 1, _id: null})");
        let doc = d.get_array("documents").expect("documents")[0]
            .as_document()
            .expect("a document")
            .clone();
        assert_eq!(doc.keys().collect::<Vec<_>>(), ["a", "_id"]);
        assert!(matches!(doc.get("_id"), Some(Bson::ObjectId(_))));
    }

    #[test]
    fn statements_split_on_semicolons_and_line_breaks() {
        let script = "// setup\n\
                      db.a.insertOne({x: 1});db.b.insertOne({x: 2})\n\
                      /* multi\n line */ db.c\n  .insertOne({\n x: 3 })\n\
                      ;;\n\
                      db.getCollection('d')\n  .drop();";
        let parsed = parse(script).expect("in the subset");
        let lines: Vec<usize> = parsed.iter().map(|s| s.line).collect();
        assert_eq!(lines, [2, 2, 4, 8]);
    }

    #[test]
    fn everything_outside_the_subset_is_refused_with_its_position() {
        let cases = [
            ("var x = 1", 1, 1, "variables"),
            (
                "db.a.insertOne({a: 1})\nprint('hi')",
                2,
                1,
                "only statements starting with `db`",
            ),
            ("for (let i = 0; i < 3; i++) {}", 1, 1, "`for`"),
            (
                "db.a.insertOne({a: x})",
                1,
                20,
                "variables are outside the native subset (`x`)",
            ),
            ("db.a.find({}).toArray()", 1, 5, "`find()` on a collection"),
            (
                "db.a.insertOne({a: 1}).insertedId",
                1,
                23,
                "using the result",
            ),
            (
                "db.a.insertOne({a: 1}) db.b.drop()",
                1,
                24,
                "`;` or a line break",
            ),
            ("db.a.updateOne({}, {a: 1})", 1, 5, "`$` operators"),
            (
                "db.a.replaceOne({}, {$set: {a: 1}})",
                1,
                5,
                "without `$` operators",
            ),
            (
                "db.a.insertOne({a: 1}, {writeConcern: {w: 1}})",
                1,
                5,
                "option `writeConcern`",
            ),
            ("db.a.createIndex({a: 1}, {foo: 1})", 1, 5, "option `foo`"),
            ("db.a.dropIndex('*')", 1, 5, "dropIndexes"),
            ("db.a.insertOne({d: Date()})", 1, 20, "without `new`"),
            (
                "db.a.insertOne({d: new Date('2020-01-01T00:00:00')})",
                1,
                24,
                "with a zone",
            ),
            (
                "db.a.insertOne({d: ISODate('2021-02-30')})",
                1,
                20,
                "not a valid ISODate",
            ),
            ("db.a.insertOne({r: /a/g})", 1, 23, "flags"),
            ("db.a.insertOne({a: undefined})", 1, 20, "`undefined`"),
            ("db.a.insertOne({[k]: 1})", 1, 17, "computed keys"),
            ("db.a.insertOne({a})", 1, 18, "shorthand"),
            ("db.a.insertOne({__proto__: {}})", 1, 17, "`__proto__`"),
            ("db.a.insertOne({a: 1n})", 1, 20, "unsupported number"),
            ("db.a.insertOne({a: 010})", 1, 20, "legacy octal"),
            ("db.a.insertOne({a: `${x}`})", 1, 22, "substitutions"),
            (
                "db.a.insertOne({a: '\\ud800'})",
                1,
                22,
                "unpaired surrogate",
            ),
            ("db.a.insertOne({a: [1,,2]})", 1, 23, "array holes"),
            ("db.a.insertOne({a: function() {}})", 1, 20, "functions"),
            ("db.dropDatabase()", 1, 3, "`db.dropDatabase()`"),
            ("db.a.insertOne({a: 1}", 1, 22, "`,` or `)`"),
            ("db.a.insertOne({a: 1 b: 2})", 1, 22, "`,` or `}`"),
            ("db.a.insertOne({a: [1 2]})", 1, 23, "`,` or `]`"),
            ("db.a.insertOne({a: 'x})", 1, 20, "unterminated string"),
            ("db.createUser({user: 'u', roles: []})", 1, 3, "needs `pwd`"),
            ("db.a.insertMany([])", 1, 5, "non-empty array"),
            ("/* open", 1, 1, "unterminated comment"),
            ("db", 1, 3, "does not call a helper"),
        ];
        for (script, line, column, fragment) in cases {
            let e = parse(script).expect_err(script);
            assert!(e.message.contains(fragment), "{script}: {e}");
            assert_eq!((e.line, e.column), (line, column), "{script}: {e}");
        }
    }

    /// A long script keeps every statement and the right line for each (positions are counted
    /// incrementally; how long parsing takes is `make bench`'s business, never asserted here).
    #[test]
    fn long_scripts_keep_every_statement_and_line() {
        let script = "db.c.insertOne({a: 1, b: 'text', c: [1, 2, 3]});\n".repeat(50_000);
        let parsed = parse(&script).expect("in the subset");
        assert_eq!(parsed.len(), 50_000);
        assert_eq!(
            (parsed[0].line, parsed[24_999].line, parsed[49_999].line),
            (1, 25_000, 50_000)
        );
        let broken = format!("{script}db.c.insertOne({{a: }});\n");
        let e = parse(&broken).expect_err("the last statement is broken");
        assert_eq!(e.line, 50_001, "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("db.a.insertOne({}{})", "{a: ".repeat(500), "}".repeat(500));
        assert!(
            parse(&deep)
                .expect_err("too deep")
                .message
                .contains("nesting")
        );
        let arrays = format!(
            "db.a.insertOne({{a: {}1{}}})",
            "[".repeat(500),
            "]".repeat(500)
        );
        assert!(parse(&arrays).is_err());
    }
    #[test]
    fn previews_name_the_database() {
        let lowered = lower_script(
            "db.a.drop(); db.adminCommand('ping'); db.getSiblingDB('o').a.drop()",
            "app",
        )
        .expect("in the subset");
        let js: Vec<String> = lowered.iter().map(|s| s.to_js("app")).collect();
        assert_eq!(
            js,
            [
                "db.runCommand({\"drop\": \"a\"});",
                "db.adminCommand({\"ping\": 1});",
                "db.getSiblingDB(\"o\").runCommand({\"drop\": \"a\"});",
            ]
        );
        assert_eq!(lowered[2].to_command("app"), None);
    }

    /// Regression inputs found by the `shell_subset` fuzz target: a command with an empty name
    /// was accepted and lowered to `{"": 1}`, a command without a name.
    #[test]
    fn empty_command_names_are_refused() {
        let cases = [
            // The fuzzer's input, byte for byte (the first statement is fine, the second is not).
            (
                "db.runCommand({vtiLevel: 'of\u{1}\0\0\0\0\u{1}f'});\ndb.adminCommand('')",
                2,
                3,
                "`adminCommand` needs a command document or name",
            ),
            (
                "db.runCommand('')",
                1,
                3,
                "`runCommand` needs a command document or name",
            ),
            (
                "db.runCommand({'': 1})",
                1,
                3,
                "`runCommand` needs a command document or name",
            ),
            (
                "db.adminCommand({})",
                1,
                3,
                "`adminCommand` needs a command document or name",
            ),
        ];
        for (script, line, column, message) in cases {
            let e = parse(script).expect_err(script);
            assert_eq!(
                (e.line, e.column, e.message.as_str()),
                (line, column, message),
                "{script}"
            );
        }
        // A named command next to the empty key still lowers, with its name first.
        assert_eq!(
            one("db.runCommand({ping: 1, '': 2})"),
            doc! { "ping": 1, "": 2 }
        );
    }
}
