//! A fee paid by someone who does not come back from the payment page still sends the
//! application. When a draft's payment is recorded as paid (by the notification, the
//! housekeeping's question or the return), a job is queued for [`COME_BACK_WITHIN`]
//! later. By then the citizen has usually come back and the way back has sent the
//! application; the job then finds it sent and does nothing. Otherwise it sends the
//! draft as the citizen would have: with the trust level, organisation, name and
//! addresses their session had when they started paying (`Sending`). Only drafts of an
//! account are sent this way; an anonymous applicant needs the status link that only
//! the confirmation page shows, so finance staff refund such a fee instead.

use chrono::{Duration, Utc};
use rathaus_store::Db;
use rathaus_store::entities::{citizen, draft, payment};
use rathaus_store::jobs::{ClaimedJob, NewJob};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Payment, Sending};
use crate::actor::Origin;
use crate::drafts::{Draft, Owner};
use crate::error::Result;
use crate::forms::Forms;
use crate::jobs::{JobFailure, JobHandler};
use crate::submissions::{self, Application};
use crate::trust::TrustLevel;

pub const RELEASE: &str = "payments.release";

/// How long the citizen has to come back before the application is sent without them.
pub const COME_BACK_WITHIN: Duration = Duration::minutes(10);

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    payment_id: Uuid,
}

/// Queues the release of a draft's payment just recorded as paid, in the caller's
/// connection. Payments for a fee notice, or without what sending needs, release
/// nothing.
pub(super) async fn queue(conn: &impl ConnectionTrait, payment: &Payment) -> Result<()> {
    if payment.fee_notice_id.is_some() || payment.sending.is_none() {
        return Ok(());
    }
    let payload = serde_json::to_value(Payload {
        payment_id: payment.id,
    })
    .expect("a payload serialises");
    let job = NewJob::new(RELEASE, payload)
        .for_tenant(payment.tenant_id)
        .at(Utc::now() + COME_BACK_WITHIN);
    rathaus_store::jobs::enqueue(conn, vec![job]).await?;
    Ok(())
}

/// Sends the applications whose fee was paid by someone who did not come back.
#[derive(Clone)]
pub struct Release {
    pub forms: Forms,
}

#[async_trait::async_trait]
impl JobHandler for Release {
    async fn run(&self, db: &Db, job: &ClaimedJob) -> std::result::Result<(), JobFailure> {
        let payload: Payload = serde_json::from_value(job.payload.clone())?;
        self.release(db, payload.payment_id).await?;
        Ok(())
    }
}

impl Release {
    /// Sends the draft the payment paid for, unless it was sent meanwhile, is gone, or
    /// is not (any more) complete and paid.
    async fn release(&self, db: &Db, payment_id: Uuid) -> Result<()> {
        let conn = db.conn();
        let Some(payment) = payment::Entity::find_by_id(payment_id).one(conn).await? else {
            return Ok(());
        };
        let Some(sending) = payment.sending.as_deref() else {
            return Ok(());
        };
        let sending: Sending = serde_json::from_str(sending)
            .map_err(|e| crate::error::CoreError::Invalid(format!("payment {payment_id}: {e}")))?;
        let Some(row) = draft::Entity::find_by_id(payment.draft_id)
            .one(conn)
            .await?
        else {
            return Ok(());
        };
        let Some(citizen_id) = row.citizen_id else {
            return Ok(());
        };
        let owner = Owner::Citizen(citizen_id);
        let tenant_id = row.tenant_id;
        if submissions::sent_before(conn, tenant_id, row.id, &owner)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let draft = Draft::of(row)?;
        let (Some(tenant), Some(account)) = (
            crate::tenants::by_id(conn, tenant_id).await?,
            citizen::Entity::find_by_id(citizen_id).one(conn).await?,
        ) else {
            return Ok(());
        };
        let service = crate::catalog::service_of(conn, tenant_id, &draft.service_key).await?;
        let form = self.forms.get(conn, tenant_id, &draft.form_id).await?;
        let (Some(service), Some(form)) = (service, form) else {
            return Ok(());
        };
        let today = crate::time::local_day(Utc::now());
        let owed = super::fee::due_before_sending(&service, &form, &draft.answers, today)
            .map_or(0, |f| f.cents);
        let complete = form.incomplete_steps(&draft.answers, today).is_empty();
        if !complete || super::paid_for(conn, draft.id).await? < owed {
            tracing::warn!(payment = %payment.id, "a paid draft cannot be sent by itself");
            return Ok(());
        }
        let application = Application {
            draft: &draft,
            owner: &owner,
            service: &service,
            form: &form,
            applicant_name: &sending.applicant_name,
            email: sending.email.as_deref(),
            trust: TrustLevel::parse(&sending.trust).unwrap_or(TrustLevel::Basis),
            organisation_id: sending.organisation_id,
            status_url: &sending.status_url,
            verify_page: &sending.verify_page,
        };
        let actor = crate::citizens::citizen_actor(&account);
        let sent = submissions::send(db, &tenant, application, &actor, &Origin::default()).await?;
        tracing::info!(payment = %payment.id, reference = %sent.reference, "paid application sent by itself");
        Ok(())
    }
}
