//! The shared-list convention of Vietnamese provincial integration platforms (LGSP), served from the registry so existing
//! clients can switch without changes: `GET /dmdc/Metadata/{list}` describes the columns (`PropertyCode`,
//! `PropertyName`, `PropertyType`), `GET|POST /dmdc/Category/{list}` returns the rows (POST takes a JSON object of
//! `PropertyCode: value` filters). Rows are the items valid today, unless `?validAt=` or `TrangThai` says otherwise.
use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use registry::model::{CodeListMeta, ItemData};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiQuery, AppState, parse_json};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dmdc/Metadata/{list}", get(metadata))
        .route(
            "/dmdc/Category/{list}",
            get(category_get).post(category_post),
        )
}

fn columns(meta: &CodeListMeta) -> Vec<(String, String, &'static str)> {
    let mut out = vec![
        ("Ma".to_owned(), "Mã".to_owned(), "string"),
        ("Ten".to_owned(), "Tên".to_owned(), "string"),
        (
            "TenTiengAnh".to_owned(),
            "Tên tiếng Anh".to_owned(),
            "string",
        ),
        ("MaCha".to_owned(), "Mã cha".to_owned(), "string"),
        ("CapDo".to_owned(), "Cấp".to_owned(), "string"),
        ("TrangThai".to_owned(), "Trạng thái".to_owned(), "string"),
        (
            "HieuLucTu".to_owned(),
            "Hiệu lực từ ngày".to_owned(),
            "date",
        ),
        (
            "HieuLucDen".to_owned(),
            "Hết hiệu lực từ ngày".to_owned(),
            "date",
        ),
        ("MaThayThe".to_owned(), "Mã thay thế".to_owned(), "string"),
        ("VanBan".to_owned(), "Văn bản quy định".to_owned(), "string"),
        ("NgayBanHanh".to_owned(), "Ngày ban hành".to_owned(), "date"),
        (
            "CoQuanBanHanh".to_owned(),
            "Cơ quan ban hành".to_owned(),
            "string",
        ),
    ];
    for t in &meta.notation_types {
        out.push((format!("Ma_{t}"), format!("Mã ({t})"), "string"));
    }
    for (name, def) in &meta.attributes {
        let kind = match def.kind {
            registry::model::AttributeType::Integer | registry::model::AttributeType::Number => {
                "number"
            }
            registry::model::AttributeType::Boolean => "boolean",
            registry::model::AttributeType::Date => "date",
            _ => "string",
        };
        out.push((
            name.clone(),
            def.description.clone().unwrap_or_else(|| name.clone()),
            kind,
        ));
    }
    out
}

fn row(meta: &CodeListMeta, item: &ItemData) -> BTreeMap<String, Value> {
    let basis = item.legal_basis.clone().unwrap_or_default();
    let mut r = BTreeMap::from([
        ("Ma".to_owned(), json!(item.code)),
        ("Ten".to_owned(), json!(item.labels.vi)),
        ("TenTiengAnh".to_owned(), json!(item.labels.en)),
        ("MaCha".to_owned(), json!(item.parent)),
        ("CapDo".to_owned(), json!(item.level)),
        ("TrangThai".to_owned(), json!(item.status)),
        ("HieuLucTu".to_owned(), json!(item.valid_from)),
        ("HieuLucDen".to_owned(), json!(item.valid_to)),
        ("MaThayThe".to_owned(), json!(item.successors.join(","))),
        ("VanBan".to_owned(), json!(basis.decision)),
        ("NgayBanHanh".to_owned(), json!(basis.date)),
        ("CoQuanBanHanh".to_owned(), json!(basis.issuer)),
    ]);
    for t in &meta.notation_types {
        let v: Vec<&str> = item
            .notations
            .iter()
            .filter(|n| &n.kind == t)
            .map(|n| n.value.as_str())
            .collect();
        r.insert(format!("Ma_{t}"), json!(v.join(",")));
    }
    for name in meta.attributes.keys() {
        r.insert(
            name.clone(),
            item.attributes.get(name).cloned().unwrap_or(Value::Null),
        );
    }
    r
}

async fn metadata(
    State(state): State<AppState>,
    Path(list): Path<String>,
) -> Result<Response, ApiError> {
    let meta = state.registry.meta(&list).await?;
    let cols: Vec<Value> = columns(&meta)
        .into_iter()
        .map(|(code, name, kind)| json!({ "PropertyCode": code, "PropertyName": name, "PropertyType": kind }))
        .collect();
    Ok(axum::Json(cols).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CategoryQuery {
    valid_at: Option<NaiveDate>,
}

async fn rows(
    state: &AppState,
    list: &str,
    valid_at: Option<NaiveDate>,
    filters: BTreeMap<String, Value>,
) -> Result<Response, ApiError> {
    let meta = state.registry.meta(list).await?;
    let known: Vec<String> = columns(&meta).into_iter().map(|c| c.0).collect();
    if let Some(bad) = filters.keys().find(|k| !known.contains(k)) {
        return Err(ApiError::Unprocessable(vec![
            registry::InputProblem::field(
                bad.clone(),
                "not a PropertyCode of this list (see /dmdc/Metadata)",
            ),
        ]));
    }
    let date = valid_at.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let filter_status = filters.contains_key("TrangThai");
    let items = state.registry.all_items(list).await?;
    let out: Vec<BTreeMap<String, Value>> = items
        .iter()
        .filter(|i| filter_status || i.status_at(date) == registry::model::StatusAt::Valid)
        .map(|i| row(&meta, i))
        .filter(|r| {
            filters.iter().all(|(k, v)| match (r.get(k), v) {
                (Some(Value::String(have)), Value::String(want)) => have == want,
                (Some(have), want) => have == want,
                (None, _) => false,
            })
        })
        .collect();
    Ok(axum::Json(out).into_response())
}

async fn category_get(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ApiQuery(q): ApiQuery<CategoryQuery>,
) -> Result<Response, ApiError> {
    rows(&state, &list, q.valid_at, BTreeMap::new()).await
}

async fn category_post(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ApiQuery(q): ApiQuery<CategoryQuery>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let filters: BTreeMap<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        BTreeMap::new()
    } else {
        parse_json(&body)?
    };
    rows(&state, &list, q.valid_at, filters).await
}
