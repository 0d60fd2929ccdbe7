//! The event feed: every committed event exactly once, in each dossier's order, behind an opaque
//! cursor; also when writers commit out of order (PostgreSQL), and with twenty of them at once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Backend, TestApp};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};

const COUNTER: &str = "000.00.24.H40";
const AGENCY: &str = "000.20.24.H40";
const OTHER: &str = "000.00.25.H40";

async fn setup(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn(backend).await;
    app.office(COUNTER, None).await;
    app.office(AGENCY, Some(COUNTER)).await;
    app.office(OTHER, None).await;
    app.procedure("P5", COUNTER, 5, "working_days").await;
    let clerk = app.staff("clerk", "clerk", COUNTER).await;
    (app, clerk)
}

async fn receive(app: &TestApp, clerk: &str) -> String {
    let r = app
        .post(
            "/api/v1/dossiers",
            clerk,
            json!({"procedure_code": "P5", "channel": "online",
                "applicant": {"full_name": "Lê Thị Hoa", "id_number": "079123456789"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["code"].as_str().unwrap().to_owned()
}

async fn transfer(app: &TestApp, code: &str, to: &str) {
    let r = app
        .post(
            &format!("/api/v1/dossiers/{code}/transfer"),
            &app.admin_token,
            json!({"to_office_code": to}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Reads pages of `limit` from `after` until an empty page; returns the items and the cursor.
async fn follow(
    app: &TestApp,
    token: &str,
    after: Option<String>,
    limit: u32,
) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut cursor = after;
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/v1/events?limit={limit}&after={c}"),
            None => format!("/api/v1/events?limit={limit}"),
        };
        let r = app.get(&q, token).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let page = r.body["items"].as_array().unwrap().clone();
        let next = r.body["next_cursor"].as_str().unwrap().to_owned();
        if let Some(last) = page.last() {
            assert_eq!(
                last["cursor"],
                next.as_str(),
                "next_cursor follows the last item"
            );
        } else {
            if let Some(c) = &cursor {
                assert_eq!(&next, c, "an empty page keeps the cursor");
            }
            return (items, next);
        }
        items.extend(page);
        cursor = Some(next);
    }
}

/// Every event of the database, per dossier, in `seq` order: what the feed must add up to.
async fn histories(app: &TestApp, codes: &[String]) -> BTreeMap<String, Vec<i64>> {
    let mut out = BTreeMap::new();
    for code in codes {
        let r = app
            .get(
                &format!("/api/v1/dossiers/{code}/events?per_page=500"),
                &app.admin_token,
            )
            .await;
        let seqs = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        out.insert(code.clone(), seqs);
    }
    out
}

/// What the feed gave, per dossier, in feed order; panics on an event given twice.
fn per_dossier(items: &[Value]) -> BTreeMap<String, Vec<i64>> {
    let mut seen = BTreeSet::new();
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for e in items {
        let code = e["dossier_code"].as_str().unwrap().to_owned();
        let seq = e["seq"].as_i64().unwrap();
        assert!(
            seen.insert((code.clone(), seq)),
            "{code} #{seq} given twice"
        );
        out.entry(code).or_default().push(seq);
    }
    out
}

async fn the_feed_gives_every_event_once_in_order(backend: Backend) {
    let (app, clerk) = setup(backend).await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(receive(&app, &clerk).await);
    }
    transfer(&app, &codes[0], COUNTER).await;
    transfer(&app, &codes[0], AGENCY).await;
    transfer(&app, &codes[2], AGENCY).await;
    let (items, cursor) = follow(&app, &app.admin_token, None, 2).await;
    assert_eq!(items.len(), 6);
    assert_eq!(per_dossier(&items), histories(&app, &codes).await);
    let first = &items[0];
    assert_eq!(first["action"], "received");
    assert_eq!(first["to_status"], "received");
    assert_eq!(first["office_code"], COUNTER);
    assert!(first["at"].as_str().unwrap().ends_with("+07:00"));
    let handover = items
        .iter()
        .find(|e| e["action"] == "transfer" && e["data"]["to_office_code"] == AGENCY)
        .unwrap();
    assert_eq!(handover["from_status"], "processing");

    // Later events come after the cursor, and only they.
    let r = app
        .post(
            &format!("/api/v1/dossiers/{}/resolve", codes[2]),
            &app.admin_token,
            json!({"outcome": "approved"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (more, _) = follow(&app, &app.admin_token, Some(cursor.clone()), 100).await;
    let got: Vec<(&str, &str)> = more
        .iter()
        .map(|e| {
            (
                e["dossier_code"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [(codes[2].as_str(), "resolve")]);

    // A supervisor of the agency sees the dossiers it holds or held, not the third one.
    let sup = app.staff("sup.agency", "supervisor", AGENCY).await;
    let (theirs, _) = follow(&app, &sup, None, 100).await;
    let theirs: BTreeSet<&str> = theirs
        .iter()
        .map(|e| e["dossier_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        theirs,
        BTreeSet::from([codes[0].as_str(), codes[2].as_str()])
    );
    let outsider = app.staff("sup.other", "supervisor", OTHER).await;
    assert_eq!(follow(&app, &outsider, None, 100).await.0.len(), 0);

    // Bad input changes nothing and says what is wrong; the feed is not for counter clerks.
    for (q, field) in [
        ("after=42", "after"),
        ("after=1-zz", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
    ] {
        let r = app
            .get(&format!("/api/v1/events?{q}"), &app.admin_token)
            .await;
        assert_eq!(r.status, 422, "{q}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{q}");
    }
    assert_eq!(app.get("/api/v1/events", &clerk).await.status, 403);
}

/// A transaction that took its event's id first but commits last: a reader paging by id would
/// skip its event for good; the feed gives it once, after the one that committed first.
async fn out_of_order_commits_are_neither_skipped_nor_repeated(backend: Backend) {
    assert_eq!(backend, Backend::Postgres);
    let (app, clerk) = setup(backend).await;
    let slow = receive(&app, &clerk).await;
    let fast = receive(&app, &clerk).await;
    let (before, cursor) = follow(&app, &app.admin_token, None, 100).await;
    assert_eq!(before.len(), 2);

    // The slow writer appends an event and holds its transaction open.
    let url = app.database.url.clone();
    let slow_code = slow.clone();
    let (appended_tx, appended_rx) = std::sync::mpsc::channel::<()>();
    let (commit_tx, commit_rx) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let mut c = PgConnection::establish(&url).expect("connect");
        c.batch_execute("BEGIN").expect("begin");
        c.batch_execute(&format!(
            "INSERT INTO dossier_events (dossier_id, seq, action, from_status, to_status, actor, \
               at, recorded_at, office_code) \
             SELECT id, 2, 'note', 'received', 'received', 'slow.writer', now(), now(), office_code \
             FROM dossiers WHERE code = '{slow_code}'"
        ))
        .expect("insert");
        appended_tx.send(()).expect("signal");
        commit_rx.recv().expect("wait");
        c.batch_execute("COMMIT").expect("commit");
    });
    appended_rx.recv().expect("the slow event is in");

    // The fast writer's event takes a later id and commits first.
    transfer(&app, &fast, AGENCY).await;
    let (seen, cursor) = follow(&app, &app.admin_token, Some(cursor), 100).await;
    let got: Vec<&str> = seen
        .iter()
        .map(|e| e["dossier_code"].as_str().unwrap())
        .collect();
    assert_eq!(got, [fast.as_str()], "only what has committed");

    commit_tx.send(()).expect("commit now");
    writer.join().expect("writer");
    let (late, _) = follow(&app, &app.admin_token, Some(cursor), 100).await;
    let got: Vec<(&str, i64)> = late
        .iter()
        .map(|e| {
            (
                e["dossier_code"].as_str().unwrap(),
                e["seq"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(slow.as_str(), 2)],
        "the slow event, once, after the fast one"
    );

    let mut all = before;
    all.extend(seen);
    all.extend(late);
    assert_eq!(per_dossier(&all), histories(&app, &[slow, fast]).await);
}

/// Twenty writers on PostgreSQL and a reader following the cursor the whole time.
async fn twenty_writers_and_a_reader(backend: Backend) {
    assert_eq!(backend, Backend::Postgres);
    let (app, clerk) = setup(backend).await;
    let app = Arc::new(app);
    let mut codes = Vec::new();
    for _ in 0..10 {
        codes.push(receive(&app, &clerk).await);
    }
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (app, done) = (app.clone(), done.clone());
        tokio::spawn(async move {
            let mut items = Vec::new();
            let mut cursor = None;
            loop {
                let finished = done.load(Ordering::SeqCst);
                let (page, next) = follow(&app, &app.admin_token, cursor.clone(), 7).await;
                items.extend(page);
                cursor = Some(next);
                if finished {
                    return items;
                }
            }
        })
    };
    let mut writers = Vec::new();
    for w in 0..20 {
        let (app, clerk, codes) = (app.clone(), clerk.clone(), codes.clone());
        writers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for i in 0..6 {
                if i % 3 == 0 {
                    mine.push(receive(&app, &clerk).await);
                } else {
                    // Two writers share each of the first dossiers: their actions queue on its row.
                    let code = &codes[(w + i) % codes.len()];
                    let to = if (w + i) % 2 == 0 { COUNTER } else { AGENCY };
                    transfer(&app, code, to).await;
                }
            }
            mine
        }));
    }
    for w in writers {
        codes.extend(w.await.expect("writer"));
    }
    done.store(true, Ordering::SeqCst);
    let items = reader.await.expect("reader");
    let expected = histories(&app, &codes).await;
    let total: usize = expected.values().map(Vec::len).sum();
    assert_eq!(
        total,
        10 + 20 * 2 + 20 * 4,
        "10 + 40 receipts, 80 transfers"
    );
    assert_eq!(items.len(), total, "every event once");
    assert_eq!(per_dossier(&items), expected, "each dossier in its order");
    let cursors: Vec<&str> = items
        .iter()
        .map(|e| e["cursor"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&&str> = cursors.iter().collect();
    assert_eq!(unique.len(), cursors.len());
}

both_backends!(the_feed_gives_every_event_once_in_order);

mod postgres_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn out_of_order_commits_are_neither_skipped_nor_repeated() {
        if crate::common::skip_postgres() {
            eprintln!("skipped: MOTCUA_TEST_SKIP_POSTGRES=1");
            return;
        }
        super::out_of_order_commits_are_neither_skipped_nor_repeated(
            crate::common::Backend::Postgres,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn twenty_writers_and_a_reader() {
        if crate::common::skip_postgres() {
            eprintln!("skipped: MOTCUA_TEST_SKIP_POSTGRES=1");
            return;
        }
        super::twenty_writers_and_a_reader(crate::common::Backend::Postgres).await
    }
}
