//! Matching in both directions: alumni for an opportunity (retrieve with the
//! gates, re-check against the store, rank), and open opportunities for one
//! alumnus.

use rayon::prelude::*;

use super::{
    AlumnusMatchQuery, Engine, EngineError, MatchPage, MatchQuery, MatchTarget, OpportunityMatch, RankedCandidate,
    paging::{self, Cursor, Listing, PageToken},
};
use crate::{
    cancel::Cancellation,
    domain::{Opportunity, OpportunityKind, OpportunityStatus, Timestamp, Violations},
    index::{RetrievalQuery, Snapshot},
    limits::DEFAULT_MATCH_LIMIT,
    ranking::{self, PoolEntry, PreparedOpportunity, RankingContext, ScoredCandidate},
    store::OpportunityFilter,
};

impl Engine {
    /// Ranks alumni for a stored or ad-hoc opportunity. What needs no stored
    /// data was checked at the edge; here the page token is checked against the
    /// ranking it came from, and the weights against the kind's profile.
    pub fn match_alumni(&self, query: MatchQuery, cancel: &Cancellation) -> Result<MatchPage, EngineError> {
        let MatchQuery { target, options } = query;
        let opportunity = match target {
            MatchTarget::Stored(id) => self.get_opportunity(&id)?,
            MatchTarget::AdHoc(opportunity) => *opportunity,
        };
        let fingerprint = paging::fingerprint(&opportunity, &options);
        let offset = match PageToken::resume(&options.page_token, Listing::Match, fingerprint) {
            Ok(Cursor::Offset(offset)) => offset,
            Ok(Cursor::After(_)) => 0,
            Err(message) => return Err(Violations::single("page_token", message).into()),
        };
        let profile = self
            .profiles
            .profile(opportunity.kind)
            .with_overrides(&options.weights)
            .map_err(|error| Violations::single("weights", error.to_string()))?;
        let limit = if options.limit == 0 {
            DEFAULT_MATCH_LIMIT
        } else {
            options.limit
        } as usize;

        let snapshot = self.index.snapshot();
        let prepared = self.prepare(opportunity, &snapshot);
        let (total_eligible, ranked) = self.rank_opportunity(
            &snapshot,
            &prepared,
            &profile,
            options.require_all_required_skills,
            Timestamp::now(),
            cancel,
        )?;
        let total_matched = ranked.len();
        // The offset comes from a client's page token: saturate rather than overflow.
        let end = offset.saturating_add(limit).min(ranked.len());
        let next_page_token = if end < ranked.len() {
            PageToken {
                listing: Listing::Match,
                binding: fingerprint,
                cursor: Cursor::Offset(end),
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
            .map(|(i, candidate)| RankedCandidate {
                rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
                candidate,
            })
            .collect();
        Ok(MatchPage {
            candidates,
            total_eligible,
            total_matched: total_matched as u64,
            next_page_token,
        })
    }

    /// The opportunity resolved for ranking on `snapshot`: its skills weighted
    /// by their rarity across occupations and among this tenant's alumni.
    pub(super) fn prepare(&self, opportunity: Opportunity, snapshot: &Snapshot) -> PreparedOpportunity {
        PreparedOpportunity::new(opportunity, &self.taxonomy)
            .with_tenant_shares(&self.taxonomy, |key| self.index.skill_share(snapshot, key))
    }

    /// Retrieves and ranks the whole pool for one opportunity on `snapshot`:
    /// `(alumni passing the gates, ranked candidates)`.
    pub(super) fn rank_opportunity(
        &self,
        snapshot: &Snapshot,
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
        let retrieved = self.index.retrieve(snapshot, &query, self.retrieval_pool, cancel)?;
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
            &self.index.snapshot(),
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
        query: AlumnusMatchQuery,
        cancel: &Cancellation,
    ) -> Result<Vec<OpportunityMatch>, EngineError> {
        let AlumnusMatchQuery {
            alumnus_id,
            kinds,
            limit,
        } = query;
        let alumnus = self.get_alumnus(&alumnus_id)?;
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
        let snapshot = self.index.snapshot();
        let now = Timestamp::now();
        let mut scored: Vec<(Opportunity, ScoredCandidate)> = opportunities
            .into_par_iter()
            .map(
                |opportunity| -> Result<Option<(Opportunity, ScoredCandidate)>, EngineError> {
                    cancel.check()?;
                    let profile = self.profiles.profile(opportunity.kind);
                    let prepared = self.prepare(opportunity, &snapshot);
                    let query = RetrievalQuery::for_opportunity(
                        &prepared.opportunity,
                        &self.taxonomy,
                        false,
                        self.index.morphology(),
                    );
                    // Text relevance is relative to the best of the pool Match
                    // would rank, so the score here equals the one there.
                    let best = self
                        .index
                        .retrieve(&snapshot, &query, self.retrieval_pool, cancel)?
                        .hits
                        .iter()
                        .map(|h| h.bm25)
                        .fold(0.0f32, f32::max);
                    let own = self.index.score_of(&snapshot, &query, &alumnus.id)?.unwrap_or(0.0);
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
            .map(|(i, (opportunity, candidate))| OpportunityMatch {
                rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
                opportunity,
                candidate,
            })
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
        let for_a1 = || AlumnusMatchQuery {
            alumnus_id: "a1".into(),
            kinds: vec![OpportunityKind::Referral],
            limit: 5,
        };
        assert_eq!(engine.match_for_alumnus(for_a1(), &live).unwrap().len(), 5);
        for stop in [Stop::Cancelled, Stop::DeadlineExceeded, Stop::ShuttingDown] {
            let token = Cancellation::new();
            token.stop(stop);
            let error = engine.match_for_alumnus(for_a1(), &token).unwrap_err();
            assert!(matches!(error, EngineError::Stopped(s) if s == stop), "{error:?}");
            let query = MatchQuery {
                target: MatchTarget::Stored("o1".into()),
                options: crate::engine::MatchOptions::default(),
            };
            let error = engine.match_alumni(query, &token).unwrap_err();
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
