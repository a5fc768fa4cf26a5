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
}
