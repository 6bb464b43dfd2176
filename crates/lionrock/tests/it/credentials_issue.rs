//! `lionrock credentials issue --csv FILE`: the real binary issues the
//! example file's four records, issues the good rows of a file with a bad
//! one (and nothing for the bad one), and refuses files it cannot use.

use std::path::Path;

use platform::config::Config;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{lionrock, run, stderr, stdout, workspace};

const HEADER: &str =
    "kind,document_kind,document_number,family_name,given_name,birth_date,product,dose_number,doses_in_series,date";

/// Each line of `--json` output, parsed.
fn lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(out).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}"))).collect()
}

/// (records, audit entries by `cli` issuing) in the installation's database.
async fn counts(dir: &Path) -> (i64, i64) {
    let mut config = Config::default();
    config.server.data_dir = dir.join("lionrock-data");
    let db = platform::db::connect(&config).await.unwrap();
    let count = |sql: &str| {
        let statement = Statement::from_string(db.get_database_backend(), sql.to_owned());
        let db = &db;
        async move { db.query_one_raw(statement).await.unwrap().unwrap().try_get::<i64>("", "n").unwrap() }
    };
    let records = count("SELECT COUNT(*) AS n FROM credential_record").await;
    let audited =
        count("SELECT COUNT(*) AS n FROM audit_log WHERE actor = 'cli' AND action = 'credentials.issue'").await;
    db.close().await.unwrap();
    (records, audited)
}

fn installation() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(lionrock(dir.path()).args(["keys", "init"])).status.success());
    dir
}

/// The example file with its dates moved as far as today is from the day
/// it was written (2026-11-30): a test certificate lives three days after
/// its sample and validity periods end, so a fixed file goes stale (the
/// README says to edit the dates). Birth dates are left alone.
fn example_as_of_today() -> String {
    let written = time::Date::from_calendar_date(2026, time::Month::November, 30).unwrap();
    let shift = time::OffsetDateTime::now_utc().date() - written;
    let text = std::fs::read_to_string(workspace().join("examples/credentials.csv")).unwrap();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("20") {
        let candidate = rest.get(at..at + 10).unwrap_or("");
        out.push_str(&rest[..at]);
        match time::Date::parse(candidate, format) {
            Ok(date) if date.year() >= 2026 => {
                out.push_str(&(date + shift).format(format).unwrap());
                rest = &rest[at + 10..];
            }
            _ => {
                out.push_str("20");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn the_example_file_issues_four_records() {
    let dir = installation();
    let text = example_as_of_today();
    let kinds: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(kinds, ["vaccination", "test", "recovery", "exemption"]);
    let example = dir.path().join("credentials.csv");
    std::fs::write(&example, &text).unwrap();
    let out = run(lionrock(dir.path()).args(["credentials", "issue", "--json", "--csv"]).arg(&example));
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = lines(&out);
    assert_eq!(rows.len(), 4, "{}", stdout(&out));
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["row"], i + 1);
        assert!(credentials::records::uvci_is_well_formed(row["uvci"].as_str().unwrap()), "{row}");
        assert!(row["hc1"].as_str().unwrap().starts_with("HC1:"), "{row}");
    }
    let uvcis: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["uvci"].as_str().unwrap()).collect();
    assert_eq!(uvcis.len(), 4, "four different UVCIs: {uvcis:?}");
    assert_eq!(counts(dir.path()).await, (4, 4), "four records, each audited as issued by cli");

    // Without --json: a line a row.
    let out = run(lionrock(dir.path()).args(["credentials", "issue", "--csv"]).arg(&example));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).lines().all(|l| l.contains(": URN:UVCI:01:HK:") && l.contains(" HC1:")), "{}", stdout(&out));
}

#[tokio::test]
async fn a_bad_row_is_reported_and_the_others_issued() {
    let dir = installation();
    let file = dir.path().join("batch.csv");
    let good =
        |name: &str| format!("vaccination,hkid,A123456(3),Chan,\"{name}\",1985-04-12,EU/1/20/1528,1,2,2026-10-01");
    let bad = "vaccination,hkid,A123456(4),Chan,Tai Man,1985-04-12,Sputnik,1,2,2026-10-01";
    std::fs::write(&file, format!("{HEADER}\r\n{}\r\n{bad}\r\n{}\r\n", good("Tai Man"), good("Siu Ming"))).unwrap();
    let out = run(lionrock(dir.path()).args(["credentials", "issue", "--json", "--csv"]).arg(&file));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("1 of 3 rows not issued"), "{}", stderr(&out));
    let rows = lines(&out);
    assert_eq!(rows.len(), 3);
    assert!(rows[0]["uvci"].is_string() && rows[2]["uvci"].is_string(), "rows 1 and 3 issued: {rows:?}");
    assert_eq!(rows[1]["row"], 2);
    assert!(rows[1].get("uvci").is_none());
    let errors = rows[1]["errors"].as_array().unwrap();
    let fields: Vec<&str> = errors.iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["document_number", "product"]);
    assert!(errors[0]["message"].as_str().unwrap().contains("check digit"), "English messages: {errors:?}");
    assert_eq!(counts(dir.path()).await, (2, 2), "no record for the bad row");

    // A row with the wrong number of fields is that row's error.
    std::fs::write(&file, format!("{HEADER}\n{}\nvaccination,hkid\n", good("Tai Man"))).unwrap();
    let out = run(lionrock(dir.path()).args(["credentials", "issue", "--json", "--csv"]).arg(&file));
    assert_eq!(out.status.code(), Some(1));
    let rows = lines(&out);
    assert!(rows[1]["errors"][0]["message"].as_str().unwrap().contains("has 2 fields; the header has 10"));
    assert_eq!(counts(dir.path()).await.0, 3);
}

#[tokio::test]
async fn files_it_cannot_use_are_refused_with_exit_2() {
    let dir = installation();
    let file = dir.path().join("batch.csv");
    let refused = |contents: &str, says: &str| {
        std::fs::write(&file, contents).unwrap();
        let out = run(lionrock(dir.path()).args(["credentials", "issue", "--csv"]).arg(&file));
        assert_eq!(out.status.code(), Some(2), "{contents:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{contents:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    };
    refused(&format!("{HEADER},colour\n"), "unknown column \"colour\"");
    refused(&format!("{HEADER}\nvaccination,\"hkid\n"), "line 2: a quoted field is not closed");
    refused("", "header row");
    let out = run(lionrock(dir.path()).args(["credentials", "issue", "--csv", "no-such.csv"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such.csv"), "{}", stderr(&out));
    let out = run(lionrock(dir.path()).args(["credentials", "issue"]));
    assert_eq!(out.status.code(), Some(2), "--csv is required");
}

/// `serve --demo`: the health officer it prints signs in and issues a
/// record through the officers' form; the resident is real-name and holds
/// the demo's vaccination record.
#[tokio::test]
async fn the_demo_has_a_health_officer_and_a_resident_with_a_record() {
    platform::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = lionrock(dir.path());
    cmd.args(["serve", "--demo", "--json", "--listen", "127.0.0.1:0"]);
    let server = crate::support::Served::start(cmd);
    let notes: Vec<String> = serde_json::from_value(server.info["demo_notes"].clone()).unwrap();
    let sign_in = |prefix: &str| {
        let note = notes.iter().find(|n| n.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix}: {notes:?}"));
        let (email, password) = note.split_once(": ").unwrap().1.split_once(" / ").unwrap();
        (email.to_owned(), password.to_owned())
    };
    assert!(notes.iter().any(|n| n.starts_with("demo credentials: ")), "{notes:?}");
    let addr: std::net::SocketAddr = server.info["listening"].as_str().unwrap().parse().unwrap();

    let officer = platform::testkit::TestClient::new(addr);
    let (email, password) = sign_in("demo health officer");
    let r = officer.post_form("/en/sign-in", &[("email", &email), ("password", &password)]).await;
    assert_eq!(r.status(), 303);
    let html = officer.get("/en/officer/credentials").await.text().await.unwrap();
    assert!(html.contains("?kind=vaccination") && html.contains("?kind=exemption"), "both scopes: {html}");
    let person = platform::demo::RESIDENT;
    let fields = [
        ("kind", "exemption"),
        ("document_kind", "hkid"),
        ("document_number", person.hkid),
        ("family_name", person.family_name),
        ("given_name", person.given_name),
        ("birth_date", person.birth_date),
        ("reason", "medical"),
        ("valid_from", &days_from_today(-30)),
        ("valid_until", &days_from_today(150)),
    ];
    let r = officer.post_form("/en/officer/credentials", &fields).await;
    assert_eq!(r.status(), 303);
    let confirmation = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(officer.get(&confirmation).await.text().await.unwrap().contains("URN:UVCI:01:HK:"));

    let resident = platform::testkit::TestClient::new(addr);
    let (email, password) = sign_in("demo resident");
    let r = resident.post_form("/en/sign-in", &[("email", &email), ("password", &password)]).await;
    assert_eq!(r.status(), 303);
    let html = resident.get("/en/account").await.text().await.unwrap();
    assert!(html.contains("Real name (identity document verified)"), "{html}");
    assert_eq!(resident.get("/en/officer/credentials").await.status(), 403);
    assert!(server.terminate());

    // The resident's document holds the demo's vaccination and the officer's exemption.
    let mut config = Config::default();
    config.server.data_dir = dir.path().join("lionrock-data");
    let db = platform::db::connect(&config).await.unwrap();
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT kind, issued_by FROM credential_record ORDER BY issued_at".to_owned(),
    );
    let rows: Vec<(String, String)> = db
        .query_all_raw(statement)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("", "kind").unwrap(), r.try_get("", "issued_by").unwrap()))
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0], ("vaccination".to_owned(), "demo".to_owned()));
    assert!(rows[1].0 == "exemption" && rows[1].1.starts_with("account:"), "{rows:?}");
}

/// `users create --role officer` with these `--scope`s.
fn create_officer(dir: &Path, email: &str, scopes: &[&str]) -> std::process::Output {
    use std::io::Write;
    let mut command = lionrock(dir);
    command.args(["users", "create", "--email", email, "--password-stdin", "--json", "--role", "officer"]);
    for scope in scopes {
        command.args(["--scope", scope]);
    }
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"correct horse battery staple\n").unwrap();
    child.wait_with_output().unwrap()
}

/// Officers get every module's scopes the way they get identity's: the
/// scopes are the ones the binary's modules declare, and nothing else.
#[test]
fn users_create_grants_the_scopes_modules_declare() {
    let dir = installation();
    let out = create_officer(dir.path(), "nurse@example.org", &["health-records", "exemption-issuer"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let created: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(created["scopes"], serde_json::json!(["health-records", "exemption-issuer"]));

    let out = create_officer(dir.path(), "centre@example.org", &["booking-staff", "booking-results", "booking-staff"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let created: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(created["scopes"], serde_json::json!(["booking-staff", "booking-results"]), "once each");

    let out = create_officer(dir.path(), "who@example.org", &["booking-admin"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let line = stderr(&out);
    assert_eq!(line.trim().lines().count(), 1, "one line: {line}");
    assert!(
        line.contains("\"booking-admin\"") && line.contains("booking-lab") && line.contains("real-name-verifier"),
        "{line}"
    );
}

/// The date `days` from today (`YYYY-MM-DD`).
fn days_from_today(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}
