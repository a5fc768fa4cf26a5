//! Feature functions: each maps a candidate (and the opportunity) to [0, 1].

use crate::{
    domain::{Alumnus, EmploymentType, Opportunity, PartialDate, SkillLevel, Timestamp, WorkMode},
    taxonomy::{CanonicalSkill, Taxonomy, normalize},
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

/// How strong one skill is: a match by name earns at least 0.4; years of use,
/// recency of use and level earn the rest (weights 0.45, 0.35, 0.2).
pub fn skill_strength(years: f32, last_used_year: Option<u16>, level: Option<SkillLevel>, today: PartialDate) -> f64 {
    // Saturating: the third year of use adds more than the twelfth.
    let years_factor = 1.0 - (-f64::from(years.max(0.0)) / 3.0).exp();
    let recency_factor = match last_used_year {
        None => 0.6,
        Some(year) => {
            let gap = f64::from(today.year.saturating_sub(year));
            if gap <= 1.0 {
                1.0
            } else {
                (1.0 - 0.15 * (gap - 1.0)).max(0.2)
            }
        }
    };
    let level_factor = match level {
        None => 0.6,
        Some(SkillLevel::Beginner) => 0.4,
        Some(SkillLevel::Intermediate) => 0.7,
        Some(SkillLevel::Advanced) => 0.9,
        Some(SkillLevel::Expert) => 1.0,
    };
    0.4 + 0.6 * (0.45 * years_factor + 0.35 * recency_factor + 0.2 * level_factor)
}

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

/// Mean credit over the wanted skills; 0 when none are wanted.
pub fn coverage(matches: &[SkillMatch]) -> f64 {
    if matches.is_empty() {
        return 0.0;
    }
    (matches.iter().map(SkillMatch::strength).sum::<f64>() / matches.len() as f64).clamp(0.0, 1.0)
}

/// Depth of expertise for mentoring: over the wanted skills the alumnus has, how
/// long, how recently and at what level (the skill strengths above the 0.4 floor
/// that a bare match earns), 70%; seniority of the latest role, 30%.
pub fn expertise_depth(required: &[SkillMatch], preferred: &[SkillMatch], alumnus: &Alumnus) -> f64 {
    let wanted: Vec<&SkillMatch> = if required.is_empty() {
        preferred.iter().collect()
    } else {
        required.iter().collect()
    };
    let depth = if wanted.is_empty() {
        0.0
    } else {
        wanted
            .iter()
            .map(|m| ((m.strength() - 0.4) / 0.6).max(0.0))
            .sum::<f64>()
            / wanted.len() as f64
    };
    let seniority = super::career::current_seniority(alumnus);
    (0.7 * depth + 0.3 * seniority).clamp(0.0, 1.0)
}

/// Fit of the opportunity's stated conditions with the alumnus's preferences:
/// the mean over the conditions the opportunity states; a preference the
/// alumnus did not state counts as a fit.
pub fn conditions_fit(alumnus: &Alumnus, opportunity: &Opportunity) -> f64 {
    let preferences = &alumnus.preferences;
    let mut fits = Vec::with_capacity(3);
    if let Some(mode) = opportunity.work_mode {
        fits.push(
            if preferences.work_modes.is_empty() || preferences.work_modes.contains(&mode) {
                1.0
            } else if preferences.work_modes.contains(&WorkMode::Hybrid) || mode == WorkMode::Hybrid {
                // Hybrid sits between on-site and remote: half a fit either way.
                0.5
            } else {
                0.0
            },
        );
    }
    if let Some(employment) = opportunity.employment_type {
        let types = &preferences.employment_types;
        fits.push(if types.is_empty() || types.contains(&employment) {
            1.0
        } else if matches!(
            employment,
            EmploymentType::SideJob | EmploymentType::Freelance | EmploymentType::PartTime
        ) && types.iter().any(|t| {
            matches!(
                t,
                EmploymentType::SideJob | EmploymentType::Freelance | EmploymentType::PartTime
            )
        }) {
            // Flexible arrangements substitute for one another better than for full time.
            0.5
        } else {
            0.0
        });
    }
    let location = normalize(&opportunity.location);
    if !location.is_empty() {
        let remote_ok = opportunity.work_mode == Some(WorkMode::Remote);
        fits.push(
            if remote_ok
                || preferences.locations.is_empty()
                || preferences.locations.iter().any(|l| {
                    let l = normalize(l);
                    !l.is_empty() && (l.contains(&location) || location.contains(&l))
                })
            {
                1.0
            } else {
                0.0
            },
        );
    }
    if fits.is_empty() {
        1.0
    } else {
        fits.iter().sum::<f64>() / fits.len() as f64
    }
}

/// Recency of activity (70%, halving about every eight months) and events attended
/// in the last year (30%, saturating at four).
pub fn engagement(alumnus: &Alumnus, now: Timestamp) -> f64 {
    let recency = alumnus
        .engagement
        .last_active_at
        .map(|at| (-at.days_until(&now) / 365.0).exp())
        .unwrap_or(0.0);
    let events = (f64::from(alumnus.engagement.events_attended_12m) / 4.0).min(1.0);
    (0.7 * recency + 0.3 * events).clamp(0.0, 1.0)
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

    #[test]
    fn conditions_fit_counts_stated_conditions_only() {
        let mut alumnus: Alumnus = serde_json::from_value(serde_json::json!({"id": "a", "display_name": "A"})).unwrap();
        let mut opportunity: Opportunity = serde_json::from_value(serde_json::json!({
            "id": "o", "kind": "rehire", "title": "t", "location": "Tokyo", "work_mode": "onsite"
        }))
        .unwrap();
        assert_eq!(conditions_fit(&alumnus, &opportunity), 1.0, "unstated preferences fit");
        alumnus.preferences.work_modes = vec![WorkMode::Remote];
        alumnus.preferences.locations = vec!["Osaka".into()];
        assert_eq!(conditions_fit(&alumnus, &opportunity), 0.0);
        opportunity.work_mode = Some(WorkMode::Remote);
        assert_eq!(
            conditions_fit(&alumnus, &opportunity),
            1.0,
            "remote work fits any location"
        );
    }
}
