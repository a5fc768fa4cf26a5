//! `alumni-match-tools bench`: the end-to-end load driver of `benches/run.sh`. A tonic
//! client in its own process, so client work never shares the server's runtime;
//! latencies go into an HDR histogram and every call's grpc-status is checked.

use std::{
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::{ToolError as CliError, service::Connection};
use crate::{
    domain::{Alumnus, OpportunityKind},
    proto::{
        self, alumni_service_client::AlumniServiceClient, match_request::Target,
        match_service_client::MatchServiceClient, opportunity_service_client::OpportunityServiceClient,
    },
    service::{self, ClientChannel, convert},
};

/// What to measure.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Time the retrieval stage alone, in this process: the BM25 query with the
    /// gates (top `retrieval_pool`) for each open stored opportunity in turn, with
    /// no gRPC, no records read and no re-ranking, so that those costs can be
    /// told apart from it. Opens a tenant's data directory with the default
    /// configuration; no server may be using it.
    Retrieve {
        /// The server's data directory.
        #[arg(long)]
        data_dir: PathBuf,
        /// The tenant whose index to query.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Queries in all (0: one per open opportunity).
        #[arg(long, default_value_t = 0)]
        requests: usize,
        /// Untimed queries first, to warm caches.
        #[arg(long, default_value_t = 50)]
        warmup: usize,
    },
    /// Match every open stored opportunity in turn (their full text is the query)
    /// from `concurrency` closed-loop workers; print latency percentiles and QPS.
    Match {
        /// Workers, each with one call in flight.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Calls in all (0: one per open opportunity).
        #[arg(long, default_value_t = 0)]
        requests: usize,
        /// Untimed calls first, to warm caches.
        #[arg(long, default_value_t = 50)]
        warmup: usize,
        /// Candidates per call.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Ask for explanations (on by default, as the workload).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        explain: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Write the top `limit` alumni ids of every open opportunity as JSONL
    /// (`{"query": id, "ids": [...]}`), to compare result overlap with baselines.
    Topk {
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Candidates per opportunity.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Only the first `queries` open opportunities in id order (0 = all), as
        /// the baselines' `QUERIES` takes the first N of the same list.
        #[arg(long, default_value_t = 0)]
        queries: usize,
        #[command(flatten)]
        connection: Connection,
    },
    /// Stream a JSONL file of alumni through ImportAlumni into an empty tenant and
    /// time it until durable (acknowledged) and until searchable (the index counts
    /// every imported alumnus).
    Import {
        /// The alumni file.
        file: PathBuf,
        /// Parallel streams, each importing every n-th line.
        #[arg(long, default_value_t = 2)]
        streams: usize,
        #[command(flatten)]
        connection: Connection,
    },
}

/// One measurement, printed as a JSON line for scripts.
#[derive(Debug, Serialize)]
struct Report {
    what: &'static str,
    concurrency: usize,
    calls: u64,
    errors: u64,
    seconds: f64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    searchable_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    searchable_per_second: Option<f64>,
    /// Candidates per call, for Match.
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
}

impl Report {
    /// A report of timed calls: `latencies` in microseconds over `seconds` of wall time.
    fn of_latencies(
        what: &'static str,
        concurrency: usize,
        latencies: &Histogram<u64>,
        errors: u64,
        seconds: f64,
    ) -> Self {
        Self {
            what,
            concurrency,
            calls: latencies.len(),
            errors,
            seconds,
            per_second: latencies.len() as f64 / seconds,
            p50_ms: latencies.value_at_quantile(0.5) as f64 / 1000.0,
            p99_ms: latencies.value_at_quantile(0.99) as f64 / 1000.0,
            max_ms: latencies.max() as f64 / 1000.0,
            searchable_seconds: None,
            searchable_per_second: None,
            limit: None,
        }
    }
}

/// Runs a bench command.
pub async fn run(command: BenchCommand) -> Result<(), CliError> {
    match command {
        BenchCommand::Retrieve {
            data_dir,
            tenant,
            requests,
            warmup,
        } => tokio::task::spawn_blocking(move || bench_retrieve(&data_dir, &tenant, requests, warmup))
            .await
            .map_err(|e| CliError::Client(format!("retrieval benchmark: {e}")))?,
        BenchCommand::Match {
            concurrency,
            requests,
            warmup,
            limit,
            explain,
            connection,
        } => bench_match(concurrency, requests, warmup, limit, explain, &connection).await,
        BenchCommand::Import {
            file,
            streams,
            connection,
        } => bench_import(&file, streams, &connection).await,
        BenchCommand::Topk {
            out,
            limit,
            queries,
            connection,
        } => top_k(&out, limit, queries, &connection).await,
    }
}

async fn connect(connection: &Connection) -> Result<ClientChannel, CliError> {
    let key = connection.api_key().map_err(CliError::Client)?;
    service::connect(&connection.server, key.as_deref(), connection.ca_certificate.as_deref())
        .await
        .map_err(CliError::Client)
}

fn histogram() -> Result<Histogram<u64>, CliError> {
    Histogram::new_with_bounds(1, 600_000_000, 3).map_err(|e| CliError::Client(format!("histogram: {e}")))
}

fn bench_retrieve(data_dir: &std::path::Path, tenant: &str, requests: usize, warmup: usize) -> Result<(), CliError> {
    use crate::{
        domain::OpportunityStatus,
        engine::{MAX_LIST_PAGE_SIZE, OpportunityQuery, Tenants},
    };
    let tenant = crate::access::TenantId::parse(tenant).map_err(|e| CliError::Client(e.to_string()))?;
    // The engine `serve` would open with its default configuration.
    let config = super::config::ServeConfig {
        data_dir: data_dir.to_path_buf(),
        ..Default::default()
    };
    let tenants = Tenants::new(config.engine_config()?);
    let engine = tenants.engine(&tenant)?;
    let mut opportunities = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = engine.list_opportunities(OpportunityQuery {
            kind: None,
            status: Some(OpportunityStatus::Open),
            page_size: MAX_LIST_PAGE_SIZE,
            page_token,
        })?;
        opportunities.extend(page.opportunities.into_iter().map(|o| o.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    if opportunities.is_empty() {
        return Err(CliError::Client("no open opportunities to use as queries".into()));
    }
    let total = if requests == 0 { opportunities.len() } else { requests };
    for i in 0..warmup.min(total) {
        engine.retrieve_only(&opportunities[i % opportunities.len()])?;
    }
    let mut latencies = histogram()?;
    let started = Instant::now();
    for i in 0..total {
        let call = Instant::now();
        engine.retrieve_only(&opportunities[i % opportunities.len()])?;
        latencies.saturating_record(call.elapsed().as_micros().max(1) as u64);
    }
    let seconds = started.elapsed().as_secs_f64();
    tenants.shutdown();
    print_report(&Report::of_latencies("retrieve", 1, &latencies, 0, seconds))
}

async fn bench_match(
    concurrency: usize,
    requests: usize,
    warmup: usize,
    limit: u32,
    explain: bool,
    connection: &Connection,
) -> Result<(), CliError> {
    let channel = connect(connection).await?;
    let opportunities = Arc::new(open_opportunities(&channel).await?);
    if opportunities.is_empty() {
        return Err(CliError::Client("no open opportunities to use as queries".into()));
    }
    let total = if requests == 0 { opportunities.len() } else { requests };
    let call = move |mut client: MatchServiceClient<ClientChannel>, id: String| async move {
        let started = Instant::now();
        let outcome = client
            .r#match(proto::MatchRequest {
                target: Some(Target::OpportunityId(id)),
                limit,
                explain,
                ..Default::default()
            })
            .await;
        (started.elapsed(), outcome.map(|r| r.into_inner().candidates.len()))
    };
    let client = MatchServiceClient::new(channel);
    for i in 0..warmup.min(total) {
        let _ = call(client.clone(), opportunities[i % opportunities.len()].clone()).await;
    }
    let next = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(histogram()?));
    let errors = Arc::new(Mutex::new(std::collections::BTreeMap::<String, u64>::new()));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (client, next, opportunities) = (client.clone(), next.clone(), opportunities.clone());
            let (latencies, errors) = (latencies.clone(), errors.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return;
                    }
                    let (elapsed, outcome) = call(client.clone(), opportunities[i % opportunities.len()].clone()).await;
                    match outcome {
                        Ok(_) => {
                            if let Ok(mut h) = latencies.lock() {
                                h.saturating_record(elapsed.as_micros().max(1) as u64);
                            }
                        }
                        Err(status) => {
                            if let Ok(mut e) = errors.lock() {
                                *e.entry(format!("{:?}", status.code())).or_default() += 1;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.map_err(|e| CliError::Client(format!("worker: {e}")))?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let latencies = latencies.lock().map_err(|_| CliError::Client("poisoned".into()))?;
    let errors = errors.lock().map_err(|_| CliError::Client("poisoned".into()))?;
    let failed: u64 = errors.values().sum();
    print_report(&Report {
        limit: Some(limit),
        ..Report::of_latencies("match", concurrency, &latencies, failed, seconds)
    })?;
    if failed > 0 {
        return Err(CliError::Client(format!("{failed} call(s) failed: {errors:?}")));
    }
    Ok(())
}

async fn bench_import(file: &std::path::Path, streams: usize, connection: &Connection) -> Result<(), CliError> {
    let text = std::fs::read_to_string(file).map_err(|e| CliError::Client(format!("{}: {e}", file.display())))?;
    let mut alumni = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let alumnus: Alumnus =
            serde_json::from_str(line).map_err(|e| CliError::Client(format!("{}:{}: {e}", file.display(), i + 1)))?;
        alumni.push(alumnus);
    }
    drop(text);
    let expected_referral = alumni
        .iter()
        .filter(|a| a.passes_gates(OpportunityKind::Referral))
        .count() as u64;
    let count = alumni.len();
    let streams = streams.max(1);
    let mut shards: Vec<Vec<proto::Alumnus>> = (0..streams).map(|_| Vec::new()).collect();
    for (i, alumnus) in alumni.into_iter().enumerate() {
        shards[i % streams].push(convert::alumnus_to_proto(alumnus));
    }
    let channel = connect(connection).await?;
    let started = Instant::now();
    let calls: Vec<_> = shards
        .into_iter()
        .map(|shard| {
            let mut client = AlumniServiceClient::new(channel.clone()).max_encoding_message_size(16 * 1024 * 1024);
            tokio::spawn(async move {
                client
                    .import_alumni(tokio_stream::iter(
                        shard.into_iter().map(proto::ImportAlumniRequest::from),
                    ))
                    .await
            })
        })
        .collect();
    for call in calls {
        call.await
            .map_err(|e| CliError::Client(format!("import task: {e}")))?
            .map_err(|s| CliError::Client(format!("import failed: {s}")))?;
    }
    let durable = started.elapsed().as_secs_f64();
    // Searchable: the index counts every imported alumnus eligible for REFERRAL
    // (the count covers all gate-passing documents, matching or not).
    let mut matcher = MatchServiceClient::new(channel);
    let probe = proto::Opportunity {
        kind: proto::OpportunityKind::Referral as i32,
        title: "engineer".into(),
        ..Default::default()
    };
    let searchable = loop {
        let total = matcher
            .r#match(proto::MatchRequest {
                target: Some(Target::Opportunity(probe.clone())),
                limit: 1,
                ..Default::default()
            })
            .await
            .map_err(|s| CliError::Client(format!("probe match: {s}")))?
            .into_inner()
            .total_eligible;
        if total >= expected_referral {
            break started.elapsed().as_secs_f64();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    print_report(&Report {
        what: "import",
        concurrency: streams,
        calls: count as u64,
        errors: 0,
        seconds: durable,
        per_second: count as f64 / durable,
        p50_ms: 0.0,
        p99_ms: 0.0,
        max_ms: 0.0,
        searchable_seconds: Some(searchable),
        searchable_per_second: Some(count as f64 / searchable),
        limit: None,
    })
}

async fn top_k(out: &std::path::Path, limit: u32, queries: usize, connection: &Connection) -> Result<(), CliError> {
    use std::io::Write;
    let channel = connect(connection).await?;
    let mut opportunities = open_opportunities(&channel).await?;
    if queries > 0 {
        opportunities.truncate(queries);
    }
    let mut matcher = MatchServiceClient::new(channel);
    let file = std::fs::File::create(out).map_err(|e| CliError::Client(format!("{}: {e}", out.display())))?;
    let mut writer = std::io::BufWriter::new(file);
    for id in opportunities {
        let response = matcher
            .r#match(proto::MatchRequest {
                target: Some(Target::OpportunityId(id.clone())),
                limit,
                ..Default::default()
            })
            .await
            .map_err(|s| CliError::Client(format!("match {id}: {s}")))?
            .into_inner();
        let ids: Vec<String> = response.candidates.into_iter().map(|c| c.alumnus_id).collect();
        let line = serde_json::json!({ "query": id, "ids": ids });
        writeln!(writer, "{line}").map_err(CliError::Output)?;
    }
    writer.flush().map_err(CliError::Output)
}

fn print_report(report: &Report) -> Result<(), CliError> {
    let json = serde_json::to_string(report).map_err(|e| CliError::Client(e.to_string()))?;
    println!("{json}");
    Ok(())
}

/// Ids of the open stored opportunities, in id order.
pub(super) async fn open_opportunities(channel: &ClientChannel) -> Result<Vec<String>, CliError> {
    let mut client = OpportunityServiceClient::new(channel.clone());
    let mut ids = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_opportunities(proto::ListOpportunitiesRequest {
                status: proto::OpportunityStatus::Open as i32,
                page_size: 1000,
                page_token,
                ..Default::default()
            })
            .await
            .map_err(|s| CliError::Client(format!("listing opportunities: {s}")))?
            .into_inner();
        ids.extend(page.opportunities.into_iter().map(|o| o.id));
        if page.next_page_token.is_empty() {
            return Ok(ids);
        }
        page_token = page.next_page_token;
    }
}
