//! Blocking commands through `lockstep serve`, on the wall clock: a
//! blocked connection waits without a reply until another connection's
//! write serves it, its timeout passes, CLIENT UNBLOCK ends it, or it
//! closes; the same exchanges against a real redis-server give the same
//! bytes.

use std::time::{Duration, Instant};

mod support;

use support::{call, connect, lockstep, read_reply, redis, send};

/// Waits until the server reports `n` blocked clients.
fn wait_blocked(port: u16, n: usize) {
    let mut admin = connect(port);
    let wanted = format!("blocked_clients:{n}\r\n");
    for _ in 0..500 {
        let info = call(&mut admin, &["INFO", "clients"]);
        if String::from_utf8_lossy(&info).contains(&wanted) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("never saw {wanted:?}");
}

/// Two BLPOPs served in order by one RPUSH from a third connection, the
/// pipelined command behind a BLPOP answered only after it, a timeout,
/// CLIENT UNBLOCK: what each connection received, in order.
fn session(port: u16) -> Vec<Vec<u8>> {
    let mut first = connect(port);
    let mut second = connect(port);
    let mut writer = connect(port);
    let mut seen = Vec::new();
    call(&mut writer, &["DEL", "q", "z"]);
    send(&mut first, &["BLPOP", "q", "0"]);
    wait_blocked(port, 1);
    // A pipelined command waits behind the blocked one.
    send(&mut second, &["BLPOP", "q", "0"]);
    send(&mut second, &["ECHO", "after"]);
    wait_blocked(port, 2);
    assert_eq!(read_reply(&mut first, Duration::from_millis(100)), None);
    seen.push(call(&mut writer, &["RPUSH", "q", "a", "b"]));
    seen.push(read_reply(&mut first, Duration::from_secs(5)).expect("first served"));
    seen.push(read_reply(&mut second, Duration::from_secs(5)).expect("second served"));
    seen.push(read_reply(&mut second, Duration::from_secs(5)).expect("echo"));

    // A timeout on the wall clock.
    let started = Instant::now();
    seen.push(call(&mut first, &["BZPOPMIN", "z", "0.2"]));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");

    // CLIENT UNBLOCK from another connection.
    let id = String::from_utf8_lossy(&call(&mut first, &["CLIENT", "ID"]))
        .trim_start_matches(':')
        .trim()
        .to_string();
    send(&mut first, &["BRPOPLPUSH", "q", "dst", "0"]);
    wait_blocked(port, 1);
    seen.push(call(&mut writer, &["CLIENT", "UNBLOCK", &id, "ERROR"]));
    seen.push(read_reply(&mut first, Duration::from_secs(5)).expect("unblocked"));
    seen
}

#[test]
fn blocked_connections_are_served_timed_out_and_unblocked_as_in_redis() {
    let ours = lockstep();
    let theirs = redis();
    let got = session(ours.port);
    let want = session(theirs.port);
    assert_eq!(got, want);
    assert_eq!(got[1], b"*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    assert_eq!(got[3], b"$5\r\nafter\r\n");
}

#[test]
fn a_closed_connection_stops_waiting() {
    let server = lockstep();
    let mut waiter = connect(server.port);
    send(&mut waiter, &["BLPOP", "gone", "0"]);
    wait_blocked(server.port, 1);
    drop(waiter);
    wait_blocked(server.port, 0);
    let mut writer = connect(server.port);
    assert_eq!(call(&mut writer, &["RPUSH", "gone", "x"]), b":1\r\n");
    assert_eq!(call(&mut writer, &["LLEN", "gone"]), b":1\r\n");
}
