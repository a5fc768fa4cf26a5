//! Dates, timestamps and enum numbers: parsed from the API with every problem
//! reported under its field path, and written back.

use crate::{
    domain::{self, DateError, EmploymentType, OpportunityKind, OpportunityStatus, PartialDate, Violations, WorkMode},
    proto,
};

fn date_violation(error: DateError) -> String {
    match error {
        DateError::Format => "must be YYYY-MM or YYYY-MM-DD".into(),
        DateError::OutOfRange => "is not a valid calendar date between 1900 and 2200".into(),
    }
}

pub(super) fn required_date(text: &str, field: &str, violations: &mut Violations) -> PartialDate {
    if text.is_empty() {
        violations.add(field, "must not be empty (YYYY-MM or YYYY-MM-DD)");
        return PartialDate {
            year: 1900,
            month: 1,
            day: None,
        };
    }
    PartialDate::parse(text).unwrap_or_else(|e| {
        violations.add(field, date_violation(e));
        PartialDate {
            year: 1900,
            month: 1,
            day: None,
        }
    })
}

pub(super) fn optional_date(text: &str, field: &str, violations: &mut Violations) -> Option<PartialDate> {
    if text.is_empty() {
        return None;
    }
    PartialDate::parse(text)
        .map_err(|e| violations.add(field, date_violation(e)))
        .ok()
}

pub(super) fn timestamp(
    ts: Option<&prost_types::Timestamp>,
    field: &str,
    violations: &mut Violations,
) -> Option<domain::Timestamp> {
    let ts = ts?;
    let candidate = domain::Timestamp {
        seconds: ts.seconds,
        nanos: ts.nanos,
    };
    if let Some(problem) = candidate.problem() {
        violations.add(field, problem);
        return None;
    }
    Some(domain::Timestamp {
        seconds: ts.seconds,
        nanos: ts.nanos,
    })
}

pub(super) fn timestamp_out(ts: Option<domain::Timestamp>) -> Option<prost_types::Timestamp> {
    ts.map(|t| prost_types::Timestamp {
        seconds: t.seconds,
        nanos: t.nanos,
    })
}

/// Parses an opportunity kind; UNSPECIFIED and unknown numbers are violations.
pub fn kind_from_proto(value: i32, field: &str, violations: &mut Violations) -> Option<OpportunityKind> {
    match proto::OpportunityKind::try_from(value) {
        Ok(proto::OpportunityKind::Rehire) => Some(OpportunityKind::Rehire),
        Ok(proto::OpportunityKind::Referral) => Some(OpportunityKind::Referral),
        Ok(proto::OpportunityKind::Mentoring) => Some(OpportunityKind::Mentoring),
        Ok(proto::OpportunityKind::Partnership) => Some(OpportunityKind::Partnership),
        Ok(proto::OpportunityKind::Unspecified) => {
            violations.add(field, "must be set (REHIRE, REFERRAL, MENTORING or PARTNERSHIP)");
            None
        }
        Err(_) => {
            violations.add(field, format!("unknown opportunity kind {value}"));
            None
        }
    }
}

/// Parses an optional kind filter: UNSPECIFIED means any.
pub fn kind_filter_from_proto(value: i32, field: &str, violations: &mut Violations) -> Option<OpportunityKind> {
    if value == proto::OpportunityKind::Unspecified as i32 {
        None
    } else {
        kind_from_proto(value, field, violations)
    }
}

/// Domain kind to proto.
pub fn kind_to_proto(kind: OpportunityKind) -> proto::OpportunityKind {
    match kind {
        OpportunityKind::Rehire => proto::OpportunityKind::Rehire,
        OpportunityKind::Referral => proto::OpportunityKind::Referral,
        OpportunityKind::Mentoring => proto::OpportunityKind::Mentoring,
        OpportunityKind::Partnership => proto::OpportunityKind::Partnership,
    }
}

pub(super) fn work_mode_from_proto(value: i32, field: &str, violations: &mut Violations) -> Option<WorkMode> {
    match proto::WorkMode::try_from(value) {
        Ok(proto::WorkMode::Unspecified) => None,
        Ok(proto::WorkMode::Onsite) => Some(WorkMode::Onsite),
        Ok(proto::WorkMode::Hybrid) => Some(WorkMode::Hybrid),
        Ok(proto::WorkMode::Remote) => Some(WorkMode::Remote),
        Err(_) => {
            violations.add(field, format!("unknown work mode {value}"));
            None
        }
    }
}

pub(super) fn work_mode_to_proto(mode: Option<WorkMode>) -> i32 {
    (match mode {
        None => proto::WorkMode::Unspecified,
        Some(WorkMode::Onsite) => proto::WorkMode::Onsite,
        Some(WorkMode::Hybrid) => proto::WorkMode::Hybrid,
        Some(WorkMode::Remote) => proto::WorkMode::Remote,
    }) as i32
}

pub(super) fn employment_from_proto(value: i32, field: &str, violations: &mut Violations) -> Option<EmploymentType> {
    match proto::EmploymentType::try_from(value) {
        Ok(proto::EmploymentType::Unspecified) => None,
        Ok(proto::EmploymentType::FullTime) => Some(EmploymentType::FullTime),
        Ok(proto::EmploymentType::PartTime) => Some(EmploymentType::PartTime),
        Ok(proto::EmploymentType::Contract) => Some(EmploymentType::Contract),
        Ok(proto::EmploymentType::SideJob) => Some(EmploymentType::SideJob),
        Ok(proto::EmploymentType::Freelance) => Some(EmploymentType::Freelance),
        Err(_) => {
            violations.add(field, format!("unknown employment type {value}"));
            None
        }
    }
}

pub(super) fn employment_to_proto(employment: Option<EmploymentType>) -> i32 {
    (match employment {
        None => proto::EmploymentType::Unspecified,
        Some(EmploymentType::FullTime) => proto::EmploymentType::FullTime,
        Some(EmploymentType::PartTime) => proto::EmploymentType::PartTime,
        Some(EmploymentType::Contract) => proto::EmploymentType::Contract,
        Some(EmploymentType::SideJob) => proto::EmploymentType::SideJob,
        Some(EmploymentType::Freelance) => proto::EmploymentType::Freelance,
    }) as i32
}

/// Most values in a list of enum values (open_to, employment types, work modes):
/// no enum has more than six, so a longer list is refused rather than walked.
const MAX_ENUM_LIST: usize = 16;

/// Parses a list of enum values in which UNSPECIFIED is not allowed; a value
/// listed twice is kept once.
pub(super) fn enum_list<T: PartialEq>(
    values: &[i32],
    field: &str,
    violations: &mut Violations,
    parse: impl Fn(i32, &str, &mut Violations) -> Option<T>,
) -> Vec<T> {
    violations.check_count(field, values.len(), MAX_ENUM_LIST);
    let mut parsed = Vec::new();
    for (i, &v) in values.iter().enumerate().take(MAX_ENUM_LIST) {
        let at = format!("{field}[{i}]");
        if v == 0 {
            violations.add(at, "must not be UNSPECIFIED");
            continue;
        }
        if let Some(value) = parse(v, &at, violations)
            && !parsed.contains(&value)
        {
            parsed.push(value);
        }
    }
    parsed
}

/// Parses an opportunity status filter: UNSPECIFIED means any.
pub fn status_filter_from_proto(value: i32, field: &str, violations: &mut Violations) -> Option<OpportunityStatus> {
    match proto::OpportunityStatus::try_from(value) {
        Ok(proto::OpportunityStatus::Unspecified) => None,
        Ok(proto::OpportunityStatus::Open) => Some(OpportunityStatus::Open),
        Ok(proto::OpportunityStatus::Closed) => Some(OpportunityStatus::Closed),
        Err(_) => {
            violations.add(field, format!("unknown opportunity status {value}"));
            None
        }
    }
}
