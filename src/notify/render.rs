//! Rendering an outbox row for its channel from the facts it names. Pure: the worker reads the
//! facts, this module writes the texts, forms and PDFs.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::config::{SmsSettings, ZaloSettings};
use crate::domain::notice::sms_text;
use crate::forms::document::Document;
use crate::forms::facts::{DossierFacts, LetterFacts};
use crate::forms::{self, DossierForm, FormContext, vi};
use crate::mail::{self, Attachment, DigestLine, Email};

/// What a row is about, as the worker read it when sending.
pub enum Facts {
    Dossier(Box<DossierFacts>),
    Letter(Box<(LetterFacts, DossierFacts)>),
    Digest {
        agency: String,
        lines: Vec<DigestLine>,
    },
    /// A message queued with its text (before messages were rendered at delivery).
    Stored(Email),
}

/// A message ready for its transport.
pub enum Message {
    Email(Email),
    Sms(String),
    Zalo {
        template_id: String,
        template_data: Value,
    },
}

pub struct Context<'a> {
    pub forms: FormContext<'a>,
    pub sms: &'a SmsSettings,
    pub zalo: &'a ZaloSettings,
}

/// The lines of a digest row's facts.
pub fn digest_facts(data: &Value) -> Option<Facts> {
    let agency = data.get("agency")?.as_str()?.to_owned();
    let lines = data
        .get("lines")?
        .as_array()?
        .iter()
        .filter_map(|l| {
            Some(DigestLine {
                code: l.get("code")?.as_str()?.to_owned(),
                procedure_name: l.get("procedure_name")?.as_str()?.to_owned(),
                due_at: serde_json::from_value::<DateTime<Utc>>(l.get("due_at")?.clone()).ok()?,
            })
        })
        .collect();
    Some(Facts::Digest { agency, lines })
}

/// Renders one message. `Err` says why it cannot be sent: `Skip` when the channel cannot carry
/// this kind (no Zalo template), otherwise the facts do not make the message (give up).
pub fn render(
    kind: &str,
    channel: &str,
    data: &Value,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<Message, super::Outcome> {
    let give_up = |m: String| super::Outcome::GiveUp(m);
    match (facts, channel) {
        (Facts::Stored(e), "email") => Ok(Message::Email(e.clone())),
        (Facts::Digest { agency, lines }, "email") => Ok(Message::Email(match kind {
            "escalation" => mail::escalation_digest(agency, lines, ctx.forms.tz),
            _ => mail::due_soon_digest(agency, lines, ctx.forms.tz),
        })),
        (Facts::Letter(b), "email") => mail::apology(&b.0, &b.1, &ctx.forms)
            .map(Message::Email)
            .map_err(give_up),
        (Facts::Dossier(f), "email") => email(kind, data, f, &ctx.forms).map(Message::Email),
        (Facts::Dossier(f), "sms") => Ok(Message::Sms(sms(kind, data, f, None, ctx))),
        (Facts::Letter(b), "sms") => Ok(Message::Sms(sms(kind, data, &b.1, Some(&b.0), ctx))),
        (Facts::Dossier(f), "zalo") => zalo(kind, data, f, None, ctx),
        (Facts::Letter(b), "zalo") => zalo(kind, data, &b.1, Some(&b.0), ctx),
        _ => Err(give_up(format!("a {kind} message cannot go by {channel}"))),
    }
}

fn number(data: &Value) -> Option<u32> {
    data.get("n").and_then(Value::as_u64).map(|n| n as u32)
}

/// The personal rating link the worker minted for this message (`result_returned`).
fn rating_url(data: &Value) -> Option<&str> {
    data.get("rating_url").and_then(Value::as_str)
}

/// A string the worker added to the facts (a complaint's answer and what it answers).
fn fact<'a>(data: &'a Value, key: &str) -> &'a str {
    data.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn early(data: &Value) -> bool {
    data.get("early").and_then(Value::as_bool).unwrap_or(false)
}

/// The form a kind carries, with the file name of its PDF.
fn form_of(kind: &str) -> Option<DossierForm> {
    Some(match kind {
        "receipt" => DossierForm::Receipt,
        "supplement_request" => DossierForm::SupplementRequest,
        "refusal" => DossierForm::Refusal,
        "stop_notice" => DossierForm::StopNotice,
        _ => return None,
    })
}

fn subject(kind: &str, f: &DossierFacts, data: &Value) -> String {
    let code = &f.code;
    match kind {
        "receipt" => format!("Giấy tiếp nhận hồ sơ và hẹn trả kết quả — hồ sơ {code}"),
        "supplement_request" => match number(data) {
            Some(n) if n > 1 => {
                format!("Yêu cầu bổ sung, hoàn thiện hồ sơ (lần {n}) — hồ sơ {code}")
            }
            _ => format!("Yêu cầu bổ sung, hoàn thiện hồ sơ — hồ sơ {code}"),
        },
        "result_ready" if early(data) => format!("Đã có kết quả, sớm hơn ngày hẹn — hồ sơ {code}"),
        "result_ready" => format!("Đã có kết quả giải quyết — hồ sơ {code}"),
        "result_returned" => format!("Đã trả kết quả, mời đánh giá mức độ hài lòng — hồ sơ {code}"),
        "complaint_answer" => format!("Trả lời phản ánh, kiến nghị — hồ sơ {code}"),
        "refusal" => format!("Từ chối tiếp nhận giải quyết hồ sơ — hồ sơ {code}"),
        "stop_notice" => format!("Thông báo dừng giải quyết hồ sơ — hồ sơ {code}"),
        other => format!("Thông báo ({other}) — hồ sơ {code}"),
    }
}

/// The email: the kind's form as its text and HTML with the PDF attached (Mẫu 01, 02, 03, 05),
/// or for the result a short letter of its own.
fn email(
    kind: &str,
    data: &Value,
    f: &DossierFacts,
    ctx: &FormContext<'_>,
) -> Result<Email, super::Outcome> {
    let subject = subject(kind, f, data);
    if let Some(form) = form_of(kind) {
        let n = number(data);
        let doc =
            forms::build_dossier_form(form, f, ctx, n).map_err(|e| super::Outcome::GiveUp(e.0))?;
        let pdf = forms::pdf::render(&doc).map_err(super::Outcome::GiveUp)?;
        let stem = match n {
            Some(n) if n > 1 => format!("{}-{}-{n}", form.file_stem(), f.code),
            _ => format!("{}-{}", form.file_stem(), f.code),
        };
        return Ok(from_document(subject, &doc, Some((stem, pdf))));
    }
    let text = plain(kind, data, f, None, ctx);
    let lookup = forms::lookup_url(ctx.base_url, &f.code);
    // The returned result invites the rating through the citizen's personal link.
    let rating = rating_url(data).map(|url| {
        (
            format!("\nĐánh giá mức độ hài lòng (đường dẫn dành riêng cho Ông/Bà, dùng một lần): {url}"),
            format!(
                "<p>Đánh giá mức độ hài lòng (đường dẫn dành riêng cho Ông/Bà, dùng một lần): <a href=\"{0}\">{0}</a></p>",
                mail::escape(url)
            ),
        )
    });
    let (rating_text, rating_html) = rating.unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{}</title></head><body><p>{}</p>{rating_html}<p>Tra cứu: <a href=\"{}\">{}</a></p></body></html>\n",
        mail::escape(&subject),
        mail::escape(&text),
        mail::escape(&lookup),
        mail::escape(&lookup),
    );
    Ok(Email {
        subject,
        text: format!("{text}{rating_text}\nTra cứu: {lookup}\n"),
        html,
        attachments: Vec::new(),
    })
}

fn from_document(subject: String, doc: &Document, pdf: Option<(String, Vec<u8>)>) -> Email {
    Email {
        subject,
        text: forms::text::render(doc),
        html: forms::html::render(doc),
        attachments: pdf
            .into_iter()
            .map(|(stem, bytes)| Attachment {
                filename: format!("{stem}.pdf"),
                content_type: "application/pdf".into(),
                bytes,
            })
            .collect(),
    }
}

/// The latest refusal or stop reason, or the n-th request.
fn supplement<'a>(
    f: &'a DossierFacts,
    data: &Value,
) -> Option<&'a crate::forms::facts::SupplementFacts> {
    let n = number(data).map_or(f.supplement_requests.len(), |n| n as usize);
    n.checked_sub(1).and_then(|i| f.supplement_requests.get(i))
}

/// The message in plain words (Vietnamese, with diacritics): the SMS body before it is folded,
/// and the result's email.
fn plain(
    kind: &str,
    data: &Value,
    f: &DossierFacts,
    letter: Option<&LetterFacts>,
    ctx: &FormContext<'_>,
) -> String {
    let tz = ctx.tz;
    let code = &f.code;
    match kind {
        "receipt" => format!(
            "Hồ sơ {code} ({}) đã được tiếp nhận lúc {}. Hẹn trả kết quả: {}.",
            f.procedure_name,
            vi::short_instant(f.received_at, tz),
            vi::short_instant(f.rescheduled_due_at.unwrap_or(f.due_at), tz)
        ),
        "supplement_request" => {
            let (items, reason) = supplement(f, data)
                .map(|s| (s.items.join("; "), s.reason.clone()))
                .unwrap_or_default();
            let n = number(data).unwrap_or(1);
            let again = if n > 1 {
                format!(" (lần {n})")
            } else {
                String::new()
            };
            let reason = if reason.is_empty() {
                String::new()
            } else {
                format!(" Lý do: {reason}.")
            };
            format!("Hồ sơ {code} cần bổ sung{again}: {items}.{reason}")
        }
        "result_ready" => {
            let due = f.rescheduled_due_at.unwrap_or(f.due_at);
            let when = if early(data) {
                format!(", sớm hơn ngày hẹn {}", vi::date(due, tz))
            } else {
                String::new()
            };
            format!(
                "Hồ sơ {code} ({}) đã có kết quả giải quyết{when}. Mời Ông/Bà nhận kết quả tại {}.",
                f.procedure_name, f.office.name
            )
        }
        "result_returned" => format!(
            "Hồ sơ {code} ({}) đã được trả kết quả. Mời Ông/Bà đánh giá mức độ hài lòng về việc giải quyết hồ sơ.",
            f.procedure_name
        ),
        "complaint_answer" => {
            let what = match fact(data, "complaint_kind") {
                "recommendation" => "kiến nghị",
                _ => "phản ánh",
            };
            format!(
                "Trả lời {what} của Ông/Bà về hồ sơ {code}: {}",
                fact(data, "answer")
            )
        }
        "apology" => match letter {
            Some(l) => format!(
                "Hồ sơ {code} chưa giải quyết kịp hẹn. {} xin lỗi Ông/Bà và hẹn lại ngày trả kết quả: {}. Lý do: {}.",
                l.agency.name,
                vi::short_instant(l.new_due_at, tz),
                l.reason
            ),
            None => format!("Hồ sơ {code} chưa giải quyết kịp hẹn."),
        },
        "refusal" => format!(
            "Hồ sơ {code} không được tiếp nhận giải quyết. Lý do: {}.",
            f.refusal.as_ref().map(|r| r.reason.as_str()).unwrap_or("")
        ),
        "stop_notice" => format!(
            "Hồ sơ {code} đã dừng giải quyết. Lý do: {}.",
            f.stop.as_ref().map(|r| r.reason.as_str()).unwrap_or("")
        ),
        other => format!("Hồ sơ {code}: thông báo {other}."),
    }
}

/// The SMS: the plain words, then the lookup link (kept whole), without diacritics unless
/// `sms.diacritics`, within `sms.max_segments`.
fn sms(
    kind: &str,
    data: &Value,
    f: &DossierFacts,
    letter: Option<&LetterFacts>,
    ctx: &Context<'_>,
) -> String {
    let body = plain(kind, data, f, letter, &ctx.forms);
    // The returned result's SMS carries the rating link instead of the lookup's: one short link.
    let tail = match rating_url(data) {
        Some(url) if kind == "result_returned" => format!("Đánh giá: {url}"),
        _ => format!(
            "Tra cứu: {}",
            forms::lookup_url(ctx.forms.base_url, &f.code)
        ),
    };
    sms_text(
        &body,
        &tail,
        ctx.sms.diacritics,
        ctx.sms.max_segments as usize,
    )
}

/// The Zalo template message: `zalo.templates.<kind>` with the facts the kind's templates may
/// name (strings, as ZNS wants them).
fn zalo(
    kind: &str,
    data: &Value,
    f: &DossierFacts,
    letter: Option<&LetterFacts>,
    ctx: &Context<'_>,
) -> Result<Message, super::Outcome> {
    let Some(template_id) = ctx.zalo.templates.get(kind) else {
        return Err(super::Outcome::Skip(format!(
            "no Zalo template for {kind} (zalo.templates.{kind})"
        )));
    };
    let tz = ctx.forms.tz;
    let mut t = json!({
        "dossier_code": f.code,
        "procedure": f.procedure_name,
        "customer_name": f.applicant_name,
        "office": f.office.name,
        "received_at": vi::short_instant(f.received_at, tz),
        "due_at": vi::short_instant(f.rescheduled_due_at.unwrap_or(f.due_at), tz),
        "url": forms::lookup_url(ctx.forms.base_url, &f.code),
        "message": plain(kind, data, f, letter, &ctx.forms),
    });
    let extra = match kind {
        "supplement_request" => {
            let s = supplement(f, data);
            json!({
                "n": number(data).unwrap_or(1).to_string(),
                "items": s.map(|s| s.items.join("; ")).unwrap_or_default(),
                "reason": s.map(|s| s.reason.clone()).unwrap_or_default(),
            })
        }
        "result_ready" => json!({ "early": if early(data) { "true" } else { "false" } }),
        "result_returned" => json!({ "rating_url": rating_url(data).unwrap_or_default() }),
        "complaint_answer" => json!({
            "answer": fact(data, "answer"),
            "complaint_kind": fact(data, "complaint_kind"),
        }),
        "apology" => match letter {
            Some(l) => json!({
                "letter_number": l.number,
                "new_due_at": vi::short_instant(l.new_due_at, tz),
                "reason": l.reason,
                "agency": l.agency.name,
            }),
            None => json!({}),
        },
        "refusal" => {
            json!({ "reason": f.refusal.as_ref().map(|r| r.reason.clone()).unwrap_or_default() })
        }
        "stop_notice" => {
            json!({ "reason": f.stop.as_ref().map(|r| r.reason.clone()).unwrap_or_default() })
        }
        _ => json!({}),
    };
    if let (Some(t), Some(extra)) = (t.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            t.insert(k.clone(), v.clone());
        }
    }
    Ok(Message::Zalo {
        template_id: template_id.clone(),
        template_data: t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::dossier::tests::{ctx, facts};
    use crate::forms::facts::SupplementFacts;

    fn settings() -> (SmsSettings, ZaloSettings) {
        let mut z = ZaloSettings::default();
        z.templates
            .insert("supplement_request".into(), "4242".into());
        (SmsSettings::default(), z)
    }

    #[test]
    fn every_item_of_a_supplement_request_is_in_each_message() -> Result<(), String> {
        let texts = crate::forms::texts::FormsSettings::default();
        let (s, z) = settings();
        let c = Context {
            forms: ctx(&texts),
            sms: &s,
            zalo: &z,
        };
        let mut f = facts();
        f.supplement_requests = vec![SupplementFacts {
            at: f.received_at,
            items: vec!["Bản sao sổ đỏ".into(), "Tờ khai lệ phí".into()],
            reason: "Thiếu giấy tờ".into(),
            by: None,
        }];
        let data = json!({"n": 1});
        let facts = Facts::Dossier(Box::new(f));
        let Ok(Message::Sms(sms)) = render("supplement_request", "sms", &data, &facts, &c) else {
            return Err("no SMS".into());
        };
        assert!(
            sms.contains("Ban sao so do") && sms.contains("To khai le phi"),
            "{sms}"
        );
        assert!(sms.is_ascii());
        let Ok(Message::Zalo {
            template_id,
            template_data,
        }) = render("supplement_request", "zalo", &data, &facts, &c)
        else {
            return Err("no Zalo message".into());
        };
        assert_eq!(template_id, "4242");
        assert_eq!(template_data["items"], "Bản sao sổ đỏ; Tờ khai lệ phí");
        let Ok(Message::Email(e)) = render("supplement_request", "email", &data, &facts, &c) else {
            return Err("no email".into());
        };
        assert!(e.text.contains("Tờ khai lệ phí"));
        assert!(e.attachments[0].filename.starts_with("mau-02-"));
        // No template for the receipt: skipped, saying which key is missing.
        assert!(
            matches!(render("receipt", "zalo", &data, &facts, &c), Err(super::super::Outcome::Skip(m)) if m.contains("zalo.templates.receipt"))
        );
        Ok(())
    }
}
