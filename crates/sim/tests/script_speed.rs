//! A node declared slower (`script_speed`): its scripts take proportionally
//! longer in simulated time, the trace says so next to the node's name, and
//! a bad value is refused.

use lockstep_sim::trace::{Trace, What};
use lockstep_sim::Scenario;

const SCENARIO: &str = r#"
seed = 1
[[node]]
name = "redis"
SPEED
[[client]]
name = "c"
program = '''
redis.call("EVAL", "local s = 0 for i = 1, 300000 do s = s + i end return s", 0)
'''
"#;

fn run(speed_line: &str) -> Trace {
    let scenario = Scenario::parse(&SCENARIO.replace("SPEED", speed_line)).expect("parses");
    lockstep_sim::run(&scenario, scenario.seed).expect("runs")
}

fn eval_cost_us(trace: &Trace) -> u64 {
    trace
        .events
        .iter()
        .find_map(|e| match &e.what {
            What::Exec {
                command, cost_us, ..
            } if command.starts_with("EVAL") => Some(*cost_us),
            _ => None,
        })
        .expect("the EVAL ran")
}

#[test]
fn a_script_on_a_node_at_2_percent_speed_takes_fifty_times_longer() {
    let normal = run("");
    let slow = run("script_speed = 0.02");
    let (normal_us, slow_us) = (eval_cost_us(&normal), eval_cost_us(&slow));
    assert!(
        normal_us > 100,
        "the loop costs simulated time: {normal_us} µs"
    );
    let ratio = slow_us as f64 / normal_us as f64;
    assert!(
        (49.0..=50.5).contains(&ratio),
        "{normal_us} µs then {slow_us} µs"
    );
}

#[test]
fn the_trace_notes_a_slower_node_and_the_timeline_shows_it() {
    let normal = run("");
    assert!(normal.actors.iter().all(|a| a.note.is_none()));
    let slow = run("script_speed = 0.02");
    let redis = slow.actors.iter().find(|a| a.name == "redis").unwrap();
    assert_eq!(redis.note.as_deref(), Some("scripts at 2% speed"));
    let text = lockstep_sim::timeline::render(&slow);
    assert!(text.contains("redis: scripts at 2% speed"), "{text}");
}

#[test]
fn a_script_speed_that_is_not_a_positive_number_is_refused() {
    for bad in ["0", "-1", "5000"] {
        let line = format!("script_speed = {bad}");
        let error = Scenario::parse(&SCENARIO.replace("SPEED", &line))
            .expect_err("refused")
            .to_string();
        assert!(error.contains("script_speed"), "{bad}: {error}");
    }
}
