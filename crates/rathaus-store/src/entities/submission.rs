use sea_orm::entity::prelude::*;

/// An application as sent; never changed afterwards.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "submissions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `MS-2026-7K3QX`: prefix, year, five characters without look-alikes.
    pub reference: String,
    pub service_key: String,
    pub service_name: String,
    /// The definition filled in (`form_snapshots`).
    pub form_sha256: String,
    /// JSON of `rathaus_forms::fill::Answers`.
    pub answers: String,
    pub citizen_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    pub applicant_name: String,
    pub trust_level: String,
    /// The draft's id: sending it again finds this submission.
    pub idempotency_key: String,
    /// SHA-256 of the status link's secret (anonymous submissions).
    pub status_secret_hash: Option<String>,
    pub fee_cents: Option<i64>,
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
