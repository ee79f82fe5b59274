//! The postbox (Postfach): messages between an applicant and the department about one
//! case, in both directions. The content stays in the portal; the applicant's e-mail only
//! says that there is something new, with a link.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rathaus_store::blob::Bytes;
use rathaus_store::entities::{postbox_file, postbox_message};
use rathaus_store::{BlobStore, Db};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::mail;
use crate::tenants::Tenant;
use crate::uploads::{self, Accept, UploadProblem};

pub const TO_APPLICANT: &str = "to_applicant";
pub const FROM_APPLICANT: &str = "from_applicant";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: Uuid,
    pub to_applicant: bool,
    pub subject: String,
    pub body: String,
    pub sender: String,
    pub sent_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<postbox_message::Model> for Message {
    fn from(row: postbox_message::Model) -> Self {
        Self {
            id: row.id,
            to_applicant: row.direction == TO_APPLICANT,
            subject: row.subject,
            body: row.body,
            sender: row.sender,
            sent_at: row.sent_at,
            read_at: row.read_at,
        }
    }
}

/// A message to the applicant of a case, in the caller's transaction; with `notify`,
/// an e-mail to that address says there is a new message (and nothing of its content).
pub struct ToApplicant<'a> {
    pub case_id: Uuid,
    pub subject: &'a str,
    pub body: &'a str,
    pub sender: &'a str,
    /// The applicant's address and the link to the case in the portal.
    pub notify: Option<(&'a str, &'a str)>,
}

pub async fn send_to_applicant(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    message: ToApplicant<'_>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    postbox_message::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.id),
        case_id: Set(message.case_id),
        direction: Set(TO_APPLICANT.into()),
        subject: Set(message.subject.to_owned()),
        body: Set(message.body.to_owned()),
        sender: Set(message.sender.to_owned()),
        sent_at: Set(Utc::now()),
        read_at: Set(None),
    }
    .insert(conn)
    .await?;
    if let Some((address, link)) = message.notify {
        let text = format!(
            "in Ihrem Postfach liegt eine neue Nachricht für Sie. Aus Gründen des \
             Datenschutzes steht ihr Inhalt nicht in dieser E-Mail. Sie lesen sie nach der \
             Anmeldung hier:\n{link}"
        );
        let notice = mail::letter(tenant, address, "Neue Nachricht in Ihrem Postfach", &text);
        mail::enqueue(conn, tenant.id, notice).await?;
    }
    Ok(id)
}

/// The messages of a case, oldest first.
pub async fn of_case(conn: &impl ConnectionTrait, case_id: Uuid) -> Result<Vec<Message>> {
    Ok(postbox_message::Entity::find()
        .filter(postbox_message::Column::CaseId.eq(case_id))
        .order_by_asc(postbox_message::Column::SentAt)
        .order_by_asc(postbox_message::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Message::from)
        .collect())
}

/// Marks the messages to the applicant of a case as read (the applicant opened it).
pub async fn mark_read_by_applicant(conn: &impl ConnectionTrait, case_id: Uuid) -> Result<()> {
    postbox_message::Entity::update_many()
        .col_expr(postbox_message::Column::ReadAt, Some(Utc::now()).into())
        .filter(postbox_message::Column::CaseId.eq(case_id))
        .filter(postbox_message::Column::Direction.eq(TO_APPLICANT))
        .filter(postbox_message::Column::ReadAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// How many messages to the applicant are unread, by case (cases without any left out).
pub async fn unread_by_case(
    conn: &impl ConnectionTrait,
    case_ids: &[Uuid],
) -> Result<HashMap<Uuid, usize>> {
    let unread = postbox_message::Entity::find()
        .filter(postbox_message::Column::CaseId.is_in(case_ids.iter().copied()))
        .filter(postbox_message::Column::Direction.eq(TO_APPLICANT))
        .filter(postbox_message::Column::ReadAt.is_null())
        .all(conn)
        .await?;
    let mut by_case = HashMap::new();
    for message in unread {
        *by_case.entry(message.case_id).or_insert(0) += 1;
    }
    Ok(by_case)
}

/// A file of a message as read back.
pub type MessageFile = postbox_file::Model;

/// What one message may carry.
pub const MAX_FILES_PER_MESSAGE: usize = 10;

/// The types and size applicants may send (scans and photos of documents).
pub fn reply_accepts() -> Vec<String> {
    ["application/pdf", "image/jpeg", "image/png", "image/tiff"]
        .map(str::to_owned)
        .to_vec()
}

pub const REPLY_MAX_BYTES: u64 = 20 * 1024 * 1024;

/// Whether the applicant can still write about the case: not once it is closed.
pub fn takes_answers(case: &crate::cases::Case) -> bool {
    case.phase != crate::workflow::Phase::Closed.as_str()
}

fn closed() -> CoreError {
    CoreError::Conflict("the case is closed and takes no more messages".into())
}

/// An applicant's message about their case, with files. Every file is checked first; if
/// one is refused, nothing is stored (the answer says which and why). A closed case
/// takes none (a conflict, also when it closed while the message was on its way).
pub async fn reply_from_applicant(
    db: &Db,
    blobs: &BlobStore,
    case: &crate::cases::Case,
    sender: &str,
    text: &str,
    files: Vec<(String, Bytes)>,
) -> Result<std::result::Result<Uuid, (String, UploadProblem)>> {
    if !takes_answers(case) {
        return Err(closed());
    }
    let media_types = reply_accepts();
    let accept = Accept {
        media_types: &media_types,
        max_bytes: REPLY_MAX_BYTES,
    };
    let stored =
        match uploads::check_and_store(blobs, files, &accept, MAX_FILES_PER_MESSAGE).await? {
            Ok(stored) => stored,
            Err(refused) => return Ok(Err(refused)),
        };
    let txn = db.begin_write().await?;
    let now = rathaus_store::entities::case::Entity::find_by_id(case.id)
        .one(&txn)
        .await?;
    if !now.as_ref().is_some_and(takes_answers) {
        return Err(closed());
    }
    let id = Uuid::now_v7();
    postbox_message::ActiveModel {
        id: Set(id),
        tenant_id: Set(case.tenant_id),
        case_id: Set(case.id),
        direction: Set(FROM_APPLICANT.into()),
        subject: Set(String::new()),
        body: Set(text.trim().to_owned()),
        sender: Set(sender.to_owned()),
        sent_at: Set(Utc::now()),
        read_at: Set(None),
    }
    .insert(&txn)
    .await?;
    for (name, media_type, blob) in &stored {
        let file_id = Uuid::now_v7();
        postbox_file::ActiveModel {
            id: Set(file_id),
            message_id: Set(id),
            sha256: Set(blob.sha256.clone()),
            size: Set(blob.size as i64),
            media_type: Set((*media_type).to_owned()),
            file_name: Set(name.clone()),
        }
        .insert(&txn)
        .await?;
        let file = crate::documents::Stored {
            sha256: &blob.sha256,
            size: blob.size as i64,
            media_type,
            file_name: name,
            text: None,
        };
        let new = crate::documents::NewDocument {
            tenant_id: case.tenant_id,
            case_id: case.id,
            kind: crate::documents::Kind::MessageFile,
            title: name,
            source_id: Some(file_id),
            added_by: sender,
            file,
        };
        crate::documents::file(&txn, new).await?;
    }
    let entry = crate::cases::Entry::public("message_received", sender)
        .details(serde_json::json!({ "files": stored.len() }));
    crate::cases::record(&txn, case.id, entry).await?;
    crate::cases::touch(&txn, case.id).await?;
    txn.commit().await?;
    Ok(Ok(id))
}

/// The files of these messages, in the order sent.
pub async fn files_of(conn: &impl ConnectionTrait, messages: &[Uuid]) -> Result<Vec<MessageFile>> {
    Ok(postbox_file::Entity::find()
        .filter(postbox_file::Column::MessageId.is_in(messages.iter().copied()))
        .order_by_asc(postbox_file::Column::Id)
        .all(conn)
        .await?)
}
