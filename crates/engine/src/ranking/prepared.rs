//! What a ranking is about: the opportunity resolved once per query, the
//! context every candidate is scored in, and a retrieved candidate.

use std::collections::HashSet;

use super::career::token_set;
use crate::{
    domain::{Alumnus, Opportunity, Timestamp},
    ranking::WeightProfile,
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
    pub focus_terms: HashSet<String>,
    /// Tokens of the title, department and description: its domain.
    pub context_terms: HashSet<String>,
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
        let focus_terms = token_set(
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
        let context_terms = token_set([
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
