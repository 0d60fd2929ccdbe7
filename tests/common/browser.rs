//! A real headless Chromium for the tests of pages, driven through its DevTools protocol over a
//! WebSocket: open a page, type, click, read the DOM, run axe-core, take screenshots. Everything
//! it does works with JavaScript disabled in the page (DOM and Input domains only), except
//! `axe`, which needs it.
//!
//! The browser is `$MOTCUA_TEST_CHROMIUM` (scripts/test-tools installs it), axe-core is
//! `$MOTCUA_TEST_AXE`; screenshots go to `<target dir>/test-artifacts/`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{broadcast, oneshot};
use tokio_tungstenite::tungstenite::Message;

const TIMEOUT: Duration = Duration::from_secs(30);

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

/// An event the browser sent: its method, parameters and the tab (session) it concerns.
#[derive(Debug, Clone)]
pub struct Event {
    pub method: String,
    pub params: Value,
    pub session: Option<String>,
}

/// One WebSocket to the browser, shared by its tabs.
struct Connection {
    sink: tokio::sync::Mutex<Sink>,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, oneshot::Sender<Result<Value, Value>>>>,
    events: broadcast::Sender<Event>,
}

impl Connection {
    async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.sink
            .lock()
            .await
            .send(Message::text(msg.to_string()))
            .await
            .unwrap_or_else(|e| panic!("{method}: the browser connection is closed: {e}"));
        match tokio::time::timeout(TIMEOUT, rx).await {
            Ok(Ok(Ok(result))) => result,
            Ok(Ok(Err(error))) => panic!("{method} failed: {error}"),
            Ok(Err(_)) => panic!("{method}: the browser went away"),
            Err(_) => panic!("{method}: no answer within {TIMEOUT:?}"),
        }
    }
}

/// A headless Chromium with a fresh profile; killed when dropped.
pub struct Browser {
    child: Child,
    conn: Arc<Connection>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A window size: CSS pixels, and whether it is a phone (touch, mobile viewport).
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
    pub mobile: bool,
}

impl Viewport {
    /// A small, cheap phone.
    pub const PHONE: Viewport = Viewport {
        width: 360,
        height: 740,
        mobile: true,
    };
    pub const DESKTOP: Viewport = Viewport {
        width: 1280,
        height: 800,
        mobile: false,
    };
}

/// A violation axe-core reported.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Violation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    pub nodes: Vec<String>,
}

impl Browser {
    pub async fn launch() -> Browser {
        let bin = std::env::var("MOTCUA_TEST_CHROMIUM").unwrap_or_else(|_| "chromium".into());
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut child = Command::new(&bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {bin} ({e}): run the tests through scripts/test, which installs \
                     Chromium, or set MOTCUA_TEST_CHROMIUM"
                )
            });
        // Chromium says where it listens on stderr; the rest of stderr is drained so that it
        // never blocks on a full pipe, and kept for when it does not start.
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let seen = Arc::new(Mutex::new(String::new()));
        let seen_by_reader = seen.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
                let mut s = seen_by_reader.lock().unwrap();
                if s.len() < 20_000 {
                    s.push_str(&line);
                    s.push('\n');
                }
            }
        });
        let url = tokio::task::spawn_blocking(move || rx.recv_timeout(TIMEOUT))
            .await
            .expect("join")
            .unwrap_or_else(|_| {
                panic!(
                    "{bin} did not start its DevTools server:\n{}",
                    seen.lock().unwrap()
                )
            });
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("connect to the browser");
        let (sink, mut stream) = ws.split();
        let (events, _) = broadcast::channel(1024);
        let conn = Arc::new(Connection {
            sink: tokio::sync::Mutex::new(sink),
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            events,
        });
        let reader = Arc::downgrade(&conn);
        tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let Some(conn) = reader.upgrade() else { break };
                let Ok(text) = msg.to_text() else { continue };
                let Ok(v) = serde_json::from_str::<Value>(text) else {
                    continue;
                };
                if let Some(id) = v["id"].as_u64() {
                    if let Some(tx) = conn.pending.lock().unwrap().remove(&id) {
                        let _ = tx.send(match v.get("error") {
                            Some(e) => Err(e.clone()),
                            None => Ok(v["result"].clone()),
                        });
                    }
                } else if let Some(method) = v["method"].as_str() {
                    let _ = conn.events.send(Event {
                        method: method.to_owned(),
                        params: v["params"].clone(),
                        session: v["sessionId"].as_str().map(str::to_owned),
                    });
                }
            }
        });
        Browser {
            child,
            conn,
            _profile: profile,
        }
    }

    /// A new tab of this size, showing `about:blank`, asking for Vietnamese first (as the
    /// citizens' phones do; `Tab::set_languages` changes it).
    pub async fn new_tab(&self, viewport: Viewport) -> Tab {
        let target = self
            .conn
            .call(None, "Target.createTarget", json!({"url": "about:blank"}))
            .await["targetId"]
            .as_str()
            .expect("targetId")
            .to_owned();
        let session = self
            .conn
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": target, "flatten": true}),
            )
            .await["sessionId"]
            .as_str()
            .expect("sessionId")
            .to_owned();
        let tab = Tab {
            conn: self.conn.clone(),
            session,
            target,
            viewport,
        };
        tab.call("Page.enable", json!({})).await;
        tab.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": viewport.width, "height": viewport.height,
                "deviceScaleFactor": 1, "mobile": viewport.mobile}),
        )
        .await;
        tab.set_languages("vi-VN,vi;q=0.9").await;
        tab
    }
}

/// One tab of the browser.
pub struct Tab {
    conn: Arc<Connection>,
    session: String,
    target: String,
    viewport: Viewport,
}

impl Tab {
    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.conn.call(Some(&self.session), method, params).await
    }

    /// Waits for this tab's next event `method` after running `action`.
    async fn after<F: std::future::Future<Output = ()>>(&self, method: &str, action: F) {
        let mut events = self.conn.events.subscribe();
        action.await;
        let wait = async {
            loop {
                match events.recv().await {
                    Ok(e) if e.method == method && e.session.as_deref() == Some(&self.session) => {
                        return;
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => panic!("the browser went away"),
                }
            }
        };
        tokio::time::timeout(TIMEOUT, wait)
            .await
            .unwrap_or_else(|_| panic!("no {method} within {TIMEOUT:?}"));
    }

    /// The `Accept-Language` the tab sends.
    pub async fn set_languages(&self, accept_language: &str) {
        let version = self.conn.call(None, "Browser.getVersion", json!({})).await;
        self.call(
            "Emulation.setUserAgentOverride",
            json!({"userAgent": version["userAgent"], "acceptLanguage": accept_language}),
        )
        .await;
    }

    /// Turns the page's JavaScript on or off (for the pages loaded from now on, too).
    pub async fn set_javascript(&self, enabled: bool) {
        self.call(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": !enabled}),
        )
        .await;
    }

    /// `screen` or `print`: which CSS media the page is laid out for.
    pub async fn emulate_media(&self, media: &str) {
        self.call("Emulation.setEmulatedMedia", json!({"media": media}))
            .await;
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn navigate(&self, url: &str) {
        self.after("Page.loadEventFired", async {
            let r = self.call("Page.navigate", json!({"url": url})).await;
            if let Some(e) = r["errorText"].as_str() {
                panic!("cannot open {url}: {e}");
            }
        })
        .await;
    }

    async fn node(&self, selector: &str) -> i64 {
        let root = self.call("DOM.getDocument", json!({"depth": 0})).await["root"]["nodeId"]
            .as_i64()
            .expect("document");
        let node = self
            .call(
                "DOM.querySelector",
                json!({"nodeId": root, "selector": selector}),
            )
            .await["nodeId"]
            .as_i64()
            .unwrap_or(0);
        assert!(node != 0, "nothing matches {selector:?}");
        node
    }

    /// Focuses the field and types `text` into it, as a keyboard would.
    pub async fn type_into(&self, selector: &str, text: &str) {
        let node = self.node(selector).await;
        self.call("DOM.focus", json!({"nodeId": node})).await;
        self.call("Input.insertText", json!({"text": text})).await;
    }

    /// Clicks the middle of the element with the mouse and waits for the page that loads.
    pub async fn click_and_wait(&self, selector: &str) {
        let node = self.node(selector).await;
        self.call("DOM.scrollIntoViewIfNeeded", json!({"nodeId": node}))
            .await;
        let quad = self.call("DOM.getBoxModel", json!({"nodeId": node})).await["model"]["content"]
            .as_array()
            .expect("a box")
            .iter()
            .map(|v| v.as_f64().unwrap_or_default())
            .collect::<Vec<_>>();
        let x = (quad[0] + quad[2] + quad[4] + quad[6]) / 4.0;
        let y = (quad[1] + quad[3] + quad[5] + quad[7]) / 4.0;
        self.after("Page.loadEventFired", async {
            for kind in ["mousePressed", "mouseReleased"] {
                self.call(
                    "Input.dispatchMouseEvent",
                    json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
                )
                .await;
            }
        })
        .await;
    }

    /// An attribute of the element as the page was served (`value` is the field's initial value).
    pub async fn attribute(&self, selector: &str, name: &str) -> Option<String> {
        let node = self.node(selector).await;
        let attrs = self
            .call("DOM.getAttributes", json!({"nodeId": node}))
            .await["attributes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        attrs
            .chunks(2)
            .find(|pair| pair[0] == name)
            .and_then(|pair| pair[1].as_str().map(str::to_owned))
    }

    /// The page's markup as the browser holds it now.
    pub async fn html(&self) -> String {
        let root = self.call("DOM.getDocument", json!({"depth": 0})).await["root"]["nodeId"]
            .as_i64()
            .expect("document");
        self.call("DOM.getOuterHTML", json!({"nodeId": root})).await["outerHTML"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The address the tab shows.
    pub async fn url(&self) -> String {
        self.conn
            .call(
                None,
                "Target.getTargetInfo",
                json!({"targetId": self.target}),
            )
            .await["targetInfo"]["url"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Evaluates JavaScript in the page (JavaScript must be on) and returns its value.
    pub async fn eval(&self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
            )
            .await;
        if let Some(e) = r.get("exceptionDetails") {
            panic!("the page threw: {e}");
        }
        r["result"]["value"].clone()
    }

    /// axe-core's serious and critical violations on the page as it is now (WCAG 2.0 and 2.1,
    /// A and AA, and axe's best practices).
    pub async fn axe(&self) -> Vec<Violation> {
        let path = std::env::var("MOTCUA_TEST_AXE")
            .unwrap_or_else(|_| "/var/cache/motcua-tools/node_modules/axe-core/axe.min.js".into());
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read axe-core at {path} ({e}): run the tests through scripts/test, \
                 which installs it, or set MOTCUA_TEST_AXE"
            )
        });
        self.eval(&source).await;
        let found = self
            .eval(
                "axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: \
                 ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}).then(r => \
                 JSON.stringify(r.violations.filter(v => v.impact === 'serious' || \
                 v.impact === 'critical').map(v => ({id: v.id, impact: v.impact, help: v.help, \
                 nodes: v.nodes.map(n => n.target.join(' '))}))))",
            )
            .await;
        serde_json::from_str(found.as_str().expect("axe's answer")).expect("axe's violations")
    }

    /// A PNG of the whole page at the tab's width, saved as `<target>/test-artifacts/<name>`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let metrics = self.call("Page.getLayoutMetrics", json!({})).await;
        let height = metrics["cssContentSize"]["height"]
            .as_f64()
            .unwrap_or(f64::from(self.viewport.height))
            .ceil();
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true,
                    "clip": {"x": 0, "y": 0, "width": self.viewport.width, "height": height,
                        "scale": 1}}),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("image data"))
            .expect("base64");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let path = artifacts_dir().join(name);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("artifacts folder");
        std::fs::write(&path, png).expect("write the screenshot");
        eprintln!("screenshot: {}", path.display());
        path
    }
}

/// `<target dir>/test-artifacts`: the test binary runs from `<target dir>/<profile>/deps/`.
pub fn artifacts_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors()
        .nth(3)
        .map(|target| target.join("test-artifacts"))
        .unwrap_or_else(|| std::env::temp_dir().join("motcua-test-artifacts"))
}
