//! What happens around a script while it runs: the host's watcher, and how a
//! busy node answers other clients.

use crate::reply::Reply;

/// How far a running script has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptProgress {
    /// Simulated time since the script started, in microseconds: its Lua
    /// instructions plus the commands it called.
    pub elapsed_us: u64,
    /// It has run a write command, so SCRIPT KILL can no longer stop it.
    pub wrote: bool,
    /// The node's `busy-reply-threshold` in microseconds: past it, other
    /// clients are answered (BUSY) instead of waiting.
    pub busy_threshold_us: u64,
}

impl ScriptProgress {
    /// Whether other clients get BUSY now.
    pub fn is_busy(&self) -> bool {
        self.elapsed_us > self.busy_threshold_us
    }
}

/// A host's view into running scripts: a simulator advances its clock and
/// delivers other clients' commands here; a server answers its other
/// connections. Called every few thousand Lua instructions.
pub trait ScriptWatcher {
    /// Returns true to kill the script (SCRIPT KILL was accepted, or the host
    /// shuts down). A killed script cannot catch this.
    fn tick(&mut self, progress: ScriptProgress) -> bool;
}

/// How a node that is running a script answers another client's command.
#[derive(Clone, Debug, PartialEq)]
pub enum BusyAnswer {
    /// Reply now; the script keeps running.
    Reply(Reply),
    /// Reply OK and kill the script (SCRIPT KILL of a script that has not
    /// written).
    Kill,
    /// SHUTDOWN NOSAVE: the only way out of a script that has written.
    Shutdown,
    /// A command Redis runs even while busy (HELLO, AUTH, MULTI, DISCARD):
    /// the host runs it once the script is over.
    Defer,
}

const BUSY: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";

/// Redis's answer to `args` from another client while a script runs past
/// `busy-reply-threshold`.
pub fn busy_reply(args: &[Vec<u8>], progress: ScriptProgress) -> BusyAnswer {
    let word = |i: usize| {
        args.get(i)
            .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
            .unwrap_or_default()
    };
    match (word(0).as_str(), word(1).as_str()) {
        ("script", "kill") if args.len() == 2 => {
            if progress.wrote {
                BusyAnswer::Reply(Reply::error(UNKILLABLE))
            } else {
                BusyAnswer::Kill
            }
        }
        ("function", "kill") if args.len() == 2 => BusyAnswer::Reply(Reply::error(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        )),
        ("shutdown", "nosave") => BusyAnswer::Shutdown,
        ("hello" | "auth" | "multi" | "discard", _) => BusyAnswer::Defer,
        _ => BusyAnswer::Reply(Reply::error(BUSY)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn kill_depends_on_whether_the_script_wrote() {
        let clean = ScriptProgress {
            elapsed_us: 6_000_000,
            wrote: false,
            busy_threshold_us: 5_000_000,
        };
        assert!(clean.is_busy());
        let dirty = ScriptProgress {
            wrote: true,
            ..clean
        };
        assert_eq!(busy_reply(&args("SCRIPT KILL"), clean), BusyAnswer::Kill);
        assert_eq!(
            busy_reply(&args("script kill"), dirty),
            BusyAnswer::Reply(Reply::error(UNKILLABLE))
        );
        assert_eq!(
            busy_reply(&args("GET k"), clean),
            BusyAnswer::Reply(Reply::error(BUSY))
        );
        assert_eq!(
            busy_reply(&args("SHUTDOWN NOSAVE"), dirty),
            BusyAnswer::Shutdown
        );
    }
}
