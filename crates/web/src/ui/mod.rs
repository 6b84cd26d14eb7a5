//! The Yew components. Thin on purpose: they hold the browser-facing state
//! (the input's text, focus, scrolling) and hand everything else to
//! [`crate::console`].

mod app;
mod console;
mod lessons;

pub use app::App;

/// Renders the app into the page's `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// The page's clock in milliseconds since the Unix epoch: the engine's time.
pub(crate) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
