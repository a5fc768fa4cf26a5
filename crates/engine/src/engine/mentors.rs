//! Mentor assignment: the best mentors for several MENTORING opportunities at
//! once, within capacities, by min-cost flow over their Match rankings.

use std::collections::HashMap;

use alumni_match_assignment::{AssignmentProblem, assign_optimal};

use super::{Engine, EngineError, MatchOptions, MatchTarget};
use crate::{
    cancel::Cancellation,
    domain::{OpportunityKind, OpportunityStatus, Violations},
    limits::{
        DEFAULT_CANDIDATES_PER_OPPORTUNITY, MAX_ASSIGNMENT_OPPORTUNITIES, MAX_ASSIGNMENTS_PER_ALUMNUS, MAX_MATCH_LIMIT,
    },
    ranking::ScoredCandidate,
};

/// The result of [`Engine::assign_mentors`].
#[derive(Debug, Clone, PartialEq)]
pub struct MentorAssignmentPlan {
    /// `(opportunity id, the mentor's rank in the opportunity's Match ranking, the
    /// mentor with explanation)`, by opportunity in request order, then score.
    pub assignments: Vec<(String, u32, ScoredCandidate)>,
    /// Sum of the assigned pairs' scores (the maximum possible).
    pub total_score: f64,
    /// `(opportunity id, capacity, assigned)` in request order.
    pub fills: Vec<(String, u32, u32)>,
}

impl Engine {
    /// highest possible; see [`MentorAssignmentPlan`].
    pub fn assign_mentors(
        &self,
        opportunity_ids: Vec<String>,
        max_assignments_per_alumnus: u32,
        candidates_per_opportunity: u32,
        cancel: &Cancellation,
    ) -> Result<MentorAssignmentPlan, EngineError> {
        let mut violations = Violations::new();
        if opportunity_ids.is_empty() {
            violations.add("opportunity_ids", "must contain at least one id");
        }
        violations.check_count("opportunity_ids", opportunity_ids.len(), MAX_ASSIGNMENT_OPPORTUNITIES);
        let mut seen = HashMap::new();
        for (i, id) in opportunity_ids.iter().enumerate() {
            violations.check_id(&format!("opportunity_ids[{i}]"), id);
            if let Some(first) = seen.insert(id.as_str(), i) {
                violations.add(
                    format!("opportunity_ids[{i}]"),
                    format!("duplicates opportunity_ids[{first}]"),
                );
            }
        }
        if max_assignments_per_alumnus > MAX_ASSIGNMENTS_PER_ALUMNUS {
            violations.add(
                "max_assignments_per_alumnus",
                format!("must be at most {MAX_ASSIGNMENTS_PER_ALUMNUS}"),
            );
        }
        if candidates_per_opportunity > MAX_MATCH_LIMIT {
            violations.add(
                "candidates_per_opportunity",
                format!("must be at most {MAX_MATCH_LIMIT}"),
            );
        }
        violations.into_result()?;
        let mut violations = Violations::new();
        let mut opportunities = Vec::with_capacity(opportunity_ids.len());
        for (i, id) in opportunity_ids.iter().enumerate() {
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

        let per_opportunity = if candidates_per_opportunity == 0 {
            DEFAULT_CANDIDATES_PER_OPPORTUNITY
        } else {
            candidates_per_opportunity
        };
        let mut alumni: Vec<String> = Vec::new();
        let mut alumnus_index: HashMap<String, usize> = HashMap::new();
        let mut edges = Vec::new();
        let mut explanations: HashMap<(usize, usize), (u32, ScoredCandidate)> = HashMap::new();
        for (j, opportunity) in opportunities.iter().enumerate() {
            let page = self.match_alumni(
                MatchTarget::Stored(opportunity.id.clone()),
                MatchOptions {
                    limit: per_opportunity,
                    ..MatchOptions::default()
                },
                cancel,
            )?;
            for (rank, candidate) in page.candidates {
                // A zero score cannot improve the total; the solver takes scores in (0, 1].
                if candidate.score <= 0.0 {
                    continue;
                }
                let i = *alumnus_index.entry(candidate.alumnus_id.clone()).or_insert_with(|| {
                    alumni.push(candidate.alumnus_id.clone());
                    alumni.len() - 1
                });
                edges.push((i, j, candidate.score.min(1.0)));
                explanations.insert((i, j), (rank, candidate));
            }
        }
        let problem = AssignmentProblem {
            alumni,
            opportunities: opportunities
                .iter()
                .map(|o| (o.id.clone(), o.capacity.max(1)))
                .collect(),
            max_per_alumnus: max_assignments_per_alumnus.max(1),
            limit_overrides: Vec::new(),
            edges,
        };
        let solution = assign_optimal(&problem).map_err(|e| EngineError::Internal(e.to_string()))?;
        let mut assignments: Vec<(String, u32, ScoredCandidate)> = solution
            .pairs
            .iter()
            .filter_map(|&(i, j, _)| {
                explanations
                    .remove(&(i, j))
                    .map(|(r, c)| (opportunities[j].id.clone(), r, c))
            })
            .collect();
        let order: HashMap<&str, usize> = opportunity_ids
            .iter()
            .enumerate()
            .map(|(k, id)| (id.as_str(), k))
            .collect();
        assignments.sort_by(|a, b| {
            order[a.0.as_str()]
                .cmp(&order[b.0.as_str()])
                .then(b.2.score.total_cmp(&a.2.score))
                .then(a.2.alumnus_id.cmp(&b.2.alumnus_id))
        });
        let fills = opportunities
            .iter()
            .map(|o| {
                let assigned = assignments.iter().filter(|(id, _, _)| *id == o.id).count() as u32;
                (o.id.clone(), o.capacity.max(1), assigned)
            })
            .collect();
        Ok(MentorAssignmentPlan {
            assignments,
            total_score: solution.total_score,
            fills,
        })
    }
}
