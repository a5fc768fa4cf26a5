//! Limits answer with the right codes: oversized messages and batches, load beyond
//! the concurrency limit, and deadlines; the access log records calls without
//! their content; TLS serves encrypted and refuses plaintext.

mod common;

use std::{sync::Arc, time::Duration};

use alumni_match::{
    access::{KeyFile, KeyRing, Role, TenantId},
    proto::{
        self, OpportunityKind, alumni_service_client::AlumniServiceClient, match_service_client::MatchServiceClient,
    },
    service::{self, AccessLog, AdmissionLimits, Authentication, ServerOptions, TlsFiles},
};
use common::{TestServer, alumnus, engine_config, opportunity};
use tonic::Code;
use tonic_types::StatusExt;

fn options() -> ServerOptions {
    ServerOptions::default()
}

#[tokio::test]
async fn oversized_messages_and_batches_are_refused_with_the_right_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_full(
        engine_config(dir.path()),
        Authentication::Disabled,
        ServerOptions {
            max_message_bytes: 64 * 1024,
            ..options()
        },
    )
    .await;
    let mut alumni = server.alumni.clone();
    // Each profile is valid on its own (statements may hold 10,000 characters), but
    // together they exceed the 64 KiB message limit.
    let big = |i: usize| {
        let mut a = alumnus(&format!("big-{i}"), "Big", "SRE", &[("Kubernetes", 1.0, 2025)]);
        a.interests.as_mut().unwrap().statement = "x".repeat(9_000);
        a
    };
    let status = alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: (0..10).map(big).collect(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let one_huge = {
        let mut a = big(99);
        a.positions[0].description = "y".repeat(70_000);
        a
    };
    let status = alumni
        .import_alumni(tokio_stream::iter(
            vec![big(0), one_huge].into_iter().map(proto::ImportAlumniRequest::from),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::ResourceExhausted,
        "a streamed item over the limit: {status:?}"
    );

    drop(alumni);
    server.stop().await;
}

#[tokio::test]
async fn batches_over_the_item_limit_are_invalid_argument() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut alumni = server.alumni.clone();
    let status = alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: (0..1_001)
                .map(|i| alumnus(&format!("a{i}"), "A", "SRE", &[("Go", 1.0, 2025)]))
                .collect(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let field = &status.get_details_bad_request().expect("BadRequest").field_violations[0].field;
    assert_eq!(field, "alumni");
    let status = alumni
        .delete_alumni(proto::DeleteAlumniRequest {
            ids: (0..1_001).map(|i| format!("a{i}")).collect(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    drop(alumni);
    server.stop().await;
}

#[tokio::test]
async fn streams_beyond_their_pool_are_shed_not_queued_and_never_starve_unary_calls() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_full(
        engine_config(dir.path()),
        Authentication::Disabled,
        ServerOptions {
            admission: AdmissionLimits {
                streams: 1,
                ..AdmissionLimits::default()
            },
            ..options()
        },
    )
    .await;
    let mut matcher = server.matcher.clone();
    let probe = async |matcher: &mut MatchServiceClient<_>| {
        matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::OpportunityId("none".into())),
                limit: 10,
                ..Default::default()
            })
            .await
    };
    // An import whose stream stays open holds the only stream permit. A probe
    // stream (which ends at once) may win the permit first and shed the import
    // instead; then the import is started again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let (shed, sender, import) = 'held: loop {
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        let mut importer = server.alumni.clone();
        let import = tokio::spawn(async move {
            importer
                .import_alumni(tokio_stream::StreamExt::map(
                    tokio_stream::wrappers::ReceiverStream::new(receiver),
                    proto::ImportAlumniRequest::from,
                ))
                .await
        });
        sender
            .send(alumnus("held", "Held", "SRE", &[("Go", 1.0, 2025)]))
            .await
            .unwrap();
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the stream pool never shed a stream"
            );
            match server
                .alumni
                .clone()
                .import_alumni(tokio_stream::iter(Vec::<proto::ImportAlumniRequest>::new()))
                .await
            {
                Err(status) if status.code() == Code::ResourceExhausted => break 'held (status, sender, import),
                Err(status) => panic!("unexpected {status:?}"),
                Ok(_) => {}
            }
            if import.is_finished() {
                let outcome = import.await.unwrap();
                assert_eq!(
                    outcome.unwrap_err().code(),
                    Code::ResourceExhausted,
                    "an import that ended early was shed by the probe"
                );
                continue 'held;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    assert!(shed.message().contains("streams"), "{shed:?}");
    let retry = shed.get_details_retry_info().expect("RetryInfo detail");
    assert!(retry.retry_delay.is_some_and(|d| d > Duration::ZERO));
    // ...while unary calls, from their own pool, are still served.
    assert_eq!(probe(&mut matcher).await.unwrap_err().code(), Code::NotFound);

    drop(sender); // the import completes and frees the stream permit
    let imported = import.await.unwrap().expect("import").into_inner();
    assert_eq!(imported.imported_count, 1);
    let empty = server
        .alumni
        .clone()
        .import_alumni(tokio_stream::iter(Vec::<proto::ImportAlumniRequest>::new()))
        .await
        .expect("a stream is admitted again");
    assert_eq!(empty.into_inner().imported_count, 0);
    drop(matcher);
    server.stop().await;
}

#[tokio::test]
async fn deadlines_end_calls_with_deadline_exceeded() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_full(
        engine_config(dir.path()),
        Authentication::Disabled,
        ServerOptions {
            request_timeout: Duration::from_secs(1),
            stream_idle_timeout: Duration::from_secs(1),
            ..options()
        },
    )
    .await;
    // A tonic client enforces grpc-timeout itself and may give up (CANCELLED)
    // before the server's answer arrives on a loaded machine; these calls are
    // made by hand so that what is checked is the server's own answer.
    let request = proto::MatchRequest {
        target: Some(proto::match_request::Target::OpportunityId("none".into())),
        limit: 10,
        ..Default::default()
    };
    let reply = common::raw::call(
        server.addr,
        "/alumni.matching.v1.MatchService/Match",
        &[("grpc-timeout", "500u")],
        common::raw::frame(&prost::Message::encode_to_vec(&request)),
    )
    .await;
    assert_eq!(reply.code, Code::DeadlineExceeded, "{reply:?}");

    // The client's deadline ends a stream that never finishes.
    let item = alumnus("streamed", "Aiko", "Engineer", &[("rust", 3.0, 2024)]);
    let reply = common::raw::call_and_stall(
        server.addr,
        "/alumni.matching.v1.AlumniService/ImportAlumni",
        &[("grpc-timeout", "300m")],
        common::raw::frame(&prost::Message::encode_to_vec(&proto::ImportAlumniRequest::from(item))),
    )
    .await;
    assert_eq!(reply.code, Code::DeadlineExceeded, "{reply:?}");

    // Without a client deadline, the server's idle limit (1 s here) ends a stream
    // that stalls that long; what arrived before the stall is kept.
    let (sender, receiver) = tokio::sync::mpsc::channel::<proto::Alumnus>(1);
    sender
        .send(alumnus("before-stall", "Aiko", "Engineer", &[("rust", 3.0, 2024)]))
        .await
        .unwrap();
    let status = server
        .alumni
        .clone()
        .import_alumni(tokio_stream::StreamExt::map(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
            proto::ImportAlumniRequest::from,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    drop(sender);
    let kept = server
        .alumni
        .clone()
        .get_alumnus(proto::GetAlumnusRequest {
            id: "before-stall".into(),
        })
        .await;
    assert!(kept.is_ok(), "{kept:?}");

    // A stream that keeps sending runs past the server's limits: the idle limit
    // bounds each wait for the next message, not a long import as a whole.
    let (sender, receiver) = tokio::sync::mpsc::channel::<proto::Alumnus>(1);
    let feeder = tokio::spawn(async move {
        for i in 0..5 {
            let id = format!("steady-{i}");
            sender
                .send(alumnus(&id, "Aiko", "Engineer", &[("rust", 3.0, 2024)]))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(350)).await;
        }
    });
    let imported = server
        .alumni
        .clone()
        .import_alumni(tokio_stream::StreamExt::map(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
            proto::ImportAlumniRequest::from,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.imported_count, 5);
    feeder.await.unwrap();

    server.stop().await;
}

#[tokio::test]
async fn the_access_log_records_who_called_what_and_nothing_about_people() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyFile::new(dir.path().join("api-keys.toml"));
    let tenant = TenantId::parse("acme").unwrap();
    let admin = keys.issue(tenant.clone(), Role::Admin, "").unwrap();
    let matcher_key = keys.issue(tenant, Role::Matcher, "").unwrap();
    let log_path = dir.path().join("access.log");
    let server = TestServer::start_full(
        engine_config(dir.path()),
        Authentication::ApiKeys(Arc::new(KeyRing::load(keys).unwrap())),
        ServerOptions {
            access_log: AccessLog::open(&log_path).unwrap(),
            ..options()
        },
    )
    .await;
    let endpoint = format!("http://{}", server.addr);
    let admin_channel = service::connect(&endpoint, Some(&admin.key), None).await.unwrap();
    let people = [
        alumnus(
            "p1",
            "Sakura Tanaka",
            "Kubernetes platform engineer",
            &[("Kubernetes", 5.0, 2025)],
        ),
        alumnus("p2", "Kenji Watanabe", "Kubernetes SRE", &[("Kubernetes", 3.0, 2025)]),
    ];
    AlumniServiceClient::new(admin_channel.clone())
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: people.to_vec(),
        })
        .await
        .unwrap();
    alumni_match::proto::opportunity_service_client::OpportunityServiceClient::new(admin_channel)
        .upsert_opportunities(proto::UpsertOpportunitiesRequest {
            opportunities: vec![opportunity("o1", OpportunityKind::Rehire, "SRE", &["Kubernetes"])],
            rescore: false,
        })
        .await
        .unwrap();
    let mut matcher = MatchServiceClient::new(service::connect(&endpoint, Some(&matcher_key.key), None).await.unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let returned = loop {
        let response = matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::OpportunityId("o1".into())),
                limit: 10,
                explain: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        if response.candidates.len() == 2 {
            break response.candidates.len();
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let denied = AlumniServiceClient::new(service::connect(&endpoint, Some(&matcher_key.key), None).await.unwrap())
        .get_alumnus(proto::GetAlumnusRequest { id: "p1".into() })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let anonymous = MatchServiceClient::new(service::connect(&endpoint, None, None).await.unwrap())
        .get_shortlist(proto::GetShortlistRequest {
            opportunity_id: "o1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    drop(matcher);
    server.stop().await;

    let log = std::fs::read_to_string(&log_path).unwrap();
    let records: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let last_match = records
        .iter()
        .rfind(|r| r["method"] == "Match")
        .expect("Match is logged");
    assert_eq!(last_match["tenant"], "acme");
    assert_eq!(last_match["key_id"], matcher_key.record.id.as_str());
    assert_eq!(last_match["role"], "matcher");
    assert_eq!(last_match["status"], "Ok");
    assert_eq!(last_match["returned"], returned as u64);
    assert!(last_match["peer"].as_str().is_some_and(|p| p.starts_with("127.0.0.1:")));
    let denial = records.iter().find(|r| r["method"] == "GetAlumnus").unwrap();
    assert_eq!(denial["status"], "PermissionDenied");
    let anonymous = records.iter().find(|r| r["method"] == "GetShortlist").unwrap();
    assert_eq!(anonymous["status"], "Unauthenticated");
    assert!(anonymous["tenant"].is_null() && anonymous["key_id"].is_null());
    for secret in [
        "Sakura",
        "Tanaka",
        "Kenji",
        "Watanabe",
        "platform engineer",
        "Kubernetes",
        "p1",
        "o1",
        admin.key.as_str(),
        matcher_key.key.as_str(),
    ] {
        assert!(!log.contains(secret), "the access log must not contain {secret:?}");
    }
}

#[tokio::test]
async fn tls_serves_encrypted_calls_and_refuses_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let certificate = dir.path().join("server.pem");
    let private_key = dir.path().join("server.key");
    std::fs::write(&certificate, certified.cert.pem()).unwrap();
    std::fs::write(&private_key, certified.signing_key.serialize_pem()).unwrap();
    let server = TestServer::start_full(
        engine_config(dir.path()),
        Authentication::Disabled,
        ServerOptions {
            tls: Some(TlsFiles {
                certificate: certificate.clone(),
                private_key,
            }),
            ..options()
        },
    )
    .await;
    let port = server.addr.port();
    let channel = service::connect(&format!("https://localhost:{port}"), None, Some(&certificate))
        .await
        .expect("TLS connection");
    let stored = AlumniServiceClient::new(channel)
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: vec![alumnus("t1", "Tls", "SRE", &[("Go", 1.0, 2025)])],
        })
        .await
        .expect("a call over TLS");
    assert_eq!(stored.into_inner().upserted_count, 1);
    let plaintext = match service::connect(&format!("http://127.0.0.1:{port}"), None, None).await {
        Err(_) => true,
        Ok(channel) => AlumniServiceClient::new(channel)
            .get_alumnus(proto::GetAlumnusRequest { id: "t1".into() })
            .await
            .is_err(),
    };
    assert!(plaintext, "a plaintext client must not be served");
    server.stop().await;
}
