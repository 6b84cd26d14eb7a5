//! Grading a "fix it" on every core: the page's side of a grading split
//! across workers. Each worker grades one share of the explorer's schedule
//! list ([`lockstep_sim::explore::Share`]); [`SplitSearch`] takes the answer
//! the single search would give, and this turns it into the question's
//! verdict, worded as the one-worker grading words it. So the verdict and
//! the run that breaks an answer do not depend on the number of workers.

use lockstep_lessons::lesson::grade::fix_verdict;
use lockstep_lessons::lesson::Question;
use lockstep_sim::explore::grade::Searched;
use lockstep_sim::trace::Trace;

use crate::lab::explore::{Outcome, ProgressView};
use crate::lab::jobs::{Request, Response};
use crate::lab::split::{Merged, SplitSearch};
use crate::learn::player::Verdict;

/// What a worker's answer changed.
#[derive(Debug)]
pub enum News {
    /// The shares' progress added up, for the progress bar.
    Progress(ProgressView),
    /// The grade (or why there is none), with the run that breaks a
    /// failing answer; the workers still running can be stopped.
    Graded(Result<Verdict, String>, Option<Trace>),
}

/// One fix being graded across workers.
pub struct FixGrading {
    id: u64,
    split: SplitSearch,
    done: bool,
}

impl FixGrading {
    /// Grading `id` of `source` for question `question` of lesson `lesson`,
    /// split `of` ways, and the request for each worker (in share order).
    pub fn start(
        id: u64,
        lesson: &str,
        question: usize,
        source: &str,
        of: u32,
    ) -> (FixGrading, Vec<Request>) {
        let (split, requests) =
            SplitSearch::start_with(id, of, |share, of| Request::GradeFixShare {
                id,
                lesson: lesson.to_string(),
                question,
                source: source.to_string(),
                share,
                of,
            });
        let grading = FixGrading {
            id,
            split,
            done: false,
        };
        (grading, requests)
    }

    /// The request id the grading answers to.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// How many workers grade.
    pub fn workers(&self) -> usize {
        self.split.workers()
    }

    /// Takes a worker's answer; None when it changes nothing on the page
    /// (another request's, or after the grade).
    pub fn receive(&mut self, question: &Question, answer: Response) -> Option<News> {
        if self.done {
            return None;
        }
        let news = match answer {
            // Settled by the fault-free run: every share says the same.
            Response::FixGraded {
                id,
                result,
                breaking,
            } if id == self.id => News::Graded(result, breaking.map(|run| *run)),
            Response::ExploreFailed { id, message } if id == self.id => {
                News::Graded(Err(message), None)
            }
            answer => match self.split.receive(answer)? {
                Merged::Running(progress) => News::Progress(progress),
                Merged::Done(outcome) => {
                    let (graded, run) = match *outcome {
                        Outcome::Broken { faults, trace, .. } => {
                            fix_verdict(question, Searched::Broke { faults: &faults }, Some(trace))
                        }
                        Outcome::Held {
                            statement,
                            cancelled,
                            ..
                        } => fix_verdict(
                            question,
                            Searched::Held {
                                statement: &statement,
                                cancelled,
                            },
                            None,
                        ),
                    };
                    News::Graded(Ok(Verdict::from(graded)), run)
                }
            },
        };
        if matches!(news, News::Graded(..)) {
            self.done = true;
        }
        Some(news)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::lab::jobs::JobRunner;
    use crate::learn::catalogue::Catalogue;

    const LESSON: &str = "locks/gc-pause-past-the-ttl";

    /// The lesson's fix question and its starting code.
    fn fix_question() -> (Question, usize, String) {
        let lesson = Catalogue::load().find(LESSON).unwrap().lesson.clone();
        let (index, question) = lesson
            .questions
            .iter()
            .enumerate()
            .find(|(_, q)| q.kind() == "fix")
            .expect("the GC pause lesson has a fix");
        let lockstep_lessons::lesson::Body::Fix(fix) = &question.body else {
            unreachable!()
        };
        let start = lockstep_lessons::lesson::grade::fix_start(&lesson, fix).unwrap();
        (question.clone(), index, start)
    }

    /// Grades with one runner per worker, each slice in turn, until the
    /// page has its grade; the progress seen on the way is checked.
    fn grade(source: &str, of: u32) -> (Verdict, Option<Trace>) {
        let (question, index, _) = fix_question();
        let clock = Instant::now();
        let mut now = || clock.elapsed().as_secs_f64() * 1000.0;
        let (mut grading, requests) = FixGrading::start(9, LESSON, index, source, of);
        assert_eq!(grading.workers(), of as usize);
        let mut runners = Vec::new();
        let mut answers = Vec::new();
        for request in requests {
            let mut runner = JobRunner::new();
            answers.extend(runner.handle(request, 0.0));
            runners.push(runner);
        }
        loop {
            for answer in answers.drain(..) {
                match grading.receive(&question, answer) {
                    Some(News::Graded(result, run)) => return (result.unwrap(), run),
                    Some(News::Progress(p)) => assert!(p.tried <= p.planned),
                    None => {}
                }
            }
            for runner in runners.iter_mut() {
                answers.extend(runner.tick(&mut now));
            }
            assert!(!answers.is_empty(), "no worker has anything left to say");
        }
    }

    #[test]
    fn a_broken_fix_is_broken_by_the_same_run_on_one_two_and_three_workers() {
        let (question, _, start) = fix_question();
        let lesson = Catalogue::load().find(LESSON).unwrap().lesson.clone();
        let (single, single_run) =
            lockstep_lessons::lesson::grade::grade_fix_with_run(&lesson, &question, &start, None)
                .unwrap();
        assert!(!single.passed, "{single:?}");
        for of in 1..=3 {
            let (verdict, run) = grade(&start, of);
            assert_eq!(verdict, Verdict::from(single.clone()), "{of} workers");
            assert!(run.is_some(), "{of} workers: the breaking run comes back");
            assert!(run == single_run, "{of} workers: another breaking run");
        }
    }

    #[test]
    fn code_lua_cannot_read_is_graded_at_once_by_every_share() {
        let (verdict, run) = grade("if then", 2);
        assert!(!verdict.passed);
        assert!(
            verdict.feedback[0].contains("Lua cannot read it"),
            "{verdict:?}"
        );
        assert!(run.is_none());
    }

    #[test]
    fn answers_to_another_grading_change_nothing() {
        let (question, index, start) = fix_question();
        let (mut grading, _) = FixGrading::start(9, LESSON, index, &start, 2);
        let other = Response::ExploreFailed {
            id: 8,
            message: "not ours".into(),
        };
        assert!(grading.receive(&question, other).is_none());
    }
}
