//! The complete example in `lessons/README.md` parses and checks clean, so
//! the documentation cannot drift from the format.

use lockstep_lessons::lesson::{check, Lesson};

#[test]
fn the_readme_example_is_a_sound_lesson() {
    let readme = include_str!("../../../lessons/README.md");
    let example = readme
        .split("````markdown\n")
        .nth(1)
        .and_then(|rest| rest.split("\n````").next())
        .expect("the README has a ````markdown example");
    let lesson = Lesson::parse(example).unwrap_or_else(|e| panic!("{e}"));
    assert!(!lesson.notes.is_empty() && !lesson.myths.is_empty());
    assert!(lesson.interview.is_some());
    let report = check::check(&lesson);
    assert_eq!(report.problems, vec![]);
    assert_eq!(report.follow_ups, 1);
}
