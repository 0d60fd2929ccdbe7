//! The languages of the citizen's pages: which one a request gets, and every string of the pages,
//! one file per language (`vi.rs`, `en.rs`), checked complete by the compiler.

mod en;
mod vi;

use chrono::{DateTime, FixedOffset};

use crate::domain::dossier::Status;
use crate::domain::timeliness::Timeliness;

/// A language of the pages. Vietnamese unless the reader asks for English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// The BCP 47 tag, for `lang` and `Content-Language`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::Vi => &vi::TEXT,
            Lang::En => &en::TEXT,
        }
    }

    /// The other language, the one the language link offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// `?lang=` or the form's `lang`: `vi` or `en` (any case, any region); anything else is no
    /// choice at all.
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("vi") {
            Some(Lang::Vi)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language an `Accept-Language` header prefers among ours: the highest weight wins, the
    /// first listed on a tie; Vietnamese when it names neither.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let mut best: Option<(Lang, f32)> = None;
        for item in accept_language.unwrap_or_default().split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((lang, q));
            }
        }
        best.map_or(Lang::Vi, |(lang, _)| lang)
    }
}

/// Every string of the citizen's pages in one language. A field added here must be written in
/// every language before the crate builds.
pub struct Text {
    // The frame of every page.
    pub service_name: &'static str,
    pub service_owner: &'static str,
    pub skip_link: &'static str,
    /// The name of this language, written in it (the language link shows the other's).
    pub language_name: &'static str,
    pub help_title: &'static str,
    pub help_text: &'static str,
    pub help_contact_label: &'static str,

    // The lookup form.
    pub lookup_title: &'static str,
    pub lookup_intro: &'static str,
    pub code_label: &'static str,
    pub code_hint: &'static str,
    pub id_label: &'static str,
    pub id_hint: &'static str,
    pub submit: &'static str,
    pub privacy_note: &'static str,
    pub errors_title: &'static str,
    pub code_missing: &'static str,
    pub code_invalid: &'static str,
    pub id_missing: &'static str,
    pub id_invalid: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub not_found_hints: [&'static str; 2],
    pub rate_limited_title: &'static str,
    /// The seconds to wait and the local time from which a lookup works again.
    pub rate_limited_text: fn(u64, &str) -> String,
    pub back_to_lookup: &'static str,

    // The status page.
    pub dossier_heading: &'static str,
    pub status_label: &'static str,
    pub applicant_label: &'static str,
    pub procedure_label: &'static str,
    pub received_office_label: &'static str,
    pub received_at_label: &'static str,
    pub due_label: &'static str,
    pub new_due_label: &'static str,
    pub current_office_label: &'static str,
    pub finished_office_label: &'static str,
    pub timeliness_label: &'static str,
    pub supplement_title: &'static str,
    pub supplement_intro: &'static str,
    pub supplement_reason_label: &'static str,
    pub supplement_requested_label: &'static str,
    pub supplement_how: &'static str,
    pub apology_title: &'static str,
    pub apology_agency_label: &'static str,
    pub apology_date_label: &'static str,
    pub apology_reason_label: &'static str,
    pub apology_old_due_label: &'static str,
    pub apology_new_due_label: &'static str,
    pub apology_signer_label: &'static str,
    pub apology_signer_unnamed: &'static str,
    pub steps_title: &'static str,
    pub step_heading: fn(usize) -> String,
    pub step_received_label: &'static str,
    pub step_deadline_label: &'static str,
    pub step_completed_label: &'static str,
    pub step_open: &'static str,
    pub no_steps: &'static str,
    pub history_title: &'static str,
    pub as_of: fn(&str) -> String,
    pub print_hint: &'static str,
    pub another_lookup: &'static str,

    // The rating page (the personal link sent with the returned result).
    pub rating_title: &'static str,
    pub rating_intro: &'static str,
    pub rating_question: &'static str,
    pub rating_satisfied: &'static str,
    pub rating_neutral: &'static str,
    pub rating_dissatisfied: &'static str,
    pub rating_comment_label: &'static str,
    pub rating_comment_hint: &'static str,
    pub rating_submit: &'static str,
    pub rating_missing: &'static str,
    pub rating_comment_too_long: &'static str,
    pub rating_expires: fn(&str) -> String,
    pub rating_thanks_title: &'static str,
    pub rating_thanks_text: &'static str,
    pub rating_already_title: &'static str,
    pub rating_already_text: &'static str,
    pub rating_link_invalid_title: &'static str,
    pub rating_link_invalid_text: &'static str,

    // The result, downloaded from the status page.
    pub result_title: &'static str,
    pub result_intro: &'static str,
    pub result_submit: &'static str,
    pub result_not_found_title: &'static str,
    pub result_not_found_text: &'static str,

    // Complaints and recommendations (phản ánh, kiến nghị), from the status page.
    pub complaint_form_title: &'static str,
    pub complaint_form_intro: &'static str,
    pub complaint_kind_legend: &'static str,
    pub complaint_kind_complaint: &'static str,
    pub complaint_kind_recommendation: &'static str,
    pub complaint_text_label: &'static str,
    pub complaint_text_hint: &'static str,
    pub complaint_submit: &'static str,
    pub complaint_kind_missing: &'static str,
    pub complaint_text_missing: &'static str,
    pub complaint_text_too_long: &'static str,
    /// Why the ID number is asked again (it is never put in a page).
    pub complaint_id_hint: &'static str,
    pub complaint_filed_title: &'static str,
    /// The local instant by which the agency answers.
    pub complaint_filed_text: fn(&str) -> String,
    pub complaints_title: &'static str,
    pub complaint_filed_label: &'static str,
    pub complaint_due_label: &'static str,
    pub complaint_status_open: &'static str,
    pub complaint_status_answered: &'static str,
    pub complaint_answer_label: &'static str,

    // Other answers.
    pub page_not_found_title: &'static str,
    pub page_not_found_text: &'static str,
    pub bad_request_title: &'static str,
    pub bad_request_text: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable_text: &'static str,
    pub home_link: &'static str,

    /// A status in plain words, and what it means for the citizen.
    pub status: fn(Status) -> &'static str,
    pub status_explanation: fn(Status) -> &'static str,
    pub timeliness: fn(Timeliness) -> &'static str,
    /// An instant as a reader of this language writes it (local time of the office).
    pub datetime: fn(DateTime<FixedOffset>) -> String,
    /// An appointment: the instant with its day of the week.
    pub appointment: fn(DateTime<FixedOffset>) -> String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn accept_language_picks_the_preferred_of_ours() {
        for (header, expected) in [
            (None, Lang::Vi),
            (Some(""), Lang::Vi),
            (Some("en"), Lang::En),
            (Some("en-US,en;q=0.9"), Lang::En),
            (Some("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Vi),
            (Some("fr-FR,fr;q=0.9,en;q=0.5"), Lang::En),
            (Some("fr, de"), Lang::Vi),
            (Some("vi;q=0.2, en;q=0.8"), Lang::En),
            (Some("en;q=0, vi;q=0.1"), Lang::Vi),
            (Some("EN-gb"), Lang::En),
            (Some("*"), Lang::Vi),
        ] {
            assert_eq!(Lang::negotiate(header), expected, "{header:?}");
        }
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("vi-VN"), Some(Lang::Vi));
        assert_eq!(Lang::parse("english"), None);
        assert_eq!(Lang::parse(""), None);
    }

    #[test]
    fn dates_read_as_each_language_writes_them() -> Result<(), String> {
        let tz = FixedOffset::east_opt(7 * 3600).ok_or("offset")?;
        let t = tz
            .with_ymd_and_hms(2026, 12, 18, 16, 0, 0)
            .single()
            .ok_or("instant")?;
        assert_eq!((Lang::Vi.text().datetime)(t), "16:00 ngày 18/12/2026");
        assert_eq!(
            (Lang::Vi.text().appointment)(t),
            "16:00, thứ Sáu, ngày 18/12/2026"
        );
        assert_eq!((Lang::En.text().datetime)(t), "18 December 2026, 16:00");
        assert_eq!(
            (Lang::En.text().appointment)(t),
            "Friday 18 December 2026, 16:00"
        );
        let sunday = tz
            .with_ymd_and_hms(2027, 2, 7, 9, 5, 0)
            .single()
            .ok_or("instant")?;
        assert_eq!(
            (Lang::Vi.text().appointment)(sunday),
            "09:05, Chủ nhật, ngày 07/02/2027"
        );
        Ok(())
    }

    #[test]
    fn every_status_has_words_in_both_languages() {
        for lang in [Lang::Vi, Lang::En] {
            let t = lang.text();
            let mut seen = std::collections::BTreeSet::new();
            for s in Status::ALL {
                assert!(!(t.status)(s).is_empty() && !(t.status_explanation)(s).is_empty());
                assert!(
                    seen.insert((t.status)(s)),
                    "{lang:?}: {s:?} reads like another"
                );
            }
            for v in Timeliness::ALL {
                assert!(!(t.timeliness)(v).is_empty());
            }
        }
    }
}
