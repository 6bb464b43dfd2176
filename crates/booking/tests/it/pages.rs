//! The residents' pages over HTTP, as a browser without JavaScript uses
//! them: find a centre (by district, by distance), a centre's times, the
//! booking steps with the error summary when the place is gone or the
//! person holds a booking already, the confirmation with its QR code, my
//! bookings, cancelling after a confirmation step, and moving a booking
//! (exactly one place stays taken).

use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::{Backend, TestClient};

use crate::support::{availability, hkid, import, resident, slots, spawn, testing_plan};

/// The values of the radio buttons named `name` that are not disabled.
pub fn radios(html: &str, name: &str) -> Vec<String> {
    let marker = format!(r#"type="radio" name="{name}" value=""#);
    html.split(&marker)
        .skip(1)
        .filter(|rest| !rest.split('>').next().unwrap_or_default().contains("disabled"))
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

pub async fn page(client: &TestClient, path: &str) -> String {
    let response = client.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// Books `slot` through the forms: review, then confirm. Returns the answer to the confirm.
pub async fn book_by_forms(client: &TestClient, slot: &str, hkid: Option<&str>) -> reqwest::Response {
    let html = page(client, &format!("/en/booking/book?slot={slot}")).await;
    let person = radios(&html, "person").remove(0);
    let mut fields = vec![("slot", slot), ("person", person.as_str()), ("kind", "hkid")];
    if let Some(hkid) = hkid {
        fields.push(("number", hkid));
    }
    let mut review = fields.clone();
    review.push(("step", "review"));
    let response = client.post_form("/en/booking/book", &review).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"name="step" value="confirm""#), "{html}");
    fields.push(("step", "confirm"));
    client.post_form("/en/booking/book", &fields).await
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn a_resident_finds_a_centre_and_books_with_forms_alone(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(1)).await;
    let anyone = app.client();

    let html = page(&anyone, "/en/booking").await;
    assert!(html.contains("Community testing") && html.contains("/en/booking/community-testing"), "{html}");
    // Every district on the map is a link with a name; Sha Tin has one centre.
    let html = page(&anyone, "/en/booking/community-testing").await;
    assert_eq!(html.matches("class=\"booking-tile").count(), 18);
    assert!(html.contains(r#"aria-label="Sha Tin, centres: 1""#), "{html}");
    let html = page(&anyone, "/en/booking/community-testing?district=wan-chai").await;
    assert!(html.contains("wan-chai-sports-centre") && !html.contains("sha-tin-town-hall</h3>"), "{html}");
    // Nearest first from Sha Tin; then Wan Chai's centre.
    let html = page(&anyone, "/en/booking/community-testing?near=sha-tin").await;
    let (a, b) = (html.find("sha-tin-town-hall</h3>").unwrap(), html.find("wan-chai-sports-centre</h3>").unwrap());
    assert!(a < b && html.contains("km away"), "sorted by distance");
    let html = page(&anyone, "/zh-hk/booking/community-testing?lat=22.28&lon=114.17").await;
    let (a, b) = (html.find("sha-tin-town-hall</h3>").unwrap(), html.find("wan-chai-sports-centre</h3>").unwrap());
    assert!(b < a && html.contains("公里"), "from a point in Wan Chai");

    // A centre's times tomorrow (the plan's slots start tomorrow).
    let tomorrow = app.state.today().saturating_add(time::Duration::DAY);
    let path = format!("/en/booking/community-testing/centres/sha-tin-town-hall?day={tomorrow}");
    let html = page(&anyone, &path).await;
    let times = radios(&html, "slot");
    assert_eq!(times.len(), 2, "{html}");

    // Booking needs a signed-in resident.
    assert_ne!(anyone.get(&format!("/en/booking/book?slot={}", times[0])).await.status(), 200);
    let (_, a) = resident(&app, IdentityLevel::Basic, None).await;
    // A wrong document number: the form again, with the error summary.
    let response = a
        .post_form(
            "/en/booking/book",
            &[
                ("slot", &times[0]),
                ("person", &radios(&page(&a, "/en/booking/mine").await, "x").join("")),
                ("step", "review"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("error-summary"), "{html}");

    let response = book_by_forms(&a, &times[0], Some(&hkid(300))).await;
    assert_eq!(response.status(), 303);
    let confirmation = location(&response);
    assert!(confirmation.starts_with("/en/booking/bookings/"), "{confirmation}");
    let html = page(&a, &confirmation).await;
    assert!(html.contains("<svg") && html.contains("QR code of booking reference"), "{html}");
    let reference = html.split("data-reference>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(booking::bookings::Reference::parse(&reference).is_some(), "{reference}");
    assert!(html.contains("sha-tin-town-hall"));
    // Someone else cannot see it.
    let (_, b) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(b.get(&confirmation).await.status(), 404);

    // The slot is full now: the error summary says so, on the form.
    let response = book_by_forms(&b, &times[0], Some(&hkid(301))).await;
    assert_eq!(response.status(), 409);
    let html = response.text().await.unwrap();
    assert!(html.contains("error-summary") && html.contains("Every place in this session has been taken"), "{html}");
    // The same person again: the duplicate is said on the form.
    let response = book_by_forms(&b, &times[1], Some(&hkid(300))).await;
    assert_eq!(response.status(), 409);
    let html = response.text().await.unwrap();
    assert!(html.contains("error-summary") && html.contains("already holds a booking"), "{html}");

    // My bookings lists it; the page says the time in local time.
    let html = page(&a, "/en/booking/mine").await;
    assert!(html.contains(&reference) && html.contains("Confirmed"), "{html}");

    // Move it to the other time of that day, then cancel it.
    let id = confirmation.rsplit('/').next().unwrap().to_owned();
    let html = page(&a, &format!("/en/booking/bookings/{id}/reschedule?day={tomorrow}")).await;
    let choices = radios(&html, "slot");
    assert!(choices.contains(&times[1]), "{html}");
    let response = a.post_form(&format!("/en/booking/bookings/{id}/reschedule"), &[("slot", &times[1])]).await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).ends_with("?done=rescheduled"));
    let free = slots(&availability(&anyone, "community-testing").await);
    let taken: i64 = free.iter().map(|s| s.1 - s.2).sum();
    assert_eq!(taken, 1, "exactly one place taken after the move");
    assert_eq!((free[0].2, free[1].2), (1, 0));
    // Moving onto a full slot: the form again with the reason.
    assert_eq!(book_by_forms(&b, &times[0], Some(&hkid(301))).await.status(), 303);
    let response = a.post_form(&format!("/en/booking/bookings/{id}/reschedule"), &[("slot", &times[0])]).await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("error-summary"));

    let html = page(&a, &format!("/en/booking/bookings/{id}/cancel")).await;
    assert!(html.contains("Yes, cancel the booking"), "{html}");
    let response = a.post_form(&format!("/en/booking/bookings/{id}/cancel"), &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/en/booking/mine?done=cancelled");
    let html = page(&a, "/en/booking/mine?done=cancelled").await;
    assert!(html.contains("Cancelled") && html.contains("role=\"status\""), "{html}");
    // Twice: the reason on the confirmation page, not an error page.
    let response = a.post_form(&format!("/en/booking/bookings/{id}/cancel"), &[]).await;
    assert_eq!(response.status(), 409);
    assert!(response.text().await.unwrap().contains("error-summary"));
    let free = slots(&availability(&anyone, "community-testing").await);
    assert_eq!((free[0].2, free[1].2), (0, 1), "the cancelled place is back");
    // Without the CSRF token nothing changes.
    let response = b.post_form_raw("/en/booking/book", &[("slot", &times[1]), ("step", "confirm")]).await;
    assert_eq!(response.status(), 403);
}
both_backends!(a_resident_finds_a_centre_and_books_with_forms_alone);

async fn the_pages_speak_three_languages(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(1)).await;
    let anyone = app.client();
    let html = page(&anyone, "/zh-hk/booking/community-testing").await;
    assert!(html.contains("沙田") && html.contains("尋找中心") && html.contains("社區檢測"), "{html}");
    let html = page(&anyone, "/zh-cn/booking/community-testing").await;
    assert!(html.contains("湾仔") && html.contains("寻找中心") && html.contains("社区检测"), "{html}");
}
both_backends!(the_pages_speak_three_languages);
