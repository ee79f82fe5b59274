//! The rule language of form definitions: conditions ("show this step if …"), required
//! rules and computed values such as fees.
//!
//! ```text
//! fahrzeug.art in ["pkw", "krad"] and not empty(kennzeichen)
//! if(count(kinder) > 2, euro(0), euro(30) * count(kinder))
//! years_between(geburtsdatum, today()) >= 16
//! ```
//!
//! An expression is compiled against the types of the form's fields: unknown fields,
//! unknown functions and type mismatches are errors with the position in the source.
//! Evaluation never fails: an unanswered field is [`Value::Empty`], which makes
//! comparisons false and arithmetic empty, so that a rule over a field not yet filled in
//! simply does not apply.

mod check;
mod eval;
mod lexer;
mod parser;

use chrono::NaiveDate;

/// The type of a field or an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Bool,
    /// Counts, sizes, ages (a 64-bit float).
    Number,
    /// Amounts of money in integer cents.
    Money,
    Text,
    Date,
    /// Several texts: the ticked options of a checkbox group.
    List,
    /// A repeating group ("add another child"); only its count is an expression.
    Group,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Self::Bool => "yes/no",
            Self::Number => "number",
            Self::Money => "money",
            Self::Text => "text",
            Self::Date => "date",
            Self::List => "list",
            Self::Group => "group",
        }
    }
}

/// A value during evaluation.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// No answer (yet).
    Empty,
    Bool(bool),
    Number(f64),
    /// Cents.
    Money(i64),
    Text(String),
    Date(NaiveDate),
    List(Vec<String>),
    /// The number of entries of a repeating group.
    Group(usize),
}

impl Value {
    /// Whether a condition with this value holds: only `true` does.
    pub fn holds(&self) -> bool {
        matches!(self, Self::Bool(true))
    }
}

/// A mistake in a rule, with its byte offset in the source.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at {at}: {message}")]
pub struct ExprError {
    pub at: usize,
    pub message: String,
}

impl ExprError {
    fn new(at: usize, message: impl Into<String>) -> Self {
        Self {
            at,
            message: message.into(),
        }
    }
}

/// A compiled, type-checked expression.
#[derive(Clone, Debug)]
pub struct Expr {
    root: parser::Node,
    ty: Type,
}

impl Expr {
    /// Parses and type-checks `source`; `field_type` names the type of each field the
    /// form has (`None`: no such field).
    pub fn compile(
        source: &str,
        field_type: &dyn Fn(&str) -> Option<Type>,
    ) -> Result<Self, ExprError> {
        let tokens = lexer::tokens(source)?;
        let root = parser::parse(&tokens, source.len())?;
        let ty = check::type_of(&root, field_type)?;
        Ok(Self { root, ty })
    }

    /// Like [`Expr::compile`], and the result must be of type `expected`.
    pub fn compile_as(
        source: &str,
        expected: Type,
        field_type: &dyn Fn(&str) -> Option<Type>,
    ) -> Result<Self, ExprError> {
        let expr = Self::compile(source, field_type)?;
        if expr.ty != expected {
            return Err(ExprError::new(
                0,
                format!(
                    "the rule gives a {}, but a {} is needed here",
                    expr.ty.name(),
                    expected.name()
                ),
            ));
        }
        Ok(expr)
    }

    pub fn ty(&self) -> Type {
        self.ty
    }

    /// The fields the rule reads (`kinder.vorname` inside groups).
    pub fn fields(&self) -> Vec<&str> {
        fn walk<'a>(node: &'a parser::Node, out: &mut Vec<&'a str>) {
            match node {
                parser::Node::Field { name, .. } => out.push(name),
                parser::Node::Not(inner, _) | parser::Node::Neg(inner, _) => walk(inner, out),
                parser::Node::Binary { left, right, .. } => {
                    walk(left, out);
                    walk(right, out);
                }
                parser::Node::Call { args, .. } => args.iter().for_each(|a| walk(a, out)),
                parser::Node::Bool(_)
                | parser::Node::Number(_)
                | parser::Node::Text(_)
                | parser::Node::List(_) => {}
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// The value for the given answers; `today` for `today()`.
    pub fn eval(&self, answers: &dyn Fn(&str) -> Value, today: NaiveDate) -> Value {
        eval::eval(&self.root, answers, today)
    }
}

#[cfg(test)]
mod tests;
