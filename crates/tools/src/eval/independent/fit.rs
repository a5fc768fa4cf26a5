//! Fitting a kind's weights to the judgments: coordinate ascent on mean
//! NDCG@K (Metzler and Croft, 2007) over cached component values.
//!
//! Retrieval does not depend on the weights, so each training query's whole
//! ranked pool is fetched once with every component's value; a candidate's
//! score under other weights is then a dot product, and NDCG under them is
//! exact, not an estimate.

use super::super::{K, metrics};

/// One query's pool: every ranked candidate's gain and component values (in
/// the order of the components being fitted), and the gains of every eligible
/// alumnus (for the ideal DCG).
#[derive(Debug, Clone)]
pub(crate) struct CachedQuery {
    pub(crate) candidates: Vec<(u8, Vec<f64>)>,
    pub(crate) ideal: Vec<u8>,
}

impl CachedQuery {
    /// NDCG@K of the pool ranked by `weights` (ties keep pool order, which is
    /// the engine's tie order by id).
    pub(crate) fn ndcg(&self, weights: &[f64]) -> Option<f64> {
        metrics::ndcg_at(&self.ranked_gains(weights), &self.ideal, K)
    }

    /// Gains of the top K under `weights`.
    pub(crate) fn ranked_gains(&self, weights: &[f64]) -> Vec<u8> {
        let mut scored: Vec<(f64, usize)> = self
            .candidates
            .iter()
            .enumerate()
            .map(|(i, (_, values))| (values.iter().zip(weights).map(|(v, w)| v * w).sum(), i))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.iter().take(K).map(|&(_, i)| self.candidates[i].0).collect()
    }
}

/// Mean NDCG@K over the queries where it is defined.
pub(crate) fn mean_ndcg(queries: &[&CachedQuery], weights: &[f64]) -> f64 {
    let values: Vec<f64> = queries.iter().filter_map(|q| q.ndcg(weights)).collect();
    metrics::mean(&values).unwrap_or(0.0)
}

/// Multipliers and absolute values tried for each weight in turn.
const SCALES: [f64; 7] = [0.0, 0.25, 0.5, 0.75, 1.5, 2.0, 3.0];
const ABSOLUTE: [f64; 6] = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5];
/// Passes over all weights; stops early when a pass gains nothing.
const ROUNDS: usize = 6;
/// Least gain that counts as an improvement (keeps the search from wandering on ties).
const MIN_GAIN: f64 = 1e-4;

/// Scales `weights` to sum to 1 with each at least its floor (floors summing
/// to less than 1): weights above their floor give up what the floors take, in
/// proportion to how far above it they are.
pub(crate) fn normalise_with_floors(weights: &mut [f64], floors: &[f64]) {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return;
    }
    weights.iter_mut().for_each(|w| *w /= total);
    let floor_total: f64 = floors.iter().sum();
    if floor_total >= 1.0 {
        return;
    }
    let above: f64 = weights.iter().zip(floors).map(|(w, f)| (w - f).max(0.0)).sum();
    if above <= 0.0 {
        return;
    }
    let room = 1.0 - floor_total;
    for (w, f) in weights.iter_mut().zip(floors) {
        *w = f + (*w - f).max(0.0) * room / above;
    }
}

/// Weights (normalised to sum to 1) that maximise mean NDCG@K on `queries`,
/// starting from `start`, never below `floors`.
pub(crate) fn coordinate_ascent(queries: &[&CachedQuery], start: &[f64], floors: &[f64]) -> Vec<f64> {
    let normalise = |w: &mut Vec<f64>| normalise_with_floors(w, floors);
    let mut best: Vec<f64> = start.to_vec();
    normalise(&mut best);
    let mut best_score = mean_ndcg(queries, &best);
    for _ in 0..ROUNDS {
        let before = best_score;
        for c in 0..best.len() {
            let current = best[c];
            let candidates = SCALES.iter().map(|s| current * s).chain(ABSOLUTE.iter().copied());
            for value in candidates {
                let mut trial = best.clone();
                trial[c] = value.max(floors[c]);
                if trial.iter().sum::<f64>() <= 0.0 {
                    continue;
                }
                normalise(&mut trial);
                let score = mean_ndcg(queries, &trial);
                if score > best_score + MIN_GAIN {
                    best_score = score;
                    best = trial;
                }
            }
        }
        if best_score <= before + MIN_GAIN {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two components, the second tells relevant from not; the fit finds it.
    #[test]
    fn ascent_moves_weight_to_the_telling_component() {
        let query = |seed: u64| CachedQuery {
            candidates: (0..30u64)
                .map(|i| {
                    let relevant = (i + seed).is_multiple_of(3);
                    let noise = ((i * 7 + seed * 13) % 10) as f64 / 10.0;
                    (u8::from(relevant) * 2, vec![noise, if relevant { 0.9 } else { 0.1 }])
                })
                .collect(),
            ideal: (0..30u64)
                .map(|i| if (i + seed).is_multiple_of(3) { 2 } else { 0 })
                .collect(),
        };
        let queries: Vec<CachedQuery> = (0..5).map(query).collect();
        let refs: Vec<&CachedQuery> = queries.iter().collect();
        let start = [0.9, 0.1];
        let before = mean_ndcg(&refs, &start);
        let fitted = coordinate_ascent(&refs, &start, &[0.0, 0.0]);
        let after = mean_ndcg(&refs, &fitted);
        assert!(after > before + 0.1, "{before} -> {after}");
        assert!(fitted[1] > fitted[0], "{fitted:?}");
        assert!((fitted.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let floored = coordinate_ascent(&refs, &start, &[0.2, 0.0]);
        assert!(floored[0] >= 0.2 - 1e-9, "the floor holds: {floored:?}");
        assert!((floored.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
}
