//! Every lesson of the patterns track (and the capstones) played start to
//! finish with its recorded answers, as `lesson.rs` does for the lock track:
//! every answer must pass, and every lesson must have its answers file.

use std::path::{Path, PathBuf};
use std::process::Command;

fn lessons_in(track: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../lessons")
        .join(track);
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn play(lesson: &Path) {
    let answers = lesson.with_extension("answers.toml");
    assert!(answers.exists(), "{} has no answers file", lesson.display());
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .arg("lesson")
        .arg(lesson)
        .arg("--answers")
        .arg(&answers)
        .output()
        .expect("run the lockstep binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}:\n{stdout}\n{}",
        lesson.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("✗"), "{}:\n{stdout}", lesson.display());
    assert!(
        stdout.contains("answer(s) passed."),
        "{}:\n{stdout}",
        lesson.display()
    );
}

#[test]
fn every_patterns_lesson_plays_to_the_end_with_its_recorded_answers() {
    let lessons = lessons_in("patterns");
    assert!(!lessons.is_empty(), "no patterns lessons");
    for lesson in &lessons {
        play(lesson);
    }
}

#[test]
fn every_capstone_plays_to_the_end_with_its_recorded_answers() {
    for lesson in &lessons_in("capstones") {
        play(lesson);
    }
}
