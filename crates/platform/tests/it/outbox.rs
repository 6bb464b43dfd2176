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
        qr: None,
    }
}

fn sms(to: &str, body: &str) -> Notification {
    Notification {
        channel: Channel::Sms,
        recipient: to.to_owned(),
        lang: Lang::En,
        subject: None,
        body: body.to_owned(),
        qr: None,
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
    let mut p = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
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
        app.sign_in_as(&platform::testkit::resident_signed_in_now(platform::principal::AccountId::new())).await;
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

async fn a_stale_worker_cannot_overwrite_the_outcome(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let app = TestApp::builder().backend(backend).spawn().await;
    let id = outbox::enqueue_now(&app.state, email("late@example.org", "x")).await.unwrap();
    let config = app.state.config.clone();
    let stale = outbox::claim(app.db(), &config, 1).await.unwrap().remove(0);
    // Its lease runs out (say the worker stalled), and another worker takes over and delivers.
    app.db().execute_unprepared("UPDATE outbox SET locked_until = '2020-01-01 00:00:00+00:00'").await.unwrap();
    let fresh = outbox::claim(app.db(), &config, 1).await.unwrap().remove(0);
    assert_eq!(fresh.id, id);
    assert_ne!(fresh.lease_token, stale.lease_token, "each claim has its own token");
    assert!(outbox::record_outcome(app.db(), &config, &fresh, Ok(())).await.unwrap());

    // The stale worker wakes up with a failure: it no longer holds the lease.
    assert!(!outbox::record_outcome(app.db(), &config, &stale, Err("timeout".to_owned())).await.unwrap());
    assert_eq!(outbox::renew(app.db(), &config, stale.lease_token.as_deref().unwrap()).await.unwrap(), 0);
    let r = row(&app, &id).await;
    assert_eq!(r.status, "sent", "failed never overwrites sent");
    assert_eq!(r.last_error, None);
    assert_eq!(r.lease_token, None);
}
both_backends!(a_stale_worker_cannot_overwrite_the_outcome);

async fn two_workers_and_a_slow_relay_send_each_message_once(backend: Backend) {
    // Each message takes 300 ms to hand over, and a lease lasts 2 s: one
    // worker's batch of ten outlasts its first lease, so without renewal the
    // other worker would take the rest over and send them a second time.
    let sink = SmtpSink::start_slow(Duration::from_millis(300)).await;
    let port = sink.addr.port();
    let app = TestApp::builder()
        .backend(backend)
        .config(move |c| {
            smtp_config(port)(c);
            c.outbox.worker = false;
            c.outbox.lease_secs = 2;
            c.outbox.poll_secs = 1;
        })
        .spawn()
        .await;
    let mut ids = Vec::new();
    for i in 0..14 {
        ids.push(outbox::enqueue_now(&app.state, email(&format!("w{i}@example.org"), "hello")).await.unwrap());
    }
    let (trigger, shutdown) = platform::app::shutdown_channel();
    let workers = [
        tokio::spawn(outbox::run_worker(app.state.clone(), shutdown.clone())),
        tokio::spawn(outbox::run_worker(app.state.clone(), shutdown)),
    ];
    for id in &ids {
        wait_status(&app, id, "sent").await;
    }
    trigger.trigger();
    for w in workers {
        w.await.unwrap();
    }
    let mut to: Vec<String> = sink.messages().into_iter().flat_map(|m| m.to).collect();
    to.sort();
    let mut expected: Vec<String> = (0..14).map(|i| format!("w{i}@example.org")).collect();
    expected.sort();
    assert_eq!(to, expected, "every message sent exactly once");
}
both_backends!(two_workers_and_a_slow_relay_send_each_message_once);

#[tokio::test]
async fn a_panicking_worker_is_restarted() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let app = TestApp::spawn().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let (trigger, shutdown) = platform::app::shutdown_channel();
    let counter = runs.clone();
    let supervisor =
        tokio::spawn(platform::app::supervise(app.state.clone(), "flaky", shutdown, move |_, mut stop| {
            let run = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(run > 0, "the first run dies");
                stop.wait().await;
            }
        }));
    eventually("the worker to run again", Duration::from_secs(30), || async {
        (runs.load(Ordering::SeqCst) == 2).then_some(())
    })
    .await;
    assert_eq!(app.state.workers.snapshot().get("flaky"), Some(&true), "up again after the restart");
    trigger.trigger();
    supervisor.await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2, "a clean stop is not restarted");
}

async fn readyz_reports_a_worker_that_is_down(backend: Backend) {
    let app = TestApp::builder().backend(backend).config(|c| c.outbox.worker = true).spawn().await;
    let ready = |app: &TestApp| {
        let client = app.client();
        async move {
            let r = client.get("/readyz").await;
            (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = eventually("the outbox worker to be up", Duration::from_secs(30), || async {
        let (status, body) = ready(&app).await;
        (status == 200).then_some((status, body))
    })
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["checks"]["workers"]["outbox"], "ok");
    app.state.workers.set("outbox", false);
    let (status, body) = ready(&app).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "not-ready");
    assert_eq!(body["checks"]["workers"]["outbox"], "down");
}
both_backends!(readyz_reports_a_worker_that_is_down);

#[tokio::test]
async fn shutdown_ends_while_a_delivery_hangs() {
    // A relay that accepts the connection and then never says a word.
    let relay = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = relay.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = relay.accept().await {
            open.push(stream);
        }
    });
    let app = TestApp::builder()
        .config(move |c| {
            smtp_config(port)(c);
            c.outbox.lease_secs = 600;
            c.server.shutdown_grace_secs = 1;
        })
        .spawn()
        .await;
    let id = outbox::enqueue_now(&app.state, email("stuck@example.org", "x")).await.unwrap();
    eventually("the message to be claimed", Duration::from_secs(30), || async {
        (row(&app, &id).await.attempts == 1).then_some(())
    })
    .await;
    let db = app.db().clone();
    let started = std::time::Instant::now();
    app.stop().await;
    // The delivery would hang for minutes; shutdown waits the grace period, then cancels it.
    assert!(started.elapsed() < Duration::from_secs(15), "stopped after {:?}", started.elapsed());
    let r = entity::Entity::find_by_id(id).one(&db).await.unwrap().unwrap();
    assert_eq!(r.status, "pending", "the cancelled delivery is retried later, not lost");
    held.abort();
}

async fn a_message_that_never_gets_an_outcome_fails_after_its_attempts(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let app = TestApp::builder().backend(backend).spawn().await;
    let id = outbox::enqueue_now(&app.state, email("crash@example.org", "x")).await.unwrap();
    let mut config = app.state.config.clone();
    config.outbox.max_attempts = 2;
    // Each attempt takes the lease and dies before recording anything (a
    // crash, or a delivery that brings its worker down).
    for attempt in 1..=2 {
        let claimed = outbox::claim(app.db(), &config, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "attempt {attempt}");
        app.db().execute_unprepared("UPDATE outbox SET locked_until = '2020-01-01 00:00:00+00:00'").await.unwrap();
    }
    assert!(outbox::claim(app.db(), &config, 10).await.unwrap().is_empty(), "not claimed a third time");
    let r = row(&app, &id).await;
    assert_eq!(r.status, "failed");
    assert_eq!(r.last_error.as_deref(), Some("no outcome after 2 attempts"));
}
both_backends!(a_message_that_never_gets_an_outcome_fails_after_its_attempts);

/// The part of a raw MIME message with `content_type`: its headers and its
/// body (up to the next boundary).
fn mime_part(data: &str, content_type: &str) -> (String, String) {
    let data = data.replace("\r\n", "\n");
    let at =
        data.find(&format!("Content-Type: {content_type}")).unwrap_or_else(|| panic!("no {content_type}:\n{data}"));
    // The part's headers begin after the boundary line before them.
    let start = data[..at].rfind("\n--").and_then(|b| data[b + 1..].find('\n').map(|e| b + 2 + e)).unwrap_or(0);
    let (headers, rest) = data[start..].split_once("\n\n").unwrap_or_else(|| panic!("no body:\n{data}"));
    let end = rest.find("\n--").unwrap_or_else(|| panic!("no boundary:\n{data}"));
    (headers.to_owned(), rest[..end].to_owned())
}

/// A quoted-printable body (RFC 2045 §6.7) decoded as UTF-8.
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let mut bytes = Vec::new();
    let mut rest = joined.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'=' && tail.len() >= 2 {
            bytes.push(u8::from_str_radix(std::str::from_utf8(&tail[..2]).unwrap(), 16).unwrap());
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).unwrap()
}

/// A message with a QR code reaches an e-mail client as the plain text and
/// an HTML alternative showing the code as an inline PNG, described in the
/// recipient's language; the picture decodes back to what the code holds.
async fn an_email_shows_its_qr_code_as_a_picture(backend: Backend) {
    use base64::Engine;
    let sink = SmtpSink::start().await;
    let app = TestApp::builder().backend(backend).config(smtp_config(sink.addr.port())).spawn().await;
    let mut message = email("mei@example.org", "Booking K7Q2M-9XD3P: show the code <at> the centre.");
    message.qr = Some(outbox::QrPicture {
        payload: "K7Q2M9XD3P".to_owned(),
        alt: "預約編號 K7Q2M-9XD3P 的二維碼".to_owned(),
    });
    let id = outbox::enqueue_now(&app.state, message).await.unwrap();
    wait_status(&app, &id, "sent").await;
    let data = sink.messages().remove(0).data;
    assert!(data.contains("Content-Type: multipart/alternative"), "{data}");
    let (_, text) = mime_part(&data, "text/plain");
    assert!(text.contains("K7Q2M-9XD3P"), "the text keeps the reference: {text}");
    let (headers, picture) = mime_part(&data, "image/png");
    assert!(headers.contains("Content-ID: <qr>") && headers.contains("inline"), "{headers}");
    let (html_headers, html) = mime_part(&data, "text/html");
    assert!(html_headers.contains("quoted-printable"), "{html_headers}");
    let html = quoted_printable(&html);
    assert!(html.contains("lang=\"zh-HK\"") && html.contains("src=\"cid:qr\""), "{html}");
    assert!(html.contains("alt=\"預約編號 K7Q2M-9XD3P 的二維碼\"") && html.contains("&lt;at&gt;"), "{html}");

    let png = base64::engine::general_purpose::STANDARD.decode(picture.split_whitespace().collect::<String>()).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let (w, h) = (frame.width as usize, frame.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    assert_eq!(grids[0].decode().unwrap().1, "K7Q2M9XD3P");
    assert!(row(&app, &id).await.qr.is_some());

    // Bad pictures are refused when the message is written, not when it is sent.
    let mut bad = email("mei@example.org", "text");
    bad.qr = Some(outbox::QrPicture { payload: String::new(), alt: "a code".to_owned() });
    assert!(matches!(outbox::enqueue_now(&app.state, bad).await, Err(outbox::OutboxError::BadQr)));
}
both_backends!(an_email_shows_its_qr_code_as_a_picture);
