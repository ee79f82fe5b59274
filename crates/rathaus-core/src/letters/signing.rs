//! The town's signing keys (Ed25519). The private half is sealed with the server's key
//! before it is stored. Rotating retires the current key and starts a new one; a retired
//! key still verifies what it signed, so old documents stay verifiable.

use chrono::Utc;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rathaus_store::entities::signing_key;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::secrets::Sealer;

pub type Key = signing_key::Model;

/// What the sealed seed is bound to, so that a sealed value cannot be moved to another
/// key's row.
fn sealed_for(id: Uuid) -> String {
    format!("signing_key:{id}")
}

/// The tenant's current key, made on first use.
pub async fn current(conn: &impl ConnectionTrait, sealer: &Sealer, tenant_id: Uuid) -> Result<Key> {
    let current = signing_key::Entity::find()
        .filter(signing_key::Column::TenantId.eq(tenant_id))
        .filter(signing_key::Column::RetiredAt.is_null())
        .order_by_desc(signing_key::Column::CreatedAt)
        .one(conn)
        .await?;
    match current {
        Some(key) => Ok(key),
        None => create(conn, sealer, tenant_id).await,
    }
}

async fn create(conn: &impl ConnectionTrait, sealer: &Sealer, tenant_id: Uuid) -> Result<Key> {
    let id = Uuid::now_v7();
    let seed: [u8; 32] = rand::random();
    let public = SigningKey::from_bytes(&seed).verifying_key();
    Ok(signing_key::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        public_key: Set(hex::encode(public.as_bytes())),
        private_key: Set(sealer.seal(&hex::encode(seed), &sealed_for(id))),
        created_at: Set(Utc::now()),
        retired_at: Set(None),
    }
    .insert(conn)
    .await?)
}

/// Retires the current key (if any) and starts a new one; returns the new one.
pub async fn rotate(conn: &impl ConnectionTrait, sealer: &Sealer, tenant_id: Uuid) -> Result<Key> {
    signing_key::Entity::update_many()
        .col_expr(signing_key::Column::RetiredAt, Some(Utc::now()).into())
        .filter(signing_key::Column::TenantId.eq(tenant_id))
        .filter(signing_key::Column::RetiredAt.is_null())
        .exec(conn)
        .await?;
    create(conn, sealer, tenant_id).await
}

/// Every key of the tenant, newest first (for the public list of keys).
pub async fn all(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<Key>> {
    Ok(signing_key::Entity::find()
        .filter(signing_key::Column::TenantId.eq(tenant_id))
        .order_by_desc(signing_key::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// Signs `statement` with `key` (hex signature).
pub fn sign(sealer: &Sealer, key: &Key, statement: &str) -> Result<String> {
    let seed = sealer
        .open(&key.private_key, &sealed_for(key.id))
        .and_then(|hex_seed| hex::decode(hex_seed).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| {
            CoreError::Invalid(
                "the signing key cannot be opened: was the server's secret key changed?".into(),
            )
        })?;
    let signature = SigningKey::from_bytes(&seed).sign(statement.as_bytes());
    Ok(hex::encode(signature.to_bytes()))
}

/// Whether `signature` (hex) is `key`'s signature of `statement`.
pub fn verify(key: &Key, statement: &str, signature: &str) -> bool {
    verify_with(&key.public_key, statement, signature)
}

/// Whether `signature` (hex) over `statement` holds for the public key (hex).
pub fn verify_with(public_key: &str, statement: &str, signature: &str) -> bool {
    let public = hex::decode(public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    let signature = hex::decode(signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b));
    match (public, signature) {
        (Some(public), Some(signature)) => public.verify(statement.as_bytes(), &signature).is_ok(),
        _ => false,
    }
}
