//! An HTTP server on loopback that plays another system receiving our requests (a webhook
//! receiver): it records every request and answers with the statuses it is told to.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// Statuses to answer with, in order; when empty, `otherwise`.
    script: VecDeque<u16>,
    otherwise: u16,
}

#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    pub url: String,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// Starts a receiver answering 200 to everything.
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner {
            otherwise: 200,
            ..Inner::default()
        }));
        let shared = inner.clone();
        let server = HttpServer::new(move || {
            let shared = shared.clone();
            App::new()
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                    let shared = shared.clone();
                    async move {
                        let mut headers = reqwest::header::HeaderMap::new();
                        for (k, v) in req.headers() {
                            if let (Ok(name), Ok(value)) = (
                                reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes()),
                                reqwest::header::HeaderValue::from_bytes(v.as_bytes()),
                            ) {
                                headers.append(name, value);
                            }
                        }
                        let status = {
                            let mut g = shared.lock().unwrap();
                            g.received.push(Received {
                                path: req.path().to_owned(),
                                headers,
                                body: body.to_vec(),
                            });
                            let otherwise = g.otherwise;
                            g.script.pop_front().unwrap_or(otherwise)
                        };
                        HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(status).expect("a status"),
                        )
                        .body("")
                    }
                }))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind the receiver");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            inner,
            url: format!("http://127.0.0.1:{port}"),
            handle,
        }
    }

    /// Answers the next requests with these statuses, then as before.
    pub fn script(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().script.extend(statuses);
    }

    /// Answers every request (after the script) with this status.
    pub fn answer(&self, status: u16) {
        self.inner.lock().unwrap().otherwise = status;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}
