//! The lesson player: the lesson's article with its questions on one side,
//! its run on the other (the lab's stepper, timeline and world, fed by the
//! lab's run path through the web worker), and the interview walk-through.
//! Decisions live in [`crate::learn::player::Player`] and
//! [`crate::lab::Lab`]; this component wires the browser to them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

use super::grading_pool::GradingPool;
use super::lab::{
    replace_hash, scroll_current_into_view, stored_table_choice, typing_in, Action, Refs,
};
use super::player_view::{view_article, view_interview, view_run, Act, Mode, View};
use super::store::{catalogue, clock_ms, update_progress};
use super::what_if::{view_what_if, WhatIfAct};
use super::worker::WorkerLink;
use crate::lab::fork::ForkPanel;
use crate::lab::jobs::{Request, Response};
use crate::lab::Lab;
use crate::learn::embed::{Session, Trust};
use crate::learn::player::Player;
use crate::learn::route::lesson_hash;
use crate::learn::scenario_text;
use crate::learn::what_if::Panel;
use crate::learn::what_if_link;

mod embed_api;

#[derive(Properties, PartialEq)]
pub struct PlayerProps {
    /// The lesson's id (`locks/gc-pause-past-the-ttl`).
    pub id: AttrValue,
    /// The step the link names.
    pub step: Option<u64>,
    pub embed: bool,
}

/// A lesson by id, or a clear message and a way home.
#[component]
pub fn LessonPlayer(props: &PlayerProps) -> Html {
    let catalogue = catalogue();
    let Some(entry) = catalogue.find(&props.id) else {
        return html! {
            <section class="panel not-found" role="alert" data-testid="not-found">
                <h2 class="panel-title">{ "There is no such lesson" }</h2>
                <p>{ format!("No lesson is called \u{201c}{}\u{201d}. It may have been renamed, or the link was cut short.", props.id) }</p>
                <p><a class="button-primary" href="#/">{ "See all lessons" }</a></p>
            </section>
        };
    };
    if let Err(message) = scenario_text::main_scenario(&entry.lesson) {
        return html! {
            <section class="panel not-found" role="alert" data-testid="not-found">
                <h2 class="panel-title">{ "This lesson cannot run" }</h2>
                <p>{ message }</p>
                <p><a class="button-primary" href="#/">{ "See all lessons" }</a></p>
            </section>
        };
    }
    html! { <PlayerPage id={props.id.clone()} step={props.step} embed={props.embed} /> }
}

/// Everything the page keeps for one lesson.
struct PageState {
    lab: Rc<RefCell<Lab>>,
    player: Rc<RefCell<Player>>,
    worker: Rc<RefCell<Option<WorkerLink>>>,
    /// The worker failed: start a new one before the next request.
    lost: Rc<RefCell<bool>>,
    /// Requests of the player's own (follow-ups, fixes) for the worker.
    outbox: Rc<RefCell<Vec<Request>>>,
    /// The runs shown when the notes and gates were last placed.
    placed: Rc<RefCell<u64>>,
    /// The linked step, applied when the first run arrives.
    linked_step: Rc<RefCell<Option<u64>>>,
    /// The last request id the player handed out (from far above the
    /// lab's, so the two never meet).
    last_id: Rc<RefCell<u64>>,
    /// Fix drafts by question.
    drafts: Rc<RefCell<BTreeMap<usize, String>>>,
    /// The "what if" panel: its changes, its run, the comparison.
    what_if: Rc<RefCell<Panel>>,
    /// A console on a node at a step.
    fork: Rc<RefCell<ForkPanel>>,
    /// A fix being graded across workers (dropping it stops them).
    grading: Rc<RefCell<Option<GradingPool>>>,
    /// A grading asked for (request id, question, code), started by [`send`].
    grade_asked: Rc<RefCell<Option<(u64, usize, String)>>>,
    /// The embed API's session: autoplay, a "what if" or a story on show.
    embed: Rc<RefCell<Session>>,
    /// The origins whose embed commands are obeyed (from the address).
    trust: Trust,
    /// Embed mode: the questions are not on the page, so no gate stops the run.
    embedded: bool,
}

#[component]
fn PlayerPage(props: &PlayerProps) -> Html {
    let id = props.id.to_string();
    let lesson = catalogue()
        .find(&id)
        .map(|e| e.lesson.clone())
        .expect("LessonPlayer checked the id");
    let redraw = use_force_update();
    let mode = use_state(|| Mode::Lesson);
    let snippet = use_state(|| None::<String>);
    let as_table = use_state(stored_table_choice);
    let refs = use_memo((), |_| Refs::default());
    let state = {
        let lesson = lesson.clone();
        let (step, embed) = (props.step, props.embed);
        use_memo((), move |_| {
            let mut lab = Lab::new();
            // The lab starts on its default story; the lesson's run replaces it.
            lab.take_requests();
            if let Ok((text, seed)) = scenario_text::main_scenario(&lesson) {
                lab.set_text(text);
                lab.set_seed(seed);
                lab.run();
            }
            // A "what if" kept in the link runs again beside the lesson.
            let mut what_if = Panel::default();
            let mut outbox = Vec::new();
            let last_id = 1u64 << 40;
            if let Some(value) = what_if_link::from_hash(&super::lab::location_hash()) {
                match what_if_link::decode(&lesson, value) {
                    Ok(changes) => {
                        if let Ok((text, seed)) = what_if.start(&lesson, changes, last_id + 1) {
                            outbox.push(Request::Run {
                                id: last_id + 1,
                                text,
                                seed,
                            });
                        }
                    }
                    Err(message) => what_if.problem = Some(message),
                }
            }
            PageState {
                lab: Rc::new(RefCell::new(lab)),
                player: Rc::new(RefCell::new(Player::new(lesson))),
                worker: Rc::default(),
                lost: Rc::default(),
                outbox: Rc::new(RefCell::new(outbox)),
                placed: Rc::default(),
                linked_step: Rc::new(RefCell::new(step)),
                last_id: Rc::new(RefCell::new(last_id + 1)),
                drafts: Rc::default(),
                what_if: Rc::new(RefCell::new(what_if)),
                fork: Rc::default(),
                grading: Rc::default(),
                grade_asked: Rc::default(),
                embed: Rc::default(),
                trust: Trust::from_hash(&super::lab::location_hash()),
                embedded: embed,
            }
        })
    };

    let dispatch: Callback<Act> = {
        let (state, redraw, mode, snippet) =
            (state.clone(), redraw.clone(), mode.clone(), snippet.clone());
        let id = id.clone();
        Callback::from(move |act: Act| {
            handle(&state, &id, act, &mode, &snippet);
            send(&state, &redraw);
            redraw.force_update();
        })
    };

    // Commands from the page that frames an embed, and its state back.
    embed_api::use_embed_api(props.embed, state.clone(), redraw.clone());

    // Start the worker and send the lesson's run; the worker goes with the page.
    {
        let (state, redraw) = (state.clone(), redraw.clone());
        use_effect_with((), move |_| {
            send(&state, &redraw);
            let worker = state.worker.clone();
            move || drop(worker.borrow_mut().take())
        });
    }

    // Arrow keys and PageUp/PageDown step (what presentation clickers
    // send); in an embed, space does too, like a slide deck.
    {
        let dispatch = dispatch.clone();
        let embed = props.embed;
        use_effect_with((), move |_| {
            let options = EventListenerOptions::enable_prevent_default();
            let listener = EventListener::new_with_options(
                &gloo::utils::document(),
                "keydown",
                options,
                move |event| {
                    let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    if event.ctrl_key() || event.meta_key() || event.alt_key() || typing_in(event) {
                        return;
                    }
                    let on_button = event
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .is_some_and(|el| {
                            matches!(el.tag_name().as_str(), "BUTTON" | "A" | "SUMMARY")
                        });
                    let action = match event.key().as_str() {
                        "ArrowLeft" | "PageUp" => Action::Prev,
                        "ArrowRight" | "PageDown" => Action::Next,
                        " " if embed && !on_button => Action::Next,
                        _ => return,
                    };
                    event.prevent_default();
                    dispatch.emit(Act::Lab(action));
                },
            );
            move || drop(listener)
        });
    }

    // After every render: the address names the step, progress remembers
    // it, and the current row is scrolled into the timeline's view.
    {
        let (state, refs, id, embed) = (state.clone(), refs.clone(), id.clone(), props.embed);
        use_effect(move || {
            let lab = state.lab.borrow();
            // A story or a "what if" loaded by the embed API is not the
            // lesson's run: its steps are neither linked nor remembered.
            let own_run = {
                let session = state.embed.borrow();
                session.story.is_none() && session.variation.is_none() && !session.leaving
            };
            if let Some(shown) = lab.shown().filter(|_| own_run) {
                let (step, last) = (lab.step() as u64, shown.last() as u64);
                let mut hash = lesson_hash(&id, Some(step), embed);
                if embed {
                    hash.push_str(&state.trust.query());
                } else if let Some(value) = linked_what_if(&state) {
                    hash.push_str(&format!("&{}={value}", what_if_link::KEY));
                }
                if hash != super::lab::location_hash() {
                    replace_hash(&hash);
                }
                update_progress(|p| p.saw_step(&id, step, last));
            }
            scroll_current_into_view(&refs.scroller);
        });
    }

    // The run's charts, computed once per run on show.
    let charts = {
        let lab = state.lab.borrow();
        let trace = lab.shown().map(|s| s.trace.clone());
        let lesson = lesson.clone();
        use_memo(lab.runs_shown(), move |_| {
            let limits = lesson
                .scenarios
                .get("")
                .map(|s| crate::learn::charts::rate_limits(&s.table))
                .unwrap_or_default();
            trace
                .map(|t| crate::learn::charts::charts(&t, &limits))
                .unwrap_or_default()
        })
    };
    let lab = state.lab.borrow();
    let player = state.player.borrow();
    let entry_checked = catalogue()
        .find(&id)
        .map(|e| catalogue().checked(e))
        .unwrap_or(false);
    let view = View {
        lab: &lab,
        player: &player,
        dispatch: &dispatch,
        refs: &refs,
        embed: props.embed,
        checked_against: entry_checked.then(|| catalogue().checked_against.clone()),
        drafts: &state.drafts.borrow(),
        snippet: (*snippet).clone(),
        as_table: &as_table,
        charts: &charts,
        fork: &state.fork.borrow(),
    };
    let meta = &lesson.meta;
    let on_mode = |m: Mode| dispatch.reform(move |_| Act::Mode(m));
    html! {
        <div class={classes!("player", props.embed.then_some("embedded"))} data-testid="player"
             data-runs={lab.runs_shown().to_string()}>
            <header class="player-head">
                if !props.embed {
                    <a class="back-link" href="#/">{ "\u{2190} All lessons" }</a>
                }
                <h1 class="player-title">{ &meta.title }</h1>
                if let Some(caption) = state.embed.borrow().caption.clone() {
                    <p class="embed-variation" data-testid="embed-variation">{ caption }</p>
                }
                if !props.embed {
                    <p class="lesson-facts">
                        <span class="pill difficulty">{ crate::learn::catalogue::difficulty(meta.difficulty) }</span>
                        <span>{ format!("{} min", meta.minutes) }</span>
                        { for meta.tags.iter().map(|t| html! { <span class="tag">{ t }</span> }) }
                    </p>
                    <p class="player-interview"><strong>{ "Interview question: " }</strong>{ &meta.interview }</p>
                    <div class="mode-tabs" role="tablist" aria-label="How to study this lesson">
                        <button type="button" role="tab" class="mode-tab" data-testid="mode-lesson"
                                aria-selected={(*mode == Mode::Lesson).to_string()}
                                onclick={on_mode(Mode::Lesson)}>{ "Lesson" }</button>
                        if lesson.interview.is_some() {
                            <button type="button" role="tab" class="mode-tab" data-testid="mode-interview"
                                    aria-selected={(*mode == Mode::Interview).to_string()}
                                    onclick={on_mode(Mode::Interview)}>{ "Interview mode" }</button>
                        }
                    </div>
                }
            </header>
            <div class="player-grid">
                if !props.embed {
                    <div class="player-main">
                        { if *mode == Mode::Interview { view_interview(&view) } else { view_article(&view) } }
                    </div>
                }
                { view_run(&view) }
            </div>
            if !props.embed {
                { view_what_if(&lesson, &state.what_if.borrow(), lab.shown().and_then(|s| s.trace.events.get(lab.step())).map(|e| e.t_us), &dispatch.reform(Act::WhatIf)) }
            }
        </div>
    }
}

/// Does what the learner asked.
fn handle(
    state: &PageState,
    id: &str,
    act: Act,
    mode: &UseStateHandle<Mode>,
    snippet: &UseStateHandle<Option<String>>,
) {
    let mut lab = state.lab.borrow_mut();
    let mut player = state.player.borrow_mut();
    let trace = lab.shown().map(|s| s.trace.clone());
    let last = lab.shown().map_or(0, |s| s.last());
    match act {
        Act::Lab(action) => {
            let step = lab.step();
            let wanted = match action {
                Action::Go(step) => Some(step),
                Action::First => Some(0),
                Action::Prev => Some(step.saturating_sub(1)),
                Action::Next => Some(step + 1),
                Action::Last => Some(last),
                Action::ShowVerdicts => {
                    lab.reveal_verdicts();
                    None
                }
                _ => None,
            };
            if let Some(wanted) = wanted {
                let allowed = player.allowed_step(wanted.min(last));
                lab.go(allowed);
            }
        }
        Act::Violation => {
            if let Some(step) = trace
                .as_deref()
                .and_then(crate::lab::verdicts::first_failure)
            {
                let allowed = player.allowed_step(step as usize);
                lab.go(allowed);
            }
        }
        Act::ShowAt(step) => {
            let allowed = player.allowed_step(step);
            lab.go(allowed);
        }
        Act::Answer(question, response) => {
            if let Some(trace) = &trace {
                if let Some(verdict) = player.answer(question, response, trace) {
                    remember(id, &player, question, verdict.passed);
                }
            }
        }
        Act::AnswerText(question, text) => {
            if let Some(trace) = &trace {
                if let Some(verdict) = player.answer_text(question, &text, trace) {
                    remember(id, &player, question, verdict.passed);
                }
            }
        }
        Act::ExplainSubmit(question, text) => {
            if let Some(q) = player.questions.get_mut(question) {
                if text.trim().is_empty() {
                    q.problem = Some("Write your answer first, then tick what it covered.".into());
                } else {
                    q.problem = None;
                    q.explain_submitted = true;
                }
            }
        }
        Act::FixDraft(question, text) => {
            state.drafts.borrow_mut().insert(question, text);
        }
        Act::GradeFix(question, source) => {
            let request_id = next_id(state);
            if let Some(q) = player.questions.get_mut(question) {
                q.grading = Some(request_id);
                q.problem = None;
                q.verdict = None;
            }
            state.drafts.borrow_mut().insert(question, source.clone());
            *state.grade_asked.borrow_mut() = Some((request_id, question, source));
        }
        Act::CancelFix(question) => {
            // Dropping the pool stops every worker grading at once.
            state.grading.borrow_mut().take();
            if let Some(q) = player.questions.get_mut(question) {
                q.grading = None;
                q.grading_progress = None;
                q.problem = Some("Grading cancelled.".into());
            }
        }
        Act::Mode(m) => mode.set(m),
        Act::InterviewAnswer(text) => {
            player.interview_problem = player.submit_interview_answer(&text).err();
        }
        Act::RunFollowUp(index) => {
            let request_id = next_id(state);
            if let Some(f) = player
                .interview
                .as_mut()
                .and_then(|i| i.follow_ups.get_mut(index))
            {
                f.running = Some(request_id);
                f.result = None;
            }
            state.outbox.borrow_mut().push(Request::FollowUp {
                id: request_id,
                lesson: id.to_string(),
                index,
            });
        }
        Act::NextFollowUp(index) => player.next_follow_up(index),
        Act::TickRubric(point, ticked) => {
            if let Some(slot) = player
                .interview
                .as_mut()
                .and_then(|i| i.ticked.get_mut(point))
            {
                *slot = ticked;
            }
        }
        Act::FinishInterview => {
            player.finish_interview();
            update_progress(|p| {
                p.finished_interview(id);
                true
            });
        }
        Act::WhatIf(WhatIfAct::Run(changes)) => {
            let request_id = next_id(state);
            if let Ok((text, seed)) =
                state
                    .what_if
                    .borrow_mut()
                    .start(&player.lesson, changes, request_id)
            {
                state.outbox.borrow_mut().push(Request::Run {
                    id: request_id,
                    text,
                    seed,
                });
            }
        }
        Act::ShowBreaking(question) => {
            let run = player
                .questions
                .get(question)
                .and_then(|q| q.breaking.clone());
            if let Some(run) = run {
                // Shown without the lesson's notes and predict gates, and marked
                // so the worker's next answer does not place them again.
                let failure = player.show_breaking(question, &run);
                lab.show_found((*run).clone(), 0);
                *state.placed.borrow_mut() = lab.runs_shown();
                lab.go(failure);
            }
        }
        Act::ForkConsole(node) => {
            let shown = lab.shown().map(|s| (s.text.to_string(), s.trace.seed));
            if let Some((text, seed)) = shown {
                let request_id = next_id(state);
                let step = lab.step();
                state.fork.borrow_mut().ask(request_id, &node, step);
                state.outbox.borrow_mut().push(Request::Fork {
                    id: request_id,
                    text,
                    seed,
                    step,
                    node,
                });
            }
        }
        Act::CloseFork => state.fork.borrow_mut().close(),
        Act::BackToLesson => {
            player.showing_breaking = None;
            lab.run();
        }
        Act::CopyEmbed => {
            let step = lab.step() as u64;
            let text = embed_snippet(id, step);
            copy_to_clipboard(&text);
            snippet.set(Some(text));
        }
    }
}

/// Saves a question's latest answer.
fn remember(id: &str, player: &Player, question: usize, passed: bool) {
    if let Some(q) = player.lesson.questions.get(question) {
        update_progress(|p| {
            p.answered(id, &q.id, passed, clock_ms());
            true
        });
    }
}

fn next_id(state: &PageState) -> u64 {
    let mut last = state.last_id.borrow_mut();
    *last += 1;
    *last
}

/// Posts the lab's and the player's requests, starting a worker first if
/// there is none (or the last one failed or was stopped); places notes and
/// gates when a new run has arrived.
fn send(state: &PageState, redraw: &UseForceUpdateHandle) {
    start_grading(state, redraw);
    let mut slot = state.worker.borrow_mut();
    if std::mem::take(&mut *state.lost.borrow_mut()) || state.lab.borrow_mut().take_worker_lost() {
        slot.take();
    }
    if slot.is_none() {
        let on_answer: Rc<dyn Fn(Response)> = {
            let (lab, player, redraw) = (state.lab.clone(), state.player.clone(), redraw.clone());
            let (placed, linked) = (state.placed.clone(), state.linked_step.clone());
            let session = state.embed.clone();
            let embedded = state.embedded;
            let lesson_id = state.player.borrow().lesson.meta.id.clone();
            let what_if = state.what_if.clone();
            let fork = state.fork.clone();
            Rc::new(move |answer| {
                let answer = match answer {
                    Response::Forked { id, result } => {
                        fork.borrow_mut().received(id, result);
                        redraw.force_update();
                        return;
                    }
                    // The "what if" run is the panel's, not the lab's.
                    Response::Ran { id, result } => {
                        let lab_ref = lab.borrow();
                        let before = lab_ref.shown().map(|s| s.trace.clone());
                        drop(lab_ref);
                        let mut panel = what_if.borrow_mut();
                        if panel.running == Some(id) {
                            panel.ran(id, result, before.as_deref());
                            drop(panel);
                            redraw.force_update();
                            return;
                        }
                        Response::Ran { id, result }
                    }
                    other => other,
                };
                match answer {
                    Response::FollowedUp { id, result } => {
                        player.borrow_mut().follow_up_ran(id, result);
                    }
                    Response::FixGraded {
                        id,
                        result,
                        breaking,
                    } => {
                        let mut player = player.borrow_mut();
                        if let Some((question, passed)) =
                            player.fix_graded(id, result, breaking.map(|run| *run))
                        {
                            remember(&lesson_id, &player, question, passed);
                        }
                    }
                    other => lab.borrow_mut().receive(other),
                }
                let session = session.borrow().clone();
                place(&lab, &player, &placed, &linked, &session, embedded);
                redraw.force_update();
            })
        };
        let on_failure: Rc<dyn Fn(String)> = {
            let (lab, player, lost, redraw) = (
                state.lab.clone(),
                state.player.clone(),
                state.lost.clone(),
                redraw.clone(),
            );
            let what_if = state.what_if.clone();
            let fork = state.fork.clone();
            Rc::new(move |message: String| {
                let fork_lost = fork.borrow_mut().asked.take().is_some();
                if fork_lost {
                    fork.borrow_mut().problem = Some(format!("The fork stopped: {message}."));
                }
                what_if.borrow_mut().worker_failed(&message);
                lab.borrow_mut().worker_failed(&message);
                player.borrow_mut().worker_failed(&message);
                *lost.borrow_mut() = true;
                redraw.force_update();
            })
        };
        match WorkerLink::spawn_with(on_answer, on_failure) {
            Ok(link) => *slot = Some(link),
            Err(message) => {
                state.lab.borrow_mut().worker_failed(&message);
                return;
            }
        }
    }
    if let Some(link) = slot.as_ref() {
        link.flush(&state.lab);
        for request in state.outbox.borrow_mut().drain(..) {
            link.post(&request);
        }
    }
}

/// The "what if" on show, for the link: its changes once they have run
/// (or are running), so a reload shows the same side-by-side.
fn linked_what_if(state: &PageState) -> Option<String> {
    let panel = state.what_if.borrow();
    if panel.problem.is_some() || (panel.comparison.is_none() && panel.running.is_none()) {
        return None;
    }
    what_if_link::encode(&state.player.borrow().lesson, &panel.changes)
}

/// Starts the grading the learner asked for across the machine's cores,
/// replacing (and stopping) any grading under way.
fn start_grading(state: &PageState, redraw: &UseForceUpdateHandle) {
    let Some((request_id, question, source)) = state.grade_asked.borrow_mut().take() else {
        return;
    };
    state.grading.borrow_mut().take();
    let on_graded: Rc<dyn Fn(usize, bool)> = {
        let player = state.player.clone();
        Rc::new(move |question, passed| {
            let player = player.borrow();
            let lesson_id = player.lesson.meta.id.clone();
            remember(&lesson_id, &player, question, passed);
        })
    };
    let changed: Rc<dyn Fn()> = {
        let redraw = redraw.clone();
        Rc::new(move || redraw.force_update())
    };
    match GradingPool::start(
        &state.player,
        (request_id, question, &source),
        on_graded,
        changed,
    ) {
        Ok(pool) => *state.grading.borrow_mut() = Some(pool),
        Err(message) => state.player.borrow_mut().worker_failed(&message),
    }
}

/// A new run has arrived: place the notes and gates in it and go to the
/// linked step (as far as the gates allow). A run the embed API asked for
/// (a story, a "what if", see [`Session`]) goes to its step ungated, as
/// its other commands do.
fn place(
    lab: &Rc<RefCell<Lab>>,
    player: &Rc<RefCell<Player>>,
    placed: &Rc<RefCell<u64>>,
    linked: &Rc<RefCell<Option<u64>>>,
    session: &Session,
    embedded: bool,
) {
    let mut lab = lab.borrow_mut();
    if lab.runs_shown() == *placed.borrow() {
        return;
    }
    *placed.borrow_mut() = lab.runs_shown();
    let Some(trace) = lab.shown().map(|s| s.trace.clone()) else {
        return;
    };
    let mut player = player.borrow_mut();
    // The lesson's notes and gates tell its own run: a story or a "what
    // if" loaded into an embed has none (a note would describe another run).
    if session.story.is_none() && session.variation.is_none() {
        player.place(&trace);
    } else {
        player.notes.clear();
    }
    if embedded {
        player.open_gates();
    }
    let step = linked.borrow_mut().take().unwrap_or(0) as usize;
    let step = step.min(trace.events.len().saturating_sub(1));
    if session.story.is_some() || session.variation.is_some() {
        player.stopped_by = None;
        lab.go(step);
    } else {
        let allowed = player.allowed_step(step);
        lab.go(allowed);
    }
}

/// The `<iframe>` an instructor pastes into a slide: this lesson at this
/// step, in embed mode, at the slide size the embed is laid out for.
fn embed_snippet(id: &str, step: u64) -> String {
    let location = gloo::utils::window().location();
    let base = format!(
        "{}{}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default()
    );
    format!(
        "<iframe src=\"{base}{}\" width=\"960\" height=\"540\" title=\"Lockstep lesson\" style=\"border:0\"></iframe>",
        lesson_hash(id, Some(step), true)
    )
}

/// Puts `text` on the clipboard where the browser allows it (the snippet
/// is also shown, selected, for copying by hand).
fn copy_to_clipboard(text: &str) {
    let window: wasm_bindgen::JsValue = gloo::utils::window().into();
    let Ok(navigator) = js_sys::Reflect::get(&window, &"navigator".into()) else {
        return;
    };
    let Ok(clipboard) = js_sys::Reflect::get(&navigator, &"clipboard".into()) else {
        return;
    };
    if clipboard.is_undefined() {
        return;
    }
    if let Ok(write) = js_sys::Reflect::get(&clipboard, &"writeText".into()) {
        if let Some(write) = write.dyn_ref::<js_sys::Function>() {
            // A refusal (no permission) is a rejected promise: the
            // snippet on the page is the fallback.
            if let Ok(promise) = write.call1(&clipboard, &text.into()) {
                if let Ok(promise) = promise.dyn_into::<js_sys::Promise>() {
                    let ignore =
                        wasm_bindgen::closure::Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(
                            |_: wasm_bindgen::JsValue| {},
                        );
                    let _ = promise.catch(&ignore);
                    // Lives until the promise settles; a copy is a rare click.
                    ignore.forget();
                }
            }
        }
    }
}
