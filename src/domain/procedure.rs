//! A procedure over time: its versions with their effective dates, components and fees
//! (phí and lệ phí), and which version a receipt falls under.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A document the dossier is made of (thành phần hồ sơ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Short code, unique within the procedure's version.
    #[schema(example = "TP1")]
    pub code: String,
    #[schema(example = "Đơn đề nghị cấp giấy phép xây dựng")]
    pub name: String,
    /// Whether the dossier is incomplete without it.
    pub required: bool,
}

/// Phí (a charge for a public service) or lệ phí (a state fee).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    /// Phí.
    Phi,
    /// Lệ phí.
    LePhi,
}

/// One fee of a procedure, in đồng.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    pub kind: FeeKind,
    #[schema(example = "Lệ phí cấp giấy phép xây dựng")]
    pub name: String,
    /// Amount in đồng, 0 or more.
    #[schema(minimum = 0, example = 75000)]
    pub amount: i64,
}

/// What a receipt must pay: the sum of the version's fees.
pub fn fees_total(fees: &[Fee]) -> i64 {
    fees.iter().map(|f| f.amount).sum()
}

/// The version in effect on a local date: the latest `effective_from` on or before it (`None`:
/// since always), the newer version where two start on the same day. Versions are given as
/// `(version, effective_from)`.
pub fn version_on(versions: &[(i32, Option<NaiveDate>)], day: NaiveDate) -> Option<i32> {
    versions
        .iter()
        .filter(|(_, from)| from.is_none_or(|f| f <= day))
        .max_by_key(|(v, from)| (*from, *v))
        .map(|(v, _)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_receipt_falls_under_the_version_in_effect_on_its_day() {
        let versions = [
            (1, None),
            (2, Some(d("2027-03-01"))),
            (3, Some(d("2027-01-01"))),
            (4, Some(d("2027-03-01"))),
        ];
        assert_eq!(version_on(&versions, d("2026-12-31")), Some(1));
        assert_eq!(version_on(&versions, d("2027-01-01")), Some(3));
        assert_eq!(version_on(&versions, d("2027-02-28")), Some(3));
        assert_eq!(
            version_on(&versions, d("2027-03-01")),
            Some(4),
            "the newer of one day"
        );
        assert_eq!(
            version_on(&[(2, Some(d("2027-01-01")))], d("2026-01-01")),
            None
        );
    }

    #[test]
    fn the_fees_add_up() {
        let fees = [
            Fee {
                kind: FeeKind::Phi,
                name: "a".into(),
                amount: 50_000,
            },
            Fee {
                kind: FeeKind::LePhi,
                name: "b".into(),
                amount: 25_000,
            },
        ];
        assert_eq!(fees_total(&fees), 75_000);
        assert_eq!(fees_total(&[]), 0);
    }
}
