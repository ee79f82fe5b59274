//! A step of a form definition as inputs on a page: one view model per field (and per
//! info block), with the values to show, the error, and the markup's ids. The template
//! `assistant/step.html` renders them with KERN classes.

use std::collections::HashMap;

use chrono::NaiveDate;
use rathaus_core::drafts::DraftFile;
use rathaus_forms::definition::{Field, Form, Item, Kind, Step};
use rathaus_forms::fill::{ADDRESS_PARTS, Answers, POSTCODE_CITY_PARTS, field_path};
use rathaus_forms::media;

use super::messages::megabytes;
use crate::i18n::Texts;

/// One input of an address field.
pub struct Part {
    pub name: String,
    pub html_id: String,
    pub label: String,
    pub value: String,
    pub autocomplete: &'static str,
    /// Width class: house numbers and postcodes are short.
    pub short: bool,
    /// Digits only (the postcode; house numbers have letters: "17a").
    pub numeric: bool,
    pub error: bool,
}

/// An uploaded file listed under its field.
pub struct FileView {
    pub id: String,
    pub name: String,
    pub size: String,
}

/// One entry of a repeating group.
pub struct Entry {
    pub legend: String,
    pub widgets: Vec<Widget>,
    /// The action that removes it (`entfernen:kinder.1`).
    pub remove: String,
}

/// What the template renders for one item of a step.
pub struct Widget {
    /// The field's id, or `info-N` for the N-th item when it is an information block;
    /// what the visibility answer names.
    pub key: String,
    /// Shown or hidden by an answer on this same page (JavaScript follows it).
    pub conditional: bool,
    /// text, textarea, number, money, date, email, tel, iban, registration, postcode,
    /// select, radio, checkboxes, yes_no, consent, file, address, group, info.
    pub kind: &'static str,
    pub name: String,
    pub html_id: String,
    pub label: String,
    pub hint: Option<String>,
    pub help: Option<String>,
    pub error: Option<String>,
    pub optional: bool,
    pub readonly: bool,
    pub values: Vec<String>,
    pub options: Vec<(String, String)>,
    pub autocomplete: &'static str,
    pub inputmode: &'static str,
    pub parts: Vec<Part>,
    pub files: Vec<FileView>,
    pub accept: String,
    pub entries: Vec<Entry>,
    /// For groups: the action that adds an entry, and its button text.
    pub add: String,
    pub add_label: String,
}

impl Widget {
    pub fn value(&self) -> &str {
        self.values.first().map_or("", String::as_str)
    }

    pub fn has(&self, value: &str) -> bool {
        self.values.iter().any(|v| v == value)
    }

    /// `aria-describedby`: hint and error.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hinweis", self.html_id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-fehler", self.html_id));
        }
        ids.join(" ")
    }

    /// The id of the input the error summary links to.
    pub fn first_input(&self) -> String {
        match self.kind {
            "radio" | "yes_no" | "checkboxes" => format!("{}-0", self.html_id),
            "address" => self
                .parts
                .iter()
                .find(|p| p.error)
                .or(self.parts.first())
                .map_or_else(|| self.html_id.clone(), |p| p.html_id.clone()),
            _ => self.html_id.clone(),
        }
    }
}

/// `kinder.0.vorname` → `kinder-0-vorname` (ids without dots are easier to link and style).
pub fn html_id(name: &str) -> String {
    format!("f-{}", name.replace('.', "-"))
}

/// Everything needed to lay out one step.
pub struct StepInput<'a> {
    pub form: &'a Form,
    pub step: &'a Step,
    pub t: &'a Texts,
    /// Values by input name, as sent or as the stored answers give them.
    pub values: &'a [(String, String)],
    /// The answers to decide which fields are shown.
    pub answers: &'a Answers,
    /// Messages by field name (`kinder.0.vorname`, `anschrift`).
    pub errors: &'a HashMap<String, String>,
    /// Fields with verified identity data (read-only).
    pub verified: &'a [String],
    pub files: &'a [DraftFile],
    /// Groups with one more (empty) entry shown.
    pub adding: Option<&'a str>,
    pub today: NaiveDate,
}

impl StepInput<'_> {
    fn lang(&self) -> &'static str {
        self.t.lang().code()
    }

    fn sent(&self, name: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The fields of this page other rules on this page may depend on.
    fn page_fields(&self) -> Vec<&str> {
        self.step.fields().map(|f| f.id.as_str()).collect()
    }

    /// Whether the rule reads an answer on this same page.
    fn on_this_page(&self, rule: Option<&String>) -> bool {
        let page = self.page_fields();
        rule.is_some_and(|source| {
            self.form
                .rule_fields(source)
                .iter()
                .any(|f| page.contains(&f.split('.').next().unwrap_or(f)))
        })
    }

    /// A field or block is shown when its rule holds for the answers so far, and also
    /// when the rule reads an answer on this same page: without JavaScript the page
    /// cannot change as the person answers, so such fields are offered and the check on
    /// sending drops them if they do not apply (with JavaScript they follow the answers).
    fn shown(&self, rule: Option<&String>) -> bool {
        self.on_this_page(rule) || self.form.holds(rule, self.answers, self.today)
    }

    pub fn widgets(&self) -> Vec<Widget> {
        self.step
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                Item::Field(field) if self.shown(field.show_if.as_ref()) => {
                    let mut widget = self.field(field, &field.id, false);
                    widget.key = field.id.clone();
                    widget.conditional = self.on_this_page(field.show_if.as_ref());
                    Some(widget)
                }
                Item::Info { text, show_if } if self.shown(show_if.as_ref()) => {
                    let mut info = self.blank("info", "", String::new());
                    info.label = text.get(self.lang()).to_owned();
                    info.key = info_key(i);
                    info.conditional = self.on_this_page(show_if.as_ref());
                    Some(info)
                }
                _ => None,
            })
            .collect()
    }

    fn blank(&self, kind: &'static str, name: &str, label: String) -> Widget {
        Widget {
            key: name.to_owned(),
            conditional: false,
            kind,
            name: name.to_owned(),
            html_id: html_id(name),
            label,
            hint: None,
            help: None,
            error: None,
            optional: false,
            readonly: false,
            values: Vec::new(),
            options: Vec::new(),
            autocomplete: "off",
            inputmode: "text",
            parts: Vec::new(),
            files: Vec::new(),
            accept: String::new(),
            entries: Vec::new(),
            add: String::new(),
            add_label: String::new(),
        }
    }

    /// The widget of `field` sent under `name` (`kinder.0.vorname` inside a group).
    fn field(&self, field: &Field, name: &str, in_group: bool) -> Widget {
        let lang = self.lang();
        let label = field.label.get(lang).to_owned();
        let kind = match field.kind {
            Kind::Text => "text",
            Kind::LongText => "textarea",
            Kind::Number => "number",
            Kind::Money => "money",
            Kind::Date => "date",
            Kind::Email => "email",
            Kind::Phone => "tel",
            Kind::Iban => "iban",
            Kind::RegistrationNumber => "registration",
            Kind::Postcode => "postcode",
            Kind::Select => "select",
            Kind::Radio => "radio",
            Kind::Checkboxes => "checkboxes",
            Kind::YesNo => "yes_no",
            Kind::Consent => "consent",
            Kind::File => "file",
            Kind::Address | Kind::PostcodeCity => "address",
            Kind::Group => "group",
        };
        let mut w = self.blank(kind, name, label);
        w.hint = field.hint.as_ref().map(|h| h.get(lang).to_owned());
        w.help = field.help.as_ref().map(|h| h.get(lang).to_owned());
        w.error = self.errors.get(name).cloned();
        w.optional = field.required == rathaus_forms::definition::Required::No
            && !matches!(field.kind, Kind::Consent | Kind::Group);
        w.readonly = !in_group && self.verified.contains(&field.id);
        w.values = self.sent(name);
        w.options = match field.kind {
            Kind::YesNo => vec![
                ("ja".into(), self.t.get("answer-yes").to_owned()),
                ("nein".into(), self.t.get("answer-no").to_owned()),
            ],
            _ => field
                .options
                .iter()
                .map(|o| (o.value.clone(), o.label.get(lang).to_owned()))
                .collect(),
        };
        (w.autocomplete, w.inputmode) = input_hints(field);
        match field.kind {
            Kind::Address | Kind::PostcodeCity => w.parts = self.address_parts(field, name),
            Kind::File => {
                w.files = self.file_views(name, &w.values);
                w.accept = field.accept.join(",");
                if w.hint.is_none() {
                    w.hint = Some(self.t.fmt(
                        "upload-hint",
                        &[
                            ("types", &media::short_names(&field.accept)),
                            ("max", &megabytes(max_bytes(field) as i64)),
                        ],
                    ));
                }
            }
            Kind::Group => self.group(field, &mut w),
            _ => {}
        }
        w
    }

    /// The uploads an input names (by id), as listed under it.
    fn file_views(&self, name: &str, values: &[String]) -> Vec<FileView> {
        let path = field_path(name);
        self.files
            .iter()
            .filter(|f| f.field == path && values.contains(&f.id.to_string()))
            .map(|f| FileView {
                id: f.id.to_string(),
                name: f.file_name.clone(),
                size: megabytes(f.size),
            })
            .collect()
    }

    fn address_parts(&self, field: &Field, name: &str) -> Vec<Part> {
        let parts: &[&str] = if field.kind == Kind::Address {
            &ADDRESS_PARTS
        } else {
            &POSTCODE_CITY_PARTS
        };
        let values: Vec<(&str, String)> = parts
            .iter()
            .map(|part| {
                let value = self.sent(&format!("{name}.{part}")).into_iter().next();
                (*part, value.unwrap_or_default())
            })
            .collect();
        // The part to mark: the first missing one, else the postcode (the only part
        // with a form to check) — as `fill` reads an address.
        let missing = values
            .iter()
            .find(|(part, value)| *part != "hausnummer" && value.trim().is_empty())
            .map_or("plz", |(part, _)| *part);
        let has_error = self.errors.contains_key(name);
        values
            .into_iter()
            .map(|(part, value)| {
                let part_name = format!("{name}.{part}");
                let (label_key, autocomplete) = match part {
                    "strasse" => ("address-street", "address-line1"),
                    "hausnummer" => ("address-house-number", "off"),
                    "plz" => ("address-postcode", "postal-code"),
                    _ => ("address-city", "address-level2"),
                };
                Part {
                    html_id: html_id(&part_name),
                    value,
                    name: part_name,
                    label: self.t.get(label_key).to_owned(),
                    autocomplete,
                    short: matches!(part, "hausnummer" | "plz"),
                    numeric: part == "plz",
                    error: has_error && part == missing,
                }
            })
            .collect()
    }

    /// The entries of a repeating group: those sent or stored, at least one, and one
    /// more when the person asked to add one.
    fn group(&self, field: &Field, w: &mut Widget) {
        let prefix = format!("{}.", field.id);
        // Numbered as `fill` numbers them: entries sent entirely empty do not count.
        let mut indices: Vec<usize> = self
            .values
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .filter_map(|(n, _)| n.strip_prefix(&prefix)?.split('.').next()?.parse().ok())
            .collect();
        indices.sort_unstable();
        indices.dedup();
        let mut count = indices.len().max(1);
        if self.adding == Some(field.id.as_str()) {
            count += 1;
        }
        let label = field.label.get(self.lang()).to_owned();
        // Entries are renumbered 0.. in the page; their values are read by position.
        for position in 0..count {
            let sent_index = indices.get(position).copied();
            let widgets = field
                .fields
                .iter()
                .map(|inner| {
                    let name = format!("{prefix}{position}.{}", inner.id);
                    let mut widget = self.field(inner, &name, true);
                    if let Some(index) = sent_index {
                        let sent_name = format!("{prefix}{index}.{}", inner.id);
                        widget.values = self.sent(&sent_name);
                        if inner.kind == Kind::File {
                            widget.files = self.file_views(&name, &widget.values);
                        }
                        for part in &mut widget.parts {
                            let suffix = part.name.rsplit('.').next().unwrap_or_default();
                            part.value = self
                                .sent(&format!("{sent_name}.{suffix}"))
                                .into_iter()
                                .next()
                                .unwrap_or_default();
                        }
                    } else {
                        widget.values.clear();
                    }
                    widget
                })
                .collect();
            w.entries.push(Entry {
                legend: format!("{label} {}", position + 1),
                widgets,
                remove: format!("entfernen:{}.{position}", field.id),
            });
        }
        w.add = format!("hinzufuegen:{}", field.id);
        w.add_label = self.t.fmt("group-add", &[("label", &label)]);
    }
}

/// The key of the information block at `index` among a step's items.
pub fn info_key(index: usize) -> String {
    format!("info-{index}")
}

/// Files may be this large unless the definition says otherwise.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

pub fn max_bytes(field: &Field) -> u64 {
    field.max_bytes.unwrap_or(DEFAULT_MAX_BYTES)
}

/// `autocomplete` and `inputmode` for the kind of answer (WCAG 1.3.5: the purpose of
/// inputs about the person is machine-readable).
fn input_hints(field: &Field) -> (&'static str, &'static str) {
    let by_prefill = match field.prefill.as_deref() {
        Some("profile.given_name") => Some("given-name"),
        Some("profile.family_name") => Some("family-name"),
        Some("profile.full_name") => Some("name"),
        Some("profile.birth_date") => Some("bday"),
        Some("profile.email") => Some("email"),
        Some("profile.phone") => Some("tel"),
        _ => None,
    };
    let inputmode = match field.kind {
        Kind::Number => "decimal",
        Kind::Money => "decimal",
        Kind::Postcode => "numeric",
        Kind::Email => "email",
        Kind::Phone => "tel",
        _ => "text",
    };
    let autocomplete = by_prefill.unwrap_or(match field.kind {
        Kind::Email => "email",
        Kind::Phone => "tel",
        Kind::Postcode => "postal-code",
        _ => "off",
    });
    (autocomplete, inputmode)
}
