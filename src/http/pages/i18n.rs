//! The web site's two languages: every label in Vietnamese and English as one struct per language (a missing
//! translation is a compile error), and the way numbers, dates and sizes are written in each.
use chrono::{FixedOffset, NaiveDate};
use registry::model::LangText;

/// A language of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Vietnamese, the default.
    Vi,
    /// English.
    En,
}

impl Lang {
    /// `vi` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Vi => "vi",
            Self::En => "en",
        }
    }

    /// `vi` or `en` (anything else is not a language of the site).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "vi" => Some(Self::Vi),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The other language.
    pub fn other(self) -> Self {
        match self {
            Self::Vi => Self::En,
            Self::En => Self::Vi,
        }
    }

    /// The labels.
    pub fn text(self) -> &'static Text {
        match self {
            Self::Vi => &VI,
            Self::En => &EN,
        }
    }

    /// A text in this language, else in the other one, with the language it is in.
    pub fn pick(self, text: &LangText) -> Option<(String, &'static str)> {
        let (first, second) = match self {
            Self::Vi => (&text.vi, &text.en),
            Self::En => (&text.en, &text.vi),
        };
        first
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| (s.to_owned(), self.code()))
            .or_else(|| {
                second
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| (s.to_owned(), self.other().code()))
            })
    }

    /// An integer with thousands separators (`1.234` in Vietnamese, `1,234` in English).
    pub fn int(self, n: i64) -> String {
        let sep = match self {
            Self::Vi => '.',
            Self::En => ',',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    }

    /// A date: `01/07/2025` in Vietnamese, `1 Jul 2025` in English.
    pub fn date(self, d: NaiveDate) -> String {
        match self {
            Self::Vi => d.format("%d/%m/%Y").to_string(),
            Self::En => d.format("%-d %b %Y").to_string(),
        }
    }

    /// The day of an RFC 3339 time in Viet Nam (UTC+7); the text itself when it is not one.
    pub fn day_of(self, timestamp: &str) -> String {
        let vn = FixedOffset::east_opt(7 * 3600).expect("valid offset");
        match chrono::DateTime::parse_from_rfc3339(timestamp) {
            Ok(t) => self.date(t.with_timezone(&vn).date_naive()),
            Err(_) => timestamp.to_owned(),
        }
    }

    /// A size in bytes, in B, kB, MB or GB with one decimal in the language's style.
    pub fn size(self, bytes: u64) -> String {
        const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
        if bytes < 1000 {
            return format!("{bytes} B");
        }
        let mut value = bytes as f64 / 1000.0;
        let mut unit = 0;
        while value >= 1000.0 && unit < UNITS.len() - 1 {
            value /= 1000.0;
            unit += 1;
        }
        let text = format!("{value:.1}");
        let text = match self {
            Self::Vi => text.replace('.', ","),
            Self::En => text,
        };
        format!("{text} {}", UNITS[unit])
    }

    /// "x of y planned datasets published".
    pub fn plan_progress(self, published: usize, planned: usize) -> String {
        match self {
            Self::Vi => format!("Đã công bố {published} trên {planned} tập dữ liệu theo kế hoạch"),
            Self::En => format!("{published} of {planned} planned datasets published"),
        }
    }

    /// "Results 1–20 of 45".
    pub fn result_range(self, first: usize, last: usize, total: usize) -> String {
        let (first, last, total) = (
            self.int(first as i64),
            self.int(last as i64),
            self.int(total as i64),
        );
        match self {
            Self::Vi => format!("Kết quả {first}–{last} trong {total}"),
            Self::En => format!("Results {first}–{last} of {total}"),
        }
    }

    /// "12 datasets".
    pub fn datasets_count(self, n: usize) -> String {
        let count = self.int(n as i64);
        match self {
            Self::Vi => format!("{count} tập dữ liệu"),
            Self::En if n == 1 => "1 dataset".to_owned(),
            Self::En => format!("{count} datasets"),
        }
    }

    /// "3 revisions".
    pub fn revisions_count(self, n: usize) -> String {
        match self {
            Self::Vi => format!("{n} phiên bản sửa đổi"),
            Self::En if n == 1 => "1 revision".to_owned(),
            Self::En => format!("{n} revisions"),
        }
    }

    /// "Page 2".
    pub fn page_number(self, n: usize) -> String {
        match self {
            Self::Vi => format!("Trang {n}"),
            Self::En => format!("Page {n}"),
        }
    }

    /// "Remove filter: Theme: Health".
    pub fn remove_filter(self, what: &str) -> String {
        match self {
            Self::Vi => format!("Bỏ bộ lọc {what}"),
            Self::En => format!("Remove filter {what}"),
        }
    }

    /// "from 01/01/2020" / "until the end of 30/06/2025".
    pub fn validity(self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
        // `validTo` is the first day no longer valid: people read the last valid day.
        let last = to.and_then(|d| d.pred_opt());
        match (self, from, last) {
            (_, None, None) => String::new(),
            (Self::Vi, Some(f), None) => format!("từ {}", self.date(f)),
            (Self::Vi, None, Some(l)) => format!("đến hết {}", self.date(l)),
            (Self::Vi, Some(f), Some(l)) => {
                format!("từ {} đến hết {}", self.date(f), self.date(l))
            }
            (Self::En, Some(f), None) => format!("from {}", self.date(f)),
            (Self::En, None, Some(l)) => format!("until {} inclusive", self.date(l)),
            (Self::En, Some(f), Some(l)) => {
                format!("from {} to {} inclusive", self.date(f), self.date(l))
            }
        }
    }

    /// A registry item's status on a day.
    pub fn item_status(self, status: registry::model::StatusAt) -> &'static str {
        use registry::model::StatusAt as S;
        match (self, status) {
            (Self::Vi, S::Valid) => "Còn hiệu lực",
            (Self::Vi, S::Superseded) => "Đã được thay thế",
            (Self::Vi, S::Retired) => "Đã bãi bỏ",
            (Self::Vi, S::NotYetValid) => "Chưa có hiệu lực",
            (Self::Vi, S::Submitted) => "Đang đề xuất",
            (Self::Vi, S::Invalid) => "Không hợp lệ",
            (Self::En, S::Valid) => "Valid",
            (Self::En, S::Superseded) => "Superseded",
            (Self::En, S::Retired) => "Retired",
            (Self::En, S::NotYetValid) => "Not yet valid",
            (Self::En, S::Submitted) => "Submitted",
            (Self::En, S::Invalid) => "Invalid",
        }
    }

    /// A registered status as stored (`valid`, `superseded`, ...).
    pub fn registered_status(self, status: &str) -> &'static str {
        use registry::model::StatusAt as S;
        let at = match status {
            "valid" => S::Valid,
            "superseded" => S::Superseded,
            "retired" => S::Retired,
            "submitted" => S::Submitted,
            "notYetValid" => S::NotYetValid,
            _ => S::Invalid,
        };
        self.item_status(at)
    }

    /// A hierarchy level's name, for the levels the seed lists use; other levels are shown as they are.
    pub fn level(self, level: &str) -> String {
        let known = match (self, level) {
            (Self::Vi, "province") => "Tỉnh",
            (Self::Vi, "district") => "Huyện",
            (Self::Vi, "commune") => "Xã",
            (Self::En, "province") => "Province",
            (Self::En, "district") => "District",
            (Self::En, "commune") => "Commune",
            _ => return level.to_owned(),
        };
        known.to_owned()
    }

    /// The name of a language of the data.
    pub fn language_name(self, code: &str) -> String {
        match (self, code) {
            (Self::Vi, "vi") => "Tiếng Việt".into(),
            (Self::Vi, "en") => "Tiếng Anh".into(),
            (Self::En, "vi") => "Vietnamese".into(),
            (Self::En, "en") => "English".into(),
            _ => code.to_owned(),
        }
    }

    /// A plan item's state.
    pub fn plan_state(self, published: bool, overdue: bool, status: &str) -> &'static str {
        match (self, published, overdue, status) {
            (Self::Vi, true, _, _) => "Đã công bố",
            (Self::Vi, _, _, "cancelled") => "Đã huỷ",
            (Self::Vi, _, true, _) => "Quá hạn",
            (Self::Vi, _, _, "in-progress") => "Đang thực hiện",
            (Self::Vi, _, _, _) => "Theo kế hoạch",
            (Self::En, true, _, _) => "Published",
            (Self::En, _, _, "cancelled") => "Cancelled",
            (Self::En, _, true, _) => "Overdue",
            (Self::En, _, _, "in-progress") => "In progress",
            (Self::En, _, _, _) => "Planned",
        }
    }
}

/// Every fixed label of the site.
pub struct Text {
    pub site_name: &'static str,
    pub site_tagline: &'static str,
    pub skip_to_content: &'static str,
    pub main_nav: &'static str,
    pub nav_home: &'static str,
    pub nav_datasets: &'static str,
    pub nav_registry: &'static str,
    pub nav_manage: &'static str,
    pub nav_api: &'static str,
    pub switch_label: &'static str,
    pub switch_hint: &'static str,
    pub footer_about: &'static str,
    pub footer_data: &'static str,
    pub footer_dcat: &'static str,
    pub footer_sparql: &'static str,
    pub footer_sitemap: &'static str,
    pub footer_api: &'static str,
    pub breadcrumb: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,

    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub search_button: &'static str,
    pub home_intro: &'static str,
    pub stats_heading: &'static str,
    pub stat_datasets: &'static str,
    pub stat_publishers: &'static str,
    pub stat_code_lists: &'static str,
    pub themes_heading: &'static str,
    pub newest_heading: &'static str,
    pub all_datasets: &'static str,

    pub search_title: &'static str,
    pub filters_heading: &'static str,
    pub apply_filters: &'static str,
    pub active_filters: &'static str,
    pub clear_filters: &'static str,
    pub sort_label: &'static str,
    pub sort_relevance: &'static str,
    pub sort_modified: &'static str,
    pub sort_title: &'static str,
    pub results_heading: &'static str,
    pub no_results: &'static str,
    pub more_values: &'static str,
    pub paging: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    pub facet_theme: &'static str,
    pub facet_publisher: &'static str,
    pub facet_format: &'static str,
    pub facet_licence: &'static str,
    pub facet_province: &'static str,
    pub facet_access_right: &'static str,
    pub facet_year: &'static str,
    pub facet_source: &'static str,
    pub updated: &'static str,
    pub published_by: &'static str,

    pub dataset_withdrawn: &'static str,
    pub withdrawn_reason: &'static str,
    pub about_heading: &'static str,
    pub publisher: &'static str,
    pub themes: &'static str,
    pub keywords: &'static str,
    pub spatial: &'static str,
    pub temporal: &'static str,
    pub frequency: &'static str,
    pub licence: &'static str,
    pub access_right: &'static str,
    pub data_class: &'static str,
    pub languages: &'static str,
    pub issued: &'static str,
    pub first_published: &'static str,
    pub modified: &'static str,
    pub contact: &'static str,
    pub landing_page: &'static str,
    pub harvested_from: &'static str,
    pub conforms_to: &'static str,
    pub identifier: &'static str,
    pub distributions_heading: &'static str,
    pub no_distributions: &'static str,
    pub format: &'static str,
    pub media_type: &'static str,
    pub size: &'static str,
    pub checksum: &'static str,
    pub download: &'static str,
    pub open_link: &'static str,
    pub preview_heading: &'static str,
    pub preview_caption: &'static str,
    pub preview_truncated: &'static str,
    pub table_scroll: &'static str,
    pub table: &'static str,
    pub any_level: &'static str,
    pub api_heading: &'static str,
    pub api_intro: &'static str,
    pub api_json: &'static str,
    pub api_python: &'static str,
    pub api_download: &'static str,
    pub api_rows: &'static str,
    pub api_dcat: &'static str,
    pub versions_heading: &'static str,
    pub no_versions: &'static str,
    pub usage_heading: &'static str,
    pub usage_intro: &'static str,
    pub usage_views: &'static str,
    pub usage_downloads: &'static str,
    pub usage_api_calls: &'static str,
    pub version: &'static str,
    pub date: &'static str,
    pub notes: &'static str,
    pub revision: &'static str,
    pub revisions_note: &'static str,
    pub metadata_heading: &'static str,
    pub metadata_intro: &'static str,

    pub agency_datasets: &'static str,
    pub agency_no_datasets: &'static str,
    pub open_data_lists: &'static str,
    pub no_open_data_lists: &'static str,
    pub list_number: &'static str,
    pub issued_on: &'static str,
    pub manifest: &'static str,
    pub plan_heading: &'static str,
    pub no_plan: &'static str,
    pub planned_dataset: &'static str,
    pub target_date: &'static str,
    pub state: &'static str,
    pub dataset: &'static str,
    pub agency_in_registry: &'static str,

    pub registry_title: &'static str,
    pub registry_intro: &'static str,
    pub items_count: &'static str,
    pub latest_release: &'static str,
    pub no_release: &'static str,
    pub list_id: &'static str,
    pub uri: &'static str,
    pub owner: &'static str,
    pub levels: &'static str,
    pub downloads: &'static str,
    pub items_heading: &'static str,
    pub filter_text: &'static str,
    pub filter_status: &'static str,
    pub any_status: &'static str,
    pub filter_button: &'static str,
    pub code: &'static str,
    pub label: &'static str,
    pub level: &'static str,
    pub status: &'static str,
    pub validity: &'static str,
    pub successors: &'static str,
    pub predecessors: &'static str,
    pub parent: &'static str,
    pub children: &'static str,
    pub show_children: &'static str,
    pub no_items: &'static str,
    pub first_page: &'static str,
    pub releases_heading: &'static str,
    pub release: &'static str,
    pub items: &'static str,
    pub diff_previous: &'static str,
    pub all_levels: &'static str,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub definition: &'static str,
    pub legal_basis: &'static str,
    pub notations: &'static str,
    pub exact_match: &'static str,
    pub close_match: &'static str,
    pub attributes: &'static str,
    pub item_api: &'static str,
    pub item_history: &'static str,
    pub more_children: &'static str,

    pub error_not_found: &'static str,
    pub error_not_found_text: &'static str,
    pub error_bad_request: &'static str,
    pub error_bad_request_text: &'static str,
    pub error_other: &'static str,
    pub error_other_text: &'static str,
    pub back_home: &'static str,
}

/// Vietnamese.
pub static VI: Text = Text {
    site_name: "Dữ liệu mở Việt Nam",
    site_tagline: "Danh mục dữ liệu mở và danh mục dùng chung",
    skip_to_content: "Chuyển đến nội dung chính",
    main_nav: "Điều hướng chính",
    nav_home: "Trang chủ",
    nav_datasets: "Dữ liệu",
    nav_registry: "Danh mục dùng chung",
    nav_manage: "Quản lý",
    nav_api: "API",
    switch_label: "English",
    switch_hint: "View this page in English",
    footer_about: "Dữ liệu mở của các cơ quan nhà nước, mô tả theo DCAT-AP 3; danh mục dùng chung là nguồn mã duy nhất.",
    footer_data: "Dữ liệu cho nhà phát triển",
    footer_dcat: "Danh mục DCAT",
    footer_sparql: "Điểm truy vấn SPARQL",
    footer_sitemap: "Sơ đồ trang",
    footer_api: "API tập dữ liệu (JSON)",
    breadcrumb: "Đường dẫn",
    copy: "Sao chép",
    copied: "Đã sao chép",

    search_label: "Tìm tập dữ liệu",
    search_placeholder: "Ví dụ: đơn vị hành chính",
    search_button: "Tìm kiếm",
    home_intro: "Tìm, xem trước và tải về dữ liệu mở do các bộ, ngành và địa phương công bố; tra cứu các danh mục mã dùng chung.",
    stats_heading: "Số liệu của danh mục",
    stat_datasets: "Tập dữ liệu",
    stat_publishers: "Cơ quan công bố",
    stat_code_lists: "Danh mục dùng chung",
    themes_heading: "Chủ đề",
    newest_heading: "Dữ liệu mới cập nhật",
    all_datasets: "Xem tất cả tập dữ liệu",

    search_title: "Tìm kiếm dữ liệu",
    filters_heading: "Lọc kết quả",
    apply_filters: "Áp dụng bộ lọc",
    active_filters: "Bộ lọc đang dùng",
    clear_filters: "Xoá tất cả bộ lọc",
    sort_label: "Sắp xếp theo",
    sort_relevance: "Phù hợp nhất",
    sort_modified: "Mới cập nhật",
    sort_title: "Tên (A–Z)",
    results_heading: "Kết quả",
    no_results: "Không tìm thấy tập dữ liệu nào. Hãy thử từ khoá khác hoặc bỏ bớt bộ lọc.",
    more_values: "Thêm",
    paging: "Phân trang",
    previous_page: "Trang trước",
    next_page: "Trang sau",
    facet_theme: "Chủ đề",
    facet_publisher: "Cơ quan công bố",
    facet_format: "Định dạng",
    facet_licence: "Giấy phép",
    facet_province: "Tỉnh, thành phố",
    facet_access_right: "Quyền truy cập",
    facet_year: "Năm",
    facet_source: "Nguồn thu thập",
    updated: "Cập nhật",
    published_by: "Cơ quan công bố",

    dataset_withdrawn: "Tập dữ liệu này đã bị rút khỏi danh mục và không còn được cung cấp.",
    withdrawn_reason: "Lý do",
    about_heading: "Thông tin chung",
    publisher: "Cơ quan công bố",
    themes: "Chủ đề",
    keywords: "Từ khoá",
    spatial: "Phạm vi không gian",
    temporal: "Phạm vi thời gian",
    frequency: "Tần suất cập nhật",
    licence: "Giấy phép",
    access_right: "Quyền truy cập",
    data_class: "Loại dữ liệu",
    languages: "Ngôn ngữ",
    issued: "Ngày ban hành",
    first_published: "Công bố lần đầu",
    modified: "Cập nhật lần cuối",
    contact: "Liên hệ",
    landing_page: "Trang giới thiệu",
    harvested_from: "Thu thập từ",
    conforms_to: "Tuân theo chuẩn",
    identifier: "Mã định danh",
    distributions_heading: "Tải dữ liệu",
    no_distributions: "Tập dữ liệu này chưa có tệp để tải.",
    format: "Định dạng",
    media_type: "Kiểu tệp",
    size: "Dung lượng",
    checksum: "Mã băm SHA-256",
    download: "Tải về",
    open_link: "Mở liên kết",
    preview_heading: "Xem trước",
    preview_caption: "Các dòng đầu của",
    preview_truncated: "Chỉ hiển thị các dòng đầu; hãy tải tệp để xem đầy đủ.",
    table_scroll: "Bảng xem trước (cuộn ngang để xem thêm cột)",
    table: "Bảng",
    any_level: "Mọi cấp",
    api_heading: "Dùng qua API",
    api_intro: "Sao chép các lệnh dưới đây để lấy dữ liệu và siêu dữ liệu bằng chương trình.",
    api_json: "Siêu dữ liệu dạng JSON (curl)",
    api_python: "Python (thư viện chuẩn)",
    api_download: "Tải tệp (curl)",
    api_rows: "Truy vấn các dòng dữ liệu (curl)",
    api_dcat: "Siêu dữ liệu DCAT dạng Turtle (curl)",
    versions_heading: "Phiên bản",
    no_versions: "Chưa có phiên bản nào được đánh dấu.",
    usage_heading: "Lượt sử dụng",
    usage_intro: "30 ngày gần nhất (giờ UTC); chỉ đếm số lượt, không lưu thông tin cá nhân.",
    usage_views: "Lượt xem",
    usage_downloads: "Lượt tải xuống",
    usage_api_calls: "Lượt gọi API",
    version: "Phiên bản",
    date: "Ngày",
    notes: "Ghi chú",
    revision: "Bản sửa đổi",
    revisions_note: "Mỗi lần lưu là một bản sửa đổi không thể thay đổi; bản đang công bố là bản số",
    metadata_heading: "Siêu dữ liệu DCAT",
    metadata_intro: "Mô tả tập dữ liệu theo DCAT-AP 3:",

    agency_datasets: "Tập dữ liệu đã công bố",
    agency_no_datasets: "Cơ quan này chưa công bố tập dữ liệu nào.",
    open_data_lists: "Danh mục dữ liệu mở theo năm",
    no_open_data_lists: "Chưa ban hành danh mục dữ liệu mở nào.",
    list_number: "Số",
    issued_on: "Ban hành ngày",
    manifest: "Bản kê SHA-256",
    plan_heading: "Kế hoạch mở dữ liệu",
    no_plan: "Chưa có kế hoạch mở dữ liệu.",
    planned_dataset: "Tập dữ liệu dự kiến",
    target_date: "Hạn công bố",
    state: "Tình trạng",
    dataset: "Tập dữ liệu",
    agency_in_registry: "Mã cơ quan trong danh mục dùng chung",

    registry_title: "Danh mục dùng chung",
    registry_intro: "Các danh mục mã dùng chung là nguồn dữ liệu gốc duy nhất: mọi hệ thống tham chiếu mã, không sao chép danh mục. Mỗi thay đổi được xét duyệt, mỗi lần phát hành được đóng băng với bản kê SHA-256.",
    items_count: "Số mục",
    latest_release: "Lần phát hành mới nhất",
    no_release: "Chưa phát hành",
    list_id: "Mã danh mục",
    uri: "URI",
    owner: "Cơ quan chủ quản",
    levels: "Các cấp",
    downloads: "Tải danh mục",
    items_heading: "Các mục",
    filter_text: "Lọc theo mã hoặc tên (không cần dấu)",
    filter_status: "Trạng thái",
    any_status: "Mọi trạng thái",
    filter_button: "Lọc",
    code: "Mã",
    label: "Tên",
    level: "Cấp",
    status: "Trạng thái",
    validity: "Hiệu lực",
    successors: "Được thay thế bởi",
    predecessors: "Thay thế cho",
    parent: "Thuộc",
    children: "Các mục trực thuộc",
    show_children: "Xem mục trực thuộc",
    no_items: "Không có mục nào phù hợp.",
    first_page: "Trang đầu",
    releases_heading: "Các lần phát hành",
    release: "Lần phát hành",
    items: "Số mục",
    diff_previous: "So với lần trước",
    all_levels: "Tất cả các mục",
    label_vi: "Tên tiếng Việt",
    label_en: "Tên tiếng Anh",
    definition: "Định nghĩa",
    legal_basis: "Căn cứ pháp lý",
    notations: "Mã khác",
    exact_match: "Tương đương",
    close_match: "Gần tương đương",
    attributes: "Thuộc tính",
    item_api: "Mục này qua API (JSON)",
    item_history: "Lịch sử thay đổi (JSON)",
    more_children: "Xem tất cả mục trực thuộc",

    error_not_found: "Không tìm thấy trang",
    error_not_found_text: "Trang bạn tìm không tồn tại hoặc đã được chuyển đi.",
    error_bad_request: "Yêu cầu không hợp lệ",
    error_bad_request_text: "Không thể xử lý yêu cầu này:",
    error_other: "Đã có lỗi xảy ra",
    error_other_text: "Máy chủ không xử lý được yêu cầu. Vui lòng thử lại sau.",
    back_home: "Về trang chủ",
};

/// English.
pub static EN: Text = Text {
    site_name: "Viet Nam Open Data",
    site_tagline: "Open-data catalog and shared code lists",
    skip_to_content: "Skip to main content",
    main_nav: "Main navigation",
    nav_home: "Home",
    nav_datasets: "Datasets",
    nav_registry: "Code lists",
    nav_manage: "Manage",
    nav_api: "API",
    switch_label: "Tiếng Việt",
    switch_hint: "Xem trang này bằng tiếng Việt",
    footer_about: "Open data of state agencies, described with DCAT-AP 3; the shared code lists are the single source of codes.",
    footer_data: "Data for developers",
    footer_dcat: "DCAT catalog",
    footer_sparql: "SPARQL endpoint",
    footer_sitemap: "Sitemap",
    footer_api: "Dataset API (JSON)",
    breadcrumb: "Breadcrumb",
    copy: "Copy",
    copied: "Copied",

    search_label: "Search datasets",
    search_placeholder: "For example: administrative units",
    search_button: "Search",
    home_intro: "Find, preview and download the open data published by ministries, agencies and provinces; look up the shared code lists.",
    stats_heading: "The catalog in numbers",
    stat_datasets: "Datasets",
    stat_publishers: "Publishers",
    stat_code_lists: "Shared code lists",
    themes_heading: "Themes",
    newest_heading: "Recently updated",
    all_datasets: "Browse all datasets",

    search_title: "Search datasets",
    filters_heading: "Filter results",
    apply_filters: "Apply filters",
    active_filters: "Active filters",
    clear_filters: "Clear all filters",
    sort_label: "Sort by",
    sort_relevance: "Best match",
    sort_modified: "Recently updated",
    sort_title: "Title (A–Z)",
    results_heading: "Results",
    no_results: "No dataset found. Try other words or remove some filters.",
    more_values: "More",
    paging: "Pagination",
    previous_page: "Previous page",
    next_page: "Next page",
    facet_theme: "Theme",
    facet_publisher: "Publisher",
    facet_format: "Format",
    facet_licence: "Licence",
    facet_province: "Province",
    facet_access_right: "Access right",
    facet_year: "Year",
    facet_source: "Harvested from",
    updated: "Updated",
    published_by: "Publisher",

    dataset_withdrawn: "This dataset has been withdrawn from the catalog and is no longer provided.",
    withdrawn_reason: "Reason",
    about_heading: "About this dataset",
    publisher: "Publisher",
    themes: "Themes",
    keywords: "Keywords",
    spatial: "Spatial coverage",
    temporal: "Temporal coverage",
    frequency: "Update frequency",
    licence: "Licence",
    access_right: "Access right",
    data_class: "Data class",
    languages: "Languages",
    issued: "Issued",
    first_published: "First published",
    modified: "Last updated",
    contact: "Contact",
    landing_page: "Landing page",
    harvested_from: "Harvested from",
    conforms_to: "Conforms to",
    identifier: "Identifier",
    distributions_heading: "Download",
    no_distributions: "This dataset has no file to download yet.",
    format: "Format",
    media_type: "Media type",
    size: "Size",
    checksum: "SHA-256 checksum",
    download: "Download",
    open_link: "Open link",
    preview_heading: "Preview",
    preview_caption: "First rows of",
    preview_truncated: "Only the first rows are shown; download the file to see everything.",
    table_scroll: "Preview table (scroll sideways for more columns)",
    table: "Table",
    any_level: "Any level",
    api_heading: "Use it from the API",
    api_intro: "Copy these commands to get the data and metadata from a program.",
    api_json: "Metadata as JSON (curl)",
    api_python: "Python (standard library)",
    api_download: "Download the file (curl)",
    api_rows: "Query the rows (curl)",
    api_dcat: "DCAT metadata in Turtle (curl)",
    versions_heading: "Versions",
    no_versions: "No version has been marked yet.",
    usage_heading: "Usage",
    usage_intro: "The last 30 days (UTC); only counts are kept, no personal data.",
    usage_views: "Page views",
    usage_downloads: "Downloads",
    usage_api_calls: "API calls",
    version: "Version",
    date: "Date",
    notes: "Notes",
    revision: "Revision",
    revisions_note: "Every save is an immutable revision; the published one is number",
    metadata_heading: "DCAT metadata",
    metadata_intro: "This dataset described with DCAT-AP 3:",

    agency_datasets: "Published datasets",
    agency_no_datasets: "This agency has not published any dataset yet.",
    open_data_lists: "Open-data lists by year",
    no_open_data_lists: "No open-data list has been issued yet.",
    list_number: "No.",
    issued_on: "Issued on",
    manifest: "SHA-256 manifest",
    plan_heading: "Open-data plan",
    no_plan: "No open-data plan yet.",
    planned_dataset: "Planned dataset",
    target_date: "Target date",
    state: "State",
    dataset: "Dataset",
    agency_in_registry: "The agency's code in the shared code lists",

    registry_title: "Shared code lists",
    registry_intro: "The shared code lists are the single source of truth: every system references a code and never copies the list. Every change is reviewed; every release is frozen with a SHA-256 manifest.",
    items_count: "Items",
    latest_release: "Latest release",
    no_release: "Not released yet",
    list_id: "List id",
    uri: "URI",
    owner: "Owner",
    levels: "Levels",
    downloads: "Download the list",
    items_heading: "Items",
    filter_text: "Filter by code or name (diacritics optional)",
    filter_status: "Status",
    any_status: "Any status",
    filter_button: "Filter",
    code: "Code",
    label: "Name",
    level: "Level",
    status: "Status",
    validity: "Validity",
    successors: "Superseded by",
    predecessors: "Replaces",
    parent: "Part of",
    children: "Items below",
    show_children: "Show items below",
    no_items: "No matching item.",
    first_page: "First page",
    releases_heading: "Releases",
    release: "Release",
    items: "Items",
    diff_previous: "Changes since the previous",
    all_levels: "All items",
    label_vi: "Vietnamese name",
    label_en: "English name",
    definition: "Definition",
    legal_basis: "Legal basis",
    notations: "Other notations",
    exact_match: "Exact match",
    close_match: "Close match",
    attributes: "Attributes",
    item_api: "This item from the API (JSON)",
    item_history: "Change history (JSON)",
    more_children: "See every item below",

    error_not_found: "Page not found",
    error_not_found_text: "The page you are looking for does not exist or has moved.",
    error_bad_request: "Bad request",
    error_bad_request_text: "This request cannot be handled:",
    error_other: "Something went wrong",
    error_other_text: "The server could not handle the request. Please try again later.",
    back_home: "Back to the home page",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_dates_and_sizes_follow_the_language() {
        assert_eq!(Lang::Vi.int(1234567), "1.234.567");
        assert_eq!(Lang::En.int(1234), "1,234");
        assert_eq!(Lang::En.int(999), "999");
        let d = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        assert_eq!(Lang::Vi.date(d), "01/07/2025");
        assert_eq!(Lang::En.date(d), "1 Jul 2025");
        // 17:30 UTC is the next day in Viet Nam.
        assert_eq!(Lang::Vi.day_of("2025-06-30T17:30:00Z"), "01/07/2025");
        assert_eq!(Lang::Vi.size(1_500_000), "1,5 MB");
        assert_eq!(Lang::En.size(999), "999 B");
        assert_eq!(
            Lang::Vi.validity(None, Some(d)),
            "đến hết 30/06/2025",
            "validTo is exclusive"
        );
    }

    #[test]
    fn a_missing_language_falls_back_to_the_other() {
        let t = LangText::new(Some("Y tế"), None);
        assert_eq!(Lang::En.pick(&t), Some(("Y tế".to_owned(), "vi")));
        assert_eq!(Lang::Vi.pick(&t), Some(("Y tế".to_owned(), "vi")));
    }
}
