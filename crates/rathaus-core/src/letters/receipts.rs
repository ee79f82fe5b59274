//! The receipt (Eingangsbestätigung) as a signed letter, issued by itself after an
//! application is sent. Sending queues a job in its own transaction, so there is a
//! receipt job exactly when there is a submission; the worker lays the letter out and
//! adds it to the receipt message in the postbox (rendering inside the sending
//! transaction would hold the database for the layout's milliseconds).

use rathaus_letters::Renderer;
use rathaus_store::entities::{case, issued_document};
use rathaus_store::jobs::{ClaimedJob, NewJob};
use rathaus_store::{BlobStore, Db};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Channel, Desk, Input, Kind};
use crate::actor::Actor;
use crate::error::Result;
use crate::jobs::{JobFailure, JobHandler};
use crate::secrets::Sealer;

pub const ISSUE_RECEIPT: &str = "letters.receipt";

/// What the job needs to know.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    case_id: Uuid,
    /// The receipt message the letter joins.
    message_id: Uuid,
    /// The verification page as the applicant's browser reaches it.
    verify_page: String,
}

/// Queues the receipt letter for the case, in the caller's transaction.
pub async fn queue(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    message_id: Uuid,
    verify_page: &str,
) -> Result<()> {
    let payload = Payload {
        case_id,
        message_id,
        verify_page: verify_page.to_owned(),
    };
    let mut job = NewJob::new(
        ISSUE_RECEIPT,
        serde_json::to_value(payload).expect("a payload serialises"),
    );
    job.tenant_id = Some(tenant_id);
    rathaus_store::jobs::enqueue(conn, vec![job]).await?;
    Ok(())
}

/// Issues queued receipts.
#[derive(Clone)]
pub struct IssueReceipt {
    pub renderer: Renderer,
    pub blobs: BlobStore,
    pub sealer: Sealer,
}

#[async_trait::async_trait]
impl JobHandler for IssueReceipt {
    async fn run(&self, db: &Db, job: &ClaimedJob) -> std::result::Result<(), JobFailure> {
        let payload: Payload = serde_json::from_value(job.payload.clone())?;
        self.issue(db, &payload).await?;
        Ok(())
    }
}

impl IssueReceipt {
    /// Issues the receipt unless the case has one (a job run again after a crash) or is
    /// gone (deleted in between).
    async fn issue(&self, db: &Db, payload: &Payload) -> Result<()> {
        let conn = db.conn();
        let Some(case) = case::Entity::find_by_id(payload.case_id).one(conn).await? else {
            return Ok(());
        };
        let issued = issued_document::Entity::find()
            .filter(issued_document::Column::CaseId.eq(case.id))
            .filter(issued_document::Column::Kind.eq(Kind::Receipt.key()))
            .one(conn)
            .await?;
        if issued.is_some() {
            return Ok(());
        }
        let Some(tenant) = crate::tenants::by_id(conn, case.tenant_id).await? else {
            return Ok(());
        };
        // The letter names the department as the contact, not a person.
        let handled_by = crate::departments::of_case(conn, &case)
            .await?
            .map(|d| d.name);
        let actor = Actor {
            name: handled_by.unwrap_or_else(|| tenant.name.clone()),
            tenant_id: Some(tenant.id),
            ..Actor::system("receipt")
        };
        let desk = Desk {
            renderer: &self.renderer,
            blobs: &self.blobs,
            sealer: &self.sealer,
            verify_page: &payload.verify_page,
        };
        let input = Input::default();
        let prepared = match super::prepare(
            conn,
            desk,
            &tenant,
            &case,
            &actor,
            Kind::Receipt,
            &input,
        )
        .await?
        {
            Ok(prepared) => prepared,
            // A receipt needs nothing only staff can give.
            Err(missing) => {
                return Err(crate::error::CoreError::Invalid(format!(
                    "a receipt lacks {missing:?}"
                )));
            }
        };
        let txn = db.begin_write().await?;
        let channel = Channel::for_letter(&txn, &case, Kind::Receipt).await?;
        super::record(
            &txn,
            &tenant,
            &case,
            &actor,
            prepared,
            channel,
            Some(payload.message_id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
