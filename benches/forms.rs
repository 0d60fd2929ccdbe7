//! How fast the official forms render on one core: Mẫu 01 receipts built from their facts and
//! rendered as HTML and as PDF (the notifications attach one to every receipt email), the
//! apology email (text, HTML and the PDF), and a 1,000-line register as PDF. Targets: a PDF
//! receipt under 10 ms, an HTML one under 1 ms. Run: `cargo bench --bench forms`. It prints
//! figures; it never asserts timing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use motcua::forms::texts::FormsSettings;
use motcua::forms::{self, FormContext, samples};

/// This thread's CPU time (user + system) from /proc, in seconds: on a shared machine the
/// wall clock also counts the time other processes had the core, the CPU time does not.
fn thread_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The fields after the command name in parentheses; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Runs `f` for about `budget` after a warm-up and prints the mean time (wall clock and this
/// thread's CPU time) and the rate one core sustains.
fn measure(name: &str, budget: Duration, mut f: impl FnMut() -> usize) {
    let warm = Instant::now();
    while warm.elapsed() < budget / 10 {
        black_box(f());
    }
    let (mut n, mut bytes) = (0u64, 0usize);
    let cpu0 = thread_cpu();
    let started = Instant::now();
    while started.elapsed() < budget {
        bytes = black_box(f());
        n += 1;
    }
    let wall = started.elapsed().as_secs_f64() / n as f64;
    let cpu = match (cpu0, thread_cpu()) {
        (Some(a), Some(b)) if b > a => (b - a) / n as f64,
        _ => wall,
    };
    println!(
        "{name:<38} {:>8.3} ms CPU {:>8.3} ms wall {:>8.0} per second per core ({n} runs, {bytes} bytes)",
        cpu * 1e3,
        wall * 1e3,
        1.0 / cpu
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read.
    let budget = Duration::from_secs(3);
    let texts = FormsSettings::default();
    let ctx = FormContext {
        texts: &texts,
        tz: chrono_tz::Asia::Ho_Chi_Minh,
        base_url: "https://motcua.example.vn",
    };
    let facts = samples::dossier();
    let letter = samples::letter();
    let register = samples::register(1000);
    measure("QR code of a lookup URL", budget, || {
        forms::qr::modules("https://motcua.example.vn/tra-cuu?code=000.00.24.H40-260305-0001")
            .map(|m| m.runs.len())
            .unwrap_or(0)
    });
    measure("Mẫu 01 receipt, document only", budget, || {
        forms::dossier::receipt(&facts, &ctx).blocks.len()
    });
    measure("Mẫu 01 receipt, HTML", budget, || {
        forms::html::render(&forms::dossier::receipt(&facts, &ctx)).len()
    });
    measure("Mẫu 01 receipt, PDF", budget, || {
        forms::pdf::render(&forms::dossier::receipt(&facts, &ctx))
            .map(|p| p.len())
            .unwrap_or(0)
    });
    measure("Mẫu 06 control slip, PDF", budget, || {
        forms::pdf::render(&forms::dossier::control_slip(&facts, &ctx))
            .map(|p| p.len())
            .unwrap_or(0)
    });
    measure("Mẫu 04 apology email (text+HTML+PDF)", budget, || {
        motcua::mail::apology(&letter, &facts, &ctx)
            .map(|e| e.attachments[0].bytes.len())
            .unwrap_or(0)
    });
    measure("Mẫu 07 register, 1,000 lines, PDF", budget * 2, || {
        forms::pdf::render(&forms::register::register(
            &register,
            &ctx,
            samples::at(31, 17, 0),
        ))
        .map(|p| p.len())
        .unwrap_or(0)
    });
}
