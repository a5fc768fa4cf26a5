//! Contact etiquette applied to every ranking the engine hands out: live
//! Match pages, stored shortlists as they are read, mentor assignments. The
//! rules are the domain's ([`ContactPolicy::standing`]); here they meet each
//! candidate's history, read from the store on the ranking's pool.

use std::collections::HashMap;

use super::{Engine, EngineError};
use crate::{
    domain::{ContactHistory, ContactPolicy, Standing, Timestamp, Violations},
    ranking::{Scored, ScoredCandidate},
};

/// The standings of a ranking's candidates that the response must show: those
/// held back but flagged, and those approached before (the reason line says
/// how often). Candidates absent from it were never approached.
pub(super) type Standings = HashMap<String, Standing>;

impl Engine {
    /// The tenant's contact policy in force.
    pub fn contact_policy(&self) -> ContactPolicy {
        self.policy
            .read()
            .map_or_else(|poisoned| *poisoned.into_inner(), |policy| *policy)
    }

    /// Replaces the tenant's contact policy, durably; it applies to the next
    /// ranking and the next shortlist read.
    pub fn set_contact_policy(&self, policy: ContactPolicy) -> Result<ContactPolicy, EngineError> {
        let mut violations = Violations::new();
        policy.validate("policy", &mut violations);
        violations.into_result()?;
        self.store.put_contact_policy(&policy)?;
        match self.policy.write() {
            Ok(mut current) => *current = policy,
            Err(poisoned) => *poisoned.into_inner() = policy,
        }
        Ok(policy)
    }

    /// Drops the candidates the etiquette hides for `opportunity_id` and
    /// returns the standings the response must show. `histories` holds the
    /// candidates' non-empty contact histories.
    pub(super) fn gate_by_etiquette(
        &self,
        opportunity_id: &str,
        histories: &HashMap<String, ContactHistory>,
        candidates: &mut Vec<Scored>,
        now: Timestamp,
    ) -> Standings {
        let policy = self.contact_policy();
        let empty = ContactHistory::default();
        let mut standings = Standings::new();
        candidates.retain(|scored| {
            let alumnus = &scored.entry.alumnus;
            let history = histories.get(&alumnus.id).unwrap_or(&empty);
            let judged = Judged {
                alumnus_id: &alumnus.id,
                history,
                not_before: alumnus.consent.contact_not_before,
            };
            judged.shown(&policy, opportunity_id, now, &mut standings)
        });
        standings
    }
}

/// One candidate as the etiquette sees them.
pub(super) struct Judged<'a> {
    /// The alumnus.
    pub alumnus_id: &'a str,
    /// Their contacts and declines.
    pub history: &'a ContactHistory,
    /// Their own "not before" date.
    pub not_before: Option<Timestamp>,
}

impl Judged<'_> {
    /// Whether the candidate may be shown for `opportunity_id` at `now`; a
    /// shown candidate's standing goes into `standings` when the answer must
    /// say something of it (approached lately, or flagged).
    pub(super) fn shown(
        &self,
        policy: &ContactPolicy,
        opportunity_id: &str,
        now: Timestamp,
        standings: &mut Standings,
    ) -> bool {
        let standing = policy.standing(self.history, self.not_before, opportunity_id, now);
        if standing.shown() && standing != (Standing::Clear { recent: 0 }) {
            standings.insert(self.alumnus_id.to_owned(), standing);
        }
        standing.shown()
    }
}

/// Adds the etiquette's part to an explained candidate: the reason line says
/// how often they were approached lately, and a flagged one is marked.
pub(super) fn annotate(candidate: &mut ScoredCandidate, standing: Option<&Standing>, policy: &ContactPolicy) {
    let Some(standing) = standing else { return };
    if let Some(text) = standing.reason(policy) {
        if candidate.reason.is_empty() {
            candidate.reason = text;
        } else {
            candidate.reason.push_str("; ");
            candidate.reason.push_str(&text);
        }
    }
    candidate.held_back = matches!(standing, Standing::Flagged(_));
}
