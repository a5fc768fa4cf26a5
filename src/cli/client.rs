//! Client-side commands: import with a progress bar, and a readable match table.

use std::{
    fs::File,
    io::{BufRead, BufReader},
    path::Path,
};

use indicatif::{ProgressBar, ProgressStyle};
use tonic::{Code, transport::Channel};
use tonic_types::StatusExt;

use super::{CliError, ImportKind};
use crate::{
    domain::{Alumnus, Opportunity},
    proto::{
        self, alumni_service_client::AlumniServiceClient, match_request::Target,
        match_service_client::MatchServiceClient, opportunity_service_client::OpportunityServiceClient,
    },
    service::convert,
};

async fn connect(server: &str) -> Result<Channel, CliError> {
    Channel::from_shared(server.to_owned())
        .map_err(|e| CliError::Client(format!("bad server address {server:?}: {e}")))?
        .connect()
        .await
        .map_err(|e| CliError::Client(format!("cannot connect to {server}: {e}")))
}

/// Renders a status with its field violations, one per line.
fn describe(status: &tonic::Status) -> String {
    let mut text = format!("{:?}: {}", status.code(), status.message());
    if let Some(bad_request) = status.get_details_bad_request() {
        for violation in bad_request.field_violations {
            text.push_str(&format!("\n  {}: {}", violation.field, violation.description));
        }
    }
    text
}

fn progress_bar(total_bytes: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total_bytes);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
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
pub async fn import(what: ImportKind, path: &Path, server: &str) -> Result<(), CliError> {
    let channel = connect(server).await?;
    let (size, lines) = read_lines(path)?;
    let bar = progress_bar(
        size,
        match what {
            ImportKind::Alumni => "alumni",
            ImportKind::Opportunities => "opportunities",
        },
    );
    match what {
        ImportKind::Alumni => {
            let (sender, receiver) = tokio::sync::mpsc::channel::<proto::Alumnus>(1024);
            let reader_bar = bar.clone();
            let path_text = path.display().to_string();
            // Parse on a blocking thread so reading the file overlaps with sending.
            let reader = tokio::task::spawn_blocking(move || -> Result<(), CliError> {
                for (i, line) in lines.enumerate() {
                    let line = line.map_err(|e| CliError::Client(format!("{path_text}:{}: {e}", i + 1)))?;
                    reader_bar.inc(line.len() as u64 + 1);
                    if line.trim().is_empty() {
                        continue;
                    }
                    let alumnus: Alumnus = serde_json::from_str(&line)
                        .map_err(|e| CliError::Client(format!("{path_text}:{}: {e}", i + 1)))?;
                    if sender.blocking_send(convert::alumnus_to_proto(alumnus)).is_err() {
                        break; // The call ended early; its status says why.
                    }
                }
                Ok(())
            });
            let mut client = AlumniServiceClient::new(channel).max_encoding_message_size(16 * 1024 * 1024);
            let outcome = client
                .import_alumni(tokio_stream::wrappers::ReceiverStream::new(receiver))
                .await;
            let read = reader
                .await
                .map_err(|e| CliError::Client(format!("reader task: {e}")))?;
            bar.finish_and_clear();
            read?;
            let response = outcome.map_err(|status| CliError::Client(describe(&status)))?;
            println!("imported {} alumni", response.into_inner().imported_count);
        }
        ImportKind::Opportunities => {
            let mut client = OpportunityServiceClient::new(channel);
            let mut batch = Vec::new();
            let mut total = 0usize;
            for (i, line) in lines.enumerate() {
                let line = line.map_err(|e| CliError::Client(format!("{}:{}: {e}", path.display(), i + 1)))?;
                bar.inc(line.len() as u64 + 1);
                if line.trim().is_empty() {
                    continue;
                }
                let opportunity: Opportunity = serde_json::from_str(&line)
                    .map_err(|e| CliError::Client(format!("{}:{}: {e}", path.display(), i + 1)))?;
                batch.push(convert::opportunity_to_proto(opportunity));
                if batch.len() == 500 {
                    total += send_opportunities(&mut client, std::mem::take(&mut batch)).await?;
                }
            }
            if !batch.is_empty() {
                total += send_opportunities(&mut client, batch).await?;
            }
            bar.finish_and_clear();
            println!("upserted {total} opportunities");
        }
    }
    Ok(())
}

async fn send_opportunities(
    client: &mut OpportunityServiceClient<Channel>,
    batch: Vec<proto::Opportunity>,
) -> Result<usize, CliError> {
    let response = client
        .upsert_opportunities(proto::UpsertOpportunitiesRequest { opportunities: batch })
        .await
        .map_err(|status| CliError::Client(describe(&status)))?;
    Ok(response.into_inner().upserted_count as usize)
}

/// Prints a ranked table for a stored opportunity.
pub async fn match_table(opportunity_id: &str, limit: u32, explain: bool, server: &str) -> Result<(), CliError> {
    let channel = connect(server).await?;
    let mut matcher = MatchServiceClient::new(channel.clone());
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
        "{} eligible alumni; showing {}\n",
        response.total_eligible,
        response.candidates.len()
    );
    println!("{:>4}  {:>6}  {:<14} {:<24} reason", "rank", "score", "alumnus", "name");
    for c in &response.candidates {
        println!(
            "{:>4}  {:>6.3}  {:<14} {:<24} {}",
            c.rank, c.score, c.alumnus_id, c.display_name, c.reason
        );
        if explain {
            for component in &c.components {
                println!(
                    "{:>14} {:<18} value {:.3} x weight {:.3} = {:.3}",
                    "", component.name, component.value, component.weight, component.contribution
                );
            }
            if !c.matched_skills.is_empty() {
                println!("{:>14} matched: {}", "", c.matched_skills.join(", "));
            }
            if !c.missing_required_skills.is_empty() {
                println!("{:>14} missing: {}", "", c.missing_required_skills.join(", "));
            }
        }
    }
    Ok(())
}
