//! Fitting a kind's weights to the judgments: the engine's coordinate ascent
//! on mean NDCG@K (`alumni_match_engine::ranking::fitting`, which `tune` uses
//! on a tenant's outcomes too), at this evaluation's K.

use alumni_match_engine::ranking::fitting;
pub(crate) use alumni_match_engine::ranking::fitting::{JudgedQuery as CachedQuery, normalise_with_floors};

use super::super::K;

/// Weights (normalised to sum to 1) that maximise mean NDCG@K on `queries`,
/// starting from `start`, never below `floors`.
pub(crate) fn coordinate_ascent(queries: &[&CachedQuery], start: &[f64], floors: &[f64]) -> Vec<f64> {
    fitting::coordinate_ascent(queries, start, floors, K)
}
