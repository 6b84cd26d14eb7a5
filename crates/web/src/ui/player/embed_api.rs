//! The embed API in the browser (`web/EMBED.md`): an embedded player
//! listens for the framing page's `postMessage` commands, obeys those from
//! trusted origins ([`Trust`]) and announces its state after every change.
//! What the messages mean and whether they may be obeyed is decided in
//! [`crate::learn::embed`]; this module only moves them in and out.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::events::EventListener;
use gloo::timers::callback::Interval;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;
use yew::prelude::*;

use super::{send, PageState};
use crate::learn::embed::{self, Command, Incoming, RunView, Session, Trust};
use crate::learn::player::Player;
use crate::learn::route::lesson_hash;
use crate::learn::scenario_text;

/// The embed's own state, shared by the listener, the autoplay timer and
/// the announcing effect.
#[derive(Default)]
pub(super) struct EmbedLink {
    /// The origin of the last trusted command: announcements go there.
    listener: RefCell<Option<String>>,
    /// The last announcement sent, as JSON: unchanged state is not resent.
    last_sent: RefCell<String>,
    /// Autoplay's timer while playing.
    ticker: RefCell<Option<Interval>>,
    /// Set once the page is unmounted: late timer ticks do nothing.
    gone: Cell<bool>,
}

/// The page's own origin (`http://host:port`).
fn own_origin() -> String {
    gloo::utils::window()
        .location()
        .origin()
        .unwrap_or_default()
}

/// The framing page, when there is one.
fn parent() -> Option<web_sys::Window> {
    let window = gloo::utils::window();
    let parent = window.parent().ok().flatten()?;
    let (this, framing): (&JsValue, &JsValue) = (window.as_ref(), parent.as_ref());
    (this != framing).then_some(parent)
}

/// The origin of the page that framed this one, from the referrer, when
/// it is trusted: announcements may go there before any command arrived.
fn trusted_referrer(trust: &Trust) -> Option<String> {
    let referrer = gloo::utils::document().referrer();
    let url = web_sys::Url::new(&referrer).ok()?;
    let origin = url.origin();
    trust.allows(&origin, &own_origin()).then_some(origin)
}

fn post(origin: &str, message: &serde_json::Value) {
    let (Some(parent), Ok(text)) = (parent(), serde_json::to_string(message)) else {
        return;
    };
    if let Ok(data) = js_sys::JSON::parse(&text) {
        // A page that navigated away since is a different origin now: the
        // browser drops the message, which is what trust asks for.
        let _ = parent.post_message(&data, origin);
    }
}

/// Wires the embed API to the page: the `message` listener, autoplay and
/// the announcement after each render. Does nothing outside embed mode.
#[hook]
pub(super) fn use_embed_api(embed: bool, state: Rc<PageState>, redraw: UseForceUpdateHandle) {
    let link = use_memo((), |_| EmbedLink::default());
    {
        let (link, state, redraw) = (link.clone(), state.clone(), redraw.clone());
        use_effect_with((), move |_| {
            let listener = embed.then(|| {
                let link = link.clone();
                EventListener::new(&gloo::utils::window(), "message", move |event| {
                    if let Some(event) = event.dyn_ref::<MessageEvent>() {
                        receive(event, &link, &state, &redraw);
                    }
                })
            });
            move || {
                link.gone.set(true);
                link.ticker.borrow_mut().take();
                drop(listener);
            }
        });
    }
    // After every render: say what changed.
    use_effect(move || {
        if embed {
            announce(&link, &state);
        }
    });
}

/// A message arrived: obeyed when trusted and ours, answered when bad.
fn receive(
    event: &MessageEvent,
    link: &Rc<EmbedLink>,
    state: &Rc<PageState>,
    redraw: &UseForceUpdateHandle,
) {
    let origin = event.origin();
    if !state.trust.allows(&origin, &own_origin()) {
        return;
    }
    let Some(json) = js_sys::JSON::stringify(&event.data())
        .ok()
        .and_then(|s| s.as_string())
    else {
        return;
    };
    let incoming = embed::read(&json);
    // Hellos are not counted: a page sends them before the player listens.
    if !matches!(
        incoming,
        Incoming::NotOurs | Incoming::Command(Command::Hello)
    ) {
        state.embed.borrow_mut().received += 1;
    }
    match incoming {
        Incoming::NotOurs => {}
        Incoming::Bad(why) => {
            post(&origin, &embed::error_message(&why));
            redraw.force_update();
        }
        Incoming::Command(command) => {
            *link.listener.borrow_mut() = Some(origin.clone());
            if matches!(command, Command::Hello) {
                link.last_sent.borrow_mut().clear();
            }
            if let Err(why) = obey(command, link, state, redraw) {
                post(&origin, &embed::error_message(&why));
            }
            send(state, redraw);
            redraw.force_update();
        }
    }
}

/// Does what a trusted command asks. Commands from the framing page go
/// where they say: predict gates are for the learner's own stepping.
fn obey(
    command: Command,
    link: &Rc<EmbedLink>,
    state: &Rc<PageState>,
    redraw: &UseForceUpdateHandle,
) -> Result<(), String> {
    let lesson = state.player.borrow().lesson.clone();
    match command {
        Command::Hello => {}
        Command::LoadLesson { id, step } => {
            if super::catalogue().find(&id).is_none() {
                return Err(format!("there is no lesson \u{201c}{id}\u{201d}"));
            }
            stop(link, state);
            state.embed.borrow_mut().leaving = true;
            // The shell opens the lesson anew for the new address.
            let hash = format!("{}{}", lesson_hash(&id, step, true), state.trust.query());
            let _ = gloo::utils::window().location().set_hash(&hash);
        }
        Command::LoadStory { name, step } => {
            let mut lab = state.lab.borrow_mut();
            let index = crate::lab::stories::find(lab.stories(), &name)
                .ok_or_else(|| format!("there is no story \u{201c}{name}\u{201d}"))?;
            stop(link, state);
            *state.player.borrow_mut() = Player::new(lesson);
            {
                let mut session = state.embed.borrow_mut();
                session.caption = Some(format!("Story: {}", lab.stories()[index].title));
                session.story = Some(name);
                session.variation = None;
            }
            *state.linked_step.borrow_mut() = step;
            lab.select_story(index);
        }
        Command::Go(target) => {
            let mut lab = state.lab.borrow_mut();
            let Some(trace) = lab.shown().map(|s| s.trace.clone()) else {
                return match target {
                    embed::Target::Step(step) => {
                        *state.linked_step.borrow_mut() = Some(step);
                        Ok(())
                    }
                    _ => Err("the run has not arrived yet: wait for a state with a step".into()),
                };
            };
            let mut player = state.player.borrow_mut();
            let step = embed::resolve(&target, &player, &trace)?;
            player.stopped_by = None;
            lab.go(step);
        }
        Command::Next | Command::Previous => {
            let mut lab = state.lab.borrow_mut();
            let step = lab.step();
            lab.go(if matches!(command, Command::Next) {
                step + 1
            } else {
                step.saturating_sub(1)
            });
            state.player.borrow_mut().stopped_by = None;
        }
        Command::Play { interval_ms } => {
            state.embed.borrow_mut().playing = Some(interval_ms);
            let (weak_link, state_, redraw) = (Rc::downgrade(link), state.clone(), redraw.clone());
            let ticker = Interval::new(interval_ms as u32, move || {
                let Some(link) = weak_link.upgrade() else {
                    return;
                };
                if link.gone.get() {
                    return;
                }
                let at_end = {
                    let mut lab = state_.lab.borrow_mut();
                    let last = lab.shown().map(|s| s.last());
                    match last {
                        Some(last) if lab.step() < last => {
                            lab.next();
                            lab.step() >= last
                        }
                        Some(_) => true,
                        None => false,
                    }
                };
                if at_end {
                    stop(&link, &state_);
                }
                redraw.force_update();
            });
            *link.ticker.borrow_mut() = Some(ticker);
        }
        Command::Pause => stop(link, state),
        Command::Reset => {
            stop(link, state);
            let (text, seed) = scenario_text::main_scenario(&lesson)?;
            *state.player.borrow_mut() = Player::new(lesson);
            {
                let mut session = state.embed.borrow_mut();
                *session = Session {
                    received: session.received,
                    ..Session::default()
                };
            }
            *state.linked_step.borrow_mut() = Some(0);
            let mut lab = state.lab.borrow_mut();
            lab.set_text(text);
            lab.set_seed(seed);
            lab.run();
        }
        Command::WhatIf(what_if) => {
            if state.embed.borrow().story.is_some() {
                return Err(
                    "a \u{201c}what if\u{201d} varies the lesson's scenario: reset first".into(),
                );
            }
            let run = embed::what_if_scenario(&lesson, &what_if)?;
            lockstep_lessons::scenario(&run.text).map_err(|e| e.to_string())?;
            let mut lab = state.lab.borrow_mut();
            // The varied run opens at the step on show: "what if, here?".
            *state.linked_step.borrow_mut() = Some(lab.step() as u64);
            {
                let mut session = state.embed.borrow_mut();
                session.variation = Some(run.label);
                session.caption = Some(run.caption);
            }
            lab.set_text(run.text);
            lab.set_seed(run.seed);
            lab.run();
        }
    }
    Ok(())
}

/// Stops autoplay.
fn stop(link: &EmbedLink, state: &PageState) {
    link.ticker.borrow_mut().take();
    state.embed.borrow_mut().playing = None;
}

/// Sends the state when it changed since the last announcement.
fn announce(link: &EmbedLink, state: &PageState) {
    let lab = state.lab.borrow();
    let player = state.player.borrow();
    let run = lab.shown().map(|shown| RunView {
        trace: &shown.trace,
        step: lab.step(),
        verdicts: &shown.verdicts,
        verdicts_shown: lab.verdicts_revealed() || lab.step() >= shown.last(),
    });
    let announcement = embed::announce(&player, run, lab.is_running(), &state.embed.borrow());
    let Ok(message) = serde_json::to_value(&announcement) else {
        return;
    };
    let text = message.to_string();
    if *link.last_sent.borrow() == text {
        return;
    }
    let target = link
        .listener
        .borrow()
        .clone()
        .or_else(|| trusted_referrer(&state.trust));
    if let Some(origin) = target {
        post(&origin, &message);
        *link.last_sent.borrow_mut() = text;
    }
}
