//! Internal notes (Aktenvermerke) on a case: written by staff for staff, kept in the
//! timeline as internal entries, never shown to the applicant. A note changes nothing
//! else about the case, so it never makes a colleague's open page outdated.

use rathaus_store::Db;

use super::{Case, Entry, record};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::Result;
use crate::policy;

/// The longest note, in characters.
pub const MAX_CHARS: usize = 5000;

/// Why a note was not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooLong,
}

/// Adds a note to the case (audited, without its text: the note is in the case).
pub async fn add(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    text: &str,
) -> Result<std::result::Result<(), Refusal>> {
    policy::require_case(actor, case)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(Err(Refusal::Empty));
    }
    if text.chars().count() > MAX_CHARS {
        return Ok(Err(Refusal::TooLong));
    }
    let txn = db.begin_write().await?;
    let entry =
        Entry::internal("note", actor.name.clone()).details(serde_json::json!({ "text": text }));
    record(&txn, case.id, entry).await?;
    audit::record(
        &txn,
        actor,
        origin,
        Event::new("case.note", "case").object(case.id),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(()))
}
