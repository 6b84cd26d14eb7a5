//! Every story gives the verdicts its `[expect]` table states, with its own
//! seed: a new story is tested by adding its file.

use lockstep_lessons::stories;

#[test]
fn every_story_gives_the_verdicts_it_expects() {
    let catalogue = stories::catalogue();
    assert!(!catalogue.is_empty(), "no stories embedded");
    let mut failures = Vec::new();
    for story in catalogue {
        let scenario = story
            .scenario()
            .unwrap_or_else(|e| panic!("lessons/stories/{}.toml: {e}", story.name));
        if scenario.expect.is_empty() {
            failures.push(format!("{}: no [expect] table", story.name));
            continue;
        }
        let trace = lockstep_sim::run(&scenario, scenario.seed)
            .unwrap_or_else(|e| panic!("{}: {e}", story.name));
        for unmet in stories::unmet_expectations(&scenario, &trace.verdicts) {
            failures.push(format!("{}: {unmet}", story.name));
        }
        // Every failed verdict points at the step that shows it.
        for verdict in trace.verdicts.iter().filter(|v| !v.held) {
            let seq = verdict.at_seq.expect("a failed verdict has at_seq");
            let event = &trace.events[seq as usize];
            assert_eq!(Some(event.t_us), verdict.at_us, "{}", story.name);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
