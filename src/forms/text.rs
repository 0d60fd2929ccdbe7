//! A document as plain text: the text part of the emails that carry a form.

use super::document::{Block, Document};

pub fn render(d: &Document) -> String {
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    if let Some(p) = &d.issuer.parent {
        line(p);
    }
    line(&d.issuer.name);
    if let Some(n) = &d.number {
        line(n);
    }
    line("");
    line(&d.national_heading);
    line(&d.motto);
    if let Some(p) = &d.place_date {
        line(p);
    }
    line("");
    line(&d.title);
    for s in &d.subtitle {
        line(&s.text());
    }
    for b in &d.blocks {
        line("");
        match b {
            Block::Paragraph(p) => line(&p.text()),
            Block::Table(t) => {
                line(
                    &t.columns
                        .iter()
                        .map(|c| c.header.as_str())
                        .collect::<Vec<_>>()
                        .join(" | "),
                );
                for r in &t.rows {
                    line(&r.join(" | "));
                }
            }
            Block::Qr(q) => {
                line(&q.caption);
                line(&q.data);
            }
        }
    }
    for s in &d.signers {
        line("");
        line(&s.title);
        if let Some(n) = &s.name {
            line(n);
        }
    }
    out
}
