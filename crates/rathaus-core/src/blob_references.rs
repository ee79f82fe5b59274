//! Whether a blob is still referred to. Every table that names blobs by their hash is
//! asked here, so that a file is deleted only when nothing needs it any more; a new
//! referrer (documents of a case, letters) must be added to [`in_use`].

use rathaus_store::entities::{
    document_version, draft_file, evidence_day, issued_document, mail_item, postbox_file,
    print_batch, submission_file,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::error::Result;

/// Deletes the blobs of these hashes that no row refers to any more (after the rows
/// that named them were deleted and committed).
pub(crate) async fn delete_unreferenced(
    db: &rathaus_store::Db,
    blobs: &rathaus_store::BlobStore,
    hashes: Vec<String>,
) -> Result<()> {
    for sha256 in hashes {
        if !in_use(db.conn(), &sha256).await? {
            blobs.delete(&sha256).await?;
        }
    }
    Ok(())
}

/// Whether any row still refers to the blob `sha256`.
pub async fn in_use(conn: &impl ConnectionTrait, sha256: &str) -> Result<bool> {
    let drafts = draft_file::Entity::find()
        .filter(draft_file::Column::Sha256.eq(sha256))
        .count(conn)
        .await?;
    if drafts > 0 {
        return Ok(true);
    }
    let sent = submission_file::Entity::find()
        .filter(submission_file::Column::Sha256.eq(sha256))
        .count(conn)
        .await?;
    if sent > 0 {
        return Ok(true);
    }
    let in_postbox = postbox_file::Entity::find()
        .filter(postbox_file::Column::Sha256.eq(sha256))
        .count(conn)
        .await?;
    if in_postbox > 0 {
        return Ok(true);
    }
    let scanned = mail_item::Entity::find()
        .filter(mail_item::Column::Sha256.eq(sha256))
        .count(conn)
        .await?;
    if scanned > 0 {
        return Ok(true);
    }
    let filed = document_version::Entity::find()
        .filter(document_version::Column::Sha256.eq(sha256))
        .count(conn)
        .await?;
    if filed > 0 {
        return Ok(true);
    }
    let issued = issued_document::Entity::find()
        .filter(issued_document::Column::Sha256.eq(sha256))
        .count(conn)
        .await?;
    if issued > 0 {
        return Ok(true);
    }
    let printed = print_batch::Entity::find()
        .filter(print_batch::Column::PdfSha256.eq(sha256))
        .count(conn)
        .await?;
    if printed > 0 {
        return Ok(true);
    }
    let evidence = evidence_day::Entity::find()
        .filter(evidence_day::Column::LeavesSha256.eq(sha256))
        .count(conn)
        .await?;
    Ok(evidence > 0)
}
