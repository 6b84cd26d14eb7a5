//! The differential suite: the same command files replayed against a real
//! `redis-server` and against the Lockstep model, replies compared byte for
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
//! Needs `redis-server` (Redis 7.0) on `PATH`.

pub mod resp;
pub mod runner;
pub mod script;
pub mod server;
pub mod side;

use std::path::{Path, PathBuf};

/// The crate's directory, where `cases/` lives.
pub fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
    let files = if files.is_empty() {
        match runner::case_files(&suite_dir().join("cases")) {
            Ok(files) => files,
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
    let started = std::time::Instant::now();
    let model = runner::Model::InProcess;
    let reports = runner::run_files(&files, &model, runner::default_jobs(), display_name);
    for report in &reports {
        print!("{}", report.render(verbose));
    }
    print!("{}", runner::summary(&reports));
    println!(
        "({} files in {:.1} s)",
        reports.len(),
        started.elapsed().as_secs_f64()
    );
    !reports.is_empty() && reports.iter().all(|r| r.passed())
}
