//! QR codes as modules: one matrix, drawn by the HTML renderer as an SVG path and by the PDF
//! renderer as filled rectangles, so both print the same code.

use qrcode::{Color, EcLevel, QrCode};

/// The dark modules of a QR code, with the four-module quiet zone the standard asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modules {
    /// Modules per side, quiet zone included.
    pub size: usize,
    /// Horizontal runs of dark modules: (row, first column, length), quiet zone included.
    pub runs: Vec<(usize, usize, usize)>,
}

const QUIET: usize = 4;

/// Encodes `data` at error correction level M (15%: a creased receipt still scans). Lookup URLs
/// are short; data too long for any QR version yields `None`.
pub fn modules(data: &str) -> Option<Modules> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let mut runs = Vec::new();
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == Color::Dark {
                let start = x;
                while x < width && colors[y * width + x] == Color::Dark {
                    x += 1;
                }
                runs.push((y + QUIET, start + QUIET, x - start));
            } else {
                x += 1;
            }
        }
    }
    Some(Modules {
        size: width + 2 * QUIET,
        runs,
    })
}

impl Modules {
    /// The SVG path data of the dark modules, one unit per module.
    pub fn svg_path(&self) -> String {
        let mut d = String::with_capacity(self.runs.len() * 16);
        for (y, x, n) in &self.runs {
            d.push_str(&format!("M{x} {y}h{n}v1h-{n}z"));
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_url_fits_a_small_code_with_its_quiet_zone() -> Result<(), &'static str> {
        let m = modules("http://127.0.0.1:8080/tra-cuu?code=000.00.24.H40-261125-0001")
            .ok_or("encodes")?;
        // Version 4 (33 modules) at level M holds 62 bytes; the URL is 61.
        assert!(m.size <= 45, "{}", m.size);
        assert!(!m.runs.is_empty());
        // The finder pattern: the top-left 7×7 square starts dark at the quiet zone's edge.
        assert!(m.runs.contains(&(QUIET, QUIET, 7)));
        assert!(m.svg_path().starts_with("M4 4h7v1h-7z"));
        Ok(())
    }
}
