//! The document every official form is built into, and every renderer reads: the layout of
//! an official document (national heading, agency, number, place and date, title, body, signer
//! block), with no notion of pages, pixels or markup.

/// One official document, ready to render as HTML, PDF or plain text.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Which form of Circular 03/2025 this is ("Mẫu số 01"): the PDF's subject, the page title.
    pub form: String,
    pub orientation: Orientation,
    /// The issuing agency, top left.
    pub issuer: Issuer,
    /// "Số: …" under the agency, if the form is numbered.
    pub number: Option<String>,
    /// "Huế, ngày 05 tháng 03 năm 2026", under the national heading.
    pub place_date: Option<String>,
    /// The national heading and motto (configuration).
    pub national_heading: String,
    pub motto: String,
    pub title: String,
    /// Centred lines under the title: the dossier code, a period.
    pub subtitle: Vec<Paragraph>,
    pub blocks: Vec<Block>,
    /// Signers left to right; a single one signs on the right, as on official letters.
    pub signers: Vec<Signer>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    Portrait,
    /// The register (Mẫu 07): a wide table.
    Landscape,
}

/// The agency that issues the document: its superior body's name above its own, as official
/// documents head them ("UBND HUYỆN PHÚ VANG" over "BỘ PHẬN MỘT CỬA").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub parent: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(Paragraph),
    Table(Table),
    /// The lookup QR code with its caption beside it.
    Qr(Qr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    pub runs: Vec<Run>,
    pub align: Align,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Body text: justified, the last line flush left.
    Justify,
    Left,
    Center,
}

/// A stretch of text in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub text: String,
    pub style: Style,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Regular,
    Bold,
    Italic,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    /// A share of the table's width (the shares need not add up to anything).
    pub width: f32,
    pub align: Align,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qr {
    /// What the code encodes.
    pub data: String,
    pub caption: String,
}

/// A signature block: the signer's title, a hint ("(Ký và ghi rõ họ tên)"), room to sign, the
/// name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub title: String,
    pub hint: Option<String>,
    pub name: Option<String>,
}

impl Run {
    pub fn regular(text: impl Into<String>) -> Self {
        Run {
            text: text.into(),
            style: Style::Regular,
        }
    }

    pub fn bold(text: impl Into<String>) -> Self {
        Run {
            text: text.into(),
            style: Style::Bold,
        }
    }

    pub fn italic(text: impl Into<String>) -> Self {
        Run {
            text: text.into(),
            style: Style::Italic,
        }
    }
}

impl Paragraph {
    pub fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }
}

impl Document {
    /// Every piece of text the document shows, in reading order: what a reader of the PDF or
    /// the page finds, for tests and for search.
    pub fn texts(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.issuer.parent.clone());
        out.push(self.issuer.name.clone());
        out.extend(self.number.clone());
        out.push(self.national_heading.clone());
        out.push(self.motto.clone());
        out.extend(self.place_date.clone());
        out.push(self.title.clone());
        out.extend(self.subtitle.iter().map(Paragraph::text));
        for b in &self.blocks {
            match b {
                Block::Paragraph(p) => out.push(p.text()),
                Block::Table(t) => {
                    out.extend(t.columns.iter().map(|c| c.header.clone()));
                    out.extend(t.rows.iter().flatten().cloned());
                }
                Block::Qr(q) => out.push(q.caption.clone()),
            }
        }
        for s in &self.signers {
            out.push(s.title.clone());
            out.extend(s.hint.clone());
            out.extend(s.name.clone());
        }
        out
    }
}
