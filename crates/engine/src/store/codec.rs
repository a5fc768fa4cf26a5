//! How records are encoded in the store's tables: JSON (serde, so the domain
//! types keep one description of themselves), compressed with LZ4.
//!
//! Profiles are mostly repeated keys and words, which LZ4 halves or better at
//! a few microseconds per record to compress and well under one to
//! decompress; a Match reads hundreds of records, so a decoder much slower
//! than LZ4's would not pay. A compressed record starts with [`LZ4_JSON`],
//! which no JSON text starts with, then its decoded length (u32,
//! little-endian), then the LZ4 block. Records written before compression
//! (plain JSON) are still read, so existing stores need no migration; they
//! are compressed when next written.

use serde::{Serialize, de::DeserializeOwned};

use super::StoreError;

/// First byte of a compressed record.
const LZ4_JSON: u8 = 0x01;

/// Longest decoded record accepted: above any record the service accepts (its
/// largest message is 16 MiB), so a damaged length cannot make a reader
/// allocate gigabytes.
const MAX_DECODED_BYTES: usize = 64 * 1024 * 1024;

/// Encodes a record.
pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(value)?;
    let compressed = lz4_flex::block::compress(&json);
    let mut out = Vec::with_capacity(1 + 4 + compressed.len());
    out.push(LZ4_JSON);
    // A record longer than u32::MAX bytes cannot reach here: requests are
    // bounded far below it.
    out.extend_from_slice(&u32::try_from(json.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&compressed);
    Ok(out)
}

/// Decodes a record of `table`.
pub(super) fn decode<T: DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    let corrupt = |source| StoreError::Corrupt { table, source };
    match bytes.split_first() {
        Some((&LZ4_JSON, rest)) => {
            let json = decompress(rest).ok_or_else(|| {
                corrupt(<serde_json::Error as serde::de::Error>::custom(
                    "the compressed record is damaged",
                ))
            })?;
            serde_json::from_slice(&json).map_err(corrupt)
        }
        _ => serde_json::from_slice(bytes).map_err(corrupt),
    }
}

fn decompress(bytes: &[u8]) -> Option<Vec<u8>> {
    let (length, block) = bytes.split_first_chunk::<4>()?;
    let length = usize::try_from(u32::from_le_bytes(*length)).ok()?;
    if length > MAX_DECODED_BYTES {
        return None;
    }
    let json = lz4_flex::block::decompress(block, length).ok()?;
    (json.len() == length).then_some(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Record {
        id: String,
        skills: Vec<String>,
    }

    fn record() -> Record {
        Record {
            id: "alum-1".into(),
            skills: ["Rust", "機械学習", "project management", "project management"]
                .map(String::from)
                .to_vec(),
        }
    }

    #[test]
    fn records_round_trip_compressed_and_plain_json_is_still_read() {
        let encoded = encode(&record()).unwrap();
        assert_eq!(encoded[0], LZ4_JSON);
        assert_eq!(decode::<Record>("alumni", &encoded).unwrap(), record());
        let plain = serde_json::to_vec(&record()).unwrap();
        assert_eq!(decode::<Record>("alumni", &plain).unwrap(), record());
    }

    #[test]
    fn damaged_records_are_corrupt_not_a_panic_or_a_huge_allocation() {
        let encoded = encode(&record()).unwrap();
        for cut in 0..encoded.len() {
            assert!(
                matches!(
                    decode::<Record>("alumni", &encoded[..cut]),
                    Err(StoreError::Corrupt { table: "alumni", .. })
                ),
                "cut at {cut}"
            );
        }
        let mut huge = encoded.clone();
        huge[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode::<Record>("alumni", &huge).is_err());
        let mut flipped = encoded;
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        assert!(decode::<Record>("alumni", &flipped).is_err());
    }

    proptest::proptest! {
        #[test]
        fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = decode::<Record>("alumni", &bytes);
        }
    }
}
