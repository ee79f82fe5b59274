//! Content-addressed file storage. A blob's name is the SHA-256 of its bytes, so the
//! same file is stored once and a reference can be checked against its content.
//!
//! Callers write the blob first and the database row that refers to it afterwards:
//! a crash in between leaves an unreferenced blob (harmless, collectable), never a row
//! that points at nothing. Both backends make a put visible only when it is complete
//! (the local store writes a temporary file and renames it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};

/// Where blobs live.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BlobConfig {
    /// A directory on the local disk (the embedded default).
    Local { path: PathBuf },
    /// An S3-compatible object store (MinIO, Ceph, AWS …).
    S3 {
        bucket: String,
        endpoint: Option<String>,
        region: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
        #[serde(default)]
        allow_http: bool,
    },
}

/// A stored blob: its hash (hex SHA-256) and size in bytes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlobRef {
    pub sha256: String,
    pub size: u64,
}

#[derive(Clone, Debug)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
}

impl BlobStore {
    pub fn open(config: &BlobConfig) -> Result<Self> {
        let inner: Arc<dyn ObjectStore> = match config {
            BlobConfig::Local { path } => {
                std::fs::create_dir_all(path).map_err(|source| StoreError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
                Arc::new(LocalFileSystem::new_with_prefix(path)?)
            }
            BlobConfig::S3 {
                bucket,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
                allow_http,
            } => {
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_allow_http(*allow_http);
                if let Some(endpoint) = endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                builder = builder.with_region(region.as_deref().unwrap_or("us-east-1"));
                if let Some(key) = access_key_id {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = secret_access_key {
                    builder = builder.with_secret_access_key(secret);
                }
                Arc::new(
                    builder
                        .build()
                        .map_err(|e| StoreError::BlobConfig(e.to_string()))?,
                )
            }
        };
        Ok(Self { inner })
    }

    pub fn local(path: &Path) -> Result<Self> {
        Self::open(&BlobConfig::Local {
            path: path.to_owned(),
        })
    }

    /// Stores the bytes (once per distinct content) and returns their reference.
    pub async fn put(&self, data: Bytes) -> Result<BlobRef> {
        let sha256 = hex::encode(Sha256::digest(&data));
        let blob = BlobRef {
            sha256,
            size: data.len() as u64,
        };
        let path = object_path(&blob.sha256)?;
        if self.inner.head(&path).await.is_err() {
            self.inner.put(&path, PutPayload::from(data)).await?;
        }
        Ok(blob)
    }

    /// Reads a blob and checks that its content still matches its name.
    pub async fn get(&self, sha256: &str) -> Result<Bytes> {
        let path = object_path(sha256)?;
        let data = match self.inner.get(&path).await {
            Ok(result) => result.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(StoreError::BlobMissing(sha256.to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        if hex::encode(Sha256::digest(&data)) != sha256 {
            return Err(StoreError::BlobCorrupt {
                hash: sha256.to_owned(),
            });
        }
        Ok(data)
    }

    /// Deletes a blob; one that is already gone is fine. Callers make sure nothing
    /// refers to it any more.
    pub async fn delete(&self, sha256: &str) -> Result<()> {
        match self.inner.delete(&object_path(sha256)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn exists(&self, sha256: &str) -> Result<bool> {
        match self.inner.head(&object_path(sha256)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The hashes of all stored blobs (for backup and consistency checks).
    pub async fn list(&self) -> Result<Vec<String>> {
        let prefix = ObjectPath::from("sha256");
        let metas: Vec<_> = self.inner.list(Some(&prefix)).try_collect().await?;
        Ok(metas
            .into_iter()
            .filter_map(|m| m.location.filename().map(str::to_owned))
            .collect())
    }
}

/// `sha256/ab/cd/abcd…`: two levels of fan-out keep directories small.
/// Only 64 lowercase hex digits name a blob; anything else is refused before it can
/// reach a path.
fn object_path(sha256: &str) -> Result<ObjectPath> {
    let valid = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !valid {
        return Err(StoreError::BlobMissing(sha256.chars().take(80).collect()));
    }
    Ok(ObjectPath::from(format!(
        "sha256/{}/{}/{sha256}",
        &sha256[..2],
        &sha256[2..4]
    )))
}
