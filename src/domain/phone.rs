//! Vietnamese phone numbers: what people write (0905 123 456, +84 905.123.456, 84905123456)
//! normalised to the international form +84…, and whether the number is a mobile (SMS and Zalo
//! reach it) or a landline (02… since the 2017 renumbering).

/// A Vietnamese number in the international form, with its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// `+84` followed by the national number without its leading 0.
    pub e164: String,
    pub kind: PhoneKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    /// 10 digits nationally, 03x, 05x, 07x, 08x or 09x: SMS and Zalo reach it.
    Mobile,
    /// 11 digits nationally, 02x: calls only.
    Landline,
}

impl Phone {
    /// The number as Zalo's API wants it: `84…`, without the `+`.
    pub fn zalo(&self) -> &str {
        self.e164.trim_start_matches('+')
    }

    pub fn is_mobile(&self) -> bool {
        self.kind == PhoneKind::Mobile
    }
}

/// Why a text is no Vietnamese phone number (the 422 message for `applicant.phone`).
pub const NOT_VIETNAMESE: &str = "must be a Vietnamese phone number: a mobile of 10 digits (09…, 03…, 05…, 07…, 08…) or a landline of 11 digits (02…), optionally written +84 without the leading 0";

/// Parses a Vietnamese number written with spaces, dots, dashes or brackets between digit
/// groups, nationally (0…) or internationally (+84…, 0084…, 84…).
pub fn normalise(s: &str) -> Option<Phone> {
    let s = s.trim();
    let (plus, rest) = match s.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, s),
    };
    if rest.is_empty()
        || !rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')'))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let national = if plus {
        digits.strip_prefix("84")?.to_owned()
    } else if let Some(n) = digits.strip_prefix("0084") {
        n.to_owned()
    } else if let Some(n) = digits.strip_prefix('0') {
        n.to_owned()
    } else if digits.len() >= 11 {
        // 84 followed by the subscriber number, without the plus.
        digits.strip_prefix("84")?.to_owned()
    } else {
        return None;
    };
    // The trunk 0 written after the country code (+84 0905…) is a common slip.
    let national = match national.strip_prefix('0') {
        Some(n) if plus || digits.starts_with("84") || digits.starts_with("0084") => n.to_owned(),
        Some(_) => return None,
        None => national,
    };
    let first = national.bytes().next()?;
    let kind = match (first, national.len()) {
        (b'3' | b'5' | b'7' | b'8' | b'9', 9) => PhoneKind::Mobile,
        (b'2', 10) => PhoneKind::Landline,
        _ => return None,
    };
    Some(Phone {
        e164: format!("+84{national}"),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_ways_people_write_a_mobile_number_give_one_number() {
        for written in [
            "0905123456",
            "0905 123 456",
            "0905.123.456",
            "0905-123-456",
            "+84905123456",
            "+84 905 123 456",
            "+84 (0) 905 123 456",
            "84905123456",
            "0084905123456",
        ] {
            let p = normalise(written).unwrap_or_else(|| panic!("{written} is a number"));
            assert_eq!(p.e164, "+84905123456", "{written}");
            assert_eq!(p.kind, PhoneKind::Mobile, "{written}");
            assert_eq!(p.zalo(), "84905123456");
        }
    }

    #[test]
    fn landlines_have_eleven_digits_and_begin_with_02() {
        let hue = normalise("0234 3822 123").expect("Huế landline");
        assert_eq!(hue.e164, "+842343822123");
        assert_eq!(hue.kind, PhoneKind::Landline);
        assert!(!hue.is_mobile());
        let hanoi = normalise("+84 24 3825 1234").expect("Hà Nội landline");
        assert_eq!(hanoi.kind, PhoneKind::Landline);
    }

    #[test]
    fn what_is_no_vietnamese_number_is_refused() {
        for bad in [
            "",
            "call me",
            "12",
            "+1 202 555 0143",
            "+44 20 7946 0958",
            "0105123456",  // no such mobile prefix
            "090512345",   // a digit short
            "09051234567", // a digit long
            "0205123456",  // a landline a digit short
            "1900 1234",   // a service number, not a citizen's
            "0905123456x",
            "++84905123456",
        ] {
            assert_eq!(normalise(bad), None, "{bad}");
        }
    }

    proptest! {
        /// Every mobile number, however grouped and in either form, normalises to the same
        /// +84 number, and normalising that again changes nothing.
        #[test]
        fn grouping_and_form_do_not_change_the_number(
            prefix in prop::sample::select(vec!['3', '5', '7', '8', '9']),
            rest in "[0-9]{8}",
            seps in prop::collection::vec(prop::sample::select(vec!["", " ", ".", "-"]), 9),
            international in any::<bool>(),
        ) {
            let national = format!("{prefix}{rest}");
            let mut written = String::from(if international { "+84" } else { "0" });
            for (c, sep) in national.chars().zip(&seps) {
                written.push(c);
                written.push_str(sep);
            }
            let written = written.trim_end_matches([' ', '.', '-']).to_owned();
            let p = normalise(&written).expect("a mobile number");
            prop_assert_eq!(&p.e164, &format!("+84{national}"));
            prop_assert_eq!(p.kind, PhoneKind::Mobile);
            prop_assert_eq!(normalise(&p.e164), Some(p.clone()));
        }
    }
}
