//! The notification outbox: real SMTP and HTTP peers, retries with back-off,
//! and no message lost across a worker restart.

use std::time::Duration;

use platform::both_backends;
use platform::config::{MailTransport, SmsTransport};
use platform::i18n::Lang;
use platform::outbox::{self, Channel, Notification, entity};
use platform::testkit::sinks::{HttpReceiver, SmtpSink};
use platform::testkit::{Backend, TestApp, eventually};
use sea_orm::{EntityTrait, TransactionTrait};

fn email(to: &str, body: &str) -> Notification {
    Notification {
        channel: Channel::Email,
        recipient: to.to_owned(),
        lang: Lang::ZhHk,
        subject: Some("你的驗證碼".to_owned()),
        body: body.to_owned(),
    }
}

fn sms(to: &str, body: &str) -> Notification {
    Notification {
        channel: Channel::Sms,
        recipient: to.to_owned(),
        lang: Lang::En,
        subject: None,
        body: body.to_owned(),
    }
}

async fn row(app: &TestApp, id: &str) -> entity::Model {
    entity::Entity::find_by_id(id.to_owned()).one(app.db()).await.unwrap().unwrap()
}

async fn wait_status(app: &TestApp, id: &str, status: &str) -> entity::Model {
    eventually(&format!("message {id} to be {status}"), Duration::from_secs(30), || async {
        let r = row(app, id).await;
        (r.status == status).then_some(r)
    })
    .await
}

fn smtp_config(port: u16) -> impl FnOnce(&mut platform::config::Config) + Send + 'static {
    move |c| {
        c.outbox.worker = true;
        c.mail.transport = MailTransport::Smtp;
        c.mail.smtp_host = "127.0.0.1".to_owned();
        c.mail.smtp_port = port;
        c.mail.from = "Lionrock <no-reply@lionrock.test>".to_owned();
    }
}

async fn email_is_delivered_over_smtp(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::builder().backend(backend).config(smtp_config(sink.addr.port())).spawn().await;
    let id = outbox::enqueue_now(&app.state, email("mei@example.org", "你的驗證碼是 123456")).await.unwrap();
    let sent = wait_status(&app, &id, "sent").await;
    assert_eq!(sent.attempts, 1);
    assert!(sent.sent_at.is_some());
    let mail = sink.messages();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].from, "no-reply@lionrock.test");
    assert_eq!(mail[0].to, vec!["mei@example.org".to_owned()]);
    assert!(mail[0].data.contains("Subject: =?utf-8?"), "encoded UTF-8 subject:\n{}", mail[0].data);
}
both_backends!(email_is_delivered_over_smtp);

async fn sms_webhook_retries_with_backoff_then_delivers(backend: Backend) {
    let gateway = HttpReceiver::start(2).await;
    let url = gateway.url();
    let app = TestApp::builder()
        .backend(backend)
        .config(move |c| {
            c.outbox.worker = true;
            c.outbox.backoff_base_secs = 0;
            c.sms.transport = SmsTransport::Webhook;
            c.sms.webhook_url = url;
            c.sms.webhook_token = platform::config::Secret::new("gateway-token-123");
        })
        .spawn()
        .await;
    let id = outbox::enqueue_now(&app.state, sms("+85291234567", "Code 654321")).await.unwrap();
    let sent = wait_status(&app, &id, "sent").await;
    assert_eq!(sent.attempts, 3, "two failures, then success");
    assert_eq!(sent.last_error, None);
    let requests = gateway.requests();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_eq!(r.headers["idempotency-key"], id.as_str(), "retries carry the same key");
        assert_eq!(r.headers["authorization"], "Bearer gateway-token-123");
        assert_eq!(r.body["to"], "+85291234567");
        assert_eq!(r.body["message"], "Code 654321");
    }
}
both_backends!(sms_webhook_retries_with_backoff_then_delivers);

#[tokio::test]
async fn a_message_that_keeps_failing_is_marked_failed() {
    let gateway = HttpReceiver::start(usize::MAX).await;
    let url = gateway.url();
    let app = TestApp::builder()
        .config(move |c| {
            c.outbox.worker = true;
            c.outbox.backoff_base_secs = 0;
            c.outbox.max_attempts = 3;
            c.sms.transport = SmsTransport::Webhook;
            c.sms.webhook_url = url;
        })
        .spawn()
        .await;
    let id = outbox::enqueue_now(&app.state, sms("+85291234567", "x")).await.unwrap();
    let failed = wait_status(&app, &id, "failed").await;
    assert_eq!(failed.attempts, 3);
    assert!(failed.last_error.unwrap().contains("500"));
    assert_eq!(gateway.requests().len(), 3);
}

#[test]
fn backoff_doubles_and_is_capped() {
    let mut c = platform::config::Config::default();
    c.outbox.backoff_base_secs = 30;
    c.outbox.backoff_max_secs = 200;
    let secs = |n| outbox::backoff(&c, n).whole_seconds();
    assert!((30..=33).contains(&secs(1)), "{}", secs(1));
    assert!((60..=66).contains(&secs(2)));
    assert!((120..=132).contains(&secs(3)));
    assert!((200..=220).contains(&secs(4)), "capped");
    assert!((200..=220).contains(&secs(40)), "no overflow");
}

async fn nothing_is_lost_when_the_server_dies_before_delivery(backend: Backend) {
    let sink = SmtpSink::start().await;
    // The first server enqueues but never delivers (its worker is off, as if
    // it were killed right after the commit).
    let app = TestApp::builder().backend(backend).spawn().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(outbox::enqueue_now(&app.state, email(&format!("r{i}@example.org"), "hello")).await.unwrap());
    }
    // A worker claims one message and dies mid-delivery (lease taken, no outcome).
    let mut config = app.state.config.clone();
    config.outbox.lease_secs = 1;
    let claimed = outbox::claim(app.db(), &config, 1).await.unwrap();
    assert_eq!(claimed.len(), 1);

    let app = app.restart(smtp_config(sink.addr.port())).await;
    for id in &ids {
        wait_status(&app, id, "sent").await;
    }
    let mut to: Vec<String> = sink.messages().into_iter().flat_map(|m| m.to).collect();
    to.sort();
    assert_eq!(to, vec!["r0@example.org", "r1@example.org", "r2@example.org"]);
}
both_backends!(nothing_is_lost_when_the_server_dies_before_delivery);

async fn workers_never_claim_the_same_message(backend: Backend) {
    let app = TestApp::builder().backend(backend).spawn().await;
    for i in 0..40 {
        outbox::enqueue_now(&app.state, sms("+85291234567", &format!("m{i}"))).await.unwrap();
    }
    let config = app.state.config.clone();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let db = app.db().clone();
        let config = config.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = outbox::claim(&db, &config, 3).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(total, 40, "every message claimed");
    assert_eq!(all.len(), 40, "no message claimed twice");
}
both_backends!(workers_never_claim_the_same_message);

async fn enqueue_is_transactional(backend: Backend) {
    let app = TestApp::builder().backend(backend).spawn().await;
    let txn = app.db().begin().await.unwrap();
    outbox::enqueue(&txn, email("a@example.org", "x")).await.unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(outbox::depth(app.db()).await.unwrap(), 0);
}
both_backends!(enqueue_is_transactional);

#[tokio::test]
async fn bad_recipients_are_refused_at_enqueue() {
    let app = TestApp::spawn().await;
    assert!(outbox::enqueue_now(&app.state, email("not an address", "x")).await.is_err());
    assert!(outbox::enqueue_now(&app.state, sms("91234567", "x")).await.is_err());
    assert!(outbox::enqueue_now(&app.state, sms("+852-9123", "x")).await.is_err());
    assert!(outbox::enqueue_now(&app.state, sms("+85291234567", "")).await.is_err());
    assert_eq!(outbox::depth(app.db()).await.unwrap(), 0);
}

#[tokio::test]
async fn the_dev_sink_marks_messages_sent() {
    let app = TestApp::builder().config(|c| c.outbox.worker = true).spawn().await;
    let id = outbox::enqueue_now(&app.state, email("dev@example.org", "dev body")).await.unwrap();
    wait_status(&app, &id, "sent").await;
    let recent = outbox::recent_messages(app.db(), 10).await.unwrap();
    assert_eq!(recent[0].id, id);
}

fn admin() -> platform::principal::Principal {
    let mut p = platform::principal::Principal::resident(platform::principal::AccountId::new());
    p.roles.push(platform::principal::Role::Admin);
    p
}

#[tokio::test]
async fn administrators_read_the_outbox_page() {
    let app = TestApp::spawn().await;
    outbox::enqueue_now(&app.state, email("page@example.org", "Your code is 246810")).await.unwrap();
    let page = app.sign_in_as(&admin()).await.get("/zh-hk/admin/outbox").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("通知寄件匣"));
    assert!(html.contains("page@example.org"));
    assert!(html.contains("Your code is 246810"), "dev-sink messages show their text");

    let resident =
        app.sign_in_as(&platform::principal::Principal::resident(platform::principal::AccountId::new())).await;
    assert_eq!(resident.get("/en/admin/outbox").await.status(), 403);
    assert_eq!(app.client().get("/en/admin/outbox").await.status(), 401);
}

#[tokio::test]
async fn the_outbox_page_hides_text_sent_by_real_transports() {
    let sink = SmtpSink::start().await;
    let app = TestApp::builder().config(smtp_config(sink.addr.port())).spawn().await;
    let id = outbox::enqueue_now(&app.state, email("real@example.org", "Your code is 135790")).await.unwrap();
    wait_status(&app, &id, "sent").await;
    let html = app.sign_in_as(&admin()).await.get("/en/admin/outbox").await.text().await.unwrap();
    assert!(html.contains("real@example.org"));
    assert!(!html.contains("135790"), "real messages are not readable by operators");
}

async fn old_messages_are_purged(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let app = TestApp::builder().backend(backend).spawn().await;
    let old_sent = outbox::enqueue_now(&app.state, sms("+85291234567", "old")).await.unwrap();
    let new_sent = outbox::enqueue_now(&app.state, sms("+85291234567", "new")).await.unwrap();
    let old_pending = outbox::enqueue_now(&app.state, sms("+85291234567", "waiting")).await.unwrap();
    app.db()
        .execute_unprepared(&format!("UPDATE outbox SET status = 'sent' WHERE id IN ('{old_sent}', '{new_sent}')"))
        .await
        .unwrap();
    app.db()
        .execute_unprepared(&format!(
            "UPDATE outbox SET created_at = '2020-01-01 00:00:00+00:00' WHERE id IN ('{old_sent}', '{old_pending}')"
        ))
        .await
        .unwrap();
    assert_eq!(outbox::purge_old(app.db(), &app.state.config).await.unwrap(), 1);
    let left: Vec<String> = entity::Entity::find().all(app.db()).await.unwrap().into_iter().map(|m| m.id).collect();
    assert!(!left.contains(&old_sent));
    assert!(left.contains(&new_sent) && left.contains(&old_pending), "undelivered messages are never purged");
}
both_backends!(old_messages_are_purged);
