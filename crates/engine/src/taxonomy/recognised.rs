//! What the titles of a career name, computed once per alumnus.
//!
//! Recognising a title (exact forms, then the words against the occupation
//! tables, and for Japanese the glossary's readings) is the most expensive
//! step of ranking one candidate, and a headline such as "Legal Consultant｜
//! legal terminology・Google Analytics" is unique to its alumnus, so no cache
//! of titles helps. The index computes the recognition when it files the
//! alumnus under occupations and keeps it beside the document; ranking reads it
//! back instead of recognising again. The index is rebuilt whenever the
//! occupation tables change, so the ids it holds are the tables' own; a hash of
//! the titles tells whether the record ranked is still the one recognised (the
//! index may lag the store), and otherwise ranking recognises afresh.

use super::{OccupationId, OccupationMatch, Occupations, fingerprint::Fingerprint};
use crate::domain::Alumnus;

/// The occupations each title of a career names: one entry per position, in
/// order, then the headline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecognisedCareer {
    titles_hash: u64,
    titles: Vec<Vec<OccupationMatch>>,
}

/// Encoding version: the first byte of [`RecognisedCareer::encode`].
const FORMAT: u8 = 1;

impl RecognisedCareer {
    /// Recognises every title of `alumnus`'s career.
    pub fn of(alumnus: &Alumnus, occupations: &Occupations) -> Self {
        Self {
            titles_hash: titles_hash(alumnus),
            titles: titles(alumnus)
                .map(|title| occupations.recognise(title).to_vec())
                .collect(),
        }
    }

    /// Whether this is the recognition of `alumnus`'s titles as they are now.
    pub fn is_of(&self, alumnus: &Alumnus) -> bool {
        self.titles.len() == alumnus.positions.len() + 1 && self.titles_hash == titles_hash(alumnus)
    }

    /// What the position at `index` names.
    pub fn position(&self, index: usize) -> &[OccupationMatch] {
        self.titles.get(index).map_or(&[], Vec::as_slice)
    }

    /// What the headline names.
    pub fn headline(&self) -> &[OccupationMatch] {
        self.titles.last().map_or(&[], Vec::as_slice)
    }

    /// Compact bytes: the format, the titles' hash, then per title a count and
    /// (occupation, confidence) pairs, little-endian.
    pub fn encode(&self) -> Vec<u8> {
        let pairs: usize = self.titles.iter().map(Vec::len).sum();
        let mut out = Vec::with_capacity(1 + 8 + 2 + self.titles.len() + pairs * 6);
        out.push(FORMAT);
        out.extend_from_slice(&self.titles_hash.to_le_bytes());
        out.extend_from_slice(&u16::try_from(self.titles.len()).unwrap_or(u16::MAX).to_le_bytes());
        for found in self.titles.iter().take(usize::from(u16::MAX)) {
            let count = u8::try_from(found.len()).unwrap_or(u8::MAX);
            out.push(count);
            for m in found.iter().take(usize::from(count)) {
                out.extend_from_slice(&m.occupation.index().to_le_bytes());
                out.extend_from_slice(&m.confidence.to_le_bytes());
            }
        }
        out
    }

    /// Reads [`RecognisedCareer::encode`]'s bytes: `None` when they are not
    /// that format or name an occupation `occupations` does not have.
    pub fn decode(bytes: &[u8], occupations: &Occupations) -> Option<Self> {
        let mut reader = Reader(bytes);
        if reader.take::<1>()? != [FORMAT] {
            return None;
        }
        let titles_hash = u64::from_le_bytes(reader.take()?);
        let count = u16::from_le_bytes(reader.take()?);
        let mut titles = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let [found] = reader.take::<1>()?;
            let mut matches = Vec::with_capacity(usize::from(found));
            for _ in 0..found {
                let index = u16::from_le_bytes(reader.take()?);
                let confidence = f32::from_le_bytes(reader.take()?);
                if usize::from(index) >= occupations.len() || !(confidence > 0.0 && confidence <= 1.0) {
                    return None;
                }
                matches.push(OccupationMatch {
                    occupation: OccupationId::from_index(index),
                    confidence,
                });
            }
            titles.push(matches);
        }
        reader.0.is_empty().then_some(Self { titles_hash, titles })
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
}

/// The titles recognised, in the order [`RecognisedCareer`] keeps them.
fn titles(alumnus: &Alumnus) -> impl Iterator<Item = &str> {
    alumnus
        .positions
        .iter()
        .map(|p| p.title.as_str())
        .chain(std::iter::once(alumnus.headline.as_str()))
}

/// The titles' fingerprint (FNV-1a, each title ended by a separator): stable
/// across processes, as the index outlives them.
fn titles_hash(alumnus: &Alumnus) -> u64 {
    let mut hash = Fingerprint::default();
    for title in titles(alumnus) {
        hash.add(title);
    }
    hash.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alumnus(headline: &str, titles: &[&str]) -> Alumnus {
        let positions: Vec<serde_json::Value> = titles
            .iter()
            .map(|t| serde_json::json!({"organization": "X", "title": t, "start": "2020-01"}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "id": "a", "display_name": "a", "headline": headline, "positions": positions,
        }))
        .expect("fixture deserialises")
    }

    #[test]
    fn round_trips_and_knows_its_titles() {
        let occupations = Occupations::for_tests();
        let a = alumnus("Registered Nurse", &["Dental Assistant", "Astronaut"]);
        let recognised = RecognisedCareer::of(&a, &occupations);
        assert!(!recognised.position(0).is_empty(), "{recognised:?}");
        assert!(!recognised.headline().is_empty());
        let decoded = RecognisedCareer::decode(&recognised.encode(), &occupations).expect("decodes");
        assert_eq!(decoded, recognised);
        assert!(decoded.is_of(&a));
        assert!(!decoded.is_of(&alumnus("Registered Nurse", &["Dental Assistant", "Cook"])));
        assert!(!decoded.is_of(&alumnus("Registered Nurse", &["Dental Assistant"])));
    }

    #[test]
    fn damaged_or_foreign_bytes_are_refused() {
        let occupations = Occupations::for_tests();
        let a = alumnus("Registered Nurse", &["Dental Assistant"]);
        let bytes = RecognisedCareer::of(&a, &occupations).encode();
        for cut in 0..bytes.len() {
            assert_eq!(
                RecognisedCareer::decode(&bytes[..cut], &occupations),
                None,
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(RecognisedCareer::decode(&longer, &occupations), None);
        let mut other_format = bytes;
        other_format[0] = FORMAT + 1;
        assert_eq!(RecognisedCareer::decode(&other_format, &occupations), None);
    }

    proptest::proptest! {
        #[test]
        fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = RecognisedCareer::decode(&bytes, &Occupations::for_tests());
        }
    }
}
