//! Emails: the Vietnamese texts (the apology letter from its Mẫu 04, due-soon digest,
//! escalation) and the SMTP sender.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MailAttachment, Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::SmtpSettings;
use crate::forms::facts::{DossierFacts, LetterFacts};
use crate::forms::{self, FormContext};

/// A rendered email: subject, plain text and HTML bodies, files attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

fn when(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%H giờ %M, ngày %d/%m/%Y")
        .to_string()
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

/// The apology letter's email (Decree 61 Art. 19.9, kept by Decree 118): its Mẫu 04 as text and HTML, and as the
/// PDF attached — one document, rendered from the stored letter when the email is sent.
pub fn apology(
    letter: &LetterFacts,
    dossier: &DossierFacts,
    ctx: &FormContext<'_>,
) -> Result<Email, String> {
    let doc = forms::apology::apology(letter, dossier, ctx);
    let pdf = forms::pdf::render(&doc)?;
    Ok(Email {
        subject: forms::apology::subject(dossier, ctx),
        text: forms::text::render(&doc),
        html: forms::html::render(&doc),
        attachments: vec![Attachment {
            filename: format!("mau-04-{}.pdf", dossier.code),
            content_type: "application/pdf".into(),
            bytes: pdf,
        }],
    })
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
        "Các hồ sơ sau sắp đến hạn trả kết quả. Nếu không kịp giải quyết, đề nghị gửi văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (Mẫu 04) chậm nhất 01 ngày trước hạn.",
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
        "Các hồ sơ sau đã quá hạn sau khi đã gia hạn thời gian giải quyết một lần; không thể gia hạn lần nữa. Đề nghị lãnh đạo chỉ đạo giải quyết.",
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
        attachments: Vec::new(),
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
        let body = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
        let body = if email.attachments.is_empty() {
            body
        } else {
            email
                .attachments
                .iter()
                .try_fold(MultiPart::mixed().multipart(body), |mixed, a| {
                    let content_type = ContentType::parse(&a.content_type)
                        .map_err(|e| format!("attachment {}: {e}", a.filename))?;
                    Ok::<_, String>(mixed.singlepart(
                        MailAttachment::new(a.filename.clone()).body(a.bytes.clone(), content_type),
                    ))
                })?
        };
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(message_id.to_owned()))
            .multipart(body)
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

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn the_apology_email_is_its_mau_04_with_the_pdf_attached() -> TestResult {
        use crate::forms::dossier::tests::{agency, at, ctx, facts};
        let texts = crate::forms::texts::FormsSettings::default();
        let letter = LetterFacts {
            number: "0001/2026/PXL-H40".into(),
            reason: "Cần xác minh thực địa <khẩn>".into(),
            original_due_at: at(10, 9, 10),
            new_due_at: at(17, 9, 10),
            created_at: at(9, 9, 15),
            agency: agency("000.20.24.H40", "Phòng Quản lý đô thị"),
            signer_name: Some("Trần Văn Bình".into()),
        };
        let e = apology(&letter, &facts(), &ctx(&texts))?;
        for needle in [
            "0001/2026/PXL-H40",
            "Nguyễn Văn An",
            "000.00.24.H40-260305-0001",
            "09 giờ 10 phút, ngày 17 tháng 03 năm 2026",
            "Cần xác minh thực địa",
            "xin lỗi",
            "Trần Văn Bình",
        ] {
            assert!(e.text.contains(needle), "text lacks {needle}");
        }
        assert!(e.subject.contains("000.00.24.H40-260305-0001"));
        assert!(
            e.html.contains("&lt;khẩn&gt;") && !e.html.contains("<khẩn>"),
            "HTML is escaped"
        );
        assert_eq!(e.attachments.len(), 1);
        assert!(e.attachments[0].bytes.starts_with(b"%PDF-"));
        assert_eq!(
            e.attachments[0].filename,
            "mau-04-000.00.24.H40-260305-0001.pdf"
        );
        Ok(())
    }
}
