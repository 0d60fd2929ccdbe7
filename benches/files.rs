//! Files through a real `motcua serve` on loopback (SQLite, the local file store): upload and
//! download throughput for 1 MiB and 20 MiB files, and the server's resident memory while eight
//! 20 MiB uploads run at once. Prints figures; asserts nothing about speed.
//!
//! `cargo bench --bench files` (targets: at least 200 MB/s; memory growth under 50 MiB).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_motcua");
const SECRET: &str = "a-benchmark-secret-for-this-run-only-01";
const MIB: usize = 1024 * 1024;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn motcua(dir: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("MOTCUA_") {
            c.env_remove(k);
        }
    }
    c.env("MOTCUA__DATABASE__URL", "sqlite://motcua.db")
        .env("MOTCUA__FILES__STORE", "file://files")
        .env("MOTCUA__FILES__MAX_DOSSIER_BYTES", (4096 * MIB).to_string())
        .env("MOTCUA__SERVER__BIND", "127.0.0.1:0")
        .env("MOTCUA__AUTH__JWT_SECRET", SECRET)
        .env("MOTCUA__LOG__LEVEL", "info");
    c
}

fn serve(dir: &std::path::Path) -> Server {
    let mut child = motcua(dir)
        .arg("serve")
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
        .expect("server reported its address");
    Server { child, base }
}

/// Resident and peak resident memory of a process, in KiB (Linux).
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn pdf(n: usize, seed: u32) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n".to_vec();
    let mut x: u32 = 0x9e37_79b9 ^ seed;
    v.reserve(n);
    while v.len() < n - 6 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(n - 6);
    v.extend_from_slice(b"\n%%EOF");
    v
}

fn multipart(file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "motcua-bench-boundary";
    let mut body = Vec::with_capacity(file.len() + 512);
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ncomponent\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ban-ve.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .expect("write");
    body.extend_from_slice(file);
    write!(body, "\r\n--{boundary}--\r\n").expect("write");
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: (String, Vec<u8>),
) -> String {
    let r = client
        .post(url)
        .bearer_auth(token)
        .header("content-type", body.0)
        .body(body.1)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 201, "upload refused");
    let v: Value = r.json().await.expect("json");
    v["id"].as_str().expect("id").to_owned()
}

fn mb_per_s(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64()
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut add = motcua(dir.path())
        .args([
            "user",
            "add",
            "--username",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(b"admin-password-1234")
        .expect("password");
    assert!(add.wait().expect("wait").success());
    let server = serve(dir.path());
    let pid = server.child.id();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let client = reqwest::Client::new();
        let base = server.base.clone();
        let tok: Value = client
            .post(format!("{base}/api/v1/auth/token"))
            .json(&json!({"username": "admin", "password": "admin-password-1234"}))
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        let token = tok["access_token"].as_str().expect("token").to_owned();
        for (path, body) in [
            ("/api/v1/offices", json!({"code": "000.00.24.H40", "name": "Bộ phận Một cửa", "head_name": "Trần Văn Bình"})),
            ("/api/v1/procedures", json!({"code": "1.001234", "name": "Cấp phép", "field": "Xây dựng",
                "office_code": "000.00.24.H40", "processing_time": {"amount": 3, "unit": "working_days"}})),
        ] {
            let r = client.post(format!("{base}{path}")).bearer_auth(&token).json(&body).send().await.expect("setup");
            assert_eq!(r.status(), 201);
        }
        let r: Value = client
            .post(format!("{base}/api/v1/dossiers"))
            .bearer_auth(&token)
            .json(&json!({"procedure_code": "1.001234", "channel": "counter", "office_code": "000.00.24.H40",
                "applicant": {"full_name": "Nguyễn Văn An", "id_number": "079123456789"}}))
            .send()
            .await
            .expect("receive")
            .json()
            .await
            .expect("json");
        let code = r["code"].as_str().expect("code").to_owned();
        let files = format!("{base}/api/v1/dossiers/{code}/files");

        println!("files: one `motcua serve` on loopback, SQLite, local file store");
        for (size, rounds) in [(MIB, 20), (20 * MIB, 5)] {
            let mut up = Duration::ZERO;
            let mut down = Duration::ZERO;
            for i in 0..rounds {
                let body = multipart(&pdf(size, (size + i) as u32));
                let started = Instant::now();
                let id = upload(&client, &files, &token, body).await;
                up += started.elapsed();
                let started = Instant::now();
                let got = client
                    .get(format!("{files}/{id}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("download")
                    .bytes()
                    .await
                    .expect("bytes");
                down += started.elapsed();
                assert_eq!(got.len(), size);
            }
            println!(
                "  {:>2} MiB  upload {:7.1} MB/s   download {:7.1} MB/s   ({rounds} files)",
                size / MIB,
                mb_per_s(size * rounds, up),
                mb_per_s(size * rounds, down)
            );
        }

        let bodies: Vec<_> = (0..8).map(|i| multipart(&pdf(20 * MIB, 1000 + i))).collect();
        let (before, _) = rss_kib(pid);
        let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let sampler = {
            let sampling = sampling.clone();
            std::thread::spawn(move || {
                let mut peak = 0;
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    peak = peak.max(rss_kib(pid).0);
                    std::thread::sleep(Duration::from_millis(5));
                }
                peak
            })
        };
        let started = Instant::now();
        let uploads: Vec<_> = bodies
            .into_iter()
            .map(|b| {
                let (client, files, token) = (client.clone(), files.clone(), token.clone());
                tokio::spawn(async move { upload(&client, &files, &token, b).await })
            })
            .collect();
        for u in uploads {
            u.await.expect("join");
        }
        let elapsed = started.elapsed();
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        let peak = sampler.join().expect("sampler");
        println!(
            "  8 concurrent 20 MiB uploads: {:.1} MB/s together; server RSS {:.1} MiB before, \
             peak {:.1} MiB, growth {:.1} MiB",
            mb_per_s(8 * 20 * MIB, elapsed),
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0
        );
        drop(server);
    });
}
