//! Big data sets: `populate` fills a node without an event per member,
//! commands cost simulated time by the size of the value they touch, and
//! the trace does not grow with the data set.

use lockstep_sim::trace::{Trace, What};
use lockstep_sim::Scenario;

fn run(toml: &str) -> Trace {
    let scenario = Scenario::parse(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    lockstep_sim::run(&scenario, 7).unwrap()
}

/// The simulated cost of the first command starting with `prefix`.
fn cost_of(trace: &Trace, prefix: &str) -> u64 {
    trace
        .events
        .iter()
        .find_map(|e| match &e.what {
            What::Exec {
                command, cost_us, ..
            } if command.starts_with(prefix) => Some(*cost_us),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no `{prefix}` ran"))
}

/// From `actor`'s first send to its last reply, in µs.
fn wait_of(trace: &Trace, actor: &str) -> u64 {
    let mine = || trace.events.iter().filter(|e| e.actor == actor);
    let sent = mine()
        .find(|e| matches!(e.what, What::Send { .. }))
        .expect("it sent")
        .t_us;
    let answered = mine()
        .rfind(|e| matches!(e.what, What::Receive { .. }))
        .expect("it got a reply")
        .t_us;
    answered - sent
}

#[test]
fn a_zadd_into_a_big_set_costs_more_than_into_a_small_one() {
    let trace = run(r#"
[[node]]
name = "redis"
populate = [
  { key = "big", type = "zset", members = 10000, score = "random 0..10000" },
  { key = "small", type = "zset", members = 100, score = "random 0..10000" },
]
[[client]]
name = "writer"
program = '''
-- Ten members each: one costs under 2 µs, and costs are whole µs.
local members = {}
for i = 1, 10 do
  members[#members + 1] = 5
  members[#members + 1] = "newcomer" .. i
end
redis.call("ZADD", "big", unpack(members))
redis.call("ZADD", "small", unpack(members))
log(redis.call("ZCARD", "big") .. " " .. redis.call("ZCARD", "small"))
'''
"#);
    let logged: Vec<_> = trace
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Log { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(logged, ["10010 110"]);
    let (big, small) = (cost_of(&trace, "ZADD big"), cost_of(&trace, "ZADD small"));
    assert!(big > small, "ZADD big {big} µs, ZADD small {small} µs");
}

/// A scenario where `remover` frees a 40k-member set with `command` just
/// before `pinger`'s PING reaches the node.
fn freeing_with(command: &str) -> Trace {
    run(&format!(
        r#"
[[node]]
name = "redis"
populate = [{{ key = "board", type = "zset", members = 40000 }}]
[[client]]
name = "remover"
program = 'redis.call("{command}", "board")'
[[client]]
name = "pinger"
start_ms = 0.001
program = 'redis.call("PING")'
"#
    ))
}

#[test]
fn del_of_a_big_set_blocks_other_clients_where_unlink_does_not() {
    let del = freeing_with("DEL");
    let unlink = freeing_with("UNLINK");
    let (del_cost, unlink_cost) = (cost_of(&del, "DEL"), cost_of(&unlink, "UNLINK"));
    assert!(
        del_cost > 100 * unlink_cost.max(1),
        "DEL {del_cost} µs, UNLINK {unlink_cost} µs"
    );
    let (blocked, free) = (wait_of(&del, "pinger"), wait_of(&unlink, "pinger"));
    // The PING waits out most of the DEL; after UNLINK it does not wait.
    assert!(
        blocked >= free + del_cost / 2,
        "PING after DEL {blocked} µs, after UNLINK {free} µs, DEL cost {del_cost} µs"
    );
}

#[test]
fn flushall_sync_costs_by_elements_and_async_does_not() {
    let flush = |how: &str| {
        run(&format!(
            r#"
[[node]]
name = "redis"
populate = [{{ key = "tags", type = "set", members = 20000 }}]
[[client]]
name = "admin"
program = 'redis.call("FLUSHALL", "{how}")'
"#
        ))
    };
    let (sync, lazy) = (
        cost_of(&flush("SYNC"), "FLUSHALL"),
        cost_of(&flush("ASYNC"), "FLUSHALL"),
    );
    assert!(sync > 100 * lazy.max(1), "SYNC {sync} µs, ASYNC {lazy} µs");
}

/// The same 20 ZADD/ZREVRANK steps on a leaderboard of `members`.
fn leaderboard(members: u64) -> Trace {
    run(&format!(
        r#"
[[node]]
name = "redis"
populate = [{{ key = "board", type = "zset", members = {members}, score = "random 0..10000" }}]
[[client]]
name = "player"
program = '''
for i = 1, 10 do
  redis.call("ZADD", "board", i * 1000, "player:" .. i)
  redis.call("ZREVRANK", "board", "player:" .. i)
end
'''
"#
    ))
}

#[test]
fn the_trace_does_not_grow_with_the_data_set() {
    let (small, big) = (leaderboard(100), leaderboard(10_000));
    assert_eq!(
        small.events.len(),
        big.events.len(),
        "populating adds no events"
    );
    let (small_json, big_json) = (small.to_json().len(), big.to_json().len());
    // The values are summarised, so only digits (scores, counts) differ.
    assert!(
        big_json < small_json + small_json / 20,
        "100 members: {small_json} bytes, 10k members: {big_json} bytes"
    );
}

#[test]
fn populate_is_seeded_and_checked() {
    let scenario = |score: &str| {
        format!(
            r#"
[[node]]
name = "redis"
populate = [{{ key = "board", type = "zset", members = 50, score = "{score}" }}]
[[client]]
name = "reader"
program = 'log(redis.call("ZSCORE", "board", "member:7"))'
"#
        )
    };
    let score_of = |seed| {
        let scenario = Scenario::parse(&scenario("random 0..1000000000")).unwrap();
        let trace = lockstep_sim::run(&scenario, seed).unwrap();
        trace
            .events
            .iter()
            .find_map(|e| match &e.what {
                What::Log { text } => Some(text.clone()),
                _ => None,
            })
            .expect("it logged")
    };
    assert_eq!(score_of(1), score_of(1));
    assert_ne!(score_of(1), score_of(2));
    let bad = Scenario::parse(&scenario("normal 5")).unwrap();
    let Err(err) = lockstep_sim::run(&bad, 1) else {
        panic!("a bad score is refused");
    };
    assert!(err.message.contains("populate \"board\""), "{err}");
}
