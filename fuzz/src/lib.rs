//! Shared set-up for the fuzz targets in `fuzz_targets/`.
//!
//! Everything expensive (the skill taxonomy, the Japanese dictionary, the ranking
//! profiles, small indexes) is loaded once per process and reused by every input.
//! Data files are looked up in the repository this crate lives in (`..`), or under
//! `ALUMNI_MATCH_ROOT` when set; a missing file degrades exactly as the server does
//! (no aliases, bigram-only Japanese) with one warning on stderr.
//!
//! Nothing here asserts anything that valid behaviour can violate: the targets
//! exist to find panics, arithmetic overflows, sanitizer reports and hangs. The two
//! exceptions are round trips the service depends on and that can only fail
//! through a bug (see [`check_store_round_trip`]).

use std::{
    path::PathBuf,
    sync::OnceLock,
};

use alumni_match::{
    domain::{Alumnus, Opportunity, OpportunityKind, Timestamp, Violations},
    index::JapaneseMorphology,
    ranking::{self, PoolEntry, PreparedOpportunity, RankingContext, RankingProfiles, WeightProfile},
    taxonomy::Taxonomy,
};
use serde::{Serialize, de::DeserializeOwned};

/// "Now" for every ranking in the targets (2025-11-25T00:00:00Z), so a crashing
/// input reproduces on any day. Validation itself still reads the clock (the
/// `last_used_year` rule), as it does in the server.
pub const FIXED_NOW: Timestamp = Timestamp {
    seconds: 1_764_028_800,
    nanos: 0,
};

/// Root of the alumni-match repository.
pub fn repo_root() -> PathBuf {
    match std::env::var_os("ALUMNI_MATCH_ROOT") {
        Some(root) => PathBuf::from(root),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")),
    }
}

/// True when `ALUMNI_FUZZ_DEBUG` is set: the targets then print what they did
/// with an input (useful with `cargo fuzz run <target> <file>` on a seed or crash).
pub fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("ALUMNI_FUZZ_DEBUG").is_some())
}

/// Prints `violations` when [`debug`] is on.
pub fn debug_violations(what: &str, violations: &Violations) {
    if debug() {
        eprintln!("[fuzz] {what}: {} violation(s)", violations.items().len());
        for v in violations.items() {
            eprintln!("[fuzz]   {}: {}", v.field, v.description);
        }
    }
}

/// The skill alias table of `data/taxonomy/skills.tsv`, or an empty one.
pub fn taxonomy() -> &'static Taxonomy {
    static TAXONOMY: OnceLock<Taxonomy> = OnceLock::new();
    TAXONOMY.get_or_init(|| {
        let path = repo_root().join("data/taxonomy/skills.tsv");
        match Taxonomy::load(&path) {
            Ok(taxonomy) => taxonomy,
            Err(error) => {
                eprintln!("[fuzz] WARNING: no skill taxonomy ({error}); fuzzing with an empty one");
                Taxonomy::empty()
            }
        }
    })
}

/// The Japanese dictionary of `data/ja-dict` (built by `scripts/setup.sh`), if present.
pub fn morphology() -> Option<&'static JapaneseMorphology> {
    static MORPHOLOGY: OnceLock<Option<JapaneseMorphology>> = OnceLock::new();
    MORPHOLOGY
        .get_or_init(|| {
            let dir = match std::env::var_os("ALUMNI_FUZZ_JA_DICT") {
                Some(dir) => PathBuf::from(dir),
                None => repo_root().join("data/ja-dict"),
            };
            match JapaneseMorphology::load(&dir) {
                Ok(morphology) => Some(morphology),
                Err(error) => {
                    eprintln!(
                        "[fuzz] WARNING: no Japanese dictionary ({error}); run scripts/setup.sh. \
                         Fuzzing the bigram-only path"
                    );
                    None
                }
            }
        })
        .as_ref()
}

/// The built-in weight profiles (`data/ranking.toml`).
pub fn profiles() -> &'static RankingProfiles {
    static PROFILES: OnceLock<RankingProfiles> = OnceLock::new();
    PROFILES.get_or_init(RankingProfiles::defaults)
}

/// A fixed opportunity of each kind, with skills in the taxonomy and in Japanese.
pub fn fixed_opportunities() -> &'static [PreparedOpportunity] {
    static OPPORTUNITIES: OnceLock<Vec<PreparedOpportunity>> = OnceLock::new();
    OPPORTUNITIES.get_or_init(|| {
        OpportunityKind::ALL
            .into_iter()
            .map(|kind| {
                let opportunity: Opportunity = serde_json::from_value(serde_json::json!({
                    "id": format!("fuzz-{}", kind.as_str()),
                    "kind": kind.as_str(),
                    "title": "Senior Backend Engineer / 機械学習エンジニア",
                    "description": "東京都で法人営業とデータ分析。Python, SQL and cloud infrastructure.",
                    "required_skills": ["Python", "機械学習", "SQL"],
                    "preferred_skills": ["Kubernetes", "k8s", "project management"],
                    "department": "Software Development",
                    "location": "Tokyo",
                    "work_mode": "hybrid",
                    "employment_type": "full_time",
                    "seniority": "senior",
                    "languages": ["ja", "en"],
                    "capacity": 2,
                }))
                .expect("fixed opportunity deserialises");
                PreparedOpportunity::new(opportunity, taxonomy())
            })
            .collect()
    })
}

/// Ranks a pool for `opportunity` as the engine does after retrieval (gates
/// re-checked, features, weighted sum), with and without the required-skill filter.
pub fn rank_pool(opportunity: &PreparedOpportunity, profile: &WeightProfile, pool: &[PoolEntry]) {
    for require_all_required_skills in [false, true] {
        let context = RankingContext {
            opportunity,
            profile,
            taxonomy: taxonomy(),
            now: FIXED_NOW,
            require_all_required_skills,
        };
        let ranked = ranking::rank(&context, pool.to_vec());
        if debug() {
            for c in &ranked {
                eprintln!(
                    "[fuzz] ranked {} for {:?}: score {} ({})",
                    c.alumnus_id, opportunity.opportunity.kind, c.score, c.reason
                );
            }
        }
    }
}

/// Scores a (valid) alumnus against the fixed opportunity of every kind, with a
/// BM25 of 0 (only the gate matched) and of 1, as matching does for a stored record.
pub fn rank_against_fixed_opportunities(alumnus: &Alumnus) {
    for prepared in fixed_opportunities() {
        let profile = profiles().profile(prepared.opportunity.kind);
        let pool = [
            PoolEntry {
                alumnus: alumnus.clone(),
                bm25: 0.0,
            },
            PoolEntry {
                alumnus: alumnus.clone(),
                bm25: 1.0,
            },
        ];
        rank_pool(prepared, profile, &pool[..1]);
        rank_pool(prepared, profile, &pool[1..]);
    }
}

/// The store keeps records as serde_json (`src/store`): a record that passed
/// validation must be written and read back, or it would be acknowledged and then
/// be unreadable ("store corrupt"). This cannot fail legitimately.
pub fn check_store_round_trip<T: Serialize + DeserializeOwned>(what: &str, value: &T) {
    let bytes = serde_json::to_vec(value).unwrap_or_else(|e| panic!("valid {what} does not serialise: {e}"));
    if let Err(e) = serde_json::from_slice::<T>(&bytes) {
        panic!(
            "valid {what} is stored but cannot be read back: {e}; stored as {}",
            String::from_utf8_lossy(&bytes)
        );
    }
}
