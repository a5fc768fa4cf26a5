//! Mentor assignment: the best mentors for several MENTORING opportunities at
//! once, within capacities, by min-cost flow over their Match rankings.

use std::collections::HashMap;

use alumni_match_assignment::{AssignmentProblem, assign_optimal};

use super::{
    Engine, EngineError, MatchOptions, MatchQuery, MatchTarget, MentorAssignment, MentorAssignmentPlan, MentorQuery,
    OpportunityFill, RankedCandidate,
};
use crate::{
    cancel::Cancellation,
    domain::{OpportunityKind, OpportunityStatus, Violations},
    limits::DEFAULT_CANDIDATES_PER_OPPORTUNITY,
};

impl Engine {
    /// Assigns mentors to MENTORING opportunities so that the total score is the
    /// highest possible; see [`MentorAssignmentPlan`]. Every opportunity must be
    /// an open MENTORING one (checked here, against the store; the request's
    /// shape was checked at the edge).
    pub fn assign_mentors(
        &self,
        query: MentorQuery,
        cancel: &Cancellation,
    ) -> Result<MentorAssignmentPlan, EngineError> {
        let mut violations = Violations::new();
        let mut opportunities = Vec::with_capacity(query.opportunity_ids.len());
        for (i, id) in query.opportunity_ids.iter().enumerate() {
            let opportunity = self.get_opportunity(id)?;
            if opportunity.kind != OpportunityKind::Mentoring {
                violations.add(
                    format!("opportunity_ids[{i}]"),
                    format!("is a {} opportunity, not mentoring", opportunity.kind.as_str()),
                );
            } else if opportunity.status != OpportunityStatus::Open {
                violations.add(format!("opportunity_ids[{i}]"), "is closed");
            }
            opportunities.push(opportunity);
        }
        violations.into_result()?;

        let per_opportunity = if query.candidates_per_opportunity == 0 {
            DEFAULT_CANDIDATES_PER_OPPORTUNITY
        } else {
            query.candidates_per_opportunity
        };
        let mut alumni: Vec<String> = Vec::new();
        let mut alumnus_index: HashMap<String, usize> = HashMap::new();
        let mut edges = Vec::new();
        let mut explanations: HashMap<(usize, usize), RankedCandidate> = HashMap::new();
        for (j, opportunity) in opportunities.iter().enumerate() {
            let page = self.match_unlogged(
                MatchQuery {
                    target: MatchTarget::Stored(opportunity.id.clone()),
                    options: MatchOptions {
                        limit: per_opportunity,
                        ..MatchOptions::default()
                    },
                },
                cancel,
            )?;
            for ranked in page.candidates {
                // A zero score cannot improve the total; the solver takes scores in (0, 1].
                let score = ranked.candidate.score;
                if score <= 0.0 {
                    continue;
                }
                let id = ranked.candidate.alumnus_id.clone();
                let i = *alumnus_index.entry(id.clone()).or_insert_with(|| {
                    alumni.push(id);
                    alumni.len() - 1
                });
                edges.push((i, j, score.min(1.0)));
                explanations.insert((i, j), ranked);
            }
        }
        let problem = AssignmentProblem {
            alumni,
            opportunities: opportunities
                .iter()
                .map(|o| (o.id.clone(), o.capacity.max(1)))
                .collect(),
            max_per_alumnus: query.max_assignments_per_alumnus.max(1),
            limit_overrides: Vec::new(),
            edges,
        };
        let solution = assign_optimal(&problem).map_err(|e| EngineError::Internal(e.to_string()))?;
        let mut assignments: Vec<MentorAssignment> = solution
            .pairs
            .iter()
            .filter_map(|&(i, j, _)| {
                explanations.remove(&(i, j)).map(|ranked| MentorAssignment {
                    opportunity_id: opportunities[j].id.clone(),
                    rank: ranked.rank,
                    mentor: ranked.candidate,
                })
            })
            .collect();
        let order: HashMap<&str, usize> = query
            .opportunity_ids
            .iter()
            .enumerate()
            .map(|(k, id)| (id.as_str(), k))
            .collect();
        assignments.sort_by(|a, b| {
            order[a.opportunity_id.as_str()]
                .cmp(&order[b.opportunity_id.as_str()])
                .then(b.mentor.score.total_cmp(&a.mentor.score))
                .then(a.mentor.alumnus_id.cmp(&b.mentor.alumnus_id))
        });
        let fills = opportunities
            .iter()
            .map(|o| {
                let assigned = assignments.iter().filter(|a| a.opportunity_id == o.id).count() as u32;
                (
                    o.id.clone(),
                    OpportunityFill {
                        capacity: o.capacity.max(1),
                        assigned,
                    },
                )
            })
            .collect();
        Ok(MentorAssignmentPlan {
            assignments,
            total_score: solution.total_score,
            fills,
        })
    }
}
