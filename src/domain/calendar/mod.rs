//! The working calendar (lịch làm việc): which days and hours count, and deadline arithmetic over them.
//!
//! Everything is computed on the office's wall clock in its time zone (chrono-tz, default
//! `Asia/Ho_Chi_Minh`); instants come in and go out as UTC. Working time is the half-open
//! sessions of working days. A day is, in order of precedence: an administrator's override
//! (`holiday` or `makeup_workday`), a generated statutory holiday, a weekly rest day, or a
//! workday. Days of 1900–2100 are precomputed, so `due_at` is a few table look-ups; outside
//! that range the same rules are evaluated day by day. Walks stop at 9999-12-31: an answer
//! that would lie beyond it saturates to [`WorkingCalendar::saturated_instant`].

pub mod holidays;
pub mod lunar;
mod table;
mod trace;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike, Utc,
    Weekday,
};
use serde::{Deserialize, Serialize};

use self::table::{BaseTable, YearCache};

pub use self::trace::{
    CalendarDaysLanding, CountedDay, CountedHours, DeadlineTrace, SkippedDay, TraceNote,
};

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Unit of a procedure's processing time. Units are never converted into each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Ngày làm việc.
    WorkingDays,
    /// Giờ làm việc.
    WorkingHours,
    /// Ngày (calendar days, moved off a non-working landing day).
    CalendarDays,
}

impl TimeUnit {
    pub fn as_str(&self) -> &'static str {
        match self {
            TimeUnit::WorkingDays => "working_days",
            TimeUnit::WorkingHours => "working_hours",
            TimeUnit::CalendarDays => "calendar_days",
        }
    }

    pub fn parse(s: &str) -> Option<TimeUnit> {
        match s {
            "working_days" => Some(TimeUnit::WorkingDays),
            "working_hours" => Some(TimeUnit::WorkingHours),
            "calendar_days" => Some(TimeUnit::CalendarDays),
            _ => None,
        }
    }
}

/// A processing time: amount + unit, never converted between units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProcessingTime {
    pub amount: u32,
    pub unit: TimeUnit,
}

impl ProcessingTime {
    pub fn working_days(amount: u32) -> Self {
        ProcessingTime {
            amount,
            unit: TimeUnit::WorkingDays,
        }
    }

    pub fn working_hours(amount: u32) -> Self {
        ProcessingTime {
            amount,
            unit: TimeUnit::WorkingHours,
        }
    }

    pub fn calendar_days(amount: u32) -> Self {
        ProcessingTime {
            amount,
            unit: TimeUnit::CalendarDays,
        }
    }
}

/// What a date is for the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    Workday,
    /// Weekly rest day (ngày nghỉ hằng tuần).
    Weekend,
    /// Public holiday, compensatory day off, or a day off set by an override.
    Holiday,
    /// Ngày làm bù: a rest day made a working day by an override.
    MakeupWorkday,
}

impl DayKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            DayKind::Workday => "workday",
            DayKind::Weekend => "weekend",
            DayKind::Holiday => "holiday",
            DayKind::MakeupWorkday => "makeup_workday",
        }
    }

    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeupWorkday)
    }
}

/// Kind of an administrator's per-date override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverrideKind {
    /// A day off (e.g. the weekday given off in a swap, or a longer Tết break).
    Holiday,
    /// Ngày làm bù: a working day with the normal weekday sessions.
    MakeupWorkday,
}

impl OverrideKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            OverrideKind::Holiday => "holiday",
            OverrideKind::MakeupWorkday => "makeup_workday",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "holiday" => Some(OverrideKind::Holiday),
            "makeup_workday" => Some(OverrideKind::MakeupWorkday),
            _ => None,
        }
    }

    fn day_kind(self) -> DayKind {
        match self {
            OverrideKind::Holiday => DayKind::Holiday,
            OverrideKind::MakeupWorkday => DayKind::MakeupWorkday,
        }
    }
}

/// An administrator's decision for one date; it wins over everything generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarOverride {
    pub date: NaiveDate,
    pub kind: OverrideKind,
    pub name: String,
}

/// One date as the office sees it (GET /calendar/days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayInfo {
    pub date: NaiveDate,
    pub working: bool,
    pub kind: DayKind,
    /// Holiday or override name; none for ordinary workdays and weekly rest days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A working session within a day, half-open [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// Calendar configuration of a deployment (or of one office).
#[derive(Debug, Clone)]
pub struct CalendarSettings {
    pub timezone: chrono_tz::Tz,
    pub sessions: Vec<Session>,
    pub rest_days: Vec<Weekday>,
    /// Generate the Labour Code holidays (and their compensatory days).
    pub statutory_holidays: bool,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn default_sessions() -> Vec<Session> {
    vec![
        Session {
            start: hm(7, 30),
            end: hm(11, 30),
        },
        Session {
            start: hm(13, 30),
            end: hm(17, 0),
        },
    ]
}

impl Default for CalendarSettings {
    fn default() -> Self {
        CalendarSettings {
            timezone: chrono_tz::Asia::Ho_Chi_Minh,
            sessions: default_sessions(),
            rest_days: vec![Weekday::Sat, Weekday::Sun],
            statutory_holidays: true,
        }
    }
}

impl CalendarSettings {
    /// Rejects sessions that are empty, reversed, unsorted or overlapping, and a week with
    /// no working day. `WorkingCalendar::new` tolerates such settings (it repairs them), so
    /// call this where configuration is loaded to report the mistake instead.
    pub fn validate(&self) -> Result<(), String> {
        if self.sessions.is_empty() {
            return Err("sessions: at least one working session is required".into());
        }
        for (i, s) in self.sessions.iter().enumerate() {
            if s.start >= s.end {
                return Err(format!(
                    "sessions[{i}]: start {} must be before end {}",
                    s.start.format("%H:%M"),
                    s.end.format("%H:%M")
                ));
            }
        }
        for (i, pair) in self.sessions.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            if b.start < a.start {
                return Err(format!(
                    "sessions[{}] ({}) starts before sessions[{i}] ({}): sessions must be sorted",
                    i + 1,
                    b.start.format("%H:%M"),
                    a.start.format("%H:%M")
                ));
            }
            if b.start < a.end {
                return Err(format!(
                    "sessions[{i}] ({}–{}) and sessions[{}] ({}–{}) overlap",
                    a.start.format("%H:%M"),
                    a.end.format("%H:%M"),
                    i + 1,
                    b.start.format("%H:%M"),
                    b.end.format("%H:%M")
                ));
            }
        }
        if holidays::rest_days_cover_week(&self.rest_days) {
            return Err("rest_days: every day of the week is a rest day".into());
        }
        Ok(())
    }
}

/// A computed deadline with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deadline {
    pub due_at: DateTime<Utc>,
    pub trace: DeadlineTrace,
}

/// A session as nanoseconds after local midnight, with the working time before it that day.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: i64,
    end: i64,
    before: i64,
}

/// The office calendar. Cheap to clone (shared), `Send + Sync`.
#[derive(Clone)]
pub struct WorkingCalendar {
    inner: Arc<Inner>,
}

struct Inner {
    settings: CalendarSettings,
    rest_mask: u8,
    spans: Vec<Span>,
    /// Working time of one working day, ns.
    day_length: i64,
    overrides: BTreeMap<NaiveDate, CalendarOverride>,
    base: Arc<BaseTable>,
    /// Effective kind of each table day (base + overrides).
    kinds: Box<[DayKind]>,
    /// Table indices of the working days, ascending.
    workdays: Box<[u32]>,
}

impl fmt::Debug for WorkingCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkingCalendar")
            .field("settings", &self.inner.settings)
            .field("overrides", &self.inner.overrides.len())
            .finish()
    }
}

impl Default for WorkingCalendar {
    fn default() -> Self {
        WorkingCalendar::new(CalendarSettings::default(), [])
    }
}

/// Sorted, non-empty, non-overlapping sessions: what `validate` asks for, repaired.
fn normalise_sessions(sessions: &[Session]) -> Vec<Session> {
    let mut sorted: Vec<Session> = sessions
        .iter()
        .copied()
        .filter(|s| s.start < s.end)
        .collect();
    sorted.sort_by_key(|s| s.start);
    let mut merged: Vec<Session> = Vec::with_capacity(sorted.len());
    for s in sorted {
        match merged.last_mut() {
            Some(last) if s.start < last.end => last.end = last.end.max(s.end),
            _ => merged.push(s),
        }
    }
    if merged.is_empty() {
        default_sessions()
    } else {
        merged
    }
}

fn tod_of(t: NaiveTime) -> i64 {
    // A leap second's nanoseconds (≥ 1e9) are folded into the second they extend.
    i64::from(t.num_seconds_from_midnight()) * NANOS_PER_SECOND
        + i64::from(t.nanosecond().min(999_999_999))
}

fn time_of(tod: i64) -> NaiveTime {
    let tod = tod.clamp(0, 86_400 * NANOS_PER_SECOND - 1);
    let secs = u32::try_from(tod / NANOS_PER_SECOND).unwrap_or(0);
    let nanos = u32::try_from(tod % NANOS_PER_SECOND).unwrap_or(0);
    NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).unwrap_or(NaiveTime::MIN)
}

impl WorkingCalendar {
    pub fn new(
        settings: CalendarSettings,
        overrides: impl IntoIterator<Item = CalendarOverride>,
    ) -> Self {
        let mut settings = settings;
        settings.sessions = normalise_sessions(&settings.sessions);
        let mut rest_days: Vec<Weekday> = Vec::with_capacity(7);
        for d in &settings.rest_days {
            if !rest_days.contains(d) {
                rest_days.push(*d);
            }
        }
        settings.rest_days = rest_days;
        let base = table::base_table(&settings.rest_days, settings.statutory_holidays);
        let overrides = overrides.into_iter().map(|o| (o.date, o)).collect();
        WorkingCalendar {
            inner: Arc::new(Inner::build(settings, overrides, base)),
        }
    }

    pub fn settings(&self) -> &CalendarSettings {
        &self.inner.settings
    }

    pub fn timezone(&self) -> chrono_tz::Tz {
        self.inner.settings.timezone
    }

    /// The overrides in force, by date.
    pub fn overrides(&self) -> impl Iterator<Item = &CalendarOverride> {
        self.inner.overrides.values()
    }

    /// A copy with `o` set (replacing any override on its date).
    pub fn with_override(&self, o: CalendarOverride) -> Self {
        let mut overrides = self.inner.overrides.clone();
        overrides.insert(o.date, o);
        self.rebuilt(overrides)
    }

    /// A copy without the override on `date` (if there was none, an identical calendar).
    pub fn without_override(&self, date: NaiveDate) -> Self {
        if !self.inner.overrides.contains_key(&date) {
            return self.clone();
        }
        let mut overrides = self.inner.overrides.clone();
        overrides.remove(&date);
        self.rebuilt(overrides)
    }

    fn rebuilt(&self, overrides: BTreeMap<NaiveDate, CalendarOverride>) -> Self {
        WorkingCalendar {
            inner: Arc::new(Inner::build(
                self.inner.settings.clone(),
                overrides,
                Arc::clone(&self.inner.base),
            )),
        }
    }

    /// What `date` is: overrides win over generated holidays, which win over rest days.
    pub fn day(&self, date: NaiveDate) -> DayInfo {
        self.inner.lookup().info(date).into_day_info(date)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.inner.is_working(date)
    }

    /// The date of `at` on the office's wall clock.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.inner.local(at).0
    }

    /// Start-of-clock rule: inside a session → itself; otherwise the start of the next working session.
    pub fn clock_start(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let inner = &*self.inner;
        let (d, t) = inner.local(at);
        match inner.clock_start_local(d, t) {
            Some((cd, ct)) if cd == d && ct == t => at,
            Some((cd, ct)) => inner.instant(cd, ct),
            None => Self::saturated_instant(),
        }
    }

    /// Due instant only (fast path, no allocation). Applies clock_start first.
    pub fn due_at(&self, start: DateTime<Utc>, time: ProcessingTime) -> DateTime<Utc> {
        let inner = &*self.inner;
        let (d, t) = inner.local(start);
        match inner.due_local(d, t, time) {
            // Zero time from inside a session: the receipt itself, exactly.
            Some(due) if due == (d, t) => start,
            Some((dd, dt)) => inner.instant(dd, dt),
            None => Self::saturated_instant(),
        }
    }

    /// Same due instant plus the trace explaining it (computed by an independent day-by-day
    /// walk, so the two can be checked against each other).
    pub fn deadline(&self, start: DateTime<Utc>, time: ProcessingTime) -> Deadline {
        let trace = self.inner.trace(start, time);
        Deadline {
            due_at: trace.due_at,
            trace,
        }
    }

    /// Working time (in seconds, only inside sessions of working days) in [a, b); 0 if b <= a.
    pub fn working_seconds_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b <= a {
            return 0;
        }
        let inner = &*self.inner;
        let (da, ta) = inner.local(a);
        let (db, tb) = inner.local(b);
        let nanos = inner.working_nanos_between(da, ta, db, tb);
        i64::try_from(nanos / i128::from(NANOS_PER_SECOND)).unwrap_or(i64::MAX)
    }

    /// Walk `secs` seconds of working time forward from `at` (after applying clock_start).
    /// `secs <= 0` → `clock_start(at)`.
    pub fn add_working_seconds(&self, at: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
        if secs <= 0 {
            return self.clock_start(at);
        }
        let inner = &*self.inner;
        let (d, t) = inner.local(at);
        inner
            .clock_start_local(d, t)
            .and_then(|(cd, ct)| {
                inner.advance(cd, ct, i128::from(secs) * i128::from(NANOS_PER_SECOND))
            })
            .map_or_else(Self::saturated_instant, |(d, t)| inner.instant(d, t))
    }

    /// Smallest n >= 1 such that due + n working days >= as_of, where "due + n working days"
    /// is due's wall-clock time on the n-th working day after due's date; 0 if as_of <= due.
    pub fn working_days_overdue(&self, due: DateTime<Utc>, as_of: DateTime<Utc>) -> u32 {
        if as_of <= due {
            return 0;
        }
        let inner = &*self.inner;
        let (dd, dt) = inner.local(due);
        let (ad, at) = inner.local(as_of);
        let Some(after_due) = dd.succ_opt() else {
            return 1;
        };
        if ad < after_due {
            return 1;
        }
        // Working days strictly between the two dates all fall short of as_of.
        let between = inner.working_days_in(after_due, ad);
        let extra = match inner.is_working(ad) {
            true if dt >= at => 1,
            true => 2,
            false => 1,
        };
        u32::try_from(between + extra).unwrap_or(u32::MAX)
    }

    /// All days in [from, to] inclusive (for GET /calendar/days); empty if to < from.
    /// One entry per day: callers bound the range they ask for.
    pub fn days(&self, from: NaiveDate, to: NaiveDate) -> Vec<DayInfo> {
        let mut lookup = self.inner.lookup();
        from.iter_days()
            .take_while(|d| *d <= to)
            .map(|d| lookup.info(d).into_day_info(d))
            .collect()
    }

    /// What answers saturate to when they would lie past 9999-12-31 (or no working day is
    /// left before then): 9999-12-31T23:59:59Z.
    pub fn saturated_instant() -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(9999, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .map_or(DateTime::<Utc>::MAX_UTC, |n| n.and_utc())
    }
}

/// A day's classification with where it came from, for names and trace reasons.
struct DayFacts {
    kind: DayKind,
    name: Option<String>,
    from_override: bool,
}

impl DayFacts {
    fn into_day_info(self, date: NaiveDate) -> DayInfo {
        DayInfo {
            date,
            working: self.kind.is_working(),
            kind: self.kind,
            name: self.name,
        }
    }
}

/// Day classification for walks: table look-ups inside 1900–2100, per-year generation outside.
struct Lookup<'a> {
    inner: &'a Inner,
    years: YearCache,
}

impl Lookup<'_> {
    fn kind(&mut self, d: NaiveDate) -> DayKind {
        if let Some(i) = self.inner.index(d) {
            return self.inner.kinds[i];
        }
        if let Some(o) = self.inner.overrides.get(&d) {
            return o.kind.day_kind();
        }
        let settings = &self.inner.settings;
        if settings.statutory_holidays && self.years.is_holiday(d, &settings.rest_days) {
            DayKind::Holiday
        } else if table::is_rest(self.inner.rest_mask, d) {
            DayKind::Weekend
        } else {
            DayKind::Workday
        }
    }

    fn info(&mut self, d: NaiveDate) -> DayFacts {
        if let Some(o) = self.inner.overrides.get(&d) {
            return DayFacts {
                kind: o.kind.day_kind(),
                name: Some(o.name.clone()),
                from_override: true,
            };
        }
        let kind = self.kind(d);
        let name = match kind {
            DayKind::Holiday if self.inner.index(d).is_some() => {
                self.inner.base.names.get(&d).cloned()
            }
            DayKind::Holiday => self.years.holiday_name(d, &self.inner.settings.rest_days),
            _ => None,
        };
        DayFacts {
            kind,
            name,
            from_override: false,
        }
    }
}

impl Inner {
    fn build(
        settings: CalendarSettings,
        overrides: BTreeMap<NaiveDate, CalendarOverride>,
        base: Arc<BaseTable>,
    ) -> Inner {
        let mut spans = Vec::with_capacity(settings.sessions.len());
        let mut before = 0;
        for s in &settings.sessions {
            let (start, end) = (tod_of(s.start), tod_of(s.end));
            spans.push(Span { start, end, before });
            before += end - start;
        }
        // Start from the shared base (two copies of plain memory) and patch in the
        // overrides, so `with_override` stays cheap; many overrides are faster recounted.
        let mut kinds = base.kinds.to_vec();
        let mut workdays = base.workdays.to_vec();
        let recount = overrides.len() > 32;
        for (date, o) in &overrides {
            let Ok(i) = usize::try_from(date.num_days_from_ce() - base.first_day) else {
                continue;
            };
            let Some(k) = kinds.get_mut(i) else {
                continue;
            };
            let (was, now) = (k.is_working(), o.kind.day_kind());
            *k = now;
            if recount || was == now.is_working() {
                continue;
            }
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            match workdays.binary_search(&index) {
                Ok(at) => {
                    workdays.remove(at);
                }
                Err(at) => workdays.insert(at, index),
            }
        }
        if recount {
            workdays = table::working_indices(&kinds);
        }
        Inner {
            rest_mask: table::rest_mask(&settings.rest_days),
            settings,
            spans,
            day_length: before,
            overrides,
            base,
            kinds: kinds.into_boxed_slice(),
            workdays: workdays.into_boxed_slice(),
        }
    }

    fn lookup(&self) -> Lookup<'_> {
        Lookup {
            inner: self,
            years: YearCache::default(),
        }
    }

    /// Number of working days among table days `0..i`.
    fn rank(&self, i: usize) -> u64 {
        self.workdays.partition_point(|&w| (w as usize) < i) as u64
    }

    fn index(&self, d: NaiveDate) -> Option<usize> {
        let i = usize::try_from(d.num_days_from_ce() - self.base.first_day).ok()?;
        (i < self.kinds.len()).then_some(i)
    }

    fn date_at(&self, i: usize) -> NaiveDate {
        let day = i32::try_from(i).map_or(i32::MAX, |i| self.base.first_day.saturating_add(i));
        NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(NaiveDate::MAX)
    }

    fn is_working(&self, d: NaiveDate) -> bool {
        match self.index(d) {
            Some(i) => self.kinds[i].is_working(),
            None => self.lookup().kind(d).is_working(),
        }
    }

    // ---- wall clock ----

    fn local(&self, at: DateTime<Utc>) -> (NaiveDate, i64) {
        let local = at.with_timezone(&self.settings.timezone).naive_local();
        (local.date(), tod_of(local.time()))
    }

    fn instant(&self, d: NaiveDate, tod: i64) -> DateTime<Utc> {
        let local = NaiveDateTime::new(d, time_of(tod));
        let tz = self.settings.timezone;
        match tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
            // Clocks went back: the first occurrence is the one that happened first.
            chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            // Clocks jumped forward over this wall time: read it with the offset in force
            // before the jump, which moves it forward by the length of the gap.
            chrono::LocalResult::None => local
                .checked_sub_days(Days::new(1))
                .and_then(|earlier| tz.offset_from_local_datetime(&earlier).earliest())
                .and_then(|offset| {
                    let seconds = i64::from(offset.fix().local_minus_utc());
                    local.checked_sub_signed(chrono::Duration::seconds(seconds))
                })
                .unwrap_or(local)
                .and_utc(),
        }
    }

    // ---- working-day arithmetic ----

    /// The n-th working day strictly after `d` (`d` itself when n = 0); `None` past 9999.
    fn nth_working_day_after(&self, d: NaiveDate, n: u64) -> Option<NaiveDate> {
        let mut day = d;
        let mut left = n;
        let mut lookup: Option<Lookup<'_>> = None;
        loop {
            if left == 0 {
                return Some(day);
            }
            if let Some(i) = self.index(day)
                && i + 1 < self.kinds.len()
            {
                let done = self.rank(i + 1);
                let total = self.workdays.len() as u64;
                let target = done + left - 1;
                if target < total {
                    return Some(self.date_at(self.workdays[target as usize] as usize));
                }
                left -= total - done;
                day = self.date_at(self.kinds.len() - 1);
                continue;
            }
            // Outside the table: step a day at a time, but give up at once when even a
            // working day every day could not fit before the horizon, or when no weekday
            // works and no make-up day is left to come.
            let days_left =
                i64::from(table::LAST_SUPPORTED_DAY) - i64::from(day.num_days_from_ce());
            if i64::try_from(left).map_or(true, |l| l > days_left) {
                return None;
            }
            if self.rest_mask == 0x7f
                && !self
                    .overrides
                    .range(day..)
                    .any(|(_, o)| o.kind == OverrideKind::MakeupWorkday)
            {
                return None;
            }
            day = day.succ_opt()?;
            if lookup
                .get_or_insert_with(|| self.lookup())
                .kind(day)
                .is_working()
            {
                left -= 1;
            }
        }
    }

    /// The first working day on or after `d`.
    fn working_day_on_or_after(&self, d: NaiveDate) -> Option<NaiveDate> {
        if d.num_days_from_ce() > table::LAST_SUPPORTED_DAY {
            return None;
        }
        if self.is_working(d) {
            Some(d)
        } else {
            self.nth_working_day_after(d, 1)
        }
    }

    /// Number of working days in [from, to); days outside years 1–9999 count as none.
    fn working_days_in(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let clamp = |d: NaiveDate| {
            d.num_days_from_ce()
                .clamp(table::FIRST_SUPPORTED_DAY, table::LAST_SUPPORTED_DAY + 1)
        };
        let (mut day, end) = (clamp(from), clamp(to));
        let first = self.base.first_day;
        let table_end = first + self.kinds.len() as i32;
        let mut count: i64 = 0;
        let mut lookup = self.lookup();
        while day < end {
            if day >= first && day < table_end {
                let stop = end.min(table_end);
                let (a, b) = (
                    self.rank((day - first) as usize),
                    self.rank((stop - first) as usize),
                );
                count += i64::try_from(b - a).unwrap_or(i64::MAX);
                day = stop;
                continue;
            }
            if let Some(date) = NaiveDate::from_num_days_from_ce_opt(day)
                && lookup.kind(date).is_working()
            {
                count += 1;
            }
            day += 1;
        }
        count
    }

    // ---- working-time arithmetic ----

    /// Start-of-clock rule on the wall clock: inside a session → unchanged; otherwise the
    /// start of the next session of a working day.
    fn clock_start_local(&self, d: NaiveDate, tod: i64) -> Option<(NaiveDate, i64)> {
        if self.is_working(d)
            && let Some(s) = self.spans.iter().find(|s| tod < s.end)
        {
            return Some((d, tod.max(s.start)));
        }
        let next = self.nth_working_day_after(d, 1)?;
        Some((next, self.spans.first()?.start))
    }

    /// Working time already elapsed on a working day at wall time `tod`.
    fn offset_in_day(&self, tod: i64) -> i64 {
        self.spans
            .iter()
            .map(|s| (tod - s.start).clamp(0, s.end - s.start))
            .sum()
    }

    /// Wall time at which `offset` (0 < offset ≤ day length) of a day's working time has
    /// elapsed; an offset that ends a session lands on that session's end, not the next start.
    fn tod_at_offset(&self, offset: i64) -> i64 {
        for s in &self.spans {
            if offset <= s.before + (s.end - s.start) {
                return s.start + (offset - s.before).max(0);
            }
        }
        self.spans.last().map_or(0, |s| s.end)
    }

    /// Walk `amount` ns of working time from a clock start (`tod` inside a session).
    fn advance(&self, d: NaiveDate, tod: i64, amount: i128) -> Option<(NaiveDate, i64)> {
        if amount <= 0 {
            return Some((d, tod));
        }
        let length = i128::from(self.day_length);
        let total = i128::from(self.offset_in_day(tod)) + amount;
        if total <= length {
            return Some((d, self.tod_at_offset(i64::try_from(total).ok()?)));
        }
        let rest = total - length;
        // Whole days to pass, leaving a landing offset in (0, length].
        let whole = (rest - 1) / length;
        let landing = rest - whole * length;
        let day = self.nth_working_day_after(d, u64::try_from(whole + 1).ok()?)?;
        Some((day, self.tod_at_offset(i64::try_from(landing).ok()?)))
    }

    /// Due wall-clock (date, time) for a start on the wall clock.
    fn due_local(&self, d: NaiveDate, tod: i64, time: ProcessingTime) -> Option<(NaiveDate, i64)> {
        let (cd, ct) = self.clock_start_local(d, tod)?;
        let n = u64::from(time.amount);
        match time.unit {
            TimeUnit::WorkingDays => Some((self.nth_working_day_after(cd, n)?, ct)),
            TimeUnit::WorkingHours => {
                self.advance(cd, ct, i128::from(n) * 3600 * i128::from(NANOS_PER_SECOND))
            }
            TimeUnit::CalendarDays => {
                let nominal = cd.checked_add_days(Days::new(n))?;
                Some((self.working_day_on_or_after(nominal)?, ct))
            }
        }
    }

    fn working_nanos_between(&self, da: NaiveDate, ta: i64, db: NaiveDate, tb: i64) -> i128 {
        let length = i128::from(self.day_length);
        let total = if da == db {
            if self.is_working(da) {
                i128::from(self.offset_in_day(tb) - self.offset_in_day(ta))
            } else {
                0
            }
        } else if da > db {
            // Only possible when the wall clock was set back across midnight.
            0
        } else {
            let first = if self.is_working(da) {
                length - i128::from(self.offset_in_day(ta))
            } else {
                0
            };
            let middle = da.succ_opt().map_or(0, |next| {
                i128::from(self.working_days_in(next, db)) * length
            });
            let last = if self.is_working(db) {
                i128::from(self.offset_in_day(tb))
            } else {
                0
            };
            first + middle + last
        };
        total.max(0)
    }
}

fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests;
