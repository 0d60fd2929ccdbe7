//! Statutory public holidays (ngày nghỉ lễ, Tết — Labour Code 2019 Art. 112) for any year.
//!
//! Includes the compensatory days off (nghỉ bù, Art. 111.3) owed when a holiday falls on a
//! weekly rest day.
//!
//! These are the days the law fixes; the yearly decisions of the Prime Minister (which
//! adjacent day goes with National Day, day swaps, longer Tết breaks) are entered by
//! administrators as calendar overrides and win over what is generated here.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::lunar;

/// One of the holidays of Labour Code 2019 Art. 112.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatutoryHoliday {
    /// Tết Dương lịch, 1 January.
    NewYear,
    /// Tết Nguyên đán: the last day of the old lunar year and the first four of the new.
    LunarNewYear,
    /// Giỗ Tổ Hùng Vương, 10th day of the 3rd lunar month.
    HungKings,
    /// Ngày Chiến thắng, 30 April.
    VictoryDay,
    /// Ngày Quốc tế lao động, 1 May.
    LabourDay,
    /// Quốc khánh, 2 September and one adjacent day.
    NationalDay,
}

impl StatutoryHoliday {
    /// The holiday's name as the Labour Code gives it.
    pub fn name(self) -> &'static str {
        match self {
            StatutoryHoliday::NewYear => "Tết Dương lịch",
            StatutoryHoliday::LunarNewYear => "Tết Nguyên đán",
            StatutoryHoliday::HungKings => "Giỗ Tổ Hùng Vương",
            StatutoryHoliday::VictoryDay => "Ngày Chiến thắng",
            StatutoryHoliday::LabourDay => "Ngày Quốc tế lao động",
            StatutoryHoliday::NationalDay => "Quốc khánh",
        }
    }

    /// Name of a compensatory day off owed for this holiday.
    pub fn compensatory_name(self) -> &'static str {
        match self {
            StatutoryHoliday::NewYear => "Nghỉ bù Tết Dương lịch",
            StatutoryHoliday::LunarNewYear => "Nghỉ bù Tết Nguyên đán",
            StatutoryHoliday::HungKings => "Nghỉ bù Giỗ Tổ Hùng Vương",
            StatutoryHoliday::VictoryDay => "Nghỉ bù Ngày Chiến thắng",
            StatutoryHoliday::LabourDay => "Nghỉ bù Ngày Quốc tế lao động",
            StatutoryHoliday::NationalDay => "Nghỉ bù Quốc khánh",
        }
    }
}

/// A generated day off: a holiday itself, or a compensatory day for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HolidayDay {
    pub date: NaiveDate,
    pub holiday: StatutoryHoliday,
    /// Nghỉ bù: owed because a day of `holiday` fell on a weekly rest day.
    pub compensatory: bool,
}

impl HolidayDay {
    pub fn name(&self) -> &'static str {
        if self.compensatory {
            self.holiday.compensatory_name()
        } else {
            self.holiday.name()
        }
    }
}

/// Every statutory day off of Gregorian `year`, sorted by date, for an office whose weekly
/// rest days are `rest_days`.
///
/// Two holidays can fall on one date (Giỗ Tổ on 30 April happens, e.g. 1947); the date then
/// appears once per holiday and counts as one day off, as nothing in Art. 112 grants more.
pub fn statutory_holidays(year: i32, rest_days: &[Weekday]) -> Vec<HolidayDay> {
    let mut days: Vec<HolidayDay> = Vec::with_capacity(20);
    let mut add = |date: Option<NaiveDate>, holiday| {
        if let Some(date) = date {
            days.push(HolidayDay {
                date,
                holiday,
                compensatory: false,
            });
        }
    };

    add(
        NaiveDate::from_ymd_opt(year, 1, 1),
        StatutoryHoliday::NewYear,
    );
    let tet = lunar::lunar_new_year(year);
    for offset in -1..=3 {
        add(
            tet.checked_add_signed(Duration::days(offset)),
            StatutoryHoliday::LunarNewYear,
        );
    }
    add(
        lunar::lunar_to_solar(year, 3, 10, false),
        StatutoryHoliday::HungKings,
    );
    add(
        NaiveDate::from_ymd_opt(year, 4, 30),
        StatutoryHoliday::VictoryDay,
    );
    add(
        NaiveDate::from_ymd_opt(year, 5, 1),
        StatutoryHoliday::LabourDay,
    );
    add(
        NaiveDate::from_ymd_opt(year, 9, 2),
        StatutoryHoliday::NationalDay,
    );
    add(
        national_day_adjacent(year, rest_days),
        StatutoryHoliday::NationalDay,
    );
    // Outside the years the lunar calendar is meant for, Tết can stray out of `year`.
    days.retain(|d| d.date.year() == year);
    days.sort_by_key(|d| d.date);

    let compensatory = compensatory_days(&days, rest_days);
    days.extend(compensatory);
    days.sort_by_key(|d| (d.date, d.compensatory));
    days
}

/// The day that goes with 2 September (Art. 112.1.đ: "01 ngày liền kề trước hoặc sau").
///
/// The government picks it each year; this default follows its recent choices
/// (2021: Thu 2 → Fri 3; 2022: Fri 2 → Thu 1; 2023: Sat 2 → Fri 1; 2024: Mon 2 → Tue 3;
/// 2025: Tue 2 → Mon 1): take a working day over a rest day (a holiday on a rest day only
/// turns into a compensatory day anyway), and among working days the one that joins the
/// holiday to the weekly rest days; if that still leaves a tie (2 September on a Wednesday),
/// take 1 September. Administrators override the result when the yearly decision differs.
pub fn national_day_adjacent(year: i32, rest_days: &[Weekday]) -> Option<NaiveDate> {
    let before = NaiveDate::from_ymd_opt(year, 9, 1)?;
    let after = NaiveDate::from_ymd_opt(year, 9, 3)?;
    let is_rest = |d: NaiveDate| rest_days.contains(&d.weekday());
    // Higher is better: a working day first, then one whose outer neighbour is a rest day.
    let score = |d: NaiveDate, outer: NaiveDate| (!is_rest(d), is_rest(outer));
    let before_score = score(before, before.pred_opt()?);
    let after_score = score(after, after.succ_opt()?);
    Some(if after_score > before_score {
        after
    } else {
        before
    })
}

/// Art. 111.3: each holiday day on a weekly rest day gives a day off on the next working
/// day after the run of consecutive holiday days it belongs to. `days` is sorted by date.
fn compensatory_days(days: &[HolidayDay], rest_days: &[Weekday]) -> Vec<HolidayDay> {
    let is_rest = |d: NaiveDate| rest_days.contains(&d.weekday());
    let mut out: Vec<HolidayDay> = Vec::new();
    // Every rest day would make the search below endless; no working day, no compensation.
    if rest_days_cover_week(rest_days) {
        return out;
    }
    let taken =
        |d: NaiveDate, out: &[HolidayDay]| days.iter().chain(out.iter()).any(|h| h.date == d);

    let mut i = 0;
    while i < days.len() {
        // A run of consecutive holiday dates (a date with two holidays counts once).
        let mut j = i;
        while j + 1 < days.len()
            && days[j]
                .date
                .succ_opt()
                .is_some_and(|next| days[j + 1].date <= next)
        {
            j += 1;
        }
        let run = &days[i..=j];
        let mut owed: Vec<StatutoryHoliday> = Vec::new();
        let mut last_date = None;
        for day in run {
            if last_date != Some(day.date) && is_rest(day.date) {
                owed.push(day.holiday);
            }
            last_date = Some(day.date);
        }
        let mut cursor = run[run.len() - 1].date;
        for holiday in owed {
            loop {
                match cursor.succ_opt() {
                    Some(next) => cursor = next,
                    None => return out,
                }
                if !is_rest(cursor) && !taken(cursor, &out) {
                    break;
                }
            }
            out.push(HolidayDay {
                date: cursor,
                holiday,
                compensatory: true,
            });
        }
        i = j + 1;
    }
    out
}

pub(super) fn rest_days_cover_week(rest_days: &[Weekday]) -> bool {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .iter()
    .all(|d| rest_days.contains(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEEKEND: [Weekday; 2] = [Weekday::Sat, Weekday::Sun];

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate, &'static str> {
        NaiveDate::from_ymd_opt(y, m, d).ok_or("valid test date")
    }

    fn names_on(year: i32, date: NaiveDate) -> Vec<&'static str> {
        statutory_holidays(year, &WEEKEND)
            .iter()
            .filter(|h| h.date == date)
            .map(HolidayDay::name)
            .collect()
    }

    #[test]
    fn fixed_holidays_are_generated_with_their_names() -> TestResult {
        assert_eq!(names_on(2025, ymd(2025, 1, 1)?), ["Tết Dương lịch"]);
        assert_eq!(names_on(2025, ymd(2025, 4, 30)?), ["Ngày Chiến thắng"]);
        assert_eq!(names_on(2025, ymd(2025, 5, 1)?), ["Ngày Quốc tế lao động"]);
        assert_eq!(names_on(2025, ymd(2025, 9, 2)?), ["Quốc khánh"]);
        assert_eq!(names_on(2025, ymd(2025, 4, 7)?), ["Giỗ Tổ Hùng Vương"]);
        Ok(())
    }

    #[test]
    fn tet_is_the_eve_and_the_first_four_days_of_the_lunar_year() -> TestResult {
        // Tết Đinh Mùi: 6 February 2027 (a Saturday).
        let tet: Vec<NaiveDate> = statutory_holidays(2027, &WEEKEND)
            .iter()
            .filter(|h| h.holiday == StatutoryHoliday::LunarNewYear && !h.compensatory)
            .map(|h| h.date)
            .collect();
        assert_eq!(
            tet,
            [
                ymd(2027, 2, 5)?,
                ymd(2027, 2, 6)?,
                ymd(2027, 2, 7)?,
                ymd(2027, 2, 8)?,
                ymd(2027, 2, 9)?
            ]
        );
        // Saturday 6 and Sunday 7 fall on rest days: two days off after the run.
        assert_eq!(
            names_on(2027, ymd(2027, 2, 10)?),
            ["Nghỉ bù Tết Nguyên đán"]
        );
        assert_eq!(
            names_on(2027, ymd(2027, 2, 11)?),
            ["Nghỉ bù Tết Nguyên đán"]
        );
        assert!(names_on(2027, ymd(2027, 2, 12)?).is_empty());
        Ok(())
    }

    #[test]
    fn national_day_adjacent_follows_recent_government_decisions() -> TestResult {
        let cases = [
            (2021, ymd(2021, 9, 3)?), // Thursday 2/9 → Friday 3/9
            (2022, ymd(2022, 9, 1)?), // Friday → Thursday 1/9
            (2023, ymd(2023, 9, 1)?), // Saturday → Friday 1/9
            (2024, ymd(2024, 9, 3)?), // Monday → Tuesday 3/9
            (2025, ymd(2025, 9, 1)?), // Tuesday → Monday 1/9
            (2026, ymd(2026, 9, 1)?), // Wednesday: tie → 1/9
        ];
        for (year, expected) in cases {
            assert_eq!(
                national_day_adjacent(year, &WEEKEND),
                Some(expected),
                "{year}"
            );
        }
        Ok(())
    }

    #[test]
    fn national_day_on_saturday_gives_monday_off() -> TestResult {
        // 2023: Fri 1/9 + Sat 2/9, Sunday rest, compensatory Monday 4/9 (as decided that year).
        assert_eq!(names_on(2023, ymd(2023, 9, 4)?), ["Nghỉ bù Quốc khánh"]);
        Ok(())
    }

    #[test]
    fn compensation_for_a_run_of_holidays_comes_after_the_whole_run() -> TestResult {
        // 2022: 30/4 Saturday, 1/5 Sunday → Monday 2/5 and Tuesday 3/5 off.
        assert_eq!(
            names_on(2022, ymd(2022, 5, 2)?),
            ["Nghỉ bù Ngày Chiến thắng"]
        );
        assert_eq!(
            names_on(2022, ymd(2022, 5, 3)?),
            ["Nghỉ bù Ngày Quốc tế lao động"]
        );
        // 2021: 1/5 Saturday → Monday 3/5 (Sunday is a rest day itself).
        assert_eq!(
            names_on(2021, ymd(2021, 5, 3)?),
            ["Nghỉ bù Ngày Quốc tế lao động"]
        );
        // 2023: 1/1 Sunday → Monday 2/1.
        assert_eq!(names_on(2023, ymd(2023, 1, 2)?), ["Nghỉ bù Tết Dương lịch"]);
        Ok(())
    }

    #[test]
    fn hung_kings_on_a_rest_day_is_compensated() -> TestResult {
        // 2026: Giỗ Tổ on Sunday 26/4 → Monday 27/4 off.
        assert_eq!(names_on(2026, ymd(2026, 4, 26)?), ["Giỗ Tổ Hùng Vương"]);
        assert_eq!(
            names_on(2026, ymd(2026, 4, 27)?),
            ["Nghỉ bù Giỗ Tổ Hùng Vương"]
        );
        Ok(())
    }

    #[test]
    fn coinciding_holidays_count_once() -> TestResult {
        // 1947: Giỗ Tổ fell on 30 April (a Wednesday); one day off, two names.
        let on = names_on(1947, ymd(1947, 4, 30)?);
        assert_eq!(on.len(), 2);
        assert!(on.contains(&"Giỗ Tổ Hùng Vương") && on.contains(&"Ngày Chiến thắng"));
        Ok(())
    }

    #[test]
    fn every_rest_day_means_no_compensation_and_no_hang() {
        let all = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        assert!(
            statutory_holidays(2025, &all)
                .iter()
                .all(|h| !h.compensatory)
        );
    }

    #[test]
    fn every_year_has_its_eleven_holiday_days() {
        for year in 1900..=2100 {
            let days = statutory_holidays(year, &WEEKEND);
            let own = days.iter().filter(|h| !h.compensatory).count();
            assert_eq!(own, 11, "{year}");
            assert!(days.iter().all(|h| h.date.year() == year), "{year}");
        }
    }
}
