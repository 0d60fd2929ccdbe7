//! What the citizen is told, and when (DOMAIN.md "Telling the citizen at every step"): the kinds
//! of notification a change of the dossier calls for. Rendering and delivery live elsewhere.

use serde::Serialize;

/// One notice a lifecycle change calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// Mẫu 01: the receipt with the appointment and how to look the dossier up.
    Receipt,
    /// Mẫu 02: the `number`-th supplement request, every item and the reason.
    SupplementRequest { number: u32 },
    /// The result is ready (saying so when it is early); a reasoned refusal is a result too.
    ResultReady { early: bool },
    /// The result was handed over (the message carries the rating link).
    ResultReturned,
    /// Mẫu 04: the apology with the new appointment.
    Apology,
    /// Mẫu 03: not accepted.
    Refusal,
    /// Mẫu 05: processing stopped.
    StopNotice,
}

impl Notice {
    /// The notification kind, as named in the API.
    pub fn kind(self) -> &'static str {
        match self {
            Notice::Receipt => "receipt",
            Notice::SupplementRequest { .. } => "supplement_request",
            Notice::ResultReady { .. } => "result_ready",
            Notice::ResultReturned => "result_returned",
            Notice::Apology => "apology",
            Notice::Refusal => "refusal",
            Notice::StopNotice => "stop_notice",
        }
    }
}

/// Every kind of message the outbox carries (API.md "Notifications"): the citizen's, then the
/// staff's digests.
pub const KINDS: [&str; 10] = [
    "receipt",
    "supplement_request",
    "result_ready",
    "result_returned",
    "apology",
    "refusal",
    "stop_notice",
    "complaint_answer",
    "due_soon_digest",
    "escalation",
];

/// Where a notice goes: the channels a deployment may run (`notifications.channels`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Deserialize,
    Serialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NoticeChannel {
    Email,
    Sms,
    Zalo,
}

impl NoticeChannel {
    pub const ALL: [NoticeChannel; 3] = [
        NoticeChannel::Email,
        NoticeChannel::Sms,
        NoticeChannel::Zalo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeChannel::Email => "email",
            NoticeChannel::Sms => "sms",
            NoticeChannel::Zalo => "zalo",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The channels a dossier's notices go to: the deployment's, narrowed by what the citizen asked
/// for at the counter (`applicant.notify`), in the deployment's order.
pub fn channels_for(
    configured: &[NoticeChannel],
    asked: Option<&[NoticeChannel]>,
) -> Vec<NoticeChannel> {
    let mut out: Vec<NoticeChannel> = Vec::new();
    for c in configured {
        if asked.is_none_or(|a| a.contains(c)) && !out.contains(c) {
            out.push(*c);
        }
    }
    out
}

/// Where one channel's message goes, or why it cannot go there (the row is `skipped`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    To(String),
    Skipped(&'static str),
}

/// The recipient of a channel from the dossier's contacts: the email address, or for SMS and
/// Zalo the phone number in +84 form if it is a mobile.
pub fn recipient(channel: NoticeChannel, email: Option<&str>, phone: Option<&str>) -> Recipient {
    match channel {
        NoticeChannel::Email => match email {
            Some(e) => Recipient::To(e.to_owned()),
            None => Recipient::Skipped("no email address on file"),
        },
        NoticeChannel::Sms | NoticeChannel::Zalo => match phone {
            None => Recipient::Skipped("no phone number on file"),
            Some(p) => match super::phone::normalise(p) {
                None => Recipient::Skipped("the phone number on file is no Vietnamese number"),
                Some(p) if !p.is_mobile() => Recipient::Skipped(
                    "the phone number on file is a landline: SMS and Zalo reach mobile numbers only",
                ),
                Some(p) => Recipient::To(p.e164),
            },
        },
    }
}

/// Vietnamese without its diacritics (đ → d, ệ → e …): SMS in GSM-7, one segment per 160
/// characters instead of 70.
pub fn without_diacritics(s: &str) -> String {
    s.chars().map(fold).collect()
}

fn fold(c: char) -> char {
    const GROUPS: [(&str, char); 14] = [
        ("àáạảãâầấậẩẫăằắặẳẵ", 'a'),
        ("ÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴ", 'A'),
        ("èéẹẻẽêềếệểễ", 'e'),
        ("ÈÉẸẺẼÊỀẾỆỂỄ", 'E'),
        ("ìíịỉĩ", 'i'),
        ("ÌÍỊỈĨ", 'I'),
        ("òóọỏõôồốộổỗơờớợởỡ", 'o'),
        ("ÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠ", 'O'),
        ("ùúụủũưừứựửữ", 'u'),
        ("ÙÚỤỦŨƯỪỨỰỬỮ", 'U'),
        ("ỳýỵỷỹ", 'y'),
        ("ỲÝỴỶỸ", 'Y'),
        ("đ", 'd'),
        ("Đ", 'D'),
    ];
    if c.is_ascii() {
        return c;
    }
    for (group, base) in GROUPS {
        if group.contains(c) {
            return base;
        }
    }
    match c {
        '–' | '—' => '-',
        '‘' | '’' => '\'',
        '“' | '”' => '"',
        '…' => '.',
        _ => '?',
    }
}

/// GSM 03.38 characters that take two septets (the escape and the character).
const GSM_EXTENDED: &str = "^{}\\[~]|€";
/// The GSM 03.38 basic set beyond printable ASCII letters and digits.
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà";

/// Septets a character takes in GSM-7, or `None` when it needs UCS-2.
fn gsm_septets(c: char) -> Option<usize> {
    if c.is_ascii_alphanumeric() || GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// How many SMS segments a text takes: GSM-7 (160 septets alone, 153 per part when
/// concatenated) or, with any other character, UCS-2 (70, 67 per part).
pub fn sms_segments(text: &str) -> usize {
    let septets: Option<usize> = text.chars().map(gsm_septets).sum();
    let (len, single, part) = match septets {
        Some(n) => (n, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    if len <= single { 1 } else { len.div_ceil(part) }
}

/// The SMS text: `body` then `tail` (the code and the lookup link, which must arrive whole),
/// without diacritics unless asked to keep them, the body shortened with "..." so that the whole
/// fits `max_segments`.
pub fn sms_text(body: &str, tail: &str, keep_diacritics: bool, max_segments: usize) -> String {
    let conv = |s: &str| {
        if keep_diacritics {
            s.to_owned()
        } else {
            without_diacritics(s)
        }
    };
    let (body, tail) = (conv(body), conv(tail));
    let join = |b: &str| {
        if b.is_empty() {
            tail.clone()
        } else {
            format!("{b} {tail}")
        }
    };
    let full = join(&body);
    if sms_segments(&full) <= max_segments.max(1) {
        return full;
    }
    let chars: Vec<char> = body.chars().collect();
    let (mut lo, mut hi) = (0usize, chars.len());
    // The longest prefix of the body that fits with the ellipsis.
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().collect::<String>() + "...";
        if sms_segments(&join(&candidate)) <= max_segments.max(1) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo == 0 {
        return tail;
    }
    join(&(chars[..lo].iter().collect::<String>().trim_end().to_owned() + "..."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_citizen_narrows_the_deployments_channels_never_widens_them() {
        use NoticeChannel::*;
        assert_eq!(channels_for(&[Email, Sms, Zalo], None), [Email, Sms, Zalo]);
        assert_eq!(channels_for(&[Email, Sms, Zalo], Some(&[Zalo])), [Zalo]);
        assert_eq!(channels_for(&[Email], Some(&[Sms, Email])), [Email]);
        assert_eq!(
            channels_for(&[Email], Some(&[])),
            Vec::<NoticeChannel>::new()
        );
    }

    #[test]
    fn sms_and_zalo_go_to_mobiles_only() {
        use NoticeChannel::*;
        assert_eq!(
            recipient(Sms, None, Some("0905 123 456")),
            Recipient::To("+84905123456".into())
        );
        assert!(
            matches!(recipient(Zalo, None, Some("0234 3822 123")), Recipient::Skipped(m) if m.contains("landline"))
        );
        assert!(
            matches!(recipient(Sms, Some("a@b.vn"), None), Recipient::Skipped(m) if m.contains("no phone"))
        );
        assert!(
            matches!(recipient(Email, None, Some("0905123456")), Recipient::Skipped(m) if m.contains("no email"))
        );
    }

    #[test]
    fn vietnamese_loses_its_diacritics_and_fits_gsm_7() {
        let s = without_diacritics("Hồ sơ đã được tiếp nhận. Hẹn trả kết quả: Thứ Hai — ĐẮK LẮK");
        assert_eq!(
            s,
            "Ho so da duoc tiep nhan. Hen tra ket qua: Thu Hai - DAK LAK"
        );
        assert_eq!(sms_segments(&s), 1);
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"ồ".repeat(70)), 1);
        assert_eq!(sms_segments(&"ồ".repeat(71)), 2);
        assert_eq!(sms_segments(&"[".repeat(80)), 1);
        assert_eq!(sms_segments(&"[".repeat(81)), 2);
    }

    #[test]
    fn a_long_text_is_shortened_but_keeps_its_code_and_link() {
        let tail = "Tra cuu: http://motcua.example.vn/tra-cuu?code=000.00.24.H40-261125-0001";
        let body = "Bổ sung: ".to_owned() + &"Bản sao sổ đỏ có chứng thực; ".repeat(30);
        for max in [1, 2, 3] {
            let t = sms_text(&body, tail, false, max);
            assert!(sms_segments(&t) <= max, "{max}: {t}");
            assert!(t.ends_with(tail), "{t}");
            assert!(t.contains("..."), "{t}");
            assert!(t.is_ascii());
        }
        let short = sms_text("Hồ sơ đã tiếp nhận.", tail, false, 1);
        assert_eq!(short, format!("Ho so da tiep nhan. {tail}"));
        assert!(sms_text("Hồ sơ", "mã", true, 1).contains('ồ'));
    }
}
