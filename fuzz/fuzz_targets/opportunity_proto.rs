//! An opportunity as the API and the JSONL import receive it.
//!
//! - as a protobuf `Opportunity` (UpsertOpportunities, and the ad-hoc target of
//!   Match): decode, `service::convert::opportunity_from_proto`, then
//!   `validate_opportunity` both as a stored record (id required) and as an ad-hoc
//!   match target (id optional), and `validate_opportunity_batch` as
//!   UpsertOpportunities does;
//! - as UTF-8 JSONL in the shape of `data/sample/opportunities.jsonl`
//!   (`Engine::load_dataset` through `engine::for_each_jsonl_chunk`).
//!
//! A valid opportunity is round-tripped through the store's serde_json form and
//! back to proto (GetOpportunity / ListOpportunities).
#![no_main]

use alumni_match::{
    domain::{Opportunity, Violations, validation::validate_opportunity},
    engine::validate_opportunity_batch,
    proto,
    service::convert,
};
use alumni_match_fuzz::{check_store_round_trip, debug_violations};
use libfuzzer_sys::fuzz_target;
use prost::Message;

fn accept(opportunity: &Opportunity) {
    check_store_round_trip("opportunity", opportunity);
    let _ = convert::opportunity_to_proto(opportunity.clone()).encode_to_vec();
}

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = proto::Opportunity::decode(data) {
        let mut conversion = Violations::new();
        let opportunity = convert::opportunity_from_proto(message, "opportunity", &mut conversion);
        for id_required in [true, false] {
            let mut violations = conversion.clone();
            validate_opportunity(&opportunity, "opportunity", id_required, &mut violations);
            debug_violations(
                if id_required { "proto opportunity (stored)" } else { "proto opportunity (ad hoc)" },
                &violations,
            );
            if violations.is_empty() {
                accept(&opportunity);
            }
        }
        let mut batch = conversion.clone();
        validate_opportunity_batch(std::slice::from_ref(&opportunity), &mut batch);
    }

    if let Ok(text) = std::str::from_utf8(data) {
        let mut opportunities = Vec::new();
        for line in text.lines() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Opportunity>(line) {
                Ok(opportunity) => opportunities.push(opportunity),
                Err(error) => {
                    if alumni_match_fuzz::debug() {
                        eprintln!("[fuzz] JSONL line rejected: {error}");
                    }
                    break;
                }
            }
        }
        if opportunities.is_empty() {
            return;
        }
        let mut violations = Violations::new();
        validate_opportunity_batch(&opportunities, &mut violations);
        debug_violations("JSONL opportunities", &violations);
        if violations.is_empty() {
            for opportunity in &opportunities {
                accept(opportunity);
            }
        }
    }
});
