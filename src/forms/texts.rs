//! The words of the official forms, as configuration (`[forms]`): every form's title, legal
//! basis, body lines, table headings and signer, with the defaults of Circular 03/2025/TT-VPCP,
//! so that a province following an amendment changes its configuration, not the code.
//!
//! Body lines are templates: `{name}` is replaced by a fact of the dossier (bold, as a filled-in
//! blank), a line whose fact is missing is left out (no address, no second request), and a line
//! that is only `{items}`, `{components}`, `{steps}`, `{rows}` or `{qr}` places that table or
//! the QR code there. Which names a form knows is checked when the configuration is loaded.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::document::{Paragraph, Run, Style};

fn s(text: &str) -> String {
    text.to_owned()
}

fn v(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| (*l).to_owned()).collect()
}

/// The legal basis the forms cite by default.
pub const LEGAL_BASIS: &str = "Căn cứ Nghị định số 118/2025/NĐ-CP ngày 09 tháng 6 năm 2025 của Chính phủ về thực hiện thủ tục hành chính theo cơ chế một cửa, một cửa liên thông tại Bộ phận Một cửa và Cổng Dịch vụ công quốc gia và Thông tư số 03/2025/TT-VPCP ngày 15 tháng 9 năm 2025 của Văn phòng Chính phủ.";

/// The fields every form has, and the references the builders read them through.
pub struct Parts<'a> {
    pub label: &'a str,
    pub title: &'a str,
    pub number: &'a str,
    pub subtitle: &'a [String],
    pub legal_basis: &'a str,
    pub body: &'a [String],
    pub signer_title: &'a str,
    pub signer_hint: &'a str,
}

/// One form's texts: the fields every form has, then its own, each with its default.
macro_rules! form_text {
    (
        $(#[$meta:meta])* $name:ident {
            label: $label:expr, title: $title:expr, number: $number:expr,
            subtitle: $subtitle:expr, body: $body:expr,
            signer_title: $signer_title:expr, signer_hint: $signer_hint:expr
            $(, $field:ident : $ty:ty = $default:expr)* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            /// "Mẫu số 01": the form's place in Appendix I.
            pub label: String,
            pub title: String,
            /// The template of the number after "Số: " (empty: the form is not numbered).
            pub number: String,
            /// Centred lines under the title.
            pub subtitle: Vec<String>,
            /// The legal basis, under the title (empty: none).
            pub legal_basis: String,
            pub body: Vec<String>,
            pub signer_title: String,
            pub signer_hint: String,
            $(pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    label: s($label),
                    title: s($title),
                    number: s($number),
                    subtitle: v($subtitle),
                    legal_basis: s(LEGAL_BASIS),
                    body: v($body),
                    signer_title: s($signer_title),
                    signer_hint: s($signer_hint),
                    $($field: $default,)*
                }
            }
        }

        impl $name {
            pub fn parts(&self) -> Parts<'_> {
                Parts {
                    label: &self.label,
                    title: &self.title,
                    number: &self.number,
                    subtitle: &self.subtitle,
                    legal_basis: &self.legal_basis,
                    body: &self.body,
                    signer_title: &self.signer_title,
                    signer_hint: &self.signer_hint,
                }
            }

            /// Every template of the form with its configuration key.
            fn templates(&self) -> Vec<(String, &str)> {
                let mut out = vec![("number".to_owned(), self.number.as_str())];
                for (i, t) in self.subtitle.iter().enumerate() {
                    out.push((format!("subtitle[{i}]"), t));
                }
                for (i, t) in self.body.iter().enumerate() {
                    out.push((format!("body[{i}]"), t));
                }
                out
            }
        }
    };
}

form_text! {
    /// Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả.
    ReceiptText {
        label: "Mẫu số 01",
        title: "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        number: "",
        subtitle: &["Mã hồ sơ: {code}"],
        body: &[
            "{office} tiếp nhận hồ sơ của:",
            "Ông/Bà: {applicant}",
            "Địa chỉ: {address}",
            "Nội dung yêu cầu giải quyết: {procedure}",
            "Lĩnh vực: {field}",
            "Hình thức nộp hồ sơ: {channel}",
            "{components}",
            "Số lượng hồ sơ: 01 (bộ).",
            "Thời gian giải quyết hồ sơ theo quy định: {processing_time}.",
            "Thời gian nhận hồ sơ: {received}.",
            "Thời gian trả kết quả giải quyết hồ sơ: {due}.",
            "Ông/Bà tra cứu tình trạng giải quyết hồ sơ tại {url} bằng mã hồ sơ và số giấy tờ tùy thân đã khai, hoặc quét mã QR dưới đây.",
            "{qr}",
        ],
        signer_title: "NGƯỜI TIẾP NHẬN HỒ SƠ",
        signer_hint: "(Ký và ghi rõ họ tên)",
        applicant_signer: String = s("NGƯỜI NỘP HỒ SƠ"),
        components_heading: String = s("Thành phần hồ sơ"),
        qr_caption: String = s("Quét mã QR để tra cứu hồ sơ {code}"),
    }
}

form_text! {
    /// Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ.
    SupplementText {
        label: "Mẫu số 02",
        title: "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        number: "{code}/YCBS-{n}",
        subtitle: &["Mã hồ sơ: {code}"],
        body: &[
            "Kính gửi: Ông/Bà {applicant}.",
            "Ngày {received_date}, {office} tiếp nhận hồ sơ của Ông/Bà đề nghị giải quyết thủ tục {procedure}.",
            "Sau khi xem xét, đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:",
            "{items}",
            "Lý do: {reason}.",
            "Đây là lần yêu cầu bổ sung, hoàn thiện thứ {repeat} đối với hồ sơ này.",
            "Ông/Bà bổ sung, hoàn thiện hồ sơ một lần theo đầy đủ các nội dung trên. Tra cứu tình trạng hồ sơ tại {url}.",
        ],
        signer_title: "NGƯỜI HƯỚNG DẪN",
        signer_hint: "(Ký và ghi rõ họ tên)",
        columns: Vec<String> = v(&["STT", "Nội dung cần bổ sung, hoàn thiện"]),
    }
}

form_text! {
    /// Mẫu 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ.
    RefusalText {
        label: "Mẫu số 03",
        title: "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        number: "{code}/TCTN",
        subtitle: &["Mã hồ sơ: {code}"],
        body: &[
            "Kính gửi: Ông/Bà {applicant}.",
            "{office} tiếp nhận hồ sơ của Ông/Bà đề nghị giải quyết thủ tục {procedure} vào {received}.",
            "Sau khi kiểm tra, đối chiếu thành phần hồ sơ, {office} từ chối tiếp nhận giải quyết hồ sơ với lý do: {reason}.",
            "Xin thông báo để Ông/Bà biết và thực hiện.",
        ],
        signer_title: "NGƯỜI TIẾP NHẬN HỒ SƠ",
        signer_hint: "(Ký và ghi rõ họ tên)",
    }
}

form_text! {
    /// Mẫu 04: Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (the apology letter).
    ApologyText {
        label: "Mẫu số 04",
        title: "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
        number: "{number}",
        subtitle: &[],
        body: &[
            "Kính gửi: Ông/Bà {applicant}.",
            "Ngày {received_date}, {office} tiếp nhận hồ sơ mã số {code} của Ông/Bà đề nghị giải quyết thủ tục {procedure}; thời hạn trả kết quả theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả là {original_due}.",
            "Đến nay, {agency} chưa giải quyết xong hồ sơ của Ông/Bà. Lý do: {reason}.",
            "{agency} xin lỗi Ông/Bà vì sự chậm trễ này và đề nghị gia hạn thời gian giải quyết hồ sơ; thời gian trả kết quả mới là {new_due}.",
            "Mong Ông/Bà thông cảm. Ông/Bà tra cứu tình trạng hồ sơ tại {url} hoặc quét mã QR dưới đây.",
            "{qr}",
        ],
        signer_title: "THỦ TRƯỞNG CƠ QUAN",
        signer_hint: "(Ký, ghi rõ họ tên và đóng dấu)",
        qr_caption: String = s("Quét mã QR để tra cứu hồ sơ {code}"),
        email_subject: String = s("Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết hồ sơ {code}"),
        default_reason: String = s("Hồ sơ chưa được giải quyết xong trong thời hạn do cơ quan có thẩm quyền cần thêm thời gian xem xét, xử lý"),
    }
}

form_text! {
    /// Mẫu 05: Thông báo dừng giải quyết hồ sơ.
    StopText {
        label: "Mẫu số 05",
        title: "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
        number: "{code}/TB-DGQ",
        subtitle: &["Mã hồ sơ: {code}"],
        body: &[
            "Kính gửi: Ông/Bà {applicant}.",
            "Ngày {received_date}, {office} tiếp nhận hồ sơ của Ông/Bà đề nghị giải quyết thủ tục {procedure}.",
            "{agency} thông báo dừng giải quyết hồ sơ kể từ {stopped}. Lý do: {reason}.",
            "Xin thông báo để Ông/Bà biết.",
        ],
        signer_title: "THỦ TRƯỞNG CƠ QUAN",
        signer_hint: "(Ký, ghi rõ họ tên và đóng dấu)",
    }
}

form_text! {
    /// Mẫu 06: Phiếu kiểm soát quá trình giải quyết hồ sơ (the control slip).
    ControlSlipText {
        label: "Mẫu số 06",
        title: "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        number: "",
        subtitle: &["Mã hồ sơ: {code}"],
        body: &[
            "Người nộp hồ sơ: {applicant}.",
            "Thủ tục: {procedure}.",
            "Cơ quan tiếp nhận: {office}; thời gian nhận hồ sơ: {received}.",
            "Người tiếp nhận: {received_by}.",
            "Thời hạn trả kết quả: {due}.",
            "Hẹn lại ngày trả kết quả: {rescheduled_due}.",
            "{steps}",
            "Kết quả giải quyết hồ sơ: {verdict}.",
            "Số hóa hồ sơ: {digitised}.",
        ],
        signer_title: "NGƯỜI TIẾP NHẬN HỒ SƠ",
        signer_hint: "(Ký và ghi rõ họ tên)",
        columns: Vec<String> = v(&[
            "STT",
            "Cơ quan giải quyết",
            "Thời gian nhận hồ sơ",
            "Thời hạn giải quyết",
            "Thời gian hoàn thành",
            "Kết quả (trước hạn / đúng hạn / quá hạn)",
            "Người giao hồ sơ",
        ]),
        no_steps: String = s("Hồ sơ chưa được chuyển đến cơ quan giải quyết."),
    }
}

form_text! {
    /// Mẫu 07: Sổ theo dõi hồ sơ (the register).
    RegisterText {
        label: "Mẫu số 07",
        title: "SỔ THEO DÕI HỒ SƠ",
        number: "",
        subtitle: &["Từ ngày {from} đến ngày {to}"],
        body: &["{rows}", "Tổng số: {total} hồ sơ."],
        signer_title: "",
        signer_hint: "",
        columns: Vec<String> = v(&[
            "STT",
            "Mã hồ sơ",
            "Tên thủ tục hành chính",
            "Tên tổ chức, cá nhân",
            "Địa chỉ",
            "Cơ quan giải quyết",
            "Ngày nhận hồ sơ",
            "Hẹn trả kết quả",
            "Ngày chuyển hồ sơ",
            "Ngày có kết quả",
            "Ngày trả kết quả",
            "Tình trạng",
        ]),
    }
}

/// `[forms]`: the texts of every form, the national heading and the place of the date line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FormsSettings {
    /// The place name of the date line ("Huế, ngày … tháng … năm …").
    pub place: String,
    /// Offices whose documents are dated elsewhere: office code → place name.
    pub office_places: BTreeMap<String, String>,
    pub national_heading: String,
    pub motto: String,
    pub receipt: ReceiptText,
    pub supplement_request: SupplementText,
    pub refusal: RefusalText,
    pub apology: ApologyText,
    pub stop_notice: StopText,
    pub control_slip: ControlSlipText,
    pub register: RegisterText,
}

impl Default for FormsSettings {
    fn default() -> Self {
        Self {
            place: s("Huế"),
            office_places: BTreeMap::new(),
            national_heading: s("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
            motto: s("Độc lập - Tự do - Hạnh phúc"),
            receipt: ReceiptText::default(),
            supplement_request: SupplementText::default(),
            refusal: RefusalText::default(),
            apology: ApologyText::default(),
            stop_notice: StopText::default(),
            control_slip: ControlSlipText::default(),
            register: RegisterText::default(),
        }
    }
}

/// The facts every dossier form can name.
const DOSSIER_NAMES: &[&str] = &[
    "office",
    "agency",
    "applicant",
    "address",
    "code",
    "procedure",
    "procedure_code",
    "field",
    "channel",
    "processing_time",
    "received",
    "received_date",
    "due",
    "due_date",
    "rescheduled_due",
    "url",
    "components",
    "qr",
];

impl FormsSettings {
    /// The place of the date line on an office's documents.
    pub fn place_for(&self, office_code: &str) -> &str {
        // Configuration keys may reach here lower-cased; office codes are capitals.
        self.office_places
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(office_code))
            .map_or(self.place.as_str(), |(_, place)| place.as_str())
    }

    /// Checks that every template names only what its form knows, and that tables have their
    /// columns; the message names the key.
    #[allow(clippy::type_complexity)] // (form, its templates, the names they may use)
    pub fn validate(&self) -> Result<(), String> {
        let with = |extra: &[&'static str]| -> Vec<&'static str> {
            DOSSIER_NAMES.iter().chain(extra).copied().collect()
        };
        let forms: [(&str, Vec<(String, &str)>, Vec<&str>); 7] = [
            ("receipt", self.receipt.templates(), with(&[])),
            (
                "supplement_request",
                self.supplement_request.templates(),
                with(&["n", "repeat", "requested", "reason", "items"]),
            ),
            (
                "refusal",
                self.refusal.templates(),
                with(&["refused", "reason"]),
            ),
            (
                "apology",
                self.apology.templates(),
                with(&["number", "original_due", "new_due", "created", "reason"]),
            ),
            (
                "stop_notice",
                self.stop_notice.templates(),
                with(&["stopped", "reason"]),
            ),
            (
                "control_slip",
                self.control_slip.templates(),
                with(&["received_by", "steps", "verdict", "digitised"]),
            ),
            (
                "register",
                self.register.templates(),
                vec!["office", "from", "to", "total", "rows"],
            ),
        ];
        for (form, templates, known) in &forms {
            for (key, template) in templates {
                for name in placeholders(template) {
                    if !known.contains(&name) {
                        return Err(format!(
                            "forms.{form}.{key}: unknown placeholder {{{name}}}; this form knows {}",
                            known
                                .iter()
                                .map(|k| format!("{{{k}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                }
            }
        }
        for (key, template) in [
            ("receipt.qr_caption", &self.receipt.qr_caption),
            ("apology.qr_caption", &self.apology.qr_caption),
            ("apology.email_subject", &self.apology.email_subject),
        ] {
            for name in placeholders(template) {
                if name != "code" {
                    return Err(format!(
                        "forms.{key}: unknown placeholder {{{name}}}; it knows {{code}}"
                    ));
                }
            }
        }
        for (key, columns, n) in [
            ("supplement_request", &self.supplement_request.columns, 2),
            ("control_slip", &self.control_slip.columns, 7),
            ("register", &self.register.columns, 12),
        ] {
            if columns.len() != n {
                return Err(format!(
                    "forms.{key}.columns: the table has {n} columns, {} are named",
                    columns.len()
                ));
            }
        }
        if self.place.trim().is_empty() {
            return Err("forms.place must name a place".into());
        }
        if self.apology.default_reason.trim().is_empty() {
            return Err("forms.apology.default_reason must not be empty".into());
        }
        Ok(())
    }
}

/// The `{name}`s of a template, in order.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// What a template's names stand for: text, or nothing (the line is left out).
pub trait Facts {
    fn get(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Facts for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// Names whose values read as part of the sentence (agencies, the address to visit) rather
/// than as a filled-in blank: not bold.
const PLAIN: &[&str] = &["office", "agency", "url", "n"];

/// Fills a template: the text between names as written, each name's value bold (a filled-in
/// blank); `None` when a name has no value, so the caller leaves the line out.
pub fn fill(template: &str, facts: &dyn Facts) -> Option<Vec<Run>> {
    let mut runs: Vec<Run> = Vec::new();
    let mut push = |text: &str, style: Style| {
        if text.is_empty() {
            return;
        }
        match runs.last_mut() {
            Some(last) if last.style == style => last.text.push_str(text),
            _ => runs.push(Run {
                text: text.to_owned(),
                style,
            }),
        }
    };
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                let name = &after[..close];
                push(&rest[..open], Style::Regular);
                let value = facts.get(name)?;
                let style = if PLAIN.contains(&name) {
                    Style::Regular
                } else {
                    Style::Bold
                };
                push(&value, style);
                rest = &after[close + 1..];
            }
            _ => {
                push(&rest[..=open], Style::Regular);
                rest = after;
            }
        }
    }
    push(rest, Style::Regular);
    Some(runs)
}

/// A filled template as plain text (numbers, subjects, captions).
pub fn fill_text(template: &str, facts: &dyn Facts) -> Option<String> {
    fill(template, facts).map(|runs| runs.into_iter().map(|r| r.text).collect())
}

/// A filled template as a paragraph.
pub fn fill_paragraph(
    template: &str,
    facts: &dyn Facts,
    align: super::document::Align,
) -> Option<Paragraph> {
    fill(template, facts).map(|runs| Paragraph { runs, align })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn templates_fill_in_facts_and_drop_lines_without_them() -> TestResult {
        let facts = |name: &str| match name {
            "applicant" => Some("Nguyễn Văn An".to_owned()),
            "office" => Some("UBND xã Phú Mỹ".to_owned()),
            _ => None,
        };
        let runs =
            fill("{office} tiếp nhận hồ sơ của Ông/Bà {applicant}.", &facts).ok_or("filled")?;
        assert_eq!(
            runs,
            vec![
                Run::regular("UBND xã Phú Mỹ tiếp nhận hồ sơ của Ông/Bà "),
                Run::bold("Nguyễn Văn An"),
                Run::regular("."),
            ]
        );
        assert_eq!(fill("Địa chỉ: {address}", &facts), None);
        // Braces that are not a name stay as written.
        assert_eq!(
            fill_text("{ x } {Ab} {", &facts).as_deref(),
            Some("{ x } {Ab} {")
        );
        Ok(())
    }

    #[test]
    fn the_defaults_are_valid_and_a_typo_is_named() {
        assert_eq!(FormsSettings::default().validate(), Ok(()));
        let mut f = FormsSettings::default();
        f.refusal.body.push("Mã: {cdoe}".into());
        let err = f.validate().unwrap_err();
        assert!(
            err.contains("forms.refusal.body[4]") && err.contains("{cdoe}"),
            "{err}"
        );
        let mut f = FormsSettings::default();
        f.control_slip.columns.pop();
        assert!(
            f.validate()
                .unwrap_err()
                .contains("forms.control_slip.columns")
        );
    }

    #[test]
    fn an_office_may_date_its_documents_elsewhere() {
        let mut f = FormsSettings::default();
        f.office_places
            .insert("000.24.02.H57".into(), "Phú Mỹ".into());
        assert_eq!(f.place_for("000.24.02.H57"), "Phú Mỹ");
        assert_eq!(f.place_for("000.00.24.H57"), "Huế");
    }
}
