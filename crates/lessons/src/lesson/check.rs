//! Checking a lesson by running it: every anchor must match an event,
//! every computed answer must come out of the run (and agree with what the
//! author wrote), every "fix it" must fail as given and pass with its model
//! answer, every myth transcript must read as the model replies, and every
//! interview follow-up's variation must end as the lesson says.

use std::collections::BTreeMap;

use super::grade::{self, letter, normalise};
use super::question::Body;
use super::{facts, myth, Lesson, LessonError};

/// What checking one lesson found, and what it ran.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub problems: Vec<LessonError>,
    pub notes: usize,
    pub questions: usize,
    pub fixes: usize,
    pub myth_commands: usize,
    pub follow_ups: usize,
}

/// Checks `lesson`; an empty `problems` means it is sound.
pub fn check(lesson: &Lesson) -> Report {
    let mut report = Report::default();
    let trace = match lesson.run(None) {
        Ok(trace) => trace,
        Err(e) => {
            report.problems.push(e);
            return report;
        }
    };
    let mut problem = |line: usize, message: String| {
        report.problems.push(LessonError::at(line, message));
    };
    for note in &lesson.notes {
        if let Err(m) = note.at.find(&trace) {
            problem(note.line, format!("note: {m}"));
        }
    }
    for table in &lesson.tables {
        for (row, values) in table.rows.iter().zip(table.values(&trace)) {
            for (column, value) in table.columns.iter().zip(values) {
                if value.is_none() {
                    problem(
                        table.line,
                        format!(
                            "metrics: `{}` has nothing to measure in the run (row {row}, column {})",
                            column.metric.replace("{row}", row),
                            column.title
                        ),
                    );
                }
            }
        }
    }
    for q in &lesson.questions {
        let at = |m: String| format!("question `{}`: {m}", q.id);
        match &q.body {
            body @ Body::Predict {
                options, answer, ..
            } => match grade::predicted(body, &trace) {
                Err(m) => problem(q.line, at(m)),
                Ok(right) => {
                    if let Some(stated) = answer {
                        if normalise(stated) != normalise(&right) {
                            problem(
                                q.line,
                                at(format!(
                                    "the lesson says the answer is {stated}, but the run shows {right}"
                                )),
                            );
                        }
                    }
                    if !options.is_empty()
                        && !options.iter().any(|o| normalise(o) == normalise(&right))
                    {
                        problem(
                            q.line,
                            at(format!(
                                "none of the options is what the run shows ({right})"
                            )),
                        );
                    }
                }
            },
            Body::Numeric {
                query,
                tolerance,
                answer,
                ..
            } => match grade::counted(query, &trace) {
                Err(m) => problem(q.line, at(m)),
                Ok(right) => {
                    if let Some(stated) = answer {
                        if (stated - right).abs() > *tolerance {
                            problem(
                                q.line,
                                at(format!(
                                    "the lesson says the answer is {stated}, but the run shows {right}"
                                )),
                            );
                        }
                    }
                }
            },
            body @ Body::Order { items } => match grade::true_order(body, &trace) {
                Err(m) => problem(q.line, at(m)),
                Ok(right) => {
                    if right == (0..items.len()).collect::<Vec<_>>() {
                        problem(
                            q.line,
                            at(format!(
                                "the items are listed in the order they happened ({}): \
                                 shuffle them, or the question answers itself",
                                right.iter().map(|&i| letter(i)).collect::<String>()
                            )),
                        );
                    }
                }
            },
            Body::Fix(fix) => {
                report.fixes += 1;
                match grade::fix_start(lesson, fix) {
                    None => problem(
                        q.line,
                        at(
                            "there is no starting code: give `start` or a ```lua block for the \
                            client"
                                .into(),
                        ),
                    ),
                    Some(start) => match grade::grade_fix(lesson, q, &start, None) {
                        Err(m) => problem(q.line, at(m)),
                        Ok(g) if g.passed => problem(
                            q.line,
                            at(format!(
                                "the starting code already passes, so there is nothing to fix: {}",
                                g.feedback.join(" ")
                            )),
                        ),
                        Ok(_) => {}
                    },
                }
                match grade::grade_fix(lesson, q, &fix.model, None) {
                    Err(m) => problem(q.line, at(m)),
                    Ok(g) if !g.passed => problem(
                        q.line,
                        at(format!(
                            "the model answer does not pass: {}",
                            g.feedback.join(" ")
                        )),
                    ),
                    Ok(_) => {}
                }
            }
            Body::Choice { .. } | Body::Explain { .. } => {}
        }
    }
    for m in &lesson.myths {
        report.myth_commands += m.steps.len();
        for bad in myth::replay(m) {
            report.problems.push(LessonError::at(
                bad.line,
                format!(
                    "myth transcript: `{}` is written as\n    {}\n  but the model replies\n    {}",
                    bad.command,
                    bad.written.replace('\n', "\n    "),
                    bad.model.replace('\n', "\n    ")
                ),
            ));
        }
    }
    if let Some(interview) = &lesson.interview {
        for f in &interview.follow_ups {
            report.follow_ups += 1;
            let line = interview.line;
            let scenario = match lesson.scenario(&f.scenario, &f.change) {
                Ok(s) => s,
                Err(e) => {
                    report.problems.push(LessonError::at(
                        line,
                        format!("follow-up \"{}\": {}", f.ask, e.message),
                    ));
                    continue;
                }
            };
            let run = match lockstep_sim::run(&scenario, scenario.seed) {
                Ok(t) => t,
                Err(m) => {
                    report.problems.push(LessonError::at(
                        line,
                        format!("follow-up \"{}\": {m}", f.ask),
                    ));
                    continue;
                }
            };
            let verdicts: BTreeMap<String, bool> = facts::verdicts(&run).into_iter().collect();
            for (name, expected) in &f.expect {
                let message = match verdicts.get(name) {
                    None => Some(format!(
                        "no verdict named `{name}` (verdicts: {})",
                        verdicts.keys().cloned().collect::<Vec<_>>().join(", ")
                    )),
                    Some(held) if held != expected => Some(format!(
                        "the lesson says `{name}` {}, but in the run it {}",
                        if *expected { "holds" } else { "breaks" },
                        if *held { "holds" } else { "breaks" }
                    )),
                    Some(_) => None,
                };
                if let Some(m) = message {
                    report.problems.push(LessonError::at(
                        line,
                        format!("follow-up \"{}\": {m}", f.ask),
                    ));
                }
            }
        }
    }
    report.notes = lesson.notes.len();
    report.questions = lesson.questions.len();
    report
}
