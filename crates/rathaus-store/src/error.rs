use thiserror::Error;

/// Everything that can go wrong below the domain. The messages are written for the
/// operator who reads them in a log line or on the terminal: what failed, and what to do.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database URL '{0}' is not understood: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("cannot reach the database at {url}: {source}. Is it running and is the URL right?")]
    Unreachable {
        url: String,
        #[source]
        source: sea_orm::DbErr,
    },
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error(
        "the database schema is not migrated ({pending} migration(s) pending): run `rathaus migrate` first"
    )]
    NotMigrated { pending: usize },
    #[error(
        "the database schema is newer than this program (unknown migrations: {unknown}): update Rathaus before starting it"
    )]
    SchemaTooNew { unknown: String },
    #[error("blob store error: {0}")]
    Blob(#[from] object_store::Error),
    #[error("blob {0} is missing from the blob store")]
    BlobMissing(String),
    #[error("blob {hash} is corrupt: its content no longer matches its SHA-256")]
    BlobCorrupt { hash: String },
    #[error("invalid blob store configuration: {0}")]
    BlobConfig(String),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
