//! Context and label expressions and `dbms` lists (Liquibase `ContextExpression`, `Contexts`,
//! `Labels`, `LabelExpression`, `ExpressionMatcher`, `ContextChangeSetFilter`,
//! `LabelChangeSetFilter`, `DatabaseList`).
//!
//! Contexts and labels are mirror images: a changeset holds a context *expression* and the run
//! gives a context *list*; a changeset holds a label *list* and the run gives a label
//! *expression*. Both sides are lowercased and split on commas first; each comma-separated part
//! of an expression is then evaluated by the string-rewriting algorithm of Liquibase's
//! `ExpressionMatcher`, ported here rule for rule rather than replaced by a grammar, because its
//! quirks are observable: `dev and` is the literal context named `dev and`, a comma inside
//! parentheses splits the expression before the parentheses are read, and `@name` means "only
//! when `name` is explicitly supplied".
//!
//! Where 4.28 and 4.33 differ, this module follows 4.33 (the version lbmongo mirrors):
//! - a runtime context written `@x` is compared as `x` (4.33 `ExpressionMatcher`);
//! - the context filter is evaluated from both sides (4.33 `ContextChangeSetFilter`);
//! - include labels are merged with the changeset's labels into one list before the label filter
//!   is applied (4.33 `LabelChangeSetFilter`, liquibase/liquibase#1813), where 4.28 required the
//!   filter to match the changeset's labels and each include's labels separately.

use crate::java;

/// Java's regex `.`: anything but a line terminator.
fn is_java_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Java's `String.split(",")`: trailing empty strings are dropped, inner and leading ones kept.
fn java_split_comma(s: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(',').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// `StringUtil.trimToNull` then `splitAndTrim(",")`, each part lowercased and kept once in
/// first-seen order: how `ContextExpression`, `Contexts`, `Labels` and `LabelExpression` parse.
fn split_lowercase(text: Option<&str>) -> Vec<String> {
    let Some(text) = text.map(java::trim).filter(|t| !t.is_empty()) else {
        return Vec::new();
    };
    let mut parts: Vec<String> = Vec::new();
    for part in java_split_comma(text) {
        let part = java::trim(part).to_lowercase();
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts
}

/// `ExpressionMatcher` failed: a `(` is left that no innermost `(…)` group explains.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ParseFailure;

/// The byte range of the leftmost match of `\([^()]+\)` (Liquibase `NESTED_EXPRESSION_PATTERN`).
fn find_innermost_group(s: &str) -> Option<(usize, usize)> {
    for (open, c) in s.char_indices() {
        if c != '(' {
            continue;
        }
        let inner_start = open + 1;
        for (offset, c) in s[inner_start..].char_indices() {
            match c {
                '(' => break,
                ')' if offset > 0 => return Some((open, inner_start + offset + 1)),
                ')' => break,
                _ => {}
            }
        }
    }
    None
}

/// The end of the run of Java whitespace starting at `from`.
fn end_of_space(s: &str, from: usize) -> usize {
    s[from..]
        .char_indices()
        .find(|&(_, c)| !java::is_space(c))
        .map_or(s.len(), |(i, _)| from + i)
}

/// Java's `s.split("\\s+" + word + "\\s+")`: the word must have whitespace on both sides;
/// trailing empty pieces are dropped and no match gives the whole string.
fn java_split_word<'a>(s: &'a str, word: &str) -> Vec<&'a str> {
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    let mut search = 0;
    while search < s.len() {
        let Some((space, _)) = s[search..].char_indices().find(|&(_, c)| java::is_space(c)) else {
            break;
        };
        let run_start = search + space;
        let run_end = end_of_space(s, run_start);
        let after_word = run_end + word.len();
        let word_follows = s[run_end..].starts_with(word)
            && s[after_word..].chars().next().is_some_and(java::is_space);
        if word_follows {
            pieces.push(&s[piece_start..run_start]);
            piece_start = end_of_space(s, after_word);
            search = piece_start;
        } else {
            search = run_end;
        }
    }
    if pieces.is_empty() {
        return vec![s];
    }
    pieces.push(&s[piece_start..]);
    while pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    pieces
}

/// Java's `s.replaceAll("\\s*,\\s*", " or ")`.
fn commas_to_or(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut copied = 0;
    for (comma, _) in s.match_indices(',') {
        if comma < copied {
            continue;
        }
        // Whitespace just before the comma belongs to the match, but not whitespace an
        // earlier match already took.
        let start = copied + s[copied..comma].trim_end_matches(java::is_space).len();
        out.push_str(&s[copied..start]);
        out.push_str(" or ");
        copied = end_of_space(s, comma + 1);
    }
    out.push_str(&s[copied..]);
    out
}

/// `^@\s*(!|not )` followed by at least one char that is not a line terminator, matched against
/// the whole text: returns what follows the prefix.
fn strip_required_not(s: &str) -> Option<&str> {
    let rest = s.strip_prefix('@')?;
    let rest = &rest[end_of_space(rest, 0)..];
    let rest = rest
        .strip_prefix('!')
        .or_else(|| rest.strip_prefix("not "))?;
    let full_match = !rest.is_empty() && !rest.chars().any(is_java_line_terminator);
    full_match.then_some(rest)
}

/// Liquibase `ExpressionMatcher.matches` (4.33): does `items` satisfy `expression`?
///
/// The expression is rewritten, not parsed: the innermost `(…)` is evaluated and replaced by
/// ` :TRUE ` or ` :FALSE `, commas become `or`, then the text is split on ` or ` and ` and `,
/// and what is left is one operand with optional `!`, `not ` and `@`. With no items every
/// operand matches except a required (`@`) one.
fn expression_matches(expression: &str, items: &[String]) -> Result<bool, ParseFailure> {
    let mut expression = java::trim(expression).to_owned();
    if expression == ":TRUE" {
        return Ok(true);
    }
    if expression == ":FALSE" {
        return Ok(false);
    }

    while expression.contains('(') {
        let Some((start, end)) = find_innermost_group(&expression) else {
            return Err(ParseFailure);
        };
        let nested = expression_matches(&expression[start + 1..end - 1], items)?;
        let value = if nested { "TRUE" } else { "FALSE" };
        expression = format!("{} :{value} {}", &expression[..start], &expression[end..]);
    }

    let expression = commas_to_or(&expression);

    let or_split = java_split_word(&expression, "or");
    if or_split.len() > 1 {
        for part in or_split {
            if expression_matches(part, items)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }

    let and_split = java_split_word(&expression, "and");
    if and_split.len() > 1 {
        for part in and_split {
            if !expression_matches(part, items)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }

    let mut operand: &str = &expression;
    let mut negated = false;
    if let Some(rest) = operand.strip_prefix('!') {
        negated = true;
        operand = java::trim(rest);
    } else if operand.to_lowercase().starts_with("not ") {
        negated = true;
        operand = java::trim(&operand[4..]);
    } else if let Some(rest) = strip_required_not(operand) {
        negated = true;
        operand = java::trim(rest);
    }

    let mut required = false;
    if let Some(rest) = operand.strip_prefix('@') {
        required = true;
        operand = java::trim(rest);
    }

    if !required && items.is_empty() {
        return Ok(true);
    }
    if java::trim(operand) == ":TRUE" {
        return Ok(!negated);
    }
    if java::trim(operand) == ":FALSE" {
        return Ok(negated);
    }

    let wanted = operand.to_lowercase();
    for item in items {
        // 4.33: a runtime item written `@x` is compared as `x`.
        let item = item.strip_prefix('@').map_or(item.as_str(), java::trim);
        if item.to_lowercase() == wanted {
            return Ok(!negated);
        }
    }
    Ok(negated)
}

/// Reports the first comma-separated part of `text` that Liquibase cannot evaluate.
fn validate_parts(kind: &str, text: Option<&str>, parts: &[String]) -> Result<(), String> {
    for part in parts {
        if expression_matches(part, &[]).is_err() {
            let hint = if text.is_some_and(|t| t.contains(',')) {
                "; commas split the expression before parentheses are read, use `or` inside parentheses"
            } else {
                ""
            };
            return Err(format!(
                "cannot parse {kind} expression `{}`: `{part}` has unbalanced or empty parentheses{hint}",
                text.unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// A changeset's (or include's, or `<property>`'s) context expression (`context="dev and !prod"`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContextExpression {
    /// As written, `None` when blank.
    text: Option<String>,
    /// Lowercased comma-separated parts: the changeset runs when any of them matches.
    parts: Vec<String>,
}

impl ContextExpression {
    /// An expression from changelog text; blank text is the empty expression.
    pub fn new(text: Option<&str>) -> Self {
        // As ContextExpression(String): the text is kept as written (it is what history stores),
        // the parts are trimmed and lowercased.
        let text = text
            .filter(|t| !java::trim(t).is_empty())
            .map(str::to_owned);
        let parts = split_lowercase(text.as_deref());
        Self { text, parts }
    }

    /// The text as written, `None` when empty.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// True when the expression has no parts: it places no restriction.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Rejects what Liquibase fails on when it evaluates the expression ("Cannot parse
    /// expression"): a `(` with no innermost `(…)` group, such as `(a`, `()` or `(a, b)`.
    ///
    /// Dangling operators are not errors in Liquibase: `dev and` is one operand, the context
    /// named `dev and`, so they are accepted here too.
    pub fn validate(&self) -> Result<(), String> {
        validate_parts("context", self.text(), &self.parts)
    }

    /// Liquibase `ContextExpression.matches` (4.33): does the run's context list select this
    /// expression? An empty expression matches unless a runtime context is required (`@x`).
    pub fn matches(&self, runtime: &Contexts) -> bool {
        let required_runtime = runtime.values.iter().any(|c| c.starts_with('@'));
        if self.parts.is_empty() && !required_runtime {
            return true;
        }
        // An expression Liquibase cannot parse makes it fail; `validate` reports it before any
        // matching, so here it simply does not match.
        self.parts
            .iter()
            .any(|part| expression_matches(part, &runtime.values).unwrap_or(false))
    }
}

/// A changeset's (or include's) labels (`labels="a,b"`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Labels {
    /// As written, `None` when blank.
    text: Option<String>,
    /// Lowercased, trimmed, each once, in written order.
    values: Vec<String>,
}

impl Labels {
    /// Labels from changelog text; blank text is no labels.
    pub fn new(text: Option<&str>) -> Self {
        let text = text
            .map(java::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let values = split_lowercase(text.as_deref());
        Self { text, values }
    }

    /// The text as written, `None` when empty.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The labels, lowercased, each once, in written order.
    pub fn values(&self) -> Vec<String> {
        self.values.clone()
    }

    /// Liquibase `Labels.toString()`: the lowercased labels joined with `,`.
    fn to_liquibase_string(&self) -> String {
        self.values.join(",")
    }
}

/// The run's context list (`--context-filter`, alias `--contexts`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contexts {
    /// Lowercased, each once.
    values: Vec<String>,
}

impl Contexts {
    /// Parses `--context-filter`: backslashes are dropped (as `Contexts(String)` does), then the
    /// comma-separated names are trimmed and lowercased. Blank or absent is the empty list.
    pub fn parse(text: Option<&str>) -> Contexts {
        let cleaned = text.map(|t| t.replace('\\', ""));
        Contexts {
            values: split_lowercase(cleaned.as_deref()),
        }
    }

    /// True when no context was given: every changeset matches except `@`-required ones.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The contexts, lowercased.
    pub fn values(&self) -> &[String] {
        &self.values
    }
}

/// The run's label expression (`--label-filter`, alias `--labels`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelExpression {
    /// As given (backslashes dropped), `None` when blank.
    text: Option<String>,
    /// Lowercased comma-separated parts: a changeset is selected when any of them matches.
    parts: Vec<String>,
}

impl LabelExpression {
    /// Parses `--label-filter`: backslashes are dropped (as `LabelExpression(String)` does), the
    /// text is split on commas, trimmed and lowercased. Fails on what Liquibase cannot evaluate
    /// (see [`ContextExpression::validate`]).
    pub fn parse(text: Option<&str>) -> Result<LabelExpression, String> {
        let cleaned = text.map(|t| t.replace('\\', ""));
        let parts = split_lowercase(cleaned.as_deref());
        let text = cleaned.filter(|t| !java::trim(t).is_empty());
        validate_parts("label", text.as_deref(), &parts)?;
        Ok(LabelExpression { text, parts })
    }

    /// The filter as given, `None` when empty.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// True when no label filter was given.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Liquibase `LabelExpression.matches(Labels)`: an empty filter matches everything; a
    /// changeset without labels matches every filter part that is not required (`@a`).
    pub fn matches(&self, labels: &Labels) -> bool {
        if self.parts.is_empty() {
            return true;
        }
        self.parts
            .iter()
            .any(|part| expression_matches(part, &labels.values).unwrap_or(false))
    }
}

/// Liquibase `ChangeSet.buildFullContext`'s `appendContext`: a piece containing a comma or a
/// space is wrapped in parentheses, pieces are joined with ` AND `.
fn append_context(out: &mut String, piece: &str) {
    if !out.is_empty() {
        out.push_str(" AND ");
    }
    let complex = piece.contains(',') || piece.contains(' ');
    if complex {
        out.push('(');
    }
    out.push_str(piece);
    if complex {
        out.push(')');
    }
}

/// Core's `ChangeSet.buildFullContext`: inherited expressions, then the changeset's own.
fn full_context(own: &ContextExpression, inherited: &[ContextExpression]) -> Option<String> {
    let mut out = String::new();
    for expression in inherited.iter().filter(|e| !e.is_empty()) {
        append_context(&mut out, expression.text().unwrap_or_default());
    }
    if !own.is_empty() {
        append_context(&mut out, own.text().unwrap_or_default());
    }
    let trimmed = java::trim(&out);
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Core's `ChangeSet.buildFullLabels`: inherited labels, then the changeset's own, joined
/// with `,`.
fn full_labels(own: &Labels, inherited: &[Labels]) -> Option<String> {
    let pieces: Vec<String> = inherited
        .iter()
        .chain(std::iter::once(own))
        .filter(|l| !l.is_empty())
        .map(Labels::to_liquibase_string)
        .collect();
    let joined = pieces.join(",");
    let trimmed = java::trim(&joined);
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Whether a changeset runs under the run's contexts and labels (4.33 `ContextChangeSetFilter`
/// and `LabelChangeSetFilter`).
///
/// `inherited` and `inherited_labels` are the include-level filters in Liquibase's order
/// (`ChangeSet.getInheritableContextFilter`): the changeset's own changelog first (its
/// `<databaseChangeLog context>`, then the context of the include that pulled it in), then each
/// parent's, up to the root. Every inherited context expression must match on its own (ANDed).
/// The own expression matches when either it matches the run's list or, 4.33's second side,
/// some runtime context, read as an expression, matches the changeset's full context text split
/// on commas. Labels: the filter is matched against the include labels and the changeset's
/// labels merged into one list.
pub(crate) fn change_set_matches(
    own: &ContextExpression,
    inherited: &[ContextExpression],
    own_labels: &Labels,
    inherited_labels: &[Labels],
    contexts: &Contexts,
    labels: &LabelExpression,
) -> bool {
    let provided = ContextExpression {
        text: Some(contexts.values.join(",")),
        parts: contexts.values.clone(),
    };
    let full = Contexts::parse(full_context(own, inherited).as_deref());
    let own_matches = provided.matches(&full) || own.matches(contexts);
    let inherited_match = inherited.iter().all(|e| e.matches(contexts));
    let full_labels = Labels::new(full_labels(own_labels, inherited_labels).as_deref());
    own_matches && inherited_match && labels.matches(&full_labels)
}

/// The history `contexts` field as the liquibase-mongodb extension writes it
/// (`MongoRanChangeSetToDocumentConverter.buildFullContext`).
///
/// Null when the changeset's own expression is empty, even if includes carry contexts (core's
/// SQL history would store the include's); otherwise the inherited expressions then the own
/// one, each as written, wrapped in parentheses when it contains a comma or a space, joined
/// with ` AND `. `inherited` is in the order of [`change_set_matches`].
pub(crate) fn history_contexts(
    own: &ContextExpression,
    inherited: &[ContextExpression],
) -> Option<String> {
    if own.is_empty() {
        return None;
    }
    let mut out = String::new();
    for expression in inherited.iter().filter(|e| !e.is_empty()) {
        append_context(&mut out, expression.text().unwrap_or_default());
    }
    append_context(&mut out, own.text().unwrap_or_default());
    Some(out)
}

/// The history `labels` field as the liquibase-mongodb extension writes it
/// (`MongoRanChangeSetToDocumentConverter.buildLabels`): the changeset's own labels,
/// lowercased and joined with `,`; null when it has none.
///
/// `inherited` is accepted for symmetry with [`history_contexts`] but never written:
/// `MongoHistoryService.markChangeSetRun` passes only `changeSet.getLabels()`, so include labels
/// never reach the Mongo history (core's SQL history writes `buildFullLabels`, include labels
/// first).
pub(crate) fn history_labels(own: &Labels, inherited: &[Labels]) -> Option<String> {
    let _ = inherited;
    (!own.is_empty()).then(|| own.to_liquibase_string())
}

/// Liquibase `DatabaseList.definitionMatches(Collection, shortName, true)`.
pub(crate) fn definition_matches(definition: Option<&[String]>, short_name: &str) -> bool {
    let Some(definition) = definition.filter(|d| !d.is_empty()) else {
        return true;
    };
    let has = |name: &str| definition.iter().any(|d| d == name);
    if has("all") {
        return true;
    }
    if has("none") {
        return false;
    }
    if has(&format!("!{short_name}")) {
        return false;
    }
    let mut supported = definition.iter().filter(|d| !d.starts_with('!')).peekable();
    supported.peek().is_none() || supported.any(|d| d == short_name)
}

/// Whether a changeset's `dbms` attribute selects the database (Liquibase `DbmsChangeSetFilter`
/// with `ChangeSet.setDbms`/`DatabaseList.toDbmsSet`).
///
/// Blank or absent selects every database. Otherwise the list is lowercased and split on
/// commas, each name trimmed: `all` selects everything, `none` nothing (even with other names),
/// `!name` excludes that database, and when any plain names are listed the database must be one
/// of them. `short_name` is compared as given (Liquibase's short names are lowercase:
/// `mongodb`).
pub(crate) fn dbms_matches(dbms: Option<&str>, short_name: &str) -> bool {
    let Some(dbms) = dbms.filter(|d| !java::trim(d).is_empty()) else {
        return true;
    };
    let lowered = dbms.to_lowercase();
    let mut set: Vec<String> = Vec::new();
    for name in java_split_comma(&lowered) {
        let name = java::trim(name).to_owned();
        if !set.contains(&name) {
            set.push(name);
        }
    }
    definition_matches(Some(&set), short_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn expression_matcher_follows_liquibase_rules() {
        let xyz = ["x", "y", "z"];
        let cases: &[(&str, &[&str], bool)] = &[
            ("", &["x"], false),
            ("x", &["x"], true),
            ("y", &xyz, true),
            ("Y", &xyz, true),
            ("!y", &xyz, false),
            ("not y", &xyz, false),
            ("!a", &xyz, true),
            ("a or x", &xyz, true),
            ("b or not a", &xyz, true),
            ("a and x", &xyz, false),
            ("y and x", &xyz, true),
            ("(a or x) and (y or b)", &xyz, true),
            ("(a, x) and (y, b)", &xyz, true),
            ("(a or x) and (c or d)", &xyz, false),
            ("((a or x) and y) or c", &xyz, true),
            ("!(a or x)", &xyz, false),
            ("not (a or b)", &xyz, true),
            // Operators need whitespace on both sides; otherwise it is one operand.
            ("x and", &xyz, false),
            ("x\tand\ny", &xyz, true),
            // With no items everything matches except a required operand.
            ("", &[], true),
            ("x", &[], true),
            ("!y", &[], true),
            ("a and x", &[], true),
            ("(a, x) and (c, d)", &[], true),
            ("@x", &["x"], true),
            ("@Y", &xyz, true),
            ("!@y", &xyz, false),
            ("@not y", &xyz, false),
            ("@!a", &xyz, true),
            ("@a and x", &xyz, false),
            ("(@a or x) and (@y or b)", &xyz, true),
            ("@x", &[], false),
            ("!@y", &[], true),
            ("@not @y", &[], true),
            ("@!y", &[], true),
            ("@a or x", &[], true),
            ("@a or @x", &[], false),
            ("@y and x", &[], false),
            ("(@a or @x) and (y or b)", &[], false),
            ("(@a, x) and (@y, b)", &[], true),
            // 4.33: an item written `@x` is compared as `x`.
            ("x", &["@x"], true),
        ];
        for (expression, list, expected) in cases {
            assert_eq!(
                expression_matches(expression, &items(list)),
                Ok(*expected),
                "{expression:?} against {list:?}"
            );
        }
    }

    #[test]
    fn expression_matcher_fails_on_parentheses_it_cannot_reduce() {
        for expression in ["(a", "()", "((a)", "x) and (y", "a and (b"] {
            assert_eq!(
                expression_matches(expression, &[]),
                Err(ParseFailure),
                "{expression:?}"
            );
        }
        // A stray `)` is part of an operand, not an error.
        assert_eq!(expression_matches("a)", &items(&["a)"])), Ok(true));
        assert_eq!(expression_matches("(a))", &items(&["a"])), Ok(false));
    }

    #[test]
    fn java_split_word_matches_java_regex_split() {
        let cases: &[(&str, &[&str])] = &[
            ("a or b", &["a", "b"]),
            ("a  or\tb or c", &["a", "b", "c"]),
            ("a or or b", &["a", "or b"]),
            ("a or", &["a or"]),
            ("orb or a", &["orb", "a"]),
            ("a oror b", &["a oror b"]),
            (" :TRUE  or  :FALSE ", &[" :TRUE", ":FALSE "]),
        ];
        for (text, expected) in cases {
            assert_eq!(java_split_word(text, "or"), expected.to_vec(), "{text:?}");
        }
    }

    #[test]
    fn commas_become_or_with_surrounding_space_removed() {
        assert_eq!(commas_to_or("a , b,c"), "a or b or c");
        assert_eq!(commas_to_or("a"), "a");
        assert_eq!(commas_to_or("a,"), "a or ");
    }

    /// Spec §3.3 matrix (observed with the 4.28.0 CLI; 4.33 gives the same).
    #[test]
    fn contexts_and_labels_matrix() {
        // (name, context, labels)
        let change_sets: &[(&str, Option<&str>, Option<&str>)] = &[
            ("none", None, None),
            ("dev", Some("dev"), None),
            ("!prod", Some("!prod"), None),
            ("@prod", Some("@prod"), None),
            ("dev AND test", Some("dev AND test"), None),
            ("A,b", None, Some("A,b")),
            ("c", None, Some("c")),
        ];
        let all = ["none", "dev", "!prod", "@prod", "dev AND test", "A,b", "c"];
        let matrix: &[(Option<&str>, Option<&str>, &[&str])] = &[
            (
                None,
                None,
                &["none", "dev", "!prod", "dev AND test", "A,b", "c"],
            ),
            (Some("dev"), None, &["none", "dev", "!prod", "A,b", "c"]),
            (Some("prod"), None, &["none", "@prod", "A,b", "c"]),
            (
                Some("dev,test"),
                None,
                &["none", "dev", "!prod", "dev AND test", "A,b", "c"],
            ),
            (
                None,
                Some("a"),
                &["none", "dev", "!prod", "dev AND test", "A,b"],
            ),
            (None, Some("@a"), &["A,b"]),
            (
                None,
                Some("!c"),
                &["none", "dev", "!prod", "dev AND test", "A,b"],
            ),
        ];
        for (context_filter, label_filter, expected) in matrix {
            let contexts = Contexts::parse(*context_filter);
            let labels = LabelExpression::parse(*label_filter).expect("valid filter");
            let selected: Vec<&str> = change_sets
                .iter()
                .filter(|(_, context, own_labels)| {
                    change_set_matches(
                        &ContextExpression::new(*context),
                        &[],
                        &Labels::new(*own_labels),
                        &[],
                        &contexts,
                        &labels,
                    )
                })
                .map(|(name, _, _)| *name)
                .collect();
            assert_eq!(
                &selected, expected,
                "context filter {context_filter:?}, label filter {label_filter:?}"
            );
            assert!(selected.iter().all(|s| all.contains(s)));
        }
    }

    #[test]
    fn include_contexts_and_labels() {
        let c1 = [ContextExpression::new(Some("c1"))];
        let none = ContextExpression::default();
        let a = ContextExpression::new(Some("a"));
        let no_labels = Labels::default();
        let all_labels = LabelExpression::default();
        let cases: &[(&ContextExpression, &[ContextExpression], Option<&str>, bool)] = &[
            (&none, &c1, None, true),
            (&none, &c1, Some("c1"), true),
            (&none, &c1, Some("dev"), false),
            (&a, &c1, Some("a"), false),
            (&a, &c1, Some("a,c1"), true),
            (&a, &c1, Some("c1"), false),
        ];
        for (own, inherited, filter, expected) in cases {
            let runs = change_set_matches(
                own,
                inherited,
                &no_labels,
                &[],
                &Contexts::parse(*filter),
                &all_labels,
            );
            assert_eq!(runs, *expected, "own {:?}, filter {filter:?}", own.text());
        }

        // 4.33 merges include labels into the changeset's (4.28 required each to match).
        let include = [Labels::new(Some("x"))];
        let own = Labels::new(Some("a"));
        let label_cases: &[(&str, bool)] = &[
            ("a", true),
            ("x", true),
            ("a and x", true),
            ("!x", false),
            ("@b", false),
            ("b", false),
        ];
        for (filter, expected) in label_cases {
            let labels = LabelExpression::parse(Some(filter)).expect("valid filter");
            let runs =
                change_set_matches(&none, &[], &own, &include, &Contexts::default(), &labels);
            assert_eq!(runs, *expected, "label filter {filter:?}");
        }
    }

    #[test]
    fn runtime_expressions_and_required_runtime_contexts_follow_4_33() {
        let no_labels = Labels::default();
        let all_labels = LabelExpression::default();
        let runs = |own: Option<&str>, filter: &str| {
            change_set_matches(
                &ContextExpression::new(own),
                &[],
                &no_labels,
                &[],
                &Contexts::parse(Some(filter)),
                &all_labels,
            )
        };
        // A runtime entry is also read as an expression against the changeset's contexts.
        assert!(runs(Some("x"), "x or y"));
        assert!(runs(Some("y"), "x OR y"));
        assert!(!runs(Some("z"), "x or y"));
        // A runtime `@x` is compared as `x`.
        assert!(runs(Some("x"), "@x"));
        assert!(!runs(Some("y"), "@x"));
    }

    #[test]
    fn expressions_parse_like_liquibase() {
        let e = ContextExpression::new(Some("  Dev , Test,,"));
        assert_eq!(e.text(), Some("  Dev , Test,,"));
        assert_eq!(e.parts, vec!["dev", "test"]);
        assert!(ContextExpression::new(Some("  ")).is_empty());
        assert!(ContextExpression::new(Some(" , ")).is_empty());
        assert_eq!(ContextExpression::new(Some(" , ")).text(), Some(" , "));
        assert_eq!(ContextExpression::new(None).text(), None);

        let l = Labels::new(Some(" A, b ,a,C "));
        assert_eq!(l.values(), vec!["a", "b", "c"]);
        assert_eq!(l.text(), Some("A, b ,a,C"));
        assert!(Labels::new(Some(",")).is_empty());

        let c = Contexts::parse(Some("Dev\\,Test"));
        assert_eq!(c.values(), ["dev", "test"]);
        assert!(Contexts::parse(Some(" ")).is_empty());
        assert!(Contexts::parse(None).is_empty());

        let f = LabelExpression::parse(Some("a\\ and b")).expect("valid");
        assert_eq!(f.text(), Some("a and b"));
        assert!(LabelExpression::parse(None).expect("valid").is_empty());
    }

    #[test]
    fn validate_rejects_only_what_liquibase_cannot_evaluate() {
        let ok = [
            "dev",
            "dev and !prod",
            "(a or b) and c",
            "dev and",
            "not",
            "a)",
            "@prod",
        ];
        for text in ok {
            assert_eq!(
                ContextExpression::new(Some(text)).validate(),
                Ok(()),
                "{text:?}"
            );
        }
        let bad = ["(a", "()", "((a)", "(a, b) and c"];
        for text in bad {
            let err = ContextExpression::new(Some(text))
                .validate()
                .expect_err(text);
            assert!(
                err.starts_with("cannot parse context expression `"),
                "{err}"
            );
        }
        let err = ContextExpression::new(Some("(a, b)"))
            .validate()
            .expect_err("comma");
        assert!(err.contains("use `or` inside parentheses"), "{err}");
        let err = LabelExpression::parse(Some("(a")).expect_err("unbalanced");
        assert_eq!(
            err,
            "cannot parse label expression `(a`: `(a` has unbalanced or empty parentheses"
        );
    }

    #[test]
    fn history_contexts_as_the_mongo_extension_writes_them() {
        let cases: &[(Option<&str>, &[&str], Option<&str>)] = &[
            (Some("dev and !prod"), &[], Some("(dev and !prod)")),
            (Some("a or b"), &["c1"], Some("c1 AND (a or b)")),
            (
                Some("context1,context2"),
                &["inhContext1,inhContext2"],
                Some("(inhContext1,inhContext2) AND (context1,context2)"),
            ),
            (
                Some("createCollectionContext"),
                &[],
                Some("createCollectionContext"),
            ),
            (
                Some("a"),
                &["c1", "c2 or c3"],
                Some("c1 AND (c2 or c3) AND a"),
            ),
            (None, &["c1"], None),
            (Some("  "), &["c1"], None),
            (None, &[], None),
        ];
        for (own, inherited, expected) in cases {
            let inherited: Vec<ContextExpression> = inherited
                .iter()
                .map(|t| ContextExpression::new(Some(t)))
                .collect();
            assert_eq!(
                history_contexts(&ContextExpression::new(*own), &inherited).as_deref(),
                *expected,
                "own {own:?}"
            );
        }
    }

    #[test]
    fn history_labels_as_the_mongo_extension_writes_them() {
        let cases: &[(Option<&str>, &[&str], Option<&str>)] = &[
            (
                Some("createCollectionLabel"),
                &[],
                Some("createcollectionlabel"),
            ),
            (Some("l1, L2"), &[], Some("l1,l2")),
            (Some("a,A, b"), &[], Some("a,b")),
            (Some("a"), &["fromAll"], Some("a")),
            (None, &["fromAll"], None),
            (Some(" "), &[], None),
        ];
        for (own, inherited, expected) in cases {
            let inherited: Vec<Labels> = inherited.iter().map(|t| Labels::new(Some(t))).collect();
            assert_eq!(
                history_labels(&Labels::new(*own), &inherited).as_deref(),
                *expected,
                "own {own:?}"
            );
        }
    }

    #[test]
    fn core_full_context_and_labels() {
        let own = ContextExpression::new(Some("a or b"));
        let inherited = [ContextExpression::new(Some("c1"))];
        assert_eq!(
            full_context(&own, &inherited).as_deref(),
            Some("c1 AND (a or b)")
        );
        assert_eq!(
            full_context(&ContextExpression::default(), &inherited).as_deref(),
            Some("c1")
        );
        assert_eq!(full_context(&ContextExpression::default(), &[]), None);
        let labels = full_labels(&Labels::new(Some("l1,l2")), &[Labels::new(Some("fromAll"))]);
        assert_eq!(labels.as_deref(), Some("fromall,l1,l2"));
        assert_eq!(full_labels(&Labels::default(), &[]), None);
    }

    #[test]
    fn dbms_lists() {
        let cases: &[(Option<&str>, bool)] = &[
            (None, true),
            (Some(""), true),
            (Some("   "), true),
            (Some(","), true),
            (Some("mongodb"), true),
            (Some("MongoDB"), true),
            (Some(" h2 , mongodb "), true),
            (Some("h2"), false),
            (Some("h2,oracle"), false),
            (Some("!mongodb"), false),
            (Some("!h2"), true),
            (Some("!h2, !oracle"), true),
            (Some("!h2,oracle"), false),
            (Some("all"), true),
            (Some("all,!mongodb"), true),
            (Some("none"), false),
            (Some("none,mongodb"), false),
            (Some("mongodb,none"), false),
            // `! mongodb` is not `!mongodb`: it is a negation of nothing, so it excludes nothing.
            (Some("! mongodb"), true),
            // A leading empty name counts as a listed database that is not mongodb.
            (Some(",h2"), false),
            (Some(", mongodb"), true),
        ];
        for (dbms, expected) in cases {
            assert_eq!(dbms_matches(*dbms, "mongodb"), *expected, "{dbms:?}");
        }
    }
}
