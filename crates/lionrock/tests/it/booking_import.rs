//! `lionrock booking import FILE`, run as the operator runs it: the example
//! file (`examples/booking.toml`, also the demo's data) sets three
//! programmes up and prints their IDs; a second run makes nothing new and
//! prints the same IDs; a file it cannot use is refused with exit code 2 and
//! one line saying why, and changes nothing.

use serde_json::Value;

use crate::support::{lionrock, run, stderr, stdout, workspace};

fn installation() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(lionrock(dir.path()).args(["keys", "init"])).status.success());
    dir
}

fn import(dir: &std::path::Path, file: &std::path::Path) -> std::process::Output {
    run(lionrock(dir).args(["booking", "import", "--json"]).arg(file))
}

#[test]
fn the_example_file_imports_idempotently_and_names_what_it_made() {
    let dir = installation();
    let example = workspace().join("examples/booking.toml");
    let out = import(dir.path(), &example);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let first: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let programmes = first["programmes"].as_array().unwrap();
    let slugs: Vec<&str> = programmes.iter().map(|p| p["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["community-testing", "covid-vaccination", "return2hk"]);
    for p in programmes {
        assert_eq!(p["created"], true, "{p}");
        assert_eq!(p["id"].as_str().unwrap().len(), 36, "{p}");
        assert!(p["slots_created"].as_u64().unwrap() > 0, "{p}");
    }
    assert_eq!(programmes[0]["centres"].as_object().unwrap().len(), 3);
    assert_eq!(programmes[1]["products"].as_object().unwrap().len(), 2);

    let out = import(dir.path(), &example);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let second: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    for (a, b) in programmes.iter().zip(second["programmes"].as_array().unwrap()) {
        assert_eq!(b["created"], false, "{b}");
        assert_eq!(b["slots_created"], 0, "{b}");
        assert_eq!((&a["id"], &a["products"], &a["centres"]), (&b["id"], &b["products"], &b["centres"]));
    }

    // Without --json: a line a programme.
    let out = run(lionrock(dir.path()).args(["booking", "import"]).arg(&example));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 3, "{}", stdout(&out));
    assert!(stdout(&out).starts_with("updated programme community-testing ("), "{}", stdout(&out));
}

#[test]
fn a_file_it_cannot_use_is_refused_with_exit_2_and_one_line() {
    let dir = installation();
    let file = dir.path().join("bad.toml");
    let example = std::fs::read_to_string(workspace().join("examples/booking.toml")).unwrap();
    let cases = [
        (example.replacen("district = \"sha-tin\"", "district = \"atlantis\"", 1), "district must be one of"),
        ("[[programme]]\nslug = \"x\"\n".to_owned(), "missing field"),
        (example.replacen("minutes = 30", "minutes = 1", 1), "minutes 5-1440"),
    ];
    for (text, says) in cases {
        std::fs::write(&file, &text).unwrap();
        let out = import(dir.path(), &file);
        assert_eq!(out.status.code(), Some(2), "{says}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains("bad.toml") && err.contains(says), "{says}: {err}");
        assert!(stdout(&out).is_empty());
    }
    let out = import(dir.path(), &dir.path().join("absent.toml"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("absent.toml"), "{}", stderr(&out));
}

/// `lionrock booking officers CENTRE_ID [--set IDS]`: shows and sets who
/// works at a centre; a bad ID or an unknown centre is exit 2 and one line.
#[test]
fn officers_are_assigned_to_centres_from_the_command_line() {
    let dir = installation();
    let out = import(dir.path(), &workspace().join("examples/booking.toml"));
    let imported: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let centre = imported["programmes"][0]["centres"].as_object().unwrap().values().next().unwrap();
    let centre = centre.as_str().unwrap();
    let officers = |args: &[&str]| run(lionrock(dir.path()).args(["booking", "officers", "--json", centre]).args(args));
    let listed = |out: &std::process::Output| -> Value {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        serde_json::from_str::<Value>(stdout(out).trim()).unwrap()["officers"].clone()
    };
    assert_eq!(listed(&officers(&[])), serde_json::json!([]));
    let (a, b) = ("0199a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", "0199a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5c");
    assert_eq!(listed(&officers(&["--set", &format!("{b},{a},{a}")])), serde_json::json!([a, b]), "each once");
    assert_eq!(listed(&officers(&[])), serde_json::json!([a, b]));
    assert_eq!(listed(&officers(&["--set", ""])), serde_json::json!([]), "--set \"\" leaves nobody");

    for (args, says) in [
        (vec!["booking", "officers", centre, "--set", "nobody"], "--set takes account IDs"),
        (vec!["booking", "officers", "no-such-centre"], "no centre has the ID"),
        (vec!["booking", "officers", "no-such-centre", "--set", a], "no centre has the ID"),
    ] {
        let out = run(lionrock(dir.path()).args(&args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
