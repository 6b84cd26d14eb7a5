//! `lockstep check [PATH]`: reads every lesson under PATH (default
//! `lessons/`), runs each one and proves its anchors, computed answers,
//! fixes, myth transcripts and follow-ups. Problems are printed as
//! `file:line: message`; the exit status is 1 if there is any.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lockstep_lessons::lesson::check::{check, Report};
use lockstep_lessons::lesson::{Lesson, LessonError};

/// Lesson files under `path`: `*.md` except READMEs, sorted, or `path`
/// itself if it is a file.
pub fn lesson_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries.filter_map(Result::ok) {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "md")
                && p.file_name().is_some_and(|n| n != "README.md")
            {
                found.push(p);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// One lesson file's outcome.
pub struct Checked {
    pub file: PathBuf,
    pub lesson: Option<Lesson>,
    pub report: Report,
}

/// Reads and checks one file.
pub fn check_file(file: &Path) -> Checked {
    let failed = |e: LessonError| Checked {
        file: file.to_path_buf(),
        lesson: None,
        report: Report {
            problems: vec![e],
            ..Report::default()
        },
    };
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => return failed(LessonError::at(1, format!("cannot read: {e}"))),
    };
    match Lesson::parse(&text) {
        Err(e) => failed(e),
        Ok(lesson) => {
            let report = check(&lesson);
            Checked {
                file: file.to_path_buf(),
                lesson: Some(lesson),
                report,
            }
        }
    }
}

/// Checks `files` on up to `jobs` threads, keeping the files' order.
pub fn check_all(files: &[PathBuf], jobs: usize) -> Vec<Checked> {
    let jobs = jobs.clamp(1, files.len().max(1));
    let mut results: Vec<Option<Checked>> = (0..files.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|j| {
                scope.spawn(move || {
                    files
                        .iter()
                        .enumerate()
                        .skip(j)
                        .step_by(jobs)
                        .map(|(i, f)| (i, check_file(f)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            if let Ok(done) = handle.join() {
                for (i, checked) in done {
                    results[i] = Some(checked);
                }
            }
        }
    });
    results
        .into_iter()
        .zip(files)
        .map(|(r, f)| {
            r.unwrap_or_else(|| Checked {
                file: f.clone(),
                lesson: None,
                report: Report {
                    problems: vec![LessonError::at(1, "checking this lesson crashed")],
                    ..Report::default()
                },
            })
        })
        .collect()
}

/// Problems between lessons: two with the same id, or the same place in
/// a track.
fn cross_problems(checked: &[Checked]) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, a) in checked.iter().enumerate() {
        let Some(la) = &a.lesson else { continue };
        for b in &checked[..i] {
            let Some(lb) = &b.lesson else { continue };
            if la.meta.id == lb.meta.id {
                problems.push(format!(
                    "{}:2: id \"{}\" is also the id of {}",
                    a.file.display(),
                    la.meta.id,
                    b.file.display()
                ));
            }
            if la.meta.track == lb.meta.track && la.meta.order == lb.meta.order {
                problems.push(format!(
                    "{}:2: order {} in track \"{}\" is also {}'s",
                    a.file.display(),
                    la.meta.order,
                    la.meta.track,
                    b.file.display()
                ));
            }
        }
    }
    problems
}

pub fn main(args: &[String]) -> ExitCode {
    let path = match args {
        [] => "lessons".to_string(),
        [p] if !p.starts_with('-') => p.clone(),
        _ => return crate::usage_error("check", "usage: lockstep check [PATH]"),
    };
    let files = match lesson_files(Path::new(&path)) {
        Ok(files) if files.is_empty() => {
            eprintln!("lockstep check: no lesson (*.md) under {path}");
            return ExitCode::from(1);
        }
        Ok(files) => files,
        Err(message) => {
            eprintln!("lockstep check: {message}");
            return ExitCode::from(1);
        }
    };
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let checked = check_all(&files, jobs);
    let mut problems = 0;
    for c in &checked {
        let r = &c.report;
        if r.problems.is_empty() {
            println!(
                "ok    {}  ({} notes, {} questions, {} fix(es) explored, {} myth command(s), {} follow-up(s))",
                c.file.display(),
                r.notes,
                r.questions,
                r.fixes,
                r.myth_commands,
                r.follow_ups
            );
        }
        for p in &r.problems {
            problems += 1;
            println!("{}:{}: {}", c.file.display(), p.line, p.message);
        }
    }
    for p in cross_problems(&checked) {
        problems += 1;
        println!("{p}");
    }
    if problems == 0 {
        println!("lockstep check: {} lesson(s), no problems", checked.len());
        ExitCode::SUCCESS
    } else {
        println!(
            "lockstep check: {problems} problem(s) in {} lesson(s)",
            checked.len()
        );
        ExitCode::from(1)
    }
}
