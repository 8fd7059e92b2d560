//! Text folding for Vietnamese: matching without diacritics and with `d` for `đ`.
use unicode_normalization::UnicodeNormalization;

/// Lowercases, removes diacritics (combining marks after canonical decomposition) and maps `đ` to `d`.
///
/// ```
/// assert_eq!(registry::text::fold("Thành phố Hà Nội"), "thanh pho ha noi");
/// assert_eq!(registry::text::fold("Đắk Lắk"), "dak lak");
/// ```
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !('\u{0300}'..='\u{036F}').contains(c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}
