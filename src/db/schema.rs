//! The tables, in the types both backends share: ids as BigInt, instants as Timestamp holding
//! UTC (truncated to microseconds), dates as Date, JSON as Text. Kept by hand to match both
//! migrations trees.

diesel::table! {
    offices (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        head_name -> Nullable<Text>,
        parent_code -> Nullable<Text>,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        successor_code -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        office_code -> Nullable<Text>,
        full_name -> Nullable<Text>,
        email -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        token_version -> BigInt,
    }
}

diesel::table! {
    procedures (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        field -> Text,
        office_code -> Text,
        processing_amount -> Integer,
        processing_unit -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossiers (id) {
        id -> BigInt,
        code -> Text,
        office_code -> Text,
        day -> Date,
        seq -> Integer,
        procedure_code -> Text,
        channel -> Text,
        applicant_full_name -> Text,
        applicant_id_number -> Text,
        applicant_phone -> Nullable<Text>,
        applicant_email -> Nullable<Text>,
        applicant_address -> Nullable<Text>,
        note -> Nullable<Text>,
        status -> Text,
        status_before_pause -> Nullable<Text>,
        paused_at -> Nullable<Timestamp>,
        received_at -> Timestamp,
        clock_started_at -> Timestamp,
        due_at -> Timestamp,
        rescheduled_due_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        returned_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        final_timeliness -> Nullable<Text>,
        responsible_office_code -> Text,
        deadline_trace -> Text,
        reappointment_used -> Bool,
        processing_amount -> Integer,
        processing_unit -> Text,
        paused_secs -> BigInt,
        version -> Integer,
        closed_at -> Nullable<Timestamp>,
        supplement_requests -> Integer,
        national_synced_version -> Nullable<Integer>,
        procedure_version -> Integer,
        notify_channels -> Nullable<Text>,
        components_digitised_at -> Nullable<Timestamp>,
        result_digitised_at -> Nullable<Timestamp>,
        rating -> Nullable<Text>,
        rating_comment -> Nullable<Text>,
        rated_at -> Nullable<Timestamp>,
        first_complaint_at -> Nullable<Timestamp>,
        national_synced_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    dossier_events (id) {
        id -> BigInt,
        dossier_id -> BigInt,
        seq -> Integer,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor -> Text,
        at -> Timestamp,
        recorded_at -> Timestamp,
        note -> Nullable<Text>,
        data -> Nullable<Text>,
        office_code -> Nullable<Text>,
        feed_position -> Nullable<BigInt>,
    }
}

diesel::table! {
    dossier_steps (id) {
        id -> BigInt,
        dossier_id -> BigInt,
        seq -> Integer,
        office_code -> Text,
        received_at -> Timestamp,
        deadline_amount -> Integer,
        deadline_unit -> Text,
        deadline_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
        timeliness -> Nullable<Text>,
    }
}

diesel::table! {
    dossier_counters (office_code, day) {
        office_code -> Text,
        day -> Date,
        last_seq -> Integer,
    }
}

diesel::table! {
    calendar_overrides (date) {
        date -> Date,
        kind -> Text,
        name -> Text,
        source -> Nullable<Text>,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    calendar_audit (id) {
        id -> BigInt,
        date -> Date,
        action -> Text,
        old_kind -> Nullable<Text>,
        old_name -> Nullable<Text>,
        new_kind -> Nullable<Text>,
        new_name -> Nullable<Text>,
        actor -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    apology_letters (id) {
        id -> BigInt,
        dossier_id -> BigInt,
        number -> Text,
        office_code -> Text,
        year -> Integer,
        seq -> Integer,
        reason -> Text,
        original_due_at -> Timestamp,
        new_due_at -> Timestamp,
        created_at -> Timestamp,
        automatic -> Bool,
        missed_duty -> Bool,
        responsible_office_code -> Text,
        signer_name -> Nullable<Text>,
        delivery_status -> Text,
        attempts -> Integer,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        message_id -> Text,
    }
}

diesel::table! {
    letter_counters (office_code, year) {
        office_code -> Text,
        year -> Integer,
        last_seq -> Integer,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        dedupe_key -> Text,
        letter_id -> Nullable<BigInt>,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        message_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        channel -> Text,
        dossier_id -> Nullable<BigInt>,
        dossier_code -> Nullable<Text>,
        office_code -> Nullable<Text>,
        data -> Nullable<Text>,
        webhook_id -> Nullable<BigInt>,
        payload -> Nullable<Text>,
        event_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        target -> Text,
        url -> Text,
        events -> Nullable<Text>,
        description -> Text,
        secret -> Text,
        enabled -> Bool,
        consecutive_failures -> Integer,
        disabled_at -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        outbox_id -> BigInt,
        webhook_id -> BigInt,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        duration_ms -> Integer,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    dossier_alerts (id) {
        id -> BigInt,
        dossier_id -> BigInt,
        kind -> Text,
        due_at -> Timestamp,
        office_code -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (username, scope, key) {
        username -> Text,
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        status_code -> Integer,
        response_body -> Text,
        location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossier_files (id) {
        id -> Text,
        dossier_id -> BigInt,
        kind -> Text,
        component_code -> Nullable<Text>,
        slot -> Text,
        version -> Integer,
        filename -> Text,
        media_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        uploaded_at -> Timestamp,
        uploaded_by -> Text,
    }
}

diesel::table! {
    rating_links (token_hash) {
        token_hash -> Text,
        dossier_id -> BigInt,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    complaints (id) {
        id -> BigInt,
        dossier_id -> BigInt,
        dossier_code -> Text,
        office_code -> Text,
        kind -> Text,
        text -> Text,
        filed_at -> Timestamp,
        due_at -> Timestamp,
        answer -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        answered_by -> Nullable<Text>,
        answered_late -> Nullable<Bool>,
    }
}

diesel::joinable!(rating_links -> dossiers (dossier_id));
diesel::joinable!(complaints -> dossiers (dossier_id));
diesel::joinable!(dossier_events -> dossiers (dossier_id));
diesel::joinable!(dossier_files -> dossiers (dossier_id));
diesel::joinable!(dossier_steps -> dossiers (dossier_id));
diesel::joinable!(apology_letters -> dossiers (dossier_id));
diesel::joinable!(webhook_attempts -> webhooks (webhook_id));
diesel::joinable!(outbox -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    offices,
    users,
    procedures,
    dossiers,
    dossier_events,
    dossier_steps,
    dossier_counters,
    calendar_overrides,
    calendar_audit,
    apology_letters,
    letter_counters,
    outbox,
    dossier_alerts,
    idempotency_keys,
    webhooks,
    webhook_attempts,
    dossier_files,
    rating_links,
    complaints
);

diesel::table! {
    user_changes (id) {
        id -> BigInt,
        username -> Text,
        actor -> Text,
        at -> Timestamp,
        changes -> Text,
    }
}

diesel::table! {
    catalog_revisions (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    procedure_versions (id) {
        id -> BigInt,
        procedure_code -> Text,
        version -> Integer,
        effective_from -> Nullable<Date>,
        name -> Text,
        processing_amount -> Integer,
        processing_unit -> Text,
        components -> Text,
        fees -> Text,
        active -> Bool,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    office_changes (id) {
        id -> BigInt,
        office_code -> Text,
        actor -> Text,
        at -> Timestamp,
        changes -> Text,
    }
}
