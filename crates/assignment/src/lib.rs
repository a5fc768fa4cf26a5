//! Optimal mentor assignment: which alumni mentor which MENTORING opportunities.
//!
//! Each opportunity `j` wants up to `capacity_j` mentors, each alumnus takes at
//! most a limit of assignments, and a pair `(i, j)` may be used only if the
//! caller gives it a score in (0, 1] (gates are applied before this module).
//! [`assign_optimal`] returns the set of pairs with the **largest total score**;
//! that is not necessarily the largest number of pairs, since moving a mentor to
//! make room for one more pair can lose more score than the new pair brings.
//!
//! # Method
//!
//! Min-cost flow on source → alumni (capacity = the alumnus's limit, cost 0) →
//! opportunities (capacity 1, cost −score) → sink (capacity = the opportunity's
//! capacity, cost 0), by successive shortest paths: Dijkstra with Johnson
//! potentials, the initial potentials read off directly because the network is
//! a DAG. The cost of successive shortest paths never decreases, so stopping at
//! the first path whose cost is not negative leaves the cheapest flow of any
//! value, i.e. the highest total score.
//!
//! # Precision and ties
//!
//! Scores become integer costs `round(score × 10⁹)` (at least 1, so every
//! allowed pair is worth taking when nothing has to give way), which keeps the
//! algorithm exact and guarantees termination. Two assignments whose totals
//! differ by less than about [`SCORE_RESOLUTION`] per pair may therefore be
//! treated as equal. The reported [`Assignment::total_score`] is the sum of the
//! original `f64` scores.
//!
//! Among equally good assignments the one returned is a deterministic function
//! of the problem; the order of [`AssignmentProblem::edges`] does not matter,
//! because edges are put in (alumnus, opportunity) order before solving.
//!
//! # Complexity
//!
//! With `V` = alumni + opportunities + 2, `E` = number of edges and `F` = number
//! of pairs returned, time is O(F · (V + E) log V) and memory O(V + E). Each
//! augmentation adds exactly one pair, because every path uses a capacity-1
//! alumnus → opportunity arc. The service's load (a handful of opportunities ×
//! a few hundred candidates, up to ~10⁵ edges and F in the tens) takes
//! milliseconds. The input limits ([`MAX_ALUMNI`], [`MAX_OPPORTUNITIES`],
//! [`MAX_EDGES`]) bound memory (about 250 MB of arcs at the edge limit) and keep
//! costs and node indices far from overflow; they do not make the worst case
//! fast, so callers with huge inputs should shard them first.

use std::{cmp::Reverse, collections::BinaryHeap, collections::HashMap};

/// Most edges accepted by [`assign_optimal`] and [`assign_greedy`].
pub const MAX_EDGES: usize = 5_000_000;
/// Most alumni accepted.
pub const MAX_ALUMNI: usize = 1_000_000;
/// Most opportunities accepted.
pub const MAX_OPPORTUNITIES: usize = 1_000_000;
/// Scores are compared at this resolution (see the module docs).
pub const SCORE_RESOLUTION: f64 = 1e-9;

const COST_SCALE: f64 = 1e9;

/// One assignment problem. Alumni and opportunities are referred to by their
/// position in [`alumni`](Self::alumni) and [`opportunities`](Self::opportunities).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssignmentProblem {
    /// Alumni ids, distinct. Only checked for duplicates and used in errors.
    pub alumni: Vec<String>,
    /// Opportunity ids, distinct, with how many mentors each wants (0 = none).
    pub opportunities: Vec<(String, u32)>,
    /// Most assignments per alumnus unless overridden; must be at least 1.
    pub max_per_alumnus: u32,
    /// Per-alumnus limits replacing `max_per_alumnus`: `(alumnus index, limit)`,
    /// at most one per alumnus. A limit of 0 keeps the alumnus out (for example
    /// one already mentoring as much as they offered).
    pub limit_overrides: Vec<(usize, u32)>,
    /// Allowed pairs: `(alumnus index, opportunity index, score)` with the score
    /// finite and in (0, 1], each pair at most once. Absent pairs are not allowed.
    pub edges: Vec<(usize, usize, f64)>,
}

/// The chosen pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assignment {
    /// `(alumnus index, opportunity index, score)`, sorted by alumnus then opportunity.
    pub pairs: Vec<(usize, usize, f64)>,
    /// Sum of the pairs' scores.
    pub total_score: f64,
}

/// Why a problem was rejected. Positions (`edge`, `position`, `first`, `second`)
/// are indexes into the corresponding input vector.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AssignmentError {
    /// An input exceeds its limit ([`MAX_ALUMNI`], [`MAX_OPPORTUNITIES`], [`MAX_EDGES`]).
    #[error("too many {what}: {len}, the limit is {max}")]
    TooLarge {
        /// "alumni", "opportunities" or "edges".
        what: &'static str,
        /// How many were given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `max_per_alumnus` is 0.
    #[error("max_per_alumnus must be at least 1")]
    ZeroMaxPerAlumnus,
    /// Two alumni share an id.
    #[error("alumni {first} and {second} share the id {id:?}")]
    DuplicateAlumnus {
        /// The id.
        id: String,
        /// Its first position.
        first: usize,
        /// Its second position.
        second: usize,
    },
    /// Two opportunities share an id.
    #[error("opportunities {first} and {second} share the id {id:?}")]
    DuplicateOpportunity {
        /// The id.
        id: String,
        /// Its first position.
        first: usize,
        /// Its second position.
        second: usize,
    },
    /// A limit override names an alumnus that does not exist.
    #[error("limit override {position}: alumnus index {index} is out of range (there are {len} alumni)")]
    OverrideOutOfRange {
        /// Position in `limit_overrides`.
        position: usize,
        /// The index given.
        index: usize,
        /// Number of alumni.
        len: usize,
    },
    /// Two limit overrides name the same alumnus.
    #[error("limit overrides {first} and {second} both name alumnus {alumnus}")]
    DuplicateOverride {
        /// The alumnus index.
        alumnus: usize,
        /// First position in `limit_overrides`.
        first: usize,
        /// Second position.
        second: usize,
    },
    /// An edge names an alumnus that does not exist.
    #[error("edge {edge}: alumnus index {index} is out of range (there are {len} alumni)")]
    AlumnusOutOfRange {
        /// Position in `edges`.
        edge: usize,
        /// The index given.
        index: usize,
        /// Number of alumni.
        len: usize,
    },
    /// An edge names an opportunity that does not exist.
    #[error("edge {edge}: opportunity index {index} is out of range (there are {len} opportunities)")]
    OpportunityOutOfRange {
        /// Position in `edges`.
        edge: usize,
        /// The index given.
        index: usize,
        /// Number of opportunities.
        len: usize,
    },
    /// A score is NaN, infinite, ≤ 0 or > 1.
    #[error("edge {edge}: score {score} is not a finite number in (0, 1]")]
    InvalidScore {
        /// Position in `edges`.
        edge: usize,
        /// The score given.
        score: f64,
    },
    /// The same pair is given twice.
    #[error("edges {first} and {second} both join alumnus {alumnus} and opportunity {opportunity}")]
    DuplicateEdge {
        /// The alumnus index.
        alumnus: usize,
        /// The opportunity index.
        opportunity: usize,
        /// First position in `edges`.
        first: usize,
        /// Second position.
        second: usize,
    },
}

/// Returns the assignment with the largest total score (see the module docs for
/// method, precision, ties and complexity).
pub fn assign_optimal(problem: &AssignmentProblem) -> Result<Assignment, AssignmentError> {
    let checked = Checked::new(problem)?;
    let mut network = Network::build(problem, &checked);
    network.maximise();
    let pairs = network
        .middle
        .iter()
        .filter(|&&(arc, _)| network.arcs[arc].cap == 0)
        .map(|&(_, edge)| problem.edges[edge])
        .collect();
    Ok(finish(pairs))
}

/// Highest score first (ties by alumnus, then opportunity index), taking each
/// pair whose alumnus and opportunity still have room. The baseline
/// [`assign_optimal`] is measured against; it can be arbitrarily worse relative
/// to the optimum when a strong pair blocks two good ones.
pub fn assign_greedy(problem: &AssignmentProblem) -> Result<Assignment, AssignmentError> {
    let checked = Checked::new(problem)?;
    let mut by_score = checked.order.clone();
    by_score.sort_by(|&a, &b| {
        let (ea, eb) = (problem.edges[a], problem.edges[b]);
        eb.2.total_cmp(&ea.2).then_with(|| (ea.0, ea.1).cmp(&(eb.0, eb.1)))
    });
    let mut alumnus_room = checked.limits;
    let mut opportunity_room: Vec<u32> = problem.opportunities.iter().map(|&(_, cap)| cap).collect();
    let mut pairs = Vec::new();
    for edge in by_score {
        let (i, j, _) = problem.edges[edge];
        if alumnus_room[i] > 0 && opportunity_room[j] > 0 {
            alumnus_room[i] -= 1;
            opportunity_room[j] -= 1;
            pairs.push(problem.edges[edge]);
        }
    }
    Ok(finish(pairs))
}

fn finish(mut pairs: Vec<(usize, usize, f64)>) -> Assignment {
    pairs.sort_by_key(|&(i, j, _)| (i, j));
    let total_score = pairs.iter().map(|&(_, _, s)| s).sum();
    Assignment { pairs, total_score }
}

/// A validated problem: each alumnus's effective limit, and the edges' positions
/// in (alumnus, opportunity) order so results do not depend on input order.
struct Checked {
    limits: Vec<u32>,
    order: Vec<usize>,
}

impl Checked {
    fn new(problem: &AssignmentProblem) -> Result<Self, AssignmentError> {
        let too_large = |what, len, max| {
            if len > max {
                Err(AssignmentError::TooLarge { what, len, max })
            } else {
                Ok(())
            }
        };
        too_large("alumni", problem.alumni.len(), MAX_ALUMNI)?;
        too_large("opportunities", problem.opportunities.len(), MAX_OPPORTUNITIES)?;
        too_large("edges", problem.edges.len(), MAX_EDGES)?;
        if problem.max_per_alumnus == 0 {
            return Err(AssignmentError::ZeroMaxPerAlumnus);
        }

        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(problem.alumni.len());
        for (second, id) in problem.alumni.iter().enumerate() {
            if let Some(&first) = seen.get(id.as_str()) {
                return Err(AssignmentError::DuplicateAlumnus {
                    id: id.clone(),
                    first,
                    second,
                });
            }
            seen.insert(id, second);
        }
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(problem.opportunities.len());
        for (second, (id, _)) in problem.opportunities.iter().enumerate() {
            if let Some(&first) = seen.get(id.as_str()) {
                return Err(AssignmentError::DuplicateOpportunity {
                    id: id.clone(),
                    first,
                    second,
                });
            }
            seen.insert(id, second);
        }

        let mut limits = vec![problem.max_per_alumnus; problem.alumni.len()];
        let mut overridden_at: Vec<Option<usize>> = vec![None; problem.alumni.len()];
        for (position, &(index, limit)) in problem.limit_overrides.iter().enumerate() {
            let Some(slot) = overridden_at.get_mut(index) else {
                return Err(AssignmentError::OverrideOutOfRange {
                    position,
                    index,
                    len: problem.alumni.len(),
                });
            };
            if let Some(first) = *slot {
                return Err(AssignmentError::DuplicateOverride {
                    alumnus: index,
                    first,
                    second: position,
                });
            }
            *slot = Some(position);
            limits[index] = limit;
        }

        for (edge, &(i, j, score)) in problem.edges.iter().enumerate() {
            if i >= problem.alumni.len() {
                return Err(AssignmentError::AlumnusOutOfRange {
                    edge,
                    index: i,
                    len: problem.alumni.len(),
                });
            }
            if j >= problem.opportunities.len() {
                return Err(AssignmentError::OpportunityOutOfRange {
                    edge,
                    index: j,
                    len: problem.opportunities.len(),
                });
            }
            // Written as a positive range test because comparisons with NaN are
            // false, so NaN (and both infinities) fall outside it.
            let in_range = score > 0.0 && score <= 1.0;
            if !in_range {
                return Err(AssignmentError::InvalidScore { edge, score });
            }
        }

        let mut order: Vec<usize> = (0..problem.edges.len()).collect();
        // Position as the last key makes the reported duplicate the earliest pair.
        order.sort_unstable_by_key(|&e| (problem.edges[e].0, problem.edges[e].1, e));
        for window in order.windows(2) {
            let (first, second) = (window[0], window[1]);
            let (i, j, _) = problem.edges[first];
            if (i, j) == (problem.edges[second].0, problem.edges[second].1) {
                return Err(AssignmentError::DuplicateEdge {
                    alumnus: i,
                    opportunity: j,
                    first,
                    second,
                });
            }
        }
        Ok(Self { limits, order })
    }
}

/// Integer cost of a pair. At least 1 so that a tiny but allowed score still
/// counts as a gain rather than vanishing to a zero-cost pair that is never taken.
fn cost_of(score: f64) -> i64 {
    // In range by validation: score in (0, 1] gives 0..=1e9 before the max.
    ((score * COST_SCALE).round() as i64).max(1)
}

#[derive(Debug, Clone, Copy)]
struct Arc {
    to: u32,
    cap: u32,
    cost: i64,
}

/// Residual network. Arc `k` and `k ^ 1` are each other's reverse, so an arc's
/// tail is `arcs[k ^ 1].to`. Outgoing arcs of node `v` are
/// `out[start[v]..start[v + 1]]` (compressed rows, one allocation).
struct Network {
    arcs: Vec<Arc>,
    start: Vec<usize>,
    out: Vec<u32>,
    potential: Vec<i64>,
    /// (forward alumnus → opportunity arc, edge position), in canonical order.
    middle: Vec<(usize, usize)>,
}

const SOURCE: usize = 0;

impl Network {
    fn build(problem: &AssignmentProblem, checked: &Checked) -> Self {
        let alumni = problem.alumni.len();
        let opportunities = problem.opportunities.len();
        let alumnus_node = |i: usize| 1 + i;
        let opportunity_node = |j: usize| 1 + alumni + j;
        let sink = 1 + alumni + opportunities;
        let nodes = sink + 1;

        let mut arcs = Vec::with_capacity(2 * (alumni + opportunities + problem.edges.len()));
        // Node counts are bounded by the MAX_* limits, far below u32::MAX.
        let mut add = |from: usize, to: usize, cap: u32, cost: i64| {
            arcs.push(Arc {
                to: to as u32,
                cap,
                cost,
            });
            arcs.push(Arc {
                to: from as u32,
                cap: 0,
                cost: -cost,
            });
            arcs.len() - 2
        };
        for (i, &limit) in checked.limits.iter().enumerate() {
            add(SOURCE, alumnus_node(i), limit, 0);
        }
        let mut middle = Vec::with_capacity(problem.edges.len());
        for &edge in &checked.order {
            let (i, j, score) = problem.edges[edge];
            let arc = add(alumnus_node(i), opportunity_node(j), 1, -cost_of(score));
            middle.push((arc, edge));
        }
        for (j, &(_, capacity)) in problem.opportunities.iter().enumerate() {
            add(opportunity_node(j), sink, capacity, 0);
        }

        let mut start = vec![0usize; nodes + 1];
        for k in 0..arcs.len() {
            start[arcs[k ^ 1].to as usize + 1] += 1;
        }
        for v in 0..nodes {
            start[v + 1] += start[v];
        }
        let mut fill = start.clone();
        let mut out = vec![0u32; arcs.len()];
        for k in 0..arcs.len() {
            let tail = arcs[k ^ 1].to as usize;
            // Arc count is at most 2 × (MAX_ALUMNI + MAX_OPPORTUNITIES + MAX_EDGES) < u32::MAX.
            out[fill[tail]] = k as u32;
            fill[tail] += 1;
        }

        // Feasible initial potentials without Bellman-Ford: the network is a
        // layered DAG, so each layer's potential is the cheapest arc into it.
        // Reduced costs are then non-negative on every arc with capacity
        // (reverse arcs start empty and do not count).
        let mut potential = vec![0i64; nodes];
        for &(arc, _) in &middle {
            let head = arcs[arc].to as usize;
            potential[head] = potential[head].min(arcs[arc].cost);
        }
        potential[sink] = potential[1 + alumni..sink].iter().copied().min().unwrap_or(0).min(0);

        Self {
            arcs,
            start,
            out,
            potential,
            middle,
        }
    }

    fn sink(&self) -> usize {
        self.potential.len() - 1
    }

    /// Successive shortest paths until the cheapest path would not lower the cost.
    fn maximise(&mut self) {
        let nodes = self.potential.len();
        let sink = self.sink();
        let mut dist = vec![i64::MAX; nodes];
        let mut via = vec![usize::MAX; nodes];
        let mut done = vec![false; nodes];
        let mut heap = BinaryHeap::new();
        loop {
            dist.fill(i64::MAX);
            via.fill(usize::MAX);
            done.fill(false);
            heap.clear();
            dist[SOURCE] = 0;
            heap.push(Reverse((0i64, SOURCE)));
            while let Some(Reverse((d, u))) = heap.pop() {
                if done[u] {
                    continue;
                }
                done[u] = true;
                // Stopping at the sink is safe for the potentials: see below.
                if u == sink {
                    break;
                }
                for &k in &self.out[self.start[u]..self.start[u + 1]] {
                    let arc = self.arcs[k as usize];
                    if arc.cap == 0 {
                        continue;
                    }
                    let v = arc.to as usize;
                    let reduced = arc.cost + self.potential[u] - self.potential[v];
                    debug_assert!(reduced >= 0, "potentials must keep reduced costs non-negative");
                    let candidate = d + reduced;
                    if candidate < dist[v] {
                        dist[v] = candidate;
                        via[v] = k as usize;
                        heap.push(Reverse((candidate, v)));
                    }
                }
            }
            let reach = dist[sink];
            if reach == i64::MAX {
                return;
            }
            // The source's potential never changes from 0, so this is the
            // path's true cost.
            if reach + self.potential[sink] >= 0 {
                return;
            }
            // Nodes settled before the sink have exact distances ≤ `reach`;
            // every other node (unsettled, or unreachable) is at least `reach`
            // away, so capping at `reach` keeps all reduced costs ≥ 0 and makes
            // those on the path 0. The total added over the whole run is
            // bounded by the sink's final distance, so potentials cannot overflow.
            for (p, &d) in self.potential.iter_mut().zip(&dist) {
                *p += d.min(reach);
            }
            let mut bottleneck = u32::MAX;
            let mut v = sink;
            while v != SOURCE {
                let k = via[v];
                bottleneck = bottleneck.min(self.arcs[k].cap);
                v = self.arcs[k ^ 1].to as usize;
            }
            let mut v = sink;
            while v != SOURCE {
                let k = via[v];
                self.arcs[k].cap -= bottleneck;
                self.arcs[k ^ 1].cap += bottleneck;
                v = self.arcs[k ^ 1].to as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn problem(
        alumni: usize,
        capacities: &[u32],
        max_per_alumnus: u32,
        edges: &[(usize, usize, f64)],
    ) -> AssignmentProblem {
        AssignmentProblem {
            alumni: (0..alumni).map(|i| format!("a{i}")).collect(),
            opportunities: capacities
                .iter()
                .enumerate()
                .map(|(j, &c)| (format!("m{j}"), c))
                .collect(),
            max_per_alumnus,
            limit_overrides: Vec::new(),
            edges: edges.to_vec(),
        }
    }

    fn assert_close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    fn pair_keys(assignment: &Assignment) -> Vec<(usize, usize)> {
        assignment.pairs.iter().map(|&(i, j, _)| (i, j)).collect()
    }

    /// Every invariant a valid assignment must satisfy, whatever its quality.
    fn check_feasible(problem: &AssignmentProblem, assignment: &Assignment) -> Result<(), String> {
        let checked = Checked::new(problem).map_err(|e| e.to_string())?;
        let mut per_alumnus = vec![0u32; problem.alumni.len()];
        let mut per_opportunity = vec![0u32; problem.opportunities.len()];
        for window in assignment.pairs.windows(2) {
            if (window[0].0, window[0].1) >= (window[1].0, window[1].1) {
                return Err(format!("pairs not strictly sorted: {window:?}"));
            }
        }
        for &(i, j, s) in &assignment.pairs {
            if !problem.edges.contains(&(i, j, s)) {
                return Err(format!("({i}, {j}, {s}) is not an input edge"));
            }
            per_alumnus[i] += 1;
            per_opportunity[j] += 1;
        }
        for (i, &n) in per_alumnus.iter().enumerate() {
            if n > checked.limits[i] {
                return Err(format!("alumnus {i} has {n} > {}", checked.limits[i]));
            }
        }
        for (j, &n) in per_opportunity.iter().enumerate() {
            if n > problem.opportunities[j].1 {
                return Err(format!("opportunity {j} has {n} > {}", problem.opportunities[j].1));
            }
        }
        let sum: f64 = assignment.pairs.iter().map(|p| p.2).sum();
        if (sum - assignment.total_score).abs() > 1e-12 {
            return Err(format!("total {} != sum {sum}", assignment.total_score));
        }
        Ok(())
    }

    /// Best total by trying every feasible subset of edges.
    fn brute_force(problem: &AssignmentProblem) -> f64 {
        fn go(edges: &[(usize, usize, f64)], alumnus_room: &mut [u32], opportunity_room: &mut [u32]) -> f64 {
            let Some((&(i, j, s), rest)) = edges.split_first() else {
                return 0.0;
            };
            let mut best = go(rest, alumnus_room, opportunity_room);
            if alumnus_room[i] > 0 && opportunity_room[j] > 0 {
                alumnus_room[i] -= 1;
                opportunity_room[j] -= 1;
                best = best.max(s + go(rest, alumnus_room, opportunity_room));
                alumnus_room[i] += 1;
                opportunity_room[j] += 1;
            }
            best
        }
        let mut alumnus_room = vec![problem.max_per_alumnus; problem.alumni.len()];
        for &(i, limit) in &problem.limit_overrides {
            alumnus_room[i] = limit;
        }
        let mut opportunity_room: Vec<u32> = problem.opportunities.iter().map(|o| o.1).collect();
        go(&problem.edges, &mut alumnus_room, &mut opportunity_room)
    }

    #[test]
    fn optimal_beats_greedy_on_the_textbook_case() {
        // A–M1 0.9, A–M2 0.8, B–M1 0.7: greedy grabs A–M1 and strands B.
        let p = problem(2, &[1, 1], 1, &[(0, 0, 0.9), (0, 1, 0.8), (1, 0, 0.7)]);
        let greedy = assign_greedy(&p).unwrap();
        assert_eq!(greedy.pairs, vec![(0, 0, 0.9)]);
        assert_close(greedy.total_score, 0.9);
        let optimal = assign_optimal(&p).unwrap();
        assert_eq!(optimal.pairs, vec![(0, 1, 0.8), (1, 0, 0.7)]);
        assert_close(optimal.total_score, 1.5);
    }

    #[test]
    fn takes_fewer_pairs_when_more_would_lower_the_total() {
        // Two pairs are possible (A–M2, B–M1 = 0.3) but A–M1 alone is worth more.
        let p = problem(2, &[1, 1], 1, &[(0, 0, 1.0), (0, 1, 0.1), (1, 0, 0.2)]);
        let optimal = assign_optimal(&p).unwrap();
        assert_eq!(optimal.pairs, vec![(0, 0, 1.0)]);
        assert_close(optimal.total_score, 1.0);
    }

    // A: M1 0.9, M2 0.8, M3 0.7; B: M1 0.6, M2 0.4; capacities M1 2, M2 1, M3 1.
    const LIMITS_EDGES: [(usize, usize, f64); 5] = [(0, 0, 0.9), (0, 1, 0.8), (0, 2, 0.7), (1, 0, 0.6), (1, 1, 0.4)];
    const LIMITS_CAPACITIES: [u32; 3] = [2, 1, 1];

    #[test]
    fn one_per_alumnus() {
        let p = problem(2, &LIMITS_CAPACITIES, 1, &LIMITS_EDGES);
        let optimal = assign_optimal(&p).unwrap();
        // M1 has room for both.
        assert_eq!(pair_keys(&optimal), [(0, 0), (1, 0)]);
        assert_close(optimal.total_score, 1.5);
        check_feasible(&p, &optimal).unwrap();
    }

    #[test]
    fn two_per_alumnus_and_opportunity_capacity_two() {
        let p = problem(2, &LIMITS_CAPACITIES, 2, &LIMITS_EDGES);
        let optimal = assign_optimal(&p).unwrap();
        // A gives up M2 (0.8) for M3 (0.7) so B can take M2 (0.4) besides M1:
        // both take M1, which has room for two.
        assert_eq!(pair_keys(&optimal), [(0, 0), (0, 2), (1, 0), (1, 1)]);
        assert_close(optimal.total_score, 2.6);
        check_feasible(&p, &optimal).unwrap();
        let greedy = assign_greedy(&p).unwrap();
        assert_eq!(pair_keys(&greedy), [(0, 0), (0, 1), (1, 0)]);
        assert_close(greedy.total_score, 2.3);
    }

    #[test]
    fn per_alumnus_overrides() {
        let mut p = problem(2, &LIMITS_CAPACITIES, 2, &LIMITS_EDGES);
        p.limit_overrides = vec![(0, 3)];
        let optimal = assign_optimal(&p).unwrap();
        assert_eq!(pair_keys(&optimal), [(0, 0), (0, 1), (0, 2), (1, 0)]);
        assert_close(optimal.total_score, 3.0);

        p.limit_overrides = vec![(1, 0)];
        let optimal = assign_optimal(&p).unwrap();
        assert_eq!(pair_keys(&optimal), [(0, 0), (0, 1)]);
        assert_close(optimal.total_score, 1.7);
    }

    #[test]
    fn zero_capacity_and_empty_inputs() {
        let p = problem(2, &[0, 1], 1, &[(0, 0, 1.0), (1, 0, 1.0), (1, 1, 0.5)]);
        assert_eq!(pair_keys(&assign_optimal(&p).unwrap()), [(1, 1)]);
        for p in [
            problem(0, &[], 1, &[]),
            problem(3, &[], 1, &[]),
            problem(0, &[2], 1, &[]),
        ] {
            let a = assign_optimal(&p).unwrap();
            assert!(a.pairs.is_empty());
            assert_eq!(a.total_score, 0.0);
        }
    }

    #[test]
    fn tiny_scores_still_count() {
        let p = problem(1, &[1, 1], 2, &[(0, 0, 1e-12), (0, 1, 1.0)]);
        assert_eq!(pair_keys(&assign_optimal(&p).unwrap()), [(0, 0), (0, 1)]);
    }

    #[test]
    fn errors() {
        let ok = problem(2, &[1, 1], 1, &[(0, 0, 0.5)]);
        let with_edge = |e| {
            let mut p = ok.clone();
            p.edges.push(e);
            p
        };
        for score in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, -0.5, 1.0 + 1e-12] {
            let err = assign_optimal(&with_edge((1, 1, score))).unwrap_err();
            assert!(
                matches!(err, AssignmentError::InvalidScore { edge: 1, .. }),
                "{score}: {err:?}"
            );
        }
        let err = assign_optimal(&with_edge((2, 0, 0.5))).unwrap_err();
        assert!(
            matches!(
                err,
                AssignmentError::AlumnusOutOfRange {
                    edge: 1,
                    index: 2,
                    len: 2
                }
            ),
            "{err:?}"
        );
        let err = assign_optimal(&with_edge((0, 2, 0.5))).unwrap_err();
        assert!(
            matches!(
                err,
                AssignmentError::OpportunityOutOfRange {
                    edge: 1,
                    index: 2,
                    len: 2
                }
            ),
            "{err:?}"
        );
        let err = assign_optimal(&with_edge((0, 0, 0.7))).unwrap_err();
        assert!(
            matches!(
                err,
                AssignmentError::DuplicateEdge {
                    alumnus: 0,
                    opportunity: 0,
                    first: 0,
                    second: 1
                }
            ),
            "{err:?}"
        );

        let mut p = ok.clone();
        p.max_per_alumnus = 0;
        assert!(matches!(assign_optimal(&p), Err(AssignmentError::ZeroMaxPerAlumnus)));
        let mut p = ok.clone();
        p.alumni[1] = "a0".into();
        assert!(matches!(
            assign_optimal(&p),
            Err(AssignmentError::DuplicateAlumnus {
                first: 0,
                second: 1,
                ..
            })
        ));
        let mut p = ok.clone();
        p.opportunities[1].0 = "m0".into();
        assert!(matches!(
            assign_optimal(&p),
            Err(AssignmentError::DuplicateOpportunity {
                first: 0,
                second: 1,
                ..
            })
        ));
        let mut p = ok.clone();
        p.limit_overrides = vec![(2, 1)];
        assert!(matches!(
            assign_optimal(&p),
            Err(AssignmentError::OverrideOutOfRange {
                position: 0,
                index: 2,
                len: 2
            })
        ));
        let mut p = ok.clone();
        p.limit_overrides = vec![(1, 1), (1, 2)];
        assert!(matches!(
            assign_optimal(&p),
            Err(AssignmentError::DuplicateOverride {
                alumnus: 1,
                first: 0,
                second: 1
            })
        ));
        let mut p = ok.clone();
        p.alumni = vec![String::new(); MAX_ALUMNI + 1];
        assert!(matches!(
            assign_optimal(&p),
            Err(AssignmentError::TooLarge { what: "alumni", .. })
        ));

        // Greedy validates the same way.
        assert!(matches!(
            assign_greedy(&with_edge((1, 1, f64::NAN))),
            Err(AssignmentError::InvalidScore { .. })
        ));
    }

    #[test]
    fn deterministic_and_independent_of_edge_order() {
        // Many equal scores, so several assignments tie for best.
        let mut edges = Vec::new();
        for i in 0..6 {
            for j in 0..4 {
                if (i + j) % 3 != 0 {
                    edges.push((i, j, if (i * j) % 2 == 0 { 0.5 } else { 0.25 }));
                }
            }
        }
        let p = problem(6, &[2, 1, 2, 1], 2, &edges);
        let first = assign_optimal(&p).unwrap();
        for _ in 0..3 {
            assert_eq!(assign_optimal(&p).unwrap(), first);
        }
        let mut reversed = p.clone();
        reversed.edges.reverse();
        assert_eq!(assign_optimal(&reversed).unwrap(), first);
        assert_close(first.total_score, brute_force(&p));
    }

    /// The service's load with margin: 20 opportunities × 5,000 candidates.
    #[test]
    fn hundred_thousand_edges() {
        let (alumni, opportunities) = (5_000, 20);
        let mut edges = Vec::with_capacity(alumni * opportunities);
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..alumni {
            for j in 0..opportunities {
                // xorshift: reproducible scores without a dependency.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                edges.push((i, j, ((state >> 11) % 1_000_000 + 1) as f64 / 1e6));
            }
        }
        let p = problem(alumni, &[5; 20], 2, &edges);
        let started = std::time::Instant::now();
        let optimal = assign_optimal(&p).unwrap();
        let elapsed = started.elapsed();
        check_feasible(&p, &optimal).unwrap();
        assert_eq!(optimal.pairs.len(), 100);
        assert!(optimal.total_score >= assign_greedy(&p).unwrap().total_score - 1e-9);
        // Generous for an unoptimised debug build on a busy machine.
        assert!(elapsed.as_secs() < 20, "took {elapsed:?}");
    }

    fn small_problem() -> impl Strategy<Value = AssignmentProblem> {
        (0usize..=5, 0usize..=4, 1u32..=3).prop_flat_map(|(alumni, opportunities, max_per_alumnus)| {
            // Grid scores make ties common; continuous ones exercise rounding.
            let score = prop_oneof![(1u32..=10).prop_map(|k| f64::from(k) / 10.0), 1e-6f64..=1.0];
            (
                proptest::collection::vec(0u32..=2, opportunities),
                proptest::collection::vec(proptest::option::weighted(0.6, score), alumni * opportunities),
                proptest::collection::vec(proptest::option::weighted(0.2, 0u32..=3), alumni),
            )
                .prop_flat_map(move |(capacities, scores, overrides)| {
                    let edges: Vec<(usize, usize, f64)> = scores
                        .iter()
                        .enumerate()
                        .filter_map(|(k, s)| s.map(|s| (k / opportunities, k % opportunities, s)))
                        .collect();
                    let limit_overrides: Vec<(usize, u32)> = overrides
                        .iter()
                        .enumerate()
                        .filter_map(|(i, o)| o.map(|l| (i, l)))
                        .collect();
                    let base = problem(alumni, &capacities, max_per_alumnus, &edges);
                    Just(edges).prop_shuffle().prop_map(move |edges| AssignmentProblem {
                        edges,
                        limit_overrides: limit_overrides.clone(),
                        ..base.clone()
                    })
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Optimal matches exhaustive search, is feasible, never loses to greedy,
        /// and does not depend on edge order.
        #[test]
        fn optimal_matches_brute_force(p in small_problem()) {
            let optimal = assign_optimal(&p).unwrap();
            prop_assert!(check_feasible(&p, &optimal).is_ok(), "{:?}", check_feasible(&p, &optimal));
            let best = brute_force(&p);
            prop_assert!((optimal.total_score - best).abs() < 1e-6, "optimal {} vs brute force {}", optimal.total_score, best);

            let greedy = assign_greedy(&p).unwrap();
            prop_assert!(check_feasible(&p, &greedy).is_ok(), "{:?}", check_feasible(&p, &greedy));
            prop_assert!(optimal.total_score >= greedy.total_score - 1e-9);

            let mut sorted = p.clone();
            sorted.edges.sort_by_key(|&(i, j, _)| (i, j));
            prop_assert_eq!(assign_optimal(&sorted).unwrap(), optimal);
        }
    }
}
