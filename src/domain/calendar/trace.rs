//! The deadline trace: how a due instant was reached, explained for clerks.
//!
//! Where the clock started and why, which days were counted or skipped and why, and notes
//! added later (supplement restarts, pauses).

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    DayFacts, DayKind, Inner, Lookup, NANOS_PER_SECOND, ProcessingTime, TimeUnit, WorkingCalendar,
    table, time_of, weekday_name,
};

/// A trace walks at most this many days (about eleven years) before it stops listing them;
/// the due instant is then taken from the fast path and `truncated` is set.
const MAX_TRACE_DAYS: u32 = 4000;

/// How a due instant was reached, readable as JSON by a clerk. Local times are the office's
/// wall clock; reasons are English with the Vietnamese names of holidays and overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineTrace {
    /// When the dossier was received (thời điểm tiếp nhận).
    pub requested_start: DateTime<Utc>,
    pub requested_start_local: NaiveDateTime,
    /// When the clock started: the receipt itself, or the next working session.
    pub clock_start: DateTime<Utc>,
    pub clock_start_local: NaiveDateTime,
    /// Why the clock did not start at receipt ("lunch break (11:30–13:30)", "weekend
    /// (Sunday)", "holiday: Tết Nguyên đán", "override: …"); absent when it started at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_start_reason: Option<String>,
    pub processing_time: ProcessingTime,
    pub timezone: String,
    /// Days passed over without counting, each with its reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedDay>,
    /// working_days: the working days counted, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counted_days: Vec<CountedDay>,
    /// working_hours: the pieces of sessions counted, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counted_hours: Vec<CountedHours>,
    /// calendar_days: where N days landed and whether that day had to move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_days: Option<CalendarDaysLanding>,
    /// The lists above stop after about eleven years of days; the due instant is still exact.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Hạn giải quyết.
    pub due_at: DateTime<Utc>,
    pub due_local: NaiveDateTime,
    /// Later adjustments (supplement restarts, pauses), in the order they were added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<TraceNote>,
}

impl DeadlineTrace {
    /// Records a later adjustment to the deadline, e.g. "supplement received: clock restarted".
    pub fn push_note(&mut self, at: DateTime<Utc>, text: impl Into<String>) {
        self.notes.push(TraceNote {
            at,
            text: text.into(),
        });
    }
}

/// A day that was not counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// `weekend (Saturday)`, `holiday: Giỗ Tổ Hùng Vương`, `override: <override name>`.
    pub reason: String,
}

/// The n-th working day counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedDay {
    pub n: u32,
    pub date: NaiveDate,
    /// Set when the day only counts because of an override (a make-up working day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A piece of a session counted towards working hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedHours {
    pub date: NaiveDate,
    pub from: NaiveTime,
    pub to: NaiveTime,
    pub seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// calendar_days: the day N days after the clock start, and the working day it moved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDaysLanding {
    pub nominal_date: NaiveDate,
    pub landing_date: NaiveDate,
    /// Why the nominal day could not be the due day; absent when it was a working day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_because: Option<String>,
}

/// A later adjustment, appended by whoever changed the deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceNote {
    pub at: DateTime<Utc>,
    pub text: String,
}

/// Why a non-working day does not count.
fn reason(date: NaiveDate, facts: &DayFacts) -> String {
    let name = facts.name.as_deref().unwrap_or("day off");
    match facts.kind {
        DayKind::Weekend => format!("weekend ({})", weekday_name(date.weekday())),
        _ if facts.from_override => format!("override: {name}"),
        _ => format!("holiday: {name}"),
    }
}

/// Why a working day is one although it would not be by default.
fn working_note(facts: &DayFacts) -> Option<String> {
    match (facts.kind, &facts.name) {
        (DayKind::MakeupWorkday, Some(name)) => Some(format!("override: {name}")),
        (DayKind::MakeupWorkday, None) => Some("override: make-up working day".into()),
        _ => None,
    }
}

fn hhmm(tod: i64) -> String {
    time_of(tod).format("%H:%M").to_string()
}

/// A day-by-day walk that records what it skips, within a budget of days.
struct Walk<'a> {
    lookup: Lookup<'a>,
    skipped: Vec<SkippedDay>,
    budget: u32,
}

impl Walk<'_> {
    fn skip(&mut self, date: NaiveDate, facts: &DayFacts) {
        self.skipped.push(SkippedDay {
            date,
            kind: facts.kind,
            reason: reason(date, facts),
        });
    }

    /// The next working day strictly after `d`, recording the days skipped to reach it.
    fn next_working(&mut self, d: NaiveDate) -> Option<(NaiveDate, DayFacts)> {
        let mut day = d;
        loop {
            self.budget = self.budget.checked_sub(1)?;
            day = day.succ_opt()?;
            if day.num_days_from_ce() > table::LAST_SUPPORTED_DAY {
                return None;
            }
            let facts = self.lookup.info(day);
            if facts.kind.is_working() {
                return Some((day, facts));
            }
            self.skip(day, &facts);
        }
    }
}

/// What the walk found besides the due day.
#[derive(Default)]
struct Parts {
    clock: Option<(NaiveDate, i64)>,
    clock_reason: Option<String>,
    counted_days: Vec<CountedDay>,
    counted_hours: Vec<CountedHours>,
    calendar_days: Option<CalendarDaysLanding>,
}

impl Inner {
    pub(super) fn trace(&self, start: DateTime<Utc>, time: ProcessingTime) -> DeadlineTrace {
        let (d0, t0) = self.local(start);
        let mut walk = Walk {
            lookup: self.lookup(),
            skipped: Vec::new(),
            budget: MAX_TRACE_DAYS,
        };
        let mut parts = Parts::default();
        let walked = self.walk_deadline(&mut walk, d0, t0, time, &mut parts);
        let truncated = walked.is_none();
        // A walk cut short still explains its first years; the instants come from the fast path.
        let clock = parts.clock.or_else(|| self.clock_start_local(d0, t0));
        let due = walked.or_else(|| self.due_local(d0, t0, time));
        let at = |p: Option<(NaiveDate, i64)>| match p {
            Some((d, t)) if (d, t) == (d0, t0) => start,
            Some((d, t)) => self.instant(d, t),
            None => WorkingCalendar::saturated_instant(),
        };
        let local = |p: Option<(NaiveDate, i64)>, at: DateTime<Utc>| match p {
            Some((d, t)) => NaiveDateTime::new(d, time_of(t)),
            None => at.naive_utc(),
        };
        let clock_start = at(clock);
        let due_at = at(due);
        DeadlineTrace {
            requested_start: start,
            requested_start_local: NaiveDateTime::new(d0, time_of(t0)),
            clock_start,
            clock_start_local: local(clock, clock_start),
            clock_start_reason: parts.clock_reason,
            processing_time: time,
            timezone: self.settings.timezone.name().to_owned(),
            skipped: walk.skipped,
            counted_days: parts.counted_days,
            counted_hours: parts.counted_hours,
            calendar_days: parts.calendar_days,
            truncated,
            due_at,
            due_local: local(due, due_at),
            notes: Vec::new(),
        }
    }

    /// The same rules as `due_local`, applied one day at a time so every step is recorded.
    fn walk_deadline(
        &self,
        walk: &mut Walk<'_>,
        d0: NaiveDate,
        t0: i64,
        time: ProcessingTime,
        parts: &mut Parts,
    ) -> Option<(NaiveDate, i64)> {
        let first = self.spans.first()?;
        let last = self.spans.last()?;
        let facts0 = walk.lookup.info(d0);
        // The clock-start day, and why it counts if only an override makes it a working day.
        let (cd, ct, cd_note) = if facts0.kind.is_working() {
            let note = working_note(&facts0);
            match self.spans.iter().position(|s| t0 < s.end) {
                Some(i) if t0 >= self.spans[i].start => (d0, t0, note),
                Some(0) => {
                    parts.clock_reason = Some(format!(
                        "outside office hours (before {})",
                        hhmm(first.start)
                    ));
                    (d0, first.start, note)
                }
                Some(i) => {
                    parts.clock_reason = Some(format!(
                        "lunch break ({}–{})",
                        hhmm(self.spans[i - 1].end),
                        hhmm(self.spans[i].start)
                    ));
                    (d0, self.spans[i].start, note)
                }
                None => {
                    parts.clock_reason =
                        Some(format!("outside office hours (after {})", hhmm(last.end)));
                    let (next, facts) = walk.next_working(d0)?;
                    (next, first.start, working_note(&facts))
                }
            }
        } else {
            parts.clock_reason = Some(reason(d0, &facts0));
            walk.skip(d0, &facts0);
            let (next, facts) = walk.next_working(d0)?;
            (next, first.start, working_note(&facts))
        };
        parts.clock = Some((cd, ct));

        match time.unit {
            TimeUnit::WorkingDays => {
                let mut day = cd;
                for n in 1..=time.amount {
                    let (next, facts) = walk.next_working(day)?;
                    parts.counted_days.push(CountedDay {
                        n,
                        date: next,
                        note: working_note(&facts),
                    });
                    day = next;
                }
                Some((day, ct))
            }
            TimeUnit::WorkingHours => {
                let mut left = i128::from(time.amount) * 3600 * i128::from(NANOS_PER_SECOND);
                if left == 0 {
                    return Some((cd, ct));
                }
                let (mut day, mut tod) = (cd, ct);
                let mut note = cd_note;
                loop {
                    for s in self.spans.iter().filter(|s| s.end > tod) {
                        let from = tod.max(s.start);
                        let available = i128::from(s.end - from);
                        let to = if left <= available {
                            from + i64::try_from(left).ok()?
                        } else {
                            s.end
                        };
                        parts.counted_hours.push(CountedHours {
                            date: day,
                            from: time_of(from),
                            to: time_of(to),
                            seconds: (to - from) / NANOS_PER_SECOND,
                            note: note.clone(),
                        });
                        if left <= available {
                            return Some((day, to));
                        }
                        left -= available;
                    }
                    let (next, facts) = walk.next_working(day)?;
                    (day, tod, note) = (next, 0, working_note(&facts));
                }
            }
            TimeUnit::CalendarDays => {
                let nominal = cd.checked_add_days(Days::new(u64::from(time.amount)))?;
                if nominal.num_days_from_ce() > table::LAST_SUPPORTED_DAY {
                    return None;
                }
                let facts = walk.lookup.info(nominal);
                if facts.kind.is_working() {
                    parts.calendar_days = Some(CalendarDaysLanding {
                        nominal_date: nominal,
                        landing_date: nominal,
                        moved_because: None,
                    });
                    return Some((nominal, ct));
                }
                let why = reason(nominal, &facts);
                walk.skip(nominal, &facts);
                let (landing, _) = walk.next_working(nominal)?;
                parts.calendar_days = Some(CalendarDaysLanding {
                    nominal_date: nominal,
                    landing_date: landing,
                    moved_because: Some(why),
                });
                Some((landing, ct))
            }
        }
    }
}
