//! Matching in both directions: alumni for an opportunity (retrieve with the
//! gates, re-check against the store, rank), and open opportunities for one
//! alumnus.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::{
    AlumnusMatchQuery, Engine, EngineError, MatchPage, MatchQuery, MatchTarget, OpportunityMatch, RankedCandidate,
    etiquette::{Standings, annotate},
    paging::{self, Cursor, Listing, PageToken},
};
use crate::{
    cancel::Cancellation,
    domain::{ContactHistory, Opportunity, OpportunityKind, OpportunityStatus, Timestamp, Violations},
    index::{Hit, RetrievalQuery, Snapshot},
    limits::{DEFAULT_MATCH_LIMIT, MAX_RANKING_DEPTH},
    ranking::{self, PoolEntry, PreparedOpportunity, RankingContext, Scored, ScoredCandidate},
    store::OpportunityFilter,
    taxonomy::RecognisedCareer,
};

/// A ranking of alumni for one opportunity, as deep as it was computed.
pub(super) struct Ranking {
    /// Alumni passing every gate for the opportunity, ranked or not.
    pub total_eligible: u64,
    /// Best first (within each tier; see [`Engine::rank_opportunity`]), not
    /// yet explained.
    pub candidates: Vec<Scored>,
    /// Whether a deeper tier exists that was not computed because the request
    /// did not reach it: the ranking may go on past `candidates`.
    pub deeper_tier_pending: bool,
    /// What the contact etiquette says of the candidates it did not hide.
    pub standings: Standings,
}

impl Engine {
    /// Ranks alumni for a stored or ad-hoc opportunity. What needs no stored
    /// data was checked at the edge; here the page token is checked against the
    /// ranking it came from, and the weights against the kind's profile. The
    /// page of a stored opportunity goes to the shown-log.
    pub fn match_alumni(&self, query: MatchQuery, cancel: &Cancellation) -> Result<MatchPage, EngineError> {
        let stored = match &query.target {
            MatchTarget::Stored(id) => Some(id.clone()),
            MatchTarget::AdHoc(_) => None,
        };
        let page = self.match_unlogged(query, cancel)?;
        if let Some(opportunity_id) = stored {
            self.log_shown(
                &opportunity_id,
                page.candidates
                    .iter()
                    .map(|c| (c.candidate.alumnus_id.as_str(), c.rank)),
                page.profile_version,
            );
        }
        Ok(page)
    }

    /// [`Engine::match_alumni`] without the shown-log (for rankings no one is
    /// shown as such, like the candidates of a mentor assignment).
    pub(super) fn match_unlogged(&self, query: MatchQuery, cancel: &Cancellation) -> Result<MatchPage, EngineError> {
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
        let active = self.active_profiles();
        let profile = active
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
        // The ranking is computed as deep as this page reaches (a page token
        // from a client: saturate rather than overflow).
        let end = offset.saturating_add(limit);
        let context = self.ranking_context(
            &prepared,
            &profile,
            Timestamp::now(),
            options.require_all_required_skills,
        )?;
        let ranking = self.rank_opportunity(&snapshot, &context, end, cancel)?;
        let policy = self.contact_policy();
        let standings = ranking.standings;
        let total_eligible = ranking.total_eligible;
        let total_matched = ranking.candidates.len();
        let end = end.min(total_matched);
        let next_page_token = if end < total_matched || ranking.deeper_tier_pending {
            PageToken {
                listing: Listing::Match,
                binding: fingerprint,
                cursor: Cursor::Offset(end),
            }
            .encode()
        } else {
            String::new()
        };
        // Only the page returned is explained.
        let candidates = ranking
            .candidates
            .into_iter()
            .enumerate()
            .skip(offset)
            .take(limit)
            .map(|(i, scored)| {
                let mut candidate = scored.explain(&context);
                let standing = standings.get(&candidate.alumnus_id).copied();
                annotate(&mut candidate, standing.as_ref(), &policy);
                RankedCandidate {
                    rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    candidate,
                }
            })
            .collect();
        Ok(MatchPage {
            candidates,
            total_eligible,
            total_matched: total_matched as u64,
            next_page_token,
            profile_version: active.version,
        })
    }

    /// The opportunity resolved for ranking on `snapshot`: its skills weighted
    /// by their rarity across occupations and among this tenant's alumni.
    pub(super) fn prepare(&self, opportunity: Opportunity, snapshot: &Snapshot) -> PreparedOpportunity {
        PreparedOpportunity::new(opportunity, &self.taxonomy)
            .with_tenant_shares(&self.taxonomy, |key| self.index.skill_share(snapshot, key))
    }

    /// Ranks alumni for one opportunity on `snapshot`, at least `depth` deep
    /// where that many have evidence.
    ///
    /// The ranking is a re-ranking of the best alumni by retrieval score, in two
    /// tiers so that a deep page never reorders a shallow one: first the best
    /// `retrieval_pool` (what nearly every call needs), and only when `depth`
    /// reaches past what they give, the next ones up to [`MAX_RANKING_DEPTH`]
    /// retrieved, ranked and appended after them. A candidate's place is thus
    /// the same whatever page asked for it, and its score too: both tiers
    /// measure text relevance against the first tier's best. The contact
    /// etiquette hides whom it must before depth is counted.
    pub(super) fn rank_opportunity(
        &self,
        snapshot: &Snapshot,
        context: &RankingContext<'_>,
        depth: usize,
        cancel: &Cancellation,
    ) -> Result<Ranking, EngineError> {
        let query = RetrievalQuery::for_opportunity(
            &context.opportunity.opportunity,
            &self.taxonomy,
            context.require_all_required_skills,
            self.index.morphology(),
        );
        let first_pool = self.retrieval_pool;
        let first = self.index.retrieve(snapshot, &query, first_pool, cancel)?;
        cancel.check()?;
        let (entries, histories) = self.pool_entries(&first.hits.iter().collect::<Vec<_>>())?;
        let best_bm25 = entries.iter().map(|e| e.bm25).fold(0.0f32, f32::max);
        let mut candidates = ranking::score_against(context, entries, best_bm25, cancel)?;
        let opportunity_id = context.opportunity.opportunity.id.as_str();
        let mut standings = self.gate_by_etiquette(opportunity_id, &histories, &mut candidates, context.now);

        let deeper_pool = first_pool.max(MAX_RANKING_DEPTH);
        let more_retrievable =
            deeper_pool > first_pool && first.hits.len() >= first_pool && first.total_eligible > first_pool as u64;
        if depth <= candidates.len() || !more_retrievable {
            return Ok(Ranking {
                total_eligible: first.total_eligible,
                candidates,
                deeper_tier_pending: more_retrievable,
                standings,
            });
        }
        // The top `first_pool` of a deeper retrieval are the first tier's
        // (retrieval breaks ties by address), so only the rest is new.
        let deeper = self.index.retrieve(snapshot, &query, deeper_pool, cancel)?;
        cancel.check()?;
        let seen: HashSet<&str> = first.hits.iter().map(|h| h.id.as_str()).collect();
        let new_hits: Vec<&Hit> = deeper.hits.iter().filter(|h| !seen.contains(h.id.as_str())).collect();
        let (entries, histories) = self.pool_entries(&new_hits)?;
        let mut deeper = ranking::score_against(context, entries, best_bm25, cancel)?;
        standings.extend(self.gate_by_etiquette(opportunity_id, &histories, &mut deeper, context.now));
        candidates.extend(deeper);
        Ok(Ranking {
            total_eligible: first.total_eligible,
            candidates,
            deeper_tier_pending: false,
            standings,
        })
    }

    /// What ranking one opportunity reads: the prepared opportunity, the weights,
    /// the time it ranks at, whether every required skill is required, and the
    /// tenant's referral mean.
    pub(super) fn ranking_context<'a>(
        &'a self,
        prepared: &'a PreparedOpportunity,
        profile: &'a ranking::WeightProfile,
        now: Timestamp,
        require_all_required_skills: bool,
    ) -> Result<RankingContext<'a>, EngineError> {
        Ok(RankingContext {
            opportunity: prepared,
            profile,
            taxonomy: &self.taxonomy,
            now,
            require_all_required_skills,
            referral_hire_rate: self.referral_hire_rate()?,
        })
    }

    /// The current records of retrieved alumni, with their text relevance and
    /// referral records (an alumnus deleted since the snapshot is left out),
    /// and the non-empty contact histories by alumnus id.
    fn pool_entries(&self, hits: &[&Hit]) -> Result<(Vec<PoolEntry>, HashMap<String, ContactHistory>), EngineError> {
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        let records = self.store.get_alumni(&ids)?;
        let summaries = self.store.outcome_summaries(&ids)?;
        let mut histories = HashMap::new();
        let entries = hits
            .iter()
            .zip(records)
            .zip(summaries)
            .filter_map(|((hit, record), summary)| {
                let alumnus = record?;
                if summary.contacts != ContactHistory::default() {
                    histories.insert(alumnus.id.clone(), summary.contacts);
                }
                Some(PoolEntry {
                    alumnus,
                    bm25: hit.bm25,
                    career: RecognisedCareer::decode(&hit.career, self.taxonomy.occupations()),
                    referrals: summary.referrals,
                })
            })
            .collect();
        Ok((entries, histories))
    }

    /// The opportunity's retrieval query and the best text score of the pool
    /// Match would rank: text relevance is relative to it, so a few alumni
    /// scored on their own (an alumnus's fits, tuning) score as in Match.
    pub(super) fn best_text_score(
        &self,
        prepared: &PreparedOpportunity,
        snapshot: &Snapshot,
        cancel: &Cancellation,
    ) -> Result<(RetrievalQuery, f32), EngineError> {
        let query =
            RetrievalQuery::for_opportunity(&prepared.opportunity, &self.taxonomy, false, self.index.morphology());
        let best = self
            .index
            .retrieve(snapshot, &query, self.retrieval_pool, cancel)?
            .hits
            .iter()
            .map(|h| h.bm25)
            .fold(0.0f32, f32::max);
        Ok((query, best))
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
        let summary = self
            .store
            .outcome_summaries(&[alumnus_id.as_str()])?
            .pop()
            .unwrap_or_default();
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
            // An opportunity the alumnus declined is not offered to them again.
            opportunities.extend(
                self.store
                    .all_opportunities(filter)?
                    .into_iter()
                    .filter(|o| !summary.contacts.declined.contains(&o.id)),
            );
        }
        let snapshot = self.index.snapshot();
        let now = Timestamp::now();
        let active = self.active_profiles();
        let referral_hire_rate = self.referral_hire_rate()?;
        let mut scored: Vec<(Opportunity, ScoredCandidate)> = opportunities
            .into_par_iter()
            .map(
                |opportunity| -> Result<Option<(Opportunity, ScoredCandidate)>, EngineError> {
                    cancel.check()?;
                    let profile = active.profiles.profile(opportunity.kind);
                    let prepared = self.prepare(opportunity, &snapshot);
                    let (query, best) = self.best_text_score(&prepared, &snapshot, cancel)?;
                    let own = self.index.score_of(&snapshot, &query, &alumnus.id)?.unwrap_or(0.0);
                    let context = RankingContext {
                        opportunity: &prepared,
                        profile,
                        taxonomy: &self.taxonomy,
                        now,
                        require_all_required_skills: false,
                        referral_hire_rate,
                    };
                    let entry = PoolEntry {
                        alumnus: alumnus.clone(),
                        bm25: own,
                        career: None,
                        referrals: summary.referrals,
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
