//! Interface texts in German (first) and English, from the Fluent files in
//! `locales/`. Messages without arguments are formatted once at start-up, so a page
//! render only does map look-ups.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::HeaderMap;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "de",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::De, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Self {
        match self {
            Lang::De => Lang::En,
            Lang::En => Lang::De,
        }
    }

    fn id(self) -> LanguageIdentifier {
        self.code().parse().expect("static language code")
    }

    /// The `lang` cookie wins; otherwise English only when the browser prefers it
    /// over German. German is the default for everyone else.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
            return lang;
        }
        let accept = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for range in accept.split(',') {
            let tag = range
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("de") {
                return Lang::De;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::De
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::De => &TEXTS_DE,
            Lang::En => &TEXTS_EN,
        }
    }
}

pub const LANG_COOKIE: &str = "lang";

/// Reads one cookie value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// All texts of one language.
pub struct Texts {
    lang: Lang,
    plain: HashMap<&'static str, String>,
}

/// German is the reference: every message exists there first.
static REFERENCE_FTL: &str = include_str!("../locales/de/main.ftl");
static TEXTS_DE: LazyLock<Texts> = LazyLock::new(|| Texts::load(Lang::De));
static TEXTS_EN: LazyLock<Texts> = LazyLock::new(|| Texts::load(Lang::En));

impl Texts {
    fn load(lang: Lang) -> Self {
        let id = lang.id();
        let plain = message_ids(REFERENCE_FTL)
            .filter_map(|key| LOCALES.try_lookup(&id, key).map(|text| (key, text)))
            .collect();
        Self { lang, plain }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// A text without arguments. A missing key shows itself, so it is noticed.
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.plain.get(key).map(String::as_str).unwrap_or(key)
    }

    /// A text with arguments, e.g. `fmt("official-site", &[("tenant", name)])`.
    pub fn fmt(&self, key: &str, args: &[(&'static str, &str)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.to_string())))
            .collect();
        LOCALES.lookup_with_args(&self.lang.id(), key, &args)
    }

    /// A text about a number of things, with the plural form of the language
    /// (`count("search-count", 1)` → "1 Leistung gefunden").
    pub fn count(&self, key: &str, count: usize) -> String {
        let args = HashMap::from([(Cow::Borrowed("count"), FluentValue::from(count))]);
        LOCALES.lookup_with_args(&self.lang.id(), key, &args)
    }
}

/// The message ids defined in a Fluent file.
fn message_ids(ftl: &str) -> impl Iterator<Item = &str> {
    ftl.lines().filter_map(|line| {
        let (id, _) = line.split_once(" =")?;
        let is_id = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        is_id.then_some(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_german_message_has_an_english_one() {
        let english: Vec<&str> = message_ids(include_str!("../locales/en/main.ftl")).collect();
        let missing: Vec<&str> = message_ids(REFERENCE_FTL)
            .filter(|key| !english.contains(key))
            .collect();
        assert!(missing.is_empty(), "untranslated: {missing:?}");
        assert!(message_ids(REFERENCE_FTL).count() > 20);
    }

    #[test]
    fn german_is_default_and_cookie_wins() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::from_headers(&headers), Lang::De);
        headers.insert(
            "accept-language",
            "en-GB,en;q=0.9,de;q=0.5".parse().unwrap(),
        );
        assert_eq!(Lang::from_headers(&headers), Lang::En);
        headers.insert("cookie", "x=1; lang=de".parse().unwrap());
        assert_eq!(Lang::from_headers(&headers), Lang::De);
    }

    #[test]
    fn arguments_are_filled_in() {
        assert_eq!(
            Lang::De
                .texts()
                .fmt("official-site", &[("tenant", "Stadt Musterstadt")]),
            "Offizielle Website der Stadt Musterstadt"
        );
    }
}
