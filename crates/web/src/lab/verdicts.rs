//! The verdicts of a run in words: which invariant held, which broke and
//! where (so the page can jump there), and why the run stopped.

use lockstep_sim::trace::{Trace, Verdict, What};

use super::timeline::ms;

#[derive(Clone, Debug, PartialEq)]
pub struct VerdictRow {
    /// As the scenario states it, e.g. `mutual_exclusion(report)`.
    pub invariant: String,
    pub held: bool,
    /// What went wrong (a violation), or what was missing (liveness).
    pub message: Option<String>,
    /// Where to look, for "jump there": the violation's step, or for a
    /// failed liveness check the step that shows it (see [`failure_step`]).
    pub at_seq: Option<u64>,
    /// That step's time in ms.
    pub at: Option<String>,
}

pub fn verdict_rows(trace: &Trace) -> Vec<VerdictRow> {
    trace
        .verdicts
        .iter()
        .map(|v| {
            let at_seq = failure_step(trace, v);
            VerdictRow {
                invariant: v.invariant.clone(),
                held: v.held,
                message: v.message.clone(),
                at_seq,
                at: at_seq
                    .and_then(|s| trace.events.get(s as usize))
                    .map(|e| ms(e.t_us)),
            }
        })
        .collect()
}

/// The step that shows a failed verdict: its `at_seq`, which every failed
/// verdict has (a violation's own event; for the liveness check the failed
/// client's last event, or the run's last one).
pub fn failure_step(trace: &Trace, verdict: &Verdict) -> Option<u64> {
    if verdict.held {
        return None;
    }
    // Only a step that exists can be jumped to.
    verdict
        .at_seq
        .filter(|&seq| (seq as usize) < trace.events.len())
}

/// The first failure's step: the earliest violation, else a failed
/// liveness check's step. Where a counterexample opens.
pub fn first_failure(trace: &Trace) -> Option<u64> {
    match trace.first_violation() {
        Some(v) => failure_step(trace, v),
        None => trace.verdicts.iter().find_map(|v| failure_step(trace, v)),
    }
}

/// A client program that stopped with a Lua error: a run with one is not a
/// fair test of the pattern, so the page says so before any verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramError {
    /// The client (and task, when it is a spawned one): `client-1`.
    pub client: String,
    pub task: u32,
    /// The step where it stopped.
    pub at_seq: u64,
    /// The line Lua names in its message, in the program's own numbering.
    pub line: Option<u32>,
    /// Lua's message as it gave it.
    pub message: String,
}

/// Every program that stopped with an error, in the order they stopped.
pub fn program_errors(trace: &Trace) -> Vec<ProgramError> {
    trace
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Finish {
                task,
                error: Some(message),
            } => Some(ProgramError {
                client: e.actor.clone(),
                task: *task,
                at_seq: e.seq,
                line: lua_line(message),
                message: message.to_string(),
            }),
            _ => None,
        })
        .collect()
}

/// The line number in a Lua error (`[string "client-1"]:3: attempt to ...`
/// or `lock.lua:12: ...`): the number after the first `:` that is followed
/// by digits and another `:`.
pub fn lua_line(message: &str) -> Option<u32> {
    let mut rest = message;
    while let Some(at) = rest.find(':') {
        rest = &rest[at + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && rest[digits.len()..].starts_with(':') {
            return digits.parse().ok();
        }
    }
    None
}

/// Why the run ended, e.g. `Stopped at 16006.003 ms: every client finished.`
pub fn stopped(trace: &Trace) -> String {
    format!("Stopped at {} ms: {}.", ms(trace.end_us), trace.stopped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::story_trace;

    #[test]
    fn the_gc_pause_story_breaks_both_invariants_at_their_steps() {
        let trace = story_trace("gc_pause_past_ttl");
        let rows = verdict_rows(&trace);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].invariant, "mutual_exclusion(report)");
        assert!(!rows[0].held);
        let verdict = &trace.verdicts[0];
        assert_eq!(rows[0].at_seq, verdict.at_seq);
        assert_eq!(rows[0].at, verdict.at_us.map(ms));
        let event = &trace.events[verdict.at_seq.unwrap() as usize];
        assert!(matches!(
            event.what,
            lockstep_sim::trace::What::Violation { .. }
        ));
        assert_eq!(
            rows[0].message.as_deref(),
            Some("client-2 entered \"report\" while client-1 was still inside")
        );
        assert_eq!(rows[1].invariant, "no_stale_writes(storage)");
        assert_eq!(
            stopped(&trace),
            format!("Stopped at {} ms: every client finished.", ms(trace.end_us))
        );
    }

    #[test]
    fn a_failed_liveness_check_points_at_the_client_that_failed() {
        // c1 fails early and c2 goes on, so the failure is not the last
        // step: only the verdict's own step can point at it.
        let scenario = lockstep_sim::Scenario::parse(
            r#"
[[node]]
name = "redis"
[[client]]
name = "c1"
program = 'redis.call("SET", "a", "1") error("gave up")'
[[client]]
name = "c2"
program = 'for i = 1, 5 do redis.call("INCR", "n") sleep(10) end'
[liveness]
finished = ["c1", "c2"]
"#,
        )
        .unwrap();
        let trace = lockstep_sim::run(&scenario, 1).unwrap();
        let rows = verdict_rows(&trace);
        let liveness = rows
            .iter()
            .find(|r| r.invariant.starts_with("liveness"))
            .unwrap();
        assert!(!liveness.held);
        let seq = liveness.at_seq.expect("somewhere to look");
        assert_eq!(first_failure(&trace), Some(seq));
        let event = &trace.events[seq as usize];
        assert_eq!(event.actor, "c1");
        assert!(matches!(
            event.what,
            lockstep_sim::trace::What::Finish { error: Some(_), .. }
        ));
        assert!((seq as usize) < trace.events.len() - 1);
    }

    #[test]
    fn lua_errors_name_their_line() {
        assert_eq!(
            lua_line("[string \"client-1\"]:3: attempt to perform arithmetic on a nil value"),
            Some(3)
        );
        assert_eq!(lua_line("lock.lua:12: no majority"), Some(12));
        assert_eq!(lua_line("ERR wrong number of arguments"), None);
        assert_eq!(lua_line("at 10:30: x"), Some(30));
    }

    /// The GC pause story with client-1's program broken by `broken`, run.
    fn broken_program(broken: &str) -> Trace {
        let text = crate::lab::tests::story_text("gc_pause_past_ttl");
        let at = text.find("program = '''\n").expect("an inline program") + 14;
        let text = format!("{}{broken}\n{}", &text[..at], &text[at..]);
        let scenario = lockstep_lessons::scenario(&text).unwrap();
        lockstep_sim::run(&scenario, 1).unwrap()
    }

    #[test]
    fn a_runtime_error_in_a_program_is_reported_at_its_line() {
        let trace = broken_program("local x = nil + 1");
        let errors = program_errors(&trace);
        let first = errors.first().expect("the broken program's error");
        assert_eq!(first.client, "client-1");
        assert_eq!(first.line, Some(1), "{}", first.message);
        assert!(first.message.contains("arithmetic"), "{}", first.message);
        assert!(matches!(
            trace.events[first.at_seq as usize].what,
            What::Finish { error: Some(_), .. }
        ));
    }

    #[test]
    fn a_syntax_error_in_a_program_is_reported_at_its_line() {
        let trace = broken_program("\nlocal = 1");
        let errors = program_errors(&trace);
        let first = errors.first().expect("the broken program's error");
        assert_eq!(first.client, "client-1");
        assert_eq!(first.line, Some(2), "{}", first.message);
    }

    #[test]
    fn held_invariants_and_liveness_have_nowhere_to_jump() {
        let trace = story_trace("bank_transfer_atomic");
        let rows = verdict_rows(&trace);
        assert!(rows.iter().all(|r| r.held && r.at_seq.is_none()));
        assert!(rows.iter().any(|r| r.invariant.starts_with("liveness")));
    }
}
