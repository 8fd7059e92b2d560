//! Data requests: anyone asks for data that is not published. An admin moderates the request (`pending` → `open`, or
//! `rejected`, never shown) and routes it to an agency (`routed`); that agency's publishers or approvers accept it or
//! decline it with a reason; once the dataset is published they link it (`published`). The public list shows every
//! moderated request with its status and votes, one vote per client address. The requester, when they left an e-mail
//! address, is told of each decision.
use registry::{InputProblem, RegistryError};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::guard::{Check, TooMany};
use super::{Feedback, Page, acts_for, next_id, stamp};
use crate::accounts::Principal;

/// Where a data request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DataRequestStatus {
    /// Waiting for moderation; not public.
    Pending,
    /// Public, not yet routed to an agency.
    Open,
    /// Routed to an agency, waiting for its decision.
    Routed,
    /// The agency will publish the data.
    Accepted,
    /// The agency will not publish it (the reason says why).
    Declined,
    /// Published: the dataset is linked.
    Published,
    /// Refused by the moderator; never public.
    Rejected,
}

impl DataRequestStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Open => "open",
            Self::Routed => "routed",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Published => "published",
            Self::Rejected => "rejected",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Self {
        match s {
            "open" => Self::Open,
            "routed" => Self::Routed,
            "accepted" => Self::Accepted,
            "declined" => Self::Declined,
            "published" => Self::Published,
            "rejected" => Self::Rejected,
            _ => Self::Pending,
        }
    }

    /// Shown to the public?
    pub fn is_public(self) -> bool {
        !matches!(self, Self::Pending | Self::Rejected)
    }
}

/// A data request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataRequest {
    /// Sequential id.
    pub id: i64,
    /// What data is asked for.
    pub title: String,
    /// Why, and in what form.
    pub description: String,
    /// The name the requester gave, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    /// Where it stands.
    pub status: DataRequestStatus,
    /// The agency it is routed to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// Why it was declined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The dataset published for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Votes, one per client address.
    pub votes: i64,
    /// Asked (RFC 3339).
    pub created_at: String,
    /// Last decision (RFC 3339).
    pub updated_at: String,
    #[serde(skip)]
    email: Option<String>,
}

/// A data request as posted.
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    /// What data, 5 to 200 characters.
    pub title: String,
    /// Why and in what form, 10 to 4000 characters.
    pub description: String,
    /// The requester's name, optional.
    pub name: Option<String>,
    /// An e-mail address for the decisions, optional.
    pub email: Option<String>,
    /// The honeypot: must be empty.
    pub website: Option<String>,
}

/// What an agency decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestDecision {
    /// It will publish the data.
    Accept,
    /// It will not (a reason is required).
    Decline,
}

const COLUMNS: &str = "id, title, description, author_name, email, status, agency, reason, dataset_id, votes, \
                       created_at, updated_at";

fn request_of(row: &sqlx::any::AnyRow) -> Result<DataRequest, RegistryError> {
    Ok(DataRequest {
        id: row.try_get(0)?,
        title: row.try_get(1)?,
        description: row.try_get(2)?,
        author_name: row.try_get(3)?,
        email: row.try_get(4)?,
        status: DataRequestStatus::parse(&row.try_get::<String, _>(5)?),
        agency: row.try_get(6)?,
        reason: row.try_get(7)?,
        dataset: row.try_get(8)?,
        votes: row.try_get(9)?,
        created_at: row.try_get(10)?,
        updated_at: row.try_get(11)?,
    })
}

async fn read(
    w: &mut registry::db::WriteTx,
    id: i64,
) -> Result<Option<DataRequest>, RegistryError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM data_requests WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *w.tx)
    .await?
    .as_ref()
    .map(request_of)
    .transpose()
}

fn conflict(r: &DataRequest, wanted: &str) -> RegistryError {
    RegistryError::Conflict(format!(
        "data request #{} is {}, not {wanted}",
        r.id,
        r.status.as_str()
    ))
}

fn admin_only(p: &Principal, what: &str) -> Result<(), RegistryError> {
    if p.is_admin() {
        Ok(())
    } else {
        Err(RegistryError::Forbidden(format!(
            "only an admin {what} data requests"
        )))
    }
}

impl Feedback {
    /// Posts a data request from client `client`: checked (lengths, links, e-mail, honeypot), then the burst limit;
    /// stored as `pending` only when all pass.
    pub async fn post_request(
        &self,
        new: NewRequest,
        client: &str,
    ) -> Result<Result<DataRequest, TooMany>, RegistryError> {
        let mut check = Check::new();
        check.honeypot(new.website.as_deref());
        let title = check.text("title", &new.title, 5, 200);
        let description = check.text("description", &new.description, 10, 4000);
        let name = check.short("name", new.name.as_deref(), 100);
        let email = check.email("email", new.email.as_deref());
        check.finish()?;
        if let Err(too_many) = self.check_burst(client).await? {
            return Ok(Err(too_many));
        }
        let mut w = self.db.write().await?;
        let id = next_id(&mut w, "data_requests").await?;
        let now = stamp(chrono::Utc::now());
        sqlx::query(
            "INSERT INTO data_requests (id, title, description, author_name, email, client_hash, status, votes, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
        )
        .bind(id)
        .bind(&title)
        .bind(&description)
        .bind(&name)
        .bind(&email)
        .bind(client)
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
        let request = read(&mut w, id).await?.expect("just stored");
        w.commit().await?;
        Ok(Ok(request))
    }

    /// One request: public ones to anyone, pending and rejected ones to admins only.
    pub async fn request(
        &self,
        id: i64,
        viewer: Option<&Principal>,
    ) -> Result<Option<DataRequest>, RegistryError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM data_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(r) = row.as_ref().map(request_of).transpose()? else {
            return Ok(None);
        };
        let shown = r.status.is_public()
            || viewer.is_some_and(|p| {
                p.is_admin() || r.agency.as_deref().is_some_and(|a| acts_for(p, a))
            });
        Ok(shown.then_some(r))
    }

    /// The public list, newest first; `cursor` is a previous page's `next`.
    pub async fn public_requests(
        &self,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<DataRequest>, RegistryError> {
        let limit = limit.clamp(1, 200);
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM data_requests WHERE status NOT IN ('pending', 'rejected') AND id < $1 \
             ORDER BY id DESC LIMIT $2"
        ))
        .bind(cursor.unwrap_or(i64::MAX))
        .bind(limit + 1)
        .fetch_all(self.db.pool())
        .await?;
        let mut items = rows.iter().map(request_of).collect::<Result<Vec<_>, _>>()?;
        let next = (items.len() as i64 > limit).then(|| {
            items.truncate(limit as usize);
            items.last().map(|r| r.id.to_string()).unwrap_or_default()
        });
        Ok(Page { items, next })
    }

    /// What waits for `p`: for an admin, requests to moderate or route (pending, open, declined); for an agency's
    /// publishers and approvers, requests routed to it or accepted and not yet published.
    pub async fn request_queue(&self, p: &Principal) -> Result<Vec<DataRequest>, RegistryError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM data_requests WHERE status IN ('pending', 'open', 'routed', 'accepted', \
             'declined') ORDER BY id LIMIT 5000"
        ))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .iter()
            .map(request_of)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|r| {
                let admin_part = matches!(
                    r.status,
                    DataRequestStatus::Pending
                        | DataRequestStatus::Open
                        | DataRequestStatus::Declined
                );
                let agency_part = matches!(
                    r.status,
                    DataRequestStatus::Routed | DataRequestStatus::Accepted
                );
                (p.is_admin() && admin_part)
                    || (agency_part && r.agency.as_deref().is_some_and(|a| acts_for(p, a)))
            })
            .take(500)
            .collect())
    }

    /// An admin moderates a pending request: approved it becomes public (`open`), refused it is `rejected`.
    pub async fn moderate_request(
        &self,
        p: &Principal,
        id: i64,
        approve: bool,
    ) -> Result<Option<DataRequest>, RegistryError> {
        admin_only(p, "moderates")?;
        self.change(id, p, |r| {
            if r.status != DataRequestStatus::Pending {
                return Err(conflict(r, "waiting for moderation"));
            }
            Ok(Change::status(if approve { "open" } else { "rejected" }))
        })
        .await
    }

    /// An admin routes a request (pending, open, routed elsewhere or declined) to `agency`, which must be in the
    /// agencies list.
    pub async fn route_request(
        &self,
        p: &Principal,
        id: i64,
        agency: &str,
    ) -> Result<Option<DataRequest>, RegistryError> {
        admin_only(p, "routes")?;
        let Some(code) = self
            .catalog
            .registry()
            .resolve_code("agencies", agency.trim())
            .await?
        else {
            return Err(RegistryError::invalid(InputProblem::field(
                "agency",
                format!("{agency:?} is not an agency of the registry"),
            )));
        };
        self.change(id, p, |r| {
            if !matches!(
                r.status,
                DataRequestStatus::Pending
                    | DataRequestStatus::Open
                    | DataRequestStatus::Routed
                    | DataRequestStatus::Declined
            ) {
                return Err(conflict(r, "waiting to be routed"));
            }
            Ok(Change {
                status: "routed",
                agency: Some(code),
                reason: None,
                dataset: None,
                notice: None,
            })
        })
        .await
    }

    /// The agency the request is routed to accepts it, or declines it with a reason (required).
    pub async fn decide_request(
        &self,
        p: &Principal,
        id: i64,
        decision: RequestDecision,
        reason: Option<&str>,
    ) -> Result<Option<DataRequest>, RegistryError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if decision == RequestDecision::Decline
            && !reason.is_some_and(|r| (5..=2000).contains(&r.chars().count()))
        {
            return Err(RegistryError::invalid(InputProblem::field(
                "reason",
                "a reason of 5 to 2000 characters is required to decline",
            )));
        }
        self.change(id, p, |r| {
            check_agency(p, r)?;
            if r.status != DataRequestStatus::Routed {
                return Err(conflict(r, "routed to an agency"));
            }
            let (status, words) = match decision {
                RequestDecision::Accept => ("accepted", "được chấp nhận / was accepted".to_owned()),
                RequestDecision::Decline => (
                    "declined",
                    format!("bị từ chối / was declined: {}", reason.unwrap_or_default()),
                ),
            };
            Ok(Change {
                status,
                agency: r.agency.clone(),
                reason: reason.map(str::to_owned),
                dataset: None,
                notice: Some(words),
            })
        })
        .await
    }

    /// The agency links the published dataset that answers an accepted request; the dataset must be published by
    /// that agency.
    pub async fn link_dataset(
        &self,
        p: &Principal,
        id: i64,
        dataset: &str,
    ) -> Result<Option<DataRequest>, RegistryError> {
        let published = match self.catalog.get(dataset.trim(), None, true).await {
            Ok(r) => Some(r),
            Err(
                catalog::CatalogError::NotFound(_)
                | catalog::CatalogError::Withdrawn(_)
                | catalog::CatalogError::RevisionNotFound { .. },
            ) => None,
            Err(catalog::CatalogError::Registry(e)) => return Err(e),
            Err(e) => return Err(RegistryError::Storage(e.to_string())),
        };
        let Some(published) = published else {
            return Err(RegistryError::invalid(InputProblem::field(
                "dataset",
                format!("no published dataset {dataset:?}"),
            )));
        };
        self.change(id, p, |r| {
            check_agency(p, r)?;
            if r.status != DataRequestStatus::Accepted {
                return Err(conflict(r, "accepted"));
            }
            if r.agency.as_deref() != Some(published.content.publisher.as_str()) {
                return Err(RegistryError::invalid(InputProblem::field(
                    "dataset",
                    format!(
                        "{} is published by {}, not by {}",
                        published.id,
                        published.content.publisher,
                        r.agency.as_deref().unwrap_or("-")
                    ),
                )));
            }
            Ok(Change {
                status: "published",
                agency: r.agency.clone(),
                reason: None,
                dataset: Some(published.id.clone()),
                notice: Some(format!(
                    "đã được công bố / was published: {}",
                    super::Target::Dataset(published.id.clone()).page(&self.site)
                )),
            })
        })
        .await
    }

    /// One vote for a public request that is not yet decided against, once per client address; the new count.
    pub async fn vote(&self, id: i64, client: &str) -> Result<Option<i64>, RegistryError> {
        let mut w = self.db.write().await?;
        let Some(r) = read(&mut w, id).await? else {
            return Ok(None);
        };
        if !r.status.is_public() {
            return Ok(None);
        }
        if matches!(
            r.status,
            DataRequestStatus::Declined | DataRequestStatus::Published
        ) {
            return Err(conflict(&r, "open for votes"));
        }
        let voted = sqlx::query(
            "SELECT 1 FROM data_request_votes WHERE request_id = $1 AND client_hash = $2",
        )
        .bind(id)
        .bind(client)
        .fetch_optional(&mut *w.tx)
        .await?;
        if voted.is_some() {
            return Err(RegistryError::Conflict(format!(
                "this address has voted for data request #{id} already"
            )));
        }
        sqlx::query(
            "INSERT INTO data_request_votes (request_id, client_hash, voted_at) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(client)
        .bind(stamp(chrono::Utc::now()))
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("UPDATE data_requests SET votes = votes + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(Some(r.votes + 1))
    }

    /// Applies the change `rule` gives (after its checks) and tells the requester when it says something.
    async fn change(
        &self,
        id: i64,
        p: &Principal,
        rule: impl FnOnce(&DataRequest) -> Result<Change, RegistryError>,
    ) -> Result<Option<DataRequest>, RegistryError> {
        let mut w = self.db.write().await?;
        let Some(r) = read(&mut w, id).await? else {
            return Ok(None);
        };
        let c = rule(&r)?;
        sqlx::query(
            "UPDATE data_requests SET status = $1, agency = $2, reason = $3, dataset_id = COALESCE($4, dataset_id), \
             updated_at = $5, updated_by = $6 WHERE id = $7",
        )
        .bind(c.status)
        .bind(&c.agency)
        .bind(&c.reason)
        .bind(&c.dataset)
        .bind(stamp(chrono::Utc::now()))
        .bind(&p.name)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        if let (Some(email), Some(notice)) = (&r.email, &c.notice) {
            super::mail::queue(
                &mut w,
                email,
                &format!("Yêu cầu dữ liệu #{id} / Data request #{id}"),
                &format!(
                    "Yêu cầu dữ liệu của bạn / Your data request \"{}\" {notice}\n\n{}/data-requests#request-{id}\n",
                    r.title, self.site
                ),
            )
            .await?;
        }
        let r = read(&mut w, id).await?;
        w.commit().await?;
        Ok(r)
    }
}

/// A change to a request.
struct Change {
    status: &'static str,
    agency: Option<String>,
    reason: Option<String>,
    dataset: Option<String>,
    /// What the requester is told, if anything.
    notice: Option<String>,
}

impl Change {
    fn status(status: &'static str) -> Self {
        Self {
            status,
            agency: None,
            reason: None,
            dataset: None,
            notice: None,
        }
    }
}

fn check_agency(p: &Principal, r: &DataRequest) -> Result<(), RegistryError> {
    match r.agency.as_deref() {
        Some(a) if acts_for(p, a) => Ok(()),
        Some(a) => Err(RegistryError::Forbidden(format!(
            "only the publishers and approvers of {a} decide on this data request"
        ))),
        None => Err(conflict(r, "routed to an agency")),
    }
}
