//! The independent evaluation's table, and the fitted profiles as the
//! `data/ranking.toml` they become.

use std::fmt::Write as _;

use super::{IndependentReport, KIND_COMPONENT_FLOOR, Scores};
use crate::{domain::OpportunityKind, ranking::Component};

fn cell(s: &Scores) -> String {
    format!("{:.3} / {:.3}", s.ndcg, s.precision)
}

/// The report as a Markdown table.
pub fn render(report: &IndependentReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "independent evaluation: {} alumni in {} O*NET occupations, {} openings per kind (even ones fit, odd ones test), seed {}; {:.1} % of alumni fail each kind's gates on average\n",
        report.alumni,
        report.occupations,
        report.openings_per_kind,
        report.seed,
        100.0 * report.gate_failure_share
    );
    let _ = writeln!(
        out,
        "NDCG@10 / P@10 (relevant = grade 2 or 3); BM25 = the same index and gates, text relevance only, no occupation tables\n"
    );
    let _ = writeln!(
        out,
        "| kind | test: model | test: fitted | test: BM25 | delta NDCG (fitted - BM25) | all: model | all: BM25 | mean returned |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |");
    for k in &report.kinds {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:+.3} | {} | {} | {:.0} |",
            k.kind,
            cell(&k.test_model),
            cell(&k.test_fitted),
            cell(&k.test_bm25),
            k.test_fitted.ndcg - k.test_bm25.ndcg,
            cell(&k.all_model),
            cell(&k.all_bm25),
            k.mean_matched
        );
    }
    let j = &report.japanese;
    let _ = writeln!(
        out,
        "\nJapanese titles ({} occupations), mean NDCG@10: Japanese / English (ratio), BM25 Japanese / English",
        j.occupations
    );
    let _ = writeln!(
        out,
        "\n| query | model ja | model en | ratio | BM25 ja | BM25 en | same people in top 10 |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
    for (name, v, same) in [
        ("title only", j.title_only, j.same_people_title_only),
        ("title + required skills", j.with_skills, j.same_people_with_skills),
    ] {
        let _ = writeln!(
            out,
            "| {name} | {:.3} | {:.3} | {:.2} | {:.3} | {:.3} | {:.0} % |",
            v[0],
            v[1],
            if v[1] > 0.0 { v[0] / v[1] } else { 0.0 },
            v[2],
            v[3],
            100.0 * same
        );
    }
    let _ = writeln!(out, "\ngate violations: {}", report.gate_violations);
    let _ = writeln!(
        out,
        "seconds: build {:.0}, load {:.0}, query and fit {:.0}",
        report.timings[0], report.timings[1], report.timings[2]
    );
    out
}

/// The fitted weights as a complete `data/ranking.toml`, with what every
/// component measures and how the weights were produced.
pub fn profiles_toml(report: &IndependentReport) -> String {
    let mut out = String::new();
    out.push_str(
        "# Weight profiles of the ranking model, one table per opportunity kind.\n\
         #\n\
         # Every component is a feature in [0, 1]; a candidate's score is the sum of\n\
         # weight x value over the components of its kind's profile, with the weights\n\
         # normalised to sum to 1, so scores are in [0, 1] and each component's\n\
         # contribution can be shown. A Match request may override any weight by name\n\
         # (`MatchRequest.weights`); unknown names are rejected.\n\
         #\n\
         # Components:\n",
    );
    for component in Component::all() {
        let _ = writeln!(out, "#   {:<22} {}", component.name(), component.summary());
    }
    let all = report.kinds.iter().find(|k| k.kind == "all");
    let _ = writeln!(
        out,
        "#\n\
         # Fitted, not hand-set: `alumni-match-tools eval independent --write-profiles data/ranking.toml`\n\
         # fits each kind by coordinate ascent on NDCG@10 over the even openings of the\n\
         # independent judged set ({} alumni from {} O*NET occupations, {} openings per\n\
         # kind, seed {}; judgments from ESCO occupation-skill relations and ISCO groups,\n\
         # which the ranking never reads). A kind's own components keep at least {} each:\n\
         # the judgments cannot see them. On the odd (test) openings the fitted weights\n\
         # reached NDCG@10 {:.3} against BM25's {:.3}. See README, \"Evaluation\".\n\
         #\n\
         # No protected attribute (age, gender, nationality, family situation) and never\n\
         # the reason for leaving is a feature.",
        report.alumni,
        report.occupations,
        report.openings_per_kind,
        report.seed,
        KIND_COMPONENT_FLOOR,
        all.map_or(0.0, |k| k.test_fitted.ndcg),
        all.map_or(0.0, |k| k.test_bm25.ndcg),
    );
    for kind in OpportunityKind::ALL {
        let _ = writeln!(out, "\n[{}]", kind.as_str());
        if let Some(weights) = report.fitted.get(kind.as_str()) {
            for (name, weight) in weights {
                let _ = writeln!(out, "{name} = {weight}");
            }
        }
    }
    out
}
