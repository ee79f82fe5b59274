//! Cases (Vorgänge): what a department works on, from an application or made by hand,
//! with a timeline of everything that happened. Entries marked public are the
//! applicant's status history; the others (routing, internal notes) only staff see.

use chrono::{DateTime, NaiveDate, Utc};
use rathaus_forms::fill::Answers;
use rathaus_store::Db;
use rathaus_store::entities::{case, case_event, citizen, mail_item, staff_user, submission_file};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::letters;
use crate::policy::{self, CaseScope};
use crate::postbox;
use crate::tenants::Tenant;
use crate::workflow::{self, Phase};

pub mod assignment;
pub mod by_hand;
pub mod deadlines;
pub mod joining;
pub mod notes;
pub mod reminders;
pub mod search;
pub mod splitting;

type Department = rathaus_store::entities::department::Model;

pub type Case = case::Model;

/// What a new case is about.
pub struct NewCase<'a> {
    pub tenant_id: Uuid,
    pub reference: &'a str,
    pub submission_id: Option<Uuid>,
    pub service_key: &'a str,
    pub title: &'a str,
    /// None: the mailroom decides.
    pub department: Option<&'a Department>,
    /// The label of the routing rule that chose the department, if one did.
    pub rule: Option<&'a str>,
    /// The team of the department that gets it (a routing rule may name one).
    pub team_id: Option<Uuid>,
    /// When it must be decided (the service's deadline), if it has one.
    pub due_at: Option<DateTime<Utc>>,
    pub citizen_id: Option<Uuid>,
    /// The organisation applied for, whose members all see the case.
    pub organisation_id: Option<Uuid>,
    pub applicant_name: &'a str,
    /// What was applied for, for the search; `None` for cases without a form.
    pub answers: Option<&'a Answers>,
}

/// Opens a case in the caller's transaction, with the first entries of its timeline.
pub async fn open(conn: &impl ConnectionTrait, new: NewCase<'_>) -> Result<Uuid> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    let (workflow_id, workflow) =
        workflow::installed::for_new_case(conn, new.tenant_id, new.service_key).await?;
    case::ActiveModel {
        id: Set(id),
        tenant_id: Set(new.tenant_id),
        reference: Set(new.reference.to_owned()),
        submission_id: Set(new.submission_id),
        service_key: Set(new.service_key.to_owned()),
        title: Set(new.title.to_owned()),
        department_id: Set(new.department.map(|d| d.id)),
        state: Set(workflow.initial.clone()),
        assignee_id: Set(None),
        citizen_id: Set(new.citizen_id),
        applicant_name: Set(new.applicant_name.to_owned()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        due_at: Set(new.due_at),
        organisation_id: Set(new.organisation_id),
        deadline_paused_at: Set(None),
        workflow_id: Set(workflow_id),
        team_id: Set(new.team_id),
        phase: Set(workflow.phase(&workflow.initial).as_str().to_owned()),
        closed_at: Set(None),
        legal_hold: Set(None),
    }
    .insert(conn)
    .await?;
    let text = search::text_of(new.reference, new.title, new.applicant_name, new.answers);
    search::write(conn, id, new.tenant_id, text).await?;
    record(conn, id, Entry::public("received", "System")).await?;
    let routed = match new.department {
        Some(department) => {
            serde_json::json!({ "department": department.key, "rule": new.rule })
        }
        None => {
            serde_json::json!({ "department": null, "reason": "no department for this service" })
        }
    };
    record(
        conn,
        id,
        Entry::internal("routed", "Poststelle").details(routed),
    )
    .await?;
    Ok(id)
}

/// One entry of the timeline, to be written.
pub struct Entry {
    kind: &'static str,
    actor: String,
    public: bool,
    details: serde_json::Value,
}

impl Entry {
    /// Also shown to the applicant.
    pub fn public(kind: &'static str, actor: impl Into<String>) -> Self {
        Self {
            kind,
            actor: actor.into(),
            public: true,
            details: serde_json::json!({}),
        }
    }

    /// Only staff see it.
    pub fn internal(kind: &'static str, actor: impl Into<String>) -> Self {
        Self {
            public: false,
            ..Self::public(kind, actor)
        }
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

pub async fn record(conn: &impl ConnectionTrait, case_id: Uuid, entry: Entry) -> Result<()> {
    case_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(case_id),
        at: Set(Utc::now()),
        kind: Set(entry.kind.into()),
        actor: Set(entry.actor),
        public: Set(entry.public),
        details: Set(entry.details.to_string()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// An entry of the timeline as read.
#[derive(Clone, Debug)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: String,
    pub public: bool,
    pub details: serde_json::Value,
}

/// The timeline of a case, oldest first; `public_only` for the applicant.
pub async fn timeline(
    conn: &impl ConnectionTrait,
    case_id: Uuid,
    public_only: bool,
) -> Result<Vec<TimelineEntry>> {
    let mut query = case_event::Entity::find().filter(case_event::Column::CaseId.eq(case_id));
    if public_only {
        query = query.filter(case_event::Column::Public.eq(true));
    }
    query
        .order_by_asc(case_event::Column::At)
        .order_by_asc(case_event::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| {
            let details = serde_json::from_str(&row.details)
                .map_err(|e| CoreError::Invalid(format!("case event {}: {e}", row.id)))?;
            Ok(TimelineEntry {
                at: row.at,
                kind: row.kind,
                actor: row.actor,
                public: row.public,
                details,
            })
        })
        .collect()
}

/// The cases of an applicant — their own and those of the organisations they belong
/// to — most recent first.
pub async fn of_applicant(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    applicant: &policy::Applicant,
) -> Result<Vec<Case>> {
    let theirs = Condition::any()
        .add(case::Column::CitizenId.eq(applicant.citizen_id))
        .add(case::Column::OrganisationId.is_in(applicant.organisations.clone()));
    Ok(case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(theirs)
        .order_by_desc(case::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// The case with this reference in the tenant.
pub async fn by_reference(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    reference: &str,
) -> Result<Option<Case>> {
    Ok(case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::Reference.eq(crate::references::normalise(reference)))
        .one(conn)
        .await?)
}

/// The lists of the department inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Received and nobody has taken it yet.
    New,
    /// Assigned to the person looking.
    Mine,
    /// Given to a team the person belongs to, and not yet finished.
    Team,
    /// The department waits for the applicant (documents asked for).
    Waiting,
    /// Past its deadline and not decided yet.
    Overdue,
    /// An open reminder (Wiedervorlage) is due.
    Reminders,
    /// Everything the person may see.
    All,
}

/// The order of an inbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Most recently changed first.
    #[default]
    Changed,
    /// Oldest received first (first come, first served).
    Received,
    /// Nearest deadline first; cases without one last.
    Due,
}

/// What an inbox lists: a view, narrowed by words, service and state.
#[derive(Clone, Copy, Debug)]
pub struct Listing<'a> {
    pub view: View,
    pub search: Option<&'a str>,
    pub service: Option<&'a str>,
    pub state: Option<&'a str>,
    pub order: Order,
}

/// Counting stops here: a count over a whole town's cases would cost more than the
/// page itself, and nobody pages through more; the inbox asks to narrow it down.
pub const COUNTED: u64 = 1000;

/// One page of an inbox.
pub struct Page {
    /// How many cases the listing has, at most [`COUNTED`].
    pub total: u64,
    /// There are more than [`COUNTED`].
    pub more: bool,
    pub cases: Vec<Case>,
}

impl Page {
    /// The page of `cases` of a listing for which [`count_capped`] counted `counted`.
    fn of(counted: u64, cases: Vec<Case>) -> Self {
        Self {
            total: Ord::min(counted, COUNTED),
            more: counted > COUNTED,
            cases,
        }
    }
}

/// The cases `actor` may see in the listing's view, in its order; with a search only
/// those found by its words (see [`search`]).
pub async fn inbox(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
    listing: Listing<'_>,
    offset: u64,
    limit: u64,
) -> Result<Page> {
    let mut query = case::Entity::find().filter(case::Column::TenantId.eq(tenant_id));
    match policy::case_scope(actor, tenant_id)? {
        CaseScope::All => {}
        CaseScope::Departments(ids) => {
            query = query.filter(case::Column::DepartmentId.is_in(ids));
        }
    }
    query = match listing.view {
        View::New => query
            .filter(case::Column::Phase.eq(Phase::New.as_str()))
            .filter(case::Column::AssigneeId.is_null()),
        View::Mine => query.filter(case::Column::AssigneeId.eq(actor.id)),
        View::Team => match actor.id {
            Some(id) => query
                .filter(case::Column::TeamId.in_subquery(crate::teams::ids_of(id)))
                .filter(
                    case::Column::Phase
                        .is_not_in([Phase::Decided.as_str(), Phase::Closed.as_str()]),
                ),
            None => query.filter(case::Column::Id.is_null()),
        },
        View::Waiting => query.filter(case::Column::Phase.eq(Phase::WaitingForApplicant.as_str())),
        View::Overdue => deadlines::overdue(query, Utc::now()),
        View::Reminders => reminders::due(query, Utc::now()),
        View::All => query,
    };
    if let Some(words) = listing.search.map(str::trim).filter(|w| !w.is_empty()) {
        query = query.filter(search::matching(conn, tenant_id, words));
    }
    if let Some(service) = listing.service {
        query = query.filter(case::Column::ServiceKey.eq(service));
    }
    if let Some(state) = listing.state {
        query = query.filter(case::Column::State.eq(state));
    }
    let counted = count_capped(conn, &query).await?;
    query = match listing.order {
        Order::Changed => query.order_by_desc(case::Column::UpdatedAt),
        Order::Received => query.order_by_asc(case::Column::CreatedAt),
        Order::Due => query.order_by_with_nulls(
            case::Column::DueAt,
            sea_orm::Order::Asc,
            sea_orm::sea_query::NullOrdering::Last,
        ),
    };
    let cases = query
        .order_by_desc(case::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(Page::of(counted, cases))
}

/// How many cases `query` finds, counting up to one more than [`COUNTED`].
async fn count_capped(conn: &impl ConnectionTrait, query: &Select<case::Entity>) -> Result<u64> {
    // Only the ids, so that an index alone can answer.
    Ok(query
        .clone()
        .select_only()
        .column(case::Column::Id)
        .limit(COUNTED + 1)
        .count(conn)
        .await?)
}

/// The cases of the tenant received on `day` (in the town hall's time), the latest
/// first, at most `limit`: the mailroom's view of the day, whatever came and wherever
/// it went.
pub async fn received_on(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
    day: NaiveDate,
    limit: u64,
) -> Result<Page> {
    policy::require(actor, tenant_id, policy::Permission::RouteMail)?;
    let query = case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::CreatedAt.gte(crate::time::start_of_day(day)))
        .filter(
            case::Column::CreatedAt.lt(crate::time::start_of_day(day.succ_opt().unwrap_or(day))),
        );
    let counted = count_capped(conn, &query).await?;
    let cases = query
        .order_by_desc(case::Column::CreatedAt)
        .order_by_desc(case::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(Page::of(counted, cases))
}

/// The cases of the tenant no department has yet (the mailroom routes them), oldest
/// first.
pub async fn unrouted(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
) -> Result<Vec<Case>> {
    policy::require(actor, tenant_id, policy::Permission::RouteMail)?;
    Ok(case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::DepartmentId.is_null())
        .order_by_asc(case::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// Writes `update` to the case if it is still at `version`, moving it to the next version
/// (optimistic locking): a case changed meanwhile by someone else is a conflict and
/// nothing is written.
async fn change(
    conn: &impl ConnectionTrait,
    case: &Case,
    version: i32,
    update: sea_orm::UpdateMany<case::Entity>,
) -> Result<()> {
    let changed = update
        .col_expr(case::Column::Version, (version + 1).into())
        .col_expr(case::Column::UpdatedAt, Utc::now().into())
        .filter(case::Column::Id.eq(case.id))
        .filter(case::Column::Version.eq(version))
        .exec(conn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(CoreError::Conflict(format!("case {}", case.reference)));
    }
    Ok(())
}

/// Gives the case to a department: the mailroom routes what found none, the people
/// working on a case hand it over to another. A hand-over says why (`reason`); the case
/// arrives not taken by anyone. Refused when a case changed since `version`.
pub async fn hand_over(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    to: &Department,
    reason: &str,
    version: i32,
) -> Result<std::result::Result<(), Refusal>> {
    policy::require_case(actor, case)?;
    if to.tenant_id != case.tenant_id {
        return Err(CoreError::NotFound(format!("department {}", to.key)));
    }
    let reason = reason.trim();
    if case.department_id.is_some() && reason.is_empty() {
        return Ok(Err(Refusal::MessageMissing));
    }
    let txn = db.begin_write().await?;
    let update = case::Entity::update_many()
        .col_expr(case::Column::DepartmentId, to.id.into())
        .col_expr(case::Column::AssigneeId, Option::<Uuid>::None.into())
        // A team is part of the department it leaves.
        .col_expr(case::Column::TeamId, Option::<Uuid>::None.into());
    change(&txn, case, version, update).await?;
    let details = serde_json::json!({ "department": to.key, "reason": reason });
    record(
        &txn,
        case.id,
        Entry::internal("routed", actor.name.clone()).details(details.clone()),
    )
    .await?;
    let event = Event::new("case.handed_over", "case")
        .object(case.id)
        .details(details);
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// The case with this reference, for a member of staff who may see it; the access is
/// written to the audit log (a case holds personal data).
pub async fn open_for_staff(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    reference: &str,
) -> Result<Option<Case>> {
    let Some(case) = by_reference(db.conn(), tenant_id, reference).await? else {
        return Ok(None);
    };
    if !policy::may_see_case(actor, &case) {
        return Ok(None);
    }
    let event = Event::new("case.viewed", "case").object(case.id);
    audit::record_now(db, actor, origin, event).await?;
    Ok(Some(case))
}

/// Takes the case over for the person acting, if nobody changed it since `version`.
pub async fn claim(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    version: i32,
) -> Result<()> {
    policy::require_case(actor, case)?;
    let txn = db.begin_write().await?;
    let update = case::Entity::update_many().col_expr(case::Column::AssigneeId, actor.id.into());
    change(&txn, case, version, update).await?;
    record(
        &txn,
        case.id,
        Entry::internal("claimed", actor.name.clone()),
    )
    .await?;
    let event = Event::new("case.claimed", "case").object(case.id);
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(())
}

/// The name of the person the case is assigned to.
pub async fn assignee_name(conn: &impl ConnectionTrait, case: &Case) -> Result<Option<String>> {
    let Some(id) = case.assignee_id else {
        return Ok(None);
    };
    Ok(staff_user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|person| person.name))
}

/// Marks the case as changed by something else than a staff step (the applicant wrote):
/// a page opened before shows an outdated state, so its next change is refused.
pub async fn touch(conn: &impl ConnectionTrait, case_id: Uuid) -> Result<()> {
    case::Entity::update_many()
        .col_expr(
            case::Column::Version,
            Expr::col(case::Column::Version).add(1),
        )
        .col_expr(case::Column::UpdatedAt, Utc::now().into())
        .filter(case::Column::Id.eq(case_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A step of the workflow a member of staff takes.
pub struct Step<'a> {
    /// The transition's key (`nachfordern`, `bewilligen`, …).
    pub transition: &'a str,
    /// The version of the case the page showed.
    pub version: i32,
    /// The message to the applicant: subject and text.
    pub message: Option<(&'a str, &'a str)>,
    /// Where the applicant reads it (for the e-mail notice).
    pub link: &'a str,
    /// The day the applicant is asked to answer by, for steps that ask (otherwise
    /// the workflow's number of days from today).
    pub reply_by: Option<NaiveDate>,
    /// Where steps that issue a letter have it laid out, signed and stored.
    pub desk: letters::Desk<'a>,
    /// The parking zone, for a step that issues a Bewohnerparkausweis.
    pub zone: Option<&'a str>,
    /// The fee in cents, for a step that issues a Gebührenbescheid.
    pub fee_cents: Option<i64>,
}

/// Why a step was not taken (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a step from the case's current state.
    NotPossible,
    /// Decisions are taken by the person handling the case.
    OnlyAssignee,
    /// This step tells the applicant why; the text is missing.
    MessageMissing,
    /// The day to answer by is not a date.
    ReplyByNotADate,
    /// The day to answer by lies ahead: tomorrow at the earliest.
    ReplyByTooEarly,
    /// What must hold first does not (the first of the step's unmet guards).
    Guard(workflow::Guard),
    /// The step's letter lacks something only staff can give (the zone of a permit) or
    /// the application does not have (the plate).
    Letter(letters::Missing),
}

/// Takes a step of the case's workflow: the new state (shown to the applicant), the
/// message to the applicant where there is one, audited. A case changed since `version`
/// is a conflict; nothing is written then.
pub async fn take(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant: &Tenant,
    case: &Case,
    step: Step<'_>,
) -> Result<std::result::Result<(), Refusal>> {
    policy::require_case(actor, case)?;
    let workflow = workflow::installed::of_case(db.conn(), case).await?;
    let Some(transition) = workflow
        .transition(step.transition)
        .filter(|t| t.from.contains(&case.state))
    else {
        return Ok(Err(Refusal::NotPossible));
    };
    if transition.only_assignee && (case.assignee_id.is_none() || case.assignee_id != actor.id) {
        return Ok(Err(Refusal::OnlyAssignee));
    }
    let message = step.message.filter(|(_, text)| !text.trim().is_empty());
    if transition.needs_message && message.is_none() {
        return Ok(Err(Refusal::MessageMissing));
    }
    let today = crate::time::local_day(Utc::now());
    let reply_by = transition.reply_within_days.map(|days| {
        step.reply_by
            .unwrap_or(today + chrono::Duration::days(i64::from(days)))
    });
    if reply_by.is_some_and(|day| day <= today) {
        return Ok(Err(Refusal::ReplyByTooEarly));
    }
    let unmet = workflow::unmet(db.conn(), &workflow, &transition.guards, case).await?;
    if let Some(first) = unmet.first() {
        return Ok(Err(Refusal::Guard(*first)));
    }
    // The letter is laid out and stored before the transaction (CPU work, and a blob
    // comes before any row that names it).
    let letter = match transition
        .letter
        .as_deref()
        .and_then(letters::Kind::from_key)
    {
        Some(kind) => {
            let input = letters::Input {
                text: message.map(|(_, text)| text.to_owned()).unwrap_or_default(),
                zone: step.zone.map(str::to_owned),
                fee_cents: step.fee_cents,
            };
            match letters::prepare(db.conn(), step.desk, tenant, case, actor, kind, &input).await? {
                Ok(prepared) => Some(prepared),
                Err(missing) => return Ok(Err(Refusal::Letter(missing))),
            }
        }
        None => None,
    };
    let txn = db.begin_write().await?;
    let phase = workflow.phase(&transition.to);
    let mut update = case::Entity::update_many()
        .col_expr(case::Column::State, transition.to.clone().into())
        .col_expr(case::Column::Phase, phase.as_str().into());
    // Retention counts from the day a case was finished; reopened, it counts again later.
    let finished = crate::workflow::Phase::is_finished(phase.as_str());
    if finished != deadlines::is_finished(case) {
        update = update.col_expr(case::Column::ClosedAt, finished.then(Utc::now).into());
    }
    let clock = deadlines::after_step(case, phase, Utc::now());
    match clock {
        deadlines::Clock::Runs => {}
        deadlines::Clock::Rests(since) => {
            update = update.col_expr(case::Column::DeadlinePausedAt, Some(since).into());
        }
        deadlines::Clock::Resumes(due) => {
            update = update
                .col_expr(
                    case::Column::DeadlinePausedAt,
                    Option::<DateTime<Utc>>::None.into(),
                )
                .col_expr(case::Column::DueAt, due.into());
        }
    }
    change(&txn, case, step.version, update).await?;
    let entry = Entry::public("state_changed", actor.name.clone())
        .details(serde_json::json!({ "state": transition.to, "transition": transition.key }));
    record(&txn, case.id, entry).await?;
    if let deadlines::Clock::Resumes(Some(due)) = clock {
        let day = crate::time::local_day(due).format("%d.%m.%Y").to_string();
        let moved = Entry::internal("deadline_resumed", "System")
            .details(serde_json::json!({ "due": day }));
        record(&txn, case.id, moved).await?;
    }
    if let Some(day) = reply_by {
        let note = format!(
            "Antwort der antragstellenden Person erbeten bis {}",
            day.format("%d.%m.%Y")
        );
        reminders::add(&txn, case.id, day, &note, "System").await?;
    }
    if let Some(days) = transition.reminder_in_days {
        let day = today + chrono::Duration::days(i64::from(days));
        let note = format!("Wiedervorlage nach dem Schritt „{}“", transition.key);
        reminders::add(&txn, case.id, day, &note, "System").await?;
    }
    if let Some((subject, text)) = message {
        let text = match reply_by {
            Some(day) => format!(
                "{}\n\nBitte antworten Sie bis zum {}.",
                text.trim(),
                day.format("%d.%m.%Y")
            ),
            None => text.trim().to_owned(),
        };
        let email = match case.citizen_id {
            Some(id) => citizen::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .map(|c| c.email),
            None => None,
        };
        let to_applicant = postbox::ToApplicant {
            case_id: case.id,
            subject,
            body: &text,
            sender: &actor.name,
            notify: email.as_deref().map(|address| (address, step.link)),
        };
        let message_id = postbox::send_to_applicant(&txn, tenant, to_applicant).await?;
        if let Some(prepared) = letter {
            let kind = prepared.kind();
            let channel = letters::Channel::for_letter(&txn, case, kind).await?;
            let issued = letters::record(
                &txn,
                tenant,
                case,
                actor,
                prepared,
                channel,
                Some(message_id),
            )
            .await?;
            if let (letters::Kind::FeeNotice, Some(cents)) = (kind, step.fee_cents) {
                let service =
                    crate::catalog::service_of(&txn, tenant.id, &case.service_key).await?;
                let fee = crate::payments::Fee {
                    cents,
                    label: case.title.clone(),
                    basis: service.and_then(|s| s.legal_basis),
                };
                let notice = crate::payments::notices::NewNotice {
                    tenant_id: tenant.id,
                    case_id: case.id,
                    issued_document_id: Some(issued),
                    fee: &fee,
                    due_on: crate::payments::notices::due_on(today),
                    issued_by: &actor.name,
                };
                crate::payments::notices::issue(&txn, notice).await?;
            }
        }
    }
    let event = Event::new("case.step", "case")
        .object(case.id)
        .details(serde_json::json!({ "transition": transition.key, "state": transition.to }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// A file of a case: sent with the application or with a message.
pub struct CaseFile {
    pub file_name: String,
    pub media_type: String,
    pub sha256: String,
}

/// The file `file_id` if it belongs to the case, for a member of staff who may see the
/// case; the access is written to the audit log.
pub async fn file_for_staff(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    file_id: Uuid,
) -> Result<Option<CaseFile>> {
    policy::require_case(actor, case)?;
    let conn = db.conn();
    let sent = match case.submission_id {
        Some(submission) => submission_file::Entity::find_by_id(file_id)
            .filter(submission_file::Column::SubmissionId.eq(submission))
            .one(conn)
            .await?
            .map(|f| CaseFile {
                file_name: f.file_name,
                media_type: f.media_type,
                sha256: f.sha256,
            }),
        None => None,
    };
    let found = match sent {
        Some(file) => Some(file),
        None => match scanned(conn, case, file_id).await? {
            Some(file) => Some(file),
            None => {
                let messages: Vec<Uuid> = postbox::of_case(conn, case.id)
                    .await?
                    .into_iter()
                    .map(|m| m.id)
                    .collect();
                postbox::files_of(conn, &messages)
                    .await?
                    .into_iter()
                    .find(|f| f.id == file_id)
                    .map(|f| CaseFile {
                        file_name: f.file_name,
                        media_type: f.media_type,
                        sha256: f.sha256,
                    })
            }
        },
    };
    if found.is_some() {
        let event = Event::new("case.file_read", "case")
            .object(case.id)
            .details(serde_json::json!({ "file": file_id }));
        audit::record_now(db, actor, origin, event).await?;
    }
    Ok(found)
}

/// A scan filed into the case.
async fn scanned(
    conn: &impl ConnectionTrait,
    case: &Case,
    file_id: Uuid,
) -> Result<Option<CaseFile>> {
    Ok(mail_item::Entity::find_by_id(file_id)
        .filter(mail_item::Column::CaseId.eq(case.id))
        .one(conn)
        .await?
        .map(|f| CaseFile {
            file_name: f.file_name,
            media_type: f.media_type,
            sha256: f.sha256,
        }))
}
