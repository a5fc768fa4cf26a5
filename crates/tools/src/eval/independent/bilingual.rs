//! The bilingual queries: each hand-written Japanese title against its
//! occupation's English title, alone and with required skills.

use std::collections::{HashMap, HashSet};

use super::{
    IndependentConfig, JapaneseResult,
    ask::{bm25_weights, grades_for, ranking},
    dataset::{self, JudgedSet},
    sources::Sources,
};
use crate::{
    datagen::sources::singular,
    domain::{Alumnus, Opportunity, OpportunityKind},
    engine::{Engine, MatchTarget},
    eval::{EvalError, K, judge_ranking, metrics},
};

/// The English twin of a Japanese title: the O*NET name, singular, without
/// its qualifying clause ("Elementary School Teachers, Except Special
/// Education" → "Elementary School Teacher").
fn english_title(onet_title: &str) -> String {
    let head = onet_title.split(',').next().unwrap_or(onet_title).trim();
    // "Accountants and Auditors" names two occupations: keep the first. In
    // "Financial and Investment Analysts" the "and" joins modifiers: keep all.
    let head = match head.split_once(" and ") {
        Some((first, _)) if !first.contains(' ') && first.ends_with('s') && first != "Sales" => first,
        _ => head,
    };
    singular(head)
}

/// The random stream of the Japanese queries' skills (the dataset uses others).
const JAPANESE_QUERY_STREAM: u64 = 0x6a61;

#[allow(clippy::too_many_arguments)]
pub(super) fn japanese_queries(
    config: &IndependentConfig,
    sources: &Sources,
    set: &JudgedSet,
    japanese: &HashMap<&str, &str>,
    model: &Engine,
    bm25: &Engine,
    by_id: &HashMap<String, Alumnus>,
    gate_violations: &mut usize,
) -> Result<JapaneseResult, EvalError> {
    let mut ndcg: [Vec<f64>; 8] = Default::default();
    let mut same: [Vec<f64>; 2] = Default::default();
    let mut asked: Vec<(&str, &str)> = japanese.iter().map(|(c, j)| (*c, *j)).collect();
    asked.sort();
    for (n, (code, ja_title)) in asked.iter().enumerate() {
        let Some(occupation) = sources.occupations.iter().find(|o| o.code == *code) else {
            continue;
        };
        let kind = OpportunityKind::ALL[n % OpportunityKind::ALL.len()];
        let grades = grades_for(set, code, kind, sources);
        let ideal: Vec<u8> = grades.values().copied().collect();
        // Picked as the openings' skills are (hot technologies twice as
        // likely), the same three for both languages: software is named the
        // same way in Japanese postings.
        let skills = dataset::pick_technologies(
            occupation,
            3,
            &mut dataset::rng(config.seed, JAPANESE_QUERY_STREAM, n as u64),
        );
        let english = english_title(&occupation.title);
        for (variant, required) in [(0usize, Vec::new()), (1, skills)] {
            let mut top_ids: Vec<Vec<String>> = Vec::new();
            for (language, title) in [(0usize, ja_title.to_string()), (1, english.clone())] {
                let opportunity: Opportunity = serde_json::from_value(serde_json::json!({
                    "id": format!("ja-query-{n}"),
                    "kind": kind.as_str(),
                    "title": title,
                    "required_skills": required,
                }))
                .map_err(|e| EvalError::Data(e.to_string()))?;
                let profile = config.profiles.profile(kind);
                for (engine_index, engine, weights) in
                    [(0usize, model, HashMap::new()), (1, bm25, bm25_weights(profile))]
                {
                    let ranked = ranking(
                        engine,
                        MatchTarget::AdHoc(Box::new(opportunity.clone())),
                        K,
                        weights,
                        &[],
                    )?;
                    let ids: Vec<&str> = ranked.iter().map(|(id, _)| id.as_str()).collect();
                    let (gains, violations) = judge_ranking(&ids, by_id, &grades, kind);
                    *gate_violations += violations;
                    if let Some(value) = metrics::ndcg_at(&gains, &ideal, K) {
                        ndcg[variant * 4 + engine_index * 2 + language].push(value);
                    }
                    if engine_index == 0 {
                        top_ids.push(ranked.into_iter().map(|(id, _)| id).collect());
                    }
                }
            }
            let english_top: HashSet<&String> = top_ids[1].iter().collect();
            if !english_top.is_empty() {
                let shared = top_ids[0].iter().filter(|id| english_top.contains(id)).count();
                same[variant].push(shared as f64 / english_top.len() as f64);
            }
        }
    }
    let m = |v: &Vec<f64>| metrics::mean(v).unwrap_or(0.0);
    Ok(JapaneseResult {
        occupations: asked.len(),
        title_only: [m(&ndcg[0]), m(&ndcg[1]), m(&ndcg[2]), m(&ndcg[3])],
        with_skills: [m(&ndcg[4]), m(&ndcg[5]), m(&ndcg[6]), m(&ndcg[7])],
        same_people_title_only: m(&same[0]),
        same_people_with_skills: m(&same[1]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_twins_are_singular_names_without_qualifiers() {
        assert_eq!(english_title("Registered Nurses"), "Registered Nurse");
        assert_eq!(
            english_title("Elementary School Teachers, Except Special Education"),
            "Elementary School Teacher"
        );
        assert_eq!(english_title("Accountants and Auditors"), "Accountant");
        assert_eq!(english_title("Software Developers"), "Software Developer");
        assert_eq!(
            english_title("Financial and Investment Analysts"),
            "Financial and Investment Analyst"
        );
    }
}
