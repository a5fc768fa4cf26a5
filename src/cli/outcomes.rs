//! Client commands for outcomes, the contact policy, the funnel and tuning.

use std::path::Path;

use serde_json::json;

use super::{
    CliError,
    client::{connect, describe},
    output::{OutputFormat, Records, number, text},
    records::{KindArg, kind_name},
};
use crate::{
    proto::{self, outcome_service_client::OutcomeServiceClient},
    service::Connection,
};

/// Outcome kinds on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutcomeArg {
    /// Approached (record it before reaching out).
    Contacted,
    /// Answered.
    Replied,
    /// Said they are interested.
    Interested,
    /// Said no to this opportunity.
    Declined,
    /// Interviewed.
    Interviewed,
    /// Hired back.
    Hired,
    /// Referred someone.
    ReferralSubmitted,
    /// Someone they referred was hired.
    ReferralHired,
    /// Mentoring began.
    MentoringStarted,
    /// A partnership began.
    PartnershipStarted,
}

impl OutcomeArg {
    fn to_proto(self) -> proto::OutcomeKind {
        match self {
            OutcomeArg::Contacted => proto::OutcomeKind::Contacted,
            OutcomeArg::Replied => proto::OutcomeKind::Replied,
            OutcomeArg::Interested => proto::OutcomeKind::Interested,
            OutcomeArg::Declined => proto::OutcomeKind::Declined,
            OutcomeArg::Interviewed => proto::OutcomeKind::Interviewed,
            OutcomeArg::Hired => proto::OutcomeKind::Hired,
            OutcomeArg::ReferralSubmitted => proto::OutcomeKind::ReferralSubmitted,
            OutcomeArg::ReferralHired => proto::OutcomeKind::ReferralHired,
            OutcomeArg::MentoringStarted => proto::OutcomeKind::MentoringStarted,
            OutcomeArg::PartnershipStarted => proto::OutcomeKind::PartnershipStarted,
        }
    }
}

/// What the contact cap does, on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CappedArg {
    /// Not shown; a new CONTACTED is refused.
    Hide,
    /// Shown, flagged as held back.
    Flag,
}

fn outcome_name(kind: i32) -> &'static str {
    proto::OutcomeKind::try_from(kind)
        .map(|k| k.as_str_name().trim_start_matches("OUTCOME_KIND_"))
        .unwrap_or("?")
}

fn client_error(status: tonic::Status) -> CliError {
    CliError::Client(describe(&status))
}

/// One outcome as `outcomes record` takes it.
pub struct OutcomeInput<'a> {
    /// The alumnus.
    pub alumnus: &'a str,
    /// The opportunity.
    pub opportunity: &'a str,
    /// What happened.
    pub kind: OutcomeArg,
    /// When, RFC 3339; now when absent.
    pub at: Option<&'a str>,
    /// A short note.
    pub note: &'a str,
    /// The referred candidate's id.
    pub referred: &'a str,
}

fn parse_time(text: Option<&str>) -> Result<prost_types::Timestamp, CliError> {
    let at = match text {
        Some(text) => time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|e| CliError::Client(format!("--at {text:?}: not an RFC 3339 time ({e})")))?,
        None => time::OffsetDateTime::now_utc(),
    };
    Ok(prost_types::Timestamp {
        seconds: at.unix_timestamp(),
        nanos: at.nanosecond() as i32,
    })
}

/// `outcomes record`: one outcome from the flags, or a JSONL file of them
/// (`alumnus_id`, `opportunity_id`, `kind` as in `--kind`, `occurred_at`
/// RFC 3339, optional `note` and `referred_candidate`), in batches of 1,000.
pub async fn record(
    one: Option<OutcomeInput<'_>>,
    file: Option<&Path>,
    connection: &Connection,
) -> Result<(), CliError> {
    let mut outcomes = Vec::new();
    if let Some(one) = one {
        outcomes.push(proto::Outcome {
            alumnus_id: one.alumnus.to_owned(),
            opportunity_id: one.opportunity.to_owned(),
            kind: one.kind.to_proto() as i32,
            occurred_at: Some(parse_time(one.at)?),
            note: one.note.to_owned(),
            referred_candidate: one.referred.to_owned(),
        });
    }
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).map_err(|e| CliError::Client(format!("{}: {e}", file.display())))?;
        for (line_number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let at = |message: String| CliError::Client(format!("{}:{}: {message}", file.display(), line_number + 1));
            let value: serde_json::Value = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
            let field = |name: &str| value.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let kind = <OutcomeArg as clap::ValueEnum>::from_str(&field("kind").replace('_', "-"), true)
                .map_err(|_| at(format!("unknown kind {:?}", field("kind"))))?;
            let occurred = field("occurred_at");
            outcomes.push(proto::Outcome {
                alumnus_id: field("alumnus_id"),
                opportunity_id: field("opportunity_id"),
                kind: kind.to_proto() as i32,
                occurred_at: Some(
                    parse_time((!occurred.is_empty()).then_some(occurred.as_str())).map_err(|e| at(e.to_string()))?,
                ),
                note: field("note"),
                referred_candidate: field("referred_candidate"),
            });
        }
    }
    let mut client = OutcomeServiceClient::new(connect(connection).await?);
    let (mut recorded, mut duplicates, mut refused) = (0u64, 0u64, 0u64);
    for (batch_number, batch) in outcomes
        .chunks(alumni_match_engine::limits::MAX_BATCH_ITEMS)
        .enumerate()
    {
        let response = client
            .record_outcomes(proto::RecordOutcomesRequest {
                outcomes: batch.to_vec(),
            })
            .await
            .map_err(client_error)?
            .into_inner();
        recorded += u64::from(response.recorded_count);
        duplicates += u64::from(response.duplicate_count);
        for refusal in &response.refused {
            refused += 1;
            let index = batch_number * alumni_match_engine::limits::MAX_BATCH_ITEMS + refusal.index as usize;
            let o = &outcomes[index];
            eprintln!(
                "refused: {} about {} ({}): {}",
                o.alumnus_id,
                o.opportunity_id,
                outcome_name(o.kind),
                refusal.reason
            );
        }
    }
    println!("recorded {recorded}, already recorded {duplicates}, refused {refused}");
    Ok(())
}

/// `outcomes list`: one alumnus's or one opportunity's outcomes.
pub async fn list(
    alumnus: Option<String>,
    opportunity: Option<String>,
    format: OutputFormat,
    connection: &Connection,
) -> Result<(), CliError> {
    use proto::list_outcomes_request::Subject;
    let subject = match (alumnus, opportunity) {
        (Some(id), _) => Subject::AlumnusId(id),
        (None, Some(id)) => Subject::OpportunityId(id),
        (None, None) => return Err(CliError::Client("give --alumnus or --opportunity".into())),
    };
    let mut client = OutcomeServiceClient::new(connect(connection).await?);
    let outcomes = client
        .list_outcomes(proto::ListOutcomesRequest { subject: Some(subject) })
        .await
        .map_err(client_error)?
        .into_inner()
        .outcomes;
    let mut records = Records::new(&[
        text("occurred_at"),
        text("alumnus_id"),
        text("opportunity_id"),
        text("kind"),
        text("note"),
    ]);
    for o in &outcomes {
        let at = o
            .occurred_at
            .as_ref()
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.seconds).ok())
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        records.push(
            vec![
                at.clone(),
                o.alumnus_id.clone(),
                o.opportunity_id.clone(),
                outcome_name(o.kind).to_owned(),
                o.note.clone(),
            ],
            json!({"occurred_at": at, "alumnus_id": o.alumnus_id, "opportunity_id": o.opportunity_id,
                   "kind": outcome_name(o.kind), "note": o.note, "referred_candidate": o.referred_candidate}),
        );
    }
    records.print(format)
}

fn print_policy(policy: Option<proto::ContactPolicy>) {
    let Some(p) = policy else { return };
    let capped = match proto::CappedAlumni::try_from(p.when_capped) {
        Ok(proto::CappedAlumni::Flag) => "flag",
        _ => "hide",
    };
    if p.max_contacts == 0 {
        println!("no contact cap; declines and the alumni's own dates still hold");
    } else {
        println!(
            "at most {} opportunities per alumnus in {} days, then {capped}",
            p.max_contacts, p.window_days
        );
    }
}

/// `contact-policy get`.
pub async fn get_policy(connection: &Connection) -> Result<(), CliError> {
    let mut client = OutcomeServiceClient::new(connect(connection).await?);
    let policy = client
        .get_contact_policy(proto::GetContactPolicyRequest {})
        .await
        .map_err(client_error)?
        .into_inner()
        .policy;
    print_policy(policy);
    Ok(())
}

/// `contact-policy set`.
pub async fn set_policy(
    max_contacts: u32,
    window_days: u32,
    when_capped: CappedArg,
    connection: &Connection,
) -> Result<(), CliError> {
    let mut client = OutcomeServiceClient::new(connect(connection).await?);
    let policy = client
        .set_contact_policy(proto::SetContactPolicyRequest {
            policy: Some(proto::ContactPolicy {
                max_contacts,
                window_days,
                when_capped: match when_capped {
                    CappedArg::Hide => proto::CappedAlumni::Hide,
                    CappedArg::Flag => proto::CappedAlumni::Flag,
                } as i32,
            }),
        })
        .await
        .map_err(client_error)?
        .into_inner()
        .policy;
    print!("set: ");
    print_policy(policy);
    Ok(())
}

fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |d| format!("{d:.1}"))
}

/// `funnel`: by kind, then by opportunity.
pub async fn funnel(
    kind: Option<KindArg>,
    opportunity: Option<String>,
    format: OutputFormat,
    connection: &Connection,
) -> Result<(), CliError> {
    let mut client = OutcomeServiceClient::new(connect(connection).await?);
    let response = client
        .get_funnel(proto::GetFunnelRequest {
            kind: kind.map_or(proto::OpportunityKind::Unspecified, KindArg::to_proto) as i32,
            opportunity_id: opportunity.unwrap_or_default(),
        })
        .await
        .map_err(client_error)?
        .into_inner();
    let mut records = Records::new(&[
        text("scope"),
        text("kind"),
        number("shown"),
        number("contacted"),
        number("replied"),
        number("interviewed"),
        number("hired"),
        number("declined"),
        number("days_to_contact"),
        number("days_to_reply"),
        number("days_to_hire"),
    ]);
    let mut row = |scope: &str, kind: &str, s: &proto::FunnelStages| {
        records.push(
            vec![
                scope.to_owned(),
                kind.to_owned(),
                s.shown.to_string(),
                s.contacted.to_string(),
                s.replied.to_string(),
                s.interviewed.to_string(),
                s.hired.to_string(),
                s.declined.to_string(),
                days(s.median_days_to_contact),
                days(s.median_days_to_reply),
                days(s.median_days_to_hire),
            ],
            json!({"scope": scope, "kind": kind, "shown": s.shown, "contacted": s.contacted, "replied": s.replied,
                   "interviewed": s.interviewed, "hired": s.hired, "declined": s.declined,
                   "median_days_to_contact": s.median_days_to_contact, "median_days_to_reply": s.median_days_to_reply,
                   "median_days_to_hire": s.median_days_to_hire}),
        );
    };
    if let Some(total) = &response.total {
        row("all", "", total);
    }
    for k in &response.by_kind {
        if let Some(stages) = &k.stages {
            row("kind", kind_name(k.kind), stages);
        }
    }
    for o in &response.by_opportunity {
        if let Some(stages) = &o.stages {
            row(&o.opportunity_id, kind_name(o.kind), stages);
        }
    }
    records.print(format)
}

/// `tune --tenant T`: fits the tenant's weights to its outcomes and prints
/// held-out NDCG@10 before and after, per kind.
pub async fn tune(
    tenant: &str,
    dry_run: bool,
    holdout: f64,
    format: OutputFormat,
    connection: &Connection,
) -> Result<(), CliError> {
    let mut client = OutcomeServiceClient::new(connect(connection).await?);
    let mut request = tonic::Request::new(proto::TuneProfilesRequest {
        dry_run,
        holdout_fraction: holdout,
        tenant: tenant.to_owned(),
    });
    // Fitting reads every outcome and ranks each judged opportunity again.
    request.set_timeout(std::time::Duration::from_secs(600));
    let response = client.tune_profiles(request).await.map_err(client_error)?.into_inner();
    let mut records = Records::new(&[
        text("kind"),
        number("train"),
        number("held_out"),
        number("pairs"),
        number("ndcg_before"),
        number("ndcg_after"),
        text("decision"),
    ]);
    let ndcg = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
    for k in &response.kinds {
        records.push(
            vec![
                kind_name(k.kind).to_owned(),
                k.train_lists.to_string(),
                k.holdout_lists.to_string(),
                k.judged_pairs.to_string(),
                ndcg(k.holdout_ndcg_before),
                ndcg(k.holdout_ndcg_after),
                k.note.clone(),
            ],
            json!({"kind": kind_name(k.kind), "train_lists": k.train_lists, "holdout_lists": k.holdout_lists,
                   "judged_pairs": k.judged_pairs, "holdout_ndcg_before": k.holdout_ndcg_before,
                   "holdout_ndcg_after": k.holdout_ndcg_after, "improved": k.improved, "note": k.note,
                   "weights_before": k.weights_before, "weights_after": k.weights_after}),
        );
    }
    records.print(format)?;
    if format == OutputFormat::Table {
        if response.installed {
            println!(
                "tenant {}: installed ranking profile version {} (was {})",
                response.tenant, response.profile_version, response.previous_version
            );
        } else if dry_run {
            println!(
                "tenant {}: dry run; version {} stays in force",
                response.tenant, response.profile_version
            );
        } else {
            println!(
                "tenant {}: nothing beat the profile in force; version {} stays",
                response.tenant, response.profile_version
            );
        }
    }
    Ok(())
}
