//! MatchForAlumnus (opportunities for one alumnus) and AssignMentors (optimal
//! mentor assignment) over gRPC.

mod common;

use std::collections::HashMap;

use alumni_match::proto::{self, OpportunityKind};
use common::{TestServer, alumnus, opportunity};

#[tokio::test]
async fn opportunities_for_an_alumnus_respect_opt_ins_and_agree_with_match() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut person = alumnus(
        "p",
        "Mori Aki",
        "Backend engineer",
        &[("Rust", 6.0, 2025), ("Go", 2.0, 2023)],
    );
    person.interests.as_mut().unwrap().open_to =
        vec![OpportunityKind::Referral as i32, OpportunityKind::Mentoring as i32];
    let other = alumnus("q", "Other", "Designer", &[("Figma", 3.0, 2025)]);
    server.upsert(vec![person, other]).await;
    let mut closed = opportunity("closed", OpportunityKind::Referral, "Rust engineer", &["Rust"]);
    closed.status = proto::OpportunityStatus::Closed as i32;
    server
        .upsert_opportunities(vec![
            opportunity("rust-ref", OpportunityKind::Referral, "Rust engineer", &["Rust"]),
            opportunity("go-mentor", OpportunityKind::Mentoring, "Go mentor", &["Go"]),
            opportunity("rust-rehire", OpportunityKind::Rehire, "Rust engineer", &["Rust"]),
            opportunity("design-ref", OpportunityKind::Referral, "Designer", &["Figma"]),
            closed,
        ])
        .await;
    server.match_until("rust-ref", |r| r.total_eligible == 2).await;
    let response = server
        .matcher
        .match_for_alumnus(proto::MatchForAlumnusRequest {
            alumnus_id: "p".into(),
            explain: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = response.matches.iter().map(|m| m.opportunity_id.as_str()).collect();
    assert_eq!(
        ids.len(),
        2,
        "not rehire (not opted in), not the closed one, not the designer opening (no evidence): {ids:?}"
    );
    assert!(ids.contains(&"rust-ref") && ids.contains(&"go-mentor"));
    assert!(
        response.matches.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );
    assert!(!ids.contains(&"rust-rehire") && !ids.contains(&"closed"));
    for m in &response.matches {
        let sum: f64 = m.components.iter().map(|c| c.contribution).sum();
        assert!((sum - m.score).abs() < 1e-9);
    }
    // The same pair scores the same in both directions.
    let forward = server.match_ids("rust-ref", 10).await;
    let p = forward.candidates.iter().find(|c| c.alumnus_id == "p").unwrap();
    let reverse = response
        .matches
        .iter()
        .find(|m| m.opportunity_id == "rust-ref")
        .unwrap();
    assert!(
        (p.score - reverse.score).abs() < 1e-9,
        "{} vs {}",
        p.score,
        reverse.score
    );

    let only_mentoring = server
        .matcher
        .match_for_alumnus(proto::MatchForAlumnusRequest {
            alumnus_id: "p".into(),
            kinds: vec![OpportunityKind::Mentoring as i32, OpportunityKind::Rehire as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        only_mentoring
            .matches
            .iter()
            .map(|m| m.opportunity_id.as_str())
            .collect::<Vec<_>>(),
        ["go-mentor"]
    );
    let missing = server
        .matcher
        .match_for_alumnus(proto::MatchForAlumnusRequest {
            alumnus_id: "nobody".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    server.stop().await;
}

/// Exhaustive best total over one-mentor-per-alumnus, capacity-1 assignments.
fn brute_force(opportunities: &[&str], scores: &HashMap<(String, String), f64>, used: &mut Vec<String>) -> f64 {
    let Some((first, rest)) = opportunities.split_first() else {
        return 0.0;
    };
    let mut best = brute_force(rest, scores, used); // leave this one unfilled
    let candidates: Vec<(String, f64)> = scores
        .iter()
        .filter(|((o, a), _)| o == first && !used.contains(a))
        .map(|((_, a), s)| (a.clone(), *s))
        .collect();
    for (alumnus, score) in candidates {
        used.push(alumnus);
        best = best.max(score + brute_force(rest, scores, used));
        used.pop();
    }
    best
}

#[tokio::test]
async fn mentor_assignment_maximises_the_total_score() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    // "both" is the best mentor for each opening; a greedy assignment gives them the
    // opening where they shine most and leaves the other one badly served.
    let both = alumnus("both", "Both", "Engineer", &[("Rust", 10.0, 2025), ("Go", 9.0, 2025)]);
    let rust = alumnus("rust", "Rust only", "Engineer", &[("Rust", 8.0, 2025)]);
    let go_weak = alumnus("go-weak", "Weak Go", "Engineer", &[("Go", 0.5, 2015)]);
    server.upsert(vec![both, rust, go_weak]).await;
    let mut rust_mentor = opportunity("m-rust", OpportunityKind::Mentoring, "Rust mentor", &["Rust"]);
    rust_mentor.capacity = 1;
    let mut go_mentor = opportunity("m-go", OpportunityKind::Mentoring, "Go mentor", &["Go"]);
    go_mentor.capacity = 1;
    server.upsert_opportunities(vec![rust_mentor, go_mentor]).await;
    server.match_until("m-rust", |r| r.total_eligible == 3).await;

    let mut scores = HashMap::new();
    for opportunity in ["m-rust", "m-go"] {
        for c in server.match_ids(opportunity, 100).await.candidates {
            scores.insert((opportunity.to_string(), c.alumnus_id), c.score);
        }
    }
    let best = brute_force(&["m-rust", "m-go"], &scores, &mut Vec::new());
    let plan = server
        .matcher
        .assign_mentors(proto::AssignMentorsRequest {
            opportunity_ids: vec!["m-rust".into(), "m-go".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        (plan.total_score - best).abs() < 1e-6,
        "optimal {best}, got {}",
        plan.total_score
    );
    let pairs: Vec<(&str, &str)> = plan
        .assignments
        .iter()
        .map(|a| {
            (
                a.opportunity_id.as_str(),
                a.mentor.as_ref().unwrap().alumnus_id.as_str(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), 2);
    let mut mentors: Vec<&str> = pairs.iter().map(|p| p.1).collect();
    mentors.sort();
    mentors.dedup();
    assert_eq!(mentors.len(), 2, "one assignment per alumnus by default: {pairs:?}");
    for assignment in &plan.assignments {
        let mentor = assignment.mentor.as_ref().unwrap();
        let sum: f64 = mentor.components.iter().map(|c| c.contribution).sum();
        assert!((sum - mentor.score).abs() < 1e-9, "each pair is explained");
    }
    assert!(plan.fills.iter().all(|f| f.capacity == 1 && f.assigned == 1));

    let two_each = server
        .matcher
        .assign_mentors(proto::AssignMentorsRequest {
            opportunity_ids: vec!["m-rust".into(), "m-go".into()],
            max_assignments_per_alumnus: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        two_each.total_score >= plan.total_score,
        "a looser limit never lowers the optimum"
    );

    server
        .upsert_opportunities(vec![opportunity(
            "ref",
            OpportunityKind::Referral,
            "Engineer",
            &["Rust"],
        )])
        .await;
    let status = server
        .matcher
        .assign_mentors(proto::AssignMentorsRequest {
            opportunity_ids: vec!["ref".into(), "ref".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    server.stop().await;
}
