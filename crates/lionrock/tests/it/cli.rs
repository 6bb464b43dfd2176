//! Commands, their output and their exit codes.

use platform::audit::{self, AuditEntry};
use platform::config::Config;
use platform::crypto::{Key, Keys};
use sea_orm::ConnectionTrait;

use crate::support::{lionrock, run, stderr, stdout};

#[test]
fn version_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(lionrock(dir.path()).arg("--version"));
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), format!("lionrock {}", env!("CARGO_PKG_VERSION")));
    let out = run(lionrock(dir.path()).arg("--help"));
    assert!(stdout(&out).contains("serve"));
}

#[test]
fn wrong_arguments_give_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let line = one_error_line(&run(lionrock(dir.path()).args(["serve", "--bogus"])));
    assert!(line.contains("--bogus") && line.contains("lionrock --help"), "{line}");
    let line = one_error_line(&run(lionrock(dir.path()).args(["serve", "--listen", "not-an-address"])));
    assert!(line.contains("not-an-address"), "{line}");
    let line = one_error_line(&run(lionrock(dir.path()).args(["keys"])));
    assert!(line.contains("missing"), "{line}");
    one_error_line(&run(lionrock(dir.path()).args(["frobnicate"])));
    one_error_line(&run(&mut lionrock(dir.path())));
}

#[test]
fn a_lionrock_variable_that_names_no_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // One underscore: it used to be skipped, and the server ran on SQLite.
    let out = run(lionrock(dir.path())
        .env("LIONROCK_DATABASE_URL", "postgres://db.example/lionrock")
        .args(["config", "check"]));
    let line = one_error_line(&out);
    assert!(line.contains("LIONROCK_DATABASE_URL") && line.contains("LIONROCK_DATABASE__URL"), "{line}");
    let line =
        one_error_line(&run(lionrock(dir.path()).env("LIONROCK_SERVER__LISTEN_ON", "x").args(["config", "check"])));
    assert!(line.contains("LIONROCK_SERVER__LISTEN_ON") && line.contains("server.listen_on"), "{line}");
    let line = one_error_line(&run(lionrock(dir.path())
        .env("LIONROCK_DATABASE__MAX_CONNECTIONS", "0")
        .args(["config", "check"])));
    assert!(line.contains("LIONROCK_DATABASE__MAX_CONNECTIONS"), "the variable, not \"config\": {line}");
    let out =
        run(lionrock(dir.path()).env("LIONROCK_LOG", "warn").env("LIONROCK_TEST_X", "1").args(["config", "check"]));
    assert!(out.status.success(), "{}", stderr(&out));
}

fn one_error_line(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(out));
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one line: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    lines[0].to_owned()
}

#[test]
fn bad_config_file_names_file_key_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lionrock.toml");
    std::fs::write(&file, "[server]\nlisten = 8080\n").unwrap();
    let line = one_error_line(&run(lionrock(dir.path()).args(["--config", file.to_str().unwrap(), "config", "check"])));
    assert!(line.contains("lionrock.toml"), "{line}");
    assert!(line.contains("server.listen"), "{line}");
    assert!(line.contains("invalid type"), "{line}");

    std::fs::write(&file, "[server\nlisten = 8080\n").unwrap();
    let line = one_error_line(&run(lionrock(dir.path()).args(["--config", file.to_str().unwrap(), "config", "check"])));
    assert!(line.contains("not valid TOML (line 1)"), "{line}");

    std::fs::write(&file, "[mail]\ntransport = \"pigeon\"\n").unwrap();
    let line = one_error_line(&run(lionrock(dir.path()).args(["config", "check", "--config", file.to_str().unwrap()])));
    assert!(line.contains("mail.transport") && line.contains("pigeon"), "{line}");

    let line = one_error_line(&run(lionrock(dir.path()).args(["--config", "missing.toml", "config", "check"])));
    assert!(line.contains("missing.toml") && line.contains("cannot read"), "{line}");
    // A places file is checked with the configuration, line by line.
    let places = dir.path().join("places.csv");
    std::fs::write(&places, "# CIDR, names\n203.0.113.0/24, Library, 圖書館\n").unwrap();
    std::fs::write(&file, format!("[identity]\nplaces_file = {:?}\n", places.to_str().unwrap())).unwrap();
    let out = run(lionrock(dir.path()).args(["--config", file.to_str().unwrap(), "config", "check"]));
    assert_eq!(out.status.code(), Some(2));
    let line = one_error_line(&out);
    assert!(line.contains("identity.places_file") && line.contains("line 2: expected 4"), "{line}");

    let words = dir.path().join("banned.txt");
    std::fs::write(&words, "kowloon\nhk\n").unwrap();
    std::fs::write(&file, format!("[identity]\nbanned_words_file = {:?}\n", words.to_str().unwrap())).unwrap();
    let line = one_error_line(&run(lionrock(dir.path()).args(["--config", file.to_str().unwrap(), "config", "check"])));
    assert!(line.contains("identity.banned_words_file") && line.contains("line 2"), "{line}");

    std::fs::write(&file, "[locale]\ntimezone = \"Asia/Kowloon\"\n").unwrap();
    let line = one_error_line(&run(lionrock(dir.path()).args(["--config", file.to_str().unwrap(), "config", "check"])));
    assert!(line.contains("locale.timezone") && line.contains("Asia/Kowloon"), "{line}");
}

#[test]
fn bad_environment_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let line =
        one_error_line(&run(lionrock(dir.path()).args(["config", "check"]).env("LIONROCK_SERVER__LISTEN", "nowhere")));
    assert!(line.contains("LIONROCK_SERVER__LISTEN") && line.contains("server.listen"), "{line}");
    let line =
        one_error_line(&run(lionrock(dir.path()).args(["config", "check"]).env("LIONROCK_SERVER__LISTENING", "x")));
    assert!(line.contains("listening"), "{line}");
    // Caps are at least 1, like the SMS caps.
    let cap = "LIONROCK_IDENTITY__EMAIL_MAX_PER_ADDRESS_PER_DAY";
    let line = one_error_line(&run(lionrock(dir.path()).args(["config", "check"]).env(cap, "0")));
    assert!(line.contains("identity.email_max_per_address_per_day") && line.contains("at least 1"), "{line}");
}

#[test]
fn config_check_prints_effective_config_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("pw");
    std::fs::write(&secret, "correct-horse-battery-staple\n").unwrap();
    let out = run(lionrock(dir.path())
        .args(["config", "check", "--json"])
        .env("LIONROCK_SERVER__LISTEN", "127.0.0.1:9999")
        .env("LIONROCK_MAIL__SMTP_PASSWORD_FILE", &secret)
        .env("LIONROCK_SMS__WEBHOOK_TOKEN", "token-abc-123"));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(config["server"]["listen"], "127.0.0.1:9999");
    assert_eq!(config["mail"]["smtp_password"], "[redacted]");
    assert!(!text.contains("correct-horse") && !text.contains("token-abc-123"), "{text}");
}

#[test]
fn serve_refuses_to_start_without_keys() {
    let dir = tempfile::tempdir().unwrap();
    let line = one_error_line(&run(lionrock(dir.path()).args(["serve", "--listen", "127.0.0.1:0"])));
    assert!(line.contains("crypto.data_key_file") && line.contains("keys init"), "{line}");
}

#[test]
fn keys_init_and_migrate_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(lionrock(dir.path()).args(["keys", "init", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let created: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(created["created"].as_array().unwrap().len(), 3);
    assert!(dir.path().join("lionrock-data/keys/audit.key").exists(), "the audit key is made with the others");
    let out = run(lionrock(dir.path()).args(["keys", "init", "--json"]));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()["created"], serde_json::json!([]));

    let out = run(lionrock(dir.path()).args(["migrate", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let applied: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(applied["applied"].as_array().unwrap().iter().any(|m| m == "m20261125_000001_platform_core"));
    assert!(dir.path().join("lionrock-data/lionrock.db").exists(), "data directory created on first run");
    let out = run(lionrock(dir.path()).args(["migrate", "--json"]));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()["applied"], serde_json::json!([]));
}

/// Keys init, migrate, and `n` audit entries made with the installation's key.
async fn installation_with_entries(dir: &std::path::Path, n: usize) -> sea_orm::DatabaseConnection {
    assert!(run(lionrock(dir).args(["keys", "init"])).status.success());
    assert!(run(lionrock(dir).arg("migrate")).status.success());
    let mut config = Config::default();
    config.server.data_dir = dir.join("lionrock-data");
    let key = |name: &str| Key::load("test", &config.server.data_dir.join("keys").join(name)).unwrap();
    let keys = Keys::new(key("data.key"), key("blind-index.key"), key("audit.key"));
    let db = platform::db::connect(&config).await.unwrap();
    for i in 0..n {
        audit::record_now(&db, &keys, AuditEntry::new("account:1", "test.cli", format!("object:{i}"))).await.unwrap();
    }
    db
}

#[tokio::test]
async fn audit_verify_reports_the_first_broken_link() {
    let dir = tempfile::tempdir().unwrap();
    let db = installation_with_entries(dir.path(), 4).await;

    let out = run(lionrock(dir.path()).args(["audit", "verify"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "audit log intact: 4 entries verified");

    platform::testkit::drop_audit_triggers(&db).await;
    db.execute_unprepared("UPDATE audit_log SET actor = 'account:2' WHERE seq = 2").await.unwrap();
    db.close().await.unwrap();
    let out = run(lionrock(dir.path()).args(["audit", "verify", "--json"]));
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_broken"]["seq"], 2);
    assert_eq!(report["entries"], 1);
    let out = run(lionrock(dir.path()).args(["audit", "checkpoint"]));
    assert_eq!(out.status.code(), Some(1), "no checkpoint of a broken chain");
    assert!(stdout(&out).starts_with("audit log broken at entry 2"), "{}", stdout(&out));
}

#[tokio::test]
async fn audit_checkpoint_exposes_a_cut_chain() {
    let dir = tempfile::tempdir().unwrap();
    let db = installation_with_entries(dir.path(), 3).await;
    let out = run(lionrock(dir.path()).args(["audit", "checkpoint"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("audit checkpoint: entry 3 hash "), "{}", stdout(&out));
    let out = run(lionrock(dir.path()).args(["audit", "checkpoint", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let checkpoint: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!((checkpoint["seq"].as_i64(), checkpoint["keyed_from"].as_i64()), (Some(3), Some(1)));
    assert_eq!(checkpoint["mac"].as_str().unwrap().len(), 64);
    let file = dir.path().join("checkpoint.json");
    std::fs::write(&file, stdout(&out)).unwrap();
    let verify = |json: bool| {
        let mut cmd = lionrock(dir.path());
        cmd.args(["audit", "verify", "--checkpoint"]).arg(&file);
        if json {
            cmd.arg("--json");
        }
        run(&mut cmd)
    };
    let out = verify(false);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("still holds the checkpoint of entry 3"), "{}", stdout(&out));

    // Cut back to entry 1, head and all: only the checkpoint tells.
    platform::testkit::drop_audit_triggers(&db).await;
    db.execute_unprepared("DELETE FROM audit_log WHERE seq > 1").await.unwrap();
    db.execute_unprepared("UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_log WHERE seq = 1)")
        .await
        .unwrap();
    db.close().await.unwrap();
    assert!(run(lionrock(dir.path()).args(["audit", "verify"])).status.success());
    let out = verify(true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["first_broken"]["seq"], 2, "{report}");
}

/// Keys init, and a database written by a release without the audit key:
/// `n` entries linked by plain SHA-256, not yet upgraded.
async fn installation_from_before_the_audit_key(dir: &std::path::Path, n: i64) {
    assert!(run(lionrock(dir).args(["keys", "init"])).status.success());
    let mut config = Config::default();
    config.server.data_dir = dir.join("lionrock-data");
    let db = platform::db::connect(&config).await.unwrap();
    platform::db::Migrator::new(vec![platform::testkit::migrations_before_the_audit_key as platform::db::MigrationSet])
        .run(&db)
        .await
        .unwrap();
    platform::testkit::append_plain_audit_entries(&db, n).await;
    platform::testkit::age_migrations(&db).await;
    db.close().await.unwrap();
}

#[tokio::test]
async fn audit_seal_seals_a_log_upgraded_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    installation_from_before_the_audit_key(dir.path(), 3).await;
    // Migrated where the audit key is not: the log is left unsealed.
    let key = dir.path().join("lionrock-data/keys/audit.key");
    let away = dir.path().join("audit.key.away");
    std::fs::rename(&key, &away).unwrap();
    let out = run(lionrock(dir.path()).arg("migrate"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("lionrock audit seal"), "{}", stderr(&out));
    std::fs::rename(&away, &key).unwrap();

    let out = run(lionrock(dir.path()).args(["audit", "verify"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("audit log broken at entry 4: the start of the keyed chain is not sealed"), "{text}");
    assert!(text.contains("run `lionrock audit seal` with the key") && text.contains("(3 entries"), "{text}");
    let out = run(lionrock(dir.path()).args(["audit", "checkpoint"]));
    assert_eq!(out.status.code(), Some(1), "no checkpoint of an unsealed log");

    let out = run(lionrock(dir.path()).args(["audit", "seal"]));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        stdout(&out),
        "sealed the audit log's keyed chain from entry 4 with the audit key\naudit log intact: 3 entries verified\n"
    );
    let out = run(lionrock(dir.path()).args(["audit", "seal", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (&json["sealed"], &json["report"]["ok"], &json["report"]["keyed_from"]),
        (&false.into(), &true.into(), &4.into())
    );
    assert!(run(lionrock(dir.path()).args(["audit", "verify"])).status.success());
}

#[tokio::test]
async fn migrating_with_the_audit_key_seals_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    installation_from_before_the_audit_key(dir.path(), 2).await;
    let out = run(lionrock(dir.path()).arg("migrate"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("audit seal"), "{}", stderr(&out));
    let out = run(lionrock(dir.path()).args(["audit", "verify"]));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out).trim(), "audit log intact: 2 entries verified");
    let out = run(lionrock(dir.path()).args(["audit", "seal"]));
    assert!(stdout(&out).starts_with("the audit log was already sealed"), "{}", stdout(&out));

    // A log keyed from its first entry needs no seal.
    let fresh = tempfile::tempdir().unwrap();
    let _db = installation_with_entries(fresh.path(), 1).await;
    let out = run(lionrock(fresh.path()).args(["audit", "seal"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("the audit log was keyed from its first entry"), "{}", stdout(&out));
}

#[tokio::test]
async fn audit_verify_refuses_a_bad_checkpoint_file() {
    let dir = tempfile::tempdir().unwrap();
    let _db = installation_with_entries(dir.path(), 1).await;
    let out = run(lionrock(dir.path()).args(["audit", "checkpoint", "--json"]));
    let mut checkpoint: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let file = dir.path().join("checkpoint.json");
    let verify = || run(lionrock(dir.path()).args(["audit", "verify", "--checkpoint"]).arg(&file));

    let line = one_error_line(&verify());
    assert!(line.contains("--checkpoint") && line.contains("checkpoint.json"), "missing file: {line}");
    std::fs::write(&file, "audit checkpoint: entry 1").unwrap();
    let line = one_error_line(&verify());
    assert!(line.contains("not an audit checkpoint"), "{line}");
    checkpoint["seq"] = 7.into();
    std::fs::write(&file, checkpoint.to_string()).unwrap();
    let out = verify();
    assert_eq!(out.status.code(), Some(1), "an altered checkpoint is a failed check");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: --checkpoint") && err.contains("does not verify"), "{err}");
    assert!(stdout(&out).is_empty());
    let out = run(lionrock(dir.path()).args(["audit", "verify", "--checkpoint"]));
    assert_eq!(out.status.code(), Some(2), "a missing value is a usage error");
}

#[test]
fn users_create_makes_an_account_that_can_sign_in() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    assert!(run(lionrock(dir.path()).args(["keys", "init"])).status.success());
    // `users create` with `--email` or `--phone` naming the account, the password on stdin.
    let create_as = |flag: &str, name: &str, password: &str, extra: &[&str]| {
        let mut child = lionrock(dir.path())
            .args(["users", "create", flag, name, "--password-stdin", "--json"])
            .args(extra)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(password.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let create = |email: &str, password: &str, extra: &[&str]| create_as("--email", email, password, extra);
    let out = create("admin@example.org", "correct horse battery staple\n", &["--role", "admin", "--real-name"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let created: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(created["email"], "admin@example.org");
    assert_eq!(created["level"], "real_name");
    assert_eq!(created["roles"], serde_json::json!(["admin"]));
    assert!(uuid::Uuid::parse_str(created["account_id"].as_str().unwrap()).is_ok());

    let line = one_error_line(&create("admin@example.org", "another long passphrase here", &[]));
    assert!(line.contains("exists"), "{line}");
    let line = one_error_line(&create("weak@example.org", "short", &[]));
    assert!(line.contains("password") && line.contains("15"), "{line}");
    let line = one_error_line(&create("not-an-address", "correct horse battery staple", &[]));
    assert!(line.contains("--email"), "{line}");
    let out = run(lionrock(dir.path()).args(["users", "create", "--email", "x@example.org"]));
    assert_eq!(out.status.code(), Some(2), "--password-stdin is required");

    // By mobile number instead: normalised, and refused outside the allowed countries.
    let by_phone = |phone: &str| create_as("--phone", phone, "correct horse battery staple", &[]);
    let out = by_phone("9123 4567");
    assert!(out.status.success(), "{}", stderr(&out));
    let created: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(created["phone"], "+85291234567");
    assert!(created["email"].is_null());
    let out = by_phone("+44 7700 900123");
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("--phone"));
    let out = run(lionrock(dir.path()).args(["users", "create", "--password-stdin"]));
    assert_eq!(out.status.code(), Some(2), "--email or --phone is required");
}

#[test]
fn clients_create_and_keys_rotate() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(lionrock(dir.path()).args(["keys", "init"])).status.success());
    let out = run(lionrock(dir.path()).args([
        "clients",
        "create",
        "--name",
        "Harbour Library",
        "--redirect-uri",
        "https://rp.example.org/cb",
        "--scope",
        "email",
        "--json",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let created: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(created["client_id"].as_str().unwrap().len(), 32);
    assert_eq!(created["client_secret"].as_str().unwrap().len(), 43);

    let out = run(lionrock(dir.path()).args([
        "clients",
        "create",
        "--name",
        "App",
        "--redirect-uri",
        "http://localhost:9/cb",
        "--public",
        "--json",
    ]));
    let created: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(created.get("client_secret").is_none(), "public clients have no secret");

    let line = one_error_line(&run(lionrock(dir.path()).args([
        "clients",
        "create",
        "--name",
        "X",
        "--redirect-uri",
        "http://rp.example.org/cb",
    ])));
    assert!(line.contains("--redirect-uri") && line.contains("https"), "{line}");
    let line = one_error_line(&run(lionrock(dir.path()).args([
        "clients",
        "create",
        "--name",
        "X",
        "--redirect-uri",
        "https://a.example/cb",
        "--scope",
        "wallet",
    ])));
    assert!(line.contains("--scope"), "{line}");
    let line = one_error_line(&run(lionrock(dir.path()).args([
        "clients",
        "create",
        "--name",
        "X",
        "--redirect-uri",
        "https://a.example/cb",
        "--redirect-uri",
        "https://b.example/cb",
        "--pairwise",
    ])));
    assert!(line.contains("--pairwise") && line.contains("one host"), "{line}");

    let first = run(lionrock(dir.path()).args(["keys", "rotate", "--purpose", "oidc", "--json"]));
    assert!(first.status.success(), "{}", stderr(&first));
    let second = run(lionrock(dir.path()).args(["keys", "rotate", "--purpose", "oidc", "--json"]));
    let kid =
        |o: &std::process::Output| serde_json::from_str::<serde_json::Value>(&stdout(o)).unwrap()["active_kid"].clone();
    assert_ne!(kid(&first), kid(&second));
    assert_eq!(run(lionrock(dir.path()).args(["keys", "rotate", "--purpose", "dcc"])).status.code(), Some(2));

    // The credentials' document signer and root: each rotation makes a new active key.
    let mut kids = std::collections::BTreeSet::new();
    for purpose in ["dcc-dsc", "dcc-dsc", "dcc-csca"] {
        let out = run(lionrock(dir.path()).args(["keys", "rotate", "--purpose", purpose, "--json"]));
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(kids.insert(kid(&out).as_str().unwrap().to_owned()), "a new key each time");
    }
    let out = run(lionrock(dir.path()).args(["audit", "verify", "--json"]));
    assert!(out.status.success(), "the rotations are in an intact audit log: {}", stdout(&out));
}
