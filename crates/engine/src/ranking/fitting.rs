//! Fitting weights to graded judgments: NDCG@k, and coordinate ascent on mean
//! NDCG@k (Metzler and Croft, 2007) over cached component values.
//!
//! Retrieval does not depend on the weights, so each query's ranked pool is
//! computed once with every component's value; a candidate's score under other
//! weights is then a dot product, and NDCG under them is exact, not an
//! estimate. Used by `alumni-match tune` (a tenant's outcomes) and by the
//! offline evaluation (judgments built from ESCO and O*NET).
//!
//! Gains are grades used linearly; DCG discounts rank `i` (1-based) by
//! `log2(i + 1)`.

/// Discounted cumulative gain of the first `k` gains of a ranking.
pub fn dcg_at(gains: &[u8], k: usize) -> f64 {
    gains
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &gain)| f64::from(gain) / ((i + 2) as f64).log2())
        .sum()
}

/// NDCG@k of `ranked` (the gains of what the system returned, in order) against
/// the best possible ranking of `judged` (the gains of every candidate the system
/// could legitimately have returned, in any order).
///
/// Returns `None` when `judged` holds no relevant candidate: the ideal DCG is 0
/// and NDCG is undefined. Callers leave such queries out of NDCG means (and count
/// them) rather than scoring them 0 or 1, either of which would bias the mean.
///
/// `ranked` must not credit anything outside `judged` (give a candidate that
/// should not have been returned a gain of 0), which keeps the result in [0, 1].
pub fn ndcg_at(ranked: &[u8], judged: &[u8], k: usize) -> Option<f64> {
    let mut ideal: Vec<u8> = judged.to_vec();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let ideal_dcg = dcg_at(&ideal, k);
    if ideal_dcg <= 0.0 {
        return None;
    }
    Some(dcg_at(ranked, k) / ideal_dcg)
}

/// Arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// One query's pool: every ranked candidate's gain and component values (in
/// the order of the components being fitted), and the gains of every
/// candidate that could have been returned (for the ideal DCG).
#[derive(Debug, Clone)]
pub struct JudgedQuery {
    /// `(gain, component values)` per candidate, in the pool's tie order.
    pub candidates: Vec<(u8, Vec<f64>)>,
    /// Gains of every judged candidate.
    pub ideal: Vec<u8>,
}

impl JudgedQuery {
    /// NDCG@k of the pool ranked by `weights` (ties keep pool order).
    pub fn ndcg(&self, weights: &[f64], k: usize) -> Option<f64> {
        ndcg_at(&self.ranked_gains(weights, k), &self.ideal, k)
    }

    /// Gains of the top `k` under `weights`.
    pub fn ranked_gains(&self, weights: &[f64], k: usize) -> Vec<u8> {
        let mut scored: Vec<(f64, usize)> = self
            .candidates
            .iter()
            .enumerate()
            .map(|(i, (_, values))| (values.iter().zip(weights).map(|(v, w)| v * w).sum(), i))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.iter().take(k).map(|&(_, i)| self.candidates[i].0).collect()
    }
}

/// Mean NDCG@k over the queries where it is defined (0 when it is nowhere).
pub fn mean_ndcg(queries: &[&JudgedQuery], weights: &[f64], k: usize) -> f64 {
    let values: Vec<f64> = queries.iter().filter_map(|q| q.ndcg(weights, k)).collect();
    mean(&values).unwrap_or(0.0)
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
pub fn normalise_with_floors(weights: &mut [f64], floors: &[f64]) {
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

/// Weights (normalised to sum to 1) that maximise mean NDCG@k on `queries`,
/// starting from `start`, never below `floors`.
pub fn coordinate_ascent(queries: &[&JudgedQuery], start: &[f64], floors: &[f64], k: usize) -> Vec<f64> {
    let normalise = |w: &mut Vec<f64>| normalise_with_floors(w, floors);
    let mut best: Vec<f64> = start.to_vec();
    normalise(&mut best);
    let mut best_score = mean_ndcg(queries, &best, k);
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
                let score = mean_ndcg(queries, &trial, k);
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

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn dcg_matches_hand_computation() {
        // 2/log2(2) + 0/log2(3) + 1/log2(4) = 2 + 0 + 0.5
        assert!(close(dcg_at(&[2, 0, 1], 10), 2.5));
        // Cut at k = 1.
        assert!(close(dcg_at(&[2, 0, 1], 1), 2.0));
        assert!(close(dcg_at(&[], 10), 0.0));
    }

    #[test]
    fn ndcg_matches_hand_computation() {
        // Ranked [1, 2]: 1/1 + 2/log2(3) = 1 + 1.261859507...
        // Ideal  [2, 1]: 2/1 + 1/log2(3) = 2 + 0.630929753...
        let expected = (1.0 + 2.0 / 3f64.log2()) / (2.0 + 1.0 / 3f64.log2());
        let got = ndcg_at(&[1, 2], &[0, 1, 0, 2], 10).unwrap();
        assert!(close(got, expected), "{got} vs {expected}");
        assert!(close(expected, 0.859_718_699_852_197_2), "{expected}");
    }

    #[test]
    fn ndcg_is_one_for_the_ideal_ranking_and_zero_for_nothing_relevant() {
        assert!(close(ndcg_at(&[2, 2, 1, 0], &[0, 1, 2, 2, 0], 10).unwrap(), 1.0));
        assert!(close(ndcg_at(&[0, 0, 0], &[0, 1, 2, 0], 10).unwrap(), 0.0));
        assert!(close(ndcg_at(&[], &[1], 10).unwrap(), 0.0));
    }

    #[test]
    fn ndcg_ideal_is_cut_at_k() {
        // Twelve highly relevant candidates: the ideal top 10 is all 2s, so ten 2s
        // score 1 even though two more relevant ones were left out.
        let judged = [2u8; 12];
        assert!(close(ndcg_at(&[2; 10], &judged, 10).unwrap(), 1.0));
        // Only ranks within k count for the system too.
        let mut ranked = vec![0u8; 10];
        ranked.push(2);
        assert!(close(ndcg_at(&ranked, &judged, 10).unwrap(), 0.0));
    }

    #[test]
    fn ndcg_is_undefined_without_relevant_candidates() {
        assert_eq!(ndcg_at(&[0, 0], &[0, 0, 0], 10), None);
        assert_eq!(ndcg_at(&[], &[], 10), None);
        assert_eq!(ndcg_at(&[2], &[2], 0), None);
    }

    #[test]
    fn mean_of_nothing_is_none() {
        assert_eq!(mean(&[]), None);
        assert!(close(mean(&[0.5, 1.0]).unwrap(), 0.75));
    }

    /// Two components, the second tells relevant from not; the fit finds it.
    #[test]
    fn ascent_moves_weight_to_the_telling_component() {
        let query = |seed: u64| JudgedQuery {
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
        let queries: Vec<JudgedQuery> = (0..5).map(query).collect();
        let refs: Vec<&JudgedQuery> = queries.iter().collect();
        let start = [0.9, 0.1];
        let before = mean_ndcg(&refs, &start, 10);
        let fitted = coordinate_ascent(&refs, &start, &[0.0, 0.0], 10);
        let after = mean_ndcg(&refs, &fitted, 10);
        assert!(after > before + 0.1, "{before} -> {after}");
        assert!(fitted[1] > fitted[0], "{fitted:?}");
        assert!((fitted.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let floored = coordinate_ascent(&refs, &start, &[0.2, 0.0], 10);
        assert!(floored[0] >= 0.2 - 1e-9, "the floor holds: {floored:?}");
        assert!((floored.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
}
