//! Skill, title and text normalisation: one spelling per skill and one
//! occupation per job title, whatever the language or abbreviation the profile
//! or opening used.
//!
//! The alias table and the occupation tables are derived from real vocabularies
//! (see `data/taxonomy/README.md` and `data/occupations/README.md`) and loaded
//! at start-up; without them, skills still match on their normalised text and
//! titles by their words.

mod career;
mod error;
mod fingerprint;
mod normalize;
mod occupations;
mod recognised;
mod skills;
pub mod titles;

pub use career::{
    CareerStep, MAX_INDEX_STRENGTH, MAX_INDEXED_OCCUPATIONS, career_steps, career_steps_of, indexed_occupations,
    step_strength,
};
pub use error::TaxonomyError;
pub use normalize::normalize;
pub use occupations::{OccupationId, OccupationMatch, Occupations};
pub use recognised::RecognisedCareer;
pub use skills::{CanonicalSkill, JAPANESE_ALIASES_FILE, Taxonomy, UNKNOWN_SPECIFICITY};
pub use titles::is_japanese;
