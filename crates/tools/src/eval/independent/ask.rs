//! Asking an engine for a ranking, and the grades to judge it by: shared by the
//! openings ([`super::run`]) and the bilingual queries ([`super::bilingual`]).

use std::collections::HashMap;

use super::{
    dataset::{JudgedSet, grade},
    sources::Sources,
};
use crate::{
    domain::OpportunityKind,
    engine::{Cancellation, Engine, MatchOptions, MatchQuery, MatchTarget},
    eval::EvalError,
    ranking::{Component, WeightProfile, shared::TEXT_RELEVANCE},
};

/// Grades of every alumnus eligible for `kind` for an opening in `code`.
pub(super) fn grades_for<'a>(
    set: &'a JudgedSet,
    code: &str,
    kind: OpportunityKind,
    sources: &Sources,
) -> HashMap<&'a str, u8> {
    set.alumni
        .iter()
        .filter(|a| a.passes_gates(kind))
        .map(|a| (a.id.as_str(), grade(&set.careers[&a.id], code, &sources.judge)))
        .collect()
}

/// Weights that make a profile text relevance alone.
pub(super) fn bm25_weights(profile: &WeightProfile) -> HashMap<String, f64> {
    profile
        .weights()
        .iter()
        .map(|(c, _)| (c.name().to_owned(), if *c == TEXT_RELEVANCE { 1.0 } else { 0.0 }))
        .chain(std::iter::once((TEXT_RELEVANCE.name().to_owned(), 1.0)))
        .collect()
}

/// The ranked ids (and component values in `components` order) of a Match.
pub(super) fn ranking(
    engine: &Engine,
    target: MatchTarget,
    limit: usize,
    weights: HashMap<String, f64>,
    components: &[Component],
) -> Result<Vec<(String, Vec<f64>)>, EvalError> {
    let page = engine.match_alumni(
        MatchQuery {
            target,
            options: MatchOptions {
                limit: limit as u32,
                weights,
                ..MatchOptions::default()
            },
        },
        &Cancellation::new(),
    )?;
    Ok(page
        .candidates
        .into_iter()
        .map(|r| {
            let values = components
                .iter()
                .map(|c| {
                    r.candidate
                        .components
                        .iter()
                        .find(|s| s.component == *c)
                        .map_or(0.0, |s| s.value)
                })
                .collect();
            (r.candidate.alumnus_id, values)
        })
        .collect())
}
