//! A document as one HTML page that needs nothing else: A4 print styles (it prints as the PDF
//! lays out), the QR code as inline SVG, Vietnamese text as text. Also the HTML part of emails.

use std::fmt::Write;

use super::document::{Align, Block, Document, Orientation, Paragraph, Style};
use super::qr;
use crate::mail::escape;

const STYLE: &str = "\
html{background:#e6e6e6}\
body{margin:0;color:#000;font-family:'Times New Roman','Liberation Serif','DejaVu Serif',serif;font-size:13pt;line-height:1.35}\
.page{box-sizing:border-box;width:210mm;min-height:297mm;margin:6mm auto;padding:20mm 20mm 20mm 30mm;background:#fff;box-shadow:0 0 2mm rgba(0,0,0,.3)}\
.landscape .page{width:297mm;min-height:210mm;padding:15mm}\
.heading{display:flex;justify-content:space-between;gap:3mm;text-align:center;font-size:12pt}\
.issuer{flex:0 0 42%}.nation{flex:0 0 56%}\
.heading p{margin:0}\
.issuer .name,.nation .state,.nation .motto{font-weight:bold}\
.nation .motto{font-size:13pt}\
.nation .motto span{display:inline-block;padding-bottom:.6mm;border-bottom:.6pt solid #000}\
.rule{width:30%;margin:1mm auto 1.5mm;border:0;border-top:.6pt solid #000}\
.place-date{font-style:italic;margin-top:2.5mm!important}\
h1{font-size:14pt;text-align:center;margin:7mm 0 1mm}\
.subtitle{text-align:center;margin:0 0 2mm}\
.body p{margin:1.2mm 0}\
.body p strong{display:inline-block}\
.justify{text-align:justify}.left{text-align:left}.center{text-align:center}\
table{width:100%;border-collapse:collapse;margin:2mm 0;font-size:11pt;line-height:1.25}\
.landscape table{font-size:9pt}\
th,td{border:.6pt solid #000;padding:1mm 1.5mm;vertical-align:top;text-align:left}\
th{text-align:center;font-weight:bold}\
td.center{text-align:center}\
thead{display:table-header-group}\
tr{break-inside:avoid}\
.qr{display:flex;align-items:center;gap:4mm;margin:2mm 0}\
.qr svg{width:25mm;height:25mm;flex:none}\
.qr p{margin:0;font-style:italic;font-size:11pt}\
.signers{display:flex;justify-content:space-between;margin-top:5mm;break-inside:avoid}\
.signers.single{justify-content:flex-end}\
.signer{width:48%;text-align:center}\
.signer p{margin:0}\
.signer .title{font-weight:bold}\
.signer .hint{font-style:italic}\
.signer .name{font-weight:bold;margin-top:18mm}\
@media print{html{background:none}.page,.landscape .page{width:auto;min-height:0;margin:0;padding:0;box-shadow:none}}";

/// The whole page.
pub fn render(d: &Document) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let landscape = d.orientation == Orientation::Landscape;
    let page = if landscape {
        "@page{size:A4 landscape;margin:15mm}"
    } else {
        "@page{size:A4;margin:20mm 20mm 20mm 30mm}"
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"vi\"{}><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} – {}</title><style>{page}{STYLE}</style></head>\n<body><main class=\"page\">\n",
        if landscape {
            " class=\"landscape\""
        } else {
            ""
        },
        escape(&d.form),
        escape(&d.title),
    );
    out.push_str("<header class=\"heading\"><div class=\"issuer\">");
    if let Some(p) = &d.issuer.parent {
        let _ = write!(out, "<p class=\"parent\">{}</p>", escape(p));
    }
    let _ = write!(
        out,
        "<p class=\"name\">{}</p><hr class=\"rule\">",
        escape(&d.issuer.name)
    );
    if let Some(n) = &d.number {
        let _ = write!(out, "<p class=\"number\">{}</p>", escape(n));
    }
    let _ = write!(
        out,
        "</div><div class=\"nation\"><p class=\"state\">{}</p><p class=\"motto\"><span>{}</span></p>",
        escape(&d.national_heading),
        escape(&d.motto)
    );
    if let Some(p) = &d.place_date {
        let _ = write!(out, "<p class=\"place-date\">{}</p>", escape(p));
    }
    out.push_str("</div></header>\n");
    let _ = writeln!(out, "<h1>{}</h1>", escape(&d.title));
    for s in &d.subtitle {
        out.push_str("<p class=\"subtitle\">");
        runs(&mut out, s);
        out.push_str("</p>\n");
    }
    out.push_str("<div class=\"body\">\n");
    for b in &d.blocks {
        block(&mut out, b);
    }
    out.push_str("</div>\n");
    if !d.signers.is_empty() {
        let _ = write!(
            out,
            "<footer class=\"signers{}\">",
            if d.signers.len() == 1 { " single" } else { "" }
        );
        for s in &d.signers {
            let _ = write!(
                out,
                "<div class=\"signer\"><p class=\"title\">{}</p>",
                escape(&s.title)
            );
            if let Some(h) = &s.hint {
                let _ = write!(out, "<p class=\"hint\">{}</p>", escape(h));
            }
            let _ = write!(
                out,
                "<p class=\"name\">{}</p></div>",
                s.name.as_deref().map(escape).unwrap_or_default()
            );
        }
        out.push_str("</footer>\n");
    }
    out.push_str("</main></body></html>\n");
    out
}

fn align_class(a: Align) -> &'static str {
    match a {
        Align::Justify => "justify",
        Align::Left => "left",
        Align::Center => "center",
    }
}

fn runs(out: &mut String, p: &Paragraph) {
    for r in &p.runs {
        let text = escape(&r.text);
        match r.style {
            Style::Regular => out.push_str(&text),
            Style::Bold => {
                let _ = write!(out, "<strong>{text}</strong>");
            }
            Style::Italic => {
                let _ = write!(out, "<em>{text}</em>");
            }
        }
    }
}

fn block(out: &mut String, b: &Block) {
    match b {
        Block::Paragraph(p) => {
            // A browser justifies the line before a value that moved to the next line whole,
            // stretching it across the page: lines with values are set flush left.
            let align =
                if p.align == Align::Justify && p.runs.iter().any(|r| r.style == Style::Bold) {
                    Align::Left
                } else {
                    p.align
                };
            let _ = write!(out, "<p class=\"{}\">", align_class(align));
            runs(out, p);
            out.push_str("</p>\n");
        }
        Block::Table(t) => {
            let total: f32 = t
                .columns
                .iter()
                .map(|c| c.width)
                .sum::<f32>()
                .max(f32::EPSILON);
            out.push_str("<table><colgroup>");
            for c in &t.columns {
                let _ = write!(out, "<col style=\"width:{:.1}%\">", c.width * 100.0 / total);
            }
            out.push_str("</colgroup><thead><tr>");
            for c in &t.columns {
                let _ = write!(out, "<th scope=\"col\">{}</th>", escape(&c.header));
            }
            out.push_str("</tr></thead><tbody>\n");
            for r in &t.rows {
                out.push_str("<tr>");
                for (cell, c) in r.iter().zip(&t.columns) {
                    if c.align == Align::Center {
                        let _ = write!(out, "<td class=\"center\">{}</td>", escape(cell));
                    } else {
                        let _ = write!(out, "<td>{}</td>", escape(cell));
                    }
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n");
        }
        Block::Qr(q) => {
            out.push_str("<figure class=\"qr\">");
            if let Some(m) = qr::modules(&q.data) {
                let _ = write!(
                    out,
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {n} {n}\" role=\"img\" \
                     aria-label=\"{label}\" shape-rendering=\"crispEdges\"><rect width=\"{n}\" height=\"{n}\" \
                     fill=\"#fff\"/><path fill=\"#000\" d=\"{d}\"/></svg>",
                    n = m.size,
                    label = escape(&q.data),
                    d = m.svg_path(),
                );
            }
            let _ = writeln!(
                out,
                "<figcaption><p>{}</p><p>{}</p></figcaption></figure>",
                escape(&q.caption),
                escape(&q.data)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::dossier::{
        receipt,
        tests::{ctx, facts},
    };
    use crate::forms::texts::FormsSettings;

    #[test]
    fn the_page_is_a4_self_contained_and_escaped() {
        let texts = FormsSettings::default();
        let mut f = facts();
        f.applicant_name = "Nguyễn <b>An</b>".into();
        let html = render(&receipt(&f, &ctx(&texts)));
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("@page{size:A4;"));
        assert!(html.contains("<svg") && html.contains("role=\"img\""));
        assert!(html.contains("Nguyễn &lt;b&gt;An&lt;/b&gt;") && !html.contains("<b>An"));
        assert!(html.contains("09 giờ 10 phút, ngày 05 tháng 03 năm 2026"));
        // Nothing is loaded from elsewhere: the page prints offline.
        assert!(!html.contains("src=") && !html.contains("href="));
    }
}
