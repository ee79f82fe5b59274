//! Evidence that stored documents have not changed, after RFC 4998 (Evidence Record
//! Syntax): each day, the SHA-256 hashes of the document versions added that day are
//! the leaves of a binary hash tree. A parent is the hash of its two children sorted
//! in ascending byte order and concatenated (so a path needs no left/right markers); a
//! node without a partner moves up unchanged. The root is signed with the tenant's
//! Ed25519 key together with the previous day's root, so the days form a chain.
//!
//! For one document, the *reduced hash tree* — its leaf with its partner, then the
//! partner of each node on the way up — and the signed root form an evidence record
//! that anyone can check with the document alone: no database, only SHA-256 and
//! Ed25519. Where RFC 4998 has an RFC 3161 time-stamp, this record has the town's
//! signed root; a later step can add a time-stamp over the same root.

use chrono::{NaiveDate, Utc};
use rathaus_store::blob::Bytes;
use rathaus_store::entities::{document_version, evidence_day};
use rathaus_store::{BlobStore, Db};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::letters::signing;
use crate::secrets::Sealer;

pub type Hash = [u8; 32];
pub type Day = evidence_day::Model;

/// The parent of two nodes: their hashes sorted, concatenated and hashed.
fn parent(a: &Hash, b: &Hash) -> Hash {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let mut hasher = Sha256::new();
    hasher.update(low);
    hasher.update(high);
    hasher.finalize().into()
}

/// The level above: pairs joined, a last node without a partner moved up unchanged.
fn up(level: &[Hash]) -> Vec<Hash> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [a, b] => parent(a, b),
            [lone] => *lone,
            _ => unreachable!("chunks of two"),
        })
        .collect()
}

/// The root over `leaves` (sorted by the caller); `None` without leaves.
pub fn root(leaves: &[Hash]) -> Option<Hash> {
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = up(&level);
    }
    level.first().copied()
}

/// The reduced hash tree of the leaf at `index`: first the leaf with its partner (if
/// it has one), then the partner of each node on the way up, levels without a partner
/// left out.
pub fn reduced(leaves: &[Hash], index: usize) -> Vec<Vec<Hash>> {
    let mut first = vec![leaves[index]];
    first.extend(leaves.get(index ^ 1));
    let mut path = vec![first];
    let mut level = up(leaves);
    let mut at = index / 2;
    while level.len() > 1 {
        if let Some(partner) = level.get(at ^ 1) {
            path.push(vec![*partner]);
        }
        level = up(&level);
        at /= 2;
    }
    path
}

/// The root a reduced hash tree leads to, if `leaf` is in its first list.
pub fn root_of(leaf: &Hash, path: &[Vec<Hash>]) -> Option<Hash> {
    let (first, rest) = path.split_first()?;
    if !first.contains(leaf) {
        return None;
    }
    let mut node = match first.as_slice() {
        [only] => *only,
        [a, b] => parent(a, b),
        _ => return None,
    };
    for step in rest {
        node = match step.as_slice() {
            [partner] => parent(&node, partner),
            _ => return None,
        };
    }
    Some(node)
}

/// What the tenant's key signs for a day.
pub fn statement(
    tenant_id: Uuid,
    day: NaiveDate,
    leaves: usize,
    root: &str,
    previous: Option<&str>,
) -> String {
    format!(
        "rathaus-evidence-v1\ntenant: {tenant_id}\nday: {day}\nleaves: {leaves}\nroot: {root}\nprevious: {}\n",
        previous.unwrap_or("-")
    )
}

fn hash_of(hex_text: &str) -> Option<Hash> {
    hex::decode(hex_text).ok()?.try_into().ok()
}

fn leaves_blob(leaves: &[Hash]) -> Bytes {
    Bytes::from(leaves.concat())
}

fn leaves_of(blob: &[u8]) -> Result<Vec<Hash>> {
    if !blob.len().is_multiple_of(32) {
        return Err(CoreError::Invalid(
            "the leaves of an evidence day are damaged".into(),
        ));
    }
    Ok(blob
        .chunks_exact(32)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect())
}

/// Seals the versions of the tenant added on `day` (in the town hall's time): their
/// tree's root signed and chained. `None` when there were none, or the day is sealed.
pub async fn seal_day(
    db: &Db,
    blobs: &BlobStore,
    sealer: &Sealer,
    tenant_id: Uuid,
    day: NaiveDate,
) -> Result<Option<Day>> {
    let (from, to) = (
        crate::time::start_of_day(day),
        crate::time::start_of_day(day + chrono::Duration::days(1)),
    );
    let conn = db.conn();
    let rows: Vec<(Uuid, String)> = document_version::Entity::find()
        .select_only()
        .column(document_version::Column::Id)
        .column(document_version::Column::Sha256)
        .filter(document_version::Column::TenantId.eq(tenant_id))
        .filter(document_version::Column::SealedOn.is_null())
        .filter(document_version::Column::AddedAt.gte(from))
        .filter(document_version::Column::AddedAt.lt(to))
        .into_tuple()
        .all(conn)
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut leaves: Vec<Hash> = rows
        .iter()
        .map(|(_, sha)| hash_of(sha).ok_or_else(|| CoreError::Invalid(format!("bad hash {sha}"))))
        .collect::<Result<_>>()?;
    leaves.sort_unstable();
    let root = hex::encode(root(&leaves).expect("leaves"));
    let stored = blobs.put(leaves_blob(&leaves)).await?;
    let txn = db.begin_write().await?;
    if evidence_day::Entity::find()
        .filter(evidence_day::Column::TenantId.eq(tenant_id))
        .filter(evidence_day::Column::Day.eq(day))
        .one(&txn)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let previous = evidence_day::Entity::find()
        .filter(evidence_day::Column::TenantId.eq(tenant_id))
        .filter(evidence_day::Column::Day.lt(day))
        .order_by_desc(evidence_day::Column::Day)
        .one(&txn)
        .await?
        .map(|d| d.root);
    let key = signing::current(&txn, sealer, tenant_id).await?;
    let text = statement(tenant_id, day, leaves.len(), &root, previous.as_deref());
    let sealed = evidence_day::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        day: Set(day),
        leaves: Set(leaves.len() as i32),
        leaves_sha256: Set(stored.sha256),
        root: Set(root),
        previous_root: Set(previous),
        key_id: Set(key.id),
        signature: Set(signing::sign(sealer, &key, &text)?),
        sealed_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let ids: Vec<Uuid> = rows.into_iter().map(|(id, _)| id).collect();
    for chunk in ids.chunks(500) {
        document_version::Entity::update_many()
            .col_expr(document_version::Column::SealedOn, Expr::value(day))
            .filter(document_version::Column::Id.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Some(sealed))
}

/// Seals every day before today that has unsealed versions, for every tenant, oldest
/// first (so each day chains to the one before). Run by the housekeeping.
pub async fn seal_due(db: &Db, blobs: &BlobStore, sealer: &Sealer) -> Result<usize> {
    let today = crate::time::start_of_day(crate::time::local_day(Utc::now()));
    let open: Vec<(Uuid, chrono::DateTime<Utc>)> = document_version::Entity::find()
        .select_only()
        .column(document_version::Column::TenantId)
        .column_as(document_version::Column::AddedAt.min(), "first")
        .filter(document_version::Column::SealedOn.is_null())
        .filter(document_version::Column::AddedAt.lt(today))
        .group_by(document_version::Column::TenantId)
        .into_tuple()
        .all(db.conn())
        .await?;
    let mut sealed = 0;
    for (tenant, first) in open {
        let mut day = crate::time::local_day(first);
        while crate::time::start_of_day(day) < today {
            if seal_day(db, blobs, sealer, tenant, day).await?.is_some() {
                sealed += 1;
            }
            day += chrono::Duration::days(1);
        }
    }
    Ok(sealed)
}

/// The public half of the key that signed a day, for the record.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignedRoot {
    /// "rathaus-ed25519-signed-root": where RFC 4998 has an RFC 3161 time-stamp.
    #[serde(rename = "type")]
    pub kind: String,
    pub tenant: Uuid,
    pub day: NaiveDate,
    pub leaves: usize,
    pub root: String,
    pub previous: Option<String>,
    pub key_id: Uuid,
    pub public_key: String,
    pub signature: String,
}

/// One archive time-stamp of RFC 4998: the reduced hash tree and what signs its root.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ArchiveTimeStamp {
    #[serde(rename = "reducedHashtree")]
    pub reduced_hashtree: Vec<Vec<String>>,
    #[serde(rename = "timeStamp")]
    pub time_stamp: SignedRoot,
}

/// An evidence record for one document version, as JSON in the structure of RFC 4998:
/// a sequence of archive time-stamp chains (one chain, one time-stamp here).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Record {
    pub format: String,
    #[serde(rename = "digestAlgorithm")]
    pub digest_algorithm: String,
    pub document: RecordedDocument,
    #[serde(rename = "archiveTimeStampSequence")]
    pub sequence: Vec<Vec<ArchiveTimeStamp>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordedDocument {
    pub id: Uuid,
    pub version: i32,
    pub file_name: String,
    pub sha256: String,
}

pub const FORMAT: &str = "rathaus-evidence-record/1";

/// The evidence record of a sealed version; `None` while it is not sealed yet (the
/// housekeeping seals each day the next morning).
pub async fn record(
    db: &Db,
    blobs: &BlobStore,
    version: &document_version::Model,
) -> Result<Option<Record>> {
    let Some(day) = version.sealed_on else {
        return Ok(None);
    };
    let conn = db.conn();
    let sealed = evidence_day::Entity::find()
        .filter(evidence_day::Column::TenantId.eq(version.tenant_id))
        .filter(evidence_day::Column::Day.eq(day))
        .one(conn)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("evidence of {day}")))?;
    let key = rathaus_store::entities::signing_key::Entity::find_by_id(sealed.key_id)
        .one(conn)
        .await?
        .ok_or_else(|| CoreError::NotFound("signing key".into()))?;
    let leaves = leaves_of(&blobs.get(&sealed.leaves_sha256).await?)?;
    let leaf = hash_of(&version.sha256).ok_or_else(|| CoreError::Invalid("bad hash".into()))?;
    let index = leaves
        .binary_search(&leaf)
        .map_err(|_| CoreError::Invalid("the version is not among the day's leaves".into()))?;
    let path = reduced(&leaves, index)
        .into_iter()
        .map(|step| step.iter().map(hex::encode).collect())
        .collect();
    Ok(Some(Record {
        format: FORMAT.into(),
        digest_algorithm: "sha-256".into(),
        document: RecordedDocument {
            id: version.document_id,
            version: version.number,
            file_name: version.file_name.clone(),
            sha256: version.sha256.clone(),
        },
        sequence: vec![vec![ArchiveTimeStamp {
            reduced_hashtree: path,
            time_stamp: SignedRoot {
                kind: "rathaus-ed25519-signed-root".into(),
                tenant: sealed.tenant_id,
                day: sealed.day,
                leaves: sealed.leaves as usize,
                root: sealed.root,
                previous: sealed.previous_root,
                key_id: key.id,
                public_key: key.public_key,
                signature: sealed.signature,
            },
        }]],
    }))
}

/// Checks a record against the document's bytes, with nothing else: the hash, the path
/// to the root, and the signature over the root. The caller compares the public key
/// with the town's published keys (`/verify/schluessel`).
pub fn check<'a>(record: &'a Record, bytes: &[u8]) -> std::result::Result<&'a SignedRoot, String> {
    if record.format != FORMAT || record.digest_algorithm != "sha-256" {
        return Err(format!(
            "unknown format {} / {}",
            record.format, record.digest_algorithm
        ));
    }
    let leaf: Hash = Sha256::digest(bytes).into();
    if hex::encode(leaf) != record.document.sha256 {
        return Err("the file is not the document of this record (its hash differs)".into());
    }
    let stamp = record
        .sequence
        .first()
        .and_then(|chain| chain.first())
        .ok_or("the record holds no archive time-stamp")?;
    let path: Vec<Vec<Hash>> = stamp
        .reduced_hashtree
        .iter()
        .map(|step| {
            step.iter()
                .map(|h| hash_of(h).ok_or("a hash in the tree is damaged"))
                .collect()
        })
        .collect::<std::result::Result<_, _>>()?;
    let signed = &stamp.time_stamp;
    match root_of(&leaf, &path) {
        Some(root) if hex::encode(root) == signed.root => {}
        _ => return Err("the hash tree does not lead to the signed root".into()),
    }
    let text = statement(
        signed.tenant,
        signed.day,
        signed.leaves,
        &signed.root,
        signed.previous.as_deref(),
    );
    if !signing::verify_with(&signed.public_key, &text, &signed.signature) {
        return Err("the signature over the root does not hold".into());
    }
    Ok(signed)
}

/// What `rathaus archive verify` found.
#[derive(Debug, Default)]
pub struct Report {
    pub days: usize,
    pub versions: usize,
    /// Each problem in one line: which document, which day, what is wrong.
    pub problems: Vec<String>,
}

/// Checks the whole archive: every sealed day (its leaves, root, signature and chain)
/// and every stored version (its bytes hash to what was recorded, and a sealed one is
/// among its day's leaves).
pub async fn verify_archive(db: &Db, blobs: &BlobStore) -> Result<Report> {
    let conn = db.conn();
    let mut report = Report::default();
    let days = evidence_day::Entity::find()
        .order_by_asc(evidence_day::Column::TenantId)
        .order_by_asc(evidence_day::Column::Day)
        .all(conn)
        .await?;
    let keys = rathaus_store::entities::signing_key::Entity::find()
        .all(conn)
        .await?;
    let mut leaves_by_day = std::collections::HashMap::new();
    let mut previous: Option<(Uuid, String)> = None;
    for day in &days {
        report.days += 1;
        let chained = match &previous {
            Some((tenant, root)) if *tenant == day.tenant_id => Some(root.as_str()),
            _ => None,
        };
        if day.previous_root.as_deref() != chained {
            report.problems.push(format!(
                "day {}: the chain to the day before is broken",
                day.day
            ));
        }
        let leaves = match blobs
            .get(&day.leaves_sha256)
            .await
            .map_err(CoreError::from)
            .and_then(|b| leaves_of(&b))
        {
            Ok(leaves) => leaves,
            Err(e) => {
                report
                    .problems
                    .push(format!("day {}: its leaves cannot be read: {e}", day.day));
                Vec::new()
            }
        };
        if root(&leaves).map(hex::encode).as_deref() != Some(day.root.as_str())
            || leaves.len() != day.leaves as usize
        {
            report.problems.push(format!(
                "day {}: the leaves do not give the signed root",
                day.day
            ));
        }
        let text = statement(
            day.tenant_id,
            day.day,
            day.leaves as usize,
            &day.root,
            day.previous_root.as_deref(),
        );
        let signed = keys
            .iter()
            .find(|k| k.id == day.key_id)
            .is_some_and(|k| signing::verify(k, &text, &day.signature));
        if !signed {
            report
                .problems
                .push(format!("day {}: the signature does not hold", day.day));
        }
        leaves_by_day.insert((day.tenant_id, day.day), leaves);
        previous = Some((day.tenant_id, day.root.clone()));
    }
    let versions = document_version::Entity::find()
        .order_by_asc(document_version::Column::AddedAt)
        .all(conn)
        .await?;
    for version in versions {
        report.versions += 1;
        let name = format!(
            "document {} version {} ({})",
            version.document_id, version.number, version.file_name
        );
        // The store hashes what it reads and calls a mismatch corrupt.
        match blobs.get(&version.sha256).await {
            Ok(_) => {}
            Err(rathaus_store::StoreError::BlobCorrupt { .. }) => {
                report
                    .problems
                    .push(format!("{name}: its stored bytes changed"));
            }
            Err(e) => report.problems.push(format!("{name}: cannot be read: {e}")),
        }
        if let Some(day) = version.sealed_on {
            let held = leaves_by_day
                .get(&(version.tenant_id, day))
                .zip(hash_of(&version.sha256))
                .is_some_and(|(leaves, leaf)| leaves.binary_search(&leaf).is_ok());
            if !held {
                report
                    .problems
                    .push(format!("{name}: not in the evidence of {day}"));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        let mut all: Vec<Hash> = (0..n as u32)
            .map(|i| Sha256::digest(i.to_be_bytes()).into())
            .collect();
        all.sort_unstable();
        all
    }

    #[test]
    fn every_leaf_leads_to_the_root_and_no_other_hash_does() {
        for n in [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100] {
            let all = leaves(n);
            let top = root(&all).unwrap();
            for (i, leaf) in all.iter().enumerate() {
                let path = reduced(&all, i);
                assert_eq!(root_of(leaf, &path), Some(top), "{n} leaves, leaf {i}");
                // Its path carries about log2(n) hashes, not the day's leaves.
                let hashes: usize = path.iter().map(Vec::len).sum();
                assert!(
                    hashes <= 2 + (n as f64).log2().ceil() as usize,
                    "{n}: {hashes}"
                );
            }
            let stranger: Hash = Sha256::digest(b"not filed").into();
            assert_eq!(root_of(&stranger, &reduced(&all, 0)), None);
        }
    }

    #[test]
    fn a_changed_leaf_or_partner_changes_the_root() {
        let all = leaves(9);
        let top = root(&all).unwrap();
        let mut path = reduced(&all, 4);
        path[1][0][0] ^= 1;
        assert_ne!(root_of(&all[4], &path), Some(top));
        let mut changed = all.clone();
        changed[8][31] ^= 1;
        assert_ne!(root(&changed), Some(top));
    }
}
