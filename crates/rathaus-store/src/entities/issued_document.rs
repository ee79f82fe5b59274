use sea_orm::entity::prelude::*;

/// A document the town issued (a letter, a permit); the PDF is in the blob store under
/// `sha256`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "issued_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub case_id: Uuid,
    /// The case's reference (Aktenzeichen) as printed.
    pub reference: String,
    /// `receipt`, `decision`, `parking_permit` … (rathaus_letters::Kind).
    pub kind: String,
    pub title: String,
    /// The short code printed on the document and held by its QR code.
    #[sea_orm(unique)]
    pub code: String,
    pub sha256: String,
    pub size: i64,
    pub pages: i32,
    pub key_id: Uuid,
    /// Ed25519 signature (hex) of the document's statement (see rathaus_core::letters).
    pub signature: String,
    pub issued_at: DateTimeUtc,
    pub issued_by: String,
    /// `postbox` or `paper`.
    pub channel: String,
    /// The address as printed in the window, one line each.
    pub recipient: String,
    /// The postbox message that carried it.
    pub message_id: Option<Uuid>,
    /// The print batch a paper letter went into.
    pub print_batch_id: Option<Uuid>,
    /// When it went out (the postbox at once; paper: the day its batch was posted).
    pub dispatched_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
