//! The validity rules as versioned data: administrators read and change
//! them through the API and the admin page; each change is a new version,
//! the newest in force ships in the trust bundle.

use platform::both_backends;
use platform::testkit::Backend;
use serde_json::{Value, json};

use crate::support::{app, b64, bundle};
use crate::trust::admin;

const PATH: &str = "/api/v1/credentials/rules";

fn rules(min_days: u32, valid_from: Option<&str>) -> Value {
    let mut body = json!({
        "vaccination": { "minDaysAfterCompleteDose": min_days, "maxDaysAfterLastDose": 270 },
        "test": { "maxHoursSinceSample": { "LP6464-4": 48 }, "acceptedResult": "260415000" },
        "recovery": { "minDaysAfterFirstPositive": 11, "useCertificateValidity": true },
        "exemption": { "accepted": false }
    });
    if let Some(at) = valid_from {
        body["validFrom"] = json!(at);
    }
    body
}

async fn administrators_make_new_versions_of_the_rules(backend: Backend) {
    let app = app(backend).spawn().await;
    let (admin, token) = admin(&app).await;
    let put = |body: Value| admin.http.put(admin.url(PATH)).header("x-csrf-token", token.clone()).json(&body).send();

    let r = admin.get(PATH).await;
    assert_eq!(r.status(), 200);
    let history: Value = r.json().await.unwrap();
    assert_eq!(history["inForce"]["version"], 1, "the defaults: {history}");
    assert_eq!(history["versions"].as_array().unwrap().len(), 1);

    let r = put(rules(7, None)).await.unwrap();
    assert_eq!(r.status(), 200);
    let saved: Value = r.json().await.unwrap();
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["vaccination"]["minDaysAfterCompleteDose"], 7);
    // A version for later: kept, not yet in force.
    let r = put(rules(21, Some("2099-01-01T00:00:00Z"))).await.unwrap();
    assert_eq!(r.status(), 200);
    let history: Value = admin.get(PATH).await.json().await.unwrap();
    assert_eq!(history["inForce"]["version"], 2);
    let versions: Vec<i64> =
        history["versions"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [3, 2, 1]);

    // The bundle ships the version in force.
    let payload: Value = serde_json::from_slice(&b64(bundle(&app).await["payload"].as_str().unwrap())).unwrap();
    assert_eq!(payload["rules"]["version"], 2);
    assert_eq!(payload["rules"]["vaccination"]["minDaysAfterCompleteDose"], 7);
    assert_eq!(payload["rules"]["exemption"]["accepted"], false);

    // Out of range: every field named, nothing saved.
    let mut bad = rules(400, None);
    bad["test"]["maxHoursSinceSample"] = json!({ "LP6464-4": 0, "XX": 5 });
    let r = put(bad).await.unwrap();
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "/vaccination/minDaysAfterCompleteDose",
            "/vaccination/maxDaysAfterLastDose",
            "/test/maxHoursSinceSample/LP6464-4",
            "/test/maxHoursSinceSample/XX"
        ]
    );
    let r = put(json!({ "vaccination": {} })).await.unwrap();
    assert_eq!(r.status(), 422, "a malformed body");
    let history: Value = admin.get(PATH).await.json().await.unwrap();
    assert_eq!(history["versions"].as_array().unwrap().len(), 3);

    // Only administrators.
    assert_eq!(app.client().get(PATH).await.status(), 401);
    let resident =
        app.sign_in_as(&platform::testkit::resident_signed_in_now(platform::principal::AccountId::new())).await;
    assert_eq!(resident.get(PATH).await.status(), 403);

    let audit = platform::audit::entries_about(app.db(), "credential-rules:3", "credentials.rules.", 5).await.unwrap();
    assert_eq!(audit.len(), 1);
    app.stop().await;
}
both_backends!(administrators_make_new_versions_of_the_rules);

async fn the_rules_page_edits_the_rules_in_three_languages(backend: Backend) {
    let app = app(backend).spawn().await;
    let (admin, _) = admin(&app).await;
    for (lang, title) in [("en", "Validity rules"), ("zh-hk", "有效規則"), ("zh-cn", "有效规则")] {
        let r = admin.get(&format!("/{lang}/admin/credentials/rules")).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{html}");
        assert!(html.contains(r#"<label for="vaccination_min_days">"#) && html.contains(r#"value="14""#), "{html}");
    }
    assert_eq!(app.client().get("/en/admin/credentials/rules").await.status(), 401);

    let form = [
        ("vaccination_min_days", "abc"),
        ("vaccination_max_days", ""),
        ("test_hours_pcr", "72"),
        ("test_hours_antigen", "1000"),
        ("accepted_result", "260415000"),
        ("recovery_min_days", "11"),
        ("recovery_use_validity", "on"),
        ("valid_from", ""),
    ];
    let r = admin.post_form("/en/admin/credentials/rules", &form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("error-summary") && html.contains("Enter a whole number."), "{html}");
    assert!(html.contains(r#"id="vaccination_min_days-error""#), "{html}");
    let mut form = form;
    form[0].1 = "10";
    let r = admin.post_form("/en/admin/credentials/rules", &form).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Enter a number of hours from 1 to 720."));
    form[3].1 = "";
    let r = admin.post_form("/en/admin/credentials/rules", &form).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Saved as version 2."));
    let history: Value = admin.get(PATH).await.json().await.unwrap();
    let rules = &history["inForce"];
    assert_eq!(rules["version"], 2);
    assert_eq!(rules["vaccination"]["minDaysAfterCompleteDose"], 10);
    assert_eq!(rules["vaccination"]["maxDaysAfterLastDose"], Value::Null);
    assert_eq!(rules["test"]["maxHoursSinceSample"], json!({ "LP6464-4": 72 }));
    assert_eq!(rules["exemption"]["accepted"], false, "an unticked box");
    // Without the CSRF token: refused.
    let r = admin.post_form_raw("/en/admin/credentials/rules", &form).await;
    assert_eq!(r.status(), 403);
    app.stop().await;
}
both_backends!(the_rules_page_edits_the_rules_in_three_languages);
