//! Print batches: paper letters collected into one PDF for duplex printing and a CSV
//! manifest for a hybrid-mail provider (who prints, envelopes and posts them). The
//! mailroom collects them by hand, and the housekeeping does every morning for the
//! letters of the days before. Marking a batch as posted records the day of dispatch in
//! each letter and tells each case: legal deadlines count from it.

use chrono::{NaiveDate, Utc};
use rathaus_letters::{Printed, Renderer};
use rathaus_store::blob::Bytes;
use rathaus_store::entities::{issued_document, print_batch};
use rathaus_store::{BlobStore, Db};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::{Channel, Issued};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};

pub type Batch = print_batch::Model;

/// Paper letters of the tenant not in a batch yet (revoked ones are not sent), oldest
/// first, for the mailroom.
pub async fn waiting(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
) -> Result<Vec<Issued>> {
    policy::require(actor, tenant_id, Permission::RouteMail)?;
    unbatched(conn, tenant_id).await
}

async fn unbatched(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<Issued>> {
    Ok(issued_document::Entity::find()
        .filter(issued_document::Column::TenantId.eq(tenant_id))
        .filter(issued_document::Column::Channel.eq(Channel::Paper.as_str()))
        .filter(issued_document::Column::PrintBatchId.is_null())
        .filter(issued_document::Column::RevokedAt.is_null())
        .order_by_asc(issued_document::Column::IssuedAt)
        .order_by_asc(issued_document::Column::Id)
        .all(conn)
        .await?)
}

/// The tenant's batches, newest first, for the mailroom.
pub async fn batches(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
) -> Result<Vec<Batch>> {
    policy::require(actor, tenant_id, Permission::RouteMail)?;
    Ok(print_batch::Entity::find()
        .filter(print_batch::Column::TenantId.eq(tenant_id))
        .order_by_desc(print_batch::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// The batch `id` of the tenant with its letters in print order, for the mailroom to
/// print or hand over: the addresses in it are personal data, so reading is audited.
pub async fn batch(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<(Batch, Vec<Issued>)>> {
    policy::require(actor, tenant_id, Permission::RouteMail)?;
    let found = batch_of(db.conn(), tenant_id, id).await?;
    if found.is_some() {
        let event = Event::new("print_batch.read", "print_batch").object(id);
        audit::record_now(db, actor, origin, event).await?;
    }
    Ok(found)
}

async fn batch_of(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<(Batch, Vec<Issued>)>> {
    let Some(batch) = print_batch::Entity::find_by_id(id)
        .filter(print_batch::Column::TenantId.eq(tenant_id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let letters = issued_document::Entity::find()
        .filter(issued_document::Column::PrintBatchId.eq(id))
        .order_by_asc(issued_document::Column::IssuedAt)
        .order_by_asc(issued_document::Column::Id)
        .all(conn)
        .await?;
    Ok(Some((batch, letters)))
}

/// Collects the waiting paper letters issued before `before` (all of them with `None`)
/// into a new batch; `None` if there were none. A letter collected meanwhile by someone
/// else makes this a conflict, and nothing is written.
pub async fn collect(
    db: &Db,
    blobs: &BlobStore,
    renderer: &Renderer,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    before: Option<chrono::DateTime<Utc>>,
) -> Result<Option<Uuid>> {
    policy::require(actor, tenant_id, Permission::RouteMail)?;
    let letters: Vec<Issued> = unbatched(db.conn(), tenant_id)
        .await?
        .into_iter()
        .filter(|l| before.is_none_or(|before| l.issued_at < before))
        .collect();
    if letters.is_empty() {
        return Ok(None);
    }
    let mut pdfs = Vec::with_capacity(letters.len());
    for letter in &letters {
        pdfs.push((
            blobs.get(&letter.sha256).await?,
            letter.pages.max(1) as usize,
        ));
    }
    let now = Utc::now();
    let title = format!(
        "Druckstapel vom {}",
        crate::time::local(now).format("%d.%m.%Y %H:%M")
    );
    let renderer = renderer.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        let printed: Vec<Printed<'_>> = pdfs
            .iter()
            .map(|(pdf, pages)| Printed { pdf, pages: *pages })
            .collect();
        renderer.print_batch(&title, &printed, super::stamp(now))
    })
    .await
    .map_err(|e| CoreError::Invalid(format!("print batch layout stopped: {e}")))?
    .map_err(|e| CoreError::Invalid(e.to_string()))?;
    let stored = blobs.put(Bytes::from(rendered.pdf)).await?;
    let id = Uuid::now_v7();
    let txn = db.begin_write().await?;
    print_batch::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        created_at: Set(now),
        created_by: Set(actor.name.clone()),
        letters: Set(letters.len() as i32),
        pages: Set(rendered.pages as i32),
        pdf_sha256: Set(stored.sha256),
        posted_on: Set(None),
        posted_by: Set(None),
    }
    .insert(&txn)
    .await?;
    let ids: Vec<Uuid> = letters.iter().map(|l| l.id).collect();
    let taken = issued_document::Entity::update_many()
        .col_expr(issued_document::Column::PrintBatchId, Expr::value(id))
        .filter(issued_document::Column::Id.is_in(ids))
        .filter(issued_document::Column::PrintBatchId.is_null())
        .exec(&txn)
        .await?;
    if taken.rows_affected != letters.len() as u64 {
        return Err(CoreError::Conflict(
            "some letters went into another batch meanwhile".into(),
        ));
    }
    let event = Event::new("print_batch.create", "print_batch")
        .object(id)
        .details(serde_json::json!({ "letters": letters.len(), "pages": rendered.pages }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Some(id))
}

/// The morning batch: for every tenant, the paper letters issued before today. Run by the
/// housekeeping every hour; after the first run of a day there is nothing left to
/// collect until the next. Returns how many batches were made.
pub async fn collect_daily(db: &Db, blobs: &BlobStore, renderer: &Renderer) -> Result<usize> {
    use sea_orm::QuerySelect;
    let today = crate::time::start_of_day(crate::time::local_day(Utc::now()));
    let tenants: Vec<Uuid> = issued_document::Entity::find()
        .select_only()
        .column(issued_document::Column::TenantId)
        .distinct()
        .filter(issued_document::Column::Channel.eq(Channel::Paper.as_str()))
        .filter(issued_document::Column::PrintBatchId.is_null())
        .filter(issued_document::Column::RevokedAt.is_null())
        .filter(issued_document::Column::IssuedAt.lt(today))
        .into_tuple()
        .all(db.conn())
        .await?;
    let system = Actor::system("print batch");
    let mut made = 0;
    for tenant in tenants {
        match collect(
            db,
            blobs,
            renderer,
            &system,
            &Origin::default(),
            tenant,
            Some(today),
        )
        .await
        {
            Ok(Some(_)) => made += 1,
            // Another worker or the mailroom was quicker.
            Ok(None) | Err(CoreError::Conflict(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(made)
}

/// Records that the batch was handed to the post on `day`: each letter is dispatched
/// then, and each case says so in its timeline. Once only (a conflict after that).
pub async fn mark_posted(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    batch_id: Uuid,
    day: NaiveDate,
) -> Result<()> {
    policy::require(actor, tenant_id, Permission::RouteMail)?;
    let txn = db.begin_write().await?;
    let Some((_, letters)) = batch_of(&txn, tenant_id, batch_id).await? else {
        return Err(CoreError::NotFound("no such print batch".into()));
    };
    let posted = print_batch::Entity::update_many()
        .col_expr(print_batch::Column::PostedOn, Expr::value(day))
        .col_expr(
            print_batch::Column::PostedBy,
            Expr::value(actor.name.clone()),
        )
        .filter(print_batch::Column::Id.eq(batch_id))
        .filter(print_batch::Column::PostedOn.is_null())
        .exec(&txn)
        .await?;
    if posted.rows_affected == 0 {
        return Err(CoreError::Conflict(
            "the batch is marked as posted already".into(),
        ));
    }
    let dispatched = crate::time::start_of_day(day);
    issued_document::Entity::update_many()
        .col_expr(
            issued_document::Column::DispatchedAt,
            Expr::value(dispatched),
        )
        .filter(issued_document::Column::PrintBatchId.eq(batch_id))
        .exec(&txn)
        .await?;
    for letter in &letters {
        let entry = crate::cases::Entry::public("document_posted", actor.name.clone()).details(
            serde_json::json!({ "code": letter.code, "day": day.format("%d.%m.%Y").to_string() }),
        );
        crate::cases::record(&txn, letter.case_id, entry).await?;
    }
    let event = Event::new("print_batch.posted", "print_batch")
        .object(batch_id)
        .details(serde_json::json!({ "day": day, "letters": letters.len() }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(())
}

/// How long a posted batch is kept: time enough to reprint a letter lost in the post.
/// The letters themselves stay in their cases (and the day each was posted).
pub const KEEP_POSTED_DAYS: i64 = 90;

/// Deletes batches posted before `before` with their PDFs: a batch is a print artefact,
/// and it holds letters of cases that retention may have deleted since. Batches not
/// posted yet stay, however old. Returns how many were deleted.
pub async fn purge_posted(db: &Db, blobs: &BlobStore, before: NaiveDate) -> Result<usize> {
    let old = print_batch::Entity::find()
        .filter(print_batch::Column::PostedOn.lt(before))
        .all(db.conn())
        .await?;
    if old.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = old.iter().map(|b| b.id).collect();
    let txn = db.begin_write().await?;
    issued_document::Entity::update_many()
        .col_expr(
            issued_document::Column::PrintBatchId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(issued_document::Column::PrintBatchId.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    print_batch::Entity::delete_many()
        .filter(print_batch::Column::Id.is_in(ids))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let pdfs = old.iter().map(|b| b.pdf_sha256.clone()).collect();
    crate::blob_references::delete_unreferenced(db, blobs, pdfs).await?;
    Ok(old.len())
}

/// The manifest for a hybrid-mail provider: one line per letter with the address as
/// printed, its pages and sheets and where it lies in the batch PDF. Semicolons and
/// UTF-8, as German spreadsheet programs read them.
pub fn manifest(letters: &[Issued]) -> String {
    let mut csv = crate::csv::line(&[
        "nr",
        "aktenzeichen",
        "pruefcode",
        "art",
        "empfaenger",
        "seiten",
        "blaetter",
        "erste_seite",
        "letzte_seite",
    ]);
    let mut first = 1;
    for (i, letter) in letters.iter().enumerate() {
        let pages = letter.pages.max(1) as usize;
        let sheets = rathaus_letters::sheets(pages);
        let fields = [
            (i + 1).to_string(),
            letter.reference.clone(),
            letter.code.clone(),
            letter.kind.clone(),
            letter.recipient.replace('\n', ", "),
            pages.to_string(),
            sheets.to_string(),
            first.to_string(),
            (first + pages - 1).to_string(),
        ];
        csv.push_str(&crate::csv::line(&fields));
        first += sheets * 2;
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(reference: &str, pages: i32, recipient: &str) -> Issued {
        let now = Utc::now();
        Issued {
            id: Uuid::now_v7(),
            tenant_id: Uuid::nil(),
            case_id: Uuid::nil(),
            reference: reference.into(),
            kind: "decision".into(),
            title: format!("Bescheid {reference}"),
            code: "K7QM-4XPD-2RBT".into(),
            sha256: String::new(),
            size: 0,
            pages,
            key_id: Uuid::nil(),
            signature: String::new(),
            issued_at: now,
            issued_by: "Vera".into(),
            channel: "paper".into(),
            recipient: recipient.into(),
            message_id: None,
            print_batch_id: None,
            dispatched_at: None,
            revoked_at: None,
            revoked_reason: None,
        }
    }

    #[test]
    fn the_manifest_says_where_each_letter_lies_and_defuses_formulas() {
        let letters = [
            letter(
                "MS-2026-AAAAA",
                1,
                "Max Muster\nHauptstr. 1\n12345 Musterstadt",
            ),
            letter("MS-2026-BBBBB", 3, "=HYPERLINK(\"x\")\nWeg; 2"),
            letter("MS-2026-CCCCC", 2, "Erika"),
        ];
        let csv = manifest(&letters);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[1],
            "1;MS-2026-AAAAA;K7QM-4XPD-2RBT;decision;Max Muster, Hauptstr. 1, 12345 Musterstadt;1;1;1;1"
        );
        // 3 pages take 2 sheets: pages 3 to 5 of the batch, then a blank back.
        assert_eq!(
            lines[2],
            "2;MS-2026-BBBBB;K7QM-4XPD-2RBT;decision;\"'=HYPERLINK(\"\"x\"\"), Weg; 2\";3;2;3;5"
        );
        assert!(lines[3].ends_with(";2;1;7;8"), "{}", lines[3]);
    }
}
