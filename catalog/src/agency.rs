//! What an agency publishes about its open data as a whole: its yearly open-data list (danh mục dữ liệu mở), issued by
//! its approver as an immutable numbered document with a sha256 manifest, and its open-data plan (planned datasets with
//! target dates), whose progress is computed from what is actually published.
use chrono::NaiveDate;
use registry::InputProblem;
use registry::changelog::{Appender, NewEntry, sha256_hex};
use registry::model::LangText;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use crate::error::CatalogError;
use crate::model::WorkflowStatus;
use crate::store::{Actor, Catalog};

/// One dataset as frozen in an open-data list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ListedDataset {
    /// Dataset id.
    pub id: String,
    /// Its URI.
    pub uri: String,
    /// The published revision listed.
    pub revision: i64,
    /// sha256 of that revision's canonical JSON.
    pub sha256: String,
    /// Title at that revision.
    pub title: LangText,
    /// Themes at that revision.
    pub themes: Vec<String>,
    /// Frequency at that revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<String>,
    /// Licence at that revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
}

/// An issued open-data list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OpenDataList {
    /// The agency's code.
    pub agency: String,
    /// The year it covers.
    pub year: i64,
    /// 1 for the first issue of the year, 2 for an amendment, ...
    pub number: i64,
    /// Title.
    pub title: LangText,
    /// The listed datasets.
    pub datasets: Vec<ListedDataset>,
    /// Who issued it.
    pub issued_by: String,
    /// When.
    pub issued_at: String,
    /// The change-log head when it was issued.
    pub chain_head: String,
    /// sha256 of the manifest.
    pub manifest_sha256: String,
}

impl OpenDataList {
    /// The manifest: a header line, then `id<TAB>revision<TAB>sha256` per dataset in id order.
    pub fn manifest(&self) -> String {
        let mut rows: Vec<&ListedDataset> = self.datasets.iter().collect();
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        let mut text = format!(
            "open-data-list\t{}\t{}\t{}\n",
            self.agency, self.year, self.number
        );
        for d in rows {
            text.push_str(&format!("{}\t{}\t{}\n", d.id, d.revision, d.sha256));
        }
        text
    }

    /// As CSV (one row per dataset).
    pub fn csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "stt",
            "id",
            "title_vi",
            "title_en",
            "themes",
            "frequency",
            "licence",
            "revision",
            "sha256",
            "uri",
        ])
        .expect("in memory");
        for (i, d) in self.datasets.iter().enumerate() {
            let text = |s: &str| registry::csv_format::neutralize(s).into_owned();
            w.write_record([
                (i + 1).to_string(),
                d.id.clone(),
                text(d.title.vi.as_deref().unwrap_or_default()),
                text(d.title.en.as_deref().unwrap_or_default()),
                d.themes.join("|"),
                d.frequency.clone().unwrap_or_default(),
                d.licence.clone().unwrap_or_default(),
                d.revision.to_string(),
                d.sha256.clone(),
                d.uri.clone(),
            ])
            .expect("in memory");
        }
        w.into_inner().expect("in memory")
    }
}

/// A planned dataset in an agency's open-data plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanItem {
    /// What is planned.
    pub title: LangText,
    /// When it should be published.
    pub target_date: NaiveDate,
    /// The dataset that fulfils it, once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// `planned`, `in-progress` or `cancelled` (published is computed from the dataset).
    #[serde(default = "planned")]
    pub status: String,
    /// A note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn planned() -> String {
    "planned".into()
}

/// A plan item as read, with its computed state.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlanEntry {
    /// Item id within the plan.
    pub id: String,
    /// The item.
    #[serde(flatten)]
    pub item: PlanItem,
    /// True when its dataset is published.
    pub published: bool,
    /// True when past its target date and not published.
    pub overdue: bool,
}

/// A published dataset whose registry codes are closed (or unknown) today.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NeedsAttention {
    /// The dataset id.
    pub dataset: String,
    /// The dataset's URI.
    pub uri: String,
    /// The publishing agency's code.
    pub publisher: String,
    /// The dataset's reference date.
    pub reference_date: Option<NaiveDate>,
    /// The codes to look at.
    pub codes: Vec<StaleCode>,
}

/// A code a dataset uses that is no longer valid today.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StaleCode {
    /// The dataset field holding it (`publisher`, `themes/0`, ...).
    pub field: String,
    /// The code list.
    pub list: String,
    /// The code.
    pub code: String,
    /// `superseded`, `retired` or `unknown`.
    pub status: String,
    /// Direct successors.
    pub successors: Vec<String>,
    /// Successors followed to the codes valid today.
    pub current_successors: Vec<String>,
}

/// An agency's plan with its progress.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = AgencyPlan))]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The agency.
    pub agency: String,
    /// The items.
    pub items: Vec<PlanEntry>,
    /// Items not cancelled.
    pub planned: usize,
    /// Of those, published.
    pub published: usize,
}

impl Catalog {
    /// Issues the agency's open-data list for `year`, freezing the published revision of each dataset.
    pub async fn issue_open_data_list(
        &self,
        agency: &str,
        year: i64,
        title: Option<LangText>,
        dataset_ids: &[String],
        actor: &Actor<'_>,
    ) -> Result<OpenDataList, CatalogError> {
        if !(2000..=2100).contains(&year) {
            return Err(CatalogError::Invalid(vec![InputProblem::field(
                "year",
                "a year between 2000 and 2100",
            )]));
        }
        if dataset_ids.is_empty() {
            return Err(CatalogError::Invalid(vec![InputProblem::field(
                "datasets",
                "at least one dataset",
            )]));
        }
        let mut datasets = Vec::new();
        let mut problems = Vec::new();
        for (i, id) in dataset_ids.iter().enumerate() {
            match self.get(id, None, true).await {
                Ok(r) if r.content.publisher == agency => {
                    let sha256 = sha256_hex(r.content.canonical_json().as_bytes());
                    datasets.push(ListedDataset {
                        uri: r.uri.clone(),
                        id: r.id.clone(),
                        revision: r.revision,
                        sha256,
                        title: r.content.title.clone(),
                        themes: r.content.themes.clone(),
                        frequency: r.content.frequency.clone(),
                        licence: r.content.licence.clone(),
                    });
                }
                Ok(_) => problems.push(InputProblem::field(
                    format!("datasets/{i}"),
                    format!("{id:?} belongs to another agency"),
                )),
                Err(CatalogError::NotFound(_) | CatalogError::Withdrawn(_)) => {
                    problems.push(InputProblem::field(
                        format!("datasets/{i}"),
                        format!("{id:?} is not a published dataset"),
                    ))
                }
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        let title = title.unwrap_or_else(|| {
            LangText::new(
                Some(&format!("Danh mục dữ liệu mở năm {year} của {agency}")),
                Some(&format!("Open-data list {year} of {agency}")),
            )
        });
        let mut w = self.database().write().await?;
        let number = sqlx::query("SELECT COALESCE(MAX(number), 0) + 1 FROM catalog_open_data_lists WHERE agency = $1 AND year = $2")
            .bind(agency)
            .bind(year)
            .fetch_one(&mut *w.tx)
            .await?
            .try_get::<i64, _>(0)?;
        let mut log = Appender::start(&mut w.tx).await?;
        let mut list = OpenDataList {
            agency: agency.to_owned(),
            year,
            number,
            title,
            datasets,
            issued_by: actor.name.to_owned(),
            issued_at: log.recorded_at().to_owned(),
            chain_head: log.head().to_owned(),
            manifest_sha256: String::new(),
        };
        list.manifest_sha256 = sha256_hex(list.manifest().as_bytes());
        let content = serde_json::to_string(&list).expect("list serializes");
        sqlx::query(
            "INSERT INTO catalog_open_data_lists (agency, year, number, content, manifest_sha256, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(agency)
        .bind(year)
        .bind(number)
        .bind(&content)
        .bind(&list.manifest_sha256)
        .bind(&list.issued_at)
        .execute(&mut *w.tx)
        .await?;
        let subject = format!(
            "{}/agency/{agency}/open-data-lists/{year}/{number}",
            self.registry().base_uri()
        );
        log.append(
            &mut w.tx,
            &NewEntry {
                actor: actor.name,
                action: "open-data-list.issue",
                subject: &subject,
                before: None,
                after: Some(&list.manifest_sha256),
                // The manifest covers the datasets; the whole stored document (title, issuer) is hashed too, so
                // that an audit catches any change to it.
                detail: json!({
                    "datasets": list.datasets.len(),
                    "contentSha256": sha256_hex(content.as_bytes())
                }),
            },
        )
        .await?;
        w.commit().await?;
        Ok(list)
    }

    /// The agency's open-data lists, by year and number.
    pub async fn open_data_lists(&self, agency: &str) -> Result<Vec<OpenDataList>, CatalogError> {
        let rows = sqlx::query(
            "SELECT content FROM catalog_open_data_lists WHERE agency = $1 ORDER BY year, number",
        )
        .bind(agency)
        .fetch_all(self.database().pool())
        .await?;
        rows.iter()
            .map(|r| {
                serde_json::from_str(&r.try_get::<String, _>(0)?).map_err(CatalogError::storage)
            })
            .collect()
    }

    /// One open-data list.
    pub async fn open_data_list(
        &self,
        agency: &str,
        year: i64,
        number: i64,
    ) -> Result<OpenDataList, CatalogError> {
        self.open_data_lists(agency)
            .await?
            .into_iter()
            .find(|l| l.year == year && l.number == number)
            .ok_or_else(|| {
                CatalogError::NotFound(format!("open-data list {year}/{number} of {agency}"))
            })
    }

    /// Adds or replaces an item of the agency's plan.
    pub async fn put_plan_item(
        &self,
        agency: &str,
        id: &str,
        item: PlanItem,
        actor: &Actor<'_>,
    ) -> Result<Plan, CatalogError> {
        crate::model::check_dataset_id(id).map_err(|p| CatalogError::Invalid(vec![p]))?;
        let mut problems = Vec::new();
        if item.title.vi.as_deref().is_none_or(|t| t.trim().is_empty()) {
            problems.push(InputProblem::field(
                "title/vi",
                "a Vietnamese title is required",
            ));
        }
        if !["planned", "in-progress", "cancelled"].contains(&item.status.as_str()) {
            problems.push(InputProblem::field(
                "status",
                "one of planned, in-progress, cancelled",
            ));
        }
        if let Some(d) = &item.dataset {
            match self.get(d, None, false).await {
                Ok(r) if r.content.publisher == agency => {}
                Ok(_) => problems.push(InputProblem::field("dataset", "belongs to another agency")),
                Err(CatalogError::NotFound(_)) => {
                    problems.push(InputProblem::field("dataset", "no such dataset"))
                }
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        let body = serde_json::to_string(&item).expect("item serializes");
        let mut w = self.database().write().await?;
        let mut log = Appender::start(&mut w.tx).await?;
        sqlx::query("DELETE FROM catalog_plan_items WHERE agency = $1 AND id = $2")
            .bind(agency)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("INSERT INTO catalog_plan_items (agency, id, content, updated_at) VALUES ($1, $2, $3, $4)")
            .bind(agency)
            .bind(id)
            .bind(&body)
            .bind(log.recorded_at())
            .execute(&mut *w.tx)
            .await?;
        let subject = format!("{}/agency/{agency}/plan/{id}", self.registry().base_uri());
        let hash = sha256_hex(body.as_bytes());
        log.append(
            &mut w.tx,
            &NewEntry {
                actor: actor.name,
                action: "plan.put",
                subject: &subject,
                before: None,
                after: Some(&hash),
                detail: json!({}),
            },
        )
        .await?;
        w.commit().await?;
        self.plan(agency).await
    }

    /// The agency's plan with progress computed from the datasets' workflow state.
    pub async fn plan(&self, agency: &str) -> Result<Plan, CatalogError> {
        let rows =
            sqlx::query("SELECT id, content FROM catalog_plan_items WHERE agency = $1 ORDER BY id")
                .bind(agency)
                .fetch_all(self.database().pool())
                .await?;
        let today = chrono::Utc::now().date_naive();
        let mut items = Vec::new();
        for r in &rows {
            let item: PlanItem =
                serde_json::from_str(&r.try_get::<String, _>(1)?).map_err(CatalogError::storage)?;
            let published = match &item.dataset {
                Some(d) => match self.get(d, None, false).await {
                    Ok(rec) => {
                        rec.published_revision.is_some() && rec.status != WorkflowStatus::Withdrawn
                    }
                    Err(CatalogError::NotFound(_)) => false,
                    Err(e) => return Err(e),
                },
                None => false,
            };
            let overdue = !published && item.status != "cancelled" && item.target_date < today;
            items.push(PlanEntry {
                id: r.try_get(0)?,
                item,
                published,
                overdue,
            });
        }
        let active: Vec<&PlanEntry> = items
            .iter()
            .filter(|i| i.item.status != "cancelled")
            .collect();
        let (planned, published) = (active.len(), active.iter().filter(|i| i.published).count());
        Ok(Plan {
            agency: agency.to_owned(),
            items,
            planned,
            published,
        })
    }

    /// Published datasets whose registry codes are closed today, with their successors.
    pub async fn needs_attention(&self) -> Result<Vec<NeedsAttention>, CatalogError> {
        let today = chrono::Utc::now().date_naive();
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .list(&crate::store::DatasetQuery {
                    public: true,
                    cursor: cursor.clone(),
                    limit: 500,
                    ..Default::default()
                })
                .await?;
            for record in &page.items {
                let refs = record.content.references();
                let checks: Vec<registry::store::CodeCheck> = refs
                    .iter()
                    .map(|(_, list, code)| registry::store::CodeCheck {
                        list: (*list).to_owned(),
                        code: code.clone(),
                        date: Some(today),
                    })
                    .collect();
                let results = self.registry().validate(&checks).await?;
                let codes: Vec<StaleCode> = refs
                    .into_iter()
                    .zip(results)
                    .filter(|(_, r)| {
                        matches!(r.result.as_str(), "superseded" | "retired" | "unknown")
                    })
                    .map(|((field, list, code), r)| StaleCode {
                        field,
                        list: list.to_owned(),
                        code,
                        status: r.result,
                        successors: r.successors,
                        current_successors: r.current_successors,
                    })
                    .collect();
                if !codes.is_empty() {
                    out.push(NeedsAttention {
                        dataset: record.id.clone(),
                        uri: record.uri.clone(),
                        publisher: record.content.publisher.clone(),
                        reference_date: record.content.reference_date,
                        codes,
                    });
                }
            }
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        Ok(out)
    }
}
