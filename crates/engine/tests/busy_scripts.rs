//! Runs natively and, under Node, on wasm32.
//! A long script blocks its node in simulated time: a second client gets
//! BUSY past `busy-reply-threshold`, SCRIPT KILL stops a script that has not
//! written, and a script that has written is UNKILLABLE until SHUTDOWN NOSAVE.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use lockstep_engine::scripting::{busy_reply, sha1_hex, BusyAnswer, ScriptProgress, ScriptWatcher};
use lockstep_engine::{Engine, Reply};

/// A second client that sends its commands once the node is busy, one per
/// check, and records what the node answered.
struct SecondClient {
    to_send: VecDeque<Vec<Vec<u8>>>,
    answers: Vec<(u64, Reply)>,
    shutdown: bool,
}

impl SecondClient {
    fn new(commands: &[&str]) -> Rc<RefCell<SecondClient>> {
        Rc::new(RefCell::new(SecondClient {
            to_send: commands
                .iter()
                .map(|c| c.split(' ').map(|w| w.as_bytes().to_vec()).collect())
                .collect(),
            answers: Vec::new(),
            shutdown: false,
        }))
    }
}

impl ScriptWatcher for SecondClient {
    fn tick(&mut self, progress: ScriptProgress) -> bool {
        if !progress.is_busy() {
            return false;
        }
        let Some(command) = self.to_send.pop_front() else {
            return false;
        };
        match busy_reply(&command, progress) {
            BusyAnswer::Reply(reply) => {
                self.answers.push((progress.elapsed_us, reply));
                false
            }
            BusyAnswer::Kill => {
                self.answers.push((progress.elapsed_us, Reply::ok()));
                true
            }
            BusyAnswer::Shutdown => {
                self.shutdown = true;
                true
            }
            BusyAnswer::Defer => false,
        }
    }
}

fn args(line: &[&str]) -> Vec<Vec<u8>> {
    line.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn node_with(second: &Rc<RefCell<SecondClient>>) -> (Engine, u64) {
    let mut engine = Engine::new(0);
    let first = engine.connect("10.0.0.1:1000", 0);
    engine.connect("10.0.0.2:2000", 0);
    let set = args(&["CONFIG", "SET", "busy-reply-threshold", "100"]);
    assert_eq!(engine.execute(first, &set, 0).reply, Reply::ok());
    let watcher: Rc<RefCell<dyn ScriptWatcher>> = second.clone();
    engine.set_script_watcher(Some(watcher));
    (engine, first)
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn script_kill_stops_a_script_that_has_not_written() {
    let second = SecondClient::new(&["GET k", "SCRIPT KILL"]);
    let (mut engine, first) = node_with(&second);
    let outcome = engine.execute(first, &args(&["EVAL", "while true do end", "0"]), 0);
    let sha = sha1_hex(b"while true do end");
    assert_eq!(
        outcome.reply,
        Reply::Error(format!(
            "ERR Script killed by user with SCRIPT KILL... script: {sha}, on @user_script:1."
        ))
    );
    let answers = &second.borrow().answers;
    assert_eq!(answers.len(), 2);
    assert!(answers[0].0 > 100_000, "BUSY only after the threshold");
    assert_eq!(
        answers[0].1,
        Reply::Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.".into())
    );
    assert_eq!(answers[1].1, Reply::ok());
    // The script ran for simulated time: its cost is at least the threshold.
    assert!(outcome.cost_us > 100_000);
    // The node is usable again.
    assert_eq!(
        engine.execute(first, &args(&["PING"]), 0).reply,
        Reply::Status("PONG".into())
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_script_that_wrote_is_unkillable_until_shutdown_nosave() {
    let second = SecondClient::new(&["SCRIPT KILL", "SHUTDOWN NOSAVE"]);
    let (mut engine, first) = node_with(&second);
    let script = "redis.call('set', 'written', '1') while true do end";
    let outcome = engine.execute(first, &args(&["EVAL", script, "0"]), 0);
    assert!(outcome.reply.is_error());
    let client = second.borrow();
    assert_eq!(
        client.answers[0].1,
        Reply::Error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.".into())
    );
    assert!(client.shutdown);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn pcall_cannot_catch_a_kill() {
    let second = SecondClient::new(&["SCRIPT KILL"]);
    let (mut engine, first) = node_with(&second);
    let script = "local n = 0 while true do pcall(function() while true do end end) n = n + 1 end";
    let outcome = engine.execute(first, &args(&["EVAL", script, "0"]), 0);
    match &outcome.reply {
        Reply::Error(text) => assert!(
            text.starts_with("ERR Script killed by user with SCRIPT KILL..."),
            "{text}"
        ),
        other => panic!("expected the kill error, got {other:?}"),
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_short_script_never_makes_anyone_wait() {
    let second = SecondClient::new(&["GET k"]);
    let (mut engine, first) = node_with(&second);
    let outcome = engine.execute(
        first,
        &args(&[
            "EVAL",
            "local s = 0 for i = 1, 1000 do s = s + i end return s",
            "0",
        ]),
        0,
    );
    assert_eq!(outcome.reply, Reply::Integer(500_500));
    assert!(second.borrow().answers.is_empty());
}

/// Hears scripts start and end, and never stops them.
#[derive(Default)]
struct Bookends {
    started: usize,
    finished: Vec<ScriptProgress>,
}

impl ScriptWatcher for Bookends {
    fn tick(&mut self, _progress: ScriptProgress) -> bool {
        false
    }

    fn started(&mut self) {
        self.started += 1;
    }

    fn finished(&mut self, progress: ScriptProgress) {
        self.finished.push(progress);
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_watcher_hears_each_script_start_and_end_with_its_cost() {
    let bookends = Rc::new(RefCell::new(Bookends::default()));
    let mut engine = Engine::new(0);
    let client = engine.connect("10.0.0.1:1000", 0);
    let watcher: Rc<RefCell<dyn ScriptWatcher>> = bookends.clone();
    engine.set_script_watcher(Some(watcher));
    let sum = "local s = 0 for i = 1, 100000 do s = s + i end redis.call('set', 'k', s) return s";
    let outcome = engine.execute(client, &args(&["EVAL", sum, "0"]), 0);
    assert_eq!(outcome.reply, Reply::Integer(5_000_050_000));
    {
        let seen = bookends.borrow();
        assert_eq!((seen.started, seen.finished.len()), (1, 1));
        let script = seen.finished[0];
        assert!(script.wrote);
        // Everything the command cost, but its own dispatch, is the script's:
        // at least its 200,000 loop instructions (ADD, FORLOOP).
        let loop_us = 200_000 * lockstep_engine::cost::INSTRUCTION_PS / 1_000_000;
        assert!(script.elapsed_us >= loop_us, "{script:?}");
        assert!(
            outcome.cost_us - script.elapsed_us < 10,
            "{outcome:?} {script:?}"
        );
    }
    let failing = engine.execute(client, &args(&["EVAL", "error('no')", "0"]), 0);
    assert!(failing.reply.is_error());
    let seen = bookends.borrow();
    assert_eq!((seen.started, seen.finished.len()), (2, 2));
    assert!(!seen.finished[1].wrote);
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_node_declared_slower_runs_the_lua_part_of_scripts_slower() {
    use lockstep_engine::cost::ScriptSpeed;
    let script =
        "local s = 0 for i = 1, 200000 do s = s + i end redis.call('SET', 'k', s) return s";
    let cost_at = |speed: f64| {
        let mut engine = Engine::new(0);
        engine.set_script_speed(ScriptSpeed::new(speed).unwrap());
        let client = engine.connect("10.0.0.1:1000", 0);
        let outcome = engine.execute(client, &args(&["EVAL", script, "0"]), 0);
        assert_eq!(outcome.reply, Reply::Integer(20_000_100_000));
        outcome.cost_ns
    };
    let normal = cost_at(1.0);
    let slow = cost_at(0.01);
    // The Lua part a hundred times longer; the SET and the EVAL's own
    // dispatch (under a microsecond each) are not slowed.
    assert!(slow > normal * 99, "{normal} ns then {slow} ns");
    assert!(slow < normal * 100, "{normal} ns then {slow} ns");
}
