//! Every limit and default in one place: the records', the requests', the
//! engine's and the server's (the transport defaults are here too, so that no
//! default is written twice). The limits are part of the public contract (the
//! proto comments repeat them); change both together.

use std::time::Duration;

// Records (checked by `domain::validation`).

/// Longest id, in bytes.
pub const MAX_ID_BYTES: usize = 128;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;
/// Longest headline, in characters.
pub const MAX_HEADLINE_CHARS: usize = 500;
/// Most skills on one alumnus.
pub const MAX_SKILLS: usize = 200;
/// Longest skill name, in characters.
pub const MAX_SKILL_NAME_CHARS: usize = 100;
/// Most positions on one alumnus.
pub const MAX_POSITIONS: usize = 100;
/// Longest short text field (organisation, title, department, location, topic…).
pub const MAX_SHORT_TEXT_CHARS: usize = 200;
/// Longest position description or interest statement, in characters.
pub const MAX_LONG_TEXT_CHARS: usize = 10_000;
/// Longest opportunity description, in characters.
pub const MAX_OPPORTUNITY_DESCRIPTION_CHARS: usize = 20_000;
/// Longest opportunity title, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Most topics.
pub const MAX_TOPICS: usize = 50;
/// Most languages.
pub const MAX_LANGUAGES: usize = 20;
/// Most preferred locations.
pub const MAX_LOCATIONS: usize = 20;
/// Most required (and, separately, preferred) skills on an opportunity.
pub const MAX_OPPORTUNITY_SKILLS: usize = 100;
/// Most items in one unary batch write.
pub const MAX_BATCH_ITEMS: usize = 1_000;
/// Most years of use for a skill.
pub const MAX_SKILL_YEARS: f32 = 60.0;

// Requests.

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
/// Most characters of an outcome's note.
pub const MAX_OUTCOME_NOTE_CHARS: usize = 280;
/// How far in the future an outcome's time may lie (clock skew between the
/// caller and the server).
pub const MAX_OUTCOME_FUTURE_SECONDS: i64 = 86_400;
/// Most outcomes ListOutcomes returns for one alumnus or opportunity.
pub const MAX_LISTED_OUTCOMES: usize = 10_000;
/// Longest contact-policy window, in days.
pub const MAX_CONTACT_WINDOW_DAYS: u32 = 3_650;
/// Largest contact cap a policy may set.
pub const MAX_CONTACTS_PER_WINDOW: u32 = 1_000;
/// Most field violations reported for one request; the rest are counted.
pub const MAX_REPORTED_VIOLATIONS: usize = 100;

/// Alumni re-ranked per query by default: the first tier of every ranking.
pub const DEFAULT_RETRIEVAL_POOL: usize = 300;
/// Deepest a ranking goes: a Match page, a stored shortlist or a mentor
/// assignment that reaches past the first tier's candidates ranks the next
/// alumni by retrieval score up to this many (the second tier).
pub const MAX_RANKING_DEPTH: usize = MAX_MATCH_LIMIT as usize;
/// Memory redb may use to cache one tenant's store (its default is 1 GiB).
pub const STORE_CACHE_BYTES: usize = 256 * 1024 * 1024;
/// Longest time between an acknowledged write and its index commit.
pub const DEFAULT_COMMIT_INTERVAL: Duration = Duration::from_millis(250);
/// Index writer threads.
pub const DEFAULT_INDEXER_THREADS: usize = 1;
/// Index writer memory budget, in bytes.
pub const DEFAULT_INDEXER_MEMORY_BYTES: usize = 128 * 1024 * 1024;
/// How often a failed index update is retried.
pub const INDEX_RETRY_INTERVAL: Duration = Duration::from_secs(1);

// The server (transport and admission), used by the service crate.

/// Largest gRPC message, in bytes.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// Longest a unary call may run.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest an import stream may go without sending an item.
pub const DEFAULT_STREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a shutdown lets in-flight calls finish before it stops them.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Unary calls in flight on the whole server.
pub const DEFAULT_MAX_CALLS: usize = 64;
/// Unary calls in flight for one tenant.
pub const DEFAULT_MAX_CALLS_PER_TENANT: usize = 32;
/// Unary calls in flight for one API key.
pub const DEFAULT_MAX_CALLS_PER_KEY: usize = 16;
/// Streams open on the whole server.
pub const DEFAULT_MAX_STREAMS: usize = 16;
/// Streams open for one tenant.
pub const DEFAULT_MAX_STREAMS_PER_TENANT: usize = 8;
/// Streams open for one API key.
pub const DEFAULT_MAX_STREAMS_PER_KEY: usize = 4;
