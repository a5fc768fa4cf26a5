//! Tests of the vocabulary derivation and the generator against the committed
//! vocabulary and, where noted, the real source data in `../shared/data`.

use std::{
    collections::{BTreeMap, HashSet},
    fs,
    path::{Path, PathBuf},
};

use super::*;
use crate::domain::{
    DepartureReason, OpportunityKind, PartialDate,
    validation::{Violations, validate_alumnus, validate_opportunity},
};

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The real data beside the repository (as in CI and fresh clones).
fn shared_data() -> PathBuf {
    let dir = repo().join("../shared/data");
    assert!(
        dir.join("esco-1.1.1").is_dir(),
        "the real data must be at {} (see data/vocab/README.md)",
        dir.display()
    );
    dir
}

fn vocab() -> Vocabulary {
    Vocabulary::embedded().expect("committed vocabulary loads")
}

fn config(alumni: usize, opportunities: usize, seed: u64) -> GenConfig {
    GenConfig {
        alumni,
        opportunities,
        seed,
        ..GenConfig::default()
    }
}

#[test]
fn committed_taxonomy_is_what_the_real_data_derives() {
    let (fresh, _) = taxonomy::derive_taxonomy(&shared_data()).expect("derives");
    let committed = fs::read_to_string(repo().join("data/taxonomy/skills.tsv")).expect("committed");
    assert!(
        fresh == committed,
        "data/taxonomy/skills.tsv is stale: run `alumni-match-tools data build-taxonomy --shared ../shared/data`"
    );
}

#[test]
fn committed_japanese_skill_aliases_are_what_the_real_data_derives() {
    let committed_table = fs::read_to_string(repo().join("data/taxonomy/skills.tsv")).expect("committed");
    let dictionary = edict::load(&sources::SourcePaths::new(&shared_data()).edict).expect("EDICT2 loads");
    let (fresh, added) = taxonomy::japanese_aliases(&committed_table, &dictionary).expect("derives");
    assert!(
        added > 1_000,
        "EDICT2 gives thousands of Japanese skill names, got {added}"
    );
    let committed = fs::read_to_string(repo().join("data/taxonomy/skills-ja.tsv")).expect("committed");
    assert!(
        fresh == committed,
        "data/taxonomy/skills-ja.tsv is stale: run `alumni-match-tools data build-taxonomy --shared ../shared/data`"
    );
}

#[test]
fn committed_occupation_tables_are_what_the_real_data_derives() {
    let out = tempfile::tempdir().expect("temp dir");
    occupations::build_occupations(&shared_data(), out.path()).expect("derives");
    for name in [
        "occupations.tsv",
        "titles.tsv",
        "titles-ja.tsv",
        "glossary-ja.tsv",
        "similar.tsv",
    ] {
        let fresh = fs::read_to_string(out.path().join(name)).expect("written");
        let committed = fs::read_to_string(repo().join("data/occupations").join(name)).expect("committed");
        assert!(
            fresh == committed,
            "data/occupations/{name} is stale: run `alumni-match-tools data build-occupations --shared ../shared/data`"
        );
    }
}

fn sample_config() -> GenConfig {
    GenConfig {
        alumni: 2_000,
        opportunities: 40,
        seed: 42,
        ..GenConfig::default()
    }
}

#[test]
fn committed_vocabulary_is_what_the_real_data_derives() {
    let fresh = derive::derive_vocabulary(&shared_data()).expect("derives");
    assert_eq!(
        fresh,
        vocab(),
        "data/vocab/vocabulary.json is stale: run `alumni-match-tools data build-vocabulary --shared ../shared/data`"
    );
}

#[test]
fn committed_sample_is_what_the_generator_writes() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_dataset(&vocab(), &sample_config(), dir.path(), |_| {}).expect("writes");
    for file in ["alumni.jsonl", "opportunities.jsonl", "labels.jsonl"] {
        let fresh = fs::read(dir.path().join(file)).expect("fresh file");
        let committed = fs::read(repo().join("data/sample").join(file)).expect("committed file");
        assert!(
            fresh == committed,
            "data/sample/{file} is stale: run `alumni-match-tools gen --alumni 2000 --opportunities 40 --seed 42 --out data/sample`"
        );
    }
}

#[test]
fn vocabulary_is_curated_and_small() {
    let v = vocab();
    let size = fs::metadata(repo().join("data/vocab/vocabulary.json"))
        .expect("file")
        .len();
    assert!(size < 2_000_000, "vocabulary.json is {size} bytes");
    assert!((100..=200).contains(&v.occupations.len()), "{}", v.occupations.len());
    assert_eq!(v.attribution.len(), 4);
    for needle in ["ESCO", "O*NET", "Sudachi", "mimesis"] {
        assert!(v.attribution.iter().any(|a| a.contains(needle)), "{needle}");
    }
    let titles: HashSet<&str> = v.occupations.iter().map(|o| o.title.as_str()).collect();
    for expected in ["software developer", "data scientist", "accountant", "sales manager"] {
        assert!(titles.contains(expected), "{expected} missing");
    }
    let minors: HashSet<&str> = v.occupations.iter().map(Occupation::isco_minor).collect();
    let with_related = v
        .occupations
        .iter()
        .filter(|o| {
            v.occupations
                .iter()
                .any(|p| p.id != o.id && p.isco_minor() == o.isco_minor())
        })
        .count();
    assert!(minors.len() >= 15, "{} minor groups", minors.len());
    assert!(
        with_related * 10 >= v.occupations.len() * 9,
        "most occupations need a related one for graded relevance"
    );
    for o in &v.occupations {
        assert!(o.id.starts_with(&o.isco), "{} vs {}", o.id, o.isco);
        assert!(o.essential.len() >= 5 && o.essential.len() <= 12, "{}", o.title);
        assert!(o.optional.len() <= 12 && o.hot_technologies.len() <= 10);
    }
}

#[test]
fn vocabulary_joins_onet_and_japanese_where_the_data_links_them() {
    let v = vocab();
    let developer = v
        .occupations
        .iter()
        .find(|o| o.title == "software developer")
        .expect("software developer");
    assert_eq!(developer.onet.as_deref(), Some("15-1252.00"));
    let techs: Vec<&str> = developer
        .hot_technologies
        .iter()
        .map(|&t| v.technologies[t].name.as_str())
        .collect();
    assert!(!techs.is_empty());
    let ja = |label: &str| v.skills.iter().find(|s| s.label == label).and_then(|s| s.ja.clone());
    // Spot checks of Sudachi pairs that the selection is known to contain.
    let with_ja: Vec<&VocabSkill> = v.skills.iter().filter(|s| s.ja.is_some()).collect();
    assert!(with_ja.len() >= 20, "{} skills have Japanese", with_ja.len());
    if v.skills.iter().any(|s| s.label == "project management") {
        assert_eq!(ja("project management").as_deref(), Some("プロジェクト管理"));
    }
    let python = v.skills.iter().find(|s| s.label == "Python (computer programming)");
    if let Some(python) = python {
        assert_eq!(python.name(), "Python", "display form from ESCO alt labels");
    }
    let graphic = v
        .occupations
        .iter()
        .find(|o| o.title == "graphic designer")
        .expect("graphic designer");
    assert!(graphic.ja_titles.iter().any(|t| t == "グラフィックデザイナー"));
    assert!(v.cities.iter().any(|c| c.en == "Tokyo" && c.ja == "東京"));
}

#[test]
fn relatedness_follows_isco_minor_groups() {
    let v = vocab();
    let by_title = |t: &str| {
        v.occupations
            .iter()
            .find(|o| o.title == t)
            .unwrap_or_else(|| panic!("{t}"))
            .id
            .clone()
    };
    let developer = by_title("software developer");
    let web = by_title("web developer");
    let accountant = by_title("accountant");
    assert!(v.related(&developer, &web), "both ISCO 251");
    assert!(!v.related(&developer, &accountant));
    assert_eq!(
        v.relevance(std::slice::from_ref(&developer), &developer),
        Relevance::Highly
    );
    assert_eq!(v.relevance(&[accountant.clone(), web], &developer), Relevance::Partly);
    assert_eq!(v.relevance(&[accountant], &developer), Relevance::NotRelevant);
}

#[test]
fn generated_records_validate() {
    let v = vocab();
    let generator = Generator::new(&v, &config(3_000, 300, 7)).unwrap();
    for i in 0..3_000 {
        let a = generator.alumnus(i);
        let mut violations = Violations::new();
        validate_alumnus(&a.alumnus, &format!("alumni[{i}]"), &mut violations);
        assert!(violations.is_empty(), "{:?}\n{:#?}", violations.items(), a.alumnus);
    }
    for j in 0..300 {
        let o = generator.opportunity(j);
        let mut violations = Violations::new();
        validate_opportunity(&o.opportunity, &format!("opportunities[{j}]"), true, &mut violations);
        assert!(violations.is_empty(), "{:?}\n{:#?}", violations.items(), o.opportunity);
    }
}

#[test]
fn same_seed_gives_identical_bytes_and_slices_reproduce() {
    let v = vocab();
    let cfg = config(300, 20, 11);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut reported = Vec::new();
    let stats = write_dataset(&v, &cfg, a.path(), |n| reported.push(n)).unwrap();
    write_dataset(&v, &cfg, b.path(), |_| {}).unwrap();
    assert_eq!(reported.last(), Some(&300));
    assert_eq!((stats.alumni, stats.opportunities), (300, 20));
    for file in ["alumni.jsonl", "opportunities.jsonl", "labels.jsonl"] {
        let first = fs::read(a.path().join(file)).unwrap();
        assert!(!first.is_empty());
        assert_eq!(first, fs::read(b.path().join(file)).unwrap(), "{file}");
    }
    // Any record can be regenerated on its own.
    let text = fs::read_to_string(a.path().join("alumni.jsonl")).unwrap();
    let line_250 = text.lines().nth(250).unwrap();
    let alone = serde_json::to_string(&alumnus(&v, &cfg, 250).unwrap().alumnus).unwrap();
    assert_eq!(line_250, alone);
    // A different seed gives different data.
    let other = Generator::new(&v, &config(1, 0, 12)).unwrap().alumnus(0);
    assert_ne!(other.alumnus, Generator::new(&v, &cfg).unwrap().alumnus(0).alumnus);
}

#[test]
fn different_indices_give_different_people() {
    let v = vocab();
    let generator = Generator::new(&v, &config(500, 0, 3)).unwrap();
    let people: Vec<String> = (0..500)
        .map(|i| {
            let a = generator.alumnus(i).alumnus;
            serde_json::to_string(&(a.display_name, a.positions, a.skills)).unwrap()
        })
        .collect();
    let distinct: HashSet<&String> = people.iter().collect();
    assert_eq!(distinct.len(), people.len());
    let ids: HashSet<String> = (0..500).map(|i| generator.alumnus(i).alumnus.id).collect();
    assert_eq!(ids.len(), 500);
}

#[test]
fn careers_are_consistent_in_time() {
    let v = vocab();
    let cfg = config(2_000, 0, 5);
    let as_of = cfg.as_of;
    let generator = Generator::new(&v, &cfg).unwrap();
    for i in 0..2_000 {
        let g = generator.alumnus(i);
        let a = &g.alumnus;
        let p = &a.positions;
        let (last, earlier) = p.split_last().expect("positions");
        assert!(
            last.end.is_none() && !last.at_company,
            "{i}: current role after the company"
        );
        assert!(earlier.iter().all(|x| x.end.is_some()), "{i}: one current role");
        let company: Vec<usize> = (0..p.len()).filter(|&k| p[k].at_company).collect();
        assert!((1..=3).contains(&company.len()), "{i}");
        assert!(
            company.windows(2).all(|w| w[1] == w[0] + 1),
            "{i}: company roles are contiguous"
        );
        let departments: HashSet<&str> = company.iter().map(|&k| p[k].department.as_str()).collect();
        assert_eq!(departments.len(), 1, "{i}: one department line");
        for w in p.windows(2) {
            let end = w[0].end.expect("ended");
            assert!(end.month_index() < w[1].start.month_index(), "{i}: overlap");
        }
        for x in p {
            assert!(x.start.month_index() <= as_of.month_index(), "{i}: future start");
            if let Some(end) = x.end {
                assert!(end.month_index() <= as_of.month_index(), "{i}: future end");
                assert!(end >= x.start);
            }
        }
        let last_company = &p[*company.last().expect("company role")];
        assert_eq!(a.departure.left_on, last_company.end, "{i}");
        assert!(a.departure.left_on.is_some_and(|d| d.day.is_some()));
        for s in &a.skills {
            assert!(s.years >= 0.5 && s.years <= 60.0, "{i}: {s:?}");
            let year = s.last_used_year.expect("last used");
            assert!(year <= as_of.year && year >= p[0].start.year, "{i}: {s:?}");
        }
        assert!(!a.skills.is_empty());
        assert_eq!(
            g.occupation_ids.iter().collect::<HashSet<_>>().len(),
            g.occupation_ids.len()
        );
        assert!(g.occupation_ids.iter().all(|id| v.occupation(id).is_some()));
        let current = v.occupation(g.occupation_ids.last().unwrap()).unwrap();
        let current_titles: Vec<String> = std::iter::once(&current.title)
            .chain(&current.alt_titles)
            .map(|t| t.to_lowercase())
            .collect();
        let title = last.title.to_lowercase();
        let head_of_department = format!("head of {}", v.departments[current.department].en.to_lowercase());
        assert!(
            current_titles.iter().any(|t| title.contains(t.as_str()))
                || current.ja_titles.iter().any(|t| last.title.contains(t.as_str()))
                || title == head_of_department,
            "{i}: current title {:?} is not from {}",
            last.title,
            current.title
        );
    }
}

#[test]
fn skills_come_from_the_occupations_held() {
    let v = vocab();
    let generator = Generator::new(&v, &config(500, 0, 9)).unwrap();
    for i in 0..500 {
        let g = generator.alumnus(i);
        let mut allowed: HashSet<&str> = HashSet::new();
        for id in &g.occupation_ids {
            let o = v.occupation(id).unwrap();
            for &s in o.essential.iter().chain(&o.optional) {
                let skill = &v.skills[s];
                allowed.insert(skill.name());
                if let Some(ja) = &skill.ja {
                    allowed.insert(ja);
                }
            }
            for &t in &o.hot_technologies {
                allowed.insert(&v.technologies[t].name);
            }
        }
        for s in &g.alumnus.skills {
            assert!(
                allowed.contains(s.name.as_str()),
                "{i}: {} not from {:?}",
                s.name,
                g.occupation_ids
            );
        }
    }
}

#[test]
fn shares_and_spreads_are_as_configured() {
    let v = vocab();
    let mut cfg = config(4_000, 0, 21);
    cfg.japanese_share = 0.3;
    let generator = Generator::new(&v, &cfg).unwrap();
    let people: Vec<GeneratedAlumnus> = (0..4_000).map(|i| generator.alumnus(i)).collect();
    let share =
        |f: &dyn Fn(&GeneratedAlumnus) -> bool| people.iter().filter(|p| f(p)).count() as f64 / people.len() as f64;
    let japanese = share(&|p| p.japanese);
    assert!((0.26..0.34).contains(&japanese), "japanese {japanese}");
    assert!(
        share(&|p| p.japanese == p.alumnus.languages.first().is_some_and(|l| l == "ja")) > 0.999,
        "a Japanese profile lists Japanese first"
    );
    let rehire = share(&|p| p.alumnus.departure.rehire_eligible);
    assert!((0.76..0.84).contains(&rehire), "rehire {rehire}");
    let contact = share(&|p| p.alumnus.consent.contact_allowed);
    assert!((0.81..0.89).contains(&contact), "contact {contact}");
    let reasons: HashSet<DepartureReason> = people.iter().map(|p| p.alumnus.departure.reason).collect();
    assert_eq!(reasons.len(), 9, "every reason occurs: {reasons:?}");
    let undisclosed = share(&|p| p.alumnus.departure.reason == DepartureReason::Undisclosed);
    assert!((0.15..0.3).contains(&undisclosed));

    // Senior people offer mentoring more often than juniors.
    let career_years = |p: &GeneratedAlumnus| {
        let first = p.alumnus.positions[0].start;
        cfg.as_of.year as i32 - first.year as i32
    };
    let mentoring_share = |senior: bool| {
        let group: Vec<&GeneratedAlumnus> = people.iter().filter(|p| (career_years(p) >= 20) == senior).collect();
        group
            .iter()
            .filter(|p| p.alumnus.interests.open_to.contains(&OpportunityKind::Mentoring))
            .count() as f64
            / group.len() as f64
    };
    assert!(mentoring_share(true) > mentoring_share(false) + 0.15);
    let side_jobs = share(&|p| {
        p.alumnus
            .preferences
            .employment_types
            .contains(&crate::domain::EmploymentType::SideJob)
    });
    assert!(side_jobs > 0.2, "side jobs {side_jobs}");
}

#[test]
fn japanese_profiles_read_japanese() {
    let v = vocab();
    let mut cfg = config(300, 0, 2);
    cfg.japanese_share = 1.0;
    let generator = Generator::new(&v, &cfg).unwrap();
    let has_japanese = |s: &str| {
        s.chars()
            .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c) || ('\u{4e00}'..='\u{9fff}').contains(&c))
    };
    for i in 0..300 {
        let a = generator.alumnus(i).alumnus;
        assert!(has_japanese(&a.display_name));
        let company = a.positions.iter().find(|p| p.at_company).unwrap();
        assert_eq!(company.organization, v.company.ja);
        assert!(has_japanese(&company.department));
        if !a.interests.statement.is_empty() {
            assert!(has_japanese(&a.interests.statement), "{}", a.interests.statement);
        }
    }
    cfg.japanese_share = 0.0;
    let generator = Generator::new(&v, &cfg).unwrap();
    for i in 0..300 {
        let a = generator.alumnus(i).alumnus;
        let company = a.positions.iter().find(|p| p.at_company).unwrap();
        assert_eq!(company.organization, v.company.en);
        // Employers may have Japanese names; everything else is English.
        let mut statement = a.interests.statement.clone();
        for p in &a.positions {
            statement = statement.replace(&p.organization, "");
        }
        assert!(!has_japanese(&statement), "{}", a.interests.statement);
    }
}

#[test]
fn opportunities_cover_kinds_and_languages_with_occupation_skills() {
    let v = vocab();
    let opps = opportunities(&v, &config(0, 40, 42)).unwrap();
    assert_eq!(opps.len(), 40);
    let combos: HashSet<(OpportunityKind, bool)> = opps[..8].iter().map(|o| (o.opportunity.kind, o.japanese)).collect();
    assert_eq!(combos.len(), 8, "every kind in both languages");
    let mut kinds: BTreeMap<OpportunityKind, usize> = BTreeMap::new();
    for g in &opps {
        *kinds.entry(g.opportunity.kind).or_default() += 1;
        let o = v.occupation(&g.occupation_id).expect("known occupation");
        let essential: HashSet<&str> = o
            .essential
            .iter()
            .flat_map(|&s| {
                let skill = &v.skills[s];
                std::iter::once(skill.name()).chain(skill.ja.as_deref())
            })
            .collect();
        let required = &g.opportunity.required_skills;
        assert!((3..=6).contains(&required.len()), "{required:?}");
        assert!(required.iter().all(|r| essential.contains(r.as_str())), "{required:?}");
        assert!(!g.opportunity.preferred_skills.is_empty() || o.optional.is_empty());
        assert_eq!(g.opportunity.department, v.departments[o.department].get(g.japanese));
        assert!(!o.executive);
    }
    assert_eq!(kinds.len(), 4);
}

#[test]
fn labels_round_trip_and_match_records() {
    let v = vocab();
    let dir = tempfile::tempdir().unwrap();
    write_dataset(&v, &config(50, 10, 8), dir.path(), |_| {}).unwrap();
    let labels: Vec<Label> = fs::read_to_string(dir.path().join("labels.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(labels.len(), 60);
    assert!(matches!(&labels[0], Label::Alumnus { id, .. } if id == "alum-0000000"));
    assert!(matches!(&labels[59], Label::Opportunity { id, .. } if id == "opp-00009"));
    let alumni: Vec<crate::domain::Alumnus> = fs::read_to_string(dir.path().join("alumni.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alumni.len(), 50);
}

#[test]
fn config_is_checked() {
    let mut cfg = GenConfig::default();
    assert!(cfg.validate().is_ok());
    cfg.japanese_share = 1.5;
    assert!(matches!(cfg.validate(), Err(GenError::Config(_))));
    cfg.japanese_share = 0.5;
    cfg.as_of = PartialDate {
        year: 2025,
        month: 2,
        day: Some(30),
    };
    assert!(cfg.validate().is_err());
    let dir = tempfile::tempdir().unwrap();
    cfg.as_of.day = Some(1);
    cfg.japanese_share = f64::NAN;
    assert!(write_dataset(&vocab(), &cfg, dir.path(), |_| {}).is_err());
}

#[test]
fn invalid_vocabulary_is_rejected() {
    let mut v = vocab();
    v.occupations[0].essential.push(usize::MAX);
    assert!(matches!(
        Generator::new(&v, &GenConfig::default()),
        Err(GenError::InvalidVocabulary { .. })
    ));
    let mut empty = vocab();
    empty.occupations.clear();
    assert!(alumnus(&empty, &GenConfig::default(), 0).is_err());
    let text = serde_json::to_string(&v).unwrap();
    assert!(matches!(
        Vocabulary::from_json_str(&text),
        Err(GenError::InvalidVocabulary { .. })
    ));
    assert!(matches!(
        Vocabulary::load(Path::new("/nonexistent/vocabulary.json")),
        Err(GenError::Io { .. })
    ));
}
