//! A dossier's statutory deadline (`due_at`) from what it is based on, so that receipt, a
//! supplement restart, a pause and a calendar change all compute it the same way.

use chrono::{DateTime, Utc};

use super::calendar::{Deadline, ProcessingTime, WorkingCalendar};

/// What happens to the deadline when a requested supplement arrives (Decree 61 Art. 19.4, kept by Decree 118).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplementPolicy {
    /// The processing time restarts from zero when the supplement arrives.
    Restart,
    /// The deadline is pushed back by the working time spent waiting.
    Pause,
}

impl SupplementPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            SupplementPolicy::Restart => "restart",
            SupplementPolicy::Pause => "pause",
        }
    }
}

/// What the deadline is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineBasis {
    /// The instant the processing time counts from: the receipt, or the supplement's arrival
    /// under the `restart` policy. The start-of-clock rule applies on top.
    pub counting_from: DateTime<Utc>,
    /// The procedure's processing time as it stood at receipt.
    pub time: ProcessingTime,
    /// Working time added for the periods the clock stood still (payment, supplements under `pause`).
    pub paused_secs: i64,
}

/// The due instant and its trace.
pub fn compute(calendar: &WorkingCalendar, basis: DeadlineBasis) -> Deadline {
    let mut d = calendar.deadline(basis.counting_from, basis.time);
    if basis.paused_secs > 0 {
        let before = d.due_at;
        d.due_at = calendar.add_working_seconds(before, basis.paused_secs);
        let tz = calendar.timezone();
        d.trace.push_note(
            d.due_at,
            format!(
                "pushed back by {} of working time while the clock stood still: {} → {}",
                human_duration(basis.paused_secs),
                before.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
                d.due_at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
            ),
        );
    }
    d
}

fn human_duration(secs: i64) -> String {
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    match (h, m) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::CalendarSettings;
    use chrono::TimeZone;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> Result<DateTime<Utc>, &'static str> {
        Ok(chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .ok_or("unambiguous local time")?
            .with_timezone(&Utc))
    }

    #[test]
    fn pauses_push_the_deadline_back_by_working_time() -> TestResult {
        let cal = WorkingCalendar::new(CalendarSettings::default(), vec![]);
        let time = ProcessingTime::working_days(3);
        let plain = compute(
            &cal,
            DeadlineBasis {
                counting_from: vn(2027, 3, 8, 9, 10)?,
                time,
                paused_secs: 0,
            },
        );
        assert_eq!(plain.due_at, vn(2027, 3, 11, 9, 10)?);
        // Two working hours of pause: Thursday 09:10 → 11:10.
        let paused = compute(
            &cal,
            DeadlineBasis {
                counting_from: vn(2027, 3, 8, 9, 10)?,
                time,
                paused_secs: 7200,
            },
        );
        assert_eq!(paused.due_at, vn(2027, 3, 11, 11, 10)?);
        // 3 h 30 of pause from Thursday 09:10: 2 h 20 until 11:30, the rest after lunch → 14:40.
        let longer = compute(
            &cal,
            DeadlineBasis {
                counting_from: vn(2027, 3, 8, 9, 10)?,
                time,
                paused_secs: 12600,
            },
        );
        assert_eq!(longer.due_at, vn(2027, 3, 11, 14, 40)?);
        assert_ne!(
            longer.trace, plain.trace,
            "the pause is explained in the trace"
        );
        Ok(())
    }
}
