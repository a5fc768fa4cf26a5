//! Reading a career: the current role, the last role at the company, when the
//! alumnus left, and token overlap between texts (the index's tokenizer, so
//! Japanese and English agree). The components built on them live with the kind
//! (or the shared set) that weighs them. Nothing here reads the reason for
//! leaving, age, gender, nationality or family situation.

use std::collections::HashSet;

use crate::{
    domain::{Alumnus, PartialDate, Position},
    index::tokenize,
    taxonomy::normalize,
};

/// Distinct tokens of a text (the index's tokenizer, so Japanese and English agree).
pub fn token_set<'a>(texts: impl IntoIterator<Item = &'a str>) -> HashSet<String> {
    let mut set = HashSet::new();
    for text in texts {
        tokenize(text, |term, _, _| {
            set.insert(term.to_owned());
        });
    }
    set
}

/// Share of `wanted` found in `have`, softened with a square root so that partial
/// overlap of short texts still counts; 0 when nothing is wanted.
pub fn overlap(have: &HashSet<String>, wanted: &HashSet<String>) -> f64 {
    if wanted.is_empty() {
        return 0.0;
    }
    let hits = wanted.iter().filter(|t| have.contains(*t)).count();
    (hits as f64 / wanted.len() as f64).sqrt()
}

/// The position held now outside the company, if any (the latest-starting open one).
pub fn current_position(alumnus: &Alumnus) -> Option<&Position> {
    alumnus
        .positions
        .iter()
        .filter(|p| p.end.is_none() && !p.at_company)
        .max_by_key(|p| p.start)
}

/// The last position held at the company.
pub fn last_company_position(alumnus: &Alumnus) -> Option<&Position> {
    alumnus
        .positions
        .iter()
        .filter(|p| p.at_company)
        .max_by_key(|p| p.start)
}

/// When the alumnus left: the recorded date, else the end of the last company role.
pub fn left_on(alumnus: &Alumnus) -> Option<PartialDate> {
    alumnus
        .departure
        .left_on
        .or_else(|| last_company_position(alumnus).and_then(|p| p.end))
}

/// Whether the interest statement or topics mention any of `words` (normalised).
pub(crate) fn statement_mentions(alumnus: &Alumnus, words: &[&str]) -> bool {
    let statement = normalize(&alumnus.interests.statement);
    let topics = alumnus
        .interests
        .topics
        .iter()
        .map(|t| normalize(t))
        .collect::<Vec<_>>()
        .join(" ");
    words.iter().any(|w| statement.contains(w) || topics.contains(w))
}
