//! An alumnus's career read as occupations: each position's title (and the
//! headline, as what the alumnus does now) recognised, with how long and how
//! recently the alumnus held it. The index files alumni under these
//! occupations and ranking weighs them against an opportunity's.

use super::{OccupationId, Occupations, RecognisedCareer};
use crate::domain::{Alumnus, PartialDate};

/// One recognised step of a career.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CareerStep {
    /// The occupation the title names.
    pub occupation: OccupationId,
    /// How sure the recognition is, in (0, 1].
    pub confidence: f32,
    /// Years in the role (0 when unknown).
    pub years: f32,
    /// Years since the role ended (0 while held).
    pub years_since: f32,
    /// Whether the role is held now.
    pub current: bool,
    /// The position it comes from; `None` for the headline.
    pub position: Option<usize>,
}

/// Confidence kept by the headline, which may describe an aspiration rather than a role.
const HEADLINE_SHARE: f32 = 0.8;
/// Years credited to the headline's role.
const HEADLINE_YEARS: f32 = 1.0;
/// Least confidence worth keeping.
const MIN_CONFIDENCE: f32 = 0.2;

/// Every recognised step of the career, in position order, the headline last.
pub fn career_steps(alumnus: &Alumnus, occupations: &Occupations, today: &PartialDate) -> Vec<CareerStep> {
    if occupations.is_empty() {
        return Vec::new();
    }
    career_steps_of(alumnus, &RecognisedCareer::of(alumnus, occupations), today)
}

/// [`career_steps`] from titles already recognised (`recognised` must be of
/// `alumnus`'s titles: [`RecognisedCareer::is_of`]).
pub fn career_steps_of(alumnus: &Alumnus, recognised: &RecognisedCareer, today: &PartialDate) -> Vec<CareerStep> {
    let mut steps = Vec::new();
    for (index, position) in alumnus.positions.iter().enumerate() {
        let years = position.years(today).max(0.0) as f32;
        let years_since = position.end.map_or(0.0, |end| end.years_until(today).max(0.0) as f32);
        for found in recognised.position(index) {
            if found.confidence >= MIN_CONFIDENCE {
                steps.push(CareerStep {
                    occupation: found.occupation,
                    confidence: found.confidence,
                    years,
                    years_since,
                    current: position.end.is_none(),
                    position: Some(index),
                });
            }
        }
    }
    for found in recognised.headline() {
        let confidence = found.confidence * HEADLINE_SHARE;
        if confidence >= MIN_CONFIDENCE {
            steps.push(CareerStep {
                occupation: found.occupation,
                confidence,
                years: HEADLINE_YEARS,
                years_since: 0.0,
                current: true,
                position: None,
            });
        }
    }
    steps
}

/// How much a step says about what the alumnus can do now: its confidence, with
/// a role held longer and more recently counting more (a role left ten years
/// ago still counts a third; a first year counts about half of a long tenure).
pub fn step_strength(step: &CareerStep) -> f64 {
    let recency = RECENCY_FLOOR + (1.0 - RECENCY_FLOOR) * (-f64::from(step.years_since) / RECENCY_YEARS).exp();
    let tenure = TENURE_FLOOR + (1.0 - TENURE_FLOOR) * (1.0 - (-f64::from(step.years) / TENURE_YEARS).exp());
    f64::from(step.confidence) * recency * tenure
}

/// Recency never falls below this share.
const RECENCY_FLOOR: f64 = 0.35;
/// Years since a role ended over which recency decays by 1/e (above the floor).
const RECENCY_YEARS: f64 = 5.0;
/// Tenure never falls below this share.
const TENURE_FLOOR: f64 = 0.45;
/// Years in a role at which tenure reaches 63 % (above the floor).
const TENURE_YEARS: f64 = 2.0;

/// The occupations a career is filed under in the index, with a strength from 1
/// to [`MAX_INDEX_STRENGTH`] each: the strongest [`MAX_INDEXED_OCCUPATIONS`].
/// Independent of today's date (a role held now counts fully, an ended one
/// less), so a rebuilt index equals the original.
pub fn indexed_occupations(alumnus: &Alumnus, recognised: &RecognisedCareer) -> Vec<(OccupationId, u32)> {
    // Tenure is measured against the last date the career mentions, not today.
    let latest = alumnus
        .positions
        .iter()
        .flat_map(|p| [Some(p.start), p.end])
        .flatten()
        .max()
        .unwrap_or(PartialDate {
            year: 2000,
            month: 1,
            day: None,
        });
    let mut best: Vec<(OccupationId, f64)> = Vec::new();
    for step in career_steps_of(alumnus, recognised, &latest) {
        let step = CareerStep {
            years_since: if step.current { 0.0 } else { INDEX_ENDED_YEARS },
            ..step
        };
        let strength = step_strength(&step);
        match best.iter_mut().find(|(o, _)| *o == step.occupation) {
            Some((_, s)) => *s = s.max(strength),
            None => best.push((step.occupation, strength)),
        }
    }
    best.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    best.truncate(MAX_INDEXED_OCCUPATIONS);
    best.into_iter()
        .map(|(occupation, strength)| {
            (
                occupation,
                1 + (strength * f64::from(MAX_INDEX_STRENGTH - 1)).round() as u32,
            )
        })
        .collect()
}

/// Occupations one alumnus is filed under.
pub const MAX_INDEXED_OCCUPATIONS: usize = 6;
/// Strength levels of an indexed occupation (its term frequency).
pub const MAX_INDEX_STRENGTH: u32 = 4;
/// Years since an ended role as the index counts it.
const INDEX_ENDED_YEARS: f32 = 3.0;
