//! The form definitions that come with Rathaus (`forms/*.json`), built into the binary
//! and checked together when the server starts: a broken definition stops the start
//! with its mistakes instead of failing in front of a citizen.

use std::collections::HashMap;
use std::sync::Arc;

use crate::definition::{Form, Mistake, load};

macro_rules! built_in {
    ($($id:literal),* $(,)?) => {
        &[$(($id, include_str!(concat!("../forms/", $id, ".json")))),*]
    };
}

/// (id, JSON) of every built-in definition.
pub const DEFINITIONS: &[(&str, &str)] = built_in![
    "bauantrag",
    "beschaeftigungserlaubnis",
    "bewohnerparkausweis",
    "bibliotheksausweis",
    "eheschliessung",
    "einbuergerung",
    "geburtsanzeige",
    "gewerbeanmeldung",
    "jobcenter-nachweise",
    "kfz-ausserbetriebsetzung",
    "kfz-zulassung",
    "kontaktformular",
    "personenstandsurkunde",
    "roentgeneinrichtung",
    "verpflichtungserklaerung",
];

/// The id of the general contact form, used for services without an assistant.
pub const CONTACT_FORM: &str = "kontaktformular";

/// Checked definitions by id; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    forms: HashMap<String, Arc<Form>>,
}

impl Registry {
    /// Loads and checks every built-in definition; all mistakes of all files are listed.
    pub fn built_in() -> Result<Self, Vec<Mistake>> {
        let mut registry = Self::default();
        let mut mistakes = Vec::new();
        for (id, json) in DEFINITIONS {
            match load(json) {
                Ok(form) if form.definition.id == *id => {
                    registry.forms.insert((*id).to_owned(), Arc::new(form));
                }
                Ok(form) => mistakes.push(Mistake {
                    place: format!("forms/{id}.json"),
                    message: format!("the file declares the id '{}'", form.definition.id),
                }),
                Err(found) => mistakes.extend(found.into_iter().map(|m| Mistake {
                    place: format!("forms/{id}.json: {}", m.place),
                    message: m.message,
                })),
            }
        }
        if mistakes.is_empty() {
            Ok(registry)
        } else {
            Err(mistakes)
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Form>> {
        self.forms.get(id).cloned()
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.forms.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_definition_loads_under_its_own_id() {
        let registry = Registry::built_in().unwrap_or_else(|m| {
            panic!(
                "{}",
                m.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        assert_eq!(registry.ids().count(), DEFINITIONS.len());
        assert!(registry.get(CONTACT_FORM).is_some());
        assert!(registry.get("nicht-vorhanden").is_none());
    }
}
