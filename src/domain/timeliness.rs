//! Timeliness verdicts: early / on time / late for finished dossiers (and steps),
//! on track / due soon / overdue / paused for open ones (DOMAIN.md "Timeliness").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::{ProcessingTime, WorkingCalendar};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// Trong hạn.
    OnTrack,
    /// The working time left is at most `deadlines.due_soon`.
    DueSoon,
    /// Quá hạn: strictly after the due instant, still open.
    Overdue,
    /// The clock is stopped while the citizen acts (supplement, payment).
    Paused,
    /// Trước hạn: finished on a calendar day before the due day.
    Early,
    /// Đúng hạn: finished on the due day, at or before the due instant.
    OnTime,
    /// Quá hạn: finished after the due instant.
    Late,
}

impl Timeliness {
    pub const ALL: [Timeliness; 7] = [
        Timeliness::OnTrack,
        Timeliness::DueSoon,
        Timeliness::Overdue,
        Timeliness::Paused,
        Timeliness::Early,
        Timeliness::OnTime,
        Timeliness::Late,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Timeliness::OnTrack => "on_track",
            Timeliness::DueSoon => "due_soon",
            Timeliness::Overdue => "overdue",
            Timeliness::Paused => "paused",
            Timeliness::Early => "early",
            Timeliness::OnTime => "on_time",
            Timeliness::Late => "late",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The verdict on something finished at `finished_at` against its due instant, compared in
/// office local time: early on an earlier calendar day, on time up to the due instant on the
/// due day, late after it.
pub fn finished(
    calendar: &WorkingCalendar,
    due_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
) -> Timeliness {
    if finished_at > due_at {
        Timeliness::Late
    } else if calendar.local_date(finished_at) < calendar.local_date(due_at) {
        Timeliness::Early
    } else {
        Timeliness::OnTime
    }
}

/// The standing of an open dossier as of `now`. Due soon when `due_soon` of working time
/// counted from now reaches the due instant (units are never converted into each other).
pub fn open(
    calendar: &WorkingCalendar,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    paused: bool,
    due_soon: ProcessingTime,
) -> Timeliness {
    if paused {
        Timeliness::Paused
    } else if now > due_at {
        Timeliness::Overdue
    } else if calendar.due_at(now, due_soon) >= due_at {
        Timeliness::DueSoon
    } else {
        Timeliness::OnTrack
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{CalendarSettings, TimeUnit};
    use chrono::{Duration, TimeZone};

    fn cal() -> WorkingCalendar {
        WorkingCalendar::new(CalendarSettings::default(), vec![])
    }

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> Result<DateTime<Utc>, &'static str> {
        Ok(chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .ok_or("unambiguous local time")?
            .with_timezone(&Utc))
    }

    #[test]
    fn finished_verdicts_at_the_boundaries() -> TestResult {
        let c = cal();
        // Due Thursday 2027-03-11 09:10 local.
        let due = vn(2027, 3, 11, 9, 10)?;
        assert_eq!(
            finished(&c, due, vn(2027, 3, 10, 16, 59)?),
            Timeliness::Early
        );
        assert_eq!(
            finished(&c, due, vn(2027, 3, 11, 0, 0)?),
            Timeliness::OnTime,
            "the due day's start"
        );
        assert_eq!(
            finished(&c, due, due),
            Timeliness::OnTime,
            "the due instant itself"
        );
        assert_eq!(
            finished(&c, due, due + Duration::minutes(1)),
            Timeliness::Late
        );
        Ok(())
    }

    #[test]
    fn the_day_boundary_is_local_not_utc() -> TestResult {
        let c = cal();
        let due = vn(2027, 3, 11, 9, 10)?;
        // 06:30 local on the due day is 23:30 UTC the day before: still on time, not early.
        assert_eq!(
            finished(&c, due, vn(2027, 3, 11, 6, 30)?),
            Timeliness::OnTime
        );
        Ok(())
    }

    #[test]
    fn open_verdicts() -> TestResult {
        let c = cal();
        let one_day = ProcessingTime {
            amount: 1,
            unit: TimeUnit::WorkingDays,
        };
        // Due Thursday 09:10.
        let due = vn(2027, 3, 11, 9, 10)?;
        assert_eq!(
            open(&c, due, vn(2027, 3, 9, 9, 0)?, false, one_day),
            Timeliness::OnTrack
        );
        assert_eq!(
            open(&c, due, vn(2027, 3, 10, 9, 10)?, false, one_day),
            Timeliness::DueSoon
        );
        assert_eq!(open(&c, due, due, false, one_day), Timeliness::DueSoon);
        assert_eq!(
            open(&c, due, due + Duration::seconds(1), false, one_day),
            Timeliness::Overdue
        );
        assert_eq!(
            open(&c, due, due + Duration::days(3), true, one_day),
            Timeliness::Paused
        );
        Ok(())
    }
}
