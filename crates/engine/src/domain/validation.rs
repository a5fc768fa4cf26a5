//! Input rules for alumni and opportunities, and the collector that reports every
//! broken rule with the path of the field that broke it.
//!
//! The limits themselves are in [`crate::limits`], with every other limit and
//! default; they are part of the public contract and are repeated in the proto
//! comments, so change both together.

use std::collections::HashMap;

use super::{Alumnus, Opportunity};
pub use crate::limits::MAX_REPORTED_VIOLATIONS;

pub use crate::limits::{
    MAX_BATCH_ITEMS, MAX_DISPLAY_NAME_CHARS, MAX_HEADLINE_CHARS, MAX_ID_BYTES, MAX_LANGUAGES, MAX_LOCATIONS,
    MAX_LONG_TEXT_CHARS, MAX_OPPORTUNITY_DESCRIPTION_CHARS, MAX_OPPORTUNITY_SKILLS, MAX_POSITIONS,
    MAX_SHORT_TEXT_CHARS, MAX_SKILL_NAME_CHARS, MAX_SKILL_YEARS, MAX_SKILLS, MAX_TITLE_CHARS, MAX_TOPICS,
};

/// One broken rule: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, as in the request ("alumni[3].skills[0].name").
    pub field: String,
    /// What is wrong, in words a caller can act on.
    pub description: String,
}

/// Collects violations while walking a request, so the caller hears of all of
/// them at once rather than one per round trip.
///
/// At most [`MAX_REPORTED_VIOLATIONS`] are kept; the rest are only counted, so a
/// request with a million bad items costs a bounded answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations {
    items: Vec<FieldViolation>,
    omitted: usize,
}

impl Violations {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// A collector holding one violation.
    pub fn single(field: impl Into<String>, description: impl Into<String>) -> Self {
        let mut violations = Self::new();
        violations.add(field, description);
        violations
    }

    /// Records a violation of `field`.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        if self.items.len() >= MAX_REPORTED_VIOLATIONS {
            self.omitted += 1;
            return;
        }
        self.items.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.omitted == 0
    }

    /// Violations counted beyond the ones kept.
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    /// Adds every violation of `other`.
    pub fn extend(&mut self, other: Violations) {
        self.omitted += other.omitted;
        for item in other.items {
            self.add(item.field, item.description);
        }
    }

    /// The recorded violations, in the order found.
    pub fn items(&self) -> &[FieldViolation] {
        &self.items
    }

    /// Consumes the collector.
    pub fn into_items(self) -> Vec<FieldViolation> {
        self.items
    }

    /// `Ok(())` when empty, the collector otherwise.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Checks an identifier: 1 to `MAX_ID_BYTES` bytes, no whitespace or control characters.
    pub fn check_id(&mut self, field: &str, id: &str) {
        if id.is_empty() {
            self.add(field, "must not be empty");
        } else if id.len() > MAX_ID_BYTES {
            self.add(field, format!("must be at most {MAX_ID_BYTES} bytes"));
        } else if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            self.add(field, "must not contain whitespace or control characters");
        }
    }

    /// Checks that `text` has at most `max` characters.
    pub fn check_len(&mut self, field: &str, text: &str, max: usize) {
        // Byte length bounds character count from above, so most texts skip the count.
        if text.len() > max && text.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    /// Checks that a required text is present (not only whitespace) and at most `max` characters.
    pub fn check_required(&mut self, field: &str, text: &str, max: usize) {
        if text.trim().is_empty() {
            self.add(field, "must not be empty");
        } else {
            self.check_len(field, text, max);
        }
    }

    /// A timestamp within protobuf's range (the JSONL import path has no proto
    /// conversion to catch it).
    pub fn check_timestamp(&mut self, field: &str, timestamp: Option<&crate::domain::Timestamp>) {
        if let Some(problem) = timestamp.and_then(|t| t.problem()) {
            self.add(field, problem);
        }
    }

    /// Checks the number of items in a list.
    pub fn check_count(&mut self, field: &str, count: usize, max: usize) {
        if count > max {
            self.add(field, format!("must have at most {max} items, has {count}"));
        }
    }

    fn check_short_list(&mut self, field: &str, items: &[String], max_items: usize, max_chars: usize) {
        self.check_count(field, items.len(), max_items);
        for (i, item) in items.iter().enumerate().take(max_items) {
            self.check_required(&format!("{field}[{i}]"), item, max_chars);
        }
    }
}

/// Checks every rule of an alumnus, reporting fields under `path` ("alumni[3]").
///
/// Dates and enum values are checked where they are parsed (the API conversion);
/// this covers what the parsed value can still get wrong.
pub fn validate_alumnus(alumnus: &Alumnus, path: &str, violations: &mut Violations) {
    violations.check_id(&format!("{path}.id"), &alumnus.id);
    violations.check_required(
        &format!("{path}.display_name"),
        &alumnus.display_name,
        MAX_DISPLAY_NAME_CHARS,
    );
    violations.check_len(&format!("{path}.headline"), &alumnus.headline, MAX_HEADLINE_CHARS);
    violations.check_timestamp(&format!("{path}.updated_at"), alumnus.updated_at.as_ref());
    violations.check_timestamp(
        &format!("{path}.engagement.last_active_at"),
        alumnus.engagement.last_active_at.as_ref(),
    );
    violations.check_timestamp(
        &format!("{path}.consent.contact_not_before"),
        alumnus.consent.contact_not_before.as_ref(),
    );

    violations.check_count(&format!("{path}.skills"), alumnus.skills.len(), MAX_SKILLS);
    for (i, skill) in alumnus.skills.iter().enumerate().take(MAX_SKILLS) {
        let at = format!("{path}.skills[{i}]");
        violations.check_required(&format!("{at}.name"), &skill.name, MAX_SKILL_NAME_CHARS);
        if !skill.years.is_finite() || !(0.0..=MAX_SKILL_YEARS).contains(&skill.years) {
            violations.add(
                format!("{at}.years"),
                format!("must be between 0 and {MAX_SKILL_YEARS}"),
            );
        }
        if let Some(year) = skill.last_used_year {
            let next_year = crate::domain::PartialDate::from_timestamp(crate::domain::Timestamp::now()).year + 1;
            if !(1950..=next_year).contains(&year) {
                violations.add(
                    format!("{at}.last_used_year"),
                    format!("must be 0 (unknown) or between 1950 and {next_year}"),
                );
            }
        }
    }

    violations.check_count(&format!("{path}.positions"), alumnus.positions.len(), MAX_POSITIONS);
    for (i, position) in alumnus.positions.iter().enumerate().take(MAX_POSITIONS) {
        let at = format!("{path}.positions[{i}]");
        violations.check_len(
            &format!("{at}.organization"),
            &position.organization,
            MAX_SHORT_TEXT_CHARS,
        );
        violations.check_len(&format!("{at}.title"), &position.title, MAX_SHORT_TEXT_CHARS);
        violations.check_len(&format!("{at}.department"), &position.department, MAX_SHORT_TEXT_CHARS);
        violations.check_len(&format!("{at}.description"), &position.description, MAX_LONG_TEXT_CHARS);
        if let Some(end) = position.end
            && end.month_index() < position.start.month_index()
        {
            violations.add(format!("{at}.end"), "must not be before start");
        }
    }

    violations.check_len(
        &format!("{path}.interests.statement"),
        &alumnus.interests.statement,
        MAX_LONG_TEXT_CHARS,
    );
    violations.check_short_list(
        &format!("{path}.interests.topics"),
        &alumnus.interests.topics,
        MAX_TOPICS,
        MAX_SHORT_TEXT_CHARS,
    );
    violations.check_short_list(
        &format!("{path}.preferences.locations"),
        &alumnus.preferences.locations,
        MAX_LOCATIONS,
        MAX_SHORT_TEXT_CHARS,
    );

    check_languages(&format!("{path}.languages"), &alumnus.languages, violations);
}

/// Checks every rule of an opportunity, reporting fields under `path`.
///
/// `id_required` is false for ad-hoc match targets, which are never stored.
pub fn validate_opportunity(opportunity: &Opportunity, path: &str, id_required: bool, violations: &mut Violations) {
    if id_required || !opportunity.id.is_empty() {
        violations.check_id(&format!("{path}.id"), &opportunity.id);
    }
    violations.check_required(&format!("{path}.title"), &opportunity.title, MAX_TITLE_CHARS);
    violations.check_timestamp(&format!("{path}.created_at"), opportunity.created_at.as_ref());
    violations.check_len(
        &format!("{path}.description"),
        &opportunity.description,
        MAX_OPPORTUNITY_DESCRIPTION_CHARS,
    );
    violations.check_short_list(
        &format!("{path}.required_skills"),
        &opportunity.required_skills,
        MAX_OPPORTUNITY_SKILLS,
        MAX_SKILL_NAME_CHARS,
    );
    violations.check_short_list(
        &format!("{path}.preferred_skills"),
        &opportunity.preferred_skills,
        MAX_OPPORTUNITY_SKILLS,
        MAX_SKILL_NAME_CHARS,
    );
    violations.check_len(
        &format!("{path}.department"),
        &opportunity.department,
        MAX_SHORT_TEXT_CHARS,
    );
    violations.check_len(&format!("{path}.location"), &opportunity.location, MAX_SHORT_TEXT_CHARS);
    violations.check_len(
        &format!("{path}.seniority"),
        &opportunity.seniority,
        MAX_SHORT_TEXT_CHARS,
    );
    check_languages(&format!("{path}.languages"), &opportunity.languages, violations);
}

/// Checks a batch of alumni for a unary write: 1 to [`MAX_BATCH_ITEMS`] items,
/// each valid, ids unique. Reports under `path` ("alumni").
pub fn validate_alumni_batch(alumni: &[Alumnus], path: &str, violations: &mut Violations) {
    if alumni.is_empty() {
        violations.add(path, "must contain at least one alumnus");
    }
    violations.check_count(path, alumni.len(), MAX_BATCH_ITEMS);
    let mut seen = HashMap::new();
    for (i, alumnus) in alumni.iter().enumerate() {
        validate_alumnus(alumnus, &format!("{path}[{i}]"), violations);
        if let Some(first) = seen.insert(alumnus.id.as_str(), i) {
            violations.add(
                format!("{path}[{i}].id"),
                format!("duplicates the id of {path}[{first}]"),
            );
        }
    }
}

/// Checks a batch of opportunities for a write, like [`validate_alumni_batch`].
pub fn validate_opportunity_batch(opportunities: &[Opportunity], violations: &mut Violations) {
    if opportunities.is_empty() {
        violations.add("opportunities", "must contain at least one opportunity");
    }
    violations.check_count("opportunities", opportunities.len(), MAX_BATCH_ITEMS);
    let mut seen = HashMap::new();
    for (i, opportunity) in opportunities.iter().enumerate() {
        validate_opportunity(opportunity, &format!("opportunities[{i}]"), true, violations);
        if let Some(first) = seen.insert(opportunity.id.as_str(), i) {
            violations.add(
                format!("opportunities[{i}].id"),
                format!("duplicates the id of opportunities[{first}]"),
            );
        }
    }
}

fn check_languages(field: &str, languages: &[String], violations: &mut Violations) {
    violations.check_count(field, languages.len(), MAX_LANGUAGES);
    for (i, language) in languages.iter().enumerate().take(MAX_LANGUAGES) {
        if !is_language_tag(language) {
            violations.add(
                format!("{field}[{i}]"),
                "must be a BCP 47 language tag such as \"ja\" or \"en-US\"",
            );
        }
    }
}

/// A pragmatic BCP 47 check: 2–3 letter primary subtag, then alphanumeric subtags of 1–8.
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok && subtags.all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OpportunityKind, PartialDate, Position, Skill};
    use proptest::prelude::*;

    fn alumnus() -> Alumnus {
        serde_json::from_value(serde_json::json!({"id": "a-1", "display_name": "Sato Hanako"}))
            .expect("minimal alumnus deserialises")
    }

    fn fields(violations: &Violations) -> Vec<&str> {
        violations.items().iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn out_of_range_timestamps_from_jsonl_are_rejected() {
        // Found by reading the fuzz target's path: the JSONL import has no proto
        // conversion, and an i64::MIN activity time overflowed in ranking.
        let line = r#"{"id":"x-1","display_name":"X","consent":{"contact_allowed":true},"interests":{"open_to":["referral"]},"engagement":{"last_active_at":{"seconds":-9223372036854775808,"nanos":0}},"updated_at":{"seconds":0,"nanos":1000000000}}"#;
        let alumnus: Alumnus = serde_json::from_str(line).expect("parses");
        let mut violations = Violations::new();
        validate_alumnus(&alumnus, "alumni[0]", &mut violations);
        assert_eq!(
            fields(&violations),
            ["alumni[0].updated_at", "alumni[0].engagement.last_active_at"]
        );
    }

    #[test]
    fn minimal_alumnus_is_valid() {
        let mut v = Violations::new();
        validate_alumnus(&alumnus(), "alumni[0]", &mut v);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn reports_every_broken_field_with_its_path() {
        let mut a = alumnus();
        a.id = String::new();
        a.display_name = "  ".into();
        a.skills.push(Skill {
            name: String::new(),
            years: -1.0,
            last_used_year: Some(1800),
            level: None,
        });
        a.positions.push(Position {
            organization: "Acme".into(),
            title: "Engineer".into(),
            department: String::new(),
            description: String::new(),
            start: PartialDate::parse("2020-01").unwrap(),
            end: Some(PartialDate::parse("2019-01").unwrap()),
            at_company: true,
        });
        a.languages.push("japanese!".into());
        let mut v = Violations::new();
        validate_alumnus(&a, "alumni[2]", &mut v);
        assert_eq!(
            fields(&v),
            [
                "alumni[2].id",
                "alumni[2].display_name",
                "alumni[2].skills[0].name",
                "alumni[2].skills[0].years",
                "alumni[2].skills[0].last_used_year",
                "alumni[2].positions[0].end",
                "alumni[2].languages[0]",
            ]
        );
    }

    #[test]
    fn ad_hoc_opportunity_may_omit_id_but_stored_may_not() {
        let opportunity = Opportunity {
            id: String::new(),
            kind: OpportunityKind::Referral,
            title: "Backend engineer".into(),
            description: String::new(),
            required_skills: vec!["Rust".into()],
            preferred_skills: vec![],
            department: String::new(),
            location: String::new(),
            work_mode: None,
            employment_type: None,
            seniority: String::new(),
            languages: Vec::new(),
            capacity: 0,
            status: Default::default(),
            created_at: None,
        };
        let mut v = Violations::new();
        validate_opportunity(&opportunity, "opportunity", false, &mut v);
        assert!(v.is_empty());
        validate_opportunity(&opportunity, "opportunities[0]", true, &mut v);
        assert_eq!(fields(&v), ["opportunities[0].id"]);
    }

    #[test]
    fn language_tags() {
        for good in ["ja", "en", "en-US", "zh-Hant", "ja-JP-x-kansai"] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in ["", "j", "japanese", "en_US", "日本語", "en-"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    proptest! {
        /// An id is accepted exactly when it is 1..=128 bytes with no whitespace or control characters.
        #[test]
        fn id_rule(id in "\\PC{0,70}|[ \\t\\n\\x00-\\x1f]{1,3}|[a-z]{120,140}") {
            let mut v = Violations::new();
            v.check_id("id", &id);
            let expected_ok = !id.is_empty()
                && id.len() <= MAX_ID_BYTES
                && !id.chars().any(|c| c.is_whitespace() || c.is_control());
            prop_assert_eq!(v.is_empty(), expected_ok);
        }

        /// Length limits count characters, not bytes, so Japanese text gets the same allowance.
        #[test]
        fn length_rule_counts_characters(text in "[a-zあ-ん]{0,30}", max in 0usize..30) {
            let mut v = Violations::new();
            v.check_len("f", &text, max);
            prop_assert_eq!(v.is_empty(), text.chars().count() <= max);
        }

        /// Validation never panics, whatever the text.
        #[test]
        fn validation_is_total(name in "\\PC*", headline in "\\PC*", years in proptest::num::f32::ANY) {
            let mut a = alumnus();
            a.display_name = name;
            a.headline = headline;
            a.skills.push(Skill { name: "Rust".into(), years, last_used_year: None, level: None });
            let mut v = Violations::new();
            validate_alumnus(&a, "a", &mut v);
            let years_ok = years.is_finite() && (0.0..=MAX_SKILL_YEARS).contains(&years);
            prop_assert_eq!(v.items().iter().any(|x| x.field == "a.skills[0].years"), !years_ok);
        }
    }
}
