//! The dossier's file rows: components and result, their versions, and what makes a dossier
//! digitised (Decision 766: every required component and the result as files).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use subtle::ConstantTimeEq;

use crate::authz::{Caller, Scope};
use crate::db::{self, DbConn, schema::dossier_files, schema::dossiers as dossiers_t};
use crate::domain::lifecycle::Action;
use crate::error::{AppError, AppResult};
use crate::store::dossiers::{self, Dossier};

/// What a file is to its dossier.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A component of the dossier (thành phần hồ sơ), digitised at receipt.
    Component,
    /// The result of the procedure (kết quả giải quyết), electronic.
    Result,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Component => "component",
            FileKind::Result => "result",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "component" => Some(FileKind::Component),
            "result" => Some(FileKind::Result),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = dossier_files)]
pub struct FileRow {
    pub id: String,
    pub dossier_id: i64,
    pub kind: String,
    pub component_code: Option<String>,
    /// The series a replacement continues: `result`, `component:<code>`, or the file's own id
    /// for an unlisted component.
    pub slot: String,
    /// 1 for the first file of its slot, then one more for each replacement.
    pub version: i32,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: NaiveDateTime,
    pub uploaded_by: String,
}

/// A component the procedure lists: code, name, and whether the dossier must have it.
pub type Component = (String, String, bool);

/// The components the procedure version this dossier was received under lists, or `None` when
/// it lists none (the one place files read them).
pub fn procedure_components(
    conn: &mut DbConn,
    dossier: &Dossier,
) -> AppResult<Option<Vec<Component>>> {
    let versions = crate::store::procedures::versions(conn, &dossier.procedure_code)?;
    let Some(v) = versions
        .iter()
        .find(|v| v.version == dossier.procedure_version)
    else {
        return Ok(None);
    };
    let list: Vec<Component> = v
        .components()?
        .into_iter()
        .map(|c| (c.code, c.name, c.required))
        .collect();
    Ok((!list.is_empty()).then_some(list))
}

/// The dossier an upload goes to, once the caller is known to be allowed to add to it.
#[derive(Debug, Clone)]
pub struct UploadTarget {
    pub dossier_id: i64,
    pub code: String,
    /// The bytes of its files so far.
    pub used_bytes: i64,
    pub components: Option<Vec<Component>>,
}

/// Staff who may act on the dossier may add files to it: 404 when the caller does not see it
/// (as for every read), 403 when they see it but may take no action on it.
pub fn upload_target(conn: &mut DbConn, caller: &Caller, code: &str) -> AppResult<UploadTarget> {
    let scope = crate::api::dossiers::scope(conn, caller)?;
    let (d, _) = dossiers::find_visible(conn, code, &scope)?
        .ok_or_else(|| AppError::not_found("dossier"))?;
    if !may_add_files(caller, &d, &scope) {
        return Err(AppError::Forbidden(format!(
            "the role {} may not add files to this dossier",
            caller.role.as_str()
        )));
    }
    let used_bytes = used_bytes(conn, d.id)?;
    let components = procedure_components(conn, &d)?;
    Ok(UploadTarget {
        dossier_id: d.id,
        code: d.code,
        used_bytes,
        components,
    })
}

/// Whether the caller may take some action on the dossier (see `Caller::may_act`).
fn may_add_files(caller: &Caller, d: &Dossier, scope: &Scope) -> bool {
    Action::ALL
        .iter()
        .any(|a| caller.may_act(*a, &d.office_code, &d.responsible_office_code, scope))
}

fn used_bytes(conn: &mut DbConn, dossier_id: i64) -> AppResult<i64> {
    let sizes: Vec<i64> = dossier_files::table
        .filter(dossier_files::dossier_id.eq(dossier_id))
        .select(dossier_files::size)
        .load(conn)?;
    Ok(sizes.iter().sum())
}

/// Checks `component_code` against the procedure's list (422 naming the field).
pub fn check_component(
    kind: FileKind,
    component_code: Option<&str>,
    components: Option<&[Component]>,
) -> AppResult<()> {
    let Some(code) = component_code else {
        return Ok(());
    };
    if kind == FileKind::Result {
        return Err(AppError::field(
            "component_code",
            "a result file has no component code",
        ));
    }
    match components {
        None => Err(AppError::field(
            "component_code",
            "the procedure lists no components",
        )),
        Some(list) if list.iter().any(|(c, _, _)| c == code) => Ok(()),
        Some(_) => Err(AppError::field(
            "component_code",
            "is not one of the procedure's components",
        )),
    }
}

/// The file as received and stored, before its row exists.
pub struct NewFile {
    pub kind: FileKind,
    pub component_code: Option<String>,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
}

/// Records a stored file: the next version of its slot, and the dossier's digitised marks. The
/// per-dossier budget is checked again here, under the dossier's lock, against concurrent uploads.
pub fn record(
    conn: &mut DbConn,
    target: &UploadTarget,
    file: NewFile,
    max_dossier_bytes: u64,
) -> AppResult<FileRow> {
    db::write_tx(conn, |conn| {
        lock_dossier(conn, target.dossier_id)?;
        let used = used_bytes(conn, target.dossier_id)?;
        if (used + file.size) as u64 > max_dossier_bytes {
            return Err(AppError::FileTooLarge(format!(
                "the dossier's files may total at most {max_dossier_bytes} bytes"
            )));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let slot = match (file.kind, &file.component_code) {
            (FileKind::Result, _) => "result".to_owned(),
            (FileKind::Component, Some(code)) => format!("component:{code}"),
            (FileKind::Component, None) => format!("unlisted:{id}"),
        };
        let last: Option<i32> = dossier_files::table
            .filter(dossier_files::dossier_id.eq(target.dossier_id))
            .filter(dossier_files::slot.eq(&slot))
            .select(diesel::dsl::max(dossier_files::version))
            .first(conn)?;
        let now = db::now();
        let row = FileRow {
            id,
            dossier_id: target.dossier_id,
            kind: file.kind.as_str().into(),
            component_code: file.component_code,
            slot,
            version: last.unwrap_or(0) + 1,
            filename: file.filename,
            media_type: file.media_type,
            size: file.size,
            sha256: file.sha256,
            uploaded_at: db::to_db(now),
            uploaded_by: file.uploaded_by,
        };
        diesel::insert_into(dossier_files::table)
            .values(&row)
            .execute(conn)?;
        mark_digitised(conn, target, now)?;
        Ok(row)
    })
}

/// Serialises the uploads of one dossier on PostgreSQL (SQLite has one writer anyway).
fn lock_dossier(conn: &mut DbConn, dossier_id: i64) -> AppResult<()> {
    if let DbConn::Postgres(c) = conn {
        dossiers_t::table
            .filter(dossiers_t::id.eq(dossier_id))
            .select(dossiers_t::id)
            .for_update()
            .get_result::<i64>(c)?;
    }
    Ok(())
}

/// Sets the dossier's digitised instants the first time they hold.
fn mark_digitised(conn: &mut DbConn, target: &UploadTarget, now: DateTime<Utc>) -> AppResult<()> {
    let files = current(conn, target.dossier_id)?;
    let (components, result) = digitised_of(&files, target.components.as_deref());
    let at = db::to_db(now);
    if components {
        diesel::update(
            dossiers_t::table
                .filter(dossiers_t::id.eq(target.dossier_id))
                .filter(dossiers_t::components_digitised_at.is_null()),
        )
        .set(dossiers_t::components_digitised_at.eq(at))
        .execute(conn)?;
    }
    if result {
        diesel::update(
            dossiers_t::table
                .filter(dossiers_t::id.eq(target.dossier_id))
                .filter(dossiers_t::result_digitised_at.is_null()),
        )
        .set(dossiers_t::result_digitised_at.eq(at))
        .execute(conn)?;
    }
    Ok(())
}

/// Whether files cover the components (every required one when the procedure lists them, at
/// least one component file otherwise) and the result.
pub fn digitised_of(files: &[FileRow], components: Option<&[Component]>) -> (bool, bool) {
    let component_files: Vec<&FileRow> = files.iter().filter(|f| f.kind == "component").collect();
    let components_ok = !component_files.is_empty()
        && components.is_none_or(|list| {
            list.iter()
                .filter(|(_, _, required)| *required)
                .all(|(code, _, _)| {
                    component_files
                        .iter()
                        .any(|f| f.component_code.as_deref() == Some(code.as_str()))
                })
        });
    let result_ok = files.iter().any(|f| f.kind == "result");
    (components_ok, result_ok)
}

/// Every file of the dossier, every version, in upload order.
pub fn all(conn: &mut DbConn, dossier_id: i64) -> AppResult<Vec<FileRow>> {
    Ok(dossier_files::table
        .filter(dossier_files::dossier_id.eq(dossier_id))
        .order((dossier_files::uploaded_at.asc(), dossier_files::id.asc()))
        .select(FileRow::as_select())
        .load(conn)?)
}

/// The newest version of every slot, in upload order.
pub fn current(conn: &mut DbConn, dossier_id: i64) -> AppResult<Vec<FileRow>> {
    let files = all(conn, dossier_id)?;
    Ok(current_of(&files).into_iter().cloned().collect())
}

/// Of a dossier's files, the newest version of every slot.
pub fn current_of(files: &[FileRow]) -> Vec<&FileRow> {
    files
        .iter()
        .filter(|f| {
            !files
                .iter()
                .any(|g| g.slot == f.slot && g.version > f.version)
        })
        .collect()
}

/// The files of a dossier the caller sees (404 otherwise, as for the dossier itself).
pub fn visible_files(
    conn: &mut DbConn,
    caller: &Caller,
    code: &str,
) -> AppResult<(Dossier, Vec<FileRow>)> {
    let scope = crate::api::dossiers::scope(conn, caller)?;
    let (d, _) = dossiers::find_visible(conn, code, &scope)?
        .ok_or_else(|| AppError::not_found("dossier"))?;
    let files = all(conn, d.id)?;
    Ok((d, files))
}

/// The current result file of a resolved dossier for the citizen who gives its code and the
/// applicant's ID number; one 404 for a wrong code, a wrong ID number, a dossier not yet
/// resolved and one without a result file alike.
pub fn public_result(conn: &mut DbConn, code: &str, id_number: &str) -> AppResult<FileRow> {
    use crate::store::public::{normalise_code, normalise_id_number, not_found};
    let given = normalise_id_number(id_number).unwrap_or_default();
    let code = normalise_code(code);
    let found = if code.len() <= 80 {
        dossiers::find(conn, &code)?
    } else {
        None
    };
    let stored = found
        .as_ref()
        .map(|d| d.applicant_id_number.as_bytes())
        .unwrap_or(b"\0no-dossier\0");
    let matches: bool = stored.ct_eq(given.as_bytes()).into();
    let d = match found {
        Some(d) if matches && !given.is_empty() && d.resolved_at.is_some() => d,
        _ => return Err(not_found()),
    };
    dossier_files::table
        .filter(dossier_files::dossier_id.eq(d.id))
        .filter(dossier_files::slot.eq("result"))
        .order(dossier_files::version.desc())
        .select(FileRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)
}

/// Whether the dossier has a result file (the one `public_result` would send once resolved).
pub fn has_result(conn: &mut DbConn, dossier_id: i64) -> AppResult<bool> {
    let n: i64 = dossier_files::table
        .filter(dossier_files::dossier_id.eq(dossier_id))
        .filter(dossier_files::slot.eq("result"))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether any file row names these bytes (for the store's sweep).
pub fn is_referenced(conn: &mut DbConn, sha256: &str) -> AppResult<bool> {
    let n: i64 = dossier_files::table
        .filter(dossier_files::sha256.eq(sha256))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The components received as files, as the receipt (Mẫu 01) lists them: the current version
/// of each, "name (filename)" for a listed component, the filename for an unlisted one.
pub fn receipt_lines(conn: &mut DbConn, dossier: &Dossier) -> AppResult<Vec<String>> {
    let components = procedure_components(conn, dossier)?.unwrap_or_default();
    Ok(current(conn, dossier.id)?
        .into_iter()
        .filter(|f| f.kind == "component")
        .map(|f| {
            let listed = f
                .component_code
                .as_deref()
                .and_then(|c| components.iter().find(|(code, _, _)| code == c));
            match listed {
                Some((_, name, _)) => format!("{name} ({})", f.filename),
                None => f.filename,
            }
        })
        .collect())
}
