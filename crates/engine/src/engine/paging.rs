//! Page tokens: one codec for every paged list (Match rankings, opportunity
//! listings, stored shortlists). Opaque to clients; each is bound to the
//! request (or the computation) it came from, so a token replayed against
//! another opportunity, other weights, another filter or a re-computed shortlist
//! is refused rather than silently paging through a different list.

use crate::domain::{Opportunity, OpportunityKind, OpportunityStatus};

use super::MatchOptions;

/// Which list a token pages through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// A Match ranking.
    Match,
    /// ListOpportunities.
    Opportunities,
    /// A stored shortlist.
    Shortlist,
}

impl Listing {
    fn prefix(self) -> &'static str {
        match self {
            Listing::Match => "m2",
            Listing::Opportunities => "l2",
            Listing::Shortlist => "s2",
        }
    }

    /// The RPC whose tokens these are, for messages.
    fn rpc(self) -> &'static str {
        match self {
            Listing::Match => "Match",
            Listing::Opportunities => "ListOpportunities",
            Listing::Shortlist => "GetShortlist",
        }
    }
}

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// After this many entries.
    Offset(usize),
    /// After the entry with this id (listings in id order).
    After(String),
}

/// A position in a list, bound to what produced the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken {
    /// The list.
    pub listing: Listing,
    /// Hash of what determines the list (the request, a filter, a computation).
    pub binding: u64,
    /// Where the next page starts.
    pub cursor: Cursor,
}

impl PageToken {
    /// The token's text form.
    pub fn encode(&self) -> String {
        let cursor = match &self.cursor {
            Cursor::Offset(offset) => format!("o{offset}"),
            Cursor::After(id) => {
                let mut text = String::from("a");
                for b in id.bytes() {
                    text.push_str(&format!("{b:02x}"));
                }
                text
            }
        };
        format!("{}.{:016x}.{cursor}", self.listing.prefix(), self.binding)
    }

    /// Parses a non-empty token of `listing`'s, without checking its binding (the
    /// edge checks this much before the engine runs).
    pub fn parse(text: &str, listing: Listing) -> Result<Self, String> {
        let malformed = || format!("is not a token returned by {}", listing.rpc());
        let mut parts = text.split('.');
        let (Some(prefix), Some(binding), Some(cursor), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        if prefix != listing.prefix() {
            return Err(malformed());
        }
        let binding = u64::from_str_radix(binding, 16).map_err(|_| malformed())?;
        let cursor = if let Some(offset) = cursor.strip_prefix('o') {
            Cursor::Offset(offset.parse().map_err(|_| malformed())?)
        } else if let Some(hex) = cursor.strip_prefix('a') {
            Cursor::After(decode_hex(hex).ok_or_else(malformed)?)
        } else {
            return Err(malformed());
        };
        Ok(Self {
            listing,
            binding,
            cursor,
        })
    }

    /// Where a token for a list bound to `binding` starts: the beginning for an
    /// empty token, an error for a token of another list or binding.
    pub fn resume(text: &str, listing: Listing, binding: u64) -> Result<Cursor, String> {
        if text.is_empty() {
            return Ok(match listing {
                Listing::Opportunities => Cursor::After(String::new()),
                _ => Cursor::Offset(0),
            });
        }
        let token = Self::parse(text, listing)?;
        if token.binding != binding {
            return Err(match listing {
                Listing::Match => "belongs to a different request (opportunity, weights or filters changed)".into(),
                Listing::Opportunities => "belongs to a listing with other filters".into(),
                Listing::Shortlist => "the shortlist was re-computed since this token was issued".into(),
            });
        }
        Ok(token.cursor)
    }
}

fn decode_hex(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok()
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

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Hash of everything that determines a ranking's order.
pub fn fingerprint(opportunity: &Opportunity, options: &MatchOptions) -> u64 {
    let mut hash = fnv1a(
        serde_json::to_string(opportunity).unwrap_or_default().as_bytes(),
        FNV_OFFSET,
    );
    let mut weights: Vec<(&String, &f64)> = options.weights.iter().collect();
    weights.sort_by(|a, b| a.0.cmp(b.0));
    for (name, value) in weights {
        hash = fnv1a(name.as_bytes(), hash);
        hash = fnv1a(&value.to_bits().to_le_bytes(), hash);
    }
    fnv1a(&[u8::from(options.require_all_required_skills)], hash)
}

/// Hash of an opportunity listing's filters.
pub fn filter_binding(kind: Option<OpportunityKind>, status: Option<OpportunityStatus>) -> u64 {
    let kind = kind.map_or(0, OpportunityKind::code);
    let status = match status {
        None => 0u8,
        Some(OpportunityStatus::Open) => 1,
        Some(OpportunityStatus::Closed) => 2,
    };
    fnv1a(&[kind as u8, status], FNV_OFFSET)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_bound() {
        for token in [
            PageToken {
                listing: Listing::Match,
                binding: 0xdead_beef,
                cursor: Cursor::Offset(40),
            },
            PageToken {
                listing: Listing::Opportunities,
                binding: 7,
                cursor: Cursor::After("日本語-1".into()),
            },
            PageToken {
                listing: Listing::Shortlist,
                binding: 1_700_000_000,
                cursor: Cursor::Offset(0),
            },
        ] {
            let text = token.encode();
            assert_eq!(PageToken::parse(&text, token.listing), Ok(token.clone()));
            assert_eq!(
                PageToken::resume(&text, token.listing, token.binding),
                Ok(token.cursor.clone())
            );
            assert!(PageToken::resume(&text, token.listing, token.binding + 1).is_err());
            let other = if token.listing == Listing::Match {
                Listing::Shortlist
            } else {
                Listing::Match
            };
            assert!(PageToken::parse(&text, other).is_err(), "a token of another list");
        }
        for bad in [
            "x",
            "m2.zz.o1",
            "m2.1.o-1",
            "m2.1.o1.1",
            "m2..o1",
            "m2.1.x",
            "l2.1.azz",
            "l2.1.aabc",
        ] {
            assert!(PageToken::parse(bad, Listing::Match).is_err(), "{bad}");
            assert!(PageToken::parse(bad, Listing::Opportunities).is_err(), "{bad}");
        }
        assert_eq!(PageToken::resume("", Listing::Match, 1), Ok(Cursor::Offset(0)));
    }
}
