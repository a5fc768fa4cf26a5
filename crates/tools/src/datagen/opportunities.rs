//! Opportunities: openings of all four kinds for a real occupation, in English or
//! Japanese, asking for that occupation's skills.

use super::{
    GenConfig, GenError, Generator,
    alumni::SkillRef,
    rng::{Rng, Stream},
    text::{EN_SENIORITY, JA_SENIORITY, join_en, join_ja},
    vocab::Vocabulary,
};
use crate::domain::{EmploymentType, Opportunity, OpportunityKind, OpportunityStatus, Timestamp, WorkMode};

/// One generated opportunity with the occupation it was drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedOpportunity {
    /// The record, in the import format.
    pub opportunity: Opportunity,
    /// ESCO occupation code the opening is for: the ground truth for relevance.
    pub occupation_id: String,
    /// Whether it is written in Japanese.
    pub japanese: bool,
}

/// The first this-many opportunities cycle through every kind in both languages,
/// so even a small set covers all combinations.
const COVERAGE: usize = 8;

impl Generator<'_> {
    /// Opportunity number `j`, a function of `(seed, j)` alone.
    pub fn opportunity(&self, j: usize) -> GeneratedOpportunity {
        let mut rng = Rng::for_record(self.config.seed, Stream::Opportunity, j as u64);
        let (kind, japanese) = if j < COVERAGE {
            (
                OpportunityKind::ALL[j % OpportunityKind::ALL.len()],
                j / OpportunityKind::ALL.len() % 2 == 1,
            )
        } else {
            let kind = OpportunityKind::ALL[rng.below(OpportunityKind::ALL.len())];
            (kind, rng.chance(self.config.japanese_share))
        };
        let occupation = rng.pick(&self.line_occupations).copied().unwrap_or(0);
        let o = &self.vocab.occupations[occupation];
        let department = self
            .vocab
            .departments
            .get(o.department)
            .map(|d| d.get(japanese).to_owned())
            .unwrap_or_default();

        let required_count = rng.range(3, 6) as usize;
        let required: Vec<SkillRef> = rng
            .sample(&o.essential, required_count)
            .into_iter()
            .map(SkillRef::Esco)
            .collect();
        let optional_count = rng.range(1, 3) as usize;
        let technology_count = rng.range(0, 3) as usize;
        let preferred: Vec<SkillRef> = rng
            .sample(&o.optional, optional_count)
            .into_iter()
            .map(SkillRef::Esco)
            .chain(
                rng.sample(&o.hot_technologies, technology_count)
                    .into_iter()
                    .map(SkillRef::Technology),
            )
            .collect();
        let mut name_all = |refs: &[SkillRef]| -> Vec<(SkillRef, String)> {
            let mut names: Vec<(SkillRef, String)> = Vec::with_capacity(refs.len());
            for &r in refs {
                let name = self.skill_name(&mut rng, r, japanese);
                if !name.is_empty() && !names.iter().any(|(_, n)| n.eq_ignore_ascii_case(&name)) {
                    names.push((r, name));
                }
            }
            names
        };
        let required_named = name_all(&required);
        // A field of knowledge ("machine learning") names a mentoring topic or a
        // partnership area; a task ("debug software") does not.
        let topic = required_named
            .iter()
            .find(|(r, _)| matches!(r, SkillRef::Esco(s) if self.vocab.skills.get(*s).is_some_and(|k| k.knowledge)))
            .map(|(_, name)| name.clone());
        let required_skills: Vec<String> = required_named.into_iter().map(|(_, n)| n).collect();
        let preferred_skills: Vec<String> = name_all(&preferred)
            .into_iter()
            .map(|(_, n)| n)
            .filter(|p| !required_skills.iter().any(|r| r.eq_ignore_ascii_case(p)))
            .collect();

        let step = match kind {
            OpportunityKind::Rehire | OpportunityKind::Referral => rng.below(4),
            OpportunityKind::Mentoring | OpportunityKind::Partnership => 2 + rng.below(2),
        };
        let title_base = self.occupation_title(occupation, japanese);
        let title = match (kind, japanese) {
            (OpportunityKind::Rehire, false) => match step {
                2 => format!("Senior {title_base}"),
                3 => format!("Lead {title_base}"),
                _ => title_base.clone(),
            },
            (OpportunityKind::Rehire, true) => format!("{title_base}（{department}）"),
            (OpportunityKind::Referral, false) => {
                format!("Referrals wanted: {title_base}, {department}")
            }
            (OpportunityKind::Referral, true) => format!("{title_base}のご紹介のお願い"),
            (OpportunityKind::Mentoring, false) => match &topic {
                Some(topic) => format!("Mentor in {topic} for the {department} team"),
                None => format!("{title_base} mentor for the {department} team"),
            },
            (OpportunityKind::Mentoring, true) => match &topic {
                Some(topic) => format!("{topic}のメンター募集"),
                None => format!("{title_base}経験者のメンター募集"),
            },
            (OpportunityKind::Partnership, false) => match &topic {
                Some(topic) => format!("Partner for {topic} projects"),
                None => format!("Partnership: {title_base} expertise for {department}"),
            },
            (OpportunityKind::Partnership, true) => match &topic {
                Some(topic) => format!("{topic}分野の協業パートナー募集"),
                None => format!("{title_base}領域の協業パートナー募集"),
            },
        };
        let description = self.opportunity_description(
            kind,
            &title_base,
            &department,
            &required_skills,
            &preferred_skills,
            japanese,
        );

        let city = rng
            .pick(&self.vocab.cities)
            .map(|c| c.get(japanese).to_owned())
            .unwrap_or_default();
        let work_mode = {
            let modes = [WorkMode::Onsite, WorkMode::Hybrid, WorkMode::Remote];
            let weights: [f64; 3] = match kind {
                OpportunityKind::Rehire | OpportunityKind::Referral => [0.3, 0.55, 0.15],
                OpportunityKind::Mentoring => [0.1, 0.3, 0.6],
                OpportunityKind::Partnership => [0.3, 0.4, 0.3],
            };
            (!rng.chance(0.1)).then(|| modes[rng.weighted(&weights)])
        };
        let employment_type = match kind {
            OpportunityKind::Rehire => Some(if rng.chance(0.75) {
                EmploymentType::FullTime
            } else {
                EmploymentType::Contract
            }),
            OpportunityKind::Referral => Some(EmploymentType::FullTime),
            OpportunityKind::Mentoring => Some(
                [
                    EmploymentType::SideJob,
                    EmploymentType::Freelance,
                    EmploymentType::PartTime,
                ][rng.weighted(&[0.5, 0.2, 0.3])],
            ),
            OpportunityKind::Partnership => match rng.below(3) {
                0 => None,
                1 => Some(EmploymentType::Contract),
                _ => Some(EmploymentType::Freelance),
            },
        };
        let seniority = if japanese {
            JA_SENIORITY[step]
        } else {
            EN_SENIORITY[step]
        };
        let capacity = match kind {
            OpportunityKind::Rehire => rng.range(1, 3),
            OpportunityKind::Referral => rng.range(1, 5),
            OpportunityKind::Mentoring => rng.range(1, 8),
            OpportunityKind::Partnership => rng.range(0, 2),
        } as u32;
        let status = if j >= COVERAGE && rng.chance(0.08) {
            OpportunityStatus::Closed
        } else {
            OpportunityStatus::Open
        };
        let created_at = Timestamp {
            seconds: self.as_of_seconds - rng.range(0, 180 * 86_400),
            nanos: 0,
        };
        GeneratedOpportunity {
            opportunity: Opportunity {
                id: format!("opp-{j:05}"),
                kind,
                title,
                description,
                required_skills,
                preferred_skills,
                department,
                location: city,
                work_mode,
                employment_type,
                seniority: seniority.to_owned(),
                languages: Vec::new(),
                capacity,
                status,
                created_at: Some(created_at),
            },
            occupation_id: o.id.clone(),
            japanese,
        }
    }

    fn opportunity_description(
        &self,
        kind: OpportunityKind,
        title: &str,
        department: &str,
        required: &[String],
        preferred: &[String],
        japanese: bool,
    ) -> String {
        let company = self.vocab.company.get(japanese);
        let required: Vec<&str> = required.iter().map(String::as_str).collect();
        let preferred: Vec<&str> = preferred.iter().map(String::as_str).collect();
        if japanese {
            let ask = match kind {
                OpportunityKind::Rehire => {
                    format!("{title}として再び活躍いただける方を募集しています。")
                }
                OpportunityKind::Referral => {
                    format!("{title}として活躍できる方をご存じでしたらご紹介ください。")
                }
                OpportunityKind::Mentoring => {
                    "若手社員のメンターとして月1〜2回の面談をお願いできる方を探しています。".to_owned()
                }
                OpportunityKind::Partnership => "現在の所属企業との協業を検討いただける方を探しています。".to_owned(),
            };
            let mut text = format!("{company}の{department}です。{ask}必須スキル：{}。", join_ja(&required));
            if !preferred.is_empty() {
                text.push_str(&format!("歓迎スキル：{}。", join_ja(&preferred)));
            }
            text
        } else {
            let ask = match kind {
                OpportunityKind::Rehire => {
                    format!("We would love to welcome a former colleague back as {title}.")
                }
                OpportunityKind::Referral => {
                    format!("If you know someone who would thrive as {title}, please refer them.")
                }
                OpportunityKind::Mentoring => {
                    "We are looking for alumni to mentor junior staff once or twice a month.".to_owned()
                }
                OpportunityKind::Partnership => {
                    "We are looking for alumni whose organisations would like to work with us.".to_owned()
                }
            };
            let mut text = format!(
                "The {department} team at {company}. {ask} Required: {}.",
                join_en(&required)
            );
            if !preferred.is_empty() {
                text.push_str(&format!(" Nice to have: {}.", join_en(&preferred)));
            }
            text
        }
    }
}

/// Every opportunity of the data set `config` describes, in id order.
pub fn opportunities(vocab: &Vocabulary, config: &GenConfig) -> Result<Vec<GeneratedOpportunity>, GenError> {
    let generator = Generator::new(vocab, config)?;
    Ok((0..config.opportunities).map(|j| generator.opportunity(j)).collect())
}
