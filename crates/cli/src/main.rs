//! `lockstep`: the command-line front of Lockstep.
//!
//! `lockstep serve [--port P] [--bind ADDR]` serves the Redis model over
//! RESP2/RESP3 on TCP (default 127.0.0.1:7379, next to a real Redis's 6379
//! rather than on it). `--port 0` picks a free port; the line printed at
//! start says which. Any other `--name value` sets a configuration
//! parameter at start-up, as `redis-server` takes them
//! (`--enable-debug-command yes`).
//!
//! `lockstep run FILE [--seed N] [--trace OUT.json]` plays a scenario and
//! prints its timeline and invariant verdicts.
//!
//! `lockstep explore FILE [--budget K=V,...] [--seed N] [--keep-own-faults]`
//! searches fault schedules for the shortest run that breaks an invariant.
//!
//! `lockstep check [--require-coverage] [PATH]` reads and proves every lesson under PATH
//! (default `lessons/`); `lockstep lesson FILE [--answers FILE] [--seed N]`
//! plays one in the terminal.
//!
//! `lockstep bench [--only GROUP] [--record | --check]` measures Lockstep
//! beside the real references (see `bench`).

use std::io::Write;
use std::process::ExitCode;

use lockstep_cli::serve::Server;

const USAGE: &str = "usage: lockstep serve [--port PORT] [--bind ADDR] [--CONFIG-NAME VALUE]...
       lockstep run FILE.toml [--seed N] [--trace OUT.json] [--step N]
                              [--metric EXPR]... [--compare OTHER.toml]
       lockstep explore FILE.toml [--budget K=V,...] [--seed N] [--trace OUT.json]
                                  [--keep-own-faults]
       lockstep check [--require-coverage] [PATH]
       lockstep lesson FILE.md [--answers FILE.toml] [--seed N]
       lockstep bench [--only GROUP,...] [--json FILE] [--record | --check]

commands:
  serve    serve the Redis model over RESP on TCP (default 127.0.0.1:7379)
  run      play a scenario: print its timeline and invariant verdicts
           (--step N: the keys, TTLs, lock holders and resources after event N)
  explore  search fault schedules for the shortest run that breaks an invariant
           (budget keys: faults, schedules, kinds, targets, within_ms, pause_ms,
           restart_after_ms, partition_ms, clock_jump_ms, delay_ms, delay_for_ms;
           lists joined with +;
           the scenario's own faults are taken out unless --keep-own-faults)
  check    read every lesson under PATH (default lessons/), run it and prove its
           anchors, computed answers, fixes, myth transcripts and follow-ups;
           each lesson's `covers` must name items of PATH/coverage/NNN.toml,
           and the items no lesson covers are listed (--require-coverage:
           and fail the check)
  lesson   play a lesson: the story, the timeline with notes, each question
           asked and graded (--answers: read the answers from a TOML file)
  bench    measure Lockstep beside redis-server, redis-benchmark and lua5.1 in
           one run; groups: engine, serve, lua, zset, sim. --record writes
           docs/benchmarks.md; --check fails if a ratio fell by more than 30%.
           Run the release-native build: cargo build -p lockstep-cli
           --profile release-native && target/release-native/lockstep bench";

/// The default port: not Redis's 6379, so both can run side by side.
const DEFAULT_PORT: u16 = 7379;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("run") => lockstep_cli::run::main(&args[1..]),
        Some("explore") => lockstep_cli::explore::main(&args[1..]),
        Some("check") => lockstep_cli::check::main(&args[1..]),
        Some("lesson") => lockstep_cli::lesson::main(&args[1..]),
        Some("bench") => lockstep_cli::bench::main(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => usage_error(&format!("unknown command '{other}'")),
        None => usage_error("no command given"),
    }
}

fn serve(args: &[String]) -> ExitCode {
    let mut port = DEFAULT_PORT;
    let mut bind = "127.0.0.1".to_string();
    let mut settings = Vec::new();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next();
        match (flag.as_str(), value) {
            ("--port" | "-p", Some(v)) => match v.parse() {
                Ok(p) => port = p,
                Err(_) => return usage_error(&format!("--port wants a port number, got '{v}'")),
            },
            ("--bind" | "-b", Some(v)) => bind = v.clone(),
            ("-h" | "--help", _) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            (setting, Some(v)) if setting.len() > 2 && setting.starts_with("--") => {
                settings.push((setting[2..].to_string(), v.clone()));
            }
            _ => return usage_error(&format!("unexpected argument '{flag}'")),
        }
    }
    let mut server = match Server::bind((bind.as_str(), port)) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("lockstep serve: cannot listen on {bind}:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (name, value) in &settings {
        if let Err(e) = server.set_config(name, value) {
            return usage_error(&format!("--{name} {value}: {e}"));
        }
    }
    let addr = server
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| format!("{bind}:{port}"));
    println!("Lockstep serving RESP on {addr}");
    let _ = std::io::stdout().flush();
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lockstep serve: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("lockstep: {message}\n{USAGE}");
    ExitCode::from(2)
}
