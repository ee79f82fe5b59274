//! The few places where SQLite and PostgreSQL need different SQL. Everything else is
//! written once through sea-orm / sea-query; keep backend differences in this module.

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::error::Result;

pub(crate) async fn table_exists(conn: &impl ConnectionTrait, table: &str) -> Result<bool> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
        _ => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [table.into()]))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0)
        > 0)
}

/// Claims up to `limit` due jobs for one worker and returns their ids. A job is due
/// when it is queued and its time has come, or when it is running but its lease ran
/// out (its worker died). PostgreSQL skips rows other workers hold; SQLite has one
/// writer at a time, so the single UPDATE is already atomic.
pub(crate) fn claim_jobs_statement(
    backend: DbBackend,
    now: Value,
    lease_until: Value,
    worker: Value,
    limit: i64,
) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2, locked_by = $3, updated_at = $1 \
             WHERE id IN (SELECT id FROM jobs \
                WHERE (state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until < $1) \
                ORDER BY run_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING id, tenant_id, kind, payload, attempts, max_attempts"
        }
        _ => {
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = ?2, locked_by = ?3, updated_at = ?1 \
             WHERE id IN (SELECT id FROM jobs \
                WHERE (state = 'queued' AND run_at <= ?1) OR (state = 'running' AND locked_until < ?1) \
                ORDER BY run_at LIMIT ?4) \
             RETURNING id, tenant_id, kind, payload, attempts, max_attempts"
        }
    };
    Statement::from_sql_and_values(backend, sql, [now, lease_until, worker, limit.into()])
}

/// Triggers that make the audit log append-only at the database level: an UPDATE or
/// DELETE fails. (Someone with the rights to drop the trigger can still tamper; the
/// hash chain is what detects that.)
pub(crate) fn audit_append_only_sql(backend: DbBackend) -> &'static [&'static str] {
    match backend {
        DbBackend::Postgres => &[
            "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql",
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        ],
        _ => &[
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        ],
    }
}

/// The full-text index the service catalog had until the search moved into memory
/// (migration 17 drops it; migration 14 still creates it). PostgreSQL indexed
/// `search_source` with its `german` configuration, SQLite kept stemmed words in FTS5.
pub(crate) fn service_search_index_sql(backend: DbBackend) -> &'static [&'static str] {
    match backend {
        DbBackend::Postgres => &[
            "CREATE INDEX services_search ON services USING GIN (to_tsvector('german', search_source))",
        ],
        _ => &[
            "CREATE VIRTUAL TABLE services_fts USING fts5(service_key UNINDEXED, words, \
             tokenize = 'unicode61 remove_diacritics 2')",
        ],
    }
}

pub(crate) fn drop_service_search_index_sql(backend: DbBackend) -> &'static [&'static str] {
    match backend {
        DbBackend::Postgres => &["DROP INDEX IF EXISTS services_search"],
        _ => &["DROP TABLE IF EXISTS services_fts"],
    }
}
