//! `cargo test -p lockstep-differential [-- NAME...]`: the whole suite, or
//! the case files whose name contains one of the NAMEs.

use std::process::ExitCode;

fn main() -> ExitCode {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if lockstep_differential::run_and_print(&[], &filters, false) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
