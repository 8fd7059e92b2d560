//! `opendata generate`: a deterministic synthetic catalog for benchmarks — N published datasets with Vietnamese and
//! English text drawn from phrase lists and the seed code lists, real registry codes (current agencies, themes,
//! provinces, licences, formats, frequencies), and distributions, written through the catalog's bulk path (the same
//! rows, revisions and change-log entries as create + publish). The same seed gives the same catalog.
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use registry::model::{ItemData, LangText, StatusAt};

use catalog::model::{DatasetContent, Distribution, Keywords, Period};
use catalog::store::{Actor, Catalog};

const TOPICS: &[(&str, &str)] = &[
    ("Danh sách cơ sở y tế", "Health facilities"),
    ("Số liệu dân số", "Population figures"),
    ("Kết quả tuyển sinh", "Admission results"),
    ("Chỉ số giá tiêu dùng", "Consumer price index"),
    ("Quan trắc chất lượng không khí", "Air quality monitoring"),
    (
        "Danh mục doanh nghiệp đăng ký mới",
        "Newly registered enterprises",
    ),
    ("Thu ngân sách nhà nước", "State budget revenue"),
    ("Sản lượng lúa", "Rice production"),
    ("Lao động có việc làm", "Employed labour force"),
    ("Tai nạn giao thông", "Traffic accidents"),
    (
        "Điểm truy cập internet công cộng",
        "Public internet access points",
    ),
    ("Trường học phổ thông", "General education schools"),
    ("Dự án đầu tư công", "Public investment projects"),
    ("Lượng mưa theo tháng", "Monthly rainfall"),
    ("Giá đất", "Land prices"),
    ("Thủ tục hành chính", "Administrative procedures"),
    ("Điện năng tiêu thụ", "Electricity consumption"),
    ("Di tích lịch sử văn hóa", "Historical and cultural sites"),
    ("Hộ nghèo và cận nghèo", "Poor and near-poor households"),
    ("Chất lượng nước mặt", "Surface water quality"),
];
const QUALIFIERS: &[(&str, &str)] = &[
    ("theo quý", "by quarter"),
    ("theo năm", "by year"),
    ("theo đơn vị hành chính", "by administrative unit"),
    ("chi tiết", "in detail"),
    ("tổng hợp", "summary"),
];
const FORMATS: &[&str] = &["CSV", "JSON", "XLSX", "PDF", "XML"];

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Generates `n` datasets (ids `gen-000001`…) and returns how many were written.
pub async fn generate(
    catalog: &Catalog,
    n: usize,
    seed: u64,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let registry = catalog.registry();
    let today = chrono::Utc::now().date_naive();
    let valid = |items: Vec<ItemData>| -> Vec<ItemData> {
        items
            .into_iter()
            .filter(|i| i.status_at(today) == StatusAt::Valid)
            .collect()
    };
    let agencies = valid(registry.all_items("agencies").await?);
    let themes = valid(registry.all_items("themes").await?);
    let provinces: Vec<ItemData> = valid(registry.all_items("administrative-units").await?)
        .into_iter()
        .filter(|i| i.level.as_deref() == Some("province"))
        .collect();
    let licences = valid(registry.all_items("licences").await?);
    let frequencies = valid(registry.all_items("frequencies").await?);
    if agencies.is_empty() || themes.is_empty() || provinces.is_empty() || licences.is_empty() {
        return Err(
            "generate needs the seed code lists (agencies, themes, administrative-units, licences)"
                .into(),
        );
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut written = 0;
    let mut batch = Vec::with_capacity(2000);
    for i in 1..=n {
        let (topic_vi, topic_en) = *pick(&mut rng, TOPICS);
        let (q_vi, q_en) = *pick(&mut rng, QUALIFIERS);
        let province = pick(&mut rng, &provinces);
        let year = rng.random_range(2015..=2025);
        let pname = province.labels.vi.clone().unwrap_or_default();
        let title = LangText::new(
            Some(&format!("{topic_vi} {q_vi} - {pname} năm {year}")),
            Some(&format!("{topic_en} {q_en} - {pname} {year}")),
        );
        let description = LangText::new(
            Some(&format!(
                "{topic_vi} {q_vi} trên địa bàn {pname} năm {year}, do cơ quan chủ quản công bố định kỳ; số liệu được cập nhật và chuẩn hóa theo danh mục dùng chung."
            )),
            Some(&format!(
                "{topic_en} {q_en} in {pname}, {year}, published regularly by the owning agency."
            )),
        );
        let theme_count = rng.random_range(1..=2);
        let mut ds_themes: Vec<String> = (0..theme_count)
            .map(|_| pick(&mut rng, &themes).code.clone())
            .collect();
        ds_themes.sort();
        ds_themes.dedup();
        let dist_count = rng.random_range(1..=3);
        let distributions = (0..dist_count)
            .map(|d| {
                let format = *pick(&mut rng, FORMATS);
                Distribution {
                    id: format!("d{d}"),
                    title: LangText::new(
                        Some(&format!("Tệp {format}")),
                        Some(&format!("{format} file")),
                    ),
                    description: LangText::default(),
                    access_url: None,
                    download_url: Some(format!(
                        "https://data.example.gov.vn/files/gen-{i:06}/{d}.{}",
                        format.to_lowercase()
                    )),
                    file_sha256: None,
                    byte_size: Some(rng.random_range(1_000..50_000_000)),
                    format: Some(format.to_owned()),
                    media_type: None,
                    licence: None,
                    column_types: Default::default(),
                }
            })
            .collect();
        let content = DatasetContent {
            title,
            description,
            publisher: pick(&mut rng, &agencies).code.clone(),
            contact_point: None,
            themes: ds_themes,
            keywords: Keywords {
                vi: vec![topic_vi.to_lowercase(), pname.clone()],
                en: vec![topic_en.to_lowercase()],
            },
            spatial: vec![province.code.clone()],
            temporal: Some(Period {
                start: chrono::NaiveDate::from_ymd_opt(year, 1, 1),
                end: chrono::NaiveDate::from_ymd_opt(year, 12, 31),
            }),
            frequency: if frequencies.is_empty() {
                None
            } else {
                Some(pick(&mut rng, &frequencies).code.clone())
            },
            languages: vec!["vi".into()],
            licence: Some(pick(&mut rng, &licences).code.clone()),
            access_right: Some("public".into()),
            data_class: None,
            landing_page: None,
            conforms_to: vec![],
            issued: chrono::NaiveDate::from_ymd_opt(
                year,
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            ),
            modified: None,
            reference_date: None,
            distributions,
            provenance: None,
        };
        batch.push((format!("gen-{i:06}"), content));
        if batch.len() == 2000 || i == n {
            written += catalog
                .create_published_batch(std::mem::take(&mut batch), &Actor { name: "generator" })
                .await?;
            tracing::info!(written, "generated");
        }
    }
    Ok(written)
}
