//! Usage counting: a middleware that counts, per dataset and day, page views, downloads and API calls from the route
//! a request matched and how it was answered (only successful answers count, so unknown ids add nothing), and the
//! chart data the dataset page shows. The counters themselves (and their storage) are `catalog::usage`'s.
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use catalog::usage::UsageKind;

use super::AppState;

/// What a matched route counts as, and which path segment holds the dataset id (`/dataset/{id}` is an API call
/// until its answer turns out to be the web page).
fn classify(route: &str) -> Option<(UsageKind, usize)> {
    Some(match route {
        "/dataset/{id}" => (UsageKind::ApiCall, 2),
        "/dataset/{id}/distribution/{did}/download" => (UsageKind::Download, 2),
        "/api/v1/datasets/{id}/distributions/{did}/download" => (UsageKind::Download, 4),
        // Reading the usage is not a use.
        "/api/v1/datasets/{id}/usage" => return None,
        r if r.starts_with("/api/v1/datasets/{id}") => (UsageKind::ApiCall, 4),
        "/api/v1/data/{dataset}/{distribution}" => (UsageKind::ApiCall, 4),
        _ => return None,
    })
}

/// The middleware. CKAN's `package_show` and `datastore_search` count in their handler (their id is a parameter).
pub async fn count(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let Some((kind, segment)) = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| classify(p.as_str()))
    else {
        return next.run(req).await;
    };
    // A resumed download (a range not starting at 0) is the same download.
    let continuation = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|r| !r.trim_start().starts_with("bytes=0-"));
    let id = req.uri().path().split('/').nth(segment).map(str::to_owned);
    let response = next.run(req).await;
    // `/dataset/{id}` answers the web page or DCAT, whichever the client asked for.
    let is_page = segment == 2
        && kind == UsageKind::ApiCall
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let kind = if is_page { UsageKind::View } else { kind };
    let counted = match kind {
        UsageKind::Download => {
            !continuation
                && matches!(
                    response.status(),
                    StatusCode::OK | StatusCode::PARTIAL_CONTENT
                )
        }
        _ => matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED),
    };
    if counted && let Some(id) = id {
        state.usage.record(&id, kind);
    }
    response
}

/// Flushes the counters every few seconds until the task is aborted (the server flushes once more on shutdown).
pub async fn keep_flushing(usage: catalog::usage::Usage) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        if let Err(e) = usage.flush().await {
            tracing::warn!(error = %e, "flushing usage counts failed; kept for the next flush");
        }
    }
}

/// One bar of the dataset page's usage chart: coordinates computed here so the template stays plain SVG.
pub struct Bar {
    /// `views`, `downloads` or `api` (the stylesheet colours them).
    pub class: &'static str,
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Height (0 for a zero count).
    pub height: u32,
}

/// One day of the chart.
pub struct ChartDay {
    /// The day and its counts in words (the group's tooltip).
    pub label: String,
    /// Its three bars.
    pub bars: Vec<Bar>,
}

/// The chart's height in SVG units (bars are scaled to the largest count).
pub const CHART_HEIGHT: u32 = 80;
/// The width of one day's group.
pub const DAY_WIDTH: u32 = 12;

/// Lays out `report`'s days as bar groups; `names` are the three series' names in the page's language.
pub fn chart(report: &catalog::usage::UsageReport, names: [&str; 3]) -> Vec<ChartDay> {
    let max = report
        .days
        .iter()
        .map(|d| {
            d.counts
                .views
                .max(d.counts.downloads)
                .max(d.counts.api_calls)
        })
        .max()
        .unwrap_or(0)
        .max(1);
    report
        .days
        .iter()
        .zip(0u32..)
        .map(|(d, i)| {
            let counts = [d.counts.views, d.counts.downloads, d.counts.api_calls];
            let bars = counts
                .iter()
                .zip(["views", "downloads", "api"])
                .zip(0u32..)
                .map(|((&n, class), k)| {
                    let scaled = n.saturating_mul(u64::from(CHART_HEIGHT)) / max;
                    let height = u32::try_from(scaled)
                        .unwrap_or(CHART_HEIGHT)
                        .max(u32::from(n > 0));
                    Bar {
                        class,
                        x: i * DAY_WIDTH + k * 3,
                        y: CHART_HEIGHT - height,
                        height,
                    }
                })
                .collect();
            ChartDay {
                label: format!(
                    "{}: {} {}, {} {}, {} {}",
                    d.day, names[0], counts[0], names[1], counts[1], names[2], counts[2]
                ),
                bars,
            }
        })
        .collect()
}
