//! Outcomes, the contact policy, the funnel and tuning: requests converted and
//! validated once, and the engine's answers written back.

use super::scalars::{self, kind_filter_from_proto, kind_to_proto};
use crate::{
    domain::{
        self, ContactPolicy, FunnelStage, Hold, OutcomeKind, Timestamp, Violations, WhenCapped, validate_outcome,
    },
    engine::{Funnel, FunnelCounts, FunnelQuery, KindTuning, OutcomeSubject, RecordReport, TuneOptions, TuneReport},
    limits::MAX_BATCH_ITEMS,
    proto,
};

fn outcome_kind_from_proto(value: i32, field: &str, violations: &mut Violations) -> Option<OutcomeKind> {
    use proto::OutcomeKind as P;
    Some(match P::try_from(value) {
        Ok(P::Contacted) => OutcomeKind::Contacted,
        Ok(P::Replied) => OutcomeKind::Replied,
        Ok(P::Interested) => OutcomeKind::Interested,
        Ok(P::Declined) => OutcomeKind::Declined,
        Ok(P::Interviewed) => OutcomeKind::Interviewed,
        Ok(P::Hired) => OutcomeKind::Hired,
        Ok(P::ReferralSubmitted) => OutcomeKind::ReferralSubmitted,
        Ok(P::ReferralHired) => OutcomeKind::ReferralHired,
        Ok(P::MentoringStarted) => OutcomeKind::MentoringStarted,
        Ok(P::PartnershipStarted) => OutcomeKind::PartnershipStarted,
        Ok(P::Unspecified) => {
            violations.add(field, "must be set (CONTACTED, REPLIED, …)");
            return None;
        }
        Err(_) => {
            violations.add(field, format!("unknown outcome kind {value}"));
            return None;
        }
    })
}

fn outcome_kind_to_proto(kind: OutcomeKind) -> proto::OutcomeKind {
    use proto::OutcomeKind as P;
    match kind {
        OutcomeKind::Contacted => P::Contacted,
        OutcomeKind::Replied => P::Replied,
        OutcomeKind::Interested => P::Interested,
        OutcomeKind::Declined => P::Declined,
        OutcomeKind::Interviewed => P::Interviewed,
        OutcomeKind::Hired => P::Hired,
        OutcomeKind::ReferralSubmitted => P::ReferralSubmitted,
        OutcomeKind::ReferralHired => P::ReferralHired,
        OutcomeKind::MentoringStarted => P::MentoringStarted,
        OutcomeKind::PartnershipStarted => P::PartnershipStarted,
    }
}

/// The outcomes of a RecordOutcomes request, every problem of every item
/// reported at once under `outcomes[i]`.
pub fn record_outcomes_request(request: proto::RecordOutcomesRequest) -> Result<Vec<domain::Outcome>, Violations> {
    let mut violations = Violations::new();
    let now = Timestamp::now();
    if request.outcomes.is_empty() {
        violations.add("outcomes", "must hold at least one outcome");
    }
    violations.check_count("outcomes", request.outcomes.len(), MAX_BATCH_ITEMS);
    let mut outcomes = Vec::with_capacity(request.outcomes.len().min(MAX_BATCH_ITEMS));
    for (i, o) in request.outcomes.into_iter().enumerate().take(MAX_BATCH_ITEMS) {
        let path = format!("outcomes[{i}]");
        let kind = outcome_kind_from_proto(o.kind, &format!("{path}.kind"), &mut violations);
        let occurred_at = match &o.occurred_at {
            Some(ts) => scalars::timestamp(Some(ts), &format!("{path}.occurred_at"), &mut violations),
            None => {
                violations.add(format!("{path}.occurred_at"), "is required");
                None
            }
        };
        let outcome = domain::Outcome {
            alumnus_id: o.alumnus_id,
            opportunity_id: o.opportunity_id,
            // Placeholders where the value was refused above, so that the
            // item's other fields are still checked.
            kind: kind.unwrap_or(OutcomeKind::Replied),
            occurred_at: occurred_at.unwrap_or(now),
            note: o.note,
            referred_candidate: o.referred_candidate,
        };
        validate_outcome(&outcome, &path, now, &mut violations);
        if kind.is_some() && occurred_at.is_some() {
            outcomes.push(outcome);
        }
    }
    violations.into_result().map(|()| outcomes)
}

fn hold_to_proto(hold: Hold) -> proto::ContactHold {
    match hold {
        Hold::Declined => proto::ContactHold::Declined,
        Hold::NotBefore(_) => proto::ContactHold::NotBefore,
        Hold::Capped { .. } => proto::ContactHold::ContactCap,
    }
}

/// What RecordOutcomes did.
pub fn record_outcomes_response(report: RecordReport) -> proto::RecordOutcomesResponse {
    proto::RecordOutcomesResponse {
        recorded_count: report.recorded,
        duplicate_count: report.duplicates,
        refused: report
            .refused
            .into_iter()
            .map(|(index, hold)| proto::RefusedOutcome {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                hold: hold_to_proto(hold) as i32,
                reason: hold.describe(),
            })
            .collect(),
    }
}

/// The subject of a ListOutcomes request.
pub fn list_outcomes_request(request: proto::ListOutcomesRequest) -> Result<OutcomeSubject, Violations> {
    use proto::list_outcomes_request::Subject;
    let mut violations = Violations::new();
    let subject = match request.subject {
        Some(Subject::AlumnusId(id)) => {
            violations.check_id("alumnus_id", &id);
            OutcomeSubject::Alumnus(id)
        }
        Some(Subject::OpportunityId(id)) => {
            violations.check_id("opportunity_id", &id);
            OutcomeSubject::Opportunity(id)
        }
        None => {
            violations.add("subject", "set alumnus_id or opportunity_id");
            OutcomeSubject::Alumnus(String::new())
        }
    };
    violations.into_result().map(|()| subject)
}

/// Outcomes as the API lists them.
pub fn outcomes_to_proto(outcomes: Vec<domain::Outcome>) -> proto::ListOutcomesResponse {
    proto::ListOutcomesResponse {
        outcomes: outcomes
            .into_iter()
            .map(|o| proto::Outcome {
                alumnus_id: o.alumnus_id,
                opportunity_id: o.opportunity_id,
                kind: outcome_kind_to_proto(o.kind) as i32,
                occurred_at: scalars::timestamp_out(Some(o.occurred_at)),
                note: o.note,
                referred_candidate: o.referred_candidate,
            })
            .collect(),
    }
}

/// A contact policy from the API, checked.
pub fn contact_policy_from_proto(policy: Option<proto::ContactPolicy>) -> Result<ContactPolicy, Violations> {
    let mut violations = Violations::new();
    let Some(policy) = policy else {
        violations.add("policy", "is required");
        return Err(violations);
    };
    let when_capped = match proto::CappedAlumni::try_from(policy.when_capped) {
        Ok(proto::CappedAlumni::Unspecified | proto::CappedAlumni::Hide) => WhenCapped::Hide,
        Ok(proto::CappedAlumni::Flag) => WhenCapped::Flag,
        Err(_) => {
            violations.add("policy.when_capped", format!("unknown value {}", policy.when_capped));
            WhenCapped::Hide
        }
    };
    let policy = ContactPolicy {
        max_contacts: policy.max_contacts,
        window_days: policy.window_days,
        when_capped,
    };
    policy.validate("policy", &mut violations);
    violations.into_result().map(|()| policy)
}

/// A contact policy as the API shows it.
pub fn contact_policy_to_proto(policy: ContactPolicy) -> proto::ContactPolicy {
    proto::ContactPolicy {
        max_contacts: policy.max_contacts,
        window_days: policy.window_days,
        when_capped: match policy.when_capped {
            WhenCapped::Hide => proto::CappedAlumni::Hide,
            WhenCapped::Flag => proto::CappedAlumni::Flag,
        } as i32,
    }
}

/// A GetFunnel request.
pub fn funnel_request(request: proto::GetFunnelRequest) -> Result<FunnelQuery, Violations> {
    let mut violations = Violations::new();
    let kind = kind_filter_from_proto(request.kind, "kind", &mut violations);
    let opportunity_id = if request.opportunity_id.is_empty() {
        None
    } else {
        violations.check_id("opportunity_id", &request.opportunity_id);
        Some(request.opportunity_id)
    };
    violations.into_result().map(|()| FunnelQuery { kind, opportunity_id })
}

fn stages_to_proto(counts: &FunnelCounts) -> proto::FunnelStages {
    proto::FunnelStages {
        shown: counts.at(FunnelStage::Shown),
        contacted: counts.at(FunnelStage::Contacted),
        replied: counts.at(FunnelStage::Replied),
        interviewed: counts.at(FunnelStage::Interviewed),
        hired: counts.at(FunnelStage::Hired),
        declined: counts.declined,
        median_days_to_contact: counts.days_to_contact,
        median_days_to_reply: counts.days_to_reply,
        median_days_to_hire: counts.days_to_hire,
    }
}

/// The funnel.
pub fn funnel_response(funnel: Funnel) -> proto::GetFunnelResponse {
    proto::GetFunnelResponse {
        total: Some(stages_to_proto(&funnel.total)),
        by_kind: funnel
            .by_kind
            .iter()
            .map(|(kind, counts)| proto::KindFunnel {
                kind: kind_to_proto(*kind) as i32,
                stages: Some(stages_to_proto(counts)),
            })
            .collect(),
        by_opportunity: funnel
            .by_opportunity
            .into_iter()
            .map(|(opportunity_id, kind, counts)| proto::OpportunityFunnel {
                opportunity_id,
                kind: kind_to_proto(kind) as i32,
                stages: Some(stages_to_proto(&counts)),
            })
            .collect(),
    }
}

/// A TuneProfiles request from a key of `caller_tenant`.
pub fn tune_request(request: proto::TuneProfilesRequest, caller_tenant: &str) -> Result<TuneOptions, Violations> {
    let mut violations = Violations::new();
    if !request.tenant.is_empty() && request.tenant != caller_tenant {
        violations.add(
            "tenant",
            format!(
                "this API key belongs to tenant {caller_tenant:?}, not {:?}",
                request.tenant
            ),
        );
    }
    let fraction = request.holdout_fraction;
    if !(fraction == 0.0 || (fraction > 0.0 && fraction < 1.0)) {
        violations.add(
            "holdout_fraction",
            "must be 0 (the default, 0.3) or between 0 and 1, exclusive",
        );
    }
    violations.into_result().map(|()| TuneOptions {
        holdout_fraction: fraction,
        dry_run: request.dry_run,
    })
}

fn kind_tuning_to_proto(k: KindTuning) -> proto::KindTuning {
    proto::KindTuning {
        kind: kind_to_proto(k.kind) as i32,
        train_lists: u32::try_from(k.train_lists).unwrap_or(u32::MAX),
        holdout_lists: u32::try_from(k.holdout_lists).unwrap_or(u32::MAX),
        judged_pairs: u32::try_from(k.judged_pairs).unwrap_or(u32::MAX),
        holdout_ndcg_before: k.holdout_ndcg_before,
        holdout_ndcg_after: k.holdout_ndcg_after,
        weights_before: k.weights_before.into_iter().collect(),
        weights_after: k.weights_after.into_iter().collect(),
        improved: k.improved,
        note: k.note,
    }
}

/// What tuning did for `tenant`.
pub fn tune_response(report: TuneReport, tenant: String) -> proto::TuneProfilesResponse {
    proto::TuneProfilesResponse {
        tenant,
        kinds: report.kinds.into_iter().map(kind_tuning_to_proto).collect(),
        installed: report.installed,
        profile_version: report.profile_version,
        previous_version: report.previous_version,
    }
}
