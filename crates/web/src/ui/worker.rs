//! The page's end of the lab's web worker: starts it, posts the lab's
//! requests to it, and hands its answers back to the lab.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::lab::jobs::Response;
use crate::lab::Lab;

/// Trunk names a worker's files after its binary (no content hash), and
/// the loader shim imports its JS and wasm: a module worker, because the
/// Lua crate's JS snippet is an ES module.
const WORKER_SCRIPT: &str = "./lockstep-worker_loader.js";

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
    /// Starts the worker; `changed` is called after each answer it gives.
    pub fn spawn(lab: Rc<RefCell<Lab>>, changed: Rc<dyn Fn()>) -> Result<WorkerLink, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(WORKER_SCRIPT, &options).map_err(|e| {
            format!(
                "The simulator could not start in the background: {}",
                describe(&e)
            )
        })?;
        let ready = Rc::new(Cell::new(false));
        let held: Rc<RefCell<Vec<String>>> = Rc::default();
        let on_message = {
            let (lab, changed) = (lab.clone(), changed.clone());
            let (ready, held, target) = (ready.clone(), held.clone(), worker.clone());
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let text = event.data().as_string().unwrap_or_default();
                match Response::from_json(&text) {
                    Ok(Response::Ready) => {
                        ready.set(true);
                        for request in held.borrow_mut().drain(..) {
                            let _ = target.post_message(&JsValue::from_str(&request));
                        }
                        return;
                    }
                    Ok(answer) => lab.borrow_mut().receive(answer),
                    Err(message) => lab.borrow_mut().worker_failed(&message),
                }
                changed();
            })
        };
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            let message = event.message();
            let message = if message.is_empty() {
                "the simulator's worker did not load".to_string()
            } else {
                message
            };
            lab.borrow_mut().worker_failed(&message);
            changed();
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
            let json = request.to_json();
            if self.ready.get() {
                let _ = self.worker.post_message(&JsValue::from_str(&json));
            } else {
                self.held.borrow_mut().push(json);
            }
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
