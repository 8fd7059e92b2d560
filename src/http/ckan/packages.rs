//! Datasets as CKAN packages: `package_list` and the vocabularies packages draw on (`tag_list`, `license_list`). The
//! package dict itself is [`super::dicts::Package`], rendered by [`super::rendered`].
use catalog::store::{DatasetQuery, DatasetRecord};
use serde_json::{Map, Value, json};

use super::envelope::CkanError;
use super::params::window;
use crate::http::AppState;

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
