//! The story scenarios and the shared Lua libraries, compiled into the test
//! (and bench) binaries so that they load the same way natively and on
//! wasm32, where there is no file system.
//!
//! lockstep-sim cannot depend on lockstep-lessons (which embeds
//! `lessons/lib` for everyone else), so this reads the same files itself.
//! Included with `#[path]` from `tests/*.rs` and `benches/world.rs`.

#![allow(dead_code)]

use std::collections::BTreeMap;

use lockstep_sim::Scenario;

/// `lessons/lib/*.lua`, by the name a program `require`s.
pub fn libraries() -> BTreeMap<String, String> {
    [
        ("lock", include_str!("../../../../lessons/lib/lock.lua")),
        (
            "redlock",
            include_str!("../../../../lessons/lib/redlock.lua"),
        ),
        (
            "ratelimit",
            include_str!("../../../../lessons/lib/ratelimit.lua"),
        ),
    ]
    .into_iter()
    .map(|(name, source)| (name.to_string(), source.to_string()))
    .collect()
}

/// The story files under `lessons/stories/`, by file stem.
pub const STORIES: &[(&str, &str)] = &[
    (
        "bank_transfer",
        include_str!("../../../../lessons/stories/bank_transfer.toml"),
    ),
    (
        "bank_transfer_atomic",
        include_str!("../../../../lessons/stories/bank_transfer_atomic.toml"),
    ),
    (
        "busy_script",
        include_str!("../../../../lessons/stories/busy_script.toml"),
    ),
    (
        "clock_jump",
        include_str!("../../../../lessons/stories/clock_jump.toml"),
    ),
    (
        "failover_loses_lock",
        include_str!("../../../../lessons/stories/failover_loses_lock.toml"),
    ),
    (
        "fixed_window_boundary",
        include_str!("../../../../lessons/stories/fixed_window_boundary.toml"),
    ),
    (
        "gc_pause_fenced",
        include_str!("../../../../lessons/stories/gc_pause_fenced.toml"),
    ),
    (
        "gc_pause_past_ttl",
        include_str!("../../../../lessons/stories/gc_pause_past_ttl.toml"),
    ),
    (
        "redlock_partition",
        include_str!("../../../../lessons/stories/redlock_partition.toml"),
    ),
    (
        "restart_with_aof",
        include_str!("../../../../lessons/stories/restart_with_aof.toml"),
    ),
    (
        "restart_without_aof",
        include_str!("../../../../lessons/stories/restart_without_aof.toml"),
    ),
    (
        "setnx_expire_crash",
        include_str!("../../../../lessons/stories/setnx_expire_crash.toml"),
    ),
];

/// A story scenario parsed with the shared libraries; panics (naming the
/// file) if it does not parse, since the files are part of the test.
pub fn story(name: &str) -> Scenario {
    let text = STORIES
        .iter()
        .find(|(stem, _)| *stem == name)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("no story scenario named {name}"));
    Scenario::parse_with_libraries(text, &libraries())
        .unwrap_or_else(|e| panic!("lessons/stories/{name}.toml: {e}"))
}
