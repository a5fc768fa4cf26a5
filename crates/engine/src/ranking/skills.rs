//! An alumnus's skills resolved through the taxonomy, and how they cover the
//! skills an opportunity asks for.

use crate::{
    domain::{Alumnus, PartialDate, SkillLevel},
    taxonomy::{CanonicalSkill, Taxonomy},
};

/// Share of a skill's strength that a related (not identical) skill earns.
pub const RELATED_SKILL_CREDIT: f64 = 0.5;

/// An alumnus's skills resolved through the taxonomy, with their strengths.
#[derive(Debug, Clone)]
pub struct SkillEvidence {
    skills: Vec<(CanonicalSkill, f32, Option<u16>, f64)>,
}

/// How an alumnus covers one opportunity skill.
#[derive(Debug, Clone, PartialEq)]
pub enum SkillMatch {
    /// The alumnus has the skill.
    Exact {
        /// The opportunity's skill.
        skill: CanonicalSkill,
        /// Years of use.
        years: f32,
        /// Last used, when known.
        last_used_year: Option<u16>,
        /// Strength in [0, 1].
        strength: f64,
    },
    /// The alumnus has a related skill, which earns part of the credit.
    Related {
        /// The opportunity's skill.
        skill: CanonicalSkill,
        /// The alumnus's related skill (canonical name).
        via: String,
        /// Credit in [0, 1] (already reduced).
        strength: f64,
    },
    /// Neither.
    Missing {
        /// The opportunity's skill.
        skill: CanonicalSkill,
    },
}

impl SkillMatch {
    /// The credit this match earns.
    pub fn strength(&self) -> f64 {
        match self {
            Self::Exact { strength, .. } | Self::Related { strength, .. } => *strength,
            Self::Missing { .. } => 0.0,
        }
    }

    /// True for an exact match.
    pub fn exact(&self) -> bool {
        matches!(self, Self::Exact { .. })
    }
}

/// How strong one skill is: a match by name earns at least [`MATCH_FLOOR`];
/// years of use, recency of use and level earn the rest.
pub fn skill_strength(years: f32, last_used_year: Option<u16>, level: Option<SkillLevel>, today: PartialDate) -> f64 {
    // Saturating: the third year of use adds more than the twelfth.
    let years_factor = 1.0 - (-f64::from(years.max(0.0)) / YEARS_SCALE).exp();
    let recency_factor = match last_used_year {
        None => UNKNOWN_FACTOR,
        Some(year) => {
            let gap = f64::from(today.year.saturating_sub(year));
            if gap <= 1.0 {
                1.0
            } else {
                (1.0 - RECENCY_LOSS_PER_YEAR * (gap - 1.0)).max(RECENCY_FLOOR)
            }
        }
    };
    let level_factor = match level {
        None => UNKNOWN_FACTOR,
        Some(SkillLevel::Beginner) => 0.4,
        Some(SkillLevel::Intermediate) => 0.7,
        Some(SkillLevel::Advanced) => 0.9,
        Some(SkillLevel::Expert) => 1.0,
    };
    MATCH_FLOOR
        + (1.0 - MATCH_FLOOR)
            * (YEARS_SHARE * years_factor + RECENCY_SHARE * recency_factor + LEVEL_SHARE * level_factor)
}

/// What a match by name alone earns.
pub const MATCH_FLOOR: f64 = 0.4;
/// Years of use at which the years factor reaches 63 % (1 - 1/e).
const YEARS_SCALE: f64 = 3.0;
/// Recency or level when unstated.
const UNKNOWN_FACTOR: f64 = 0.6;
/// Recency lost per year since last use (after the first).
const RECENCY_LOSS_PER_YEAR: f64 = 0.15;
/// Least recency a skill keeps, however long unused.
const RECENCY_FLOOR: f64 = 0.2;
/// Shares of years, recency and level above the floor.
const YEARS_SHARE: f64 = 0.45;
const RECENCY_SHARE: f64 = 0.35;
const LEVEL_SHARE: f64 = 0.2;

impl SkillEvidence {
    /// Resolves every skill of the alumnus once.
    pub fn new(alumnus: &Alumnus, taxonomy: &Taxonomy, today: PartialDate) -> Self {
        let skills = alumnus
            .skills
            .iter()
            .map(|s| {
                let strength = skill_strength(s.years, s.last_used_year, s.level, today);
                (taxonomy.canonical_skill(&s.name), s.years, s.last_used_year, strength)
            })
            .collect();
        Self { skills }
    }

    /// Matches each wanted skill: the strongest exact match, else the strongest
    /// related skill at [`RELATED_SKILL_CREDIT`], else missing.
    pub fn match_all(&self, wanted: &[CanonicalSkill], taxonomy: &Taxonomy) -> Vec<SkillMatch> {
        wanted
            .iter()
            .map(|skill| {
                let exact = self
                    .skills
                    .iter()
                    .filter(|(have, ..)| have.key == skill.key)
                    .max_by(|a, b| a.3.total_cmp(&b.3));
                if let Some((_, years, last_used_year, strength)) = exact {
                    return SkillMatch::Exact {
                        skill: skill.clone(),
                        years: *years,
                        last_used_year: *last_used_year,
                        strength: *strength,
                    };
                }
                let related = self
                    .skills
                    .iter()
                    .filter(|(have, ..)| taxonomy.are_related(have, skill))
                    .max_by(|a, b| a.3.total_cmp(&b.3));
                match related {
                    Some((have, _, _, strength)) => SkillMatch::Related {
                        skill: skill.clone(),
                        via: have.display.clone(),
                        strength: strength * RELATED_SKILL_CREDIT,
                    },
                    None => SkillMatch::Missing { skill: skill.clone() },
                }
            })
            .collect()
    }
}

/// Mean credit over the wanted skills, each credit scaled by how telling the
/// skill is (`weights` in [0, 1], in the same order; a missing weight counts
/// 1); 0 when none are wanted. The scale is not renormalised: an opening that
/// asks only for office software learns little from who has it, so even full
/// coverage of such skills is worth little.
pub fn coverage(matches: &[SkillMatch], weights: &[f64]) -> f64 {
    if matches.is_empty() {
        return 0.0;
    }
    let weight = |i: usize| weights.get(i).copied().unwrap_or(1.0).clamp(0.0, 1.0);
    let earned: f64 = matches.iter().enumerate().map(|(i, m)| weight(i) * m.strength()).sum();
    (earned / matches.len() as f64).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> PartialDate {
        PartialDate {
            year: 2026,
            month: 6,
            day: None,
        }
    }

    #[test]
    fn longer_and_more_recent_use_is_stronger() {
        let base = skill_strength(2.0, Some(2025), None, today());
        assert!(skill_strength(8.0, Some(2025), None, today()) > base);
        assert!(skill_strength(2.0, Some(2015), None, today()) < base);
        assert!(skill_strength(2.0, Some(2025), Some(SkillLevel::Expert), today()) > base);
        for years in [0.0, 1.0, 60.0] {
            for last in [None, Some(1950), Some(2027)] {
                let s = skill_strength(years, last, Some(SkillLevel::Beginner), today());
                assert!((0.4..=1.0).contains(&s), "{s}");
            }
        }
    }

    #[test]
    fn related_skill_earns_part_credit() {
        let taxonomy = Taxonomy::parse("PostgreSQL\tpostgres\t1\nMySQL\t\t\n").unwrap();
        let alumnus: Alumnus = serde_json::from_value(serde_json::json!({
            "id": "a", "display_name": "A",
            "skills": [{"name": "MySQL", "years": 5.0, "last_used_year": 2025}]
        }))
        .unwrap();
        let evidence = SkillEvidence::new(&alumnus, &taxonomy, today());
        let wanted = [taxonomy.canonical_skill("postgres")];
        let matches = evidence.match_all(&wanted, &taxonomy);
        let full = skill_strength(5.0, Some(2025), None, today());
        assert!(matches!(&matches[0], SkillMatch::Related { via, .. } if via == "MySQL"));
        assert!((matches[0].strength() - full * RELATED_SKILL_CREDIT).abs() < 1e-12);
    }
}
