//! Drafts of applications: the answers given in a form assistant so far, saved after
//! every page so that nothing typed is lost, and the files uploaded for them.
//!
//! A draft belongs to a citizen account, or — where the service allows anonymous use —
//! to the browser holding its token; only the owner reaches it ([`crate::policy`]).
//! Every save moves the expiry forward; expired drafts and their file links are deleted
//! by the hourly cleanup. The files' bytes are stored once in the content-addressed
//! blob store however often they are uploaded.

use chrono::{DateTime, Duration, Utc};
use rathaus_forms::definition::Form;
use rathaus_forms::fill::Answers;
use rathaus_store::blob::Bytes;
use rathaus_store::entities::{draft, draft_file};
use rathaus_store::{BlobStore, Db};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy;
use crate::secrets::{new_token, token_hash};
use crate::uploads;
pub use crate::uploads::{Accept, UploadProblem};

/// A new token for the drafts of an anonymous browser.
pub fn new_browser_token() -> String {
    new_token()
}

/// Who is filling in.
#[derive(Clone, Debug)]
pub enum Owner {
    Citizen(Uuid),
    /// An anonymous visitor, known by the token in a browser cookie.
    Browser(String),
}

#[derive(Clone, Debug)]
pub struct Draft {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub service_key: String,
    pub form_id: String,
    pub form_version: i32,
    pub answers: Answers,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Draft {
    pub(crate) fn of(row: draft::Model) -> Result<Self> {
        let answers = serde_json::from_str(&row.answers)
            .map_err(|e| CoreError::Invalid(format!("stored answers of draft {}: {e}", row.id)))?;
        Ok(Self {
            id: row.id,
            tenant_id: row.tenant_id,
            service_key: row.service_key,
            form_id: row.form_id,
            form_version: row.form_version,
            answers,
            created_at: row.created_at,
            updated_at: row.updated_at,
            expires_at: row.expires_at,
        })
    }
}

fn answers_json(answers: &Answers) -> String {
    serde_json::to_string(answers).expect("answers serialise")
}

/// What a new draft is for.
pub struct NewDraft<'a> {
    pub tenant_id: Uuid,
    pub service_key: &'a str,
    pub form: &'a Form,
    pub owner: &'a Owner,
    /// The prefilled answers.
    pub answers: Answers,
}

/// Starts a draft.
pub async fn create(
    db: &Db,
    new: NewDraft<'_>,
    keep: Duration,
    actor: &Actor,
    origin: &Origin,
) -> Result<Draft> {
    let NewDraft {
        tenant_id,
        service_key,
        form,
        owner,
        answers,
    } = new;
    let now = Utc::now();
    let (citizen_id, browser_hash) = match owner {
        Owner::Citizen(id) => (Some(*id), None),
        Owner::Browser(token) => (None, Some(token_hash(token))),
    };
    let row = draft::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        service_key: Set(service_key.to_owned()),
        form_id: Set(form.definition.id.clone()),
        form_version: Set(form.definition.version as i32),
        citizen_id: Set(citizen_id),
        browser_hash: Set(browser_hash),
        answers: Set(answers_json(&answers)),
        created_at: Set(now),
        updated_at: Set(now),
        expires_at: Set(now + keep),
    };
    let txn = db.begin_write().await?;
    let row = row.insert(&txn).await?;
    let event = Event::new("draft.created", "draft")
        .object(row.id.to_string())
        .details(serde_json::json!({ "service": service_key }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Draft::of(row)
}

/// The draft if `owner` owns it in this tenant and it has not expired.
pub async fn find(db: &Db, tenant_id: Uuid, id: Uuid, owner: &Owner) -> Result<Option<Draft>> {
    let Some(row) = draft::Entity::find_by_id(id).one(db.conn()).await? else {
        return Ok(None);
    };
    let owned = row.tenant_id == tenant_id && policy::owns_draft(&row, owner);
    if !owned || row.expires_at <= Utc::now() {
        return Ok(None);
    }
    Draft::of(row).map(Some)
}

/// Saves the answers and moves the expiry forward.
pub async fn save(db: &Db, draft: &Draft, keep: Duration) -> Result<()> {
    let now = Utc::now();
    draft::Entity::update_many()
        .col_expr(draft::Column::Answers, answers_json(&draft.answers).into())
        .col_expr(draft::Column::UpdatedAt, now.into())
        .col_expr(draft::Column::ExpiresAt, (now + keep).into())
        .filter(draft::Column::Id.eq(draft.id))
        .exec(db.conn())
        .await?;
    Ok(())
}

/// The open drafts of a citizen, most recent first.
pub async fn of_citizen(db: &Db, tenant_id: Uuid, citizen_id: Uuid) -> Result<Vec<Draft>> {
    draft::Entity::find()
        .filter(draft::Column::TenantId.eq(tenant_id))
        .filter(draft::Column::CitizenId.eq(citizen_id))
        .filter(draft::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(draft::Column::UpdatedAt)
        .all(db.conn())
        .await?
        .into_iter()
        .map(Draft::of)
        .collect()
}

/// Deletes a draft, its file links and the files nothing else refers to (the owner's
/// choice).
pub async fn discard(
    db: &Db,
    blobs: &BlobStore,
    draft: &Draft,
    actor: &Actor,
    origin: &Origin,
) -> Result<()> {
    let uploaded = hashes_of(db, &[draft.id]).await?;
    let txn = db.begin_write().await?;
    draft::Entity::delete_by_id(draft.id).exec(&txn).await?;
    let event = Event::new("draft.discarded", "draft").object(draft.id.to_string());
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    crate::blob_references::delete_unreferenced(db, blobs, uploaded).await
}

/// Deletes the drafts past their expiry with their file links and the files nothing
/// else refers to.
pub async fn purge_expired(db: &Db, blobs: &BlobStore) -> Result<u64> {
    let now = Utc::now();
    let expired: Vec<Uuid> = draft::Entity::find()
        .filter(draft::Column::ExpiresAt.lte(now))
        .all(db.conn())
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    if expired.is_empty() {
        return Ok(0);
    }
    let uploaded = hashes_of(db, &expired).await?;
    let done = draft::Entity::delete_many()
        .filter(draft::Column::Id.is_in(expired))
        .exec(db.conn())
        .await?;
    crate::blob_references::delete_unreferenced(db, blobs, uploaded).await?;
    Ok(done.rows_affected)
}

/// The content hashes of the files of these drafts.
async fn hashes_of(db: &Db, drafts: &[Uuid]) -> Result<Vec<String>> {
    Ok(draft_file::Entity::find()
        .filter(draft_file::Column::DraftId.is_in(drafts.iter().copied()))
        .all(db.conn())
        .await?
        .into_iter()
        .map(|f| f.sha256)
        .collect())
}

/// An uploaded file as the draft knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftFile {
    pub id: Uuid,
    pub field: String,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

impl From<draft_file::Model> for DraftFile {
    fn from(row: draft_file::Model) -> Self {
        Self {
            id: row.id,
            field: row.field,
            file_name: row.file_name,
            media_type: row.media_type,
            size: row.size,
            sha256: row.sha256,
        }
    }
}

/// What one application may carry: enough for any real application, not a free file
/// store for anyone who opens an anonymous draft.
pub const MAX_FILES: usize = 40;
pub const MAX_TOTAL_BYTES: i64 = 100 * 1024 * 1024;

/// Checks an upload by its content and stores it for `field` of the draft.
pub async fn attach(
    db: &Db,
    blobs: &BlobStore,
    draft: &Draft,
    field: &str,
    file_name: &str,
    bytes: Bytes,
    accept: &Accept<'_>,
) -> Result<Result<DraftFile, UploadProblem>> {
    let earlier = draft_file::Entity::find()
        .filter(draft_file::Column::DraftId.eq(draft.id))
        .all(db.conn())
        .await?;
    let total: i64 = earlier.iter().map(|f| f.size).sum::<i64>() + bytes.len() as i64;
    if earlier.len() >= MAX_FILES || total > MAX_TOTAL_BYTES {
        return Ok(Err(UploadProblem::Full));
    }
    let (media_type, bytes) = match uploads::check_apart(bytes, accept).await {
        Ok(taken) => (taken.media_type, taken.bytes),
        Err(problem) => return Ok(Err(problem)),
    };
    // The blob first: a crash before the row leaves an unreferenced blob, never a row
    // without its bytes.
    let stored = blobs.put(bytes).await?;
    let row = draft_file::ActiveModel {
        id: Set(Uuid::now_v7()),
        draft_id: Set(draft.id),
        field: Set(field.to_owned()),
        sha256: Set(stored.sha256),
        size: Set(stored.size as i64),
        media_type: Set(media_type.to_owned()),
        file_name: Set(uploads::clean_file_name(file_name)),
        created_at: Set(Utc::now()),
    }
    .insert(db.conn())
    .await?;
    Ok(Ok(row.into()))
}

/// The files uploaded for a draft, in upload order.
pub async fn files(db: &Db, draft: &Draft) -> Result<Vec<DraftFile>> {
    Ok(draft_file::Entity::find()
        .filter(draft_file::Column::DraftId.eq(draft.id))
        .order_by_asc(draft_file::Column::CreatedAt)
        .order_by_asc(draft_file::Column::Id)
        .all(db.conn())
        .await?
        .into_iter()
        .map(DraftFile::from)
        .collect())
}

/// Removes an upload from the draft, and its bytes if nothing else refers to them (the
/// answers still naming it are the caller's).
pub async fn remove_file(db: &Db, blobs: &BlobStore, draft: &Draft, file_id: Uuid) -> Result<()> {
    let Some(file) = draft_file::Entity::find_by_id(file_id)
        .one(db.conn())
        .await?
    else {
        return Ok(());
    };
    if file.draft_id != draft.id {
        return Ok(());
    }
    draft_file::Entity::delete_by_id(file_id)
        .exec(db.conn())
        .await?;
    crate::blob_references::delete_unreferenced(db, blobs, vec![file.sha256]).await
}

/// Moves the anonymous drafts of this browser into the account of the person now
/// logged in, so that logging in halfway through loses nothing. Returns how many.
pub async fn adopt_browser_drafts(
    db: &Db,
    tenant_id: Uuid,
    browser_token: &str,
    citizen_id: Uuid,
) -> Result<u64> {
    let done = draft::Entity::update_many()
        .col_expr(draft::Column::CitizenId, Some(citizen_id).into())
        .col_expr(draft::Column::BrowserHash, Option::<String>::None.into())
        .filter(draft::Column::TenantId.eq(tenant_id))
        .filter(draft::Column::CitizenId.is_null())
        .filter(draft::Column::BrowserHash.eq(token_hash(browser_token)))
        .exec(db.conn())
        .await?;
    Ok(done.rows_affected)
}
