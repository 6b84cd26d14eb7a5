//! A command that panics inside the engine's call, for checking that a
//! build catches a panic around one command instead of aborting the
//! process. It exists only when the server is started with
//! [`ENV`]`=1`; otherwise the name is an unknown command like any other.
//!
//! Release builds of the native binary use the `release-native` profile,
//! which unwinds; `lockstep bench` starts such a server and checks it.

use std::sync::OnceLock;

/// The environment variable that turns the probe on.
pub const ENV: &str = "LOCKSTEP_PANIC_PROBE";

/// The command that panics when the probe is on.
pub const COMMAND: &str = "LOCKSTEP.PANIC";

/// Whether `args` is the probe command and the probe is on.
pub fn is_probe(args: &[Vec<u8>]) -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    args.first()
        .is_some_and(|name| name.eq_ignore_ascii_case(COMMAND.as_bytes()))
        && *ENABLED.get_or_init(|| std::env::var(ENV).is_ok_and(|v| v == "1"))
}
