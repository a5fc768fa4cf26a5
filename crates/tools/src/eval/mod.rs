//! Offline evaluation of the ranking.
//!
//! - [`independent`]: the measure of quality. Alumni and opportunities built from
//!   O*NET occupations, judged by ESCO's occupation-skill relations and ISCO
//!   groups, which the ranking never reads; compared with plain BM25 over the
//!   same index and gates, per kind and per language; the weights of
//!   `data/ranking.toml` are fitted on its training half.
//! - [`generated`]: a regression check on the project's own generator, whose
//!   labels come from the same vocabulary as the data; it can show that a
//!   change moved the ranking, not that the ranking is good.

pub mod generated;
pub mod independent;
pub mod metrics;

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

pub use generated::{EvalConfig, EvalReport, render_table, run};

use crate::{
    datagen::GenError,
    domain::{Alumnus, OpportunityKind},
    engine::{Engine, EngineError},
};

/// The rank cut-off of every metric.
pub const K: usize = 10;

/// Longest wait for the index to catch up with the loaded data.
const INDEX_TIMEOUT: Duration = Duration::from_secs(900);

/// Why an evaluation could not be run. A run that completes with gate violations
/// is not an error here: it returns a report that says so.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The settings are out of range.
    #[error("evaluation settings: {0}")]
    Config(String),
    /// The judged set could not be generated.
    #[error("generating the evaluation set: {0}")]
    Gen(#[from] GenError),
    /// The engine failed to open, load or match.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The scratch directory could not be created.
    #[error("scratch directory: {0}")]
    Scratch(std::io::Error),
    /// The generated files are inconsistent (e.g. a record without a label).
    #[error("generated data set: {0}")]
    Data(String),
    /// The index did not reach the store's sequence in time.
    #[error("the index reached sequence {indexed} of {stored} within {timeout:?}")]
    IndexTimeout {
        /// Sequence the index had applied.
        indexed: u64,
        /// Sequence of the store after loading.
        stored: u64,
        /// How long was waited.
        timeout: Duration,
    },
    /// The report could not be written as JSON.
    #[error("writing the report: {0}")]
    Json(#[from] serde_json::Error),
}

/// Polls until the index has applied every write the store holds: loading
/// returns once writes are durable, while the index follows asynchronously.
pub(crate) fn wait_for_index(engine: &Engine, timeout: Duration) -> Result<(), EvalError> {
    let stored = engine.alumni_seq()?;
    let start = Instant::now();
    while engine.indexed_seq() < stored {
        if start.elapsed() > timeout {
            return Err(EvalError::IndexTimeout {
                indexed: engine.indexed_seq(),
                stored,
                timeout,
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// The gains of a returned ranking and its gate violations: an alumnus who is
/// unknown or fails the gates of `kind` is a violation and earns 0, as does a
/// repeat of an earlier candidate; the others earn their grade.
pub(crate) fn judge_ranking(
    returned: &[&str],
    alumni: &HashMap<String, Alumnus>,
    grades: &HashMap<&str, u8>,
    kind: OpportunityKind,
) -> (Vec<u8>, usize) {
    let mut seen = HashSet::new();
    let mut violations = 0;
    let gains = returned
        .iter()
        .map(|&id| {
            if !alumni.get(id).is_some_and(|a| a.passes_gates(kind)) {
                violations += 1;
                0
            } else if seen.insert(id) {
                grades.get(id).copied().unwrap_or(0)
            } else {
                0
            }
        })
        .collect();
    (gains, violations)
}
