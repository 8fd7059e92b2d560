//! A code list's metadata: its id, texts in two languages, code pattern, levels and typed attributes.
use std::collections::BTreeMap;
use std::fmt;

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeListMeta {
    /// Stable id, part of every URI of the list.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[a-z][a-z0-9-]{1,63}$"))]
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
