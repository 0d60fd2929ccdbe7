//! An HTTP server on loopback that plays the SMS gateway (`POST /sms`) and the Zalo ZNS API
//! (`POST /zalo`): it records every request it is sent, and fails on demand — a number of
//! requests answered 503 (SMS) or with a Zalo error code, to show an outage.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// One request as the gateway saw it, and whether it accepted it.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub authorization: Option<String>,
    pub access_token: Option<String>,
    pub body: Value,
    pub accepted: bool,
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Request>>,
    sms_failures: AtomicUsize,
    zalo_failures: AtomicUsize,
    zalo_error: Mutex<i64>,
}

pub struct Gateway {
    pub port: u16,
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
}

async fn sms(req: HttpRequest, body: web::Json<Value>, s: web::Data<Arc<Shared>>) -> HttpResponse {
    let fail = s
        .sms_failures
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    record(&req, body.into_inner(), &s, !fail);
    if fail {
        HttpResponse::ServiceUnavailable().body("gateway down")
    } else {
        HttpResponse::Ok().json(json!({"status": "queued"}))
    }
}

async fn zalo(req: HttpRequest, body: web::Json<Value>, s: web::Data<Arc<Shared>>) -> HttpResponse {
    let fail = s
        .zalo_failures
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    record(&req, body.into_inner(), &s, !fail);
    if fail {
        let code = *s.zalo_error.lock().unwrap();
        HttpResponse::Ok().json(json!({"error": code, "message": "simulated failure"}))
    } else {
        HttpResponse::Ok().json(json!({"error": 0, "message": "Success", "data": {"msg_id": "m1"}}))
    }
}

fn record(req: &HttpRequest, body: Value, s: &Shared, accepted: bool) {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    s.requests.lock().unwrap().push(Request {
        path: req.path().to_owned(),
        authorization: header("authorization"),
        access_token: header("access_token"),
        body,
        accepted,
    });
}

impl Gateway {
    pub async fn start() -> Gateway {
        let shared = Arc::new(Shared::default());
        *shared.zalo_error.lock().unwrap() = -100;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the gateway");
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::new(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/sms", web::post().to(sms))
                .route("/zalo", web::post().to(zalo))
        })
        .workers(2)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Gateway {
            port,
            shared,
            handle,
        }
    }

    pub fn sms_url(&self) -> String {
        format!("http://127.0.0.1:{}/sms", self.port)
    }

    pub fn zalo_url(&self) -> String {
        format!("http://127.0.0.1:{}/zalo", self.port)
    }

    /// Every request so far, accepted or not.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The accepted requests to one path (`/sms`, `/zalo`).
    pub fn accepted(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path && r.accepted)
            .collect()
    }

    /// Answers the next `n` SMS with 503.
    pub fn fail_sms(&self, n: usize) {
        self.shared.sms_failures.store(n, Ordering::SeqCst);
    }

    /// Answers the next `n` Zalo messages with the error `code`.
    pub fn fail_zalo(&self, n: usize, code: i64) {
        *self.shared.zalo_error.lock().unwrap() = code;
        self.shared.zalo_failures.store(n, Ordering::SeqCst);
    }

    /// Waits until `n` requests to `path` were accepted or `timeout` passed.
    pub async fn wait_for(&self, path: &str, n: usize, timeout: Duration) -> Vec<Request> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.accepted(path);
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}
