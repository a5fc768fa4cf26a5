//! Requests, converted and validated once, at the edge, into the engine's typed
//! requests: every rule that needs no stored data is checked here (limits,
//! ids, enum numbers, dates, weights, the shape of page tokens), and every
//! problem is reported at once with its field path. The engine takes the result
//! as given.

use super::{alumnus::alumnus_from_proto, opportunity::opportunity_from_proto, scalars};
use crate::{
    domain::{
        self, OpportunityKind, Violations,
        validation::{validate_alumni_batch, validate_alumnus, validate_opportunity, validate_opportunity_batch},
    },
    engine::{
        AlumnusMatchQuery, Listing, MatchOptions, MatchQuery, MatchTarget, MentorQuery, OpportunityQuery, PageToken,
        RescoreRequest, ShortlistQuery,
    },
    limits::{
        MAX_ASSIGNMENT_OPPORTUNITIES, MAX_ASSIGNMENTS_PER_ALUMNUS, MAX_BATCH_ITEMS, MAX_KINDS_PER_REQUEST,
        MAX_LIST_PAGE_SIZE, MAX_MATCH_LIMIT, MAX_RESCORE_OPPORTUNITIES, MAX_SHORTLIST_PAGE_SIZE, MAX_SHORTLIST_SIZE,
        MAX_WEIGHT_OVERRIDES,
    },
    proto,
    ranking::check_overrides,
};

/// An engine request and whether the caller asked for explanations (a matter of
/// presentation, decided at the edge).
#[derive(Debug, Clone)]
pub struct Explained<T> {
    /// The engine's request.
    pub request: T,
    /// Fill in components and skills.
    pub explain: bool,
}

/// The alumni of an `UpsertAlumniRequest`, converted and validated: every
/// problem of every item is reported at once, under `alumni[i]`.
pub fn upsert_alumni_request(request: proto::UpsertAlumniRequest) -> Result<Vec<domain::Alumnus>, Violations> {
    let mut violations = Violations::new();
    violations.check_count("alumni", request.alumni.len(), MAX_BATCH_ITEMS);
    let alumni: Vec<domain::Alumnus> = request
        .alumni
        .into_iter()
        .take(MAX_BATCH_ITEMS)
        .enumerate()
        .map(|(i, a)| alumnus_from_proto(a, &format!("alumni[{i}]"), &mut violations))
        .collect();
    validate_alumni_batch(&alumni, "alumni", &mut violations);
    violations.into_result().map(|()| alumni)
}

/// One streamed alumnus of an import, converted and validated, as item
/// `position` of the stream.
pub fn import_item(item: proto::ImportAlumniRequest, position: u64) -> Result<domain::Alumnus, Violations> {
    let path = format!("alumni[{position}]");
    let mut violations = Violations::new();
    let Some(item) = item.alumnus else {
        violations.add(&path, "is required (ImportAlumniRequest.alumnus)");
        return Err(violations);
    };
    let alumnus = alumnus_from_proto(item, &path, &mut violations);
    validate_alumnus(&alumnus, &path, &mut violations);
    violations.into_result().map(|()| alumnus)
}

/// The ids of a `DeleteAlumniRequest`, checked; repeats are kept (the store
/// deletes each id once).
pub fn delete_alumni_request(request: proto::DeleteAlumniRequest) -> Result<Vec<String>, Violations> {
    let mut violations = Violations::new();
    if request.ids.is_empty() {
        violations.add("ids", "must contain at least one id");
    }
    violations.check_count("ids", request.ids.len(), MAX_BATCH_ITEMS);
    for (i, id) in request.ids.iter().enumerate().take(MAX_BATCH_ITEMS) {
        violations.check_id(&format!("ids[{i}]"), id);
    }
    violations.into_result().map(|()| request.ids)
}

/// An id argument (`GetAlumnus.id`, `GetOpportunity.id`, ...), checked.
pub fn id_argument(field: &str, id: String) -> Result<String, Violations> {
    let mut violations = Violations::new();
    violations.check_id(field, &id);
    violations.into_result().map(|()| id)
}

/// The opportunities of an `UpsertOpportunitiesRequest`, converted and validated.
pub fn upsert_opportunities_request(
    opportunities: Vec<proto::Opportunity>,
) -> Result<Vec<domain::Opportunity>, Violations> {
    let mut violations = Violations::new();
    violations.check_count("opportunities", opportunities.len(), MAX_BATCH_ITEMS);
    let opportunities: Vec<domain::Opportunity> = opportunities
        .into_iter()
        .take(MAX_BATCH_ITEMS)
        .enumerate()
        .map(|(i, o)| opportunity_from_proto(o, &format!("opportunities[{i}]"), &mut violations))
        .collect();
    validate_opportunity_batch(&opportunities, &mut violations);
    violations.into_result().map(|()| opportunities)
}

/// A page token's shape, checked before the engine checks what it is bound to.
fn check_token(violations: &mut Violations, token: &str, listing: Listing) {
    if !token.is_empty()
        && let Err(message) = PageToken::parse(token, listing)
    {
        violations.add("page_token", message);
    }
}

/// Checks a list of ids: 1 to `max`, each an id, none repeated.
fn check_id_list(violations: &mut Violations, field: &str, ids: &[String], max: usize) {
    if ids.is_empty() {
        violations.add(field, "must contain at least one id");
    }
    violations.check_count(field, ids.len(), max);
    let mut seen = std::collections::HashMap::new();
    for (i, id) in ids.iter().enumerate().take(max) {
        violations.check_id(&format!("{field}[{i}]"), id);
        if let Some(first) = seen.insert(id.as_str(), i) {
            violations.add(format!("{field}[{i}]"), format!("duplicates {field}[{first}]"));
        }
    }
}

impl TryFrom<proto::MatchRequest> for Explained<MatchQuery> {
    type Error = Violations;

    fn try_from(request: proto::MatchRequest) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        let target = match request.target {
            Some(proto::match_request::Target::OpportunityId(id)) => {
                violations.check_id("opportunity_id", &id);
                MatchTarget::Stored(id)
            }
            Some(proto::match_request::Target::Opportunity(opportunity)) => {
                let opportunity = opportunity_from_proto(opportunity, "opportunity", &mut violations);
                validate_opportunity(&opportunity, "opportunity", false, &mut violations);
                MatchTarget::AdHoc(Box::new(opportunity))
            }
            None => {
                violations.add("target", "set either opportunity_id or opportunity");
                MatchTarget::Stored(String::new())
            }
        };
        if request.limit > MAX_MATCH_LIMIT {
            violations.add("limit", format!("must be at most {MAX_MATCH_LIMIT}"));
        }
        check_token(&mut violations, &request.page_token, Listing::Match);
        violations.check_count("weights", request.weights.len(), MAX_WEIGHT_OVERRIDES);
        let weights: std::collections::HashMap<String, f64> =
            request.weights.into_iter().take(MAX_WEIGHT_OVERRIDES).collect();
        // Every bad override is reported, each under its own name.
        for (name, problem) in check_overrides(&weights) {
            violations.add(format!("weights[{name}]"), problem);
        }
        violations.into_result()?;
        Ok(Explained {
            request: MatchQuery {
                target,
                options: MatchOptions {
                    limit: request.limit,
                    page_token: request.page_token,
                    weights,
                    require_all_required_skills: request.require_all_required_skills,
                },
            },
            explain: request.explain,
        })
    }
}

impl TryFrom<proto::MatchForAlumnusRequest> for Explained<AlumnusMatchQuery> {
    type Error = Violations;

    /// At most [`MAX_KINDS_PER_REQUEST`] kinds, each a known one; a kind listed
    /// twice is kept once.
    fn try_from(request: proto::MatchForAlumnusRequest) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        violations.check_id("alumnus_id", &request.alumnus_id);
        violations.check_count("kinds", request.kinds.len(), MAX_KINDS_PER_REQUEST);
        let mut kinds: Vec<OpportunityKind> = Vec::new();
        for (i, &value) in request.kinds.iter().enumerate().take(MAX_KINDS_PER_REQUEST) {
            if let Some(kind) = scalars::kind_from_proto(value, &format!("kinds[{i}]"), &mut violations)
                && !kinds.contains(&kind)
            {
                kinds.push(kind);
            }
        }
        if request.limit > MAX_MATCH_LIMIT {
            violations.add("limit", format!("must be at most {MAX_MATCH_LIMIT}"));
        }
        violations.into_result()?;
        Ok(Explained {
            request: AlumnusMatchQuery {
                alumnus_id: request.alumnus_id,
                kinds,
                limit: request.limit,
            },
            explain: request.explain,
        })
    }
}

impl TryFrom<proto::AssignMentorsRequest> for MentorQuery {
    type Error = Violations;

    fn try_from(request: proto::AssignMentorsRequest) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        check_id_list(
            &mut violations,
            "opportunity_ids",
            &request.opportunity_ids,
            MAX_ASSIGNMENT_OPPORTUNITIES,
        );
        if request.max_assignments_per_alumnus > MAX_ASSIGNMENTS_PER_ALUMNUS {
            violations.add(
                "max_assignments_per_alumnus",
                format!("must be at most {MAX_ASSIGNMENTS_PER_ALUMNUS}"),
            );
        }
        if request.candidates_per_opportunity > MAX_MATCH_LIMIT {
            violations.add(
                "candidates_per_opportunity",
                format!("must be at most {MAX_MATCH_LIMIT}"),
            );
        }
        violations.into_result()?;
        Ok(MentorQuery {
            opportunity_ids: request.opportunity_ids,
            max_assignments_per_alumnus: request.max_assignments_per_alumnus,
            candidates_per_opportunity: request.candidates_per_opportunity,
        })
    }
}

impl TryFrom<proto::RescoreRequest> for RescoreRequest {
    type Error = Violations;

    /// At most [`MAX_RESCORE_OPPORTUNITIES`] ids (each checked; repeats are
    /// re-scored once) and a shortlist of at most [`MAX_SHORTLIST_SIZE`].
    fn try_from(request: proto::RescoreRequest) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        if request.shortlist_size > MAX_SHORTLIST_SIZE {
            violations.add("shortlist_size", format!("must be at most {MAX_SHORTLIST_SIZE}"));
        }
        violations.check_count(
            "opportunity_ids",
            request.opportunity_ids.len(),
            MAX_RESCORE_OPPORTUNITIES,
        );
        for (i, id) in request
            .opportunity_ids
            .iter()
            .enumerate()
            .take(MAX_RESCORE_OPPORTUNITIES)
        {
            violations.check_id(&format!("opportunity_ids[{i}]"), id);
        }
        violations.into_result()?;
        let mut ids = request.opportunity_ids;
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        Ok(RescoreRequest {
            opportunity_ids: ids,
            shortlist_size: request.shortlist_size,
            only_stale: request.only_stale,
        })
    }
}

impl TryFrom<proto::ListOpportunitiesRequest> for OpportunityQuery {
    type Error = Violations;

    fn try_from(request: proto::ListOpportunitiesRequest) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        let kind = scalars::kind_filter_from_proto(request.kind, "kind", &mut violations);
        let status = scalars::status_filter_from_proto(request.status, "status", &mut violations);
        if request.page_size > MAX_LIST_PAGE_SIZE {
            violations.add("page_size", format!("must be at most {MAX_LIST_PAGE_SIZE}"));
        }
        check_token(&mut violations, &request.page_token, Listing::Opportunities);
        violations.into_result()?;
        Ok(OpportunityQuery {
            kind,
            status,
            page_size: request.page_size,
            page_token: request.page_token,
        })
    }
}

impl TryFrom<proto::GetShortlistRequest> for ShortlistQuery {
    type Error = Violations;

    fn try_from(request: proto::GetShortlistRequest) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        violations.check_id("opportunity_id", &request.opportunity_id);
        if request.page_size > MAX_SHORTLIST_PAGE_SIZE {
            violations.add("page_size", format!("must be at most {MAX_SHORTLIST_PAGE_SIZE}"));
        }
        check_token(&mut violations, &request.page_token, Listing::Shortlist);
        violations.into_result()?;
        Ok(ShortlistQuery {
            opportunity_id: request.opportunity_id,
            page_size: request.page_size,
            page_token: request.page_token,
        })
    }
}
