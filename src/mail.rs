//! Emails: the Vietnamese texts (apology letter, due-soon digest, escalation) and the SMTP sender.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::SmtpSettings;

/// A rendered email: subject, plain text and HTML bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What an apology letter says (Mẫu 04, Decree 61 Art. 19.9).
pub struct ApologyLetter<'a> {
    pub number: &'a str,
    pub applicant_name: &'a str,
    pub dossier_code: &'a str,
    pub procedure_name: &'a str,
    pub received_at: DateTime<Utc>,
    pub original_due_at: DateTime<Utc>,
    pub new_due_at: DateTime<Utc>,
    pub reason: &'a str,
    pub agency_name: &'a str,
    pub signer_name: Option<&'a str>,
    pub created_at: DateTime<Utc>,
}

/// The reason an automatic letter gives when the agency filed none.
pub const DEFAULT_REASON: &str = "Hồ sơ chưa được giải quyết xong trong thời hạn do cơ quan có thẩm quyền cần thêm thời gian xem xét, xử lý";

fn when(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%H giờ %M, ngày %d/%m/%Y")
        .to_string()
}

fn day(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("ngày %d/%m/%Y").to_string()
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl ApologyLetter<'_> {
    /// The letter's paragraphs, shared by the plain text, the HTML email and the printable page.
    fn paragraphs(&self, tz: Tz) -> Vec<String> {
        vec![
            format!("Kính gửi: Ông/Bà {}", self.applicant_name),
            format!(
                "Ngày {}, {} đã tiếp nhận hồ sơ mã số {} về thủ tục \"{}\". Thời hạn trả kết quả theo giấy hẹn là {}.",
                self.received_at.with_timezone(&tz).format("%d/%m/%Y"),
                self.agency_name,
                self.dossier_code,
                self.procedure_name,
                when(self.original_due_at, tz),
            ),
            format!("Tuy nhiên, đến nay hồ sơ chưa giải quyết xong. Lý do: {}.", self.reason.trim_end_matches('.')),
            format!(
                "{} xin lỗi Ông/Bà vì sự chậm trễ này và hẹn trả kết quả vào {}.",
                self.agency_name,
                when(self.new_due_at, tz)
            ),
            "Mong Ông/Bà thông cảm. Ông/Bà có thể tra cứu tình trạng hồ sơ bằng mã số trên giấy tiếp nhận.".into(),
        ]
    }

    pub fn subject(&self) -> String {
        format!(
            "Phiếu xin lỗi và hẹn lại ngày trả kết quả - hồ sơ {}",
            self.dossier_code
        )
    }

    pub fn render(&self, tz: Tz) -> Email {
        let paragraphs = self.paragraphs(tz);
        let signer = self.signer_name.unwrap_or("Thủ trưởng cơ quan");
        let text = format!(
            "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ\nSố: {}\n\n{}\n\n{}, {}\nTHỦ TRƯỞNG CƠ QUAN\n{}\n",
            self.number,
            paragraphs.join("\n\n"),
            self.agency_name,
            day(self.created_at, tz),
            signer,
        );
        Email {
            subject: self.subject(),
            text,
            html: self.html(tz),
        }
    }

    /// A complete HTML document: the email's HTML part and the page printed at the counter.
    pub fn html(&self, tz: Tz) -> String {
        let body: String = self
            .paragraphs(tz)
            .iter()
            .map(|p| format!("<p>{}</p>\n", escape(p)))
            .collect();
        format!(
            "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{title}</title>\
             <style>body{{font-family:'Times New Roman',serif;max-width:42em;margin:2em auto;line-height:1.5}}\
             h1{{font-size:1.2em;text-align:center}}.no{{text-align:center}}.sign{{margin-top:2em;text-align:right}}</style>\
             </head><body>\n<p class=\"no\">{agency}</p>\n<h1>PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ</h1>\n\
             <p class=\"no\">Số: {number}</p>\n{body}<div class=\"sign\"><p>{date}</p><p><strong>THỦ TRƯỞNG CƠ QUAN</strong></p>\
             <p>{signer}</p></div>\n</body></html>\n",
            title = escape(&self.subject()),
            agency = escape(self.agency_name),
            number = escape(self.number),
            body = body,
            date = escape(&day(self.created_at, tz)),
            signer = escape(self.signer_name.unwrap_or("")),
        )
    }
}

/// One line of a digest to an agency: a dossier and its deadline.
pub struct DigestLine {
    pub code: String,
    pub procedure_name: String,
    pub due_at: DateTime<Utc>,
}

/// The due-soon warning to an agency's staff (one per agency per sweep).
pub fn due_soon_digest(agency_name: &str, lines: &[DigestLine], tz: Tz) -> Email {
    digest(
        format!(
            "[Sắp đến hạn] {} hồ sơ của {} sắp đến hạn trả kết quả",
            lines.len(),
            agency_name
        ),
        "Các hồ sơ sau sắp đến hạn trả kết quả. Nếu không kịp giải quyết, đề nghị gửi phiếu xin lỗi và hẹn lại ngày trả kết quả chậm nhất 01 ngày trước hạn (Nghị định 61/2018/NĐ-CP, Điều 19).",
        lines,
        tz,
    )
}

/// The escalation to an agency's supervisors: late again after the single re-appointment.
pub fn escalation_digest(agency_name: &str, lines: &[DigestLine], tz: Tz) -> Email {
    digest(
        format!(
            "[Quá hạn lần hai] {} hồ sơ của {} tiếp tục quá hạn",
            lines.len(),
            agency_name
        ),
        "Các hồ sơ sau đã quá hạn sau khi đã hẹn lại ngày trả kết quả một lần; không thể hẹn lại lần nữa. Đề nghị lãnh đạo chỉ đạo giải quyết.",
        lines,
        tz,
    )
}

fn digest(subject: String, intro: &str, lines: &[DigestLine], tz: Tz) -> Email {
    let text_lines: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "- {} ({}): hạn {}",
                l.code,
                l.procedure_name,
                when(l.due_at, tz)
            )
        })
        .collect();
    let html_lines: String = lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&l.code),
                escape(&l.procedure_name),
                escape(&when(l.due_at, tz))
            )
        })
        .collect();
    Email {
        text: format!("{intro}\n\n{}\n", text_lines.join("\n")),
        html: format!(
            "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>\
             <p>{}</p><table><tr><th>Mã hồ sơ</th><th>Thủ tục</th><th>Hạn</th></tr>{}</table></body></html>\n",
            escape(&subject),
            escape(intro),
            html_lines
        ),
        subject,
    }
}

/// Sends emails over SMTP as `smtp.url` says (smtp:// plain or `?tls=required` STARTTLS,
/// smtps:// TLS, user:password@ for auth), or keeps them queued when no server is configured.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Unconfigured,
}

impl Mailer {
    pub fn from_settings(s: &SmtpSettings) -> Result<Self, String> {
        let Some(url) = &s.url else {
            return Ok(Mailer::Unconfigured);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| format!("smtp.url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            // One pooled connection per email in flight (see jobs::IN_FLIGHT).
            .pool_config(
                lettre::transport::smtp::PoolConfig::new().max_size(crate::jobs::IN_FLIGHT as u32),
            )
            .build();
        let from: Mailbox = s.from.parse().map_err(|e| format!("smtp.from: {e}"))?;
        Ok(Mailer::Smtp { transport, from })
    }

    pub fn is_configured(&self) -> bool {
        matches!(self, Mailer::Smtp { .. })
    }

    /// Sends one message with the given Message-ID (stable per letter, so a duplicate after a
    /// crash is recognisable as the same message).
    pub async fn send(&self, to: &str, message_id: &str, email: &Email) -> Result<(), String> {
        let Mailer::Smtp { transport, from } = self else {
            return Err("no SMTP server configured (smtp.url)".into());
        };
        let to: Mailbox = to.parse().map_err(|e| format!("invalid recipient: {e}"))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(message_id.to_owned()))
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| e.to_string())?;
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> Result<DateTime<Utc>, &'static str> {
        Ok(chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .ok_or("unambiguous local time")?
            .with_timezone(&Utc))
    }

    #[test]
    fn the_letter_states_what_the_decree_asks_for() -> TestResult {
        let l = ApologyLetter {
            number: "0001/2026/PXL-H40",
            applicant_name: "Nguyễn Văn An",
            dossier_code: "H40-261116-0001",
            procedure_name: "Cấp giấy phép xây dựng",
            received_at: vn(2026, 11, 16, 9, 10)?,
            original_due_at: vn(2026, 11, 19, 9, 10)?,
            new_due_at: vn(2026, 11, 26, 9, 10)?,
            reason: "Cần xác minh thực địa <khẩn>",
            agency_name: "UBND huyện A",
            signer_name: Some("Trần Văn Bình"),
            created_at: vn(2026, 11, 19, 9, 15)?,
        };
        let e = l.render(chrono_tz::Asia::Ho_Chi_Minh);
        for needle in [
            "0001/2026/PXL-H40",
            "Nguyễn Văn An",
            "H40-261116-0001",
            "Cấp giấy phép xây dựng",
            "16/11/2026",
            "09 giờ 10, ngày 19/11/2026",
            "09 giờ 10, ngày 26/11/2026",
            "Cần xác minh thực địa",
            "xin lỗi",
            "Trần Văn Bình",
        ] {
            assert!(e.text.contains(needle), "text lacks {needle}");
        }
        assert!(e.subject.contains("H40-261116-0001"));
        assert!(
            e.html.contains("&lt;khẩn&gt;") && !e.html.contains("<khẩn>"),
            "HTML is escaped"
        );
        assert!(e.html.starts_with("<!DOCTYPE html>"));
        Ok(())
    }
}
