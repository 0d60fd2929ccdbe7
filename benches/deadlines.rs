//! Deadline throughput of the working calendar: how many due instants one core computes per
//! second for typical processing times (1–60 working days, 1–40 working hours, 1–90 calendar
//! days) from receipts spread over 2026-10-01..2028-03-31, across year boundaries and Tết.
//! Target: at least 1 M deadlines/s, so recomputing every open dossier after a calendar change
//! is instant. Run: `cargo bench --bench deadlines` (criterion report, then one summary line
//! per case). This benchmark reports; it never asserts timing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use motcua::domain::calendar::{
    CalendarOverride, CalendarSettings, OverrideKind, ProcessingTime, WorkingCalendar, lunar,
};

/// Number of distinct receipt instants; every per-unit case runs over all of them.
const STARTS: usize = 10_000;
/// Open dossiers in the recompute case.
const OPEN_DOSSIERS: usize = 100_000;

/// A small fixed-seed generator (SplitMix64), so the inputs are identical on every run and
/// every machine without pulling in a random-number crate for the benchmark.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough integer in `0..n` (the modulo bias is irrelevant for a benchmark).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid benchmark date")
}

/// Receipt instants as an office in Asia/Ho_Chi_Minh sees them. Most are uniform over the
/// period; a fifth are packed around New Year and Tết so the walks over long holiday runs and
/// year changes are well represented rather than left to chance.
fn start_instants(calendar: &WorkingCalendar) -> Vec<DateTime<Utc>> {
    let tz = calendar.timezone();
    let first = date(2026, 10, 1);
    let period_days = (date(2028, 3, 31) - first).num_days() as u64 + 1;
    // Around the two New Years and the two Tết holidays inside the period.
    let hot_spots = [
        date(2027, 1, 1),
        date(2028, 1, 1),
        lunar::lunar_new_year(2027),
        lunar::lunar_new_year(2028),
    ];
    let sessions = calendar.settings().sessions.clone();

    let mut rng = SplitMix(0x6D6F_7463_7561_2026);
    (0..STARTS)
        .map(|_| {
            let day = if rng.below(5) == 0 {
                let spot = hot_spots[rng.below(hot_spots.len() as u64) as usize];
                let offset = rng.below(29) as i64 - 14;
                spot + chrono::Duration::days(offset)
            } else {
                first + chrono::Duration::days(rng.below(period_days) as i64)
            };
            // Half the receipts land inside a session (the common case at a counter); the
            // other half anywhere in the day, which exercises the start-of-clock rule (lunch
            // break, evening, night, online filings at 2 a.m.).
            let seconds = if rng.below(2) == 0 {
                let s = sessions[rng.below(sessions.len() as u64) as usize];
                let length = (s.end - s.start).num_seconds() as u64;
                u64::from(s.start.num_seconds_from_midnight()) + rng.below(length)
            } else {
                rng.below(86_400)
            };
            let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds as u32, 0)
                .expect("seconds within a day");
            tz.from_local_datetime(&day.and_time(time))
                .single()
                .expect("Asia/Ho_Chi_Minh has no DST gaps")
                .with_timezone(&Utc)
        })
        .collect()
}

/// Every start paired with a duration of one unit, the amount cycling through `1..=max`.
fn paired(
    starts: &[DateTime<Utc>],
    max: u32,
    unit: fn(u32) -> ProcessingTime,
) -> Vec<(DateTime<Utc>, ProcessingTime)> {
    starts
        .iter()
        .enumerate()
        .map(|(i, &s)| (s, unit(1 + (i as u32 % max))))
        .collect()
}

/// The open-dossier mix: each of the 100,000 dossiers takes a start from the pool (by a
/// stride coprime to its size, so neighbours differ) and a duration rotating through the
/// three units, as a real register mixes procedures.
fn open_dossiers(starts: &[DateTime<Utc>]) -> Vec<(DateTime<Utc>, ProcessingTime)> {
    (0..OPEN_DOSSIERS)
        .map(|i| {
            let start = starts[(i * 7_919) % starts.len()];
            let n = (i / 3) as u32;
            let time = match i % 3 {
                0 => ProcessingTime::working_days(1 + n % 60),
                1 => ProcessingTime::working_hours(1 + n % 40),
                _ => ProcessingTime::calendar_days(1 + n % 90),
            };
            (start, time)
        })
        .collect()
}

/// One named input set of the benchmark.
struct Case {
    group: &'static str,
    name: &'static str,
    inputs: Vec<(DateTime<Utc>, ProcessingTime)>,
    /// Whether this case computes the full trace instead of the due instant alone.
    with_trace: bool,
}

struct Fixture {
    /// The calendar after an administrator's change: recomputation happens against it.
    calendar: WorkingCalendar,
    cases: Vec<Case>,
}

fn fixture() -> Fixture {
    let base = WorkingCalendar::new(CalendarSettings::default(), vec![]);
    // A realistic calendar change: an extra day off declared next to Tết 2027, as the
    // government does to bridge the break. It also proves overrides stay on the fast path.
    let bridge_day = lunar::lunar_new_year(2027) + chrono::Duration::days(5);
    let calendar = base.with_override(CalendarOverride {
        date: bridge_day,
        kind: OverrideKind::Holiday,
        name: "Benchmark: extra Tết day off".into(),
    });

    let starts = start_instants(&calendar);
    let working_days = paired(&starts, 60, ProcessingTime::working_days);
    let cases = vec![
        Case {
            group: "due_at",
            name: "working_days",
            inputs: working_days.clone(),
            with_trace: false,
        },
        Case {
            group: "due_at",
            name: "working_hours",
            inputs: paired(&starts, 40, ProcessingTime::working_hours),
            with_trace: false,
        },
        Case {
            group: "due_at",
            name: "calendar_days",
            inputs: paired(&starts, 90, ProcessingTime::calendar_days),
            with_trace: false,
        },
        Case {
            group: "deadline_with_trace",
            name: "working_days",
            inputs: working_days,
            with_trace: true,
        },
        Case {
            group: "recompute",
            name: "100k_open_dossiers",
            inputs: open_dossiers(&starts),
            with_trace: false,
        },
    ];
    Fixture { calendar, cases }
}

/// One pass over a case's inputs; the result is consumed through `black_box` so the
/// optimiser cannot drop the work.
fn run_case(calendar: &WorkingCalendar, case: &Case) {
    if case.with_trace {
        for &(start, time) in &case.inputs {
            black_box(calendar.deadline(black_box(start), black_box(time)));
        }
    } else {
        for &(start, time) in &case.inputs {
            black_box(calendar.due_at(black_box(start), black_box(time)));
        }
    }
}

fn deadline_benches(c: &mut Criterion) {
    let fixture = fixture();
    // Groups are created in the order of the cases, one group per distinct name.
    let mut index = 0;
    while index < fixture.cases.len() {
        let group_name = fixture.cases[index].group;
        let mut group = c.benchmark_group(group_name);
        while index < fixture.cases.len() && fixture.cases[index].group == group_name {
            let case = &fixture.cases[index];
            group.throughput(Throughput::Elements(case.inputs.len() as u64));
            group.bench_function(BenchmarkId::from_parameter(case.name), |b| {
                b.iter(|| run_case(&fixture.calendar, case))
            });
            index += 1;
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Modest settings: a pass over 10,000 inputs already takes milliseconds, so few samples
    // give stable numbers and the whole run stays well under two minutes.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = deadline_benches
}

/// Deadlines per second of one case by a plain timed loop: several rounds of at least
/// `round` each, median taken so one disturbed round does not skew the line.
fn plain_rate(calendar: &WorkingCalendar, case: &Case, round: Duration) -> f64 {
    run_case(calendar, case); // warm caches and the lazily built tables
    let mut rates: Vec<f64> = (0..5)
        .map(|_| {
            let began = Instant::now();
            let mut passes = 0u64;
            while began.elapsed() < round {
                run_case(calendar, case);
                passes += 1;
            }
            (passes * case.inputs.len() as u64) as f64 / began.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// A short description of what the inputs cover, so the figures can be trusted to include
/// the expensive paths (holiday runs, year changes) rather than only ordinary weeks.
fn describe_inputs(fixture: &Fixture) {
    let calendar = &fixture.calendar;
    let Some(case) = fixture.cases.first() else {
        return;
    };
    let tz = calendar.timezone();
    let mut non_working = 0;
    let mut outside_sessions = 0;
    let mut crossing_year = 0;
    let mut tet = 0;
    let tet_days = [lunar::lunar_new_year(2027), lunar::lunar_new_year(2028)];
    for &(start, time) in &case.inputs {
        let local = start.with_timezone(&tz);
        let day = local.date_naive();
        if !calendar.is_working_day(day) {
            non_working += 1;
        }
        if calendar.clock_start(start) != start {
            outside_sessions += 1;
        }
        let due = calendar.due_at(start, time).with_timezone(&tz);
        if due.year() != local.year() {
            crossing_year += 1;
        }
        if tet_days.iter().any(|t| day <= *t && due.date_naive() >= *t) {
            tet += 1;
        }
    }
    let weekends = case
        .inputs
        .iter()
        .filter(|(s, _)| matches!(s.with_timezone(&tz).weekday(), Weekday::Sat | Weekday::Sun))
        .count();
    println!(
        "inputs: {} receipts 2026-10-01..2028-03-31 ({tz}); {non_working} on non-working days \
         ({weekends} at weekends), {outside_sessions} outside sessions; with working-day \
         durations {crossing_year} cross a year boundary and {tet} span Tết 2027/2028",
        case.inputs.len()
    );
}

fn summary() {
    let fixture = fixture();
    println!();
    println!("== Deadline throughput, one core, plain Instant loop ==");
    describe_inputs(&fixture);
    for case in &fixture.cases {
        let rate = plain_rate(&fixture.calendar, case, Duration::from_millis(300));
        let label = format!("{} {}", case.group, case.name);
        let target = if case.with_trace {
            // The trace is built for one dossier on demand (explanations), never in bulk.
            "(explanation path, no target)".to_string()
        } else if rate >= 1e6 {
            "(target ≥ 1 M/s: met)".to_string()
        } else {
            "(target ≥ 1 M/s: NOT met)".to_string()
        };
        println!(
            "{label}: {:.2} M deadlines/s, {:.0} ns each {target}",
            rate / 1e6,
            1e9 / rate
        );
    }
    let recompute = fixture.cases.iter().find(|c| c.group == "recompute");
    if let Some(case) = recompute {
        let began = Instant::now();
        run_case(&fixture.calendar, case);
        println!(
            "recompute of {} open dossiers, single pass: {:.1} ms",
            case.inputs.len(),
            began.elapsed().as_secs_f64() * 1e3
        );
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --benches` runs this binary without `--bench` to smoke-test it; the timed
    // summary only makes sense in a real benchmark run, and `--list` must print names only.
    let args: Vec<String> = std::env::args().collect();
    let benchmarking =
        args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--list" || a == "--test");
    if benchmarking {
        summary();
    }
}
