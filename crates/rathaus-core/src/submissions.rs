//! Sending an application: a completed draft becomes, in one transaction, an immutable
//! submission (answers, the definition they were given for, the files by hash, who sent
//! it with which trust level) with a reference people can read out, a case in the
//! department the mailroom finds, a receipt (Eingangsbestätigung) in the applicant's
//! postbox and an e-mail saying so. Either all of it exists afterwards or none of it.
//!
//! The draft's id is the idempotency key: pressing "send" twice, or a network retry,
//! finds the submission made the first time.

use crate::documents::{self, NewDocument};
use chrono::Utc;
use rathaus_forms::definition::Form;
use rathaus_forms::fill::Answers;
use rathaus_store::Db;
use rathaus_store::entities::{draft, draft_file, form_snapshot, submission, submission_file};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::cases::{self, NewCase};
use crate::catalog::Service;
use crate::drafts::{Draft, Owner};
use crate::error::{CoreError, Result};
use crate::mailroom::routing::{self, Reason};
use crate::postbox::{self, ToApplicant};
use crate::references;
use crate::secrets::token_hash;
use crate::tenants::Tenant;
use crate::trust::TrustLevel;

/// Everything needed to send a draft. The web layer has checked that every step is
/// complete and valid.
pub struct Application<'a> {
    pub draft: &'a Draft,
    pub owner: &'a Owner,
    /// The service as the town offers it.
    pub service: &'a Service,
    /// The form the answers were given for.
    pub form: &'a Form,
    /// The applicant's name as the application gives it.
    pub applicant_name: &'a str,
    /// The address for the notice of the receipt, if the applicant has an account.
    pub email: Option<&'a str>,
    pub trust: TrustLevel,
    pub organisation_id: Option<Uuid>,
    /// Where the applicant follows the application (for the notice).
    pub status_url: &'a str,
    /// The public verification page, printed on the receipt letter.
    pub verify_page: &'a str,
}

/// What the applicant is told after sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub submission_id: Uuid,
    pub reference: String,
    /// Only for anonymous submissions: the secret of the status link.
    pub status_secret: Option<String>,
}

/// The secret of an anonymous submission's status link. Derived from the browser's
/// token so that a second press in the same browser finds the same link, while the
/// database keeps only its hash.
fn status_secret(browser_token: &str, draft_id: Uuid) -> String {
    let digest = Sha256::digest(format!("status:{draft_id}:{browser_token}").as_bytes());
    hex::encode(&digest[..16])
}

/// The submission made from the draft `draft_id` earlier, if `owner` made it.
pub async fn sent_before(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    draft_id: Uuid,
    owner: &Owner,
) -> Result<Option<Sent>> {
    let Some(row) = submission::Entity::find()
        .filter(submission::Column::TenantId.eq(tenant_id))
        .filter(submission::Column::IdempotencyKey.eq(draft_id.to_string()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let secret = match owner {
        Owner::Citizen(id) if row.citizen_id == Some(*id) => None,
        Owner::Browser(token) => {
            let secret = status_secret(token, draft_id);
            if row.status_secret_hash.as_deref() != Some(token_hash(&secret).as_str()) {
                return Ok(None);
            }
            Some(secret)
        }
        Owner::Citizen(_) => return Ok(None),
    };
    Ok(Some(Sent {
        submission_id: row.id,
        reference: row.reference,
        status_secret: secret,
    }))
}

/// Sends the draft (or finds it sent before).
pub async fn send(
    db: &Db,
    tenant: &Tenant,
    application: Application<'_>,
    actor: &Actor,
    origin: &Origin,
) -> Result<Sent> {
    let (draft_id, owner) = (application.draft.id, application.owner);
    match write(db, tenant, &application, actor, origin).await {
        // Two presses at the same moment: the second met the first's unique key.
        Err(error) => match sent_before(db.conn(), tenant.id, draft_id, owner).await? {
            Some(sent) => Ok(sent),
            None => Err(error),
        },
        sent => sent,
    }
}

async fn write(
    db: &Db,
    tenant: &Tenant,
    application: &Application<'_>,
    actor: &Actor,
    origin: &Origin,
) -> Result<Sent> {
    let &Application {
        draft,
        owner,
        service,
        form,
        applicant_name,
        email,
        trust,
        organisation_id,
        status_url,
        verify_page,
    } = application;
    let txn = db.begin_write().await?;
    if let Some(sent) = sent_before(&txn, tenant.id, draft.id, owner).await? {
        return Ok(sent);
    }
    let still_there = draft::Entity::find_by_id(draft.id).one(&txn).await?;
    if still_there.is_none() {
        return Err(CoreError::NotFound(format!("draft {}", draft.id)));
    }
    let definition = serde_json::to_string(&form.definition)
        .map_err(|e| CoreError::Invalid(format!("definition does not serialise: {e}")))?;
    let form_sha256 = keep_definition(&txn, &draft.form_id, &definition).await?;
    let reference = references::free(&txn, tenant).await?;
    let (citizen_id, status) = match owner {
        Owner::Citizen(id) => (Some(*id), None),
        Owner::Browser(token) => (None, Some(status_secret(token, draft.id))),
    };
    let id = Uuid::now_v7();
    let now = Utc::now();
    let today = crate::time::local(now).date_naive();
    submission::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.id),
        reference: Set(reference.clone()),
        service_key: Set(service.key.clone()),
        service_name: Set(service.name.clone()),
        form_sha256: Set(form_sha256),
        answers: Set(serde_json::to_string(&draft.answers).expect("answers serialise")),
        citizen_id: Set(citizen_id),
        organisation_id: Set(organisation_id),
        applicant_name: Set(applicant_name.to_owned()),
        trust_level: Set(trust.as_str().to_owned()),
        idempotency_key: Set(draft.id.to_string()),
        status_secret_hash: Set(status.as_deref().map(token_hash)),
        fee_cents: Set(
            crate::payments::fee::of(service, form, &draft.answers, today).map(|f| f.cents),
        ),
        submitted_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let files = draft_file::Entity::find()
        .filter(draft_file::Column::DraftId.eq(draft.id))
        .all(&txn)
        .await?;
    let mut filed = Vec::with_capacity(files.len());
    for file in &files {
        filed.push(
            submission_file::ActiveModel {
                // The answers name files by this id.
                id: Set(file.id),
                submission_id: Set(id),
                field: Set(file.field.clone()),
                sha256: Set(file.sha256.clone()),
                size: Set(file.size),
                media_type: Set(file.media_type.clone()),
                file_name: Set(file.file_name.clone()),
            }
            .insert(&txn)
            .await?,
        );
    }
    // The files now belong to the submission: the draft goes, its uploads stay.
    draft::Entity::delete_by_id(draft.id).exec(&txn).await?;
    crate::payments::released(&txn, draft.id, id).await?;
    let routed = routing::route(&txn, tenant.id, service, form, &draft.answers, today).await?;
    let department = &routed.department;
    let case_id = cases::open(
        &txn,
        NewCase {
            tenant_id: tenant.id,
            reference: &reference,
            submission_id: Some(id),
            service_key: &service.key,
            title: &service.name,
            department: department.as_ref(),
            due_at: cases::deadlines::due_from(service.deadline_days, now),
            rule: match &routed.reason {
                Reason::Rule { label, .. } => Some(label.as_str()),
                Reason::Catalog | Reason::Nobody => None,
            },
            team_id: match &routed.reason {
                Reason::Rule { team, .. } => *team,
                Reason::Catalog | Reason::Nobody => None,
            },
            citizen_id,
            organisation_id,
            applicant_name,
            answers: Some(&draft.answers),
        },
    )
    .await?;
    for file in &filed {
        documents::file(
            &txn,
            NewDocument {
                tenant_id: tenant.id,
                case_id,
                kind: documents::Kind::ApplicationFile,
                title: &file.file_name,
                source_id: Some(file.id),
                added_by: applicant_name,
                file: documents::Stored {
                    sha256: &file.sha256,
                    size: file.size,
                    media_type: &file.media_type,
                    file_name: &file.file_name,
                    text: None,
                },
            },
        )
        .await?;
    }
    if citizen_id.is_some() {
        let at = crate::time::local(now).format("%d.%m.%Y um %H:%M");
        let handled_by = department
            .as_ref()
            .map_or_else(|| tenant.name.clone(), |d| d.name.clone());
        let body = format!(
            "Ihr Antrag „{name}“ ist am {at} Uhr bei uns eingegangen.\n\n\
             Aktenzeichen: {reference}\nZuständig: {handled_by}\n\n\
             Bitte geben Sie das Aktenzeichen an, wenn Sie uns zu diesem Antrag schreiben \
             oder anrufen. Den Stand der Bearbeitung sehen Sie jederzeit unter „Meine Anträge“.",
            name = service.name,
        );
        let message_id = postbox::send_to_applicant(
            &txn,
            tenant,
            ToApplicant {
                case_id,
                subject: &format!("Eingangsbestätigung: {}", service.name),
                body: &body,
                sender: &handled_by,
                notify: email.map(|address| (address, status_url)),
            },
        )
        .await?;
        crate::letters::receipts::queue(&txn, tenant.id, case_id, message_id, verify_page).await?;
    }
    let event = Event::new("submission.sent", "submission")
        .object(id)
        .details(serde_json::json!({
            "reference": reference,
            "service": service.key,
            "files": files.len(),
            "department": department.as_ref().map(|d| d.key.clone()),
        }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Sent {
        submission_id: id,
        reference,
        status_secret: status,
    })
}

/// A submission as read back: what was sent, with the definition it was filled in with.
pub struct Submitted {
    pub row: submission::Model,
    pub answers: Answers,
    pub form: Form,
    pub files: Vec<submission_file::Model>,
}

/// The submission `id` of the tenant with its definition and files.
pub async fn read(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<Submitted>> {
    let Some(row) = submission::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    if row.tenant_id != tenant_id {
        return Ok(None);
    }
    let broken = |what: String| CoreError::Invalid(format!("submission {}: {what}", row.id));
    let snapshot = form_snapshot::Entity::find_by_id(row.form_sha256.clone())
        .one(conn)
        .await?
        .ok_or_else(|| broken("its form definition is missing".into()))?;
    let form = rathaus_forms::definition::load(&snapshot.definition)
        .map_err(|mistakes| broken(format!("{} mistakes in its definition", mistakes.len())))?;
    let answers = serde_json::from_str(&row.answers).map_err(|e| broken(e.to_string()))?;
    let files = submission_file::Entity::find()
        .filter(submission_file::Column::SubmissionId.eq(row.id))
        .order_by_asc(submission_file::Column::Id)
        .all(conn)
        .await?;
    Ok(Some(Submitted {
        row,
        answers,
        form,
        files,
    }))
}

/// Stores the definition once by its content; returns its hash.
async fn keep_definition(
    conn: &impl ConnectionTrait,
    form_id: &str,
    definition: &str,
) -> Result<String> {
    let sha256 = hex::encode(Sha256::digest(definition.as_bytes()));
    let known = form_snapshot::Entity::find_by_id(sha256.clone())
        .one(conn)
        .await?;
    if known.is_none() {
        form_snapshot::ActiveModel {
            sha256: Set(sha256.clone()),
            form_id: Set(form_id.to_owned()),
            definition: Set(definition.to_owned()),
            first_used_at: Set(Utc::now()),
        }
        .insert(conn)
        .await?;
    }
    Ok(sha256)
}
