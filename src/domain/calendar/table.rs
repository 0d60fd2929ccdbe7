//! The precomputed day table (1900–2100) and the per-year classification used outside it.
//!
//! Inside the table, deadline arithmetic is a few look-ups and a binary search.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{Datelike, NaiveDate, Weekday};

use super::DayKind;
use super::holidays::{self, HolidayDay};

pub(super) const FIRST_TABLE_YEAR: i32 = 1900;
pub(super) const LAST_TABLE_YEAR: i32 = 2100;
/// Walks never go past 9999-12-31 (its `num_days_from_ce`); beyond that answers saturate.
pub(super) const LAST_SUPPORTED_DAY: i32 = 3_652_059;
/// Nor before 0001-01-01.
pub(super) const FIRST_SUPPORTED_DAY: i32 = 1;

/// The statutory part of a calendar (weekly rest days and generated holidays, no overrides).
/// It depends only on the rest days and whether holidays are generated, so it is built once
/// per such pair and shared by every calendar and every copy made by `with_override`.
pub(super) struct BaseTable {
    /// `num_days_from_ce` of the table's first day (1900-01-01).
    pub first_day: i32,
    pub kinds: Box<[DayKind]>,
    /// Table indices of the working days, ascending.
    pub workdays: Box<[u32]>,
    /// Names of generated holiday days (several holidays on one date are joined).
    pub names: HashMap<NaiveDate, String>,
}

/// Bit per weekday (Monday = bit 0).
pub(super) fn rest_mask(rest_days: &[Weekday]) -> u8 {
    rest_days
        .iter()
        .fold(0u8, |m, d| m | (1 << d.num_days_from_monday()))
}

pub(super) fn is_rest(mask: u8, d: NaiveDate) -> bool {
    mask & (1 << d.weekday().num_days_from_monday()) != 0
}

type Memo = Vec<(u8, bool, Arc<BaseTable>)>;
static MEMO: Mutex<Memo> = Mutex::new(Vec::new());

/// The shared base table for these settings (built on first use, then reused).
pub(super) fn base_table(rest_days: &[Weekday], statutory: bool) -> Arc<BaseTable> {
    let mask = rest_mask(rest_days);
    // A poisoned lock only means another thread panicked while building; the memo itself
    // is only ever appended complete tables, so it is still sound to use.
    let mut memo = MEMO.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, _, table)) = memo.iter().find(|(m, s, _)| *m == mask && *s == statutory) {
        return Arc::clone(table);
    }
    let table = Arc::new(build_base(rest_days, mask, statutory));
    memo.push((mask, statutory, Arc::clone(&table)));
    table
}

fn build_base(rest_days: &[Weekday], mask: u8, statutory: bool) -> BaseTable {
    let first = NaiveDate::from_ymd_opt(FIRST_TABLE_YEAR, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(LAST_TABLE_YEAR, 12, 31).unwrap_or(NaiveDate::MIN);
    let first_day = first.num_days_from_ce();
    let len = usize::try_from(last.num_days_from_ce() - first_day + 1).unwrap_or(0);

    let mut kinds = Vec::with_capacity(len);
    let mut day = first;
    for _ in 0..len {
        kinds.push(if is_rest(mask, day) {
            DayKind::Weekend
        } else {
            DayKind::Workday
        });
        day = day.succ_opt().unwrap_or(day);
    }

    let mut names: HashMap<NaiveDate, String> = HashMap::new();
    if statutory {
        for year in FIRST_TABLE_YEAR..=LAST_TABLE_YEAR {
            for h in holidays::statutory_holidays(year, rest_days) {
                let Ok(i) = usize::try_from(h.date.num_days_from_ce() - first_day) else {
                    continue;
                };
                if let Some(kind) = kinds.get_mut(i) {
                    *kind = DayKind::Holiday;
                    add_name(&mut names, h);
                }
            }
        }
    }
    BaseTable {
        first_day,
        workdays: working_indices(&kinds).into_boxed_slice(),
        kinds: kinds.into_boxed_slice(),
        names,
    }
}

/// Indices of the working days among `kinds`, ascending.
pub(super) fn working_indices(kinds: &[DayKind]) -> Vec<u32> {
    kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| k.is_working())
        .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
        .collect()
}

fn add_name(names: &mut HashMap<NaiveDate, String>, h: HolidayDay) {
    names
        .entry(h.date)
        .and_modify(|n| {
            n.push_str(", ");
            n.push_str(h.name());
        })
        .or_insert_with(|| h.name().to_owned());
}

/// Generated holidays of one year, for days outside the table; a walk keeps the last year
/// it needed so it computes each year's lunar dates once.
#[derive(Default)]
pub(super) struct YearCache {
    year: Option<i32>,
    days: Vec<HolidayDay>,
}

impl YearCache {
    /// Name of the generated holiday on `d`, if any (joined when several fall on it).
    pub fn holiday_name(&mut self, d: NaiveDate, rest_days: &[Weekday]) -> Option<String> {
        let year = d.year();
        if self.year != Some(year) {
            // The lunar calendar is only meaningful for historical and near-future years;
            // beyond the supported range only the fixed-date rules would make sense, and
            // nobody computes deadlines there, so generate nothing.
            self.days = if (1..=9999).contains(&year) {
                holidays::statutory_holidays(year, rest_days)
            } else {
                Vec::new()
            };
            self.year = Some(year);
        }
        let mut found: Option<String> = None;
        for h in self.days.iter().filter(|h| h.date == d) {
            match &mut found {
                Some(n) => {
                    n.push_str(", ");
                    n.push_str(h.name());
                }
                None => found = Some(h.name().to_owned()),
            }
        }
        found
    }

    pub fn is_holiday(&mut self, d: NaiveDate, rest_days: &[Weekday]) -> bool {
        // Cheap enough: names are only built when a holiday is actually there.
        self.holiday_name(d, rest_days).is_some()
    }
}
