//! The world's mechanisms one at a time, each with a small scenario:
//! replication and WAIT, persistence modes, the network's partitions and
//! loss, clocks, the client API, invariants, and clear errors for bad input.

use lockstep_sim::trace::{Trace, What};
use lockstep_sim::{ErrorKind, Scenario, ScenarioError};

fn run(toml: &str) -> Trace {
    let scenario = Scenario::parse(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    lockstep_sim::run(&scenario, 1).unwrap()
}

/// The log lines of `actor`, in order.
fn logs(trace: &Trace, actor: &str) -> Vec<String> {
    trace
        .events
        .iter()
        .filter(|e| e.actor == actor)
        .filter_map(|e| match &e.what {
            What::Log { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn held(trace: &Trace, prefix: &str) -> bool {
    trace
        .verdicts
        .iter()
        .find(|v| v.invariant.starts_with(prefix))
        .unwrap_or_else(|| panic!("no verdict {prefix}"))
        .held
}

fn error_of(toml: &str) -> String {
    Scenario::parse(toml)
        .expect_err("the scenario should be refused")
        .message
}

const PRIMARY_AND_REPLICA: &str = r#"
[[node]]
name = "p"
[[node]]
name = "r"
replica_of = "p"
replication_lag_ms = 100
"#;

#[test]
fn wait_counts_replicas_that_acknowledged_and_replicas_refuse_writes() {
    let trace = run(&format!(
        r#"{PRIMARY_AND_REPLICA}
[[client]]
name = "c"
program = '''
redis.call("SET", "k", "1")
log("wait long", redis.call("WAIT", 1, 1000))
redis.call("SET", "k", "2")
log("wait short", redis.call("WAIT", 1, 20))
sleep(300)
log("replica has", call_on("r", "GET", "k"))
log("replica write", pcall_on("r", "SET", "k", "3").err)
log("wait on replica", pcall_on("r", "WAIT", 0, 0).err)
'''
"#
    ));
    let lines = logs(&trace, "c");
    assert_eq!(lines[0], "wait long 1");
    assert_eq!(
        lines[1], "wait short 0",
        "the lag is 100 ms, the wait 20 ms"
    );
    assert_eq!(lines[2], "replica has 2");
    assert_eq!(
        lines[3],
        "replica write READONLY You can't write against a read only replica."
    );
    assert!(lines[4].starts_with("wait on replica ERR WAIT cannot be used with replica instances"));
}

#[test]
fn replicaof_makes_a_node_copy_another() {
    let trace = run(r#"
[[node]]
name = "a"
data = ["SET greeting hello"]
[[node]]
name = "b"
data = ["SET own data"]
[[client]]
name = "c"
node = "b"
program = '''
log(redis.call("REPLICAOF", "a", "6379"))
sleep(50)
log(redis.call("GET", "greeting"), redis.call("EXISTS", "own"))
log(redis.pcall("REPLICAOF", "nowhere", "6379").err)
log(redis.call("REPLICAOF", "NO", "ONE"))
log(redis.call("SET", "x", "1"))
'''
"#);
    let lines = logs(&trace, "c");
    assert_eq!(lines[0], "OK");
    assert_eq!(
        lines[1], "hello 0",
        "a full sync replaces the replica's own data"
    );
    assert!(lines[2].contains("no node named 'nowhere'"), "{}", lines[2]);
    assert_eq!(lines[3..], ["OK", "OK"]);
}

/// A node that takes `k1` at once and `k2` at 1500 ms, crashes at 1800 ms
/// and restarts at 1900 ms; the client then reports what survived.
fn survivors(persistence: &str) -> String {
    let trace = run(&format!(
        r#"
[[node]]
name = "n"
{persistence}
rdb_every_ms = 1000
[[client]]
name = "c"
timeout_ms = 50
program = '''
redis.call("SET", "k1", "1")
sleep(1500)
redis.call("SET", "k2", "2")
sleep(500)
log(redis.call("EXISTS", "k1"), redis.call("EXISTS", "k2"))
'''
[[fault]]
kind = "crash"
target = "n"
at_ms = 1800
restart_after_ms = 100
"#
    ));
    logs(&trace, "c").join("|")
}

#[test]
fn a_restart_keeps_what_the_persistence_setting_put_on_disk() {
    assert_eq!(survivors(r#"persistence = "none""#), "0 0");
    assert_eq!(
        survivors(r#"persistence = "rdb""#),
        "1 0",
        "the snapshot at 1000 ms"
    );
    assert_eq!(
        survivors("persistence = \"aof\"\nappendfsync = \"everysec\""),
        "1 0"
    );
    assert_eq!(
        survivors("persistence = \"aof\"\nappendfsync = \"always\""),
        "1 1"
    );
    assert_eq!(
        survivors("persistence = \"aof\"\nappendfsync = \"no\""),
        "0 0",
        "the OS flushes every 30 s"
    );
}

#[test]
fn messages_cut_by_a_partition_are_dropped_or_held_until_the_heal() {
    let scenario = |policy: &str| {
        format!(
            r#"
[network]
latency_ms = 10
in_flight_on_partition = "{policy}"
[[node]]
name = "n"
[[client]]
name = "c"
timeout_ms = 5000
program = '''
local reply = redis.pcall("PING")
log(type(reply) == "table" and reply.err or reply, now())
'''
[[fault]]
kind = "partition"
groups = [["c"]]
at_ms = 5
[[fault]]
kind = "heal"
at_ms = 1000
"#
        )
    };
    let dropped = run(&scenario("drop"));
    assert_eq!(
        logs(&dropped, "c"),
        ["TIMEOUT no reply from n within 5000 ms 5000"]
    );
    assert!(dropped
        .events
        .iter()
        .any(|e| matches!(&e.what, What::Drop { reason, .. } if reason == "partitioned")));
    let held_back = run(&scenario("delay"));
    assert_eq!(
        logs(&held_back, "c"),
        ["PONG 1020"],
        "delivered 10 ms after the heal, answered 10 ms later"
    );
}

#[test]
fn a_lossy_link_loses_messages() {
    let trace = run(r#"
[network]
loss = 1.0
[[node]]
name = "n"
[[client]]
name = "c"
timeout_ms = 30
program = 'log(redis.pcall("PING").err)'
"#);
    assert_eq!(logs(&trace, "c"), ["TIMEOUT no reply from n within 30 ms"]);
}

#[test]
fn client_clocks_drift_and_jump() {
    let trace = run(r#"
[[node]]
name = "n"
[[client]]
name = "c"
clock = { offset_ms = 1000, drift = 0.5 }
program = '''
log(now())
sleep(100)
log(now())
sleep(100)
log(now())
'''
[[fault]]
kind = "clock_jump"
target = "c"
by_ms = -500
at_ms = 150
"#);
    assert_eq!(logs(&trace, "c"), ["1000", "1150", "800"]);
}

#[test]
fn a_pause_freezes_spawned_tasks_with_their_process() {
    let trace = run(r#"
[[node]]
name = "n"
[[client]]
name = "c"
program = '''
spawn(function()
  for i = 1, 3 do
    sleep(100)
    log("tick", i)
  end
end)
sleep(1000)
'''
[[fault]]
kind = "pause"
target = "c"
duration_ms = 500
at_ms = 150
"#);
    let ticks: Vec<u64> = trace
        .events
        .iter()
        .filter(|e| matches!(&e.what, What::Log { text } if text.starts_with("tick")))
        .map(|e| e.t_us / 1000)
        .collect();
    assert_eq!(
        ticks,
        [100, 650, 750],
        "the second tick waits for the pause to end"
    );
}

#[test]
fn lua_invariants_and_unique_ids() {
    let trace = run(r#"
[[node]]
name = "n"
[[resource]]
name = "payments"
[[resource]]
name = "strict"
unique = true
[[client]]
name = "c"
program = '''
write("payments", { id = "order-1", value = "10 EUR" })
write("payments", { id = "order-1", value = "10 EUR" })
write("strict", { id = "order-1", value = "10 EUR" })
log(write("strict", { id = "order-1", value = "10 EUR" }))
redis.call("SET", "forbidden", "1")
'''
[[invariant]]
kind = "no_duplicates"
resource = "payments"
[[invariant]]
kind = "no_duplicates"
resource = "strict"
[[invariant]]
kind = "lua"
name = "nothing forbidden"
check = "world.nodes.n.keys.forbidden == nil"
"#);
    assert!(!held(&trace, "no_duplicates(payments)"));
    assert!(held(&trace, "no_duplicates(strict)"));
    assert_eq!(
        logs(&trace, "c"),
        ["false rejected: id \"order-1\" was already written (unique constraint)"]
    );
    assert!(!held(&trace, "lua(nothing forbidden)"));
}

#[test]
fn program_errors_end_the_program_with_a_clear_message() {
    let trace = run(r#"
[[node]]
name = "n"
data = ["LPUSH list a"]
[[client]]
name = "syntax"
program = "local x = = 1"
[[client]]
name = "wrongtype"
program = '''
redis.call("GET", "list")
'''
[[client]]
name = "endless"
program = "while true do end"
[[client]]
name = "missing"
program = 'require("nope")'
"#);
    let error = |actor: &str| {
        trace
            .events
            .iter()
            .filter(|e| e.actor == actor)
            .find_map(|e| match &e.what {
                What::Finish {
                    error: Some(error), ..
                } => Some(error.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{actor} did not fail"))
    };
    assert!(
        error("syntax").contains("unexpected symbol near '='"),
        "{}",
        error("syntax")
    );
    assert!(
        error("wrongtype").starts_with("wrongtype:1: WRONGTYPE"),
        "{}",
        error("wrongtype")
    );
    assert!(error("endless").contains("without calling Redis, sleeping or working"));
    assert!(error("missing").contains("no library named 'nope'"));
}

#[test]
fn bad_scenarios_are_refused_naming_what_is_wrong() {
    assert!(error_of("").contains("no [[node]]"));
    assert!(error_of("[[node]]\nname = \"n\"\ncolour = \"red\"").contains("unknown field `colour`"));
    assert!(error_of("[[node]]\nname = \"n\"\n[[node]]\nname = \"n\"")
        .contains("two actors are named \"n\""));
    assert!(error_of("[[node]]\nname = \"n\"\nreplica_of = \"n\"").contains("is not another node"));
    assert!(error_of(
        "[[node]]\nname = \"n\"\n[[client]]\nname = \"c\"\nnode = \"m\"\nprogram = \"\""
    )
    .contains("node = \"m\" is not a node (nodes: n)"));
    assert!(error_of("[[node]]\nname = \"n\"\n[[client]]\nname = \"c\"")
        .contains("neither a program nor a library"));
    assert!(error_of(
        "[[node]]\nname = \"n\"\n[[fault]]\nkind = \"pause\"\ntarget = \"n\"\nduration_ms = 5"
    )
    .contains("target \"n\" is not a client"));
    assert!(
        error_of("[[node]]\nname = \"n\"\n[[fault]]\nkind = \"nap\"")
            .contains("unknown variant `nap`")
    );
    assert!(
        error_of("[network]\nlatency_ms = [5, 1]\n[[node]]\nname = \"n\"").contains("backwards")
    );
    assert!(error_of("[[node]]\nname = \"n\"\ndata = [\"SET 'a\"]").contains("data line 1"));
    let seed_refused = lockstep_sim::run(
        &Scenario::parse("[[node]]\nname = \"n\"\ndata = [\"SET a\"]").unwrap(),
        1,
    )
    .unwrap_err();
    assert!(
        seed_refused
            .message
            .contains("wrong number of arguments for 'set' command"),
        "{seed_refused}"
    );
}

/// A refused scenario says which actor and which key it is about, beside
/// the sentence, so an editor can point at the place without reading the
/// sentence back; the sentence is what the error displays.
#[test]
fn a_refused_scenario_names_the_actor_and_the_field() {
    let refused = |toml: &str| Scenario::parse(toml).expect_err("the scenario should be refused");
    fn place(e: &ScenarioError) -> (ErrorKind, Option<&str>, Option<&str>) {
        (e.kind, e.actor.as_deref(), e.field.as_deref())
    }

    let timeout = refused(
        "[[node]]\nname = \"n\"\n[[client]]\nname = \"worker\"\nprogram = \"\"\ntimeout_ms = 0",
    );
    assert_eq!(
        place(&timeout),
        (ErrorKind::BadValue, Some("worker"), Some("timeout_ms"))
    );
    assert_eq!(
        timeout.to_string(),
        "client \"worker\": timeout_ms must be above 0"
    );

    let lag = refused("[[node]]\nname = \"n\"\nreplication_lag_ms = -1");
    assert_eq!(
        place(&lag),
        (ErrorKind::BadValue, Some("n"), Some("replication_lag_ms"))
    );
    assert_eq!(lag.to_string(), lag.message);

    let primary = refused("[[node]]\nname = \"r\"\nreplica_of = \"nowhere\"");
    assert_eq!(
        place(&primary),
        (ErrorKind::UnknownName, Some("r"), Some("replica_of"))
    );

    let trigger = refused(
        "[[node]]\nname = \"n\"\n[[fault]]\nkind = \"crash\"\ntarget = \"n\"\nat_ms = 0\nafter = { actor = \"ghost\", event = \"enter\", nth = 1 }",
    );
    assert_eq!(
        place(&trigger),
        (ErrorKind::UnknownName, None, Some("after.actor"))
    );

    let not_toml = refused("[[node]\n");
    assert_eq!(place(&not_toml), (ErrorKind::Toml, None, None));

    // Building the world: Redis refuses a seed command of node "n".
    let seed = lockstep_sim::run(
        &Scenario::parse("[[node]]\nname = \"n\"\ndata = [\"SET a\"]").unwrap(),
        1,
    )
    .unwrap_err();
    assert_eq!(place(&seed), (ErrorKind::Build, Some("n"), Some("data")));
}

/// Two holders write to an unchecked resource; `old_writes_at` decides
/// whether the older token's write lands before or after the newer one.
fn stale_write_verdict(old_writes_at: u32) -> bool {
    let trace = run(&format!(
        r#"
[[node]]
name = "n"
[[resource]]
name = "storage"
[[client]]
name = "old"
program = '''
sleep(200)
enter("job")
sleep({old_writes_at} - 200)
write("storage", {{ token = 1, value = "old" }})
leave("job")
'''
[[client]]
name = "new"
program = '''
sleep(50)
enter("job")
sleep(400)
write("storage", {{ token = 2, value = "new" }})
leave("job")
'''
[[invariant]]
kind = "no_stale_writes"
resource = "storage"
"#
    ));
    held(&trace, "no_stale_writes")
}

#[test]
fn fencing_tokens_decide_whose_turn_a_write_belongs_to() {
    // "old" entered later than "new", but its token is older: its write is
    // stale when it lands after the newer holder's, and fine before it.
    assert!(stale_write_verdict(300), "token 1 then token 2: in order");
    assert!(!stale_write_verdict(600), "token 2 then token 1: stale");
}

#[test]
fn lua_invariants_see_exact_values_not_the_timelines_text() {
    // The timeline shows `"say \"hi\""` and cuts the long value at 200
    // bytes; a check must see the bytes the key holds.
    let trace = run(r#"
[[node]]
name = "redis"
[[client]]
name = "c"
program = '''
redis.call("SET", "q", 'say "hi"')
redis.call("SET", "long", string.rep("x", 300))
'''
[[invariant]]
kind = "lua"
name = "quoted"
check = '''world.nodes.redis.keys.q == nil or world.nodes.redis.keys.q.value == [[say "hi"]]'''
[[invariant]]
kind = "lua"
name = "long"
check = '''world.nodes.redis.keys.long == nil or #world.nodes.redis.keys.long.value == 300'''
"#);
    let verdicts: Vec<_> = trace
        .verdicts
        .iter()
        .map(|v| (v.invariant.as_str(), v.held, v.message.clone()))
        .collect();
    assert!(held(&trace, "lua(quoted)"), "{verdicts:?}");
    assert!(held(&trace, "lua(long)"), "{verdicts:?}");
    // The checks ran on the values: the keys are there at the end.
    let state = trace.state_at(trace.events.len() as u64).unwrap();
    assert_eq!(state.nodes["redis"].keys.len(), 2);
}

#[test]
fn a_failed_liveness_verdict_names_the_step_of_the_client_that_failed() {
    // c1 fails early; c2 goes on working, so the failure is not the
    // last event and only `at_seq` can point at it.
    let trace = run(r#"
[[node]]
name = "redis"
[[client]]
name = "c1"
program = '''
redis.call("SET", "a", "1")
error("gave up")
'''
[[client]]
name = "c2"
program = '''
for i = 1, 5 do redis.call("INCR", "n") sleep(10) end
'''
[liveness]
finished = ["c1", "c2"]
"#);
    let failed = trace
        .events
        .iter()
        .find(|e| e.actor == "c1" && matches!(e.what, What::Finish { error: Some(_), .. }))
        .expect("c1 fails");
    assert!(
        failed.seq + 1 < trace.events.len() as u64,
        "c2 goes on after"
    );
    let liveness = trace
        .verdicts
        .iter()
        .find(|v| !v.held)
        .expect("a failed verdict");
    assert_eq!(liveness.at_seq, Some(failed.seq), "{liveness:?}");
    assert_eq!(liveness.at_us, Some(failed.t_us), "{liveness:?}");
}

/// A lock whose reply is held up by a latency spike: the client gives up
/// after 500 ms, the node has set the key all the same.
const DELAYED_LOCK: &str = r#"
duration_ms = 20000
[[node]]
name = "redis"
[[client]]
name = "client-1"
timeout_ms = 500
program = '''
local reply = redis.pcall("SET", "lock", "me", "NX", "PX", 10000)
log("acquire", type(reply) == "table" and reply.err or reply)
sleep(3000)
'''
[liveness]
finished = ["client-1"]
"#;

#[test]
fn a_delay_makes_a_lock_reply_arrive_after_the_timeout() {
    let trace = run(&format!(
        r#"{DELAYED_LOCK}
[[fault]]
kind = "delay"
between = [["client-1"], ["redis"]]
extra_ms = 1000
duration_ms = 5000
at_ms = 0
"#
    ));
    let position = |want: &dyn Fn(&What) -> bool| {
        trace
            .events
            .iter()
            .position(|e| want(&e.what))
            .unwrap_or_else(|| panic!("{}", lockstep_sim::timeline::render(&trace)))
    };
    let delay = position(&|w| matches!(w, What::Delay { .. }));
    let timeout = position(&|w| matches!(w, What::Timeout { .. }));
    let late = position(&|w| matches!(w, What::Receive { late: true, .. }));
    assert!(delay < timeout && timeout < late);
    // The answer took the spike's 1000 ms on top of the link's 1 ms.
    let sent = position(&|w| matches!(w, What::Send { .. }));
    assert!(trace.events[late].t_us - trace.events[sent].t_us > 1_000_000);
    assert!(logs(&trace, "client-1")[0].contains("TIMEOUT"));
    // The node took the lock all the same.
    let state = trace.state_at(trace.events[late].seq).unwrap();
    assert!(state.nodes["redis"].keys.iter().any(|k| k.key == "lock"));
    let shown = lockstep_sim::timeline::describe(&trace.events[delay]);
    assert!(shown.contains("slowed by 1000 ms for 5000 ms"), "{shown}");
    // Without the spike the reply comes in time.
    let calm = run(DELAYED_LOCK);
    assert!(!calm
        .events
        .iter()
        .any(|e| matches!(e.what, What::Timeout { .. })));
}

#[test]
fn a_delay_fault_is_checked_like_any_other() {
    let error = error_of(
        r#"
[[node]]
name = "redis"
[[fault]]
kind = "delay"
between = [["nobody"], ["redis"]]
extra_ms = 10
duration_ms = 10
"#,
    );
    assert!(
        error.contains("fault 1 (delay): between: \"nobody\" is not an actor"),
        "{error}"
    );
}

#[test]
fn stepping_one_event_at_a_time_gives_the_same_run() {
    use std::rc::Rc;
    let scenario = Scenario::parse(&format!(
        r#"{DELAYED_LOCK}
[[fault]]
kind = "pause"
target = "client-1"
duration_ms = 700
at_ms = 1
"#
    ))
    .unwrap();
    let whole = lockstep_sim::run(&scenario, 1).unwrap();
    let mut world = lockstep_sim::World::new(
        Rc::new(scenario.clone()),
        scenario.faults.clone(),
        lockstep_sim::RunOptions::new(1),
    )
    .unwrap();
    let mut steps = 0;
    while world.step() {
        steps += 1;
        assert!(world.stopped().is_empty() || !world.step());
    }
    assert!(steps > 5, "{steps}");
    assert_eq!(world.stopped(), whole.stopped);
    assert_eq!(world.run().to_json(), whole.to_json());
}

#[test]
fn client_programs_have_redis_s_lua_libraries_with_the_same_bytes_as_scripts() {
    let body = r#"
local t = cjson.decode('{"user":"ada","tags":[1,2.5,"x"]}')
return {
  cjson.encode({ok = true}),
  t.user .. "/" .. t.tags[2],
  struct.pack(">I2i4", 513, -2),
  cmsgpack.pack({1, "two", {3}}),
  tostring(bit.band(0xff, 0x0f)) .. "," .. bit.tohex(65535, 4),
}"#;
    let trace = run(&format!(
        r#"
[[node]]
name = "redis"
[[client]]
name = "c"
program = '''
local function mine() {body}
end
local script = redis.call("EVAL", [[{body}]], 0)
local local_values = mine()
for i = 1, 5 do
  log(i, local_values[i] == script[i] and "same" or "differs", #local_values[i])
end
log(cjson.decode(cjson.encode({{n = 5}})).n)
'''
"#
    ));
    let lines = logs(&trace, "c");
    assert_eq!(lines.len(), 6, "{lines:?}");
    for (i, line) in lines[..5].iter().enumerate() {
        assert!(line.starts_with(&format!("{} same ", i + 1)), "{line}");
        assert!(!line.ends_with(" 0"), "{line}: empty");
    }
    assert_eq!(lines[5], "5");
}

#[test]
fn function_libraries_reach_replicas_and_survive_a_restart_but_cached_scripts_do_not() {
    let trace = run(r##"
[[node]]
name = "primary"
persistence = "aof"
appendfsync = "always"
[[node]]
name = "replica"
replica_of = "primary"
[[client]]
name = "c"
node = "primary"
program = '''
redis.call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 7 end, flags={'no-writes'}}")
local sha = redis.call("SCRIPT", "LOAD", "return 8")
sleep(1000)
log(redis.call("FCALL", "f", 0), call_on("replica", "FCALL_RO", "f", 0))
log(redis.pcall("EVALSHA", sha, 0).err)
'''
[[fault]]
kind = "crash"
target = "primary"
at_ms = 500
restart_after_ms = 100
"##);
    assert_eq!(
        logs(&trace, "c"),
        ["7 7", "NOSCRIPT No matching script. Please use EVAL."]
    );
}

#[test]
fn a_double_reply_reads_as_redis_cli_shows_it_over_resp2() {
    let trace = run(r#"
[[node]]
name = "n"
[[client]]
name = "c"
program = '''
redis.call("ZADD", "board", 1.5, "amy")
log(redis.call("ZINCRBY", "board", 0.25, "amy"))
'''
"#);
    let shown: Vec<&str> = trace
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Receive { text, .. } if e.actor == "c" => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(shown, ["(integer) 1", "\"1.75\""]);
    assert_eq!(logs(&trace, "c"), ["1.75"]);
}

/// Two tasks of one process take "the same" lock; `owner` decides whether
/// the lock tells them apart.
fn two_tasks_sharing_a_lock(owner: &str) -> Trace {
    run(&format!(
        r#"
[[node]]
name = "redis"
[[client]]
name = "app"
program = '''
local function worker()
  local owner = {owner}
  local ok = redis.call("SET", "lock", owner, "NX", "PX", 1000)
  if not ok and redis.call("GET", "lock") ~= owner then
    log("someone else holds it")
    return
  end
  enter("report")
  work(100)
  leave("report")
end
spawn(worker)
spawn(worker)
sleep(500)
'''
[[invariant]]
kind = "mutual_exclusion"
name = "report"
"#
    ))
}

#[test]
fn critical_sections_are_per_task_so_a_lock_owned_by_the_process_is_caught() {
    let trace = two_tasks_sharing_a_lock("me");
    let verdict = &trace.verdicts[0];
    assert!(!verdict.held);
    assert_eq!(
        verdict.message.as_deref(),
        Some("app task 2 entered \"report\" while app task 1 was still inside")
    );
    let fixed = two_tasks_sharing_a_lock("uuid()");
    assert!(fixed.verdicts[0].held);
    assert_eq!(logs(&fixed, "app"), ["someone else holds it"]);
}

const KEYS_AT_A_STEP: &str = r#"
title = "keys at a step"
duration_ms = 1000
[[node]]
name = "redis"
[[client]]
name = "c1"
program = '''
redis.call("SET", "lock", "c1", "PX", 500)
sleep(100)
redis.call("SET", "plain", "v")
'''
"#;

/// A front end forks a run at a step and takes a node's keys out of it:
/// each key's DUMP payload and its TTL as the node's clock counts it then.
#[test]
fn a_nodes_keys_at_a_step_come_out_with_their_dump_and_ttl() {
    // The step of the first SET on the node, read from the whole run.
    let trace = run(KEYS_AT_A_STEP);
    let set = trace
        .events
        .iter()
        .find(|e| {
            e.actor == "redis"
                && matches!(&e.what, What::Exec { command, .. } if command.contains("lock"))
        })
        .expect("the SET ran");
    let scenario = Scenario::parse(KEYS_AT_A_STEP).unwrap();
    let faults = scenario.faults.clone();
    let options = lockstep_sim::RunOptions::new(1);
    let mut world = lockstep_sim::World::new(std::rc::Rc::new(scenario), faults, options).unwrap();
    while world.events_recorded() <= set.seq && world.step() {}
    let keys = world.node_keys("redis").expect("redis is up");
    assert_eq!(keys.node_ms, (set.t_us / 1000) as i64);
    let names: Vec<&[u8]> = keys.keys.iter().map(|k| k.key.as_slice()).collect();
    assert_eq!(names, [b"lock".as_slice()], "only what was written by then");
    let ttl = keys.keys[0].ttl_ms.expect("the lock has a TTL");
    assert!(ttl > 0 && ttl <= 500, "{ttl}");
    assert!(!keys.keys[0].payload.is_empty());
    assert!(world.node_keys("c1").is_none(), "not a node");
}
