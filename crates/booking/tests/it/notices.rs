//! Notices through the outbox: a booking's confirmation, its cancellation
//! and the reminder the day before, each written in the same transaction
//! as its change; the reminder job claims each booking once, however many
//! servers run it at the same time.

use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::{Backend, TestApp};
use reqwest::Method;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde_json::Value;

use crate::support::{
    address_of, availability, book, builder, hkid, import, resident, send, slots, spawn, testing_plan,
};

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

    // The e-mail shows the code officers scan, as the confirmation page does.
    let qr = || async {
        let rows = platform::outbox::entity::Entity::find()
            .order_by_asc(platform::outbox::entity::Column::CreatedAt)
            .order_by_asc(platform::outbox::entity::Column::Id)
            .all(app.db())
            .await
            .unwrap();
        rows.into_iter().map(|m| (m.qr, m.qr_alt)).collect::<Vec<_>>()
    };
    let pictures = qr().await;
    assert_eq!(pictures[0].0.as_deref(), Some(reference.replace('-', "").as_str()));
    assert_eq!(pictures[0].1.as_deref(), Some(format!("QR code of booking reference {reference}").as_str()));

    let path = format!("/api/v1/booking/bookings/{id}");
    assert_eq!(send(&client, Method::DELETE, &path, None, None).await.status(), 200);
    let sent = outbox(&app).await;
    assert_eq!(sent.len(), 2);
    assert!(sent[1].1.contains("cancelled") && sent[1].1.contains(reference), "{:?}", sent[1]);
    assert_eq!(qr().await[1], (None, None), "a cancelled booking has no code to show");
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

/// "The day before" is a local day (`locale.timezone`), not a UTC one: at
/// UTC+14 the reminders due are exactly those of the bookings whose slot is
/// on tomorrow's local date, early (09:00) or late (23:00) in it, and not
/// the next day's. A job counting UTC days would miss one of tomorrow's
/// (which one depends on the hour it runs) or remind the day after's.
async fn reminders_follow_local_days(backend: Backend) {
    let app = builder(backend).config(|c| c.locale.timezone = "Pacific/Kiritimati".to_owned()).spawn().await;
    let mut plan = testing_plan(3);
    let hours = serde_json::json!(["09:00-09:30", "23:00-23:30"]);
    for centre in plan["programme"][0]["centre"].as_array_mut().unwrap() {
        for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
            centre["hours"][day] = hours.clone();
        }
    }
    plan["programme"][0]["slots"][0]["days"] = serde_json::json!(2);
    import(&app, &plan).await;
    let body = availability(&app.client(), "community-testing").await;
    let tomorrow = (app.state.today() + time::Duration::DAY).to_string();
    let days = body["centres"][0]["days"].as_array().unwrap();
    let times_on = |date: &str| -> Vec<String> {
        days.iter()
            .find(|d| d["date"] == date)
            .map(|d| d["slots"].as_array().unwrap().iter().map(|s| s["slot_id"].as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    let due = times_on(&tomorrow);
    let later = times_on(&(app.state.today() + time::Duration::days(2)).to_string());
    assert_eq!((due.len(), later.len()), (2, 2), "09:00 and 23:00 local on each day: {body}");
    let mut reminded = Vec::new();
    for (n, slot) in due.iter().chain(&later).enumerate() {
        let (account, client) = resident(&app, IdentityLevel::Basic, Some(&hkid(120 + n as u32))).await;
        assert_eq!(book(&client, slot, None).await.status(), 201);
        reminded.push((address_of(&account), n < 2));
    }
    assert_eq!(booking::bookings::store::remind_due(&app.state).await.unwrap(), 2, "tomorrow's two, local time");
    let sent = outbox(&app).await;
    for (to, due) in reminded {
        let got = sent.iter().any(|(r, subject, _)| *r == to && subject.starts_with("Reminder"));
        assert_eq!(got, due, "{to}: reminded {got}");
    }
}
both_backends!(reminders_follow_local_days);

/// A resident who books and cancels in a loop is sent at most
/// `notices_per_contact_per_day` notices of it a day (SMS cost the city
/// money); the bookings themselves still go through, and the count lives
/// in the database under a blind index, never the address itself.
async fn a_booking_loop_sends_at_most_the_daily_cap(backend: Backend) {
    let app = builder(backend)
        .config(|c| {
            c.section_mut("booking").insert("notices_per_contact_per_day".into(), 3.into());
        })
        .spawn()
        .await;
    import(&app, &testing_plan(3)).await;
    let slot = slots(&availability(&app.client(), "community-testing").await)[0].0.clone();
    let (account, client) = resident(&app, IdentityLevel::Basic, Some(&hkid(130))).await;
    let (other, other_client) = resident(&app, IdentityLevel::Basic, Some(&hkid(131))).await;
    for _ in 0..3 {
        let booked: Value = book(&client, &slot, None).await.json().await.unwrap();
        assert_eq!(booked["status"], "confirmed", "{booked}");
        let path = format!("/api/v1/booking/bookings/{}", booked["id"].as_str().unwrap());
        assert_eq!(send(&client, Method::DELETE, &path, None, None).await.status(), 200);
    }
    assert_eq!(book(&other_client, &slot, None).await.status(), 201);
    let sent = outbox(&app).await;
    let to = |who: &str| sent.iter().filter(|(r, _, _)| r == who).count();
    assert_eq!(to(&address_of(&account)), 3, "six acts, three notices: {sent:?}");
    assert_eq!(to(&address_of(&other)), 1, "another contact has a count of its own");

    // Over the cap the act still goes through, and the reminder its
    // booking brings (the slot is tomorrow's) counts too: dropped. The
    // other contact's reminder is sent.
    let booked: Value = book(&client, &slot, None).await.json().await.unwrap();
    assert_eq!(booked["status"], "confirmed", "the act goes through over the cap: {booked}");
    assert_eq!(booking::bookings::store::remind_due(&app.state).await.unwrap(), 2, "both claimed");
    let sent = outbox(&app).await;
    let mine: Vec<_> = sent.iter().filter(|(r, _, _)| *r == address_of(&account)).collect();
    assert_eq!(mine.len(), 3, "{mine:?}");
    let theirs: Vec<_> = sent.iter().filter(|(r, _, _)| *r == address_of(&other)).collect();
    assert!(theirs.len() == 2 && theirs[1].1.starts_with("Reminder"), "{theirs:?}");
    let tally = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().get_database_backend(),
            "SELECT contact_index, sent FROM booking_notice_tally ORDER BY sent DESC",
        ))
        .await
        .unwrap()
        .unwrap();
    let index: String = tally.try_get("", "contact_index").unwrap();
    assert_eq!(tally.try_get::<i32>("", "sent").unwrap(), 8, "seven acts and a reminder");
    assert!(!index.contains('@') && index.len() == 64, "a blind index, not the address: {index}");

    // The job forgets tallies of days before yesterday, and only those.
    let backend = app.db().get_database_backend();
    for (key, days_ago) in [("old", 2), ("yesterday", 1)] {
        let day = app.state.today() - time::Duration::days(days_ago);
        let sql = match backend {
            sea_orm::DatabaseBackend::Postgres => "INSERT INTO booking_notice_tally VALUES ($1, $2, 1)",
            _ => "INSERT INTO booking_notice_tally VALUES (?, ?, 1)",
        };
        app.db()
            .execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [key.into(), day.into()]))
            .await
            .unwrap();
    }
    assert_eq!(booking::notices::store::forget_old_tallies(&app.state).await.unwrap(), 1);
    assert_eq!(booking::notices::store::forget_old_tallies(&app.state).await.unwrap(), 0);
}
both_backends!(a_booking_loop_sends_at_most_the_daily_cap);

/// Moving a booking back and forth among tomorrow's slots brings a move
/// notice and, at the job's next run, a reminder each time: both count
/// against the contact's cap, so the loop stops sending.
async fn moving_back_and_forth_meets_the_cap_with_its_reminders(backend: Backend) {
    let app = builder(backend)
        .config(|c| {
            c.section_mut("booking").insert("notices_per_contact_per_day".into(), 3.into());
        })
        .spawn()
        .await;
    import(&app, &testing_plan(3)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let (account, client) = resident(&app, IdentityLevel::Basic, Some(&hkid(140))).await;
    let booked: Value = book(&client, &all[0].0, None).await.json().await.unwrap();
    let path = format!("/api/v1/booking/bookings/{}/reschedule", booked["id"].as_str().unwrap());
    let mut reminders = 0;
    for n in 0..4 {
        let to = &all[1 - n % 2].0;
        let response = send(&client, Method::POST, &path, Some(&serde_json::json!({"slot_id": to})), None).await;
        assert_eq!(response.status(), 200, "move {n}");
        reminders += booking::bookings::store::remind_due(&app.state).await.unwrap();
    }
    assert_eq!(reminders, 4, "each move made the booking due again");
    let sent = outbox(&app).await;
    let mine: Vec<_> = sent.iter().filter(|(r, _, _)| *r == address_of(&account)).map(|m| &m.1).collect();
    assert_eq!(mine.len(), 3, "a confirmation, a move and a reminder, then nothing: {mine:?}");
}
both_backends!(moving_back_and_forth_meets_the_cap_with_its_reminders);
