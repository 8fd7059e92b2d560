//! The package as the target should hold it, in the spirit of ckanext-dcat: the CKAN core fields (name, title, notes,
//! url, licence, tags, resources with url, format, hash and size, owner organization) and `extras` for everything
//! else. Its canonical JSON (no empty values, keys sorted, tags and extras sorted) is what the state store hashes, and
//! what a package read back from the target is compared with before a lost create is adopted.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// The package fields the harvester writes; a package read back is compared on these only.
pub const CORE_KEYS: &[&str] = &[
    "name",
    "title",
    "notes",
    "url",
    "license_id",
    "version",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "owner_org",
    "private",
    "tags",
    "extras",
    "resources",
];

/// The resource fields the harvester writes.
pub const RESOURCE_KEYS: &[&str] = &[
    "name",
    "description",
    "url",
    "format",
    "mimetype",
    "hash",
    "size",
    "uri",
    "access_url",
    "download_url",
    "license",
];

/// The organization that owns a package on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// CKAN name: the publisher's agency code, lowercase.
    pub name: String,
    /// Display title.
    pub title: String,
}

/// A package as a source describes it, before it becomes the CKAN dict.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The CKAN name (unique on the target, `[a-z0-9_-]{2,100}`).
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub notes: Option<String>,
    /// Landing page.
    pub url: Option<String>,
    /// Licence id.
    pub license_id: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Contact name.
    pub maintainer: Option<String>,
    /// Contact e-mail.
    pub maintainer_email: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Author e-mail.
    pub author_email: Option<String>,
    /// Keywords (sanitized to CKAN's tag grammar on the way out).
    pub tags: Vec<String>,
    /// Everything else.
    pub extras: BTreeMap<String, String>,
    /// Resources: each a map of [`RESOURCE_KEYS`].
    pub resources: Vec<Map<String, Value>>,
    /// Owner.
    pub organization: Option<Organization>,
}

/// A package ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// What `package_create` and `package_update` receive (without `id`).
    pub body: Map<String, Value>,
    /// The owner organization, created on the target when missing.
    pub organization: Option<Organization>,
}

impl Draft {
    /// The CKAN dict. Lists are always present (an update replaces the whole package, so an empty list must be said).
    pub fn into_package(self) -> Package {
        let mut body = Map::new();
        body.insert("name".into(), json!(self.name));
        for (key, value) in [
            ("title", self.title),
            ("notes", self.notes),
            ("url", self.url),
            ("license_id", self.license_id),
            ("version", self.version),
            ("maintainer", self.maintainer),
            ("maintainer_email", self.maintainer_email),
            ("author", self.author),
            ("author_email", self.author_email),
        ] {
            if let Some(v) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
                body.insert(key.into(), json!(v));
            }
        }
        if let Some(org) = &self.organization {
            body.insert("owner_org".into(), json!(org.name));
        }
        body.insert("private".into(), json!(false));
        let tags: BTreeSet<String> = self.tags.iter().filter_map(|t| tag_name(t)).collect();
        body.insert(
            "tags".into(),
            Value::Array(tags.into_iter().map(|t| json!({ "name": t })).collect()),
        );
        body.insert(
            "extras".into(),
            Value::Array(
                self.extras
                    .into_iter()
                    .filter(|(k, v)| !CORE_KEYS.contains(&k.as_str()) && !v.trim().is_empty())
                    .map(|(k, v)| json!({ "key": k, "value": v }))
                    .collect(),
            ),
        );
        body.insert(
            "resources".into(),
            Value::Array(
                self.resources
                    .into_iter()
                    .map(|r| {
                        Value::Object(
                            r.into_iter()
                                .filter(|(k, _)| RESOURCE_KEYS.contains(&k.as_str()))
                                .collect(),
                        )
                    })
                    .collect(),
            ),
        );
        Package {
            body,
            organization: self.organization,
        }
    }
}

impl Package {
    /// The CKAN name.
    pub fn name(&self) -> &str {
        self.body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The canonical form: what the hash covers and what comparisons use.
    pub fn canonical(&self) -> Value {
        normalize(&Value::Object(self.body.clone()))
    }

    /// sha256 of the canonical JSON, hex.
    pub fn sha256(&self) -> String {
        let text = serde_json::to_string(&self.canonical()).expect("JSON values serialize");
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

/// A package read from a CKAN portal, reduced to what the harvester writes, in canonical form: comparable with
/// [`Package::canonical`]. The owner is the organization's name (CKAN answers its id in `owner_org`).
pub fn project(package: &Value) -> Value {
    let mut out = Map::new();
    for key in CORE_KEYS {
        let Some(value) = package.get(*key) else {
            continue;
        };
        let value = match *key {
            "owner_org" => package
                .get("organization")
                .and_then(|o| o.get("name"))
                .cloned()
                .unwrap_or_else(|| value.clone()),
            "tags" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.get("name").cloned())
                    .map(|n| json!({ "name": n }))
                    .collect(),
            ),
            "extras" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| json!({ "key": e.get("key"), "value": e.get("value") }))
                    .collect(),
            ),
            "resources" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        Value::Object(
                            RESOURCE_KEYS
                                .iter()
                                .filter_map(|k| Some(((*k).to_owned(), r.get(*k)?.clone())))
                                .collect(),
                        )
                    })
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert((*key).to_owned(), value);
    }
    normalize(&Value::Object(out))
}

/// Drops nulls, empty strings, empty lists and objects; sorts object keys; sorts `tags` by name and `extras` by key;
/// reads a numeric string `size` as a number (CKAN stores what it is given).
pub fn normalize(value: &Value) -> Value {
    fn empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        }
    }
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            let mut out = Map::new();
            for (k, v) in sorted {
                let mut v = normalize(v);
                if k == "size"
                    && let Some(n) = v.as_str().and_then(|s| s.trim().parse::<u64>().ok())
                {
                    v = json!(n);
                }
                if (k == "tags" || k == "extras")
                    && let Value::Array(items) = &mut v
                {
                    let field = if k == "tags" { "name" } else { "key" };
                    items.sort_by(|a, b| {
                        let a = a.get(field).and_then(Value::as_str).unwrap_or_default();
                        let b = b.get(field).and_then(Value::as_str).unwrap_or_default();
                        a.cmp(b)
                    });
                }
                if !empty(&v) {
                    out.insert(k.clone(), v);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(normalize).filter(|v| !empty(v)).collect())
        }
        Value::String(s) => Value::String(s.clone()),
        other => other.clone(),
    }
}

/// Is `name` a valid CKAN package or organization name?
pub fn is_valid_name(name: &str) -> bool {
    (2..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A CKAN name made from any text: Vietnamese diacritics folded (`đ` to `d`), lowercase, other characters to `-`.
pub fn slugify(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if unicode_normalization::char::is_combining_mark(c) => continue,
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut slug = out.trim_end_matches('-').to_owned();
    slug.truncate(100);
    let slug = slug.trim_end_matches('-').to_owned();
    is_valid_name(&slug).then_some(slug)
}

/// A keyword as a CKAN tag (letters, digits, spaces, `-`, `_`, `.`; 2 to 100 characters), or nothing.
pub fn tag_name(keyword: &str) -> Option<String> {
    let cleaned: String = keyword
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') {
                c
            } else {
                ' '
            }
        })
        .collect();
    let tag = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let length = tag.chars().count();
    (2..=100).contains(&length).then_some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            name: "ho-so".into(),
            title: Some("Hồ sơ".into()),
            tags: vec!["y tế".into(), "a".into(), "bệnh/viện".into(), "y tế".into()],
            extras: BTreeMap::from([
                ("uri".into(), "https://x/dataset/ho-so".into()),
                ("title".into(), "dropped".into()),
            ]),
            resources: vec![Map::from_iter([
                ("url".to_owned(), json!("https://x/f.csv")),
                ("size".to_owned(), json!(12)),
                ("position".to_owned(), json!(0)),
            ])],
            organization: Some(Organization {
                name: "g12".into(),
                title: "Bộ Y tế".into(),
            }),
            ..Draft::default()
        }
    }

    #[test]
    fn drafts_become_ckan_dicts() {
        let p = draft().into_package();
        assert_eq!(p.body["owner_org"], "g12");
        assert_eq!(
            p.body["tags"],
            json!([{"name": "bệnh viện"}, {"name": "y tế"}])
        );
        assert_eq!(
            p.body["extras"],
            json!([{"key": "uri", "value": "https://x/dataset/ho-so"}])
        );
        assert_eq!(
            p.body["resources"],
            json!([{"url": "https://x/f.csv", "size": 12}])
        );
    }

    #[test]
    fn a_package_read_back_compares_equal_to_what_was_written() {
        let p = draft().into_package();
        let stored = json!({
            "id": "7d1c", "name": "ho-so", "title": "Hồ sơ", "notes": "", "url": null, "state": "active",
            "owner_org": "0b5e-uuid", "organization": {"id": "0b5e-uuid", "name": "g12"}, "private": false,
            "tags": [{"id": "t2", "name": "y tế", "display_name": "y tế"}, {"id": "t1", "name": "bệnh viện"}],
            "extras": [{"key": "uri", "value": "https://x/dataset/ho-so"}],
            "resources": [{"id": "r1", "package_id": "7d1c", "url": "https://x/f.csv", "size": "12", "position": 0}],
            "metadata_modified": "2025-01-01T00:00:00",
        });
        assert_eq!(project(&stored), p.canonical());
        let mut changed = stored.clone();
        changed["title"] = json!("Hồ sơ 2");
        assert_ne!(project(&changed), p.canonical());
        assert_eq!(p.sha256().len(), 64);
    }

    #[test]
    fn names_and_slugs() {
        assert!(is_valid_name("danh-sach_2025"));
        assert!(!is_valid_name("Danh"));
        assert!(!is_valid_name("a"));
        assert_eq!(
            slugify("Đường bộ: Hà Nội 2025").as_deref(),
            Some("duong-bo-ha-noi-2025")
        );
        assert_eq!(slugify("!"), None);
        assert_eq!(tag_name(" x "), None);
    }
}
