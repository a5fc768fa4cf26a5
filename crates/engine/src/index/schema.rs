//! The index's schema: which fields a document has, how each is analysed, and
//! how much a match in each counts.

use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions};

use super::{JAPANESE, MULTILINGUAL, query::MAX_QUERY_TERMS};

/// Bumped whenever the schema or the way documents are built changes: an index
/// with another version is rebuilt from the store at start-up.
pub const SCHEMA_VERSION: u32 = 4;

/// Name of the [`Fields::career`] column.
pub(super) const CAREER_FIELD: &str = "career";

/// [`CommitPayload::analyzer`] of an index built without the Japanese dictionary.
pub const BIGRAM_ONLY: &str = "bigram-only";

/// A text field as its two indexed variants.
#[derive(Debug, Clone, Copy)]
pub(super) struct TextPair {
    /// Words from the morphological analyzer.
    pub(super) words: Field,
    /// Character bigrams (and Latin words).
    pub(super) bigrams: Field,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    pub(super) id: Field,
    pub(super) headline: TextPair,
    pub(super) skills: TextPair,
    pub(super) titles: TextPair,
    pub(super) experience: TextPair,
    pub(super) interests: TextPair,
    pub(super) skill_keys: Field,
    /// O*NET-SOC codes of the career, each repeated by its strength (see
    /// `taxonomy::indexed_occupations`), scored by BM25 like the text.
    pub(super) occupations: Field,
    /// What each title of the career names (`taxonomy::RecognisedCareer`,
    /// encoded), read back by ranking instead of recognising the titles again.
    pub(super) career: Field,
    pub(super) eligible_kind: Field,
}

/// Relative weight of a match in each text field, and how many of the query's
/// terms (heaviest first) are searched in it. The long free-text fields
/// (position descriptions, interest statements) hold the longest posting lists,
/// and matching an opportunity's every word against them added cost but no
/// quality. On the judged evaluation set (`alumni-match-tools eval generated --alumni 20000`, the generator's own judgments)
/// NDCG@10 was 0.940 with all 32 terms in every field, 0.937 with 8 and 0.941
/// with 4 in those two; on the 1,000,000-alumnus benchmark, Match p50 at
/// concurrency 1 went from 57.5 ms to 44.4 ms and 37.8 ms. They keep the
/// heaviest terms (required skills first), so a skill named only in a
/// description or an interest statement is still found.
pub(super) const FIELD_BOOSTS: [(TextField, f32, usize); 5] = [
    (TextField::Skills, 2.0, MAX_QUERY_TERMS),
    (TextField::Titles, 1.5, MAX_QUERY_TERMS),
    (TextField::Headline, 1.2, MAX_QUERY_TERMS),
    (TextField::Experience, 1.0, FREE_TEXT_QUERY_TERMS),
    (TextField::Interests, 0.8, FREE_TEXT_QUERY_TERMS),
];

/// Query terms searched in the long free-text fields (see [`FIELD_BOOSTS`]).
pub(super) const FREE_TEXT_QUERY_TERMS: usize = 4;

#[derive(Debug, Clone, Copy)]
pub(super) enum TextField {
    Headline,
    Skills,
    Titles,
    Experience,
    Interests,
}

impl Fields {
    pub(super) fn text(&self, field: TextField) -> TextPair {
        match field {
            TextField::Headline => self.headline,
            TextField::Skills => self.skills,
            TextField::Titles => self.titles,
            TextField::Experience => self.experience,
            TextField::Interests => self.interests,
        }
    }
}

pub(super) fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let mut pair = |name: &str| TextPair {
        words: builder.add_text_field(name, text(JAPANESE)),
        bigrams: builder.add_text_field(&format!("{name}_bigram"), text(MULTILINGUAL)),
    };
    let headline = pair("headline");
    let skills = pair("skills");
    let titles = pair("titles");
    let experience = pair("experience");
    let interests = pair("interests");
    let fields = Fields {
        id: builder.add_text_field("id", STRING | FAST),
        headline,
        skills,
        titles,
        experience,
        interests,
        skill_keys: builder.add_text_field("skill_keys", STRING),
        occupations: builder.add_text_field(
            "occupations",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        career: builder.add_bytes_field(CAREER_FIELD, FAST),
        eligible_kind: builder.add_u64_field("eligible_kind", INDEXED),
    };
    (builder.build(), fields)
}
