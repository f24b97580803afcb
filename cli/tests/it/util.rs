use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) const KINDRED: &str = env!("CARGO_BIN_EXE_kindred");

/// The repository's sample photos.
pub(crate) fn sample_photos() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/photos")
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

pub(crate) fn kindred(library: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(KINDRED);
    command.arg("--library").arg(library).args(args);
    run(command)
}

pub(crate) fn run(mut command: Command) -> Run {
    let Output { status, stdout, stderr } = command.output().expect("kindred runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs `kindred --json ARGS` on `library`, expects success, and returns its JSON.
pub(crate) fn ok(library: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let run = kindred(library, &all);
    assert_eq!(run.code, 0, "kindred {args:?}: {}{}", run.stdout, run.stderr);
    run.json()
}
