//! Outgoing e-mail. Mail is never sent inside a request: [`enqueue`] writes a
//! `mail.send` job in the caller's transaction, and the worker delivers it, with
//! retries, through SMTP — or, where no relay is configured (the demo), into `.eml`
//! files in a folder so that nothing is lost and a developer can read them.
//!
//! SMTP cannot promise exactly-once delivery: a worker that dies after the server
//! accepted a mail but before the job was marked done sends it again. The Message-ID
//! is derived from the job id, so such a duplicate is recognisable as the same mail.

use std::path::PathBuf;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rathaus_store::Db;
use rathaus_store::jobs::{self, ClaimedJob, NewJob};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::jobs::{JobFailure, JobHandler};

pub const SEND_MAIL: &str = "mail.send";

/// How mail leaves Rathaus.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// `smtp://host:port`, `smtps://user:pass@host` or `smtp://host?tls=required`.
    Smtp { url: String },
    /// Write each mail as an `.eml` file into this folder (development, demo).
    Folder { path: PathBuf },
}

#[derive(Clone, Debug)]
pub struct MailConfig {
    pub delivery: Delivery,
    /// Sender, e.g. `Stadt Musterstadt <noreply@musterstadt.example>`.
    pub from: String,
}

/// One plain-text mail (HTML mail can come with templates later).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Checks an address the way the mail will need it, so that bad input is refused
/// where it is typed, not in a dead job.
pub fn parse_address(address: &str) -> Result<Mailbox> {
    address
        .trim()
        .parse::<Mailbox>()
        .map_err(|_| CoreError::Invalid(format!("'{}' is not an e-mail address", address.trim())))
}

/// A mail from the town hall to a citizen: greeting, text, signature.
pub fn letter(tenant: &crate::tenants::Tenant, to: &str, subject: &str, text: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: format!("{}: {subject}", tenant.name),
        body: format!(
            "Guten Tag,\n\n{text}\n\nMit freundlichen Grüßen\n{name}\n",
            name = tenant.name
        ),
    }
}

/// Queues a mail in the caller's transaction.
pub async fn enqueue(conn: &impl ConnectionTrait, tenant_id: Uuid, mail: Mail) -> Result<Uuid> {
    parse_address(&mail.to)?;
    let payload = serde_json::to_value(&mail).map_err(|e| CoreError::Invalid(e.to_string()))?;
    let ids = jobs::enqueue(
        conn,
        vec![NewJob::new(SEND_MAIL, payload).for_tenant(tenant_id)],
    )
    .await?;
    Ok(ids[0])
}

/// The `mail.send` job.
pub struct SendMail {
    from: Mailbox,
    transport: Transport,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(PathBuf),
}

impl SendMail {
    pub fn new(config: MailConfig) -> Result<Self> {
        let from = config.from.parse::<Mailbox>().map_err(|_| {
            CoreError::Invalid(format!("mail sender '{}' is not an address", config.from))
        })?;
        let transport = match config.delivery {
            Delivery::Smtp { url } => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|e| CoreError::Invalid(format!("SMTP URL '{url}': {e}")))?
                    .build(),
            ),
            Delivery::Folder { path } => Transport::Folder(path),
        };
        Ok(Self { from, transport })
    }

    fn message(&self, job: &ClaimedJob, mail: &Mail) -> Result<Message, JobFailure> {
        let domain = self.from.email.domain().to_owned();
        Ok(Message::builder()
            .message_id(Some(format!("<{}@{domain}>", job.id)))
            .from(self.from.clone())
            .to(parse_address(&mail.to).map_err(|e| JobFailure(e.to_string()))?)
            .subject(&mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())?)
    }
}

#[async_trait::async_trait]
impl JobHandler for SendMail {
    async fn run(&self, _db: &Db, job: &ClaimedJob) -> Result<(), JobFailure> {
        let mail: Mail = serde_json::from_value(job.payload.clone())?;
        let message = self.message(job, &mail)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
            Transport::Folder(path) => {
                tokio::fs::create_dir_all(path).await?;
                // Same job, same file name: a repeated run overwrites, never duplicates.
                tokio::fs::write(path.join(format!("{}.eml", job.id)), message.formatted()).await?;
            }
        }
        Ok(())
    }
}
