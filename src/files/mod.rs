//! Where the dossiers' files live: the local disk or an S3-compatible store, each object named by
//! the SHA-256 of its bytes. An upload streams into a temporary object, hashing as it goes, and
//! is moved under its content name only once complete; the database row comes after that.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The `[files]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesSettings {
    /// `file://PATH` (relative to the working directory, or `file:///abs`) or `s3://BUCKET/PREFIX`.
    pub store: String,
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Largest total of one dossier's files, in bytes.
    pub max_dossier_bytes: u64,
    /// Media types accepted, as sniffed from the content.
    pub allowed_types: Vec<String>,
    pub s3: S3Settings,
}

/// How to reach an S3-compatible store (AWS, MinIO, Ceph, …).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    /// The store's URL (unset: AWS itself).
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<SecretString>,
    pub secret_access_key: Option<SecretString>,
    /// Allows an `http://` endpoint (a store on the same host or private network).
    pub allow_http: bool,
}

impl Default for FilesSettings {
    fn default() -> Self {
        Self {
            store: "file://data/files".into(),
            max_bytes: 20 * 1024 * 1024,
            max_dossier_bytes: 200 * 1024 * 1024,
            allowed_types: vec![
                "application/pdf".into(),
                "image/jpeg".into(),
                "image/png".into(),
            ],
            s3: S3Settings::default(),
        }
    }
}

impl Default for S3Settings {
    fn default() -> Self {
        Self {
            endpoint: None,
            region: "us-east-1".into(),
            access_key_id: None,
            secret_access_key: None,
            allow_http: false,
        }
    }
}

/// Where the settings put the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(std::path::PathBuf),
    S3 { bucket: String, prefix: String },
}

impl FilesSettings {
    /// Checks the settings; each message names its key.
    pub fn validate(&self) -> Result<(), String> {
        self.location()?;
        if self.max_bytes == 0 {
            return Err("files.max_bytes must be positive".into());
        }
        if self.max_dossier_bytes < self.max_bytes {
            return Err("files.max_dossier_bytes must be at least files.max_bytes".into());
        }
        if self.allowed_types.is_empty() {
            return Err("files.allowed_types must name at least one media type".into());
        }
        for t in &self.allowed_types {
            if t.split_once('/')
                .is_none_or(|(a, b)| a.is_empty() || b.is_empty())
            {
                return Err(format!(
                    "files.allowed_types: {t:?} is not a media type such as application/pdf"
                ));
            }
        }
        if let Some(ep) = &self.s3.endpoint {
            match url::Url::parse(ep) {
                Ok(u) if u.scheme() == "https" || (u.scheme() == "http" && self.s3.allow_http) => {}
                Ok(u) if u.scheme() == "http" => {
                    return Err(
                        "files.s3.endpoint is http://: set files.s3.allow_http = true to use it"
                            .into(),
                    );
                }
                _ => return Err(format!("files.s3.endpoint: {ep:?} is not an http(s) URL")),
            }
        }
        Ok(())
    }

    pub fn location(&self) -> Result<Location, String> {
        if let Some(path) = self.store.strip_prefix("file://") {
            if path.is_empty() {
                return Err("files.store: file:// needs a folder, e.g. file://data/files".into());
            }
            return Ok(Location::Local(path.into()));
        }
        if let Some(rest) = self.store.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err("files.store: s3:// needs a bucket, e.g. s3://motcua-files/".into());
            }
            return Ok(Location::S3 {
                bucket: bucket.into(),
                prefix: prefix.trim_matches('/').into(),
            });
        }
        Err(format!(
            "files.store: {:?} is neither file://PATH nor s3://BUCKET/PREFIX",
            self.store
        ))
    }
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such object")]
    NotFound,
    #[error("the file store is unavailable: {0}")]
    Unavailable(String),
}

impl From<object_store::Error> for StoreError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => StoreError::NotFound,
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

impl From<StoreError> for crate::error::AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => crate::error::AppError::not_found("file"),
            StoreError::Unavailable(m) => crate::error::AppError::Unavailable(m),
        }
    }
}

/// The configured store, shared by every request.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<dyn ObjectStore>,
    /// The prefix every object of this deployment lies under (S3), empty on the local disk.
    prefix: String,
    /// The folder on the local disk, for what the object API does not show (uploads cut off by a
    /// crash leave their staging files there).
    local_root: Option<std::path::PathBuf>,
    /// Bytes buffered per part of an upload: S3 wants at least 5 MiB per part; the local disk
    /// takes small writes, so an upload holds little memory there.
    chunk: usize,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// How much of a local file one blocking read takes while a download streams it.
const READ_CHUNK: usize = 512 * 1024;

/// The bytes `range` of a local file as a stream of `READ_CHUNK` reads.
fn local_stream(
    file: std::fs::File,
    range: std::ops::Range<u64>,
) -> futures_util::stream::BoxStream<'static, Result<Bytes, StoreError>> {
    let left = range.end.saturating_sub(range.start);
    futures_util::stream::try_unfold(
        (Some(file), range.start, left),
        |(file, at, left)| async move {
            let Some(mut file) = file else {
                return Ok(None);
            };
            if left == 0 {
                return Ok(None);
            }
            let want = left.min(READ_CHUNK as u64) as usize;
            let (file, chunk) = tokio::task::spawn_blocking(move || {
                use std::io::{Read, Seek, SeekFrom};
                let mut buf = vec![0u8; want];
                file.seek(SeekFrom::Start(at))?;
                file.read_exact(&mut buf)?;
                Ok::<_, std::io::Error>((file, buf))
            })
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .map_err(|e| StoreError::Unavailable(format!("reading a stored file: {e}")))?;
            let n = chunk.len() as u64;
            Ok(Some((Bytes::from(chunk), (Some(file), at + n, left - n))))
        },
    )
    .boxed()
}

/// Temporary objects, under which uploads are streamed before they have a name.
const TEMP: &str = "tmp";
/// Content objects: `sha256/ab/abcdef…`.
const CONTENT: &str = "sha256";

impl FileStore {
    /// Opens the store the settings name (the local folder is created).
    pub fn open(settings: &FilesSettings) -> anyhow::Result<Self> {
        match settings.location().map_err(anyhow::Error::msg)? {
            Location::Local(path) => {
                std::fs::create_dir_all(&path).map_err(|e| {
                    anyhow::anyhow!("files.store: cannot create {}: {e}", path.display())
                })?;
                let root = std::fs::canonicalize(&path)?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(&root)?
                    .with_automatic_cleanup(true);
                Ok(Self {
                    inner: Arc::new(fs),
                    prefix: String::new(),
                    local_root: Some(root),
                    chunk: 256 * 1024,
                })
            }
            Location::S3 { bucket, prefix } => {
                // The S3 client's TLS takes the process's rustls provider: ring, as for SMTP.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let s3 = &settings.s3;
                let mut b = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_region(&s3.region)
                    .with_allow_http(s3.allow_http);
                if let Some(ep) = &s3.endpoint {
                    b = b.with_endpoint(ep);
                }
                if let Some(k) = &s3.access_key_id {
                    b = b.with_access_key_id(k.expose_secret());
                }
                if let Some(k) = &s3.secret_access_key {
                    b = b.with_secret_access_key(k.expose_secret());
                }
                let store = b
                    .build()
                    .map_err(|e| anyhow::anyhow!("files.store: cannot use the S3 store: {e}"))?;
                Ok(Self {
                    inner: Arc::new(store),
                    prefix,
                    local_root: None,
                    chunk: 5 * 1024 * 1024,
                })
            }
        }
    }

    fn path(&self, rel: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(rel)
        } else {
            ObjectPath::from(format!("{}/{rel}", self.prefix))
        }
    }

    /// Where the bytes with this SHA-256 (lowercase hex) are kept.
    fn content_path(&self, sha256: &str) -> ObjectPath {
        let fan = sha256.get(..2).unwrap_or("00");
        self.path(&format!("{CONTENT}/{fan}/{sha256}"))
    }

    /// Starts an upload into a fresh temporary object.
    pub async fn begin(&self) -> Result<Upload, StoreError> {
        let temp = self.path(&format!("{TEMP}/{}", uuid::Uuid::now_v7()));
        let upload = self.inner.put_multipart(&temp).await?;
        Ok(Upload {
            store: self.clone(),
            writer: Some(WriteMultipart::new_with_chunk_size(upload, self.chunk)),
            temp,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    /// The stored bytes with this SHA-256, as a stream, and their length.
    pub async fn get(
        &self,
        sha256: &str,
    ) -> Result<
        (
            u64,
            futures_util::stream::BoxStream<'static, Result<Bytes, StoreError>>,
        ),
        StoreError,
    > {
        let got = self.inner.get(&self.content_path(sha256)).await?;
        let size = got.meta.size;
        let range = got.range.clone();
        let stream = match got.payload {
            // The object store's own stream reads a local file 8 KiB per blocking task (34 MB/s
            // for 1 MiB files); larger reads, each its own blocking task so that a slow client
            // holds no thread.
            object_store::GetResultPayload::File(file, _) => local_stream(file, range),
            object_store::GetResultPayload::Stream(s) => {
                s.map(|r| r.map_err(StoreError::from)).boxed()
            }
        };
        Ok((size, stream))
    }

    /// Whether the bytes with this SHA-256 are stored.
    pub async fn contains(&self, sha256: &str) -> Result<bool, StoreError> {
        match self.inner.head(&self.content_path(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Every object now in the store, as paths relative to its prefix (for tests and checks).
    pub async fn list_all(&self) -> Result<Vec<String>, StoreError> {
        let prefix = (!self.prefix.is_empty()).then(|| ObjectPath::from(self.prefix.as_str()));
        let mut out = Vec::new();
        let mut list = self.inner.list(prefix.as_ref());
        while let Some(meta) = list.next().await {
            let p = meta?.location.to_string();
            let rel = if self.prefix.is_empty() {
                p
            } else {
                p.strip_prefix(&format!("{}/", self.prefix))
                    .unwrap_or(&p)
                    .to_owned()
            };
            out.push(rel);
        }
        if let Some(root) = &self.local_root {
            // Staging files of unfinished uploads, which the object listing does not show.
            if let Ok(entries) = std::fs::read_dir(root.join(TEMP)) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.contains('#') {
                        out.push(format!("{TEMP}/{name}"));
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes what no file row will ever name: temporary objects older than `grace`, and content
    /// objects older than `grace` for which `referenced` says no row exists. `grace` must exceed
    /// the time an upload takes from its first byte to its row.
    pub async fn sweep<F, Fut>(&self, grace: Duration, mut referenced: F) -> Result<u64, StoreError>
    where
        F: FnMut(String) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let cutoff = chrono::Utc::now()
            - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::hours(1));
        let mut removed = 0;
        let mut list = self.inner.list(Some(&self.path(TEMP)));
        let mut old_temps = Vec::new();
        while let Some(meta) = list.next().await {
            let meta = meta?;
            if meta.last_modified < cutoff {
                old_temps.push(meta.location);
            }
        }
        drop(list);
        for p in old_temps {
            self.inner.delete(&p).await?;
            removed += 1;
        }
        if let Some(root) = &self.local_root
            && let Ok(entries) = std::fs::read_dir(root.join(TEMP))
        {
            for e in entries.flatten() {
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .map(|t| chrono::DateTime::<chrono::Utc>::from(t) < cutoff)
                    .unwrap_or(false);
                if old && e.file_name().to_string_lossy().contains('#') {
                    let _ = std::fs::remove_file(e.path());
                    removed += 1;
                }
            }
        }
        let mut list = self.inner.list(Some(&self.path(CONTENT)));
        let mut old_contents = Vec::new();
        while let Some(meta) = list.next().await {
            let meta = meta?;
            if meta.last_modified < cutoff {
                old_contents.push(meta.location);
            }
        }
        drop(list);
        for p in old_contents {
            let Some(sha) = p.filename().map(str::to_owned) else {
                continue;
            };
            if !referenced(sha).await {
                self.inner.delete(&p).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// An upload in progress, into a temporary object.
pub struct Upload {
    store: FileStore,
    writer: Option<WriteMultipart>,
    temp: ObjectPath,
    hasher: Sha256,
    size: u64,
}

/// Bytes completely stored under a temporary name, not yet under their content name.
pub struct Received {
    store: FileStore,
    temp: ObjectPath,
    pub sha256: String,
    pub size: u64,
}

impl Upload {
    /// Appends bytes; waits while earlier parts are still being written (at most two in flight).
    pub async fn write(&mut self, bytes: Bytes) -> Result<(), StoreError> {
        let Some(w) = self.writer.as_mut() else {
            return Err(StoreError::Unavailable("upload already finished".into()));
        };
        w.wait_for_capacity(2).await?;
        self.hasher.update(&bytes);
        self.size += bytes.len() as u64;
        w.put(bytes);
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Completes the temporary object.
    pub async fn finish(mut self) -> Result<Received, StoreError> {
        let Some(w) = self.writer.take() else {
            return Err(StoreError::Unavailable("upload already finished".into()));
        };
        if let Err(e) = w.finish().await {
            // A failed completion leaves no object; the store may keep parts, which S3's
            // lifecycle rule for incomplete uploads removes.
            return Err(e.into());
        }
        Ok(Received {
            store: self.store.clone(),
            temp: self.temp.clone(),
            sha256: hex::encode(self.hasher.finalize_reset()),
            size: self.size,
        })
    }

    /// Gives the upload up: nothing of it stays visible.
    pub async fn abort(mut self) {
        if let Some(w) = self.writer.take()
            && let Err(e) = w.abort().await
        {
            tracing::warn!(error = %e, "aborting an upload failed; the sweep removes its parts");
        }
    }
}

impl Received {
    /// Moves the bytes under their content name. When that name already holds them (the same
    /// bytes uploaded before) the move replaces them with themselves, which also renews the
    /// object's age for the sweep.
    pub async fn keep(self) -> Result<String, StoreError> {
        let to = self.store.content_path(&self.sha256);
        self.store.inner.rename(&self.temp, &to).await?;
        Ok(self.sha256)
    }

    /// Drops the bytes (a refused upload).
    pub async fn discard(self) {
        if let Err(e) = self.store.inner.delete(&self.temp).await {
            tracing::warn!(error = %e, "removing a refused upload failed; the sweep removes it");
        }
    }
}

/// What a file's first bytes say it is (`None`: nothing known), from its magic numbers.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    infer::get(head).map(|t| t.mime_type())
}

/// How many leading bytes are kept to sniff the media type.
pub const SNIFF_BYTES: usize = 8192;

/// A filename as the client gave it, made safe to store and to send back: the last path
/// component only, no control characters, no characters that file systems or headers refuse,
/// at most 200 characters; `file` when nothing is left.
pub fn sanitise_filename(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .take(200)
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        "file".into()
    } else {
        trimmed.to_owned()
    }
}

/// `Content-Disposition: attachment` for a (sanitised) filename: an ASCII `filename` for old
/// clients and the exact UTF-8 name in `filename*` (RFC 6266, RFC 8187), so that Vietnamese
/// names arrive intact.
pub fn content_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in filename.as_bytes() {
        let c = *b as char;
        if c.is_ascii_alphanumeric() || "!#$&+-.^_`|~".contains(c) {
            encoded.push(c);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_keep_their_vietnamese_letters_and_lose_their_paths() {
        assert_eq!(
            sanitise_filename("C:\\hồ sơ\\Đơn đề nghị.pdf"),
            "Đơn đề nghị.pdf"
        );
        assert_eq!(sanitise_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_filename("a\u{0}b\r\n\"c\".pdf"), "ab_c_.pdf");
        assert_eq!(sanitise_filename("..."), "file");
        assert_eq!(sanitise_filename(""), "file");
        assert_eq!(sanitise_filename(&"x".repeat(500)).chars().count(), 200);
    }

    #[test]
    fn content_disposition_gives_an_ascii_fallback_and_the_exact_name() {
        assert_eq!(
            content_disposition("Giấy phép.pdf"),
            "attachment; filename=\"Gi_y ph_p.pdf\"; filename*=UTF-8''Gi%E1%BA%A5y%20ph%C3%A9p.pdf"
        );
    }

    #[test]
    fn store_locations() {
        let mut s = FilesSettings::default();
        assert_eq!(s.location(), Ok(Location::Local("data/files".into())));
        s.store = "s3://bucket/some/prefix/".into();
        assert_eq!(
            s.location(),
            Ok(Location::S3 {
                bucket: "bucket".into(),
                prefix: "some/prefix".into()
            })
        );
        s.store = "ftp://x".into();
        assert!(s.validate().unwrap_err().contains("files.store"));
        s.store = "s3://b".into();
        s.s3.endpoint = Some("http://127.0.0.1:9000".into());
        assert!(s.validate().unwrap_err().contains("allow_http"));
        s.s3.allow_http = true;
        assert!(s.validate().is_ok());
    }

    #[test]
    fn sniffing_reads_the_content_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"just some text"), None);
    }
}
