use std::path::PathBuf;

use super::{run::*, *};
use crate::domain::{Consent, Departure, Interests};
use crate::ranking::shared::{ENGAGEMENT, REQUIRED_SKILLS, TEXT_RELEVANCE};
use crate::{domain::Alumnus, eval::judge_ranking};

fn taxonomy() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("data/taxonomy/skills.tsv")
}

#[test]
fn bm25_baseline_zeroes_every_component_but_text_relevance() {
    let profiles = RankingProfiles::defaults();
    for kind in OpportunityKind::ALL {
        let profile = profiles.profile(kind);
        let weights = System::Bm25.overrides(profile).unwrap();
        let effective = profile.with_overrides(&weights).unwrap();
        for component in Component::all() {
            let expected = if component == TEXT_RELEVANCE { 1.0 } else { 0.0 };
            assert_eq!(effective.weight(component), expected, "{kind:?} {component:?}");
        }
        assert!(System::Model.overrides(profile).unwrap().is_empty());
    }
}

#[test]
fn ablation_skips_components_that_cannot_be_removed() {
    let only_text = WeightProfile::new([(TEXT_RELEVANCE, 1.0), (ENGAGEMENT, 0.0)]).unwrap();
    assert_eq!(System::Without(TEXT_RELEVANCE).overrides(&only_text), None);
    assert_eq!(System::Without(ENGAGEMENT).overrides(&only_text), None);
    assert_eq!(System::Without(REQUIRED_SKILLS).overrides(&only_text), None);
    let both = WeightProfile::new([(TEXT_RELEVANCE, 1.0), (ENGAGEMENT, 1.0)]).unwrap();
    let weights = System::Without(ENGAGEMENT).overrides(&both).unwrap();
    assert_eq!(both.with_overrides(&weights).unwrap().weight(TEXT_RELEVANCE), 1.0);
}

#[test]
fn unknown_and_gate_failing_alumni_are_violations_and_earn_nothing() {
    let record = |id: &str, open_to: Vec<OpportunityKind>, contact_allowed: bool, rehire_eligible: bool| Alumnus {
        id: id.to_owned(),
        display_name: id.to_owned(),
        headline: String::new(),
        skills: Vec::new(),
        positions: Vec::new(),
        departure: Departure {
            rehire_eligible,
            ..Default::default()
        },
        interests: Interests {
            open_to,
            ..Default::default()
        },
        preferences: Default::default(),
        languages: Vec::new(),
        engagement: Default::default(),
        consent: Consent {
            contact_allowed,
            contact_not_before: None,
        },
        updated_at: None,
    };
    let alumni: HashMap<String, Alumnus> = [
        record("ok", vec![OpportunityKind::Rehire], true, true),
        record("no-consent", vec![OpportunityKind::Rehire], false, true),
        record("not-open", vec![OpportunityKind::Mentoring], true, true),
        record("not-rehirable", vec![OpportunityKind::Rehire], true, false),
    ]
    .into_iter()
    .map(|a| (a.id.clone(), a))
    .collect();
    // Every one graded highly relevant, so only the gates decide.
    let grades: HashMap<&str, u8> = alumni.keys().map(|id| (id.as_str(), 2)).collect();
    let returned = ["ok", "no-consent", "not-open", "not-rehirable", "ghost", "ok"];
    let (gains, violations) = judge_ranking(&returned, &alumni, &grades, OpportunityKind::Rehire);
    assert_eq!(gains, [2, 0, 0, 0, 0, 0]);
    assert_eq!(violations, 4);
    // Rehire eligibility gates rehire only.
    let (gains, violations) = judge_ranking(&["not-open"], &alumni, &grades, OpportunityKind::Mentoring);
    assert_eq!((gains, violations), (vec![2], 0));
}

#[test]
fn bad_settings_are_rejected_before_any_work() {
    assert!(matches!(run(&EvalConfig::new(0, 2, 1)), Err(EvalError::Config(_))));
    assert!(matches!(run(&EvalConfig::new(10, 0, 1)), Err(EvalError::Config(_))));
    let mut config = EvalConfig::new(10, 1, 1);
    config.taxonomy_path = Some(PathBuf::from("/nonexistent/skills.tsv"));
    assert!(matches!(run(&config), Err(EvalError::Config(_))));
}

#[test]
fn small_end_to_end_run_has_every_kind_and_no_gate_violations() {
    let mut config = EvalConfig::new(300, 2, 7);
    config.taxonomy_path = Some(taxonomy());
    config.ablation = true;
    let report = run(&config).unwrap();

    assert_eq!(report.alumni, 300);
    assert!(report.opportunities_generated >= 8);
    assert_eq!(report.k, K);
    assert_eq!(report.queries.len(), 8);
    assert_eq!(report.gate_violations, 0, "{:#?}", report.queries);
    let kinds: Vec<&str> = report.kinds.iter().map(|k| k.kind.as_str()).collect();
    assert_eq!(kinds, ["rehire", "referral", "mentoring", "partnership"]);
    for summary in report.kinds.iter().chain(std::iter::once(&report.overall)) {
        assert_eq!(summary.systems[0].system, "model");
        assert_eq!(summary.systems[1].system, "bm25");
        for system in &summary.systems {
            assert_eq!(system.gate_violations, 0);
            assert!(system.queries <= summary.queries);
            for value in [system.ndcg, system.precision].into_iter().flatten() {
                assert!((0.0..=1.0).contains(&value), "{}: {value}", system.system);
            }
        }
    }
    assert_eq!(report.overall.queries, 8);
    for kind in &report.kinds {
        assert_eq!(kind.queries, 2);
    }
    for query in &report.queries {
        assert!(query.relevant_eligible_alumni <= query.eligible_alumni);
        assert!(query.systems.len() >= 2);
        for score in &query.systems {
            assert!(score.returned <= K);
            assert_eq!(score.gate_violations, 0);
            assert_eq!(score.ndcg.is_none(), query.relevant_eligible_alumni == 0);
        }
    }

    let json: serde_json::Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
    assert_eq!(json["overall"]["queries"], 8);
    assert_eq!(json["gate_violations"], 0);
    let table = render_table(&report);
    assert!(table.contains("NDCG@10 model"), "{table}");
    for kind in ["rehire", "referral", "mentoring", "partnership", "all"] {
        assert!(table.lines().any(|l| l.starts_with(kind)), "{kind} missing:\n{table}");
    }
}

#[test]
fn the_same_seed_gives_the_same_scores() {
    let run_once = || {
        let mut config = EvalConfig::new(200, 1, 11);
        config.taxonomy_path = Some(taxonomy());
        run(&config).unwrap()
    };
    let (a, b) = (run_once(), run_once());
    assert_eq!(a.queries, b.queries);
}
