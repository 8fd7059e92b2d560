//! `datastore_search`: the rows of a CSV resource, over the tabular data API.
use serde_json::{Map, Value, json};

use super::envelope::CkanError;
use crate::http::AppState;
use ckan::{int_param, required, string_param};

/// `datastore_search` over the tabular data API: `resource_id` is `{dataset}.{distribution}` as in `package_show`.
pub(super) async fn datastore_search(
    state: &AppState,
    p: &Map<String, Value>,
) -> Result<Value, CkanError> {
    let resource_id = required(p, "resource_id")?;
    let (dataset, distribution) = resource_id
        .split_once('.')
        .ok_or_else(|| CkanError::not_found(format!("Resource not found: {resource_id}")))?;
    let limit = int_param(p, "limit", 100, 32_000)?;
    let offset = int_param(p, "offset", 0, usize::MAX)?;
    let table = crate::http::data::table_of(
        state,
        dataset,
        distribution,
        None,
        crate::http::Caller(None),
    )
    .await
    .map_err(|_| CkanError::not_found(format!("Resource not found: {resource_id}")))?;
    state
        .usage
        .record(dataset, catalog::usage::UsageKind::ApiCall);
    let mut query = catalog::tabular::DataQuery {
        with_total: true,
        ..Default::default()
    };
    match p.get("filters") {
        None | Some(Value::Null) => {}
        Some(f) => {
            let map = match f {
                Value::Object(m) => m.clone(),
                Value::String(s) => serde_json::from_str::<Map<String, Value>>(s)
                    .map_err(|_| CkanError::validation("filters", "a JSON object"))?,
                _ => return Err(CkanError::validation("filters", "a JSON object")),
            };
            for (k, v) in map {
                let value = match v {
                    Value::String(s) => s,
                    Value::Array(values) => {
                        let list = values
                            .iter()
                            .map(|v| {
                                v.as_str()
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .collect();
                        query.filters.push(catalog::tabular::Filter::In(k, list));
                        continue;
                    }
                    other => other.to_string(),
                };
                query.filters.push(catalog::tabular::Filter::Eq(k, value));
            }
        }
    }
    query.q = string_param(p, "q")?;
    if let Some(fields) = string_param(p, "fields")? {
        query.fields = fields
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
    }
    if let Some(sort) = string_param(p, "sort")? {
        let mut parts = sort.split_whitespace();
        let column = parts
            .next()
            .unwrap_or_default()
            .trim_matches('"')
            .to_owned();
        query.sort = Some(match parts.next() {
            Some(d) if d.eq_ignore_ascii_case("desc") => format!("-{column}"),
            _ => column,
        });
    }
    query.distinct = ckan::bool_param(p, "distinct")?;
    query.offset = Some(offset as i64);
    let page = state
        .catalog
        .query_rows(&table, &query, limit.max(1) as i64)
        .await
        .map_err(|e| match e {
            catalog::CatalogError::Invalid(problems) => {
                let field = problems
                    .first()
                    .and_then(|p| p.field.clone())
                    .unwrap_or_else(|| "filters".into());
                CkanError::validation(
                    &field,
                    problems
                        .first()
                        .map(|p| p.message.clone())
                        .unwrap_or_default(),
                )
            }
            other => CkanError::internal(other),
        })?;
    let records: Vec<Value> = if limit == 0 {
        Vec::new()
    } else {
        page.rows.into_iter().map(Value::Object).collect()
    };
    let fields: Vec<Value> = table
        .columns
        .iter()
        .map(|c| {
            let kind = match c.kind {
                catalog::tabular::ColumnType::Integer => "int",
                catalog::tabular::ColumnType::Number => "numeric",
                catalog::tabular::ColumnType::Boolean => "bool",
                catalog::tabular::ColumnType::Date => "date",
                catalog::tabular::ColumnType::Text => "text",
            };
            json!({ "id": c.name, "type": kind })
        })
        .collect();
    Ok(json!({
        "resource_id": resource_id,
        "fields": fields,
        "records": records,
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "_links": {
            "start": format!("/api/3/action/datastore_search?resource_id={resource_id}"),
            "next": format!("/api/3/action/datastore_search?resource_id={resource_id}&offset={}", offset + limit),
        },
    }))
}
