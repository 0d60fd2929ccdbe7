//! Mẫu 04: Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết — the apology letter, as
//! printed at the counter and as emailed (text, HTML and the PDF attached) alike.

use super::document::{Document, Orientation};
use super::dossier::common;
use super::facts::{DossierFacts, LetterFacts};
use super::texts;
use super::{FormContext, Frame, compose, reason, signer, vi};

/// The letter, from the stored letter and its dossier.
pub fn apology(letter: &LetterFacts, f: &DossierFacts, ctx: &FormContext<'_>) -> Document {
    let t = &ctx.texts.apology;
    let parts = t.parts();
    let tz = ctx.tz;
    let facts = |name: &str| match name {
        "number" => Some(letter.number.clone()),
        "agency" => Some(letter.agency.name.clone()),
        "reason" => Some(reason(&letter.reason)),
        "original_due" => Some(vi::instant(letter.original_due_at, tz)),
        "new_due" => Some(vi::instant(letter.new_due_at, tz)),
        "created" => Some(vi::instant(letter.created_at, tz)),
        other => common(f, ctx, other),
    };
    let blocks = |name: &str| match name {
        "qr" => vec![super::dossier::qr(ctx, &f.code, &t.qr_caption)],
        _ => Vec::new(),
    };
    let signers = signer(&parts, letter.signer_name.as_deref())
        .into_iter()
        .collect();
    compose(
        ctx,
        parts,
        Frame {
            issuer: &letter.agency,
            dated: Some(letter.created_at),
            signers,
            orientation: Orientation::Portrait,
        },
        &facts,
        &blocks,
    )
}

/// The subject of the letter's email.
pub fn subject(f: &DossierFacts, ctx: &FormContext<'_>) -> String {
    let facts = |name: &str| (name == "code").then(|| f.code.clone());
    texts::fill_text(&ctx.texts.apology.email_subject, &facts).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::dossier::tests::{agency, at, ctx, facts};
    use crate::forms::texts::FormsSettings;

    #[test]
    fn the_letter_carries_the_heading_the_apology_and_the_new_date() {
        let texts = FormsSettings::default();
        let letter = LetterFacts {
            number: "0001/2026/PXL-000.20.24.H40".into(),
            reason: "Cần xác minh thực địa <khẩn>".into(),
            original_due_at: at(10, 9, 10),
            new_due_at: at(17, 9, 10),
            created_at: at(9, 9, 15),
            agency: agency("000.20.24.H40", "Phòng Quản lý đô thị"),
            signer_name: Some("Trần Văn Bình".into()),
        };
        let d = apology(&letter, &facts(), &ctx(&texts));
        let text = d.texts().join("\n");
        for needle in [
            "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Số: 0001/2026/PXL-000.20.24.H40",
            "Huế, ngày 09 tháng 03 năm 2026",
            "PHÒNG QUẢN LÝ ĐÔ THỊ",
            "Nguyễn Văn An",
            "000.00.24.H40-260305-0001",
            "09 giờ 10 phút, ngày 10 tháng 03 năm 2026",
            "09 giờ 10 phút, ngày 17 tháng 03 năm 2026",
            "Lý do: Cần xác minh thực địa <khẩn>.",
            "xin lỗi",
            "THỦ TRƯỞNG CƠ QUAN",
            "Trần Văn Bình",
        ] {
            assert!(text.contains(needle), "letter lacks {needle:?}:\n{text}");
        }
        assert_eq!(
            subject(&facts(), &ctx(&texts)),
            "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết hồ sơ 000.00.24.H40-260305-0001"
        );
    }
}
