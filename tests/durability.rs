//! Durability and operations, with the real binary as a separate process:
//! acknowledged writes survive `kill -9`, restarts keep data, the index is rebuilt
//! when lost, health and reflection are served, and no profile text is logged.

mod common;

use std::io::Read;

use alumni_match::proto::{
    self, OpportunityKind, alumni_service_client::AlumniServiceClient, match_service_client::MatchServiceClient,
    opportunity_service_client::OpportunityServiceClient,
};
use common::{ServerProcess, TestServer, alumnus, opportunity};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_and_logs_hold_no_profile_text() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let mut server = ServerProcess::spawn(&data, Some(&log), "debug").await;
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    let mut acknowledged = Vec::new();
    for batch in 0..20 {
        let items: Vec<proto::Alumnus> = (0..50)
            .map(|i| {
                let mut a = alumnus(
                    &format!("k{batch}-{i}"),
                    "Yamamoto Secretname",
                    "Kotlin engineer",
                    &[("Kotlin", 3.0, 2025)],
                );
                a.interests.as_mut().unwrap().statement = "PRIVATE-STATEMENT-TEXT".into();
                a
            })
            .collect();
        let ids: Vec<String> = items.iter().map(|a| a.id.clone()).collect();
        alumni
            .upsert_alumni(proto::UpsertAlumniRequest { alumni: items })
            .await
            .expect("acknowledged");
        acknowledged.extend(ids);
    }
    OpportunityServiceClient::new(server.channel.clone())
        .upsert_opportunities(proto::UpsertOpportunitiesRequest {
            rescore: false,
            opportunities: vec![opportunity(
                "kotlin",
                OpportunityKind::Referral,
                "Kotlin engineer",
                &["Kotlin"],
            )],
        })
        .await
        .unwrap();
    // No graceful anything: the index may not have committed the last writes.
    server.kill_9();
    drop(server);

    let server = ServerProcess::spawn(&data, Some(&log), "debug").await;
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    for id in &acknowledged {
        alumni
            .get_alumnus(proto::GetAlumnusRequest { id: id.clone() })
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    let mut matcher = MatchServiceClient::new(server.channel.clone());
    let response = matcher
        .r#match(proto::MatchRequest {
            target: Some(proto::match_request::Target::OpportunityId("kotlin".into())),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        response.total_eligible,
        acknowledged.len() as u64,
        "the index caught up with the store at start-up"
    );
    drop((alumni, matcher));
    let status = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");

    let mut text = String::new();
    std::fs::File::open(&log).unwrap().read_to_string(&mut text).unwrap();
    assert!(text.contains("rpc finished"), "RPCs are logged");
    for secret in [
        "Secretname",
        "PRIVATE-STATEMENT-TEXT",
        "Kotlin engineer",
        "Tanaka Systems",
    ] {
        assert!(!text.contains(secret), "profile text {secret:?} appeared in the log");
    }
}

#[tokio::test]
async fn health_and_reflection_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut health = HealthClient::new(server.channel.clone());
    for service in [
        "",
        "alumni.matching.v1.MatchService",
        "alumni.matching.v1.AlumniService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut reflection = ServerReflectionClient::new(server.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.message().await.unwrap().unwrap().message_response
    else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "alumni.matching.v1.AlumniService",
        "alumni.matching.v1.OpportunityService",
        "alumni.matching.v1.MatchService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
    // The error details' types are served too, so grpcurl can decode them.
    for symbol in [
        "google.rpc.BadRequest",
        "google.rpc.QuotaFailure",
        "google.rpc.ErrorInfo",
    ] {
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(symbol.into())),
        };
        let mut responses = reflection
            .server_reflection_info(tokio_stream::iter(vec![request]))
            .await
            .unwrap()
            .into_inner();
        let answer = responses.message().await.unwrap().unwrap().message_response;
        assert!(
            matches!(answer, Some(MessageResponse::FileDescriptorResponse(ref files)) if !files.file_descriptor_proto.is_empty()),
            "{symbol}: {answer:?}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn restart_keeps_data_and_a_lost_index_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    server
        .upsert(vec![alumnus("keep", "Keeper", "SRE", &[("Terraform", 4.0, 2025)])])
        .await;
    server
        .upsert_opportunities(vec![opportunity("sre", OpportunityKind::Rehire, "SRE", &["Terraform"])])
        .await;
    server.match_until("sre", |r| r.candidates.len() == 1).await;
    server.stop().await;

    let mut server = TestServer::start(dir.path()).await;
    let response = server.match_ids("sre", 10).await;
    assert_eq!(common::ids(&response), ["keep"]);
    server.stop().await;

    std::fs::remove_dir_all(common::tenant_dir(dir.path(), "default").join("index")).unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let response = server.match_ids("sre", 10).await;
    assert_eq!(
        common::ids(&response),
        ["keep"],
        "the index was rebuilt from the store at start-up"
    );
    server.stop().await;
}
