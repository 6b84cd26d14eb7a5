//! The page's one copy of the lesson catalogue, the home's listing and the learner's
//! progress, and saving progress to `localStorage`.
//!
//! Saving can fail (a full store, storage turned off); the progress then
//! lives on in the page and [`save_problem`] says so, and what was saved
//! earlier stays as it was.

use std::cell::RefCell;
use std::rc::Rc;

use crate::learn::catalogue::Catalogue;
use crate::learn::listing::Listing;
use crate::learn::progress::{Progress, ASIDE_KEY, KEY};

thread_local! {
    static CATALOGUE: Rc<Catalogue> = Rc::new(Catalogue::load());
    static LISTING: Rc<Listing> = Rc::new(Listing::load());
    static PROGRESS: RefCell<Option<Progress>> = const { RefCell::new(None) };
    static PROBLEM: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The lessons, parsed once.
pub fn catalogue() -> Rc<Catalogue> {
    CATALOGUE.with(Rc::clone)
}

/// What the home lists, read once (no lesson is parsed for it).
pub fn listing() -> Rc<Listing> {
    LISTING.with(Rc::clone)
}

fn storage() -> Option<web_sys::Storage> {
    gloo::utils::window().local_storage().ok().flatten()
}

/// Reads the progress, once: text that cannot be read is kept aside
/// under its own key before anything is saved over it.
fn loaded() -> Progress {
    let stored = storage().and_then(|s| s.get_item(KEY).ok().flatten());
    let loaded = Progress::load(stored.as_deref());
    if loaded.keep_aside {
        if let (Some(store), Some(text)) = (storage(), stored) {
            if store.set_item(ASIDE_KEY, &text).is_err() {
                set_problem(Some(
                    "Saved progress that could not be read could not be kept aside, so nothing will be saved over it.".into(),
                ));
                // Saving over it would lose it: keep the page's progress only.
                PROBLEM.with(|p| {
                    if let Some(problem) = p.borrow_mut().as_mut() {
                        problem.push_str(" (kept in this page only)");
                    }
                });
            }
        }
    }
    if let Some(note) = loaded.note {
        if PROBLEM.with(|p| p.borrow().is_none()) {
            set_problem(Some(note));
        }
    }
    loaded.progress
}

/// Reads the progress.
pub fn with_progress<T>(read: impl FnOnce(&Progress) -> T) -> T {
    PROGRESS.with(|p| {
        let mut p = p.borrow_mut();
        read(p.get_or_insert_with(loaded))
    })
}

/// Changes the progress and saves it.
pub fn update_progress(change: impl FnOnce(&mut Progress) -> bool) {
    let json = PROGRESS.with(|p| {
        let mut p = p.borrow_mut();
        let progress = p.get_or_insert_with(loaded);
        change(progress).then(|| progress.to_json())
    });
    let Some(json) = json else {
        return;
    };
    if PROBLEM.with(|p| {
        p.borrow()
            .as_deref()
            .is_some_and(|m| m.ends_with("(kept in this page only)"))
    }) {
        return;
    }
    match storage() {
        Some(store) => match store.set_item(KEY, &json) {
            Ok(()) => {
                // A save that works again clears an earlier quota message.
                PROBLEM.with(|p| {
                    let mut p = p.borrow_mut();
                    if p.as_deref().is_some_and(|m| m.starts_with("Progress could not be saved")) {
                        *p = None;
                    }
                });
            }
            Err(_) => set_problem(Some(
                "Progress could not be saved: the browser's storage for this site is full or turned off. \
                 What you do now is kept until you leave the page; what was saved before is unchanged."
                    .into(),
            )),
        },
        None => set_problem(Some(
            "Progress could not be saved: this browser does not offer storage to the page.".into(),
        )),
    }
}

fn set_problem(problem: Option<String>) {
    PROBLEM.with(|p| *p.borrow_mut() = problem);
}

/// Why progress is not being saved, if it is not.
pub fn save_problem() -> Option<String> {
    PROBLEM.with(|p| p.borrow().clone())
}

/// Where a shift of the progress clock is kept (ms, may be negative).
pub const CLOCK_SHIFT_KEY: &str = "lockstep.clock.shift_ms";

/// The clock answers and the review schedule are dated by: the page's
/// clock, shifted by the number under [`CLOCK_SHIFT_KEY`] if there is one,
/// so a page can be looked at as of a later day (the e2e tests move time
/// this way; a learner could too, to see what is due on a given day).
pub fn clock_ms() -> i64 {
    let shift = storage()
        .and_then(|s| s.get_item(CLOCK_SHIFT_KEY).ok().flatten())
        .and_then(|t| t.trim().parse::<i64>().ok())
        .unwrap_or(0);
    super::now_ms().saturating_add(shift)
}
