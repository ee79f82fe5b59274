use thiserror::Error;

#[derive(Debug, Error)]
pub enum CoreError {
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Someone else changed the object since the version the change was based on.
    #[error("changed meanwhile: {0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] rathaus_store::StoreError),
}

impl From<sea_orm::DbErr> for CoreError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
