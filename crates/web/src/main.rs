//! Entry point that Trunk builds into the page's wasm module: the first
//! screen (the home), which loads the whole app (`app_main.rs`) when the
//! learner opens a lesson or the lab.

#[cfg(target_arch = "wasm32")]
fn main() {
    lockstep_web::ui::first_screen::start();
}

/// Natively there is no page to render into; say how to get one.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("lockstep-web runs in a browser: start it with ./serve.sh");
    std::process::exit(2);
}
