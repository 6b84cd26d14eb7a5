//! Grading: plain functions from a question, the run and the learner's
//! response to a verdict with feedback. No clock, no threads, no files, so
//! the web app calls the same code natively and in wasm.
//!
//! Predict, numeric and order keys are computed from the trace each time,
//! never stored, so the same question can be asked of another seed.

use std::collections::BTreeMap;

use lockstep_sim::explore::grade::{judge, start as explore_start, Edit, Searched, Started};
use lockstep_sim::explore::{Budget, Explorer, Finding, Share};
use lockstep_sim::Trace;

use super::facts;
use super::question::{Ask, Body, Fix, Query, Question};
use super::Lesson;

/// What the learner answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    /// Indexes (0-based) of the options picked.
    Choice(Vec<usize>),
    /// A predicted reply, holder or value.
    Text(String),
    Number(f64),
    /// Item indexes (0-based) in the order the learner says they happened.
    Order(Vec<usize>),
    /// The learner's edited program or library.
    Program(String),
    /// Free text and the rubric points (0-based) the learner ticked.
    Explain {
        text: String,
        ticked: Vec<usize>,
    },
}

/// The verdict on one response.
#[derive(Clone, Debug, PartialEq)]
pub struct Graded {
    pub passed: bool,
    /// What the author wrote for the options picked, or what was wrong.
    pub feedback: Vec<String>,
    /// The right answer in words (computed from the run where it can be).
    pub answer: String,
    pub model_answer: String,
}

/// Letters for options and items: A, B, C, ...
pub fn letter(index: usize) -> char {
    (b'A' + (index % 26) as u8) as char
}

/// Reads what a learner typed (or an answers file holds) for `question`.
pub fn read_response(question: &Question, text: &str) -> Result<Response, String> {
    let letters = |text: &str, count: usize| -> Result<Vec<usize>, String> {
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut chars = w.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if c.is_ascii_alphabetic() => {
                        let i = (c.to_ascii_uppercase() as u8 - b'A') as usize;
                        if i < count {
                            Ok(i)
                        } else {
                            Err(format!("there is no option {}", c.to_ascii_uppercase()))
                        }
                    }
                    _ => Err(format!("answer with letters (A, B, …), not `{w}`")),
                }
            })
            .collect()
    };
    match &question.body {
        Body::Choice { options, .. } => letters(text, options.len()).map(Response::Choice),
        Body::Order { items } => letters(text, items.len()).map(Response::Order),
        Body::Predict { options, .. } => {
            // A single letter picks one of the options shown.
            let trimmed = text.trim();
            if !options.is_empty() && trimmed.len() == 1 {
                if let Ok(picked) = letters(trimmed, options.len()) {
                    return Ok(Response::Text(options[picked[0]].clone()));
                }
            }
            Ok(Response::Text(trimmed.to_string()))
        }
        Body::Numeric { .. } => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Response::Number)
            .ok_or_else(|| format!("`{}` is not a number", text.trim())),
        Body::Fix(_) => Ok(Response::Program(text.to_string())),
        Body::Explain { .. } => Ok(Response::Explain {
            text: text.to_string(),
            ticked: Vec::new(),
        }),
    }
}

/// A reply, holder or value in a comparable form: quotes, `(integer)` and
/// case do not matter; `nil`, `null` and `(nil)` are the same.
pub fn normalise(text: &str) -> String {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_prefix("(integer)").map(str::trim).unwrap_or(&t);
    let t = t.trim_matches('"');
    match t {
        "nil" | "(nil)" | "null" | "false" | "" => "(nil)".to_string(),
        other => {
            // Holder lists: "client-2 and client-1" = "client-1, client-2".
            let mut names: Vec<&str> = other
                .split([',', '&'])
                .flat_map(|p| p.split(" and "))
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            names.sort_unstable();
            names.join(", ")
        }
    }
}

/// The answer to a predict question, computed from the run.
pub fn predicted(body: &Body, trace: &Trace) -> Result<String, String> {
    let Body::Predict { at, ask, .. } = body else {
        return Err("not a predict question".into());
    };
    let event = at.find(trace)?;
    match ask {
        Ask::Reply => facts::reply(event, trace).ok_or_else(|| {
            format!(
                "`{at}` is a {} event, which shows no reply",
                facts::kind(&event.what)
            )
        }),
        Ask::Holder { section } => {
            let holders = facts::holders(trace, event.seq, section);
            Ok(if holders.is_empty() {
                "nobody".to_string()
            } else {
                holders.join(", ")
            })
        }
        Ask::Value { node, key } => {
            let node = if node.is_empty() {
                trace
                    .actors
                    .first()
                    .map(|a| a.name.clone())
                    .unwrap_or_default()
            } else {
                node.clone()
            };
            Ok(facts::value(trace, event.seq, &node, key).unwrap_or_else(|| "(nil)".into()))
        }
    }
}

/// The number a numeric question reads from the run.
pub fn counted(query: &Query, trace: &Trace) -> Result<f64, String> {
    let ms = |us: u64| us as f64 / 1000.0;
    match query {
        Query::Count(selector) => Ok(selector.all(trace).len() as f64),
        Query::AtMs(selector) => Ok(ms(selector.find(trace)?.t_us)),
        Query::MsBetween(a, b) => {
            let (a, b) = (a.find(trace)?, b.find(trace)?);
            Ok(ms(b.t_us) - ms(a.t_us))
        }
        Query::Metric(metric) => metric
            .value(trace)
            .ok_or_else(|| format!("{} has nothing to measure in this run", metric.source)),
    }
}

/// Item indexes in the order their events happened.
pub fn true_order(body: &Body, trace: &Trace) -> Result<Vec<usize>, String> {
    let Body::Order { items } = body else {
        return Err("not an order question".into());
    };
    let mut seqs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        seqs.push((item.at.find(trace)?.seq, i));
    }
    seqs.sort_unstable();
    if let Some(pair) = seqs.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!(
            "items {} and {} are the same event",
            letter(pair[0].1),
            letter(pair[1].1)
        ));
    }
    Ok(seqs.into_iter().map(|(_, i)| i).collect())
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n:.3}")
    }
}

/// Grades every kind but "fix it" (which runs the explorer: [`grade_fix`]).
pub fn grade(question: &Question, trace: &Trace, response: &Response) -> Result<Graded, String> {
    let mut graded = Graded {
        passed: false,
        feedback: Vec::new(),
        answer: String::new(),
        model_answer: question.model_answer.clone(),
    };
    match (&question.body, response) {
        (Body::Choice { options, .. }, Response::Choice(picked)) => {
            let right: Vec<usize> = (0..options.len()).filter(|&i| options[i].correct).collect();
            let mut picked = picked.clone();
            picked.sort_unstable();
            picked.dedup();
            graded.passed = picked == right;
            for &i in &picked {
                if let Some(option) = options.get(i) {
                    graded
                        .feedback
                        .push(format!("{}: {}", letter(i), option.feedback));
                }
            }
            for &i in right.iter().filter(|i| !picked.contains(i)) {
                graded.feedback.push(format!(
                    "{} (also right): {}",
                    letter(i),
                    options[i].feedback
                ));
            }
            graded.answer = right
                .iter()
                .map(|&i| format!("{}) {}", letter(i), options[i].text))
                .collect::<Vec<_>>()
                .join("; ");
        }
        (body @ Body::Predict { .. }, Response::Text(text)) => {
            let right = predicted(body, trace)?;
            graded.passed = normalise(text) == normalise(&right);
            if !graded.passed {
                graded
                    .feedback
                    .push(format!("You said {}; the run shows {right}.", text.trim()));
            }
            graded.answer = right;
        }
        (
            Body::Numeric {
                query,
                tolerance,
                unit,
                ..
            },
            Response::Number(n),
        ) => {
            let right = counted(query, trace)?;
            graded.passed = (n - right).abs() <= *tolerance;
            let unit = if unit.is_empty() {
                String::new()
            } else {
                format!(" {unit}")
            };
            if !graded.passed {
                graded.feedback.push(format!(
                    "You said {}{unit}; the run shows {}{unit}.",
                    format_number(*n),
                    format_number(right)
                ));
            }
            graded.answer = format!("{}{unit}", format_number(right));
        }
        (body @ Body::Order { items }, Response::Order(claimed)) => {
            let right = true_order(body, trace)?;
            graded.passed = claimed == &right;
            if !graded.passed {
                graded.feedback.push(if claimed.len() != items.len() {
                    format!("Put all {} items in order.", items.len())
                } else {
                    "Not quite: compare your order with the run's.".to_string()
                });
            }
            graded.answer = right
                .iter()
                .map(|&i| format!("{}) {}", letter(i), items[i].label))
                .collect::<Vec<_>>()
                .join(" → ");
        }
        (Body::Explain { rubric }, Response::Explain { text, ticked }) => {
            let missing: Vec<&String> = rubric
                .iter()
                .enumerate()
                .filter(|(i, _)| !ticked.contains(i))
                .map(|(_, p)| p)
                .collect();
            graded.passed = !text.trim().is_empty() && missing.is_empty();
            if text.trim().is_empty() {
                graded
                    .feedback
                    .push("Write your answer first, then tick what it covered.".into());
            }
            for point in missing {
                graded.feedback.push(format!("Missing: {point}"));
            }
            graded.answer = rubric.join("; ");
        }
        (Body::Fix(_), _) => return Err("a fix is graded by running it: use grade_fix".into()),
        (_, response) => {
            return Err(format!(
                "a {} question cannot take this answer ({response:?})",
                question.kind()
            ))
        }
    }
    Ok(graded)
}

/// The starting code of a fix: its `start`, or the client's lua block.
pub fn fix_start(lesson: &Lesson, fix: &Fix) -> Option<String> {
    fix.start.clone().or_else(|| {
        fix.client.as_ref().and_then(|client| {
            lesson
                .programs
                .iter()
                .find(|p| &p.client == client)
                .map(|p| p.source.clone())
        })
    })
}

/// Grades a "fix it": `source` replaces the client's program (or the
/// library), and it passes when the fault-free run does the work and the
/// explorer finds no violation within the budget.
pub fn grade_fix(
    lesson: &Lesson,
    question: &Question,
    source: &str,
    seed: Option<u64>,
) -> Result<Graded, String> {
    grade_fix_with_run(lesson, question, source, seed).map(|(graded, _)| graded)
}

/// [`grade_fix`], with the run that breaks a failing answer: the
/// explorer's counterexample, or the fault-free run when that already
/// fails (a page shows it in the timeline).
pub fn grade_fix_with_run(
    lesson: &Lesson,
    question: &Question,
    source: &str,
    seed: Option<u64>,
) -> Result<(Graded, Option<Trace>), String> {
    let explorer = match start_fix(lesson, question, source, seed, Share::WHOLE)? {
        FixStart::Decided(graded, run) => return Ok((graded, run.map(|run| *run))),
        FixStart::Search(explorer) => explorer,
    };
    Ok(match explorer.run(100, |_| true) {
        Finding::Violation(c) => fix_verdict(
            question,
            Searched::Broke { faults: &c.faults },
            Some(c.trace),
        ),
        Finding::NoViolation(coverage) => fix_verdict(
            question,
            Searched::Held {
                statement: &coverage.statement(),
                cancelled: coverage.cancelled,
            },
            None,
        ),
    })
}

/// How one share of grading a fix starts.
pub enum FixStart {
    /// Graded before any search: Lua cannot read the code, the client
    /// stops with an error, or the fault-free run already fails (every
    /// share answers the same), with the run that shows it.
    Decided(Graded, Option<Box<Trace>>),
    /// This share's search, for a worker to step.
    Search(Box<Explorer>),
}

/// Starts share `share` of grading a "fix it": `source` replaces the
/// client's program (or the library); the answers the fault-free run
/// already settles come back decided, otherwise the explorer's share.
pub fn start_fix(
    lesson: &Lesson,
    question: &Question,
    source: &str,
    seed: Option<u64>,
    share: Share,
) -> Result<FixStart, String> {
    let Body::Fix(fix) = &question.body else {
        return Err("not a fix question".into());
    };
    let scenario = lesson
        .scenario(&fix.scenario, &BTreeMap::new())
        .map_err(|e| e.message)?;
    let mut budget: Budget = scenario.explore.clone().unwrap_or_default();
    budget.apply_overrides(&fix.budget)?;
    let edit = match (&fix.client, &fix.library) {
        (Some(client), _) => Edit::Program {
            client: client.clone(),
            source: source.to_string(),
        },
        (None, Some(name)) => Edit::Library {
            name: name.clone(),
            source: source.to_string(),
        },
        (None, None) => return Err("fix: neither client nor library".into()),
    };
    let seed = seed.unwrap_or(scenario.seed);
    if let Err(e) = lockstep_lua::mlua::Lua::new()
        .load(source)
        .set_name("=your code")
        .into_function()
    {
        let feedback = format!("Not yet: Lua cannot read it: {e}");
        return Ok(FixStart::Decided(not_yet(question, fix, feedback), None));
    }
    let (baseline, started) = match explore_start(&scenario, &[edit], budget, seed, share)? {
        Started::Failed(grade) => {
            let failed = not_yet(question, fix, grade.summary);
            (grade.baseline, FixStart::Decided(failed, None))
        }
        Started::Search(explorer) => (explorer.baseline().clone(), FixStart::Search(explorer)),
    };
    // A program that stops on an error has not done its job, even when the
    // scenario's liveness check does not name it.
    if let Some(client) = &fix.client {
        let raised = baseline.events.iter().find_map(|e| match &e.what {
            lockstep_sim::trace::What::Finish {
                error: Some(error), ..
            } if &e.actor == client => Some(error.clone()),
            _ => None,
        });
        if let Some(error) = raised {
            let feedback =
                format!("Not yet: with no faults at all, {client} stops with an error: {error}");
            return Ok(FixStart::Decided(
                not_yet(question, fix, feedback),
                Some(Box::new(baseline)),
            ));
        }
    }
    Ok(match started {
        FixStart::Decided(graded, _) => FixStart::Decided(graded, Some(Box::new(baseline))),
        search => search,
    })
}

/// The grade of a fix whose search answered `searched` (its shares
/// merged), with the run that breaks it when it broke.
pub fn fix_verdict(
    question: &Question,
    searched: Searched,
    breaking: Option<Trace>,
) -> (Graded, Option<Trace>) {
    let (passed, summary) = judge(searched);
    let model = match &question.body {
        Body::Fix(fix) => fix.model.clone(),
        _ => String::new(),
    };
    let graded = Graded {
        passed,
        feedback: vec![summary],
        answer: model,
        model_answer: question.model_answer.clone(),
    };
    let breaking = match searched {
        Searched::Broke { .. } => breaking,
        Searched::Held { .. } => None,
    };
    (graded, breaking)
}

fn not_yet(question: &Question, fix: &Fix, feedback: String) -> Graded {
    Graded {
        passed: false,
        feedback: vec![feedback],
        answer: fix.model.clone(),
        model_answer: question.model_answer.clone(),
    }
}

#[cfg(test)]
mod tests;
