//! Operators' metrics, in the Prometheus text exposition format (0.0.4), served at
//! `/metrics` by the HTTP listener (see `http.rs`).
//!
//! Calls are counted as they end (by the audit layer, so every RPC is, refused
//! ones included); everything else is read when scraped: permits from the
//! admission pools, sizes and lag from each open tenant's engine. Labels are
//! method, status code, pool, limit and tenant id: never a key, an alumnus or
//! anything from a request.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    sync::{Arc, Mutex},
    time::Duration,
};

use tonic::Code;

use super::{AccessLog, layers::Admission};
use crate::engine::{EngineStats, Tenants};

/// Upper bounds of the call-latency buckets, in seconds: from a cached Match on a
/// small tenant (1 ms) to a long import or re-score stream.
const LATENCY_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// The counters calls update as they end; cheap to clone (shared).
#[derive(Clone, Default)]
pub struct CallMetrics {
    methods: Arc<Mutex<BTreeMap<&'static str, MethodStats>>>,
}

#[derive(Default)]
struct MethodStats {
    by_code: BTreeMap<&'static str, u64>,
    /// Calls at or under each bound of [`LATENCY_BUCKETS`] (not cumulative here).
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    seconds: f64,
}

impl CallMetrics {
    /// One call of `method` ended with `code` after `elapsed`.
    pub fn observe(&self, method: &'static str, code: Code, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let Ok(mut methods) = self.methods.lock() else {
            return;
        };
        let stats = methods.entry(method).or_default();
        *stats.by_code.entry(code_name(code)).or_default() += 1;
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|&bound| seconds <= bound) {
            stats.buckets[bucket] += 1;
        }
        stats.count += 1;
        stats.seconds += seconds;
    }
}

/// The gRPC status code as the gRPC specification spells it (`OK`, `NOT_FOUND`, …).
pub(super) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Everything `/metrics` reports, from where it lives.
#[derive(Clone)]
pub struct MetricsSource {
    /// Calls by method and status, and their latency.
    pub calls: CallMetrics,
    /// The server's permit pools.
    pub admission: Arc<Admission>,
    /// The tenants, for their engines' sizes and lag.
    pub tenants: Arc<Tenants>,
    /// The access log, for records lost to a full disk.
    pub access_log: AccessLog,
}

impl MetricsSource {
    /// The exposition text. Blocking: it reads file sizes of each open tenant.
    pub fn render(&self) -> String {
        let mut out = Exposition::default();
        self.render_calls(&mut out);
        self.render_admission(&mut out);
        let engines: Vec<(String, EngineStats)> = self
            .tenants
            .open_engines()
            .into_iter()
            .map(|(tenant, engine)| (tenant.to_string(), engine.stats()))
            .collect();
        render_engines(&mut out, &engines);
        out.family(
            "alumni_match_access_log_lost_records",
            "gauge",
            "Access records not written since the last successful write (a full disk).",
        );
        out.sample(
            "alumni_match_access_log_lost_records",
            &[],
            self.access_log.lost() as f64,
        );
        out.text
    }

    fn render_calls(&self, out: &mut Exposition) {
        let Ok(methods) = self.calls.methods.lock() else {
            return;
        };
        out.family(
            "alumni_match_calls_total",
            "counter",
            "RPCs ended, by method and gRPC status code (refused ones included).",
        );
        for (method, stats) in methods.iter() {
            for (code, count) in &stats.by_code {
                out.sample(
                    "alumni_match_calls_total",
                    &[("method", method), ("code", code)],
                    *count as f64,
                );
            }
        }
        out.family(
            "alumni_match_call_duration_seconds",
            "histogram",
            "Wall time of RPCs, from the first byte of the request to the end of the response, by method.",
        );
        for (method, stats) in methods.iter() {
            let mut cumulative = 0;
            for (bound, count) in LATENCY_BUCKETS.iter().zip(stats.buckets) {
                cumulative += count;
                out.sample(
                    "alumni_match_call_duration_seconds_bucket",
                    &[("method", method), ("le", &bound.to_string())],
                    cumulative as f64,
                );
            }
            out.sample(
                "alumni_match_call_duration_seconds_bucket",
                &[("method", method), ("le", "+Inf")],
                stats.count as f64,
            );
            out.sample(
                "alumni_match_call_duration_seconds_sum",
                &[("method", method)],
                stats.seconds,
            );
            out.sample(
                "alumni_match_call_duration_seconds_count",
                &[("method", method)],
                stats.count as f64,
            );
        }
    }

    fn render_admission(&self, out: &mut Exposition) {
        let (calls, streams) = self.admission.in_use();
        let limits = self.admission.limits();
        out.family(
            "alumni_match_permits_in_use",
            "gauge",
            "Concurrency permits held now, by pool (unary calls, streams).",
        );
        out.sample("alumni_match_permits_in_use", &[("pool", "calls")], calls as f64);
        out.sample("alumni_match_permits_in_use", &[("pool", "streams")], streams as f64);
        out.family(
            "alumni_match_permits_limit",
            "gauge",
            "Concurrency permits the server's pool has, by pool.",
        );
        out.sample("alumni_match_permits_limit", &[("pool", "calls")], limits.calls as f64);
        out.sample(
            "alumni_match_permits_limit",
            &[("pool", "streams")],
            limits.streams as f64,
        );
        out.family(
            "alumni_match_calls_shed_total",
            "counter",
            "Calls refused with RESOURCE_EXHAUSTED because a pool was full, by pool and by the limit reached (server, tenant, key).",
        );
        for (pool, limit, count) in self.admission.shed() {
            out.sample(
                "alumni_match_calls_shed_total",
                &[("pool", pool), ("limit", limit)],
                count as f64,
            );
        }
    }
}

fn render_engines(out: &mut Exposition, engines: &[(String, EngineStats)]) {
    out.family("alumni_match_tenants_open", "gauge", "Tenants whose engine is open.");
    out.sample("alumni_match_tenants_open", &[], engines.len() as f64);
    type Field = fn(&EngineStats) -> f64;
    let families: [(&str, &str, &str, Field); 13] = [
        (
            "alumni_match_documents",
            "gauge",
            "Alumni searchable in the tenant's index.",
            |s| s.documents as f64,
        ),
        (
            "alumni_match_index_segments",
            "gauge",
            "Segments of the tenant's index.",
            |s| s.segments as f64,
        ),
        (
            "alumni_match_index_lag",
            "gauge",
            "Store change-log sequence minus the sequence the index reflects: writes acknowledged but not yet searchable.",
            |s| s.index_lag as f64,
        ),
        (
            "alumni_match_index_failing",
            "gauge",
            "1 while the tenant's last index update failed (retried; acknowledged writes are kept in the store).",
            |s| f64::from(u8::from(s.index_failing)),
        ),
        (
            "alumni_match_store_healthy",
            "gauge",
            "1 when the tenant's store can make writes durable, 0 when not (a full disk, an I/O error, damage).",
            |s| f64::from(u8::from(s.store_healthy)),
        ),
        (
            "alumni_match_store_bytes",
            "gauge",
            "Size of the tenant's store file on disk, in bytes.",
            |s| s.store_bytes as f64,
        ),
        (
            "alumni_match_index_bytes",
            "gauge",
            "Size of the tenant's index on disk, in bytes.",
            |s| s.index_bytes as f64,
        ),
        (
            "alumni_match_rescore_runs_active",
            "gauge",
            "Re-score runs going on now (streamed and background).",
            |s| s.rescore_runs_active as f64,
        ),
        (
            "alumni_match_rescore_opportunities_planned_total",
            "counter",
            "Opportunities taken up by re-score runs since start-up.",
            |s| s.rescore_opportunities_planned as f64,
        ),
        (
            "alumni_match_rescore_opportunities_completed_total",
            "counter",
            "Opportunities re-scored (shortlist stored, or left to a run that already had them) since start-up.",
            |s| s.rescore_opportunities_completed as f64,
        ),
        (
            "alumni_match_ranking_profile_version",
            "gauge",
            "The tenant's ranking-profile version in force (0 = the server's base profiles; tune installs 1, 2, ...).",
            |s| f64::from(s.profile_version),
        ),
        (
            "alumni_match_outcomes_recorded_total",
            "counter",
            "Outcomes recorded since start-up (duplicates and refusals not counted).",
            |s| s.outcomes_recorded as f64,
        ),
        (
            "alumni_match_contacts_refused_total",
            "counter",
            "CONTACTED outcomes the tenant's contact policy refused since start-up (declined, not before, cap).",
            |s| s.contacts_refused as f64,
        ),
    ];
    for (name, kind, help, field) in families {
        out.family(name, kind, help);
        for (tenant, stats) in engines {
            out.sample(name, &[("tenant", tenant)], field(stats));
        }
    }
}

/// Text in the exposition format: `# HELP` and `# TYPE` per family, one line per
/// sample, label values escaped.
#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{label}=\"{}\"", escape_label(value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", format_value(value));
    }
}

fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Integers without a fraction; the special values as the format spells them.
fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_buckets_are_cumulative_and_end_with_every_call() {
        let calls = CallMetrics::default();
        calls.observe("Match", Code::Ok, Duration::from_millis(3));
        calls.observe("Match", Code::Ok, Duration::from_millis(40));
        calls.observe("Match", Code::NotFound, Duration::from_secs(1000));
        let mut out = Exposition::default();
        let source_calls = calls.methods.lock().unwrap();
        let stats = &source_calls["Match"];
        assert_eq!(stats.count, 3);
        assert_eq!(stats.by_code["OK"], 2);
        assert_eq!(stats.by_code["NOT_FOUND"], 1);
        // 3 ms falls in the 5 ms bucket, 40 ms in the 50 ms one; 1,000 s in none.
        assert_eq!(
            stats.buckets[LATENCY_BUCKETS.iter().position(|&b| b == 0.005).unwrap()],
            1
        );
        assert_eq!(
            stats.buckets[LATENCY_BUCKETS.iter().position(|&b| b == 0.05).unwrap()],
            1
        );
        assert_eq!(stats.buckets.iter().sum::<u64>(), 2);
        out.sample("x", &[("method", "a\"b\\c\nd")], 1.5);
        assert_eq!(out.text, "x{method=\"a\\\"b\\\\c\\nd\"} 1.5\n");
    }

    #[test]
    fn values_are_spelled_as_the_format_wants() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
    }
}
