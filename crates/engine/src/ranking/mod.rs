//! Ranking: turns a retrieved pool of alumni into an ordered, explained shortlist.
//!
//! Retrieval (the index) finds alumni by BM25 with the gates applied inside the
//! query; here each candidate is re-checked against the gates on its current
//! stored record (the index may lag the store by up to a commit interval),
//! features are computed in parallel with rayon, and the score is the weighted
//! sum of the kind's components, so every explanation adds up to the score.

pub mod career;
pub mod features;
pub mod model;
pub mod seniority;

use rayon::prelude::*;

pub use features::{SkillEvidence, SkillMatch};
pub use model::{Component, RankingProfiles, WeightError, WeightProfile, check_overrides};

use crate::{
    cancel::{Cancellation, Stop},
    domain::{Alumnus, Opportunity, OpportunityKind, PartialDate, Timestamp},
    taxonomy::{CanonicalSkill, Taxonomy},
};

/// An opportunity with its skills resolved through the taxonomy once per query.
#[derive(Debug, Clone)]
pub struct PreparedOpportunity {
    /// The opportunity as given.
    pub opportunity: Opportunity,
    /// Required skills, canonical, without duplicates.
    pub required: Vec<CanonicalSkill>,
    /// Preferred skills, canonical, without duplicates or required ones.
    pub preferred: Vec<CanonicalSkill>,
    /// Tokens of the title and skills: what the opportunity is about.
    pub focus_terms: std::collections::HashSet<String>,
    /// Tokens of the title, department and description: its domain.
    pub context_terms: std::collections::HashSet<String>,
}

impl PreparedOpportunity {
    /// Resolves the opportunity's skills.
    pub fn new(opportunity: Opportunity, taxonomy: &Taxonomy) -> Self {
        let mut required: Vec<CanonicalSkill> = Vec::new();
        for skill in &opportunity.required_skills {
            let canonical = taxonomy.canonical_skill(skill);
            if !required.iter().any(|s| s.key == canonical.key) {
                required.push(canonical);
            }
        }
        let mut preferred: Vec<CanonicalSkill> = Vec::new();
        for skill in &opportunity.preferred_skills {
            let canonical = taxonomy.canonical_skill(skill);
            if !required.iter().chain(&preferred).any(|s| s.key == canonical.key) {
                preferred.push(canonical);
            }
        }
        let focus_terms = career::token_set(
            std::iter::once(opportunity.title.as_str())
                .chain(required.iter().chain(&preferred).map(|s| s.display.as_str()))
                .chain(
                    opportunity
                        .required_skills
                        .iter()
                        .chain(&opportunity.preferred_skills)
                        .map(String::as_str),
                ),
        );
        let context_terms = career::token_set([
            opportunity.title.as_str(),
            opportunity.department.as_str(),
            opportunity.description.as_str(),
        ]);
        Self {
            opportunity,
            required,
            preferred,
            focus_terms,
            context_terms,
        }
    }
}

/// Everything that shapes one ranking besides the candidates.
#[derive(Debug, Clone, Copy)]
pub struct RankingContext<'a> {
    /// The opportunity.
    pub opportunity: &'a PreparedOpportunity,
    /// The weights in force.
    pub profile: &'a WeightProfile,
    /// For skill resolution and related skills.
    pub taxonomy: &'a Taxonomy,
    /// "Now", fixed for the whole ranking so scores are consistent.
    pub now: Timestamp,
    /// Drop candidates lacking any required skill.
    pub require_all_required_skills: bool,
}

/// A retrieved alumnus with its text relevance.
#[derive(Debug, Clone)]
pub struct PoolEntry {
    /// The current stored record.
    pub alumnus: Alumnus,
    /// BM25 from retrieval.
    pub bm25: f32,
}

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
}

/// Scores the pool in parallel and returns candidates best first (ties by id).
/// Candidates that fail a gate or the required-skill filter are dropped.
/// Stops (with the reason) once `cancel` says so.
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
    let kind = context.opportunity.opportunity.kind;
    let today = PartialDate::from_timestamp(context.now);
    let mut scored: Vec<ScoredCandidate> = pool
        .into_par_iter()
        .filter(|entry| entry.alumnus.passes_gates(kind))
        .map(|entry| {
            cancel.check()?;
            Ok(score_one(context, &entry, best_bm25, today))
        })
        .filter_map(Result::transpose)
        .collect::<Result<_, Stop>>()?;
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.alumnus_id.cmp(&b.alumnus_id))
    });
    Ok(scored)
}

fn score_one(
    context: &RankingContext<'_>,
    entry: &PoolEntry,
    best_bm25: f32,
    today: PartialDate,
) -> Option<ScoredCandidate> {
    let alumnus = &entry.alumnus;
    let evidence = SkillEvidence::new(alumnus, context.taxonomy, today);
    let required = evidence.match_all(&context.opportunity.required, context.taxonomy);
    if context.require_all_required_skills && required.iter().any(|m| !m.exact()) {
        return None;
    }
    let preferred = evidence.match_all(&context.opportunity.preferred, context.taxonomy);
    let prepared = context.opportunity;
    let opportunity = &prepared.opportunity;

    let mut components = Vec::with_capacity(context.profile.weights().len());
    let mut score = 0.0;
    for &(component, weight) in context.profile.weights() {
        let value = match component {
            Component::RequiredSkills => features::coverage(&required),
            Component::PreferredSkills => features::coverage(&preferred),
            Component::TextRelevance => {
                if best_bm25 > 0.0 {
                    f64::from(entry.bm25 / best_bm25).clamp(0.0, 1.0)
                } else {
                    0.0
                }
            }
            Component::InterestRelevance => career::interest_relevance(alumnus, &prepared.focus_terms),
            Component::ConditionsFit => features::conditions_fit(alumnus, opportunity),
            Component::Engagement => features::engagement(alumnus, context.now),
            Component::CompanyHistory => career::company_history(alumnus, opportunity, today),
            Component::BoomerangWindow => career::boomerang_window(alumnus, today),
            Component::GrowthSinceLeaving => career::growth_since_leaving(alumnus, today),
            Component::NetworkProximity => career::network_proximity(alumnus, &prepared.focus_terms),
            Component::Seniority => career::current_seniority(alumnus),
            Component::ReferralHistory => career::referral_history(alumnus),
            Component::ExpertiseDepth => features::expertise_depth(&required, &preferred, alumnus),
            Component::MentoringInterest => career::mentoring_interest(alumnus, &prepared.focus_terms),
            Component::LanguageFit => career::language_fit(alumnus, opportunity),
            Component::SideWorkAvailability => career::side_work_availability(alumnus),
            Component::IndustryFit => career::industry_fit(alumnus, &prepared.context_terms),
            Component::CollaborationInterest => career::collaboration_interest(alumnus, &prepared.focus_terms),
        };
        let contribution = value * weight;
        score += contribution;
        components.push(ScoreComponent {
            component,
            value,
            weight,
            contribution,
        });
    }

    let matched_skills = required
        .iter()
        .chain(&preferred)
        .filter_map(|m| match m {
            SkillMatch::Exact { skill, .. } => Some(skill.display.clone()),
            SkillMatch::Related { skill, via, .. } => Some(format!("{} (related: {via})", skill.display)),
            SkillMatch::Missing { .. } => None,
        })
        .collect();
    let missing_required_skills = required
        .iter()
        .filter_map(|m| match m {
            SkillMatch::Missing { skill } => Some(skill.display.clone()),
            _ => None,
        })
        .collect();
    let reason = reason_line(alumnus, opportunity.kind, &required, today);
    Some(ScoredCandidate {
        alumnus_id: alumnus.id.clone(),
        display_name: alumnus.display_name.clone(),
        score,
        components,
        matched_skills,
        missing_required_skills,
        reason,
    })
}

/// "8 yrs Rust, last used 2025; 3/4 required skills; left 3 yrs ago; open to rehire".
/// Built only from skills, dates and opt-ins, never from the reason for leaving.
fn reason_line(alumnus: &Alumnus, kind: OpportunityKind, required: &[SkillMatch], today: PartialDate) -> String {
    let mut parts = Vec::new();
    let mut strongest: Vec<&SkillMatch> = required.iter().filter(|m| m.exact()).collect();
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
    if !required.is_empty() {
        let have = required.iter().filter(|m| m.exact()).count();
        parts.push(format!("{have}/{} required skills", required.len()));
    }
    match kind {
        OpportunityKind::Rehire => {
            let years_at_company: f64 = alumnus
                .positions
                .iter()
                .filter(|p| p.at_company)
                .map(|p| p.years(&today))
                .sum();
            if years_at_company > 0.0 {
                parts.push(format!("{} yrs at the company", format_years(years_at_company as f32)));
            }
            if let Some(left_on) = career::left_on(alumnus) {
                let years = left_on.years_until(&today).max(0.0);
                parts.push(if years < 1.0 {
                    "left under a year ago".to_string()
                } else {
                    match years.floor() {
                        1.0 => "left 1 yr ago".to_string(),
                        whole => format!("left {whole} yrs ago"),
                    }
                });
            }
        }
        OpportunityKind::Referral => {
            if let Some(position) = career::current_position(alumnus).filter(|p| !p.title.trim().is_empty()) {
                parts.push(format!("now {}", position.title.trim()));
            }
            if alumnus.engagement.referrals_made > 0 {
                parts.push(format!("{} referrals made", alumnus.engagement.referrals_made));
            }
        }
        OpportunityKind::Mentoring => {
            if !alumnus.languages.is_empty() {
                parts.push(format!("speaks {}", alumnus.languages.join("/")));
            }
        }
        OpportunityKind::Partnership => {
            if let Some(position) = career::current_position(alumnus) {
                match (position.title.trim(), position.organization.trim()) {
                    ("", "") => {}
                    (title, "") => parts.push(format!("now {title}")),
                    ("", organization) => parts.push(format!("now at {organization}")),
                    (title, organization) => parts.push(format!("now {title} at {organization}")),
                }
            }
        }
    }
    parts.push(format!("open to {}", kind.as_str()));
    parts.join("; ")
}

fn format_years(years: f32) -> String {
    if years.fract().abs() < 0.05 {
        format!("{}", years.round())
    } else {
        format!("{years:.1}")
    }
}

#[cfg(test)]
mod tests;
