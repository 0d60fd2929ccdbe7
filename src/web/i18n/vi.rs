//! Tiếng Việt: the pages' default language.

use chrono::{DateTime, Datelike, FixedOffset, Weekday};

use super::Text;
use crate::domain::dossier::Status;
use crate::domain::timeliness::Timeliness;

pub const TEXT: Text = Text {
    service_name: "Tra cứu hồ sơ thủ tục hành chính",
    service_owner: "Bộ phận Một cửa",
    skip_link: "Bỏ qua, đến nội dung chính",
    language_name: "Tiếng Việt",
    help_title: "Cần hỗ trợ?",
    help_text: "Mã hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả (có mã QR để mở trang \
        này). Nếu không tra cứu được, ông/bà vui lòng liên hệ Bộ phận Một cửa nơi đã nộp hồ sơ, \
        mang theo giấy tiếp nhận.",
    help_contact_label: "Liên hệ",

    lookup_title: "Tra cứu tình trạng hồ sơ",
    lookup_intro: "Nhập mã hồ sơ và số giấy tờ tùy thân của người nộp hồ sơ để biết hồ sơ đang \
        ở đâu, khi nào có kết quả và có cần bổ sung giấy tờ gì không.",
    code_label: "Mã hồ sơ",
    code_hint: "In trên giấy tiếp nhận, ví dụ: 000.00.24.H40-261125-0001",
    id_label: "Số CCCD, CMND hoặc hộ chiếu",
    id_hint: "Của người nộp hồ sơ, như đã khai khi nộp: 9 hoặc 12 chữ số, hoặc số hộ chiếu.",
    submit: "Tra cứu",
    privacy_note: "Số giấy tờ chỉ dùng để xác nhận ông/bà là người nộp hồ sơ; trang kết quả \
        không hiển thị số này.",
    errors_title: "Vui lòng kiểm tra lại",
    code_missing: "Nhập mã hồ sơ.",
    code_invalid: "Mã hồ sơ có dạng 000.00.24.H40-261125-0001: mã cơ quan, ngày tiếp nhận \
        (năm, tháng, ngày) và số thứ tự.",
    id_missing: "Nhập số CCCD, CMND hoặc hộ chiếu.",
    id_invalid: "Số giấy tờ gồm 9 hoặc 12 chữ số, hoặc là số hộ chiếu gồm 6 đến 12 chữ cái và \
        chữ số.",
    not_found_title: "Không tìm thấy hồ sơ",
    not_found_text: "Không có hồ sơ nào khớp với mã hồ sơ và số giấy tờ đã nhập.",
    not_found_hints: [
        "Kiểm tra lại mã hồ sơ trên giấy tiếp nhận, kể cả các dấu chấm và gạch ngang.",
        "Nhập số giấy tờ của người đứng tên nộp hồ sơ, đúng như đã khai khi nộp.",
    ],
    rate_limited_title: "Xin vui lòng chờ một lát",
    rate_limited_text: |secs, at| {
        format!(
            "Có quá nhiều lượt tra cứu, đánh giá và phản ánh từ địa chỉ mạng này trong một phút. \
             Vui lòng thử lại sau {secs} giây (từ {at})."
        )
    },
    back_to_lookup: "Trở về trang tra cứu",

    dossier_heading: "Hồ sơ",
    status_label: "Tình trạng",
    applicant_label: "Người nộp",
    procedure_label: "Thủ tục",
    received_office_label: "Nơi tiếp nhận",
    received_at_label: "Tiếp nhận lúc",
    due_label: "Hẹn trả kết quả",
    new_due_label: "Hẹn trả kết quả mới",
    current_office_label: "Cơ quan đang giải quyết",
    finished_office_label: "Cơ quan giải quyết",
    timeliness_label: "Thời hạn",
    supplement_title: "Hồ sơ cần bổ sung",
    supplement_intro: "Cơ quan giải quyết đề nghị ông/bà bổ sung, hoàn thiện các giấy tờ sau:",
    supplement_reason_label: "Lý do",
    supplement_requested_label: "Ngày yêu cầu",
    supplement_how: "Mang hoặc gửi các giấy tờ này đến nơi đã nộp hồ sơ. Hồ sơ được tiếp tục \
        giải quyết khi nhận đủ.",
    apology_title: "Thư xin lỗi và hẹn lại ngày trả kết quả",
    apology_agency_label: "Cơ quan",
    apology_date_label: "Ngày gửi",
    apology_reason_label: "Lý do",
    apology_old_due_label: "Hẹn trả trước đây",
    apology_new_due_label: "Hẹn trả mới",
    apology_signer_label: "Người ký",
    apology_signer_unnamed: "Thủ trưởng cơ quan",
    steps_title: "Các bước giải quyết",
    step_heading: |n| format!("Bước {n}"),
    step_received_label: "Nhận hồ sơ",
    step_deadline_label: "Hạn xử lý",
    step_completed_label: "Hoàn thành",
    step_open: "Đang xử lý",
    no_steps: "Hồ sơ chưa được chuyển đến cơ quan giải quyết.",
    history_title: "Quá trình xử lý",
    as_of: |at| format!("Thông tin tại thời điểm {at}."),
    print_hint: "Để in hoặc lưu trang này, dùng chức năng In của trình duyệt.",
    another_lookup: "Tra cứu hồ sơ khác",

    rating_title: "Đánh giá mức độ hài lòng",
    rating_intro: "Hồ sơ của ông/bà đã được trả kết quả. Xin ông/bà cho biết mức độ hài lòng \
        về việc giải quyết hồ sơ; mỗi hồ sơ được đánh giá một lần.",
    rating_question: "Ông/bà có hài lòng về việc giải quyết hồ sơ này không?",
    rating_satisfied: "Hài lòng",
    rating_neutral: "Bình thường",
    rating_dissatisfied: "Không hài lòng",
    rating_comment_label: "Góp ý (không bắt buộc)",
    rating_comment_hint: "Tối đa 1000 ký tự. Xin đừng ghi số giấy tờ, số điện thoại hay địa chỉ.",
    rating_submit: "Gửi đánh giá",
    rating_missing: "Chọn một mức độ hài lòng.",
    rating_comment_too_long: "Góp ý dài quá 1000 ký tự.",
    rating_expires: |at| format!("Đường dẫn đánh giá dùng được đến {at}."),
    rating_thanks_title: "Cảm ơn ông/bà đã đánh giá",
    rating_thanks_text: "Đánh giá của ông/bà đã được ghi nhận và giúp cơ quan phục vụ tốt hơn.",
    rating_already_title: "Hồ sơ đã được đánh giá",
    rating_already_text: "Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ được đánh giá một lần.",
    rating_link_invalid_title: "Đường dẫn đánh giá không dùng được",
    rating_link_invalid_text: "Đường dẫn này không đúng hoặc đã hết hạn. Nếu cần, ông/bà vui \
        lòng liên hệ Bộ phận Một cửa nơi đã nộp hồ sơ.",

    result_title: "Kết quả giải quyết",
    result_intro: "Kết quả giải quyết hồ sơ này đã được số hóa. Nhập lại số giấy tờ của người \
        nộp hồ sơ để tải về; trang này không lưu số đó.",
    result_submit: "Tải kết quả",
    result_not_found_title: "Không tải được kết quả",
    result_not_found_text: "Không tìm thấy kết quả với mã hồ sơ và số giấy tờ này. Kiểm tra lại \
        số giấy tờ, hoặc liên hệ Bộ phận Một cửa nơi đã nộp hồ sơ.",

    complaint_form_title: "Gửi phản ánh, kiến nghị",
    complaint_form_intro: "Ông/bà có thể phản ánh hoặc kiến nghị về việc giải quyết hồ sơ này. \
        Cơ quan giải quyết sẽ trả lời trong thời hạn quy định.",
    complaint_kind_legend: "Loại",
    complaint_kind_complaint: "Phản ánh",
    complaint_kind_recommendation: "Kiến nghị",
    complaint_text_label: "Nội dung",
    complaint_text_hint: "Tối đa 2000 ký tự. Xin đừng ghi số giấy tờ, số điện thoại hay địa chỉ.",
    complaint_submit: "Gửi phản ánh, kiến nghị",
    complaint_kind_missing: "Chọn phản ánh hoặc kiến nghị.",
    complaint_text_missing: "Nhập nội dung phản ánh, kiến nghị.",
    complaint_text_too_long: "Nội dung dài quá 2000 ký tự.",
    complaint_id_hint: "Nhập lại số giấy tờ của người nộp hồ sơ để xác nhận; trang này không lưu số đó.",
    complaint_filed_title: "Đã nhận phản ánh, kiến nghị",
    complaint_filed_text: |due| {
        format!(
            "Phản ánh, kiến nghị của ông/bà đã được ghi nhận. Cơ quan giải quyết trả lời chậm nhất vào {due}."
        )
    },
    complaints_title: "Phản ánh, kiến nghị đã gửi",
    complaint_filed_label: "Ngày gửi",
    complaint_due_label: "Hạn trả lời",
    complaint_status_open: "Đang chờ trả lời",
    complaint_status_answered: "Đã trả lời",
    complaint_answer_label: "Trả lời",

    page_not_found_title: "Không tìm thấy trang",
    page_not_found_text: "Địa chỉ này không có trên trang tra cứu.",
    bad_request_title: "Yêu cầu không hợp lệ",
    bad_request_text: "Trình duyệt đã gửi một yêu cầu mà trang không đọc được. Vui lòng tra cứu \
        lại từ trang tra cứu.",
    unavailable_title: "Hệ thống tạm thời gián đoạn",
    unavailable_text: "Hiện chưa tra cứu được. Vui lòng thử lại sau ít phút.",
    home_link: "Về trang tra cứu",

    status: |s| match s {
        Status::Received => "Đã tiếp nhận",
        Status::Processing => "Đang giải quyết",
        Status::AwaitingSupplement => "Cần bổ sung hồ sơ",
        Status::AwaitingPayment => "Chờ nộp phí, lệ phí",
        Status::Resolved => "Đã có kết quả",
        Status::Returned => "Đã trả kết quả",
        Status::Rejected => "Không tiếp nhận",
        Status::Withdrawn => "Đã rút hồ sơ",
        Status::Stopped => "Đã dừng giải quyết",
    },
    status_explanation: |s| match s {
        Status::Received => {
            "Hồ sơ đã được tiếp nhận và sẽ được chuyển đến cơ quan có thẩm quyền giải quyết."
        }
        Status::Processing => "Hồ sơ đang được cơ quan có thẩm quyền xem xét, giải quyết.",
        Status::AwaitingSupplement => {
            "Cơ quan giải quyết đề nghị ông/bà bổ sung, hoàn thiện hồ sơ (xem bên dưới)."
        }
        Status::AwaitingPayment => {
            "Ông/bà cần nộp phí, lệ phí hoặc thực hiện nghĩa vụ tài chính để hồ sơ được tiếp tục \
             giải quyết."
        }
        Status::Resolved => {
            "Hồ sơ đã giải quyết xong. Mời ông/bà đến nơi đã nộp hồ sơ để nhận kết quả."
        }
        Status::Returned => "Kết quả giải quyết đã được trả cho ông/bà.",
        Status::Rejected => "Hồ sơ không được tiếp nhận giải quyết.",
        Status::Withdrawn => "Hồ sơ đã được rút theo đề nghị của người nộp.",
        Status::Stopped => "Cơ quan có thẩm quyền đã dừng giải quyết hồ sơ.",
    },
    timeliness: |t| match t {
        Timeliness::OnTrack => "Trong hạn",
        Timeliness::DueSoon => "Sắp đến hạn",
        Timeliness::Overdue => "Quá hạn",
        Timeliness::Paused => "Tạm dừng, chờ ông/bà bổ sung hoặc nộp phí",
        Timeliness::Early => "Giải quyết trước hạn",
        Timeliness::OnTime => "Giải quyết đúng hạn",
        Timeliness::Late => "Giải quyết quá hạn",
    },
    datetime: |t| t.format("%H:%M ngày %d/%m/%Y").to_string(),
    appointment: |t| {
        format!(
            "{}, {}, ngày {}",
            t.format("%H:%M"),
            weekday(t),
            t.format("%d/%m/%Y")
        )
    },
};

fn weekday(t: DateTime<FixedOffset>) -> &'static str {
    match t.weekday() {
        Weekday::Mon => "thứ Hai",
        Weekday::Tue => "thứ Ba",
        Weekday::Wed => "thứ Tư",
        Weekday::Thu => "thứ Năm",
        Weekday::Fri => "thứ Sáu",
        Weekday::Sat => "thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}
