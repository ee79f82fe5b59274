//! Deadlines (Fristen) of cases. A case gets the deadline of its service when it arrives
//! (`deadline_days` in the catalog: what the law or the town promises, such as the three
//! months of § 42a VwVfG); staff can set another one with a reason. A case past its
//! deadline that is neither decided nor closed is overdue, and the inbox lists it so.
//! A deadline ends at midnight in the town hall's time.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rathaus_store::Db;
use rathaus_store::entities::case;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use super::{Case, Entry, change, record};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::Result;
use crate::policy;
use crate::time::{end_of_day, local_day};
use crate::workflow::Phase;

/// The phases in which a deadline still matters: neither decided nor closed.
const RUNNING: [Phase; 3] = [Phase::New, Phase::Open, Phase::WaitingForApplicant];

/// Whether the case is decided or closed: nothing more is done in it (no deadline, no
/// joining or splitting).
pub fn is_finished(case: &Case) -> bool {
    Phase::is_finished(&case.phase)
}

/// When a case received at `received` must be decided, for a service that gives
/// `deadline_days`.
pub fn due_from(deadline_days: Option<u32>, received: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let days = deadline_days?;
    Some(end_of_day(
        local_day(received) + Duration::days(i64::from(days)),
    ))
}

/// What a step of the workflow does to the deadline: it rests while the department
/// waits for the applicant (documents asked for), and when the case moves on it is
/// later by the time it rested — the applicant's time does not count against the
/// department.
#[derive(Debug, PartialEq)]
pub enum Clock {
    Runs,
    /// The case starts waiting now.
    Rests(DateTime<Utc>),
    /// The case stops waiting: the deadline it has now.
    Resumes(Option<DateTime<Utc>>),
}

/// The clock after a step from the case's phase to `to` at `now`.
pub fn after_step(case: &Case, to: Phase, now: DateTime<Utc>) -> Clock {
    let was_waiting = case.phase == Phase::WaitingForApplicant.as_str();
    let waits = to == Phase::WaitingForApplicant;
    match (was_waiting, waits, case.deadline_paused_at) {
        (false, true, None) => Clock::Rests(now),
        (true, false, Some(_)) => Clock::Resumes(due_if_resumed(case, now)),
        _ => Clock::Runs,
    }
}

/// The deadline of the case if its clock ran again at `now`: later by the days it
/// rested, still ending at midnight in the town hall's time.
pub fn due_if_resumed(case: &Case, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let due = case.due_at?;
    let Some(since) = case.deadline_paused_at else {
        return Some(due);
    };
    let rested = local_day(now) - local_day(since);
    Some(end_of_day(local_day(due) + rested))
}

/// Narrows `query` to the cases overdue at `now` (a resting deadline is not overdue).
pub fn overdue(query: Select<case::Entity>, now: DateTime<Utc>) -> Select<case::Entity> {
    query
        .filter(case::Column::DueAt.lt(now))
        .filter(case::Column::DeadlinePausedAt.is_null())
        // Named, not "not done": an index over the phase then finds the few open cases
        // among a department's many closed ones.
        .filter(case::Column::Phase.is_in(RUNNING.map(Phase::as_str)))
}

/// Whether the case is overdue at `now`.
pub fn is_overdue(case: &Case, now: DateTime<Utc>) -> bool {
    case.deadline_paused_at.is_none()
        && case.due_at.is_some_and(|due| due < now)
        && !is_finished(case)
}

/// Why a deadline was not set (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Changing a deadline says why.
    ReasonMissing,
    /// A deadline lies ahead: today at the earliest.
    InThePast,
}

/// Sets the case's deadline to the end of `due` (audited, internal in the timeline).
/// A case changed since `version` is a conflict.
pub async fn set(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    version: i32,
    due: NaiveDate,
    reason: &str,
) -> Result<std::result::Result<(), Refusal>> {
    policy::require_case(actor, case)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Ok(Err(Refusal::ReasonMissing));
    }
    if due < local_day(Utc::now()) {
        return Ok(Err(Refusal::InThePast));
    }
    let txn = db.begin_write().await?;
    let mut update =
        case::Entity::update_many().col_expr(case::Column::DueAt, end_of_day(due).into());
    if case.deadline_paused_at.is_some() {
        // The new date counts from today: the rest before it is not added on again.
        update = update.col_expr(case::Column::DeadlinePausedAt, Some(Utc::now()).into());
    }
    change(&txn, case, version, update).await?;
    let details = serde_json::json!({
        "due": due.format("%d.%m.%Y").to_string(),
        "reason": reason,
    });
    let entry = Entry::internal("deadline_set", actor.name.clone()).details(details.clone());
    record(&txn, case.id, entry).await?;
    let event = Event::new("case.deadline_set", "case")
        .object(case.id)
        .details(serde_json::json!({ "due": due.to_string() }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_counts_whole_days_in_berlin() {
        // Received late on 30 Nov (already 1 Dec in Berlin): 14 days from 1 Dec.
        let received = "2026-11-30T23:30:00Z".parse().unwrap();
        let due = due_from(Some(14), received).unwrap();
        assert_eq!(
            local_day(due),
            NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()
        );
        assert_eq!(due_from(None, received), None);
    }

    fn case_at(now: DateTime<Utc>) -> Case {
        Case {
            id: uuid::Uuid::nil(),
            tenant_id: uuid::Uuid::nil(),
            reference: "MS-2026-AAAAA".into(),
            submission_id: None,
            service_key: String::new(),
            title: String::new(),
            department_id: None,
            state: "in_pruefung".into(),
            assignee_id: None,
            citizen_id: None,
            applicant_name: String::new(),
            version: 1,
            created_at: now,
            updated_at: now,
            due_at: Some(now - Duration::days(1)),
            organisation_id: None,
            deadline_paused_at: None,
            workflow_id: None,
            phase: "open".into(),
            team_id: None,
            closed_at: None,
            legal_hold: None,
        }
    }

    #[test]
    fn decided_or_resting_cases_are_never_overdue() {
        let now: DateTime<Utc> = "2026-12-20T10:00:00Z".parse().unwrap();
        let mut case = case_at(now);
        assert!(is_overdue(&case, now));
        case.deadline_paused_at = Some(now - Duration::days(2));
        assert!(!is_overdue(&case, now));
        case.deadline_paused_at = None;
        case.phase = "decided".into();
        assert!(!is_overdue(&case, now));
        case.phase = "open".into();
        case.due_at = None;
        assert!(!is_overdue(&case, now));
    }

    #[test]
    fn the_clock_rests_while_waiting_and_moves_the_deadline_on() {
        let now: DateTime<Utc> = "2026-12-20T10:00:00Z".parse().unwrap();
        let mut case = case_at(now);
        assert_eq!(
            after_step(&case, Phase::WaitingForApplicant, now),
            Clock::Rests(now)
        );
        assert_eq!(after_step(&case, Phase::Open, now), Clock::Runs);
        case.phase = "waiting".into();
        // Due 15.12.; resting from 30.11., 21:30 Berlin (20:30 UTC) until 20.12., 11:00:
        // twenty days later, ending at midnight still.
        case.due_at = Some(end_of_day(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()));
        case.deadline_paused_at = Some("2026-11-30T20:30:00Z".parse().unwrap());
        let later = Some(end_of_day(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap()));
        assert_eq!(after_step(&case, Phase::Open, now), Clock::Resumes(later));
        // Asked again while resting: it goes on resting from the first time.
        assert_eq!(
            after_step(&case, Phase::WaitingForApplicant, now),
            Clock::Runs
        );
        // Refused while waiting also ends the rest (the deadline no longer matters then).
        assert_eq!(
            after_step(&case, Phase::Decided, now),
            Clock::Resumes(later)
        );
        case.due_at = None;
        assert_eq!(after_step(&case, Phase::Open, now), Clock::Resumes(None));
    }
}
