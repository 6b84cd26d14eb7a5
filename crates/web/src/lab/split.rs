//! "Break it" across several workers: the page's side of a search split
//! into shares ([`lockstep_sim::explore::Share`]). It asks each worker for
//! its share, adds their progress up, and takes the answer the single
//! search would give: the lowest-numbered failing schedule, once every
//! other share has cleared the schedules below it. So the counterexample
//! does not depend on how many workers the machine has.

use lockstep_sim::explore::{decide, Coverage, Decision, ShareState};

use super::explore::{Outcome, ProgressView, Stats};
use super::jobs::{Request, Response};

/// Most workers a search is split across: beyond that the page's other
/// work and the browser's own threads start to compete.
pub const MAX_WORKERS: u32 = 4;

/// How many workers to search with on a machine with `cores` logical
/// cores (`navigator.hardwareConcurrency`, 0 when unknown).
pub fn workers_for(cores: u32) -> u32 {
    cores.clamp(1, MAX_WORKERS)
}

/// What the page shows of a split search.
#[derive(Debug)]
pub enum Merged {
    Running(ProgressView),
    /// The search's answer; the shares still running can be cancelled.
    Done(Box<Outcome>),
}

/// What is known of one share.
#[derive(Default)]
struct Seen {
    progress: Option<ProgressView>,
    state: Option<ShareState>,
    outcome: Option<Box<Outcome>>,
    coverage: Option<Coverage>,
}

/// One search split across workers, by the page.
pub struct SplitSearch {
    id: u64,
    shares: Vec<Seen>,
    done: bool,
}

impl SplitSearch {
    /// A search `id` split `of` ways, and the request for each worker (in
    /// share order: request `i` goes to worker `i`).
    pub fn start(id: u64, text: &str, seed: u64, of: u32) -> (SplitSearch, Vec<Request>) {
        SplitSearch::start_with(id, of, |share, of| Request::ExploreShare {
            id,
            text: text.to_string(),
            seed,
            share,
            of,
        })
    }

    /// A search `id` split `of` ways, whose worker `i` gets `request(i, of)`
    /// (grading a fix splits this way too).
    pub fn start_with(
        id: u64,
        of: u32,
        request: impl Fn(u32, u32) -> Request,
    ) -> (SplitSearch, Vec<Request>) {
        let of = of.max(1);
        let requests = (0..of).map(|share| request(share, of)).collect();
        let search = SplitSearch {
            id,
            shares: (0..of).map(|_| Seen::default()).collect(),
            done: false,
        };
        (search, requests)
    }

    /// How many workers search.
    pub fn workers(&self) -> usize {
        self.shares.len()
    }

    /// Takes a worker's answer; None when it changes nothing the page
    /// shows (or belongs to another search).
    pub fn receive(&mut self, answer: Response) -> Option<Merged> {
        if self.done {
            return None;
        }
        match answer {
            Response::ShareProgress {
                id,
                share,
                progress,
                found_at,
                cleared,
            } if id == self.id => {
                let seen = self.shares.get_mut(share as usize)?;
                seen.progress = Some(progress);
                seen.state = Some(ShareState { found_at, cleared });
            }
            Response::ShareExplored {
                id,
                share,
                outcome,
                found_at,
                cleared,
                coverage,
            } if id == self.id => {
                let seen = self.shares.get_mut(share as usize)?;
                seen.state = Some(ShareState { found_at, cleared });
                seen.outcome = Some(outcome);
                seen.coverage = coverage;
            }
            _ => return None,
        }
        let answer = self.answer();
        if answer.is_some() {
            self.done = true;
            return answer.map(|outcome| Merged::Done(Box::new(outcome)));
        }
        Some(Merged::Running(self.progress()))
    }

    /// The search's answer, once it is settled.
    fn answer(&mut self) -> Option<Outcome> {
        let states: Option<Vec<ShareState>> = self.shares.iter().map(|s| s.state).collect();
        let decision = states.map_or(Decision::Open, |states| decide(&states));
        match decision {
            Decision::Violation { share } => self.shares[share].outcome.take().map(|o| *o),
            // Every share ended: clean, or cancelled before it was settled.
            _ if self.shares.iter().all(|s| s.outcome.is_some()) => Some(self.held()),
            _ => None,
        }
    }

    /// The shares' coverage added up.
    fn held(&self) -> Outcome {
        let coverages: Vec<Coverage> = self
            .shares
            .iter()
            .filter_map(|s| s.coverage.clone())
            .collect();
        let coverage = Coverage::merge(&coverages);
        let stats: Vec<Stats> = self
            .shares
            .iter()
            .filter_map(|s| s.outcome.as_ref().map(|o| o.stats()))
            .collect();
        let seconds = stats.iter().map(|s| s.seconds).fold(0.0, f64::max);
        Outcome::Held {
            statement: coverage.statement(),
            cancelled: coverage.cancelled,
            stats: Stats {
                tried: coverage.tried,
                seconds,
                per_second: stats.iter().map(|s| s.per_second).sum(),
            },
        }
    }

    /// The shares' progress added up.
    fn progress(&self) -> ProgressView {
        let seen: Vec<&ProgressView> = self
            .shares
            .iter()
            .filter_map(|s| s.progress.as_ref())
            .collect();
        let tried: u64 = seen.iter().map(|p| p.tried).sum();
        let planned = seen.iter().map(|p| p.planned).max().unwrap_or(0).max(tried);
        ProgressView {
            tried,
            struck: seen.iter().map(|p| p.struck).sum(),
            planned,
            fraction: if planned == 0 {
                0.0
            } else {
                tried as f64 / planned as f64
            },
            per_second: seen.iter().map(|p| p.per_second).sum(),
            phase: seen
                .first()
                .map(|p| p.phase.clone())
                .unwrap_or_else(|| "starting".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::lab::jobs::JobRunner;
    use crate::lab::tests::story_text;

    /// Runs a split search with one runner per worker, each slice in turn
    /// (as the workers' timers would), until the page has its answer.
    fn search(text: &str, of: u32) -> Outcome {
        let start = Instant::now();
        let mut now = || start.elapsed().as_secs_f64() * 1000.0;
        let (mut split, requests) = SplitSearch::start(7, text, 1, of);
        assert_eq!(split.workers(), of as usize);
        let mut runners: Vec<JobRunner> = requests
            .into_iter()
            .map(|request| {
                let mut runner = JobRunner::new();
                let first = runner.handle(request, 0.0).unwrap();
                assert!(split.receive(first).is_some());
                runner
            })
            .collect();
        loop {
            for runner in runners.iter_mut() {
                let Some(answer) = runner.tick(&mut now) else {
                    continue;
                };
                if let Some(Merged::Done(outcome)) = split.receive(answer) {
                    return *outcome;
                }
            }
        }
    }

    fn single(text: &str) -> Outcome {
        let start = Instant::now();
        let mut now = || start.elapsed().as_secs_f64() * 1000.0;
        let mut runner = JobRunner::new();
        runner.handle(
            Request::Explore {
                id: 1,
                text: text.into(),
                seed: 1,
            },
            0.0,
        );
        loop {
            if let Some(Response::Explored { outcome, .. }) = runner.tick(&mut now) {
                return *outcome;
            }
        }
    }

    #[test]
    fn the_gc_pause_is_found_the_same_by_one_two_and_three_workers() {
        let text = story_text("gc_pause_past_ttl");
        let Outcome::Broken {
            faults,
            found_after,
            seed,
            ..
        } = single(text)
        else {
            panic!("one worker finds the GC pause");
        };
        for of in 1..=3 {
            let Outcome::Broken {
                faults: split_faults,
                found_after: split_found_after,
                seed: split_seed,
                ..
            } = search(text, of)
            else {
                panic!("{of} workers find the GC pause");
            };
            assert_eq!(split_faults, faults, "{of} workers");
            assert_eq!(split_found_after, found_after, "{of} workers");
            assert_eq!(split_seed, seed, "{of} workers");
        }
    }

    #[test]
    fn a_share_that_does_not_exist_is_answered_with_why() {
        let mut runner = JobRunner::new();
        let answer = runner.handle(
            Request::ExploreShare {
                id: 3,
                text: story_text("gc_pause_past_ttl").into(),
                seed: 1,
                share: 2,
                of: 2,
            },
            0.0,
        );
        assert!(matches!(
            answer,
            Some(Response::ExploreFailed { id: 3, .. })
        ));
    }

    #[test]
    fn the_worker_count_follows_the_cores_within_bounds() {
        assert_eq!(workers_for(0), 1);
        assert_eq!(workers_for(2), 2);
        assert_eq!(workers_for(16), MAX_WORKERS);
    }
}
