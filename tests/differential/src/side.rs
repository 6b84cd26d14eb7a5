//! One side of the comparison: a connection to a RESP server over TCP.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::resp::{self, Incomplete};

/// Everything one command produced on one side.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Exchange {
    /// The raw bytes of every reply the command produced, in order.
    pub bytes: Vec<u8>,
    /// The server closed the connection after (or instead of) replying.
    pub closed: bool,
    /// No complete reply arrived within [`REPLY_DEADLINE`].
    pub timed_out: bool,
    /// In files with several connections: what the command made arrive on
    /// the other connections (a BLPOP served by this LPUSH), by number.
    pub others: Vec<(usize, Vec<u8>)>,
}

impl Exchange {
    /// The exchange for messages: the escaped bytes and what happened after.
    pub fn describe(&self) -> String {
        let mut s = resp::escape(&self.bytes);
        if self.timed_out {
            s.push_str(" (no complete reply)");
        }
        if self.closed {
            s.push_str(" (connection closed)");
        }
        for (conn, bytes) in &self.others {
            s.push_str(&format!(" [@{conn}: {}]", resp::escape(bytes)));
        }
        s
    }
}

/// One side of the comparison: sends a command, returns what came back.
pub trait Side: Send {
    fn exchange(&mut self, args: &[Vec<u8>]) -> Exchange;
}

/// How long the first reply to a command may take (blocking commands with a
/// timeout wait this long at most in the command files).
pub const REPLY_DEADLINE: Duration = Duration::from_secs(5);

/// After a complete reply, how long the connection must stay silent before
/// the command counts as finished. Commands may produce several top-level
/// replies (`SUBSCRIBE a b` gives two, a PUBLISH to a channel the same RESP3
/// connection listens on gives a push and then the count, a write under
/// CLIENT TRACKING gives an invalidation push). Counting them would mean
/// modelling Redis inside the harness; instead every complete reply already
/// received is taken, and the connection is then given this quiet period.
/// Both Redis and `lockstep serve` write all the replies of one command in
/// one `write`, so on loopback they arrive together and the quiet period is
/// only a safety margin. Override with `LOCKSTEP_DIFF_QUIET_MS`.
pub fn quiet_period() -> Duration {
    let ms = std::env::var("LOCKSTEP_DIFF_QUIET_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    Duration::from_millis(ms)
}

/// A connection to a RESP server. After the server closes it (QUIT), the
/// next command opens a new connection, as redis-cli does.
pub struct TcpSide {
    port: u16,
    stream: Option<TcpStream>,
    quiet: Duration,
}

impl TcpSide {
    pub fn connect(port: u16) -> std::io::Result<TcpSide> {
        let mut side = TcpSide {
            port,
            stream: None,
            quiet: quiet_period(),
        };
        side.stream = Some(side.open()?);
        Ok(side)
    }

    fn open(&self) -> std::io::Result<TcpStream> {
        let stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    /// Sends a command without waiting for its reply (one that blocks).
    pub fn send(&mut self, args: &[Vec<u8>]) -> bool {
        if self.stream.is_none() {
            self.stream = self.open().ok();
        }
        match self.stream.as_mut() {
            Some(stream) => stream.write_all(&resp::request(args)).is_ok(),
            None => false,
        }
    }

    /// Whatever replies arrived, waiting `quiet` for more (and up to
    /// [`REPLY_DEADLINE`] to finish a reply that has begun); nothing if
    /// the connection is not open.
    pub fn drain(&mut self, quiet: Duration) -> Exchange {
        let Some(mut stream) = self.stream.take() else {
            return Exchange::default();
        };
        let exchange = Self::read_replies(&mut stream, quiet, false);
        if !exchange.closed {
            self.stream = Some(stream);
        }
        exchange
    }

    /// Reads replies until a quiet period after complete ones; with
    /// `need_reply`, at least one must come (within [`REPLY_DEADLINE`]).
    fn read_replies(stream: &mut TcpStream, quiet: Duration, need_reply: bool) -> Exchange {
        let mut out = Exchange::default();
        let mut chunk = [0u8; 64 * 1024];
        let deadline = Instant::now() + REPLY_DEADLINE;
        loop {
            let complete = whole_replies(&out.bytes);
            let wait = if complete && (!out.bytes.is_empty() || !need_reply) {
                quiet
            } else {
                match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => {
                        out.timed_out = true;
                        return out;
                    }
                }
            };
            if stream.set_read_timeout(Some(wait)).is_err() {
                out.closed = true;
                return out;
            }
            match stream.read(&mut chunk) {
                Ok(0) => {
                    out.closed = true;
                    out.timed_out = !complete;
                    return out;
                }
                Ok(n) => out.bytes.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if complete && (!out.bytes.is_empty() || !need_reply) {
                        return out;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    out.closed = true;
                    out.timed_out = !complete;
                    return out;
                }
            }
        }
    }
}

/// Whether `buf` is a sequence of complete replies (true when empty). A
/// malformed buffer counts as complete: more bytes will not fix it, and the
/// comparison will show it.
fn whole_replies(mut buf: &[u8]) -> bool {
    while !buf.is_empty() {
        match resp::reply_len(buf) {
            Ok(n) => buf = &buf[n..],
            Err(Incomplete::NeedMore) => return false,
            Err(Incomplete::Malformed(_)) => return true,
        }
    }
    true
}

impl Side for TcpSide {
    fn exchange(&mut self, args: &[Vec<u8>]) -> Exchange {
        let mut stream = match self.stream.take() {
            Some(s) => s,
            None => match self.open() {
                Ok(s) => s,
                Err(_) => {
                    return Exchange {
                        closed: true,
                        ..Default::default()
                    }
                }
            },
        };
        if stream.write_all(&resp::request(args)).is_err() {
            return Exchange {
                closed: true,
                ..Default::default()
            };
        }
        let exchange = Self::read_replies(&mut stream, self.quiet, true);
        if !exchange.closed {
            self.stream = Some(stream);
        }
        exchange
    }
}
