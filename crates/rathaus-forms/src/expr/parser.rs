//! Tokens to a syntax tree, by precedence climbing:
//! `or` < `and` < `not` < comparisons and `in` < `+ -` < `* /` < unary `-`.

use super::ExprError;
use super::lexer::{Tok, Token};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Debug)]
pub enum Node {
    Bool(bool),
    Number(f64),
    Text(String),
    /// `["a", "b"]`: texts only.
    List(Vec<String>),
    Field {
        name: String,
        at: usize,
    },
    Not(Box<Node>, usize),
    Neg(Box<Node>, usize),
    Binary {
        op: BinOp,
        left: Box<Node>,
        right: Box<Node>,
        at: usize,
    },
    Call {
        name: String,
        args: Vec<Node>,
        at: usize,
    },
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    end: usize,
}

pub fn parse(tokens: &[Token], end: usize) -> Result<Node, ExprError> {
    if tokens.is_empty() {
        return Err(ExprError::new(0, "the rule is empty"));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        end,
    };
    let node = parser.expression(0)?;
    if let Some(extra) = parser.peek() {
        return Err(ExprError::new(
            extra.at,
            "unexpected continuation of the rule",
        ));
    }
    Ok(node)
}

/// Binding power of an infix operator (higher binds tighter).
fn infix(tok: &Tok) -> Option<(BinOp, u8)> {
    Some(match tok {
        Tok::Or => (BinOp::Or, 1),
        Tok::And => (BinOp::And, 2),
        Tok::Eq => (BinOp::Eq, 4),
        Tok::Ne => (BinOp::Ne, 4),
        Tok::Lt => (BinOp::Lt, 4),
        Tok::Le => (BinOp::Le, 4),
        Tok::Gt => (BinOp::Gt, 4),
        Tok::Ge => (BinOp::Ge, 4),
        Tok::In => (BinOp::In, 4),
        Tok::Plus => (BinOp::Add, 5),
        Tok::Minus => (BinOp::Sub, 5),
        Tok::Star => (BinOp::Mul, 6),
        Tok::Slash => (BinOp::Div, 6),
        _ => return None,
    })
}

const NOT_POWER: u8 = 3;
const NEG_POWER: u8 = 7;

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Result<&Token, ExprError> {
        let token = self
            .tokens
            .get(self.pos)
            .ok_or_else(|| ExprError::new(self.end, "the rule ends too early"))?;
        self.pos += 1;
        Ok(token)
    }

    fn expect(&mut self, wanted: Tok, what: &str) -> Result<(), ExprError> {
        let end = self.end;
        match self.tokens.get(self.pos) {
            Some(token) if token.tok == wanted => {
                self.pos += 1;
                Ok(())
            }
            Some(token) => Err(ExprError::new(token.at, format!("{what} expected"))),
            None => Err(ExprError::new(end, format!("{what} expected"))),
        }
    }

    fn expression(&mut self, min_power: u8) -> Result<Node, ExprError> {
        let mut left = self.prefix()?;
        while let Some(token) = self.peek() {
            let Some((op, power)) = infix(&token.tok) else {
                break;
            };
            if power <= min_power {
                break;
            }
            let at = token.at;
            self.pos += 1;
            let right = self.expression(power)?;
            // Comparisons do not chain: `a < b < c` is almost always a mistake.
            if power == 4
                && let Some(next) = self.peek()
                && matches!(infix(&next.tok), Some((_, 4)))
            {
                return Err(ExprError::new(
                    next.at,
                    "comparisons cannot be chained; join them with and",
                ));
            }
            left = Node::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
                at,
            };
        }
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Node, ExprError> {
        let token = self.next()?;
        let at = token.at;
        Ok(match token.tok.clone() {
            Tok::Number(n) => Node::Number(n),
            Tok::Text(t) => Node::Text(t),
            Tok::True => Node::Bool(true),
            Tok::False => Node::Bool(false),
            Tok::Not => Node::Not(Box::new(self.expression(NOT_POWER)?), at),
            Tok::Minus => Node::Neg(Box::new(self.expression(NEG_POWER)?), at),
            Tok::LParen => {
                let inner = self.expression(0)?;
                self.expect(Tok::RParen, "')'")?;
                inner
            }
            Tok::LBracket => Node::List(self.text_list()?),
            Tok::Name(name) => {
                if self.peek().is_some_and(|t| t.tok == Tok::LParen) {
                    self.pos += 1;
                    let args = self.arguments()?;
                    Node::Call { name, args, at }
                } else {
                    Node::Field { name, at }
                }
            }
            _ => return Err(ExprError::new(at, "a value, field or function expected")),
        })
    }

    fn arguments(&mut self) -> Result<Vec<Node>, ExprError> {
        let mut args = Vec::new();
        if self.peek().is_some_and(|t| t.tok == Tok::RParen) {
            self.pos += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expression(0)?);
            let token = self.next()?;
            match token.tok {
                Tok::Comma => continue,
                Tok::RParen => return Ok(args),
                _ => return Err(ExprError::new(token.at, "',' or ')' expected")),
            }
        }
    }

    fn text_list(&mut self) -> Result<Vec<String>, ExprError> {
        let mut items = Vec::new();
        loop {
            let token = self.next()?;
            match &token.tok {
                Tok::RBracket if items.is_empty() => return Ok(items),
                Tok::Text(text) => items.push(text.clone()),
                _ => return Err(ExprError::new(token.at, "a list holds texts in quotes")),
            }
            let token = self.next()?;
            match token.tok {
                Tok::Comma => continue,
                Tok::RBracket => return Ok(items),
                _ => return Err(ExprError::new(token.at, "',' or ']' expected")),
            }
        }
    }
}
