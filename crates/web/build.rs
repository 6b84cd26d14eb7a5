//! Writes `$OUT_DIR/lesson_summaries.json`: what the home lists for every
//! lesson, so the first screen's wasm needs neither the lessons' text nor
//! their parser (see `src/learn/summary.rs`).

#[path = "src/learn/summary.rs"]
#[allow(dead_code)]
mod summary;

fn main() {
    // The lessons crate embeds the lesson files and says when they change;
    // this script reruns whenever that crate is rebuilt.
    let lessons = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons");
    println!("cargo:rerun-if-changed={}", lessons.display());
    println!("cargo:rerun-if-changed=src/learn/summary.rs");
    let summaries = summary::of_embedded_lessons();
    let json = serde_json::to_string(&summaries).expect("summaries serialize");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR"))
        .join("lesson_summaries.json");
    std::fs::write(&out, json).expect("write lesson_summaries.json");
}
