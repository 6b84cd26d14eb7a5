//! The workers a "fix it" is graded with: one per core, as "Break it"
//! searches ([`super::search_pool`]), each grading one share;
//! [`FixGrading`] merges their answers into the question's progress bar and
//! verdict. Dropping the pool stops every worker (Cancel).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;

use crate::lab::jobs::{Request, Response};
use crate::lab::split::workers_for;
use crate::learn::fix_grading::{FixGrading, News};
use crate::learn::player::Player;

use super::search_pool::cores;
use super::worker::WorkerLink;

/// A grading under way: its workers, stopped when it is dropped.
pub struct GradingPool {
    _workers: Vec<WorkerLink>,
}

impl GradingPool {
    /// Grades `source` for question `question` across the machine's cores;
    /// the grade lands on the player's question (`on_graded` is told which
    /// question and whether it passed), `changed` redraws.
    pub fn start(
        player: &Rc<RefCell<Player>>,
        (id, question, source): (u64, usize, &str),
        on_graded: Rc<dyn Fn(usize, bool)>,
        changed: Rc<dyn Fn()>,
    ) -> Result<GradingPool, String> {
        let lesson = player.borrow().lesson.clone();
        let Some(asked) = lesson.questions.get(question).cloned() else {
            return Err("the lesson has no such question".into());
        };
        let (grading, requests) =
            FixGrading::start(id, &lesson.meta.id, question, source, workers_for(cores()));
        let count = grading.workers();
        let grading = Rc::new(RefCell::new(grading));
        // The workers, to stop the others once the grade is settled.
        let ports: Rc<RefCell<Vec<web_sys::Worker>>> = Rc::default();
        let mut workers = Vec::with_capacity(count);
        for request in requests {
            let on_answer: Rc<dyn Fn(Response)> = {
                let (player, grading, ports) = (player.clone(), grading.clone(), ports.clone());
                let (asked, on_graded, changed) =
                    (asked.clone(), on_graded.clone(), changed.clone());
                Rc::new(move |answer| {
                    let news = grading.borrow_mut().receive(&asked, answer);
                    match news {
                        Some(News::Progress(progress)) => {
                            let mut player = player.borrow_mut();
                            if let Some(q) =
                                player.questions.iter_mut().find(|q| q.grading == Some(id))
                            {
                                q.grading_progress = Some(progress);
                            }
                        }
                        Some(News::Graded(result, run)) => {
                            let cancel = JsValue::from_str(&Request::Cancel { id }.to_json());
                            for port in ports.borrow().iter() {
                                let _ = port.post_message(&cancel);
                            }
                            let graded = player.borrow_mut().fix_graded(id, result, run);
                            if let Some((question, passed)) = graded {
                                on_graded(question, passed);
                            }
                        }
                        None => return,
                    }
                    changed();
                })
            };
            let on_failure: Rc<dyn Fn(String)> = {
                let (player, changed) = (player.clone(), changed.clone());
                Rc::new(move |message| {
                    player.borrow_mut().worker_failed(&message);
                    changed();
                })
            };
            let link = WorkerLink::spawn_with(on_answer, on_failure)?;
            link.post(&request);
            ports.borrow_mut().push(link.port());
            workers.push(link);
        }
        mark_grading_workers(count);
        Ok(GradingPool { _workers: workers })
    }
}

/// Says on the page how many workers the last grading used
/// (`data-grading-workers` on the document's root).
fn mark_grading_workers(count: usize) {
    if let Some(root) = gloo::utils::document().document_element() {
        let _ = root.set_attribute("data-grading-workers", &count.to_string());
    }
}
