//! Client commands that read and change records: opportunities (list, get,
//! close), alumni (get, delete), the opportunities that fit one alumnus, and the
//! mentor assignment. Each prints with `--format table|json|csv`.

use serde_json::json;

use super::{
    CliError,
    client::{connect, describe},
    output::{OutputFormat, Records, number, one_line, text},
};
use crate::{
    domain::Violations,
    proto::{
        self, alumni_service_client::AlumniServiceClient, match_service_client::MatchServiceClient,
        opportunity_service_client::OpportunityServiceClient,
    },
    service::{Connection, convert},
};

/// Opportunity kinds on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    /// Hiring back.
    Rehire,
    /// Referring candidates.
    Referral,
    /// Mentoring or knowledge sharing.
    Mentoring,
    /// Collaboration with the alumnus's organisation.
    Partnership,
}

impl KindArg {
    pub(super) fn to_proto(self) -> proto::OpportunityKind {
        match self {
            KindArg::Rehire => proto::OpportunityKind::Rehire,
            KindArg::Referral => proto::OpportunityKind::Referral,
            KindArg::Mentoring => proto::OpportunityKind::Mentoring,
            KindArg::Partnership => proto::OpportunityKind::Partnership,
        }
    }
}

/// Which opportunities `opportunities list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StatusArg {
    /// Open ones.
    #[default]
    Open,
    /// Closed ones.
    Closed,
    /// Both.
    Any,
}

/// The kind's name without its enum prefix: `REHIRE`.
pub(super) fn kind_name(kind: i32) -> &'static str {
    proto::OpportunityKind::try_from(kind)
        .map(|k| k.as_str_name().trim_start_matches("OPPORTUNITY_KIND_"))
        .unwrap_or("?")
}

fn status_name(status: i32) -> &'static str {
    proto::OpportunityStatus::try_from(status)
        .map(|s| s.as_str_name().trim_start_matches("OPPORTUNITY_STATUS_"))
        .unwrap_or("?")
}

fn opportunity_json(o: &proto::Opportunity) -> serde_json::Value {
    json!({
        "id": o.id, "kind": kind_name(o.kind), "title": o.title, "description": o.description,
        "required_skills": o.required_skills, "preferred_skills": o.preferred_skills,
        "department": o.department, "location": o.location, "seniority": o.seniority,
        "languages": o.languages, "capacity": o.capacity, "status": status_name(o.status),
        "created_at": o.created_at.as_ref().map(|t| t.seconds),
    })
}

fn opportunity_records(opportunities: &[proto::Opportunity]) -> Records {
    let mut records = Records::new(&[
        text("id"),
        text("kind"),
        text("status"),
        number("capacity"),
        text("title"),
    ]);
    for o in opportunities {
        records.push(
            vec![
                o.id.clone(),
                kind_name(o.kind).to_owned(),
                status_name(o.status).to_owned(),
                o.capacity.to_string(),
                one_line(&o.title),
            ],
            opportunity_json(o),
        );
    }
    records
}

/// `opportunities list`: every page, filtered by kind and status.
pub async fn list_opportunities(
    kind: Option<KindArg>,
    status: StatusArg,
    format: OutputFormat,
    connection: &Connection,
) -> Result<(), CliError> {
    let mut client = OpportunityServiceClient::new(connect(connection).await?);
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_opportunities(proto::ListOpportunitiesRequest {
                kind: kind.map_or(proto::OpportunityKind::Unspecified, KindArg::to_proto) as i32,
                status: match status {
                    StatusArg::Open => proto::OpportunityStatus::Open,
                    StatusArg::Closed => proto::OpportunityStatus::Closed,
                    StatusArg::Any => proto::OpportunityStatus::Unspecified,
                } as i32,
                page_size: 500,
                page_token: token,
            })
            .await
            .map_err(|status| CliError::Client(describe(&status)))?
            .into_inner();
        all.extend(page.opportunities);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    opportunity_records(&all).print(format)
}

/// `opportunities get ID`.
pub async fn get_opportunity(id: &str, format: OutputFormat, connection: &Connection) -> Result<(), CliError> {
    let mut client = OpportunityServiceClient::new(connect(connection).await?);
    let opportunity = client
        .get_opportunity(proto::GetOpportunityRequest { id: id.to_owned() })
        .await
        .map_err(|status| CliError::Client(describe(&status)))?
        .into_inner()
        .opportunity
        .ok_or_else(|| CliError::Client(format!("the server returned no opportunity {id:?}")))?;
    print_one(
        &opportunity_json(&opportunity),
        format,
        &opportunity_records(&[opportunity]),
    )
}

/// `opportunities close ID`.
pub async fn close_opportunity(id: &str, connection: &Connection) -> Result<(), CliError> {
    let mut client = OpportunityServiceClient::new(connect(connection).await?);
    let closed = client
        .close_opportunity(proto::CloseOpportunityRequest { id: id.to_owned() })
        .await
        .map_err(|status| CliError::Client(describe(&status)))?
        .into_inner()
        .opportunity;
    match closed {
        Some(o) => println!(
            "closed {} ({}); its stored shortlist is no longer served",
            o.id,
            one_line(&o.title)
        ),
        None => println!("closed {id}"),
    }
    Ok(())
}

/// One record: JSON as an object (not a one-element array), the table as a table.
fn print_one(object: &serde_json::Value, format: OutputFormat, records: &Records) -> Result<(), CliError> {
    match format {
        OutputFormat::Json => {
            println!("{}", serde_json::to_string_pretty(object).unwrap_or_default());
            Ok(())
        }
        _ => records.print(format),
    }
}

/// `alumni get ID`: the full record (admin keys only: it includes why they left),
/// as JSON in the shape of the import files, or as field: value lines.
pub async fn get_alumnus(id: &str, format: OutputFormat, connection: &Connection) -> Result<(), CliError> {
    let mut client = AlumniServiceClient::new(connect(connection).await?);
    let alumnus = client
        .get_alumnus(proto::GetAlumnusRequest { id: id.to_owned() })
        .await
        .map_err(|status| CliError::Client(describe(&status)))?
        .into_inner()
        .alumnus
        .ok_or_else(|| CliError::Client(format!("the server returned no alumnus {id:?}")))?;
    let mut violations = Violations::default();
    let alumnus = convert::alumnus_from_proto(alumnus, "alumnus", &mut violations);
    let object = serde_json::to_value(&alumnus).map_err(|e| CliError::Client(format!("encoding the record: {e}")))?;
    let mut records = Records::new(&[text("field"), text("value")]);
    if let serde_json::Value::Object(fields) = &object {
        for (field, value) in fields {
            let shown = match value {
                serde_json::Value::String(s) => one_line(s),
                other => one_line(&other.to_string()),
            };
            records.push(vec![field.clone(), shown], json!({ "field": field, "value": value }));
        }
    }
    print_one(&object, format, &records)
}

/// `alumni delete ID…`: erasure (store, index, stored shortlists).
pub async fn delete_alumni(ids: Vec<String>, connection: &Connection) -> Result<(), CliError> {
    let mut client = AlumniServiceClient::new(connect(connection).await?);
    let response = client
        .delete_alumni(proto::DeleteAlumniRequest { ids })
        .await
        .map_err(|status| CliError::Client(describe(&status)))?
        .into_inner();
    println!("deleted {} alumni", response.deleted_count);
    if !response.not_found_ids.is_empty() {
        println!("not found: {}", response.not_found_ids.join(", "));
    }
    Ok(())
}

/// Score components as JSON: name, value, weight, contribution.
pub(super) fn components_json(components: &[proto::ScoreComponent]) -> serde_json::Value {
    components
        .iter()
        .map(|c| json!({ "name": c.name, "value": c.value, "weight": c.weight, "contribution": c.contribution }))
        .collect()
}

/// `match-for-alumnus`: the open opportunities that fit one alumnus, best first.
pub async fn match_for_alumnus(
    alumnus: &str,
    kinds: &[KindArg],
    limit: u32,
    explain: bool,
    format: OutputFormat,
    connection: &Connection,
) -> Result<(), CliError> {
    let mut client = MatchServiceClient::new(connect(connection).await?);
    let response = client
        .match_for_alumnus(proto::MatchForAlumnusRequest {
            alumnus_id: alumnus.to_owned(),
            kinds: kinds.iter().map(|k| k.to_proto() as i32).collect(),
            limit,
            explain,
        })
        .await
        .map_err(|status| CliError::Client(describe(&status)))?
        .into_inner();
    let mut records = Records::new(&[
        number("rank"),
        number("score"),
        text("opportunity"),
        text("kind"),
        text("title"),
        text("reason"),
    ]);
    for m in &response.matches {
        records.push(
            vec![
                m.rank.to_string(),
                format!("{:.3}", m.score),
                m.opportunity_id.clone(),
                kind_name(m.kind).to_owned(),
                one_line(&m.title),
                one_line(&m.reason),
            ],
            json!({
                "rank": m.rank, "score": m.score, "opportunity_id": m.opportunity_id, "kind": kind_name(m.kind),
                "title": m.title, "reason": m.reason, "matched_skills": m.matched_skills,
                "missing_required_skills": m.missing_required_skills, "components": components_json(&m.components),
            }),
        );
    }
    records.print(format)
}

/// `assign-mentors`: the best assignment of mentors to MENTORING opportunities.
pub async fn assign_mentors(
    opportunities: Vec<String>,
    max_per_alumnus: u32,
    candidates_per_opportunity: u32,
    format: OutputFormat,
    connection: &Connection,
) -> Result<(), CliError> {
    let mut client = MatchServiceClient::new(connect(connection).await?);
    let plan = client
        .assign_mentors(proto::AssignMentorsRequest {
            opportunity_ids: opportunities,
            max_assignments_per_alumnus: max_per_alumnus,
            candidates_per_opportunity,
        })
        .await
        .map_err(|status| CliError::Client(describe(&status)))?
        .into_inner();
    let mut records = Records::new(&[
        text("opportunity"),
        text("mentor"),
        text("name"),
        number("score"),
        text("reason"),
    ]);
    for assignment in &plan.assignments {
        let Some(mentor) = &assignment.mentor else { continue };
        records.push(
            vec![
                assignment.opportunity_id.clone(),
                mentor.alumnus_id.clone(),
                one_line(&mentor.display_name),
                format!("{:.3}", mentor.score),
                one_line(&mentor.reason),
            ],
            json!({
                "opportunity_id": assignment.opportunity_id, "alumnus_id": mentor.alumnus_id,
                "display_name": mentor.display_name, "score": mentor.score, "reason": mentor.reason,
                "components": components_json(&mentor.components),
            }),
        );
    }
    records.print(format)?;
    if format == OutputFormat::Table {
        println!("\ntotal score {:.3}", plan.total_score);
        for fill in &plan.fills {
            println!(
                "{}: {} of {} places filled",
                fill.opportunity_id, fill.assigned, fill.capacity
            );
        }
    }
    Ok(())
}
