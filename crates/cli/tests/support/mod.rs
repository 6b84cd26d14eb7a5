//! What the `lockstep serve` tests share: a server on a free loopback port
//! (ours or a real redis-server, to compare bytes), a connection, and one
//! command's complete reply read with a deadline.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use lockstep_differential::resp::reply_len;
use lockstep_differential::server::ServerProcess;

/// `lockstep serve` from the binary this test was built with.
pub fn lockstep() -> ServerProcess {
    match ServerProcess::lockstep(Path::new(env!("CARGO_BIN_EXE_lockstep"))) {
        Ok(server) => server,
        Err(e) => panic!("{e}"),
    }
}

/// A fresh real redis-server, the reference.
pub fn redis() -> ServerProcess {
    match ServerProcess::redis() {
        Ok(server) => server,
        Err(e) => panic!("{e}"),
    }
}

pub fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

/// Sends one command as a RESP array of bulk strings.
pub fn send(stream: &mut TcpStream, args: &[&str]) {
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        request.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    stream.write_all(&request).expect("write");
}

/// One complete reply within `within`, or None.
pub fn read_reply(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let deadline = Instant::now() + within;
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if reply_len(&out).is_ok() {
            return Some(out);
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok()?;
        match stream.read(&mut byte) {
            Ok(1) => out.push(byte[0]),
            _ => return None,
        }
    }
}

/// One command, one complete reply.
pub fn call(stream: &mut TcpStream, args: &[&str]) -> Vec<u8> {
    send(stream, args);
    read_reply(stream, Duration::from_secs(5)).expect("a reply")
}
