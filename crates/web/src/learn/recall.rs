//! One question brought back for review: which run it is asked on, and
//! grading the learner's answer on that run.
//!
//! A question that reads the run (predict, numeric, order) is asked on a
//! run of the lesson's main scenario with a fresh seed
//! ([`super::review::fresh_seed`]), and its answer is recomputed from that
//! run by `lockstep_lessons`' grading, so remembering the timeline of the
//! lesson's own run does not help. A seed whose run lacks the question's
//! event is passed over for the next; after
//! [`SEED_ATTEMPTS`](super::review::SEED_ATTEMPTS) the lesson's own seed is
//! used, and the page says so. Choice questions need no run; "fix it" and
//! "explain" questions are answered in their lesson.

use std::rc::Rc;

use lockstep_lessons::lesson::grade::{self, Response};
use lockstep_lessons::lesson::question::{Body, Question};
use lockstep_lessons::lesson::Lesson;
use lockstep_sim::trace::Trace;

use super::player::Verdict;
use super::review::{fresh_seed, Card, SEED_ATTEMPTS};
use super::scenario_text::main_scenario;

/// How a question is answered on the review page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// Typed or picked here, graded without a run.
    Here,
    /// Typed or picked here, graded on a run with a fresh seed.
    OnFreshRun,
    /// Answered in the lesson (a fix is graded by the explorer, an
    /// explanation against its rubric with the run beside it).
    InLesson,
}

pub fn way(question: &Question) -> Way {
    match question.body {
        Body::Choice { .. } => Way::Here,
        Body::Predict { .. } | Body::Numeric { .. } | Body::Order { .. } => Way::OnFreshRun,
        Body::Fix(_) | Body::Explain { .. } => Way::InLesson,
    }
}

/// The seed to try for a question's review: `attempt` counts seeds whose
/// run lacked the question's event. `None`: give up on fresh seeds.
pub fn seed_for(lesson_seed: u64, reviews: u32, attempt: u32) -> Option<u64> {
    (attempt < SEED_ATTEMPTS).then(|| fresh_seed(lesson_seed, reviews, attempt))
}

/// Whether the question can be asked on this run: its event (or events)
/// are in it and its answer can be computed.
pub fn fits(question: &Question, trace: &Trace) -> Result<(), String> {
    match &question.body {
        body @ Body::Predict { .. } => grade::predicted(body, trace).map(drop),
        Body::Numeric { query, .. } => grade::counted(query, trace).map(drop),
        body @ Body::Order { .. } => grade::true_order(body, trace).map(drop),
        _ => Ok(()),
    }
}

/// Grades what the learner typed (letters for choices and orders, a
/// reply, holder, value or number otherwise) on `trace`, the run the
/// question is asked on.
pub fn grade_text(question: &Question, trace: &Trace, text: &str) -> Result<Verdict, String> {
    if text.trim().is_empty() {
        return Err("Answer first.".into());
    }
    let response: Response = grade::read_response(question, text)?;
    grade::grade(question, trace, &response).map(Verdict::from)
}

/// A question under review on the page: the run it is asked on (once it
/// has arrived) and the learner's verdict.
#[derive(Clone, Debug)]
pub struct Recall {
    pub lesson_id: String,
    pub lesson: Rc<Lesson>,
    /// The question's index in the lesson.
    pub index: usize,
    pub card: Card,
    pub way: Way,
    /// The main scenario's text and the lesson's own seed.
    scenario: Option<(String, u64)>,
    /// Seeds tried whose run lacked the question's event.
    attempt: u32,
    /// The seed of the run asked for or shown.
    pub seed: Option<u64>,
    pub run: Option<Rc<Trace>>,
    /// No fresh seed fitted: the run is the lesson's own.
    pub fell_back: bool,
    pub verdict: Option<Verdict>,
    /// Why the answer was not graded, or the run could not be made.
    pub problem: Option<String>,
}

impl Recall {
    /// The question `question` (its id) of `lesson`; `None` if the lesson
    /// no longer has it.
    pub fn new(lesson_id: &str, lesson: Rc<Lesson>, question: &str, card: Card) -> Option<Recall> {
        let index = lesson.questions.iter().position(|q| q.id == question)?;
        let way = way(&lesson.questions[index]);
        let scenario = main_scenario(&lesson).ok();
        Some(Recall {
            lesson_id: lesson_id.to_string(),
            index,
            card,
            way,
            scenario,
            attempt: 0,
            seed: None,
            run: None,
            fell_back: false,
            verdict: None,
            problem: None,
            lesson,
        })
    }

    pub fn question(&self) -> &Question {
        &self.lesson.questions[self.index]
    }

    /// The run to ask for next (scenario text and seed), if the question
    /// needs one and has none yet.
    pub fn next_run(&mut self) -> Option<(String, u64)> {
        if self.way != Way::OnFreshRun || self.run.is_some() {
            return None;
        }
        let Some((text, lesson_seed)) = self.scenario.clone() else {
            self.problem =
                Some("This lesson's scenario cannot run; answer it in the lesson.".into());
            return None;
        };
        let seed = match seed_for(lesson_seed, self.card.reviews, self.attempt) {
            Some(seed) => seed,
            None => {
                self.fell_back = true;
                lesson_seed
            }
        };
        self.seed = Some(seed);
        Some((text, seed))
    }

    /// A run asked for has arrived. Returns whether another is needed (the
    /// run lacked the question's event: the next seed is tried).
    pub fn ran(&mut self, result: Result<Trace, String>) -> bool {
        match result {
            Ok(trace) => match fits(self.question(), &trace) {
                Ok(()) => {
                    self.run = Some(Rc::new(trace));
                    false
                }
                Err(_) if !self.fell_back => {
                    self.attempt += 1;
                    true
                }
                Err(why) => {
                    self.problem = Some(format!("This question cannot be asked on a run: {why}."));
                    false
                }
            },
            Err(why) => {
                self.problem = Some(format!("The run failed: {why}"));
                false
            }
        }
    }

    /// Whether the question can be answered now.
    pub fn ready(&self) -> bool {
        match self.way {
            Way::Here => true,
            Way::OnFreshRun => self.run.is_some(),
            Way::InLesson => false,
        }
    }

    /// Grades what the learner typed; `Some(passed)` once graded.
    pub fn answer(&mut self, text: &str) -> Option<bool> {
        let empty = Trace::default();
        let run = match self.way {
            Way::Here => &empty,
            Way::OnFreshRun => self.run.as_deref()?,
            Way::InLesson => return None,
        };
        match grade_text(self.question(), run, text) {
            Ok(verdict) => {
                let passed = verdict.passed;
                self.verdict = Some(verdict);
                self.problem = None;
                Some(passed)
            }
            Err(why) => {
                self.problem = Some(why);
                None
            }
        }
    }
}

/// The run as the learner sees it beside the question, one line per event
/// (`12.0 ms  client-1  receive OK`): for a predict question every event
/// before the one it asks about (as the lesson's gate stops there), for
/// the others the whole run. All of it, from the first event: why the
/// answer is what it is can lie far back (a pause that began long before).
pub fn run_so_far(question: &Question, trace: &Trace) -> Vec<String> {
    let end = match &question.body {
        Body::Predict { at, .. } => at.find(trace).map_or(0, |e| e.seq as usize),
        _ => trace.events.len(),
    };
    trace.events[..end.min(trace.events.len())]
        .iter()
        .map(|e| {
            format!(
                "{:>9.1} ms  {}  {} {}",
                e.t_us as f64 / 1000.0,
                e.actor,
                e.what.type_name(),
                e.what.text()
            )
            .trim_end()
            .to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::catalogue::Catalogue;
    use crate::learn::scenario_text::main_scenario;

    /// A lesson whose answer depends on the seed: the client stores a
    /// number drawn from the world's seeded generator and reads it back.
    const SEEDED: &str = r#"+++
id = "t/seeded"
title = "t"
track = "t"
order = 1
summary = "s"
difficulty = "beginner"
minutes = 1
interview = "q"
+++

```toml scenario
title = "a random value"
seed = 1

[[node]]
name = "redis"

[[client]]
name = "client-1"
program = '''
redis.call("SET", "k", tostring(random(1000000)))
redis.call("GET", "k")
'''
```

```question
id = "value"
kind = "predict"
prompt = "What does GET answer?"
model_answer = "The value just set."
at = "client-1 receive 2nd"
ask = "reply"
```
"#;

    #[test]
    fn a_predict_question_is_graded_on_the_fresh_run_not_the_lessons() {
        let lesson = Rc::new(Lesson::parse(SEEDED).unwrap());
        let (text, seed) = main_scenario(&lesson).unwrap();
        let own = crate::lab::jobs::run_text(&text, seed).unwrap();
        let q = &lesson.questions[0];
        let memorised = grade::predicted(&q.body, &own).unwrap();

        let mut recall =
            Recall::new("t/seeded", lesson.clone(), "value", Card::missed(0, 0)).unwrap();
        let (text, fresh) = recall.next_run().unwrap();
        assert_ne!(fresh, seed);
        assert!(!recall.ran(crate::lab::jobs::run_text(&text, fresh).map_err(String::from)));
        let run = recall.run.clone().unwrap();
        let right = grade::predicted(&q.body, &run).unwrap();
        assert_ne!(right, memorised, "the seed changes the value");
        // The lesson run's answer fails on the fresh run; the fresh run's passes.
        let mut again = recall.clone();
        assert_eq!(again.answer(&memorised), Some(false));
        assert_eq!(
            again.verdict.unwrap().answer,
            right,
            "the answer shown is the fresh run's"
        );
        assert_eq!(recall.answer(&right), Some(true));
        // The next review of the question asks on yet another run.
        let mut later = Recall::new("t/seeded", lesson, "value", Card::missed(0, 1)).unwrap();
        let (_, next) = later.next_run().unwrap();
        assert!(next != fresh && next != seed);
    }

    #[test]
    fn a_predict_question_shows_the_run_up_to_its_event_only() {
        let catalogue = Catalogue::load();
        let entry = catalogue.find("locks/gc-pause-past-the-ttl").unwrap();
        let (text, seed) = main_scenario(&entry.lesson).unwrap();
        let run = crate::lab::jobs::run_text(&text, seed).unwrap();
        let predict = entry
            .lesson
            .questions
            .iter()
            .find(|q| matches!(q.body, Body::Predict { .. }))
            .unwrap();
        let Body::Predict { at, .. } = &predict.body else {
            unreachable!()
        };
        let asked = at.find(&run).unwrap().seq as usize;
        let lines = run_so_far(predict, &run);
        assert_eq!(lines.len(), asked, "every event before the asked one");
        assert!(
            lines[0].trim_start().starts_with("0.0 ms"),
            "from the start: {}",
            lines[0]
        );
    }

    #[test]
    fn a_review_runs_a_fresh_seed_and_grades_on_it() {
        let catalogue = Catalogue::load();
        let entry = catalogue.find("locks/gc-pause-past-the-ttl").unwrap();
        let predict = entry
            .lesson
            .questions
            .iter()
            .find(|q| matches!(q.body, Body::Predict { .. }))
            .unwrap();
        let card = Card::missed(0, 0);
        let mut recall = Recall::new(entry.id(), entry.lesson.clone(), &predict.id, card).unwrap();
        assert!(!recall.ready());
        let (_, lesson_seed) = main_scenario(&entry.lesson).unwrap();
        let mut runs = 0;
        while let Some((text, seed)) = recall.next_run() {
            assert!(seed != lesson_seed || recall.fell_back);
            runs += 1;
            if !recall.ran(crate::lab::jobs::run_text(&text, seed).map_err(String::from)) {
                break;
            }
        }
        assert!(runs >= 1);
        assert!(recall.ready(), "{:?}", recall.problem);
        assert!(recall.next_run().is_none(), "one run is enough");
        let run = recall.run.clone().unwrap();
        assert_eq!(Some(run.seed), recall.seed);
        let right = grade::predicted(&predict.body, &run).unwrap();
        assert_eq!(recall.answer(""), None);
        assert_eq!(recall.problem.as_deref(), Some("Answer first."));
        assert_eq!(recall.answer(&right), Some(true));
        assert_eq!(recall.answer("certainly not this"), Some(false));
    }

    #[test]
    fn seeds_whose_run_lacks_the_event_are_passed_over_then_the_lessons_own_is_used() {
        let catalogue = Catalogue::load();
        let entry = catalogue.find("locks/gc-pause-past-the-ttl").unwrap();
        let predict = entry
            .lesson
            .questions
            .iter()
            .find(|q| matches!(q.body, Body::Predict { .. }))
            .unwrap();
        let mut recall = Recall::new(
            entry.id(),
            entry.lesson.clone(),
            &predict.id,
            Card::missed(0, 0),
        )
        .unwrap();
        let (_, lesson_seed) = main_scenario(&entry.lesson).unwrap();
        // Every fresh run "lacks the event" (an empty trace).
        let mut seeds = Vec::new();
        while let Some((_, seed)) = recall.next_run() {
            seeds.push(seed);
            if recall.fell_back {
                break;
            }
            assert!(recall.ran(Ok(Trace::default())));
        }
        assert_eq!(seeds.len() as u32, SEED_ATTEMPTS + 1);
        assert_eq!(*seeds.last().unwrap(), lesson_seed);
        assert!(recall.fell_back);
        let own = crate::lab::jobs::run_text(&main_scenario(&entry.lesson).unwrap().0, lesson_seed);
        assert!(!recall.ran(own.map_err(String::from)));
        assert!(recall.ready());
        // A question the lesson no longer has is not brought back.
        assert!(
            Recall::new(entry.id(), entry.lesson.clone(), "gone", Card::missed(0, 0)).is_none()
        );
    }

    #[test]
    fn questions_are_answered_here_on_a_run_or_in_the_lesson() {
        let catalogue = Catalogue::load();
        let kinds: Vec<(&str, Way)> = catalogue
            .entries
            .iter()
            .flat_map(|e| e.lesson.questions.iter())
            .map(|q| (q.kind(), way(q)))
            .collect();
        for (kind, way) in kinds {
            let expected = match kind {
                "choice" => Way::Here,
                "predict" | "numeric" | "order" => Way::OnFreshRun,
                _ => Way::InLesson,
            };
            assert_eq!(way, expected, "{kind}");
        }
        assert_eq!(seed_for(1, 0, SEED_ATTEMPTS), None);
        assert_ne!(seed_for(1, 0, 0), Some(1));
    }

    #[test]
    fn an_empty_or_unreadable_answer_is_a_sentence_not_a_grade() {
        let catalogue = Catalogue::load();
        let entry = catalogue.find("locks/gc-pause-past-the-ttl").unwrap();
        let (text, seed) = main_scenario(&entry.lesson).unwrap();
        let run = crate::lab::jobs::run_text(&text, seed).unwrap();
        let choice = entry
            .lesson
            .questions
            .iter()
            .find(|q| way(q) == Way::Here)
            .unwrap();
        assert_eq!(grade_text(choice, &run, "  ").unwrap_err(), "Answer first.");
        assert!(grade_text(choice, &run, "zz")
            .unwrap_err()
            .contains("letters"));
    }
}
