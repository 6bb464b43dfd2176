//! Live availability: the public page shows each centre's free places per
//! day, and its server-sent events deliver a change after a booking; open
//! streams are limited per server and per client address.

use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::{Backend, eventually};
use serde_json::Value;

use crate::support::{availability, book, builder, hkid, import, problem, resident, slots, spawn, testing_plan};

/// The next `availability` event's data from an event stream.
pub(crate) async fn next_summary(response: &mut reqwest::Response, buffer: &mut String) -> Value {
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

/// Open streams are counted per server and per client address (as
/// `server.trusted_proxies` reveals it): beyond `[booking]`'s
/// `live_max_streams_per_client` one address gets 429 with `Retry-After`,
/// beyond `live_max_streams` anyone gets 503; a stream that ends gives its
/// place back.
async fn live_streams_are_limited_per_client_and_per_server(backend: Backend) {
    let app = builder(backend)
        .config(|c| {
            c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            let section = c.section_mut("booking");
            section.insert("live_max_streams".into(), 3.into());
            section.insert("live_max_streams_per_client".into(), 2.into());
        })
        .spawn()
        .await;
    let imported = import(&app, &testing_plan(2)).await;
    let path = format!("/api/v1/booking/programmes/{}/events", imported.programmes[0].id);
    let open = |from: &'static str| {
        // A client of its own per stream: each stream holds its connection.
        let client = app.client();
        let url = client.url(&path);
        async move { client.http.get(url).header("x-forwarded-for", from).send().await.unwrap() }
    };
    let first = open("203.0.113.1").await;
    assert_eq!(first.status(), 200);
    let second = open("203.0.113.1").await;
    assert_eq!(second.status(), 200);
    let refused = open("203.0.113.1").await;
    assert!(refused.headers().contains_key("retry-after"), "{:?}", refused.headers());
    let (status, kind, body) = problem(refused).await;
    assert_eq!((status, kind.as_str()), (429, "rate-limited"), "the third from one address: {body}");

    let other = open("203.0.113.2").await;
    assert_eq!(other.status(), 200, "another address has its own share");
    let (status, kind, body) = problem(open("203.0.113.3").await).await;
    assert_eq!((status, kind.as_str()), (503, "unavailable"), "the server keeps three at most: {body}");
    // The public page still works without its stream.
    assert_eq!(app.client().get("/en/booking/community-testing/availability").await.status(), 200);

    // A closed stream gives its place back (once the server notices, at the latest by the next keep-alive).
    drop(first);
    let again = eventually("a place for a new stream", std::time::Duration::from_secs(40), || {
        let attempt = open("203.0.113.3");
        async move {
            let response = attempt.await;
            (response.status() == 200).then_some(response)
        }
    })
    .await;
    drop((again, second, other));
}
both_backends!(live_streams_are_limited_per_client_and_per_server);
