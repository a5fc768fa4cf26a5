//! Tools around alumni-match that are not part of the server: the data generator
//! and the derivations of the committed data files, the offline evaluation of the
//! ranking, and the load, soak and benchmark drivers.

pub mod bench;
pub mod datagen;
mod error;
pub mod eval;
pub mod soak;

pub use error::ToolError;

// The engine's and the service's modules under short names, as the tools use them.
pub(crate) use alumni_match::{access, config, proto, service};
pub(crate) use alumni_match_engine::{domain, engine, ranking, taxonomy};
