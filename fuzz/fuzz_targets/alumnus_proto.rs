//! An alumnus as the API and the JSONL import receive it.
//!
//! The input is tried both ways:
//! - as a protobuf `Alumnus` (UpsertAlumni / ImportAlumni): decode, convert
//!   (`service::convert::alumnus_from_proto`), validate (`validate_alumnus`, and
//!   `validate_alumni_batch` as UpsertAlumni does);
//! - as UTF-8 JSONL in the shape of `data/sample/alumni.jsonl` (`alumni-match
//!   import` / `Engine::load_dataset` through `engine::for_each_jsonl_chunk`):
//!   one `domain::Alumnus` per non-blank line, stopping at the first line that does
//!   not deserialise, then `validate_alumni_batch` on the lines read.
//!
//! Whatever passes validation then goes where the server sends it: back to proto
//! (GetAlumnus), through the store's serde_json round trip, and through ranking
//! against a fixed opportunity of every kind.
#![no_main]

use alumni_match::{
    domain::{Alumnus, Violations, validation::validate_alumnus},
    engine::validate_alumni_batch,
    proto,
    service::convert,
};
use alumni_match_fuzz::{check_store_round_trip, debug_violations, rank_against_fixed_opportunities};
use libfuzzer_sys::fuzz_target;
use prost::Message;

fn accept(alumnus: &Alumnus) {
    check_store_round_trip("alumnus", alumnus);
    rank_against_fixed_opportunities(alumnus);
    // GetAlumnus returns the stored record as proto.
    let _ = convert::alumnus_to_proto(alumnus.clone()).encode_to_vec();
}

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = proto::Alumnus::decode(data) {
        let mut violations = Violations::new();
        let alumnus = convert::alumnus_from_proto(message, "alumni[0]", &mut violations);
        validate_alumnus(&alumnus, "alumni[0]", &mut violations);
        debug_violations("proto alumnus", &violations);
        let mut batch = Violations::new();
        validate_alumni_batch(std::slice::from_ref(&alumnus), "alumni", &mut batch);
        if violations.is_empty() {
            accept(&alumnus);
        }
    }

    if let Ok(text) = std::str::from_utf8(data) {
        let mut alumni = Vec::new();
        for line in text.lines() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Alumnus>(line) {
                Ok(alumnus) => alumni.push(alumnus),
                Err(error) => {
                    if alumni_match_fuzz::debug() {
                        eprintln!("[fuzz] JSONL line rejected: {error}");
                    }
                    break;
                }
            }
        }
        if alumni.is_empty() {
            return;
        }
        let mut violations = Violations::new();
        validate_alumni_batch(&alumni, "alumni.jsonl:1+", &mut violations);
        debug_violations("JSONL alumni", &violations);
        if violations.is_empty() {
            for alumnus in &alumni {
                accept(alumnus);
            }
        }
    }
});
