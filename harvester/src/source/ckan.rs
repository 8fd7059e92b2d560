//! A CKAN portal as a source: `package_list`, then `package_show` of each; and the mapping of a CKAN package dict (also
//! what an opendata server's own CKAN API answers) to the package the target receives.
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Batch, Listed, Source, SourceKind};
use crate::HarvestError;
use crate::client::Http;
use crate::package::{Draft, Organization, Package, RESOURCE_KEYS, is_valid_name, slugify};
use crate::target::{ActionError, CkanTarget};

/// A CKAN portal read in full on every run.
pub struct CkanSource {
    api: CkanTarget,
}

impl CkanSource {
    /// The portal at `base`; `token` goes raw in the `Authorization` header, as CKAN wants it.
    pub fn new(http: Arc<Http>, base: &str, token: Option<String>) -> Self {
        Self {
            api: CkanTarget::new(http, base, token),
        }
    }
}

impl Source for CkanSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Ckan
    }

    async fn batch(&self, _cursor: Option<&str>) -> Result<Batch, HarvestError> {
        let names = self.api.call("package_list", &json!({}), true).await?;
        let names = names
            .as_array()
            .ok_or_else(|| HarvestError::Source("package_list did not answer a list".into()))?;
        let mut records: Vec<(String, Listed)> = names
            .iter()
            .filter_map(Value::as_str)
            .map(|n| (n.to_owned(), Listed::Fetch))
            .collect();
        records.sort_by(|a, b| a.0.cmp(&b.0));
        records.dedup_by(|a, b| a.0 == b.0);
        Ok(Batch {
            warnings: Vec::new(),
            records,
            transient_cursor: false,
            complete: true,
            cursor: None,
            more: false,
        })
    }

    async fn fetch(&self, id: &str) -> Result<Option<Package>, HarvestError> {
        show(&self.api, id).await
    }
}

/// `package_show` of `id`, mapped; `None` when the portal says it is not found (or deleted).
pub async fn show(api: &CkanTarget, id: &str) -> Result<Option<Package>, HarvestError> {
    match api.call("package_show", &json!({ "id": id }), true).await {
        Ok(package)
            if package
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or("active")
                != "active" =>
        {
            Ok(None)
        }
        Ok(package) => from_ckan(&package)
            .map(Some)
            .map_err(HarvestError::Rejected),
        Err(ActionError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A CKAN package dict (from any CKAN portal, or an opendata server's CKAN API) as the package to write: core fields
/// copied, the owner organization by name, tags by name, extras kept, group names in an extra, and the resource
/// fields the harvester writes.
pub fn from_ckan(package: &Value) -> Result<Package, String> {
    let name = text(package, "name")
        .filter(|n| is_valid_name(n))
        .or_else(|| text(package, "name").and_then(|n| slugify(&n)))
        .or_else(|| text(package, "title").and_then(|t| slugify(&t)))
        .ok_or_else(|| "the package has no usable name".to_owned())?;
    let organization = match package.get("organization") {
        Some(org @ Value::Object(_)) => text(org, "name").map(|n| Organization {
            name: n.to_lowercase(),
            title: text(org, "title").unwrap_or(n),
        }),
        _ => text(package, "owner_org").map(|code| Organization {
            name: code.to_lowercase(),
            title: code,
        }),
    };
    let tags = package
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| text(t, "name").or_else(|| t.as_str().map(str::to_owned)))
        .collect();
    let mut extras = std::collections::BTreeMap::new();
    for e in package
        .get("extras")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(key), Some(value)) = (text(e, "key"), e.get("value")) else {
            continue;
        };
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        extras.insert(key, value);
    }
    let groups: Vec<String> = package
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| text(g, "name"))
        .collect();
    if !groups.is_empty() {
        // As ckanext-dcat keeps themes: a JSON list in the `theme` extra (`groups` itself is a core field).
        extras
            .entry("theme".into())
            .or_insert(Value::from(groups).to_string());
    }
    let resources = package
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            RESOURCE_KEYS
                .iter()
                .filter_map(|k| {
                    let v = r.get(*k)?;
                    (!v.is_null() && v != "").then(|| ((*k).to_owned(), v.clone()))
                })
                .collect::<Map<String, Value>>()
        })
        .collect();
    Ok(Draft {
        name,
        title: text(package, "title"),
        notes: text(package, "notes"),
        url: text(package, "url"),
        license_id: text(package, "license_id"),
        version: text(package, "version"),
        maintainer: text(package, "maintainer"),
        maintainer_email: text(package, "maintainer_email"),
        author: text(package, "author"),
        author_email: text(package, "author_email"),
        tags,
        extras,
        resources,
        organization,
    }
    .into_package())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opendata_ckan_package_maps() {
        let p = from_ckan(&json!({
            "id": "public-holidays", "name": "public-holidays", "title": "Ngày nghỉ lễ", "notes": "",
            "owner_org": "G09", "organization": {"name": "g09", "title": "Bộ Nội vụ"},
            "license_id": "CC-BY-4.0", "groups": [{"name": "society"}],
            "tags": [{"name": "tết"}], "extras": [{"key": "uri", "value": "https://x/dataset/public-holidays"}],
            "resources": [{"id": "a.csv", "url": "https://x/d.csv", "format": "CSV", "hash": "sha256:ab",
                           "size": 10, "mimetype": null, "datastore_active": true}],
            "metadata_modified": "2025-01-01",
        }))
        .unwrap();
        assert_eq!(
            p.organization,
            Some(Organization {
                name: "g09".into(),
                title: "Bộ Nội vụ".into()
            })
        );
        assert_eq!(p.body["owner_org"], "g09");
        assert_eq!(
            p.body["resources"],
            json!([{"url": "https://x/d.csv", "format": "CSV", "hash": "sha256:ab", "size": 10}])
        );
        assert_eq!(
            p.body["extras"],
            json!([{"key": "theme", "value": "[\"society\"]"}, {"key": "uri", "value": "https://x/dataset/public-holidays"}])
        );
        assert!(p.body.get("notes").is_none());
    }
}
