//! What happens around a script while it runs: the host's watcher, and how a
//! busy node answers other clients.

use super::run::RunMode;
use crate::engine::resolve;
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
    /// An EVAL script or a function: they are killed by different commands
    /// and their BUSY errors say which.
    pub mode: RunMode,
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

    /// A script is about to run. A host that judges busyness on a clock of
    /// its own (a server on the wall clock) starts timing here.
    fn started(&mut self) {}

    /// The script is over, however it ended (returned, failed, killed).
    /// `progress.elapsed_us` is everything it cost in simulated time, which
    /// is what the command's cost includes for it: a host that already
    /// spent real time on the script can leave that part out.
    fn finished(&mut self, progress: ScriptProgress) {
        let _ = progress;
    }
}

/// How a node that is running a script answers another client's command.
#[derive(Clone, Debug, PartialEq)]
pub enum BusyAnswer {
    /// Reply now; the script keeps running.
    Reply(Reply),
    /// Reply OK and kill the script (SCRIPT KILL of an EVAL script, or
    /// FUNCTION KILL of a function, that has not written).
    Kill,
    /// SHUTDOWN NOSAVE: the only way out of a script that has written.
    Shutdown,
    /// A command Redis runs even while busy (`allow-busy`: HELLO, AUTH,
    /// MULTI, DISCARD, WATCH, ...): the host runs it once the script is over.
    Defer,
}

const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";

/// Redis's answer to `args` from another client while a script runs past
/// `busy-reply-threshold` (`processCommand`, then `scriptKill` or
/// `shutdownCommand`): an unknown command or a wrong number of arguments is
/// refused first, as it would be at any time; commands flagged `allow-busy`
/// run; the rest get BUSY, naming the way to kill this kind of script.
pub fn busy_reply(args: &[Vec<u8>], progress: ScriptProgress) -> BusyAnswer {
    let busy = || {
        BusyAnswer::Reply(Reply::error(match progress.mode {
            RunMode::Eval => BUSY_EVAL,
            RunMode::Function => BUSY_FUNCTION,
        }))
    };
    let word = |i: usize| {
        args.get(i)
            .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
            .unwrap_or_default()
    };
    if args.is_empty() {
        return busy();
    }
    // The way out of a script that wrote, whether or not the model has a
    // SHUTDOWN command of its own. Without NOSAVE, Redis refuses it.
    if word(0) == "shutdown" {
        let nosave = (1..args.len()).any(|i| word(i) == "nosave");
        return if nosave { BusyAnswer::Shutdown } else { busy() };
    }
    if let Err(refusal) = resolve(args) {
        return BusyAnswer::Reply(refusal);
    }
    let kill = |of: RunMode| {
        if progress.wrote {
            BusyAnswer::Reply(Reply::error(UNKILLABLE))
        } else if progress.mode != of {
            // SCRIPT KILL does not stop a function, nor FUNCTION KILL an
            // EVAL script.
            busy()
        } else {
            BusyAnswer::Kill
        }
    };
    match (word(0).as_str(), word(1).as_str()) {
        ("script", "kill") => kill(RunMode::Eval),
        ("function", "kill") => kill(RunMode::Function),
        ("function", "stats")
        | ("hello" | "auth" | "multi" | "discard" | "watch" | "unwatch" | "reset" | "quit", _) => {
            BusyAnswer::Defer
        }
        _ => busy(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|s| s.as_bytes().to_vec()).collect()
    }

    fn clean(mode: RunMode) -> ScriptProgress {
        ScriptProgress {
            elapsed_us: 6_000_000,
            wrote: false,
            busy_threshold_us: 5_000_000,
            mode,
        }
    }

    fn error(text: &str) -> BusyAnswer {
        BusyAnswer::Reply(Reply::error(text))
    }

    #[test]
    fn kill_depends_on_whether_the_script_wrote() {
        let clean = clean(RunMode::Eval);
        assert!(clean.is_busy());
        let dirty = ScriptProgress {
            wrote: true,
            ..clean
        };
        assert_eq!(busy_reply(&args("SCRIPT KILL"), clean), BusyAnswer::Kill);
        assert_eq!(busy_reply(&args("script kill"), dirty), error(UNKILLABLE));
        assert_eq!(busy_reply(&args("GET k"), clean), error(BUSY_EVAL));
        assert_eq!(
            busy_reply(&args("SHUTDOWN NOSAVE"), dirty),
            BusyAnswer::Shutdown
        );
        assert_eq!(busy_reply(&args("SHUTDOWN"), dirty), error(BUSY_EVAL));
    }

    #[test]
    fn functions_are_killed_with_function_kill() {
        let function = clean(RunMode::Function);
        assert_eq!(busy_reply(&args("GET k"), function), error(BUSY_FUNCTION));
        assert_eq!(
            busy_reply(&args("SCRIPT KILL"), function),
            error(BUSY_FUNCTION)
        );
        assert_eq!(
            busy_reply(&args("FUNCTION KILL"), function),
            BusyAnswer::Kill
        );
        assert_eq!(
            busy_reply(&args("FUNCTION KILL"), clean(RunMode::Eval)),
            error(BUSY_EVAL)
        );
    }

    #[test]
    fn malformed_commands_are_refused_before_busy() {
        let eval = clean(RunMode::Eval);
        assert_eq!(
            busy_reply(&args("GET"), eval),
            error("ERR wrong number of arguments for 'get' command")
        );
        assert_eq!(
            busy_reply(&args("SCRIPT KILL now"), eval),
            error("ERR wrong number of arguments for 'script|kill' command")
        );
        assert_eq!(
            busy_reply(&args("NOSUCH"), eval),
            error("ERR unknown command 'NOSUCH', with args beginning with: ")
        );
        assert_eq!(busy_reply(&args("MULTI"), eval), BusyAnswer::Defer);
    }
}
