//! Skill and text normalisation: one spelling per skill, whatever the language or
//! abbreviation the profile or opening used.
//!
//! The alias table is derived from real vocabularies (see `data/taxonomy/README.md`)
//! and loaded at start-up; without it, skills still match on their normalised text.

use std::{collections::HashMap, fs, io, path::Path};

use unicode_normalization::UnicodeNormalization;

/// Why the alias table could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    /// The file could not be read.
    #[error("reading the skill taxonomy {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// A line is not `canonical<TAB>aliases<TAB>related`.
    #[error("skill taxonomy {path}, line {line}: {message}")]
    Format {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Folds width, case and spacing so "Ｋｕｂｅｒｎｅｔｅｓ ", "kubernetes" and
/// "KUBERNETES" compare equal (NFKC, lower case, single spaces).
pub fn normalize(text: &str) -> String {
    // NFKC leaves ASCII and already-normalised text unchanged; skipping the
    // composition machinery for them matters because ranking normalises every
    // skill of every candidate.
    if text.is_ascii() {
        fold_case_and_space(text.chars().map(|c| c.to_ascii_lowercase()), text.len())
    } else if unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
        fold_case_and_space(text.chars().flat_map(char::to_lowercase), text.len())
    } else {
        fold_case_and_space(text.nfkc().flat_map(char::to_lowercase), text.len())
    }
}

/// Collects lower-cased characters with whitespace runs folded to one space and
/// none at either end.
fn fold_case_and_space(lowered: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut pending_space = false;
    for c in lowered {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

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
}

/// The skill alias table with related-skill links.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    aliases: HashMap<String, u32>,
    skills: Vec<SkillEntry>,
}

impl Taxonomy {
    /// A taxonomy with no aliases: every skill is its own normalised text.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Loads the alias table: one skill per line, `canonical<TAB>alias|alias…<TAB>related-line|…`
    /// where related skills are named by their 0-based line number among skill lines.
    /// Lines starting with `#` are comments (attribution).
    pub fn load(path: &Path) -> Result<Self, TaxonomyError> {
        let text = fs::read_to_string(path).map_err(|source| TaxonomyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|(line, message)| TaxonomyError::Format {
            path: path.display().to_string(),
            line,
            message,
        })
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
            taxonomy.skills.push(SkillEntry {
                name: name.to_owned(),
                key,
                related: Vec::new(),
            });
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
        match self.aliases.get(&normalized) {
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
    fn normalize_folds_width_case_and_space() {
        assert_eq!(normalize("  Ｋｕｂｅｒｎｅｔｅｓ   Ops "), "kubernetes ops");
        assert_eq!(normalize("機械学習"), "機械学習");
        assert_eq!(normalize("ｾｰﾙｽ"), "セールス");
    }

    proptest::proptest! {
        /// The shortcuts for ASCII and already-NFKC text change nothing.
        #[test]
        fn normalize_equals_nfkc_then_fold(text in "(\\PC|[ \t\u{3000}ｱ-ﾝﾞﾟＡ-Ｚ①-⑳ﬁ])*") {
            let reference = fold_case_and_space(text.nfkc().flat_map(char::to_lowercase), 0);
            proptest::prop_assert_eq!(normalize(&text), reference);
        }
    }

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
    fn rejects_bad_related_reference() {
        assert_eq!(Taxonomy::parse("A\t\t7\n").unwrap_err().0, 1);
    }
}
