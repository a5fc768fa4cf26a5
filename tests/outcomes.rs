//! Outcomes and what follows from them, through the real server: a decline is
//! final for that opportunity (live and stored), the contact cap holds across
//! opportunities under concurrent calls, erasure takes outcomes and the
//! shown-log with it, and `TuneProfiles` recovers a simulated tenant's known
//! preference on held-out outcomes.

mod common;

use std::{collections::HashMap, path::Path};

use alumni_match::{
    proto::{self, OpportunityKind, OutcomeKind, outcome_service_client::OutcomeServiceClient},
    service::convert,
};
use common::{TestServer, alumnus, engine_config, opportunity, tenant_dir};
use tonic::{Code, transport::Channel};

const DAY: i64 = 86_400;

fn days_ago(days: f64) -> prost_types::Timestamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    prost_types::Timestamp {
        seconds: now - (days * DAY as f64) as i64,
        nanos: 0,
    }
}

fn outcome(alumnus: &str, opportunity: &str, kind: OutcomeKind, at: prost_types::Timestamp) -> proto::Outcome {
    proto::Outcome {
        alumnus_id: alumnus.into(),
        opportunity_id: opportunity.into(),
        kind: kind as i32,
        occurred_at: Some(at),
        ..Default::default()
    }
}

/// Records outcomes, retrying with backoff while the server sheds load (as a
/// well-behaved client does when told RESOURCE_EXHAUSTED with a RetryInfo).
async fn record(
    client: &mut OutcomeServiceClient<Channel>,
    outcomes: Vec<proto::Outcome>,
) -> proto::RecordOutcomesResponse {
    let mut delay = std::time::Duration::from_millis(5);
    loop {
        match client
            .record_outcomes(proto::RecordOutcomesRequest {
                outcomes: outcomes.clone(),
            })
            .await
        {
            Ok(response) => return response.into_inner(),
            Err(status) if status.code() == Code::ResourceExhausted => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_millis(200));
            }
            Err(status) => panic!("record outcomes: {status:?}"),
        }
    }
}

async fn rescore(server: &mut TestServer, ids: &[&str]) {
    common::rescore(server, ids, false, 100).await;
}

async fn shortlist_ids(server: &mut TestServer, id: &str) -> Vec<String> {
    server
        .shortlist(id)
        .await
        .candidates
        .into_iter()
        .map(|c| c.alumnus_id)
        .collect()
}

/// Every candidate of a Match, page by page, `page` at a time.
async fn all_pages(server: &mut TestServer, id: &str, page: u32) -> Vec<proto::Candidate> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let response = server
            .matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::OpportunityId(id.into())),
                limit: page,
                page_token: token,
                ..Default::default()
            })
            .await
            .expect("match")
            .into_inner();
        all.extend(response.candidates);
        if response.next_page_token.is_empty() {
            return all;
        }
        token = response.next_page_token;
    }
}

fn kubernetes_team(n: usize) -> Vec<proto::Alumnus> {
    (0..n)
        .map(|i| {
            alumnus(
                &format!("a{i}"),
                &format!("Engineer {i}"),
                "Site Reliability Engineer",
                &[("Kubernetes", 2.0 + i as f32, 2025), ("Go", 1.0 + (i % 3) as f32, 2024)],
            )
        })
        .collect()
}

fn kubernetes_openings(n: usize) -> Vec<proto::Opportunity> {
    (0..n)
        .map(|i| {
            opportunity(
                &format!("o{i}"),
                OpportunityKind::Referral,
                "Site Reliability Engineer",
                &["Kubernetes"],
            )
        })
        .collect()
}

#[tokio::test]
async fn a_declined_alumnus_never_reappears_for_that_opportunity_live_or_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut outcomes = OutcomeServiceClient::new(server.channel.clone());
    server.upsert(kubernetes_team(6)).await;
    server.upsert_opportunities(kubernetes_openings(2)).await;
    let first = server.match_until("o0", |r| r.candidates.len() == 6).await;
    rescore(&mut server, &["o0"]).await;
    assert_eq!(shortlist_ids(&mut server, "o0").await.len(), 6);

    let declined = first.candidates[0].alumnus_id.clone();
    let response = record(
        &mut outcomes,
        vec![
            outcome(&declined, "o0", OutcomeKind::Contacted, days_ago(3.0)),
            outcome(&declined, "o0", OutcomeKind::Declined, days_ago(2.0)),
        ],
    )
    .await;
    assert_eq!((response.recorded_count, response.refused.len()), (2, 0));

    // Live: gone from every page of o0, at every page size; still there for o1.
    for page in [1, 2, 1000] {
        let ids: Vec<String> = all_pages(&mut server, "o0", page)
            .await
            .into_iter()
            .map(|c| c.alumnus_id)
            .collect();
        assert_eq!(ids.len(), 5, "page size {page}: {ids:?}");
        assert!(!ids.contains(&declined), "page size {page}");
    }
    let o1 = server.match_ids("o1", 100).await;
    assert!(
        common::ids(&o1).contains(&declined.as_str()),
        "a decline is about one opportunity"
    );

    // Stored: gone from the shortlist computed before the decline, and from a new one.
    let stored = shortlist_ids(&mut server, "o0").await;
    assert_eq!(stored.len(), 5);
    assert!(!stored.contains(&declined));
    rescore(&mut server, &["o0"]).await;
    assert!(!shortlist_ids(&mut server, "o0").await.contains(&declined));

    // Nor after the profile is written again, nor offered the opportunity in
    // the alumnus's own view; and a new approach about it is refused.
    let index: usize = declined.trim_start_matches('a').parse().unwrap();
    server.upsert(vec![kubernetes_team(6).remove(index)]).await;
    let after_update = server.match_until("o0", |r| r.candidates.len() == 5).await;
    assert!(!common::ids(&after_update).contains(&declined.as_str()));
    let own = server
        .matcher
        .match_for_alumnus(proto::MatchForAlumnusRequest {
            alumnus_id: declined.clone(),
            kinds: vec![OpportunityKind::Referral as i32],
            limit: 10,
            explain: false,
        })
        .await
        .unwrap()
        .into_inner();
    let offered: Vec<&str> = own.matches.iter().map(|m| m.opportunity_id.as_str()).collect();
    assert_eq!(offered, ["o1"]);
    let again = record(
        &mut outcomes,
        vec![outcome(&declined, "o0", OutcomeKind::Contacted, days_ago(0.0))],
    )
    .await;
    assert_eq!(again.recorded_count, 0);
    assert_eq!(again.refused[0].hold, proto::ContactHold::Declined as i32);
    server.stop().await;
}

#[tokio::test]
async fn the_contact_cap_holds_across_opportunities_under_concurrent_calls() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut outcomes = OutcomeServiceClient::new(server.channel.clone());
    let policy = outcomes
        .get_contact_policy(proto::GetContactPolicyRequest {})
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert_eq!((policy.max_contacts, policy.window_days), (2, 90), "the default policy");
    const ALUMNI: usize = 4;
    const OPENINGS: usize = 8;
    server.upsert(kubernetes_team(ALUMNI)).await;
    server.upsert_opportunities(kubernetes_openings(OPENINGS)).await;
    server.match_until("o7", |r| r.candidates.len() == ALUMNI).await;

    // Every alumnus approached about every opening at once: 32 calls in flight.
    let mut calls = Vec::new();
    for a in 0..ALUMNI {
        for o in 0..OPENINGS {
            let mut client = outcomes.clone();
            calls.push(tokio::spawn(async move {
                let response = record(
                    &mut client,
                    vec![outcome(
                        &format!("a{a}"),
                        &format!("o{o}"),
                        OutcomeKind::Contacted,
                        days_ago(1.0),
                    )],
                )
                .await;
                (a, o, response)
            }));
        }
    }
    let mut approached: HashMap<usize, Vec<usize>> = HashMap::new();
    for call in calls {
        let (a, o, response) = call.await.unwrap();
        if response.recorded_count == 1 {
            approached.entry(a).or_default().push(o);
        } else {
            assert_eq!(response.refused.len(), 1);
            assert_eq!(response.refused[0].hold, proto::ContactHold::ContactCap as i32);
            assert_eq!(
                response.refused[0].reason,
                "held back: contacted twice in the last 90 days"
            );
        }
    }
    for a in 0..ALUMNI {
        assert_eq!(
            approached.get(&a).map_or(0, Vec::len),
            2,
            "alumnus a{a}: {approached:?}"
        );
    }

    // Shown only where the conversation is under way, with the count in the reason.
    for o in 0..OPENINGS {
        let response = server.match_ids(&format!("o{o}"), 100).await;
        for a in 0..ALUMNI {
            let id = format!("a{a}");
            let candidate = response.candidates.iter().find(|c| c.alumnus_id == id);
            if approached[&a].contains(&o) {
                let candidate = candidate.unwrap_or_else(|| panic!("a{a} is in conversation about o{o}"));
                assert!(
                    candidate.reason.ends_with("contacted twice in the last 90 days"),
                    "{}",
                    candidate.reason
                );
                assert!(!candidate.held_back);
            } else {
                assert!(candidate.is_none(), "a{a} is capped and must not be shown for o{o}");
            }
        }
    }

    // Flagging instead of hiding: shown, marked and explained; the cap is advice.
    outcomes
        .set_contact_policy(proto::SetContactPolicyRequest {
            policy: Some(proto::ContactPolicy {
                max_contacts: 2,
                window_days: 90,
                when_capped: proto::CappedAlumni::Flag as i32,
            }),
        })
        .await
        .unwrap();
    let free = (0..OPENINGS).find(|o| !approached[&0].contains(o)).unwrap();
    let response = server.match_ids(&format!("o{free}"), 100).await;
    let flagged = response
        .candidates
        .iter()
        .find(|c| c.alumnus_id == "a0")
        .expect("a0 is shown, flagged");
    assert!(flagged.held_back);
    assert!(
        flagged
            .reason
            .ends_with("held back: contacted twice in the last 90 days"),
        "{}",
        flagged.reason
    );
    let recorded = record(
        &mut outcomes,
        vec![outcome(
            "a0",
            &format!("o{free}"),
            OutcomeKind::Contacted,
            days_ago(0.5),
        )],
    )
    .await;
    assert_eq!(recorded.recorded_count, 1);
    // Invalid policies are refused with the field named.
    let status = outcomes
        .set_contact_policy(proto::SetContactPolicyRequest {
            policy: Some(proto::ContactPolicy {
                max_contacts: 2,
                window_days: 0,
                when_capped: 0,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(common::fields(&status), ["policy.window_days"]);
    server.stop().await;
}

#[tokio::test]
async fn erasure_removes_outcomes_and_the_shown_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut outcomes = OutcomeServiceClient::new(server.channel.clone());
    server.upsert(kubernetes_team(3)).await;
    server.upsert_opportunities(kubernetes_openings(1)).await;
    server.match_until("o0", |r| r.candidates.len() == 3).await;
    for a in ["a0", "a1"] {
        record(
            &mut outcomes,
            vec![
                outcome(a, "o0", OutcomeKind::Contacted, days_ago(4.0)),
                outcome(a, "o0", OutcomeKind::Replied, days_ago(3.0)),
            ],
        )
        .await;
    }
    let funnel = |outcomes: &mut OutcomeServiceClient<Channel>| {
        let mut outcomes = outcomes.clone();
        async move {
            outcomes
                .get_funnel(proto::GetFunnelRequest {
                    opportunity_id: "o0".into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .total
                .unwrap()
        }
    };
    let before = funnel(&mut outcomes).await;
    assert_eq!((before.shown, before.contacted, before.replied), (3, 2, 2));

    server
        .alumni
        .delete_alumni(proto::DeleteAlumniRequest { ids: vec!["a0".into()] })
        .await
        .unwrap();
    let status = outcomes
        .list_outcomes(proto::ListOutcomesRequest {
            subject: Some(proto::list_outcomes_request::Subject::AlumnusId("a0".into())),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let left = outcomes
        .list_outcomes(proto::ListOutcomesRequest {
            subject: Some(proto::list_outcomes_request::Subject::OpportunityId("o0".into())),
        })
        .await
        .unwrap()
        .into_inner()
        .outcomes;
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|o| o.alumnus_id == "a1"));
    let after = funnel(&mut outcomes).await;
    assert_eq!((after.shown, after.contacted, after.replied), (2, 1, 1));
    // Outcomes about an erased alumnus cannot be recorded either.
    let status = outcomes
        .record_outcomes(proto::RecordOutcomesRequest {
            outcomes: vec![outcome("a0", "o0", OutcomeKind::Hired, days_ago(0.0))],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(common::fields(&status), ["outcomes[0].alumnus_id"]);
    server.stop().await;

    // Nothing of them is left in the file either.
    let store = alumni_match_engine::store::Store::open(&tenant_dir(dir.path(), "default").join("store.redb")).unwrap();
    assert!(store.outcomes_of_alumnus("a0", 100).unwrap().is_empty());
    assert!(store.shown_of_alumnus("a0").unwrap().is_empty());
    assert!(store.all_shown().unwrap().iter().all(|s| s.alumnus_id != "a0"));
    assert!(store.all_outcomes().unwrap().iter().all(|o| o.alumnus_id != "a0"));
}

#[tokio::test]
async fn bad_outcomes_are_refused_whole_with_every_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut outcomes = OutcomeServiceClient::new(server.channel.clone());
    server.upsert(kubernetes_team(1)).await;
    server.upsert_opportunities(kubernetes_openings(1)).await;
    let mut future = outcome("a0", "o0", OutcomeKind::Replied, days_ago(-3.0));
    future.note = "x".repeat(300);
    let status = outcomes
        .record_outcomes(proto::RecordOutcomesRequest {
            outcomes: vec![
                outcome("a0", "o0", OutcomeKind::Contacted, days_ago(1.0)),
                proto::Outcome {
                    kind: 0,
                    ..outcome("a0", "o0", OutcomeKind::Replied, days_ago(1.0))
                },
                future,
                proto::Outcome {
                    occurred_at: None,
                    ..outcome("a0", "nope", OutcomeKind::Replied, days_ago(1.0))
                },
            ],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        common::fields(&status),
        [
            "outcomes[1].kind",
            "outcomes[2].occurred_at",
            "outcomes[2].note",
            "outcomes[3].occurred_at"
        ]
    );
    let listed = outcomes
        .list_outcomes(proto::ListOutcomesRequest {
            subject: Some(proto::list_outcomes_request::Subject::AlumnusId("a0".into())),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.outcomes.is_empty(), "nothing of the batch was written");
    // Recording twice is idempotent.
    let once = record(
        &mut outcomes,
        vec![outcome("a0", "o0", OutcomeKind::Replied, days_ago(1.0))],
    )
    .await;
    let twice = record(
        &mut outcomes,
        vec![outcome("a0", "o0", OutcomeKind::Replied, days_ago(1.0))],
    )
    .await;
    assert_eq!(
        (once.recorded_count, twice.recorded_count, twice.duplicate_count),
        (1, 0, 1)
    );
    server.stop().await;
}

/// A deterministic number in [0, 1) from a text (the simulation's noise).
fn unit_hash(text: &str) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % 1_000_000) as f64 / 1_000_000.0
}

/// The simulated recruiters' taste: alumni active in the programme lately
/// answer and go further, whatever their skills say (the base profile gives
/// engagement 1 % of a REFERRAL score).
const PREFERENCE: [(&str, f64); 3] = [("engagement", 0.6), ("occupation_fit", 0.2), ("required_skills", 0.2)];

/// The events of one shown candidate, from their place in the recruiters'
/// own order of the shown list: the first is hired, the next two interviewed,
/// four more reply, six are contacted without answer, the rest decline.
fn events_for(place: usize) -> Vec<(OutcomeKind, f64)> {
    use OutcomeKind::*;
    match place {
        0 => vec![
            (Contacted, 40.0),
            (Replied, 38.0),
            (ReferralSubmitted, 30.0),
            (ReferralHired, 10.0),
        ],
        1..=2 => vec![(Contacted, 40.0), (Replied, 37.0), (ReferralSubmitted, 30.0)],
        3..=6 => vec![(Contacted, 40.0), (Replied, 36.0)],
        7..=12 => vec![(Contacted, 40.0)],
        _ => vec![(Contacted, 40.0), (Declined, 35.0)],
    }
}

fn load_sample(file: &str) -> Vec<serde_json::Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample").join(file);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn tune_recovers_a_simulated_tenants_preference_on_held_out_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = engine_config(dir.path());
    config.taxonomy_path = Some(root.join("data/taxonomy/skills.tsv"));
    config.occupations_path = Some(root.join("data/occupations"));
    let mut server = TestServer::start_with(config).await;
    let mut outcomes = OutcomeServiceClient::new(server.channel.clone());
    // The simulation approaches everyone it is shown: no cap.
    outcomes
        .set_contact_policy(proto::SetContactPolicyRequest {
            policy: Some(proto::ContactPolicy {
                max_contacts: 0,
                window_days: 90,
                when_capped: 0,
            }),
        })
        .await
        .unwrap();

    // The committed sample (2,000 alumni from ESCO and O*NET occupations), and
    // each of its 40 openings as a REFERRAL request.
    let alumni: Vec<proto::Alumnus> = load_sample("alumni.jsonl")
        .into_iter()
        .map(|value| convert::alumnus_to_proto(serde_json::from_value(value).unwrap()))
        .collect();
    let eligible = alumni
        .iter()
        .filter(|a| {
            a.consent.as_ref().is_some_and(|c| c.contact_allowed)
                && a.interests
                    .as_ref()
                    .is_some_and(|i| i.open_to.contains(&(OpportunityKind::Referral as i32)))
        })
        .count() as u64;
    for batch in alumni.chunks(1000) {
        server.upsert(batch.to_vec()).await;
    }
    let openings: Vec<proto::Opportunity> = load_sample("opportunities.jsonl")
        .into_iter()
        .map(|mut value| {
            value["id"] = format!("ref-{}", value["id"].as_str().unwrap()).into();
            value["kind"] = "referral".into();
            convert::opportunity_to_proto(serde_json::from_value(value).unwrap())
        })
        .collect();
    let ids: Vec<String> = openings.iter().map(|o| o.id.clone()).collect();
    // Wait for the index with an ad-hoc copy of an opening: pages of ad-hoc
    // openings are not in the shown-log, so the funnel below counts only the
    // recruiters' pages.
    let probe = proto::Opportunity {
        id: String::new(),
        ..openings[0].clone()
    };
    server.upsert_opportunities(openings).await;
    // Generous: indexing the sample takes a second or two on an idle machine, more on a busy one.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let response = server
            .matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::Opportunity(probe.clone())),
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        if response.total_eligible == eligible {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sample was not indexed in time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // The recruiters read each opening's first 20 and act on their own taste.
    let mut events = Vec::new();
    let (mut shown, mut openings_with_candidates) = (0u64, 0u64);
    for id in &ids {
        let page = server.match_ids(id, 20).await;
        shown += page.candidates.len() as u64;
        openings_with_candidates += u64::from(!page.candidates.is_empty());
        assert_eq!(page.profile_version, 0, "the base profiles rank until a tune");
        let mut ranked: Vec<(f64, &str)> = page
            .candidates
            .iter()
            .map(|c| {
                let value = |name: &str| c.components.iter().find(|s| s.name == name).map_or(0.0, |s| s.value);
                let taste: f64 = PREFERENCE.iter().map(|(name, w)| w * value(name)).sum();
                (
                    taste + 0.05 * unit_hash(&format!("{id}/{}", c.alumnus_id)),
                    c.alumnus_id.as_str(),
                )
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (place, (_, alumnus)) in ranked.iter().enumerate() {
            for (kind, days) in events_for(place) {
                events.push(outcome(alumnus, id, kind, days_ago(days)));
            }
        }
    }
    for batch in events.chunks(1000) {
        let response = record(&mut outcomes, batch.to_vec()).await;
        assert!(response.refused.is_empty(), "{:?}", response.refused);
    }

    let funnel = outcomes
        .get_funnel(proto::GetFunnelRequest {
            kind: OpportunityKind::Referral as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let total = funnel.total.unwrap();
    println!("funnel (REFERRAL, simulated): {total:?}");
    println!(
        "simulated: {shown} shown on {openings_with_candidates} of {} openings",
        ids.len()
    );
    assert!(openings_with_candidates >= 30, "{openings_with_candidates}");
    assert_eq!((total.shown, total.contacted), (shown, shown));
    assert_eq!(total.hired, openings_with_candidates);
    assert_eq!(funnel.by_opportunity.len() as u64, openings_with_candidates);

    let tune = |dry_run: bool| {
        let mut outcomes = outcomes.clone();
        async move {
            outcomes
                .tune_profiles(proto::TuneProfilesRequest {
                    dry_run,
                    tenant: "default".into(),
                    ..Default::default()
                })
                .await
                .expect("tune")
                .into_inner()
        }
    };
    let dry = tune(true).await;
    assert!(!dry.installed);
    let report = tune(false).await;
    let referral = report
        .kinds
        .iter()
        .find(|k| k.kind == OpportunityKind::Referral as i32)
        .unwrap();
    let before = referral.holdout_ndcg_before.unwrap();
    let after = referral.holdout_ndcg_after.unwrap();
    println!(
        "tune (REFERRAL): {} training and {} held-out openings, {} graded pairs; held-out NDCG@10 {before:.3} -> \
         {after:.3}; engagement weight {:.3} -> {:.3}",
        referral.train_lists,
        referral.holdout_lists,
        referral.judged_pairs,
        referral.weights_before["engagement"],
        referral.weights_after["engagement"]
    );
    assert!(referral.improved && report.installed, "{referral:?}");
    assert!(after >= before + 0.05, "{before} -> {after}");
    assert_eq!((report.previous_version, report.profile_version), (0, 1));
    // The preference recovered: engagement, 1 % of the base profile, now leads.
    let engagement = referral.weights_after["engagement"];
    assert!(engagement >= 0.2, "{:?}", referral.weights_after);
    assert!(
        referral.weights_after.values().all(|w| *w <= engagement + 1e-12),
        "{:?}",
        referral.weights_after
    );
    // Kinds without outcomes keep their weights.
    for other in report
        .kinds
        .iter()
        .filter(|k| k.kind != OpportunityKind::Referral as i32)
    {
        assert!(!other.improved);
        assert_eq!(other.weights_after, other.weights_before);
    }
    // Every answer names the version that ranked it.
    assert_eq!(server.match_ids(&ids[0], 5).await.profile_version, 1);
    // A second run finds nothing better than what is in force and installs nothing.
    let again = tune(false).await;
    assert!(!again.installed, "{again:?}");
    assert_eq!(again.profile_version, 1);
    // A key of another tenant is refused.
    let status = outcomes
        .tune_profiles(proto::TuneProfilesRequest {
            tenant: "globex".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    server.stop().await;

    // The installed version survives a restart.
    let mut config = engine_config(dir.path());
    config.taxonomy_path = Some(root.join("data/taxonomy/skills.tsv"));
    config.occupations_path = Some(root.join("data/occupations"));
    let mut server = TestServer::start_with(config).await;
    assert_eq!(server.match_ids(&ids[0], 5).await.profile_version, 1);
    server.stop().await;
}
