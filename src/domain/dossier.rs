//! Dossier statuses (the national sync set), channels and staff roles.

use serde::{Deserialize, Serialize};

/// A dossier's status, with its number in the national synchronisation set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Đã tiếp nhận: accepted, the clock is running.
    Received,
    /// Đang xử lý: a step at an agency is open.
    Processing,
    /// Chờ bổ sung: waiting for the citizen to complete the dossier.
    AwaitingSupplement,
    /// Chờ thực hiện nghĩa vụ tài chính.
    AwaitingPayment,
    /// Đã xử lý xong: result ready, or a reasoned refusal.
    Resolved,
    /// Đã trả kết quả.
    Returned,
    /// Không tiếp nhận.
    Rejected,
    /// Rút hồ sơ theo yêu cầu của công dân.
    Withdrawn,
    /// Dừng xử lý.
    Stopped,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Received,
        Status::Processing,
        Status::AwaitingSupplement,
        Status::AwaitingPayment,
        Status::Resolved,
        Status::Returned,
        Status::Rejected,
        Status::Withdrawn,
        Status::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Processing => "processing",
            Status::AwaitingSupplement => "awaiting_supplement",
            Status::AwaitingPayment => "awaiting_payment",
            Status::Resolved => "resolved",
            Status::Returned => "returned",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
            Status::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The number of this status in the national synchronisation set.
    pub fn national_code(self) -> i32 {
        match self {
            Status::Received => 2,
            Status::Rejected => 3,
            Status::Processing => 4,
            Status::AwaitingSupplement => 5,
            Status::AwaitingPayment => 6,
            Status::Withdrawn => 7,
            Status::Stopped => 8,
            Status::Resolved => 9,
            Status::Returned => 10,
        }
    }

    /// Still with the administration (its deadline matters).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Received
                | Status::Processing
                | Status::AwaitingSupplement
                | Status::AwaitingPayment
        )
    }

    /// Waiting on the citizen: the clock does not run against the office.
    pub fn is_paused(self) -> bool {
        matches!(self, Status::AwaitingSupplement | Status::AwaitingPayment)
    }

    /// Finished with a result, judged early / on time / late.
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Resolved | Status::Returned)
    }
}

/// How the dossier reached the office; reports split online from counter + postal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Trực tiếp.
    Counter,
    /// Bưu chính.
    Postal,
    /// Trực tuyến.
    Online,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Counter, Channel::Postal, Channel::Online];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Counter => "counter",
            Channel::Postal => "postal",
            Channel::Online => "online",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Cán bộ tiếp nhận at the one-stop counter.
    Clerk,
    /// Cán bộ xử lý at a competent agency.
    Officer,
    /// Lãnh đạo / giám sát: an officer's powers over an office and those below it, plus reports.
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Clerk, Role::Officer, Role::Supervisor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_codes_follow_the_sync_set() {
        let codes: Vec<(&str, i32)> = Status::ALL
            .iter()
            .map(|s| (s.as_str(), s.national_code()))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("received", 2),
                ("processing", 4),
                ("awaiting_supplement", 5),
                ("awaiting_payment", 6),
                ("resolved", 9),
                ("returned", 10),
                ("rejected", 3),
                ("withdrawn", 7),
                ("stopped", 8),
            ]
        );
    }

    #[test]
    fn names_round_trip() -> Result<(), Box<dyn std::error::Error>> {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s)?, s.as_str());
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Status::parse("done"), None);
        Ok(())
    }

    #[test]
    fn open_paused_and_finished_partition_the_statuses() {
        for s in Status::ALL {
            let closed_unfinished =
                matches!(s, Status::Rejected | Status::Withdrawn | Status::Stopped);
            assert_eq!(
                s.is_open() as u8 + s.is_finished() as u8 + closed_unfinished as u8,
                1,
                "{s:?}"
            );
            assert!(!s.is_paused() || s.is_open());
        }
    }
}
