//! The few places where SQLite and PostgreSQL need different SQL. Everything else is
//! written once through sea-orm / sea-query; keep backend differences in this module.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, LikeExpr, Query, SelectStatement};
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

/// A table of search text (`id` integer key, `tenant_id`, `text` in lower case, and the
/// key of what it describes), indexed for substring search: PostgreSQL with trigrams
/// (pg_trgm), SQLite with an FTS5 index using the trigram tokenizer, kept in step by
/// triggers.
#[derive(Clone, Copy, Debug)]
pub struct TextIndex {
    pub table: &'static str,
    /// The column naming what a row describes (`case_id`, `document_id`).
    pub key: &'static str,
}

/// The search text of cases (migration 23).
pub const CASE_SEARCH: TextIndex = TextIndex {
    table: "case_search",
    key: "case_id",
};

/// The search text of the documents of the e-file (migration 31).
pub const DOCUMENT_SEARCH: TextIndex = TextIndex {
    table: "document_search",
    key: "document_id",
};

impl TextIndex {
    /// The statements that create the index over the table.
    pub(crate) fn create_sql(self, backend: DbBackend) -> Vec<String> {
        let table = self.table;
        match backend {
            DbBackend::Postgres => vec![
                // A trusted extension since PostgreSQL 13: the database owner may create it.
                "CREATE EXTENSION IF NOT EXISTS pg_trgm".to_owned(),
                format!("CREATE INDEX {table}_text ON {table} USING GIN (text gin_trgm_ops)"),
            ],
            _ => vec![
                // External content: the text is kept once, in the table; the triggers
                // keep the index in step with it.
                format!(
                    "CREATE VIRTUAL TABLE {table}_fts USING fts5(text, content = '{table}', \
                     content_rowid = 'id', tokenize = 'trigram')"
                ),
                format!(
                    "CREATE TRIGGER {table}_added AFTER INSERT ON {table} BEGIN \
                     INSERT INTO {table}_fts (rowid, text) VALUES (new.id, new.text); END"
                ),
                format!(
                    "CREATE TRIGGER {table}_removed AFTER DELETE ON {table} BEGIN \
                     INSERT INTO {table}_fts ({table}_fts, rowid, text) \
                     VALUES ('delete', old.id, old.text); END"
                ),
                format!(
                    "CREATE TRIGGER {table}_changed AFTER UPDATE ON {table} BEGIN \
                     INSERT INTO {table}_fts ({table}_fts, rowid, text) \
                     VALUES ('delete', old.id, old.text); \
                     INSERT INTO {table}_fts (rowid, text) VALUES (new.id, new.text); END"
                ),
            ],
        }
    }

    pub(crate) fn drop_sql(self, backend: DbBackend) -> Vec<String> {
        let table = self.table;
        match backend {
            DbBackend::Postgres => vec![format!("DROP INDEX IF EXISTS {table}_text")],
            _ => vec![
                format!("DROP TRIGGER IF EXISTS {table}_added"),
                format!("DROP TRIGGER IF EXISTS {table}_removed"),
                format!("DROP TRIGGER IF EXISTS {table}_changed"),
                format!("DROP TABLE IF EXISTS {table}_fts"),
            ],
        }
    }

    /// The keys of the tenant's rows whose text contains each of `words` (already in
    /// lower case), anywhere: "müll" finds "Müller".
    pub fn containing(
        self,
        backend: DbBackend,
        tenant_id: uuid::Uuid,
        words: &[String],
    ) -> SelectStatement {
        let mut query = Query::select()
            .column(self.key)
            .from(self.table)
            .and_where(Expr::col("tenant_id").eq(tenant_id))
            .to_owned();
        // Words for SQLite's FTS5 index, and words looked for with LIKE.
        let (matched, liked): (Vec<&String>, Vec<&String>) = match backend {
            // pg_trgm serves LIKE directly (and scans for words under three characters).
            DbBackend::Postgres => (Vec::new(), words.iter().collect()),
            _ => words.iter().partition(|w| w.chars().count() >= TRIGRAM),
        };
        if !matched.is_empty() {
            // FTS5 query syntax: each word a quoted string, all of them required.
            let phrase = matched
                .iter()
                .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" AND ");
            let fts = format!("{}_fts", self.table);
            let found = Query::select()
                .expr(Expr::cust("rowid"))
                .from(Alias::new(&fts))
                .and_where(Expr::cust_with_values(format!("{fts} MATCH ?"), [phrase]))
                .to_owned();
            query.and_where(Expr::col("id").in_subquery(found));
        }
        for word in liked {
            let pattern = LikeExpr::new(format!("%{}%", escape_like(word))).escape('\\');
            query.and_where(Expr::col("text").like(pattern));
        }
        query
    }
}

/// The search text of the cases that existed before migration 23: reference, title,
/// applicant, the answers as stored and the text of letters filed into the case.
pub(crate) fn case_search_backfill_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "INSERT INTO case_search (case_id, tenant_id, text) \
             SELECT c.id, c.tenant_id, lower(concat_ws(chr(10), c.reference, c.title, \
                c.applicant_name, s.answers, \
                (SELECT string_agg(m.text, chr(10)) FROM mail_items m WHERE m.case_id = c.id))) \
             FROM cases c LEFT JOIN submissions s ON s.id = c.submission_id"
        }
        _ => {
            "INSERT INTO case_search (case_id, tenant_id, text) \
             SELECT c.id, c.tenant_id, lower(c.reference || char(10) || c.title || char(10) \
                || c.applicant_name || char(10) || coalesce(s.answers, '') || char(10) \
                || coalesce((SELECT group_concat(m.text, char(10)) FROM mail_items m \
                             WHERE m.case_id = c.id), '')) \
             FROM cases c LEFT JOIN submissions s ON s.id = c.submission_id"
        }
    }
}

/// SQLite's trigram index finds only words of three characters or more; shorter ones
/// are looked for row by row.
const TRIGRAM: usize = 3;

/// `%`, `_` and the escape character itself taken literally in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
