//! Recording and reading outcomes, and the tenant's referral mean the REFERRAL
//! model shrinks short records towards.

use super::{Engine, EngineError};
use crate::{
    domain::{DEFAULT_REFERRAL_HIRE_RATE, Hold, Outcome, OutcomeKind, REFERRAL_PRIOR_WEIGHT, Violations},
    limits::MAX_LISTED_OUTCOMES,
    store::Recorded,
};

/// What RecordOutcomes did with a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordReport {
    /// Outcomes written.
    pub recorded: u32,
    /// Outcomes already recorded (nothing changed).
    pub duplicates: u32,
    /// CONTACTED outcomes the contact policy refused: (position in the batch, why).
    pub refused: Vec<(usize, Hold)>,
}

/// Whose outcomes to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeSubject {
    /// One alumnus's, about every opportunity.
    Alumnus(String),
    /// One opportunity's, for every alumnus.
    Opportunity(String),
}

impl Engine {
    /// Records a batch of outcomes (checked at the edge) in one durable
    /// transaction. Unknown alumni or opportunities make the whole batch
    /// invalid; a CONTACTED the contact policy refuses is reported and not
    /// written, and the rest of the batch is.
    pub fn record_outcomes(&self, outcomes: Vec<Outcome>) -> Result<RecordReport, EngineError> {
        let policy = self.contact_policy();
        let results = match self.store.record_outcomes(&outcomes, &policy)? {
            Ok(results) => results,
            Err(unknown) => {
                let mut violations = Violations::new();
                for subject in unknown {
                    violations.add(
                        format!("outcomes[{}].{}_id", subject.index, subject.entity),
                        format!("no {} {:?} in this tenant", subject.entity, subject.id),
                    );
                }
                return Err(violations.into());
            }
        };
        let mut report = RecordReport::default();
        for (index, result) in results.into_iter().enumerate() {
            match result {
                Recorded::New => report.recorded += 1,
                Recorded::Duplicate => report.duplicates += 1,
                Recorded::Refused(hold) => report.refused.push((index, hold)),
            }
        }
        self.outcome_meter
            .recorded
            .fetch_add(u64::from(report.recorded), std::sync::atomic::Ordering::Relaxed);
        self.outcome_meter
            .refused
            .fetch_add(report.refused.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if outcomes
            .iter()
            .any(|o| matches!(o.kind, OutcomeKind::ReferralSubmitted | OutcomeKind::ReferralHired))
        {
            self.forget_referral_rate();
        }
        Ok(report)
    }

    /// The outcomes of one alumnus or one opportunity, oldest first (at most
    /// [`MAX_LISTED_OUTCOMES`]). NOT_FOUND for an unknown or erased subject.
    pub fn list_outcomes(&self, subject: &OutcomeSubject) -> Result<Vec<Outcome>, EngineError> {
        Ok(match subject {
            OutcomeSubject::Alumnus(id) => {
                self.get_alumnus(id)?;
                self.store.outcomes_of_alumnus(id, MAX_LISTED_OUTCOMES)?
            }
            OutcomeSubject::Opportunity(id) => {
                self.get_opportunity(id)?;
                self.store.outcomes_of_opportunity(id, MAX_LISTED_OUTCOMES)?
            }
        })
    }

    /// The tenant's hire rate of recorded referrals, itself shrunk towards
    /// [`DEFAULT_REFERRAL_HIRE_RATE`] while the tenant has few; computed once
    /// and kept until referral outcomes change.
    pub(super) fn referral_hire_rate(&self) -> Result<f64, EngineError> {
        if let Ok(cached) = self.referral_rate.lock()
            && let Some(rate) = *cached
        {
            return Ok(rate);
        }
        let (mut submitted, mut hired) = (0u64, 0u64);
        for outcome in self.store.all_outcomes()? {
            match outcome.kind {
                OutcomeKind::ReferralSubmitted => submitted += 1,
                OutcomeKind::ReferralHired => hired += 1,
                _ => {}
            }
        }
        let submitted = submitted.max(hired) as f64;
        let rate =
            (hired as f64 + REFERRAL_PRIOR_WEIGHT * DEFAULT_REFERRAL_HIRE_RATE) / (submitted + REFERRAL_PRIOR_WEIGHT);
        if let Ok(mut cached) = self.referral_rate.lock() {
            *cached = Some(rate);
        }
        Ok(rate)
    }

    /// Drops the cached referral mean (referral outcomes changed).
    pub(super) fn forget_referral_rate(&self) {
        if let Ok(mut cached) = self.referral_rate.lock() {
            *cached = None;
        }
    }
}
