//! Outcomes: what recruiters did with the engine's answers, one event per
//! (alumnus, opportunity, kind, time), and what an alumnus's outcomes say of
//! them as a referrer.

use serde::{Deserialize, Serialize};

use super::{Timestamp, Violations};
use crate::limits::{MAX_BATCH_ITEMS, MAX_ID_BYTES, MAX_OUTCOME_FUTURE_SECONDS, MAX_OUTCOME_NOTE_CHARS};

/// Defines [`OutcomeKind`] from one table, so that an outcome is declared once
/// with its stable storage code and its name.
macro_rules! outcome_kinds {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $name:literal;)+) => {
        /// What happened between the company and an alumnus about one opportunity.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum OutcomeKind {
            $($(#[$doc])* $variant,)+
        }

        impl OutcomeKind {
            /// Every kind, in declaration order.
            pub const ALL: [OutcomeKind; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// A stable small number for storage keys (never reused).
            pub fn code(self) -> u8 {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// The kind of a storage code.
            pub fn from_code(code: u8) -> Option<Self> {
                match code {
                    $($code => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The lower-case name used in logs, files and messages.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }
        }
    };
}

outcome_kinds! {
    /// A recruiter approached the alumnus about the opportunity. Record it
    /// before reaching out: under a hiding contact policy it is refused when the
    /// alumnus may not be approached (see [`super::ContactPolicy`]).
    Contacted = 1, "contacted";
    /// The alumnus answered.
    Replied = 2, "replied";
    /// The alumnus said they are interested.
    Interested = 3, "interested";
    /// The alumnus said no to this opportunity: never shown for it again.
    Declined = 4, "declined";
    /// Interviewed (REHIRE).
    Interviewed = 5, "interviewed";
    /// Hired back (REHIRE).
    Hired = 6, "hired";
    /// The alumnus referred someone (REFERRAL).
    ReferralSubmitted = 7, "referral_submitted";
    /// Someone the alumnus referred was hired (REFERRAL).
    ReferralHired = 8, "referral_hired";
    /// A mentoring engagement began (MENTORING).
    MentoringStarted = 9, "mentoring_started";
    /// A partnership began (PARTNERSHIP).
    PartnershipStarted = 10, "partnership_started";
}

/// How far an (alumnus, opportunity) pair went: the funnel's stages in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FunnelStage {
    /// In a Match page or a stored shortlist page someone read.
    Shown,
    /// Approached.
    Contacted,
    /// Answered (replied or said they are interested).
    Replied,
    /// Went further: interviewed, or referred someone.
    Interviewed,
    /// Succeeded: hired, a referral hired, mentoring or a partnership started.
    Hired,
}

impl FunnelStage {
    /// Every stage, in funnel order.
    pub const ALL: [FunnelStage; 5] = [
        FunnelStage::Shown,
        FunnelStage::Contacted,
        FunnelStage::Replied,
        FunnelStage::Interviewed,
        FunnelStage::Hired,
    ];
}

impl OutcomeKind {
    /// The funnel stage this event shows its pair reached; `None` for DECLINED,
    /// which ends a pair's funnel rather than advancing it.
    pub fn stage(self) -> Option<FunnelStage> {
        Some(match self {
            OutcomeKind::Contacted => FunnelStage::Contacted,
            OutcomeKind::Replied | OutcomeKind::Interested => FunnelStage::Replied,
            OutcomeKind::Interviewed | OutcomeKind::ReferralSubmitted => FunnelStage::Interviewed,
            OutcomeKind::Hired
            | OutcomeKind::ReferralHired
            | OutcomeKind::MentoringStarted
            | OutcomeKind::PartnershipStarted => FunnelStage::Hired,
            OutcomeKind::Declined => return None,
        })
    }
}

/// How good a pair turned out, as a relevance grade for fitting a tenant's
/// weights: hired (or the kind's success) 4, interviewed 3, replied 2,
/// contacted without reply 1, declined 0. A decline outranks a reply (the last
/// word was no) but not an interview or a hire. `None` when nothing but being
/// shown happened: no one judged the pair.
pub fn outcome_grade(kinds: impl IntoIterator<Item = OutcomeKind>) -> Option<u8> {
    let mut furthest: Option<FunnelStage> = None;
    let mut declined = false;
    let mut any = false;
    for kind in kinds {
        any = true;
        match kind.stage() {
            Some(stage) => furthest = furthest.max(Some(stage)),
            None => declined = true,
        }
    }
    if !any {
        return None;
    }
    Some(match furthest {
        Some(FunnelStage::Hired) => 4,
        Some(FunnelStage::Interviewed) => 3,
        _ if declined => 0,
        Some(FunnelStage::Replied) => 2,
        Some(FunnelStage::Contacted) | Some(FunnelStage::Shown) => 1,
        None => 0,
    })
}

/// One recorded outcome. Idempotent by (alumnus, opportunity, kind, time):
/// recording the same event again changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The alumnus.
    pub alumnus_id: String,
    /// The stored opportunity it was about.
    pub opportunity_id: String,
    /// What happened.
    pub kind: OutcomeKind,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// A short note for analysts (never ranked on, never logged).
    #[serde(default)]
    pub note: String,
    /// For referrals: the caller's reference to the person referred (an
    /// applicant-tracking id, not a name), so a hire can be tied to its
    /// referral.
    #[serde(default)]
    pub referred_candidate: String,
}

/// Checks a batch of outcomes: 1 to [`MAX_BATCH_ITEMS`], each as
/// [`validate_outcome`] under `path[i]`.
pub fn validate_outcomes(outcomes: &[Outcome], path: &str, now: Timestamp, violations: &mut Violations) {
    if outcomes.is_empty() {
        violations.add(path, "must hold at least one outcome");
    }
    violations.check_count(path, outcomes.len(), MAX_BATCH_ITEMS);
    for (i, outcome) in outcomes.iter().enumerate().take(MAX_BATCH_ITEMS) {
        validate_outcome(outcome, &format!("{path}[{i}]"), now, violations);
    }
}

/// Checks one outcome under `path`: ids, a time not later than
/// [`MAX_OUTCOME_FUTURE_SECONDS`] after `now`, a short note, and a referred
/// candidate only on referral outcomes.
pub fn validate_outcome(outcome: &Outcome, path: &str, now: Timestamp, violations: &mut Violations) {
    let at = |field: &str| format!("{path}.{field}");
    violations.check_id(&at("alumnus_id"), &outcome.alumnus_id);
    violations.check_id(&at("opportunity_id"), &outcome.opportunity_id);
    violations.check_timestamp(&at("occurred_at"), Some(&outcome.occurred_at));
    if outcome.occurred_at.seconds > now.seconds.saturating_add(MAX_OUTCOME_FUTURE_SECONDS) {
        violations.add(
            at("occurred_at"),
            "must not be in the future (a day of clock skew is allowed)",
        );
    }
    violations.check_len(&at("note"), &outcome.note, MAX_OUTCOME_NOTE_CHARS);
    let referral = matches!(
        outcome.kind,
        OutcomeKind::ReferralSubmitted | OutcomeKind::ReferralHired
    );
    if !outcome.referred_candidate.is_empty() {
        if !referral {
            violations.add(
                at("referred_candidate"),
                "only REFERRAL_SUBMITTED and REFERRAL_HIRED name a referred candidate",
            );
        } else if outcome.referred_candidate.len() > MAX_ID_BYTES
            || outcome
                .referred_candidate
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            violations.add(
                at("referred_candidate"),
                format!("must be an identifier of at most {MAX_ID_BYTES} bytes without whitespace"),
            );
        }
    }
}

/// An alumnus's record as a referrer, from their recorded outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReferralRecord {
    /// Referrals recorded (REFERRAL_SUBMITTED).
    pub submitted: u32,
    /// Of them, hires (REFERRAL_HIRED).
    pub hired: u32,
}

/// Pseudo-referrals of the tenant's mean hire rate added to an alumnus's own
/// record: with few recorded referrals the rate stays near the mean, and one
/// lucky hire does not make a star referrer.
pub const REFERRAL_PRIOR_WEIGHT: f64 = 5.0;

/// Hire rate of referrals assumed before a tenant has recorded any.
pub const DEFAULT_REFERRAL_HIRE_RATE: f64 = 0.2;

impl ReferralRecord {
    /// The share of this alumnus's referrals that lead to a hire, shrunk
    /// towards `mean_rate` (the tenant's) by [`REFERRAL_PRIOR_WEIGHT`]
    /// pseudo-referrals; exactly `mean_rate` without a recorded referral.
    pub fn shrunk_hire_rate(&self, mean_rate: f64) -> f64 {
        // A hire whose referral was not recorded still was a referral.
        let submitted = f64::from(self.submitted.max(self.hired));
        let hired = f64::from(self.hired);
        (hired + REFERRAL_PRIOR_WEIGHT * mean_rate) / (submitted + REFERRAL_PRIOR_WEIGHT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(kind: OutcomeKind) -> Outcome {
        Outcome {
            alumnus_id: "a1".into(),
            opportunity_id: "o1".into(),
            kind,
            occurred_at: Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            },
            note: String::new(),
            referred_candidate: String::new(),
        }
    }

    #[test]
    fn codes_are_stable_and_round_trip() {
        for kind in OutcomeKind::ALL {
            assert_eq!(OutcomeKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(OutcomeKind::Contacted.code(), 1);
        assert_eq!(OutcomeKind::PartnershipStarted.code(), 10);
        assert_eq!(OutcomeKind::from_code(0), None);
    }

    #[test]
    fn grades_order_hired_interviewed_replied_contacted_declined() {
        use OutcomeKind::*;
        assert_eq!(outcome_grade([Contacted, Replied, Interviewed, Hired]), Some(4));
        assert_eq!(outcome_grade([Contacted, Interviewed]), Some(3));
        assert_eq!(outcome_grade([Contacted, Replied]), Some(2));
        assert_eq!(outcome_grade([Contacted]), Some(1));
        assert_eq!(outcome_grade([Contacted, Replied, Declined]), Some(0));
        assert_eq!(outcome_grade([Contacted, Interviewed, Declined]), Some(3));
        assert_eq!(outcome_grade([ReferralSubmitted, ReferralHired]), Some(4));
        assert_eq!(outcome_grade([]), None);
    }

    #[test]
    fn validation_reports_each_field() {
        let now = Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        };
        let mut bad = outcome(OutcomeKind::Replied);
        bad.alumnus_id = String::new();
        bad.referred_candidate = "cand-1".into();
        bad.occurred_at.seconds = now.seconds + 3 * 86_400;
        bad.note = "x".repeat(MAX_OUTCOME_NOTE_CHARS + 1);
        let mut violations = Violations::new();
        validate_outcomes(
            &[outcome(OutcomeKind::ReferralSubmitted), bad],
            "outcomes",
            now,
            &mut violations,
        );
        let fields: Vec<&str> = violations.items().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "outcomes[1].alumnus_id",
                "outcomes[1].occurred_at",
                "outcomes[1].note",
                "outcomes[1].referred_candidate"
            ]
        );
        let mut empty = Violations::new();
        validate_outcomes(&[], "outcomes", now, &mut empty);
        assert!(!empty.is_empty());
    }

    #[test]
    fn the_hire_rate_is_shrunk_towards_the_mean() {
        let none = ReferralRecord::default();
        assert!((none.shrunk_hire_rate(0.2) - 0.2).abs() < 1e-12);
        let lucky = ReferralRecord { submitted: 1, hired: 1 };
        let proven = ReferralRecord {
            submitted: 20,
            hired: 16,
        };
        let poor = ReferralRecord {
            submitted: 20,
            hired: 0,
        };
        assert!(lucky.shrunk_hire_rate(0.2) < proven.shrunk_hire_rate(0.2));
        assert!(lucky.shrunk_hire_rate(0.2) > 0.2);
        assert!(poor.shrunk_hire_rate(0.2) < 0.05);
    }
}
