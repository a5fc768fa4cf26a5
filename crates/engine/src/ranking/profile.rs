//! Weight profiles: which components make up a kind's score and how much each
//! counts, read from `data/ranking.toml` (or a file of the operator's) and
//! checked against the kinds when loaded.

use std::collections::{BTreeMap, HashMap};

use super::{Component, kinds};
use crate::domain::OpportunityKind;

/// The default profiles, `data/ranking.toml`, compiled in so the binary works anywhere.
pub const DEFAULT_PROFILES_TOML: &str = include_str!("../../../../data/ranking.toml");

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
        // Explanations list components in the registry's order: shared ones first.
        let order = Component::all();
        weights.sort_by_key(|(c, _)| order.iter().position(|o| o == c).unwrap_or(usize::MAX));
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
                known: Component::known_names(),
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
                    Component::known_names()
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
    /// component names to weights. Checked against the kinds: every kind must
    /// have a table, and each table must name every component of its kind's own
    /// (a weight of 0 is allowed); unknown kinds and components are errors.
    pub fn from_toml(text: &str) -> Result<Self, WeightError> {
        let file: BTreeMap<OpportunityKind, BTreeMap<String, f64>> =
            toml::from_str(text).map_err(|e| WeightError::Config(e.to_string()))?;
        let mut profiles = HashMap::new();
        for kind in OpportunityKind::ALL {
            let table = file
                .get(&kind)
                .ok_or_else(|| WeightError::Config(format!("no [{}] table", kind.as_str())))?;
            for own in kinds::model(kind).components() {
                if !table.contains_key(own.name()) {
                    return Err(WeightError::Config(format!(
                        "[{}] does not weigh {}, a component of its kind (give it 0 to leave it out)",
                        kind.as_str(),
                        own.name()
                    )));
                }
            }
            let mut raw = Vec::with_capacity(table.len());
            for (name, value) in table {
                let component = Component::from_name(name).ok_or_else(|| WeightError::UnknownComponent {
                    name: name.to_string(),
                    known: Component::known_names(),
                })?;
                raw.push((component, *value));
            }
            profiles.insert(kind, WeightProfile::new(raw)?);
        }
        Ok(Self { profiles })
    }

    /// The compiled-in defaults.
    pub fn defaults() -> Self {
        // The file is part of the source tree and checked by a unit test.
        Self::from_toml(DEFAULT_PROFILES_TOML).unwrap_or_else(|e| panic!("built-in data/ranking.toml: {e}"))
    }

    /// The profile of a kind.
    pub fn profile(&self, kind: OpportunityKind) -> &WeightProfile {
        // Construction checks that every kind is present.
        &self.profiles[&kind]
    }

    /// A copy with one kind's profile replaced.
    pub fn with_profile(&self, kind: OpportunityKind, profile: WeightProfile) -> Self {
        let mut profiles = self.profiles.clone();
        profiles.insert(kind, profile);
        Self { profiles }
    }

    /// The profiles in the format [`RankingProfiles::from_toml`] reads (the
    /// normalised weights, each written so that it reads back exactly).
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        for kind in OpportunityKind::ALL {
            out.push_str(&format!("[{}]\n", kind.as_str()));
            let mut weights = self.profile(kind).weights().to_vec();
            weights.sort_by_key(|(component, _)| component.name());
            for (component, weight) in weights {
                out.push_str(&format!("{} = {weight:?}\n", component.name()));
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ranking::shared::{REQUIRED_SKILLS, TEXT_RELEVANCE};

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
        let profile = WeightProfile::new([(REQUIRED_SKILLS, 1.0), (TEXT_RELEVANCE, 1.0)]).unwrap();
        let changed = profile
            .with_overrides(&HashMap::from([("text_relevance".to_string(), 1.5)]))
            .unwrap();
        assert!((changed.weight(REQUIRED_SKILLS) - 0.25).abs() < 1e-12);
        assert!((changed.weight(TEXT_RELEVANCE) - 0.75).abs() < 1e-12);
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
        let all_zero: HashMap<String, f64> = Component::all().iter().map(|c| (c.name().to_string(), 0.0)).collect();
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
    fn profiles_round_trip_through_toml() {
        let profiles = RankingProfiles::defaults();
        let changed = profiles.with_profile(
            OpportunityKind::Referral,
            WeightProfile::new([(REQUIRED_SKILLS, 1.0), (TEXT_RELEVANCE, 2.0)]).unwrap(),
        );
        let read = RankingProfiles::from_toml(&changed.to_toml());
        assert!(
            read.is_err(),
            "a REFERRAL profile without its own components is refused"
        );
        let again = RankingProfiles::from_toml(&profiles.to_toml()).unwrap();
        for kind in OpportunityKind::ALL {
            for ((a, wa), (b, wb)) in again
                .profile(kind)
                .weights()
                .iter()
                .zip(profiles.profile(kind).weights())
            {
                assert_eq!(a, b);
                assert!((wa - wb).abs() < 1e-12, "{kind:?} {}: {wa} vs {wb}", a.name());
            }
        }
    }

    #[test]
    fn profiles_files_are_checked_against_the_kinds() {
        let without_mentoring = DEFAULT_PROFILES_TOML.replace("[mentoring]", "[mentoring_old]");
        assert!(
            RankingProfiles::from_toml(&without_mentoring).is_err(),
            "an unknown kind's table"
        );
        let mut missing_own = String::new();
        for line in DEFAULT_PROFILES_TOML.lines() {
            if !line.starts_with("boomerang_window") {
                missing_own.push_str(line);
                missing_own.push('\n');
            }
        }
        let error = RankingProfiles::from_toml(&missing_own).unwrap_err();
        assert!(error.to_string().contains("boomerang_window"), "{error}");
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
