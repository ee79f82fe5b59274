//! Workflows as data: the states a case passes through and the steps (transitions)
//! between them — from which states, who may take them, what must hold first (guards),
//! and what they do (tell the applicant, ask for an answer by a day, set a reminder).
//! States are shown to applicants with a label and an explanation: the workflow's own
//! texts, or for the standard states the web's (`case-state-…`).
//!
//! Every service uses the built-in standard workflow until the town installs one of its
//! own for it (`installed`); a case keeps the workflow it was opened with.

mod guards;
pub mod installed;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

pub use guards::{Guard, unmet};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub id: String,
    /// The state of a case just received.
    pub initial: String,
    pub states: Vec<State>,
    pub transitions: Vec<Transition>,
}

/// A text in each language (`{"de": "…", "en": "…"}`); German is required.
pub type Texts = BTreeMap<String, String>;

/// The text in `lang`, else German.
pub fn text_in<'a>(texts: &'a Texts, lang: &str) -> Option<&'a str> {
    texts
        .get(lang)
        .or_else(|| texts.get("de"))
        .map(String::as_str)
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub key: String,
    /// The department waits for the applicant (documents, an answer).
    #[serde(default)]
    pub waiting_for_applicant: bool,
    /// A decision was made (approved or refused).
    #[serde(default)]
    pub decided: bool,
    /// Nothing happens any more.
    #[serde(default)]
    pub closed: bool,
    /// What the applicant reads as the status; the standard states have the web's.
    #[serde(default, skip_serializing_if = "Texts::is_empty")]
    pub label: Texts,
    /// What the status means for the applicant.
    #[serde(default, skip_serializing_if = "Texts::is_empty")]
    pub explanation: Texts,
}

/// Where a case stands, whatever its workflow calls the state (stored with the case, so
/// that listings and deadlines work across workflows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Just received, nobody has taken a step.
    New,
    Open,
    WaitingForApplicant,
    Decided,
    Closed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Open => "open",
            Self::WaitingForApplicant => "waiting",
            Self::Decided => "decided",
            Self::Closed => "closed",
        }
    }

    /// Decided or closed: nothing more is done in it (no deadline, no joining or
    /// splitting).
    pub fn is_finished(phase: &str) -> bool {
        phase == Self::Decided.as_str() || phase == Self::Closed.as_str()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub key: String,
    pub from: Vec<String>,
    pub to: String,
    /// What the button says; the standard steps have the web's.
    #[serde(default, skip_serializing_if = "Texts::is_empty")]
    pub label: Texts,
    /// Only the person handling the case takes it (decisions).
    #[serde(default)]
    pub only_assignee: bool,
    /// The applicant gets a message saying what and why.
    #[serde(default)]
    pub needs_message: bool,
    /// The applicant is asked to answer within this many days (unless staff give
    /// another day): the message names the day, and the department gets a reminder
    /// (Wiedervorlage) for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_within_days: Option<u32>,
    /// The department is reminded of the case this many days after the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_in_days: Option<u32>,
    /// What must hold before the step can be taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guards: Vec<Guard>,
    /// The document the step issues (`parking_permit`, `decision`, …; see
    /// `rathaus_letters::Kind`): the step's message is its text; it is signed and goes
    /// with the message to the postbox, or on paper where the applicant has no account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letter: Option<String>,
}

impl Workflow {
    /// Every mistake of the definition: unknown states, keys used twice.
    pub fn check(&self) -> Vec<String> {
        let known = |key: &str| self.states.iter().any(|s| s.key == key);
        let mut mistakes = Vec::new();
        if !known(&self.initial) {
            mistakes.push(format!("initial state '{}' is not a state", self.initial));
        }
        for (i, state) in self.states.iter().enumerate() {
            if self.states[..i].iter().any(|s| s.key == state.key) {
                mistakes.push(format!("state '{}' twice", state.key));
            }
        }
        for (i, step) in self.transitions.iter().enumerate() {
            if self.transitions[..i].iter().any(|t| t.key == step.key) {
                mistakes.push(format!("transition '{}' twice", step.key));
            }
            if step.reply_within_days == Some(0) || step.reminder_in_days == Some(0) {
                mistakes.push(format!(
                    "transition '{}': days must be at least 1",
                    step.key
                ));
            }
            if step.reply_within_days.is_some() && !step.needs_message {
                mistakes.push(format!(
                    "transition '{}': a day to answer by needs a message to the applicant",
                    step.key
                ));
            }
            if let Some(letter) = &step.letter {
                if rathaus_letters::Kind::from_key(letter).is_none() {
                    mistakes.push(format!(
                        "transition '{}': unknown letter '{letter}'",
                        step.key
                    ));
                }
                if !step.needs_message {
                    mistakes.push(format!(
                        "transition '{}': a letter needs a message to the applicant (its text)",
                        step.key
                    ));
                }
            }
            for state in step.from.iter().chain([&step.to]) {
                if !known(state) {
                    mistakes.push(format!(
                        "transition '{}': unknown state '{state}'",
                        step.key
                    ));
                }
            }
        }
        mistakes
    }

    /// Mistakes a town's own workflow must also avoid: every state needs a German label
    /// unless the standard workflow has it, every step a German label unless the
    /// standard has it (the standard's texts are the web's).
    pub fn check_own(&self) -> Vec<String> {
        let mut mistakes = self.check();
        let standard = standard();
        for state in &self.states {
            if !state.label.contains_key("de") && standard.state(&state.key).is_none() {
                mistakes.push(format!(
                    "state '{}' needs a label in German (\"de\")",
                    state.key
                ));
            }
        }
        for step in &self.transitions {
            if !step.label.contains_key("de") && standard.transition(&step.key).is_none() {
                mistakes.push(format!(
                    "transition '{}' needs a label in German (\"de\")",
                    step.key
                ));
            }
        }
        mistakes
    }

    /// The phase of a case in `state` (a state this workflow does not know, such as
    /// the one a joined case gets, is closed).
    pub fn phase(&self, state: &str) -> Phase {
        match self.state(state) {
            None => Phase::Closed,
            Some(s) if s.closed => Phase::Closed,
            Some(s) if s.decided => Phase::Decided,
            Some(s) if s.waiting_for_applicant => Phase::WaitingForApplicant,
            Some(_) if state == self.initial => Phase::New,
            Some(_) => Phase::Open,
        }
    }

    pub fn state(&self, key: &str) -> Option<&State> {
        self.states.iter().find(|s| s.key == key)
    }

    pub fn transition(&self, key: &str) -> Option<&Transition> {
        self.transitions.iter().find(|t| t.key == key)
    }

    /// The steps possible from `state`, in the definition's order.
    pub fn from<'a>(&'a self, state: &'a str) -> impl Iterator<Item = &'a Transition> {
        self.transitions
            .iter()
            .filter(move |t| t.from.iter().any(|f| f == state))
    }
}

/// A town's own workflow from its JSON text, with every mistake found.
pub fn read_own(text: &str) -> std::result::Result<Workflow, Vec<String>> {
    let workflow: Workflow =
        serde_json::from_str(text).map_err(|e| vec![format!("not a workflow: {e}")])?;
    match workflow.check_own() {
        mistakes if mistakes.is_empty() => Ok(workflow),
        mistakes => Err(mistakes),
    }
}

static STANDARD: OnceLock<Arc<Workflow>> = OnceLock::new();

/// The workflow every service uses until the town installs its own.
pub fn standard() -> &'static Workflow {
    standard_shared_ref()
}

fn standard_shared_ref() -> &'static Arc<Workflow> {
    STANDARD.get_or_init(|| {
        Arc::new(
            serde_json::from_str(include_str!("../../workflows/standard.json"))
                .expect("the standard workflow is valid JSON (tested)"),
        )
    })
}

/// The standard workflow, shared like an installed one.
fn standard_shared() -> Arc<Workflow> {
    standard_shared_ref().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_workflow_is_sound() {
        let workflow = standard();
        assert_eq!(workflow.check(), Vec::<String>::new());
        let from_new: Vec<&str> = workflow
            .from("eingegangen")
            .map(|t| t.key.as_str())
            .collect();
        assert_eq!(from_new, ["pruefen", "nachfordern"]);
        assert!(workflow.transition("bewilligen").unwrap().only_assignee);
        assert!(workflow.state("abgeschlossen").unwrap().closed);
        let request = workflow.transition("nachfordern").unwrap();
        assert_eq!(request.reply_within_days, Some(14));
        // A fee set with the decision is paid before the case closes.
        let fee = workflow.transition("gebuehr_festsetzen").unwrap();
        assert_eq!(fee.letter.as_deref(), Some("fee_notice"));
        assert_eq!(workflow.phase(&fee.to), Phase::Decided);
        let close = workflow.transition("abschliessen").unwrap();
        assert!(close.from.contains(&fee.to));
        assert_eq!(close.guards, [Guard::FeePaid]);
    }

    #[test]
    fn mistakes_are_named() {
        let broken: Workflow = serde_json::from_str(
            r#"{"id": "x", "initial": "neu", "states": [{"key": "a"}, {"key": "a"}],
                "transitions": [{"key": "t", "from": ["a"], "to": "b"},
                                {"key": "u", "from": ["a"], "to": "a", "reply_within_days": 3}]}"#,
        )
        .unwrap();
        assert_eq!(
            broken.check(),
            [
                "initial state 'neu' is not a state",
                "state 'a' twice",
                "transition 't': unknown state 'b'",
                "transition 'u': a day to answer by needs a message to the applicant"
            ]
        );
    }
}
