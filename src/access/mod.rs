//! Who may call what: tenants, roles, the methods each role may call, and API keys.
//!
//! A tenant is one company's alumni programme. Every record belongs to exactly one
//! tenant, and each tenant has its own store and index directory, so isolation
//! holds by construction: a call can only ever reach the engine of the tenant its
//! key belongs to.
//!
//! API keys are random 256-bit secrets. Only their SHA-256 digests are kept (in the
//! key file, `api-keys.toml`), so a leaked file does not leak usable keys. A slow
//! password hash is unnecessary for secrets of this entropy; a fast digest keeps
//! authentication off the latency budget.

mod keys;

use serde::{Deserialize, Serialize};

pub use alumni_match_engine::engine::{InvalidTenant, TenantId};
pub use keys::{ApiKeyRecord, IssuedKey, KeyFile, KeyRing, KeySet};

/// Why an access decision or a key-file operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// A tenant name that is not a valid directory-safe identifier.
    #[error(transparent)]
    InvalidTenant(#[from] InvalidTenant),
    /// The presented credential is not shaped like an API key.
    #[error("malformed API key")]
    MalformedKey,
    /// No active key matches the presented one.
    #[error("unknown or revoked API key")]
    UnknownKey,
    /// `keys revoke` named a key that does not exist.
    #[error("no API key with id {0:?}")]
    NoSuchKey(String),
    /// The key file could not be read, parsed or written.
    #[error("API key file {path}: {message}")]
    KeyFile {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Random(String),
}

/// What a key may do. Each role includes everything the roles before it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Recruiting systems: ranked matches and stored shortlists.
    Matcher,
    /// HR analysts: also opportunities, mentor assignment and re-scoring.
    Analyst,
    /// Administrators: also every write, delete and purge, and full profiles.
    Admin,
}

impl Role {
    /// Whether this role may call `method`.
    pub fn may_call(self, method: Method) -> bool {
        self >= method.required_role()
    }

    /// The lowercase name used in the key file and the access log.
    pub fn name(self) -> &'static str {
        match self {
            Role::Matcher => "matcher",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

/// Every method of the API that needs a key (health and reflection do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `AlumniService.UpsertAlumni`
    UpsertAlumni,
    /// `AlumniService.ImportAlumni`
    ImportAlumni,
    /// `AlumniService.DeleteAlumni`
    DeleteAlumni,
    /// `AlumniService.GetAlumnus`: the full record, including why they left.
    GetAlumnus,
    /// `AlumniService.PurgeDeleted`
    PurgeDeleted,
    /// `OpportunityService.UpsertOpportunities`
    UpsertOpportunities,
    /// `OpportunityService.GetOpportunity`
    GetOpportunity,
    /// `OpportunityService.ListOpportunities`
    ListOpportunities,
    /// `OpportunityService.CloseOpportunity`
    CloseOpportunity,
    /// `MatchService.Match`
    Match,
    /// `MatchService.MatchForAlumnus`
    MatchForAlumnus,
    /// `MatchService.AssignMentors`
    AssignMentors,
    /// `MatchService.Rescore`
    Rescore,
    /// `MatchService.GetRescoreJob`
    GetRescoreJob,
    /// `MatchService.GetShortlist`
    GetShortlist,
    /// `AdminService.Backup`: a consistent copy of the tenant's store.
    Backup,
    /// `OutcomeService.RecordOutcomes`
    RecordOutcomes,
    /// `OutcomeService.ListOutcomes`
    ListOutcomes,
    /// `OutcomeService.GetContactPolicy`
    GetContactPolicy,
    /// `OutcomeService.SetContactPolicy`
    SetContactPolicy,
    /// `OutcomeService.GetFunnel`
    GetFunnel,
    /// `OutcomeService.TuneProfiles`
    TuneProfiles,
}

/// How a method's messages flow, which decides which concurrency pool it takes
/// a permit from and how its deadline applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streaming {
    /// One request, one response.
    Unary,
    /// The client streams its request (an import).
    Client,
    /// The server streams its response (re-score progress, a backup).
    Server,
}

impl Method {
    /// How the method's messages flow. For a client stream (an import) the
    /// server's call duration limit bounds each wait for the next message rather
    /// than the whole call, whose length grows with what the client sends.
    pub fn streaming(self) -> Streaming {
        match self {
            Method::ImportAlumni => Streaming::Client,
            Method::Rescore | Method::Backup => Streaming::Server,
            _ => Streaming::Unary,
        }
    }

    /// Whether the client streams its request.
    pub fn is_client_streaming(self) -> bool {
        self.streaming() == Streaming::Client
    }

    /// The gRPC service the method belongs to, fully qualified.
    pub fn service(self) -> &'static str {
        match self {
            Method::UpsertAlumni
            | Method::ImportAlumni
            | Method::DeleteAlumni
            | Method::GetAlumnus
            | Method::PurgeDeleted => "alumni.matching.v1.AlumniService",
            Method::UpsertOpportunities
            | Method::GetOpportunity
            | Method::ListOpportunities
            | Method::CloseOpportunity => "alumni.matching.v1.OpportunityService",
            Method::Match
            | Method::MatchForAlumnus
            | Method::AssignMentors
            | Method::Rescore
            | Method::GetRescoreJob
            | Method::GetShortlist => "alumni.matching.v1.MatchService",
            Method::Backup => "alumni.matching.v1.AdminService",
            Method::RecordOutcomes
            | Method::ListOutcomes
            | Method::GetContactPolicy
            | Method::SetContactPolicy
            | Method::GetFunnel
            | Method::TuneProfiles => "alumni.matching.v1.OutcomeService",
        }
    }

    /// The method of an HTTP/2 request path (`/package.Service/Method`); `None`
    /// for paths that are not one of the API's methods (health, reflection,
    /// unknown ones).
    pub fn from_path(path: &str) -> Option<Self> {
        let (service, name) = path.strip_prefix('/')?.split_once('/')?;
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name && m.service() == service)
    }

    /// All methods, for exhaustive policy tests.
    pub const ALL: [Method; 22] = [
        Method::UpsertAlumni,
        Method::ImportAlumni,
        Method::DeleteAlumni,
        Method::GetAlumnus,
        Method::PurgeDeleted,
        Method::UpsertOpportunities,
        Method::GetOpportunity,
        Method::ListOpportunities,
        Method::CloseOpportunity,
        Method::Match,
        Method::MatchForAlumnus,
        Method::AssignMentors,
        Method::Rescore,
        Method::GetRescoreJob,
        Method::GetShortlist,
        Method::Backup,
        Method::RecordOutcomes,
        Method::ListOutcomes,
        Method::GetContactPolicy,
        Method::SetContactPolicy,
        Method::GetFunnel,
        Method::TuneProfiles,
    ];

    /// The least role that may call the method.
    pub fn required_role(self) -> Role {
        match self {
            // Recruiting systems record what they did with the answers.
            Method::Match | Method::MatchForAlumnus | Method::GetShortlist | Method::RecordOutcomes => Role::Matcher,
            Method::GetOpportunity
            | Method::ListOpportunities
            | Method::AssignMentors
            | Method::Rescore
            | Method::GetRescoreJob
            | Method::ListOutcomes
            | Method::GetContactPolicy
            | Method::GetFunnel => Role::Analyst,
            Method::UpsertAlumni
            | Method::ImportAlumni
            | Method::DeleteAlumni
            | Method::GetAlumnus
            | Method::PurgeDeleted
            | Method::UpsertOpportunities
            | Method::CloseOpportunity
            | Method::Backup
            | Method::SetContactPolicy
            | Method::TuneProfiles => Role::Admin,
        }
    }

    /// The RPC name, as in the proto files and the access log.
    pub fn name(self) -> &'static str {
        match self {
            Method::UpsertAlumni => "UpsertAlumni",
            Method::ImportAlumni => "ImportAlumni",
            Method::DeleteAlumni => "DeleteAlumni",
            Method::GetAlumnus => "GetAlumnus",
            Method::PurgeDeleted => "PurgeDeleted",
            Method::UpsertOpportunities => "UpsertOpportunities",
            Method::GetOpportunity => "GetOpportunity",
            Method::ListOpportunities => "ListOpportunities",
            Method::CloseOpportunity => "CloseOpportunity",
            Method::Match => "Match",
            Method::MatchForAlumnus => "MatchForAlumnus",
            Method::AssignMentors => "AssignMentors",
            Method::Rescore => "Rescore",
            Method::GetRescoreJob => "GetRescoreJob",
            Method::GetShortlist => "GetShortlist",
            Method::Backup => "Backup",
            Method::RecordOutcomes => "RecordOutcomes",
            Method::ListOutcomes => "ListOutcomes",
            Method::GetContactPolicy => "GetContactPolicy",
            Method::SetContactPolicy => "SetContactPolicy",
            Method::GetFunnel => "GetFunnel",
            Method::TuneProfiles => "TuneProfiles",
        }
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Whose data the call may touch.
    pub tenant: TenantId,
    /// The key's public id (`-` when authentication is disabled).
    pub key_id: String,
    /// What the key may do.
    pub role: Role,
}

impl Principal {
    /// The caller of a server running without authentication: admin of the default tenant.
    pub fn unauthenticated_local() -> Self {
        Self {
            tenant: TenantId::default_tenant(),
            key_id: "-".to_owned(),
            role: Role::Admin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_reaches_exactly_its_methods() {
        let matcher: Vec<_> = Method::ALL.iter().filter(|m| Role::Matcher.may_call(**m)).collect();
        assert_eq!(
            matcher,
            [
                &Method::Match,
                &Method::MatchForAlumnus,
                &Method::GetShortlist,
                &Method::RecordOutcomes
            ]
        );
        let analyst: Vec<_> = Method::ALL.iter().filter(|m| Role::Analyst.may_call(**m)).collect();
        assert_eq!(analyst.len(), 12);
        assert!(!Role::Analyst.may_call(Method::SetContactPolicy));
        assert!(!Role::Analyst.may_call(Method::TuneProfiles));
        assert!(
            !Role::Analyst.may_call(Method::GetAlumnus),
            "full profiles are admin-only"
        );
        assert!(!Role::Analyst.may_call(Method::DeleteAlumni));
        assert!(Method::ALL.iter().all(|m| Role::Admin.may_call(*m)));
        assert!(
            !Role::Analyst.may_call(Method::Backup),
            "a backup holds departure details"
        );
    }

    #[test]
    fn methods_are_found_by_their_request_path() {
        for method in Method::ALL {
            let path = format!("/{}/{}", method.service(), method.name());
            assert_eq!(Method::from_path(&path), Some(method), "{path}");
        }
        for other in [
            "/grpc.health.v1.Health/Check",
            "/alumni.matching.v1.MatchService/Nope",
            "/alumni.matching.v1.AlumniService/Match",
            "Match",
            "",
        ] {
            assert_eq!(Method::from_path(other), None, "{other}");
        }
    }
}
