//! A lesson being studied: where its notes and predict questions sit in
//! the run, the learner's answers, the gate a predict question puts on the
//! timeline, and the interview walk-through. Plain Rust: the page's
//! component draws it and the native tests drive it.
//!
//! Grading reads the run on show: choice, predict, numeric, order and
//! explain answers are checked against the trace the page already has (a
//! walk over its events), while runs — a fix graded by the explorer, an
//! interview follow-up's variation — go to the web worker
//! ([`crate::lab::jobs`]).

use std::rc::Rc;

use lockstep_lessons::lesson::grade::{self, Graded, Response};
use lockstep_lessons::lesson::{Body, Lesson};
use lockstep_sim::trace::Trace;
use serde::{Deserialize, Serialize};

/// A grade as the page shows it (the lesson crate's [`Graded`], which the
/// worker also sends back for a fix).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub passed: bool,
    pub feedback: Vec<String>,
    pub answer: String,
    pub model_answer: String,
}

impl From<Graded> for Verdict {
    fn from(g: Graded) -> Verdict {
        Verdict {
            passed: g.passed,
            feedback: g.feedback,
            answer: g.answer,
            model_answer: g.model_answer,
        }
    }
}

/// One question's state on the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuestionState {
    /// The latest grade.
    pub verdict: Option<Verdict>,
    /// Why the answer could not be read or graded ("not a number").
    pub problem: Option<String>,
    /// An explain question's text was submitted: its rubric is shown.
    pub explain_submitted: bool,
    /// A fix is being graded in the workers (the request's id).
    pub grading: Option<u64>,
    /// How far that grading is (its workers' progress added up).
    pub grading_progress: Option<crate::lab::explore::ProgressView>,
    /// A fix that did not pass: the run that breaks it, for the timeline.
    pub breaking: Option<Rc<Trace>>,
}

/// A step note placed in the run.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedNote {
    pub step: usize,
    pub text: String,
}

/// A follow-up's run: each verdict by name, what the lesson expects of
/// it, and what the run gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerdictCheck {
    pub name: String,
    pub expected: Option<bool>,
    pub held: bool,
}

/// Where the interview walk-through is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The interview question, answered in free text.
    Question,
    /// The follow-up at this index.
    FollowUp(usize),
    /// The rubric to tick, then the model answer.
    Rubric,
    Done,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FollowUpState {
    pub reply: String,
    /// The request under way in the worker.
    pub running: Option<u64>,
    pub result: Option<Result<Vec<VerdictCheck>, String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Interview {
    pub stage: Stage,
    pub answer: String,
    pub follow_ups: Vec<FollowUpState>,
    pub ticked: Vec<bool>,
}

/// The lesson on show and everything the learner did with it.
#[derive(Clone, Debug)]
pub struct Player {
    pub lesson: Rc<Lesson>,
    pub questions: Vec<QuestionState>,
    /// Notes at their steps, once the run has arrived.
    pub notes: Vec<PlacedNote>,
    /// Per question, the step its predict gate stops at (its event's step).
    gates: Vec<Option<usize>>,
    pub interview: Option<Interview>,
    /// The question whose gate stopped the last step forward.
    pub stopped_by: Option<usize>,
    /// Why the interview answer was not taken (it was empty).
    pub interview_problem: Option<String>,
    /// The timeline shows the run that breaks this fix question's answer
    /// rather than the lesson's run.
    pub showing_breaking: Option<usize>,
}

impl Player {
    pub fn new(lesson: Rc<Lesson>) -> Player {
        let interview = lesson.interview.as_ref().map(|i| Interview {
            stage: Stage::Question,
            answer: String::new(),
            follow_ups: vec![FollowUpState::default(); i.follow_ups.len()],
            ticked: vec![false; i.rubric.len()],
        });
        Player {
            questions: vec![QuestionState::default(); lesson.questions.len()],
            notes: Vec::new(),
            gates: vec![None; lesson.questions.len()],
            interview,
            stopped_by: None,
            interview_problem: None,
            showing_breaking: None,
            lesson,
        }
    }

    /// Places the notes and predict gates in a run that has arrived. A
    /// selector the run does not match places nothing (`lockstep check`
    /// keeps shipped lessons from doing that).
    pub fn place(&mut self, trace: &Trace) {
        self.notes = self
            .lesson
            .notes
            .iter()
            .filter_map(|note| {
                note.at.find(trace).ok().map(|event| PlacedNote {
                    step: event.seq as usize,
                    text: note.text.clone(),
                })
            })
            .collect();
        self.notes.sort_by_key(|n| n.step);
        self.gates = self
            .lesson
            .questions
            .iter()
            .map(|q| match &q.body {
                Body::Predict { at, .. } => at.find(trace).ok().map(|e| e.seq as usize),
                _ => None,
            })
            .collect();
    }

    /// The step a wish to go to `wanted` may reach: a predict question not
    /// answered yet stops the timeline just before its event, so the run
    /// cannot give its answer away. Sets [`Player::stopped_by`].
    pub fn allowed_step(&mut self, wanted: usize) -> usize {
        let gate = self
            .gates
            .iter()
            .enumerate()
            .filter(|(i, _)| self.questions[*i].verdict.is_none())
            .filter_map(|(i, step)| step.map(|s| (s, i)))
            .filter(|(step, _)| *step <= wanted)
            .min();
        match gate {
            Some((step, question)) => {
                self.stopped_by = Some(question);
                step.saturating_sub(1)
            }
            None => {
                self.stopped_by = None;
                wanted
            }
        }
    }

    /// Lifts every predict gate: an embedded player shows the run without
    /// the questions, so nothing on the page could ever open them.
    pub fn open_gates(&mut self) {
        self.gates.iter_mut().for_each(|gate| *gate = None);
        self.stopped_by = None;
    }

    /// Puts the run that breaks fix question `question`'s answer on show,
    /// without the lesson's notes and predict gates: those tell the
    /// lesson's own run (a note could land on an event that happened
    /// otherwise here), and a counterexample is shown to reach its
    /// violation. Returns the step to open at: the first failure.
    pub fn show_breaking(&mut self, question: usize, run: &Trace) -> usize {
        self.place(run);
        self.notes.clear();
        self.open_gates();
        self.showing_breaking = Some(question);
        crate::lab::verdicts::first_failure(run).unwrap_or(0) as usize
    }

    /// The step a predict question is about, once the run has arrived.
    pub fn gate(&self, question: usize) -> Option<usize> {
        self.gates.get(question).copied().flatten()
    }

    /// The notes reached by `step`, the latest first.
    pub fn notes_until(&self, step: usize) -> Vec<&PlacedNote> {
        self.notes.iter().rev().filter(|n| n.step <= step).collect()
    }

    /// Grades an answer typed or picked on the page against the run on
    /// show. Returns the verdict, also kept in the question's state.
    pub fn answer(
        &mut self,
        question: usize,
        response: Response,
        trace: &Trace,
    ) -> Option<Verdict> {
        let q = self.lesson.questions.get(question)?.clone();
        let state = self.questions.get_mut(question)?;
        match grade::grade(&q, trace, &response) {
            Ok(graded) => {
                let verdict = Verdict::from(graded);
                state.verdict = Some(verdict.clone());
                state.problem = None;
                if self.stopped_by == Some(question) {
                    self.stopped_by = None;
                }
                Some(verdict)
            }
            Err(message) => {
                state.problem = Some(message);
                None
            }
        }
    }

    /// Reads text typed for `question` (a number, letters) and grades it.
    pub fn answer_text(&mut self, question: usize, text: &str, trace: &Trace) -> Option<Verdict> {
        let q = self.lesson.questions.get(question)?.clone();
        match grade::read_response(&q, text) {
            Ok(response) => self.answer(question, response, trace),
            Err(message) => {
                if let Some(state) = self.questions.get_mut(question) {
                    state.problem = Some(message);
                }
                None
            }
        }
    }

    /// The worker graded a fix (`id` is the request's): the question's
    /// index and whether it passed, when the answer was awaited. `breaking`
    /// is the run that breaks an answer that did not pass.
    pub fn fix_graded(
        &mut self,
        id: u64,
        result: Result<Verdict, String>,
        breaking: Option<Trace>,
    ) -> Option<(usize, bool)> {
        let index = self.questions.iter().position(|s| s.grading == Some(id))?;
        let state = &mut self.questions[index];
        state.grading = None;
        state.grading_progress = None;
        state.breaking = None;
        match result {
            Ok(verdict) => {
                let passed = verdict.passed;
                if !passed {
                    state.breaking = breaking.map(Rc::new);
                }
                state.verdict = Some(verdict);
                state.problem = None;
                Some((index, passed))
            }
            Err(message) => {
                state.problem = Some(message);
                None
            }
        }
    }

    /// The worker stopped: what it was grading or running is lost, and
    /// each says so.
    pub fn worker_failed(&mut self, message: &str) {
        for q in &mut self.questions {
            q.grading_progress = None;
            if q.grading.take().is_some() {
                q.problem = Some(format!("The grading stopped: {message}. Grade again."));
            }
        }
        if let Some(interview) = self.interview.as_mut() {
            for f in &mut interview.follow_ups {
                if f.running.take().is_some() {
                    f.result = Some(Err(format!("The run stopped: {message}. Run it again.")));
                }
            }
        }
    }

    // --- the interview ---------------------------------------------------

    /// The interview answer was written: on to the first follow-up, or
    /// the rubric when there is none. An empty answer is not accepted.
    pub fn submit_interview_answer(&mut self, text: &str) -> Result<(), String> {
        let Some(interview) = self.interview.as_mut() else {
            return Err("this lesson has no interview".into());
        };
        if text.trim().is_empty() {
            return Err("Answer in your own words first, as you would out loud.".into());
        }
        interview.answer = text.to_string();
        interview.stage = if interview.follow_ups.is_empty() {
            Stage::Rubric
        } else {
            Stage::FollowUp(0)
        };
        Ok(())
    }

    /// A follow-up's run came back from the worker.
    pub fn follow_up_ran(&mut self, id: u64, result: Result<Vec<(String, bool)>, String>) -> bool {
        let lesson = self.lesson.clone();
        let Some(interview) = self.interview.as_mut() else {
            return false;
        };
        let Some(index) = interview
            .follow_ups
            .iter()
            .position(|f| f.running == Some(id))
        else {
            return false;
        };
        let expect = lesson
            .interview
            .as_ref()
            .and_then(|i| i.follow_ups.get(index))
            .map(|f| f.expect.clone())
            .unwrap_or_default();
        let state = &mut interview.follow_ups[index];
        state.running = None;
        state.result = Some(result.map(|verdicts| {
            verdicts
                .into_iter()
                .map(|(name, held)| VerdictCheck {
                    expected: expect.get(&name).copied(),
                    name,
                    held,
                })
                .collect()
        }));
        true
    }

    /// On from follow-up `index` (its answer shown) to the next, or the
    /// rubric after the last.
    pub fn next_follow_up(&mut self, index: usize) {
        if let Some(interview) = self.interview.as_mut() {
            interview.stage = if index + 1 < interview.follow_ups.len() {
                Stage::FollowUp(index + 1)
            } else {
                Stage::Rubric
            };
        }
    }

    /// The rubric was ticked: the model answer is shown and the walk is done.
    pub fn finish_interview(&mut self) {
        if let Some(interview) = self.interview.as_mut() {
            interview.stage = Stage::Done;
        }
    }

    /// Questions answered right, and how many there are.
    pub fn score(&self) -> (usize, usize) {
        let right = self
            .questions
            .iter()
            .filter(|q| q.verdict.as_ref().is_some_and(|v| v.passed))
            .count();
        (right, self.questions.len())
    }
}

/// The line Lua reports in an error about the learner's code
/// (`your code:3: ...`, `[string "..."]:3: ...`), if any.
pub fn lua_error_line(message: &str) -> Option<usize> {
    for marker in ["your code:", "\"]:"] {
        if let Some(at) = message.find(marker) {
            let rest = &message[at + marker.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(line) = digits.parse::<usize>() {
                if line > 0 && rest[digits.len()..].starts_with(':') {
                    return Some(line);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::catalogue::Catalogue;

    fn gc_pause() -> (Player, Trace) {
        let catalogue = Catalogue::load();
        let entry = catalogue.find("locks/gc-pause-past-the-ttl").unwrap();
        let trace = entry.lesson.run(None).unwrap();
        let mut player = Player::new(entry.lesson.clone());
        player.place(&trace);
        (player, trace)
    }

    fn question(player: &Player, id: &str) -> usize {
        player
            .lesson
            .questions
            .iter()
            .position(|q| q.id == id)
            .unwrap()
    }

    #[test]
    fn notes_are_placed_at_their_events_in_order() {
        let (player, trace) = gc_pause();
        assert_eq!(player.notes.len(), player.lesson.notes.len());
        let pause = trace
            .events
            .iter()
            .find(|e| {
                e.actor == "client-1" && lockstep_lessons::lesson::facts::kind(&e.what) == "pause"
            })
            .unwrap();
        assert_eq!(player.notes[0].step, pause.seq as usize);
        assert!(player.notes_until(0).is_empty());
        let last = trace.events.len() - 1;
        assert_eq!(player.notes_until(last).len(), player.notes.len());
        assert_eq!(
            player.notes_until(last)[0].step,
            player.notes.last().unwrap().step
        );
    }

    #[test]
    fn a_predict_question_stops_the_timeline_before_its_event_until_answered() {
        let (mut player, trace) = gc_pause();
        let inside = question(&player, "inside");
        let stale = question(&player, "stale");
        let gate = player.gate(inside).unwrap();
        let last = trace.events.len() - 1;
        // Before the gate nothing stops.
        assert_eq!(player.allowed_step(gate - 1), gate - 1);
        assert_eq!(player.stopped_by, None);
        // Past it, the step stops just before the event.
        assert_eq!(player.allowed_step(last), gate - 1);
        assert_eq!(player.stopped_by, Some(inside));
        // A wrong answer is graded (and opens the gate: the run shows why).
        let verdict = player.answer_text(inside, "client-2", &trace).unwrap();
        assert!(!verdict.passed);
        assert!(verdict.feedback[0].contains("the run shows"), "{verdict:?}");
        assert_eq!(player.stopped_by, None);
        // The next gate is the stale write's.
        let stale_gate = player.gate(stale).unwrap();
        assert!(stale_gate > gate);
        assert_eq!(player.allowed_step(last), stale_gate - 1);
        assert_eq!(player.stopped_by, Some(stale));
        // The right answer, as an option letter.
        let verdict = player.answer_text(stale, "A", &trace).unwrap();
        assert!(verdict.passed, "{verdict:?}");
        assert_eq!(player.allowed_step(last), last);
        assert_eq!(player.score(), (1, player.lesson.questions.len()));
    }

    #[test]
    fn an_embeds_open_gates_let_the_run_be_stepped_to_its_end() {
        let (mut player, trace) = gc_pause();
        let last = trace.events.len() - 1;
        assert!(player.allowed_step(last) < last, "the lesson has a gate");
        player.open_gates();
        assert_eq!(player.allowed_step(last), last);
        assert_eq!(player.stopped_by, None);
    }

    #[test]
    fn an_unreadable_answer_says_why_and_grades_nothing() {
        let (mut player, trace) = gc_pause();
        let order = question(&player, "order");
        assert!(player.answer_text(order, "Z Q", &trace).is_none());
        assert!(player.questions[order].problem.is_some());
        assert!(player.questions[order].verdict.is_none());
        // The run's order, read from the run (not typed here): right.
        let Body::Order { items } = &player.lesson.questions[order].body else {
            panic!("order question");
        };
        let mut by_time: Vec<(u64, usize)> = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.at.find(&trace).unwrap().seq, i))
            .collect();
        by_time.sort_unstable();
        let letters: Vec<String> = by_time
            .iter()
            .map(|(_, i)| grade::letter(*i).to_string())
            .collect();
        let verdict = player
            .answer_text(order, &letters.join(" "), &trace)
            .unwrap();
        assert!(verdict.passed, "{verdict:?}");
        assert_eq!(player.questions[order].problem, None);
    }

    #[test]
    fn an_explain_answer_passes_only_with_text_and_every_point_ticked() {
        let (mut player, trace) = gc_pause();
        let explain = question(&player, "explain");
        let Body::Explain { rubric } = &player.lesson.questions[explain].body else {
            panic!("explain");
        };
        let all: Vec<usize> = (0..rubric.len()).collect();
        let some = vec![0];
        let respond = |text: &str, ticked: Vec<usize>| Response::Explain {
            text: text.into(),
            ticked,
        };
        assert!(
            !player
                .answer(explain, respond("", all.clone()), &trace)
                .unwrap()
                .passed
        );
        assert!(
            !player
                .answer(explain, respond("tokens", some), &trace)
                .unwrap()
                .passed
        );
        let verdict = player
            .answer(explain, respond("tokens", all), &trace)
            .unwrap();
        assert!(verdict.passed);
        assert!(!verdict.model_answer.is_empty());
    }

    #[test]
    fn the_interview_walks_question_follow_ups_rubric() {
        let (mut player, _) = gc_pause();
        assert!(player.submit_interview_answer("  ").is_err());
        player
            .submit_interview_answer("The key expires; fence it.")
            .unwrap();
        assert_eq!(player.interview.as_ref().unwrap().stage, Stage::FollowUp(0));
        player.interview.as_mut().unwrap().follow_ups[0].running = Some(9);
        assert!(
            !player.follow_up_ran(8, Ok(vec![])),
            "another request's answer"
        );
        let ran = crate::lab::jobs::run_follow_up(&player.lesson, 0).unwrap();
        assert!(player.follow_up_ran(9, Ok(ran)));
        let result = player.interview.as_ref().unwrap().follow_ups[0]
            .result
            .clone()
            .unwrap()
            .unwrap();
        assert!(!result.is_empty());
        for check in &result {
            if let Some(expected) = check.expected {
                assert_eq!(expected, check.held, "{check:?}");
            }
        }
        let follow_ups = player.interview.as_ref().unwrap().follow_ups.len();
        for i in 0..follow_ups {
            player.next_follow_up(i);
        }
        assert_eq!(player.interview.as_ref().unwrap().stage, Stage::Rubric);
        player.finish_interview();
        assert_eq!(player.interview.as_ref().unwrap().stage, Stage::Done);
    }

    #[test]
    fn every_lessons_notes_and_predict_gates_are_placed_in_its_run() {
        for entry in Catalogue::load().entries {
            let trace = entry.lesson.run(None).unwrap();
            let mut player = Player::new(entry.lesson.clone());
            player.place(&trace);
            assert_eq!(
                player.notes.len(),
                entry.lesson.notes.len(),
                "{}",
                entry.id()
            );
            for (i, q) in entry.lesson.questions.iter().enumerate() {
                if matches!(q.body, Body::Predict { .. }) {
                    assert!(player.gate(i).is_some(), "{}: {}", entry.id(), q.id);
                }
            }
        }
    }

    #[test]
    fn a_fix_grade_lands_on_the_question_that_awaited_it() {
        let (mut player, _) = gc_pause();
        let fix = question(&player, "fix");
        player.questions[fix].grading = Some(7);
        let (graded, run) = crate::lab::jobs::grade_fix(&player.lesson, fix, "if then").unwrap();
        // Lua could not read it: there is no run to show.
        assert!(run.is_none());
        assert_eq!(
            player.fix_graded(8, Ok(graded.clone()), None),
            None,
            "another request's"
        );
        assert_eq!(player.fix_graded(7, Ok(graded), None), Some((fix, false)));
        assert_eq!(player.questions[fix].grading, None);
        assert!(player.questions[fix].verdict.is_some());
        // A lost worker says so on what it was grading.
        player.questions[fix].grading = Some(9);
        player.worker_failed("it crashed");
        assert!(player.questions[fix]
            .problem
            .as_deref()
            .unwrap()
            .contains("it crashed"));
    }

    #[test]
    fn a_fix_that_fails_brings_back_the_run_that_breaks_it() {
        let (mut player, _) = gc_pause();
        let fix = question(&player, "fix");
        let Body::Fix(spec) = &player.lesson.questions[fix].body else {
            panic!("not a fix");
        };
        // The lesson's own broken code: the explorer's counterexample
        // comes back, and it shows a violation.
        let start = lockstep_lessons::lesson::grade::fix_start(&player.lesson, spec).unwrap();
        let model = spec.model.clone();
        let (graded, run) = crate::lab::jobs::grade_fix(&player.lesson, fix, &start).unwrap();
        assert!(!graded.passed);
        let run = run.expect("a failing fix comes with its run");
        assert!(crate::lab::verdicts::first_failure(&run).is_some());
        player.questions[fix].grading = Some(3);
        player.fix_graded(3, Ok(graded), Some(*run));
        assert!(player.questions[fix].breaking.is_some());
        // The model answer passes, with nothing to show.
        let (graded, run) = crate::lab::jobs::grade_fix(&player.lesson, fix, &model).unwrap();
        assert!(graded.passed, "{graded:?}");
        assert!(run.is_none());
        player.questions[fix].grading = Some(4);
        player.fix_graded(4, Ok(graded), None);
        assert!(player.questions[fix].breaking.is_none());
    }

    #[test]
    fn unanswered_predict_questions_do_not_stop_the_run_that_breaks_a_fix() {
        let (mut player, lesson_run) = gc_pause();
        let last = lesson_run.events.len() - 1;
        // On the lesson's own run an unanswered predict question stops it.
        player.place(&lesson_run);
        assert!(player.allowed_step(last) < last);
        assert!(player.stopped_by.is_some());
        let fix = question(&player, "fix");
        let Body::Fix(spec) = &player.lesson.questions[fix].body else {
            panic!("not a fix");
        };
        let start = lockstep_lessons::lesson::grade::fix_start(&player.lesson, spec).unwrap();
        let (_, run) = crate::lab::jobs::grade_fix(&player.lesson, fix, &start).unwrap();
        let run = run.expect("the starting code breaks");
        let violation = player.show_breaking(fix, &run);
        assert_eq!(
            violation as u64,
            crate::lab::verdicts::first_failure(&run).unwrap()
        );
        assert!(violation > 0);
        assert_eq!(player.allowed_step(violation), violation);
        assert_eq!(player.stopped_by, None);
        assert_eq!(player.showing_breaking, Some(fix));
        assert!(
            player.notes.is_empty(),
            "the lesson's notes tell its own run"
        );
        // Back on the lesson's run, its gates and notes stand again.
        player.place(&lesson_run);
        assert!(player.allowed_step(last) < last);
        assert!(!player.notes.is_empty());
    }

    #[test]
    fn the_line_of_a_lua_error_is_read_from_its_message() {
        assert_eq!(
            lua_error_line(
                "Not yet: Lua cannot read it: your code:3: unexpected symbol near 'then'"
            ),
            Some(3)
        );
        assert_eq!(
            lua_error_line("[string \"client-1\"]:12: attempt to call a nil value"),
            Some(12)
        );
        assert_eq!(lua_error_line("the explorer found a violation"), None);
        assert_eq!(lua_error_line("your code:x: odd"), None);
    }
}
