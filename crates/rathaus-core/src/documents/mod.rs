//! The e-file (E-Akte): every document of a case in one register. A file joins it in
//! the same transaction that brings it into the case — sent with the application or a
//! message, a scan filed by the mailroom, a letter issued — and staff add internal
//! documents and new versions. Versions are never changed: a new one gets the next
//! number, and every version is sealed into the daily evidence ([`evidence`]).

pub mod evidence;

use chrono::Utc;
use rathaus_store::entities::{document, document_search, document_version};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::cases::Case;
use crate::error::Result;
use crate::policy;

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
        text: Set(search_text(new.title, &new.file)),
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
    Ok(id)
}

/// Title, file name and text, in lower case, as the search reads them.
fn search_text(title: &str, file: &Stored<'_>) -> String {
    [Some(title), Some(file.file_name), file.text]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase()
}

fn clipped(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
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
