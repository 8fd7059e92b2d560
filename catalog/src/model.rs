//! The catalog's domain types (DCAT-AP 3.0.1): datasets with their distributions, workflow states and revisions.
//!
//! [`DatasetContent`] is what a publisher edits; every save stores it as an immutable revision (canonical JSON and its
//! sha256). Codes (publisher, themes, spatial, frequency, licence, access right, data class, formats) are registry codes,
//! checked against the registry at the dataset's reference date.
use chrono::NaiveDate;
use registry::InputProblem;
use registry::model::LangText;
use serde::{Deserialize, Serialize};

/// A dataset id: lowercase ASCII letters, digits and hyphens, 3 to 100 characters, starting with a letter or digit.
pub fn check_dataset_id(id: &str) -> Result<(), InputProblem> {
    let ok = (3..=100).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(InputProblem::field(
            "id",
            "3-100 of a-z, 0-9 and '-', starting with a letter or digit",
        ))
    }
}

/// Keywords per language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Keywords {
    /// Vietnamese keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vi: Vec<String>,
    /// English keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub en: Vec<String>,
}

impl Keywords {
    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.vi.is_empty() && self.en.is_empty()
    }
}

/// Who to contact about a dataset (`dcat:contactPoint`, a vCard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactPoint {
    /// Name of the person or office.
    pub name: String,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A period of time (`dct:temporal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    /// Last day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
}

/// One way of getting the data (`dcat:Distribution`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Distribution {
    /// Stable id within the dataset.
    pub id: String,
    /// Title.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub title: LangText,
    /// Description.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub description: LangText,
    /// Where the data can be accessed (a page or an API), for external distributions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_url: Option<String>,
    /// A direct download URL, for external files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// The sha256 of an uploaded file (set by the server on upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    /// Size in bytes (set by the server on upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte_size: Option<u64>,
    /// File type: a code of the `file-types` list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// IANA media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Licence: a code of the `licences` list (defaults to the dataset's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// For a CSV file: the type of some columns in the data API (`integer`, `number`, `boolean`, `date`, `text`),
    /// instead of the inferred one; every value must fit.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub column_types: crate::tabular::ColumnTypes,
}

impl Distribution {
    /// A distribution with only an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: LangText::default(),
            description: LangText::default(),
            access_url: None,
            download_url: None,
            file_sha256: None,
            byte_size: None,
            format: None,
            media_type: None,
            licence: None,
            column_types: Default::default(),
        }
    }

    /// Is this distribution a CSV table, ingested for the tabular data API? The one rule every part of the product
    /// asks: its format is `CSV` or its media type is `text/csv`.
    pub fn is_csv(&self) -> bool {
        self.format
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case("CSV"))
            || self.media_type.as_deref().is_some_and(|m| {
                m.split(';')
                    .next()
                    .unwrap_or(m)
                    .trim()
                    .eq_ignore_ascii_case("text/csv")
            })
    }

    /// Is this a CSV table with an uploaded file, so the data API can serve it?
    pub fn is_csv_file(&self) -> bool {
        self.file_sha256.is_some() && self.is_csv()
    }
}

/// A distribution id from a file name or URL tail: its stem in lowercase letters, digits, `-` and `_`, unique among
/// `taken`.
pub fn distribution_id(file_name: &str, taken: &[Distribution]) -> String {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let mut base: String = registry::text::fold(stem)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    base = base.trim_matches('-').to_owned();
    if base.is_empty() {
        base = "file".into();
    }
    let mut candidate = base.clone();
    let mut n = 1;
    while taken.iter().any(|d| d.id == candidate) {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    candidate
}

/// Checks a distribution id given by a caller: letters, digits, `-` or `_`.
pub fn check_distribution_id(id: &str) -> Result<(), InputProblem> {
    if !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(())
    } else {
        Err(InputProblem::field(
            "did",
            "use letters, digits, '-' or '_'",
        ))
    }
}

/// Where a harvested dataset comes from (issue 20): written by the harvester with every save, shown on the dataset's
/// page and published in DCAT as `dct:source` (the original dataset, when its identifier is an IRI) and
/// `adms:identifier`. A dataset with a provenance is the harvester's: the curation pages show it read-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provenance {
    /// The catalogue harvested (its URL).
    pub source: String,
    /// The dataset's identifier at the source: its URI, else its identifier there.
    pub identifier: String,
    /// When the harvester wrote this revision (RFC 3339).
    pub harvested_at: chrono::DateTime<chrono::Utc>,
}

/// The editable description of a dataset: the content of one revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatasetContent {
    /// Title (Vietnamese required).
    pub title: LangText,
    /// Description (Vietnamese required).
    pub description: LangText,
    /// Publisher: an agency code (any notation; stored as the item's code).
    pub publisher: String,
    /// Contact point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_point: Option<ContactPoint>,
    /// Themes: codes of the `themes` list, at least one.
    #[serde(default)]
    pub themes: Vec<String>,
    /// Keywords.
    #[serde(default, skip_serializing_if = "Keywords::is_empty")]
    pub keywords: Keywords,
    /// Spatial coverage: codes of the `administrative-units` list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spatial: Vec<String>,
    /// Temporal coverage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporal: Option<Period>,
    /// Update frequency: a code of the `frequencies` list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<String>,
    /// Languages of the data (`vi`, `en`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// Licence: a code of the `licences` list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// Access right: a code of the `access-rights` list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_right: Option<String>,
    /// Data class: a code of the `data-classes` list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_class: Option<String>,
    /// Landing page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_page: Option<String>,
    /// Standards the data conforms to (IRIs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conforms_to: Vec<String>,
    /// Date of formal issuance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<NaiveDate>,
    /// Date of the latest change of the data as its source records it (a dataset loaded today from a 2025 source
    /// was modified in 2025); without it, `dct:modified` is the catalog's latest published revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<NaiveDate>,
    /// The date the codes are checked at (a 2024 dataset may keep a province closed in 2025); default: today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_date: Option<NaiveDate>,
    /// Distributions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distributions: Vec<Distribution>,
    /// Where a harvested dataset comes from; absent for a dataset described here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// The languages a dataset may declare, with their EU language-authority codes.
pub const LANGUAGES: &[(&str, &str)] = &[("vi", "VIE"), ("en", "ENG")];

/// Where a dataset is in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WorkflowStatus {
    /// Being edited by its publisher.
    Draft,
    /// Waiting for the agency's approver.
    Submitted,
    /// Public.
    Published,
    /// Sent back by the approver with a reason.
    Returned,
    /// No longer public; its URI answers 410 with the metadata.
    Withdrawn,
}

impl WorkflowStatus {
    /// As text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Published => "published",
            Self::Returned => "returned",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Self::Draft,
            "submitted" => Self::Submitted,
            "published" => Self::Published,
            "returned" => Self::Returned,
            "withdrawn" => Self::Withdrawn,
            _ => return None,
        })
    }
}

impl DatasetContent {
    /// The canonical JSON (this field order, no whitespace).
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("content serializes")
    }

    /// Checks what does not need the registry, naming each failing field.
    pub fn check_shape(&self) -> Vec<InputProblem> {
        let mut problems = Vec::new();
        if self.title.vi.as_deref().is_none_or(|t| t.trim().is_empty()) {
            problems.push(InputProblem::field(
                "title/vi",
                "a Vietnamese title is required",
            ));
        }
        if self
            .description
            .vi
            .as_deref()
            .is_none_or(|t| t.trim().is_empty())
        {
            problems.push(InputProblem::field(
                "description/vi",
                "a Vietnamese description is required",
            ));
        }
        if self.themes.is_empty() {
            problems.push(InputProblem::field(
                "themes",
                "at least one theme is required",
            ));
        }
        for (i, lang) in self.languages.iter().enumerate() {
            if !LANGUAGES.iter().any(|(l, _)| l == lang) {
                problems.push(InputProblem::field(
                    format!("languages/{i}"),
                    format!("{lang:?} is not one of vi, en"),
                ));
            }
        }
        let iri = |problems: &mut Vec<InputProblem>, field: String, value: &str| {
            if oxrdf::NamedNode::new(value).is_err()
                || !(value.starts_with("http://") || value.starts_with("https://"))
            {
                problems.push(InputProblem::field(
                    field,
                    format!("{value:?} is not an http(s) IRI"),
                ));
            }
        };
        if let Some(page) = &self.landing_page {
            iri(&mut problems, "landingPage".into(), page);
        }
        if let Some(p) = &self.provenance {
            iri(&mut problems, "provenance/source".into(), &p.source);
            if p.identifier.trim().is_empty() {
                problems.push(InputProblem::field(
                    "provenance/identifier",
                    "the identifier at the source is required",
                ));
            }
        }
        for (i, c) in self.conforms_to.iter().enumerate() {
            iri(&mut problems, format!("conformsTo/{i}"), c);
        }
        if let Some(Period {
            start: Some(s),
            end: Some(e),
        }) = &self.temporal
            && e < s
        {
            problems.push(InputProblem::field(
                "temporal/end",
                "the end is before the start",
            ));
        }
        if let (Some(issued), Some(modified)) = (self.issued, self.modified)
            && modified < issued
        {
            problems.push(InputProblem::field(
                "modified",
                "the data cannot be modified before it was issued",
            ));
        }
        let mut ids = std::collections::HashSet::new();
        for (i, d) in self.distributions.iter().enumerate() {
            if d.id.is_empty()
                || !d
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                problems.push(InputProblem::field(
                    format!("distributions/{i}/id"),
                    "use letters, digits, '-' or '_'",
                ));
            }
            if !ids.insert(d.id.as_str()) {
                problems.push(InputProblem::field(
                    format!("distributions/{i}/id"),
                    "duplicate distribution id",
                ));
            }
            if d.access_url.is_none() && d.download_url.is_none() && d.file_sha256.is_none() {
                problems.push(InputProblem::field(
                    format!("distributions/{i}/accessUrl"),
                    "a distribution needs an accessUrl, a downloadUrl or an uploaded file",
                ));
            }
            for (name, value) in [
                ("accessUrl", &d.access_url),
                ("downloadUrl", &d.download_url),
            ] {
                if let Some(v) = value {
                    iri(&mut problems, format!("distributions/{i}/{name}"), v);
                }
            }
        }
        problems
    }

    /// Every registry reference: `(field path, list, code)`.
    pub fn references(&self) -> Vec<(String, &'static str, String)> {
        let mut out = vec![("publisher".to_owned(), "agencies", self.publisher.clone())];
        for (i, t) in self.themes.iter().enumerate() {
            out.push((format!("themes/{i}"), "themes", t.clone()));
        }
        for (i, s) in self.spatial.iter().enumerate() {
            out.push((format!("spatial/{i}"), "administrative-units", s.clone()));
        }
        let single = [
            ("frequency", "frequencies", &self.frequency),
            ("licence", "licences", &self.licence),
            ("accessRight", "access-rights", &self.access_right),
            ("dataClass", "data-classes", &self.data_class),
        ];
        for (field, list, value) in single {
            if let Some(v) = value {
                out.push((field.to_owned(), list, v.clone()));
            }
        }
        for (i, d) in self.distributions.iter().enumerate() {
            if let Some(f) = &d.format {
                out.push((format!("distributions/{i}/format"), "file-types", f.clone()));
            }
            if let Some(l) = &d.licence {
                out.push((format!("distributions/{i}/licence"), "licences", l.clone()));
            }
        }
        out
    }
}
