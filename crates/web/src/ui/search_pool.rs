//! The workers "Break it" searches with: as many as the machine has cores
//! (up to [`crate::lab::split::MAX_WORKERS`]), each running one share of the
//! search; [`SplitSearch`] merges their answers into the lab's usual
//! Progress and Explored, so the rest of the lab sees one search.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;

use crate::lab::jobs::{Request, Response};
use crate::lab::split::{workers_for, Merged, SplitSearch};
use crate::lab::Lab;

use super::worker::WorkerLink;

/// A split search in progress and its workers.
pub struct SearchPool {
    id: u64,
    workers: Vec<WorkerLink>,
}

impl SearchPool {
    /// Starts search `id` across the machine's cores; `changed` redraws.
    pub fn start(
        lab: &Rc<RefCell<Lab>>,
        changed: Rc<dyn Fn()>,
        id: u64,
        text: &str,
        seed: u64,
    ) -> Result<SearchPool, String> {
        let (split, requests) = SplitSearch::start(id, text, seed, workers_for(cores()));
        let count = split.workers();
        let split = Rc::new(RefCell::new(split));
        // The workers, to stop the others once the answer is settled.
        let ports: Rc<RefCell<Vec<web_sys::Worker>>> = Rc::default();
        let mut workers = Vec::with_capacity(count);
        for request in requests {
            let on_answer: Rc<dyn Fn(Response)> = {
                let (lab, changed, split) = (lab.clone(), changed.clone(), split.clone());
                let ports = ports.clone();
                Rc::new(move |answer| {
                    let merged = match answer {
                        Response::ExploreFailed { .. } => {
                            lab.borrow_mut().receive(answer);
                            changed();
                            return;
                        }
                        answer => split.borrow_mut().receive(answer),
                    };
                    match merged {
                        Some(Merged::Running(progress)) => {
                            lab.borrow_mut()
                                .receive(Response::Progress { id, progress });
                        }
                        Some(Merged::Done(outcome)) => {
                            let cancel = JsValue::from_str(&Request::Cancel { id }.to_json());
                            for port in ports.borrow().iter() {
                                let _ = port.post_message(&cancel);
                            }
                            lab.borrow_mut().receive(Response::Explored { id, outcome });
                        }
                        None => return,
                    }
                    changed();
                })
            };
            let on_failure: Rc<dyn Fn(String)> = {
                let (lab, changed) = (lab.clone(), changed.clone());
                Rc::new(move |message| {
                    lab.borrow_mut().worker_failed(&message);
                    changed();
                })
            };
            let link = WorkerLink::spawn_with(on_answer, on_failure)?;
            link.post(&request);
            ports.borrow_mut().push(link.port());
            workers.push(link);
        }
        mark_workers(count);
        Ok(SearchPool { id, workers })
    }

    /// Stops every share of the search.
    pub fn cancel(&self, id: u64) {
        if id == self.id {
            for worker in &self.workers {
                worker.post(&Request::Cancel { id });
            }
        }
    }
}

/// Logical cores (`navigator.hardwareConcurrency`; 0 when the browser
/// does not say).
pub(super) fn cores() -> u32 {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))
        .and_then(|navigator| {
            js_sys::Reflect::get(&navigator, &JsValue::from_str("hardwareConcurrency"))
        })
        .ok()
        .and_then(|cores| cores.as_f64())
        .map_or(0, |cores| cores as u32)
}

/// Says on the page how many workers the last search used
/// (`data-search-workers` on the document's root), for tests and the curious.
fn mark_workers(count: usize) {
    if let Some(root) = gloo::utils::document().document_element() {
        let _ = root.set_attribute("data-search-workers", &count.to_string());
    }
}
