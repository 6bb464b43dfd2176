//! Live availability: the public page shows each centre's free places per
//! day, and its server-sent events deliver a change after a booking.

use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::Backend;
use serde_json::Value;

use crate::support::{availability, book, hkid, import, resident, slots, spawn, testing_plan};

/// The next `availability` event's data from an event stream.
async fn next_summary(response: &mut reqwest::Response, buffer: &mut String) -> Value {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
            {
                assert!(event.contains("event: availability"), "{event}");
                return serde_json::from_str(data).unwrap();
            }
            continue; // a keep-alive comment
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(30), response.chunk())
            .await
            .expect("an event within 30 seconds")
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

async fn the_public_page_and_its_events_follow_bookings(backend: Backend) {
    let app = spawn(backend).await;
    let imported = import(&app, &testing_plan(2)).await;
    let anyone = app.client();
    let html = anyone.get("/en/booking/community-testing/availability").await.text().await.unwrap();
    assert!(html.contains("data-live-events=\"/api/v1/booking/programmes/") && html.contains(">Refresh</a>"), "{html}");
    // Tomorrow (the second column) has two slots of two places at each centre.
    assert_eq!(html.matches(r#"data-day="1">4</td>"#).count(), 2, "{html}");

    let mut stream = anyone.get(&format!("/api/v1/booking/programmes/{}/events", imported.programmes[0].id)).await;
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let first = next_summary(&mut stream, &mut buffer).await;
    assert_eq!(first["days"].as_array().unwrap().len(), 7);
    assert_eq!(first["centres"][0]["free"][1], 4, "{first}");

    let slot = slots(&availability(&anyone, "community-testing").await)[0].0.clone();
    let (_, resident) = resident(&app, IdentityLevel::Basic, Some(&hkid(400))).await;
    assert_eq!(book(&resident, &slot, None).await.status(), 201);
    let next = next_summary(&mut stream, &mut buffer).await;
    assert_eq!(next["centres"][0]["free"][1], 3, "{next}");

    assert_eq!(anyone.get("/api/v1/booking/programmes/nothing/events").await.status(), 404);
}
both_backends!(the_public_page_and_its_events_follow_bookings);
