//! Agencies as CKAN organizations and data themes as CKAN groups (CKAN's two kinds of group), both from the registry.
use std::collections::BTreeMap;

use catalog::store::DatasetRecord;
use serde_json::{Map, Value, json};

use super::Labels;
use super::envelope::CkanError;
use super::packages::{all_published, package};
use super::params::window;
use crate::http::AppState;
use ckan::{bool_param, required};

/// An agency's organization name: its code in lowercase.
pub(super) fn org_name(code: &str) -> String {
    code.to_lowercase()
}

/// An agency as a CKAN organization dict.
pub(super) async fn organization(state: &AppState, code: &str, labels: &mut Labels) -> Value {
    let item = labels.get(state, "agencies", code).await;
    json!({
        "id": code,
        "name": org_name(code),
        "title": item.as_ref().and_then(|i| i.labels.vi.clone()).unwrap_or_else(|| code.to_owned()),
        "display_name": item.as_ref().and_then(|i| i.labels.vi.clone()).unwrap_or_else(|| code.to_owned()),
        "description": item.as_ref().and_then(|i| i.labels.en.clone()).unwrap_or_default(),
        "type": "organization",
        "is_organization": true,
        "state": "active",
        "image_url": "",
        "approval_status": "approved",
    })
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
    if bool_param(p, "include_datasets")? {
        let mut packages = Vec::new();
        for r in &records {
            packages.push(package(state, r, &mut labels).await?);
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
            "id": item.code, "name": item.code,
            "title": item.labels.vi, "display_name": item.labels.vi,
            "description": item.labels.en.unwrap_or_default(),
            "type": "group", "is_organization": false, "state": "active", "package_count": count,
        }));
    }
    Ok(json!(window(&out, p)?))
}
