// The simulator's web worker (crates/web/src/ui/worker.rs starts it as a
// module worker). It runs the app's own wasm module, which the page posts
// as its first message already compiled: opening a lesson downloads and
// compiles the Redis model, Lua and the simulator once, not once for the
// page and again for each worker. The app's entry point sees it has no
// window and listens for the page's requests (crates/web/src/worker_host.rs).
import init from './lockstep-app.js';

self.onmessage = (event) => {
  self.onmessage = null;
  init({ module_or_path: event.data }).catch((error) => {
    // Rethrown outside the promise so the page's worker gets an error event.
    setTimeout(() => {
      throw error;
    });
  });
};
