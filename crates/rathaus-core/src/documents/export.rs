//! The export of a finished case as one self-contained ZIP package, for handing a file
//! to another authority, to an archive, or to a court: every version of every document
//! as stored, the case's data and history as JSON (`vorgang.json`), the evidence record
//! of each sealed version (`nachweise/`), and the town's public signing keys
//! (`schluessel.json`) so that signatures and evidence can be checked without access to
//! Rathaus (`rathaus archive check`). xdomea comes later; this package carries what it
//! will need.

use std::io::Write;

use rathaus_store::{BlobStore, Db};
use serde_json::json;
use zip::write::SimpleFileOptions;

use super::evidence;
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::cases::{self, Case, deadlines};
use crate::error::{CoreError, Result};
use crate::policy;

/// Why a case cannot be exported yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotYet {
    /// Only a finished case is exported: an open one still changes.
    Open,
}

/// A file name that is safe inside the package: no folders, no control characters.
fn plain(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.').trim();
    if trimmed.is_empty() {
        "datei".into()
    } else {
        trimmed.to_owned()
    }
}

fn zip_error(e: impl std::fmt::Display) -> CoreError {
    CoreError::Invalid(format!("the package could not be written: {e}"))
}

/// The package of `case` as ZIP bytes, for a member of staff who may see the case; the
/// export is in the audit log.
pub async fn package(
    db: &Db,
    blobs: &BlobStore,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
) -> Result<std::result::Result<Vec<u8>, NotYet>> {
    policy::require_case(actor, case)?;
    if !deadlines::is_finished(case) {
        return Ok(Err(NotYet::Open));
    }
    let conn = db.conn();
    let filed = super::of_case(conn, case).await?;
    let issued = crate::letters::of_case(conn, case.id).await?;
    let keys = crate::letters::signing::all(conn, case.tenant_id).await?;
    let timeline = cases::timeline(conn, case.id, false).await?;
    let fees = crate::payments::notices::of_case(conn, case.id).await?;
    let payments = match case.submission_id {
        Some(id) => crate::payments::of_submission(conn, id).await?,
        None => Vec::new(),
    };
    let department = crate::departments::of_case(conn, case)
        .await?
        .map(|d| d.name);
    let answers = match case.submission_id {
        Some(id) => crate::submissions::read(conn, case.tenant_id, id)
            .await?
            .map(|s| s.answers),
        None => None,
    };

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // Stored, not compressed: the files are mostly PDFs and images, compressed already.
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o644);
    let mut documents = Vec::with_capacity(filed.len());
    for (position, file) in filed.iter().enumerate() {
        let mut versions = Vec::with_capacity(file.versions.len());
        // Oldest version first, as they were added.
        for version in file.versions.iter().rev() {
            let path = format!(
                "dokumente/{:03}-v{}-{}",
                position + 1,
                version.number,
                plain(&version.file_name)
            );
            let bytes = blobs.get(&version.sha256).await?;
            zip.start_file(path.as_str(), options).map_err(zip_error)?;
            zip.write_all(&bytes).map_err(zip_error)?;
            let evidence_path = match evidence::record(db, blobs, version).await? {
                Some(record) => {
                    let path = format!("nachweise/{}-v{}.json", file.document.id, version.number);
                    zip.start_file(path.as_str(), options).map_err(zip_error)?;
                    let json = serde_json::to_vec_pretty(&record).expect("a record serialises");
                    zip.write_all(&json).map_err(zip_error)?;
                    Some(path)
                }
                None => None,
            };
            versions.push(json!({
                "number": version.number,
                "file": path,
                "file_name": version.file_name,
                "media_type": version.media_type,
                "size": version.size,
                "sha256": version.sha256,
                "added_at": version.added_at,
                "added_by": version.added_by,
                "sealed_on": version.sealed_on,
                "evidence": evidence_path,
            }));
        }
        documents.push(json!({
            "id": file.document.id,
            "kind": file.document.kind,
            "direction": file.document.direction,
            "title": file.document.title,
            "created_at": file.document.created_at,
            "created_by": file.document.created_by,
            "versions": versions,
        }));
    }
    let metadata = json!({
        "format": "rathaus-case-export/1",
        "case": {
            "reference": case.reference,
            "service": case.service_key,
            "title": case.title,
            "applicant": case.applicant_name,
            "department": department,
            "state": case.state,
            "phase": case.phase,
            "received_at": case.created_at,
            "closed_at": case.closed_at,
            "legal_hold": case.legal_hold,
        },
        "application": answers,
        "documents": documents,
        "issued": issued.iter().map(|d| json!({
            "code": d.code,
            "kind": d.kind,
            "title": d.title,
            "sha256": d.sha256,
            "issued_at": d.issued_at,
            "issued_by": d.issued_by,
            "channel": d.channel,
            "dispatched_at": d.dispatched_at,
            "revoked_at": d.revoked_at,
            "revoked_reason": d.revoked_reason,
            "key_id": d.key_id,
            "signature": d.signature,
        })).collect::<Vec<_>>(),
        "fees": fees.iter().map(|n| json!({
            "id": n.id,
            "amount_cents": n.amount_cents,
            "label": n.label,
            "legal_basis": n.legal_basis,
            "due_on": n.due_on,
            "state": n.state,
            "issued_by": n.issued_by,
            "issued_at": n.created_at,
            "paid_at": n.paid_at,
        })).collect::<Vec<_>>(),
        // What the payment service reported; never card or bank data (there is none).
        "payments": payments.iter().map(|p| json!({
            "amount_cents": p.amount_cents,
            "currency": p.currency,
            "state": p.state,
            "method": p.method,
            "booking_reference": p.reference,
            "provider": p.provider,
            "transaction_id": p.transaction_id,
            "created_at": p.created_at,
            "paid_at": p.paid_at,
            "fee_notice": p.fee_notice_id,
        })).collect::<Vec<_>>(),
        "history": timeline.iter().map(|e| json!({
            "at": e.at,
            "kind": e.kind,
            "actor": e.actor,
            "public": e.public,
            "details": e.details,
        })).collect::<Vec<_>>(),
    });
    zip.start_file("vorgang.json", options).map_err(zip_error)?;
    zip.write_all(&serde_json::to_vec_pretty(&metadata).expect("metadata serialises"))
        .map_err(zip_error)?;
    let public_keys: Vec<_> = keys
        .iter()
        .map(|k| {
            json!({
                "id": k.id,
                "algorithm": "ed25519",
                "public_key": k.public_key,
                "created_at": k.created_at,
                "retired_at": k.retired_at,
            })
        })
        .collect();
    zip.start_file("schluessel.json", options)
        .map_err(zip_error)?;
    zip.write_all(&serde_json::to_vec_pretty(&public_keys).expect("keys serialise"))
        .map_err(zip_error)?;
    let bytes = zip.finish().map_err(zip_error)?.into_inner();

    let versions: usize = filed.iter().map(|f| f.versions.len()).sum();
    let event = Event::new("case.export", "case")
        .object(case.id)
        .details(json!({ "documents": filed.len(), "versions": versions, "bytes": bytes.len() }));
    audit::record_now(db, actor, origin, event).await?;
    Ok(Ok(bytes))
}
