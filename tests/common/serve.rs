//! `motcua serve` as a process of its own (a second replica, a server to kill): started on an
//! ephemeral port from a command the test prepared (binary, environment, working directory), its
//! address read from the "listening on" line it logs, killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Serving {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `serve` with `workers` HTTP workers and no sweep or delivery of its own after the first.
pub fn serve(mut command: Command, workers: u32) -> Serving {
    let mut child = command
        .arg("serve")
        .env("MOTCUA__SERVER__BIND", "127.0.0.1:0")
        .env("MOTCUA__SERVER__WORKERS", workers.to_string())
        .env("MOTCUA__JOBS__SWEEP_INTERVAL_SECS", "3600")
        .env("MOTCUA__JOBS__DELIVERY_INTERVAL_MS", "600000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let _ = tx.send(rest.trim().to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server reported its address");
    Serving { child, base }
}
