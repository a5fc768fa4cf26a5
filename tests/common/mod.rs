//! Test harness: a real alumni-match gRPC server on an ephemeral loopback port
//! with a temporary data directory, and builders for realistic fixtures.

#![allow(dead_code)]

pub mod raw;

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use alumni_match::{
    proto::{
        self, alumni_service_client::AlumniServiceClient, match_service_client::MatchServiceClient,
        opportunity_service_client::OpportunityServiceClient,
    },
    service::{self, Authentication, ClientChannel, ServerOptions},
};
use alumni_match_engine::{
    engine::{EngineConfig, Tenants},
    taxonomy::Taxonomy,
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::transport::Channel;

/// A running server and clients connected to it.
pub struct TestServer {
    pub addr: SocketAddr,
    pub channel: Channel,
    pub alumni: AlumniServiceClient<Channel>,
    pub opportunities: OpportunityServiceClient<Channel>,
    pub matcher: MatchServiceClient<Channel>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), service::ServiceError>>>,
}

/// Engine settings for tests: a short commit interval keeps index lag small.
pub fn engine_config(dir: &Path) -> EngineConfig {
    let mut config = EngineConfig::new(dir);
    config.commit_interval = Duration::from_millis(20);
    config.indexer_memory_bytes = 32 * 1024 * 1024;
    config.taxonomy_path = Some(dir.join("taxonomy.tsv"));
    config.japanese_dictionary = Some(japanese_dictionary());
    config
}

/// The Japanese dictionary `scripts/setup.sh` builds. Tests run with it, as the
/// server does; a missing one fails loudly instead of testing the fallback.
pub fn japanese_dictionary() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(alumni_match_engine::index::DEFAULT_DICTIONARY_DIR);
    if let Err(error) = alumni_match_engine::index::JapaneseMorphology::load(&dir) {
        panic!("{error}\nThe Japanese dictionary is built by scripts/setup.sh; run it before the tests.");
    }
    dir
}

/// A small alias table written next to the data, so tests do not depend on the
/// size of the real one.
pub const TEST_TAXONOMY: &str = "# test aliases\nKubernetes\tk8s\t\nJavaScript\tjs\t\nmachine learning\t機械学習|ML\t\nsales\t営業|セールス\t\nPostgreSQL\tpostgres\t5\nMySQL\t\t\n";

impl TestServer {
    /// Starts a server over `dir` (created or reopened).
    pub async fn start(dir: &Path) -> Self {
        Self::start_with(engine_config(dir)).await
    }

    /// Starts a server with explicit engine settings, without authentication (every
    /// call acts as admin of the default tenant).
    pub async fn start_with(config: EngineConfig) -> Self {
        Self::start_full(config, Authentication::Disabled, ServerOptions::default()).await
    }

    /// Starts a server with explicit engine settings, authentication and limits.
    pub async fn start_full(config: EngineConfig, authentication: Authentication, options: ServerOptions) -> Self {
        if let Some(path) = &config.taxonomy_path
            && !path.exists()
        {
            std::fs::write(path, TEST_TAXONOMY).expect("write test taxonomy");
            Taxonomy::load(path).expect("test taxonomy parses");
        }
        let tenants = Arc::new(Tenants::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(service::serve(tenants, authentication, listener, options, async {
            let _ = stopped.await;
        }));
        // Lazy: a TLS server does not speak to this plaintext channel, and its tests
        // use their own clients.
        let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect_lazy();
        Self {
            addr,
            alumni: AlumniServiceClient::new(channel.clone()),
            opportunities: OpportunityServiceClient::new(channel.clone()),
            matcher: MatchServiceClient::new(channel.clone()),
            channel,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Graceful shutdown; waits until the engine has flushed and released its files.
    pub async fn stop(self) {
        let Self {
            channel,
            alumni,
            opportunities,
            matcher,
            stop,
            task,
            ..
        } = self;
        // Close the client side first so the server's drain does not wait for us.
        drop((channel, alumni, opportunities, matcher));
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        if let Some(task) = task {
            task.await.unwrap().expect("server stops cleanly");
        }
    }

    /// Upserts alumni, panicking on error.
    pub async fn upsert(&mut self, alumni: Vec<proto::Alumnus>) {
        self.alumni
            .upsert_alumni(proto::UpsertAlumniRequest { alumni })
            .await
            .expect("upsert alumni");
    }

    /// Upserts opportunities, panicking on error.
    pub async fn upsert_opportunities(&mut self, opportunities: Vec<proto::Opportunity>) {
        self.opportunities
            .upsert_opportunities(proto::UpsertOpportunitiesRequest {
                opportunities,
                rescore: false,
            })
            .await
            .expect("upsert opportunities");
    }

    /// Matches a stored opportunity with explanations.
    pub async fn match_ids(&mut self, opportunity_id: &str, limit: u32) -> proto::MatchResponse {
        self.matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::OpportunityId(opportunity_id.into())),
                limit,
                explain: true,
                ..Default::default()
            })
            .await
            .expect("match")
            .into_inner()
    }

    /// Polls Match until `predicate` holds (the index follows writes within a
    /// commit interval), failing after five seconds.
    pub async fn match_until(
        &mut self,
        opportunity_id: &str,
        predicate: impl Fn(&proto::MatchResponse) -> bool,
    ) -> proto::MatchResponse {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let response = self.match_ids(opportunity_id, 100).await;
            if predicate(&response) {
                return response;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "condition not reached; last response: {response:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn ids(response: &proto::MatchResponse) -> Vec<&str> {
    response.candidates.iter().map(|c| c.alumnus_id.as_str()).collect()
}

/// An alumnus open to every kind, contactable and rehire-eligible, with the given skills.
pub fn alumnus(id: &str, name: &str, title: &str, skills: &[(&str, f32, u32)]) -> proto::Alumnus {
    proto::Alumnus {
        id: id.into(),
        display_name: name.into(),
        headline: title.into(),
        skills: skills
            .iter()
            .map(|(n, years, last)| proto::Skill {
                name: (*n).into(),
                years: *years,
                last_used_year: *last,
                level: proto::SkillLevel::Advanced as i32,
            })
            .collect(),
        positions: vec![
            proto::Position {
                organization: "Kairos Japan".into(),
                title: title.into(),
                department: "Engineering".into(),
                description: format!("{title} work"),
                start: "2016-04".into(),
                end: "2021-03".into(),
                at_company: true,
            },
            proto::Position {
                organization: "Tanaka Systems".into(),
                title: format!("Senior {title}"),
                start: "2021-04".into(),
                ..Default::default()
            },
        ],
        departure: Some(proto::Departure {
            left_on: "2021-03-31".into(),
            reason: proto::DepartureReason::CareerChange as i32,
            rehire_eligible: true,
        }),
        interests: Some(proto::Interests {
            open_to: vec![1, 2, 3, 4],
            statement: "Happy to help my former colleagues".into(),
            topics: vec![],
        }),
        languages: vec!["en".into()],
        consent: Some(proto::Consent { contact_allowed: true }),
        ..Default::default()
    }
}

/// An opportunity with required skills.
pub fn opportunity(id: &str, kind: proto::OpportunityKind, title: &str, required: &[&str]) -> proto::Opportunity {
    proto::Opportunity {
        id: id.into(),
        kind: kind as i32,
        title: title.into(),
        description: format!("We are looking for a {title}."),
        required_skills: required.iter().map(|s| (*s).into()).collect(),
        ..Default::default()
    }
}

/// The directory of a tenant's store and index under a server's data directory.
pub fn tenant_dir(data_dir: &Path, tenant: &str) -> std::path::PathBuf {
    data_dir.join("tenants").join(tenant)
}

/// The real `alumni-match serve` as a separate process on a free loopback port,
/// with its default authentication: the admin key it issues at first start.
/// Killed and reaped on drop, so a failing test leaves no stray server behind.
pub struct ServerProcess {
    child: Option<std::process::Child>,
    /// A connected channel carrying the admin key, ready once the server reports SERVING.
    pub channel: ClientChannel,
}

impl ServerProcess {
    /// Starts the server over `data_dir` (with the test taxonomy) and waits until
    /// its health check says SERVING. Logs at `log_level` go to `log_file`, or nowhere.
    pub async fn spawn(data_dir: &Path, log_file: Option<&Path>, log_level: &str) -> Self {
        use std::process::{Command, Stdio};
        use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::create_dir_all(data_dir).unwrap();
        let taxonomy = data_dir.join("taxonomy.tsv");
        std::fs::write(&taxonomy, TEST_TAXONOMY).unwrap();
        let stderr = match log_file {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap(),
            ),
            None => Stdio::null(),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_alumni-match"))
            .args([
                "serve",
                "--no-sample",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--log",
                log_level,
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--taxonomy-path")
            .arg(&taxonomy)
            .env("ALUMNI_MATCH_INDEX_COMMIT_INTERVAL_MS", "20")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start alumni-match serve");
        // Owned by a not-yet-connected process value so a timeout below still reaps it.
        let mut process = Self {
            child: Some(child),
            channel: tonic::service::interceptor::InterceptedService::new(
                Channel::from_static("http://127.0.0.1:1").connect_lazy(),
                service::ApiKeyInterceptor::new(None).unwrap(),
            ),
        };
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            // The admin key is written before the server listens, so it is there once we connect.
            let key = std::fs::read_to_string(data_dir.join("admin.key")).ok();
            if let Some(key) = key
                && let Ok(channel) = service::connect(&endpoint, Some(&key), None).await
                && let Ok(response) = HealthClient::new(channel.clone())
                    .check(HealthCheckRequest::default())
                    .await
                && response.into_inner().status == ServingStatus::Serving as i32
            {
                process.channel = channel;
                return process;
            }
            assert!(tokio::time::Instant::now() < deadline, "server did not become healthy");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no shutdown path runs.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM, then the exit status once the server has drained and stopped.
    /// Blocking: call it off the async runtime.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("server still running");
        drop(self); // close our channel so the drain does not wait for it
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        child.wait().unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
