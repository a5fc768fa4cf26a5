//! Free text through every function that normalises or splits it.
//!
//! The input, if UTF-8, goes to:
//! - `taxonomy::normalize`, `Taxonomy::canonical_skill` and `Taxonomy::are_related`
//!   on the real alias table (`data/taxonomy/skills.tsv`), for the whole text and
//!   for each line;
//! - `Taxonomy::parse` as an alias table, then lookups in the parsed table;
//! - `domain::PartialDate::parse` (and its serde form, as JSONL dates are read) for
//!   the whole text and for each line;
//! - the bigram tokenizer (`index::tokenize`, `MultilingualTokenizer`), the Japanese
//!   morphological analyzer (`JapaneseMorphology::tokenize`, `JapaneseTokenizer`
//!   reused across texts as tantivy reuses it) when `data/ja-dict` is present;
//! - the ranking's text features (`ranking::career::token_set`,
//!   `ranking::seniority::{title_level, title_seniority}`).
#![no_main]

use alumni_match::{
    domain::PartialDate,
    index::{JapaneseTokenizer, MultilingualTokenizer, tokenize},
    ranking::{career, seniority},
    taxonomy::{Taxonomy, normalize},
};
use alumni_match_fuzz::{morphology, taxonomy};
use libfuzzer_sys::fuzz_target;
use tantivy::tokenizer::{TokenStream, Tokenizer};

/// Lines looked at one by one (the whole text is always looked at).
const MAX_LINES: usize = 32;

fn date(text: &str) {
    if let Ok(date) = PartialDate::parse(text) {
        // Dates are stored and returned in their text form: it must parse back to
        // the same date. Cannot fail legitimately.
        let shown = date.to_string();
        assert_eq!(PartialDate::parse(&shown), Ok(date), "date {text:?} shown as {shown:?}");
        let _ = date.years_until(&PartialDate::parse("2200-12-31").unwrap_or(date));
    }
    if let Ok(json) = serde_json::to_string(text) {
        let _ = serde_json::from_str::<PartialDate>(&json);
    }
}

fn drain(mut stream: impl TokenStream) -> usize {
    let mut count = 0;
    while stream.advance() {
        let token = stream.token();
        count += token.text.len() + token.offset_to.saturating_sub(token.offset_from);
    }
    count
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines: Vec<&str> = text.lines().take(MAX_LINES).collect();

    // Normalisation and the real alias table.
    let _ = normalize(text);
    let table = taxonomy();
    let whole = table.canonical_skill(text);
    let mut previous = whole.clone();
    for line in &lines {
        let skill = table.canonical_skill(line);
        let _ = table.are_related(&previous, &skill);
        previous = skill;
    }

    // The input as an alias table.
    if let Ok(parsed) = Taxonomy::parse(text) {
        let _ = parsed.len();
        let mut previous = parsed.canonical_skill(text);
        for line in &lines {
            let name = line.split('\t').next().unwrap_or_default();
            let skill = parsed.canonical_skill(name);
            let _ = parsed.are_related(&previous, &skill);
            previous = skill;
        }
    }

    // Dates.
    date(text);
    for line in &lines {
        date(line);
    }

    // Tokenizers.
    let mut bigrams = 0usize;
    tokenize(text, |term, from, to| bigrams += term.len() + to.saturating_sub(from));
    let mut multilingual = MultilingualTokenizer::default();
    drain(multilingual.token_stream(text));
    if let Some(morphology) = morphology() {
        let mut words = 0usize;
        morphology.tokenize(text, |term, from, to| words += term.len() + to.saturating_sub(from));
        let mut japanese = JapaneseTokenizer::new(morphology.clone());
        for line in &lines {
            drain(japanese.token_stream(line));
        }
        drain(japanese.token_stream(text));
    }

    // Ranking text features.
    let _ = career::token_set(lines.iter().copied());
    let _ = seniority::title_level(text);
    let _ = seniority::title_seniority(text);
});
