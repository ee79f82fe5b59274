//! Tenants, the job queue and the audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::dialect::audit_append_only_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("tenants")
                    .col(pk_uuid("id"))
                    .col(string_uniq("slug"))
                    .col(string("name"))
                    .col(string("reference_prefix"))
                    .col(text_null("logo_svg"))
                    .col(string("primary_color"))
                    .col(text("contact_address"))
                    .col(string("contact_phone"))
                    .col(string("contact_email"))
                    .col(text("contact_hours"))
                    .col(text("imprint"))
                    .col(text("privacy"))
                    .col(text("accessibility"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("tenant_hosts")
                    .col(string("host").primary_key())
                    .col(uuid("tenant_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("tenant_hosts", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("jobs")
                    .col(pk_uuid("id"))
                    .col(uuid_null("tenant_id"))
                    .col(string("kind"))
                    .col(json("payload"))
                    .col(string("state"))
                    .col(integer("attempts"))
                    .col(integer("max_attempts"))
                    .col(timestamp_with_time_zone("run_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(string_null("locked_by"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("jobs", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The claim query looks for due work by state and time.
        manager
            .create_index(
                Index::create()
                    .name("jobs_due")
                    .table("jobs")
                    .col("state")
                    .col("run_at")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(big_integer("seq").primary_key())
                    .col(uuid_null("tenant_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(string("actor_kind"))
                    .col(uuid_null("actor_id"))
                    .col(string("actor_name"))
                    .col(string_null("actor_role"))
                    .col(string("action"))
                    .col(string("object_type"))
                    .col(string_null("object_id"))
                    .col(string_null("ip"))
                    .col(text_null("user_agent"))
                    .col(text_null("purpose"))
                    .col(json("details"))
                    .col(string_len("prev_hash", 64))
                    .col(string_len("hash", 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant_at")
                    .table("audit_log")
                    .col("tenant_id")
                    .col("at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_head")
                    .col(integer("id").primary_key())
                    .col(big_integer("last_seq"))
                    .col(string_len("last_hash", 64))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '{}')",
            "0".repeat(64)
        ))
        .await?;
        for statement in audit_append_only_sql(db.get_database_backend()) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["audit_head", "audit_log", "jobs", "tenant_hosts", "tenants"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
