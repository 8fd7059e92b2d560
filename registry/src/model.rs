//! The registry's domain types: code lists, items, statuses, legal validity, notations, change requests and releases.
//!
//! Items follow ISO 19135 ideas: a code is registered once and never reused; its status moves from `submitted` to `valid`
//! and then to `superseded` (with successors) or `retired`, or is `invalid` (registered in error). Legal validity
//! (`validFrom`/`validTo`, a half-open interval of dates) is kept apart from registry time (when the registry recorded it).
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::InputProblem;

/// A text in Vietnamese and English.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LangText {
    /// Vietnamese.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vi: Option<String>,
    /// English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl LangText {
    /// True when neither language is given.
    pub fn is_empty(&self) -> bool {
        self.vi.is_none() && self.en.is_none()
    }

    /// Builds from optional strings, treating empty strings as absent.
    pub fn new(vi: Option<&str>, en: Option<&str>) -> Self {
        let keep = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Self {
            vi: keep(vi),
            en: keep(en),
        }
    }
}

/// A code-list id: lowercase ASCII letters, digits and hyphens, 2 to 64 characters, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CodeListId(String);

impl CodeListId {
    /// Parses a code-list id.
    pub fn parse(s: &str) -> Result<Self, InputProblem> {
        let ok = (2..=64).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InputProblem::field(
                "id",
                format!(
                    "{s:?} is not a code-list id (2-64 of a-z, 0-9, '-', starting with a letter)"
                ),
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CodeListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CodeListId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(|p| serde::de::Error::custom(p.message))
    }
}

/// The type of a typed extra attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    /// Any text.
    String,
    /// A whole number.
    Integer,
    /// A decimal number.
    Number,
    /// true or false.
    Boolean,
    /// An ISO 8601 date (YYYY-MM-DD).
    Date,
    /// An absolute IRI.
    Uri,
}

/// The declaration of a typed extra attribute of a list's items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeDef {
    /// The value type.
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// What the attribute means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl AttributeDef {
    /// Parses a textual value (from CSV) into a JSON value of this type.
    pub fn parse_text(&self, text: &str) -> Result<serde_json::Value, String> {
        use serde_json::Value;
        Ok(match self.kind {
            AttributeType::String => Value::String(text.to_owned()),
            AttributeType::Integer => Value::from(
                text.parse::<i64>()
                    .map_err(|_| format!("{text:?} is not an integer"))?,
            ),
            AttributeType::Number => {
                let n: f64 = text
                    .parse()
                    .map_err(|_| format!("{text:?} is not a number"))?;
                serde_json::Number::from_f64(n)
                    .map(Value::Number)
                    .ok_or_else(|| format!("{text:?} is not a finite number"))?
            }
            AttributeType::Boolean => match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(format!("{text:?} is not true or false")),
            },
            AttributeType::Date => {
                parse_date(text)?;
                Value::String(text.to_owned())
            }
            AttributeType::Uri => {
                oxrdf::NamedNode::new(text).map_err(|e| format!("{text:?} is not an IRI: {e}"))?;
                Value::String(text.to_owned())
            }
        })
    }

    /// Checks a JSON value against this type.
    pub fn check(&self, value: &serde_json::Value) -> Result<(), String> {
        use serde_json::Value;
        match (self.kind, value) {
            (AttributeType::String, Value::String(_))
            | (AttributeType::Boolean, Value::Bool(_))
            | (AttributeType::Number, Value::Number(_)) => Ok(()),
            (AttributeType::Integer, Value::Number(n)) if n.is_i64() => Ok(()),
            (AttributeType::Date | AttributeType::Uri, Value::String(s)) => {
                self.parse_text(s).map(|_| ())
            }
            (kind, _) => Err(format!("expected a value of type {kind:?}").to_lowercase()),
        }
    }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)"))
}

/// A code list's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeListMeta {
    /// Stable id, part of every URI of the list.
    pub id: CodeListId,
    /// Title.
    pub title: LangText,
    /// Description.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub description: LangText,
    /// The agency that owns the list (a code of the `agencies` list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_agency: Option<String>,
    /// A regular expression every code must match (anchored by the registry).
    pub code_pattern: String,
    /// Hierarchy level names, top first; empty for a flat list.
    #[serde(default)]
    pub levels: Vec<String>,
    /// The licence of the list's content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// Types of alternative notations items may carry (e.g. `qcvn102`).
    #[serde(default)]
    pub notation_types: Vec<String>,
    /// Typed extra attributes items may carry.
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeDef>,
}

impl CodeListMeta {
    /// Checks the metadata, returning every problem.
    pub fn check(&self) -> Vec<InputProblem> {
        let mut problems = Vec::new();
        if self.title.vi.is_none() {
            problems.push(InputProblem::field(
                "title/vi",
                "a Vietnamese title is required",
            ));
        }
        if let Err(e) = regex::Regex::new(&format!("^(?:{})$", self.code_pattern)) {
            problems.push(InputProblem::field(
                "codePattern",
                format!("not a valid regular expression: {e}"),
            ));
        }
        for (i, t) in self.notation_types.iter().enumerate() {
            if t.is_empty()
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                problems.push(InputProblem::field(
                    format!("notationTypes/{i}"),
                    "use letters, digits, '-' or '_'",
                ));
            }
        }
        for name in self.attributes.keys() {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                problems.push(InputProblem::field(
                    format!("attributes/{name}"),
                    "use letters, digits or '_'",
                ));
            }
        }
        problems
    }

    /// The code pattern, anchored.
    pub fn code_regex(&self) -> regex::Regex {
        // Checked on creation; an invalid stored pattern matches nothing rather than panicking.
        regex::Regex::new(&format!("^(?:{})$", self.code_pattern))
            .unwrap_or_else(|_| regex::Regex::new("[^\\s\\S]").expect("static regex"))
    }
}

/// The registration status of an item (ISO 19135).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// One change proposed to a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
