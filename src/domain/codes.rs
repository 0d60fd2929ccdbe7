//! Office codes and dossier codes (Circular 01 Art. 19): `<office>-<YYMMDD>-<NNNN>`.

use std::fmt;

use chrono::NaiveDate;

/// The code of an office or agency: digits, capital letters and dots, never `-`
/// (the dossier code uses `-` as its separator), e.g. `000.00.24.H40`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OfficeCode(String);

impl OfficeCode {
    pub const MAX_LEN: usize = 40;

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.is_empty() {
            return Err("must not be empty");
        }
        if s.len() > Self::MAX_LEN {
            return Err("must be at most 40 characters");
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'.')
        {
            return Err("may contain only digits, capital letters and dots");
        }
        if s.starts_with('.') || s.ends_with('.') || s.contains("..") {
            return Err("dots must separate non-empty parts");
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OfficeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A dossier code: receiving office, local date of receipt, and that day's sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DossierCode {
    pub office: OfficeCode,
    pub date: NaiveDate,
    pub seq: u32,
}

impl DossierCode {
    pub fn new(office: OfficeCode, date: NaiveDate, seq: u32) -> Self {
        Self { office, date, seq }
    }

    /// Parses a code as printed on a receipt. Anything else is `None`, never a panic.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() > OfficeCode::MAX_LEN + 20 {
            return None;
        }
        let mut parts = s.rsplitn(3, '-');
        let seq = parts.next()?;
        let date = parts.next()?;
        let office = parts.next()?;
        if seq.len() < 4 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Numbers are zero-padded to four digits; past 9,999 they grow without padding.
        if seq.len() > 4 && seq.starts_with('0') {
            return None;
        }
        let seq: u32 = seq.parse().ok()?;
        if seq == 0 || date.len() != 6 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let date = NaiveDate::parse_from_str(&format!("20{date}"), "%Y%m%d").ok()?;
        Some(Self {
            office: OfficeCode::parse(office).ok()?,
            date,
            seq,
        })
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}-{:04}",
            self.office,
            self.date.format("%y%m%d"),
            self.seq
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn d(y: i32, m: u32, day: u32) -> Result<NaiveDate, &'static str> {
        NaiveDate::from_ymd_opt(y, m, day).ok_or("valid test date")
    }

    #[test]
    fn formats_like_the_circular_example() -> TestResult {
        let code = DossierCode::new(OfficeCode::parse("000.00.24.H40")?, d(2023, 7, 3)?, 1);
        assert_eq!(code.to_string(), "000.00.24.H40-230703-0001");
        Ok(())
    }

    #[test]
    fn the_sequence_grows_past_four_digits() -> TestResult {
        let office = OfficeCode::parse("H40")?;
        assert_eq!(
            DossierCode::new(office.clone(), d(2027, 2, 3)?, 9999).to_string(),
            "H40-270203-9999"
        );
        assert_eq!(
            DossierCode::new(office, d(2027, 2, 3)?, 10000).to_string(),
            "H40-270203-10000"
        );
        Ok(())
    }

    #[test]
    fn parse_round_trips() -> TestResult {
        for s in [
            "000.00.24.H40-230703-0001",
            "H40-270203-10000",
            "1.2.3-991231-0042",
        ] {
            assert_eq!(
                DossierCode::parse(s)
                    .ok_or("round-trip code parses")?
                    .to_string(),
                s
            );
        }
        Ok(())
    }

    #[test]
    fn parse_refuses_malformed_codes() {
        for s in [
            "",
            "H40",
            "H40-230703",
            "H40-230703-001",
            "H40-230703-0000",
            "H40-230732-0001",
            "h40-230703-0001",
            "H40-230703-00001",
            "H-40-230703-0001",
            "H40-2307031-0001",
            "H40-230703-000a",
            "../H40-230703-0001",
        ] {
            assert!(DossierCode::parse(s).is_none(), "{s:?} parsed");
        }
    }

    #[test]
    fn office_codes_allow_digits_capitals_and_dots() {
        assert!(OfficeCode::parse("000.00.24.H40").is_ok());
        for bad in [
            "",
            "a.b",
            "H-40",
            "H40.",
            ".H40",
            "H..40",
            "Ủ",
            &"9".repeat(41),
        ] {
            assert!(OfficeCode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
