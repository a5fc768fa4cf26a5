//! The evaluation report as a plain-text table.

use std::fmt::Write;

use super::{EvalReport, K, KindSummary, System};

/// Renders the report: the model-versus-BM25 table, then (when ablation ran) NDCG
/// with each component removed, then notes and timings.
pub fn render_table(report: &EvalReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "alumni-match-tools eval: {} alumni, {} opportunities per kind ({} generated), seed {}, taxonomy {}",
        report.alumni,
        report.opportunities_per_kind,
        report.opportunities_generated,
        report.seed,
        report.taxonomy.as_deref().unwrap_or("none"),
    );
    let _ = writeln!(out);
    let model = System::Model.name();
    let bm25 = System::Bm25.name();
    let header = [
        "kind".to_owned(),
        "queries".to_owned(),
        format!("NDCG@{K} model"),
        format!("NDCG@{K} BM25"),
        format!("P@{K} model"),
        format!("P@{K} BM25"),
        "gate violations".to_owned(),
    ];
    let mut rows = vec![header.to_vec()];
    for summary in report.kinds.iter().chain(std::iter::once(&report.overall)) {
        let metric = |system: &str, pick: fn(&super::SystemSummary) -> Option<f64>| {
            summary
                .system(system)
                .and_then(pick)
                .map_or("-".to_owned(), |v| format!("{v:.3}"))
        };
        let violations: usize = summary.systems.iter().map(|s| s.gate_violations).sum();
        rows.push(vec![
            summary.kind.clone(),
            summary.queries.to_string(),
            metric(&model, |s| s.ndcg),
            metric(&bm25, |s| s.ndcg),
            metric(&model, |s| s.precision),
            metric(&bm25, |s| s.precision),
            violations.to_string(),
        ]);
    }
    push_table(&mut out, &rows);

    let ablations: Vec<String> = report
        .overall
        .systems
        .iter()
        .map(|s| s.system.clone())
        .filter(|name| name != &model && name != &bm25)
        .collect();
    if !ablations.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "NDCG@{K} with one component removed (weight 0, rest renormalised):"
        );
        let mut header = vec!["kind".to_owned(), "model".to_owned()];
        header.extend(
            ablations
                .iter()
                .map(|name| format!("-{}", name.trim_start_matches("model-"))),
        );
        let mut rows = vec![header];
        for summary in report.kinds.iter().chain(std::iter::once(&report.overall)) {
            let ndcg = |name: &str| {
                summary
                    .system(name)
                    .and_then(|s| s.ndcg)
                    .map_or("-".to_owned(), |v| format!("{v:.3}"))
            };
            let mut row = vec![summary.kind.clone(), ndcg(&model)];
            row.extend(ablations.iter().map(|name| ndcg(name)));
            rows.push(row);
        }
        push_table(&mut out, &rows);
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "{}", notes(&report.overall));
    let t = &report.timings;
    let _ = writeln!(
        out,
        "time: {:.1}s (generate {:.1}s, load and index {:.1}s, rank and score {:.1}s)",
        t.total_secs, t.generate_secs, t.load_secs, t.evaluate_secs
    );
    out
}

fn notes(overall: &KindSummary) -> String {
    let mut text = format!(
        "NDCG gains: highly relevant 2, partly 1; ideal over every alumnus passing the kind's gates. \
         Means weigh queries equally; {} of {} queries had no relevant eligible alumnus and are left out of NDCG",
        overall.queries_without_relevant, overall.queries
    );
    if let Some(relevant) = overall.mean_relevant_eligible {
        let _ = write!(text, " (mean relevant eligible alumni per query: {relevant:.1})");
    }
    text.push('.');
    text
}

/// Left-aligns the first column and right-aligns the rest.
fn push_table(out: &mut String, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let width = widths[c];
            if c == 0 {
                let _ = write!(line, "{cell:<width$}");
            } else {
                let _ = write!(line, "  {cell:>width$}");
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}
