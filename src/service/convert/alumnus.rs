//! Alumni between the API and the domain.

use super::scalars::{
    employment_from_proto, employment_to_proto, enum_list, kind_from_proto, kind_to_proto, optional_date,
    required_date, timestamp, timestamp_out, work_mode_from_proto, work_mode_to_proto,
};
use crate::{
    domain::{self, SkillLevel, Violations},
    proto,
};

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
            contact_allowed: a.consent.as_ref().is_some_and(|c| c.contact_allowed),
            contact_not_before: timestamp(
                a.consent.as_ref().and_then(|c| c.contact_not_before.as_ref()),
                &format!("{path}.consent.contact_not_before"),
                violations,
            ),
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
            contact_not_before: timestamp_out(a.consent.contact_not_before),
        }),
        updated_at: timestamp_out(a.updated_at),
    }
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
            consent: Some(proto::Consent {
                contact_allowed: true,
                ..Default::default()
            }),
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
