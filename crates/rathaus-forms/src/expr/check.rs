//! The type checker: every field exists, every function is known and gets what it
//! needs, every operator fits its operands. Runs once, when a definition is loaded.

use super::parser::{BinOp, Node};
use super::{ExprError, Type};

/// The functions of the rule language (signature, help) for error messages; their types
/// are checked in [`Checker::call`].
const FUNCTIONS: &[(&str, &str)] = &[
    ("today()", "today() gives the date of today"),
    (
        "empty(x)",
        "empty(field) is true when the field has no answer",
    ),
    (
        "count(x)",
        "count(list or group) gives the number of entries",
    ),
    ("if(c, a, b)", "if(condition, then, else)"),
    ("euro(n)", "euro(number) turns a number of euros into money"),
    (
        "years_between(a, b)",
        "years_between(date, date) gives full years",
    ),
    ("days_between(a, b)", "days_between(date, date) gives days"),
    ("min(a, b)", "min(number or money, same)"),
    ("max(a, b)", "max(number or money, same)"),
    ("round(n)", "round(number) rounds to a whole number"),
    (
        "starts_with(a, b)",
        "starts_with(text, text) is true when the first text begins with the second",
    ),
];

pub fn type_of(node: &Node, field_type: &dyn Fn(&str) -> Option<Type>) -> Result<Type, ExprError> {
    Checker { field_type }.check(node)
}

struct Checker<'a> {
    field_type: &'a dyn Fn(&str) -> Option<Type>,
}

fn mismatch(at: usize, what: &str, got: Type) -> ExprError {
    ExprError::new(at, format!("{what}, not a {}", got.name()))
}

impl Checker<'_> {
    fn check(&self, node: &Node) -> Result<Type, ExprError> {
        Ok(match node {
            Node::Bool(_) => Type::Bool,
            Node::Number(_) => Type::Number,
            Node::Text(_) => Type::Text,
            Node::List(_) => Type::List,
            Node::Field { name, at } => (self.field_type)(name)
                .ok_or_else(|| ExprError::new(*at, format!("the form has no field '{name}'")))?,
            Node::Not(inner, at) => match self.check(inner)? {
                Type::Bool => Type::Bool,
                other => return Err(mismatch(*at, "not needs a yes/no", other)),
            },
            Node::Neg(inner, at) => match self.check(inner)? {
                t @ (Type::Number | Type::Money) => t,
                other => return Err(mismatch(*at, "- needs a number or money", other)),
            },
            Node::Binary {
                op,
                left,
                right,
                at,
            } => self.binary(*op, self.check(left)?, self.check(right)?, *at)?,
            Node::Call { name, args, at } => self.call(name, args, *at)?,
        })
    }

    fn binary(&self, op: BinOp, l: Type, r: Type, at: usize) -> Result<Type, ExprError> {
        use Type::*;
        let ok = match op {
            BinOp::And | BinOp::Or => (l == Bool && r == Bool).then_some(Bool),
            BinOp::Eq | BinOp::Ne => (l == r && !matches!(l, List | Group)).then_some(Bool),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                (l == r && matches!(l, Number | Money | Date)).then_some(Bool)
            }
            BinOp::In => (l == Text && r == List).then_some(Bool),
            BinOp::Add | BinOp::Sub => match (l, r) {
                (Number, Number) => Some(Number),
                (Money, Money) => Some(Money),
                _ => None,
            },
            BinOp::Mul => match (l, r) {
                (Number, Number) => Some(Number),
                (Money, Number) | (Number, Money) => Some(Money),
                _ => None,
            },
            BinOp::Div => match (l, r) {
                (Number, Number) => Some(Number),
                (Money, Number) => Some(Money),
                _ => None,
            },
        };
        ok.ok_or_else(|| {
            ExprError::new(
                at,
                format!(
                    "{} does not fit a {} and a {}",
                    op_name(op),
                    l.name(),
                    r.name()
                ),
            )
        })
    }

    fn call(&self, name: &str, args: &[Node], at: usize) -> Result<Type, ExprError> {
        let types = args
            .iter()
            .map(|a| self.check(a))
            .collect::<Result<Vec<_>, _>>()?;
        let usage = || {
            FUNCTIONS
                .iter()
                .find(|(sig, _)| sig.split('(').next() == Some(name))
                .map(|(_, help)| *help)
        };
        let wrong = || {
            let help = usage().unwrap_or("");
            ExprError::new(at, format!("{name}: wrong arguments; {help}"))
        };
        use Type::*;
        let result = match (name, types.as_slice()) {
            ("today", []) => Date,
            ("empty", [_]) => Bool,
            ("count", [List | Group]) => Number,
            ("if", [Bool, a, b]) if a == b => *a,
            ("euro", [Number]) => Money,
            ("years_between" | "days_between", [Date, Date]) => Number,
            ("min" | "max", [a @ (Number | Money), b]) if a == b => *a,
            ("round", [Number]) => Number,
            ("starts_with", [Text, Text]) => Bool,
            _ if usage().is_some() => return Err(wrong()),
            _ => {
                let known: Vec<&str> = FUNCTIONS.iter().map(|(sig, _)| *sig).collect();
                return Err(ExprError::new(
                    at,
                    format!("there is no function '{name}'; known: {}", known.join(", ")),
                ));
            }
        };
        Ok(result)
    }
}

fn op_name(op: BinOp) -> &'static str {
    match op {
        BinOp::And => "and",
        BinOp::Or => "or",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::In => "in",
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
    }
}
