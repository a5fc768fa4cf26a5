//! alumni-match: an opportunity-matching engine for corporate alumni relations.
//!
//! Layers, each depending only on those above it in this list:
//! - [`domain`]: alumni, opportunities and validation (no I/O);
//! - [`access`]: tenants, roles, the methods each role may call, and API keys;
//! - [`taxonomy`]: skill and text normalisation, aliases and related skills;
//! - [`datagen`]: realistic synthetic alumni and opportunities from real vocabularies;
//! - [`store`]: the redb system of record;
//! - [`index`]: the tantivy index derived from the store;
//! - [`ranking`]: features, per-kind models and explanations, scored with rayon;
//! - [`engine`]: the store, index and ranking wired together behind one API;
//! - [`eval`]: offline evaluation of the ranking on a generated, judged data set;
//! - [`service`]: the tonic gRPC handlers, the only place that knows gRPC;
//! - [`cli`]: the `alumni-match` command line.

pub mod access;
pub mod cli;
pub mod datagen;
pub mod domain;
pub mod engine;
pub mod eval;
pub mod index;
pub mod ranking;
pub mod service;
pub mod store;
pub mod taxonomy;

/// Code generated from `proto/` (package `alumni.matching.v1`).
pub mod proto {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    tonic::include_proto!("alumni.matching.v1");

    /// The encoded file descriptor set, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("alumni_matching_v1_descriptor");
}
