//! The PSIRT case vocabulary: where a case came from, the workflow its
//! state follows, the teams that work it and the status a vulnerability has
//! in each affected build.
//!
//! The workflow is a straight line, `received -> triage -> analysis ->
//! remediation -> disclosure -> closed`, with three exits open from every
//! state before `closed`: `not_affected`, `duplicate` (naming the case it
//! duplicates) and `rejected`. [`CaseState::check_transition`] is the one
//! place that decides whether a move is in the workflow.

use std::fmt;

/// A string that is not one of a vocabulary's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {text:?}: expected {expected}")]
pub struct UnknownWord {
    pub what: &'static str,
    pub text: String,
    pub expected: String,
}

/// Defines a closed vocabulary: the enum, its words as the API writes them
/// (snake case), `ALL`, `as_str`, `Display` and `FromStr`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every word, in workflow or documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word as the API and the store write it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::case::UnknownWord;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|word| word.as_str() == text)
                    .ok_or_else(|| $crate::case::UnknownWord {
                        what: $what,
                        text: text.to_owned(),
                        expected: $crate::case::join_words($name::ALL.iter().map(|word| word.as_str())),
                    })
            }
        }
    };
}

pub(crate) use vocabulary;

vocabulary!(
    /// Where a case came from.
    IntakeKind, "intake kind", {
        /// A finding of the matcher (component x advisory in a build).
        Finding => "finding",
        /// A report through the public disclosure intake.
        Disclosure => "disclosure",
        /// A supplier's advisory (CSAF, VEX, mail).
        SupplierAdvisory => "supplier_advisory",
        /// A penetration test or other security test.
        SecurityTest => "security_test",
        /// An incident the VSOC handed over.
        VsocEscalation => "vsoc_escalation",
        /// Opened by hand.
        Manual => "manual",
    }
);

vocabulary!(
    /// The team a case is assigned to.
    Team, "team", {
        Engineering => "engineering",
        Qa => "qa",
        Legal => "legal",
        SupplyChain => "supply_chain",
        CustomerSupport => "customer_support",
    }
);

vocabulary!(
    /// What a case's vulnerability means for one software build.
    BuildStatus, "build status", {
        Affected => "affected",
        NotAffected => "not_affected",
        Fixed => "fixed",
        UnderInvestigation => "under_investigation",
    }
);

vocabulary!(
    /// Where a case is in its workflow.
    CaseState, "case state", {
        Received => "received",
        Triage => "triage",
        Analysis => "analysis",
        Remediation => "remediation",
        Disclosure => "disclosure",
        Closed => "closed",
        NotAffected => "not_affected",
        Duplicate => "duplicate",
        Rejected => "rejected",
    }
);

/// The exits open from every state before `closed`.
pub const EXITS: [CaseState; 3] = [
    CaseState::NotAffected,
    CaseState::Duplicate,
    CaseState::Rejected,
];

impl CaseState {
    /// Whether work on the case goes on (every state but the terminal ones).
    pub fn is_open(self) -> bool {
        self.successor().is_some()
    }

    /// The next state along the straight line, if any.
    pub fn successor(self) -> Option<CaseState> {
        match self {
            CaseState::Received => Some(CaseState::Triage),
            CaseState::Triage => Some(CaseState::Analysis),
            CaseState::Analysis => Some(CaseState::Remediation),
            CaseState::Remediation => Some(CaseState::Disclosure),
            CaseState::Disclosure => Some(CaseState::Closed),
            CaseState::Closed
            | CaseState::NotAffected
            | CaseState::Duplicate
            | CaseState::Rejected => None,
        }
    }

    /// The states a case in this state may move to; none once it is finished.
    pub fn allowed(self) -> Vec<CaseState> {
        match self.successor() {
            Some(next) => std::iter::once(next).chain(EXITS).collect(),
            None => Vec::new(),
        }
    }

    /// Whether moving to `to` is in the workflow.
    pub fn check_transition(self, to: CaseState) -> Result<(), TransitionRefused> {
        let allowed = self.allowed();
        if allowed.contains(&to) {
            return Ok(());
        }
        Err(TransitionRefused {
            from: self,
            to,
            allowed,
        })
    }
}

/// A move the workflow does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TransitionRefused {
    pub from: CaseState,
    pub to: CaseState,
    /// What the case may move to instead (empty once it is finished).
    pub allowed: Vec<CaseState>,
}

impl fmt::Display for TransitionRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.allowed.is_empty() {
            return write!(
                f,
                "a case in {} is finished: no transition leaves it",
                self.from
            );
        }
        let allowed = join_words(self.allowed.iter().map(|state| state.as_str()));
        write!(
            f,
            "a case in {} cannot move to {}: it may move to {allowed}",
            self.from, self.to
        )
    }
}

/// A requested move with its reason, checked for shape before the store
/// checks it against the case's current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub to: CaseState,
    pub reason: String,
    /// The case this one duplicates; present exactly when `to` is `duplicate`.
    pub duplicate_of: Option<String>,
}

/// A transition request that is malformed whatever the case's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct TransitionInvalid {
    pub field: &'static str,
    pub reason: &'static str,
}

impl Transition {
    /// Checks that the reason is given and `duplicate_of` is given exactly
    /// for a move to `duplicate`.
    pub fn new(
        to: CaseState,
        reason: &str,
        duplicate_of: Option<String>,
    ) -> Result<Self, TransitionInvalid> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(TransitionInvalid {
                field: "reason",
                reason: "every transition needs a reason",
            });
        }
        let duplicate_of = duplicate_of.filter(|id| !id.trim().is_empty());
        match (to, &duplicate_of) {
            (CaseState::Duplicate, None) => Err(TransitionInvalid {
                field: "duplicate_of",
                reason: "a move to duplicate must name the case it duplicates",
            }),
            (to, Some(_)) if to != CaseState::Duplicate => Err(TransitionInvalid {
                field: "duplicate_of",
                reason: "only a move to duplicate names another case",
            }),
            _ => Ok(Self {
                to,
                reason: reason.to_owned(),
                duplicate_of,
            }),
        }
    }
}

/// `a, b or c`.
pub(crate) fn join_words<'a>(words: impl Iterator<Item = &'a str>) -> String {
    let words: Vec<&str> = words.collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use CaseState::*;

    /// The workflow as the PSIRT process defines it, written out pair by
    /// pair rather than derived from the code under test.
    const IN_WORKFLOW: &[(CaseState, CaseState)] = &[
        (Received, Triage),
        (Triage, Analysis),
        (Analysis, Remediation),
        (Remediation, Disclosure),
        (Disclosure, Closed),
    ];

    fn expected(from: CaseState, to: CaseState) -> bool {
        let open = [Received, Triage, Analysis, Remediation, Disclosure];
        IN_WORKFLOW.contains(&(from, to)) || (open.contains(&from) && EXITS.contains(&to))
    }

    #[test]
    fn every_pair_of_states_follows_the_workflow() {
        for &from in CaseState::ALL {
            for &to in CaseState::ALL {
                let allowed = from.check_transition(to).is_ok();
                assert_eq!(allowed, expected(from, to), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn a_refusal_names_the_allowed_states() {
        let refused = Triage.check_transition(Closed).err();
        let message = refused.map(|r| r.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            "a case in triage cannot move to closed: it may move to analysis, \
             not_affected, duplicate or rejected"
        );
        let finished = Rejected.check_transition(Triage).err();
        let message = finished.map(|r| r.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            "a case in rejected is finished: no transition leaves it"
        );
    }

    #[test]
    fn a_transition_needs_a_reason_and_duplicate_needs_its_original() {
        assert_eq!(
            Transition::new(Triage, "  ", None).map_err(|e| e.field),
            Err("reason")
        );
        assert_eq!(
            Transition::new(Duplicate, "same report", None).map_err(|e| e.field),
            Err("duplicate_of")
        );
        assert_eq!(
            Transition::new(Triage, "looked", Some("c-1".into())).map_err(|e| e.field),
            Err("duplicate_of")
        );
        let ok = Transition::new(Duplicate, " same report ", Some("c-1".into()));
        assert_eq!(ok.map(|t| t.reason), Ok("same report".to_owned()));
    }

    #[test]
    fn words_parse_and_print_as_the_api_writes_them() {
        assert_eq!("supply_chain".parse::<Team>(), Ok(Team::SupplyChain));
        assert_eq!(
            "vsoc_escalation".parse::<IntakeKind>(),
            Ok(IntakeKind::VsocEscalation)
        );
        assert_eq!(
            serde_json::to_string(&BuildStatus::UnderInvestigation).unwrap_or_default(),
            "\"under_investigation\""
        );
        let error = "done".parse::<CaseState>().err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "unknown case state \"done\": expected received, triage, analysis, \
                 remediation, disclosure, closed, not_affected, duplicate or rejected"
            )
        );
    }
}
