//! How records are encoded in the store's tables.

use serde::{Serialize, de::DeserializeOwned};

use super::StoreError;

/// Encodes a record.
pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    Ok(serde_json::to_vec(value)?)
}

/// Decodes a record of `table`.
pub(super) fn decode<T: DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt { table, source })
}
