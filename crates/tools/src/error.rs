//! Why a tool failed.

/// Errors of the tools.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The engine failed to start or load data.
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    /// A taxonomy table could not be loaded.
    #[error(transparent)]
    Taxonomy(#[from] alumni_match_engine::taxonomy::TaxonomyError),
    /// Data generation or derivation failed.
    #[error(transparent)]
    Data(#[from] crate::datagen::GenError),
    /// The evaluation could not be run.
    #[error(transparent)]
    Eval(#[from] crate::eval::EvalError),
    /// A call to the server failed, or another step of a driver.
    #[error("{0}")]
    Client(String),
    /// Standard output could not be written.
    #[error("writing the output: {0}")]
    Output(std::io::Error),
    /// The evaluation ran and found rankings that break the gates.
    #[error("{0} gate violation(s): a ranking returned an alumnus who must not be matched")]
    GateViolations(usize),
}
