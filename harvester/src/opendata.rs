//! Another opendata server as a target ([`OpendataTarget`]): harvested records become datasets of its catalog,
//! written through its own JSON API (`/api/v1/datasets`: create, merge-patch, submit, publish, withdraw) with a token
//! allowed to write for every agency.
//!
//! Codes are never invented. At the start of a run the target's registry is read (themes, licences, file types,
//! frequencies, access rights, agencies: every valid item with its code, its `skos:exactMatch` and `skos:closeMatch`
//! IRIs), and each source value is looked up there: an EU vocabulary IRI through the mappings, a code or an SPDX
//! licence id by itself, a registry IRI (`.../registry/{list}/{code}`) by its code. The publisher becomes an agency
//! through the operator's agency map (source publisher IRI, name or organization → agency code), else when it is
//! itself a registry agency IRI. A record whose publisher or every theme cannot be mapped is refused (a failure
//! naming the value); an optional value that cannot be mapped is left out with a warning in the report.
//!
//! Each dataset carries its provenance (`provenance`: the source harvested, the record's original URI, when it was
//! written), which the catalog shows on the page and publishes as `dct:source` and `adms:identifier`.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

use crate::HarvestError;
use crate::client::Http;
use crate::package::{Organization, Package};
use crate::target::{ActionError, Target};

/// The registry lists the mapping reads.
const LISTS: &[&str] = &[
    "themes",
    "licences",
    "file-types",
    "frequencies",
    "access-rights",
    "agencies",
];

/// The content fields of a dataset a harvest writes: a merge patch names them all (null for absent) so an update
/// replaces the whole description.
const CONTENT_FIELDS: &[&str] = &[
    "title",
    "description",
    "publisher",
    "contactPoint",
    "themes",
    "keywords",
    "spatial",
    "temporal",
    "frequency",
    "languages",
    "licence",
    "accessRight",
    "dataClass",
    "landingPage",
    "conformsTo",
    "issued",
    "modified",
    "referenceDate",
    "distributions",
    "provenance",
];

/// One registry list as lookups: code (case-insensitive), mapped IRIs.
#[derive(Debug, Default)]
struct CodeIndex {
    by_key: HashMap<String, String>,
}

impl CodeIndex {
    fn find(&self, list: &str, value: &str) -> Option<String> {
        let v = value.trim();
        if let Some(code) = self.by_key.get(&v.to_lowercase()) {
            return Some(code.clone());
        }
        if let Some((_, code)) = v.split_once(&format!("/registry/{list}/")) {
            return self
                .by_key
                .get(&code.trim_end_matches('/').to_lowercase())
                .cloned();
        }
        if !v.contains("://") {
            return self
                .by_key
                .get(&format!("http://spdx.org/licenses/{v}").to_lowercase())
                .cloned();
        }
        None
    }
}

/// Where source publishers go: publisher IRI, name or organization name → agency code.
pub type AgencyMap = HashMap<String, String>;

/// An opendata server's catalog.
pub struct OpendataTarget {
    http: Arc<Http>,
    base: String,
    token: String,
    source: String,
    codes: HashMap<&'static str, CodeIndex>,
    agencies: AgencyMap,
    warnings: Mutex<Vec<String>>,
}

impl OpendataTarget {
    /// The server at `base`, written with `token`, its registry read now; `source` is recorded as each dataset's
    /// provenance.
    pub async fn open(
        http: Arc<Http>,
        base: &str,
        token: &str,
        source: &str,
        agencies: AgencyMap,
    ) -> Result<Self, HarvestError> {
        let base = base.trim_end_matches('/').to_owned();
        let mut codes = HashMap::new();
        for list in LISTS {
            codes.insert(*list, read_list(&http, &base, list).await?);
        }
        Ok(Self {
            http,
            base,
            token: token.to_owned(),
            source: source.to_owned(),
            codes,
            agencies,
            warnings: Mutex::new(Vec::new()),
        })
    }

    /// The warnings of the mapping so far (emptied).
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().expect("warnings lock"))
    }

    fn code(&self, list: &str, value: &str) -> Option<String> {
        self.codes.get(list).and_then(|c| c.find(list, value))
    }

    fn warn(&self, record: &str, text: String) {
        self.warnings
            .lock()
            .expect("warnings lock")
            .push(format!("{record}: {text}"));
    }

    /// The dataset content for a package, or why it cannot be one.
    pub fn content(&self, package: &Package) -> Result<Value, String> {
        let body = &package.body;
        let name = package.name().to_owned();
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        let extras: HashMap<String, String> = body
            .get("extras")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                Some((
                    e["key"].as_str()?.to_owned(),
                    e["value"].as_str()?.to_owned(),
                ))
            })
            .collect();
        let list_extra = |k: &str| -> Vec<String> {
            extras
                .get(k)
                .map(|v| serde_json::from_str::<Vec<String>>(v).unwrap_or_else(|_| vec![v.clone()]))
                .unwrap_or_default()
        };
        let publisher = self.publisher(package, &extras)?;
        let mut themes = Vec::new();
        let theme_values = list_extra("theme");
        for t in &theme_values {
            match self.code("themes", t) {
                Some(c) if !themes.contains(&c) => themes.push(c),
                Some(_) => {}
                None => self.warn(
                    &name,
                    format!("theme {t:?} is not mapped to a registry theme"),
                ),
            }
        }
        if themes.is_empty() {
            return Err(if theme_values.is_empty() {
                "no theme: the catalog needs at least one registry theme".into()
            } else {
                format!("none of the themes {theme_values:?} maps to a registry theme")
            });
        }
        let title = text("title").unwrap_or_else(|| name.clone());
        let description = match text("notes") {
            Some(d) => d,
            None => {
                self.warn(&name, "no description: the title stands in for it".into());
                title.clone()
            }
        };
        let mut content = Map::new();
        let lang_text = |vi: String, en: Option<&String>| {
            let mut t = json!({ "vi": vi });
            if let Some(en) = en.filter(|e| **e != vi) {
                t["en"] = json!(en);
            }
            t
        };
        content.insert("title".into(), lang_text(title, extras.get("title_en")));
        content.insert(
            "description".into(),
            lang_text(description, extras.get("notes_en")),
        );
        content.insert("publisher".into(), json!(publisher));
        content.insert("themes".into(), json!(themes));
        let tags: Vec<String> = body
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect();
        if !tags.is_empty() {
            content.insert("keywords".into(), json!({ "vi": tags }));
        }
        if let Some(m) = text("maintainer") {
            let mut cp = json!({ "name": m });
            if let Some(e) = text("maintainer_email") {
                cp["email"] = json!(e);
            }
            content.insert("contactPoint".into(), cp);
        }
        let mut optional = |field: &str, list: &str, value: Option<String>| {
            if let Some(v) = value {
                match self.code(list, &v) {
                    Some(c) => {
                        content.insert(field.into(), json!(c));
                    }
                    None => self.warn(
                        &name,
                        format!("{field} {v:?} is not in the registry's {list}"),
                    ),
                }
            }
        };
        optional("licence", "licences", text("license_id"));
        optional("frequency", "frequencies", extras.get("frequency").cloned());
        optional(
            "accessRight",
            "access-rights",
            extras.get("access_rights").cloned(),
        );
        if let Some(url) = text("url").filter(|u| is_http_iri(u)) {
            content.insert("landingPage".into(), json!(url));
        }
        let conforms: Vec<String> = list_extra("conforms_to")
            .into_iter()
            .filter(|u| is_http_iri(u))
            .collect();
        if !conforms.is_empty() {
            content.insert("conformsTo".into(), json!(conforms));
        }
        for (field, key) in [("issued", "issued"), ("modified", "modified")] {
            if let Some(d) = extras.get(key).and_then(|v| date_of(v)) {
                content.insert(field.into(), json!(d));
            }
        }
        if let (Some(i), Some(m)) = (content.get("issued"), content.get("modified"))
            && m.as_str() < i.as_str()
        {
            content.remove("modified");
        }
        let start = extras.get("temporal_start").and_then(|v| date_of(v));
        let end = extras.get("temporal_end").and_then(|v| date_of(v));
        if start.is_some() || end.is_some() {
            let mut period = Map::new();
            if let Some(s) = &start {
                period.insert("start".into(), json!(s));
            }
            if let Some(e) = end.filter(|e| start.as_ref().is_none_or(|s| e >= s)) {
                period.insert("end".into(), json!(e));
            }
            content.insert("temporal".into(), Value::Object(period));
        }
        let mut distributions = Vec::new();
        for (i, r) in body
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let rtext = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
            let download = rtext("download_url").filter(|u| is_http_iri(u));
            let access = rtext("access_url")
                .or_else(|| rtext("url"))
                .filter(|u| is_http_iri(u))
                .filter(|u| Some(u) != download.as_ref());
            if download.is_none() && access.is_none() {
                self.warn(&name, format!("resource {i} has no http(s) URL: left out"));
                continue;
            }
            let mut d = json!({ "id": format!("r{}", i + 1) });
            if let Some(t) = rtext("name") {
                d["title"] = json!({ "vi": t });
            }
            if let Some(u) = download {
                d["downloadUrl"] = json!(u);
            }
            if let Some(u) = access {
                d["accessUrl"] = json!(u);
            }
            if let Some(f) = rtext("format") {
                match self.code("file-types", &f) {
                    Some(c) => d["format"] = json!(c),
                    None => self.warn(
                        &name,
                        format!("format {f:?} is not in the registry's file-types"),
                    ),
                }
            }
            if let Some(m) = rtext("mimetype") {
                d["mediaType"] = json!(m);
            }
            distributions.push(d);
        }
        if !distributions.is_empty() {
            content.insert("distributions".into(), json!(distributions));
        }
        content.insert(
            "provenance".into(),
            json!({
                "source": self.source,
                "identifier": extras.get("uri").or(extras.get("identifier")).cloned().unwrap_or(name),
                "harvestedAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
        );
        Ok(Value::Object(content))
    }

    /// The agency of a package: through the map (publisher IRI, name, organization), else a registry agency IRI.
    fn publisher(
        &self,
        package: &Package,
        extras: &HashMap<String, String>,
    ) -> Result<String, String> {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(extras.get("publisher_uri").cloned());
        keys.extend(extras.get("publisher_name").cloned());
        if let Some(Organization { name, title }) = &package.organization {
            keys.push(name.clone());
            keys.push(title.clone());
        }
        for k in &keys {
            if let Some(code) = self.agencies.get(k) {
                return self.code("agencies", code).ok_or_else(|| {
                    format!(
                        "the agency map sends {k:?} to {code:?}, which the registry does not hold"
                    )
                });
            }
            if k.contains("/registry/agencies/")
                && let Some(code) = self.code("agencies", k)
            {
                return Ok(code);
            }
        }
        Err(if keys.is_empty() {
            "no publisher: the agency map cannot place it".into()
        } else {
            format!("publisher {keys:?} is not in the agency map")
        })
    }

    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<Value, ActionError> {
        let url = format!("{}{path}", self.base);
        let answer = self
            .http
            .send(
                || {
                    let mut r = self
                        .http
                        .client()
                        .request(method.clone(), &url)
                        .bearer_auth(&self.token);
                    if let Some(b) = body {
                        let content_type = if method == reqwest::Method::PATCH {
                            "application/merge-patch+json"
                        } else {
                            "application/json"
                        };
                        r = r.header("content-type", content_type).body(b.to_string());
                    }
                    r
                },
                idempotent,
            )
            .await
            .map_err(|e| match e {
                HarvestError::Transient(r) => ActionError::Transient(r),
                other => ActionError::Rejected(other.to_string()),
            })?;
        let value: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        match answer.status.as_u16() {
            200..=299 => Ok(value),
            404 | 410 => Err(ActionError::NotFound),
            409 => {
                let mut errors = Map::new();
                errors.insert("name".into(), json!([value.to_string()]));
                Err(ActionError::Invalid(errors))
            }
            status => Err(ActionError::Rejected(format!("{path}: {status} {value}"))),
        }
    }

    async fn publish(&self, id: &str) -> Result<(), ActionError> {
        for step in ["submit", "publish"] {
            self.request(
                reqwest::Method::POST,
                &format!("/api/v1/datasets/{id}/{step}"),
                Some(&json!({})),
                false,
            )
            .await?;
        }
        Ok(())
    }
}

/// Is `u` an http(s) IRI the catalog takes?
fn is_http_iri(u: &str) -> bool {
    (u.starts_with("http://") || u.starts_with("https://")) && oxrdf::NamedNode::new(u).is_ok()
}

/// The day of an `xsd:date` or `xsd:dateTime` text.
fn date_of(v: &str) -> Option<String> {
    let day = v.get(..10)?;
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(|d| d.to_string())
}

/// Every valid item of `list` on the server, as lookups.
async fn read_list(http: &Http, base: &str, list: &str) -> Result<CodeIndex, HarvestError> {
    let mut index = CodeIndex::default();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/registry/lists/{list}/items?limit=1000&status=valid");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let answer = http.send(|| http.client().get(&url), true).await?;
        if !answer.status.is_success() {
            return Err(HarvestError::Config(format!("{url}: {}", answer.status)));
        }
        let page: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| HarvestError::Config(format!("{url}: {e}")))?;
        for item in page["items"].as_array().into_iter().flatten() {
            let Some(code) = item["code"].as_str() else {
                continue;
            };
            index.by_key.insert(code.to_lowercase(), code.to_owned());
            for key in ["exactMatch", "closeMatch"] {
                for iri in item[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    // An exact match wins over a close one already there.
                    if key == "exactMatch" || !index.by_key.contains_key(&iri.to_lowercase()) {
                        index.by_key.insert(iri.to_lowercase(), code.to_owned());
                    }
                }
            }
            for n in item["notations"].as_array().into_iter().flatten() {
                if let Some(v) = n["value"].as_str().or(n.as_str()) {
                    index
                        .by_key
                        .entry(v.to_lowercase())
                        .or_insert_with(|| code.to_owned());
                }
            }
        }
        match page["next"].as_str() {
            Some(next) if Some(next) != cursor.as_deref() => cursor = Some(next.to_owned()),
            _ => return Ok(index),
        }
    }
}

/// A dataset id from a CKAN name: `_` is not allowed in catalog ids.
fn dataset_id(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| if c == '_' { '-' } else { c })
        .collect();
    if id.len() < 3 { format!("{id}-ds") } else { id }
}

impl Target for OpendataTarget {
    async fn show(&self, name: &str) -> Result<Option<Value>, ActionError> {
        let id = dataset_id(name);
        match self
            .request(
                reqwest::Method::GET,
                &format!("/api/v1/datasets/{id}"),
                None,
                true,
            )
            .await
        {
            Ok(record) => {
                let withdrawn = record["status"] == "withdrawn";
                Ok(Some(json!({
                    "id": id,
                    "state": if withdrawn { "deleted" } else { "active" },
                })))
            }
            Err(ActionError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn create(&self, package: &Package) -> Result<String, ActionError> {
        let mut content = self.content(package).map_err(ActionError::Rejected)?;
        let id = dataset_id(package.name());
        content["id"] = json!(id);
        self.request(
            reqwest::Method::POST,
            "/api/v1/datasets",
            Some(&content),
            false,
        )
        .await?;
        self.publish(&id).await?;
        Ok(id)
    }

    async fn update(
        &self,
        id: &str,
        package: &Package,
        _reactivate: bool,
    ) -> Result<(), ActionError> {
        let mut content = self.content(package).map_err(ActionError::Rejected)?;
        let patch = content.as_object_mut().expect("content is an object");
        for field in CONTENT_FIELDS {
            patch.entry(field.to_string()).or_insert(Value::Null);
        }
        self.request(
            reqwest::Method::PATCH,
            &format!("/api/v1/datasets/{id}"),
            Some(&content),
            true,
        )
        .await?;
        self.publish(id).await
    }

    async fn delete(&self, id: &str) -> Result<(), ActionError> {
        match self
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/datasets/{id}/withdraw"),
                Some(
                    &json!({ "reason": format!("gone from the harvested source {}", self.source) }),
                ),
                true,
            )
            .await
        {
            Ok(_) | Err(ActionError::NotFound) => Ok(()),
            // Already withdrawn.
            Err(ActionError::Invalid(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn ensure_organization(&self, _organization: &Organization) -> Result<bool, ActionError> {
        // Agencies live in the target's registry: they are mapped, never created.
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found_by_code_mapping_and_registry_iri() {
        let mut index = CodeIndex::default();
        index.by_key.insert("cc-by-4.0".into(), "CC-BY-4.0".into());
        index.by_key.insert(
            "http://publications.europa.eu/resource/authority/licence/cc_by_4_0".into(),
            "CC-BY-4.0".into(),
        );
        index.by_key.insert(
            "http://spdx.org/licenses/cc-by-4.0".into(),
            "CC-BY-4.0".into(),
        );
        for v in [
            "CC-BY-4.0",
            "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
            "https://d.gov.vn/registry/licences/CC-BY-4.0",
        ] {
            assert_eq!(
                index.find("licences", v).as_deref(),
                Some("CC-BY-4.0"),
                "{v}"
            );
        }
        assert_eq!(
            index.find("licences", "http://example.org/my-licence"),
            None
        );
        assert_eq!(
            date_of("2024-02-14T13:45:00Z").as_deref(),
            Some("2024-02-14")
        );
        assert_eq!(date_of("2024-13-45"), None);
        assert_eq!(dataset_id("ho_so"), "ho-so");
    }
}
