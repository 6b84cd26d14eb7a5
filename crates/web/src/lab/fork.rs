//! A console on a node of a run at a step: the world is run again (in the
//! web worker) up to that step, and the node's data is taken out of it as
//! Redis would move it — each database's keys as `DUMP` payloads with their
//! `PTTL`, the function libraries as `FUNCTION DUMP`, the script cache's
//! bodies — then `RESTORE`d (and `SCRIPT LOAD`ed) into a fresh engine on
//! the page, where the learner types redis-cli commands. Connections are
//! not carried: the run's clients, what they had blocked on, subscribed to
//! or queued in MULTI, stay in the run. What the learner changes there never
//! touches the run. Plain Rust, tested natively.

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
    /// Every database's keys, by database then key.
    pub keys: Vec<DumpedKey>,
    /// The script cache's bodies, for `SCRIPT LOAD` (EVALSHA works).
    #[serde(default)]
    pub scripts: Vec<Vec<u8>>,
    /// `FUNCTION DUMP`'s payload, when the node had libraries.
    #[serde(default)]
    pub functions: Option<Vec<u8>>,
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
        scripts: dump.scripts,
        functions: dump.functions,
    })
}

/// A console whose engine holds the forked keys, TTLs counting on from
/// `now_ms` with what they had left. A key the engine refuses is named
/// in the greeting rather than lost silently.
pub fn console_on(forked: &Forked, now_ms: i64) -> Console {
    let mut engine = Engine::new(now_ms);
    let id = engine.connect(FORK_ADDR, now_ms);
    let mut run = |args: Vec<Vec<u8>>| engine.execute(id, &args, now_ms).reply;
    let mut refused = Vec::new();
    for key in &forked.keys {
        run(vec![b"SELECT".to_vec(), key.db.to_string().into_bytes()]);
        // A key with a millisecond or less left is restored with 1 ms.
        let ttl = key.ttl_ms.map_or(0, |ms| ms.max(1)).to_string();
        let args = vec![
            b"RESTORE".to_vec(),
            key.key.clone(),
            ttl.into_bytes(),
            key.payload.clone(),
        ];
        if let Reply::Error(e) = &run(args) {
            refused.push(format!("{}: {e}", String::from_utf8_lossy(&key.key)));
        }
    }
    for body in &forked.scripts {
        if let Reply::Error(e) = &run(vec![b"SCRIPT".to_vec(), b"LOAD".to_vec(), body.clone()]) {
            refused.push(format!("a cached script: {e}"));
        }
    }
    if let Some(payload) = &forked.functions {
        let args = vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), payload.clone()];
        if let Reply::Error(e) = &run(args) {
            refused.push(format!("the function libraries: {e}"));
        }
    }
    engine.disconnect(id);
    let mut greeting = format!(
        "Connected to {} as it was at step {}: {}. Carried over: every database's keys with their TTLs (SELECT n as in the run), the script cache (EVALSHA works) and the function libraries. Not carried: the run's clients and their connections — blocked commands, subscriptions, MULTI in progress, CLIENT LIST. Commands here change this copy only, never the run.",
        forked.node,
        forked.step,
        contents(forked)
    );
    if !refused.is_empty() {
        greeting.push_str(&format!(" Not restored: {}.", refused.join("; ")));
    }
    Console::with_engine(engine, now_ms, &greeting)
}

/// "3 key(s) in databases 0 and 1, 1 cached script, no functions".
fn contents(forked: &Forked) -> String {
    let mut dbs: Vec<usize> = forked.keys.iter().map(|k| k.db).collect();
    dbs.dedup();
    let where_ = match dbs.as_slice() {
        [] | [0] => String::new(),
        [one] => format!(" in database {one}"),
        many => format!(
            " in databases {}",
            many.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let scripts = match forked.scripts.len() {
        1 => "1 cached script".to_string(),
        n => format!("{n} cached scripts"),
    };
    let functions = if forked.functions.is_some() {
        "function libraries"
    } else {
        "no functions"
    };
    format!(
        "{} key(s){where_}, {scripts}, {functions}",
        forked.keys.len()
    )
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

    /// A run whose client writes in database 1, loads a script and a
    /// function library, then waits.
    const EVERY_DATABASE: &str = r##"
title = "databases, scripts and functions"
seed = 1
duration_ms = 2000

[[node]]
name = "redis"

[[client]]
name = "app"
program = '''
redis.call("SET", "in-zero", "0")
redis.call("SELECT", "1")
redis.call("SET", "in-one", "1")
local sha = redis.call("SCRIPT", "LOAD", "return 'from the cache'")
redis.call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('hello', function() return 'hi' end)")
log("loaded", sha)
sleep(500)
'''
"##;

    #[test]
    fn a_forked_console_carries_every_database_the_script_cache_and_functions() {
        let trace = run_text(EVERY_DATABASE, 1).unwrap();
        let step = trace.events.len() - 1;
        let forked = fork_node(EVERY_DATABASE, 1, step, "redis").unwrap();
        assert_eq!(forked.keys.iter().map(|k| k.db).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(forked.scripts.len(), 1);
        assert!(forked.functions.is_some());
        let mut console = console_on(&forked, 1_000);
        let greeting = match &console.transcript()[0].kind {
            EntryKind::Output { text, .. } => text.clone(),
            other => panic!("{other:?}"),
        };
        assert!(greeting.contains("databases 0, 1"), "{greeting}");
        assert!(greeting.contains("Not carried"), "{greeting}");
        console.submit("GET in-one", 1_000);
        assert_eq!(last_output(&console), "(nil)");
        console.submit("SELECT 1", 1_000);
        console.submit("GET in-one", 1_000);
        assert_eq!(last_output(&console), "\"1\"");
        // The sha the run's client got back, from the run's trace.
        let sha = trace
            .events
            .iter()
            .find_map(|e| match &e.what {
                What::Log { text, .. } => text.strip_prefix("loaded ").map(str::to_string),
                _ => None,
            })
            .expect("the client logged its script's sha");
        console.submit(&format!("EVALSHA {sha} 0"), 1_000);
        assert_eq!(last_output(&console), "\"from the cache\"");
        console.submit("FCALL hello 0", 1_000);
        assert_eq!(last_output(&console), "\"hi\"");
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
            scripts: Vec::new(),
            functions: None,
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
