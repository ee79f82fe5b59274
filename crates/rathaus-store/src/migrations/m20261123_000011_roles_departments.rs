//! Roles as data (per tenant, each a set of permission keys) and departments
//! (Fachdienste) that staff belong to. Tenants that exist already get the built-in roles.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::roles_seed::BUILT_IN_ROLES;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("roles")
                    .col(uuid("tenant_id"))
                    .col(string_len("key", 40))
                    .col(string("name_de"))
                    .col(string("name_en"))
                    // Comma-separated permission keys (`audit.read,staff.manage`).
                    .col(text("permissions"))
                    .primary_key(Index::create().col("tenant_id").col("key"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("roles", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("departments")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string_len("key", 40))
                    .col(string("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("departments", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("departments_tenant_key")
                    .table("departments")
                    .col("tenant_id")
                    .col("key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("staff_departments")
                    .col(uuid("staff_id"))
                    .col(uuid("department_id"))
                    .primary_key(Index::create().col("staff_id").col("department_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("staff_departments", "staff_id")
                            .to("staff_users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("staff_departments", "department_id")
                            .to("departments", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        seed_roles_of_existing_tenants(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["staff_departments", "departments", "roles"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn seed_roles_of_existing_tenants(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, "SELECT id FROM tenants"))
        .await?;
    for row in rows {
        let tenant: uuid::Uuid = row.try_get("", "id")?;
        for role in BUILT_IN_ROLES {
            let insert = Query::insert()
                .into_table("roles")
                .columns(["tenant_id", "key", "name_de", "name_en", "permissions"])
                .values_panic([
                    tenant.into(),
                    role.key.into(),
                    role.name_de.into(),
                    role.name_en.into(),
                    role.permissions.join(",").into(),
                ])
                .to_owned();
            db.execute_raw(backend.build(&insert)).await?;
        }
    }
    Ok(())
}
