//! The official forms of Circular 03/2025/TT-VPCP (Mẫu 01–07), pure: one function per form builds
//! a `Document` from the stored facts, and three renderers turn any document into HTML (A4 print
//! styles, the QR code as inline SVG), PDF (A4, fonts embedded, the QR code as vector paths) and
//! plain text (emails). Storage reads the facts (`store::forms`); the API serves the results
//! (`api::forms`).

pub mod apology;
pub mod document;
pub mod dossier;
pub mod facts;
pub mod html;
pub mod pdf;
pub mod qr;
pub mod register;
pub mod samples;
pub mod text;
pub mod texts;
pub mod vi;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use document::{Align, Block, Document, Issuer, Orientation, Paragraph, Run, Signer};
use facts::Agency;
use texts::{Facts, FormsSettings, Parts};

pub use dossier::{DossierForm, build as build_dossier_form};

/// What every form needs besides its facts.
#[derive(Debug, Clone, Copy)]
pub struct FormContext<'a> {
    pub texts: &'a FormsSettings,
    pub tz: Tz,
    /// `public.base_url`, without a trailing slash.
    pub base_url: &'a str,
}

/// Why a form does not apply to a dossier (a refusal for a dossier not rejected…): the API's
/// 404 detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotApplicable(pub String);

/// What the QR code of Mẫu 01 and Mẫu 04 encodes: the citizen's lookup page for the code.
pub fn lookup_url(base_url: &str, code: &str) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .finish();
    format!("{}/tra-cuu?{query}", base_url.trim_end_matches('/'))
}

/// The issuer heading of an agency's documents: its body's name over its own, in capitals.
fn issuer(agency: &Agency) -> Issuer {
    Issuer {
        parent: agency.parent_name.as_deref().map(vi::upper),
        name: vi::upper(&agency.name),
    }
}

/// The names whose template line is a table or the QR code.
const BLOCK_NAMES: &[&str] = &["items", "components", "steps", "rows", "qr"];

/// What a form is made of besides its texts.
struct Frame<'a> {
    issuer: &'a Agency,
    /// The instant of the place and date line.
    dated: Option<DateTime<Utc>>,
    signers: Vec<Signer>,
    orientation: Orientation,
}

/// Lays a form's texts over its facts: the heading, the title, the legal basis, the body lines
/// (each filled, or left out when a fact is missing; a block name places its blocks), the
/// signers.
fn compose(
    ctx: &FormContext<'_>,
    parts: Parts<'_>,
    frame: Frame<'_>,
    facts: &dyn Facts,
    blocks: &dyn Fn(&str) -> Vec<Block>,
) -> Document {
    let mut body = Vec::new();
    if !parts.legal_basis.trim().is_empty() {
        body.push(Block::Paragraph(Paragraph {
            runs: vec![Run::italic(parts.legal_basis)],
            align: Align::Justify,
        }));
    }
    for line in parts.body {
        let name = line
            .trim()
            .strip_prefix('{')
            .and_then(|l| l.strip_suffix('}'));
        if let Some(name) = name.filter(|n| BLOCK_NAMES.contains(n)) {
            body.extend(blocks(name));
        } else if let Some(p) = texts::fill_paragraph(line, facts, Align::Justify) {
            body.push(Block::Paragraph(p));
        }
    }
    let number = Some(parts.number)
        .filter(|n| !n.trim().is_empty())
        .and_then(|n| texts::fill_text(n, facts))
        .map(|n| format!("Số: {n}"));
    Document {
        form: parts.label.to_owned(),
        orientation: frame.orientation,
        issuer: issuer(frame.issuer),
        number,
        place_date: frame
            .dated
            .map(|t| vi::place_date(ctx.texts.place_for(&frame.issuer.code), t, ctx.tz)),
        national_heading: ctx.texts.national_heading.clone(),
        motto: ctx.texts.motto.clone(),
        title: parts.title.to_owned(),
        subtitle: parts
            .subtitle
            .iter()
            .filter_map(|t| texts::fill_paragraph(t, facts, Align::Center))
            .collect(),
        blocks: body,
        signers: frame.signers,
    }
}

/// A signer from a form's texts, or none when the form names no signer.
fn signer(parts: &Parts<'_>, name: Option<&str>) -> Option<Signer> {
    if parts.signer_title.trim().is_empty() {
        return None;
    }
    Some(Signer {
        title: parts.signer_title.to_owned(),
        hint: Some(parts.signer_hint.to_owned()).filter(|h| !h.trim().is_empty()),
        name: name.map(str::to_owned),
    })
}

/// A reason as a sentence writes it: without the full stop the template adds.
fn reason(s: &str) -> String {
    s.trim().trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lookup_url_is_the_citizen_page_for_the_code() {
        assert_eq!(
            lookup_url("http://127.0.0.1:8080/", "000.00.24.H40-261125-0001"),
            "http://127.0.0.1:8080/tra-cuu?code=000.00.24.H40-261125-0001"
        );
    }
}
