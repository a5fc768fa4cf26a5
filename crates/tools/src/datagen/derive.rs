//! Deriving `data/vocab/vocabulary.json` from the real data.
//!
//! Every choice is a fixed rule over the sources, so the same inputs always give
//! the same bytes: which ISCO groups a large technology and manufacturing company
//! employs (a table below), which occupations in each group are most common (those
//! whose ESCO title O*NET also uses), which skills are the short concrete ones, and
//! which Japanese spellings the Sudachi dictionary pairs with English terms.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    fs,
    path::Path,
};

use super::{
    GenError,
    sources::{Esco, EscoOccupation, EscoSkill, Mimesis, Onet, SourcePaths, TitleSource},
    sudachi::{Rendering, Synonyms},
    vocab::{
        LocalizedName, Names, Occupation, OrganizationPattern, Technology, VOCABULARY_FORMAT, VocabSkill, Vocabulary,
    },
};
use crate::taxonomy::normalize;

/// Credit lines required by the sources' licences.
pub const ATTRIBUTION: [&str; 4] = [
    "ESCO, European Skills, Competences, Qualifications and Occupations, European Commission \
     (ESCO v1.1.1, https://esco.ec.europa.eu), licensed under CC BY 4.0. Selected and \
     reformatted by alumni-match.",
    "This file includes information from the O*NET 29.2 Database by the U.S. Department of \
     Labor, Employment and Training Administration (USDOL/ETA), used under the CC BY 4.0 \
     license. O*NET(R) is a trademark of USDOL/ETA. alumni-match has modified all or some of \
     this information. USDOL/ETA has not approved, endorsed, or tested these modifications.",
    "Sudachi synonym dictionary (v18), Copyright (c) Works Applications Co., Ltd., licensed \
     under the Apache License 2.0.",
    "mimesis Japanese person data, Copyright (c) 2016-Present Isaak Uchakaev (Likid \
     Geimfari), licensed under the MIT License.",
];

/// The fictional company that runs the alumni programme.
const COMPANY: (&str, &str) = ("Asterwood Technologies", "アスターウッド・テクノロジーズ株式会社");

/// Departments of the fictional company (hand-written: the data names none).
const DEPARTMENTS: [(&str, &str); 17] = [
    ("Executive Office", "経営企画室"),
    ("Finance and Accounting", "経理財務部"),
    ("Human Resources", "人事部"),
    ("Corporate Planning", "経営企画部"),
    ("General Affairs", "総務部"),
    ("Sales", "営業本部"),
    ("Marketing", "マーケティング部"),
    ("Corporate Communications", "広報部"),
    ("Research and Development", "研究開発本部"),
    ("Manufacturing", "製造本部"),
    ("Procurement and Logistics", "購買物流部"),
    ("Information Systems", "情報システム部"),
    ("Engineering", "技術本部"),
    ("Design", "デザイン部"),
    ("Software Development", "ソフトウェア開発部"),
    ("Digital Transformation", "DX推進部"),
    ("Legal", "法務部"),
];

/// Index of the marketing department in [`DEPARTMENTS`].
const MARKETING: usize = 6;

/// Which ISCO-08 unit groups the company employs, how many occupations to keep from
/// each, and the department they work in. Caps keep the mix like a large
/// technology and manufacturing group's workforce: more software and engineering
/// occupations than legal ones.
const GROUPS: &[(&str, usize, usize)] = &[
    ("1120", 2, 0),
    ("1211", 3, 1),
    ("1212", 1, 2),
    ("1213", 3, 3),
    ("1219", 3, 4),
    ("1221", 5, 5),
    ("1222", 3, 7),
    ("1223", 4, 8),
    ("1321", 3, 9),
    ("1324", 4, 10),
    ("1330", 8, 11),
    ("2120", 2, 8),
    ("2141", 5, 9),
    ("2144", 4, 12),
    ("2149", 5, 8),
    ("2151", 3, 12),
    ("2152", 4, 12),
    ("2153", 2, 12),
    ("2163", 1, 13),
    ("2166", 3, 13),
    ("2411", 5, 1),
    ("2412", 2, 1),
    ("2413", 3, 1),
    ("2421", 4, 3),
    ("2423", 3, 2),
    ("2424", 2, 2),
    ("2431", 6, 6),
    ("2432", 2, 7),
    ("2433", 4, 5),
    ("2434", 4, 5),
    ("2511", 10, 15),
    ("2512", 6, 14),
    ("2513", 4, 14),
    ("2514", 3, 14),
    ("2519", 5, 14),
    ("2521", 3, 15),
    ("2522", 3, 11),
    ("2523", 3, 11),
    ("2529", 6, 11),
    ("2611", 2, 16),
    ("2619", 3, 16),
    ("3313", 2, 1),
    ("3322", 1, 5),
    ("3323", 2, 10),
    ("3332", 1, 7),
    ("3343", 3, 4),
    ("3512", 3, 11),
    ("3513", 1, 11),
    ("3514", 1, 14),
    ("4110", 1, 4),
    ("4311", 1, 1),
];

/// Occupations in the chosen groups that such a company does not employ (public
/// office, courts, weddings, farming, nuclear plants…), by ESCO preferred label.
const EXCLUDED: &[&str] = &[
    "agricultural engineer",
    "airport chief executive",
    "animal facility manager",
    "career guidance advisor",
    "coroner",
    "costume designer",
    "court reporter",
    "fashion designer",
    "flight test engineer",
    "fundraising manager",
    "mediator",
    "nuclear engineer",
    "numerical tool and process control programmer",
    "ombudsman",
    "prosecutor",
    "social entrepreneur",
    "substation engineer",
    "volunteer manager",
    "wedding planner",
];

/// Places offered as work locations, in English; each is kept only when Sudachi
/// pairs it with a Japanese place name.
const CITIES: &[&str] = &[
    "Tokyo",
    "Osaka",
    "Yokohama",
    "Nagoya",
    "Kyoto",
    "Kobe",
    "Fukuoka",
    "Sapporo",
    "Sendai",
    "Hiroshima",
    "Singapore",
    "London",
    "San Francisco",
    "New York",
];

/// Synthetic organisation name parts (hand-written: the data names no employers).
const ORG_EN_STEMS: &[&str] = &[
    "Ashgrove",
    "Bluefield",
    "Brightwater",
    "Cedarline",
    "Clearpath",
    "Copperleaf",
    "Eastgate",
    "Fernhill",
    "Goldcrest",
    "Greystone",
    "Harborlight",
    "Ironbridge",
    "Lakemont",
    "Maplebrook",
    "Northwind",
    "Oakridge",
    "Pinecrest",
    "Quarryhill",
    "Riverbend",
    "Silverpeak",
    "Stonefield",
    "Sunmoor",
    "Westbrook",
    "Willowmere",
];
const ORG_EN_SUFFIXES: &[&str] = &[
    "Systems",
    "Trading",
    "Consulting",
    "Labs",
    "Partners",
    "Industries",
    "Networks",
    "Solutions",
    "Analytics",
    "Logistics",
    "Engineering",
    "Holdings",
];
const ORG_JA_SUFFIXES: &[&str] = &[
    "システムズ",
    "商事",
    "コンサルティング",
    "工業",
    "電機",
    "ソリューションズ",
    "物産",
    "技研",
    "ネットワークス",
    "製作所",
];

/// Occupations need this many essential skills to support 3–6 required skills.
const MIN_ESSENTIAL: usize = 5;
/// Most essential, and separately optional, skills kept per occupation.
const MAX_SKILLS_PER_KIND: usize = 12;
/// Skill labels longer than this read as sentences, not skills.
const MAX_SKILL_CHARS: usize = 50;
const MAX_SKILL_WORDS: usize = 5;
/// Alternative titles kept per occupation.
const MAX_ALT_TITLES: usize = 4;
const MAX_TITLE_CHARS: usize = 50;
/// Hot technologies kept per occupation.
const MAX_HOT_TECHNOLOGIES: usize = 10;

/// What a vocabulary build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabularyStats {
    /// Occupations kept.
    pub occupations: usize,
    /// Distinct ISCO minor groups among them.
    pub minor_groups: usize,
    /// Occupations joined to an O*NET occupation.
    pub onet_joined: usize,
    /// Occupations with at least one Japanese title.
    pub ja_titles: usize,
    /// Distinct skills referenced.
    pub skills: usize,
    /// Skills with a Japanese rendering.
    pub ja_skills: usize,
    /// Distinct technologies referenced.
    pub technologies: usize,
    /// Bytes written.
    pub bytes: usize,
}

/// Reads the real data under `shared_data_dir` (ESCO, O*NET, Sudachi, mimesis) and
/// writes the generator's vocabulary to `out_file` as compact, deterministic JSON.
pub fn build_vocabulary(shared_data_dir: &Path, out_file: &Path) -> Result<VocabularyStats, GenError> {
    let vocabulary = derive_vocabulary(shared_data_dir)?;
    let mut json = serde_json::to_string(&vocabulary).map_err(|source| GenError::Json {
        path: out_file.display().to_string(),
        source,
    })?;
    json.push('\n');
    if let Some(parent) = out_file.parent() {
        fs::create_dir_all(parent).map_err(|source| GenError::Io {
            path: parent.display().to_string(),
            source,
        })?;
    }
    fs::write(out_file, &json).map_err(|source| GenError::Io {
        path: out_file.display().to_string(),
        source,
    })?;
    let minor_groups: BTreeSet<&str> = vocabulary.occupations.iter().map(Occupation::isco_minor).collect();
    let stats = VocabularyStats {
        occupations: vocabulary.occupations.len(),
        minor_groups: minor_groups.len(),
        onet_joined: vocabulary.occupations.iter().filter(|o| o.onet.is_some()).count(),
        ja_titles: vocabulary
            .occupations
            .iter()
            .filter(|o| !o.ja_titles.is_empty())
            .count(),
        skills: vocabulary.skills.len(),
        ja_skills: vocabulary.skills.iter().filter(|s| s.ja.is_some()).count(),
        technologies: vocabulary.technologies.len(),
        bytes: json.len(),
    };
    tracing::info!(?stats, path = %out_file.display(), "vocabulary written");
    Ok(stats)
}

/// The vocabulary as [`build_vocabulary`] would write it.
pub(crate) fn derive_vocabulary(shared_data_dir: &Path) -> Result<Vocabulary, GenError> {
    let paths = SourcePaths::new(shared_data_dir);
    let esco = Esco::load(&paths.esco)?;
    let onet = Onet::load(&paths.onet)?;
    let synonyms = Synonyms::load(&paths.sudachi)?;
    let mimesis = Mimesis::load(&paths.mimesis)?;

    let candidates: Vec<&EscoOccupation> = {
        let groups: HashSet<&str> = GROUPS.iter().map(|g| g.0).collect();
        esco.occupations
            .iter()
            .filter(|o| groups.contains(o.isco.as_str()) && !EXCLUDED.contains(&o.label.as_str()))
            .collect()
    };
    // Skills are also read for every ESCO occupation in the same ISCO minor
    // groups: how widely a skill is used across a group ranks optional skills.
    let minors: HashSet<&str> = GROUPS.iter().map(|g| &g.0[..3]).collect();
    let group_members: Vec<&EscoOccupation> = esco
        .occupations
        .iter()
        .filter(|o| o.isco.get(..3).is_some_and(|m| minors.contains(m)))
        .collect();
    let uris: HashSet<&str> = group_members.iter().map(|o| o.uri.as_str()).collect();
    let relations = super::sources::occupation_skills(&paths.esco, &uris)?;
    let mut spread_in_group: HashMap<(&str, &str), usize> = HashMap::new();
    for o in &group_members {
        if let Some((essential, optional)) = relations.get(&o.uri) {
            let skills: HashSet<&str> = essential.iter().chain(optional).map(String::as_str).collect();
            for skill in skills {
                *spread_in_group.entry((&o.isco[..3], skill)).or_default() += 1;
            }
        }
    }
    let onet_names: HashSet<String> = onet
        .technologies
        .values()
        .flatten()
        .map(|t| normalize(&t.example))
        .collect();

    let technology_spread = technology_spread(&onet);
    let mut skill_ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut skill_list: Vec<(String, &EscoSkill)> = Vec::new();
    let mut tech_ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut tech_list: Vec<Technology> = Vec::new();
    let mut occupations = Vec::new();

    for &(isco, cap, department) in GROUPS {
        let mut ranked: Vec<(OccupationRank, &EscoOccupation, Vec<&str>, Vec<&str>)> = candidates
            .iter()
            .filter(|o| o.isco == isco)
            .filter_map(|o| {
                let (essential, optional) = relations.get(&o.uri)?;
                let essential = pick_skills(&esco, essential, &[], |_| (0, false));
                let minor = &o.isco[..3];
                let optional = pick_skills(&esco, optional, &essential, |(uri, skill)| {
                    let spread = spread_in_group.get(&(minor, uri)).copied().unwrap_or(0);
                    let in_onet = display_label(skill)
                        .map(|d| normalize(&d))
                        .into_iter()
                        .chain([normalize(&skill.label)])
                        .any(|n| onet_names.contains(&n));
                    (spread, in_onet)
                });
                (essential.len() >= MIN_ESSENTIAL).then(|| (OccupationRank::of(o, &onet), *o, essential, optional))
            })
            .collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, o, essential, optional) in ranked.into_iter().take(cap) {
            let mut intern_skill = |uri: &str| -> Option<usize> {
                if let Some(&id) = skill_ids.get(uri) {
                    return Some(id);
                }
                let skill = esco.skills.get(uri)?;
                let id = skill_list.len();
                skill_ids.insert(uri.to_owned(), id);
                skill_list.push((uri.to_owned(), skill));
                Some(id)
            };
            let essential: Vec<usize> = essential.iter().filter_map(|u| intern_skill(u)).collect();
            let optional: Vec<usize> = optional.iter().filter_map(|u| intern_skill(u)).collect();
            let onet_code = join_onet(o, &onet);
            let hot_technologies = onet_code
                .as_deref()
                .map(|code| hot_technologies(&onet, code, &technology_spread))
                .unwrap_or_default()
                .into_iter()
                .map(|t| {
                    *tech_ids.entry(t.name.clone()).or_insert_with(|| {
                        tech_list.push(t);
                        tech_list.len() - 1
                    })
                })
                .collect();
            let alt_titles = alt_titles(o, &onet);
            let ja_titles = ja_titles(o, &alt_titles, &synonyms, &mimesis.occupation);
            occupations.push(Occupation {
                id: o.code.clone(),
                uri: o.uri.clone(),
                isco: o.isco.clone(),
                title: o.label.clone(),
                alt_titles,
                ja_titles,
                // Marketing managers sit in ISCO's sales-and-marketing group
                // but in the company's marketing department.
                department: if o.label.contains("marketing") {
                    MARKETING
                } else {
                    department
                },
                executive: o.isco == "1120" || o.label.starts_with("chief "),
                essential,
                optional,
                onet: onet_code,
                hot_technologies,
            });
        }
    }

    // Skills and technologies were numbered in encounter order; renumber them in
    // label order so the file reads sorted and diffs stay small.
    let skills = renumber(&mut occupations, skill_list, |(_, s)| s.label.clone(), skill_fields);
    let skills = skills
        .into_iter()
        .map(|(_, s)| {
            let display = display_label(s);
            let ja = skill_japanese(display.as_deref().unwrap_or(&s.label), &synonyms);
            VocabSkill {
                label: s.label.clone(),
                display,
                ja,
                knowledge: s.knowledge,
            }
        })
        .collect();
    let technologies = renumber(&mut occupations, tech_list, |t| t.name.clone(), technology_fields);
    occupations.sort_by(|a, b| (&a.isco, &a.title).cmp(&(&b.isco, &b.title)));

    let mut isco_groups = BTreeMap::new();
    for o in &occupations {
        for code in [o.isco.as_str(), o.isco_minor()] {
            if let Some(label) = esco.isco_labels.get(code) {
                isco_groups.insert(code.to_owned(), label.clone());
            }
        }
    }

    Ok(Vocabulary {
        format: VOCABULARY_FORMAT,
        attribution: ATTRIBUTION.iter().map(|s| (*s).to_owned()).collect(),
        company: LocalizedName {
            en: COMPANY.0.into(),
            ja: COMPANY.1.into(),
        },
        isco_groups,
        departments: DEPARTMENTS
            .iter()
            .map(|(en, ja)| LocalizedName {
                en: (*en).into(),
                ja: (*ja).into(),
            })
            .collect(),
        occupations,
        skills,
        technologies,
        names: Names {
            surnames: dedup(&mimesis.surnames),
            female: dedup(&mimesis.names.female),
            male: dedup(&mimesis.names.male),
        },
        universities: dedup(&mimesis.university),
        cities: cities(&synonyms),
        organizations: OrganizationPattern {
            en_stems: ORG_EN_STEMS.iter().map(|s| (*s).into()).collect(),
            en_suffixes: ORG_EN_SUFFIXES.iter().map(|s| (*s).into()).collect(),
            ja_suffixes: ORG_JA_SUFFIXES.iter().map(|s| (*s).into()).collect(),
        },
    })
}

/// Orders occupations within an ISCO group, most common first.
///
/// Commonness comes from O*NET: an ESCO title that is also an O*NET occupation
/// title beats one that workers reported, which beats an O*NET alternate title,
/// which beats a match on an ESCO alternative label only. Ties go to the title
/// matched by more O*NET lists, then to the shorter, more general title.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct OccupationRank {
    tier: u8,
    fewer_matches: std::cmp::Reverse<usize>,
    words: usize,
    label: String,
}

impl OccupationRank {
    fn of(o: &EscoOccupation, onet: &Onet) -> Self {
        let label = normalize(&o.label);
        let tier = onet
            .titles
            .get(&label)
            .and_then(|hits| hits.iter().map(|(source, _)| *source as u8).min())
            .unwrap_or_else(|| {
                if o.alt_labels.iter().any(|a| onet.titles.contains_key(&normalize(a))) {
                    3
                } else {
                    4
                }
            });
        let matches = std::iter::once(&o.label)
            .chain(&o.alt_labels)
            .map(|l| normalize(l))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|l| onet.titles.contains_key(l))
            .count();
        Self {
            tier,
            fewer_matches: std::cmp::Reverse(matches),
            words: o.label.split_whitespace().count(),
            label: o.label.to_lowercase(),
        }
    }
}

/// Ranking key for one skill: (how many occupations of the ISCO minor group use
/// it, whether O*NET names it as a technology).
type Prominence = (usize, bool);

/// The short, concrete skills of an occupation: labels that read like a skill
/// on a profile ("Python", "project management") rather than a task description.
/// Transversal soft skills go last; then `prominence` decides (used for optional
/// skills, where ESCO lists hundreds, so that "swim" does not outrank what the
/// whole group uses); then fewest words and characters.
fn pick_skills<'a>(
    esco: &Esco,
    uris: &'a [String],
    exclude: &[&str],
    prominence: impl Fn((&str, &EscoSkill)) -> Prominence,
) -> Vec<&'a str> {
    type Key = (bool, std::cmp::Reverse<Prominence>, usize, usize, String);
    let mut ranked: Vec<(Key, &str)> = uris
        .iter()
        .filter(|u| !exclude.contains(&u.as_str()))
        .filter_map(|u| {
            let s = esco.skills.get(u)?;
            let chars = s.label.chars().count();
            let words = s.label.split_whitespace().count();
            (chars <= MAX_SKILL_CHARS && words <= MAX_SKILL_WORDS).then(|| {
                let key = (
                    s.transversal,
                    std::cmp::Reverse(prominence((u.as_str(), s))),
                    words,
                    chars,
                    s.label.to_lowercase(),
                );
                (key, u.as_str())
            })
        })
        .collect();
    ranked.sort();
    ranked.dedup_by(|a, b| a.1 == b.1);
    ranked.into_iter().take(MAX_SKILLS_PER_KIND).map(|(_, u)| u).collect()
}

/// The Japanese for a skill: the representative of the Sudachi group holding its
/// English name. Names ESCO capitalises are proper names (Java, COBOL, SAP), which
/// Japanese writers keep in Latin script, so they get none.
fn skill_japanese(name: &str, synonyms: &Synonyms) -> Option<String> {
    if name.chars().next().is_some_and(char::is_uppercase) {
        return None;
    }
    synonyms.japanese(name, Rendering::Representative).map(str::to_owned)
}

/// ESCO qualifies ambiguous names ("Python (computer programming)"); the plain
/// name is what people write, and it is used when ESCO lists it as an alternative.
fn display_label(s: &EscoSkill) -> Option<String> {
    let (head, _) = s.label.split_once(" (")?;
    let head = head.trim();
    s.alt_labels
        .iter()
        .find(|a| a.eq_ignore_ascii_case(head))
        .map(|a| a.trim().to_owned())
}

/// The O*NET occupation an ESCO occupation's titles point to, if any.
///
/// Each distinct ESCO label equal to an O*NET title is evidence for that title's
/// O*NET codes: the preferred label counts two, an alternative one. A code needs
/// evidence of at least two, so a single alternative label shared with an
/// unrelated O*NET title ("CISO" under an administrator) links nothing. Ties go
/// to the stronger O*NET list (occupation title, then reported, then alternate
/// title), then to the lower code, so the choice is stable.
pub(crate) fn join_onet(o: &EscoOccupation, onet: &Onet) -> Option<String> {
    let own = normalize(&o.label);
    let mut labels: BTreeMap<String, u32> = BTreeMap::new();
    labels.insert(own.clone(), 2);
    for a in &o.alt_labels {
        labels.entry(normalize(a)).or_insert(1);
    }
    // code -> (evidence, strength of the lists it came from)
    let mut votes: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for (label, weight) in &labels {
        let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
        for (source, code) in onet.titles.get(label).into_iter().flatten() {
            let strength = match source {
                TitleSource::Occupation => 4,
                TitleSource::Reported => 2,
                TitleSource::Alternate => 1,
            };
            let s = seen.entry(code.as_str()).or_default();
            *s = (*s).max(strength);
        }
        for (code, strength) in seen {
            let v = votes.entry(code).or_default();
            v.0 += weight;
            v.1 += weight * strength;
        }
    }
    let best = votes.values().copied().filter(|v| v.0 >= 2).max()?;
    votes
        .into_iter()
        .find(|&(_, v)| v == best)
        .map(|(code, _)| code.to_owned())
}

/// How many O*NET occupations list each technology: widely listed ones (office
/// suites, e-mail) say little about an occupation.
fn technology_spread(onet: &Onet) -> HashMap<&str, usize> {
    let mut spread = HashMap::new();
    for techs in onet.technologies.values() {
        for t in techs {
            *spread.entry(t.example.as_str()).or_default() += 1;
        }
    }
    spread
}

/// An O*NET occupation's hot technologies: in-demand ones first, then the most
/// specific to few occupations, then by name.
fn hot_technologies(onet: &Onet, code: &str, spread: &HashMap<&str, usize>) -> Vec<Technology> {
    let mut hot: Vec<_> = onet
        .technologies
        .get(code)
        .into_iter()
        .flatten()
        .filter(|t| t.hot)
        .collect();
    hot.sort_by_key(|t| {
        (
            !t.in_demand,
            spread.get(t.example.as_str()).copied().unwrap_or(0),
            t.example.to_lowercase(),
        )
    });
    hot.dedup_by(|a, b| a.example == b.example);
    hot.into_iter()
        .take(MAX_HOT_TECHNOLOGIES)
        .map(|t| Technology {
            name: t.example.clone(),
            commodity: t.commodity.clone(),
        })
        .collect()
}

/// A few ESCO alternative titles that read as job titles: those O*NET also uses
/// first (they are titles people hold), then the shortest.
fn alt_titles(o: &EscoOccupation, onet: &Onet) -> Vec<String> {
    let own = normalize(&o.label);
    let all: HashSet<String> = std::iter::once(&o.label)
        .chain(&o.alt_labels)
        .map(|l| normalize(l))
        .collect();
    let head = |t: &str| t.rsplit(' ').next().unwrap_or_default().to_owned();
    let own_head = head(&own);
    type Key = (bool, usize, usize, String);
    let mut ranked: Vec<(Key, &String)> = o
        .alt_labels
        .iter()
        .filter(|a| {
            let n = normalize(a);
            // ESCO lists plurals ("software analysts", "network engineers")
            // among alternatives: a plural of another label or of the head noun.
            let plural_of_another = n.ends_with('s') && {
                let one = super::sources::singular(&n);
                one != n && (all.contains(&one) || head(&one) == own_head)
            };
            n != own && !plural_of_another && a.chars().count() <= MAX_TITLE_CHARS && !a.contains(['/', '(', ')', ','])
        })
        .map(|a| {
            let n = normalize(a);
            (
                (
                    !onet.titles.contains_key(&n),
                    a.split_whitespace().count(),
                    a.chars().count(),
                    n,
                ),
                a,
            )
        })
        .collect();
    ranked.sort();
    ranked.dedup_by(|a, b| a.0.3 == b.0.3);
    ranked
        .into_iter()
        .take(MAX_ALT_TITLES)
        .map(|(_, a)| a.trim().to_owned())
        .collect()
}

/// Japanese titles: the Sudachi spelling of the same lexeme as the preferred or a
/// kept alternative title, and mimesis occupation names that are spellings of such
/// a lexeme. Titles stay with the lexeme, not the group's representative, because
/// job-title groups mix distinct roles (エンジニア, 技師 and 技能工 share one).
fn ja_titles(
    o: &EscoOccupation,
    alt_titles: &[String],
    synonyms: &Synonyms,
    mimesis_occupations: &[String],
) -> Vec<String> {
    let english: Vec<String> = std::iter::once(&o.label)
        .chain(alt_titles)
        .map(|t| normalize(t))
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: &str| {
        if !out.iter().any(|x| x == t) {
            out.push(t.to_owned());
        }
    };
    for title in std::iter::once(&o.label).chain(alt_titles) {
        if let Some(ja) = synonyms.japanese(title, Rendering::SameLexeme) {
            push(ja);
        }
    }
    for m in mimesis_occupations {
        let linked = synonyms.groups_with(m).any(|g| {
            let lexemes: Vec<u32> = g
                .entries
                .iter()
                .filter(|e| e.text == *m && e.expandable)
                .filter_map(|e| e.lexeme)
                .collect();
            g.in_work_domain()
                && g.entries.iter().any(|e| {
                    e.ascii
                        && e.expandable
                        && e.lexeme.is_some_and(|l| lexemes.contains(&l))
                        && english.contains(&normalize(&e.text))
                })
        });
        if linked {
            push(m);
        }
    }
    out
}

/// City names that Sudachi pairs with a Japanese place name.
fn cities(synonyms: &Synonyms) -> Vec<LocalizedName> {
    CITIES
        .iter()
        .filter_map(|&city| {
            let key = normalize(city);
            synonyms.groups.iter().find_map(|g| {
                let place = g.domains.iter().any(|d| d == "地名" || d == "国名");
                let hit = g
                    .entries
                    .iter()
                    .find(|e| e.ascii && e.expandable && normalize(&e.text) == key)?;
                let lexeme = hit.lexeme?;
                // "シンガポール" rather than "シンガポール共和国".
                let ja = g
                    .entries
                    .iter()
                    .filter(|e| e.lexeme == Some(lexeme) && !e.ascii && e.expandable && e.headword && !e.misspelling)
                    .map(|e| e.text.as_str())
                    .min_by_key(|t| t.chars().count())?;
                place.then(|| LocalizedName {
                    en: city.to_owned(),
                    ja: ja.to_owned(),
                })
            })
        })
        .collect()
}

fn skill_fields(o: &mut Occupation) -> Vec<&mut Vec<usize>> {
    vec![&mut o.essential, &mut o.optional]
}

fn technology_fields(o: &mut Occupation) -> Vec<&mut Vec<usize>> {
    vec![&mut o.hot_technologies]
}

/// Re-sorts `items` by `key` and rewrites the indices in every occupation.
fn renumber<T, K: Ord>(
    occupations: &mut [Occupation],
    items: Vec<T>,
    key: impl Fn(&T) -> K,
    fields: fn(&mut Occupation) -> Vec<&mut Vec<usize>>,
) -> Vec<T> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| key(&items[i]));
    let mut new_index = vec![0; items.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    for o in occupations.iter_mut() {
        for list in fields(o) {
            for i in list.iter_mut() {
                *i = new_index[*i];
            }
        }
    }
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order.iter().filter_map(|&i| slots[i].take()).collect()
}

/// The list without empty or repeated entries, first occurrence kept.
fn dedup(items: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty() && seen.insert(*s))
        .map(str::to_owned)
        .collect()
}
