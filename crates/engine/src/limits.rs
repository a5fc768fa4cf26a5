//! Every limit and default of the engine in one place. The limits are part of
//! the public contract (the proto comments repeat them); change both together.

use std::time::Duration;

/// Candidates per Match page when the request does not say.
pub const DEFAULT_MATCH_LIMIT: u32 = 20;
/// Most candidates per Match page, and deepest rank a page token reaches.
pub const MAX_MATCH_LIMIT: u32 = 1_000;
/// Opportunities per ListOpportunities page when the request does not say.
pub const DEFAULT_LIST_PAGE_SIZE: u32 = 50;
/// Most opportunities per ListOpportunities page.
pub const MAX_LIST_PAGE_SIZE: u32 = 1_000;
/// Candidates per GetShortlist page when the request does not say.
pub const DEFAULT_SHORTLIST_PAGE_SIZE: u32 = 50;
/// Most candidates per GetShortlist page.
pub const MAX_SHORTLIST_PAGE_SIZE: u32 = 1_000;
/// Candidates kept per stored shortlist when the request does not say.
pub const DEFAULT_SHORTLIST_SIZE: u32 = 100;
/// Most candidates kept per stored shortlist.
pub const MAX_SHORTLIST_SIZE: u32 = 1_000;
/// Most opportunities one Rescore request may name.
pub const MAX_RESCORE_OPPORTUNITIES: usize = 10_000;
/// Most opportunities in one mentor assignment.
pub const MAX_ASSIGNMENT_OPPORTUNITIES: usize = 100;
/// Most assignments one alumnus may take in one mentor assignment.
pub const MAX_ASSIGNMENTS_PER_ALUMNUS: u32 = 100;
/// Candidates considered per opportunity in a mentor assignment when the
/// request does not say.
pub const DEFAULT_CANDIDATES_PER_OPPORTUNITY: u32 = 100;
/// Most opportunity kinds one MatchForAlumnus request may list (there are four;
/// a longer list is a mistake or an attack, and repeats are dropped).
pub const MAX_KINDS_PER_REQUEST: usize = 16;
/// Most weight overrides in one Match request.
pub const MAX_WEIGHT_OVERRIDES: usize = 64;
/// Most field violations reported for one request; the rest are counted.
pub const MAX_REPORTED_VIOLATIONS: usize = 100;

/// Alumni re-ranked per query by default.
pub const DEFAULT_RETRIEVAL_POOL: usize = 300;
/// Longest time between an acknowledged write and its index commit.
pub const DEFAULT_COMMIT_INTERVAL: Duration = Duration::from_millis(250);
/// Index writer threads.
pub const DEFAULT_INDEXER_THREADS: usize = 1;
/// Index writer memory budget, in bytes.
pub const DEFAULT_INDEXER_MEMORY_BYTES: usize = 128 * 1024 * 1024;
/// How often a failed index update is retried.
pub const INDEX_RETRY_INTERVAL: Duration = Duration::from_secs(1);
