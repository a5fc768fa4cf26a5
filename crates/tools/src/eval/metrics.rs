//! Ranking metrics over graded relevance.
//!
//! Gains are the grades of [`crate::datagen::Relevance`] used linearly: highly
//! relevant = 2, partly = 1, not relevant = 0. DCG discounts rank `i` (1-based)
//! by `log2(i + 1)`.

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

/// Precision@k: the share of the first `k` ranks holding a relevant candidate
/// (gain > 0). The denominator is always `k`, so a system that returns fewer
/// than `k` candidates is not rewarded for it; 0 when `k` is 0.
pub fn precision_at(ranked: &[u8], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let relevant = ranked.iter().take(k).filter(|&&gain| gain > 0).count();
    relevant as f64 / k as f64
}

/// Arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
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
    fn precision_counts_partly_and_highly_over_k() {
        assert!(close(precision_at(&[2, 1, 0, 0, 2, 0, 0, 0, 0, 1], 10), 0.4));
        // Fewer than k returned: the missing ranks count as misses.
        assert!(close(precision_at(&[2, 2, 2], 10), 0.3));
        // Ranks past k do not count.
        assert!(close(precision_at(&[0, 0, 2], 2), 0.0));
        assert!(close(precision_at(&[], 10), 0.0));
        assert!(close(precision_at(&[2], 0), 0.0));
    }

    #[test]
    fn mean_of_nothing_is_none() {
        assert_eq!(mean(&[]), None);
        assert!(close(mean(&[0.5, 1.0]).unwrap(), 0.75));
    }
}
