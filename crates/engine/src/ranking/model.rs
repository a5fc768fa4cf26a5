//! Weight profiles: which components make up a kind's score and how much each counts.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::domain::OpportunityKind;

/// The default profiles, `data/ranking.toml`, compiled in so the binary works anywhere.
pub const DEFAULT_PROFILES_TOML: &str = include_str!("../../../../data/ranking.toml");

/// One term of the score. Every component is a feature in [0, 1]; which ones a
/// kind uses, and how much, is its weight profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    /// Coverage of required skills, weighted by years, recency and level.
    RequiredSkills,
    /// Coverage of preferred skills.
    PreferredSkills,
    /// BM25 relevance relative to the best retrieved candidate.
    TextRelevance,
    /// The alumnus's interest statement and topics against the opportunity.
    InterestRelevance,
    /// Work mode, employment type and location fit.
    ConditionsFit,
    /// Recency of activity in the alumni programme.
    Engagement,
    /// REHIRE: tenure and departments at the company.
    CompanyHistory,
    /// REHIRE: time since leaving, best between one and five years.
    BoomerangWindow,
    /// REHIRE: seniority and skills gained since leaving.
    GrowthSinceLeaving,
    /// REFERRAL: closeness of the current role to the opening.
    NetworkProximity,
    /// REFERRAL, PARTNERSHIP: seniority of the current role.
    Seniority,
    /// REFERRAL: referrals made before.
    ReferralHistory,
    /// MENTORING: depth of expertise in the required skills.
    ExpertiseDepth,
    /// MENTORING: stated interest in mentoring or knowledge sharing.
    MentoringInterest,
    /// MENTORING: a language shared with the mentees.
    LanguageFit,
    /// MENTORING: availability for side work.
    SideWorkAvailability,
    /// PARTNERSHIP: the current organisation's fit with the opportunity's domain.
    IndustryFit,
    /// PARTNERSHIP: stated interest in collaboration.
    CollaborationInterest,
}

impl Component {
    /// Every component.
    pub const ALL: [Component; 18] = [
        Self::RequiredSkills,
        Self::PreferredSkills,
        Self::TextRelevance,
        Self::InterestRelevance,
        Self::ConditionsFit,
        Self::Engagement,
        Self::CompanyHistory,
        Self::BoomerangWindow,
        Self::GrowthSinceLeaving,
        Self::NetworkProximity,
        Self::Seniority,
        Self::ReferralHistory,
        Self::ExpertiseDepth,
        Self::MentoringInterest,
        Self::LanguageFit,
        Self::SideWorkAvailability,
        Self::IndustryFit,
        Self::CollaborationInterest,
    ];

    /// The name used in configuration, requests and explanations.
    pub fn name(self) -> &'static str {
        match self {
            Self::RequiredSkills => "required_skills",
            Self::PreferredSkills => "preferred_skills",
            Self::TextRelevance => "text_relevance",
            Self::InterestRelevance => "interest_relevance",
            Self::ConditionsFit => "conditions_fit",
            Self::Engagement => "engagement",
            Self::CompanyHistory => "company_history",
            Self::BoomerangWindow => "boomerang_window",
            Self::GrowthSinceLeaving => "growth_since_leaving",
            Self::NetworkProximity => "network_proximity",
            Self::Seniority => "seniority",
            Self::ReferralHistory => "referral_history",
            Self::ExpertiseDepth => "expertise_depth",
            Self::MentoringInterest => "mentoring_interest",
            Self::LanguageFit => "language_fit",
            Self::SideWorkAvailability => "side_work_availability",
            Self::IndustryFit => "industry_fit",
            Self::CollaborationInterest => "collaboration_interest",
        }
    }

    /// Looks a component up by name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Why a weight profile or an override was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightError {
    /// The name is not a component of the kind's profile.
    #[error("unknown score component {name:?}; known: {known}")]
    UnknownComponent {
        /// The name given.
        name: String,
        /// The names that exist, comma-separated.
        known: String,
    },
    /// Negative, NaN, infinite or above [`MAX_WEIGHT`].
    #[error("weight of {name:?} must be a number from 0 to 1000, got {value}")]
    InvalidWeight {
        /// The component.
        name: String,
        /// The value given.
        value: f64,
    },
    /// Every weight is zero, so no score can be formed.
    #[error("at least one weight must be greater than 0")]
    AllZero,
    /// The profiles file does not parse or lacks a kind.
    #[error("ranking profiles: {0}")]
    Config(String),
}

/// A kind's components with weights that sum to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightProfile {
    weights: Vec<(Component, f64)>,
}

impl WeightProfile {
    /// Builds a profile from raw weights, checking and normalising them.
    pub fn new(raw: impl IntoIterator<Item = (Component, f64)>) -> Result<Self, WeightError> {
        let mut weights: Vec<(Component, f64)> = raw.into_iter().collect();
        weights.sort_by_key(|(c, _)| *c);
        weights.dedup_by_key(|(c, _)| *c);
        for (component, value) in &weights {
            // The bound keeps the sum finite: weights of 1e308 would overflow it to
            // infinity and normalise every weight to 0.
            if !(0.0..=MAX_WEIGHT).contains(value) {
                return Err(WeightError::InvalidWeight {
                    name: component.name().into(),
                    value: *value,
                });
            }
        }
        let total: f64 = weights.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return Err(WeightError::AllZero);
        }
        for (_, w) in &mut weights {
            *w /= total;
        }
        Ok(Self { weights })
    }

    /// The components and their normalised weights, in a fixed order.
    pub fn weights(&self) -> &[(Component, f64)] {
        &self.weights
    }

    /// The normalised weight of a component (0 when absent).
    pub fn weight(&self, component: Component) -> f64 {
        self.weights
            .iter()
            .find(|(c, _)| *c == component)
            .map(|(_, w)| *w)
            .unwrap_or(0.0)
    }

    /// A copy with some weights replaced or added (before normalisation), by
    /// component name; unknown names and invalid values are errors.
    pub fn with_overrides(&self, overrides: &HashMap<String, f64>) -> Result<Self, WeightError> {
        if overrides.is_empty() {
            return Ok(self.clone());
        }
        // Overrides apply to the raw scale of the profile: start from the normalised
        // weights, which are a valid raw scale.
        let mut raw: BTreeMap<Component, f64> = self.weights.iter().copied().collect();
        let mut names: Vec<&String> = overrides.keys().collect();
        names.sort();
        for name in names {
            let value = overrides[name];
            // A known component outside the kind's profile may be added: an analyst
            // can ask for, say, engagement to count in a partnership search.
            let component = Component::from_name(name).ok_or_else(|| WeightError::UnknownComponent {
                name: name.clone(),
                known: Component::ALL.map(Component::name).join(", "),
            })?;
            raw.insert(component, value);
        }
        Self::new(raw)
    }
}

/// Every problem of a set of weight overrides that needs no profile to find:
/// unknown component names and values outside `[0, MAX_WEIGHT]`, as
/// `(name, problem)` in name order (all of them, not only the first).
pub fn check_overrides(overrides: &HashMap<String, f64>) -> Vec<(String, String)> {
    let mut names: Vec<&String> = overrides.keys().collect();
    names.sort();
    let mut listed_known = false;
    names
        .into_iter()
        .filter_map(|name| {
            let value = overrides[name];
            if Component::from_name(name).is_none() {
                // The known names are listed with the first unknown one only.
                let known = if std::mem::replace(&mut listed_known, true) {
                    "as above".to_owned()
                } else {
                    Component::ALL.map(Component::name).join(", ")
                };
                Some(WeightError::UnknownComponent {
                    name: name.clone(),
                    known,
                })
            } else if !(0.0..=MAX_WEIGHT).contains(&value) {
                Some(WeightError::InvalidWeight {
                    name: name.clone(),
                    value,
                })
            } else {
                None
            }
        })
        .map(|error| match &error {
            WeightError::UnknownComponent { name, .. } | WeightError::InvalidWeight { name, .. } => {
                (name.clone(), error.to_string())
            }
            other => (String::new(), other.to_string()),
        })
        .collect()
}

/// The largest raw weight a profile or an override may give a component; weights
/// are relative, so this is no restriction in practice.
pub const MAX_WEIGHT: f64 = 1000.0;

/// The weight profile of every kind.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingProfiles {
    profiles: HashMap<OpportunityKind, WeightProfile>,
}

impl RankingProfiles {
    /// Parses a profiles file (see `data/ranking.toml`): a table per kind mapping
    /// component names to weights. Every kind must be present.
    pub fn from_toml(text: &str) -> Result<Self, WeightError> {
        #[derive(Deserialize)]
        struct File {
            rehire: BTreeMap<String, f64>,
            referral: BTreeMap<String, f64>,
            mentoring: BTreeMap<String, f64>,
            partnership: BTreeMap<String, f64>,
        }
        let file: File = figment::Figment::from(<figment::providers::Toml as figment::providers::Format>::string(text))
            .extract()
            .map_err(|e| WeightError::Config(e.to_string()))?;
        let parse = |table: BTreeMap<String, f64>| -> Result<WeightProfile, WeightError> {
            let mut raw = Vec::new();
            for (name, value) in table {
                let component = Component::from_name(&name).ok_or_else(|| WeightError::UnknownComponent {
                    name: name.clone(),
                    known: Component::ALL.map(Component::name).join(", "),
                })?;
                raw.push((component, value));
            }
            WeightProfile::new(raw)
        };
        let profiles = HashMap::from([
            (OpportunityKind::Rehire, parse(file.rehire)?),
            (OpportunityKind::Referral, parse(file.referral)?),
            (OpportunityKind::Mentoring, parse(file.mentoring)?),
            (OpportunityKind::Partnership, parse(file.partnership)?),
        ]);
        Ok(Self { profiles })
    }

    /// The compiled-in defaults.
    pub fn defaults() -> Self {
        // The file is part of the source tree and checked by a unit test.
        Self::from_toml(DEFAULT_PROFILES_TOML).unwrap_or_else(|e| panic!("built-in data/ranking.toml: {e}"))
    }

    /// The profile of a kind.
    pub fn profile(&self, kind: OpportunityKind) -> &WeightProfile {
        // Construction guarantees every kind is present.
        &self.profiles[&kind]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_normalise() {
        let profiles = RankingProfiles::defaults();
        for kind in OpportunityKind::ALL {
            let total: f64 = profiles.profile(kind).weights().iter().map(|(_, w)| w).sum();
            assert!((total - 1.0).abs() < 1e-12, "{kind:?}: {total}");
        }
    }

    #[test]
    fn overrides_replace_and_renormalise() {
        let profile = WeightProfile::new([(Component::RequiredSkills, 1.0), (Component::TextRelevance, 1.0)]).unwrap();
        let changed = profile
            .with_overrides(&HashMap::from([("text_relevance".to_string(), 1.5)]))
            .unwrap();
        assert!((changed.weight(Component::RequiredSkills) - 0.25).abs() < 1e-12);
        assert!((changed.weight(Component::TextRelevance) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn bad_overrides_are_rejected() {
        let profile = RankingProfiles::defaults().profile(OpportunityKind::Rehire).clone();
        let err = profile
            .with_overrides(&HashMap::from([("age".to_string(), 1.0)]))
            .unwrap_err();
        assert!(matches!(err, WeightError::UnknownComponent { ref name, .. } if name == "age"));
        for bad in [-0.1, f64::NAN, f64::INFINITY, 1e308, MAX_WEIGHT + 1.0] {
            let err = profile
                .with_overrides(&HashMap::from([("engagement".to_string(), bad)]))
                .unwrap_err();
            assert!(matches!(err, WeightError::InvalidWeight { .. }), "{bad}");
        }
        let all_zero: HashMap<String, f64> = Component::ALL.iter().map(|c| (c.name().to_string(), 0.0)).collect();
        assert_eq!(profile.with_overrides(&all_zero).unwrap_err(), WeightError::AllZero);
    }

    #[test]
    fn every_bad_override_is_reported() {
        let errors = check_overrides(&HashMap::from([
            ("age".to_string(), 1.0),
            ("engagement".to_string(), -1.0),
            ("text_relevance".to_string(), f64::NAN),
            ("seniority".to_string(), 0.5),
        ]));
        let names: Vec<String> = errors.into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["age", "engagement", "text_relevance"]);
    }

    #[test]
    fn profiles_file_with_unknown_component_is_rejected() {
        let text = DEFAULT_PROFILES_TOML.replace("[referral]\n", "[referral]\ngender = 0.10\n");
        assert_ne!(text, DEFAULT_PROFILES_TOML);
        assert!(matches!(
            RankingProfiles::from_toml(&text),
            Err(WeightError::UnknownComponent { .. })
        ));
    }
}
