//! Matching in both directions: alumni for an opportunity (retrieve with the
//! gates, re-check against the store, rank), and open opportunities for one
//! alumnus.

use rayon::prelude::*;

use super::{Engine, EngineError, PageToken, paging};
use crate::{
    cancel::Cancellation,
    domain::{
        Opportunity, OpportunityKind, OpportunityStatus, Timestamp, Violations, validation::validate_opportunity,
    },
    index::RetrievalQuery,
    limits::{DEFAULT_MATCH_LIMIT, MAX_MATCH_LIMIT},
    ranking::{self, PoolEntry, PreparedOpportunity, RankingContext, ScoredCandidate},
    store::OpportunityFilter,
};
use std::collections::HashMap;

/// What to match against.
#[derive(Debug, Clone)]
pub enum MatchTarget {
    /// A stored opportunity, by id.
    Stored(String),
    /// An ad-hoc opportunity (validated, not stored).
    AdHoc(Box<Opportunity>),
}

/// Options of a match.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Page size; 0 = [`DEFAULT_MATCH_LIMIT`].
    pub limit: u32,
    /// From the previous page; empty for the first.
    pub page_token: String,
    /// Weight overrides by component name.
    pub weights: HashMap<String, f64>,
    /// Only alumni with every required skill.
    pub require_all_required_skills: bool,
}

/// One page of a ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchPage {
    /// Candidates with their 1-based rank in the whole ranking.
    pub candidates: Vec<(u32, ScoredCandidate)>,
    /// Alumni that pass every gate and filter.
    pub total_eligible: u64,
    /// Token for the next page; empty when there is none.
    pub next_page_token: String,
}

impl Engine {
    /// Ranks alumni for a stored or ad-hoc opportunity.
    pub fn match_alumni(
        &self,
        target: MatchTarget,
        options: MatchOptions,
        cancel: &Cancellation,
    ) -> Result<MatchPage, EngineError> {
        let mut violations = Violations::new();
        let opportunity = match target {
            MatchTarget::Stored(id) => {
                violations.check_id("opportunity_id", &id);
                violations.into_result()?;
                violations = Violations::new();
                self.get_opportunity(&id)?
            }
            MatchTarget::AdHoc(opportunity) => {
                validate_opportunity(&opportunity, "opportunity", false, &mut violations);
                *opportunity
            }
        };
        if options.limit > MAX_MATCH_LIMIT {
            violations.add("limit", format!("must be at most {MAX_MATCH_LIMIT}"));
        }
        let fingerprint = paging::fingerprint(&opportunity, &options);
        let offset = match PageToken::decode(&options.page_token, fingerprint) {
            Ok(token) => token.offset,
            Err(message) => {
                violations.add("page_token", message);
                0
            }
        };
        // Every bad override is reported, each under its own name.
        let base = self.profiles.profile(opportunity.kind);
        for error in base.override_errors(&options.weights) {
            let field = match &error {
                ranking::WeightError::UnknownComponent { name, .. }
                | ranking::WeightError::InvalidWeight { name, .. } => {
                    format!("weights[{name}]")
                }
                _ => "weights".to_owned(),
            };
            violations.add(field, error.to_string());
        }
        violations.into_result()?;
        let profile = base.with_overrides(&options.weights).map_err(|error| {
            let mut violations = Violations::new();
            violations.add("weights", error.to_string());
            violations
        })?;
        let limit = if options.limit == 0 {
            DEFAULT_MATCH_LIMIT
        } else {
            options.limit
        } as usize;

        let prepared = PreparedOpportunity::new(opportunity, &self.taxonomy);
        let searcher = self.index.searcher();
        let (total_eligible, ranked) = self.rank_opportunity(
            &searcher,
            &prepared,
            &profile,
            options.require_all_required_skills,
            Timestamp::now(),
            cancel,
        )?;
        // The offset comes from a client's page token: saturate rather than overflow.
        let end = offset.saturating_add(limit).min(ranked.len());
        let next_page_token = if end < ranked.len() {
            PageToken {
                fingerprint,
                offset: end,
            }
            .encode()
        } else {
            String::new()
        };
        let candidates = ranked
            .into_iter()
            .enumerate()
            .skip(offset)
            .take(limit)
            .map(|(i, c)| (u32::try_from(i + 1).unwrap_or(u32::MAX), c))
            .collect();
        Ok(MatchPage {
            candidates,
            total_eligible,
            next_page_token,
        })
    }

    /// Retrieves and ranks the whole pool for one opportunity on `searcher`:
    /// `(alumni passing the gates, ranked candidates)`.
    pub(super) fn rank_opportunity(
        &self,
        searcher: &tantivy::Searcher,
        prepared: &PreparedOpportunity,
        profile: &ranking::WeightProfile,
        require_all_required_skills: bool,
        now: Timestamp,
        cancel: &Cancellation,
    ) -> Result<(u64, Vec<ScoredCandidate>), EngineError> {
        let query = RetrievalQuery::for_opportunity(
            &prepared.opportunity,
            &self.taxonomy,
            require_all_required_skills,
            self.index.morphology(),
        );
        let retrieved = self.index.retrieve(searcher, &query, self.retrieval_pool, cancel)?;
        cancel.check()?;
        let ids: Vec<&str> = retrieved.hits.iter().map(|h| h.id.as_str()).collect();
        let records = self.store.get_alumni(&ids)?;
        let pool: Vec<PoolEntry> = retrieved
            .hits
            .iter()
            .zip(records)
            .filter_map(|(hit, record)| {
                record.map(|alumnus| PoolEntry {
                    alumnus,
                    bm25: hit.bm25,
                })
            })
            .collect();
        let context = RankingContext {
            opportunity: prepared,
            profile,
            taxonomy: &self.taxonomy,
            now,
            require_all_required_skills,
        };
        let ranked = ranking::rank(&context, pool, cancel)?;
        Ok((retrieved.total_eligible, ranked))
    }

    /// The retrieval stage of [`Engine::match_alumni`] alone (the BM25 query with the
    /// gates, top `retrieval_pool`), without reading records or re-ranking: for
    /// benchmarks that separate retrieval cost from ranking and transport cost.
    /// Returns the number of eligible alumni and of retrieved candidates.
    pub fn retrieve_only(&self, opportunity_id: &str) -> Result<(u64, usize), EngineError> {
        let opportunity = self.get_opportunity(opportunity_id)?;
        let query = RetrievalQuery::for_opportunity(&opportunity, &self.taxonomy, false, self.index.morphology());
        let retrieved = self.index.retrieve(
            &self.index.searcher(),
            &query,
            self.retrieval_pool,
            &Cancellation::new(),
        )?;
        Ok((retrieved.total_eligible, retrieved.hits.len()))
    }

    /// The open opportunities that fit one alumnus best, scored exactly as
    /// [`Engine::match_alumni`] would score the alumnus for each of them.
    pub fn match_for_alumnus(
        &self,
        alumnus_id: &str,
        kinds: Vec<OpportunityKind>,
        limit: u32,
        cancel: &Cancellation,
    ) -> Result<Vec<(u32, Opportunity, ScoredCandidate)>, EngineError> {
        let mut violations = Violations::new();
        violations.check_id("alumnus_id", alumnus_id);
        if limit > MAX_MATCH_LIMIT {
            violations.add("limit", format!("must be at most {MAX_MATCH_LIMIT}"));
        }
        violations.into_result()?;
        let alumnus = self.get_alumnus(alumnus_id)?;
        let mut wanted: Vec<OpportunityKind> = if kinds.is_empty() {
            OpportunityKind::ALL.to_vec()
        } else {
            kinds
        };
        // Each kind costs a pass over its open opportunities: a kind asked for
        // twice is scored once.
        wanted.sort();
        wanted.dedup();
        let eligible: Vec<OpportunityKind> = wanted.into_iter().filter(|kind| alumnus.passes_gates(*kind)).collect();
        let mut opportunities = Vec::new();
        for kind in &eligible {
            let filter = OpportunityFilter {
                kind: Some(*kind),
                status: Some(OpportunityStatus::Open),
            };
            opportunities.extend(self.store.all_opportunities(filter)?);
        }
        let searcher = self.index.searcher();
        let now = Timestamp::now();
        let mut scored: Vec<(Opportunity, ScoredCandidate)> = opportunities
            .into_par_iter()
            .map(
                |opportunity| -> Result<Option<(Opportunity, ScoredCandidate)>, EngineError> {
                    cancel.check()?;
                    let profile = self.profiles.profile(opportunity.kind);
                    let prepared = PreparedOpportunity::new(opportunity, &self.taxonomy);
                    let query = RetrievalQuery::for_opportunity(
                        &prepared.opportunity,
                        &self.taxonomy,
                        false,
                        self.index.morphology(),
                    );
                    let best = self
                        .index
                        .retrieve(&searcher, &query, 1, cancel)?
                        .hits
                        .first()
                        .map(|h| h.bm25)
                        .unwrap_or(0.0);
                    let own = self.index.score_of(&searcher, &query, &alumnus.id)?.unwrap_or(0.0);
                    let context = RankingContext {
                        opportunity: &prepared,
                        profile,
                        taxonomy: &self.taxonomy,
                        now,
                        require_all_required_skills: false,
                    };
                    let entry = PoolEntry {
                        alumnus: alumnus.clone(),
                        bm25: own,
                    };
                    let candidate = ranking::rank_against(&context, vec![entry], best.max(own), cancel)?
                        .into_iter()
                        .next();
                    Ok(candidate.map(|c| (prepared.opportunity, c)))
                },
            )
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?;
        scored.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then_with(|| a.0.id.cmp(&b.0.id)));
        let limit = if limit == 0 { DEFAULT_MATCH_LIMIT } else { limit } as usize;
        Ok(scored
            .into_iter()
            .take(limit)
            .enumerate()
            .map(|(i, (o, c))| (u32::try_from(i + 1).unwrap_or(u32::MAX), o, c))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        cancel::Stop,
        engine::{EngineConfig, RescoreRequest},
    };

    fn engine_with_data(dir: &std::path::Path) -> Engine {
        let engine = Engine::open(EngineConfig::new(dir)).unwrap();
        let mut alumni: Vec<crate::domain::Alumnus> = (0..30)
            .map(|i| {
                serde_json::from_value(serde_json::json!({
                    "id": format!("a{i}"), "display_name": "X",
                    "consent": {"contact_allowed": true},
                    "interests": {"open_to": ["referral", "mentoring"]},
                    "skills": [{"name": "Rust", "years": 3.0}],
                }))
                .unwrap()
            })
            .collect();
        let seq = engine.write_alumni(&mut alumni).unwrap();
        let opportunities: Vec<Opportunity> = (0..20)
            .map(|i| {
                serde_json::from_value(serde_json::json!({
                    "id": format!("o{i}"), "kind": "referral", "title": "Rust engineer",
                    "required_skills": ["Rust"],
                }))
                .unwrap()
            })
            .collect();
        engine.write_opportunities(opportunities).unwrap();
        assert!(engine.wait_indexed_blocking(seq, std::time::Duration::from_secs(30)));
        engine
    }

    /// Work whose call has gone (deadline, client, shutdown) is not done: each
    /// long operation checks its token between units and stops with the reason.
    #[test]
    fn stopped_work_ends_with_its_reason_instead_of_running_on() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine_with_data(dir.path());
        let live = Cancellation::new();
        assert_eq!(
            engine
                .match_for_alumnus("a1", vec![OpportunityKind::Referral], 5, &live)
                .unwrap()
                .len(),
            5
        );
        for stop in [Stop::Cancelled, Stop::DeadlineExceeded, Stop::ShuttingDown] {
            let token = Cancellation::new();
            token.stop(stop);
            let error = engine
                .match_for_alumnus("a1", vec![OpportunityKind::Referral], 5, &token)
                .unwrap_err();
            assert!(matches!(error, EngineError::Stopped(s) if s == stop), "{error:?}");
            let error = engine
                .match_alumni(MatchTarget::Stored("o1".into()), MatchOptions::default(), &token)
                .unwrap_err();
            assert!(matches!(error, EngineError::Stopped(s) if s == stop), "{error:?}");
        }
        let expired = Cancellation::new().child(Some(std::time::Instant::now()));
        let error = engine.rescore(RescoreRequest::default(), &expired, |_| {}).unwrap_err();
        assert!(
            matches!(error, EngineError::Stopped(Stop::DeadlineExceeded)),
            "{error:?}"
        );
        let cancelled = Cancellation::new();
        cancelled.cancel();
        let progress = engine.rescore(RescoreRequest::default(), &cancelled, |_| {}).unwrap();
        assert_eq!(progress.written, 0, "a run whose client left writes nothing more");
    }
}
