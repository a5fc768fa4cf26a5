//! `OpportunityService`: writes and reads of opportunities.

use tonic::{Request, Response, Status};

use super::Handlers;
use crate::{
    engine::OpportunityQuery,
    proto::{self, opportunity_service_server::OpportunityService},
    service::{Call, ServiceError, convert},
};

#[tonic::async_trait]
impl OpportunityService for Handlers {
    async fn upsert_opportunities(
        &self,
        request: Request<proto::UpsertOpportunitiesRequest>,
    ) -> Result<Response<proto::UpsertOpportunitiesResponse>, Status> {
        let call = Call::of(&request)?;
        let request = request.into_inner();
        let rescore = request.rescore;
        let opportunities = convert::upsert_opportunities_request(request.opportunities).map_err(ServiceError::from)?;
        let ids: Vec<String> = opportunities.iter().map(|o| o.id.clone()).collect();
        let count = opportunities.len() as u32;
        self.run(&call, move |engine, _| engine.write_opportunities(opportunities))
            .await?;
        // The write is durable before the job starts; the job re-scores what was written.
        let rescore_job_id = if rescore {
            let engine = self.engine(&call).await?;
            engine.start_rescore_job(ids, self.shared.shutdown.child(None))
        } else {
            String::new()
        };
        Ok(Response::new(proto::UpsertOpportunitiesResponse {
            upserted_count: count,
            rescore_job_id,
        }))
    }

    async fn get_opportunity(
        &self,
        request: Request<proto::GetOpportunityRequest>,
    ) -> Result<Response<proto::GetOpportunityResponse>, Status> {
        let call = Call::of(&request)?;
        let id = convert::id_argument("id", request.into_inner().id).map_err(ServiceError::from)?;
        let opportunity = self.run(&call, move |engine, _| engine.get_opportunity(&id)).await?;
        Ok(Response::new(proto::GetOpportunityResponse {
            opportunity: Some(convert::opportunity_to_proto(opportunity)),
        }))
    }

    async fn list_opportunities(
        &self,
        request: Request<proto::ListOpportunitiesRequest>,
    ) -> Result<Response<proto::ListOpportunitiesResponse>, Status> {
        let call = Call::of(&request)?;
        let query = OpportunityQuery::try_from(request.into_inner()).map_err(ServiceError::from)?;
        let page = self
            .run(&call, move |engine, _| engine.list_opportunities(query))
            .await?;
        Ok(Response::new(convert::list_opportunities_response(page)))
    }

    async fn close_opportunity(
        &self,
        request: Request<proto::CloseOpportunityRequest>,
    ) -> Result<Response<proto::CloseOpportunityResponse>, Status> {
        let call = Call::of(&request)?;
        let id = convert::id_argument("id", request.into_inner().id).map_err(ServiceError::from)?;
        let opportunity = self.run(&call, move |engine, _| engine.close_opportunity(&id)).await?;
        Ok(Response::new(proto::CloseOpportunityResponse {
            opportunity: Some(convert::opportunity_to_proto(opportunity)),
        }))
    }
}
