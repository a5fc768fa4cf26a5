//! Realistic synthetic data: alumni and opportunities drawn from real occupation,
//! skill and name vocabularies, with occupation labels for judged evaluation.
//!
//! Two stages, so that generation never needs the (large, separately licensed)
//! source data:
//! 1. [`build_vocabulary`] derives `data/vocab/vocabulary.json` from ESCO, O*NET,
//!    the Sudachi synonym dictionary and mimesis (see `data/vocab/README.md`);
//!    [`build_skill_taxonomy`] derives the skill alias table `data/taxonomy/skills.tsv`
//!    from the same data (see `data/taxonomy/README.md`).
//! 2. [`Generator`] turns the vocabulary and a [`GenConfig`] into alumni and
//!    opportunities. Record `i` depends only on `(seed, i)`, so any slice can be
//!    reproduced alone and generation parallelises; [`write_dataset`] streams
//!    JSONL in the project's import format.

mod alumni;
mod dataset;
mod derive;
pub(crate) mod edict;
mod occupations;
mod opportunities;
pub(crate) mod rng;
pub(crate) mod sources;
mod sudachi;
mod taxonomy;
mod text;
mod vocab;

use std::io;

pub use alumni::{GeneratedAlumnus, Generator, alumnus};
pub use dataset::{DatasetStats, Label, write_dataset};
pub(crate) use derive::join_onet;
pub use derive::{ATTRIBUTION, VocabularyStats, build_vocabulary};
pub(crate) use occupations::cosine;
pub use occupations::{OccupationStats, build_occupations};
pub use opportunities::{GeneratedOpportunity, opportunities};
pub use taxonomy::{TaxonomyStats, build_skill_taxonomy};
pub use vocab::{
    LocalizedName, Names, Occupation, OrganizationPattern, Relevance, Technology, VOCABULARY_FORMAT, VocabSkill,
    Vocabulary,
};

use crate::domain::PartialDate;

/// Why deriving a vocabulary or generating data failed.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// A CSV or TSV source could not be parsed.
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: String,
        /// The cause.
        source: csv::Error,
    },
    /// JSON could not be parsed or written.
    #[error("{path}: {source}")]
    Json {
        /// The file (or `<vocabulary>` for text given directly).
        path: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// A source file parses but lacks something the derivation needs.
    #[error("{path}: {message}")]
    Data {
        /// The file.
        path: String,
        /// What is missing.
        message: String,
    },
    /// A vocabulary parses but is inconsistent or incomplete.
    #[error("vocabulary {path}: {message}")]
    InvalidVocabulary {
        /// The file (or `<vocabulary>`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The generation settings are out of range.
    #[error("generator configuration: {0}")]
    Config(String),
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenConfig {
    /// Number of alumni.
    pub alumni: usize,
    /// Number of opportunities.
    pub opportunities: usize,
    /// Seed: the same seed (and vocabulary) gives byte-identical output.
    pub seed: u64,
    /// Share of alumni (and of opportunities beyond the first eight) written in
    /// Japanese, from 0 to 1.
    pub japanese_share: f64,
    /// The day the data set describes: careers end by it, timestamps precede it.
    /// Fixed rather than the wall clock so output is reproducible. Keep it no
    /// later than next year: `validate_alumnus` bounds skills' last-used year by
    /// the wall clock.
    pub as_of: PartialDate,
}

impl Default for GenConfig {
    fn default() -> Self {
        Self {
            alumni: 2_000,
            opportunities: 40,
            seed: 42,
            japanese_share: 0.6,
            as_of: PartialDate {
                year: 2025,
                month: 12,
                day: Some(1),
            },
        }
    }
}

impl GenConfig {
    /// Checks the ranges generation relies on.
    pub fn validate(&self) -> Result<(), GenError> {
        if !(0.0..=1.0).contains(&self.japanese_share) {
            return Err(GenError::Config(format!(
                "japanese_share must be between 0 and 1, is {}",
                self.japanese_share
            )));
        }
        // Careers reach back up to 40 years and skill years must stay after 1950.
        if !(1995..=2150).contains(&self.as_of.year) {
            return Err(GenError::Config(format!(
                "as_of year must be between 1995 and 2150, is {}",
                self.as_of.year
            )));
        }
        if PartialDate::parse(&self.as_of.to_string()).is_err() {
            return Err(GenError::Config(format!("as_of {} is not a calendar date", self.as_of)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
