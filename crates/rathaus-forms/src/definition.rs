//! The definition of a form assistant as it is written (JSON), and its check when it is
//! loaded: ids unique, every rule compiles against the fields it names, every choice has
//! options, every pattern is a valid regular expression. All mistakes are reported at
//! once, each with its place in the definition, so that an author can fix them in one go.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::expr::{Expr, ExprError, Type};

/// A text in German, optionally with an English version.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(untagged)]
pub enum Text {
    German(String),
    Languages {
        de: String,
        #[serde(default)]
        en: Option<String>,
    },
}

impl Text {
    /// The text in `lang` (`de` or `en`), German where no English is given.
    pub fn get(&self, lang: &str) -> &str {
        match self {
            Self::German(de) => de,
            Self::Languages { de, en } => match (lang, en) {
                ("en", Some(en)) => en,
                _ => de,
            },
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Where editors find the JSON Schema of this format (ignored otherwise).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Stable id, e.g. `bewohnerparkausweis`.
    pub id: String,
    /// Raised with every change; a submission records the version it was made with.
    pub version: u32,
    pub title: Text,
    pub steps: Vec<Step>,
    /// Values computed from the answers (fees, durations), usable in rules by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub computed: Vec<Computed>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub title: Text,
    /// The step is shown only when this rule holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<String>,
    pub items: Vec<Item>,
}

impl Step {
    /// The fields of the step, in order (without its information blocks).
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.items.iter().filter_map(|item| match item {
            Item::Field(field) => Some(field.as_ref()),
            Item::Info { .. } => None,
        })
    }

    /// The field `id` of this step.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields().find(|f| f.id == id)
    }
}

/// What a step shows: a field to fill in, or a block of information.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Item {
    Field(Box<Field>),
    Info {
        text: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        show_if: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    LongText,
    Number,
    Money,
    Date,
    Email,
    Phone,
    Iban,
    RegistrationNumber,
    Postcode,
    /// Postcode and city, two inputs.
    PostcodeCity,
    /// Street, house number, postcode and city.
    Address,
    Select,
    Radio,
    Checkboxes,
    YesNo,
    File,
    /// "I confirm …": a checkbox that must be ticked.
    Consent,
    /// A repeating group of fields ("add another child").
    Group,
}

impl Kind {
    /// The type the field has in rules.
    pub fn rule_type(self) -> Type {
        match self {
            Self::Number => Type::Number,
            Self::Money => Type::Money,
            Self::Date => Type::Date,
            Self::Checkboxes | Self::File => Type::List,
            Self::YesNo | Self::Consent => Type::Bool,
            Self::Group => Type::Group,
            _ => Type::Text,
        }
    }

    /// The parts an answer of this kind has, each a text in rules.
    pub fn parts(self) -> &'static [&'static str] {
        match self {
            Self::Address => &crate::fill::ADDRESS_PARTS,
            Self::PostcodeCity => &crate::fill::POSTCODE_CITY_PARTS,
            _ => &[],
        }
    }

    fn has_options(self) -> bool {
        matches!(self, Self::Select | Self::Radio | Self::Checkboxes)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub id: String,
    pub kind: Kind,
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    /// Longer help, shown on request (an expandable block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// `true`, or a rule that makes the field required.
    #[serde(default, skip_serializing_if = "Required::is_no")]
    pub required: Required,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// Lower and upper bounds as rules (numbers, money, dates: `today()`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    /// For select, radio and checkboxes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// Where the answer can come from: `profile.family_name`, `profile.address`, … (see
    /// [`PREFILL_SOURCES`]) or an earlier answer, `answer.FIELD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<String>,
    /// For files: accepted media types and the size limit per file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
    /// For groups: the fields of one entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(untagged)]
pub enum Required {
    #[default]
    No,
    Always(bool),
    When(String),
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub regex: String,
    /// What the answer must look like, for the error message.
    pub message: Text,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub value: String,
    pub label: Text,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Computed {
    pub id: String,
    /// Shown with the value on the check-your-answers page ("Gebühr"); none: not shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
    #[serde(rename = "type")]
    pub ty: ComputedType,
    pub value: String,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComputedType {
    Number,
    Money,
    Bool,
    Date,
    Text,
}

impl ComputedType {
    fn rule_type(self) -> Type {
        match self {
            Self::Number => Type::Number,
            Self::Money => Type::Money,
            Self::Bool => Type::Bool,
            Self::Date => Type::Date,
            Self::Text => Type::Text,
        }
    }
}

impl Required {
    fn is_no(&self) -> bool {
        matches!(self, Self::No | Self::Always(false))
    }
}

/// Where prefilled answers can come from besides earlier answers (`answer.FIELD`).
pub const PREFILL_SOURCES: [&str; 8] = [
    "profile.given_name",
    "profile.family_name",
    "profile.birth_date",
    "profile.address",
    "profile.postcode_city",
    "profile.email",
    "profile.phone",
    "profile.full_name",
];

/// One mistake in a definition: where, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mistake {
    /// E.g. `steps[1] fahrzeug / kennzeichen / show_if`.
    pub place: String,
    pub message: String,
}

impl std::fmt::Display for Mistake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// A checked definition with its rules compiled, ready to be filled in.
#[derive(Clone, Debug)]
pub struct Form {
    pub definition: Definition,
    /// Compiled rules by their source text (the same text compiles the same way).
    rules: HashMap<String, Expr>,
    /// Compiled patterns by their source text.
    patterns: HashMap<String, regex::Regex>,
    /// The type of every field, field part and computed value in rules.
    types: HashMap<String, Type>,
}

impl Form {
    /// Compiles a condition written for this form from outside it (a routing rule of
    /// the mailroom), checked against its fields like the form's own rules.
    pub fn condition(&self, source: &str) -> Result<Expr, ExprError> {
        Expr::compile_as(source, Type::Bool, &|name| self.types.get(name).copied())
    }

    /// The type `id` (a field, a part of an address, a computed value) has in rules.
    pub fn rule_type(&self, id: &str) -> Option<Type> {
        self.types.get(id).copied()
    }

    /// The compiled rule for `source`, which the check at load compiled.
    pub(crate) fn rule(&self, source: &str) -> &Expr {
        &self.rules[source]
    }

    pub(crate) fn pattern(&self, source: &str) -> &regex::Regex {
        &self.patterns[source]
    }
}

/// The JSON Schema of form definitions (`form-definition.schema.json`), for editors.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Definition)).expect("a schema serialises")
}

/// Reads a definition from JSON and checks it; every mistake is listed.
pub fn load(json: &str) -> Result<Form, Vec<Mistake>> {
    let definition: Definition = serde_json::from_str(json).map_err(|e| {
        vec![Mistake {
            place: format!("line {}, column {}", e.line(), e.column()),
            message: e.to_string(),
        }]
    })?;
    compile(definition)
}

/// Checks a definition and compiles its rules; every mistake is listed.
pub fn compile(definition: Definition) -> Result<Form, Vec<Mistake>> {
    let mut checker = Checker::default();
    checker.collect_types(&definition);
    checker.check_rules(&definition);
    if !checker.mistakes.is_empty() {
        return Err(checker.mistakes);
    }
    Ok(Form {
        definition,
        rules: checker.rules,
        patterns: checker.patterns,
        types: checker.types,
    })
}

#[derive(Default)]
struct Checker {
    types: HashMap<String, Type>,
    mistakes: Vec<Mistake>,
    rules: HashMap<String, Expr>,
    patterns: HashMap<String, regex::Regex>,
}

impl Checker {
    fn mistake(&mut self, place: &str, message: impl Into<String>) {
        self.mistakes.push(Mistake {
            place: place.to_owned(),
            message: message.into(),
        });
    }

    /// Every field (and computed value) with its type; duplicates and bad ids are
    /// mistakes.
    fn collect_types(&mut self, definition: &Definition) {
        if definition.steps.is_empty() {
            self.mistake("steps", "a form needs at least one step");
        }
        if !is_plain_id(&definition.id, true) {
            self.mistake(
                "id",
                format!(
                    "'{}' is not a form id: use a-z, 0-9, _ and -, at most 80",
                    definition.id
                ),
            );
        }
        let mut step_ids = Vec::new();
        for (i, step) in definition.steps.iter().enumerate() {
            let place = format!("steps[{i}] {}", step.id);
            if step_ids.contains(&step.id) {
                self.mistake(&place, format!("the step id '{}' is used twice", step.id));
            }
            if !is_plain_id(&step.id, false) {
                self.mistake(
                    &place,
                    format!("'{}' is not a step id: use a-z, 0-9 and _", step.id),
                );
            }
            step_ids.push(step.id.clone());
            for field in step.fields() {
                if field.id.contains('.') {
                    self.mistake(
                        &format!("{place} / {}", field.id),
                        "a field id has no '.' (it separates a group from its fields)",
                    );
                }
                self.declare(
                    &format!("{place} / {}", field.id),
                    &field.id,
                    field.kind.rule_type(),
                );
                // Rules may read a part of an address: `anschrift.plz`.
                for part in field.kind.parts() {
                    let id = format!("{}.{part}", field.id);
                    self.declare(&format!("{place} / {id}"), &id, Type::Text);
                }
                if field.kind == Kind::Group {
                    for inner in &field.fields {
                        let inner_place = format!("{place} / {} / {}", field.id, inner.id);
                        let id = format!("{}.{}", field.id, inner.id);
                        self.declare(&inner_place, &id, inner.kind.rule_type());
                    }
                }
            }
        }
        for computed in &definition.computed {
            let place = format!("computed {}", computed.id);
            self.declare(&place, &computed.id, computed.ty.rule_type());
        }
    }

    fn declare(&mut self, place: &str, id: &str, ty: Type) {
        let well_formed = !id.is_empty()
            && id.starts_with(|c: char| c.is_ascii_lowercase())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if !well_formed {
            self.mistake(place, format!("'{id}' is not an id: use a-z, 0-9 and _"));
        }
        if self.types.insert(id.to_owned(), ty).is_some() {
            self.mistake(place, format!("the id '{id}' is used twice"));
        }
    }

    fn rule(&mut self, place: &str, source: &str, expected: Type) {
        let types = &self.types;
        let lookup = |name: &str| types.get(name).copied();
        match Expr::compile_as(source, expected, &lookup) {
            Ok(expr) => {
                self.rules.insert(source.to_owned(), expr);
            }
            Err(e) => self.mistake(place, format!("{e} in \"{source}\"")),
        }
    }

    fn check_rules(&mut self, definition: &Definition) {
        for (i, step) in definition.steps.iter().enumerate() {
            let place = format!("steps[{i}] {}", step.id);
            if let Some(rule) = &step.show_if {
                self.rule(&format!("{place} / show_if"), rule, Type::Bool);
            }
            if step.items.is_empty() {
                self.mistake(&place, "a step needs at least one field or text");
            }
            for item in &step.items {
                match item {
                    Item::Field(field) => self.field(&place, field),
                    Item::Info { show_if, .. } => {
                        if let Some(rule) = show_if {
                            self.rule(&format!("{place} / info / show_if"), rule, Type::Bool);
                        }
                    }
                }
            }
        }
        for (i, computed) in definition.computed.iter().enumerate() {
            let place = format!("computed {}", computed.id);
            self.rule(&place, &computed.value, computed.ty.rule_type());
            // Only values defined before: no value can depend on itself.
            let later: Vec<&str> = definition.computed[i..]
                .iter()
                .map(|c| c.id.as_str())
                .collect();
            let too_late: Vec<String> = self
                .rules
                .get(&computed.value)
                .map(|expr| expr.fields())
                .unwrap_or_default()
                .into_iter()
                .filter(|name| later.contains(name))
                .map(str::to_owned)
                .collect();
            for name in too_late {
                self.mistake(
                    &place,
                    format!("'{name}' is computed at or after this value; use only values computed before"),
                );
            }
        }
    }

    fn field(&mut self, step_place: &str, field: &Field) {
        let place = format!("{step_place} / {}", field.id);
        if let Some(rule) = &field.show_if {
            self.rule(&format!("{place} / show_if"), rule, Type::Bool);
        }
        if let Required::When(rule) = &field.required {
            self.rule(&format!("{place} / required"), rule, Type::Bool);
        }
        let bounded = matches!(field.kind, Kind::Number | Kind::Money | Kind::Date);
        for (name, bound) in [("min", &field.min), ("max", &field.max)] {
            match (bound, bounded) {
                (Some(rule), true) => {
                    let ty = field.kind.rule_type();
                    self.rule(&format!("{place} / {name}"), rule, ty);
                }
                (Some(_), false) => self.mistake(
                    &place,
                    format!("{name} is for numbers, amounts and dates; use min_length/max_length"),
                ),
                (None, _) => {}
            }
        }
        if let (Some(min), Some(max)) = (field.min_length, field.max_length)
            && min > max
        {
            self.mistake(&place, "min_length is greater than max_length");
        }
        if let Some(pattern) = &field.pattern {
            // Anchored: the whole answer must match, not a part of it.
            match regex::Regex::new(&format!("^(?:{})$", pattern.regex)) {
                Ok(compiled) => {
                    self.patterns.insert(pattern.regex.clone(), compiled);
                }
                Err(e) => self.mistake(
                    &format!("{place} / pattern"),
                    format!("not a regular expression: {e}"),
                ),
            }
        }
        if field.kind.has_options() {
            if field.options.is_empty() {
                self.mistake(&place, "a choice needs options");
            }
            let mut seen = Vec::new();
            for choice in &field.options {
                if seen.contains(&&choice.value) {
                    self.mistake(
                        &place,
                        format!("the option '{}' is there twice", choice.value),
                    );
                }
                seen.push(&choice.value);
            }
        } else if !field.options.is_empty() {
            self.mistake(&place, "options are only for select, radio and checkboxes");
        }
        match field.kind {
            Kind::Group if field.fields.is_empty() => {
                self.mistake(&place, "a group needs fields");
            }
            Kind::Group => {
                for inner in &field.fields {
                    if inner.kind == Kind::Group {
                        self.mistake(&place, "groups cannot be nested");
                    }
                    self.field(&place, inner);
                }
            }
            _ if !field.fields.is_empty() => {
                self.mistake(&place, "only a group has fields");
            }
            _ => {}
        }
        if field.max_bytes.is_some_and(|max| max > MAX_FILE_BYTES) {
            self.mistake(
                &place,
                format!("max_bytes is at most {MAX_FILE_BYTES} (what one page may carry)"),
            );
        }
        if field.kind == Kind::File && field.accept.is_empty() {
            self.mistake(&place, "a file field names the media types it accepts");
        }
        for media_type in &field.accept {
            if !crate::media::KNOWN.contains(&media_type.as_str()) {
                self.mistake(
                    &place,
                    format!(
                        "'{media_type}' cannot be recognised by content; use one of {}",
                        crate::media::KNOWN.join(", ")
                    ),
                );
            }
        }
        if let Some(source) = &field.prefill {
            let known = PREFILL_SOURCES.contains(&source.as_str())
                || source
                    .strip_prefix("answer.")
                    .is_some_and(|id| self.types.contains_key(id));
            if !known {
                self.mistake(
                    &format!("{place} / prefill"),
                    format!(
                        "'{source}' is not a source; use answer.FIELD or one of {}",
                        PREFILL_SOURCES.join(", ")
                    ),
                );
            }
        }
    }
}

/// The largest file a field may take: below the size of one sent page (25 MB).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// Ids that end up in URLs: lower-case letters first, then letters, digits and `_`
/// (and `-` for form ids), at most 80 characters.
fn is_plain_id(id: &str, hyphen: bool) -> bool {
    id.len() <= 80
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || (hyphen && c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARKING: &str = include_str!("../forms/bewohnerparkausweis.json");

    #[test]
    fn the_schema_file_is_the_schema_of_the_code() {
        let generated = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/form-definition.schema.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        if committed != generated {
            std::fs::write(path, &generated).unwrap();
            panic!("form-definition.schema.json was out of date and has been rewritten; commit it");
        }
    }

    #[test]
    fn the_parking_permit_assistant_loads() {
        let form = load(PARKING).unwrap_or_else(|m| panic!("{m:?}"));
        let definition = &form.definition;
        assert_eq!(definition.steps.len(), 3);
        assert_eq!(
            definition.title.get("en"),
            "Apply for a residential parking permit"
        );
        assert_eq!(definition.computed[0].id, "gebuehr");
    }

    #[test]
    fn every_mistake_is_listed_with_its_place() {
        let broken = PARKING
            .replace(
                "halter != \\\"selbst\\\"\", \"required\"",
                "halter == 3\", \"required\"",
            )
            .replace("\"id\": \"nachname\"", "\"id\": \"vorname\"")
            .replace(
                "\"accept\": [\"application/pdf\", \"image/jpeg\", \"image/png\"], ",
                "",
            )
            .replace("euro(60), euro(30)", "euro(60), 30");
        let mistakes = load(&broken).expect_err("broken");
        let lines: Vec<String> = mistakes.iter().map(ToString::to_string).collect();
        let expected = [
            "steps[0] person / vorname: the id 'vorname' is used twice",
            "steps[1] fahrzeug / nachweis_nutzung / show_if: at 7: == does not fit a text and a number in \"halter == 3\"",
            "steps[1] fahrzeug / nachweis_nutzung: a file field names the media types it accepts",
            "computed gebuehr: at 0: if: wrong arguments; if(condition, then, else) in \"if(jahre == \"2\", euro(60), 30)\"",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn computed_values_are_used_in_rules_in_order() {
        let json = r#"{
          "id": "x", "version": 1, "title": "X",
          "steps": [
            { "id": "a", "title": "A", "items": [
              { "field": { "id": "jahre", "kind": "number", "label": "Jahre" } } ] },
            { "id": "b", "title": "B", "show_if": "gebuehr > euro(0)", "items": [
              { "info": { "text": "Sie zahlen online." } } ] }
          ],
          "computed": [
            { "id": "gebuehr", "type": "money", "value": "euro(30) * jahre" },
            { "id": "mit_porto", "type": "money", "value": "gebuehr + euro(1)" }
          ]
        }"#;
        let form = load(json).unwrap_or_else(|m| panic!("{m:?}"));
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut answers = crate::fill::Answers::default();
        assert_eq!(form.steps_shown(&answers, today).len(), 1);
        let sent = vec![("jahre".to_owned(), "2".to_owned())];
        form.take_step("a", &sent, &mut answers, today).unwrap();
        assert_eq!(
            form.steps_shown(&answers, today).len(),
            2,
            "the fee shows step b"
        );
        assert_eq!(
            form.computed(&answers, today)[1].1,
            crate::expr::Value::Money(6100)
        );
        let circular = json.replace("euro(30) * jahre", "mit_porto - euro(1)");
        let lines: Vec<String> = load(&circular)
            .expect_err("circular")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "computed gebuehr: 'mit_porto' is computed at or after this value; use only values computed before"
            ]
        );
    }

    #[test]
    fn every_built_in_definition_reads_back_as_written() {
        for (id, json) in crate::builtin::DEFINITIONS {
            let form = load(json).unwrap_or_else(|m| panic!("{id}: {m:?}"));
            let written = serde_json::to_string(&form.definition).unwrap();
            let again = load(&written).unwrap_or_else(|m| panic!("{id} again: {m:?}"));
            assert_eq!(
                serde_json::to_value(&again.definition).unwrap(),
                serde_json::to_value(&form.definition).unwrap(),
                "{id}"
            );
        }
    }

    #[test]
    fn unknown_keys_and_bad_json_are_refused() {
        let typo = PARKING.replacen("\"required\": true", "\"requird\": true", 1);
        let mistakes = load(&typo).expect_err("typo");
        assert!(mistakes[0].message.contains("requird"), "{mistakes:?}");
        let cut = &PARKING[..200];
        assert!(load(cut).is_err());
    }

    #[test]
    fn choices_patterns_and_bounds_are_checked() {
        let json = r#"{
          "id": "x", "version": 1, "title": "X",
          "steps": [{ "id": "a", "title": "A", "items": [
            { "field": { "id": "farbe", "kind": "select", "label": "Farbe", "options": [] } },
            { "field": { "id": "code", "kind": "text", "label": "Code", "pattern": { "regex": "([a-z", "message": "a-z" }, "min": "1" } },
            { "field": { "id": "anzahl", "kind": "number", "label": "Anzahl", "min": "0", "max": "today()" } }
          ]}]
        }"#;
        let lines: Vec<String> = load(json)
            .expect_err("broken")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(lines[0].ends_with("farbe: a choice needs options"));
        assert!(lines[1].contains("code: min is for numbers, amounts and dates"));
        assert!(lines[2].contains("code / pattern: not a regular expression"));
        assert!(
            lines[3].contains("anzahl / max: at 0: the rule gives a date, but a number is needed")
        );
    }
}
