//! The name of a tenant: one company's alumni programme, and its directory.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A tenant name that is not a valid directory-safe identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid tenant {0:?}: use 1-63 of a-z, 0-9, '-' and '_', starting with a letter or digit")]
pub struct InvalidTenant(pub String);

/// A validated tenant name; also the name of the tenant's directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    /// The tenant of a server without authentication, and of the sample data.
    pub const DEFAULT: &'static str = "default";

    /// Checks that `name` is safe as a directory name and unambiguous in logs.
    pub fn parse(name: &str) -> Result<Self, InvalidTenant> {
        let valid = (1..=63).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && name.as_bytes()[0].is_ascii_alphanumeric();
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidTenant(name.to_owned()))
        }
    }

    /// The default tenant.
    pub fn default_tenant() -> Self {
        Self(Self::DEFAULT.to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TenantId {
    type Error = InvalidTenant;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TenantId> for String {
    fn from(value: TenantId) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_names_are_directory_safe() {
        for good in ["acme", "a", "kairos-japan", "team_2", "0day"] {
            assert!(TenantId::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Acme",
            "../etc",
            "a/b",
            "-x",
            "_x",
            ".",
            "a b",
            "é",
            &"x".repeat(64),
        ] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
