//! CKAN's writes over HTTP: `package_create`, `package_update`,
//! `package_patch`, `package_delete` and `resource_create` need a token of
//! a publisher of the dataset's organisation (none, a wrong one, a revoked
//! one, another organisation's are refused with CKAN's `Authorization
//! Error`); invalid bodies are `Validation Error`s naming each field; every
//! change is audited and takes the next number of the change sequence.

use opendata::catalogue::store as catalogue;
use platform::both_backends;
use platform::testkit::Backend;
use serde_json::json;

use crate::support::{get, post, publisher, refusal, result, spawn};

async fn writes_need_a_publishers_token(backend: Backend) {
    let app = spawn(backend).await;
    let actor = catalogue::Actor { id: "test".to_owned(), request_id: None };
    for (name, title) in [("hko", "Hong Kong Observatory"), ("epd", "Environmental Protection Department")] {
        let title = opendata::catalogue::Texts::new(title, "", "");
        catalogue::create_organisation(&app.state, name, title, Default::default(), &actor).await.unwrap();
    }
    let (account, hko) = publisher(&app, "hko").await;
    let (_, epd) = publisher(&app, "epd").await;
    let c = app.client();
    let body = json!({
        "name": "lightning-locations",
        "owner_org": "hko",
        "title_translated": {"en": "Lightning Locations", "zh-HK": "閃電位置", "zh-CN": "闪电位置"},
        "notes": "Where lightning struck, every minute.",
        "tags": [{"name": "lightning"}, {"name": "閃電"}],
        "groups": [{"name": "climate-and-weather"}],
        "update_frequency": "real-time",
        "resources": [{"url": "https://data.example.gov.hk/hko/lightning.csv", "format": "csv", "size": 1234,
                       "hash": "sha256:00ff", "last_modified": "2026-12-01T08:00:00"}]
    });

    // No token, a wrong one, another organisation's: refused, nothing made.
    for token in [None, Some("lrod_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), Some(epd.as_str())] {
        let (status, kind, _) = refusal(post(&c, "package_create", &body, token).await);
        assert_eq!((status, kind.as_str()), (403, "Authorization Error"), "{token:?}");
    }
    assert_eq!(result(get(&c, "package_list", "", None).await), json!([]));
    // A browser's session grants nothing here (so no CSRF check is needed): still CKAN's refusal.
    let principal = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
    let browser = app.sign_in_as(&principal).await;
    let (status, kind, _) = refusal(post(&browser, "package_create", &body, None).await);
    assert_eq!((status, kind.as_str()), (403, "Authorization Error"));

    let made = result(post(&c, "package_create", &body, Some(&hko)).await);
    assert_eq!(made["name"], "lightning-locations");
    assert_eq!(made["title"], "Lightning Locations");
    assert_eq!(
        made["notes_translated"],
        json!({"en": "Where lightning struck, every minute.", "zh-HK": "", "zh-CN": ""})
    );
    assert_eq!(made["resources"][0]["format"], "CSV");
    assert_eq!(made["resources"][0]["last_modified"], "2026-12-01T08:00:00.000000");
    assert_eq!(made["tags"].as_array().unwrap().len(), 2);
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(result(get(&c, "package_show", "id=lightning-locations", None).await)["id"], id.as_str());

    // The same name again, and a body with many faults: each field named.
    let (status, kind, error) = refusal(post(&c, "package_create", &body, Some(&hko)).await);
    assert_eq!((status, kind.as_str()), (409, "Validation Error"));
    assert_eq!(error["name"], json!(["That URL is already in use."]));
    let bad = json!({"name": "Not A Name", "owner_org": "hko", "private": "perhaps", "groups": ["no-such-group"]});
    let (status, _, error) = refusal(post(&c, "package_create", &bad, Some(&hko)).await);
    assert_eq!(status, 409);
    for field in ["name", "title", "private"] {
        assert!(error[field][0].is_string(), "{field}: {error}");
    }
    let (status, _, error) = refusal(
        post(
            &c,
            "package_create",
            &json!({"name": "x-y", "owner_org": "hko", "title": "X", "groups": ["nope"]}),
            Some(&hko),
        )
        .await,
    );
    assert_eq!((status, &error["groups"]), (409, &json!(["Group nope not found"])));
    let (status, _, error) = refusal(
        post(&c, "package_create", &json!({"name": "x-y", "owner_org": "nobody", "title": "X"}), Some(&hko)).await,
    );
    assert_eq!((status, &error["owner_org"]), (409, &json!(["Organization does not exist"])));

    // Patch: the English title changes, the Chinese stay; the resource stays.
    let patched = result(
        post(&c, "package_patch", &json!({"id": id, "title": "Lightning Strikes", "private": true}), Some(&hko)).await,
    );
    assert_eq!(
        patched["title_translated"],
        json!({"en": "Lightning Strikes", "zh-HK": "閃電位置", "zh-CN": "闪电位置"})
    );
    assert_eq!(patched["private"], true);
    assert_eq!(patched["resources"][0]["id"], made["resources"][0]["id"]);
    let (status, ..) = refusal(get(&c, "package_show", "id=lightning-locations", None).await);
    assert_eq!(status, 404, "private now");
    let (status, kind, _) = refusal(post(&c, "package_patch", &json!({"id": id, "private": false}), Some(&epd)).await);
    assert_eq!((status, kind.as_str()), (404, "Not Found Error"), "another organisation's publisher does not see it");

    // Update replaces: resources left out are removed; moving it to an organisation one does not publish for is refused.
    let mut replaced = body.clone();
    replaced["id"] = json!(id);
    replaced["resources"] = json!([]);
    replaced["private"] = json!(false);
    let updated = result(post(&c, "package_update", &replaced, Some(&hko)).await);
    assert_eq!((updated["num_resources"].as_u64(), updated["private"].as_bool()), (Some(0), Some(false)));
    replaced["owner_org"] = json!("epd");
    let (status, kind, _) = refusal(post(&c, "package_update", &replaced, Some(&hko)).await);
    assert_eq!((status, kind.as_str()), (403, "Authorization Error"));
    let (status, kind, _) = refusal(post(&c, "package_update", &json!({"id": id, "title": "X"}), Some(&epd)).await);
    assert_eq!((status, kind.as_str()), (403, "Authorization Error"), "a public dataset of another organisation");

    // A resource added; then the dataset deleted, and gone for everyone.
    let (status, kind, _) =
        refusal(post(&c, "resource_create", &json!({"package_id": id, "url": "https://x.example/a.json"}), None).await);
    assert_eq!((status, kind.as_str()), (403, "Authorization Error"));
    let resource = result(
        post(
            &c,
            "resource_create",
            &json!({"package_id": id, "url": "https://data.example.gov.hk/hko/lightning.json", "format": "json",
                    "name_translated": {"en": "Latest strikes", "zh-HK": "最新閃電", "zh-CN": "最新闪电"}}),
            Some(&hko),
        )
        .await,
    );
    assert_eq!((resource["package_id"].as_str(), resource["format"].as_str()), (Some(id.as_str()), Some("JSON")));
    let (status, _, error) =
        refusal(post(&c, "resource_create", &json!({"package_id": id, "url": "ftp://x"}), Some(&hko)).await);
    assert_eq!(status, 409);
    assert!(error["url"][0].is_string(), "{error}");
    assert_eq!(result(post(&c, "package_delete", &json!({"id": id}), Some(&hko)).await), json!(null));
    let (status, ..) = refusal(get(&c, "package_show", &format!("id={id}"), Some(&hko)).await);
    assert_eq!(status, 404);

    // Every change audited (opaque IDs only), each a number in the change sequence.
    let audited =
        platform::audit::entries_about(app.db(), &format!("dataset:{id}"), "opendata.dataset.", 10).await.unwrap();
    let actions: Vec<&str> = audited.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["opendata.dataset.create", "opendata.dataset.update", "opendata.dataset.update", "opendata.dataset.delete"]
    );
    assert!(audited.iter().all(|e| e.actor == account && e.request_id.is_some()));
    let changes = catalogue::changes_after(app.db(), 0, 100).await.unwrap();
    let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5], "create, patch, update, resource, delete");
    assert!(changes.iter().all(|c| c.dataset_id == id));

    // A revoked token stops working at once.
    let (token_id, token) = opendata::publishers::store::create_token(&app.state, &account, "t", "test").await.unwrap();
    result(get(&c, "status_show", "", Some(&token)).await);
    assert!(opendata::publishers::store::revoke_token(&app.state, &token_id, "test").await.unwrap());
    let (status, kind, _) = refusal(get(&c, "status_show", "", Some(&token)).await);
    assert_eq!((status, kind.as_str()), (403, "Authorization Error"));
}
both_backends!(writes_need_a_publishers_token);

async fn concurrent_writes_number_changes_without_gaps(backend: Backend) {
    let app = spawn(backend).await;
    let actor = catalogue::Actor { id: "test".to_owned(), request_id: None };
    let title = opendata::catalogue::Texts::new("Observatory", "", "");
    catalogue::create_organisation(&app.state, "hko", title, Default::default(), &actor).await.unwrap();
    let (_, token) = publisher(&app, "hko").await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let c = app.client();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({"name": format!("set-{n}"), "owner_org": "hko", "title": "Set", "tags": ["shared tag"]});
            post(&c, "package_create", &body, Some(&token)).await.0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let seqs: Vec<i64> = catalogue::changes_after(app.db(), 0, 100).await.unwrap().iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=8).collect::<Vec<i64>>());
    let tags = result(get(&app.client(), "tag_list", "", None).await);
    assert_eq!(tags, json!(["shared tag"]), "one tag, however many made it at once");
}
both_backends!(concurrent_writes_number_changes_without_gaps);
