//! Splitting one search across several workers without changing its answer.
//!
//! The explorer's schedules form one list fixed by the scenario, the budget
//! and the seed: number 0 is the fault-free run, then the single-fault
//! placements, then the random schedules. Which schedules come next never
//! depends on what earlier runs did, so the list can be dealt out by number:
//! share `i` of `n` runs the schedules whose number minus one is `i` modulo
//! `n` (every share runs the fault-free run, which it needs anyway for the
//! moments it places faults at).
//!
//! The single search answers with the lowest-numbered schedule that fails.
//! A split search gives the same answer when it takes the lowest-numbered
//! failure among the shares, once every other share has cleared every
//! schedule below it ([`decide`]); the shrinking that follows depends only on
//! that schedule, so the counterexample is the same whatever the number of
//! shares.

/// Which part of the schedule list one explorer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    index: u32,
    of: u32,
}

impl Share {
    /// The whole list: what the command line runs.
    pub const WHOLE: Share = Share { index: 0, of: 1 };

    /// Share `index` of `of` (counted from 0).
    pub fn new(index: u32, of: u32) -> Result<Share, String> {
        if of == 0 || index >= of {
            return Err(format!(
                "share {index} of {of} does not exist: a search splits into at least one share, \
                 counted from 0"
            ));
        }
        Ok(Share { index, of })
    }

    /// All `of` shares of a search (at least one).
    pub fn split(of: u32) -> Vec<Share> {
        let of = of.max(1);
        (0..of).map(|index| Share { index, of }).collect()
    }

    pub fn index(&self) -> u32 {
        self.index
    }

    pub fn of(&self) -> u32 {
        self.of
    }

    /// Whether this share runs schedule `number` (0, the fault-free run,
    /// belongs to every share).
    pub fn owns(&self, number: u64) -> bool {
        number == 0 || (number - 1) % u64::from(self.of) == u64::from(self.index)
    }
}

/// What the page knows of one share of a running search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShareState {
    /// The number of the schedule this share found failing, if any.
    pub found_at: Option<u64>,
    /// Every schedule of this share numbered below this ran without a
    /// violation ([`u64::MAX`] once the share finished clean).
    pub cleared: u64,
}

/// Where a split search stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A share may still find an earlier failure: keep searching.
    Open,
    /// This share's counterexample is the search's answer; the other
    /// shares can stop.
    Violation { share: usize },
    /// Every share finished without a violation.
    NoViolation,
}

/// Decides a split search from its shares' states, in share order.
pub fn decide(states: &[ShareState]) -> Decision {
    let earliest = states
        .iter()
        .enumerate()
        .filter_map(|(share, s)| s.found_at.map(|at| (at, share)))
        .min();
    let everyone_cleared = |below: u64| states.iter().all(|s| s.cleared >= below);
    match earliest {
        Some((at, share)) if everyone_cleared(at) => Decision::Violation { share },
        Some(_) => Decision::Open,
        None if !states.is_empty() && everyone_cleared(u64::MAX) => Decision::NoViolation,
        None => Decision::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schedule_belongs_to_exactly_one_share() {
        for of in 1..=4 {
            let shares = Share::split(of);
            for number in 1..50 {
                let owners = shares.iter().filter(|s| s.owns(number)).count();
                assert_eq!(owners, 1, "schedule {number} split {of} ways");
            }
            assert!(shares.iter().all(|s| s.owns(0)));
        }
    }

    #[test]
    fn a_share_that_does_not_exist_is_refused() {
        assert!(Share::new(0, 0).is_err());
        assert!(Share::new(2, 2).is_err());
        assert_eq!(Share::new(1, 2).map(|s| s.of()), Ok(2));
    }

    #[test]
    fn a_later_failure_waits_until_the_earlier_schedules_are_cleared() {
        let found = |at| ShareState {
            found_at: Some(at),
            cleared: at,
        };
        let running = |cleared| ShareState {
            found_at: None,
            cleared,
        };
        // Share 1 failed at 6, share 0 has not reached 6 yet.
        assert_eq!(decide(&[running(5), found(6)]), Decision::Open);
        assert_eq!(
            decide(&[running(7), found(6)]),
            Decision::Violation { share: 1 }
        );
        // Both failed: the lower number wins, whoever found it first.
        assert_eq!(
            decide(&[found(9), found(6)]),
            Decision::Violation { share: 1 }
        );
        assert_eq!(
            decide(&[running(u64::MAX), running(u64::MAX)]),
            Decision::NoViolation
        );
        assert_eq!(decide(&[running(u64::MAX), running(3)]), Decision::Open);
        assert_eq!(decide(&[]), Decision::Open);
    }
}
