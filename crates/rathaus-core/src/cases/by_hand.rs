//! Cases made by hand: a request made by phone, at the counter or by letter, taken down
//! by staff on behalf of the person (the same service, whichever way it is asked for).
//! The case gets a reference and the service's deadline like an online application; if
//! the person has an account (found by its e-mail address), the case appears under
//! "Meine Anträge" with a confirmation in the postbox, so that the rest can happen
//! online.

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::citizen;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Entry, NewCase, deadlines, open, record};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::catalog::Service;
use crate::departments::Department;
use crate::error::Result;
use crate::policy::{self, CaseScope};
use crate::postbox::{self, ToApplicant};
use crate::references;
use crate::tenants::Tenant;

/// How the request reached the town hall.
pub const CHANNELS: [&str; 4] = ["telefon", "vor_ort", "brief", "email"];

/// A request as staff take it down.
pub struct Request<'a> {
    pub service: &'a Service,
    pub department: &'a Department,
    /// One of [`CHANNELS`].
    pub channel: &'a str,
    pub applicant_name: &'a str,
    /// The e-mail address of the person's account, if they have one.
    pub applicant_email: Option<&'a str>,
    /// What was asked, for colleagues (an internal note).
    pub note: &'a str,
    /// Where the applicant follows it (for the notice of the confirmation).
    pub status_url: &'a str,
}

/// Why no case was made (nothing written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    NameMissing,
    ChannelUnknown,
    /// The department is not one of those the person works for.
    DepartmentNotYours,
    /// No confirmed account has this address.
    NoSuchAccount,
}

/// Makes the case (audited); returns its reference.
pub async fn open_case(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant: &Tenant,
    request: Request<'_>,
) -> Result<std::result::Result<String, Refusal>> {
    let scope = policy::case_scope(actor, tenant.id)?;
    let name = request.applicant_name.trim();
    if name.is_empty() {
        return Ok(Err(Refusal::NameMissing));
    }
    if !CHANNELS.contains(&request.channel) {
        return Ok(Err(Refusal::ChannelUnknown));
    }
    let in_scope = match &scope {
        CaseScope::All => true,
        CaseScope::Departments(ids) => ids.contains(&request.department.id),
    };
    if !in_scope || request.department.tenant_id != tenant.id {
        return Ok(Err(Refusal::DepartmentNotYours));
    }
    let account = match request
        .applicant_email
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(email) => {
            let found = citizen::Entity::find()
                .filter(citizen::Column::TenantId.eq(tenant.id))
                .filter(citizen::Column::Email.eq(email.to_lowercase()))
                .filter(citizen::Column::EmailConfirmedAt.is_not_null())
                .one(db.conn())
                .await?;
            match found {
                Some(account) => Some(account),
                None => return Ok(Err(Refusal::NoSuchAccount)),
            }
        }
        None => None,
    };
    let txn = db.begin_write().await?;
    let reference = references::free(&txn, tenant).await?;
    let now = Utc::now();
    let case_id = open(
        &txn,
        NewCase {
            tenant_id: tenant.id,
            reference: &reference,
            submission_id: None,
            service_key: &request.service.key,
            title: &request.service.name,
            department: Some(request.department),
            rule: None,
            team_id: None,
            citizen_id: account.as_ref().map(|a| a.id),
            organisation_id: None,
            applicant_name: name,
            due_at: deadlines::due_from(request.service.deadline_days, now),
            answers: None,
        },
    )
    .await?;
    let taken_down = Entry::internal("opened_by_hand", actor.name.clone())
        .details(serde_json::json!({ "channel": request.channel }));
    record(&txn, case_id, taken_down).await?;
    let note = request.note.trim();
    if !note.is_empty() {
        let entry = Entry::internal("note", actor.name.clone())
            .details(serde_json::json!({ "text": note }));
        record(&txn, case_id, entry).await?;
    }
    if let Some(account) = &account {
        let body = format!(
            "Wir haben Ihr Anliegen „{service}“ aufgenommen.\n\nAktenzeichen: {reference}\n\
             Zuständig: {department}\n\nDen Stand der Bearbeitung sehen Sie jederzeit unter \
             „Meine Anträge“; dort können Sie uns auch schreiben und Unterlagen schicken.",
            service = request.service.name,
            department = request.department.name,
        );
        postbox::send_to_applicant(
            &txn,
            tenant,
            ToApplicant {
                case_id,
                subject: &format!("Ihr Anliegen ist aufgenommen: {}", request.service.name),
                body: &body,
                sender: &request.department.name,
                notify: Some((account.email.as_str(), request.status_url)),
            },
        )
        .await?;
    }
    let event = Event::new("case.opened_by_hand", "case")
        .object(case_id)
        .details(serde_json::json!({
            "reference": reference,
            "service": request.service.key,
            "channel": request.channel,
            "department": request.department.key,
            "account": account.is_some(),
        }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(reference))
}
