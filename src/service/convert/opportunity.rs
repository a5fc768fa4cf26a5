//! Opportunities between the API and the domain.

use super::scalars::{
    employment_from_proto, employment_to_proto, kind_from_proto, kind_to_proto, status_filter_from_proto, timestamp,
    timestamp_out, work_mode_from_proto, work_mode_to_proto,
};
use crate::{
    domain::{self, OpportunityKind, OpportunityStatus, Violations},
    proto,
};

/// Converts an opportunity from the API, reporting problems under `path`.
pub fn opportunity_from_proto(o: proto::Opportunity, path: &str, violations: &mut Violations) -> domain::Opportunity {
    domain::Opportunity {
        kind: kind_from_proto(o.kind, &format!("{path}.kind"), violations).unwrap_or(OpportunityKind::Referral),
        work_mode: work_mode_from_proto(o.work_mode, &format!("{path}.work_mode"), violations),
        employment_type: employment_from_proto(o.employment_type, &format!("{path}.employment_type"), violations),
        status: status_filter_from_proto(o.status, &format!("{path}.status"), violations).unwrap_or_default(),
        created_at: timestamp(o.created_at.as_ref(), &format!("{path}.created_at"), violations),
        id: o.id,
        title: o.title,
        description: o.description,
        required_skills: o.required_skills,
        preferred_skills: o.preferred_skills,
        department: o.department,
        location: o.location,
        seniority: o.seniority,
        languages: o.languages,
        capacity: o.capacity,
    }
}

/// Converts an opportunity for the API.
pub fn opportunity_to_proto(o: domain::Opportunity) -> proto::Opportunity {
    proto::Opportunity {
        id: o.id,
        kind: kind_to_proto(o.kind) as i32,
        title: o.title,
        description: o.description,
        required_skills: o.required_skills,
        preferred_skills: o.preferred_skills,
        department: o.department,
        location: o.location,
        work_mode: work_mode_to_proto(o.work_mode),
        employment_type: employment_to_proto(o.employment_type),
        seniority: o.seniority,
        languages: o.languages,
        capacity: o.capacity,
        status: (match o.status {
            OpportunityStatus::Open => proto::OpportunityStatus::Open,
            OpportunityStatus::Closed => proto::OpportunityStatus::Closed,
        }) as i32,
        created_at: timestamp_out(o.created_at),
    }
}
