//! `MatchService`: ranking in both directions, mentor assignment, re-scoring
//! and stored shortlists.

use std::pin::Pin;

use tokio_stream::{Stream, wrappers::UnboundedReceiverStream};
use tonic::{Request, Response, Status};

use super::Handlers;
use crate::{
    domain::Violations,
    engine::{JobState, RescoreProgress, RescoreRequest, from_entry},
    limits::{DEFAULT_SHORTLIST_PAGE_SIZE, MAX_SHORTLIST_PAGE_SIZE},
    proto::{self, match_service_server::MatchService},
    service::{Call, ServiceError, convert},
};

/// The stream of a re-score's progress.
pub type RescoreStream = Pin<Box<dyn Stream<Item = Result<proto::RescoreProgress, Status>> + Send>>;

#[tonic::async_trait]
impl MatchService for Handlers {
    async fn r#match(&self, request: Request<proto::MatchRequest>) -> Result<Response<proto::MatchResponse>, Status> {
        let call = Call::of(&request)?;
        let (target, options, explain) = convert::match_request(request.into_inner()).map_err(ServiceError::from)?;
        let page = self
            .run(&call, move |engine, cancel| {
                engine.match_alumni(target, options, cancel)
            })
            .await?;
        call.set_returned(page.candidates.len());
        Ok(Response::new(proto::MatchResponse {
            candidates: page
                .candidates
                .into_iter()
                .map(|(rank, candidate)| convert::candidate_to_proto(rank, candidate, explain))
                .collect(),
            total_eligible: page.total_eligible,
            next_page_token: page.next_page_token,
        }))
    }

    async fn match_for_alumnus(
        &self,
        request: Request<proto::MatchForAlumnusRequest>,
    ) -> Result<Response<proto::MatchForAlumnusResponse>, Status> {
        let call = Call::of(&request)?;
        let request = request.into_inner();
        let kinds = convert::kinds_request(&request.kinds).map_err(ServiceError::from)?;
        let id = convert::id_argument("alumnus_id", request.alumnus_id).map_err(ServiceError::from)?;
        let (limit, explain) = (request.limit, request.explain);
        let matches = self
            .run(&call, move |engine, cancel| {
                engine.match_for_alumnus(&id, kinds, limit, cancel)
            })
            .await?;
        call.set_returned(matches.len());
        Ok(Response::new(proto::MatchForAlumnusResponse {
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
        }))
    }

    async fn assign_mentors(
        &self,
        request: Request<proto::AssignMentorsRequest>,
    ) -> Result<Response<proto::AssignMentorsResponse>, Status> {
        let call = Call::of(&request)?;
        let request = request.into_inner();
        let plan = self
            .run(&call, move |engine, cancel| {
                engine.assign_mentors(
                    request.opportunity_ids,
                    request.max_assignments_per_alumnus,
                    request.candidates_per_opportunity,
                    cancel,
                )
            })
            .await?;
        call.set_returned(plan.assignments.len());
        Ok(Response::new(proto::AssignMentorsResponse {
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
        }))
    }

    type RescoreStream = RescoreStream;

    async fn rescore(&self, request: Request<proto::RescoreRequest>) -> Result<Response<Self::RescoreStream>, Status> {
        let call = Call::of(&request)?;
        let request = request.into_inner();
        let request = RescoreRequest {
            opportunity_ids: request.opportunity_ids,
            shortlist_size: request.shortlist_size,
            only_stale: request.only_stale,
        };
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
                let _ = sender.send(Ok(progress_to_proto(progress)));
            });
            let last = match outcome {
                Ok(last) => Ok(progress_to_proto(last)),
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
            progress: Some(progress_to_proto(progress)),
            error,
        }))
    }

    async fn get_shortlist(
        &self,
        request: Request<proto::GetShortlistRequest>,
    ) -> Result<Response<proto::GetShortlistResponse>, Status> {
        let call = Call::of(&request)?;
        let request = request.into_inner();
        let mut violations = Violations::new();
        if request.page_size > MAX_SHORTLIST_PAGE_SIZE {
            violations.add("page_size", format!("must be at most {MAX_SHORTLIST_PAGE_SIZE}"));
        }
        violations.check_id("opportunity_id", &request.opportunity_id);
        violations.into_result().map_err(ServiceError::from)?;
        let id = request.opportunity_id.clone();
        let view = self.run(&call, move |engine, _| engine.shortlist(&id)).await?;
        let computed = view.shortlist.computed_at.seconds;
        let offset = decode_shortlist_token(&request.page_token, computed).map_err(|message| {
            let mut violations = Violations::new();
            violations.add("page_token", message);
            ServiceError::from(violations)
        })?;
        let size = if request.page_size == 0 {
            DEFAULT_SHORTLIST_PAGE_SIZE
        } else {
            request.page_size
        } as usize;
        let total = view.shortlist.candidates.len();
        let end = offset.saturating_add(size).min(total);
        let candidates: Vec<proto::Candidate> = view
            .shortlist
            .candidates
            .iter()
            .enumerate()
            .skip(offset)
            .take(size)
            .map(|(i, entry)| convert::candidate_to_proto(i as u32 + 1, from_entry(entry), true))
            .collect();
        call.set_returned(candidates.len());
        Ok(Response::new(proto::GetShortlistResponse {
            opportunity_id: request.opportunity_id,
            candidates,
            computed_at: Some(prost_types::Timestamp {
                seconds: view.shortlist.computed_at.seconds,
                nanos: view.shortlist.computed_at.nanos,
            }),
            stale: view.stale,
            total: total as u32,
            next_page_token: if end < total {
                format!("s1.{computed}.{end}")
            } else {
                String::new()
            },
        }))
    }
}

/// Shortlist page tokens carry the computation time, so a token from before a
/// re-score is refused instead of paging through a different list.
fn decode_shortlist_token(token: &str, computed: i64) -> Result<usize, String> {
    if token.is_empty() {
        return Ok(0);
    }
    let mut parts = token.split('.');
    match (
        parts.next(),
        parts.next().and_then(|c| c.parse::<i64>().ok()),
        parts.next().and_then(|o| o.parse().ok()),
        parts.next(),
    ) {
        (Some("s1"), Some(at), Some(offset), None) if at == computed => Ok(offset),
        (Some("s1"), Some(_), Some(_), None) => Err("the shortlist was re-computed since this token was issued".into()),
        _ => Err("is not a token returned by GetShortlist".into()),
    }
}

fn progress_to_proto(p: RescoreProgress) -> proto::RescoreProgress {
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
