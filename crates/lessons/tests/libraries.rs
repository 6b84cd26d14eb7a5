//! Unit scenarios for the shared libraries the patterns lessons run
//! (`lessons/lib/ratelimit2.lua`, `leaderboard.lua`, `cache.lua`): each is
//! a small world in the simulator whose client programs check the library's
//! answers with `error(...)`, so a wrong answer fails the client and the
//! test names it.

use lockstep_sim::trace::{ActorKind, Trace, VerdictKind, What};

/// Runs a scenario (with the shared libraries) with its own seed.
fn run(text: &str) -> Trace {
    let scenario = lockstep_lessons::scenario(text).unwrap_or_else(|e| panic!("{e}"));
    lockstep_sim::run(&scenario, scenario.seed).unwrap_or_else(|e| panic!("{e}"))
}

/// Fails with every client error in the trace.
fn assert_clients_finished_cleanly(trace: &Trace) {
    let errors: Vec<String> = trace
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Finish {
                error: Some(error), ..
            } => Some(format!("{}: {error}", e.actor)),
            _ => None,
        })
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let finished = trace
        .events
        .iter()
        .filter(|e| matches!(e.what, What::Finish { task: 0, .. }))
        .count();
    let clients = trace
        .actors
        .iter()
        .filter(|a| a.kind == ActorKind::Client)
        .count();
    // A client killed by a fault (the stream tests' worker-1) has no finish.
    let killed = trace
        .events
        .iter()
        .filter(|e| matches!(e.what, What::Crash))
        .count();
    assert_eq!(
        finished + killed,
        clients,
        "every client's program ends or is killed"
    );
}

/// The verdict of the invariant of this kind.
fn held(trace: &Trace, kind: VerdictKind) -> bool {
    trace
        .verdicts
        .iter()
        .find(|v| v.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} verdict"))
        .held
}

/// The traffic of the fixed_window_boundary story, limited by `call`.
fn boundary_burst(call: &str) -> String {
    format!(
        r#"
title = "boundary burst"
seed = 1
duration_ms = 5000
[[node]]
name = "redis"
[[client]]
name = "client-1"
program = '''
local rl = require("ratelimit2")
local allowed_count = 0
for _, t in ipairs({{ 950, 960, 970, 980, 990, 1000, 1010, 1020, 1030, 1040 }}) do
  if now() < t then sleep(t - now()) end
  local allowed = {call}
  if allowed then
    allowed_count = allowed_count + 1
    enter("api")
    leave("api")
  end
end
if allowed_count ~= 5 then error("allowed " .. allowed_count .. " of 10, expected 5") end
'''
[[invariant]]
kind = "rate"
name = "api"
limit = 5
window_ms = 1000
"#
    )
}

#[test]
fn the_sliding_counter_refuses_the_burst_a_fixed_window_lets_through() {
    let trace = run(&boundary_burst(r#"rl.sliding_counter("rl:api", 5, 1000)"#));
    assert_clients_finished_cleanly(&trace);
    assert!(held(&trace, VerdictKind::Rate));
}

#[test]
fn gcra_refuses_the_boundary_burst_too() {
    let trace = run(&boundary_burst(r#"rl.gcra("rl:api", 5, 1000, 5)"#));
    assert_clients_finished_cleanly(&trace);
    assert!(held(&trace, VerdictKind::Rate));
}

#[test]
fn the_sliding_counter_lets_a_steady_rate_under_the_limit_through() {
    let trace = run(r#"
title = "steady"
seed = 1
duration_ms = 10000
[[node]]
name = "redis"
[[client]]
name = "client-1"
program = '''
local rl = require("ratelimit2")
-- 4 per second against a limit of 5 per second, for 3 seconds.
for i = 1, 12 do
  local allowed, estimate = rl.sliding_counter("rl:steady", 5, 1000)
  if not allowed then error("request " .. i .. " refused at estimate " .. estimate) end
  sleep(250)
end
'''
"#);
    assert_clients_finished_cleanly(&trace);
}

#[test]
fn gcra_allows_the_burst_then_says_when_to_retry() {
    let trace = run(r#"
title = "gcra"
seed = 1
duration_ms = 10000
[[node]]
name = "redis"
[[client]]
name = "client-1"
program = '''
local rl = require("ratelimit2")
-- 5 per second (one per 200 ms), bursts of up to 3.
for i = 1, 3 do
  local allowed = rl.gcra("rl:g", 5, 1000, 3)
  if not allowed then error("burst request " .. i .. " refused") end
end
local allowed, wait = rl.gcra("rl:g", 5, 1000, 3)
if allowed then error("a 4th request at once was allowed") end
if wait < 150 or wait > 200 then error("retry after " .. wait .. " ms, expected about 200") end
sleep(wait)
if not rl.gcra("rl:g", 5, 1000, 3) then error("refused after waiting as told") end
if rl.gcra("rl:g", 5, 1000, 3) then error("a second request right after was allowed") end
-- Idle long enough, the whole burst is available again.
sleep(1000)
for i = 1, 3 do
  if not rl.gcra("rl:g", 5, 1000, 3) then error("refill: request " .. i .. " refused") end
end
'''
"#);
    assert_clients_finished_cleanly(&trace);
}

#[test]
fn the_leaderboard_ranks_pages_ties_and_neighbourhoods() {
    let trace = run(r#"
title = "leaderboard"
seed = 1
duration_ms = 10000
[[node]]
name = "redis"
data = ["ZADD lb 3100 diana 2750 eve 2300 bob 1800 charlie 1500 alice 1800 carol 900 zoe"]
[[client]]
name = "client-1"
program = '''
local lb = require("leaderboard")
local function expect(what, got, want)
  if got ~= want then error(what .. ": got " .. tostring(got) .. ", want " .. tostring(want)) end
end
local top = lb.top("lb", 3)
expect("top size", #top, 3)
expect("1st", top[1].player, "diana")
expect("1st score", top[1].score, 3100)
expect("3rd rank", top[3].rank, 3)
local page2 = lb.page("lb", 2, 3)
expect("page 2 size", #page2, 3)
expect("page 2 first rank", page2[1].rank, 4)
-- charlie and carol tie on 1800: Redis puts the later name first in REV order.
expect("page 2 first", page2[1].player, "charlie")
expect("page 2 second", page2[2].player, "carol")
expect("page 3 size", #lb.page("lb", 3, 3), 1)
expect("page 4 size", #lb.page("lb", 4, 3), 0)
expect("charlie's position", lb.rank("lb", "charlie"), 4)
expect("carol's position", lb.rank("lb", "carol"), 5)
expect("carol's shared rank", lb.shared_rank("lb", "carol"), 4)
expect("charlie's shared rank", lb.shared_rank("lb", "charlie"), 4)
expect("alice's shared rank", lb.shared_rank("lb", "alice"), 6)
expect("nobody's rank", lb.rank("lb", "nobody"), nil)
-- Near the top the neighbourhood is clamped, not wrapped to the bottom.
local near = lb.around("lb", "eve", 2)
expect("around eve size", #near, 4)
expect("around eve first", near[1].player, "diana")
expect("around eve last", near[4].player, "charlie")
local mid = lb.around("lb", "charlie", 1)
expect("around charlie", mid[1].player .. mid[2].player .. mid[3].player, "bobcharliecarol")
-- Points add up in one command; a best score only moves up.
expect("add", lb.add("lb", "zoe", 100), 1000)
expect("better best", lb.submit_best("lb", "zoe", 1200), true)
expect("worse best", lb.submit_best("lb", "zoe", 1100), false)
expect("best kept", select(2, lb.rank("lb", "zoe")), 1200)
expect("new player", lb.submit_best("lb", "newbie", 10), true)
'''
"#);
    assert_clients_finished_cleanly(&trace);
}

#[test]
fn a_season_board_starts_empty_and_expires_after_its_season() {
    let trace = run(r#"
title = "seasons"
seed = 1
duration_ms = 20000
[[node]]
name = "redis"
[[client]]
name = "client-1"
program = '''
local lb = require("leaderboard")
local function expect(what, got, want)
  if got ~= want then error(what .. ": got " .. tostring(got) .. ", want " .. tostring(want)) end
end
-- Seasons of 2 s, each board kept 1 s after its season ends.
local score, first = lb.add_seasonal("scores", "ann", 10, now(), 2000, 1000)
expect("first season score", score, 10)
sleep(2000)
local score2, second = lb.add_seasonal("scores", "ann", 5, now(), 2000, 1000)
if second == first then error("the season's key did not change: " .. first) end
expect("a new season starts from zero", score2, 5)
expect("the old season is still readable", redis.call("EXISTS", first), 1)
sleep(1500)
expect("the old season is gone", redis.call("EXISTS", first), 0)
'''
"#);
    assert_clients_finished_cleanly(&trace);
}

/// Five readers miss the same key at once; `get` is the cache call.
fn five_readers(get: &str) -> String {
    let mut clients = String::new();
    for i in 1..=5 {
        clients.push_str(&format!(
            r#"
[[client]]
name = "reader-{i}"
node = "redis"
program = '''
local cache = require("cache")
local function load()
  return (db.get("db", "product:42"))
end
local value = {get}
if value ~= "lamp" then error("read " .. tostring(value)) end
'''
"#
        ));
    }
    format!(
        r#"
title = "five readers"
seed = 1
duration_ms = 10000
[[node]]
name = "redis"
[[database]]
name = "db"
query_ms = 300
rows = {{ "product:42" = "lamp" }}
{clients}
"#
    )
}

/// The queries the database answered.
fn queries(trace: &Trace) -> usize {
    trace
        .events
        .iter()
        .filter(|e| matches!(e.what, What::Query { .. }))
        .count()
}

#[test]
fn plain_cache_aside_queries_the_database_once_per_concurrent_miss() {
    let trace = run(&five_readers(
        r#"cache.get_or_load("product:42", 60000, load)"#,
    ));
    assert_clients_finished_cleanly(&trace);
    assert_eq!(queries(&trace), 5);
}

#[test]
fn a_rebuild_lock_turns_five_concurrent_misses_into_one_query() {
    let trace = run(&five_readers(
        r#"cache.get_or_load_locked("product:42", 60000, load)"#,
    ));
    assert_clients_finished_cleanly(&trace);
    assert_eq!(queries(&trace), 1);
}

#[test]
fn early_expiry_rebuilds_before_the_ttl_runs_out() {
    let mut readers = String::new();
    for i in 1..=3 {
        readers.push_str(&format!(
            r#"
[[client]]
name = "reader-{i}"
start_ms = {start}
program = '''
local cache = require("cache")
local function load()
  return (db.get("db", "product:42"))
end
local counts = {{ hit = 0, early = 0, miss = 0 }}
while now() < 8000 do
  local value, how = cache.get_early("product:42", 1000, load, 2)
  if value ~= "lamp" then error("read " .. tostring(value)) end
  counts[how] = counts[how] + 1
  sleep(50)
end
redis.call("HINCRBY", "counts", "early", counts.early)
redis.call("HINCRBY", "counts", "miss", counts.miss)
'''
"#,
            start = 200 * i
        ));
    }
    let trace = run(&format!(
        r#"
title = "early expiry"
seed = 1
duration_ms = 20000
[[node]]
name = "redis"
[[database]]
name = "db"
query_ms = 100
rows = {{ "product:42" = "lamp" }}
{readers}
[[client]]
name = "checker"
start_ms = 9000
program = '''
local early = tonumber(redis.call("HGET", "counts", "early"))
local miss = tonumber(redis.call("HGET", "counts", "miss"))
-- Only the very first read finds nothing: every later rebuild came early.
if miss ~= 1 then error(miss .. " reads found the key gone") end
-- About one rebuild per second of TTL over 8 s.
if early < 5 then error("only " .. early .. " early rebuilds") end
'''
"#
    ));
    assert_clients_finished_cleanly(&trace);
}

/// Two app servers limit one user to 5 per second; client-2's clock runs
/// 600 ms ahead. `call` is the limiter.
fn skewed_servers(call: &str) -> String {
    format!(
        r#"
title = "skew"
seed = 1
duration_ms = 5000
[[node]]
name = "redis"
[[client]]
name = "client-1"
program = '''
for i = 1, 5 do
  if {call} then enter("api") leave("api") end
  sleep(10)
end
'''
[[client]]
name = "client-2"
start_ms = 500
clock = {{ offset_ms = 600 }}
program = '''
for i = 1, 5 do
  if {call} then enter("api") leave("api") end
  sleep(10)
end
'''
[[invariant]]
kind = "rate"
name = "api"
limit = 5
window_ms = 1000
"#
    )
}

#[test]
fn a_sliding_log_on_the_callers_clocks_is_fooled_by_a_fast_clock() {
    let trace = run(&skewed_servers(
        r#"require("ratelimit").sliding_log("rl:u", 5, 1000)"#,
    ));
    assert_clients_finished_cleanly(&trace);
    assert!(!held(&trace, VerdictKind::Rate));
}

#[test]
fn a_sliding_log_on_the_servers_clock_is_not() {
    let trace = run(&skewed_servers(
        r#"require("ratelimit2").sliding_log("rl:u", 5, 1000)"#,
    ));
    assert_clients_finished_cleanly(&trace);
    assert!(held(&trace, VerdictKind::Rate));
}

#[test]
fn a_session_slides_while_active_and_still_ends_at_its_deadline() {
    let trace = run(r#"
title = "session"
seed = 1
duration_ms = 10000
[[node]]
name = "redis"
[[client]]
name = "client-1"
program = '''
local session = require("session")
local function expect(what, got, want)
  if got ~= want then error(what .. ": got " .. tostring(got) .. ", want " .. tostring(want)) end
end
-- Idle for at most 1 s, alive for at most 3 s.
session.create("abc", { user_id = 42, cart_count = 0 }, 1000, 3000)
expect("user", session.get("abc", "user_id"), "42")
expect("cart", session.incr("abc", "cart_count", 2), 2)
local ttl = redis.call("PTTL", "session:abc")
if ttl <= 900 or ttl > 1000 then error("TTL after login " .. ttl) end
-- Active every 500 ms: the idle expiry slides...
for _ = 1, 4 do
  sleep(500)
  if session.touch("abc", 1000) == 0 then error("ended while active at " .. now()) end
end
expect("cart kept", session.get("abc", "cart_count"), "2")
-- ...but not past the deadline: at about 2 s, less than the idle time is left.
sleep(500)
local left = session.touch("abc", 1000)
if left <= 0 or left > 600 then error("left at " .. now() .. ": " .. left) end
sleep(700)
expect("after the deadline", session.touch("abc", 1000), 0)
expect("gone", redis.call("EXISTS", "session:abc"), 0)
-- A session left alone ends after the idle time.
session.create("idle", { user_id = 7 }, 1000, 60000)
sleep(1100)
expect("idle session", redis.call("EXISTS", "session:idle"), 0)
'''
"#);
    assert_clients_finished_cleanly(&trace);
}

/// Six orders; worker-1 takes three and is killed after charging two;
/// worker-2 runs the consumer library with `opts`.
fn dead_consumer(opts: &str) -> Trace {
    run(&format!(
        r#"
title = "dead consumer"
seed = 1
duration_ms = 10000
[[node]]
name = "redis"
data = ["XADD orders 1-1 n 1", "XADD orders 1-2 n 2", "XADD orders 1-3 n 3",
        "XADD orders 1-4 n 4", "XADD orders 1-5 n 5", "XADD orders 1-6 n 6",
        "XGROUP CREATE orders billing 0"]
[[client]]
name = "worker-1"
program = '''
local reply = redis.call("XREADGROUP", "GROUP", "billing", "worker-1", "COUNT", 3, "STREAMS", "orders", ">")
for _, entry in ipairs(reply[1][2]) do
  write("payments", {{ id = entry[1] }})
  log("charged", entry[1])
  redis.call("XACK", "orders", "billing", entry[1])
end
'''
[[client]]
name = "worker-2"
start_ms = 50
program = '''
require("consumer").run("orders", "billing", "worker-2", function(id, fields)
  if fields.n ~= id:sub(3) then error("fields of " .. id .. ": n = " .. tostring(fields.n)) end
  local ok, why = write("payments", {{ id = id }})
  return ok or (why or ""):find("already written") ~= nil
end, 4000, {opts})
'''
[[client]]
name = "checker"
start_ms = 6000
program = '''
local pending = redis.call("XPENDING", "orders", "billing")[1]
if pending ~= 0 then error(pending .. " pending") end
'''
[[resource]]
name = "payments"
unique = true
[[fault]]
kind = "kill"
target = "worker-1"
after = {{ actor = "worker-1", event = "log", nth = 2 }}
[liveness]
accepted_writes = ["payments", 6]
"#
    ))
}

#[test]
fn a_consumer_that_claims_finishes_a_dead_consumers_messages_once() {
    let trace = dead_consumer("{ min_idle_ms = 1000 }");
    assert_clients_finished_cleanly(&trace);
    assert!(held(&trace, VerdictKind::Liveness));
}

#[test]
fn a_consumer_that_does_not_claim_leaves_them_pending() {
    let trace = dead_consumer("{}");
    assert!(!held(&trace, VerdictKind::Liveness));
}

#[test]
fn every_shared_library_is_valid_lua_5_1() {
    let libraries = lockstep_lessons::libraries();
    assert!(libraries.len() >= 8, "{:?}", libraries.keys());
    for (name, source) in &libraries {
        let lua = lockstep_lua::mlua::Lua::new();
        if let Err(e) = lua.load(source.as_str()).set_name(name).into_function() {
            panic!("lessons/lib/{name}.lua: {e}");
        }
    }
}

#[test]
fn a_lease_lock_is_kept_alive_past_its_ttl_and_handed_on_with_a_higher_token() {
    let trace = run(r#"
title = "lease_lock"
seed = 1
[[node]]
name = "redis"
[[consensus]]
name = "etcd"
[[client]]
name = "client-1"
program = '''
local lease_lock = require("lease_lock")
local lock = lease_lock.acquire("etcd", "lock:job", "client-1", 1000)
if not lock or lock.token ~= 1 then error("first lock, token 1: " .. tostring(lock and lock.token)) end
enter("job")
sleep(3000)            -- three TTLs: only the heartbeats keep the lease
if not lock.held then error("the heartbeats should have kept the lease") end
leave("job")
lease_lock.release(lock)
'''
[[client]]
name = "client-2"
start_ms = 500
program = '''
local lease_lock = require("lease_lock")
local lock, why = lease_lock.acquire("etcd", "lock:job", "client-2", 1000, 100, 100)
if not lock then error("client-2: " .. tostring(why)) end
if now() < 3000 then error("client-2 got the lock at " .. now() .. " ms, while client-1 held it") end
if lock.token <= 1 then error("a later holder's token must be higher, got " .. lock.token) end
enter("job")
leave("job")
lease_lock.release(lock)
'''
[[invariant]]
kind = "mutual_exclusion"
name = "job"
"#);
    assert_clients_finished_cleanly(&trace);
    assert!(held(&trace, VerdictKind::MutualExclusion));
    let expired = trace
        .events
        .iter()
        .any(|e| matches!(e.what, What::LeaseExpire { .. }));
    assert!(!expired, "released by revoke, never by expiry");
}

/// A sliding log and a fixed window allowing `limit` per second, both
/// offered 40 requests a second for two seconds, on a node that records
/// each key's MEMORY USAGE.
fn limiters_with_limit(limit: u32) -> String {
    format!(
        r#"
title = "memory by limit"
seed = 1
duration_ms = 3000

[[node]]
name = "redis"
memory_usage = true

[[client]]
name = "log"
program = '''
serve(function(r)
  if require("ratelimit2").sliding_log("log:" .. r.user, {limit}, 1000) then return "allowed" end
  return "rejected"
end)
'''

[[client]]
name = "fixed"
program = '''
serve(function(r)
  if require("ratelimit").fixed_window("fixed:" .. r.user, {limit}, 1000) then return "allowed" end
  return "rejected"
end)
'''

[[traffic]]
name = "to-log"
to = ["log"]
pattern = "steady"
rate_per_s = 40
duration_ms = 2000

[[traffic]]
name = "to-fixed"
to = ["fixed"]
pattern = "steady"
rate_per_s = 40
duration_ms = 2000
"#
    )
}

#[test]
fn only_the_sliding_logs_memory_grows_with_the_limit() {
    let peak = |limit: u32, keys: &str| {
        let trace = run(&limiters_with_limit(limit));
        assert_clients_finished_cleanly(&trace);
        lockstep_sim::metric::evaluate(&format!("max(memory, redis key=\"{keys}\")"), &trace)
            .unwrap()
            .expect("the node recorded the keys' sizes")
    };
    let (log_5, log_20) = (peak(5, "log:1*"), peak(20, "log:1*"));
    let (fixed_5, fixed_20) = (peak(5, "fixed:1*"), peak(20, "fixed:1*"));
    assert!(
        log_20 > 3.0 * log_5,
        "log: {log_5} bytes at 5, {log_20} at 20"
    );
    assert_eq!(
        fixed_5, fixed_20,
        "a counter is a counter, whatever it counts to"
    );
}
