//! Stored shortlists as analysts read them: gated on read (see the store's
//! shortlists module), with staleness, and their entries as ranked candidates.

use super::{
    Engine, EngineError, RankedCandidate, ShortlistPage, ShortlistQuery,
    paging::{self, Cursor, Listing, PageToken},
};
use crate::{
    domain::{Opportunity, Violations},
    limits::DEFAULT_SHORTLIST_PAGE_SIZE,
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

    /// One page of a stored shortlist; the page token is bound to the
    /// shortlist's computation, so a token from before a re-score is refused.
    pub fn shortlist_page(&self, query: ShortlistQuery) -> Result<ShortlistPage, EngineError> {
        let view = self.shortlist(&query.opportunity_id)?;
        let computed = view.shortlist.computed_at;
        let binding = (computed.seconds as u64) ^ (u64::from(computed.nanos.unsigned_abs()) << 32);
        let offset = match PageToken::resume(&query.page_token, Listing::Shortlist, binding) {
            Ok(Cursor::Offset(offset)) => offset,
            Ok(Cursor::After(_)) => 0,
            Err(message) => return Err(Violations::single("page_token", message).into()),
        };
        let size = if query.page_size == 0 {
            DEFAULT_SHORTLIST_PAGE_SIZE
        } else {
            query.page_size
        } as usize;
        let total = view.shortlist.candidates.len();
        let end = offset.saturating_add(size).min(total);
        let candidates = view
            .shortlist
            .candidates
            .iter()
            .enumerate()
            .skip(offset)
            .take(size)
            .map(|(i, entry)| RankedCandidate {
                rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
                candidate: from_entry(entry),
            })
            .collect();
        let next_page_token = if end < total {
            PageToken {
                listing: Listing::Shortlist,
                binding,
                cursor: Cursor::Offset(end),
            }
            .encode()
        } else {
            String::new()
        };
        Ok(ShortlistPage {
            candidates,
            computed_at: computed,
            stale: view.stale,
            total: u32::try_from(total).unwrap_or(u32::MAX),
            next_page_token,
        })
    }
}
