use tonic::{Request, Response, Status};

use super::{Handlers, convert, observe};
use crate::{
    domain::{Opportunity, Violations},
    engine::validate_opportunity_batch,
    proto::{self, opportunity_service_server::OpportunityService},
};

#[tonic::async_trait]
impl OpportunityService for Handlers {
    async fn upsert_opportunities(
        &self,
        request: Request<proto::UpsertOpportunitiesRequest>,
    ) -> Result<Response<proto::UpsertOpportunitiesResponse>, Status> {
        observe("UpsertOpportunities", async {
            let mut violations = Violations::new();
            let request = request.into_inner();
            let rescore = request.rescore;
            let opportunities: Vec<Opportunity> = request
                .opportunities
                .into_iter()
                .enumerate()
                .map(|(i, o)| convert::opportunity_from_proto(o, &format!("opportunities[{i}]"), &mut violations))
                .collect();
            if !violations.is_empty() {
                validate_opportunity_batch(&opportunities, &mut violations);
                return Err(violations.into());
            }
            let ids: Vec<String> = opportunities.iter().map(|o| o.id.clone()).collect();
            let count = self
                .blocking(move |engine| engine.upsert_opportunities(opportunities))
                .await?;
            // The write is durable before the job starts; the job re-scores what was written.
            let rescore_job_id = if rescore {
                self.engine.start_rescore_job(ids)
            } else {
                String::new()
            };
            Ok(proto::UpsertOpportunitiesResponse {
                upserted_count: count as u32,
                rescore_job_id,
            })
        })
        .await
    }

    async fn get_opportunity(
        &self,
        request: Request<proto::GetOpportunityRequest>,
    ) -> Result<Response<proto::GetOpportunityResponse>, Status> {
        observe("GetOpportunity", async {
            let id = request.into_inner().id;
            let opportunity = self.blocking(move |engine| engine.get_opportunity(&id)).await?;
            Ok(proto::GetOpportunityResponse {
                opportunity: Some(convert::opportunity_to_proto(opportunity)),
            })
        })
        .await
    }

    async fn list_opportunities(
        &self,
        request: Request<proto::ListOpportunitiesRequest>,
    ) -> Result<Response<proto::ListOpportunitiesResponse>, Status> {
        observe("ListOpportunities", async {
            let request = request.into_inner();
            let mut violations = Violations::new();
            let kind = convert::kind_filter_from_proto(request.kind, "kind", &mut violations);
            let status = convert::status_filter_from_proto(request.status, "status", &mut violations);
            violations.into_result()?;
            let (page, next_page_token) = self
                .blocking(move |engine| engine.list_opportunities(kind, status, request.page_size, &request.page_token))
                .await?;
            Ok(proto::ListOpportunitiesResponse {
                opportunities: page.into_iter().map(convert::opportunity_to_proto).collect(),
                next_page_token,
            })
        })
        .await
    }

    async fn close_opportunity(
        &self,
        request: Request<proto::CloseOpportunityRequest>,
    ) -> Result<Response<proto::CloseOpportunityResponse>, Status> {
        observe("CloseOpportunity", async {
            let id = request.into_inner().id;
            let opportunity = self.blocking(move |engine| engine.close_opportunity(&id)).await?;
            Ok(proto::CloseOpportunityResponse {
                opportunity: Some(convert::opportunity_to_proto(opportunity)),
            })
        })
        .await
    }
}
