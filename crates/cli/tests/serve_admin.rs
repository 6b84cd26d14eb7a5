//! What `lockstep serve` does as a server process, compared with a real
//! `redis-server` where the bytes can be: the order in which it sees a
//! connection close and another's command, SHUTDOWN, and CONFIG SET port
//! moving the listener.

use std::io::{ErrorKind, Read};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

mod support;

use lockstep_differential::resp::escape;
use lockstep_differential::server::{free_port, ServerProcess};
use support::{call, connect, lockstep, read_reply, redis, send};

/// A subscriber that closed its connection before a PUBLISH was sent is
/// not counted by it: the close is seen in the order it happened.
#[test]
fn a_publish_after_a_subscriber_closed_does_not_count_it() {
    let server = lockstep();
    let mut publisher = connect(server.port);
    for round in 0..40 {
        let mut subscriber = connect(server.port);
        call(&mut subscriber, &["SUBSCRIBE", "news"]);
        drop(subscriber);
        assert_eq!(
            call(&mut publisher, &["PUBLISH", "news", "m"]),
            b":0\r\n",
            "round {round}"
        );
    }
}

/// SHUTDOWN's refusals, which leave the server up: inside MULTI (failing
/// the transaction), bad options, inside a script, before AUTH.
fn shutdown_refusals_session(port: u16) -> Vec<Vec<u8>> {
    let mut c = connect(port);
    let mut seen = vec![call(&mut c, &["MULTI"])];
    seen.push(call(&mut c, &["SHUTDOWN"]));
    seen.push(call(&mut c, &["SHUTDOWN", "NOSAVE"]));
    seen.push(call(&mut c, &["SET", "k", "v"]));
    seen.push(call(&mut c, &["EXEC"]));
    seen.push(call(&mut c, &["SHUTDOWN", "ABORT"]));
    seen.push(call(&mut c, &["SHUTDOWN", "SAVE", "NOSAVE"]));
    seen.push(call(&mut c, &["SHUTDOWN", "SOON"]));
    seen.push(call(
        &mut c,
        &["EVAL", "return redis.pcall('shutdown', 'nosave')", "0"],
    ));
    // Only a client allowed to run commands may stop the server.
    seen.push(call(&mut c, &["CONFIG", "SET", "requirepass", "secret"]));
    seen.push(call(&mut connect(port), &["SHUTDOWN", "NOSAVE"]));
    seen.push(call(&mut c, &["CONFIG", "SET", "requirepass", ""]));
    seen.push(call(&mut c, &["GET", "k"]));
    seen
}

#[test]
fn shutdown_is_refused_inside_multi_and_with_bad_options_as_in_redis() {
    let reference = redis();
    let ours = lockstep();
    let expected = shutdown_refusals_session(reference.port);
    let got = shutdown_refusals_session(ours.port);
    assert_eq!(
        got.iter().map(|r| escape(r)).collect::<Vec<_>>(),
        expected.iter().map(|r| escape(r)).collect::<Vec<_>>()
    );
}

/// Whether the server stopped: the connection it was asked on is closed
/// unanswered and nothing listens on its port any more.
fn shuts_down(server: &ServerProcess, args: &[&str]) -> bool {
    let mut asking = connect(server.port);
    let mut bystander = connect(server.port);
    send(&mut asking, args);
    let closed = |stream: &mut TcpStream| {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut byte = [0u8; 1];
        matches!(stream.read(&mut byte), Ok(0))
            || matches!(stream.read(&mut byte), Err(e) if e.kind() == ErrorKind::ConnectionReset)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut refused = false;
    while Instant::now() < deadline && !refused {
        refused = TcpStream::connect(("127.0.0.1", server.port)).is_err();
        std::thread::sleep(Duration::from_millis(20));
    }
    closed(&mut asking) && closed(&mut bystander) && refused
}

#[test]
fn shutdown_ends_the_server_and_every_connection() {
    for args in [
        &["SHUTDOWN", "NOSAVE"][..],
        &["SHUTDOWN", "SAVE"],
        &["SHUTDOWN"],
    ] {
        assert!(shuts_down(&lockstep(), args), "{args:?}");
    }
}

/// CONFIG SET port to a port something else listens on fails as in Redis
/// 7.0 and rolls the whole command back; to a free port, the server moves
/// there.
fn port_session(port: u16) -> Vec<Vec<u8>> {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port to occupy");
    let taken_port = taken.local_addr().expect("its address").port().to_string();
    let mut c = connect(port);
    let mut seen = vec![call(
        &mut c,
        &[
            "CONFIG",
            "SET",
            "maxmemory-policy",
            "allkeys-lru",
            "port",
            &taken_port,
        ],
    )];
    seen.push(call(&mut c, &["CONFIG", "GET", "maxmemory-policy"]));
    let still = call(&mut c, &["CONFIG", "GET", "port"]);
    seen.push(still_names(&still, port));
    let moved_to = free_port().expect("a free port");
    seen.push(call(
        &mut c,
        &["CONFIG", "SET", "port", &moved_to.to_string()],
    ));
    // The connection it was asked on stays; new ones go to the new port.
    seen.push(call(&mut c, &["PING"]));
    seen.push(call(&mut connect(moved_to), &["ECHO", "moved"]));
    seen.push(vec![u8::from(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
    )]);
    seen
}

/// `+same` when a CONFIG GET port reply names `port`.
fn still_names(reply: &[u8], port: u16) -> Vec<u8> {
    let text = String::from_utf8_lossy(reply);
    if text.ends_with(&format!("\r\n{port}\r\n")) {
        b"+same".to_vec()
    } else {
        reply.to_vec()
    }
}

#[test]
fn config_set_port_moves_the_listener_or_rolls_back_as_in_redis() {
    let reference = redis();
    let ours = lockstep();
    let expected = port_session(reference.port);
    let got = port_session(ours.port);
    assert_eq!(
        got.iter().map(|r| escape(r)).collect::<Vec<_>>(),
        expected.iter().map(|r| escape(r)).collect::<Vec<_>>()
    );
    assert!(got[0].starts_with(b"-ERR CONFIG SET failed (possibly related to argument 'port')"));
    assert_eq!(got.last(), Some(&vec![1]), "the old port still answers");
}

/// `lockstep serve` with extra start-up options, killed when dropped.
struct Serving {
    child: std::process::Child,
    port: u16,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_with(options: &[&str]) -> Serving {
    let port = free_port().expect("a free port");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["serve", "--port", &port.to_string()])
        .args(options)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("lockstep serve starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "lockstep serve did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    Serving { child, port }
}

/// A command that reached the server in the same wake-up as a script that
/// turns busy is answered BUSY, not held until the script ends: the server
/// is kept asleep (DEBUG SLEEP) while the script and the command arrive, so
/// that both are ready at once when it wakes.
#[test]
fn a_command_that_arrived_with_a_busy_script_is_answered_busy() {
    let server = serve_with(&["--enable-debug-command", "yes"]);
    let mut sleeper = connect(server.port);
    let mut runner = connect(server.port);
    let mut other = connect(server.port);
    assert_eq!(
        call(
            &mut other,
            &["CONFIG", "SET", "busy-reply-threshold", "100"]
        ),
        b"+OK\r\n"
    );
    for round in 0..3 {
        send(&mut sleeper, &["DEBUG", "SLEEP", "0.3"]);
        std::thread::sleep(Duration::from_millis(100));
        send(&mut runner, &["EVAL", "while true do end", "0"]);
        send(&mut other, &["PING"]);
        let answered = read_reply(&mut other, Duration::from_secs(5));
        assert!(
            answered
                .as_deref()
                .is_some_and(|r| r.starts_with(b"-BUSY ")),
            "round {round}: {:?}",
            answered.map(|r| escape(&r))
        );
        assert_eq!(call(&mut other, &["SCRIPT", "KILL"]), b"+OK\r\n");
        let killed = read_reply(&mut runner, Duration::from_secs(5)).unwrap_or_default();
        assert!(
            killed.starts_with(b"-ERR Script killed by user"),
            "round {round}"
        );
        assert_eq!(
            read_reply(&mut sleeper, Duration::from_secs(5)).as_deref(),
            Some(&b"+OK\r\n"[..])
        );
    }
}

/// One thread serves every connection, so a client that pipelines without
/// pause must not starve the others: each turn reads a connection once.
#[test]
fn a_client_pipelining_without_pause_does_not_starve_the_others() {
    use std::io::Write;
    let server = lockstep();
    let mut flood = connect(server.port);
    let mut other = connect(server.port);
    let pings = b"PING\r\n".repeat(150_000);
    let writer = std::thread::spawn(move || {
        flood.write_all(&pings).expect("the flood is read");
        flood
    });
    std::thread::sleep(Duration::from_millis(20));
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        assert_eq!(call(&mut other, &["PING"]), b"+PONG\r\n");
        slowest = slowest.max(started.elapsed());
    }
    assert!(slowest < Duration::from_secs(2), "slowest PING {slowest:?}");
    let mut flood = writer.join().expect("the writer");
    // The flood's replies all come, in order, once it reads them.
    let expected = 150_000 * b"+PONG\r\n".len();
    let mut got = 0;
    let mut chunk = vec![0u8; 64 * 1024];
    flood
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    while got < expected {
        match flood.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    assert_eq!(got, expected);
}
