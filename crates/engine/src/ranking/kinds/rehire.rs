//! REHIRE: hiring the alumnus back. What the company knows of them (tenure and
//! departments), when they left (the boomerang window) and what they gained
//! since.

use super::KindModel;
use crate::{
    domain::{Alumnus, Opportunity, PartialDate},
    ranking::{
        Component, ComponentDef, Features,
        career::{last_company_position, left_on},
        seniority::title_seniority,
        wording::format_years,
    },
    taxonomy::normalize,
};

pub(super) struct Rehire;

impl KindModel for Rehire {
    fn components(&self) -> &'static [Component] {
        &[COMPANY_HISTORY, BOOMERANG_WINDOW, GROWTH_SINCE_LEAVING]
    }

    fn reason(&self, f: &Features<'_>, parts: &mut Vec<String>) {
        let years_at_company = years_at_company(f.alumnus, f.today);
        if years_at_company > 0.0 {
            parts.push(format!("{} yrs at the company", format_years(years_at_company as f32)));
        }
        if let Some(left_on) = left_on(f.alumnus) {
            let years = left_on.years_until(&f.today).max(0.0);
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
}

/// Tenure and departments at the company.
pub const COMPANY_HISTORY: Component = Component(&ComponentDef {
    name: "company_history",
    summary: "years at the company, and whether in the opportunity's department",
    value: |f| company_history(f.alumnus, &f.opportunity.opportunity, f.today),
});

/// Time since leaving, best between one and five years.
pub const BOOMERANG_WINDOW: Component = Component(&ComponentDef {
    name: "boomerang_window",
    summary: "time since leaving: best at one to five years",
    value: |f| boomerang_window(f.alumnus, f.today),
});

/// Seniority and skills gained since leaving.
pub const GROWTH_SINCE_LEAVING: Component = Component(&ComponentDef {
    name: "growth_since_leaving",
    summary: "seniority and new skills gained since leaving",
    value: |f| growth_since_leaving(f.alumnus, f.today),
});

fn years_at_company(alumnus: &Alumnus, today: PartialDate) -> f64 {
    alumnus
        .positions
        .iter()
        .filter(|p| p.at_company)
        .map(|p| p.years(&today))
        .sum()
}

/// Years at the company at which tenure reaches 63 % (it saturates near eight).
const TENURE_SCALE_YEARS: f64 = 3.0;
/// Share of company history that tenure makes (the rest: the department).
const TENURE_SHARE: f64 = 0.6;
/// Department fit when the opportunity names no department.
const UNKNOWN_DEPARTMENT_FIT: f64 = 0.5;

/// Years at the company and whether they worked in the opportunity's department.
fn company_history(alumnus: &Alumnus, opportunity: &Opportunity, today: PartialDate) -> f64 {
    let tenure = 1.0 - (-years_at_company(alumnus, today) / TENURE_SCALE_YEARS).exp();
    let department = normalize(&opportunity.department);
    let same_department = !department.is_empty()
        && alumnus.positions.iter().filter(|p| p.at_company).any(|p| {
            let d = normalize(&p.department);
            !d.is_empty() && (d.contains(&department) || department.contains(&d))
        });
    let department_fit = if department.is_empty() {
        UNKNOWN_DEPARTMENT_FIT
    } else if same_department {
        1.0
    } else {
        0.0
    };
    TENURE_SHARE * tenure + (1.0 - TENURE_SHARE) * department_fit
}

/// The window's value when the departure date is unknown.
const UNKNOWN_WINDOW: f64 = 0.5;
/// The value of a return too soon or too late.
const WINDOW_FLOOR: f64 = 0.3;
/// Years out before which a return is too soon; the ramp to the sweet spot.
const TOO_SOON_YEARS: f64 = 0.5;
const SWEET_SPOT_STARTS: f64 = 1.0;
const SWEET_SPOT_ENDS: f64 = 5.0;
/// Years out after which the company and the person have both moved on.
const MOVED_ON_YEARS: f64 = 10.0;

/// The boomerang window. Returning within months is rare and often too soon; one
/// to five years out is the sweet spot; after that the value declines to the floor.
fn boomerang_window(alumnus: &Alumnus, today: PartialDate) -> f64 {
    let Some(left) = left_on(alumnus) else {
        return UNKNOWN_WINDOW;
    };
    let years = left.years_until(&today);
    let rise = 1.0 - WINDOW_FLOOR;
    if years < TOO_SOON_YEARS {
        WINDOW_FLOOR
    } else if years < SWEET_SPOT_STARTS {
        WINDOW_FLOOR + rise * (years - TOO_SOON_YEARS) / (SWEET_SPOT_STARTS - TOO_SOON_YEARS)
    } else if years <= SWEET_SPOT_ENDS {
        1.0
    } else if years <= MOVED_ON_YEARS {
        1.0 - rise * (years - SWEET_SPOT_ENDS) / (MOVED_ON_YEARS - SWEET_SPOT_ENDS)
    } else {
        WINDOW_FLOOR
    }
}

/// Seniority levels gained (as a share of the scale) for a full score.
const SENIORITY_GAIN_FOR_FULL: f64 = 1.0 / 3.0;
/// Skills picked up since leaving for a full score.
const NEW_SKILLS_FOR_FULL: f64 = 5.0;
/// Share of growth that seniority makes (the rest: new skills).
const SENIORITY_SHARE: f64 = 0.5;

/// Growth since leaving: seniority gained (current role against the last role at
/// the company) and skills used since leaving that were picked up after it (used
/// for fewer years than have passed since leaving).
fn growth_since_leaving(alumnus: &Alumnus, today: PartialDate) -> f64 {
    let Some(left) = left_on(alumnus) else { return 0.0 };
    let since = left.years_until(&today).max(0.0);
    let before = last_company_position(alumnus)
        .map(|p| title_seniority(&p.title))
        .unwrap_or(0.0);
    let now = alumnus
        .positions
        .iter()
        .filter(|p| !p.at_company && p.start >= left)
        .map(|p| title_seniority(&p.title))
        .fold(before, f64::max);
    let seniority_gain = ((now - before) / SENIORITY_GAIN_FOR_FULL).clamp(0.0, 1.0);
    let new_skills = alumnus
        .skills
        .iter()
        .filter(|s| s.last_used_year.is_some_and(|y| y >= left.year) && f64::from(s.years) < since)
        .count();
    SENIORITY_SHARE * seniority_gain + (1.0 - SENIORITY_SHARE) * (new_skills as f64 / NEW_SKILLS_FOR_FULL).min(1.0)
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

    fn alumnus(json: serde_json::Value) -> Alumnus {
        let mut base = serde_json::json!({"id": "a", "display_name": "A"});
        if let (Some(base), Some(extra)) = (base.as_object_mut(), json.as_object()) {
            base.extend(extra.clone());
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn boomerang_window_peaks_between_one_and_five_years() {
        let left = |date: &str| alumnus(serde_json::json!({"departure": {"left_on": date}}));
        let recent = boomerang_window(&left("2026-03"), today());
        let sweet = boomerang_window(&left("2023-06"), today());
        let long_ago = boomerang_window(&left("2010-01"), today());
        assert!(sweet > recent && sweet > long_ago, "{recent} {sweet} {long_ago}");
        assert_eq!(sweet, 1.0);
    }

    #[test]
    fn growth_counts_promotion_and_new_skills() {
        let base = serde_json::json!({
            "departure": {"left_on": "2020-03"},
            "positions": [
                {"title": "Engineer", "start": "2015-04", "end": "2020-03", "at_company": true},
                {"title": "Engineer", "start": "2020-04"}
            ]
        });
        let mut grown = base.clone();
        grown["positions"][1]["title"] = "Engineering Manager".into();
        grown["skills"] = serde_json::json!([{"name": "Go", "years": 3.0, "last_used_year": 2026}]);
        assert!(growth_since_leaving(&alumnus(grown), today()) > growth_since_leaving(&alumnus(base), today()));
    }
}
