//! The tantivy index of alumni, derived from the store.
//!
//! One document per alumnus with BM25-searchable text fields (skills, titles,
//! experience, headline, interests), each indexed twice: as words from the
//! Japanese morphological analyzer ([`JapaneseTokenizer`], so 京都 does not match
//! 東京都) and as CJK character bigrams ([`MultilingualTokenizer`], for recall on
//! words the dictionary splits differently). Without the dictionary only the
//! bigram fields are filled. Also the canonical skill keys, and the kinds of
//! opportunity the alumnus may be returned for (`eligible_kind`, computed by
//! [`Alumnus::passes_gates`]). Retrieval always puts the gate on `eligible_kind`
//! inside the query, so an ineligible alumnus can never be retrieved.
//!
//! The index commit payload records the store's change-log sequence the index
//! reflects, which is how start-up knows whether to catch up or rebuild.

mod alumni_index;
mod error;
mod gate_cache;
mod gated;
mod japanese;
mod query;
mod retrieve;
mod schema;
mod tokenizer;

pub use alumni_index::{AlumniIndex, CommitPayload, PurgeReport};
pub use error::IndexError;
pub use japanese::{
    BuildReport, DEFAULT_DICTIONARY_DIR, DEFAULT_IPADIC_SOURCE, DictionaryStamp, JAPANESE, JapaneseDictionaryError,
    JapaneseMorphology, JapaneseTokenizer, build_ipadic,
};
pub use query::{BIGRAM_WEIGHT, MAX_QUERY_TERMS, RetrievalQuery};
pub use retrieve::{Hit, Retrieved, Snapshot};
pub use schema::{BIGRAM_ONLY, SCHEMA_VERSION};
pub use tokenizer::{BufferedTokenStream, MULTILINGUAL, MultilingualTokenizer, tokenize};

#[cfg(test)]
mod tests;
