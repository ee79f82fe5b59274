//! The mailroom (Poststelle): decides which department gets what arrives. Applications
//! go by their service (the catalog names its department, a town may name another); what
//! finds no department of the town stays with the mailroom. Paper mail is scanned, read
//! and filed by a person (`paper`).

pub mod ocr;
pub mod paper;

use rathaus_store::entities::department;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::catalog::Service;
use crate::departments;
use crate::error::Result;

/// The department of the tenant responsible for `service`, if it has one by that key.
pub async fn department_for(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    service: &Service,
) -> Result<Option<department::Model>> {
    match &service.department {
        Some(key) => departments::by_key(conn, tenant_id, key).await,
        None => Ok(None),
    }
}
