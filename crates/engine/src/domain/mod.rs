//! The domain model: alumni, opportunities and the rules that make them valid.
//!
//! This layer does no I/O and knows nothing of gRPC or storage; every other layer
//! speaks in these types.

mod alumnus;
mod date;
mod opportunity;
pub mod validation;

pub use alumnus::{
    Alumnus, Consent, Departure, DepartureReason, Engagement, Interests, Position, Preferences, Skill, SkillLevel,
};
pub use date::{DateError, PartialDate, Timestamp};
pub use opportunity::{EmploymentType, Opportunity, OpportunityKind, OpportunityStatus, WorkMode};
pub use validation::{FieldViolation, Violations};
