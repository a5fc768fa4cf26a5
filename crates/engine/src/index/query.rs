//! The query half of retrieval: an opportunity's weighted terms and its gates.

use std::collections::HashMap;

use super::{JapaneseMorphology, tokenize};
use crate::{
    domain::{Opportunity, OpportunityKind},
    taxonomy::{OccupationId, Taxonomy, is_japanese},
};

/// Weight of a bigram match relative to a word match in the same field: bigrams
/// also match inside other words (京都 in 東京都), so they only add recall.
pub const BIGRAM_WEIGHT: f32 = 0.4;

/// Most distinct query terms taken per analyzer from one opportunity (highest
/// weight first), so a 20,000-character description cannot make a query of
/// thousands of clauses. Each term is a clause in five fields, and retrieval
/// cost grows with the clauses' posting lists: on the judged evaluation set
/// (`alumni-match-tools eval generated --alumni 20000`, the generator's own judgments) NDCG@10 was 0.939 with 64 terms, 0.940
/// with 32 and 0.931 with 16.
pub const MAX_QUERY_TERMS: usize = 32;

/// The query half of retrieval: weighted terms and the gates of one opportunity.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievalQuery {
    /// The kind whose gates apply.
    pub kind: OpportunityKind,
    /// Distinct words from the morphological analyzer with their weights, highest
    /// first (empty without the Japanese dictionary).
    pub word_terms: Vec<(String, f32)>,
    /// Distinct bigram-analyzer terms with their weights, highest first.
    pub bigram_terms: Vec<(String, f32)>,
    /// Canonical skill keys every result must have (empty = no such filter).
    pub required_skill_keys: Vec<String>,
    /// O*NET-SOC codes of the occupation the title names and the most similar
    /// ones, with their weights (highest first): alumni whose careers hold them
    /// are found even when no word of their profile is the opportunity's, as a
    /// Japanese opening finds English profiles.
    pub occupation_terms: Vec<(String, f32)>,
}

/// Weight of the occupation the title names, as a query term (a required skill
/// weighs 3 in the text fields; the occupation is searched in one field only).
pub const OCCUPATION_WEIGHT: f32 = 15.0;
/// Similar occupations searched besides the named one, and the least
/// similarity searched.
const SIMILAR_OCCUPATIONS_SEARCHED: usize = 12;
const MIN_SIMILARITY_SEARCHED: f32 = 0.2;

/// The occupation terms of a title: each recognised occupation at its
/// confidence, each of its similar occupations at confidence × similarity.
fn occupation_terms(title: &str, taxonomy: &Taxonomy) -> Vec<(String, f32)> {
    let occupations = taxonomy.occupations();
    let mut weights: HashMap<OccupationId, f32> = HashMap::new();
    let mut raise = |occupation: OccupationId, weight: f32| {
        let slot = weights.entry(occupation).or_insert(0.0);
        *slot = slot.max(weight);
    };
    for found in occupations.recognise(title).iter() {
        raise(found.occupation, found.confidence);
        for (other, similarity) in occupations
            .similar(found.occupation)
            .iter()
            .filter(|(_, s)| *s >= MIN_SIMILARITY_SEARCHED)
            .take(SIMILAR_OCCUPATIONS_SEARCHED)
        {
            raise(*other, found.confidence * similarity);
        }
    }
    let mut terms: Vec<(String, f32)> = weights
        .into_iter()
        .map(|(occupation, weight)| (occupations.code(occupation).to_owned(), weight * OCCUPATION_WEIGHT))
        .collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms
}

/// English names of the occupations a Japanese title names, with the
/// recogniser's confidence (none for a title in Latin script, or below
/// [`MIN_TRANSLATION_CONFIDENCE`]).
fn title_translations(title: &str, taxonomy: &Taxonomy) -> Vec<(String, f32)> {
    if !is_japanese(title) {
        return Vec::new();
    }
    let occupations = taxonomy.occupations();
    occupations
        .recognise(title)
        .iter()
        .filter(|found| found.confidence >= MIN_TRANSLATION_CONFIDENCE)
        .take(MAX_TRANSLATIONS)
        .map(|found| (occupations.english_name(found.occupation), found.confidence))
        .collect()
}

/// Least confidence at which a Japanese title is also searched in English,
/// and how many of its occupations are.
const MIN_TRANSLATION_CONFIDENCE: f32 = 0.5;
const MAX_TRANSLATIONS: usize = 2;

/// Distinct terms of weighted texts, keeping each term's highest weight; the
/// [`MAX_QUERY_TERMS`] heaviest, ties in order of first appearance.
fn weighted_terms(texts: &[(&str, f32)], tokenize: impl Fn(&str, &mut dyn FnMut(&str))) -> Vec<(String, f32)> {
    let mut weights: HashMap<String, (f32, usize)> = HashMap::new();
    let mut order = 0usize;
    for &(text, weight) in texts {
        tokenize(text, &mut |term| {
            let entry = weights.entry(term.to_owned()).or_insert((0.0, order));
            entry.0 = entry.0.max(weight);
            order += 1;
        });
    }
    let mut terms: Vec<(String, f32, usize)> = weights.into_iter().map(|(t, (w, o))| (t, w, o)).collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    terms.truncate(MAX_QUERY_TERMS);
    terms.into_iter().map(|(t, w, _)| (t, w)).collect()
}

impl RetrievalQuery {
    /// Builds the query for an opportunity: required skills weigh most, then the
    /// title and preferred skills, then the rest of the text. `morphology` is the
    /// index's ([`AlumniIndex::morphology`]), so query words match indexed words.
    pub fn for_opportunity(
        opportunity: &Opportunity,
        taxonomy: &Taxonomy,
        require_all_required_skills: bool,
        morphology: Option<&JapaneseMorphology>,
    ) -> Self {
        let mut texts: Vec<(&str, f32)> = Vec::new();
        let canonical: Vec<String> = opportunity
            .required_skills
            .iter()
            .chain(&opportunity.preferred_skills)
            .map(|skill| taxonomy.canonical_skill(skill).display)
            .collect();
        let (required_canonical, preferred_canonical) = canonical.split_at(opportunity.required_skills.len());
        for (skill, canonical) in opportunity.required_skills.iter().zip(required_canonical) {
            texts.push((skill, 3.0));
            texts.push((canonical, 3.0));
        }
        texts.push((&opportunity.title, 2.0));
        // A Japanese title is also searched by the English name of the
        // occupation it names, as a required skill is by its canonical name: the
        // English profiles that hold the occupation then score on the same words
        // an English twin of the opening would find them by.
        let translations = title_translations(&opportunity.title, taxonomy);
        for (name, confidence) in &translations {
            texts.push((name, 2.0 * confidence));
        }
        for (skill, canonical) in opportunity.preferred_skills.iter().zip(preferred_canonical) {
            texts.push((skill, 1.5));
            texts.push((canonical, 1.5));
        }
        texts.push((&opportunity.department, 0.8));
        texts.push((&opportunity.seniority, 0.5));
        texts.push((&opportunity.description, 0.5));
        let mut bigram_terms = weighted_terms(&texts, |text, emit| tokenize(text, |term, _, _| emit(term)));
        let mut word_terms = match morphology {
            Some(morphology) => weighted_terms(&texts, |text, emit| morphology.tokenize(text, |term, _, _| emit(term))),
            None => Vec::new(),
        };
        // Both analyzers emit Latin words unchanged, so a term both produced would
        // read the same posting list twice (in the word and the bigram field).
        // Query it once, in the word field, with the bigram clause's weight added:
        // the score stays the same wherever the two fields have equal length (all
        // of a Latin-script profile) and retrieval reads half the postings.
        if !word_terms.is_empty() {
            let bigram_weights: HashMap<&str, f32> = bigram_terms.iter().map(|(t, w)| (t.as_str(), *w)).collect();
            let mut shared = std::collections::HashSet::new();
            for (term, weight) in &mut word_terms {
                if let Some(bigram_weight) = bigram_weights.get(term.as_str()) {
                    *weight += BIGRAM_WEIGHT * bigram_weight;
                    shared.insert(term.clone());
                }
            }
            bigram_terms.retain(|(term, _)| !shared.contains(term));
        }
        let required_skill_keys = if require_all_required_skills {
            let mut keys: Vec<String> = opportunity
                .required_skills
                .iter()
                .map(|s| taxonomy.canonical_skill(s).key)
                .collect();
            keys.sort();
            keys.dedup();
            keys
        } else {
            Vec::new()
        };
        Self {
            kind: opportunity.kind,
            word_terms,
            bigram_terms,
            required_skill_keys,
            occupation_terms: occupation_terms(&opportunity.title, taxonomy),
        }
    }
}
