//! Crash safety under load: 20 rounds of an import loop against the real server
//! process, killed with SIGKILL at pseudo-random moments. After every restart,
//! every acknowledged alumnus is present, and once the index has caught up it
//! agrees with the store.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use alumni_match::proto::{
    self, OpportunityKind, alumni_service_client::AlumniServiceClient, match_service_client::MatchServiceClient,
    opportunity_service_client::OpportunityServiceClient,
};
use alumni_match::service::ClientChannel;
use common::{ServerProcess, alumnus, opportunity};

const ROUNDS: u64 = 20;
const BATCH: usize = 25;

/// A fixed linear congruential sequence: the kill moments are "random" but the
/// same on every run, so a failure can be replayed.
fn kill_delays() -> impl Iterator<Item = Duration> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    std::iter::from_fn(move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        Some(Duration::from_millis(20 + (state >> 33) % 400))
    })
}

#[tokio::test]
async fn acknowledged_writes_survive_twenty_kill_9s_during_an_import_loop() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut at_most = 0usize;
    let mut unacknowledged_slack = 0usize;
    let mut checked = 0usize;
    let mut killed_mid_import = 0usize;
    for (round, delay) in (0..ROUNDS).zip(kill_delays()) {
        let mut server = ServerProcess::spawn(&data, None, "warn").await;
        let channel = server.channel.clone();
        if round == 0 {
            OpportunityServiceClient::new(channel.clone())
                .upsert_opportunities(proto::UpsertOpportunitiesRequest {
                    opportunities: vec![opportunity("all", OpportunityKind::Referral, "Engineer", &["Go"])],
                    rescore: false,
                })
                .await
                .unwrap();
        }
        // What the previous round acknowledged must be there after the restart
        // (all of it is checked again at the end), and the index must agree.
        let so_far = acknowledged.lock().unwrap().clone();
        verify(&channel, &so_far[checked..], so_far.len(), at_most).await;
        checked = so_far.len();

        let writer = {
            let acknowledged = acknowledged.clone();
            let mut alumni = AlumniServiceClient::new(channel.clone());
            tokio::spawn(async move {
                for batch in 0.. {
                    let items: Vec<proto::Alumnus> = (0..BATCH)
                        .map(|i| alumnus(&format!("r{round}-b{batch}-{i}"), "P", "Engineer", &[("Go", 2.0, 2025)]))
                        .collect();
                    let ids: Vec<String> = items.iter().map(|a| a.id.clone()).collect();
                    match alumni.upsert_alumni(proto::UpsertAlumniRequest { alumni: items }).await {
                        Ok(_) => acknowledged.lock().unwrap().extend(ids),
                        Err(_) => return batch,
                    }
                }
                unreachable!("the loop ends when the server dies")
            })
        };
        tokio::time::sleep(delay).await;
        server.kill_9();
        let batches_before_kill = writer.await.unwrap();
        killed_mid_import += usize::from(batches_before_kill > 0);
        // The batch in flight at each kill may or may not have been committed, so
        // the store may hold up to one unacknowledged batch more per round.
        unacknowledged_slack += BATCH;
        at_most = acknowledged.lock().unwrap().len() + unacknowledged_slack;
        eprintln!(
            "round {}/{ROUNDS}: kill -9 after {delay:?} ({batches_before_kill} batches acknowledged this round, {} in all)",
            round + 1,
            acknowledged.lock().unwrap().len()
        );
    }
    let server = ServerProcess::spawn(&data, None, "warn").await;
    let channel = server.channel.clone();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        killed_mid_import >= ROUNDS as usize * 3 / 4,
        "kills landed mid-import in only {killed_mid_import} rounds"
    );
    verify(&channel, &acknowledged, acknowledged.len(), at_most).await;
    eprintln!(
        "{ROUNDS} of {ROUNDS} rounds passed: all {} acknowledged alumni present after the last restart, and the index agrees with the store",
        acknowledged.len()
    );
}

/// Every acknowledged alumnus is stored, and the index (which counts eligible
/// alumni) agrees with the store once it has caught up.
async fn verify(channel: &ClientChannel, to_check: &[String], acknowledged: usize, at_most: usize) {
    let mut alumni = AlumniServiceClient::new(channel.clone());
    for id in to_check {
        alumni
            .get_alumnus(proto::GetAlumnusRequest { id: id.clone() })
            .await
            .unwrap_or_else(|e| panic!("{id} lost: {e}"));
    }
    if acknowledged == 0 {
        return;
    }
    let mut matcher = MatchServiceClient::new(channel.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let total = matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::OpportunityId("all".into())),
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .total_eligible as usize;
        if (acknowledged..=at_most).contains(&total) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "index has {total}, store has {acknowledged}..={at_most}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
