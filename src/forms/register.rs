//! Mẫu 07: Sổ theo dõi hồ sơ — an office's register of the dossiers it received in a period.
//! The same lines serve the JSON, the CSV and this document.

use chrono::{DateTime, Utc};

use super::document::{Align, Block, Column, Document, Orientation, Table};
use super::facts::{RegisterFacts, RegisterLine};
use super::{FormContext, Frame, compose, vi};

/// The cells of a line, in the register's column order (after the line number).
pub fn cells(l: &RegisterLine, ctx: &FormContext<'_>) -> Vec<String> {
    let tz = ctx.tz;
    let day = |t: Option<DateTime<Utc>>| t.map(|t| vi::date(t, tz)).unwrap_or_default();
    let due = match l.rescheduled_due_at {
        Some(r) => format!(
            "{} (hẹn lại {})",
            vi::short_instant(l.due_at, tz),
            vi::short_instant(r, tz)
        ),
        None => vi::short_instant(l.due_at, tz),
    };
    let status = match l.final_timeliness {
        Some(t) => format!("{} ({})", vi::status(l.status), vi::timeliness(t)),
        None => vi::status(l.status).to_owned(),
    };
    vec![
        l.code.clone(),
        l.procedure_name.clone(),
        l.applicant_name.clone(),
        l.applicant_address.clone().unwrap_or_default(),
        l.responsible_office_name.clone(),
        vi::short_instant(l.received_at, tz),
        due,
        day(l.transferred_at),
        day(l.resolved_at),
        day(l.returned_at),
        status,
    ]
}

/// The register as a document (A4 landscape), dated `now`.
pub fn register(r: &RegisterFacts, ctx: &FormContext<'_>, now: DateTime<Utc>) -> Document {
    let t = &ctx.texts.register;
    let parts = t.parts();
    let facts = |name: &str| match name {
        "office" => Some(r.office.name.clone()),
        "from" => Some(r.from.format("%d/%m/%Y").to_string()),
        "to" => Some(r.to.format("%d/%m/%Y").to_string()),
        "total" => Some(r.lines.len().to_string()),
        _ => None,
    };
    const WIDTHS: [f32; 12] = [0.6, 1.8, 1.9, 1.4, 1.4, 1.5, 1.2, 1.3, 1.2, 1.2, 1.2, 1.3];
    let blocks = |name: &str| match name {
        "rows" => vec![Block::Table(Table {
            columns: t
                .columns
                .iter()
                .zip(WIDTHS)
                .enumerate()
                .map(|(i, (header, width))| Column {
                    header: header.clone(),
                    width,
                    align: if i == 0 { Align::Center } else { Align::Left },
                })
                .collect(),
            rows: r
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mut row = vec![(i + 1).to_string()];
                    row.extend(cells(l, ctx));
                    row
                })
                .collect(),
        })],
        _ => Vec::new(),
    };
    let signers = super::signer(&parts, r.office.head_name.as_deref())
        .into_iter()
        .collect();
    compose(
        ctx,
        parts,
        Frame {
            issuer: &r.office,
            dated: Some(now),
            signers,
            orientation: Orientation::Landscape,
        },
        &facts,
        &blocks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dossier::Status;
    use crate::domain::timeliness::Timeliness;
    use crate::forms::dossier::tests::{agency, at, ctx};
    use crate::forms::texts::FormsSettings;

    #[test]
    fn the_register_has_a_numbered_line_per_dossier() -> Result<(), Box<dyn std::error::Error>> {
        let texts = FormsSettings::default();
        let line = RegisterLine {
            code: "000.00.24.H40-260305-0001".into(),
            procedure_code: "1.001234".into(),
            procedure_name: "Cấp giấy phép xây dựng".into(),
            applicant_name: "Nguyễn Văn An".into(),
            applicant_address: None,
            responsible_office_code: "000.20.24.H40".into(),
            responsible_office_name: "Phòng Quản lý đô thị".into(),
            received_at: at(5, 9, 10),
            due_at: at(10, 9, 10),
            rescheduled_due_at: None,
            transferred_at: Some(at(5, 10, 0)),
            resolved_at: Some(at(9, 16, 0)),
            returned_at: None,
            status: Status::Resolved,
            final_timeliness: Some(Timeliness::Early),
        };
        let facts = RegisterFacts {
            office: agency("000.00.24.H40", "Bộ phận Một cửa huyện Phú Vang"),
            from: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).ok_or("date")?,
            to: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).ok_or("date")?,
            lines: vec![line.clone(), line],
        };
        let d = register(&facts, &ctx(&texts), at(31, 17, 0));
        assert_eq!(d.orientation, Orientation::Landscape);
        let text = d.texts().join("\n");
        assert!(
            text.contains("SỔ THEO DÕI HỒ SƠ")
                && text.contains("Từ ngày 01/03/2026 đến ngày 31/03/2026")
        );
        assert!(text.contains("Tổng số: 2 hồ sơ."), "{text}");
        assert!(text.contains("Đã có kết quả (trước hạn)"), "{text}");
        let Some(Block::Table(t)) = d.blocks.iter().find(|b| matches!(b, Block::Table(_))) else {
            return Err("no table".into());
        };
        assert_eq!(
            (t.rows.len(), t.columns.len(), t.rows[1][0].as_str()),
            (2, 12, "2")
        );
        Ok(())
    }
}
