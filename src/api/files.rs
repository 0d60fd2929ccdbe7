//! `/api/v1/dossiers/{code}/files`: the dossier's components and result as files, and the
//! citizen's download of the result.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, FixedOffset};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dossiers::DossierCodePath;
use super::{AppState, Query};
use crate::authz::{Caller, Permission};
use crate::db::from_db;
use crate::error::{AppError, AppResult};
use crate::files::{self, Received, SNIFF_BYTES};
use crate::openapi as problem;
use crate::store::files::{self as store, FileKind, FileRow, NewFile, UploadTarget};

/// Whether a dossier's components and result are on file.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Digitised {
    /// A file for every required component of the procedure (at least one component file
    /// when the procedure lists none).
    pub components: bool,
    /// A result file.
    pub result: bool,
}

/// A stored file of a dossier.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DossierFile)]
pub struct FileView {
    #[schema(example = "01938f2c-7b1a-7cc4-9f61-3c1d2e4f5a6b")]
    pub id: String,
    pub kind: FileKind,
    /// The procedure's component this file is, or null for an unlisted component or a result.
    pub component_code: Option<String>,
    /// The sanitised name the file was uploaded under.
    #[schema(example = "Đơn đề nghị cấp phép.pdf")]
    pub filename: String,
    /// As sniffed from the content.
    #[schema(example = "application/pdf")]
    pub media_type: String,
    /// In bytes.
    pub size: i64,
    /// The SHA-256 of the bytes, lowercase hex; also the download's `ETag`.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub sha256: String,
    pub uploaded_at: DateTime<FixedOffset>,
    /// The username of who uploaded it.
    pub uploaded_by: String,
    /// 1 for the first file of its component (or of the result), one more for each replacement.
    pub version: i32,
    /// Not replaced by a later version.
    pub current: bool,
}

fn view(state: &AppState, f: &FileRow, current: bool) -> FileView {
    FileView {
        id: f.id.clone(),
        kind: FileKind::parse(&f.kind).unwrap_or(FileKind::Component),
        component_code: f.component_code.clone(),
        filename: f.filename.clone(),
        media_type: f.media_type.clone(),
        size: f.size,
        sha256: f.sha256.clone(),
        uploaded_at: state.local(from_db(f.uploaded_at)),
        uploaded_by: f.uploaded_by.clone(),
        version: f.version,
        current,
    }
}

/// The multipart body of an upload, as documented (the handler reads it as a stream).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct UploadForm {
    /// `component` or `result`.
    kind: FileKind,
    /// One of the procedure's components; without it the file is an unlisted component.
    component_code: Option<String>,
    /// The file itself (PDF, JPEG or PNG by default), at most `files.max_bytes`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Every file of a dossier.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DossierFileList)]
pub struct FileList {
    /// Every version of every file, oldest first.
    pub items: Vec<FileView>,
}

/// A part of the multipart body, fused (see `upload`).
type Field = futures_util::stream::Fuse<actix_multipart::Field>;

/// The longest text field of an upload.
const TEXT_FIELD_MAX: usize = 200;
/// After a refusal the rest of the body is read and dropped, up to this much, so that the client
/// gets the answer instead of a reset connection.
const DRAIN_MAX: u64 = 64 * 1024 * 1024;

/// `POST /api/v1/dossiers/{code}/files`.
#[utoipa::path(
    post,
    path = "/api/v1/dossiers/{code}/files",
    operation_id = "upload_dossier_file",
    tag = "files",
    summary = "Add a component or the result as a file",
    description = "Staff who may take an action on the dossier add a file: a component (thành \
        phần hồ sơ) or the result. The body is streamed to the file store (`server.max_body_bytes` \
        does not apply; `files.max_bytes` does, and `files.max_dossier_bytes` for the dossier's \
        files together). The media type is sniffed from the content and must be one of \
        `files.allowed_types`. A file for a component or a result that has one already is a new \
        version; the earlier stays listed. Nothing is stored for a refused upload.",
    security(("bearer" = [])),
    params(DossierCodePath),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The stored file", body = FileView,
            headers(("Location" = String, description = "The file's download path"))),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 413, description = "The file is larger than `files.max_bytes`, or the \
            dossier's files would exceed `files.max_dossier_bytes` (`payload_too_large`)",
            content_type = "application/problem+json", body = problem::Problem),
        (status = 415, description = "The content is not of a type in `files.allowed_types`, \
            or the body is not `multipart/form-data` (`unsupported_media_type`)",
            content_type = "application/problem+json", body = problem::Problem),
        (status = 422, response = problem::ValidationFailed),
        (status = 503, response = problem::ServiceUnavailable),
    )
)]
pub async fn upload(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let code = code.into_inner();
    let st = state.clone();
    let who = caller.clone();
    let target = state
        .db(move |conn| store::upload_target(conn, &who, &code))
        .await?;
    let settings = &state.settings.files;
    let remaining = settings
        .max_dossier_bytes
        .saturating_sub(target.used_bytes.max(0) as u64);
    let limit = settings.max_bytes.min(remaining);
    let fs = state.file_store()?.clone();
    let mut multipart = Multipart::new(req.headers(), payload);

    let mut kind: Option<String> = None;
    let mut component_code: Option<String> = None;
    let mut received: Option<(Received, String, &'static str)> = None;
    let mut refusal: Option<AppError> = None;
    let mut drained: u64 = 0;
    while let Some(field) = multipart.next().await {
        let field = match field {
            Ok(f) => f,
            Err(e) => {
                refusal.get_or_insert(multipart_error(e));
                break;
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(files::sanitise_filename)
            .unwrap_or_else(|| "file".into());
        // Fused: a field read to its end may be drained again without being polled past it.
        let mut field = field.fuse();
        if refusal.is_some() {
            // Read and drop the rest, so that the refusal reaches the client.
            while let Some(Ok(chunk)) = field.next().await {
                drained += chunk.len() as u64;
                if drained > DRAIN_MAX {
                    break;
                }
            }
            if drained > DRAIN_MAX {
                break;
            }
            continue;
        }
        let outcome = match name.as_str() {
            "kind" => read_text(&mut field, "kind").await.map(|v| {
                kind = Some(v);
            }),
            "component_code" => read_text(&mut field, "component_code").await.map(|v| {
                component_code = Some(v).filter(|s| !s.is_empty());
            }),
            "file" if received.is_some() => Err(AppError::field("file", "give one file only")),
            "file" => {
                match receive(
                    &fs,
                    &mut field,
                    limit,
                    settings,
                    remaining < settings.max_bytes,
                )
                .await
                {
                    Ok((r, media_type)) => {
                        received = Some((r, filename, media_type));
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            other => Err(AppError::field(
                if other.is_empty() { "body" } else { other },
                "is not a field of an upload (kind, component_code, file)",
            )),
        };
        if let Err(e) = outcome {
            refusal = Some(e);
            // Whatever of this field is left, then the following fields, are drained above.
            while let Some(Ok(chunk)) = field.next().await {
                drained += chunk.len() as u64;
                if drained > DRAIN_MAX {
                    break;
                }
            }
        }
    }
    let checked = refusal.map_or(Ok(()), Err).and_then(|()| {
        check_fields(
            kind.as_deref(),
            component_code.as_deref(),
            &target,
            &received,
        )
    });
    let kind = match checked {
        Ok(k) => k,
        Err(e) => {
            if let Some((r, _, _)) = received {
                r.discard().await;
            }
            return Err(e);
        }
    };
    let Some((received, filename, media_type)) = received else {
        return Err(AppError::field("file", "is required"));
    };
    let size = received.size as i64;
    let sha256 = received.keep().await?;
    let file = NewFile {
        kind,
        component_code,
        filename,
        media_type: media_type.into(),
        size,
        sha256,
        uploaded_by: caller.username.clone(),
    };
    let max_dossier = settings.max_dossier_bytes;
    let row = st
        .db(move |conn| store::record(conn, &target, file, max_dossier))
        .await?;
    let location = format!("/api/v1/dossiers/{}/files/{}", code_of(&req), row.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(view(&state, &row, true)))
}

fn code_of(req: &HttpRequest) -> String {
    req.match_info().get("code").unwrap_or("").to_owned()
}

fn multipart_error(e: actix_multipart::MultipartError) -> AppError {
    use actix_multipart::MultipartError as M;
    match e {
        M::ContentTypeMissing | M::ContentTypeParse | M::ContentTypeIncompatible => {
            AppError::FileTypeRefused("the body must be multipart/form-data".into())
        }
        other => AppError::BadRequest(format!("cannot read the multipart body: {other}")),
    }
}

/// The fields other than the file, checked once the whole body is read.
fn check_fields(
    kind: Option<&str>,
    component_code: Option<&str>,
    target: &UploadTarget,
    received: &Option<(Received, String, &'static str)>,
) -> AppResult<FileKind> {
    let kind = match kind {
        None => return Err(AppError::field("kind", "is required (component or result)")),
        Some(k) => FileKind::parse(k)
            .ok_or_else(|| AppError::field("kind", "must be component or result"))?,
    };
    store::check_component(kind, component_code, target.components.as_deref())?;
    if received.is_none() {
        return Err(AppError::field("file", "is required"));
    }
    Ok(kind)
}

async fn read_text(field: &mut Field, name: &str) -> AppResult<String> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(multipart_error)?;
        buf.extend_from_slice(&chunk);
        if buf.len() > TEXT_FIELD_MAX {
            return Err(AppError::field(name, "is too long"));
        }
    }
    let s = String::from_utf8(buf).map_err(|_| AppError::field(name, "must be UTF-8 text"))?;
    if s.chars().any(char::is_control) {
        return Err(AppError::field(name, "contains control characters"));
    }
    Ok(s.trim().to_owned())
}

/// Streams the file into the store: sniffs the type from its first bytes, hashes and counts as
/// it goes, and gives up (leaving nothing) at the first byte over `limit` or on a type refused.
async fn receive(
    fs: &files::FileStore,
    field: &mut Field,
    limit: u64,
    settings: &files::FilesSettings,
    dossier_bound: bool,
) -> AppResult<(Received, &'static str)> {
    let too_large = || {
        if dossier_bound {
            AppError::FileTooLarge(format!(
                "the dossier's files may total at most {} bytes",
                settings.max_dossier_bytes
            ))
        } else {
            AppError::FileTooLarge(format!(
                "the file is larger than files.max_bytes ({} bytes)",
                settings.max_bytes
            ))
        }
    };
    let mut head = BytesMut::new();
    let mut media_type: Option<&'static str> = None;
    let mut upload: Option<files::Upload> = None;
    let mut seen: u64 = 0;
    let outcome: AppResult<()> = async {
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            seen += chunk.len() as u64;
            if seen > limit {
                return Err(too_large());
            }
            match &mut upload {
                Some(u) => u.write(chunk).await?,
                None => {
                    head.extend_from_slice(&chunk);
                    if head.len() >= SNIFF_BYTES {
                        media_type = Some(allowed(&head, settings)?);
                        let mut u = fs.begin().await?;
                        u.write(std::mem::take(&mut head).freeze()).await?;
                        upload = Some(u);
                    }
                }
            }
        }
        if upload.is_none() {
            if head.is_empty() {
                return Err(AppError::field("file", "is empty"));
            }
            media_type = Some(allowed(&head, settings)?);
            let mut u = fs.begin().await?;
            u.write(Bytes::from(std::mem::take(&mut head))).await?;
            upload = Some(u);
        }
        Ok(())
    }
    .await;
    match (outcome, upload, media_type) {
        (Ok(()), Some(u), Some(t)) => Ok((u.finish().await?, t)),
        (Err(e), u, _) => {
            if let Some(u) = u {
                u.abort().await;
            }
            Err(e)
        }
        (Ok(()), u, _) => {
            if let Some(u) = u {
                u.abort().await;
            }
            Err(AppError::Internal("upload ended without a type".into()))
        }
    }
}

/// The sniffed media type, if `files.allowed_types` has it (415 otherwise).
fn allowed(head: &[u8], settings: &files::FilesSettings) -> AppResult<&'static str> {
    let sniffed = files::sniff(head);
    match sniffed {
        Some(t)
            if settings
                .allowed_types
                .iter()
                .any(|a| a.eq_ignore_ascii_case(t)) =>
        {
            Ok(t)
        }
        Some(t) => Err(AppError::FileTypeRefused(format!(
            "the content is {t}, which is not among files.allowed_types ({})",
            settings.allowed_types.join(", ")
        ))),
        None => Err(AppError::FileTypeRefused(format!(
            "the content is of no recognised type; accepted: {}",
            settings.allowed_types.join(", ")
        ))),
    }
}

/// `GET /api/v1/dossiers/{code}/files`.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}/files",
    operation_id = "list_dossier_files",
    tag = "files",
    summary = "The dossier's files, every version",
    security(("bearer" = [])),
    params(DossierCodePath),
    responses(
        (status = 200, description = "The files, oldest first", body = FileList),
        problem::StaffGetErrors,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let code = code.into_inner();
    let (_, rows) = state
        .read(move |conn| store::visible_files(conn, &caller, &code))
        .await?;
    let current: Vec<&str> = store::current_of(&rows)
        .into_iter()
        .map(|f| f.id.as_str())
        .collect();
    let items = rows
        .iter()
        .map(|f| view(&state, f, current.contains(&f.id.as_str())))
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(FileList { items }))
}

/// The `{code}` and `{id}` of a file's path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct FilePath {
    /// The dossier code, `<office>-<YYMMDD>-<NNNN>`.
    #[param(example = "000.00.24.H40-261125-0001")]
    code: String,
    /// The file's id.
    id: String,
}

/// `GET /api/v1/dossiers/{code}/files/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}/files/{id}",
    operation_id = "download_dossier_file",
    tag = "files",
    summary = "A file's bytes",
    description = "The bytes as stored, with their media type, `Content-Disposition: attachment` \
        (the name in UTF-8 as `filename*`, RFC 6266) and `ETag` the SHA-256 in quotes \
        (`If-None-Match` with it answers 304).",
    security(("bearer" = [])),
    params(FilePath),
    responses(
        (status = 200, description = "The file", content(
            (String = "application/pdf"), (String = "image/jpeg"), (String = "image/png")),
            headers(
                ("ETag" = String, description = "The SHA-256 of the bytes, in quotes"),
                ("Content-Disposition" = String,
                    description = "`attachment; filename=\"…\"; filename*=UTF-8''…`"),
            )),
        (status = 304, description = "`If-None-Match` names these bytes"),
        problem::StaffGetErrors,
    )
)]
pub async fn download(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let (code, id) = path.into_inner();
    let (_, rows) = state
        .read(move |conn| store::visible_files(conn, &caller, &code))
        .await?;
    let row = rows
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(|| AppError::not_found("file"))?;
    send(&state, &req, &row, "private, no-store").await
}

/// The file's bytes streamed from the store, as a download (also the status page's).
pub(crate) async fn send(
    state: &AppState,
    req: &HttpRequest,
    row: &FileRow,
    cache: &'static str,
) -> AppResult<HttpResponse> {
    let etag = format!("\"{}\"", row.sha256);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    if matches {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let (size, stream) = state.file_store()?.get(&row.sha256).await?;
    let body = stream.map(|r| r.map_err(|e| std::io::Error::other(e.to_string())));
    Ok(HttpResponse::Ok()
        .content_type(row.media_type.as_str())
        .insert_header((header::ETAG, etag))
        .insert_header((
            header::CONTENT_DISPOSITION,
            files::content_disposition(&row.filename),
        ))
        .insert_header((header::CACHE_CONTROL, cache))
        .no_chunking(size)
        .streaming(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultQuery {
    /// The applicant's ID number as given at the counter.
    #[param(example = "079123456789")]
    pub id_number: Option<String>,
}

/// `GET /api/v1/public/dossiers/{code}/result?id_number=`.
#[utoipa::path(
    get,
    path = "/api/v1/public/dossiers/{code}/result",
    operation_id = "public_result",
    tag = "public",
    summary = "The citizen downloads the result: the dossier's code and the applicant's ID number",
    description = "No account needed. Once the dossier is resolved and has a result file, its \
        newest version; before that, and for a wrong code or ID number, the same 404. Counts \
        against the lookup's `public.lookup_per_minute` per client address.",
    params(
        ("code" = String, Path, description = "The code on the receipt",
            example = "000.00.24.H40-261125-0001"),
        ResultQuery,
    ),
    responses(
        (status = 200, description = "The result file", content(
            (String = "application/pdf"), (String = "image/jpeg"), (String = "image/png")),
            headers(
                ("ETag" = String, description = "The SHA-256 of the bytes, in quotes"),
                ("Content-Disposition" = String,
                    description = "`attachment; filename=\"…\"; filename*=UTF-8''…`"),
                ("Cache-Control" = String, description = "`no-store`"),
            )),
        (status = 304, description = "`If-None-Match` names these bytes"),
        (status = 400, response = problem::BadRequest),
        (status = 404, response = problem::NotFound),
        (status = 422, response = problem::ValidationFailed),
        (status = 429, response = problem::TooManyRequests),
        (status = 503, response = problem::ServiceUnavailable),
    )
)]
pub async fn public_result(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    q: Query<ResultQuery>,
) -> AppResult<HttpResponse> {
    state.public_budget(&req)?;
    let id_number = q.into_inner().id_number.unwrap_or_default();
    let code = code.into_inner();
    let row = state
        .read(move |conn| store::public_result(conn, &code, &id_number))
        .await?;
    send(&state, &req, &row, "no-store").await
}

/// Removes from the store what no file row names (see `FileStore::sweep`): uploads cut off
/// before their row, refused uploads whose removal failed.
pub async fn sweep(state: &AppState) {
    let Ok(fs) = state.file_store() else {
        return;
    };
    let st = state.clone();
    let result = fs
        .sweep(std::time::Duration::from_secs(3600), |sha: String| {
            let st = st.clone();
            async move {
                // On error keep the object: a wrong deletion loses a file, a kept one costs bytes.
                st.db(move |conn| store::is_referenced(conn, &sha))
                    .await
                    .unwrap_or(true)
            }
        })
        .await;
    match result {
        Ok(n) if n > 0 => tracing::info!(removed = n, "unreferenced file objects removed"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "file store sweep failed"),
    }
}
