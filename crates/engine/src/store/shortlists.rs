//! Stored shortlists, and the rule that keeps them within the gates.
//!
//! A stored shortlist must never hand out someone who fails the opportunity's
//! gates as they are now, whatever happened since it was computed. Three places
//! hold that line, each in one transaction or snapshot:
//! - an alumnus's write or deletion prunes them from the shortlists listing them
//!   ([`prune_shortlists`]);
//! - an opportunity that changes kind has its shortlist re-checked against the
//!   new kind's gates ([`regate_shortlist`]);
//! - reading a shortlist re-checks every listed alumnus against the
//!   opportunity's current kind on the same snapshot ([`Store::get_shortlist`]),
//!   so even a record written by an older version, or a rule that changes, cannot
//!   leak through.

use redb::{ReadableDatabase, ReadableMultimapTable, ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{
    ALUMNI, OPPORTUNITIES, OrStore, SHORTLIST_MEMBERS, SHORTLISTS, Store, StoreError,
    codec::{decode, encode},
};
use crate::domain::{Alumnus, Opportunity, OpportunityKind, Timestamp};

/// One candidate of a stored shortlist, with its explanation as computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShortlistEntry {
    /// The alumnus.
    pub alumnus_id: String,
    /// Name shown.
    pub display_name: String,
    /// Score in [0, 1].
    pub score: f64,
    /// `(component name, value, weight, contribution)`.
    pub components: Vec<(String, f64, f64, f64)>,
    /// Matched skills.
    pub matched_skills: Vec<String>,
    /// Missing required skills.
    pub missing_required_skills: Vec<String>,
    /// One-line reason.
    pub reason: String,
}

/// A ranked shortlist kept for analysts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredShortlist {
    /// The opportunity.
    pub opportunity_id: String,
    /// Its kind when computed; on reading, its kind now.
    pub kind: OpportunityKind,
    /// When it was computed.
    pub computed_at: Timestamp,
    /// The alumni change-log sequence the ranking saw.
    pub alumni_seq: u64,
    /// Fingerprint of the opportunity as ranked, to notice later edits.
    pub opportunity_fingerprint: u64,
    /// Best first.
    pub candidates: Vec<ShortlistEntry>,
    /// Set when candidates were removed after computation (deletion, consent,
    /// opt-out, a change of the opportunity's kind).
    #[serde(default)]
    pub pruned: bool,
    /// The tenant's ranking-profile version that ranked it (0 = the server's
    /// base profiles, and every shortlist stored before versions existed).
    #[serde(default)]
    pub profile_version: u32,
}

/// A stored shortlist as read, and each kept candidate's `contact_not_before`.
pub type GatedShortlist = (StoredShortlist, Vec<Option<Timestamp>>);

/// Removes an alumnus from every stored shortlist it may no longer appear in:
/// all of them when `current` is `None` (deleted), else those whose opportunity's
/// current kind's gates it now fails. Runs inside the write transaction of the
/// alumni change.
pub(super) fn prune_shortlists(txn: &WriteTransaction, id: &str, current: Option<&Alumnus>) -> Result<(), StoreError> {
    let mut members = txn.open_multimap_table(SHORTLIST_MEMBERS).or_store()?;
    let listed: Vec<String> = members
        .get(id)
        .or_store()?
        .map(|entry| entry.map(|v| v.value().to_owned()))
        .collect::<Result<_, _>>()
        .or_store()?;
    if listed.is_empty() {
        return Ok(());
    }
    let mut shortlists = txn.open_table(SHORTLISTS).or_store()?;
    let opportunities = txn.open_table(OPPORTUNITIES).or_store()?;
    for opportunity_id in listed {
        let stored: Option<StoredShortlist> = match shortlists.get(opportunity_id.as_str()).or_store()? {
            Some(bytes) => Some(decode("shortlists", bytes.value())?),
            None => None,
        };
        let Some(mut shortlist) = stored else {
            members.remove(id, opportunity_id.as_str()).or_store()?;
            continue;
        };
        // The gates of the opportunity as it is now, not as it was when ranked.
        let kind = match opportunities.get(opportunity_id.as_str()).or_store()? {
            Some(bytes) => decode::<Opportunity>("opportunities", bytes.value())?.kind,
            None => shortlist.kind,
        };
        if current.is_some_and(|a| a.passes_gates(kind)) {
            continue;
        }
        shortlist.candidates.retain(|c| c.alumnus_id != id);
        shortlist.pruned = true;
        let bytes = encode(&shortlist)?;
        shortlists
            .insert(opportunity_id.as_str(), bytes.as_slice())
            .or_store()?;
        members.remove(id, opportunity_id.as_str()).or_store()?;
    }
    Ok(())
}

/// Re-checks a stored shortlist against the gates of `kind` (the opportunity's
/// new kind), inside the opportunity's write transaction.
pub(super) fn regate_shortlist(
    txn: &WriteTransaction,
    opportunity_id: &str,
    kind: OpportunityKind,
) -> Result<(), StoreError> {
    let mut shortlists = txn.open_table(SHORTLISTS).or_store()?;
    let stored: Option<StoredShortlist> = match shortlists.get(opportunity_id).or_store()? {
        Some(bytes) => Some(decode("shortlists", bytes.value())?),
        None => None,
    };
    let Some(mut shortlist) = stored else { return Ok(()) };
    let alumni = txn.open_table(ALUMNI).or_store()?;
    let mut members = txn.open_multimap_table(SHORTLIST_MEMBERS).or_store()?;
    let mut kept = Vec::with_capacity(shortlist.candidates.len());
    for entry in std::mem::take(&mut shortlist.candidates) {
        let current: Option<Alumnus> = match alumni.get(entry.alumnus_id.as_str()).or_store()? {
            Some(bytes) => Some(decode("alumni", bytes.value())?),
            None => None,
        };
        if current.is_some_and(|a| a.passes_gates(kind)) {
            kept.push(entry);
        } else {
            members.remove(entry.alumnus_id.as_str(), opportunity_id).or_store()?;
        }
    }
    shortlist.candidates = kept;
    shortlist.kind = kind;
    // Ranked for another kind: whatever remains is stale by construction.
    shortlist.pruned = true;
    let bytes = encode(&shortlist)?;
    shortlists.insert(opportunity_id, bytes.as_slice()).or_store()?;
    Ok(())
}

impl Store {
    /// Writes shortlists in one durable transaction, replacing earlier ones.
    /// A shortlist computed from an older alumni sequence than the stored one is
    /// not written (a slower concurrent run must not overwrite a newer result);
    /// returns how many were written.
    pub fn put_shortlists(&self, shortlists: &[StoredShortlist]) -> Result<usize, StoreError> {
        self.handle.write(|db| {
            let txn = db.begin_write().or_store()?;
            let mut written = 0;
            {
                let mut table = txn.open_table(SHORTLISTS).or_store()?;
                let mut members = txn.open_multimap_table(SHORTLIST_MEMBERS).or_store()?;
                let alumni = txn.open_table(ALUMNI).or_store()?;
                let opportunities = txn.open_table(OPPORTUNITIES).or_store()?;
                for shortlist in shortlists {
                    let previous: Option<StoredShortlist> =
                        match table.get(shortlist.opportunity_id.as_str()).or_store()? {
                            Some(bytes) => Some(decode("shortlists", bytes.value())?),
                            None => None,
                        };
                    if let Some(previous) = &previous {
                        if previous.alumni_seq > shortlist.alumni_seq {
                            continue;
                        }
                        for entry in &previous.candidates {
                            members
                                .remove(entry.alumnus_id.as_str(), shortlist.opportunity_id.as_str())
                                .or_store()?;
                        }
                    }
                    let mut shortlist = shortlist.clone();
                    // The opportunity may have changed kind while it was ranked.
                    let kind_now = match opportunities.get(shortlist.opportunity_id.as_str()).or_store()? {
                        Some(bytes) => decode::<Opportunity>("opportunities", bytes.value())?.kind,
                        None => shortlist.kind,
                    };
                    if kind_now != shortlist.kind {
                        shortlist.kind = kind_now;
                        shortlist.pruned = true;
                    }
                    // An alumnus deleted or withdrawn between ranking and this write must
                    // not slip into the stored list.
                    let mut kept = Vec::with_capacity(shortlist.candidates.len());
                    for entry in std::mem::take(&mut shortlist.candidates) {
                        let current: Option<Alumnus> = match alumni.get(entry.alumnus_id.as_str()).or_store()? {
                            Some(bytes) => Some(decode("alumni", bytes.value())?),
                            None => None,
                        };
                        if current.is_some_and(|a| a.passes_gates(shortlist.kind)) {
                            kept.push(entry);
                        } else {
                            shortlist.pruned = true;
                        }
                    }
                    shortlist.candidates = kept;
                    for entry in &shortlist.candidates {
                        members
                            .insert(entry.alumnus_id.as_str(), shortlist.opportunity_id.as_str())
                            .or_store()?;
                    }
                    let bytes = encode(&shortlist)?;
                    table
                        .insert(shortlist.opportunity_id.as_str(), bytes.as_slice())
                        .or_store()?;
                    written += 1;
                }
            }
            txn.commit().or_store()?;
            Ok(written)
        })
    }

    /// Reads a stored shortlist, keeping only the candidates who pass the gates of
    /// the opportunity's current kind on their current records (read on one
    /// snapshot). Someone filtered out here marks the result `pruned`.
    pub fn get_shortlist(&self, opportunity_id: &str) -> Result<Option<StoredShortlist>, StoreError> {
        Ok(self.read_shortlist(opportunity_id)?.map(|(shortlist, _)| shortlist))
    }

    /// [`Store::get_shortlist`], with each kept candidate's own "not before"
    /// date (from the same records), for the contact etiquette.
    pub fn read_shortlist(&self, opportunity_id: &str) -> Result<Option<GatedShortlist>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(SHORTLISTS).or_store()?;
            let Some(bytes) = table.get(opportunity_id).or_store()? else {
                return Ok(None);
            };
            let mut shortlist: StoredShortlist = decode("shortlists", bytes.value())?;
            let opportunities = txn.open_table(OPPORTUNITIES).or_store()?;
            if let Some(bytes) = opportunities.get(opportunity_id).or_store()? {
                let kind = decode::<Opportunity>("opportunities", bytes.value())?.kind;
                if kind != shortlist.kind {
                    shortlist.kind = kind;
                    shortlist.pruned = true;
                }
            }
            let alumni = txn.open_table(ALUMNI).or_store()?;
            let before = shortlist.candidates.len();
            let mut kept = Vec::with_capacity(before);
            let mut not_before = Vec::with_capacity(before);
            for entry in std::mem::take(&mut shortlist.candidates) {
                if let Some(bytes) = alumni.get(entry.alumnus_id.as_str()).or_store()? {
                    let alumnus: Alumnus = decode("alumni", bytes.value())?;
                    if alumnus.passes_gates(shortlist.kind) {
                        not_before.push(alumnus.consent.contact_not_before);
                        kept.push(entry);
                    }
                }
            }
            if kept.len() != before {
                shortlist.pruned = true;
            }
            shortlist.candidates = kept;
            Ok(Some((shortlist, not_before)))
        })
    }

    /// Number of stored shortlists.
    pub fn count_shortlists(&self) -> Result<u64, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            txn.open_table(SHORTLISTS).or_store()?.len().or_store()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alumnus(id: &str, open_to: &[&str], rehire_eligible: bool) -> Alumnus {
        serde_json::from_value(serde_json::json!({
            "id": id, "display_name": "Tanaka",
            "consent": {"contact_allowed": true},
            "interests": {"open_to": open_to},
            "departure": {"rehire_eligible": rehire_eligible},
        }))
        .unwrap()
    }

    fn opportunity(id: &str, kind: &str) -> Opportunity {
        serde_json::from_value(serde_json::json!({"id": id, "kind": kind, "title": "t"})).unwrap()
    }

    fn entry(id: &str) -> ShortlistEntry {
        ShortlistEntry {
            alumnus_id: id.into(),
            display_name: "Tanaka".into(),
            score: 0.5,
            components: Vec::new(),
            matched_skills: Vec::new(),
            missing_required_skills: Vec::new(),
            reason: String::new(),
        }
    }

    fn shortlist(opportunity_id: &str, kind: OpportunityKind, ids: &[&str]) -> StoredShortlist {
        StoredShortlist {
            opportunity_id: opportunity_id.into(),
            kind,
            computed_at: Timestamp { seconds: 1, nanos: 0 },
            alumni_seq: 1,
            opportunity_fingerprint: 0,
            candidates: ids.iter().map(|id| entry(id)).collect(),
            pruned: false,
            profile_version: 0,
        }
    }

    fn ids(shortlist: &StoredShortlist) -> Vec<&str> {
        shortlist.candidates.iter().map(|c| c.alumnus_id.as_str()).collect()
    }

    /// The attack from the reliability review: a shortlist stored for MENTORING
    /// must not keep someone who is not rehire-eligible once the opportunity
    /// becomes REHIRE, before or after the alumnus is written again.
    #[test]
    fn a_kind_change_never_leaves_an_ineligible_alumnus_in_the_shortlist() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.redb")).unwrap();
        let now = Timestamp { seconds: 1, nanos: 0 };
        store
            .upsert_opportunities(&[opportunity("gk-1", "mentoring")], now)
            .unwrap();
        store
            .upsert_alumni(&[
                alumnus("mentor-only", &["mentoring"], false),
                alumnus("both", &["mentoring", "rehire"], true),
            ])
            .unwrap();
        store
            .put_shortlists(&[shortlist("gk-1", OpportunityKind::Mentoring, &["mentor-only", "both"])])
            .unwrap();
        store
            .upsert_opportunities(&[opportunity("gk-1", "rehire")], now)
            .unwrap();
        let read = store.get_shortlist("gk-1").unwrap().unwrap();
        assert_eq!(ids(&read), ["both"]);
        assert!(read.pruned);
        assert_eq!(read.kind, OpportunityKind::Rehire);
        store
            .upsert_alumni(&[alumnus("mentor-only", &["mentoring"], false)])
            .unwrap();
        assert_eq!(ids(&store.get_shortlist("gk-1").unwrap().unwrap()), ["both"]);
    }

    /// The read itself re-checks the gates, so a shortlist written before the
    /// write-time pruning existed (or by any path that missed it) is still safe.
    #[test]
    fn reading_filters_by_the_current_kind_even_when_the_stored_list_was_not_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.redb")).unwrap();
        let now = Timestamp { seconds: 1, nanos: 0 };
        store
            .upsert_opportunities(&[opportunity("gk-2", "rehire")], now)
            .unwrap();
        store
            .upsert_alumni(&[
                alumnus("mentor-only", &["mentoring"], false),
                alumnus("gone", &["rehire"], true),
            ])
            .unwrap();
        // As an older version would have stored it: kind MENTORING, everyone listed.
        store
            .handle
            .write(|db| {
                let txn = db.begin_write().or_store()?;
                {
                    let mut table = txn.open_table(SHORTLISTS).or_store()?;
                    let bytes = encode(&shortlist("gk-2", OpportunityKind::Mentoring, &["mentor-only", "gone"]))?;
                    table.insert("gk-2", bytes.as_slice()).or_store()?;
                }
                txn.commit().or_store()
            })
            .unwrap();
        store.delete_alumni(&["gone".into()]).unwrap();
        let read = store.get_shortlist("gk-2").unwrap().unwrap();
        assert!(ids(&read).is_empty(), "{:?}", ids(&read));
        assert!(read.pruned);
    }
}
