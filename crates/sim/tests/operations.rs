//! Operations during a run: `[[operator]]` commands (SCRIPT FLUSH,
//! FUNCTION LOAD REPLACE, CONFIG SET of persistence, BGSAVE) and
//! `[[deploy]]`s of new client releases — each test asserts what a lesson
//! about them teaches.

use lockstep_sim::trace::{Event, Trace, What};
use lockstep_sim::Scenario;

fn run(toml: &str) -> Trace {
    let scenario = Scenario::parse(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    lockstep_sim::run(&scenario, 1).unwrap()
}

fn events<'a>(trace: &'a Trace, actor: &str) -> Vec<&'a Event> {
    trace.events.iter().filter(|e| e.actor == actor).collect()
}

/// The operator's answered command whose text starts with `command`.
fn operator_event<'a>(trace: &'a Trace, command: &str) -> &'a Event {
    trace
        .events
        .iter()
        .find(|e| matches!(&e.what, What::Operator { command: c, .. } if c.starts_with(command)))
        .unwrap_or_else(|| panic!("no operator event for {command}"))
}

fn finish_error(trace: &Trace, client: &str) -> Option<String> {
    events(trace, client)
        .into_iter()
        .find_map(|e| match &e.what {
            What::Finish { task: 0, error } => Some(error.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{client} never finished"))
}

/// Keys on `node` in the last snapshot.
fn keys_at_end(trace: &Trace, node: &str) -> Vec<String> {
    let last = trace.events.last().expect("events").seq;
    trace.state_at(last).expect("a snapshot").nodes[node]
        .keys
        .iter()
        .map(|k| k.key.clone())
        .collect()
}

/// Two app servers call a counting script by SHA; app-1 is deployed with
/// release 2 of the script at 300 ms; the operator flushes the script
/// cache at 550 ms. `fallback` says whether the program answers NOSCRIPT
/// by sending the script itself.
fn rolling_deploy_with_flush(fallback: bool) -> String {
    format!(
        r#"
[[node]]
name = "redis"

[[client]]
name = "app-1"
library = "counter"
params = {{ release = 1, fallback = {fallback} }}

[[client]]
name = "app-2"
start_ms = 50
library = "counter"
params = {{ release = 1, fallback = {fallback} }}

[[deploy]]
at_ms = 300
client = "app-1"
params = {{ release = 2, fallback = {fallback} }}

[[operator]]
at_ms = 550
node = "redis"
command = "SCRIPT FLUSH"

[libraries]
counter = '''
local SCRIPTS = {{
  'return redis.call("INCR", KEYS[1])',
  'return redis.call("INCRBY", KEYS[1], 2)',
}}
local M = {{}}
function M.main(params)
  local script = SCRIPTS[params.release]
  local sha = redis.call("SCRIPT", "LOAD", script)
  for i = 1, 8 do
    local reply = redis.pcall("EVALSHA", sha, 1, "hits")
    if type(reply) == "table" and reply.err then
      if not params.fallback then error(reply.err) end
      log("NOSCRIPT: sending the script itself")
      redis.call("EVAL", script, 1, "hits")
    end
    sleep(100)
  end
end
return M
'''
"#
    )
}

/// The SHA an EVALSHA send carries.
fn sha_of(event: &Event) -> Option<String> {
    match &event.what {
        What::Send { text, .. } if text.starts_with("EVALSHA") => {
            text.split_whitespace().nth(1).map(str::to_string)
        }
        _ => None,
    }
}

#[test]
fn after_script_flush_evalsha_gets_noscript_and_the_eval_fallback_recovers() {
    let trace = run(&rolling_deploy_with_flush(true));
    let flush = operator_event(&trace, "SCRIPT FLUSH");
    assert!(
        matches!(&flush.what, What::Operator { reply, node, .. } if reply == "OK" && node == "redis"),
        "{flush:?}"
    );
    assert_eq!(flush.actor, "operator");
    for app in ["app-1", "app-2"] {
        let after: Vec<&Event> = events(&trace, app)
            .into_iter()
            .filter(|e| e.seq > flush.seq)
            .collect();
        let first_reply = after
            .iter()
            .find_map(|e| match &e.what {
                What::Receive { text, .. } => Some(text.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{app} got no reply after the flush"));
        assert!(first_reply.contains("NOSCRIPT"), "{app}: {first_reply}");
        let fallback = after
            .iter()
            .position(|e| matches!(&e.what, What::Send { text, .. } if text.starts_with("EVAL ")))
            .unwrap_or_else(|| panic!("{app} never fell back to EVAL"));
        // The EVAL put the script back in the cache: the next EVALSHA works.
        let next_evalsha = after[fallback..]
            .iter()
            .position(|e| sha_of(e).is_some())
            .map(|i| fallback + i)
            .unwrap_or_else(|| panic!("{app} sent no EVALSHA after its fallback"));
        let answer = after[next_evalsha..]
            .iter()
            .find_map(|e| match &e.what {
                What::Receive { text, .. } => Some(text.clone()),
                _ => None,
            })
            .unwrap();
        assert!(answer.starts_with("(integer)"), "{app}: {answer}");
        assert_eq!(finish_error(&trace, app), None, "{app} failed");
    }
}

#[test]
fn without_the_fallback_a_flushed_script_fails_every_client() {
    let trace = run(&rolling_deploy_with_flush(false));
    for app in ["app-1", "app-2"] {
        let error = finish_error(&trace, app).unwrap_or_else(|| panic!("{app} did not fail"));
        assert!(error.contains("NOSCRIPT"), "{app}: {error}");
    }
}

#[test]
fn a_deploy_switches_the_client_to_its_new_release_and_the_others_stay() {
    let trace = run(&rolling_deploy_with_flush(true));
    let deploy = events(&trace, "app-1")
        .into_iter()
        .find(|e| matches!(e.what, What::Deploy { .. }))
        .expect("app-1 was deployed");
    let What::Deploy { change, due_us } = &deploy.what else {
        unreachable!()
    };
    assert_eq!(*due_us, 300_000);
    assert!(deploy.t_us >= 300_000, "{deploy:?}");
    assert!(
        change.contains("deploy 1") && change.contains("params"),
        "{change}"
    );
    // The new release starts from the top at once and loads its own script.
    let restart = events(&trace, "app-1")
        .into_iter()
        .find(|e| e.seq > deploy.seq)
        .unwrap();
    assert_eq!(restart.what, What::Start { task: 0 });
    let shas = |app: &str, after: bool| -> Vec<String> {
        events(&trace, app)
            .into_iter()
            .filter(|e| (e.seq > deploy.seq) == after)
            .filter_map(sha_of)
            .collect()
    };
    let (old, new) = (shas("app-1", false), shas("app-1", true));
    assert!(!old.is_empty() && !new.is_empty());
    assert!(new.iter().all(|s| !old.contains(s)), "{old:?} {new:?}");
    // app-2 was not deployed: it still sends release 1's script.
    assert!(shas("app-2", true).iter().all(|s| old.contains(s)));
    assert!(events(&trace, "app-2")
        .iter()
        .all(|e| !matches!(e.what, What::Deploy { .. })));
}

#[test]
fn a_deploy_waits_for_the_reply_in_flight_and_stops_the_old_release_before_its_next_call() {
    let trace = run(r#"
[network]
latency_ms = 10

[[node]]
name = "redis"

[[client]]
name = "app"
program = '''
for i = 1, 5 do redis.call("INCR", "v1") end
'''

[[deploy]]
at_ms = 25
client = "app"
program = '''
log("release 2")
redis.call("INCR", "v2")
'''
"#);
    let app = events(&trace, "app");
    let deploy = app
        .iter()
        .find(|e| matches!(e.what, What::Deploy { .. }))
        .expect("deployed");
    // At 25 ms the second INCR (sent at 20 ms) was on its way: the old
    // release read its reply, and stopped before sending the third.
    let sends_before: Vec<&&Event> = app
        .iter()
        .filter(|e| e.seq < deploy.seq && matches!(e.what, What::Send { .. }))
        .collect();
    assert_eq!(sends_before.len(), 2, "{app:#?}");
    let last_msg = match &sends_before[1].what {
        What::Send { msg, .. } => *msg,
        _ => unreachable!(),
    };
    let answered = app
        .iter()
        .find(|e| matches!(e.what, What::Receive { msg, late: false, .. } if msg == last_msg))
        .expect("the reply in flight was read");
    assert!(answered.seq < deploy.seq);
    assert_eq!(deploy.t_us, answered.t_us);
    assert!(app.iter().any(
        |e| e.seq > deploy.seq && matches!(&e.what, What::Log { text } if text == "release 2")
    ));
    assert_eq!(finish_error(&trace, "app"), None);
}

#[test]
fn function_load_replace_changes_every_clients_calls_at_one_point_in_the_trace() {
    let v1 = "#!lua name=lib\\nredis.register_function('version', function() return 'v1' end)";
    let v2 = "#!lua name=lib\\nredis.register_function('version', function() return 'v2' end)";
    let trace = run(&format!(
        r#"
[[node]]
name = "redis"
data = ["FUNCTION LOAD \"{v1}\""]

[[client]]
name = "a"
program = 'for i = 1, 10 do redis.call("FCALL", "version", 0) sleep(50) end'

[[client]]
name = "b"
start_ms = 20
program = 'for i = 1, 10 do redis.call("FCALL", "version", 0) sleep(50) end'

[[operator]]
at_ms = 240
node = "redis"
command = "FUNCTION LOAD REPLACE \"{v2}\""
"#
    ));
    let replace = operator_event(&trace, "FUNCTION LOAD REPLACE");
    assert!(
        matches!(&replace.what, What::Operator { reply, .. } if reply == "\"lib\""),
        "{replace:?}"
    );
    // The node ran the REPLACE at one step; every FCALL before it ran v1,
    // every one after it v2, for both clients.
    let replaced_at = trace
        .events
        .iter()
        .find(|e| matches!(&e.what, What::Exec { from, .. } if from == "operator"))
        .expect("the node ran the operator's command")
        .seq;
    let mut seen = std::collections::BTreeSet::new();
    for event in &trace.events {
        if let What::Exec {
            from,
            command,
            reply,
            ..
        } = &event.what
        {
            if command.starts_with("FCALL") {
                let want = if event.seq < replaced_at {
                    "\"v1\""
                } else {
                    "\"v2\""
                };
                assert_eq!(reply, want, "{event:?}");
                seen.insert((from.clone(), want));
            }
        }
    }
    assert_eq!(seen.len(), 4, "each client saw both versions: {seen:?}");
}

/// A writer SETs key:1 … key:10, one every 100 ms from 0 ms; the node
/// keeps an AOF (`fsync`), crashes at 950 ms and comes back at 1000 ms;
/// `operator` is an optional command at 450 ms.
fn crash_after_writes(fsync: &str, operator: Option<&str>) -> String {
    let operator = operator
        .map(|command| {
            format!("[[operator]]\nat_ms = 450\nnode = \"redis\"\ncommand = \"{command}\"\n")
        })
        .unwrap_or_default();
    format!(
        r#"
duration_ms = 3000

[[node]]
name = "redis"
persistence = "aof"
appendfsync = "{fsync}"

[[client]]
name = "writer"
program = '''
for i = 1, 10 do
  redis.call("SET", "key:" .. i, i)
  sleep(100)
end
'''

[[fault]]
kind = "crash"
target = "redis"
at_ms = 950
restart_after_ms = 50

[[invariant]]
kind = "acknowledged_writes"
node = "redis"

{operator}"#
    )
}

fn acknowledged_writes_held(trace: &Trace) -> bool {
    trace
        .verdicts
        .iter()
        .find(|v| v.invariant.starts_with("acknowledged_writes"))
        .expect("verdict")
        .held
}

#[test]
fn config_set_appendfsync_always_keeps_the_writes_acknowledged_after_it_through_a_crash() {
    // everysec: the first fsync would be at 1 s, after the crash.
    let before = run(&crash_after_writes("everysec", None));
    assert!(keys_at_end(&before, "redis").is_empty());
    assert!(!acknowledged_writes_held(&before));

    let after = run(&crash_after_writes(
        "everysec",
        Some("CONFIG SET appendfsync always"),
    ));
    let set = operator_event(&after, "CONFIG SET");
    assert!(matches!(&set.what, What::Operator { reply, .. } if reply == "OK"));
    let kept = keys_at_end(&after, "redis");
    assert_eq!(kept.len(), 10, "{kept:?}");
    assert!(acknowledged_writes_held(&after));
}

#[test]
fn config_set_appendonly_no_loses_the_writes_made_after_it() {
    let always = run(&crash_after_writes("always", None));
    assert_eq!(keys_at_end(&always, "redis").len(), 10);

    let trace = run(&crash_after_writes(
        "always",
        Some("CONFIG SET appendonly no"),
    ));
    let set = operator_event(&trace, "CONFIG SET").t_us;
    // What was written before the operator's command is kept, nothing after.
    let mut written_before = Vec::new();
    for event in &trace.events {
        if let What::Exec { command, .. } = &event.what {
            if command.starts_with("SET") {
                let key = command.split_whitespace().nth(1).unwrap().to_string();
                if event.t_us < set {
                    written_before.push(key);
                }
            }
        }
    }
    assert_eq!(written_before.len(), 5);
    let mut kept = keys_at_end(&trace, "redis");
    kept.sort();
    written_before.sort();
    assert_eq!(kept, written_before);
    assert!(!acknowledged_writes_held(&trace));
    // The timeline says the AOF stopped.
    assert!(trace.events.iter().any(|e| matches!(&e.what,
        What::Persist { what } if what.contains("appendonly no"))));
}

#[test]
fn bgsave_writes_a_snapshot_that_a_restart_without_persistence_loads() {
    let scenario = |operator: &str| {
        format!(
            r#"
[[node]]
name = "redis"

[[client]]
name = "writer"
program = 'redis.call("SET", "a", "1") sleep(300)'

[[fault]]
kind = "crash"
target = "redis"
at_ms = 100
restart_after_ms = 10
{operator}"#
        )
    };
    let none = run(&scenario(""));
    assert!(keys_at_end(&none, "redis").is_empty());
    let saved = run(&scenario(
        "[[operator]]\nat_ms = 50\nnode = \"redis\"\ncommand = \"BGSAVE\"",
    ));
    assert_eq!(keys_at_end(&saved, "redis"), vec!["a".to_string()]);
    assert!(saved
        .events
        .iter()
        .any(|e| matches!(&e.what, What::Persist { what } if what == "RDB snapshot (BGSAVE)")));
}

#[test]
fn config_get_tells_the_nodes_persistence_and_a_restart_forgets_config_set() {
    let trace = run(r#"
[[node]]
name = "redis"
persistence = "aof"
appendfsync = "always"

[[client]]
name = "c"
program = '''
log(redis.call("CONFIG", "GET", "appendfsync")[2])
sleep(200)
log(redis.call("CONFIG", "GET", "appendfsync")[2])
'''

[[operator]]
at_ms = 50
node = "redis"
command = "CONFIG SET appendfsync no"

[[fault]]
kind = "crash"
target = "redis"
at_ms = 100
restart_after_ms = 10
"#);
    let logs: Vec<String> = events(&trace, "c")
        .into_iter()
        .filter_map(|e| match &e.what {
            What::Log { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(logs, ["always", "always"]);
}

#[test]
fn an_operator_command_waits_behind_a_busy_script_and_a_down_node_refuses_it() {
    let trace = run(r#"
[[node]]
name = "redis"

[[client]]
name = "c"
program = 'redis.call("DEBUG", "SLEEP", "0.5") sleep(1000)'

[[operator]]
at_ms = 100
node = "redis"
command = "PING"

[[operator]]
at_ms = 900
node = "redis"
command = "PING"

[[fault]]
kind = "crash"
target = "redis"
at_ms = 800
"#);
    let pings: Vec<&Event> = events(&trace, "operator");
    assert_eq!(pings.len(), 2);
    let What::Operator {
        reply, asked_us, ..
    } = &pings[0].what
    else {
        unreachable!()
    };
    assert_eq!((reply.as_str(), *asked_us), ("PONG", 100_000));
    assert!(
        pings[0].t_us > 500_000,
        "answered after the sleep: {:?}",
        pings[0]
    );
    assert!(
        matches!(&pings[1].what, What::Operator { reply, .. } if reply.contains("connection refused")),
        "{:?}",
        pings[1]
    );
}

#[test]
fn operations_that_name_nothing_are_refused_with_their_place() {
    let base = "[[node]]\nname = \"redis\"\n[[client]]\nname = \"c\"\nprogram = 'sleep(1)'\n";
    let error = |extra: &str| {
        Scenario::parse(&format!("{base}{extra}"))
            .expect_err("refused")
            .to_string()
    };
    assert!(error("[[operator]]\nnode = \"nope\"\ncommand = \"PING\"").contains("operator 1"));
    assert!(error("[[operator]]\nnode = \"redis\"\ncommand = \"\"").contains("not a command"));
    assert!(error("[[deploy]]\nclient = \"nope\"\nprogram = 'x()'").contains("deploy 1"));
    assert!(error("[[deploy]]\nclient = \"c\"").contains("changes nothing"));
    assert!(error("[[deploy]]\nclient = \"c\"\nlibrary = \"nope\"").contains("not known"));
}

#[test]
fn an_operator_shutdown_is_answered_by_the_closed_connection_and_keeps_the_aof() {
    let trace = run(r#"
[[node]]
name = "redis"
persistence = "aof"
appendfsync = "no"

[[client]]
name = "c"
program = '''
redis.call("SET", "a", "1")
sleep(100)
local ok, err = pcall(redis.call, "GET", "a")
log(ok and "up" or "down")
sleep(100)
log(redis.call("GET", "a"))
'''

[[operator]]
at_ms = 50
node = "redis"
command = "SHUTDOWN"

[[fault]]
kind = "restart"
target = "redis"
at_ms = 150
"#);
    let shutdown = operator_event(&trace, "SHUTDOWN");
    assert!(
        matches!(&shutdown.what, What::Operator { reply, .. } if reply.contains("connection closed by redis")),
        "{shutdown:?}"
    );
    let logs: Vec<String> = events(&trace, "c")
        .into_iter()
        .filter_map(|e| match &e.what {
            What::Log { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    // SHUTDOWN flushes the AOF even with appendfsync no: the write is back.
    assert_eq!(logs, ["down", "1"]);
}

/// A client that logs its release every 100 ms, deployed with release 2
/// at 250 ms, and a fault.
fn deploy_during(fault: &str) -> String {
    format!(
        r#"
duration_ms = 3000

[[node]]
name = "redis"

[[client]]
name = "app"
program = 'for i = 1, 10 do log("release 1") sleep(100) end'

# Keeps the run going while app is down.
[[client]]
name = "watch"
program = 'sleep(1000)'

[[deploy]]
at_ms = 250
client = "app"
program = 'log("release 2")'

{fault}"#
    )
}

fn release_logs(trace: &Trace) -> Vec<(u64, String)> {
    events(trace, "app")
        .into_iter()
        .filter_map(|e| match &e.what {
            What::Log { text } => Some((e.t_us, text.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_paused_client_switches_to_its_new_release_when_it_runs_again() {
    let trace = run(&deploy_during(
        "[[fault]]\nkind = \"pause\"\ntarget = \"app\"\nat_ms = 200\nduration_ms = 400",
    ));
    let deploy = events(&trace, "app")
        .into_iter()
        .find(|e| matches!(e.what, What::Deploy { .. }))
        .expect("deployed");
    assert_eq!(deploy.t_us, 600_000, "when the pause ended");
    let logs = release_logs(&trace);
    assert_eq!(logs.last().unwrap(), &(600_000, "release 2".to_string()));
    assert!(logs
        .iter()
        .all(|(t, text)| (*t < 600_000) == (text == "release 1")));
}

#[test]
fn a_killed_client_gets_its_new_release_when_it_is_restarted() {
    let trace = run(&deploy_during(
        "[[fault]]\nkind = \"kill\"\ntarget = \"app\"\nat_ms = 150\n\n\
         [[fault]]\nkind = \"restart\"\ntarget = \"app\"\nat_ms = 500",
    ));
    let deploy = events(&trace, "app")
        .into_iter()
        .find_map(|e| match &e.what {
            What::Deploy { change, .. } => Some((e.t_us, change.clone())),
            _ => None,
        })
        .expect("deployed");
    assert_eq!(deploy.0, 250_000);
    assert!(
        deploy.1.ends_with("it runs when the process is restarted"),
        "{}",
        deploy.1
    );
    let logs = release_logs(&trace);
    assert_eq!(logs.last().unwrap(), &(500_000, "release 2".to_string()));
    assert_eq!(finish_error(&trace, "app"), None);
}

#[test]
fn a_deploy_before_the_client_starts_gives_it_the_new_release_once() {
    let trace = run(r#"
[[node]]
name = "redis"

[[client]]
name = "app"
start_ms = 200
program = 'log("release 1")'

[[deploy]]
at_ms = 100
client = "app"
program = 'log("release 2")'
"#);
    let logs = release_logs(&trace);
    assert_eq!(logs, [(200_000, "release 2".to_string())]);
    let starts = events(&trace, "app")
        .into_iter()
        .filter(|e| e.what == What::Start { task: 0 })
        .count();
    assert_eq!(starts, 1);
}
