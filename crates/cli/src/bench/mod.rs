//! `lockstep bench`: how fast Lockstep is beside what a user would compare
//! it with, measured in one run on one machine, so that every figure is a
//! ratio against a reference that the machine's load slowed down too.
//!
//! ```text
//! cargo build -p lockstep-cli --profile release-native
//! target/release-native/lockstep bench                 # every group, the table
//! target/release-native/lockstep bench --only serve    # one group (or a,b,c)
//! target/release-native/lockstep bench --record        # and write docs/benchmarks.md
//! target/release-native/lockstep bench --check         # fail if a ratio fell >30%
//! ```
//!
//! Each group is a module: [`engine`] (in process), [`protocol`] (`lockstep
//! serve`), [`lua`], [`zset`] (a 1M-member sorted set), [`sim`] and
//! [`wasm`] (the same on wasm32, under Node and in headless Chromium), and
//! [`web`] (the page itself in headless Chromium). The regression check
//! lives in [`record`].

pub mod engine;
pub mod figure;
pub mod lua;
pub mod protocol;
pub mod record;
pub mod servers;
pub mod sim;
pub mod wasm;
pub mod web;
pub mod workload;
pub mod zset;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use figure::Figure;

/// The groups in the order they run, with what each measures.
pub const GROUPS: &[(&str, &str)] = &[
    ("engine", "engine in process vs redis-server -P 64"),
    (
        "serve",
        "lockstep serve vs redis-server, same redis-benchmark lines",
    ),
    (
        "lua",
        "Lua scripts, native build vs PUC Lua 5.1 and redis-server",
    ),
    ("zset", "a 1M-member sorted set vs redis-server"),
    ("sim", "simulator events/s and explorer schedules/s"),
    (
        "wasm",
        "Lua, the 1M zset and the simulator on wasm32 (Node, headless Chromium)",
    ),
    (
        "web",
        "the page in headless Chromium: first screen bytes and time, step jumps",
    ),
];

/// What `lockstep bench` was asked to do.
#[derive(Debug, Default, PartialEq)]
pub struct BenchArgs {
    pub only: Option<Vec<String>>,
    pub json: Option<PathBuf>,
    pub record: bool,
    pub check: bool,
}

impl BenchArgs {
    pub fn parse(args: &[String]) -> Result<BenchArgs, String> {
        let mut parsed = BenchArgs::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--only" => {
                    let value = rest
                        .next()
                        .ok_or("--only wants a group, e.g. --only serve")?;
                    let groups: Vec<String> = value.split(',').map(str::to_string).collect();
                    if let Some(unknown) =
                        groups.iter().find(|g| !GROUPS.iter().any(|(n, _)| n == g))
                    {
                        let known: Vec<&str> = GROUPS.iter().map(|(n, _)| *n).collect();
                        return Err(format!(
                            "no group named '{unknown}'; the groups are {}",
                            known.join(", ")
                        ));
                    }
                    parsed.only = Some(groups);
                }
                "--json" => {
                    parsed.json = Some(rest.next().ok_or("--json wants a file name")?.into());
                }
                "--record" => parsed.record = true,
                "--check" => parsed.check = true,
                other => return Err(format!("unexpected argument '{other}'")),
            }
        }
        if parsed.record && parsed.check {
            return Err("--record and --check exclude each other".into());
        }
        Ok(parsed)
    }

    fn runs(&self, group: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|g| g == group))
    }
}

/// A run in progress: the figures so far, the reference server, the
/// progress line.
pub struct Bench {
    /// This binary, which `lockstep serve` is started from.
    pub exe: PathBuf,
    figures: Vec<Figure>,
    notes: Vec<String>,
    redis: Option<servers::Server>,
    /// Native figures the wasm group compares with, kept from their own
    /// groups so a full run measures them once.
    native_zset: Option<zset::Timings>,
    /// The populated leaderboard scenario's native figures.
    native_scale: Option<zset::Scale>,
    native_sim: Option<sim::Rates>,
    /// Whether the progress line can be rewritten in place.
    terminal: bool,
}

impl Bench {
    /// Shows what is being measured now.
    pub fn progress(&mut self, what: &str) {
        let mut err = std::io::stderr();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K… {what}");
        } else {
            let _ = writeln!(err, "… {what}");
        }
        let _ = err.flush();
    }

    pub fn add(&mut self, figure: Figure) {
        self.figures.push(figure);
    }

    /// A line printed under the table (and recorded with it).
    pub fn note(&mut self, note: &str) {
        self.notes.push(note.to_string());
    }

    /// The port of the reference redis-server, started on first use.
    pub fn redis_port(&mut self) -> Result<u16, String> {
        Ok(self.redis()?.0)
    }

    /// The reference redis-server's port and process id.
    pub fn redis(&mut self) -> Result<(u16, u32), String> {
        if self.redis.is_none() {
            self.redis = Some(servers::redis_server()?);
        }
        Ok(self
            .redis
            .as_ref()
            .map(|r| (r.port, r.pid()))
            .unwrap_or_default())
    }
}

pub fn main(args: &[String]) -> ExitCode {
    let args = match BenchArgs::parse(args) {
        Ok(args) => args,
        Err(message) => return crate::usage_error("bench", &message),
    };
    // The web group's figures come from Chromium and Trunk's build, not
    // from this binary, so a debug build may measure and record them.
    let only_web = args
        .only
        .as_ref()
        .is_some_and(|groups| groups.iter().all(|g| g == "web"));
    if cfg!(debug_assertions) && !only_web {
        eprintln!(
            "lockstep bench: this is a debug build, its figures mean nothing; build the \
             measured one with `cargo build -p lockstep-cli --profile release-native` and run \
             target/release-native/lockstep bench"
        );
        if args.record || args.check {
            return ExitCode::from(2);
        }
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("lockstep bench: cannot find this binary to start `lockstep serve`: {e}");
            return ExitCode::FAILURE;
        }
    };
    let machine = record::Machine::now();
    let mut bench = Bench {
        exe,
        figures: Vec::new(),
        notes: Vec::new(),
        redis: None,
        native_zset: None,
        native_scale: None,
        native_sim: None,
        terminal: std::io::stderr().is_terminal(),
    };
    let mut failed = false;
    for (group, _) in GROUPS.iter().filter(|(g, _)| args.runs(g)) {
        let outcome = match *group {
            "engine" => engine::run(&mut bench),
            "serve" => protocol::run(&mut bench),
            "lua" => lua::run(&mut bench),
            "zset" => zset::run(&mut bench),
            "sim" => sim::run(&mut bench),
            "wasm" => wasm::run(&mut bench),
            "web" => web::run(&mut bench),
            _ => Ok(()),
        };
        if let Err(message) = outcome {
            bench.progress("");
            eprintln!("\nlockstep bench: {group}: {message}");
            failed = true;
        }
    }
    bench.redis = None;
    if bench.terminal {
        eprint!("\r\x1b[2K");
    }
    println!("{}", figure::text_table(&bench.figures));
    for note in &bench.notes {
        println!("note: {note}");
    }
    let mut written = Ok(());
    if let Some(path) = &args.json {
        written = written.and(record::write_json(path, &bench.figures, &machine));
    }
    if args.record && !failed {
        written = written.and(record::record(
            &bench.figures,
            &bench.notes,
            &machine,
            &args,
        ));
    }
    if let Err(message) = written {
        eprintln!("lockstep bench: {message}");
        failed = true;
    }
    if args.check {
        match record::check(&bench.figures) {
            Ok(report) => print!("{report}"),
            Err(report) => {
                print!("{report}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn only_takes_known_groups() {
        let parsed = BenchArgs::parse(&args(&["--only", "serve,lua"])).expect("parses");
        assert!(parsed.runs("serve") && parsed.runs("lua") && !parsed.runs("engine"));
        let error = BenchArgs::parse(&args(&["--only", "disk"])).expect_err("unknown group");
        assert!(error.contains("no group named 'disk'"), "{error}");
    }

    #[test]
    fn record_and_check_exclude_each_other() {
        assert!(BenchArgs::parse(&args(&["--record", "--check"])).is_err());
        assert!(BenchArgs::parse(&args(&["--json"])).is_err());
        assert!(BenchArgs::parse(&args(&[])).expect("parses").runs("zset"));
    }
}
