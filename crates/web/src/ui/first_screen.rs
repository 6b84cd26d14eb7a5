//! The first screen: the home alone, in a small wasm (`lockstep-web`) that
//! carries neither the Redis model, Lua, the simulator nor the lessons'
//! text. When the learner leaves the home (or arrives at another page),
//! it loads the whole app (`lockstep-app`), which then owns the page and
//! every route, the home included.

use std::cell::{Cell, RefCell};

use gloo::events::EventListener;
use wasm_bindgen::prelude::*;
use yew::prelude::*;
use yew::AppHandle;

use super::chrome::{colophon, masthead, Section};
use super::home::Home;
use super::lab::location_hash;
use crate::learn::route::{self, Route};

#[wasm_bindgen(inline_js = r#"
export function load_app() {
  // Beside index.html, under names Trunk does not hash (web/index.html).
  const base = document.baseURI;
  return import(new URL('lockstep-app.js', base).href).then((app) =>
    app.default({ module_or_path: new URL('lockstep-app_bg.wasm', base) }));
}
"#)]
extern "C" {
    /// Fetches and starts the whole app. A failure is an unhandled
    /// rejection, which web/index.html reports on the loading note.
    fn load_app() -> js_sys::Promise;
}

thread_local! {
    static HOME: RefCell<Option<AppHandle<FirstScreen>>> = const { RefCell::new(None) };
    static LEFT: Cell<bool> = const { Cell::new(false) };
}

/// Draws the home, or loads the whole app at once if the address names
/// another page.
pub fn start() {
    if route::parse(&location_hash()) != Route::Home {
        leave_for_the_app();
        return;
    }
    let handle = yew::Renderer::<FirstScreen>::new().render();
    HOME.with(|h| *h.borrow_mut() = Some(handle));
    // Lives as long as the page; after leaving it does nothing (it cannot
    // remove itself from inside its own call).
    EventListener::new(&gloo::utils::window(), "hashchange", |_| {
        if route::parse(&location_hash()) != Route::Home {
            leave_for_the_app();
        }
    })
    .forget();
}

/// Takes the home off the page (the loading note shows until the whole
/// app has drawn) and loads the app, once.
fn leave_for_the_app() {
    if LEFT.with(|left| left.replace(true)) {
        return;
    }
    if let Some(home) = HOME.with(|h| h.borrow_mut().take()) {
        home.destroy();
    }
    let _ = load_app();
}

#[component]
fn FirstScreen() -> Html {
    html! {
        <div class="shell">
            { masthead(Section::Lessons) }
            <main class="workspace"><Home /></main>
            { colophon() }
        </div>
    }
}
