//! The waiting room's pages over HTTP: a resident joins by the page's form
//! (CSRF, POST-redirect-GET) and sees an honest position; once admitted the
//! page links into booking and sets the admission cookie that booking
//! accepts; administrators switch rooms on and set their rate by a form
//! that shows bad values again with an error summary; nobody else may.
//! In Chromium: the page in three languages with axe, and its live region
//! turning to "your turn" without a reload.

use std::time::Duration;

use fantoccini::Locator;
use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::browser::Browser;
use platform::testkit::{Backend, TestClient, eventually};
use serde_json::Value;

use crate::support::admin;
use crate::support::{book, hkid, resident};
use crate::waiting::{app_with_plan, join, switch_on};

const PAGE: &str = "/en/booking/community-testing/queue";
const ROOMS: &str = "/en/admin/booking/waiting-room";
const ROOM: &str = "/en/admin/booking/waiting-room/community-testing";
const ROOM_API: &str = "/api/v1/booking/programmes/community-testing/waiting-room";

async fn html(client: &TestClient, path: &str) -> String {
    let response = client.get(path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.text().await.unwrap()
}

/// The `Set-Cookie` of the programme's admission, if the response has one.
fn admission_cookie(response: &reqwest::Response, programme_id: &str) -> Option<String> {
    let name = booking::waiting::cookie_name(programme_id);
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

async fn joining_by_the_form_shows_the_position(backend: Backend) {
    let (app, _, _) = app_with_plan(backend).await;
    // One a minute: the first in an empty room goes in at once, the next wait.
    switch_on(&app, 1, 15).await;
    for expected in ["admitted", "waiting", "waiting"] {
        let (_, early) = resident(&app, IdentityLevel::Basic, None).await;
        assert_eq!(join(&early).await["state"], expected);
    }

    let (_, alice) = resident(&app, IdentityLevel::Basic, None).await;
    let page = html(&alice, PAGE).await;
    assert!(page.contains("Join the queue"), "{page}");
    assert!(!page.contains("data-booking-queue"), "no place taken by looking");

    // Without the CSRF token the form does nothing.
    assert_eq!(alice.post_form_raw(PAGE, &[]).await.status(), 403);
    let joined = alice.post_form(PAGE, &[]).await;
    assert_eq!(joined.status(), 303);
    assert_eq!(joined.headers()["location"], PAGE);

    let page = html(&alice, PAGE).await;
    assert!(page.contains("Your place number: 4"), "{page}");
    assert!(page.contains("Your position in the queue: 3"), "{page}");
    // Three minutes from the last admission, less the seconds gone since.
    assert!(page.contains("Estimated wait: about 3 minutes"), "{page}");
    assert!(page.contains("aria-live=\"polite\""), "{page}");
    assert!(page.contains("<noscript><meta http-equiv=\"refresh\""), "{page}");
    assert!(page.contains("booking-queue."), "the script, by its hashed name: {page}");
    assert!(page.contains("<div data-queue-admitted hidden>"), "the booking link waits hidden: {page}");
    // The API agrees: the same place, and still no place taken twice.
    assert_eq!(join(&alice).await["place"], 4);
}
both_backends!(joining_by_the_form_shows_the_position);

async fn the_admitted_page_links_to_booking_and_sets_the_cookie(backend: Backend) {
    let (app, programme_id, slot) = app_with_plan(backend).await;
    switch_on(&app, 60, 15).await;
    let (_, alice) = resident(&app, IdentityLevel::Basic, None).await;

    let joined = alice.post_form(PAGE, &[]).await;
    assert_eq!(joined.status(), 303);
    assert!(admission_cookie(&joined, &programme_id).is_some(), "the join sets the cookie");

    let response = alice.get(PAGE).await;
    assert_eq!(response.status(), 200);
    let cookie = admission_cookie(&response, &programme_id).expect("the page sets the cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let page = response.text().await.unwrap();
    assert!(page.contains("It is your turn to book."), "{page}");
    assert!(page.contains("href=\"/en/booking/community-testing\""), "{page}");
    assert!(!page.contains("http-equiv=\"refresh\""), "no more reloading: {page}");

    // The cookie alone (no header) lets her book.
    assert_eq!(book(&alice, &slot, Some(&hkid(1))).await.status(), 201);
}
both_backends!(the_admitted_page_links_to_booking_and_sets_the_cookie);

async fn with_the_room_off_the_page_says_book_now(backend: Backend) {
    let (app, _, _) = app_with_plan(backend).await;
    let (_, alice) = resident(&app, IdentityLevel::Basic, None).await;
    let page = html(&alice, "/zh-hk/booking/community-testing/queue").await;
    assert!(page.contains("本計劃現時無須輪候"), "{page}");
    assert!(page.contains("href=\"/zh-hk/booking/community-testing\""), "{page}");
}
both_backends!(with_the_room_off_the_page_says_book_now);

async fn administrators_set_rooms_by_the_form(backend: Backend) {
    let (app, _, _) = app_with_plan(backend).await;
    let admin = admin(&app).await;
    let list = html(&admin, ROOMS).await;
    assert!(list.contains("/en/admin/booking/waiting-room/community-testing"), "{list}");

    let form = html(&admin, ROOM).await;
    assert!(form.contains("value=\"600\""), "the defaults: {form}");

    // Bad values: the form again, with the summary and each field marked.
    let bad = admin.post_form(ROOM, &[("enabled", "on"), ("rate_per_minute", "0"), ("validity_minutes", "lots")]).await;
    assert_eq!(bad.status(), 422);
    let page = bad.text().await.unwrap();
    assert!(page.contains("class=\"error-summary\""), "{page}");
    assert!(page.contains("href=\"#rate_per_minute\"") && page.contains("href=\"#validity_minutes\""), "{page}");
    assert!(page.contains("aria-invalid=\"true\""), "{page}");
    assert!(page.contains("value=\"lots\""), "what was typed is kept: {page}");
    let room: Value = admin.get(ROOM_API).await.json().await.unwrap();
    assert_eq!(room["enabled"], false, "nothing saved");

    let saved =
        admin.post_form(ROOM, &[("enabled", "on"), ("rate_per_minute", "120"), ("validity_minutes", "10")]).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(saved.headers()["location"], format!("{ROOMS}?saved=community-testing"));
    let list = html(&admin, &format!("{ROOMS}?saved=community-testing")).await;
    assert!(list.contains("was saved"), "{list}");
    let room: Value = admin.get(ROOM_API).await.json().await.unwrap();
    assert_eq!((room["enabled"].as_bool(), room["rate_per_minute"].as_u64()), (Some(true), Some(120)), "{room}");
    assert_eq!(room["validity_minutes"], 10);

    // Unticked: off again.
    let off = admin.post_form(ROOM, &[("rate_per_minute", "120"), ("validity_minutes", "10")]).await;
    assert_eq!(off.status(), 303);
    let room: Value = admin.get(ROOM_API).await.json().await.unwrap();
    assert_eq!(room["enabled"], false);
}
both_backends!(administrators_set_rooms_by_the_form);

async fn residents_cannot_reach_the_administrators_page(backend: Backend) {
    let (app, _, _) = app_with_plan(backend).await;
    let (_, resident) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(resident.get(ROOMS).await.status(), 403);
    assert_eq!(resident.get(ROOM).await.status(), 403);
    let fields = [("enabled", "on"), ("rate_per_minute", "1"), ("validity_minutes", "1")];
    assert_eq!(resident.post_form(ROOM, &fields).await.status(), 403);
    let room: Value = admin(&app).await.get(ROOM_API).await.json().await.unwrap();
    assert_eq!(room["enabled"], false);
}
both_backends!(residents_cannot_reach_the_administrators_page);

/// In Chromium, per language: a new resident joins by the form behind
/// others who wait; the page passes axe while waiting; when the
/// administrator lets the queue through, its live region turns to "your
/// turn" by itself (the page polls every few seconds) and the booking link
/// appears; the admitted page passes axe too. The turn comes from the
/// administrator's change, not from time passing: at one a minute nobody
/// else gets in while the test runs, however slow the machine.
async fn the_queue_page_keeps_itself_current(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let (app, _, _) = app_with_plan(backend).await;
    let texts = [
        ("en", "Your position in the queue", "It is your turn to book."),
        ("zh-hk", "你在隊伍中的位置", "已輪到你預約。"),
        ("zh-cn", "你在队伍中的位置", "已轮到你预约。"),
    ];
    for (lang, waiting, turn) in texts {
        // One a minute: the first of two just ahead takes the minute's
        // place, the second waits, and the resident waits behind them.
        switch_on(&app, 1, 15).await;
        for _ in 0..2 {
            let (_, ahead) = resident(&app, IdentityLevel::Basic, None).await;
            join(&ahead).await;
        }
        let (_, last) = resident(&app, IdentityLevel::Basic, None).await;
        assert_eq!(join(&last).await["state"], "waiting");
        let principal = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
        browser.client.delete_all_cookies().await.unwrap();
        browser.sign_in_as(&app, &principal).await;
        browser.goto(&app.url(&format!("/{lang}/booking/community-testing/queue"))).await;
        browser.assert_accessible(&format!("queue-join-{lang}")).await;
        let button = browser.client.find(Locator::Css("main form button[type=submit]")).await.unwrap();
        button.click().await.unwrap();

        let live = browser.check(&format!("queue-{lang}"), browser.wait_text("[data-queue-live]")).await;
        assert!(live.contains(waiting), "{lang}: {live}");
        browser.assert_accessible(&format!("queue-waiting-{lang}")).await;

        // The administrator lets everyone waiting in.
        switch_on(&app, 1_000_000, 15).await;
        eventually(&format!("{lang}: the live region says it is your turn"), Duration::from_secs(60), || async {
            let text = browser.text("[data-queue-live]").await.ok()?;
            text.contains(turn).then_some(())
        })
        .await;
        let link = browser.client.find(Locator::Css("[data-queue-admitted] a")).await.unwrap();
        assert!(link.is_displayed().await.unwrap(), "{lang}: the booking link shows");
        let href = link.attr("href").await.unwrap().unwrap_or_default();
        assert!(href.ends_with(&format!("/{lang}/booking/community-testing")), "{href}");
        browser.assert_accessible(&format!("queue-admitted-{lang}")).await;
    }
    browser.close().await;
}
both_backends!(the_queue_page_keeps_itself_current);
