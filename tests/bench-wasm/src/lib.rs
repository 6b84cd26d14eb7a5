//! The wasm half of `lockstep bench` lives in `tests/wasm_bench.rs`; `lockstep
//! bench --only wasm` builds and runs it under Node and in headless
//! Chromium and reads the figures it prints. Nothing here natively.
