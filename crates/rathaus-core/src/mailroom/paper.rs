//! Paper mail: the mailroom scans letters; each scan is read (OCR, in a job), gets a
//! proposal — the case whose reference it names, or else the department whose services
//! its words speak of — and a person files it: into that case or another, or as a new
//! case of a department. Filed scans are documents of their case, their text searchable.

use chrono::Utc;
use rathaus_store::blob::Bytes;
use rathaus_store::entities::{case, mail_item};
use rathaus_store::jobs::{self, ClaimedJob, NewJob};
use rathaus_store::{BlobStore, Db};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::ocr::{self, OcrConfig};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::cases::{self, Case, Entry, NewCase};
use crate::catalog::Offered;
use crate::documents;
use crate::error::{CoreError, Result};
use crate::jobs::{JobFailure, JobHandler};
use crate::policy::{self, Permission};
use crate::tenants::{self, Tenant};
use crate::uploads::{self, Accept, UploadProblem};
use crate::{departments, references};

pub type MailItem = mail_item::Model;
type Department = rathaus_store::entities::department::Model;

/// The job that reads a scan.
pub const RECOGNISE: &str = "mailroom.recognise";

/// Scanned, the text is being read.
pub const RECOGNISING: &str = "recognising";
/// Read (or unreadable), waiting for a person to file it.
pub const TO_FILE: &str = "to_file";
/// A document of a case.
pub const FILED: &str = "filed";

/// What scanners produce.
pub fn scan_accepts() -> Vec<String> {
    ["application/pdf", "image/tiff", "image/png", "image/jpeg"]
        .map(str::to_owned)
        .to_vec()
}

pub const SCAN_MAX_BYTES: u64 = 50 * 1024 * 1024;
pub const MAX_SCANS_AT_ONCE: usize = 50;

/// Takes in scans, one mail item each, and queues their reading. Every file is checked
/// first; if one is refused nothing is stored (the answer says which and why).
pub async fn receive(
    db: &Db,
    blobs: &BlobStore,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    files: Vec<(String, Bytes)>,
) -> Result<std::result::Result<Vec<Uuid>, (String, UploadProblem)>> {
    policy::require(actor, tenant_id, Permission::RouteMail)?;
    let media_types = scan_accepts();
    let accept = Accept {
        media_types: &media_types,
        max_bytes: SCAN_MAX_BYTES,
    };
    let stored = match uploads::check_and_store(blobs, files, &accept, MAX_SCANS_AT_ONCE).await? {
        Ok(stored) => stored,
        Err(refused) => return Ok(Err(refused)),
    };
    let txn = db.begin_write().await?;
    let now = Utc::now();
    let mut ids = Vec::new();
    for (name, media_type, blob) in stored {
        let id = Uuid::now_v7();
        mail_item::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant_id),
            received_at: Set(now),
            received_by: Set(actor.id),
            sha256: Set(blob.sha256),
            size: Set(blob.size as i64),
            media_type: Set(media_type.to_owned()),
            file_name: Set(name),
            state: Set(RECOGNISING.into()),
            text: Set(None),
            pages: Set(None),
            ocr_note: Set(None),
            proposed_case_id: Set(None),
            proposed_department_id: Set(None),
            case_id: Set(None),
            filed_at: Set(None),
            filed_by: Set(None),
        }
        .insert(&txn)
        .await?;
        let job = NewJob::new(RECOGNISE, serde_json::json!({ "item": id })).for_tenant(tenant_id);
        jobs::enqueue(&txn, vec![job]).await?;
        let event = Event::new("mail.scanned", "mail_item").object(id);
        audit::record(&txn, actor, origin, event).await?;
        ids.push(id);
    }
    txn.commit().await?;
    Ok(Ok(ids))
}

/// Reads a scan and proposes where it belongs. A scan without text (no OCR installed,
/// too slow, unreadable) is not a failure of the job: it goes to the mailroom with a note
/// why, to be filed by looking at it.
pub struct Recognise {
    blobs: BlobStore,
    ocr: OcrConfig,
}

impl Recognise {
    pub fn new(blobs: BlobStore, ocr: OcrConfig) -> Self {
        Self { blobs, ocr }
    }
}

#[async_trait::async_trait]
impl JobHandler for Recognise {
    async fn run(&self, db: &Db, job: &ClaimedJob) -> std::result::Result<(), JobFailure> {
        let id = crate::jobs::id_in_payload(job, "item")?;
        let conn = db.conn();
        let Some(item) = mail_item::Entity::find_by_id(id).one(conn).await? else {
            return Ok(());
        };
        // Run again after a crash: what was read is kept.
        if item.state != RECOGNISING {
            return Ok(());
        }
        let bytes = self.blobs.get(&item.sha256).await?;
        let mut update = mail_item::ActiveModel {
            id: Set(item.id),
            state: Set(TO_FILE.into()),
            ..Default::default()
        };
        match ocr::recognise(&self.ocr, &bytes, &item.media_type).await {
            Ok(read) => {
                let proposal = propose(conn, item.tenant_id, &read.text).await?;
                update.proposed_case_id = Set(proposal.case);
                update.proposed_department_id = Set(proposal.department);
                update.pages = Set(Some(read.pages as i32));
                update.text = Set(Some(read.text));
            }
            Err(problem) => {
                tracing::warn!(item = %item.id, %problem, "scan without text");
                update.ocr_note = Set(Some(problem.to_string()));
            }
        }
        mail_item::Entity::update_many()
            .set(update)
            .filter(mail_item::Column::Id.eq(item.id))
            .filter(mail_item::Column::State.eq(RECOGNISING))
            .exec(conn)
            .await?;
        Ok(())
    }
}

/// Where a letter probably belongs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Proposal {
    pub case: Option<Uuid>,
    pub department: Option<Uuid>,
}

/// The first case of the tenant a reference in the text names; else the department
/// whose services the text speaks of most.
pub async fn propose(conn: &impl ConnectionTrait, tenant_id: Uuid, text: &str) -> Result<Proposal> {
    let tenant = tenants::by_id(conn, tenant_id)
        .await?
        .ok_or_else(|| CoreError::Invalid(format!("tenant {tenant_id}")))?;
    let candidates = references::find_in(text, &tenant.reference_prefix);
    if !candidates.is_empty() {
        let named = case::Entity::find()
            .filter(case::Column::TenantId.eq(tenant_id))
            .filter(case::Column::Reference.is_in(candidates.iter().map(String::as_str)))
            .all(conn)
            .await?;
        let first = candidates
            .iter()
            .find_map(|r| named.iter().find(|c| &c.reference == r));
        if let Some(case) = first {
            return Ok(Proposal {
                case: Some(case.id),
                department: case.department_id,
            });
        }
    }
    let offered = Offered::load(conn, tenant_id).await?;
    for (key, _) in offered.departments_named_in(text) {
        if let Some(department) = departments::by_key(conn, tenant_id, &key).await? {
            return Ok(Proposal {
                case: None,
                department: Some(department.id),
            });
        }
    }
    Ok(Proposal::default())
}

/// The scans waiting to be filed (and those still being read), oldest first.
pub async fn waiting(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
) -> Result<Vec<MailItem>> {
    policy::require(actor, tenant_id, Permission::RouteMail)?;
    Ok(mail_item::Entity::find()
        .filter(mail_item::Column::TenantId.eq(tenant_id))
        .filter(mail_item::Column::State.ne(FILED))
        .order_by_asc(mail_item::Column::ReceivedAt)
        .order_by_asc(mail_item::Column::Id)
        .all(conn)
        .await?)
}

/// A scan of the tenant, for the mailroom, to change it (filing writes its own audit
/// entry).
pub async fn find(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<MailItem>> {
    policy::require(actor, tenant_id, Permission::RouteMail)?;
    Ok(mail_item::Entity::find_by_id(id)
        .filter(mail_item::Column::TenantId.eq(tenant_id))
        .one(conn)
        .await?)
}

/// A scan of the tenant, for the mailroom to look at; audited (letters carry personal
/// data).
pub async fn open_for_mailroom(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<MailItem>> {
    let found = find(db.conn(), actor, tenant_id, id).await?;
    if let Some(item) = &found {
        let event = Event::new("mail.viewed", "mail_item").object(item.id);
        audit::record_now(db, actor, origin, event).await?;
    }
    Ok(found)
}

/// The scans filed into a case, in the order they arrived.
pub async fn documents_of(conn: &impl ConnectionTrait, case_id: Uuid) -> Result<Vec<MailItem>> {
    Ok(mail_item::Entity::find()
        .filter(mail_item::Column::CaseId.eq(case_id))
        .order_by_asc(mail_item::Column::ReceivedAt)
        .order_by_asc(mail_item::Column::Id)
        .all(conn)
        .await?)
}

/// Where a person files a scan.
pub enum Filing<'a> {
    /// Into an existing case.
    ToCase(&'a Case),
    /// As a new case of a department (a letter about something not yet on file).
    NewCase {
        department: &'a Department,
        sender: &'a str,
        subject: &'a str,
    },
}

/// Files a scan; returns the reference of its case. A scan filed meanwhile by someone
/// else is a conflict: nothing changes.
pub async fn file(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant: &Tenant,
    item: &MailItem,
    filing: Filing<'_>,
) -> Result<String> {
    policy::require(actor, tenant.id, Permission::RouteMail)?;
    let txn = db.begin_write().await?;
    let (case_id, reference) = match filing {
        Filing::ToCase(case) => {
            if case.tenant_id != tenant.id {
                return Err(CoreError::NotFound(format!("case {}", case.reference)));
            }
            cases::touch(&txn, case.id).await?;
            (case.id, case.reference.clone())
        }
        Filing::NewCase {
            department,
            sender,
            subject,
        } => {
            let reference = references::free(&txn, tenant).await?;
            let new = NewCase {
                tenant_id: tenant.id,
                reference: &reference,
                submission_id: None,
                service_key: "",
                title: subject,
                department: Some(department),
                rule: None,
                team_id: None,
                due_at: None,
                citizen_id: None,
                organisation_id: None,
                applicant_name: sender,
                answers: None,
            };
            (cases::open(&txn, new).await?, reference)
        }
    };
    let filed = mail_item::Entity::update_many()
        .col_expr(mail_item::Column::State, FILED.into())
        .col_expr(mail_item::Column::CaseId, case_id.into())
        .col_expr(mail_item::Column::FiledAt, Utc::now().into())
        .col_expr(mail_item::Column::FiledBy, actor.id.into())
        .filter(mail_item::Column::Id.eq(item.id))
        .filter(mail_item::Column::TenantId.eq(tenant.id))
        .filter(mail_item::Column::State.ne(FILED))
        .exec(&txn)
        .await?;
    if filed.rows_affected == 0 {
        return Err(CoreError::Conflict(format!("mail item {}", item.id)));
    }
    // Read again: recognition may have finished since the item was shown.
    let text = mail_item::Entity::find_by_id(item.id)
        .one(&txn)
        .await?
        .and_then(|filed| filed.text);
    if let Some(text) = &text {
        cases::search::add(&txn, case_id, text).await?;
    }
    let scan = documents::NewDocument {
        tenant_id: tenant.id,
        case_id,
        kind: documents::Kind::Scan,
        title: &item.file_name,
        source_id: Some(item.id),
        added_by: &actor.name,
        file: documents::Stored {
            sha256: &item.sha256,
            size: item.size,
            media_type: &item.media_type,
            file_name: &item.file_name,
            text: text.as_deref(),
        },
    };
    documents::file(&txn, scan).await?;
    let entry = Entry::internal("document_filed", actor.name.clone())
        .details(serde_json::json!({ "file": item.file_name, "item": item.id }));
    cases::record(&txn, case_id, entry).await?;
    let event = Event::new("mail.filed", "mail_item")
        .object(item.id)
        .details(serde_json::json!({ "case": reference }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(reference)
}

/// The case with this id (for showing a proposal).
pub async fn case_by_id(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Case>> {
    Ok(case::Entity::find_by_id(id).one(conn).await?)
}
