//! Outcomes and the shown-log, erased with the alumnus.
//!
//! An outcome's key is `alumnus \x01 opportunity \x01 kind code \x01 time`
//! (ids hold no control characters), so one range reads an alumnus's whole
//! history, and the contact etiquette needs no value decoded: the opportunity,
//! kind and time are all in the key. A second table lists, per opportunity,
//! the alumni with outcomes about it. The shown-log keeps one small record per
//! (alumnus, opportunity) pair that was shown: ids, ranks, times and the
//! ranking-profile version, never profile text.
//!
//! Recording a CONTACTED checks the contact policy against the history read
//! in the same write transaction. redb serialises write transactions, so two
//! recruiters racing to approach the same alumnus cannot both pass the cap.

use redb::{ReadableDatabase, ReadableTable, Table, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{
    ALUMNI, OPPORTUNITIES, OUTCOMES, OUTCOMES_BY_OPPORTUNITY, OrStore, SHOWN, Store, StoreError,
    codec::{decode, encode},
};
use crate::domain::{Alumnus, ContactHistory, ContactPolicy, Hold, Outcome, OutcomeKind, ReferralRecord, Timestamp};

const SEPARATOR: char = '\u{1}';
/// One past [`SEPARATOR`]: the end of an id's key range.
const AFTER_SEPARATOR: char = '\u{2}';
/// Added to an outcome's seconds so that every valid time is a non-negative
/// number of fixed width in the key.
const SECONDS_OFFSET: i64 = -Timestamp::MIN_SECONDS;

fn outcome_key(outcome: &Outcome) -> String {
    format!(
        "{}{SEPARATOR}{}{SEPARATOR}{:02}{SEPARATOR}{:012}{:09}",
        outcome.alumnus_id,
        outcome.opportunity_id,
        outcome.kind.code(),
        outcome.occurred_at.seconds.saturating_add(SECONDS_OFFSET),
        outcome.occurred_at.nanos
    )
}

fn pair_key(alumnus_id: &str, opportunity_id: &str) -> String {
    format!("{alumnus_id}{SEPARATOR}{opportunity_id}")
}

/// The key range of everything under one alumnus.
fn alumnus_range(alumnus_id: &str) -> (String, String) {
    (
        format!("{alumnus_id}{SEPARATOR}"),
        format!("{alumnus_id}{AFTER_SEPARATOR}"),
    )
}

/// The parts of an outcome key: (opportunity, kind, time).
fn parse_outcome_key(key: &str) -> Option<(&str, OutcomeKind, Timestamp)> {
    let mut parts = key.split(SEPARATOR);
    let _alumnus = parts.next()?;
    let opportunity = parts.next()?;
    let kind = OutcomeKind::from_code(parts.next()?.parse().ok()?)?;
    let time = parts.next()?;
    if time.len() != 21 {
        return None;
    }
    let seconds: i64 = time[..12].parse().ok()?;
    let nanos: i32 = time[12..].parse().ok()?;
    Some((
        opportunity,
        kind,
        Timestamp {
            seconds: seconds - SECONDS_OFFSET,
            nanos,
        },
    ))
}

/// What was done with one outcome of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Written.
    New,
    /// Already recorded: nothing changed.
    Duplicate,
    /// Refused by the contact policy.
    Refused(Hold),
}

/// An outcome of a batch whose alumnus or opportunity does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSubject {
    /// Position in the batch.
    pub index: usize,
    /// "alumnus" or "opportunity".
    pub entity: &'static str,
    /// The id given.
    pub id: String,
}

/// What the ranking needs of one alumnus's outcomes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutcomeSummary {
    /// Contacts and declines, for the etiquette.
    pub contacts: ContactHistory,
    /// Their record as a referrer.
    pub referrals: ReferralRecord,
}

/// One (alumnus, opportunity) pair as the shown-log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownRecord {
    /// The alumnus.
    pub alumnus_id: String,
    /// The opportunity.
    pub opportunity_id: String,
    /// First time shown.
    pub first_shown_at: Timestamp,
    /// Last time shown.
    pub last_shown_at: Timestamp,
    /// How many times shown.
    pub times: u32,
    /// Best (smallest) rank shown at.
    pub best_rank: u32,
    /// The ranking-profile version of the last showing.
    pub profile_version: u32,
}

/// One candidate shown once: what a Match or shortlist page logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownEvent {
    /// The alumnus.
    pub alumnus_id: String,
    /// The stored opportunity.
    pub opportunity_id: String,
    /// 1-based rank shown at.
    pub rank: u32,
    /// When.
    pub at: Timestamp,
    /// The ranking-profile version that ranked it.
    pub profile_version: u32,
}

fn summary_from<'a>(keys: impl Iterator<Item = &'a str>) -> OutcomeSummary {
    let mut summary = OutcomeSummary::default();
    for key in keys {
        let Some((opportunity, kind, at)) = parse_outcome_key(key) else {
            continue;
        };
        match kind {
            OutcomeKind::Contacted => summary.contacts.contacts.push((opportunity.to_owned(), at)),
            OutcomeKind::Declined => summary.contacts.declined.push(opportunity.to_owned()),
            OutcomeKind::ReferralSubmitted => {
                summary.referrals.submitted = summary.referrals.submitted.saturating_add(1)
            }
            OutcomeKind::ReferralHired => summary.referrals.hired = summary.referrals.hired.saturating_add(1),
            _ => {}
        }
    }
    summary
}

fn summary_in(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    alumnus_id: &str,
) -> Result<OutcomeSummary, StoreError> {
    let (start, end) = alumnus_range(alumnus_id);
    let mut keys = Vec::new();
    for entry in table.range(start.as_str()..end.as_str()).or_store()? {
        let (key, _) = entry.or_store()?;
        keys.push(key.value().to_owned());
    }
    Ok(summary_from(keys.iter().map(String::as_str)))
}

/// Removes an alumnus's outcomes and shown-log in the transaction deleting
/// them: erasure leaves nothing of what happened with them.
pub(super) fn erase_outcomes(txn: &WriteTransaction, alumnus_id: &str) -> Result<(), StoreError> {
    let (start, end) = alumnus_range(alumnus_id);
    let mut outcomes = txn.open_table(OUTCOMES).or_store()?;
    let mut opportunities = Vec::new();
    for entry in outcomes.range(start.as_str()..end.as_str()).or_store()? {
        let (key, _) = entry.or_store()?;
        if let Some((opportunity, _, _)) = parse_outcome_key(key.value()) {
            opportunities.push(opportunity.to_owned());
        }
    }
    outcomes
        .retain_in(start.as_str()..end.as_str(), |_, _| false)
        .or_store()?;
    opportunities.sort_unstable();
    opportunities.dedup();
    let mut by_opportunity = txn.open_multimap_table(OUTCOMES_BY_OPPORTUNITY).or_store()?;
    for opportunity in &opportunities {
        by_opportunity.remove(opportunity.as_str(), alumnus_id).or_store()?;
    }
    let mut shown = txn.open_table(SHOWN).or_store()?;
    shown.retain_in(start.as_str()..end.as_str(), |_, _| false).or_store()?;
    Ok(())
}

fn outcomes_in_range(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    start: &str,
    end: &str,
    limit: usize,
    out: &mut Vec<Outcome>,
) -> Result<(), StoreError> {
    for entry in table.range(start..end).or_store()?.take(limit) {
        let (_, value) = entry.or_store()?;
        out.push(decode("outcomes", value.value())?);
    }
    Ok(())
}

fn sort_by_time(outcomes: &mut [Outcome]) {
    outcomes.sort_by(|a, b| {
        a.occurred_at
            .cmp(&b.occurred_at)
            .then_with(|| a.alumnus_id.cmp(&b.alumnus_id))
            .then_with(|| a.opportunity_id.cmp(&b.opportunity_id))
            .then_with(|| a.kind.cmp(&b.kind))
    });
}

fn upsert_shown(table: &mut Table<&'static str, &'static [u8]>, event: &ShownEvent) -> Result<(), StoreError> {
    let key = pair_key(&event.alumnus_id, &event.opportunity_id);
    let previous: Option<ShownRecord> = match table.get(key.as_str()).or_store()? {
        Some(bytes) => Some(decode("shown", bytes.value())?),
        None => None,
    };
    let record = match previous {
        Some(mut record) => {
            record.first_shown_at = record.first_shown_at.min(event.at);
            record.last_shown_at = record.last_shown_at.max(event.at);
            record.times = record.times.saturating_add(1);
            record.best_rank = record.best_rank.min(event.rank);
            record.profile_version = event.profile_version;
            record
        }
        None => ShownRecord {
            alumnus_id: event.alumnus_id.clone(),
            opportunity_id: event.opportunity_id.clone(),
            first_shown_at: event.at,
            last_shown_at: event.at,
            times: 1,
            best_rank: event.rank,
            profile_version: event.profile_version,
        },
    };
    let bytes = encode(&record)?;
    table.insert(key.as_str(), bytes.as_slice()).or_store()?;
    Ok(())
}

impl Store {
    /// Records a batch of outcomes in one durable transaction, in order, each
    /// CONTACTED checked against `policy` on the history as it stands inside
    /// the transaction (including this batch's earlier items). When an
    /// outcome's alumnus or opportunity does not exist nothing is written and
    /// every such outcome is returned.
    pub fn record_outcomes(
        &self,
        outcomes: &[Outcome],
        policy: &ContactPolicy,
    ) -> Result<Result<Vec<Recorded>, Vec<UnknownSubject>>, StoreError> {
        let encoded: Vec<Vec<u8>> = outcomes.iter().map(encode).collect::<Result<_, _>>()?;
        self.handle.write(|db| {
            let txn = db.begin_write().or_store()?;
            let mut results = Vec::with_capacity(outcomes.len());
            let mut unknown = Vec::new();
            {
                let alumni = txn.open_table(ALUMNI).or_store()?;
                let opportunities = txn.open_table(OPPORTUNITIES).or_store()?;
                let mut not_before = Vec::with_capacity(outcomes.len());
                for (index, outcome) in outcomes.iter().enumerate() {
                    match alumni.get(outcome.alumnus_id.as_str()).or_store()? {
                        Some(bytes) => {
                            let alumnus: Alumnus = decode("alumni", bytes.value())?;
                            not_before.push(alumnus.consent.contact_not_before);
                        }
                        None => {
                            not_before.push(None);
                            unknown.push(UnknownSubject {
                                index,
                                entity: "alumnus",
                                id: outcome.alumnus_id.clone(),
                            });
                        }
                    }
                    if opportunities.get(outcome.opportunity_id.as_str()).or_store()?.is_none() {
                        unknown.push(UnknownSubject {
                            index,
                            entity: "opportunity",
                            id: outcome.opportunity_id.clone(),
                        });
                    }
                }
                if unknown.is_empty() {
                    let mut table = txn.open_table(OUTCOMES).or_store()?;
                    let mut by_opportunity = txn.open_multimap_table(OUTCOMES_BY_OPPORTUNITY).or_store()?;
                    for ((outcome, bytes), not_before) in outcomes.iter().zip(&encoded).zip(not_before) {
                        let key = outcome_key(outcome);
                        if table.get(key.as_str()).or_store()?.is_some() {
                            results.push(Recorded::Duplicate);
                            continue;
                        }
                        if outcome.kind == OutcomeKind::Contacted {
                            let history = summary_in(&table, &outcome.alumnus_id)?.contacts;
                            if let Err(hold) =
                                policy.admit_contact(&history, not_before, &outcome.opportunity_id, outcome.occurred_at)
                            {
                                results.push(Recorded::Refused(hold));
                                continue;
                            }
                        }
                        table.insert(key.as_str(), bytes.as_slice()).or_store()?;
                        by_opportunity
                            .insert(outcome.opportunity_id.as_str(), outcome.alumnus_id.as_str())
                            .or_store()?;
                        results.push(Recorded::New);
                    }
                }
            }
            if !unknown.is_empty() {
                txn.abort().or_store()?;
                return Ok(Err(unknown));
            }
            txn.commit().or_store()?;
            Ok(Ok(results))
        })
    }

    /// The outcome summaries of many alumni, read on one snapshot (in `ids` order).
    pub fn outcome_summaries<S: AsRef<str>>(&self, ids: &[S]) -> Result<Vec<OutcomeSummary>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(OUTCOMES).or_store()?;
            ids.iter().map(|id| summary_in(&table, id.as_ref())).collect()
        })
    }

    /// An alumnus's outcomes, oldest first, at most `limit`.
    pub fn outcomes_of_alumnus(&self, alumnus_id: &str, limit: usize) -> Result<Vec<Outcome>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(OUTCOMES).or_store()?;
            let (start, end) = alumnus_range(alumnus_id);
            let mut out = Vec::new();
            outcomes_in_range(&table, &start, &end, limit, &mut out)?;
            sort_by_time(&mut out);
            Ok(out)
        })
    }

    /// The outcomes about one opportunity, oldest first, at most `limit`.
    pub fn outcomes_of_opportunity(&self, opportunity_id: &str, limit: usize) -> Result<Vec<Outcome>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(OUTCOMES).or_store()?;
            let by_opportunity = txn.open_multimap_table(OUTCOMES_BY_OPPORTUNITY).or_store()?;
            let mut out = Vec::new();
            for alumnus in by_opportunity.get(opportunity_id).or_store()? {
                let alumnus = alumnus.or_store()?;
                let start = format!("{}{SEPARATOR}", pair_key(alumnus.value(), opportunity_id));
                let end = format!("{}{AFTER_SEPARATOR}", pair_key(alumnus.value(), opportunity_id));
                outcomes_in_range(&table, &start, &end, limit.saturating_sub(out.len()), &mut out)?;
                if out.len() >= limit {
                    break;
                }
            }
            sort_by_time(&mut out);
            Ok(out)
        })
    }

    /// The tenant's referrals and their hires, counted from the keys alone (no
    /// record decoded), for the REFERRAL model's mean.
    pub fn referral_totals(&self) -> Result<ReferralRecord, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(OUTCOMES).or_store()?;
            let mut keys = Vec::new();
            for entry in table.iter().or_store()? {
                let (key, _) = entry.or_store()?;
                keys.push(key.value().to_owned());
            }
            Ok(summary_from(keys.iter().map(String::as_str)).referrals)
        })
    }

    /// Every outcome of the tenant, in key order (for the funnel and tuning).
    pub fn all_outcomes(&self) -> Result<Vec<Outcome>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(OUTCOMES).or_store()?;
            let mut out = Vec::new();
            for entry in table.iter().or_store()? {
                let (_, value) = entry.or_store()?;
                out.push(decode("outcomes", value.value())?);
            }
            Ok(out)
        })
    }

    /// Adds what pages showed to the shown-log in one transaction; an alumnus
    /// deleted meanwhile is skipped (the check and the write share the
    /// transaction, so an erasure is never undone). Returns the events written.
    pub fn record_shown(&self, events: &[ShownEvent]) -> Result<usize, StoreError> {
        self.handle.write(|db| {
            let txn = db.begin_write().or_store()?;
            let mut written = 0;
            {
                let alumni = txn.open_table(ALUMNI).or_store()?;
                let mut shown = txn.open_table(SHOWN).or_store()?;
                for event in events {
                    if alumni.get(event.alumnus_id.as_str()).or_store()?.is_none() {
                        continue;
                    }
                    upsert_shown(&mut shown, event)?;
                    written += 1;
                }
            }
            txn.commit().or_store()?;
            Ok(written)
        })
    }

    /// The whole shown-log, in (alumnus, opportunity) order.
    pub fn all_shown(&self) -> Result<Vec<ShownRecord>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(SHOWN).or_store()?;
            let mut out = Vec::new();
            for entry in table.iter().or_store()? {
                let (_, value) = entry.or_store()?;
                out.push(decode("shown", value.value())?);
            }
            Ok(out)
        })
    }

    /// An alumnus's part of the shown-log.
    pub fn shown_of_alumnus(&self, alumnus_id: &str) -> Result<Vec<ShownRecord>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(SHOWN).or_store()?;
            let (start, end) = alumnus_range(alumnus_id);
            let mut out = Vec::new();
            for entry in table.range(start.as_str()..end.as_str()).or_store()? {
                let (_, value) = entry.or_store()?;
                out.push(decode("shown", value.value())?);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alumnus(id: &str) -> Alumnus {
        serde_json::from_value(serde_json::json!({"id": id, "display_name": "Tanaka",
            "consent": {"contact_allowed": true}, "interests": {"open_to": ["referral"]}}))
        .unwrap()
    }

    fn opportunity(id: &str) -> crate::domain::Opportunity {
        serde_json::from_value(serde_json::json!({"id": id, "kind": "referral", "title": "t"})).unwrap()
    }

    fn outcome(alumnus: &str, opportunity: &str, kind: OutcomeKind, seconds: i64) -> Outcome {
        Outcome {
            alumnus_id: alumnus.into(),
            opportunity_id: opportunity.into(),
            kind,
            occurred_at: Timestamp { seconds, nanos: 5 },
            note: "note".into(),
            referred_candidate: String::new(),
        }
    }

    fn store_with(dir: &std::path::Path) -> Store {
        let store = Store::open(&dir.join("store.redb")).unwrap();
        store.upsert_alumni(&[alumnus("a1"), alumnus("a2")]).unwrap();
        store
            .upsert_opportunities(
                &[opportunity("o1"), opportunity("o2"), opportunity("o3")],
                Timestamp { seconds: 1, nanos: 0 },
            )
            .unwrap();
        store
    }

    #[test]
    fn keys_round_trip_including_times_before_1970() {
        for seconds in [Timestamp::MIN_SECONDS, -1, 0, 1_700_000_000, Timestamp::MAX_SECONDS] {
            let o = outcome("a1", "o1", OutcomeKind::Replied, seconds);
            let key = outcome_key(&o);
            assert_eq!(
                parse_outcome_key(&key),
                Some(("o1", OutcomeKind::Replied, o.occurred_at)),
                "{seconds}"
            );
        }
    }

    #[test]
    fn recording_is_idempotent_and_unknown_subjects_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path());
        let policy = ContactPolicy::default();
        let batch = [
            outcome("a1", "o1", OutcomeKind::Contacted, 100),
            outcome("a1", "o1", OutcomeKind::Replied, 200),
        ];
        assert_eq!(
            store.record_outcomes(&batch, &policy).unwrap().unwrap(),
            [Recorded::New, Recorded::New]
        );
        assert_eq!(
            store.record_outcomes(&batch, &policy).unwrap().unwrap(),
            [Recorded::Duplicate, Recorded::Duplicate]
        );
        let unknown = store
            .record_outcomes(
                &[
                    outcome("a2", "o1", OutcomeKind::Replied, 1),
                    outcome("zz", "nope", OutcomeKind::Replied, 1),
                ],
                &policy,
            )
            .unwrap()
            .unwrap_err();
        assert_eq!(unknown.len(), 2);
        assert!(
            store.outcomes_of_alumnus("a2", 100).unwrap().is_empty(),
            "nothing of the batch"
        );
        assert_eq!(store.outcomes_of_opportunity("o1", 100).unwrap().len(), 2);
    }

    #[test]
    fn the_cap_holds_within_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path());
        let batch = [
            outcome("a1", "o1", OutcomeKind::Contacted, 100),
            outcome("a1", "o2", OutcomeKind::Contacted, 101),
            outcome("a1", "o3", OutcomeKind::Contacted, 102),
        ];
        let results = store
            .record_outcomes(&batch, &ContactPolicy::default())
            .unwrap()
            .unwrap();
        assert_eq!(results[..2], [Recorded::New, Recorded::New]);
        assert!(matches!(results[2], Recorded::Refused(Hold::Capped { recent: 2, .. })));
    }

    #[test]
    fn erasure_removes_outcomes_and_the_shown_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path());
        let policy = ContactPolicy::default();
        store
            .record_outcomes(
                &[
                    outcome("a1", "o1", OutcomeKind::Contacted, 100),
                    outcome("a2", "o1", OutcomeKind::Contacted, 100),
                ],
                &policy,
            )
            .unwrap()
            .unwrap();
        let shown = |alumnus: &str| ShownEvent {
            alumnus_id: alumnus.into(),
            opportunity_id: "o1".into(),
            rank: 3,
            at: Timestamp { seconds: 50, nanos: 0 },
            profile_version: 0,
        };
        assert_eq!(store.record_shown(&[shown("a1"), shown("a2"), shown("a1")]).unwrap(), 3);
        assert_eq!(store.shown_of_alumnus("a1").unwrap()[0].times, 2);
        store.delete_alumni(&["a1".into()]).unwrap();
        assert!(store.outcomes_of_alumnus("a1", 100).unwrap().is_empty());
        assert!(store.shown_of_alumnus("a1").unwrap().is_empty());
        let left: Vec<String> = store
            .outcomes_of_opportunity("o1", 100)
            .unwrap()
            .into_iter()
            .map(|o| o.alumnus_id)
            .collect();
        assert_eq!(left, ["a2"]);
        assert_eq!(store.all_shown().unwrap().len(), 1);
        // A late shown-log write for the erased alumnus does not bring them back.
        assert_eq!(store.record_shown(&[shown("a1")]).unwrap(), 0);
        assert!(store.shown_of_alumnus("a1").unwrap().is_empty());
    }
}
