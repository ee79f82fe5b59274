//! Simple server-rendered forms: a list of fields, each with label, hint and error,
//! rendered by one template (`form.html`) with the error summary GOV.UK and KERN
//! recommend. Pages with a form of their own build a `FormPage` instead of writing
//! the markup again.

use askama::Template;
use askama_web::WebTemplate;

use crate::chrome::Chrome;

pub struct Field {
    pub name: &'static str,
    pub label: String,
    /// The `type` of the input: text, email, password, date, tel, select, checkbox,
    /// textarea, or `checkboxes` (a group with one name; `options` are the boxes).
    pub kind: &'static str,
    pub value: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub autocomplete: &'static str,
    /// Shown but not editable (e.g. identity data confirmed by the eID).
    pub readonly: bool,
    /// For `select`: (value, label).
    pub options: Vec<(String, String)>,
}

impl Field {
    pub fn new(name: &'static str, label: &str, kind: &'static str) -> Self {
        Self {
            name,
            label: label.to_owned(),
            kind,
            value: String::new(),
            hint: None,
            error: None,
            autocomplete: "off",
            readonly: false,
            options: Vec::new(),
        }
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    pub fn hint(mut self, hint: &str) -> Self {
        self.hint = Some(hint.to_owned());
        self
    }

    pub fn autocomplete(mut self, token: &'static str) -> Self {
        self.autocomplete = token;
        self
    }

    pub fn readonly(mut self, readonly: bool) -> Self {
        self.readonly = readonly;
        self
    }

    pub fn options(mut self, options: Vec<(String, String)>) -> Self {
        self.options = options;
        self
    }

    pub fn is_checked(&self) -> bool {
        !self.value.is_empty()
    }

    pub fn is_selected(&self, option: &str) -> bool {
        self.value == option
    }

    /// For `checkboxes`, whose value is the comma-separated list of ticked options.
    pub fn is_among(&self, option: &str) -> bool {
        self.value.split(',').any(|v| v == option)
    }

    /// `aria-describedby` for the hint and the error, if any.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hinweis", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-fehler", self.name));
        }
        ids.join(" ")
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "form.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub title: String,
    pub lead: Option<String>,
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
    pub fields: Vec<Field>,
    pub submit: String,
    /// Links below the form: (href, label).
    pub links: Vec<(String, String)>,
    /// For the error summary: (field name, message).
    pub errors: Vec<(&'static str, String)>,
}

impl FormPage {
    pub fn new(chrome: Chrome, title_key: &str, action: &str, submit_key: &str) -> Self {
        Self {
            title: chrome.t.get(title_key).to_owned(),
            submit: chrome.t.get(submit_key).to_owned(),
            chrome,
            lead: None,
            action: action.to_owned(),
            hidden: Vec::new(),
            fields: Vec::new(),
            links: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub fn lead(mut self, key: &str) -> Self {
        self.lead = Some(self.chrome.t.get(key).to_owned());
        self
    }

    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    pub fn link(mut self, href: &str, label_key: &str) -> Self {
        let label = self.chrome.t.get(label_key).to_owned();
        self.links.push((href.to_owned(), label));
        self
    }

    /// A field label in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.chrome.t.get(key).to_owned()
    }

    /// Marks a field as wrong, with the message for `key`; it also goes in the summary.
    pub fn error(&mut self, field: &'static str, key: &str) {
        let message = self.chrome.t.get(key).to_owned();
        self.error_text(field, message);
    }

    pub fn error_text(&mut self, field: &'static str, message: String) {
        if let Some(f) = self.fields.iter_mut().find(|f| f.name == field) {
            f.error = Some(message.clone());
        }
        self.errors.push((field, message));
    }
}
