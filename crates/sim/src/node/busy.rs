//! A node busy with a long script: watching the script as it runs (when
//! it first wrote), how the node answers a command that arrives while the
//! script is past `busy-reply-threshold` (BUSY, SCRIPT KILL, SHUTDOWN
//! NOSAVE), and a SCRIPT KILL replayed to the point it was accepted.

use std::cell::RefCell;
use std::rc::Rc;

use lockstep_engine::scripting::{busy_reply, BusyAnswer, RunMode, ScriptProgress, ScriptWatcher};
use lockstep_engine::Reply;

use super::{Node, Running};
use crate::trace::Time;

/// Watches a script as it runs: when it first wrote, and whether to stop
/// it at a given point (to replay a SCRIPT KILL).
#[derive(Default)]
pub(crate) struct SimWatcher {
    pub first_write_us: Option<u64>,
    pub kill_at_us: Option<u64>,
}

impl ScriptWatcher for SimWatcher {
    fn tick(&mut self, progress: ScriptProgress) -> bool {
        if progress.wrote && self.first_write_us.is_none() {
            self.first_write_us = Some(progress.elapsed_us);
        }
        self.kill_at_us.is_some_and(|at| progress.elapsed_us >= at)
    }
}

/// Which kind of script a command runs, if it runs one.
pub(crate) fn script_mode(args: &[Vec<u8>]) -> Option<RunMode> {
    let name = args
        .first()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .unwrap_or_default();
    match name.as_str() {
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" => Some(RunMode::Eval),
        "fcall" | "fcall_ro" => Some(RunMode::Function),
        _ => None,
    }
}

impl Node {
    /// The node's `busy-reply-threshold`, in µs.
    pub fn busy_threshold_us(&self) -> u64 {
        self.engine
            .config()
            .get("busy-reply-threshold")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(5000)
            * 1000
    }

    /// How the node answers `args` arriving at `now`, while a script runs
    /// past `busy-reply-threshold`; `None` when the command waits its turn
    /// (nothing running, not a script, not past the threshold yet, or a
    /// command Redis queues even then).
    pub fn busy_answer(&self, args: &[Vec<u8>], now: Time) -> Option<BusyAnswer> {
        let running = self.running.as_ref()?;
        let elapsed = now - running.started;
        let threshold = self.busy_threshold_us();
        let script = running.script.as_ref().filter(|_| elapsed > threshold)?;
        let progress = ScriptProgress {
            elapsed_us: elapsed,
            wrote: script.first_write_us.is_some_and(|w| w <= elapsed),
            busy_threshold_us: threshold,
            mode: script.mode,
        };
        match busy_reply(args, progress) {
            BusyAnswer::Defer => None,
            answer => Some(answer),
        }
    }

    /// SCRIPT KILL accepted at `now`: the running script stops as if Redis
    /// had stopped it there. It had not written (or the kill would have
    /// been refused), so the data goes back to what it was before; the
    /// script is replayed up to this point for the exact error its caller
    /// gets. Returns what was running and that reply.
    pub fn kill_script(&mut self, now: Time) -> Option<(Running, Reply)> {
        let running = self.running.take()?;
        let script = running.script.as_ref()?;
        let before = Rc::clone(&script.before);
        let elapsed = now - running.started;
        self.engine.load_dataset(&before);
        let watcher = Rc::new(RefCell::new(SimWatcher {
            first_write_us: None,
            kill_at_us: Some(elapsed),
        }));
        self.engine.set_script_watcher(Some(watcher));
        let conn = self.connection((running.from, running.task), "", running.started);
        let now_ms = self.now_ms(running.started);
        let outcome = self.engine.execute(conn, &running.args, now_ms);
        self.engine.set_script_watcher(None);
        self.engine.load_dataset(&before);
        self.changes_seen = self.engine.changes();
        Some((running, outcome.reply))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::ActorId;
    use crate::node::RunningScript;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    /// A node running a script since t = 0, which first wrote at `wrote`.
    fn busy_node(wrote: Option<u64>) -> Node {
        let scenario = crate::Scenario::parse(
            "title = \"b\"\nduration_ms = 10\n[[node]]\nname = \"r1\"\n\
             [[client]]\nname = \"c1\"\nprogram = \"return\"\n",
        )
        .expect("scenario");
        let mut n = Node::new(scenario.nodes[0].clone(), None).expect("node");
        let before = Rc::new(n.engine.dataset());
        n.running = Some(Running {
            id: 1,
            started: 0,
            ends: 60_000_000,
            msg: 1,
            from: ActorId::client(0),
            task: 0,
            args: args("EVAL x 0"),
            reply: Reply::Null,
            script: Some(RunningScript {
                mode: RunMode::Eval,
                first_write_us: wrote,
                before,
            }),
        });
        n
    }

    #[test]
    fn past_the_threshold_a_busy_node_answers_busy_and_accepts_script_kill_until_it_wrote() {
        let n = busy_node(None);
        let threshold = n.busy_threshold_us();
        assert_eq!(threshold, 5_000_000, "Redis's default, 5 s");
        assert!(
            n.busy_answer(&args("GET k"), threshold).is_none(),
            "before the threshold a command waits its turn"
        );
        assert!(matches!(
            &n.busy_answer(&args("GET k"), threshold + 1),
            Some(BusyAnswer::Reply(Reply::Error(e))) if e.starts_with("BUSY")
        ));
        assert!(matches!(
            n.busy_answer(&args("SCRIPT KILL"), threshold + 1),
            Some(BusyAnswer::Kill)
        ));
        let wrote = busy_node(Some(1_000));
        assert!(matches!(
            &wrote.busy_answer(&args("SCRIPT KILL"), threshold + 1),
            Some(BusyAnswer::Reply(Reply::Error(e))) if e.starts_with("UNKILLABLE")
        ));
        let mut idle = busy_node(None);
        idle.running = None;
        assert!(idle.busy_answer(&args("GET k"), threshold + 1).is_none());
    }

    #[test]
    fn only_scripts_and_functions_have_a_script_mode() {
        assert_eq!(script_mode(&args("evalsha_ro abc 0")), Some(RunMode::Eval));
        assert_eq!(script_mode(&args("FCALL f 0")), Some(RunMode::Function));
        assert_eq!(script_mode(&args("DEBUG SLEEP 1")), None);
        assert_eq!(script_mode(&[]), None);
    }
}
