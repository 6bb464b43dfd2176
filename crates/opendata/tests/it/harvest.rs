//! Harvesting one lionrock from another over CKAN's Action API, two real
//! servers: the first run copies every public dataset (a Chinese title
//! too) into the given organisation; after a change at the source the next
//! run updates that one only; a dataset deleted there is marked deleted
//! here; a local dataset with a source dataset's name is never overwritten
//! (that one is reported, the rest harvested); without `--organisation`
//! the source's organisations are mirrored; a source that cannot be read
//! fails in one line and writes nothing.

use opendata::catalogue::State;
use opendata::catalogue::store::{self as catalogue, Actor};
use opendata::harvest::remote::{Limits, harvest};
use opendata::harvest::store as harvests;
use platform::both_backends;
use platform::testkit::Backend;
use serde_json::json;

use crate::support::{post, publisher, result, spawn};

async fn audited(app: &platform::testkit::TestApp, action: &str) -> u64 {
    use platform::audit::log;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    log::Entity::find().filter(log::Column::Action.eq(action)).count(&app.state.db).await.unwrap()
}

fn org_title(en: &str) -> opendata::catalogue::Texts {
    opendata::catalogue::Texts::new(en, "", "")
}

async fn harvests_incrementally_from_another_ckan(backend: Backend) {
    let actor = Actor { id: "test".to_owned(), request_id: None };
    let source = spawn(backend).await;
    catalogue::create_organisation(
        &source.state,
        "hko",
        org_title("Hong Kong Observatory"),
        Default::default(),
        &actor,
    )
    .await
    .unwrap();
    let (_, token) = publisher(&source, "hko").await;
    let c = source.client();
    for (name, zh) in [("rainfall", "雨量"), ("lightning", "閃電"), ("tides", "潮汐")] {
        let body = json!({
            "name": name, "owner_org": "hko", "title_translated": {"en": name, "zh-HK": zh, "zh-CN": zh},
            "notes": format!("About {name}."), "tags": ["weather"], "groups": ["climate-and-weather"],
            "resources": [{"url": format!("https://data.example.gov.hk/{name}.csv"), "format": "CSV"}]
        });
        result(post(&c, "package_create", &body, Some(&token)).await);
    }
    // A private one is not harvested.
    let hidden = json!({"name": "hidden", "owner_org": "hko", "title": "Hidden", "private": true});
    result(post(&c, "package_create", &hidden, Some(&token)).await);

    let target = spawn(backend).await;
    catalogue::create_organisation(&target.state, "mirror", org_title("Mirror"), Default::default(), &actor)
        .await
        .unwrap();
    let url = source.url("");
    let first = harvest(&target.state, &url, Some("mirror"), Limits::default()).await.unwrap();
    assert_eq!((first.created, first.updated, first.deleted, first.failed), (3, 0, 0, 0), "{first:?}");
    let rainfall = catalogue::dataset(&target.state.db, "rainfall").await.unwrap().unwrap();
    assert_eq!(rainfall.title.zh_hk, "雨量");
    assert_eq!(rainfall.organisation.name, "mirror");
    assert_eq!(rainfall.resources[0].url, "https://data.example.gov.hk/rainfall.csv");
    assert!(catalogue::dataset(&target.state.db, "hidden").await.unwrap().is_none());
    let kept = harvests::source_by_url(&target.state.db, &url).await.unwrap().unwrap();
    assert_eq!((kept.last_created, kept.high_water.is_some()), (3, true));
    // Every write audited: the source, each dataset (the catalogue's entry and harvest's), the run.
    for (action, count) in [
        ("opendata.harvest.source.create", 1),
        ("opendata.harvest.create", 3),
        ("opendata.dataset.create", 3),
        ("opendata.harvest.run", 1),
    ] {
        assert_eq!(audited(&target, action).await, count, "{action}");
    }

    // One change at the source: only that one is written again.
    let patch =
        json!({"id": "lightning", "title_translated": {"en": "Lightning", "zh-HK": "閃電位置", "zh-CN": "闪电位置"}});
    result(post(&c, "package_patch", &patch, Some(&token)).await);
    let second = harvest(&target.state, &url, Some("mirror"), Limits::default()).await.unwrap();
    assert_eq!((second.created, second.updated, second.deleted, second.failed), (0, 1, 0, 0), "{second:?}");
    assert!(second.unchanged <= 1, "reads down to the mark only: {second:?}");
    let lightning = catalogue::dataset(&target.state.db, "lightning").await.unwrap().unwrap();
    assert_eq!((lightning.title.en.as_str(), lightning.title.zh_hk.as_str()), ("Lightning", "閃電位置"));

    // Deleted at the source: marked deleted here.
    result(post(&c, "package_delete", &json!({"id": "tides"}), Some(&token)).await);
    let third = harvest(&target.state, &url, Some("mirror"), Limits::default()).await.unwrap();
    assert_eq!((third.created, third.updated, third.deleted, third.failed), (0, 0, 1, 0), "{third:?}");
    assert!(catalogue::dataset(&target.state.db, "tides").await.unwrap().is_none());

    // A local dataset holds a name the source now uses: it stays ours, that
    // one is reported, and the source's other new dataset is harvested.
    let local = json!({"name": "floods", "owner_org": "mirror", "title": "Our floods"});
    catalogue::create_dataset(&target.state, &opendata::catalogue::dataset_input(&local).unwrap(), &actor)
        .await
        .unwrap();
    for name in ["floods", "storms"] {
        let body = json!({"name": name, "owner_org": "hko", "title": format!("Their {name}")});
        result(post(&c, "package_create", &body, Some(&token)).await);
    }
    let fourth = harvest(&target.state, &url, Some("mirror"), Limits::default()).await.unwrap();
    assert_eq!((fourth.created, fourth.failed), (1, 1), "{fourth:?}");
    assert_eq!(fourth.failures[0].name, "floods");
    let floods = catalogue::dataset(&target.state.db, "floods").await.unwrap().unwrap();
    assert_eq!(floods.title.en, "Our floods");
    // The failed one is read again next time (the mark stopped before it).
    let fifth = harvest(&target.state, &url, Some("mirror"), Limits::default()).await.unwrap();
    assert_eq!((fifth.created, fifth.failed), (0, 1), "{fifth:?}");

    // Without --organisation the source's organisation is mirrored.
    let other = spawn(backend).await;
    let mirrored = harvest(&other.state, &url, None, Limits::default()).await.unwrap();
    assert_eq!((mirrored.created, mirrored.failed), (4, 0), "{mirrored:?}");
    let storms = catalogue::dataset(&other.state.db, "storms").await.unwrap().unwrap();
    assert_eq!((storms.organisation.name.as_str(), storms.state), ("hko", State::Published));
    assert_eq!(storms.organisation.title.en, "Hong Kong Observatory");
}
both_backends!(harvests_incrementally_from_another_ckan);

async fn a_source_that_cannot_be_read_fails_in_one_line(backend: Backend) {
    let target = spawn(backend).await;
    let limits = Limits { timeout: std::time::Duration::from_secs(5), ..Limits::default() };
    // Nothing listens on port 9 of this machine's loopback (discard, unserved).
    let refused = harvest(&target.state, "http://127.0.0.1:9", None, limits).await.unwrap_err().0;
    assert!(refused.contains("cannot connect"), "{refused}");
    // A page, not CKAN: HTML where JSON should be.
    let page = harvest(&target.state, &target.url("/en"), None, limits).await.unwrap_err().0;
    assert!(page.contains("not JSON"), "{page}");
    let big = Limits { max_bytes: 10, ..limits };
    let capped = harvest(&target.state, &target.url(""), None, big).await.unwrap_err().0;
    assert!(capped.contains("larger than 10 bytes"), "{capped}");
    // A source that takes the connection and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let quick = Limits { timeout: std::time::Duration::from_secs(1), ..limits };
    let slow = harvest(&target.state, &silent_url, None, quick).await.unwrap_err().0;
    assert!(slow.contains("no answer in time"), "{slow}");
    held.abort();
    let bad = harvest(&target.state, "ftp://example.org", None, limits).await.unwrap_err().0;
    assert!(bad.contains("http"), "{bad}");
    for message in [&refused, &page, &capped, &slow, &bad] {
        assert!(!message.contains('\n'), "one line: {message}");
    }
    assert_eq!(catalogue::dataset_count(&target.state.db).await.unwrap(), 0);
    assert!(harvests::source_by_url(&target.state.db, "http://127.0.0.1:9").await.unwrap().is_none());
}
both_backends!(a_source_that_cannot_be_read_fails_in_one_line);
