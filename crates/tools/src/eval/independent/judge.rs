//! The judge: how related two O*NET occupations are, from a source the ranking
//! never reads. Each O*NET occupation is represented by the ESCO occupations
//! whose titles point to it; two occupations are related as much as their
//! ESCO essential and optional skills overlap (TF-IDF cosine, essential skills
//! weighing double) and as their ISCO-08 groups agree.
//!
//! The ranking's occupation similarity (`data/occupations/similar.tsv`) comes
//! from O*NET technology skills, descriptions, titles and the SOC hierarchy;
//! its skill taxonomy reads ESCO skill labels but never which occupation needs
//! which skill, nor ISCO. So the grades are not the ranking's own opinion.
//!
//! Grades: 3 the same occupation; 2 strongly related (skill overlap in the top
//! 1 % of pairs, or the same ISCO unit group with some overlap); 1 related (top
//! 4 %, or the same ISCO unit group, or the same ISCO minor group with some
//! overlap); 0 otherwise.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
};

use crate::{
    datagen::sources::{Esco, Table, field},
    eval::EvalError,
};

/// Share of occupation pairs graded 2 and at least 1 by skill overlap alone.
const STRONG_SHARE: f64 = 0.01;
const RELATED_SHARE: f64 = 0.04;

/// Grades of relatedness between O*NET occupations.
pub(crate) struct Judge {
    /// O*NET code → position.
    index: HashMap<String, usize>,
    /// Unit-length skill vectors, sorted by skill.
    skills: Vec<Vec<(u32, f64)>>,
    /// ISCO-08 unit groups (4 digits) of the linked ESCO occupations.
    isco: Vec<HashSet<String>>,
    strong: f64,
    related: f64,
    /// Grades computed so far, by pair of positions.
    cache: std::sync::Mutex<HashMap<(usize, usize), u8>>,
}

impl Judge {
    /// Builds the judge for the O*NET codes in `linked` (code → ESCO occupations).
    pub(crate) fn build(
        esco_dir: &Path,
        esco: &Esco,
        linked: &BTreeMap<String, Vec<usize>>,
    ) -> Result<Self, EvalError> {
        let uris: HashMap<&str, usize> = esco
            .occupations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.uri.as_str(), i))
            .collect();
        let relations = Table::csv(&esco_dir.join("occupationSkillRelations.csv")).map_err(EvalError::Gen)?;
        let (occupation, relation, skill) = (
            relations.column("occupationUri").map_err(EvalError::Gen)?,
            relations.column("relationType").map_err(EvalError::Gen)?,
            relations.column("skillUri").map_err(EvalError::Gen)?,
        );
        let mut skill_ids: HashMap<&str, u32> = HashMap::new();
        let mut by_esco: HashMap<usize, Vec<(u32, f64)>> = HashMap::new();
        for r in &relations.rows {
            let Some(&o) = uris.get(field(r, occupation)) else {
                continue;
            };
            let next = skill_ids.len() as u32;
            let id = *skill_ids.entry(field(r, skill)).or_insert(next);
            let weight = if field(r, relation) == "essential" { 2.0 } else { 1.0 };
            by_esco.entry(o).or_default().push((id, weight));
        }
        let mut index = HashMap::new();
        let mut raw: Vec<HashMap<u32, f64>> = Vec::new();
        let mut isco = Vec::new();
        for (code, members) in linked {
            let mut vector: HashMap<u32, f64> = HashMap::new();
            let mut groups = HashSet::new();
            for &m in members {
                for &(id, w) in by_esco.get(&m).into_iter().flatten() {
                    let slot = vector.entry(id).or_insert(0.0);
                    *slot = slot.max(w);
                }
                let group = &esco.occupations[m].isco;
                if group.len() >= 4 {
                    groups.insert(group[..4].to_owned());
                }
            }
            if vector.is_empty() {
                continue;
            }
            index.insert(code.clone(), raw.len());
            raw.push(vector);
            isco.push(groups);
        }
        let n = raw.len() as f64;
        let mut df: HashMap<u32, usize> = HashMap::new();
        for v in &raw {
            for id in v.keys() {
                *df.entry(*id).or_default() += 1;
            }
        }
        let skills: Vec<Vec<(u32, f64)>> = raw
            .into_iter()
            .map(|v| {
                let mut v: Vec<(u32, f64)> = v
                    .into_iter()
                    .map(|(id, w)| (id, w * (n / df[&id] as f64).ln()))
                    .filter(|(_, w)| *w > 0.0)
                    .collect();
                let norm = v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt().max(f64::EPSILON);
                v.iter_mut().for_each(|(_, w)| *w /= norm);
                v.sort_by_key(|(id, _)| *id);
                v
            })
            .collect();
        let mut judge = Self {
            index,
            skills,
            isco,
            strong: 1.0,
            related: 1.0,
            cache: Default::default(),
        };
        // Thresholds from the distribution of overlaps over every pair.
        let count = judge.skills.len();
        let mut overlaps: Vec<f64> = Vec::with_capacity(count * count / 2);
        for a in 0..count {
            for b in a + 1..count {
                overlaps.push(judge.overlap(a, b));
            }
        }
        overlaps.sort_by(|x, y| y.total_cmp(x));
        let at = |share: f64| {
            overlaps
                .get((overlaps.len() as f64 * share) as usize)
                .copied()
                .unwrap_or(1.0)
        };
        judge.strong = at(STRONG_SHARE);
        judge.related = at(RELATED_SHARE);
        Ok(judge)
    }

    /// Whether the code can be judged (it has an ESCO occupation with skills).
    pub(crate) fn knows(&self, code: &str) -> bool {
        self.index.contains_key(code)
    }

    fn overlap(&self, a: usize, b: usize) -> f64 {
        crate::datagen::cosine(&self.skills[a], &self.skills[b])
    }

    /// The grade (0 to 3) of an alumnus in occupation `held` for an opening in
    /// occupation `wanted`.
    pub(crate) fn grade(&self, held: &str, wanted: &str) -> u8 {
        if held == wanted {
            return 3;
        }
        let (Some(&a), Some(&b)) = (self.index.get(held), self.index.get(wanted)) else {
            return 0;
        };
        let key = (a.min(b), a.max(b));
        if let Ok(cache) = self.cache.lock()
            && let Some(&grade) = cache.get(&key)
        {
            return grade;
        }
        let overlap = self.overlap(a, b);
        let same_unit = !self.isco[a].is_disjoint(&self.isco[b]);
        let minor = |s: &HashSet<String>| s.iter().map(|g| g[..3].to_owned()).collect::<HashSet<_>>();
        let same_minor = !minor(&self.isco[a]).is_disjoint(&minor(&self.isco[b]));
        let some = overlap >= self.related / 2.0;
        let grade = if overlap >= self.strong || (same_unit && some) {
            2
        } else if overlap >= self.related || same_unit || (same_minor && some) {
            1
        } else {
            0
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, grade);
        }
        grade
    }

    /// The occupations most related to `code` by skill overlap, most related first.
    pub(crate) fn most_related<'a>(&self, code: &str, among: &'a [String], n: usize) -> Vec<&'a String> {
        let Some(&a) = self.index.get(code) else {
            return Vec::new();
        };
        let mut scored: Vec<(f64, &String)> = among
            .iter()
            .filter(|other| other.as_str() != code)
            .filter_map(|other| self.index.get(other).map(|&b| (self.overlap(a, b), other)))
            .collect();
        scored.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(y.1)));
        scored.into_iter().take(n).map(|(_, c)| c).collect()
    }
}
