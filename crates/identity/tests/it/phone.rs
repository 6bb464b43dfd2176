//! Accounts named by a mobile number: registration verified by an SMS code
//! through the outbox, sign-in and recovery with the number, and the caps
//! on SMS codes per number, per network address and per day.

use platform::both_backends;
use platform::outbox::entity;
use platform::testkit::{Backend, TestApp, TestClient};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::support::*;

const NUMBER: &str = "+85291234567";

/// SMS messages to `number`, oldest first.
async fn texts_to(app: &TestApp, number: &str) -> Vec<entity::Model> {
    let all = entity::Entity::find().order_by_asc(entity::Column::CreatedAt).all(app.db()).await.unwrap();
    all.into_iter().filter(|m| m.recipient == number && m.channel == "sms").collect()
}

fn code_in(body: &str) -> String {
    body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a code").to_owned()
}

/// Registers `typed` (a number as a resident types it); returns the verification ID.
async fn register_number(client: &TestClient, typed: &str) -> reqwest::Response {
    client.post_form("/en/register", &[("email", typed), ("password", PASSWORD)]).await
}

fn verification_of(r: &reqwest::Response) -> String {
    let loc = location(r);
    assert!(loc.starts_with("/en/verify?v="), "{loc}");
    loc.rsplit('=').next().unwrap().to_owned()
}

/// Registers and verifies a mobile number: the client ends signed in.
pub(crate) async fn registered_number(app: &TestApp, typed: &str) -> TestClient {
    let client = app.client();
    let r = register_number(&client, typed).await;
    let v = verification_of(&r);
    let number = format!("+852{}", typed.replace(' ', ""));
    let code = code_in(&texts_to(app, &number).await.last().expect("an SMS").body);
    assert_eq!(location(&enter_code(&client, &v, &code).await), "/en/account");
    client
}

async fn register_sign_in_and_recover_by_mobile_number(backend: Backend) {
    let app = spawn(backend).await;
    let client = app.client();
    // Typed as a resident would, without the country code.
    let r = register_number(&client, "9123 4567").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let v = verification_of(&r);
    let texts = texts_to(&app, NUMBER).await;
    assert_eq!(texts.len(), 1, "one SMS, to the number in E.164 form");
    assert!(texts[0].subject.is_none());
    assert!(texts[0].body.starts_with("Lionrock code: "), "{}", texts[0].body);
    assert!(mail_to(&app, "9123 4567").await.is_empty());

    let page = client.get(&format!("/en/verify?v={v}")).await.text().await.unwrap();
    assert!(page.contains("<h1>Check your phone</h1>"), "{page}");
    let r = enter_code(&client, &v, &code_in(&texts[0].body)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/account");
    let account = client.get("/en/account").await.text().await.unwrap();
    assert!(account.contains(NUMBER), "the account is named by its number");
    let data: serde_json::Value = client.get("/en/account/data.json").await.json().await.unwrap();
    assert_eq!(data["account"]["mobile_number"], NUMBER);
    assert!(data["account"]["mobile_number_verified_at"].is_string());
    assert!(data["account"]["email"].is_null());

    // Sign in with the number in another spelling.
    client.post_form("/en/sign-out", &[]).await;
    let r = sign_in(&client, "+852 9123-4567", PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/account");

    // Recovery by number: the code comes by SMS, the notice too.
    let stranger = app.client();
    let r = stranger.post_form("/en/recover", &[("email", "91234567")]).await;
    assert_eq!(r.status(), 303);
    let v = location(&r).rsplit('=').next().unwrap().to_owned();
    let code = code_in(&texts_to(&app, NUMBER).await.last().unwrap().body);
    let new_password = "harbour ferry lantern kite";
    let r = stranger.post_form("/en/recover/reset", &[("v", &v), ("code", &code), ("password", new_password)]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(client.get("/en/account").await.status(), 401, "signed out everywhere");
    assert!(texts_to(&app, NUMBER).await.last().unwrap().body.contains("password"), "told by SMS");
    assert_eq!(location(&sign_in(&stranger, NUMBER, new_password).await), "/en/account");
}
both_backends!(register_sign_in_and_recover_by_mobile_number);

async fn numbers_are_checked_and_a_taken_one_looks_the_same(backend: Backend) {
    let app = spawn(backend).await;
    let c = app.client();
    for (typed, message) in [
        ("+44 7700 900123", "We can only send text messages to numbers starting with +852."),
        ("+852 2123 4567", "Enter a mobile number in the correct format"),
        ("9123 456", "Enter a mobile number in the correct format"),
    ] {
        let r = register_number(&c, typed).await;
        assert_eq!(r.status(), 422, "{typed}");
        assert!(r.text().await.unwrap().contains(message), "{typed}: {message}");
    }
    // The password may not hold the number.
    let r = c.post_form("/en/register", &[("email", "6123 4567"), ("password", "my number 61234567 ok")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("must not contain your e-mail address, your mobile number"));
    assert!(texts_to(&app, "+85261234567").await.is_empty(), "nothing sent for a refused form");

    // A number that has an account: the same answer, and its owner is told.
    let owner = app.client();
    let v = verification_of(&register_number(&owner, "6123 4567").await);
    let code = code_in(&texts_to(&app, "+85261234567").await[0].body);
    assert_eq!(enter_code(&owner, &v, &code).await.status(), 303);
    let r = register_number(&app.client(), "+852 6123 4567").await;
    assert_eq!(r.status(), 303, "looks like a registration");
    let texts = texts_to(&app, "+85261234567").await;
    assert_eq!(texts.len(), 2);
    assert!(texts[1].body.contains("already has one"), "{}", texts[1].body);
}
both_backends!(numbers_are_checked_and_a_taken_one_looks_the_same);

async fn metric(app: &TestApp, cap: &str) -> u64 {
    let text = app.client().get("/metrics").await.text().await.unwrap();
    let prefix = format!("lionrock_sms_cap_tripped_total{{cap=\"{cap}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(prefix.as_str())).map_or(0, |v| v.trim().parse().unwrap())
}

/// A client whose requests come from `ip` (through a trusted proxy).
async fn post_from(client: &TestClient, ip: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = client.csrf_token().await;
    let mut all = fields.to_vec();
    all.push(("_csrf", &token));
    client.http.post(client.url(path)).header("x-forwarded-for", ip).form(&all).send().await.unwrap()
}

/// The cap metrics are the whole process's: both backends' runs of the test
/// below take turns and read how much each count grew.
static CAP_METRICS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn sms_codes_are_capped_per_number_per_address_and_per_day(backend: Backend) {
    let _turn = CAP_METRICS.lock().await;
    let app = app()
        .backend(backend)
        .config(|c| {
            let identity = c.section_mut("identity");
            identity.insert("sms_max_per_number_per_day".into(), 2.into());
            identity.insert("sms_max_per_ip_per_day".into(), 3.into());
            identity.insert("sms_max_per_day".into(), 4.into());
            c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .spawn()
        .await;
    let before = [metric(&app, "number").await, metric(&app, "ip").await, metric(&app, "day").await];
    let grown = |cap: &'static str| {
        let app = &app;
        let at = ["number", "ip", "day"].iter().position(|c| *c == cap).unwrap();
        async move { metric(app, cap).await - before[at] }
    };
    let c = app.client();
    let register = |ip: &'static str, number: &'static str| {
        let c = &c;
        async move { post_from(c, ip, "/en/register", &[("email", number), ("password", PASSWORD)]).await }
    };
    // Per number: a registration and a resend, then no more.
    let r = register("203.0.113.1", "9100 0001").await;
    let v = verification_of(&r);
    app.db().execute_unprepared("UPDATE verification SET last_sent_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    let r = post_from(&c, "203.0.113.1", "/en/verify/resend", &[("v", &v)]).await;
    assert_eq!(r.status(), 303);
    app.db().execute_unprepared("UPDATE verification SET last_sent_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    let r = post_from(&c, "203.0.113.1", "/en/verify/resend", &[("v", &v)]).await;
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("We cannot send more codes to this number or from your network today."));
    assert_eq!(texts_to(&app, "+85291000001").await.len(), 2, "the third code was not sent");
    assert_eq!(grown("number").await, 1);

    // Per address: a third number from the same address is refused, and nothing is kept.
    assert_eq!(register("203.0.113.1", "9100 0002").await.status(), 303);
    let r = register("203.0.113.1", "9100 0003").await;
    assert_eq!(r.status(), 429);
    assert!(texts_to(&app, "+85291000003").await.is_empty());
    assert_eq!(grown("ip").await, 1);
    assert_eq!(sign_in(&c, "+85291000003", PASSWORD).await.status(), 422, "no account was created");

    // An IPv6 subscriber holds a whole /64: its addresses share one count.
    // (The day's overall count is set aside meanwhile, and put back after.)
    app.db().execute_unprepared("UPDATE code_send_count SET sent = 0 WHERE key = 'all'").await.unwrap();
    assert_eq!(register("2001:db8:1:2::1", "9100 0006").await.status(), 303);
    assert_eq!(register("2001:db8:1:2::2", "9100 0007").await.status(), 303);
    assert_eq!(register("2001:db8:1:2:abcd::2", "9100 0008").await.status(), 303);
    let r = register("2001:db8:1:2:ffff::3", "9100 0009").await;
    assert_eq!(r.status(), 429, "a fourth number from the same /64 is refused");
    assert!(texts_to(&app, "+85291000009").await.is_empty());
    assert_eq!(grown("ip").await, 2);
    app.db().execute_unprepared("UPDATE code_send_count SET sent = 3 WHERE key = 'all'").await.unwrap();

    // Per day, overall: the fifth code today is refused from anywhere.
    assert_eq!(register("198.51.100.7", "9100 0004").await.status(), 303);
    let r = register("192.0.2.55", "9100 0005").await;
    assert_eq!(r.status(), 429);
    assert_eq!(grown("day").await, 1);
    // E-mail is not capped by the SMS caps (it has its own, per address).
    assert_eq!(register("192.0.2.55", "chiu@example.org").await.status(), 303);
    assert_eq!(mail_to(&app, "chiu@example.org").await.len(), 1);
}
both_backends!(sms_codes_are_capped_per_number_per_address_and_per_day);

async fn add_an_email_address_then_change_the_number(backend: Backend) {
    let app = spawn(backend).await;
    let c = registered_number(&app, "9234 5678").await;
    let page = c.get("/en/account/sign-in-details").await.text().await.unwrap();
    assert!(page.contains("+85292345678 · verified"), "{page}");
    assert!(page.contains("Not added"), "no e-mail address yet");

    // Add an e-mail address: the code goes there.
    let r = c.post_form("/en/account/sign-in-details", &[("value", "Wong.Phone@Example.org")]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let v = location(&r).rsplit('=').next().unwrap().to_owned();
    let code = latest_code(&app, "wong.phone@example.org").await;
    let r = c.post_form("/en/account/sign-in-details/verify", &[("v", &v), ("code", "000000")]).await;
    assert_eq!(r.status(), 422);
    let r = c.post_form("/en/account/sign-in-details/verify", &[("v", &v), ("code", &code)]).await;
    assert_eq!(location(&r), "/en/account/sign-in-details?changed=1");
    let page = c.get("/en/account/sign-in-details?changed=1").await.text().await.unwrap();
    assert!(page.contains("wong.phone@example.org · verified"));
    // Either now signs in.
    let other = app.client();
    assert_eq!(location(&sign_in(&other, "wong.phone@example.org", PASSWORD).await), "/en/account");

    // Change the number: the new one gets the code, the old one is told.
    let r = c.post_form("/en/account/sign-in-details", &[("value", "9345 6789")]).await;
    let v = location(&r).rsplit('=').next().unwrap().to_owned();
    let code = code_in(&texts_to(&app, "+85293456789").await[0].body);
    let r = c.post_form("/en/account/sign-in-details/verify", &[("v", &v), ("code", &code)]).await;
    assert_eq!(location(&r), "/en/account/sign-in-details?changed=1");
    assert!(texts_to(&app, "+85292345678").await.last().unwrap().body.contains("no longer used"));
    assert_eq!(sign_in(&app.client(), "+85292345678", PASSWORD).await.status(), 422, "the old number is gone");
    assert_eq!(location(&sign_in(&app.client(), "+85293456789", PASSWORD).await), "/en/account");
}
both_backends!(add_an_email_address_then_change_the_number);

async fn a_taken_address_cannot_be_added_and_its_owner_is_told(backend: Backend) {
    let app = spawn(backend).await;
    let _owner = registered(&app, "owner@example.org").await;
    let c = registered_number(&app, "9456 7890").await;
    let r = c.post_form("/en/account/sign-in-details", &[("value", "owner@example.org")]).await;
    assert_eq!(r.status(), 303, "looks like any other request");
    let v = location(&r).rsplit('=').next().unwrap().to_owned();
    let mail = mail_to(&app, "owner@example.org").await;
    assert!(mail.last().unwrap().subject.as_deref().unwrap().contains("Someone tried to add your address"));
    // No code was sent, and none works.
    let r = c.post_form("/en/account/sign-in-details/verify", &[("v", &v), ("code", "123456")]).await;
    assert_eq!(r.status(), 422);
    // The same number again: said plainly (it is the resident's own).
    let r = c.post_form("/en/account/sign-in-details", &[("value", "+852 9456 7890")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("That is already the one on your account."));
    let r = c.post_form("/en/account/sign-in-details", &[("value", "")]).await;
    assert!(r.text().await.unwrap().contains("Enter your e-mail address or mobile number."));
    // Another resident cannot finish this resident's change.
    let r = c.post_form("/en/account/sign-in-details", &[("value", "new.one@example.org")]).await;
    let v = location(&r).rsplit('=').next().unwrap().to_owned();
    let code = latest_code(&app, "new.one@example.org").await;
    let intruder = registered(&app, "intruder2@example.org").await;
    let r = intruder.post_form("/en/account/sign-in-details/verify", &[("v", &v), ("code", &code)]).await;
    assert_eq!(r.status(), 404);
}
both_backends!(a_taken_address_cannot_be_added_and_its_owner_is_told);

/// An installation made before mobile numbers keeps its accounts when it
/// upgrades: the migrations that make the e-mail address optional (SQLite
/// rewrites the table definition in place) lose no row and break nothing.
async fn upgrading_keeps_existing_accounts(backend: Backend) {
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::MigratorTraitSelf;
    let dir = tempfile_dir();
    let db = match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}/upgrade.db?mode=rwc", dir.display());
            platform::db::connect_url(&url, 5, 5000, None).await.unwrap()
        }
        Backend::Postgres => {
            let url = std::env::var(platform::testkit::POSTGRES_ENV).unwrap();
            let schema = format!("u_{}", uuid::Uuid::new_v4().simple());
            let admin = platform::db::connect_url(&url, 1, 5000, None).await.unwrap();
            admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.unwrap();
            platform::db::connect_url(&url, 5, 5000, Some(&schema)).await.unwrap()
        }
    };
    let migrator = platform::app::migrator(&[platform::app::platform_module(), identity::module()]);
    let all = MigratorTraitSelf::migrations(&migrator);
    let before = all.iter().position(|m| m.name().ends_with("identity_mobile_numbers")).unwrap();
    // The schema as the previous release left it, with an account in it.
    MigratorTraitSelf::up(&migrator, &db, Some(u32::try_from(before).unwrap())).await.unwrap();
    let insert = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_owned());
    db.execute_raw(insert("INSERT INTO person (id, created_at) VALUES ('p1', '2026-01-01 00:00:00+00:00')"))
        .await
        .unwrap();
    db.execute_raw(insert(
        "INSERT INTO account (id, person_id, email, status, level, roles, created_at) \
         VALUES ('a1', 'p1', 'early@example.org', 'active', 'basic', '[]', '2026-01-01 00:00:00+00:00')",
    ))
    .await
    .unwrap();

    let applied = migrator.run(&db).await.unwrap();
    assert_eq!(applied.len(), all.len() - before, "{applied:?}");
    let account = identity::store::account_by_id(&db, "a1").await.unwrap().expect("the account is still there");
    assert_eq!(account.email.as_deref(), Some("early@example.org"));
    assert_eq!(account.phone, None);
    // Now an account may have no e-mail address, and numbers are unique.
    db.execute_raw(insert("INSERT INTO person (id, created_at) VALUES ('p2', '2026-01-02 00:00:00+00:00')"))
        .await
        .unwrap();
    db.execute_raw(insert(
        "INSERT INTO account (id, person_id, phone, status, level, roles, created_at) \
         VALUES ('a2', 'p2', '+85291234567', 'active', 'basic', '[]', '2026-01-02 00:00:00+00:00')",
    ))
    .await
    .unwrap();
    db.execute_raw(insert("INSERT INTO person (id, created_at) VALUES ('p3', '2026-01-03 00:00:00+00:00')"))
        .await
        .unwrap();
    let duplicate = db
        .execute_raw(insert(
            "INSERT INTO account (id, person_id, phone, status, level, roles, created_at) \
             VALUES ('a3', 'p3', '+85291234567', 'active', 'basic', '[]', '2026-01-03 00:00:00+00:00')",
        ))
        .await;
    assert!(duplicate.is_err(), "a number belongs to one account");
    if backend == Backend::Sqlite {
        let ok = db.query_one_raw(insert("PRAGMA integrity_check")).await.unwrap().unwrap();
        assert_eq!(ok.try_get_by_index::<String>(0).unwrap(), "ok");
        assert!(db.query_all_raw(insert("PRAGMA foreign_key_check")).await.unwrap().is_empty());
    }
    std::fs::remove_dir_all(&dir).ok();
}
both_backends!(upgrading_keeps_existing_accounts);

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lionrock-upgrade-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asks to recover a number from one address, then for the code again
/// twice; the statuses, and every SMS count afterwards (no cap is reached:
/// the metrics are the whole process's, other tests read them).
async fn recover_and_resend_twice(backend: Backend, with_account: bool) -> (Vec<u16>, Vec<i32>) {
    let app = app()
        .backend(backend)
        .config(|c| c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()])
        .spawn()
        .await;
    if with_account {
        let _ = registered_number(&app, "9100 0001").await;
        app.db().execute_unprepared("DELETE FROM code_send_count").await.unwrap();
    }
    let c = app.client();
    let r = post_from(&c, "203.0.113.1", "/en/recover", &[("email", "9100 0001")]).await;
    let mut statuses = vec![r.status().as_u16()];
    let v = location(&r).rsplit('=').next().unwrap().to_owned();
    for _ in 0..2 {
        app.db()
            .execute_unprepared("UPDATE verification SET last_sent_at = '2000-01-01 00:00:00+00:00'")
            .await
            .unwrap();
        statuses.push(post_from(&c, "203.0.113.1", "/en/verify/resend", &[("v", &v)]).await.status().as_u16());
    }
    let mut counts: Vec<i32> =
        identity::sms::entity::Entity::find().all(app.db()).await.unwrap().into_iter().map(|r| r.sent).collect();
    counts.sort_unstable();
    assert_eq!(texts_to(&app, "+85291000001").await.len(), if with_account { 4 } else { 0 }, "only real ones are sent");
    (statuses, counts)
}

/// A resend for a number without an account (a decoy) spends from the
/// number's, the address's and the day's counts exactly as a real one.
async fn resends_for_a_number_without_an_account_count_like_real_ones(backend: Backend) {
    let unknown = recover_and_resend_twice(backend, false).await;
    assert_eq!(unknown, (vec![303, 303, 303], vec![3, 3, 3]), "the day's, the number's and the address's counts");
    assert_eq!(recover_and_resend_twice(backend, true).await, unknown);
}
both_backends!(resends_for_a_number_without_an_account_count_like_real_ones);

/// A change's code is never sent again through the registration's resend:
/// it would go to the old address, proving the new one without reaching it.
async fn a_change_code_is_not_resent_to_the_old_address(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = registered(&app, "old.address@example.org").await;
    let r = c.post_form("/en/account/sign-in-details", &[("value", "not.mine@example.org")]).await;
    assert_eq!(r.status(), 303);
    let v = location(&r).rsplit('=').next().unwrap().to_owned();
    let before = mail_to(&app, "old.address@example.org").await.len();
    app.db().execute_unprepared("UPDATE verification SET last_sent_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    assert_eq!(c.post_form("/en/verify/resend", &[("v", &v)]).await.status(), 404);
    assert_eq!(mail_to(&app, "old.address@example.org").await.len(), before, "no code went to the old address");
}
both_backends!(a_change_code_is_not_resent_to_the_old_address);
