//! How the lesson player looks: the article with its questions and myths,
//! the run beside it, and the interview walk-through. One function per
//! part, each reading the state and sending [`Act`]s; no state lives here.

use std::collections::BTreeMap;

use lockstep_lessons::lesson::grade::{letter, Response};
use lockstep_lessons::lesson::question::Ask;
use lockstep_lessons::lesson::{Block, Body, Myth, Piece, Question};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::lab::{view_switch, Action, Refs};
use super::lab_view::{view_stepper, view_timeline, view_verdicts, view_world};
use super::markdown_view::view_prose;
use super::picture::RunPicture;
use crate::lab::Lab;
use crate::learn::player::{lua_error_line, Player, QuestionState, Stage, Verdict};

/// Which side of the lesson is on show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Lesson,
    Interview,
}

/// Everything a learner can do in the player.
#[derive(Clone, Debug, PartialEq)]
pub enum Act {
    /// Stepping, through the predict gates.
    Lab(Action),
    /// Go to the first violation (or failed liveness check).
    Violation,
    /// Show the step a question is about.
    ShowAt(usize),
    Answer(usize, Response),
    AnswerText(usize, String),
    ExplainSubmit(usize, String),
    FixDraft(usize, String),
    GradeFix(usize, String),
    CancelFix(usize),
    Mode(Mode),
    InterviewAnswer(String),
    RunFollowUp(usize),
    NextFollowUp(usize),
    TickRubric(usize, bool),
    FinishInterview,
    CopyEmbed,
    WhatIf(super::what_if::WhatIfAct),
    /// Load the run that breaks a fix question's answer into the timeline.
    ShowBreaking(usize),
    /// Back from that run to the lesson's own.
    BackToLesson,
    /// Open a console on this node, the world forked at the step on show.
    ForkConsole(String),
    CloseFork,
}

/// What the views read.
pub struct View<'a> {
    pub lab: &'a Lab,
    pub player: &'a Player,
    pub dispatch: &'a Callback<Act>,
    pub refs: &'a Refs,
    pub embed: bool,
    /// `Some("Redis 7.0")` when this lesson's myth transcripts matched a
    /// real Redis byte for byte.
    pub checked_against: Option<String>,
    pub drafts: &'a BTreeMap<usize, String>,
    pub snippet: Option<String>,
    /// The run as the lab's table rather than its picture (the choice the
    /// lab remembers).
    pub as_table: &'a UseStateHandle<bool>,
    /// The charts the run on show calls for.
    pub charts: &'a [crate::learn::charts::Chart],
    /// The console on a node at a step.
    pub fork: &'a crate::lab::fork::ForkPanel,
}

/// The value of the input or text area with this id.
fn value_of(id: &str) -> String {
    let element = gloo::utils::document().get_element_by_id(id);
    element
        .as_ref()
        .and_then(|e| e.dyn_ref::<HtmlInputElement>().map(|i| i.value()))
        .or_else(|| {
            element
                .as_ref()
                .and_then(|e| e.dyn_ref::<HtmlTextAreaElement>().map(|t| t.value()))
        })
        .unwrap_or_default()
}

fn checked(id: &str) -> bool {
    gloo::utils::document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}

// --- the article -------------------------------------------------------

pub fn view_article(view: &View) -> Html {
    let lesson = &view.player.lesson;
    let mut question = 0;
    let mut myth = 0;
    let mut table = 0;
    let pieces = lesson
        .pieces
        .iter()
        .map(|piece| match piece {
            // The page's header already shows the title.
            Piece::Prose(text) => view_prose(&without_title(text, &lesson.meta.title)),
            Piece::Block(block) => match block.info.first().map(String::as_str) {
                Some("question") => {
                    let i = question;
                    question += 1;
                    lesson
                        .questions
                        .get(i)
                        .map(|q| view_question(view, i, q))
                        .unwrap_or_default()
                }
                Some("myth") => {
                    let i = myth;
                    myth += 1;
                    lesson
                        .myths
                        .get(i)
                        .map(|m| view_myth(view, m))
                        .unwrap_or_default()
                }
                Some("metrics") => {
                    let i = table;
                    table += 1;
                    lesson
                        .tables
                        .get(i)
                        .map(|t| {
                            super::metrics_table::view_metrics_table(
                                t,
                                view.lab.shown().map(|s| &*s.trace),
                                i,
                            )
                        })
                        .unwrap_or_default()
                }
                // Notes show beside the run at their step; the interview
                // has its own tab.
                Some("note") => html! {},
                Some("interview") => html! {
                    <p class="interview-pointer">
                        { "Ready for the interview? " }
                        <button type="button" class="button-quiet"
                                onclick={view.dispatch.reform(|_| Act::Mode(Mode::Interview))}>
                            { "Walk through it in interview mode" }
                        </button>
                    </p>
                },
                _ => view_code(block),
            },
        })
        .collect::<Html>();
    html! { <article class="lesson-article" aria-label="The lesson">{ pieces }</article> }
}

/// The prose with a leading `# Title` line left out when it repeats the
/// lesson's title.
fn without_title(text: &str, title: &str) -> String {
    let trimmed = text.trim_start();
    match trimmed.split_once('\n') {
        Some((first, rest)) if first.trim() == format!("# {title}") => rest.to_string(),
        None if trimmed.trim() == format!("# {title}") => String::new(),
        _ => text.to_string(),
    }
}

fn view_code(block: &Block) -> Html {
    let info: Vec<&str> = block.info.iter().map(String::as_str).collect();
    let caption = match info.as_slice() {
        ["toml", "scenario"] => {
            Some("The scenario on the right, as the simulator reads it".to_string())
        }
        ["toml", "scenario", name] => Some(format!("Scenario \u{201c}{name}\u{201d}")),
        ["lua", client] => Some(format!("{client}'s program")),
        _ => None,
    };
    let code = html! { <pre class="code"><code>{ block.body.clone() }</code></pre> };
    match caption {
        // Scenarios are long and read by few: folded.
        Some(caption) if info.first() == Some(&"toml") => html! {
            <details class="code-fold"><summary>{ caption }</summary>{ code }</details>
        },
        Some(caption) => html! {
            <figure class="code-figure"><figcaption>{ caption }</figcaption>{ code }</figure>
        },
        None => code,
    }
}

fn view_myth(view: &View, myth: &Myth) -> Html {
    let transcript = myth
        .steps
        .iter()
        .map(|s| format!("> {}\n{}", s.command, s.reply))
        .collect::<Vec<_>>()
        .join("\n");
    html! {
        <aside class="myth" aria-label="Myth">
            <p class="myth-claim"><span class="myth-label">{ "Myth" }</span>{ &myth.claim }</p>
            <p class="myth-truth"><span class="myth-label">{ "Truth" }</span>{ &myth.truth }</p>
            <pre class="code transcript"><code>{ transcript }</code></pre>
            if let Some(against) = &view.checked_against {
                <p class="checked" data-testid="myth-checked">
                    { format!("\u{2713} Checked against {against}: every reply above matched a real redis-server byte for byte.") }
                </p>
            }
        </aside>
    }
}

// --- questions ---------------------------------------------------------

fn view_question(view: &View, i: usize, q: &Question) -> Html {
    let state = &view.player.questions[i];
    let kind = q.kind();
    let stopped = view.player.stopped_by == Some(i);
    let body = match &q.body {
        Body::Choice { multiple, options } => view_choice(view, i, *multiple, options, state),
        Body::Predict { options, ask, .. } => view_predict(view, i, options, ask, state),
        Body::Numeric { unit, .. } => view_numeric(view, i, unit, state),
        Body::Order { items } => view_order(view, i, items, state),
        Body::Explain { rubric } => view_explain(view, i, rubric, state),
        Body::Fix(_) => view_fix(view, i, q, state),
    };
    let label = match kind {
        "predict" => "Predict",
        "choice" => "Question",
        "numeric" => "Count it",
        "order" => "Put in order",
        "explain" => "Explain",
        "fix" => "Fix it",
        _ => "Question",
    };
    html! {
        <section class={classes!("question", format!("q-{kind}"), stopped.then_some("stopping"))}
                 id={format!("question-{}", q.id)} data-testid={format!("question-{}", q.id)}
                 aria-label={format!("{label}: {}", q.prompt)}>
            <p class="q-label">{ label }</p>
            <p class="q-prompt">{ &q.prompt }</p>
            if stopped {
                <p class="q-stop" role="status">{ "The run is paused just before this moment: answer to see what happens." }</p>
            }
            { body }
            if let Some(problem) = &state.problem {
                <p class="q-problem" role="alert">{ problem }</p>
            }
            if let Some(verdict) = &state.verdict {
                { view_verdict(&q.id, verdict) }
            }
        </section>
    }
}

fn view_verdict(id: &str, verdict: &Verdict) -> Html {
    html! {
        <div class={classes!("q-verdict", if verdict.passed { "right" } else { "wrong" })}
             role="status" data-testid={format!("verdict-{id}")}>
            <p class="q-verdict-head">{ if verdict.passed { "Right." } else { "Not quite." } }</p>
            { for verdict.feedback.iter().map(|f| html! { <p>{ f }</p> }) }
            if !verdict.answer.is_empty() && !verdict.passed {
                <p><strong>{ "Answer: " }</strong>{ &verdict.answer }</p>
            }
            <p class="q-model"><strong>{ "In an interview: " }</strong>{ &verdict.model_answer }</p>
        </div>
    }
}

fn view_choice(
    view: &View,
    i: usize,
    multiple: bool,
    options: &[lockstep_lessons::lesson::question::ChoiceOption],
    state: &QuestionState,
) -> Html {
    let kind = if multiple { "checkbox" } else { "radio" };
    let count = options.len();
    let check = view.dispatch.reform(move |_| {
        let picked = (0..count)
            .filter(|j| checked(&format!("q{i}-o{j}")))
            .collect();
        Act::Answer(i, Response::Choice(picked))
    });
    html! {
        <fieldset class="q-options">
            <legend class="visually-hidden">{ "Options" }</legend>
            { for options.iter().enumerate().map(|(j, o)| html! {
                <label class="q-option">
                    <input type={kind} name={format!("q{i}")} id={format!("q{i}-o{j}")} />
                    <span class="q-letter">{ format!("{})", letter(j)) }</span>
                    <span>{ &o.text }</span>
                </label>
            }) }
            <button type="button" class="button-primary" onclick={check}
                    data-testid={format!("check-{i}")}>
                { if state.verdict.is_some() { "Check again" } else { "Check" } }
            </button>
        </fieldset>
    }
}

fn view_predict(
    view: &View,
    i: usize,
    options: &[String],
    ask: &Ask,
    state: &QuestionState,
) -> Html {
    let hint = match ask {
        Ask::Reply => "the reply",
        Ask::Holder { .. } => "who is inside (names, comma-separated, or nobody)",
        Ask::Value { .. } => "the value",
    };
    let gate = view.player.gate(i);
    let answered = state.verdict.is_some();
    let input_id = format!("q{i}-text");
    let submit = {
        let input_id = input_id.clone();
        view.dispatch
            .reform(move |_| Act::AnswerText(i, value_of(&input_id)))
    };
    let onkeydown = {
        let input_id = input_id.clone();
        let dispatch = view.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                dispatch.emit(Act::AnswerText(i, value_of(&input_id)));
            }
        })
    };
    html! {
        <div class="q-predict">
            if !options.is_empty() {
                <div class="q-choices" role="group" aria-label="Pick one">
                    { for options.iter().enumerate().map(|(j, o)| {
                        let text = o.clone();
                        html! {
                            <button type="button" class="q-choice" data-testid={format!("predict-{i}-{j}")}
                                    onclick={view.dispatch.reform(move |_| Act::AnswerText(i, text.clone()))}>
                                { o }
                            </button>
                        }
                    }) }
                </div>
            }
            <div class="q-typed">
                <label class="visually-hidden" for={input_id.clone()}>{ format!("Type {hint}") }</label>
                <input id={input_id} type="text" placeholder={format!("or type {hint}")}
                       {onkeydown} autocomplete="off" />
                <button type="button" class="button-quiet" onclick={submit}>{ "Answer" }</button>
            </div>
            if let (true, Some(step)) = (answered, gate) {
                <button type="button" class="button-quiet show-me" data-testid={format!("show-{i}")}
                        onclick={view.dispatch.reform(move |_| Act::ShowAt(step))}>
                    { format!("Show me what happened (step {step})") }
                </button>
            }
        </div>
    }
}

fn view_numeric(view: &View, i: usize, unit: &str, state: &QuestionState) -> Html {
    let input_id = format!("q{i}-text");
    let submit = {
        let input_id = input_id.clone();
        view.dispatch
            .reform(move |_| Act::AnswerText(i, value_of(&input_id)))
    };
    html! {
        <div class="q-typed">
            <label class="visually-hidden" for={input_id.clone()}>{ "Your number" }</label>
            <input id={input_id} type="text" inputmode="decimal" placeholder="a number" autocomplete="off" />
            if !unit.is_empty() { <span class="q-unit">{ unit }</span> }
            <button type="button" class="button-primary" onclick={submit}>
                { if state.verdict.is_some() { "Check again" } else { "Check" } }
            </button>
        </div>
    }
}

fn view_order(
    view: &View,
    i: usize,
    items: &[lockstep_lessons::lesson::question::OrderItem],
    state: &QuestionState,
) -> Html {
    let input_id = format!("q{i}-text");
    let submit = {
        let input_id = input_id.clone();
        view.dispatch
            .reform(move |_| Act::AnswerText(i, value_of(&input_id)))
    };
    html! {
        <div class="q-order">
            <ul class="q-items">
                { for items.iter().enumerate().map(|(j, item)| html! {
                    <li><span class="q-letter">{ format!("{})", letter(j)) }</span>{ &item.label }</li>
                }) }
            </ul>
            <div class="q-typed">
                <label for={input_id.clone()}>{ "Letters, first to last:" }</label>
                <input id={input_id} type="text" placeholder="e.g. B A D C" autocomplete="off" />
                <button type="button" class="button-primary" onclick={submit}>
                    { if state.verdict.is_some() { "Check again" } else { "Check" } }
                </button>
            </div>
        </div>
    }
}

fn view_explain(view: &View, i: usize, rubric: &[String], state: &QuestionState) -> Html {
    let text_id = format!("q{i}-explain");
    let submit = {
        let text_id = text_id.clone();
        view.dispatch
            .reform(move |_| Act::ExplainSubmit(i, value_of(&text_id)))
    };
    let count = rubric.len();
    let grade = {
        let text_id = text_id.clone();
        view.dispatch.reform(move |_| {
            let ticked = (0..count)
                .filter(|j| checked(&format!("q{i}-r{j}")))
                .collect();
            Act::Answer(
                i,
                Response::Explain {
                    text: value_of(&text_id),
                    ticked,
                },
            )
        })
    };
    html! {
        <div class="q-explain">
            <label class="visually-hidden" for={text_id.clone()}>{ "Your explanation" }</label>
            <textarea id={text_id} rows="4" placeholder="Explain it as you would to an interviewer"
                      readonly={state.explain_submitted} />
            if !state.explain_submitted {
                <button type="button" class="button-primary" onclick={submit}
                        data-testid={format!("explain-submit-{i}")}>{ "Done: show the key points" }</button>
            } else {
                <fieldset class="q-rubric">
                    <legend>{ "Tick each point your answer covered:" }</legend>
                    { for rubric.iter().enumerate().map(|(j, point)| html! {
                        <label class="q-option">
                            <input type="checkbox" id={format!("q{i}-r{j}")} />
                            <span>{ point }</span>
                        </label>
                    }) }
                    <button type="button" class="button-primary" onclick={grade}
                            data-testid={format!("explain-grade-{i}")}>{ "Grade my answer" }</button>
                </fieldset>
            }
        </div>
    }
}

fn view_fix(view: &View, i: usize, q: &Question, state: &QuestionState) -> Html {
    let Body::Fix(fix) = &q.body else {
        return html! {};
    };
    let start = view.drafts.get(&i).cloned().unwrap_or_else(|| {
        lockstep_lessons::lesson::grade::fix_start(&view.player.lesson, fix).unwrap_or_default()
    });
    let text_id = format!("q{i}-fix");
    let lines = start.lines().count().max(1);
    let error_line = state
        .verdict
        .as_ref()
        .filter(|v| !v.passed)
        .and_then(|v| v.feedback.iter().find_map(|f| lua_error_line(f)))
        .or_else(|| state.problem.as_deref().and_then(lua_error_line));
    let oninput = view.dispatch.reform(move |e: InputEvent| {
        Act::FixDraft(i, e.target_unchecked_into::<HtmlTextAreaElement>().value())
    });
    let grade = {
        let text_id = text_id.clone();
        view.dispatch
            .reform(move |_| Act::GradeFix(i, value_of(&text_id)))
    };
    let what = match (&fix.client, &fix.library) {
        (Some(client), _) => format!("{client}'s program"),
        (None, Some(library)) => format!("the {library} library"),
        _ => "the program".into(),
    };
    html! {
        <div class="q-fix">
            <div class="fix-editor">
                <div class="fix-gutter" aria-hidden="true">
                    { for (1..=lines).map(|n| html! {
                        <span class={classes!((error_line == Some(n)).then_some("error-line"))}>{ n }</span>
                    }) }
                </div>
                <div class="fix-layers">
                    { view_highlighted(&start, error_line) }
                    <textarea id={text_id} class="fix-text" spellcheck="false" rows={lines.max(6).to_string()}
                              aria-label={format!("Edit {what} (Lua)")} value={start} {oninput}
                              readonly={state.grading.is_some()} />
                </div>
            </div>
            if let Some(line) = error_line {
                <p class="q-problem" role="alert">{ format!("Lua reports a problem at line {line}.") }</p>
            }
            if state.grading.is_some() {
                <div class="fix-grading" role="status" data-testid={format!("fix-grading-{i}")}>
                    <span class="spinner" aria-hidden="true"></span>
                    { "Grading: the explorer is trying schedules of faults against your code\u{2026}" }
                    <button type="button" class="button-quiet" data-testid={format!("fix-cancel-{i}")}
                            onclick={view.dispatch.reform(move |_| Act::CancelFix(i))}>{ "Cancel" }</button>
                    if let Some(p) = &state.grading_progress {
                        <progress max="1" value={p.fraction.to_string()} aria-label="Schedules tried"
                                  data-testid={format!("fix-progress-{i}")}></progress>
                        <span class="explore-counts">
                            { format!("{} / {} schedules \u{b7} {:.0} schedules/s \u{b7} {}",
                                      p.tried, p.planned, p.per_second, p.phase) }
                        </span>
                    }
                </div>
            } else {
                <button type="button" class="button-primary" onclick={grade}
                        data-testid={format!("fix-grade-{i}")}>{ "Grade it with the explorer" }</button>
            }
            if state.breaking.is_some() && state.grading.is_none() {
                <button type="button" class="button-quiet" data-testid={format!("fix-show-breaking-{i}")}
                        onclick={view.dispatch.reform(move |_| Act::ShowBreaking(i))}>
                    { "Show the run that breaks it" }
                </button>
            }
        </div>
    }
}

/// The program highlighted, drawn under the (transparent) text area so
/// the two line up character for character; the line Lua reports is
/// underlined.
fn view_highlighted(source: &str, error_line: Option<usize>) -> Html {
    let lines = crate::learn::lua_tokens::lines(source);
    let count = lines.len();
    html! {
        <pre class="fix-highlight" aria-hidden="true" data-testid="fix-highlight">
            { for lines.into_iter().enumerate().map(|(k, pieces)| html! {
                <>
                    <span class={classes!("code-line", (error_line == Some(k + 1)).then_some("error-line"))}>
                        { for pieces.into_iter().map(|(kind, text)| html! {
                            <span class={kind.class()}>{ text }</span>
                        }) }
                    </span>
                    { if k + 1 < count { "\n" } else { "" } }
                </>
            }) }
            // A trailing newline needs a line of its own to be drawn.
            { "\n" }
        </pre>
    }
}

// --- the run -----------------------------------------------------------

/// The run beside the article: stepper, the notes reached, the timeline
/// (the lab's, unchanged), the verdicts and the world at the step.
pub fn view_run(view: &View) -> Html {
    let lab = view.lab;
    // The lab's views send the lab's actions; the player passes them
    // through its gates.
    let to_player = view.dispatch.reform(Act::Lab);
    let step = lab.step();
    let notes = view.player.notes_until(step);
    let has_failure = lab
        .shown()
        .and_then(|s| crate::lab::verdicts::first_failure(&s.trace))
        .is_some();
    let stopped = view
        .player
        .stopped_by
        .and_then(|i| view.player.lesson.questions.get(i))
        .map(|q| (q.id.clone(), q.prompt.clone()));
    html! {
        <section class="lesson-run" aria-label="The run">
            if lab.shown().is_none() {
                <p class="run-loading" role="status">
                    <span class="spinner" aria-hidden="true"></span>
                    { lab.editor_error().map_or("Running the lesson's scenario\u{2026}".to_string(), str::to_string) }
                </p>
            }
            { view_stepper(lab, &to_player) }
            <div class="run-tools">
                if has_failure {
                    <button type="button" class="button-quiet" data-testid="to-violation"
                            onclick={view.dispatch.reform(|_| Act::Violation)}>{ "Go to the violation" }</button>
                }
                if !view.embed {
                    <button type="button" class="button-quiet" data-testid="copy-embed"
                            onclick={view.dispatch.reform(|_| Act::CopyEmbed)}>{ "Copy embed snippet" }</button>
                }
            </div>
            if let Some(snippet) = &view.snippet {
                <label class="embed-snippet">
                    <span class="field-label">{ "Paste into a slide (copied if the browser allowed it):" }</span>
                    <textarea readonly=true rows="3" data-testid="embed-snippet" value={snippet.clone()} />
                </label>
            }
            if view.player.showing_breaking.is_some() {
                <div class="source counterexample" role="status" data-testid="breaking-run">
                    <p><strong>{ "Showing the run that breaks your answer" }</strong>
                       { ", as the explorer found it: step to the violation to see how." }</p>
                    <button type="button" class="button-quiet" data-testid="back-to-lesson"
                            onclick={view.dispatch.reform(|_| Act::BackToLesson)}>{ "Back to the lesson's run" }</button>
                </div>
            }
            if let Some((id, prompt)) = stopped {
                <p class="run-stopped" role="status" data-testid="run-stopped">
                    { "Paused for a prediction: " }
                    <a href={format!("#question-{id}")} onclick={jump_to(&format!("question-{id}"))}>{ prompt }</a>
                </p>
            }
            <div class="notes" aria-live="polite" data-testid="notes">
                { for notes.iter().enumerate().map(|(k, n)| html! {
                    <p class={classes!("note", (k == 0 && n.step == step).then_some("current"))}
                       data-step={n.step.to_string()}>
                        <span class="note-step">{ format!("step {}", n.step) }</span>
                        { n.text.clone() }
                    </p>
                }).take(if view.embed { 1 } else { 3 }) }
            </div>
            // The run: the lab's picture or table, with the lab's switch;
            // every step it asks for goes through the player's gates.
            <div class="timeline-area">
                { view_switch(view.as_table) }
                if **view.as_table {
                    { view_timeline(lab, &to_player, view.refs) }
                } else if let Some(shown) = lab.shown() {
                    <RunPicture trace={shown.trace.clone()} step={step}
                                on_step={view.dispatch.reform(|s| Act::Lab(Action::Go(s)))} />
                }
            </div>
            if !view.embed {
                { super::charts::view_charts(view.charts, lab.shown().and_then(|s| s.trace.events.get(step)).map(|e| e.t_us as f64 / 1000.0)) }
            }
            if !view.embed {
                { view_verdicts(lab, &to_player) }
                <details class="world-fold">
                    <summary>{ "The world at this step: keys, TTLs, who holds what" }</summary>
                    { view_world(lab) }
                </details>
                { view_fork(view) }
            }
        </section>
    }
}

/// "Console on NODE at step N" for each node of the run, and the console
/// once the worker has forked the world there.
fn view_fork(view: &View) -> Html {
    let Some(shown) = view.lab.shown() else {
        return html! {};
    };
    // A counterexample's faults are not in the scenario's text: a fork of
    // it would be another run.
    if view.player.showing_breaking.is_some() {
        return html! {};
    }
    let nodes: Vec<String> = shown
        .trace
        .actors
        .iter()
        .filter(|a| a.kind == lockstep_sim::trace::ActorKind::Node)
        .map(|a| a.name.clone())
        .collect();
    let fork = view.fork;
    html! {
        <div class="fork" data-testid="fork">
            <div class="fork-buttons" role="group" aria-label="Open a console on a node at this step">
                { for nodes.into_iter().map(|node| {
                    let name = node.clone();
                    html! {
                        <button type="button" class="button-quiet" data-testid={format!("fork-{node}")}
                                disabled={fork.asked.is_some()}
                                onclick={view.dispatch.reform(move |_| Act::ForkConsole(name.clone()))}>
                            { format!("Console on {node} at step {}", view.lab.step()) }
                        </button>
                    }
                }) }
                if fork.asked.is_some() {
                    <span class="run-loading" role="status"><span class="spinner" aria-hidden="true"></span>{ "Forking the world at this step\u{2026}" }</span>
                }
            </div>
            if let Some(problem) = &fork.problem {
                <p class="q-problem" role="alert">{ problem }</p>
            }
            if let Some(forked) = &fork.forked {
                <div class="fork-console" data-testid="fork-console" data-step={forked.step.to_string()}>
                    <super::console::ConsolePanel key={fork.shown.to_string()} autofocus={true}
                                                  forked={Some(forked.clone())} />
                    <button type="button" class="button-quiet" data-testid="fork-close"
                            onclick={view.dispatch.reform(|_| Act::CloseFork)}>{ "Close the console" }</button>
                </div>
            }
        </div>
    }
}

/// Scrolls to an element without changing the address (which names the step).
fn jump_to(id: &str) -> Callback<MouseEvent> {
    let id = id.to_string();
    Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        if let Some(element) = gloo::utils::document().get_element_by_id(&id) {
            element.scroll_into_view();
        }
    })
}

// --- the interview -----------------------------------------------------

pub fn view_interview(view: &View) -> Html {
    let Some(interview) = view.player.interview.as_ref() else {
        return html! {};
    };
    let Some(source) = view.player.lesson.interview.as_ref() else {
        return html! {};
    };
    let question = html! {
        <div class="iv-step">
            <h2 class="md-h2">{ "The interviewer asks" }</h2>
            <blockquote class="iv-question">{ &source.question }</blockquote>
            <label class="field-label" for="interview-answer">{ "Your answer, as you would say it" }</label>
            <textarea id="interview-answer" rows="6" data-testid="interview-answer"
                      readonly={interview.stage != Stage::Question}
                      value={(interview.stage != Stage::Question).then(|| interview.answer.clone())} />
            if let Some(problem) = &view.player.interview_problem {
                <p class="q-problem" role="alert">{ problem }</p>
            }
            if interview.stage == Stage::Question {
                <button type="button" class="button-primary" data-testid="interview-submit"
                        onclick={view.dispatch.reform(|_| Act::InterviewAnswer(value_of("interview-answer")))}>
                    { "That is my answer" }
                </button>
            }
        </div>
    };
    let reached = |k: usize| match interview.stage {
        Stage::Question => false,
        Stage::FollowUp(at) => k <= at,
        Stage::Rubric | Stage::Done => true,
    };
    let follow_ups = source
        .follow_ups
        .iter()
        .enumerate()
        .filter(|(k, _)| reached(*k))
        .map(|(k, f)| {
            let state = &interview.follow_ups[k];
            let current = interview.stage == Stage::FollowUp(k);
            html! {
                <div class="iv-step" data-testid={format!("follow-up-{k}")}>
                    <h3>{ format!("Follow-up {}", k + 1) }</h3>
                    <blockquote class="iv-question">{ &f.ask }</blockquote>
                    if state.result.is_none() {
                        <textarea rows="3" aria-label="Your answer to the follow-up"
                                  placeholder="Think it through (optional), then run it" />
                        if state.running.is_some() {
                            <p class="run-loading" role="status"><span class="spinner" aria-hidden="true"></span>{ "Running that variation\u{2026}" }</p>
                        } else {
                            <button type="button" class="button-primary" data-testid={format!("follow-up-run-{k}")}
                                    onclick={view.dispatch.reform(move |_| Act::RunFollowUp(k))}>
                                { "Run it and see" }
                            </button>
                        }
                    }
                    if let Some(result) = &state.result {
                        { view_follow_up_result(result) }
                        <p class="iv-answer"><strong>{ "What to say: " }</strong>{ &f.answer }</p>
                        if current {
                            <button type="button" class="button-primary" data-testid={format!("follow-up-next-{k}")}
                                    onclick={view.dispatch.reform(move |_| Act::NextFollowUp(k))}>
                                { if k + 1 < source.follow_ups.len() { "Next follow-up" } else { "On to the rubric" } }
                            </button>
                        }
                    }
                </div>
            }
        })
        .collect::<Html>();
    let rubric = matches!(interview.stage, Stage::Rubric | Stage::Done).then(|| {
        let done = interview.stage == Stage::Done;
        html! {
            <div class="iv-step" data-testid="interview-rubric">
                <h3>{ "What the interviewer listens for" }</h3>
                <fieldset class="q-rubric">
                    <legend>{ "Tick what your answer covered:" }</legend>
                    { for source.rubric.iter().enumerate().map(|(j, point)| {
                        let onchange = view.dispatch.reform(move |e: Event| {
                            Act::TickRubric(j, e.target_unchecked_into::<HtmlInputElement>().checked())
                        });
                        html! {
                            <label class="q-option">
                                <input type="checkbox" checked={interview.ticked[j]} {onchange} disabled={done} />
                                <span>{ point }</span>
                            </label>
                        }
                    }) }
                </fieldset>
                if !done {
                    <button type="button" class="button-primary" data-testid="interview-finish"
                            onclick={view.dispatch.reform(|_| Act::FinishInterview)}>
                        { "Show the model answer" }
                    </button>
                } else {
                    { view_model_answer(view, interview.ticked.iter().filter(|t| **t).count(), source.rubric.len()) }
                }
            </div>
        }
    });
    html! {
        <article class="interview" aria-label="Interview mode" data-testid="interview">
            { question }
            { follow_ups }
            { rubric.unwrap_or_default() }
        </article>
    }
}

fn view_follow_up_result(result: &Result<Vec<crate::learn::player::VerdictCheck>, String>) -> Html {
    match result {
        Err(message) => html! { <p class="q-problem" role="alert">{ message }</p> },
        Ok(checks) => html! {
            <ul class="iv-verdicts" data-testid="follow-up-verdicts">
                { for checks.iter().map(|c| html! {
                    <li class={classes!(if c.held { "held" } else { "violated" })}>
                        <span class={classes!("pill", if c.held { "up" } else { "bad" })}>
                            { if c.held { "held" } else { "VIOLATED" } }
                        </span>
                        <code>{ &c.name }</code>
                        if c.expected.is_some_and(|e| e != c.held) {
                            <span class="iv-unexpected">{ "not what the lesson expects" }</span>
                        }
                    </li>
                }) }
            </ul>
        },
    }
}

/// The model answer: the lesson's own words for its explain questions,
/// which say what a strong candidate says.
fn view_model_answer(view: &View, ticked: usize, total: usize) -> Html {
    let answers: Vec<&str> = view
        .player
        .lesson
        .questions
        .iter()
        .filter(|q| matches!(q.body, Body::Explain { .. }))
        .map(|q| q.model_answer.as_str())
        .collect();
    html! {
        <div class={classes!("q-verdict", if ticked == total { "right" } else { "partial" })}
             role="status" data-testid="interview-model">
            <p class="q-verdict-head">{ format!("You covered {ticked} of {total} points.") }</p>
            <p><strong>{ "A model answer: " }</strong>{ answers.join(" ") }</p>
        </div>
    }
}
