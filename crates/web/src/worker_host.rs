//! The web worker's side of [`crate::lab::jobs`]: reads the page's requests,
//! hands them to a [`JobRunner`], and posts the answers back. A search runs
//! one slice per turn of the worker's event loop, so a Cancel or a Run sent
//! meanwhile is read between slices.
//!
//! The next slice is queued as a message to the worker itself (a
//! `MessageChannel`), not a zero-delay timer: browsers hold a timer set
//! from a timer's callback, five deep or more, for at least 4 ms, which
//! was one eighth of every 25 ms slice spent idle.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

use crate::lab::jobs::{JobRunner, Request, Response};

/// The worker's state, shared by its message handler and its timer.
struct Host {
    scope: DedicatedWorkerGlobalScope,
    runner: RefCell<JobRunner>,
    /// A slice is scheduled already.
    ticking: Cell<bool>,
    /// When progress was last posted: each post redraws the page, so
    /// progress goes out at most every [`PROGRESS_EVERY_MS`].
    last_progress: Cell<f64>,
    /// A message on it runs the next slice (see the module's note).
    next_slice: MessageChannel,
}

/// Least time between two progress posts, in ms.
const PROGRESS_EVERY_MS: f64 = 250.0;

/// Starts listening for the page's requests.
pub fn start() {
    let Ok(next_slice) = MessageChannel::new() else {
        return;
    };
    let host = Rc::new(Host {
        scope: js_sys::global().unchecked_into(),
        runner: RefCell::new(JobRunner::new()),
        ticking: Cell::new(false),
        last_progress: Cell::new(0.0),
        next_slice,
    });
    let on_slice = {
        let host = host.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| run_slice(&host))
    };
    host.next_slice
        .port2()
        .set_onmessage(Some(on_slice.as_ref().unchecked_ref()));
    // Lives as long as the worker, as the page's handler below.
    on_slice.forget();
    let on_message = {
        let host = host.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let text = event.data().as_string().unwrap_or_default();
            // The page only sends what it serialized itself; anything else
            // is dropped rather than answered.
            let Ok(request) = Request::from_json(&text) else {
                return;
            };
            let answer = host.runner.borrow_mut().handle(request, now_ms());
            if let Some(answer) = answer {
                host.post(&answer);
            }
            schedule(&host);
        })
    };
    host.scope
        .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    host.post(&Response::Ready);
}

impl Host {
    fn post(&self, answer: &Response) {
        let _ = self
            .scope
            .post_message(&JsValue::from_str(&answer.to_json()));
    }
}

/// Queues the next slice of a search behind the messages already waiting.
fn schedule(host: &Rc<Host>) {
    if host.ticking.get() || !host.runner.borrow().busy() {
        return;
    }
    host.ticking.set(true);
    let _ = host.next_slice.port1().post_message(&JsValue::NULL);
}

/// Runs one slice and posts what it says (progress at most every
/// [`PROGRESS_EVERY_MS`]).
fn run_slice(host: &Rc<Host>) {
    host.ticking.set(false);
    let mut now = now_ms;
    let answer = host.runner.borrow_mut().tick(&mut now);
    match answer {
        Some(Response::Progress { .. })
            if now_ms() - host.last_progress.get() < PROGRESS_EVERY_MS => {}
        Some(answer) => {
            host.last_progress.set(now_ms());
            host.post(&answer);
        }
        None => {}
    }
    schedule(host);
}

/// Milliseconds on the worker's clock (the page's `perf_now` needs a window).
fn now_ms() -> f64 {
    js_sys::Date::now()
}
