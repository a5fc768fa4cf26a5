//! Page tokens. Opaque to clients; bound to the request they came from, so a token
//! replayed against another opportunity or other weights is rejected rather than
//! silently returning a page of a different ranking.

use crate::domain::Opportunity;

use super::MatchOptions;

/// Position in a ranking, tied to the request that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageToken {
    /// Hash of what determines the ranking.
    pub fingerprint: u64,
    /// Candidates already returned.
    pub offset: usize,
}

const PREFIX: &str = "m1";

impl PageToken {
    /// The token's text form.
    pub fn encode(&self) -> String {
        format!("{PREFIX}.{:016x}.{}", self.fingerprint, self.offset)
    }

    /// Parses a non-empty token's text, without checking what request it belongs
    /// to (the edge checks this much before the engine runs).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.split('.');
        let (Some(PREFIX), Some(hash), Some(offset), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("is not a token returned by Match".into());
        };
        let fingerprint = u64::from_str_radix(hash, 16).map_err(|_| "is not a token returned by Match".to_string())?;
        let offset: usize = offset
            .parse()
            .map_err(|_| "is not a token returned by Match".to_string())?;
        Ok(Self { fingerprint, offset })
    }

    /// Parses a token for a request with `fingerprint`; an empty token is the first page.
    pub fn decode(text: &str, fingerprint: u64) -> Result<Self, String> {
        if text.is_empty() {
            return Ok(Self { fingerprint, offset: 0 });
        }
        let token = Self::parse(text)?;
        if token.fingerprint != fingerprint {
            return Err("belongs to a different request (opportunity, weights or filters changed)".into());
        }
        Ok(token)
    }
}

/// FNV-1a: stable across processes and Rust versions, unlike `DefaultHasher`'s
/// unspecified algorithm, so tokens survive a server restart.
fn fnv1a(bytes: &[u8], mut hash: u64) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Hash of everything that determines a ranking's order.
pub fn fingerprint(opportunity: &Opportunity, options: &MatchOptions) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325;
    hash = fnv1a(serde_json::to_string(opportunity).unwrap_or_default().as_bytes(), hash);
    let mut weights: Vec<(&String, &f64)> = options.weights.iter().collect();
    weights.sort_by(|a, b| a.0.cmp(b.0));
    for (name, value) in weights {
        hash = fnv1a(name.as_bytes(), hash);
        hash = fnv1a(&value.to_bits().to_le_bytes(), hash);
    }
    fnv1a(&[u8::from(options.require_all_required_skills)], hash)
}

/// Token for listing opportunities after `id` (hex, so any id round-trips).
pub fn encode_list_token(id: &str) -> String {
    let mut out = String::from("l1.");
    for b in id.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The id a list token continues after, or `None` when malformed.
pub fn decode_list_token(token: &str) -> Option<String> {
    let hex = token.strip_prefix("l1.")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_token_round_trip_and_binding() {
        let token = PageToken {
            fingerprint: 0xdead_beef,
            offset: 40,
        };
        assert_eq!(PageToken::decode(&token.encode(), 0xdead_beef), Ok(token));
        assert!(PageToken::decode(&token.encode(), 1).is_err());
        for bad in ["x", "m1.zz.1", "m1.1.-1", "m1.1.1.1", "m1..1"] {
            assert!(PageToken::decode(bad, 1).is_err(), "{bad}");
        }
    }

    #[test]
    fn list_token_round_trip() {
        for id in ["o-1", "日本語", ""] {
            assert_eq!(decode_list_token(&encode_list_token(id)).as_deref(), Some(id));
        }
        for bad in ["o-1", "l1.zz", "l1.abc", "l1.ff"] {
            assert_eq!(decode_list_token(bad), None, "{bad}");
        }
    }
}
