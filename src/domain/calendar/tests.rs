//! Tests of the working calendar: the worked examples of DOMAIN.md and its invariants.

use super::*;
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use proptest::prelude::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate, &'static str> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or("valid test date")
}

/// An instant given on the Hanoi wall clock.
fn vn(y: i32, m: u32, d: u32, h: u32, mi: u32) -> Result<DateTime<Utc>, &'static str> {
    Ok(chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(y, m, d, h, mi, 0)
        .single()
        .ok_or("unambiguous local time")?
        .with_timezone(&Utc))
}

fn local(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).naive_local()
}

fn ldt(y: i32, m: u32, d: u32, h: u32, mi: u32) -> Result<NaiveDateTime, &'static str> {
    ymd(y, m, d)?.and_hms_opt(h, mi, 0).ok_or("valid time")
}

/// The default calendar, built once: building one takes a moment in a debug build.
fn cal() -> WorkingCalendar {
    static DEFAULT: std::sync::LazyLock<WorkingCalendar> =
        std::sync::LazyLock::new(WorkingCalendar::default);
    DEFAULT.clone()
}

fn days(n: u32) -> ProcessingTime {
    ProcessingTime::working_days(n)
}

fn hours(n: u32) -> ProcessingTime {
    ProcessingTime::working_hours(n)
}

fn holiday(date: NaiveDate, name: &str) -> CalendarOverride {
    CalendarOverride {
        date,
        kind: OverrideKind::Holiday,
        name: name.into(),
    }
}

fn makeup(date: NaiveDate, name: &str) -> CalendarOverride {
    CalendarOverride {
        date,
        kind: OverrideKind::MakeupWorkday,
        name: name.into(),
    }
}

// ---- names and parsing ----

#[test]
fn unit_and_kind_names_round_trip() -> TestResult {
    for unit in [
        TimeUnit::WorkingDays,
        TimeUnit::WorkingHours,
        TimeUnit::CalendarDays,
    ] {
        assert_eq!(TimeUnit::parse(unit.as_str()), Some(unit));
        assert_eq!(
            serde_json::to_value(unit).map_err(|e| format!("serialize: {e}"))?,
            serde_json::json!(unit.as_str())
        );
    }
    assert_eq!(TimeUnit::parse("days"), None);
    for kind in [OverrideKind::Holiday, OverrideKind::MakeupWorkday] {
        assert_eq!(OverrideKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(DayKind::MakeupWorkday.as_str(), "makeup_workday");
    assert_eq!(
        serde_json::to_value(DayKind::MakeupWorkday).map_err(|e| format!("serialize: {e}"))?,
        serde_json::json!("makeup_workday")
    );
    Ok(())
}

#[test]
fn settings_validation_names_the_problem() {
    assert_eq!(CalendarSettings::default().validate(), Ok(()));
    let with = |sessions: Vec<(u32, u32, u32, u32)>| CalendarSettings {
        sessions: sessions
            .into_iter()
            .map(|(a, b, c, d)| Session {
                start: hm(a, b),
                end: hm(c, d),
            })
            .collect(),
        ..CalendarSettings::default()
    };
    let err = |s: CalendarSettings| s.validate().expect_err("invalid");
    assert!(err(with(vec![])).contains("at least one"));
    assert!(err(with(vec![(9, 0, 8, 0)])).contains("before end"));
    assert!(err(with(vec![(13, 0, 17, 0), (7, 0, 11, 0)])).contains("sorted"));
    assert!(err(with(vec![(7, 0, 12, 0), (11, 0, 17, 0)])).contains("overlap"));
    let all_rest = CalendarSettings {
        rest_days: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ],
        ..CalendarSettings::default()
    };
    assert!(err(all_rest).contains("rest_days"));
}

// ---- start of the clock ----

#[test]
fn clock_start_follows_the_half_open_sessions() -> TestResult {
    let c = cal();
    // Monday 3 March 2025.
    let cases = [
        (vn(2025, 3, 3, 7, 30)?, ldt(2025, 3, 3, 7, 30)?), // exactly 07:30: at once
        (vn(2025, 3, 3, 7, 0)?, ldt(2025, 3, 3, 7, 30)?),  // before office hours
        (vn(2025, 3, 3, 9, 10)?, ldt(2025, 3, 3, 9, 10)?), // inside a session
        (vn(2025, 3, 3, 11, 30)?, ldt(2025, 3, 3, 13, 30)?), // exactly 11:30: next session
        (vn(2025, 3, 3, 12, 0)?, ldt(2025, 3, 3, 13, 30)?), // lunch
        (vn(2025, 3, 3, 17, 0)?, ldt(2025, 3, 4, 7, 30)?), // exactly 17:00: next day
        (vn(2025, 3, 7, 18, 0)?, ldt(2025, 3, 10, 7, 30)?), // Friday evening → Monday
        (vn(2025, 3, 9, 10, 0)?, ldt(2025, 3, 10, 7, 30)?), // Sunday → Monday
    ];
    for (at, expected) in cases {
        assert_eq!(local(c.clock_start(at)), expected, "{}", local(at));
    }
    // Inside a session the instant is returned as is, to the nanosecond.
    let precise = vn(2025, 3, 3, 9, 10)? + chrono::Duration::nanoseconds(123_456_789);
    assert_eq!(c.clock_start(precise), precise);
    Ok(())
}

// ---- working days ----

#[test]
fn working_days_keep_the_clock_time() -> TestResult {
    let c = cal();
    let cases = [
        // Received Mon 09:10 + 3 working days → Thu 09:10.
        (vn(2025, 3, 3, 9, 10)?, 3, ldt(2025, 3, 6, 9, 10)?),
        // Fri 16:00 + 1 → next working day (Monday) 16:00.
        (vn(2025, 3, 7, 16, 0)?, 1, ldt(2025, 3, 10, 16, 0)?),
        // At lunch 12:00: the clock starts 13:30, so + 1 → Tuesday 13:30.
        (vn(2025, 3, 3, 12, 0)?, 1, ldt(2025, 3, 4, 13, 30)?),
        // On a Sunday: the clock starts Monday 07:30, + 1 → Tuesday 07:30.
        (vn(2025, 3, 9, 10, 0)?, 1, ldt(2025, 3, 11, 7, 30)?),
        // Exactly 11:30 → 13:30; exactly 17:00 → next morning 07:30.
        (vn(2025, 3, 3, 11, 30)?, 2, ldt(2025, 3, 5, 13, 30)?),
        (vn(2025, 3, 3, 17, 0)?, 1, ldt(2025, 3, 5, 7, 30)?),
        // Zero days from inside a session: the receipt itself.
        (vn(2025, 3, 3, 9, 10)?, 0, ldt(2025, 3, 3, 9, 10)?),
        // 15 working days from Mon 3 March 2025: three whole weeks.
        (vn(2025, 3, 3, 8, 0)?, 15, ldt(2025, 3, 24, 8, 0)?),
    ];
    for (start, n, expected) in cases {
        assert_eq!(
            local(c.due_at(start, days(n))),
            expected,
            "{} + {n}",
            local(start)
        );
    }
    Ok(())
}

#[test]
fn working_days_across_tet_2027() -> TestResult {
    // Tết Đinh Mùi is Saturday 6 February 2027: holidays Fri 5 – Tue 9, and Sat 6 / Sun 7
    // give compensatory days Wed 10 and Thu 11.
    let c = cal();
    let start = vn(2027, 2, 4, 9, 0)?; // Thursday, the day before the break
    let d = c.deadline(start, days(1));
    assert_eq!(local(d.due_at), ldt(2027, 2, 12, 9, 0)?);
    assert_eq!(d.due_at, c.due_at(start, days(1)));
    let skipped: Vec<(NaiveDate, &str)> = d
        .trace
        .skipped
        .iter()
        .map(|s| (s.date, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (ymd(2027, 2, 5)?, "holiday: Tết Nguyên đán"),
            (ymd(2027, 2, 6)?, "holiday: Tết Nguyên đán"),
            (ymd(2027, 2, 7)?, "holiday: Tết Nguyên đán"),
            (ymd(2027, 2, 8)?, "holiday: Tết Nguyên đán"),
            (ymd(2027, 2, 9)?, "holiday: Tết Nguyên đán"),
            (ymd(2027, 2, 10)?, "holiday: Nghỉ bù Tết Nguyên đán"),
            (ymd(2027, 2, 11)?, "holiday: Nghỉ bù Tết Nguyên đán"),
        ]
    );
    assert_eq!(
        d.trace.counted_days,
        [CountedDay {
            n: 1,
            date: ymd(2027, 2, 12)?,
            note: None
        }]
    );
    Ok(())
}

#[test]
fn working_days_across_hung_kings_day() -> TestResult {
    // Giỗ Tổ 2025 is Monday 7 April.
    let c = cal();
    let d = c.deadline(vn(2025, 4, 4, 10, 0)?, days(1));
    assert_eq!(local(d.due_at), ldt(2025, 4, 8, 10, 0)?);
    let reasons: Vec<&str> = d.trace.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "weekend (Saturday)",
            "weekend (Sunday)",
            "holiday: Giỗ Tổ Hùng Vương"
        ]
    );
    Ok(())
}

#[test]
fn a_makeup_saturday_counts_and_a_swapped_weekday_does_not() -> TestResult {
    // 2025: Saturday 26 April worked in exchange for Friday 2 May off.
    let plain = cal();
    let swapped = plain
        .with_override(makeup(ymd(2025, 4, 26)?, "Làm bù cho ngày 2/5"))
        .with_override(holiday(ymd(2025, 5, 2)?, "Nghỉ hoán đổi (làm bù 26/4)"));
    let friday = vn(2025, 4, 25, 10, 0)?;
    assert_eq!(
        local(plain.due_at(friday, days(1))),
        ldt(2025, 4, 28, 10, 0)?
    );
    let d = swapped.deadline(friday, days(1));
    assert_eq!(local(d.due_at), ldt(2025, 4, 26, 10, 0)?);
    assert_eq!(
        d.trace.counted_days[0].note.as_deref(),
        Some("override: Làm bù cho ngày 2/5")
    );
    // Across 30/4, 1/5 and the swapped 2/5: Tue 29 April + 2 → Mon 5, Tue 6 May.
    let tuesday = vn(2025, 4, 29, 10, 0)?;
    assert_eq!(
        local(plain.due_at(tuesday, days(2))),
        ldt(2025, 5, 5, 10, 0)?
    );
    let d = swapped.deadline(tuesday, days(2));
    assert_eq!(local(d.due_at), ldt(2025, 5, 6, 10, 0)?);
    let swapped_friday = ymd(2025, 5, 2)?;
    assert!(
        d.trace.skipped.iter().any(
            |s| s.date == swapped_friday && s.reason == "override: Nghỉ hoán đổi (làm bù 26/4)"
        )
    );
    // Working hours run through the make-up Saturday too, and say why it counted.
    let d = swapped.deadline(vn(2025, 4, 25, 16, 30)?, hours(2));
    assert_eq!(local(d.due_at), ldt(2025, 4, 26, 9, 0)?);
    let notes: Vec<Option<&str>> = d
        .trace
        .counted_hours
        .iter()
        .map(|p| p.note.as_deref())
        .collect();
    assert_eq!(notes, [None, Some("override: Làm bù cho ngày 2/5")]);
    let d = swapped.deadline(vn(2025, 4, 26, 6, 0)?, hours(1));
    assert_eq!(local(d.due_at), ldt(2025, 4, 26, 8, 30)?);
    assert_eq!(
        d.trace.counted_hours[0].note.as_deref(),
        Some("override: Làm bù cho ngày 2/5")
    );
    // Removing the overrides restores the plain calendar.
    let restored = swapped
        .without_override(ymd(2025, 4, 26)?)
        .without_override(ymd(2025, 5, 2)?);
    assert_eq!(
        restored.due_at(tuesday, days(2)),
        plain.due_at(tuesday, days(2))
    );
    assert_eq!(restored.overrides().count(), 0);
    Ok(())
}

// ---- working hours ----

#[test]
fn working_hours_walk_through_sessions() -> TestResult {
    let c = cal();
    let cases = [
        // 4 hours from 07:30 end exactly at 11:30, not at 13:30.
        (vn(2025, 3, 3, 7, 30)?, 4, ldt(2025, 3, 3, 11, 30)?),
        // 5 hours from 07:30: 4 in the morning, 1 after lunch.
        (vn(2025, 3, 3, 7, 30)?, 5, ldt(2025, 3, 3, 14, 30)?),
        // 8 hours from Mon 07:30: a full 7.5-hour day, then half an hour.
        (vn(2025, 3, 3, 7, 30)?, 8, ldt(2025, 3, 4, 8, 0)?),
        // Fri 16:00 + 2: one hour Friday, one Monday morning.
        (vn(2025, 3, 7, 16, 0)?, 2, ldt(2025, 3, 10, 8, 30)?),
        // From lunch: the clock starts 13:30.
        (vn(2025, 3, 3, 12, 0)?, 3, ldt(2025, 3, 3, 16, 30)?),
        // Ends exactly at 17:00.
        (vn(2025, 3, 3, 14, 0)?, 3, ldt(2025, 3, 3, 17, 0)?),
    ];
    for (start, n, expected) in cases {
        assert_eq!(
            local(c.due_at(start, hours(n))),
            expected,
            "{} + {n}h",
            local(start)
        );
        assert_eq!(
            c.deadline(start, hours(n)).due_at,
            c.due_at(start, hours(n))
        );
    }
    let d = c.deadline(vn(2025, 3, 7, 16, 0)?, hours(2));
    let pieces: Vec<(NaiveDate, NaiveTime, NaiveTime, i64)> = d
        .trace
        .counted_hours
        .iter()
        .map(|p| (p.date, p.from, p.to, p.seconds))
        .collect();
    assert_eq!(
        pieces,
        [
            (ymd(2025, 3, 7)?, hm(16, 0), hm(17, 0), 3600),
            (ymd(2025, 3, 10)?, hm(7, 30), hm(8, 30), 3600)
        ]
    );
    Ok(())
}

// ---- calendar days ----

#[test]
fn calendar_days_move_off_a_non_working_landing_day() -> TestResult {
    let c = cal();
    // Mon 3 March 2025 09:00 + 6 days = Sunday 9 March → Monday 10 March 09:00.
    let d = c.deadline(vn(2025, 3, 3, 9, 0)?, ProcessingTime::calendar_days(6));
    assert_eq!(local(d.due_at), ldt(2025, 3, 10, 9, 0)?);
    assert_eq!(
        d.trace.calendar_days,
        Some(CalendarDaysLanding {
            nominal_date: ymd(2025, 3, 9)?,
            landing_date: ymd(2025, 3, 10)?,
            moved_because: Some("weekend (Sunday)".into())
        })
    );
    // Weekends inside the period count; only the landing day moves.
    let d = c.deadline(vn(2025, 3, 3, 9, 0)?, ProcessingTime::calendar_days(10));
    assert_eq!(local(d.due_at), ldt(2025, 3, 13, 9, 0)?);
    assert!(d.trace.skipped.is_empty());
    // A landing on Giỗ Tổ (Mon 7 April 2025) moves to Tuesday, same clock time.
    let d = c.deadline(vn(2025, 4, 2, 12, 0)?, ProcessingTime::calendar_days(5));
    assert_eq!(local(d.due_at), ldt(2025, 4, 8, 13, 30)?);
    assert_eq!(
        d.trace
            .calendar_days
            .as_ref()
            .and_then(|l| l.moved_because.as_deref()),
        Some("holiday: Giỗ Tổ Hùng Vương")
    );
    Ok(())
}

// ---- days, kinds and precedence ----

#[test]
fn day_kinds_follow_the_precedence_of_overrides() -> TestResult {
    let c = cal();
    assert_eq!(c.day(ymd(2025, 3, 3)?).kind, DayKind::Workday);
    assert_eq!(c.day(ymd(2025, 3, 8)?).kind, DayKind::Weekend);
    let tet = c.day(ymd(2027, 2, 6)?); // a Saturday, but Tết
    assert_eq!(tet.kind, DayKind::Holiday);
    assert_eq!(tet.name.as_deref(), Some("Tết Nguyên đán"));
    assert!(!tet.working);
    // An override beats a generated holiday and a rest day.
    let c2 = c
        .with_override(makeup(ymd(2027, 2, 9)?, "Đi làm"))
        .with_override(holiday(ymd(2025, 3, 3)?, "Nghỉ đột xuất"));
    let day = c2.day(ymd(2027, 2, 9)?);
    assert_eq!((day.kind, day.working), (DayKind::MakeupWorkday, true));
    assert_eq!(
        c2.day(ymd(2025, 3, 3)?).name.as_deref(),
        Some("Nghỉ đột xuất")
    );
    // Replacing an override on the same date keeps one.
    let c3 = c2.with_override(holiday(ymd(2027, 2, 9)?, "Nghỉ"));
    assert_eq!(c3.day(ymd(2027, 2, 9)?).kind, DayKind::Holiday);
    assert_eq!(c3.overrides().count(), 2);
    // The original is unchanged.
    assert_eq!(c.day(ymd(2025, 3, 3)?).kind, DayKind::Workday);
    Ok(())
}

#[test]
fn days_lists_an_inclusive_range() -> TestResult {
    let c = cal();
    let list = c.days(ymd(2027, 2, 4)?, ymd(2027, 2, 12)?);
    let kinds: Vec<DayKind> = list.iter().map(|d| d.kind).collect();
    use DayKind::{Holiday as H, Workday as W};
    assert_eq!(kinds, [W, H, H, H, H, H, H, H, W]);
    assert_eq!(list[6].name.as_deref(), Some("Nghỉ bù Tết Nguyên đán"));
    assert!(c.days(ymd(2027, 2, 5)?, ymd(2027, 2, 4)?).is_empty());
    let json = serde_json::to_value(&list[0]).map_err(|e| format!("serialize: {e}"))?;
    assert_eq!(
        json,
        serde_json::json!({"date": "2027-02-04", "working": true, "kind": "workday"})
    );
    Ok(())
}

#[test]
fn days_outside_the_precomputed_years_follow_the_same_rules() -> TestResult {
    let c = cal();
    // 2101 and 1899 are computed on demand.
    assert_eq!(
        c.day(ymd(2101, 1, 1)?).name.as_deref(),
        Some("Tết Dương lịch")
    );
    assert_eq!(c.day(ymd(1899, 9, 2)?).name.as_deref(), Some("Quốc khánh"));
    // A deadline that crosses the end of the table.
    // Thu 30 Dec 2100 + 3: Fri 31 counts; 1 January 2101 is a Saturday, so Monday 3 is its
    // compensatory day off; then Tue 4 and Wed 5.
    let start = vn(2100, 12, 30, 9, 0)?;
    let due = c.due_at(start, days(3));
    assert_eq!(c.deadline(start, days(3)).due_at, due);
    assert_eq!(local(due), ldt(2101, 1, 5, 9, 0)?);
    let override_far = c.with_override(makeup(ymd(2150, 1, 3)?, "Làm bù"));
    assert!(override_far.is_working_day(ymd(2150, 1, 3)?));
    Ok(())
}

// ---- working time between instants, overdue ----

#[test]
fn working_seconds_between_counts_sessions_only() -> TestResult {
    let c = cal();
    let h = 3600;
    assert_eq!(
        c.working_seconds_between(vn(2025, 3, 3, 7, 30)?, vn(2025, 3, 4, 7, 30)?),
        7 * h + h / 2
    );
    assert_eq!(
        c.working_seconds_between(vn(2025, 3, 7, 16, 0)?, vn(2025, 3, 10, 8, 0)?),
        h + h / 2
    );
    assert_eq!(
        c.working_seconds_between(vn(2025, 3, 3, 11, 0)?, vn(2025, 3, 3, 14, 0)?),
        h
    );
    assert_eq!(
        c.working_seconds_between(vn(2025, 3, 8, 9, 0)?, vn(2025, 3, 9, 9, 0)?),
        0
    );
    assert_eq!(
        c.working_seconds_between(vn(2025, 3, 4, 9, 0)?, vn(2025, 3, 3, 9, 0)?),
        0
    );
    // One working week.
    assert_eq!(
        c.working_seconds_between(vn(2025, 3, 3, 0, 0)?, vn(2025, 3, 10, 0, 0)?),
        5 * (7 * h + h / 2)
    );
    Ok(())
}

#[test]
fn working_days_overdue_is_at_least_one() -> TestResult {
    let c = cal();
    let due = vn(2025, 3, 3, 9, 10)?; // Monday
    assert_eq!(c.working_days_overdue(due, due), 0);
    assert_eq!(c.working_days_overdue(due, vn(2025, 3, 3, 8, 0)?), 0);
    assert_eq!(c.working_days_overdue(due, vn(2025, 3, 3, 9, 11)?), 1);
    assert_eq!(c.working_days_overdue(due, vn(2025, 3, 4, 9, 10)?), 1);
    assert_eq!(c.working_days_overdue(due, vn(2025, 3, 4, 9, 11)?), 2);
    // Saturday: due + 4 working days is Friday 09:10 (short), + 5 is Monday 09:10.
    assert_eq!(c.working_days_overdue(due, vn(2025, 3, 8, 12, 0)?), 5);
    // Across Tết 2027: due Thu 4 Feb, report Fri 12 Feb 10:00 → 1 (Fri 12 09:00) is short.
    assert_eq!(
        c.working_days_overdue(vn(2027, 2, 4, 9, 0)?, vn(2027, 2, 12, 10, 0)?),
        2
    );
    Ok(())
}

// ---- trace ----

#[test]
fn trace_explains_the_clock_start_and_serialises_for_clerks() -> TestResult {
    let c = cal();
    let sunday = c.deadline(vn(2025, 3, 9, 10, 0)?, days(1));
    assert_eq!(
        sunday.trace.clock_start_reason.as_deref(),
        Some("weekend (Sunday)")
    );
    assert_eq!(local(sunday.trace.clock_start), ldt(2025, 3, 10, 7, 30)?);
    let lunch = c.deadline(vn(2025, 3, 3, 12, 0)?, days(1));
    assert_eq!(
        lunch.trace.clock_start_reason.as_deref(),
        Some("lunch break (11:30–13:30)")
    );
    let evening = c.deadline(vn(2025, 3, 7, 18, 0)?, days(1));
    assert_eq!(
        evening.trace.clock_start_reason.as_deref(),
        Some("outside office hours (after 17:00)")
    );
    assert_eq!(evening.trace.skipped.len(), 2);
    let at_once = c.deadline(vn(2025, 3, 3, 9, 10)?, days(3));
    assert_eq!(at_once.trace.clock_start_reason, None);
    let tet = c.deadline(vn(2027, 2, 6, 9, 0)?, days(1));
    assert_eq!(
        tet.trace.clock_start_reason.as_deref(),
        Some("holiday: Tết Nguyên đán")
    );
    let swapped = c.with_override(holiday(ymd(2025, 3, 3)?, "Nghỉ bão"));
    let storm = swapped.deadline(vn(2025, 3, 3, 9, 0)?, days(1));
    assert_eq!(
        storm.trace.clock_start_reason.as_deref(),
        Some("override: Nghỉ bão")
    );

    // The JSON shape, and that it reads back unchanged (with a note appended).
    let mut d = c.deadline(vn(2025, 4, 4, 16, 0)?, days(1));
    d.trace
        .push_note(vn(2025, 4, 8, 9, 0)?, "supplement requested: clock paused");
    let json = serde_json::to_value(&d).map_err(|e| format!("serialize: {e}"))?;
    assert_eq!(
        json,
        serde_json::json!({
            "due_at": "2025-04-08T09:00:00Z",
            "trace": {
                "requested_start": "2025-04-04T09:00:00Z",
                "requested_start_local": "2025-04-04T16:00:00",
                "clock_start": "2025-04-04T09:00:00Z",
                "clock_start_local": "2025-04-04T16:00:00",
                "processing_time": {"amount": 1, "unit": "working_days"},
                "timezone": "Asia/Ho_Chi_Minh",
                "skipped": [
                    {"date": "2025-04-05", "kind": "weekend", "reason": "weekend (Saturday)"},
                    {"date": "2025-04-06", "kind": "weekend", "reason": "weekend (Sunday)"},
                    {"date": "2025-04-07", "kind": "holiday", "reason": "holiday: Giỗ Tổ Hùng Vương"}
                ],
                "counted_days": [{"n": 1, "date": "2025-04-08"}],
                "due_at": "2025-04-08T09:00:00Z",
                "due_local": "2025-04-08T16:00:00",
                "notes": [{"at": "2025-04-08T02:00:00Z", "text": "supplement requested: clock paused"}]
            }
        })
    );
    let back: Deadline = serde_json::from_value(json).map_err(|e| format!("deserialize: {e}"))?;
    assert_eq!(back, d);
    Ok(())
}

#[test]
fn absurd_inputs_saturate_quickly_instead_of_hanging() -> TestResult {
    let c = cal();
    let start = vn(2025, 3, 3, 9, 0)?;
    let never = WorkingCalendar::saturated_instant();
    assert_eq!(c.due_at(start, days(u32::MAX)), never);
    assert_eq!(c.due_at(start, hours(u32::MAX)), never);
    assert_eq!(
        c.due_at(start, ProcessingTime::calendar_days(u32::MAX)),
        never
    );
    let d = c.deadline(start, days(u32::MAX));
    assert!(d.trace.truncated);
    assert_eq!(d.due_at, never);
    assert_eq!(c.add_working_seconds(start, i64::MAX), never);
    // A calendar with no working day at all (settings that `validate` rejects).
    let nothing = WorkingCalendar::new(
        CalendarSettings {
            rest_days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ],
            ..CalendarSettings::default()
        },
        [],
    );
    assert_eq!(nothing.clock_start(start), never);
    assert_eq!(nothing.due_at(start, days(1)), never);
    assert!(nothing.deadline(start, days(1)).trace.truncated);
    Ok(())
}

#[test]
fn new_repairs_sessions_that_validate_would_reject() -> TestResult {
    let c = WorkingCalendar::new(
        CalendarSettings {
            sessions: vec![
                Session {
                    start: hm(13, 0),
                    end: hm(17, 0),
                },
                Session {
                    start: hm(8, 0),
                    end: hm(12, 0),
                },
                Session {
                    start: hm(11, 0),
                    end: hm(11, 30),
                },
            ],
            ..CalendarSettings::default()
        },
        [],
    );
    assert_eq!(
        c.settings().sessions,
        [
            Session {
                start: hm(8, 0),
                end: hm(12, 0)
            },
            Session {
                start: hm(13, 0),
                end: hm(17, 0)
            }
        ]
    );
    assert_eq!(
        local(c.due_at(vn(2025, 3, 3, 8, 0)?, hours(8))),
        ldt(2025, 3, 3, 17, 0)?
    );
    Ok(())
}

#[test]
fn another_time_zone_is_honoured() -> TestResult {
    // A hypothetical office on Bangkok time (also UTC+7) and one on Tokyo time (UTC+9).
    let tokyo = WorkingCalendar::new(
        CalendarSettings {
            timezone: chrono_tz::Asia::Tokyo,
            ..CalendarSettings::default()
        },
        [],
    );
    let start = Utc
        .with_ymd_and_hms(2025, 3, 3, 0, 0, 0)
        .single()
        .ok_or("instant")?; // 09:00 Tokyo
    assert_eq!(tokyo.local_date(start), ymd(2025, 3, 3)?);
    assert_eq!(
        tokyo.due_at(start, days(1)),
        Utc.with_ymd_and_hms(2025, 3, 4, 0, 0, 0)
            .single()
            .ok_or("instant")?
    );
    assert_eq!(tokyo.timezone(), chrono_tz::Asia::Tokyo);
    Ok(())
}

#[test]
fn calendar_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<WorkingCalendar>();
    let c = WorkingCalendar::default();
    let copy = c.clone();
    assert!(Arc::ptr_eq(&c.inner, &copy.inner));
}

// ---- properties ----

/// Instants between 1990 and 2090, at whole seconds (plus sometimes a fraction).
fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let (Ok(from), Ok(to)) = (vn(1990, 1, 1, 0, 0), vn(2090, 1, 1, 0, 0)) else {
        panic!("1990 and 2090 are valid Hanoi instants");
    };
    (
        from.timestamp()..to.timestamp(),
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
    )
        .prop_map(|(s, n)| {
            let Some(t) = DateTime::<Utc>::from_timestamp(s, n) else {
                panic!("in range: {s} s + {n} ns");
            };
            t
        })
}

/// Instants that lie inside working time.
fn working_instant() -> impl Strategy<Value = DateTime<Utc>> {
    any_instant().prop_map(|t| cal().clock_start(t))
}

fn any_time() -> impl Strategy<Value = ProcessingTime> {
    prop_oneof![
        (0u32..=60).prop_map(ProcessingTime::working_days),
        (0u32..=40).prop_map(ProcessingTime::working_hours),
        (0u32..=90).prop_map(ProcessingTime::calendar_days),
    ]
}

/// Whether `t` is inside a session of a working day, or exactly at a session's end.
fn in_working_time_or_at_session_end(c: &WorkingCalendar, t: DateTime<Utc>) -> bool {
    let l = local(t);
    c.is_working_day(l.date())
        && c.settings()
            .sessions
            .iter()
            .any(|s| s.start <= l.time() && l.time() <= s.end)
}

fn one_override() -> impl Strategy<Value = CalendarOverride> {
    let Ok(first) = ymd(2025, 1, 1) else {
        panic!("2025-01-01 is a valid date");
    };
    (0i64..365 * 3, any::<bool>()).prop_map(move |(offset, off)| {
        let date = first + chrono::Duration::days(offset);
        if off {
            holiday(date, "Nghỉ theo quyết định")
        } else {
            makeup(date, "Làm bù")
        }
    })
}

proptest! {
    // No failure files: the crate's tree is not the place for them; a failure prints its input.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn due_lies_in_working_time(start in any_instant(), time in any_time()) {
        let c = cal();
        let due = c.due_at(start, time);
        prop_assert!(due >= start);
        match time.unit {
            TimeUnit::CalendarDays => prop_assert!(c.is_working_day(c.local_date(due))),
            _ => prop_assert!(in_working_time_or_at_session_end(&c, due), "{}", local(due)),
        }
    }

    #[test]
    fn trace_agrees_with_the_fast_path(start in any_instant(), time in any_time()) {
        let c = cal();
        let d = c.deadline(start, time);
        prop_assert_eq!(d.due_at, c.due_at(start, time));
        prop_assert_eq!(d.trace.clock_start, c.clock_start(start));
        prop_assert!(!d.trace.truncated);
        if time.unit == TimeUnit::WorkingDays {
            prop_assert_eq!(d.trace.counted_days.len() as u32, time.amount);
        }
        if time.unit == TimeUnit::WorkingHours {
            let total: chrono::Duration = d.trace.counted_hours.iter().map(|p| p.to - p.from).sum();
            prop_assert_eq!(total, chrono::Duration::hours(i64::from(time.amount)));
        }
    }

    #[test]
    fn trace_agrees_with_the_fast_path_with_overrides(
        start in working_instant(),
        time in any_time(),
        overrides in proptest::collection::vec(one_override(), 0..48),
    ) {
        let c = WorkingCalendar::new(CalendarSettings::default(), overrides);
        prop_assert_eq!(c.deadline(start, time).due_at, c.due_at(start, time));
    }

    #[test]
    fn working_days_add_up(start in working_instant(), n in 0u32..40, m in 0u32..40) {
        let c = cal();
        let stepwise = c.due_at(c.due_at(start, days(n)), days(m));
        prop_assert_eq!(stepwise, c.due_at(start, days(n + m)));
    }

    #[test]
    fn working_hours_add_up(start in working_instant(), n in 0u32..30, m in 0u32..30) {
        // Only meaningful when the intermediate due is not a session end (from which the
        // clock would restart at the next session); compare working time instead.
        let c = cal();
        let mid = c.due_at(start, hours(n));
        let end = c.due_at(start, hours(n + m));
        prop_assert_eq!(c.working_seconds_between(mid, end), i64::from(m) * 3600);
        prop_assert_eq!(c.add_working_seconds(start, i64::from(n + m) * 3600), end);
    }

    #[test]
    fn a_holiday_override_never_brings_a_deadline_forward(
        start in working_instant(),
        time in any_time(),
        offset in 0i64..120,
    ) {
        let c = cal();
        let date = c.local_date(start) + chrono::Duration::days(offset);
        let with = c.with_override(holiday(date, "Nghỉ"));
        let (before, after) = (c.due_at(start, time), with.due_at(start, time));
        if time.unit == TimeUnit::CalendarDays {
            // Only the day is monotonic: a holiday on the receipt day moves the clock start
            // to 07:30 next morning, and if both landings then move to the same working day
            // the later clock start has the earlier clock time ("same clock time" rule).
            prop_assert!(c.local_date(after) >= c.local_date(before));
        } else {
            prop_assert!(after >= before);
        }
    }

    #[test]
    fn removing_an_override_restores_the_deadline(
        start in any_instant(),
        time in any_time(),
        o in one_override(),
    ) {
        let c = cal();
        let restored = c.with_override(o.clone()).without_override(o.date);
        prop_assert_eq!(restored.due_at(start, time), c.due_at(start, time));
        prop_assert_eq!(restored.deadline(start, time), c.deadline(start, time));
    }

    #[test]
    fn working_seconds_invert_add_working_seconds(start in any_instant(), secs in 0i64..40 * 3600 * 5) {
        let c = cal();
        let end = c.add_working_seconds(start, secs);
        prop_assert_eq!(c.working_seconds_between(start, end), secs);
    }

    #[test]
    fn overdue_days_match_the_definition(due in working_instant(), later in 0i64..40 * 86_400) {
        let c = cal();
        let as_of = due + chrono::Duration::seconds(later);
        let n = c.working_days_overdue(due, as_of);
        // due + n working days (same wall time on the n-th working day) reaches as_of,
        // and due + (n − 1) does not.
        let plus = |k: u32| -> Result<DateTime<Utc>, TestCaseError> {
            let l = local(due);
            let day = c
                .inner
                .nth_working_day_after(l.date(), u64::from(k))
                .ok_or_else(|| TestCaseError::fail("in range"))?;
            Ok(c.inner.instant(day, tod_of(l.time())))
        };
        if as_of <= due {
            prop_assert_eq!(n, 0);
        } else {
            prop_assert!(n >= 1);
            prop_assert!(plus(n)? >= as_of);
            prop_assert!(plus(n - 1)? < as_of);
        }
    }

    #[test]
    fn day_table_agrees_with_generated_holidays(offset in 0i64..(201 * 365)) {
        let c = cal();
        let date = ymd(1900, 1, 1).map_err(TestCaseError::fail)? + chrono::Duration::days(offset);
        let generated = holidays::statutory_holidays(date.year(), &[Weekday::Sat, Weekday::Sun]);
        let is_holiday = generated.iter().any(|h| h.date == date);
        prop_assert_eq!(c.day(date).kind == DayKind::Holiday, is_holiday);
    }
}
