//! Ranking metrics over graded relevance.
//!
//! Gains are the grades of [`crate::datagen::Relevance`] used linearly: highly
//! relevant = 2, partly = 1, not relevant = 0. DCG discounts rank `i` (1-based)
//! by `log2(i + 1)`.

// DCG, NDCG and the mean live with the fitting that `tune` shares.
pub use alumni_match_engine::ranking::fitting::{dcg_at, mean, ndcg_at};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
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
}
