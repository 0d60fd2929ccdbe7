//! The OpenAPI document as the server serves it: the committed copy `docs/openapi.json`, the
//! routes it describes (all of them, and only them), and the interactive docs served from the
//! binary itself.

mod common;

use std::collections::BTreeSet;

use common::{Backend, TestApp};
use reqwest::Method;
use serde_json::Value;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");

/// Every operation of the API as (method, path). `api::routes` registers one route for the
/// lifecycle actions, `POST /api/v1/dossiers/{code}/{action}`, and one for the dossier's forms,
/// `GET /api/v1/dossiers/{code}/forms/{form}`; the document shows one operation per action and
/// per form so that each has its own body and parameters, and so does this list.
const OPERATIONS: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    // Registered by app.rs beside the API.
    ("GET", "/metrics"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/users"),
    ("GET", "/api/v1/offices"),
    ("POST", "/api/v1/offices"),
    ("GET", "/api/v1/offices/{code}"),
    ("GET", "/api/v1/procedures"),
    ("POST", "/api/v1/procedures"),
    ("GET", "/api/v1/procedures/{code}"),
    ("GET", "/api/v1/calendar/days"),
    ("PUT", "/api/v1/calendar/days/{date}"),
    ("DELETE", "/api/v1/calendar/days/{date}"),
    ("GET", "/api/v1/calendar/changes"),
    ("GET", "/api/v1/calendar/deadline"),
    ("GET", "/api/v1/dossiers"),
    ("POST", "/api/v1/dossiers"),
    ("GET", "/api/v1/dossiers/{code}"),
    ("GET", "/api/v1/dossiers/{code}/events"),
    ("GET", "/api/v1/dossiers/{code}/apology-letters"),
    ("GET", "/api/v1/dossiers/{code}/forms/receipt"),
    ("GET", "/api/v1/dossiers/{code}/forms/supplement-request"),
    ("GET", "/api/v1/dossiers/{code}/forms/refusal"),
    ("GET", "/api/v1/dossiers/{code}/forms/stop-notice"),
    ("GET", "/api/v1/dossiers/{code}/forms/control-slip"),
    ("POST", "/api/v1/dossiers/{code}/transfer"),
    ("POST", "/api/v1/dossiers/{code}/request-supplement"),
    ("POST", "/api/v1/dossiers/{code}/supplement-received"),
    ("POST", "/api/v1/dossiers/{code}/request-payment"),
    ("POST", "/api/v1/dossiers/{code}/payment-received"),
    ("POST", "/api/v1/dossiers/{code}/reschedule"),
    ("POST", "/api/v1/dossiers/{code}/resolve"),
    ("POST", "/api/v1/dossiers/{code}/return-result"),
    ("POST", "/api/v1/dossiers/{code}/reject"),
    ("POST", "/api/v1/dossiers/{code}/withdraw"),
    ("POST", "/api/v1/dossiers/{code}/stop"),
    ("GET", "/api/v1/apology-letters"),
    ("GET", "/api/v1/dossiers/{code}/notifications"),
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/apology-letters/{id}/document"),
    ("GET", "/api/v1/reports/overdue"),
    ("GET", "/api/v1/reports/summary"),
    ("GET", "/api/v1/reports/steps"),
    ("GET", "/api/v1/events"),
    ("POST", "/api/v1/webhooks"),
    ("GET", "/api/v1/webhooks"),
    ("GET", "/api/v1/webhooks/{id}"),
    ("PATCH", "/api/v1/webhooks/{id}"),
    ("DELETE", "/api/v1/webhooks/{id}"),
    ("GET", "/api/v1/webhooks/{id}/deliveries"),
    (
        "POST",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry",
    ),
    ("GET", "/api/v1/reports/register"),
    ("GET", "/api/v1/public/dossiers/{code}"),
    // People, offices and procedures over time.
    ("POST", "/api/v1/me/password"),
    ("GET", "/api/v1/users"),
    ("GET", "/api/v1/users/{username}"),
    ("PATCH", "/api/v1/users/{username}"),
    ("GET", "/api/v1/users/{username}/changes"),
    ("PATCH", "/api/v1/offices/{code}"),
    ("POST", "/api/v1/offices/{code}/close"),
    ("PATCH", "/api/v1/procedures/{code}"),
    ("GET", "/api/v1/procedures/{code}/versions"),
    ("GET", "/api/v1/reports/fees"),
    ("GET", "/api/v1/reports/satisfaction"),
    ("GET", "/api/v1/reports/scorecard"),
    ("GET", "/api/v1/reports/scorecard/dossiers"),
    ("GET", "/api/v1/public/dossiers/{code}/result"),
    ("GET", "/api/v1/dossiers/{code}/files"),
    ("POST", "/api/v1/dossiers/{code}/files"),
    ("GET", "/api/v1/dossiers/{code}/files/{id}"),
    // Satisfaction and complaints.
    ("GET", "/api/v1/public/ratings/{token}"),
    ("POST", "/api/v1/public/ratings/{token}"),
    ("POST", "/api/v1/public/dossiers/{code}/complaints"),
    ("GET", "/api/v1/dossiers/{code}/complaints"),
    ("GET", "/api/v1/complaints"),
    ("POST", "/api/v1/complaints/{id}/answer"),
    // The citizen's pages, registered by web::routes.
    ("GET", "/"),
    ("GET", "/tra-cuu"),
    ("POST", "/tra-cuu"),
    ("GET", "/assets/{file}"),
    ("GET", "/danh-gia/{token}"),
    ("POST", "/danh-gia/{token}"),
    ("POST", "/phan-anh"),
    ("POST", "/ket-qua"),
];

async fn served_document(app: &TestApp) -> Value {
    let r = app
        .request(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.body.is_object(), "not a JSON document: {}", r.text);
    r.body
}

/// Pretty-printed with sorted keys (serde_json's map is ordered), so diffs stay small.
fn canonical(doc: &Value) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("serialise");
    s.push('\n');
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_the_committed_one() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let served = canonical(&served_document(&app).await);
    if std::env::var("MOTCUA_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(std::path::Path::new(SNAPSHOT).parent().expect("docs/"))
            .expect("create docs/");
        std::fs::write(SNAPSHOT, &served).expect("write docs/openapi.json");
        eprintln!("updated {SNAPSHOT}");
        return;
    }
    let committed = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if committed != served {
        let first = committed
            .lines()
            .zip(served.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(served.lines().count()));
        let line = |text: &str| {
            text.lines()
                .nth(first)
                .unwrap_or("(end of file)")
                .to_owned()
        };
        panic!(
            "docs/openapi.json is not the document the server serves; first difference at line \
             {}:\n  committed: {}\n  served:    {}\nIf the API change is intended, update the copy \
             with `MOTCUA_UPDATE_OPENAPI=1 cargo test --test openapi` (or \
             `MOTCUA_UPDATE_OPENAPI=1 scripts/test the_served_document`), review the diff and \
             commit it.",
            first + 1,
            line(&committed),
            line(&served),
        );
    }
}

/// The (method, path) pairs a `routes` function registers, read from its source.
fn routes_in(source: &str, file: &str) -> BTreeSet<(String, String)> {
    let body = source
        .split("pub fn routes(")
        .nth(1)
        .and_then(|s| s.split("\n}\n").next())
        .unwrap_or_else(|| panic!("fn routes in {file}"));
    let quoted = |piece: &str, call: &str| -> Option<String> {
        let rest = piece.strip_prefix(call)?.strip_prefix('"')?;
        Some(rest.split('"').next()?.to_owned())
    };
    let mut routes = BTreeSet::new();
    let (mut prefix, mut resource) = (String::new(), None::<String>);
    for piece in body.split("web::").skip(1) {
        if let Some(p) = quoted(piece, "scope(") {
            prefix = p;
        } else if let Some(p) = quoted(piece, "resource(") {
            resource = Some(format!("{prefix}{p}"));
        } else if let Some(method) = ["get", "post", "put", "delete", "patch"]
            .into_iter()
            .find(|m| piece.starts_with(&format!("{m}()")))
        {
            let path = resource.clone().expect("a route inside a resource");
            routes.insert((method.to_uppercase(), path));
        }
    }
    routes
}

/// The (method, path) pairs `api::routes` and `web::routes` register, with the actions' route
/// spelled out per action. A route added there must be added to `OPERATIONS` too, which must be
/// in the document.
fn registered_routes() -> BTreeSet<(String, String)> {
    let mut routes = routes_in(include_str!("../src/api/mod.rs"), "src/api/mod.rs");
    assert!(routes.len() > 20, "could not read routes(): {routes:?}");
    let pages = routes_in(include_str!("../src/web/mod.rs"), "src/web/mod.rs");
    assert!(pages.len() >= 4, "could not read web::routes(): {pages:?}");
    routes.extend(pages);
    let actions = (
        "POST".to_owned(),
        "/api/v1/dossiers/{code}/{action}".to_owned(),
    );
    assert!(
        routes.remove(&actions),
        "the actions' route moved: {routes:?}"
    );
    for a in motcua::domain::lifecycle::Action::ALL {
        routes.insert((
            "POST".into(),
            format!("/api/v1/dossiers/{{code}}/{}", a.as_str()),
        ));
    }
    let forms = (
        "GET".to_owned(),
        "/api/v1/dossiers/{code}/forms/{form}".to_owned(),
    );
    assert!(routes.remove(&forms), "the forms' route moved: {routes:?}");
    for f in motcua::forms::DossierForm::ALL {
        routes.insert((
            "GET".into(),
            format!("/api/v1/dossiers/{{code}}/forms/{}", f.as_str()),
        ));
    }
    routes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_documented_and_only_those() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = served_document(&app).await;
    let expected: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert_eq!(
        documented.difference(&expected).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented but not in OPERATIONS"
    );
    assert_eq!(
        expected.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "in OPERATIONS but not documented"
    );
    let mut registered = registered_routes();
    registered.insert(("GET".into(), "/metrics".into()));
    assert_eq!(
        registered.difference(&expected).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "registered in api::routes but not in OPERATIONS (document the route, then list it)"
    );
    assert_eq!(
        expected.difference(&registered).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "in OPERATIONS but not registered in api::routes"
    );
    // Each operation is reachable without an operationId clash, and the protected ones say so.
    let mut ids = BTreeSet::new();
    for (method, path) in OPERATIONS {
        let op = &doc["paths"][path][method.to_lowercase()];
        let id = op["operationId"].as_str().expect("operationId");
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        let public = path.starts_with("/api/v1/public/")
            || *path == "/api/v1/auth/token"
            || !path.starts_with("/api/");
        assert_eq!(
            op.get("security").is_none(),
            public,
            "{method} {path}: security requirement"
        );
        if !public {
            assert!(op["responses"].get("401").is_some(), "{method} {path}: 401");
        }
    }
    // Every reference resolves (a schema used only by a parameter is not registered by itself).
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let pointer = r.strip_prefix('#').expect("a local reference");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interactive_docs_are_served_from_the_binary() {
    let app = TestApp::spawn(Backend::Sqlite).await;

    let r = app.request(Method::GET, "/docs", None, None).await;
    assert_eq!(r.status, 308, "{}", r.text);
    assert_eq!(r.header("location"), Some("/docs/"));

    let page = app.request(Method::GET, "/docs/", None, None).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.header("content-type")
            .is_some_and(|v| v.starts_with("text/html")),
        "{:?}",
        page.header("content-type")
    );
    assert_eq!(
        page.header("content-security-policy"),
        Some(motcua::openapi::DOCS_CONTENT_SECURITY_POLICY)
    );
    // Every script and stylesheet the page names is relative, and served here.
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for piece in page.text.split(attr).skip(1) {
            let target = piece.split('"').next().unwrap_or_default();
            if target.ends_with(".js") || target.ends_with(".css") {
                assets.push(target.to_owned());
            }
        }
    }
    for needed in [
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
        "swagger-ui.css",
    ] {
        assert!(
            assets.iter().any(|a| a.ends_with(needed)),
            "{needed} not in {assets:?}"
        );
    }
    for asset in &assets {
        assert!(
            !asset.contains("//"),
            "{asset} would be loaded from elsewhere"
        );
        let path = format!("/docs/{}", asset.trim_start_matches("./"));
        let r = app.request(Method::GET, &path, None, None).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(!r.text.is_empty(), "{path} is empty");
        let kind = if path.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(
            r.header("content-type")
                .is_some_and(|v| v.starts_with(kind)),
            "{path}: {:?}",
            r.header("content-type")
        );
        if path.ends_with("swagger-initializer.js") {
            assert!(
                r.text.contains("/api-docs/openapi.json"),
                "the page does not load this service's document: {}",
                r.text
            );
        }
    }

    // The docs' policy stays on the docs; the API keeps the strict one.
    let r = app.request(Method::GET, "/healthz", None, None).await;
    assert_ne!(
        r.header("content-security-policy"),
        Some(motcua::openapi::DOCS_CONTENT_SECURITY_POLICY)
    );
    // Anything else under /docs/ is not found; unknown paths elsewhere stay problem+json.
    let r = app
        .request(Method::GET, "/docs/no-such-file.js", None, None)
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .request(Method::GET, "/api-docs/other.json", None, None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}

/// A method a route does not have answers 405 as problem+json, with an `Allow` header listing
/// the methods the document gives the route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_a_route_lacks_is_a_problem_naming_the_allowed_ones() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = served_document(&app).await;
    let methods = ["GET", "PUT", "POST", "DELETE", "PATCH"];
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if path.starts_with("/docs") {
            continue;
        }
        let has: Vec<&str> = methods
            .iter()
            .copied()
            .filter(|m| item.get(m.to_lowercase()).is_some())
            .collect();
        let Some(missing) = methods.iter().find(|m| !has.contains(m)) else {
            continue;
        };
        let concrete = path
            .replace("{code}", "000.00.24.H40-261201-0001")
            .replace("{date}", "2026-12-01")
            .replace("{id}", "1");
        let method = Method::from_bytes(missing.as_bytes()).expect("a method");
        let r = app.request_with(method, &concrete, None, None, &[]).await;
        assert_eq!(r.status, 405, "{missing} {path}: {}", r.text);
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{missing} {path}"
        );
        assert_eq!(r.body["code"], "method_not_allowed", "{missing} {path}");
        // Exactly the documented methods of this path: a client (or a contract checker) that
        // reads Allow must not be offered a method the resource refuses.
        let allow = r.header("allow").unwrap_or_default().to_owned();
        let mut listed: Vec<&str> = allow.split(", ").filter(|m| !m.is_empty()).collect();
        listed.sort_unstable();
        let mut expected = has.clone();
        expected.sort_unstable();
        assert_eq!(listed, expected, "{missing} {path}: Allow {allow:?}");
        checked += 1;
    }
    assert!(checked > 20, "only {checked} routes checked");
}

/// A generated client gets one type per resource: every list's items refer to the item schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_refer_to_their_item_schema() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = served_document(&app).await;
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let lists: Vec<&String> = schemas
        .keys()
        .filter(|k| k.starts_with("ListResponse_"))
        .collect();
    assert!(lists.len() >= 6, "{lists:?}");
    for name in lists {
        let item = name.trim_start_matches("ListResponse_");
        assert_eq!(
            schemas[name]["properties"]["items"]["items"]["$ref"],
            format!("#/components/schemas/{item}"),
            "{name}"
        );
    }
}
