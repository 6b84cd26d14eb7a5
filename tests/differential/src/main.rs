//! `cargo run -p lockstep-differential -- [-v] [FILE.redis ...]`: replays
//! the given command files (default: the whole suite) against redis-server
//! and the model. See the crate documentation.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut verbose = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "-v" | "--verbose" => verbose = true,
            "-h" | "--help" => {
                println!("usage: lockstep-differential [-v] [FILE.redis ...]");
                return ExitCode::SUCCESS;
            }
            _ => files.push(PathBuf::from(arg)),
        }
    }
    if lockstep_differential::run_and_print(&files, &[], verbose) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
