//! How the official forms write instants, durations, channels, statuses and verdicts in
//! Vietnamese ("09 giờ 10 phút, ngày 05 tháng 03 năm 2026", "05/03/2026", "đúng hạn").

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;

use crate::domain::calendar::{ProcessingTime, TimeUnit};
use crate::domain::dossier::{Channel, Status};
use crate::domain::timeliness::Timeliness;

/// "09 giờ 10 phút, ngày 05 tháng 03 năm 2026": an instant as the forms write it.
pub fn instant(t: DateTime<Utc>, tz: Tz) -> String {
    let l = t.with_timezone(&tz);
    format!(
        "{:02} giờ {:02} phút, {}",
        l.hour(),
        l.minute(),
        long_date(t, tz)
    )
}

/// "ngày 05 tháng 03 năm 2026".
pub fn long_date(t: DateTime<Utc>, tz: Tz) -> String {
    let l = t.with_timezone(&tz);
    format!(
        "ngày {:02} tháng {:02} năm {}",
        l.day(),
        l.month(),
        l.year()
    )
}

/// "05/03/2026".
pub fn date(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%d/%m/%Y").to_string()
}

/// "09 giờ 10, 05/03/2026": an instant in a table cell, where the long form does not fit.
pub fn short_instant(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%H giờ %M, %d/%m/%Y")
        .to_string()
}

/// The place and date line of an official document: "Huế, ngày 05 tháng 03 năm 2026".
pub fn place_date(place: &str, t: DateTime<Utc>, tz: Tz) -> String {
    format!("{place}, {}", long_date(t, tz))
}

/// "03 ngày làm việc", "08 giờ làm việc", "15 ngày".
pub fn processing_time(t: ProcessingTime) -> String {
    let unit = match t.unit {
        TimeUnit::WorkingDays => "ngày làm việc",
        TimeUnit::WorkingHours => "giờ làm việc",
        TimeUnit::CalendarDays => "ngày",
    };
    format!("{:02} {unit}", t.amount)
}

pub fn channel(c: Channel) -> &'static str {
    match c {
        Channel::Counter => "Trực tiếp",
        Channel::Postal => "Qua dịch vụ bưu chính",
        Channel::Online => "Trực tuyến",
    }
}

/// The dossier's status as the register writes it.
pub fn status(s: Status) -> &'static str {
    match s {
        Status::Received => "Đã tiếp nhận",
        Status::Processing => "Đang giải quyết",
        Status::AwaitingSupplement => "Chờ bổ sung hồ sơ",
        Status::AwaitingPayment => "Chờ thực hiện nghĩa vụ tài chính",
        Status::Resolved => "Đã có kết quả",
        Status::Returned => "Đã trả kết quả",
        Status::Rejected => "Từ chối tiếp nhận",
        Status::Withdrawn => "Rút hồ sơ",
        Status::Stopped => "Dừng giải quyết",
    }
}

/// The verdict of a finished dossier or step in the words of the control slip; the standing of
/// an open one.
pub fn timeliness(t: Timeliness) -> &'static str {
    match t {
        Timeliness::Early => "trước hạn",
        Timeliness::OnTime => "đúng hạn",
        Timeliness::Late => "quá hạn",
        Timeliness::OnTrack => "trong hạn",
        Timeliness::DueSoon => "sắp đến hạn",
        Timeliness::Overdue => "quá hạn",
        Timeliness::Paused => "tạm dừng tính thời gian",
    }
}

/// Vietnamese in capitals, as headings write agencies' names ("UBND huyện" → "UBND HUYỆN").
pub fn upper(s: &str) -> String {
    s.to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn instants_read_as_the_official_forms_write_them() -> TestResult {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let t = tz
            .with_ymd_and_hms(2026, 3, 5, 9, 10, 0)
            .single()
            .ok_or("time")?
            .with_timezone(&Utc);
        assert_eq!(instant(t, tz), "09 giờ 10 phút, ngày 05 tháng 03 năm 2026");
        assert_eq!(date(t, tz), "05/03/2026");
        assert_eq!(short_instant(t, tz), "09 giờ 10, 05/03/2026");
        assert_eq!(place_date("Huế", t, tz), "Huế, ngày 05 tháng 03 năm 2026");
        // 23:30 UTC is the next morning in Vietnam.
        let late = Utc
            .with_ymd_and_hms(2026, 3, 4, 23, 30, 0)
            .single()
            .ok_or("t")?;
        assert_eq!(
            instant(late, tz),
            "06 giờ 30 phút, ngày 05 tháng 03 năm 2026"
        );
        Ok(())
    }

    #[test]
    fn durations_and_words() {
        assert_eq!(
            processing_time(ProcessingTime {
                amount: 3,
                unit: TimeUnit::WorkingDays
            }),
            "03 ngày làm việc"
        );
        assert_eq!(timeliness(Timeliness::Early), "trước hạn");
        assert_eq!(timeliness(Timeliness::OnTime), "đúng hạn");
        assert_eq!(timeliness(Timeliness::Late), "quá hạn");
        assert_eq!(upper("UBND huyện Phú Vang"), "UBND HUYỆN PHÚ VANG");
    }
}
