//! The skill alias table: one canonical skill for each spelling, related skills,
//! and how specific each skill is to few occupations.

use std::{collections::HashMap, fs, path::Path, sync::Arc};

use super::{
    Occupations, TaxonomyError,
    fingerprint::Fingerprint,
    normalize,
    titles::{fold_kana, is_japanese},
};

/// A skill after normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CanonicalSkill {
    /// Comparison key: the canonical name normalised, or the input normalised when unknown.
    pub key: String,
    /// Name to show: the canonical name, or the input as given (trimmed) when unknown.
    pub display: String,
    /// Index in the taxonomy when known.
    pub id: Option<u32>,
}

#[derive(Debug, Clone)]
struct SkillEntry {
    name: String,
    key: String,
    related: Vec<u32>,
    specificity: f32,
}

/// Specificity of a skill the table does not know, or whose line gives none:
/// a name nobody else uses is likely specific, but nothing says how much.
pub const UNKNOWN_SPECIFICITY: f64 = 0.6;

/// The file of Japanese aliases beside the alias table (kept apart because it
/// is derived from EDICT2 under CC BY-SA 3.0): `japanese<TAB>canonical name`.
pub const JAPANESE_ALIASES_FILE: &str = "skills-ja.tsv";

/// The skill alias table with related-skill links, and the occupation tables
/// titles are recognised with.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    occupations: Arc<Occupations>,
    /// Of the alias texts loaded (0 for none).
    content: u64,
    aliases: HashMap<String, u32>,
    /// Japanese aliases with katakana folded (マネージャー = マネジャー), tried
    /// when a Japanese spelling is not an alias as written.
    folded: HashMap<String, u32>,
    skills: Vec<SkillEntry>,
}

impl Taxonomy {
    /// A taxonomy with no aliases: every skill is its own normalised text.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Loads the alias table: one skill per line,
    /// `canonical<TAB>alias|alias…<TAB>related-line|…<TAB>specificity`, where
    /// related skills are named by their 0-based line number among skill lines
    /// and the optional specificity (0 to 1) says how few occupations use the
    /// skill. Lines starting with `#` are comments (attribution). Japanese
    /// aliases are read from [`JAPANESE_ALIASES_FILE`] beside it when present.
    pub fn load(path: &Path) -> Result<Self, TaxonomyError> {
        let read = |path: &Path| {
            fs::read_to_string(path).map_err(|source| TaxonomyError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        let format_error = |path: &Path| {
            let path = path.display().to_string();
            move |(line, message)| TaxonomyError::Format { path, line, message }
        };
        let mut fingerprint = Fingerprint::default();
        let text = read(path)?;
        fingerprint.add(&text);
        let mut taxonomy = Self::parse(&text).map_err(format_error(path))?;
        let japanese = path.with_file_name(JAPANESE_ALIASES_FILE);
        if japanese.is_file() {
            let text = read(&japanese)?;
            fingerprint.add(&text);
            taxonomy.add_aliases(&text).map_err(format_error(&japanese))?;
        }
        taxonomy.content = fingerprint.value();
        Ok(taxonomy)
    }

    /// Adds aliases from `alias<TAB>canonical name` lines (`#` lines are
    /// comments). An alias another skill already has stays with that skill.
    pub fn add_aliases(&mut self, text: &str) -> Result<usize, (usize, String)> {
        let by_key: HashMap<&str, u32> = self
            .skills
            .iter()
            .enumerate()
            .map(|(id, entry)| (entry.key.as_str(), id as u32))
            .collect();
        let mut added = Vec::new();
        for (line_no, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (alias, canonical) = line
                .split_once('\t')
                .ok_or_else(|| (line_no + 1, "expected alias<TAB>canonical name".to_owned()))?;
            let id = *by_key
                .get(normalize(canonical).as_str())
                .ok_or_else(|| (line_no + 1, format!("unknown skill {canonical:?}")))?;
            let alias = normalize(alias);
            if !alias.is_empty() {
                added.push((alias, id));
            }
        }
        let mut count = 0;
        for (alias, id) in added {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.aliases.entry(alias.clone()) {
                slot.insert(id);
                self.folded.entry(fold_kana(&alias)).or_insert(id);
                count += 1;
            }
        }
        Ok(count)
    }

    /// Parses the text of an alias table (see [`Taxonomy::load`]); errors carry a 1-based line number.
    pub fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut taxonomy = Self::default();
        let mut related_lines = Vec::new();
        for (line_no, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut columns = line.split('\t');
            let name = columns.next().unwrap_or_default().trim();
            if name.is_empty() {
                return Err((line_no + 1, "empty canonical name".into()));
            }
            let id = u32::try_from(taxonomy.skills.len()).map_err(|_| (line_no + 1, "too many skills".into()))?;
            let key = normalize(name);
            taxonomy.aliases.entry(key.clone()).or_insert(id);
            for alias in columns.next().unwrap_or_default().split('|') {
                let alias = normalize(alias);
                if !alias.is_empty() {
                    // The first skill to claim an alias keeps it: the table is ordered
                    // so that more specific, more common skills come first.
                    taxonomy.aliases.entry(alias).or_insert(id);
                }
            }
            related_lines.push((line_no + 1, columns.next().unwrap_or_default().to_owned()));
            let specificity = match columns.next().map(str::trim) {
                None | Some("") => UNKNOWN_SPECIFICITY as f32,
                Some(text) => text
                    .parse::<f32>()
                    .ok()
                    .filter(|s| (0.0..=1.0).contains(s))
                    .ok_or_else(|| (line_no + 1, format!("bad specificity {text:?}")))?,
            };
            taxonomy.skills.push(SkillEntry {
                name: name.to_owned(),
                key,
                related: Vec::new(),
                specificity,
            });
        }
        for (alias, &id) in &taxonomy.aliases {
            if is_japanese(alias) {
                taxonomy.folded.entry(fold_kana(alias)).or_insert(id);
            }
        }
        let count = taxonomy.skills.len();
        for (id, (line_no, related)) in related_lines.into_iter().enumerate() {
            for other in related.split('|').filter(|s| !s.is_empty()) {
                let other: u32 = other
                    .parse()
                    .map_err(|_| (line_no, format!("bad related skill {other:?}")))?;
                if other as usize >= count {
                    return Err((line_no, format!("related skill {other} does not exist")));
                }
                taxonomy.skills[id].related.push(other);
            }
        }
        Ok(taxonomy)
    }

    /// Number of canonical skills.
    pub fn len(&self) -> usize {
        self.skills.len()
    }

    /// True when the table has no skills.
    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
    }

    /// The canonical form of a skill name.
    pub fn canonical_skill(&self, raw: &str) -> CanonicalSkill {
        let normalized = normalize(raw);
        let found = self.aliases.get(&normalized).or_else(|| {
            if is_japanese(&normalized) {
                self.folded.get(&fold_kana(&normalized))
            } else {
                None
            }
        });
        match found {
            Some(&id) => {
                let entry = &self.skills[id as usize];
                CanonicalSkill {
                    key: entry.key.clone(),
                    display: entry.name.clone(),
                    id: Some(id),
                }
            }
            None => CanonicalSkill {
                key: normalized,
                display: raw.trim().to_owned(),
                id: None,
            },
        }
    }

    /// The same skills with occupation tables to recognise titles with.
    pub fn with_occupations(mut self, occupations: Occupations) -> Self {
        self.occupations = Arc::new(occupations);
        self
    }

    /// Identifies the tables' contents (skills, aliases, occupations): an index
    /// built with other tables holds other skill keys and occupations.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}-{:016x}", self.content, self.occupations.fingerprint())
    }

    /// The occupation tables (empty when none were loaded: no title is recognised).
    pub fn occupations(&self) -> &Occupations {
        &self.occupations
    }

    /// Skills with at least one alias in Japanese script.
    pub fn skills_with_japanese_aliases(&self) -> usize {
        let mut ids: Vec<u32> = self
            .aliases
            .iter()
            .filter(|(alias, _)| is_japanese(alias))
            .map(|(_, id)| *id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// How much having this skill tells about a person's work, from 0 (every
    /// occupation uses it: office software, e-mail) to 1 (a handful do).
    pub fn specificity(&self, skill: &CanonicalSkill) -> f64 {
        skill
            .id
            .and_then(|id| self.skills.get(id as usize))
            .map_or(UNKNOWN_SPECIFICITY, |entry| f64::from(entry.specificity))
    }

    /// Whether two known skills are linked as related (either direction).
    pub fn are_related(&self, a: &CanonicalSkill, b: &CanonicalSkill) -> bool {
        match (a.id, b.id) {
            (Some(a), Some(b)) if a != b => {
                self.skills[a as usize].related.contains(&b) || self.skills[b as usize].related.contains(&a)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_to_one_skill() {
        let taxonomy = Taxonomy::parse(
            "# test table\nKubernetes\tk8s|kubernetes orchestration\t1\nDocker\tdocker engine\t\nmachine learning\t機械学習|ML\t\n",
        )
        .unwrap();
        let a = taxonomy.canonical_skill("K8s");
        let b = taxonomy.canonical_skill("Kubernetes Orchestration");
        assert_eq!(a, b);
        assert_eq!(a.display, "Kubernetes");
        assert_eq!(taxonomy.canonical_skill("機械学習").display, "machine learning");
        let docker = taxonomy.canonical_skill("Docker Engine");
        assert!(taxonomy.are_related(&a, &docker));
        assert!(taxonomy.are_related(&docker, &a), "relation is symmetric");
        let unknown = taxonomy.canonical_skill("  Obscure Tool ");
        assert_eq!(
            (unknown.key.as_str(), unknown.display.as_str(), unknown.id),
            ("obscure tool", "Obscure Tool", None)
        );
    }

    #[test]
    fn specificity_and_japanese_aliases() {
        let mut taxonomy = Taxonomy::parse("Microsoft Excel\tExcel\t\t0.05\nCOBOL\t\t\t0.9\nRust\t\t\n").unwrap();
        assert_eq!(taxonomy.specificity(&taxonomy.canonical_skill("excel")), 0.05f32 as f64);
        for unknown in ["Rust", "Zig"] {
            let specificity = taxonomy.specificity(&taxonomy.canonical_skill(unknown));
            assert!(
                (specificity - UNKNOWN_SPECIFICITY).abs() < 1e-6,
                "{unknown}: {specificity}"
            );
        }
        let added = taxonomy
            .add_aliases("# EDICT2\nエクセル\tMicrosoft Excel\nExcel\tCOBOL\n")
            .unwrap();
        assert_eq!(added, 1, "an alias already taken stays");
        assert_eq!(taxonomy.canonical_skill("エクセル").display, "Microsoft Excel");
        assert_eq!(taxonomy.add_aliases("x\tNo Such Skill\n").unwrap_err().0, 1);
        assert!(Taxonomy::parse("A\t\t\t2.5\n").is_err(), "specificity beyond 1");
    }

    #[test]
    fn rejects_bad_related_reference() {
        assert_eq!(Taxonomy::parse("A\t\t7\n").unwrap_err().0, 1);
    }
}
