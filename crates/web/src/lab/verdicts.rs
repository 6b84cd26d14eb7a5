//! The verdicts of a run in words: which invariant held, which broke and
//! where (so the page can jump there), and why the run stopped.

use lockstep_sim::trace::{Trace, Verdict};

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
    fn held_invariants_and_liveness_have_nowhere_to_jump() {
        let trace = story_trace("bank_transfer_atomic");
        let rows = verdict_rows(&trace);
        assert!(rows.iter().all(|r| r.held && r.at_seq.is_none()));
        assert!(rows.iter().any(|r| r.invariant.starts_with("liveness")));
    }
}
