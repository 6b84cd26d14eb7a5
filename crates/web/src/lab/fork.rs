//! A console on a node of a run at a step: the world is run again (in the
//! web worker) up to that step, and the node's keys are taken out of it as
//! Redis would move them — `DUMP` payloads with their `PTTL` — then
//! `RESTORE`d into a fresh engine on the page, where the learner types
//! redis-cli commands. What the learner changes there never touches the
//! run. Plain Rust, tested natively.

use std::rc::Rc;

use lockstep_engine::{Engine, Reply};
use lockstep_sim::World;
use serde::{Deserialize, Serialize};

use crate::console::Console;

/// The console's own address on the forked node.
const FORK_ADDR: &str = "127.0.0.1:50002";

pub use lockstep_sim::DumpedKey;

/// A node's keys at a step of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Forked {
    pub node: String,
    /// The step (an event's `seq`) the world was forked at.
    pub step: usize,
    /// The node's clock then, in ms.
    pub node_ms: i64,
    pub keys: Vec<DumpedKey>,
}

/// Runs `text` with `seed` up to event `step` and dumps node `node`'s keys.
pub fn fork_node(text: &str, seed: u64, step: usize, node: &str) -> Result<Forked, String> {
    let scenario = lockstep_lessons::scenario(text).map_err(|e| e.to_string())?;
    let faults = scenario.faults.clone();
    let mut world = World::new(
        Rc::new(scenario),
        faults,
        lockstep_sim::RunOptions::new(seed),
    )?;
    while world.events_recorded() <= step as u64 && world.step() {}
    if world.events_recorded() <= step as u64 {
        return Err(format!("the run has no step {step}"));
    }
    let dump = world
        .node_keys(node)
        .ok_or_else(|| format!("{node} is not a node that is up at step {step}"))?;
    Ok(Forked {
        node: node.to_string(),
        step,
        node_ms: dump.node_ms,
        keys: dump.keys,
    })
}

/// A console whose engine holds the forked keys, TTLs counting on from
/// `now_ms` with what they had left. A key the engine refuses is named
/// in the greeting rather than lost silently.
pub fn console_on(forked: &Forked, now_ms: i64) -> Console {
    let mut engine = Engine::new(now_ms);
    let id = engine.connect(FORK_ADDR, now_ms);
    let mut refused = Vec::new();
    for key in &forked.keys {
        // A key with a millisecond or less left is restored with 1 ms.
        let ttl = key.ttl_ms.map_or(0, |ms| ms.max(1)).to_string();
        let args = vec![
            b"RESTORE".to_vec(),
            key.key.clone(),
            ttl.into_bytes(),
            key.payload.clone(),
        ];
        if let Reply::Error(e) = &engine.execute(id, &args, now_ms).reply {
            refused.push(format!("{}: {e}", String::from_utf8_lossy(&key.key)));
        }
    }
    engine.disconnect(id);
    let mut greeting = format!(
        "Connected to {} as it was at step {}: {} key(s). Commands here change this copy only, never the run.",
        forked.node,
        forked.step,
        forked.keys.len()
    );
    if !refused.is_empty() {
        greeting.push_str(&format!(" Not restored: {}.", refused.join("; ")));
    }
    Console::with_engine(engine, now_ms, &greeting)
}

/// The page's side: which fork was asked for, and the one on show.
#[derive(Clone, Debug, Default)]
pub struct ForkPanel {
    /// The request under way, and what it asked for (node, step).
    pub asked: Option<(u64, String, usize)>,
    pub forked: Option<Rc<Forked>>,
    pub problem: Option<String>,
    /// Forks shown so far: a new one is a new console (the page keys its
    /// console by it).
    pub shown: u64,
}

impl ForkPanel {
    pub fn ask(&mut self, id: u64, node: &str, step: usize) {
        self.asked = Some((id, node.to_string(), step));
        self.problem = None;
    }

    /// The worker answered request `id`; false when it was not awaited.
    pub fn received(&mut self, id: u64, result: Result<Forked, String>) -> bool {
        if self.asked.as_ref().is_none_or(|(asked, _, _)| *asked != id) {
            return false;
        }
        self.asked = None;
        match result {
            Ok(forked) => {
                self.forked = Some(Rc::new(forked));
                self.shown += 1;
            }
            Err(message) => self.problem = Some(message),
        }
        true
    }

    pub fn close(&mut self) {
        self.forked = None;
        self.asked = None;
        self.problem = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::{EntryKind, Tone};
    use crate::lab::jobs::run_text;
    use crate::learn::catalogue::Catalogue;
    use crate::learn::scenario_text::main_scenario;
    use lockstep_sim::trace::What;

    fn last_output(console: &Console) -> String {
        console
            .transcript()
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EntryKind::Output { text, tone } if *tone != Tone::Note => Some(text.clone()),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn a_console_forked_at_a_step_holds_that_steps_keys_and_ttls() {
        let lesson = Catalogue::load()
            .find("locks/gc-pause-past-the-ttl")
            .unwrap()
            .lesson
            .clone();
        let (text, seed) = main_scenario(&lesson).unwrap();
        let trace = run_text(&text, seed).unwrap();
        // The step where client-1's lock was set on redis, and the world
        // the trace recorded there.
        let set = trace
            .events
            .iter()
            .find(|e| {
                e.actor == "redis"
                    && matches!(&e.what, What::Exec { command, reply, .. }
                        if command.contains("lock:report") && reply.contains("OK"))
            })
            .unwrap();
        let step = set.seq as usize;
        let recorded = trace.state_at(set.seq).unwrap();
        let lock = recorded.nodes["redis"]
            .keys
            .iter()
            .find(|k| k.key == "lock:report")
            .unwrap();
        let forked = fork_node(&text, seed, step, "redis").unwrap();
        assert_eq!(forked.step, step);
        let dumped = forked
            .keys
            .iter()
            .find(|k| k.key == b"lock:report")
            .unwrap();
        assert_eq!(dumped.ttl_ms, lock.ttl_ms);
        // In the console: the holder's id and the TTL it had left.
        let mut console = console_on(&forked, 1_000_000);
        console.submit("GET lock:report", 1_000_000);
        assert_eq!(last_output(&console), lock.value);
        console.submit("PTTL lock:report", 1_000_000);
        assert_eq!(
            last_output(&console),
            format!("(integer) {}", lock.ttl_ms.unwrap())
        );
        // It keeps counting down on the console's clock, and expires.
        let later = 1_000_000 + lock.ttl_ms.unwrap() + 1;
        console.submit("EXISTS lock:report", later);
        assert_eq!(last_output(&console), "(integer) 0");
        // Before the lock was taken, there was no lock.
        let before = fork_node(&text, seed, 0, "redis").unwrap();
        assert!(!before.keys.iter().any(|k| k.key == b"lock:report"));
    }

    #[test]
    fn forking_at_a_step_or_node_that_does_not_exist_says_so() {
        let lesson = Catalogue::load()
            .find("locks/gc-pause-past-the-ttl")
            .unwrap()
            .lesson
            .clone();
        let (text, seed) = main_scenario(&lesson).unwrap();
        assert!(fork_node(&text, seed, 1_000_000, "redis")
            .unwrap_err()
            .contains("no step"));
        assert!(fork_node(&text, seed, 3, "client-1")
            .unwrap_err()
            .contains("not a node"));
    }

    #[test]
    fn the_panel_takes_only_the_fork_it_asked_for() {
        let mut panel = ForkPanel::default();
        panel.ask(4, "redis", 7);
        let forked = Forked {
            node: "redis".into(),
            step: 7,
            node_ms: 0,
            keys: Vec::new(),
        };
        assert!(!panel.received(3, Ok(forked.clone())));
        assert!(panel.forked.is_none());
        assert!(panel.received(4, Ok(forked)));
        assert_eq!(panel.shown, 1);
        panel.ask(5, "redis", 9);
        assert!(panel.received(5, Err("no step 9".into())));
        assert_eq!(panel.problem.as_deref(), Some("no step 9"));
        panel.close();
        assert!(panel.forked.is_none());
    }
}
