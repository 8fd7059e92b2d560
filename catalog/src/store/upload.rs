//! Adding a file to a distribution: the one use case behind the API's upload, the curation pages' upload form and
//! their upload script. It owns the whole path: streaming into the content-addressed [`crate::files::FileStore`], the
//! one "is this a CSV?" decision ([`Distribution::is_csv`]), the CSV ingest for the data API (a ragged row or a bad
//! encoding refuses the upload naming its line, and the dataset is left as it was), and the new revision.
use serde::Serialize;

use super::{Catalog, Curator, DatasetRecord, Expected};
use crate::error::CatalogError;
use crate::files::StoredFile;
use crate::model::{DatasetContent, Distribution, check_distribution_id, distribution_id};

/// What comes with an uploaded file.
#[derive(Debug, Clone, Default)]
pub struct NewFile<'a> {
    /// The distribution it belongs to (added when missing); `None` adds a new one named after the file.
    pub distribution: Option<&'a str>,
    /// The file's name on the uploader's disk.
    pub file_name: Option<&'a str>,
    /// Its media type as sent (`application/octet-stream` says nothing).
    pub media_type: Option<&'a str>,
    /// The title of a new distribution (default: the file name).
    pub title: Option<&'a str>,
    /// A code of the `file-types` list (inferred for CSV from the name or media type when absent).
    pub format: Option<&'a str>,
}

/// A file added to a distribution.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddedFile {
    /// The stored file (sha256, size).
    pub file: StoredFile,
    /// The distribution it is on.
    #[serde(skip)]
    pub distribution: String,
    /// The dataset's new revision.
    pub dataset: DatasetRecord,
}

impl NewFile<'_> {
    fn media_type(&self) -> Option<String> {
        self.media_type
            .map(|m| m.split(';').next().unwrap_or(m).trim())
            .filter(|m| !m.is_empty() && *m != "application/octet-stream")
            .map(str::to_owned)
    }

    /// The format it declares, or `CSV` for a `.csv` name or a `text/csv` media type.
    fn format(&self) -> Option<String> {
        let named_csv = self
            .file_name
            .is_some_and(|n| n.to_ascii_lowercase().ends_with(".csv"));
        let typed_csv = self.media_type().as_deref() == Some("text/csv");
        self.format
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .or_else(|| (named_csv || typed_csv).then(|| "CSV".to_owned()))
    }

    /// `content` with `file` on its distribution, and that distribution.
    fn apply(&self, content: &DatasetContent, file: &StoredFile) -> (DatasetContent, Distribution) {
        let mut content = content.clone();
        let list = &mut content.distributions;
        let did = match self.distribution {
            Some(did) => did.to_owned(),
            None => distribution_id(self.file_name.unwrap_or("file"), list),
        };
        let index = match list.iter().position(|d| d.id == did) {
            Some(i) => i,
            None => {
                let mut d = Distribution::new(did);
                if self.distribution.is_none() {
                    d.title.vi = Some(
                        self.title
                            .filter(|t| !t.trim().is_empty())
                            .or(self.file_name)
                            .unwrap_or("file")
                            .to_owned(),
                    );
                }
                list.push(d);
                list.len() - 1
            }
        };
        let d = &mut list[index];
        d.file_sha256 = Some(file.sha256.clone());
        d.byte_size = Some(file.byte_size);
        if d.media_type.is_none() {
            d.media_type = self.media_type().or_else(|| {
                (self.format().as_deref() == Some("CSV")).then(|| "text/csv".to_owned())
            });
        }
        if d.format.is_none() {
            d.format = self.format();
        }
        let d = d.clone();
        (content, d)
    }
}

impl Catalog {
    /// Streams a file into the store and records it on a distribution of dataset `id` as a new revision; a CSV is
    /// ingested for the data API first (with the distribution's declared column types).
    pub async fn add_file<S, B, E>(
        &self,
        curator: &Curator<'_>,
        id: &str,
        new: &NewFile<'_>,
        chunks: S,
        limit: u64,
        expected: &Expected,
    ) -> Result<AddedFile, CatalogError>
    where
        S: futures_util::Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let files = self.files()?;
        curator.check_edit(&self.publisher_of(id).await?)?;
        if let Some(did) = new.distribution {
            check_distribution_id(did).map_err(|p| CatalogError::Invalid(vec![p]))?;
        }
        let file = files.store(chunks, limit).await?;
        let current = self.get(id, None, false).await?.content;
        let (_, distribution) = new.apply(&current, &file);
        if distribution.is_csv() {
            let path = self.file_path(&file.sha256)?;
            self.ingest_csv(&file.sha256, &path, &distribution.column_types)
                .await?;
            // Its validation report now, so the publisher sees it before submitting (kept once per file hash).
            self.csv_report(&file.sha256).await?;
        }
        let message = format!(
            "file {} uploaded ({} bytes)",
            distribution.id, file.byte_size
        );
        let dataset = self
            .save(curator, id, expected, Some(&message), |base| {
                Ok(new.apply(base, &file).0)
            })
            .await?;
        // The distribution as saved (a new one may have been renamed if another took its name meanwhile).
        let distribution = dataset
            .content
            .distributions
            .iter()
            .rev()
            .find(|d| d.file_sha256.as_deref() == Some(file.sha256.as_str()))
            .map_or(distribution.id, |d| d.id.clone());
        Ok(AddedFile {
            file,
            distribution,
            dataset,
        })
    }
}
