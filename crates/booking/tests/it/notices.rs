//! Notices through the outbox: a booking's confirmation, its cancellation
//! and the reminder the day before, each written in the same transaction
//! as its change; the reminder job claims each booking once, however many
//! servers run it at the same time.

use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::{Backend, TestApp};
use reqwest::Method;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::Value;

use crate::support::{address_of, availability, book, hkid, import, resident, send, slots, spawn, testing_plan};

/// Every message in the outbox, oldest first: (recipient, subject, body).
pub async fn outbox(app: &TestApp) -> Vec<(String, String, String)> {
    use platform::outbox::entity;
    entity::Entity::find()
        .order_by_asc(entity::Column::CreatedAt)
        .order_by_asc(entity::Column::Id)
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.recipient, m.subject.unwrap_or_default(), m.body))
        .collect()
}

async fn booking_and_cancelling_tell_the_resident(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(3)).await;
    let slot = slots(&availability(&app.client(), "community-testing").await)[0].0.clone();
    let (account, client) = resident(&app, IdentityLevel::Basic, Some(&hkid(100))).await;
    let booked: Value = book(&client, &slot, None).await.json().await.unwrap();
    let reference = booked["reference"].as_str().unwrap();
    let id = booked["id"].as_str().unwrap();

    let sent = outbox(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (to, subject, body) = &sent[0];
    assert_eq!(to, &address_of(&account));
    assert!(subject.contains(reference), "{subject}");
    assert!(body.contains(reference) && body.contains("Community testing"), "{body}");
    assert!(body.contains(&format!("/en/booking/bookings/{id}")), "a link to the confirmation page: {body}");

    let path = format!("/api/v1/booking/bookings/{id}");
    assert_eq!(send(&client, Method::DELETE, &path, None, None).await.status(), 200);
    let sent = outbox(&app).await;
    assert_eq!(sent.len(), 2);
    assert!(sent[1].1.contains("cancelled") && sent[1].1.contains(reference), "{:?}", sent[1]);
}
both_backends!(booking_and_cancelling_tell_the_resident);

async fn the_reminder_goes_once_even_when_two_servers_run_the_job_at_once(backend: Backend) {
    let app = spawn(backend).await;
    // Slots from tomorrow: the first day's bookings are due a reminder.
    import(&app, &testing_plan(3)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let (_, a) = resident(&app, IdentityLevel::Basic, Some(&hkid(110))).await;
    let (_, b) = resident(&app, IdentityLevel::Basic, Some(&hkid(111))).await;
    assert_eq!(book(&a, &all[0].0, None).await.status(), 201);
    // The third day: not due yet.
    assert_eq!(book(&b, &all[4].0, None).await.status(), 201);
    let before = outbox(&app).await.len();

    let (first, second) = tokio::join!(
        booking::bookings::store::remind_due(&app.state),
        booking::bookings::store::remind_due(&app.state)
    );
    assert_eq!(first.unwrap() + second.unwrap(), 1, "one reminder, claimed by one run");
    assert_eq!(booking::bookings::store::remind_due(&app.state).await.unwrap(), 0, "never twice");
    let sent = outbox(&app).await;
    assert_eq!(sent.len(), before + 1);
    assert!(sent.last().unwrap().1.starts_with("Reminder"), "{:?}", sent.last());
}
both_backends!(the_reminder_goes_once_even_when_two_servers_run_the_job_at_once);
