//! Deriving `data/occupations/`, the tables the engine's occupation layer
//! (`taxonomy::Occupations`) loads: the O*NET-SOC occupations, the English and
//! Japanese titles that name them, a Japanese glossary of title words, and how
//! similar each occupation is to the others.
//!
//! - English titles: O*NET 29.2's occupation titles (singular and plural),
//!   reported titles and alternate titles (with their short forms), and the
//!   preferred and alternative labels of the ESCO occupations whose titles
//!   point to one O*NET occupation (see `derive::join_onet`). Each title weighs
//!   by how strongly its list vouches for it.
//! - Japanese titles: EDICT2 entries whose noun glosses are such a title
//!   (看護師 "registered nurse", 会計士 "accountant"), and Sudachi spellings of
//!   the same lexeme as an English title in a work-domain group. An English
//!   title that names many occupations ("manager") gives no Japanese title of
//!   its own; the glossary composes those.
//! - Glossary: Japanese words whose gloss is made of words used in English
//!   titles (ソフトウェア "software", エンジニア "engineer"), from Sudachi's
//!   same-lexeme pairs first, then EDICT, so a title the dictionaries do not
//!   list whole is recognised word by word.
//! - Similarity: for every pair of occupations, a blend of the cosine of their
//!   O*NET technology skills, of their O*NET descriptions and of the words of
//!   their titles (TF-IDF), and their distance in the SOC code hierarchy. ESCO's
//!   occupation-skill relations are deliberately not used: the evaluation
//!   (`eval::judged`) grades relatedness with them, so the ranking must not see them.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    fmt::Write as _,
    fs,
    path::Path,
};

use rayon::prelude::*;

use super::{
    GenError,
    derive::{ATTRIBUTION, join_onet},
    edict::{self, EDICT_ATTRIBUTION, EdictEntry},
    sources::{Esco, Onet, SourcePaths, Table, field},
    sudachi::Synonyms,
};
use crate::taxonomy::titles::{exact_form, fold_kana, is_japanese, japanese_key, singular};

/// English titles that name more occupations than this give no Japanese title
/// of their own (エンジニア is every kind of engineer).
const MAX_CODES_FOR_JAPANESE_TITLE: usize = 6;
/// Senses and glosses of an EDICT entry considered (the first are the main meanings).
const SENSES_READ: usize = 3;
const GLOSSES_READ: usize = 4;
/// Most similar occupations kept per occupation, and the least similarity kept.
const MAX_SIMILAR: usize = 40;
const MIN_SIMILARITY: f64 = 0.12;
/// Shares of the similarity blend.
const TECHNOLOGY_SHARE: f64 = 0.35;
const DESCRIPTION_SHARE: f64 = 0.25;
const TITLE_WORDS_SHARE: f64 = 0.20;
const HIERARCHY_SHARE: f64 = 0.20;

/// Weight of a title by the list it comes from.
const OCCUPATION_TITLE: f32 = 4.0;
const REPORTED_TITLE: f32 = 2.0;
const ALTERNATE_TITLE: f32 = 1.0;
const ESCO_LABEL: f32 = 1.0;
const ESCO_ALT_LABEL: f32 = 0.5;

/// What a build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccupationStats {
    /// Occupations.
    pub occupations: usize,
    /// Distinct English title forms.
    pub english_titles: usize,
    /// Distinct Japanese title forms.
    pub japanese_titles: usize,
    /// Occupations with at least one Japanese title.
    pub occupations_with_japanese: usize,
    /// Glossary entries.
    pub glossary: usize,
    /// Similar pairs written.
    pub similar_pairs: usize,
}

struct OnetOccupation {
    code: String,
    title: String,
    description: String,
}

/// Title form → occupation code → weight.
type TitleTable = BTreeMap<String, BTreeMap<String, f32>>;

fn add_title(table: &mut TitleTable, form: String, code: &str, weight: f32) {
    if form.is_empty() || form.len() > 120 {
        return;
    }
    let slot = table.entry(form).or_default().entry(code.to_owned()).or_insert(0.0);
    *slot = slot.max(weight);
}

/// Reads the real data under `shared_data_dir` and writes the tables to `out_dir`.
pub fn build_occupations(shared_data_dir: &Path, out_dir: &Path) -> Result<OccupationStats, GenError> {
    let paths = SourcePaths::new(shared_data_dir);
    let occupations = read_onet_occupations(&paths.onet)?;
    let onet = Onet::load(&paths.onet)?;
    let esco = Esco::load(&paths.esco)?;
    let synonyms = Synonyms::load(&paths.sudachi)?;
    let dictionary = edict::load(&paths.edict)?;
    let known: HashSet<&str> = occupations.iter().map(|o| o.code.as_str()).collect();

    let english = english_titles(&paths.onet, &occupations, &onet, &esco, &known)?;
    let japanese = japanese_titles(&english, &dictionary, &synonyms);
    let glossary = glossary(&english, &dictionary, &synonyms);
    let similar = similarities(&occupations, &onet, &english);

    fs::create_dir_all(out_dir).map_err(|source| GenError::Io {
        path: out_dir.display().to_string(),
        source,
    })?;
    let header = |text: &mut String, licence: &[&str], what: &str| {
        for line in licence {
            let _ = writeln!(text, "# {line}");
        }
        let _ = writeln!(
            text,
            "# {what}\n# Derived by `alumni-match-tools data build-occupations`; see data/occupations/README.md."
        );
    };
    let open_licence = [ATTRIBUTION[0], ATTRIBUTION[1]];
    let japanese_licence = [EDICT_ATTRIBUTION, ATTRIBUTION[2], ATTRIBUTION[1], ATTRIBUTION[0]];

    let mut text = String::new();
    header(&mut text, &open_licence[1..], "O*NET-SOC occupations: code<TAB>title.");
    for o in &occupations {
        let _ = writeln!(text, "{}\t{}", o.code, o.title);
    }
    write(out_dir, "occupations.tsv", &text)?;

    let write_titles = |name: &str, table: &TitleTable, licence: &[&str], what: &str| -> Result<(), GenError> {
        let mut text = String::new();
        header(&mut text, licence, what);
        for (form, codes) in table {
            for (code, weight) in codes {
                let _ = writeln!(text, "{form}\t{code}\t{weight:.2}");
            }
        }
        write(out_dir, name, &text)
    };
    write_titles(
        "titles.tsv",
        &english,
        &open_licence,
        "English job titles: form<TAB>O*NET-SOC code<TAB>weight (occupation title 4, reported 2, alternate 1, ESCO label 1, ESCO alternative 0.5).",
    )?;
    write_titles(
        "titles-ja.tsv",
        &japanese,
        &japanese_licence,
        "Japanese job titles: form<TAB>O*NET-SOC code<TAB>weight (the English title's weight, less for later senses and glosses).",
    )?;

    let mut text = String::new();
    header(
        &mut text,
        &japanese_licence,
        "Japanese words of job titles: japanese<TAB>english, up to three lines per word, best first (Sudachi same-lexeme pairs, then EDICT2 glosses).",
    );
    for (japanese, english) in &glossary {
        let _ = writeln!(text, "{japanese}\t{english}");
    }
    write(out_dir, "glossary-ja.tsv", &text)?;

    let mut text = String::new();
    header(
        &mut text,
        &open_licence[1..],
        "Similar occupations: code<TAB>code<TAB>similarity (O*NET technology skills, descriptions, title words, SOC hierarchy).",
    );
    let mut similar_pairs = 0;
    for (code, list) in &similar {
        for (other, similarity) in list {
            let _ = writeln!(text, "{code}\t{other}\t{similarity:.3}");
            similar_pairs += 1;
        }
    }
    write(out_dir, "similar.tsv", &text)?;

    let japanese_codes: HashSet<&String> = japanese.values().flat_map(|codes| codes.keys()).collect();
    let stats = OccupationStats {
        occupations: occupations.len(),
        english_titles: english.len(),
        japanese_titles: japanese.len(),
        occupations_with_japanese: japanese_codes.len(),
        glossary: glossary.len(),
        similar_pairs,
    };
    tracing::info!(?stats, path = %out_dir.display(), "occupation tables written");
    Ok(stats)
}

fn write(dir: &Path, name: &str, text: &str) -> Result<(), GenError> {
    let path = dir.join(name);
    fs::write(&path, text).map_err(|source| GenError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn read_onet_occupations(dir: &Path) -> Result<Vec<OnetOccupation>, GenError> {
    let t = Table::tsv(&dir.join("occupation_data.tsv"))?;
    let (code, title, description) = (
        t.column("O*NET-SOC Code")?,
        t.column("Title")?,
        t.column("Description")?,
    );
    Ok(t.rows
        .iter()
        .filter(|r| !field(r, code).is_empty() && !field(r, title).is_empty())
        .map(|r| OnetOccupation {
            code: field(r, code).to_owned(),
            title: field(r, title).to_owned(),
            description: field(r, description).to_owned(),
        })
        .collect())
}

fn english_titles(
    onet_dir: &Path,
    occupations: &[OnetOccupation],
    onet: &Onet,
    esco: &Esco,
    known: &HashSet<&str>,
) -> Result<TitleTable, GenError> {
    let mut table = TitleTable::new();
    for o in occupations {
        let form = exact_form(&o.title);
        add_title(&mut table, singular(&form), &o.code, OCCUPATION_TITLE);
        add_title(&mut table, form, &o.code, OCCUPATION_TITLE);
    }
    {
        let t = Table::tsv(&onet_dir.join("reported_titles.tsv"))?;
        let (code, title) = (t.column("O*NET-SOC Code")?, t.column("Reported Job Title")?);
        for r in &t.rows {
            if known.contains(field(r, code)) {
                add_title(&mut table, exact_form(field(r, title)), field(r, code), REPORTED_TITLE);
            }
        }
    }
    {
        let t = Table::tsv(&onet_dir.join("alternate_titles.tsv"))?;
        let (code, title, short) = (
            t.column("O*NET-SOC Code")?,
            t.column("Alternate Title")?,
            t.column("Short Title")?,
        );
        for r in &t.rows {
            if known.contains(field(r, code)) {
                add_title(&mut table, exact_form(field(r, title)), field(r, code), ALTERNATE_TITLE);
                add_title(&mut table, exact_form(field(r, short)), field(r, code), ALTERNATE_TITLE);
            }
        }
    }
    for o in &esco.occupations {
        let Some(code) = join_onet(o, onet) else { continue };
        if !known.contains(code.as_str()) {
            continue;
        }
        let labels = std::iter::once((&o.label, ESCO_LABEL)).chain(o.alt_labels.iter().map(|a| (a, ESCO_ALT_LABEL)));
        for (label, weight) in labels {
            // "waiter/waitress": each spelling is a title.
            for part in label.split('/') {
                add_title(&mut table, exact_form(part), &code, weight);
            }
        }
    }
    Ok(table)
}

/// The English title forms a gloss may be ("registered nurses" → also the singular).
fn gloss_forms(gloss: &str) -> Vec<String> {
    if !gloss.is_ascii() {
        return Vec::new();
    }
    let form = exact_form(gloss);
    let one = singular(&form);
    if one == form { vec![form] } else { vec![form, one] }
}

fn japanese_titles(english: &TitleTable, dictionary: &[EdictEntry], synonyms: &Synonyms) -> TitleTable {
    let mut table = TitleTable::new();
    let mut add = |japanese: &str, codes: &BTreeMap<String, f32>, factor: f32| {
        if !is_japanese(japanese) || codes.len() > MAX_CODES_FOR_JAPANESE_TITLE {
            return;
        }
        let key = japanese_key(japanese);
        if key.chars().count() < 2 {
            return;
        }
        for (code, weight) in codes {
            add_title(&mut table, key.clone(), code, weight * factor);
        }
    };
    for entry in dictionary {
        let common = if entry.common { 1.0 } else { 0.8 };
        for (s, sense) in entry.senses.iter().take(SENSES_READ).enumerate() {
            if !sense.noun {
                continue;
            }
            for (g, gloss) in sense.glosses.iter().take(GLOSSES_READ).enumerate() {
                for form in gloss_forms(gloss) {
                    if let Some(codes) = english.get(&form) {
                        let factor = common / (1.0 + s as f32) / (1.0 + 0.5 * g as f32);
                        for headword in &entry.headwords {
                            add(headword, codes, factor);
                        }
                        break;
                    }
                }
            }
        }
    }
    for group in synonyms.groups.iter().filter(|g| g.in_work_domain()) {
        for english_entry in group
            .entries
            .iter()
            .filter(|e| e.ascii && e.expandable && !e.misspelling)
        {
            let Some(codes) = gloss_forms(&english_entry.text).iter().find_map(|f| english.get(f)) else {
                continue;
            };
            for japanese in group.entries.iter().filter(|e| {
                !e.ascii && e.expandable && !e.misspelling && e.lexeme.is_some() && e.lexeme == english_entry.lexeme
            }) {
                add(&japanese.text, codes, 0.8);
            }
        }
    }
    table
}

/// Japanese word → English words, for composing titles word by word.
fn glossary(english: &TitleTable, dictionary: &[EdictEntry], synonyms: &Synonyms) -> Vec<(String, String)> {
    let mut title_words: HashMap<&str, usize> = HashMap::new();
    for form in english.keys() {
        for word in form.split(' ') {
            *title_words.entry(word).or_default() += 1;
        }
    }
    // How telling a gloss is as title words: all its words must be title words;
    // words many titles use ("sales" over "business" for 営業) make it likelier.
    let fit = |gloss: &str| -> Option<(f64, String)> {
        let form = exact_form(gloss);
        let words: Vec<&str> = form.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() || words.len() > 3 || !gloss.is_ascii() {
            return None;
        }
        let mut score = 0.0;
        for word in &words {
            score += (1.0 + *title_words.get(word)? as f64).ln();
        }
        Some((score / words.len() as f64, form))
    };
    // Each key keeps its few best glosses, Sudachi's first: the recogniser
    // tries their combinations, so 事務 can be "office" in 一般事務 although
    // "business" fits more titles.
    let mut candidates: HashMap<String, Vec<(f64, String)>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut offer = |key: String, score: f64, english: String| {
        if !is_japanese(&key) || key.chars().count() < 2 {
            return;
        }
        let list = candidates.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Vec::new()
        });
        if !list.iter().any(|(_, e)| *e == english) {
            list.push((score, english));
        }
    };
    for group in synonyms.groups.iter().filter(|g| g.in_work_domain()) {
        for japanese in group
            .entries
            .iter()
            .filter(|e| !e.ascii && e.expandable && !e.misspelling)
        {
            for english in group
                .entries
                .iter()
                .filter(|e| {
                    e.ascii && e.expandable && !e.misspelling && e.lexeme.is_some() && e.lexeme == japanese.lexeme
                })
                .filter_map(|e| fit(&e.text))
            {
                // Sudachi's same-lexeme pairs outrank any dictionary gloss.
                offer(fold_kana(&japanese.text), english.0 + SUDACHI_PRECEDENCE, english.1);
            }
        }
    }
    for entry in dictionary {
        let glosses: Vec<(f64, String)> = entry
            .senses
            .iter()
            .take(2)
            .enumerate()
            .filter(|(_, s)| s.noun)
            .flat_map(|(s, sense)| {
                let factor = if s == 0 { 1.0 } else { 0.8 };
                sense
                    .glosses
                    .iter()
                    .take(GLOSSES_READ)
                    .filter_map(move |g| fit(g).map(|(score, form)| (score * factor, form)))
            })
            .collect();
        for headword in &entry.headwords {
            for (score, english) in &glosses {
                offer(fold_kana(headword), *score, english.clone());
            }
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for key in order {
        let mut list = candidates.remove(&key).unwrap_or_default();
        list.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        for (_, english) in list.into_iter().take(GLOSSES_KEPT) {
            out.push((key.clone(), english));
        }
    }
    out
}

/// Glosses kept per Japanese word, and how far Sudachi's pairs rank above
/// EDICT2's glosses (fit scores are logarithms of title-word counts, below 10).
const GLOSSES_KEPT: usize = 3;
const SUDACHI_PRECEDENCE: f64 = 100.0;

/// A sparse TF-IDF vector, unit length, sorted by term.
type Vector = Vec<(u32, f64)>;

fn tfidf(docs: &[Vec<(String, f64)>]) -> Vec<Vector> {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut df: Vec<usize> = Vec::new();
    let encoded: Vec<HashMap<u32, f64>> = docs
        .iter()
        .map(|doc| {
            let mut tf: HashMap<u32, f64> = HashMap::new();
            for (term, weight) in doc {
                let next = ids.len() as u32;
                let id = *ids.entry(term.as_str()).or_insert(next);
                if df.len() <= id as usize {
                    df.push(0);
                }
                *tf.entry(id).or_default() += weight;
            }
            for id in tf.keys() {
                df[*id as usize] += 1;
            }
            tf
        })
        .collect();
    let n = docs.len() as f64;
    encoded
        .into_iter()
        .map(|tf| {
            let mut v: Vector = tf
                .into_iter()
                .map(|(id, tf)| (id, (1.0 + tf.ln().max(0.0)) * (n / df[id as usize] as f64).ln()))
                .filter(|(_, w)| *w > 0.0)
                .collect();
            let norm = v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
            for (_, w) in &mut v {
                *w /= norm.max(f64::EPSILON);
            }
            v.sort_by_key(|(id, _)| *id);
            v
        })
        .collect()
}

/// The dot product of two sparse vectors sorted by term: their cosine when
/// both are unit length.
pub(crate) fn cosine(a: &[(u32, f64)], b: &[(u32, f64)]) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// Closeness in the SOC hierarchy: same detailed occupation (another O*NET
/// specialty), broad group, minor group, major group.
fn hierarchy(a: &str, b: &str) -> f64 {
    let same = |n: usize| a.len() >= n && b.len() >= n && a[..n] == b[..n];
    if same(7) {
        0.9
    } else if same(6) {
        0.6
    } else if same(4) {
        0.35
    } else if same(2) {
        0.15
    } else {
        0.0
    }
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3)
        .map(|w| singular(&w.to_ascii_lowercase()))
}

fn similarities(
    occupations: &[OnetOccupation],
    onet: &Onet,
    english: &TitleTable,
) -> Vec<(String, Vec<(String, f64)>)> {
    let technology_docs: Vec<Vec<(String, f64)>> = occupations
        .iter()
        .map(|o| {
            let mut seen = HashSet::new();
            onet.technologies
                .get(&o.code)
                .into_iter()
                .flatten()
                .filter(|t| seen.insert(t.example.as_str()))
                .map(|t| (t.example.clone(), if t.hot { 1.5 } else { 1.0 }))
                .collect()
        })
        .collect();
    let description_docs: Vec<Vec<(String, f64)>> = occupations
        .iter()
        .map(|o| words(&o.description).map(|w| (w, 1.0)).collect())
        .collect();
    let mut title_docs: Vec<Vec<(String, f64)>> = vec![Vec::new(); occupations.len()];
    let position: HashMap<&str, usize> = occupations
        .iter()
        .enumerate()
        .map(|(i, o)| (o.code.as_str(), i))
        .collect();
    for (form, codes) in english {
        for (code, weight) in codes {
            if let Some(&i) = position.get(code.as_str()) {
                title_docs[i].extend(words(form).map(|w| (w, f64::from(*weight).min(2.0))));
            }
        }
    }
    let technology = tfidf(&technology_docs);
    let description = tfidf(&description_docs);
    let titles = tfidf(&title_docs);
    (0..occupations.len())
        .into_par_iter()
        .map(|a| {
            let mut list: Vec<(String, f64)> = (0..occupations.len())
                .filter(|&b| b != a)
                .filter_map(|b| {
                    let mut parts = vec![
                        (DESCRIPTION_SHARE, cosine(&description[a], &description[b])),
                        (TITLE_WORDS_SHARE, cosine(&titles[a], &titles[b])),
                        (HIERARCHY_SHARE, hierarchy(&occupations[a].code, &occupations[b].code)),
                    ];
                    if !technology[a].is_empty() && !technology[b].is_empty() {
                        parts.push((TECHNOLOGY_SHARE, cosine(&technology[a], &technology[b])));
                    }
                    let total: f64 = parts.iter().map(|(w, _)| w).sum();
                    let similarity = parts.iter().map(|(w, s)| w * s).sum::<f64>() / total;
                    (similarity >= MIN_SIMILARITY).then(|| (occupations[b].code.clone(), similarity))
                })
                .collect();
            list.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
            list.truncate(MAX_SIMILAR);
            (occupations[a].code.clone(), list)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy_counts_shared_code_levels() {
        assert_eq!(hierarchy("15-1252.00", "15-1252.01"), 0.9);
        assert_eq!(hierarchy("15-1252.00", "15-1253.00"), 0.6);
        assert_eq!(hierarchy("15-1252.00", "15-1211.00"), 0.35);
        assert_eq!(hierarchy("15-1252.00", "15-2031.00"), 0.15);
        assert_eq!(hierarchy("15-1252.00", "29-1141.00"), 0.0);
    }

    #[test]
    fn tfidf_vectors_are_unit_length_and_compare_by_shared_rare_terms() {
        let doc = |terms: &[&str]| terms.iter().map(|t| ((*t).to_owned(), 1.0)).collect::<Vec<_>>();
        let vectors = tfidf(&[
            doc(&["excel", "python", "sql"]),
            doc(&["excel", "python"]),
            doc(&["excel", "autocad"]),
            doc(&["excel"]),
        ]);
        let norm = |v: &Vector| v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        assert!((norm(&vectors[0]) - 1.0).abs() < 1e-9);
        assert!(vectors[3].is_empty(), "a term every document has tells nothing");
        assert!(cosine(&vectors[0], &vectors[1]) > cosine(&vectors[0], &vectors[2]));
    }

    #[test]
    fn glosses_are_looked_up_as_titles_in_both_numbers() {
        assert_eq!(
            gloss_forms("Registered Nurses"),
            ["registered nurses", "registered nurse"]
        );
        assert_eq!(gloss_forms("accountant"), ["accountant"]);
        assert!(gloss_forms("看護").is_empty());
    }
}
