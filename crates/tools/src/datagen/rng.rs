//! The generator's pseudo-random numbers.
//!
//! Hand-written rather than taken from the `rand` crate on purpose: benchmark and
//! evaluation data sets are identified by their seed, so the same seed must give
//! the same bytes forever. `rand`'s `StdRng` explicitly reserves the right to change
//! its algorithm between versions, and its distributions (ranges, shuffles) have
//! changed output across releases. Two small, well-studied, fully specified
//! algorithms avoid that: SplitMix64 (Steele, Lea and Flood 2014) derives
//! independent seeds from `(seed, stream, index)`, and xoshiro256** (Blackman and
//! Vigna 2018) draws the numbers. Both pass BigCrush; neither is cryptographic,
//! which nothing here needs.

/// SplitMix64's output function: a bijective mixer with good avalanche.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// Independent sequences drawn from one seed, so that adding a field to alumni
/// never shifts what the opportunities get, and record `i` never depends on `i - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Alumnus = 1,
    Opportunity = 2,
}

/// xoshiro256** seeded through SplitMix64.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// The generator for record `index` of `stream` under `seed`.
    pub(crate) fn for_record(seed: u64, stream: Stream, index: u64) -> Self {
        // Mixing each part separately keeps (seed, i) and (seed + 1, i - 1) apart.
        let key =
            mix64(seed ^ mix64((stream as u64).wrapping_mul(GOLDEN_GAMMA))) ^ mix64(index.wrapping_add(GOLDEN_GAMMA));
        Self::from_seed(key)
    }

    /// Fills the state from SplitMix64, as the xoshiro authors recommend.
    pub(crate) fn from_seed(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(GOLDEN_GAMMA);
            mix64(x)
        };
        let s = [next(), next(), next(), next()];
        // An all-zero state is the one fixed point; SplitMix64 cannot produce four
        // zeros in a row, but the guard costs nothing.
        if s == [0; 4] {
            return Self { s: [1, 0, 0, 0] };
        }
        Self { s }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `0..n` without modulo bias (Lemire's multiply-and-reject);
    /// 0 when `n` is 0.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            if (product as u64) >= threshold {
                return (product >> 64) as usize;
            }
        }
    }

    /// Uniform in `lo..=hi` (`lo` when the range is empty).
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// One element of a non-empty slice; `None` for an empty one.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }

    /// An index drawn with probability proportional to `weights` (0 when all are 0).
    pub(crate) fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        // NaN or non-positive totals fall back to the first index.
        if total.is_nan() || total <= 0.0 {
            return 0;
        }
        let mut target = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if target < *w {
                return i;
            }
            target -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// Up to `k` distinct elements of `items`, in a random order (partial Fisher–Yates
    /// on an index buffer, so `items` itself is untouched).
    pub(crate) fn sample<T: Copy>(&mut self, items: &[T], k: usize) -> Vec<T> {
        let mut order: Vec<usize> = (0..items.len()).collect();
        let k = k.min(items.len());
        for i in 0..k {
            let j = i + self.below(order.len() - i);
            order.swap(i, j);
        }
        order[..k].iter().map(|&i| items[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_matches_the_reference_sequence() {
        // First outputs of the reference C implementation for state {1, 2, 3, 4}.
        let mut rng = Rng { s: [1, 2, 3, 4] };
        let first: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [11520, 0, 1509978240, 1215971899390074240],
            "xoshiro256** drifted from the published algorithm"
        );
    }

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // SplitMix64 from seed 0: the widely published first value.
        assert_eq!(mix64(GOLDEN_GAMMA), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn records_get_independent_streams() {
        let a = Rng::for_record(42, Stream::Alumnus, 0).next_u64();
        let b = Rng::for_record(42, Stream::Alumnus, 1).next_u64();
        let c = Rng::for_record(42, Stream::Opportunity, 0).next_u64();
        let d = Rng::for_record(43, Stream::Alumnus, 0).next_u64();
        assert_eq!(a, Rng::for_record(42, Stream::Alumnus, 0).next_u64());
        assert!(a != b && a != c && a != d && b != c);
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut rng = Rng::from_seed(7);
        let mut seen = [0u32; 7];
        for _ in 0..7_000 {
            seen[rng.below(7)] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.range(5, 5), 5);
        assert_eq!(rng.range(5, 2), 5);
    }

    #[test]
    fn sample_draws_distinct_items() {
        let mut rng = Rng::from_seed(1);
        let items: Vec<u32> = (0..20).collect();
        let mut got = rng.sample(&items, 10);
        assert_eq!(got.len(), 10);
        got.sort_unstable();
        got.dedup();
        assert_eq!(got.len(), 10);
        assert_eq!(rng.sample(&items[..3], 10).len(), 3);
    }

    #[test]
    fn weighted_follows_weights() {
        let mut rng = Rng::from_seed(3);
        let mut counts = [0u32; 3];
        for _ in 0..10_000 {
            counts[rng.weighted(&[1.0, 0.0, 3.0])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((2_200..2_800).contains(&counts[0]), "{counts:?}");
    }
}
