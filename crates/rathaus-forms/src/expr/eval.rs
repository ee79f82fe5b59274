//! Evaluation of a checked expression. The checker guarantees the types, so a mismatch
//! here can only come from answers of another type than the field declares; it yields
//! [`Value::Empty`] rather than a panic.

use chrono::{Datelike, NaiveDate};

use super::Value;
use super::parser::{BinOp, Node};

pub fn eval(node: &Node, answers: &dyn Fn(&str) -> Value, today: NaiveDate) -> Value {
    Eval { answers, today }.value(node)
}

struct Eval<'a> {
    answers: &'a dyn Fn(&str) -> Value,
    today: NaiveDate,
}

impl Eval<'_> {
    fn value(&self, node: &Node) -> Value {
        match node {
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(*n),
            Node::Text(t) => Value::Text(t.clone()),
            Node::List(items) => Value::List(items.clone()),
            Node::Field { name, .. } => (self.answers)(name),
            Node::Not(inner, _) => match self.value(inner) {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Empty,
            },
            Node::Neg(inner, _) => match self.value(inner) {
                Value::Number(n) => Value::Number(-n),
                Value::Money(c) => Value::Money(-c),
                _ => Value::Empty,
            },
            Node::Binary {
                op, left, right, ..
            } => self.binary(*op, left, right),
            Node::Call { name, args, .. } => self.call(name, args),
        }
    }

    fn binary(&self, op: BinOp, left: &Node, right: &Node) -> Value {
        // `and`/`or` look at the right side only when needed; an empty side counts as
        // "does not hold".
        match op {
            BinOp::And => {
                return Value::Bool(self.value(left).holds() && self.value(right).holds());
            }
            BinOp::Or => {
                return Value::Bool(self.value(left).holds() || self.value(right).holds());
            }
            _ => {}
        }
        let (l, r) = (self.value(left), self.value(right));
        match op {
            BinOp::Eq => compare(&l, &r).map_or(Value::Bool(false), |o| Value::Bool(o.is_eq())),
            BinOp::Ne => compare(&l, &r).map_or(Value::Bool(false), |o| Value::Bool(o.is_ne())),
            BinOp::Lt => ordered(&l, &r, |o| o.is_lt()),
            BinOp::Le => ordered(&l, &r, |o| o.is_le()),
            BinOp::Gt => ordered(&l, &r, |o| o.is_gt()),
            BinOp::Ge => ordered(&l, &r, |o| o.is_ge()),
            BinOp::In => match (l, r) {
                (Value::Text(t), Value::List(items)) => Value::Bool(items.contains(&t)),
                _ => Value::Bool(false),
            },
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => arithmetic(op, l, r),
            BinOp::And | BinOp::Or => unreachable!("handled above"),
        }
    }

    fn call(&self, name: &str, args: &[Node]) -> Value {
        let values: Vec<Value> = args.iter().map(|a| self.value(a)).collect();
        match (name, values.as_slice()) {
            ("today", []) => Value::Date(self.today),
            ("empty", [v]) => Value::Bool(is_empty(v)),
            ("count", [Value::List(items)]) => Value::Number(items.len() as f64),
            ("count", [Value::Group(n)]) => Value::Number(*n as f64),
            ("count", [Value::Empty]) => Value::Number(0.0),
            ("if", [condition, then, otherwise]) => {
                if condition.holds() {
                    then.clone()
                } else {
                    otherwise.clone()
                }
            }
            ("euro", [Value::Number(n)]) => Value::Money(cents(*n * 100.0)),
            ("years_between", [Value::Date(a), Value::Date(b)]) => {
                Value::Number(full_years(*a, *b) as f64)
            }
            ("days_between", [Value::Date(a), Value::Date(b)]) => {
                Value::Number((*b - *a).num_days() as f64)
            }
            ("min", [a, b]) => pick(a, b, |o| o.is_le()),
            ("max", [a, b]) => pick(a, b, |o| o.is_ge()),
            ("round", [Value::Number(n)]) => Value::Number(n.round()),
            ("starts_with", [Value::Text(text), Value::Text(prefix)]) => {
                Value::Bool(text.trim().starts_with(prefix.as_str()))
            }
            ("starts_with", [_, _]) => Value::Bool(false),
            _ => Value::Empty,
        }
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Empty => true,
        Value::Text(t) => t.trim().is_empty(),
        Value::List(items) => items.is_empty(),
        Value::Group(n) => *n == 0,
        _ => false,
    }
}

fn compare(l: &Value, r: &Value) -> Option<std::cmp::Ordering> {
    match (l, r) {
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
        (Value::Money(a), Value::Money(b)) => Some(a.cmp(b)),
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn ordered(l: &Value, r: &Value, test: fn(std::cmp::Ordering) -> bool) -> Value {
    Value::Bool(compare(l, r).is_some_and(test))
}

fn pick(a: &Value, b: &Value, first_if: fn(std::cmp::Ordering) -> bool) -> Value {
    match compare(a, b) {
        Some(order) if first_if(order) => a.clone(),
        Some(_) => b.clone(),
        None => Value::Empty,
    }
}

/// Rounds half away from zero to whole cents.
fn cents(amount: f64) -> i64 {
    amount.round() as i64
}

fn arithmetic(op: BinOp, l: Value, r: Value) -> Value {
    use Value::{Money, Number};
    match (op, l, r) {
        (BinOp::Add, Number(a), Number(b)) => Number(a + b),
        (BinOp::Sub, Number(a), Number(b)) => Number(a - b),
        (BinOp::Mul, Number(a), Number(b)) => Number(a * b),
        (BinOp::Div, Number(a), Number(b)) if b != 0.0 => Number(a / b),
        (BinOp::Add, Money(a), Money(b)) => Money(a.saturating_add(b)),
        (BinOp::Sub, Money(a), Money(b)) => Money(a.saturating_sub(b)),
        (BinOp::Mul, Money(a), Number(b)) | (BinOp::Mul, Number(b), Money(a)) => {
            Money(cents(a as f64 * b))
        }
        (BinOp::Div, Money(a), Number(b)) if b != 0.0 => Money(cents(a as f64 / b)),
        _ => Value::Empty,
    }
}

/// Completed years from `from` to `to` (an age on a day).
fn full_years(from: NaiveDate, to: NaiveDate) -> i32 {
    let mut years = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}
