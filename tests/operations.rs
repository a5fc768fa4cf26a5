//! What operators see: `/metrics` in the Prometheus text format, `/healthz`, and
//! JSON log lines, from a real server process.

mod common;

use std::{collections::HashMap, time::Duration};

use alumni_match::proto::{
    self, OpportunityKind, alumni_service_client::AlumniServiceClient, match_service_client::MatchServiceClient,
    opportunity_service_client::OpportunityServiceClient,
};
use common::{ServerProcess, ServerSetup, alumnus, http_get, opportunity};

/// Checks every line against the text format's grammar (a comment, or
/// `name{label="value",…} value`), each sample under a `# TYPE` of its family,
/// and returns the samples parsed by an independent parser.
fn parse_exposition(text: &str) -> prometheus_parse::Scrape {
    let mut typed: HashMap<String, String> = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                typed.insert(name.to_owned(), kind.to_owned()).is_none(),
                "one TYPE per family: {line}"
            );
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(!line.starts_with('#') && !line.is_empty(), "unexpected line {line:?}");
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        assert!(
            value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value),
            "value of {line:?}"
        );
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && !name.starts_with(|c: char| c.is_ascii_digit()),
            "metric name {name:?}"
        );
        if let Some(labels) = series.strip_prefix(name)
            && !labels.is_empty()
        {
            assert!(labels.starts_with('{') && labels.ends_with('}'), "labels of {line:?}");
            for pair in labels[1..labels.len() - 1].split("\",") {
                let (label, quoted) = pair.split_once('=').expect("label=\"value\"");
                assert!(label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
                assert!(quoted.starts_with('"'), "{line}");
            }
        }
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| typed.get(*base).is_some_and(|k| k == "histogram"))
            })
            .unwrap_or(name);
        assert!(typed.contains_key(family), "sample before its # TYPE: {line}");
    }
    prometheus_parse::Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).expect("parses as Prometheus text")
}

fn value(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == metric)
        .find(|sample| {
            labels
                .iter()
                .all(|(name, value)| sample.labels.get(name) == Some(*value))
        })
        .and_then(|sample| match &sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => Some(*v),
            _ => None,
        })
}

#[tokio::test]
async fn metrics_are_prometheus_text_counting_calls_permits_documents_and_store_size() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::spawn(&data, None, "warn").await;
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    let mut opportunities = OpportunityServiceClient::new(server.channel.clone());
    let mut matcher = MatchServiceClient::new(server.channel.clone());
    alumni
        .upsert_alumni(proto::UpsertAlumniRequest {
            alumni: (0..5)
                .map(|i| alumnus(&format!("private-id-{i}"), "Aiko", "SRE", &[("Kubernetes", 3.0, 2025)]))
                .collect(),
        })
        .await
        .unwrap();
    opportunities
        .upsert_opportunities(proto::UpsertOpportunitiesRequest {
            opportunities: vec![opportunity("o1", OpportunityKind::Rehire, "SRE", &["Kubernetes"])],
            rescore: false,
        })
        .await
        .unwrap();
    for _ in 0..3 {
        matcher
            .r#match(proto::MatchRequest {
                target: Some(proto::match_request::Target::OpportunityId("o1".into())),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let missing = alumni
        .get_alumnus(proto::GetAlumnusRequest { id: "nobody".into() })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);

    // Calls are counted as they end, and the index catches up: poll until both show.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (headers, text, scrape) = loop {
        let (status, headers, text) = http_get(server.http_addr, "/metrics", &[]).await;
        assert_eq!(status, 200, "{text}");
        let scrape = parse_exposition(&text);
        let settled = value(&scrape, "alumni_match_documents", &[("tenant", "default")]) == Some(5.0)
            && value(&scrape, "alumni_match_calls_total", &[("method", "GetAlumnus")]).is_some();
        if settled {
            break (headers, text, scrape);
        }
        assert!(tokio::time::Instant::now() < deadline, "metrics never settled:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        headers["content-type"].starts_with("text/plain; version=0.0.4"),
        "{headers:?}"
    );
    assert_eq!(headers.get("cache-control").map(String::as_str), Some("no-store"));

    assert_eq!(
        value(
            &scrape,
            "alumni_match_calls_total",
            &[("method", "Match"), ("code", "OK")]
        ),
        Some(3.0)
    );
    assert_eq!(
        value(
            &scrape,
            "alumni_match_calls_total",
            &[("method", "GetAlumnus"), ("code", "NOT_FOUND")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &scrape,
            "alumni_match_calls_total",
            &[("method", "UpsertAlumni"), ("code", "OK")]
        ),
        Some(1.0)
    );
    // The Match latency histogram: cumulative buckets ending in every call.
    let histogram = scrape
        .samples
        .iter()
        .find(|s| s.metric == "alumni_match_call_duration_seconds" && s.labels.get("method") == Some("Match"))
        .expect("a Match latency histogram");
    let prometheus_parse::Value::Histogram(buckets) = &histogram.value else {
        panic!("not a histogram: {histogram:?}");
    };
    assert!(
        buckets
            .windows(2)
            .all(|w| w[0].less_than < w[1].less_than && w[0].count <= w[1].count)
    );
    assert_eq!(
        buckets.last().map(|b| (b.less_than, b.count)),
        Some((f64::INFINITY, 3.0))
    );
    assert_eq!(
        value(
            &scrape,
            "alumni_match_call_duration_seconds_count",
            &[("method", "Match")]
        ),
        Some(3.0)
    );

    assert_eq!(
        value(&scrape, "alumni_match_index_lag", &[("tenant", "default")]),
        Some(0.0)
    );
    assert_eq!(
        value(&scrape, "alumni_match_store_healthy", &[("tenant", "default")]),
        Some(1.0)
    );
    assert!(value(&scrape, "alumni_match_index_segments", &[("tenant", "default")]).unwrap() >= 1.0);
    assert!(value(&scrape, "alumni_match_store_bytes", &[("tenant", "default")]).unwrap() > 0.0);
    assert!(value(&scrape, "alumni_match_index_bytes", &[("tenant", "default")]).unwrap() > 0.0);
    // This scrape's own calls are over: no permit is held, none was shed.
    assert_eq!(
        value(&scrape, "alumni_match_permits_in_use", &[("pool", "calls")]),
        Some(0.0)
    );
    assert!(value(&scrape, "alumni_match_permits_limit", &[("pool", "calls")]).unwrap() >= 1.0);
    assert_eq!(
        value(&scrape, "alumni_match_rescore_runs_active", &[("tenant", "default")]),
        Some(0.0)
    );
    assert_eq!(
        value(
            &scrape,
            "alumni_match_ranking_profile_version",
            &[("tenant", "default")]
        ),
        Some(0.0),
        "the base profiles until a tune"
    );
    for counter in [
        "alumni_match_outcomes_recorded_total",
        "alumni_match_contacts_refused_total",
    ] {
        assert_eq!(
            value(&scrape, counter, &[("tenant", "default")]),
            Some(0.0),
            "{counter}"
        );
    }
    // Nothing from a request or a key: no alumnus id, no name, no secret.
    let key = std::fs::read_to_string(data.join("admin.key")).unwrap();
    for private in ["private-id", "Aiko", "nobody", key.trim()] {
        assert!(!text.contains(private), "{private} in the metrics");
    }

    let (status, _, body) = http_get(server.http_addr, "/healthz", &[]).await;
    assert_eq!((status, body.as_str()), (200, "serving\n"));
    let (status, _, _) = http_get(server.http_addr, "/nothing-here", &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn json_log_lines_are_whole_objects_with_the_rpc_span_and_no_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let setup = ServerSetup {
        log_file: Some(log.clone()),
        log_level: "info".into(),
        args: vec!["--log-format".into(), "json".into()],
        ..ServerSetup::default()
    };
    let server = ServerProcess::start(&data, setup).await.expect("the server starts");
    let mut alumni = AlumniServiceClient::new(server.channel.clone());
    let _ = alumni
        .get_alumnus(proto::GetAlumnusRequest { id: "nobody".into() })
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let lines = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("rpc finished") {
            break text;
        }
        assert!(tokio::time::Instant::now() < deadline, "no rpc line in:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!lines.contains('\u{1b}'), "no ANSI escapes in a file");
    let records: Vec<serde_json::Value> = lines
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let finished = records
        .iter()
        .find(|r| r["message"] == "rpc finished")
        .expect("the RPC's line");
    assert_eq!(finished["level"], "INFO");
    assert_eq!(finished["span"]["method"], "GetAlumnus", "{finished}");
    assert!(finished["timestamp"].is_string());
    assert!(!lines.contains("nobody"), "the request's id is not logged");
    drop(server);
}
