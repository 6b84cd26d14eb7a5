//! `lockstep serve` as real clients see it: redis-cli and redis-benchmark
//! against it, malformed input answered byte for byte as a real
//! `redis-server` answers it, and connections that misbehave without
//! disturbing the others.

use std::io::{ErrorKind, Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

mod support;

use lockstep_differential::resp::escape;
use support::{call, connect, lockstep, read_reply, redis};

/// Sends `input` on a new connection and collects what comes back until the
/// server closes the connection or stays quiet for `quiet`.
fn raw_exchange(port: u16, input: &[u8], quiet: Duration) -> (Vec<u8>, bool) {
    let mut stream = connect(port);
    stream.write_all(input).expect("write");
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    stream.set_read_timeout(Some(quiet)).expect("timeout");
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (out, false)
            }
            Err(_) => return (out, true),
        }
    }
}

/// Whether the server knows a command yet (families land one by one).
fn supports(port: u16, args: &[&str]) -> bool {
    let reply = call(&mut connect(port), args);
    !reply.starts_with(b"-ERR unknown command")
}

/// Inputs a confused or hostile client may send, with every protocol error
/// Redis 7.0 has an answer for.
const GARBAGE: &[&[u8]] = &[
    b"PING\r\n",
    b"PING\n",
    b"\r\n",
    b"\n\n\nPING\r\n",
    b" \t PING  \r\n",
    b"ECHO 'a\\'b' \"\\x41\\n\"\r\n",
    b"ECHO a\x0bb\r\n",
    b"PI\x00NG\r\n",
    b"*x\r\n",
    b"*+1\r\n",
    b"*01\r\n$4\r\nPING\r\n",
    b"*-1\r\nPING\r\n",
    b"*0\r\nPING\r\n",
    b"*2147483648\r\n",
    b"*2147483647\r\n",
    b"*1\r\n$-1\r\n",
    b"*1\r\n$x\r\n",
    b"*1\r\n$04\r\nPING\r\n",
    b"*1\r\n:1\r\n",
    b"*1\r\n\r\n",
    b"*1\r\n\x80\r\n",
    b"*1\r\r\n$4\r\nPING\r\n",
    b"*1\rx$4\r\nPING\r\n",
    b"*1\r\n$536870913\r\n",
    b"*1\r\n$1073741824\r\n",
    b"*1\r\n$536870912\r\nab",
    b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
    b"*1\r\n$4\r\nPING",
    b"*3\r\n$4\r\nECHO\r\n$1\r\na\r\n",
    b"SET \"a\r\n",
    b"SET \"a\"b\r\n",
    b"SET 'a\r\n",
    b"PING\r\nPOST / HTTP/1.1\r\n",
    b"Host: x\r\n",
    b"PING\r\n*1\r\n$x\r\nPING\r\n",
];

#[test]
fn garbage_gets_the_same_bytes_as_from_redis() {
    let (real, model) = (redis(), lockstep());
    let mut inputs: Vec<Vec<u8>> = GARBAGE.iter().map(|g| g.to_vec()).collect();
    inputs.push(vec![b'x'; 70_000]);
    inputs.push([b"*1\r\n$".as_slice(), &[b'1'; 70_000]].concat());
    inputs.push([b"*".as_slice(), &[b'1'; 70_000]].concat());
    let quiet = Duration::from_millis(300);
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|input| {
                scope.spawn(|| {
                    (
                        raw_exchange(real.port, input, quiet),
                        raw_exchange(model.port, input, quiet),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("exchange"))
            .collect()
    });
    let mut differences = Vec::new();
    for (input, (expected, actual)) in inputs.iter().zip(results) {
        if expected != actual {
            differences.push(format!(
                "{}\n  redis:    {} closed={}\n  lockstep: {} closed={}",
                escape(&input[..input.len().min(40)]),
                escape(&expected.0),
                expected.1,
                escape(&actual.0),
                actual.1
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn redis_cli_talks_to_it() {
    let server = lockstep();
    let port = server.port.to_string();
    let run = |args: &[&str]| {
        let out = Command::new("redis-cli")
            .args(["-p", &port])
            .args(args)
            .output()
            .expect("redis-cli (apt package redis-tools or redis-server) on PATH");
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    };
    assert_eq!(run(&["ping"]), "PONG");
    assert_eq!(run(&["echo", "hello world"]), "hello world");
    assert_eq!(run(&["-3", "ping"]), "PONG");
}

#[test]
fn redis_benchmark_runs_to_completion() {
    let server = lockstep();
    let port = server.port.to_string();
    let mut tests = vec!["ping"];
    if supports(server.port, &["SET", "k", "v"]) {
        tests.extend(["set", "get"]);
    }
    let out = Command::new("redis-benchmark")
        .args(["-p", &port, "-n", "2000", "-q", "-t", &tests.join(",")])
        .output()
        .expect("redis-benchmark on PATH");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("PING_MBULK"), "{report}");
}

/// Peak resident memory of a process, in kB.
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn huge_bulk_headers_allocate_nothing() {
    let server = lockstep();
    let before = peak_rss_kb(server.pid());
    // Announced but never sent: 512 MB (allowed) and a count of 2^31-1.
    let mut big_bulk = connect(server.port);
    big_bulk
        .write_all(b"*2\r\n$3\r\nSET\r\n$536870912\r\nabc")
        .expect("write");
    let mut many_args = connect(server.port);
    many_args
        .write_all(b"*2147483647\r\n$4\r\nECHO\r\n")
        .expect("write");
    // Over the limit: refused before anything is read.
    let (reply, closed) = raw_exchange(
        server.port,
        b"*1\r\n$1073741824\r\n",
        Duration::from_millis(500),
    );
    assert_eq!(reply, b"-ERR Protocol error: invalid bulk length\r\n");
    assert!(closed);
    let mut other = connect(server.port);
    assert_eq!(call(&mut other, &["PING"]), b"+PONG\r\n");
    let grown_kb = peak_rss_kb(server.pid()).saturating_sub(before);
    assert!(grown_kb < 32 * 1024, "the server grew by {grown_kb} kB");
}

#[test]
fn a_half_frame_does_not_hold_up_other_connections() {
    let server = lockstep();
    let mut slow = connect(server.port);
    slow.write_all(b"*2\r\n$4\r\nECHO\r\n$5\r\nhel")
        .expect("write");
    let mut quick = connect(server.port);
    let started = Instant::now();
    for _ in 0..10 {
        assert_eq!(call(&mut quick, &["PING"]), b"+PONG\r\n");
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(read_reply(&mut slow, Duration::from_millis(100)), None);
    slow.write_all(b"lo\r\n").expect("write");
    assert_eq!(
        read_reply(&mut slow, Duration::from_secs(5)).as_deref(),
        Some(&b"$5\r\nhello\r\n"[..])
    );
}

#[test]
fn a_protocol_error_closes_only_that_connection() {
    let server = lockstep();
    let mut good = connect(server.port);
    let (reply, closed) = raw_exchange(
        server.port,
        b"PING\r\n*1\r\n$x\r\nPING\r\n",
        Duration::from_millis(500),
    );
    assert_eq!(
        reply,
        b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(closed);
    assert_eq!(
        call(&mut good, &["ECHO", "still here"]),
        b"$10\r\nstill here\r\n"
    );
}

#[test]
fn quit_replies_then_closes() {
    let server = lockstep();
    if !supports(server.port, &["QUIT"]) {
        eprintln!("QUIT not modelled yet: skipped");
        return;
    }
    let (reply, closed) = raw_exchange(server.port, b"QUIT\r\nPING\r\n", Duration::from_secs(2));
    assert_eq!(reply, b"+OK\r\n");
    assert!(closed);
}

#[test]
fn disconnecting_mid_multi_discards_the_transaction() {
    let server = lockstep();
    if !supports(server.port, &["MULTI"]) {
        eprintln!("MULTI not modelled yet: skipped");
        return;
    }
    let mut quitter = connect(server.port);
    assert_eq!(call(&mut quitter, &["MULTI"]), b"+OK\r\n");
    assert_eq!(
        call(
            &mut quitter,
            &["RPUSH", "l", "from-the-dropped-transaction"]
        ),
        b"+QUEUED\r\n"
    );
    drop(quitter);
    std::thread::sleep(Duration::from_millis(100));
    let mut other = connect(server.port);
    assert_eq!(call(&mut other, &["LLEN", "l"]), b":0\r\n");
    assert_eq!(call(&mut other, &["MULTI"]), b"+OK\r\n");
    assert_eq!(call(&mut other, &["RPUSH", "l", "x"]), b"+QUEUED\r\n");
    assert_eq!(call(&mut other, &["EXEC"]), b"*1\r\n:1\r\n");
}

#[test]
fn an_idle_subscriber_gets_messages_at_once() {
    let server = lockstep();
    if !supports(server.port, &["PUBLISH", "c", "m"]) {
        eprintln!("PUBLISH not modelled yet: skipped");
        return;
    }
    let mut subscriber = connect(server.port);
    let confirm = call(&mut subscriber, &["SUBSCRIBE", "news"]);
    assert_eq!(confirm, b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    let mut publisher = connect(server.port);
    for i in 0..20 {
        let message = format!("m{i}");
        let started = Instant::now();
        assert_eq!(
            call(&mut publisher, &["PUBLISH", "news", &message]),
            b":1\r\n"
        );
        let push = read_reply(&mut subscriber, Duration::from_secs(1)).expect("the message");
        let expected = format!(
            "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n${}\r\n{message}\r\n",
            message.len()
        );
        assert_eq!(push, expected.as_bytes());
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "took {:?}",
            started.elapsed()
        );
    }
}

/// A script that never ends: past `busy-reply-threshold` other connections
/// get BUSY, SCRIPT KILL stops it, and the node serves again, with the same
/// bytes as a real Redis on every connection.
fn endless_script_session(port: u16) -> Vec<Vec<u8>> {
    let mut runner = connect(port);
    let mut other = connect(port);
    let mut seen = vec![call(
        &mut other,
        &["CONFIG", "SET", "busy-reply-threshold", "200"],
    )];
    runner
        .write_all(b"*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n")
        .expect("write");
    std::thread::sleep(Duration::from_millis(500));
    seen.push(call(&mut other, &["PING"]));
    seen.push(call(&mut other, &["GET", "k"]));
    // A connection accepted while the script runs is answered too.
    seen.push(call(&mut connect(port), &["PING"]));
    seen.push(call(&mut other, &["SCRIPT", "KILL"]));
    seen.push(read_reply(&mut runner, Duration::from_secs(5)).unwrap_or_default());
    seen.push(call(&mut other, &["PING"]));
    seen.push(call(&mut runner, &["SCRIPT", "KILL"]));
    seen
}

#[test]
fn an_endless_script_gets_busy_replies_and_script_kill() {
    let (real, model) = (redis(), lockstep());
    let (expected, actual) = std::thread::scope(|scope| {
        let real = scope.spawn(|| endless_script_session(real.port));
        let actual = endless_script_session(model.port);
        (real.join().expect("redis session"), actual)
    });
    let show = |replies: &[Vec<u8>]| {
        replies
            .iter()
            .map(|r| escape(r))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(show(&actual), show(&expected));
}

/// Another connection opens a transaction while a script is busy: Redis
/// answers MULTI at once, refuses what follows with BUSY and aborts EXEC.
fn transaction_during_busy_script_session(port: u16) -> Vec<Vec<u8>> {
    let mut runner = connect(port);
    let mut other = connect(port);
    let mut seen = vec![call(
        &mut other,
        &["CONFIG", "SET", "busy-reply-threshold", "200"],
    )];
    runner
        .write_all(b"*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n")
        .expect("write");
    std::thread::sleep(Duration::from_millis(500));
    for command in [
        &["MULTI"][..],
        &["MULTI"],
        &["SET", "k", "v"],
        &["EXEC"],
        &["DISCARD"],
        &["WATCH", "k"],
        &["MULTI"],
        &["UNWATCH"],
        &["DISCARD"],
        &["MULTI"],
    ] {
        seen.push(call(&mut other, command));
    }
    // SCRIPT KILL would be queued inside MULTI: another connection sends it.
    seen.push(call(&mut connect(port), &["SCRIPT", "KILL"]));
    seen.push(read_reply(&mut runner, Duration::from_secs(5)).unwrap_or_default());
    // The transaction opened while busy is still open.
    seen.push(call(&mut other, &["SET", "k", "v"]));
    seen.push(call(&mut other, &["EXEC"]));
    seen
}

#[test]
fn multi_during_a_busy_script_is_answered_at_once() {
    let (real, model) = (redis(), lockstep());
    let (expected, actual) = std::thread::scope(|scope| {
        let real = scope.spawn(|| transaction_during_busy_script_session(real.port));
        let actual = transaction_during_busy_script_session(model.port);
        (real.join().expect("redis session"), actual)
    });
    let show = |replies: &[Vec<u8>]| {
        replies
            .iter()
            .map(|r| escape(r))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(show(&actual), show(&expected));
}

/// FUNCTION STATS while a function is busy describes it at once (its
/// duration aside, which depends on timing); while an EVAL script is busy
/// it is refused with BUSY, as in Redis.
fn function_stats_during_busy_script_session(port: u16) -> Vec<Vec<u8>> {
    let mut runner = connect(port);
    let mut other = connect(port);
    let mut seen = vec![
        call(&mut other, &["CONFIG", "SET", "busy-reply-threshold", "100"]),
        call(
            &mut other,
            &[
                "FUNCTION",
                "LOAD",
                "#!lua name=spin\nredis.register_function('spin', function() while true do end end)",
            ],
        ),
    ];
    runner
        .write_all(b"*3\r\n$5\r\nFCALL\r\n$4\r\nspin\r\n$1\r\n0\r\n")
        .expect("write");
    std::thread::sleep(Duration::from_millis(400));
    let stats = call(&mut other, &["FUNCTION", "STATS"]);
    let text = String::from_utf8_lossy(&stats).into_owned();
    let masked = match text.split_once("duration_ms\r\n:") {
        Some((head, tail)) => {
            let rest = tail.split_once("\r\n").map_or("", |(_, rest)| rest);
            format!("{head}duration_ms\r\n:N\r\n{rest}")
        }
        None => text,
    };
    seen.push(masked.into_bytes());
    seen.push(call(&mut other, &["FUNCTION", "KILL"]));
    seen.push(read_reply(&mut runner, Duration::from_secs(5)).unwrap_or_default());
    runner
        .write_all(b"*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n")
        .expect("write");
    std::thread::sleep(Duration::from_millis(400));
    seen.push(call(&mut other, &["FUNCTION", "STATS"]));
    seen.push(call(&mut other, &["SCRIPT", "KILL"]));
    seen.push(read_reply(&mut runner, Duration::from_secs(5)).unwrap_or_default());
    seen.push(call(&mut other, &["FUNCTION", "STATS"]));
    seen
}

#[test]
fn function_stats_during_a_busy_function_describes_it() {
    let (real, model) = (redis(), lockstep());
    let (expected, actual) = std::thread::scope(|scope| {
        let real = scope.spawn(|| function_stats_during_busy_script_session(real.port));
        let actual = function_stats_during_busy_script_session(model.port);
        (real.join().expect("redis session"), actual)
    });
    let show = |replies: &[Vec<u8>]| {
        replies
            .iter()
            .map(|r| escape(r))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(show(&actual), show(&expected));
}

/// A script that has written and then waits for TIME to move on ends, as
/// in Redis: TIME reads the wall clock inside a script.
fn time_waiting_script_session(port: u16) -> Vec<Vec<u8>> {
    let mut client = connect(port);
    let script = "redis.call('SET', 'w', '1') \
                  local function now() local t = redis.call('TIME') \
                  return tonumber(t[1]) * 1000000 + tonumber(t[2]) end \
                  local start = now() \
                  repeat until now() - start >= 300000 \
                  return 'waited'";
    let started = Instant::now();
    let reply = call(&mut client, &["EVAL", script, "0"]);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    vec![reply, call(&mut client, &["GET", "w"])]
}

#[test]
fn a_script_waiting_for_time_to_advance_ends() {
    let (real, model) = (redis(), lockstep());
    let expected = time_waiting_script_session(real.port);
    let actual = time_waiting_script_session(model.port);
    assert_eq!(actual, expected);
    assert_eq!(actual[0], b"$6\r\nwaited\r\n");
}
