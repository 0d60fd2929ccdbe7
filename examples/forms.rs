//! Writes every official form, built from the sample facts, as HTML and PDF into a folder
//! (default `forms-samples`), to look at or print: `cargo run --example forms -- DIR`.

use motcua::forms::texts::FormsSettings;
use motcua::forms::{self, DossierForm, FormContext, samples};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "forms-samples".into());
    std::fs::create_dir_all(&dir)?;
    let texts = FormsSettings::default();
    let ctx = FormContext {
        texts: &texts,
        tz: chrono_tz::Asia::Ho_Chi_Minh,
        base_url: "http://127.0.0.1:8080",
    };
    let mut facts = samples::dossier();
    let mut docs = Vec::new();
    for form in DossierForm::ALL {
        if form == DossierForm::Refusal {
            facts.status = motcua::domain::dossier::Status::Rejected;
            facts.refusal = Some(motcua::forms::facts::ClosingFacts {
                at: samples::at(5, 9, 30),
                reason: "Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan".into(),
                by: Some("Lê Thị Hoa".into()),
            });
        }
        if form == DossierForm::StopNotice {
            facts.status = motcua::domain::dossier::Status::Stopped;
            facts.stop = Some(motcua::forms::facts::ClosingFacts {
                at: samples::at(9, 15, 0),
                reason: "Người nộp hồ sơ đề nghị dừng giải quyết".into(),
                by: Some("Phạm Quốc Việt".into()),
            });
        }
        docs.push((
            form.file_stem().to_owned(),
            forms::build_dossier_form(form, &facts, &ctx, None)?,
        ));
    }
    docs.push((
        "mau-04".into(),
        forms::apology::apology(&samples::letter(), &samples::dossier(), &ctx),
    ));
    docs.push((
        "mau-07".into(),
        forms::register::register(&samples::register(40), &ctx, samples::at(31, 17, 0)),
    ));
    for (stem, doc) in docs {
        std::fs::write(format!("{dir}/{stem}.html"), forms::html::render(&doc))?;
        std::fs::write(format!("{dir}/{stem}.pdf"), forms::pdf::render(&doc)?)?;
        println!("{dir}/{stem}.html, {dir}/{stem}.pdf");
    }
    Ok(())
}
