//! Running the real binary.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_lionrock");

/// A command for the binary with a clean LIONROCK_* environment, run in `dir`.
pub fn lionrock(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).env("LIONROCK_LOG", "warn").env_remove("LIONROCK_TEST_POSTGRES_URL");
    for (k, _) in std::env::vars() {
        if k.starts_with("LIONROCK_") && k.contains("__") {
            cmd.env_remove(k);
        }
    }
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run lionrock")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A running `lionrock serve`; stopped with SIGTERM on drop.
pub struct Served {
    pub child: Child,
    pub base: String,
    /// What `serve --json` printed first.
    pub info: serde_json::Value,
}

impl Served {
    /// Starts `serve --json … extra` and waits for its `listening` line.
    pub fn start(mut cmd: Command) -> Served {
        let mut child =
            cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).stdin(Stdio::null()).spawn().expect("spawn");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read listening line");
        let info: serde_json::Value =
            serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("serve printed {line:?}: {e}"));
        Served { child, base: info["url"].as_str().unwrap().to_owned(), info }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends SIGTERM and waits; returns whether it exited successfully.
    pub fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not stop after SIGTERM");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The repository's root.
pub fn workspace() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Every `.rs` file below `dir` (build output left out).
pub fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target" && n != "node_modules") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Runs a command that should stop by itself (a `serve` that must refuse to
/// start); one that is still running after 30 s is killed, so a test whose
/// guard broke fails instead of hanging.
pub fn run_bounded(cmd: &mut Command) -> Output {
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn lionrock");
    for _ in 0..600 {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait_with_output().expect("output")
}
