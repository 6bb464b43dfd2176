//! People a resident looks after: children and relatives without an account.

use identity::dependants;
use platform::both_backends;
use platform::testkit::Backend;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::*;

async fn count(app: &platform::testkit::TestApp, sql: &str) -> i64 {
    let row =
        app.db().query_one_raw(Statement::from_string(app.db().get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// The person ids in the page's remove forms, in page order.
fn person_ids(html: &str) -> Vec<String> {
    html.split("name=\"person_id\" value=\"").skip(1).map(|rest| rest[..rest.find('"').unwrap()].to_owned()).collect()
}

async fn account_id(app: &platform::testkit::TestApp, email: &str) -> String {
    let email = identity::model::Email::parse(email).unwrap();
    identity::store::account_by_email(app.db(), &email).await.unwrap().unwrap().id
}

async fn a_guardian_adds_lists_and_removes_a_dependant(backend: Backend) {
    let app = spawn(backend).await;
    let c = registered(&app, "parent@example.org").await;
    let empty = c.get("/zh-hk/account/dependants").await;
    assert_eq!(empty.status(), 200);
    assert!(empty.text().await.unwrap().contains("你照顧的人"));

    let bad = c.post_form("/en/account/dependants", &[("birthdate", "2030-01-01"), ("relation", "pet")]).await;
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Enter their name in English or Chinese."));
    assert!(html.contains("Enter a real date in the past"));
    assert!(html.contains("Choose how they are related to you."));
    assert!(html.contains("value=\"2030-01-01\""), "what was typed is kept");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM guardian").await, 0, "nothing is written on a bad form");

    let added = c
        .post_form(
            "/en/account/dependants",
            &[("name", "CHAN Siu Ming"), ("name_zh", "陳小明"), ("birthdate", "2018-06-01"), ("relation", "child")],
        )
        .await;
    assert_eq!(location(&added), "/en/account/dependants");
    let html = c.get("/en/account/dependants").await.text().await.unwrap();
    assert!(html.contains("CHAN Siu Ming 陳小明"));
    assert!(html.contains("2018-06-01 · Child"));
    let ids = person_ids(&html);
    assert_eq!(ids.len(), 1);

    let parent = account_id(&app, "parent@example.org").await;
    assert!(dependants::store::acts_for(app.db(), &parent, &ids[0]).await.unwrap());
    let stranger = registered(&app, "stranger@example.org").await;
    let stranger_id = account_id(&app, "stranger@example.org").await;
    assert!(!dependants::store::acts_for(app.db(), &stranger_id, &ids[0]).await.unwrap());

    // Someone else cannot end the care (nothing happens), and the record stays.
    let refused = stranger.post_form("/en/account/dependants/remove", &[("person_id", ids[0].as_str())]).await;
    assert_eq!(location(&refused), "/en/account/dependants");
    assert!(dependants::store::acts_for(app.db(), &parent, &ids[0]).await.unwrap());

    c.post_form("/en/account/dependants/remove", &[("person_id", ids[0].as_str())]).await;
    assert!(person_ids(&c.get("/en/account/dependants").await.text().await.unwrap()).is_empty());
    let sql = format!("SELECT COUNT(*) FROM person WHERE id = '{}'", ids[0]);
    assert_eq!(count(&app, &sql).await, 0, "a person nobody looks after is deleted with their details");
    let audited = count(&app, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'person.%_dependant'").await;
    assert_eq!(audited, 2);
    assert_eq!(app.client().get("/en/account/dependants").await.status(), 401);
}

both_backends!(a_guardian_adds_lists_and_removes_a_dependant);

async fn deleting_a_guardian_account_releases_their_dependants(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = registered(&app, "gran@example.org").await;
    c.post_form(
        "/en/account/dependants",
        &[("name", "WONG Ah Po"), ("birthdate", "1932-01-15"), ("relation", "parent")],
    )
    .await;
    let ids = person_ids(&c.get("/en/account/dependants").await.text().await.unwrap());
    assert_eq!(ids.len(), 1);
    c.post_form("/en/account/delete", &[("password", PASSWORD)]).await;
    app.db()
        .execute_unprepared("UPDATE account_deletion SET delete_after = '2000-01-01 00:00:00+00:00'")
        .await
        .unwrap();
    app.state.run_jobs().await;
    let sql = format!("SELECT COUNT(*) FROM person WHERE id = '{}'", ids[0]);
    assert_eq!(count(&app, &sql).await, 0, "nobody is left behind with no one to look after their details");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM profile_field").await, 0);
}
both_backends!(deleting_a_guardian_account_releases_their_dependants);
