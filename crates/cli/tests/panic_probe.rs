//! A command that panics inside the engine is answered with an error and
//! the server keeps serving its other connections. The probe command
//! exists only when the server starts with `LOCKSTEP_PANIC_PROBE=1`.
//!
//! This runs the test profile's binary, which unwinds as the
//! `release-native` profile does; `lockstep bench` (and
//! `scripts/bench-check.sh`) runs the same check against the release build
//! it measures, which takes minutes to build and so stays out of the tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `lockstep serve` on a free port, killed when dropped.
struct Serve {
    child: Child,
    port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(probe: bool) -> Serve {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockstep"));
    command
        .args(["serve", "--port", "0"])
        .env_remove("LOCKSTEP_PANIC_PROBE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if probe {
        command.env("LOCKSTEP_PANIC_PROBE", "1");
    }
    let mut child = command.spawn().expect("start lockstep serve");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("announce line");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Serve { child, port }
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
}

/// Sends an inline command and reads one line of reply.
fn ask(stream: &mut TcpStream, command: &str) -> String {
    stream
        .write_all(format!("{command}\r\n").as_bytes())
        .expect("write");
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    while !reply.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => reply.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&reply).into_owned()
}

#[test]
fn a_panicking_command_gets_an_error_and_the_server_stays_up() {
    let server = serve(true);
    let mut bystander = connect(server.port);
    assert_eq!(ask(&mut bystander, "SET k v"), "+OK\r\n");
    let mut victim = connect(server.port);
    assert_eq!(
        ask(&mut victim, "LOCKSTEP.PANIC"),
        "-ERR internal error while running 'LOCKSTEP.PANIC'\r\n"
    );
    // The panicking connection itself and the others keep working.
    assert_eq!(ask(&mut victim, "PING"), "+PONG\r\n");
    assert_eq!(ask(&mut bystander, "GET k"), "$1\r\n");
}

#[test]
fn without_the_variable_the_probe_is_an_unknown_command() {
    let server = serve(false);
    let mut client = connect(server.port);
    let reply = ask(&mut client, "LOCKSTEP.PANIC");
    assert!(reply.starts_with("-ERR unknown command"), "{reply}");
    assert_eq!(ask(&mut client, "PING"), "+PONG\r\n");
}
