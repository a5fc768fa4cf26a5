//! Test harness: a real alumni-match gRPC server on an ephemeral loopback port
//! with a temporary data directory, and builders for realistic fixtures.

#![allow(dead_code)]

pub mod raw;

/// The fields a status's BadRequest detail names, in order; a status without
/// the detail fails the test.
pub fn fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .unwrap_or_else(|| panic!("no BadRequest detail in {status:?}"))
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect()
}

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

    /// A stored shortlist, up to 1,000 candidates on one page.
    pub async fn shortlist(&mut self, opportunity_id: &str) -> proto::GetShortlistResponse {
        self.matcher
            .get_shortlist(proto::GetShortlistRequest {
                opportunity_id: opportunity_id.into(),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("shortlist")
            .into_inner()
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

/// Re-scores `ids` (every open opportunity when empty) and returns every
/// progress message of the stream.
pub async fn rescore(
    server: &mut TestServer,
    ids: &[&str],
    only_stale: bool,
    shortlist_size: u32,
) -> Vec<proto::RescoreProgress> {
    let mut stream = server
        .matcher
        .rescore(proto::RescoreRequest {
            opportunity_ids: ids.iter().map(|s| s.to_string()).collect(),
            shortlist_size,
            only_stale,
        })
        .await
        .expect("rescore starts")
        .into_inner();
    let mut messages = Vec::new();
    while let Some(message) = stream.message().await.expect("progress") {
        messages.push(message.progress.expect("every message carries progress"));
    }
    messages
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
        consent: Some(proto::Consent {
            contact_allowed: true,
            ..Default::default()
        }),
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
    /// A connected channel carrying the admin key, ready once the server answers.
    pub channel: ClientChannel,
    /// The server's address.
    pub addr: SocketAddr,
    /// Its HTTP routes' address (`/metrics`, `/healthz`).
    pub http_addr: SocketAddr,
}

/// How to start a [`ServerProcess`].
#[derive(Debug, Clone)]
pub struct ServerSetup {
    /// Where its log goes (appended), or nowhere.
    pub log_file: Option<std::path::PathBuf>,
    /// Its `--log` filter.
    pub log_level: String,
    /// Load the committed sample into a brand-new data directory (else `--no-sample`).
    pub sample: bool,
    /// Pass the small test taxonomy (else the server finds the real one).
    pub test_taxonomy: bool,
    /// More flags.
    pub args: Vec<String>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// The working directory (default: the test's).
    pub cwd: Option<std::path::PathBuf>,
    /// Wait for SERVING (else for any health answer: a server that starts with a
    /// damaged store reports NOT_SERVING).
    pub wait_serving: bool,
}

impl Default for ServerSetup {
    fn default() -> Self {
        Self {
            log_file: None,
            log_level: "warn".into(),
            sample: false,
            test_taxonomy: true,
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            wait_serving: true,
        }
    }
}

/// A server that exited instead of starting.
#[derive(Debug)]
pub struct StartFailure {
    /// Its exit status.
    pub status: std::process::ExitStatus,
    /// What it wrote to stderr.
    pub stderr: String,
}

impl ServerProcess {
    /// Starts the server over `data_dir` (with the test taxonomy) and waits until
    /// its health check says SERVING. Logs at `log_level` go to `log_file`, or nowhere.
    pub async fn spawn(data_dir: &Path, log_file: Option<&Path>, log_level: &str) -> Self {
        let setup = ServerSetup {
            log_file: log_file.map(Path::to_owned),
            log_level: log_level.into(),
            ..ServerSetup::default()
        };
        Self::start(data_dir, setup).await.expect("the server starts")
    }

    /// Starts the server as `setup` says; a server that exits before it answers
    /// is a [`StartFailure`] with its stderr.
    pub async fn start(data_dir: &Path, setup: ServerSetup) -> Result<Self, StartFailure> {
        use std::process::{Command, Stdio};
        use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

        let free_port = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let port = free_port();
        let http_port = free_port();
        let stderr_path = match &setup.log_file {
            Some(path) => path.clone(),
            None => std::env::temp_dir().join(format!("alumni-match-test-{}-{port}.log", std::process::id())),
        };
        let stderr = Stdio::from(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&stderr_path)
                .unwrap(),
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_alumni-match"));
        command
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--log",
                &setup.log_level,
                "--http-listen",
                &format!("127.0.0.1:{http_port}"),
            ])
            .arg("--data-dir")
            .arg(data_dir);
        if !setup.sample {
            command.arg("--no-sample");
        }
        if setup.test_taxonomy {
            let taxonomy = std::env::temp_dir().join(format!("alumni-match-test-taxonomy-{}.tsv", std::process::id()));
            std::fs::write(&taxonomy, TEST_TAXONOMY).unwrap();
            command.arg("--taxonomy-path").arg(&taxonomy);
        }
        if let Some(cwd) = &setup.cwd {
            command.current_dir(cwd);
        }
        let child = command
            .args(&setup.args)
            .env("ALUMNI_MATCH_INDEX_COMMIT_INTERVAL_MS", "20")
            .envs(setup.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start alumni-match serve");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        // Owned by a not-yet-connected process value so a timeout below still reaps it.
        let mut process = Self {
            child: Some(child),
            channel: tonic::service::interceptor::InterceptedService::new(
                Channel::from_static("http://127.0.0.1:1").connect_lazy(),
                service::ApiKeyInterceptor::new(None).unwrap(),
            ),
            addr,
            http_addr: format!("127.0.0.1:{http_port}").parse().unwrap(),
        };
        let endpoint = format!("http://{addr}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(child) = process.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                process.child = None;
                let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                return Err(StartFailure { status, stderr });
            }
            // The admin key is written before the server listens, so it is there once we connect.
            let key = std::fs::read_to_string(data_dir.join("admin.key")).ok();
            if let Some(key) = key
                && let Ok(channel) = service::connect(&endpoint, Some(&key), None).await
                && let Ok(response) = HealthClient::new(channel.clone())
                    .check(HealthCheckRequest::default())
                    .await
                && (!setup.wait_serving || response.into_inner().status == ServingStatus::Serving as i32)
            {
                process.channel = channel;
                return Ok(process);
            }
            assert!(tokio::time::Instant::now() < deadline, "server did not become healthy");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(std::process::Child::id).unwrap_or(0)
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

/// A plain HTTP/1.1 exchange with the server's HTTP listener: (status, headers
/// with lower-case names, body). The body must be sized, not chunked.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, std::collections::HashMap<String, String>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the HTTP listener");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).expect("a UTF-8 response");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: std::collections::HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    assert!(
        !headers
            .get("transfer-encoding")
            .is_some_and(|value| value.contains("chunked")),
        "a sized body"
    );
    (status, headers, body.to_owned())
}

/// `GET path` on the HTTP listener.
pub async fn http_get(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, std::collections::HashMap<String, String>, String) {
    http_request(addr, "GET", path, headers, "").await
}

/// `POST path` with a JSON body and an API key, as the console calls the gateway.
pub async fn http_post_json(
    addr: SocketAddr,
    path: &str,
    key: &str,
    body: &str,
) -> (u16, std::collections::HashMap<String, String>, String) {
    let bearer = format!("Bearer {key}");
    http_request(
        addr,
        "POST",
        path,
        &[("content-type", "application/json"), ("authorization", &bearer)],
        body,
    )
    .await
}
