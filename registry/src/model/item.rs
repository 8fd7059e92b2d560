//! An item's versioned content, its registration status and its status at a date.
use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::LangText;

/// The registration status of an item (ISO 19135).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    /// Proposed, not yet accepted.
    Submitted,
    /// In force.
    Valid,
    /// Closed and replaced by one or more successors.
    Superseded,
    /// Closed without a successor.
    Retired,
    /// Registered in error.
    Invalid,
}

impl ItemStatus {
    /// The status as text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Valid => "valid",
            Self::Superseded => "superseded",
            Self::Retired => "retired",
            Self::Invalid => "invalid",
        }
    }

    /// A closed code can never become valid again, and its code is never reused.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Superseded | Self::Retired | Self::Invalid)
    }
}

impl FromStr for ItemStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "submitted" => Self::Submitted,
            "valid" => Self::Valid,
            "superseded" => Self::Superseded,
            "retired" => Self::Retired,
            "invalid" => Self::Invalid,
            _ => {
                return Err(format!(
                    "{s:?} is not a status (submitted, valid, superseded, retired, invalid)"
                ));
            }
        })
    }
}

/// The legal act behind an item's current state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    /// The decision's number, e.g. `19/2025/QĐ-TTg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// The date it was signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Who issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

impl LegalBasis {
    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        self.decision.is_none() && self.date.is_none() && self.issuer.is_none()
    }
}

/// An alternative notation of an item (e.g. an agency's QCVN 102 code beside its Decision 20/2020 code).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Notation {
    /// The notation type, declared by the list.
    #[serde(rename = "type")]
    pub kind: String,
    /// The notation.
    pub value: String,
}

/// The versioned content of an item. Its canonical JSON (this field order, no whitespace) is what is hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemData {
    /// The code, unique in the list for ever.
    pub code: String,
    /// Parent code in the same list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Hierarchy level (one of the list's levels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Labels; Vietnamese is required.
    pub labels: LangText,
    /// Definition.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub definition: LangText,
    /// Registration status.
    #[serde(default = "default_status")]
    pub status: ItemStatus,
    /// First day of legal validity (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// First day the code is no longer legally valid (exclusive end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// The legal act behind the current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<LegalBasis>,
    /// Successor codes (for a superseded item; several for a split).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub successors: Vec<String>,
    /// Alternative notations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notations: Vec<Notation>,
    /// IRIs of equivalent concepts elsewhere (`skos:exactMatch`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exact_match: Vec<String>,
    /// IRIs of close concepts elsewhere (`skos:closeMatch`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub close_match: Vec<String>,
    /// Typed extra attributes, as declared by the list.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

fn default_status() -> ItemStatus {
    ItemStatus::Valid
}

/// What an item's status is on a given date, taking legal validity into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum StatusAt {
    /// Valid on that date.
    Valid,
    /// Closed with successors on or before that date.
    Superseded,
    /// Closed without successors on or before that date.
    Retired,
    /// Its validity starts after that date.
    NotYetValid,
    /// Proposed only.
    Submitted,
    /// Registered in error.
    Invalid,
}

impl ItemData {
    /// The canonical JSON of the content.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("item data serializes")
    }

    /// The sha256 of the canonical JSON, hex.
    pub fn sha256(&self) -> String {
        crate::changelog::sha256_hex(self.canonical_json().as_bytes())
    }

    /// Status at a date: before `validFrom` it is not yet valid; from `validTo` on, it is closed.
    pub fn status_at(&self, date: NaiveDate) -> StatusAt {
        match self.status {
            ItemStatus::Submitted => return StatusAt::Submitted,
            ItemStatus::Invalid => return StatusAt::Invalid,
            _ => {}
        }
        if self.valid_from.is_some_and(|from| date < from) {
            return StatusAt::NotYetValid;
        }
        let closed_by_then = match self.valid_to {
            Some(to) => date >= to,
            // A closed item without a known end date is closed at any date we are asked about.
            None => self.status.is_closed(),
        };
        match (closed_by_then, self.status) {
            (false, _) => StatusAt::Valid,
            (true, ItemStatus::Superseded) => StatusAt::Superseded,
            (true, _) => StatusAt::Retired,
        }
    }

    /// All notations by which the item can be looked up: its code and alternative notations.
    pub fn all_notations(&self) -> impl Iterator<Item = (&str, &str)> {
        std::iter::once(("code", self.code.as_str())).chain(
            self.notations
                .iter()
                .map(|n| (n.kind.as_str(), n.value.as_str())),
        )
    }
}
