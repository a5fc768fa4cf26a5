use serde::{Deserialize, Serialize};

use super::{Alumnus, Timestamp};

/// Defines [`OpportunityKind`] from one table, so that a kind is declared once:
/// its variant, its stable code, its name, its gate beyond consent and opt-in.
/// Everything that must know every kind matches on the enum exhaustively (the
/// proto conversion, the ranking's per-kind models), so a kind added here does
/// not compile until those are written too.
macro_rules! opportunity_kinds {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $name:literal, extra_gate: $gate:expr; )+) => {
        /// The purpose an alumnus is matched for.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum OpportunityKind {
            $( $(#[$doc])* $variant, )+
        }

        impl OpportunityKind {
            /// Every kind, in a fixed order.
            pub const ALL: [OpportunityKind; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// A stable small number for index fields and storage keys.
            pub fn code(self) -> u64 {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// Lower-case name used in configuration files and CLI output.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            /// The kind's own gate, beyond consent and the opt-in every kind has.
            fn passes_extra_gate(self, alumnus: &Alumnus) -> bool {
                match self {
                    $(Self::$variant => {
                        let gate: fn(&Alumnus) -> bool = $gate;
                        gate(alumnus)
                    })+
                }
            }
        }
    };
}

opportunity_kinds! {
    /// Hiring the alumnus back ("boomerang"): only the rehire-eligible.
    Rehire = 1, "rehire", extra_gate: |alumnus| alumnus.departure.rehire_eligible;
    /// Asking the alumnus to refer people from their network.
    Referral = 2, "referral", extra_gate: |_| true;
    /// Mentoring or knowledge sharing.
    Mentoring = 3, "mentoring", extra_gate: |_| true;
    /// Collaboration with the alumnus's current organisation.
    Partnership = 4, "partnership", extra_gate: |_| true;
}

impl OpportunityKind {
    /// Parses the lower-case name (as in `as_str`), case-insensitively.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
    }

    /// The hard gates: may `alumnus` be returned for this kind at all? Contact
    /// allowed, opted in to the kind, and the kind's own gate.
    ///
    /// The search index applies the same rule as a filter, the store applies it
    /// to stored shortlists, and ranking re-checks every candidate against it.
    pub fn admits(self, alumnus: &Alumnus) -> bool {
        alumnus.consent.contact_allowed && alumnus.interests.open_to.contains(&self) && self.passes_extra_gate(alumnus)
    }
}

/// Whether an opportunity is being filled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityStatus {
    /// Accepting candidates (the default).
    #[default]
    Open,
    /// No longer being filled.
    Closed,
}

/// How a role is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentType {
    /// Regular full-time employment.
    FullTime,
    /// Part-time employment.
    PartTime,
    /// Fixed-term contract.
    Contract,
    /// Work alongside a main job.
    SideJob,
    /// Independent work.
    Freelance,
}

/// Where work happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkMode {
    /// At the office.
    Onsite,
    /// Partly at the office.
    Hybrid,
    /// Fully remote.
    Remote,
}

/// Something the company would like alumni for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opportunity {
    /// Caller-chosen identifier; may be empty only for ad-hoc match targets.
    pub id: String,
    /// What the alumni are wanted for.
    pub kind: OpportunityKind,
    /// Short title ("Senior backend engineer", "データ基盤のメンター").
    pub title: String,
    /// Free-text description.
    #[serde(default)]
    pub description: String,
    /// Skills a candidate must have, as given by the caller.
    #[serde(default)]
    pub required_skills: Vec<String>,
    /// Skills that help.
    #[serde(default)]
    pub preferred_skills: Vec<String>,
    /// Department at the company.
    #[serde(default)]
    pub department: String,
    /// Free-text place.
    #[serde(default)]
    pub location: String,
    /// Where the work happens, when stated.
    #[serde(default)]
    pub work_mode: Option<WorkMode>,
    /// How the role is held, when stated.
    #[serde(default)]
    pub employment_type: Option<EmploymentType>,
    /// Free-text seniority ("senior", "部長").
    #[serde(default)]
    pub seniority: String,
    /// Working languages (BCP 47), e.g. of the mentees; empty when not stated.
    #[serde(default)]
    pub languages: Vec<String>,
    /// People wanted; 0 when not stated.
    #[serde(default)]
    pub capacity: u32,
    /// Open or closed.
    #[serde(default)]
    pub status: OpportunityStatus,
    /// First write time.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
}
