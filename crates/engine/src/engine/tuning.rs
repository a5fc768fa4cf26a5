//! `alumni-match tune`: fits each kind's weights to this tenant's outcomes and
//! installs them as a new profile version only where they rank held-out
//! outcomes better than the profile in force.
//!
//! Every (alumnus, opportunity) pair with outcomes is graded (hired 4,
//! interviewed 3, replied 2, contacted without reply 1, declined 0; see
//! [`outcome_grade`]); each opportunity with graded pairs is one judged list,
//! ranked by the engine's own features computed now. Opportunities are split
//! by a hash of their id into training and held-out lists, so the split is the
//! same on every run. Coordinate ascent on mean NDCG@10 over the training
//! lists gives the candidate weights; mean NDCG@10 over the held-out lists,
//! before and after, decides.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use super::{ActiveProfiles, Engine, EngineError};
use crate::{
    cancel::Cancellation,
    domain::{OpportunityKind, OutcomeKind, Timestamp, outcome_grade},
    ranking::{
        self, PoolEntry, WeightProfile,
        fitting::{JudgedQuery, coordinate_ascent, mean_ndcg},
    },
};

/// How a tuning run is done.
#[derive(Debug, Clone, Copy)]
pub struct TuneOptions {
    /// Share of opportunities held out to judge the fit (0 = [`DEFAULT_HOLDOUT`]).
    pub holdout_fraction: f64,
    /// Report only; install nothing.
    pub dry_run: bool,
}

/// Held-out share when the request does not say.
pub const DEFAULT_HOLDOUT: f64 = 0.3;
/// Cut-off of the NDCG the fit and the decision use.
pub const TUNE_K: usize = 10;
/// Least judged lists a kind needs for training and for the held-out check.
pub const MIN_TRAIN_LISTS: usize = 5;
/// See [`MIN_TRAIN_LISTS`].
pub const MIN_HOLDOUT_LISTS: usize = 3;
/// Least held-out gain in mean NDCG@10 that installs a fit: anything less is
/// within what chance moves.
pub const MIN_IMPROVEMENT: f64 = 0.005;

/// What tuning found for one kind.
#[derive(Debug, Clone, PartialEq)]
pub struct KindTuning {
    /// The kind.
    pub kind: OpportunityKind,
    /// Judged lists used to fit.
    pub train_lists: usize,
    /// Judged lists held out.
    pub holdout_lists: usize,
    /// Graded pairs in all lists.
    pub judged_pairs: usize,
    /// Held-out mean NDCG@10 of the profile in force.
    pub holdout_ndcg_before: Option<f64>,
    /// Held-out mean NDCG@10 of the fitted weights.
    pub holdout_ndcg_after: Option<f64>,
    /// The weights in force, by component name.
    pub weights_before: Vec<(String, f64)>,
    /// The fitted weights (the same as before when there was too little data).
    pub weights_after: Vec<(String, f64)>,
    /// Whether the fit beat the profile in force by [`MIN_IMPROVEMENT`].
    pub improved: bool,
    /// In words: what was decided and why.
    pub note: String,
}

/// The outcome of a tuning run.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneReport {
    /// Per kind, in kind order.
    pub kinds: Vec<KindTuning>,
    /// Whether a new profile version was installed.
    pub installed: bool,
    /// The version in force after the run.
    pub profile_version: u32,
    /// The version in force before it.
    pub previous_version: u32,
}

/// A stable split of opportunities: FNV-1a of the id against the share.
fn held_out(opportunity_id: &str, fraction: f64) -> bool {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in opportunity_id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % 10_000) as f64 / 10_000.0 < fraction
}

fn named(profile: &WeightProfile) -> Vec<(String, f64)> {
    profile
        .weights()
        .iter()
        .map(|(c, w)| (c.name().to_owned(), *w))
        .collect()
}

impl Engine {
    /// Fits each kind's weights to the tenant's outcomes; see the module
    /// documentation. Installs a new version (and puts it in force at once)
    /// when any kind improved and `dry_run` is off.
    pub fn tune_profiles(&self, options: TuneOptions, cancel: &Cancellation) -> Result<TuneReport, EngineError> {
        let fraction = if options.holdout_fraction > 0.0 && options.holdout_fraction < 1.0 {
            options.holdout_fraction
        } else {
            DEFAULT_HOLDOUT
        };
        let active = self.active_profiles();
        let mut graded: BTreeMap<String, BTreeMap<String, Vec<OutcomeKind>>> = BTreeMap::new();
        for outcome in self.store.all_outcomes()? {
            graded
                .entry(outcome.opportunity_id)
                .or_default()
                .entry(outcome.alumnus_id)
                .or_default()
                .push(outcome.kind);
        }
        let snapshot = self.index.snapshot();
        let now = Timestamp::now();
        let lists: Vec<(OpportunityKind, bool, JudgedQuery)> = graded
            .into_par_iter()
            .map(
                |(opportunity_id, pairs)| -> Result<Option<(OpportunityKind, bool, JudgedQuery)>, EngineError> {
                    cancel.check()?;
                    let Some(opportunity) = self.store.get_opportunity(&opportunity_id)? else {
                        return Ok(None);
                    };
                    let kind = opportunity.kind;
                    let grades: HashMap<&str, u8> = pairs
                        .iter()
                        .filter_map(|(alumnus, kinds)| Some((alumnus.as_str(), outcome_grade(kinds.iter().copied())?)))
                        .collect();
                    if grades.len() < 2 || !grades.values().any(|g| *g > 0) {
                        return Ok(None);
                    }
                    let prepared = self.prepare(opportunity, &snapshot);
                    let context = self.ranking_context(&prepared, active.profiles.profile(kind), now, false)?;
                    let (query, best) = self.best_text_score(&prepared, &snapshot, cancel)?;
                    let ids: Vec<&str> = grades.keys().copied().collect();
                    let records = self.store.get_alumni(&ids)?;
                    let summaries = self.store.outcome_summaries(&ids)?;
                    let mut entries = Vec::with_capacity(ids.len());
                    for ((id, record), summary) in ids.iter().zip(records).zip(summaries) {
                        if let Some(alumnus) = record {
                            // The referral record without this pair's own referrals:
                            // they are what is being judged, not evidence for it.
                            let mut referrals = summary.referrals;
                            for kind in &pairs[*id] {
                                match kind {
                                    OutcomeKind::ReferralSubmitted => {
                                        referrals.submitted = referrals.submitted.saturating_sub(1)
                                    }
                                    OutcomeKind::ReferralHired => referrals.hired = referrals.hired.saturating_sub(1),
                                    _ => {}
                                }
                            }
                            entries.push(PoolEntry {
                                alumnus,
                                bm25: self.index.score_of(&snapshot, &query, id)?.unwrap_or(0.0),
                                career: None,
                                referrals,
                            });
                        }
                    }
                    let best = entries.iter().map(|e| e.bm25).fold(best, f32::max);
                    let scored = ranking::score_against(&context, entries, best, cancel)?;
                    let candidates: Vec<(u8, Vec<f64>)> = scored
                        .iter()
                        .map(|s| (grades[s.alumnus_id()], s.components.iter().map(|c| c.value).collect()))
                        .collect();
                    let ideal = candidates.iter().map(|(grade, _)| *grade).collect();
                    Ok(Some((
                        kind,
                        held_out(&prepared.opportunity.id, fraction),
                        JudgedQuery { candidates, ideal },
                    )))
                },
            )
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?;

        let mut profiles = active.profiles.clone();
        let mut kinds = Vec::new();
        for kind in OpportunityKind::ALL {
            let profile = active.profiles.profile(kind);
            let of_kind: Vec<&(OpportunityKind, bool, JudgedQuery)> = lists
                .iter()
                .filter(|(k, _, q)| *k == kind && q.ideal.iter().any(|g| *g > 0))
                .collect();
            let train: Vec<&JudgedQuery> = of_kind.iter().filter(|(_, h, _)| !h).map(|(_, _, q)| q).collect();
            let holdout: Vec<&JudgedQuery> = of_kind.iter().filter(|(_, h, _)| *h).map(|(_, _, q)| q).collect();
            let judged_pairs = of_kind.iter().map(|(_, _, q)| q.candidates.len()).sum();
            let start: Vec<f64> = profile.weights().iter().map(|(_, w)| *w).collect();
            let mut tuning = KindTuning {
                kind,
                train_lists: train.len(),
                holdout_lists: holdout.len(),
                judged_pairs,
                holdout_ndcg_before: None,
                holdout_ndcg_after: None,
                weights_before: named(profile),
                weights_after: named(profile),
                improved: false,
                note: String::new(),
            };
            if train.len() < MIN_TRAIN_LISTS || holdout.len() < MIN_HOLDOUT_LISTS {
                tuning.note = format!(
                    "kept: {} training and {} held-out opportunities with graded outcomes, {MIN_TRAIN_LISTS} and \
                     {MIN_HOLDOUT_LISTS} needed",
                    train.len(),
                    holdout.len()
                );
                kinds.push(tuning);
                continue;
            }
            let floors = vec![0.0; start.len()];
            let fitted = coordinate_ascent(&train, &start, &floors, TUNE_K);
            let before = mean_ndcg(&holdout, &start, TUNE_K);
            let after = mean_ndcg(&holdout, &fitted, TUNE_K);
            tuning.holdout_ndcg_before = Some(before);
            tuning.holdout_ndcg_after = Some(after);
            let candidate = WeightProfile::new(profile.weights().iter().map(|(c, _)| *c).zip(fitted.iter().copied()));
            match candidate {
                Ok(candidate) if after > before + MIN_IMPROVEMENT => {
                    tuning.weights_after = named(&candidate);
                    tuning.improved = true;
                    tuning.note = format!("fitted: held-out NDCG@10 {before:.3} -> {after:.3}");
                    profiles = profiles.with_profile(kind, candidate);
                }
                _ => {
                    tuning.note = format!(
                        "kept: the fit reached held-out NDCG@10 {after:.3} against {before:.3} in force (at least \
                         +{MIN_IMPROVEMENT} needed)"
                    );
                }
            }
            kinds.push(tuning);
        }
        let improved = kinds.iter().any(|k| k.improved);
        let mut report = TuneReport {
            kinds,
            installed: false,
            profile_version: active.version,
            previous_version: active.version,
        };
        if improved && !options.dry_run {
            let note = report
                .kinds
                .iter()
                .map(|k| format!("{}: {}", k.kind.as_str(), k.note))
                .collect::<Vec<_>>()
                .join("; ");
            let version = self.store.install_profile(profiles.to_toml(), note, now)?;
            self.activate_profiles(ActiveProfiles { version, profiles });
            report.installed = true;
            report.profile_version = version;
            tracing::info!(version, previous = active.version, "installed a tuned ranking profile");
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_is_stable_and_near_the_share() {
        let held: usize = (0..10_000).filter(|i| held_out(&format!("opp-{i}"), 0.3)).count();
        assert!((2_700..3_300).contains(&held), "{held}");
        assert_eq!(held_out("opp-17", 0.3), held_out("opp-17", 0.3));
    }
}
