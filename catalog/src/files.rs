//! Content-addressed file storage under the data directory: `files/sha256/ab/abcdef…`.
//!
//! An upload streams into a temporary file in the same file system while its sha256 and size are computed, is synced,
//! and is then renamed into place, so a reader never sees a partial file and an interrupted upload leaves only a
//! temporary file that the next start removes. Identical content is stored once.
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The body exceeded the limit; nothing was stored.
    #[error("the upload exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The client's body stream failed (e.g. the connection dropped); nothing was stored.
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    /// The disk failed.
    #[error("file storage error: {0}")]
    Io(#[from] std::io::Error),
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StoredFile {
    /// Lowercase hex sha256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub byte_size: u64,
}

/// The file store.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    /// A store under `data_dir/files`, removing temporary files left by interrupted uploads.
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let root = data_dir.join("files");
        let tmp = root.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
        std::fs::create_dir_all(root.join("sha256"))?;
        Ok(Self { root })
    }

    /// Where the content with this hash lives (whether or not it exists). The hash is checked to be 64 hex digits, so
    /// no path can be smuggled in.
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        let ok = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| self.root.join("sha256").join(&sha256[..2]).join(sha256))
    }

    /// Streams `chunks` into the store, refusing more than `limit` bytes.
    pub async fn store<S, B, E>(&self, mut chunks: S, limit: u64) -> Result<StoredFile, UploadError>
    where
        S: futures_util::Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        use futures_util::StreamExt;
        let tmp_path = self.root.join("tmp").join(format!(
            "upload-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        let result = async {
            let mut file = tokio::fs::File::create(&tmp_path).await?;
            let mut hasher = Sha256::new();
            let mut size: u64 = 0;
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.map_err(|e| UploadError::Interrupted(e.to_string()))?;
                let bytes = chunk.as_ref();
                size += bytes.len() as u64;
                if size > limit {
                    return Err(UploadError::TooLarge { limit });
                }
                hasher.update(bytes);
                file.write_all(bytes).await?;
            }
            file.sync_all().await?;
            Ok(StoredFile {
                sha256: hex::encode(hasher.finalize()),
                byte_size: size,
            })
        }
        .await;
        match result {
            Ok(stored) => {
                let target = self.path(&stored.sha256).expect("a computed hash is valid");
                tokio::fs::create_dir_all(target.parent().expect("nested path")).await?;
                tokio::fs::rename(&tmp_path, &target).await?;
                if let Some(dir) = target.parent()
                    && let Ok(d) = tokio::fs::File::open(dir).await
                {
                    // Make the rename durable.
                    d.sync_all().await.ok();
                }
                Ok(stored)
            }
            Err(e) => {
                tokio::fs::remove_file(&tmp_path).await.ok();
                Err(e)
            }
        }
    }
}
