//! The derived vocabulary the generator draws from: occupations with their skills,
//! titles and technologies, Japanese renderings, names and a few fixed lists.
//!
//! It is built once from the real data by [`super::build_vocabulary`] and committed
//! as `data/vocab/vocabulary.json`, so generation needs nothing but this file.

use std::{collections::HashMap, fs, path::Path};

use serde::{Deserialize, Serialize};

use super::GenError;

/// Version of the vocabulary file layout; bumped when a field changes meaning.
pub const VOCABULARY_FORMAT: u32 = 1;

/// The committed vocabulary, as compiled into the crate.
const EMBEDDED: &str = include_str!("../../../../data/vocab/vocabulary.json");

/// Everything the generator needs, derived from ESCO, O*NET, Sudachi and mimesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vocabulary {
    /// Layout version ([`VOCABULARY_FORMAT`]).
    pub format: u32,
    /// Credit lines for every source, to be kept with anything derived from this file.
    pub attribution: Vec<String>,
    /// The fictional company that runs the alumni programme.
    pub company: LocalizedName,
    /// ISCO-08 unit (4-digit) and minor (3-digit) group labels for the codes used.
    pub isco_groups: std::collections::BTreeMap<String, String>,
    /// Departments of the company, referenced by index from occupations.
    pub departments: Vec<LocalizedName>,
    /// The curated occupations, ordered by ISCO code then title.
    pub occupations: Vec<Occupation>,
    /// ESCO skills referenced by occupations, sorted by label.
    pub skills: Vec<VocabSkill>,
    /// O*NET technology names referenced by occupations, sorted by name.
    pub technologies: Vec<Technology>,
    /// Japanese names from mimesis.
    pub names: Names,
    /// Japanese universities from mimesis.
    pub universities: Vec<String>,
    /// Places for locations and preferences (a fixed, hand-written list).
    pub cities: Vec<LocalizedName>,
    /// Parts from which synthetic organisation names are built.
    pub organizations: OrganizationPattern,
}

/// A name in English and Japanese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedName {
    /// English.
    pub en: String,
    /// Japanese.
    pub ja: String,
}

impl LocalizedName {
    /// The name in Japanese when `japanese`, else in English.
    pub fn get(&self, japanese: bool) -> &str {
        if japanese { &self.ja } else { &self.en }
    }
}

/// One occupation as ESCO describes it, joined to O*NET where a title links them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occupation {
    /// ESCO occupation code ("2512.4"): stable, and begins with the ISCO unit group.
    pub id: String,
    /// ESCO concept URI.
    pub uri: String,
    /// ISCO-08 unit group (4 digits).
    pub isco: String,
    /// ESCO preferred label.
    pub title: String,
    /// A few ESCO alternative labels, those also used as O*NET titles first.
    pub alt_titles: Vec<String>,
    /// Japanese titles linked through a Sudachi synonym group (may be empty).
    pub ja_titles: Vec<String>,
    /// Index into [`Vocabulary::departments`].
    pub department: usize,
    /// A top-level role ("chief … officer"): held after the company, never at it.
    pub executive: bool,
    /// Indices into [`Vocabulary::skills`]: ESCO essential skills.
    pub essential: Vec<usize>,
    /// Indices into [`Vocabulary::skills`]: ESCO optional skills.
    pub optional: Vec<usize>,
    /// O*NET-SOC code joined by title, when one is.
    pub onet: Option<String>,
    /// Indices into [`Vocabulary::technologies`]: O*NET hot technologies.
    pub hot_technologies: Vec<usize>,
}

impl Occupation {
    /// ISCO-08 minor group (3 digits): occupations sharing it are related.
    pub fn isco_minor(&self) -> &str {
        self.isco.get(..3).unwrap_or(&self.isco)
    }
}

/// An ESCO skill or knowledge concept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VocabSkill {
    /// ESCO preferred label ("Python (computer programming)").
    pub label: String,
    /// How people write it when that differs from the label: the label without its
    /// parenthesised qualifier, when ESCO lists that form as an alternative label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Japanese from a Sudachi synonym group pairing it with the English term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ja: Option<String>,
    /// ESCO skill type is "knowledge" (else skill/competence).
    pub knowledge: bool,
}

impl VocabSkill {
    /// The English name a profile would show.
    pub fn name(&self) -> &str {
        self.display.as_deref().unwrap_or(&self.label)
    }
}

/// An O*NET technology (software or tool) example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technology {
    /// O*NET "Example" ("Kubernetes", "Microsoft Excel").
    pub name: String,
    /// O*NET commodity title ("Application server software").
    pub commodity: String,
}

/// Japanese personal names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    /// Family names.
    pub surnames: Vec<String>,
    /// Given names listed as female.
    pub female: Vec<String>,
    /// Given names listed as male.
    pub male: Vec<String>,
}

/// Synthetic organisation names: a stem plus a generic suffix. Not from the data,
/// which names no employers; see `data/vocab/README.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationPattern {
    /// English stems ("Northfield").
    pub en_stems: Vec<String>,
    /// English suffixes ("Systems").
    pub en_suffixes: Vec<String>,
    /// Japanese suffixes appended to a surname ("システムズ").
    pub ja_suffixes: Vec<String>,
}

/// How relevant an alumnus is to an opportunity by occupation alone: the ground
/// truth of the judged evaluation set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relevance {
    /// No held occupation shares the opportunity's ISCO minor group.
    NotRelevant = 0,
    /// A held occupation is in the same ISCO minor group.
    Partly = 1,
    /// The alumnus held the opportunity's occupation.
    Highly = 2,
}

impl Vocabulary {
    /// Reads and checks a vocabulary file.
    pub fn load(path: &Path) -> Result<Self, GenError> {
        let text = fs::read_to_string(path).map_err(|source| GenError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json_str(&text).map_err(|e| match e {
            GenError::Json { source, .. } => GenError::Json {
                path: path.display().to_string(),
                source,
            },
            GenError::InvalidVocabulary { message, .. } => GenError::InvalidVocabulary {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses and checks vocabulary JSON.
    pub fn from_json_str(text: &str) -> Result<Self, GenError> {
        let vocabulary: Self = serde_json::from_str(text).map_err(|source| GenError::Json {
            path: "<vocabulary>".into(),
            source,
        })?;
        vocabulary.validate()?;
        Ok(vocabulary)
    }

    /// The vocabulary committed in `data/vocab/vocabulary.json`, compiled in so the
    /// generator runs without any data directory.
    pub fn embedded() -> Result<Self, GenError> {
        Self::from_json_str(EMBEDDED)
    }

    /// Index of the occupation with ESCO code `id`.
    pub fn occupation_index(&self, id: &str) -> Option<usize> {
        self.occupations.iter().position(|o| o.id == id)
    }

    /// The occupation with ESCO code `id`.
    pub fn occupation(&self, id: &str) -> Option<&Occupation> {
        self.occupations.iter().find(|o| o.id == id)
    }

    /// Whether two occupations are related: same ISCO-08 minor group.
    pub fn related(&self, a: &str, b: &str) -> bool {
        match (self.occupation(a), self.occupation(b)) {
            (Some(a), Some(b)) => a.isco_minor() == b.isco_minor(),
            _ => false,
        }
    }

    /// Grades an alumnus who held `held` (occupation ids) for an opportunity drawn
    /// from `target`: the best grade over every occupation held.
    pub fn relevance(&self, held: &[String], target: &str) -> Relevance {
        if held.iter().any(|h| h == target) {
            Relevance::Highly
        } else if held.iter().any(|h| self.related(h, target)) {
            Relevance::Partly
        } else {
            Relevance::NotRelevant
        }
    }

    /// A lookup from occupation id to index, for callers grading many pairs.
    pub fn occupation_ids(&self) -> HashMap<&str, usize> {
        self.occupations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.as_str(), i))
            .collect()
    }

    /// Checks the format version, every index reference and the lists the
    /// generator cannot do without. [`Vocabulary::load`], [`Vocabulary::from_json_str`]
    /// and [`super::Generator::new`] call it; fields are public, so a vocabulary
    /// built or edited in code should be checked before use.
    pub fn validate(&self) -> Result<(), GenError> {
        self.problem().map_err(|message| GenError::InvalidVocabulary {
            path: "<vocabulary>".into(),
            message,
        })
    }

    fn problem(&self) -> Result<(), String> {
        if self.format != VOCABULARY_FORMAT {
            return Err(format!(
                "format {} is not the supported {VOCABULARY_FORMAT}",
                self.format
            ));
        }
        let non_empty = [
            ("occupations", self.occupations.is_empty()),
            ("skills", self.skills.is_empty()),
            ("departments", self.departments.is_empty()),
            ("names.surnames", self.names.surnames.is_empty()),
            ("names.female", self.names.female.is_empty()),
            ("names.male", self.names.male.is_empty()),
            ("universities", self.universities.is_empty()),
            ("cities", self.cities.is_empty()),
            ("organizations.en_stems", self.organizations.en_stems.is_empty()),
            ("organizations.en_suffixes", self.organizations.en_suffixes.is_empty()),
            ("organizations.ja_suffixes", self.organizations.ja_suffixes.is_empty()),
        ];
        if let Some((name, _)) = non_empty.iter().find(|(_, empty)| *empty) {
            return Err(format!("{name} must not be empty"));
        }
        if !self.occupations.iter().any(|o| !o.executive) {
            return Err("at least one occupation must be non-executive".into());
        }
        let mut ids = std::collections::HashSet::new();
        for o in &self.occupations {
            if !ids.insert(o.id.as_str()) {
                return Err(format!("occupation {} appears twice", o.id));
            }
            if o.isco.len() != 4 || !o.isco.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("occupation {}: ISCO code {:?}", o.id, o.isco));
            }
            if o.essential.is_empty() {
                return Err(format!("occupation {} has no essential skills", o.id));
            }
            if o.department >= self.departments.len() {
                return Err(format!("occupation {}: no department {}", o.id, o.department));
            }
            let bad_skill = o.essential.iter().chain(&o.optional).find(|&&s| s >= self.skills.len());
            if let Some(s) = bad_skill {
                return Err(format!("occupation {}: no skill {s}", o.id));
            }
            if let Some(t) = o.hot_technologies.iter().find(|&&t| t >= self.technologies.len()) {
                return Err(format!("occupation {}: no technology {t}", o.id));
            }
        }
        Ok(())
    }
}
