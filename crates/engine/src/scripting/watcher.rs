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

    /// What is about to run, for a host that answers FUNCTION STATS while
    /// the node is busy (Redis answers it from inside the script's hook).
    fn running(&mut self, script: &RunningScript) {
        let _ = script;
    }

    /// The script is over, however it ended (returned, failed, killed).
    /// `progress.elapsed_us` is everything it cost in simulated time, which
    /// is what the command's cost includes for it: a host that already
    /// spent real time on the script can leave that part out.
    fn finished(&mut self, progress: ScriptProgress) {
        let _ = progress;
    }

    /// The wall clock in microseconds since the Unix epoch, for a host
    /// whose scripts run in real time (a server): `TIME` inside a script
    /// reads it, as Redis reads `gettimeofday`. `None` (the default): the
    /// script's start plus its simulated cost so far.
    fn wall_clock_us(&mut self) -> Option<i64> {
        None
    }
}

/// The script a busy node is running, as FUNCTION STATS describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningScript {
    pub mode: RunMode,
    /// The function's name (the script's sha for EVAL).
    pub name: String,
    /// The command that runs it, as its client sent it.
    pub command: Vec<Vec<u8>>,
    /// The Lua engine's libraries and functions.
    pub libraries: usize,
    pub functions: usize,
}

impl RunningScript {
    /// FUNCTION STATS while this function runs (`functionStatsCommand`);
    /// while an EVAL script runs, it is refused with BUSY.
    pub fn stats(&self, progress: ScriptProgress) -> Reply {
        if self.mode == RunMode::Eval {
            return Reply::error(BUSY_EVAL);
        }
        let running = Reply::Map(vec![
            (Reply::bulk("name"), Reply::bulk(self.name.as_bytes())),
            (
                Reply::bulk("command"),
                Reply::Array(self.command.iter().map(Reply::bulk).collect()),
            ),
            (
                Reply::bulk("duration_ms"),
                Reply::Integer((progress.elapsed_us / 1000) as i64),
            ),
        ]);
        function_stats(running, self.libraries, self.functions)
    }
}

/// FUNCTION STATS's reply: what runs (`Reply::Null` for nothing) and the
/// Lua engine's counts.
pub fn function_stats(running: Reply, libraries: usize, functions: usize) -> Reply {
    Reply::Map(vec![
        (Reply::bulk("running_script"), running),
        (
            Reply::bulk("engines"),
            Reply::Map(vec![(
                Reply::bulk("LUA"),
                Reply::Map(vec![
                    (
                        Reply::bulk("libraries_count"),
                        Reply::Integer(libraries as i64),
                    ),
                    (
                        Reply::bulk("functions_count"),
                        Reply::Integer(functions as i64),
                    ),
                ]),
            )]),
        ),
    ])
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
        // Answered from the running script's description by a host that
        // has one (`RunningScript::stats`); otherwise after the script.
        ("function", "stats") if progress.mode == RunMode::Eval => busy(),
        ("function", "stats")
        | ("hello" | "auth" | "multi" | "discard" | "watch" | "unwatch" | "reset" | "quit", _) => {
            BusyAnswer::Defer
        }
        _ => busy(),
    }
}

/// A connection's own transaction as it stands while a script keeps the
/// node busy, so that MULTI, DISCARD, WATCH and UNWATCH are answered at
/// once, as Redis answers them from inside the script's hook, instead of
/// waiting for the script. The engine is busy, so what they change is
/// noted in `replay` and applied once it is free ([`crate::Engine::replay`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BusyClient {
    /// The connection is inside MULTI.
    pub in_multi: bool,
    /// What to apply to the engine, in order, once the script is over.
    pub replay: Vec<Replay>,
}

/// A change to a connection's state made while a script was busy.
#[derive(Clone, Debug, PartialEq)]
pub enum Replay {
    /// Run this command, its reply already given.
    Command(Vec<Vec<u8>>),
    /// A command was refused inside MULTI: EXEC must fail (`flagTransaction`).
    FlagTransaction,
}

impl BusyClient {
    pub fn new(in_multi: bool) -> BusyClient {
        BusyClient {
            in_multi,
            replay: Vec::new(),
        }
    }

    /// [`busy_reply`], with the transaction commands answered here rather
    /// than deferred, and refusals inside MULTI flagging the transaction as
    /// `rejectCommand` does. A refused EXEC discards the transaction with
    /// an EXECABORT saying why, even outside MULTI.
    pub fn answer(&mut self, args: &[Vec<u8>], progress: ScriptProgress) -> BusyAnswer {
        let name = args
            .first()
            .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
            .unwrap_or_default();
        let answer = busy_reply(args, progress);
        match &answer {
            BusyAnswer::Defer => self.transaction_command(&name, args),
            BusyAnswer::Reply(Reply::Error(text)) if name == "exec" => {
                let undo = if self.in_multi { "DISCARD" } else { "UNWATCH" };
                self.replay
                    .push(Replay::Command(vec![undo.as_bytes().to_vec()]));
                self.in_multi = false;
                let reason = text.strip_prefix("ERR ").unwrap_or(text);
                BusyAnswer::Reply(Reply::error(format!(
                    "EXECABORT Transaction discarded because of: {reason}"
                )))
            }
            BusyAnswer::Reply(reply) => {
                if self.in_multi && reply.is_error() {
                    self.replay.push(Replay::FlagTransaction);
                }
                answer
            }
            _ => answer,
        }
    }

    fn transaction_command(&mut self, name: &str, args: &[Vec<u8>]) -> BusyAnswer {
        let reply = match (name, self.in_multi) {
            ("multi", true) => Reply::error("ERR MULTI calls can not be nested"),
            ("multi", false) => {
                self.in_multi = true;
                Reply::ok()
            }
            ("discard", false) => Reply::error("ERR DISCARD without MULTI"),
            ("discard", true) => {
                self.in_multi = false;
                Reply::ok()
            }
            ("watch", true) => Reply::error("ERR WATCH inside MULTI is not allowed"),
            ("watch", false) | ("unwatch", false) => Reply::ok(),
            // Queued like any other command inside MULTI.
            ("unwatch", true) => Reply::Status("QUEUED".into()),
            _ => return BusyAnswer::Defer,
        };
        if !reply.is_error() {
            self.replay.push(Replay::Command(args.to_vec()));
        }
        BusyAnswer::Reply(reply)
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

    #[test]
    fn a_transaction_begun_while_busy_is_answered_at_once_and_aborted() {
        let eval = clean(RunMode::Eval);
        let mut client = BusyClient::new(false);
        assert_eq!(
            client.answer(&args("MULTI"), eval),
            BusyAnswer::Reply(Reply::ok())
        );
        assert_eq!(
            client.answer(&args("MULTI"), eval),
            error("ERR MULTI calls can not be nested")
        );
        assert_eq!(client.answer(&args("SET k v"), eval), error(BUSY_EVAL));
        assert_eq!(
            client.answer(&args("EXEC"), eval),
            error(&format!(
                "EXECABORT Transaction discarded because of: {BUSY_EVAL}"
            ))
        );
        assert_eq!(
            client.answer(&args("DISCARD"), eval),
            error("ERR DISCARD without MULTI")
        );
        assert_eq!(
            client.replay,
            vec![
                Replay::Command(args("MULTI")),
                Replay::FlagTransaction,
                Replay::Command(args("DISCARD")),
            ]
        );
        assert_eq!(client.answer(&args("HELLO 3"), eval), BusyAnswer::Defer);
    }
}
