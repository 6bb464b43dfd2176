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
