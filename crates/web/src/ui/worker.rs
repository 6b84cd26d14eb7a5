//! The page's end of the lab's web worker: starts it, posts the lab's
//! requests to it, and hands its answers back to the lab.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::lab::jobs::{Request, Response};
use crate::lab::Lab;

/// The worker's script (web/lockstep-worker.js, copied by Trunk beside
/// index.html): it imports the app's JS and starts the wasm module the page
/// posts to it. A module worker, because the Lua crate's JS snippet is an
/// ES module.
const WORKER_SCRIPT: &str = "./lockstep-worker.js";

/// A running worker and the handlers that must live as long as it does.
pub struct WorkerLink {
    worker: Worker,
    /// The worker said Ready: requests go straight to it.
    ready: Rc<Cell<bool>>,
    /// Requests (as JSON) held until then.
    held: Rc<RefCell<Vec<String>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl WorkerLink {
    /// Starts the worker for the lab; `changed` is called after each answer.
    pub fn spawn(lab: Rc<RefCell<Lab>>, changed: Rc<dyn Fn()>) -> Result<WorkerLink, String> {
        let on_answer: Rc<dyn Fn(Response)> = {
            let (lab, changed) = (lab.clone(), changed.clone());
            Rc::new(move |answer| {
                lab.borrow_mut().receive(answer);
                changed();
            })
        };
        let on_failure: Rc<dyn Fn(String)> = Rc::new(move |message| {
            lab.borrow_mut().worker_failed(&message);
            changed();
        });
        WorkerLink::spawn_with(on_answer, on_failure)
    }

    /// Starts the worker; `on_answer` gets each answer but Ready, and
    /// `on_failure` why the worker failed (or sent what cannot be read).
    pub fn spawn_with(
        on_answer: Rc<dyn Fn(Response)>,
        on_failure: Rc<dyn Fn(String)>,
    ) -> Result<WorkerLink, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(WORKER_SCRIPT, &options).map_err(|e| {
            format!(
                "The simulator could not start in the background: {}",
                describe(&e)
            )
        })?;
        // The worker runs this very module: hand it over compiled, so it is
        // neither downloaded nor compiled again.
        worker.post_message(&wasm_bindgen::module()).map_err(|e| {
            format!(
                "The simulator could not start in the background: {}",
                describe(&e)
            )
        })?;
        let ready = Rc::new(Cell::new(false));
        let held: Rc<RefCell<Vec<String>>> = Rc::default();
        let on_message = {
            let on_failure = on_failure.clone();
            let (ready, held, target) = (ready.clone(), held.clone(), worker.clone());
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let text = event.data().as_string().unwrap_or_default();
                match Response::from_json(&text) {
                    Ok(Response::Ready) => {
                        ready.set(true);
                        for request in held.borrow_mut().drain(..) {
                            let _ = target.post_message(&JsValue::from_str(&request));
                        }
                    }
                    Ok(answer) => on_answer(answer),
                    Err(message) => on_failure(message),
                }
            })
        };
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            let message = event.message();
            let message = if message.is_empty() {
                "the simulator's worker did not load".to_string()
            } else {
                message
            };
            on_failure(message);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(WorkerLink {
            worker,
            ready,
            held,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Posts every request the lab has queued.
    pub fn flush(&self, lab: &RefCell<Lab>) {
        let requests = lab.borrow_mut().take_requests();
        for request in requests {
            self.post(&request);
        }
    }

    /// The worker itself, to post to once it is ready.
    pub fn port(&self) -> Worker {
        self.worker.clone()
    }

    /// Posts one request (held until the worker is ready).
    pub fn post(&self, request: &Request) {
        let json = request.to_json();
        if self.ready.get() {
            let _ = self.worker.post_message(&JsValue::from_str(&json));
        } else {
            self.held.borrow_mut().push(json);
        }
    }
}

impl Drop for WorkerLink {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

fn describe(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            error
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "unknown error".into())
}
