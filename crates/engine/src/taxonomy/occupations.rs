//! Occupations: job titles (English and Japanese, as people write them)
//! recognised as O*NET-SOC occupations, and how similar two occupations are.
//!
//! The tables are derived from real data by `alumni-match-tools data
//! build-occupations` (see `data/occupations/README.md`): O*NET 29.2's
//! occupation, alternate and reported titles and ESCO's labels of the
//! occupations they share, for English; EDICT2 glosses and Sudachi synonym
//! groups that match those titles, for Japanese; and the similarity of every
//! pair of occupations from their O*NET technology skills, descriptions, titles
//! and place in the SOC hierarchy.
//!
//! Recognition tries, in order: the title's exact form, its singular, its loose
//! form (without seniority, grades and terms of employment); then, for English,
//! the closest titles by their words (rarer words weigh more, and the head noun,
//! the last word, must match for full confidence); for Japanese, the title
//! composed word by word from the Japanese glossary and recognised in English.

use std::{
    collections::HashMap,
    fs,
    path::Path,
    sync::{Arc, RwLock},
};

use super::{
    TaxonomyError,
    fingerprint::Fingerprint,
    titles::{exact_form, fold_kana, is_japanese, japanese_key, loose_form, singular},
};

/// An occupation, by its position in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OccupationId(u16);

impl OccupationId {
    /// The position in the table.
    pub(super) fn index(self) -> u16 {
        self.0
    }

    /// The occupation at `index` (which the caller has checked is in the table).
    pub(super) fn from_index(index: u16) -> Self {
        Self(index)
    }
}

/// A title recognised as an occupation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OccupationMatch {
    /// The occupation.
    pub occupation: OccupationId,
    /// How sure the recognition is, in (0, 1].
    pub confidence: f32,
}

/// Confidence of a title found only by its words (not as a known title).
const FUZZY_CEILING: f32 = 0.85;
/// Share of the fuzzy score kept when the title's head noun (its last word) is
/// not among the matched title's words.
const HEADLESS_SHARE: f32 = 0.55;
/// Least fuzzy score worth reporting.
const FUZZY_FLOOR: f32 = 0.35;
/// Confidence kept by a Japanese title composed word by word.
const COMPOSED_SHARE: f32 = 0.85;
/// Candidates reported per title.
const MAX_MATCHES: usize = 4;
/// Words so common among titles that they do not find candidates on their own.
const MAX_POSTINGS: usize = 8_000;
/// Titles remembered (most alumni share their titles with others).
const CACHE_CAPACITY: usize = 200_000;

#[derive(Debug)]
struct Variant {
    occupation: OccupationId,
    tokens: Vec<u32>,
    norm: f32,
}

/// The occupation tables. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct Occupations {
    codes: Vec<String>,
    titles: Vec<String>,
    by_code: HashMap<String, OccupationId>,
    exact: HashMap<String, Vec<(OccupationId, f32)>>,
    exact_ja: HashMap<String, Vec<(OccupationId, f32)>>,
    /// Japanese word → its English glosses, best first.
    glossary: HashMap<String, Vec<String>>,
    glossary_longest: usize,
    token_ids: HashMap<String, u32>,
    idf: Vec<f32>,
    variants: Vec<Variant>,
    postings: Vec<Vec<u32>>,
    similar: Vec<Vec<(OccupationId, f32)>>,
    cache: RwLock<HashMap<String, Arc<[OccupationMatch]>>>,
    content: u64,
}

fn format_error(path: &Path, line: usize, message: impl Into<String>) -> TaxonomyError {
    TaxonomyError::Format {
        path: path.display().to_string(),
        line,
        message: message.into(),
    }
}

fn read(path: &Path) -> Result<String, TaxonomyError> {
    fs::read_to_string(path).map_err(|source| TaxonomyError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The data lines of a table: `#` lines carry attribution.
fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.starts_with('#') && !line.trim().is_empty())
        .map(|(i, line)| (i + 1, line.split('\t').collect()))
}

impl Occupations {
    /// No occupations: no title is recognised.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Loads the tables from `dir` (`occupations.tsv`, `titles.tsv`,
    /// `titles-ja.tsv`, `glossary-ja.tsv`, `similar.tsv`).
    pub fn load(dir: &Path) -> Result<Self, TaxonomyError> {
        let mut tables = Self::default();
        let mut fingerprint = Fingerprint::default();
        let mut read = |path: &Path| -> Result<String, TaxonomyError> {
            let text = read(path)?;
            fingerprint.add(&text);
            Ok(text)
        };
        let path = dir.join("occupations.tsv");
        for (line, columns) in rows(&read(&path)?) {
            let [code, title, ..] = columns.as_slice() else {
                return Err(format_error(&path, line, "expected code<TAB>title"));
            };
            let id = OccupationId(
                u16::try_from(tables.codes.len()).map_err(|_| format_error(&path, line, "too many occupations"))?,
            );
            tables.by_code.insert((*code).to_owned(), id);
            tables.codes.push((*code).to_owned());
            tables.titles.push((*title).to_owned());
        }
        tables.similar = vec![Vec::new(); tables.codes.len()];
        for (file, japanese) in [("titles.tsv", false), ("titles-ja.tsv", true)] {
            let path = dir.join(file);
            for (line, columns) in rows(&read(&path)?) {
                let [form, code, weight] = columns.as_slice() else {
                    return Err(format_error(&path, line, "expected form<TAB>code<TAB>weight"));
                };
                let id = tables.id_of(&path, line, code)?;
                let weight: f32 = weight.parse().map_err(|_| format_error(&path, line, "bad weight"))?;
                if japanese {
                    tables
                        .exact_ja
                        .entry(japanese_key(form))
                        .or_default()
                        .push((id, weight));
                } else {
                    tables.exact.entry(exact_form(form)).or_default().push((id, weight));
                }
                if !japanese {
                    tables.add_variant(&exact_form(form), id);
                }
            }
        }
        let path = dir.join("glossary-ja.tsv");
        for (line, columns) in rows(&read(&path)?) {
            let [japanese, english] = columns.as_slice() else {
                return Err(format_error(&path, line, "expected japanese<TAB>english"));
            };
            let key = fold_kana(japanese);
            tables.glossary_longest = tables.glossary_longest.max(key.chars().count());
            let glosses = tables.glossary.entry(key).or_default();
            if glosses.len() < MAX_GLOSSES {
                glosses.push((*english).to_owned());
            }
        }
        let path = dir.join("similar.tsv");
        for (line, columns) in rows(&read(&path)?) {
            let [a, b, similarity] = columns.as_slice() else {
                return Err(format_error(&path, line, "expected code<TAB>code<TAB>similarity"));
            };
            let (a, b) = (tables.id_of(&path, line, a)?, tables.id_of(&path, line, b)?);
            let similarity: f32 = similarity
                .parse()
                .map_err(|_| format_error(&path, line, "bad similarity"))?;
            tables.similar[a.0 as usize].push((b, similarity.clamp(0.0, 1.0)));
        }
        for list in &mut tables.similar {
            list.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        }
        tables.finish_variants();
        tables.content = fingerprint.value();
        Ok(tables)
    }

    fn id_of(&self, path: &Path, line: usize, code: &str) -> Result<OccupationId, TaxonomyError> {
        self.by_code
            .get(code)
            .copied()
            .ok_or_else(|| format_error(path, line, format!("unknown occupation {code}")))
    }

    fn add_variant(&mut self, form: &str, occupation: OccupationId) {
        let mut tokens: Vec<u32> = form
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|word| {
                let next = self.token_ids.len() as u32;
                *self.token_ids.entry(word.to_owned()).or_insert(next)
            })
            .collect();
        tokens.dedup();
        let id = self.variants.len() as u32;
        for &token in &tokens {
            if self.postings.len() <= token as usize {
                self.postings.resize(token as usize + 1, Vec::new());
            }
            self.postings[token as usize].push(id);
        }
        self.variants.push(Variant {
            occupation,
            tokens,
            norm: 0.0,
        });
    }

    /// Inverse document frequencies of title words, and each title's vector norm.
    fn finish_variants(&mut self) {
        let n = self.variants.len().max(1) as f32;
        self.idf = self
            .postings
            .iter()
            .map(|p| (n / (1.0 + p.len() as f32)).ln().max(0.05))
            .collect();
        for variant in &mut self.variants {
            variant.norm = variant
                .tokens
                .iter()
                .map(|t| self.idf[*t as usize].powi(2))
                .sum::<f32>()
                .sqrt();
        }
    }

    /// Identifies the tables' contents (0 for none).
    pub fn fingerprint(&self) -> u64 {
        self.content
    }

    /// Number of occupations.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The O*NET-SOC code ("15-1252.00").
    pub fn code(&self, id: OccupationId) -> &str {
        &self.codes[id.0 as usize]
    }

    /// The occupation's name ("Software Developers").
    pub fn title(&self, id: OccupationId) -> &str {
        &self.titles[id.0 as usize]
    }

    /// The occupation's name as a person would write it in English: the part
    /// before any qualifier, in the singular ("Accountants and Auditors" →
    /// "Accountant and Auditor"; "Nurse Practitioners" → "Nurse Practitioner").
    pub fn english_name(&self, id: OccupationId) -> String {
        let title = self.title(id);
        let head = title.split(',').next().unwrap_or(title).trim();
        singular(head)
    }

    /// The occupation with this code.
    pub fn by_code(&self, code: &str) -> Option<OccupationId> {
        self.by_code.get(code).copied()
    }

    /// The occupations most similar to `id`, most similar first (not `id` itself).
    pub fn similar(&self, id: OccupationId) -> &[(OccupationId, f32)] {
        self.similar.get(id.0 as usize).map_or(&[], Vec::as_slice)
    }

    /// How similar two occupations are: 1 for the same one, else from the table
    /// (0 when not among each other's most similar).
    pub fn similarity(&self, a: OccupationId, b: OccupationId) -> f32 {
        if a == b {
            return 1.0;
        }
        let find =
            |x: OccupationId, y: OccupationId| self.similar(x).iter().find(|(other, _)| *other == y).map(|(_, s)| *s);
        find(a, b).or_else(|| find(b, a)).unwrap_or(0.0)
    }

    /// The occupations a title names, most likely first (empty when none).
    pub fn recognise(&self, title: &str) -> Arc<[OccupationMatch]> {
        if self.is_empty() || title.trim().is_empty() {
            return Arc::from(Vec::new());
        }
        if let Ok(cache) = self.cache.read()
            && let Some(found) = cache.get(title)
        {
            return found.clone();
        }
        let found: Arc<[OccupationMatch]> = Arc::from(self.recognise_uncached(title));
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(title.to_owned(), found.clone());
        }
        found
    }

    fn recognise_uncached(&self, title: &str) -> Vec<OccupationMatch> {
        if is_japanese(title) {
            return self.recognise_japanese(title);
        }
        let exact = exact_form(title);
        let loose = loose_form(title);
        for form in [exact.clone(), singular(&exact), loose.clone(), singular(&loose)] {
            if let Some(hits) = self.exact.get(&form) {
                return ranked(hits, 1.0);
            }
        }
        self.fuzzy(&singular(&loose))
    }

    fn recognise_japanese(&self, title: &str) -> Vec<OccupationMatch> {
        let exact = japanese_key(title);
        let loose = loose_form(title);
        for form in [&exact, &loose] {
            if let Some(hits) = self.exact_ja.get(form.as_str()) {
                return ranked(hits, 1.0);
            }
        }
        // Word by word: the longest glossary entry at each position, each with
        // its glosses; the reading that names an occupation most surely wins.
        let chars: Vec<char> = loose.chars().collect();
        let mut words: Vec<Vec<String>> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            // Latin letters inside a Japanese title are English already
            // ("Webエンジニア", "ITプロジェクトマネージャー").
            if chars[i].is_ascii_alphanumeric() {
                let run: String = chars[i..].iter().take_while(|c| c.is_ascii_alphanumeric()).collect();
                i += run.chars().count();
                words.push(vec![run.to_ascii_lowercase()]);
                continue;
            }
            let longest = self.glossary_longest.min(chars.len() - i);
            let found = (1..=longest).rev().find_map(|n| {
                let piece: String = chars[i..i + n].iter().collect();
                self.glossary.get(&piece).map(|glosses| (n, glosses))
            });
            match found {
                Some((n, glosses)) => {
                    words.push(glosses.clone());
                    i += n;
                }
                None => i += 1,
            }
        }
        let mut best: Vec<OccupationMatch> = Vec::new();
        for english in readings(&words) {
            let found = self.recognise_uncached(&english);
            let better = match (found.first(), best.first()) {
                (Some(new), Some(old)) => new.confidence > old.confidence + f32::EPSILON,
                (Some(_), None) => true,
                _ => false,
            };
            if better {
                best = found;
            }
        }
        for m in &mut best {
            m.confidence *= COMPOSED_SHARE;
        }
        best
    }

    /// The occupations whose titles share the most telling words with `form`.
    fn fuzzy(&self, form: &str) -> Vec<OccupationMatch> {
        let words: Vec<u32> = form.split(' ').filter_map(|w| self.token_ids.get(w).copied()).collect();
        let Some(&head) = form.split(' ').next_back().and_then(|w| self.token_ids.get(w)) else {
            return Vec::new();
        };
        let query_norm = words.iter().map(|t| self.idf[*t as usize].powi(2)).sum::<f32>().sqrt();
        if query_norm <= 0.0 {
            return Vec::new();
        }
        let mut overlap: HashMap<u32, f32> = HashMap::new();
        for &token in &words {
            let postings = &self.postings[token as usize];
            if postings.len() > MAX_POSTINGS && token != head {
                continue;
            }
            let weight = self.idf[token as usize].powi(2);
            for &variant in postings {
                *overlap.entry(variant).or_default() += weight;
            }
        }
        let mut best: HashMap<OccupationId, f32> = HashMap::new();
        for (variant, shared) in overlap {
            let v = &self.variants[variant as usize];
            let mut score = shared / (query_norm * v.norm.max(f32::EPSILON));
            if !v.tokens.contains(&head) {
                score *= HEADLESS_SHARE;
            }
            let entry = best.entry(v.occupation).or_default();
            *entry = entry.max(score);
        }
        let mut found: Vec<OccupationMatch> = best
            .into_iter()
            .filter(|(_, score)| *score >= FUZZY_FLOOR)
            .map(|(occupation, score)| OccupationMatch {
                occupation,
                confidence: (score * FUZZY_CEILING).min(FUZZY_CEILING),
            })
            .collect();
        best_first(&mut found);
        found
    }
}

/// The English readings of a title composed of glossed words, in order of
/// preference (each word's first gloss first), at most [`MAX_READINGS`].
fn readings(words: &[Vec<String>]) -> Vec<String> {
    let mut readings: Vec<Vec<&str>> = vec![Vec::new()];
    for glosses in words.iter().filter(|g| !g.is_empty()) {
        let mut next = Vec::new();
        for reading in &readings {
            for gloss in glosses {
                if next.len() < MAX_READINGS {
                    let mut extended = reading.clone();
                    extended.push(gloss.as_str());
                    next.push(extended);
                }
            }
        }
        readings = next;
    }
    readings
        .into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| r.join(" "))
        .collect()
}

/// Glosses read per Japanese word, and readings tried per composed title.
const MAX_GLOSSES: usize = 3;
const MAX_READINGS: usize = 27;

/// Exact hits as matches: confidence shared out by the titles' weights (a title
/// many occupations use is ambiguous), best first.
fn ranked(hits: &[(OccupationId, f32)], ceiling: f32) -> Vec<OccupationMatch> {
    let mut by_occupation: HashMap<OccupationId, f32> = HashMap::new();
    for &(occupation, weight) in hits {
        *by_occupation.entry(occupation).or_default() += weight;
    }
    let total: f32 = by_occupation.values().sum();
    let mut found: Vec<OccupationMatch> = by_occupation
        .into_iter()
        .map(|(occupation, weight)| OccupationMatch {
            occupation,
            confidence: (ceiling * weight / total.max(f32::EPSILON)).sqrt().min(1.0),
        })
        .collect();
    best_first(&mut found);
    found
}

/// Most confident first (ties by id, so results are stable), at most [`MAX_MATCHES`].
fn best_first(found: &mut Vec<OccupationMatch>) {
    found.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.occupation.cmp(&b.occupation))
    });
    found.truncate(MAX_MATCHES);
}

#[cfg(test)]
impl Occupations {
    /// Five occupations with a few titles, Japanese words and similarities, for
    /// tests here and in the layers above.
    pub(crate) fn for_tests() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).expect("written");
        write(
            "occupations.tsv",
            "# test\n15-1252.00\tSoftware Developers\n13-2011.00\tAccountants and Auditors\n29-1141.00\tRegistered Nurses\n31-9091.00\tDental Assistants\n43-9061.00\tOffice Clerks, General\n",
        );
        write(
            "titles.tsv",
            "software developer\t15-1252.00\t4\nsoftware engineer\t15-1252.00\t1\naccountant\t13-2011.00\t1\nauditor\t13-2011.00\t1\nregistered nurse\t29-1141.00\t4\nnurse\t29-1141.00\t1\ndental assistant\t31-9091.00\t4\noffice clerk\t43-9061.00\t4\ngeneral office clerk\t43-9061.00\t2\n",
        );
        write("titles-ja.tsv", "会計士\t13-2011.00\t1\n看護師\t29-1141.00\t1\n");
        write(
            "glossary-ja.tsv",
            "ソフトウェア\tsoftware\nエンジニア\tengineer\n歯科\tdental\n助手\tassistant\n一般\tgeneral\n事務\tbusiness\n事務\toffice clerk\n",
        );
        // similar.tsv lists each occupation's nearest, so a pair may be in one
        // direction (software → accounting) or both (nurse ↔ dental assistant).
        write(
            "similar.tsv",
            "15-1252.00\t13-2011.00\t0.2\n29-1141.00\t31-9091.00\t0.5\n31-9091.00\t29-1141.00\t0.5\n",
        );
        Occupations::load(dir.path()).expect("test tables load")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> ((), Occupations) {
        ((), Occupations::for_tests())
    }

    fn first(tables: &Occupations, title: &str) -> Option<(String, f32)> {
        tables
            .recognise(title)
            .first()
            .map(|m| (tables.code(m.occupation).to_owned(), m.confidence))
    }

    #[test]
    fn titles_are_recognised_as_people_write_them() {
        let (_dir, tables) = tables();
        assert_eq!(first(&tables, "Software Engineer").unwrap().0, "15-1252.00");
        assert_eq!(
            first(&tables, "Sr. Software Engineer (Contract)").unwrap().0,
            "15-1252.00"
        );
        assert_eq!(first(&tables, "Engineer, Software").unwrap().0, "15-1252.00");
        assert_eq!(first(&tables, "Registered Nurses").unwrap().0, "29-1141.00");
        let (code, confidence) = first(&tables, "Staff Software Engineering Developer").unwrap();
        assert_eq!(code, "15-1252.00");
        assert!(confidence < 1.0, "found by its words only");
        assert_eq!(first(&tables, "Astronaut"), None);
    }

    #[test]
    fn japanese_titles_are_recognised_directly_or_word_by_word() {
        let (_dir, tables) = tables();
        assert_eq!(first(&tables, "会計士").unwrap().0, "13-2011.00");
        assert_eq!(first(&tables, "シニア看護師（契約）").unwrap().0, "29-1141.00");
        let (code, confidence) = first(&tables, "ソフトウェアエンジニア").unwrap();
        assert_eq!(code, "15-1252.00");
        assert!(confidence < 1.0);
        assert_eq!(first(&tables, "歯科助手").unwrap().0, "31-9091.00");
    }

    #[test]
    fn every_gloss_of_a_japanese_word_is_tried() {
        let (_dir, tables) = tables();
        // 事務 is "business" first, which names nothing; "office clerk" does.
        assert_eq!(first(&tables, "一般事務").unwrap().0, "43-9061.00");
        assert_eq!(
            readings(&[vec!["general".into()], vec!["business".into(), "office clerk".into()]]),
            vec!["general business", "general office clerk"]
        );
        let many: Vec<Vec<String>> = (0..6).map(|_| vec!["a".into(), "b".into(), "c".into()]).collect();
        assert_eq!(readings(&many).len(), MAX_READINGS, "the readings tried are bounded");
    }

    #[test]
    fn latin_letters_in_a_japanese_title_are_read_as_english() {
        let (_dir, tables) = tables();
        assert_eq!(first(&tables, "Softwareエンジニア").unwrap().0, "15-1252.00");
    }

    #[test]
    fn english_names_are_singular_heads() {
        let (_dir, tables) = tables();
        let name = |code: &str| tables.english_name(tables.by_code(code).unwrap());
        assert_eq!(name("13-2011.00"), "Accountant and Auditor");
        assert_eq!(name("43-9061.00"), "Office Clerk");
        assert_eq!(name("29-1141.00"), "Registered Nurse");
    }

    /// The committed tables, derived from O*NET, ESCO, EDICT2 and Sudachi,
    /// recognise real titles in both languages.
    #[test]
    fn committed_tables_recognise_real_titles_in_both_languages() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/occupations"));
        let tables = Occupations::load(dir).expect("committed tables load");
        assert!(tables.len() > 1_000);
        for (title, code) in [
            ("Dental Assistant", "31-9091.00"),
            ("Registered Nurse", "29-1141.00"),
            ("Sr. Software Engineer (Contract)", "15-1252.00"),
            ("accountant", "13-2011.00"),
            ("看護師", "29-1141.00"),
            ("会計士", "13-2011.00"),
            ("薬剤師", "29-1051.00"),
            ("ソフトウェアエンジニア", "15-1252.00"),
            ("ITプロジェクトマネージャー", "15-1299.09"),
            ("看護助手", "31-1131.00"),
        ] {
            let found = first(&tables, title).map(|(code, _)| code);
            assert_eq!(found.as_deref(), Some(code), "{title}");
        }
        let nurse = tables.by_code("29-1141.00").unwrap();
        let related: Vec<&str> = tables
            .similar(nurse)
            .iter()
            .take(10)
            .map(|(o, _)| tables.code(*o))
            .collect();
        assert!(
            related.iter().any(|code| code.starts_with("29-")),
            "a nurse's nearest occupations are in healthcare: {related:?}"
        );
    }

    #[test]
    fn similarity_is_symmetric_and_one_for_the_same_occupation() {
        let (_dir, tables) = tables();
        let nurse = tables.by_code("29-1141.00").unwrap();
        let dental = tables.by_code("31-9091.00").unwrap();
        assert_eq!(tables.similarity(nurse, nurse), 1.0);
        assert_eq!(tables.similarity(nurse, dental), 0.5);
        assert_eq!(tables.similarity(dental, nurse), 0.5);
        assert_eq!(tables.similarity(nurse, tables.by_code("15-1252.00").unwrap()), 0.0);
    }
}
