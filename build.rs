//! Compiles `proto/` with protox (a pure-Rust protobuf compiler), so no system
//! `protoc` is needed and nothing is downloaded at build time.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/alumni/matching/v1/common.proto",
        "proto/alumni/matching/v1/alumnus.proto",
        "proto/alumni/matching/v1/opportunity.proto",
        "proto/alumni/matching/v1/alumni_service.proto",
        "proto/alumni/matching/v1/opportunity_service.proto",
        "proto/alumni/matching/v1/match_service.proto",
        "proto/alumni/matching/v1/admin_service.proto",
        "proto/alumni/matching/v1/outcome_service.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    // Served by gRPC reflection so grpcurl and friends need no local .proto files.
    std::fs::write(
        out_dir.join("alumni_matching_v1_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        // Undecodable requests answer INVALID_ARGUMENT (see src/service/codec.rs).
        .codec_path("crate::service::codec::StrictCodec")
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
