//! Runs natively and, under Node, on wasm32.
//! EVAL sessions that read like redis-cli transcripts; expected replies were
//! taken from a real Redis 7.0 server.

use lockstep_engine::encode::to_bytes;
use lockstep_engine::{Engine, Protocol, Reply};

fn session() -> (Engine, u64) {
    let mut engine = Engine::new(0);
    let client = engine.connect("127.0.0.1:50000", 0);
    (engine, client)
}

fn run(engine: &mut Engine, client: u64, args: &[&str]) -> Reply {
    let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    engine.execute(client, &args, 1_000).reply
}

fn err(text: &str) -> Reply {
    Reply::Error(text.into())
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn returns_convert_like_redis() {
    let (mut e, c) = session();
    assert_eq!(
        run(&mut e, c, &["EVAL", "return 1+1", "0"]),
        Reply::Integer(2)
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return {1,2,3.7,'x',nil,4}", "0"]),
        Reply::Array(vec![
            Reply::Integer(1),
            Reply::Integer(2),
            Reply::Integer(3),
            Reply::bulk("x")
        ])
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return {ok='fine'}", "0"]),
        Reply::Status("fine".into())
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return {err='bad thing'}", "0"]),
        err("bad thing")
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return 1/0", "0"]),
        Reply::Integer(i64::MIN)
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return true", "0"]),
        Reply::Integer(1)
    );
    assert_eq!(run(&mut e, c, &["EVAL", "return false", "0"]), Reply::Null);
    assert_eq!(
        run(
            &mut e,
            c,
            &["EVAL", "return KEYS[1]..ARGV[1]", "1", "k", "v"]
        ),
        Reply::bulk("kv")
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn errors_carry_the_script_position() {
    let (mut e, c) = session();
    assert_eq!(
        run(&mut e, c, &["EVAL", "x=1", "0"]),
        err("ERR user_script:1: Attempt to modify a readonly table script: 7caf6056913504f0508c65faf2dc3f94ff65bcfd, on @user_script:1.")
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return y", "0"]),
        err("ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: e278681ed961e2fb52881313e5c90fdd93749940, on @user_script:1.")
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return redis.call('nosuch')", "0"]),
        err("ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.")
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return redis.pcall('nosuch')", "0"]),
        err("ERR Unknown Redis command called from script")
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "error('boom')", "0"]),
        err("ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.")
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "error({err='MY custom'})", "0"]),
        err("MY custom script: 784d3ae9e6566ecb57138d89d618d989007a9bc6, on @user_script:1.")
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "local t = nil; return t.x", "0"]),
        err("ERR user_script:1: attempt to index local 't' (a nil value) script: e62b17c4a64e9b74a6f9be57909ea9e2d0e66784, on @user_script:1.")
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return 1 +", "0"]),
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'")
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return math.random(0)", "0"]),
        err("ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: 008bcb60f86ee36d26c67b641b46674578d9cba0, on @user_script:1.")
    );
    assert_eq!(
        run(
            &mut e,
            c,
            &["EVAL", "return {pcall(redis.call,'nosuch')}", "0"]
        ),
        Reply::Array(vec![
            Reply::Null,
            Reply::bulk("ERR Unknown Redis command called from script")
        ])
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn writes_before_an_error_stay() {
    let (mut e, c) = session();
    let script = "redis.call('hset','h','f','1') redis.call('nosuch') return 1";
    assert!(run(&mut e, c, &["EVAL", script, "0"]).is_error());
    assert_eq!(run(&mut e, c, &["HGET", "h", "f"]), Reply::bulk("1"));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn read_only_scripts_refuse_writes() {
    let (mut e, c) = session();
    assert_eq!(
        run(&mut e, c, &["EVAL_RO", "return redis.call('hset','a','b','c')", "0"]),
        err("ERR Write commands are not allowed from read-only scripts. script: b4e53c3b051d41abe2c5cee0ac7e161e54b4983d, on @user_script:1.")
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn evalsha_and_the_script_cache() {
    let (mut e, c) = session();
    let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
    assert_eq!(
        run(&mut e, c, &["EVALSHA", sha, "0"]),
        err("NOSCRIPT No matching script. Please use EVAL.")
    );
    assert_eq!(
        run(&mut e, c, &["SCRIPT", "LOAD", "return 1"]),
        Reply::bulk(sha)
    );
    assert_eq!(
        run(&mut e, c, &["EVALSHA", &sha.to_uppercase(), "0"]),
        Reply::Integer(1)
    );
    assert_eq!(
        run(&mut e, c, &["SCRIPT", "EXISTS", sha, "nope"]),
        Reply::Array(vec![Reply::Integer(1), Reply::Integer(0)])
    );
    assert_eq!(run(&mut e, c, &["SCRIPT", "FLUSH"]), Reply::ok());
    assert_eq!(
        run(&mut e, c, &["SCRIPT", "EXISTS", sha]),
        Reply::Array(vec![Reply::Integer(0)])
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn console_limit_stops_endless_scripts() {
    let (mut e, c) = session();
    e.set_script_instruction_limit(Some(1_000_000));
    let reply = run(&mut e, c, &["EVAL", "while true do end", "0"]);
    assert!(
        matches!(&reply, Reply::Error(t) if t.starts_with("ERR Script stopped after 1000000 Lua instructions")),
        "{reply:?}"
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return 'still alive'", "0"]),
        Reply::bulk("still alive")
    );
    let wire = to_bytes(&run(&mut e, c, &["EVAL", "return 7", "0"]), Protocol::Resp2);
    assert_eq!(wire, b":7\r\n");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_script_that_eats_memory_gets_an_error_and_the_node_lives_on() {
    let (mut e, c) = session();
    let reply = run(
        &mut e,
        c,
        &["EVAL", "local t = {} for i = 1, 1e9 do t[i] = i end", "0"],
    );
    assert!(
        matches!(&reply, Reply::Error(t) if t.contains("not enough memory")),
        "{reply:?}"
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return 'alive'", "0"]),
        Reply::bulk("alive")
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_spare_lua_state_behaves_like_a_fresh_one() {
    let script = "redis.log(redis.LOG_WARNING, 'hi') return {math.random(1000), math.random(1000)}";
    let (mut first, c1) = session();
    let from_first = run(&mut first, c1, &["EVAL", script, "0"]);
    run(&mut first, c1, &["SCRIPT", "LOAD", "return 'old'"]);
    let (mut first_copy, c6) = (first.clone(), c1);
    let spare = first.take_spare_scripting().expect("a state to spare");

    let (mut fresh, c2) = session();
    let (mut adopted, c3) = session();
    assert!(adopted.adopt_spare_scripting(spare));
    // The same numbers as a node that never had a state, script after script.
    for _ in 0..2 {
        let replies = (
            run(&mut adopted, c3, &["EVAL", script, "0"]),
            run(&mut fresh, c2, &["EVAL", script, "0"]),
        );
        assert_eq!(replies.0, replies.1);
    }
    let (mut again, c5) = session();
    assert!(again.adopt_spare_scripting(first_spare_again(&mut adopted)));
    assert_eq!(run(&mut again, c5, &["EVAL", script, "0"]), from_first);
    adopted = again;
    let lines = adopted.drain_script_log();
    assert_eq!(lines.len(), 1, "only its own log lines: {lines:?}");
    // The first node's script cache did not come along.
    let sha = lockstep_engine::scripting::sha1_hex(b"return 'old'");
    assert_eq!(
        run(&mut first_copy, c6, &["EVALSHA", &sha, "0"]),
        Reply::bulk("old")
    );
    let noscript = run(&mut adopted, c5, &["EVALSHA", &sha, "0"]);
    assert!(
        matches!(noscript, Reply::Error(ref e) if e.starts_with("NOSCRIPT")),
        "{noscript:?}"
    );
    // A node with a state of its own keeps it.
    let mut other = Engine::new(0);
    let spare = adopted.take_spare_scripting().unwrap();
    let c4 = other.connect("x", 0);
    run(&mut other, c4, &["EVAL", "return 1", "0"]);
    assert!(!other.adopt_spare_scripting(spare));
}

fn first_spare_again(engine: &mut Engine) -> lockstep_engine::scripting::SpareScripting {
    engine.take_spare_scripting().expect("a state to spare")
}

/// How many arrays deep a reply goes before its innermost element is an
/// error, with that error.
fn nesting(reply: &Reply) -> (usize, Reply) {
    let mut depth = 0;
    let mut at = reply;
    while let Reply::Array(items) = at {
        depth += 1;
        match items.first() {
            Some(first) => at = first,
            None => return (depth, Reply::Array(vec![])),
        }
    }
    (depth, at.clone())
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn self_referencing_return_values_stop_at_the_lua_stack_limit() {
    let (mut e, c) = session();
    // Redis 7.0 replies 7995 nested one-element arrays, then the error.
    let reply = run(
        &mut e,
        c,
        &[
            "EVAL",
            "local a = {}; local b = {a}; a[1] = b; return a",
            "0",
        ],
    );
    assert_eq!(nesting(&reply), (7995, err("ERR reached lua stack limit")));
    let bytes = to_bytes(&reply, Protocol::Resp2);
    assert!(bytes.ends_with(b"*1\r\n-ERR reached lua stack limit\r\n"));
    // The server is still there.
    assert_eq!(
        run(&mut e, c, &["EVAL", "return 1", "0"]),
        Reply::Integer(1)
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn tables_that_refer_to_themselves_twice_are_refused_not_unfolded_forever() {
    let (mut e, c) = session();
    let reply = run(
        &mut e,
        c,
        &["EVAL", "local a = {}; a[1] = a; a[2] = a; return a", "0"],
    );
    let Reply::Error(text) = &reply else {
        panic!("expected an error, got a reply of another kind");
    };
    assert!(
        text.starts_with("ERR the script's reply has more than"),
        "{text}"
    );
    assert_eq!(
        run(&mut e, c, &["EVAL", "return 1", "0"]),
        Reply::Integer(1)
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn time_advances_inside_a_script_but_expiry_keeps_its_start() {
    let mut e = Engine::new(0);
    let c = e.connect("127.0.0.1:50000", 1_000);
    let at = |e: &mut Engine, args: &[&str], now: i64| {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        e.execute(c, &args, now).reply
    };
    assert_eq!(
        at(&mut e, &["SET", "k", "v", "PX", "5"], 1_000),
        Reply::ok()
    );
    // Waits until TIME has moved 50 ms on (in simulated time), then looks
    // at a key whose TTL ran out in the meantime: Redis 7.0 still sees it,
    // since expiry inside a script uses the script's start time.
    let script = "local function now() local t = redis.call('TIME') \
                  return tonumber(t[1]) * 1000000 + tonumber(t[2]) end \
                  local start = now(); local calls = 0 \
                  repeat calls = calls + 1 until now() - start >= 50000 \
                  return {calls, redis.call('EXISTS', 'k'), now() - start >= 50000 and 1 or 0}";
    let reply = at(&mut e, &["EVAL", script, "0"], 1_000);
    let Reply::Array(items) = &reply else {
        panic!("expected an array");
    };
    assert!(matches!(items[0], Reply::Integer(n) if n > 1));
    assert_eq!(items[1..], [Reply::Integer(1), Reply::Integer(1)]);
    // Outside the script, time is the caller's again.
    assert_eq!(
        at(&mut e, &["TIME"], 2_000),
        Reply::Array(vec![Reply::bulk("2"), Reply::bulk("0")])
    );
    assert_eq!(at(&mut e, &["EXISTS", "k"], 2_000), Reply::Integer(0));
}
