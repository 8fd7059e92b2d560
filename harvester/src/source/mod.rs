//! Where records come from: [`Source`], with three implementations. An opendata server's change feed
//! ([`changes::ChangeFeed`], incremental, with a cursor), any CKAN portal ([`ckan::CkanSource`], `package_list` +
//! `package_show`, listed in full on every run) and any DCAT catalogue ([`dcat::DcatSource`], Hydra pages of Turtle,
//! JSON-LD or RDF/XML, listed in full on every run). A full listing also says what is gone: whatever the state knows
//! but the listing no longer holds.
pub mod changes;
pub mod ckan;
pub mod dcat;
mod graph;

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use crate::HarvestError;
use crate::client::Http;
use crate::package::Package;

/// How a source is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// An opendata server's change feed (`/api/v1/changes`) and its CKAN API.
    Changes,
    /// A CKAN portal's Action API.
    Ckan,
    /// A DCAT catalogue.
    Dcat,
}

impl SourceKind {
    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Changes => "changes",
            SourceKind::Ckan => "ckan",
            SourceKind::Dcat => "dcat",
        }
    }
}

impl std::str::FromStr for SourceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "changes" => Ok(SourceKind::Changes),
            "ckan" => Ok(SourceKind::Ckan),
            "dcat" => Ok(SourceKind::Dcat),
            other => Err(format!("{other:?}: one of changes, ckan, dcat")),
        }
    }
}

/// A record named by a listing.
#[derive(Debug, Clone)]
pub enum Listed {
    /// Read it with [`Source::fetch`].
    Fetch,
    /// The listing carried the content.
    Present(Box<Package>),
    /// The listing carried it, but it cannot become a package (the reason).
    Invalid(String),
}

/// One step of a source's listing.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Records to look at (source id and content), each once.
    pub records: Vec<(String, Listed)>,
    /// This is the whole source: records known to the state but absent here are gone.
    pub complete: bool,
    /// The cursor to store once every record of this batch (and of every earlier one) is done.
    pub cursor: Option<String>,
    /// The cursor only leads to the next batch of this run and is never stored (a source reading a snapshot).
    pub transient_cursor: bool,
    /// Another batch follows (ask again with `cursor`).
    pub more: bool,
    /// What the source skipped while reading this batch (a malformed statement, a page read in part), for the
    /// report.
    pub warnings: Vec<String>,
}

/// A source of records.
pub trait Source: Send + Sync {
    /// How it is read.
    fn kind(&self) -> SourceKind;
    /// The records changed after `cursor` (everything when `None`).
    fn batch(
        &self,
        cursor: Option<&str>,
    ) -> impl Future<Output = Result<Batch, HarvestError>> + Send;
    /// A record as it is now; `None` when it is gone (deleted or withdrawn).
    fn fetch(&self, id: &str)
    -> impl Future<Output = Result<Option<Package>, HarvestError>> + Send;
}

/// Any of the sources, chosen at run time.
pub enum AnySource {
    /// An opendata change feed.
    Changes(changes::ChangeFeed),
    /// A CKAN portal.
    Ckan(ckan::CkanSource),
    /// A DCAT catalogue.
    Dcat(dcat::DcatSource),
}

impl AnySource {
    /// Opens `url` as `kind`, or finds out what it is: an opendata server answers `/api/v1/changes`, a CKAN portal
    /// `status_show`; anything else is read as a DCAT document.
    pub async fn open(
        http: Arc<Http>,
        url: &str,
        kind: Option<SourceKind>,
        token: Option<String>,
    ) -> Result<Self, HarvestError> {
        let base = url.trim_end_matches('/');
        let kind = match kind {
            Some(k) => k,
            None => detect(&http, base).await?,
        };
        tracing::info!(source = base, kind = kind.as_str(), "source");
        Ok(match kind {
            SourceKind::Changes => {
                AnySource::Changes(changes::ChangeFeed::open(http, base, token).await?)
            }
            SourceKind::Ckan => AnySource::Ckan(ckan::CkanSource::new(http, base, token)),
            SourceKind::Dcat => AnySource::Dcat(dcat::DcatSource::new(http, url, token)),
        })
    }
}

async fn detect(http: &Http, base: &str) -> Result<SourceKind, HarvestError> {
    let feed = format!("{base}/api/v1/changes?limit=1");
    let answer = http.send(|| http.client().get(&feed), true).await?;
    if answer.status.is_success()
        && serde_json::from_slice::<Value>(&answer.body)
            .is_ok_and(|v| v.get("items").is_some_and(Value::is_array))
    {
        return Ok(SourceKind::Changes);
    }
    let status = format!("{base}/api/3/action/status_show");
    let answer = http.send(|| http.client().get(&status), true).await?;
    if answer.status.is_success()
        && serde_json::from_slice::<Value>(&answer.body).is_ok_and(|v| v["success"] == true)
    {
        return Ok(SourceKind::Ckan);
    }
    Ok(SourceKind::Dcat)
}

impl Source for AnySource {
    fn kind(&self) -> SourceKind {
        match self {
            AnySource::Changes(s) => s.kind(),
            AnySource::Ckan(s) => s.kind(),
            AnySource::Dcat(s) => s.kind(),
        }
    }

    async fn batch(&self, cursor: Option<&str>) -> Result<Batch, HarvestError> {
        match self {
            AnySource::Changes(s) => s.batch(cursor).await,
            AnySource::Ckan(s) => s.batch(cursor).await,
            AnySource::Dcat(s) => s.batch(cursor).await,
        }
    }

    async fn fetch(&self, id: &str) -> Result<Option<Package>, HarvestError> {
        match self {
            AnySource::Changes(s) => s.fetch(id).await,
            AnySource::Ckan(s) => s.fetch(id).await,
            AnySource::Dcat(s) => s.fetch(id).await,
        }
    }
}
