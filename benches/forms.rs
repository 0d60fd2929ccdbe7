//! How fast the official forms render on one core: Mẫu 01 receipts built from their facts and
//! rendered as HTML and as PDF (the notifications attach one to every receipt email), the
//! apology email (text, HTML and the PDF), and a 1,000-line register as PDF. Targets: a PDF
//! receipt under 10 ms, an HTML one under 1 ms. Run: `cargo bench --bench forms`. It prints
//! figures; it never asserts timing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use motcua::forms::texts::FormsSettings;
use motcua::forms::{self, FormContext, samples};

/// Runs `f` for about `budget` after a warm-up and prints the mean time and the rate.
fn measure(name: &str, budget: Duration, mut f: impl FnMut() -> usize) {
    let warm = Instant::now();
    while warm.elapsed() < budget / 10 {
        black_box(f());
    }
    let (mut n, mut bytes) = (0u64, 0usize);
    let started = Instant::now();
    while started.elapsed() < budget {
        bytes = black_box(f());
        n += 1;
    }
    let per = started.elapsed() / n as u32;
    println!(
        "{name:<34} {:>9.3} ms each {:>10.0} per second per core ({n} runs, {bytes} bytes)",
        per.as_secs_f64() * 1e3,
        1.0 / per.as_secs_f64()
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
