//! The analysts' funnel: shown → contacted → replied → interviewed → hired,
//! by kind and by opportunity, from the shown-log and the outcomes.
//!
//! A pair (alumnus, opportunity) counts in every stage up to the furthest it
//! reached (a hire without a recorded interview still passed the interview
//! stage). Times to outcome are medians over the pairs that have both ends.

use std::collections::{BTreeMap, HashMap};

use super::{Engine, EngineError};
use crate::{
    domain::{FunnelStage, OpportunityKind, Timestamp},
    store::OpportunityFilter,
};

/// What the funnel is asked for.
#[derive(Debug, Clone, Default)]
pub struct FunnelQuery {
    /// Only this kind, when set.
    pub kind: Option<OpportunityKind>,
    /// Only this opportunity, when set.
    pub opportunity_id: Option<String>,
}

/// One funnel: pairs per stage, declines, and median days between stages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunnelCounts {
    /// Pairs that reached each stage, in [`FunnelStage::ALL`] order.
    pub stages: [u64; 5],
    /// Pairs with a DECLINED.
    pub declined: u64,
    /// Median days from first shown to first contacted.
    pub days_to_contact: Option<f64>,
    /// Median days from first contacted to the first reply (or anything further).
    pub days_to_reply: Option<f64>,
    /// Median days from first contacted to the hire (or the kind's success).
    pub days_to_hire: Option<f64>,
}

impl FunnelCounts {
    /// Pairs that reached `stage`.
    pub fn at(&self, stage: FunnelStage) -> u64 {
        self.stages[stage as usize]
    }
}

/// The funnel of a tenant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Funnel {
    /// Everything asked for.
    pub total: FunnelCounts,
    /// Per kind, in kind order (kinds with any activity).
    pub by_kind: Vec<(OpportunityKind, FunnelCounts)>,
    /// Per opportunity with any activity, most contacted first.
    pub by_opportunity: Vec<(String, OpportunityKind, FunnelCounts)>,
}

/// Most opportunities listed in a funnel.
const MAX_FUNNEL_OPPORTUNITIES: usize = 1_000;

/// What is known of one pair.
#[derive(Default)]
struct Pair {
    first_at: [Option<Timestamp>; 5],
    furthest: Option<FunnelStage>,
    declined: bool,
}

impl Pair {
    fn reach(&mut self, stage: FunnelStage, at: Timestamp) {
        let slot = &mut self.first_at[stage as usize];
        *slot = Some(slot.map_or(at, |t| t.min(at)));
        self.furthest = self.furthest.max(Some(stage));
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

fn days(from: Option<Timestamp>, to: Option<Timestamp>) -> Option<f64> {
    Some(from?.days_until(&to?))
}

fn count<'a>(pairs: impl Iterator<Item = &'a Pair>) -> FunnelCounts {
    let mut counts = FunnelCounts::default();
    let (mut to_contact, mut to_reply, mut to_hire) = (Vec::new(), Vec::new(), Vec::new());
    for pair in pairs {
        if let Some(furthest) = pair.furthest {
            for stage in FunnelStage::ALL {
                // Shown is only what the shown-log saw; the later stages count
                // every pair that went at least that far.
                let reached = match stage {
                    FunnelStage::Shown => pair.first_at[0].is_some(),
                    _ => stage <= furthest,
                };
                if reached {
                    counts.stages[stage as usize] += 1;
                }
            }
        }
        counts.declined += u64::from(pair.declined);
        let contacted = pair.first_at[FunnelStage::Contacted as usize];
        let later = |from: FunnelStage| pair.first_at[from as usize..].iter().flatten().min().copied();
        to_contact.extend(days(pair.first_at[0], contacted));
        to_reply.extend(days(contacted, later(FunnelStage::Replied)));
        to_hire.extend(days(contacted, pair.first_at[FunnelStage::Hired as usize]));
    }
    counts.days_to_contact = median(to_contact);
    counts.days_to_reply = median(to_reply);
    counts.days_to_hire = median(to_hire);
    counts
}

impl Engine {
    /// The funnel of the tenant's opportunities (of a kind, or one of them).
    pub fn funnel(&self, query: &FunnelQuery) -> Result<Funnel, EngineError> {
        if let Some(id) = &query.opportunity_id {
            self.get_opportunity(id)?;
        }
        self.shown.flush();
        let kinds: HashMap<String, OpportunityKind> = self
            .store
            .all_opportunities(OpportunityFilter::default())?
            .into_iter()
            .map(|o| (o.id, o.kind))
            .collect();
        let wanted = |opportunity: &str| {
            kinds
                .get(opportunity)
                .is_some_and(|kind| query.kind.is_none_or(|k| k == *kind))
                && query.opportunity_id.as_deref().is_none_or(|id| id == opportunity)
        };
        let mut pairs: BTreeMap<(String, String), Pair> = BTreeMap::new();
        for shown in self.store.all_shown()? {
            if wanted(&shown.opportunity_id) {
                pairs
                    .entry((shown.opportunity_id, shown.alumnus_id))
                    .or_default()
                    .reach(FunnelStage::Shown, shown.first_shown_at);
            }
        }
        for outcome in self.store.all_outcomes()? {
            if !wanted(&outcome.opportunity_id) {
                continue;
            }
            let pair = pairs.entry((outcome.opportunity_id, outcome.alumnus_id)).or_default();
            match outcome.kind.stage() {
                Some(stage) => pair.reach(stage, outcome.occurred_at),
                None => pair.declined = true,
            }
            // A decline still means the pair was approached.
            if pair.furthest.is_none() {
                pair.furthest = Some(FunnelStage::Shown);
            }
        }
        // A pair known only from the shown-log reached Shown.
        for pair in pairs.values_mut() {
            if pair.furthest.is_none() && pair.first_at[0].is_some() {
                pair.furthest = Some(FunnelStage::Shown);
            }
        }
        let total = count(pairs.values());
        let mut by_kind = Vec::new();
        for kind in OpportunityKind::ALL {
            let of_kind: Vec<&Pair> = pairs
                .iter()
                .filter(|((opportunity, _), _)| kinds.get(opportunity) == Some(&kind))
                .map(|(_, pair)| pair)
                .collect();
            if !of_kind.is_empty() {
                by_kind.push((kind, count(of_kind.into_iter())));
            }
        }
        let mut by_opportunity: Vec<(String, OpportunityKind, FunnelCounts)> = Vec::new();
        let mut start = 0;
        let entries: Vec<(&(String, String), &Pair)> = pairs.iter().collect();
        while start < entries.len() {
            let opportunity = &entries[start].0.0;
            let end = start
                + entries[start..]
                    .iter()
                    .take_while(|(key, _)| &key.0 == opportunity)
                    .count();
            let kind = kinds[opportunity];
            by_opportunity.push((
                opportunity.clone(),
                kind,
                count(entries[start..end].iter().map(|(_, p)| *p)),
            ));
            start = end;
        }
        by_opportunity.sort_by(|a, b| {
            b.2.at(FunnelStage::Contacted)
                .cmp(&a.2.at(FunnelStage::Contacted))
                .then_with(|| b.2.at(FunnelStage::Shown).cmp(&a.2.at(FunnelStage::Shown)))
                .then_with(|| a.0.cmp(&b.0))
        });
        by_opportunity.truncate(MAX_FUNNEL_OPPORTUNITIES);
        Ok(Funnel {
            total,
            by_kind,
            by_opportunity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days: i64) -> Timestamp {
        Timestamp {
            seconds: 1_700_000_000 + days * 86_400,
            nanos: 0,
        }
    }

    #[test]
    fn pairs_count_in_every_stage_up_to_the_furthest_with_median_times() {
        let mut shown_only = Pair::default();
        shown_only.reach(FunnelStage::Shown, at(0));
        shown_only.furthest = Some(FunnelStage::Shown);
        let mut hired = Pair::default();
        hired.reach(FunnelStage::Shown, at(0));
        hired.reach(FunnelStage::Contacted, at(2));
        hired.reach(FunnelStage::Hired, at(30));
        let mut declined = Pair::default();
        declined.reach(FunnelStage::Shown, at(1));
        declined.reach(FunnelStage::Contacted, at(5));
        declined.reach(FunnelStage::Replied, at(6));
        declined.declined = true;
        let counts = count([shown_only, hired, declined].iter());
        assert_eq!(counts.stages, [3, 2, 2, 1, 1]);
        assert_eq!(counts.declined, 1);
        assert_eq!(counts.days_to_contact, Some(3.0), "median of 2 and 4 days");
        assert_eq!(
            counts.days_to_reply,
            Some(14.5),
            "median of 28 (hire counts as a reply) and 1 day"
        );
        assert_eq!(counts.days_to_hire, Some(28.0));
    }
}
