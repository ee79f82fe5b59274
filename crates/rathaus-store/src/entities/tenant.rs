use sea_orm::entity::prelude::*;

/// A municipality. Every row of tenant data carries its id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short, URL-safe name ("musterstadt"); also the reference prefix source.
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    /// Two or three letters that start every reference number ("MS").
    pub reference_prefix: String,
    /// Coat of arms or logo as SVG markup (served from our own origin).
    pub logo_svg: Option<String>,
    /// Main colour as #rrggbb; checked for contrast when set.
    pub primary_color: String,
    pub contact_address: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub contact_hours: String,
    pub imprint: String,
    pub privacy: String,
    pub accessibility: String,
    pub created_at: DateTimeUtc,
    /// The account for payments by transfer, as one line ("Stadtkasse · IBAN … · BIC …").
    pub bank_details: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
