//! `MatchService`: ranking in both directions, mentor assignment, re-scoring
//! and stored shortlists.

use std::pin::Pin;

use tokio_stream::{Stream, wrappers::UnboundedReceiverStream};
use tonic::{Request, Response, Status};

use super::Handlers;
use crate::{
    engine::{AlumnusMatchQuery, JobState, MatchQuery, MentorQuery, RescoreRequest, ShortlistQuery},
    proto::{self, match_service_server::MatchService},
    service::{
        Call, ServiceError,
        convert::{self, Explained},
    },
};

/// The stream of a re-score's progress.
pub type RescoreStream = Pin<Box<dyn Stream<Item = Result<proto::RescoreResponse, Status>> + Send>>;

#[tonic::async_trait]
impl MatchService for Handlers {
    async fn r#match(&self, request: Request<proto::MatchRequest>) -> Result<Response<proto::MatchResponse>, Status> {
        let call = Call::of(&request)?;
        let query = Explained::<MatchQuery>::try_from(request.into_inner()).map_err(ServiceError::from)?;
        let page = self
            .run(&call, move |engine, cancel| engine.match_alumni(query.request, cancel))
            .await?;
        call.set_returned(page.candidates.len());
        Ok(Response::new(convert::match_response(page, query.explain)))
    }

    async fn match_for_alumnus(
        &self,
        request: Request<proto::MatchForAlumnusRequest>,
    ) -> Result<Response<proto::MatchForAlumnusResponse>, Status> {
        let call = Call::of(&request)?;
        let query = Explained::<AlumnusMatchQuery>::try_from(request.into_inner()).map_err(ServiceError::from)?;
        let matches = self
            .run(&call, move |engine, cancel| {
                engine.match_for_alumnus(query.request, cancel)
            })
            .await?;
        call.set_returned(matches.len());
        Ok(Response::new(convert::match_for_alumnus_response(
            matches,
            query.explain,
        )))
    }

    async fn assign_mentors(
        &self,
        request: Request<proto::AssignMentorsRequest>,
    ) -> Result<Response<proto::AssignMentorsResponse>, Status> {
        let call = Call::of(&request)?;
        let query = MentorQuery::try_from(request.into_inner()).map_err(ServiceError::from)?;
        let plan = self
            .run(&call, move |engine, cancel| engine.assign_mentors(query, cancel))
            .await?;
        call.set_returned(plan.assignments.len());
        Ok(Response::new(convert::assign_mentors_response(plan)))
    }

    type RescoreStream = RescoreStream;

    async fn rescore(&self, request: Request<proto::RescoreRequest>) -> Result<Response<Self::RescoreStream>, Status> {
        let call = Call::of(&request)?;
        let request = RescoreRequest::try_from(request.into_inner()).map_err(ServiceError::from)?;
        let engine = self.engine(&call).await?;
        let cancel = call.cancellation();
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let span = tracing::info_span!("rescore");
        // The run outlives this handler: the call's permit and its cancel-on-drop
        // guard live with the response stream, so a client that goes away stops
        // the run at its next chunk (shortlists already written stay).
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let outcome = engine.rescore(request, &cancel, |progress| {
                let _ = sender.send(Ok(convert::rescore_response(progress)));
            });
            let last = match outcome {
                Ok(last) => Ok(convert::rescore_response(last)),
                Err(error) => Err(Status::from(ServiceError::from(error))),
            };
            let _ = sender.send(last);
        });
        Ok(Response::new(
            Box::pin(UnboundedReceiverStream::new(receiver)) as Self::RescoreStream
        ))
    }

    async fn get_rescore_job(
        &self,
        request: Request<proto::GetRescoreJobRequest>,
    ) -> Result<Response<proto::GetRescoreJobResponse>, Status> {
        let call = Call::of(&request)?;
        let job_id = request.into_inner().job_id;
        let id = job_id.clone();
        let state = self.run(&call, move |engine, _| engine.rescore_job(&id)).await?;
        let (state, progress, error) = match state {
            JobState::Running(p) => (proto::RescoreJobState::Running, p, String::new()),
            JobState::Succeeded(p) => (proto::RescoreJobState::Succeeded, p, String::new()),
            JobState::Failed(p, e) => (proto::RescoreJobState::Failed, p, e),
        };
        Ok(Response::new(proto::GetRescoreJobResponse {
            job_id,
            state: state as i32,
            progress: Some(convert::progress_to_proto(progress)),
            error,
        }))
    }

    async fn get_shortlist(
        &self,
        request: Request<proto::GetShortlistRequest>,
    ) -> Result<Response<proto::GetShortlistResponse>, Status> {
        let call = Call::of(&request)?;
        let query = ShortlistQuery::try_from(request.into_inner()).map_err(ServiceError::from)?;
        let opportunity_id = query.opportunity_id.clone();
        let page = self.run(&call, move |engine, _| engine.shortlist_page(query)).await?;
        call.set_returned(page.candidates.len());
        Ok(Response::new(convert::shortlist_response(opportunity_id, page)))
    }
}
