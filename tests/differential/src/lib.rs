//! The differential suite: the same command files replayed against a real
//! `redis-server` and against `lockstep serve`, replies compared byte for
//! byte. This is how fidelity is measured.
//!
//! Run the whole suite (every `cases/*.redis` file is claimed: any differing
//! reply fails it):
//!
//! ```text
//! cargo test -p lockstep-differential
//! cargo test -p lockstep-differential -- strings      # files whose name contains "strings"
//! ```
//!
//! Run one or more files while developing (paths relative to where you run
//! it; no path means the whole suite), `-v` to print every reply:
//!
//! ```text
//! cargo run -p lockstep-differential -- tests/differential/cases/strings.redis
//! ```
//!
//! Output: per file `cases/x.redis: M/N replies identical`, each mismatch
//! with its line, command and both replies escaped, then
//! `differential: M/N replies identical` and `P passed, F failed` (files).
//!
//! The file format is in `tests/differential/README.md`; [`script`] parses
//! it, [`resp`] finds where raw replies end, [`server`] starts the servers,
//! [`side`] talks to each side and [`runner`] compares them.
//!
//! The whole suite also replays the myth transcripts of every lesson
//! (`lessons/**/*.md`, see [`myths`]) and keeps the outcome per lesson in
//! `lessons/checked.json`.
//!
//! Needs `redis-server` (Redis 7.0) on `PATH`. The `lockstep` binary is
//! built first with `cargo build -p lockstep-cli` (so it is never stale),
//! unless `LOCKSTEP_BIN` names one to use.

pub mod myths;
pub mod resp;
pub mod runner;
pub mod script;
pub mod server;
pub mod side;

use std::path::{Path, PathBuf};

/// The crate's directory, where `cases/` lives: the one of the checkout
/// cargo was run in (cargo sets `CARGO_MANIFEST_DIR` when it runs a test or
/// binary), else the one this was compiled from.
///
/// The two differ when several checkouts share one target directory and
/// another checkout rebuilt this very binary after cargo built it here and
/// before it ran; the case files and the server under test must still come
/// from the checkout being tested.
pub fn suite_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Warns when this binary was compiled from another checkout than the one
/// it is testing (see [`suite_dir`]).
fn warn_if_built_elsewhere() {
    let compiled = Path::new(env!("CARGO_MANIFEST_DIR"));
    let running = suite_dir();
    if running != compiled {
        eprintln!(
            "differential: warning: this harness was compiled from {} but is testing {}; \
             another checkout sharing the target directory rebuilt it. Cases and server \
             come from {}.",
            compiled.display(),
            running.display(),
            running.display()
        );
    }
}

/// How a path is shown in reports: relative to the suite's directory when
/// it is inside it (`cases/strings.redis`).
pub fn display_name(path: &Path) -> String {
    let dir = suite_dir();
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let base = std::fs::canonicalize(&dir).unwrap_or(dir);
    absolute
        .strip_prefix(&base)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Runs the files (all of `cases/` when `files` is empty), printing the
/// report as it is described at the top of this crate. Returns whether every
/// file passed.
pub fn run_and_print(files: &[PathBuf], filters: &[String], verbose: bool) -> bool {
    warn_if_built_elsewhere();
    let whole_suite = files.is_empty() && filters.is_empty();
    let files = if files.is_empty() {
        match runner::case_files(&suite_dir().join("cases")) {
            Ok(mut files) => {
                files.extend(myths::lesson_files(&myths::lessons_dir()));
                files
            }
            Err(e) => {
                eprintln!("differential: {e}");
                return false;
            }
        }
    } else {
        files.to_vec()
    };
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| {
            filters.is_empty()
                || filters
                    .iter()
                    .any(|w| f.to_string_lossy().contains(w.as_str()))
        })
        .collect();
    if files.is_empty() && !filters.is_empty() {
        // `cargo test --workspace NAME` passes NAME here too: a filter
        // that matches no case file selects nothing, like any test filter.
        println!("differential: no case file matches {filters:?}\n0 passed, 0 failed");
        return true;
    }
    let lockstep = match lockstep_binary() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("differential: {e}");
            return false;
        }
    };
    let started = std::time::Instant::now();
    let lessons = std::fs::canonicalize(myths::lessons_dir()).unwrap_or_default();
    let lesson_name = |path: &Path| -> Option<String> {
        let absolute = std::fs::canonicalize(path).ok()?;
        let relative = absolute.strip_prefix(&lessons).ok()?;
        Some(relative.display().to_string())
    };
    let name = |path: &Path| match lesson_name(path) {
        Some(relative) => format!("lessons/{relative}"),
        None => display_name(path),
    };
    let reports = runner::run_files(&files, &lockstep, runner::default_jobs(), name);
    for report in &reports {
        print!("{}", report.render(verbose));
    }
    print!("{}", runner::summary(&reports));
    println!(
        "({} files in {:.1} s)",
        reports.len(),
        started.elapsed().as_secs_f64()
    );
    if std::env::var_os("LOCKSTEP_BIN").is_none() {
        if let Some(dir) = lockstep.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    let mut manifest_ok = true;
    if whole_suite {
        let checked: Vec<(String, String, &runner::FileReport)> = files
            .iter()
            .zip(&reports)
            .filter_map(|(f, r)| lesson_name(f).map(|n| (n, myths::transcripts_digest(f), r)))
            .collect();
        manifest_ok = match myths::redis_version() {
            Ok(version) => myths::check_manifest(&myths::manifest(&version, &checked)),
            Err(e) => {
                eprintln!("differential: {e}");
                false
            }
        };
    }
    manifest_ok && !reports.is_empty() && reports.iter().all(|r| r.passed())
}

/// The `lockstep` binary to test: `LOCKSTEP_BIN`, or (a private copy of)
/// the one `cargo build -p lockstep-cli` produces, built now in the same
/// target directory.
pub fn lockstep_binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("LOCKSTEP_BIN") {
        return Ok(PathBuf::from(path));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args([
            "build",
            "-p",
            "lockstep-cli",
            "--bin",
            "lockstep",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(suite_dir())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo to build lockstep: {e}"))?;
    if !output.status.success() {
        return Err("`cargo build -p lockstep-cli` failed".into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let built = stdout
        .lines()
        .filter(|line| {
            line.contains("\"reason\":\"compiler-artifact\"")
                && line.contains("\"name\":\"lockstep\"")
        })
        .find_map(|line| json_string_field(line, "executable"))
        .map(PathBuf::from)
        .ok_or("cargo built lockstep-cli but named no `lockstep` executable")?;
    private_copy(&built)
}

/// Copies the binary just built to a file of this run's own. A target
/// directory shared by several checkouts of the repository is rebuilt by
/// whichever checkout builds next, replacing the binary while the suite is
/// still starting servers from it; the copy is the one this checkout built.
fn private_copy(built: &Path) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("lockstep-differential-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let copy = dir.join("lockstep");
    std::fs::copy(built, &copy)
        .map_err(|e| format!("cannot copy {} to {}: {e}", built.display(), copy.display()))?;
    Ok(copy)
}

/// The value of a string field in one line of cargo's JSON output (enough
/// JSON for paths: `\\` and `\"` escapes).
fn json_string_field(line: &str, field: &str) -> Option<String> {
    let start = line.find(&format!("\"{field}\":\""))? + field.len() + 4;
    let mut value = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}
