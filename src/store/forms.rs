//! Reading the facts the official forms are built from (`forms::facts`): a dossier with its
//! steps, events, agencies and the names of the staff who acted; a letter; an office's register.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::catalog::Catalog;
use super::dossiers::{self, Dossier, Event, Step};
use crate::authz::Scope;
use crate::db::schema::{
    apology_letters as al, dossier_steps as ds, dossiers as d, offices, users,
};
use crate::db::{DbConn, from_db};
use crate::domain::dossier::{Channel, Status};
use crate::domain::timeliness::Timeliness;
use crate::error::{AppError, AppResult};
use crate::forms::facts::{
    Agency, ClosingFacts, DossierFacts, LetterFacts, RegisterFacts, RegisterLine, StepFacts,
    SupplementFacts,
};
use crate::store::letters::Letter;

/// Offices by code, with their parent's name and their head, in two queries.
fn agencies(conn: &mut DbConn, codes: &BTreeSet<String>) -> AppResult<HashMap<String, Agency>> {
    let rows: Vec<(String, String, Option<String>, Option<String>)> = offices::table
        .filter(offices::code.eq_any(codes))
        .select((
            offices::code,
            offices::name,
            offices::parent_code,
            offices::head_name,
        ))
        .load(conn)?;
    let parents: BTreeSet<String> = rows.iter().filter_map(|r| r.2.clone()).collect();
    let parent_names: HashMap<String, String> = if parents.is_empty() {
        HashMap::new()
    } else {
        offices::table
            .filter(offices::code.eq_any(&parents))
            .select((offices::code, offices::name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|(code, name, parent, head_name)| {
            let parent_name = parent.and_then(|p| parent_names.get(&p).cloned());
            (
                code.clone(),
                Agency {
                    code,
                    name,
                    parent_name,
                    head_name,
                },
            )
        })
        .collect())
}

/// Staff's full names by username (accounts without one are left out).
fn full_names(
    conn: &mut DbConn,
    usernames: &BTreeSet<String>,
) -> AppResult<HashMap<String, String>> {
    if usernames.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::table
        .filter(users::username.eq_any(usernames))
        .filter(users::full_name.is_not_null())
        .select((users::username, users::full_name.assume_not_null()))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

fn parse_status(s: &str) -> AppResult<Status> {
    Status::parse(s).ok_or_else(|| AppError::Internal(format!("unknown status {s}")))
}

fn parse_timeliness(s: Option<&str>) -> Option<Timeliness> {
    s.and_then(Timeliness::parse)
}

fn data(e: &Event) -> serde_json::Value {
    e.data
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn text_of(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Builds the facts from a dossier already read, with its steps.
fn facts_of(
    conn: &mut DbConn,
    catalog: &Catalog,
    dossier: Dossier,
    steps: Vec<Step>,
) -> AppResult<DossierFacts> {
    let events = dossiers::all_events(conn, dossier.id)?;
    let procedure = catalog
        .procedure(conn, &dossier.procedure_code)?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "dossier {} names unknown procedure {}",
                dossier.code, dossier.procedure_code
            ))
        })?;
    let mut codes: BTreeSet<String> = steps.iter().map(|s| s.office_code.clone()).collect();
    codes.insert(dossier.office_code.clone());
    let agencies = agencies(conn, &codes)?;
    let agency = |code: &str| -> Agency {
        agencies.get(code).cloned().unwrap_or_else(|| Agency {
            code: code.to_owned(),
            name: code.to_owned(),
            parent_name: None,
            head_name: None,
        })
    };
    let actors: BTreeSet<String> = events.iter().map(|e| e.actor.clone()).collect();
    let names = full_names(conn, &actors)?;
    let name = |actor: &str| names.get(actor).cloned();

    let received_by = events
        .iter()
        .find(|e| e.action == "received")
        .and_then(|e| name(&e.actor));
    let closing = |action: &str| {
        events.iter().rev().find(|e| e.action == action).map(|e| {
            let data = data(e);
            ClosingFacts {
                at: from_db(e.at),
                reason: text_of(&data, "reason"),
                by: name(&e.actor),
            }
        })
    };
    let supplement_requests = events
        .iter()
        .filter(|e| e.action == "request-supplement")
        .map(|e| {
            let data = data(e);
            SupplementFacts {
                at: from_db(e.at),
                items: data
                    .get("items")
                    .and_then(serde_json::Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|i| i.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                reason: text_of(&data, "reason"),
                by: name(&e.actor),
            }
        })
        .collect();
    // The transfer that opened a step: the one naming the step's number, or (events recorded
    // before they did) the one to its office at the instant it was received there.
    let transfers: Vec<(&Event, serde_json::Value)> = events
        .iter()
        .filter(|e| e.action == "transfer")
        .map(|e| (e, data(e)))
        .collect();
    let steps = steps
        .into_iter()
        .map(|s| {
            let opened_by = transfers
                .iter()
                .find(|(_, d)| {
                    d.get("step").and_then(serde_json::Value::as_i64) == Some(i64::from(s.seq))
                })
                .or_else(|| {
                    transfers.iter().find(|(e, d)| {
                        e.at == s.received_at && text_of(d, "to_office_code") == s.office_code
                    })
                })
                .map(|(e, _)| *e);
            StepFacts {
                seq: s.seq,
                agency: agency(&s.office_code),
                received_at: from_db(s.received_at),
                deadline_at: from_db(s.deadline_at),
                completed_at: s.completed_at.map(from_db),
                verdict: parse_timeliness(s.timeliness.as_deref()),
                handed_over_by: opened_by.and_then(|e| name(&e.actor).or(Some(e.actor.clone()))),
            }
        })
        .collect();
    let status = parse_status(&dossier.status)?;
    Ok(DossierFacts {
        processing_time: dossier.deadline_basis()?.time,
        channel: Channel::parse(&dossier.channel).ok_or_else(|| {
            AppError::Internal(format!("dossier {} has unknown channel", dossier.code))
        })?,
        status,
        procedure_name: procedure.name.clone(),
        field: procedure.field.clone(),
        office: agency(&dossier.office_code),
        received_by,
        received_at: from_db(dossier.received_at),
        due_at: from_db(dossier.due_at),
        rescheduled_due_at: dossier.rescheduled_due_at.map(from_db),
        resolved_at: dossier.resolved_at.map(from_db),
        returned_at: dossier.returned_at.map(from_db),
        final_timeliness: parse_timeliness(dossier.final_timeliness.as_deref()),
        components: crate::store::files::receipt_lines(conn, &dossier)?,
        digitised_components: dossier.components_digitised_at.is_some(),
        digitised_result: dossier.result_digitised_at.is_some(),
        steps,
        supplement_requests,
        refusal: if status == Status::Rejected {
            closing("reject")
        } else {
            None
        },
        stop: if status == Status::Stopped {
            closing("stop")
        } else {
            None
        },
        code: dossier.code,
        procedure_code: dossier.procedure_code,
        applicant_name: dossier.applicant_full_name,
        applicant_address: dossier.applicant_address,
    })
}

/// The facts of a dossier the scope may see, or `None` (404, as for the dossier itself).
pub fn dossier_facts(
    conn: &mut DbConn,
    catalog: &Catalog,
    code: &str,
    scope: &Scope,
) -> AppResult<Option<DossierFacts>> {
    match dossiers::find_visible(conn, code, scope)? {
        Some((dossier, steps)) => facts_of(conn, catalog, dossier, steps).map(Some),
        None => Ok(None),
    }
}

/// A letter with its dossier's facts; with a scope, only if the scope may see the dossier.
pub fn letter_facts(
    conn: &mut DbConn,
    catalog: &Catalog,
    letter_id: i64,
    scope: Option<&Scope>,
) -> AppResult<Option<(LetterFacts, DossierFacts)>> {
    let Some((letter, code)) = al::table
        .inner_join(d::table)
        .filter(al::id.eq(letter_id))
        .select((Letter::as_select(), d::code))
        .first::<(Letter, String)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let found = match scope {
        Some(scope) => dossiers::find_visible(conn, &code, scope)?,
        None => dossiers::find_with_steps(conn, &code)?,
    };
    let Some((dossier, steps)) = found else {
        return Ok(None);
    };
    let office: BTreeSet<String> = [letter.responsible_office_code.clone()].into();
    let agency = agencies(conn, &office)?
        .remove(&letter.responsible_office_code)
        .unwrap_or_else(|| Agency {
            code: letter.responsible_office_code.clone(),
            name: letter.responsible_office_code.clone(),
            parent_name: None,
            head_name: None,
        });
    let facts = facts_of(conn, catalog, dossier, steps)?;
    Ok(Some((
        LetterFacts {
            number: letter.number,
            reason: letter.reason,
            original_due_at: from_db(letter.original_due_at),
            new_due_at: from_db(letter.new_due_at),
            created_at: from_db(letter.created_at),
            agency,
            signer_name: letter.signer_name,
        },
        facts,
    )))
}

/// The register: the dossiers the office received in [start, end), in order of receipt, with
/// when each first left the counter.
pub fn register(
    conn: &mut DbConn,
    catalog: &Catalog,
    office_code: &str,
    (from, to): (NaiveDate, NaiveDate),
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<Option<RegisterFacts>> {
    let codes: BTreeSet<String> = [office_code.to_owned()].into();
    let Some(office) = agencies(conn, &codes)?.remove(office_code) else {
        return Ok(None);
    };
    type Row = (
        (
            String,
            String,
            String,
            Option<String>,
            String,
            NaiveDateTime,
            NaiveDateTime,
            Option<NaiveDateTime>,
        ),
        (
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            String,
            Option<String>,
        ),
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = d::table
        .left_join(ds::table.on(ds::dossier_id.eq(d::id).and(ds::seq.eq(1))))
        .filter(d::office_code.eq(office_code))
        .filter(d::received_at.ge(crate::db::to_db(start)))
        .filter(d::received_at.lt(crate::db::to_db(end)))
        .order((d::received_at.asc(), d::code.asc()))
        .select((
            (
                d::code,
                d::procedure_code,
                d::applicant_full_name,
                d::applicant_address,
                d::responsible_office_code,
                d::received_at,
                d::due_at,
                d::rescheduled_due_at,
            ),
            (
                d::resolved_at,
                d::returned_at,
                d::status,
                d::final_timeliness,
            ),
            ds::received_at.nullable(),
        ))
        .load(conn)?;
    let mut lines = Vec::with_capacity(rows.len());
    for (
        (code, procedure_code, name, address, responsible, received, due, rescheduled),
        (resolved, returned, status, verdict),
        transferred,
    ) in rows
    {
        let procedure_name = catalog
            .procedure(conn, &procedure_code)?
            .map_or_else(|| procedure_code.clone(), |p| p.name.clone());
        let responsible_office_name = catalog
            .office_name(conn, &responsible)?
            .map_or_else(|| responsible.clone(), |n| n.to_string());
        lines.push(RegisterLine {
            code,
            procedure_code,
            procedure_name,
            applicant_name: name,
            applicant_address: address,
            responsible_office_code: responsible,
            responsible_office_name,
            received_at: from_db(received),
            due_at: from_db(due),
            rescheduled_due_at: rescheduled.map(from_db),
            transferred_at: transferred.map(from_db),
            resolved_at: resolved.map(from_db),
            returned_at: returned.map(from_db),
            status: parse_status(&status)?,
            final_timeliness: parse_timeliness(verdict.as_deref()),
        });
    }
    Ok(Some(RegisterFacts {
        office,
        from,
        to,
        lines,
    }))
}
