//! Lesson myths on real Redis: every lesson's myth transcripts
//! (`lessons/**/*.md`, read by `lockstep-lessons`) are replayed like a
//! command file, each transcript on fresh servers, and compared byte for
//! byte. The outcome per lesson is kept in `lessons/checked.json`, which
//! the web app shows as "checked against Redis 7.0".
//!
//! `lockstep check` proves the other half: that the replies written in the
//! transcript are what the model answers.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lockstep_lessons::lesson::Lesson;

use crate::runner::{replay_on_fresh_servers, FileReport};
use crate::script::{Order, Step};

/// The lessons folder of the checkout under test.
pub fn lessons_dir() -> PathBuf {
    crate::suite_dir().join("../../lessons")
}

/// Lesson files (`*.md` but READMEs) under `dir` that hold at least one
/// myth, sorted.
pub fn lesson_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for p in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "md")
                && p.file_name().is_some_and(|n| n != "README.md")
                && std::fs::read_to_string(&p).is_ok_and(|t| t.contains("```myth"))
            {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

/// Each myth's transcript as command-file steps.
pub fn myth_steps(text: &str) -> Result<Vec<Vec<Step>>, String> {
    let lesson = Lesson::parse(text).map_err(|e| e.to_string())?;
    Ok(lesson
        .myths
        .iter()
        .map(|m| {
            m.steps
                .iter()
                .map(|s| Step {
                    line: s.line,
                    text: s.command.clone(),
                    args: s.args.clone(),
                    sleep_ms: 0,
                    order: Order::Exact,
                    conn: 1,
                    blocks: false,
                })
                .collect()
        })
        .collect())
}

/// Replays every myth of one lesson, each on fresh servers.
pub fn run_lesson(path: &Path, name: &str, lockstep: &Path) -> FileReport {
    let mut report = FileReport {
        name: name.to_string(),
        total: 0,
        compared: Vec::new(),
        error: None,
    };
    let myths = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
        .and_then(|t| myth_steps(&t));
    match myths {
        Err(e) => report.error = Some(e),
        Ok(myths) => {
            for steps in myths {
                replay_on_fresh_servers(&steps, lockstep, &mut report);
                if report.error.is_some() {
                    break;
                }
            }
        }
    }
    report
}

/// The digest of a lesson file's myth transcripts that `checked.json`
/// records ([`lockstep_lessons::checked::transcripts_digest`]): the web
/// shows the badge only while the lesson still has these transcripts.
pub fn transcripts_digest(path: &Path) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| Lesson::parse(&text).ok())
        .map(|lesson| lockstep_lessons::checked::transcripts_digest(&lesson.myths))
        .unwrap_or_default()
}

/// `lessons/checked.json`: per lesson with myths, how many transcript
/// commands were replayed, whether Redis answered every one exactly as
/// the model does, and the digest of the transcripts replayed. `redis` is
/// the version checked against (`7.0`).
pub fn manifest(redis: &str, lessons: &[(String, String, &FileReport)]) -> String {
    let mut out = String::from("{\n");
    let _ = writeln!(out, "  \"checked_against\": \"Redis {redis}\",");
    out.push_str("  \"lessons\": {");
    for (i, (file, digest, report)) in lessons.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n    \"{}\": {{ \"commands\": {}, \"identical\": {}, \"matched\": {}, \"transcripts\": \"{}\" }}",
            if i == 0 { "" } else { "," },
            file.replace('\\', "/"),
            report.total,
            report.identical(),
            report.passed(),
            digest
        );
    }
    out.push_str("\n  }\n}\n");
    out
}

/// `major.minor` of the `redis-server` on PATH.
pub fn redis_version() -> Result<String, String> {
    let out = std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run redis-server --version: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("v="))
        .map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."))
        .ok_or_else(|| format!("cannot read the version in `{}`", text.trim()))
}

/// Compares the manifest with `lessons/checked.json`, or rewrites the
/// file when `LOCKSTEP_BLESS=1`. Returns whether they agree (or were made
/// to).
pub fn check_manifest(text: &str) -> bool {
    let path = lessons_dir().join("checked.json");
    if std::env::var_os("LOCKSTEP_BLESS").is_some_and(|v| v == "1") {
        return match std::fs::write(&path, text) {
            Ok(()) => {
                println!("differential: wrote {}", path.display());
                true
            }
            Err(e) => {
                eprintln!("differential: cannot write {}: {e}", path.display());
                false
            }
        };
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == text {
        return true;
    }
    eprintln!(
        "differential: {} does not record this run's myth results; \
         rerun with LOCKSTEP_BLESS=1 to rewrite it. This run:\n{text}",
        path.display()
    );
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn myth_transcripts_become_steps_with_their_lines() {
        let text = "+++\nid = \"x\"\ntitle = \"t\"\ntrack = \"t\"\norder = 1\nsummary = \"s\"\n\
                    difficulty = \"beginner\"\nminutes = 1\ninterview = \"q\"\n\
                    story = \"busy_script\"\n+++\n\n```myth\nclaim = \"c\"\ntruth = \"t\"\n\
                    transcript = '''\n> SET k \"a b\"\nOK\n'''\n```\n";
        let myths = myth_steps(text).unwrap();
        assert_eq!(myths.len(), 1);
        assert_eq!(
            myths[0][0].args,
            vec![b"SET".to_vec(), b"k".to_vec(), b"a b".to_vec()]
        );
        assert_eq!(myths[0][0].line, 17, "the line of `> SET` in the file");
    }
}
