//! The review page (`#/review`): the questions due on the Leitner
//! schedule ([`crate::learn::review`]), each answered here — on a fresh
//! seed's run, made by the web worker, when the question reads the run
//! ([`crate::learn::recall`]) — and the progress file: export and import.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use gloo::file::callbacks::FileReader;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::store::{catalogue, clock_ms, save_problem, update_progress, with_progress};
use super::worker::WorkerLink;
use crate::lab::jobs::{Request, Response};
use crate::learn::progress::Progress;
use crate::learn::recall::{run_so_far, Recall, Way};
use crate::learn::review::{self, BOXES};
use crate::learn::route::lesson_hash;
use lockstep_lessons::lesson::grade::letter as grade_letter;
use lockstep_lessons::lesson::question::{Body, Question};

/// The questions on show and the runs asked of the worker.
#[derive(Default)]
struct Session {
    items: Vec<Recall>,
    /// Request id to the item whose run it is.
    pending: BTreeMap<u64, usize>,
    last_id: u64,
    worker: Option<WorkerLink>,
    /// The worker failed: why.
    worker_problem: Option<String>,
    /// What the last import did, or why it did not.
    import_note: Option<(bool, String)>,
    /// The file being read.
    reading: Option<FileReader>,
    /// The time the list of due questions was read.
    as_of: i64,
}

impl Session {
    /// The questions due now, as the page opens (answered ones stay on
    /// show with their verdict until the page is left).
    fn load(now_ms: i64) -> Session {
        let catalogue = catalogue();
        let items = with_progress(|p| p.due(now_ms))
            .into_iter()
            .filter_map(|due| {
                let entry = catalogue.find(&due.lesson)?;
                Recall::new(&due.lesson, entry.lesson.clone(), &due.question, due.card)
            })
            .collect();
        Session {
            items,
            as_of: now_ms,
            ..Session::default()
        }
    }

    /// The runs still to ask for, with their request ids.
    fn requests(&mut self) -> Vec<Request> {
        let mut out = Vec::new();
        for (i, item) in self.items.iter_mut().enumerate() {
            if self.pending.values().any(|&p| p == i) {
                continue;
            }
            if let Some((text, seed)) = item.next_run() {
                self.last_id += 1;
                self.pending.insert(self.last_id, i);
                out.push(Request::Run {
                    id: self.last_id,
                    text,
                    seed,
                });
            }
        }
        out
    }
}

type Shared = Rc<RefCell<Session>>;

/// Asks the worker for every run still needed (starting it if need be).
fn send(session: &Shared, redraw: &UseForceUpdateHandle) {
    let requests = session.borrow_mut().requests();
    if requests.is_empty() {
        return;
    }
    if session.borrow().worker.is_none() {
        let on_answer: Rc<dyn Fn(Response)> = {
            let (session, redraw) = (session.clone(), redraw.clone());
            Rc::new(move |answer| {
                if let Response::Ran { id, result } = answer {
                    let again = {
                        let mut s = session.borrow_mut();
                        match s.pending.remove(&id) {
                            Some(i) => s.items[i].ran(result),
                            None => false,
                        }
                    };
                    if again {
                        send(&session, &redraw);
                    }
                }
                redraw.force_update();
            })
        };
        let on_failure: Rc<dyn Fn(String)> = {
            let (session, redraw) = (session.clone(), redraw.clone());
            Rc::new(move |message: String| {
                session.borrow_mut().worker_problem = Some(message);
                redraw.force_update();
            })
        };
        match WorkerLink::spawn_with(on_answer, on_failure) {
            Ok(link) => session.borrow_mut().worker = Some(link),
            Err(message) => {
                session.borrow_mut().worker_problem = Some(message);
                return;
            }
        }
    }
    let s = session.borrow();
    if let Some(worker) = &s.worker {
        for request in &requests {
            worker.post(request);
        }
    }
}

#[component]
pub fn ReviewPage() -> Html {
    let redraw = use_force_update();
    let session = use_memo((), |_| Rc::new(RefCell::new(Session::load(clock_ms()))));
    let session: Shared = (*session).clone();
    {
        let (session, redraw) = (session.clone(), redraw.clone());
        use_effect_with((), move |_| {
            send(&session, &redraw);
            // The worker goes with the page.
            move || drop(session.borrow_mut().worker.take())
        });
    }

    let on_answer = {
        let (session, redraw) = (session.clone(), redraw.clone());
        Callback::from(move |(i, text): (usize, String)| {
            let graded = {
                let mut s = session.borrow_mut();
                let item = &mut s.items[i];
                if item.verdict.is_some() {
                    return;
                }
                item.answer(&text)
                    .map(|passed| (item.lesson_id.clone(), item.question().id.clone(), passed))
            };
            if let Some((lesson, question, passed)) = graded {
                let at = clock_ms();
                update_progress(|p| {
                    p.reviewed(&lesson, &question, passed, at);
                    true
                });
            }
            redraw.force_update();
        })
    };

    let on_import = {
        let (session, redraw) = (session.clone(), redraw.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let file = gloo::file::File::from(file);
            let (done, redraw_done) = (session.clone(), redraw.clone());
            let reader = gloo::file::callbacks::read_as_text(&file, move |result| {
                let note = match result {
                    Err(e) => (false, format!("The file could not be read: {e}.")),
                    Ok(text) => match Progress::from_export(&text) {
                        Err(why) => (false, why),
                        Ok(imported) => {
                            let mut merged = Default::default();
                            update_progress(|p| {
                                merged = p.merge(imported);
                                true
                            });
                            (
                                true,
                                format!(
                                    "Imported: {} new lesson{}, {} answer{} taken from the file. \
                                     Nothing already here was lost.",
                                    merged.new_lessons,
                                    if merged.new_lessons == 1 { "" } else { "s" },
                                    merged.answers_taken,
                                    if merged.answers_taken == 1 { "" } else { "s" },
                                ),
                            )
                        }
                    },
                };
                let imported = note.0;
                let mut s = done.borrow_mut();
                s.import_note = Some(note);
                s.reading = None;
                if imported && s.items.iter().all(|i| i.verdict.is_none()) {
                    // What the file brought may be due now: list it (unless
                    // answers given here are on show, which stay).
                    let fresh = Session::load(clock_ms());
                    s.items = fresh.items;
                    s.as_of = fresh.as_of;
                    s.pending.clear();
                }
                drop(s);
                send(&done, &redraw_done);
                redraw_done.force_update();
            });
            session.borrow_mut().reading = Some(reader);
            input.set_value("");
        })
    };

    let s = session.borrow();
    let now = s.as_of;
    // What is due was fixed when the page opened; how far off the rest is
    // is read now, after any answers given here.
    let later = clock_ms();
    let upcoming: Vec<_> = with_progress(|p| p.schedule())
        .into_iter()
        .filter(|d| !d.card.is_due(now))
        .collect();
    let export = with_progress(Progress::to_export);
    let export_href = format!(
        "data:application/json;charset=utf-8,{}",
        js_sys::encode_uri_component(&export)
    );
    let answered = s.items.iter().filter(|i| i.verdict.is_some()).count();
    html! {
        <div class="review" data-testid="review">
            <header class="review-head">
                <a class="back-link" href="#/">{ "\u{2190} All lessons" }</a>
                <h1 class="player-title">{ "Review" }</h1>
                <p class="review-lede">
                    { "Questions you answered wrong come back here on a schedule. Questions about \
                       the run are asked on a new run with a different seed, so the answer has to \
                       be worked out again, not remembered." }
                </p>
            </header>
            if let Some(problem) = save_problem() {
                <p class="notice" role="status" data-testid="progress-problem">{ problem }</p>
            }
            if let Some(problem) = &s.worker_problem {
                <p class="notice" role="alert">{ format!("The simulator could not run: {problem}") }</p>
            }
            <section class="review-due" aria-labelledby="due-title">
                <h2 id="due-title" class="track-title">
                    { if s.items.is_empty() { "Nothing is due".to_string() }
                      else { format!("Due now: {} question{}", s.items.len(), if s.items.len() == 1 { "" } else { "s" }) } }
                </h2>
                if s.items.is_empty() {
                    <p class="none" data-testid="nothing-due">
                        { "Nothing to review right now. A question you answer wrong in a lesson \
                           comes back here ten minutes later." }
                    </p>
                } else if answered == s.items.len() {
                    <p class="review-done" role="status" data-testid="review-done">
                        { "All done for now. Each question's next date is shown under it." }
                    </p>
                }
                <ol class="review-list">
                    { for s.items.iter().enumerate().map(|(i, item)| view_item(i, item, now, &on_answer)) }
                </ol>
            </section>
            if !upcoming.is_empty() {
                <section class="review-upcoming" aria-labelledby="upcoming-title" data-testid="upcoming">
                    <h2 id="upcoming-title" class="track-title">{ "Coming up" }</h2>
                    <ul>
                        { for upcoming.iter().map(|d| {
                            let title = catalogue().find(&d.lesson).map(|e| e.lesson.meta.title.clone()).unwrap_or_else(|| d.lesson.clone());
                            let prompt = catalogue().find(&d.lesson)
                                .and_then(|e| e.lesson.questions.iter().find(|q| q.id == d.question).map(|q| q.prompt.clone()))
                                .unwrap_or_default();
                            html! {
                                <li data-testid={format!("upcoming-{}-{}", d.lesson, d.question)}>
                                    <span class="pill">{ format!("box {} of {BOXES}", d.card.box_) }</span>
                                    <span class="upcoming-when">{ review::when(d.card.due_ms, later) }</span>
                                    <a href={lesson_hash(&d.lesson, None, false)}>{ title }</a>
                                    <span class="wrong-prompt">{ prompt }</span>
                                </li>
                            }
                        }) }
                    </ul>
                </section>
            }
            <details class="review-help" data-testid="review-help">
                <summary>{ "How review works" }</summary>
                <p>{ "Lockstep uses Leitner boxes. A question you answer wrong goes into box 1 \
                      and comes back after 10 minutes. Each right answer here moves it up a box, \
                      and it comes back later: after 1, 3, 7 and then 14 days. A wrong answer \
                      sends it back to box 1. Right in box 5, it is learned and leaves the list." }</p>
                <p>{ "Why not SM-2 (the Anki algorithm)? SM-2 asks you to rate how hard each \
                      answer was, from 0 to 5, and tunes each question by it. Lockstep grades \
                      your answers itself, right or wrong, so that rating would be guesswork; \
                      boxes need only right or wrong, and you can always see where a question \
                      stands." }</p>
                <p>{ "Prediction, counting and ordering questions are asked on a fresh run of \
                      the lesson's scenario with a different seed, and graded on that run: \
                      timings and replies can differ from the run you saw in the lesson." }</p>
            </details>
            <section class="review-file" aria-labelledby="file-title">
                <h2 id="file-title" class="track-title">{ "Your progress, as a file" }</h2>
                <p>{ "Progress lives in this browser only. Download it to keep a copy or to move \
                      it to another browser; importing a file adds to what is here and never \
                      loses anything: of two answers to the same question, the later one counts." }</p>
                <p class="review-file-actions">
                    <a class="button-primary" download="lockstep-progress.json" href={export_href}
                       data-testid="export-progress">{ "Download progress" }</a>
                    <label class="button-secondary import-label">
                        { "Import a progress file\u{2026}" }
                        <input type="file" accept="application/json,.json" class="visually-hidden"
                               data-testid="import-progress" onchange={on_import} />
                    </label>
                </p>
                if let Some((ok, note)) = &s.import_note {
                    <p class={classes!("notice", (!ok).then_some("problem"))} role="status"
                       data-testid="import-note">{ note }</p>
                }
            </section>
        </div>
    }
}

fn view_item(i: usize, item: &Recall, now: i64, on_answer: &Callback<(usize, String)>) -> Html {
    let q = item.question();
    let input_id = format!("review-{i}-answer");
    let submit = {
        let (on_answer, input_id, q) = (on_answer.clone(), input_id.clone(), q.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_answer.emit((i, read_answer(&q, &input_id)));
        })
    };
    // A predict option answers at a click, as in the lesson.
    let pick = on_answer.reform(move |text: String| (i, text));
    let next = with_progress(|p| {
        p.lesson(&item.lesson_id)
            .and_then(|l| l.cards.get(&q.id).cloned())
    });
    let testid = format!("review-{}-{}", item.lesson_id, q.id);
    html! {
        <li class="question review-item" data-testid={testid}
            data-seed={item.seed.map(|s| s.to_string())}>
            <p class="q-label">
                <a href={lesson_hash(&item.lesson_id, None, false)}>{ &item.lesson.meta.title }</a>
                { format!(" \u{b7} box {} of {BOXES}", item.card.box_) }
            </p>
            <p class="q-prompt">{ &q.prompt }</p>
            { match item.way {
                Way::InLesson => html! {
                    <p><a class="button-secondary" href={lesson_hash(&item.lesson_id, None, false)}>
                        { "Answer it in the lesson" }</a></p>
                },
                Way::OnFreshRun if item.run.is_none() => html! {
                    if item.problem.is_none() {
                        <p class="q-stop" role="status">
                            { format!("Running the lesson with a new seed ({})\u{2026}",
                                      item.seed.map_or_else(|| "\u{2026}".to_string(), |s| s.to_string())) }
                        </p>
                    }
                },
                _ => html! {
                    <>
                        if let Some(run) = &item.run {
                            { view_run(q, run, item) }
                        }
                        <form class="q-form" onsubmit={submit}>
                            { view_inputs(q, &input_id, &pick, item.verdict.is_some()) }
                            // One answer per review: a second try after the
                            // answer is shown would move the question up unearned.
                            if item.verdict.is_none() {
                                <button type="submit" class="button-primary" data-testid="review-check">
                                    { "Check" }
                                </button>
                            }
                        </form>
                    </>
                },
            } }
            if let Some(problem) = &item.problem {
                <p class="q-problem" role="alert">{ problem }</p>
            }
            if let Some(verdict) = &item.verdict {
                <div class={classes!("q-verdict", if verdict.passed { "right" } else { "wrong" })}
                     role="status" data-testid="review-verdict">
                    <p class="q-verdict-head">{ if verdict.passed { "Right." } else { "Not quite." } }</p>
                    { for verdict.feedback.iter().map(|f| html! { <p>{ f }</p> }) }
                    if !verdict.answer.is_empty() && !verdict.passed {
                        <p><strong>{ "Answer on this run: " }</strong>{ &verdict.answer }</p>
                    }
                    <p class="q-model"><strong>{ "In an interview: " }</strong>{ &verdict.model_answer }</p>
                    <p class="review-next" data-testid="review-next">{ match &next {
                        Some(card) => format!("Back {} (box {} of {BOXES}).", review::when(card.due_ms, now.max(clock_ms())), card.box_),
                        None => "Learned: it leaves the review list.".to_string(),
                    } }</p>
                </div>
            }
        </li>
    }
}

/// The fresh run beside the question: its seed, and all its events up to
/// the moment asked about, in a box that scrolls and opens at its end
/// (the moment asked about), with the start a scroll away.
fn view_run(q: &Question, run: &lockstep_sim::trace::Trace, item: &Recall) -> Html {
    let lines = run_so_far(q, run);
    let what = if matches!(q.body, Body::Predict { .. }) {
        "The run up to the moment asked about"
    } else {
        "The run"
    };
    html! {
        <details class="review-run" open=true>
            <summary data-testid="review-run-seed">
                { if item.fell_back {
                    format!("{what} (the lesson's own run, seed {}: no other seed reaches this moment)", run.seed)
                  } else {
                    format!("{what}, on a new run with seed {}", run.seed)
                  } }
            </summary>
            <p class="review-run-count">
                { format!("{} event{}, from the start of the run; scroll up for the earlier ones.",
                          lines.len(), if lines.len() == 1 { "" } else { "s" }) }
            </p>
            <div class="review-run-scroll" tabindex="0" role="region"
                 aria-label="The run's events" data-testid="review-run-events"
                 data-events={lines.len().to_string()}>
                <pre class="code"><code>{ lines.join("\n") }</code></pre>
            </div>
        </details>
    }
}

fn view_inputs(q: &Question, input_id: &str, pick: &Callback<String>, answered: bool) -> Html {
    match &q.body {
        Body::Choice { multiple, options } => {
            let kind = if *multiple { "checkbox" } else { "radio" };
            html! {
                <fieldset class="q-options">
                    <legend class="visually-hidden">{ "Options" }</legend>
                    { for options.iter().enumerate().map(|(j, o)| html! {
                        <label class="q-option">
                            <input type={kind} name={input_id.to_string()} id={format!("{input_id}-{j}")} />
                            <span class="q-letter">{ format!("{})", grade_letter(j)) }</span>
                            <span>{ &o.text }</span>
                        </label>
                    }) }
                </fieldset>
            }
        }
        Body::Order { items } => html! {
            <>
                <ol class="q-items" type="A">
                    { for items.iter().map(|it| html! { <li>{ &it.label }</li> }) }
                </ol>
                <label class="field">
                    <span class="field-label">{ "The letters in the order they happened (e.g. B, A, C)" }</span>
                    <input id={input_id.to_string()} type="text" autocomplete="off" data-testid="review-answer" />
                </label>
            </>
        },
        Body::Predict { options, .. } => html! {
            <>
                if !options.is_empty() {
                    <div class="q-choices" role="group" aria-label="Pick one">
                        { for options.iter().map(|o| {
                            let text = o.clone();
                            html! {
                                <button type="button" class="q-choice" data-testid="review-option"
                                        disabled={answered}
                                        onclick={pick.reform(move |_| text.clone())}>
                                    { o }
                                </button>
                            }
                        }) }
                    </div>
                }
                <label class="field">
                    <span class="field-label">{ if options.is_empty() { "Your prediction" } else { "Or type your prediction" } }</span>
                    <input id={input_id.to_string()} type="text" autocomplete="off" data-testid="review-answer" />
                </label>
            </>
        },
        Body::Numeric { unit, .. } => html! {
            <label class="field">
                <span class="field-label">{ if unit.is_empty() { "Your answer".to_string() } else { format!("Your answer ({unit})") } }</span>
                <input id={input_id.to_string()} type="text" inputmode="decimal" autocomplete="off" data-testid="review-answer" />
            </label>
        },
        Body::Fix(_) | Body::Explain { .. } => html! {},
    }
}

/// What the learner entered, as the text the grader reads: letters for
/// the options ticked, the typed text otherwise.
fn read_answer(q: &Question, input_id: &str) -> String {
    let document = gloo::utils::document();
    match &q.body {
        Body::Choice { options, .. } => (0..options.len())
            .filter(|j| {
                document
                    .get_element_by_id(&format!("{input_id}-{j}"))
                    .and_then(|el| el.dyn_into::<HtmlInputElement>().ok())
                    .is_some_and(|el| el.checked())
            })
            .map(|j| grade_letter(j).to_string())
            .collect::<Vec<_>>()
            .join(","),
        _ => document
            .get_element_by_id(input_id)
            .and_then(|el| {
                el.clone()
                    .dyn_into::<HtmlInputElement>()
                    .map(|i| i.value())
                    .or_else(|_| el.dyn_into::<HtmlTextAreaElement>().map(|t| t.value()))
                    .ok()
            })
            .unwrap_or_default(),
    }
}
