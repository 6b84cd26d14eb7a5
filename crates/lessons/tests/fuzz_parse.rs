//! Whatever a lesson file holds, reading it gives a lesson or an error
//! with a line inside the file: never a panic.

#![cfg(not(target_arch = "wasm32"))]

use lockstep_lessons::lesson::Lesson;
use proptest::prelude::*;

/// Pieces of real lesson syntax, so generated files get past the first
/// checks and reach the block readers.
const FRAGMENTS: &[&str] = &[
    "+++\n",
    "id = \"x\"\ntitle = \"t\"\ntrack = \"locks\"\norder = 1\nsummary = \"s\"\ndifficulty = \"beginner\"\nminutes = 5\ninterview = \"q\"\n",
    "story = \"gc_pause_past_ttl\"\n",
    "```toml scenario\n",
    "```lua client-1\n",
    "```question\n",
    "```myth\n",
    "```note client-1 enter 1st\n",
    "```interview\n",
    "```\n",
    "kind = \"predict\"\nid = \"p\"\nprompt = \"p\"\nmodel_answer = \"m\"\n",
    "at = \"first violation\"\nask = \"reply\"\n",
    "claim = \"c\"\ntruth = \"t\"\ntranscript = '''\n> SET k v\nOK\n'''\n",
    "[[node]]\nname = \"redis\"\n",
    "local x = \n",
    "\u{1F512} é \"\n",
    "[[follow_up]]\nask = \"a\"\nchange = { \"fault[9].x\" = 1 }\nexpect = {}\nanswer = \"a\"\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn parsing_never_panics(picks in prop::collection::vec(0..FRAGMENTS.len() + 1, 0..24),
                            noise in ".{0,40}") {
        let text: String = picks
            .iter()
            .map(|&i| FRAGMENTS.get(i).copied().unwrap_or(noise.as_str()))
            .collect();
        let lines = text.lines().count().max(1);
        if let Err(e) = Lesson::parse(&text) {
            prop_assert!(e.line >= 1 && e.line <= lines + 1, "line {} of {}: {}", e.line, lines, e.message);
        }
    }
}
