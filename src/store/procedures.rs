//! The procedure catalogue (thủ tục hành chính) with processing times.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Page, PageRequest};
use crate::db::schema::{offices, procedures};
use crate::db::{self, DbConn};
use crate::domain::calendar::{ProcessingTime, TimeUnit};
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
        find(conn, &new.code)?
            .ok_or_else(|| AppError::Internal("procedure vanished after insert".into()))
    })
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
