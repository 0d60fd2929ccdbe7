//! Field rules for what people type: applicants, names, free text, passwords.

use serde::Serialize;

/// One problem with one input field, as returned in a problem+json `errors` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Collects every field problem of a request so the client sees them all at once.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A required single-line text: trimmed, non-empty, at most `max` characters, no control characters.
    pub fn line(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.add(field, "must not be empty");
        } else {
            self.check_text(field, v, max, false);
        }
        v.to_owned()
    }

    /// An optional single-line text; empty becomes `None`.
    pub fn opt_line(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        self.check_text(field, v, max, false);
        Some(v.to_owned())
    }

    /// An optional multi-line note: newlines and tabs allowed, other control characters not.
    pub fn opt_note(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        self.check_text(field, v, max, true);
        Some(v.to_owned())
    }

    fn check_text(&mut self, field: &str, v: &str, max: usize, multiline: bool) {
        if v.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
        let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
        if v.chars().any(|c| c.is_control() && !allowed(c)) {
            self.add(field, "must not contain control characters");
        }
    }
}

pub const NAME_MAX: usize = 200;
pub const NOTE_MAX: usize = 2000;
pub const ADDRESS_MAX: usize = 500;
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 256;

/// The citizen's secret for the public lookup: a 9- or 12-digit ID number, or a passport
/// number of 6–12 capital letters and digits. Returns the normalised form.
pub fn id_number(s: &str) -> Option<String> {
    let s = s.trim().to_ascii_uppercase();
    let all_digits = s.bytes().all(|b| b.is_ascii_digit());
    let alnum = s
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    let ok =
        (all_digits && (s.len() == 9 || s.len() == 12)) || (alnum && (6..=12).contains(&s.len()));
    ok.then_some(s)
}

/// Vietnamese phone numbers as people write them: digits with an optional leading `+`,
/// spaces, dots or dashes between groups; 8 to 15 digits.
pub fn phone(s: &str) -> bool {
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    let body = s.strip_prefix('+').unwrap_or(s);
    (8..=15).contains(&digits)
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'.' | b'-'))
}

/// A plausible email address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
}

/// Usernames: 3–64 lower-case letters, digits, `.`, `_` or `-`.
pub fn username(s: &str) -> bool {
    (3..=64).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// The minimum password policy: at least 12 characters, not all the same character.
pub fn password(s: &str) -> Result<(), String> {
    let n = s.chars().count();
    if n < PASSWORD_MIN {
        return Err(format!("must have at least {PASSWORD_MIN} characters"));
    }
    if n > PASSWORD_MAX {
        return Err(format!("must have at most {PASSWORD_MAX} characters"));
    }
    // Nobody types them, and they break terminals and `--password-stdin` pipes.
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    let mut chars = s.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err("must not repeat a single character".into());
    }
    Ok(())
}

/// The applicant's name as the public lookup may show it: each word's first letter, the rest masked.
pub fn mask_name(full_name: &str) -> String {
    full_name
        .split_whitespace()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(first) => std::iter::once(first)
                    .chain(cs.map(|_| '*'))
                    .collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers() {
        assert_eq!(id_number("079123456789").as_deref(), Some("079123456789"));
        assert_eq!(id_number("123456789").as_deref(), Some("123456789"));
        assert_eq!(id_number("c1234567").as_deref(), Some("C1234567"));
        for bad in [
            "",
            "12345",
            "1234567890123",
            "0791-23456789",
            "ABC 12345",
            "Ã12345678",
        ] {
            assert_eq!(id_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn names_are_masked_letter_by_letter() {
        assert_eq!(mask_name("Nguyễn Văn An"), "N***** V** A*");
        assert_eq!(mask_name("  Lê   Thị  "), "L* T**");
    }

    #[test]
    fn text_rules_collect_every_problem() {
        let mut e = Errors::default();
        assert_eq!(
            e.line("full_name", "  Trần Thị B  ", NAME_MAX),
            "Trần Thị B"
        );
        e.line("a", "   ", 10);
        e.line("b", "tab\there", 50);
        e.line("c", &"x".repeat(11), 10);
        assert_eq!(
            e.opt_note("d", Some("line one\nline two"), 50).as_deref(),
            Some("line one\nline two")
        );
        e.opt_note("e", Some("bell\u{7}"), 50);
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["a", "b", "c", "e"]);
    }

    #[test]
    fn contacts_and_passwords() {
        assert!(
            phone("0901234567") && phone("+84 90 123 4567") && !phone("call me") && !phone("12")
        );
        assert!(
            email("an@example.vn")
                && !email("an@localhost")
                && !email("a b@x.vn")
                && !email("@x.vn")
        );
        assert!(username("clerk.h40") && !username("Clerk") && !username("ab"));
        assert!(password("correct horse battery").is_ok());
        assert!(password("short").is_err() && password(&"a".repeat(20)).is_err());
        assert!(
            password("correct horse\u{0}battery").is_err()
                && password("correct\thorse battery").is_err()
        );
    }
}
