//! Client-side commands: import with a progress bar, re-score with one, a match
//! table and stored shortlists (other record commands are in `records.rs`).

use std::{
    fs::File,
    io::{BufRead, BufReader},
    path::Path,
};

use indicatif::ProgressBar;
use tonic::Code;
use tonic_types::StatusExt;

use super::{
    CliError, ImportKind,
    output::{self, Records},
};
use crate::{
    domain::{Alumnus, Opportunity},
    proto::{
        self, alumni_service_client::AlumniServiceClient, match_request::Target,
        match_service_client::MatchServiceClient, opportunity_service_client::OpportunityServiceClient,
    },
    service::{ClientChannel, Connection, convert, styled_bar},
};

pub(super) async fn connect(connection: &Connection) -> Result<ClientChannel, CliError> {
    connection.connect().await.map_err(CliError::Client)
}

/// Renders a status with its field violations, one per line.
pub(super) fn describe(status: &tonic::Status) -> String {
    let mut text = format!("{:?}: {}", status.code(), status.message());
    if let Some(bad_request) = status.get_details_bad_request() {
        for violation in bad_request.field_violations {
            text.push_str(&format!("\n  {}: {}", violation.field, violation.description));
        }
    }
    text
}

fn progress_bar(total_bytes: u64, what: &str) -> ProgressBar {
    let bar = styled_bar(
        total_bytes,
        "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
    );
    bar.set_message(what.to_owned());
    bar
}

fn read_lines(path: &Path) -> Result<(u64, std::io::Lines<BufReader<File>>), CliError> {
    let file = File::open(path).map_err(|e| CliError::Client(format!("{}: {e}", path.display())))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((size, BufReader::new(file).lines()))
}

/// Streams a JSONL file to the server.
/// Streams a JSONL file to the server from line `from_line` (1-based). Every
/// failure says how much was committed and where to resume: a record is
/// committed once the server has acknowledged it, and re-sending one is
/// harmless (imports are upserts).
pub async fn import(what: ImportKind, path: &Path, from_line: usize, connection: &Connection) -> Result<(), CliError> {
    let channel = connect(connection).await?;
    let (size, lines) = read_lines(path)?;
    let bar = progress_bar(
        size,
        match what {
            ImportKind::Alumni => "alumni",
            ImportKind::Opportunities => "opportunities",
        },
    );
    let first = from_line.max(1);
    let path_text = path.display().to_string();
    match what {
        ImportKind::Alumni => {
            let (sender, receiver) = tokio::sync::mpsc::channel::<proto::ImportAlumniRequest>(1024);
            let reader_bar = bar.clone();
            let reader_path = path_text.clone();
            // Parse on a blocking thread so reading the file overlaps with sending.
            // A line that does not parse ends the stream there: what came before
            // it is still imported, and the error names the line to resume from.
            // The line of every item sent is kept, to turn the server's count of
            // committed items back into a line.
            let reader = tokio::task::spawn_blocking(move || -> (Vec<usize>, Result<(), (usize, String)>) {
                let mut sent_lines = Vec::new();
                for (i, line) in lines.enumerate() {
                    let number = i + 1;
                    let line = match line {
                        Ok(line) => line,
                        Err(e) => return (sent_lines, Err((number, format!("{reader_path}:{number}: {e}")))),
                    };
                    reader_bar.inc(line.len() as u64 + 1);
                    if number < first || line.trim().is_empty() {
                        continue;
                    }
                    let alumnus: Alumnus = match serde_json::from_str(&line) {
                        Ok(alumnus) => alumnus,
                        Err(e) => return (sent_lines, Err((number, format!("{reader_path}:{number}: {e}")))),
                    };
                    sent_lines.push(number);
                    if sender.blocking_send(convert::alumnus_to_proto(alumnus).into()).is_err() {
                        break; // The call ended early; its status says why.
                    }
                }
                (sent_lines, Ok(()))
            });
            let mut client = AlumniServiceClient::new(channel).max_encoding_message_size(16 * 1024 * 1024);
            let outcome = client
                .import_alumni(tokio_stream::wrappers::ReceiverStream::new(receiver))
                .await;
            let (sent_lines, read) = reader
                .await
                .map_err(|e| CliError::Client(format!("reader task: {e}")))?;
            bar.finish_and_clear();
            match (outcome, read) {
                (Ok(response), Ok(())) => {
                    println!("imported {} alumni", response.into_inner().imported_count);
                }
                (Ok(response), Err((line, message))) => {
                    let imported = response.into_inner().imported_count;
                    return Err(CliError::Client(format!(
                        "{message}\n{imported} alumni before line {line} were imported; fix the line and resume \
                         with --from-line {line}"
                    )));
                }
                (Err(status), _) => {
                    // The server commits in chunks and says in ErrorInfo how many
                    // items of the stream it wrote.
                    let committed = committed_items(&status);
                    let resume = match committed {
                        Some(n) => match sent_lines.get(n) {
                            Some(line) => format!("{n} alumni were imported; resume with --from-line {line}"),
                            None => format!("{n} alumni were imported"),
                        },
                        None => "some alumni may have been imported; importing again updates them, it does not \
                                 duplicate them"
                            .to_owned(),
                    };
                    return Err(CliError::Client(format!("{}\n{resume}", describe(&status))));
                }
            }
        }
        ImportKind::Opportunities => {
            let mut client = OpportunityServiceClient::new(channel);
            let mut batch = Vec::new();
            let mut batch_first_line = first;
            let mut total = 0usize;
            let committed = |total: usize, line: usize, message: String| {
                CliError::Client(format!(
                    "{message}\n{total} opportunities before line {line} were upserted; resume with --from-line {line}"
                ))
            };
            for (i, line) in lines.enumerate() {
                let number = i + 1;
                let line =
                    line.map_err(|e| committed(total, batch_first_line, format!("{path_text}:{number}: {e}")))?;
                bar.inc(line.len() as u64 + 1);
                if number < first || line.trim().is_empty() {
                    continue;
                }
                let opportunity: Opportunity = match serde_json::from_str(&line) {
                    Ok(opportunity) => opportunity,
                    Err(e) => {
                        // What parsed before the bad line still goes in.
                        if !batch.is_empty() {
                            total += send_opportunities(&mut client, std::mem::take(&mut batch))
                                .await
                                .map_err(|e| committed(total, batch_first_line, e.to_string()))?;
                        }
                        return Err(committed(total, number, format!("{path_text}:{number}: {e}")));
                    }
                };
                if batch.is_empty() {
                    batch_first_line = number;
                }
                batch.push(convert::opportunity_to_proto(opportunity));
                if batch.len() == 500 {
                    total += send_opportunities(&mut client, std::mem::take(&mut batch))
                        .await
                        .map_err(|e| committed(total, batch_first_line, e.to_string()))?;
                }
            }
            if !batch.is_empty() {
                total += send_opportunities(&mut client, batch)
                    .await
                    .map_err(|e| committed(total, batch_first_line, e.to_string()))?;
            }
            bar.finish_and_clear();
            println!("upserted {total} opportunities");
        }
    }
    Ok(())
}

/// The items an import wrote before it stopped, from the error's ErrorInfo.
fn committed_items(status: &tonic::Status) -> Option<usize> {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get("committed").and_then(|n| n.parse().ok()))
}

async fn send_opportunities(
    client: &mut OpportunityServiceClient<ClientChannel>,
    batch: Vec<proto::Opportunity>,
) -> Result<usize, CliError> {
    let response = client
        .upsert_opportunities(proto::UpsertOpportunitiesRequest {
            opportunities: batch,
            rescore: false,
        })
        .await
        .map_err(|status| CliError::Client(describe(&status)))?;
    Ok(response.into_inner().upserted_count as usize)
}

/// Prints the ranking of a stored opportunity: a table (with every component
/// under its row when `explain`), or JSON or CSV with every component.
pub async fn match_table(
    opportunity_id: &str,
    limit: u32,
    explain: bool,
    format: super::OutputFormat,
    connection: &Connection,
) -> Result<(), CliError> {
    let channel = connect(connection).await?;
    let mut matcher = MatchServiceClient::new(channel.clone());
    // JSON and CSV readers get the explanation: it is what makes a score usable.
    let explain = explain || format != super::OutputFormat::Table;
    let response = matcher
        .r#match(proto::MatchRequest {
            target: Some(Target::OpportunityId(opportunity_id.to_owned())),
            limit,
            explain,
            ..Default::default()
        })
        .await
        .map_err(|status| match status.code() {
            Code::NotFound => CliError::Client(format!("no opportunity {opportunity_id:?}")),
            _ => CliError::Client(describe(&status)),
        })?
        .into_inner();
    match format {
        super::OutputFormat::Csv => {
            let stdout = std::io::stdout();
            return write_shortlist_csv(&mut stdout.lock(), &response.candidates);
        }
        super::OutputFormat::Json => {
            let doc = serde_json::json!({
                "opportunity_id": opportunity_id,
                "total_eligible": response.total_eligible,
                "total_matched": response.total_matched,
                "next_page_token": response.next_page_token,
                "candidates": response.candidates.iter().map(candidate_json).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            return Ok(());
        }
        super::OutputFormat::Table => {}
    }
    let opportunity = OpportunityServiceClient::new(channel)
        .get_opportunity(proto::GetOpportunityRequest {
            id: opportunity_id.to_owned(),
        })
        .await
        .map(|r| r.into_inner().opportunity)
        .ok()
        .flatten();
    if let Some(o) = opportunity {
        let kind = proto::OpportunityKind::try_from(o.kind)
            .map(|k| k.as_str_name())
            .unwrap_or("?");
        println!(
            "{} [{}] {}",
            o.id,
            kind.trim_start_matches("OPPORTUNITY_KIND_"),
            o.title
        );
    }
    println!(
        "{} eligible alumni, {} matched; showing {}\n",
        response.total_eligible,
        response.total_matched,
        response.candidates.len()
    );
    if !explain {
        print!("{}", candidate_records(&response.candidates).table());
        return Ok(());
    }
    // One small aligned table per candidate: its row, then its components.
    for c in &response.candidates {
        print!("{}", candidate_records(std::slice::from_ref(c)).table());
        let mut components = Records::new(&[
            output::text("    component"),
            output::number("value"),
            output::number("weight"),
            output::number("contribution"),
        ]);
        for component in &c.components {
            components.push(
                vec![
                    format!("    {}", component.name),
                    format!("{:.3}", component.value),
                    format!("{:.3}", component.weight),
                    format!("{:.3}", component.contribution),
                ],
                serde_json::Value::Null,
            );
        }
        print!("{}", components.table());
        if !c.matched_skills.is_empty() {
            println!("    matched: {}", c.matched_skills.join(", "));
        }
        if !c.missing_required_skills.is_empty() {
            println!("    missing: {}", c.missing_required_skills.join(", "));
        }
        println!();
    }
    Ok(())
}

/// The rank, score, id, name and reason of each candidate, as table rows.
fn candidate_records(candidates: &[proto::Candidate]) -> Records {
    let mut records = Records::new(&[
        output::number("rank"),
        output::number("score"),
        output::text("alumnus"),
        output::text("name"),
        output::text("reason"),
    ]);
    for c in candidates {
        records.push(
            vec![
                c.rank.to_string(),
                format!("{:.3}", c.score),
                c.alumnus_id.clone(),
                output::one_line(&c.display_name),
                output::one_line(&c.reason),
            ],
            candidate_json(c),
        );
    }
    records
}

/// A candidate with every component, as JSON.
fn candidate_json(c: &proto::Candidate) -> serde_json::Value {
    serde_json::json!({
        "rank": c.rank, "alumnus_id": c.alumnus_id, "display_name": c.display_name,
        "score": c.score, "reason": c.reason, "matched_skills": c.matched_skills,
        "missing_required_skills": c.missing_required_skills,
        "components": super::records::components_json(&c.components),
    })
}

/// Runs a re-score on the server, drawing its progress stream as a bar.
pub async fn rescore(
    ids: Vec<String>,
    shortlist_size: u32,
    only_stale: bool,
    connection: &Connection,
) -> Result<(), CliError> {
    let channel = connect(connection).await?;
    let mut matcher = MatchServiceClient::new(channel);
    let mut stream = matcher
        .rescore(proto::RescoreRequest {
            opportunity_ids: ids,
            shortlist_size,
            only_stale,
        })
        .await
        .map_err(|status| CliError::Client(describe(&status)))?
        .into_inner();
    let bar = styled_bar(0, "re-scoring [{bar:40}] {pos}/{len} opportunities ({msg})");
    let mut last = None;
    while let Some(progress) = stream
        .message()
        .await
        .map_err(|status| CliError::Client(describe(&status)))?
        .map(|message| message.progress.unwrap_or_default())
    {
        bar.set_length(u64::from(progress.total));
        bar.set_position(u64::from(progress.completed));
        bar.set_message(format!(
            "{:.1}/s, eta {:.0}s",
            progress.rate_per_second, progress.eta_seconds
        ));
        let done = progress.done;
        last = Some(progress);
        if done {
            break;
        }
    }
    bar.finish_and_clear();
    match last {
        Some(p) if p.done => {
            println!(
                "re-scored {} of {} opportunities in {:.1}s: {} shortlists written, {} skipped (held by another run)",
                p.completed, p.total, p.elapsed_seconds, p.written, p.skipped
            );
            Ok(())
        }
        _ => Err(CliError::Client(
            "the server ended the re-score without a summary".into(),
        )),
    }
}

/// Fetches every page of a stored shortlist.
async fn fetch_shortlist(
    matcher: &mut MatchServiceClient<ClientChannel>,
    opportunity_id: &str,
) -> Result<(Vec<proto::Candidate>, proto::GetShortlistResponse), CliError> {
    let mut candidates = Vec::new();
    let mut token = String::new();
    loop {
        let page = matcher
            .get_shortlist(proto::GetShortlistRequest {
                opportunity_id: opportunity_id.to_owned(),
                page_size: 1_000,
                page_token: token,
            })
            .await
            .map_err(|status| match status.code() {
                Code::NotFound => CliError::Client(format!(
                    "no stored shortlist for {opportunity_id:?}; run `alumni-match rescore`"
                )),
                _ => CliError::Client(describe(&status)),
            })?
            .into_inner();
        candidates.extend(page.candidates.iter().cloned());
        if page.next_page_token.is_empty() {
            return Ok((candidates, page));
        }
        token = page.next_page_token.clone();
    }
}

/// Writes a shortlist as CSV: UTF-8 with a byte-order mark (so spreadsheet
/// programs show Japanese names), one row per candidate, one column per component.
pub fn write_shortlist_csv(out: &mut impl std::io::Write, candidates: &[proto::Candidate]) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::Client(format!("writing CSV: {e}"));
    out.write_all("\u{feff}".as_bytes()).map_err(io)?;
    let mut writer = csv::Writer::from_writer(out);
    let components: Vec<String> = candidates
        .first()
        .map(|c| c.components.iter().map(|x| x.name.clone()).collect())
        .unwrap_or_default();
    let mut header = vec![
        "rank",
        "alumnus_id",
        "display_name",
        "score",
        "reason",
        "matched_skills",
        "missing_required_skills",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    header.extend(components.iter().map(|c| format!("{c}_contribution")));
    let csv_error = |e: csv::Error| CliError::Client(format!("writing CSV: {e}"));
    writer.write_record(&header).map_err(csv_error)?;
    for c in candidates {
        let mut row = vec![
            c.rank.to_string(),
            c.alumnus_id.clone(),
            c.display_name.clone(),
            format!("{:.6}", c.score),
            c.reason.clone(),
            c.matched_skills.join("; "),
            c.missing_required_skills.join("; "),
        ];
        for name in &components {
            let value = c
                .components
                .iter()
                .find(|x| &x.name == name)
                .map(|x| x.contribution)
                .unwrap_or(0.0);
            row.push(format!("{value:.6}"));
        }
        writer.write_record(&row).map_err(csv_error)?;
    }
    writer.flush().map_err(io)
}

/// Prints a stored shortlist.
pub async fn shortlist(
    opportunity_id: &str,
    format: super::OutputFormat,
    connection: &Connection,
) -> Result<(), CliError> {
    let channel = connect(connection).await?;
    let mut matcher = MatchServiceClient::new(channel);
    let (candidates, meta) = fetch_shortlist(&mut matcher, opportunity_id).await?;
    let computed = meta
        .computed_at
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.seconds).ok())
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        super::OutputFormat::Csv => write_shortlist_csv(&mut out, &candidates)?,
        super::OutputFormat::Json => {
            let rows: Vec<serde_json::Value> = candidates.iter().map(candidate_json).collect();
            let doc = serde_json::json!({
                "opportunity_id": opportunity_id, "computed_at": computed, "stale": meta.stale, "candidates": rows
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        super::OutputFormat::Table => {
            println!(
                "{opportunity_id}: {} candidates, computed {computed}{}\n",
                candidates.len(),
                if meta.stale {
                    " (stale: re-score for a fresh picture)"
                } else {
                    ""
                }
            );
            print!("{}", candidate_records(&candidates).table());
        }
    }
    Ok(())
}

/// Purges deleted alumni from the index files of the key's tenant.
pub async fn purge(connection: &Connection) -> Result<(), CliError> {
    let channel = connect(connection).await?;
    let report = AlumniServiceClient::new(channel)
        .purge_deleted(proto::PurgeDeletedRequest {})
        .await
        .map_err(|status| CliError::Client(describe(&status)))?
        .into_inner();
    println!(
        "purged {} deleted document(s); segments {} -> {}",
        report.documents_removed, report.segments_before, report.segments_after
    );
    Ok(())
}
