//! Backup and restore of the embedded default (SQLite file + local blob directory).
//!
//! A backup is one `.tar.gz` with `manifest.json`, `rathaus.db`, `blobs/<sha256>` and,
//! where the key that seals secrets in the database is the data folder's (no
//! `secret_key` configured), that `secret.key`: without it the restored database could
//! not open them. Keep backups as safe as the server itself.
//! It is taken online: `VACUUM INTO` writes a consistent snapshot of the database while
//! the server keeps running, and blobs are immutable and written before the rows that
//! refer to them, so every blob the snapshot needs is already on disk. PostgreSQL
//! installations use pg_dump / pg_restore and their object store's own tools instead.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rathaus_store::blob::Bytes;
use rathaus_store::sea_orm::ConnectionTrait;
use rathaus_store::{Backend, BlobStore, Db};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;

const FORMAT: &str = "rathaus-backup/1";

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    created_at: chrono::DateTime<chrono::Utc>,
    rathaus_version: String,
    database_sha256: String,
    blobs: usize,
}

/// Where the SQLite database of a `sqlite:` URL lives.
pub fn sqlite_path(url: &str) -> Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .context("not a sqlite: URL")?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        bail!("the database '{url}' is not a file");
    }
    Ok(PathBuf::from(path))
}

fn require_sqlite(url: &str) -> Result<PathBuf> {
    if Backend::from_url(url)? != Backend::Sqlite {
        bail!(
            "backup and restore cover the embedded SQLite database; for PostgreSQL use pg_dump and pg_restore \
             (see docs/operations.md)"
        );
    }
    sqlite_path(url)
}

/// Writes a consistent backup to `to`; returns the number of blobs in it.
pub async fn backup(config: &Config, to: &Path) -> Result<usize> {
    let url = config.database_url()?;
    require_sqlite(url)?;
    let db = Db::connect(url).await?;
    db.ensure_migrated().await?;
    let blobs = BlobStore::open(&config.blob_config())?;

    let work = tempfile::tempdir().context("cannot create a temporary directory for the backup")?;
    let snapshot = work.path().join("rathaus.db");
    let quoted = snapshot.display().to_string().replace('\'', "''");
    db.conn()
        .execute_unprepared(&format!("VACUUM INTO '{quoted}'"))
        .await
        .context("cannot snapshot the database (is the disk full?)")?;
    let hashes = blobs.list().await?;

    let partial = to.with_extension("partial");
    let write = async {
        let file = File::create(&partial)
            .with_context(|| format!("cannot write the backup file {}", partial.display()))?;
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ));
        let manifest = Manifest {
            format: FORMAT.into(),
            created_at: chrono::Utc::now(),
            rathaus_version: env!("CARGO_PKG_VERSION").into(),
            database_sha256: sha256_file(&snapshot)?,
            blobs: hashes.len(),
        };
        append(
            &mut tar,
            "manifest.json",
            &serde_json::to_vec_pretty(&manifest)?,
        )?;
        tar.append_path_with_name(&snapshot, "rathaus.db")?;
        if let Some(key) = config.key_file().filter(|k| k.exists()) {
            append(&mut tar, SECRET_KEY, &std::fs::read(key)?)?;
        }
        for hash in &hashes {
            let data = blobs.get(hash).await?;
            append(&mut tar, &format!("blobs/{hash}"), &data)?;
        }
        tar.into_inner()?.finish()?.sync_all()?;
        anyhow::Ok(())
    };
    if let Err(e) = write.await {
        let _ = std::fs::remove_file(&partial);
        return Err(e.context("the backup was not written (nothing was changed)"));
    }
    std::fs::rename(&partial, to)
        .with_context(|| format!("cannot move the finished backup to {}", to.display()))?;
    db.close().await?;
    Ok(hashes.len())
}

const SECRET_KEY: &str = "secret.key";

fn append<W: Write>(tar: &mut tar::Builder<W>, name: &str, data: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(chrono::Utc::now().timestamp() as u64);
    tar.append_data(&mut header, name, data)?;
    Ok(())
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Restores a backup into the configured database file and blob store. Refuses to
/// overwrite an existing database unless `force` is set. Rathaus must not run.
pub async fn restore(config: &Config, from: &Path, force: bool) -> Result<usize> {
    let url = config.database_url()?;
    let target = require_sqlite(url)?;
    if target.exists() && !force {
        bail!(
            "a database already exists at {}: stop Rathaus and add --force to replace it",
            target.display()
        );
    }
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned();
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create the directory {}", parent.display()))?;
    // Unpack next to the target so that the final rename stays on one file system.
    let work = tempfile::tempdir_in(&parent).context("cannot create a temporary directory")?;
    let file =
        File::open(from).with_context(|| format!("cannot open the backup {}", from.display()))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let blobs = BlobStore::open(&config.blob_config())?;
    let mut manifest: Option<Manifest> = None;
    let mut blob_count = 0;
    let staged_db = work.path().join("rathaus.db");
    let mut key = None;
    for entry in archive
        .entries()
        .context("the backup file is not a Rathaus backup")?
    {
        let mut entry = entry.context("the backup file is damaged")?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .context("the backup file is damaged")?;
        match name.as_str() {
            "manifest.json" => {
                let m: Manifest =
                    serde_json::from_slice(&data).context("the backup's manifest is damaged")?;
                if m.format != FORMAT {
                    bail!("unknown backup format '{}' (expected {FORMAT})", m.format);
                }
                manifest = Some(m);
            }
            "rathaus.db" => std::fs::write(&staged_db, &data)?,
            SECRET_KEY => key = Some(data),
            _ => {
                let Some(hash) = name.strip_prefix("blobs/") else {
                    bail!("unexpected file '{name}' in the backup");
                };
                let stored = blobs.put(Bytes::from(data)).await?;
                if stored.sha256 != hash {
                    bail!(
                        "blob {hash} in the backup is damaged (its content does not match its name)"
                    );
                }
                blob_count += 1;
            }
        }
    }
    let manifest = manifest.context("the backup has no manifest.json: not a Rathaus backup")?;
    if !staged_db.exists() || sha256_file(&staged_db)? != manifest.database_sha256 {
        bail!("the database in the backup is missing or damaged; nothing was replaced");
    }
    if blob_count != manifest.blobs {
        bail!(
            "the backup should hold {} blobs but holds {blob_count}",
            manifest.blobs
        );
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side)?;
        }
    }
    std::fs::rename(&staged_db, &target)
        .with_context(|| format!("cannot put the database in place at {}", target.display()))?;
    if let (Some(key), Some(path)) = (key, config.key_file()) {
        put_key(&path, &key)
            .with_context(|| format!("cannot put the secret key in place at {}", path.display()))?;
    }
    Ok(blob_count)
}

/// Writes the restored key, readable by its owner only.
fn put_key(path: &Path, key: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::config::owner_only()
        .create(true)
        .truncate(true)
        .open(path)?
        .write_all(key)?;
    Ok(())
}
