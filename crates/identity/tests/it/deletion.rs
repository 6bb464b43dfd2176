//! Account deletion with a grace period.

use sea_orm::ConnectionTrait;

use crate::support::*;
use platform::both_backends;
use platform::testkit::Backend;

async fn deletion_waits_out_the_grace_period_then_removes_the_person(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = registered(&app, "leaving@example.org").await;
    c.post_form("/en/account/profile", &[("name", "WONG Siu Ling")]).await;
    let other_device = app.client();
    assert_eq!(location(&sign_in(&other_device, "leaving@example.org", PASSWORD).await), "/en/account");

    let r = c.post_form("/en/account/delete", &[("password", "not my password")]).await;
    assert_eq!(r.status(), 422);
    let r = c.post_form("/en/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Your account will be deleted on"));
    assert_eq!(other_device.get("/en/account").await.status(), 401, "signed out everywhere");
    assert!(mail_to(&app, "leaving@example.org").await.last().unwrap().body.contains("will be deleted on"));

    // Not yet due: the job leaves it.
    app.state.run_jobs().await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM account").await, 1);

    app.db()
        .execute_unprepared("UPDATE account_deletion SET delete_after = '2000-01-01 00:00:00+00:00'")
        .await
        .unwrap();
    app.state.run_jobs().await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM account").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM person").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM profile_field").await, 0);
    assert_eq!(sign_in(&app.client(), "leaving@example.org", PASSWORD).await.status(), 422);
    let report = platform::audit::verify(app.db(), &app.state.keys, None).await.unwrap();
    assert!(report.ok, "the audit chain survives the deletion");
}
both_backends!(deletion_waits_out_the_grace_period_then_removes_the_person);

async fn signing_in_during_the_grace_period_cancels_it(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = registered(&app, "staying@example.org").await;
    c.post_form("/en/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM account_deletion").await, 1);
    let again = app.client();
    assert_eq!(location(&sign_in(&again, "staying@example.org", PASSWORD).await), "/en/account");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM account_deletion").await, 0);
    assert!(mail_to(&app, "staying@example.org").await.last().unwrap().body.contains("cancelled"));
    app.state.run_jobs().await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM account").await, 1);
}
both_backends!(signing_in_during_the_grace_period_cancels_it);
