//! Data quality: the metadata quality score of a dataset, in the spirit of data.europa.eu's Metadata Quality
//! Assessment (MQA), the validation report of a CSV file, and the link checks of distributions held elsewhere.
//!
//! [`score`] is a pure function of one revision's content, the registry items it names and what the link checks last
//! saw: every indicator has its points, whether the dataset earns them, and a plain-language hint (Vietnamese and
//! English) saying how to earn them. It is computed on read, so an edit changes the score at once, and any past
//! revision can be scored again; per-agency and catalog totals are kept per day in `catalog_quality_daily`
//! ([`store`]). The indicators and their points follow the MQA's five dimensions, fitted to this catalog's model:
//!
//! | dimension | indicator | points |
//! |---|---|---|
//! | findability | keywords, themes, spatial coverage, temporal coverage | 30, 30, 20, 20 |
//! | accessibility | access URL answers, download URL given, download URL answers | 50, 20, 30 |
//! | interoperability | format, media type, both from the registry's vocabulary, machine-readable, DCAT-AP | 20, 10, 10, 20, 30 |
//! | reusability | licence, licence in the EU vocabulary, access right, access right in the EU vocabulary, contact point, publisher | 20, 10, 10, 5, 20, 10 |
//! | contextuality | rights (the data class), byte size, date issued, date modified | 5, 5, 5, 5 |
//!
//! Indicators about distributions award their points in proportion to the distributions that meet them (rounded
//! down), as the MQA does; a dataset without a distribution earns none of them. A file the catalog stores counts as
//! answering; a URL held elsewhere answers when its latest link check got a 2xx or 3xx, and earns nothing until it
//! was checked. The rating bands are the MQA's, as shares of the maximum (excellent from 87 %, good from 55 %,
//! sufficient from 30 %).
pub mod csv_report;
pub mod dqv;
pub mod links;
pub mod store;

use registry::model::ItemData;
use serde::Serialize;

use crate::model::{DatasetContent, Distribution};

/// A text in both languages of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bilingual {
    /// Vietnamese.
    pub vi: &'static str,
    /// English.
    pub en: &'static str,
}

impl Bilingual {
    /// The text in `lang` (`en`, else Vietnamese).
    pub fn get(&self, lang: &str) -> &'static str {
        if lang == "en" { self.en } else { self.vi }
    }
}

/// The five MQA dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    /// Can the data be found?
    Findability,
    /// Can the data be reached?
    Accessibility,
    /// Can the data be used with other data and tools?
    Interoperability,
    /// May the data be reused, and who answers for it?
    Reusability,
    /// Does the metadata say enough about the data's context?
    Contextuality,
}

impl Dimension {
    /// Every dimension, in the MQA's order.
    pub const ALL: [Dimension; 5] = [
        Self::Findability,
        Self::Accessibility,
        Self::Interoperability,
        Self::Reusability,
        Self::Contextuality,
    ];

    /// As text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Findability => "findability",
            Self::Accessibility => "accessibility",
            Self::Interoperability => "interoperability",
            Self::Reusability => "reusability",
            Self::Contextuality => "contextuality",
        }
    }

    /// Its name for people.
    pub fn label(self) -> Bilingual {
        let (vi, en) = match self {
            Self::Findability => ("Dễ tìm", "Findability"),
            Self::Accessibility => ("Dễ truy cập", "Accessibility"),
            Self::Interoperability => ("Liên thông", "Interoperability"),
            Self::Reusability => ("Tái sử dụng", "Reusability"),
            Self::Contextuality => ("Ngữ cảnh", "Contextuality"),
        };
        Bilingual { vi, en }
    }
}

/// One indicator as defined: what it checks, its points, and how to earn them.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorDef {
    /// Stable id (`keywords`, `licence`, ...), also the tail of its `dqv:Metric` IRI.
    pub id: &'static str,
    /// Its dimension.
    pub dimension: Dimension,
    /// The most it awards.
    pub points: u32,
    /// What it checks.
    pub label: Bilingual,
    /// How a publisher earns its points.
    pub hint: Bilingual,
    /// Whether its outcome depends on the link checks (an observation of the moment, not a fact of the revision).
    pub observed: bool,
}

macro_rules! indicator {
    ($id:literal, $dim:ident, $points:literal, $observed:literal, ($lvi:literal, $len:literal), ($hvi:literal, $hen:literal)) => {
        IndicatorDef {
            id: $id,
            dimension: Dimension::$dim,
            points: $points,
            label: Bilingual { vi: $lvi, en: $len },
            hint: Bilingual { vi: $hvi, en: $hen },
            observed: $observed,
        }
    };
}

/// Every indicator, in the order they are shown.
pub const INDICATORS: &[IndicatorDef] = &[
    indicator!(
        "keywords",
        Findability,
        30,
        false,
        ("Từ khóa", "Keywords"),
        (
            "Thêm vài từ khóa mà người dùng sẽ gõ khi tìm dữ liệu này.",
            "Add a few keywords people would type to find this data."
        )
    ),
    indicator!(
        "themes",
        Findability,
        30,
        false,
        ("Chủ đề", "Themes"),
        (
            "Chọn ít nhất một chủ đề trong danh mục chủ đề.",
            "Pick at least one theme from the themes list."
        )
    ),
    indicator!(
        "spatial",
        Findability,
        20,
        false,
        ("Phạm vi không gian", "Spatial coverage"),
        (
            "Cho biết dữ liệu thuộc tỉnh, thành phố hoặc xã, phường nào.",
            "Say which province, city or commune the data covers."
        )
    ),
    indicator!(
        "temporal",
        Findability,
        20,
        false,
        ("Phạm vi thời gian", "Temporal coverage"),
        (
            "Cho biết dữ liệu bao quát khoảng thời gian nào (ngày bắt đầu, ngày kết thúc).",
            "Say which period the data covers (start and end dates)."
        )
    ),
    indicator!(
        "accessUrlAnswers",
        Accessibility,
        50,
        true,
        ("Đường dẫn truy cập hoạt động", "Access URLs answer"),
        (
            "Sửa hoặc thay các đường dẫn truy cập không còn hoạt động; tệp tải lên danh mục luôn được tính là hoạt động.",
            "Fix or replace access URLs that no longer answer; files uploaded to the catalog always count as answering."
        )
    ),
    indicator!(
        "downloadUrl",
        Accessibility,
        20,
        false,
        ("Có đường dẫn tải về", "Download URL given"),
        (
            "Tải tệp dữ liệu lên danh mục hoặc cho một đường dẫn tải trực tiếp cho mỗi bản phân phối.",
            "Upload the data file or give a direct download URL for every distribution."
        )
    ),
    indicator!(
        "downloadUrlAnswers",
        Accessibility,
        30,
        true,
        ("Đường dẫn tải về hoạt động", "Download URLs answer"),
        (
            "Sửa các đường dẫn tải về bị hỏng, hoặc tải tệp lên danh mục.",
            "Fix broken download URLs, or upload the file to the catalog."
        )
    ),
    indicator!(
        "format",
        Interoperability,
        20,
        false,
        ("Định dạng", "Format"),
        (
            "Chọn định dạng tệp cho mỗi bản phân phối.",
            "Pick a file format for every distribution."
        )
    ),
    indicator!(
        "mediaType",
        Interoperability,
        10,
        false,
        ("Kiểu phương tiện", "Media type"),
        (
            "Chọn một định dạng có kiểu phương tiện IANA, hoặc ghi kiểu phương tiện (ví dụ text/csv).",
            "Pick a format that has an IANA media type, or give the media type (for example text/csv)."
        )
    ),
    indicator!(
        "vocabulary",
        Interoperability,
        10,
        false,
        (
            "Định dạng theo danh mục dùng chung",
            "Format from the shared vocabulary"
        ),
        (
            "Dùng định dạng và kiểu phương tiện đúng như danh mục loại tệp quy định.",
            "Use the format and media type exactly as the file-types list gives them."
        )
    ),
    indicator!(
        "machineReadable",
        Interoperability,
        20,
        false,
        ("Máy đọc được", "Machine-readable"),
        (
            "Cung cấp dữ liệu ở định dạng máy đọc được (CSV, JSON, XML, GeoJSON...) thay vì PDF hay ảnh.",
            "Offer the data in a machine-readable format (CSV, JSON, XML, GeoJSON...) rather than PDF or images."
        )
    ),
    indicator!(
        "dcatAp",
        Interoperability,
        30,
        false,
        ("Tuân thủ DCAT-AP", "DCAT-AP conformant"),
        (
            "Điền đủ các trường bắt buộc của DCAT-AP và thêm ít nhất một bản phân phối.",
            "Fill in DCAT-AP's mandatory fields and add at least one distribution."
        )
    ),
    indicator!(
        "licence",
        Reusability,
        20,
        false,
        ("Giấy phép", "Licence"),
        (
            "Chọn giấy phép cho bộ dữ liệu (ví dụ CC BY 4.0) để người dùng biết được phép làm gì.",
            "Pick a licence for the dataset (for example CC BY 4.0) so people know what they may do."
        )
    ),
    indicator!(
        "licenceVocabulary",
        Reusability,
        10,
        false,
        (
            "Giấy phép theo từ vựng EU",
            "Licence from the EU vocabulary"
        ),
        (
            "Chọn giấy phép có trong từ vựng giấy phép của EU (như CC BY 4.0, CC0).",
            "Pick a licence found in the EU licence vocabulary (such as CC BY 4.0 or CC0)."
        )
    ),
    indicator!(
        "accessRight",
        Reusability,
        10,
        false,
        ("Quyền truy cập", "Access rights"),
        (
            "Cho biết dữ liệu công khai, hạn chế hay không công khai.",
            "Say whether the data is public, restricted or non-public."
        )
    ),
    indicator!(
        "accessRightVocabulary",
        Reusability,
        5,
        false,
        (
            "Quyền truy cập theo từ vựng EU",
            "Access rights from the EU vocabulary"
        ),
        (
            "Chọn quyền truy cập ánh xạ tới từ vựng quyền truy cập của EU.",
            "Pick an access right that maps to the EU access-right vocabulary."
        )
    ),
    indicator!(
        "contactPoint",
        Reusability,
        20,
        false,
        ("Đầu mối liên hệ", "Contact point"),
        (
            "Ghi tên và thư điện tử của người hoặc bộ phận trả lời câu hỏi về dữ liệu.",
            "Give the name and e-mail of the person or office who answers questions about the data."
        )
    ),
    indicator!(
        "publisher",
        Reusability,
        10,
        false,
        ("Cơ quan công bố", "Publisher"),
        (
            "Cho biết cơ quan công bố dữ liệu.",
            "Say which agency publishes the data."
        )
    ),
    indicator!(
        "rights",
        Contextuality,
        5,
        false,
        ("Phân loại dữ liệu", "Rights (data class)"),
        (
            "Chọn phân loại dữ liệu (dữ liệu mở, dùng chung...) để nói rõ chế độ quyền đối với dữ liệu.",
            "Pick the data class (open, shared...) to state the rights regime of the data."
        )
    ),
    indicator!(
        "byteSize",
        Contextuality,
        5,
        false,
        ("Dung lượng", "Byte size"),
        (
            "Tải tệp lên danh mục: dung lượng được ghi tự động.",
            "Upload the file to the catalog: its size is recorded for you."
        )
    ),
    indicator!(
        "issued",
        Contextuality,
        5,
        false,
        ("Ngày ban hành", "Date issued"),
        (
            "Ghi ngày dữ liệu được ban hành chính thức.",
            "Give the date the data was formally issued."
        )
    ),
    indicator!(
        "modified",
        Contextuality,
        5,
        false,
        ("Ngày cập nhật", "Date modified"),
        (
            "Ghi ngày dữ liệu được cập nhật gần nhất.",
            "Give the date the data last changed."
        )
    ),
];

/// The most points a dataset can score.
pub fn max_points() -> u32 {
    INDICATORS.iter().map(|i| i.points).sum()
}

/// The definition of indicator `id`.
pub fn indicator(id: &str) -> Option<&'static IndicatorDef> {
    INDICATORS.iter().find(|i| i.id == id)
}

/// What the link checks last saw of a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LinkState {
    /// Not checked yet.
    Unchecked,
    /// Its latest check got a 2xx or 3xx answer.
    Answers,
    /// Its latest check failed (an error status, a refused or failed connection, a timeout).
    Broken,
}

/// What [`score`] needs besides the content.
pub struct QualityContext<'a> {
    /// Looks up a registry item: (list id, code) -> item (file types, licences, access rights).
    pub lookup: &'a dyn Fn(&str, &str) -> Option<ItemData>,
    /// What the link checks last saw of a URL.
    pub links: &'a dyn Fn(&str) -> LinkState,
}

/// One indicator's outcome for one dataset.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IndicatorScore {
    /// The indicator's id.
    pub id: &'static str,
    /// Its dimension.
    pub dimension: Dimension,
    /// Points earned.
    pub points: u32,
    /// The most it awards.
    pub max_points: u32,
    /// True when every point is earned.
    pub met: bool,
    /// What it checks.
    pub label: Bilingual,
    /// How to earn its points (shown when not met).
    pub hint: Bilingual,
    /// For indicators about distributions: which ones fall short, by id (a broken link names its URL).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// True when the outcome depends on the link checks rather than on the revision alone.
    pub observed: bool,
}

/// A dimension's total.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DimensionScore {
    /// The dimension.
    pub dimension: Dimension,
    /// Its name.
    pub label: Bilingual,
    /// Points earned.
    pub points: u32,
    /// The most it awards.
    pub max_points: u32,
}

/// The MQA's rating bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    /// Below 30 % of the maximum.
    Bad,
    /// From 30 %.
    Sufficient,
    /// From 55 %.
    Good,
    /// From 87 %.
    Excellent,
}

impl Rating {
    /// Every band, best first.
    pub const BEST_FIRST: [Rating; 4] = [Self::Excellent, Self::Good, Self::Sufficient, Self::Bad];

    /// The band named `value` (as [`Rating::as_str`] writes it).
    pub fn parse(value: &str) -> Option<Self> {
        Self::BEST_FIRST.into_iter().find(|r| r.as_str() == value)
    }

    /// The band of `points` out of `max`.
    pub fn of(points: u32, max: u32) -> Self {
        let share = f64::from(points) / f64::from(max.max(1));
        if share >= 0.87 {
            Self::Excellent
        } else if share >= 0.55 {
            Self::Good
        } else if share >= 0.30 {
            Self::Sufficient
        } else {
            Self::Bad
        }
    }

    /// As text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bad => "bad",
            Self::Sufficient => "sufficient",
            Self::Good => "good",
            Self::Excellent => "excellent",
        }
    }

    /// Its name for people.
    pub fn label(self) -> Bilingual {
        let (vi, en) = match self {
            Self::Bad => ("Kém", "Bad"),
            Self::Sufficient => ("Đạt", "Sufficient"),
            Self::Good => ("Tốt", "Good"),
            Self::Excellent => ("Xuất sắc", "Excellent"),
        };
        Bilingual { vi, en }
    }
}

/// The quality score of one revision of a dataset.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct QualityReport {
    /// Points earned.
    pub points: u32,
    /// The most a dataset can score.
    pub max_points: u32,
    /// Points as a whole percentage of the maximum (rounded down).
    pub percent: u32,
    /// The rating band.
    pub rating: Rating,
    /// Per dimension.
    pub dimensions: Vec<DimensionScore>,
    /// Every indicator, met or not.
    pub indicators: Vec<IndicatorScore>,
}

impl QualityReport {
    /// The indicators not fully met, with their hints: what to fix.
    pub fn missing(&self) -> impl Iterator<Item = &IndicatorScore> {
        self.indicators.iter().filter(|i| !i.met)
    }

    /// Indicator `id`.
    pub fn indicator(&self, id: &str) -> Option<&IndicatorScore> {
        self.indicators.iter().find(|i| i.id == id)
    }
}

/// Formats whose data a program can read without guessing at layout (the EU's machine-readable formats among our
/// file types).
const MACHINE_READABLE: &[&str] = &[
    "CSV",
    "TSV",
    "JSON",
    "XML",
    "XLSX",
    "XLS",
    "ODS",
    "RDF_TURTLE",
    "RDF_XML",
    "JSON_LD",
    "RDF_N_TRIPLES",
    "RDF_N_QUADS",
    "RDF_TRIG",
    "GEOJSON",
    "SHP",
    "KML",
    "KMZ",
    "GML",
    "GPKG",
    "PARQUET",
    "YAML",
    "SQL",
    "ATOM",
    "RSS",
    "ICS",
    "WMS_SRVC",
    "WFS_SRVC",
];

const EU_AUTHORITY: &str = "http://publications.europa.eu/resource/authority/";

fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or(media_type)
        .trim()
        .to_ascii_lowercase()
}

/// Does the registry item map exactly to a concept of the EU authority table `table`?
fn in_eu_table(item: Option<&ItemData>, table: &str) -> bool {
    let prefix = format!("{EU_AUTHORITY}{table}/");
    item.is_some_and(|i| i.exact_match.iter().any(|iri| iri.starts_with(&prefix)))
}

/// The outcome of an indicator about distributions: how many meet it, and the ids (or URLs) of those that do not.
struct Share {
    met: usize,
    of: usize,
    missing: Vec<String>,
}

impl Share {
    fn over<'d>(
        distributions: &'d [Distribution],
        test: impl Fn(&'d Distribution) -> Result<(), String>,
    ) -> Self {
        let mut share = Share {
            met: 0,
            of: distributions.len(),
            missing: Vec::new(),
        };
        for d in distributions {
            match test(d) {
                Ok(()) => share.met += 1,
                Err(what) => share.missing.push(what),
            }
        }
        share
    }

    fn points(&self, max: u32) -> u32 {
        if self.of == 0 {
            0
        } else {
            (u64::from(max) * self.met as u64 / self.of as u64) as u32
        }
    }
}

/// Where a URL held elsewhere stands: `Ok` when it answers, else why not.
fn answers(ctx: &QualityContext, url: &str) -> Result<(), String> {
    match (ctx.links)(url) {
        LinkState::Answers => Ok(()),
        LinkState::Broken => Err(format!("{url} (broken)")),
        LinkState::Unchecked => Err(format!("{url} (not checked yet)")),
    }
}

/// Scores one revision's content. Pure: the same content, registry items and link states give the same report.
pub fn score(content: &DatasetContent, ctx: &QualityContext) -> QualityReport {
    let dists = content.distributions.as_slice();
    let format_item = |d: &Distribution| {
        d.format
            .as_deref()
            .and_then(|f| (ctx.lookup)("file-types", f))
    };
    let registry_media_type = |d: &Distribution| {
        format_item(d).and_then(|i| {
            i.attributes
                .get("mediaType")
                .and_then(|m| m.as_str())
                .map(essence)
        })
    };
    let mut indicators = Vec::with_capacity(INDICATORS.len());
    for def in INDICATORS {
        let whole = |ok: bool| Share {
            met: usize::from(ok),
            of: 1,
            missing: Vec::new(),
        };
        let share = match def.id {
            "keywords" => whole(!content.keywords.is_empty()),
            "themes" => whole(!content.themes.is_empty()),
            "spatial" => whole(!content.spatial.is_empty()),
            "temporal" => whole(
                content
                    .temporal
                    .as_ref()
                    .is_some_and(|p| p.start.is_some() || p.end.is_some()),
            ),
            "accessUrlAnswers" => Share::over(dists, |d| {
                if d.file_sha256.is_some() {
                    return Ok(());
                }
                match d.access_url.as_deref().or(d.download_url.as_deref()) {
                    Some(url) => answers(ctx, url),
                    None => Err(d.id.clone()),
                }
            }),
            "downloadUrl" => Share::over(dists, |d| {
                if d.file_sha256.is_some() || d.download_url.is_some() {
                    Ok(())
                } else {
                    Err(d.id.clone())
                }
            }),
            "downloadUrlAnswers" => Share::over(dists, |d| {
                if d.file_sha256.is_some() {
                    return Ok(());
                }
                match d.download_url.as_deref() {
                    Some(url) => answers(ctx, url),
                    None => Err(d.id.clone()),
                }
            }),
            "format" => Share::over(dists, |d| d.format.as_ref().map(|_| ()).ok_or(d.id.clone())),
            "mediaType" => Share::over(dists, |d| {
                if d.media_type.is_some() || registry_media_type(d).is_some() {
                    Ok(())
                } else {
                    Err(d.id.clone())
                }
            }),
            "vocabulary" => Share::over(dists, |d| {
                let known = format_item(d);
                let media_fits = match (&d.media_type, registry_media_type(d)) {
                    (Some(given), Some(listed)) => essence(given) == listed,
                    (None, Some(_)) => true,
                    _ => false,
                };
                if known.is_some() && media_fits {
                    Ok(())
                } else {
                    Err(d.id.clone())
                }
            }),
            "machineReadable" => Share::over(dists, |d| {
                let readable = d
                    .format
                    .as_deref()
                    .is_some_and(|f| MACHINE_READABLE.iter().any(|m| m.eq_ignore_ascii_case(f)));
                if readable { Ok(()) } else { Err(d.id.clone()) }
            }),
            "dcatAp" => whole(content.check_shape().is_empty() && !dists.is_empty()),
            "licence" => whole(
                content.licence.is_some()
                    || (!dists.is_empty() && dists.iter().all(|d| d.licence.is_some())),
            ),
            "licenceVocabulary" => {
                let codes: Vec<&String> = match &content.licence {
                    Some(l) => vec![l],
                    None => dists.iter().filter_map(|d| d.licence.as_ref()).collect(),
                };
                whole(
                    !codes.is_empty()
                        && codes
                            .iter()
                            .all(|c| in_eu_table((ctx.lookup)("licences", c).as_ref(), "licence")),
                )
            }
            "accessRight" => whole(content.access_right.is_some()),
            "accessRightVocabulary" => whole(content.access_right.as_deref().is_some_and(|c| {
                let item = (ctx.lookup)("access-rights", c);
                in_eu_table(item.as_ref(), "access-right")
            })),
            "contactPoint" => whole(content.contact_point.as_ref().is_some_and(|c| {
                !c.name.trim().is_empty()
                    && c.email.as_deref().is_some_and(|e| !e.trim().is_empty())
            })),
            "publisher" => whole(!content.publisher.trim().is_empty()),
            "rights" => whole(content.data_class.is_some()),
            "byteSize" => Share::over(dists, |d| d.byte_size.map(|_| ()).ok_or(d.id.clone())),
            "issued" => whole(content.issued.is_some()),
            "modified" => whole(content.modified.is_some()),
            other => unreachable!("indicator {other} has no rule"),
        };
        let points = share.points(def.points);
        indicators.push(IndicatorScore {
            id: def.id,
            dimension: def.dimension,
            points,
            max_points: def.points,
            met: points == def.points,
            label: def.label,
            hint: def.hint,
            missing: share.missing,
            observed: def.observed,
        });
    }
    let dimensions = Dimension::ALL
        .iter()
        .map(|&dimension| {
            let of_dim = indicators.iter().filter(|i| i.dimension == dimension);
            DimensionScore {
                dimension,
                label: dimension.label(),
                points: of_dim.clone().map(|i| i.points).sum(),
                max_points: of_dim.map(|i| i.max_points).sum(),
            }
        })
        .collect();
    let points: u32 = indicators.iter().map(|i| i.points).sum();
    let max = max_points();
    QualityReport {
        points,
        max_points: max,
        percent: points * 100 / max,
        rating: Rating::of(points, max),
        dimensions,
        indicators,
    }
}

#[cfg(test)]
mod tests;
