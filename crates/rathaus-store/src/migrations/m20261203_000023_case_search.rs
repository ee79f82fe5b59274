//! The search text of every case (reference, title, applicant, answers, letters filed
//! into it) in a table of its own, indexed for substring search: PostgreSQL with
//! trigrams (pg_trgm), SQLite with an FTS5 index using the trigram tokenizer. The inbox
//! searched the cases with LIKE before, which reads every row: fine for a few thousand,
//! far too slow for a town with a million.
//!
//! Cases that existed before get their reference, title, applicant, answers (as
//! stored) and letters as text; new ones get only the answers' values.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::dialect;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The inbox lists by last change or arrival (the id breaks ties): the mailroom all cases of the
/// tenant, a caseworker those of their departments, or those assigned to them; and the
/// overdue ones.
const INDEXES: &[(&str, &[&str])] = &[
    ("cases_changed", &["tenant_id", "updated_at", "id"]),
    // Oldest first, and the mailroom's view of the day.
    ("cases_received", &["tenant_id", "created_at", "id"]),
    (
        "cases_department_changed",
        &["tenant_id", "department_id", "updated_at", "id"],
    ),
    (
        "cases_assignee_changed",
        &[
            "assignee_id",
            "tenant_id",
            "department_id",
            "updated_at",
            "id",
        ],
    ),
    // The overdue view: the few open cases of a department past their deadline.
    (
        "cases_open_due",
        &["tenant_id", "department_id", "state", "due_at"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("case_search")
                    // A stable integer key: SQLite's full-text index refers to rows by it.
                    .col(big_integer("id").primary_key().auto_increment())
                    .col(uuid("case_id").unique_key())
                    .col(uuid("tenant_id"))
                    // Lower case, one part per line.
                    .col(text("text"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("case_search", "case_id")
                            .to("cases", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table("cases");
            for column in *columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        for sql in dialect::CASE_SEARCH.create_sql(backend) {
            db.execute_unprepared(&sql).await?;
        }
        db.execute_unprepared(dialect::case_search_backfill_sql(backend))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in dialect::CASE_SEARCH.drop_sql(db.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(*name).table("cases").to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("case_search").to_owned())
            .await
    }
}
