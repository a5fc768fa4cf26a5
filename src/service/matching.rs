use tonic::{Request, Response, Status};

use super::{Handlers, convert, observe};
use crate::{
    domain::{Violations, validation::validate_opportunity},
    engine::{MatchOptions, MatchTarget},
    proto::{self, match_request::Target, match_service_server::MatchService},
};

#[tonic::async_trait]
impl MatchService for Handlers {
    async fn r#match(&self, request: Request<proto::MatchRequest>) -> Result<Response<proto::MatchResponse>, Status> {
        observe("Match", async {
            let request = request.into_inner();
            let mut violations = Violations::new();
            let target = match request.target {
                Some(Target::OpportunityId(id)) => MatchTarget::Stored(id),
                Some(Target::Opportunity(opportunity)) => {
                    let opportunity = convert::opportunity_from_proto(opportunity, "opportunity", &mut violations);
                    if !violations.is_empty() {
                        validate_opportunity(&opportunity, "opportunity", false, &mut violations);
                        return Err(violations.into());
                    }
                    MatchTarget::AdHoc(Box::new(opportunity))
                }
                None => {
                    violations.add("target", "set either opportunity_id or opportunity");
                    return Err(violations.into());
                }
            };
            let options = MatchOptions {
                limit: request.limit,
                page_token: request.page_token,
                weights: request.weights.into_iter().collect(),
                require_all_required_skills: request.require_all_required_skills,
            };
            let explain = request.explain;
            let page = self
                .blocking(move |engine| engine.match_alumni(target, options))
                .await?;
            tracing::info!(
                candidates = page.candidates.len(),
                total_eligible = page.total_eligible,
                "ranked"
            );
            Ok(proto::MatchResponse {
                candidates: page
                    .candidates
                    .into_iter()
                    .map(|(rank, candidate)| convert::candidate_to_proto(rank, candidate, explain))
                    .collect(),
                total_eligible: page.total_eligible,
                next_page_token: page.next_page_token,
            })
        })
        .await
    }

    async fn match_for_alumnus(
        &self,
        request: Request<proto::MatchForAlumnusRequest>,
    ) -> Result<Response<proto::MatchForAlumnusResponse>, Status> {
        observe("MatchForAlumnus", async {
            let request = request.into_inner();
            let mut violations = Violations::new();
            let kinds: Vec<_> = request
                .kinds
                .iter()
                .enumerate()
                .filter_map(|(i, &k)| convert::kind_from_proto(k, &format!("kinds[{i}]"), &mut violations))
                .collect();
            violations.into_result()?;
            let explain = request.explain;
            let matches = self
                .blocking(move |engine| engine.match_for_alumnus(&request.alumnus_id, kinds, request.limit))
                .await?;
            tracing::info!(opportunities = matches.len(), "ranked");
            Ok(proto::MatchForAlumnusResponse {
                matches: matches
                    .into_iter()
                    .map(|(rank, opportunity, candidate)| {
                        let candidate = convert::candidate_to_proto(rank, candidate, explain);
                        proto::OpportunityMatch {
                            opportunity_id: opportunity.id,
                            title: opportunity.title,
                            kind: convert::kind_to_proto(opportunity.kind) as i32,
                            score: candidate.score,
                            rank,
                            components: candidate.components,
                            matched_skills: candidate.matched_skills,
                            missing_required_skills: candidate.missing_required_skills,
                            reason: candidate.reason,
                        }
                    })
                    .collect(),
            })
        })
        .await
    }

    async fn assign_mentors(
        &self,
        request: Request<proto::AssignMentorsRequest>,
    ) -> Result<Response<proto::AssignMentorsResponse>, Status> {
        observe("AssignMentors", async {
            let request = request.into_inner();
            let plan = self
                .blocking(move |engine| {
                    engine.assign_mentors(
                        request.opportunity_ids,
                        request.max_assignments_per_alumnus,
                        request.candidates_per_opportunity,
                    )
                })
                .await?;
            tracing::info!(assignments = plan.assignments.len(), "assigned");
            Ok(proto::AssignMentorsResponse {
                assignments: plan
                    .assignments
                    .into_iter()
                    .map(|(opportunity_id, rank, candidate)| proto::MentorAssignment {
                        opportunity_id,
                        mentor: Some(convert::candidate_to_proto(rank, candidate, true)),
                    })
                    .collect(),
                total_score: plan.total_score,
                fills: plan
                    .fills
                    .into_iter()
                    .map(|(opportunity_id, capacity, assigned)| proto::OpportunityFill {
                        opportunity_id,
                        capacity,
                        assigned,
                    })
                    .collect(),
            })
        })
        .await
    }
}
