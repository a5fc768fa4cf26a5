//! The one place where protobuf messages and the engine's types meet.
//!
//! Proto to domain is fallible: enum numbers, dates and timestamps are parsed,
//! every limit is checked (repeated fields included, so no request costs more
//! than its limits allow), and every problem is reported as a field violation
//! with its request path. Requests are converted and validated here, once; the
//! engine takes them as given.

use crate::{
    domain::{
        self, DateError, EmploymentType, OpportunityKind, OpportunityStatus, PartialDate, SkillLevel, Violations,
        WorkMode,
        validation::{MAX_BATCH_ITEMS, validate_alumnus, validate_opportunity},
    },
    engine::{
        MAX_MATCH_LIMIT, MatchOptions, MatchTarget, PageToken, validate_alumni_batch, validate_opportunity_batch,
    },
    limits::{MAX_KINDS_PER_REQUEST, MAX_WEIGHT_OVERRIDES},
    proto,
    ranking::ScoredCandidate,
};

fn date_violation(error: DateError) -> String {
    match error {
        DateError::Format => "must be YYYY-MM or YYYY-MM-DD".into(),
        DateError::OutOfRange => "is not a valid calendar date between 1900 and 2200".into(),
    }
}

fn required_date(text: &str, field: &str, violations: &mut Violations) -> PartialDate {
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

fn optional_date(text: &str, field: &str, violations: &mut Violations) -> Option<PartialDate> {
    if text.is_empty() {
        return None;
    }
    PartialDate::parse(text)
        .map_err(|e| violations.add(field, date_violation(e)))
        .ok()
}

fn timestamp(
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

fn timestamp_out(ts: Option<domain::Timestamp>) -> Option<prost_types::Timestamp> {
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

fn work_mode_from_proto(value: i32, field: &str, violations: &mut Violations) -> Option<WorkMode> {
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

fn work_mode_to_proto(mode: Option<WorkMode>) -> i32 {
    (match mode {
        None => proto::WorkMode::Unspecified,
        Some(WorkMode::Onsite) => proto::WorkMode::Onsite,
        Some(WorkMode::Hybrid) => proto::WorkMode::Hybrid,
        Some(WorkMode::Remote) => proto::WorkMode::Remote,
    }) as i32
}

fn employment_from_proto(value: i32, field: &str, violations: &mut Violations) -> Option<EmploymentType> {
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

fn employment_to_proto(employment: Option<EmploymentType>) -> i32 {
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
fn enum_list<T: PartialEq>(
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

/// Converts an alumnus from the API, reporting problems under `path`.
pub fn alumnus_from_proto(a: proto::Alumnus, path: &str, violations: &mut Violations) -> domain::Alumnus {
    let skills = a
        .skills
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let at = format!("{path}.skills[{i}]");
            let level = match proto::SkillLevel::try_from(s.level) {
                Ok(proto::SkillLevel::Unspecified) => None,
                Ok(proto::SkillLevel::Beginner) => Some(SkillLevel::Beginner),
                Ok(proto::SkillLevel::Intermediate) => Some(SkillLevel::Intermediate),
                Ok(proto::SkillLevel::Advanced) => Some(SkillLevel::Advanced),
                Ok(proto::SkillLevel::Expert) => Some(SkillLevel::Expert),
                Err(_) => {
                    violations.add(format!("{at}.level"), format!("unknown skill level {}", s.level));
                    None
                }
            };
            let last_used_year = match s.last_used_year {
                0 => None,
                // Out-of-range years are reported by validation; clamp keeps the type small.
                y => Some(u16::try_from(y).unwrap_or(u16::MAX)),
            };
            domain::Skill {
                name: s.name,
                years: s.years,
                last_used_year,
                level,
            }
        })
        .collect();
    let positions = a
        .positions
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let at = format!("{path}.positions[{i}]");
            domain::Position {
                start: required_date(&p.start, &format!("{at}.start"), violations),
                end: optional_date(&p.end, &format!("{at}.end"), violations),
                organization: p.organization,
                title: p.title,
                department: p.department,
                description: p.description,
                at_company: p.at_company,
            }
        })
        .collect();
    let departure = a.departure.unwrap_or_default();
    let reason = match proto::DepartureReason::try_from(departure.reason) {
        Ok(proto::DepartureReason::Unspecified | proto::DepartureReason::Undisclosed) => {
            domain::DepartureReason::Undisclosed
        }
        Ok(proto::DepartureReason::CareerChange) => domain::DepartureReason::CareerChange,
        Ok(proto::DepartureReason::Relocation) => domain::DepartureReason::Relocation,
        Ok(proto::DepartureReason::Family) => domain::DepartureReason::Family,
        Ok(proto::DepartureReason::Study) => domain::DepartureReason::Study,
        Ok(proto::DepartureReason::Compensation) => domain::DepartureReason::Compensation,
        Ok(proto::DepartureReason::Retirement) => domain::DepartureReason::Retirement,
        Ok(proto::DepartureReason::ContractEnd) => domain::DepartureReason::ContractEnd,
        Ok(proto::DepartureReason::Other) => domain::DepartureReason::Other,
        Err(_) => {
            // The value itself is sensitive; the message names only the field.
            violations.add(format!("{path}.departure.reason"), "unknown departure reason");
            domain::DepartureReason::Undisclosed
        }
    };
    let interests = a.interests.unwrap_or_default();
    let preferences = a.preferences.unwrap_or_default();
    let engagement = a.engagement.unwrap_or_default();
    domain::Alumnus {
        departure: domain::Departure {
            left_on: optional_date(&departure.left_on, &format!("{path}.departure.left_on"), violations),
            reason,
            rehire_eligible: departure.rehire_eligible,
        },
        interests: domain::Interests {
            open_to: enum_list(
                &interests.open_to,
                &format!("{path}.interests.open_to"),
                violations,
                kind_from_proto,
            ),
            statement: interests.statement,
            topics: interests.topics,
        },
        preferences: domain::Preferences {
            employment_types: enum_list(
                &preferences.employment_types,
                &format!("{path}.preferences.employment_types"),
                violations,
                employment_from_proto,
            ),
            work_modes: enum_list(
                &preferences.work_modes,
                &format!("{path}.preferences.work_modes"),
                violations,
                work_mode_from_proto,
            ),
            locations: preferences.locations,
        },
        engagement: domain::Engagement {
            last_active_at: timestamp(
                engagement.last_active_at.as_ref(),
                &format!("{path}.engagement.last_active_at"),
                violations,
            ),
            events_attended_12m: engagement.events_attended_12m,
            referrals_made: engagement.referrals_made,
        },
        consent: domain::Consent {
            contact_allowed: a.consent.is_some_and(|c| c.contact_allowed),
        },
        updated_at: timestamp(a.updated_at.as_ref(), &format!("{path}.updated_at"), violations),
        id: a.id,
        display_name: a.display_name,
        headline: a.headline,
        skills,
        positions,
        languages: a.languages,
    }
}

/// Converts a stored alumnus for `GetAlumnus` (the only read that includes departure details).
pub fn alumnus_to_proto(a: domain::Alumnus) -> proto::Alumnus {
    proto::Alumnus {
        id: a.id,
        display_name: a.display_name,
        headline: a.headline,
        skills: a
            .skills
            .into_iter()
            .map(|s| proto::Skill {
                name: s.name,
                years: s.years,
                last_used_year: s.last_used_year.map(u32::from).unwrap_or(0),
                level: (match s.level {
                    None => proto::SkillLevel::Unspecified,
                    Some(SkillLevel::Beginner) => proto::SkillLevel::Beginner,
                    Some(SkillLevel::Intermediate) => proto::SkillLevel::Intermediate,
                    Some(SkillLevel::Advanced) => proto::SkillLevel::Advanced,
                    Some(SkillLevel::Expert) => proto::SkillLevel::Expert,
                }) as i32,
            })
            .collect(),
        positions: a
            .positions
            .into_iter()
            .map(|p| proto::Position {
                organization: p.organization,
                title: p.title,
                department: p.department,
                description: p.description,
                start: p.start.to_string(),
                end: p.end.map(|d| d.to_string()).unwrap_or_default(),
                at_company: p.at_company,
            })
            .collect(),
        departure: Some(proto::Departure {
            left_on: a.departure.left_on.map(|d| d.to_string()).unwrap_or_default(),
            reason: (match a.departure.reason {
                domain::DepartureReason::Undisclosed => proto::DepartureReason::Undisclosed,
                domain::DepartureReason::CareerChange => proto::DepartureReason::CareerChange,
                domain::DepartureReason::Relocation => proto::DepartureReason::Relocation,
                domain::DepartureReason::Family => proto::DepartureReason::Family,
                domain::DepartureReason::Study => proto::DepartureReason::Study,
                domain::DepartureReason::Compensation => proto::DepartureReason::Compensation,
                domain::DepartureReason::Retirement => proto::DepartureReason::Retirement,
                domain::DepartureReason::ContractEnd => proto::DepartureReason::ContractEnd,
                domain::DepartureReason::Other => proto::DepartureReason::Other,
            }) as i32,
            rehire_eligible: a.departure.rehire_eligible,
        }),
        interests: Some(proto::Interests {
            open_to: a
                .interests
                .open_to
                .into_iter()
                .map(|k| kind_to_proto(k) as i32)
                .collect(),
            statement: a.interests.statement,
            topics: a.interests.topics,
        }),
        preferences: Some(proto::Preferences {
            employment_types: a
                .preferences
                .employment_types
                .into_iter()
                .map(|e| employment_to_proto(Some(e)))
                .collect(),
            work_modes: a
                .preferences
                .work_modes
                .into_iter()
                .map(|m| work_mode_to_proto(Some(m)))
                .collect(),
            locations: a.preferences.locations,
        }),
        languages: a.languages,
        engagement: Some(proto::Engagement {
            last_active_at: timestamp_out(a.engagement.last_active_at),
            events_attended_12m: a.engagement.events_attended_12m,
            referrals_made: a.engagement.referrals_made,
        }),
        consent: Some(proto::Consent {
            contact_allowed: a.consent.contact_allowed,
        }),
        updated_at: timestamp_out(a.updated_at),
    }
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

/// Converts a ranked candidate; without `explain` only the id, name, score, rank and reason.
pub fn candidate_to_proto(rank: u32, c: ScoredCandidate, explain: bool) -> proto::Candidate {
    let (components, matched_skills, missing_required_skills) = if explain {
        (
            c.components
                .into_iter()
                .map(|sc| proto::ScoreComponent {
                    name: sc.component.name().to_owned(),
                    value: sc.value,
                    weight: sc.weight,
                    contribution: sc.contribution,
                })
                .collect(),
            c.matched_skills,
            c.missing_required_skills,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    proto::Candidate {
        alumnus_id: c.alumnus_id,
        display_name: c.display_name,
        score: c.score,
        rank,
        components,
        matched_skills,
        missing_required_skills,
        reason: c.reason,
    }
}

/// The alumni of an `UpsertAlumniRequest`, converted and validated: every
/// problem of every item is reported at once, under `alumni[i]`.
pub fn upsert_alumni_request(request: proto::UpsertAlumniRequest) -> Result<Vec<domain::Alumnus>, Violations> {
    let mut violations = Violations::new();
    violations.check_count("alumni", request.alumni.len(), MAX_BATCH_ITEMS);
    let alumni: Vec<domain::Alumnus> = request
        .alumni
        .into_iter()
        .take(MAX_BATCH_ITEMS)
        .enumerate()
        .map(|(i, a)| alumnus_from_proto(a, &format!("alumni[{i}]"), &mut violations))
        .collect();
    validate_alumni_batch(&alumni, "alumni", &mut violations);
    violations.into_result().map(|()| alumni)
}

/// One streamed alumnus of an import, converted and validated, as item
/// `position` of the stream.
pub fn import_item(item: proto::Alumnus, position: u64) -> Result<domain::Alumnus, Violations> {
    let path = format!("alumni[{position}]");
    let mut violations = Violations::new();
    let alumnus = alumnus_from_proto(item, &path, &mut violations);
    validate_alumnus(&alumnus, &path, &mut violations);
    violations.into_result().map(|()| alumnus)
}

/// The ids of a `DeleteAlumniRequest`, checked; repeats are kept (the store
/// deletes each id once).
pub fn delete_alumni_request(request: proto::DeleteAlumniRequest) -> Result<Vec<String>, Violations> {
    let mut violations = Violations::new();
    if request.ids.is_empty() {
        violations.add("ids", "must contain at least one id");
    }
    violations.check_count("ids", request.ids.len(), MAX_BATCH_ITEMS);
    for (i, id) in request.ids.iter().enumerate().take(MAX_BATCH_ITEMS) {
        violations.check_id(&format!("ids[{i}]"), id);
    }
    violations.into_result().map(|()| request.ids)
}

/// An id argument (`GetAlumnus.id`, `GetOpportunity.id`, ...), checked.
pub fn id_argument(field: &str, id: String) -> Result<String, Violations> {
    let mut violations = Violations::new();
    violations.check_id(field, &id);
    violations.into_result().map(|()| id)
}

/// The opportunities of an `UpsertOpportunitiesRequest`, converted and validated.
pub fn upsert_opportunities_request(
    opportunities: Vec<proto::Opportunity>,
) -> Result<Vec<domain::Opportunity>, Violations> {
    let mut violations = Violations::new();
    violations.check_count("opportunities", opportunities.len(), MAX_BATCH_ITEMS);
    let opportunities: Vec<domain::Opportunity> = opportunities
        .into_iter()
        .take(MAX_BATCH_ITEMS)
        .enumerate()
        .map(|(i, o)| opportunity_from_proto(o, &format!("opportunities[{i}]"), &mut violations))
        .collect();
    validate_opportunity_batch(&opportunities, &mut violations);
    violations.into_result().map(|()| opportunities)
}

/// A `MatchRequest` as the engine's target and options, converted and checked.
pub fn match_request(request: proto::MatchRequest) -> Result<(MatchTarget, MatchOptions, bool), Violations> {
    let mut violations = Violations::new();
    let target = match request.target {
        Some(proto::match_request::Target::OpportunityId(id)) => {
            violations.check_id("opportunity_id", &id);
            MatchTarget::Stored(id)
        }
        Some(proto::match_request::Target::Opportunity(opportunity)) => {
            let opportunity = opportunity_from_proto(opportunity, "opportunity", &mut violations);
            validate_opportunity(&opportunity, "opportunity", false, &mut violations);
            MatchTarget::AdHoc(Box::new(opportunity))
        }
        None => {
            violations.add("target", "set either opportunity_id or opportunity");
            MatchTarget::Stored(String::new())
        }
    };
    if request.limit > MAX_MATCH_LIMIT {
        violations.add("limit", format!("must be at most {MAX_MATCH_LIMIT}"));
    }
    if !request.page_token.is_empty()
        && let Err(message) = PageToken::parse(&request.page_token)
    {
        violations.add("page_token", message);
    }
    violations.check_count("weights", request.weights.len(), MAX_WEIGHT_OVERRIDES);
    let options = MatchOptions {
        limit: request.limit,
        page_token: request.page_token,
        weights: request.weights.into_iter().take(MAX_WEIGHT_OVERRIDES).collect(),
        require_all_required_skills: request.require_all_required_skills,
    };
    violations.into_result().map(|()| (target, options, request.explain))
}

/// The kinds of a `MatchForAlumnusRequest`: at most [`MAX_KINDS_PER_REQUEST`]
/// entries, each a known kind; a kind listed twice is kept once.
pub fn kinds_request(kinds: &[i32]) -> Result<Vec<OpportunityKind>, Violations> {
    let mut violations = Violations::new();
    violations.check_count("kinds", kinds.len(), MAX_KINDS_PER_REQUEST);
    let mut parsed = Vec::new();
    for (i, &k) in kinds.iter().enumerate().take(MAX_KINDS_PER_REQUEST) {
        if let Some(kind) = kind_from_proto(k, &format!("kinds[{i}]"), &mut violations)
            && !parsed.contains(&kind)
        {
            parsed.push(kind);
        }
    }
    violations.into_result().map(|()| parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> proto::Alumnus {
        proto::Alumnus {
            id: "a-1".into(),
            display_name: "佐藤 花子".into(),
            skills: vec![proto::Skill {
                name: "Rust".into(),
                years: 4.0,
                last_used_year: 2025,
                level: 3,
            }],
            positions: vec![proto::Position {
                organization: "Acme".into(),
                title: "Engineer".into(),
                start: "2018-04".into(),
                end: "2022-03-31".into(),
                at_company: true,
                ..Default::default()
            }],
            departure: Some(proto::Departure {
                left_on: "2022-03".into(),
                reason: 4,
                rehire_eligible: true,
            }),
            interests: Some(proto::Interests {
                open_to: vec![1, 3],
                ..Default::default()
            }),
            preferences: Some(proto::Preferences {
                employment_types: vec![4],
                work_modes: vec![3],
                locations: vec![],
            }),
            languages: vec!["ja".into()],
            consent: Some(proto::Consent { contact_allowed: true }),
            updated_at: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 5,
            }),
            engagement: Some(proto::Engagement::default()),
            ..Default::default()
        }
    }

    #[test]
    fn alumnus_round_trips() {
        let mut v = Violations::new();
        let domain = alumnus_from_proto(sample(), "a", &mut v);
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(alumnus_to_proto(domain), sample());
    }

    #[test]
    fn bad_enums_and_dates_are_violations() {
        let mut bad = sample();
        bad.positions[0].start = "2018/04".into();
        bad.positions[0].end = "2022-02-30".into();
        bad.interests = Some(proto::Interests {
            open_to: vec![0, 9],
            ..Default::default()
        });
        bad.skills[0].level = 42;
        bad.departure = Some(proto::Departure {
            left_on: "soon".into(),
            reason: 77,
            rehire_eligible: false,
        });
        let mut v = Violations::new();
        alumnus_from_proto(bad, "alumni[0]", &mut v);
        let fields: Vec<&str> = v.items().iter().map(|x| x.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "alumni[0].skills[0].level",
                "alumni[0].positions[0].start",
                "alumni[0].positions[0].end",
                "alumni[0].departure.reason",
                "alumni[0].departure.left_on",
                "alumni[0].interests.open_to[0]",
                "alumni[0].interests.open_to[1]",
            ]
        );
    }
}
