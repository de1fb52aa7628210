//! Traffic Light Protocol 2.0 labels and the clearance check.
//!
//! Every record that can leave the instance or reach a partner carries a
//! [`Marking`]: its TLP label, the organisations it is shared with and, for
//! TLP:RED, the users named on it. [`Principal::may_read`] is the single place
//! that decides whether a reader sees a record; every API read and every
//! export calls it, and a record the reader may not see is reported as absent
//! (404), never as forbidden, so its existence does not leak.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::role::Principal;

/// A TLP 2.0 label, ordered from least to most restrictive.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum Tlp {
    #[serde(rename = "CLEAR")]
    Clear,
    #[serde(rename = "GREEN")]
    Green,
    #[serde(rename = "AMBER")]
    Amber,
    #[serde(rename = "AMBER+STRICT")]
    AmberStrict,
    #[serde(rename = "RED")]
    Red,
}

impl Tlp {
    /// Every label, least restrictive first.
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// The label as TLP 2.0 writes it (`TLP:` prefix omitted).
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "CLEAR",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::AmberStrict => "AMBER+STRICT",
            Tlp::Red => "RED",
        }
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a TLP 2.0 label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown TLP label {0:?}: expected CLEAR, GREEN, AMBER, AMBER+STRICT or RED")]
pub struct UnknownTlp(pub String);

impl FromStr for Tlp {
    type Err = UnknownTlp;

    /// Accepts the label with or without the `TLP:` prefix, in any case.
    /// TLP 1.0's WHITE is read as CLEAR, which TLP 2.0 says replaces it.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let upper = text.trim().to_ascii_uppercase();
        let label = upper.strip_prefix("TLP:").unwrap_or(&upper);
        match label {
            "CLEAR" | "WHITE" => Ok(Tlp::Clear),
            "GREEN" => Ok(Tlp::Green),
            "AMBER" => Ok(Tlp::Amber),
            "AMBER+STRICT" => Ok(Tlp::AmberStrict),
            "RED" => Ok(Tlp::Red),
            _ => Err(UnknownTlp(text.to_owned())),
        }
    }
}

/// Who may see one record: its label plus the named audience. Unknown
/// fields are refused: a misspelt audience would otherwise be dropped and
/// leave the record shared with no one, or RED with no reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Marking {
    pub tlp: Tlp,
    /// Partner organisations an AMBER or AMBER+STRICT record is shared with.
    #[serde(default)]
    pub shared_with_orgs: Vec<String>,
    /// Users (by name) allowed to read a RED record.
    #[serde(default)]
    pub named_readers: Vec<String>,
}

impl Marking {
    /// A marking with no named audience.
    pub fn new(tlp: Tlp) -> Self {
        Self {
            tlp,
            shared_with_orgs: Vec::new(),
            named_readers: Vec::new(),
        }
    }
}

/// A record that carries a TLP marking.
pub trait Marked {
    fn marking(&self) -> &Marking;
}

/// The marking records get when their creator names none: AMBER, shared
/// with no partner, so nothing reaches a partner by default.
pub fn default_marking() -> Marking {
    Marking::new(Tlp::Amber)
}

impl Principal {
    /// The clearance check: whether this reader may see a record so marked.
    ///
    /// Internal roles see everything but RED records they are not named on.
    /// A partner sees CLEAR and GREEN, and AMBER or AMBER+STRICT only when
    /// the record is shared with the partner's organisation. RED is seen
    /// only by the users named on the record, whatever their role.
    pub fn may_read(&self, marking: &Marking) -> bool {
        if marking.tlp == Tlp::Red {
            return marking.named_readers.iter().any(|name| name == &self.user);
        }
        if self.role.is_internal() {
            return true;
        }
        match marking.tlp {
            Tlp::Clear | Tlp::Green => true,
            Tlp::Amber | Tlp::AmberStrict => self
                .organisation
                .as_ref()
                .is_some_and(|org| marking.shared_with_orgs.iter().any(|shared| shared == org)),
            Tlp::Red => false,
        }
    }

    /// What the label alone decides for this reader: `Some` when no
    /// audience list could change [`Self::may_read`]'s answer, `None` when
    /// the lists must be read. Lets a reader of many rows skip parsing
    /// their lists.
    pub fn decides_by_label(&self, tlp: Tlp) -> Option<bool> {
        match tlp {
            Tlp::Red => None,
            _ if self.role.is_internal() => Some(true),
            Tlp::Clear | Tlp::Green => Some(true),
            Tlp::Amber | Tlp::AmberStrict if self.organisation.is_none() => Some(false),
            Tlp::Amber | Tlp::AmberStrict => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;

    fn analyst() -> Principal {
        Principal::new("ana", Role::VsocAnalyst, None)
    }

    fn partner(org: &str) -> Principal {
        Principal::new("pat", Role::Partner, Some(org.to_owned()))
    }

    fn shared(tlp: Tlp, org: &str) -> Marking {
        Marking {
            tlp,
            shared_with_orgs: vec![org.to_owned()],
            named_readers: Vec::new(),
        }
    }

    #[test]
    fn labels_round_trip_through_text() {
        for tlp in Tlp::ALL {
            assert_eq!(tlp.as_str().parse::<Tlp>(), Ok(tlp));
        }
        assert_eq!("tlp:amber+strict".parse::<Tlp>(), Ok(Tlp::AmberStrict));
        assert_eq!("TLP:WHITE".parse::<Tlp>(), Ok(Tlp::Clear));
        assert!("AMBER STRICT".parse::<Tlp>().is_err());
    }

    #[test]
    fn a_marking_with_an_unknown_field_does_not_parse() {
        let typo = r#"{"tlp": "AMBER", "shared_with": ["acme"]}"#;
        let error = serde_json::from_str::<Marking>(typo).err();
        assert!(error.is_some_and(|e| e.to_string().contains("shared_with")));
        let spelt = r#"{"tlp": "AMBER", "shared_with_orgs": ["acme"]}"#;
        let marking = serde_json::from_str::<Marking>(spelt).ok();
        assert_eq!(marking, Some(shared(Tlp::Amber, "acme")));
    }

    #[test]
    fn labels_serialise_as_tlp_2_0_writes_them() {
        let json = serde_json::to_string(&Tlp::AmberStrict).unwrap_or_default();
        assert_eq!(json, "\"AMBER+STRICT\"");
    }

    #[test]
    fn internal_roles_see_all_but_unnamed_red() {
        for tlp in [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict] {
            assert!(analyst().may_read(&Marking::new(tlp)), "{tlp}");
        }
        assert!(!analyst().may_read(&Marking::new(Tlp::Red)));
        let admin = Principal::new("root", Role::Admin, None);
        assert!(
            !admin.may_read(&Marking::new(Tlp::Red)),
            "admins are not exempt from RED"
        );
    }

    #[test]
    fn red_is_seen_only_by_named_readers() {
        let mut marking = Marking::new(Tlp::Red);
        marking.named_readers.push("ana".to_owned());
        assert!(analyst().may_read(&marking));
        assert!(!partner("acme").may_read(&marking));
    }

    #[test]
    fn partner_sees_amber_only_when_shared_with_its_organisation() {
        assert!(partner("acme").may_read(&Marking::new(Tlp::Clear)));
        assert!(partner("acme").may_read(&Marking::new(Tlp::Green)));
        for tlp in [Tlp::Amber, Tlp::AmberStrict] {
            assert!(partner("acme").may_read(&shared(tlp, "acme")));
            assert!(!partner("acme").may_read(&shared(tlp, "globex")));
            assert!(!partner("acme").may_read(&Marking::new(tlp)));
        }
        assert!(!partner("acme").may_read(&shared(Tlp::Red, "acme")));
    }

    #[test]
    fn a_label_decides_only_where_no_audience_could_change_the_answer() {
        let readers = [
            analyst(),
            partner("acme"),
            Principal::new("x", Role::Partner, None),
        ];
        let audiences = [
            (Vec::new(), Vec::new()),
            (vec!["acme".to_owned()], Vec::new()),
            (
                Vec::new(),
                vec!["ana".to_owned(), "pat".to_owned(), "x".to_owned()],
            ),
        ];
        for reader in &readers {
            for tlp in Tlp::ALL {
                let Some(decided) = reader.decides_by_label(tlp) else {
                    continue;
                };
                for (orgs, names) in &audiences {
                    let marking = Marking {
                        tlp,
                        shared_with_orgs: orgs.clone(),
                        named_readers: names.clone(),
                    };
                    assert_eq!(decided, reader.may_read(&marking), "{} {tlp}", reader.user);
                }
            }
        }
        assert_eq!(analyst().decides_by_label(Tlp::Red), None);
        assert_eq!(partner("acme").decides_by_label(Tlp::Amber), None);
    }

    #[test]
    fn partner_without_organisation_sees_no_amber() {
        let orphan = Principal::new("x", Role::Partner, None);
        assert!(!orphan.may_read(&shared(Tlp::Amber, "acme")));
    }
}
