//! Agencies as CKAN organizations and data themes as CKAN groups (CKAN's two kinds of group), both from the registry.
use std::collections::BTreeMap;

use catalog::store::DatasetRecord;
use serde_json::{Map, Value, json};

use super::Labels;
use super::envelope::CkanError;
use super::packages::all_published;
use super::params::window;
use super::{dicts, rendered};
use crate::http::AppState;
use ckan::{bool_param, required};

/// An agency's organization name: its code in lowercase.
pub(super) fn org_name(code: &str) -> String {
    code.to_lowercase()
}

/// An agency as a CKAN organization dict, with the keys `organization_list` (with `all_fields`) and
/// `organization_show` add to the package's organization (`display_name`, `image_display_url`, `num_followers`).
pub(super) async fn organization(state: &AppState, code: &str, labels: &mut Labels) -> Value {
    let item = labels.get(state, "agencies", code).await;
    let title = item
        .as_ref()
        .and_then(|i| i.labels.vi.as_deref())
        .unwrap_or(code);
    let description = item
        .as_ref()
        .and_then(|i| i.labels.en.as_deref())
        .unwrap_or_default();
    let mut org = serde_json::to_value(dicts::organization(code, (title, description)))
        .expect("an organization serializes");
    org["display_name"] = json!(title);
    org["image_display_url"] = json!("");
    org["num_followers"] = json!(0);
    org
}

pub(super) async fn organization_list(
    state: &AppState,
    p: &Map<String, Value>,
) -> Result<Value, CkanError> {
    let all_fields = bool_param(p, "all_fields")?;
    let records = all_published(state).await?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in &records {
        *counts.entry(r.content.publisher.clone()).or_default() += 1;
    }
    let mut labels = Labels::default();
    let mut out = Vec::new();
    for item in state.registry.all_items("agencies").await? {
        if !all_fields {
            out.push(json!(org_name(&item.code)));
            continue;
        }
        let mut org = organization(state, &item.code, &mut labels).await;
        org["package_count"] = json!(counts.get(&item.code).copied().unwrap_or(0));
        out.push(org);
    }
    Ok(json!(window(&out, p)?))
}

pub(super) async fn organization_show(
    state: &AppState,
    p: &Map<String, Value>,
) -> Result<Value, CkanError> {
    let id = required(p, "id")?;
    let code = state
        .registry
        .resolve_code("agencies", &id.to_uppercase())
        .await?
        .ok_or_else(|| CkanError::not_found(format!("Organization not found: {id}")))?;
    let mut labels = Labels::default();
    let mut org = organization(state, &code, &mut labels).await;
    let records: Vec<DatasetRecord> = all_published(state)
        .await?
        .into_iter()
        .filter(|r| r.content.publisher == code)
        .collect();
    org["package_count"] = json!(records.len());
    // CKAN 2.10's `group_dictize`: the members of the organization besides its packages. We keep none of these.
    org["extras"] = json!([]);
    org["tags"] = json!([]);
    org["groups"] = json!([]);
    org["users"] = json!([]);
    if bool_param(p, "include_datasets")? {
        let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
        let mut packages = Vec::with_capacity(ids.len());
        for json in rendered::packages(state, &ids).await? {
            packages.push(serde_json::from_str::<Value>(&json).map_err(CkanError::internal)?);
        }
        org["packages"] = json!(packages);
    }
    Ok(org)
}

pub(super) async fn group_list(
    state: &AppState,
    p: &Map<String, Value>,
) -> Result<Value, CkanError> {
    let all_fields = bool_param(p, "all_fields")?;
    let records = all_published(state).await?;
    let mut out = Vec::new();
    for item in state.registry.all_items("themes").await? {
        if !all_fields {
            out.push(json!(item.code));
            continue;
        }
        let count = records
            .iter()
            .filter(|r| r.content.themes.contains(&item.code))
            .count();
        out.push(json!({
            "approval_status": "approved", "created": null,
            "description": item.labels.en.unwrap_or_default(),
            "display_name": item.labels.vi, "id": item.code, "image_display_url": "", "image_url": "",
            "is_organization": false, "name": item.code, "num_followers": 0, "package_count": count,
            "state": "active", "title": item.labels.vi, "type": "group",
        }));
    }
    Ok(json!(window(&out, p)?))
}
