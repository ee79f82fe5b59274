//! The text of filed versions for the search: a version without text (an uploaded PDF
//! or image) queues a job in the transaction that files it; the worker reads the PDF's
//! own text, or recognises a scan's, and writes it to the version and, for the latest
//! version, to the document's search text. A version whose text cannot be read stays
//! findable by title and file name.

use rathaus_store::entities::{document, document_search, document_version};
use rathaus_store::jobs::{ClaimedJob, NewJob};
use rathaus_store::{BlobStore, Db};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::Result;
use crate::jobs::{JobFailure, JobHandler};
use crate::mailroom::ocr::{self, OcrConfig};

pub const EXTRACT_TEXT: &str = "documents.text";

/// Characters kept of a version's text: enough for any letter or form, bounded for the
/// index.
const MAX_CHARS: usize = 200_000;

/// Whether the text of a file of this type can be read.
pub(super) fn readable(media_type: &str) -> bool {
    media_type == "application/pdf" || media_type.starts_with("image/")
}

/// Queues reading the text of `version_id`, in the caller's transaction.
pub(super) async fn queue(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    version_id: Uuid,
) -> Result<()> {
    let mut job = NewJob::new(EXTRACT_TEXT, serde_json::json!({ "version": version_id }));
    job.tenant_id = Some(tenant_id);
    rathaus_store::jobs::enqueue(conn, vec![job]).await?;
    Ok(())
}

/// Reads queued versions' text.
pub struct ExtractText {
    pub blobs: BlobStore,
    pub ocr: OcrConfig,
}

#[async_trait::async_trait]
impl JobHandler for ExtractText {
    async fn run(&self, db: &Db, job: &ClaimedJob) -> std::result::Result<(), JobFailure> {
        let id = crate::jobs::id_in_payload(job, "version")?;
        let conn = db.conn();
        let Some(version) = document_version::Entity::find_by_id(id).one(conn).await? else {
            // Deleted meanwhile (retention).
            return Ok(());
        };
        if version.text.is_some() {
            return Ok(());
        }
        let bytes = self.blobs.get(&version.sha256).await?;
        let text = match ocr::text_of(&self.ocr, &bytes, &version.media_type).await {
            Ok(text) => text.chars().take(MAX_CHARS).collect::<String>(),
            Err(problem) => {
                tracing::warn!(version = %version.id, %problem, "document without text");
                return Ok(());
            }
        };
        let txn = db.begin_write().await?;
        document_version::Entity::update_many()
            .col_expr(document_version::Column::Text, Expr::value(text.clone()))
            .filter(document_version::Column::Id.eq(version.id))
            .exec(&txn)
            .await?;
        let latest = document::Entity::find_by_id(version.document_id)
            .one(&txn)
            .await?
            .filter(|d| d.versions == version.number);
        if let Some(document) = latest {
            let searched = super::search_text(&document.title, &version.file_name, Some(&text));
            document_search::Entity::update_many()
                .col_expr(document_search::Column::Text, Expr::value(searched))
                .filter(document_search::Column::DocumentId.eq(document.id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
