//! The engine's results as API responses.

use super::{opportunity::opportunity_to_proto, scalars::kind_to_proto};
use crate::{
    engine::{
        MatchPage, MentorAssignmentPlan, OpportunityMatch, OpportunityPage, RankedCandidate, RescoreProgress,
        ShortlistPage,
    },
    proto,
    ranking::ScoredCandidate,
};

/// A ranked candidate; without `explain` only the id, name, score, rank and reason.
pub fn candidate_to_proto(rank: u32, c: ScoredCandidate, explain: bool) -> proto::Candidate {
    let (components, matched_skills, missing_required_skills) = if explain {
        (
            c.components
                .into_iter()
                .map(|sc| proto::ScoreComponent {
                    name: sc.component.name().to_owned(),
                    value: sc.value,
                    weight: sc.weight,
                    contribution: sc.contribution,
                })
                .collect(),
            c.matched_skills,
            c.missing_required_skills,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    proto::Candidate {
        alumnus_id: c.alumnus_id,
        display_name: c.display_name,
        score: c.score,
        rank,
        components,
        matched_skills,
        missing_required_skills,
        reason: c.reason,
        held_back: c.held_back,
    }
}

fn ranked(candidates: Vec<RankedCandidate>, explain: bool) -> Vec<proto::Candidate> {
    candidates
        .into_iter()
        .map(|r| candidate_to_proto(r.rank, r.candidate, explain))
        .collect()
}

/// A Match page.
pub fn match_response(page: MatchPage, explain: bool) -> proto::MatchResponse {
    proto::MatchResponse {
        candidates: ranked(page.candidates, explain),
        total_eligible: page.total_eligible,
        next_page_token: page.next_page_token,
        total_matched: page.total_matched,
        profile_version: page.profile_version,
    }
}

/// The opportunities that fit one alumnus.
pub fn match_for_alumnus_response(matches: Vec<OpportunityMatch>, explain: bool) -> proto::MatchForAlumnusResponse {
    proto::MatchForAlumnusResponse {
        matches: matches
            .into_iter()
            .map(|m| {
                let candidate = candidate_to_proto(m.rank, m.candidate, explain);
                proto::OpportunityMatch {
                    opportunity_id: m.opportunity.id,
                    title: m.opportunity.title,
                    kind: kind_to_proto(m.opportunity.kind) as i32,
                    score: candidate.score,
                    rank: m.rank,
                    components: candidate.components,
                    matched_skills: candidate.matched_skills,
                    missing_required_skills: candidate.missing_required_skills,
                    reason: candidate.reason,
                }
            })
            .collect(),
    }
}

/// A mentor assignment, every pair explained.
pub fn assign_mentors_response(plan: MentorAssignmentPlan) -> proto::AssignMentorsResponse {
    proto::AssignMentorsResponse {
        assignments: plan
            .assignments
            .into_iter()
            .map(|a| proto::MentorAssignment {
                opportunity_id: a.opportunity_id,
                mentor: Some(candidate_to_proto(a.rank, a.mentor, true)),
            })
            .collect(),
        total_score: plan.total_score,
        fills: plan
            .fills
            .into_iter()
            .map(|(opportunity_id, fill)| proto::OpportunityFill {
                opportunity_id,
                capacity: fill.capacity,
                assigned: fill.assigned,
            })
            .collect(),
    }
}

/// A page of a stored shortlist, explained.
pub fn shortlist_response(opportunity_id: String, page: ShortlistPage) -> proto::GetShortlistResponse {
    proto::GetShortlistResponse {
        opportunity_id,
        candidates: ranked(page.candidates, true),
        computed_at: Some(prost_types::Timestamp {
            seconds: page.computed_at.seconds,
            nanos: page.computed_at.nanos,
        }),
        stale: page.stale,
        total: page.total,
        next_page_token: page.next_page_token,
        profile_version: page.profile_version,
    }
}

/// A page of opportunities.
pub fn list_opportunities_response(page: OpportunityPage) -> proto::ListOpportunitiesResponse {
    proto::ListOpportunitiesResponse {
        opportunities: page.opportunities.into_iter().map(opportunity_to_proto).collect(),
        next_page_token: page.next_page_token,
    }
}

/// Re-score progress.
/// One message of a Rescore stream.
pub fn rescore_response(p: RescoreProgress) -> proto::RescoreResponse {
    proto::RescoreResponse {
        progress: Some(progress_to_proto(p)),
    }
}

pub fn progress_to_proto(p: RescoreProgress) -> proto::RescoreProgress {
    proto::RescoreProgress {
        completed: p.completed,
        total: p.total,
        rate_per_second: p.rate_per_second(),
        eta_seconds: p.eta_seconds(),
        done: p.done,
        written: p.written,
        skipped: p.skipped,
        elapsed_seconds: p.elapsed_seconds,
    }
}
