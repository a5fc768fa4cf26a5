//! alumni-match over gRPC: the public contract in `proto/`, the tonic service
//! over the engine, and the server's configuration.
//!
//! The engine ([`alumni_match_engine`]) knows nothing of gRPC; this crate is the
//! only place that knows `tonic::Status`. Its modules:
//! - [`proto`]: code generated from `proto/` (package `alumni.matching.v1`);
//! - [`access`]: roles, the methods each role may call, and API keys;
//! - [`service`]: handlers, authentication, limits, the access log, conversion
//!   between protobuf and the engine's types, and error mapping;
//! - [`config`]: the server's configuration (defaults, file, environment, flags).

pub mod access;
pub mod config;
pub mod service;

// The engine's layers under the names the service uses for them.
pub(crate) use alumni_match_engine::{domain, engine, index, limits, ranking, store};

/// Code generated from `proto/` (package `alumni.matching.v1`).
pub mod proto {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    tonic::include_proto!("alumni.matching.v1");

    /// The encoded file descriptor set, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("alumni_matching_v1_descriptor");

    impl From<Alumnus> for ImportAlumniRequest {
        fn from(alumnus: Alumnus) -> Self {
            Self { alumnus: Some(alumnus) }
        }
    }
}
