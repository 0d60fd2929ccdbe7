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
