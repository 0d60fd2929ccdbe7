//! The forms of one dossier: Mẫu 01 (receipt), 02 (supplement request), 03 (refusal),
//! 05 (stop notice) and 06 (control slip), each built from the dossier's facts.

use super::document::{Align, Block, Column, Document, Orientation, Qr, Signer, Table};
use super::facts::DossierFacts;
use super::texts;
use super::{FormContext, Frame, NotApplicable, compose, lookup_url, reason, signer, vi};

/// The dossier forms of API.md, by the name in their path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DossierForm {
    /// Mẫu 01.
    Receipt,
    /// Mẫu 02, the n-th request.
    SupplementRequest,
    /// Mẫu 03.
    Refusal,
    /// Mẫu 05.
    StopNotice,
    /// Mẫu 06.
    ControlSlip,
}

impl DossierForm {
    pub const ALL: [DossierForm; 5] = [
        DossierForm::Receipt,
        DossierForm::SupplementRequest,
        DossierForm::Refusal,
        DossierForm::StopNotice,
        DossierForm::ControlSlip,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DossierForm::Receipt => "receipt",
            DossierForm::SupplementRequest => "supplement-request",
            DossierForm::Refusal => "refusal",
            DossierForm::StopNotice => "stop-notice",
            DossierForm::ControlSlip => "control-slip",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The file name stem of its PDF: `mau-01-<code>`.
    pub fn file_stem(self) -> &'static str {
        match self {
            DossierForm::Receipt => "mau-01",
            DossierForm::SupplementRequest => "mau-02",
            DossierForm::Refusal => "mau-03",
            DossierForm::StopNotice => "mau-05",
            DossierForm::ControlSlip => "mau-06",
        }
    }
}

/// Builds one of the dossier's forms; `n` picks the supplement request (1-based, default the
/// latest). A form that does not apply says why.
pub fn build(
    form: DossierForm,
    f: &DossierFacts,
    ctx: &FormContext<'_>,
    n: Option<u32>,
) -> Result<Document, NotApplicable> {
    match form {
        DossierForm::Receipt => Ok(receipt(f, ctx)),
        DossierForm::SupplementRequest => supplement_request(f, ctx, n),
        DossierForm::Refusal => refusal(f, ctx),
        DossierForm::StopNotice => stop_notice(f, ctx),
        DossierForm::ControlSlip => Ok(control_slip(f, ctx)),
    }
}

/// The facts every dossier form can name (`texts::DOSSIER_NAMES`).
pub(super) fn common(f: &DossierFacts, ctx: &FormContext<'_>, name: &str) -> Option<String> {
    let tz = ctx.tz;
    Some(match name {
        "office" => f.office.name.clone(),
        "agency" => f.steps.last().map_or(&f.office, |s| &s.agency).name.clone(),
        "applicant" => f.applicant_name.clone(),
        "address" => f.applicant_address.clone()?,
        "code" => f.code.clone(),
        "procedure" => f.procedure_name.clone(),
        "procedure_code" => f.procedure_code.clone(),
        "field" => f.field.clone(),
        "channel" => vi::channel(f.channel).to_owned(),
        "processing_time" => vi::processing_time(f.processing_time),
        "received" => vi::instant(f.received_at, tz),
        "received_date" => vi::date(f.received_at, tz),
        "due" => vi::instant(f.due_at, tz),
        "due_date" => vi::date(f.due_at, tz),
        "rescheduled_due" => vi::instant(f.rescheduled_due_at?, tz),
        "url" => lookup_url(ctx.base_url, &f.code),
        _ => return None,
    })
}

/// The lookup QR code with its caption.
pub(super) fn qr(ctx: &FormContext<'_>, code: &str, caption: &str) -> Block {
    let facts = |name: &str| (name == "code").then(|| code.to_owned());
    Block::Qr(Qr {
        data: lookup_url(ctx.base_url, code),
        caption: texts::fill_text(caption, &facts).unwrap_or_default(),
    })
}

/// A table with numbered rows ("STT" first).
fn numbered(headers: &[String], widths: &[f32], rows: Vec<Vec<String>>) -> Table {
    let columns = headers
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(i, (h, w))| Column {
            header: h.clone(),
            width: *w,
            align: if i == 0 { Align::Center } else { Align::Left },
        })
        .collect();
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.insert(0, (i + 1).to_string());
            r
        })
        .collect();
    Table { columns, rows }
}

/// Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả, with the lookup QR code.
pub fn receipt(f: &DossierFacts, ctx: &FormContext<'_>) -> Document {
    let t = &ctx.texts.receipt;
    let parts = t.parts();
    let facts = |name: &str| common(f, ctx, name);
    let blocks = |name: &str| match name {
        "qr" => vec![qr(ctx, &f.code, &t.qr_caption)],
        "components" if !f.components.is_empty() => vec![Block::Table(numbered(
            &["STT".to_owned(), t.components_heading.clone()],
            &[0.8, 9.0],
            f.components.iter().map(|c| vec![c.clone()]).collect(),
        ))],
        _ => Vec::new(),
    };
    let applicant = Signer {
        title: t.applicant_signer.clone(),
        hint: Some(t.signer_hint.clone()).filter(|h| !h.trim().is_empty()),
        name: Some(f.applicant_name.clone()),
    };
    let signers = std::iter::once(applicant)
        .chain(signer(&parts, f.received_by.as_deref()))
        .collect();
    compose(
        ctx,
        parts,
        Frame {
            issuer: &f.office,
            dated: Some(f.received_at),
            signers,
            orientation: Orientation::Portrait,
        },
        &facts,
        &blocks,
    )
}

/// Mẫu 02: the n-th supplement request (default the latest), with every item it listed.
pub fn supplement_request(
    f: &DossierFacts,
    ctx: &FormContext<'_>,
    n: Option<u32>,
) -> Result<Document, NotApplicable> {
    let count = f.supplement_requests.len();
    if count == 0 {
        return Err(NotApplicable(
            "no supplement request was made on this dossier: it has no Mẫu 02".into(),
        ));
    }
    let n = n.map_or(count, |n| n as usize);
    let Some(request) = n.checked_sub(1).and_then(|i| f.supplement_requests.get(i)) else {
        return Err(NotApplicable(format!(
            "the dossier has {count} supplement request{}; there is no n={n}",
            if count == 1 { "" } else { "s" }
        )));
    };
    let t = &ctx.texts.supplement_request;
    let parts = t.parts();
    let agency = f.agency_at(request.at);
    let facts = |name: &str| match name {
        "n" => Some(n.to_string()),
        "repeat" => (n > 1).then(|| n.to_string()),
        "requested" => Some(vi::instant(request.at, ctx.tz)),
        "reason" => Some(reason(&request.reason)),
        "agency" => Some(agency.name.clone()),
        other => common(f, ctx, other),
    };
    let blocks = |name: &str| match name {
        "items" => vec![Block::Table(numbered(
            &t.columns,
            &[0.8, 9.0],
            request.items.iter().map(|i| vec![i.clone()]).collect(),
        ))],
        "qr" => vec![qr(ctx, &f.code, &ctx.texts.receipt.qr_caption)],
        _ => Vec::new(),
    };
    let signers = signer(&parts, request.by.as_deref()).into_iter().collect();
    Ok(compose(
        ctx,
        parts,
        Frame {
            issuer: agency,
            dated: Some(request.at),
            signers,
            orientation: Orientation::Portrait,
        },
        &facts,
        &blocks,
    ))
}

/// Mẫu 03: the refusal to accept a dossier at the counter (`reject`).
pub fn refusal(f: &DossierFacts, ctx: &FormContext<'_>) -> Result<Document, NotApplicable> {
    let Some(refusal) = &f.refusal else {
        return Err(NotApplicable(format!(
            "the dossier was not rejected (its status is {}): it has no refusal, Mẫu 03",
            f.status.as_str()
        )));
    };
    let t = &ctx.texts.refusal;
    let parts = t.parts();
    let facts = |name: &str| match name {
        "refused" => Some(vi::instant(refusal.at, ctx.tz)),
        "reason" => Some(reason(&refusal.reason)),
        other => common(f, ctx, other),
    };
    let signers = signer(&parts, refusal.by.as_deref()).into_iter().collect();
    Ok(compose(
        ctx,
        parts,
        Frame {
            issuer: &f.office,
            dated: Some(refusal.at),
            signers,
            orientation: Orientation::Portrait,
        },
        &facts,
        &|name| match name {
            "qr" => vec![qr(ctx, &f.code, &ctx.texts.receipt.qr_caption)],
            _ => Vec::new(),
        },
    ))
}

/// Mẫu 05: the notice that processing has stopped (`stop`), signed by the agency's head.
pub fn stop_notice(f: &DossierFacts, ctx: &FormContext<'_>) -> Result<Document, NotApplicable> {
    let Some(stop) = &f.stop else {
        return Err(NotApplicable(format!(
            "processing of the dossier was not stopped (its status is {}): it has no stop notice, Mẫu 05",
            f.status.as_str()
        )));
    };
    let t = &ctx.texts.stop_notice;
    let parts = t.parts();
    let agency = f.agency_at(stop.at);
    let facts = |name: &str| match name {
        "stopped" => Some(vi::instant(stop.at, ctx.tz)),
        "reason" => Some(reason(&stop.reason)),
        "agency" => Some(agency.name.clone()),
        other => common(f, ctx, other),
    };
    let signers = signer(&parts, agency.head_name.as_deref())
        .into_iter()
        .collect();
    Ok(compose(
        ctx,
        parts,
        Frame {
            issuer: agency,
            dated: Some(stop.at),
            signers,
            orientation: Orientation::Portrait,
        },
        &facts,
        &|name| match name {
            "qr" => vec![qr(ctx, &f.code, &ctx.texts.receipt.qr_caption)],
            _ => Vec::new(),
        },
    ))
}

/// The dossier's standing in words: its verdict once resolved, what became of it otherwise.
fn verdict(f: &DossierFacts) -> String {
    use crate::domain::dossier::Status;
    match (f.status, f.final_timeliness) {
        (Status::Resolved | Status::Returned, Some(t)) => vi::timeliness(t).to_owned(),
        (Status::Rejected | Status::Withdrawn | Status::Stopped, _) => {
            vi::status(f.status).to_lowercase()
        }
        _ => "đang giải quyết".to_owned(),
    }
}

/// Whether the dossier is digitised (Decision 766), in words: its components, its result.
fn digitised(f: &DossierFacts) -> String {
    let yes_no = |b: bool| {
        if b {
            "đã số hóa"
        } else {
            "chưa số hóa"
        }
    };
    format!(
        "thành phần {}, kết quả {}",
        yes_no(f.digitised_components),
        yes_no(f.digitised_result)
    )
}

/// Mẫu 06: the control slip, every step with its agency, times, verdict and who handed it over.
pub fn control_slip(f: &DossierFacts, ctx: &FormContext<'_>) -> Document {
    let t = &ctx.texts.control_slip;
    let parts = t.parts();
    let tz = ctx.tz;
    let facts = |name: &str| match name {
        "received_by" => f.received_by.clone(),
        "verdict" => Some(verdict(f)),
        "digitised" => Some(digitised(f)),
        other => common(f, ctx, other),
    };
    let blocks = |name: &str| match name {
        "steps" if f.steps.is_empty() => texts::fill_paragraph(&t.no_steps, &facts, Align::Left)
            .map(Block::Paragraph)
            .into_iter()
            .collect(),
        "steps" => vec![Block::Table(numbered(
            &t.columns,
            &[0.7, 2.2, 1.7, 1.7, 1.7, 1.6, 1.6],
            f.steps
                .iter()
                .map(|s| {
                    vec![
                        s.agency.name.clone(),
                        vi::short_instant(s.received_at, tz),
                        vi::short_instant(s.deadline_at, tz),
                        s.completed_at
                            .map(|c| vi::short_instant(c, tz))
                            .unwrap_or_default(),
                        match (s.verdict, s.completed_at) {
                            (Some(v), _) => vi::timeliness(v).to_owned(),
                            (None, None) => "đang giải quyết".to_owned(),
                            (None, Some(_)) => String::new(),
                        },
                        s.handed_over_by.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        ))],
        "qr" => vec![qr(ctx, &f.code, &ctx.texts.receipt.qr_caption)],
        _ => Vec::new(),
    };
    let signers = signer(&parts, f.received_by.as_deref())
        .into_iter()
        .collect();
    compose(
        ctx,
        parts,
        Frame {
            issuer: &f.office,
            dated: Some(f.received_at),
            signers,
            orientation: Orientation::Portrait,
        },
        &facts,
        &blocks,
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::dossier::Status;
    use crate::forms::facts::{ClosingFacts, SupplementFacts};
    use crate::forms::texts::FormsSettings;

    pub use crate::forms::samples::{agency, at, dossier as facts};

    pub fn ctx(texts: &FormsSettings) -> FormContext<'_> {
        FormContext {
            texts,
            tz: chrono_tz::Asia::Ho_Chi_Minh,
            base_url: "http://127.0.0.1:8080",
        }
    }

    fn all_text(d: &Document) -> String {
        d.texts().join("\n")
    }

    #[test]
    fn the_receipt_states_the_appointment_as_the_form_writes_it() {
        let texts = FormsSettings::default();
        let d = receipt(&facts(), &ctx(&texts));
        let text = all_text(&d);
        for needle in [
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "UBND HUYỆN PHÚ VANG",
            "BỘ PHẬN MỘT CỬA HUYỆN PHÚ VANG",
            "Huế, ngày 05 tháng 03 năm 2026",
            "Mã hồ sơ: 000.00.24.H40-260305-0001",
            "Nguyễn Văn An",
            "Thời gian nhận hồ sơ: 09 giờ 10 phút, ngày 05 tháng 03 năm 2026.",
            "Thời gian trả kết quả giải quyết hồ sơ: 09 giờ 10 phút, ngày 10 tháng 03 năm 2026.",
            "03 ngày làm việc",
            "Trực tiếp",
            "Nghị định số 118/2025/NĐ-CP",
            "NGƯỜI NỘP HỒ SƠ",
            "Lê Thị Hoa",
        ] {
            assert!(text.contains(needle), "receipt lacks {needle:?}:\n{text}");
        }
        let qr: Vec<&Qr> = d
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Qr(q) => Some(q),
                _ => None,
            })
            .collect();
        assert_eq!(
            qr[0].data,
            "http://127.0.0.1:8080/tra-cuu?code=000.00.24.H40-260305-0001"
        );
        assert_eq!(d.signers.len(), 2);
        // No address on file: the line is left out rather than printed empty.
        let mut f = facts();
        f.applicant_address = None;
        assert!(!all_text(&receipt(&f, &ctx(&texts))).contains("Địa chỉ"));
    }

    #[test]
    fn the_supplement_request_lists_every_item_and_counts_repeats() -> Result<(), NotApplicable> {
        let texts = FormsSettings::default();
        let mut f = facts();
        let d = supplement_request(&f, &ctx(&texts), None)?;
        let text = all_text(&d);
        assert!(text.contains("Bản sao sổ đỏ có chứng thực") && text.contains("Bản vẽ thiết kế"));
        assert!(text.contains("Lý do: Thiếu giấy tờ."), "{text}");
        assert!(
            !text.contains("lần yêu cầu"),
            "a first request says nothing of repeats"
        );
        assert_eq!(
            d.number.as_deref(),
            Some("Số: 000.00.24.H40-260305-0001/YCBS-1")
        );
        // Made while the dossier was at the town-planning office: it issues the request.
        assert_eq!(d.issuer.name, "PHÒNG QUẢN LÝ ĐÔ THỊ");
        f.supplement_requests.push(SupplementFacts {
            at: at(9, 8, 0),
            items: vec!["Giấy ủy quyền".into()],
            reason: "Còn thiếu".into(),
            by: None,
        });
        let latest = all_text(&supplement_request(&f, &ctx(&texts), None)?);
        assert!(
            latest.contains("Giấy ủy quyền") && latest.contains("thứ 2"),
            "{latest}"
        );
        let first = all_text(&supplement_request(&f, &ctx(&texts), Some(1))?);
        assert!(first.contains("Bản vẽ thiết kế") && !first.contains("Giấy ủy quyền"));
        let none = supplement_request(&f, &ctx(&texts), Some(3)).unwrap_err();
        assert!(none.0.contains("2 supplement requests"), "{none}");
        f.supplement_requests.clear();
        assert!(supplement_request(&f, &ctx(&texts), None).is_err());
        Ok(())
    }

    #[test]
    fn refusal_and_stop_notice_apply_only_when_they_happened() -> Result<(), NotApplicable> {
        let texts = FormsSettings::default();
        let mut f = facts();
        let no = refusal(&f, &ctx(&texts)).unwrap_err();
        assert!(
            no.0.contains("not rejected") && no.0.contains("processing"),
            "{no}"
        );
        assert!(stop_notice(&f, &ctx(&texts)).is_err());
        f.status = Status::Stopped;
        f.stop = Some(ClosingFacts {
            at: at(9, 15, 0),
            reason: "Người nộp không bổ sung".into(),
            by: Some("Phạm Quốc Việt".into()),
        });
        let d = stop_notice(&f, &ctx(&texts))?;
        let text = all_text(&d);
        assert!(text.contains("THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"));
        assert!(text.contains("Lý do: Người nộp không bổ sung."));
        // Signed by the head of the agency that held it.
        assert_eq!(d.issuer.name, "UBND HUYỆN PHÚ VANG");
        assert_eq!(d.signers[0].name.as_deref(), Some("Trần Văn Bình"));
        f.status = Status::Rejected;
        f.refusal = Some(ClosingFacts {
            at: at(5, 9, 30),
            reason: "Hồ sơ không thuộc thẩm quyền".into(),
            by: Some("Lê Thị Hoa".into()),
        });
        let text = all_text(&refusal(&f, &ctx(&texts))?);
        assert!(text.contains("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"));
        assert!(text.contains("Hồ sơ không thuộc thẩm quyền"));
        Ok(())
    }

    #[test]
    fn the_control_slip_has_a_row_per_step_with_verdict_and_who_handed_it_over() {
        let texts = FormsSettings::default();
        let d = control_slip(&facts(), &ctx(&texts));
        let table = d
            .blocks
            .iter()
            .find_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
            .cloned()
            .unwrap_or_else(|| panic!("no table: {d:?}"));
        assert_eq!(table.columns.len(), 7);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(
            table.rows[0],
            [
                "1",
                "Phòng Quản lý đô thị",
                "10 giờ 00, 05/03/2026",
                "10 giờ 00, 06/03/2026",
                "09 giờ 00, 06/03/2026",
                "đúng hạn",
                "Lê Thị Hoa"
            ]
        );
        assert_eq!(table.rows[1][5], "đang giải quyết");
        assert_eq!(table.rows[1][6], "Phạm Quốc Việt");
        let mut f = facts();
        f.steps.clear();
        let text = all_text(&control_slip(&f, &ctx(&texts)));
        assert!(text.contains("chưa được chuyển"), "{text}");
    }

    #[test]
    fn form_names_are_those_of_the_paths() {
        for f in DossierForm::ALL {
            assert_eq!(DossierForm::parse(f.as_str()), Some(f));
        }
        assert_eq!(DossierForm::parse("apology"), None);
    }
}
