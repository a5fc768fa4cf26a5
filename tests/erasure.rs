//! Erasure: a deleted alumnus is gone from every answer at once, and after
//! `PurgeDeleted` its bytes are gone from the index's segment files too.

mod common;

use std::path::Path;

use alumni_match::proto::{self, OpportunityKind};
use common::{TestServer, alumnus, opportunity};
use tonic::Code;

/// Whether any file under `dir` contains `needle`.
fn files_contain(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        if path.is_dir() {
            return files_contain(&path, needle);
        }
        std::fs::read(&path)
            .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
            .unwrap_or(false)
    })
}

#[tokio::test]
async fn a_purged_alumnus_is_physically_gone_from_the_segment_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    // A distinctive id: it sorts after every other id, so the index's id
    // dictionary keeps it whole rather than as a suffix of a shared prefix.
    let erased = "zz-erasure-subject-7f3a9c21";
    let kept = "aa-kept-alumnus-4b6e0d13";
    let mut alumni: Vec<_> = (0..40)
        .map(|i| alumnus(&format!("m{i:03}"), "Member", "SRE", &[("Kubernetes", 3.0, 2025)]))
        .collect();
    alumni.push(alumnus(kept, "Kept", "SRE", &[("Kubernetes", 4.0, 2025)]));
    alumni.push(alumnus(erased, "Erased", "SRE", &[("Kubernetes", 6.0, 2025)]));
    server.upsert(alumni).await;
    server
        .upsert_opportunities(vec![opportunity("o1", OpportunityKind::Rehire, "SRE", &["Kubernetes"])])
        .await;
    server.match_until("o1", |r| common::ids(r).contains(&erased)).await;
    // A stored shortlist that holds the alumnus before the deletion.
    let mut stream = server
        .matcher
        .rescore(proto::RescoreRequest {
            opportunity_ids: vec!["o1".into()],
            shortlist_size: 100,
            only_stale: false,
        })
        .await
        .unwrap()
        .into_inner();
    while stream.message().await.unwrap().is_some() {}

    let index_dir = common::tenant_dir(dir.path(), "default").join("index");
    assert!(
        files_contain(&index_dir, erased.as_bytes()),
        "indexed before the deletion"
    );

    let deleted = server
        .alumni
        .delete_alumni(proto::DeleteAlumniRequest {
            ids: vec![erased.into()],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.deleted_count, 1);
    // Gone from every answer at once...
    let status = server
        .alumni
        .get_alumnus(proto::GetAlumnusRequest { id: erased.into() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(!common::ids(&server.match_ids("o1", 100).await).contains(&erased));
    let shortlist = server
        .matcher
        .get_shortlist(proto::GetShortlistRequest {
            opportunity_id: "o1".into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!shortlist.candidates.is_empty());
    assert!(shortlist.candidates.iter().all(|c| c.alumnus_id != erased));
    // ...but a deleted document is only marked deleted in its segment.
    assert!(
        files_contain(&index_dir, erased.as_bytes()),
        "before a purge the segment still holds the deleted document"
    );

    let report = server
        .alumni
        .purge_deleted(proto::PurgeDeletedRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(report.documents_removed >= 1, "{report:?}");
    assert_eq!(report.segments_after, 1);
    assert!(
        !files_contain(&index_dir, erased.as_bytes()),
        "after the purge no index file holds the erased id"
    );
    assert!(files_contain(&index_dir, kept.as_bytes()), "the others are still there");
    let response = server.match_ids("o1", 100).await;
    assert_eq!(
        response.candidates.len(),
        41,
        "every remaining alumnus is still searchable"
    );
    server.stop().await;
}
