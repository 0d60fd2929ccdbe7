//! The citizen's satisfaction and complaints (DOMAIN.md "Satisfaction and complaints"): the
//! rating a returned dossier may receive once, the personal link that carries it, and the
//! complaints and recommendations (phản ánh, kiến nghị) an agency answers within its deadline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::calendar::{ProcessingTime, WorkingCalendar};

/// How the citizen rates the service (mức độ hài lòng).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// Hài lòng.
    Satisfied,
    /// Bình thường.
    Neutral,
    /// Không hài lòng.
    Dissatisfied,
}

impl Rating {
    pub const ALL: [Rating; 3] = [Rating::Satisfied, Rating::Neutral, Rating::Dissatisfied];

    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Neutral => "neutral",
            Rating::Dissatisfied => "dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Rating> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The longest comment a rating may carry, in characters.
pub const COMMENT_MAX: usize = 1000;
/// The longest complaint, in characters.
pub const COMPLAINT_MAX: usize = 2000;
/// The longest answer to a complaint, in characters.
pub const ANSWER_MAX: usize = 4000;

/// A rating's comment as stored: trimmed, `None` when empty; `Err` says why it is refused.
pub fn comment(given: Option<&str>) -> Result<Option<String>, String> {
    let Some(c) = given.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    if c.chars().count() > COMMENT_MAX {
        return Err(format!("must be at most {COMMENT_MAX} characters"));
    }
    if c.chars()
        .any(|ch| ch.is_control() && ch != '\n' && ch != '\r' && ch != '\t')
    {
        return Err("must not contain control characters".into());
    }
    Ok(Some(c.to_owned()))
}

/// A complaint's or an answer's text as stored: trimmed, 1..=`max` characters.
pub fn text(given: &str, max: usize) -> Result<String, String> {
    let t = given.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if t.chars()
        .any(|ch| ch.is_control() && ch != '\n' && ch != '\r' && ch != '\t')
    {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_owned())
}

/// Bytes of randomness in a rating token: 256 bits, far above the 128 the link needs.
pub const TOKEN_BYTES: usize = 32;

/// The token as it travels in the link: base64url without padding.
pub fn encode_token(bytes: &[u8; TOKEN_BYTES]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a path segment can be a token at all (43 base64url characters); anything else is
/// not looked up.
pub fn plausible_token(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What is stored of a token: its SHA-256, lowercase hex. The token itself is never stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The citizen's personal link.
pub fn rating_url(base_url: &str, token: &str) -> String {
    format!("{}/danh-gia/{token}", base_url.trim_end_matches('/'))
}

/// A link minted for a result returned at `returned_at` works until `valid_days` calendar days
/// later.
pub fn link_expires_at(returned_at: DateTime<Utc>, valid_days: u32) -> DateTime<Utc> {
    returned_at + chrono::Duration::days(i64::from(valid_days))
}

/// Phản ánh or kiến nghị.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintKind {
    /// Phản ánh: something went wrong.
    Complaint,
    /// Kiến nghị: a suggestion.
    Recommendation,
}

impl ComplaintKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintKind::Complaint => "complaint",
            ComplaintKind::Recommendation => "recommendation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ComplaintKind::Complaint, ComplaintKind::Recommendation]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// When a complaint filed at `filed_at` must be answered: `deadline` (15 working days by
/// default, `complaints.deadline`) counted in the working calendar like a dossier's deadline,
/// from the start of the next working session when it is filed outside one.
pub fn complaint_due_at(
    cal: &WorkingCalendar,
    filed_at: DateTime<Utc>,
    deadline: ProcessingTime,
) -> DateTime<Utc> {
    cal.due_at(filed_at, deadline)
}

/// An answer after the due instant is late (and counted so).
pub fn answered_late(due_at: DateTime<Utc>, answered_at: DateTime<Utc>) -> bool {
    answered_at > due_at
}

/// An open complaint past its due instant.
pub fn open_overdue(
    due_at: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    answered_at.is_none() && now > due_at
}

/// A complaint's state as the citizen and staff see it.
pub fn complaint_status(answered_at: Option<DateTime<Utc>>) -> &'static str {
    if answered_at.is_some() {
        "answered"
    } else {
        "open"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ratings_read_back_as_written() {
        for r in Rating::ALL {
            assert_eq!(Rating::parse(r.as_str()), Some(r));
        }
        assert_eq!(Rating::parse("Satisfied"), None);
        assert_eq!(Rating::parse(""), None);
    }

    #[test]
    fn a_comment_is_optional_and_bounded() {
        assert_eq!(comment(None), Ok(None));
        assert_eq!(comment(Some("   ")), Ok(None));
        assert_eq!(comment(Some(" Tốt ")), Ok(Some("Tốt".into())));
        assert!(comment(Some(&"ồ".repeat(COMMENT_MAX))).is_ok());
        assert!(comment(Some(&"ồ".repeat(COMMENT_MAX + 1))).is_err());
        assert!(comment(Some("a\u{0}b")).is_err());
        assert!(text("", COMPLAINT_MAX).is_err());
        assert!(text(&"a".repeat(COMPLAINT_MAX + 1), COMPLAINT_MAX).is_err());
        assert_eq!(text(" Chậm ", COMPLAINT_MAX), Ok("Chậm".into()));
    }

    #[test]
    fn a_token_is_256_bits_of_base64url_and_only_its_hash_is_kept() {
        let t = encode_token(&[0xfb; TOKEN_BYTES]);
        assert_eq!(t.len(), 43);
        assert!(plausible_token(&t), "{t}");
        assert!(!t.contains('+') && !t.contains('/') && !t.contains('='));
        assert!(!plausible_token("short"));
        assert!(!plausible_token(&format!("{}=", &t[..42])));
        let h = token_hash(&t);
        assert_eq!(h.len(), 64);
        assert_ne!(h, t);
        assert_eq!(
            rating_url("http://x.vn/", &t),
            format!("http://x.vn/danh-gia/{t}")
        );
    }

    #[test]
    fn a_link_expires_after_its_days_and_an_answer_after_its_due_is_late() {
        let at = Utc.with_ymd_and_hms(2027, 3, 1, 2, 0, 0).unwrap();
        assert_eq!(
            link_expires_at(at, 30),
            Utc.with_ymd_and_hms(2027, 3, 31, 2, 0, 0).unwrap()
        );
        assert!(!answered_late(at, at));
        assert!(answered_late(at, at + chrono::Duration::seconds(1)));
        assert!(open_overdue(at, None, at + chrono::Duration::seconds(1)));
        assert!(!open_overdue(at, Some(at), at + chrono::Duration::days(9)));
        assert_eq!(complaint_status(None), "open");
        assert_eq!(
            ComplaintKind::parse("recommendation"),
            Some(ComplaintKind::Recommendation)
        );
    }
}
