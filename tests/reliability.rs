//! The reliability review's findings, one test (or more) each, numbered as in
//! the review: each failed before its fix. The server was attacked as an
//! outsider and an insider would, and put under real faults (a full tmpfs,
//! damaged files, SIGTERM with work in flight).

mod common;

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use alumni_match::{
    access::{KeyFile, KeyRing, Role, TenantId},
    proto::{
        self, OpportunityKind, alumni_service_client::AlumniServiceClient, match_service_client::MatchServiceClient,
        opportunity_service_client::OpportunityServiceClient,
    },
    service::{self, AccessLog, Authentication, ClientChannel, ServerOptions},
};
use common::{ServerProcess, ServerSetup, TestServer, alumnus, engine_config, opportunity, raw};
use prost::Message;
use tonic::Code;
use tonic_types::StatusExt;

const ALUMNI_SERVICE: &str = "/alumni.matching.v1.AlumniService";

fn committed(status: &tonic::Status) -> Option<u64> {
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get("committed").and_then(|c| c.parse().ok()))
}

async fn keyed_server(dir: &Path, keys: &KeyFile, options: ServerOptions) -> TestServer {
    TestServer::start_full(
        engine_config(dir),
        Authentication::ApiKeys(Arc::new(KeyRing::load(keys.clone()).unwrap())),
        options,
    )
    .await
}

fn issue(keys: &KeyFile, tenant: &str, role: Role) -> (String, String) {
    let issued = keys.issue(TenantId::parse(tenant).unwrap(), role, "").unwrap();
    (issued.key, issued.record.id)
}

async fn channel(server: &TestServer, key: &str) -> ClientChannel {
    service::connect(&format!("http://{}", server.addr), Some(key), None)
        .await
        .expect("connect")
}

async fn get(alumni: &mut AlumniServiceClient<ClientChannel>, id: &str) -> Code {
    match alumni.get_alumnus(proto::GetAlumnusRequest { id: id.into() }).await {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

// 1. A hard gate in stored shortlists.

#[tokio::test]
async fn a_stored_shortlist_never_lists_someone_the_opportunitys_current_kind_excludes() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    server
        .upsert_opportunities(vec![opportunity(
            "gk-1",
            OpportunityKind::Mentoring,
            "SRE mentor",
            &["Kubernetes"],
        )])
        .await;
    let mut mentor_only = alumnus("mentor-only", "Mentor Only", "SRE", &[("Kubernetes", 9.0, 2025)]);
    mentor_only.interests.as_mut().unwrap().open_to = vec![OpportunityKind::Mentoring as i32];
    mentor_only.departure.as_mut().unwrap().rehire_eligible = false;
    let both = alumnus("both", "Both Ways", "SRE", &[("Kubernetes", 2.0, 2025)]);
    server.upsert(vec![mentor_only.clone(), both]).await;
    server.match_until("gk-1", |r| r.candidates.len() == 2).await;
    let mut stream = server
        .matcher
        .rescore(proto::RescoreRequest {
            opportunity_ids: vec!["gk-1".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    while stream.message().await.unwrap().is_some() {}
    let shortlist = |server: &TestServer| {
        let mut matcher = server.matcher.clone();
        async move {
            matcher
                .get_shortlist(proto::GetShortlistRequest {
                    opportunity_id: "gk-1".into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let before = shortlist(&server).await;
    assert_eq!(
        before.candidates[0].alumnus_id, "mentor-only",
        "the stronger mentor first"
    );

    server
        .upsert_opportunities(vec![opportunity(
            "gk-1",
            OpportunityKind::Rehire,
            "SRE",
            &["Kubernetes"],
        )])
        .await;
    let after = shortlist(&server).await;
    let ids: Vec<&str> = after.candidates.iter().map(|c| c.alumnus_id.as_str()).collect();
    assert_eq!(
        ids,
        ["both"],
        "not rehire-eligible and not open to rehire: never listed"
    );
    assert!(after.stale);
    server.upsert(vec![mentor_only]).await;
    let again = shortlist(&server).await;
    assert!(again.candidates.iter().all(|c| c.alumnus_id != "mentor-only"));
    server.stop().await;
}

// 2. Repeated fields are capped or deduplicated; work stops with its call.

#[tokio::test]
async fn repeated_fields_are_capped_or_deduplicated() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    server
        .upsert(vec![alumnus("a1", "Aiko", "SRE", &[("Kubernetes", 3.0, 2025)])])
        .await;
    server
        .upsert_opportunities(vec![opportunity(
            "r1",
            OpportunityKind::Referral,
            "SRE",
            &["Kubernetes"],
        )])
        .await;
    server.match_until("r1", |r| r.candidates.len() == 1).await;
    let referral = OpportunityKind::Referral as i32;
    let status = server
        .matcher
        .match_for_alumnus(proto::MatchForAlumnusRequest {
            alumnus_id: "a1".into(),
            kinds: vec![referral; 10_000],
            limit: 5,
            explain: false,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(common::fields(&status), ["kinds"]);
    let repeated = server
        .matcher
        .match_for_alumnus(proto::MatchForAlumnusRequest {
            alumnus_id: "a1".into(),
            kinds: vec![referral; 4],
            limit: 5,
            explain: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(repeated.matches.len(), 1, "a kind listed four times is scored once");

    let status = server
        .matcher
        .rescore(proto::RescoreRequest {
            opportunity_ids: (0..10_001).map(|i| format!("o{i}")).collect(),
            ..Default::default()
        })
        .await;
    let status = match status {
        Err(status) => status,
        Ok(response) => response.into_inner().message().await.unwrap_err(),
    };
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");

    let mut flooded = alumnus("a2", "Flood", "SRE", &[]);
    flooded.interests.as_mut().unwrap().open_to = vec![referral; 1_000];
    let status = server
        .alumni
        .upsert_alumni(proto::UpsertAlumniRequest { alumni: vec![flooded] })
        .await
        .unwrap_err();
    assert_eq!(common::fields(&status), ["alumni[0].interests.open_to"]);

    let status = server
        .matcher
        .r#match(proto::MatchRequest {
            target: Some(proto::match_request::Target::OpportunityId("r1".into())),
            weights: (0..100).map(|i| (format!("w{i}"), 1.0)).collect(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(common::fields(&status).contains(&"weights".to_owned()), "{status:?}");
    server.stop().await;
}

#[tokio::test]
async fn shutdown_finishes_within_its_grace_while_a_long_call_is_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start(
        &data,
        ServerSetup {
            env: vec![("ALUMNI_MATCH_SHUTDOWN_GRACE_SECS".into(), "1".into())],
            ..ServerSetup::default()
        },
    )
    .await
    .unwrap();
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    let mut opportunities = OpportunityServiceClient::new(server.channel.clone());
    alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: (0..200)
                .map(|i| {
                    alumnus(
                        &format!("a{i}"),
                        "Aiko",
                        "SRE",
                        &[("Kubernetes", 3.0, 2025), ("Rust", 2.0, 2024)],
                    )
                })
                .collect(),
        })
        .await
        .unwrap();
    // Enough open opportunities that scoring one alumnus against all of them
    // takes far longer than the grace period.
    for batch in 0..8 {
        opportunities
            .upsert_opportunities(proto::UpsertOpportunitiesRequest {
                opportunities: (0..1_000)
                    .map(|i| {
                        let kind = [OpportunityKind::Referral, OpportunityKind::Mentoring][i % 2];
                        opportunity(
                            &format!("o{batch}-{i}"),
                            kind,
                            "SRE Kubernetes Rust",
                            &["Kubernetes", "Rust"],
                        )
                    })
                    .collect(),
                rescore: false,
            })
            .await
            .unwrap();
    }
    let mut matcher = MatchServiceClient::new(server.channel.clone());
    let in_flight = tokio::spawn(async move {
        matcher
            .match_for_alumnus(proto::MatchForAlumnusRequest {
                alumnus_id: "a1".into(),
                limit: 10,
                ..Default::default()
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    let took = started.elapsed();
    assert!(status.success(), "{status:?}");
    // The grace is 1 s; the work is stopped after it, and the process exits.
    assert!(took < Duration::from_secs(20), "shutdown took {took:?}");
    let outcome = in_flight.await.unwrap();
    assert!(
        outcome.is_err(),
        "the in-flight call was ended, not finished: {outcome:?}"
    );
}

// 3. A missing or empty store never means silent data loss.

#[tokio::test]
async fn a_lost_store_beside_an_index_with_alumni_refuses_to_start_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::spawn(&data, None, "warn").await;
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: (0..50).map(|i| alumnus(&format!("a{i}"), "Aiko", "SRE", &[])).collect(),
        })
        .await
        .unwrap();
    // Let the index catch up before stopping, so it holds the alumni.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(alumni);
    assert!(
        tokio::task::spawn_blocking(move || server.terminate())
            .await
            .unwrap()
            .success()
    );
    let store = common::tenant_dir(&data, "default").join("store.redb");
    std::fs::File::options()
        .write(true)
        .open(&store)
        .unwrap()
        .set_len(0)
        .unwrap();
    let failure = ServerProcess::start(&data, ServerSetup::default())
        .await
        .err()
        .expect("refuses to start over an empty store");
    assert!(!failure.status.success());
    assert!(
        failure.stderr.contains("store.redb")
            && failure.stderr.contains("empty")
            && failure.stderr.contains("50 alumni"),
        "{}",
        failure.stderr
    );
    assert!(
        failure.stderr.contains("restore"),
        "says what to do: {}",
        failure.stderr
    );
    std::fs::remove_file(&store).unwrap();
    let failure = ServerProcess::start(&data, ServerSetup::default())
        .await
        .err()
        .expect("refuses to start without its store");
    assert!(failure.stderr.contains("missing"), "{}", failure.stderr);
    assert!(
        common::tenant_dir(&data, "default").join("index/meta.json").exists(),
        "the index was not wiped"
    );
}

#[tokio::test]
async fn the_sample_goes_only_into_a_brand_new_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh");
    let sample = ServerSetup {
        sample: true,
        test_taxonomy: false,
        ..ServerSetup::default()
    };
    let server = ServerProcess::start(&fresh, sample.clone()).await.unwrap();
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    assert_eq!(get(&mut alumni, "alum-0000000").await, Code::Ok, "sample loaded");
    drop(alumni);
    drop(server);

    // A data directory that holds anything already (here another tenant's files)
    // is not new: its default tenant is not filled with sample people.
    let used = dir.path().join("used");
    std::fs::create_dir_all(used.join("tenants/acme")).unwrap();
    let server = ServerProcess::start(&used, sample).await.unwrap();
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    assert_eq!(get(&mut alumni, "alum-0000000").await, Code::NotFound);
}

// 4. A full disk: a clear error, health NOT_SERVING, writes resume, nothing lost.

/// A tmpfs of `megabytes` mounted on a new directory, unmounted on drop.
struct Tmpfs {
    mount: PathBuf,
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(megabytes: u32) -> Self {
        let parent = tempfile::tempdir().unwrap();
        let mount = parent.path().join("fs");
        std::fs::create_dir(&mount).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&mount)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a tmpfs failed ({status}): this test fills a real file system and needs root, as CI has"
        );
        Self { mount, _parent: parent }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

async fn serving(server: &TestServer) -> bool {
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
    HealthClient::new(server.channel.clone())
        .check(HealthCheckRequest::default())
        .await
        .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
}

async fn eventually(what: &str, seconds: u64, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_full_disk_refuses_writes_clearly_recovers_without_a_restart_and_loses_nobody() {
    let tmpfs = Tmpfs::mount(24);
    let data = tmpfs.mount.join("data");
    // Room to give back once the disk is full.
    let filler = tmpfs.mount.join("filler");
    std::fs::write(&filler, vec![0u8; 6 * 1024 * 1024]).unwrap();
    let options = ServerOptions {
        access_log: AccessLog::open(&data.join("access.log")).unwrap(),
        ..ServerOptions::default()
    };
    let mut config = engine_config(&data);
    config.taxonomy_path = None;
    let mut server = TestServer::start_full(config.clone(), Authentication::Disabled, options).await;
    server
        .upsert_opportunities(vec![opportunity("everyone", OpportunityKind::Referral, "SRE", &[])])
        .await;
    let profile = |i: usize| {
        let mut a = alumnus(&format!("a{i:05}"), "Aiko", "SRE", &[("Kubernetes", 3.0, 2025)]);
        a.interests.as_mut().unwrap().statement = "Happy to refer people I worked with. ".repeat(40);
        a
    };
    let mut acknowledged = 0usize;
    let full = loop {
        let batch: Vec<proto::Alumnus> = (acknowledged..acknowledged + 100).map(profile).collect();
        match server
            .alumni
            .upsert_alumni(proto::UpsertAlumniRequest { alumni: batch })
            .await
        {
            Ok(_) => acknowledged += 100,
            Err(status) => break status,
        }
        assert!(acknowledged < 200_000, "the disk never filled");
    };
    assert!(
        matches!(full.code(), Code::ResourceExhausted | Code::Unavailable),
        "a full disk is a clear, retryable error: {full:?}"
    );
    if full.code() == Code::ResourceExhausted {
        assert!(full.message().contains("disk is full"), "{full:?}");
    }
    eventually("health says NOT_SERVING", 10, async || !serving(&server).await).await;
    let refused = server
        .alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: vec![profile(900_000)],
        })
        .await
        .unwrap_err();
    assert!(
        matches!(refused.code(), Code::ResourceExhausted | Code::Unavailable),
        "{refused:?}"
    );

    std::fs::remove_file(&filler).unwrap();
    eventually("health says SERVING again", 20, async || serving(&server).await).await;
    server
        .alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: vec![profile(acknowledged)],
        })
        .await
        .expect("writes resume without a restart");
    acknowledged += 1;
    // Every acknowledged alumnus is stored and searchable.
    let expected = acknowledged as u64;
    eventually("every acknowledged alumnus is searchable", 30, async || {
        server.match_ids("everyone", 1).await.total_eligible == expected
    })
    .await;
    // Deletes (erasure requests) go through again too.
    let deleted = server
        .alumni
        .delete_alumni(proto::DeleteAlumniRequest {
            ids: vec![format!("a{:05}", 0)],
        })
        .await
        .expect("deletes resume")
        .into_inner();
    assert_eq!(deleted.deleted_count, 1);
    server.stop().await;

    // And after a restart, still every one of them.
    let mut server = TestServer::start_full(config, Authentication::Disabled, ServerOptions::default()).await;
    assert_eq!(server.match_ids("everyone", 1).await.total_eligible, expected - 1);
    server.stop().await;
    let log = std::fs::read_to_string(data.join("access.log")).unwrap();
    for line in log.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "a whole JSON line: {line:?}"
        );
    }
}

// 5. A revoked key stops writing on a stream it opened before the revocation.

#[tokio::test]
async fn a_key_revoked_during_an_import_writes_nothing_sent_after_the_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyFile::new(dir.path().join("api-keys.toml"));
    let (importer_key, importer_id) = issue(&keys, "acme", Role::Admin);
    let (reader_key, _) = issue(&keys, "acme", Role::Admin);
    let server = keyed_server(dir.path(), &keys, ServerOptions::default()).await;
    let mut reader = AlumniServiceClient::new(channel(&server, &reader_key).await);
    // Opens the tenant, so the import reads its items as they come.
    assert_eq!(get(&mut reader, "nobody").await, Code::NotFound);
    let (sender, receiver) = tokio::sync::mpsc::channel::<proto::Alumnus>(16);
    let mut importer = AlumniServiceClient::new(channel(&server, &importer_key).await);
    let import = tokio::spawn(async move {
        importer
            .import_alumni(tokio_stream::StreamExt::map(
                tokio_stream::wrappers::ReceiverStream::new(receiver),
                proto::ImportAlumniRequest::from,
            ))
            .await
    });
    for i in 0..3 {
        sender
            .send(alumnus(&format!("before-{i}"), "Aiko", "SRE", &[]))
            .await
            .unwrap();
    }
    keys.revoke(&importer_id).unwrap();
    // Wait until new calls with the key are refused: the server has reloaded the file.
    let mut probe = MatchServiceClient::new(channel(&server, &importer_key).await);
    eventually("the revoked key is refused", 10, async || {
        probe
            .r#match(proto::MatchRequest::default())
            .await
            .is_err_and(|s| s.code() == Code::Unauthenticated)
    })
    .await;
    for i in 0..7 {
        if sender
            .send(alumnus(&format!("after-{i}"), "Aiko", "SRE", &[]))
            .await
            .is_err()
        {
            break;
        }
    }
    drop(sender);
    let status = import.await.unwrap().unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    // The items sent before the revocation are written if the server read them
    // before it (it normally has: the revocation takes up to a second to load).
    let written = committed(&status).expect("the committed count") as usize;
    assert!(written <= 3, "{status:?}");
    for i in 0..3 {
        let expected = if i < written { Code::Ok } else { Code::NotFound };
        assert_eq!(get(&mut reader, &format!("before-{i}")).await, expected, "before-{i}");
    }
    for i in 0..7 {
        assert_eq!(
            get(&mut reader, &format!("after-{i}")).await,
            Code::NotFound,
            "after-{i}"
        );
    }
    drop((probe, reader));
    server.stop().await;
}

// 6. Profiles are readable by their owner only, whatever the umask.

#[tokio::test]
async fn every_file_of_the_data_directory_is_private_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // An earlier run left a file readable by others.
    std::fs::create_dir_all(data.join("tenants/default")).unwrap();
    std::fs::write(data.join("notes.txt"), b"left by an operator").unwrap();
    std::fs::set_permissions(data.join("notes.txt"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = dir.path().join("server.log");
    // SAFETY: umask only sets this process's file-creation mask (inherited by the
    // server it starts).
    let previous = unsafe { libc::umask(0o022) };
    let server = ServerProcess::spawn(&data, Some(&log), "warn").await;
    unsafe { libc::umask(previous) };
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: vec![alumnus("a1", "Aiko", "SRE", &[])],
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut pending = vec![data.clone()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let metadata = std::fs::metadata(&path).unwrap();
        let mode = metadata.permissions().mode() & 0o777;
        if metadata.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode, 0o600, "{}", path.display());
            seen += 1;
        }
    }
    assert!(seen > 5, "the store, the index files, the key files and the access log");
    drop(alumni);
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("narrowed them to the owner"),
        "a warning about the wider modes: {text}"
    );
}

// 7. No tenant or key can take every permit; idle streams end.

#[tokio::test]
async fn one_key_cannot_lock_out_the_others_and_idle_streams_end() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyFile::new(dir.path().join("api-keys.toml"));
    let (greedy, _) = issue(&keys, "acme", Role::Admin);
    let (colleague, _) = issue(&keys, "acme", Role::Admin);
    let (other_tenant, _) = issue(&keys, "globex", Role::Admin);
    let server = keyed_server(
        dir.path(),
        &keys,
        ServerOptions {
            stream_idle_timeout: Duration::from_secs(2),
            ..ServerOptions::default()
        },
    )
    .await;
    let greedy_channel = channel(&server, &greedy).await;
    let mut senders = Vec::new();
    let mut streams = Vec::new();
    for _ in 0..70 {
        let (sender, receiver) = tokio::sync::mpsc::channel::<proto::Alumnus>(1);
        senders.push(sender);
        let mut client = AlumniServiceClient::new(greedy_channel.clone());
        streams.push(tokio::spawn(async move {
            client
                .import_alumni(tokio_stream::StreamExt::map(
                    tokio_stream::wrappers::ReceiverStream::new(receiver),
                    proto::ImportAlumniRequest::from,
                ))
                .await
        }));
    }
    // Unary calls of the same tenant and of another one are served meanwhile, and
    // the other tenant can open a stream.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for key in [&colleague, &other_tenant, &greedy] {
        let mut matcher = MatchServiceClient::new(channel(&server, key).await);
        let status = matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::OpportunityId("none".into())),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "served, not shed: {status:?}");
    }
    let mut other = AlumniServiceClient::new(channel(&server, &other_tenant).await);
    other
        .import_alumni(tokio_stream::iter(
            vec![alumnus("g1", "Gin", "SRE", &[])]
                .into_iter()
                .map(proto::ImportAlumniRequest::from),
        ))
        .await
        .expect("another tenant's stream is admitted");
    let mut shed = 0;
    let mut idle = 0;
    for stream in streams {
        let status = stream.await.unwrap().unwrap_err();
        match status.code() {
            Code::ResourceExhausted => shed += 1,
            Code::DeadlineExceeded => {
                assert!(status.message().contains("sent nothing"), "{status:?}");
                idle += 1;
            }
            other => panic!("unexpected {other:?}: {status:?}"),
        }
    }
    let per_key = alumni_match::service::AdmissionLimits::default().streams_per_key;
    assert_eq!(idle, per_key, "the key's share of streams, each ended when idle");
    assert_eq!(shed, 70 - per_key);
    drop(senders);
    server.stop().await;
}

// 8. A damaged store is found at start-up, refuses writes, never panics at a
// caller; `check` finds it offline; backups restore elsewhere.

/// Overwrites `pages` pseudo-random 4 KiB pages of `file` (after its first 64 KiB,
/// so the file still opens) with pseudo-random bytes.
fn damage(file: &Path, pages: usize, seed: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let length = std::fs::metadata(file).unwrap().len();
    let mut handle = std::fs::File::options().write(true).open(file).unwrap();
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 11
    };
    let first = 16;
    let count = length / 4096;
    assert!(count > first + 1, "the store is too small to damage");
    for _ in 0..pages {
        let page = first + next() % (count - first);
        let bytes: Vec<u8> = (0..4096).map(|_| next() as u8).collect();
        handle.seek(SeekFrom::Start(page * 4096)).unwrap();
        handle.write_all(&bytes).unwrap();
    }
    handle.sync_all().unwrap();
}

async fn fill(server: &ServerProcess, count: usize) {
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    for batch in 0..count.div_ceil(500) {
        alumni
            .upsert_alumni(proto::UpsertAlumniRequest {
                alumni: (batch * 500..(batch * 500 + 500).min(count))
                    .map(|i| {
                        let mut a = alumnus(&format!("a{i:05}"), "Aiko", "SRE", &[("Kubernetes", 3.0, 2025)]);
                        a.interests.as_mut().unwrap().statement = format!("statement {i} ").repeat(30);
                        a
                    })
                    .collect(),
            })
            .await
            .unwrap();
    }
}

fn alumni_match_command(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_alumni-match"))
        .args(args)
        .output()
        .expect("run alumni-match")
}

#[tokio::test]
async fn a_damaged_store_is_found_refuses_writes_and_never_panics_at_a_caller() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::spawn(&data, None, "warn").await;
    fill(&server, 2_000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tokio::task::spawn_blocking(move || server.terminate())
            .await
            .unwrap()
            .success()
    );
    damage(&common::tenant_dir(&data, "default").join("store.redb"), 200, 7);

    let log = dir.path().join("server.log");
    let started = ServerProcess::start(
        &data,
        ServerSetup {
            log_file: Some(log.clone()),
            wait_serving: false,
            ..ServerSetup::default()
        },
    )
    .await;
    match started {
        Err(failure) => {
            // Damage the index rebuild could not read past: a clean refusal that
            // names the store, never a crash.
            assert_eq!(failure.status.code(), Some(1), "{}", failure.stderr);
            assert!(failure.stderr.contains("store"), "{}", failure.stderr);
        }
        Ok(server) => {
            let mut alumni = AlumniServiceClient::new(server.channel.clone());
            let mut codes = std::collections::BTreeMap::new();
            for i in 0..2_000 {
                *codes
                    .entry(format!("{:?}", get(&mut alumni, &format!("a{i:05}")).await))
                    .or_insert(0) += 1;
            }
            assert!(!codes.contains_key("Internal"), "no INTERNAL: {codes:?}");
            assert!(!codes.contains_key("Unknown"), "no panic reached a caller: {codes:?}");
            let refused = alumni
                .upsert_alumni(proto::UpsertAlumniRequest {
                    alumni: vec![alumnus("new", "New", "SRE", &[])],
                })
                .await
                .unwrap_err();
            assert_eq!(refused.code(), Code::DataLoss, "{refused:?}");
            assert!(refused.message().contains("damaged"), "{refused:?}");
            drop(alumni);
            drop(server);
            let text = std::fs::read_to_string(&log).unwrap();
            assert!(text.contains("damaged"), "the damage is reported: {text}");
            assert!(
                !text.contains("ERROR alumni_match: panic"),
                "no panic escaped the store: {text}"
            );
        }
    }
    let check = alumni_match_command(&["check", "--data-dir", data.to_str().unwrap()]);
    assert!(!check.status.success(), "check fails on a damaged store");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(report.contains("PROBLEMS"), "{report}");
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_into_another_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::spawn(&data, None, "warn").await;
    fill(&server, 300).await;
    let out = dir.path().join("acme.backup");
    let backup = tokio::task::spawn_blocking({
        let (server, data, out) = (format!("http://{}", server.addr), data.clone(), out.clone());
        move || {
            alumni_match_command(&[
                "backup",
                "--server",
                &server,
                "--data-dir",
                data.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
        }
    })
    .await
    .unwrap();
    assert!(backup.status.success(), "{}", String::from_utf8_lossy(&backup.stderr));
    assert!(String::from_utf8_lossy(&backup.stdout).contains("300 alumni"));
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    drop(server);

    // Another machine: a new data directory, the copy restored into it.
    let elsewhere = dir.path().join("elsewhere");
    let restore = alumni_match_command(&[
        "restore",
        "--from",
        out.to_str().unwrap(),
        "--data-dir",
        elsewhere.to_str().unwrap(),
    ]);
    assert!(restore.status.success(), "{}", String::from_utf8_lossy(&restore.stderr));
    let check = alumni_match_command(&["check", "--data-dir", elsewhere.to_str().unwrap()]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    let server = ServerProcess::spawn(&elsewhere, None, "warn").await;
    let mut opportunities = OpportunityServiceClient::new(server.channel.clone());
    opportunities
        .upsert_opportunities(proto::UpsertOpportunitiesRequest {
            opportunities: vec![opportunity("sre", OpportunityKind::Referral, "SRE", &["Kubernetes"])],
            rescore: false,
        })
        .await
        .unwrap();
    let mut matcher = MatchServiceClient::new(server.channel.clone());
    let matched = matcher
        .r#match(proto::MatchRequest {
            target: Some(proto::match_request::Target::OpportunityId("sre".into())),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(matched.total_eligible, 300, "every restored alumnus is searchable");
    // Restoring over an existing tenant needs --force.
    drop((opportunities, matcher));
    drop(server);
    let again = alumni_match_command(&[
        "restore",
        "--from",
        out.to_str().unwrap(),
        "--data-dir",
        elsewhere.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

// 9. Undecodable requests are the caller's error, and an import keeps what came
// before a bad item.

#[tokio::test]
async fn undecodable_messages_are_invalid_argument_and_imports_keep_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_full(
        engine_config(dir.path()),
        Authentication::Disabled,
        ServerOptions {
            max_message_bytes: 64 * 1024,
            ..ServerOptions::default()
        },
    )
    .await;
    let valid = |id: &str| alumnus(id, "Aiko", "SRE", &[("Kubernetes", 3.0, 2025)]).encode_to_vec();
    // display_name (field 2) with bytes that are not UTF-8.
    let mut invalid_utf8 = proto::Alumnus {
        id: "bad".into(),
        ..Default::default()
    }
    .encode_to_vec();
    invalid_utf8.extend_from_slice(&[0x12, 0x02, 0xc3, 0x28]);
    let truncated = {
        let whole = valid("cut");
        whole[..whole.len() - 3].to_vec()
    };
    // Field 1 (a string) sent as a varint.
    let wrong_wire_type = vec![0x08, 0x01];
    let upsert = |alumnus: Vec<u8>| {
        // UpsertAlumniRequest.alumni is field 1, length-delimited.
        let mut message = vec![0x0a];
        prost::encoding::encode_varint(alumnus.len() as u64, &mut message);
        message.extend_from_slice(&alumnus);
        message
    };
    for (what, message) in [
        ("invalid UTF-8", upsert(invalid_utf8.clone())),
        ("truncated", truncated.clone()),
        ("wrong wire type", upsert(wrong_wire_type.clone())),
    ] {
        let reply = raw::call(
            server.addr,
            &format!("{ALUMNI_SERVICE}/UpsertAlumni"),
            &[],
            raw::frame(&message),
        )
        .await;
        assert_eq!(reply.code, Code::InvalidArgument, "{what}: {reply:?}");
    }

    // ImportAlumniRequest.alumnus is field 1, length-delimited too.
    let item = upsert;
    let mut body = raw::frame(&item(valid("first")));
    body.extend(raw::frame(&item(valid("second"))));
    body.extend(raw::frame(&item(invalid_utf8)));
    let reply = raw::call(server.addr, &format!("{ALUMNI_SERVICE}/ImportAlumni"), &[], body).await;
    assert_eq!(reply.code, Code::InvalidArgument, "{reply:?}");
    assert_eq!(reply.details.as_ref().and_then(committed), Some(2), "{reply:?}");

    let mut huge = alumnus("huge", "Huge", "SRE", &[]);
    huge.positions[0].description = "x".repeat(9_000);
    huge.headline = "y".repeat(100_000);
    let mut body = raw::frame(&item(valid("third")));
    body.extend(raw::frame(&item(huge.encode_to_vec())));
    let reply = raw::call(server.addr, &format!("{ALUMNI_SERVICE}/ImportAlumni"), &[], body).await;
    assert_eq!(reply.code, Code::ResourceExhausted, "{reply:?}");
    assert_eq!(reply.details.as_ref().and_then(committed), Some(1), "{reply:?}");

    let mut alumni = server.alumni.clone();
    for id in ["first", "second", "third"] {
        assert_eq!(get_plain(&mut alumni, id).await, Code::Ok, "{id} was committed");
    }
    assert_eq!(get_plain(&mut alumni, "bad").await, Code::NotFound);
    server.stop().await;
}

async fn get_plain(alumni: &mut AlumniServiceClient<tonic::transport::Channel>, id: &str) -> Code {
    match alumni.get_alumnus(proto::GetAlumnusRequest { id: id.into() }).await {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

// 10. The access log names who was refused, and records calls whose client
// went away.

#[tokio::test]
async fn the_access_log_names_refused_callers_and_records_abandoned_calls() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyFile::new(dir.path().join("api-keys.toml"));
    let (matcher_key, matcher_id) = issue(&keys, "acme", Role::Matcher);
    let (admin_key, _) = issue(&keys, "acme", Role::Admin);
    let log_path = dir.path().join("access.log");
    let server = keyed_server(
        dir.path(),
        &keys,
        ServerOptions {
            access_log: AccessLog::open(&log_path).unwrap(),
            ..ServerOptions::default()
        },
    )
    .await;
    let mut as_matcher = AlumniServiceClient::new(channel(&server, &matcher_key).await);
    let denied = as_matcher
        .get_alumnus(proto::GetAlumnusRequest { id: "a1".into() })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    // An import stream whose client goes away before it ends.
    let (sender, receiver) = tokio::sync::mpsc::channel::<proto::Alumnus>(1);
    let mut importer = AlumniServiceClient::new(channel(&server, &admin_key).await);
    let import = tokio::spawn(async move {
        importer
            .import_alumni(tokio_stream::StreamExt::map(
                tokio_stream::wrappers::ReceiverStream::new(receiver),
                proto::ImportAlumniRequest::from,
            ))
            .await
    });
    sender.send(alumnus("a1", "Aiko", "SRE", &[])).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    import.abort();
    let _ = import.await;
    drop(sender);
    let records = || -> Vec<serde_json::Value> {
        std::fs::read_to_string(&log_path)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    eventually("the abandoned import is recorded", 10, async || {
        records()
            .iter()
            .any(|r| r["method"] == "ImportAlumni" && r["status"] == "Cancelled")
    })
    .await;
    let all = records();
    let refused = all
        .iter()
        .find(|r| r["status"] == "PermissionDenied")
        .expect("a refusal");
    assert_eq!(refused["tenant"], "acme");
    assert_eq!(refused["key_id"], matcher_id.as_str());
    assert_eq!(refused["role"], "matcher");
    drop(as_matcher);
    server.stop().await;
}

#[tokio::test]
async fn the_access_log_moved_away_and_signalled_with_sighup_starts_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::spawn(&data, None, "warn").await;
    let log_path = data.join("access.log");
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    let lookup = async |alumni: &mut AlumniServiceClient<ClientChannel>, id: &str| {
        let status = alumni
            .get_alumnus(proto::GetAlumnusRequest { id: id.into() })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
    };
    lookup(&mut alumni, "before").await;
    let read_lines = |path: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("every line is whole JSON"))
            .collect()
    };
    eventually("the first call is logged", 10, async || {
        !read_lines(&log_path).is_empty()
    })
    .await;
    let rotated = data.join("access.log.1");
    std::fs::rename(&log_path, &rotated).unwrap();
    let hangup = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(hangup.success());
    // The signal is handled asynchronously: call until a record lands at the path.
    eventually("records go to a new file at the old path", 10, async || {
        lookup(&mut alumni, "after").await;
        log_path.exists() && !read_lines(&log_path).is_empty()
    })
    .await;
    let old = read_lines(&rotated);
    assert!(old.iter().any(|r| r["method"] == "GetAlumnus"), "{old:?}");
    assert!(read_lines(&log_path).iter().all(|r| r["method"] == "GetAlumnus"));
    assert_eq!(
        std::fs::metadata(&log_path).unwrap().permissions().mode() & 0o777,
        0o600,
        "the new file is private too"
    );
    // A server that rotated its log still answers.
    lookup(&mut alumni, "later").await;
}

// 11. The small ones.

#[tokio::test]
async fn small_ones_deletes_once_every_bad_weight_a_malformed_header_and_auth_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyFile::new(dir.path().join("api-keys.toml"));
    let (admin_key, _) = issue(&keys, "acme", Role::Admin);
    let server = keyed_server(dir.path(), &keys, ServerOptions::default()).await;
    let admin = channel(&server, &admin_key).await;
    let mut alumni = AlumniServiceClient::new(admin.clone());
    alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: vec![alumnus("twice", "Aiko", "SRE", &[])],
        })
        .await
        .unwrap();
    let deleted = alumni
        .delete_alumni(proto::DeleteAlumniRequest {
            ids: vec!["twice".into(), "twice".into()],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((deleted.deleted_count, deleted.not_found_ids.len()), (1, 0));

    let mut opportunities = OpportunityServiceClient::new(admin.clone());
    opportunities
        .upsert_opportunities(proto::UpsertOpportunitiesRequest {
            opportunities: vec![opportunity("o", OpportunityKind::Referral, "SRE", &[])],
            rescore: false,
        })
        .await
        .unwrap();
    let mut matcher = MatchServiceClient::new(admin);
    let status = matcher
        .r#match(proto::MatchRequest {
            target: Some(proto::match_request::Target::OpportunityId("o".into())),
            weights: [("age", 1.0), ("engagement", -1.0), ("seniority", 0.5)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(common::fields(&status), ["weights[age]", "weights[engagement]"]);

    let reply = raw::call(
        server.addr,
        "/alumni.matching.v1.MatchService/Match",
        &[("authorization", "Token abc")],
        raw::frame(&proto::MatchRequest::default().encode_to_vec()),
    )
    .await;
    assert_eq!(reply.code, Code::Unauthenticated);
    assert!(reply.message.contains("malformed authorization header"), "{reply:?}");

    // 20 MiB without a key: refused for the missing key, before it is decoded
    // (decoding first would answer RESOURCE_EXHAUSTED).
    let big = proto::UpsertAlumniRequest {
        alumni: vec![{
            let mut a = alumnus("big", "Big", "SRE", &[]);
            a.headline = "z".repeat(20 * 1024 * 1024);
            a
        }],
    };
    let reply = raw::call(
        server.addr,
        &format!("{ALUMNI_SERVICE}/UpsertAlumni"),
        &[],
        raw::frame(&big.encode_to_vec()),
    )
    .await;
    assert_eq!(reply.code, Code::Unauthenticated, "{reply:?}");
    drop((alumni, opportunities, matcher));
    server.stop().await;
}

// 13. Started from another directory, the server still finds its data.

#[tokio::test]
async fn started_from_another_directory_the_server_finds_its_data_or_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start(
        &data,
        ServerSetup {
            cwd: Some(elsewhere.path().to_owned()),
            test_taxonomy: false,
            ..ServerSetup::default()
        },
    )
    .await
    .expect("starts, with the project's data found beside the binary");
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: vec![alumnus(
                "ml",
                "Mai",
                "Data scientist",
                &[("machine learning", 5.0, 2025)],
            )],
        })
        .await
        .unwrap();
    let mut matcher = MatchServiceClient::new(server.channel.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found = matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::Opportunity(opportunity(
                    "",
                    OpportunityKind::Mentoring,
                    "機械学習のメンター",
                    &["機械学習"],
                ))),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        if found.candidates.iter().any(|c| c.alumnus_id == "ml") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "機械学習 found nobody: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop((alumni, matcher));
    drop(server);

    let failure = ServerProcess::start(
        &dir.path().join("other"),
        ServerSetup {
            cwd: Some(elsewhere.path().to_owned()),
            test_taxonomy: false,
            env: vec![("ALUMNI_MATCH_DATA_ROOT".into(), elsewhere.path().display().to_string())],
            ..ServerSetup::default()
        },
    )
    .await
    .err()
    .expect("refuses to start without its data");
    assert!(failure.stderr.contains("not found"), "{}", failure.stderr);
}
