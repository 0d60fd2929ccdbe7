//! Sample facts: a dossier received at 09:10 on Thursday 5 March 2026 and transferred twice,
//! its apology letter, a register. For the forms' tests, the benchmark and the sample forms
//! (`cargo run --example forms`), never for stored data.

use chrono::{DateTime, TimeZone, Utc};

use super::facts::{
    Agency, DossierFacts, LetterFacts, RegisterFacts, RegisterLine, StepFacts, SupplementFacts,
};
use crate::domain::calendar::{ProcessingTime, TimeUnit};
use crate::domain::dossier::{Channel, Status};
use crate::domain::timeliness::Timeliness;

/// An instant of March 2026, office time.
pub fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(2026, 3, d, h, m, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// An agency of Phú Vang district.
pub fn agency(code: &str, name: &str) -> Agency {
    Agency {
        code: code.into(),
        name: name.into(),
        parent_name: Some("UBND huyện Phú Vang".into()),
        head_name: Some("Trần Văn Bình".into()),
    }
}

/// A dossier received on Thursday 5 March 2026 at 09:10, transferred twice.
pub fn dossier() -> DossierFacts {
    DossierFacts {
        code: "000.00.24.H40-260305-0001".into(),
        procedure_code: "1.001234".into(),
        procedure_name: "Cấp giấy phép xây dựng nhà ở riêng lẻ".into(),
        field: "Xây dựng".into(),
        processing_time: ProcessingTime {
            amount: 3,
            unit: TimeUnit::WorkingDays,
        },
        channel: Channel::Counter,
        status: Status::Processing,
        applicant_name: "Nguyễn Văn An".into(),
        applicant_address: Some("12 Lê Lợi, Phú Vang".into()),
        office: agency("000.00.24.H40", "Bộ phận Một cửa huyện Phú Vang"),
        received_by: Some("Lê Thị Hoa".into()),
        received_at: at(5, 9, 10),
        due_at: at(10, 9, 10),
        rescheduled_due_at: None,
        resolved_at: None,
        returned_at: None,
        final_timeliness: None,
        components: Vec::new(),
        digitised_components: false,
        digitised_result: false,
        steps: vec![
            StepFacts {
                seq: 1,
                agency: agency("000.20.24.H40", "Phòng Quản lý đô thị"),
                received_at: at(5, 10, 0),
                deadline_at: at(6, 10, 0),
                completed_at: Some(at(6, 9, 0)),
                verdict: Some(Timeliness::OnTime),
                handed_over_by: Some("Lê Thị Hoa".into()),
            },
            StepFacts {
                seq: 2,
                agency: agency("000.00.00.H40", "UBND huyện Phú Vang"),
                received_at: at(6, 9, 0),
                deadline_at: at(9, 9, 0),
                completed_at: None,
                verdict: None,
                handed_over_by: Some("Phạm Quốc Việt".into()),
            },
        ],
        supplement_requests: vec![SupplementFacts {
            at: at(6, 8, 0),
            items: vec![
                "Bản sao sổ đỏ có chứng thực".into(),
                "Bản vẽ thiết kế".into(),
            ],
            reason: "Thiếu giấy tờ.".into(),
            by: Some("Phạm Quốc Việt".into()),
        }],
        refusal: None,
        stop: None,
    }
}

/// The dossier's apology letter.
pub fn letter() -> LetterFacts {
    LetterFacts {
        number: "0001/2026/PXL-000.00.00.H40".into(),
        reason: "Cần xác minh thực địa".into(),
        original_due_at: at(10, 9, 10),
        new_due_at: at(17, 9, 10),
        created_at: at(9, 9, 15),
        agency: agency("000.00.00.H40", "UBND huyện Phú Vang"),
        signer_name: Some("Trần Văn Bình".into()),
    }
}

/// A register of `n` lines for March 2026.
pub fn register(n: usize) -> RegisterFacts {
    let d = dossier();
    let line = |i: usize| RegisterLine {
        code: format!("000.00.24.H40-2603{:02}-{:04}", 2 + i % 27, i + 1),
        procedure_code: d.procedure_code.clone(),
        procedure_name: d.procedure_name.clone(),
        applicant_name: d.applicant_name.clone(),
        applicant_address: d.applicant_address.clone(),
        responsible_office_code: "000.20.24.H40".into(),
        responsible_office_name: "Phòng Quản lý đô thị".into(),
        received_at: d.received_at,
        due_at: d.due_at,
        rescheduled_due_at: None,
        transferred_at: Some(at(5, 10, 0)),
        resolved_at: (!i.is_multiple_of(3)).then(|| at(9, 16, 0)),
        returned_at: None,
        status: if i.is_multiple_of(3) {
            Status::Processing
        } else {
            Status::Resolved
        },
        final_timeliness: (!i.is_multiple_of(3)).then_some(Timeliness::Early),
    };
    RegisterFacts {
        office: d.office.clone(),
        from: at(1, 8, 0).date_naive(),
        to: at(31, 8, 0).date_naive(),
        lines: (0..n).map(line).collect(),
    }
}
