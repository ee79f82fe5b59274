//! Issued documents: letters about a case laid out as PDF/A (`rathaus_letters`), signed
//! by the town and verifiable by anyone.
//!
//! Issuing renders the letter with a new short code and its QR code, stores the PDF in
//! the blob store, and signs a statement naming the code, the kind, the time and the
//! SHA-256 of the PDF with the town's current key. The page `/verify/{code}` reads the
//! record back, checks the signature against the key that made it (also a retired one)
//! and compares an uploaded copy byte for byte by its hash. A revoked document (a
//! withdrawn permit) says so there.

pub mod codes;
pub mod compose;
pub mod print;
pub mod receipts;
pub mod signing;
pub mod texts;

use chrono::{DateTime, Datelike, Timelike, Utc};
use rathaus_letters::{Renderer, Timestamped, Verification};
use rathaus_store::BlobStore;
use rathaus_store::blob::Bytes;
use rathaus_store::entities::{citizen, issued_document, postbox_file, signing_key};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

pub use compose::{Input, Missing};
pub use rathaus_letters::Kind;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::cases::Case;
use crate::error::{CoreError, Result};
use crate::secrets::Sealer;
use crate::tenants::Tenant;

pub type Issued = issued_document::Model;

/// How an issued document reaches the applicant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Into the portal's postbox, with an e-mail notice.
    Postbox,
    /// Printed and posted with the next print batch.
    Paper,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Postbox => "postbox",
            Channel::Paper => "paper",
        }
    }

    /// How a letter of `kind` about `case` goes out. Paper where the service needs a
    /// paper original and the letter is that original (the permit, the certificate;
    /// receipts and requests still reach the postbox at once), where nobody has an
    /// account to receive it (an application on paper, a case opened by hand), and where
    /// the citizen asked for letters by post (digital delivery needs their consent);
    /// into the postbox otherwise. An organisation's case goes to its postbox.
    pub async fn for_letter(conn: &impl ConnectionTrait, case: &Case, kind: Kind) -> Result<Self> {
        if kind.is_original() {
            let service =
                crate::catalog::service_of(conn, case.tenant_id, &case.service_key).await?;
            if service.is_some_and(|s| s.delivery == crate::catalog::Delivery::Paper) {
                return Ok(Channel::Paper);
            }
        }
        if case.organisation_id.is_some() {
            return Ok(Channel::Postbox);
        }
        let Some(citizen_id) = case.citizen_id else {
            return Ok(Channel::Paper);
        };
        let asked_for_paper = citizen::Entity::find_by_id(citizen_id)
            .one(conn)
            .await?
            .is_some_and(|c| c.delivery == Channel::Paper.as_str());
        Ok(if asked_for_paper {
            Channel::Paper
        } else {
            Channel::Postbox
        })
    }
}

/// What issuing needs besides the database: the layout engine, the blob store for the
/// PDF, the server's sealer (it opens the town's signing key), and the address of the
/// verification page as the applicant's browser knows it (`https://host/verify`).
#[derive(Clone, Copy)]
pub struct Desk<'a> {
    pub renderer: &'a Renderer,
    pub blobs: &'a BlobStore,
    pub sealer: &'a Sealer,
    pub verify_page: &'a str,
}

/// A letter rendered, signed and stored, to be recorded in the caller's transaction.
pub struct Prepared {
    id: Uuid,
    kind: Kind,
    title: String,
    code: String,
    sha256: String,
    size: u64,
    pages: usize,
    key_id: Uuid,
    signature: String,
    issued_at: DateTime<Utc>,
    file_name: String,
    recipient: String,
    /// Subject and paragraphs, for the e-file's search.
    text: String,
}

impl Prepared {
    pub fn kind(&self) -> Kind {
        self.kind
    }
}

/// What a signature says: this town issued this document, with this code, at this time.
/// Changing any of it breaks the signature.
fn statement(
    tenant_slug: &str,
    code: &str,
    kind: &str,
    issued_at: DateTime<Utc>,
    sha256: &str,
) -> String {
    format!(
        "rathaus-document/1\nissuer: {tenant_slug}\ncode: {code}\nkind: {kind}\nissued: {}\nsha256: {sha256}\n",
        issued_at.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

pub(crate) fn stamp(at: DateTime<Utc>) -> Timestamped {
    let small = |n: u32| u8::try_from(n).unwrap_or(0);
    Timestamped {
        year: at.year(),
        month: small(at.month()),
        day: small(at.day()),
        hour: small(at.hour()),
        minute: small(at.minute()),
        second: small(at.second()),
    }
}

/// Lays out `letter` on a blocking thread (typst is CPU work).
async fn render(
    renderer: &Renderer,
    letter: rathaus_letters::Letter,
    at: DateTime<Utc>,
) -> Result<rathaus_letters::Rendered> {
    let renderer = renderer.clone();
    tokio::task::spawn_blocking(move || renderer.render(&letter, stamp(at)))
        .await
        .map_err(|e| CoreError::Invalid(format!("letter layout stopped: {e}")))?
        .map_err(|e| CoreError::Invalid(e.to_string()))
}

/// The letter of `kind` as it would be issued, marked as a draft, without code.
pub async fn preview(
    conn: &impl ConnectionTrait,
    renderer: &Renderer,
    tenant: &Tenant,
    case: &Case,
    actor: &Actor,
    kind: Kind,
    input: &Input,
) -> Result<std::result::Result<Vec<u8>, Missing>> {
    crate::policy::require_case(actor, case)?;
    let now = Utc::now();
    let today = crate::time::local_day(now);
    let mut letter = match compose::letter(conn, tenant, case, actor, kind, input, today).await? {
        Ok(letter) => letter,
        Err(missing) => return Ok(Err(missing)),
    };
    letter.draft = true;
    Ok(Ok(render(renderer, letter, now).await?.pdf))
}

/// A sample letter in the town's letterhead as it is set now, marked as a draft: what
/// admins look at after changing the town's settings.
pub async fn sample(renderer: &Renderer, tenant: &Tenant, actor: &Actor) -> Result<Vec<u8>> {
    crate::policy::require(actor, tenant.id, crate::policy::Permission::ManageTenant)?;
    let now = Utc::now();
    let letter = compose::sample(tenant, &actor.name, crate::time::local_day(now));
    Ok(render(renderer, letter, now).await?.pdf)
}

/// Renders, signs and stores the letter of `kind` about `case`; recorded by [`record`].
/// The PDF is in the blob store before any row names it.
pub async fn prepare(
    conn: &impl ConnectionTrait,
    desk: Desk<'_>,
    tenant: &Tenant,
    case: &Case,
    actor: &Actor,
    kind: Kind,
    input: &Input,
) -> Result<std::result::Result<Prepared, Missing>> {
    let issued_at = Utc::now()
        .with_nanosecond(0)
        .expect("zero nanoseconds are valid");
    let today = crate::time::local_day(issued_at);
    let mut letter = match compose::letter(conn, tenant, case, actor, kind, input, today).await? {
        Ok(letter) => letter,
        Err(missing) => return Ok(Err(missing)),
    };
    let code = codes::new();
    let page = desk.verify_page.trim_end_matches('/');
    letter.verification = Some(Verification {
        link: format!("{page}/{code}"),
        page: page
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_owned(),
        code: code.clone(),
    });
    let title = letter.title.clone();
    let recipient = letter.recipient.join("\n");
    let text = std::iter::once(&letter.subject)
        .chain(&letter.paragraphs)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    let rendered = render(desk.renderer, letter, issued_at).await?;
    let stored = desk.blobs.put(Bytes::from(rendered.pdf)).await?;
    let key = signing::current(conn, desk.sealer, tenant.id).await?;
    let said = statement(&tenant.slug, &code, kind.key(), issued_at, &stored.sha256);
    let signature = signing::sign(desk.sealer, &key, &said)?;
    Ok(Ok(Prepared {
        id: Uuid::now_v7(),
        kind,
        title,
        file_name: format!("{}-{}.pdf", kind.key().replace('_', "-"), case.reference),
        code,
        sha256: stored.sha256,
        size: stored.size,
        pages: rendered.pages,
        key_id: key.id,
        signature,
        issued_at,
        recipient,
        text,
    }))
}

/// Records a prepared document in the caller's transaction: sent with the postbox
/// message `message_id` (as its file) or waiting for the print batch.
pub async fn record(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    case: &Case,
    actor: &Actor,
    prepared: Prepared,
    channel: Channel,
    message_id: Option<Uuid>,
) -> Result<Uuid> {
    let postbox = channel == Channel::Postbox;
    issued_document::ActiveModel {
        id: Set(prepared.id),
        tenant_id: Set(tenant.id),
        case_id: Set(case.id),
        reference: Set(case.reference.clone()),
        kind: Set(prepared.kind.key().to_owned()),
        title: Set(prepared.title.clone()),
        code: Set(prepared.code.clone()),
        sha256: Set(prepared.sha256.clone()),
        size: Set(prepared.size as i64),
        pages: Set(prepared.pages as i32),
        key_id: Set(prepared.key_id),
        signature: Set(prepared.signature),
        issued_at: Set(prepared.issued_at),
        issued_by: Set(actor.name.clone()),
        channel: Set(channel.as_str().to_owned()),
        recipient: Set(prepared.recipient),
        message_id: Set(message_id.filter(|_| postbox)),
        print_batch_id: Set(None),
        dispatched_at: Set(postbox.then_some(prepared.issued_at)),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(conn)
    .await?;
    if let (true, Some(message_id)) = (postbox, message_id) {
        postbox_file::ActiveModel {
            id: Set(Uuid::now_v7()),
            message_id: Set(message_id),
            sha256: Set(prepared.sha256.clone()),
            size: Set(prepared.size as i64),
            media_type: Set("application/pdf".into()),
            file_name: Set(prepared.file_name.clone()),
        }
        .insert(conn)
        .await?;
    }
    let letter = crate::documents::NewDocument {
        tenant_id: tenant.id,
        case_id: case.id,
        kind: crate::documents::Kind::Letter,
        title: &prepared.title,
        source_id: Some(prepared.id),
        added_by: &actor.name,
        file: crate::documents::Stored {
            sha256: &prepared.sha256,
            size: prepared.size as i64,
            media_type: "application/pdf",
            file_name: &prepared.file_name,
            text: Some(&prepared.text),
        },
    };
    crate::documents::file(conn, letter).await?;
    let entry = crate::cases::Entry::internal("document_issued", actor.name.clone()).details(
        serde_json::json!({ "kind": prepared.kind.key(), "code": prepared.code, "channel": channel.as_str() }),
    );
    crate::cases::record(conn, case.id, entry).await?;
    Ok(prepared.id)
}

/// The documents issued in a case, oldest first.
pub async fn of_case(conn: &impl ConnectionTrait, case_id: Uuid) -> Result<Vec<Issued>> {
    Ok(issued_document::Entity::find()
        .filter(issued_document::Column::CaseId.eq(case_id))
        .order_by_asc(issued_document::Column::IssuedAt)
        .order_by_asc(issued_document::Column::Id)
        .all(conn)
        .await?)
}

/// What the verification page says about a document.
pub struct Verdict {
    pub document: Issued,
    /// The town's signature over the record holds (made by `key`).
    pub signature_valid: bool,
    pub key: Option<signing_key::Model>,
}

impl Verdict {
    /// Valid: signed by the town and not revoked.
    pub fn valid(&self) -> bool {
        self.signature_valid && self.document.revoked_at.is_none()
    }
}

async fn verdict(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    document: Issued,
) -> Result<Verdict> {
    let key = signing_key::Entity::find_by_id(document.key_id)
        .one(conn)
        .await?
        .filter(|k| k.tenant_id == tenant.id);
    let said = statement(
        &tenant.slug,
        &document.code,
        &document.kind,
        document.issued_at,
        &document.sha256,
    );
    let signature_valid = key
        .as_ref()
        .is_some_and(|key| signing::verify(key, &said, &document.signature));
    Ok(Verdict {
        document,
        signature_valid,
        key,
    })
}

/// The document with this code (as typed) issued by the tenant.
pub async fn by_code(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    typed: &str,
) -> Result<Option<Verdict>> {
    let Some(code) = codes::normalise(typed) else {
        return Ok(None);
    };
    let found = issued_document::Entity::find()
        .filter(issued_document::Column::TenantId.eq(tenant.id))
        .filter(issued_document::Column::Code.eq(code))
        .one(conn)
        .await?;
    match found {
        Some(document) => Ok(Some(verdict(conn, tenant, document).await?)),
        None => Ok(None),
    }
}

/// The document of the tenant whose PDF has exactly these bytes.
pub async fn by_content(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    pdf: &[u8],
) -> Result<Option<Verdict>> {
    use sha2::{Digest, Sha256};
    let sha256 = hex::encode(Sha256::digest(pdf));
    let found = issued_document::Entity::find()
        .filter(issued_document::Column::TenantId.eq(tenant.id))
        .filter(issued_document::Column::Sha256.eq(sha256))
        .one(conn)
        .await?;
    match found {
        Some(document) => Ok(Some(verdict(conn, tenant, document).await?)),
        None => Ok(None),
    }
}

/// Revokes an issued document (a withdrawn permit): the verification page says so from
/// now on. Audited; a document revoked already stays as it was.
pub async fn revoke(
    db: &rathaus_store::Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    document_id: Uuid,
    reason: &str,
) -> Result<()> {
    crate::policy::require_case(actor, case)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(CoreError::Invalid("a revocation needs a reason".into()));
    }
    let txn = db.begin_write().await?;
    let changed = issued_document::Entity::update_many()
        .col_expr(issued_document::Column::RevokedAt, Some(Utc::now()).into())
        .col_expr(
            issued_document::Column::RevokedReason,
            Some(reason.to_owned()).into(),
        )
        .filter(issued_document::Column::Id.eq(document_id))
        .filter(issued_document::Column::CaseId.eq(case.id))
        .filter(issued_document::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(CoreError::NotFound(
            "no such document in force in this case".into(),
        ));
    }
    let entry = crate::cases::Entry::public("document_revoked", actor.name.clone())
        .details(serde_json::json!({ "document": document_id, "reason": reason }));
    crate::cases::record(&txn, case.id, entry).await?;
    let event = Event::new("document.revoke", "case")
        .object(case.id)
        .details(serde_json::json!({ "document": document_id }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(())
}
