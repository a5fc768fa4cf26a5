use serde::{Deserialize, Serialize};

use super::Timestamp;

/// The purpose an alumnus is matched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityKind {
    /// Hiring the alumnus back.
    Rehire,
    /// Asking the alumnus to refer people from their network.
    Referral,
    /// Mentoring or knowledge sharing.
    Mentoring,
    /// Collaboration with the alumnus's current organisation.
    Partnership,
}

impl OpportunityKind {
    /// Every kind, in a fixed order.
    pub const ALL: [OpportunityKind; 4] = [Self::Rehire, Self::Referral, Self::Mentoring, Self::Partnership];

    /// A stable small number for index fields and storage keys.
    pub fn code(self) -> u64 {
        match self {
            Self::Rehire => 1,
            Self::Referral => 2,
            Self::Mentoring => 3,
            Self::Partnership => 4,
        }
    }

    /// Lower-case name used in configuration files and CLI output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rehire => "rehire",
            Self::Referral => "referral",
            Self::Mentoring => "mentoring",
            Self::Partnership => "partnership",
        }
    }

    /// Parses the lower-case name (as in `as_str`), case-insensitively.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
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
