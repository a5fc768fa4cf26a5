//! What a ranking is about: the opportunity resolved once per query, the
//! context every candidate is scored in, and a retrieved candidate.

use std::collections::HashSet;

use super::career::token_set;
use crate::{
    domain::{Alumnus, Opportunity, ReferralRecord, Timestamp},
    ranking::WeightProfile,
    taxonomy::{CanonicalSkill, OccupationMatch, RecognisedCareer, Taxonomy},
};

/// Least weight a wanted skill keeps however common it is: office software
/// still says a little.
const SKILL_WEIGHT_FLOOR: f64 = 0.15;
/// Shares of a skill's weight that its rarity across occupations and across
/// the tenant's alumni make.
const OCCUPATION_RARITY_SHARE: f64 = 0.6;
const TENANT_RARITY_SHARE: f64 = 0.4;
/// Scale of the tenant rarity curve: a skill one alumnus in this many has is
/// about half as telling as one nobody has.
const TENANT_RARITY_SCALE: f64 = 100.0;

/// How telling a wanted skill is: its specificity across occupations (from the
/// taxonomy) and, when known, its rarity among the tenant's alumni (`share`,
/// the fraction of them that list it).
pub fn skill_weight(specificity: f64, share: Option<f64>) -> f64 {
    let rarity = match share {
        Some(share) => {
            let tenant =
                1.0 - (1.0 + TENANT_RARITY_SCALE * share.clamp(0.0, 1.0)).ln() / (1.0 + TENANT_RARITY_SCALE).ln();
            OCCUPATION_RARITY_SHARE * specificity + TENANT_RARITY_SHARE * tenant
        }
        None => specificity,
    };
    SKILL_WEIGHT_FLOOR + (1.0 - SKILL_WEIGHT_FLOOR) * rarity.clamp(0.0, 1.0)
}

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
    /// The occupations the title names, most likely first.
    pub occupations: Vec<OccupationMatch>,
    /// How telling each required skill is (see [`skill_weight`]), in order.
    pub required_weights: Vec<f64>,
    /// How telling each preferred skill is, in order.
    pub preferred_weights: Vec<f64>,
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
        let occupations = taxonomy.occupations().recognise(&opportunity.title).to_vec();
        let weights = |skills: &[CanonicalSkill]| -> Vec<f64> {
            skills
                .iter()
                .map(|s| skill_weight(taxonomy.specificity(s), None))
                .collect()
        };
        let (required_weights, preferred_weights) = (weights(&required), weights(&preferred));
        Self {
            opportunity,
            required,
            preferred,
            focus_terms,
            context_terms,
            occupations,
            required_weights,
            preferred_weights,
        }
    }

    /// Weighs the skills by their rarity among the tenant's alumni too: `share`
    /// gives the fraction of alumni listing a skill (by canonical key).
    pub fn with_tenant_shares(mut self, taxonomy: &Taxonomy, share: impl Fn(&str) -> f64) -> Self {
        let weigh = |skills: &[CanonicalSkill]| -> Vec<f64> {
            skills
                .iter()
                .map(|s| skill_weight(taxonomy.specificity(s), Some(share(&s.key))))
                .collect()
        };
        self.required_weights = weigh(&self.required);
        self.preferred_weights = weigh(&self.preferred);
        self
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
    /// The tenant's mean hire rate of recorded referrals (see
    /// [`crate::domain::ReferralRecord::shrunk_hire_rate`]).
    pub referral_hire_rate: f64,
}

/// A retrieved alumnus with its text relevance.
#[derive(Debug, Clone)]
pub struct PoolEntry {
    /// The current stored record.
    pub alumnus: Alumnus,
    /// BM25 from retrieval.
    pub bm25: f32,
    /// What the career's titles named when the alumnus was indexed, if the
    /// index had it; used only while it is still of the record's titles.
    pub career: Option<RecognisedCareer>,
    /// The alumnus's recorded referrals (REFERRAL_SUBMITTED, REFERRAL_HIRED).
    pub referrals: ReferralRecord,
}
