//! Micro-benchmarks of the matching kernels, in process (no gRPC): the retrieval
//! stage alone, and retrieval plus re-ranking with explanations, on a generated
//! data set of 20,000 alumni and 200 opportunities (seed 7).
//!
//! `cargo bench -p alumni-match-tools --bench matching`. The end-to-end figures (gRPC, concurrency, 1M
//! alumni, baselines) come from `benches/run.sh`.

use std::{
    path::Path,
    sync::{
        OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
};

use alumni_match_engine::engine::{Cancellation, Engine, EngineConfig, MatchOptions, MatchQuery, MatchTarget};
use alumni_match_tools::datagen::{GenConfig, Vocabulary, write_dataset};

const ALUMNI: usize = 20_000;
const OPPORTUNITIES: usize = 200;

struct Fixture {
    engine: Engine,
    opportunities: Vec<String>,
    next: AtomicUsize,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// The next opportunity id, cycling, so every kind and language is measured.
    fn next_opportunity(&self) -> &str {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        &self.opportunities[i % self.opportunities.len()]
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("dataset");
        let vocabulary = Vocabulary::embedded().expect("embedded vocabulary");
        let config = GenConfig {
            alumni: ALUMNI,
            opportunities: OPPORTUNITIES,
            seed: 7,
            ..GenConfig::default()
        };
        write_dataset(&vocabulary, &config, &data, |_| {}).expect("generate");
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let mut engine_config = EngineConfig::new(dir.path().join("engine"));
        engine_config.taxonomy_path = Some(root.join("data/taxonomy/skills.tsv"));
        let dictionary = root.join(alumni_match_engine::index::DEFAULT_DICTIONARY_DIR);
        engine_config.japanese_dictionary = dictionary.exists().then_some(dictionary);
        let engine = Engine::open(engine_config).expect("engine");
        engine.load_dataset(&data).expect("load");
        while engine.indexed_seq() < engine.alumni_seq().expect("seq") {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let opportunities = std::fs::read_to_string(data.join("opportunities.jsonl"))
            .expect("opportunities")
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|o| o["status"] != "closed")
            .filter_map(|o| o["id"].as_str().map(str::to_owned))
            .collect();
        Fixture {
            engine,
            opportunities,
            next: AtomicUsize::new(0),
            _dir: dir,
        }
    })
}

fn main() {
    divan::main();
}

/// The BM25 query with gates, top 1,000: what a full-text engine alone would do.
#[divan::bench(sample_count = 200)]
fn retrieval_only(bencher: divan::Bencher) {
    let fixture = fixture();
    bencher.bench(|| {
        fixture
            .engine
            .retrieve_only(fixture.next_opportunity())
            .expect("retrieve")
    });
}

/// Retrieval, record reads, re-ranking of the pool with rayon, top 50 explained.
#[divan::bench(sample_count = 200)]
fn match_top50(bencher: divan::Bencher) {
    let fixture = fixture();
    bencher.bench(|| {
        fixture
            .engine
            .match_alumni(
                MatchQuery {
                    target: MatchTarget::Stored(fixture.next_opportunity().to_owned()),
                    options: MatchOptions {
                        limit: 50,
                        ..Default::default()
                    },
                },
                &Cancellation::new(),
            )
            .expect("match")
    });
}
