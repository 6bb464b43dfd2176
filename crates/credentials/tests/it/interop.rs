//! Interoperability: a credential lionrock issues verifies with an
//! independent DCC implementation (Python: pycose, cbor2, base45, run by
//! `scripts/dcc-verify.py`) given only our DSC trust list as served; a
//! forged one does not. Needs `LIONROCK_TEST_DCC_PYTHON`
//! (`scripts/services.sh ensure_dcc_python`).

use platform::both_backends;
use platform::testkit::Backend;
use serde_json::Value;

use crate::support::{app, forge, issue};

fn python_verify(python: &str, trust_list: &std::path::Path, code: &str) -> (Option<i32>, Value) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dcc-verify.py");
    let out = std::process::Command::new(python).arg(script).arg(trust_list).arg(code).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let parsed = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), parsed)
}

async fn an_independent_implementation_verifies_our_credentials(backend: Backend) {
    let Some(python) = platform::testkit::service_env("LIONROCK_TEST_DCC_PYTHON", "python DCC verifier") else {
        return;
    };
    let app = app(backend).spawn().await;
    let hc1 = issue(&app).await;
    let list = app.client().get("/api/v1/credentials/trust-list/dsc").await.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dsc.json");
    std::fs::write(&path, &list).unwrap();

    let (code, verdict) = python_verify(&python, &path, &hc1);
    assert_eq!(code, Some(0), "{verdict}");
    assert_eq!(verdict["valid"], true);
    assert_eq!(verdict["country"], "HK");
    assert_eq!(verdict["iss"], "HK");
    let dcc = &verdict["hcert"];
    assert_eq!(dcc["nam"]["fn"], "Chan");
    assert_eq!(dcc["nam"]["gnt"], "TAI<MAN");
    assert_eq!(dcc["dob"], "1980-02-29");
    assert_eq!(dcc["v"][0]["dn"], 2);
    assert!(dcc["v"][0]["ci"].as_str().unwrap().starts_with("URN:UVCI:01:HK:"), "{dcc}");

    let (code, verdict) = python_verify(&python, &path, &forge(&hc1));
    assert_eq!(code, Some(1), "{verdict}");
    assert_eq!(verdict["reason"], "bad signature");
    app.stop().await;
}
both_backends!(an_independent_implementation_verifies_our_credentials);
