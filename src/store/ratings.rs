//! The citizen's rating of a returned dossier: the personal links (only their tokens' SHA-256
//! is stored) and the one rating a dossier takes, written on the dossier itself (`rating`,
//! `rating_comment`, `rated_at`, which the scorecard reads) without a lifecycle event.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{dossiers, rating_links as rl};
use crate::db::{self, DbConn, from_db};
use crate::domain::satisfaction::{self, Rating};
use crate::error::{AppError, AppResult};
use crate::store::catalog::Catalog;
use crate::store::dossiers::{self as store_dossiers, Dossier};

/// Mints a new personal link for the dossier (at delivery of a `result_returned` message):
/// 256 random bits, base64url; its SHA-256 is stored with its expiry, the token is returned to
/// be sent and is kept nowhere.
pub fn mint(
    conn: &mut DbConn,
    dossier_id: i64,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let bytes: [u8; satisfaction::TOKEN_BYTES] = rand::random();
    let token = satisfaction::encode_token(&bytes);
    diesel::insert_into(rl::table)
        .values((
            rl::token_hash.eq(satisfaction::token_hash(&token)),
            rl::dossier_id.eq(dossier_id),
            rl::expires_at.eq(db::to_db(expires_at)),
            rl::created_at.eq(db::to_db(now)),
        ))
        .execute(conn)?;
    Ok(token)
}

/// What a valid link leads to.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub dossier_code: String,
    pub procedure_name: String,
    pub returned_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub rated: bool,
}

/// The one answer for a token never issued and one that expired: a link says nothing about
/// whether it ever existed.
pub fn link_not_found() -> AppError {
    AppError::NotFound("this rating link is unknown or no longer valid".into())
}

/// The dossier a token leads to, while the link is valid.
fn valid_link(
    conn: &mut DbConn,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<(Dossier, DateTime<Utc>)> {
    if !satisfaction::plausible_token(token) {
        return Err(link_not_found());
    }
    let found: Option<(i64, NaiveDateTime)> = rl::table
        .filter(rl::token_hash.eq(satisfaction::token_hash(token)))
        .select((rl::dossier_id, rl::expires_at))
        .first(conn)
        .optional()?;
    let Some((dossier_id, expires_at)) = found else {
        return Err(link_not_found());
    };
    let expires_at = from_db(expires_at);
    if now >= expires_at {
        return Err(link_not_found());
    }
    let d = store_dossiers::find_by_id(conn, dossier_id)?.ok_or_else(link_not_found)?;
    Ok((d, expires_at))
}

/// What the rating page shows for a token (404 for an unknown or expired one).
pub fn link(
    conn: &mut DbConn,
    catalog: &Catalog,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<LinkView> {
    let (d, expires_at) = valid_link(conn, token, now)?;
    let (procedure_name, _, _) = catalog.names_for(conn, &d)?;
    Ok(LinkView {
        dossier_code: d.code,
        procedure_name,
        returned_at: d.returned_at.map(from_db),
        expires_at,
        rated: d.rating.is_some(),
    })
}

/// The rating as recorded.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub dossier_code: String,
    pub rating: Rating,
    pub comment: Option<String>,
    pub rated_at: DateTime<Utc>,
}

/// Records the rating on the dossier the token leads to: 404 for an unknown or expired link,
/// 409 when the dossier was rated already. `UPDATE … WHERE rating IS NULL` makes two posts at
/// once give one rating and one 409.
pub fn rate(
    conn: &mut DbConn,
    token: &str,
    rating: Rating,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<Recorded> {
    db::write_tx(conn, |conn| {
        let (d, _) = valid_link(conn, token, now)?;
        let n = diesel::update(
            dossiers::table
                .filter(dossiers::id.eq(d.id))
                .filter(dossiers::rating.is_null()),
        )
        .set((
            dossiers::rating.eq(rating.as_str()),
            dossiers::rating_comment.eq(comment.as_deref()),
            dossiers::rated_at.eq(db::to_db(now)),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(AppError::Conflict {
                code: "already_rated",
                detail: "this dossier has been rated already; a dossier takes one rating".into(),
            });
        }
        Ok(Recorded {
            dossier_code: d.code,
            rating,
            comment,
            rated_at: now,
        })
    })
}
