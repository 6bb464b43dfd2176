//! CKAN's own Python client, `ckanapi`, unchanged, against a running
//! lionrock with the demo catalogue (`scripts/ckanapi-check.py`): every read
//! action, searches by POST and by GET, its `NotFound`, `ValidationError`
//! and `NotAuthorized` from our refusals, writes with a publisher's
//! token, the DataStore (create, upsert, search by POST and GET, info,
//! delete), and a file uploaded (`upload=open(path, 'rb')`) and updated.
//! Needs `LIONROCK_TEST_CKANAPI` (`scripts/services.sh
//! ensure_ckanapi`); under `CI=true` its absence fails the run.

use platform::both_backends;
use platform::testkit::Backend;
use serde_json::Value;

use crate::support::{publisher, with_demo};

async fn ckanapi_reads_and_writes_unchanged(backend: Backend) {
    let Some(python) = platform::testkit::service_env("LIONROCK_TEST_CKANAPI", "ckanapi") else { return };
    let app = with_demo(backend).await;
    let (_, token) = publisher(&app, "hko").await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ckanapi-check.py");
    let base = app.url("");
    let out =
        tokio::process::Command::new(python).arg(script).args([base.as_str(), &token, "hko"]).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
    let failed: Vec<(&String, &Value)> =
        report["checks"].as_object().unwrap().iter().filter(|(_, v)| *v != "ok").collect();
    assert!(failed.is_empty(), "ckanapi found: {failed:#?}");
    assert_eq!(report["checks"].as_object().unwrap().len(), 13, "{report}");
    assert_eq!(out.status.code(), Some(0));
}
both_backends!(ckanapi_reads_and_writes_unchanged);
