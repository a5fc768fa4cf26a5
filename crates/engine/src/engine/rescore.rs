//! Batch re-scoring: every chosen opportunity ranked against all alumni on one
//! index snapshot, in parallel, with the shortlists stored durably.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use rayon::prelude::*;

use super::{Engine, EngineError, shortlists::to_entry};
use crate::{
    cancel::{Cancellation, Stop},
    domain::{Opportunity, OpportunityStatus, Timestamp},
    limits::DEFAULT_SHORTLIST_SIZE,
    store::{OpportunityFilter, StoredShortlist},
};

/// Opportunities ranked between two durable writes: bounds memory to this many
/// shortlists and the number of commits to one per chunk.
const CHUNK: usize = 64;

/// Progress of a run, reported after every chunk and at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RescoreProgress {
    /// Opportunities finished (written, unchanged or skipped).
    pub completed: u32,
    /// Opportunities in the run.
    pub total: u32,
    /// Shortlists written.
    pub written: u32,
    /// Opportunities another run held.
    pub skipped: u32,
    /// Seconds since the start.
    pub elapsed_seconds: f64,
    /// Set on the final report.
    pub done: bool,
}

impl RescoreProgress {
    /// Opportunities per second so far.
    pub fn rate_per_second(&self) -> f64 {
        if self.elapsed_seconds > 0.0 {
            f64::from(self.completed) / self.elapsed_seconds
        } else {
            0.0
        }
    }

    /// Estimated seconds left at the current rate.
    pub fn eta_seconds(&self) -> f64 {
        let rate = self.rate_per_second();
        if rate > 0.0 {
            f64::from(self.total.saturating_sub(self.completed)) / rate
        } else {
            0.0
        }
    }
}

/// What to re-score (checked at the edge: at most
/// [`MAX_RESCORE_OPPORTUNITIES`](crate::limits::MAX_RESCORE_OPPORTUNITIES) ids,
/// a size of at most [`MAX_SHORTLIST_SIZE`](crate::limits::MAX_SHORTLIST_SIZE)).
#[derive(Debug, Clone, Default)]
pub struct RescoreRequest {
    /// Opportunities; empty = every open one.
    pub opportunity_ids: Vec<String>,
    /// Candidates kept per shortlist; 0 = [`DEFAULT_SHORTLIST_SIZE`].
    pub shortlist_size: u32,
    /// Only missing or stale shortlists.
    pub only_stale: bool,
}

/// Opportunities some run is re-scoring right now, so two runs never both write one.
#[derive(Debug, Default)]
pub struct InFlight {
    ids: Mutex<HashSet<String>>,
}

/// Releases claimed opportunities when a run ends, however it ends.
struct Claim<'a> {
    registry: &'a InFlight,
    ids: Vec<String>,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Ok(mut held) = self.registry.ids.lock() {
            for id in &self.ids {
                held.remove(id);
            }
        }
    }
}

impl InFlight {
    fn claim(&self, wanted: Vec<Opportunity>) -> (Claim<'_>, Vec<Opportunity>, u32) {
        let mut held = self.ids.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut claimed = Vec::new();
        let mut skipped = 0;
        for opportunity in wanted {
            if held.insert(opportunity.id.clone()) {
                claimed.push(opportunity);
            } else {
                skipped += 1;
            }
        }
        let ids = claimed.iter().map(|o| o.id.clone()).collect();
        (Claim { registry: self, ids }, claimed, skipped)
    }
}

impl Engine {
    /// Re-scores opportunities and stores their shortlists, reporting progress after
    /// every chunk. Stops early, keeping what was written, once `cancel` says so:
    /// a cancelled run (its client went away) ends with its last progress; a run
    /// stopped by a deadline or shutdown ends with [`EngineError::Stopped`].
    pub fn rescore(
        &self,
        request: RescoreRequest,
        cancel: &Cancellation,
        progress: impl Fn(RescoreProgress) + Sync,
    ) -> Result<RescoreProgress, EngineError> {
        let started = Instant::now();
        let size = if request.shortlist_size == 0 {
            DEFAULT_SHORTLIST_SIZE
        } else {
            request.shortlist_size
        } as usize;

        let mut opportunities = Vec::new();
        if request.opportunity_ids.is_empty() {
            let filter = OpportunityFilter {
                kind: None,
                status: Some(OpportunityStatus::Open),
            };
            opportunities = self.store.all_opportunities(filter)?;
        } else {
            let mut seen = HashSet::new();
            for id in &request.opportunity_ids {
                if seen.insert(id.as_str()) {
                    opportunities.push(self.get_opportunity(id)?);
                }
            }
        }
        // The index snapshot and the store sequence it reflects: every shortlist of
        // the run is ranked on this one view of the alumni.
        let snapshot = self.index.snapshot();
        let snapshot_seq = self.indexed_seq();
        if request.only_stale {
            let alumni_seq = self.store.alumni_seq()?;
            let mut kept = Vec::with_capacity(opportunities.len());
            for opportunity in opportunities {
                match self.store.get_shortlist(&opportunity.id)? {
                    Some(stored) if !self.is_stale(&stored, Some(&opportunity), alumni_seq) => {}
                    _ => kept.push(opportunity),
                }
            }
            opportunities = kept;
        }
        let total = u32::try_from(opportunities.len()).unwrap_or(u32::MAX);
        let (_claim, claimed, skipped) = self.in_flight.claim(opportunities);
        let metered = self.rescore_meter.start(u64::from(total));
        metered.completed(u64::from(skipped));
        let written = AtomicU64::new(0);
        let completed = AtomicU64::new(u64::from(skipped));
        let report = |done: bool| RescoreProgress {
            completed: u32::try_from(completed.load(Ordering::Relaxed)).unwrap_or(u32::MAX),
            total,
            written: u32::try_from(written.load(Ordering::Relaxed)).unwrap_or(u32::MAX),
            skipped,
            elapsed_seconds: started.elapsed().as_secs_f64(),
            done,
        };
        progress(report(false));
        let now = Timestamp::now();
        let active = self.active_profiles();
        for chunk in claimed.chunks(CHUNK) {
            match cancel.reason() {
                None => {}
                Some(Stop::Cancelled) => {
                    tracing::info!(
                        completed = completed.load(Ordering::Relaxed),
                        total,
                        "re-score cancelled"
                    );
                    return Ok(report(true));
                }
                Some(stop) => return Err(EngineError::Stopped(stop)),
            }
            let shortlists: Vec<StoredShortlist> = chunk
                .par_iter()
                .map(|opportunity| -> Result<StoredShortlist, EngineError> {
                    let profile = active.profiles.profile(opportunity.kind);
                    let prepared = self.prepare(opportunity.clone(), &snapshot);
                    let context = self.ranking_context(&prepared, profile, now, false)?;
                    let ranked = self.rank_opportunity(&snapshot, &context, size, cancel)?.candidates;
                    Ok(StoredShortlist {
                        opportunity_id: opportunity.id.clone(),
                        kind: opportunity.kind,
                        computed_at: now,
                        alumni_seq: snapshot_seq,
                        opportunity_fingerprint: Self::opportunity_fingerprint(opportunity),
                        candidates: ranked
                            .into_iter()
                            .take(size)
                            // The reason as ranked; what the etiquette adds is
                            // added when the shortlist is read, as it stands then.
                            .map(|scored| to_entry(&scored.explain(&context)))
                            .collect(),
                        pruned: false,
                        profile_version: active.version,
                    })
                })
                .collect::<Result<_, _>>()?;
            let stored = self.store.put_shortlists(&shortlists)?;
            written.fetch_add(stored as u64, Ordering::Relaxed);
            completed.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            metered.completed(chunk.len() as u64);
            progress(report(false));
        }
        let last = report(true);
        tracing::info!(
            total,
            written = last.written,
            skipped,
            seconds = last.elapsed_seconds,
            "re-score finished"
        );
        Ok(last)
    }
}

/// State of a background re-score job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    /// Still running, with its latest progress.
    Running(RescoreProgress),
    /// Finished.
    Succeeded(RescoreProgress),
    /// Stopped by an error (its message).
    Failed(RescoreProgress, String),
}

/// Background re-score jobs started by writes, kept in memory since start-up.
#[derive(Debug, Default)]
pub struct Jobs {
    next: AtomicU64,
    states: Mutex<HashMap<String, JobState>>,
}

impl Jobs {
    fn set(&self, id: &str, state: JobState) {
        if let Ok(mut states) = self.states.lock() {
            states.insert(id.to_owned(), state);
        }
    }

    /// The state of a job.
    pub fn get(&self, id: &str) -> Option<JobState> {
        self.states.lock().ok().and_then(|states| states.get(id).cloned())
    }
}

impl Engine {
    /// Starts re-scoring `opportunity_ids` in the background; returns the job id.
    /// `cancel` stops it (at shutdown, say), keeping the shortlists written so far.
    pub fn start_rescore_job(self: &Arc<Self>, opportunity_ids: Vec<String>, cancel: Cancellation) -> String {
        let number = self.jobs.next.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("rescore-{}-{number}", Timestamp::now().seconds);
        self.jobs.set(&id, JobState::Running(RescoreProgress::default()));
        let engine = self.clone();
        let job = id.clone();
        std::thread::spawn(move || {
            let request = RescoreRequest {
                opportunity_ids,
                ..RescoreRequest::default()
            };
            let outcome = engine.rescore(request, &cancel, |p| engine.jobs.set(&job, JobState::Running(p)));
            match outcome {
                Ok(last) => engine.jobs.set(&job, JobState::Succeeded(last)),
                Err(error) => {
                    tracing::error!(%error, job, "background re-score failed");
                    let last = match engine.jobs.get(&job) {
                        Some(JobState::Running(p)) => p,
                        _ => RescoreProgress::default(),
                    };
                    engine.jobs.set(&job, JobState::Failed(last, error.to_string()));
                }
            }
        });
        id
    }

    /// The state of a background job.
    pub fn rescore_job(&self, id: &str) -> Result<JobState, EngineError> {
        self.jobs.get(id).ok_or_else(|| EngineError::NotFound {
            entity: "re-score job",
            id: id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opportunity(id: &str) -> Opportunity {
        serde_json::from_value(serde_json::json!({"id": id, "kind": "referral", "title": "t"})).unwrap()
    }

    #[test]
    fn two_runs_never_hold_the_same_opportunity() {
        let registry = InFlight::default();
        let (first, claimed, skipped) = registry.claim(vec![opportunity("a"), opportunity("b")]);
        assert_eq!((claimed.len(), skipped), (2, 0));
        let (_second, claimed, skipped) = registry.claim(vec![opportunity("b"), opportunity("c")]);
        assert_eq!(claimed.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["c"]);
        assert_eq!(skipped, 1, "b is held by the first run");
        drop(first);
        let (_third, claimed, skipped) = registry.claim(vec![opportunity("a"), opportunity("b")]);
        assert_eq!((claimed.len(), skipped), (2, 0), "released when the first run ended");
    }

    #[test]
    fn progress_rate_and_eta() {
        let p = RescoreProgress {
            completed: 50,
            total: 150,
            elapsed_seconds: 10.0,
            ..RescoreProgress::default()
        };
        assert_eq!(p.rate_per_second(), 5.0);
        assert_eq!(p.eta_seconds(), 20.0);
        assert_eq!(RescoreProgress::default().eta_seconds(), 0.0);
    }
}
