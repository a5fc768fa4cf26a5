//! Score components: each is a feature in [0, 1] with a name (used in weight
//! profiles, overrides and explanations) and the function that computes it.
//!
//! A component is defined where it belongs: the ones every kind may weigh in
//! [`shared`](super::shared), a kind's own in its module under
//! [`kinds`](super::kinds). The registry of every component is built from
//! those lists, so nothing else has to know them all.

use std::{
    cmp::Ordering,
    hash::{Hash, Hasher},
};

use super::{Features, kinds, shared};
use crate::domain::OpportunityKind;

/// What a component is: its name, one line on what it measures, and how.
#[derive(Debug)]
pub struct ComponentDef {
    /// The name used in configuration, requests and explanations.
    pub name: &'static str,
    /// What it measures, in one line.
    pub summary: &'static str,
    /// Computes the feature, in [0, 1].
    pub value: fn(&Features<'_>) -> f64,
}

/// A score component. Compared, ordered and hashed by name.
#[derive(Debug, Clone, Copy)]
pub struct Component(pub(crate) &'static ComponentDef);

impl Component {
    /// The name used in configuration, requests and explanations.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// What it measures, in one line.
    pub fn summary(self) -> &'static str {
        self.0.summary
    }

    /// The feature's value for one candidate, clamped to [0, 1].
    pub fn value(self, features: &Features<'_>) -> f64 {
        (self.0.value)(features).clamp(0.0, 1.0)
    }

    /// Every component: the shared ones, then each kind's own, each once.
    pub fn all() -> Vec<Component> {
        let mut all: Vec<Component> = shared::COMPONENTS.to_vec();
        for kind in OpportunityKind::ALL {
            for component in kinds::model(kind).components() {
                if !all.contains(component) {
                    all.push(*component);
                }
            }
        }
        all
    }

    /// Looks a component up by name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::all().into_iter().find(|c| c.name() == name)
    }

    /// The names of every component, comma-separated, for messages.
    pub fn known_names() -> String {
        Self::all().iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
    }
}

impl PartialEq for Component {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Component {}

impl Hash for Component {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl PartialOrd for Component {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Component {
    fn cmp(&self, other: &Self) -> Ordering {
        self.name().cmp(other.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_has_a_unique_name_and_is_found_by_it() {
        let all = Component::all();
        let mut names: Vec<&str> = all.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "names are unique");
        for component in all {
            assert_eq!(Component::from_name(component.name()), Some(component));
            assert!(!component.summary().is_empty());
        }
        assert_eq!(Component::from_name("age"), None);
    }
}
