//! The client commands against a real server: import with a progress bar (here
//! without a terminal) and the match table.

mod common;

use alumni_match::proto::{self, OpportunityKind};
use common::{TestServer, opportunity};

async fn run(args: Vec<String>) -> std::process::Output {
    // Off the runtime thread: the in-process server must keep answering meanwhile.
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_alumni-match"))
            .args(args)
            .output()
            .expect("run alumni-match")
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn import_then_match_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample/alumni.jsonl")).unwrap();
    let file = dir.path().join("alumni.jsonl");
    std::fs::write(&file, sample.lines().take(300).collect::<Vec<_>>().join("\n")).unwrap();
    let address = format!("http://{}", server.addr);

    let import = run(vec![
        "import".into(),
        "alumni".into(),
        file.display().to_string(),
        "--server".into(),
        address.clone(),
    ])
    .await;
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    assert_eq!(String::from_utf8_lossy(&import.stdout).trim(), "imported 300 alumni");
    let stored = server
        .alumni
        .get_alumnus(proto::GetAlumnusRequest {
            id: "alum-0000299".into(),
        })
        .await;
    assert!(stored.is_ok(), "the last line was imported");

    let mut bad = std::fs::read_to_string(&file).unwrap();
    bad.push_str("\n{\"id\": \"broken\", \"display_name\": \"\"}\n");
    std::fs::write(&file, bad).unwrap();
    let rejected = run(vec![
        "import".into(),
        "alumni".into(),
        file.display().to_string(),
        "--server".into(),
        address.clone(),
    ])
    .await;
    assert!(!rejected.status.success());
    assert!(
        String::from_utf8_lossy(&rejected.stderr).contains("alumni[300].display_name"),
        "names the bad item"
    );

    server
        .upsert_opportunities(vec![opportunity(
            "o",
            OpportunityKind::Referral,
            "Software developer",
            &["computer programming"],
        )])
        .await;
    server.match_until("o", |r| !r.candidates.is_empty()).await;
    let table = run(vec![
        "match".into(),
        "--opportunity".into(),
        "o".into(),
        "--limit".into(),
        "3".into(),
        "--explain".into(),
        "--server".into(),
        address.clone(),
    ])
    .await;
    assert!(table.status.success(), "{}", String::from_utf8_lossy(&table.stderr));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("[REFERRAL] Software developer"), "{text}");
    assert!(text.contains("required_skills") && text.contains("rank"), "{text}");
    let missing = run(vec![
        "match".into(),
        "--opportunity".into(),
        "nope".into(),
        "--server".into(),
        address,
    ])
    .await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no opportunity \"nope\""));
    server.stop().await;
}

/// A line that is not JSON stops the import there: the lines before it are
/// imported, the error names the line, how many were imported and how to
/// resume, and `--from-line` resumes. `--server host:port` means http.
#[tokio::test]
async fn a_bad_line_reports_what_was_imported_and_the_import_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample/alumni.jsonl")).unwrap();
    let mut lines: Vec<&str> = sample.lines().take(5).collect();
    lines.insert(2, "{not json");
    let file = dir.path().join("alumni.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let address = server.addr.to_string();
    let import = |from_line: &str| {
        run(vec![
            "import".into(),
            "alumni".into(),
            file.display().to_string(),
            "--from-line".into(),
            from_line.into(),
            "--server".into(),
            address.clone(),
        ])
    };
    let stopped = import("1").await;
    assert!(!stopped.status.success());
    let stderr = String::from_utf8_lossy(&stopped.stderr);
    assert!(stderr.contains("alumni.jsonl:3:"), "names the line: {stderr}");
    assert!(
        stderr.contains("2 alumni before line 3 were imported") && stderr.contains("--from-line 3"),
        "{stderr}"
    );
    let first: Vec<String> = sample
        .lines()
        .take(5)
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for (i, id) in first.iter().enumerate() {
        let stored = server
            .alumni
            .get_alumnus(proto::GetAlumnusRequest { id: id.clone() })
            .await;
        assert_eq!(stored.is_ok(), i < 2, "{id}: only the lines before the bad one");
    }
    let resumed = import("4").await;
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    assert_eq!(String::from_utf8_lossy(&resumed.stdout).trim(), "imported 3 alumni");
    for id in &first {
        assert!(
            server
                .alumni
                .get_alumnus(proto::GetAlumnusRequest { id: id.clone() })
                .await
                .is_ok(),
            "{id}"
        );
    }
    server.stop().await;
}

/// Every RPC a person reaches from the shell, with `--format table|json|csv`.
#[tokio::test]
async fn every_record_command_prints_as_a_table_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    let address = format!("http://{}", server.addr);
    let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample/alumni.jsonl")).unwrap();
    let file = dir.path().join("alumni.jsonl");
    std::fs::write(&file, sample.lines().take(200).collect::<Vec<_>>().join("\n")).unwrap();
    let with_server = |args: &[&str]| -> Vec<String> {
        args.iter()
            .map(|a| (*a).to_owned())
            .chain(["--server".into(), address.clone()])
            .collect()
    };
    let ok = |output: &std::process::Output| -> String {
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout.clone()).unwrap()
    };
    ok(&run(with_server(&["import", "alumni", file.to_str().unwrap()])).await);
    server
        .upsert_opportunities(vec![
            opportunity(
                "o1",
                OpportunityKind::Referral,
                "ソフトウェア開発者",
                &["computer programming"],
            ),
            opportunity(
                "m1",
                OpportunityKind::Mentoring,
                "Mentor in programming",
                &["computer programming"],
            ),
        ])
        .await;
    server.match_until("o1", |r| !r.candidates.is_empty()).await;

    // match: JSON with every component, CSV with a byte-order mark.
    let json: serde_json::Value = serde_json::from_str(&ok(&run(with_server(&[
        "match",
        "--opportunity",
        "o1",
        "--limit",
        "5",
        "--format",
        "json",
    ]))
    .await))
    .unwrap();
    let first = &json["candidates"][0];
    let sum: f64 = first["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contribution"].as_f64().unwrap())
        .sum();
    assert!((sum - first["score"].as_f64().unwrap()).abs() < 1e-9, "{first}");
    let csv = ok(&run(with_server(&[
        "match",
        "--opportunity",
        "o1",
        "--limit",
        "5",
        "--format",
        "csv",
    ]))
    .await);
    assert!(
        csv.starts_with("\u{feff}rank,alumnus_id,display_name,score,reason"),
        "{csv}"
    );
    assert_eq!(csv.trim_end().lines().count(), 6);

    // The table is aligned by display width: the score column ends at one place.
    let table = ok(&run(with_server(&["match", "--opportunity", "o1", "--limit", "5"])).await);
    let rows: Vec<&str> = table.lines().skip_while(|l| !l.contains("rank")).collect();
    let score_end = |line: &str| {
        let cut = line
            .find("alum-")
            .or_else(|| line.find("alumnus"))
            .expect("an alumnus column");
        unicode_width::UnicodeWidthStr::width(&line[..cut])
    };
    assert!(rows.len() >= 3, "{table}");
    assert!(rows.iter().all(|row| score_end(row) == score_end(rows[0])), "{table}");
    assert!(
        rows[1..].iter().any(|row| row
            .chars()
            .any(|c| unicode_width::UnicodeWidthChar::width(c) == Some(2))),
        "the sample's Japanese names are in the table: {table}"
    );

    // opportunities list / get / close.
    let listed = ok(&run(with_server(&["opportunities", "list", "--format", "csv"])).await);
    assert!(listed.starts_with("\u{feff}id,kind,status,capacity,title"), "{listed}");
    assert!(
        listed.contains("o1,REFERRAL,OPEN") && listed.contains("m1,MENTORING,OPEN"),
        "{listed}"
    );
    let one: serde_json::Value = serde_json::from_str(&ok(&run(with_server(&[
        "opportunities",
        "get",
        "o1",
        "--format",
        "json",
    ]))
    .await))
    .unwrap();
    assert_eq!(one["title"], "ソフトウェア開発者");
    assert_eq!(one["kind"], "REFERRAL");

    // match-for-alumnus and assign-mentors.
    let alumnus = first["alumnus_id"].as_str().unwrap().to_owned();
    let fits: serde_json::Value = serde_json::from_str(&ok(&run(with_server(&[
        "match-for-alumnus",
        "--alumnus",
        &alumnus,
        "--format",
        "json",
    ]))
    .await))
    .unwrap();
    assert!(
        fits.as_array().unwrap().iter().any(|m| m["opportunity_id"] == "o1"),
        "{fits}"
    );
    let mentors = ok(&run(with_server(&["assign-mentors", "--opportunity", "m1"])).await);
    assert!(
        mentors.contains("m1: ") && mentors.contains("places filled"),
        "{mentors}"
    );

    // alumni get (JSON in the import files' shape) and delete.
    let record: serde_json::Value =
        serde_json::from_str(&ok(
            &run(with_server(&["alumni", "get", &alumnus, "--format", "json"])).await
        ))
        .unwrap();
    assert_eq!(record["id"], alumnus.as_str());
    let deleted = ok(&run(with_server(&["alumni", "delete", &alumnus, "nobody"])).await);
    assert!(
        deleted.contains("deleted 1 alumni") && deleted.contains("not found: nobody"),
        "{deleted}"
    );
    let closed = ok(&run(with_server(&["opportunities", "close", "o1"])).await);
    assert!(closed.starts_with("closed o1"), "{closed}");
    let open = ok(&run(with_server(&["opportunities", "list", "--format", "json"])).await);
    assert!(!open.contains("\"o1\""), "closed is no longer open: {open}");
    server.stop().await;
}

#[tokio::test]
async fn outcomes_policy_funnel_and_tune_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path()).await;
    server
        .upsert(
            (0..3)
                .map(|i| {
                    common::alumnus(
                        &format!("a{i}"),
                        &format!("Engineer {i}"),
                        "SRE",
                        &[("Kubernetes", 3.0, 2025)],
                    )
                })
                .collect(),
        )
        .await;
    server
        .upsert_opportunities(
            (0..2)
                .map(|i| opportunity(&format!("o{i}"), OpportunityKind::Referral, "SRE", &["Kubernetes"]))
                .collect(),
        )
        .await;
    server.match_until("o0", |r| r.candidates.len() == 3).await;
    let address = format!("http://{}", server.addr);
    let with_server = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(["--server".to_string(), address.clone()]);
        all
    };
    let stdout = |output: &std::process::Output| {
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let yesterday = (time::OffsetDateTime::now_utc() - time::Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();

    let contact = with_server(&[
        "outcomes",
        "record",
        "--alumnus",
        "a0",
        "--opportunity",
        "o0",
        "--kind",
        "contacted",
        "--at",
        &yesterday,
    ]);
    assert_eq!(
        stdout(&run(contact.clone()).await),
        "recorded 1, already recorded 0, refused 0"
    );
    assert_eq!(stdout(&run(contact).await), "recorded 0, already recorded 1, refused 0");
    let file = dir.path().join("outcomes.jsonl");
    std::fs::write(
        &file,
        format!(
            "{{\"alumnus_id\": \"a1\", \"opportunity_id\": \"o0\", \"kind\": \"contacted\", \"occurred_at\": \"{yesterday}\"}}\n\
             {{\"alumnus_id\": \"a1\", \"opportunity_id\": \"o0\", \"kind\": \"declined\", \"occurred_at\": \"{yesterday}\", \"note\": \"not now\"}}\n"
        ),
    )
    .unwrap();
    let from_file = run(with_server(&[
        "outcomes",
        "record",
        "--file",
        &file.display().to_string(),
    ]))
    .await;
    assert_eq!(stdout(&from_file), "recorded 2, already recorded 0, refused 0");
    let listed: serde_json::Value = serde_json::from_str(&stdout(
        &run(with_server(&[
            "outcomes",
            "list",
            "--opportunity",
            "o0",
            "--format",
            "json",
        ]))
        .await,
    ))
    .unwrap();
    let kinds: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 3);
    assert!(kinds.contains(&"DECLINED"), "{kinds:?}");

    let set = run(with_server(&[
        "contact-policy",
        "set",
        "--max-contacts",
        "1",
        "--window-days",
        "30",
    ]))
    .await;
    assert_eq!(
        stdout(&set),
        "set: at most 1 opportunities per alumnus in 30 days, then hide"
    );
    assert_eq!(
        stdout(&run(with_server(&["contact-policy", "get"])).await),
        "at most 1 opportunities per alumnus in 30 days, then hide"
    );
    let capped = run(with_server(&[
        "outcomes",
        "record",
        "--alumnus",
        "a0",
        "--opportunity",
        "o1",
        "--kind",
        "contacted",
    ]))
    .await;
    assert_eq!(stdout(&capped), "recorded 0, already recorded 0, refused 1");
    assert!(
        String::from_utf8_lossy(&capped.stderr)
            .contains("refused: a0 about o1 (CONTACTED): held back: contacted once in the last 30 days"),
        "{}",
        String::from_utf8_lossy(&capped.stderr)
    );

    let funnel: serde_json::Value =
        serde_json::from_str(&stdout(&run(with_server(&["funnel", "--format", "json"])).await)).unwrap();
    let all = &funnel.as_array().unwrap()[0];
    assert_eq!(
        (
            all["scope"].as_str(),
            all["contacted"].as_u64(),
            all["declined"].as_u64()
        ),
        (Some("all"), Some(2), Some(1))
    );
    assert!(
        all["shown"].as_u64().unwrap() >= 3,
        "the Match pages above were shown: {all}"
    );

    let dry = stdout(&run(with_server(&["tune", "--tenant", "default", "--dry-run"])).await);
    assert!(dry.contains("dry run; version 0 stays in force"), "{dry}");
    assert!(dry.contains("kept: "), "too few outcomes to fit: {dry}");
    let wrong = run(with_server(&["tune", "--tenant", "globex"])).await;
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("belongs to tenant \"default\", not \"globex\""),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    server.stop().await;
}
