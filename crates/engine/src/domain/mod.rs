//! The domain model: alumni, opportunities, outcomes, the rules that make them
//! valid and the contact etiquette that follows from outcomes.
//!
//! This layer does no I/O and knows nothing of gRPC or storage; every other layer
//! speaks in these types.

mod alumnus;
mod date;
mod etiquette;
mod opportunity;
mod outcome;
pub mod validation;

pub use alumnus::{
    Alumnus, Consent, Departure, DepartureReason, Engagement, Interests, Position, Preferences, Skill, SkillLevel,
};
pub use date::{DateError, PartialDate, Timestamp};
pub use etiquette::{ContactHistory, ContactPolicy, Hold, Standing, WhenCapped, contacted_text};
pub use opportunity::{EmploymentType, Opportunity, OpportunityKind, OpportunityStatus, WorkMode};
pub use outcome::{
    DEFAULT_REFERRAL_HIRE_RATE, FunnelStage, Outcome, OutcomeKind, REFERRAL_PRIOR_WEIGHT, ReferralRecord,
    outcome_grade, validate_outcome, validate_outcomes,
};
pub use validation::{FieldViolation, Violations};
