//! The procedure catalogue (thủ tục hành chính) with processing times.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{Page, PageRequest};
use crate::db::schema::{offices, procedure_versions, procedures};
use crate::db::{self, DbConn};
use crate::domain::calendar::{ProcessingTime, TimeUnit};
use crate::domain::procedure::{Component, Fee};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = procedures)]
pub struct Procedure {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub field: String,
    pub office_code: String,
    pub processing_amount: i32,
    pub processing_unit: String,
    pub created_at: NaiveDateTime,
}

impl Procedure {
    pub fn processing_time(&self) -> AppResult<ProcessingTime> {
        let unit = TimeUnit::parse(&self.processing_unit).ok_or_else(|| {
            AppError::Internal(format!("procedure {} has unknown unit", self.code))
        })?;
        let amount = u32::try_from(self.processing_amount).map_err(|_| {
            AppError::Internal(format!("procedure {} has a negative amount", self.code))
        })?;
        Ok(ProcessingTime { amount, unit })
    }
}

pub struct NewProcedure {
    pub code: String,
    pub name: String,
    pub field: String,
    pub office_code: String,
    pub processing_time: ProcessingTime,
    pub components: Vec<Component>,
    pub fees: Vec<Fee>,
    pub actor: String,
}

pub fn create(conn: &mut DbConn, new: NewProcedure) -> AppResult<Procedure> {
    db::write_tx(conn, |conn| {
        let office: i64 = offices::table
            .filter(offices::code.eq(&new.office_code))
            .count()
            .get_result(conn)?;
        if office == 0 {
            return Err(AppError::field(
                "office_code",
                format!("no office has the code {}", new.office_code),
            ));
        }
        if find(conn, &new.code)?.is_some() {
            return Err(AppError::conflict(format!(
                "a procedure with the code {} already exists",
                new.code
            )));
        }
        let amount = i32::try_from(new.processing_time.amount)
            .map_err(|_| AppError::field("processing_time.amount", "is too large"))?;
        diesel::insert_into(procedures::table)
            .values((
                procedures::code.eq(&new.code),
                procedures::name.eq(&new.name),
                procedures::field.eq(&new.field),
                procedures::office_code.eq(&new.office_code),
                procedures::processing_amount.eq(amount),
                procedures::processing_unit.eq(new.processing_time.unit.as_str()),
                procedures::created_at.eq(db::to_db(db::now())),
            ))
            .execute(conn)?;
        let now = db::to_db(db::now());
        diesel::insert_into(procedure_versions::table)
            .values((
                procedure_versions::procedure_code.eq(&new.code),
                procedure_versions::version.eq(1),
                procedure_versions::effective_from.eq(None::<NaiveDate>),
                procedure_versions::name.eq(&new.name),
                procedure_versions::processing_amount.eq(amount),
                procedure_versions::processing_unit.eq(new.processing_time.unit.as_str()),
                procedure_versions::components.eq(json(&new.components)?),
                procedure_versions::fees.eq(json(&new.fees)?),
                procedure_versions::active.eq(true),
                procedure_versions::created_at.eq(now),
                procedure_versions::created_by.eq(&new.actor),
            ))
            .execute(conn)?;
        crate::store::catalog::bump(conn, crate::store::catalog::CATALOG)?;
        find(conn, &new.code)?
            .ok_or_else(|| AppError::Internal("procedure vanished after insert".into()))
    })
}

fn json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

pub fn find(conn: &mut DbConn, code: &str) -> AppResult<Option<Procedure>> {
    Ok(procedures::table
        .filter(procedures::code.eq(code))
        .select(Procedure::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConn, page: PageRequest) -> AppResult<Page<Procedure>> {
    let total = procedures::table.count().get_result(conn)?;
    let items = procedures::table
        .order(procedures::code.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(Procedure::as_select())
        .load(conn)?;
    Ok(Page { items, total })
}

/// One version of a procedure: what applied to the dossiers received from `effective_from`
/// (`None`: since the procedure was created) until the next version.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = procedure_versions)]
pub struct ProcedureVersion {
    pub id: i64,
    pub procedure_code: String,
    pub version: i32,
    pub effective_from: Option<NaiveDate>,
    pub name: String,
    pub processing_amount: i32,
    pub processing_unit: String,
    pub components: String,
    pub fees: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

impl ProcedureVersion {
    pub fn processing_time(&self) -> AppResult<ProcessingTime> {
        let unit = TimeUnit::parse(&self.processing_unit).ok_or_else(|| {
            AppError::Internal(format!(
                "procedure {} has unknown unit",
                self.procedure_code
            ))
        })?;
        let amount = u32::try_from(self.processing_amount).map_err(|_| {
            AppError::Internal(format!(
                "procedure {} has a negative amount",
                self.procedure_code
            ))
        })?;
        Ok(ProcessingTime { amount, unit })
    }

    pub fn components(&self) -> AppResult<Vec<Component>> {
        serde_json::from_str(&self.components).map_err(|e| AppError::Internal(e.to_string()))
    }

    pub fn fees(&self) -> AppResult<Vec<Fee>> {
        serde_json::from_str(&self.fees).map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// Every version of a procedure, oldest first.
pub fn versions(conn: &mut DbConn, code: &str) -> AppResult<Vec<ProcedureVersion>> {
    Ok(procedure_versions::table
        .filter(procedure_versions::procedure_code.eq(code))
        .order(procedure_versions::version.asc())
        .select(ProcedureVersion::as_select())
        .load(conn)?)
}

/// The version in effect on a local date, among `versions`.
pub fn version_on(versions: &[ProcedureVersion], day: NaiveDate) -> Option<&ProcedureVersion> {
    let keys: Vec<(i32, Option<NaiveDate>)> = versions
        .iter()
        .map(|v| (v.version, v.effective_from))
        .collect();
    let v = crate::domain::procedure::version_on(&keys, day)?;
    versions.iter().find(|x| x.version == v)
}

/// A new version's changes; what is `None` stays as in the version it is based on (the one in
/// effect on `effective_from`).
#[derive(Debug, Clone, Default)]
pub struct ProcedureChange {
    pub name: Option<String>,
    pub processing_time: Option<ProcessingTime>,
    pub components: Option<Vec<Component>>,
    pub fees: Option<Vec<Fee>>,
    pub active: Option<bool>,
    pub effective_from: NaiveDate,
}

/// Makes a new version from `effective_from`, in one transaction. The procedure's own row
/// follows the version in effect `today`.
pub fn add_version(
    conn: &mut DbConn,
    code: &str,
    change: ProcedureChange,
    today: NaiveDate,
    actor: &str,
) -> AppResult<(Procedure, ProcedureVersion)> {
    db::write_tx(conn, |conn| {
        if find(conn, code)?.is_none() {
            return Err(AppError::NotFound(format!(
                "no procedure has the code {code}"
            )));
        }
        let all = versions(conn, code)?;
        let base = version_on(&all, change.effective_from)
            .or_else(|| all.first())
            .ok_or_else(|| AppError::Internal(format!("procedure {code} has no version")))?
            .clone();
        let next = all.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        let (amount, unit) = match change.processing_time {
            Some(t) => (
                i32::try_from(t.amount)
                    .map_err(|_| AppError::field("processing_time.amount", "is too large"))?,
                t.unit.as_str().to_owned(),
            ),
            None => (base.processing_amount, base.processing_unit.clone()),
        };
        let components = match &change.components {
            Some(c) => json(c)?,
            None => base.components.clone(),
        };
        let fees = match &change.fees {
            Some(f) => json(f)?,
            None => base.fees.clone(),
        };
        diesel::insert_into(procedure_versions::table)
            .values((
                procedure_versions::procedure_code.eq(code),
                procedure_versions::version.eq(next),
                procedure_versions::effective_from.eq(Some(change.effective_from)),
                procedure_versions::name.eq(change.name.as_ref().unwrap_or(&base.name)),
                procedure_versions::processing_amount.eq(amount),
                procedure_versions::processing_unit.eq(&unit),
                procedure_versions::components.eq(&components),
                procedure_versions::fees.eq(&fees),
                procedure_versions::active.eq(change.active.unwrap_or(base.active)),
                procedure_versions::created_at.eq(db::to_db(db::now())),
                procedure_versions::created_by.eq(actor),
            ))
            .execute(conn)?;
        let all = versions(conn, code)?;
        let current = version_on(&all, today)
            .or_else(|| all.first())
            .ok_or_else(|| AppError::Internal(format!("procedure {code} has no version")))?
            .clone();
        diesel::update(procedures::table.filter(procedures::code.eq(code)))
            .set((
                procedures::name.eq(&current.name),
                procedures::processing_amount.eq(current.processing_amount),
                procedures::processing_unit.eq(&current.processing_unit),
            ))
            .execute(conn)?;
        crate::store::catalog::bump(conn, crate::store::catalog::CATALOG)?;
        let added = all
            .into_iter()
            .find(|v| v.version == next)
            .ok_or_else(|| AppError::Internal("version vanished after insert".into()))?;
        let p = find(conn, code)?.ok_or_else(|| AppError::Internal("procedure vanished".into()))?;
        Ok((p, added))
    })
}

/// The versions of several procedures, by code.
pub fn versions_of(
    conn: &mut DbConn,
    codes: &[String],
) -> AppResult<std::collections::HashMap<String, Vec<ProcedureVersion>>> {
    let rows = procedure_versions::table
        .filter(procedure_versions::procedure_code.eq_any(codes))
        .order((
            procedure_versions::procedure_code.asc(),
            procedure_versions::version.asc(),
        ))
        .select(ProcedureVersion::as_select())
        .load(conn)?;
    let mut out: std::collections::HashMap<String, Vec<ProcedureVersion>> = Default::default();
    for v in rows {
        out.entry(v.procedure_code.clone()).or_default().push(v);
    }
    Ok(out)
}

/// A payment asked of a citizen that is not what the procedure's version says (phí and lệ phí
/// "not per regulation", a fault the province's inspection names).
#[derive(Debug, Clone)]
pub struct FeeDeviation {
    pub dossier_code: String,
    pub procedure_code: String,
    pub procedure_version: i32,
    pub office_code: String,
    pub responsible_office_code: String,
    pub requested_at: NaiveDateTime,
    pub requested_by: String,
    /// What `request-payment` asked, in đồng.
    pub amount: i64,
    /// The sum of the version's fees.
    pub expected: i64,
}

/// The payments requested in [from, to) by dossiers in scope whose amount differs from the
/// fees of the procedure version the dossier was received under.
#[allow(clippy::type_complexity)] // rows as the query selects them
pub fn fee_deviations(
    conn: &mut DbConn,
    scope: &crate::authz::Scope,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> AppResult<Vec<FeeDeviation>> {
    use crate::db::schema::{dossier_events as e, dossiers as d};
    let mut q = e::table
        .inner_join(d::table)
        .filter(e::action.eq("request-payment"))
        .filter(e::at.ge(db::to_db(from)))
        .filter(e::at.lt(db::to_db(to)))
        .into_boxed::<crate::store::DbBackend>();
    if let crate::authz::Scope::Offices(list) = scope {
        q = q.filter(
            d::office_code
                .eq_any(list.clone())
                .or(d::responsible_office_code.eq_any(list.clone())),
        );
    }
    let rows: Vec<(
        String,
        String,
        i32,
        String,
        String,
        NaiveDateTime,
        String,
        Option<String>,
    )> = q
        .order((e::at.asc(), e::id.asc()))
        .select((
            d::code,
            d::procedure_code,
            d::procedure_version,
            d::office_code,
            d::responsible_office_code,
            e::at,
            e::actor,
            e::data,
        ))
        .load(conn)?;
    let mut expected: std::collections::HashMap<(String, i32), i64> = Default::default();
    let mut out = Vec::new();
    for (code, procedure, version, office, responsible, at, actor, data) in rows {
        // A request without an amount says nothing to compare.
        let Some(amount) = data
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .and_then(|v| v.get("amount").and_then(serde_json::Value::as_i64))
        else {
            continue;
        };
        let key = (procedure.clone(), version);
        let due = match expected.get(&key) {
            Some(v) => *v,
            None => {
                let fees: Option<String> = procedure_versions::table
                    .filter(procedure_versions::procedure_code.eq(&procedure))
                    .filter(procedure_versions::version.eq(version))
                    .select(procedure_versions::fees)
                    .first(conn)
                    .optional()?;
                let fees: Vec<Fee> = match fees {
                    Some(f) => {
                        serde_json::from_str(&f).map_err(|e| AppError::Internal(e.to_string()))?
                    }
                    None => Vec::new(),
                };
                let total = crate::domain::procedure::fees_total(&fees);
                expected.insert(key, total);
                total
            }
        };
        if amount != due {
            out.push(FeeDeviation {
                dossier_code: code,
                procedure_code: procedure,
                procedure_version: version,
                office_code: office,
                responsible_office_code: responsible,
                requested_at: at,
                requested_by: actor,
                amount,
                expected: due,
            });
        }
    }
    Ok(out)
}
