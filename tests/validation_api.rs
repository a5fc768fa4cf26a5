//! Bad input over gRPC: INVALID_ARGUMENT with BadRequest field violations,
//! NOT_FOUND for unknown ids, and no partial writes.

mod common;

use alumni_match::proto::{self, OpportunityKind};
use common::{TestServer, alumnus, fields, opportunity};
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn one_bad_alumnus_rejects_the_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let good = alumnus("good", "Good Person", "Engineer", &[("Rust", 2.0, 2025)]);
    let mut bad = alumnus("bad", "Bad Dates", "Engineer", &[]);
    bad.positions[0].start = "April 2016".into();
    bad.positions[1].end = "2020-02-30".into();
    bad.skills.push(proto::Skill {
        name: "x".repeat(101),
        years: 99.0,
        last_used_year: 2025,
        level: 9,
    });
    let status = server
        .alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: vec![good, bad],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        fields(&status),
        [
            "alumni[1].skills[0].level",
            "alumni[1].positions[0].start",
            "alumni[1].positions[1].end",
            "alumni[1].skills[0].name",
            "alumni[1].skills[0].years",
        ]
    );
    let missing = server
        .alumni
        .get_alumnus(proto::GetAlumnusRequest { id: "good".into() })
        .await
        .unwrap_err();
    assert_eq!(
        missing.code(),
        Code::NotFound,
        "the valid item of a rejected batch is not written"
    );
    server.stop().await;
}

#[tokio::test]
async fn ids_text_sizes_and_duplicates_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut empty_id = alumnus("", "No Id", "Engineer", &[]);
    empty_id.headline = "h".repeat(501);
    let spaced = alumnus("has space", "Spaced", "Engineer", &[]);
    let first = alumnus("dup", "First", "Engineer", &[]);
    let second = alumnus("dup", "Second", "Engineer", &[]);
    let status = server
        .alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: vec![empty_id, spaced, first, second],
        })
        .await
        .unwrap_err();
    assert_eq!(
        fields(&status),
        ["alumni[0].id", "alumni[0].headline", "alumni[2].id", "alumni[4].id"]
            .map(|f| f.replace("[2]", "[1]").replace("[4]", "[3]"))
    );
    let status = server
        .alumni
        .upsert_alumni(proto::UpsertAlumniRequest { alumni: vec![] })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["alumni"]);
    server.stop().await;
}

#[tokio::test]
async fn opportunities_and_match_arguments_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut unknown_kind = opportunity("o1", OpportunityKind::Rehire, "Engineer", &["Rust"]);
    unknown_kind.kind = 42;
    let unspecified = opportunity("o2", OpportunityKind::Unspecified, "", &[]);
    let status = server
        .opportunities
        .upsert_opportunities(proto::UpsertOpportunitiesRequest {
            rescore: false,
            opportunities: vec![unknown_kind, unspecified],
        })
        .await
        .unwrap_err();
    assert_eq!(
        fields(&status),
        [
            "opportunities[0].kind",
            "opportunities[1].kind",
            "opportunities[1].title"
        ]
    );
    let listed = server
        .opportunities
        .list_opportunities(proto::ListOpportunitiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        listed.opportunities.is_empty(),
        "nothing of the rejected batch was written"
    );

    server
        .upsert_opportunities(vec![opportunity("o", OpportunityKind::Referral, "Engineer", &["Rust"])])
        .await;
    let target = || Some(proto::match_request::Target::OpportunityId("o".into()));
    let status = server
        .matcher
        .r#match(proto::MatchRequest {
            target: target(),
            limit: 1001,
            page_token: "garbage".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["limit", "page_token"]);
    let status = server
        .matcher
        .r#match(proto::MatchRequest::default())
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["target"]);
    let status = server
        .matcher
        .r#match(proto::MatchRequest {
            target: Some(proto::match_request::Target::OpportunityId("nope".into())),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let mut oversized = opportunity("", OpportunityKind::Mentoring, "Mentor", &[]);
    oversized.description = "長".repeat(20_001);
    let status = server
        .matcher
        .r#match(proto::MatchRequest {
            target: Some(proto::match_request::Target::Opportunity(oversized)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["opportunity.description"]);
    for (what, status) in [
        (
            "get opportunity",
            server
                .opportunities
                .get_opportunity(proto::GetOpportunityRequest { id: "x".into() })
                .await
                .unwrap_err(),
        ),
        (
            "close opportunity",
            server
                .opportunities
                .close_opportunity(proto::CloseOpportunityRequest { id: "x".into() })
                .await
                .unwrap_err(),
        ),
        (
            "get alumnus",
            server
                .alumni
                .get_alumnus(proto::GetAlumnusRequest { id: "x".into() })
                .await
                .unwrap_err(),
        ),
    ] {
        assert_eq!(status.code(), Code::NotFound, "{what}");
    }
    let status = server
        .alumni
        .get_alumnus(proto::GetAlumnusRequest { id: String::new() })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["id"]);
    server.stop().await;
}

#[tokio::test]
async fn import_stream_stops_at_the_first_bad_item_and_keeps_the_ones_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let mut items: Vec<proto::Alumnus> = (0..1_500)
        .map(|i| {
            alumnus(
                &format!("imp-{i}"),
                &format!("Person {i}"),
                "Engineer",
                &[("Go", 2.0, 2024)],
            )
        })
        .collect();
    items[1_200].display_name = String::new();
    let status = server
        .alumni
        .import_alumni(tokio_stream::iter(
            items.into_iter().map(proto::ImportAlumniRequest::from),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["alumni[1200].display_name"]);
    let info = status.get_details_error_info().expect("ErrorInfo detail");
    assert_eq!(info.metadata.get("committed").map(String::as_str), Some("1200"));
    for (id, present) in [
        ("imp-0", true),
        ("imp-1199", true),
        ("imp-1200", false),
        ("imp-1201", false),
    ] {
        let found = server
            .alumni
            .get_alumnus(proto::GetAlumnusRequest { id: id.into() })
            .await
            .is_ok();
        assert_eq!(found, present, "{id}");
    }
    let ok: Vec<proto::Alumnus> = (0..10)
        .map(|i| alumnus(&format!("ok-{i}"), "P", "Engineer", &[]))
        .collect();
    let response = server
        .alumni
        .import_alumni(tokio_stream::iter(ok.into_iter().map(proto::ImportAlumniRequest::from)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.imported_count, 10);
    server.stop().await;
}

#[tokio::test]
async fn list_and_close_opportunities() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let kinds = [OpportunityKind::Rehire, OpportunityKind::Mentoring];
    server
        .upsert_opportunities(
            (0..7)
                .map(|i| opportunity(&format!("o{i}"), kinds[i % 2], "Engineer", &[]))
                .collect(),
        )
        .await;
    server
        .opportunities
        .close_opportunity(proto::CloseOpportunityRequest { id: "o2".into() })
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .opportunities
            .list_opportunities(proto::ListOpportunitiesRequest {
                kind: OpportunityKind::Rehire as i32,
                status: proto::OpportunityStatus::Open as i32,
                page_size: 2,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.opportunities.into_iter().map(|o| o.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, ["o0", "o4", "o6"]);
    let status = server
        .opportunities
        .list_opportunities(proto::ListOpportunitiesRequest {
            page_size: 5000,
            page_token: "zz".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["page_size", "page_token"]);
    server.stop().await;
}
