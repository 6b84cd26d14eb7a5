//! The `lockstep` command's pieces, as a library so that tests (and the
//! differential suite) can reach them.

pub mod bench;
pub mod check;
pub mod explore;
pub mod lesson;
pub mod run;
pub mod serve;

/// Prints a usage error for `command` and returns exit status 2.
pub fn usage_error(command: &str, message: &str) -> std::process::ExitCode {
    eprintln!("lockstep {command}: {message}\nrun `lockstep --help` for usage");
    std::process::ExitCode::from(2)
}
