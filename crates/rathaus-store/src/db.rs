//! Opening the database. The URL decides the backend; everything above this module
//! talks to a `Db` and does not care which one it is.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::error::{Result, StoreError};
use crate::migrations::Migrator;

/// A pooled connection to the Rathaus database (cheap to clone).
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    backend: Backend,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// How the schema in the database relates to the migrations this binary knows.
#[derive(Debug, PartialEq, Eq)]
pub enum SchemaState {
    UpToDate,
    Pending(usize),
    /// The database was migrated by a newer Rathaus.
    TooNew(Vec<String>),
}

impl Db {
    /// Opens a pool. SQLite runs in WAL mode with foreign keys enforced and a busy
    /// timeout, so that the web server and the worker can share one file.
    pub async fn connect(url: &str) -> Result<Self> {
        let backend = Backend::from_url(url)?;
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10));
        match backend {
            Backend::Sqlite => {
                use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                options
                    .max_connections(8)
                    .min_connections(1)
                    // A connection reads the planner's statistics when it opens; renewed
                    // hourly, it sees what the hourly housekeeping refreshed.
                    .max_lifetime(Duration::from_secs(3600))
                    .map_sqlx_sqlite_opts(|o| {
                        o.create_if_missing(true)
                            .journal_mode(SqliteJournalMode::Wal)
                            .synchronous(SqliteSynchronous::Normal)
                            .foreign_keys(true)
                            .busy_timeout(Duration::from_secs(10))
                    });
            }
            Backend::Postgres => {
                options.max_connections(16).min_connections(1);
            }
        }
        let conn = Database::connect(options)
            .await
            .map_err(|source| StoreError::Unreachable {
                url: redact_url(url),
                source,
            })?;
        Ok(Self { conn, backend })
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies all pending migrations; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        if let SchemaState::TooNew(unknown) = self.schema_state().await? {
            return Err(StoreError::SchemaTooNew {
                unknown: unknown.join(", "),
            });
        }
        let pending = Migrator::get_pending_migrations(&self.conn).await?.len();
        Migrator::up(&self.conn, None).await?;
        if pending > 0 {
            self.refresh_statistics().await?;
        }
        Ok(pending)
    }

    /// Brings the statistics the query planner works from up to date where tables grew
    /// or shrank a lot. SQLite keeps none unless asked: without them it guesses, and
    /// once guessed that listing a whole town's cases is cheaper than looking up the
    /// few a search found. Cheap when nothing changed; run after migrations and by the
    /// hourly housekeeping. (SQLite's other connections use new statistics once they
    /// are renewed, within the hour.)
    pub async fn refresh_statistics(&self) -> Result<()> {
        let sql = match self.backend {
            // Every table, not only those this connection used; with SQLite's own
            // limit on how much of each table is read.
            Backend::Sqlite => "PRAGMA optimize=0x10002",
            // Samples a bounded number of rows per table.
            Backend::Postgres => "ANALYZE",
        };
        self.conn.execute_unprepared(sql).await?;
        Ok(())
    }

    pub async fn schema_state(&self) -> Result<SchemaState> {
        let known: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let applied = applied_migrations(&self.conn).await?;
        let unknown: Vec<String> = applied
            .iter()
            .filter(|name| !known.contains(name))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Ok(SchemaState::TooNew(unknown));
        }
        let pending = known.iter().filter(|m| !applied.contains(m)).count();
        Ok(if pending == 0 {
            SchemaState::UpToDate
        } else {
            SchemaState::Pending(pending)
        })
    }

    /// Refuses to go on unless the schema is exactly what this binary expects.
    pub async fn ensure_migrated(&self) -> Result<()> {
        match self.schema_state().await? {
            SchemaState::UpToDate => Ok(()),
            SchemaState::Pending(pending) => Err(StoreError::NotMigrated { pending }),
            SchemaState::TooNew(unknown) => Err(StoreError::SchemaTooNew {
                unknown: unknown.join(", "),
            }),
        }
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at
    /// BEGIN (IMMEDIATE), so that it waits for other writers under the busy timeout
    /// instead of failing halfway when a read has to be upgraded to a write.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.conn.begin_with_options(options).await?)
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        self.conn.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.conn.close().await?;
        Ok(())
    }
}

/// Names of the migrations recorded in the database; none when it is brand new.
async fn applied_migrations(conn: &DatabaseConnection) -> Result<Vec<String>> {
    let exists = crate::dialect::table_exists(conn, "seaql_migrations").await?;
    if !exists {
        return Ok(Vec::new());
    }
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "version").map_err(Into::into))
        .collect()
}

/// The URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
