//! Datasets as CKAN packages: `package_show`'s dict (resources, organization, groups, tags, extras), `package_list`,
//! and the vocabularies packages draw on (`tag_list`, `license_list`).
use catalog::store::{DatasetQuery, DatasetRecord};
use serde_json::{Map, Value, json};

use super::Labels;
use super::envelope::CkanError;
use super::organizations::organization;
use super::params::window;
use crate::http::AppState;

/// One published dataset as a CKAN package.
pub(super) async fn package(
    state: &AppState,
    record: &DatasetRecord,
    labels: &mut Labels,
) -> Result<Value, CkanError> {
    let c = &record.content;
    let licence_title = match &c.licence {
        Some(l) => Some(labels.title(state, "licences", l).await),
        None => None,
    };
    let mut groups = Vec::new();
    for t in &c.themes {
        let title = labels.title(state, "themes", t).await;
        groups.push(json!({ "id": t, "name": t, "title": title, "display_name": title }));
    }
    let tags: Vec<Value> = c
        .keywords
        .vi
        .iter()
        .chain(&c.keywords.en)
        .map(|k| json!({ "name": k, "display_name": k, "state": "active" }))
        .collect();
    let resources: Vec<Value> = c
        .distributions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let url = if d.file_sha256.is_some() {
                format!("{}/distribution/{}/download", record.uri, d.id)
            } else {
                d.download_url.clone().or_else(|| d.access_url.clone()).unwrap_or_default()
            };
            json!({
                "id": format!("{}.{}", record.id, d.id),
                "package_id": record.id,
                "name": d.title.vi.clone().or_else(|| d.title.en.clone()).unwrap_or_else(|| d.id.clone()),
                "description": d.description.vi.clone().unwrap_or_default(),
                "url": url,
                "format": d.format.clone().unwrap_or_default(),
                "mimetype": d.media_type,
                "hash": d.file_sha256.as_ref().map(|h| format!("sha256:{h}")).unwrap_or_default(),
                "size": d.byte_size,
                "position": i,
                "state": "active",
                "url_type": if d.file_sha256.is_some() { "upload" } else { "" },
                "datastore_active": d.is_csv_file(),
            })
        })
        .collect();
    let mut extras = vec![("uri", Some(record.uri.clone()))];
    extras.push(("title_en", c.title.en.clone()));
    extras.push(("notes_en", c.description.en.clone()));
    extras.push(("publisher_code", Some(c.publisher.clone())));
    extras.push((
        "spatial_codes",
        Some(c.spatial.join(",")).filter(|s| !s.is_empty()),
    ));
    extras.push((
        "temporal_start",
        c.temporal
            .as_ref()
            .and_then(|t| t.start)
            .map(|d| d.to_string()),
    ));
    extras.push((
        "temporal_end",
        c.temporal
            .as_ref()
            .and_then(|t| t.end)
            .map(|d| d.to_string()),
    ));
    extras.push(("frequency", c.frequency.clone()));
    extras.push(("access_rights", c.access_right.clone()));
    extras.push(("data_class", c.data_class.clone()));
    extras.push((
        "language",
        Some(c.languages.join(",")).filter(|s| !s.is_empty()),
    ));
    extras.push(("issued", c.issued.map(|d| d.to_string())));
    extras.push(("modified", c.modified.map(|d| d.to_string())));
    extras.push((
        "contact_name",
        c.contact_point.as_ref().map(|p| p.name.clone()),
    ));
    extras.push((
        "contact_email",
        c.contact_point.as_ref().and_then(|p| p.email.clone()),
    ));
    extras.push((
        "conforms_to",
        Some(c.conforms_to.join(",")).filter(|s| !s.is_empty()),
    ));
    extras.push(("revision", Some(record.revision.to_string())));
    let extras: Vec<Value> = extras
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| json!({ "key": k, "value": v })))
        .collect();
    Ok(json!({
        "id": record.id,
        "name": record.id,
        "title": c.title.vi,
        "notes": c.description.vi,
        "url": c.landing_page.clone().unwrap_or_default(),
        "type": "dataset",
        "state": "active",
        "private": false,
        "metadata_created": record.first_published_at.as_deref().unwrap_or(&record.created_at),
        "metadata_modified": record.published_at.as_deref().unwrap_or(&record.updated_at),
        "license_id": c.licence,
        "license_title": licence_title,
        "owner_org": c.publisher,
        "organization": organization(state, &c.publisher, labels).await,
        "groups": groups,
        "tags": tags,
        "num_tags": tags.len(),
        "resources": resources,
        "num_resources": c.distributions.len(),
        "extras": extras,
        "maintainer": c.contact_point.as_ref().map(|p| p.name.clone()),
        "maintainer_email": c.contact_point.as_ref().and_then(|p| p.email.clone()),
    }))
}

/// Every published dataset, read page by page.
pub(super) async fn all_published(state: &AppState) -> Result<Vec<DatasetRecord>, CkanError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = state
            .catalog
            .list(&DatasetQuery {
                public: true,
                cursor: cursor.clone(),
                limit: 1000,
                ..Default::default()
            })
            .await?;
        out.extend(page.items);
        match page.next {
            Some(n) => cursor = Some(n),
            None => return Ok(out),
        }
    }
}

pub(super) async fn package_list(
    state: &AppState,
    p: &Map<String, Value>,
) -> Result<Value, CkanError> {
    let ids: Vec<String> = all_published(state)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    Ok(json!(window(&ids, p)?))
}

pub(super) async fn tag_list(state: &AppState) -> Result<Value, CkanError> {
    let mut tags = std::collections::BTreeSet::new();
    for r in all_published(state).await? {
        tags.extend(
            r.content
                .keywords
                .vi
                .into_iter()
                .chain(r.content.keywords.en),
        );
    }
    Ok(json!(tags))
}

pub(super) async fn license_list(state: &AppState) -> Result<Value, CkanError> {
    let items = state.registry.all_items("licences").await?;
    Ok(json!(
        items
            .into_iter()
            .map(|i| json!({
                "id": i.code,
                "title": i.labels.vi.clone().or(i.labels.en.clone()),
                "url": i.attributes.get("url").cloned().unwrap_or(Value::Null),
                "status": i.status,
                "od_conformance": "approved",
            }))
            .collect::<Vec<_>>()
    ))
}
