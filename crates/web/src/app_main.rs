//! Entry point of the whole app, which the first screen (`main.rs`) loads
//! when the learner leaves the home (see `ui::first_screen`).

#[cfg(target_arch = "wasm32")]
fn main() {
    lockstep_web::ui::start();
}

/// Natively there is no page to render into; say how to get one.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("lockstep-app runs in a browser: start it with ./serve.sh");
    std::process::exit(2);
}
