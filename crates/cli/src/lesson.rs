//! `lockstep lesson FILE [--answers FILE] [--seed N]`: plays a lesson in
//! the terminal. The article and its programs, the timeline with the notes
//! at their events, then each question asked and graded — typed in, or
//! read from an answers file (the learner's inputs, never the keys) — the
//! myths, and the interview walk-through with its follow-ups run. The exit
//! status is 0 when every answer passed.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use lockstep_lessons::lesson::facts;
use lockstep_lessons::lesson::grade::{self, letter, Graded, Response};
use lockstep_lessons::lesson::{Body, Lesson, Piece, Question};
use lockstep_sim::Trace;

struct Args {
    file: String,
    answers: Option<String>,
    seed: Option<u64>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut file = None;
    let mut answers = None;
    let mut seed = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--answers" => answers = Some(rest.next().ok_or("--answers wants a file")?.clone()),
            "--seed" => {
                let v = rest.next().ok_or("--seed wants a number")?;
                seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed wants a whole number ≥ 0, got '{v}'"))?,
                );
            }
            flag if flag.starts_with('-') => return Err(format!("unexpected option '{flag}'")),
            path if file.is_none() => file = Some(path.to_string()),
            extra => return Err(format!("unexpected argument '{extra}'")),
        }
    }
    Ok(Args {
        file: file.ok_or("no lesson file given")?,
        answers,
        seed,
    })
}

/// Where answers come from.
enum Source {
    Terminal(std::io::StdinLock<'static>),
    File(toml::Table),
}

impl Source {
    /// One line typed; `None` at the end of input.
    fn line(&mut self, prompt: &str) -> Option<String> {
        let Source::Terminal(stdin) = self else {
            return None;
        };
        print!("{prompt}");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match stdin.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
        }
    }

    /// Lines typed until one holding only `end` (or the end of input).
    fn lines_until(&mut self, prompt: &str, end: &str) -> Option<String> {
        println!("{prompt}");
        let mut text = String::new();
        loop {
            match self.line("") {
                None if text.is_empty() => return None,
                None => return Some(text),
                Some(l) if l.trim() == end => return Some(text),
                Some(l) => {
                    text.push_str(&l);
                    text.push('\n');
                }
            }
        }
    }
}

/// The response to `q`, typed or from the answers file; `Err` says why
/// there is none.
fn response(q: &Question, source: &mut Source) -> Result<Response, String> {
    if let Source::File(table) = source {
        let value = table
            .get(&q.id)
            .ok_or_else(|| format!("the answers file has no `{}`", q.id))?;
        return match (value, &q.body) {
            (toml::Value::Table(t), Body::Explain { .. }) => {
                let text = t.get("text").and_then(|v| v.as_str()).unwrap_or_default();
                let ticked = t
                    .get("ticked")
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|n| n.as_integer())
                            .filter(|&n| n >= 1)
                            .map(|n| (n - 1) as usize)
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Response::Explain {
                    text: text.to_string(),
                    ticked,
                })
            }
            (toml::Value::String(s), _) => grade::read_response(q, s),
            (toml::Value::Integer(n), _) => grade::read_response(q, &n.to_string()),
            (toml::Value::Float(n), _) => grade::read_response(q, &n.to_string()),
            _ => Err(format!("cannot read the answer to `{}`", q.id)),
        };
    }
    loop {
        let typed = match &q.body {
            Body::Fix(_) => source.lines_until(
                "Type your program; end it with a line holding only a dot (.):",
                ".",
            ),
            Body::Explain { rubric } => {
                let text = source.lines_until(
                    "Your answer, in a few sentences; end with an empty line:",
                    "",
                );
                let Some(text) = text else {
                    return Err("no answer".into());
                };
                println!("Which of these did your answer cover?");
                for (i, point) in rubric.iter().enumerate() {
                    println!("  {}. {point}", i + 1);
                }
                let ticks = source
                    .line("Numbers, separated by spaces: ")
                    .unwrap_or_default();
                let ticked = ticks
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter_map(|w| w.parse::<usize>().ok())
                    .filter(|&n| n >= 1)
                    .map(|n| n - 1)
                    .collect();
                return Ok(Response::Explain { text, ticked });
            }
            _ => source.line("> "),
        };
        let Some(typed) = typed else {
            return Err("no answer".into());
        };
        match grade::read_response(q, &typed) {
            Ok(r) => return Ok(r),
            Err(m) => println!("{m}; try again."),
        }
    }
}

fn ask(q: &Question) {
    println!(
        "\n── Question {} ({}) ──\n{}",
        q.id,
        q.kind(),
        q.prompt.trim()
    );
    match &q.body {
        Body::Choice { options, multiple } => {
            for (i, o) in options.iter().enumerate() {
                println!("  {}) {}", letter(i), o.text);
            }
            if *multiple {
                println!("(pick every right one: letters separated by commas)");
            }
        }
        Body::Predict { options, .. } => {
            for (i, o) in options.iter().enumerate() {
                println!("  {}) {o}", letter(i));
            }
        }
        Body::Order { items } => {
            for (i, item) in items.iter().enumerate() {
                println!("  {}) {}", letter(i), item.label);
            }
            println!("(letters, first to last)");
        }
        Body::Numeric { unit, .. } if !unit.is_empty() => println!("(in {unit})"),
        _ => {}
    }
}

fn show(graded: &Graded) {
    println!(
        "{}",
        if graded.passed {
            "✓ right"
        } else {
            "✗ not yet"
        }
    );
    for f in &graded.feedback {
        println!("  {f}");
    }
    if !graded.passed {
        println!("  The answer: {}", graded.answer.trim());
    }
    println!("  Model answer: {}", graded.model_answer.trim());
}

/// The timeline, one line per event, with each note under its event.
fn timeline(lesson: &Lesson, trace: &Trace) -> String {
    let mut notes: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
    for note in &lesson.notes {
        if let Ok(e) = note.at.find(trace) {
            notes.entry(e.seq).or_default().push(&note.text);
        }
    }
    let mut out = String::new();
    for e in &trace.events {
        let kind = facts::kind(&e.what);
        if matches!(kind, "sleep" | "sync" | "persist") && !notes.contains_key(&e.seq) {
            continue;
        }
        let text = facts::text(&e.what);
        out.push_str(&format!(
            "{:>10.3} ms  #{:<4} {:<10} {kind} {}\n",
            e.t_us as f64 / 1000.0,
            e.seq,
            e.actor,
            text.replace('\n', " ")
        ));
        for note in notes.get(&e.seq).into_iter().flatten() {
            for line in note.lines() {
                out.push_str(&format!("                 ▸ {line}\n"));
            }
        }
    }
    for v in &trace.verdicts {
        out.push_str(&format!(
            "{} {}{}\n",
            if v.held { "HOLDS   " } else { "VIOLATED" },
            v.invariant,
            v.message
                .as_ref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ));
    }
    out
}

pub fn main(args: &[String]) -> ExitCode {
    let args = match parse_args(args) {
        Ok(a) => a,
        Err(m) => return crate::usage_error("lesson", &m),
    };
    let fail = |m: String| {
        eprintln!("lockstep lesson: {m}");
        ExitCode::from(1)
    };
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot read {}: {e}", args.file)),
    };
    let lesson = match Lesson::parse(&text) {
        Ok(l) => l,
        Err(e) => return fail(format!("{}:{}: {}", args.file, e.line, e.message)),
    };
    let mut source = match &args.answers {
        None => Source::Terminal(std::io::stdin().lock()),
        Some(path) => match std::fs::read_to_string(path) {
            Err(e) => return fail(format!("cannot read {path}: {e}")),
            Ok(t) => match t.parse::<toml::Table>() {
                Ok(table) => Source::File(table),
                Err(e) => return fail(format!("{path}: {}", e.message().trim())),
            },
        },
    };
    let trace = match lesson.run(args.seed) {
        Ok(t) => t,
        Err(e) => return fail(format!("{}:{}: {}", args.file, e.line, e.message)),
    };
    let m = &lesson.meta;
    println!("{}\n{}\n", m.title, "═".repeat(m.title.chars().count()));
    println!("{}\n", m.summary);
    println!("The interview question: {}\n", m.interview);
    for piece in &lesson.pieces {
        match piece {
            Piece::Prose(p) => print!("{p}"),
            Piece::Block(b) if b.info.first().is_some_and(|w| w == "lua") => {
                println!("    -- {}", b.info.join(" "));
                for line in b.body.lines() {
                    println!("    {line}");
                }
                println!();
            }
            Piece::Block(_) => {}
        }
    }
    println!(
        "\n── Timeline (seed {}) ──\n{}",
        trace.seed,
        timeline(&lesson, &trace)
    );
    for table in &lesson.tables {
        println!("\n── Side by side ──\n{}", table.render(&trace));
    }
    let mut passed = 0;
    for q in &lesson.questions {
        ask(q);
        let graded = response(q, &mut source).and_then(|r| match (&q.body, r) {
            (Body::Fix(_), Response::Program(p)) => {
                println!("(running the explorer on your program…)");
                grade::grade_fix(&lesson, q, &p, args.seed)
            }
            (_, r) => grade::grade(q, &trace, &r),
        });
        match graded {
            Ok(g) => {
                show(&g);
                passed += usize::from(g.passed);
            }
            Err(m) => println!("✗ {m}"),
        }
    }
    for myth in &lesson.myths {
        println!(
            "\n── Myth ──\n“{}”\n{}",
            myth.claim.trim(),
            myth.truth.trim()
        );
        for step in &myth.steps {
            println!("127.0.0.1:6379> {}\n{}", step.command, step.reply);
        }
    }
    if let Some(interview) = &lesson.interview {
        println!(
            "\n── Interview walk-through ──\n{}",
            interview.question.trim()
        );
        for f in &interview.follow_ups {
            println!("\n  Follow-up: {}", f.ask.trim());
            let verdicts = lesson
                .scenario(&f.scenario, &f.change)
                .map_err(|e| e.message)
                .and_then(|s| Ok(lockstep_sim::run(&s, args.seed.unwrap_or(s.seed))?));
            if let Ok(run) = verdicts {
                for (name, held) in facts::verdicts(&run) {
                    println!("    {} {name}", if held { "holds:" } else { "breaks:" });
                }
            }
            println!("  {}", f.answer.trim());
        }
        println!("\n  What interviewers listen for:");
        for point in &interview.rubric {
            println!("  - {point}");
        }
    }
    let total = lesson.questions.len();
    println!("\n{passed} of {total} answer(s) passed.");
    if passed == total {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
