//! Entry point of the lab's web worker: a second binary that Trunk builds
//! beside the page's (`web/index.html`, `data-type="worker"`). It runs the
//! simulator and the explorer so the page's thread only draws.

#[cfg(target_arch = "wasm32")]
fn main() {
    lockstep_web::worker_host::start();
}

/// Natively there is no page to serve; the lab's runner is tested natively
/// through `lockstep_web::lab::jobs`.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("lockstep-worker runs in a browser's web worker: start the page with ./serve.sh");
    std::process::exit(2);
}
