//! Whether a blob is still referred to. Every table that names blobs by their hash is
//! asked here, so that a file is deleted only when nothing needs it any more; a new
//! referrer (documents of a case, letters) must be added to [`in_use`].

use rathaus_store::entities::{draft_file, mail_item, postbox_file, submission_file};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::error::Result;

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
    Ok(scanned > 0)
}
