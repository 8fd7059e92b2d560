//! The search page's own labels in Vietnamese and English (one struct per language, so a missing translation is a
//! compile error): code items beside the datasets, their validity, and the help a search gets.
use super::super::Lang;

/// Labels of the search page's code items and search help.
pub struct SearchText {
    /// Heading of the code items found.
    pub codes_heading: &'static str,
    /// Valid code.
    pub valid: &'static str,
    /// Code not valid yet.
    pub not_yet_valid: &'static str,
    /// Proposed code.
    pub submitted: &'static str,
    /// Closed code, before the date.
    pub closed_on: &'static str,
    /// Closed code without a known date.
    pub closed: &'static str,
    /// Before the successors of a closed code.
    pub succeeded_by: &'static str,
    /// Before the parent of an item.
    pub part_of: &'static str,
    /// When no dataset has every word.
    pub relaxed: &'static str,
    /// Before the corrected query.
    pub did_you_mean: &'static str,
    /// Before the synonyms applied.
    pub synonyms: &'static str,
    /// Heading of the suggestions.
    pub suggestions: &'static str,
    /// Marks a dataset suggestion.
    pub dataset: &'static str,
    /// Status message when suggestions are shown (`{n}` is their number).
    pub suggestions_shown: &'static str,
    /// Legend of the quality rating facet.
    pub facet_quality: &'static str,
    /// The sort by quality score.
    pub sort_quality: &'static str,
    /// Before a result's quality rating.
    pub quality: &'static str,
    /// Levels by `(list, level)`.
    pub levels: &'static [(&'static str, &'static str, &'static str)],
}

const VI: SearchText = SearchText {
    codes_heading: "Mã trong danh mục dùng chung",
    valid: "Còn hiệu lực",
    not_yet_valid: "Chưa có hiệu lực",
    submitted: "Đang đề xuất",
    closed_on: "Đã đóng từ ngày",
    closed: "Đã đóng",
    succeeded_by: "Thay bằng",
    part_of: "Thuộc",
    relaxed: "Không có tập dữ liệu nào chứa đủ mọi từ đã nhập; dưới đây là các tập dữ liệu chứa một phần, nhiều từ nhất trước.",
    did_you_mean: "Có phải bạn muốn tìm",
    synonyms: "Đã tìm cả từ đồng nghĩa",
    suggestions: "Gợi ý",
    dataset: "Tập dữ liệu",
    suggestions_shown: "{n} gợi ý",
    facet_quality: "Chất lượng siêu dữ liệu",
    sort_quality: "Chất lượng (cao trước)",
    quality: "Chất lượng:",
    levels: &[
        ("administrative-units", "province", "Tỉnh, thành phố"),
        ("administrative-units", "district", "Huyện (cũ)"),
        ("administrative-units", "commune", "Xã, phường"),
        ("agencies", "level-1", "Bộ, cơ quan ngang bộ"),
    ],
};

const EN: SearchText = SearchText {
    codes_heading: "Codes in the shared code lists",
    valid: "Valid",
    not_yet_valid: "Not valid yet",
    submitted: "Proposed",
    closed_on: "Closed on",
    closed: "Closed",
    succeeded_by: "Replaced by",
    part_of: "Part of",
    relaxed: "No dataset has every word you typed; these have some of them, those with most words first.",
    did_you_mean: "Did you mean",
    synonyms: "Also searched for synonyms",
    suggestions: "Suggestions",
    dataset: "Dataset",
    suggestions_shown: "{n} suggestions",
    facet_quality: "Metadata quality",
    sort_quality: "Quality (best first)",
    quality: "Quality:",
    levels: &[
        ("administrative-units", "province", "Province"),
        ("administrative-units", "district", "District (former)"),
        ("administrative-units", "commune", "Commune"),
        ("agencies", "level-1", "Ministry or ministry-level agency"),
    ],
};

/// The labels in `lang`.
pub fn search_text(lang: Lang) -> &'static SearchText {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

impl SearchText {
    /// A level's name, else the level as written.
    pub fn level(&self, list: &str, level: &str) -> String {
        self.levels
            .iter()
            .find(|(l, v, _)| *l == list && *v == level)
            .map_or_else(|| level.to_owned(), |(_, _, name)| (*name).to_owned())
    }
}
