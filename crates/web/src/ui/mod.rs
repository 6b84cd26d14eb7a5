//! The Yew components. Thin on purpose: they hold the browser-facing state
//! (inputs, focus, scrolling, timers, the address) and hand everything else
//! to [`crate::console`], [`crate::lab`] and [`crate::learn`].

mod app;
mod charts;
mod chrome;
mod console;
pub mod first_screen;
mod grading_pool;
mod home;
mod lab;
mod lab_view;
mod markdown_view;
mod metrics_table;
mod picture;
mod player;
mod player_view;
mod review;
mod search_pool;
mod store;
mod what_if;
mod worker;

pub use app::App;

/// Renders the app into the page's `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// The page's clock in milliseconds since the Unix epoch: the engine's time.
pub(crate) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// A monotonic clock in ms (`performance.now()`), for measuring the
/// explorer's speed and slicing its work; the wall clock as a fallback.
pub(crate) fn perf_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}
