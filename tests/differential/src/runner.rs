//! Replaying command files on both sides and comparing the replies.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::resp;
use crate::script::{self, Step};
use crate::server::ServerProcess;
use crate::side::{Exchange, Side, TcpSide};

/// One command's replies on both sides.
#[derive(Clone, Debug)]
pub struct Compared {
    pub line: usize,
    pub command: String,
    pub redis: Exchange,
    pub model: Exchange,
    pub same: bool,
}

/// The outcome of one command file.
#[derive(Clone, Debug)]
pub struct FileReport {
    /// The file as it is shown (`cases/strings.redis`).
    pub name: String,
    pub total: usize,
    /// Every command replayed, in order.
    pub compared: Vec<Compared>,
    /// The file could not be read or parsed, or a server could not start.
    pub error: Option<String>,
}

impl FileReport {
    pub fn identical(&self) -> usize {
        self.compared.iter().filter(|c| c.same).count()
    }

    pub fn mismatches(&self) -> impl Iterator<Item = &Compared> {
        self.compared.iter().filter(|c| !c.same)
    }

    pub fn passed(&self) -> bool {
        self.error.is_none() && self.identical() == self.total
    }

    /// The per-file block of the report; `verbose` shows every command,
    /// not only the mismatches.
    pub fn render(&self, verbose: bool) -> String {
        let mut s = String::new();
        if let Some(error) = &self.error {
            let _ = writeln!(s, "{}: ERROR {error}", self.name);
            return s;
        }
        let _ = writeln!(
            s,
            "{}: {}/{} replies identical",
            self.name,
            self.identical(),
            self.total
        );
        for m in self.compared.iter().filter(|c| verbose || !c.same) {
            let mark = if m.same { "same" } else { "DIFFERS" };
            let _ = writeln!(s, "  line {}: {} ({mark})", m.line, m.command);
            let _ = writeln!(s, "    redis:    {}", m.redis.describe());
            let _ = writeln!(s, "    lockstep: {}", m.model.describe());
        }
        s
    }
}

/// Replays one file against a fresh `redis-server` and a fresh
/// `lockstep serve` (the binary at `lockstep`).
///
/// Each file gets its own fresh server on both sides rather than a FLUSHALL
/// on a shared one: then nothing leaks between files (configuration,
/// scripts, client names and ids, statistics), and files can run in
/// parallel.
pub fn run_file(path: &Path, name: &str, lockstep: &Path) -> FileReport {
    if path.extension().is_some_and(|e| e == "md") {
        return crate::myths::run_lesson(path, name, lockstep);
    }
    let mut report = FileReport {
        name: name.to_string(),
        total: 0,
        compared: Vec::new(),
        error: None,
    };
    let steps = match std::fs::read_to_string(path) {
        Ok(source) => match script::parse(&source) {
            Ok(steps) => steps,
            Err(e) => {
                report.error = Some(e.to_string());
                return report;
            }
        },
        Err(e) => {
            report.error = Some(format!("cannot read {}: {e}", path.display()));
            return report;
        }
    };
    replay_on_fresh_servers(&steps, lockstep, &mut report);
    report
}

/// Replays `steps` on a fresh `redis-server` and a fresh `lockstep serve`,
/// adding what it compared (or why it could not) to `report`.
pub fn replay_on_fresh_servers(steps: &[Step], lockstep: &Path, report: &mut FileReport) {
    let redis = match ServerProcess::redis() {
        Ok(server) => server,
        Err(e) => {
            report.error = Some(e);
            return;
        }
    };
    let mut redis_side = match Connections::open(redis.port) {
        Ok(side) => side,
        Err(e) => {
            report.error = Some(format!("cannot connect to redis-server: {e}"));
            return;
        }
    };
    let model = match ServerProcess::lockstep(lockstep) {
        Ok(server) => server,
        Err(e) => {
            report.error = Some(e);
            return;
        }
    };
    let mut model_side = match Connections::open(model.port) {
        Ok(side) => side,
        Err(e) => {
            report.error = Some(format!("cannot connect to lockstep serve: {e}"));
            return;
        }
    };
    replay(steps, &mut redis_side, &mut model_side, report);
}

/// How long the other connections of a multi-connection file are given to
/// receive what a command sent them (a served BLPOP's reply).
const OTHERS_QUIET: Duration = Duration::from_millis(20);

/// One side's connections in a file: `@1` (the default) and any other
/// `@N` the file uses, opened on first use, plus an extra connection for
/// watching INFO's `blocked_clients` when a command `@blocks`.
struct Connections {
    port: u16,
    numbered: std::collections::BTreeMap<usize, TcpSide>,
    watcher: Option<TcpSide>,
}

impl Connections {
    fn open(port: u16) -> std::io::Result<Connections> {
        let mut numbered = std::collections::BTreeMap::new();
        numbered.insert(1, TcpSide::connect(port)?);
        Ok(Connections {
            port,
            numbered,
            watcher: None,
        })
    }

    fn play(&mut self, step: &Step) -> Exchange {
        if !self.numbered.contains_key(&step.conn) {
            match TcpSide::connect(self.port) {
                Ok(side) => self.numbered.insert(step.conn, side),
                Err(_) => {
                    return Exchange {
                        closed: true,
                        ..Default::default()
                    }
                }
            };
        }
        let mut exchange = if step.blocks {
            self.play_blocking(step)
        } else {
            match self.numbered.get_mut(&step.conn) {
                Some(side) => side.exchange(&step.args),
                None => Exchange::default(),
            }
        };
        if self.numbered.len() > 1 {
            for (&n, side) in self.numbered.iter_mut() {
                if n == step.conn {
                    continue;
                }
                let arrived = side.drain(OTHERS_QUIET);
                if !arrived.bytes.is_empty() {
                    exchange.others.push((n, arrived.bytes));
                }
            }
        }
        exchange
    }

    /// Sends a command that should block, and returns once the server
    /// counts one more blocked client (or the command answered after all).
    fn play_blocking(&mut self, step: &Step) -> Exchange {
        let before = self.blocked_clients();
        let Some(side) = self.numbered.get_mut(&step.conn) else {
            return Exchange::default();
        };
        if !side.send(&step.args) {
            return Exchange {
                closed: true,
                ..Default::default()
            };
        }
        let deadline = std::time::Instant::now() + crate::side::REPLY_DEADLINE;
        while std::time::Instant::now() < deadline {
            if let Some(side) = self.numbered.get_mut(&step.conn) {
                let arrived = side.drain(Duration::from_millis(2));
                if !arrived.bytes.is_empty() || arrived.closed {
                    return arrived;
                }
            }
            if self.blocked_clients() > before {
                break;
            }
        }
        Exchange::default()
    }

    /// INFO's `blocked_clients`, read on the watcher connection.
    fn blocked_clients(&mut self) -> u64 {
        if self.watcher.is_none() {
            self.watcher = TcpSide::connect(self.port).ok();
        }
        let Some(watcher) = self.watcher.as_mut() else {
            return 0;
        };
        let info = watcher.exchange(&[b"INFO".to_vec(), b"clients".to_vec()]);
        let text = String::from_utf8_lossy(&info.bytes);
        text.lines()
            .find_map(|l| l.strip_prefix("blocked_clients:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }
}

fn replay(
    steps: &[Step],
    redis: &mut Connections,
    model: &mut Connections,
    report: &mut FileReport,
) {
    for step in steps {
        if step.sleep_ms > 0 {
            std::thread::sleep(Duration::from_millis(step.sleep_ms));
        }
        // Both sides run at once, so their quiet periods overlap.
        let (expected, actual) = std::thread::scope(|scope| {
            let redis_thread = scope.spawn(|| redis.play(step));
            let actual = model.play(step);
            (redis_thread.join().unwrap_or_default(), actual)
        });
        report.total += 1;
        let same = expected.closed == actual.closed
            && expected.timed_out == actual.timed_out
            && expected.others == actual.others
            && resp::normalise(&expected.bytes, step.order)
                == resp::normalise(&actual.bytes, step.order);
        report.compared.push(Compared {
            line: step.line,
            command: step.text.clone(),
            redis: expected,
            model: actual,
            same,
        });
    }
}

/// The command files of the suite: `cases/*.redis` in name order.
pub fn case_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "redis"))
        .collect();
    files.sort();
    Ok(files)
}

/// Runs files with up to `jobs` at once and returns their reports in the
/// order given. `name` maps a path to how it is shown.
pub fn run_files(
    files: &[PathBuf],
    lockstep: &Path,
    jobs: usize,
    name: impl Fn(&Path) -> String + Sync,
) -> Vec<FileReport> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![None; files.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(files.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(path) = files.get(i) else { break };
                let report = run_file(path, &name(path), lockstep);
                if let Ok(mut results) = results.lock() {
                    results[i] = Some(report);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .zip(files)
        .map(|(r, path)| {
            r.unwrap_or_else(|| FileReport {
                name: name(path),
                total: 0,
                compared: Vec::new(),
                error: Some("the replay panicked".into()),
            })
        })
        .collect()
}

/// The summary lines: total replies, then files passed and failed.
pub fn summary(reports: &[FileReport]) -> String {
    let total: usize = reports.iter().map(|r| r.total).sum();
    let identical: usize = reports.iter().map(|r| r.identical()).sum();
    let passed = reports.iter().filter(|r| r.passed()).count();
    format!(
        "differential: {identical}/{total} replies identical\n{passed} passed, {} failed\n",
        reports.len() - passed
    )
}

/// How many files to run at once: `LOCKSTEP_DIFF_JOBS`, else the number of
/// CPUs.
pub fn default_jobs() -> usize {
    std::env::var("LOCKSTEP_DIFF_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}
