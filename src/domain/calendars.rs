//! The working calendar of each office: one deployment-wide calendar, and offices with hours
//! of their own (same holidays and overrides, other sessions).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::calendar::{CalendarOverride, CalendarSettings, WorkingCalendar};

/// How the calendars are set up: the default settings and the offices that differ.
#[derive(Debug, Clone, Default)]
pub struct CalendarSetup {
    pub default: CalendarSettings,
    pub offices: BTreeMap<String, CalendarSettings>,
}

/// Every office's calendar. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Calendars {
    default: WorkingCalendar,
    offices: Arc<BTreeMap<String, WorkingCalendar>>,
}

impl Calendars {
    pub fn new(setup: &CalendarSetup, overrides: Vec<CalendarOverride>) -> Self {
        let offices = setup
            .offices
            .iter()
            .map(|(code, s)| {
                (
                    code.clone(),
                    WorkingCalendar::new(s.clone(), overrides.clone()),
                )
            })
            .collect();
        Self {
            default: WorkingCalendar::new(setup.default.clone(), overrides),
            offices: Arc::new(offices),
        }
    }

    /// The calendar deadlines at `office` are counted in.
    pub fn for_office(&self, office: &str) -> &WorkingCalendar {
        self.offices.get(office).unwrap_or(&self.default)
    }

    /// The deployment-wide calendar (time zone, holidays, the default hours).
    pub fn default_calendar(&self) -> &WorkingCalendar {
        &self.default
    }

    /// Every distinct calendar, the default first.
    pub fn all(&self) -> impl Iterator<Item = &WorkingCalendar> {
        std::iter::once(&self.default).chain(self.offices.values())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{ProcessingTime, Session};
    use chrono::{NaiveTime, TimeZone, Utc};

    #[test]
    fn an_office_with_its_own_hours_counts_in_them() -> Result<(), Box<dyn std::error::Error>> {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).ok_or("valid test time");
        let mut setup = CalendarSetup::default();
        let early = CalendarSettings {
            sessions: vec![
                Session {
                    start: t(7, 0)?,
                    end: t(11, 0)?,
                },
                Session {
                    start: t(13, 0)?,
                    end: t(16, 30)?,
                },
            ],
            ..CalendarSettings::default()
        };
        setup.offices.insert("H41".into(), early);
        let cals = Calendars::new(&setup, vec![]);
        let at = chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2027, 3, 8, 7, 0, 0)
            .single()
            .ok_or("unambiguous local time")?
            .with_timezone(&Utc);
        let four_hours = ProcessingTime::working_hours(4);
        let due = |office: &str| {
            cals.for_office(office)
                .due_at(at, four_hours)
                .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
                .format("%H:%M")
                .to_string()
        };
        assert_eq!(
            due("H41"),
            "11:00",
            "07:00 + 4 h in the office's own morning"
        );
        assert_eq!(due("H40"), "11:30", "the default hours start at 07:30");
        assert_eq!(cals.all().count(), 2);
        Ok(())
    }
}
