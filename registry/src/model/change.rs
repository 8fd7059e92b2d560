//! Changes to a list (and their wire form), reviewed change requests and frozen releases.
use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{CodeListMeta, ItemData, ItemStatus, LangText, LegalBasis, Notation};
use crate::error::InputProblem;

/// One change proposed to a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Change {
    /// Register a new item.
    Add {
        /// The new item.
        item: ItemData,
    },
    /// Change some fields of an existing item.
    Modify {
        /// The item's code.
        code: String,
        /// The fields to set.
        set: ItemPatch,
    },
    /// Close an item and name its successors.
    Supersede {
        /// The item's code.
        code: String,
        /// Successor codes (existing or added in the same request).
        successors: Vec<String>,
        /// First day the code is no longer valid.
        #[serde(rename = "validTo")]
        valid_to: NaiveDate,
        /// The legal act.
        #[serde(
            default,
            rename = "legalBasis",
            skip_serializing_if = "Option::is_none"
        )]
        legal_basis: Option<LegalBasis>,
    },
    /// Close an item without successor.
    Retire {
        /// The item's code.
        code: String,
        /// First day the code is no longer valid.
        #[serde(rename = "validTo")]
        valid_to: NaiveDate,
        /// The legal act.
        #[serde(
            default,
            rename = "legalBasis",
            skip_serializing_if = "Option::is_none"
        )]
        legal_basis: Option<LegalBasis>,
    },
    /// Set the full desired state of an item, adding it if new (what a CSV row means).
    Put {
        /// The desired state.
        item: ItemData,
        /// The CSV line it came from, for error messages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<u64>,
    },
}

impl Change {
    /// The code the change is about.
    pub fn code(&self) -> &str {
        match self {
            Self::Add { item } | Self::Put { item, .. } => &item.code,
            Self::Modify { code, .. }
            | Self::Supersede { code, .. }
            | Self::Retire { code, .. } => code,
        }
    }
}

/// Fields to set on an item; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemPatch {
    /// New parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// New level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// New labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<LangText>,
    /// New definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<LangText>,
    /// New status (`valid` accepts a submitted item, `invalid` marks an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ItemStatus>,
    /// New start of validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// New end of validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// New legal basis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<LegalBasis>,
    /// New notations (replaces all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notations: Option<Vec<Notation>>,
    /// New exact matches (replaces all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_match: Option<Vec<String>>,
    /// New close matches (replaces all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_match: Option<Vec<String>>,
    /// Attributes to set (merged into the existing ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, serde_json::Value>>,
}

impl ItemPatch {
    /// Applies the patch to a copy of `item`.
    pub fn apply(&self, item: &ItemData) -> ItemData {
        let mut out = item.clone();
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = &self.$f { out.$f = v.clone().into(); } )* };
        }
        set!(
            labels,
            definition,
            status,
            notations,
            exact_match,
            close_match
        );
        if let Some(p) = &self.parent {
            out.parent = Some(p.clone());
        }
        if let Some(l) = &self.level {
            out.level = Some(l.clone());
        }
        if let Some(d) = self.valid_from {
            out.valid_from = Some(d);
        }
        if let Some(d) = self.valid_to {
            out.valid_to = Some(d);
        }
        if let Some(b) = &self.legal_basis {
            out.legal_basis = Some(b.clone());
        }
        if let Some(attrs) = &self.attributes {
            out.attributes
                .extend(attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        out
    }
}

/// The state of a change request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    /// Waiting for review.
    Proposed,
    /// Approved and applied.
    Approved,
    /// Rejected with a reason.
    Rejected,
}

impl RequestStatus {
    /// As text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

impl FromStr for RequestStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "proposed" => Self::Proposed,
            "approved" => Self::Approved,
            "rejected" => Self::Rejected,
            _ => return Err(format!("{s:?} is not a change-request status")),
        })
    }
}

/// A reviewed change to a list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangeRequest {
    /// Number.
    pub id: i64,
    /// The list.
    pub list: String,
    /// State.
    pub status: RequestStatus,
    /// The changes, applied together or not at all.
    pub changes: Vec<Change>,
    /// Why.
    pub reason: String,
    /// Who proposed it.
    pub proposed_by: String,
    /// When.
    pub proposed_at: String,
    /// Who decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// When.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// Why it was rejected (or a note on approval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
}

/// A frozen release of a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// The list.
    pub list: String,
    /// 1, 2, 3... per list.
    pub number: i64,
    /// Release notes.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub notes: LangText,
    /// When it was issued.
    pub created_at: String,
    /// Who issued it.
    pub created_by: String,
    /// Number of items.
    pub item_count: i64,
    /// sha256 of the manifest (list metadata and every item's content hash).
    pub manifest_sha256: String,
    /// The change-log head when it was issued.
    pub chain_head: String,
    /// The list metadata at release time.
    pub meta: CodeListMeta,
}

/// The wire form of a [`Change`]: one flat object with an `op`, so that a wrongly typed field is reported with its full
/// path (an internally tagged enum would hide it), then checked into a [`Change`] naming any missing field.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeInput {
    /// `add`, `modify`, `supersede`, `retire` or `put`.
    pub op: ChangeOp,
    /// The item (add, put).
    #[serde(default)]
    pub item: Option<ItemData>,
    /// The code (modify, supersede, retire).
    #[serde(default)]
    pub code: Option<String>,
    /// Fields to set (modify).
    #[serde(default)]
    pub set: Option<ItemPatch>,
    /// Successors (supersede).
    #[serde(default)]
    pub successors: Option<Vec<String>>,
    /// End of validity (supersede, retire).
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    /// Legal basis (supersede, retire).
    #[serde(default)]
    pub legal_basis: Option<LegalBasis>,
}

/// The operations of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ChangeOp {
    /// See [`Change::Add`].
    Add,
    /// See [`Change::Modify`].
    Modify,
    /// See [`Change::Supersede`].
    Supersede,
    /// See [`Change::Retire`].
    Retire,
    /// See [`Change::Put`].
    Put,
}

impl ChangeInput {
    /// Checks that the fields the operation needs are there (and no others), naming them under `path`.
    pub fn into_change(self, path: &str) -> Result<Change, Vec<InputProblem>> {
        let mut problems = Vec::new();
        let missing = |problems: &mut Vec<InputProblem>, f: &str| {
            problems.push(InputProblem::field(
                format!("{path}/{f}"),
                format!("required for op {:?}", self.op),
            ));
        };
        let allowed: &[&str] = match self.op {
            ChangeOp::Add | ChangeOp::Put => &["item"],
            ChangeOp::Modify => &["code", "set"],
            ChangeOp::Supersede => &["code", "successors", "validTo", "legalBasis"],
            ChangeOp::Retire => &["code", "validTo", "legalBasis"],
        };
        let present = [
            ("item", self.item.is_some()),
            ("code", self.code.is_some()),
            ("set", self.set.is_some()),
            ("successors", self.successors.is_some()),
            ("validTo", self.valid_to.is_some()),
            ("legalBasis", self.legal_basis.is_some()),
        ];
        for (name, is_there) in present {
            if is_there && !allowed.contains(&name) {
                problems.push(InputProblem::field(
                    format!("{path}/{name}"),
                    format!("not used by op {:?}", self.op),
                ));
            }
        }
        let change = match self.op {
            ChangeOp::Add | ChangeOp::Put => match self.item {
                Some(item) if self.op == ChangeOp::Add => Some(Change::Add { item }),
                Some(item) => Some(Change::Put { item, line: None }),
                None => {
                    missing(&mut problems, "item");
                    None
                }
            },
            ChangeOp::Modify => match (self.code.clone(), self.set.clone()) {
                (Some(code), Some(set)) => Some(Change::Modify { code, set }),
                (code, set) => {
                    if code.is_none() {
                        missing(&mut problems, "code");
                    }
                    if set.is_none() {
                        missing(&mut problems, "set");
                    }
                    None
                }
            },
            ChangeOp::Supersede => {
                match (self.code.clone(), self.successors.clone(), self.valid_to) {
                    (Some(code), Some(successors), Some(valid_to)) => Some(Change::Supersede {
                        code,
                        successors,
                        valid_to,
                        legal_basis: self.legal_basis.clone(),
                    }),
                    (code, successors, valid_to) => {
                        for (f, absent) in [
                            ("code", code.is_none()),
                            ("successors", successors.is_none()),
                            ("validTo", valid_to.is_none()),
                        ] {
                            if absent {
                                missing(&mut problems, f);
                            }
                        }
                        None
                    }
                }
            }
            ChangeOp::Retire => match (self.code.clone(), self.valid_to) {
                (Some(code), Some(valid_to)) => Some(Change::Retire {
                    code,
                    valid_to,
                    legal_basis: self.legal_basis.clone(),
                }),
                (code, valid_to) => {
                    if code.is_none() {
                        missing(&mut problems, "code");
                    }
                    if valid_to.is_none() {
                        missing(&mut problems, "validTo");
                    }
                    None
                }
            },
        };
        match change {
            Some(c) if problems.is_empty() => Ok(c),
            _ => Err(problems),
        }
    }
}
