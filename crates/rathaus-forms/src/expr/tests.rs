use chrono::NaiveDate;

use super::{Expr, ExprError, Type, Value};

/// The fields of a made-up parking-permit form.
fn field_type(name: &str) -> Option<Type> {
    Some(match name {
        "anzahl_fahrzeuge" => Type::Number,
        "gebuehr" => Type::Money,
        "fahrzeug.art" => Type::Text,
        "kennzeichen" => Type::Text,
        "geburtsdatum" => Type::Date,
        "nachweise" => Type::List,
        "kinder" => Type::Group,
        "zweitwohnsitz" => Type::Bool,
        _ => return None,
    })
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn answers(name: &str) -> Value {
    match name {
        "anzahl_fahrzeuge" => Value::Number(2.0),
        "gebuehr" => Value::Money(3050),
        "fahrzeug.art" => Value::Text("pkw".into()),
        "geburtsdatum" => Value::Date(day(2008, 11, 24)),
        "nachweise" => Value::List(vec!["meldebescheinigung".into()]),
        "kinder" => Value::Group(3),
        "zweitwohnsitz" => Value::Bool(false),
        _ => Value::Empty,
    }
}

fn run(source: &str) -> Value {
    let expr = Expr::compile(source, &field_type).unwrap_or_else(|e| panic!("{source}: {e}"));
    expr.eval(&answers, day(2026, 11, 23))
}

fn error(source: &str) -> ExprError {
    Expr::compile(source, &field_type).expect_err(source)
}

#[test]
fn conditions_over_answers() {
    assert_eq!(
        run("fahrzeug.art in [\"pkw\", \"krad\"]"),
        Value::Bool(true)
    );
    assert_eq!(run("fahrzeug.art == \"lkw\""), Value::Bool(false));
    assert_eq!(
        run("not zweitwohnsitz and anzahl_fahrzeuge >= 2"),
        Value::Bool(true)
    );
    assert_eq!(run("zweitwohnsitz or count(kinder) > 2"), Value::Bool(true));
    assert_eq!(
        run("\"meldebescheinigung\" in nachweise"),
        Value::Bool(true)
    );
    assert_eq!(run("1 + 2 * 3 == 7"), Value::Bool(true), "precedence");
    assert_eq!(run("(1 + 2) * 3 == 9"), Value::Bool(true));
    assert_eq!(run("-anzahl_fahrzeuge < 0"), Value::Bool(true));
}

#[test]
fn texts_by_their_beginning() {
    assert_eq!(run("starts_with(fahrzeug.art, \"pk\")"), Value::Bool(true));
    assert_eq!(run("starts_with(fahrzeug.art, \"lk\")"), Value::Bool(false));
    assert_eq!(
        run("starts_with(kennzeichen, \"\")"),
        Value::Bool(false),
        "an unanswered field begins with nothing"
    );
    assert!(
        error("starts_with(anzahl_fahrzeuge, \"4\")")
            .message
            .contains("starts_with(text, text)")
    );
}

#[test]
fn dates_and_ages() {
    // Born 24 Nov 2008: 17 on 23 Nov 2026, 18 the day after.
    assert_eq!(
        run("years_between(geburtsdatum, today())"),
        Value::Number(17.0)
    );
    assert_eq!(
        run("years_between(geburtsdatum, today()) >= 18"),
        Value::Bool(false)
    );
    assert_eq!(
        run("days_between(geburtsdatum, today()) > 6000"),
        Value::Bool(true)
    );
    assert_eq!(run("geburtsdatum < today()"), Value::Bool(true));
}

#[test]
fn money_stays_in_whole_cents() {
    assert_eq!(run("euro(30) * anzahl_fahrzeuge"), Value::Money(6000));
    assert_eq!(
        run("gebuehr / 3"),
        Value::Money(1017),
        "30.50 / 3 = 10.1666… → 10.17"
    );
    assert_eq!(run("gebuehr + euro(0.5)"), Value::Money(3100));
    assert_eq!(run("max(gebuehr, euro(40))"), Value::Money(4000));
    assert_eq!(
        run("if(count(kinder) > 2, euro(0), euro(30))"),
        Value::Money(0),
        "a computed fee"
    );
}

#[test]
fn unanswered_fields_make_rules_not_apply() {
    assert_eq!(run("kennzeichen == \"K-AB 123\""), Value::Bool(false));
    assert_eq!(run("kennzeichen != \"K-AB 123\""), Value::Bool(false));
    assert_eq!(run("empty(kennzeichen)"), Value::Bool(true));
    assert_eq!(run("not empty(fahrzeug.art)"), Value::Bool(true));
    let no_answers = |_: &str| Value::Empty;
    let today = day(2026, 11, 23);
    let fee = Expr::compile("euro(30) * anzahl_fahrzeuge", &field_type).unwrap();
    assert_eq!(fee.eval(&no_answers, today), Value::Empty);
    let count = Expr::compile("count(kinder)", &field_type).unwrap();
    assert_eq!(count.eval(&no_answers, today), Value::Number(0.0));
    let divide = Expr::compile("anzahl_fahrzeuge / 0", &field_type).unwrap();
    assert_eq!(divide.eval(&answers, today), Value::Empty, "no infinity");
}

#[test]
fn mistakes_are_found_when_loading_with_their_position() {
    let e = error("fahrzeug.farbe == \"rot\"");
    assert_eq!(
        (e.at, e.message.as_str()),
        (0, "the form has no field 'fahrzeug.farbe'")
    );
    let e = error("anzahl_fahrzeuge + \"zwei\"");
    assert_eq!(e.at, 17);
    assert!(
        e.message.contains("+ does not fit a number and a text"),
        "{e}"
    );
    assert!(
        error("gebuehr > 5")
            .message
            .contains("> does not fit a money and a number")
    );
    assert!(
        error("kinder == 2")
            .message
            .contains("does not fit a group")
    );
    assert!(
        error("not anzahl_fahrzeuge")
            .message
            .contains("not needs a yes/no")
    );
    assert!(
        error("eval(\"x\")")
            .message
            .contains("there is no function 'eval'")
    );
    assert!(error("euro(\"30\")").message.contains("euro(number)"));
    assert!(
        error("if(zweitwohnsitz, 1, \"x\")")
            .message
            .contains("if(condition")
    );
    assert!(
        error("1 < anzahl_fahrzeuge < 3")
            .message
            .contains("cannot be chained")
    );
    assert!(error("\"offen").message.contains("not closed"));
    assert!(error("(1 + 2").message.contains("')' expected"));
    assert!(error("1 +").message.contains("ends too early"));
    assert!(error("1 2").message.contains("unexpected continuation"));
    assert!(error("").message.contains("empty"));
    let umlaut = error("größe > 1");
    assert_eq!(
        (umlaut.at, umlaut.message.as_str()),
        (2, "unexpected 'ö'"),
        "field names are ASCII"
    );
    assert!(error("[1, 2]").message.contains("texts in quotes"));
    assert!(error("1.2.3 > 0").message.contains("not a number"));
}

#[test]
fn a_rule_must_give_what_its_place_needs() {
    let condition = Expr::compile_as("anzahl_fahrzeuge > 1", Type::Bool, &field_type).unwrap();
    assert_eq!(condition.ty(), Type::Bool);
    let e = Expr::compile_as("anzahl_fahrzeuge + 1", Type::Bool, &field_type).unwrap_err();
    assert!(e.message.contains("gives a number, but a yes/no is needed"));
    assert!(Expr::compile_as("euro(30)", Type::Money, &field_type).is_ok());
}
