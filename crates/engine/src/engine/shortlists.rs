//! Stored shortlists as analysts read them: gated on read (see the store's
//! shortlists module), with staleness, and their entries as ranked candidates.

use std::collections::HashMap;

use super::{
    Engine, EngineError, RankedCandidate, ShortlistPage, ShortlistQuery,
    etiquette::{Judged, annotate},
    paging::{self, Cursor, Listing, PageToken},
};
use crate::{
    domain::{Opportunity, Standing, Timestamp, Violations},
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
    /// What the contact etiquette says now of the candidates it kept and
    /// that were approached before (by alumnus id).
    pub standings: HashMap<String, Standing>,
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
        held_back: false,
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

    /// Reads a stored shortlist and whether it is stale. The contact
    /// etiquette applies at once, as it stands now: whoever declined the
    /// opportunity since, reached the cap (under a hiding policy) or asked not
    /// to be contacted yet is left out, like someone who withdrew consent.
    pub fn shortlist(&self, opportunity_id: &str) -> Result<ShortlistView, EngineError> {
        let (mut shortlist, not_before) =
            self.store
                .read_shortlist(opportunity_id)?
                .ok_or_else(|| EngineError::NotFound {
                    entity: "shortlist",
                    id: opportunity_id.to_owned(),
                })?;
        let current = self.store.get_opportunity(opportunity_id)?;
        let stale = self.is_stale(&shortlist, current.as_ref(), self.store.alumni_seq()?);
        let ids: Vec<&str> = shortlist.candidates.iter().map(|c| c.alumnus_id.as_str()).collect();
        let summaries = self.store.outcome_summaries(&ids)?;
        let policy = self.contact_policy();
        let now = Timestamp::now();
        let mut standings = HashMap::new();
        let mut kept = Vec::with_capacity(shortlist.candidates.len());
        for ((entry, summary), not_before) in shortlist.candidates.into_iter().zip(summaries).zip(not_before) {
            let judged = Judged {
                alumnus_id: &entry.alumnus_id,
                history: &summary.contacts,
                not_before,
            };
            if judged.shown(&policy, opportunity_id, now, &mut standings) {
                kept.push(entry);
            }
        }
        shortlist.candidates = kept;
        Ok(ShortlistView {
            shortlist,
            stale,
            standings,
        })
    }

    /// One page of a stored shortlist; the page token is bound to the
    /// shortlist's computation, so a token from before a re-score is refused.
    /// The page goes to the shown-log.
    pub fn shortlist_page(&self, query: ShortlistQuery) -> Result<ShortlistPage, EngineError> {
        let policy = self.contact_policy();
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
            .map(|(i, entry)| {
                let mut candidate = from_entry(entry);
                annotate(&mut candidate, view.standings.get(&entry.alumnus_id), &policy);
                RankedCandidate {
                    rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    candidate,
                }
            })
            .collect::<Vec<_>>();
        self.log_shown(
            &query.opportunity_id,
            candidates.iter().map(|c| (c.candidate.alumnus_id.as_str(), c.rank)),
            view.shortlist.profile_version,
        );
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
            profile_version: view.shortlist.profile_version,
        })
    }
}
