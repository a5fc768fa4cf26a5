//! alumni-match without gRPC: the matching engine and everything under it.
//!
//! Layers, each depending only on those above it in this list:
//! - [`domain`]: alumni, opportunities and validation (no I/O);
//! - [`taxonomy`]: skill and text normalisation, aliases and related skills;
//! - [`store`]: the redb system of record;
//! - [`index`]: the tantivy index derived from the store;
//! - [`ranking`]: features, per-kind models and explanations, scored with rayon;
//! - [`engine`]: the store, index and ranking wired together behind one API, one
//!   engine per tenant.
//!
//! Nothing here knows gRPC: the service crate converts and validates at its edge
//! and calls the engine.

pub mod cancel;
pub mod domain;
pub mod engine;
pub mod index;
pub mod limits;
pub mod ranking;
pub mod store;
pub mod taxonomy;

pub use engine::{Engine, EngineConfig, EngineError, TenantId, Tenants};
