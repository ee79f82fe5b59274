//! The deadline of a case rests while the department waits for the applicant: since
//! when it rests (NULL while it runs); when the case moves on, the deadline moves by
//! the days it rested.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("cases")
                    .add_column(timestamp_with_time_zone_null("deadline_paused_at"))
                    .to_owned(),
            )
            .await?;
        // Cases waiting for the applicant now have rested since their last change (the
        // step that asked). The state's key as the standard workflow had it then.
        let waiting = Query::update()
            .table("cases")
            .value("deadline_paused_at", Expr::col("updated_at"))
            .and_where(Expr::col("state").eq("unterlagen_nachgefordert"))
            .to_owned();
        manager.exec_stmt(waiting).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter()
            .table("cases")
            .drop_column("deadline_paused_at")
            .to_owned();
        manager.alter_table(drop).await
    }
}
