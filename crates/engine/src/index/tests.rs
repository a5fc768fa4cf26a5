//! Retrieval against a real index: the pruned, gated search equals the plain
//! boolean query; Japanese words and bigrams; a dictionary change rebuilds.

use std::path::Path;

use tantivy::collector::TopDocs;

use super::*;
use crate::{
    cancel::Cancellation,
    domain::{Alumnus, Opportunity},
    taxonomy::Taxonomy,
};

fn alumnus(id: &str, description: &str) -> Alumnus {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "display_name": "山田 太郎",
        "headline": "法人営業",
        "consent": {"contact_allowed": true},
        "interests": {"open_to": ["mentoring"]},
        "positions": [{"title": "営業担当", "organization": "株式会社サンプル", "description": description, "start": "2019-04"}],
    }))
    .unwrap()
}

fn opportunity(title: &str) -> Opportunity {
    serde_json::from_value(serde_json::json!({"id": "o", "kind": "mentoring", "title": title})).unwrap()
}

fn index_of(dir: &Path, morphology: Option<JapaneseMorphology>, alumni: &[Alumnus]) -> AlumniIndex {
    let (index, _) = AlumniIndex::open(dir, morphology, "").unwrap();
    let mut writer = index.writer(1, 16 * 1024 * 1024).unwrap();
    let taxonomy = Taxonomy::empty();
    for alumnus in alumni {
        index.stage(&writer, &taxonomy, &alumnus.id, Some(alumnus)).unwrap();
    }
    index.commit(&mut writer, alumni.len() as u64).unwrap();
    index
}

fn ranking(index: &AlumniIndex, title: &str) -> Vec<String> {
    let query = RetrievalQuery::for_opportunity(&opportunity(title), &Taxonomy::empty(), false, index.morphology());
    let retrieved = index
        .retrieve(&index.snapshot(), &query, 10, &Cancellation::new())
        .unwrap();
    retrieved.hits.into_iter().map(|hit| hit.id).collect()
}

/// The pruned, filtered retrieval returns what the plain boolean query with
/// the gate as a MUST clause returns, across segments and deletions.
#[test]
fn gated_retrieval_equals_the_unpruned_boolean_query() {
    const WORDS: [&str; 12] = [
        "rust",
        "sales",
        "kubernetes",
        "design",
        "finance",
        "robotics",
        "audit",
        "cloud",
        "mentor",
        "data",
        "marketing",
        "legal",
    ];
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = AlumniIndex::open(dir.path(), None, "").unwrap();
    let mut writer = index.writer(1, 16 * 1024 * 1024).unwrap();
    let taxonomy = Taxonomy::empty();
    let mut state: u64 = 7;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    for batch in 0..3u64 {
        for i in 0..200u64 {
            let n = batch * 200 + i;
            let text: Vec<&str> = (0..1 + next(12)).map(|_| WORDS[next(12) as usize]).collect();
            let mut record = alumnus(&format!("a{n:04}"), &text.join(" "));
            if next(3) == 0 {
                // Fails the MENTORING gate.
                record.interests.open_to.clear();
            }
            index.stage(&writer, &taxonomy, &record.id, Some(&record)).unwrap();
        }
        if batch == 2 {
            for n in (0..600u64).step_by(7) {
                index.stage(&writer, &taxonomy, &format!("a{n:04}"), None).unwrap();
            }
        }
        index.commit(&mut writer, batch).unwrap();
    }
    let snapshot = index.snapshot();
    let searcher = snapshot.searcher();
    assert!(snapshot.segments() > 1, "the test needs several segments");
    let titles = [
        "rust cloud",
        "sales marketing legal",
        "mentor",
        "robotics data design audit",
        "unknownword",
    ];
    for (title, pool) in titles.into_iter().flat_map(|t| [(t, 3), (t, 25), (t, 1000)]) {
        let query = RetrievalQuery::for_opportunity(&opportunity(title), &taxonomy, false, None);
        let retrieved = index.retrieve(&snapshot, &query, pool, &Cancellation::new()).unwrap();
        let (expected_count, expected_top) = searcher
            .search(
                &index.tantivy_query(&query),
                &(tantivy::collector::Count, TopDocs::with_limit(pool).order_by_score()),
            )
            .unwrap();
        assert_eq!(retrieved.total_eligible, expected_count as u64, "{title}");
        let got: Vec<f32> = retrieved.hits.iter().map(|h| h.retrieval).collect();
        let want: Vec<f32> = expected_top.iter().map(|(score, _)| *score).collect();
        assert_eq!(got.len(), want.len(), "{title}");
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "{title}: {got:?} vs {want:?}");
        }
        for hit in &retrieved.hits {
            let alone = index.score_of(&snapshot, &query, &hit.id).unwrap();
            assert!(
                alone.is_some_and(|s| (s - hit.bm25).abs() <= 1e-4 * s.abs().max(1.0)),
                "{title}: {}",
                hit.id
            );
        }
    }
}

#[test]
fn kyoto_does_not_rank_tokyo_to_first() {
    let dir = tempfile::tempdir().unwrap();
    // With bigrams alone the Tokyo profile wins: it contains the bigram 京都 as
    // often as the Kyoto one, in a shorter text (and comes first in id order).
    let alumni = [
        alumnus("a-tokyo", "東京都で法人営業を担当"),
        alumnus("b-kyoto", "京都で中小企業向けの法人営業を担当し、新規顧客を開拓"),
    ];
    let index = index_of(dir.path(), Some(japanese::test_morphology()), &alumni);
    assert_eq!(ranking(&index, "京都"), ["b-kyoto", "a-tokyo"]);
    assert_eq!(ranking(&index, "東京都の顧客"), ["a-tokyo", "b-kyoto"]);
}

#[test]
fn queries_carry_words_and_bigrams() {
    let query = RetrievalQuery::for_opportunity(
        &opportunity("機械学習のメンター"),
        &Taxonomy::empty(),
        false,
        Some(&japanese::test_morphology()),
    );
    let words: Vec<&str> = query.word_terms.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(words, ["機械", "学習", "メンター"]);
    assert!(query.bigram_terms.iter().any(|(t, _)| t == "械学"));
}

#[test]
fn without_a_dictionary_bigrams_still_match_and_adding_one_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let alumni = [alumnus("a-tokyo", "東京都の法人顧客を担当")];
    {
        let index = index_of(dir.path(), None, &alumni);
        assert_eq!(ranking(&index, "法人顧客"), ["a-tokyo"]);
        assert!(
            RetrievalQuery::for_opportunity(&opportunity("京都"), &Taxonomy::empty(), false, None)
                .word_terms
                .is_empty()
        );
    }
    let (index, payload) = AlumniIndex::open(dir.path(), Some(japanese::test_morphology()), "").unwrap();
    assert_eq!(
        payload, None,
        "an index without word fields is recreated for rebuilding"
    );
    assert_eq!(index.num_docs(), 0);
}

/// The kind gate's bit sets are kept between searches, per segment and delete
/// generation: a deletion committed after a search is honoured by the next one.
#[test]
fn cached_gates_follow_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let taxonomy = Taxonomy::empty();
    let (index, _) = AlumniIndex::open(dir.path(), None, "").unwrap();
    let mut writer = index.writer(1, 16 * 1024 * 1024).unwrap();
    for n in 0..50 {
        let record = alumnus(&format!("a{n:02}"), "rust cloud");
        index.stage(&writer, &taxonomy, &record.id, Some(&record)).unwrap();
    }
    index.commit(&mut writer, 1).unwrap();
    let query = RetrievalQuery::for_opportunity(&opportunity("rust"), &taxonomy, false, None);
    let search = || {
        index
            .retrieve(&index.snapshot(), &query, 100, &Cancellation::new())
            .unwrap()
    };
    assert_eq!(search().total_eligible, 50);
    assert_eq!(index.gates.len(), 1, "one segment, one kind");
    for n in (0..50).step_by(2) {
        index.stage(&writer, &taxonomy, &format!("a{n:02}"), None).unwrap();
    }
    index.commit(&mut writer, 2).unwrap();
    let after = search();
    assert_eq!(after.total_eligible, 25);
    assert_eq!(after.hits.len(), 25);
    assert!(
        after
            .hits
            .iter()
            .all(|hit| hit.id[1..].parse::<u32>().unwrap() % 2 == 1),
        "a deleted alumnus is never retrieved"
    );
}

fn worked_as(id: &str, title: &str) -> Alumnus {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "display_name": id,
        "consent": {"contact_allowed": true},
        "interests": {"open_to": ["mentoring"]},
        "positions": [{"title": title, "organization": "Clinic", "start": "2019-04"}],
    }))
    .unwrap()
}

/// The occupation the title names finds alumni who hold it or a similar one
/// although no word of their profile is the opening's: a Japanese opening
/// finds English careers, a nurse's opening finds a dental assistant.
#[test]
fn occupations_retrieve_careers_without_shared_words() {
    let dir = tempfile::tempdir().unwrap();
    let taxonomy = Taxonomy::empty().with_occupations(crate::taxonomy::Occupations::for_tests());
    let (index, _) = AlumniIndex::open(dir.path(), None, "").unwrap();
    let mut writer = index.writer(1, 16 * 1024 * 1024).unwrap();
    let alumni = [
        worked_as("assistant", "Dental Assistant"),
        worked_as("nurse", "Registered Nurse"),
        worked_as("developer", "Software Developer"),
    ];
    for alumnus in &alumni {
        index.stage(&writer, &taxonomy, &alumnus.id, Some(alumnus)).unwrap();
    }
    index.commit(&mut writer, alumni.len() as u64).unwrap();
    let found = |title: &str| -> Vec<String> {
        let query = RetrievalQuery::for_opportunity(&opportunity(title), &taxonomy, false, None);
        let retrieved = index
            .retrieve(&index.snapshot(), &query, 10, &Cancellation::new())
            .unwrap();
        // Retrieval fills the pool with eligible alumni; those that matched
        // no clause score 0 (the ranking's relevance floor drops them).
        retrieved
            .hits
            .into_iter()
            .filter(|hit| hit.retrieval > 0.0)
            .map(|hit| hit.id)
            .collect()
    };
    // Each hit carries its career as the index recognised it, which ranking
    // reads instead of recognising the titles again.
    let query = RetrievalQuery::for_opportunity(&opportunity("Dental Assistant"), &taxonomy, false, None);
    let hits = index
        .retrieve(&index.snapshot(), &query, 10, &Cancellation::new())
        .unwrap()
        .hits;
    for hit in &hits {
        let alumnus = alumni.iter().find(|a| a.id == hit.id).unwrap();
        let recognised = crate::taxonomy::RecognisedCareer::decode(&hit.career, taxonomy.occupations())
            .unwrap_or_else(|| panic!("{} carries its career", hit.id));
        assert!(recognised.is_of(alumnus));
        assert_eq!(
            recognised,
            crate::taxonomy::RecognisedCareer::of(alumnus, taxonomy.occupations())
        );
    }
    assert_eq!(
        found("歯科助手"),
        ["assistant", "nurse"],
        "the named occupation first, then the similar one"
    );
    assert_eq!(found("看護師"), ["nurse", "assistant"]);
    assert_eq!(found("Head Nurse"), ["nurse", "assistant"]);
    assert!(found("Astronaut").is_empty());
}

/// A Japanese title is also searched by the English name of its occupation.
#[test]
fn japanese_titles_are_searched_in_english_too() {
    let taxonomy = Taxonomy::empty().with_occupations(crate::taxonomy::Occupations::for_tests());
    let query = RetrievalQuery::for_opportunity(&opportunity("看護師"), &taxonomy, false, None);
    let terms: Vec<&str> = query.bigram_terms.iter().map(|(t, _)| t.as_str()).collect();
    assert!(terms.contains(&"registered") && terms.contains(&"nurse"), "{terms:?}");
    assert_eq!(query.occupation_terms[0].0, "29-1141.00");
    let english = RetrievalQuery::for_opportunity(&opportunity("Astronaut"), &taxonomy, false, None);
    assert!(english.occupation_terms.is_empty());
}
