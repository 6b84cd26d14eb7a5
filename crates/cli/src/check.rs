//! `lockstep check [--require-coverage] [PATH]`: reads every lesson under
//! PATH (default `lessons/`), runs each one and proves its anchors,
//! computed answers, fixes, myth transcripts and follow-ups. Problems are
//! printed as `file:line: message`; the exit status is 1 if there is any.
//!
//! With seed catalogues (`coverage/NNN.toml` in PATH or a folder above a
//! lesson file), each lesson's `covers` must name catalogued items, and
//! checking a folder reports which items no lesson covers; those fail the
//! check only with `--require-coverage`, so the catalogues can be written
//! before every lesson is.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lockstep_lessons::coverage::{Catalogue, Catalogues};
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

/// The folder of seed catalogues for `path`: `coverage/` in the folder
/// checked (or holding the lesson file) or in the one above it, so that
/// `lessons/`, `lessons/locks/` and `lessons/locks/01-….md` all find
/// `lessons/coverage`. No higher: an unrelated `coverage/` far up (a
/// code-coverage report in /tmp) must not judge a lesson.
pub fn coverage_dir(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() { path } else { path.parent()? };
    start
        .ancestors()
        .take(2)
        .map(|dir| dir.join("coverage"))
        .find(|dir| dir.is_dir())
}

/// Reads every `NNN.toml` in `dir`; a broken catalogue is a problem
/// (`file:line: message`), never silently an empty one.
pub fn read_catalogues(dir: &Path) -> (Catalogues, Vec<String>) {
    let mut catalogues = Vec::new();
    let mut problems = Vec::new();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) => {
            problems.push(format!("{}: cannot list: {e}", dir.display()));
            Vec::new()
        }
    };
    files.sort();
    for file in files {
        let number = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if number.len() != 3 || !number.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(format!(
                "{}:1: a catalogue is named after its seed's number, NNN.toml",
                file.display()
            ));
            continue;
        }
        let parsed = std::fs::read_to_string(&file)
            .map_err(|e| format!("{}:1: cannot read: {e}", file.display()))
            .and_then(|text| {
                Catalogue::parse(&number, &text)
                    .map_err(|e| format!("{}:{}: {}", file.display(), e.line, e.message))
            });
        match parsed {
            Ok(catalogue) => catalogues.push(catalogue),
            Err(problem) => problems.push(problem),
        }
    }
    (Catalogues::new(catalogues), problems)
}

/// Reads and checks one file.
pub fn check_file(file: &Path) -> Checked {
    check_file_with(file, &Catalogues::default())
}

/// Reads and checks one file, its `covers` against `catalogues`.
pub fn check_file_with(file: &Path, catalogues: &Catalogues) -> Checked {
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
            let mut report = check(&lesson);
            report
                .problems
                .splice(0..0, catalogues.unknown_covers(&lesson, &text));
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
    check_all_with(files, jobs, &Catalogues::default())
}

/// [`check_all`], each lesson's `covers` against `catalogues`.
pub fn check_all_with(files: &[PathBuf], jobs: usize, catalogues: &Catalogues) -> Vec<Checked> {
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
                        .map(|(i, f)| (i, check_file_with(f, catalogues)))
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

/// Prints which catalogued items no lesson under the checked folder
/// covers; returns how many.
fn print_coverage(catalogues: &Catalogues, checked: &[Checked]) -> usize {
    let report = catalogues.report(checked.iter().filter_map(|c| c.lesson.as_ref()));
    println!(
        "seed coverage: {} of {} items covered",
        report.covered(),
        report.total
    );
    for item in &report.uncovered {
        println!("  not covered: {} — {}", item.id, item.what);
    }
    report.uncovered.len()
}

pub fn main(args: &[String]) -> ExitCode {
    const USAGE: &str = "usage: lockstep check [--require-coverage] [PATH]";
    let require_coverage = args.iter().any(|a| a == "--require-coverage");
    let rest: Vec<&String> = args.iter().filter(|a| *a != "--require-coverage").collect();
    let path = match rest.as_slice() {
        [] => "lessons".to_string(),
        [p] if !p.starts_with('-') => p.to_string(),
        _ => return crate::usage_error("check", USAGE),
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
    let (catalogues, catalogue_problems) = coverage_dir(Path::new(&path))
        .map(|dir| read_catalogues(&dir))
        .unwrap_or_default();
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let checked = check_all_with(&files, jobs, &catalogues);
    let mut problems = 0;
    for p in &catalogue_problems {
        problems += 1;
        println!("{p}");
    }
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
    // Coverage is a property of all the lessons together: only checking
    // the folder that holds the catalogues can say an item is uncovered
    // (checking lessons/locks alone would miss what lessons/lua covers).
    if Path::new(&path).join("coverage").is_dir() && !catalogues.is_empty() {
        let uncovered = print_coverage(&catalogues, &checked);
        if require_coverage {
            problems += uncovered;
        }
    } else if require_coverage {
        println!(
            "lockstep check: --require-coverage needs the folder holding coverage/NNN.toml (lessons/)"
        );
        problems += 1;
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
