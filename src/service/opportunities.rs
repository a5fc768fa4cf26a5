use tonic::{Request, Response, Status};

use super::{Handlers, Returned, convert};
use crate::{
    access::Method,
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
        self.call(Method::UpsertOpportunities, request, |scope, request| async move {
            let mut violations = Violations::new();
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
            let count = scope
                .blocking(move |engine| engine.upsert_opportunities(opportunities))
                .await?;
            // The write is durable before the job starts; the job re-scores what was written.
            let rescore_job_id = if rescore {
                scope.engine.start_rescore_job(ids)
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
        self.call(Method::GetOpportunity, request, |scope, request| async move {
            let id = request.id;
            let opportunity = scope.blocking(move |engine| engine.get_opportunity(&id)).await?;
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
        self.call(Method::ListOpportunities, request, |scope, request| async move {
            let mut violations = Violations::new();
            let kind = convert::kind_filter_from_proto(request.kind, "kind", &mut violations);
            let status = convert::status_filter_from_proto(request.status, "status", &mut violations);
            violations.into_result()?;
            let (page, next_page_token) = scope
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
        self.call(Method::CloseOpportunity, request, |scope, request| async move {
            let id = request.id;
            let opportunity = scope.blocking(move |engine| engine.close_opportunity(&id)).await?;
            Ok(proto::CloseOpportunityResponse {
                opportunity: Some(convert::opportunity_to_proto(opportunity)),
            })
        })
        .await
    }
}

impl Returned for proto::UpsertOpportunitiesResponse {}
impl Returned for proto::GetOpportunityResponse {}
impl Returned for proto::ListOpportunitiesResponse {}
impl Returned for proto::CloseOpportunityResponse {}
