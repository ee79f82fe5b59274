//! Import of FIM XDatenfelder schemas (versions 2 and 3) into form definitions, so that
//! a town hall can start an assistant from the federal master schemas.
//!
//! What is taken over: Datenfeldgruppen (top-level groups become steps, repeating ones
//! "add another" groups), Datenfelder with label, help text, whether they must be given
//! (from `anzahl`), type (`feldart` and `datentyp`), length, range and pattern
//! (`praezisierung`), code lists given inline (`werte`), and labels as information
//! blocks. What cannot be taken over automatically is reported by name in the import's
//! notes, never dropped silently: rules (XDatenfelder writes them as scripts or free
//! text), code lists that are only referenced, hidden and locked fields, types without a
//! counterpart.
//!
//! The file is checked first; a broken file (unknown namespace, an element given twice
//! that may appear once, an identification without or with an empty id, an unknown
//! release status, an unexpected element) is refused with every mistake and its line.

mod tree;

use std::collections::HashSet;

use crate::definition::{
    Choice, Definition, Field, Form, Item, Kind, Mistake, Pattern, Required, Step, Text, compile,
};
use tree::Element;

pub const NAMESPACE_V2: &str = "urn:xoev-de:fim:standard:xdatenfelder_2";
pub const NAMESPACE_V3: &str = "urn:xoev-de:fim:standard:xdatenfelder_3.0.0";

/// A checked form made from a schema, and what could not be taken over.
#[derive(Debug)]
pub struct Imported {
    pub form: Form,
    /// One sentence per construct not taken over (German, for the person importing).
    pub notes: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Version {
    V2,
    V3,
}

/// Elements that may appear at most once in their parent.
const ONCE: &[&str] = &[
    "identifikation",
    "id",
    "version",
    "name",
    "beschreibung",
    "definition",
    "bezeichnungEingabe",
    "bezeichnungAusgabe",
    "hilfetextEingabe",
    "hilfetextAusgabe",
    "status",
    "freigabestatus",
    "schemaelementart",
    "feldart",
    "datentyp",
    "praezisierung",
    "anzahl",
    "codelisteReferenz",
];

/// Imports an XDatenfelder 2 or 3 document (Stammdatenschema, Datenfeldgruppe or
/// Datenfeld).
pub fn import(xml: &str) -> Result<Imported, Vec<Mistake>> {
    let root = tree::parse(xml).map_err(|m| vec![m])?;
    let version = match root.namespace.as_deref() {
        Some(NAMESPACE_V2) => Version::V2,
        Some(NAMESPACE_V3) => Version::V3,
        other => {
            return Err(vec![Mistake {
                place: format!("line {} <{}>", root.line, root.name),
                message: format!(
                    "the namespace '{}' is not XDatenfelder 2 ({NAMESPACE_V2}) or 3 ({NAMESPACE_V3})",
                    other.unwrap_or("(none)")
                ),
            }]);
        }
    };
    let content = root
        .children
        .iter()
        .find(|c| {
            matches!(
                c.name.as_str(),
                "stammdatenschema" | "datenfeldgruppe" | "datenfeld"
            )
        })
        .ok_or_else(|| {
            vec![Mistake {
                place: format!("line {} <{}>", root.line, root.name),
                message: "no <stammdatenschema>, <datenfeldgruppe> or <datenfeld> in the message"
                    .into(),
            }]
        })?;
    let mut mistakes = Vec::new();
    check(&root, version, &mut mistakes);
    if !mistakes.is_empty() {
        return Err(mistakes);
    }
    let mut converter = Converter::default();
    let definition = converter.definition(content);
    let form = compile(definition).map_err(|found| {
        found
            .into_iter()
            .map(|m| Mistake {
                place: m.place,
                message: format!("the converted form does not load: {}", m.message),
            })
            .collect::<Vec<_>>()
    })?;
    Ok(Imported {
        form,
        notes: converter.notes,
    })
}

fn place(element: &Element) -> String {
    format!("line {} <{}>", element.line, element.name)
}

/// The checks the samples of broken files need, and the ones that keep the conversion
/// honest: each mistake with its line.
fn check(element: &Element, version: Version, mistakes: &mut Vec<Mistake>) {
    let mut seen = HashSet::new();
    for child in &element.children {
        if ONCE.contains(&child.name.as_str()) && !seen.insert(child.name.as_str()) {
            mistakes.push(Mistake {
                place: place(child),
                message: format!("<{}> may appear once in <{}>", child.name, element.name),
            });
        }
    }
    match element.name.as_str() {
        "identifikation" => {
            for child in &element.children {
                if !matches!(child.name.as_str(), "id" | "version") {
                    mistakes.push(Mistake {
                        place: place(child),
                        message: format!("unexpected element <{}> in <identifikation>", child.name),
                    });
                }
            }
            match element.all("id").next() {
                None => mistakes.push(Mistake {
                    place: place(element),
                    message: "<identifikation> has no <id>".into(),
                }),
                Some(id) if id.trimmed().is_empty() => mistakes.push(Mistake {
                    place: place(id),
                    message: "<id> is empty".into(),
                }),
                Some(_) => {}
            }
        }
        "freigabestatus" if version == Version::V3 => {
            let code = code_of(element).unwrap_or_default();
            // Codeliste xdatenfelder.freigabestatus: 1 in Planung … 8 vorgesehen zum Löschen.
            if !matches!(code.as_str(), "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8") {
                mistakes.push(Mistake {
                    place: place(element),
                    message: format!("'{code}' is not a release status (codes 1 to 8)"),
                });
            }
        }
        "datenfeld" | "datenfeldgruppe" | "stammdatenschema" => {
            if element.all("name").next().is_none() {
                mistakes.push(Mistake {
                    place: place(element),
                    message: format!("<{}> has no <name>", element.name),
                });
            }
            if element.all("identifikation").next().is_none() {
                mistakes.push(Mistake {
                    place: place(element),
                    message: format!("<{}> has no <identifikation>", element.name),
                });
            }
        }
        _ => {}
    }
    for child in &element.children {
        check(child, version, mistakes);
    }
}

/// The `<code>` of a code list value (`<feldart><code>input</code></feldart>`).
fn code_of(element: &Element) -> Option<String> {
    element
        .all("code")
        .next()
        .map(|c| c.trimmed().to_owned())
        .or_else(|| Some(element.trimmed().to_owned()).filter(|t| !t.is_empty()))
}

fn child_text<'a>(element: &'a Element, name: &'a str) -> Option<&'a str> {
    element
        .all(name)
        .map(Element::trimmed)
        .find(|t| !t.is_empty())
}

fn fim_id(element: &Element) -> String {
    element
        .all("identifikation")
        .next()
        .and_then(|i| child_text(i, "id"))
        .unwrap_or("?")
        .to_owned()
}

fn label(element: &Element) -> String {
    child_text(element, "bezeichnungEingabe")
        .or_else(|| child_text(element, "name"))
        .unwrap_or("?")
        .to_owned()
}

/// `1:1` → (1, Some(1)); `0:*` → (0, None).
fn cardinality(anzahl: &str) -> (u32, Option<u32>) {
    let (min, max) = anzahl.split_once(':').unwrap_or((anzahl, anzahl));
    (min.trim().parse().unwrap_or(0), max.trim().parse().ok())
}

/// A readable id from a name: "Straße" → `strasse`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'a'..='z' | '0'..='9' => out.push(c),
            _ if !out.ends_with('_') => out.push('_'),
            _ => {}
        }
    }
    let trimmed = out.trim_matches('_');
    match trimmed.chars().next() {
        Some(c) if c.is_ascii_lowercase() => trimmed.to_owned(),
        Some(_) => format!("f_{trimmed}"),
        None => "feld".to_owned(),
    }
}

/// What one entry of a `struktur` contains.
struct Entry<'a> {
    element: &'a Element,
    min: u32,
    max: Option<u32>,
}

fn entries(parent: &Element) -> Vec<Entry<'_>> {
    parent
        .all("struktur")
        .filter_map(|structure| {
            let (min, max) = cardinality(child_text(structure, "anzahl").unwrap_or("1:1"));
            let element = structure
                .all("enthaelt")
                .flat_map(|e| e.children.iter())
                .find(|c| matches!(c.name.as_str(), "datenfeld" | "datenfeldgruppe"))?;
            Some(Entry { element, min, max })
        })
        .collect()
}

#[derive(Default)]
struct Converter {
    notes: Vec<String>,
    ids: HashSet<String>,
}

impl Converter {
    fn unique(&mut self, name: &str) -> String {
        let base = slug(name);
        let mut id = base.clone();
        let mut n = 2;
        while !self.ids.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        id
    }

    fn note_rules(&mut self, element: &Element) {
        for rule in element.all("regel") {
            self.notes.push(format!(
                "Regel {} „{}“ bei {} „{}“ wurde nicht übernommen: Regeln in XDatenfelder sind Skripte oder Freitext; formulieren Sie sie als show_if/required in der Regelsprache.",
                fim_id(rule),
                child_text(rule, "name").unwrap_or("?"),
                element.name,
                label(element),
            ));
        }
    }

    fn definition(&mut self, content: &Element) -> Definition {
        let title = label(content);
        self.note_rules(content);
        let mut steps = Vec::new();
        let mut loose = Vec::new();
        let top: Vec<Entry> = match content.name.as_str() {
            "datenfeld" => vec![Entry {
                element: content,
                min: 1,
                max: Some(1),
            }],
            _ => entries(content),
        };
        for entry in top {
            let is_step = entry.element.name == "datenfeldgruppe" && entry.max == Some(1);
            if is_step {
                if !loose.is_empty() {
                    steps.push(self.step(&title, std::mem::take(&mut loose)));
                }
                let group = entry.element;
                self.note_rules(group);
                let mut items = Vec::new();
                if let Some(help) = child_text(group, "hilfetextEingabe") {
                    items.push(info(help));
                }
                if entry.min == 0 {
                    self.notes.push(format!(
                        "Die Gruppe „{}“ ist freiwillig (anzahl {}:1): ihre Pflichtfelder sind hier freiwillig.",
                        label(group),
                        entry.min
                    ));
                }
                self.flatten(group, entry.min > 0, &mut items);
                if items.is_empty() {
                    self.notes.push(format!(
                        "Die Gruppe „{}“ ({}) enthält keine Datenfelder; ihr Schritt zeigt nur ihren Namen.",
                        label(group),
                        fim_id(group)
                    ));
                    items.push(info(&label(group)));
                }
                steps.push(self.step(&label(group), items));
            } else {
                self.item(&entry, true, &mut loose);
            }
        }
        if !loose.is_empty() {
            steps.push(self.step(&title, loose));
        }
        if steps.is_empty() {
            self.notes.push(
                "Das Schema enthält keine Datenfelder; der Antrag zeigt nur einen Hinweis.".into(),
            );
            let text =
                child_text(content, "beschreibung").unwrap_or("Dieses Formular hat keine Angaben.");
            steps.push(self.step(&title, vec![info(text)]));
        }
        Definition {
            schema: None,
            id: slug(&fim_id(content)),
            version: 1,
            title: Text::German(title),
            steps,
            computed: Vec::new(),
        }
    }

    fn step(&mut self, title: &str, items: Vec<Item>) -> Step {
        Step {
            id: self.unique(title),
            title: Text::German(title.to_owned()),
            show_if: None,
            items,
        }
    }

    /// The fields of a group on one page, nested groups with their label as a heading.
    fn flatten(&mut self, group: &Element, required: bool, items: &mut Vec<Item>) {
        for entry in entries(group) {
            self.item(&entry, required, items);
        }
    }

    /// One entry of a structure as items: a field, a label, a repeating group, or the
    /// fields of a nested group.
    fn item(&mut self, entry: &Entry, required: bool, items: &mut Vec<Item>) {
        let element = entry.element;
        let repeats = entry.max != Some(1);
        if element.name == "datenfeldgruppe" {
            self.note_rules(element);
            if repeats {
                let mut inner = Vec::new();
                for inner_entry in entries(element) {
                    if inner_entry.element.name == "datenfeldgruppe" {
                        self.notes.push(format!(
                            "Die Gruppe „{}“ in der wiederholbaren Gruppe „{}“ wurde aufgelöst: ihre Felder stehen direkt im Eintrag.",
                            label(inner_entry.element),
                            label(element)
                        ));
                        for deeper in entries(inner_entry.element) {
                            if deeper.element.name == "datenfeldgruppe" {
                                self.notes.push(format!(
                                    "Die Gruppe „{}“ liegt zu tief in der wiederholbaren Gruppe „{}“ und wurde nicht übernommen.",
                                    label(deeper.element),
                                    label(element)
                                ));
                                continue;
                            }
                            inner.extend(self.field(&deeper, false));
                        }
                    } else {
                        if inner_entry.max != Some(1) {
                            self.notes.push(format!(
                                "Das Feld „{}“ kann in „{}“ mehrfach vorkommen; hier wird es einmal je Eintrag abgefragt.",
                                label(inner_entry.element),
                                label(element)
                            ));
                        }
                        inner.extend(self.field(&inner_entry, true));
                    }
                }
                let mut group = self.plain(element, Kind::Group, required && entry.min > 0);
                group.fields = inner;
                items.push(Item::Field(Box::new(group)));
            } else {
                items.push(info(&label(element)));
                self.flatten(element, required && entry.min > 0, items);
            }
            return;
        }
        match self.field(entry, required) {
            Some(field) if repeats => {
                // A field that may be given several times: a group of one field.
                let mut group = field.clone();
                group.kind = Kind::Group;
                group.id = self.unique(&format!("{}_liste", field.label.get("de")));
                group.fields = vec![Field {
                    required: Required::Always(true),
                    ..field
                }];
                group.required = Required::Always(required && entry.min > 0);
                group.options = Vec::new();
                group.pattern = None;
                group.min_length = None;
                group.max_length = None;
                group.accept = Vec::new();
                items.push(Item::Field(Box::new(group)));
            }
            Some(field) => items.push(Item::Field(Box::new(field))),
            None => {
                if let Some(text) = label_text(element) {
                    items.push(info(&text));
                }
            }
        }
    }

    fn plain(&mut self, element: &Element, kind: Kind, required: bool) -> Field {
        let label = label(element);
        Field {
            id: self.unique(&label),
            kind,
            label: Text::German(label),
            hint: None,
            help: child_text(element, "hilfetextEingabe").map(|h| Text::German(h.to_owned())),
            required: Required::Always(required),
            show_if: None,
            min_length: None,
            max_length: None,
            min: None,
            max: None,
            pattern: None,
            options: Vec::new(),
            prefill: None,
            accept: Vec::new(),
            max_bytes: None,
            fields: Vec::new(),
        }
    }

    /// A Datenfeld as a field; `None` for labels (shown as information) and for what
    /// cannot be asked (noted).
    fn field(&mut self, entry: &Entry, required: bool) -> Option<Field> {
        let element = entry.element;
        self.note_rules(element);
        let name = label(element);
        let feldart = element
            .all("feldart")
            .next()
            .and_then(code_of)
            .unwrap_or_else(|| "input".into());
        let datentyp = element
            .all("datentyp")
            .next()
            .and_then(code_of)
            .unwrap_or_else(|| "text".into());
        match feldart.as_str() {
            "label" => return None,
            "hidden" | "locked" => {
                self.notes.push(format!(
                    "Das Feld „{name}“ ({}) hat die Feldart „{feldart}“ und wird nicht abgefragt.",
                    fim_id(element)
                ));
                return None;
            }
            "input" | "select" => {}
            other => {
                self.notes.push(format!(
                    "Das Feld „{name}“ ({}) hat die unbekannte Feldart „{other}“ und wird als Textfeld abgefragt.",
                    fim_id(element)
                ));
            }
        }
        let precision = Precision::of(element);
        let kind = match (feldart.as_str(), datentyp.as_str()) {
            ("select", "bool") | (_, "bool") => Kind::YesNo,
            ("select", _) => Kind::Select,
            (_, "date") => Kind::Date,
            (_, "num" | "num_int") => Kind::Number,
            (_, "num_currency") => Kind::Money,
            (_, "file") => Kind::File,
            (_, "text" | "text_latin") => match precision.max_length {
                Some(max) if max > 255 => Kind::LongText,
                _ => Kind::Text,
            },
            (_, "obj") => {
                self.notes.push(format!(
                    "Das Feld „{name}“ ({}) hat den Datentyp „obj“ (ein Objekt), den ein Antrag nicht abfragen kann; es wurde nicht übernommen.",
                    fim_id(element)
                ));
                return None;
            }
            (_, other) => {
                self.notes.push(format!(
                    "Das Feld „{name}“ ({}) hat den Datentyp „{other}“ ohne Gegenstück und wird als Textfeld abgefragt.",
                    fim_id(element)
                ));
                Kind::Text
            }
        };
        let mut field = self.plain(element, kind, required && entry.min > 0);
        match kind {
            Kind::Select => {
                field.options = inline_values(element);
                if field.options.is_empty() {
                    let list = element
                        .all("codelisteReferenz")
                        .next()
                        .map(codelist_name)
                        .unwrap_or_else(|| "ohne Angabe".into());
                    self.notes.push(format!(
                        "Die Codeliste {list} des Feldes „{name}“ ist nur verwiesen, nicht enthalten: das Feld wird als Textfeld abgefragt, bis ihre Werte als Optionen eingetragen sind."
                    ));
                    field.kind = Kind::Text;
                }
            }
            Kind::Text | Kind::LongText => {
                field.min_length = precision.min_length.filter(|m| *m > 0);
                field.max_length = precision.max_length;
                if let Some(regex) = precision.pattern.filter(|p| !p.is_empty()) {
                    if regex::Regex::new(&format!("^(?:{regex})$")).is_ok() {
                        field.pattern = Some(Pattern {
                            regex,
                            message: Text::German(
                                "Die Angabe hat nicht die verlangte Form.".into(),
                            ),
                        });
                    } else {
                        self.notes.push(format!(
                            "Das Muster „{regex}“ des Feldes „{name}“ ist kein regulärer Ausdruck, den Rathaus prüfen kann; es wurde nicht übernommen."
                        ));
                    }
                }
            }
            Kind::Number => {
                field.min = precision.min_value.map(|v| v.to_string());
                field.max = precision.max_value.map(|v| v.to_string());
                if datentyp == "num_int" {
                    field.pattern = None;
                    field.hint = Some(Text::German("Eine ganze Zahl.".into()));
                }
            }
            Kind::Money => {
                field.min = precision.min_value.map(|v| format!("euro({v})"));
                field.max = precision.max_value.map(|v| format!("euro({v})"));
            }
            Kind::File => {
                let media_type = child_text(element, "mediaType");
                field.accept = match media_type {
                    Some(t) if crate::media::KNOWN.contains(&t) => vec![t.to_owned()],
                    other => {
                        if let Some(t) = other {
                            self.notes.push(format!(
                                "Der Medientyp „{t}“ des Feldes „{name}“ kann nicht am Inhalt erkannt werden; angenommen werden PDF, JPEG und PNG."
                            ));
                        }
                        ["application/pdf", "image/jpeg", "image/png"]
                            .map(String::from)
                            .to_vec()
                    }
                };
            }
            _ => {}
        }
        Some(field)
    }
}

fn info(text: &str) -> Item {
    Item::Info {
        text: Text::German(text.to_owned()),
        show_if: None,
    }
}

/// The text of a label field (`feldart` label): its content, else its label.
fn label_text(element: &Element) -> Option<String> {
    child_text(element, "inhalt")
        .map(str::to_owned)
        .or_else(|| Some(label(element)))
}

/// Values given inline (`<werte><wert><code>…</code><name>…</name></wert></werte>`).
fn inline_values(element: &Element) -> Vec<Choice> {
    element
        .all("werte")
        .flat_map(|w| w.all("wert"))
        .filter_map(|wert| {
            let code = child_text(wert, "code")?.to_owned();
            let name = child_text(wert, "name").unwrap_or(&code).to_owned();
            Some(Choice {
                value: code,
                label: Text::German(name),
            })
        })
        .collect()
}

fn codelist_name(reference: &Element) -> String {
    let id = reference
        .all("identifikation")
        .next()
        .and_then(|i| child_text(i, "id"));
    let canonical = reference
        .all("genericodeIdentification")
        .next()
        .and_then(|g| child_text(g, "canonicalIdentification"));
    match (id, canonical) {
        (Some(id), Some(uri)) => format!("{id} ({uri})"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => "ohne Kennung".to_owned(),
    }
}

/// `praezisierung`: a JSON text in version 2, attributes in version 3.
#[derive(Default)]
struct Precision {
    min_length: Option<usize>,
    max_length: Option<usize>,
    min_value: Option<f64>,
    max_value: Option<f64>,
    pattern: Option<String>,
}

impl Precision {
    fn of(element: &Element) -> Self {
        let Some(p) = element.all("praezisierung").next() else {
            return Self::default();
        };
        let json: serde_json::Value = serde_json::from_str(p.trimmed()).unwrap_or_default();
        let get = |key: &str| -> Option<String> {
            p.attribute(key)
                .map(str::to_owned)
                .or_else(|| match &json[key] {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
        };
        Self {
            min_length: get("minLength").and_then(|v| v.trim().parse().ok()),
            max_length: get("maxLength").and_then(|v| v.trim().parse().ok()),
            min_value: get("minValue").and_then(|v| v.trim().replace(',', ".").parse().ok()),
            max_value: get("maxValue").and_then(|v| v.trim().replace(',', ".").parse().ok()),
            pattern: get("pattern"),
        }
    }
}

#[cfg(test)]
mod tests;
