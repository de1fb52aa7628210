//! Account roles and the principal: who is asking, with which role, for
//! which organisation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What an account may do. Everything but `partner` is an internal role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    VsocAnalyst,
    DetectionEngineer,
    PsirtEngineer,
    Partner,
}

impl Role {
    /// Every role, in the order the documentation lists them.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::VsocAnalyst,
        Role::DetectionEngineer,
        Role::PsirtEngineer,
        Role::Partner,
    ];

    /// The role's name as the CLI and the API write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::VsocAnalyst => "vsoc-analyst",
            Role::DetectionEngineer => "detection-engineer",
            Role::PsirtEngineer => "psirt-engineer",
            Role::Partner => "partner",
        }
    }

    /// Whether the role belongs to the operating organisation itself.
    pub fn is_internal(self) -> bool {
        self != Role::Partner
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role {0:?}: expected admin, vsoc-analyst, detection-engineer, psirt-engineer or partner"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| UnknownRole(text.to_owned()))
    }
}

/// The authenticated reader or actor behind a request or a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Principal {
    pub user: String,
    pub role: Role,
    /// The partner's organisation; internal users may have none.
    pub organisation: Option<String>,
}

impl Principal {
    pub fn new(user: impl Into<String>, role: Role, organisation: Option<String>) -> Self {
        Self {
            user: user.into(),
            role,
            organisation,
        }
    }

    /// The principal for work the instance does on its own behalf
    /// (start-up, migrations, the CLI run by the operator).
    pub fn system() -> Self {
        Self::new("system", Role::Admin, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("Admin".parse::<Role>().is_err());
    }

    #[test]
    fn only_partner_is_external() {
        let external: Vec<Role> = Role::ALL.into_iter().filter(|r| !r.is_internal()).collect();
        assert_eq!(external, vec![Role::Partner]);
    }
}
