//! Workflows as data: the states a case passes through and the steps (transitions)
//! between them — from which states, who may take them, whether the applicant must be
//! told why. States are shown to applicants with a label and an explanation
//! (`case-state-…` in the web's texts). The built-in standard workflow is checked at
//! start; a service can name another one later without a change of code.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub id: String,
    /// The state of a case just received.
    pub initial: String,
    pub states: Vec<State>,
    pub transitions: Vec<Transition>,
}

#[derive(Clone, Debug, Deserialize)]
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
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub key: String,
    pub from: Vec<String>,
    pub to: String,
    /// Only the person handling the case takes it (decisions).
    #[serde(default)]
    pub only_assignee: bool,
    /// The applicant gets a message saying what and why.
    #[serde(default)]
    pub needs_message: bool,
    /// The applicant is asked to answer within this many days (unless staff give
    /// another day): the message names the day, and the department gets a reminder
    /// (Wiedervorlage) for it.
    #[serde(default)]
    pub reply_within_days: Option<u32>,
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
            if step.reply_within_days.is_some() && !step.needs_message {
                mistakes.push(format!(
                    "transition '{}': a day to answer by needs a message to the applicant",
                    step.key
                ));
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

/// The workflow every service uses unless it names another.
pub fn standard() -> &'static Workflow {
    static STANDARD: OnceLock<Workflow> = OnceLock::new();
    STANDARD.get_or_init(|| {
        serde_json::from_str(include_str!("../workflows/standard.json"))
            .expect("the standard workflow is valid JSON (tested)")
    })
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
