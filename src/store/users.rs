//! Staff accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{offices, users};
use crate::db::{self, DbConn};
use crate::domain::dossier::Role;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub office_code: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl User {
    pub fn role(&self) -> AppResult<Role> {
        Role::parse(&self.role)
            .ok_or_else(|| AppError::Internal(format!("user {} has unknown role", self.username)))
    }
}

pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub office_code: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
}

/// Creates a user; every role but admin belongs to an existing office.
pub fn create(conn: &mut DbConn, new: NewUser) -> AppResult<User> {
    db::write_tx(conn, |conn| {
        match (&new.office_code, new.role) {
            (None, Role::Admin) => {}
            (None, _) => {
                return Err(AppError::field(
                    "office_code",
                    "is required for every role but admin",
                ));
            }
            (Some(code), _) => {
                let exists: i64 = offices::table
                    .filter(offices::code.eq(code))
                    .count()
                    .get_result(conn)?;
                if exists == 0 {
                    return Err(AppError::field(
                        "office_code",
                        format!("no office has the code {code}"),
                    ));
                }
            }
        }
        if find(conn, &new.username)?.is_some() {
            return Err(AppError::conflict(format!(
                "the username {} is taken",
                new.username
            )));
        }
        diesel::insert_into(users::table)
            .values((
                users::username.eq(&new.username),
                users::password_hash.eq(&new.password_hash),
                users::role.eq(new.role.as_str()),
                users::office_code.eq(&new.office_code),
                users::full_name.eq(&new.full_name),
                users::email.eq(&new.email),
                users::active.eq(true),
                users::created_at.eq(db::to_db(db::now())),
            ))
            .execute(conn)?;
        find(conn, &new.username)?
            .ok_or_else(|| AppError::Internal("user vanished after insert".into()))
    })
}

pub fn find(conn: &mut DbConn, username: &str) -> AppResult<Option<User>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}
