//! Batch re-scoring and stored shortlists over gRPC: progress streaming, agreement
//! with Match, immediate removal on deletion or withdrawal, staleness, cancellation,
//! restart, background jobs and the analysts' CSV export.

mod common;

use std::time::Duration;

use alumni_match::proto::{self, OpportunityKind};
use common::{TestServer, alumnus, opportunity};

fn team() -> Vec<proto::Alumnus> {
    let mut team: Vec<proto::Alumnus> = (0..30)
        .map(|i| {
            alumnus(
                &format!("a{i:02}"),
                &format!("Person {i}"),
                "Backend engineer",
                &[("Rust", (i % 10) as f32, 2025)],
            )
        })
        .collect();
    team.push(alumnus(
        "ja",
        "山田 花子",
        "バックエンドエンジニア",
        &[("Rust", 9.5, 2025)],
    ));
    team
}

async fn rescore(server: &mut TestServer, ids: &[&str], only_stale: bool) -> Vec<proto::RescoreProgress> {
    common::rescore(server, ids, only_stale, 50).await
}

async fn shortlist(server: &mut TestServer, id: &str) -> proto::GetShortlistResponse {
    server.shortlist(id).await
}

async fn prepared(dir: &std::path::Path) -> TestServer {
    let mut server = TestServer::start(dir).await;
    server.upsert(team()).await;
    server
        .upsert_opportunities(vec![
            opportunity("rust", OpportunityKind::Referral, "Backend engineer", &["Rust"]),
            opportunity("mentor", OpportunityKind::Mentoring, "Rust mentor", &["Rust"]),
        ])
        .await;
    server.match_until("rust", |r| r.candidates.len() == 31).await;
    server
}

#[tokio::test]
async fn progress_streams_and_stored_shortlists_equal_a_fresh_match() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = prepared(dir.path()).await;
    let messages = rescore(&mut server, &[], false).await;
    let last = messages.last().unwrap();
    assert!(last.done && messages[..messages.len() - 1].iter().all(|m| !m.done));
    assert_eq!((last.total, last.completed, last.written, last.skipped), (2, 2, 2, 0));
    assert!(
        messages.windows(2).all(|w| w[0].completed <= w[1].completed),
        "progress only grows"
    );

    for id in ["rust", "mentor"] {
        let stored = shortlist(&mut server, id).await;
        assert!(!stored.stale);
        assert_eq!(stored.total, 31);
        let fresh = server.match_ids(id, 50).await;
        let stored_ids: Vec<&str> = stored.candidates.iter().map(|c| c.alumnus_id.as_str()).collect();
        assert_eq!(stored_ids, common::ids(&fresh), "{id}: same order as Match");
        for (s, f) in stored.candidates.iter().zip(&fresh.candidates) {
            assert!((s.score - f.score).abs() < 1e-6, "{id}: {} vs {}", s.score, f.score);
            assert_eq!(s.components.len(), f.components.len());
            assert_eq!(s.reason, f.reason);
        }
    }
    let missing = server
        .matcher
        .get_shortlist(proto::GetShortlistRequest {
            opportunity_id: "nope".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn deletion_and_withdrawal_leave_stored_shortlists_at_once_and_mark_them_stale() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = prepared(dir.path()).await;
    rescore(&mut server, &[], false).await;
    let ids = |r: &proto::GetShortlistResponse| r.candidates.iter().map(|c| c.alumnus_id.clone()).collect::<Vec<_>>();
    assert!(ids(&shortlist(&mut server, "rust").await).contains(&"a05".to_string()));

    server
        .alumni
        .delete_alumni(proto::DeleteAlumniRequest {
            ids: vec!["a05".into()],
        })
        .await
        .unwrap();
    let mut withdrawn = team().remove(6);
    withdrawn.consent = Some(proto::Consent {
        contact_allowed: false,
        ..Default::default()
    });
    let mut mentoring_only = team().remove(7);
    mentoring_only.interests.as_mut().unwrap().open_to = vec![OpportunityKind::Mentoring as i32];
    server.upsert(vec![withdrawn, mentoring_only]).await;

    let rust = shortlist(&mut server, "rust").await;
    let mentor = shortlist(&mut server, "mentor").await;
    for gone in ["a05", "a06", "a07"] {
        assert!(
            !ids(&rust).contains(&gone.to_string()),
            "{gone} left the referral shortlist"
        );
    }
    assert!(!ids(&mentor).contains(&"a05".to_string()) && !ids(&mentor).contains(&"a06".to_string()));
    assert!(ids(&mentor).contains(&"a07".to_string()), "still open to mentoring");
    assert!(rust.stale && mentor.stale);
    assert_eq!(rust.total, 28);
    server.stop().await;
}

#[tokio::test]
async fn staleness_and_only_stale_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = prepared(dir.path()).await;
    rescore(&mut server, &[], false).await;
    let quiet = rescore(&mut server, &[], true).await;
    assert_eq!(
        quiet.last().unwrap().total,
        0,
        "nothing is stale right after a re-score"
    );

    let mut edited = opportunity(
        "mentor",
        OpportunityKind::Mentoring,
        "Rust and Go mentor",
        &["Rust", "Go"],
    );
    edited.capacity = 2;
    server.upsert_opportunities(vec![edited]).await;
    assert!(
        shortlist(&mut server, "mentor").await.stale,
        "an edited opportunity makes its shortlist stale"
    );
    assert!(!shortlist(&mut server, "rust").await.stale);
    let only = rescore(&mut server, &[], true).await;
    assert_eq!(
        (only.last().unwrap().total, only.last().unwrap().written),
        (1, 1),
        "only the stale one"
    );
    assert!(!shortlist(&mut server, "mentor").await.stale);

    server
        .upsert(vec![alumnus(
            "new",
            "Newcomer",
            "Backend engineer",
            &[("Rust", 3.0, 2025)],
        )])
        .await;
    assert!(
        shortlist(&mut server, "rust").await.stale,
        "an alumni change makes shortlists stale"
    );
    let before = shortlist(&mut server, "rust").await;
    server.stop().await;

    let mut server = TestServer::start(dir.path()).await;
    let after = shortlist(&mut server, "rust").await;
    assert_eq!(after.candidates, before.candidates, "shortlists survive a restart");
    assert_eq!(after.computed_at, before.computed_at);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_disconnects_cancels_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    server.upsert(team()).await;
    let many: Vec<proto::Opportunity> = (0..640)
        .map(|i| {
            opportunity(
                &format!("o{i:03}"),
                OpportunityKind::Referral,
                "Backend engineer",
                &["Rust"],
            )
        })
        .collect();
    server.upsert_opportunities(many).await;
    server.match_until("o000", |r| r.candidates.len() == 31).await;
    let mut stream = server
        .matcher
        .rescore(proto::RescoreRequest::default())
        .await
        .unwrap()
        .into_inner();
    let first = stream.message().await.unwrap().unwrap().progress.unwrap();
    assert_eq!(first.total, 640);
    drop(stream);
    // Give the run time to notice and stop; a full run would write all 640.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut written = 0;
    for i in 0..640 {
        let found = server
            .matcher
            .get_shortlist(proto::GetShortlistRequest {
                opportunity_id: format!("o{i:03}"),
                page_size: 1,
                ..Default::default()
            })
            .await
            .is_ok();
        written += usize::from(found);
    }
    assert!(written < 640, "the run stopped early ({written} written)");
    server.stop().await;
}

#[tokio::test]
async fn upsert_with_rescore_runs_a_background_job() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = prepared(dir.path()).await;
    let response = server
        .opportunities
        .upsert_opportunities(proto::UpsertOpportunitiesRequest {
            opportunities: vec![opportunity(
                "late",
                OpportunityKind::Partnership,
                "Backend partner",
                &["Rust"],
            )],
            rescore: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!response.rescore_job_id.is_empty());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let job = server
            .matcher
            .get_rescore_job(proto::GetRescoreJobRequest {
                job_id: response.rescore_job_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        if job.state == proto::RescoreJobState::Succeeded as i32 {
            assert_eq!(job.progress.unwrap().written, 1);
            break;
        }
        assert_ne!(job.state, proto::RescoreJobState::Failed as i32, "{}", job.error);
        assert!(tokio::time::Instant::now() < deadline, "job did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(shortlist(&mut server, "late").await.total, 31);
    server.stop().await;
}

#[tokio::test]
async fn csv_export_round_trips_japanese_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = prepared(dir.path()).await;
    rescore(&mut server, &["rust"], false).await;
    let address = format!("http://{}", server.addr);
    // Off the runtime thread: the in-process server must keep answering meanwhile.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_alumni-match"))
            .args([
                "shortlist",
                "--opportunity",
                "rust",
                "--format",
                "csv",
                "--server",
                &address,
            ])
            .output()
            .expect("run alumni-match shortlist")
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let bytes = output.stdout;
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 byte-order mark for spreadsheets");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "rank");
    assert!(headers.iter().any(|h| h == "required_skills_contribution"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 31);
    let ja = rows.iter().find(|r| &r[1] == "ja").expect("Japanese alumnus row");
    assert_eq!(&ja[2], "山田 花子");
    let stored = shortlist(&mut server, "rust").await;
    for (row, candidate) in rows.iter().zip(&stored.candidates) {
        assert_eq!(&row[1], candidate.alumnus_id);
        assert!((row[3].parse::<f64>().unwrap() - candidate.score).abs() < 1e-6);
    }
    server.stop().await;
}
