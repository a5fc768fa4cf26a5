//! `OutcomeService`: outcomes, the contact policy, the funnel and tuning.

use tonic::{Request, Response, Status};

use super::Handlers;
use crate::{
    proto::{self, outcome_service_server::OutcomeService},
    service::{Call, ServiceError, convert},
};

#[tonic::async_trait]
impl OutcomeService for Handlers {
    async fn record_outcomes(
        &self,
        request: Request<proto::RecordOutcomesRequest>,
    ) -> Result<Response<proto::RecordOutcomesResponse>, Status> {
        let call = Call::of(&request)?;
        let outcomes = convert::record_outcomes_request(request.into_inner()).map_err(ServiceError::from)?;
        let report = self
            .run(&call, move |engine, _| engine.record_outcomes(outcomes))
            .await?;
        Ok(Response::new(convert::record_outcomes_response(report)))
    }

    async fn list_outcomes(
        &self,
        request: Request<proto::ListOutcomesRequest>,
    ) -> Result<Response<proto::ListOutcomesResponse>, Status> {
        let call = Call::of(&request)?;
        let subject = convert::list_outcomes_request(request.into_inner()).map_err(ServiceError::from)?;
        let outcomes = self.run(&call, move |engine, _| engine.list_outcomes(&subject)).await?;
        call.set_returned(outcomes.len());
        Ok(Response::new(convert::outcomes_to_proto(outcomes)))
    }

    async fn get_contact_policy(
        &self,
        request: Request<proto::GetContactPolicyRequest>,
    ) -> Result<Response<proto::GetContactPolicyResponse>, Status> {
        let call = Call::of(&request)?;
        let policy = self.run(&call, |engine, _| Ok(engine.contact_policy())).await?;
        Ok(Response::new(proto::GetContactPolicyResponse {
            policy: Some(convert::contact_policy_to_proto(policy)),
        }))
    }

    async fn set_contact_policy(
        &self,
        request: Request<proto::SetContactPolicyRequest>,
    ) -> Result<Response<proto::SetContactPolicyResponse>, Status> {
        let call = Call::of(&request)?;
        let policy = convert::contact_policy_from_proto(request.into_inner().policy).map_err(ServiceError::from)?;
        let policy = self
            .run(&call, move |engine, _| engine.set_contact_policy(policy))
            .await?;
        Ok(Response::new(proto::SetContactPolicyResponse {
            policy: Some(convert::contact_policy_to_proto(policy)),
        }))
    }

    async fn get_funnel(
        &self,
        request: Request<proto::GetFunnelRequest>,
    ) -> Result<Response<proto::GetFunnelResponse>, Status> {
        let call = Call::of(&request)?;
        let query = convert::funnel_request(request.into_inner()).map_err(ServiceError::from)?;
        let funnel = self.run(&call, move |engine, _| engine.funnel(&query)).await?;
        Ok(Response::new(convert::funnel_response(funnel)))
    }

    async fn tune_profiles(
        &self,
        request: Request<proto::TuneProfilesRequest>,
    ) -> Result<Response<proto::TuneProfilesResponse>, Status> {
        let call = Call::of(&request)?;
        let tenant = call.caller()?.tenant.as_str().to_owned();
        let options = convert::tune_request(request.into_inner(), &tenant).map_err(ServiceError::from)?;
        let report = self
            .run(&call, move |engine, cancel| engine.tune_profiles(options, cancel))
            .await?;
        Ok(Response::new(convert::tune_response(report, tenant)))
    }
}
