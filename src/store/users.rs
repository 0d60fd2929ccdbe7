//! Staff accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Page, PageRequest};
use crate::db::schema::{offices, user_changes, users};
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
    pub token_version: i64,
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
        let user = find(conn, &new.username)?
            .ok_or_else(|| AppError::Internal("user vanished after insert".into()))?;
        let mut changes = serde_json::Map::new();
        changes.insert(
            "created".into(),
            serde_json::json!({"role": new.role.as_str(), "office_code": new.office_code}),
        );
        audit(conn, &new.username, "motcua", changes)?;
        Ok(user)
    })
}

pub fn find(conn: &mut DbConn, username: &str) -> AppResult<Option<User>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Filters of the users list.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub office_code: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

pub fn list(conn: &mut DbConn, f: &UserFilter, page: PageRequest) -> AppResult<Page<User>> {
    let query = || {
        let mut q = users::table.into_boxed::<crate::store::DbBackend>();
        if let Some(o) = &f.office_code {
            q = q.filter(users::office_code.eq(o.clone()));
        }
        if let Some(r) = f.role {
            q = q.filter(users::role.eq(r.as_str()));
        }
        if let Some(a) = f.active {
            q = q.filter(users::active.eq(a));
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let items = query()
        .order(users::username.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(User::as_select())
        .load(conn)?;
    Ok(Page { items, total })
}

/// What an administrator changes on an account; `None` leaves a field as it is, and
/// `Some(None)` clears an optional one.
#[derive(Debug, Default, Clone)]
pub struct UserChange {
    pub role: Option<Role>,
    pub office_code: Option<Option<String>>,
    pub full_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub active: Option<bool>,
    /// A new argon2 hash.
    pub password_hash: Option<String>,
}

/// One audited change to an account.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_changes)]
pub struct UserChangeRecord {
    pub id: i64,
    pub username: String,
    pub actor: String,
    pub at: NaiveDateTime,
    pub changes: String,
}

/// Applies a change to an account in one transaction, with its audit row. A change of role,
/// office, activity or password bumps the token version, so that every token issued before it
/// stops working (see `auth::TokenVersions`). Returns the user as stored, and whether the
/// version moved.
pub fn update(
    conn: &mut DbConn,
    username: &str,
    change: UserChange,
    actor: &str,
) -> AppResult<(User, bool)> {
    db::write_tx(conn, |conn| {
        let user = find(conn, username)?
            .ok_or_else(|| AppError::NotFound(format!("no user is named {username}")))?;
        let role_before = user.role()?;
        let role = change.role.unwrap_or(role_before);
        let office = match &change.office_code {
            Some(o) => o.clone(),
            None => user.office_code.clone(),
        };
        if role != Role::Admin && office.is_none() {
            return Err(AppError::field(
                "office_code",
                "is required for every role but admin",
            ));
        }
        if let Some(code) = &office
            && office != user.office_code
        {
            let open: Option<Option<NaiveDateTime>> = offices::table
                .filter(offices::code.eq(code))
                .select(offices::closed_at)
                .first(conn)
                .optional()?;
            match open {
                None => {
                    return Err(AppError::field(
                        "office_code",
                        format!("no office has the code {code}"),
                    ));
                }
                Some(Some(_)) => {
                    return Err(AppError::field(
                        "office_code",
                        format!("the office {code} is closed"),
                    ));
                }
                Some(None) => {}
            }
        }
        let mut changes = serde_json::Map::new();
        let mut note = |field: &str, from: serde_json::Value, to: serde_json::Value| {
            if from != to {
                changes.insert(field.into(), serde_json::json!({"from": from, "to": to}));
            }
        };
        note("role", role_before.as_str().into(), role.as_str().into());
        note(
            "office_code",
            user.office_code.clone().into(),
            office.clone().into(),
        );
        let full_name = change
            .full_name
            .clone()
            .unwrap_or_else(|| user.full_name.clone());
        note(
            "full_name",
            user.full_name.clone().into(),
            full_name.clone().into(),
        );
        let email = change.email.clone().unwrap_or_else(|| user.email.clone());
        // Addresses are personal data: the audit says that it changed, not what it is.
        if email != user.email {
            changes.insert("email".into(), serde_json::json!("changed"));
        }
        let active = change.active.unwrap_or(user.active);
        if active != user.active {
            changes.insert(
                "active".into(),
                serde_json::json!({"from": user.active, "to": active}),
            );
        }
        if change.password_hash.is_some() {
            changes.insert("password".into(), serde_json::json!("changed"));
        }
        if changes.is_empty() {
            return Ok((user, false));
        }
        let revokes = ["role", "office_code", "active", "password"]
            .iter()
            .any(|k| changes.contains_key(*k));
        let version = user.token_version + i64::from(revokes);
        diesel::update(users::table.filter(users::id.eq(user.id)))
            .set((
                users::role.eq(role.as_str()),
                users::office_code.eq(&office),
                users::full_name.eq(&full_name),
                users::email.eq(&email),
                users::active.eq(active),
                users::password_hash.eq(change
                    .password_hash
                    .as_deref()
                    .unwrap_or(&user.password_hash)),
                users::token_version.eq(version),
            ))
            .execute(conn)?;
        audit(conn, username, actor, changes)?;
        let user = find(conn, username)?
            .ok_or_else(|| AppError::Internal("user vanished after update".into()))?;
        Ok((user, revokes))
    })
}

/// Records an audited change and tells the other replicas that the users changed.
fn audit(
    conn: &mut DbConn,
    username: &str,
    actor: &str,
    changes: serde_json::Map<String, serde_json::Value>,
) -> AppResult<()> {
    diesel::insert_into(user_changes::table)
        .values((
            user_changes::username.eq(username),
            user_changes::actor.eq(actor),
            user_changes::at.eq(db::to_db(db::now())),
            user_changes::changes.eq(serde_json::Value::Object(changes).to_string()),
        ))
        .execute(conn)?;
    crate::store::catalog::bump(conn, crate::store::catalog::USERS)?;
    Ok(())
}

/// An account's audited changes, newest first.
pub fn changes(
    conn: &mut DbConn,
    username: &str,
    page: PageRequest,
) -> AppResult<Page<UserChangeRecord>> {
    let total = user_changes::table
        .filter(user_changes::username.eq(username))
        .count()
        .get_result(conn)?;
    let items = user_changes::table
        .filter(user_changes::username.eq(username))
        .order(user_changes::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(UserChangeRecord::as_select())
        .load(conn)?;
    Ok(Page { items, total })
}

/// Every user's token version and activity, for `auth::TokenVersions`.
pub fn token_versions(conn: &mut DbConn) -> AppResult<Vec<(String, i64, bool)>> {
    Ok(users::table
        .select((users::username, users::token_version, users::active))
        .load(conn)?)
}
