//! The `motcua` binary.

use clap::Parser;

use motcua::cli::{self, Cli};
use motcua::config::Settings;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("motcua: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    motcua::telemetry::init(&settings.log);
    let result = actix_web::rt::System::new().block_on(cli::run(cli, settings));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("motcua: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
