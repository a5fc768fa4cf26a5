use serde::{Deserialize, Serialize};

use super::{EmploymentType, OpportunityKind, PartialDate, Timestamp, WorkMode};

/// A former employee of the company that runs the alumni programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alumnus {
    /// Caller-chosen stable identifier.
    pub id: String,
    /// Name shown to recruiters.
    pub display_name: String,
    /// One-line professional summary.
    #[serde(default)]
    pub headline: String,
    /// Skills with use and proficiency.
    #[serde(default)]
    pub skills: Vec<Skill>,
    /// Career history before, at and after the company.
    #[serde(default)]
    pub positions: Vec<Position>,
    /// The end of employment at the company.
    #[serde(default)]
    pub departure: Departure,
    /// What the alumnus opted in to.
    #[serde(default)]
    pub interests: Interests,
    /// Working conditions the alumnus would accept.
    #[serde(default)]
    pub preferences: Preferences,
    /// BCP 47 language tags, lower-cased.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Activity in the alumni programme.
    #[serde(default)]
    pub engagement: Engagement,
    /// Consent for contact.
    #[serde(default)]
    pub consent: Consent,
    /// Last change in the source system, or the write time.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

/// Self-assessed proficiency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkillLevel {
    /// Learning.
    Beginner,
    /// Works independently.
    Intermediate,
    /// Leads others.
    Advanced,
    /// Recognised authority.
    Expert,
}

/// A skill and how much and how recently it was used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    /// As given ("k8s", "機械学習").
    pub name: String,
    /// Years of use.
    #[serde(default)]
    pub years: f32,
    /// Calendar year last used, when known.
    #[serde(default)]
    pub last_used_year: Option<u16>,
    /// Proficiency, when stated.
    #[serde(default)]
    pub level: Option<SkillLevel>,
}

/// One role in the career history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Employer.
    #[serde(default)]
    pub organization: String,
    /// Job title.
    #[serde(default)]
    pub title: String,
    /// Department or team.
    #[serde(default)]
    pub department: String,
    /// What the work was.
    #[serde(default)]
    pub description: String,
    /// When it began.
    pub start: PartialDate,
    /// When it ended; `None` while held.
    #[serde(default)]
    pub end: Option<PartialDate>,
    /// Held at the company that runs the alumni programme.
    #[serde(default)]
    pub at_company: bool,
}

impl Position {
    /// Length of the position in years, up to `today` for a current one.
    pub fn years(&self, today: &PartialDate) -> f64 {
        self.start.years_until(self.end.as_ref().unwrap_or(today)).max(0.0)
    }
}

/// Why an alumnus left. Sensitive: stored, never ranked on, never returned by matching.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartureReason {
    /// Not given, or not disclosed.
    #[default]
    Undisclosed,
    /// Moved to another field or employer.
    CareerChange,
    /// Moved elsewhere.
    Relocation,
    /// Family circumstances.
    Family,
    /// Went back to study.
    Study,
    /// Pay.
    Compensation,
    /// Retired.
    Retirement,
    /// Fixed-term contract ended.
    ContractEnd,
    /// Anything else.
    Other,
}

/// The end of employment at the company.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Departure {
    /// When, if known.
    #[serde(default)]
    pub left_on: Option<PartialDate>,
    /// Why. Never used for ranking.
    #[serde(default)]
    pub reason: DepartureReason,
    /// Whether the company would hire this person again.
    #[serde(default)]
    pub rehire_eligible: bool,
}

/// What the alumnus has opted in to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interests {
    /// Kinds the alumnus agreed to be matched for; empty = none.
    #[serde(default)]
    pub open_to: Vec<OpportunityKind>,
    /// Their own words.
    #[serde(default)]
    pub statement: String,
    /// Topics to mentor or talk about.
    #[serde(default)]
    pub topics: Vec<String>,
}

/// Working conditions the alumnus would accept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Preferences {
    /// Acceptable ways of holding a role.
    #[serde(default)]
    pub employment_types: Vec<EmploymentType>,
    /// Acceptable work modes.
    #[serde(default)]
    pub work_modes: Vec<WorkMode>,
    /// Acceptable places.
    #[serde(default)]
    pub locations: Vec<String>,
}

/// Activity in the alumni programme.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    /// Last sign of activity.
    #[serde(default)]
    pub last_active_at: Option<Timestamp>,
    /// Events attended in the last twelve months.
    #[serde(default)]
    pub events_attended_12m: u32,
    /// Referrals made so far.
    #[serde(default)]
    pub referrals_made: u32,
}

/// Consent for contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Consent {
    /// Without it the alumnus is never matched.
    #[serde(default)]
    pub contact_allowed: bool,
    /// The alumnus's own wish not to be contacted before this time (a leave,
    /// a notice period): until then they are not shown and a CONTACTED is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_not_before: Option<Timestamp>,
}

impl Alumnus {
    /// The hard gates: may this alumnus be returned for `kind` at all?
    ///
    /// The search index applies the same rule as a filter; this is the reference
    /// the ranking layer re-checks every candidate against.
    pub fn passes_gates(&self, kind: OpportunityKind) -> bool {
        kind.admits(self)
    }
}
