//! Quality on the web site: the score block of the dataset page (points, rating, each dimension, and what is missing
//! with how to fix it) and `/quality`, the catalog-wide page (totals, ratings, each indicator's share as a chart, each
//! agency's average). The figures are `catalog::quality`'s; the labels of this part of the site live here, in both
//! languages, beside the indicators' own (which the domain gives in both).
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use catalog::quality::store::{QualityInputs, rating_of_percent};
use catalog::quality::{Bilingual, QualityReport, Rating};
use registry::store::encode_segment;

use super::{Chrome, Ctx, Labels, Lang};
use crate::http::{ApiError, AppState};

/// The labels of the quality blocks.
pub struct QualityText {
    pub heading: &'static str,
    pub intro: &'static str,
    pub points: &'static str,
    pub rating: &'static str,
    pub dimension: &'static str,
    pub to_improve: &'static str,
    pub all_met: &'static str,
    pub lost: &'static str,
    pub page_title: &'static str,
    pub page_intro: &'static str,
    pub datasets: &'static str,
    pub average: &'static str,
    pub indicator: &'static str,
    pub share_met: &'static str,
    pub agencies: &'static str,
    pub agency: &'static str,
    pub ratings: &'static str,
    pub api: &'static str,
    pub most_per_dataset: &'static str,
    pub files_heading: &'static str,
    pub file_valid: &'static str,
    pub file_problems: &'static str,
    pub line: &'static str,
    pub column: &'static str,
    pub problem: &'static str,
    pub more_problems: &'static str,
    pub rows: &'static str,
    pub trend: &'static str,
    pub day: &'static str,
    pub no_trend: &'static str,
    pub see_all: &'static str,
    pub broken_heading: &'static str,
    pub no_broken: &'static str,
    pub broken_since: &'static str,
}

const VI: QualityText = QualityText {
    heading: "Chất lượng siêu dữ liệu",
    intro: "Điểm theo các tiêu chí của Đánh giá chất lượng siêu dữ liệu (MQA) châu Âu; được tính lại sau mỗi lần sửa.",
    points: "điểm",
    rating: "Xếp loại",
    dimension: "Khía cạnh",
    to_improve: "Cách cải thiện",
    all_met: "Bộ dữ liệu đạt mọi tiêu chí.",
    lost: "thiếu",
    page_title: "Chất lượng dữ liệu",
    page_intro: "Điểm chất lượng siêu dữ liệu của các bộ dữ liệu đã công bố, theo toàn danh mục, từng tiêu chí và từng cơ quan.",
    datasets: "Bộ dữ liệu",
    average: "Điểm trung bình",
    indicator: "Tiêu chí",
    share_met: "Tỷ lệ bộ dữ liệu đạt",
    agencies: "Theo cơ quan",
    agency: "Cơ quan",
    ratings: "Theo xếp loại",
    api: "Dữ liệu này qua API",
    most_per_dataset: "Tối đa mỗi bộ dữ liệu",
    files_heading: "Kiểm tra tệp CSV",
    file_valid: "Không phát hiện lỗi",
    file_problems: "lỗi",
    line: "Dòng",
    column: "Cột",
    problem: "Lỗi",
    more_problems: "Còn lỗi khác; xem toàn bộ qua API",
    rows: "dòng",
    trend: "Diễn biến theo ngày",
    day: "Ngày",
    no_trend: "Chưa có số liệu theo ngày (được ghi sau mỗi lượt kiểm tra liên kết).",
    see_all: "Chất lượng của toàn danh mục",
    broken_heading: "Liên kết hỏng",
    no_broken: "Lần kiểm tra gần nhất không thấy liên kết hỏng nào.",
    broken_since: "hỏng từ",
};

const EN: QualityText = QualityText {
    heading: "Metadata quality",
    intro: "Points on the indicators of the European Metadata Quality Assessment (MQA); computed again after every edit.",
    points: "points",
    rating: "Rating",
    dimension: "Dimension",
    to_improve: "How to improve",
    all_met: "The dataset meets every indicator.",
    lost: "missing",
    page_title: "Data quality",
    page_intro: "The metadata quality scores of the published datasets, for the whole catalog, each indicator and each agency.",
    datasets: "Datasets",
    average: "Average score",
    indicator: "Indicator",
    share_met: "Share of datasets meeting it",
    agencies: "By agency",
    agency: "Agency",
    ratings: "By rating",
    api: "This data by API",
    most_per_dataset: "Most per dataset",
    files_heading: "CSV file checks",
    file_valid: "No problem found",
    file_problems: "problems",
    line: "Line",
    column: "Column",
    problem: "Problem",
    more_problems: "More problems; the API lists them all",
    rows: "rows",
    trend: "Day by day",
    day: "Day",
    no_trend: "No daily figures yet (they are kept after each link-check run).",
    see_all: "Quality of the whole catalog",
    broken_heading: "Broken links",
    no_broken: "The latest checks found no broken link.",
    broken_since: "broken since",
};

/// The labels in `lang`.
pub fn text(lang: Lang) -> &'static QualityText {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

fn pick(lang: Lang, b: Bilingual) -> &'static str {
    b.get(lang.code())
}

/// One dimension's line.
pub struct DimensionLine {
    pub label: &'static str,
    pub points: u32,
    pub max: u32,
}

/// One indicator not fully met, with its hint.
pub struct Hint {
    pub label: &'static str,
    pub hint: &'static str,
    pub lost: u32,
    pub details: String,
}

/// Problems shown per file on the dataset page.
const SHOWN_PROBLEMS: usize = 20;

/// One problem of a CSV file, located.
pub struct ProblemView {
    pub kind: &'static str,
    pub line: String,
    pub column: String,
    pub message: String,
}

/// The validation report of one stored CSV file.
pub struct FileView {
    pub distribution: String,
    pub rows: u64,
    pub total: u64,
    pub problems: Vec<ProblemView>,
    pub more: bool,
}

/// A problem kind's name.
fn kind_name(lang: Lang, kind: &str) -> &'static str {
    let (vi, en) = match kind {
        "encoding-error" => (
            "Sai bảng mã (không phải UTF-8)",
            "Encoding error (not UTF-8)",
        ),
        "blank-label" => ("Cột không có tên", "Blank column name"),
        "duplicate-label" => ("Tên cột trùng", "Duplicate column name"),
        "extra-cell" => ("Thừa giá trị", "Extra value"),
        "missing-cell" => ("Thiếu giá trị", "Missing value"),
        "type-error" => ("Sai kiểu dữ liệu", "Value of the wrong type"),
        "blank-row" => ("Dòng trống", "Blank row"),
        "duplicate-row" => ("Dòng trùng lặp", "Duplicate row"),
        _ => ("Không đọc được tệp", "Unreadable file"),
    };
    pick(lang, Bilingual { vi, en })
}

/// The report of a stored CSV file for the dataset page.
pub fn file_view(
    lang: Lang,
    distribution: &str,
    report: &catalog::quality::csv_report::CsvReport,
) -> FileView {
    let total: u64 = report.counts.values().sum();
    FileView {
        distribution: distribution.to_owned(),
        rows: report.rows,
        total,
        problems: report
            .problems
            .iter()
            .take(SHOWN_PROBLEMS)
            .map(|p| ProblemView {
                kind: kind_name(lang, &p.kind),
                line: p.line.map(|l| l.to_string()).unwrap_or_default(),
                column: p.column.map(|c| c.to_string()).unwrap_or_default(),
                message: p.message.clone(),
            })
            .collect(),
        more: total > SHOWN_PROBLEMS as u64,
    }
}

/// The dataset page's score block.
pub struct ScoreView {
    pub t: &'static QualityText,
    pub points: u32,
    pub max: u32,
    pub percent: u32,
    pub rating: &'static str,
    pub rating_class: &'static str,
    pub dimensions: Vec<DimensionLine>,
    pub hints: Vec<Hint>,
    pub files: Vec<FileView>,
}

/// The score block of `report`.
pub fn score_view(lang: Lang, report: &QualityReport) -> ScoreView {
    ScoreView {
        t: text(lang),
        points: report.points,
        max: report.max_points,
        percent: report.percent,
        rating: pick(lang, report.rating.label()),
        rating_class: report.rating.as_str(),
        dimensions: report
            .dimensions
            .iter()
            .map(|d| DimensionLine {
                label: pick(lang, d.label),
                points: d.points,
                max: d.max_points,
            })
            .collect(),
        hints: report
            .missing()
            .map(|i| Hint {
                label: pick(lang, i.label),
                hint: pick(lang, i.hint),
                lost: i.max_points - i.points,
                details: i.missing.join(", "),
            })
            .collect(),
        files: Vec::new(),
    }
}

/// The score block of a dataset's content.
pub async fn score_of(
    state: &AppState,
    lang: Lang,
    content: &catalog::model::DatasetContent,
) -> Result<ScoreView, ApiError> {
    let inputs = QualityInputs::for_dataset(&state.catalog, content).await?;
    let mut view = score_view(lang, &inputs.score(content));
    for d in content.distributions.iter().filter(|d| d.is_csv_file()) {
        if let Some(sha) = &d.file_sha256 {
            let report = state.catalog.csv_report(sha).await?;
            view.files.push(file_view(lang, &d.id, &report));
        }
    }
    Ok(view)
}

struct IndicatorBar {
    label: &'static str,
    dimension: &'static str,
    met: u64,
    percent: u64,
}

struct AgencyRow {
    name: String,
    href: String,
    datasets: u64,
    percent: u32,
    rating: &'static str,
}

#[derive(Template)]
#[template(path = "quality.html")]
struct QualityPage {
    c: Chrome,
    q: &'static QualityText,
    datasets: u64,
    percent: u32,
    rating: &'static str,
    max_points: u32,
    /// Each band: its name, its datasets, and the search for them.
    ratings: Vec<(&'static str, u64, String)>,
    bars: Vec<IndicatorBar>,
    agencies: Vec<AgencyRow>,
}

/// `GET /quality`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    ctx.respond(build(&state, &ctx).await)
}

async fn build(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    let lang = ctx.lang;
    let q = text(lang);
    let summary = state.quality_memo.get(&state.catalog).await?;
    let labels = Labels::load(state, lang, &["agencies"]).await;
    let bars: Vec<IndicatorBar> = summary
        .indicators
        .iter()
        .map(|i| IndicatorBar {
            label: pick(lang, i.label),
            dimension: pick(lang, i.dimension.label()),
            met: i.met,
            percent: i.met * 100 / i.datasets.max(1),
        })
        .collect();
    let ratings = Rating::BEST_FIRST
        .into_iter()
        .map(|r| {
            (
                pick(lang, r.label()),
                summary
                    .catalog
                    .ratings
                    .get(r.as_str())
                    .copied()
                    .unwrap_or(0),
                format!("/search?quality={}&sort=quality", r.as_str()),
            )
        })
        .collect();
    let agencies = summary
        .agencies
        .iter()
        .map(|a| AgencyRow {
            name: labels.name("agencies", &a.agency),
            href: format!("/agency/{}", encode_segment(&a.agency)),
            datasets: a.totals.datasets,
            percent: a.totals.percent,
            rating: pick(lang, rating_of_percent(a.totals.percent).label()),
        })
        .collect();
    let page = QualityPage {
        c: ctx.chrome(q.page_title, "quality"),
        q,
        datasets: summary.catalog.datasets,
        percent: summary.catalog.percent,
        rating: pick(lang, rating_of_percent(summary.catalog.percent).label()),
        max_points: summary.max_points_per_dataset,
        ratings,
        bars,
        agencies,
    };
    Ok(ctx.html(StatusCode::OK, &page))
}

/// One day of an agency's trend.
pub struct TrendDay {
    pub day: String,
    pub percent: u32,
    pub datasets: u64,
}

/// The agency page's quality block: the average over its published datasets and its trend.
pub struct AgencyBlock {
    pub t: &'static QualityText,
    pub datasets: u64,
    pub percent: u32,
    pub rating: &'static str,
    pub trend: Vec<TrendDay>,
}

/// Days of trend shown on the agency page (the API answers a year).
const TREND_DAYS: u32 = 90;

/// The quality block of agency `code`.
pub async fn agency_block(
    state: &AppState,
    lang: Lang,
    code: &str,
) -> Result<AgencyBlock, ApiError> {
    let summary = state.catalog.quality_summary_of(Some(code)).await?;
    let history = state
        .catalog
        .quality_history(Some(code), TREND_DAYS)
        .await?;
    Ok(AgencyBlock {
        t: text(lang),
        datasets: summary.catalog.datasets,
        percent: summary.catalog.percent,
        rating: pick(lang, rating_of_percent(summary.catalog.percent).label()),
        trend: history
            .iter()
            .rev()
            .map(|d| TrendDay {
                day: lang.date(d.day),
                percent: d.percent,
                datasets: d.datasets,
            })
            .collect(),
    })
}
