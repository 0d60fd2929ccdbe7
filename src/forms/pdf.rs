//! A document as a PDF: A4, DejaVu Serif embedded (subset) so that Vietnamese prints and reads
//! back right on any machine, text shaped with rustybuzz and kept as text (selectable,
//! extractable), the QR code as vector rectangles. Layout is two steps: the document is laid
//! out into pages of drawing operations (line breaking, tables split across pages with their
//! header repeated, blocks kept together), then krilla writes them.

use std::ops::Range;
use std::sync::LazyLock;

use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};

use super::document::{Align, Block, Document, Orientation, Paragraph, Run, Signer, Style, Table};
use super::qr;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif-Bold.ttf");
static ITALIC: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif-Italic.ttf");

/// A face to shape with and the same font for krilla to embed.
struct Face {
    shaper: rustybuzz::Face<'static>,
    font: Font,
    upem: f32,
}

struct Fonts {
    regular: Face,
    bold: Face,
    italic: Face,
}

impl Fonts {
    fn load() -> Option<Self> {
        let face = |bytes: &'static [u8]| -> Option<Face> {
            let shaper = rustybuzz::Face::from_slice(bytes, 0)?;
            let upem = shaper.units_per_em() as f32;
            Some(Face {
                shaper,
                font: Font::new(bytes.into(), 0)?,
                upem,
            })
        };
        Some(Fonts {
            regular: face(REGULAR)?,
            bold: face(BOLD)?,
            italic: face(ITALIC)?,
        })
    }

    fn get(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
            Style::Italic => &self.italic,
        }
    }
}

/// Parsed once per process: the fonts are part of the binary.
static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(Fonts::load);

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;

/// Renders the document; an error only if the embedded fonts cannot be read or krilla fails.
pub fn render(d: &Document) -> Result<Vec<u8>, String> {
    let fonts = FONTS
        .as_ref()
        .ok_or("the embedded DejaVu Serif fonts cannot be read")?;
    let mut layout = Layout::new(fonts, d.orientation);
    layout.document(d);
    let pages = layout.finish();
    write(fonts, d, pages)
}

// ---- shaping and line breaking ----

/// A shaped glyph: advance in ems, its text in its run.
#[derive(Debug, Clone)]
struct Glyph {
    id: u32,
    advance: f32,
    x_offset: f32,
    y_offset: f32,
    range: Range<usize>,
    /// A space: a line may end here, and justification widens it.
    space: bool,
    /// A line may end after it ("-", "/"), keeping it.
    break_after: bool,
}

fn shape(face: &Face, text: &str) -> Vec<Glyph> {
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.set_direction(rustybuzz::Direction::LeftToRight);
    buffer.guess_segment_properties();
    let out = rustybuzz::shape(&face.shaper, &[], buffer);
    let infos = out.glyph_infos();
    let positions = out.glyph_positions();
    let mut glyphs = Vec::with_capacity(infos.len());
    for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
        let start = info.cluster as usize;
        let end = infos[i + 1..]
            .iter()
            .map(|n| n.cluster as usize)
            .find(|&c| c > start)
            .unwrap_or(text.len());
        let piece = text.get(start..end).unwrap_or("");
        // A URL may break after a slash ("…:8080/" "tra-cuu"), a date ("05/03/2026") and
        // "http://" may not.
        let next = text.get(end..).and_then(|rest| rest.chars().next());
        let glued = next.is_some_and(|c| c.is_ascii_digit() || c == '/');
        glyphs.push(Glyph {
            id: info.glyph_id,
            advance: pos.x_advance as f32 / face.upem,
            x_offset: pos.x_offset as f32 / face.upem,
            y_offset: pos.y_offset as f32 / face.upem,
            range: start..end,
            space: piece == " ",
            break_after: piece == "-" || (piece == "/" && !glued),
        });
    }
    glyphs
}

/// A run's text and glyphs.
struct ShapedRun {
    style: Style,
    text: String,
    glyphs: Vec<Glyph>,
}

/// A glyph of a paragraph: which run, which glyph.
#[derive(Clone, Copy)]
struct At {
    run: usize,
    glyph: usize,
}

/// One laid-out line: the glyphs it shows (indices into the paragraph), its natural width, and
/// whether it ends its paragraph (not justified).
struct Line {
    items: Vec<At>,
    width: f32,
    last: bool,
}

struct Shaped {
    runs: Vec<ShapedRun>,
    items: Vec<At>,
}

impl Shaped {
    fn new(fonts: &Fonts, runs: &[Run]) -> Self {
        let runs: Vec<ShapedRun> = runs
            .iter()
            .filter(|r| !r.text.is_empty())
            .map(|r| {
                // Line breaks and tabs inside a value are spaces on a form.
                let text: String = r
                    .text
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                ShapedRun {
                    style: r.style,
                    glyphs: shape(fonts.get(r.style), &text),
                    text,
                }
            })
            .collect();
        let items = runs
            .iter()
            .enumerate()
            .flat_map(|(run, r)| (0..r.glyphs.len()).map(move |glyph| At { run, glyph }))
            .collect();
        Shaped { runs, items }
    }

    fn glyph(&self, at: At) -> &Glyph {
        &self.runs[at.run].glyphs[at.glyph]
    }

    /// Greedy line breaking at spaces; a word wider than the line breaks after a "-" or a URL's
    /// "/", or else where it overflows. A filled-in value (a bold run) that fits on a line is
    /// kept on one: "09 giờ 10 phút, ngày 05 tháng 03 năm 2026" moves to the next line whole
    /// rather than split.
    fn lines(&self, size: f32, max: f32) -> Vec<Line> {
        let n = self.items.len();
        let kept: Vec<bool> = self
            .runs
            .iter()
            .map(|r| {
                r.style == Style::Bold
                    && r.glyphs.iter().map(|g| g.advance * size).sum::<f32>() <= max
            })
            .collect();
        let breakable = |j: usize| !kept[self.items[j].run];
        let mut lines = Vec::new();
        let mut start = 0;
        while start < n {
            let mut width = 0.0;
            // (end of this line, start of the next) at the last space, and after the last "-"
            // or "/": those only for a word too long for a line of its own (a text extractor
            // takes a hyphen ending a line for a soft one and drops it).
            let mut at_space: Option<(usize, usize)> = None;
            let mut in_word: Option<(usize, usize)> = None;
            let mut cut = (n, n);
            let mut j = start;
            while j < n {
                let g = self.glyph(self.items[j]);
                let w = g.advance * size;
                if width + w > max && j > start {
                    cut = if g.space && breakable(j) {
                        (j, j + 1)
                    } else {
                        at_space.or(in_word).unwrap_or((j, j))
                    };
                    break;
                }
                width += w;
                if g.space && breakable(j) {
                    at_space = Some((j, j + 1));
                } else if g.break_after && breakable(j) {
                    in_word = Some((j + 1, j + 1));
                }
                j += 1;
            }
            let (mut end, mut next) = cut;
            while end > start && self.glyph(self.items[end - 1]).space {
                end -= 1;
            }
            while next < n && self.glyph(self.items[next]).space {
                next += 1;
            }
            let items: Vec<At> = self.items[start..end].to_vec();
            let width = items.iter().map(|&a| self.glyph(a).advance * size).sum();
            lines.push(Line {
                items,
                width,
                last: next >= n,
            });
            start = next.max(start + 1);
        }
        lines
    }
}

// ---- the drawing operations of a page ----

enum Op {
    Glyphs {
        x: f32,
        baseline: f32,
        style: Style,
        size: f32,
        glyphs: Vec<KrillaGlyph>,
        text: String,
    },
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
    /// Filled rectangles (x, y, w, h): the QR code's modules.
    Rects(Vec<(f32, f32, f32, f32)>),
}

/// Text settings of a piece of layout.
#[derive(Clone, Copy)]
struct Type {
    size: f32,
    leading: f32,
}

impl Type {
    const fn of(size: f32) -> Self {
        Type {
            size,
            leading: size * 1.3,
        }
    }
}

struct Layout<'f> {
    fonts: &'f Fonts,
    width: f32,
    height: f32,
    left: f32,
    right: f32,
    top: f32,
    bottom: f32,
    body: Type,
    table: Type,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts, orientation: Orientation) -> Self {
        let (a4w, a4h) = (210.0 * MM, 297.0 * MM);
        let (width, height, left, right, top, bottom, body, table) = match orientation {
            // Decree 30/2020's margins for official documents: 30 mm left, 20 mm elsewhere.
            Orientation::Portrait => (
                a4w,
                a4h,
                30.0 * MM,
                a4w - 20.0 * MM,
                20.0 * MM,
                a4h - 20.0 * MM,
                Type::of(13.0),
                Type::of(10.0),
            ),
            Orientation::Landscape => (
                a4h,
                a4w,
                15.0 * MM,
                a4h - 15.0 * MM,
                15.0 * MM,
                a4w - 15.0 * MM,
                Type::of(12.0),
                Type::of(8.5),
            ),
        };
        Layout {
            fonts,
            width,
            height,
            left,
            right,
            top,
            bottom,
            body,
            table,
            pages: vec![Vec::new()],
            y: top,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.top;
    }

    /// Starts a new page unless `h` more points fit on this one.
    fn room(&mut self, h: f32) {
        if self.y + h > self.bottom && self.y > self.top {
            self.new_page();
        }
    }

    /// Draws laid-out lines from `top` in the column [x, x + w), returns the height used.
    #[allow(clippy::too_many_arguments)]
    fn draw_lines(
        &mut self,
        shaped: &Shaped,
        lines: &[Line],
        x: f32,
        w: f32,
        top: f32,
        t: Type,
        align: Align,
    ) -> f32 {
        let ascent = t.size * 0.93;
        for (i, line) in lines.iter().enumerate() {
            let baseline = top + i as f32 * t.leading + ascent;
            let spaces = line
                .items
                .iter()
                .filter(|&&a| shaped.glyph(a).space)
                .count();
            let slack = (w - line.width).max(0.0);
            let (mut cx, extra) = match align {
                Align::Center => (x + slack / 2.0, 0.0),
                Align::Left => (x, 0.0),
                Align::Justify if !line.last && spaces > 0 && slack / (spaces as f32) < t.size => {
                    (x, slack / spaces as f32)
                }
                Align::Justify => (x, 0.0),
            };
            // One operation per run segment of the line.
            let mut k = 0;
            while k < line.items.len() {
                let run = line.items[k].run;
                let mut seg = Vec::new();
                while k < line.items.len() && line.items[k].run == run {
                    seg.push(line.items[k]);
                    k += 1;
                }
                let r = &shaped.runs[run];
                let (from, to) = match (seg.first(), seg.last()) {
                    (Some(a), Some(b)) => {
                        (shaped.glyph(*a).range.start, shaped.glyph(*b).range.end)
                    }
                    _ => continue,
                };
                let mut advance = 0.0;
                let glyphs: Vec<KrillaGlyph> = seg
                    .iter()
                    .map(|&a| {
                        let g = shaped.glyph(a);
                        let em = if g.space {
                            g.advance + extra / t.size
                        } else {
                            g.advance
                        };
                        advance += em * t.size;
                        KrillaGlyph::new(
                            GlyphId::new(g.id),
                            em,
                            g.x_offset,
                            g.y_offset,
                            0.0,
                            g.range.start.saturating_sub(from)..g.range.end.saturating_sub(from),
                            None,
                        )
                    })
                    .collect();
                let text = r.text.get(from..to).unwrap_or("").to_owned();
                self.ops().push(Op::Glyphs {
                    x: cx,
                    baseline,
                    style: r.style,
                    size: t.size,
                    glyphs,
                    text,
                });
                cx += advance;
            }
        }
        lines.len() as f32 * t.leading
    }

    /// A paragraph in the column, line by line, breaking pages between lines.
    fn flow(&mut self, p: &Paragraph, t: Type, space_after: f32) {
        let shaped = Shaped::new(self.fonts, &p.runs);
        let w = self.right - self.left;
        let lines = shaped.lines(t.size, w);
        for line in lines {
            self.room(t.leading);
            let y = self.y;
            let used = self.draw_lines(&shaped, &[line], self.left, w, y, t, p.align);
            self.y += used;
        }
        self.y += space_after;
    }

    /// Lays out text in a column without drawing it: its lines and height.
    fn measure(&self, runs: &[Run], t: Type, w: f32) -> (Shaped, Vec<Line>) {
        let shaped = Shaped::new(self.fonts, runs);
        let lines = shaped.lines(t.size, w);
        (shaped, lines)
    }

    fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.ops().push(Op::Rule {
            x1,
            y1,
            x2,
            y2,
            width: 0.6,
        });
    }

    fn document(&mut self, d: &Document) {
        self.heading(d);
        let title = Paragraph {
            runs: vec![Run::bold(d.title.as_str())],
            align: Align::Center,
        };
        self.y += 6.0 * MM;
        self.flow(&title, Type::of(self.body.size + 1.0), 1.0);
        for s in &d.subtitle {
            self.flow(s, self.body, 0.0);
        }
        self.y += 3.0 * MM;
        for b in &d.blocks {
            match b {
                Block::Paragraph(p) => self.flow(p, self.body, 2.5),
                Block::Table(t) => self.table(t),
                Block::Qr(q) => self.qr(&q.data, &q.caption),
            }
        }
        self.signers(&d.signers);
    }

    /// The agency on the left, the national heading on the right, each centred in its column.
    fn heading(&mut self, d: &Document) {
        // DejaVu Serif is wider than the Times of official documents: 10.5 pt spans what
        // 12 pt Times does, so the national heading fits its column on one line.
        let t = Type::of(self.body.size - 2.5);
        let w = self.right - self.left;
        let (lw, rw) = (w * 0.4, w * 0.58);
        let (lx, rx) = (self.left, self.right - rw);
        let top = self.y;

        let mut y = top;
        if let Some(parent) = &d.issuer.parent {
            y += self.centred(&[Run::regular(parent.as_str())], lx, lw, y, t);
        }
        let (shaped, lines) = self.measure(&[Run::bold(d.issuer.name.as_str())], t, lw);
        let name_w = lines.last().map_or(0.0, |l| l.width);
        y += self.draw_lines(&shaped, &lines, lx, lw, y, t, Align::Center);
        let rule = name_w.min(lw) * 0.4;
        self.rule(
            lx + (lw - rule) / 2.0,
            y + 1.5,
            lx + (lw + rule) / 2.0,
            y + 1.5,
        );
        y += 5.0;
        if let Some(n) = &d.number {
            y += self.centred(&[Run::regular(n.as_str())], lx, lw, y, t);
        }
        let left_bottom = y;

        let mut y = top;
        y += self.centred(&[Run::bold(d.national_heading.as_str())], rx, rw, y, t);
        let motto = Type::of(self.body.size - 1.5);
        let (shaped, lines) = self.measure(&[Run::bold(d.motto.as_str())], motto, rw);
        let motto_w = lines.last().map_or(0.0, |l| l.width);
        y += self.draw_lines(&shaped, &lines, rx, rw, y, motto, Align::Center);
        self.rule(
            rx + (rw - motto_w) / 2.0,
            y + 1.5,
            rx + (rw + motto_w) / 2.0,
            y + 1.5,
        );
        y += 6.0;
        if let Some(p) = &d.place_date {
            y += self.centred(&[Run::italic(p.as_str())], rx, rw, y, motto);
        }
        self.y = left_bottom.max(y);
    }

    fn centred(&mut self, runs: &[Run], x: f32, w: f32, y: f32, t: Type) -> f32 {
        let (shaped, lines) = self.measure(runs, t, w);
        self.draw_lines(&shaped, &lines, x, w, y, t, Align::Center)
    }

    fn table(&mut self, table: &Table) {
        let t = self.table;
        let pad = 2.5;
        let w = self.right - self.left;
        let total: f32 = table
            .columns
            .iter()
            .map(|c| c.width)
            .sum::<f32>()
            .max(f32::EPSILON);
        let widths: Vec<f32> = table.columns.iter().map(|c| c.width * w / total).collect();
        let header: Vec<(Shaped, Vec<Line>)> = table
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, cw)| self.measure(&[Run::bold(c.header.as_str())], t, cw - 2.0 * pad))
            .collect();
        let header_h = row_height(&header, t, pad);
        self.y += 1.0;
        self.room(header_h + t.leading + 2.0 * pad);
        self.draw_row(
            &header,
            &widths,
            &vec![Align::Center; widths.len()],
            header_h,
            pad,
            t,
        );
        let aligns: Vec<Align> = table.columns.iter().map(|c| c.align).collect();
        for row in &table.rows {
            let cells: Vec<(Shaped, Vec<Line>)> = row
                .iter()
                .zip(&widths)
                .map(|(cell, cw)| self.measure(&[Run::regular(cell.as_str())], t, cw - 2.0 * pad))
                .collect();
            let h = row_height(&cells, t, pad);
            if self.y + h > self.bottom {
                self.new_page();
                self.draw_row(
                    &header,
                    &widths,
                    &vec![Align::Center; widths.len()],
                    header_h,
                    pad,
                    t,
                );
            }
            self.draw_row(&cells, &widths, &aligns, h, pad, t);
        }
        self.y += 3.0;
    }

    fn draw_row(
        &mut self,
        cells: &[(Shaped, Vec<Line>)],
        widths: &[f32],
        aligns: &[Align],
        h: f32,
        pad: f32,
        t: Type,
    ) {
        let top = self.y;
        let mut x = self.left;
        self.rule(self.left, top, self.right, top);
        self.rule(self.left, top + h, self.right, top + h);
        self.rule(x, top, x, top + h);
        for (((shaped, lines), cw), align) in cells.iter().zip(widths).zip(aligns) {
            let align = if *align == Align::Justify {
                Align::Left
            } else {
                *align
            };
            self.draw_lines(shaped, lines, x + pad, cw - 2.0 * pad, top + pad, t, align);
            x += cw;
            self.rule(x, top, x, top + h);
        }
        self.y = top + h;
    }

    /// The QR code (25 mm) with its caption and the URL beside it, kept together.
    fn qr(&mut self, data: &str, caption: &str) {
        let Some(m) = qr::modules(data) else {
            return;
        };
        let side = 25.0 * MM;
        self.room(side + 4.0);
        let top = self.y + 2.0;
        let module = side / m.size as f32;
        let rects = m
            .runs
            .iter()
            .map(|&(y, x, n)| {
                (
                    self.left + x as f32 * module,
                    top + y as f32 * module,
                    n as f32 * module,
                    module,
                )
            })
            .collect();
        self.ops().push(Op::Rects(rects));
        let t = self.table;
        let x = self.left + side + 4.0 * MM;
        let w = self.right - x;
        let (cs, cl) = self.measure(&[Run::italic(caption)], t, w);
        let (us, ul) = self.measure(&[Run::regular(data)], t, w);
        let text_h = (cl.len() + ul.len()) as f32 * t.leading;
        let mut y = top + ((side - text_h) / 2.0).max(0.0);
        y += self.draw_lines(&cs, &cl, x, w, y, t, Align::Left);
        self.draw_lines(&us, &ul, x, w, y, t, Align::Left);
        self.y = top + side + 2.0;
    }

    /// The signature blocks, kept together: one on the right, or two side by side.
    fn signers(&mut self, signers: &[Signer]) {
        if signers.is_empty() {
            return;
        }
        let t = Type::of(self.body.size);
        let w = self.right - self.left;
        let col = w / 2.0;
        let gap = 20.0 * MM;
        let mut laid = Vec::new();
        let mut height: f32 = 0.0;
        for s in signers {
            let title = self.measure(&[Run::bold(s.title.as_str())], t, col);
            let hint = s
                .hint
                .as_deref()
                .map(|h| self.measure(&[Run::italic(h)], t, col));
            let name = s
                .name
                .as_deref()
                .map(|n| self.measure(&[Run::bold(n)], t, col));
            let lines = title.1.len()
                + hint.as_ref().map_or(0, |h| h.1.len())
                + name.as_ref().map_or(0, |n| n.1.len());
            height = height.max(lines as f32 * t.leading + gap);
            laid.push((title, hint, name));
        }
        self.y += 4.0 * MM;
        self.room(height);
        let top = self.y;
        let first = if signers.len() == 1 { 1 } else { 0 };
        for (i, (title, hint, name)) in laid.into_iter().enumerate() {
            let x = self.left + col * (first + i).min(1) as f32;
            let mut y = top;
            y += self.draw_lines(&title.0, &title.1, x, col, y, t, Align::Center);
            if let Some((s, l)) = hint {
                y += self.draw_lines(&s, &l, x, col, y, t, Align::Center);
            }
            if let Some((s, l)) = name {
                self.draw_lines(&s, &l, x, col, y + gap, t, Align::Center);
            }
        }
        self.y = top + height;
    }

    /// The pages, numbered at the foot when there is more than one.
    fn finish(mut self) -> Vec<Vec<Op>> {
        let n = self.pages.len();
        if n < 2 {
            return self.pages;
        }
        let t = Type::of(9.0);
        let (x, y) = ((self.width - 100.0) / 2.0, self.height - 12.0 * MM);
        let pages = std::mem::take(&mut self.pages);
        let mut out = Vec::with_capacity(n);
        for (i, mut ops) in pages.into_iter().enumerate() {
            self.pages = vec![Vec::new()];
            let (shaped, lines) =
                self.measure(&[Run::regular(format!("Trang {}/{n}", i + 1))], t, 100.0);
            self.draw_lines(&shaped, &lines, x, 100.0, y, t, Align::Center);
            ops.extend(self.pages.pop().unwrap_or_default());
            out.push(ops);
        }
        out
    }
}

fn row_height(cells: &[(Shaped, Vec<Line>)], t: Type, pad: f32) -> f32 {
    let lines = cells.iter().map(|(_, l)| l.len().max(1)).max().unwrap_or(1);
    lines as f32 * t.leading + 2.0 * pad
}

fn write(fonts: &Fonts, d: &Document, pages: Vec<Vec<Op>>) -> Result<Vec<u8>, String> {
    let (w, h) = match d.orientation {
        Orientation::Portrait => (210.0 * MM, 297.0 * MM),
        Orientation::Landscape => (297.0 * MM, 210.0 * MM),
    };
    let mut doc = krilla::Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("{} – {}", d.form, d.title))
            .language("vi".into())
            .creator("motcua".into()),
    );
    let settings = PageSettings::from_wh(w, h).ok_or("the page size is invalid")?;
    for ops in pages {
        let mut page = doc.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Glyphs {
                    x,
                    baseline,
                    style,
                    size,
                    glyphs,
                    text,
                } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill::default()));
                    surface.draw_glyphs(
                        Point::from_xy(x, baseline),
                        &glyphs,
                        fonts.get(style).font.clone(),
                        &text,
                        size,
                        false,
                    );
                }
                Op::Rule {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(x1, y1);
                    pb.line_to(x2, y2);
                    if let Some(path) = pb.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            width,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
                Op::Rects(rects) => {
                    let mut pb = PathBuilder::new();
                    for (x, y, w, h) in rects {
                        if let Some(r) = Rect::from_xywh(x, y, w, h) {
                            pb.push_rect(r);
                        }
                    }
                    if let Some(path) = pb.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(Fill::default()));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| format!("PDF: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::dossier::{
        control_slip, receipt,
        tests::{ctx, facts},
    };
    use crate::forms::texts::FormsSettings;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn a_receipt_is_one_a4_page_with_its_fonts_embedded() -> TestResult {
        let texts = FormsSettings::default();
        let doc = receipt(&facts(), &ctx(&texts));
        let fonts = FONTS.as_ref().ok_or("fonts")?;
        let mut layout = Layout::new(fonts, Orientation::Portrait);
        layout.document(&doc);
        assert_eq!(layout.finish().len(), 1, "one page");
        let pdf = render(&doc)?;
        assert!(pdf.starts_with(b"%PDF-"));
        let s = String::from_utf8_lossy(&pdf);
        assert!(
            s.contains("FontFile2") || s.contains("FontFile3"),
            "fonts embedded"
        );
        assert!(s.contains("DejaVuSerif"));
        Ok(())
    }

    #[test]
    fn lines_break_at_spaces_within_the_width() -> TestResult {
        let fonts = FONTS.as_ref().ok_or("fonts")?;
        let shaped = Shaped::new(
            fonts,
            &[
                Run::regular("Thời gian trả kết quả giải quyết hồ sơ: "),
                Run::bold("09 giờ 10 phút, ngày 05 tháng 03 năm 2026"),
            ],
        );
        let lines = shaped.lines(13.0, 200.0);
        assert!(lines.len() >= 2);
        for l in &lines {
            assert!(l.width <= 200.0, "{}", l.width);
        }
        assert!(lines.last().is_some_and(|l| l.last));
        // Every glyph is on a line except the spaces where lines break.
        let shown: usize = lines.iter().map(|l| l.items.len()).sum();
        assert!(shown + lines.len() > shaped.items.len() - lines.len());
        // A code wider than a narrow cell still breaks.
        let code = Shaped::new(fonts, &[Run::regular("000.00.24.H40-260305-0001")]);
        assert!(code.lines(9.0, 60.0).iter().all(|l| l.width <= 60.0));
        Ok(())
    }

    #[test]
    fn long_tables_continue_on_numbered_pages() -> TestResult {
        let texts = FormsSettings::default();
        let mut f = facts();
        let step = f.steps[0].clone();
        f.steps = (0..80).map(|_| step.clone()).collect();
        let pdf = render(&control_slip(&f, &ctx(&texts)))?;
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.contains("/Count "), "a page tree");
        let fonts = FONTS.as_ref().ok_or("fonts")?;
        let mut layout = Layout::new(fonts, Orientation::Portrait);
        layout.document(&control_slip(&f, &ctx(&texts)));
        assert!(layout.finish().len() >= 3);
        Ok(())
    }
}
