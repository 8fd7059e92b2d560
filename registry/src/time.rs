//! Registry time: the instants the registry records (RFC 3339 in UTC with microseconds, so they sort as text), and the
//! one parser of an instant a caller asks about (`asOf`).
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::InputProblem;

/// An instant of registry time, normalized to UTC with microseconds (`2025-07-01T00:00:00.000000Z`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(value_type = String, format = DateTime, example = "2025-07-01T00:00:00Z")
)]
#[serde(transparent)]
pub struct RegistryTime(String);

impl RegistryTime {
    /// Parses an RFC 3339 timestamp with any offset (the problem names the `asOf` parameter).
    pub fn parse(text: &str) -> Result<Self, InputProblem> {
        DateTime::parse_from_rfc3339(text.trim())
            .map(|d| Self::from_utc(d.with_timezone(&Utc)))
            .map_err(|_| {
                InputProblem::field(
                    "asOf",
                    format!("{text:?} is not an RFC 3339 timestamp (e.g. 2025-07-01T00:00:00Z)"),
                )
            })
    }

    /// An instant in UTC.
    pub fn from_utc(at: DateTime<Utc>) -> Self {
        Self(at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
    }

    /// Now.
    pub fn now() -> Self {
        Self::from_utc(Utc::now())
    }

    /// The normalized text, comparable with the registry's recorded times.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegistryTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for RegistryTime {
    type Err = InputProblem;
    fn from_str(s: &str) -> Result<Self, InputProblem> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for RegistryTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(|p| serde::de::Error::custom(p.message))
    }
}

#[cfg(test)]
mod tests {
    use super::RegistryTime;

    #[test]
    fn offsets_are_normalized_to_utc_and_bad_text_names_as_of() {
        let t = RegistryTime::parse("2025-07-01T07:00:00+07:00").unwrap();
        assert_eq!(t.as_str(), "2025-07-01T00:00:00.000000Z");
        let p = RegistryTime::parse("yesterday").unwrap_err();
        assert_eq!(p.field.as_deref(), Some("asOf"));
        assert!(p.message.contains("RFC 3339"));
    }
}
