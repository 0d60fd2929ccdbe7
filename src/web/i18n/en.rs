//! English: for readers who ask for it (`?lang=en`, `Accept-Language: en`).

use super::Text;
use crate::domain::dossier::Status;
use crate::domain::timeliness::Timeliness;

pub const TEXT: Text = Text {
    service_name: "Administrative dossier lookup",
    service_owner: "One-stop-shop office (Bộ phận Một cửa)",
    skip_link: "Skip to main content",
    language_name: "English",
    help_title: "Need help?",
    help_text: "The dossier code is printed on the receipt you were given when you filed the \
        dossier (its QR code opens this page). If the lookup does not work, contact the \
        one-stop-shop office where you filed the dossier and bring the receipt.",
    help_contact_label: "Contact",

    lookup_title: "Check the status of your dossier",
    lookup_intro: "Enter the dossier code and the ID number of the person who filed the \
        dossier to see where it is, when the result is due and whether anything is missing.",
    code_label: "Dossier code",
    code_hint: "Printed on the receipt, for example 000.00.24.H40-261125-0001",
    id_label: "Citizen ID card or passport number",
    id_hint: "Of the person who filed the dossier, as given then: 9 or 12 digits, or a passport \
        number.",
    submit: "Look up",
    privacy_note: "The ID number only confirms that you filed the dossier; the result page does \
        not show it.",
    errors_title: "Please check",
    code_missing: "Enter the dossier code.",
    code_invalid: "A dossier code looks like 000.00.24.H40-261125-0001: the office's code, the \
        date of receipt (year, month, day) and a number.",
    id_missing: "Enter the ID card or passport number.",
    id_invalid: "An ID number has 9 or 12 digits; a passport number has 6 to 12 letters and \
        digits.",
    not_found_title: "No dossier found",
    not_found_text: "No dossier matches the code and ID number you entered.",
    not_found_hints: [
        "Check the code on the receipt, including its dots and dashes.",
        "Enter the ID number of the person in whose name the dossier was filed, as given then.",
    ],
    rate_limited_title: "Please wait a moment",
    rate_limited_text: |secs, at| {
        format!(
            "There were too many lookups, ratings and complaints from this network address in one \
             minute. Please try again in {secs} seconds (from {at})."
        )
    },
    back_to_lookup: "Back to the lookup",

    dossier_heading: "Dossier",
    status_label: "Status",
    applicant_label: "Filed by",
    procedure_label: "Procedure",
    received_office_label: "Received at",
    received_at_label: "Received on",
    due_label: "Result due",
    new_due_label: "New result date",
    current_office_label: "Agency handling it now",
    finished_office_label: "Agency that handled it",
    timeliness_label: "Deadline",
    supplement_title: "Documents to add",
    supplement_intro: "The agency asks you to add or complete the following:",
    supplement_reason_label: "Reason",
    supplement_requested_label: "Requested on",
    supplement_how: "Bring or send them to the office where you filed the dossier. Work on the \
        dossier continues once everything has arrived.",
    apology_title: "Letter of apology with a new result date",
    apology_agency_label: "Agency",
    apology_date_label: "Sent on",
    apology_reason_label: "Reason",
    apology_old_due_label: "Previous result date",
    apology_new_due_label: "New result date",
    apology_signer_label: "Signed by",
    apology_signer_unnamed: "The head of the agency",
    steps_title: "Processing steps",
    step_heading: |n| format!("Step {n}"),
    step_received_label: "Received",
    step_deadline_label: "Due",
    step_completed_label: "Completed",
    step_open: "In progress",
    no_steps: "The dossier has not yet been passed to the agency that decides on it.",
    history_title: "History",
    as_of: |at| format!("As of {at}."),
    print_hint: "To print or save this page, use your browser's Print command.",
    another_lookup: "Look up another dossier",

    rating_title: "Rate the service",
    rating_intro: "The result of your dossier has been handed over. Please tell us how \
        satisfied you are with how it was handled; each dossier is rated once.",
    rating_question: "Are you satisfied with how this dossier was handled?",
    rating_satisfied: "Satisfied",
    rating_neutral: "Neutral",
    rating_dissatisfied: "Dissatisfied",
    rating_comment_label: "Comment (optional)",
    rating_comment_hint: "At most 1000 characters. Please do not write ID, phone numbers or addresses.",
    rating_submit: "Send the rating",
    rating_missing: "Choose how satisfied you are.",
    rating_comment_too_long: "The comment is longer than 1000 characters.",
    rating_expires: |at| format!("This rating link works until {at}."),
    rating_thanks_title: "Thank you for your rating",
    rating_thanks_text: "Your rating has been recorded and helps the office serve better.",
    rating_already_title: "This dossier has been rated",
    rating_already_text: "This dossier has already been rated; each dossier is rated once.",
    rating_link_invalid_title: "This rating link cannot be used",
    rating_link_invalid_text: "The link is wrong or has expired. If you need help, please \
        contact the one-stop office where you filed the dossier.",

    result_title: "The result",
    result_intro: "The result of this dossier is available as a file. Type the applicant's ID \
        number again to download it; this page does not keep it.",
    result_submit: "Download the result",
    result_not_found_title: "The result could not be downloaded",
    result_not_found_text: "No result was found for this dossier code and ID number. Check the ID \
        number, or contact the one-stop office where the dossier was filed.",

    complaint_form_title: "Send a complaint or recommendation",
    complaint_form_intro: "You may complain or make a recommendation about how this dossier is \
        handled. The competent agency answers within the time the rules set.",
    complaint_kind_legend: "Kind",
    complaint_kind_complaint: "Complaint",
    complaint_kind_recommendation: "Recommendation",
    complaint_text_label: "Text",
    complaint_text_hint: "At most 2000 characters. Please do not write ID, phone numbers or addresses.",
    complaint_submit: "Send",
    complaint_kind_missing: "Choose complaint or recommendation.",
    complaint_text_missing: "Write what you want to say.",
    complaint_text_too_long: "The text is longer than 2000 characters.",
    complaint_id_hint: "Type the applicant's ID number again to confirm; this page does not keep it.",
    complaint_filed_title: "Your complaint or recommendation was received",
    complaint_filed_text: |due| {
        format!("It has been recorded. The competent agency answers by {due} at the latest.")
    },
    complaints_title: "Complaints and recommendations sent",
    complaint_filed_label: "Sent",
    complaint_due_label: "Answer due",
    complaint_status_open: "Waiting for an answer",
    complaint_status_answered: "Answered",
    complaint_answer_label: "Answer",

    page_not_found_title: "Page not found",
    page_not_found_text: "There is no page at this address.",
    bad_request_title: "The request could not be read",
    bad_request_text: "Your browser sent a request this site could not read. Please start again \
        from the lookup page.",
    unavailable_title: "Temporarily unavailable",
    unavailable_text: "The lookup does not work at the moment. Please try again in a few \
        minutes.",
    home_link: "Go to the lookup",

    status: |s| match s {
        Status::Received => "Received",
        Status::Processing => "Being processed",
        Status::AwaitingSupplement => "Documents missing",
        Status::AwaitingPayment => "Waiting for payment",
        Status::Resolved => "Result ready",
        Status::Returned => "Result handed over",
        Status::Rejected => "Not accepted",
        Status::Withdrawn => "Withdrawn",
        Status::Stopped => "Processing stopped",
    },
    status_explanation: |s| match s {
        Status::Received => {
            "The dossier has been received and will be passed to the agency that decides on it."
        }
        Status::Processing => "The competent agency is examining the dossier.",
        Status::AwaitingSupplement => {
            "The agency asks you to add or complete documents (see below)."
        }
        Status::AwaitingPayment => {
            "Fees or other financial obligations must be paid before work on the dossier goes on."
        }
        Status::Resolved => {
            "The dossier has been decided. Please collect the result where you filed it."
        }
        Status::Returned => "The result has been handed over to you.",
        Status::Rejected => "The dossier was not accepted for processing.",
        Status::Withdrawn => "The dossier was withdrawn at the applicant's request.",
        Status::Stopped => "The competent agency has stopped processing the dossier.",
    },
    timeliness: |t| match t {
        Timeliness::OnTrack => "On track",
        Timeliness::DueSoon => "Due soon",
        Timeliness::Overdue => "Overdue",
        Timeliness::Paused => "Paused while the agency waits for you",
        Timeliness::Early => "Decided early",
        Timeliness::OnTime => "Decided on time",
        Timeliness::Late => "Decided late",
    },
    datetime: |t| t.format("%-d %B %Y, %H:%M").to_string(),
    appointment: |t| t.format("%A %-d %B %Y, %H:%M").to_string(),
};
