//! Entry point of the whole app, which the first screen (`main.rs`) loads
//! when the learner leaves the home (see `ui::first_screen`), and which
//! each web worker runs too (see `worker_host`).

#[cfg(target_arch = "wasm32")]
fn main() {
    // The web workers run this same module (web/lockstep-worker.js): with
    // no window to draw in, it serves the page's requests instead.
    if web_sys::window().is_some() {
        lockstep_web::ui::start();
    } else {
        lockstep_web::worker_host::start();
    }
}

/// Natively there is no page to render into; say how to get one.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("lockstep-app runs in a browser: start it with ./serve.sh");
    std::process::exit(2);
}
