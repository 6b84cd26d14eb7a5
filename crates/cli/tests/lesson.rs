//! `lockstep check` and `lockstep lesson` as an author and a learner meet
//! them: every lesson of every track played start to finish with its
//! recorded answers, and the messages for a wrong prediction, a failing
//! fix and a broken lesson file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lockstep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .output()
        .expect("run the lockstep binary")
}

fn lessons_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons")
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lockstep-cli-lesson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn first_lesson() -> PathBuf {
    lessons_dir().join("locks/01-setnx-then-expire.md")
}

/// Every lesson of every track: the `.md` files one folder below
/// `lessons/` (the README at the top is not a lesson).
fn every_lesson() -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(lessons_dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().filter_map(Result::ok))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    entries.sort();
    entries
}

#[test]
fn every_lesson_plays_to_the_end_with_its_recorded_answers() {
    let mut played = 0;
    let entries = every_lesson();
    for lesson in entries {
        let answers = lesson.with_extension("answers.toml");
        assert!(answers.exists(), "{} has no answers file", lesson.display());
        let out = lockstep(&[
            "lesson",
            lesson.to_str().unwrap(),
            "--answers",
            answers.to_str().unwrap(),
        ]);
        let stdout = text(&out.stdout);
        assert!(
            out.status.success(),
            "{}:\n{stdout}\n{}",
            lesson.display(),
            text(&out.stderr)
        );
        assert!(!stdout.contains("✗"), "{}:\n{stdout}", lesson.display());
        assert!(stdout.contains("── Timeline (seed"), "{stdout}");
        assert!(stdout.contains("▸ "), "notes at their steps: {stdout}");
        played += 1;
    }
    assert!(played >= 1);
}

#[test]
fn a_wrong_prediction_says_what_the_run_shows() {
    let answers = temp_file("wrong.toml", "first-reply = \"OK\"\n");
    let out = lockstep(&[
        "lesson",
        first_lesson().to_str().unwrap(),
        "--answers",
        answers.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("You said OK; the run shows (nil)."),
        "{stdout}"
    );
    assert!(
        stdout.contains("the answers file has no `tries`"),
        "{stdout}"
    );
    assert!(stdout.contains("0 of 6 answer(s) passed."), "{stdout}");
}

#[test]
fn a_failing_fix_says_how_the_explorer_broke_it() {
    // The naive two-step acquire, handed in unchanged.
    let answers = temp_file(
        "fix.toml",
        "fix = '''\nlocal lock = require(\"lock\")\nlocal id = uuid()\n\
         if lock.acquire_naive(\"lock:report\", id, 10000) then\n  enter(\"report\")\n  \
         leave(\"report\")\nend\n'''\n",
    );
    let out = lockstep(&[
        "lesson",
        first_lesson().to_str().unwrap(),
        "--answers",
        answers.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Not yet: even with no faults at all, liveness"),
        "{stdout}"
    );
}

#[test]
fn a_broken_lesson_file_names_file_and_line() {
    let original = std::fs::read_to_string(first_lesson()).unwrap();
    let broken = original.replace("kind = \"numeric\"", "kind = \"numerical\"");
    let line = broken
        .lines()
        .position(|l| l.contains("numerical"))
        .unwrap();
    let path = temp_file("broken.md", &broken);
    let out = lockstep(&["lesson", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    // The question block's fence is the line before its `id`.
    let expected = format!("broken.md:{}: unknown question kind `numerical`", line - 1);
    assert!(stderr.contains(&expected), "{expected}\n{stderr}");

    let out = lockstep(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(&expected));
}

#[test]
fn check_proves_the_lessons_and_reports_a_wrong_anchor() {
    let out = lockstep(&["check", lessons_dir().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("no problems"));
    // Every `covers` of the real lessons names a catalogued item (else the
    // check above fails), and the catalogues are counted.
    assert!(
        text(&out.stdout).contains("seed coverage: "),
        "{}",
        text(&out.stdout)
    );

    let original = std::fs::read_to_string(first_lesson()).unwrap();
    let moved = original.replace("```note client-1 crash", "```note client-1 crash 2nd");
    let path = temp_file("anchor.md", &moved);
    let out = lockstep(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("note: `client-1 crash 2nd` matches no event in the run"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(lockstep(&["lesson"]).status.code(), Some(2));
    assert_eq!(
        lockstep(&["lesson", "x.md", "--seed", "minus"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(lockstep(&["check", "a", "b"]).status.code(), Some(2));
}

#[test]
fn a_lesson_is_played_interactively_from_the_terminal() {
    use std::io::Write;
    let typed = "B\n\
                 x\n30\n\
                 C B D A\n\
                 A\n\
                 local id = uuid()\n\
                 if redis.call(\"SET\", \"lock:report\", id, \"NX\", \"PX\", 3000) then\n\
                 enter(\"report\")\nwork(1000)\nleave(\"report\")\n\
                 require(\"lock\").release(\"lock:report\", id)\nend\n.\n\
                 One command sets the key and its TTL together.\n\n\
                 1 2 3 4\n";
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["lesson", first_lesson().to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("`x` is not a number; try again."),
        "{stdout}"
    );
    assert!(stdout.contains("6 of 6 answer(s) passed."), "{stdout}");
    assert!(out.status.success());
}

/// A folder with lesson 01 (its text changed by `edit`, if any) and a seed-003
/// catalogue holding `items` (id, what).
fn folder_with_catalogue(
    name: &str,
    edit: Option<(&str, &str)>,
    items: &[(&str, &str)],
) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lockstep-cli-coverage-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(dir.join("coverage")).unwrap();
    let mut lesson = std::fs::read_to_string(first_lesson()).unwrap();
    if let Some((from, to)) = edit {
        lesson = lesson.replace(from, to);
    }
    std::fs::write(dir.join("01.md"), lesson).unwrap();
    let mut catalogue = String::from("seed = \"003-redis-locks-failure-modes.txt\"\n");
    for (id, what) in items {
        catalogue.push_str(&format!("\n[[item]]\nid = \"{id}\"\nwhat = \"{what}\"\n"));
    }
    std::fs::write(dir.join("coverage/003.toml"), catalogue).unwrap();
    dir
}

#[test]
fn a_covers_id_missing_from_its_seeds_catalogue_is_an_error_with_a_hint() {
    let dir = folder_with_catalogue(
        "typo",
        Some(("\"003/setnx-expire\"", "\"003/setnx-expires\"")),
        &[
            ("003/setnx-expire", "two steps"),
            ("003/gc-pause", "a pause"),
        ],
    );
    let lesson = std::fs::read_to_string(dir.join("01.md")).unwrap();
    let line = 1 + lesson
        .lines()
        .position(|l| l.contains("003/setnx-expires"))
        .unwrap();
    let out = lockstep(&["check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let expected = format!(
        "01.md:{line}: covers: `003/setnx-expires` is not an item of coverage/003.toml \
         (003-redis-locks-failure-modes.txt); did you mean `003/setnx-expire`?"
    );
    assert!(
        text(&out.stdout).contains(&expected),
        "{}",
        text(&out.stdout)
    );
    // Seeds 000 and 002 have no catalogue in this folder: not judged.
    assert!(
        !text(&out.stdout).contains("`000/"),
        "{}",
        text(&out.stdout)
    );
    // Checking the one file finds the catalogue beside it too, and lists
    // no coverage (that is for a folder).
    let out = lockstep(&["check", dir.join("01.md").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains(&expected),
        "{}",
        text(&out.stdout)
    );
    assert!(!text(&out.stdout).contains("seed coverage"));
}

#[test]
fn uncovered_items_are_listed_and_fail_only_when_coverage_is_required() {
    let dir = folder_with_catalogue(
        "partial",
        None,
        &[
            ("003/setnx-expire", "two steps"),
            ("003/gc-pause", "a pause outlives the TTL"),
        ],
    );
    let out = lockstep(&["check", dir.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("seed coverage: 1 of 2 items covered"),
        "{stdout}"
    );
    assert!(
        stdout.contains("not covered: 003/gc-pause — a pause outlives the TTL"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("not covered: 003/setnx-expire"),
        "{stdout}"
    );

    let out = lockstep(&["check", "--require-coverage", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("1 problem(s)"));

    // A track folder below the catalogues sees only part of the lessons:
    // no report, and requiring coverage there is refused.
    let track = dir.join("locks");
    std::fs::create_dir_all(&track).unwrap();
    std::fs::copy(dir.join("01.md"), track.join("01.md")).unwrap();
    let out = lockstep(&["check", track.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(!text(&out.stdout).contains("seed coverage"));
    let out = lockstep(&["check", "--require-coverage", track.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("needs the folder holding coverage/"));

    let full = folder_with_catalogue("full", None, &[("003/setnx-expire", "two steps")]);
    let out = lockstep(&["check", "--require-coverage", full.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("seed coverage: 1 of 1 items covered"),
        "{stdout}"
    );
}

#[test]
fn a_broken_catalogue_is_a_problem_at_its_line() {
    let dir = folder_with_catalogue(
        "broken",
        None,
        &[("003/setnx-expire", "two steps"), ("004/elsewhere", "x")],
    );
    let out = lockstep(&["check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout)
            .contains("003.toml:8: item `004/elsewhere` is not `003/topic` (a-z0-9- topic)"),
        "{}",
        text(&out.stdout)
    );
}
