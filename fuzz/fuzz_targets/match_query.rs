//! A `MatchRequest` through everything `Match` does before and around the store.
//!
//! The input is a protobuf `MatchRequest`. As `service::matching` and
//! `Engine::match_alumni` do:
//! - an ad-hoc `opportunity` target is converted (`opportunity_from_proto`) and
//!   validated (`validate_opportunity(.., "opportunity", false, ..)`); a stored
//!   `opportunity_id` is checked with `Violations::check_id`;
//! - `weights` overrides are applied to every kind's profile (`with_overrides`);
//! - `page_token` is decoded (`engine::PageToken::decode`);
//! - for a valid ad-hoc opportunity the retrieval query is built
//!   (`RetrievalQuery::for_opportunity` with the taxonomy and the Japanese
//!   dictionary, then `AlumniIndex::tantivy_query`) and run (`AlumniIndex::retrieve`)
//!   on an empty index and on a three-alumnus index, and the hits are ranked
//!   (`PreparedOpportunity::new`, `ranking::rank`) with the overridden weights.
//!
//! The indexes live in a temporary directory created once per process.
#![no_main]

use std::{collections::HashMap, sync::OnceLock};

use alumni_match::{
    domain::{Alumnus, OpportunityKind, Violations, validation::validate_opportunity},
    engine::PageToken,
    index::{AlumniIndex, RetrievalQuery},
    proto::{self, match_request::Target},
    ranking::{PoolEntry, PreparedOpportunity},
    service::convert,
};
use alumni_match_fuzz::{debug, debug_violations, morphology, profiles, rank_pool, taxonomy};
use libfuzzer_sys::fuzz_target;
use prost::Message;

/// The engine's default `retrieval_pool`.
const RETRIEVAL_POOL: usize = 1_000;

struct Indexes {
    _dir: tempfile::TempDir,
    /// Never written to: no segments at all.
    empty: AlumniIndex,
    /// Three alumni, eligible for every kind, so per-segment scoring and the id
    /// fast field run too.
    small: AlumniIndex,
    alumni: HashMap<String, Alumnus>,
}

fn sample_alumni() -> Vec<Alumnus> {
    let records = [
        serde_json::json!({
            "id": "fuzz-a1", "display_name": "佐藤 花子", "headline": "機械学習エンジニア",
            "skills": [{"name": "Python", "years": 6.0, "last_used_year": 2025, "level": "expert"},
                       {"name": "機械学習", "years": 4.0, "last_used_year": 2024, "level": "advanced"}],
            "positions": [{"organization": "Asterwood Technologies", "title": "データサイエンティスト",
                           "department": "研究開発", "description": "東京都で需要予測モデルを開発",
                           "start": "2016-04", "end": "2021-03-31", "at_company": true},
                          {"organization": "株式会社サンプル", "title": "Lead ML Engineer",
                           "start": "2021-04"}],
            "departure": {"left_on": "2021-03-31", "reason": "career_change", "rehire_eligible": true},
            "interests": {"open_to": ["rehire", "referral", "mentoring", "partnership"],
                          "statement": "メンターとして後進の育成に関わりたい", "topics": ["MLOps"]},
            "preferences": {"employment_types": ["full_time", "side_job"], "work_modes": ["remote"],
                            "locations": ["Tokyo"]},
            "languages": ["ja", "en"],
            "engagement": {"last_active_at": {"seconds": 1_760_000_000, "nanos": 0},
                           "events_attended_12m": 3, "referrals_made": 2},
            "consent": {"contact_allowed": true}
        }),
        serde_json::json!({
            "id": "fuzz-a2", "display_name": "Kenji Tanaka", "headline": "Senior Backend Engineer | Rust, Kubernetes",
            "skills": [{"name": "Rust", "years": 5.0}, {"name": "k8s", "years": 3.5, "level": "intermediate"},
                       {"name": "SQL", "years": 10.0, "last_used_year": 2025}],
            "positions": [{"organization": "Asterwood Technologies", "title": "Software Engineer",
                           "department": "Software Development", "description": "Payments platform",
                           "start": "2012-10", "end": "2019-09", "at_company": true}],
            "departure": {"left_on": "2019-09", "rehire_eligible": true},
            "interests": {"open_to": ["rehire", "referral", "mentoring", "partnership"]},
            "languages": ["en"],
            "consent": {"contact_allowed": true}
        }),
        serde_json::json!({
            "id": "fuzz-a3", "display_name": "山本 京子", "headline": "京都の法人営業",
            "skills": [{"name": "project management", "years": 12.0}],
            "positions": [{"organization": "京都中央商事", "title": "営業部長", "start": "2010-01"}],
            "departure": {"rehire_eligible": true},
            "interests": {"open_to": ["rehire", "referral", "mentoring", "partnership"],
                          "statement": "Partnerships between our companies"},
            "consent": {"contact_allowed": true}
        }),
    ];
    records
        .into_iter()
        .map(|r| serde_json::from_value(r).expect("sample alumnus deserialises"))
        .collect()
}

fn indexes() -> &'static Indexes {
    static INDEXES: OnceLock<Indexes> = OnceLock::new();
    INDEXES.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("alumni-match-fuzz-")
            .tempdir()
            .expect("temporary directory");
        let morphology = morphology().cloned();
        let (empty, _) = AlumniIndex::open(&dir.path().join("empty"), morphology.clone()).expect("empty index opens");
        let (small, _) = AlumniIndex::open(&dir.path().join("small"), morphology).expect("small index opens");
        let alumni = sample_alumni();
        {
            // tantivy's smallest writer budget is 15 MB.
            let mut writer = small.writer(1, 15_000_000).expect("index writer");
            for alumnus in &alumni {
                small
                    .stage(&writer, taxonomy(), &alumnus.id, Some(alumnus))
                    .expect("stage sample alumnus");
            }
            small.commit(&mut writer, alumni.len() as u64).expect("commit sample alumni");
        }
        assert_eq!(small.num_docs(), alumni.len() as u64, "sample alumni indexed");
        Indexes {
            _dir: dir,
            empty,
            small,
            alumni: alumni.into_iter().map(|a| (a.id.clone(), a)).collect(),
        }
    })
}

fn page_token(token: &str) {
    // The fingerprint is private to the engine (`engine::paging::fingerprint`), so
    // decode against an arbitrary one and against the one the token names, which
    // reaches the offset parsing.
    let _ = PageToken::decode(token, 0);
    let named = token
        .split('.')
        .nth(1)
        .and_then(|hash| u64::from_str_radix(hash, 16).ok())
        .unwrap_or(0);
    if let Ok(decoded) = PageToken::decode(token, named) {
        // What Match hands out must decode to itself; cannot fail legitimately.
        assert_eq!(PageToken::decode(&decoded.encode(), named), Ok(decoded), "page token round trip");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = proto::MatchRequest::decode(data) else {
        return;
    };
    let indexes = indexes();

    page_token(&request.page_token);

    let weights: HashMap<String, f64> = request.weights.into_iter().collect();
    let overridden: Vec<_> = OpportunityKind::ALL
        .into_iter()
        .map(|kind| (kind, profiles().profile(kind).with_overrides(&weights)))
        .collect();

    let opportunity = match request.target {
        Some(Target::OpportunityId(id)) => {
            let mut violations = Violations::new();
            violations.check_id("opportunity_id", &id);
            debug_violations("opportunity_id", &violations);
            return;
        }
        Some(Target::Opportunity(opportunity)) => {
            let mut violations = Violations::new();
            let opportunity = convert::opportunity_from_proto(opportunity, "opportunity", &mut violations);
            validate_opportunity(&opportunity, "opportunity", false, &mut violations);
            debug_violations("ad-hoc opportunity", &violations);
            if !violations.is_empty() {
                return;
            }
            opportunity
        }
        None => return,
    };

    let query = RetrievalQuery::for_opportunity(
        &opportunity,
        taxonomy(),
        request.require_all_required_skills,
        indexes.small.morphology(),
    );
    if debug() {
        eprintln!(
            "[fuzz] query: {} word terms, {} bigram terms, {} required keys",
            query.word_terms.len(),
            query.bigram_terms.len(),
            query.required_skill_keys.len()
        );
    }
    let _ = indexes.empty.tantivy_query(&query);
    let _ = indexes.empty.retrieve(&indexes.empty.searcher(), &query, RETRIEVAL_POOL);
    let searcher = indexes.small.searcher();
    let retrieved = match indexes.small.retrieve(&searcher, &query, RETRIEVAL_POOL) {
        Ok(retrieved) => retrieved,
        Err(error) => {
            if debug() {
                eprintln!("[fuzz] retrieval failed: {error}");
            }
            return;
        }
    };
    if debug() {
        eprintln!("[fuzz] retrieved {:?}", retrieved.hits);
    }

    let kind = opportunity.kind;
    let prepared = PreparedOpportunity::new(opportunity, taxonomy());
    let pool: Vec<PoolEntry> = retrieved
        .hits
        .iter()
        .filter_map(|hit| {
            indexes.alumni.get(&hit.id).map(|alumnus| PoolEntry {
                alumnus: alumnus.clone(),
                bm25: hit.bm25,
            })
        })
        .collect();
    let profile = overridden
        .iter()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, profile)| profile.as_ref().ok());
    if let Some(profile) = profile {
        rank_pool(&prepared, profile, &pool);
    }
});
