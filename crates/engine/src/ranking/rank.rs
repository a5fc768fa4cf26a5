//! Scoring a pool: every candidate re-checked against the gates, its features
//! computed once, each component of the kind's profile weighed, in parallel
//! with rayon; the sum is the score, so every explanation adds up to it.

use rayon::prelude::*;

use super::{
    Component, Features, OccupationFit, PoolEntry, RankingContext, SkillEvidence, SkillMatch, kinds, skills::coverage,
    wording::format_years,
};
use crate::{
    cancel::{Cancellation, Stop},
    domain::PartialDate,
};

/// One component of a candidate's score.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreComponent {
    /// Which component.
    pub component: Component,
    /// Feature value in [0, 1].
    pub value: f64,
    /// Normalised weight.
    pub weight: f64,
    /// `value * weight`.
    pub contribution: f64,
}

/// A ranked, explained candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredCandidate {
    /// The alumnus.
    pub alumnus_id: String,
    /// Name to show.
    pub display_name: String,
    /// Sum of the components' contributions, in [0, 1].
    pub score: f64,
    /// Every component of the profile, in profile order.
    pub components: Vec<ScoreComponent>,
    /// Opportunity skills the alumnus has (canonical names; related ones marked).
    pub matched_skills: Vec<String>,
    /// Required skills the alumnus lacks (canonical names).
    pub missing_required_skills: Vec<String>,
    /// One human-readable line.
    pub reason: String,
    /// Shown although the tenant's contact cap would hold them back (a policy
    /// that flags rather than hides); the reason line says why.
    pub held_back: bool,
}

/// A candidate scored but not yet explained: what orders the pool, and what
/// explaining it needs, so that only the candidates a caller returns pay for
/// their explanation (a page of 50 out of a pool of 300, say).
#[derive(Debug, Clone)]
pub struct Scored {
    /// The candidate's record and text relevance.
    pub entry: PoolEntry,
    /// Sum of the components' contributions, in [0, 1].
    pub score: f64,
    /// Every component of the profile, in profile order.
    pub components: Vec<ScoreComponent>,
    required: Vec<SkillMatch>,
    preferred: Vec<SkillMatch>,
    occupation: OccupationFit,
    text_relevance: f64,
    today: PartialDate,
}

impl Scored {
    /// The alumnus's id.
    pub fn alumnus_id(&self) -> &str {
        &self.entry.alumnus.id
    }

    /// The candidate with its explanation: matched and missing skills and the
    /// reason line. `context` must be the one it was scored in.
    pub fn explain(self, context: &RankingContext<'_>) -> ScoredCandidate {
        let features = Features {
            alumnus: &self.entry.alumnus,
            opportunity: context.opportunity,
            required: &self.required,
            preferred: &self.preferred,
            text_relevance: self.text_relevance,
            occupation: self.occupation,
            today: self.today,
            now: context.now,
            referrals: self.entry.referrals,
            referral_hire_rate: context.referral_hire_rate,
        };
        let matched_skills = self
            .required
            .iter()
            .chain(&self.preferred)
            .filter_map(|m| match m {
                SkillMatch::Exact { skill, .. } => Some(skill.display.clone()),
                SkillMatch::Related { skill, via, .. } => Some(format!("{} (related: {via})", skill.display)),
                SkillMatch::Missing { .. } => None,
            })
            .collect();
        let missing_required_skills = self
            .required
            .iter()
            .filter_map(|m| match m {
                SkillMatch::Missing { skill } => Some(skill.display.clone()),
                _ => None,
            })
            .collect();
        let reason = reason_line(&features, context);
        let alumnus = self.entry.alumnus;
        ScoredCandidate {
            alumnus_id: alumnus.id,
            display_name: alumnus.display_name,
            score: self.score,
            components: self.components,
            matched_skills,
            missing_required_skills,
            reason,
            held_back: false,
        }
    }
}

/// Scores the pool in parallel and returns candidates best first (ties by id),
/// explained. Candidates that fail a gate or the required-skill filter, or have
/// no evidence, are dropped. Stops (with the reason) once `cancel` says so.
pub fn rank(
    context: &RankingContext<'_>,
    pool: Vec<PoolEntry>,
    cancel: &Cancellation,
) -> Result<Vec<ScoredCandidate>, Stop> {
    let best_bm25 = pool.iter().map(|e| e.bm25).fold(0.0f32, f32::max);
    rank_against(context, pool, best_bm25, cancel)
}

/// Like [`rank`], with text relevance measured against a given best BM25 score
/// (the best of the opportunity's full retrieval), for scoring a few candidates
/// exactly as a full ranking would.
pub fn rank_against(
    context: &RankingContext<'_>,
    pool: Vec<PoolEntry>,
    best_bm25: f32,
    cancel: &Cancellation,
) -> Result<Vec<ScoredCandidate>, Stop> {
    Ok(score_against(context, pool, best_bm25, cancel)?
        .into_iter()
        .map(|scored| scored.explain(context))
        .collect())
}

/// Like [`rank_against`], without the explanations: best first (ties by id);
/// [`Scored::explain`] adds them to the candidates the caller keeps.
pub fn score_against(
    context: &RankingContext<'_>,
    pool: Vec<PoolEntry>,
    best_bm25: f32,
    cancel: &Cancellation,
) -> Result<Vec<Scored>, Stop> {
    let kind = context.opportunity.opportunity.kind;
    let today = PartialDate::from_timestamp(context.now);
    let mut scored: Vec<Scored> = pool
        .into_par_iter()
        .filter(|entry| entry.alumnus.passes_gates(kind))
        .map(|entry| {
            cancel.check()?;
            Ok(score_one(context, entry, best_bm25, today))
        })
        .filter_map(Result::transpose)
        .collect::<Result<_, Stop>>()?;
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.alumnus_id().cmp(b.alumnus_id()))
    });
    Ok(scored)
}

fn score_one(context: &RankingContext<'_>, entry: PoolEntry, best_bm25: f32, today: PartialDate) -> Option<Scored> {
    let alumnus = &entry.alumnus;
    let evidence = SkillEvidence::new(alumnus, context.taxonomy, today);
    let required = evidence.match_all(&context.opportunity.required, context.taxonomy);
    if context.require_all_required_skills && required.iter().any(|m| !m.exact()) {
        return None;
    }
    let preferred = evidence.match_all(&context.opportunity.preferred, context.taxonomy);
    let occupation = OccupationFit::of_recognised(
        alumnus,
        entry.career.as_ref(),
        context.opportunity,
        context.taxonomy,
        &today,
    );
    let text_relevance = if best_bm25 > 0.0 {
        f64::from(entry.bm25 / best_bm25).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let features = Features {
        alumnus,
        opportunity: context.opportunity,
        required: &required,
        preferred: &preferred,
        text_relevance,
        occupation,
        today,
        now: context.now,
        referrals: entry.referrals,
        referral_hire_rate: context.referral_hire_rate,
    };
    if !has_evidence(&features) {
        return None;
    }

    let mut components = Vec::with_capacity(context.profile.weights().len());
    let mut score = 0.0;
    for &(component, weight) in context.profile.weights() {
        let value = component.value(&features);
        let contribution = value * weight;
        score += contribution;
        components.push(ScoreComponent {
            component,
            value,
            weight,
            contribution,
        });
    }
    Some(Scored {
        entry,
        score,
        components,
        required,
        preferred,
        occupation,
        text_relevance,
        today,
    })
}

/// Least occupation fit and relative text relevance that count as evidence.
const MIN_OCCUPATION_EVIDENCE: f64 = 0.05;
const MIN_TEXT_EVIDENCE: f64 = 0.02;

/// Whether anything ties the candidate to the opportunity: a wanted skill (or a
/// related one), a related occupation, or words of the opportunity in the
/// profile. Engagement or seniority alone is no reason to contact someone.
fn has_evidence(f: &Features<'_>) -> bool {
    coverage(f.required, &[]) > 0.0
        || coverage(f.preferred, &[]) > 0.0
        || f.occupation.value >= MIN_OCCUPATION_EVIDENCE
        || f.text_relevance >= MIN_TEXT_EVIDENCE
}

/// "3.5 yrs as Dental Assistant (same occupation); 8 yrs Rust, last used 2025;
/// 3/4 required skills; left 3 yrs ago; open to rehire": the career's fit, the
/// strongest required skills, the coverage, the kind's own part, the opt-in.
/// Built only from titles, skills, dates and opt-ins, never from the reason for leaving.
fn reason_line(f: &Features<'_>, context: &RankingContext<'_>) -> String {
    let mut parts = Vec::new();
    if let Some(career) = f.occupation.describe(f.alumnus, context.taxonomy) {
        parts.push(career);
    }
    let mut strongest: Vec<&SkillMatch> = f.required.iter().filter(|m| m.exact()).collect();
    strongest.sort_by(|a, b| b.strength().total_cmp(&a.strength()));
    for m in strongest.iter().take(2) {
        if let SkillMatch::Exact {
            skill,
            years,
            last_used_year,
            ..
        } = m
        {
            let mut text = format!("{} yrs {}", format_years(*years), skill.display);
            if let Some(year) = last_used_year {
                text.push_str(&format!(", last used {year}"));
            }
            parts.push(text);
        }
    }
    if !f.required.is_empty() {
        let have = f.required.iter().filter(|m| m.exact()).count();
        parts.push(format!("{have}/{} required skills", f.required.len()));
    }
    let kind = f.opportunity.opportunity.kind;
    kinds::model(kind).reason(f, &mut parts);
    parts.push(format!("open to {}", kind.as_str()));
    parts.join("; ")
}
