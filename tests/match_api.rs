//! End-to-end behaviour of the Match RPC over gRPC: ranking, explanations, gates,
//! deletion, pagination and Japanese text.

mod common;

use alumni_match::proto::{self, OpportunityKind};
use common::{TestServer, alumnus, engine_config, ids, opportunity};

fn rust_team() -> Vec<proto::Alumnus> {
    vec![
        alumnus(
            "rust-veteran",
            "Sato Hanako",
            "Backend engineer",
            &[("Rust", 8.0, 2025), ("Kubernetes", 4.0, 2025)],
        ),
        alumnus(
            "rust-novice",
            "Suzuki Ichiro",
            "Backend engineer",
            &[("Rust", 1.0, 2019)],
        ),
        alumnus("k8s-only", "Takahashi Ken", "Platform engineer", &[("k8s", 6.0, 2025)]),
        alumnus("designer", "Ito Mai", "Product designer", &[("Figma", 5.0, 2025)]),
    ]
}

#[tokio::test]
async fn upsert_then_match_ranks_and_explains() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    server.upsert(rust_team()).await;
    server
        .upsert_opportunities(vec![opportunity(
            "backend",
            OpportunityKind::Referral,
            "Backend engineer",
            &["Rust", "Kubernetes"],
        )])
        .await;
    let response = server.match_until("backend", |r| r.candidates.len() == 3).await;
    assert_eq!(response.total_eligible, 4, "everyone passes the gates");
    assert_eq!(response.total_matched, 3, "the designer has no evidence");
    let order = ids(&response);
    assert_eq!(
        order[0], "rust-veteran",
        "both required skills, long and recent use: {order:?}"
    );
    assert!(
        !order.contains(&"designer"),
        "no skill, occupation or word of the opening: not returned: {order:?}"
    );

    for (i, candidate) in response.candidates.iter().enumerate() {
        assert_eq!(candidate.rank as usize, i + 1);
        assert!((0.0..=1.0).contains(&candidate.score));
        let sum: f64 = candidate.components.iter().map(|c| c.contribution).sum();
        assert!((sum - candidate.score).abs() < 1e-9, "components add up to the score");
        for c in &candidate.components {
            assert!((c.value * c.weight - c.contribution).abs() < 1e-12);
        }
        assert!(!candidate.reason.is_empty());
    }
    let veteran = &response.candidates[0];
    assert_eq!(veteran.matched_skills, ["Rust", "Kubernetes"]);
    assert!(veteran.missing_required_skills.is_empty());
    assert!(
        veteran.reason.contains("8 yrs Rust, last used 2025"),
        "{}",
        veteran.reason
    );
    let k8s = response.candidates.iter().find(|c| c.alumnus_id == "k8s-only").unwrap();
    assert_eq!(
        k8s.matched_skills,
        ["Kubernetes"],
        "the alias k8s resolves to Kubernetes"
    );
    assert_eq!(k8s.missing_required_skills, ["Rust"]);
    server.stop().await;
}

#[tokio::test]
async fn hard_gates_hold_for_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut no_contact = alumnus("no-contact", "A", "Backend engineer", &[("Rust", 9.0, 2025)]);
    no_contact.consent = Some(proto::Consent {
        contact_allowed: false,
        ..Default::default()
    });
    let mut mentoring_only = alumnus("mentoring-only", "B", "Backend engineer", &[("Rust", 9.0, 2025)]);
    mentoring_only.interests.as_mut().unwrap().open_to = vec![OpportunityKind::Mentoring as i32];
    let mut not_rehirable = alumnus("not-rehirable", "C", "Backend engineer", &[("Rust", 9.0, 2025)]);
    not_rehirable.departure.as_mut().unwrap().rehire_eligible = false;
    let mut opted_out = alumnus("opted-out", "D", "Backend engineer", &[("Rust", 9.0, 2025)]);
    opted_out.interests.as_mut().unwrap().open_to.clear();
    let open = alumnus("open", "E", "Backend engineer", &[("Rust", 1.0, 2020)]);
    server
        .upsert(vec![no_contact, mentoring_only, not_rehirable, opted_out, open])
        .await;
    let kinds = [
        ("rehire", OpportunityKind::Rehire, vec!["open"]),
        ("referral", OpportunityKind::Referral, vec!["not-rehirable", "open"]),
        (
            "mentoring",
            OpportunityKind::Mentoring,
            vec!["mentoring-only", "not-rehirable", "open"],
        ),
        (
            "partnership",
            OpportunityKind::Partnership,
            vec!["not-rehirable", "open"],
        ),
    ];
    for (id, kind, _) in &kinds {
        server
            .upsert_opportunities(vec![opportunity(id, *kind, "Backend engineer", &["Rust"])])
            .await;
    }
    for (id, _, expected) in kinds {
        let response = server
            .match_until(id, |r| r.total_eligible as usize == expected.len())
            .await;
        let mut got = ids(&response);
        got.sort();
        assert_eq!(got, expected, "{id}");
    }
    server.stop().await;
}

#[tokio::test]
async fn consent_withdrawal_and_deletion_take_effect_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::engine_config(dir.path());
    // A long commit interval: the index lags the store, yet the gates must hold
    // because every candidate is re-checked against its stored record.
    config.commit_interval = std::time::Duration::from_secs(3);
    let mut server = TestServer::start_with(config).await;
    server.upsert(rust_team()).await;
    server
        .upsert_opportunities(vec![opportunity(
            "o",
            OpportunityKind::Referral,
            "Backend engineer",
            &["Rust"],
        )])
        .await;
    server
        .match_until("o", |r| r.total_eligible == 4 && r.candidates.len() == 3)
        .await;

    let mut withdrawn = rust_team().remove(0);
    withdrawn.consent = Some(proto::Consent {
        contact_allowed: false,
        ..Default::default()
    });
    server.upsert(vec![withdrawn]).await;
    let response = server.match_ids("o", 100).await;
    assert!(
        !ids(&response).contains(&"rust-veteran"),
        "withdrawn consent is honoured before the index catches up"
    );

    let deleted = server
        .alumni
        .delete_alumni(proto::DeleteAlumniRequest {
            ids: vec!["rust-novice".into(), "never-existed".into()],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.deleted_count, 1);
    assert_eq!(deleted.not_found_ids, ["never-existed"]);
    let response = server.match_ids("o", 100).await;
    assert!(
        !ids(&response).contains(&"rust-novice"),
        "a deleted alumnus never appears again"
    );
    let status = server
        .alumni
        .get_alumnus(proto::GetAlumnusRequest {
            id: "rust-novice".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    // Once the index has caught up, the eligible count agrees too.
    server.match_until("o", |r| r.total_eligible == 2).await;
    server.stop().await;
}

#[tokio::test]
async fn departure_reason_is_never_returned_by_match() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut family = alumnus("a-1", "Kato Yui", "Backend engineer", &[("Rust", 5.0, 2025)]);
    family.departure.as_mut().unwrap().reason = proto::DepartureReason::Family as i32;
    server.upsert(vec![family]).await;
    server
        .upsert_opportunities(vec![opportunity(
            "o",
            OpportunityKind::Rehire,
            "Backend engineer",
            &["Rust"],
        )])
        .await;
    let response = server.match_until("o", |r| r.candidates.len() == 1).await;
    let text = format!("{response:?}").to_lowercase();
    assert!(!text.contains("family") && !text.contains("reason: 4"), "{text}");
    // The stored record keeps it for the programme's own records.
    let stored = server
        .alumni
        .get_alumnus(proto::GetAlumnusRequest { id: "a-1".into() })
        .await
        .unwrap();
    assert_eq!(
        stored.into_inner().alumnus.unwrap().departure.unwrap().reason,
        proto::DepartureReason::Family as i32
    );
    server.stop().await;
}

#[tokio::test]
async fn pages_cover_the_ranking_once_and_tokens_are_bound() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let team: Vec<proto::Alumnus> = (0..25)
        .map(|i| {
            alumnus(
                &format!("a{i:02}"),
                &format!("Person {i}"),
                "Data engineer",
                &[("SQL", i as f32 / 2.0, 2025)],
            )
        })
        .collect();
    server.upsert(team).await;
    server
        .upsert_opportunities(vec![opportunity(
            "o",
            OpportunityKind::Referral,
            "Data engineer",
            &["SQL"],
        )])
        .await;
    let full = server.match_until("o", |r| r.candidates.len() == 25).await;
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::OpportunityId("o".into())),
                limit: 10,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.candidates.len() <= 10);
        paged.extend(page.candidates.iter().map(|c| (c.rank, c.alumnus_id.clone())));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let expected: Vec<(u32, String)> = full.candidates.iter().map(|c| (c.rank, c.alumnus_id.clone())).collect();
    assert_eq!(paged, expected);

    // A token from one request is refused for another.
    let first = server.match_ids("o", 5).await;
    let status = server
        .matcher
        .r#match(proto::MatchRequest {
            target: Some(proto::match_request::Target::OpportunityId("o".into())),
            page_token: first.next_page_token,
            require_all_required_skills: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    server.stop().await;
}

/// Pages reach past the first tier of the ranking (the retrieval pool): `limit`
/// and page tokens go as deep as the ranking does, up to 1,000, and a deep page
/// never reorders or repeats what a shallow page showed.
#[tokio::test]
async fn pages_reach_past_the_retrieval_pool_without_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::engine_config(dir.path());
    config.retrieval_pool = 8;
    let mut server = TestServer::start_with(config).await;
    let team: Vec<proto::Alumnus> = (0..40)
        .map(|i| {
            alumnus(
                &format!("a{i:02}"),
                &format!("Person {i}"),
                if i % 2 == 0 { "Data engineer" } else { "Analyst" },
                &[("SQL", 1.0 + (i % 7) as f32, 2025)],
            )
        })
        .collect();
    server.upsert(team).await;
    server
        .upsert_opportunities(vec![opportunity(
            "o",
            OpportunityKind::Referral,
            "Data engineer",
            &["SQL"],
        )])
        .await;
    let everyone = server.match_until("o", |r| r.total_eligible == 40).await;

    // One page as deep as the whole ranking.
    let deep = server.match_ids("o", 1000).await;
    assert_eq!(deep.candidates.len(), 40, "every alumnus has SQL: all are ranked");
    assert_eq!(deep.total_matched, 40);
    assert!(deep.next_page_token.is_empty());
    assert_eq!(ids(&deep), ids(&everyone), "limit 100 and 1000 give the same ranking");

    // A shallow page is the start of the deep ranking; it counts only the first
    // tier and says there is more.
    let shallow = server.match_ids("o", 5).await;
    assert_eq!(ids(&shallow), ids(&deep)[..5]);
    assert_eq!(shallow.total_matched, 8, "only the first tier was ranked");
    assert!(!shallow.next_page_token.is_empty());

    // Paging by 3 across the tier boundary (rank 8) covers the deep ranking once.
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::OpportunityId("o".into())),
                limit: 3,
                page_token: token.clone(),
                explain: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        paged.extend(page.candidates.iter().map(|c| (c.rank, c.alumnus_id.clone(), c.score)));
        if page.next_page_token.is_empty() {
            break;
        }
        assert!(paged.len() <= 40, "paging does not end");
        token = page.next_page_token;
    }
    let expected: Vec<(u32, String, f64)> = deep
        .candidates
        .iter()
        .map(|c| (c.rank, c.alumnus_id.clone(), c.score))
        .collect();
    assert_eq!(paged, expected, "same candidates, ranks and scores, once each");
    server.stop().await;
}

#[tokio::test]
async fn japanese_profiles_are_found_by_japanese_and_english_queries() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut ja = alumnus(
        "ja-ml",
        "山田 太郎",
        "機械学習エンジニア",
        &[("機械学習", 6.0, 2025), ("Python", 6.0, 2025)],
    );
    ja.positions[0].description = "推薦システムの機械学習モデルを開発".into();
    ja.positions[0].department = "データ本部".into();
    ja.languages = vec!["ja".into()];
    let mut sales = alumnus("ja-sales", "佐々木 花", "法人営業", &[("営業", 10.0, 2025)]);
    sales.positions[0].description = "東京都内の法人顧客を担当".into();
    let en = alumnus(
        "en-ml",
        "Jane Doe",
        "Machine learning engineer",
        &[("machine learning", 3.0, 2024)],
    );
    server.upsert(vec![ja, sales, en]).await;
    server
        .upsert_opportunities(vec![
            proto::Opportunity {
                id: "ja-opening".into(),
                kind: OpportunityKind::Mentoring as i32,
                title: "機械学習のメンター".into(),
                description: "推薦システムの開発経験がある方".into(),
                required_skills: vec!["機械学習".into()],
                ..Default::default()
            },
            opportunity(
                "en-opening",
                OpportunityKind::Mentoring,
                "Machine learning mentor",
                &["Machine Learning"],
            ),
        ])
        .await;
    let ja_result = server.match_until("ja-opening", |r| r.candidates.len() == 2).await;
    assert_eq!(ja_result.total_eligible, 3);
    assert_eq!(
        ids(&ja_result)[0],
        "ja-ml",
        "Japanese text and skill rank the Japanese ML profile first"
    );
    let en_ml = ja_result.candidates.iter().find(|c| c.alumnus_id == "en-ml").unwrap();
    assert_eq!(
        en_ml.matched_skills,
        ["machine learning"],
        "機械学習 and machine learning are one skill"
    );
    let en_result = server.match_until("en-opening", |r| r.candidates.len() == 2).await;
    let top_two: Vec<&str> = ids(&en_result)[..2].to_vec();
    assert!(
        top_two.contains(&"ja-ml") && top_two.contains(&"en-ml"),
        "English opening finds both: {top_two:?}"
    );
    assert!(
        !ids(&ja_result).contains(&"ja-sales") && !ids(&en_result).contains(&"ja-sales"),
        "a sales profile is no machine-learning mentor"
    );
    server.stop().await;
}

/// Ranks a Kyoto and a Tokyo sales profile, identical but for the place, for an
/// opening in Kyoto.
async fn kyoto_ranking(config: alumni_match_engine::engine::EngineConfig) -> Vec<String> {
    let mut server = TestServer::start_with(config).await;
    let mut tokyo = alumnus("a-tokyo", "佐藤 花子", "法人営業", &[("営業", 8.0, 2025)]);
    tokyo.positions[0].description = "東京都で法人営業を担当".into();
    let mut kyoto = alumnus("b-kyoto", "鈴木 一郎", "法人営業", &[("営業", 8.0, 2025)]);
    kyoto.positions[0].description = "京都で中小企業向けの法人営業を担当し、新規顧客を開拓".into();
    server.upsert(vec![tokyo, kyoto]).await;
    server
        .upsert_opportunities(vec![proto::Opportunity {
            id: "kyoto".into(),
            kind: OpportunityKind::Mentoring as i32,
            title: "京都の営業メンター".into(),
            ..Default::default()
        }])
        .await;
    let result = server.match_until("kyoto", |r| r.candidates.len() == 2).await;
    let ranking = ids(&result).into_iter().map(str::to_owned).collect();
    server.stop().await;
    ranking
}

#[tokio::test]
async fn a_query_for_kyoto_does_not_rank_tokyo_to_first() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(kyoto_ranking(engine_config(dir.path())).await, ["b-kyoto", "a-tokyo"]);
}

#[tokio::test]
async fn without_the_japanese_dictionary_the_server_still_matches_japanese() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = engine_config(dir.path());
    // Configured off on purpose (a dictionary that is configured but missing
    // refuses to start instead: see the engine's open tests).
    config.japanese_dictionary = None;
    let ranking = kyoto_ranking(config).await;
    assert_eq!(ranking.len(), 2, "bigrams still retrieve both: {ranking:?}");
}

#[tokio::test]
async fn ad_hoc_opportunities_are_ranked_without_being_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    server.upsert(rust_team()).await;
    server
        .upsert_opportunities(vec![opportunity(
            "wait",
            OpportunityKind::Referral,
            "Backend engineer",
            &["Rust"],
        )])
        .await;
    server.match_until("wait", |r| r.total_eligible == 4).await;
    let response = server
        .matcher
        .r#match(proto::MatchRequest {
            target: Some(proto::match_request::Target::Opportunity(opportunity(
                "",
                OpportunityKind::Partnership,
                "Product designer",
                &["Figma"],
            ))),
            explain: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&response)[0], "designer");
    let listed = server
        .opportunities
        .list_opportunities(proto::ListOpportunitiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.opportunities.len(), 1, "the ad-hoc opportunity was not stored");
    server.stop().await;
}

#[tokio::test]
async fn weight_overrides_change_the_order_and_unknown_names_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut engaged = alumnus("engaged", "A", "Backend engineer", &[("Rust", 1.0, 2018)]);
    engaged.engagement = Some(proto::Engagement {
        last_active_at: Some(prost_types::Timestamp {
            seconds: now_seconds() - 86_400,
            nanos: 0,
        }),
        events_attended_12m: 6,
        referrals_made: 0,
    });
    let skilled = alumnus("skilled", "B", "Backend engineer", &[("Rust", 10.0, 2025)]);
    server.upsert(vec![engaged, skilled]).await;
    server
        .upsert_opportunities(vec![opportunity(
            "o",
            OpportunityKind::Mentoring,
            "Backend engineer",
            &["Rust"],
        )])
        .await;
    let default = server.match_until("o", |r| r.candidates.len() == 2).await;
    assert_eq!(ids(&default)[0], "skilled");
    let request = |weights: Vec<(&str, f64)>| proto::MatchRequest {
        target: Some(proto::match_request::Target::OpportunityId("o".into())),
        explain: true,
        weights: weights.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ..Default::default()
    };
    let engagement_first = server
        .matcher
        .r#match(request(vec![("engagement", 10.0)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&engagement_first)[0], "engaged");
    let weight = |r: &proto::MatchResponse, name: &str| {
        r.candidates[0]
            .components
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.weight)
            .unwrap()
    };
    assert!(weight(&engagement_first, "engagement") > 0.8);

    let status = server.matcher.r#match(request(vec![("age", 1.0)])).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let fields = common::fields(&status);
    assert_eq!(fields, ["weights[age]"]);
    let status = server
        .matcher
        .r#match(request(vec![("engagement", -1.0)]))
        .await
        .unwrap_err();
    assert_eq!(common::fields(&status), ["weights[engagement]"]);
    server.stop().await;
}

#[tokio::test]
async fn require_all_required_skills_filters() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    server.upsert(rust_team()).await;
    server
        .upsert_opportunities(vec![opportunity(
            "o",
            OpportunityKind::Referral,
            "Backend engineer",
            &["Rust", "k8s"],
        )])
        .await;
    server.match_until("o", |r| r.total_eligible == 4).await;
    let response = server
        .matcher
        .r#match(proto::MatchRequest {
            target: Some(proto::match_request::Target::OpportunityId("o".into())),
            require_all_required_skills: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&response), ["rust-veteran"]);
    assert_eq!(response.total_eligible, 1);
    server.stop().await;
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A gzip-compressed request is accepted, and a client that accepts gzip gets a
/// compressed answer it decodes like any other.
#[tokio::test]
async fn gzip_requests_and_responses_work() {
    use tonic::codec::CompressionEncoding;
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    server.upsert(rust_team()).await;
    server
        .upsert_opportunities(vec![opportunity(
            "o",
            OpportunityKind::Rehire,
            "Backend engineer",
            &["Rust"],
        )])
        .await;
    let plain = server.match_until("o", |r| r.candidates.len() >= 2).await;
    let mut gzip = proto::match_service_client::MatchServiceClient::new(server.channel.clone())
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let response = gzip
        .r#match(proto::MatchRequest {
            target: Some(proto::match_request::Target::OpportunityId("o".into())),
            limit: 100,
            explain: true,
            ..Default::default()
        })
        .await
        .expect("a gzip request is accepted");
    assert_eq!(
        response.metadata().get("grpc-encoding").and_then(|v| v.to_str().ok()),
        Some("gzip"),
        "the answer is compressed for a client that accepts gzip"
    );
    assert_eq!(ids(&response.into_inner()), ids(&plain));
    server.stop().await;
}
