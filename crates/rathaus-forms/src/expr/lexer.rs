//! Splits a rule into tokens, each with its byte offset for error messages.

use super::ExprError;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Number(f64),
    Text(String),
    /// A field name (`kinder`, `fahrzeug.art`) or a function name.
    Name(String),
    True,
    False,
    And,
    Or,
    Not,
    In,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

pub struct Token {
    pub tok: Tok,
    pub at: usize,
}

pub fn tokens(source: &str) -> Result<Vec<Token>, ExprError> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let at = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let two = source.get(i..i + 2).unwrap_or("");
        let (tok, len) = match (c, two) {
            (_, "==") => (Tok::Eq, 2),
            (_, "!=") => (Tok::Ne, 2),
            (_, "<=") => (Tok::Le, 2),
            (_, ">=") => (Tok::Ge, 2),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', _) => (Tok::Gt, 1),
            (b'+', _) => (Tok::Plus, 1),
            (b'-', _) => (Tok::Minus, 1),
            (b'*', _) => (Tok::Star, 1),
            (b'/', _) => (Tok::Slash, 1),
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b'[', _) => (Tok::LBracket, 1),
            (b']', _) => (Tok::RBracket, 1),
            (b',', _) => (Tok::Comma, 1),
            (b'"', _) => {
                let rest = &source[i + 1..];
                let end = rest
                    .find('"')
                    .ok_or_else(|| ExprError::new(at, "a text is not closed with \""))?;
                (Tok::Text(rest[..end].to_owned()), end + 2)
            }
            (b'0'..=b'9', _) => {
                let len = source[i..]
                    .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
                    .unwrap_or(source.len() - i);
                let text = &source[i..i + len];
                let number = text
                    .parse()
                    .map_err(|_| ExprError::new(at, format!("'{text}' is not a number")))?;
                (Tok::Number(number), len)
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                let len = source[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'))
                    .unwrap_or(source.len() - i);
                let word = &source[i..i + len];
                let tok = match word {
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "in" => Tok::In,
                    _ => Tok::Name(word.to_owned()),
                };
                (tok, len)
            }
            _ => {
                let ch = source[i..].chars().next().unwrap_or('?');
                return Err(ExprError::new(at, format!("unexpected '{ch}'")));
            }
        };
        out.push(Token { tok, at });
        i += len;
    }
    Ok(out)
}
