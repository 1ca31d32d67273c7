//! Context and label expressions (Liquibase `ContextExpression`, `Labels`, `LabelExpression`,
//! `ExpressionMatcher`).
//!
//! Contexts and labels are mirror images: a changeset holds a context *expression* and the run
//! gives a context *list*; a changeset holds a label *list* and the run gives a label
//! *expression*.

/// A changeset's context expression (`context="dev and !prod"`), text kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContextExpression {
    text: Option<String>,
}

/// A changeset's labels (`labels="a,b"`), as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Labels {
    text: Option<String>,
}

impl ContextExpression {
    /// An expression from changelog text; blank text is the empty expression.
    pub fn new(text: Option<&str>) -> Self {
        let text = text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        Self { text }
    }

    /// The text as written, `None` when empty.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }
}

impl Labels {
    /// Labels from changelog text; blank text is no labels.
    pub fn new(text: Option<&str>) -> Self {
        let text = text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        Self { text }
    }

    /// The text as written, `None` when empty.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }
}
