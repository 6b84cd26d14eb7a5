//! Every question kind: the right answer passes, a wrong one fails with
//! the feedback the author wrote (or the run's answer). Keys are read from
//! the run each time, never copied into the test.

use super::*;
use crate::lesson::Lesson;

/// A lesson small enough to run in milliseconds: client-1 takes the lock
/// the naive way and is killed between SETNX and EXPIRE; client-2 retries
/// and gives up.
const NAIVE: &str = r#"+++
id = "test/naive"
title = "Naive lock"
track = "test"
order = 1
summary = "SETNX then EXPIRE"
difficulty = "beginner"
minutes = 1
interview = "How do you take a lock in Redis?"
+++

```toml scenario
title = "naive"
seed = 1
duration_ms = 8000

[[node]]
name = "redis"

[[client]]
name = "client-1"

[[client]]
name = "client-2"
start_ms = 500
program = '''
local lock = require("lock")
local ok = lock.acquire_retry("lock:report", uuid(), 3000, 500, 6)
if not ok then error("client-2 gave up") end
enter("report")
leave("report")
'''

[[fault]]
kind = "kill"
target = "client-1"
after = { actor = "client-1", event = "reply", nth = 1 }

[[invariant]]
kind = "mutual_exclusion"
name = "report"

[liveness]
finished = ["client-2"]

[explore]
kinds = ["kill"]
schedules = 20
```

```lua client-1
local lock = require("lock")
local id = uuid()
if lock.acquire_naive("lock:report", id, 3000) then
  enter("report")
  leave("report")
  lock.release("lock:report", id)
end
```

```question
id = "pick"
kind = "choice"
prompt = "Why does client-2 never get the lock?"
model_answer = "The key was created without a TTL."
options = [
  { text = "The key has no TTL", correct = true, feedback = "Right: EXPIRE never ran." },
  { text = "Redis is down", feedback = "Redis answered every SET." },
  { text = "client-2 used the wrong key", feedback = "Same key." },
]
```

```question
id = "reply"
kind = "predict"
prompt = "What does client-2's first SET NX return?"
model_answer = "nil: the key exists."
at = "client-2 receive 1st"
ask = "reply"
options = ["OK", "(nil)"]
```

```question
id = "tries"
kind = "numeric"
prompt = "How many SETs does client-2 send?"
model_answer = "One per try."
count = "client-2 send text=\"SET\""
```

```question
id = "retries"
kind = "numeric"
prompt = "How many times does client-2 try again?"
model_answer = "Every SET after its first."
metric = "retries(client-2 send text=\"SET\")"
```

```question
id = "when"
kind = "order"
prompt = "Order these."
model_answer = "Kill first, then the failed tries."
items = [
  { label = "client-2 gives up", at = "client-2 finish" },
  { label = "client-1 is killed", at = "client-1 crash" },
]
```

```question
id = "why"
kind = "explain"
prompt = "Why is SET NX PX better?"
model_answer = "One command: the key never exists without its TTL."
rubric = ["one atomic command", "the key always has a TTL"]
```

```question
id = "fixit"
kind = "fix"
prompt = "Make client-1 take the lock so that a crash cannot keep it forever."
model_answer = "SET NX PX: the key and its expiry are created together."
client = "client-1"
model = '''
local lock = require("lock")
local id = uuid()
if lock.acquire("lock:report", id, 1000) then
  enter("report")
  leave("report")
  lock.release("lock:report", id)
end
'''
```
"#;

fn naive() -> (Lesson, lockstep_sim::Trace) {
    let lesson = Lesson::parse(NAIVE).unwrap();
    let trace = lesson.run(None).unwrap();
    (lesson, trace)
}

fn question<'l>(lesson: &'l Lesson, id: &str) -> &'l Question {
    lesson.questions.iter().find(|q| q.id == id).unwrap()
}

fn answer(lesson: &Lesson, trace: &lockstep_sim::Trace, id: &str, text: &str) -> Graded {
    let q = question(lesson, id);
    grade(q, trace, &read_response(q, text).unwrap()).unwrap()
}

#[test]
fn choice_right_passes_wrong_gets_the_authors_feedback() {
    let (lesson, trace) = naive();
    let right = answer(&lesson, &trace, "pick", "a");
    assert!(right.passed);
    assert_eq!(right.feedback, vec!["A: Right: EXPIRE never ran."]);
    let wrong = answer(&lesson, &trace, "pick", "B");
    assert!(!wrong.passed);
    assert!(wrong.feedback[0].contains("Redis answered every SET."));
    assert!(
        wrong.feedback[1].contains("also right"),
        "{:?}",
        wrong.feedback
    );
    assert!(read_response(question(&lesson, "pick"), "Z").is_err());
}

#[test]
fn predict_is_graded_against_the_run() {
    let (lesson, trace) = naive();
    let q = question(&lesson, "reply");
    let right = predicted(&q.body, &trace).unwrap();
    assert!(answer(&lesson, &trace, "reply", &right).passed);
    // The option letter and the spelling "nil" both mean the same reply.
    let letter_of_right = if normalise(&right) == "ok" { "A" } else { "B" };
    assert!(answer(&lesson, &trace, "reply", letter_of_right).passed);
    let wrong_text = if normalise(&right) == "ok" {
        "nil"
    } else {
        "OK"
    };
    let wrong = answer(&lesson, &trace, "reply", wrong_text);
    assert!(!wrong.passed);
    assert!(wrong.feedback[0].contains(&right), "{:?}", wrong.feedback);
}

#[test]
fn numeric_counts_from_the_run() {
    let (lesson, trace) = naive();
    let sends = trace
        .events
        .iter()
        .filter(|e| {
            e.actor == "client-2"
                && matches!(&e.what, lockstep_sim::trace::What::Send { text, .. } if text.contains("SET"))
        })
        .count();
    assert!(sends > 1);
    assert!(answer(&lesson, &trace, "tries", &sends.to_string()).passed);
    let wrong = answer(&lesson, &trace, "tries", &(sends + 1).to_string());
    assert!(!wrong.passed);
    assert!(wrong.feedback[0].contains(&format!("the run shows {sends}")));
    // The same count through the metric language: the tries after the first.
    assert!(answer(&lesson, &trace, "retries", &(sends - 1).to_string()).passed);
    assert!(!answer(&lesson, &trace, "retries", &sends.to_string()).passed);
}

#[test]
fn a_numeric_metric_with_a_mistake_is_refused_with_the_reason() {
    let text = NAIVE.replace(
        "metric = \"retries(client-2 send text=\\\"SET\\\")\"",
        "metric = \"median(latency)\"",
    );
    assert_ne!(text, NAIVE, "the lesson text has the metric question");
    let error = crate::lesson::Lesson::parse(&text).expect_err("an unknown function");
    assert!(
        format!("{error:?}").contains("unknown function `median`"),
        "{error:?}"
    );
}

#[test]
fn order_is_keyed_by_the_trace() {
    let (lesson, trace) = naive();
    let q = question(&lesson, "when");
    let right: String = true_order(&q.body, &trace)
        .unwrap()
        .iter()
        .map(|&i| letter(i))
        .collect::<Vec<_>>()
        .iter()
        .map(|c| format!("{c} "))
        .collect();
    assert!(answer(&lesson, &trace, "when", &right).passed);
    let reversed: String = right.split_whitespace().rev().collect::<Vec<_>>().join(",");
    assert!(!answer(&lesson, &trace, "when", &reversed).passed);
}

#[test]
fn explain_passes_only_with_every_point_ticked() {
    let (lesson, trace) = naive();
    let q = question(&lesson, "why");
    let all = Response::Explain {
        text: "one command".into(),
        ticked: vec![0, 1],
    };
    let g = grade(q, &trace, &all).unwrap();
    assert!(g.passed);
    assert_eq!(g.model_answer, q.model_answer);
    let some = Response::Explain {
        text: "one command".into(),
        ticked: vec![0],
    };
    let g = grade(q, &trace, &some).unwrap();
    assert!(!g.passed);
    assert_eq!(g.feedback, vec!["Missing: the key always has a TTL"]);
    let empty = Response::Explain {
        text: " ".into(),
        ticked: vec![0, 1],
    };
    assert!(!grade(q, &trace, &empty).unwrap().passed);
}

#[test]
fn fix_start_fails_and_model_passes() {
    let (lesson, _) = naive();
    let q = question(&lesson, "fixit");
    let Body::Fix(fix) = &q.body else { panic!() };
    let start = fix_start(&lesson, fix).unwrap();
    let failing = grade_fix(&lesson, q, &start, None).unwrap();
    assert!(!failing.passed);
    assert!(failing.feedback[0].starts_with("Not yet"), "{failing:?}");
    let passing = grade_fix(&lesson, q, &fix.model, None).unwrap();
    assert!(passing.passed, "{passing:?}");
    let broken = grade_fix(&lesson, q, "this is not lua", None).unwrap();
    assert!(!broken.passed);
}

#[test]
fn a_wrong_kind_of_answer_is_an_error_not_a_panic() {
    let (lesson, trace) = naive();
    let q = question(&lesson, "pick");
    assert!(grade(q, &trace, &Response::Number(1.0)).is_err());
}

#[test]
fn the_whole_lesson_checks_clean() {
    let lesson = Lesson::parse(NAIVE).unwrap();
    let report = crate::lesson::check::check(&lesson);
    assert_eq!(report.problems, vec![]);
    assert_eq!(report.questions, 7);
    assert_eq!(report.fixes, 1);
}

#[test]
fn a_stated_answer_that_disagrees_with_the_run_is_an_error() {
    let text = NAIVE.replace(
        "ask = \"reply\"\noptions = [\"OK\", \"(nil)\"]",
        "ask = \"reply\"\nanswer = \"OK\"",
    );
    let lesson = Lesson::parse(&text).unwrap();
    let report = crate::lesson::check::check(&lesson);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0]
        .message
        .contains("the lesson says the answer is OK, but the run shows"));
    let line = text
        .lines()
        .position(|l| l.contains("id = \"reply\""))
        .unwrap();
    assert_eq!(report.problems[0].line, line, "the fence's line");
}

#[test]
fn an_anchor_that_matches_nothing_names_its_line() {
    let text = NAIVE.replace(
        "at = \"client-2 receive 1st\"",
        "at = \"client-2 receive 99th\"",
    );
    let lesson = Lesson::parse(&text).unwrap();
    let report = crate::lesson::check::check(&lesson);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].message.contains("matches no event"));
}
