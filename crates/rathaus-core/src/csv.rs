//! CSV as German spreadsheets and cash systems read it: semicolons, CRLF, UTF-8. A
//! field is quoted when it holds a separator, quote or line break, and a leading
//! formula character is defused (spreadsheets would run it).

/// One line of fields, with its line break.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| quoted(f.as_ref()))
        .collect::<Vec<_>>()
        .join(";");
    line.push_str("\r\n");
    line
}

fn quoted(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_quotes_and_formulas_are_made_harmless() {
        assert_eq!(
            line(&["a;b", "say \"hi\"", "=SUM(A1)", "plain"]),
            "\"a;b\";\"say \"\"hi\"\"\";'=SUM(A1);plain\r\n"
        );
    }
}
