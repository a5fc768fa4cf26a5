use std::{
    pin::Pin,
    sync::atomic::{AtomicBool, Ordering},
};

use tokio_stream::{Stream, wrappers::UnboundedReceiverStream};
use tonic::{Request, Response, Status};

use super::{Handlers, Returned, ServiceError, convert};
use crate::{
    access::Method,
    domain::{Violations, validation::validate_opportunity},
    engine::{JobState, MatchOptions, MatchTarget, RescoreProgress, RescoreRequest, from_entry},
    proto::{self, match_request::Target, match_service_server::MatchService},
};

#[tonic::async_trait]
impl MatchService for Handlers {
    async fn r#match(&self, request: Request<proto::MatchRequest>) -> Result<Response<proto::MatchResponse>, Status> {
        self.call(Method::Match, request, |scope, request| async move {
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
            let page = scope
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
        self.call(Method::MatchForAlumnus, request, |scope, request| async move {
            let mut violations = Violations::new();
            let kinds: Vec<_> = request
                .kinds
                .iter()
                .enumerate()
                .filter_map(|(i, &k)| convert::kind_from_proto(k, &format!("kinds[{i}]"), &mut violations))
                .collect();
            violations.into_result()?;
            let explain = request.explain;
            let matches = scope
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
        self.call(Method::AssignMentors, request, |scope, request| async move {
            let plan = scope
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

    type RescoreStream = Pin<Box<dyn Stream<Item = Result<proto::RescoreProgress, Status>> + Send>>;

    async fn rescore(&self, request: Request<proto::RescoreRequest>) -> Result<Response<Self::RescoreStream>, Status> {
        self.call(Method::Rescore, request, |scope, request| async move {
            let request = RescoreRequest {
                opportunity_ids: request.opportunity_ids,
                shortlist_size: request.shortlist_size,
                only_stale: request.only_stale,
            };
            let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
            let span = tracing::info_span!("rescore");
            // The scope (and with it the call's concurrency permit) lives as long as the run.
            tokio::task::spawn_blocking(move || {
                let _entered = span.enter();
                let engine = &scope.engine;
                let cancelled = AtomicBool::new(false);
                let outcome = engine.rescore(request, &cancelled, |progress| {
                    // A client that went away cancels the run at the next chunk.
                    if sender.send(Ok(progress_to_proto(progress))).is_err() {
                        cancelled.store(true, Ordering::Relaxed);
                    }
                });
                let last = match outcome {
                    Ok(last) => Ok(progress_to_proto(last)),
                    Err(error) => Err(Status::from(ServiceError::from(error))),
                };
                let _ = sender.send(last);
            });
            Ok(Box::pin(UnboundedReceiverStream::new(receiver)) as Self::RescoreStream)
        })
        .await
    }

    async fn get_rescore_job(
        &self,
        request: Request<proto::GetRescoreJobRequest>,
    ) -> Result<Response<proto::GetRescoreJobResponse>, Status> {
        self.call(Method::GetRescoreJob, request, |scope, request| async move {
            let job_id = request.job_id;
            let id = job_id.clone();
            let state = scope.blocking(move |engine| engine.rescore_job(&id)).await?;
            let (state, progress, error) = match state {
                JobState::Running(p) => (proto::RescoreJobState::Running, p, String::new()),
                JobState::Succeeded(p) => (proto::RescoreJobState::Succeeded, p, String::new()),
                JobState::Failed(p, e) => (proto::RescoreJobState::Failed, p, e),
            };
            Ok(proto::GetRescoreJobResponse {
                job_id,
                state: state as i32,
                progress: Some(progress_to_proto(progress)),
                error,
            })
        })
        .await
    }

    async fn get_shortlist(
        &self,
        request: Request<proto::GetShortlistRequest>,
    ) -> Result<Response<proto::GetShortlistResponse>, Status> {
        self.call(Method::GetShortlist, request, |scope, request| async move {
            let mut violations = Violations::new();
            if request.page_size > MAX_SHORTLIST_PAGE {
                violations.add("page_size", format!("must be at most {MAX_SHORTLIST_PAGE}"));
            }
            violations.into_result()?;
            let id = request.opportunity_id.clone();
            let view = scope.blocking(move |engine| engine.shortlist(&id)).await?;
            let computed = view.shortlist.computed_at.seconds;
            let offset = match decode_shortlist_token(&request.page_token, computed) {
                Ok(offset) => offset,
                Err(message) => {
                    let mut violations = Violations::new();
                    violations.add("page_token", message);
                    return Err(violations.into());
                }
            };
            let size = if request.page_size == 0 { 50 } else { request.page_size } as usize;
            let total = view.shortlist.candidates.len();
            let end = (offset + size).min(total);
            let candidates = view
                .shortlist
                .candidates
                .iter()
                .enumerate()
                .skip(offset)
                .take(size)
                .map(|(i, entry)| convert::candidate_to_proto(i as u32 + 1, from_entry(entry), true))
                .collect();
            Ok(proto::GetShortlistResponse {
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
            })
        })
        .await
    }
}

/// Most candidates per GetShortlist page.
const MAX_SHORTLIST_PAGE: u32 = 1_000;

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

impl Returned for proto::MatchResponse {
    fn returned(&self) -> u64 {
        self.candidates.len() as u64
    }
}

impl Returned for proto::MatchForAlumnusResponse {
    fn returned(&self) -> u64 {
        self.matches.len() as u64
    }
}

impl Returned for proto::AssignMentorsResponse {
    fn returned(&self) -> u64 {
        self.assignments.len() as u64
    }
}

impl Returned for proto::GetShortlistResponse {
    fn returned(&self) -> u64 {
        self.candidates.len() as u64
    }
}

impl Returned for proto::GetRescoreJobResponse {}

/// A re-score streams progress counts, never candidates.
impl Returned for Pin<Box<dyn Stream<Item = Result<proto::RescoreProgress, Status>> + Send>> {}
