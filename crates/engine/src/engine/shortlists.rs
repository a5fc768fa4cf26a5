//! Stored shortlists as analysts read them: gated on read (see the store's
//! shortlists module), with staleness, and their entries as ranked candidates.

use super::{Engine, EngineError, paging};
use crate::{
    domain::{Opportunity, Violations},
    ranking::{Component, ScoreComponent, ScoredCandidate},
    store::{ShortlistEntry, StoredShortlist},
};

/// A stored shortlist read back for an analyst.
#[derive(Debug, Clone, PartialEq)]
pub struct ShortlistView {
    /// The stored list.
    pub shortlist: StoredShortlist,
    /// Whether alumni or the opportunity changed since it was computed.
    pub stale: bool,
}

pub(super) fn to_entry(candidate: &ScoredCandidate) -> ShortlistEntry {
    ShortlistEntry {
        alumnus_id: candidate.alumnus_id.clone(),
        display_name: candidate.display_name.clone(),
        score: candidate.score,
        components: candidate
            .components
            .iter()
            .map(|c| (c.component.name().to_owned(), c.value, c.weight, c.contribution))
            .collect(),
        matched_skills: candidate.matched_skills.clone(),
        missing_required_skills: candidate.missing_required_skills.clone(),
        reason: candidate.reason.clone(),
    }
}

/// A stored entry as a ranked candidate; components unknown to this version
/// (written by a newer one) are left out of the explanation.
pub fn from_entry(entry: &ShortlistEntry) -> ScoredCandidate {
    ScoredCandidate {
        alumnus_id: entry.alumnus_id.clone(),
        display_name: entry.display_name.clone(),
        score: entry.score,
        components: entry
            .components
            .iter()
            .filter_map(|(name, value, weight, contribution)| {
                Component::from_name(name).map(|component| ScoreComponent {
                    component,
                    value: *value,
                    weight: *weight,
                    contribution: *contribution,
                })
            })
            .collect(),
        matched_skills: entry.matched_skills.clone(),
        missing_required_skills: entry.missing_required_skills.clone(),
        reason: entry.reason.clone(),
    }
}

impl Engine {
    /// Fingerprint of an opportunity as ranked by a default-weight Match.
    pub(super) fn opportunity_fingerprint(opportunity: &Opportunity) -> u64 {
        paging::fingerprint(opportunity, &super::MatchOptions::default())
    }

    /// Whether a stored shortlist may no longer be what a fresh ranking gives.
    pub(super) fn is_stale(&self, shortlist: &StoredShortlist, current: Option<&Opportunity>, alumni_seq: u64) -> bool {
        shortlist.pruned
            || shortlist.alumni_seq < alumni_seq
            || current.is_none_or(|o| Self::opportunity_fingerprint(o) != shortlist.opportunity_fingerprint)
    }

    /// Reads a stored shortlist and whether it is stale.
    pub fn shortlist(&self, opportunity_id: &str) -> Result<ShortlistView, EngineError> {
        let mut violations = Violations::new();
        violations.check_id("opportunity_id", opportunity_id);
        violations.into_result()?;
        let shortlist = self
            .store
            .get_shortlist(opportunity_id)?
            .ok_or_else(|| EngineError::NotFound {
                entity: "shortlist",
                id: opportunity_id.to_owned(),
            })?;
        let current = self.store.get_opportunity(opportunity_id)?;
        let stale = self.is_stale(&shortlist, current.as_ref(), self.store.alumni_seq()?);
        Ok(ShortlistView { shortlist, stale })
    }
}
