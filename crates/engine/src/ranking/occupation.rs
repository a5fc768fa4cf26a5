//! How an alumnus's career fits the occupation an opportunity's title names:
//! the best step of the career (a position, or the headline) by its strength
//! (confidence, time in the role, how recent) times how similar its occupation
//! is to the opportunity's.

use super::PreparedOpportunity;
use crate::{
    domain::{Alumnus, PartialDate},
    taxonomy::{CareerStep, OccupationId, RecognisedCareer, Taxonomy, career_steps, career_steps_of, step_strength},
};

/// The best fit found, with what it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OccupationFit {
    /// In [0, 1]; 0 when the title or the career names no known occupation.
    pub value: f64,
    /// The step of the career and the opportunity's occupation it matched, and
    /// their similarity (1 for the same occupation).
    pub evidence: Option<(CareerStep, OccupationId, f32)>,
}

/// Similarity below which occupations do not count as related.
const MIN_RELATED: f32 = 0.15;

impl OccupationFit {
    /// Scores the career against the prepared opportunity's occupations.
    pub fn of(alumnus: &Alumnus, opportunity: &PreparedOpportunity, taxonomy: &Taxonomy, today: &PartialDate) -> Self {
        Self::of_recognised(alumnus, None, opportunity, taxonomy, today)
    }

    /// [`OccupationFit::of`], with the career's titles as the index recognised
    /// them when that is still of the record's titles (else recognised now).
    pub fn of_recognised(
        alumnus: &Alumnus,
        recognised: Option<&RecognisedCareer>,
        opportunity: &PreparedOpportunity,
        taxonomy: &Taxonomy,
        today: &PartialDate,
    ) -> Self {
        if opportunity.occupations.is_empty() {
            return Self::default();
        }
        let occupations = taxonomy.occupations();
        let steps = match recognised {
            Some(recognised) if recognised.is_of(alumnus) => career_steps_of(alumnus, recognised, today),
            _ => career_steps(alumnus, occupations, today),
        };
        let mut best = Self::default();
        for step in steps {
            let strength = step_strength(&step);
            for wanted in &opportunity.occupations {
                let similarity = occupations.similarity(step.occupation, wanted.occupation);
                if similarity < MIN_RELATED {
                    continue;
                }
                let value = strength * f64::from(wanted.confidence) * f64::from(similarity);
                if value > best.value {
                    best = Self {
                        value,
                        evidence: Some((step, wanted.occupation, similarity)),
                    };
                }
            }
        }
        best
    }

    /// "3.5 yrs as Dental Assistant (same occupation)": the role as the alumnus
    /// wrote it, and how it relates.
    pub fn describe(&self, alumnus: &Alumnus, taxonomy: &Taxonomy) -> Option<String> {
        let (step, wanted, _) = self.evidence?;
        let relation = if step.occupation == wanted {
            "same occupation".to_owned()
        } else {
            format!("related occupation: {}", taxonomy.occupations().title(step.occupation))
        };
        Some(match step.position.and_then(|i| alumnus.positions.get(i)) {
            Some(position) => {
                let title = position.title.trim();
                let years = super::wording::format_years(step.years);
                if step.years > 0.0 {
                    format!("{years} yrs as {title} ({relation})")
                } else {
                    format!("{title} ({relation})")
                }
            }
            None => format!(
                "current role {} ({relation})",
                taxonomy.occupations().title(step.occupation)
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::Opportunity,
        taxonomy::{Occupations, Taxonomy},
    };

    fn taxonomy() -> Taxonomy {
        Taxonomy::empty().with_occupations(Occupations::for_tests())
    }

    fn career(title: &str, start: &str) -> Alumnus {
        serde_json::from_value(serde_json::json!({
            "id": "a",
            "display_name": "a",
            "positions": [{"organization": "Clinic", "title": title, "start": start}],
        }))
        .expect("fixture deserialises")
    }

    fn fit(title: &str, start: &str, wanted: &str) -> (OccupationFit, Option<String>) {
        let taxonomy = taxonomy();
        let opportunity: Opportunity =
            serde_json::from_value(serde_json::json!({"id": "o", "kind": "rehire", "title": wanted}))
                .expect("fixture deserialises");
        let prepared = PreparedOpportunity::new(opportunity, &taxonomy);
        let alumnus = career(title, start);
        let today = PartialDate::parse("2026-06").expect("date");
        let fit = OccupationFit::of(&alumnus, &prepared, &taxonomy, &today);
        let described = fit.describe(&alumnus, &taxonomy);
        (fit, described)
    }

    #[test]
    fn the_same_occupation_fits_best_and_is_named() {
        let (same, described) = fit("Dental Assistant", "2021-01", "Dental Assistant");
        assert!(same.value > 0.5, "{same:?}");
        let described = described.expect("explained");
        assert!(
            described.ends_with("yrs as Dental Assistant (same occupation)"),
            "{described}"
        );
        // Written in Japanese, the opening names the same occupation.
        let (japanese, _) = fit("Dental Assistant", "2021-01", "歯科助手");
        assert!(japanese.value > 0.0 && japanese.value <= same.value, "{japanese:?}");
    }

    #[test]
    fn a_related_occupation_fits_less_and_says_which() {
        let (same, _) = fit("Dental Assistant", "2021-01", "Dental Assistant");
        let (related, described) = fit("Registered Nurse", "2021-01", "Dental Assistant");
        assert!(
            related.value > 0.0 && related.value < same.value,
            "{related:?} vs {same:?}"
        );
        let described = described.expect("explained");
        assert!(
            described.contains("related occupation: Registered Nurses"),
            "{described}"
        );
    }

    #[test]
    fn an_unrelated_or_unknown_career_does_not_fit() {
        let (unrelated, described) = fit("Software Engineer", "2021-01", "Dental Assistant");
        assert_eq!(unrelated.value, 0.0);
        assert_eq!(described, None);
        let (unknown, _) = fit("Dental Assistant", "2021-01", "Astronaut");
        assert_eq!(unknown.value, 0.0);
    }

    #[test]
    fn longer_and_more_recent_roles_fit_better() {
        let (long, _) = fit("Dental Assistant", "2016-01", "Dental Assistant");
        let (short, _) = fit("Dental Assistant", "2026-01", "Dental Assistant");
        assert!(long.value > short.value, "{long:?} vs {short:?}");
    }
}
