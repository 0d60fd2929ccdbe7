//! Apology letters (Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết, Mẫu 04) as stored,
//! with their delivery.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{DbBackend, Page, PageRequest};
use crate::authz::Scope;
use crate::db::DbConn;
use crate::db::schema::{apology_letters as al, dossiers as d};
use crate::error::AppResult;
use crate::store::dossiers::Dossier;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = al)]
pub struct Letter {
    pub id: i64,
    pub dossier_id: i64,
    pub number: String,
    pub office_code: String,
    pub year: i32,
    pub seq: i32,
    pub reason: String,
    pub original_due_at: NaiveDateTime,
    pub new_due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub automatic: bool,
    pub missed_duty: bool,
    pub responsible_office_code: String,
    pub signer_name: Option<String>,
    pub delivery_status: String,
    pub attempts: i32,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub message_id: String,
}

/// The dossier's letter (there is at most one) with its dossier code. A letter and the flag
/// `reappointment_used` are written in one transaction, so without the flag there is nothing to
/// read.
pub fn for_dossier(conn: &mut DbConn, dossier: &Dossier) -> AppResult<Vec<(Letter, String)>> {
    if !dossier.reappointment_used {
        return Ok(Vec::new());
    }
    let dossier_id = dossier.id;
    Ok(al::table
        .inner_join(d::table)
        .filter(al::dossier_id.eq(dossier_id))
        .order(al::id.asc())
        .select((Letter::as_select(), d::code))
        .load(conn)?)
}

#[derive(Debug, Clone, Default)]
pub struct LetterFilter {
    pub delivery_status: Option<String>,
    pub office: Option<String>,
}

fn filtered<'a>(f: &'a LetterFilter, scope: &'a Scope) -> al::BoxedQuery<'a, DbBackend> {
    let mut q = al::table.into_boxed::<DbBackend>();
    if let Scope::Offices(list) = scope {
        let received_in_scope = d::table.filter(d::office_code.eq_any(list)).select(d::id);
        q = q.filter(
            al::responsible_office_code
                .eq_any(list)
                .or(al::dossier_id.eq_any(received_in_scope)),
        );
    }
    if let Some(s) = &f.delivery_status {
        q = q.filter(al::delivery_status.eq(s));
    }
    if let Some(o) = &f.office {
        q = q.filter(al::responsible_office_code.eq(o));
    }
    q
}

/// Letters within scope (responsible agency or receiving office), newest first, with dossier codes.
pub fn list(
    conn: &mut DbConn,
    f: &LetterFilter,
    scope: &Scope,
    page: PageRequest,
) -> AppResult<Page<(Letter, String)>> {
    let total = filtered(f, scope).count().get_result(conn)?;
    let letters: Vec<Letter> = filtered(f, scope)
        .order(al::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(Letter::as_select())
        .load(conn)?;
    let mut items = Vec::with_capacity(letters.len());
    for l in letters {
        let code: String = d::table
            .filter(d::id.eq(l.dossier_id))
            .select(d::code)
            .first(conn)?;
        items.push((l, code));
    }
    Ok(Page { items, total })
}

/// One letter with its dossier's code.
pub fn find(conn: &mut DbConn, id: i64) -> AppResult<Option<(Letter, String)>> {
    Ok(al::table
        .inner_join(d::table)
        .filter(al::id.eq(id))
        .select((Letter::as_select(), d::code))
        .first(conn)
        .optional()?)
}
