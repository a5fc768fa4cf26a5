//! Tenants, API keys and roles over real gRPC: no call reaches another tenant's
//! records, each role reaches exactly its methods, and missing, bad and revoked
//! keys are refused.

mod common;

use std::{path::Path, sync::Arc, time::Duration};

use alumni_match::{
    access::{KeyFile, KeyRing, Method, Role, TenantId},
    proto::{
        self, OpportunityKind, admin_service_client::AdminServiceClient, alumni_service_client::AlumniServiceClient,
        match_request::Target, match_service_client::MatchServiceClient,
        opportunity_service_client::OpportunityServiceClient, outcome_service_client::OutcomeServiceClient,
    },
    service::{self, Authentication, ClientChannel, ServerOptions},
};
use common::{TestServer, alumnus, engine_config, opportunity};
use tonic::{Code, Status};

/// The three clients of one caller.
struct Api {
    alumni: AlumniServiceClient<ClientChannel>,
    opportunities: OpportunityServiceClient<ClientChannel>,
    matcher: MatchServiceClient<ClientChannel>,
    admin: AdminServiceClient<ClientChannel>,
    outcomes: OutcomeServiceClient<ClientChannel>,
}

impl Api {
    async fn connect(server: &TestServer, key: Option<&str>) -> Self {
        let channel = service::connect(&format!("http://{}", server.addr), key, None)
            .await
            .expect("connect");
        Self {
            alumni: AlumniServiceClient::new(channel.clone()),
            opportunities: OpportunityServiceClient::new(channel.clone()),
            matcher: MatchServiceClient::new(channel.clone()),
            admin: AdminServiceClient::new(channel.clone()),
            outcomes: OutcomeServiceClient::new(channel),
        }
    }

    async fn upsert(&mut self, alumni: Vec<proto::Alumnus>) {
        self.alumni
            .upsert_alumni(proto::UpsertAlumniRequest { alumni })
            .await
            .expect("upsert alumni");
    }

    async fn upsert_opportunities(&mut self, opportunities: Vec<proto::Opportunity>) {
        self.opportunities
            .upsert_opportunities(proto::UpsertOpportunitiesRequest {
                opportunities,
                rescore: false,
            })
            .await
            .expect("upsert opportunities");
    }

    async fn name_of(&mut self, id: &str) -> String {
        self.alumni
            .get_alumnus(proto::GetAlumnusRequest { id: id.into() })
            .await
            .expect("get alumnus")
            .into_inner()
            .alumnus
            .expect("alumnus")
            .display_name
    }

    async fn match_stored(&mut self, opportunity_id: &str) -> Result<proto::MatchResponse, Status> {
        self.matcher
            .r#match(proto::MatchRequest {
                target: Some(Target::OpportunityId(opportunity_id.into())),
                limit: 50,
                explain: true,
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner())
    }

    /// Polls Match until `predicate` holds (the index follows writes).
    async fn match_until(
        &mut self,
        opportunity_id: &str,
        predicate: impl Fn(&proto::MatchResponse) -> bool,
    ) -> proto::MatchResponse {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let response = self.match_stored(opportunity_id).await.expect("match");
            if predicate(&response) {
                return response;
            }
            assert!(tokio::time::Instant::now() < deadline, "not reached: {response:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn issue(keys: &KeyFile, tenant: &str, role: Role) -> String {
    keys.issue(TenantId::parse(tenant).unwrap(), role, "test").unwrap().key
}

async fn keyed_server(dir: &Path, keys: &KeyFile) -> TestServer {
    let ring = KeyRing::load(keys.clone()).expect("key file loads");
    TestServer::start_full(
        engine_config(dir),
        Authentication::ApiKeys(Arc::new(ring)),
        ServerOptions::default(),
    )
    .await
}

fn code<T>(result: Result<T, Status>) -> Code {
    match result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test]
async fn no_rpc_reaches_another_tenants_records() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyFile::new(dir.path().join("api-keys.toml"));
    let acme_key = issue(&keys, "acme", Role::Admin);
    let globex_key = issue(&keys, "globex", Role::Admin);
    let server = keyed_server(dir.path(), &keys).await;
    let mut acme = Api::connect(&server, Some(&acme_key)).await;
    let mut globex = Api::connect(&server, Some(&globex_key)).await;

    // The same ids in both tenants: they must never collide.
    acme.upsert(vec![
        alumnus("a1", "Acme One", "SRE", &[("Kubernetes", 5.0, 2025)]),
        alumnus("a2", "Acme Two", "Scientist", &[("Fortran", 9.0, 2025)]),
        alumnus("a3", "Acme Three", "SRE", &[("Kubernetes", 2.0, 2024)]),
    ])
    .await;
    acme.upsert_opportunities(vec![
        opportunity("o1", OpportunityKind::Rehire, "Acme SRE", &["Kubernetes"]),
        opportunity("acme-only", OpportunityKind::Referral, "Fortran modeller", &["Fortran"]),
        opportunity(
            "acme-mentor",
            OpportunityKind::Mentoring,
            "Fortran mentor",
            &["Fortran"],
        ),
    ])
    .await;
    globex
        .upsert(vec![alumnus("a1", "Globex One", "SRE", &[("Kubernetes", 5.0, 2025)])])
        .await;
    globex
        .upsert_opportunities(vec![opportunity(
            "o1",
            OpportunityKind::Rehire,
            "Globex SRE",
            &["Kubernetes"],
        )])
        .await;
    let acme_o1 = acme.match_until("o1", |r| common::ids(r).contains(&"a1")).await;
    let globex_o1 = globex.match_until("o1", |r| r.candidates.len() == 1).await;
    assert!(acme_o1.candidates.iter().all(|c| c.display_name.starts_with("Acme")));
    assert_eq!(globex_o1.candidates[0].display_name, "Globex One");
    acme.match_until("acme-only", |r| common::ids(r).contains(&"a2")).await;

    // Reads by id: NOT_FOUND, exactly as for ids that exist nowhere.
    let not_found = |result: Result<(), Status>, what: &str| {
        assert_eq!(code(result), Code::NotFound, "{what} must not reach acme's records");
    };
    not_found(
        globex
            .alumni
            .get_alumnus(proto::GetAlumnusRequest { id: "a2".into() })
            .await
            .map(drop),
        "GetAlumnus",
    );
    not_found(globex.match_stored("acme-only").await.map(drop), "Match");
    not_found(
        globex
            .matcher
            .match_for_alumnus(proto::MatchForAlumnusRequest {
                alumnus_id: "a2".into(),
                limit: 10,
                ..Default::default()
            })
            .await
            .map(drop),
        "MatchForAlumnus",
    );
    not_found(
        globex
            .opportunities
            .get_opportunity(proto::GetOpportunityRequest { id: "acme-only".into() })
            .await
            .map(drop),
        "GetOpportunity",
    );
    not_found(
        globex
            .opportunities
            .close_opportunity(proto::CloseOpportunityRequest { id: "acme-only".into() })
            .await
            .map(drop),
        "CloseOpportunity",
    );
    not_found(
        globex
            .matcher
            .assign_mentors(proto::AssignMentorsRequest {
                opportunity_ids: vec!["acme-mentor".into()],
                max_assignments_per_alumnus: 1,
                candidates_per_opportunity: 10,
            })
            .await
            .map(drop),
        "AssignMentors",
    );
    let rescore = async {
        let mut stream = globex
            .matcher
            .rescore(proto::RescoreRequest {
                opportunity_ids: vec!["acme-only".into()],
                shortlist_size: 10,
                only_stale: false,
            })
            .await?
            .into_inner();
        while stream.message().await?.is_some() {}
        Ok(())
    };
    not_found(rescore.await, "Rescore");

    // Stored shortlists and jobs of acme are invisible to globex.
    let mut stream = acme
        .matcher
        .rescore(proto::RescoreRequest {
            opportunity_ids: vec!["acme-only".into()],
            shortlist_size: 10,
            only_stale: false,
        })
        .await
        .expect("acme re-scores")
        .into_inner();
    while stream.message().await.expect("progress").is_some() {}
    assert_eq!(
        code(
            acme.matcher
                .get_shortlist(proto::GetShortlistRequest {
                    opportunity_id: "acme-only".into(),
                    ..Default::default()
                })
                .await
        ),
        Code::Ok
    );
    not_found(
        globex
            .matcher
            .get_shortlist(proto::GetShortlistRequest {
                opportunity_id: "acme-only".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        "GetShortlist",
    );
    let job = acme
        .opportunities
        .upsert_opportunities(proto::UpsertOpportunitiesRequest {
            opportunities: vec![opportunity(
                "acme-job",
                OpportunityKind::Referral,
                "Fortran",
                &["Fortran"],
            )],
            rescore: true,
        })
        .await
        .expect("upsert with re-score")
        .into_inner()
        .rescore_job_id;
    assert!(!job.is_empty());
    assert_eq!(
        code(
            acme.matcher
                .get_rescore_job(proto::GetRescoreJobRequest { job_id: job.clone() })
                .await
        ),
        Code::Ok
    );
    not_found(
        globex
            .matcher
            .get_rescore_job(proto::GetRescoreJobRequest { job_id: job })
            .await
            .map(drop),
        "GetRescoreJob",
    );

    // Listing and ad-hoc matching only ever see the caller's own records.
    let listed = globex
        .opportunities
        .list_opportunities(proto::ListOpportunitiesRequest::default())
        .await
        .expect("list")
        .into_inner();
    let listed: Vec<_> = listed.opportunities.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(listed, ["o1"]);
    let ad_hoc = globex
        .matcher
        .r#match(proto::MatchRequest {
            target: Some(Target::Opportunity(opportunity(
                "",
                OpportunityKind::Referral,
                "Fortran modeller",
                &["Fortran"],
            ))),
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("ad-hoc match")
        .into_inner();
    assert!(
        ad_hoc.candidates.iter().all(|c| c.display_name.starts_with("Globex")),
        "an ad-hoc query searches the caller's tenant only: {ad_hoc:?}"
    );

    // Deletes and purges act on the caller's tenant only.
    let deleted = globex
        .alumni
        .delete_alumni(proto::DeleteAlumniRequest {
            ids: vec!["a2".into(), "a3".into()],
        })
        .await
        .expect("delete")
        .into_inner();
    assert_eq!(deleted.deleted_count, 0);
    assert_eq!(deleted.not_found_ids, ["a2", "a3"]);
    assert_eq!(acme.name_of("a2").await, "Acme Two");
    acme.alumni
        .delete_alumni(proto::DeleteAlumniRequest { ids: vec!["a3".into()] })
        .await
        .expect("acme deletes its own");
    let globex_purge = globex
        .alumni
        .purge_deleted(proto::PurgeDeletedRequest {})
        .await
        .expect("purge")
        .into_inner();
    assert_eq!(globex_purge.documents_removed, 0, "globex has nothing deleted");
    let acme_purge = acme
        .alumni
        .purge_deleted(proto::PurgeDeletedRequest {})
        .await
        .expect("purge")
        .into_inner();
    assert!(acme_purge.documents_removed >= 1, "{acme_purge:?}");

    // Writes with colliding ids land in the writer's own tenant.
    globex
        .upsert(vec![alumnus(
            "a2",
            "Globex Intruder",
            "Scientist",
            &[("Fortran", 1.0, 2020)],
        )])
        .await;
    globex
        .alumni
        .import_alumni(tokio_stream::iter(
            vec![alumnus("a1", "Globex Import", "SRE", &[("Kubernetes", 1.0, 2020)])]
                .into_iter()
                .map(proto::ImportAlumniRequest::from),
        ))
        .await
        .expect("import");
    globex
        .upsert_opportunities(vec![opportunity(
            "acme-only",
            OpportunityKind::Referral,
            "Globex version",
            &["Fortran"],
        )])
        .await;
    assert_eq!(acme.name_of("a2").await, "Acme Two");
    assert_eq!(acme.name_of("a1").await, "Acme One");
    assert_eq!(globex.name_of("a2").await, "Globex Intruder");
    let acme_opportunity = acme
        .opportunities
        .get_opportunity(proto::GetOpportunityRequest { id: "acme-only".into() })
        .await
        .expect("acme's opportunity")
        .into_inner()
        .opportunity
        .unwrap();
    assert_eq!(acme_opportunity.title, "Fortran modeller");

    // Each tenant is its own directory.
    for tenant in ["acme", "globex"] {
        assert!(common::tenant_dir(dir.path(), tenant).join("store.redb").exists());
    }
    drop((acme, globex));
    server.stop().await;
}

/// Calls `method` with a harmless request and returns the status code.
async fn invoke(api: &mut Api, method: Method) -> Code {
    let probe = || alumnus("probe", "Probe", "SRE", &[("Kubernetes", 1.0, 2025)]);
    match method {
        Method::UpsertAlumni => code(
            api.alumni
                .upsert_alumni(proto::UpsertAlumniRequest { alumni: vec![probe()] })
                .await,
        ),
        Method::ImportAlumni => code(
            api.alumni
                .import_alumni(tokio_stream::iter(
                    vec![probe()].into_iter().map(proto::ImportAlumniRequest::from),
                ))
                .await,
        ),
        Method::DeleteAlumni => code(
            api.alumni
                .delete_alumni(proto::DeleteAlumniRequest {
                    ids: vec!["nobody".into()],
                })
                .await,
        ),
        Method::GetAlumnus => code(
            api.alumni
                .get_alumnus(proto::GetAlumnusRequest { id: "a1".into() })
                .await,
        ),
        Method::PurgeDeleted => code(api.alumni.purge_deleted(proto::PurgeDeletedRequest {}).await),
        Method::UpsertOpportunities => code(
            api.opportunities
                .upsert_opportunities(proto::UpsertOpportunitiesRequest {
                    opportunities: vec![opportunity("probe", OpportunityKind::Referral, "SRE", &["Kubernetes"])],
                    rescore: false,
                })
                .await,
        ),
        Method::GetOpportunity => code(
            api.opportunities
                .get_opportunity(proto::GetOpportunityRequest { id: "o1".into() })
                .await,
        ),
        Method::ListOpportunities => code(
            api.opportunities
                .list_opportunities(proto::ListOpportunitiesRequest::default())
                .await,
        ),
        Method::CloseOpportunity => code(
            api.opportunities
                .close_opportunity(proto::CloseOpportunityRequest { id: "nothing".into() })
                .await,
        ),
        Method::Match => code(api.match_stored("o1").await),
        Method::MatchForAlumnus => code(
            api.matcher
                .match_for_alumnus(proto::MatchForAlumnusRequest {
                    alumnus_id: "a1".into(),
                    limit: 5,
                    ..Default::default()
                })
                .await,
        ),
        Method::AssignMentors => code(
            api.matcher
                .assign_mentors(proto::AssignMentorsRequest {
                    opportunity_ids: vec!["m1".into()],
                    max_assignments_per_alumnus: 1,
                    candidates_per_opportunity: 5,
                })
                .await,
        ),
        Method::Rescore => {
            let outcome = async {
                let mut stream = api
                    .matcher
                    .rescore(proto::RescoreRequest {
                        opportunity_ids: vec!["o1".into()],
                        shortlist_size: 5,
                        only_stale: false,
                    })
                    .await?
                    .into_inner();
                while stream.message().await?.is_some() {}
                Ok::<_, Status>(())
            };
            code(outcome.await)
        }
        Method::GetRescoreJob => code(
            api.matcher
                .get_rescore_job(proto::GetRescoreJobRequest { job_id: "none".into() })
                .await,
        ),
        Method::GetShortlist => code(
            api.matcher
                .get_shortlist(proto::GetShortlistRequest {
                    opportunity_id: "o1".into(),
                    ..Default::default()
                })
                .await,
        ),
        Method::Backup => {
            let outcome = async {
                let mut stream = api.admin.backup(proto::BackupRequest {}).await?.into_inner();
                while stream.message().await?.is_some() {}
                Ok::<_, Status>(())
            };
            code(outcome.await)
        }
        Method::RecordOutcomes => code(
            api.outcomes
                .record_outcomes(proto::RecordOutcomesRequest {
                    outcomes: vec![proto::Outcome {
                        alumnus_id: "a1".into(),
                        opportunity_id: "o1".into(),
                        kind: proto::OutcomeKind::Replied as i32,
                        occurred_at: Some(prost_types::Timestamp {
                            seconds: 1_700_000_000,
                            nanos: 0,
                        }),
                        ..Default::default()
                    }],
                })
                .await,
        ),
        Method::ListOutcomes => code(
            api.outcomes
                .list_outcomes(proto::ListOutcomesRequest {
                    subject: Some(proto::list_outcomes_request::Subject::OpportunityId("o1".into())),
                })
                .await,
        ),
        Method::GetContactPolicy => code(api.outcomes.get_contact_policy(proto::GetContactPolicyRequest {}).await),
        Method::SetContactPolicy => code(
            api.outcomes
                .set_contact_policy(proto::SetContactPolicyRequest {
                    policy: Some(proto::ContactPolicy {
                        max_contacts: 2,
                        window_days: 90,
                        when_capped: proto::CappedAlumni::Hide as i32,
                    }),
                })
                .await,
        ),
        Method::GetFunnel => code(api.outcomes.get_funnel(proto::GetFunnelRequest::default()).await),
        Method::TuneProfiles => code(
            api.outcomes
                .tune_profiles(proto::TuneProfilesRequest {
                    dry_run: true,
                    ..Default::default()
                })
                .await,
        ),
    }
}

#[tokio::test]
async fn each_role_reaches_exactly_its_methods_and_bad_keys_reach_none() {
    use Method::*;
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyFile::new(dir.path().join("api-keys.toml"));
    let admin = issue(&keys, "acme", Role::Admin);
    let analyst = issue(&keys, "acme", Role::Analyst);
    let matcher = issue(&keys, "acme", Role::Matcher);
    let revoked = keys.issue(TenantId::parse("acme").unwrap(), Role::Admin, "").unwrap();
    keys.revoke(&revoked.record.id).unwrap();
    let server = keyed_server(dir.path(), &keys).await;
    let mut admin_api = Api::connect(&server, Some(&admin)).await;
    admin_api
        .upsert(vec![alumnus("a1", "Acme One", "SRE", &[("Kubernetes", 5.0, 2025)])])
        .await;
    admin_api
        .upsert_opportunities(vec![
            opportunity("o1", OpportunityKind::Rehire, "SRE", &["Kubernetes"]),
            opportunity("m1", OpportunityKind::Mentoring, "Mentor", &["Kubernetes"]),
        ])
        .await;

    let matcher_methods = [Match, MatchForAlumnus, GetShortlist, RecordOutcomes];
    let analyst_methods = [
        Match,
        MatchForAlumnus,
        GetShortlist,
        RecordOutcomes,
        GetOpportunity,
        ListOpportunities,
        AssignMentors,
        Rescore,
        GetRescoreJob,
        ListOutcomes,
        GetContactPolicy,
        GetFunnel,
    ];
    for (key, allowed) in [
        (&matcher, &matcher_methods[..]),
        (&analyst, &analyst_methods[..]),
        (&admin, &Method::ALL[..]),
    ] {
        let mut api = Api::connect(&server, Some(key)).await;
        for method in Method::ALL {
            let code = invoke(&mut api, method).await;
            if allowed.contains(&method) {
                assert!(
                    !matches!(code, Code::PermissionDenied | Code::Unauthenticated),
                    "{method:?} must be allowed, got {code:?}"
                );
            } else {
                assert_eq!(code, Code::PermissionDenied, "{method:?} must be denied");
            }
        }
    }

    let flipped = if matcher.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{flipped}", &matcher[..matcher.len() - 1]);
    for key in [
        None,
        Some("not-a-key"),
        Some(tampered.as_str()),
        Some(revoked.key.as_str()),
    ] {
        let mut api = Api::connect(&server, key).await;
        for method in Method::ALL {
            assert_eq!(
                invoke(&mut api, method).await,
                Code::Unauthenticated,
                "{method:?} with key {key:?}"
            );
        }
    }

    // Health stays open to load balancers without a key.
    let channel = service::connect(&format!("http://{}", server.addr), None, None)
        .await
        .unwrap();
    let health = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .expect("health without a key");
    assert_eq!(health.into_inner().status, 1);
    drop(admin_api);
    server.stop().await;
}

#[tokio::test]
async fn issued_and_revoked_keys_take_effect_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyFile::new(dir.path().join("api-keys.toml"));
    let admin = issue(&keys, "acme", Role::Admin);
    let server = keyed_server(dir.path(), &keys).await;
    let later = keys.issue(TenantId::parse("acme").unwrap(), Role::Matcher, "").unwrap();
    let mut api = Api::connect(&server, Some(&later.key)).await;
    let wait_for = async |api: &mut Api, wanted: Code| {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let got = code(api.match_stored("none").await);
            if got == wanted {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "still {got:?}, want {wanted:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    // Allowed (NOT_FOUND: no such opportunity) once the server has re-read the file.
    wait_for(&mut api, Code::NotFound).await;
    keys.revoke(&later.record.id).unwrap();
    wait_for(&mut api, Code::Unauthenticated).await;
    let mut admin_api = Api::connect(&server, Some(&admin)).await;
    assert_eq!(
        code(admin_api.match_stored("none").await),
        Code::NotFound,
        "other keys unaffected"
    );
    drop((api, admin_api));
    server.stop().await;
}
