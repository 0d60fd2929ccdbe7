//! Reading PDFs and pages back as a person would: the text with poppler's `pdftotext`, the page
//! count with `pdfinfo`, the QR code from the page rasterised by `pdftoppm` and decoded with
//! rqrr, and HTML printed to PDF and photographed by headless Chromium. Pictures are kept as
//! artifacts under the target directory (`forms-artifacts/`) for people to look at.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the tests leave PNGs of what they rendered.
pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("forms-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {:?} ({e}); scripts/test-tools installs poppler-utils and chromium",
            cmd.get_program()
        )
    });
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn temp_pdf(pdf: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    (dir, path)
}

/// The text of every page, as `pdftotext` extracts it (UTF-8, reading order).
pub fn text(pdf: &[u8]) -> String {
    let (_dir, path) = temp_pdf(pdf);
    let out = run(Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-"));
    String::from_utf8(out.stdout).expect("pdftotext writes UTF-8")
}

/// The text with line breaks and runs of spaces as single spaces, for phrases that may wrap.
pub fn flat_text(pdf: &[u8]) -> String {
    text(pdf).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `pdfinfo`'s "Pages:".
pub fn pages(pdf: &[u8]) -> u32 {
    let (_dir, path) = temp_pdf(pdf);
    let out = run(Command::new("pdfinfo").arg(&path));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo reports the pages")
}

/// `pdfinfo`'s "Page size:" line.
pub fn page_size(pdf: &[u8]) -> String {
    let (_dir, path) = temp_pdf(pdf);
    let out = run(Command::new("pdfinfo").arg(&path));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .map(|s| s.trim().to_owned())
        .expect("pdfinfo reports the page size")
}

/// `pdffonts`: the fonts the PDF uses, each line "name type encoding emb sub uni …".
pub fn fonts(pdf: &[u8]) -> Vec<String> {
    let (_dir, path) = temp_pdf(pdf);
    let out = run(Command::new("pdffonts").arg(&path));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .map(str::to_owned)
        .collect()
}

/// Keeps a PNG of the first page (at `dpi`) as an artifact named `name.png`.
pub fn keep_png(pdf: &[u8], name: &str, dpi: u32) -> PathBuf {
    let (_dir, path) = temp_pdf(pdf);
    let stem = artifacts().join(name);
    run(Command::new("pdftoppm")
        .args(["-png", "-singlefile", "-f", "1", "-l", "1", "-r"])
        .arg(dpi.to_string())
        .arg(&path)
        .arg(&stem));
    stem.with_extension("png")
}

/// The QR codes on the first page: rasterised in grey at 200 dpi, decoded with rqrr.
pub fn qr_codes(pdf: &[u8]) -> Vec<String> {
    let (dir, path) = temp_pdf(pdf);
    let stem = dir.path().join("page");
    run(Command::new("pdftoppm")
        .args(["-gray", "-singlefile", "-f", "1", "-l", "1", "-r", "200"])
        .arg(&path)
        .arg(&stem));
    let pgm = std::fs::read(stem.with_extension("pgm")).expect("pdftoppm wrote a PGM");
    let (w, h, pixels) = parse_pgm(&pgm);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    img.detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, content)| content))
        .collect()
}

/// A binary PGM (P5, 8-bit) as width, height and pixels.
fn parse_pgm(data: &[u8]) -> (usize, usize, &[u8]) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&data[start..i]).expect("PGM header"));
    }
    assert_eq!(fields[0], "P5", "a binary greyscale PGM");
    assert_eq!(fields[3], "255", "8-bit grey");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &data[i + 1..];
    assert_eq!(pixels.len(), w * h, "PGM size");
    (w, h, pixels)
}

fn chromium() -> String {
    std::env::var("MOTCUA_TEST_CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

fn chromium_command(profile: &Path) -> Command {
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-pdf-header-footer",
        "--print-to-pdf-no-header",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// Prints an HTML page to PDF with headless Chromium, as a browser's "Print" would.
pub fn chromium_print(html: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("page.html");
    std::fs::write(&page, html).expect("write page");
    let out = dir.path().join("page.pdf");
    run(chromium_command(&dir.path().join("profile"))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", page.display())));
    std::fs::read(&out).expect("chromium wrote the PDF")
}

/// A screenshot of an HTML page in headless Chromium, kept as the artifact `name.png`.
pub fn chromium_screenshot(html: &str, name: &str, width: u32, height: u32) -> PathBuf {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("page.html");
    std::fs::write(&page, html).expect("write page");
    let shot = artifacts().join(format!("{name}.png"));
    run(chromium_command(&dir.path().join("profile"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("file://{}", page.display())));
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 0)
            .unwrap_or(false),
        "chromium wrote no screenshot"
    );
    shot
}
