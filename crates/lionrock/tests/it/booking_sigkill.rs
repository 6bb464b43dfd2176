//! Booking survives a crash: the real `lionrock serve`, on SQLite and on
//! PostgreSQL, is killed with SIGKILL in the middle of a rush of bookings and
//! cancellations by signed-in residents; the next server on the same
//! database shows every booking that was answered 201 (confirmed, or
//! cancelled where the cancellation was answered), no half-booking (each
//! slot's `taken` is its bookings that hold a place, never above capacity;
//! each booking and cancellation has its audit entry), and an audit chain
//! that verifies. Every attempt books for a person nobody booked for yet
//! (the residents' dependants, added through identity's page) with a
//! document of their own, so no attempt is refused as a duplicate (one
//! booking per person and programme step, and per document) and the rush
//! goes on until the kill.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use platform::testkit::TestClient;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::support::{Served, lionrock, run, stderr, stdout};

/// A person to book for: the index of the resident who looks after them, and their person ID.
type Person = (usize, String);

const RESIDENTS: usize = 4;
/// The people each resident looks after: one is booked for per attempt.
const DEPENDANTS: usize = 40;
/// Clients booking at once: four per resident (one session each, shared).
const WORKERS: usize = 16;
/// Two centres, two half-hour slots a day, three days: 12 slots.
const SLOTS: usize = 12;
const CAPACITY: i64 = 5;
/// The server is killed once this many bookings were confirmed (a third of the places).
const KILL_AFTER: usize = 20;
const PASSWORD: &str = "a long enough pass phrase for the rush";

/// The `n`th valid HKID (a letter, six digits, the check digit).
fn hkid(n: u32) -> String {
    let letter = b'A' + u8::try_from(n / 1_000_000 % 26).unwrap();
    let digits = format!("{:06}", n % 1_000_000);
    let mut sum = 9 * 36 + 8 * u32::from(letter - b'A' + 10);
    for (i, d) in digits.bytes().enumerate() {
        sum += (7 - u32::try_from(i).unwrap()) * u32::from(d - b'0');
    }
    let check = match 11 - sum % 11 {
        11 => '0',
        10 => 'A',
        c => char::from_digit(c, 10).unwrap(),
    };
    format!("{}{digits}({check})", char::from(letter))
}

/// A testing programme at the basic level: two centres open 09:00–10:00
/// every day, slots of `CAPACITY` places from tomorrow for three days.
fn plan() -> Value {
    let every_day = json!(["09:00-10:00"]);
    let centre = |slug: &str, district: &str| {
        json!({
            "slug": slug,
            "name": {"en": slug, "zh-HK": slug, "zh-CN": slug},
            "address": {"en": "1 Test Road", "zh-HK": "測試道1號", "zh-CN": "测试道1号"},
            "district": district,
            "latitude": 22.38,
            "longitude": 114.19,
            "hours": {"mon": every_day, "tue": every_day, "wed": every_day, "thu": every_day,
                      "fri": every_day, "sat": every_day, "sun": every_day}
        })
    };
    json!({"programme": [{
        "slug": "crash-testing",
        "kind": "testing",
        "name": {"en": "Crash testing", "zh-HK": "當機檢測", "zh-CN": "宕机检测"},
        "eligibility": {"level": "basic"},
        "product": [{"code": "pcr", "name": {"en": "PCR test", "zh-HK": "核酸檢測", "zh-CN": "核酸检测"}}],
        "centre": [centre("sha-tin-town-hall", "sha-tin"), centre("wan-chai-sports-centre", "wan-chai")],
        "slots": [{"from": "today+1", "days": 3, "minutes": 30, "capacity": CAPACITY}]
    }]})
}

/// An installation in a fresh directory: keys, and the database at `url` (SQLite in the directory when `None`).
struct Installation {
    dir: tempfile::TempDir,
    url: Option<String>,
}

impl Installation {
    fn command(&self) -> Command {
        let mut cmd = lionrock(self.dir.path());
        if let Some(url) = &self.url {
            cmd.env("LIONROCK_DATABASE__URL", url);
        }
        cmd
    }

    /// `lionrock serve`, with the per-IP limit lifted: the whole rush comes from one address.
    fn serve(&self) -> Served {
        let mut cmd = self.command();
        cmd.env("LIONROCK_LIMITS__GLOBAL_PER_IP_PER_SECOND", "1000000").args([
            "serve",
            "--json",
            "--listen",
            "127.0.0.1:0",
        ]);
        Served::start(cmd)
    }

    fn create_resident(&self, email: &str) {
        let mut child = self
            .command()
            .args(["users", "create", "--email", email, "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "users create {email}");
    }

    async fn db(&self) -> DatabaseConnection {
        match &self.url {
            Some(url) => platform::db::connect_url(url, 1, 5000, None).await.unwrap(),
            None => {
                let mut config = platform::config::Config::default();
                config.server.data_dir = self.dir.path().join("lionrock-data");
                platform::db::connect(&config).await.unwrap()
            }
        }
    }
}

fn address(server: &Served) -> std::net::SocketAddr {
    server.info["listening"].as_str().unwrap().parse().unwrap()
}

/// Signs `email` in with its password; returns the client and its CSRF token.
async fn sign_in(server: &Served, email: &str) -> (TestClient, String) {
    let client = TestClient::new(address(server));
    let r = client.post_form("/en/sign-in", &[("email", email), ("password", PASSWORD)]).await;
    assert_eq!(r.status(), 303, "sign-in of {email}: {}", r.text().await.unwrap());
    let token = client.csrf_token().await;
    (client, token)
}

/// The person IDs on a dependants page (each one's remove button names it).
fn person_ids(html: &str) -> Vec<String> {
    html.split("name=\"person_id\" value=\"").skip(1).map(|rest| rest[..rest.find('"').unwrap()].to_owned()).collect()
}

/// Adds `DEPENDANTS` people for the signed-in `client` on identity's page; returns their person IDs.
async fn add_dependants(client: &TestClient, resident: usize) -> Vec<String> {
    for n in 0..DEPENDANTS {
        let name = format!("Rush Dependant {resident} {n}");
        let fields = [("name", name.as_str()), ("birthdate", "1990-01-01"), ("relation", "relative")];
        let r = client.post_form("/en/account/dependants", &fields).await;
        assert_eq!(r.status(), 303, "adding a dependant: {}", r.text().await.unwrap());
    }
    let ids = person_ids(&client.get("/en/account/dependants").await.text().await.unwrap());
    assert_eq!(ids.len(), DEPENDANTS);
    ids
}

/// What one client saw of the rush.
#[derive(Debug, Default)]
struct Seen {
    /// Answered 201: booking ID to slot ID.
    booked: BTreeMap<String, String>,
    /// Cancellations answered 200.
    cancelled: BTreeSet<String>,
    /// A cancellation sent when the server died: either outcome is right.
    cancel_in_doubt: BTreeSet<String>,
    /// Bookings sent when the server died (no answer): at most these may exist unanswered.
    book_in_doubt: usize,
    full: usize,
    /// Any other answer, which the rush must not get.
    unexpected: Vec<String>,
}

/// The rush's shared state: the sessions, the slots, the people not booked
/// for yet (taken in turn), and the count of bookings answered 201.
struct Rush {
    sessions: Vec<(TestClient, String)>,
    slots: Vec<String>,
    people: Vec<Person>,
    next_person: AtomicUsize,
    booked: AtomicUsize,
}

/// One client: books one place after another, each for the next person
/// nobody booked for yet (every third person's booking it cancels again), until the
/// server stops answering or the people run out.
async fn worker(rush: Arc<Rush>, n: usize) -> Seen {
    let mut seen = Seen::default();
    for i in 0.. {
        let p = rush.next_person.fetch_add(1, Ordering::SeqCst);
        let Some((resident, person)) = rush.people.get(p) else { return seen };
        let (client, token) = &rush.sessions[*resident];
        let slot = &rush.slots[(n * 5 + i * 7) % rush.slots.len()];
        let document = hkid(u32::try_from(10_000 + p).unwrap());
        let body = json!({"slot_id": slot, "person_id": person, "document": {"kind": "hkid", "number": document}});
        let sent = client
            .http
            .post(client.url("/api/v1/booking/bookings"))
            .header(platform::web::CSRF_HEADER, token)
            .json(&body)
            .send()
            .await;
        let Ok(response) = sent else {
            seen.book_in_doubt += 1;
            return seen;
        };
        let status = response.status().as_u16();
        let Ok(answer) = response.json::<Value>().await else {
            seen.book_in_doubt += 1;
            return seen;
        };
        match status {
            201 => {
                let id = answer["id"].as_str().unwrap().to_owned();
                assert!(answer["reference"].is_string(), "{answer}");
                seen.booked.insert(id.clone(), slot.clone());
                rush.booked.fetch_add(1, Ordering::SeqCst);
                if p.is_multiple_of(3) {
                    let sent = client
                        .http
                        .delete(client.url(&format!("/api/v1/booking/bookings/{id}")))
                        .header(platform::web::CSRF_HEADER, token)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 200 => {
                            seen.cancelled.insert(id);
                        }
                        Ok(r) => seen.unexpected.push(format!("cancel {}: {}", r.status(), r.text().await.unwrap())),
                        Err(_) => {
                            seen.cancel_in_doubt.insert(id);
                            return seen;
                        }
                    }
                }
            }
            409 if answer["type"] == "urn:lionrock:problem:booking/full" => seen.full += 1,
            _ => seen.unexpected.push(format!("book {status}: {answer}")),
        }
    }
    seen
}

/// Every slot of the programme's availability: (slot_id, capacity, free).
async fn availability(client: &TestClient, programme: &str) -> Vec<(String, i64, i64)> {
    let r = client.get(&format!("/api/v1/booking/programmes/{programme}/availability")).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let mut out = Vec::new();
    for centre in body["centres"].as_array().unwrap() {
        for day in centre["days"].as_array().unwrap() {
            for s in day["slots"].as_array().unwrap() {
                out.push((
                    s["slot_id"].as_str().unwrap().to_owned(),
                    s["capacity"].as_i64().unwrap(),
                    s["free"].as_i64().unwrap(),
                ));
            }
        }
    }
    out
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap()
}

/// The ledger as the database holds it: checks every slot and booking, and
/// returns the bookings' statuses by ID.
async fn check_ledger(db: &DatabaseConnection, programme: &str) -> BTreeMap<String, String> {
    let slots = rows(
        db,
        &format!(
            "SELECT s.id, CAST(s.taken AS BIGINT) AS taken, CAST(s.capacity AS BIGINT) AS capacity, \
             (SELECT COUNT(*) FROM booking_booking b WHERE b.slot_id = s.id AND b.status <> 'cancelled') AS held \
             FROM booking_slot s WHERE s.centre_id IN (SELECT id FROM booking_centre WHERE programme_id = '{programme}')"
        ),
    )
    .await;
    assert_eq!(slots.len(), SLOTS);
    for s in &slots {
        let id: String = s.try_get("", "id").unwrap();
        let (taken, capacity, held): (i64, i64, i64) =
            (s.try_get("", "taken").unwrap(), s.try_get("", "capacity").unwrap(), s.try_get("", "held").unwrap());
        assert_eq!(capacity, CAPACITY);
        assert!((0..=capacity).contains(&taken), "slot {id}: {taken} of {capacity} taken");
        assert_eq!(taken, held, "slot {id}: taken {taken}, but {held} bookings hold a place in it");
    }
    let bookings = rows(db, "SELECT id, status FROM booking_booking").await;
    let statuses: BTreeMap<String, String> = bookings
        .iter()
        .map(|b| (b.try_get::<String>("", "id").unwrap(), b.try_get::<String>("", "status").unwrap()))
        .collect();
    // Each booking and each cancellation wrote its audit entry in its own transaction: one each, no more.
    let audited = |action: &str| {
        let action = action.to_owned();
        async move {
            rows(db, &format!("SELECT object FROM audit_log WHERE action = '{action}'"))
                .await
                .iter()
                .map(|r| r.try_get::<String>("", "object").unwrap().trim_start_matches("booking:").to_owned())
                .collect::<Vec<_>>()
        }
    };
    let mut booked: Vec<String> = audited("booking.book").await;
    booked.sort();
    assert_eq!(booked, statuses.keys().cloned().collect::<Vec<_>>(), "one booking.book entry per booking");
    let mut cancelled = audited("booking.cancel").await;
    cancelled.sort();
    let cancelled_rows: Vec<String> =
        statuses.iter().filter(|(_, s)| s.as_str() == "cancelled").map(|(id, _)| id.clone()).collect();
    assert_eq!(cancelled, cancelled_rows, "one booking.cancel entry per cancelled booking");
    statuses
}

async fn sigkill_in_a_booking_rush_loses_no_confirmed_booking(url: Option<String>) {
    platform::install_crypto_provider();
    let install = Installation { dir: tempfile::tempdir().unwrap(), url };
    assert!(run(install.command().args(["keys", "init"])).status.success());
    let plan_file = install.dir.path().join("plan.json");
    std::fs::write(&plan_file, plan().to_string()).unwrap();
    let out = run(install.command().args(["booking", "import", "--json"]).arg(&plan_file));
    assert!(out.status.success(), "{}", stderr(&out));
    let imported: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let programme = imported["programmes"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(imported["programmes"][0]["slots_created"], SLOTS);
    let emails: Vec<String> = (0..RESIDENTS).map(|n| format!("rush-{n}@example.org")).collect();
    for email in &emails {
        install.create_resident(email);
    }

    let mut first = install.serve();
    let mut sessions = Vec::new();
    for email in &emails {
        sessions.push(sign_in(&first, email).await);
    }
    let slots: Vec<String> = availability(&sessions[0].0, &programme).await.into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(slots.len(), SLOTS);
    let mut people = Vec::new();
    for (resident, (client, _)) in sessions.iter().enumerate() {
        people.extend(add_dependants(client, resident).await.into_iter().map(|id| (resident, id)));
    }
    // Interleaved, so the residents' sessions take turns.
    people.sort_by_key(|(resident, id)| (id.clone(), *resident));

    let rush =
        Arc::new(Rush { sessions, slots, people, next_person: AtomicUsize::new(0), booked: AtomicUsize::new(0) });
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..WORKERS {
        tasks.spawn(worker(rush.clone(), n));
    }
    // Killed in the middle of the rush: once a third of the places are confirmed.
    platform::testkit::eventually("a third of the places booked", std::time::Duration::from_secs(120), || {
        let done = rush.booked.load(Ordering::SeqCst) >= KILL_AFTER;
        async move { done.then_some(()) }
    })
    .await;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let mut seen = Seen::default();
    while let Some(part) = tasks.join_next().await {
        let part = part.unwrap();
        seen.booked.extend(part.booked);
        seen.cancelled.extend(part.cancelled);
        seen.cancel_in_doubt.extend(part.cancel_in_doubt);
        seen.book_in_doubt += part.book_in_doubt;
        seen.full += part.full;
        seen.unexpected.extend(part.unexpected);
    }
    assert_eq!(seen.unexpected, Vec::<String>::new(), "only 201, 200 and 409 full before the kill");
    assert!(seen.booked.len() >= KILL_AFTER && seen.booked.len() < SLOTS * usize::try_from(CAPACITY).unwrap());
    assert!(seen.book_in_doubt > 0, "the kill came while bookings were being sent");
    assert!(
        rush.next_person.load(Ordering::SeqCst) < rush.people.len(),
        "the rush was still going at the kill (people to book for were left)"
    );

    // The next server on the same database.
    let second = install.serve();
    let db = install.db().await;
    let statuses = check_ledger(&db, &programme).await;
    for id in seen.booked.keys() {
        let status = statuses.get(id).map(String::as_str);
        if seen.cancelled.contains(id) {
            assert_eq!(status, Some("cancelled"), "booking {id} was cancelled (200)");
        } else if seen.cancel_in_doubt.contains(id) {
            assert!(matches!(status, Some("confirmed" | "cancelled")), "booking {id}: {status:?}");
        } else {
            assert_eq!(status, Some("confirmed"), "booking {id} was answered 201");
        }
    }
    let unanswered = statuses.keys().filter(|id| !seen.booked.contains_key(*id)).count();
    eprintln!(
        "killed after {} bookings answered 201 ({} cancelled, {} cancellations and {} bookings in flight), \
         {} answered full; {unanswered} booked without an answer",
        seen.booked.len(),
        seen.cancelled.len(),
        seen.cancel_in_doubt.len(),
        seen.book_in_doubt,
        seen.full
    );
    assert!(
        unanswered <= seen.book_in_doubt,
        "{unanswered} bookings nobody was answered for, but only {} were in flight at the kill",
        seen.book_in_doubt
    );

    // It takes bookings again, and its availability is the ledger's.
    let (client, token) = sign_in(&second, &emails[0]).await;
    let free: i64 = availability(&client, &programme).await.iter().map(|(_, _, free)| free).sum();
    let held = i64::try_from(statuses.values().filter(|s| s.as_str() != "cancelled").count()).unwrap();
    assert_eq!(free, i64::try_from(SLOTS).unwrap() * CAPACITY - held);
    let (slot, _, _) =
        availability(&client, &programme).await.into_iter().find(|(_, _, free)| *free > 0).expect("a free place");
    let r = client
        .http
        .post(client.url("/api/v1/booking/bookings"))
        .header(platform::web::CSRF_HEADER, &token)
        .json(&json!({"slot_id": slot, "document": {"kind": "hkid", "number": hkid(999_999)}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    check_ledger(&db, &programme).await;
    db.close().await.unwrap();
    assert!(second.terminate());

    let out = run(install.command().args(["audit", "verify"]));
    assert!(out.status.success(), "audit verify: {}{}", stdout(&out), stderr(&out));
}

#[tokio::test]
async fn sigkill_in_a_booking_rush_loses_no_confirmed_booking_sqlite() {
    sigkill_in_a_booking_rush_loses_no_confirmed_booking(None).await;
}

#[tokio::test]
async fn sigkill_in_a_booking_rush_loses_no_confirmed_booking_postgres() {
    let Some(url) = crate::serve::pg_schema_url().await else { return };
    sigkill_in_a_booking_rush_loses_no_confirmed_booking(Some(url)).await;
}
