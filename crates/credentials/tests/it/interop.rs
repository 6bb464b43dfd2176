//! Interoperability: a credential lionrock issues verifies with an
//! independent DCC implementation (Python: pycose, cbor2, base45 and
//! cryptography, run by `scripts/dcc-verify.py`) given only our trust lists
//! as served: the DSC list's signature by the root (`X-Signature`), the
//! signer's chain to a root of the CSCA list, and the code's signature. A
//! forged code, a list whose signature does not match, and a signer under
//! no listed root do not. Needs `LIONROCK_TEST_DCC_PYTHON`
//! (`scripts/services.sh ensure_dcc_python`).

use platform::both_backends;
use platform::testkit::Backend;
use serde_json::Value;

use crate::support::{app, forge, issue};

fn python_verify(python: &str, args: &[&std::ffi::OsStr], code: &str) -> (Option<i32>, Value) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dcc-verify.py");
    let out = std::process::Command::new(python).arg(script).args(args).arg(code).output().unwrap();
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
    let c = app.client();
    let dsc = c.get("/api/v1/credentials/trust-list/dsc").await;
    let header = |name: &str| dsc.headers()[name].to_str().unwrap().to_owned();
    let (issued_at, signature) = (header("x-issued-at"), header("x-signature"));
    let list = dsc.bytes().await.unwrap();
    let csca = c.get("/api/v1/credentials/trust-list/csca").await.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (dsc_path, csca_path) = (dir.path().join("dsc.json"), dir.path().join("csca.json"));
    std::fs::write(&dsc_path, &list).unwrap();
    std::fs::write(&csca_path, &csca).unwrap();
    let all = |signature: &str| -> Vec<std::ffi::OsString> {
        vec![
            "--dsc".into(),
            dsc_path.clone().into(),
            "--csca".into(),
            csca_path.clone().into(),
            "--issued-at".into(),
            issued_at.clone().into(),
            "--signature".into(),
            signature.into(),
        ]
    };
    let args = all(&signature);
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();

    let (code, verdict) = python_verify(&python, &args, &hc1);
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

    let (code, verdict) = python_verify(&python, &args, &forge(&hc1));
    assert_eq!(code, Some(1), "{verdict}");
    assert_eq!(verdict["reason"], "bad signature");

    // The list's signature is checked: another list's (the CSCA list's) is refused.
    let other =
        c.get("/api/v1/credentials/trust-list/csca").await.headers()["x-signature"].to_str().unwrap().to_owned();
    let wrong = all(&other);
    let wrong: Vec<&std::ffi::OsStr> = wrong.iter().map(|a| a.as_os_str()).collect();
    let (code, verdict) = python_verify(&python, &wrong, &hc1);
    assert_eq!(code, Some(1), "{verdict}");
    assert_eq!(verdict["reason"], "list signature");

    // The chain is checked: with the DSC list as the "roots", the signer is issued by none of them.
    let fake_roots = dir.path().join("fake-csca.json");
    std::fs::write(&fake_roots, String::from_utf8(list.to_vec()).unwrap().replace("\"DSC\"", "\"CSCA\"")).unwrap();
    let chain =
        [std::ffi::OsStr::new("--dsc"), dsc_path.as_os_str(), std::ffi::OsStr::new("--csca"), fake_roots.as_os_str()];
    let (code, verdict) = python_verify(&python, &chain, &hc1);
    assert_eq!(code, Some(1), "{verdict}");
    assert_eq!(verdict["reason"], "chain");
    app.stop().await;
}
both_backends!(an_independent_implementation_verifies_our_credentials);
