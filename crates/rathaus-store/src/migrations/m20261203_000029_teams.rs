//! Teams within a department (e.g. "Bewohnerparken" and "Sondernutzung" in the traffic
//! department): staff belong to teams of their departments, a case can be given to a
//! team of its department (by hand or by a routing rule), and the inbox has a view of the
//! cases of one's teams.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("teams")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(uuid("department_id"))
                    .col(string_len("key", 40))
                    .col(string_len("name", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("teams", "department_id")
                            .to("departments", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("teams_department_key")
                    .table("teams")
                    .col("department_id")
                    .col("key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("staff_teams")
                    .col(uuid("staff_id"))
                    .col(uuid("team_id"))
                    .primary_key(Index::create().col("staff_id").col("team_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("staff_teams", "staff_id")
                            .to("staff_users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("staff_teams", "team_id")
                            .to("teams", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for table in ["cases", "routing_rules"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(uuid_null("team_id"))
                        .to_owned(),
                )
                .await?;
        }
        // The team view: a team's cases, most recently changed first.
        manager
            .create_index(
                Index::create()
                    .name("cases_team_changed")
                    .table("cases")
                    .col("tenant_id")
                    .col("team_id")
                    .col("updated_at")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("cases_team_changed")
                    .table("cases")
                    .to_owned(),
            )
            .await?;
        for table in ["cases", "routing_rules"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("team_id")
                        .to_owned(),
                )
                .await?;
        }
        for table in ["staff_teams", "teams"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
