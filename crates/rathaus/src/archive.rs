//! `rathaus archive …`: the evidence of the e-file from the shell. `verify` checks the
//! whole archive (exit code 2 when anything changed); `evidence` writes one document's
//! evidence record; `check` checks a record against a file without any database, as a
//! third party would.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use rathaus_core::documents::evidence;
use rathaus_store::BlobStore;
use rathaus_store::entities::document_version;
use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::config::Config;
use crate::server;

pub async fn verify(config: &Config) -> Result<ExitCode> {
    let db = server::open_database(config).await?;
    let blobs = BlobStore::open(&config.blob_config())?;
    let report = evidence::verify_archive(&db, &blobs).await?;
    if report.problems.is_empty() {
        println!(
            "Archiv intakt / archive intact: {} document versions, {} sealed days checked.",
            report.versions, report.days
        );
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &report.problems {
        println!("{problem}");
    }
    println!(
        "Archiv verletzt / archive damaged: {} problems ({} document versions, {} sealed days checked).",
        report.problems.len(),
        report.versions,
        report.days
    );
    Ok(ExitCode::from(2))
}

pub async fn seal(config: &Config) -> Result<ExitCode> {
    let db = server::open_database(config).await?;
    let blobs = BlobStore::open(&config.blob_config())?;
    let sealed = evidence::seal_due(&db, &blobs, &config.sealer()?).await?;
    println!("{sealed} days sealed (today's documents are sealed tomorrow).");
    Ok(ExitCode::SUCCESS)
}

/// The evidence record of a document's version (the latest without `version`).
pub async fn record(config: &Config, document: Uuid, version: Option<i32>) -> Result<ExitCode> {
    let db = server::open_database(config).await?;
    let blobs = BlobStore::open(&config.blob_config())?;
    let mut query =
        document_version::Entity::find().filter(document_version::Column::DocumentId.eq(document));
    if let Some(number) = version {
        query = query.filter(document_version::Column::Number.eq(number));
    }
    let Some(found) = query
        .order_by_desc(document_version::Column::Number)
        .one(db.conn())
        .await?
    else {
        eprintln!("rathaus: no document {document} (or no such version)");
        return Ok(ExitCode::from(2));
    };
    match evidence::record(&db, &blobs, &found).await? {
        Some(record) => {
            println!("{}", serde_json::to_string_pretty(&record)?);
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!(
                "rathaus: version {} is not sealed yet; the housekeeping seals each day the next morning (or run `rathaus archive seal`)",
                found.number
            );
            Ok(ExitCode::from(2))
        }
    }
}

/// Checks `record` against `file`, with nothing else.
pub fn check(record: &Path, file: &Path) -> Result<ExitCode> {
    let text = std::fs::read_to_string(record)
        .with_context(|| format!("cannot read {}", record.display()))?;
    let parsed: evidence::Record = serde_json::from_str(&text)
        .with_context(|| format!("{} is no evidence record", record.display()))?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    match evidence::check(&parsed, &bytes) {
        Ok(signed) => {
            println!(
                "Nachweis gültig / evidence valid: {} was archived on {} unchanged; root {} signed by key {} ({}). Compare the key with the town's published keys (/verify/schluessel).",
                parsed.document.file_name,
                signed.day,
                signed.root,
                signed.key_id,
                signed.public_key
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            println!("Nachweis ungültig / evidence invalid: {problem}");
            Ok(ExitCode::from(2))
        }
    }
}
