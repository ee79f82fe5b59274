//! The e-file (E-Akte): every document of a case in one register. A file joins it in
//! the same transaction that brings it into the case — sent with the application or a
//! message, a scan filed by the mailroom, a letter issued — and staff add internal
//! documents and new versions. Versions are never changed: a new one gets the next
//! number, and every version is sealed into the daily evidence ([`evidence`]).

pub mod evidence;
pub mod export;
pub mod text;

use chrono::Utc;
use rathaus_store::entities::{document, document_search, document_version};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::cases::Case;
use crate::error::{CoreError, Result};
use crate::policy::{self, CaseScope};

pub type Document = document::Model;
pub type Version = document_version::Model;

/// Where a document came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Sent with the application.
    ApplicationFile,
    /// Sent with a postbox message.
    MessageFile,
    /// A paper letter, scanned by the mailroom.
    Scan,
    /// Issued by the town (decision, permit, …).
    Letter,
    /// Added by staff (a note, a statement of another office).
    Internal,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApplicationFile => "application_file",
            Self::MessageFile => "message_file",
            Self::Scan => "scan",
            Self::Letter => "letter",
            Self::Internal => "internal",
        }
    }

    /// Which way it went: applicants' files and scans came in, letters went out.
    pub fn direction(self) -> &'static str {
        match self {
            Self::ApplicationFile | Self::MessageFile | Self::Scan => "incoming",
            Self::Letter => "outgoing",
            Self::Internal => "internal",
        }
    }
}

/// The bytes of a version, already in the blob store.
pub struct Stored<'a> {
    pub sha256: &'a str,
    pub size: i64,
    pub media_type: &'a str,
    pub file_name: &'a str,
    /// Its text, where it is known (recognised from a scan, written by Rathaus).
    pub text: Option<&'a str>,
}

/// A document joining the case's file.
pub struct NewDocument<'a> {
    pub tenant_id: Uuid,
    pub case_id: Uuid,
    pub kind: Kind,
    pub title: &'a str,
    pub source_id: Option<Uuid>,
    pub added_by: &'a str,
    pub file: Stored<'a>,
}

/// Files a document with its first version, in the caller's transaction.
pub async fn file(conn: &impl ConnectionTrait, new: NewDocument<'_>) -> Result<Uuid> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    document::ActiveModel {
        id: Set(id),
        tenant_id: Set(new.tenant_id),
        case_id: Set(new.case_id),
        kind: Set(new.kind.as_str().to_owned()),
        direction: Set(new.kind.direction().to_owned()),
        title: Set(clipped(new.title, 300)),
        source_id: Set(new.source_id),
        created_at: Set(now),
        created_by: Set(new.added_by.to_owned()),
        versions: Set(1),
    }
    .insert(conn)
    .await?;
    write_version(conn, new.tenant_id, id, 1, new.added_by, &new.file).await?;
    document_search::ActiveModel {
        document_id: Set(id),
        tenant_id: Set(new.tenant_id),
        text: Set(search_text(new.title, new.file.file_name, new.file.text)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(id)
}

async fn write_version(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    document_id: Uuid,
    number: i32,
    added_by: &str,
    file: &Stored<'_>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    document_version::ActiveModel {
        id: Set(id),
        document_id: Set(document_id),
        tenant_id: Set(tenant_id),
        number: Set(number),
        sha256: Set(file.sha256.to_owned()),
        size: Set(file.size),
        media_type: Set(file.media_type.to_owned()),
        file_name: Set(clipped(file.file_name, 300)),
        text: Set(file.text.map(str::to_owned)),
        added_at: Set(Utc::now()),
        added_by: Set(added_by.to_owned()),
        sealed_on: Set(None),
    }
    .insert(conn)
    .await?;
    if file.text.is_none() && text::readable(file.media_type) {
        text::queue(conn, tenant_id, id).await?;
    }
    Ok(id)
}

/// Title, file name and text, in lower case, as the search reads them.
fn search_text(title: &str, file_name: &str, text: Option<&str>) -> String {
    [Some(title), Some(file_name), text]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase()
}

fn clipped(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// Adds a version to a document of the case: the old ones stay as they are. Someone
/// who added a version meanwhile makes this a conflict (the caller read `seen`).
pub async fn add_version(
    db: &rathaus_store::Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    document_id: Uuid,
    seen: i32,
    file: Stored<'_>,
) -> Result<i32> {
    policy::require_case(actor, case)?;
    let txn = db.begin_write().await?;
    let Some(found) = one_of_case(&txn, case, document_id).await? else {
        return Err(CoreError::NotFound(format!("document {document_id}")));
    };
    let number = seen + 1;
    let moved = document::Entity::update_many()
        .col_expr(document::Column::Versions, Expr::value(number))
        .filter(document::Column::Id.eq(document_id))
        .filter(document::Column::Versions.eq(seen))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(CoreError::Conflict(
            "another version was added meanwhile".into(),
        ));
    }
    write_version(
        &txn,
        case.tenant_id,
        document_id,
        number,
        &actor.name,
        &file,
    )
    .await?;
    document_search::Entity::update_many()
        .col_expr(
            document_search::Column::Text,
            Expr::value(search_text(&found.title, file.file_name, file.text)),
        )
        .filter(document_search::Column::DocumentId.eq(document_id))
        .exec(&txn)
        .await?;
    let entry = crate::cases::Entry::internal("document_version_added", actor.name.clone())
        .details(serde_json::json!({ "title": found.title, "version": number }));
    crate::cases::record(&txn, case.id, entry).await?;
    crate::cases::touch(&txn, case.id).await?;
    let event = Event::new("document.version_added", "document")
        .object(document_id)
        .details(serde_json::json!({ "case": case.reference, "version": number }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(number)
}

/// Adds an internal document to the case (staff only, who may see the case).
pub async fn add_internal(
    db: &rathaus_store::Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    title: &str,
    file: Stored<'_>,
) -> Result<Uuid> {
    policy::require_case(actor, case)?;
    let txn = db.begin_write().await?;
    let id = self::file(
        &txn,
        NewDocument {
            tenant_id: case.tenant_id,
            case_id: case.id,
            kind: Kind::Internal,
            title,
            source_id: None,
            added_by: &actor.name,
            file,
        },
    )
    .await?;
    let entry = crate::cases::Entry::internal("document_added", actor.name.clone())
        .details(serde_json::json!({ "title": title }));
    crate::cases::record(&txn, case.id, entry).await?;
    crate::cases::touch(&txn, case.id).await?;
    let event = Event::new("document.add", "document")
        .object(id)
        .details(serde_json::json!({ "case": case.reference }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(id)
}

async fn one_of_case(
    conn: &impl ConnectionTrait,
    case: &Case,
    document_id: Uuid,
) -> Result<Option<Document>> {
    Ok(document::Entity::find_by_id(document_id)
        .filter(document::Column::CaseId.eq(case.id))
        .one(conn)
        .await?)
}

/// A document with its versions, the latest first.
pub struct Filed {
    pub document: Document,
    pub versions: Vec<Version>,
}

/// The case's file, oldest document first (the caller checked that the actor may see
/// the case).
pub async fn of_case(conn: &impl ConnectionTrait, case: &Case) -> Result<Vec<Filed>> {
    let documents = document::Entity::find()
        .filter(document::Column::CaseId.eq(case.id))
        .order_by_asc(document::Column::CreatedAt)
        .order_by_asc(document::Column::Id)
        .all(conn)
        .await?;
    let mut versions = document_version::Entity::find()
        .filter(document_version::Column::DocumentId.is_in(documents.iter().map(|d| d.id)))
        .order_by_desc(document_version::Column::Number)
        .all(conn)
        .await?;
    Ok(documents
        .into_iter()
        .map(|document| {
            let (own, rest) = versions
                .drain(..)
                .partition(|v| v.document_id == document.id);
            versions = rest;
            Filed {
                document,
                versions: own,
            }
        })
        .collect())
}

/// One version (the latest with `None`) of a document of the case, for a member of staff who may see it; the
/// access is in the audit log.
pub async fn version_for_staff(
    db: &rathaus_store::Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    document_id: Uuid,
    number: Option<i32>,
) -> Result<Option<(Document, Version)>> {
    policy::require_case(actor, case)?;
    let conn = db.conn();
    let Some(document) = one_of_case(conn, case, document_id).await? else {
        return Ok(None);
    };
    let Some(version) = document_version::Entity::find()
        .filter(document_version::Column::DocumentId.eq(document_id))
        .filter(document_version::Column::Number.eq(number.unwrap_or(document.versions)))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let event = Event::new("document.read", "document")
        .object(document_id)
        .details(serde_json::json!({ "case": case.reference, "version": version.number }));
    audit::record_now(db, actor, origin, event).await?;
    Ok(Some((document, version)))
}

/// A document found by the search, with the reference of its case.
pub struct Found {
    pub document: Document,
    pub reference: String,
}

/// How many documents the search shows at most.
pub const FOUND_AT_MOST: u64 = 50;

/// The documents of the tenant containing every word of `words` in their title, file
/// name or text, in the cases the actor may see, the newest first. The search itself is
/// in the audit log (it reads personal data).
pub async fn search(
    db: &rathaus_store::Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    words: &str,
) -> Result<Vec<Found>> {
    use rathaus_store::entities::case;
    let scope = policy::case_scope(actor, tenant_id)?;
    let lowered = crate::cases::search::words_of(words);
    if lowered.is_empty() {
        return Ok(Vec::new());
    }
    let conn = db.conn();
    let matching = rathaus_store::dialect::DOCUMENT_SEARCH.containing(
        conn.get_database_backend(),
        tenant_id,
        &lowered,
    );
    let mut query = document::Entity::find()
        .filter(document::Column::TenantId.eq(tenant_id))
        .filter(document::Column::Id.in_subquery(matching));
    if let CaseScope::Departments(ids) = scope {
        let visible = sea_orm::sea_query::Query::select()
            .column(case::Column::Id)
            .from(case::Entity)
            .and_where(case::Column::DepartmentId.is_in(ids))
            .to_owned();
        query = query.filter(document::Column::CaseId.in_subquery(visible));
    }
    let documents = query
        .order_by_desc(document::Column::CreatedAt)
        .limit(FOUND_AT_MOST)
        .all(conn)
        .await?;
    let references: Vec<(uuid::Uuid, String)> = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .column(case::Column::Reference)
        .filter(case::Column::Id.is_in(documents.iter().map(|d| d.case_id)))
        .into_tuple()
        .all(conn)
        .await?;
    let event = Event::new("document.search", "document")
        .details(serde_json::json!({ "words": lowered, "found": documents.len() }));
    audit::record_now(db, actor, origin, event).await?;
    Ok(documents
        .into_iter()
        .map(|document| Found {
            reference: references
                .iter()
                .find(|(id, _)| *id == document.case_id)
                .map(|(_, r)| r.clone())
                .unwrap_or_default(),
            document,
        })
        .collect())
}
