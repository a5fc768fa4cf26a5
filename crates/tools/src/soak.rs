//! `alumni-match-tools soak`: a steady mixed load against a running server (imports,
//! matches, re-scores and deletes) for a fixed time, counting every non-OK status
//! and sampling the server's resident memory, to show that nothing fails and that
//! memory levels off.

use std::{
    collections::{BTreeMap, VecDeque},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use tokio::sync::Semaphore;

use crate::{ToolError as CliError, service::Connection};
use crate::{
    domain::Alumnus,
    proto::{
        self, alumni_service_client::AlumniServiceClient, match_request::Target,
        match_service_client::MatchServiceClient,
    },
    service::{self, ClientChannel, convert},
};

/// Settings of a soak run.
#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 600)]
    pub duration_secs: u64,
    /// Operations started per second (a steady rate, not as fast as possible).
    #[arg(long, default_value_t = 40)]
    pub rate: u32,
    /// Profiles used as templates for the alumni written during the run.
    #[arg(long, default_value = "data/sample/alumni.jsonl")]
    pub alumni: PathBuf,
    /// The server's process id, to sample its resident memory (VmRSS).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Seconds between progress lines and memory samples.
    #[arg(long, default_value_t = 30)]
    pub report_every_secs: u64,
    #[command(flatten)]
    pub connection: Connection,
}

/// The operations of the mix, in the order of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Operation {
    Match,
    MatchForAlumnus,
    Upsert,
    Import,
    Delete,
    Rescore,
    /// A request with 10,000 repeated kinds: refused with INVALID_ARGUMENT.
    RepeatedFields,
    /// An import stream that never sends: ended when idle, or shed.
    IdleStream,
    /// An import whose key is revoked while it is open.
    RevokedMidStream,
}

/// One cycle of 20 slots: 10 matches, 2 for-alumnus matches, 2 upserts and 2
/// imports of 5 alumni each, 1 delete of 20, 1 re-score of one opportunity, and
/// two probe slots (a repeated-fields request, and in turn an idle stream or a
/// revocation mid-stream). Writes and deletes balance (20 alumni each per cycle),
/// so the data size stays steady and memory growth would be a leak, not data.
const SCHEDULE: [Operation; 20] = {
    use Operation::*;
    [
        Match,
        Upsert,
        Match,
        MatchForAlumnus,
        Match,
        Import,
        RepeatedFields,
        Delete,
        Match,
        Match,
        Upsert,
        Match,
        Rescore,
        Match,
        Import,
        Match,
        MatchForAlumnus,
        IdleStream,
        Match,
        Match,
    ]
};
/// Idle streams held at once by the probes.
const MAX_IDLE_PROBES: usize = 2;
const WRITE_BATCH: usize = 5;
const DELETE_BATCH: usize = 20;

struct Clients {
    alumni: AlumniServiceClient<ClientChannel>,
    matcher: MatchServiceClient<ClientChannel>,
}

struct Tally {
    latency: BTreeMap<Operation, Histogram<u64>>,
    errors: BTreeMap<(Operation, String), u64>,
    /// Probe outcomes that are the server doing its job (a refusal, a shed idle
    /// stream), by probe and status code.
    expected: BTreeMap<(Operation, String), u64>,
}

impl Tally {
    /// Latency histograms from 1 µs to 10 minutes at 3 significant digits.
    fn new() -> Result<Self, CliError> {
        let mut latency = BTreeMap::new();
        for operation in SCHEDULE {
            let histogram = Histogram::new_with_bounds(1, 600_000_000, 3)
                .map_err(|e| CliError::Client(format!("latency histogram: {e}")))?;
            latency.entry(operation).or_insert(histogram);
        }
        for probe in [
            Operation::RepeatedFields,
            Operation::IdleStream,
            Operation::RevokedMidStream,
        ] {
            let histogram = Histogram::new_with_bounds(1, 600_000_000, 3)
                .map_err(|e| CliError::Client(format!("latency histogram: {e}")))?;
            latency.entry(probe).or_insert(histogram);
        }
        Ok(Self {
            latency,
            errors: BTreeMap::new(),
            expected: BTreeMap::new(),
        })
    }
}

/// Runs the soak and prints the report; fails if any call failed.
pub async fn run(args: SoakArgs) -> Result<(), CliError> {
    let templates = load_templates(&args.alumni)?;
    let key = args.connection.api_key().map_err(CliError::Client)?;
    let channel = service::connect(
        &args.connection.server,
        key.as_deref(),
        args.connection.ca_certificate.as_deref(),
    )
    .await
    .map_err(CliError::Client)?;
    let opportunities = super::bench::open_opportunities(&channel).await?;
    if opportunities.is_empty() {
        return Err(CliError::Client("the server has no open opportunities to match".into()));
    }
    let clients = Clients {
        alumni: AlumniServiceClient::new(channel.clone()),
        matcher: MatchServiceClient::new(channel.clone()),
    };
    let probes = Probes::new(&args.connection, channel).await?;
    let tally = Arc::new(Mutex::new(Tally::new()?));
    let written: Arc<Mutex<VecDeque<String>>> = Arc::default();
    // Never more than 64 operations outstanding: a stalled server shows up as
    // missed ticks in the report instead of an unbounded pile of tasks.
    let in_flight = Arc::new(Semaphore::new(64));
    let started = Instant::now();
    let end = started + Duration::from_secs(args.duration_secs);
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1))));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_report = started + Duration::from_secs(args.report_every_secs.max(1));
    let mut memory: Vec<(u64, u64)> = Vec::new();
    let mut sequence: u64 = 0;
    let mut skipped: u64 = 0;
    if let Some(rss) = args.server_pid.and_then(resident_kib) {
        memory.push((0, rss));
    }
    println!(
        "soak: {} ops/s for {} s against {}",
        args.rate, args.duration_secs, args.connection.server
    );
    while Instant::now() < end {
        ticks.tick().await;
        let operation = SCHEDULE[(sequence % SCHEDULE.len() as u64) as usize];
        sequence += 1;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            skipped += 1;
            continue;
        };
        let mut alumni = clients.alumni.clone();
        let mut matcher = clients.matcher.clone();
        let task_tally = tally.clone();
        let written = written.clone();
        let opportunity = opportunities[(sequence as usize) % opportunities.len()].clone();
        let batch: Vec<proto::Alumnus> = (0..WRITE_BATCH)
            .map(|i| {
                let mut alumnus = templates[(sequence as usize * WRITE_BATCH + i) % templates.len()].clone();
                alumnus.id = format!("soak-{sequence}-{i}");
                convert::alumnus_to_proto(alumnus)
            })
            .collect();
        let probe_alumnus = templates[(sequence as usize) % templates.len()].id.clone();
        let probes = probes.clone();
        let cycle = sequence / SCHEDULE.len() as u64;
        tokio::spawn(async move {
            let _permit = permit;
            let began = Instant::now();
            let outcome: Result<(), Probed> = match operation {
                Operation::RepeatedFields => probes.repeated_fields(probe_alumnus).await,
                Operation::IdleStream if cycle.is_multiple_of(2) => probes.idle_stream().await,
                Operation::IdleStream | Operation::RevokedMidStream => probes.revoked_mid_stream(sequence).await,
                _ => load_operation(
                    operation,
                    &mut matcher,
                    &mut alumni,
                    &written,
                    opportunity,
                    batch,
                    probe_alumnus,
                )
                .await
                .map_err(Probed::Failed),
            };
            let micros = began.elapsed().as_micros() as u64;
            let operation = if operation == Operation::IdleStream && !cycle.is_multiple_of(2) {
                Operation::RevokedMidStream
            } else {
                operation
            };
            if let Ok(mut tally) = task_tally.lock() {
                match outcome {
                    Ok(()) | Err(Probed::Expected(_)) => {
                        if let Err(Probed::Expected(code)) = &outcome {
                            *tally.expected.entry((operation, code.clone())).or_default() += 1;
                        }
                        if let Some(histogram) = tally.latency.get_mut(&operation) {
                            // Values beyond the bounds saturate rather than fail.
                            histogram.saturating_record(micros.max(1));
                        }
                    }
                    Err(Probed::Skipped) => {}
                    Err(Probed::Failed(status)) => {
                        *tally
                            .errors
                            .entry((operation, format!("{:?}: {}", status.code(), status.message())))
                            .or_default() += 1;
                    }
                }
            }
        });
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(args.report_every_secs.max(1));
            let elapsed = started.elapsed().as_secs();
            let rss = args.server_pid.and_then(resident_kib);
            if let Some(rss) = rss {
                memory.push((elapsed, rss));
            }
            let (done, errors) = tally
                .lock()
                .map(|t| {
                    (
                        t.latency.values().map(Histogram::len).sum::<u64>(),
                        t.errors.values().sum::<u64>(),
                    )
                })
                .unwrap_or_default();
            println!(
                "  {elapsed:>5} s  {done:>8} ok  {errors:>4} errors  {skipped:>4} skipped  server RSS {}",
                rss.map(|kib| format!("{:.1} MiB", kib as f64 / 1024.0))
                    .unwrap_or_else(|| "-".into())
            );
        }
    }
    // Let outstanding operations finish before the report.
    let _all = in_flight
        .acquire_many(64)
        .await
        .map_err(|e| CliError::Client(format!("soak tasks: {e}")))?;
    if let Some(rss) = args.server_pid.and_then(resident_kib) {
        memory.push((started.elapsed().as_secs(), rss));
    }
    let tally = tally
        .lock()
        .map_err(|_| CliError::Client("soak tally poisoned".into()))?;
    print_report(&tally, &memory, skipped, started.elapsed());
    let errors: u64 = tally.errors.values().sum();
    if errors > 0 || skipped > 0 {
        return Err(CliError::Client(format!(
            "soak failed: {errors} error(s), {skipped} skipped tick(s)"
        )));
    }
    Ok(())
}

fn print_report(tally: &Tally, memory: &[(u64, u64)], skipped: u64, elapsed: Duration) {
    println!("\noperation          count   p50 ms   p99 ms   max ms");
    let mut total = 0;
    for (operation, histogram) in tally.latency.iter().filter(|(_, h)| !h.is_empty()) {
        total += histogram.len();
        println!(
            "{:<16} {:>7} {:>8.2} {:>8.2} {:>8.2}",
            format!("{operation:?}"),
            histogram.len(),
            histogram.value_at_quantile(0.5) as f64 / 1000.0,
            histogram.value_at_quantile(0.99) as f64 / 1000.0,
            histogram.max() as f64 / 1000.0
        );
    }
    let errors: u64 = tally.errors.values().sum();
    println!(
        "total {total} ok in {:.0} s ({:.1}/s), {errors} error(s), {skipped} skipped tick(s)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    for ((operation, status), count) in &tally.errors {
        println!("  error {operation:?} x{count}: {status}");
    }
    for ((operation, code), count) in &tally.expected {
        println!("  probe {operation:?} x{count}: {code} (expected)");
    }
    if !memory.is_empty() {
        let line: Vec<String> = memory
            .iter()
            .map(|(at, kib)| format!("{at}s={:.1}", *kib as f64 / 1024.0))
            .collect();
        println!("server RSS (MiB): {}", line.join(" "));
    }
}

/// VmRSS of a process, in KiB (Linux).
fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

fn load_templates(path: &Path) -> Result<Vec<Alumnus>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Client(format!("{}: {e}", path.display())))?;
    let alumni = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str::<Alumnus>(line)
                .map_err(|e| CliError::Client(format!("{}:{}: {e}", path.display(), i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if alumni.is_empty() {
        return Err(CliError::Client(format!("{}: no alumni", path.display())));
    }
    Ok(alumni)
}

/// One operation of the load (not a probe).
async fn load_operation(
    operation: Operation,
    matcher: &mut MatchServiceClient<ClientChannel>,
    alumni: &mut AlumniServiceClient<ClientChannel>,
    written: &Mutex<VecDeque<String>>,
    opportunity: String,
    batch: Vec<proto::Alumnus>,
    probe_alumnus: String,
) -> Result<(), tonic::Status> {
    match operation {
        Operation::Match => matcher
            .r#match(proto::MatchRequest {
                target: Some(Target::OpportunityId(opportunity)),
                limit: 50,
                explain: true,
                ..Default::default()
            })
            .await
            .map(drop),
        Operation::MatchForAlumnus => matcher
            .match_for_alumnus(proto::MatchForAlumnusRequest {
                alumnus_id: probe_alumnus,
                limit: 10,
                explain: true,
                ..Default::default()
            })
            .await
            .map(drop),
        Operation::Upsert | Operation::Import => {
            let ids: Vec<String> = batch.iter().map(|a| a.id.clone()).collect();
            let result = if operation == Operation::Upsert {
                alumni
                    .upsert_alumni(proto::UpsertAlumniRequest { alumni: batch })
                    .await
                    .map(drop)
            } else {
                alumni
                    .import_alumni(tokio_stream::iter(
                        batch.into_iter().map(proto::ImportAlumniRequest::from),
                    ))
                    .await
                    .map(drop)
            };
            if result.is_ok()
                && let Ok(mut written) = written.lock()
            {
                written.extend(ids);
            }
            result
        }
        Operation::Delete => {
            let ids: Vec<String> = match written.lock() {
                Ok(mut written) => {
                    let n = written.len().min(DELETE_BATCH);
                    written.drain(..n).collect()
                }
                Err(_) => Vec::new(),
            };
            if ids.is_empty() {
                Ok(())
            } else {
                alumni.delete_alumni(proto::DeleteAlumniRequest { ids }).await.map(drop)
            }
        }
        Operation::Rescore => {
            async {
                let mut stream = matcher
                    .rescore(proto::RescoreRequest {
                        opportunity_ids: vec![opportunity],
                        shortlist_size: 100,
                        only_stale: false,
                    })
                    .await?
                    .into_inner();
                while stream.message().await?.is_some() {}
                Ok(())
            }
            .await
        }
        _ => Ok(()),
    }
}

/// How a probe ended: as the server should (a refusal), not run (a probe of its
/// kind already running), or failed.
enum Probed {
    Expected(String),
    Skipped,
    Failed(tonic::Status),
}

/// The reliability probes and the keys they use.
#[derive(Clone)]
struct Probes {
    matcher: MatchServiceClient<ClientChannel>,
    alumni: AlumniServiceClient<ClientChannel>,
    server: String,
    keys: Option<crate::access::KeyFile>,
    /// The idle-stream probe's own key, so its held permits never shed the load.
    idle_channel: Option<ClientChannel>,
    idle_in_flight: Arc<std::sync::atomic::AtomicUsize>,
    revocation_running: Arc<std::sync::atomic::AtomicBool>,
}

impl Probes {
    async fn new(connection: &Connection, channel: ClientChannel) -> Result<Self, CliError> {
        let key_path = connection.data_dir.join("api-keys.toml");
        let keys = key_path.exists().then(|| crate::access::KeyFile::new(key_path));
        let idle_channel = match &keys {
            Some(keys) => {
                let issued = keys
                    .issue(
                        crate::access::TenantId::default_tenant(),
                        crate::access::Role::Admin,
                        "soak idle-stream probe",
                    )
                    .map_err(|e| CliError::Client(e.to_string()))?;
                let channel = crate::service::connect(&connection.server, Some(&issued.key), None)
                    .await
                    .map_err(CliError::Client)?;
                wait_until_accepted(&channel).await?;
                Some(channel)
            }
            None => None,
        };
        Ok(Self {
            matcher: MatchServiceClient::new(channel.clone()),
            alumni: AlumniServiceClient::new(channel),
            server: connection.server.clone(),
            keys,
            idle_channel,
            idle_in_flight: Arc::default(),
            revocation_running: Arc::default(),
        })
    }

    async fn repeated_fields(&self, alumnus_id: String) -> Result<(), Probed> {
        let outcome = self
            .matcher
            .clone()
            .match_for_alumnus(proto::MatchForAlumnusRequest {
                alumnus_id,
                kinds: vec![proto::OpportunityKind::Referral as i32; 10_000],
                limit: 10,
                explain: false,
            })
            .await;
        match outcome {
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                Err(Probed::Expected("InvalidArgument".into()))
            }
            Err(status) => Err(Probed::Failed(status)),
            Ok(_) => Err(Probed::Failed(tonic::Status::unknown(
                "10,000 repeated kinds were accepted",
            ))),
        }
    }

    async fn idle_stream(&self) -> Result<(), Probed> {
        use std::sync::atomic::Ordering;
        let Some(channel) = &self.idle_channel else {
            return Err(Probed::Skipped);
        };
        if self.idle_in_flight.fetch_add(1, Ordering::AcqRel) >= MAX_IDLE_PROBES {
            self.idle_in_flight.fetch_sub(1, Ordering::AcqRel);
            return Err(Probed::Skipped);
        }
        let (sender, receiver) = tokio::sync::mpsc::channel::<proto::Alumnus>(1);
        let outcome = AlumniServiceClient::new(channel.clone())
            .import_alumni(tokio_stream::StreamExt::map(
                tokio_stream::wrappers::ReceiverStream::new(receiver),
                proto::ImportAlumniRequest::from,
            ))
            .await;
        drop(sender);
        self.idle_in_flight.fetch_sub(1, Ordering::AcqRel);
        match outcome {
            Err(status)
                if matches!(
                    status.code(),
                    tonic::Code::DeadlineExceeded | tonic::Code::ResourceExhausted
                ) =>
            {
                Err(Probed::Expected(format!("{:?}", status.code())))
            }
            Err(status) => Err(Probed::Failed(status)),
            Ok(_) => Err(Probed::Failed(tonic::Status::unknown("an idle stream was never ended"))),
        }
    }

    /// Issues a key, opens an import with it, sends two items, revokes the key,
    /// sends three more: the stream must end UNAUTHENTICATED and none of the
    /// three be stored.
    async fn revoked_mid_stream(&self, sequence: u64) -> Result<(), Probed> {
        use std::sync::atomic::Ordering;
        let Some(keys) = &self.keys else {
            return Err(Probed::Skipped);
        };
        if self.revocation_running.swap(true, Ordering::AcqRel) {
            return Err(Probed::Skipped);
        }
        let outcome = self.revoke_once(keys, sequence).await;
        self.revocation_running.store(false, Ordering::Release);
        outcome
    }

    async fn revoke_once(&self, keys: &crate::access::KeyFile, sequence: u64) -> Result<(), Probed> {
        let failed = |message: String| Probed::Failed(tonic::Status::unknown(message));
        let issued = keys
            .issue(
                crate::access::TenantId::default_tenant(),
                crate::access::Role::Admin,
                "soak revocation probe",
            )
            .map_err(|e| failed(e.to_string()))?;
        let channel = crate::service::connect(&self.server, Some(&issued.key), None)
            .await
            .map_err(failed)?;
        wait_until_accepted(&channel).await.map_err(|e| failed(e.to_string()))?;
        let item = |tag: &str, i: usize| proto::Alumnus {
            id: format!("revoke-{sequence}-{tag}-{i}"),
            display_name: "Probe".into(),
            consent: Some(proto::Consent {
                contact_allowed: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        let (sender, receiver) = tokio::sync::mpsc::channel::<proto::Alumnus>(8);
        let mut importer = AlumniServiceClient::new(channel.clone());
        let import = tokio::spawn(async move {
            importer
                .import_alumni(tokio_stream::StreamExt::map(
                    tokio_stream::wrappers::ReceiverStream::new(receiver),
                    proto::ImportAlumniRequest::from,
                ))
                .await
        });
        for i in 0..2 {
            let _ = sender.send(item("before", i)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        keys.revoke(&issued.record.id).map_err(|e| failed(e.to_string()))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match MatchServiceClient::new(channel.clone())
                .r#match(proto::MatchRequest::default())
                .await
            {
                Err(status) if status.code() == tonic::Code::Unauthenticated => break,
                _ if Instant::now() > deadline => {
                    return Err(failed("the revoked key was still accepted after 10 s".into()));
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        for i in 0..3 {
            let _ = sender.send(item("after", i)).await;
        }
        drop(sender);
        let ended = import.await.map_err(|e| failed(e.to_string()))?;
        let mut alumni = self.alumni.clone();
        for i in 0..3 {
            let id = format!("revoke-{sequence}-after-{i}");
            if alumni.get_alumnus(proto::GetAlumnusRequest { id }).await.is_ok() {
                return Err(failed("an item sent after the revocation was stored".into()));
            }
        }
        let before: Vec<String> = (0..2).map(|i| format!("revoke-{sequence}-before-{i}")).collect();
        let _ = alumni.delete_alumni(proto::DeleteAlumniRequest { ids: before }).await;
        match ended {
            Err(status) if status.code() == tonic::Code::Unauthenticated => {
                Err(Probed::Expected("Unauthenticated".into()))
            }
            Err(status) => Err(Probed::Failed(status)),
            Ok(_) => Err(failed("a revoked key's stream completed".into())),
        }
    }
}

/// Waits (up to 10 s) until the server has loaded a newly issued key.
async fn wait_until_accepted(channel: &ClientChannel) -> Result<(), CliError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match MatchServiceClient::new(channel.clone())
            .r#match(proto::MatchRequest::default())
            .await
        {
            Err(status) if status.code() == tonic::Code::Unauthenticated => {
                if Instant::now() > deadline {
                    return Err(CliError::Client(
                        "a newly issued key was not accepted within 10 s".into(),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ => return Ok(()),
        }
    }
}
