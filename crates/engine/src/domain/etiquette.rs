//! Contact etiquette: the gates that follow from what happened, so that nobody
//! is pestered. Whoever declined an opportunity is not shown for it again; an
//! alumnus approached about `max_contacts` opportunities within the policy's
//! window is held back from new ones; an alumnus's own "not before" date holds
//! them back until then. Pure rules over a [`ContactHistory`]; the store reads
//! the history and the engine applies the rules to every ranking it returns.

use serde::{Deserialize, Serialize};

use super::{Timestamp, Violations};
use crate::limits::{MAX_CONTACT_WINDOW_DAYS, MAX_CONTACTS_PER_WINDOW};

/// What happens to an alumnus who reached the contact cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenCapped {
    /// Not shown for opportunities they were not already approached about, and
    /// a new CONTACTED is refused: the cap is a hard limit.
    #[default]
    Hide,
    /// Ranked as usual but flagged as held back, with the reason; CONTACTED is
    /// recorded. The cap is advice to the recruiter.
    Flag,
}

/// A tenant's contact policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPolicy {
    /// Most opportunities an alumnus is approached about within the window;
    /// 0 = no cap.
    pub max_contacts: u32,
    /// The window, in days, ending now.
    pub window_days: u32,
    /// What the cap does.
    #[serde(default)]
    pub when_capped: WhenCapped,
}

impl Default for ContactPolicy {
    /// Two opportunities in 90 days, then hidden.
    fn default() -> Self {
        Self {
            max_contacts: 2,
            window_days: 90,
            when_capped: WhenCapped::Hide,
        }
    }
}

/// What the store knows of one alumnus's contacts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactHistory {
    /// Every CONTACTED event: (opportunity id, when).
    pub contacts: Vec<(String, Timestamp)>,
    /// Opportunities the alumnus declined.
    pub declined: Vec<String>,
}

/// Why an alumnus is held back from an opportunity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// They declined it.
    Declined,
    /// They asked not to be contacted before this time.
    NotBefore(Timestamp),
    /// They were approached about `recent` opportunities in the last
    /// `window_days` days, the policy's cap.
    Capped {
        /// Opportunities approached about within the window.
        recent: u32,
        /// The window.
        window_days: u32,
    },
}

impl Hold {
    /// A stable upper-case code for error details and the API.
    pub fn code(self) -> &'static str {
        match self {
            Hold::Declined => "DECLINED",
            Hold::NotBefore(_) => "NOT_BEFORE",
            Hold::Capped { .. } => "CONTACT_CAP",
        }
    }

    /// In words, for reason lines and refusals.
    pub fn describe(self) -> String {
        match self {
            Hold::Declined => "declined this opportunity".to_owned(),
            Hold::NotBefore(at) => format!("asked not to be contacted before {}", at.date_text()),
            Hold::Capped { recent, window_days } => {
                format!("held back: {}", contacted_text(recent, window_days))
            }
        }
    }
}

/// "contacted once in the last 90 days", "contacted twice …", "contacted 3 times …".
pub fn contacted_text(recent: u32, window_days: u32) -> String {
    let times = match recent {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    };
    format!("contacted {times} in the last {window_days} days")
}

/// Where an alumnus stands for one opportunity under a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// May be shown; `recent` opportunities approached about within the window.
    Clear {
        /// Opportunities approached about within the window.
        recent: u32,
    },
    /// Shown but flagged (a capped alumnus under [`WhenCapped::Flag`]).
    Flagged(Hold),
    /// Not shown.
    Hidden(Hold),
}

impl Standing {
    /// Whether the alumnus may be shown.
    pub fn shown(self) -> bool {
        !matches!(self, Standing::Hidden(_))
    }

    /// What the reason line adds: nothing for someone never approached.
    pub fn reason(self, policy: &ContactPolicy) -> Option<String> {
        match self {
            Standing::Clear { recent: 0 } => None,
            Standing::Clear { recent } => Some(contacted_text(recent, policy.window_days)),
            Standing::Flagged(hold) | Standing::Hidden(hold) => Some(hold.describe()),
        }
    }
}

const SECONDS_PER_DAY: i64 = 86_400;

impl ContactPolicy {
    /// Every problem of a policy, as field violations under `path`.
    pub fn validate(&self, path: &str, violations: &mut Violations) {
        if self.max_contacts > MAX_CONTACTS_PER_WINDOW {
            violations.add(
                format!("{path}.max_contacts"),
                format!("must be at most {MAX_CONTACTS_PER_WINDOW} (0 = no cap)"),
            );
        }
        if self.max_contacts > 0 && !(1..=MAX_CONTACT_WINDOW_DAYS).contains(&self.window_days) {
            violations.add(
                format!("{path}.window_days"),
                format!("must be from 1 to {MAX_CONTACT_WINDOW_DAYS} days when there is a cap"),
            );
        }
    }

    /// Distinct opportunities approached about in the window ending at `at`.
    fn recent(&self, history: &ContactHistory, at: Timestamp) -> u32 {
        let from = at
            .seconds
            .saturating_sub(i64::from(self.window_days).saturating_mul(SECONDS_PER_DAY));
        let mut opportunities: Vec<&str> = history
            .contacts
            .iter()
            .filter(|(_, when)| when.seconds > from && when.seconds <= at.seconds)
            .map(|(id, _)| id.as_str())
            .collect();
        opportunities.sort_unstable();
        opportunities.dedup();
        u32::try_from(opportunities.len()).unwrap_or(u32::MAX)
    }

    /// Whether the alumnus was ever approached about `opportunity_id`: a
    /// conversation already under way is never held back by the cap.
    fn already_approached(history: &ContactHistory, opportunity_id: &str) -> bool {
        history.contacts.iter().any(|(id, _)| id == opportunity_id)
    }

    /// Where the alumnus stands for `opportunity_id` at `now`.
    pub fn standing(
        &self,
        history: &ContactHistory,
        not_before: Option<Timestamp>,
        opportunity_id: &str,
        now: Timestamp,
    ) -> Standing {
        if history.declined.iter().any(|id| id == opportunity_id) {
            return Standing::Hidden(Hold::Declined);
        }
        if let Some(until) = not_before.filter(|until| *until > now) {
            return Standing::Hidden(Hold::NotBefore(until));
        }
        let recent = self.recent(history, now);
        if self.max_contacts > 0 && recent >= self.max_contacts && !Self::already_approached(history, opportunity_id) {
            let hold = Hold::Capped {
                recent,
                window_days: self.window_days,
            };
            return match self.when_capped {
                WhenCapped::Hide => Standing::Hidden(hold),
                WhenCapped::Flag => Standing::Flagged(hold),
            };
        }
        Standing::Clear { recent }
    }

    /// Whether a CONTACTED at `at` about `opportunity_id` may be recorded:
    /// never after a decline or before the alumnus's own date, and, under
    /// [`WhenCapped::Hide`], not as a new approach beyond the cap. A follow-up
    /// about an opportunity already approached is always allowed.
    pub fn admit_contact(
        &self,
        history: &ContactHistory,
        not_before: Option<Timestamp>,
        opportunity_id: &str,
        at: Timestamp,
    ) -> Result<(), Hold> {
        if history.declined.iter().any(|id| id == opportunity_id) {
            return Err(Hold::Declined);
        }
        if let Some(until) = not_before.filter(|until| *until > at) {
            return Err(Hold::NotBefore(until));
        }
        if self.when_capped == WhenCapped::Flag
            || self.max_contacts == 0
            || Self::already_approached(history, opportunity_id)
        {
            return Ok(());
        }
        let recent = self.recent(history, at);
        if recent >= self.max_contacts {
            return Err(Hold::Capped {
                recent,
                window_days: self.window_days,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = SECONDS_PER_DAY;

    fn at(days: i64) -> Timestamp {
        Timestamp {
            seconds: 1_700_000_000 + days * DAY,
            nanos: 0,
        }
    }

    fn contacted(pairs: &[(&str, i64)]) -> ContactHistory {
        ContactHistory {
            contacts: pairs.iter().map(|(id, day)| ((*id).to_owned(), at(*day))).collect(),
            declined: Vec::new(),
        }
    }

    #[test]
    fn a_decline_hides_that_opportunity_only() {
        let policy = ContactPolicy::default();
        let mut history = contacted(&[("o1", 0)]);
        history.declined.push("o1".into());
        assert_eq!(
            policy.standing(&history, None, "o1", at(1)),
            Standing::Hidden(Hold::Declined)
        );
        assert_eq!(
            policy.standing(&history, None, "o2", at(1)),
            Standing::Clear { recent: 1 }
        );
        assert_eq!(policy.admit_contact(&history, None, "o1", at(1)), Err(Hold::Declined));
    }

    #[test]
    fn the_cap_counts_distinct_opportunities_in_the_window() {
        let policy = ContactPolicy::default();
        let history = contacted(&[("o1", 0), ("o1", 5), ("o2", 10)]);
        let capped = Hold::Capped {
            recent: 2,
            window_days: 90,
        };
        assert_eq!(policy.standing(&history, None, "o3", at(20)), Standing::Hidden(capped));
        // Conversations already under way stay visible and may be followed up.
        assert_eq!(
            policy.standing(&history, None, "o2", at(20)),
            Standing::Clear { recent: 2 }
        );
        assert_eq!(policy.admit_contact(&history, None, "o1", at(20)), Ok(()));
        assert_eq!(policy.admit_contact(&history, None, "o3", at(20)), Err(capped));
        // Once the first contact leaves the window, there is room again.
        assert_eq!(
            policy.standing(&history, None, "o3", at(95)),
            Standing::Clear { recent: 1 }
        );
        assert_eq!(policy.admit_contact(&history, None, "o3", at(95)), Ok(()));
    }

    #[test]
    fn flagging_ranks_and_records_but_says_why() {
        let policy = ContactPolicy {
            when_capped: WhenCapped::Flag,
            ..ContactPolicy::default()
        };
        let history = contacted(&[("o1", 0), ("o2", 1)]);
        let standing = policy.standing(&history, None, "o3", at(2));
        assert!(standing.shown());
        assert_eq!(
            standing.reason(&policy).as_deref(),
            Some("held back: contacted twice in the last 90 days")
        );
        assert_eq!(policy.admit_contact(&history, None, "o3", at(2)), Ok(()));
    }

    #[test]
    fn the_alumnus_own_date_holds_until_it_passes() {
        let policy = ContactPolicy {
            max_contacts: 0,
            ..ContactPolicy::default()
        };
        let history = ContactHistory::default();
        let until = at(30);
        assert_eq!(
            policy.standing(&history, Some(until), "o1", at(1)),
            Standing::Hidden(Hold::NotBefore(until))
        );
        assert_eq!(
            policy.standing(&history, Some(until), "o1", at(31)),
            Standing::Clear { recent: 0 }
        );
        assert_eq!(
            policy.admit_contact(&history, Some(until), "o1", at(1)),
            Err(Hold::NotBefore(until))
        );
    }

    #[test]
    fn policies_are_checked() {
        let mut violations = Violations::new();
        ContactPolicy {
            max_contacts: 2,
            window_days: 0,
            when_capped: WhenCapped::Hide,
        }
        .validate("policy", &mut violations);
        assert_eq!(violations.items()[0].field, "policy.window_days");
        let mut none = Violations::new();
        ContactPolicy {
            max_contacts: 0,
            window_days: 0,
            when_capped: WhenCapped::Hide,
        }
        .validate("policy", &mut none);
        assert!(none.is_empty(), "no cap needs no window");
    }

    proptest::proptest! {
        /// Under a hiding policy, whatever order and times recruiters try, no
        /// window of the policy's length ever holds more newly approached
        /// opportunities than the cap, and a declined opportunity is never
        /// approached again.
        #[test]
        fn the_cap_and_declines_hold_for_any_sequence_of_attempts(
            max in 1u32..4,
            window in 1u32..60,
            attempts in proptest::collection::vec((0usize..6, 0i64..200, proptest::bool::ANY), 0..60),
        ) {
            let policy = ContactPolicy { max_contacts: max, window_days: window, when_capped: WhenCapped::Hide };
            let mut history = ContactHistory::default();
            let mut attempts = attempts;
            attempts.sort_by_key(|(_, day, _)| *day);
            for (opportunity, day, declines) in attempts {
                let id = format!("o{opportunity}");
                if policy.admit_contact(&history, None, &id, at(day)).is_ok() {
                    proptest::prop_assert!(!history.declined.contains(&id));
                    history.contacts.push((id.clone(), at(day)));
                }
                if declines && history.contacts.iter().any(|(o, _)| *o == id) {
                    history.declined.push(id);
                }
            }
            // First approach of each opportunity, by time.
            let mut first: Vec<(i64, &str)> = Vec::new();
            for (id, when) in &history.contacts {
                if !first.iter().any(|(_, o)| o == id) {
                    first.push((when.seconds, id.as_str()));
                }
            }
            for (start, _) in &first {
                let within = first
                    .iter()
                    .filter(|(t, _)| *t >= *start && *t < start + i64::from(window) * DAY)
                    .count();
                proptest::prop_assert!(within <= max as usize, "{within} new approaches within {window} days, cap {max}");
            }
        }
    }

    #[test]
    fn reason_wording() {
        assert_eq!(contacted_text(1, 90), "contacted once in the last 90 days");
        assert_eq!(contacted_text(3, 30), "contacted 3 times in the last 30 days");
        assert_eq!(Standing::Clear { recent: 0 }.reason(&ContactPolicy::default()), None);
    }
}
