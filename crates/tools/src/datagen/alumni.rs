//! Alumni: a career of real occupations before, at and after the company, with the
//! skills those occupations use, and the programme data around it.

use super::{
    GenConfig, GenError,
    rng::{Rng, Stream},
    text::{JA_RANKS, join_en, join_ja, title_case},
    vocab::Vocabulary,
};
use crate::domain::{
    Alumnus, Consent, Departure, DepartureReason, EmploymentType, Engagement, Interests, OpportunityKind, PartialDate,
    Position, Preferences, Skill, SkillLevel, Timestamp, WorkMode,
};

/// One generated alumnus with the ground truth behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedAlumnus {
    /// The record, in the import format.
    pub alumnus: Alumnus,
    /// ESCO occupation codes held, oldest first, each once; the last is current.
    pub occupation_ids: Vec<String>,
    /// Whether the profile is written in Japanese.
    pub japanese: bool,
}

/// Most skills listed on one profile.
const MAX_PROFILE_SKILLS: usize = 30;
const SECONDS_PER_DAY: i64 = 86_400;

/// A skill as the generator tracks it before naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkillRef {
    /// Index into [`Vocabulary::skills`].
    Esco(usize),
    /// Index into [`Vocabulary::technologies`].
    Technology(usize),
}

/// The vocabulary and configuration, indexed once so each record is cheap.
#[derive(Debug, Clone)]
pub struct Generator<'v> {
    pub(crate) vocab: &'v Vocabulary,
    pub(crate) config: GenConfig,
    as_of_month: i64,
    pub(crate) as_of_seconds: i64,
    /// Occupations a person can hold at the company (not executives).
    pub(crate) line_occupations: Vec<usize>,
    /// Per occupation: other non-executive occupations in its ISCO minor group.
    related: Vec<Vec<usize>>,
    /// Per occupation: non-executive occupations in its ISCO sub-major group
    /// (first two digits) but another minor group.
    family: Vec<Vec<usize>>,
    /// Per department: non-executive manager occupations (ISCO major group 1).
    managers: Vec<Vec<usize>>,
    executives: Vec<usize>,
    /// Per occupation: English titles, title-cased, preferred first.
    pub(crate) titles_en: Vec<Vec<String>>,
}

impl<'v> Generator<'v> {
    /// Prepares generation after checking the vocabulary (see
    /// [`Vocabulary::validate`]) and the configuration (see [`GenConfig::validate`]).
    pub fn new(vocab: &'v Vocabulary, config: &GenConfig) -> Result<Self, GenError> {
        vocab.validate()?;
        config.validate()?;
        let config = config.clone();
        let occupations = &vocab.occupations;
        let non_executive = |i: &usize| !occupations[*i].executive;
        let all: Vec<usize> = (0..occupations.len()).collect();
        let related = occupations
            .iter()
            .enumerate()
            .map(|(i, o)| {
                all.iter()
                    .copied()
                    .filter(non_executive)
                    .filter(|&j| j != i && occupations[j].isco_minor() == o.isco_minor())
                    .collect()
            })
            .collect();
        let family = occupations
            .iter()
            .map(|o| {
                all.iter()
                    .copied()
                    .filter(non_executive)
                    .filter(|&j| {
                        let other = &occupations[j];
                        other.isco[..2] == o.isco[..2] && other.isco_minor() != o.isco_minor()
                    })
                    .collect()
            })
            .collect();
        let managers = (0..vocab.departments.len())
            .map(|d| {
                all.iter()
                    .copied()
                    .filter(non_executive)
                    .filter(|&j| occupations[j].department == d && occupations[j].isco.starts_with('1'))
                    .collect()
            })
            .collect();
        let as_of = config.as_of;
        let as_of_seconds = time::Month::try_from(as_of.month)
            .ok()
            .and_then(|m| time::Date::from_calendar_date(i32::from(as_of.year), m, as_of.day.unwrap_or(1)).ok())
            .map(|d| d.midnight().assume_utc().unix_timestamp())
            .unwrap_or(0);
        Ok(Self {
            vocab,
            as_of_month: as_of.month_index(),
            as_of_seconds,
            line_occupations: all.iter().copied().filter(non_executive).collect(),
            related,
            family,
            managers,
            executives: all.iter().copied().filter(|&i| occupations[i].executive).collect(),
            titles_en: occupations
                .iter()
                .map(|o| {
                    std::iter::once(&o.title)
                        .chain(&o.alt_titles)
                        .map(|t| title_case(t))
                        .collect()
                })
                .collect(),
            config,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &GenConfig {
        &self.config
    }

    /// Alumnus number `i`, a function of `(seed, i)` alone.
    pub fn alumnus(&self, i: usize) -> GeneratedAlumnus {
        let mut rng = Rng::for_record(self.config.seed, Stream::Alumnus, i as u64);
        let japanese = rng.chance(self.config.japanese_share);
        let display_name = self.person_name(&mut rng);
        let reason = departure_reason(&mut rng);
        let plan = self.plan_career(&mut rng, reason);
        let career_start = plan.first().map_or(self.as_of_month, |p| p.start);
        let career_years = (self.as_of_month - career_start + 1) as f64 / 12.0;
        let reason = if reason == DepartureReason::Retirement && career_years < 30.0 {
            DepartureReason::CareerChange
        } else {
            reason
        };

        let mut positions = Vec::with_capacity(plan.len());
        let mut skills = SkillBook::default();
        let mut held: Vec<usize> = Vec::with_capacity(plan.len());
        let mut previous_org: Option<(usize, String)> = None;
        for (k, p) in plan.iter().enumerate() {
            let occupation = &self.vocab.occupations[p.occupation];
            let last = k + 1 == plan.len();
            let end_month = p.start + p.months - 1;
            let organization = if p.at_company {
                self.vocab.company.get(japanese).to_owned()
            } else {
                match &previous_org {
                    // Moving up at the same employer after leaving the company.
                    Some((prev_k, org)) if *prev_k + 1 == k && !plan[*prev_k].at_company && rng.chance(0.3) => {
                        org.clone()
                    }
                    _ => self.organization(&mut rng, japanese),
                }
            };
            let department = if p.at_company || rng.chance(0.5) {
                self.vocab
                    .departments
                    .get(occupation.department)
                    .map(|d| d.get(japanese).to_owned())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let used = self.skills_for(&mut rng, &mut skills, p.occupation);
            let last_year = if last {
                self.config.as_of.year
            } else {
                month_to_date(end_month, None).year
            };
            for r in &used {
                skills.add_use(*r, p.months, last_year);
            }
            let title = self.position_title(&mut rng, p.occupation, p.step, japanese);
            let description = if rng.chance(0.6) {
                self.position_description(&mut rng, &used, &department, japanese)
            } else {
                String::new()
            };
            let (start, end) = if p.at_company {
                // HR records keep exact days; people remember months.
                (
                    month_to_date(p.start, Some(1)),
                    Some(month_to_date(end_month, Some(u8::MAX))),
                )
            } else {
                (
                    month_to_date(p.start, None),
                    (!last).then(|| month_to_date(end_month, None)),
                )
            };
            if !p.at_company {
                previous_org = Some((k, organization.clone()));
            }
            positions.push(Position {
                organization,
                title,
                department,
                description,
                start,
                end,
                at_company: p.at_company,
            });
            held.retain(|&o| o != p.occupation);
            held.push(p.occupation);
        }

        let left_on = positions.iter().rev().find(|p| p.at_company).and_then(|p| p.end);
        let rehire_eligible = rng.chance(0.8);
        let seniority = (career_years / 20.0).min(1.0);
        let open_to = open_to(&mut rng, rehire_eligible, seniority);
        let profile_skills = skills.into_profile(self, &mut rng, japanese);
        // Things (fields, technologies) fill noun slots in the templates.
        let things: Vec<String> = profile_skills
            .iter()
            .filter(|(_, noun)| *noun)
            .map(|(s, _)| s.name.clone())
            .collect();
        let skills: Vec<Skill> = profile_skills.into_iter().map(|(s, _)| s).collect();
        let current = positions.last();
        let current_title = current.map(|p| p.title.as_str()).unwrap_or_default();
        let current_org = current.map(|p| p.organization.as_str()).unwrap_or_default();
        let headline = self.headline(&mut rng, current_title, current_org, &things, japanese);
        let tenure_years = plan
            .iter()
            .filter(|p| p.at_company)
            .map(|p| p.months)
            .sum::<i64>()
            .div_euclid(12)
            .max(1);
        let at_company_department = plan
            .iter()
            .find(|p| p.at_company)
            .and_then(|p| self.vocab.occupations.get(p.occupation))
            .and_then(|o| self.vocab.departments.get(o.department))
            .map(|d| d.get(japanese))
            .unwrap_or_default();
        let interests = self.interests(
            &mut rng,
            open_to,
            &things,
            StatementFacts {
                tenure_years,
                department: at_company_department,
                current_org,
                field: held
                    .last()
                    .map(|&o| self.occupation_title(o, japanese))
                    .unwrap_or_default(),
            },
            japanese,
        );
        let preferences = self.preferences(&mut rng, &interests.open_to, seniority, japanese);
        let languages = if japanese {
            if rng.chance(0.35) { vec!["ja", "en"] } else { vec!["ja"] }
        } else if rng.chance(0.5) {
            vec!["en", "ja"]
        } else {
            vec!["en"]
        };
        let engagement = self.engagement(&mut rng, &interests.open_to);
        let contact_allowed = rng.chance(0.85);
        let updated_at = Timestamp {
            seconds: self.as_of_seconds - rng.range(0, 365 * SECONDS_PER_DAY),
            nanos: 0,
        };

        GeneratedAlumnus {
            alumnus: Alumnus {
                id: format!("alum-{i:07}"),
                display_name,
                headline,
                skills,
                positions,
                departure: Departure {
                    left_on,
                    reason,
                    rehire_eligible,
                },
                interests,
                preferences,
                languages: languages.into_iter().map(str::to_owned).collect(),
                engagement,
                consent: Consent {
                    contact_allowed,
                    contact_not_before: None,
                },
                updated_at: Some(updated_at),
            },
            occupation_ids: held.iter().map(|&o| self.vocab.occupations[o].id.clone()).collect(),
            japanese,
        }
    }

    /// "佐藤 花子": family name first, as Japanese names are written.
    fn person_name(&self, rng: &mut Rng) -> String {
        let names = &self.vocab.names;
        let given = if rng.chance(0.5) { &names.female } else { &names.male };
        let surname = rng.pick(&names.surnames).map_or("", String::as_str);
        let given = rng.pick(given).map_or("", String::as_str);
        format!("{surname} {given}").trim().to_owned()
    }

    /// A synthetic employer: "Northwind Systems" or 「青木電機株式会社」.
    pub(crate) fn organization(&self, rng: &mut Rng, japanese: bool) -> String {
        let pattern = &self.vocab.organizations;
        let japanese_name = if japanese { rng.chance(0.75) } else { rng.chance(0.15) };
        if japanese_name {
            let surname = rng.pick(&self.vocab.names.surnames).map_or("", String::as_str);
            let suffix = rng.pick(&pattern.ja_suffixes).map_or("", String::as_str);
            if rng.chance(0.5) {
                format!("株式会社{surname}{suffix}")
            } else {
                format!("{surname}{suffix}株式会社")
            }
        } else {
            let stem = rng.pick(&pattern.en_stems).map_or("", String::as_str);
            let suffix = rng.pick(&pattern.en_suffixes).map_or("", String::as_str);
            format!("{stem} {suffix}")
        }
    }

    /// The dates and occupations of a career, oldest first.
    ///
    /// Works backwards from `as_of`: a career of 2 to 40 years (younger careers
    /// more likely), left the company 3 months to 20 years ago (recent leavers more
    /// likely), 1 to 20 years there, and what is left before it spent elsewhere.
    fn plan_career(&self, rng: &mut Rng, reason: DepartureReason) -> Vec<PlannedPosition> {
        let total = 24 + (456.0 * rng.unit().powf(1.4)) as i64;
        let since_left = 3 + (((total - 12).min(240) - 3) as f64 * rng.unit().powf(1.6)) as i64;
        let tenure_room = total - since_left;
        let tenure = 12 + ((tenure_room - 12).min(228) as f64 * rng.unit().powf(1.2)) as i64;
        let pre_span = tenure_room - tenure;
        let career_start = self.as_of_month + 1 - total;

        let line = rng.pick(&self.line_occupations).copied().unwrap_or(0);
        let mut plan = Vec::new();
        let mut cursor = career_start;
        if pre_span >= 12 {
            let count =
                1 + usize::from(pre_span >= 48 && rng.chance(0.5)) + usize::from(pre_span >= 96 && rng.chance(0.4));
            for months in split_months(rng, pre_span, count, 12) {
                let occupation = self.nearby_occupation(rng, line);
                plan.push(PlannedPosition::new(occupation, cursor, months, false));
                cursor += months;
            }
        } else {
            // Studied or travelled first: the career starts at the company.
            cursor += pre_span;
        }
        let roles = 1 + usize::from(tenure >= 36 && rng.chance(0.6)) + usize::from(tenure >= 84 && rng.chance(0.5));
        for months in split_months(rng, tenure, roles, 12) {
            plan.push(PlannedPosition::new(line, cursor, months, true));
            cursor += months;
        }
        let gap = rng.range(0, (since_left - 1).min(4));
        cursor += gap;
        let post_span = since_left - gap;
        let count = 1 + usize::from(post_span >= 36 && rng.chance(0.45));
        let mut previous = line;
        for months in split_months(rng, post_span, count, 1) {
            let experience = (cursor - career_start) as f64 / 12.0;
            let occupation = self.later_occupation(rng, previous, experience, reason);
            plan.push(PlannedPosition::new(occupation, cursor, months, false));
            cursor += months;
            previous = occupation;
        }

        // Seniority steps from experience at the start of each role; each role at
        // the company is a promotion over the one before.
        // A change of field (another ISCO minor group) starts over near the bottom.
        let mut last_company_step: Option<usize> = None;
        let mut previous: Option<usize> = None;
        let occupations = &self.vocab.occupations;
        for p in &mut plan {
            let years = (p.start - career_start) as f64 / 12.0;
            let mut step = match years {
                y if y < 4.0 => 0,
                y if y < 8.0 => 1,
                y if y < 14.0 => 2,
                _ => 3,
            };
            let changed_field = previous.is_some_and(|prev| {
                occupations[prev].isco_minor() != occupations[p.occupation].isco_minor()
                    && !occupations[p.occupation].isco.starts_with('1')
            });
            if changed_field {
                step = step.min(1);
            }
            if p.at_company {
                if let Some(prev) = last_company_step {
                    step = step.max((prev + 1).min(3));
                }
                last_company_step = Some(step);
            }
            p.step = step;
            previous = Some(p.occupation);
        }
        plan
    }

    /// Before the company: the same occupation, a related one or one nearby.
    fn nearby_occupation(&self, rng: &mut Rng, line: usize) -> usize {
        let roll = rng.unit();
        let pick = |rng: &mut Rng, from: &[usize]| rng.pick(from).copied();
        if roll < 0.5 {
            line
        } else if roll < 0.85 {
            pick(rng, &self.related[line]).unwrap_or(line)
        } else {
            pick(rng, &self.family[line]).unwrap_or(line)
        }
    }

    /// After the company: mostly the same line of work, sometimes management or
    /// an executive role for the experienced, sometimes a change of field.
    fn later_occupation(&self, rng: &mut Rng, previous: usize, experience: f64, reason: DepartureReason) -> usize {
        let change = if reason == DepartureReason::CareerChange {
            0.4
        } else {
            0.08
        };
        let department = self.vocab.occupations[previous].department;
        let managers = self.managers.get(department).map_or(&[][..], Vec::as_slice);
        let weights = [
            0.5,
            0.25,
            if experience >= 8.0 && !managers.is_empty() {
                0.12
            } else {
                0.0
            },
            if experience >= 15.0 { 0.05 } else { 0.0 },
            change,
        ];
        let fallback = previous;
        match rng.weighted(&weights) {
            0 => previous,
            1 => rng.pick(&self.related[previous]).copied().unwrap_or(fallback),
            2 => rng.pick(managers).copied().unwrap_or(fallback),
            3 => rng.pick(&self.executives).copied().unwrap_or(fallback),
            _ => rng.pick(&self.line_occupations).copied().unwrap_or(fallback),
        }
    }

    /// The skills a person used in an occupation: drawn once per occupation and
    /// reused when they hold it again, as real people keep their toolset.
    fn skills_for(&self, rng: &mut Rng, book: &mut SkillBook, occupation: usize) -> Vec<SkillRef> {
        if let Some((_, used)) = book.per_occupation.iter().find(|(o, _)| *o == occupation) {
            return used.clone();
        }
        let o = &self.vocab.occupations[occupation];
        let mut used: Vec<SkillRef> = Vec::new();
        let essential = rng.range(3, 6) as usize;
        used.extend(rng.sample(&o.essential, essential).into_iter().map(SkillRef::Esco));
        let optional = rng.range(0, 2) as usize;
        used.extend(rng.sample(&o.optional, optional).into_iter().map(SkillRef::Esco));
        let technologies = rng.range(0, 3) as usize;
        used.extend(
            rng.sample(&o.hot_technologies, technologies)
                .into_iter()
                .map(SkillRef::Technology),
        );
        book.per_occupation.push((occupation, used.clone()));
        used
    }

    /// An occupation's title in the profile's language: a Japanese rendering when
    /// the vocabulary has one, else the English title.
    pub(crate) fn occupation_title(&self, occupation: usize, japanese: bool) -> String {
        let o = &self.vocab.occupations[occupation];
        match o.ja_titles.first() {
            Some(ja) if japanese => ja.clone(),
            _ => self.titles_en[occupation]
                .first()
                .cloned()
                .unwrap_or_else(|| o.title.clone()),
        }
    }

    fn position_title(&self, rng: &mut Rng, occupation: usize, step: usize, japanese: bool) -> String {
        let o = &self.vocab.occupations[occupation];
        let base = match rng.pick(&o.ja_titles) {
            Some(ja) if japanese && rng.chance(0.8) => ja.clone(),
            _ => {
                let titles = &self.titles_en[occupation];
                if titles.len() > 1 && rng.chance(0.3) {
                    titles[1 + rng.below(titles.len() - 1)].clone()
                } else {
                    titles.first().cloned().unwrap_or_else(|| o.title.clone())
                }
            }
        };
        if step == 0 || o.executive {
            return base;
        }
        if japanese {
            return format!("{base}（{}）", JA_RANKS[step.min(3)]);
        }
        let managerial = o.isco.starts_with('1')
            || ["manager", "director", "officer", "head"]
                .iter()
                .any(|w| o.title.contains(w));
        match (managerial, step) {
            (true, 3) => self
                .vocab
                .departments
                .get(o.department)
                .map_or_else(|| format!("Senior {base}"), |d| format!("Head of {}", d.en)),
            (true, _) => format!("Senior {base}"),
            (false, 1) => format!("Senior {base}"),
            (false, 2) => format!("Lead {base}"),
            (false, _) => format!("Principal {base}"),
        }
    }

    pub(crate) fn skill_name(&self, rng: &mut Rng, r: SkillRef, japanese: bool) -> String {
        match r {
            SkillRef::Esco(s) => self
                .vocab
                .skills
                .get(s)
                .map_or_else(String::new, |skill| match &skill.ja {
                    Some(ja) if japanese && rng.chance(0.75) => ja.clone(),
                    _ => skill.name().to_owned(),
                }),
            SkillRef::Technology(t) => self
                .vocab
                .technologies
                .get(t)
                .map_or_else(String::new, |t| t.name.clone()),
        }
    }

    /// Whether a skill names a thing (a field of knowledge or a technology) rather
    /// than a task: ESCO's skill/competence labels are verb phrases ("debug
    /// software") and read wrongly where a noun belongs.
    pub(crate) fn is_noun(&self, r: SkillRef) -> bool {
        match r {
            SkillRef::Esco(s) => self.vocab.skills.get(s).is_some_and(|k| k.knowledge),
            SkillRef::Technology(_) => true,
        }
    }

    fn position_description(&self, rng: &mut Rng, used: &[SkillRef], department: &str, japanese: bool) -> String {
        let picked = rng.sample(used, 3);
        let (mut tasks, mut things) = (Vec::new(), Vec::new());
        for &r in &picked {
            let name = self.skill_name(rng, r, japanese);
            if self.is_noun(r) {
                things.push(name);
            } else {
                tasks.push(name);
            }
        }
        let tasks: Vec<&str> = tasks.iter().map(String::as_str).collect();
        let things: Vec<&str> = things.iter().map(String::as_str).collect();
        let in_team = !department.is_empty() && rng.chance(0.5);
        let mut out = String::new();
        if japanese {
            if in_team {
                out.push_str(&format!("{department}に所属。"));
            }
            if !tasks.is_empty() {
                out.push_str(&format!("担当業務：{}。", join_ja(&tasks)));
            }
            if !things.is_empty() {
                out.push_str(&format!("使用技術・知識：{}。", join_ja(&things)));
            }
        } else {
            let mut sentences: Vec<String> = Vec::new();
            if in_team {
                sentences.push(format!("Member of the {department} team."));
            }
            if !tasks.is_empty() {
                sentences.push(format!("Responsibilities: {}.", tasks.join("; ")));
            }
            if !things.is_empty() {
                sentences.push(format!("Worked with {}.", join_en(&things)));
            }
            out = sentences.join(" ");
        }
        out
    }

    fn headline(&self, rng: &mut Rng, title: &str, org: &str, things: &[String], japanese: bool) -> String {
        let top: Vec<&str> = things.iter().take(2).map(String::as_str).collect();
        match (rng.below(3), japanese) {
            (0, false) => format!("{title} at {org}"),
            (0, true) => format!("{org}で{title}として勤務"),
            (1, false) if !top.is_empty() => format!("{title} | {}", top.join(", ")),
            (1, true) if !top.is_empty() => format!("{title}｜{}", top.join("・")),
            (_, false) => title.to_owned(),
            (_, true) => format!("{title}（{org}）"),
        }
    }

    /// Opt-ins, a statement and topics; `things` are the profile's fields and
    /// technologies, most used first.
    fn interests(
        &self,
        rng: &mut Rng,
        open_to: Vec<OpportunityKind>,
        things: &[String],
        facts: StatementFacts<'_>,
        japanese: bool,
    ) -> Interests {
        let top: Vec<&str> = things.iter().take(6).map(String::as_str).collect();
        let wants_topics = open_to.contains(&OpportunityKind::Mentoring)
            || open_to.contains(&OpportunityKind::Partnership)
            || rng.chance(0.3);
        let topics: Vec<String> = if wants_topics && !top.is_empty() {
            let n = rng.range(1, 4) as usize;
            rng.sample(&top, n).into_iter().map(str::to_owned).collect()
        } else {
            Vec::new()
        };
        let statement = if !open_to.is_empty() && rng.chance(0.75) {
            self.statement(rng, &open_to, &top, &facts, japanese)
        } else {
            String::new()
        };
        Interests {
            open_to,
            statement,
            topics,
        }
    }

    fn statement(
        &self,
        rng: &mut Rng,
        open_to: &[OpportunityKind],
        top: &[&str],
        facts: &StatementFacts<'_>,
        japanese: bool,
    ) -> String {
        // Without a field or technology on the profile, the occupation stands in.
        let field = facts.field.as_str();
        let skill = |rng: &mut Rng| rng.pick(top).copied().unwrap_or(field);
        let company = self.vocab.company.get(japanese);
        let mut parts: Vec<String> = Vec::with_capacity(open_to.len() + 2);
        let years = facts.tenure_years;
        let department = facts.department;
        if japanese {
            parts.push(format!("{company}の{department}に{years}年在籍しました。"));
        } else {
            let unit = if years == 1 { "year" } else { "years" };
            parts.push(format!("I spent {years} {unit} in {department} at {company}."));
        }
        for kind in open_to {
            let s = skill(rng);
            parts.push(match (kind, japanese) {
                (OpportunityKind::Rehire, false) => {
                    format!("I would consider coming back for a role involving {s}.")
                }
                (OpportunityKind::Rehire, true) => {
                    format!("{s}に関わるポジションでの復帰も検討しています。")
                }
                (OpportunityKind::Referral, false) => {
                    format!("Happy to refer people I know who work as {}.", facts.field)
                }
                (OpportunityKind::Referral, true) => {
                    format!("{}として働く知人を紹介できます。", facts.field)
                }
                (OpportunityKind::Mentoring, false) => format!("I enjoy mentoring on {s}."),
                (OpportunityKind::Mentoring, true) => format!("{s}についてメンタリングできます。"),
                (OpportunityKind::Partnership, false) => {
                    format!("At {} we are open to partnering on {s}.", facts.current_org)
                }
                (OpportunityKind::Partnership, true) => {
                    format!("現在の{}で{s}分野の協業先を探しています。", facts.current_org)
                }
            });
        }
        if japanese
            && rng.chance(0.3)
            && let Some(university) = rng.pick(&self.vocab.universities)
        {
            parts.insert(0, format!("{university}卒業。"));
        }
        if japanese { parts.concat() } else { parts.join(" ") }
    }

    fn preferences(&self, rng: &mut Rng, open_to: &[OpportunityKind], seniority: f64, japanese: bool) -> Preferences {
        let side = open_to.contains(&OpportunityKind::Mentoring) || open_to.contains(&OpportunityKind::Partnership);
        let mut employment_types = Vec::new();
        if !rng.chance(0.1) {
            let full_time = if open_to.contains(&OpportunityKind::Rehire) {
                0.75
            } else {
                0.4
            };
            let options = [
                (EmploymentType::FullTime, full_time),
                (EmploymentType::PartTime, 0.12),
                (EmploymentType::Contract, 0.2),
                (EmploymentType::SideJob, if side { 0.45 } else { 0.25 }),
                (EmploymentType::Freelance, 0.12 + 0.1 * seniority),
            ];
            employment_types = options
                .into_iter()
                .filter(|(_, p)| rng.chance(*p))
                .map(|(t, _)| t)
                .collect();
        }
        let mut work_modes = Vec::new();
        if !rng.chance(0.1) {
            work_modes = [
                (WorkMode::Onsite, 0.35),
                (WorkMode::Hybrid, 0.7),
                (WorkMode::Remote, 0.55),
            ]
            .into_iter()
            .filter(|(_, p)| rng.chance(*p))
            .map(|(m, _)| m)
            .collect();
        }
        let count = rng.range(0, 3) as usize;
        let cities: Vec<usize> = (0..self.vocab.cities.len()).collect();
        let locations = rng
            .sample(&cities, count)
            .into_iter()
            .map(|c| {
                let city = &self.vocab.cities[c];
                city.get(japanese && rng.chance(0.8)).to_owned()
            })
            .collect();
        Preferences {
            employment_types,
            work_modes,
            locations,
        }
    }

    fn engagement(&self, rng: &mut Rng, open_to: &[OpportunityKind]) -> Engagement {
        // Most alumni were active recently; a long tail has gone quiet.
        let days_ago = (730.0 * rng.unit().powi(2)) as i64;
        let seconds = self.as_of_seconds - days_ago * SECONDS_PER_DAY - rng.range(0, SECONDS_PER_DAY - 1);
        let events_attended_12m = if days_ago < 365 { geometric(rng, 0.45, 12) } else { 0 };
        let referrals_made = if open_to.contains(&OpportunityKind::Referral) {
            geometric(rng, 0.6, 10)
        } else {
            u32::from(rng.chance(0.05))
        };
        Engagement {
            last_active_at: Some(Timestamp { seconds, nanos: 0 }),
            events_attended_12m,
            referrals_made,
        }
    }
}

/// Alumnus number `i` of the data set `config` describes.
///
/// Convenience for one-off use: it checks and indexes the vocabulary on every
/// call, so loops should build a [`Generator`] once and call [`Generator::alumnus`].
pub fn alumnus(vocab: &Vocabulary, config: &GenConfig, i: usize) -> Result<GeneratedAlumnus, GenError> {
    Ok(Generator::new(vocab, config)?.alumnus(i))
}

/// One planned role.
#[derive(Debug, Clone)]
struct PlannedPosition {
    occupation: usize,
    /// Month index of the first month.
    start: i64,
    /// Length in months, at least 1.
    months: i64,
    at_company: bool,
    /// Seniority step, 0 to 3.
    step: usize,
}

impl PlannedPosition {
    fn new(occupation: usize, start: i64, months: i64, at_company: bool) -> Self {
        Self {
            occupation,
            start,
            months: months.max(1),
            at_company,
            step: 0,
        }
    }
}

/// What the statement templates refer to.
struct StatementFacts<'a> {
    tenure_years: i64,
    department: &'a str,
    current_org: &'a str,
    field: String,
}

/// Skills used so far, with months of use and the last year used.
#[derive(Debug, Default)]
struct SkillBook {
    per_occupation: Vec<(usize, Vec<SkillRef>)>,
    uses: Vec<(SkillRef, i64, u16)>,
}

impl SkillBook {
    fn add_use(&mut self, r: SkillRef, months: i64, year: u16) {
        match self.uses.iter_mut().find(|(x, _, _)| *x == r) {
            Some((_, total, last)) => {
                *total += months;
                *last = (*last).max(year);
            }
            None => self.uses.push((r, months, year)),
        }
    }

    /// Profile skills, longest used first, named in the profile's language, each
    /// with whether it names a thing (see [`Generator::is_noun`]).
    fn into_profile(mut self, generator: &Generator<'_>, rng: &mut Rng, japanese: bool) -> Vec<(Skill, bool)> {
        self.uses.sort_by_key(|u| std::cmp::Reverse(u.1));
        self.uses.truncate(MAX_PROFILE_SKILLS);
        let mut seen: Vec<String> = Vec::with_capacity(self.uses.len());
        let mut out = Vec::with_capacity(self.uses.len());
        for (r, months, last) in self.uses {
            let name = generator.skill_name(rng, r, japanese);
            // Two sources can name one skill alike; a profile lists it once.
            if name.is_empty() || seen.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                continue;
            }
            seen.push(name.clone());
            let years = ((months as f32 / 6.0).round() / 2.0).clamp(0.5, 60.0);
            out.push((
                Skill {
                    name,
                    years,
                    last_used_year: Some(last),
                    level: skill_level(rng, years),
                },
                generator.is_noun(r),
            ));
        }
        out
    }
}

/// Proficiency grows with years; some people do not say, some rate themselves a
/// step higher or lower than their years suggest.
fn skill_level(rng: &mut Rng, years: f32) -> Option<SkillLevel> {
    const LEVELS: [SkillLevel; 4] = [
        SkillLevel::Beginner,
        SkillLevel::Intermediate,
        SkillLevel::Advanced,
        SkillLevel::Expert,
    ];
    if rng.chance(0.15) {
        return None;
    }
    let base: usize = match years {
        y if y < 1.0 => 0,
        y if y < 4.0 => 1,
        y if y < 10.0 => 2,
        _ => 3,
    };
    let level = match rng.below(10) {
        0 => base.saturating_sub(1),
        1 => (base + 1).min(3),
        _ => base,
    };
    Some(LEVELS[level])
}

/// Reasons for leaving, with UNDISCLOSED common as in real exit data.
fn departure_reason(rng: &mut Rng) -> DepartureReason {
    const REASONS: [(DepartureReason, f64); 9] = [
        (DepartureReason::Undisclosed, 22.0),
        (DepartureReason::CareerChange, 30.0),
        (DepartureReason::Relocation, 8.0),
        (DepartureReason::Family, 7.0),
        (DepartureReason::Study, 5.0),
        (DepartureReason::Compensation, 12.0),
        (DepartureReason::Retirement, 3.0),
        (DepartureReason::ContractEnd, 5.0),
        (DepartureReason::Other, 8.0),
    ];
    let weights: Vec<f64> = REASONS.iter().map(|r| r.1).collect();
    REASONS[rng.weighted(&weights)].0
}

/// Kinds opted in to: senior people more often offer mentoring and partnership;
/// some opt in to nothing.
fn open_to(rng: &mut Rng, rehire_eligible: bool, seniority: f64) -> Vec<OpportunityKind> {
    let p = |kind| match kind {
        OpportunityKind::Rehire => {
            if rehire_eligible {
                0.5
            } else {
                0.2
            }
        }
        OpportunityKind::Referral => 0.5,
        OpportunityKind::Mentoring => 0.15 + 0.45 * seniority,
        OpportunityKind::Partnership => 0.08 + 0.35 * seniority,
    };
    OpportunityKind::ALL
        .into_iter()
        .filter(|&kind| rng.chance(p(kind)))
        .collect()
}

/// Splits `total` months into `count` parts of at least `min` months each
/// (fewer parts when `total` is too short).
fn split_months(rng: &mut Rng, total: i64, count: usize, min: i64) -> Vec<i64> {
    let count = count.clamp(1, (total / min.max(1)).max(1) as usize);
    let spare = (total - min * count as i64).max(0);
    let weights: Vec<f64> = (0..count).map(|_| 0.2 + rng.unit()).collect();
    let sum: f64 = weights.iter().sum();
    let mut parts: Vec<i64> = weights.iter().map(|w| min + (spare as f64 * w / sum) as i64).collect();
    let assigned: i64 = parts.iter().sum();
    if let Some(last) = parts.last_mut() {
        *last += total - assigned;
    }
    parts
}

/// Failures before the first success with success probability `p`, at most `cap`.
fn geometric(rng: &mut Rng, p: f64, cap: u32) -> u32 {
    let mut n = 0;
    while n < cap && !rng.chance(p) {
        n += 1;
    }
    n
}

/// A month index as a date; `day` `Some(u8::MAX)` means the month's last day.
pub(crate) fn month_to_date(index: i64, day: Option<u8>) -> PartialDate {
    let year = index.div_euclid(12).clamp(1900, 2200) as u16;
    let month = (index.rem_euclid(12) + 1) as u8;
    let day = day.map(|d| {
        let last = time::Month::try_from(month)
            .map(|m| m.length(i32::from(year)))
            .unwrap_or(28);
        d.clamp(1, last)
    });
    PartialDate { year, month, day }
}
