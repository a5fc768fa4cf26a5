//! The one place where protobuf messages and the engine's types meet.
//!
//! Proto to engine is fallible: enum numbers, dates and timestamps are parsed,
//! every limit is checked (repeated fields included, so no request costs more
//! than its limits allow), and every problem is reported as a field violation
//! with its request path. Requests are converted and validated here, once, into
//! the engine's typed requests (`TryFrom`); the engine takes them as given.

mod alumnus;
mod opportunity;
mod outcomes;
mod requests;
mod responses;
mod scalars;

pub use alumnus::{alumnus_from_proto, alumnus_to_proto};
pub use opportunity::{opportunity_from_proto, opportunity_to_proto};
pub use outcomes::{
    contact_policy_from_proto, contact_policy_to_proto, funnel_request, funnel_response, list_outcomes_request,
    outcomes_to_proto, record_outcomes_request, record_outcomes_response, tune_request, tune_response,
};
pub use requests::{
    Explained, delete_alumni_request, id_argument, import_item, upsert_alumni_request, upsert_opportunities_request,
};
pub use responses::{
    assign_mentors_response, candidate_to_proto, list_opportunities_response, match_for_alumnus_response,
    match_response, progress_to_proto, rescore_response, shortlist_response,
};
pub use scalars::{kind_filter_from_proto, kind_from_proto, kind_to_proto, status_filter_from_proto};
