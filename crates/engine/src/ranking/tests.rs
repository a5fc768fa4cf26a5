//! Each kind's distinctive signal changes the order as the model says it should,
//! and the ranking's invariants hold for arbitrary candidates and weights.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::{
    domain::{Alumnus, Opportunity, OpportunityKind, Timestamp},
    taxonomy::Taxonomy,
};

fn now() -> Timestamp {
    // 2026-06-01T00:00:00Z: fixed so that "years since leaving" is stable.
    Timestamp {
        seconds: 1_780_272_000,
        nanos: 0,
    }
}

fn base(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "display_name": id,
        "skills": [{"name": "Rust", "years": 5.0, "last_used_year": 2026, "level": "advanced"}],
        "positions": [
            {"organization": "Asterwood", "title": "Software Engineer", "department": "Platform",
             "start": "2016-04", "end": "2021-03", "at_company": true},
            {"organization": "Tanaka Systems", "title": "Software Engineer", "start": "2021-04"}
        ],
        "departure": {"left_on": "2021-03", "rehire_eligible": true},
        "interests": {"open_to": ["rehire", "referral", "mentoring", "partnership"]},
        "languages": ["en"],
        "consent": {"contact_allowed": true}
    })
}

fn alumnus(value: serde_json::Value) -> Alumnus {
    serde_json::from_value(value).expect("fixture deserialises")
}

fn opportunity(kind: &str, title: &str) -> Opportunity {
    serde_json::from_value(serde_json::json!({
        "id": "o", "kind": kind, "title": title, "required_skills": ["Rust"], "department": "Platform"
    }))
    .expect("fixture deserialises")
}

/// Ranks a pool with the default profile of the opportunity's kind.
fn rank_default(opportunity: Opportunity, pool: Vec<PoolEntry>) -> Vec<ScoredCandidate> {
    let taxonomy = Taxonomy::empty();
    let profiles = RankingProfiles::defaults();
    let prepared = PreparedOpportunity::new(opportunity, &taxonomy);
    let context = RankingContext {
        opportunity: &prepared,
        profile: profiles.profile(prepared.opportunity.kind),
        taxonomy: &taxonomy,
        now: now(),
        require_all_required_skills: false,
        referral_hire_rate: crate::domain::DEFAULT_REFERRAL_HIRE_RATE,
    };
    rank(&context, pool, &crate::cancel::Cancellation::new()).unwrap()
}

/// Ranks two alumni with equal text relevance and returns the ids best first.
fn order(opportunity: Opportunity, a: Alumnus, b: Alumnus) -> Vec<String> {
    let pool = vec![
        PoolEntry {
            alumnus: a,
            bm25: 1.0,
            career: None,
            referrals: Default::default(),
        },
        PoolEntry {
            alumnus: b,
            bm25: 1.0,
            career: None,
            referrals: Default::default(),
        },
    ];
    rank_default(opportunity, pool)
        .into_iter()
        .map(|c| c.alumnus_id)
        .collect()
}

#[test]
fn rehire_prefers_the_boomerang_window() {
    let mut long_gone = base("long-gone");
    long_gone["departure"]["left_on"] = "2009-03".into();
    long_gone["positions"][0]["start"] = "2004-04".into();
    long_gone["positions"][0]["end"] = "2009-03".into();
    long_gone["positions"][1]["start"] = "2009-04".into();
    assert_eq!(
        order(
            opportunity("rehire", "Software Engineer"),
            alumnus(long_gone),
            alumnus(base("recent"))
        ),
        ["recent", "long-gone"]
    );
}

#[test]
fn rehire_rewards_growth_since_leaving_and_company_history() {
    let mut grown = base("grown");
    grown["positions"][1]["title"] = "Engineering Manager".into();
    assert_eq!(
        order(
            opportunity("rehire", "Software Engineer"),
            alumnus(base("same")),
            alumnus(grown)
        ),
        ["grown", "same"]
    );
    let mut other_department = base("other-department");
    other_department["positions"][0]["department"] = "Finance".into();
    assert_eq!(
        order(
            opportunity("rehire", "Software Engineer"),
            alumnus(other_department),
            alumnus(base("platform"))
        ),
        ["platform", "other-department"]
    );
}

#[test]
fn referral_prefers_a_current_role_in_the_field_and_past_referrals() {
    let mut moved_away = base("moved-away");
    moved_away["positions"][1]["title"] = "Florist".into();
    assert_eq!(
        order(
            opportunity("referral", "Software Engineer"),
            alumnus(moved_away),
            alumnus(base("in-field"))
        ),
        ["in-field", "moved-away"]
    );
    let mut referrer = base("referrer");
    referrer["engagement"] = serde_json::json!({"referrals_made": 4});
    assert_eq!(
        order(
            opportunity("referral", "Software Engineer"),
            alumnus(base("quiet")),
            alumnus(referrer)
        ),
        ["referrer", "quiet"]
    );
}

#[test]
fn mentoring_prefers_stated_interest_shared_language_and_side_work() {
    let mut keen = base("keen");
    keen["interests"]["statement"] = "I would love to mentor engineers learning Rust".into();
    assert_eq!(
        order(
            opportunity("mentoring", "Rust mentor"),
            alumnus(base("silent")),
            alumnus(keen)
        ),
        ["keen", "silent"]
    );
    let mut japanese = base("japanese");
    japanese["languages"] = serde_json::json!(["ja"]);
    assert_eq!(
        order(
            opportunity("mentoring", "Rustのメンター"),
            alumnus(base("english")),
            alumnus(japanese)
        ),
        ["japanese", "english"]
    );
    let mut side = base("side");
    side["preferences"] = serde_json::json!({"employment_types": ["side_job"]});
    let mut full = base("full");
    full["preferences"] = serde_json::json!({"employment_types": ["full_time"]});
    assert_eq!(
        order(opportunity("mentoring", "Rust mentor"), alumnus(full), alumnus(side)),
        ["side", "full"]
    );
}

#[test]
fn mentoring_prefers_deeper_expertise() {
    let mut shallow = base("shallow");
    shallow["skills"][0] =
        serde_json::json!({"name": "Rust", "years": 1.0, "last_used_year": 2019, "level": "beginner"});
    assert_eq!(
        order(
            opportunity("mentoring", "Rust mentor"),
            alumnus(shallow),
            alumnus(base("deep"))
        ),
        ["deep", "shallow"]
    );
}

#[test]
fn partnership_prefers_decision_makers_interested_in_collaboration() {
    let mut director = base("director");
    director["positions"][1]["title"] = "Director of Engineering".into();
    assert_eq!(
        order(
            opportunity("partnership", "Platform partnership"),
            alumnus(base("engineer")),
            alumnus(director)
        ),
        ["director", "engineer"]
    );
    let mut keen = base("keen");
    keen["interests"]["statement"] = "Open to business collaboration between our companies".into();
    assert_eq!(
        order(
            opportunity("partnership", "Platform partnership"),
            alumnus(base("silent")),
            alumnus(keen)
        ),
        ["keen", "silent"]
    );
}

#[test]
fn the_reason_for_leaving_changes_nothing() {
    let reasons = [
        "undisclosed",
        "family",
        "compensation",
        "career_change",
        "relocation",
        "retirement",
    ];
    for kind in ["rehire", "referral", "mentoring", "partnership"] {
        let scores: Vec<f64> = reasons
            .iter()
            .map(|reason| {
                let mut value = base("a");
                value["departure"]["reason"] = (*reason).into();
                let pool = vec![PoolEntry {
                    alumnus: alumnus(value),
                    bm25: 1.0,
                    career: None,
                    referrals: Default::default(),
                }];
                rank_default(opportunity(kind, "Software Engineer"), pool)[0].score
            })
            .collect();
        assert!(scores.windows(2).all(|w| w[0] == w[1]), "{kind}: {scores:?}");
    }
}

fn arbitrary_alumnus() -> impl Strategy<Value = Alumnus> {
    (
        "[a-z]{1,8}",
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(0usize..4, 0..4),
        0.0f32..40.0,
        proptest::option::of(1990u16..2027),
        0u32..10,
        proptest::option::of(2000u16..2026),
    )
        .prop_map(|(id, contact, rehire, kinds, years, last_used, referrals, left)| {
            let mut value = base(&id);
            value["consent"]["contact_allowed"] = contact.into();
            value["departure"]["rehire_eligible"] = rehire.into();
            let kinds: Vec<&str> = kinds
                .iter()
                .map(|k| ["rehire", "referral", "mentoring", "partnership"][*k])
                .collect();
            value["interests"]["open_to"] = serde_json::json!(kinds);
            value["skills"][0]["years"] = years.into();
            value["skills"][0]["last_used_year"] = serde_json::json!(last_used);
            value["engagement"] = serde_json::json!({"referrals_made": referrals});
            value["departure"]["left_on"] = serde_json::json!(left.map(|y| format!("{y}-06")));
            alumnus(value)
        })
}

proptest! {
    /// Whatever the candidates and weights: gates hold, scores are in [0, 1], the
    /// components add up to the score, and the order is by score.
    #[test]
    fn ranking_invariants(
        pool in proptest::collection::vec((arbitrary_alumnus(), 0.0f32..30.0), 0..12),
        kind in 0usize..4,
        overrides in proptest::collection::hash_map(0usize..Component::all().len(), 0.0f64..5.0, 0..4),
    ) {
        let kind = OpportunityKind::ALL[kind];
        let taxonomy = Taxonomy::empty();
        let profiles = RankingProfiles::defaults();
        let overrides: HashMap<String, f64> =
            overrides.into_iter().map(|(c, w)| (Component::all()[c].name().to_string(), w)).collect();
        let profile = match profiles.profile(kind).with_overrides(&overrides) {
            Ok(profile) => profile,
            Err(WeightError::AllZero) => return Ok(()),
            Err(other) => return Err(TestCaseError::fail(other.to_string())),
        };
        let prepared = PreparedOpportunity::new(opportunity(kind.as_str(), "Software Engineer"), &taxonomy);
        let context = RankingContext { opportunity: &prepared, profile: &profile, taxonomy: &taxonomy, now: now(), require_all_required_skills: false, referral_hire_rate: crate::domain::DEFAULT_REFERRAL_HIRE_RATE };
        // Retrieval never returns an alumnus twice.
        let mut seen = std::collections::HashSet::new();
        let pool: Vec<(Alumnus, f32)> = pool.into_iter().filter(|(a, _)| seen.insert(a.id.clone())).collect();
        let by_id: HashMap<String, Alumnus> = pool.iter().map(|(a, _)| (a.id.clone(), a.clone())).collect();
        let entries = pool.into_iter().map(|(alumnus, bm25)| PoolEntry { alumnus, bm25, career: None, referrals: Default::default() }).collect();
        let ranked = rank(&context, entries, &crate::cancel::Cancellation::new()).unwrap();
        for candidate in &ranked {
            prop_assert!(by_id[&candidate.alumnus_id].passes_gates(kind), "gate violated");
            prop_assert!((0.0..=1.0 + 1e-12).contains(&candidate.score));
            let sum: f64 = candidate.components.iter().map(|c| c.contribution).sum();
            prop_assert!((sum - candidate.score).abs() < 1e-12);
            for component in &candidate.components {
                prop_assert!((0.0..=1.0).contains(&component.value), "{:?}", component);
            }
        }
        prop_assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
    }
}

/// A candidate with no skill, occupation or word of the opening is not returned,
/// however engaged or senior.
#[test]
fn candidates_without_evidence_are_not_returned() {
    let opportunity: Opportunity = serde_json::from_value(serde_json::json!({
        "id": "o", "kind": "rehire", "title": "Astronomer", "required_skills": ["Haskell"]
    }))
    .expect("fixture deserialises");
    let mut with_skill = base("with-skill");
    with_skill["skills"] = serde_json::json!([{"name": "Haskell", "years": 2.0, "last_used_year": 2025}]);
    let pool = vec![
        PoolEntry {
            alumnus: alumnus(base("nothing")),
            bm25: 0.0,
            career: None,
            referrals: Default::default(),
        },
        PoolEntry {
            alumnus: alumnus(with_skill),
            bm25: 0.0,
            career: None,
            referrals: Default::default(),
        },
        PoolEntry {
            alumnus: alumnus(base("words")),
            bm25: 1.0,
            career: None,
            referrals: Default::default(),
        },
    ];
    let ranked: Vec<String> = rank_default(opportunity, pool)
        .into_iter()
        .map(|c| c.alumnus_id)
        .collect();
    assert_eq!(ranked.len(), 2, "{ranked:?}");
    assert!(
        ranked.contains(&"with-skill".to_owned()) && ranked.contains(&"words".to_owned()),
        "{ranked:?}"
    );
}
